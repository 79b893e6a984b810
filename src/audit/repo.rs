use sqlx::AnyConnection;

use super::model::{AuditEntry, AuditRow};
use crate::db::{Db, Timestamp};
use crate::identity::Actor;
use crate::web::paging::PageRequest;

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

pub async fn list(db: &Db, page: PageRequest) -> Result<(Vec<AuditRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as::<_, AuditRow>(
        "SELECT a.id, a.at, a.actor_kind, a.actor_label, a.action, a.record_type, a.record_id, a.patient_id,
                p.first_name || ' ' || p.surname || ' (' || p.clinic_number || ')' AS patient_label, a.ip, a.detail
         FROM audit_event a LEFT JOIN patient p ON p.id = a.patient_id
         ORDER BY a.id DESC LIMIT $1 OFFSET $2",
    )
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
        .fetch_one(db.pool())
        .await?;
    Ok((rows, total))
}
