//! Consultations: a visit opens when the doctor starts a ticket (or from a patient's record), the doctor
//! records vitals, complaints, notes and diagnoses on one screen, and completing the visit completes its
//! ticket and appointment. A completed visit is read-only; corrections are signed addenda.

pub mod chart;
pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        // Starting and completing a ticket open and close its visit, so these two moves are served here.
        .route("/queue/tickets/{id}/start", post(handlers::start_ticket))
        .route("/queue/tickets/{id}/complete", post(handlers::complete_ticket))
        .route("/queue/tickets/{id}/visit", get(handlers::ticket_visit))
        .route("/queue/tickets/{id}/review", get(handlers::ticket_review))
        .route("/patients/{id}/visits", post(handlers::start_for_patient))
        .route("/appointments/{id}/start", post(handlers::start_appointment))
        .route("/visits/{id}", get(handlers::page))
        .route("/visits/{id}/vitals", post(handlers::record_vitals))
        .route("/visits/{id}/notes/{kind}", post(handlers::write_note))
        .route("/visits/{id}/drafts/{kind}", post(handlers::save_draft))
        .route("/visits/{id}/diagnoses", post(handlers::add_diagnosis))
        .route(
            "/visits/{id}/diagnoses/{diagnosis}/remove",
            post(handlers::remove_diagnosis),
        )
        .route("/visits/{id}/review", get(handlers::review).post(handlers::keep_typed))
        .route("/visits/{id}/complete", post(handlers::complete))
        .route("/diagnoses/codes", get(handlers::search_codes))
        .route("/patients/{id}/chart", get(chart::chart))
        .route("/me/visits", get(chart::my_visits))
        .route("/me/results", get(chart::my_results))
        .route("/me/visits/{id}", get(chart::my_visit))
}
