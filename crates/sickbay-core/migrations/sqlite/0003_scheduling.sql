-- Scheduling and booking: doctors' weekly hours, closures and leave, generated slots, appointments, the
-- waitlist and in-app notifications.

CREATE TABLE availability (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doctor_id    INTEGER NOT NULL REFERENCES staff (id),
    -- ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    -- Minutes after midnight in the clinic's time zone.
    start_minute INTEGER NOT NULL CHECK (start_minute >= 0 AND start_minute < 1440),
    end_minute   INTEGER NOT NULL CHECK (end_minute > start_minute AND end_minute <= 1440),
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    capacity     INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 100),
    valid_from   TEXT    NOT NULL,
    valid_until  TEXT,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX availability_doctor ON availability (doctor_id, weekday);

-- A day the whole clinic is closed (doctor_id NULL) or a doctor's leave day.
CREATE TABLE closure (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    day        TEXT    NOT NULL,
    doctor_id  INTEGER REFERENCES staff (id),
    reason     TEXT    NOT NULL,
    created_by INTEGER REFERENCES staff (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX closure_day_key ON closure (day, COALESCE(doctor_id, 0));

CREATE TABLE slot (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    doctor_id       INTEGER NOT NULL REFERENCES staff (id),
    day             TEXT    NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    capacity        INTEGER NOT NULL CHECK (capacity >= 1),
    -- Seats taken. The CHECK is the last line of defence: no code path can overbook a slot.
    booked          INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    blocked         INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    block_reason    TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE UNIQUE INDEX slot_doctor_start_key ON slot (doctor_id, starts_at);
CREATE INDEX slot_day ON slot (day, starts_at);

CREATE TABLE appointment (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id         INTEGER NOT NULL REFERENCES patient (id),
    slot_id            INTEGER NOT NULL REFERENCES slot (id),
    -- The slot's day, kept here for the one-booking-per-day rule and day lists.
    day                TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('booked', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show')),
    reason             TEXT    NOT NULL DEFAULT '',
    booked_by_staff_id INTEGER REFERENCES staff (id),
    override_reason    TEXT    NOT NULL DEFAULT '',
    cancel_reason      TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
-- A patient holds at most one live booking for a slot, whatever races happen.
CREATE UNIQUE INDEX appointment_live_key ON appointment (patient_id, slot_id)
    WHERE status IN ('booked', 'checked_in', 'in_consultation');
CREATE INDEX appointment_patient_day ON appointment (patient_id, day);
CREATE INDEX appointment_slot ON appointment (slot_id, status);

CREATE TABLE waitlist_entry (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id      INTEGER NOT NULL REFERENCES patient (id),
    day             TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('waiting', 'offered', 'accepted', 'cancelled')),
    offered_slot_id INTEGER REFERENCES slot (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX waitlist_live_key ON waitlist_entry (patient_id, day) WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_day ON waitlist_entry (day, status, id);

CREATE TABLE notification (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    message    TEXT    NOT NULL,
    link       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notification_patient ON notification (patient_id, id);
