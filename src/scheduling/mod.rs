//! Scheduling and booking: doctors' weekly hours, generated slots, closures and blocks, booking by patients
//! and reception, cancellation and rescheduling, no-shows, the waitlist, and doctors' schedules.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Staff pages: hours, closures, blocking slots, the doctor's schedule, cancelling and correcting bookings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schedule", get(handlers::schedule))
        .route("/schedule/hours", get(handlers::hours).post(handlers::add_hours))
        .route("/schedule/hours/{id}/remove", post(handlers::remove_hours))
        .route(
            "/schedule/closures",
            get(handlers::closures).post(handlers::add_closure),
        )
        .route("/schedule/closures/{id}/remove", post(handlers::remove_closure))
        .route("/schedule/slots/{id}/block", post(handlers::block_slot))
        .route("/schedule/slots/{id}/unblock", post(handlers::unblock_slot))
        .route("/appointments/{id}/cancel", post(handlers::cancel))
        .route("/appointments/{id}/correct", post(handlers::correct))
}
