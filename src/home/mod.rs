//! `/` and each role's home page (the lab's is its worklist, `lab::handlers::worklist`).

pub mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(handlers::root))
        .route("/admin", get(handlers::admin))
        .route("/doctor", get(handlers::doctor))
        .route("/pharmacy", get(crate::pharmacy::stock_pages::home))
        .route("/reception", get(handlers::reception))
}
