//! The queue's one door into scheduling: the appointments it checks in and keeps in step with their tickets.
//! Every call the queue makes into scheduling goes through here, so a change of scheduling's public API is one
//! edit in this file.

use crate::db::{Date, Db, Tx};
use crate::scheduling::model::AppointmentStatus;
use crate::scheduling::repo as scheduling_repo;

pub use crate::scheduling::repo::AppointmentView;

/// Today's booked appointments, not yet checked in: reception's check-in list.
pub async fn due(db: &Db, day: Date) -> Result<Vec<AppointmentView>, sqlx::Error> {
    let all = scheduling_repo::appointments_between(db, None, day, day).await?;
    Ok(all
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked)
        .collect())
}

/// One appointment, read inside the transaction that checks it in.
pub async fn appointment_in(tx: &mut Tx, id: i64) -> Result<Option<AppointmentView>, sqlx::Error> {
    scheduling_repo::appointment_in(tx, id).await
}

/// Moves an appointment from `from` to `to`; `false` when it is no longer `from`.
pub async fn change_status(
    tx: &mut Tx,
    id: i64,
    from: AppointmentStatus,
    to: AppointmentStatus,
) -> Result<bool, sqlx::Error> {
    scheduling_repo::change_status(tx, id, from, to, "").await
}
