//! Bulk import of students from CSV: upload, preview, import with live progress, report of rejected rows.
//! The command line runs the same import (`sickbay import students FILE.csv`).

pub mod handlers;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::csrf::UPLOAD_LIMIT;

/// The sample file shipped with Sickbay (also in `samples/students.csv`).
pub const SAMPLE_CSV: &str = include_str!("../../samples/students.csv");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/import",
            get(handlers::index)
                .post(handlers::upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/admin/import/sample.csv", get(handlers::sample))
        .route("/admin/import/{id}", get(handlers::show))
        .route("/admin/import/{id}/start", post(handlers::start))
        .route("/admin/import/{id}/progress", get(handlers::progress))
        .route("/admin/import/{id}/rejects.csv", get(handlers::rejects))
}
