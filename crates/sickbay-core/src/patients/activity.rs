//! What happened lately in a patient's care, newest first, for the feed on their phone's home page: booked,
//! cancelled, seen by a doctor, prescribed, a result ready, paid, refunded. Read from the records themselves
//! (appointments, visits, prescriptions, lab orders, payments) by `repo::activity_of`.

use crate::db::{Money, Timestamp};

/// How many events the feed shows.
pub const FEED_LENGTH: i64 = 6;

/// One event of the feed as the database has it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Activity {
    /// `booked`, `cancelled`, `seeing` (a visit still open), `seen`, `prescribed`, `result`, `payment` or `refund`.
    pub kind: String,
    pub happened_at: Timestamp,
    /// A booking's time.
    pub about: Option<Timestamp>,
    /// The doctor, where one is part of the event.
    pub who: Option<String>,
    /// The test of a result, or the receipt's number.
    pub what: Option<String>,
    pub amount: Option<Money>,
    /// The record the event opens: the visit (seen, prescribed, a result) or the payment (paid, refunded).
    pub record: Option<i64>,
}

/// An event in plain words: a headline and, where it helps, a detail line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    pub headline: String,
    pub detail: String,
    /// The patient's page that shows it.
    pub link: String,
}

impl Activity {
    /// The event in words. `when` formats a booking's time and `money` an amount, in the clinic's zone and
    /// currency (the web layer's filters).
    pub fn told(&self, when: impl Fn(Timestamp) -> String, money: impl Fn(Money) -> String) -> Told {
        let doctor = self.who.as_deref().unwrap_or("the doctor");
        let what = self.what.as_deref().unwrap_or_default();
        // The feed dates each event when it happened; a booking's own time is told apart by its words.
        let booking_time = self
            .about
            .map(|at| format!("Appointment {}", when(at)))
            .unwrap_or_default();
        let amount = self.amount.map(&money).unwrap_or_default();
        // Each opens its own record; a list where the record is not known.
        let visit = |tail: &str| {
            self.record
                .map_or("/me/visits".to_owned(), |id| format!("/me/visits/{id}{tail}"))
        };
        let receipt = || {
            self.record
                .map_or("/me/invoices".to_owned(), |id| format!("/me/receipts/{id}"))
        };
        let (headline, detail, link) = match self.kind.as_str() {
            "booked" => (
                format!("Booked with {doctor}"),
                booking_time,
                "/me/appointments".to_owned(),
            ),
            "cancelled" => (
                format!("Appointment with {doctor} cancelled"),
                booking_time,
                "/me/appointments".to_owned(),
            ),
            "seeing" => (format!("Visit with {doctor} under way"), String::new(), visit("")),
            "seen" => (format!("Seen by {doctor}"), String::new(), visit("")),
            "prescribed" => (
                format!("Medicines prescribed by {doctor}"),
                String::new(),
                visit("/prescription"),
            ),
            "result" => ("Result ready".to_owned(), what.to_owned(), visit("#my-results")),
            "refund" => (format!("Refunded {amount}"), what.to_owned(), receipt()),
            _ => (format!("Paid {amount}"), format!("Receipt {what}"), receipt()),
        };
        Told { headline, detail, link }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str) -> Activity {
        Activity {
            kind: kind.to_owned(),
            happened_at: Timestamp(0),
            about: Some(Timestamp(1)),
            who: Some("Dr Aisha Ibrahim".to_owned()),
            what: Some("RCT-2026-000007".to_owned()),
            amount: Some(Money(250_000)),
            record: Some(42),
        }
    }

    fn told(kind: &str) -> Told {
        event(kind).told(|_| "Thu 27 Nov, 10:00".to_owned(), |m| format!("NGN {}", m.0 / 100))
    }

    #[test]
    fn each_event_is_told_in_plain_words_with_its_page() {
        let booked = told("booked");
        assert_eq!(booked.headline, "Booked with Dr Aisha Ibrahim");
        assert_eq!(booked.detail, "Appointment Thu 27 Nov, 10:00");
        assert_eq!(booked.link, "/me/appointments");
        assert_eq!(
            told("cancelled").headline,
            "Appointment with Dr Aisha Ibrahim cancelled"
        );
        assert_eq!(told("seen").headline, "Seen by Dr Aisha Ibrahim");
        assert_eq!(told("seeing").headline, "Visit with Dr Aisha Ibrahim under way");
        assert_eq!(told("seen").link, "/me/visits/42");
        assert_eq!(told("prescribed").link, "/me/visits/42/prescription");
        assert_eq!(told("result").link, "/me/visits/42#my-results");
        let paid = told("payment");
        assert_eq!(paid.headline, "Paid NGN 2500");
        assert_eq!(paid.detail, "Receipt RCT-2026-000007");
        assert_eq!(paid.link, "/me/receipts/42");
        assert_eq!(told("refund").headline, "Refunded NGN 2500");
        assert_eq!(told("refund").link, "/me/receipts/42");
        let unknown = Activity {
            record: None,
            ..event("seen")
        };
        assert_eq!(unknown.told(|_| String::new(), |_| String::new()).link, "/me/visits");
    }

    #[test]
    fn a_result_names_its_test() {
        let mut result = event("result");
        result.what = Some("Haemoglobin".to_owned());
        let told = result.told(|_| String::new(), |_| String::new());
        assert_eq!(
            (told.headline.as_str(), told.detail.as_str()),
            ("Result ready", "Haemoglobin")
        );
    }
}
