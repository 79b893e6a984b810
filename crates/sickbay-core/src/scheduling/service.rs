//! Scheduling operations, each one transaction with its audit row: generating slots from hours, booking,
//! cancelling, rescheduling, blocking, no-shows and the waitlist.

use std::collections::HashSet;

use chrono::Duration as Days;

use super::messages;
use super::model::{
    Action, AppointmentStatus, AppointmentView, BookingRules, Holdings, Hours, NewClosure, Refusal, Stretch,
    WaitlistEntry, check_booking, closure_detail, first_overlap, generate, patient_may_change,
};
use super::repo::{self, Closure, DayCounts, NewAppointment, Slot, StatusCount};
use crate::audit::{self, AuditEntry};
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::{Date, Db, Reader, Timestamp, Tx, is_unique_violation};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::{Actor, DoctorScope};
use crate::outbox::model::reminder_due;
use crate::outbox::service as outbox;

/// A booking that failed: refused by the clinic's rules (the booking page says why and stays open), or any
/// other service error.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sqlx::Error> for BookingError {
    fn from(err: sqlx::Error) -> Self {
        BookingError::Service(err.into())
    }
}

/// What a generation run did; `orphans` are booked slots that the hours no longer call for, kept and listed
/// so the clinic can contact the patients.
#[derive(Debug, Default)]
pub struct Generated {
    pub created: u64,
    pub removed: u64,
    pub orphans: Vec<AppointmentView>,
}

/// How far ahead slots are made: from the clinic's today, `days` days, in its time zone
/// (`Settings::slot_horizon`).
#[derive(Clone, Copy, Debug)]
pub struct Horizon {
    pub today: chrono::NaiveDate,
    pub days: i64,
    pub zone: chrono_tz::Tz,
}

/// Brings the slots of the coming `booking_horizon_days` in line with the hours and closures (of one doctor,
/// or all). Safe to run often and on several instances at once: inserts are idempotent, removals only touch
/// slots nobody holds, and generations for one doctor run one after the other. Each first locks the doctor's
/// staff row (every doctor's, in id order, for all), the lock adding hours takes too, and only then reads the
/// hours: a generation that read the hours before others were added would otherwise delete, as no longer
/// wanted, the slots a generation for the new hours had just made. (On SQLite the write transaction alone
/// already runs by itself.)
pub async fn generate_slots(db: &Db, horizon: Horizon, doctor_id: Option<i64>) -> Result<Generated, ServiceError> {
    let today = horizon.today;
    let until = today + Days::days(horizon.days);
    let mut tx = db.begin_write().await?;
    match doctor_id {
        Some(id) => {
            crate::staff::service::lock_doctor(&mut tx, id).await?;
        }
        None => crate::staff::service::lock_all_doctors(&mut tx).await?,
    }
    // After the lock: slots that start while it was awaited are not generated.
    let now = Timestamp::now();
    let hours: Vec<Hours> = match doctor_id {
        Some(id) => repo::active_hours_in(&mut tx, id).await?,
        None => repo::all_active_hours(&mut tx).await?,
    };
    let closures = repo::closures_between(&mut tx, Date(today), Date(until)).await?;
    let specs: Vec<_> = generate(&hours, &closures, today, until, horizon.zone)
        .into_iter()
        .filter(|s| s.starts_at > now)
        .collect();
    let mut report = Generated {
        created: repo::insert_slots(&mut tx, &specs).await?,
        ..Generated::default()
    };
    let wanted: HashSet<_> = specs.into_iter().collect();
    for repo::SlotUse { slot, history } in repo::future_slots(&mut tx, doctor_id, now).await? {
        if wanted.contains(&slot.spec()) {
            continue;
        }
        if slot.booked > 0 {
            report.orphans.extend(repo::live_on_slot(&mut tx, slot.id).await?);
        } else if history > 0 {
            // Cancelled bookings point at it: keep it for the record, but nobody can book it.
            if !slot.blocked {
                repo::set_blocked(&mut tx, slot.id, true, "No longer in the doctor's hours").await?;
                report.removed += 1;
            }
        } else {
            repo::delete_slot(&mut tx, slot.id).await?;
            report.removed += 1;
        }
    }
    if doctor_id.is_none() {
        report.removed += repo::delete_unused_past_slots(&mut tx, now).await?;
    }
    if report.created + report.removed > 0 {
        tx.announce(Event::Bookings);
    }
    tx.commit().await?;
    Ok(report)
}

/// The actions under which booking forms claim their one-time ids.
const BOOK: &str = "appointment.book";
const RESCHEDULE: &str = "appointment.reschedule";
const ADD_HOURS: &str = "hours.create";
const ADD_CLOSURE: &str = "closure.create";
/// A time blocked, alone or in a stretch; a stretch's form is claimed under it too.
const BLOCK_SLOT: &str = "slot.block";

/// Who is booking, and whether the rules apply to them.
pub enum Booker<'a> {
    /// The patient themselves: every rule applies.
    Patient,
    /// Staff booking for a patient: the rules apply unless they give a reason to override them.
    Staff {
        staff_id: i64,
        override_reason: Option<&'a str>,
    },
}

/// Books a seat in a slot for a patient. One transaction: the patient's row is locked (their limits hold under
/// concurrent requests), the seat is taken with a conditional update (the slot can't be overbooked), the
/// appointment is inserted (a unique index stops a second live booking of the same slot), and audited.
pub async fn book(
    db: &Db,
    actor: &Actor,
    rules: &BookingRules,
    patient_id: i64,
    slot_id: i64,
    reason: &str,
    booker: Booker<'_>,
) -> Result<i64, BookingError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, BOOK).await? {
        return Ok(id);
    }
    let id = book_in(&mut tx, rules, patient_id, slot_id, reason, &booker).await?;
    if let Some(booked) = repo::appointment(&mut tx, id).await? {
        let context = outbox::Context::read(&mut tx).await?;
        outbox::tell_patient(&mut tx, &context, patient_id, messages::confirmed(&context, &booked)).await?;
    }
    let mut entry = AuditEntry::new("appointment.book")
        .record("appointment", id)
        .patient(patient_id);
    if let Booker::Staff {
        override_reason: Some(why),
        ..
    } = booker
    {
        entry = entry.detail(format!("rules overridden: {why}"));
    }
    audit::record_form(&mut tx, actor, entry, BOOK, id).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(id)
}

async fn book_in(
    tx: &mut Tx,
    rules: &BookingRules,
    patient_id: i64,
    slot_id: i64,
    reason: &str,
    booker: &Booker<'_>,
) -> Result<i64, BookingError> {
    if !crate::patients::service::lock_active(tx, patient_id).await? {
        return Err(ServiceError::NotFound.into());
    }
    let slot = repo::slot(&mut *tx, slot_id).await?.ok_or(ServiceError::NotFound)?;
    let now = Timestamp::now();
    if slot.blocked || slot.starts_at <= now {
        return Err(Refusal::Unavailable.into());
    }
    let overridden = matches!(
        booker,
        Booker::Staff {
            override_reason: Some(_),
            ..
        }
    );
    if !overridden {
        if matches!(booker, Booker::Patient) && !crate::patients::service::is_approved(tx, patient_id).await? {
            return Err(Refusal::NotApproved.into());
        }
        let (live_future, live_that_day) = repo::holdings(&mut *tx, patient_id, slot.day, now).await?;
        check_booking(
            rules,
            now,
            slot.starts_at,
            Holdings {
                live_future,
                live_that_day,
            },
        )?;
    }
    if !repo::take_seat(tx, slot_id).await? {
        return Err(Refusal::Full.into());
    }
    let (staff_id, override_reason) = match booker {
        Booker::Patient => (None, ""),
        Booker::Staff {
            staff_id,
            override_reason,
        } => (Some(*staff_id), override_reason.unwrap_or("")),
    };
    let new = NewAppointment {
        patient_id,
        slot_id,
        day: slot.day,
        reason,
        booked_by_staff_id: staff_id,
        override_reason,
    };
    let id = match repo::insert_appointment(tx, &new).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => return Err(Refusal::AlreadyBooked.into()),
        Err(err) => return Err(err.into()),
    };
    repo::settle_waitlist(tx, patient_id, slot.day).await?;
    Ok(id)
}

/// Who is cancelling.
pub enum Canceller<'a> {
    /// The patient, on their own booking, before the cutoff.
    Patient(i64),
    /// Staff, with a reason, on a booking within their scope (a doctor's own slots).
    Staff { scope: DoctorScope, reason: &'a str },
}

/// Cancels a live booking, frees its seat at once and offers it to the first patient on the day's waitlist.
pub async fn cancel(db: &Db, actor: &Actor, rules: &BookingRules, id: i64, by: Canceller<'_>) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    let appointment = cancel_in(&mut tx, rules, id, &by).await?;
    let context = outbox::Context::read(&mut tx).await?;
    let by_clinic = match by {
        Canceller::Patient(_) => None,
        Canceller::Staff { reason, .. } => Some(reason),
    };
    let notice = messages::cancelled(&context, &appointment, by_clinic);
    outbox::tell_patient(&mut tx, &context, appointment.patient_id, notice).await?;
    let detail = match by {
        Canceller::Patient(_) => "by the patient".to_owned(),
        Canceller::Staff { reason, .. } => format!("by staff: {reason}"),
    };
    let entry = AuditEntry::new("appointment.cancel")
        .record("appointment", id)
        .patient(appointment.patient_id)
        .detail(detail);
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(())
}

async fn cancel_in(tx: &mut Tx, rules: &BookingRules, id: i64, by: &Canceller<'_>) -> ServiceResult<AppointmentView> {
    let appointment = repo::appointment(&mut *tx, id).await?.ok_or(ServiceError::NotFound)?;
    let reason = match by {
        Canceller::Patient(patient_id) => {
            // Someone else's booking looks the same as one that doesn't exist.
            if appointment.patient_id != *patient_id {
                return Err(ServiceError::NotFound);
            }
            if !patient_may_change(rules, Timestamp::now(), appointment.starts_at) {
                return Err(ServiceError::Conflict(rules.change_closed_text()));
            }
            ""
        }
        Canceller::Staff { scope, reason } => {
            if !scope.covers(appointment.doctor_id) {
                return Err(ServiceError::NotFound);
            }
            reason
        }
    };
    let cancelled = appointment.can(Action::Cancel)
        && repo::change_status(tx, id, AppointmentStatus::Booked, AppointmentStatus::Cancelled, reason).await?;
    if !cancelled {
        return Err(ServiceError::Conflict(
            "Only an appointment that hasn't started can be cancelled; this one is not.".into(),
        ));
    }
    repo::release_seat(tx, appointment.slot_id).await?;
    outbox::drop_reminders(tx, id, "Dropped: the appointment was cancelled or moved.").await?;
    offer_freed_seat(tx, &appointment).await?;
    Ok(appointment)
}

/// Tells the first patient waiting for the day that a seat is free (their bell, and a message).
async fn offer_freed_seat(tx: &mut Tx, freed: &AppointmentView) -> Result<(), sqlx::Error> {
    if freed.starts_at <= Timestamp::now() {
        return Ok(());
    }
    if let Some(patient) = repo::offer_to_first_waiting(tx, freed.day, freed.slot_id).await? {
        let context = outbox::Context::read(&mut *tx).await?;
        outbox::tell_patient(tx, &context, patient, messages::place_free(&context, freed, patient)).await?;
    }
    Ok(())
}

/// Moves the patient's booking to another slot in one transaction: if the new slot can't be had, the old
/// booking stays as it was.
pub async fn reschedule(
    db: &Db,
    actor: &Actor,
    rules: &BookingRules,
    patient_id: i64,
    id: i64,
    new_slot_id: i64,
) -> Result<i64, BookingError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(new_id) = actor.claim_form(&mut tx, RESCHEDULE).await? {
        return Ok(new_id);
    }
    let old = cancel_in(&mut tx, rules, id, &Canceller::Patient(patient_id)).await?;
    let new_id = book_in(&mut tx, rules, patient_id, new_slot_id, &old.reason, &Booker::Patient).await?;
    repo::mark_moved(&mut tx, id, new_id).await?;
    if let Some(new) = repo::appointment(&mut tx, new_id).await? {
        let context = outbox::Context::read(&mut tx).await?;
        outbox::tell_patient(&mut tx, &context, patient_id, messages::moved(&context, &old, &new)).await?;
    }
    let entry = AuditEntry::new("appointment.reschedule")
        .record("appointment", new_id)
        .patient(patient_id)
        .detail(format!("from appointment {id}"));
    audit::record_form(&mut tx, actor, entry, RESCHEDULE, new_id).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(new_id)
}

/// A patient's own booking that hasn't started yet, the one a "move your booking" page is for. Someone else's
/// booking looks the same as one that doesn't exist.
pub async fn own_booking(db: &Db, patient_id: i64, id: i64) -> ServiceResult<AppointmentView> {
    repo::appointment(db, id)
        .await?
        .filter(|a| a.patient_id == patient_id && a.can(Action::Cancel))
        .ok_or(ServiceError::NotFound)
}

/// Writes the reminders due at `now` (the clinic's reminder hours before each booking), each booking's in its
/// own transaction with its stage moved on, so two instances never write one twice and a run cut short loses
/// nothing. How many were written.
pub async fn queue_reminders(db: &Db, now: Timestamp) -> Result<usize, ServiceError> {
    let hours = outbox::Context::read(db).await?.messages.reminder_hours;
    let (Some(&furthest), Some(&nearest)) = (hours.iter().max(), hours.iter().min()) else {
        return Ok(0);
    };
    let until = Timestamp(now.0 + furthest * 3_600_000);
    let mut written = 0;
    for booking in repo::reminder_candidates(db, now, until, nearest).await? {
        let Some(stage) = reminder_due(&hours, booking.booked_at, booking.starts_at, now) else {
            continue;
        };
        if booking.reminder_stage.is_some_and(|done| done <= stage) {
            continue;
        }
        let mut tx = db.begin_write().await?;
        if !repo::advance_reminder(&mut tx, booking.id, stage).await? {
            continue;
        }
        let Some(appointment) = repo::appointment(&mut tx, booking.id).await? else {
            continue;
        };
        let context = outbox::Context::read(&mut tx).await?;
        let notice = messages::reminder(&context, &appointment, stage);
        if outbox::tell_patient(&mut tx, &context, appointment.patient_id, notice).await? {
            written += 1;
        }
        tx.commit().await?;
    }
    Ok(written)
}

/// Blocks or unblocks a slot within the scope. Blocking never cancels bookings: it returns the live ones so
/// staff can act.
pub async fn set_blocked(
    db: &Db,
    actor: &Actor,
    scope: DoctorScope,
    slot_id: i64,
    blocked: bool,
    reason: &str,
) -> ServiceResult<Vec<AppointmentView>> {
    let mut tx = db.begin_write().await?;
    let slot = repo::slot(&mut tx, slot_id).await?;
    if !slot.is_some_and(|slot| scope.covers(slot.doctor_id))
        || !repo::set_blocked(&mut tx, slot_id, blocked, reason).await?
    {
        return Err(ServiceError::NotFound);
    }
    let live = repo::live_on_slot(&mut tx, slot_id).await?;
    let action = if blocked { BLOCK_SLOT } else { "slot.unblock" };
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new(action).record("slot", slot_id).detail(reason),
    )
    .await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(live)
}

/// What blocking a stretch did: how many times it blocked, and the appointments kept on them, to contact.
#[derive(Debug, Default)]
pub struct StretchBlocked {
    pub times: usize,
    pub kept: Vec<AppointmentView>,
}

/// Blocks every time of a doctor's that a stretch overlaps and that has not started, in one transaction, each
/// audited as a time blocked alone; refused when there was nothing left to block. The same form sent again
/// blocks nothing and answers `None`.
pub async fn block_stretch(
    db: &Db,
    actor: &Actor,
    scope: DoctorScope,
    doctor_id: i64,
    stretch: &Stretch,
) -> ServiceResult<Option<StretchBlocked>> {
    if !scope.covers(doctor_id) {
        return Err(ServiceError::NotFound);
    }
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, BLOCK_SLOT).await? {
        return Ok(None);
    }
    let between = (stretch.from, stretch.until);
    let blocked = repo::block_stretch(&mut tx, doctor_id, between, &stretch.reason, Timestamp::now()).await?;
    let Some(&first) = blocked.first() else {
        return Err(ServiceError::Refused(
            "There is no open time in that stretch that has not started.".to_owned(),
        ));
    };
    let mut kept = Vec::new();
    for &slot_id in &blocked {
        kept.extend(repo::live_on_slot(&mut tx, slot_id).await?);
        let entry = AuditEntry::new(BLOCK_SLOT)
            .record("slot", slot_id)
            .detail(&stretch.reason);
        audit::record(&mut tx, actor, entry).await?;
    }
    actor.complete_form(&mut tx, BLOCK_SLOT, first).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(Some(StretchBlocked {
        times: blocked.len(),
        kept,
    }))
}

/// Marks bookings as no-shows once their slot ended `grace_minutes` ago without a check-in. Idempotent.
pub async fn mark_no_shows(db: &Db, grace_minutes: i64) -> Result<usize, ServiceError> {
    let mut tx = db.begin_write().await?;
    let marked = repo::mark_no_shows(&mut tx, Timestamp::now().minus_minutes(grace_minutes)).await?;
    let actor = Actor::system("no-show job");
    let mut days: Vec<Date> = marked.iter().map(|(_, _, day)| *day).collect();
    days.sort();
    days.dedup();
    for day in days {
        // A slot late in the evening is marked after midnight, on a day already summarized.
        crate::db::late_changes::day_changed(&mut tx, day).await?;
    }
    for (id, patient, _) in &marked {
        audit::record(
            &mut tx,
            &actor,
            AuditEntry::new("appointment.no_show")
                .record("appointment", *id)
                .patient(*patient),
        )
        .await?;
    }
    if !marked.is_empty() {
        tx.announce(Event::Bookings);
    }
    tx.commit().await?;
    Ok(marked.len())
}

/// Staff correct a wrong mark (see [`AppointmentStatus::corrections`]) of an appointment within their scope,
/// audited.
pub async fn correct_status(
    db: &Db,
    actor: &Actor,
    scope: DoctorScope,
    id: i64,
    to: AppointmentStatus,
    why: &str,
) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    let appointment = repo::appointment(&mut tx, id)
        .await?
        .filter(|a| scope.covers(a.doctor_id))
        .ok_or(ServiceError::NotFound)?;
    let allowed = appointment.status.may_correct_to(to);
    if !allowed || !repo::change_status(&mut tx, id, appointment.status, to, "").await? {
        return Err(ServiceError::Conflict(format!(
            "A {} appointment can't be changed to {}.",
            appointment.status.label(),
            to.label()
        )));
    }
    crate::db::late_changes::day_changed(&mut tx, appointment.day).await?;
    let detail = format!("{} → {}: {why}", appointment.status.label(), to.label());
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("appointment.correct")
            .record("appointment", id)
            .patient(appointment.patient_id)
            .detail(detail),
    )
    .await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(())
}

/// Joins the waitlist of a day.
pub async fn join_waitlist(db: &Db, actor: &Actor, patient_id: i64, day: Date) -> Result<bool, ServiceError> {
    let mut tx = db.begin_write().await?;
    let joined = repo::join_waitlist(&mut tx, patient_id, day).await?;
    if joined {
        audit::record(
            &mut tx,
            actor,
            AuditEntry::new("waitlist.join")
                .patient(patient_id)
                .detail(day.to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(joined)
}

/// Adds weekly hours to a doctor's. One transaction: the doctor is locked (two clerks can't add clashing
/// hours at once), hours that overlap active ones are refused naming the clash, and the change is audited.
/// Slots follow with [`generate_slots`].
pub async fn add_hours(db: &Db, actor: &Actor, hours: &Hours) -> ServiceResult<i64> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, ADD_HOURS).await? {
        return Ok(id);
    }
    if !crate::staff::service::lock_doctor(&mut tx, hours.doctor_id).await? {
        return Err(ServiceError::NotFound);
    }
    let existing = repo::active_hours_in(&mut tx, hours.doctor_id).await?;
    if let Some(clash) = first_overlap(&existing, hours) {
        return Err(ServiceError::field(
            "overlap",
            format!("These hours overlap {}.", clash.describe()),
        ));
    }
    let id = repo::insert_hours(&mut tx, hours).await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new(ADD_HOURS).record("hours", id).detail(format!(
            "doctor {}: {}",
            hours.doctor_id,
            hours.describe()
        )),
    )
    .await?;
    actor.complete_form(&mut tx, ADD_HOURS, id).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(id)
}

/// Ends weekly hours (they stay on record, inactive); `false` when they had already ended. Slots follow with
/// [`generate_slots`].
pub async fn remove_hours(db: &Db, actor: &Actor, hours: &Hours) -> ServiceResult<bool> {
    let mut tx = db.begin_write().await?;
    crate::staff::service::lock_doctor(&mut tx, hours.doctor_id).await?;
    if !repo::deactivate_hours(&mut tx, hours.id).await? {
        return Ok(false);
    }
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("hours.remove")
            .record("hours", hours.id)
            .detail(format!("doctor {}: {}", hours.doctor_id, hours.describe())),
    )
    .await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(true)
}

/// Closes a day for the clinic or a doctor; a second closure of the same day and scope is a conflict.
pub async fn add_closure(db: &Db, actor: &Actor, closure: &NewClosure, by: i64) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, ADD_CLOSURE).await? {
        return Ok(());
    }
    let Some(id) = repo::insert_closure(&mut tx, closure.day, closure.doctor_id, &closure.reason, by).await? else {
        let message = match closure.doctor_id {
            None => format!("The clinic is already closed on {}.", closure.day),
            Some(_) => format!("This doctor is already on leave on {}.", closure.day),
        };
        return Err(ServiceError::field("day", message));
    };
    let detail = closure_detail(closure.day, closure.doctor_id, &closure.reason);
    audit::record(&mut tx, actor, AuditEntry::new(ADD_CLOSURE).detail(detail)).await?;
    actor.complete_form(&mut tx, ADD_CLOSURE, id).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(())
}

pub async fn remove_closure(db: &Db, actor: &Actor, closure: &Closure) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    if !repo::delete_closure(&mut tx, closure.id).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("closure.remove")
        .record("closure", closure.id)
        .detail(closure_detail(closure.day, closure.doctor_id, &closure.reason));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Bookings);
    tx.commit().await?;
    Ok(())
}

/// Takes the patient off a day's waitlist; someone else's entry, or one already settled, is not found.
pub async fn leave_waitlist(db: &Db, actor: &Actor, patient_id: i64, id: i64) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    if !repo::leave_waitlist(&mut tx, patient_id, id).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("waitlist.leave")
        .record("waitlist_entry", id)
        .patient(patient_id);
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The patient's places on waitlists from `from` on.
pub async fn waitlist_of(db: &Db, patient_id: i64, from: Date) -> Result<Vec<WaitlistEntry>, ServiceError> {
    Ok(repo::waitlist_of(db, patient_id, from).await?)
}

// ---- reading, within a scope ------------------------------------------------------------------------------

/// Weekly hours within the scope (a doctor's own), or not found.
pub async fn hours(db: &Db, scope: DoctorScope, id: i64) -> ServiceResult<Hours> {
    repo::hours(db, id)
        .await?
        .filter(|h| scope.covers(h.doctor_id))
        .ok_or(ServiceError::NotFound)
}

/// The active hours of a doctor, newest rules first.
pub async fn hours_of(db: &Db, doctor_id: i64) -> Result<Vec<Hours>, ServiceError> {
    Ok(repo::hours_of(db, doctor_id).await?)
}

/// A slot within the scope, or not found.
pub async fn slot(db: &Db, scope: DoctorScope, id: i64) -> ServiceResult<Slot> {
    repo::slot(db, id)
        .await?
        .filter(|s| scope.covers(s.doctor_id))
        .ok_or(ServiceError::NotFound)
}

/// An appointment in a slot within the scope, or not found.
pub async fn appointment(db: impl Reader, scope: DoctorScope, id: i64) -> ServiceResult<AppointmentView> {
    repo::appointment(db, id)
        .await?
        .filter(|a| scope.covers(a.doctor_id))
        .ok_or(ServiceError::NotFound)
}

/// A closure within the scope (a doctor: their own leave, not the clinic's days), or not found.
pub async fn closure(db: &Db, scope: DoctorScope, id: i64) -> ServiceResult<Closure> {
    repo::closure(db, id)
        .await?
        .filter(|c| scope.covers_maybe(c.doctor_id))
        .ok_or(ServiceError::NotFound)
}

/// Closures and leave from `from` on that the scope sees: a doctor the clinic's and their own.
pub async fn upcoming_closures(db: &Db, scope: DoctorScope, from: Date) -> Result<Vec<Closure>, ServiceError> {
    let mut closures = repo::upcoming_closures(db, from).await?;
    closures.retain(|c| c.doctor_id.is_none_or(|d| scope.covers(d)));
    Ok(closures)
}

/// What a doctor's schedule shows for the days `from..=to`: the counts per day (from the database), and the
/// slots with their appointments (the day view) or the appointments counted by status and those still to
/// happen (the week view).
#[derive(Default)]
pub struct ScheduleData {
    pub counts: Vec<DayCounts>,
    pub slots: Vec<Slot>,
    pub appointments: Vec<AppointmentView>,
    pub statuses: Vec<StatusCount>,
    /// The week's appointments still to happen.
    pub upcoming: Vec<AppointmentView>,
}

/// A doctor's days `from..=to`: the slot counts, and either every slot with its appointments (a day) or the
/// appointments counted by status with those still to happen listed (a week: seven glances, not every slot).
pub async fn schedule(db: &Db, doctor_id: i64, from: Date, to: Date, with_slots: bool) -> ServiceResult<ScheduleData> {
    let counts = repo::day_counts(db, doctor_id, from, to).await?;
    if !with_slots {
        return Ok(ScheduleData {
            counts,
            statuses: repo::status_counts(db, doctor_id, from, to).await?,
            upcoming: repo::live_appointments_between(db, doctor_id, from, to).await?,
            ..ScheduleData::default()
        });
    }
    Ok(ScheduleData {
        counts,
        slots: repo::slots_between(db, doctor_id, from, to).await?,
        appointments: repo::appointments_between(db, doctor_id, from, to).await?,
        ..ScheduleData::default()
    })
}

/// The doctors with slots on any of the days `from..=to` (who works then).
pub async fn doctors_with_slots(db: &Db, from: Date, to: Date) -> Result<Vec<i64>, ServiceError> {
    Ok(repo::doctors_with_slots(db, from, to).await?)
}

// ---- for other features -------------------------------------------------------------------------------

/// A patient's appointments, newest first (at most 100): their record and their portal.
pub async fn appointments_of_patient(db: impl Reader, patient_id: i64) -> Result<Vec<AppointmentView>, ServiceError> {
    Ok(repo::appointments_of_patient(db, patient_id).await?)
}

/// The patient's next booked appointment, not checked in yet, that has not ended by `now` (the patient's home
/// page, which shows a checked-in one as the ticket).
pub async fn next_appointment_of_patient(
    db: impl Reader,
    patient_id: i64,
    now: Timestamp,
) -> Result<Option<AppointmentView>, ServiceError> {
    Ok(repo::next_appointment_of_patient(db, patient_id, now).await?)
}

/// A doctor's appointments on the days `from..=to`, in time order: the doctor's home page.
pub async fn appointments_between(
    db: &Db,
    doctor_id: i64,
    from: Date,
    to: Date,
) -> Result<Vec<AppointmentView>, ServiceError> {
    Ok(repo::appointments_between(db, doctor_id, from, to).await?)
}

/// Every doctor's appointments on a day in one status, in time order: reception's list of who is due.
pub async fn appointments_on(
    db: &Db,
    day: Date,
    status: AppointmentStatus,
) -> Result<Vec<AppointmentView>, ServiceError> {
    Ok(repo::appointments_on(db, day, status).await?)
}

/// A doctor's appointments on the days `from..=to` counted by day and status (the doctor's home page).
pub async fn status_counts(db: &Db, doctor_id: i64, from: Date, to: Date) -> Result<Vec<StatusCount>, ServiceError> {
    Ok(repo::status_counts(db, doctor_id, from, to).await?)
}

/// How many appointments a doctor's days `from..=to` hold, cancelled ones left out (the doctor's week at a glance):
/// the seats taken in their slots, added up from the same day counts as the week view.
pub async fn seats_taken(db: &Db, doctor_id: i64, from: Date, to: Date) -> Result<i64, ServiceError> {
    let days = repo::day_counts(db, doctor_id, from, to).await?;
    Ok(days.iter().map(|day| day.booked).sum())
}

/// Every doctor's appointments on a day counted by status (the front desk's and the admin's home pages).
pub async fn day_status_counts(db: &Db, day: Date) -> Result<Vec<(AppointmentStatus, i64)>, ServiceError> {
    Ok(repo::day_status_counts(db, day).await?)
}

/// The patient's first appointment of `day` still to check in, in the caller's transaction (the queue, which
/// checks them in to it rather than adding them as a walk-in).
pub async fn booked_of_patient_on(tx: &mut Tx, patient_id: i64, day: Date) -> ServiceResult<Option<AppointmentView>> {
    Ok(repo::booked_of_patient_on(&mut *tx, patient_id, day).await?)
}

/// An appointment, in the caller's transaction (the queue checking a patient in).
pub async fn appointment_in(tx: &mut Tx, id: i64) -> Result<Option<AppointmentView>, ServiceError> {
    Ok(repo::appointment(&mut *tx, id).await?)
}

/// Moves an appointment from one status to another in the caller's transaction (the queue: checked in, in
/// consultation, completed); `false` when it was no longer in `from` (someone else moved it first).
pub async fn change_status(
    tx: &mut Tx,
    id: i64,
    from: AppointmentStatus,
    to: AppointmentStatus,
) -> Result<bool, ServiceError> {
    Ok(repo::change_status(tx, id, from, to, "").await?)
}
