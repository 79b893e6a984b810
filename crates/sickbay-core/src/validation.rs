//! Rules for text that comes from outside (forms, queries, uploaded files), shared by the web edge and the
//! importers so that one rule decides what text Sickbay stores.
//!
//! PostgreSQL refuses NUL in text and SQLite would store it; other control characters (escape sequences,
//! a newline in a name) corrupt lists, CSV exports and printed cards. So text may hold no control
//! character, except line breaks and tabs in the fields that are written on several lines.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Form fields whose text may span lines (the textareas); every other field holds one line. A unit test
/// checks that every textarea in `templates/` is listed here.
pub const MULTI_LINE_FIELDS: &[&str] = &[
    "address",
    "allergies",
    "allergy_reason",
    "body",
    "chronic_conditions",
    "clinic_address",
    "comment",
    // The note boxes' text as "Complete visit" carries it to the review, and as the review shows it.
    "draft_complaint",
    "draft_examination",
    "draft_history",
    "draft_plan",
    "instructions",
    "note",
    "notes",
    "profile_note",
    "reason",
];

/// Fields that are neither stored nor shown, whose own parser decides what to do with any text: the page to
/// return to after login (`web::extract::safe_next` sends anything odd to the user's home, so a crafted link
/// still lets the user log in).
const UNCHECKED_FIELDS: &[&str] = &["next"];

pub fn is_multi_line(field: &str) -> bool {
    MULTI_LINE_FIELDS.contains(&field)
}

/// What stands for a byte that could not be read as text (browsers and decoders put it in place of broken
/// bytes; imported files put it in place of NUL, which PostgreSQL can't store even inside a file's text).
pub const UNREADABLE: char = '\u{FFFD}';

/// Whether text may not hold `c`.
pub fn is_forbidden(c: char, multi_line: bool) -> bool {
    (c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t'))) || c == UNREADABLE
}

/// The first character `text` may not hold, if any.
pub fn forbidden_character(text: &str, multi_line: bool) -> Option<char> {
    text.chars().find(|&c| is_forbidden(c, multi_line))
}

/// Why `what` (a field's or column's name) is refused because of `c`, in words that say how to fix it.
pub fn forbidden_message(what: &str, c: char) -> String {
    let character = match c {
        '\n' | '\r' => "a line break".to_owned(),
        '\t' => "a tab".to_owned(),
        '\0' => "a NUL character".to_owned(),
        UNREADABLE => "an unreadable character (such as NUL)".to_owned(),
        other => format!("a control character (U+{:04X})", u32::from(other)),
    };
    format!("{what} contains {character}, which can't be stored there. Remove it and try again.")
}

/// A line of text: trimmed, without control characters, at most `max` characters; empty only when not
/// `required`.
pub fn one_line(text: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() && required {
        return Err(format!("{what} is required."));
    }
    if text.chars().count() > max {
        return Err(format!("{what} holds at most {max} characters."));
    }
    if let Some(c) = forbidden_character(text, false) {
        return Err(forbidden_message(what, c));
    }
    Ok(text.to_owned())
}

/// Text as searches compare it (patients' search tokens, ICD-10 codes, the drug catalogue): `text` in lower case with accents and other combining marks dropped, so
/// "Adéwálé Ọ̀ṣun" is "adewale osun" (decomposed with NFD, then the marks left out). Letters of other scripts
/// stay as they are.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `chronic_conditions` → `Chronic conditions`, for messages about a field whose label the edge doesn't know.
pub fn field_label(field: &str) -> String {
    capitalized(&field.replace('_', " "))
}

/// The text with its first letter in upper case: `by mouth` → `By mouth`.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A decimal number typed with at most `digits` decimals (`1,250.5`, `-3`, `.5`), as an integer of its
/// smallest unit (`parse_scaled("36.8", 1) == Some(368)`); commas and underscores group thousands.
pub fn parse_scaled(text: &str, digits: u32) -> Option<i64> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    let (negative, number) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if fraction.len() > digits as usize {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let padded = format!("{fraction:0<width$}", width = digits as usize);
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
    let scaled = whole.checked_mul(10_i64.checked_pow(digits)?)?.checked_add(fraction)?;
    Some(if negative { -scaled } else { scaled })
}

/// The most any amount of money typed into a form may be, in major units: a hundred million (naira, dollars),
/// far above any price, payment or day's cash of a clinic, so a slip of the keyboard is caught, and far below
/// what the arithmetic can hold.
pub const MONEY_MAX_MAJOR: i64 = 100_000_000;

/// Why an amount of money typed into a form can't be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    NotAnAmount,
    Negative,
    TooLarge,
}

impl MoneyError {
    /// What to say beside the field, for a currency with `minor_digits` decimals.
    pub fn message(self, minor_digits: u32) -> String {
        match self {
            MoneyError::Empty => "Enter the amount.".into(),
            MoneyError::NotAnAmount => {
                let example = if minor_digits == 0 { "1500" } else { "1500.00" };
                format!("Enter the amount as a number with at most {minor_digits} decimals, e.g. {example}.")
            }
            MoneyError::Negative => "An amount can't be negative.".into(),
            MoneyError::TooLarge => {
                "That amount is too large to be right (the most is 100,000,000); check the number.".into()
            }
        }
    }
}

/// An amount of money typed into a form in major units (`1,500.50`), with at most `minor_digits` decimals: the
/// one parser of every money field (prices, payments, refunds, credit notes, discounts, the cash counted), with
/// the one limit `MONEY_MAX_MAJOR`, compared in minor units. Zero passes; a field that needs more says so.
pub fn parse_money(text: &str, minor_digits: u32) -> Result<crate::db::Money, MoneyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    let Some(minor) = parse_scaled(text, minor_digits) else {
        // A number of the right shape that doesn't fit is too large, not malformed.
        let digits: String = text.chars().filter(|c| !matches!(c, ',' | '_')).collect();
        let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
        let shaped = !whole.is_empty()
            && whole.chars().all(|c| c.is_ascii_digit())
            && fraction.chars().all(|c| c.is_ascii_digit())
            && fraction.len() <= minor_digits as usize;
        return Err(if shaped {
            MoneyError::TooLarge
        } else {
            MoneyError::NotAnAmount
        });
    };
    if minor < 0 {
        return Err(MoneyError::Negative);
    }
    let max = 10_i64
        .checked_pow(minor_digits)
        .and_then(|scale| MONEY_MAX_MAJOR.checked_mul(scale))
        .unwrap_or(i64::MAX);
    if minor > max {
        return Err(MoneyError::TooLarge);
    }
    Ok(crate::db::Money(minor))
}

/// Checks every value of a URL-encoded form or query: the message for the first field that breaks the rule.
pub fn check_urlencoded(bytes: &[u8]) -> Result<(), String> {
    for (field, value) in form_urlencoded::parse(bytes) {
        if UNCHECKED_FIELDS.contains(&field.as_ref()) {
            continue;
        }
        if let Some(c) = forbidden_character(&value, is_multi_line(&field)) {
            return Err(forbidden_message(&format!("“{}”", field_label(&field)), c));
        }
    }
    Ok(())
}

/// A record's id as typed in a form or query: a positive whole number, or nothing.
pub fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// The ids of a form field sent once per ticked box (`order=3&order=7`); values that are not ids are skipped.
pub fn ids_named(fields: &[(String, String)], name: &str) -> Vec<i64> {
    fields
        .iter()
        .filter(|(field, _)| field == name)
        .filter_map(|(_, value)| parse_id(value))
        .collect()
}

/// Messages keyed by field name, shown beside the fields of a re-rendered form.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

/// No messages: for fields of forms that report their error elsewhere (the login form, uploads).
pub const NO_ERRORS: FieldErrors = FieldErrors(BTreeMap::new());

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, in the order of the field names.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    /// These messages and those of `other` (the first message of a field wins).
    pub fn merged(mut self, other: FieldErrors) -> FieldErrors {
        for (field, message) in other.0 {
            self.add(field, message);
        }
        self
    }

    /// Turns `Err` into a message on `field` and gives back the value when there was one.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_per_field_wins() {
        let mut errors = FieldErrors::default();
        assert!(errors.is_empty());
        errors.add("name", "required");
        errors.add("name", "too long");
        assert_eq!(errors.get("name"), Some("required"));
        assert_eq!(errors.check::<i32, _>("age", Err("not a number")), None);
        assert_eq!(errors.get("age"), Some("not a number"));
        assert_eq!(errors.check::<_, String>("x", Ok(3)), Some(3));
    }

    #[test]
    fn capitalized_raises_the_first_letter_only() {
        assert_eq!(capitalized("by mouth (oral)"), "By mouth (oral)");
        assert_eq!(capitalized("ọ̀ṣun"), "Ọ̀ṣun");
        assert_eq!(capitalized(""), "");
    }

    #[test]
    fn scaled_decimals_keep_their_digits() {
        assert_eq!(parse_scaled("36.8", 1), Some(368));
        assert_eq!(parse_scaled(" 70 ", 1), Some(700));
        assert_eq!(parse_scaled(".5", 1), Some(5));
        assert_eq!(parse_scaled("-1,250.50", 2), Some(-125_050));
        for bad in ["", ".", "36.85", "3a", "1e3", "--1", "99999999999999999999"] {
            assert_eq!(parse_scaled(bad, 1), None, "{bad:?}");
        }
    }

    #[test]
    fn every_amount_of_money_has_one_parser_and_one_limit() {
        use crate::db::Money;
        assert_eq!(parse_money("1,500.50", 2), Ok(Money(150_050)));
        assert_eq!(parse_money(" 0 ", 2), Ok(Money(0)));
        assert_eq!(parse_money("2500", 0), Ok(Money(2_500)));
        assert_eq!(parse_money("100,000,000", 2), Ok(Money(10_000_000_000)));
        assert_eq!(parse_money("100000000", 0), Ok(Money(100_000_000)));
        // A cent above the limit is above it (a whole-unit comparison let 100000000.01 through).
        assert_eq!(parse_money("100000000.01", 2), Err(MoneyError::TooLarge));
        assert_eq!(parse_money("100000001", 0), Err(MoneyError::TooLarge));
        assert_eq!(parse_money("1,000,000,000,000,000", 2), Err(MoneyError::TooLarge));
        assert_eq!(parse_money("99999999999999999999", 2), Err(MoneyError::TooLarge));
        assert_eq!(parse_money("", 2), Err(MoneyError::Empty));
        assert_eq!(parse_money("-5", 2), Err(MoneyError::Negative));
        for bad in ["abc", "1.234", "1e3", "1.5.0", "12,5x"] {
            assert_eq!(parse_money(bad, 2), Err(MoneyError::NotAnAmount), "{bad:?}");
        }
        assert_eq!(parse_money("1.5", 0), Err(MoneyError::NotAnAmount));
        assert!(MoneyError::TooLarge.message(2).contains("100,000,000"));
        assert!(MoneyError::NotAnAmount.message(0).contains("e.g. 1500."));
    }

    #[test]
    fn one_line_fields_refuse_every_control_character() {
        for bad in ["a\0b", "a\nb", "a\rb", "a\tb", "\u{1b}[31m", "x\u{7f}", "x\u{85}"] {
            assert!(forbidden_character(bad, false).is_some(), "{bad:?}");
        }
        assert_eq!(forbidden_character("Adéwálé Ọ̀ṣun, 12 Road", false), None);
    }

    #[test]
    fn multi_line_fields_allow_line_breaks_and_tabs_only() {
        assert_eq!(forbidden_character("line one\r\nline\ttwo\n", true), None);
        assert_eq!(forbidden_character("a\0b", true), Some('\0'));
        assert_eq!(forbidden_character("a\u{1b}b", true), Some('\u{1b}'));
        assert_eq!(forbidden_character("a\u{fffd}b", true), Some(UNREADABLE));
    }

    #[test]
    fn urlencoded_values_are_checked_by_field() {
        assert_eq!(check_urlencoded(b"address=line+1%0D%0Aline+2&first_name=Ada"), Ok(()));
        assert_eq!(
            check_urlencoded(b"first_name=A%00da").unwrap_err(),
            "“First name” contains a NUL character, which can't be stored there. Remove it and try again."
        );
        assert!(
            check_urlencoded(b"surname=Bello%0Ax")
                .unwrap_err()
                .contains("a line break")
        );
        assert!(check_urlencoded(b"q=%1B").unwrap_err().contains("U+001B"));
        assert_eq!(check_urlencoded(b"next=%2F%09%2Fevil.example"), Ok(()));
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(field_label("chronic_conditions"), "Chronic conditions");
        assert_eq!(field_label(""), "");
    }
}
