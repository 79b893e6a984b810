//! The audit rows of reads (a chart, a visit, a document opened), written together. A read still waits until
//! its row is committed before anything is shown, but the reads that arrive while one batch is being written
//! share the next batch's transaction: under load one commit serves many pages instead of one each.
//!
//! On SQLite every commit to the database's file makes every other connection drop its page cache, so the pages
//! that read right after one start cold: with a batch committed every millisecond or so, that was most of the
//! cost of the patient's record, the chart and the consultation screen. There the rows are committed to the
//! side file (`db::sqlite::SIDE`, `<file>-reads`), which reading connections never open, and [`settle`] moves
//! them into the log: before anything reads the log (the trail, a patient's list of who read their record, the
//! home's latest activity, a backup) and once a minute. On PostgreSQL they go straight into the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::AuditEntry;
use super::model::AuditWrite;
use crate::db::insert::{Insert, insert_all, insert_all_into};
use crate::db::{Backend, Db, Timestamp};
use crate::error::ServiceError;
use crate::identity::Actor;

/// The most rows one batch writes.
const MOST_IN_A_BATCH: usize = 256;

/// Where reads are recorded. Cheap to clone; the writer ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Reads {
    sender: mpsc::UnboundedSender<Pending>,
    db: Db,
    /// Whether rows may be waiting in SQLite's side file since the last [`Reads::settle`].
    waiting: Arc<AtomicBool>,
}

/// Proof that the rows of reads written so far are in the log: what reads the log asks for one, so no page can
/// forget to settle first. Only [`Reads::settle`] makes it.
#[derive(Clone, Copy, Debug)]
pub struct Settled(());

#[derive(Debug)]
struct Pending {
    actor: Actor,
    entry: AuditEntry,
    written: oneshot::Sender<bool>,
}

impl Reads {
    /// Starts the writer of `db`'s read rows (on the current runtime).
    pub fn start(db: Db) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        // Rows a stopped process left waiting are moved before anything reads the log.
        let waiting = Arc::new(AtomicBool::new(true));
        tokio::spawn(write_batches(db.clone(), Arc::clone(&waiting), receiver));
        Reads { sender, db, waiting }
    }

    /// Moves the rows of reads waiting in SQLite's side file into the log (see [`settle`]), when any were
    /// written since the last time: what reads the log calls this first, for the [`Settled`] it needs.
    pub async fn settle(&self) -> Result<Settled, sqlx::Error> {
        if self.waiting.swap(false, Ordering::AcqRel)
            && let Err(err) = settle(&self.db).await
        {
            self.waiting.store(true, Ordering::Release);
            return Err(err);
        }
        Ok(Settled(()))
    }

    /// Records that `actor` read what `entry` names, and answers once the row is committed: a read whose
    /// row could not be written must not be shown.
    pub async fn record(&self, actor: &Actor, entry: AuditEntry) -> Result<(), ServiceError> {
        let (written, answer) = oneshot::channel();
        let action = entry.action;
        let pending = Pending {
            actor: actor.clone(),
            entry,
            written,
        };
        let unwritten =
            || ServiceError::Internal(anyhow::anyhow!("the audit row of a read ({action}) was not written"));
        self.sender.send(pending).map_err(|_| unwritten())?;
        match answer.await {
            Ok(true) => Ok(()),
            _ => Err(unwritten()),
        }
    }
}

/// Writes what has arrived in one transaction, tells each reader, and waits for more.
async fn write_batches(db: Db, waiting: Arc<AtomicBool>, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    // Makes the side file's table before the first batch, and moves what a stopped process left in it.
    match settle(&db).await {
        Ok(()) => waiting.store(false, Ordering::Release),
        Err(err) => tracing::error!(error = %err, "could not move the audit rows of reads into the log"),
    }
    let mut batch = Vec::with_capacity(MOST_IN_A_BATCH);
    while receiver.recv_many(&mut batch, MOST_IN_A_BATCH).await > 0 {
        let at = Timestamp::now();
        let (rows, readers): (Vec<AuditWrite>, Vec<_>) = batch
            .drain(..)
            .map(|p| {
                (
                    AuditWrite {
                        at,
                        actor: p.actor,
                        entry: p.entry,
                    },
                    p.written,
                )
            })
            .unzip();
        let ok = match write(&db, &rows).await {
            Ok(()) => {
                waiting.store(true, Ordering::Release);
                true
            }
            Err(err) => {
                tracing::error!(error = %err, rows = rows.len(), "could not write the audit rows of reads");
                false
            }
        };
        for written in readers {
            // A reader that went away (its request was cancelled) has nothing to be told.
            let _ = written.send(ok);
        }
    }
}

async fn write(db: &Db, rows: &[AuditWrite]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match db.backend() {
        Backend::Sqlite => insert_all_into(&mut tx, &waiting_table(), rows).await?,
        Backend::Postgres => insert_all(&mut tx, rows).await?,
    }
    tx.commit().await
}

/// On SQLite, the table of the side file where the rows of reads wait to be moved into the log.
fn waiting_table() -> String {
    format!("{}.audit_waiting", crate::db::sqlite::SIDE)
}

/// Moves the rows of reads waiting in SQLite's side file into the log, in their order, in one transaction
/// (nothing on PostgreSQL, where they are written into the log). With nothing waiting, nothing is committed.
/// The rows get their ids in the log as they are moved; their time is that of the read. The log's file commits
/// first, so a crash between the two files' commits can leave a moved row waiting too, to be moved again: an
/// entry twice, never one lost.
pub async fn settle(db: &Db) -> Result<(), sqlx::Error> {
    if db.backend() != Backend::Sqlite {
        return Ok(());
    }
    let waiting = waiting_table();
    let columns = AuditWrite::COLUMNS.join(", ");
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS {waiting} (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor_kind TEXT NOT NULL, actor_id INTEGER,
            actor_label TEXT NOT NULL, action TEXT NOT NULL, record_type TEXT, record_id INTEGER,
            patient_id INTEGER, ip TEXT, detail TEXT NOT NULL DEFAULT '')"
    ))
    .execute(&mut *tx)
    .await?;
    let any: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {waiting} LIMIT 1"))
        .fetch_optional(&mut *tx)
        .await?;
    if any.is_none() {
        // Commits the table when it was just made; otherwise nothing was changed and nothing is written.
        return tx.commit().await;
    }
    sqlx::query(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM {waiting} ORDER BY id",
        table = AuditWrite::TABLE
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!("DELETE FROM {waiting}")).execute(&mut *tx).await?;
    tx.commit().await
}
