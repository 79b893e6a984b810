//! What the staff home pages count, as plain data: the rows the features count in the database, summed into
//! each role's figures, and the windows those figures look back over.

use crate::db::{Date, Money};
use crate::lab::service::Waiting;
use crate::queue::model::TicketStatus;
use crate::scheduling::model::AppointmentStatus;

/// How many of the results a doctor has to review their home lists (the latest).
pub const RESULTS_SHOWN: i64 = 10;
/// How many open visits the doctor's home lists (the oldest) unless asked for all.
pub const OPEN_VISITS_SHOWN: i64 = 20;

/// A day's tickets counted by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketCounts {
    pub waiting: i64,
    pub called: i64,
    pub with_doctor: i64,
    pub completed: i64,
}

impl TicketCounts {
    pub fn of(rows: &[(TicketStatus, i64)]) -> Self {
        let mut counts = TicketCounts::default();
        for (status, n) in rows {
            match status {
                TicketStatus::Waiting => counts.waiting += n,
                TicketStatus::Called => counts.called += n,
                TicketStatus::WithDoctor => counts.with_doctor += n,
                TicketStatus::Completed => counts.completed += n,
                TicketStatus::NoShow | TicketStatus::Cancelled => {}
            }
        }
        counts
    }
}

/// Appointments counted by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppointmentCounts {
    pub booked: i64,
    pub checked_in: i64,
    pub in_consultation: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub no_show: i64,
}

impl AppointmentCounts {
    pub fn of(rows: impl IntoIterator<Item = (AppointmentStatus, i64)>) -> Self {
        let mut counts = AppointmentCounts::default();
        for (status, n) in rows {
            let field = match status {
                AppointmentStatus::Booked => &mut counts.booked,
                AppointmentStatus::CheckedIn => &mut counts.checked_in,
                AppointmentStatus::InConsultation => &mut counts.in_consultation,
                AppointmentStatus::Completed => &mut counts.completed,
                AppointmentStatus::Cancelled => &mut counts.cancelled,
                AppointmentStatus::NoShow => &mut counts.no_show,
            };
            *field += n;
        }
        counts
    }

    /// Every appointment that was kept on the books: all but the cancelled.
    pub fn held(&self) -> i64 {
        self.to_come() + self.completed + self.no_show
    }

    /// Those still to be seen: booked, checked in or with the doctor.
    pub fn to_come(&self) -> i64 {
        self.booked + self.not_seen_yet_here()
    }

    /// Checked in or with the doctor: in the building.
    fn not_seen_yet_here(&self) -> i64 {
        self.checked_in + self.in_consultation
    }

    /// Where the day's appointments stand, in words: "2 not here yet · 3 here · 4 seen · 1 no-show". A
    /// checked-in patient is here, not still to come.
    pub fn progress(&self) -> String {
        let no_shows = match self.no_show {
            1 => "1 no-show".to_owned(),
            n => format!("{n} no-shows"),
        };
        format!(
            "{} not here yet · {} here · {} seen · {no_shows}",
            self.booked,
            self.not_seen_yet_here(),
            self.completed
        )
    }
}

/// The doctor's own day: only ever their own tickets, appointments, visits and results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DoctorFigures {
    /// Tickets waiting for their "call next": their queue and the general queue.
    pub waiting: i64,
    /// Their appointments today by status, and how many this week (Monday to Sunday) holds, cancelled ones left
    /// out.
    pub today: AppointmentCounts,
    pub week: i64,
    pub open_visits: i64,
    /// Results back from the lab for tests they ordered, not yet marked seen.
    pub results_to_review: i64,
}

/// The front desk's day: the queue, who is still to check in, and what is owed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceptionFigures {
    pub tickets: TicketCounts,
    /// Today's appointments booked and not checked in yet.
    pub check_ins_due: i64,
    /// Invoices issued or partly paid, and what patients still owe on them.
    pub unpaid: i64,
    pub owed: Money,
}

/// The whole clinic's day, for the admin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdminFigures {
    /// Visits started today.
    pub visits: i64,
    pub tickets: TicketCounts,
    pub appointments: AppointmentCounts,
    /// Patients registered today.
    pub new_patients: i64,
    /// Payments less refunds today.
    pub takings: Money,
    pub unpaid: i64,
    pub owed: Money,
    pub lab: Waiting,
    /// Prescriptions with something still to dispense.
    pub prescriptions: i64,
    /// Active drugs at or below their reorder level.
    pub low_stock: i64,
    /// Messages to patients not sent: failed, or held for a carrier not set up.
    pub unsent: crate::outbox::model::Unsent,
}

impl AdminFigures {
    /// Nothing today and nothing waiting: a clinic not yet open (a new install, or early morning), whose figures
    /// would all read 0.
    pub fn is_quiet(&self) -> bool {
        *self == AdminFigures::default()
    }
}

/// The days of `today`'s week, Monday to Sunday: the week the doctor's schedule shows.
pub fn week_of(today: Date) -> (Date, Date) {
    let (monday, sunday) = crate::scheduling::model::ScheduleView::Week.days(today.0);
    (Date(monday), Date(sunday))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn a_clinic_is_quiet_until_anything_counts() {
        assert!(AdminFigures::default().is_quiet());
        let one_booking = AdminFigures {
            appointments: AppointmentCounts {
                booked: 1,
                ..AppointmentCounts::default()
            },
            ..AdminFigures::default()
        };
        assert!(!one_booking.is_quiet());
        let owed = AdminFigures {
            owed: Money(500),
            unpaid: 1,
            ..AdminFigures::default()
        };
        assert!(!owed.is_quiet());
    }

    #[test]
    fn tickets_are_summed_by_status() {
        let counts = TicketCounts::of(&[
            (TicketStatus::Waiting, 3),
            (TicketStatus::Called, 1),
            (TicketStatus::WithDoctor, 2),
            (TicketStatus::Completed, 5),
            (TicketStatus::NoShow, 4),
            (TicketStatus::Waiting, 1),
        ]);
        assert_eq!(
            counts,
            TicketCounts {
                waiting: 4,
                called: 1,
                with_doctor: 2,
                completed: 5
            }
        );
        assert_eq!(TicketCounts::of(&[]), TicketCounts::default());
    }

    #[test]
    fn appointments_held_leave_out_the_cancelled() {
        let counts = AppointmentCounts::of([
            (AppointmentStatus::Booked, 2),
            (AppointmentStatus::CheckedIn, 1),
            (AppointmentStatus::InConsultation, 1),
            (AppointmentStatus::Completed, 3),
            (AppointmentStatus::Cancelled, 7),
            (AppointmentStatus::NoShow, 1),
            (AppointmentStatus::Booked, 1),
        ]);
        assert_eq!(counts.booked, 3);
        assert_eq!(counts.to_come(), 5);
        assert_eq!(counts.held(), 9);
        assert_eq!(counts.cancelled, 7);
        assert_eq!(counts.progress(), "3 not here yet · 2 here · 3 seen · 1 no-show");
    }

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let day = |d: u32| Date(NaiveDate::from_ymd_opt(2026, 11, d).unwrap());
        // Thursday 26 November 2026.
        assert_eq!(week_of(day(26)), (day(23), day(29)));
        assert_eq!(week_of(day(23)), (day(23), day(29)));
        assert_eq!(week_of(day(29)), (day(23), day(29)));
    }
}
