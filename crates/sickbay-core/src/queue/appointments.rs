//! The appointments the queue checks in: reception's list of who is due today, read through scheduling's
//! public functions.

use crate::db::{Date, Db};
use crate::error::ServiceError;
use crate::scheduling::model::{AppointmentStatus, AppointmentView};

/// Today's booked appointments, not yet checked in: reception's check-in list.
pub async fn due(db: &Db, day: Date) -> Result<Vec<AppointmentView>, ServiceError> {
    crate::scheduling::service::appointments_on(db, day, AppointmentStatus::Booked).await
}
