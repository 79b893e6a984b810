//! Saving the clinic's settings: one transaction with its audit row, announced to every instance.

use super::model::{Settings, changed_keys};
use super::repo;
use crate::audit::{self, AuditEntry};
use crate::db::Db;
use crate::db::events::Event;
use crate::error::ServiceError;
use crate::identity::Actor;

/// Writes every setting and one audit row naming the keys that changed, in one transaction.
pub async fn save(db: &Db, actor: &Actor, settings: &Settings) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = Settings::from_pairs(repo::load_all(&mut tx).await?);
    for (key, value) in settings.to_pairs() {
        repo::save(&mut tx, key, &value).await?;
    }
    let changed = changed_keys(&before, settings);
    let detail = if changed.is_empty() {
        "no changes".to_owned()
    } else {
        format!("changed: {}", changed.join(", "))
    };
    audit::record(&mut tx, actor, AuditEntry::new("settings.update").detail(detail)).await?;
    // Every instance re-reads them (and the live pages show the new clinic name and clock).
    tx.announce(Event::Settings);
    tx.commit().await?;
    Ok(())
}
