//! What the booking tells the patient outside the building: confirmed, moved, cancelled, a reminder before
//! the appointment, a place come free on a waitlisted day. Pure: the service writes them in its transaction.

use crate::outbox::model::Kind;
use crate::outbox::service::{Context, Notice};
use crate::scheduling::model::AppointmentView;

const MY_APPOINTMENTS: &str = "/me/appointments";

fn about_appointment(
    kind: Kind,
    about: String,
    appointment: &AppointmentView,
    subject: String,
    body: String,
) -> Notice {
    Notice {
        kind,
        about,
        subject,
        body,
        link: MY_APPOINTMENTS.to_owned(),
        record: ("appointment", appointment.id),
        stale_after: Some(appointment.starts_at),
    }
}

pub fn confirmed(context: &Context, appointment: &AppointmentView) -> Notice {
    let when = context.when(appointment.starts_at);
    about_appointment(
        Kind::BookingConfirmed,
        appointment.id.to_string(),
        appointment,
        format!("Booked: {when}"),
        format!(
            "Your appointment with {} is booked for {when}. Come a few minutes early and check in at reception.",
            appointment.doctor_name
        ),
    )
}

pub fn moved(context: &Context, from: &AppointmentView, to: &AppointmentView) -> Notice {
    let when = context.when(to.starts_at);
    about_appointment(
        Kind::BookingMoved,
        to.id.to_string(),
        to,
        format!("Moved to {when}"),
        format!(
            "Your appointment has moved from {} to {when}, with {}.",
            context.when(from.starts_at),
            to.doctor_name
        ),
    )
}

/// `by_clinic`: the clinic's reason when staff cancelled it (a closure, leave), else the patient did.
pub fn cancelled(context: &Context, appointment: &AppointmentView, by_clinic: Option<&str>) -> Notice {
    let when = context.when(appointment.starts_at);
    let body = match by_clinic {
        Some(reason) => format!(
            "The clinic has cancelled your appointment of {when} with {} ({reason}). We're sorry: please book \
             another time.",
            appointment.doctor_name
        ),
        None => format!(
            "Your appointment of {when} with {} is cancelled.",
            appointment.doctor_name
        ),
    };
    Notice {
        // A cancellation is still worth telling after its time.
        stale_after: None,
        link: "/me/book".to_owned(),
        ..about_appointment(
            Kind::BookingCancelled,
            appointment.id.to_string(),
            appointment,
            format!("Cancelled: {when}"),
            body,
        )
    }
}

/// The reminder `hours` before the appointment.
pub fn reminder(context: &Context, appointment: &AppointmentView, hours: i64) -> Notice {
    let when = context.when(appointment.starts_at);
    about_appointment(
        Kind::Reminder,
        format!("{}:{hours}h", appointment.id),
        appointment,
        format!("Reminder: {when}"),
        format!(
            "A reminder of your appointment with {} on {when}. Can't come? Cancel it so someone else can have \
             the place.",
            appointment.doctor_name
        ),
    )
}

/// A place came free on `freed`'s day, offered to a patient waiting for it.
pub fn place_free(context: &Context, freed: &AppointmentView, patient_id: i64) -> Notice {
    let when = context.when(freed.starts_at);
    Notice {
        kind: Kind::WaitlistOffer,
        about: format!("{}:{patient_id}", freed.id),
        subject: format!("A place came free: {when}"),
        body: format!(
            "A place has come free on {when} with {}. Book it before someone else does.",
            freed.doctor_name
        ),
        link: format!("/me/book?day={}", freed.day),
        record: ("slot", freed.slot_id),
        stale_after: Some(freed.starts_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Date, Timestamp};
    use crate::outbox::settings::MessageSettings;
    use crate::scheduling::model::AppointmentStatus;

    fn context() -> Context {
        Context {
            messages: MessageSettings::default(),
            zone: chrono_tz::Africa::Lagos,
            country_code: "234".into(),
            currency: crate::db::Currency {
                code: "NGN".into(),
                minor_digits: 2,
            },
        }
    }

    fn appointment() -> AppointmentView {
        AppointmentView {
            id: 7,
            patient_id: 3,
            patient_name: "Ada Obi".into(),
            clinic_number: "C1".into(),
            patient_phone: String::new(),
            slot_id: 11,
            doctor_id: 2,
            doctor_name: "Dr Bello".into(),
            day: Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day")),
            starts_at: Timestamp(1_796_117_400_000),
            ends_at: Timestamp(1_796_118_300_000),
            status: AppointmentStatus::Booked,
            reason: String::new(),
            cancel_reason: String::new(),
            moved_to: None,
            override_reason: String::new(),
        }
    }

    #[test]
    fn a_confirmation_names_the_doctor_and_the_local_time_and_goes_stale_at_the_start() {
        let notice = confirmed(&context(), &appointment());
        assert_eq!(notice.subject, "Booked: Tue 1 Dec at 10:30");
        assert!(notice.body.contains("Dr Bello"), "{}", notice.body);
        assert_eq!(notice.stale_after, Some(Timestamp(1_796_117_400_000)));
        assert_eq!(notice.record, ("appointment", 7));
    }

    #[test]
    fn each_reminder_has_its_own_key_and_a_cancellation_by_the_clinic_says_why() {
        assert_ne!(
            reminder(&context(), &appointment(), 24).about,
            reminder(&context(), &appointment(), 2).about
        );
        let notice = cancelled(&context(), &appointment(), Some("clinic closed for a public holiday"));
        assert!(notice.body.contains("public holiday"), "{}", notice.body);
        assert_eq!(notice.stale_after, None);
        assert!(!cancelled(&context(), &appointment(), None).body.contains("sorry"));
    }
}
