//! Backups as the admin handles them on their page: the scheduled copies listed, one taken now, one downloaded,
//! each with its audit row. The copying itself is [`crate::db::backup`]'s.

use tokio::sync::Mutex;

use crate::audit::{self, AuditEntry};
use crate::db::Db;
use crate::db::backup::{self, Copy, Plan};
use crate::error::ServiceError;
use crate::identity::Actor;

const TAKE: &str = "backup.take";
const DOWNLOAD: &str = "backup.download";

/// One copy taken from the page at a time: a second click while one is written is told to wait.
static TAKING: Mutex<()> = Mutex::const_new(());

/// The copies in the plan's folder, newest first.
pub async fn copies(plan: &Plan) -> Result<Vec<Copy>, ServiceError> {
    let folder = plan.folder.clone();
    let listed = tokio::task::spawn_blocking(move || backup::list(&folder))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(listed.map_err(anyhow::Error::from)?)
}

/// Takes a copy into the plan's folder now (the oldest beyond the plan's count go, as with the scheduled ones).
pub async fn take_now(db: &Db, actor: &Actor, plan: &Plan) -> Result<Copy, ServiceError> {
    let Ok(_taking) = TAKING.try_lock() else {
        return Err(ServiceError::Conflict(
            "A backup is being taken right now. Wait a moment and look at the list again.".into(),
        ));
    };
    let copy = backup::take_scheduled(db, plan).await?;
    written(db, actor, AuditEntry::new(TAKE).detail(copy.name())).await?;
    Ok(copy)
}

/// The copy of that file name in the plan's folder, for downloading (the download audited); only a name the
/// folder lists is found, so no other file can be reached.
pub async fn for_download(db: &Db, actor: &Actor, plan: &Plan, name: &str) -> Result<Copy, ServiceError> {
    let copy = copies(plan)
        .await?
        .into_iter()
        .find(|copy| copy.name() == name)
        .ok_or(ServiceError::NotFound)?;
    written(db, actor, AuditEntry::new(DOWNLOAD).detail(copy.name())).await?;
    Ok(copy)
}

async fn written(db: &Db, actor: &Actor, entry: AuditEntry) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}
