-- What the doctor did about a critical result, written as they mark it seen.
ALTER TABLE lab_order ADD COLUMN acted_on TEXT NOT NULL DEFAULT '';
