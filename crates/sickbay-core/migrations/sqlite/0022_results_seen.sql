-- A result the ordering doctor has marked seen leaves their home's "Results to review". Results of visits
-- completed more than a week ago were already off that list: they count as seen when they came back.
ALTER TABLE lab_order ADD COLUMN seen_at INTEGER;
ALTER TABLE lab_order ADD COLUMN seen_by INTEGER REFERENCES staff (id);
UPDATE lab_order SET seen_at = resulted_at, seen_by = ordered_by
 WHERE resulted_at IS NOT NULL
   AND visit_id IN (SELECT id FROM visit
                     WHERE status = 'completed'
                       AND started_at < (CAST(strftime('%s', 'now') AS INTEGER) - 7 * 86400) * 1000);
CREATE INDEX lab_order_to_review ON lab_order (ordered_by, resulted_at)
 WHERE seen_at IS NULL AND status IN ('resulted', 'released');
