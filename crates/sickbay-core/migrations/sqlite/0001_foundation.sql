-- Foundation: staff accounts, audit log, settings, failed-login throttling.
-- Types follow DESIGN.md: ids, instants (unix ms), flags and money are INTEGER; enums are TEXT with a CHECK.

CREATE TABLE staff (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    username             TEXT    NOT NULL,
    full_name            TEXT    NOT NULL,
    email                TEXT,
    role                 TEXT    NOT NULL CHECK (role IN ('admin', 'doctor', 'pharmacist', 'lab', 'reception')),
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    session_version      INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX staff_username_key ON staff (username);
CREATE INDEX staff_role_active ON staff (role, active);

CREATE TABLE audit_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_kind  TEXT    NOT NULL CHECK (actor_kind IN ('staff', 'patient', 'system', 'anonymous')),
    actor_id    INTEGER,
    actor_label TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    record_type TEXT,
    record_id   INTEGER,
    patient_id  INTEGER,
    ip          TEXT,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_event_at ON audit_event (at);
CREATE INDEX audit_event_record ON audit_event (record_type, record_id);

CREATE TABLE setting (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE login_failure (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier TEXT    NOT NULL,
    ip         TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX login_failure_identifier ON login_failure (identifier, at);
CREATE INDEX login_failure_ip ON login_failure (ip, at);
