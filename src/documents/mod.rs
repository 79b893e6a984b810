//! Documents attached to a patient's chart or a visit (an outside lab report, a referral letter, a scan): PDF,
//! JPEG or PNG up to 10 MB, told by their content, served only to those who may read them (doctors, lab
//! attendants and admins; the patient their own), every reading audited.

pub mod handlers;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;
use sickbay_core::documents::model::MAX_REQUEST_BYTES;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/patients/{id}/documents",
            get(handlers::patient_page)
                .post(handlers::upload_for_patient)
                .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route(
            "/visits/{id}/documents",
            post(handlers::upload_for_visit).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route("/documents/{id}", get(handlers::view))
        .route("/me/documents", get(handlers::mine))
        .route("/me/documents/{id}", get(handlers::my_document))
}

/// Where a member of staff finds a patient's documents, if their role reads documents (for the record page).
pub fn patient_link(roles: sickbay_core::identity::Roles, patient_id: i64) -> Option<String> {
    sickbay_core::documents::model::staff_may_use(roles).then(|| format!("/patients/{patient_id}/documents"))
}
