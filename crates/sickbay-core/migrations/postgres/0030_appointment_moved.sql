-- The booking a patient moved this one to (a moved booking is cancelled and a new one made, in one transaction).
ALTER TABLE appointment ADD COLUMN moved_to_id BIGINT REFERENCES appointment (id);
