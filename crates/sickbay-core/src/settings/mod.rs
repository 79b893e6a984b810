//! The clinic's configuration: `setting` rows (key, value), read once and cached. The admin settings page
//! writes through `repo::save`, announces `Event::Settings` and refreshes the cache; on that event the other
//! instances refresh theirs; every instance also refreshes it periodically (see `serve`) in case an event
//! was missed.

pub use crate::clinic;
pub mod model;
pub mod repo;
pub mod service;

use std::sync::{Arc, RwLock};

use crate::db::Db;

pub use model::Settings;

/// The current settings, shared by all requests. Reads are a clone of an `Arc`.
#[derive(Clone, Debug)]
pub struct SettingsCache(Arc<RwLock<Arc<Settings>>>);

impl SettingsCache {
    /// Reads the settings at start, with a warning for each stored key that no feature owns (it is ignored).
    pub async fn load(db: &Db) -> anyhow::Result<Self> {
        let pairs = repo::load_all(db).await?;
        for key in model::unknown_keys(pairs.iter().map(|(key, _)| key.as_str())) {
            tracing::warn!(key, "ignoring a stored setting that no feature owns");
        }
        let settings = Settings::from_pairs(pairs);
        Ok(SettingsCache(Arc::new(RwLock::new(Arc::new(settings)))))
    }

    pub fn get(&self) -> Arc<Settings> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the settings from the database (after a change).
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<()> {
        let settings = Arc::new(Settings::from_pairs(repo::load_all(db).await?));
        match self.0.write() {
            Ok(mut guard) => *guard = settings,
            Err(poisoned) => *poisoned.into_inner() = settings,
        }
        Ok(())
    }
}
