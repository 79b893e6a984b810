//! All SQL of staff accounts.

use super::model::{Doctor, DoctorProfile, ExtraRole, NewStaff, ProfileInput, StaffAccount, StaffDetails};
use crate::db::paging::{PageRequest, like_pattern};
use crate::db::{Date, Flag, Reader, Timestamp, Tx, changed_one_row, row_by_id, run};
use crate::identity::Role;

const ACCOUNT_COLUMNS: &str =
    "id, username, full_name, email, role, must_change_password, active, created_at, updated_at";

pub async fn count(mut db: impl Reader) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM staff")
        .fetch_one(db.exec())
        .await
}

/// Inserts an account; a taken username surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, new: &NewStaff, password_hash: &str, must_change: bool) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query_scalar(
        "INSERT INTO staff (username, full_name, email, role, password_hash, must_change_password, active,
                            session_version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7, $7)
         RETURNING id",
    )
    .bind(new.username.as_str())
    .bind(&new.full_name)
    .bind(new.email.as_deref())
    .bind(new.role)
    .bind(password_hash)
    .bind(Flag(must_change))
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

pub async fn get(db: impl Reader, id: i64) -> Result<Option<StaffAccount>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {ACCOUNT_COLUMNS} FROM staff WHERE id = $1"), id).await
}

/// One page of accounts whose username, name or email contains `search`, with the total that match.
pub async fn search(
    mut db: impl Reader,
    search: &str,
    page: PageRequest,
) -> Result<(Vec<StaffAccount>, i64), sqlx::Error> {
    let pattern = like_pattern(search);
    let filter = "LOWER(username) LIKE $1 ESCAPE '\\' OR LOWER(full_name) LIKE $1 ESCAPE '\\' \
                  OR LOWER(COALESCE(email, '')) LIKE $1 ESCAPE '\\'";
    let rows = sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM staff WHERE {filter} ORDER BY active DESC, full_name, id {}",
        page.sql()
    ))
    .bind(&pattern)
    .fetch_all(db.exec())
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM staff WHERE {filter}"))
        .bind(&pattern)
        .fetch_one(db.exec())
        .await?;
    Ok((rows, total))
}

/// Updates name, email and role if the row still has `seen_updated_at`; answers whether it did.
pub async fn update_details(
    tx: &mut Tx,
    id: i64,
    seen_updated_at: Timestamp,
    details: &StaffDetails,
) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE staff SET full_name = $1, email = $2, role = $3, updated_at = $4
         WHERE id = $5 AND updated_at = $6",
        )
        .bind(&details.full_name)
        .bind(details.email.as_deref())
        .bind(details.role)
        .bind(seen_updated_at.now_after())
        .bind(id)
        .bind(seen_updated_at),
    )
    .await
}

/// The extra roles the account holds, in the order of `Role::ALL`, with who gave each and when.
pub async fn extra_roles(mut db: impl Reader, id: i64) -> Result<Vec<ExtraRole>, sqlx::Error> {
    let mut roles: Vec<ExtraRole> = sqlx::query_as(
        "SELECT r.role, g.username AS granted_by, r.granted_at
         FROM staff_role r JOIN staff g ON g.id = r.granted_by
         WHERE r.staff_id = $1",
    )
    .bind(id)
    .fetch_all(db.exec())
    .await?;
    roles.sort_by_key(|extra| Role::ALL.iter().position(|role| *role == extra.role));
    Ok(roles)
}

/// Locks the account's row until the transaction ends (so a change of its own role and a change of its extra
/// roles take turns) and answers its own role; none when there is no such account.
pub async fn lock_account(tx: &mut Tx, id: i64) -> Result<Option<Role>, sqlx::Error> {
    sqlx::query_scalar("UPDATE staff SET updated_at = updated_at WHERE id = $1 RETURNING role")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Gives the account `role` beside its own; answers whether it did (false when it holds it already).
pub async fn grant_role(tx: &mut Tx, id: i64, role: Role, granted_by: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "INSERT INTO staff_role (staff_id, role, granted_by, granted_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (staff_id, role) DO NOTHING",
        )
        .bind(id)
        .bind(role)
        .bind(granted_by)
        .bind(Timestamp::now()),
    )
    .await
}

/// Takes an extra role back; answers whether the account held it.
pub async fn revoke_role(tx: &mut Tx, id: i64, role: Role) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("DELETE FROM staff_role WHERE staff_id = $1 AND role = $2")
            .bind(id)
            .bind(role),
    )
    .await
}

/// Activates or deactivates. Deactivating also ends the account's sessions (their version no longer matches).
pub async fn set_active(tx: &mut Tx, id: i64, active: bool) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE staff SET active = $1, session_version = session_version + $2, updated_at = $3
         WHERE id = $4 AND active <> $1",
        )
        .bind(Flag(active))
        .bind(if active { 0_i64 } else { 1_i64 })
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
}

/// Locks the rows of the active admins until the transaction ends, so two concurrent changes can't each
/// remove "the other" last admin. (SQLite's `BEGIN IMMEDIATE` already serialises writers.)
pub async fn lock_active_admins(tx: &mut Tx) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("UPDATE staff SET updated_at = updated_at WHERE role = 'admin' AND active = 1"),
    )
    .await
}

pub async fn count_active_admins_except(tx: &mut Tx, id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1 AND id <> $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await
}

/// Active accounts per role, in the order of `Role::ALL`.
pub async fn count_active_by_role(mut db: impl Reader) -> Result<Vec<(Role, i64)>, sqlx::Error> {
    let rows: Vec<(Role, i64)> = sqlx::query_as("SELECT role, COUNT(*) FROM staff WHERE active = 1 GROUP BY role")
        .fetch_all(db.exec())
        .await?;
    Ok(Role::ALL
        .iter()
        .map(|role| (*role, rows.iter().find(|(r, _)| r == role).map_or(0, |(_, n)| *n)))
        .collect())
}

/// Serialises changes to one doctor's hours and slots (their staff row is locked until the transaction ends).
pub async fn lock_doctor(tx: &mut Tx, doctor_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE staff SET updated_at = updated_at WHERE id = $1 AND role = 'doctor'").bind(doctor_id),
    )
    .await
}

/// [`lock_doctor`] for every doctor, one at a time in the order of their ids (so that two such runs, or one
/// and a single doctor's lock, never wait on each other in a circle).
pub async fn lock_all_doctors(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE role = 'doctor' ORDER BY id")
        .fetch_all(&mut **tx)
        .await?;
    for id in ids {
        lock_doctor(tx, id).await?;
    }
    Ok(())
}

pub async fn active_doctors(mut db: impl Reader) -> Result<Vec<Doctor>, sqlx::Error> {
    sqlx::query_as("SELECT id, full_name FROM staff WHERE role = 'doctor' AND active = 1 ORDER BY full_name")
        .fetch_all(db.exec())
        .await
}

const PROFILE_COLUMNS: &str = "id, full_name, specialty, qualifications, profile_note";

/// A doctor's profile (any account that is not a doctor's has none).
pub async fn profile(db: impl Reader, id: i64) -> Result<Option<DoctorProfile>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {PROFILE_COLUMNS} FROM staff WHERE id = $1 AND role = 'doctor'"),
        id,
    )
    .await
}

/// The profiles of the active doctors with times from `from` on (their hours made slots), by name.
pub async fn bookable_doctor_profiles(mut db: impl Reader, from: Date) -> Result<Vec<DoctorProfile>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROFILE_COLUMNS} FROM staff WHERE role = 'doctor' AND active = 1
           AND EXISTS (SELECT 1 FROM slot sl WHERE sl.doctor_id = staff.id AND sl.day >= $1)
         ORDER BY full_name"
    ))
    .bind(from)
    .fetch_all(db.exec())
    .await
}

/// Changes a doctor's profile; answers whether the account is a doctor's.
pub async fn update_profile(tx: &mut Tx, id: i64, input: &ProfileInput) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE staff SET specialty = $1, qualifications = $2, profile_note = $3 WHERE id = $4 AND role = 'doctor'",
        )
        .bind(&input.specialty)
        .bind(&input.qualifications)
        .bind(&input.profile_note)
        .bind(id),
    )
    .await
}
