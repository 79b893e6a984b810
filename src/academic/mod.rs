//! Academic data the admin keeps: faculties, departments (each in a faculty), levels and academic
//! sessions. Student patients point at one of each.

pub mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use handlers::{DepartmentForm, FacultyForm, LevelForm, RecordForm, SessionForm};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/academic", get(handlers::index))
        .merge(kind_routes::<FacultyForm>())
        .merge(kind_routes::<DepartmentForm>())
        .merge(kind_routes::<LevelForm>())
        .merge(kind_routes::<SessionForm>())
        .route(
            "/admin/academic/sessions/{id}/make-current",
            post(handlers::make_current),
        )
}

/// Add, show, save, deactivate, reactivate and delete, the same for every kind.
fn kind_routes<K: RecordForm>() -> Router<AppState> {
    let list = format!("/admin/academic/{}", K::KIND.path_segment());
    let base = format!("{list}/{{id}}");
    Router::new()
        .route(&list, post(handlers::create::<K>))
        .route(&base, get(handlers::show::<K>).post(handlers::update::<K>))
        .route(&format!("{base}/deactivate"), post(handlers::deactivate::<K>))
        .route(&format!("{base}/reactivate"), post(handlers::reactivate::<K>))
        .route(&format!("{base}/delete"), post(handlers::delete::<K>))
}
