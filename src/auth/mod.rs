//! Logging in and out, and changing one's password.

pub mod handlers;
pub mod model;
pub mod password;
pub mod repo;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Pages reachable without a login.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/login", get(handlers::login_form).post(handlers::login))
}

/// Pages of a logged-in user.
pub fn router() -> Router<AppState> {
    Router::new().route("/logout", post(handlers::logout)).route(
        "/account/password",
        get(handlers::password_form).post(handlers::change_password),
    )
}
