//! All SQL of academic data.

use super::model::{AcademicOptions, AcademicSession, Department, Faculty, Level};
use crate::db::{Db, Timestamp, Tx};

/// Every faculty, department, level and session (active and not: a patient may point at a deactivated one,
/// and its name must still show). Forms offer only the active ones.
pub async fn options(db: &Db) -> Result<AcademicOptions, sqlx::Error> {
    let pool = db.pool();
    Ok(AcademicOptions {
        faculties: sqlx::query_as("SELECT id, name, code, active FROM faculty ORDER BY name")
            .fetch_all(pool)
            .await?,
        departments: sqlx::query_as("SELECT id, faculty_id, name, code, active FROM department ORDER BY name")
            .fetch_all(pool)
            .await?,
        levels: sqlx::query_as("SELECT id, name, sort_order, active FROM level ORDER BY sort_order, name")
            .fetch_all(pool)
            .await?,
        sessions: sqlx::query_as(
            "SELECT id, name, starts_on, ends_on, is_current, active FROM academic_session ORDER BY starts_on DESC",
        )
        .fetch_all(pool)
        .await?,
    })
}

/// A faculty by its name or code, ignoring case.
pub async fn find_faculty(tx: &mut Tx, name_or_code: &str) -> Result<Option<Faculty>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, code, active FROM faculty WHERE LOWER(name) = LOWER($1) OR LOWER(code) = LOWER($1)
         ORDER BY id LIMIT 1",
    )
    .bind(name_or_code.trim())
    .fetch_optional(&mut **tx)
    .await
}

/// A department of the faculty by its name or code, ignoring case.
pub async fn find_department(
    tx: &mut Tx,
    faculty_id: i64,
    name_or_code: &str,
) -> Result<Option<Department>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, faculty_id, name, code, active FROM department
         WHERE faculty_id = $1 AND (LOWER(name) = LOWER($2) OR LOWER(code) = LOWER($2)) ORDER BY id LIMIT 1",
    )
    .bind(faculty_id)
    .bind(name_or_code.trim())
    .fetch_optional(&mut **tx)
    .await
}

pub async fn find_level(tx: &mut Tx, name: &str) -> Result<Option<Level>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, sort_order, active FROM level WHERE LOWER(name) = LOWER($1)")
        .bind(name.trim())
        .fetch_optional(&mut **tx)
        .await
}

pub async fn current_session(tx: &mut Tx) -> Result<Option<AcademicSession>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, starts_on, ends_on, is_current, active FROM academic_session WHERE is_current = 1")
        .fetch_optional(&mut **tx)
        .await
}

pub async fn insert_faculty(tx: &mut Tx, name: &str, code: &str) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query_scalar(
        "INSERT INTO faculty (name, code, active, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
    )
    .bind(name)
    .bind(code)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

pub async fn insert_department(tx: &mut Tx, faculty_id: i64, name: &str, code: &str) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query_scalar(
        "INSERT INTO department (faculty_id, name, code, active, created_at, updated_at)
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(faculty_id)
    .bind(name)
    .bind(code)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

pub async fn insert_level(tx: &mut Tx, name: &str, sort_order: i64) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query_scalar(
        "INSERT INTO level (name, sort_order, active, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
    )
    .bind(name)
    .bind(sort_order)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}
