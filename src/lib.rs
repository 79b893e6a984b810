//! Sickbay: clinic management for a campus clinic. `app(state)` builds the whole web application, so
//! tests and the binary serve the same thing.

pub mod academic;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod billing;
pub mod cli;
pub mod config;
pub mod consult;
pub mod documents;
pub mod home;
pub mod import;
pub mod lab;
pub mod letters;
pub mod notices;
pub mod outbox;
pub mod patients;
pub mod pharmacy;
pub mod prescriptions;
pub mod procedures;
pub mod queue;
pub mod reports;
pub mod scheduling;
pub mod settings;
pub mod staff;
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Router, middleware};
use sickbay_core::db::events::Event;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use state::AppState;

/// mimalloc instead of glibc's allocator: a page allocates thousands of small values (every row the Any
/// driver converts, every string rendered) from several threads, and glibc spent about a tenth of the
/// consultation screen's time in malloc and free under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The largest request body a handler reads unless its route allows more (forms are far smaller).
const BODY_LIMIT: usize = 2 * 1024 * 1024;
pub const SESSION_COOKIE: &str = "sickbay_session";
/// How often each instance re-reads the settings.
const SETTINGS_REFRESH: Duration = Duration::from_secs(30);

pub fn app(state: AppState) -> Router {
    let public = Router::new()
        .route("/healthz", get(health))
        .merge(auth::public_router())
        .merge(patients::public_router())
        .merge(queue::public_router())
        .merge(web::assets::router());

    let logged_in = Router::new()
        .merge(home::router())
        .merge(auth::router())
        .merge(staff::router())
        .merge(patients::router())
        .merge(import::router())
        .merge(scheduling::booking_router())
        .merge(audit::router())
        .merge(backups::router())
        .merge(academic::router())
        .merge(settings::router())
        .merge(scheduling::router())
        .merge(queue::router())
        .merge(consult::router())
        .merge(lab::router())
        .merge(pharmacy::router())
        .merge(prescriptions::router())
        .merge(procedures::router())
        .merge(documents::router())
        .merge(letters::router())
        .merge(billing::router())
        .merge(reports::router())
        .merge(outbox::router())
        .merge(notices::router())
        .fallback(web::error_pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::extract::require_login,
        ));

    let idle = time::Duration::seconds(i64::try_from(state.config.session_idle.as_secs()).unwrap_or(1800));
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle));

    let router = Router::new()
        .merge(public)
        .merge(logged_in)
        .layer(middleware::from_fn(web::csrf::verify))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(web::csrf::UPLOAD_LIMIT))
        .layer(CatchPanicLayer::custom(web::error_pages::panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::error_pages::render_error_pages,
        ))
        .layer(sessions)
        // The fastest level: pages are made per request, and at the default levels compressing a 40 KB page
        // cost several times what making it did (the page benchmark), for a few percent fewer bytes.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest));
    web::security_headers(router)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(web::request_id::span)
                .on_response(web::request_id::log_if_slow),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(web::request_id::ShortIds))
        .with_state(state)
}

/// How long `/healthz` waits for the database before it answers 503.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`: 200 `ok` when the database answers within [`HEALTH_TIMEOUT`], 503 otherwise.
async fn health(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()).await {
        Ok(true) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Serves the application on `listener` until `state.shutdown` is cancelled, then lets open requests
/// finish. Background jobs run beside it and stop with it.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    // An import that no instance has advanced for two minutes was cut off by a restart.
    sickbay_core::import::repo::fail_abandoned(&state.db, 2).await?;
    if let Some(patients) = sickbay_core::patients::service::refresh_search_tokens(&state.db).await? {
        tracing::info!(patients, "search tokens made again for the current search rules");
    }
    if state.config.background_jobs {
        let mut jobs = sickbay_core::jobs::clinic_jobs(
            &state.db,
            &state.settings,
            &state.sessions,
            state.config.backups.clone(),
        );
        jobs.push(outbox::sender_job(&state));
        sickbay_core::db::jobs::spawn(state.db.clone(), jobs, state.shutdown.clone());
    }
    spawn_settings_refresh(&state);
    // Read the bundled ICD-10 list now rather than on the first doctor's keystroke.
    tokio::task::spawn_blocking(sickbay_core::consult::icd::load);
    state.db.events().spawn_listener(&state.db, state.shutdown.clone());
    let shutdown = state.shutdown.clone();
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// Re-reads the settings when another instance says they changed (an event), and now and then in case such
/// an event was missed (the instance that saved refreshes at once).
fn spawn_settings_refresh(state: &AppState) {
    let (settings, db) = (state.settings.clone(), state.db.clone());
    let shutdown = state.shutdown.clone();
    let mut events = state.db.events().subscribe();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SETTINGS_REFRESH);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let refresh = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = every.tick() => true,
                received = events.recv() => match received {
                    Ok(delivered) => matches!(delivered.event, Event::Settings | Event::Resync),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
            };
            if refresh && let Err(err) = settings.refresh(&db).await {
                tracing::warn!(error = %err, "could not refresh the settings");
            }
        }
    });
}
