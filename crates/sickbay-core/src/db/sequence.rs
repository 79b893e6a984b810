//! Counters kept in `sequence_counter`, one row per name: gap-free numbers (clinic numbers per year, the day's
//! tickets per prefix, later invoices and batches) and per-day tallies that guard against stale forms.

use super::{Tx, changed_one_row};

/// Advances the counter `name` by one inside `tx` and returns its new value (1 for a new counter). The row stays
/// locked until `tx` ends, so concurrent callers get consecutive values, and a rolled-back caller leaves no gap.
pub async fn next(tx: &mut Tx, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sequence_counter (name, value) VALUES ($1, 1)
         ON CONFLICT (name) DO UPDATE SET value = sequence_counter.value + 1
         RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await
}

/// The counters whose names start with `prefix` (which holds no `%` or `_`), with their values.
pub async fn with_prefix(db: &super::Db, prefix: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT name, value FROM sequence_counter WHERE name LIKE $1")
        .bind(format!("{prefix}%"))
        .fetch_all(db.pool())
        .await
}

/// Raises the counter `name` to `value` if it is lower (a new counter starts at 0); `true` for the one caller that
/// raised it. A claim for once-only work (a data upgrade after a new version of a rule) that several instances
/// may attempt at the same time: the others wait on the row and then find it raised.
pub async fn claim(tx: &mut Tx, name: &str, value: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("INSERT INTO sequence_counter (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    changed_one_row(
        tx,
        sqlx::query("UPDATE sequence_counter SET value = $1 WHERE name = $2 AND value < $1")
            .bind(value)
            .bind(name),
    )
    .await
}
