//! `/` and each role's home page (the lab's is its worklist, `lab::handlers::worklist`; the patient's is `/me`,
//! `patients::portal::home`). Each home opens with a row of the day's figures that updates live: the figures are
//! a block of their own (`/{home}/summary`, with the page's role check) that reads itself again whenever its
//! stream (`/{home}/summary/events`) says something it counts changed.

pub mod handlers;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;
use crate::web::live::Shared;

/// What the home pages read once per change and share: the figures that are the same for everyone of a role (the
/// admin's whole clinic, the front desk's), rendered, by role.
#[derive(Clone, Default)]
pub struct LiveCaches {
    figures: Shared<Arc<str>>,
}

/// How long shared figures are shown without reading them again when no change is announced (a patient
/// registered, a booking made): they are read at most this often, however many screens look.
const MAX_AGE: Duration = Duration::from_secs(10);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(handlers::root))
        .route("/admin", get(handlers::admin))
        .route("/admin/setup", get(handlers::setup_page))
        .route("/admin/summary", get(handlers::admin_summary))
        .route("/admin/summary/events", get(handlers::admin_events))
        .route("/doctor", get(handlers::doctor))
        .route("/keys", get(handlers::keys))
        .route("/doctor/summary", get(handlers::doctor_summary))
        .route("/doctor/summary/events", get(handlers::doctor_events))
        .route("/pharmacy", get(crate::pharmacy::stock_pages::home))
        .route("/pharmacy/summary", get(crate::pharmacy::stock_pages::summary))
        .route(
            "/pharmacy/summary/events",
            get(crate::pharmacy::stock_pages::summary_events),
        )
        .route("/reception", get(handlers::reception))
        .route("/reception/summary", get(handlers::reception_summary))
        .route("/reception/summary/events", get(handlers::reception_events))
}
