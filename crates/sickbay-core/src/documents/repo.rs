//! All SQL of documents. Lists read the details only; the content is read one document at a time.

use super::model::{DocumentKind, DocumentMeta};
use crate::db::{Reader, Timestamp, Tx, inserted_id, row_by_id};

const META_COLUMNS: &str = "d.id, d.patient_id, d.visit_id, d.title, d.mime, d.size,
    s.full_name AS uploaded_by_name, d.uploaded_at";

pub struct NewDocument<'a> {
    pub patient_id: i64,
    pub visit_id: Option<i64>,
    pub title: &'a str,
    pub kind: DocumentKind,
    pub data: &'a [u8],
    pub uploaded_by: i64,
}

pub async fn insert(tx: &mut Tx, new: &NewDocument<'_>) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO document (patient_id, visit_id, title, mime, size, data, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.patient_id)
    .bind(new.visit_id)
    .bind(new.title)
    .bind(new.kind)
    .bind(i64::try_from(new.data.len()).unwrap_or(i64::MAX))
    .bind(new.data.to_vec())
    .bind(new.uploaded_by)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// A patient's documents, newest first.
pub async fn of_patient(db: impl Reader, patient_id: i64) -> Result<Vec<DocumentMeta>, sqlx::Error> {
    newest_first(db, "patient_id", patient_id).await
}

/// The documents attached to a visit, newest first.
pub async fn of_visit(db: impl Reader, visit_id: i64) -> Result<Vec<DocumentMeta>, sqlx::Error> {
    newest_first(db, "visit_id", visit_id).await
}

/// The documents whose `column` (one named in this file, never input) holds `id`, newest first.
async fn newest_first(mut db: impl Reader, column: &str, id: i64) -> Result<Vec<DocumentMeta>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {META_COLUMNS} FROM document d JOIN staff s ON s.id = d.uploaded_by
         WHERE d.{column} = $1 ORDER BY d.uploaded_at DESC, d.id DESC"
    ))
    .bind(id)
    .fetch_all(db.exec())
    .await
}

pub async fn meta(db: impl Reader, id: i64) -> Result<Option<DocumentMeta>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {META_COLUMNS} FROM document d JOIN staff s ON s.id = d.uploaded_by WHERE d.id = $1"),
        id,
    )
    .await
}

/// The patient's document `id` (none when it is someone else's), for the patient's own portal.
pub async fn meta_of_patient(
    mut db: impl Reader,
    id: i64,
    patient_id: i64,
) -> Result<Option<DocumentMeta>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {META_COLUMNS} FROM document d JOIN staff s ON s.id = d.uploaded_by
         WHERE d.id = $1 AND d.patient_id = $2"
    ))
    .bind(id)
    .bind(patient_id)
    .fetch_optional(db.exec())
    .await
}

pub async fn content(mut db: impl Reader, id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT data FROM document WHERE id = $1")
        .bind(id)
        .fetch_optional(db.exec())
        .await
}
