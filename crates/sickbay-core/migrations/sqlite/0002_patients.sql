-- Patients and student records: academic data, patients, their photos, numbered sequences and CSV imports.

CREATE TABLE faculty (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX faculty_name_key ON faculty (LOWER(name));
CREATE UNIQUE INDEX faculty_code_key ON faculty (LOWER(code));

CREATE TABLE department (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    faculty_id INTEGER NOT NULL REFERENCES faculty (id),
    name       TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX department_name_key ON department (faculty_id, LOWER(name));
CREATE UNIQUE INDEX department_code_key ON department (LOWER(code));

CREATE TABLE level (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX level_name_key ON level (LOWER(name));

CREATE TABLE academic_session (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    starts_on  TEXT    NOT NULL,
    ends_on    TEXT    NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (starts_on < ends_on)
);
CREATE UNIQUE INDEX academic_session_name_key ON academic_session (LOWER(name));
-- At most one current session.
CREATE UNIQUE INDEX academic_session_current ON academic_session (is_current) WHERE is_current = 1;

CREATE TABLE patient (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_number           TEXT    NOT NULL,
    kind                    TEXT    NOT NULL CHECK (kind IN ('student', 'staff', 'dependant', 'visitor')),
    matric_number           TEXT,
    first_name              TEXT    NOT NULL,
    surname                 TEXT    NOT NULL,
    other_names             TEXT    NOT NULL DEFAULT '',
    sex                     TEXT    CHECK (sex IN ('female', 'male')),
    date_of_birth           TEXT,
    phone                   TEXT,
    email                   TEXT,
    address                 TEXT    NOT NULL DEFAULT '',
    emergency_name          TEXT    NOT NULL DEFAULT '',
    emergency_phone         TEXT    NOT NULL DEFAULT '',
    emergency_relationship  TEXT    NOT NULL DEFAULT '',
    blood_group             TEXT    CHECK (blood_group IN ('A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-')),
    genotype                TEXT    CHECK (genotype IN ('AA', 'AS', 'AC', 'SS', 'SC', 'CC')),
    allergies               TEXT    NOT NULL DEFAULT '',
    chronic_conditions      TEXT    NOT NULL DEFAULT '',
    faculty_id              INTEGER REFERENCES faculty (id),
    department_id           INTEGER REFERENCES department (id),
    level_id                INTEGER REFERENCES level (id),
    session_id              INTEGER REFERENCES academic_session (id),
    -- Portal access: no hash means the patient can't log in yet.
    password_hash           TEXT,
    must_change_password    INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    -- Self-registered students wait for approval when the clinic asks for it.
    approved                INTEGER NOT NULL DEFAULT 1 CHECK (approved IN (0, 1)),
    active                  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    session_version         INTEGER NOT NULL DEFAULT 1,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE UNIQUE INDEX patient_clinic_number_key ON patient (clinic_number);
CREATE UNIQUE INDEX patient_matric_number_key ON patient (matric_number);
CREATE INDEX patient_phone ON patient (phone);
CREATE INDEX patient_name_dob ON patient (LOWER(surname), LOWER(first_name), date_of_birth);

-- As-you-type search: every name word, number and number part of a patient, in lower case and letters and
-- digits only. A search term matches a token it begins (a range scan on the primary key); every term must
-- match for a patient to be found.
CREATE TABLE patient_search_token (
    token      TEXT    NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    PRIMARY KEY (token, patient_id)
);
CREATE INDEX patient_search_token_patient ON patient_search_token (patient_id);

CREATE TABLE patient_photo (
    patient_id INTEGER PRIMARY KEY REFERENCES patient (id),
    mime       TEXT    NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
    data       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Gap-free numbers (clinic numbers per year, later queue tickets and invoices): one row per sequence,
-- advanced with an upsert that returns the new value.
CREATE TABLE sequence_counter (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE import_job (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    status         TEXT    NOT NULL CHECK (status IN ('previewed', 'running', 'done', 'failed')),
    file_name      TEXT    NOT NULL,
    content        TEXT    NOT NULL,
    create_missing INTEGER NOT NULL DEFAULT 0 CHECK (create_missing IN (0, 1)),
    total          INTEGER NOT NULL DEFAULT 0,
    processed      INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    rejected       INTEGER NOT NULL DEFAULT 0,
    report         TEXT    NOT NULL DEFAULT '',
    error          TEXT    NOT NULL DEFAULT '',
    -- The admin who uploaded it; none for the command line.
    created_by     INTEGER REFERENCES staff (id),
    created_at     INTEGER NOT NULL,
    progressed_at  INTEGER NOT NULL,
    finished_at    INTEGER
);
