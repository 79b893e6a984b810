//! The lab: a test catalogue (admins), orders placed in a visit by its doctor, the lab attendant's live
//! worklist where results are recorded, flagged against their range and released to the patient, vitals taken
//! for a visit, and the health records (screenings) the lab keeps. Results show live on the doctor's open
//! visit. Lab attendants never see clinical notes or diagnoses.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

pub use handlers::{LabSection, visit_section};

use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;
use crate::web::live::Shared;

/// What the lab's home reads once per change (an order moved) and shares with every lab screen and stream: the
/// worklist's rows, rendered.
#[derive(Clone, Default)]
pub struct LiveCaches {
    worklist: Shared<Arc<str>>,
}

/// How long the shared parts are shown without reading them again when no change is announced (a patient's
/// name corrected, another instance's announcement missed).
const MAX_AGE: Duration = Duration::from_secs(10);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/lab-tests", get(handlers::tests).post(handlers::add_test))
        .route(
            "/admin/lab-tests/{id}",
            get(handlers::edit_test).post(handlers::update_test),
        )
        .route("/visits/{id}/lab/orders", post(handlers::order))
        .route(
            "/visits/{id}/lab/orders/{order}/cancel",
            get(handlers::confirm_cancel).post(handlers::cancel),
        )
        .route("/visits/{id}/lab/events", get(handlers::visit_events))
        .route("/lab", get(handlers::worklist))
        .route("/lab/events", get(handlers::worklist_events))
        .route("/lab/summary", get(handlers::summary))
        .route("/lab/summary/events", get(handlers::summary_events))
        .route("/lab/patients", get(handlers::find_patient))
        .route("/lab/orders/{id}", get(handlers::order_detail))
        .route("/lab/orders/{id}/result", post(handlers::record_result))
        .route("/lab/orders/{id}/collect", post(handlers::collect))
        .route("/lab/orders/{id}/release", post(handlers::release))
        .route("/lab/orders/{id}/seen", post(handlers::mark_seen))
        .route("/lab/results/seen", post(handlers::mark_list_seen))
        .route("/lab/orders/{id}/vitals", post(handlers::record_vitals))
        .route(
            "/lab/visits/{id}/results",
            get(handlers::visit_results).post(handlers::record_visit_results),
        )
        .route(
            "/lab/visits/{id}/results/release",
            post(handlers::release_visit_results),
        )
        .route(
            "/lab/visits/{id}/vitals",
            get(handlers::visit_vitals).post(handlers::record_visit_vitals),
        )
        .route(
            "/patients/{id}/health-records",
            get(handlers::health_records).post(handlers::add_health_record),
        )
}
