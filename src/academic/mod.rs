//! Academic data the admin keeps: faculties, departments (each in a faculty), levels and academic
//! sessions. Student patients point at one of each.

pub mod model;
pub mod repo;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
