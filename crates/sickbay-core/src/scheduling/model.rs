//! Scheduling rules as plain functions: weekly hours and their overlaps, slot generation from them (in the
//! clinic's time zone, DST included), and the booking and cancellation rules.

use std::collections::HashSet;

use chrono::{Datelike, Duration as Days, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::db::types::InvalidValue;
use crate::db::types::minutes_of;
use crate::db::{Date, Flag, Timestamp};
use crate::text_enum;
use crate::tone::Tone;
use crate::validation::FieldErrors;
use crate::words::count;

text_enum! {
    pub enum AppointmentStatus {
        Booked => "booked",
        CheckedIn => "checked_in",
        InConsultation => "in_consultation",
        Completed => "completed",
        Cancelled => "cancelled",
        NoShow => "no_show",
    }
}

/// The live statuses as an SQL list, for `status IN {LIVE_STATUSES}`. The partial indexes of live bookings
/// (migration 0003) are written with the same list, so the queries that use this are read from them.
pub const LIVE_STATUSES: &str = "('booked', 'checked_in', 'in_consultation')";

impl AppointmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Booked",
            AppointmentStatus::CheckedIn => "Checked in",
            AppointmentStatus::InConsultation => "In consultation",
            AppointmentStatus::Completed => "Completed",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "No-show",
        }
    }

    /// Where the status comes in a list of counts: the day's course, then the bookings that fell through.
    pub fn position(self) -> u8 {
        match self {
            AppointmentStatus::Booked => 0,
            AppointmentStatus::CheckedIn => 1,
            AppointmentStatus::InConsultation => 2,
            AppointmentStatus::Completed => 3,
            AppointmentStatus::NoShow => 4,
            AppointmentStatus::Cancelled => 5,
        }
    }

    /// A live booking holds its seat. SQL asks the same with [`LIVE_STATUSES`].
    pub fn is_live(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn | AppointmentStatus::InConsultation
        )
    }

    /// What staff may correct a wrong mark to: a no-show who did come, or a visit marked completed too early.
    /// The one rule for the form, the schedule page and the service.
    pub fn corrections(self) -> &'static [AppointmentStatus] {
        match self {
            AppointmentStatus::NoShow => &[AppointmentStatus::Booked, AppointmentStatus::CheckedIn],
            AppointmentStatus::Completed => &[AppointmentStatus::CheckedIn],
            _ => &[],
        }
    }

    pub fn may_correct_to(self, to: AppointmentStatus) -> bool {
        self.corrections().contains(&to)
    }

    /// Whether the appointment allows `action` in this status.
    pub fn can(self, action: Action) -> bool {
        match action {
            Action::Cancel => self == AppointmentStatus::Booked,
            Action::Correct => !self.corrections().is_empty(),
            Action::Start => self == AppointmentStatus::CheckedIn,
        }
    }
}

/// What can be done to an appointment (see [`AppointmentStatus::can`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Cancel it (by the patient before the cutoff, or by staff with a reason), freeing its seat.
    Cancel,
    /// Correct a wrong mark (see [`AppointmentStatus::corrections`]).
    Correct,
    /// The doctor starts the consultation of a checked-in patient (their ticket goes straight to the doctor).
    Start,
}

/// Every status some correction leads to: what the correction form may send.
pub const CORRECTED_TO: [AppointmentStatus; 2] = [AppointmentStatus::Booked, AppointmentStatus::CheckedIn];

/// An appointment with its slot and doctor, for lists.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AppointmentView {
    pub id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    /// The patient's phone, to call them about a booking that no longer fits ('' when none is on record).
    pub patient_phone: String,
    pub slot_id: i64,
    pub doctor_id: i64,
    pub doctor_name: String,
    pub day: Date,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: AppointmentStatus,
    pub reason: String,
    pub cancel_reason: String,
    pub override_reason: String,
    /// The booking its patient moved it to (it is cancelled).
    pub moved_to: Option<i64>,
}

impl AppointmentView {
    /// Whether this appointment allows `action` now.
    pub fn can(&self, action: Action) -> bool {
        self.status.can(action)
    }

    pub fn is_live(&self) -> bool {
        self.status.is_live()
    }

    /// Whether its patient held the time: any booking not cancelled (still due, seen, or missed). A calendar
    /// shows these in the time; a cancelled one gave the seat back.
    pub fn held_the_time(&self) -> bool {
        self.status != AppointmentStatus::Cancelled
    }

    /// Its status in words; a cancelled booking its patient moved to another time says "Moved".
    pub fn status_label(&self) -> &'static str {
        if self.moved_to.is_some() {
            "Moved"
        } else {
            self.status.label()
        }
    }

    /// What its status asks of the reader: a visit done is good, a patient in the building is under way, one who
    /// didn't come is worth a look; a booking cancelled or moved asks nothing.
    pub fn status_tone(&self) -> Tone {
        match self.status {
            _ if self.moved_to.is_some() => Tone::Quiet,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn | AppointmentStatus::InConsultation => Tone::Info,
            AppointmentStatus::Completed => Tone::Good,
            AppointmentStatus::NoShow => Tone::Warn,
            AppointmentStatus::Cancelled => Tone::Quiet,
        }
    }

    /// Whether its patient may still move or cancel it online: a booking not started, before the cutoff.
    pub fn patient_may_change(&self, rules: &BookingRules, now: Timestamp) -> bool {
        self.can(Action::Cancel) && patient_may_change(rules, now, self.starts_at)
    }
}

text_enum! {
    pub enum WaitlistStatus {
        Waiting => "waiting",
        Offered => "offered",
        Accepted => "accepted",
        Cancelled => "cancelled",
    }
}

/// What a patient can do with their place on a day's waitlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitlistAction {
    /// Book the place that came free.
    BookOffer,
    Leave,
}

/// A patient's place on a day's waitlist.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WaitlistEntry {
    pub id: i64,
    pub day: Date,
    pub status: WaitlistStatus,
    pub offered_slot_id: Option<i64>,
}

impl WaitlistEntry {
    pub fn can(&self, action: WaitlistAction) -> bool {
        match action {
            WaitlistAction::BookOffer => self.status == WaitlistStatus::Offered,
            WaitlistAction::Leave => matches!(self.status, WaitlistStatus::Waiting | WaitlistStatus::Offered),
        }
    }
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A doctor's weekly hours on one weekday.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Hours {
    pub id: i64,
    pub doctor_id: i64,
    /// ISO weekday, 1 = Monday.
    pub weekday: i64,
    pub start_minute: i64,
    pub end_minute: i64,
    pub slot_minutes: i64,
    pub capacity: i64,
    pub valid_from: Date,
    pub valid_until: Option<Date>,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

impl Hours {
    pub fn weekday_name(&self) -> &'static str {
        WEEKDAYS.get((self.weekday - 1) as usize).copied().unwrap_or("?")
    }

    /// `09:00–12:00`, for messages and the audit log (templates use the `minutes` filter).
    pub fn times(&self) -> String {
        format!("{}–{}", minutes_of(self.start_minute), minutes_of(self.end_minute))
    }

    fn applies_on(&self, day: NaiveDate) -> bool {
        self.active
            && i64::from(day.weekday().number_from_monday()) == self.weekday
            && day >= self.valid_from.0
            && self.valid_until.is_none_or(|until| day <= until.0)
    }

    /// Whether two sets of hours of one doctor can both apply at the same moment.
    pub fn overlaps(&self, other: &Hours) -> bool {
        let periods_meet = self.valid_until.is_none_or(|until| until >= other.valid_from)
            && other.valid_until.is_none_or(|until| until >= self.valid_from);
        self.doctor_id == other.doctor_id
            && self.weekday == other.weekday
            && self.start_minute < other.end_minute
            && other.start_minute < self.end_minute
            && periods_meet
    }
}

/// The first of `existing` that overlaps `new`, to name it in the message that refuses `new`.
pub fn first_overlap<'a>(existing: &'a [Hours], new: &Hours) -> Option<&'a Hours> {
    existing.iter().find(|h| h.active && h.id != new.id && h.overlaps(new))
}

impl Hours {
    /// "Monday 09:00–12:00", with the validity period when it is limited.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.weekday_name(), self.times());
        if let Some(until) = self.valid_until {
            text.push_str(&format!(" ({} to {until})", self.valid_from));
        }
        text
    }
}

/// The closure form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ClosureForm {
    pub day: String,
    pub doctor_id: String,
    pub reason: String,
    /// The form's one-time id (`db::form_ids`).
    pub form_id: String,
}

/// A checked closure: `doctor_id` `None` closes the whole clinic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClosure {
    pub day: Date,
    pub doctor_id: Option<i64>,
    pub reason: String,
}

/// The audit detail of a closure: `2026-12-24 clinic: Christmas Eve`, or `doctor 7` for a doctor's leave.
pub fn closure_detail(day: Date, doctor_id: Option<i64>, reason: &str) -> String {
    let scope = doctor_id.map_or_else(|| "clinic".to_owned(), |id| format!("doctor {id}"));
    format!("{day} {scope}: {reason}")
}

pub const REASON_MAX: usize = 200;

/// A reason staff must give (for a closure, a block, a cancellation or a correction): required, at most
/// [`REASON_MAX`] characters, whitespace collapsed.
pub fn parse_reason(text: &str) -> Result<String, InvalidValue> {
    let reason = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        Err(InvalidValue("Give a reason.".into()))
    } else if reason.chars().count() > REASON_MAX {
        Err(InvalidValue(format!("At most {REASON_MAX} characters.")))
    } else {
        Ok(reason)
    }
}

impl ClosureForm {
    /// Checks the form; `doctor_id` is decided by the caller (a doctor closes only their own days), `None`
    /// for the whole clinic.
    pub fn validate(&self, doctor_id: Option<i64>, today: NaiveDate) -> Result<NewClosure, FieldErrors> {
        let mut e = FieldErrors::default();
        let day = e.check(
            "day",
            Date::parse(self.day.trim()).and_then(|day| {
                if day.0 < today {
                    Err(InvalidValue("Choose today or a later day.".into()))
                } else {
                    Ok(day)
                }
            }),
        );
        let reason = e.check("reason", parse_reason(&self.reason));
        match (day, reason) {
            (Some(day), Some(reason)) if e.is_empty() => Ok(NewClosure { day, doctor_id, reason }),
            _ => Err(e),
        }
    }
}

/// The form that blocks a stretch of one doctor's day (a meeting, an afternoon away), as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StretchForm {
    pub from: String,
    pub until: String,
    pub reason: String,
    /// The form's one-time id (`db::form_ids`): a double submit blocks once and is not refused.
    pub form_id: String,
}

/// A checked stretch of a day: the instants it runs between, and why it is blocked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub from: Timestamp,
    pub until: Timestamp,
    pub reason: String,
}

impl StretchForm {
    /// Checks the form for `day` in the clinic's `zone`: two times of that day, the second after the first, and a
    /// reason.
    pub fn validate(&self, day: NaiveDate, zone: Tz) -> Result<Stretch, FieldErrors> {
        let mut e = FieldErrors::default();
        let at = |minute: i64| {
            instant(zone, day, minute)
                .ok_or_else(|| InvalidValue("The clocks change at that time: choose another.".into()))
        };
        let from = e.check("from", parse_clock(&self.from, "start").and_then(at));
        let until = e.check("until", parse_clock(&self.until, "end").and_then(at));
        let reason = e.check("reason", parse_reason(&self.reason));
        if let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            e.add("until", "The end must be after the start.");
        }
        match (from, until, reason) {
            (Some(from), Some(until), Some(reason)) if e.is_empty() => Ok(Stretch { from, until, reason }),
            _ => Err(e),
        }
    }
}

/// Whether the schedule shows one day or the week around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleView {
    Day,
    Week,
}

impl ScheduleView {
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some("week") => ScheduleView::Week,
            _ => ScheduleView::Day,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleView::Day => "day",
            ScheduleView::Week => "week",
        }
    }

    /// The days shown for `day`: itself, or Monday to Sunday of its week.
    pub fn days(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            ScheduleView::Day => (day, day),
            ScheduleView::Week => {
                let monday = Date::add_days(day, -i64::from(day.weekday().num_days_from_monday()));
                (monday, Date::add_days(monday, 6))
            }
        }
    }

    /// The day the previous and next links go to.
    pub fn step(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let n = match self {
            ScheduleView::Day => 1,
            ScheduleView::Week => 7,
        };
        (Date::add_days(day, -n), Date::add_days(day, n))
    }
}

fn parse_clock(text: &str, what: &str) -> Result<i64, InvalidValue> {
    let bad = || InvalidValue(format!("Enter the {what} as HH:MM, e.g. 09:00."));
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440 {
        Ok(h * 60 + m)
    } else {
        Err(bad())
    }
}

/// The hours form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct HoursForm {
    pub doctor_id: String,
    pub weekday: String,
    pub start: String,
    pub end: String,
    pub slot_minutes: String,
    pub capacity: String,
    pub valid_from: String,
    pub valid_until: String,
    /// The form's one-time id (`db::form_ids`).
    pub form_id: String,
}

impl HoursForm {
    /// Checks the form; `doctor_id` is decided by the caller (a doctor sets only their own hours).
    pub fn validate(&self, doctor_id: i64, today: NaiveDate) -> Result<Hours, FieldErrors> {
        let mut e = FieldErrors::default();
        let weekday = e.check(
            "weekday",
            self.weekday
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=7).contains(d))
                .ok_or(InvalidValue("Choose a day of the week.".into())),
        );
        let start = e.check("start", parse_clock(&self.start, "start time"));
        let end = e.check("end", parse_clock(&self.end, "end time"));
        let slot_minutes = e.check(
            "slot_minutes",
            self.slot_minutes
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (5..=240).contains(m))
                .ok_or(InvalidValue("A slot lasts 5 to 240 minutes.".into())),
        );
        let capacity = e.check(
            "capacity",
            match self.capacity.trim() {
                "" => Ok(1),
                text => text
                    .parse::<i64>()
                    .ok()
                    .filter(|c| (1..=100).contains(c))
                    .ok_or(InvalidValue("Seats per slot: 1 to 100.".into())),
            },
        );
        let valid_from = e.check(
            "valid_from",
            match self.valid_from.trim() {
                "" => Ok(Date(today)),
                text => Date::parse(text),
            },
        );
        let valid_until = e.check(
            "valid_until",
            match self.valid_until.trim() {
                "" => Ok(None),
                text => Date::parse(text).map(Some),
            },
        );
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            e.add("end", "The end time must be after the start time.");
        }
        if let (Some(start), Some(end), Some(minutes)) = (start, end, slot_minutes)
            && end > start
            && end - start < minutes
        {
            e.add("slot_minutes", "The hours are shorter than one slot.");
        }
        if let (Some(from), Some(Some(until))) = (valid_from, valid_until)
            && until < from
        {
            e.add("valid_until", "“Until” must not be before “from”.");
        }
        match (weekday, start, end, slot_minutes, capacity, valid_from, valid_until) {
            (
                Some(weekday),
                Some(start_minute),
                Some(end_minute),
                Some(slot_minutes),
                Some(capacity),
                Some(valid_from),
                Some(valid_until),
            ) if e.is_empty() => Ok(Hours {
                id: 0,
                doctor_id,
                weekday,
                start_minute,
                end_minute,
                slot_minutes,
                capacity,
                valid_from,
                valid_until,
                active: true,
            }),
            _ => Err(e),
        }
    }
}

/// A slot that the hours call for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SlotSpec {
    pub doctor_id: i64,
    pub day: Date,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub capacity: i64,
}

/// Closed days: `(day, None)` for the whole clinic, `(day, Some(doctor))` for a doctor's leave.
pub type Closures = HashSet<(NaiveDate, Option<i64>)>;

/// Every slot the hours call for on the days `from..=to`: whole slots only (never past the end of the hours),
/// none on closed days or a doctor's leave. Local times that don't exist (a DST spring-forward gap) have no slot;
/// an ambiguous one (fall-back) takes its first occurrence.
pub fn generate(hours: &[Hours], closures: &Closures, from: NaiveDate, to: NaiveDate, zone: Tz) -> Vec<SlotSpec> {
    let mut slots = Vec::new();
    let mut day = from;
    while day <= to {
        let clinic_closed = closures.contains(&(day, None));
        for h in hours.iter().filter(|h| h.applies_on(day)) {
            if clinic_closed || closures.contains(&(day, Some(h.doctor_id))) {
                continue;
            }
            let mut start = h.start_minute;
            while start + h.slot_minutes <= h.end_minute {
                if let (Some(starts_at), Some(ends_at)) =
                    (instant(zone, day, start), instant(zone, day, start + h.slot_minutes))
                    && starts_at < ends_at
                {
                    slots.push(SlotSpec {
                        doctor_id: h.doctor_id,
                        day: Date(day),
                        starts_at,
                        ends_at,
                        capacity: h.capacity,
                    });
                }
                start += h.slot_minutes;
            }
        }
        day += Days::days(1);
    }
    slots
}

/// The instant of `minutes` after midnight of `day` in `zone`.
fn instant(zone: Tz, day: NaiveDate, minutes: i64) -> Option<Timestamp> {
    let (day, minutes) = if minutes == 1440 {
        (day + Days::days(1), 0)
    } else {
        (day, minutes)
    };
    let time = NaiveTime::from_hms_opt((minutes / 60) as u32, (minutes % 60) as u32, 0)?;
    zone.from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| Timestamp(t.timestamp_millis()))
}

/// The clinic's booking rules (settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookingRules {
    pub horizon_days: i64,
    pub min_notice_minutes: i64,
    pub max_future: i64,
    pub one_per_day: bool,
    pub cancel_cutoff_minutes: i64,
}

/// What the patient already holds, for checking a new booking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    pub live_future: i64,
    pub live_that_day: i64,
}

/// Why a booking is refused, in the patient's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This slot has already started or is too soon to book; choose a later one.")]
    TooSoon,
    #[error("You can book at most {0} days ahead.")]
    TooFarAhead(i64),
    #[error("You already have an appointment on that day.")]
    OnePerDay,
    #[error("You already have {0} upcoming appointments, the most allowed. Cancel one to book another.")]
    TooMany(i64),
    #[error("This slot just filled up. Please choose another.")]
    Full,
    #[error("This slot is not available.")]
    Unavailable,
    #[error("You have already booked this slot.")]
    AlreadyBooked,
    #[error("Your account is waiting for the clinic's approval; you can book once it is approved.")]
    NotApproved,
}

impl Refusal {
    /// The refusal in the words of staff booking for the patient.
    pub fn to_staff(&self) -> String {
        match self {
            Refusal::TooFarAhead(days) => format!("Patients can book at most {days} days ahead."),
            Refusal::OnePerDay => "The patient already has an appointment on that day.".into(),
            Refusal::TooMany(most) => {
                format!("The patient already has {most} upcoming appointments, the most allowed.")
            }
            Refusal::AlreadyBooked => "The patient has already booked this slot.".into(),
            Refusal::NotApproved => {
                "The patient's account is waiting for approval; approve it on their record first.".into()
            }
            Refusal::TooSoon | Refusal::Full | Refusal::Unavailable => self.to_string(),
        }
    }
}

/// The starts of the slots a patient may book at one moment: not sooner than the minimum notice, not further
/// ahead than the horizon. The one rule of "bookable now": the booking pages offer only the slots inside it
/// (the bounds go into their queries) and a booking is checked against it ([`check_booking`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookingWindow {
    /// The earliest start that can be booked.
    pub earliest: Timestamp,
    /// The latest start that can be booked.
    pub latest: Timestamp,
    horizon_days: i64,
}

impl BookingWindow {
    /// Whether a slot starting at `start` can be booked now, or why not.
    pub fn admits(&self, start: Timestamp) -> Result<(), Refusal> {
        if start < self.earliest {
            Err(Refusal::TooSoon)
        } else if start > self.latest {
            Err(Refusal::TooFarAhead(self.horizon_days))
        } else {
            Ok(())
        }
    }
}

impl BookingRules {
    /// The slots a patient may book as of `now` (see [`BookingWindow`]).
    pub fn window(&self, now: Timestamp) -> BookingWindow {
        BookingWindow {
            earliest: Timestamp(now.0 + self.min_notice_minutes * 60_000),
            latest: Timestamp(now.0 + (self.horizon_days + 1) * 86_400_000),
            horizon_days: self.horizon_days,
        }
    }

    /// The minimum notice in words: "1 hour", "90 minutes".
    pub fn notice_text(&self) -> String {
        duration_text(self.min_notice_minutes)
    }

    /// How long before the start bookings may be moved or cancelled online, in words: "2 hours".
    pub fn cutoff_text(&self) -> String {
        duration_text(self.cancel_cutoff_minutes)
    }

    /// Why a booking close to its time can't be moved or cancelled online (see [`patient_may_change`]), and
    /// what to do instead: the patient's list says it beside the booking, and a cancellation sent anyway is
    /// refused with it.
    pub fn change_closed_text(&self) -> String {
        format!(
            "It is too close to the time to move or cancel this booking online (changes close {} before). To \
             change it, call the clinic.",
            self.cutoff_text()
        )
    }
}

/// A length of time as people say it: "45 minutes", "1 hour", "90 minutes", "2 hours", "1 day", "36 hours".
pub fn duration_text(minutes: i64) -> String {
    match minutes {
        m if m > 0 && m % 1440 == 0 => count(m / 1440, "day", "days"),
        m if m > 0 && m % 60 == 0 => count(m / 60, "hour", "hours"),
        m => count(m, "minute", "minutes"),
    }
}

/// The rules a patient's booking must meet (staff may override them with a reason).
pub fn check_booking(
    rules: &BookingRules,
    now: Timestamp,
    slot_start: Timestamp,
    holdings: Holdings,
) -> Result<(), Refusal> {
    rules.window(now).admits(slot_start)?;
    if let Some(refusal) = day_barrier(rules, holdings.live_that_day) {
        return Err(refusal);
    }
    match booking_barrier(rules, true, holdings.live_future) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// What stops a patient booking another slot on a day where they hold `live_that_day` bookings: the clinic's
/// "one booking a day".
pub fn day_barrier(rules: &BookingRules, live_that_day: i64) -> Option<Refusal> {
    (rules.one_per_day && live_that_day > 0).then_some(Refusal::OnePerDay)
}

/// What stops a patient booking any slot at all, so the booking page can say it before they choose: waiting
/// for the clinic's approval, or already holding the most upcoming bookings allowed.
pub fn booking_barrier(rules: &BookingRules, approved: bool, live_future: i64) -> Option<Refusal> {
    if !approved {
        return Some(Refusal::NotApproved);
    }
    (live_future >= rules.max_future).then_some(Refusal::TooMany(rules.max_future))
}

/// A patient may cancel or move a booking until `cancel_cutoff_minutes` before it starts.
pub fn patient_may_change(rules: &BookingRules, now: Timestamp, slot_start: Timestamp) -> bool {
    now.0 <= slot_start.0 - rules.cancel_cutoff_minutes * 60_000
}

/// Why reception can no longer book a time, if it can't: it is blocked, every seat is taken, or it has started.
/// (The booking itself checks again, in its transaction.)
pub fn closed_to_booking(slot: &crate::scheduling::repo::Slot, now: Timestamp) -> Option<&'static str> {
    if slot.blocked {
        Some("This time is blocked.")
    } else if slot.booked >= slot.capacity {
        Some("Every seat at this time is taken.")
    } else if slot.starts_at <= now {
        Some("This time has started.")
    } else {
        None
    }
}

/// Where a time stands against now, as a day's schedule marks it: over, under way, or to come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotTime {
    Past,
    Now,
    Ahead,
}

impl SlotTime {
    pub fn of(starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> Self {
        if ends_at <= now {
            SlotTime::Past
        } else if starts_at <= now {
            SlotTime::Now
        } else {
            SlotTime::Ahead
        }
    }

    /// The class of a schedule's row at this time (`slot-past`, `slot-now`), none for a time to come.
    pub fn class(self) -> &'static str {
        match self {
            SlotTime::Past => "slot-past",
            SlotTime::Now => "slot-now",
            SlotTime::Ahead => "",
        }
    }
}

/// Where a time sits on the day view's hour rows: the hour it starts in, and its start and length within that
/// hour in five-minute steps. Both ends are rounded to the nearest step, so back-to-back times of any length
/// never overlap; a time running past the hour is cut at its end, and says in words when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourPlace {
    pub hour: u32,
    pub step: u32,
    pub steps: u32,
    /// It runs on past the hour's end.
    pub cut: bool,
}

impl HourPlace {
    const STEP_MINUTES: i64 = 5;
    const STEPS_IN_HOUR: i64 = 60 / Self::STEP_MINUTES;

    pub fn of(start: NaiveTime, minutes: i64) -> Self {
        let from = i64::from(start.minute());
        let round = |minute: i64| (minute + Self::STEP_MINUTES / 2) / Self::STEP_MINUTES;
        let step = round(from).min(Self::STEPS_IN_HOUR - 1);
        let end = round(from + minutes.max(0)).clamp(step + 1, Self::STEPS_IN_HOUR);
        HourPlace {
            hour: start.hour(),
            step: step as u32,
            steps: (end - step) as u32,
            cut: from + minutes > 60,
        }
    }

    /// Its classes on the day view (`at-2 len-3`), which place it on the hour's twelve columns, and `cut` for a
    /// time that runs past the hour (it shows its end).
    pub fn class(self) -> String {
        let cut = if self.cut { " cut" } else { "" };
        format!("at-{} len-{}{cut}", self.step, self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_places_round_both_ends_so_neighbours_never_overlap() {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a time");
        let place = |t, minutes| HourPlace::of(t, minutes);
        assert_eq!(place(at(8, 10), 10).class(), "at-2 len-2");
        assert_eq!(place(at(8, 0), 60).class(), "at-0 len-12");
        assert_eq!(place(at(8, 45), 30).class(), "at-9 len-3 cut", "cut at the hour's end");
        assert_eq!(place(at(8, 50), 10).class(), "at-10 len-2", "ends with the hour");
        assert_eq!(
            place(at(8, 58), 5).class(),
            "at-11 len-1 cut",
            "never past the last column"
        );
        assert_eq!(place(at(14, 0), 240).hour, 14);
        // Seven-minute times: each starts where the one before it ended.
        let sevens: Vec<HourPlace> = (0..8).map(|i| place(at(9, i * 7), 7)).collect();
        for pair in sevens.windows(2) {
            assert_eq!(pair[0].step + pair[0].steps, pair[1].step, "{pair:?}");
        }
    }

    #[test]
    fn a_time_is_past_once_it_ends_and_now_from_its_start() {
        let (start, end) = (Timestamp(1_000), Timestamp(2_000));
        assert_eq!(SlotTime::of(start, end, Timestamp(999)), SlotTime::Ahead);
        assert_eq!(SlotTime::of(start, end, Timestamp(1_000)), SlotTime::Now);
        assert_eq!(SlotTime::of(start, end, Timestamp(1_999)), SlotTime::Now);
        assert_eq!(SlotTime::of(start, end, Timestamp(2_000)), SlotTime::Past);
        assert_eq!(SlotTime::Past.class(), "slot-past");
        assert_eq!(SlotTime::Ahead.class(), "");
    }

    /// `2026-11-23 09:00`: an instant as the tests read it.
    fn local(at: Timestamp, zone: Tz) -> String {
        at.to_utc().with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn an_appointment_status_has_the_tone_of_what_it_asks() {
        let view = |status, moved_to| AppointmentView {
            id: 1,
            patient_id: 2,
            patient_name: String::new(),
            clinic_number: String::new(),
            patient_phone: String::new(),
            slot_id: 3,
            doctor_id: 4,
            doctor_name: String::new(),
            day: Date(NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")),
            starts_at: Timestamp(0),
            ends_at: Timestamp(0),
            status,
            reason: String::new(),
            cancel_reason: String::new(),
            override_reason: String::new(),
            moved_to,
        };
        use AppointmentStatus::*;
        let tones =
            [Booked, CheckedIn, InConsultation, Completed, NoShow, Cancelled].map(|s| view(s, None).status_tone());
        assert_eq!(
            tones,
            [Tone::Info, Tone::Info, Tone::Info, Tone::Good, Tone::Warn, Tone::Quiet]
        );
        assert_eq!(view(Cancelled, Some(9)).status_tone(), Tone::Quiet);
        assert_eq!(view(Cancelled, Some(9)).status_label(), "Moved");
    }

    #[test]
    fn reception_books_a_time_that_is_open_has_a_seat_and_has_not_started() {
        let now = Timestamp(1_800_000_000_000);
        let open = crate::scheduling::repo::Slot {
            id: 1,
            doctor_id: 2,
            day: Date(NaiveDate::from_ymd_opt(2027, 1, 15).expect("a date")),
            starts_at: Timestamp(now.0 + 60_000),
            ends_at: Timestamp(now.0 + 1_860_000),
            capacity: 2,
            booked: 1,
            blocked: false,
            block_reason: String::new(),
        };
        assert_eq!(closed_to_booking(&open, now), None);
        let blocked = crate::scheduling::repo::Slot {
            blocked: true,
            ..open.clone()
        };
        assert_eq!(closed_to_booking(&blocked, now), Some("This time is blocked."));
        let full = crate::scheduling::repo::Slot {
            booked: 2,
            ..open.clone()
        };
        assert_eq!(closed_to_booking(&full, now), Some("Every seat at this time is taken."));
        let started = Timestamp(open.starts_at.0);
        assert_eq!(closed_to_booking(&open, started), Some("This time has started."));
    }

    #[test]
    fn the_sql_list_of_live_statuses_is_the_rule() {
        let live = AppointmentStatus::ALL
            .iter()
            .filter(|s| s.is_live())
            .map(|s| s.as_str());
        assert_eq!(LIVE_STATUSES, format!("({})", crate::db::word_list(live)));
    }

    #[test]
    fn only_a_booking_that_has_not_started_can_be_cancelled() {
        for status in AppointmentStatus::ALL {
            assert_eq!(
                status.can(Action::Cancel),
                *status == AppointmentStatus::Booked,
                "{status}"
            );
        }
    }

    #[test]
    fn wrong_marks_are_corrected_in_one_direction_only() {
        use AppointmentStatus::*;
        assert!(NoShow.may_correct_to(Booked) && NoShow.may_correct_to(CheckedIn));
        assert!(Completed.may_correct_to(CheckedIn) && !Completed.may_correct_to(Booked));
        for status in [Booked, CheckedIn, InConsultation, Cancelled] {
            assert!(!status.can(Action::Correct), "{status}");
            assert!(CORRECTED_TO.iter().all(|to| !status.may_correct_to(*to)), "{status}");
        }
        assert!(NoShow.can(Action::Correct) && Completed.can(Action::Correct));
        assert!(!NoShow.may_correct_to(Cancelled) && !NoShow.may_correct_to(NoShow));
        // Every correction leads somewhere the form offers.
        for status in AppointmentStatus::ALL {
            assert!(status.corrections().iter().all(|to| CORRECTED_TO.contains(to)));
        }
    }

    #[test]
    fn a_waitlist_place_can_be_booked_only_once_offered() {
        let entry = |status| WaitlistEntry {
            id: 1,
            day: Date::parse("2026-11-23").unwrap(),
            status,
            offered_slot_id: None,
        };
        assert!(entry(WaitlistStatus::Offered).can(WaitlistAction::BookOffer));
        assert!(!entry(WaitlistStatus::Waiting).can(WaitlistAction::BookOffer));
        assert!(entry(WaitlistStatus::Waiting).can(WaitlistAction::Leave));
        assert!(!entry(WaitlistStatus::Accepted).can(WaitlistAction::Leave));
        assert!(!entry(WaitlistStatus::Cancelled).can(WaitlistAction::Leave));
    }

    #[test]
    fn staff_are_told_about_the_patient_not_themselves() {
        for refusal in [
            Refusal::TooSoon,
            Refusal::TooFarAhead(14),
            Refusal::OnePerDay,
            Refusal::TooMany(3),
            Refusal::Full,
            Refusal::Unavailable,
            Refusal::AlreadyBooked,
            Refusal::NotApproved,
        ] {
            let words = refusal.to_staff();
            assert!(!words.contains("You ") && !words.contains("Your "), "{words}");
        }
        assert_eq!(
            Refusal::OnePerDay.to_staff(),
            "The patient already has an appointment on that day."
        );
    }

    fn hours(weekday: i64, start: i64, end: i64, minutes: i64) -> Hours {
        Hours {
            id: 1,
            doctor_id: 7,
            weekday,
            start_minute: start,
            end_minute: end,
            slot_minutes: minutes,
            capacity: 2,
            valid_from: Date::parse("2026-01-01").unwrap(),
            valid_until: None,
            active: true,
        }
    }

    fn day(text: &str) -> NaiveDate {
        Date::parse(text).unwrap().0
    }

    #[test]
    fn slots_never_run_past_the_end_of_the_hours() {
        // 09:00–10:50 in 30-minute slots: 09:00, 09:30, 10:00 — not 10:30 (it would end at 11:00).
        let monday = day("2026-11-23");
        let slots = generate(
            &[hours(1, 540, 650, 30)],
            &Closures::new(),
            monday,
            monday,
            chrono_tz::UTC,
        );
        let starts: Vec<String> = slots.iter().map(|s| local(s.starts_at, chrono_tz::UTC)).collect();
        assert_eq!(starts, ["2026-11-23 09:00", "2026-11-23 09:30", "2026-11-23 10:00"]);
        assert!(
            slots
                .iter()
                .all(|s| s.capacity == 2 && s.ends_at.0 - s.starts_at.0 == 30 * 60_000)
        );
    }

    #[test]
    fn only_matching_weekdays_inside_the_validity_period() {
        let mut h = hours(3, 600, 660, 60); // Wednesdays 10:00–11:00
        h.valid_from = Date::parse("2026-11-25").unwrap();
        h.valid_until = Some(Date::parse("2026-12-02").unwrap());
        let slots = generate(
            &[h],
            &Closures::new(),
            day("2026-11-16"),
            day("2026-12-20"),
            chrono_tz::UTC,
        );
        let days: Vec<String> = slots.iter().map(|s| s.day.to_string()).collect();
        assert_eq!(days, ["2026-11-25", "2026-12-02"]);
    }

    #[test]
    fn closures_and_leave_remove_a_day() {
        let mut other = hours(1, 540, 600, 60);
        other.doctor_id = 8;
        let monday = day("2026-11-23");
        let mut closures = Closures::new();
        closures.insert((monday, Some(7)));
        let slots = generate(
            &[hours(1, 540, 600, 60), other.clone()],
            &closures,
            monday,
            monday,
            chrono_tz::UTC,
        );
        assert_eq!(
            slots.iter().map(|s| s.doctor_id).collect::<Vec<_>>(),
            [8],
            "doctor 7 on leave"
        );
        closures.insert((monday, None));
        assert!(
            generate(&[other], &closures, monday, monday, chrono_tz::UTC).is_empty(),
            "clinic closed"
        );
    }

    #[test]
    fn times_are_local_to_the_clinic() {
        // 09:00 in Lagos (UTC+1) is 08:00 UTC.
        let monday = day("2026-11-23");
        let slots = generate(
            &[hours(1, 540, 570, 30)],
            &Closures::new(),
            monday,
            monday,
            chrono_tz::Africa::Lagos,
        );
        assert_eq!(local(slots[0].starts_at, chrono_tz::UTC), "2026-11-23 08:00");
        assert_eq!(local(slots[0].starts_at, chrono_tz::Africa::Lagos), "2026-11-23 09:00");
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps() {
        let london = chrono_tz::Europe::London;
        // 29 March 2026: clocks go from 01:00 to 02:00. Sunday hours 00:30–02:30 in 30-minute slots.
        let spring = day("2026-03-29");
        let slots = generate(&[hours(7, 30, 150, 30)], &Closures::new(), spring, spring, london);
        let starts: Vec<String> = slots.iter().map(|s| local(s.starts_at, london)).collect();
        // 01:00 and 01:30 don't exist; 00:30 ends at the non-existent 01:00 so it is dropped too.
        assert_eq!(starts, ["2026-03-29 02:00"]);
        assert!(slots.iter().all(|s| s.ends_at.0 - s.starts_at.0 == 30 * 60_000));
        // 25 October 2026: 01:00–02:00 happens twice; the slot takes the first.
        let autumn = day("2026-10-25");
        let slots = generate(&[hours(7, 60, 120, 60)], &Closures::new(), autumn, autumn, london);
        assert_eq!(slots.len(), 1);
        assert_eq!(local(slots[0].starts_at, chrono_tz::UTC), "2026-10-25 00:00");
    }

    #[test]
    fn a_day_can_end_at_midnight() {
        let monday = day("2026-11-23");
        let slots = generate(
            &[hours(1, 1380, 1440, 60)],
            &Closures::new(),
            monday,
            monday,
            chrono_tz::UTC,
        );
        assert_eq!(local(slots[0].ends_at, chrono_tz::UTC), "2026-11-24 00:00");
    }

    #[test]
    fn overlapping_hours_are_detected() {
        let a = hours(1, 540, 720, 30);
        assert!(a.overlaps(&hours(1, 700, 800, 30)));
        assert!(!a.overlaps(&hours(1, 720, 800, 30)), "back to back is fine");
        assert!(!a.overlaps(&hours(2, 540, 720, 30)), "another weekday");
        let mut later = hours(1, 540, 720, 30);
        later.valid_from = Date::parse("2027-01-01").unwrap();
        let mut ended = a.clone();
        ended.valid_until = Some(Date::parse("2026-12-31").unwrap());
        assert!(!ended.overlaps(&later), "periods that don't meet");
        assert!(a.overlaps(&later), "open-ended meets later");
        let mut other_doctor = hours(1, 540, 720, 30);
        other_doctor.doctor_id = 9;
        assert!(!a.overlaps(&other_doctor));
    }

    #[test]
    fn the_hours_form_is_checked() {
        let today = day("2026-11-22");
        let form = HoursForm {
            weekday: "1".into(),
            start: "09:00".into(),
            end: "12:00".into(),
            slot_minutes: "20".into(),
            ..Default::default()
        };
        let h = form.validate(7, today).unwrap();
        assert_eq!(
            (h.start_minute, h.end_minute, h.capacity, h.valid_from.0),
            (540, 720, 1, today)
        );
        let bad = HoursForm {
            weekday: "8".into(),
            start: "9am".into(),
            end: "25:00".into(),
            slot_minutes: "3".into(),
            capacity: "0".into(),
            valid_from: "x".into(),
            ..Default::default()
        };
        let errors = bad.validate(7, today).unwrap_err();
        for field in ["weekday", "start", "end", "slot_minutes", "capacity", "valid_from"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let backwards = HoursForm {
            weekday: "1".into(),
            start: "12:00".into(),
            end: "09:00".into(),
            slot_minutes: "20".into(),
            ..Default::default()
        };
        assert!(backwards.validate(7, today).unwrap_err().get("end").is_some());
        let short = HoursForm {
            weekday: "1".into(),
            start: "09:00".into(),
            end: "09:10".into(),
            slot_minutes: "20".into(),
            ..Default::default()
        };
        assert!(short.validate(7, today).unwrap_err().get("slot_minutes").is_some());
    }

    fn rules() -> BookingRules {
        BookingRules {
            horizon_days: 14,
            min_notice_minutes: 60,
            max_future: 3,
            one_per_day: true,
            cancel_cutoff_minutes: 120,
        }
    }

    #[test]
    fn one_booking_a_day_is_one_rule_for_the_page_and_the_booking() {
        assert_eq!(day_barrier(&rules(), 0), None);
        assert_eq!(day_barrier(&rules(), 1), Some(Refusal::OnePerDay));
        let any_number = BookingRules {
            one_per_day: false,
            ..rules()
        };
        assert_eq!(day_barrier(&any_number, 2), None);
    }

    #[test]
    fn booking_rules() {
        let now = Timestamp(1_000_000_000_000);
        let hour = 3_600_000;
        assert_eq!(
            check_booking(&rules(), now, Timestamp(now.0 + 30 * 60_000), Holdings::default()),
            Err(Refusal::TooSoon)
        );
        assert_eq!(
            check_booking(&rules(), now, Timestamp(now.0 + 16 * 24 * hour), Holdings::default()),
            Err(Refusal::TooFarAhead(14))
        );
        let later = Timestamp(now.0 + 2 * hour);
        assert_eq!(check_booking(&rules(), now, later, Holdings::default()), Ok(()));
        assert_eq!(
            check_booking(
                &rules(),
                now,
                later,
                Holdings {
                    live_future: 1,
                    live_that_day: 1
                }
            ),
            Err(Refusal::OnePerDay)
        );
        assert_eq!(
            check_booking(
                &rules(),
                now,
                later,
                Holdings {
                    live_future: 3,
                    live_that_day: 0
                }
            ),
            Err(Refusal::TooMany(3))
        );
        let relaxed = BookingRules {
            one_per_day: false,
            ..rules()
        };
        assert_eq!(
            check_booking(
                &relaxed,
                now,
                later,
                Holdings {
                    live_future: 1,
                    live_that_day: 1
                }
            ),
            Ok(())
        );
    }

    #[test]
    fn the_window_of_bookable_times_is_the_rule_of_booking() {
        let now = Timestamp(1_000_000_000_000);
        let window = rules().window(now);
        let minute = 60_000;
        assert_eq!(window.earliest, Timestamp(now.0 + 60 * minute));
        assert_eq!(window.latest, Timestamp(now.0 + 15 * 1440 * minute));
        // Exactly at the notice is bookable, a minute sooner is not; the same answer as a booking's check.
        for (start, admitted) in [
            (window.earliest.0, true),
            (window.earliest.0 - minute, false),
            (now.0, false),
            (window.latest.0, true),
            (window.latest.0 + minute, false),
        ] {
            let start = Timestamp(start);
            assert_eq!(window.admits(start).is_ok(), admitted, "{start:?}");
            assert_eq!(
                check_booking(&rules(), now, start, Holdings::default()),
                window.admits(start)
            );
        }
        let none = BookingRules {
            min_notice_minutes: 0,
            ..rules()
        };
        assert_eq!(none.window(now).earliest, now);
    }

    #[test]
    fn lengths_of_time_are_said_in_words() {
        let words: Vec<String> = [0, 1, 45, 60, 90, 120, 1440, 2160, 2880].map(duration_text).into();
        assert_eq!(
            words,
            [
                "0 minutes",
                "1 minute",
                "45 minutes",
                "1 hour",
                "90 minutes",
                "2 hours",
                "1 day",
                "36 hours",
                "2 days"
            ]
        );
        assert_eq!(
            (rules().notice_text(), rules().cutoff_text()),
            ("1 hour".into(), "2 hours".into())
        );
    }

    #[test]
    fn what_stops_any_booking_is_known_before_choosing() {
        assert_eq!(booking_barrier(&rules(), false, 0), Some(Refusal::NotApproved));
        assert_eq!(booking_barrier(&rules(), true, 2), None);
        assert_eq!(booking_barrier(&rules(), true, 3), Some(Refusal::TooMany(3)));
        assert_eq!(booking_barrier(&rules(), false, 3), Some(Refusal::NotApproved));
    }

    #[test]
    fn cancellation_cutoff() {
        let start = Timestamp(10_000_000_000);
        assert!(patient_may_change(&rules(), Timestamp(start.0 - 3 * 3_600_000), start));
        assert!(patient_may_change(&rules(), Timestamp(start.0 - 2 * 3_600_000), start));
        assert!(!patient_may_change(&rules(), Timestamp(start.0 - 3_600_000), start));
    }

    #[test]
    fn the_first_clashing_hours_are_named() {
        let mut existing = hours(1, 540, 720, 30);
        existing.id = 3;
        let new = hours(1, 700, 800, 30);
        let clash = first_overlap(std::slice::from_ref(&existing), &Hours { id: 0, ..new });
        assert_eq!(clash.map(Hours::describe).as_deref(), Some("Monday 09:00–12:00"));
        let mut inactive = existing.clone();
        inactive.active = false;
        assert!(first_overlap(&[inactive], &hours(1, 700, 800, 30)).is_none());
        let mut limited = existing;
        limited.valid_until = Some(Date::parse("2026-12-31").unwrap());
        assert_eq!(limited.describe(), "Monday 09:00–12:00 (2026-01-01 to 2026-12-31)");
    }

    #[test]
    fn the_closure_form_is_checked() {
        let today = day("2026-11-22");
        let ok = ClosureForm {
            day: "2026-11-22".into(),
            reason: "  Public   holiday ".into(),
            ..Default::default()
        };
        assert_eq!(
            ok.validate(Some(4), today).unwrap(),
            NewClosure {
                day: Date(today),
                doctor_id: Some(4),
                reason: "Public holiday".into()
            }
        );
        let past = ClosureForm {
            day: "2026-11-21".into(),
            reason: "x".repeat(201),
            ..Default::default()
        };
        let errors = past.validate(None, today).unwrap_err();
        assert!(errors.get("day").is_some() && errors.get("reason").is_some());
        let junk = ClosureForm {
            day: "tomorrow".into(),
            reason: " ".into(),
            ..Default::default()
        };
        let errors = junk.validate(None, today).unwrap_err();
        assert!(errors.get("day").is_some() && errors.get("reason").is_some());
        assert!(parse_reason(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn a_stretch_is_two_times_of_its_day_in_order_with_a_reason() {
        let lagos = chrono_tz::Africa::Lagos;
        let monday = day("2026-11-30");
        let form = |from: &str, until: &str, reason: &str| StretchForm {
            from: from.into(),
            until: until.into(),
            reason: reason.into(),
            ..Default::default()
        };
        let stretch = form("10:00", "12:30", " Ward  round ").validate(monday, lagos).unwrap();
        assert_eq!(local(stretch.from, lagos), "2026-11-30 10:00");
        assert_eq!(local(stretch.until, lagos), "2026-11-30 12:30");
        assert_eq!(stretch.reason, "Ward round");
        let backwards = form("12:00", "10:00", "Meeting").validate(monday, lagos).unwrap_err();
        assert_eq!(backwards.get("until"), Some("The end must be after the start."));
        let same = form("10:00", "10:00", "Meeting").validate(monday, lagos).unwrap_err();
        assert!(same.get("until").is_some());
        let junk = form("ten", "", " ").validate(monday, lagos).unwrap_err();
        assert!(junk.get("from").is_some() && junk.get("until").is_some() && junk.get("reason").is_some());
        // Until midnight is the whole rest of the day; a time the clocks skip is refused.
        let evening = form("18:00", "24:00", "Leave").validate(monday, lagos).unwrap();
        assert_eq!(local(evening.until, lagos), "2026-12-01 00:00");
        let london = chrono_tz::Europe::London;
        let gap = form("01:30", "03:00", "Meeting")
            .validate(day("2026-03-29"), london)
            .unwrap_err();
        assert!(gap.get("from").is_some());
    }

    #[test]
    fn a_closure_is_described_by_its_day_scope_and_reason() {
        let eve = Date(day("2026-12-24"));
        assert_eq!(
            closure_detail(eve, None, "Christmas Eve"),
            "2026-12-24 clinic: Christmas Eve"
        );
        assert_eq!(closure_detail(eve, Some(7), "Leave"), "2026-12-24 doctor 7: Leave");
    }

    #[test]
    fn schedule_views_cover_a_day_or_its_week() {
        let wednesday = day("2026-11-25");
        assert_eq!(ScheduleView::parse(Some("day")).days(wednesday), (wednesday, wednesday));
        assert_eq!(
            ScheduleView::parse(Some("week")).days(wednesday),
            (day("2026-11-23"), day("2026-11-29"))
        );
        assert_eq!(ScheduleView::parse(Some("x")), ScheduleView::Day);
        assert_eq!(
            ScheduleView::Week.step(wednesday),
            (day("2026-11-18"), day("2026-12-02"))
        );
        assert_eq!(ScheduleView::Day.step(wednesday).1, day("2026-11-26"));
    }

    #[test]
    fn clock_text() {
        assert_eq!(parse_clock("9:05", "start").unwrap(), 545);
        assert_eq!(parse_clock("24:00", "end").unwrap(), 1440);
        assert!(parse_clock("24:30", "end").is_err());
    }
}
