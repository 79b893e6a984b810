//! The clinic's own settings: its name and address, its time zone and its currency.

use chrono_tz::{TZ_VARIANTS, Tz};

use crate::db::types::InvalidValue;
use crate::db::{Currency, Reader};
use crate::settings_section::{Field, Setting, Text, Values};

pub const NAME: Text<String> = Text {
    key: "clinic_name",
    parse: parse_clinic_name,
    show: String::clone,
    default: || "Sickbay Clinic".to_owned(),
    look: || Field {
        label: "Clinic name",
        kind: "text",
        required: true,
        maxlength: 100,
        extra: "autocomplete=organization".to_owned(),
        wide: true,
        ..Field::default()
    },
};
pub const ADDRESS: Text<String> = Text {
    key: "clinic_address",
    parse: parse_clinic_address,
    show: String::clone,
    default: String::new,
    look: || Field {
        label: "Address",
        hint: "(optional; shown on receipts and cards)",
        kind: "textarea",
        maxlength: 500,
        wide: true,
        ..Field::default()
    },
};
pub const TIME_ZONE: Text<Tz> = Text {
    key: "time_zone",
    parse: parse_time_zone,
    show: |zone| zone.name().to_owned(),
    default: || chrono_tz::Africa::Lagos,
    look: || Field {
        label: "Time zone",
        help: "Dates and times are shown in this zone. Type a city to find it (Lagos, Accra, Nairobi).",
        // Some 600 zones: a box that suggests as you type rather than a list to scroll.
        kind: "text",
        required: true,
        extra: "list=time_zone-list autocomplete=off spellcheck=false".to_owned(),
        options: TZ_VARIANTS.iter().map(|zone| zone.name()).collect(),
        wide: true,
        ..Field::default()
    },
};
pub const CURRENCY_CODE: Text<String> = Text {
    key: "currency_code",
    parse: parse_currency_code,
    show: String::clone,
    default: || "NGN".to_owned(),
    look: || Field {
        label: "Currency code",
        help: "Three letters, e.g. NGN, GHS, USD.",
        kind: "text",
        required: true,
        maxlength: 3,
        extra: "autocapitalize=characters spellcheck=false".to_owned(),
        ..Field::default()
    },
};
pub const CURRENCY_MINOR_DIGITS: Text<u32> = Text {
    key: "currency_minor_digits",
    parse: parse_minor_digits,
    show: u32::to_string,
    default: || 2,
    look: || Field {
        label: "Decimal places",
        help: "0 to 4; 2 for kobo or cents.",
        kind: "number",
        required: true,
        extra: "min=0 max=4 step=1".to_owned(),
        ..Field::default()
    },
};

/// The clinic's currency as saved now (on the pool, or inside the caller's transaction), for words written
/// to keep, such as the log's ("NGN 1,800.00" rather than the stored 180000).
pub async fn currency(db: impl Reader) -> Result<Currency, sqlx::Error> {
    let stored: Values = crate::settings::repo::load_all(db).await?.into_iter().collect();
    Ok(currency_of(&stored))
}

/// The currency as the stored settings give it (each key's default where it is missing).
pub fn currency_of(stored: &Values) -> Currency {
    Currency {
        code: CURRENCY_CODE.read(stored),
        minor_digits: CURRENCY_MINOR_DIGITS.read(stored),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClinicSettings {
    pub name: String,
    pub address: String,
    pub time_zone: Tz,
    pub currency_code: String,
    pub currency_minor_digits: u32,
}

crate::settings_section!(
    ClinicSettings,
    "The clinic",
    [
        name: NAME,
        address: ADDRESS,
        time_zone: TIME_ZONE,
        currency_code: CURRENCY_CODE,
        currency_minor_digits: CURRENCY_MINOR_DIGITS,
    ]
);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    fn stored(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn stored_values_override_defaults_and_bad_ones_keep_them() {
        let s = ClinicSettings::from_stored(&stored(&[
            ("clinic_name", "Unity Health Centre"),
            ("time_zone", "Europe/London"),
            ("currency_minor_digits", "0"),
        ]));
        assert_eq!(s.name, "Unity Health Centre");
        assert_eq!(s.time_zone, chrono_tz::Europe::London);
        assert_eq!(s.currency_minor_digits, 0);
        assert_eq!(s.currency_code, "NGN");
        let s = ClinicSettings::from_stored(&stored(&[
            ("time_zone", "Mars/Olympus"),
            ("currency_minor_digits", "9"),
            ("clinic_name", "  "),
            ("currency_code", "naira"),
        ]));
        assert_eq!(s, ClinicSettings::default());
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
    fn the_form_normalises_and_reports_every_bad_field() {
        let mut errors = FieldErrors::default();
        let typed = stored(&[
            ("clinic_name", "  Unity   Health "),
            ("time_zone", "Africa/Accra"),
            ("currency_code", " ghs "),
            ("currency_minor_digits", "2"),
        ]);
        let s = ClinicSettings::from_form(&typed, &mut errors).expect("valid");
        assert_eq!((s.name.as_str(), s.currency_code.as_str()), ("Unity Health", "GHS"));
        let bad = stored(&[("clinic_address", &"x".repeat(501))]);
        assert_eq!(ClinicSettings::from_form(&bad, &mut errors), None);
        for key in ClinicSettings::keys() {
            assert!(errors.get(key).is_some(), "{key}");
        }
    }
}
