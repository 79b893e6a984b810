-- When the patient first opened each result released to them: a result is new to them until they do.
ALTER TABLE lab_order ADD COLUMN read_by_patient_at BIGINT;
