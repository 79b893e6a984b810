-- A lab order's sample: when it was taken and by whom. An order with a result had its sample taken then.
ALTER TABLE lab_order ADD COLUMN collected_at BIGINT;
ALTER TABLE lab_order ADD COLUMN collected_by BIGINT REFERENCES staff (id);
UPDATE lab_order SET collected_at = resulted_at, collected_by = resulted_by WHERE resulted_at IS NOT NULL;
