//! The audit log: who did what to which record, when and from where. Every write that matters calls
//! [`record`] inside its own transaction, so the change and its audit row commit or fail together. A read of a
//! patient's records (a chart, a visit, a document) is recorded through [`Reads`] before it is shown. The log is
//! append-only: no route changes or deletes an entry, and the database refuses to (migration 0012).

pub mod model;
pub mod reads;
pub mod repo;
pub mod service;
pub mod settings;

pub use model::AuditEntry;
pub use reads::Reads;
pub use repo::record;

use crate::db::Tx;
use crate::identity::Actor;

/// Records the audit row of an operation a one-time form asked for, and marks the form done with the record it
/// made, so that the same form sent again answers that record ([`crate::db::form_ids`]).
pub async fn record_form(
    tx: &mut Tx,
    actor: &Actor,
    entry: AuditEntry,
    action: &str,
    record_id: i64,
) -> Result<(), sqlx::Error> {
    record(tx, actor, entry).await?;
    actor.complete_form(tx, action, record_id).await
}
