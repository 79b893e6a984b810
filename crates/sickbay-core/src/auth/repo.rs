//! All SQL of logging in: the failed-login rows behind throttling.

use super::model::{
    Failures, MAX_PER_IDENTIFIER, MAX_PER_IP, MAX_REGISTRATIONS_PER_IP, REGISTRATION_KEY, WINDOW_MINUTES,
};
use crate::db::{Reader, Timestamp, Tx, changed_one_row, inserted_id, run};

pub async fn count(mut db: impl Reader, identifier: &str, ip: &str, now: Timestamp) -> Result<Failures, sqlx::Error> {
    let since = now.minus_minutes(WINDOW_MINUTES);
    let by_identifier: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failure WHERE identifier = $1 AND at > $2")
        .bind(identifier)
        .bind(since)
        .fetch_one(db.exec())
        .await?;
    let by_ip: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failure WHERE ip = $1 AND at > $2")
        .bind(ip)
        .bind(since)
        .fetch_one(db.exec())
        .await?;
    // A block lifts when fewer than MAX failures remain in the window: when the MAXth newest leaves it.
    let oldest: Option<Timestamp> = if by_identifier >= MAX_PER_IDENTIFIER {
        nth_newest(&mut db, "identifier", identifier, since, MAX_PER_IDENTIFIER).await?
    } else if by_ip >= MAX_PER_IP {
        nth_newest(&mut db, "ip", ip, since, MAX_PER_IP).await?
    } else {
        None
    };
    Ok(Failures {
        by_identifier,
        by_ip,
        oldest,
    })
}

/// The time of the `n`th most recent failure for this key: once it leaves the window, fewer than `n` remain.
async fn nth_newest(
    mut db: impl Reader,
    column: &str,
    key: &str,
    since: Timestamp,
    n: i64,
) -> Result<Option<Timestamp>, sqlx::Error> {
    let column = if column == "ip" { "ip" } else { "identifier" };
    sqlx::query_scalar(&format!(
        "SELECT at FROM login_failure WHERE {column} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3"
    ))
    .bind(key)
    .bind(since)
    .bind(n - 1)
    .fetch_optional(db.exec())
    .await
}

pub async fn record_failure(tx: &mut Tx, identifier: &str, ip: &str) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("INSERT INTO login_failure (identifier, ip, at) VALUES ($1, $2, $3)")
            .bind(identifier)
            .bind(ip)
            .bind(Timestamp::now()),
    )
    .await
}

/// A successful login forgets the identifier's failures and prunes rows that left the window long ago.
pub async fn clear(tx: &mut Tx, identifier: &str) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("DELETE FROM login_failure WHERE identifier = $1 OR at < $2")
            .bind(identifier)
            .bind(Timestamp::now().minus_minutes(WINDOW_MINUTES * 4)),
    )
    .await
}

/// The time of the oldest self-registration from `ip` that keeps the address at its limit, if it is at it: the
/// block lifts when that one leaves the window.
pub async fn registration_limit_reached(
    mut db: impl Reader,
    ip: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, sqlx::Error> {
    limit_reached(&mut db, REGISTRATION_KEY, MAX_REGISTRATIONS_PER_IP, ip, now).await
}

/// As `registration_limit_reached`, for the requests counted under `key` with their own limit.
pub async fn limit_reached(
    mut db: impl Reader,
    key: &str,
    max: i64,
    ip: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT at FROM login_failure WHERE identifier = $1 AND ip = $2 AND at > $3 ORDER BY at DESC LIMIT 1 OFFSET $4",
    )
    .bind(key)
    .bind(ip)
    .bind(now.minus_minutes(WINDOW_MINUTES))
    .bind(max - 1)
    .fetch_optional(db.exec())
    .await
}

/// A patient who may get a reset link: an active portal account found by its matric number, clinic number or
/// email address.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ResetTarget {
    pub id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_by: crate::outbox::model::ContactBy,
}

pub async fn reset_target(mut db: impl Reader, identifier: &str) -> Result<Option<ResetTarget>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, email, phone, contact_by FROM patient
         WHERE (matric_number = $1 OR clinic_number = $1 OR LOWER(email) = LOWER($2))
           AND active = 1 AND password_hash IS NOT NULL
         ORDER BY id LIMIT 1",
    )
    .bind(identifier.to_uppercase())
    .bind(identifier)
    .fetch_optional(db.exec())
    .await
}

/// Locks an active patient's row for the rest of the transaction (a no-op update: a row lock on PostgreSQL,
/// the write lock on SQLite); `false` when there is no such active patient.
pub async fn lock_account(tx: &mut Tx, patient_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE patient SET session_version = session_version WHERE id = $1 AND active = 1")
            .bind(patient_id),
    )
    .await
}

/// Reset links sent since `since` for the patient, and to the address.
pub async fn resets_since(
    tx: &mut Tx,
    patient_id: i64,
    sent_to: &str,
    since: Timestamp,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN patient_id = $1 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN sent_to = $2 THEN 1 ELSE 0 END), 0)
         FROM password_reset WHERE created_at > $3 AND (patient_id = $1 OR sent_to = $2)",
    )
    .bind(patient_id)
    .bind(sent_to)
    .bind(since)
    .fetch_one(&mut **tx)
    .await
}

pub async fn insert_reset(
    tx: &mut Tx,
    token_hash: &str,
    patient_id: i64,
    sent_to: &str,
    expires_at: Timestamp,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO password_reset (token_hash, patient_id, sent_to, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(token_hash)
    .bind(patient_id)
    .bind(sent_to)
    .bind(Timestamp::now())
    .bind(expires_at);
    inserted_id(tx, query).await
}

/// The patient a working (unused, unexpired) link is for, with the name they log in with.
pub async fn reset_holder(
    mut db: impl Reader,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, COALESCE(p.matric_number, p.clinic_number) FROM password_reset r JOIN patient p ON p.id = r.patient_id
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND p.active = 1",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.exec())
    .await
}

/// Uses a link: the one request that marks it used gets its patient; a used or expired link gets nothing.
pub async fn use_reset(tx: &mut Tx, token_hash: &str, now: Timestamp) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE password_reset SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING patient_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

/// Ends the patient's other links once one was used.
pub async fn void_resets(tx: &mut Tx, patient_id: i64, now: Timestamp) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("UPDATE password_reset SET used_at = $1 WHERE patient_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(patient_id),
    )
    .await
}
