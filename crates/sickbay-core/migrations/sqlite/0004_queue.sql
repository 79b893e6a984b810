-- The live queue: consulting rooms, the room each doctor works in for a day, and tickets.

CREATE TABLE room (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- What the display and the spoken call say: "Room 3".
    name       TEXT    NOT NULL,
    -- The prefix of the tickets of the doctor working here: "A" gives A-001, A-002, ...
    code       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX room_name_key ON room (LOWER(name));
CREATE UNIQUE INDEX room_code_key ON room (code);

-- A doctor works in one room for a day, and a room holds one doctor.
CREATE TABLE room_assignment (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day        TEXT    NOT NULL,
    doctor_id  INTEGER NOT NULL REFERENCES staff (id),
    room_id    INTEGER NOT NULL REFERENCES room (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX room_assignment_doctor_key ON room_assignment (day, doctor_id);
CREATE UNIQUE INDEX room_assignment_room_key ON room_assignment (day, room_id);

CREATE TABLE ticket (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    day            TEXT    NOT NULL,
    -- "A-012": the prefix and the day's number for that prefix, issued from a sequence_counter row.
    code           TEXT    NOT NULL,
    patient_id     INTEGER NOT NULL REFERENCES patient (id),
    appointment_id INTEGER REFERENCES appointment (id),
    -- NULL: the day's general queue, which every doctor's "call next" also serves.
    doctor_id      INTEGER REFERENCES staff (id),
    -- The room the ticket was called to.
    room_id        INTEGER REFERENCES room (id),
    priority       TEXT    NOT NULL CHECK (priority IN ('emergency', 'urgent', 'normal')),
    -- The place within a priority: the appointment's start for a booked patient, the arrival for a walk-in.
    order_at       INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('waiting', 'called', 'with_doctor', 'completed', 'no_show', 'cancelled')),
    skips          INTEGER NOT NULL DEFAULT 0,
    calls          INTEGER NOT NULL DEFAULT 0,
    checked_in_at  INTEGER NOT NULL,
    called_at      INTEGER,
    last_called_at INTEGER,
    started_at     INTEGER,
    finished_at    INTEGER,
    created_by     INTEGER REFERENCES staff (id),
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX ticket_day_code_key ON ticket (day, code);
-- A patient holds at most one open ticket, and an appointment at most one ticket.
CREATE UNIQUE INDEX ticket_open_patient_key ON ticket (patient_id) WHERE status IN ('waiting', 'called', 'with_doctor');
CREATE UNIQUE INDEX ticket_appointment_key ON ticket (appointment_id);
CREATE INDEX ticket_day_status ON ticket (day, status, doctor_id);
