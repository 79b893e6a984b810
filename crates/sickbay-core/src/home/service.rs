//! The staff home pages' figures, each counted in the database by the feature that owns it (through its public
//! service functions): a handful of indexed COUNTs and SUMs per page, never rows fetched to be counted.

use super::model::{AdminFigures, AppointmentCounts, DoctorFigures, ReceptionFigures, TicketCounts, week_of};
use crate::db::{Date, Db, Timestamp};
use crate::error::ServiceError;

/// A doctor's own figures: `doctor_id` is the user's own id, never one asked for.
pub async fn doctor(db: &Db, doctor_id: i64, today: Date) -> Result<DoctorFigures, ServiceError> {
    let (monday, sunday) = week_of(today);
    let today_rows = crate::scheduling::service::status_counts(db, doctor_id, today, today).await?;
    Ok(DoctorFigures {
        waiting: crate::queue::service::waiting_for(db, today, doctor_id).await?,
        today: AppointmentCounts::of(today_rows.iter().map(|row| (row.status, row.count))),
        week: crate::scheduling::service::seats_taken(db, doctor_id, monday, sunday).await?,
        open_visits: crate::consult::service::count_open_visits(db, Some(doctor_id)).await?,
        results_to_review: crate::lab::service::count_results_to_review(db, doctor_id).await?,
    })
}

pub async fn reception(db: &Db, today: Date) -> Result<ReceptionFigures, ServiceError> {
    let tickets = TicketCounts::of(&crate::queue::service::status_counts(db, today).await?);
    let appointments = AppointmentCounts::of(crate::scheduling::service::day_status_counts(db, today).await?);
    let (unpaid, owed) = crate::billing::service::count_unpaid(db).await?;
    Ok(ReceptionFigures {
        tickets,
        check_ins_due: appointments.booked,
        unpaid,
        owed,
    })
}

/// The whole clinic's day. `start` is the first instant of `today` in the clinic's zone; `low_stock` comes from
/// the pharmacy's figures, which it reads once per change (`pharmacy::stock_pages::alert_counts`); `releaser`
/// tells which results are the lab's to release.
pub async fn admin(
    db: &Db,
    today: Date,
    start: Timestamp,
    low_stock: i64,
    releaser: crate::lab::model::Releaser,
) -> Result<AdminFigures, ServiceError> {
    let (unpaid, owed) = crate::billing::service::count_unpaid(db).await?;
    Ok(AdminFigures {
        visits: crate::consult::service::count_visits_on(db, today).await?,
        tickets: TicketCounts::of(&crate::queue::service::status_counts(db, today).await?),
        appointments: AppointmentCounts::of(crate::scheduling::service::day_status_counts(db, today).await?),
        new_patients: crate::patients::service::count_registered_since(db, start).await?,
        takings: crate::billing::service::net_takings_on(db, today).await?,
        unpaid,
        owed,
        lab: crate::lab::service::waiting(db, releaser).await?,
        prescriptions: crate::prescriptions::service::count_open(db).await?,
        low_stock,
        unsent: crate::outbox::service::unsent(db).await?,
    })
}
