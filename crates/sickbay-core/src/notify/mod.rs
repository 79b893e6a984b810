//! The bell: in-app notices for patients and staff, written in the same transaction as the event they tell
//! about, each linking to what it is about, unread until its person opens or dismisses it.

mod repo;

use crate::db::paging::CursorPage;
use crate::db::{Db, Reader, Tx};
use crate::identity::Role;

pub use repo::Notice;

/// Whose bell a notice rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    Patient(i64),
    Staff(i64),
}

/// Tells someone something, in the caller's transaction; `link` is where the notice leads.
pub async fn notify(tx: &mut Tx, to: Recipient, message: &str, link: &str) -> Result<(), sqlx::Error> {
    repo::insert(tx, to, None, message, link).await.map(drop)
}

/// As `notify`, once per `key`: a second notice with the same key is not written. Whether this one was.
pub async fn notify_once(
    tx: &mut Tx,
    to: Recipient,
    key: &str,
    message: &str,
    link: &str,
) -> Result<bool, sqlx::Error> {
    repo::insert(tx, to, Some(key), message, link).await
}

/// Tells every active staff member who holds `role` (as their own role or an extra one).
pub async fn notify_role(tx: &mut Tx, role: Role, message: &str, link: &str) -> Result<(), sqlx::Error> {
    repo::insert_for_role(tx, role, message, link).await
}

/// The person's unread notices, newest first (at most `limit`).
pub async fn unread(db: impl Reader, to: Recipient, limit: i64) -> Result<Vec<Notice>, sqlx::Error> {
    repo::unread(db, to, limit).await
}

pub async fn unread_count(db: impl Reader, to: Recipient) -> Result<i64, sqlx::Error> {
    repo::unread_count(db, to).await
}

/// A page of the person's notices, read and unread, newest first, older than notice `before` if given.
pub async fn page(
    db: impl Reader,
    to: Recipient,
    before: Option<i64>,
    size: i64,
) -> Result<CursorPage<Notice>, sqlx::Error> {
    let rows = repo::page(db, to, before, size + 1).await?;
    Ok(CursorPage::from_rows(rows, size, before.is_none(), |n| n.id))
}

/// Marks one of the person's own notices read: the notice, or `None` when it is not theirs. Reading one
/// already read is no change.
pub async fn mark_read(db: &Db, to: Recipient, id: i64) -> Result<Option<Notice>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let notice = repo::mark_read(&mut tx, to, id).await?;
    tx.commit().await?;
    Ok(notice)
}

/// Marks all the person's notices read; how many were unread.
pub async fn mark_all_read(db: &Db, to: Recipient) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done = repo::mark_all_read(&mut tx, to).await?;
    tx.commit().await?;
    Ok(done)
}
