-- Critical limits of a test (beyond them a result is a danger to the patient, phoned to the doctor at once), and
-- on each result whether it crossed them when recorded and whom the lab told.
ALTER TABLE lab_test ADD COLUMN critical_low REAL;
ALTER TABLE lab_test ADD COLUMN critical_high REAL;
ALTER TABLE lab_order ADD COLUMN critical INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0, 1));
ALTER TABLE lab_order ADD COLUMN critical_told TEXT NOT NULL DEFAULT '';
