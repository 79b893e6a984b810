//! Changes to patient records, each one transaction with its audit row.

use super::model::{
    ClinicalAlerts, ContactDetails, PatientDetails, PortalAccess, clinic_number, clinic_number_sequence,
};
use super::repo;
use crate::audit::{self, AuditEntry, Reads};
use crate::auth::{self, password};
use crate::db::form_ids::Claim;
use crate::db::{Db, Reader, Timestamp, Tx, is_unique_violation};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::identity::repo::Account;

const REGISTER: &str = "patient.register";

/// Creates a patient with the next clinic number of `year`. Returns (id, clinic number); the same form sent
/// again returns the patient it registered.
pub async fn register(
    db: &Db,
    actor: &Actor,
    details: &PatientDetails,
    portal: PortalAccess<'_>,
    year: i32,
) -> Result<(i64, String), ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, REGISTER).await? {
        let number = repo::clinic_number_in(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        return Ok((id, number));
    }
    let result = insert_in(&mut tx, details, portal, year).await?;
    let entry = AuditEntry::new("patient.create")
        .record("patient", result.0)
        .patient(result.0)
        .detail(&result.1);
    audit::record_form(&mut tx, actor, entry, REGISTER, result.0).await?;
    tx.commit().await?;
    Ok(result)
}

/// The patient this actor's registration form already registered (id, clinic number), if it did.
pub async fn registered_by_form(db: &Db, actor: &Actor) -> Result<Option<(i64, String)>, ServiceError> {
    let Some(id) = actor.recorded_form(db, REGISTER).await? else {
        return Ok(None);
    };
    let mut tx = db.begin_read().await?;
    let number = repo::clinic_number_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(number.map(|number| (id, number)))
}

/// Numbers and inserts a patient inside the caller's transaction (also used by the import).
pub async fn insert_in(
    tx: &mut Tx,
    details: &PatientDetails,
    portal: PortalAccess<'_>,
    year: i32,
) -> Result<(i64, String), ServiceError> {
    let sequence = crate::db::sequence::next(tx, &clinic_number_sequence(year)).await?;
    let number = clinic_number(year, sequence);
    match repo::insert(tx, &number, details, portal).await? {
        Some(id) => Ok((id, number)),
        None => Err(taken(details)),
    }
}

/// The message beside the matric number field of a form whose number another patient has.
pub const MATRIC_FIELD: &str = "matric_number";

fn taken(details: &PatientDetails) -> ServiceError {
    let matric = details.matric_number.as_ref().map(|m| m.as_str()).unwrap_or_default();
    ServiceError::field(
        MATRIC_FIELD,
        format!("The matric number {matric} is already on record."),
    )
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: Timestamp,
    details: &PatientDetails,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = repo::get(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    if before.updated_at != seen {
        return Err(ServiceError::Stale);
    }
    match repo::update(&mut tx, id, &before.clinic_number, seen, details).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::Stale),
        Err(err) if is_unique_violation(&err) => return Err(taken(details)),
        Err(err) => return Err(err.into()),
    }
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("patient.update").record("patient", id).patient(id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Rewrites a patient's allergies and chronic conditions (a doctor during a visit, or the desk), if the record
/// is still as the form showed it.
pub async fn update_alerts(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: Timestamp,
    alerts: &ClinicalAlerts,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if !repo::update_alerts(&mut tx, id, seen, alerts).await? {
        return match repo::get(&mut tx, id).await? {
            Some(_) => Err(ServiceError::Stale),
            None => Err(ServiceError::NotFound),
        };
    }
    let entry = AuditEntry::new("patient.update")
        .record("patient", id)
        .patient(id)
        .detail("allergies and chronic conditions");
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update_contact(db: &Db, actor: &Actor, id: i64, contact: &ContactDetails) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if !repo::update_contact(&mut tx, id, contact).await? {
        return Err(ServiceError::NotFound);
    }
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("patient.update_contact")
            .record("patient", id)
            .patient(id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the patient a new portal password that must be changed at first login, ending their sessions.
pub async fn reset_password(db: &Db, actor: &Actor, id: i64, new_password: &str) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("patient.reset_password")
        .record("patient", id)
        .patient(id);
    auth::service::set_temporary_password(db, actor, Account::Patient(id), new_password, entry).await
}

pub async fn approve(db: &Db, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if repo::approve(&mut tx, id).await? {
        audit::record(
            &mut tx,
            actor,
            AuditEntry::new("patient.approve").record("patient", id).patient(id),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Writes "who looked at whom": every view of a patient's record by staff.
pub async fn record_view(reads: &Reads, actor: &Actor, id: i64, what: &'static str) -> Result<(), ServiceError> {
    reads
        .record(actor, AuditEntry::new(what).record("patient", id).patient(id))
        .await
}

pub async fn save_photo(db: &Db, actor: &Actor, id: i64, mime: &str, data: &[u8]) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if repo::get(&mut tx, id).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    repo::save_photo(&mut tx, id, mime, data).await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("patient.photo").record("patient", id).patient(id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes every patient's search tokens again when the rules that make them changed since (see
/// `model::SEARCH_TOKENS_VERSION`): once, by whichever instance claims it first, in one transaction, so an
/// interrupted rebuild is redone at the next start.
pub async fn refresh_search_tokens(db: &Db) -> Result<Option<u64>, ServiceError> {
    let mut tx = db.begin_write().await?;
    if !crate::db::sequence::claim(&mut tx, "search_tokens_version", super::model::SEARCH_TOKENS_VERSION).await? {
        return Ok(None);
    }
    let rebuilt = repo::rebuild_search_tokens(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(rebuilt))
}

/// The patients a typed search finds: a whole clinic or matric number exactly, else everyone whose tokens start
/// with each word (names folded, so accents don't matter).
pub async fn find(db: &Db, query: &str) -> Result<Vec<super::model::PatientSummary>, ServiceError> {
    Ok(repo::search(db, &super::model::search_terms(query), query).await?)
}

/// Registered patients who may be the one `details` describe: the same phone, or the same name and date of
/// birth (the same name alone when no date of birth is given). Staff confirm a different person before
/// registering them anyway.
pub async fn possible_duplicates(
    db: &Db,
    details: &PatientDetails,
) -> Result<Vec<super::model::PatientSummary>, ServiceError> {
    let (first_name, surname) = (&details.first_name, &details.surname);
    let phone = details.phone.as_deref();
    Ok(repo::possible_duplicates(db, first_name, surname, details.date_of_birth, phone).await?)
}

/// The most patients [`arrived_on`] lists.
pub const ARRIVED_SHOWN: i64 = 30;

/// The patients who came in on `day`, the latest first (at most [`ARRIVED_SHOWN`]).
pub async fn arrived_on(db: &Db, day: crate::db::Date) -> Result<Vec<super::model::PatientSummary>, ServiceError> {
    Ok(repo::arrived_on(db, day, ARRIVED_SHOWN).await?)
}

// == Portal password sheet ==

const ALREADY_ISSUED: &str = "These passwords were already issued: the same form was sent twice. The sheet from the \
    first press is the one whose passwords work. If it was lost, choose the students again and issue new ones.";
const STUDENT_CHANGED: &str = "Nothing was issued: one of the chosen students was changed meanwhile (given a \
    password, or no longer an active student). Choose the students again.";

/// One slip of a sheet: the student and their one-time password, which exists only in this value.
pub struct Slip {
    pub student: super::model::SheetStudent,
    pub password: String,
}

/// The action a sheet's form id is claimed for.
const SHEET_ACTION: &str = "patient.portal_sheet";

/// Gives each chosen student a fresh one-time password that must be changed at first login (the rule of
/// [`reset_password`]), all in one transaction with one audit row each, or nothing. The form's one-time id is
/// claimed in the same transaction, so the same form sent twice (a replay, a double click) issues one sheet.
pub async fn issue_sheet(
    db: &Db,
    actor: &Actor,
    request: &super::model::SheetRequest,
) -> Result<Vec<Slip>, ServiceError> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};

    let actor = actor.clone().with_form(Some(request.form.clone()));
    // Checked before the passwords are hashed (seconds for a full sheet), and claimed again in the transaction.
    if actor.recorded_form(db, SHEET_ACTION).await?.is_some() {
        return Err(ServiceError::Conflict(ALREADY_ISSUED.into()));
    }
    let students = repo::sheet_students(db, &request.ids).await?;
    super::model::check_sheet(request, &students).map_err(|refusal| ServiceError::Refused(refusal.to_string()))?;
    // Argon2 on two blocking threads at a time: fast enough for a full sheet, without starving the server.
    let slips: Vec<(Slip, String)> = stream::iter(students)
        .map(|student| async move {
            let password = password::generate();
            let hash = password::hash(&password).await?;
            Ok::<_, anyhow::Error>((Slip { student, password }, hash))
        })
        .buffered(2)
        .try_collect()
        .await?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, SHEET_ACTION).await? {
        return Err(ServiceError::Conflict(ALREADY_ISSUED.into()));
    }
    let detail = format!("one-time password sheet of {} students", slips.len());
    for (slip, hash) in &slips {
        let id = slip.student.id;
        if !repo::issue_password(&mut tx, id, hash, request.replace).await? {
            return Err(ServiceError::Conflict(STUDENT_CHANGED.into()));
        }
        let entry = AuditEntry::new("patient.reset_password")
            .record("patient", id)
            .patient(id)
            .detail(&detail);
        audit::record(&mut tx, &actor, entry).await?;
    }
    // The "record" a sheet created is its number of slips: nothing is answered with it, a replay is refused.
    actor.complete_form(&mut tx, SHEET_ACTION, slips.len() as i64).await?;
    tx.commit().await?;
    Ok(slips.into_iter().map(|(slip, _)| slip).collect())
}

// == For other features ==

/// Serialises one patient's bookings and tickets: their row stays locked until `tx` ends. `false` when the
/// patient does not exist or is inactive.
pub async fn lock_active(tx: &mut Tx, patient_id: i64) -> Result<bool, ServiceError> {
    Ok(repo::lock_patient(tx, patient_id).await?)
}

/// The students among `matrics` already on record, read inside the caller's transaction (the student import).
pub async fn students_by_matric_in(
    tx: &mut Tx,
    matrics: &[&str],
) -> Result<Vec<super::model::StudentRecord>, ServiceError> {
    Ok(repo::students_by_matric(tx, matrics).await?)
}

/// Writes a student's record as the import changed it, inside the caller's transaction (so the import stays
/// all or nothing per batch); the search tokens follow.
pub async fn update_student_in(tx: &mut Tx, student: &super::model::StudentRecord) -> Result<(), ServiceError> {
    Ok(repo::update_student(tx, student).await?)
}

/// Whether the clinic approved the patient's account (self-registered students wait for it).
pub async fn is_approved(tx: &mut Tx, patient_id: i64) -> Result<bool, ServiceError> {
    Ok(repo::patient_approved(tx, patient_id).await?)
}

/// Self-registered students waiting for the clinic's approval.
pub async fn pending_approval(db: &Db) -> Result<Vec<super::model::PatientSummary>, ServiceError> {
    Ok(repo::pending_approval(db).await?)
}

/// How many patients were registered at `since` or later (the admin's "new patients today").
pub async fn count_registered_since(db: &Db, since: crate::db::Timestamp) -> Result<i64, ServiceError> {
    Ok(repo::count_registered_since(db, since).await?)
}

/// A patient's record, to name them (reception booking for a patient).
pub async fn get(db: impl Reader, patient_id: i64) -> Result<Option<super::model::Patient>, ServiceError> {
    Ok(repo::get(db, patient_id).await?)
}
