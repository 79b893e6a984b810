//! The slot picker shared by the patient's booking page and reception's: the days that can be booked, the
//! doctors, and a day's open slots.

use chrono::{Duration as Days, NaiveDate};
use serde::Deserialize;

use super::repo::{self, OpenSlot};
use crate::db::{Date, Db, Timestamp};
use crate::settings::Settings;
use crate::web::form::parse_id;

/// `?day=YYYY-MM-DD&doctor=ID` as typed; anything unreadable means "the first bookable day" / "any doctor".
#[derive(Debug, Default, Deserialize)]
pub struct PickerQuery {
    pub day: Option<String>,
    pub doctor: Option<String>,
    pub reschedule: Option<String>,
}

impl PickerQuery {
    pub fn doctor(&self) -> Option<i64> {
        self.doctor.as_deref().and_then(parse_id)
    }

    pub fn reschedule(&self) -> Option<i64> {
        self.reschedule.as_deref().and_then(parse_id)
    }
}

pub struct DayChoice {
    pub day: String,
    pub label: String,
    pub current: bool,
}

pub struct SlotChoice {
    pub id: i64,
    pub time: String,
    pub doctor_name: String,
    pub seats_left: i64,
}

/// Everything the picker shows for one day.
pub struct SlotPicker {
    pub day: String,
    pub day_label: String,
    pub first_day: String,
    pub last_day: String,
    pub days: Vec<DayChoice>,
    pub doctors: Vec<(i64, String)>,
    pub doctor: Option<i64>,
    pub slots: Vec<SlotChoice>,
    /// The day has clinic hours (so no open slot means "full", not "closed").
    pub day_has_slots: bool,
}

impl SlotPicker {
    pub fn is_full(&self) -> bool {
        self.day_has_slots && self.slots.is_empty()
    }

    pub fn doctor_selected(&self, id: &i64) -> bool {
        self.doctor == Some(*id)
    }
}

/// The picker for the asked day, clamped to today .. today + horizon.
pub async fn load(db: &Db, settings: &Settings, query: &PickerQuery) -> Result<SlotPicker, sqlx::Error> {
    let today = settings.today();
    let last = today + Days::days(settings.booking_horizon_days);
    let asked = query.day.as_deref().and_then(|d| Date::parse(d).ok()).map(|d| d.0);
    let day = asked.filter(|d| *d >= today && *d <= last).unwrap_or(today);
    let doctor = query.doctor();
    let not_before = Timestamp::now();
    let open: Vec<OpenSlot> = repo::open_slots(db, Date(day), doctor, not_before).await?;
    let zone = settings.time_zone;
    let slots = open
        .into_iter()
        .map(|s| SlotChoice {
            id: s.id,
            time: format!("{}–{}", time_of(s.starts_at, zone), time_of(s.ends_at, zone)),
            doctor_name: s.doctor_name,
            seats_left: s.seats_left,
        })
        .collect();
    let days = (0..=settings.booking_horizon_days.min(13))
        .map(|offset| today + Days::days(offset))
        .map(|d| DayChoice {
            day: d.to_string(),
            label: short_label(d),
            current: d == day,
        })
        .collect();
    Ok(SlotPicker {
        day: day.to_string(),
        day_label: day.format("%A %-d %B").to_string(),
        first_day: today.to_string(),
        last_day: last.to_string(),
        days,
        doctors: repo::doctors(db).await?,
        doctor,
        slots,
        day_has_slots: repo::day_has_slots(db, Date(day), doctor).await?,
    })
}

fn short_label(day: NaiveDate) -> String {
    day.format("%a %-d").to_string()
}

/// `09:30` in the clinic's zone.
pub fn time_of(at: Timestamp, zone: chrono_tz::Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%H:%M").to_string()
}

/// `Tue 24 Nov, 09:30` in the clinic's zone.
pub fn when(at: Timestamp, zone: chrono_tz::Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%a %-d %b, %H:%M").to_string()
}
