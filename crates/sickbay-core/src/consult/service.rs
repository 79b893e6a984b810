//! Visit operations, each one transaction with its audit row: opening a visit with its ticket's start, from a
//! patient's record, completing it with its ticket and appointment, and what is recorded in it. The other
//! clinical features (prescriptions, lab orders, procedures, documents) check a visit through `visit_for`
//! and `writable_visit_in`.

use super::model::{
    Access, DraftChoice, NoteKind, Recorded, Reviewed, Visit, VisitLine, VitalsForm, WEIGHT_SINCE_DAYS, check_review,
    parse_draft, parse_note,
};
use super::repo::{self, NewVisit};
use crate::audit::{self, AuditEntry, Reads};
use crate::db::events::{Call, Event};
use crate::db::form_ids::Claim;
use crate::db::paging::CursorPage;
use crate::db::{Date, Db, Reader, Timestamp, Tx, is_unique_violation};
use crate::error::ServiceError;
use crate::identity::{Actor, Role, StaffUser};
use crate::queue::model::{Move, TicketStatus};
use crate::queue::service::{self as queue, MoveRequest};
use crate::scheduling::model::AppointmentStatus;

/// The visit, whoever asks: for features that check their own rules (billing bills completed visits).
pub async fn visit(db: &Db, visit_id: i64) -> Result<Option<Visit>, ServiceError> {
    Ok(repo::visit(db, visit_id).await?)
}

/// The visit, if `user` may have `access` to it now: NotFound, Forbidden, or a Conflict that says why (a
/// completed visit, say).
pub async fn visit_for(
    db: impl Reader,
    user: &StaffUser,
    visit_id: i64,
    access: Access,
) -> Result<Visit, ServiceError> {
    let visit = repo::visit(db, visit_id).await?.ok_or(ServiceError::NotFound)?;
    allowed(visit, user, access)
}

/// The same check inside a change, with the visit's row locked until the change commits, so the visit can't
/// be completed halfway through it.
pub async fn writable_visit_in(
    tx: &mut Tx,
    user: &StaffUser,
    visit_id: i64,
    access: Access,
) -> Result<Visit, ServiceError> {
    repo::lock_visit(tx, visit_id).await?;
    let visit = repo::visit(&mut *tx, visit_id).await?.ok_or(ServiceError::NotFound)?;
    allowed(visit, user, access)
}

fn allowed(visit: Visit, user: &StaffUser, access: Access) -> Result<Visit, ServiceError> {
    if visit.allows(user, access) {
        return Ok(visit);
    }
    let may_ever = match access {
        Access::Read => false,
        Access::Vitals => user.holds(Role::Lab) || visit.allows_author(user),
        Access::Write | Access::Amend => visit.allows_author(user),
    };
    match may_ever {
        true => Err(ServiceError::Conflict(visit.refusal(access).to_owned())),
        false => Err(ServiceError::Forbidden),
    }
}

impl Visit {
    /// Whether `user` is the visit's doctor (who may write it in the right state).
    fn allows_author(&self, user: &StaffUser) -> bool {
        user.holds(Role::Doctor) && user.id == self.doctor_id
    }
}

/// A visit just opened (or the open one it continues).
#[derive(Clone, Copy, Debug)]
pub struct Opened {
    pub visit_id: i64,
}

/// A ticket started, and its visit.
#[derive(Clone, Debug)]
pub struct StartedTicket {
    pub visit_id: i64,
    pub ticket_code: String,
    pub patient_name: String,
}

/// Starts a called ticket and opens its visit with the ticket's doctor, in one transaction.
pub async fn start_ticket(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    ticket_id: i64,
    today: Date,
) -> Result<StartedTicket, ServiceError> {
    let mut tx = db.begin_write().await?;
    let started = start_in(&mut tx, user, actor, ticket_id, today).await?;
    tx.commit().await?;
    Ok(started)
}

/// What "Start" on a checked-in appointment did: called its waiting ticket to the doctor's room (the patient is
/// still in the waiting room), or started the ticket already called, opening its visit.
#[derive(Clone, Debug)]
pub enum AppointmentStart {
    Called(Call),
    Started(StartedTicket),
}

/// "Start" on a checked-in appointment (the doctor's home), in one transaction. A ticket still waiting is
/// called first, as "Call next" would call it: the display announces it and the patient's phone says where to
/// go, and the doctor starts it when the patient comes in. A ticket already called is started and its visit
/// opens.
pub async fn start_appointment(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    appointment_id: i64,
    today: Date,
) -> Result<AppointmentStart, ServiceError> {
    let mut tx = db.begin_write().await?;
    let appointment = crate::scheduling::service::appointment_in(&mut tx, appointment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !crate::identity::DoctorScope::of(user).covers(appointment.doctor_id) || user.role != Role::Doctor {
        return Err(ServiceError::Forbidden);
    }
    if !appointment.can(crate::scheduling::model::Action::Start) {
        return Err(ServiceError::Conflict(format!(
            "This appointment is {}: only a checked-in patient's consultation can be started.",
            appointment.status.label().to_lowercase()
        )));
    }
    let ticket = queue::ticket_of_appointment_in(&mut tx, appointment_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let done = match ticket.status {
        TicketStatus::Waiting => {
            AppointmentStart::Called(queue::call_in(&mut tx, actor, appointment.doctor_id, ticket.id, today).await?)
        }
        _ => AppointmentStart::Started(start_in(&mut tx, user, actor, ticket.id, today).await?),
    };
    tx.commit().await?;
    Ok(done)
}

async fn start_in(
    tx: &mut Tx,
    user: &StaffUser,
    actor: &Actor,
    ticket_id: i64,
    today: Date,
) -> Result<StartedTicket, ServiceError> {
    let request = MoveRequest {
        ticket_id,
        mv: Move::Start,
        scope: crate::identity::DoctorScope::of(user),
        transfer_to: None,
        priority: None,
        skip_places: 0,
    };
    let (ticket, _) = queue::move_in(tx, actor, &request).await?;
    let doctor_id = ticket
        .doctor_id
        .ok_or_else(|| ServiceError::Refused("Call the ticket to a doctor before starting it.".into()))?;
    let new = NewVisit {
        patient_id: ticket.patient_id,
        doctor_id,
        ticket_id: Some(ticket.id),
        appointment_id: ticket.appointment_id,
        day: today,
    };
    let opened = open_in(tx, actor, &new).await?;
    Ok(StartedTicket {
        visit_id: opened.visit_id,
        ticket_code: ticket.code,
        patient_name: ticket.patient_name,
    })
}

/// Opens a visit of the doctor with a patient from the patient's record (no ticket), or returns the one
/// already open, so a second click opens nothing more.
pub async fn start_for_patient(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    patient_id: i64,
    today: Date,
) -> Result<Opened, ServiceError> {
    if user.role != Role::Doctor {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    if !crate::patients::service::lock_active(&mut tx, patient_id).await? {
        return Err(ServiceError::NotFound);
    }
    if repo::open_visit_in(&mut tx, patient_id, user.id).await?.is_none() {
        refuse_past_the_queue(&mut tx, patient_id, user.id).await?;
    }
    let new = NewVisit {
        patient_id,
        doctor_id: user.id,
        ticket_id: None,
        appointment_id: None,
        day: today,
    };
    let opened = open_in(&mut tx, actor, &new).await?;
    tx.commit().await?;
    Ok(opened)
}

/// A patient waiting in the doctor's queue or the general one (or called by this doctor) is seen through their
/// ticket, so that the queue, the waiting room's screen and the counts follow: a visit opened from their record
/// would leave the ticket waiting, to be called a second time. A ticket for another doctor is that doctor's.
async fn refuse_past_the_queue(tx: &mut Tx, patient_id: i64, doctor_id: i64) -> Result<(), ServiceError> {
    match queue::open_ticket_of(&mut *tx, patient_id).await? {
        Some(ticket)
            if matches!(ticket.status, TicketStatus::Waiting | TicketStatus::Called)
                && ticket.doctor_id.is_none_or(|theirs| theirs == doctor_id) =>
        {
            Err(ServiceError::Refused(format!(
                "{} is in today's queue as {}: call them from your queue and start the visit there, so the queue \
                 and the waiting room follow.",
                ticket.patient_name, ticket.code
            )))
        }
        _ => Ok(()),
    }
}

/// Inserts the visit, or continues the open visit the doctor already has with the patient (giving it the
/// ticket when it has none).
async fn open_in(tx: &mut Tx, actor: &Actor, new: &NewVisit) -> Result<Opened, ServiceError> {
    announce_visits(tx);
    if let Some(open) = repo::open_visit_in(tx, new.patient_id, new.doctor_id).await? {
        if let Some(ticket_id) = new.ticket_id
            && !repo::attach_ticket(tx, open.id, ticket_id, new.appointment_id).await?
        {
            return Err(ServiceError::Conflict(
                "This patient already has an open visit with this doctor for another ticket. Complete it first.".into(),
            ));
        }
        return Ok(Opened { visit_id: open.id });
    }
    let visit_id = match repo::insert_visit(tx, new).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(
                "This visit was opened a moment ago; open it from the queue.".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let entry = AuditEntry::new("visit.open")
        .record("visit", visit_id)
        .patient(new.patient_id);
    audit::record(tx, actor, entry).await?;
    Ok(Opened { visit_id })
}

/// A visit just completed, and what became of the notes its doctor had typed and not signed.
#[derive(Clone, Debug)]
pub struct Completed {
    pub visit: Visit,
    pub signed: Vec<NoteKind>,
    pub discarded: Vec<NoteKind>,
}

/// Completes a visit and, with it, its ticket and appointment, in one transaction with the notes its doctor
/// typed and did not sign: each signed or discarded as `reviewed` says (what the review before completing
/// showed, and the doctor's choice for each). Without a review (`None`, a form of an older page) a visit with
/// unsigned notes is not completed. A review that no longer matches the drafts (typed on in another window) is
/// refused, and nothing changes. A second click is told the visit is completed, and nothing more changes.
pub async fn complete(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    reviewed: Option<&[Reviewed]>,
) -> Result<Completed, ServiceError> {
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let (signed, discarded) = settle_drafts_in(&mut tx, user, actor, &visit, reviewed).await?;
    complete_in(&mut tx, actor, &visit).await?;
    tx.commit().await?;
    Ok(Completed {
        visit,
        signed,
        discarded,
    })
}

/// Signs or discards the unsigned notes of `user` in the visit (locked by the caller) as the review says, each
/// with its audit row (`visit.note` as when signed from its box; `visit.draft_discard`), and forgets blank ones:
/// the kinds signed and the kinds discarded.
async fn settle_drafts_in(
    tx: &mut Tx,
    user: &StaffUser,
    actor: &Actor,
    visit: &Visit,
    reviewed: Option<&[Reviewed]>,
) -> Result<(Vec<NoteKind>, Vec<NoteKind>), ServiceError> {
    let mut drafts = repo::drafts_of(&mut *tx, visit.id, user.id).await?;
    drafts.retain(|d| d.kind != NoteKind::Addendum);
    drafts.sort_by_key(|d| NoteKind::OPEN.iter().position(|k| *k == d.kind));
    let now: Vec<(NoteKind, &str)> = drafts.iter().map(|d| (d.kind, d.body.as_str())).collect();
    check_review(&now, reviewed).map_err(ServiceError::Conflict)?;
    let (mut signed, mut discarded) = (Vec::new(), Vec::new());
    for draft in &drafts {
        let choice = reviewed
            .and_then(|all| all.iter().find(|r| r.kind == draft.kind))
            .map(|r| r.choice);
        match choice {
            Some(DraftChoice::Sign) => {
                let body = parse_note(&draft.body).map_err(ServiceError::Conflict)?;
                let id = repo::insert_note(tx, visit.id, draft.kind, &body, user.id).await?;
                let entry = AuditEntry::new("visit.note")
                    .record("clinical_note", id)
                    .patient(visit.patient_id)
                    .detail(draft.kind.label());
                audit::record(tx, actor, entry).await?;
                signed.push(draft.kind);
            }
            Some(DraftChoice::Discard) => {
                let entry = AuditEntry::new("visit.draft_discard")
                    .record("visit", visit.id)
                    .patient(visit.patient_id)
                    .detail(draft.kind.label());
                audit::record(tx, actor, entry).await?;
                discarded.push(draft.kind);
            }
            // A blank draft: nothing was typed to keep (`check_review` let no other kind through).
            None => {}
        }
        repo::delete_draft(tx, visit.id, user.id, draft.kind).await?;
    }
    Ok((signed, discarded))
}

/// Keeps what is typed in the visit's note boxes as their drafts, all at once: the text comes with the
/// "Complete visit" form, so a note typed a moment before the click reaches the review (not audited, like
/// every draft). A box whose text was just signed is left alone.
pub async fn save_drafts(
    db: &Db,
    user: &StaffUser,
    visit_id: i64,
    typed: &[(NoteKind, String)],
) -> Result<(), ServiceError> {
    let mut parsed = Vec::with_capacity(typed.len());
    for (kind, body) in typed {
        let body = parse_draft(body).map_err(|message| ServiceError::field("body", message))?;
        parsed.push((*kind, body));
    }
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    for (kind, body) in parsed {
        if kind == NoteKind::Addendum || repo::is_signed(&mut tx, visit.id, user.id, kind, &body).await? {
            continue;
        }
        repo::save_draft(&mut tx, visit.id, user.id, kind, &body).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Completes the visit of a ticket the doctor is seeing (the queue's "Complete"). A ticket started before
/// visits existed has none, and is completed alone.
pub async fn complete_ticket(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    ticket_id: i64,
) -> Result<queue::Moved, ServiceError> {
    let mut tx = db.begin_write().await?;
    let ticket = queue::ticket_in(&mut tx, ticket_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let done = queue::Moved::of(&ticket);
    match repo::visit_of_ticket_in(&mut tx, ticket_id).await? {
        Some(visit) => {
            let visit = writable_visit_in(&mut tx, user, visit.id, Access::Write).await?;
            settle_drafts_in(&mut tx, user, actor, &visit, None).await?;
            complete_in(&mut tx, actor, &visit).await?;
        }
        None => {
            let request = MoveRequest {
                ticket_id,
                mv: Move::Complete,
                scope: crate::identity::DoctorScope::of(user),
                transfer_to: None,
                priority: None,
                skip_places: 0,
            };
            queue::move_in(&mut tx, actor, &request).await?;
        }
    }
    tx.commit().await?;
    Ok(done)
}

/// Open visits show on the queue's screens (the doctor's open visits, the lab's patients with a doctor).
fn announce_visits(tx: &mut Tx) {
    tx.announce(Event::Queue { call: None });
}

async fn complete_in(tx: &mut Tx, actor: &Actor, visit: &Visit) -> Result<(), ServiceError> {
    announce_visits(tx);
    if !repo::complete_visit(tx, visit.id).await? {
        return Err(ServiceError::Conflict("This visit was completed a moment ago.".into()));
    }
    // A visit completed after midnight changes its day's consultation times.
    crate::db::late_changes::day_changed(tx, visit.day).await?;
    match (visit.ticket_id, visit.appointment_id) {
        (Some(ticket_id), _) => {
            let ticket = queue::ticket_in(tx, ticket_id).await?.ok_or(ServiceError::NotFound)?;
            if ticket.status == TicketStatus::WithDoctor {
                let request = MoveRequest {
                    ticket_id,
                    mv: Move::Complete,
                    scope: crate::identity::DoctorScope::Any,
                    transfer_to: None,
                    priority: None,
                    skip_places: 0,
                };
                queue::move_in(tx, actor, &request).await?;
            }
        }
        (None, Some(appointment_id)) => {
            crate::scheduling::service::change_status(
                tx,
                appointment_id,
                AppointmentStatus::InConsultation,
                AppointmentStatus::Completed,
            )
            .await?;
        }
        (None, None) => {}
    }
    let entry = AuditEntry::new("visit.complete")
        .record("visit", visit.id)
        .patient(visit.patient_id);
    audit::record(tx, actor, entry).await?;
    Ok(())
}

/// Records a set of vitals in an open visit (its doctor, an admin or a lab attendant), once per form.
pub async fn record_vitals(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    form: &VitalsForm,
) -> Result<(), ServiceError> {
    const VITALS: &str = "visit.vitals";
    let vitals = form.validate().map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, VITALS).await? {
        return Ok(());
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Vitals).await?;
    let since = Timestamp(Timestamp::now().0 - WEIGHT_SINCE_DAYS * 24 * 3_600_000);
    let last_weight = repo::last_weight(&mut tx, visit.patient_id, since).await?;
    form.check_weight_change(&vitals, last_weight)
        .map_err(ServiceError::Invalid)?;
    let id = repo::insert_vitals(&mut tx, visit.patient_id, Some(visit.id), None, &vitals, user.id).await?;
    let entry = AuditEntry::new(VITALS).record("vitals", id).patient(visit.patient_id);
    audit::record_form(&mut tx, actor, entry, VITALS, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Signs a note of `kind` (an addendum once the visit is completed, the other kinds while it is open) and
/// forgets its draft, once per form.
pub async fn write_note(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    kind: NoteKind,
    body: &str,
) -> Result<(), ServiceError> {
    let body = parse_note(body).map_err(|message| ServiceError::field("body", message))?;
    let access = match kind {
        NoteKind::Addendum => Access::Amend,
        _ => Access::Write,
    };
    let action = match kind {
        NoteKind::Addendum => "visit.addendum",
        _ => "visit.note",
    };
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, action).await? {
        return Ok(());
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, access).await?;
    let id = repo::insert_note(&mut tx, visit.id, kind, &body, user.id).await?;
    repo::delete_draft(&mut tx, visit.id, user.id, kind).await?;
    let entry = AuditEntry::new(action)
        .record("clinical_note", id)
        .patient(visit.patient_id)
        .detail(kind.label());
    audit::record_form(&mut tx, actor, entry, action, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Keeps what the author is typing (not audited: nothing is signed until the note is saved).
pub async fn save_draft(
    db: &Db,
    user: &StaffUser,
    visit_id: i64,
    kind: NoteKind,
    body: &str,
) -> Result<(), ServiceError> {
    let body = parse_draft(body).map_err(|message| ServiceError::field("body", message))?;
    let access = match kind {
        NoteKind::Addendum => Access::Amend,
        _ => Access::Write,
    };
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, access).await?;
    // A save sent just before the note was signed may arrive after it: it is not a draft any more.
    if repo::is_signed(&mut tx, visit.id, user.id, kind, &body).await? {
        return Ok(());
    }
    repo::save_draft(&mut tx, visit.id, user.id, kind, &body).await?;
    tx.commit().await?;
    Ok(())
}

/// A visit's diagnoses, in the order they were made (a letter's opening words name them).
pub async fn diagnoses_of_visit(db: impl Reader, visit_id: i64) -> Result<Vec<repo::Diagnosis>, ServiceError> {
    Ok(repo::diagnoses_of_visits(db, &[visit_id]).await?)
}

/// Records a diagnosis, once per form: free text, with an ICD-10-CM code from the bundled list or none. Only
/// doctors diagnose.
pub async fn add_diagnosis(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    code: Option<&str>,
    description: &str,
) -> Result<(), ServiceError> {
    const DIAGNOSIS: &str = "visit.diagnosis";
    let (code, description) = super::icd::validate(code, description).map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, DIAGNOSIS).await? {
        return Ok(());
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    // The visit is locked: two adds of one code check one after the other.
    if let Some(code) = &code
        && repo::has_diagnosis_code(&mut tx, visit.id, code).await?
    {
        return Err(ServiceError::field(
            "code",
            format!("{code} is a diagnosis of this visit already."),
        ));
    }
    let id = repo::insert_diagnosis(&mut tx, &visit, code.as_deref(), &description, visit.doctor_id).await?;
    crate::db::late_changes::day_changed(&mut tx, visit.day).await?;
    let entry = AuditEntry::new(DIAGNOSIS)
        .record("diagnosis", id)
        .patient(visit.patient_id)
        .detail(match &code {
            Some(code) => format!("{code} {description}"),
            None => description.clone(),
        });
    audit::record_form(&mut tx, actor, entry, DIAGNOSIS, id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_diagnosis(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    diagnosis_id: i64,
) -> Result<repo::RemovedDiagnosis, ServiceError> {
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let removed = repo::delete_diagnosis(&mut tx, visit.id, diagnosis_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    crate::db::late_changes::day_changed(&mut tx, visit.day).await?;
    let entry = AuditEntry::new("visit.diagnosis_remove")
        .record("diagnosis", diagnosis_id)
        .patient(visit.patient_id);
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Writes the audit row of a staff member reading a visit's record or a chart.
pub async fn record_read(
    reads: &Reads,
    actor: &Actor,
    action: &'static str,
    record: (&'static str, i64),
    patient_id: i64,
) -> Result<(), ServiceError> {
    let entry = AuditEntry::new(action).record(record.0, record.1).patient(patient_id);
    reads.record(actor, entry).await
}

/// The patient's latest visits, newest first (for their record's page and the chart).
pub async fn visits_of_patient(db: impl Reader, patient_id: i64, limit: i64) -> Result<Vec<VisitLine>, ServiceError> {
    Ok(repo::visits_of_patient(db, patient_id, limit).await?)
}

/// A page of a patient's visits, with the visit it starts after.
pub struct VisitsPage {
    pub page: CursorPage<VisitLine>,
    pub after: Option<VisitLine>,
}

/// A page of the patient's visits, newest first, after their visit `before` (from the newest without it, or
/// when `before` is not one of their visits: so the cursor can't tell anything of anyone else's).
pub async fn visits_page(
    mut db: impl Reader,
    patient_id: i64,
    before: Option<i64>,
    size: i64,
) -> Result<VisitsPage, ServiceError> {
    let after = match before {
        Some(id) => repo::own_visit(&mut db, patient_id, id).await?,
        None => None,
    };
    let cursor = after.as_ref().map(|v| (v.started_at, v.id));
    let rows = repo::visits_of_patient_after(&mut db, patient_id, cursor, size + 1).await?;
    Ok(VisitsPage {
        page: CursorPage::from_rows(rows, size, after.is_none(), |v| v.id),
        after,
    })
}

/// The doctor's visits not completed yet, oldest first, at most `limit` (their home page).
pub async fn open_visits_of_doctor(db: &Db, doctor_id: i64, limit: i64) -> Result<Vec<VisitLine>, ServiceError> {
    Ok(repo::open_visits_of_doctor(db, doctor_id, limit).await?)
}

/// The open visits of every doctor, oldest first, at most `limit`.
pub async fn open_visits(db: &Db, limit: i64) -> Result<Vec<VisitLine>, ServiceError> {
    Ok(repo::open_visits(db, limit).await?)
}

/// How many visits are open: one doctor's, or with `None` every doctor's (the home pages' figures).
pub async fn count_open_visits(db: &Db, doctor_id: Option<i64>) -> Result<i64, ServiceError> {
    Ok(repo::count_open_visits(db, doctor_id).await?)
}

/// How many visits started on a clinic day (the admin's home page).
pub async fn count_visits_on(db: &Db, day: Date) -> Result<i64, ServiceError> {
    Ok(repo::count_visits_on(db, day).await?)
}

/// The visit a ticket opened, if any (the queue's link to the consultation screen).
pub async fn visit_of_ticket(db: &Db, ticket_id: i64) -> Result<Option<i64>, ServiceError> {
    Ok(repo::visit_of_ticket(db, ticket_id).await?)
}

/// Records the vitals of a health record (the lab's screening of a patient) inside the lab's transaction
/// that writes the record; the lab audits the record as a whole.
pub async fn record_health_vitals_in(
    tx: &mut Tx,
    patient_id: i64,
    health_record_id: i64,
    vitals: &super::model::Vitals,
    staff_id: i64,
) -> Result<i64, ServiceError> {
    Ok(repo::insert_vitals(tx, patient_id, None, Some(health_record_id), vitals, staff_id).await?)
}

/// The vitals recorded with these health records, oldest first.
pub async fn vitals_of_health_records(db: impl Reader, ids: &[i64]) -> Result<Vec<Recorded>, ServiceError> {
    Ok(repo::vitals_of_health_records(db, ids).await?)
}

/// The patient's latest vitals, if any were recorded (the lab's pages beside a visit).
pub async fn latest_vitals(db: &Db, patient_id: i64) -> Result<Option<Recorded>, ServiceError> {
    Ok(repo::vitals_of_patient(db, patient_id, 1).await?.into_iter().next())
}
