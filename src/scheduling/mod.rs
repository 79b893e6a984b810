//! Scheduling and booking: doctors' weekly hours, generated slots, closures and blocks, booking by patients
//! and reception, cancellation and rescheduling, no-shows, the waitlist, and doctors' schedules.

pub mod ask;
pub mod booking;
pub mod grid;
pub mod handlers;
pub mod picker;
pub mod portal;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::live::Shared;

/// What the booking pages read once per change to slots, bookings or doctors and share among the students
/// booking: the calendar's free places, a day's open times and the doctors to choose from.
#[derive(Clone, Default)]
pub struct LiveCaches {
    seats: Shared<Arc<Vec<sickbay_core::scheduling::repo::DaySeats>>>,
    open_times: Shared<Arc<Vec<picker::DoctorSlots>>>,
    doctors: Shared<Arc<Vec<sickbay_core::staff::model::DoctorProfile>>>,
}

/// How long the shared parts are shown without reading them again when no change is announced (a slot that
/// started, another instance's announcement missed).
const MAX_AGE: Duration = Duration::from_secs(10);

/// Booking: the patient's own pages under /me, and reception booking for a patient.
pub fn booking_router() -> Router<AppState> {
    Router::new()
        .route("/me/book", get(portal::book_form))
        .route("/me/appointments", get(portal::mine).post(portal::book))
        .route(
            "/me/appointments/{id}/cancel",
            get(portal::confirm_cancel).post(portal::cancel),
        )
        .route("/me/appointments/{id}/reschedule", post(portal::reschedule))
        .route("/me/waitlist", post(portal::join_waitlist))
        .route("/me/waitlist/{id}/leave", post(portal::leave_waitlist))
        .route("/patients/{id}/book", get(booking::book_form))
        .route("/schedule/slots/{id}/book", get(booking::slot_book))
        .route("/patients/{id}/appointments", post(booking::book))
}

/// Staff pages: hours, closures, blocking slots, the doctor's schedule, cancelling and correcting bookings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schedule", get(handlers::schedule))
        .route("/schedule/all", get(handlers::all_doctors))
        .route("/schedule/hours", get(handlers::hours).post(handlers::add_hours))
        .route(
            "/schedule/hours/{id}/remove",
            get(handlers::confirm_remove_hours).post(handlers::remove_hours),
        )
        .route(
            "/schedule/closures",
            get(handlers::closures).post(handlers::add_closure),
        )
        .route("/schedule/closures/{id}/remove", post(handlers::remove_closure))
        .route(
            "/schedule/slots/{id}/block",
            get(ask::ask_block).post(handlers::block_slot),
        )
        .route("/schedule/slots/{id}/unblock", post(handlers::unblock_slot))
        .route(
            "/schedule/block",
            get(ask::ask_block_stretch).post(handlers::block_stretch),
        )
        .route("/appointments/{id}", get(handlers::appointment))
        .route("/appointments/{id}/cancel", get(ask::ask_cancel).post(handlers::cancel))
        .route("/appointments/{id}/correct", post(handlers::correct))
}

/// A refusal is a conflict in the patient's words; the rest is the service error's one conversion.
impl From<sickbay_core::scheduling::service::BookingError> for crate::web::AppError {
    fn from(err: sickbay_core::scheduling::service::BookingError) -> Self {
        match err {
            sickbay_core::scheduling::service::BookingError::Refused(refusal) => {
                sickbay_core::error::ServiceError::Conflict(refusal.to_string()).into()
            }
            sickbay_core::scheduling::service::BookingError::Service(err) => err.into(),
        }
    }
}
