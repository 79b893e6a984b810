//! Changes to staff accounts, each one transaction with its audit row. Used by the admin pages and the CLI.

use super::model::{NewStaff, StaffAccount, StaffDetails, removes_an_admin};
use super::repo;
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::password;
use crate::db::once::Claim;
use crate::db::{Db, Tx, is_unique_violation};

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("The username {0:?} is already taken.")]
    UsernameTaken(String),
    #[error("No such staff account.")]
    NotFound,
    #[error("This account was changed by someone else while you were editing it. Reload it and try again.")]
    Stale,
    #[error("This is the last active administrator; make another administrator first.")]
    LastAdmin,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StaffError {
    fn from(err: sqlx::Error) -> Self {
        StaffError::Internal(err.into())
    }
}

const CREATE: &str = "staff.create";

/// Creates an account with `password`. Returns its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    password: &str,
    must_change: bool,
) -> Result<i64, StaffError> {
    Ok(create_from_form(db, actor, new, password, must_change).await?.0)
}

/// Creates an account with `password`, once per form: returns its id and whether this request created it
/// (false when the same form had created it already: then `password` was not used).
pub async fn create_from_form(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    password: &str,
    must_change: bool,
) -> Result<(i64, bool), StaffError> {
    let hash = password::hash(password).await?;
    insert_account(db, actor, new, &hash, must_change).await
}

/// Creates an account whose password is hashed already. Returns its id. The demo gives all its accounts one
/// hash: argon2 once per account would cost a noticeable part of a second each.
pub async fn create_with_hash(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    password_hash: &str,
    must_change: bool,
) -> Result<i64, StaffError> {
    Ok(insert_account(db, actor, new, password_hash, must_change).await?.0)
}

async fn insert_account(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    hash: &str,
    must_change: bool,
) -> Result<(i64, bool), StaffError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, CREATE).await? {
        return Ok((id, false));
    }
    let id = match repo::insert(&mut tx, new, hash, must_change).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => return Err(StaffError::UsernameTaken(new.username.as_str().into())),
        Err(err) => return Err(err.into()),
    };
    let detail = format!("username {}, role {}", new.username.as_str(), new.role);
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new(CREATE).record("staff", id).detail(detail),
    )
    .await?;
    actor.complete_form(&mut tx, CREATE, id).await?;
    tx.commit().await?;
    Ok((id, true))
}

/// Changes name, email and role, refusing a stale form and the demotion of the last admin.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: crate::db::Timestamp,
    details: &StaffDetails,
) -> Result<(), StaffError> {
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    if before.updated_at != seen {
        return Err(StaffError::Stale);
    }
    guard_last_admin(&mut tx, &before, details.role, before.active).await?;
    if !repo::update_details(&mut tx, id, seen, details).await? {
        return Err(StaffError::Stale);
    }
    let detail = describe_changes(&before, details);
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("staff.update").record("staff", id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates (ending the account's sessions) or reactivates. Doing what is already done is a no-op.
pub async fn set_active(db: &Db, actor: &Actor, id: i64, active: bool) -> Result<(), StaffError> {
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    guard_last_admin(&mut tx, &before, before.role, active).await?;
    if repo::set_active(&mut tx, id, active).await? {
        let action = if active { "staff.reactivate" } else { "staff.deactivate" };
        audit::record(&mut tx, actor, AuditEntry::new(action).record("staff", id)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives the account a new password that must be changed at next login, ending its sessions.
pub async fn reset_password(db: &Db, actor: &Actor, id: i64, new_password: &str) -> Result<(), StaffError> {
    let hash = password::hash(new_password).await?;
    let mut tx = db.begin_write().await?;
    if repo::set_password(&mut tx, id, &hash, true).await?.is_none() {
        return Err(StaffError::NotFound);
    }
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("staff.reset_password").record("staff", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn load(tx: &mut Tx, id: i64) -> Result<StaffAccount, StaffError> {
    repo::get_in(tx, id).await?.ok_or(StaffError::NotFound)
}

async fn guard_last_admin(
    tx: &mut Tx,
    before: &StaffAccount,
    role_after: crate::staff::model::Role,
    active_after: bool,
) -> Result<(), StaffError> {
    if !removes_an_admin(before, role_after, active_after) {
        return Ok(());
    }
    repo::lock_active_admins(tx).await?;
    if repo::count_active_admins_except(tx, before.id).await? == 0 {
        return Err(StaffError::LastAdmin);
    }
    Ok(())
}

fn describe_changes(before: &StaffAccount, after: &StaffDetails) -> String {
    let mut changes = Vec::new();
    if before.full_name != after.full_name {
        changes.push(format!("name {:?} -> {:?}", before.full_name, after.full_name));
    }
    if before.email != after.email {
        changes.push(format!(
            "email {:?} -> {:?}",
            before.email.as_deref().unwrap_or(""),
            after.email.as_deref().unwrap_or("")
        ));
    }
    if before.role != after.role {
        changes.push(format!("role {} -> {}", before.role, after.role));
    }
    if changes.is_empty() {
        "no changes".to_owned()
    } else {
        changes.join("; ")
    }
}
