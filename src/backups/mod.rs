//! The admin's backups page (`/admin/backups`): SQLite's copies listed, one taken now, one downloaded. On
//! PostgreSQL the page says which tools to use. The copying is `sickbay_core::db::backup`'s.

pub mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/backups", get(handlers::page).post(handlers::take))
        .route("/admin/backups/{name}", get(handlers::download))
}
