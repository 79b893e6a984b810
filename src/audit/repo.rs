use sqlx::AnyConnection;

use super::model::{AuditEntry, AuditRow};
use crate::db::{Db, Timestamp};
use crate::identity::Actor;

/// Writes one audit row on the caller's connection (normally inside the transaction of the change).
pub async fn record(conn: &mut AnyConnection, actor: &Actor, entry: AuditEntry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_event
             (at, actor_kind, actor_id, actor_label, action, record_type, record_id, patient_id, ip, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Timestamp::now())
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.label)
    .bind(entry.action)
    .bind(entry.record_type)
    .bind(entry.record_id)
    .bind(entry.patient_id)
    .bind(actor.ip.as_deref())
    .bind(entry.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// At most `limit` entries, newest first, older than the entry `before` (from the newest without it). Paged by
/// id, not by offset or with a count, so the thousandth page of a million rows costs what the first does.
pub async fn list(db: &Db, before: Option<i64>, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    let which = match before {
        Some(_) => "a.id < $1",
        None => "$1 = 0",
    };
    sqlx::query_as::<_, AuditRow>(&format!(
        "SELECT a.id, a.at, a.actor_kind, a.actor_label, a.action, a.record_type, a.record_id, a.patient_id,
                p.first_name || ' ' || p.surname || ' (' || p.clinic_number || ')' AS patient_label, a.ip, a.detail
         FROM audit_event a LEFT JOIN patient p ON p.id = a.patient_id
         WHERE {which} ORDER BY a.id DESC LIMIT $2"
    ))
    .bind(before.unwrap_or(0))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
