//! Changes to staff accounts, each one transaction with its audit row. Used by the admin pages and the CLI.

use super::model::{
    Doctor, DoctorProfile, ExtraRole, NewStaff, ProfileInput, StaffAccount, StaffDetails, parse_extra_role,
    removes_an_admin,
};
use super::repo;
use crate::audit::{self, AuditEntry};
use crate::auth::{self, password};
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::{Date, Db, Reader, Tx, is_unique_violation};
use crate::error::ServiceError;
use crate::identity::repo::Account;
use crate::identity::{Actor, Role};

const LAST_ADMIN: &str = "This is the last active administrator; make another administrator first.";

const CREATE: &str = "staff.create";

/// Creates an account with `password`. Returns its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    password: &str,
    must_change: bool,
) -> Result<i64, ServiceError> {
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
) -> Result<(i64, bool), ServiceError> {
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
) -> Result<i64, ServiceError> {
    Ok(insert_account(db, actor, new, password_hash, must_change).await?.0)
}

async fn insert_account(
    db: &Db,
    actor: &Actor,
    new: &NewStaff,
    hash: &str,
    must_change: bool,
) -> Result<(i64, bool), ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, CREATE).await? {
        return Ok((id, false));
    }
    let id = match repo::insert(&mut tx, new, hash, must_change).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => return Err(username_taken(new.username.as_str())),
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
    announce_doctors(&mut tx);
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
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    if before.updated_at != seen {
        return Err(ServiceError::Stale);
    }
    guard_last_admin(&mut tx, &before, details.role, before.active).await?;
    if !repo::update_details(&mut tx, id, seen, details).await? {
        return Err(ServiceError::Stale);
    }
    let mut detail = describe_changes(&before, details);
    // An extra role that became the account's own is held once, as its own.
    if details.role != before.role && repo::revoke_role(&mut tx, id, details.role).await? {
        detail.push_str(&format!("; {} is no longer an extra role", details.role.label()));
    }
    audit::record(
        &mut tx,
        actor,
        AuditEntry::new("staff.update").record("staff", id).detail(detail),
    )
    .await?;
    announce_doctors(&mut tx);
    tx.commit().await?;
    Ok(())
}

/// The field of the staff page's form that gives another role.
pub const EXTRA_ROLE_FIELD: &str = "extra_role";

/// The extra roles an account holds, with who gave each.
pub async fn extra_roles(db: impl Reader, id: i64) -> Result<Vec<ExtraRole>, ServiceError> {
    Ok(repo::extra_roles(db, id).await?)
}

/// Gives account `id` the role `asked` (as the form sent it) beside its own, as `admin_id` (audited). Ends no
/// session: the role is read with the account on its next request. Answers the role and whether it was
/// given now (false when the account held it already: nothing is written).
pub async fn grant_role(
    db: &Db,
    actor: &Actor,
    admin_id: i64,
    id: i64,
    asked: &str,
) -> Result<(Role, bool), ServiceError> {
    let mut tx = db.begin_write().await?;
    let own = repo::lock_account(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let role = parse_extra_role(asked, own).map_err(|err| ServiceError::field(EXTRA_ROLE_FIELD, err.0))?;
    if !repo::grant_role(&mut tx, id, role, admin_id).await? {
        return Ok((role, false));
    }
    let entry = AuditEntry::new("staff.role_grant")
        .record("staff", id)
        .detail(role.label());
    audit::record(&mut tx, actor, entry).await?;
    announce_doctors(&mut tx);
    tx.commit().await?;
    Ok((role, true))
}

/// Takes the extra role `role` back from account `id` (audited). Ends no session; the account's next request
/// no longer holds it. Answers whether it held it (false: nothing is written).
pub async fn revoke_role(db: &Db, actor: &Actor, id: i64, role: Role) -> Result<bool, ServiceError> {
    let mut tx = db.begin_write().await?;
    repo::lock_account(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    if !repo::revoke_role(&mut tx, id, role).await? {
        return Ok(false);
    }
    let entry = AuditEntry::new("staff.role_revoke")
        .record("staff", id)
        .detail(role.label());
    audit::record(&mut tx, actor, entry).await?;
    announce_doctors(&mut tx);
    tx.commit().await?;
    Ok(true)
}

/// Deactivates (ending the account's sessions) or reactivates. Doing what is already done is a no-op.
pub async fn set_active(db: &Db, actor: &Actor, id: i64, active: bool) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = load(&mut tx, id).await?;
    guard_last_admin(&mut tx, &before, before.role, active).await?;
    if repo::set_active(&mut tx, id, active).await? {
        let action = if active { "staff.reactivate" } else { "staff.deactivate" };
        audit::record(&mut tx, actor, AuditEntry::new(action).record("staff", id)).await?;
    }
    announce_doctors(&mut tx);
    tx.commit().await?;
    Ok(())
}

/// Gives the account a new password that must be changed at next login, ending its sessions.
pub async fn reset_password(db: &Db, actor: &Actor, id: i64, new_password: &str) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("staff.reset_password").record("staff", id);
    auth::service::set_temporary_password(db, actor, Account::Staff(id), new_password, entry).await
}

async fn load(tx: &mut Tx, id: i64) -> Result<StaffAccount, ServiceError> {
    repo::get(&mut *tx, id).await?.ok_or(ServiceError::NotFound)
}

async fn guard_last_admin(
    tx: &mut Tx,
    before: &StaffAccount,
    role_after: crate::identity::Role,
    active_after: bool,
) -> Result<(), ServiceError> {
    if !removes_an_admin(before, role_after, active_after) {
        return Ok(());
    }
    repo::lock_active_admins(tx).await?;
    if repo::count_active_admins_except(tx, before.id).await? == 0 {
        return Err(ServiceError::Conflict(LAST_ADMIN.into()));
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

// == For other features ==

/// Active doctors by name, for choosing whose hours, schedule or queue to see.
pub async fn active_doctors(db: impl Reader) -> Result<Vec<Doctor>, ServiceError> {
    Ok(repo::active_doctors(db).await?)
}

/// Serialises changes to one doctor's hours, slots and queue: their staff row stays locked until `tx` ends.
/// `false` when there is no such doctor.
/// A staff account changed: the booking pages (which share their list of doctors, with names and profiles, and
/// count only active doctors' slots) and reception's board (which offers active doctors) read again.
fn announce_doctors(tx: &mut Tx) {
    tx.announce(Event::Bookings);
}

pub async fn lock_doctor(tx: &mut Tx, doctor_id: i64) -> Result<bool, ServiceError> {
    Ok(repo::lock_doctor(tx, doctor_id).await?)
}

/// [`lock_doctor`] for every doctor: a change that touches all their hours and slots at once.
pub async fn lock_all_doctors(tx: &mut Tx) -> Result<(), ServiceError> {
    Ok(repo::lock_all_doctors(tx).await?)
}

/// The form field a taken username is reported on.
pub const USERNAME_FIELD: &str = "username";

fn username_taken(username: &str) -> ServiceError {
    ServiceError::field(USERNAME_FIELD, format!("The username {username:?} is already taken."))
}

/// How many staff accounts exist (none on a database that was just created).
pub async fn count(db: &Db) -> Result<i64, ServiceError> {
    Ok(repo::count(db).await?)
}

/// Active accounts per role, for the admin's home page.
pub async fn count_active_by_role(db: &Db) -> Result<Vec<(crate::identity::Role, i64)>, ServiceError> {
    Ok(repo::count_active_by_role(db).await?)
}

/// A doctor's profile; none for an account that is not a doctor's.
pub async fn profile(db: &Db, doctor_id: i64) -> Result<Option<DoctorProfile>, ServiceError> {
    Ok(repo::profile(db, doctor_id).await?)
}

/// The active doctors who have times to book from `from` on, with their profiles, by name (the booking pages
/// offer them: a doctor who sees walk-ins only would be a choice of closed days).
pub async fn bookable_doctors(db: &Db, from: Date) -> Result<Vec<DoctorProfile>, ServiceError> {
    Ok(repo::bookable_doctor_profiles(db, from).await?)
}

/// Changes a doctor's profile (the doctor's own, or an admin's edit); NotFound for an account that is not a
/// doctor's.
pub async fn update_profile(db: &Db, actor: &Actor, doctor_id: i64, input: &ProfileInput) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    if !repo::update_profile(&mut tx, doctor_id, input).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("staff.profile").record("staff", doctor_id).detail(
        DoctorProfile {
            specialty: input.specialty.clone(),
            qualifications: input.qualifications.clone(),
            ..DoctorProfile::default()
        }
        .summary(),
    );
    audit::record(&mut tx, actor, entry).await?;
    announce_doctors(&mut tx);
    tx.commit().await?;
    Ok(())
}
