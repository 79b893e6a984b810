//! Storage types that both backends carry through sqlx's `Any` driver (DESIGN.md, "One binary, two
//! databases"): instants as unix milliseconds, calendar dates as `YYYY-MM-DD` text, money as integer
//! minor units, flags as 0/1 and enums as text.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyTypeInfo;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

/// An instant, stored as unix milliseconds (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, Serialize, Deserialize)]
#[sqlx(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_millis())
    }

    /// The `updated_at` for an edit of a row last changed at `self`: now, but always later than `self`,
    /// so a form loaded in the same millisecond as the edit still looks stale afterwards.
    pub fn now_after(self) -> Self {
        Timestamp::now().max(Timestamp(self.0 + 1))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn minus_minutes(self, minutes: i64) -> Self {
        Timestamp(self.0 - minutes * 60_000)
    }

    pub fn plus_minutes(self, minutes: i64) -> Self {
        Timestamp(self.0 + minutes * 60_000)
    }

    /// The first instant of `day` in `zone`: its local midnight (or, where a clock change skips midnight, the
    /// first local time that exists). A local day is the span from its start to the next day's.
    pub fn start_of_day(day: NaiveDate, zone: chrono_tz::Tz) -> Self {
        use chrono::TimeZone;
        let start = (0..=120)
            .filter_map(|minutes| day.and_hms_opt(0, 0, 0).map(|t| t + chrono::Duration::minutes(minutes)))
            .find_map(|local| zone.from_local_datetime(&local).earliest());
        start.map_or(
            Timestamp(day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()),
            |t| Timestamp(t.timestamp_millis()),
        )
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// A calendar date in the clinic's time zone, stored as `YYYY-MM-DD` text so that both backends sort and
/// group it the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date(pub NaiveDate);

/// `Tue 3 Nov`: a day as lists, charts and reports label it.
pub fn short_day_label(day: chrono::NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

impl Date {
    /// The years a date may fall in: enough for any date of birth and any plan, and far enough from chrono's
    /// limits that adding days or weeks to a parsed date can't overflow.
    pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        // chrono's `%Y` also takes signs and more than four digits (`+262142-12-31`).
        let shaped = text.len() == 10 && text.bytes().enumerate().all(|(i, b)| matches!(i, 4 | 7) == (b == b'-'));
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| shaped)
            .ok_or_else(|| InvalidValue(format!("{text:?} is not a date in the form YYYY-MM-DD")))?;
        if !Self::YEARS.contains(&date.year()) {
            return Err(InvalidValue(format!(
                "{text} is out of range: give a date between {} and {}",
                Self::YEARS.start(),
                Self::YEARS.end()
            )));
        }
        Ok(Date(date))
    }

    /// `days` later (or earlier when negative); the same date if that would leave chrono's calendar.
    pub fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
        date.checked_add_signed(chrono::Duration::days(days)).unwrap_or(date)
    }
}

/// The minutes after midnight of a time of day (a doctor's hours) as `08:30`.
pub fn minutes_of(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes.div_euclid(60), minutes.rem_euclid(60))
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Type<Any> for Date {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

impl<'q> Encode<'q, Any> for Date {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(self.to_string(), buf)
    }
}

impl<'r> Decode<'r, Any> for Date {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, Any>>::decode(value)?;
        Ok(Date::parse(&text)?)
    }
}

/// An amount of money in the currency's minor unit (kobo, cents). Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, Serialize, Deserialize)]
#[sqlx(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Parses an amount typed in major units (`1,250.50`) for a currency with `minor_digits` decimals.
    pub fn parse_major(text: &str, minor_digits: u32) -> Result<Self, InvalidValue> {
        crate::validation::parse_scaled(text, minor_digits)
            .map(Money)
            .ok_or_else(|| InvalidValue(format!("{text:?} is not an amount of money")))
    }

    /// `1,250.50` for a currency with two decimals (the symbol is added by the caller).
    pub fn format_major(self, minor_digits: u32) -> String {
        let scale = 10_i64.pow(minor_digits);
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / scale as u64;
        let fraction = abs % scale as u64;
        let grouped = group_thousands(whole);
        if minor_digits == 0 {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}.{fraction:0width$}", width = minor_digits as usize)
        }
    }
}

/// How the clinic writes money: its currency code and the digits after the point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub minor_digits: u32,
}

impl Currency {
    pub fn format(&self, amount: Money) -> String {
        format!("{} {}", self.code, amount.format_major(self.minor_digits))
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A yes/no column, stored as 0 or 1 (neither backend's boolean survives the `Any` driver unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
}

impl<'q> Encode<'q, Any> for Flag {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode(i64::from(self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Flag(<i64 as Decode<'r, Any>>::decode(value)? != 0))
    }
}

/// A decimal to store in a REAL (SQLite) or DOUBLE PRECISION (PostgreSQL) column, or NULL: bound as text, which
/// the SQL casts back, `CAST($4 AS DOUBLE PRECISION)` (SQLite reads that type name as REAL). Bind every float
/// through this, never an `Option<f64>`: sqlx's `Any` driver sends an empty `f64` to PostgreSQL as a `float4`, a
/// statement prepared with that type stays in the connection's cache with it, and a number bound to that
/// statement later on the same connection is refused ("incorrect binary data format in bind parameter"). As
/// text, an empty value and a number have one type. A statement that forgets the cast fails on PostgreSQL
/// every time ("expression is of type text"), not only on a reused connection.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Real(pub Option<f64>);

impl Real {
    /// The text bound: the shortest decimal that reads back as the same `f64` (`13.2`, `-0.25`, `1000000`).
    pub fn text(self) -> Option<String> {
        self.0.map(|value| value.to_string())
    }
}

impl Type<Any> for Real {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

impl<'q> Encode<'q, Any> for Real {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <Option<String> as Encode<'q, Any>>::encode(self.text(), buf)
    }
}

/// A value that does not parse: the message says what was wrong, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// Declares a text enum: the Rust enum, `as_str`/`FromStr`/`Display`, serde names, and the sqlx
/// `Any` conversions so it binds and decodes directly in queries.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::db::types::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::db::types::InvalidValue(format!(
                        "{other:?} is not a valid {}",
                        stringify!($name).to_lowercase()
                    ))),
                }
            }
        }

        impl ::sqlx::Type<::sqlx::Any> for $name {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'q, ::sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $name {
            fn decode(
                value: <::sqlx::Any as ::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let text = <String as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_major_units() {
        assert_eq!(Money::parse_major("1,250.50", 2), Ok(Money(125_050)));
        assert_eq!(Money::parse_major("12", 2), Ok(Money(1_200)));
        assert_eq!(Money::parse_major(".5", 2), Ok(Money(50)));
        assert_eq!(Money::parse_major("-3.07", 2), Ok(Money(-307)));
        assert_eq!(Money::parse_major("500", 0), Ok(Money(500)));
    }

    #[test]
    fn money_rejects_junk_and_overflow() {
        for bad in ["", "abc", "1.234", "1.2.3", "--1", "1e5", "99999999999999999999", "."] {
            assert!(Money::parse_major(bad, 2).is_err(), "{bad:?} should be rejected");
        }
        assert!(Money::parse_major("1.5", 0).is_err());
    }

    #[test]
    fn money_formats_with_grouping() {
        assert_eq!(Money(125_050).format_major(2), "1,250.50");
        assert_eq!(Money(5).format_major(2), "0.05");
        assert_eq!(Money(-100_000_000).format_major(2), "-1,000,000.00");
        assert_eq!(Money(1500).format_major(0), "1,500");
    }

    #[test]
    fn date_round_trips_as_iso_text() {
        let d = Date::parse("2026-02-28").unwrap();
        assert_eq!(d.to_string(), "2026-02-28");
        assert!(Date::parse("2026-02-30").is_err());
        assert!(Date::parse("28/02/2026").is_err());
        for out_of_range in [
            "+262142-12-31",
            "262142-12-31",
            "-0001-01-01",
            "1899-12-31",
            "2200-01-01",
            "2026-2-28",
        ] {
            assert!(Date::parse(out_of_range).is_err(), "{out_of_range}");
        }
        assert!(Date::parse(" 1900-01-01 ").is_ok());
        assert_eq!(Date::add_days(NaiveDate::MAX, 7), NaiveDate::MAX);
        assert_eq!(Date::add_days(d.0, -28).to_string(), "2026-01-31");
    }

    #[test]
    fn a_real_is_bound_as_text_that_reads_back_as_the_same_number() {
        assert_eq!(Real(None).text(), None);
        assert_eq!(Real(Some(13.2)).text().as_deref(), Some("13.2"));
        assert_eq!(Real(Some(-0.25)).text().as_deref(), Some("-0.25"));
        assert_eq!(Real(Some(1.0e9)).text().as_deref(), Some("1000000000"));
        for value in [
            13.2,
            0.1 + 0.2,
            1.0 / 3.0,
            -1.0e-7,
            999_999_999.999_999,
            f64::MIN_POSITIVE,
            f64::MAX,
        ] {
            let text = Real(Some(value)).text().expect("a number");
            assert_eq!(text.parse::<f64>(), Ok(value), "{text}");
        }
        // An empty value and a number have one type, whatever the number.
        assert_eq!(<Real as Type<Any>>::type_info(), <String as Type<Any>>::type_info());
    }

    #[test]
    fn timestamp_steps_back_in_minutes() {
        let t = Timestamp(1_764_000_000_000); // 2025-11-24 16:00 UTC
        assert_eq!(t.minus_minutes(60).millis(), 1_764_000_000_000 - 3_600_000);
    }
}
