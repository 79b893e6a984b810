//! The outbox's rules: what a message is about, by which channel, how often a failed one is tried again, when
//! a reminder is due and when a message has gone stale.

use crate::db::Timestamp;
use crate::text_enum;
use crate::tone::Tone;

/// Why a message could not be handed over this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryError {
    /// Worth another try later: a timeout, a server that is down or busy.
    Temporary(String),
    /// Fails the same way every time: a rejected number or address, bad credentials.
    Permanent(String),
}

impl DeliveryError {
    pub fn message(&self) -> &str {
        match self {
            DeliveryError::Temporary(text) | DeliveryError::Permanent(text) => text,
        }
    }
}

text_enum! {
    /// How a message travels.
    pub enum Channel {
        Email => "email",
        Sms => "sms",
    }
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "SMS",
        }
    }
}

text_enum! {
    /// Where a message is in its life.
    pub enum Status {
        /// Waiting for its first or next try.
        Pending => "pending",
        /// Claimed by a sender now.
        Sending => "sending",
        Sent => "sent",
        /// Given up on after its tries, or refused for good; an admin may try it again.
        Failed => "failed",
        /// No longer worth sending (the appointment started, the booking was cancelled).
        Dropped => "dropped",
        /// Kept, not sent: the clinic has no mail server or SMS provider set up.
        Held => "held",
    }
}

/// The messages not sent, which wait for an admin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unsent {
    /// Given up on, or refused for good: each needs a look.
    pub failed: i64,
    /// Kept because the clinic has no mail server or SMS provider set up: they go once one is.
    pub held: i64,
}

impl Unsent {
    pub fn total(&self) -> i64 {
        self.failed + self.held
    }

    /// Red only for failures: held messages wait on a setting (a mail server or SMS provider), not on a fault.
    pub fn tone(&self) -> Tone {
        match (self.failed, self.held) {
            (0, 0) => Tone::Good,
            (0, _) => Tone::Warn,
            _ => Tone::Act,
        }
    }
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Waiting",
            Status::Sending => "Sending",
            Status::Sent => "Sent",
            Status::Failed => "Failed",
            Status::Dropped => "Dropped",
            Status::Held => "Not sent",
        }
    }

    /// Whether an admin may send it again.
    pub fn can_retry(self) -> bool {
        matches!(self, Status::Failed | Status::Held)
    }

    /// Only a failure needs someone's action.
    pub fn tone(self) -> Tone {
        match self {
            Status::Sent => Tone::Good,
            Status::Failed => Tone::Act,
            Status::Held => Tone::Warn,
            Status::Pending | Status::Sending | Status::Dropped => Tone::Quiet,
        }
    }
}

text_enum! {
    /// What a message tells.
    pub enum Kind {
        BookingConfirmed => "booking_confirmed",
        BookingMoved => "booking_moved",
        BookingCancelled => "booking_cancelled",
        Reminder => "reminder",
        NearlyUp => "nearly_up",
        ResultsReady => "results_ready",
        WaitlistOffer => "waitlist_offer",
        InvoiceIssued => "invoice_issued",
        Receipt => "receipt",
        PasswordReset => "password_reset",
        Digest => "digest",
        Test => "test",
    }
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "Appointment confirmed",
            Kind::BookingMoved => "Appointment moved",
            Kind::BookingCancelled => "Appointment cancelled",
            Kind::Reminder => "Reminder",
            Kind::NearlyUp => "Nearly up in the queue",
            Kind::ResultsReady => "Results ready",
            Kind::WaitlistOffer => "Waitlist place",
            Kind::InvoiceIssued => "Invoice",
            Kind::Receipt => "Receipt",
            Kind::PasswordReset => "Password reset",
            Kind::Digest => "Staff digest",
            Kind::Test => "Test",
        }
    }
}

text_enum! {
    /// How a patient wants the clinic to reach them.
    pub enum ContactBy {
        Email => "email",
        Sms => "sms",
        None => "none",
    }
}

impl ContactBy {
    pub fn label(self) -> &'static str {
        match self {
            ContactBy::Email => "Email",
            ContactBy::Sms => "Text message (SMS)",
            ContactBy::None => "Don't send me messages",
        }
    }

    pub fn channel(self) -> Option<Channel> {
        match self {
            ContactBy::Email => Some(Channel::Email),
            ContactBy::Sms => Some(Channel::Sms),
            ContactBy::None => None,
        }
    }
}

text_enum! {
    /// Which channels the clinic uses for one group of messages (stored as the settings page shows it).
    pub enum Channels {
        Both => "Email and SMS",
        EmailOnly => "Email only",
        SmsOnly => "SMS only",
        Off => "Off",
    }
}

impl Channels {
    pub fn allows(self, channel: Channel) -> bool {
        matches!(
            (self, channel),
            (Channels::Both, _) | (Channels::EmailOnly, Channel::Email) | (Channels::SmsOnly, Channel::Sms)
        )
    }
}

/// How many times a message is tried before it is marked failed.
pub const MAX_TRIES: i64 = 5;

/// How long to wait before try `tries + 1` after `tries` failed: 1, 4, 16, 64 minutes, then two hours.
pub fn backoff_millis(tries: i64) -> i64 {
    const MINUTE: i64 = 60_000;
    let exponent = u32::try_from(tries.clamp(1, 8) - 1).unwrap_or(0);
    (MINUTE * 4_i64.pow(exponent)).min(120 * MINUTE)
}

/// What becomes of a message whose try number `tries` failed with `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(Timestamp),
    GiveUp,
}

pub fn after_failure(tries: i64, error: &DeliveryError, now: Timestamp) -> AfterFailure {
    match error {
        DeliveryError::Temporary(_) if tries < MAX_TRIES => {
            AfterFailure::RetryAt(Timestamp(now.0.saturating_add(backoff_millis(tries))))
        }
        _ => AfterFailure::GiveUp,
    }
}

/// Whether a message past its `stale_after` time must be dropped rather than sent.
pub fn is_stale(stale_after: Option<Timestamp>, now: Timestamp) -> bool {
    stale_after.is_some_and(|at| at <= now)
}

/// The reminder due now for an appointment at `starts_at` booked at `booked_at`, as its number of hours before
/// the start, among the clinic's reminder `hours`. A reminder is due once its time has come; of several due
/// (the sender was down) only the nearest to the start is sent; one whose time came before the booking was made
/// is never due (the confirmation said it all).
pub fn reminder_due(hours: &[i64], booked_at: Timestamp, starts_at: Timestamp, now: Timestamp) -> Option<i64> {
    if starts_at <= now {
        return None;
    }
    hours
        .iter()
        .copied()
        .filter(|h| {
            let at = starts_at.0 - h * 3_600_000;
            booked_at.0 < at && at <= now.0
        })
        .min()
}

/// The one key of a message: a second message with the same key is never written.
pub fn dedupe_key(kind: Kind, about: &str, channel: Channel) -> String {
    format!("{}:{about}:{}", kind.as_str(), channel.as_str())
}

/// `at` as a message says it, in the clinic's time zone: "Tue 1 Dec at 10:30".
pub fn when(at: Timestamp, zone: chrono_tz::Tz) -> String {
    match chrono::DateTime::from_timestamp_millis(at.0) {
        Some(utc) => utc.with_timezone(&zone).format("%a %-d %b at %H:%M").to_string(),
        None => String::new(),
    }
}

/// An SMS of `body` from the clinic with `link` at its end, within two parts: the body is shortened, never
/// the link.
pub fn sms_text(clinic_name: &str, body: &str, link: &str) -> String {
    const PARTS: usize = 2;
    let whole = format!("{clinic_name}: {body} {link}");
    if crate::outbox::sms::parts(&whole) <= PARTS {
        return whole;
    }
    let mut cut: Vec<char> = body.chars().collect();
    loop {
        cut.truncate(cut.len().saturating_sub(5));
        let shorter = format!("{clinic_name}: {}... {link}", cut.iter().collect::<String>().trim_end());
        if cut.is_empty() || crate::outbox::sms::parts(&shorter) <= PARTS {
            return crate::outbox::sms::fit(&shorter, PARTS);
        }
    }
}

/// What the outbox page lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub channel: Option<Channel>,
    pub status: Option<Status>,
    /// Messages written in [from, to).
    pub written: Option<(Timestamp, Timestamp)>,
    pub patient_id: Option<i64>,
}

/// The outbox page's filters as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct OutboxQuery {
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub day: String,
    pub patient: String,
    pub before: String,
}

impl OutboxQuery {
    /// The filter, or a message beside each filter that doesn't read; `day` is a day of the clinic in `zone`.
    pub fn filter(&self, zone: chrono_tz::Tz) -> Result<Filter, crate::validation::FieldErrors> {
        let mut errors = crate::validation::FieldErrors::default();
        let filter = Filter {
            kind: pick(&mut errors, "kind", &self.kind, "Choose a kind from the list."),
            channel: pick(&mut errors, "channel", &self.channel, "Choose email or SMS."),
            status: pick(&mut errors, "status", &self.status, "Choose a status from the list."),
            written: pick::<chrono::NaiveDate>(&mut errors, "day", &self.day, "Enter a day.").and_then(|day| {
                let next = day.succ_opt()?;
                Some((Timestamp::start_of_day(day, zone), Timestamp::start_of_day(next, zone)))
            }),
            patient_id: pick(&mut errors, "patient", &self.patient, "Not a patient's number."),
        };
        if errors.is_empty() { Ok(filter) } else { Err(errors) }
    }

    /// The message the page starts after (older than), if any.
    pub fn before(&self) -> Option<i64> {
        self.before.trim().parse().ok().filter(|id| *id > 0)
    }
}

/// The value of a filter field, `None` when it is empty or (with a message in `errors`) doesn't read.
fn pick<T: std::str::FromStr>(
    errors: &mut crate::validation::FieldErrors,
    field: &'static str,
    text: &str,
    message: &'static str,
) -> Option<T> {
    match text.trim() {
        "" => None,
        text => errors.check(field, text.parse::<T>().map_err(|_| message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn unsent_messages_are_red_only_when_one_failed() {
        let unsent = |failed, held| Unsent { failed, held };
        assert_eq!(unsent(0, 0).tone(), Tone::Good);
        assert_eq!(unsent(0, 196).tone(), Tone::Warn, "held until a carrier is set up");
        assert_eq!(unsent(1, 196).tone(), Tone::Act);
        assert_eq!(unsent(2, 3).total(), 5);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let minutes: Vec<i64> = (1..=7).map(|t| backoff_millis(t) / 60_000).collect();
        assert_eq!(minutes, vec![1, 4, 16, 64, 120, 120, 120]);
        assert_eq!(backoff_millis(0), 60_000);
    }

    #[test]
    fn temporary_failures_are_retried_until_the_last_try_and_permanent_ones_never() {
        let now = Timestamp(1_000);
        let busy = DeliveryError::Temporary("421 busy".into());
        assert_eq!(after_failure(1, &busy, now), AfterFailure::RetryAt(Timestamp(61_000)));
        assert!(matches!(
            after_failure(MAX_TRIES - 1, &busy, now),
            AfterFailure::RetryAt(_)
        ));
        assert_eq!(after_failure(MAX_TRIES, &busy, now), AfterFailure::GiveUp);
        let refused = DeliveryError::Permanent("InvalidPhoneNumber".into());
        assert_eq!(after_failure(1, &refused, now), AfterFailure::GiveUp);
    }

    #[test]
    fn a_message_is_stale_from_its_stale_time() {
        assert!(!is_stale(None, Timestamp(5)));
        assert!(!is_stale(Some(Timestamp(6)), Timestamp(5)));
        assert!(is_stale(Some(Timestamp(5)), Timestamp(5)));
    }

    #[test]
    fn the_nearest_due_reminder_is_sent_and_none_before_its_time() {
        let hours = [24, 2];
        let starts = Timestamp(100 * HOUR);
        let booked = Timestamp(10 * HOUR);
        assert_eq!(reminder_due(&hours, booked, starts, Timestamp(75 * HOUR)), None);
        assert_eq!(reminder_due(&hours, booked, starts, Timestamp(76 * HOUR)), Some(24));
        assert_eq!(reminder_due(&hours, booked, starts, Timestamp(97 * HOUR)), Some(24));
        // The sender was down from before the 24-hour mark until after the 2-hour one: only the 2-hour one.
        assert_eq!(reminder_due(&hours, booked, starts, Timestamp(98 * HOUR)), Some(2));
        // Once the appointment has started there is nothing to remind.
        assert_eq!(reminder_due(&hours, booked, starts, starts), None);
    }

    #[test]
    fn a_reminder_whose_time_came_before_the_booking_is_never_due() {
        let starts = Timestamp(100 * HOUR);
        let booked_late = Timestamp(90 * HOUR);
        assert_eq!(reminder_due(&[24], booked_late, starts, Timestamp(95 * HOUR)), None);
        assert_eq!(
            reminder_due(&[24, 2], booked_late, starts, Timestamp(98 * HOUR)),
            Some(2)
        );
    }

    #[test]
    fn channels_allow_what_they_name() {
        assert!(Channels::Both.allows(Channel::Sms));
        assert!(Channels::EmailOnly.allows(Channel::Email));
        assert!(!Channels::EmailOnly.allows(Channel::Sms));
        assert!(!Channels::Off.allows(Channel::Email));
    }

    #[test]
    fn times_are_said_in_the_clinic_zone() {
        // 2026-12-01 09:30 UTC is 10:30 in Lagos.
        assert_eq!(
            when(Timestamp(1_796_117_400_000), chrono_tz::Africa::Lagos),
            "Tue 1 Dec at 10:30"
        );
    }

    #[test]
    fn a_long_sms_keeps_its_link_within_two_parts() {
        let link = "https://clinic.example.edu/me/appointments";
        let short = sms_text("Sickbay Clinic", "Your booking is confirmed.", link);
        assert_eq!(short, format!("Sickbay Clinic: Your booking is confirmed. {link}"));
        let long = sms_text("Sickbay Clinic", &"word ".repeat(200), link);
        assert!(long.ends_with(link), "{long}");
        assert!(crate::outbox::sms::parts(&long) <= 2);
    }

    #[test]
    fn the_outbox_filter_reads_each_choice_and_names_what_it_cannot_read() {
        let query = OutboxQuery {
            kind: "reminder".into(),
            status: "failed".into(),
            day: "2026-12-01".into(),
            ..OutboxQuery::default()
        };
        let filter = query.filter(chrono_tz::Africa::Lagos).expect("reads");
        assert_eq!(
            (filter.kind, filter.status, filter.channel),
            (Some(Kind::Reminder), Some(Status::Failed), None)
        );
        let (from, to) = filter.written.expect("a day");
        assert_eq!(to.0 - from.0, 86_400_000);
        let bad = OutboxQuery {
            kind: "gossip".into(),
            day: "tomorrow".into(),
            ..OutboxQuery::default()
        };
        let errors = bad.filter(chrono_tz::Africa::Lagos).expect_err("does not read");
        assert!(errors.get("kind").is_some() && errors.get("day").is_some());
    }

    #[test]
    fn keys_name_the_kind_the_record_and_the_channel() {
        assert_eq!(dedupe_key(Kind::Reminder, "7:24h", Channel::Sms), "reminder:7:24h:sms");
    }
}
