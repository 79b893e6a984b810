//! All SQL of academic data.

use sqlx::FromRow;
use sqlx::any::AnyRow;

use super::model::{
    AcademicOptions, AcademicSession, Department, DepartmentInput, Faculty, FacultyInput, Input, Kind, Level,
    LevelInput, PATIENTS_COUNTED, SessionInput, StudyIds, StudyNames, Usage, Versioned,
};

use crate::db::insert::AnyQuery;
use crate::db::{Flag, Reader, Timestamp, Tx, changed_one_row, inserted_id};

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

/// A kind's form as stored: the columns it writes, its values bound in that order, the columns its record is
/// read from, and the columns a new record starts with besides (active; a session also not current).
pub trait Written: Input<Record: for<'r> FromRow<'r, AnyRow> + Send + Unpin> {
    const COLUMNS: &'static [&'static str];
    const READ: &'static str;
    const STARTS: (&'static str, &'static str) = ("active", "1");
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
}

impl Written for FacultyInput {
    const COLUMNS: &'static [&'static str] = &["name", "code"];
    const READ: &'static str = "id, name, code, active, updated_at";

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(&self.name).bind(&self.code)
    }
}

impl Written for DepartmentInput {
    const COLUMNS: &'static [&'static str] = &["faculty_id", "name", "code"];
    const READ: &'static str = "id, faculty_id, name, code, active, updated_at";

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.faculty_id).bind(&self.name).bind(&self.code)
    }
}

impl Written for LevelInput {
    const COLUMNS: &'static [&'static str] = &["name", "sort_order"];
    const READ: &'static str = "id, name, sort_order, active, updated_at";

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(&self.name).bind(self.sort_order)
    }
}

impl Written for SessionInput {
    const COLUMNS: &'static [&'static str] = &["name", "starts_on", "ends_on"];
    const READ: &'static str = "id, name, starts_on, ends_on, is_current, active, updated_at";
    const STARTS: (&'static str, &'static str) = ("is_current, active", "0, 1");

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(&self.name).bind(self.starts_on).bind(self.ends_on)
    }
}

/// `$1, $2, ...` for `count` values.
fn placeholders(count: usize) -> String {
    (1..=count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Inserts a new, active record; answers its id.
pub async fn insert<I: Written>(tx: &mut Tx, input: &I) -> Result<i64, sqlx::Error> {
    let now = I::COLUMNS.len() + 1;
    let (start_columns, start_values) = I::STARTS;
    let sql = format!(
        "INSERT INTO {} ({}, {start_columns}, created_at, updated_at) VALUES ({}, {start_values}, ${now}, ${now}) RETURNING id",
        I::KIND.table(),
        I::COLUMNS.join(", "),
        placeholders(I::COLUMNS.len()),
    );
    let query = input.bind(sqlx::query(&sql)).bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// A record with its version, read by the kind of its form.
pub async fn get<I: Written>(mut db: impl Reader, id: i64) -> Result<Option<Versioned<I::Record>>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {} FROM {} WHERE id = $1", I::READ, I::KIND.table()))
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

/// Changes a record only if it still has `seen` as its `updated_at`, and answers whether it did.
pub async fn update<I: Written>(tx: &mut Tx, id: i64, seen: Timestamp, input: &I) -> Result<bool, sqlx::Error> {
    let count = I::COLUMNS.len();
    let assignments: Vec<String> = I::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {} SET {}, updated_at = ${} WHERE id = ${} AND updated_at = ${}",
        I::KIND.table(),
        assignments.join(", "),
        count + 1,
        count + 2,
        count + 3
    );
    let query = input.bind(sqlx::query(&sql)).bind(seen.now_after()).bind(id).bind(seen);
    changed_one_row(tx, query).await
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

/// Whether the faculty is active, or `None` when there is no such faculty.
pub async fn faculty_active(tx: &mut Tx, id: i64) -> Result<Option<bool>, sqlx::Error> {
    let active: Option<Flag> = sqlx::query_scalar("SELECT active FROM faculty WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(active.map(bool::from))
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
    changed_one_row(
        tx,
        sqlx::query(&format!(
            "UPDATE {} SET active = $1, updated_at = $2 WHERE id = $3 AND active <> $1{keep_current}",
            kind.table()
        ))
        .bind(Flag(active))
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
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
    changed_one_row(
        tx,
        sqlx::query(&format!("DELETE FROM {} WHERE id = $1{keep_current}", kind.table())).bind(id),
    )
    .await
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
    let query = sqlx::query(
        "UPDATE academic_session SET is_current = 1, updated_at = $1 WHERE id = $2 AND active = 1 AND is_current = 0",
    )
    .bind(now)
    .bind(id);
    changed_one_row(tx, query).await
}
