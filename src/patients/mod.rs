//! Patients: registration by staff, search, the profile, the patient's own portal and clinic card, and
//! self-registration for students.

pub mod alerts;
pub mod handlers;
pub mod portal;
pub mod sheet;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Staff pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patients", get(handlers::search))
        .route("/patients/new", get(handlers::new_form).post(handlers::create))
        .route("/patients/portal-access", get(sheet::selection).post(sheet::issue))
        .route("/patients/{id}", get(handlers::profile))
        .route("/patients/{id}/edit", get(handlers::edit_form).post(handlers::update))
        .route("/patients/{id}/alerts", get(alerts::ask).post(alerts::save))
        .route("/patients/{id}/approve", post(handlers::approve))
        .route("/patients/{id}/reset-password", post(handlers::reset_password))
        .route("/patients/{id}/card", get(handlers::card))
        .route("/patients/{id}/qr.svg", get(handlers::qr))
        .route(
            "/patients/{id}/photo",
            get(handlers::photo).post(handlers::upload_photo),
        )
        .merge(portal::router())
}

/// Pages reachable without a login: self-registration.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/register", get(portal::register_form).post(portal::register))
}
