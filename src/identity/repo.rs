//! The accounts a session resolves to, read on every request.

use super::{PatientUser, StaffUser};
use crate::db::Db;

pub async fn find_staff(db: &Db, id: i64) -> Result<Option<StaffUser>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, username, full_name, role, must_change_password, active, session_version
         FROM staff WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

pub async fn find_patient(db: &Db, id: i64) -> Result<Option<PatientUser>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, clinic_number, matric_number, first_name, surname, must_change_password, approved, active,
                session_version
         FROM patient WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}
