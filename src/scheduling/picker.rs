//! The slot picker shared by the patient's booking page and reception's: the days that can be booked, the
//! doctors, and a day's open slots.

use std::sync::Arc;

use chrono::{Datelike, Duration as Days, NaiveDate, Timelike, Weekday};
use serde::Deserialize;

use crate::state::AppState;
use crate::web::AppResult;
use sickbay_core::db::{Date, Db, Timestamp};
use sickbay_core::scheduling::model::{BookingRules, Refusal, booking_barrier, day_barrier};
use sickbay_core::scheduling::repo::{self, OpenSlot, Starts};
use sickbay_core::settings::Settings;
use sickbay_core::staff::model::DoctorProfile;
use sickbay_core::validation::parse_id;

/// `?day=YYYY-MM-DD&doctor=ID` as typed; anything unreadable means "the first day with free places" / "any
/// doctor". `slot` is the time chosen before a refused booking, shown chosen again.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PickerQuery {
    pub day: Option<String>,
    pub doctor: Option<String>,
    pub reschedule: Option<String>,
    #[serde(default)]
    pub slot: Option<String>,
    /// `schedule`: reception came from a time on the schedule, and goes back there once the patient is booked.
    #[serde(default)]
    pub then: Option<String>,
}

impl PickerQuery {
    pub fn doctor(&self) -> Option<i64> {
        self.doctor.as_deref().and_then(parse_id)
    }

    pub fn reschedule(&self) -> Option<i64> {
        self.reschedule.as_deref().and_then(parse_id)
    }

    /// The same choice with `doctor_id` chosen.
    pub fn with_doctor(&self, doctor_id: i64) -> PickerQuery {
        PickerQuery {
            doctor: Some(doctor_id.to_string()),
            ..self.clone()
        }
    }

    pub fn back_to_schedule(&self) -> bool {
        self.then.as_deref() == Some(BACK_TO_SCHEDULE)
    }
}

/// The `then` of a booking begun from a time on the schedule.
pub const BACK_TO_SCHEDULE: &str = "schedule";

/// How a day looks at a glance: no clinic, every seat taken, too late to book any of its times (they have
/// started, or start sooner than the notice a booking needs), or this many free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaySeats {
    Closed,
    Full,
    TooLate,
    Free(i64),
}

/// Whom the picker offers times to: a patient, the times their booking window admits (the clinic's rules, see
/// `model::BookingWindow`); or staff booking for a patient, every time not started (they may set the rules
/// aside with a reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    Patient,
    Staff,
}

impl Offer {
    /// The starts offered as of `now`.
    pub fn starts(self, rules: &BookingRules, now: Timestamp) -> Starts {
        let window = rules.window(now);
        let earliest = match self {
            Offer::Patient => window.earliest,
            Offer::Staff => now,
        };
        Starts {
            earliest,
            latest: window.latest,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Offer::Patient => "patient",
            Offer::Staff => "staff",
        }
    }
}

/// One chip of the day chooser (the template names the day with the `day` filters).
pub struct DayChoice {
    /// The day; as `YYYY-MM-DD`, the value sent.
    pub on: NaiveDate,
    pub seats: DaySeats,
    pub current: bool,
    /// The patient booking already has an appointment on the day, and the clinic allows one a day: said to
    /// whom the picker offers times (the patient: "Yours"; staff booking for them: "Theirs").
    pub held: Option<Offer>,
}

impl DayChoice {
    /// `Tue` when shown.
    pub fn weekday(&self) -> Weekday {
        self.on.weekday()
    }

    /// The day of the month: `24`.
    pub fn date(&self) -> u32 {
        self.on.day()
    }

    /// The column of a calendar week (Monday first) the chip sits in, so the days line up by weekday.
    pub fn weekday_column(&self) -> u32 {
        self.on.weekday().number_from_monday()
    }

    /// A day with plenty of places is simply "Open"; a count ("3 left") only when it helps to hurry. A day
    /// the patient holds an appointment on says so, whatever its places: "Yours" to them, "Theirs" to staff
    /// ("Booked" read as "fully booked").
    pub fn seats_text(&self) -> String {
        match self.held {
            Some(Offer::Patient) => return "Yours".into(),
            Some(Offer::Staff) => return "Theirs".into(),
            None => {}
        }
        match self.seats {
            DaySeats::Closed => "Closed".into(),
            DaySeats::Full => "Full".into(),
            DaySeats::TooLate => "Too late".into(),
            DaySeats::Free(n) if n <= FEW_PLACES => format!("{n} left"),
            DaySeats::Free(_) => "Open".into(),
        }
    }

    /// The chip's state as a screen reader says it after the day.
    pub fn spoken(&self) -> String {
        match self.held {
            Some(Offer::Patient) => "you have an appointment on this day".into(),
            Some(Offer::Staff) => "the patient has an appointment on this day".into(),
            None => self.seats_text(),
        }
    }

    pub fn css_class(&self) -> &'static str {
        if self.held.is_some() {
            return "day-booked";
        }
        match self.seats {
            DaySeats::Closed => "day-closed",
            DaySeats::Full => "day-full",
            DaySeats::TooLate => "day-late",
            DaySeats::Free(_) => "day-free",
        }
    }

    /// A closed day has nothing to show (unless it is the one shown), so arrow keys skip it.
    pub fn selectable(&self) -> bool {
        self.current || self.seats != DaySeats::Closed
    }
}

pub struct SlotChoice {
    pub id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub doctor_name: String,
    /// How many patients the time takes, and how many places it still has.
    pub capacity: i64,
    pub seats_left: i64,
    /// Minutes after midnight in the clinic's zone, for morning / afternoon.
    minute: u32,
}

impl SlotChoice {
    /// The places left of a time that takes several patients; a time for one patient is simply free, so it
    /// says nothing.
    pub fn seats_text(&self) -> String {
        match (self.capacity, self.seats_left) {
            (1, _) => String::new(),
            (_, 1) => "1 place left".into(),
            (_, n) => format!("{n} places left"),
        }
    }
}

/// Part of a doctor's day: "Morning", "Afternoon" or "Evening", with its times in order.
pub struct Period {
    pub label: &'static str,
    pub slots: Vec<SlotChoice>,
}

/// One doctor's open times on the day (with "any doctor", only the first few).
pub struct DoctorSlots {
    pub doctor_id: i64,
    pub doctor_name: String,
    pub periods: Vec<Period>,
    /// How many open times the doctor has that day, shown or not.
    pub open: i64,
}

impl DoctorSlots {
    /// The doctor's open times of the day not shown: choosing the doctor shows them.
    pub fn not_shown(&self) -> i64 {
        let shown: usize = self.periods.iter().map(|p| p.slots.len()).sum();
        self.open - shown as i64
    }
}

/// With "any doctor", each doctor's first few open times of the day: one row on a phone, so every doctor's
/// earliest times are at a glance, and a doctor's whole day is one tap away (a day of 24 doctors is a thousand
/// times).
const TIMES_PER_DOCTOR: i64 = 4;

/// A day with this many places or fewer says how many are left.
const FEW_PLACES: i64 = 10;

/// Everything the picker shows for one day: one view model for the patient's page and reception's.
pub struct SlotPicker {
    /// The day shown.
    pub date: Date,
    pub days: Vec<DayChoice>,
    /// The doctors to choose from, with what patients read of them.
    pub doctors: Arc<Vec<DoctorProfile>>,
    pub doctor: Option<i64>,
    pub groups: Arc<Vec<DoctorSlots>>,
    /// The day shown at a glance (so no open slot means "full", "too late" or "closed").
    pub seats: DaySeats,
    pub chosen: Option<i64>,
    /// The day shown is today (a patient is told how soon a time may start).
    pub is_today: bool,
    /// Whom the times are offered to.
    pub offer: Offer,
    /// The clinic's minimum notice in words ("1 hour"), for a patient; `None` without one.
    pub notice: Option<String>,
}

impl SlotPicker {
    /// The empty cells before the first day and after the last, so the days fill whole weeks of a calendar
    /// (Monday first) and every column is one weekday.
    pub fn week_padding(&self) -> (u32, u32) {
        let first = self.days.first().map_or(1, DayChoice::weekday_column);
        calendar_padding(first, self.days.len())
    }

    pub fn is_full(&self) -> bool {
        self.seats == DaySeats::Full && self.groups.is_empty()
    }

    /// Every time of the day shown has started, or starts too soon to be booked now.
    pub fn is_too_late(&self) -> bool {
        self.seats == DaySeats::TooLate && self.groups.is_empty()
    }

    /// Why the day shown has no time to offer although the clinic is open, and what to do instead.
    pub fn too_late_text(&self) -> String {
        match (self.offer, &self.notice) {
            (Offer::Patient, Some(notice)) => format!(
                "No time left on this day can be booked online: a booking must be made at least {notice} before \
                 its time. Choose a later day, or call the clinic if you need to be seen sooner."
            ),
            _ => "Every time on this day has started. Choose a later day.".into(),
        }
    }

    /// A patient looking at today is told that the times starting too soon are not offered.
    pub fn notice_hint(&self) -> Option<String> {
        let notice = self
            .notice
            .as_ref()
            .filter(|_| self.is_today && self.offer == Offer::Patient)?;
        Some(format!("Times less than {notice} from now can't be booked online."))
    }

    pub fn doctor_selected(&self, id: &i64) -> bool {
        self.doctor == Some(*id)
    }

    /// A doctor's profile, when it says anything.
    pub fn profile(&self, doctor_id: &i64) -> Option<&DoctorProfile> {
        self.doctors.iter().find(|d| d.id == *doctor_id && !d.is_empty())
    }

    /// The profile of the doctor chosen in the list, shown under it.
    pub fn chosen_profile(&self) -> Option<&DoctorProfile> {
        self.profile(&self.doctor?)
    }

    pub fn is_chosen(&self, id: &i64) -> bool {
        self.chosen == Some(*id)
    }

    /// With "any doctor" and several doctors, the day's earliest time, offered at the top of the times; of
    /// doctors starting at the same time, the first listed.
    pub fn earliest(&self) -> Option<&SlotChoice> {
        if self.doctor.is_some() || self.groups.len() < 2 {
            return None;
        }
        self.groups
            .iter()
            .flat_map(|g| &g.periods)
            .flat_map(|p| &p.slots)
            .min_by_key(|s| s.starts_at)
    }

    /// The time chosen before a refused booking, for the book bar.
    pub fn chosen(&self) -> Option<&SlotChoice> {
        self.groups
            .iter()
            .flat_map(|g| &g.periods)
            .flat_map(|p| &p.slots)
            .find(|s| self.chosen == Some(s.id))
    }
}

/// Why a patient can't book, said before they choose: `blocks_all` when no slot can be booked at all
/// (waiting for approval, or at the limit of upcoming bookings), else only the day shown (one a day).
pub struct Barrier {
    pub refusal: Refusal,
    pub blocks_all: bool,
}

pub async fn barrier(
    db: &Db,
    rules: &BookingRules,
    patient_id: i64,
    approved: bool,
    picker: &SlotPicker,
) -> Result<Option<Barrier>, sqlx::Error> {
    barrier_on(db, rules, patient_id, approved, picker.date).await
}

/// The barrier of [`barrier`] for booking on `day`.
pub async fn barrier_on(
    db: &Db,
    rules: &BookingRules,
    patient_id: i64,
    approved: bool,
    day: Date,
) -> Result<Option<Barrier>, sqlx::Error> {
    let (live_future, live_that_day) = repo::holdings(db, patient_id, day, Timestamp::now()).await?;
    if let Some(refusal) = booking_barrier(rules, approved, live_future) {
        return Ok(Some(Barrier {
            refusal,
            blocks_all: true,
        }));
    }
    Ok(day_barrier(rules, live_that_day).map(|refusal| Barrier {
        refusal,
        blocks_all: false,
    }))
}

/// The picker for the asked day, clamped to today .. today + horizon; without one, the first day with free
/// places, other than a day `booking_for` (a patient making a new booking) already holds an appointment on when
/// the clinic allows one a day. It offers only the times `offer` may book.
pub async fn load(
    state: &AppState,
    settings: &Settings,
    query: &PickerQuery,
    offer: Offer,
    booking_for: Option<i64>,
) -> AppResult<SlotPicker> {
    let today = settings.today();
    let last = today + Days::days(settings.booking.horizon_days);
    let doctor = query.doctor();
    let rules = settings.booking_rules();
    let seats = calendar_seats(state, today, last, doctor, offer).await?;
    let held = match booking_for.filter(|_| rules.one_per_day) {
        Some(patient_id) => repo::held_days(&state.db, patient_id, Date(today)).await?,
        None => Vec::new(),
    };
    let asked = query.day.as_deref().and_then(|d| Date::parse(d).ok()).map(|d| d.0);
    let day = asked
        .filter(|d| *d >= today && *d <= last)
        .or_else(|| {
            seats
                .iter()
                .find(|s| s.free > 0 && !held.contains(&s.day))
                .map(|s| s.day.0)
        })
        .unwrap_or(today);
    let chosen = query.slot.as_deref().and_then(parse_id);
    let groups = open_times(state, day, doctor, chosen, offer).await?;
    let days = from_first_open_week(
        (0..=settings.booking.horizon_days)
            .map(|offset| today + Days::days(offset))
            .map(|d| day_choice(d, &seats, d == day, held.contains(&Date(d)).then_some(offer)))
            .collect(),
    );
    Ok(SlotPicker {
        date: Date(day),
        seats: days.iter().find(|d| d.current).map_or(DaySeats::Closed, |d| d.seats),
        days,
        doctors: bookable_doctors(state, Date(today)).await?,
        doctor,
        groups,
        chosen,
        is_today: day == today,
        offer,
        notice: (offer == Offer::Patient && rules.min_notice_minutes > 0).then(|| rules.notice_text()),
    })
}

/// The calendar's free places per day, read once per change and shared by every booking page: each change to
/// slots or bookings is announced by the service that makes it, and summing the fortnight's slots was most of
/// what a booking page cost. Within [`super::MAX_AGE`] a slot that has just left the times `offer` may book may still
/// count as free (and be offered by [`open_times`]); booking it checks it again.
async fn calendar_seats(
    state: &AppState,
    today: NaiveDate,
    last: NaiveDate,
    doctor: Option<i64>,
    offer: Offer,
) -> AppResult<Arc<Vec<repo::DaySeats>>> {
    let key = format!("{today}:{last}:{}:{}", doctor.unwrap_or(0), offer.key());
    let compute = || async {
        let starts = offer.starts(&state.settings.get().booking_rules(), Timestamp::now());
        let seats = repo::seats_by_day(&state.db, Date(today), Date(last), doctor, starts).await?;
        Ok(Arc::new(seats))
    };
    let caches = &state.scheduling.seats;
    caches
        .get_within(&key, state.db.events().last_seq(), super::MAX_AGE, compute)
        .await
}

/// The day's open times as the picker groups them (each doctor's first few, or the chosen doctor's all, and
/// the time chosen before a refused booking), shared like [`calendar_seats`]: a time taken or blocked is
/// announced, and one that has just left the times `offer` may book is refused when booked.
async fn open_times(
    state: &AppState,
    day: NaiveDate,
    doctor: Option<i64>,
    chosen: Option<i64>,
    offer: Offer,
) -> AppResult<Arc<Vec<DoctorSlots>>> {
    let key = format!("{day}:{}:{}:{}", doctor.unwrap_or(0), chosen.unwrap_or(0), offer.key());
    let per_doctor = if doctor.is_some() { i64::MAX } else { TIMES_PER_DOCTOR };
    let compute = || async {
        let starts = offer.starts(&state.settings.get().booking_rules(), Timestamp::now());
        let open = repo::open_slots(&state.db, Date(day), doctor, starts, per_doctor, chosen).await?;
        Ok(Arc::new(group(open, state.settings.get().clinic.time_zone)))
    };
    let caches = &state.scheduling.open_times;
    caches
        .get_within(&key, state.db.events().last_seq(), super::MAX_AGE, compute)
        .await
}

/// The doctors patients choose from, with their profiles, shared like [`calendar_seats`].
async fn bookable_doctors(state: &AppState, today: Date) -> AppResult<Arc<Vec<DoctorProfile>>> {
    let compute = || async {
        Ok(Arc::new(
            sickbay_core::staff::service::bookable_doctors(&state.db, today).await?,
        ))
    };
    let caches = &state.scheduling.doctors;
    caches
        .get_within("doctors", state.db.events().last_seq(), super::MAX_AGE, compute)
        .await
}

/// The calendar opens at its first week with a day to choose: the rest of a week that is all closed (today a
/// Sunday, say) would be a row of nothing on top of it.
fn from_first_open_week(mut days: Vec<DayChoice>) -> Vec<DayChoice> {
    let first_week = days
        .iter()
        .position(|d| d.weekday() == Weekday::Sun)
        .map_or(days.len(), |sunday| sunday + 1);
    if first_week < days.len() && days[..first_week].iter().all(|d| !d.selectable()) {
        days.drain(..first_week);
    }
    days
}

fn day_choice(day: NaiveDate, seats: &[repo::DaySeats], current: bool, held: Option<Offer>) -> DayChoice {
    let found = seats.iter().find(|s| s.day.0 == day);
    DayChoice {
        on: day,
        seats: match found {
            None => DaySeats::Closed,
            Some(s) if s.free > 0 => DaySeats::Free(s.free),
            Some(s) if s.in_window > 0 => DaySeats::Full,
            Some(_) => DaySeats::TooLate,
        },
        current,
        held,
    }
}

/// "Morning" before noon, "Afternoon" until 17:00, then "Evening".
fn period_of(minute: u32) -> &'static str {
    match minute {
        0..720 => "Morning",
        720..1020 => "Afternoon",
        _ => "Evening",
    }
}

/// Open slots (in time order) grouped per doctor (by name), then by part of the day.
fn group(open: Vec<OpenSlot>, zone: chrono_tz::Tz) -> Vec<DoctorSlots> {
    let mut groups: Vec<(i64, DoctorSlots)> = Vec::new();
    for s in open {
        let local = s.starts_at.to_utc().with_timezone(&zone);
        let choice = SlotChoice {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            doctor_name: s.doctor_name,
            capacity: s.capacity,
            seats_left: s.seats_left,
            minute: local.hour() * 60 + local.minute(),
        };
        let index = match groups.iter().position(|(id, _)| *id == s.doctor_id) {
            Some(index) => index,
            None => {
                let slots = DoctorSlots {
                    doctor_id: s.doctor_id,
                    doctor_name: choice.doctor_name.clone(),
                    periods: Vec::new(),
                    open: s.doctor_open,
                };
                groups.push((s.doctor_id, slots));
                groups.len() - 1
            }
        };
        let periods = &mut groups[index].1.periods;
        let label = period_of(choice.minute);
        match periods.last_mut() {
            Some(period) if period.label == label => period.slots.push(choice),
            _ => periods.push(Period {
                label,
                slots: vec![choice],
            }),
        }
    }
    let mut groups: Vec<DoctorSlots> = groups.into_iter().map(|(_, g)| g).collect();
    groups.sort_by(|a, b| a.doctor_name.cmp(&b.doctor_name));
    groups
}

/// The empty cells before and after `days` days whose first sits in weekday column `first` (1 to 7), to fill
/// whole weeks.
fn calendar_padding(first: u32, days: usize) -> (u32, u32) {
    let leading = first.clamp(1, 7) - 1;
    let used = (leading as usize + days) % 7;
    let trailing = if used == 0 { 0 } else { 7 - used as u32 };
    (leading, trailing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_fill_whole_weeks() {
        // 15 days from a Wednesday: two blanks before, four after (three weeks).
        assert_eq!(calendar_padding(3, 15), (2, 4));
        // 14 days from a Monday are two whole weeks.
        assert_eq!(calendar_padding(1, 14), (0, 0));
        // From a Sunday, one day fills its week.
        assert_eq!(calendar_padding(7, 1), (6, 0));
        assert_eq!(calendar_padding(1, 0), (0, 0));
    }

    fn open(id: i64, doctor_id: i64, name: &str, hour: i64, minute: i64) -> OpenSlot {
        // 2026-06-01 in Lagos (UTC+1, no daylight saving).
        let at = Timestamp(1_780_268_400_000 + (hour * 60 + minute) * 60_000);
        OpenSlot {
            id,
            doctor_id,
            doctor_name: name.into(),
            starts_at: at,
            ends_at: Timestamp(at.0 + 10 * 60_000),
            capacity: 3,
            seats_left: 2,
            doctor_open: if doctor_id == 7 { 5 } else { 2 },
        }
    }

    #[test]
    fn a_day_says_open_until_few_places_are_left() {
        let day = |seats| DayChoice {
            on: NaiveDate::from_ymd_opt(2026, 6, 1).expect("a day"),
            seats,
            current: false,
            held: None,
        };
        assert_eq!(day(DaySeats::Free(286)).seats_text(), "Open");
        let held = DayChoice {
            held: Some(Offer::Patient),
            ..day(DaySeats::Free(286))
        };
        assert_eq!((held.seats_text().as_str(), held.css_class()), ("Yours", "day-booked"));
        assert_eq!(held.spoken(), "you have an appointment on this day");
        let theirs = DayChoice {
            held: Some(Offer::Staff),
            ..day(DaySeats::Full)
        };
        assert_eq!(theirs.seats_text(), "Theirs");
        assert_eq!(day(DaySeats::Full).spoken(), "Full");
        assert_eq!(day(DaySeats::Free(FEW_PLACES + 1)).seats_text(), "Open");
        assert_eq!(day(DaySeats::Free(FEW_PLACES)).seats_text(), "10 left");
        assert_eq!(day(DaySeats::Free(1)).seats_text(), "1 left");
        assert_eq!(day(DaySeats::Full).seats_text(), "Full");
    }

    #[test]
    fn slots_are_grouped_per_doctor_then_morning_afternoon_evening() {
        let slots = vec![
            open(1, 7, "Dr Okafor", 9, 40),
            open(2, 3, "Dr Bello", 9, 40),
            open(3, 7, "Dr Okafor", 11, 50),
            open(4, 7, "Dr Okafor", 12, 0),
            open(5, 3, "Dr Bello", 17, 30),
        ];
        let groups = group(slots, chrono_tz::Africa::Lagos);
        // "Doctor: Period times; Period times", one line per doctor.
        let shape: Vec<String> = groups
            .iter()
            .map(|g| {
                let periods: Vec<String> = g
                    .periods
                    .iter()
                    .map(|p| {
                        let times: Vec<String> = p
                            .slots
                            .iter()
                            .map(|s| crate::web::filters::clock_of(s.starts_at, chrono_tz::Africa::Lagos))
                            .collect();
                        format!("{} {}", p.label, times.join(" "))
                    })
                    .collect();
                format!("{}: {}", g.doctor_name, periods.join("; "))
            })
            .collect();
        assert_eq!(
            shape,
            [
                "Dr Bello: Morning 09:40; Evening 17:30",
                "Dr Okafor: Morning 09:40 11:50; Afternoon 12:00"
            ]
        );
        assert_eq!(groups[0].periods[0].slots[0].seats_text(), "2 places left");
        let mut single = open(9, 7, "Dr Okafor", 9, 40);
        single.capacity = 1;
        single.seats_left = 1;
        assert_eq!(
            group(vec![single], chrono_tz::Africa::Lagos)[0].periods[0].slots[0].seats_text(),
            ""
        );
        // Dr Okafor has five open times and three are shown: choosing him shows the other two.
        assert_eq!((groups[0].not_shown(), groups[1].not_shown()), (0, 2));
    }

    #[test]
    fn the_calendar_leaves_out_a_first_week_with_nothing_to_choose() {
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let open = |day: NaiveDate| repo::DaySeats {
            day: Date(day),
            slots: 4,
            in_window: 4,
            free: 4,
        };
        let fortnight = |from: NaiveDate, seats: &[repo::DaySeats], current: NaiveDate| {
            (0..14)
                .map(|n| from + Days::days(n))
                .map(|d| day_choice(d, seats, d == current, None))
                .collect::<Vec<_>>()
        };
        let monday = sunday.succ_opt().unwrap();
        // Today a closed Sunday, Monday open: the calendar starts on Monday.
        let days = from_first_open_week(fortnight(sunday, &[open(monday)], monday));
        assert_eq!((days.len(), days[0].on), (13, monday));
        // A closed Saturday with Sunday open keeps its week.
        let saturday = sunday.pred_opt().unwrap();
        let days = from_first_open_week(fortnight(saturday, &[open(sunday)], sunday));
        assert_eq!(days[0].on, saturday);
        // Nothing open at all: today is the day shown, and stays.
        let days = from_first_open_week(fortnight(sunday, &[], sunday));
        assert_eq!(days[0].on, sunday);
    }

    #[test]
    fn days_say_at_a_glance_whether_they_have_free_places() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let seats = vec![repo::DaySeats {
            day: Date(day),
            slots: 4,
            in_window: 4,
            free: 0,
        }];
        let full = day_choice(day, &seats, false, None);
        assert_eq!(
            (full.seats_text(), full.css_class(), full.selectable()),
            ("Full".into(), "day-full", true)
        );
        assert_eq!((full.weekday().to_string(), full.date()), ("Tue".to_owned(), 24));
        assert_eq!(full.weekday_column(), 2);
        let closed = day_choice(day.succ_opt().unwrap(), &seats, false, None);
        assert_eq!((closed.seats_text(), closed.selectable()), ("Closed".into(), false));
        assert!(day_choice(day.succ_opt().unwrap(), &seats, true, None).selectable());
        let free = day_choice(
            day,
            &[repo::DaySeats {
                day: Date(day),
                slots: 4,
                in_window: 4,
                free: 7,
            }],
            false,
            None,
        );
        assert_eq!(free.seats_text(), "7 left");
        // Slots whose times have all started, or start too soon to book: too late, not full.
        let late = day_choice(
            day,
            &[repo::DaySeats {
                day: Date(day),
                slots: 4,
                in_window: 0,
                free: 0,
            }],
            true,
            None,
        );
        assert_eq!(
            (late.seats, late.seats_text(), late.css_class()),
            (DaySeats::TooLate, "Too late".into(), "day-late")
        );
    }
}
