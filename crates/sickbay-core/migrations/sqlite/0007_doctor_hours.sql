-- One word for a doctor's weekly hours: the table `availability` becomes `doctor_hours`, and the audit log and
-- one-time form ids that named it `availability` say `hours`, so old entries read like new ones.

ALTER TABLE availability RENAME TO doctor_hours;
DROP INDEX availability_doctor;
CREATE INDEX doctor_hours_doctor ON doctor_hours (doctor_id, weekday);

UPDATE audit_event SET action = 'hours.create' WHERE action = 'availability.create';
UPDATE audit_event SET action = 'hours.remove' WHERE action = 'availability.remove';
UPDATE audit_event SET record_type = 'hours' WHERE record_type = 'availability';
UPDATE form_submission SET action = 'hours.create' WHERE action = 'availability.create';
