//! What logging in, out and changing a password write: each one transaction with its audit row.

use super::{model, repo};
use crate::audit::{self, AuditEntry};
use crate::db::{Db, Timestamp};
use crate::error::ServiceError;
use crate::identity::repo::{self as identity_repo, Account};
use crate::identity::{Actor, Principal};

/// The record a principal's audit rows are about.
fn record_of(principal: Principal) -> (&'static str, i64) {
    match principal {
        Principal::Staff { id, .. } => ("staff", id),
        Principal::Patient { id, .. } => ("patient", id),
    }
}

/// A login that failed: counted towards the lockout of `identifier` from `ip`, and in the audit log.
pub async fn record_failed_login(db: &Db, identifier: &str, ip: &str) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    repo::record_failure(&mut tx, identifier, ip).await?;
    audit::record(
        &mut tx,
        &Actor::anonymous(identifier, ip),
        AuditEntry::new("auth.login_failed"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A login: the identifier's failures are forgotten and the login is audited.
pub async fn record_login(db: &Db, identifier: &str, actor: &Actor, principal: Principal) -> Result<(), ServiceError> {
    let (record_type, id) = record_of(principal);
    let mut tx = db.begin_write().await?;
    repo::clear(&mut tx, identifier).await?;
    audit::record(&mut tx, actor, AuditEntry::new("auth.login").record(record_type, id)).await?;
    tx.commit().await?;
    Ok(())
}

/// A logout, in the audit log.
pub async fn record_logout(db: &Db, actor: &Actor, principal: Principal) -> Result<(), ServiceError> {
    let (record_type, id) = record_of(principal);
    let mut tx = db.begin_write().await?;
    audit::record(&mut tx, actor, AuditEntry::new("auth.logout").record(record_type, id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the account's password to `hash` (already checked and hashed by the caller). The account's other
/// sessions end with the version bump; the answer is the principal with its new version, for this session.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    principal: Principal,
    hash: &str,
) -> Result<Principal, ServiceError> {
    let (record_type, id) = record_of(principal);
    let account = match principal {
        Principal::Staff { .. } => Account::Staff(id),
        Principal::Patient { .. } => Account::Patient(id),
    };
    let mut tx = db.begin_write().await?;
    let version = identity_repo::set_password(&mut tx, account, hash, false)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("auth.password_change").record(record_type, id),
    )
    .await?;
    tx.commit().await?;
    Ok(match principal {
        Principal::Staff { .. } => Principal::Staff { id, version },
        Principal::Patient { .. } => Principal::Patient { id, version },
    })
}

/// Counts a self-registration from `ip`, or refuses it when that address registered too often in the last
/// minutes (each creates a record and costs a password hash): then the answer is when it may try again.
pub async fn throttle_registration(db: &Db, ip: &str) -> Result<Option<Timestamp>, ServiceError> {
    let now = Timestamp::now();
    if let Some(oldest) = repo::registration_limit_reached(db, ip, now).await? {
        return Ok(Some(oldest.plus_minutes(model::WINDOW_MINUTES)));
    }
    let mut tx = db.begin_write().await?;
    repo::record_failure(&mut tx, model::REGISTRATION_KEY, ip).await?;
    tx.commit().await?;
    Ok(None)
}
