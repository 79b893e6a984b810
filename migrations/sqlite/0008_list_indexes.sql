-- Indexes for the schedule's lists (issue 10, fast list pages): a doctor's days of slots (the week's counts and
-- the day's rows) and the appointments of a day for all doctors (the home pages, the queue's "due" list).

CREATE INDEX slot_doctor_day ON slot (doctor_id, day);
CREATE INDEX appointment_day ON appointment (day);
