//! In-app notifications for patients: written in the same transaction as the event they tell about (a place
//! that came free on a waitlisted day), shown on the patient's home page until read.

mod repo;

use crate::db::{Db, Reader, Tx};

pub use repo::Notification;

/// Tells a patient something, in the caller's transaction; `link` is where the message leads.
pub async fn notify(tx: &mut Tx, patient_id: i64, message: &str, link: &str) -> Result<(), sqlx::Error> {
    repo::insert(tx, patient_id, message, link).await
}

/// A patient's unread notifications, newest first (at most 20).
pub async fn unread(db: impl Reader, patient_id: i64) -> Result<Vec<Notification>, sqlx::Error> {
    repo::unread(db, patient_id).await
}

/// Marks one of the patient's own notifications read; `false` when it is not theirs or already read.
pub async fn mark_read(db: &Db, patient_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    repo::mark_read(db, patient_id, id).await
}
