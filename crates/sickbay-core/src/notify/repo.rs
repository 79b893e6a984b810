//! All SQL of notifications.

use crate::db::{Db, Reader, Timestamp, Tx};

pub async fn insert(tx: &mut Tx, patient_id: i64, message: &str, link: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notification (patient_id, message, link, created_at) VALUES ($1, $2, $3, $4)")
        .bind(patient_id)
        .bind(message)
        .bind(link)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub created_at: Timestamp,
}

pub async fn unread(mut db: impl Reader, patient_id: i64) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, message, link, created_at FROM notification WHERE patient_id = $1 AND read_at IS NULL
         ORDER BY id DESC LIMIT 20",
    )
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

pub async fn mark_read(db: &Db, patient_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE notification SET read_at = $1 WHERE id = $2 AND patient_id = $3 AND read_at IS NULL")
            .bind(Timestamp::now())
            .bind(id)
            .bind(patient_id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}
