use chrono_tz::Tz;
use regex::Regex;

use crate::db::types::InvalidValue;

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
        ]
    }

    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.time_zone).date_naive()
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
}
