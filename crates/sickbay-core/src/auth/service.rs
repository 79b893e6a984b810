//! What logging in, out and changing a password write: each one transaction with its audit row.

use super::{model, repo};
use crate::audit::{self, AuditEntry};
use crate::db::{Db, Timestamp};
use crate::error::ServiceError;
use crate::identity::repo::{self as identity_repo, Account};
use crate::identity::{Actor, Principal};
use crate::outbox::model::{Channel, Kind};
use crate::outbox::repo::Contact as OutboxContact;
use crate::outbox::service as outbox;

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

/// Gives an account a new password, set by staff, that must be changed at next login; its sessions end with the
/// version bump. `entry` is the audit row of the feature that asked.
pub async fn set_temporary_password(
    db: &Db,
    actor: &Actor,
    account: Account,
    new_password: &str,
    entry: AuditEntry,
) -> Result<(), ServiceError> {
    let hash = super::password::hash(new_password).await?;
    let mut tx = db.begin_write().await?;
    identity_repo::set_password(&mut tx, account, &hash, true)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
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

/// What a request for a reset link comes to. The answer to the person asking is the same whether or not an
/// account matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetRequest {
    /// Counted: the link goes out if an account matches and its limits allow.
    Asked,
    /// Too many requests from this address: wait until then.
    Throttled(Timestamp),
}

/// Counts a request for a reset link from `ip`, or refuses it when that address asked too often in the last
/// minutes. Nothing here depends on whether an account matches.
pub async fn count_reset_request(db: &Db, ip: &str) -> Result<ResetRequest, ServiceError> {
    let now = Timestamp::now();
    if let Some(oldest) = repo::limit_reached(db, model::RESET_KEY, model::MAX_RESETS_PER_IP, ip, now).await? {
        return Ok(ResetRequest::Throttled(oldest.plus_minutes(model::WINDOW_MINUTES)));
    }
    let mut tx = db.begin_write().await?;
    repo::record_failure(&mut tx, model::RESET_KEY, ip).await?;
    tx.commit().await?;
    Ok(ResetRequest::Asked)
}

/// Sends a reset link to the patient `identifier` names (matric number, clinic number or email), by the way
/// they chose to be reached or else whichever address they have, if their limits allow. The page runs it after
/// answering, so neither the answer nor its timing tells whether an account matched.
pub async fn send_reset_link(db: &Db, identifier: &str, ip: &str) -> Result<(), ServiceError> {
    let now = Timestamp::now();
    let identifier = identifier.trim();
    let Some(target) = repo::reset_target(db, identifier)
        .await?
        .filter(|_| !identifier.is_empty())
    else {
        return Ok(());
    };
    let context = outbox::Context::read(db).await?;
    let contact = OutboxContact {
        email: target.email.clone(),
        phone: target.phone.clone(),
        contact_by: target.contact_by,
    };
    let Some((channel, address)) = reset_address(&contact, &context.country_code) else {
        return Ok(());
    };
    // The account's row is locked first, so two requests at once can't both pass its limit.
    let mut tx = db.begin_write().await?;
    if !repo::lock_account(&mut tx, target.id).await? {
        return Ok(());
    }
    let (for_account, to_address) = repo::resets_since(&mut tx, target.id, &address, now.minus_minutes(60)).await?;
    if for_account >= model::MAX_RESETS_PER_HOUR || to_address >= model::MAX_RESETS_PER_HOUR {
        tracing::info!(
            patient = target.id,
            "a password reset link was not sent: too many in the last hour"
        );
        return Ok(());
    }
    let token = model::new_reset_token();
    let expires_at = now.plus_minutes(model::RESET_MINUTES);
    let id = repo::insert_reset(
        &mut tx,
        &model::reset_token_hash(&token),
        target.id,
        &address,
        expires_at,
    )
    .await?;
    let notice = outbox::Notice {
        kind: Kind::PasswordReset,
        about: id.to_string(),
        subject: "Your password reset link".to_owned(),
        body: format!(
            "Someone (we hope you) asked to set a new password for your Sickbay account. The link works once, for \
             {} minutes. If it wasn't you, ignore this message: your password stays as it is.",
            model::RESET_MINUTES
        ),
        link: format!("/reset/{token}"),
        record: ("patient", target.id),
        stale_after: Some(expires_at),
    };
    outbox::write(&mut tx, Some(target.id), channel, address, notice).await?;
    let entry = AuditEntry::new("auth.password_reset_requested")
        .record("patient", target.id)
        .patient(target.id)
        .detail(format!("link sent by {}", channel.label()));
    audit::record(&mut tx, &Actor::patient_account(target.id, identifier, ip), entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a reset link goes: the way the patient chose, else their email, else their phone.
fn reset_address(contact: &OutboxContact, country_code: &str) -> Option<(Channel, String)> {
    let preferred = contact.contact_by.channel();
    preferred
        .into_iter()
        .chain([Channel::Email, Channel::Sms])
        .find_map(|channel| contact.address(channel, country_code).map(|address| (channel, address)))
}

/// The patient a working reset link is for, with the name they log in with; `NotFound` for a link that is
/// malformed, used, expired or unknown (all look the same).
pub async fn reset_holder(db: &Db, token: &str) -> Result<(i64, String), ServiceError> {
    if !model::looks_like_reset_token(token) {
        return Err(ServiceError::NotFound);
    }
    repo::reset_holder(db, &model::reset_token_hash(token), Timestamp::now())
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Sets the password of the link's patient to `hash` (checked and hashed by the caller) and uses the link up:
/// a second use, even at the same moment, finds it used. The patient's sessions and other links end; audited.
pub async fn reset_password(db: &Db, token: &str, hash: &str, ip: &str) -> Result<i64, ServiceError> {
    if !model::looks_like_reset_token(token) {
        return Err(ServiceError::NotFound);
    }
    let now = Timestamp::now();
    let mut tx = db.begin_write().await?;
    let patient_id = repo::use_reset(&mut tx, &model::reset_token_hash(token), now)
        .await?
        .ok_or(ServiceError::NotFound)?;
    identity_repo::set_password(&mut tx, Account::Patient(patient_id), hash, false)
        .await?
        .ok_or(ServiceError::NotFound)?;
    repo::void_resets(&mut tx, patient_id, now).await?;
    let entry = AuditEntry::new("auth.password_reset")
        .record("patient", patient_id)
        .patient(patient_id)
        .detail("by a link");
    audit::record(&mut tx, &Actor::patient_account(patient_id, "reset link", ip), entry).await?;
    tx.commit().await?;
    Ok(patient_id)
}
