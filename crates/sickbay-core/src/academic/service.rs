//! Changes to academic data, each one transaction with its audit row.

use super::model::{
    CHOOSE_A_FACULTY, DepartmentInput, FacultyInput, Kind, LevelInput, SessionInput, describe_changes,
    duplicate_message,
};
use super::repo;
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

pub async fn create_faculty(db: &Db, actor: &Actor, faculty: &FacultyInput) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, Kind::Faculty.actions().create).await? {
        return Ok(id);
    }
    let id = unique(repo::insert_faculty(&mut tx, &faculty.name, &faculty.code).await)?;
    let detail = format!("name {:?}, code {}", faculty.name, faculty.code);
    audit(
        &mut tx,
        actor,
        Kind::Faculty.actions().create,
        Kind::Faculty,
        id,
        detail,
    )
    .await?;
    actor.complete_form(&mut tx, Kind::Faculty.actions().create, id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_faculty(db: &Db, actor: &Actor, id: i64, seen: Timestamp, faculty: &FacultyInput) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_faculty(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    check_version(seen, before.updated_at)?;
    updated(unique(repo::update_faculty(&mut tx, id, seen, faculty).await)?)?;
    let detail = describe_changes(&[
        ("name", before.record.name, faculty.name.clone()),
        ("code", before.record.code, faculty.code.clone()),
    ]);
    audit(
        &mut tx,
        actor,
        Kind::Faculty.actions().update,
        Kind::Faculty,
        id,
        detail,
    )
    .await?;
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

/// Writes to a department, where a foreign-key violation means its faculty was deleted meanwhile.
fn department_write<T>(result: std::result::Result<T, sqlx::Error>) -> Result<T> {
    match result {
        Err(err) if is_foreign_key_violation(&err) => Err(ServiceError::field("faculty_id", CHOOSE_A_FACULTY)),
        other => unique(other),
    }
}

pub async fn create_department(db: &Db, actor: &Actor, department: &DepartmentInput) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, Kind::Department.actions().create).await? {
        return Ok(id);
    }
    check_faculty(&mut tx, department.faculty_id, None).await?;
    let id = department_write(
        repo::insert_department(&mut tx, department.faculty_id, &department.name, &department.code).await,
    )?;
    let detail = format!(
        "name {:?}, code {}, faculty #{}",
        department.name, department.code, department.faculty_id
    );
    audit(
        &mut tx,
        actor,
        Kind::Department.actions().create,
        Kind::Department,
        id,
        detail,
    )
    .await?;
    actor
        .complete_form(&mut tx, Kind::Department.actions().create, id)
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_department(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: Timestamp,
    department: &DepartmentInput,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_department(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    check_version(seen, before.updated_at)?;
    check_faculty(&mut tx, department.faculty_id, Some(before.record.faculty_id)).await?;
    updated(department_write(
        repo::update_department(&mut tx, id, seen, department).await,
    )?)?;
    let detail = describe_changes(&[
        (
            "faculty",
            format!("#{}", before.record.faculty_id),
            format!("#{}", department.faculty_id),
        ),
        ("name", before.record.name, department.name.clone()),
        ("code", before.record.code, department.code.clone()),
    ]);
    audit(
        &mut tx,
        actor,
        Kind::Department.actions().update,
        Kind::Department,
        id,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_level(db: &Db, actor: &Actor, level: &LevelInput) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, Kind::Level.actions().create).await? {
        return Ok(id);
    }
    let id = unique(repo::insert_level(&mut tx, &level.name, level.sort_order).await)?;
    let detail = format!("name {:?}, sort order {}", level.name, level.sort_order);
    audit(&mut tx, actor, Kind::Level.actions().create, Kind::Level, id, detail).await?;
    actor.complete_form(&mut tx, Kind::Level.actions().create, id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_level(db: &Db, actor: &Actor, id: i64, seen: Timestamp, level: &LevelInput) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_level(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    check_version(seen, before.updated_at)?;
    updated(unique(repo::update_level(&mut tx, id, seen, level).await)?)?;
    let detail = describe_changes(&[
        ("name", before.record.name, level.name.clone()),
        (
            "sort order",
            before.record.sort_order.to_string(),
            level.sort_order.to_string(),
        ),
    ]);
    audit(&mut tx, actor, Kind::Level.actions().update, Kind::Level, id, detail).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_session(db: &Db, actor: &Actor, session: &SessionInput) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, Kind::Session.actions().create).await? {
        return Ok(id);
    }
    let id = unique(repo::insert_session(&mut tx, session).await)?;
    let detail = format!("name {}, {} to {}", session.name, session.starts_on, session.ends_on);
    audit(
        &mut tx,
        actor,
        Kind::Session.actions().create,
        Kind::Session,
        id,
        detail,
    )
    .await?;
    actor.complete_form(&mut tx, Kind::Session.actions().create, id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_session(db: &Db, actor: &Actor, id: i64, seen: Timestamp, session: &SessionInput) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_session(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    check_version(seen, before.updated_at)?;
    updated(unique(repo::update_session(&mut tx, id, seen, session).await)?)?;
    let detail = describe_changes(&[
        ("name", before.record.name, session.name.clone()),
        (
            "starts",
            before.record.starts_on.to_string(),
            session.starts_on.to_string(),
        ),
        ("ends", before.record.ends_on.to_string(), session.ends_on.to_string()),
    ]);
    audit(
        &mut tx,
        actor,
        Kind::Session.actions().update,
        Kind::Session,
        id,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
    let session = repo::get_session(&mut tx, id)
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
    use crate::academic::model::{Department, Faculty, Kind, Level};
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
        repo::insert_faculty(tx, name, code).await
    }

    pub async fn add_department(tx: &mut Tx, faculty_id: i64, name: &str, code: &str) -> Result<i64, sqlx::Error> {
        repo::insert_department(tx, faculty_id, name, code).await
    }

    pub async fn add_level(tx: &mut Tx, name: &str, sort_order: i64) -> Result<i64, sqlx::Error> {
        repo::insert_level(tx, name, sort_order).await
    }
}
