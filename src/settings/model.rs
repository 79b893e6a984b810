use chrono_tz::Tz;
use regex::Regex;
use serde::Deserialize;

use crate::db::types::InvalidValue;
use crate::validation::FieldErrors;

/// Every setting the clinic can change, with its default.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub clinic_name: String,
    pub clinic_address: String,
    pub time_zone: Tz,
    pub currency_code: String,
    pub currency_minor_digits: u32,
    /// Students may create their own portal account on /register.
    pub self_registration: bool,
    /// Self-registered students wait for a staff member's approval before they can book.
    pub approval_required: bool,
    /// The pattern a matric number (upper-cased) must match.
    pub matric_pattern: String,
    /// How many days ahead slots exist and may be booked.
    pub booking_horizon_days: i64,
    /// How long before a slot starts a patient may still book it.
    pub booking_min_notice_minutes: i64,
    /// How many upcoming bookings one patient may hold.
    pub booking_max_future: i64,
    /// At most one live booking per patient per day.
    pub booking_one_per_day: bool,
    /// Until how long before the start a patient may cancel or move a booking.
    pub cancel_cutoff_minutes: i64,
    /// How long after a slot ends an unchecked booking becomes a no-show.
    pub no_show_grace_minutes: i64,
    /// How many waiting patients a skipped ticket goes back behind.
    pub queue_skip_places: i64,
}

/// Letters and digits in groups joined by `/` or `-`, such as `U2019/3012345`, `CSC/19/1234` or `190401001`.
pub const DEFAULT_MATRIC_PATTERN: &str = r"^[A-Z0-9]+([/-][A-Z0-9]+)*$";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clinic_name: "Sickbay Clinic".to_owned(),
            clinic_address: String::new(),
            time_zone: chrono_tz::Africa::Lagos,
            currency_code: "NGN".to_owned(),
            currency_minor_digits: 2,
            self_registration: false,
            approval_required: true,
            matric_pattern: DEFAULT_MATRIC_PATTERN.to_owned(),
            booking_horizon_days: 14,
            booking_min_notice_minutes: 60,
            booking_max_future: 3,
            booking_one_per_day: true,
            cancel_cutoff_minutes: 120,
            no_show_grace_minutes: 30,
            queue_skip_places: 3,
        }
    }
}

pub const CLINIC_NAME: &str = "clinic_name";
pub const CLINIC_ADDRESS: &str = "clinic_address";
pub const TIME_ZONE: &str = "time_zone";
pub const CURRENCY_CODE: &str = "currency_code";
pub const CURRENCY_MINOR_DIGITS: &str = "currency_minor_digits";
pub const SELF_REGISTRATION: &str = "self_registration";
pub const APPROVAL_REQUIRED: &str = "approval_required";
pub const MATRIC_PATTERN: &str = "matric_pattern";
pub const BOOKING_HORIZON_DAYS: &str = "booking_horizon_days";
pub const BOOKING_MIN_NOTICE_MINUTES: &str = "booking_min_notice_minutes";
pub const BOOKING_MAX_FUTURE: &str = "booking_max_future";
pub const BOOKING_ONE_PER_DAY: &str = "booking_one_per_day";
pub const CANCEL_CUTOFF_MINUTES: &str = "cancel_cutoff_minutes";
pub const NO_SHOW_GRACE_MINUTES: &str = "no_show_grace_minutes";
pub const QUEUE_SKIP_PLACES: &str = "queue_skip_places";

/// The range each numeric booking setting may take.
pub fn booking_limits(key: &str) -> Option<std::ops::RangeInclusive<i64>> {
    match key {
        BOOKING_HORIZON_DAYS => Some(1..=90),
        BOOKING_MIN_NOTICE_MINUTES => Some(0..=10_080),
        BOOKING_MAX_FUTURE => Some(1..=50),
        CANCEL_CUTOFF_MINUTES => Some(0..=10_080),
        NO_SHOW_GRACE_MINUTES => Some(0..=1_440),
        QUEUE_SKIP_PLACES => Some(1..=20),
        _ => None,
    }
}

impl Settings {
    /// Builds settings from stored pairs; unknown keys and unreadable values fall back to the default,
    /// so a bad row never stops the clinic from opening.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut settings = Settings::default();
        for (key, value) in pairs {
            match key.as_str() {
                CLINIC_NAME if !value.trim().is_empty() => settings.clinic_name = value,
                CLINIC_ADDRESS => settings.clinic_address = value,
                TIME_ZONE => {
                    if let Ok(zone) = value.parse::<Tz>() {
                        settings.time_zone = zone;
                    }
                }
                CURRENCY_CODE if !value.trim().is_empty() => settings.currency_code = value,
                CURRENCY_MINOR_DIGITS => {
                    if let Ok(digits @ 0..=4) = value.parse::<u32>() {
                        settings.currency_minor_digits = digits;
                    }
                }
                SELF_REGISTRATION => settings.self_registration = value == "1",
                APPROVAL_REQUIRED => settings.approval_required = value == "1",
                MATRIC_PATTERN if parse_matric_pattern(&value).is_ok() => settings.matric_pattern = value,
                BOOKING_ONE_PER_DAY => settings.booking_one_per_day = value == "1",
                key if booking_limits(key).is_some() => {
                    let in_range = value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| booking_limits(key).is_some_and(|r| r.contains(n)));
                    if let Some(n) = in_range {
                        *settings.booking_number_mut(key) = n;
                    }
                }
                _ => {}
            }
        }
        settings
    }

    /// The stored form of every setting, for saving.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let flag = |b: bool| if b { "1" } else { "0" }.to_owned();
        vec![
            (CLINIC_NAME, self.clinic_name.clone()),
            (CLINIC_ADDRESS, self.clinic_address.clone()),
            (TIME_ZONE, self.time_zone.name().to_owned()),
            (CURRENCY_CODE, self.currency_code.clone()),
            (CURRENCY_MINOR_DIGITS, self.currency_minor_digits.to_string()),
            (SELF_REGISTRATION, flag(self.self_registration)),
            (APPROVAL_REQUIRED, flag(self.approval_required)),
            (MATRIC_PATTERN, self.matric_pattern.clone()),
            (BOOKING_HORIZON_DAYS, self.booking_horizon_days.to_string()),
            (BOOKING_MIN_NOTICE_MINUTES, self.booking_min_notice_minutes.to_string()),
            (BOOKING_MAX_FUTURE, self.booking_max_future.to_string()),
            (BOOKING_ONE_PER_DAY, flag(self.booking_one_per_day)),
            (CANCEL_CUTOFF_MINUTES, self.cancel_cutoff_minutes.to_string()),
            (NO_SHOW_GRACE_MINUTES, self.no_show_grace_minutes.to_string()),
            (QUEUE_SKIP_PLACES, self.queue_skip_places.to_string()),
        ]
    }

    fn booking_number_mut(&mut self, key: &str) -> &mut i64 {
        match key {
            BOOKING_HORIZON_DAYS => &mut self.booking_horizon_days,
            BOOKING_MIN_NOTICE_MINUTES => &mut self.booking_min_notice_minutes,
            BOOKING_MAX_FUTURE => &mut self.booking_max_future,
            CANCEL_CUTOFF_MINUTES => &mut self.cancel_cutoff_minutes,
            QUEUE_SKIP_PLACES => &mut self.queue_skip_places,
            _ => &mut self.no_show_grace_minutes,
        }
    }

    pub fn booking_rules(&self) -> crate::scheduling::model::BookingRules {
        crate::scheduling::model::BookingRules {
            horizon_days: self.booking_horizon_days,
            min_notice_minutes: self.booking_min_notice_minutes,
            max_future: self.booking_max_future,
            one_per_day: self.booking_one_per_day,
            cancel_cutoff_minutes: self.cancel_cutoff_minutes,
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.time_zone).date_naive()
    }

    /// The clinic's currency, for the money filter.
    pub fn currency(&self) -> crate::db::Currency {
        crate::db::Currency {
            code: self.currency_code.clone(),
            minor_digits: self.currency_minor_digits,
        }
    }

    /// The compiled matric pattern (a stored pattern was checked when saved; the default always compiles).
    pub fn matric_regex(&self) -> Regex {
        parse_matric_pattern(&self.matric_pattern)
            .or_else(|_| parse_matric_pattern(DEFAULT_MATRIC_PATTERN))
            .unwrap_or_else(|_| Regex::new("^$").expect("trivial regex"))
    }
}

/// A matric pattern as the admin types it: a regular expression of at most 200 characters that compiles.
pub fn parse_matric_pattern(text: &str) -> Result<Regex, InvalidValue> {
    let text = text.trim();
    if text.is_empty() || text.len() > 200 {
        return Err(InvalidValue("Enter a pattern of 1 to 200 characters.".into()));
    }
    Regex::new(text).map_err(|_| InvalidValue("This is not a valid regular expression.".into()))
}

/// The settings form, as typed. A checkbox is sent only when ticked.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub clinic_name: String,
    #[serde(default)]
    pub clinic_address: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub currency_code: String,
    #[serde(default)]
    pub currency_minor_digits: String,
    pub self_registration: Option<String>,
    pub approval_required: Option<String>,
    #[serde(default)]
    pub matric_pattern: String,
    #[serde(default)]
    pub booking_horizon_days: String,
    #[serde(default)]
    pub booking_min_notice_minutes: String,
    #[serde(default)]
    pub booking_max_future: String,
    pub booking_one_per_day: Option<String>,
    #[serde(default)]
    pub cancel_cutoff_minutes: String,
    #[serde(default)]
    pub no_show_grace_minutes: String,
    #[serde(default)]
    pub queue_skip_places: String,
}

impl From<&Settings> for SettingsForm {
    fn from(settings: &Settings) -> Self {
        let ticked = |on: bool| on.then(|| "1".to_owned());
        SettingsForm {
            clinic_name: settings.clinic_name.clone(),
            clinic_address: settings.clinic_address.clone(),
            time_zone: settings.time_zone.name().to_owned(),
            currency_code: settings.currency_code.clone(),
            currency_minor_digits: settings.currency_minor_digits.to_string(),
            self_registration: ticked(settings.self_registration),
            approval_required: ticked(settings.approval_required),
            matric_pattern: settings.matric_pattern.clone(),
            booking_horizon_days: settings.booking_horizon_days.to_string(),
            booking_min_notice_minutes: settings.booking_min_notice_minutes.to_string(),
            booking_max_future: settings.booking_max_future.to_string(),
            booking_one_per_day: ticked(settings.booking_one_per_day),
            cancel_cutoff_minutes: settings.cancel_cutoff_minutes.to_string(),
            no_show_grace_minutes: settings.no_show_grace_minutes.to_string(),
            queue_skip_places: settings.queue_skip_places.to_string(),
        }
    }
}

impl SettingsForm {
    pub fn self_registration(&self) -> bool {
        self.self_registration.is_some()
    }

    pub fn approval_required(&self) -> bool {
        self.approval_required.is_some()
    }

    /// The settings this form asks for, or a message beside each bad field.
    pub fn validate(&self) -> Result<Settings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let clinic_name = errors.check("clinic_name", parse_clinic_name(&self.clinic_name));
        let clinic_address = errors.check("clinic_address", parse_clinic_address(&self.clinic_address));
        let time_zone = errors.check("time_zone", parse_time_zone(&self.time_zone));
        let currency_code = errors.check("currency_code", parse_currency_code(&self.currency_code));
        let currency_minor_digits =
            errors.check("currency_minor_digits", parse_minor_digits(&self.currency_minor_digits));
        let matric_pattern = errors.check("matric_pattern", parse_matric_pattern(&self.matric_pattern));
        let mut number = |key: &'static str, text: &str| errors.check(key, parse_booking_number(key, text));
        let horizon = number(BOOKING_HORIZON_DAYS, &self.booking_horizon_days);
        let notice = number(BOOKING_MIN_NOTICE_MINUTES, &self.booking_min_notice_minutes);
        let max_future = number(BOOKING_MAX_FUTURE, &self.booking_max_future);
        let cutoff = number(CANCEL_CUTOFF_MINUTES, &self.cancel_cutoff_minutes);
        let grace = number(NO_SHOW_GRACE_MINUTES, &self.no_show_grace_minutes);
        let skip_places = number(QUEUE_SKIP_PLACES, &self.queue_skip_places);
        let (Some(horizon), Some(notice), Some(max_future), Some(cutoff), Some(grace), Some(skip_places)) =
            (horizon, notice, max_future, cutoff, grace, skip_places)
        else {
            return Err(errors);
        };
        match (
            clinic_name,
            clinic_address,
            time_zone,
            currency_code,
            currency_minor_digits,
            matric_pattern,
        ) {
            (Some(clinic_name), Some(clinic_address), Some(time_zone), Some(currency_code), Some(digits), Some(_)) => {
                Ok(Settings {
                    clinic_name,
                    clinic_address,
                    time_zone,
                    currency_code,
                    currency_minor_digits: digits,
                    self_registration: self.self_registration(),
                    approval_required: self.approval_required(),
                    matric_pattern: self.matric_pattern.trim().to_owned(),
                    booking_horizon_days: horizon,
                    booking_min_notice_minutes: notice,
                    booking_max_future: max_future,
                    booking_one_per_day: self.booking_one_per_day.is_some(),
                    cancel_cutoff_minutes: cutoff,
                    no_show_grace_minutes: grace,
                    queue_skip_places: skip_places,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A whole number inside the range `booking_limits` gives for `key`.
pub fn parse_booking_number(key: &str, text: &str) -> Result<i64, InvalidValue> {
    let range = booking_limits(key).unwrap_or(0..=0);
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            InvalidValue(format!(
                "Enter a whole number from {} to {}.",
                range.start(),
                range.end()
            ))
        })
}

pub fn parse_clinic_name(text: &str) -> Result<String, InvalidValue> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err(InvalidValue("Enter the clinic's name.".into())),
        1..=100 => Ok(name),
        _ => Err(InvalidValue("Keep the name to 100 characters or fewer.".into())),
    }
}

pub fn parse_clinic_address(text: &str) -> Result<String, InvalidValue> {
    let address = text.trim().replace("\r\n", "\n");
    if address.chars().count() > 500 {
        Err(InvalidValue("Keep the address to 500 characters or fewer.".into()))
    } else {
        Ok(address)
    }
}

pub fn parse_time_zone(text: &str) -> Result<Tz, InvalidValue> {
    text.trim()
        .parse::<Tz>()
        .map_err(|_| InvalidValue("Choose a time zone from the list.".into()))
}

/// An ISO 4217 code such as NGN or USD: three letters, stored in upper case.
pub fn parse_currency_code(text: &str) -> Result<String, InvalidValue> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(InvalidValue("Enter a three-letter currency code, e.g. NGN.".into()))
    }
}

/// How many decimals the currency has: 0 to 4.
pub fn parse_minor_digits(text: &str) -> Result<u32, InvalidValue> {
    match text.trim().parse::<u32>() {
        Ok(digits @ 0..=4) => Ok(digits),
        _ => Err(InvalidValue("Enter a whole number from 0 to 4.".into())),
    }
}

/// The keys whose stored value differs between `before` and `after`, in the order of `to_pairs`.
pub fn changed_keys(before: &Settings, after: &Settings) -> Vec<&'static str> {
    before
        .to_pairs()
        .into_iter()
        .zip(after.to_pairs())
        .filter(|((_, old), (_, new))| old != new)
        .map(|((key, _), _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_override_defaults() {
        let s = Settings::from_pairs([
            (CLINIC_NAME.to_owned(), "Unity Health Centre".to_owned()),
            (TIME_ZONE.to_owned(), "Europe/London".to_owned()),
            (CURRENCY_MINOR_DIGITS.to_owned(), "0".to_owned()),
            (SELF_REGISTRATION.to_owned(), "1".to_owned()),
            (MATRIC_PATTERN.to_owned(), r"^\d{9}$".to_owned()),
        ]);
        assert_eq!(s.clinic_name, "Unity Health Centre");
        assert_eq!(s.time_zone, chrono_tz::Europe::London);
        assert_eq!(s.currency_minor_digits, 0);
        assert_eq!(s.currency_code, "NGN");
        assert!(s.self_registration);
        assert!(s.matric_regex().is_match("190401001"));
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let s = Settings::from_pairs([
            (TIME_ZONE.to_owned(), "Mars/Olympus".to_owned()),
            (CURRENCY_MINOR_DIGITS.to_owned(), "9".to_owned()),
            (CLINIC_NAME.to_owned(), "  ".to_owned()),
            (MATRIC_PATTERN.to_owned(), "([unclosed".to_owned()),
            ("unknown".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn pairs_round_trip() {
        let s = Settings {
            self_registration: true,
            clinic_address: "Block C, Main Campus".into(),
            ..Settings::default()
        };
        let pairs = s.to_pairs().into_iter().map(|(k, v)| (k.to_owned(), v));
        assert_eq!(Settings::from_pairs(pairs), s);
    }

    #[test]
    fn default_matric_pattern_accepts_common_formats() {
        let re = Settings::default().matric_regex();
        for ok in ["U2019/3012345", "CSC/19/1234", "190401001", "2019-241234"] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in ["", "CSC//19", "/19/1234", "19 01", "abc/1"] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }

    fn form() -> SettingsForm {
        SettingsForm::from(&Settings::default())
    }

    #[test]
    fn a_form_of_the_current_settings_validates_to_them() {
        assert_eq!(form().validate().unwrap(), Settings::default());
        let mut typed = form();
        typed.clinic_name = "  Unity   Health ".into();
        typed.currency_code = " ghs ".into();
        typed.self_registration = Some("1".into());
        typed.approval_required = None;
        let settings = typed.validate().unwrap();
        assert_eq!(settings.clinic_name, "Unity Health");
        assert_eq!(settings.currency_code, "GHS");
        assert!(settings.self_registration && !settings.approval_required);
    }

    #[test]
    fn every_bad_field_gets_a_message() {
        let typed = SettingsForm {
            clinic_name: " ".into(),
            clinic_address: "x".repeat(501),
            time_zone: "Mars/Olympus".into(),
            currency_code: "NAIRA".into(),
            currency_minor_digits: "5".into(),
            self_registration: None,
            approval_required: None,
            matric_pattern: "([unclosed".into(),
            booking_horizon_days: "0".into(),
            booking_min_notice_minutes: "x".into(),
            booking_max_future: "51".into(),
            booking_one_per_day: None,
            cancel_cutoff_minutes: "-1".into(),
            no_show_grace_minutes: "".into(),
            queue_skip_places: "21".into(),
        };
        let errors = typed.validate().unwrap_err();
        for field in [
            BOOKING_HORIZON_DAYS,
            BOOKING_MIN_NOTICE_MINUTES,
            BOOKING_MAX_FUTURE,
            CANCEL_CUTOFF_MINUTES,
            NO_SHOW_GRACE_MINUTES,
            QUEUE_SKIP_PLACES,
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        for field in [
            "clinic_name",
            "clinic_address",
            "time_zone",
            "currency_code",
            "currency_minor_digits",
            "matric_pattern",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn currency_codes_and_digits() {
        assert_eq!(parse_currency_code("usd").unwrap(), "USD");
        for bad in ["", "US", "USDT", "U5D", "ÉUR"] {
            assert!(parse_currency_code(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_minor_digits(" 0 ").unwrap(), 0);
        for bad in ["", "-1", "5", "two", "2.0"] {
            assert!(parse_minor_digits(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_time_zone("Europe/London").unwrap(), chrono_tz::Europe::London);
        assert!(parse_time_zone("").is_err());
    }

    #[test]
    fn changed_keys_lists_only_changes() {
        let before = Settings::default();
        assert!(changed_keys(&before, &before).is_empty());
        let after = Settings {
            clinic_name: "Other".into(),
            self_registration: true,
            ..Settings::default()
        };
        assert_eq!(changed_keys(&before, &after), [CLINIC_NAME, SELF_REGISTRATION]);
    }
}
