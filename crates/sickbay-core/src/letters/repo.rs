//! All SQL of letters.

use super::model::{Letter, LetterInput};
use crate::db::{Reader, Timestamp, Tx, inserted_id, row_by_id};

const COLUMNS: &str = "l.id, l.visit_id, l.patient_id, p.first_name || ' ' || p.surname AS patient_name,
    p.clinic_number, p.matric_number, l.kind, l.addressed_to, l.body, l.rest_from, l.rest_to, s.full_name AS issued_by_name,
    l.issued_at";

const FROM: &str = "FROM letter l JOIN patient p ON p.id = l.patient_id JOIN staff s ON s.id = l.issued_by";

pub async fn insert(
    tx: &mut Tx,
    visit_id: i64,
    patient_id: i64,
    input: &LetterInput,
    issued_by: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO letter (visit_id, patient_id, kind, addressed_to, body, rest_from, rest_to, issued_by, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(visit_id)
    .bind(patient_id)
    .bind(input.kind.as_str())
    .bind(input.addressed_to.as_str())
    .bind(input.body.as_str())
    .bind(input.rest.map(|(from, _)| from))
    .bind(input.rest.map(|(_, to)| to))
    .bind(issued_by)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

pub async fn get(db: impl Reader, id: i64) -> Result<Option<Letter>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {COLUMNS} {FROM} WHERE l.id = $1"), id).await
}

/// A visit's letters, in the order written (index `letter_visit`).
pub async fn of_visit(mut db: impl Reader, visit_id: i64) -> Result<Vec<Letter>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE l.visit_id = $1 ORDER BY l.issued_at, l.id"
    ))
    .bind(visit_id)
    .fetch_all(db.exec())
    .await
}

/// A patient's letters, newest first (index `letter_patient`).
pub async fn of_patient(mut db: impl Reader, patient_id: i64) -> Result<Vec<Letter>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} {FROM} WHERE l.patient_id = $1 ORDER BY l.issued_at DESC, l.id DESC"
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}
