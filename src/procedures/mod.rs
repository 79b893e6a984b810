//! Procedures done in a visit (dressing, injection, suturing, nebulisation...) from the clinic's catalogue
//! with its prices, recorded with who did them. The supplies a procedure uses (`procedure_supply`) are the
//! pharmacy's to account for.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/procedures", get(handlers::catalogue).post(handlers::create))
        .route(
            "/admin/procedures/{id}",
            get(handlers::edit_form).post(handlers::update),
        )
        .route("/admin/procedures/{id}/supplies", post(handlers::set_supply))
        .route(
            "/admin/procedures/{id}/supplies/{drug}/remove",
            post(handlers::remove_supply),
        )
        .route("/visits/{id}/procedures", post(handlers::record))
        .route("/visits/{id}/procedures/{procedure}/remove", post(handlers::remove))
}
