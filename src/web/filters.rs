//! The one place where times, days and money become text: askama filters every template uses, in the
//! clinic's time zone and currency. A module with templates brings them in with `use crate::web::filters;`.
//!
//! `{{ at|clock(zone) }}` 14:05 · `{{ at|datetime(zone) }}` Mon 3 Nov, 14:05 · `{{ at|stamp(zone) }}`
//! 3 Nov 2026, 14:05 · `{{ day|day }}` Mon 3 Nov ·
//! `{{ day|full_date }}` 3 November 2026 · `{{ day|short_date }}` 3 Nov 2026 · `{{ day|long_day }}` Monday 3 November 2026 ·
//! `{{ amount|money(currency) }}` NGN 1,250.00

use std::borrow::Borrow;

use chrono::NaiveDate;
use chrono_tz::Tz;

use sickbay_core::db::{Currency, Date, Money, Timestamp};

/// A calendar day, whether stored as a [`Date`] or at hand as chrono's.
pub trait Day {
    fn naive(&self) -> NaiveDate;
}

impl Day for Date {
    fn naive(&self) -> NaiveDate {
        self.0
    }
}

impl Day for NaiveDate {
    fn naive(&self) -> NaiveDate {
        *self
    }
}

impl<T: Day + ?Sized> Day for &T {
    fn naive(&self) -> NaiveDate {
        (**self).naive()
    }
}

/// `14:05`: the clock time of an instant in the zone.
pub fn clock_of(at: Timestamp, zone: Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%H:%M").to_string()
}

/// `Mon 3 Nov, 14:05`.
pub fn datetime_of(at: Timestamp, zone: Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%a %-d %b, %H:%M").to_string()
}

/// `Today, 14:05`, `Tomorrow, 09:00`, else as [`datetime_of`]: when something is coming, as of the day `today`.
pub fn coming_of(at: Timestamp, zone: Tz, today: NaiveDate) -> String {
    let local = at.to_utc().with_timezone(&zone);
    let day = local.date_naive();
    let clock = local.format("%H:%M");
    if day == today {
        format!("Today, {clock}")
    } else if today.succ_opt() == Some(day) {
        format!("Tomorrow, {clock}")
    } else {
        datetime_of(at, zone)
    }
}

/// `3 Nov 2026, 14:05`: when a record was made, with its year (audit log, accounts, notices).
pub fn stamp_of(at: Timestamp, zone: Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%-d %b %Y, %H:%M").to_string()
}

/// `2026-11-03 14:05`: an instant in the audit log's CSV file, where a spreadsheet sorts it as written.
pub fn log_stamp_of(at: Timestamp, zone: Tz) -> String {
    at.to_utc().with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// `Mon 3 Nov`.
pub fn day_of(day: &impl Day) -> String {
    sickbay_core::db::types::short_day_label(day.naive())
}

/// `3 November 2026`: a date without its weekday (a date of birth).
pub fn full_date_of(day: &impl Day) -> String {
    day.naive().format("%-d %B %Y").to_string()
}

/// `3 Nov 2026`: a date of birth where the room is short.
pub fn short_date_of(day: &impl Day) -> String {
    day.naive().format("%-d %b %Y").to_string()
}

/// `Monday 3 November 2026`.
pub fn long_day_of(day: &impl Day) -> String {
    day.naive().format("%A %-d %B %Y").to_string()
}

/// Instants as askama gives them to a filter: by value or behind references.
pub trait Instant {
    fn timestamp(&self) -> Timestamp;
}

impl Instant for Timestamp {
    fn timestamp(&self) -> Timestamp {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn timestamp(&self) -> Timestamp {
        (**self).timestamp()
    }
}

#[askama::filter_fn]
pub fn clock<Z: Borrow<Tz>>(at: impl Instant, _: &dyn askama::Values, zone: Z) -> askama::Result<String> {
    Ok(clock_of(at.timestamp(), *zone.borrow()))
}

#[askama::filter_fn]
pub fn datetime<Z: Borrow<Tz>>(at: impl Instant, _: &dyn askama::Values, zone: Z) -> askama::Result<String> {
    Ok(datetime_of(at.timestamp(), *zone.borrow()))
}

#[askama::filter_fn]
pub fn stamp<Z: Borrow<Tz>>(at: impl Instant, _: &dyn askama::Values, zone: Z) -> askama::Result<String> {
    Ok(stamp_of(at.timestamp(), *zone.borrow()))
}

#[askama::filter_fn]
pub fn day(day: impl Day, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(day_of(&day))
}

#[askama::filter_fn]
pub fn full_date(day: impl Day, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(full_date_of(&day))
}

#[askama::filter_fn]
pub fn short_date(day: impl Day, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(short_date_of(&day))
}

#[askama::filter_fn]
pub fn long_day(day: impl Day, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(long_day_of(&day))
}

#[askama::filter_fn]
pub fn minutes(minutes: impl Borrow<i64>, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(sickbay_core::db::types::minutes_of(*minutes.borrow()))
}

/// Amounts as askama gives them to a filter: by value or behind references (a binding of an `if let` is one
/// more).
pub trait Amount {
    fn amount(&self) -> Money;
}

impl Amount for Money {
    fn amount(&self) -> Money {
        *self
    }
}

impl<T: Amount + ?Sized> Amount for &T {
    fn amount(&self) -> Money {
        (**self).amount()
    }
}

#[askama::filter_fn]
/// An amount with its currency code, kept on one line on a page ("NGN 500.00" never breaks after the code).
pub fn money<C: Borrow<Currency>>(amount: impl Amount, _: &dyn askama::Values, currency: C) -> askama::Result<String> {
    Ok(currency.borrow().format(amount.amount()).replacen(' ', "\u{a0}", 1))
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;
    use crate::web::filters;

    #[derive(Template)]
    #[template(
        source = "{{ at|clock(zone) }}|{{ at|datetime(zone) }}|{{ at|stamp(zone) }}|{{ day|day }}|{{ day|full_date }}|{{ day|short_date }}|{{ day|long_day }}|{{ 510|minutes }}|{{ fee|money(currency) }}",
        ext = "html"
    )]
    struct Sample {
        at: Timestamp,
        zone: Tz,
        day: Date,
        fee: Money,
        currency: Currency,
    }

    #[test]
    fn what_is_coming_says_today_and_tomorrow_in_the_clinics_zone() {
        let at = |rfc: &str| {
            Timestamp(
                chrono::DateTime::parse_from_rfc3339(rfc)
                    .expect("time")
                    .timestamp_millis(),
            )
        };
        let zone = chrono_tz::Africa::Lagos;
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("day");
        assert_eq!(coming_of(at("2026-11-30T09:30:00Z"), zone, today), "Today, 10:30");
        assert_eq!(coming_of(at("2026-11-30T23:30:00Z"), zone, today), "Tomorrow, 00:30");
        assert_eq!(coming_of(at("2026-12-01T08:00:00Z"), zone, today), "Tomorrow, 09:00");
        assert_eq!(coming_of(at("2026-12-02T08:00:00Z"), zone, today), "Wed 2 Dec, 09:00");
    }

    #[test]
    fn every_filter_formats_in_the_clinics_zone_and_currency() {
        let at = Timestamp(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T13:05:00Z")
                .expect("time")
                .timestamp_millis(),
        );
        let sample = Sample {
            at,
            zone: chrono_tz::Africa::Lagos,
            day: Date::parse("2026-11-23").expect("date"),
            fee: Money(125_050),
            currency: Currency {
                code: "NGN".into(),
                minor_digits: 2,
            },
        };
        assert_eq!(
            sample.render().expect("render"),
            "14:05|Mon 23 Nov, 14:05|23 Nov 2026, 14:05|Mon 23 Nov|23 November 2026|23 Nov 2026|Monday 23 November 2026|08:30|NGN\u{a0}1,250.50"
        );
    }
}
