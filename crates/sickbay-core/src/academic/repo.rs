//! All SQL of academic data.

use super::model::{
    AcademicOptions, AcademicSession, Department, DepartmentInput, Faculty, FacultyInput, Kind, Level, LevelInput,
    PATIENTS_COUNTED, SessionInput, StudyIds, StudyNames, Usage, Versioned,
};

use crate::db::{Flag, Reader, Timestamp, Tx};

/// Every faculty, department, level and session (active and not: a patient may point at a deactivated one,
/// and its name must still show). Forms offer only the active ones.
pub async fn options(mut db: impl Reader) -> Result<AcademicOptions, sqlx::Error> {
    Ok(AcademicOptions {
        faculties: sqlx::query_as("SELECT id, name, code, active FROM faculty ORDER BY name")
            .fetch_all(db.exec())
            .await?,
        departments: sqlx::query_as("SELECT id, faculty_id, name, code, active FROM department ORDER BY name")
            .fetch_all(db.exec())
            .await?,
        levels: sqlx::query_as("SELECT id, name, sort_order, active FROM level ORDER BY sort_order, name")
            .fetch_all(db.exec())
            .await?,
        sessions: sqlx::query_as(
            "SELECT id, name, starts_on, ends_on, is_current, active FROM academic_session ORDER BY starts_on DESC",
        )
        .fetch_all(db.exec())
        .await?,
    })
}

/// The names of the faculty, department, level and session with these ids (none where an id is none).
pub async fn names(mut db: impl Reader, ids: StudyIds) -> Result<StudyNames, sqlx::Error> {
    let id = |id: Option<i64>| id.unwrap_or(0);
    sqlx::query_as(
        "SELECT (SELECT name FROM faculty WHERE id = $1) AS faculty,
                (SELECT name FROM department WHERE id = $2) AS department,
                (SELECT name FROM level WHERE id = $3) AS level,
                (SELECT name FROM academic_session WHERE id = $4) AS session",
    )
    .bind(id(ids.faculty))
    .bind(id(ids.department))
    .bind(id(ids.level))
    .bind(id(ids.session))
    .fetch_one(db.exec())
    .await
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

/// Whether a faculty or a department (as `kind` says) already has `code`, ignoring case. Levels and sessions
/// have no code, so none is taken.
pub async fn code_taken(tx: &mut Tx, kind: Kind, code: &str) -> Result<bool, sqlx::Error> {
    if !matches!(kind, Kind::Faculty | Kind::Department) {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM {} WHERE LOWER(code) = LOWER($1)",
        kind.table()
    ))
    .bind(code)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

const FACULTY_COLUMNS: &str = "id, name, code, active, updated_at";
const DEPARTMENT_COLUMNS: &str = "id, faculty_id, name, code, active, updated_at";
const LEVEL_COLUMNS: &str = "id, name, sort_order, active, updated_at";
const SESSION_COLUMNS: &str = "id, name, starts_on, ends_on, is_current, active, updated_at";

pub async fn get_faculty(mut db: impl Reader, id: i64) -> Result<Option<Versioned<Faculty>>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {FACULTY_COLUMNS} FROM faculty WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

pub async fn get_department(mut db: impl Reader, id: i64) -> Result<Option<Versioned<Department>>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {DEPARTMENT_COLUMNS} FROM department WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

pub async fn get_level(mut db: impl Reader, id: i64) -> Result<Option<Versioned<Level>>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {LEVEL_COLUMNS} FROM level WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

pub async fn get_session(mut db: impl Reader, id: i64) -> Result<Option<Versioned<AcademicSession>>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} FROM academic_session WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

/// Whether the faculty is active, or `None` when there is no such faculty.
pub async fn faculty_active(tx: &mut Tx, id: i64) -> Result<Option<bool>, sqlx::Error> {
    let active: Option<Flag> = sqlx::query_scalar("SELECT active FROM faculty WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(active.map(bool::from))
}

pub async fn insert_session(tx: &mut Tx, session: &SessionInput) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query_scalar(
        "INSERT INTO academic_session (name, starts_on, ends_on, is_current, active, created_at, updated_at)
         VALUES ($1, $2, $3, 0, 1, $4, $4) RETURNING id",
    )
    .bind(&session.name)
    .bind(session.starts_on)
    .bind(session.ends_on)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

/// The updates below change a row only if it still has `seen` as its `updated_at`, and answer whether they did.
pub async fn update_faculty(
    tx: &mut Tx,
    id: i64,
    seen: Timestamp,
    faculty: &FacultyInput,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE faculty SET name = $1, code = $2, updated_at = $3 WHERE id = $4 AND updated_at = $5")
            .bind(&faculty.name)
            .bind(&faculty.code)
            .bind(seen.now_after())
            .bind(id)
            .bind(seen)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_department(
    tx: &mut Tx,
    id: i64,
    seen: Timestamp,
    department: &DepartmentInput,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE department SET faculty_id = $1, name = $2, code = $3, updated_at = $4
         WHERE id = $5 AND updated_at = $6",
    )
    .bind(department.faculty_id)
    .bind(&department.name)
    .bind(&department.code)
    .bind(seen.now_after())
    .bind(id)
    .bind(seen)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_level(tx: &mut Tx, id: i64, seen: Timestamp, level: &LevelInput) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE level SET name = $1, sort_order = $2, updated_at = $3 WHERE id = $4 AND updated_at = $5")
            .bind(&level.name)
            .bind(level.sort_order)
            .bind(seen.now_after())
            .bind(id)
            .bind(seen)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_session(
    tx: &mut Tx,
    id: i64,
    seen: Timestamp,
    session: &SessionInput,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE academic_session SET name = $1, starts_on = $2, ends_on = $3, updated_at = $4
         WHERE id = $5 AND updated_at = $6",
    )
    .bind(&session.name)
    .bind(session.starts_on)
    .bind(session.ends_on)
    .bind(seen.now_after())
    .bind(id)
    .bind(seen)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The name of a record of any kind and whether it is active, inside the caller's transaction.
pub async fn name_and_active(tx: &mut Tx, kind: Kind, id: i64) -> Result<Option<(String, bool)>, sqlx::Error> {
    let row: Option<(String, Flag)> =
        sqlx::query_as(&format!("SELECT name, active FROM {} WHERE id = $1", kind.table()))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(name, active)| (name, active.0)))
}

/// Activates or deactivates; answers whether anything changed. The current session is never deactivated.
pub async fn set_active(tx: &mut Tx, kind: Kind, id: i64, active: bool) -> Result<bool, sqlx::Error> {
    let keep_current = if kind == Kind::Session && !active {
        " AND is_current = 0"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "UPDATE {} SET active = $1, updated_at = $2 WHERE id = $3 AND active <> $1{keep_current}",
        kind.table()
    ))
    .bind(Flag(active))
    .bind(Timestamp::now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many patients (up to one more than [`PATIENTS_COUNTED`]) and, for a faculty, departments point at the
/// record, in one query: on a connection for the record's page, in its transaction for a delete.
pub async fn usage(mut db: impl Reader, kind: Kind, id: i64) -> Result<Usage, sqlx::Error> {
    let departments = match kind {
        Kind::Faculty => "(SELECT COUNT(*) FROM department WHERE faculty_id = $1)",
        _ => "0",
    };
    let (patients, departments) = sqlx::query_as(&format!(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM patient WHERE {} = $1 {}) counted), {departments}",
        kind.patient_column(),
        crate::db::limit(PATIENTS_COUNTED + 1)
    ))
    .bind(id)
    .fetch_one(db.exec())
    .await?;
    Ok(Usage { patients, departments })
}

/// Deletes the record; the current session is never deleted. Answers whether a row went.
pub async fn delete(tx: &mut Tx, kind: Kind, id: i64) -> Result<bool, sqlx::Error> {
    let keep_current = if kind == Kind::Session {
        " AND is_current = 0"
    } else {
        ""
    };
    let done = sqlx::query(&format!("DELETE FROM {} WHERE id = $1{keep_current}", kind.table()))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes the active session `id` the current one, clearing the old first (the partial unique index allows
/// only one current row at any moment). Answers whether the session was made current.
pub async fn make_current(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    sqlx::query("UPDATE academic_session SET is_current = 0, updated_at = $1 WHERE is_current = 1 AND id <> $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query(
        "UPDATE academic_session SET is_current = 1, updated_at = $1 WHERE id = $2 AND active = 1 AND is_current = 0",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
