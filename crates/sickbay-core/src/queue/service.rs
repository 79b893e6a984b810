//! Queue operations, each one transaction with its audit row: check-in, walk-ins, call next, the moves of a
//! ticket, rooms and where doctors work. Each announces its change to the queue's screens (`Tx::announce`).

use super::model::{
    GENERAL_PREFIX, Move, Priority, TicketStatus, calls_sequence, check_in_instead, order_after_skip, parse_room_code,
    parse_room_name, reinstate_refusal, ticket_code, ticket_sequence,
};
use super::repo::{self, Assignment, MoveFields, NewTicket, Ticket};
use crate::audit::{self, AuditEntry};
use crate::db::events::{Call, Event};
use crate::db::form_ids::Claim;
use crate::db::sequence;
use crate::db::{Date, Db, Timestamp, Tx, is_unique_violation, violated_unique_index};
use crate::error::ServiceError;
use crate::identity::{Actor, DoctorScope};
use crate::outbox::model::Kind;
use crate::outbox::service::{self as outbox, Notice};
use crate::patients::model::{PatientDetails, PortalAccess};
use crate::patients::service::insert_in;
use crate::scheduling::model::AppointmentStatus;
use crate::scheduling::service as scheduling;
use crate::validation::FieldErrors;

/// A ticket just issued.
#[derive(Clone, Debug)]
pub struct Issued {
    pub id: i64,
    pub code: String,
    pub patient_id: i64,
}

impl From<Ticket> for Issued {
    fn from(ticket: Ticket) -> Self {
        Issued {
            id: ticket.id,
            code: ticket.code,
            patient_id: ticket.patient_id,
        }
    }
}

/// Checks in a patient for today's appointment: the ticket joins the appointment's doctor's queue, placed at
/// the appointment's time.
pub async fn check_in(
    db: &Db,
    actor: &Actor,
    staff_id: i64,
    appointment_id: i64,
    priority: Priority,
    today: Date,
) -> Result<Issued, ServiceError> {
    let mut tx = db.begin_write().await?;
    let appointment = scheduling::appointment_in(&mut tx, appointment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if appointment.day != today {
        return Err(ServiceError::Refused(format!(
            "This appointment is on {}, not today; only today's appointments can be checked in.",
            appointment.day
        )));
    }
    if appointment.status != AppointmentStatus::Booked {
        return Err(ServiceError::Conflict(format!(
            "This appointment is {}, so it can't be checked in.",
            appointment.status.label().to_lowercase()
        )));
    }
    let new = Waiting {
        patient_id: appointment.patient_id,
        appointment_id: Some(appointment.id),
        doctor_id: Some(appointment.doctor_id),
        priority,
        order_at: appointment.starts_at,
        staff_id,
    };
    let issued = issue(&mut tx, today, &new).await?;
    if !scheduling::change_status(
        &mut tx,
        appointment.id,
        AppointmentStatus::Booked,
        AppointmentStatus::CheckedIn,
    )
    .await?
    {
        return Err(ServiceError::Conflict(
            "This appointment was just checked in by someone else.".into(),
        ));
    }
    let entry = AuditEntry::new("ticket.check_in")
        .record("ticket", issued.id)
        .patient(issued.patient_id)
        .detail(format!("{} for appointment {}", issued.code, appointment.id));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Who a walk-in is.
pub enum WalkInPatient {
    Existing(i64),
    /// Registered on the spot with a few details; numbered like any other record.
    New(Box<PatientDetails>),
}

/// The action under which the walk-in forms claim their one-time ids.
const WALK_IN: &str = "ticket.walk_in";

/// The ticket this actor's walk-in form already issued, if it did (the same form sent twice).
pub async fn issued_by_form(db: &Db, actor: &Actor) -> Result<Option<Issued>, ServiceError> {
    let Some(ticket_id) = actor.recorded_form(db, WALK_IN).await? else {
        return Ok(None);
    };
    Ok(repo::ticket(db, ticket_id).await?.map(Issued::from))
}

/// Adds a walk-in to a doctor's queue or to the general queue (`doctor_id` None), placed at their arrival.
/// The same form sent again answers with the ticket it issued.
pub async fn walk_in(
    db: &Db,
    actor: &Actor,
    staff_id: i64,
    patient: WalkInPatient,
    doctor_id: Option<i64>,
    priority: Priority,
    today: Date,
) -> Result<Issued, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(ticket_id) = actor.claim_form(&mut tx, WALK_IN).await? {
        let ticket = repo::ticket(&mut tx, ticket_id).await?.ok_or(ServiceError::NotFound)?;
        return Ok(ticket.into());
    }
    if let Some(id) = doctor_id
        && !repo::is_active_doctor(&mut tx, id).await?
    {
        return Err(ServiceError::Refused(
            "Choose a doctor who is working, or the general queue.".into(),
        ));
    }
    let patient_id = match patient {
        WalkInPatient::Existing(id) => {
            if !crate::patients::service::lock_active(&mut tx, id).await? {
                return Err(ServiceError::NotFound);
            }
            if let Some(booked) = scheduling::booked_of_patient_on(&mut tx, id, today).await? {
                let zone = outbox::Context::read(&mut *tx).await?.zone;
                let why = check_in_instead(&booked.patient_name, booked.starts_at, &booked.doctor_name, zone);
                return Err(ServiceError::Refused(why));
            }
            id
        }
        WalkInPatient::New(details) => {
            let year = chrono::Datelike::year(&today.0);
            let portal = PortalAccess {
                password_hash: None,
                must_change_password: false,
                approved: true,
            };
            let (id, number) = insert_in(&mut tx, &details, portal, year).await?;
            let entry = AuditEntry::new("patient.create")
                .record("patient", id)
                .patient(id)
                .detail(format!("{number} (walk-in)"));
            audit::record(&mut tx, actor, entry).await?;
            id
        }
    };
    let new = Waiting {
        patient_id,
        appointment_id: None,
        doctor_id,
        priority,
        order_at: Timestamp::now(),
        staff_id,
    };
    let issued = issue(&mut tx, today, &new).await?;
    let entry = AuditEntry::new("ticket.walk_in")
        .record("ticket", issued.id)
        .patient(patient_id)
        .detail(issued.code.clone());
    audit::record_form(&mut tx, actor, entry, WALK_IN, issued.id).await?;
    tx.commit().await?;
    Ok(issued)
}

struct Waiting {
    patient_id: i64,
    appointment_id: Option<i64>,
    doctor_id: Option<i64>,
    priority: Priority,
    order_at: Timestamp,
    staff_id: i64,
}

/// Numbers and inserts a waiting ticket. The code's prefix is the room of the doctor (or the general
/// queue's), and its number comes from the day's counter for that prefix, advanced atomically.
async fn issue(tx: &mut Tx, today: Date, new: &Waiting) -> Result<Issued, ServiceError> {
    tx.announce(Event::Queue { call: None });
    repo::close_stale(tx, today, Some(new.patient_id)).await?;
    if let Some(open) = repo::open_ticket_of(&mut *tx, new.patient_id).await? {
        return Err(already_holds(&open));
    }
    let prefix = match new.doctor_id {
        Some(doctor_id) => repo::assignment_of(tx, today, doctor_id).await?.map(|a| a.room_code),
        None => None,
    }
    .unwrap_or_else(|| GENERAL_PREFIX.to_owned());
    let number = sequence::next(tx, &ticket_sequence(&today.to_string(), &prefix)).await?;
    let code = ticket_code(&prefix, number);
    let ticket = NewTicket {
        day: today,
        code: &code,
        patient_id: new.patient_id,
        appointment_id: new.appointment_id,
        doctor_id: new.doctor_id,
        priority: new.priority,
        order_at: new.order_at,
        created_by: new.staff_id,
    };
    match repo::insert_ticket(tx, &ticket).await {
        Ok(id) => Ok(Issued {
            id,
            code,
            patient_id: new.patient_id,
        }),
        Err(err) if is_unique_violation(&err) => Err(given_another_ticket()),
        Err(err) => Err(err.into()),
    }
}

fn given_another_ticket() -> ServiceError {
    ServiceError::Conflict("This patient was given a ticket a moment ago; the queue has been refreshed.".into())
}

fn already_holds(open: &Ticket) -> ServiceError {
    ServiceError::Conflict(format!(
        "{} already holds ticket {} ({}). A patient can hold one open ticket at a time.",
        open.patient_name,
        open.code,
        open.status.label().to_lowercase()
    ))
}

/// Calls the next waiting ticket of a doctor's queue (or the general queue) to the doctor's room. Two doctors
/// or two clicks never get the same ticket: the claim is a conditional update only one caller wins, and a
/// loser takes the next one. `expected_calls` (the doctor's call counter as the form showed it) refuses a stale
/// second click; a doctor whose last call hasn't come in yet can't call another to the same room. `None` when
/// nobody is waiting (and nothing is counted).
pub async fn call_next(
    db: &Db,
    actor: &Actor,
    doctor_id: i64,
    today: Date,
    expected_calls: Option<i64>,
) -> Result<Option<Call>, ServiceError> {
    let mut tx = db.begin_write().await?;
    // One doctor's calls one at a time (on PostgreSQL too), so the stale-click check below holds.
    if !crate::staff::service::lock_doctor(&mut tx, doctor_id).await? {
        return Err(ServiceError::NotFound);
    }
    let room = repo::assignment_of(&mut tx, today, doctor_id).await?.ok_or_else(|| {
        ServiceError::Refused("Choose the room you are working in today before calling patients.".into())
    })?;
    if let Some(waiting) = repo::called_by(&mut tx, today, doctor_id).await? {
        return Err(ServiceError::Conflict(format!(
            "{waiting} is still called to {}. Start, call again, skip or mark them no-show before calling the next \
             patient.",
            room.room_name
        )));
    }
    let calls = sequence::next(&mut tx, &calls_sequence(&today.to_string(), doctor_id)).await?;
    if expected_calls.is_some_and(|expected| calls != expected + 1) {
        return Err(ServiceError::Conflict(
            "A patient was just called from this queue (a second click or another window); the queue has been \
             refreshed."
                .into(),
        ));
    }
    let called = loop {
        let Some(id) = repo::next_waiting(&mut tx, today, doctor_id).await? else {
            return Ok(None);
        };
        if repo::claim_for_call(&mut tx, id, doctor_id, room.room_id).await? {
            break repo::ticket(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
        }
    };
    let call = record_call(&mut tx, actor, called, room).await?;
    tell_the_nearly_up(&mut tx, today, doctor_id).await?;
    tx.commit().await?;
    Ok(Some(call))
}

/// A ticket just claimed for a call: its audit row, and the call announced to the displays and the patient's
/// phone when the change commits.
async fn record_call(tx: &mut Tx, actor: &Actor, called: Ticket, room: Assignment) -> Result<Call, ServiceError> {
    let entry = AuditEntry::new("ticket.call")
        .record("ticket", called.id)
        .patient(called.patient_id)
        .detail(format!("{} to {}", called.code, room.room_name));
    audit::record(tx, actor, entry).await?;
    let call = Call {
        ticket_id: called.id,
        code: called.code,
        room_id: room.room_id,
        room_name: room.room_name,
        doctor_id: room.doctor_id,
        calls: called.calls,
    };
    tx.announce(Event::Queue {
        call: Some(call.clone()),
    });
    Ok(call)
}

/// Where a ticket is transferred to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    General,
    Doctor(i64),
}

/// A move as asked for.
pub struct MoveRequest {
    pub ticket_id: i64,
    pub mv: Move,
    /// Whose tickets the user may move: a doctor only those in their own queue.
    pub scope: DoctorScope,
    pub transfer_to: Option<Target>,
    /// For a change of priority: the new one.
    pub priority: Option<Priority>,
    pub skip_places: i64,
}

/// What a move did: the ticket's code and whose it is, for the message.
pub struct Moved {
    pub code: String,
    pub patient_name: String,
    /// Where a transfer sent the ticket: "to Dr Ada Obi", "to the general queue".
    pub to: Option<String>,
}

impl Moved {
    pub fn of(ticket: &Ticket) -> Self {
        Moved {
            code: ticket.code.clone(),
            patient_name: ticket.patient_name.clone(),
            to: None,
        }
    }

    /// What the move did, in a sentence.
    pub fn message(&self, mv: Move) -> String {
        mv.done_message(&self.code, &self.patient_name, self.to.as_deref())
    }
}

/// Puts a ticket marked a no-show or "left" by mistake back in its place in today's queue: the undo offered
/// beside the move's message. An earlier day's ticket stays closed (the patient comes back as a walk-in), and so
/// does one whose patient holds another ticket now.
pub async fn reinstate(
    db: &Db,
    actor: &Actor,
    ticket_id: i64,
    scope: DoctorScope,
    today: Date,
) -> Result<Moved, ServiceError> {
    let mut tx = db.begin_write().await?;
    let ticket = repo::ticket(&mut *tx, ticket_id).await?.ok_or(ServiceError::NotFound)?;
    if !scope.covers_maybe(ticket.doctor_id) {
        return Err(ServiceError::Forbidden);
    }
    if let Some(refusal) = reinstate_refusal(&ticket.code, ticket.day, today) {
        return Err(ServiceError::Refused(refusal));
    }
    if let Some(open) = repo::open_ticket_of(&mut *tx, ticket.patient_id).await?
        && open.id != ticket.id
    {
        return Err(already_holds(&open));
    }
    let request = MoveRequest {
        ticket_id,
        mv: Move::Reinstate,
        scope,
        transfer_to: None,
        priority: None,
        skip_places: 0,
    };
    let (_, moved) = move_in(&mut tx, actor, &request).await?;
    tx.commit().await?;
    Ok(moved)
}

/// The patient leaves the queue from their phone: their open ticket, while it still waits (the database's
/// conditional update refuses one called meanwhile). Reception can put it back.
pub async fn leave(db: &Db, actor: &Actor, patient_id: i64) -> Result<Moved, ServiceError> {
    let mut tx = db.begin_write().await?;
    let ticket = repo::open_ticket_of(&mut *tx, patient_id)
        .await?
        .ok_or_else(|| ServiceError::Conflict("You have no ticket in the queue now.".into()))?;
    if ticket.status != TicketStatus::Waiting {
        return Err(ServiceError::Conflict(leave_refusal(&ticket)));
    }
    let request = MoveRequest {
        ticket_id: ticket.id,
        mv: Move::Leave,
        scope: DoctorScope::Any,
        transfer_to: None,
        priority: None,
        skip_places: 0,
    };
    let (_, moved) = move_in(&mut tx, actor, &request).await.map_err(|err| match err {
        ServiceError::Conflict(_) => ServiceError::Conflict(leave_refusal(&ticket)),
        other => other,
    })?;
    tx.commit().await?;
    Ok(moved)
}

/// Why a patient can't leave: they have been called (or are with the doctor) since the page was shown.
fn leave_refusal(ticket: &Ticket) -> String {
    format!(
        "Ticket {} has been called: go to {}, or tell reception you are leaving.",
        ticket.code,
        ticket.room_name.as_deref().unwrap_or("the doctor's room")
    )
}

pub async fn move_ticket(db: &Db, actor: &Actor, request: &MoveRequest) -> Result<Moved, ServiceError> {
    let mut tx = db.begin_write().await?;
    let (_, moved) = move_in(&mut tx, actor, request).await?;
    tx.commit().await?;
    Ok(moved)
}

/// Makes a move inside the caller's transaction (a visit starts and completes with its ticket): the ticket as
/// it was before the move, and what the move did.
pub async fn move_in(tx: &mut Tx, actor: &Actor, request: &MoveRequest) -> Result<(Ticket, Moved), ServiceError> {
    let ticket = repo::ticket(&mut *tx, request.ticket_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !request.scope.covers_maybe(ticket.doctor_id) {
        return Err(ServiceError::Forbidden);
    }
    let mv = request.mv;
    if !ticket.can(mv) {
        return Err(ServiceError::Conflict(mv.refusal(&ticket.code, ticket.status)));
    }
    let (fields, detail) = move_fields(tx, &ticket, request).await?;
    let moved = match repo::move_ticket(tx, ticket.id, mv.allowed_from(), mv.result(), &fields).await {
        Ok(moved) => moved,
        // A ticket put back while the patient was given another one: the index of open tickets refuses it.
        Err(err) if is_unique_violation(&err) => return Err(given_another_ticket()),
        Err(err) => return Err(err.into()),
    };
    if !moved {
        let now = repo::ticket(&mut *tx, ticket.id).await?.ok_or(ServiceError::NotFound)?;
        return Err(ServiceError::Conflict(mv.refusal(&ticket.code, now.status)));
    }
    if let Some(appointment_id) = ticket.appointment_id {
        sync_appointment(tx, appointment_id, mv, ticket.status).await?;
    }
    let mut entry = AuditEntry::new(mv.audit_action())
        .record("ticket", ticket.id)
        .patient(ticket.patient_id);
    entry = entry.detail(match &detail {
        Some(detail) => format!("{} {detail}", ticket.code),
        None => ticket.code.clone(),
    });
    audit::record(tx, actor, entry).await?;
    let call = match (mv, ticket.room_id, ticket.room_name.clone(), ticket.doctor_id) {
        (Move::Recall, Some(room_id), Some(room_name), Some(doctor_id)) => Some(Call {
            ticket_id: ticket.id,
            code: ticket.code.clone(),
            room_id,
            room_name,
            doctor_id,
            calls: ticket.calls + 1,
        }),
        _ => None,
    };
    tx.announce(Event::Queue { call });
    let moved = Moved {
        to: detail.filter(|_| matches!(mv, Move::Transfer | Move::Prioritise)),
        ..Moved::of(&ticket)
    };
    Ok((ticket, moved))
}

/// The columns a move sets besides the status, and what the audit row adds.
async fn move_fields(
    tx: &mut Tx,
    ticket: &Ticket,
    request: &MoveRequest,
) -> Result<(MoveFields, Option<String>), ServiceError> {
    let mut fields = MoveFields::default();
    let mut detail = None;
    match request.mv {
        Move::Recall => fields.called_again = true,
        Move::Start => fields.started = true,
        Move::Complete | Move::NoShow | Move::Cancel | Move::Leave => fields.finished = true,
        Move::Reinstate => fields.reopened = true,
        Move::Skip => {
            let waiting = repo::waiting_in_order(tx, ticket.day).await?;
            let places = usize::try_from(request.skip_places).unwrap_or(1);
            fields.order_at = Some(Timestamp(order_after_skip(&waiting, &ticket.queued(), places)));
            fields.skipped = true;
        }
        Move::Transfer => {
            let target = request
                .transfer_to
                .ok_or_else(|| ServiceError::Refused("Choose the queue to transfer the ticket to.".into()))?;
            let (doctor_id, to) = match target {
                Target::General => (None, "to the general queue".to_owned()),
                Target::Doctor(id) => {
                    let name = repo::active_doctor_name(&mut *tx, id)
                        .await?
                        .ok_or_else(|| ServiceError::Refused("Choose a doctor who is working.".into()))?;
                    (Some(id), format!("to {name}"))
                }
            };
            if doctor_id == ticket.doctor_id && ticket.status == TicketStatus::Waiting {
                return Err(ServiceError::Refused("The ticket is already in that queue.".into()));
            }
            fields.doctor_id = Some(doctor_id);
            detail = Some(to);
        }
        Move::Prioritise => {
            let priority = request
                .priority
                .ok_or_else(|| ServiceError::Refused("Choose the ticket's priority.".into()))?;
            if priority == ticket.priority {
                return Err(ServiceError::Refused(format!(
                    "Ticket {} is already {}.",
                    ticket.code,
                    priority.label().to_lowercase()
                )));
            }
            fields.priority = Some(priority);
            detail = Some(format!("as {}", priority.label().to_lowercase()));
        }
    }
    Ok((fields, detail))
}

/// Keeps the appointment's status in step with its ticket (`before`: the ticket's status before the move). A
/// mismatch (the appointment was corrected by hand meanwhile) is left alone.
async fn sync_appointment(
    tx: &mut Tx,
    appointment_id: i64,
    mv: Move,
    before: TicketStatus,
) -> Result<(), ServiceError> {
    use AppointmentStatus::*;
    let (from, to) = match mv {
        Move::Start => (CheckedIn, InConsultation),
        Move::Complete => (InConsultation, Completed),
        Move::NoShow => (CheckedIn, NoShow),
        Move::Cancel | Move::Leave => (CheckedIn, Booked),
        Move::Reinstate if before == TicketStatus::NoShow => (NoShow, CheckedIn),
        Move::Reinstate => (Booked, CheckedIn),
        Move::Recall | Move::Skip | Move::Transfer | Move::Prioritise => return Ok(()),
    };
    scheduling::change_status(tx, appointment_id, from, to).await?;
    Ok(())
}

/// Puts a doctor in a room for today.
pub async fn assign_room(
    db: &Db,
    actor: &Actor,
    today: Date,
    doctor_id: i64,
    room_id: i64,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if !repo::is_active_doctor(&mut tx, doctor_id).await? {
        return Err(ServiceError::NotFound);
    }
    if !repo::is_active_room(&mut tx, room_id).await? {
        return Err(ServiceError::Refused("Choose one of the clinic's rooms.".into()));
    }
    match repo::assign_room(&mut tx, today, doctor_id, room_id).await {
        Ok(()) => {}
        Err(err) if is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(
                "Another doctor is working in that room today. Choose another room.".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    let entry = AuditEntry::new("room.assign")
        .record("room", room_id)
        .detail(format!("doctor {doctor_id} on {today}"));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Queue { call: None });
    tx.commit().await?;
    Ok(())
}

/// A room's fields as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub code: String,
    /// Sent by the edit form's checkbox when ticked.
    pub active: Option<String>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    pub form_id: String,
}

impl RoomForm {
    pub fn validate(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_room_name(&self.name));
        let code = errors.check("code", parse_room_code(&self.code));
        match (name, code) {
            (Some(name), Some(code)) => Ok((name, code)),
            _ => Err(errors),
        }
    }
}

const ADD_ROOM: &str = "room.create";

/// Adds a room (`None` for a new one) or changes one. The unique indexes decide whether a name or code is
/// taken, so two admins adding the same room at once can't both succeed.
pub async fn save_room(db: &Db, actor: &Actor, id: Option<i64>, form: &RoomForm) -> Result<i64, ServiceError> {
    let (name, code) = form.validate().map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let is_new = id.is_none();
    if is_new && let Claim::Done(id) = actor.claim_form(&mut tx, ADD_ROOM).await? {
        return Ok(id);
    }
    let saved = match id {
        None => repo::insert_room(&mut tx, &name, &code).await.map(Some),
        Some(id) => repo::update_room(&mut tx, id, &name, &code, form.active.is_some())
            .await
            .map(|found| found.then_some(id)),
    };
    let id = match saved {
        Ok(Some(id)) => id,
        Ok(None) => return Err(ServiceError::NotFound),
        Err(err) => {
            return Err(taken_room_field(&err).map_or_else(|| ServiceError::from(err), ServiceError::Invalid));
        }
    };
    let (action, state) = match (is_new, form.active.is_some()) {
        (true, _) => ("room.create", ""),
        (false, true) => ("room.update", ""),
        (false, false) => ("room.update", ", inactive"),
    };
    let entry = AuditEntry::new(action)
        .record("room", id)
        .detail(format!("{name} ({code}){state}"));
    audit::record(&mut tx, actor, entry).await?;
    if is_new {
        actor.complete_form(&mut tx, ADD_ROOM, id).await?;
    }
    tx.announce(Event::Queue { call: None });
    tx.commit().await?;
    Ok(id)
}

fn taken_room_field(err: &sqlx::Error) -> Option<FieldErrors> {
    // SQLite names a plain column's constraint only in its message ("UNIQUE constraint failed: room.code").
    let index = violated_unique_index(err).or_else(|| is_unique_violation(err).then(|| err.to_string()))?;
    let mut errors = FieldErrors::default();
    if index.contains("name") {
        errors.add("name", "Another room already has this name.");
    } else {
        errors.add("code", "Another room already uses this prefix.");
    }
    Some(errors)
}

/// The ticket of an appointment (check-in issued it), read inside a change.
pub async fn ticket_of_appointment_in(tx: &mut Tx, appointment_id: i64) -> Result<Option<Ticket>, ServiceError> {
    Ok(repo::ticket_of_appointment_in(tx, appointment_id).await?)
}

/// Calls one waiting ticket to its doctor's room, as "Call next" calls the first (a checked-in appointment
/// started from the doctor's home: the display announces it and the patient's phone says where to go), inside
/// the caller's transaction, with its audit row. The same rules: the doctor's room for today, no other patient
/// of theirs still on their way, and only the patient first in their line. The call is announced when the
/// caller's change commits.
pub async fn call_in(
    tx: &mut Tx,
    actor: &Actor,
    doctor_id: i64,
    ticket_id: i64,
    today: Date,
) -> Result<Call, ServiceError> {
    // One doctor's calls one at a time, as in `call_next`.
    if !crate::staff::service::lock_doctor(tx, doctor_id).await? {
        return Err(ServiceError::NotFound);
    }
    let room = repo::assignment_of(tx, today, doctor_id).await?.ok_or_else(|| {
        ServiceError::Refused("Choose the room you are working in today before calling patients.".into())
    })?;
    if let Some(waiting) = repo::called_by(tx, today, doctor_id).await? {
        return Err(ServiceError::Conflict(format!(
            "{waiting} is still called to {}. Start, call again, skip or mark them no-show before calling another \
             patient.",
            room.room_name
        )));
    }
    // The patients ahead in the line are called first, as "Call next" would.
    if repo::next_waiting(tx, today, doctor_id).await? != Some(ticket_id) {
        return Err(ServiceError::Conflict(
            "Another patient is ahead of this one in your line: \"Call next\" calls them in order.".into(),
        ));
    }
    // Counted as a call of the doctor's, so a "Call next" form shown before it is stale.
    sequence::next(tx, &calls_sequence(&today.to_string(), doctor_id)).await?;
    if !repo::claim_for_call(tx, ticket_id, doctor_id, room.room_id).await? {
        return Err(ServiceError::Conflict(
            "This patient's ticket was just called or moved; open the queue to see where it is.".into(),
        ));
    }
    let called = repo::ticket(&mut *tx, ticket_id).await?.ok_or(ServiceError::NotFound)?;
    let call = record_call(tx, actor, called, room).await?;
    tell_the_nearly_up(tx, today, doctor_id).await?;
    Ok(call)
}

/// After a call, the patients now within two places of the front of the doctor's line hear that they are
/// nearly up (once per ticket: the message's key is the ticket). A booked patient who came early waits for their
/// appointment's time, which anyone arriving before it goes ahead of: they hear it at a call once that time has
/// come, so "nearly up" is not followed by a longer wait.
async fn tell_the_nearly_up(tx: &mut Tx, today: Date, doctor_id: i64) -> Result<(), sqlx::Error> {
    let now = Timestamp::now();
    let line: Vec<_> = repo::waiting_line(tx, today, doctor_id, NEARLY_UP_PLACES)
        .await?
        .into_iter()
        .filter(|(_, _, _, order_at)| *order_at <= now)
        .collect();
    if line.is_empty() {
        return Ok(());
    }
    let context = outbox::Context::read(&mut *tx).await?;
    for (ticket_id, patient_id, code, _) in line {
        let notice = Notice {
            kind: Kind::NearlyUp,
            about: ticket_id.to_string(),
            subject: format!("You're nearly up: ticket {code}"),
            body: format!(
                "You're nearly at the front of the queue (ticket {code}). Please stay close: the doctor will call \
                 you soon."
            ),
            link: "/me/queue".to_owned(),
            record: ("ticket", ticket_id),
            stale_after: Some(Timestamp::now().plus_minutes(NEARLY_UP_MINUTES)),
        };
        outbox::tell_patient(tx, &context, patient_id, notice).await?;
    }
    Ok(())
}

/// How near the front a patient is told they are nearly up, and how long that message is worth sending.
const NEARLY_UP_PLACES: i64 = 2;
const NEARLY_UP_MINUTES: i64 = 30;

/// A doctor's checked-in appointments still waiting, each with its place in their line (1: called next).
pub async fn places_in_line(db: &Db, day: Date, doctor_id: i64) -> Result<Vec<(i64, i64)>, ServiceError> {
    Ok(repo::places_in_line(db, day, doctor_id).await?)
}

/// One ticket, read inside a change.
pub async fn ticket_in(tx: &mut Tx, id: i64) -> Result<Option<Ticket>, ServiceError> {
    Ok(repo::ticket(&mut *tx, id).await?)
}

/// One ticket, read outside any change (a page about it).
pub async fn ticket(db: &Db, id: i64) -> Result<Option<Ticket>, ServiceError> {
    Ok(repo::ticket(db, id).await?)
}

/// A day's tickets counted by status (the home pages' figures).
pub async fn status_counts(db: &Db, day: Date) -> Result<Vec<(TicketStatus, i64)>, ServiceError> {
    Ok(repo::status_counts(db, day).await?)
}

/// How many tickets of a day wait for this doctor's "call next" (their queue and the general queue).
pub async fn waiting_for(db: &Db, day: Date, doctor_id: i64) -> Result<i64, ServiceError> {
    Ok(repo::waiting_for(db, day, doctor_id).await?)
}

/// Closes tickets left open on earlier days (the end-of-day sweep; check-in also does it for its patient).
pub async fn close_stale_tickets(db: &Db, today: Date) -> Result<u64, ServiceError> {
    let mut tx = db.begin_write().await?;
    let closed = repo::close_stale(&mut tx, today, None).await?;
    if closed > 0 {
        tx.announce(Event::Queue { call: None });
    }
    tx.commit().await?;
    Ok(closed)
}

/// Today's open tickets by patient (their codes), so a search for a walk-in says who is already in the queue.
pub async fn open_ticket_codes(
    db: impl crate::db::Reader,
    today: Date,
) -> Result<std::collections::HashMap<i64, String>, ServiceError> {
    Ok(repo::open_ticket_codes(db, today).await?.into_iter().collect())
}

/// The patient's open ticket today or earlier (waiting, called or with the doctor), for their record's page.
pub async fn open_ticket_of(db: impl crate::db::Reader, patient_id: i64) -> Result<Option<Ticket>, ServiceError> {
    Ok(repo::open_ticket_of(db, patient_id).await?)
}
