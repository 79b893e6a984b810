//! Academic data the admin keeps: faculties, departments (each in a faculty), levels and academic
//! sessions. Student patients point at one of each.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use handlers::{Departments, Faculties, KindOf, Levels, Sessions};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/academic", get(handlers::index))
        .route("/admin/academic/faculties", post(handlers::create_faculty))
        .route(
            "/admin/academic/faculties/{id}",
            get(handlers::show_faculty).post(handlers::update_faculty),
        )
        .route("/admin/academic/departments", post(handlers::create_department))
        .route(
            "/admin/academic/departments/{id}",
            get(handlers::show_department).post(handlers::update_department),
        )
        .route("/admin/academic/levels", post(handlers::create_level))
        .route(
            "/admin/academic/levels/{id}",
            get(handlers::show_level).post(handlers::update_level),
        )
        .route("/admin/academic/sessions", post(handlers::create_session))
        .route(
            "/admin/academic/sessions/{id}",
            get(handlers::show_session).post(handlers::update_session),
        )
        .route(
            "/admin/academic/sessions/{id}/make-current",
            post(handlers::make_current),
        )
        .merge(state_changes::<Faculties>())
        .merge(state_changes::<Departments>())
        .merge(state_changes::<Levels>())
        .merge(state_changes::<Sessions>())
}

/// Deactivate, reactivate and delete, the same for every kind.
fn state_changes<K: KindOf>() -> Router<AppState> {
    let base = format!("/admin/academic/{}/{{id}}", K::KIND.path_segment());
    Router::new()
        .route(&format!("{base}/deactivate"), post(handlers::deactivate::<K>))
        .route(&format!("{base}/reactivate"), post(handlers::reactivate::<K>))
        .route(&format!("{base}/delete"), post(handlers::delete::<K>))
}
