-- Letters a doctor writes at a visit for the patient to take away: a sick note (with the days of rest), a
-- fitness certificate, a referral letter. The patient reads and prints their own from the portal.
CREATE TABLE letter (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id     INTEGER NOT NULL REFERENCES visit (id),
    patient_id   INTEGER NOT NULL REFERENCES patient (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('sick_note', 'fitness', 'referral')),
    addressed_to TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    -- A sick note's days of rest, first and last (the clinic's local days); NULL for the other kinds.
    rest_from    TEXT,
    rest_to      TEXT,
    issued_by    INTEGER NOT NULL REFERENCES staff (id),
    issued_at    INTEGER NOT NULL
);
CREATE INDEX letter_visit ON letter (visit_id);
CREATE INDEX letter_patient ON letter (patient_id, issued_at);
