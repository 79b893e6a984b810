//! The audit log: who did what to which record, when and from where. Every write that matters calls
//! [`record`] inside its own transaction, so the change and its audit row commit or fail together. A read of a
//! patient's records (a chart, a visit, a document) is recorded through [`Reads`] before it is shown. The log is
//! append-only: no route changes or deletes an entry, and the database refuses to (migration 0012).
//!
//! The admin reads it as the trail (`/admin/audit`, filtered, paged, as CSV); a patient reads who opened
//! their record (`/me/record-access`).

pub mod handlers;
pub mod model;
pub mod portal;
pub mod reads;
pub mod repo;
pub mod service;
pub mod settings;

use axum::Router;
use axum::routing::get;

use crate::identity::Role;
use crate::state::AppState;

pub use model::AuditEntry;
pub use reads::Reads;
pub use repo::record;

/// The latest `count` entries of the log, newest first.
pub async fn recent(db: &crate::db::Db, count: usize) -> Result<Vec<model::AuditRow>, sqlx::Error> {
    repo::list(db, i64::try_from(count).unwrap_or(i64::MAX)).await
}

/// For the staff's page of a patient: where the admin finds who looked at this patient's record (the reads of
/// it in the trail); `None` for the roles that can't open the trail.
pub fn patient_reads_link(role: Role, patient_id: i64) -> Option<String> {
    (role == Role::Admin).then(|| format!("/admin/audit?patient={patient_id}&access=1"))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(handlers::list))
        .route("/admin/audit.csv", get(handlers::csv))
        .route("/me/record-access", get(portal::record_access))
}
