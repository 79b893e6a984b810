//! Shared application state.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::db::Db;
use crate::db::events::EventHub;
use crate::db::sessions::SessionBackend;
use crate::queue::views::Snapshot;
use crate::settings::SettingsCache;
use crate::web::live::Shared;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub sessions: SessionBackend,
    pub settings: SettingsCache,
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down; long-lived responses (event streams) end on it.
    pub shutdown: CancellationToken,
    /// What changed, for the live pages' event streams (across instances on PostgreSQL).
    pub events: EventHub,
    /// Today's queue, read once per change for every open live page.
    pub snapshots: Shared<Arc<Snapshot>>,
    /// Display fragments, rendered once per change for every screen showing the same filter.
    pub renders: Shared<Arc<str>>,
}

impl AppState {
    /// Opens the session store and loads the settings for an already migrated database.
    pub async fn new(db: Db, config: Config) -> anyhow::Result<Self> {
        let sessions = SessionBackend::open(&db).await?;
        let settings = SettingsCache::load(&db).await?;
        Ok(AppState {
            db,
            sessions,
            settings,
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            events: EventHub::default(),
            snapshots: Shared::default(),
            renders: Shared::default(),
        })
    }
}
