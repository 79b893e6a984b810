-- Indexes for the lists (issue 10, fast list pages). The slot indexes carry the columns the counts read, so
-- a week's or a fortnight's counts are read from the index alone.
-- A doctor's days: the week's counts and the day's rows.
CREATE INDEX slot_doctor_day ON slot (doctor_id, day, blocked, booked, capacity);
-- Every doctor's seats per day: the booking calendar.
CREATE INDEX slot_day_seats ON slot (day, doctor_id, blocked, starts_at, booked, capacity);
-- The appointments of a day in one status: reception's "due" list.
CREATE INDEX appointment_day ON appointment (day, status);

-- Reception's "waiting for approval" reads the few unapproved patients, not every patient.
CREATE INDEX patient_pending ON patient (id) WHERE approved = 0;
-- How many patients point at a faculty, department, level or session (its page, and before removing it).
CREATE INDEX patient_faculty ON patient (faculty_id);
CREATE INDEX patient_department ON patient (department_id);
CREATE INDEX patient_level ON patient (level_id);
CREATE INDEX patient_session ON patient (session_id);
