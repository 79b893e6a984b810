//! Logging in and out, and changing one's password.

pub mod digests;
pub mod handlers;
pub mod reset;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::AppError;
use sickbay_core::auth::{model, service};
use sickbay_core::db::{Db, Timestamp};

/// Pages reachable without a login.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/forgot", get(reset::forgot_form).post(reset::forgot))
        .route("/reset/{token}", get(reset::reset_form).post(reset::reset))
}

/// Pages of a logged-in user.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/logout", post(handlers::logout))
        .route(
            "/account/password",
            get(handlers::password_form).post(handlers::change_password),
        )
        .route(digests::PATH, get(digests::show).post(digests::update))
}

/// Refuses a self-registration from an address that registered too often in the last minutes, or counts
/// this one (`auth::service::throttle_registration`).
pub async fn throttle_registration(db: &Db, ip: &str) -> Result<(), AppError> {
    let Some(until) = service::throttle_registration(db, ip).await? else {
        return Ok(());
    };
    Err(wait_until("Too many registrations from this network.", until))
}

/// The answer to someone refused until `until`: `what`, how long to wait, and the same as Retry-After.
pub fn wait_until(what: &str, until: Timestamp) -> AppError {
    let now = Timestamp::now();
    AppError::TooManyRequests {
        message: model::wait_message(what, until, now),
        retry_after_secs: u64::try_from((until.0 - now.0).max(1000) / 1000).unwrap_or(1),
    }
}
