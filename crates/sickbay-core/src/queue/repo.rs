//! All SQL of the queue: rooms, the day's room assignments, tickets and their moves.

use crate::db::Connection;
use sqlx::FromRow;

use super::model::{Move, Priority, Queued, TicketStatus, TicketTimes};
use crate::db::{Date, Flag, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id};

/// The one queue order, used by "call next", the boards, the display and the patient's place: priority
/// first, then the order key (appointment time or arrival), then the ticket's number.
const QUEUE_ORDER: &str = "CASE t.priority WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, t.order_at, t.id";

// ---- rooms -------------------------------------------------------------------------------------------

#[derive(Clone, Debug, FromRow)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub active: Flag,
}

pub async fn rooms(mut db: impl Reader) -> Result<Vec<Room>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, code, active FROM room ORDER BY active DESC, name")
        .fetch_all(db.exec())
        .await
}

pub async fn room(db: impl Reader, id: i64) -> Result<Option<Room>, sqlx::Error> {
    row_by_id(db, "SELECT id, name, code, active FROM room WHERE id = $1", id).await
}

pub async fn insert_room(tx: &mut Tx, name: &str, code: &str) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO room (name, code, active, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
    )
    .bind(name)
    .bind(code)
    .bind(now);
    inserted_id(tx, query).await
}

pub async fn update_room(tx: &mut Tx, id: i64, name: &str, code: &str, active: bool) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE room SET name = $1, code = $2, active = $3, updated_at = $4 WHERE id = $5")
            .bind(name)
            .bind(code)
            .bind(Flag(active))
            .bind(Timestamp::now())
            .bind(id),
    )
    .await
}

// ---- where doctors work today ------------------------------------------------------------------------

/// A doctor's room on a day.
#[derive(Clone, Debug, FromRow)]
pub struct Assignment {
    pub doctor_id: i64,
    pub doctor_name: String,
    pub room_id: i64,
    pub room_name: String,
    pub room_code: String,
}

const ASSIGNMENT_SELECT: &str = "SELECT ra.doctor_id, s.full_name AS doctor_name, r.id AS room_id, r.name AS room_name,
        r.code AS room_code
     FROM room_assignment ra JOIN room r ON r.id = ra.room_id JOIN staff s ON s.id = ra.doctor_id";

pub async fn assignments(mut db: impl Reader, day: Date) -> Result<Vec<Assignment>, sqlx::Error> {
    sqlx::query_as(&format!("{ASSIGNMENT_SELECT} WHERE ra.day = $1 ORDER BY r.name"))
        .bind(day)
        .fetch_all(db.exec())
        .await
}

pub async fn assignment_of(
    conn: &mut Connection,
    day: Date,
    doctor_id: i64,
) -> Result<Option<Assignment>, sqlx::Error> {
    sqlx::query_as(&format!("{ASSIGNMENT_SELECT} WHERE ra.day = $1 AND ra.doctor_id = $2"))
        .bind(day)
        .bind(doctor_id)
        .fetch_optional(conn)
        .await
}

/// Puts a doctor in a room for the day (replacing their earlier choice). A room already taken that day
/// fails on the unique index.
pub async fn assign_room(tx: &mut Tx, day: Date, doctor_id: i64, room_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM room_assignment WHERE day = $1 AND doctor_id = $2")
        .bind(day)
        .bind(doctor_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO room_assignment (day, doctor_id, room_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(day)
        .bind(doctor_id)
        .bind(room_id)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn is_active_doctor(db: impl Reader, id: i64) -> Result<bool, sqlx::Error> {
    Ok(active_doctor_name(db, id).await?.is_some())
}

/// The name of doctor `id`, if they are an active doctor.
pub async fn active_doctor_name(mut db: impl Reader, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT full_name FROM staff WHERE id = $1 AND role = 'doctor' AND active = 1")
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

pub async fn is_active_room(mut db: impl Reader, id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM room WHERE id = $1 AND active = 1")
        .bind(id)
        .fetch_optional(db.exec())
        .await?;
    Ok(found.is_some())
}

// ---- tickets -----------------------------------------------------------------------------------------

pub struct NewTicket<'a> {
    pub day: Date,
    pub code: &'a str,
    pub patient_id: i64,
    pub appointment_id: Option<i64>,
    pub doctor_id: Option<i64>,
    pub priority: Priority,
    pub order_at: Timestamp,
    pub created_by: i64,
}

/// Inserts a waiting ticket. Fails on a unique index when the patient already holds an open ticket or the
/// appointment already has one.
pub async fn insert_ticket(tx: &mut Tx, t: &NewTicket<'_>) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO ticket (day, code, patient_id, appointment_id, doctor_id, priority, order_at, status,
             checked_in_at, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9, $8) RETURNING id",
    )
    .bind(t.day)
    .bind(t.code)
    .bind(t.patient_id)
    .bind(t.appointment_id)
    .bind(t.doctor_id)
    .bind(t.priority)
    .bind(t.order_at)
    .bind(now)
    .bind(t.created_by);
    inserted_id(tx, query).await
}

/// A ticket with what the boards show beside it.
#[derive(Clone, Debug, FromRow)]
pub struct Ticket {
    pub id: i64,
    pub day: Date,
    pub code: String,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub appointment_id: Option<i64>,
    /// The booked time, for checked-in appointments.
    pub appointment_at: Option<Timestamp>,
    pub doctor_id: Option<i64>,
    pub doctor_name: Option<String>,
    pub room_id: Option<i64>,
    pub room_name: Option<String>,
    pub priority: Priority,
    pub order_at: Timestamp,
    pub status: TicketStatus,
    pub skips: i64,
    pub calls: i64,
    pub checked_in_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub last_called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

impl Ticket {
    /// Whether the ticket, in its status now, allows the move: what templates ask instead of reading the status.
    pub fn can(&self, mv: Move) -> bool {
        mv.allowed(self.status)
    }

    /// When a called patient was last called, while the room still waits for them (a call leaves the waiting
    /// room's "Now calling" after [`super::model::CALL_SHOWN_MINUTES`]; the desk still sees how long ago it was).
    pub fn waiting_since_call(&self) -> Option<Timestamp> {
        self.last_called_at.filter(|_| self.status == TicketStatus::Called)
    }

    pub fn priority_class(&self) -> &'static str {
        match self.priority {
            Priority::Emergency => "priority priority-emergency",
            Priority::Urgent => "priority priority-urgent",
            Priority::Normal => "priority",
        }
    }

    pub fn is_in_queue_of(&self, doctor_id: &i64) -> bool {
        self.doctor_id == Some(*doctor_id)
    }

    pub fn queued(&self) -> Queued {
        Queued {
            id: self.id,
            doctor_id: self.doctor_id,
            priority: self.priority,
            order_at: self.order_at.0,
        }
    }

    pub fn times(&self) -> TicketTimes {
        TicketTimes {
            doctor_id: self.doctor_id,
            status: self.status,
            checked_in_at: self.checked_in_at,
            called_at: self.called_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        }
    }
}

const TICKET_SELECT: &str = "SELECT t.id, t.day, t.code, t.patient_id,
        p.first_name || ' ' || p.surname AS patient_name, p.clinic_number, t.appointment_id,
        sl.starts_at AS appointment_at, t.doctor_id, s.full_name AS doctor_name, t.room_id, r.name AS room_name,
        t.priority, t.order_at, t.status, t.skips, t.calls, t.checked_in_at, t.called_at, t.last_called_at,
        t.started_at, t.finished_at
     FROM ticket t
     JOIN patient p ON p.id = t.patient_id
     LEFT JOIN appointment a ON a.id = t.appointment_id
     LEFT JOIN slot sl ON sl.id = a.slot_id
     LEFT JOIN staff s ON s.id = t.doctor_id
     LEFT JOIN room r ON r.id = t.room_id";

/// Every ticket of a day, in queue order.
pub async fn day_tickets(mut db: impl Reader, day: Date) -> Result<Vec<Ticket>, sqlx::Error> {
    sqlx::query_as(&format!("{TICKET_SELECT} WHERE t.day = $1 ORDER BY {QUEUE_ORDER}"))
        .bind(day)
        .fetch_all(db.exec())
        .await
}

pub async fn ticket(db: impl Reader, id: i64) -> Result<Option<Ticket>, sqlx::Error> {
    row_by_id(db, &format!("{TICKET_SELECT} WHERE t.id = $1"), id).await
}

pub async fn ticket_of_appointment_in(tx: &mut Tx, appointment_id: i64) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(&format!("{TICKET_SELECT} WHERE t.appointment_id = $1"))
        .bind(appointment_id)
        .fetch_optional(&mut **tx)
        .await
}

/// The checked-in appointments still waiting in a doctor's line (their own queue and the general queue), each
/// with its place in the line: 1 is the patient "Call next" calls.
pub async fn places_in_line(mut db: impl Reader, day: Date, doctor_id: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT appointment_id, place FROM (
             SELECT t.appointment_id, ROW_NUMBER() OVER (ORDER BY {QUEUE_ORDER}) AS place FROM ticket t
             WHERE t.day = $1 AND t.status = 'waiting' AND (t.doctor_id = $2 OR t.doctor_id IS NULL)
         ) line
         WHERE appointment_id IS NOT NULL"
    ))
    .bind(day)
    .bind(doctor_id)
    .fetch_all(db.exec())
    .await
}

/// The patient's open ticket, if any: only ever their own, by the query.
pub async fn open_ticket_of(mut db: impl Reader, patient_id: i64) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{TICKET_SELECT} WHERE t.patient_id = $1 AND t.status IN ('waiting', 'called', 'with_doctor')"
    ))
    .bind(patient_id)
    .fetch_optional(db.exec())
    .await
}

/// The patient and code of every ticket still open on a day.
pub async fn open_ticket_codes(mut db: impl Reader, day: Date) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT patient_id, code FROM ticket WHERE day = $1 AND status IN ('waiting', 'called', 'with_doctor')",
    )
    .bind(day)
    .fetch_all(db.exec())
    .await
}

/// The waiting tickets of a day in queue order.
pub async fn waiting_in_order(tx: &mut Tx, day: Date) -> Result<Vec<Queued>, sqlx::Error> {
    let rows: Vec<(i64, Option<i64>, Priority, i64)> = sqlx::query_as(&format!(
        "SELECT t.id, t.doctor_id, t.priority, t.order_at FROM ticket t
         WHERE t.day = $1 AND t.status = 'waiting' ORDER BY {QUEUE_ORDER}"
    ))
    .bind(day)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, doctor_id, priority, order_at)| Queued {
            id,
            doctor_id,
            priority,
            order_at,
        })
        .collect())
}

/// How many of a day's tickets are in each status, counted from the index `ticket_day_status`.
pub async fn status_counts(mut db: impl Reader, day: Date) -> Result<Vec<(TicketStatus, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, COUNT(*) FROM ticket WHERE day = $1 GROUP BY status")
        .bind(day)
        .fetch_all(db.exec())
        .await
}

/// How many tickets of a day wait for a doctor's "call next": in their queue or the general queue.
pub async fn waiting_for(mut db: impl Reader, day: Date, doctor_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket WHERE day = $1 AND status = 'waiting' AND (doctor_id = $2 OR doctor_id IS NULL)",
    )
    .bind(day)
    .bind(doctor_id)
    .fetch_one(db.exec())
    .await
}

/// The first waiting ticket a doctor's "call next" takes: from their queue or the general queue.
pub async fn next_waiting(tx: &mut Tx, day: Date, doctor_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT t.id FROM ticket t
         WHERE t.day = $1 AND t.status = 'waiting' AND (t.doctor_id = $2 OR t.doctor_id IS NULL)
         ORDER BY {QUEUE_ORDER} LIMIT 1"
    ))
    .bind(day)
    .bind(doctor_id)
    .fetch_optional(&mut **tx)
    .await
}

/// The first `limit` waiting tickets in a doctor's line (their own and the general queue's), in call order:
/// each ticket's id, patient and code.
pub async fn waiting_line(
    tx: &mut Tx,
    day: Date,
    doctor_id: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, String, Timestamp)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT t.id, t.patient_id, t.code, t.order_at FROM ticket t
         WHERE t.day = $1 AND t.status = 'waiting' AND (t.doctor_id = $2 OR t.doctor_id IS NULL)
         ORDER BY {QUEUE_ORDER} {}",
        crate::db::limit(limit)
    ))
    .bind(day)
    .bind(doctor_id)
    .fetch_all(&mut **tx)
    .await
}

/// Calls a waiting ticket to a doctor's room. Only one caller can win: the update is conditional on the
/// ticket still waiting.
pub async fn claim_for_call(tx: &mut Tx, id: i64, doctor_id: i64, room_id: i64) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE ticket SET status = 'called', doctor_id = $1, room_id = $2, called_at = COALESCE(called_at, $3),
             last_called_at = $3, calls = calls + 1, updated_at = $3
         WHERE id = $4 AND status = 'waiting'",
        )
        .bind(doctor_id)
        .bind(room_id)
        .bind(now)
        .bind(id),
    )
    .await
}

/// The code of the ticket a doctor has called and not yet started, if any.
pub async fn called_by(tx: &mut Tx, day: Date, doctor_id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT code FROM ticket WHERE day = $1 AND doctor_id = $2 AND status = 'called' LIMIT 1")
        .bind(day)
        .bind(doctor_id)
        .fetch_optional(&mut **tx)
        .await
}

/// The fields a move sets besides the status.
#[derive(Default)]
pub struct MoveFields {
    pub doctor_id: Option<Option<i64>>,
    pub order_at: Option<Timestamp>,
    pub called_again: bool,
    pub skipped: bool,
    pub started: bool,
    pub finished: bool,
    /// Back in the queue after a no-show or "left": open again, and waiting for a room like any other.
    pub reopened: bool,
    pub priority: Option<Priority>,
}

/// Moves a ticket from one of `from` to `to`; `false` when it is no longer in one of them (someone else
/// moved it first). One statement, so concurrent moves can't both win.
pub async fn move_ticket(
    tx: &mut Tx,
    id: i64,
    from: &[TicketStatus],
    to: TicketStatus,
    fields: &MoveFields,
) -> Result<bool, sqlx::Error> {
    let statuses = crate::db::word_list(from.iter().map(|s| s.as_str()));
    let mut sets = vec!["status = $1", "updated_at = $2"];
    if fields.called_again {
        sets.push("last_called_at = $2, calls = calls + 1");
    }
    if fields.skipped {
        sets.push("skips = skips + 1, room_id = NULL");
    }
    if fields.started {
        sets.push("started_at = $2");
    }
    if fields.finished {
        sets.push("finished_at = $2");
    }
    if fields.reopened {
        sets.push("finished_at = NULL, room_id = NULL");
    }
    // PostgreSQL refuses parameters a statement doesn't use, so the optional ones are numbered as they come.
    let mut next = 4;
    let mut optional = |column: &str| {
        let set = format!("{column} = ${next}");
        next += 1;
        set
    };
    let doctor = fields.doctor_id.map(|_| optional("room_id = NULL, doctor_id"));
    let order = fields.order_at.map(|_| optional("order_at"));
    let priority = fields.priority.map(|_| optional("priority"));
    let sets = sets
        .into_iter()
        .map(str::to_owned)
        .chain(doctor)
        .chain(order)
        .chain(priority)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("UPDATE ticket SET {sets} WHERE id = $3 AND status IN ({statuses})");
    let mut query = sqlx::query(&sql).bind(to).bind(Timestamp::now()).bind(id);
    if let Some(doctor_id) = fields.doctor_id {
        query = query.bind(doctor_id);
    }
    if let Some(order_at) = fields.order_at {
        query = query.bind(order_at);
    }
    if let Some(priority) = fields.priority {
        query = query.bind(priority);
    }
    let done = query.execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Closes a patient's tickets left open on earlier days (the clinic closed before they were seen), so they
/// don't hold the one-open-ticket place forever. Returns how many.
pub async fn close_stale(tx: &mut Tx, today: Date, patient_id: Option<i64>) -> Result<u64, sqlx::Error> {
    // The status list is the one of the partial index `ticket_open_patient_key`, so that a check-in looks at
    // the patient's open ticket only, not at every past ticket.
    let whose = match patient_id {
        Some(_) => "patient_id = $3",
        None => "$3 = 0",
    };
    let done = sqlx::query(&format!(
        "UPDATE ticket SET
            status = CASE WHEN status = 'with_doctor' THEN 'completed' ELSE 'no_show' END,
            finished_at = CASE WHEN status = 'with_doctor' THEN $1 ELSE finished_at END,
            updated_at = $1
         WHERE {whose} AND status IN ('waiting', 'called', 'with_doctor') AND day < $2"
    ))
    .bind(Timestamp::now())
    .bind(today)
    .bind(patient_id.unwrap_or(0))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Each doctor's slot length on a day, in minutes (for estimating waits before any consultation is done).
pub async fn slot_minutes_by_doctor(mut db: impl Reader, day: Date) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT doctor_id, MIN(ends_at - starts_at) FROM slot WHERE day = $1 GROUP BY doctor_id")
            .bind(day)
            .fetch_all(db.exec())
            .await?;
    Ok(rows.into_iter().map(|(doctor, ms)| (doctor, ms / 60_000)).collect())
}
