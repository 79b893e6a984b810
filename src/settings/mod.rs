//! The admin's settings pages, one per section. The settings themselves, their sections and their cache are
//! `sickbay_core::settings`.

pub mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// The admin's settings page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(handlers::PATH, get(handlers::first).post(handlers::update))
        .route(
            "/admin/settings/{slug}",
            get(handlers::show).post(handlers::update_section),
        )
}
