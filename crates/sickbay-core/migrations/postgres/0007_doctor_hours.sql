-- One word for a doctor's weekly hours: the table `availability` becomes `doctor_hours`, and the audit log and
-- one-time form ids that named it `availability` say `hours`, so old entries read like new ones.

ALTER TABLE availability RENAME TO doctor_hours;
ALTER INDEX availability_doctor RENAME TO doctor_hours_doctor;
ALTER SEQUENCE IF EXISTS availability_id_seq RENAME TO doctor_hours_id_seq;
-- The primary key, foreign key and checks were named after the table (availability_pkey, ...).
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'doctor_hours'::regclass AND conname LIKE 'availability%' LOOP
        EXECUTE format('ALTER TABLE doctor_hours RENAME CONSTRAINT %I TO %I',
                       c.conname, 'doctor_hours' || substr(c.conname, length('availability') + 1));
    END LOOP;
END $$;

UPDATE audit_event SET action = 'hours.create' WHERE action = 'availability.create';
UPDATE audit_event SET action = 'hours.remove' WHERE action = 'availability.remove';
UPDATE audit_event SET record_type = 'hours' WHERE record_type = 'availability';
UPDATE form_submission SET action = 'hours.create' WHERE action = 'availability.create';
