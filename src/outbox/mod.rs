//! The admin's outbox page (every message, its status, tries and last error; retry; test messages), the
//! emails' templates, and the sender job that hands due messages to the carriers.

pub mod compose;
pub mod handlers;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use sickbay_core::db::Timestamp;
use sickbay_core::db::jobs::Job;
use sickbay_core::outbox::service::{self, Carriers};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(handlers::PATH, get(handlers::list))
        .route("/admin/outbox/test", post(handlers::send_test))
        .route("/admin/outbox/{id}/retry", post(handlers::retry))
}

/// How often the sender looks for due messages.
const SEND_EVERY: Duration = Duration::from_secs(5);

/// The sender: every few seconds, the due messages with the carriers as saved now.
pub fn sender_job(state: &AppState) -> Job {
    let db = state.db.clone();
    let http = reqwest::Client::new();
    Job::new("outbox", SEND_EVERY, move || {
        let (db, http) = (db.clone(), http.clone());
        async move {
            let carriers = Carriers::read(&db).await?;
            service::deliver_due(&db, &carriers, &compose::Templates, &http, Timestamp::now()).await?;
            Ok(())
        }
    })
}
