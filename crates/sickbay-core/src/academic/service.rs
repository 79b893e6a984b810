//! Changes to academic data, each one transaction with its audit row.

use super::model::{CHOOSE_A_FACULTY, Kind, SessionInput, duplicate_message};
use super::repo::{self, Written};
use crate::audit::{self, AuditEntry};
use crate::db::form_ids::Claim;
use crate::db::{Db, Reader, Timestamp, Tx, is_foreign_key_violation, violated_unique_index};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::Actor;

type Result<T> = ServiceResult<T>;

/// A write whose unique violations become a message beside the field of the broken index.
fn unique<T>(result: std::result::Result<T, sqlx::Error>) -> Result<T> {
    result.map_err(|err| match violated_unique_index(&err) {
        Some(index) => {
            let (field, message) = duplicate_message(&index);
            ServiceError::field(field, message)
        }
        None => err.into(),
    })
}

async fn audit(tx: &mut Tx, actor: &Actor, action: &'static str, kind: Kind, id: i64, detail: String) -> Result<()> {
    audit::record(
        tx,
        actor,
        AuditEntry::new(action).record(kind.table(), id).detail(detail),
    )
    .await?;
    Ok(())
}

fn check_version(seen: Timestamp, updated_at: Timestamp) -> Result<()> {
    if seen == updated_at {
        Ok(())
    } else {
        Err(ServiceError::Stale)
    }
}

/// Whether a conditional update changed its row; a row that didn't change was edited in the meantime.
fn updated(done: bool) -> Result<()> {
    if done { Ok(()) } else { Err(ServiceError::Stale) }
}

/// Adds a record of the form's kind.
pub async fn create<I: Written>(db: &Db, actor: &Actor, input: &I) -> Result<i64> {
    let action = I::KIND.actions().create;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, action).await? {
        return Ok(id);
    }
    if let Some(faculty_id) = input.faculty_id() {
        check_faculty(&mut tx, faculty_id, None).await?;
    }
    let id = write(repo::insert(&mut tx, input).await)?;
    audit(&mut tx, actor, action, I::KIND, id, input.created()).await?;
    actor.complete_form(&mut tx, action, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a record loaded at `seen` to what the form says.
pub async fn update<I: Written>(db: &Db, actor: &Actor, id: i64, seen: Timestamp, input: &I) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = repo::get::<I>(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    check_version(seen, before.updated_at)?;
    if let Some(faculty_id) = input.faculty_id() {
        check_faculty(&mut tx, faculty_id, I::faculty_of(&before.record)).await?;
    }
    updated(write(repo::update(&mut tx, id, seen, input).await)?)?;
    let detail = input.changes(before.record);
    audit(&mut tx, actor, I::KIND.actions().update, I::KIND, id, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses a faculty that does not exist, or a deactivated one unless the department is already in it.
async fn check_faculty(tx: &mut Tx, faculty_id: i64, current: Option<i64>) -> Result<()> {
    match repo::faculty_active(tx, faculty_id).await? {
        None => Err(ServiceError::field("faculty_id", CHOOSE_A_FACULTY)),
        Some(false) if current != Some(faculty_id) => Err(ServiceError::field(
            "faculty_id",
            "That faculty is deactivated; choose an active one.",
        )),
        Some(_) => Ok(()),
    }
}

/// A write of a record, where a foreign-key violation means a department's faculty was deleted meanwhile (no
/// other kind points at a record).
fn write<T>(result: std::result::Result<T, sqlx::Error>) -> Result<T> {
    match result {
        Err(err) if is_foreign_key_violation(&err) => Err(ServiceError::field("faculty_id", CHOOSE_A_FACULTY)),
        other => unique(other),
    }
}

const CURRENT_SESSION_STAYS: &str = "This is the current session; make another session current first.";

/// Deactivates (no longer offered in forms; patients keep it) or reactivates. Doing what is already done is a no-op.
pub async fn set_active(db: &Db, actor: &Actor, kind: Kind, id: i64, active: bool) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let (name, was_active) = repo::name_and_active(&mut tx, kind, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if was_active == active {
        return Ok(());
    }
    if !active && kind == Kind::Session && is_current_session(&mut tx, id).await? {
        return Err(ServiceError::Conflict(CURRENT_SESSION_STAYS.into()));
    }
    if !repo::set_active(&mut tx, kind, id, active).await? {
        // Changed by someone else since it was read: their change stands.
        return Ok(());
    }
    let actions = kind.actions();
    let action = if active { actions.reactivate } else { actions.deactivate };
    audit(&mut tx, actor, action, kind, id, format!("{name:?}")).await?;
    tx.commit().await?;
    Ok(())
}

async fn is_current_session(tx: &mut Tx, id: i64) -> Result<bool> {
    let current = repo::current_session(tx).await?;
    Ok(current.is_some_and(|session| session.id == id))
}

/// Deletes a record that nothing uses. Answers its name, for the message.
pub async fn delete(db: &Db, actor: &Actor, kind: Kind, id: i64) -> Result<String> {
    let mut tx = db.begin_write().await?;
    let (name, _) = repo::name_and_active(&mut tx, kind, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if kind == Kind::Session && is_current_session(&mut tx, id).await? {
        return Err(ServiceError::Conflict(CURRENT_SESSION_STAYS.into()));
    }
    if let Some(refusal) = repo::usage(&mut tx, kind, id).await?.refusal(&name) {
        return Err(ServiceError::Conflict(refusal));
    }
    match repo::delete(&mut tx, kind, id).await {
        Ok(true) => {}
        // Made current, or deleted, since it was read.
        Ok(false) => return Err(ServiceError::Stale),
        // A patient or department that arrived after the count above.
        Err(err) if is_foreign_key_violation(&err) => {
            return Err(ServiceError::Conflict(format!(
                "{name} is in use; deactivate it instead."
            )));
        }
        Err(err) => return Err(err.into()),
    }
    audit(&mut tx, actor, kind.actions().delete, kind, id, format!("{name:?}")).await?;
    tx.commit().await?;
    Ok(name)
}

/// Makes an active session the current one, in place of the old.
pub async fn make_current(db: &Db, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let session = repo::get::<SessionInput>(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?
        .record;
    if session.is_current {
        return Ok(());
    }
    if !session.active {
        return Err(ServiceError::Conflict(
            "This session is deactivated; reactivate it before making it current.".into(),
        ));
    }
    let previous = repo::current_session(&mut tx).await?;
    match repo::make_current(&mut tx, id).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::Stale),
        // Another admin made a different session current at the same moment.
        Err(err) if violated_unique_index(&err).is_some() => return Err(ServiceError::Stale),
        Err(err) => return Err(err.into()),
    }
    let detail = match previous {
        Some(old) => format!("{} (was {})", session.name, old.name),
        None => session.name.clone(),
    };
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("academic.session.make_current")
            .record(Kind::Session.table(), id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// == For other features ==

/// Every faculty, department, level and session, for forms that choose among them (four lists on one
/// connection).
pub async fn options(db: &Db) -> std::result::Result<super::model::AcademicOptions, ServiceError> {
    Ok(repo::options(db.conn().await?).await?)
}

/// The names of a record's faculty, department, level and session, to show it.
pub async fn names(
    db: impl Reader,
    ids: super::model::StudyIds,
) -> std::result::Result<super::model::StudyNames, ServiceError> {
    Ok(repo::names(db, ids).await?)
}

/// Lookups and inserts inside another feature's transaction (the student importer resolves names to ids and,
/// when asked, adds what is missing).
pub mod within {
    use super::repo;
    use crate::academic::model::{Department, DepartmentInput, Faculty, FacultyInput, Kind, Level, LevelInput};
    use crate::db::Tx;

    pub async fn find_faculty(tx: &mut Tx, name_or_code: &str) -> Result<Option<Faculty>, sqlx::Error> {
        repo::find_faculty(tx, name_or_code).await
    }

    pub async fn find_department(
        tx: &mut Tx,
        faculty_id: i64,
        name_or_code: &str,
    ) -> Result<Option<Department>, sqlx::Error> {
        repo::find_department(tx, faculty_id, name_or_code).await
    }

    pub async fn find_level(tx: &mut Tx, name: &str) -> Result<Option<Level>, sqlx::Error> {
        repo::find_level(tx, name).await
    }

    /// Whether a faculty or department (`kind`) already has `code`, ignoring case: a new one needs another.
    pub async fn code_taken(tx: &mut Tx, kind: Kind, code: &str) -> Result<bool, sqlx::Error> {
        repo::code_taken(tx, kind, code).await
    }

    pub async fn add_faculty(tx: &mut Tx, name: &str, code: &str) -> Result<i64, sqlx::Error> {
        let (name, code) = (name.to_owned(), code.to_owned());
        repo::insert(tx, &FacultyInput { name, code }).await
    }

    pub async fn add_department(tx: &mut Tx, faculty_id: i64, name: &str, code: &str) -> Result<i64, sqlx::Error> {
        let (name, code) = (name.to_owned(), code.to_owned());
        repo::insert(tx, &DepartmentInput { faculty_id, name, code }).await
    }

    pub async fn add_level(tx: &mut Tx, name: &str, sort_order: i64) -> Result<i64, sqlx::Error> {
        repo::insert(
            tx,
            &LevelInput {
                name: name.to_owned(),
                sort_order,
            },
        )
        .await
    }
}
