-- Messages to people outside the building (issue 39). A row is written in the same transaction as the event
-- it tells about; a job claims it with a conditional update and sends it. `dedupe_key` makes a second row for
-- the same message impossible, whoever writes it.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key    TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    channel       TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient     TEXT    NOT NULL,
    subject       TEXT    NOT NULL DEFAULT '',
    body          TEXT    NOT NULL,
    -- Where the message leads, as a path of the site.
    link          TEXT    NOT NULL DEFAULT '',
    patient_id    INTEGER  REFERENCES patient (id),
    staff_id      INTEGER  REFERENCES staff (id),
    record_type   TEXT    NOT NULL DEFAULT '',
    record_id     INTEGER,
    status        TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped', 'held')),
    tries         INTEGER  NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER  NOT NULL,
    next_try_at   INTEGER  NOT NULL,
    -- A claim's lease: a sender that died mid-send gives the message back when it runs out.
    claimed_until INTEGER  NOT NULL DEFAULT 0,
    -- After this the message is no use (a reminder for an appointment that has started): dropped, not sent.
    stale_after   INTEGER,
    sent_at       INTEGER
);
CREATE UNIQUE INDEX outbox_dedupe_key ON outbox (dedupe_key);
CREATE INDEX outbox_due ON outbox (status, next_try_at);
CREATE INDEX outbox_record ON outbox (record_type, record_id);
CREATE INDEX outbox_created ON outbox (created_at);

-- How the clinic reaches a patient: 'email', 'sms' or 'none'.
ALTER TABLE patient ADD COLUMN contact_by TEXT NOT NULL DEFAULT 'email' CHECK (contact_by IN ('email', 'sms', 'none'));

-- The nearest reminder already written for a booking, in hours before its start (see
-- outbox::model::reminder_due): the reminders job reads only the bookings that still have one to come.
ALTER TABLE appointment ADD COLUMN reminder_stage INTEGER;

-- Forgotten passwords: a link's token is kept only as its SHA-256, used once, and expires.
CREATE TABLE password_reset (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL,
    patient_id  INTEGER  NOT NULL REFERENCES patient (id),
    -- The address the link went to, for the limit per address.
    sent_to     TEXT    NOT NULL,
    created_at  INTEGER  NOT NULL,
    expires_at  INTEGER  NOT NULL,
    used_at     INTEGER
);
CREATE UNIQUE INDEX password_reset_token ON password_reset (token_hash);
CREATE INDEX password_reset_patient ON password_reset (patient_id, created_at);
CREATE INDEX password_reset_sent_to ON password_reset (sent_to, created_at);
