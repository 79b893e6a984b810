//! The admin's settings page. The settings themselves, their sections and their cache are
//! `sickbay_core::settings`.

pub mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// The admin's settings page.
pub fn router() -> Router<AppState> {
    Router::new().route(handlers::PATH, get(handlers::show).post(handlers::update))
}
