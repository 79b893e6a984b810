//! The audit rows of reads (a chart, a visit, a document opened), written together. A read still waits until
//! its row is committed before anything is shown, but the reads that arrive while one batch is being written
//! share the next batch's transaction: under load one commit serves many pages instead of one each. On SQLite
//! every commit also makes every other connection drop its page cache, so fewer commits keep reads fast.

use tokio::sync::{mpsc, oneshot};

use super::AuditEntry;
use super::model::AuditWrite;
use crate::db::insert::insert_all;
use crate::db::{Db, Timestamp, Trouble};
use crate::error::ServiceError;
use crate::identity::Actor;

/// The most rows one batch writes.
const MOST_IN_A_BATCH: usize = 256;

/// Where reads are recorded. Cheap to clone; the writer ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Reads {
    sender: mpsc::UnboundedSender<Pending>,
}

#[derive(Debug)]
struct Pending {
    actor: Actor,
    entry: AuditEntry,
    /// The outcome of its batch: written, or not (with what kind of database trouble stopped it, if any).
    written: oneshot::Sender<Result<(), Option<Trouble>>>,
}

impl Reads {
    /// Starts the writer of `db`'s read rows (on the current runtime).
    pub fn start(db: Db) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db, receiver));
        Reads { sender }
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
        let unwritten = |trouble: Option<Trouble>| {
            let message = format!("the audit row of a read ({action}) was not written");
            ServiceError::Internal(match trouble {
                Some(trouble) => anyhow::Error::new(trouble).context(message),
                None => anyhow::anyhow!(message),
            })
        };
        self.sender.send(pending).map_err(|_| unwritten(None))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(trouble)) => Err(unwritten(trouble)),
            Err(_) => Err(unwritten(None)),
        }
    }
}

/// Writes what has arrived in one transaction, tells each reader, and waits for more.
async fn write_batches(db: Db, mut receiver: mpsc::UnboundedReceiver<Pending>) {
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
            Ok(()) => Ok(()),
            Err(err) => {
                tracing::error!(error = %err, rows = rows.len(), "could not write the audit rows of reads");
                Err(crate::db::trouble(&err))
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
    insert_all(&mut tx, rows).await?;
    tx.commit().await
}
