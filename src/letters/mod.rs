//! Letters written at a visit (sick notes, fitness certificates, referral letters): the consultation screen's
//! section, the printable letter for the clinicians who read the visit, and the patient's own.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/visits/{id}/letters", post(handlers::issue))
        .route("/visits/{id}/letters/form", get(handlers::form_so_far))
        .route("/letters/{id}", get(handlers::letter))
        .route("/me/letters/{id}", get(handlers::my_letter))
}
