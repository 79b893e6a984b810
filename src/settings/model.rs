use chrono_tz::Tz;

/// Every setting the clinic can change, with its default.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub clinic_name: String,
    pub time_zone: Tz,
    pub currency_code: String,
    pub currency_minor_digits: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clinic_name: "Sickbay Clinic".to_owned(),
            time_zone: chrono_tz::Africa::Lagos,
            currency_code: "NGN".to_owned(),
            currency_minor_digits: 2,
        }
    }
}

pub const CLINIC_NAME: &str = "clinic_name";
pub const TIME_ZONE: &str = "time_zone";
pub const CURRENCY_CODE: &str = "currency_code";
pub const CURRENCY_MINOR_DIGITS: &str = "currency_minor_digits";

impl Settings {
    /// Builds settings from stored pairs; unknown keys and unreadable values fall back to the default,
    /// so a bad row never stops the clinic from opening.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut settings = Settings::default();
        for (key, value) in pairs {
            match key.as_str() {
                CLINIC_NAME if !value.trim().is_empty() => settings.clinic_name = value,
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
                _ => {}
            }
        }
        settings
    }

    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.time_zone).date_naive()
    }
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
        ]);
        assert_eq!(s.clinic_name, "Unity Health Centre");
        assert_eq!(s.time_zone, chrono_tz::Europe::London);
        assert_eq!(s.currency_minor_digits, 0);
        assert_eq!(s.currency_code, "NGN");
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let s = Settings::from_pairs([
            (TIME_ZONE.to_owned(), "Mars/Olympus".to_owned()),
            (CURRENCY_MINOR_DIGITS.to_owned(), "9".to_owned()),
            (CLINIC_NAME.to_owned(), "  ".to_owned()),
            ("unknown".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(s, Settings::default());
    }
}
