-- One-time form ids: a creating form carries a random id minted when it was rendered. The record it created is
-- stored under that id in the same transaction as the creation, so the same form sent again (a double click,
-- a replayed request) answers with that record instead of creating another one.

CREATE TABLE form_submission (
    -- The id in the form's hidden `form_id` field (32 hex digits).
    form_key   TEXT    NOT NULL,
    -- What the form does: `patient.register`, `appointment.book`, ...
    action     TEXT    NOT NULL,
    -- Who sent it: `staff:3`, `patient:12`.
    actor      TEXT    NOT NULL,
    -- The record the first submission created (0 until it is known, inside the creating transaction).
    record_id  BIGINT  NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (form_key, action, actor)
);
CREATE INDEX form_submission_created_at ON form_submission (created_at);
