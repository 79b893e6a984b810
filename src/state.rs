//! Shared application state.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::queue::LiveCaches;
use sickbay_core::db::Db;
use sickbay_core::db::sessions::SessionBackend;
use sickbay_core::settings::SettingsCache;

/// Everything a request may need, shared: cloning it (each extractor does) copies one pointer.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl From<AppStateInner> for AppState {
    fn from(inner: AppStateInner) -> Self {
        AppState(Arc::new(inner))
    }
}

#[derive(Clone)]
pub struct AppStateInner {
    pub db: Db,
    pub sessions: SessionBackend,
    pub settings: SettingsCache,
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down; long-lived responses (event streams) end on it.
    pub shutdown: CancellationToken,
    /// The queue's live pages' work, done once per change for every open screen.
    pub queue: LiveCaches,
    /// The pharmacy's alert counts and worklist, read once per change however many screens show them.
    pub pharmacy: crate::pharmacy::LiveCaches,
    /// The homes' figures (a role's, or one doctor's), read once per change however many screens show them.
    pub home: crate::home::LiveCaches,
    /// The lab's worklist, read once per change.
    pub lab: crate::lab::LiveCaches,
    /// The booking pages' free places, open times and doctors, read once per change to slots, bookings or
    /// doctors.
    pub scheduling: crate::scheduling::LiveCaches,
    /// The audit rows of reads, committed in batches.
    pub reads: sickbay_core::audit::Reads,
    /// Turns for the heavy pages (reports, the audit trail's CSV), built off the runtime's workers.
    pub heavy: crate::web::heavy::Heavy,
}

impl AppState {
    /// Today in the clinic's time zone.
    pub fn today(&self) -> sickbay_core::db::Date {
        sickbay_core::db::Date(self.settings.get().today())
    }

    /// Opens the session store and loads the settings for an already migrated database.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<Self> {
        sickbay_core::outbox::install_tls_provider();
        let sessions = SessionBackend::open(&db).await?;
        let settings = SettingsCache::load(&db).await?;
        Ok(AppState::from(AppStateInner {
            sessions,
            settings,
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            queue: LiveCaches::default(),
            pharmacy: Default::default(),
            home: Default::default(),
            lab: Default::default(),
            scheduling: Default::default(),
            reads: sickbay_core::audit::Reads::start(db.clone()),
            heavy: crate::web::heavy::Heavy::default(),
            db,
        }))
    }
}
