//! Saving the clinic's settings: one transaction with its audit row, announced to every instance.

use super::model::{Settings, changed_keys};
use super::repo;
use crate::audit::{self, AuditEntry};
use crate::db::Db;
use crate::db::events::Event;
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::outbox::model::Channel;
use crate::outbox::service as outbox;

/// Writes every setting and one audit row naming the keys that changed, in one transaction; whether anything
/// changed. A save that changes nothing (Save pressed on a section as it was) writes no audit row, except the
/// first, when an admin accepts the defaults.
pub async fn save(db: &Db, actor: &Actor, settings: &Settings) -> Result<bool, ServiceError> {
    let mut tx = db.begin_write().await?;
    let stored = repo::load_all(&mut tx).await?;
    let first = stored.is_empty();
    let before = Settings::from_pairs(stored);
    for (key, value) in settings.to_pairs() {
        repo::save(&mut tx, key, &value).await?;
    }
    // Messages kept for want of a mail server or SMS provider go once it is set up.
    if settings.mail.is_configured() && !before.mail.is_configured() {
        outbox::release_held(&mut tx, Channel::Email).await?;
    }
    if settings.sms.provider().is_configured() && !before.sms.provider().is_configured() {
        outbox::release_held(&mut tx, Channel::Sms).await?;
    }
    let changed = changed_keys(&before, settings);
    if changed.is_empty() && !first {
        tx.commit().await?;
        return Ok(false);
    }
    let detail = if changed.is_empty() {
        "first saved as they were".to_owned()
    } else {
        format!("changed: {}", changed.join(", "))
    };
    audit::record(&mut tx, actor, AuditEntry::new("settings.update").detail(detail)).await?;
    // Every instance re-reads them (and the live pages show the new clinic name and clock).
    tx.announce(Event::Settings);
    tx.commit().await?;
    Ok(true)
}
