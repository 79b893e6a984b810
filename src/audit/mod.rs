//! The audit log: who did what to which record, when and from where. Every write that matters calls
//! [`record`] inside its own transaction, so the change and its audit row commit or fail together.

pub mod handlers;
pub mod model;
pub mod repo;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub use model::AuditEntry;
pub use repo::record;

/// The latest `count` entries of the log, newest first.
pub async fn recent(db: &crate::db::Db, count: usize) -> Result<Vec<model::AuditRow>, sqlx::Error> {
    repo::list(db, None, i64::try_from(count).unwrap_or(i64::MAX)).await
}

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(handlers::list))
}
