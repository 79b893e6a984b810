//! All SQL of the notices. Whose column a query reads is chosen by the recipient's kind, never by input.

use super::Recipient;
use crate::db::{Reader, Timestamp, Tx, changed_one_row, run};
use crate::identity::Role;

impl Recipient {
    fn column(self) -> &'static str {
        match self {
            Recipient::Patient(_) => "patient_id",
            Recipient::Staff(_) => "staff_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Recipient::Patient(id) | Recipient::Staff(id) => id,
        }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

impl Notice {
    pub fn is_unread(&self) -> bool {
        self.read_at.is_none()
    }
}

/// Writes a notice; with `key`, only if no notice has that key yet. Whether it was written.
pub async fn insert(
    tx: &mut Tx,
    to: Recipient,
    key: Option<&str>,
    message: &str,
    link: &str,
) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(&format!(
            "INSERT INTO notice ({}, dedupe_key, message, link, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING",
            to.column()
        ))
        .bind(to.id())
        .bind(key)
        .bind(message)
        .bind(link)
        .bind(Timestamp::now()),
    )
    .await
}

pub async fn insert_for_role(tx: &mut Tx, role: Role, message: &str, link: &str) -> Result<(), sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO notice (staff_id, message, link, created_at)
         SELECT s.id, $1, $2, $3 FROM staff s
         WHERE s.active = 1 AND (s.role = $4 OR EXISTS (SELECT 1 FROM staff_role r WHERE r.staff_id = s.id AND r.role = $4))",
    )
    .bind(message)
    .bind(link)
    .bind(Timestamp::now())
    .bind(role.as_str());
    run(tx, query).await
}

const COLUMNS: &str = "id, message, link, created_at, read_at";

pub async fn unread(mut db: impl Reader, to: Recipient, limit: i64) -> Result<Vec<Notice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notice WHERE {} = $1 AND read_at IS NULL ORDER BY id DESC {}",
        to.column(),
        crate::db::limit(limit)
    ))
    .bind(to.id())
    .fetch_all(db.exec())
    .await
}

pub async fn unread_count(mut db: impl Reader, to: Recipient) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM notice WHERE {} = $1 AND read_at IS NULL",
        to.column()
    ))
    .bind(to.id())
    .fetch_one(db.exec())
    .await
}

pub async fn page(
    mut db: impl Reader,
    to: Recipient,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notice WHERE {} = $1 AND id < $2 ORDER BY id DESC {}",
        to.column(),
        crate::db::limit(limit)
    ))
    .bind(to.id())
    .bind(before.unwrap_or(i64::MAX))
    .fetch_all(db.exec())
    .await
}

pub async fn mark_read(tx: &mut Tx, to: Recipient, id: i64) -> Result<Option<Notice>, sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE notice SET read_at = $1 WHERE id = $2 AND {} = $3 AND read_at IS NULL",
        to.column()
    ))
    .bind(Timestamp::now())
    .bind(id)
    .bind(to.id())
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notice WHERE id = $1 AND {} = $2",
        to.column()
    ))
    .bind(id)
    .bind(to.id())
    .fetch_optional(&mut **tx)
    .await
}

pub async fn mark_all_read(tx: &mut Tx, to: Recipient) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE notice SET read_at = $1 WHERE {} = $2 AND read_at IS NULL",
        to.column()
    ))
    .bind(Timestamp::now())
    .bind(to.id())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
