//! Prescriptions: the visit's doctor writes items from the drug catalogue while the visit is open (one
//! prescription per visit, created with its first item), with the patient's allergies checked; doctors,
//! admins and pharmacists read and print it, and the patient reads their own on the phone.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/visits/{id}/prescription", get(handlers::print))
        .route("/visits/{id}/prescription/items", post(handlers::add_item))
        .route(
            "/visits/{id}/prescription/items/{item}/remove",
            post(handlers::remove_item),
        )
        .route("/visits/{id}/prescription/draft", post(handlers::draft))
        .route("/visits/{id}/prescription/drugs", get(handlers::search_drugs))
        .route("/me/visits/{id}/prescription", get(handlers::mine))
}
