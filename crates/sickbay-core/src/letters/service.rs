//! Letter operations: issuing one in an open visit (its doctor, once per form, with its audit row), and reading
//! them as the visit's readers and the patient may.

use super::model::{Letter, LetterFields, LetterInput, LetterKind, parse_letter};
use super::repo;
use crate::audit::Reads;
use crate::audit::{self, AuditEntry};
use crate::consult::model::{Access, Visit};
use crate::consult::service::{record_read, visit_for, writable_visit_in};
use crate::db::form_ids::{Claim, FormKey};
use crate::db::{Db, Reader};
use crate::error::ServiceError;
use crate::identity::{Actor, StaffUser};
use crate::validation::FieldErrors;

const ISSUE: &str = "letter.issue";
const READ: &str = "letter.read";

/// Writes a letter in the visit (its doctor, while it is open), once per form: its id.
pub async fn issue(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    fields: &LetterFields,
) -> Result<i64, ServiceError> {
    let input: LetterInput = parse_letter(fields).map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, ISSUE).await? {
        return Ok(id);
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let id = repo::insert(&mut tx, visit.id, visit.patient_id, &input, user.id).await?;
    let entry = AuditEntry::new(ISSUE)
        .record("letter", id)
        .patient(visit.patient_id)
        .detail(input.kind.label());
    audit::record_form(&mut tx, actor, entry, ISSUE, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// What the consultation screen's section shows and allows.
#[derive(Clone, Debug, Default)]
pub struct VisitLetters {
    pub visit_id: i64,
    pub letters: Vec<Letter>,
    pub can_issue: bool,
    pub form_id: String,
    /// A refused form, as typed, with its messages.
    pub fields: LetterFields,
    pub errors: FieldErrors,
}

impl VisitLetters {
    pub fn action(&self) -> String {
        format!("/visits/{}/letters", self.visit_id)
    }

    pub fn kinds(&self) -> [LetterKind; 3] {
        LetterKind::ALL
    }

    pub fn is_kind(&self, kind: &LetterKind) -> bool {
        self.fields.kind == kind.as_str()
    }
}

/// The consultation screen's section for `user`.
pub async fn section(mut db: impl Reader, user: &StaffUser, visit: &Visit) -> Result<VisitLetters, ServiceError> {
    Ok(VisitLetters {
        visit_id: visit.id,
        letters: repo::of_visit(&mut db, visit.id).await?,
        can_issue: visit.allows(user, Access::Write),
        form_id: FormKey::mint().to_string(),
        ..VisitLetters::default()
    })
}

/// A letter for a member of staff who may read its visit (the reading audited); anyone else finds nothing.
pub async fn for_staff(
    db: &Db,
    reads: &Reads,
    actor: &Actor,
    user: &StaffUser,
    id: i64,
) -> Result<Letter, ServiceError> {
    let letter = repo::get(db, id).await?.ok_or(ServiceError::NotFound)?;
    visit_for(db, user, letter.visit_id, Access::Read).await?;
    record_read(reads, actor, READ, ("letter", id), letter.patient_id).await?;
    Ok(letter)
}

/// One of the patient's own letters (the reading audited); another's is not found.
pub async fn own(db: &Db, reads: &Reads, actor: &Actor, patient_id: i64, id: i64) -> Result<Letter, ServiceError> {
    let letter = match repo::get(db, id).await? {
        Some(letter) if letter.patient_id == patient_id => letter,
        _ => return Err(ServiceError::NotFound),
    };
    record_read(reads, actor, READ, ("letter", id), patient_id).await?;
    Ok(letter)
}

/// What the letter being written in the visit says once the doctor chooses `kind` (`words_for_kind`), from
/// the visit's diagnoses as they stand now.
pub async fn words_for_kind(
    db: impl Reader,
    visit_id: i64,
    kind: Option<LetterKind>,
    typed: &str,
) -> Result<String, ServiceError> {
    let diagnoses = crate::consult::service::diagnoses_of_visit(db, visit_id).await?;
    let described: Vec<String> = diagnoses
        .into_iter()
        .map(|d| match d.code {
            Some(code) => format!("{} ({code})", d.description),
            None => d.description,
        })
        .collect();
    Ok(super::model::words_for_kind(kind, typed, &described))
}

/// The letters written in a visit, oldest first (its review before completing lists them).
pub async fn of_visit(db: impl Reader, visit_id: i64) -> Result<Vec<Letter>, ServiceError> {
    Ok(repo::of_visit(db, visit_id).await?)
}

/// The patient's letters, newest first.
pub async fn of_patient(db: &Db, patient_id: i64) -> Result<Vec<Letter>, ServiceError> {
    Ok(repo::of_patient(db, patient_id).await?)
}
