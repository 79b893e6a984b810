-- Consultations and lab: visits and what is recorded in them, the drug and lab test catalogues, prescriptions,
-- lab orders and their results, health records, procedures and documents, doctors' profiles.
-- Measurements are integers in small units (tenths of a degree, tenths of a kilogram, millimetres); lab values
-- are REAL, never money.

ALTER TABLE staff ADD COLUMN specialty TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN qualifications TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN profile_note TEXT NOT NULL DEFAULT '';

CREATE TABLE visit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id     INTEGER NOT NULL REFERENCES patient (id),
    doctor_id      INTEGER NOT NULL REFERENCES staff (id),
    ticket_id      INTEGER REFERENCES ticket (id),
    appointment_id INTEGER REFERENCES appointment (id),
    -- The clinic's local day the visit started on.
    day            TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'completed')),
    started_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    updated_at     INTEGER NOT NULL
);
-- One visit per ticket, and one open visit of a patient with a doctor.
CREATE UNIQUE INDEX visit_ticket_key ON visit (ticket_id);
CREATE UNIQUE INDEX visit_open_key ON visit (patient_id, doctor_id) WHERE status = 'open';
CREATE INDEX visit_patient ON visit (patient_id, started_at);
CREATE INDEX visit_doctor ON visit (doctor_id, status, started_at);
CREATE INDEX visit_open ON visit (started_at) WHERE status = 'open';

CREATE TABLE health_record (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id  INTEGER NOT NULL REFERENCES patient (id),
    day         TEXT    NOT NULL,
    -- Visual acuity as written on the chart, such as "6/6".
    eye_left    TEXT    NOT NULL DEFAULT '',
    eye_right   TEXT    NOT NULL DEFAULT '',
    notes       TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('fit', 'not_fit')),
    recorded_by INTEGER NOT NULL REFERENCES staff (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX health_record_patient ON health_record (patient_id, recorded_at);

CREATE TABLE vitals (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id         INTEGER NOT NULL REFERENCES patient (id),
    visit_id           INTEGER REFERENCES visit (id),
    health_record_id   INTEGER REFERENCES health_record (id),
    systolic           INTEGER,
    diastolic          INTEGER,
    temperature_tenths INTEGER,
    pulse              INTEGER,
    respiratory_rate   INTEGER,
    spo2               INTEGER,
    weight_tenths      INTEGER,
    height_mm          INTEGER,
    recorded_by        INTEGER NOT NULL REFERENCES staff (id),
    recorded_at        INTEGER NOT NULL
);
CREATE INDEX vitals_patient ON vitals (patient_id, recorded_at);
CREATE INDEX vitals_visit ON vitals (visit_id);

CREATE TABLE clinical_note (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id   INTEGER NOT NULL REFERENCES visit (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('complaint', 'history', 'examination', 'plan', 'addendum')),
    body       TEXT    NOT NULL,
    author_id  INTEGER NOT NULL REFERENCES staff (id),
    written_at INTEGER NOT NULL
);
CREATE INDEX clinical_note_visit ON clinical_note (visit_id, written_at);

-- What a doctor is typing, saved as they type, restored when they come back.
CREATE TABLE note_draft (
    visit_id  INTEGER NOT NULL REFERENCES visit (id),
    author_id INTEGER NOT NULL REFERENCES staff (id),
    kind      TEXT    NOT NULL CHECK (kind IN ('complaint', 'history', 'examination', 'plan', 'addendum')),
    body      TEXT    NOT NULL,
    saved_at  INTEGER NOT NULL,
    PRIMARY KEY (visit_id, author_id, kind)
);

CREATE TABLE diagnosis (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id    INTEGER NOT NULL REFERENCES visit (id),
    patient_id  INTEGER NOT NULL REFERENCES patient (id),
    doctor_id   INTEGER NOT NULL REFERENCES staff (id),
    -- An ICD-10-CM code from the bundled list, or none (free text only).
    code        TEXT,
    description TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX diagnosis_visit ON diagnosis (visit_id);
CREATE INDEX diagnosis_doctor ON diagnosis (doctor_id, recorded_at, code, description);

-- The drug and supply catalogue (the pharmacy owns it) and its stock in batches.
CREATE TABLE drug (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    generic_name  TEXT    NOT NULL DEFAULT '',
    form          TEXT    NOT NULL CHECK (form IN ('tablet', 'capsule', 'syrup', 'suspension', 'injection', 'infusion',
                                                   'cream', 'ointment', 'drops', 'inhaler', 'suppository', 'consumable',
                                                   'other')),
    strength      TEXT    NOT NULL DEFAULT '',
    unit          TEXT    NOT NULL DEFAULT '',
    unit_price    INTEGER NOT NULL DEFAULT 0 CHECK (unit_price >= 0),
    reorder_level INTEGER NOT NULL DEFAULT 0 CHECK (reorder_level >= 0),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX drug_key ON drug (LOWER(name), form, LOWER(strength));

CREATE TABLE drug_batch (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    drug_id      INTEGER NOT NULL REFERENCES drug (id),
    batch_number TEXT    NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity >= 0),
    expires_on   TEXT    NOT NULL,
    cost_price   INTEGER NOT NULL DEFAULT 0 CHECK (cost_price >= 0),
    supplier     TEXT    NOT NULL DEFAULT '',
    received_on  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX drug_batch_drug ON drug_batch (drug_id, expires_on, quantity);

-- One prescription per visit; its items are written while the visit is open.
CREATE TABLE prescription (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id   INTEGER NOT NULL REFERENCES visit (id),
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    doctor_id  INTEGER NOT NULL REFERENCES staff (id),
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'partly_dispensed', 'dispensed', 'refused')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX prescription_visit_key ON prescription (visit_id);
CREATE INDEX prescription_status ON prescription (status, created_at);
CREATE INDEX prescription_patient ON prescription (patient_id, created_at);

CREATE TABLE prescription_item (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    prescription_id    INTEGER NOT NULL REFERENCES prescription (id),
    drug_id            INTEGER NOT NULL REFERENCES drug (id),
    dose               TEXT    NOT NULL,
    route              TEXT    NOT NULL CHECK (route IN ('oral', 'sublingual', 'iv', 'im', 'sc', 'topical', 'inhaled',
                                                         'rectal', 'vaginal', 'eye', 'ear', 'nasal')),
    frequency          TEXT    NOT NULL CHECK (frequency IN ('od', 'bd', 'tds', 'qds', 'nocte', 'stat', 'prn',
                                                             'weekly')),
    duration_days      INTEGER NOT NULL CHECK (duration_days > 0),
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    instructions       TEXT    NOT NULL DEFAULT '',
    -- Why the doctor prescribed a drug that matches a recorded allergy.
    allergy_override   TEXT,
    dispensed_quantity INTEGER NOT NULL DEFAULT 0 CHECK (dispensed_quantity >= 0),
    created_at         INTEGER NOT NULL
);
CREATE INDEX prescription_item_prescription ON prescription_item (prescription_id);

CREATE TABLE lab_test (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    specimen          TEXT    NOT NULL,
    unit              TEXT    NOT NULL DEFAULT '',
    -- The usual range by sex; none for a test read as words ("negative").
    male_low          REAL,
    male_high         REAL,
    female_low        REAL,
    female_high       REAL,
    price             INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),
    active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX lab_test_name_key ON lab_test (LOWER(name));

CREATE TABLE lab_order (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id       INTEGER NOT NULL REFERENCES visit (id),
    patient_id     INTEGER NOT NULL REFERENCES patient (id),
    test_id        INTEGER NOT NULL REFERENCES lab_test (id),
    status         TEXT    NOT NULL CHECK (status IN ('ordered', 'resulted', 'released', 'cancelled')),
    note           TEXT    NOT NULL DEFAULT '',
    ordered_by     INTEGER NOT NULL REFERENCES staff (id),
    ordered_at     INTEGER NOT NULL,
    -- The result, with the unit and range it was read against (the catalogue may change later).
    result_value   TEXT,
    result_unit    TEXT,
    range_low      REAL,
    range_high     REAL,
    flag           TEXT    CHECK (flag IN ('low', 'normal', 'high', 'abnormal')),
    result_comment TEXT    NOT NULL DEFAULT '',
    resulted_by    INTEGER REFERENCES staff (id),
    resulted_at    INTEGER,
    released_by    INTEGER REFERENCES staff (id),
    released_at    INTEGER,
    updated_at     INTEGER NOT NULL
);
-- A test is ordered once per visit (a cancelled order may be ordered again).
CREATE UNIQUE INDEX lab_order_visit_test_key ON lab_order (visit_id, test_id) WHERE status <> 'cancelled';
CREATE INDEX lab_order_status ON lab_order (status, ordered_at);
CREATE INDEX lab_order_visit ON lab_order (visit_id);
CREATE INDEX lab_order_patient ON lab_order (patient_id, ordered_at);

CREATE TABLE procedure_type (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    price      INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX procedure_type_name_key ON procedure_type (LOWER(name));

-- The supplies a procedure uses from the pharmacy's stock, per procedure done.
CREATE TABLE procedure_supply (
    procedure_type_id INTEGER NOT NULL REFERENCES procedure_type (id),
    drug_id           INTEGER NOT NULL REFERENCES drug (id),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (procedure_type_id, drug_id)
);

CREATE TABLE visit_procedure (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id          INTEGER NOT NULL REFERENCES visit (id),
    procedure_type_id INTEGER NOT NULL REFERENCES procedure_type (id),
    note              TEXT    NOT NULL DEFAULT '',
    performed_by      INTEGER NOT NULL REFERENCES staff (id),
    performed_at      INTEGER NOT NULL
);
CREATE INDEX visit_procedure_visit ON visit_procedure (visit_id);

CREATE TABLE document (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id  INTEGER NOT NULL REFERENCES patient (id),
    visit_id    INTEGER REFERENCES visit (id),
    title       TEXT    NOT NULL,
    mime        TEXT    NOT NULL CHECK (mime IN ('application/pdf', 'image/jpeg', 'image/png')),
    size        INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES staff (id),
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX document_patient ON document (patient_id, uploaded_at);
CREATE INDEX document_visit ON document (visit_id);
