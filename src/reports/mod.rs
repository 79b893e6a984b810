//! Reports for the admin: visits, appointments, waiting and consultation times, diagnoses, revenue, the
//! pharmacy and students seen, each for a chosen period as charts drawn on the server, tables and CSV. Closed
//! days are read from the daily summaries the `report_summaries` job keeps (`service::summarize_closed_days`).

pub mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/reports", get(handlers::index))
        .route("/admin/reports/{report}", get(handlers::page))
        .route("/admin/reports/{report}/csv", get(handlers::csv))
}
