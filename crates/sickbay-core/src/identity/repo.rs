//! The accounts a session resolves to (read on every request) and their credentials: what login checks and
//! what a password change writes.

use sqlx::{FromRow, Row};

use super::{PatientUser, Role, StaffUser};
use crate::db::{Flag, Reader, Timestamp, Tx, row_by_id};

/// The account with the extra roles it holds, in one query: a row per extra role (one row, with no extra
/// role, for an account that has none).
pub async fn find_staff(mut db: impl Reader, id: i64) -> Result<Option<StaffUser>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.username, s.full_name, s.role, s.must_change_password, s.active, s.session_version,
                r.role AS extra_role
         FROM staff s LEFT JOIN staff_role r ON r.staff_id = s.id
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_all(db.exec())
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut user = StaffUser::from_row(first)?;
    for row in &rows {
        if let Some(role) = row.try_get::<Option<Role>, _>("extra_role")? {
            user.extra_roles = user.extra_roles.with(role);
        }
    }
    Ok(Some(user))
}

pub async fn find_patient(db: impl Reader, id: i64) -> Result<Option<PatientUser>, sqlx::Error> {
    row_by_id(
        db,
        "SELECT id, clinic_number, matric_number, first_name, surname, must_change_password, approved, active,
                session_version
         FROM patient WHERE id = $1",
        id,
    )
    .await
}

/// What login needs to check a password.
#[derive(Debug, sqlx::FromRow)]
pub struct StaffLogin {
    pub id: i64,
    pub password_hash: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    pub session_version: i64,
    pub role: Role,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
}

pub async fn staff_login(mut db: impl Reader, username: &str) -> Result<Option<StaffLogin>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, password_hash, active, session_version, role, must_change_password
         FROM staff WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db.exec())
    .await
}

/// What login needs to check a patient's password, found by matric or clinic number (upper-cased).
#[derive(Debug, sqlx::FromRow)]
pub struct PatientLogin {
    pub id: i64,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    pub session_version: i64,
}

pub async fn patient_login(mut db: impl Reader, number: &str) -> Result<Option<PatientLogin>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, password_hash, active, must_change_password, session_version FROM patient
         WHERE matric_number = $1 OR clinic_number = $1 ORDER BY id LIMIT 1",
    )
    .bind(number)
    .fetch_optional(db.exec())
    .await
}

/// An account whose credentials are read or changed: the table is chosen by the kind, never by input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Account {
    Staff(i64),
    Patient(i64),
}

impl Account {
    fn table(self) -> &'static str {
        match self {
            Account::Staff(_) => "staff",
            Account::Patient(_) => "patient",
        }
    }

    fn id(self) -> i64 {
        match self {
            Account::Staff(id) | Account::Patient(id) => id,
        }
    }
}

/// The account's password hash (a patient without portal access has none).
pub async fn password_hash(mut db: impl Reader, account: Account) -> Result<Option<String>, sqlx::Error> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar(&format!("SELECT password_hash FROM {} WHERE id = $1", account.table()))
            .bind(account.id())
            .fetch_optional(db.exec())
            .await?;
    Ok(hash.flatten())
}

/// Sets a new password hash and ends every existing session of the account; returns the new session version.
pub async fn set_password(
    tx: &mut Tx,
    account: Account,
    hash: &str,
    must_change: bool,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "UPDATE {} SET password_hash = $1, must_change_password = $2, session_version = session_version + 1,
                       updated_at = $3
         WHERE id = $4
         RETURNING session_version",
        account.table()
    ))
    .bind(hash)
    .bind(Flag(must_change))
    .bind(Timestamp::now())
    .bind(account.id())
    .fetch_optional(&mut **tx)
    .await
}
