-- The bell (issue 39, item 5): in-app notices for patients and staff alike, in one table. A notice is for
-- exactly one person. The patients' notifications (a freed waitlist place) move here.
CREATE TABLE notice (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER  REFERENCES patient (id),
    staff_id   INTEGER  REFERENCES staff (id),
    message    TEXT    NOT NULL,
    link       TEXT    NOT NULL DEFAULT '',
    -- Set when the same event must never ring twice (a message's kind and what it is about).
    dedupe_key TEXT,
    created_at INTEGER  NOT NULL,
    read_at    INTEGER,
    CHECK ((patient_id IS NULL) <> (staff_id IS NULL))
);
CREATE UNIQUE INDEX notice_dedupe_key ON notice (dedupe_key);
CREATE INDEX notice_patient ON notice (patient_id, read_at, id);
CREATE INDEX notice_staff ON notice (staff_id, read_at, id);
INSERT INTO notice (patient_id, message, link, created_at, read_at)
    SELECT patient_id, message, link, created_at, read_at FROM notification ORDER BY id;
DROP TABLE notification;
