//! Staff accounts: the admin's pages to list, create, edit, deactivate and reset them.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/staff", get(handlers::list).post(handlers::create))
        .route("/admin/staff/new", get(handlers::new_form))
        .route("/admin/staff/{id}", get(handlers::show).post(handlers::update))
        .route(
            "/admin/staff/{id}/deactivate",
            get(handlers::confirm_deactivate).post(handlers::deactivate),
        )
        .route("/admin/staff/{id}/reactivate", post(handlers::reactivate))
        .route("/admin/staff/{id}/roles", post(handlers::grant_role))
        .route("/admin/staff/{id}/roles/{role}/remove", post(handlers::revoke_role))
        .route("/admin/staff/{id}/profile", post(handlers::update_profile))
        .route(
            "/account/profile",
            get(handlers::own_profile).post(handlers::update_own_profile),
        )
        .route(
            "/admin/staff/{id}/reset-password",
            get(handlers::confirm_reset_password).post(handlers::reset_password),
        )
}
