-- What a test looks for, in plain words for the patient, shown beside their result.
ALTER TABLE lab_test ADD COLUMN about TEXT NOT NULL DEFAULT '';
