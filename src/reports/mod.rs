//! Reports for the admin: visits, appointments, waiting and consultation times, diagnoses, revenue, the
//! pharmacy and students seen, each for a chosen period as charts drawn on the server, tables and CSV. Closed
//! days are read from the daily summaries the `report_summaries` job keeps (`service::summarize_closed_days`).

pub mod chart;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;
use crate::web::live::Shared;

pub use service::summarize_closed_days;

/// The reports shown lately, by report and period, each as of the newest audit entry when it was read: a report
/// over a year is read once and shown to every admin (and every CSV of its tables) until the clinic changes.
#[derive(Clone, Default)]
pub struct LiveCaches {
    shown: Shared<Arc<views::Shown>>,
}

/// How long a report is shown without reading it again when the audit log has not moved: the bound on what a
/// change can hide (one not audited, or on PostgreSQL one committed after a later entry's).
const MAX_AGE: Duration = Duration::from_secs(10);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(handlers::index))
        .route("/admin/reports/{report}", get(handlers::page))
        .route("/admin/reports/{report}/csv", get(handlers::csv))
}
