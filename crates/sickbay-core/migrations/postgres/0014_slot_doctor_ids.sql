-- A doctor's slots by day carry their ids, so a doctor's week joins to its appointments from this index alone.
-- Without the id PostgreSQL walked every doctor's slots of the week through `slot_day_seats` instead (SQLite's
-- indexes hold the row id anyway).
DROP INDEX slot_doctor_day;
CREATE INDEX slot_doctor_day ON slot (doctor_id, day, blocked, booked, capacity, id);
