//! All SQL of logging in: the failed-login rows behind throttling.

use super::model::{
    Failures, MAX_PER_IDENTIFIER, MAX_PER_IP, MAX_REGISTRATIONS_PER_IP, REGISTRATION_KEY, WINDOW_MINUTES,
};
use crate::db::{Db, Timestamp, Tx};

pub async fn count(db: &Db, identifier: &str, ip: &str, now: Timestamp) -> Result<Failures, sqlx::Error> {
    let since = now.minus_minutes(WINDOW_MINUTES);
    let by_identifier: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failure WHERE identifier = $1 AND at > $2")
        .bind(identifier)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
    let by_ip: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failure WHERE ip = $1 AND at > $2")
        .bind(ip)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
    // A block lifts when fewer than MAX failures remain in the window: when the MAXth newest leaves it.
    let oldest: Option<Timestamp> = if by_identifier >= MAX_PER_IDENTIFIER {
        nth_newest(db, "identifier", identifier, since, MAX_PER_IDENTIFIER).await?
    } else if by_ip >= MAX_PER_IP {
        nth_newest(db, "ip", ip, since, MAX_PER_IP).await?
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
    db: &Db,
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
    .fetch_optional(db.pool())
    .await
}

pub async fn record_failure(tx: &mut Tx, identifier: &str, ip: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failure (identifier, ip, at) VALUES ($1, $2, $3)")
        .bind(identifier)
        .bind(ip)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A successful login forgets the identifier's failures and prunes rows that left the window long ago.
pub async fn clear(tx: &mut Tx, identifier: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failure WHERE identifier = $1 OR at < $2")
        .bind(identifier)
        .bind(Timestamp::now().minus_minutes(WINDOW_MINUTES * 4))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The time of the oldest self-registration from `ip` that keeps the address at its limit, if it is at it: the
/// block lifts when that one leaves the window.
pub async fn registration_limit_reached(db: &Db, ip: &str, now: Timestamp) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT at FROM login_failure WHERE identifier = $1 AND ip = $2 AND at > $3 ORDER BY at DESC LIMIT 1 OFFSET $4",
    )
    .bind(REGISTRATION_KEY)
    .bind(ip)
    .bind(now.minus_minutes(WINDOW_MINUTES))
    .bind(MAX_REGISTRATIONS_PER_IP - 1)
    .fetch_optional(db.pool())
    .await
}
