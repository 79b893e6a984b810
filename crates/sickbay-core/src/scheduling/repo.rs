//! All SQL of scheduling: hours, closures, slots, appointments and the waitlist.

pub use super::model::AppointmentView;
use super::model::{AppointmentStatus, Closures, Hours, LIVE_STATUSES, SlotSpec, WaitlistEntry};
use crate::db::{Date, Flag, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id, run};
use crate::words::count;

// ---- hours -------------------------------------------------------------------------------------------

const HOURS_COLUMNS: &str =
    "id, doctor_id, weekday, start_minute, end_minute, slot_minutes, capacity, valid_from, valid_until, active";

pub async fn hours_of(mut db: impl Reader, doctor_id: i64) -> Result<Vec<Hours>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {HOURS_COLUMNS} FROM doctor_hours WHERE doctor_id = $1 ORDER BY active DESC, weekday, start_minute"
    ))
    .bind(doctor_id)
    .fetch_all(db.exec())
    .await
}

pub async fn active_hours_in(tx: &mut Tx, doctor_id: i64) -> Result<Vec<Hours>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {HOURS_COLUMNS} FROM doctor_hours WHERE doctor_id = $1 AND active = 1"
    ))
    .bind(doctor_id)
    .fetch_all(&mut **tx)
    .await
}

pub async fn all_active_hours(tx: &mut Tx) -> Result<Vec<Hours>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {HOURS_COLUMNS} FROM doctor_hours a WHERE active = 1
         AND EXISTS (SELECT 1 FROM staff s WHERE s.id = a.doctor_id AND s.active = 1 AND s.role = 'doctor')"
    ))
    .fetch_all(&mut **tx)
    .await
}

pub async fn hours(db: impl Reader, id: i64) -> Result<Option<Hours>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {HOURS_COLUMNS} FROM doctor_hours WHERE id = $1"),
        id,
    )
    .await
}

pub async fn insert_hours(tx: &mut Tx, a: &Hours) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO doctor_hours (doctor_id, weekday, start_minute, end_minute, slot_minutes, capacity, valid_from,
             valid_until, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id",
    )
    .bind(a.doctor_id)
    .bind(a.weekday)
    .bind(a.start_minute)
    .bind(a.end_minute)
    .bind(a.slot_minutes)
    .bind(a.capacity)
    .bind(a.valid_from)
    .bind(a.valid_until)
    .bind(now);
    inserted_id(tx, query).await
}

pub async fn deactivate_hours(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE doctor_hours SET active = 0, updated_at = $1 WHERE id = $2 AND active = 1")
            .bind(Timestamp::now())
            .bind(id),
    )
    .await
}

// ---- closures ----------------------------------------------------------------------------------------

pub async fn closures_between(tx: &mut Tx, from: Date, to: Date) -> Result<Closures, sqlx::Error> {
    let rows: Vec<(Date, Option<i64>)> =
        sqlx::query_as("SELECT day, doctor_id FROM closure WHERE day >= $1 AND day <= $2")
            .bind(from)
            .bind(to)
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows.into_iter().map(|(day, doctor)| (day.0, doctor)).collect())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Closure {
    pub id: i64,
    pub day: Date,
    pub doctor_id: Option<i64>,
    pub doctor_name: Option<String>,
    pub reason: String,
}

pub async fn upcoming_closures(mut db: impl Reader, from: Date) -> Result<Vec<Closure>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.day, c.doctor_id, s.full_name AS doctor_name, c.reason FROM closure c
         LEFT JOIN staff s ON s.id = c.doctor_id WHERE c.day >= $1 ORDER BY c.day, c.id",
    )
    .bind(from)
    .fetch_all(db.exec())
    .await
}

/// Adds a closure; `false` when that day is already closed for the same scope.
pub async fn insert_closure(
    tx: &mut Tx,
    day: Date,
    doctor_id: Option<i64>,
    reason: &str,
    by: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO closure (day, doctor_id, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(day)
    .bind(doctor_id)
    .bind(reason)
    .bind(by)
    .bind(Timestamp::now())
    .fetch_optional(&mut **tx)
    .await
}

pub async fn closure(db: impl Reader, id: i64) -> Result<Option<Closure>, sqlx::Error> {
    row_by_id(
        db,
        "SELECT c.id, c.day, c.doctor_id, s.full_name AS doctor_name, c.reason FROM closure c
         LEFT JOIN staff s ON s.id = c.doctor_id WHERE c.id = $1",
        id,
    )
    .await
}

pub async fn delete_closure(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM closure WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1)
}

// ---- slots -------------------------------------------------------------------------------------------

/// Inserts the slots that don't exist yet; returns how many were new.
pub async fn insert_slots(tx: &mut Tx, specs: &[SlotSpec]) -> Result<u64, sqlx::Error> {
    let now = Timestamp::now();
    let mut created = 0;
    for spec in specs {
        created += sqlx::query(
            "INSERT INTO slot (doctor_id, day, starts_at, ends_at, capacity, booked, blocked, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, 0, $6) ON CONFLICT (doctor_id, starts_at) DO NOTHING",
        )
        .bind(spec.doctor_id)
        .bind(spec.day)
        .bind(spec.starts_at)
        .bind(spec.ends_at)
        .bind(spec.capacity)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(created)
}

/// A slot as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Slot {
    pub id: i64,
    pub doctor_id: i64,
    pub day: Date,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub capacity: i64,
    pub booked: i64,
    #[sqlx(try_from = "Flag")]
    pub blocked: bool,
    pub block_reason: String,
}

/// A slot with the number of appointments ever made on it (cancelled ones too), for slot generation.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SlotUse {
    #[sqlx(flatten)]
    pub slot: Slot,
    pub history: i64,
}

impl Slot {
    pub fn spec(&self) -> SlotSpec {
        SlotSpec {
            doctor_id: self.doctor_id,
            day: self.day,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            capacity: self.capacity,
        }
    }
}

const SLOT_COLUMNS: &str =
    "sl.id, sl.doctor_id, sl.day, sl.starts_at, sl.ends_at, sl.capacity, sl.booked, sl.blocked, sl.block_reason";

/// Slots that start after `now`, of one doctor or of all, with their appointment counts.
pub async fn future_slots(tx: &mut Tx, doctor_id: Option<i64>, now: Timestamp) -> Result<Vec<SlotUse>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS}, COUNT(a.id) AS history FROM slot sl LEFT JOIN appointment a ON a.slot_id = sl.id
         WHERE sl.starts_at > $1 AND ($2 = 0 OR sl.doctor_id = $2) GROUP BY sl.id ORDER BY sl.starts_at"
    ))
    .bind(now)
    .bind(doctor_id.unwrap_or(0))
    .fetch_all(&mut **tx)
    .await
}

pub async fn slot(db: impl Reader, id: i64) -> Result<Option<Slot>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {SLOT_COLUMNS} FROM slot sl WHERE sl.id = $1"), id).await
}

/// A doctor's slots on a day at a glance: how many, how many of them blocked, and the places booked of the
/// places offered in the others ([`DayCounts::summary`] words them).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DayCounts {
    pub day: Date,
    pub slots: i64,
    pub blocked: i64,
    pub booked: i64,
    pub capacity: i64,
}

impl DayCounts {
    /// A day without slots.
    pub fn none(day: Date) -> Self {
        DayCounts {
            day,
            slots: 0,
            blocked: 0,
            booked: 0,
            capacity: 0,
        }
    }

    /// "40 times open · 17 of 40 places taken · 2 blocked", or "All 6 times blocked". Places, not times, are
    /// booked: a time may take several patients. "Taken", so that it is not read as the appointments' status.
    pub fn summary(&self) -> String {
        let open = self.slots - self.blocked;
        if open == 0 {
            return match self.blocked {
                1 => "1 time, blocked".to_owned(),
                n => format!("All {n} times blocked"),
            };
        }
        let mut words = format!(
            "{} open · {} of {} taken",
            count(open, "time", "times"),
            self.booked,
            count(self.capacity, "place", "places")
        );
        if self.blocked > 0 {
            words.push_str(&format!(" · {} blocked", self.blocked));
        }
        words
    }

    /// "17/40 taken": the places booked of those offered, for a calendar's column head.
    pub fn taken(&self) -> String {
        format!("{}/{} taken", self.booked, self.capacity)
    }
}

/// [`DayCounts`] of a doctor's days `from..=to` that have slots, counted in the database.
pub async fn day_counts(
    mut db: impl Reader,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<DayCounts>, sqlx::Error> {
    sqlx::query_as(
        "SELECT day, COUNT(*) AS slots, CAST(COALESCE(SUM(blocked), 0) AS BIGINT) AS blocked,
                CAST(COALESCE(SUM(CASE WHEN blocked = 0 THEN booked ELSE 0 END), 0) AS BIGINT) AS booked,
                CAST(COALESCE(SUM(CASE WHEN blocked = 0 THEN capacity ELSE 0 END), 0) AS BIGINT) AS capacity
         FROM slot WHERE doctor_id = $1 AND day >= $2 AND day <= $3 GROUP BY day",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// How many appointments of one status a doctor's day holds.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StatusCount {
    pub day: Date,
    pub status: AppointmentStatus,
    pub count: i64,
}

/// [`StatusCount`]s of a doctor's days `from..=to`, counted in the database from the indexes alone.
pub async fn status_counts(
    mut db: impl Reader,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<StatusCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT sl.day, a.status, COUNT(*) AS count FROM slot sl JOIN appointment a ON a.slot_id = sl.id
         WHERE sl.doctor_id = $1 AND sl.day >= $2 AND sl.day <= $3 GROUP BY sl.day, a.status",
    )
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// A doctor's slots on the days `from..=to`, in time order.
pub async fn slots_between(
    mut db: impl Reader,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<Slot>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS} FROM slot sl WHERE sl.doctor_id = $1 AND sl.day >= $2 AND sl.day <= $3 ORDER BY sl.starts_at"
    ))
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// The ids of the doctors with slots on any of the days `from..=to`.
pub async fn doctors_with_slots(mut db: impl Reader, from: Date, to: Date) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT doctor_id FROM slot WHERE day >= $1 AND day <= $2")
        .bind(from)
        .bind(to)
        .fetch_all(db.exec())
        .await
}

pub async fn delete_slot(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("DELETE FROM slot WHERE id = $1 AND booked = 0").bind(id),
    )
    .await
}

pub async fn set_blocked(tx: &mut Tx, id: i64, blocked: bool, reason: &str) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE slot SET blocked = $1, block_reason = $2 WHERE id = $3")
            .bind(Flag(blocked))
            .bind(reason)
            .bind(id),
    )
    .await
}

/// Blocks a doctor's open times that overlap `from..until` and start after `now`; their ids.
pub async fn block_stretch(
    tx: &mut Tx,
    doctor_id: i64,
    (from, until): (Timestamp, Timestamp),
    reason: &str,
    now: Timestamp,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE slot SET blocked = $1, block_reason = $2
         WHERE doctor_id = $3 AND starts_at < $4 AND ends_at > $5 AND starts_at > $6 AND blocked = $7
         RETURNING id",
    )
    .bind(Flag(true))
    .bind(reason)
    .bind(doctor_id)
    .bind(until)
    .bind(from)
    .bind(now)
    .bind(Flag(false))
    .fetch_all(&mut **tx)
    .await
}

/// Past slots nobody ever booked are of no use.
pub async fn delete_unused_past_slots(tx: &mut Tx, now: Timestamp) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM slot WHERE ends_at < $1 AND booked = 0
         AND NOT EXISTS (SELECT 1 FROM appointment a WHERE a.slot_id = slot.id)",
    )
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// An open slot as a patient chooses it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OpenSlot {
    pub id: i64,
    pub doctor_id: i64,
    pub doctor_name: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub capacity: i64,
    pub seats_left: i64,
    /// How many open slots the doctor has that day, shown or not.
    pub doctor_open: i64,
}

/// The starts of the slots that may be offered: from `earliest` to `latest` (see `model::BookingWindow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Starts {
    pub earliest: Timestamp,
    pub latest: Timestamp,
}

/// The bookable slots of a day (not blocked, not full, starting within `starts`): each doctor's first
/// `per_doctor` in time order, and the slot `keep` wherever it falls.
pub async fn open_slots(
    mut db: impl Reader,
    day: Date,
    doctor_id: Option<i64>,
    starts: Starts,
    per_doctor: i64,
    keep: Option<i64>,
) -> Result<Vec<OpenSlot>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, doctor_id, doctor_name, starts_at, ends_at, capacity, seats_left, doctor_open FROM (
             SELECT sl.id, sl.doctor_id, s.full_name AS doctor_name, sl.starts_at, sl.ends_at, sl.capacity,
                    sl.capacity - sl.booked AS seats_left,
                    ROW_NUMBER() OVER (PARTITION BY sl.doctor_id ORDER BY sl.starts_at, sl.id) AS nth,
                    COUNT(*) OVER (PARTITION BY sl.doctor_id) AS doctor_open
             FROM slot sl JOIN staff s ON s.id = sl.doctor_id
             WHERE sl.day = $1 AND sl.blocked = 0 AND sl.booked < sl.capacity AND sl.starts_at >= $2
               AND sl.starts_at <= $6 AND ($3 = 0 OR sl.doctor_id = $3) AND s.active = 1
         ) open_slot
         WHERE nth <= $4 OR id = $5
         ORDER BY starts_at, doctor_name",
    )
    .bind(day)
    .bind(starts.earliest)
    .bind(doctor_id.unwrap_or(0))
    .bind(per_doctor)
    .bind(keep.unwrap_or(0))
    .bind(starts.latest)
    .fetch_all(db.exec())
    .await
}

/// Seats at a glance for the days `from`..=`to`: per day with slots, how many slots it has (not blocked, an active
/// doctor), how many of them start within `starts` (may still be offered), and how many seats are free in those.
/// Days without a row have no slots.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DaySeats {
    pub day: Date,
    pub slots: i64,
    pub in_window: i64,
    pub free: i64,
}

pub async fn seats_by_day(
    mut db: impl Reader,
    from: Date,
    to: Date,
    doctor_id: Option<i64>,
    starts: Starts,
) -> Result<Vec<DaySeats>, sqlx::Error> {
    sqlx::query_as(
        "SELECT sl.day, COUNT(*) AS slots,
                CAST(COALESCE(SUM(CASE WHEN sl.starts_at >= $3 AND sl.starts_at <= $5 THEN 1 ELSE 0 END), 0)
                     AS BIGINT) AS in_window,
                CAST(COALESCE(SUM(CASE WHEN sl.starts_at >= $3 AND sl.starts_at <= $5 AND sl.booked < sl.capacity
                                       THEN sl.capacity - sl.booked ELSE 0 END), 0) AS BIGINT) AS free
         FROM slot sl JOIN staff s ON s.id = sl.doctor_id
         WHERE sl.day >= $1 AND sl.day <= $2 AND sl.blocked = 0 AND ($4 = 0 OR sl.doctor_id = $4) AND s.active = 1
         GROUP BY sl.day",
    )
    .bind(from)
    .bind(to)
    .bind(starts.earliest)
    .bind(doctor_id.unwrap_or(0))
    .bind(starts.latest)
    .fetch_all(db.exec())
    .await
}

// ---- appointments ------------------------------------------------------------------------------------

/// Takes a seat if one is left: the one atomic step that makes overbooking impossible.
pub async fn take_seat(tx: &mut Tx, slot_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE slot SET booked = booked + 1 WHERE id = $1 AND booked < capacity AND blocked = 0")
            .bind(slot_id),
    )
    .await
}

pub async fn release_seat(tx: &mut Tx, slot_id: i64) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("UPDATE slot SET booked = booked - 1 WHERE id = $1 AND booked > 0").bind(slot_id),
    )
    .await
}

/// Live bookings of a patient from `now` on, and on `day`; in a booking's transaction, or on the pool to tell a
/// patient before they choose.
pub async fn holdings(
    mut db: impl Reader,
    patient_id: i64,
    day: Date,
    now: Timestamp,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN sl.ends_at > $2 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN a.day = $3 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM appointment a JOIN slot sl ON sl.id = a.slot_id
         WHERE a.patient_id = $1 AND a.status IN {LIVE_STATUSES}"
    ))
    .bind(patient_id)
    .bind(now)
    .bind(day)
    .fetch_one(db.exec())
    .await
}

/// The days from `from` on which a patient holds a live appointment (the booking picker opens elsewhere).
pub async fn held_days(mut db: impl Reader, patient_id: i64, from: Date) -> Result<Vec<Date>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT DISTINCT a.day FROM appointment a
         WHERE a.patient_id = $1 AND a.day >= $2 AND a.status IN {LIVE_STATUSES}"
    ))
    .bind(patient_id)
    .bind(from)
    .fetch_all(db.exec())
    .await
}

pub struct NewAppointment<'a> {
    pub patient_id: i64,
    pub slot_id: i64,
    pub day: Date,
    pub reason: &'a str,
    pub booked_by_staff_id: Option<i64>,
    pub override_reason: &'a str,
}

/// Inserts a booking; a unique violation means the patient already holds this slot.
pub async fn insert_appointment(tx: &mut Tx, a: &NewAppointment<'_>) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO appointment (patient_id, slot_id, day, status, reason, booked_by_staff_id, override_reason,
             created_at, updated_at)
         VALUES ($1, $2, $3, 'booked', $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(a.patient_id)
    .bind(a.slot_id)
    .bind(a.day)
    .bind(a.reason)
    .bind(a.booked_by_staff_id)
    .bind(a.override_reason)
    .bind(now);
    inserted_id(tx, query).await
}

/// How many of a patient's past and cancelled appointments their lists show.
const HISTORY_SHOWN: i64 = 100;

const APPOINTMENT_COLUMNS: &str =
    "a.id, a.patient_id, p.first_name || ' ' || p.surname AS patient_name, p.clinic_number,
    COALESCE(p.phone, '') AS patient_phone,
    a.slot_id, sl.doctor_id, s.full_name AS doctor_name, a.day, sl.starts_at, sl.ends_at, a.status, a.reason,
    a.cancel_reason, a.override_reason, a.moved_to_id AS moved_to";
const APPOINTMENT_FROM: &str = "FROM appointment a JOIN slot sl ON sl.id = a.slot_id JOIN staff s ON s.id = sl.doctor_id JOIN patient p ON p.id = a.patient_id";

/// The patient's next booked appointment, not checked in yet, that has not ended by `now` (one checked in is
/// their ticket in the queue): read from the few live ones of the partial index `appointment_live_key`, not
/// every appointment they ever had.
pub async fn next_appointment_of_patient(
    mut db: impl Reader,
    patient_id: i64,
    now: Timestamp,
) -> Result<Option<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM}
         WHERE a.patient_id = $1 AND a.status IN {LIVE_STATUSES} AND a.status = 'booked' AND sl.ends_at > $2
         ORDER BY sl.starts_at LIMIT 1"
    ))
    .bind(patient_id)
    .bind(now)
    .fetch_optional(db.exec())
    .await
}

/// Every live appointment of the patient, whatever their history holds, and the latest of the others (up to
/// [`HISTORY_SHOWN`]), latest first: a patient who booked and cancelled a hundred times still sees the one they
/// hold.
pub async fn appointments_of_patient(
    mut db: impl Reader,
    patient_id: i64,
) -> Result<Vec<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM} WHERE a.patient_id = $1
         AND (a.status IN {LIVE_STATUSES} OR a.id IN (
             SELECT h.id FROM appointment h JOIN slot hs ON hs.id = h.slot_id
             WHERE h.patient_id = $1 AND h.status NOT IN {LIVE_STATUSES}
             ORDER BY hs.starts_at DESC, h.id DESC LIMIT {HISTORY_SHOWN}))
         ORDER BY sl.starts_at DESC, a.id DESC"
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

pub async fn appointment(db: impl Reader, id: i64) -> Result<Option<AppointmentView>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM} WHERE a.id = $1"),
        id,
    )
    .await
}

/// The appointments in a doctor's slots between two days, read through their slots (index `slot_doctor_day`).
pub async fn appointments_between(
    db: impl Reader,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<AppointmentView>, sqlx::Error> {
    doctor_appointments(db, doctor_id, (from, to), "").await
}

/// A doctor's appointments still to happen (booked, here or with the doctor) on the days `from..=to`, in time
/// order: the week view lists them.
pub async fn live_appointments_between(
    db: impl Reader,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<AppointmentView>, sqlx::Error> {
    doctor_appointments(db, doctor_id, (from, to), &format!("AND a.status IN {LIVE_STATUSES}")).await
}

/// A doctor's appointments on the days `from..=to` that meet `and` (a condition of the code, never input), in
/// time order.
async fn doctor_appointments(
    mut db: impl Reader,
    doctor_id: i64,
    (from, to): (Date, Date),
    and: &str,
) -> Result<Vec<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM}
         WHERE sl.doctor_id = $1 AND sl.day >= $2 AND sl.day <= $3 {and} ORDER BY sl.starts_at, a.id"
    ))
    .bind(doctor_id)
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// Every doctor's appointments on a day in one status, in time order (index `appointment_day`).
pub async fn appointments_on(
    mut db: impl Reader,
    day: Date,
    status: AppointmentStatus,
) -> Result<Vec<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM} WHERE a.day = $1 AND a.status = $2 ORDER BY sl.starts_at, a.id"
    ))
    .bind(day)
    .bind(status)
    .fetch_all(db.exec())
    .await
}

/// The patient's first appointment of `day` still to check in, if they hold one.
pub async fn booked_of_patient_on(
    mut db: impl Reader,
    patient_id: i64,
    day: Date,
) -> Result<Option<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM}
         WHERE a.patient_id = $1 AND a.day = $2 AND a.status = 'booked' ORDER BY sl.starts_at, a.id LIMIT 1"
    ))
    .bind(patient_id)
    .bind(day)
    .fetch_optional(db.exec())
    .await
}

/// Every doctor's appointments on a day counted by status, from the index `appointment_day` alone.
pub async fn day_status_counts(mut db: impl Reader, day: Date) -> Result<Vec<(AppointmentStatus, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, COUNT(*) FROM appointment WHERE day = $1 GROUP BY status")
        .bind(day)
        .fetch_all(db.exec())
        .await
}

/// The live bookings on a slot (to report when a slot or day is taken away).
pub async fn live_on_slot(tx: &mut Tx, slot_id: i64) -> Result<Vec<AppointmentView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {APPOINTMENT_COLUMNS} {APPOINTMENT_FROM}
         WHERE a.slot_id = $1 AND a.status IN {LIVE_STATUSES} ORDER BY a.id"
    ))
    .bind(slot_id)
    .fetch_all(&mut **tx)
    .await
}

/// Moves an appointment from one status to another; only one caller can win.
pub async fn change_status(
    tx: &mut Tx,
    id: i64,
    from: AppointmentStatus,
    to: AppointmentStatus,
    cancel_reason: &str,
) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE appointment SET status = $1, cancel_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(to)
        .bind(cancel_reason)
        .bind(Timestamp::now())
        .bind(id)
        .bind(from),
    )
    .await
}

/// Records that the patient moved the (cancelled) booking `id` to `to`.
pub async fn mark_moved(tx: &mut Tx, id: i64, to: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE appointment SET moved_to_id = $1 WHERE id = $2")
        .bind(to)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks as no-shows the bookings whose slot ended before `cutoff` without a check-in; returns them.
pub async fn mark_no_shows(tx: &mut Tx, cutoff: Timestamp) -> Result<Vec<(i64, i64, Date)>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE appointment SET status = 'no_show', updated_at = $1
         WHERE status = 'booked' AND slot_id IN (SELECT id FROM slot WHERE ends_at < $2)
         RETURNING id, patient_id, day",
    )
    .bind(Timestamp::now())
    .bind(cutoff)
    .fetch_all(&mut **tx)
    .await
}

// ---- waitlist --------------------------------------------------------------------------------------

/// Joins a day's waitlist; `false` when already on it.
pub async fn join_waitlist(tx: &mut Tx, patient_id: i64, day: Date) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO waitlist_entry (patient_id, day, status, created_at, updated_at) VALUES ($1, $2, 'waiting', $3, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(patient_id)
    .bind(day)
    .bind(now);
    changed_one_row(tx, query).await
}

pub async fn leave_waitlist(tx: &mut Tx, patient_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE waitlist_entry SET status = 'cancelled', updated_at = $1
         WHERE id = $2 AND patient_id = $3 AND status IN ('waiting', 'offered')",
        )
        .bind(Timestamp::now())
        .bind(id)
        .bind(patient_id),
    )
    .await
}

/// Offers a freed seat to the first patient waiting for that day; returns who, if anyone.
pub async fn offer_to_first_waiting(tx: &mut Tx, day: Date, slot_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let first: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, patient_id FROM waitlist_entry WHERE day = $1 AND status = 'waiting' ORDER BY id LIMIT 1",
    )
    .bind(day)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((entry, patient)) = first else { return Ok(None) };
    let done = sqlx::query(
        "UPDATE waitlist_entry SET status = 'offered', offered_slot_id = $1, updated_at = $2 WHERE id = $3 AND status = 'waiting'",
    )
    .bind(slot_id)
    .bind(Timestamp::now())
    .bind(entry)
    .execute(&mut **tx)
    .await?;
    Ok((done.rows_affected() == 1).then_some(patient))
}

/// The patient's entries for a day once they have booked it.
pub async fn settle_waitlist(tx: &mut Tx, patient_id: i64, day: Date) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query(
            "UPDATE waitlist_entry SET status = 'accepted', updated_at = $1
         WHERE patient_id = $2 AND day = $3 AND status IN ('waiting', 'offered')",
        )
        .bind(Timestamp::now())
        .bind(patient_id)
        .bind(day),
    )
    .await
}

pub async fn waitlist_of(mut db: impl Reader, patient_id: i64, from: Date) -> Result<Vec<WaitlistEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, day, status, offered_slot_id FROM waitlist_entry
         WHERE patient_id = $1 AND day >= $2 AND status IN ('waiting', 'offered') ORDER BY day",
    )
    .bind(patient_id)
    .bind(from)
    .fetch_all(db.exec())
    .await
}

/// A live booking that may still have a reminder to come.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReminderCandidate {
    pub id: i64,
    pub booked_at: Timestamp,
    pub starts_at: Timestamp,
    pub reminder_stage: Option<i64>,
}

/// Bookings starting in (`now`, `until`] whose last reminder, if any, was further from the start than
/// `nearest` hours.
pub async fn reminder_candidates(
    mut db: impl Reader,
    now: Timestamp,
    until: Timestamp,
    nearest: i64,
) -> Result<Vec<ReminderCandidate>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, a.created_at AS booked_at, sl.starts_at, a.reminder_stage
         FROM slot sl JOIN appointment a ON a.slot_id = sl.id
         WHERE sl.starts_at > $1 AND sl.starts_at <= $2 AND a.status = 'booked'
           AND (a.reminder_stage IS NULL OR a.reminder_stage > $3)",
    )
    .bind(now)
    .bind(until)
    .bind(nearest)
    .fetch_all(db.exec())
    .await
}

/// Moves a live booking's reminder stage to `hours`; `false` when another run got there first.
pub async fn advance_reminder(tx: &mut Tx, id: i64, hours: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE appointment SET reminder_stage = $1
         WHERE id = $2 AND status = 'booked' AND (reminder_stage IS NULL OR reminder_stage > $1)",
    )
    .bind(hours)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(slots: i64, blocked: i64, booked: i64, capacity: i64) -> DayCounts {
        DayCounts {
            day: Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date")),
            slots,
            blocked,
            booked,
            capacity,
        }
    }

    #[test]
    fn a_day_counts_its_open_times_the_places_taken_in_them_and_the_blocked_ones() {
        assert_eq!(counts(42, 0, 17, 42).summary(), "42 times open · 17 of 42 places taken");
        assert_eq!(
            counts(48, 6, 13, 42).summary(),
            "42 times open · 13 of 42 places taken · 6 blocked"
        );
        assert_eq!(counts(1, 0, 1, 1).summary(), "1 time open · 1 of 1 place taken");
        assert_eq!(counts(6, 6, 0, 0).summary(), "All 6 times blocked");
        assert_eq!(counts(1, 1, 0, 0).summary(), "1 time, blocked");
        assert_eq!(counts(48, 6, 13, 42).taken(), "13/42 taken");
    }
}
