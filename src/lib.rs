//! Sickbay: clinic management for a campus clinic. `app(state)` builds the whole web application, so
//! tests and the binary serve the same thing.

pub mod academic;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod config;
pub mod consult;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod home;
pub mod identity;
pub mod import;
pub mod lab;
pub mod notify;
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
pub mod validation;
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Router, middleware};
use db::jobs::Job;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use state::AppState;

/// mimalloc instead of glibc's allocator: a page allocates thousands of small values (every row the Any
/// driver converts, every string rendered) from several threads, and glibc spent about a tenth of the
/// consultation screen's time in malloc and free under load (README, "Page speed").
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
        .merge(billing::router())
        .merge(reports::router())
        .fallback(web::pages::not_found)
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
        .layer(CatchPanicLayer::custom(web::pages::panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::pages::render_error_pages,
        ))
        .layer(sessions)
        // The fastest level: pages are made per request, and at the default levels compressing a 40 KB page
        // cost several times what making it did (the page benchmark), for a few percent fewer bytes.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest));
    web::security_headers(router)
        .layer(TraceLayer::new_for_http().make_span_with(web::request_id::span))
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
    import::repo::fail_abandoned(&state.db, 2).await?;
    if let Some(patients) = patients::service::refresh_search_tokens(&state.db).await? {
        tracing::info!(patients, "search tokens made again for the current search rules");
    }
    if state.config.background_jobs {
        db::jobs::spawn(state.db.clone(), background_jobs(&state), state.shutdown.clone());
    }
    spawn_settings_refresh(&state);
    // Read the bundled ICD-10 list now rather than on the first doctor's keystroke.
    tokio::task::spawn_blocking(consult::icd::load);
    state.db.events().spawn_listener(&state.db, state.shutdown.clone());
    let shutdown = state.shutdown.clone();
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// How long a one-time form id answers for its record: a form left open longer creates anew.
const FORM_ID_DAYS: i64 = 7;

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
                    Ok(delivered) => matches!(delivered.event, db::events::Event::Settings | db::events::Event::Resync),
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

/// The clinic's background jobs, each claimed in the database before it runs (see `db::jobs`), so several
/// instances may run the same list. All are idempotent.
fn background_jobs(state: &AppState) -> Vec<Job> {
    let (db, settings, sessions) = (state.db.clone(), state.settings.clone(), state.sessions.clone());
    let (slots_db, slots_settings, forms_db) = (db.clone(), settings.clone(), db.clone());
    let (no_show_db, no_show_settings) = (db.clone(), settings.clone());
    let (summaries_db, summaries_settings) = (db.clone(), settings.clone());
    let backups = state
        .config
        .backups
        .clone()
        .map(|plan| db::backup::job(db.clone(), plan));
    let mut jobs = vec![
        Job::new("expired_sessions", Duration::from_secs(600), move || {
            let sessions = sessions.clone();
            async move { Ok(sessions.delete_expired().await?) }
        }),
        // One-time form ids old enough that no open form still carries them.
        Job::new("old_form_ids", Duration::from_secs(3600), move || {
            let db = forms_db.clone();
            async move {
                db::once::forget_older_than(&db, FORM_ID_DAYS).await?;
                Ok(())
            }
        }),
        // The booking horizon moves with the days.
        Job::new("slot_generation", Duration::from_secs(3600), move || {
            let (db, current) = (slots_db.clone(), slots_settings.get());
            async move {
                scheduling::service::generate_slots(&db, &current, None).await?;
                Ok(())
            }
        }),
        Job::new("no_shows", Duration::from_secs(60), move || {
            let (db, current) = (no_show_db.clone(), no_show_settings.get());
            async move {
                scheduling::service::mark_no_shows(&db, current.booking.no_show_grace_minutes).await?;
                Ok(())
            }
        }),
        // Each closed day's report figures, kept once the day is over, and again after a late change to it.
        Job::new("report_summaries", Duration::from_secs(900), move || {
            let (db, current) = (summaries_db.clone(), summaries_settings.get());
            async move {
                reports::summarize_closed_days(&db, current.today(), current.clinic.time_zone).await?;
                Ok(())
            }
        }),
        Job::new("stale_tickets", Duration::from_secs(60), move || {
            let (db, today) = (db.clone(), db::Date(settings.get().today()));
            async move {
                queue::service::close_stale_tickets(&db, today).await?;
                Ok(())
            }
        }),
    ];
    // SQLite's scheduled copies (see `db::backup`).
    jobs.extend(backups);
    jobs
}
