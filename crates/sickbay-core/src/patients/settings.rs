//! The registration settings: whether students may create their own portal account, whether staff approve
//! it first, and the pattern a matric number must match.

use regex::Regex;

use crate::db::types::InvalidValue;
use crate::settings_section::{Field, Flag, Text};

/// Letters and digits in groups joined by `/` or `-`, such as `U2019/3012345`, `CSC/19/1234` or `190401001`.
pub const DEFAULT_MATRIC_PATTERN: &str = r"^[A-Z0-9]+([/-][A-Z0-9]+)*$";

/// The matric number formats an admin chooses from, each by examples of its numbers (pattern, examples).
pub const MATRIC_FORMATS: [(&str, &str); 5] = [
    (
        DEFAULT_MATRIC_PATTERN,
        "Any: letters and digits, in groups joined by / or - (U2019/3012345, CSC/19/1234, 190401001)",
    ),
    (
        r"^[A-Z]{2,4}/\d{2}/\d{3,5}$",
        "Department / year / number (CSC/19/1234, MCB/23/0006)",
    ),
    (r"^[A-Z]\d{4}/\d{5,8}$", "Letter and year / number (U2019/3012345)"),
    (r"^\d{4}/\d{4,8}$", "Year / number (2019/123456)"),
    (r"^\d{6,12}$", "Digits only, 6 to 12 of them (190401001)"),
];

pub const SELF_REGISTRATION: Flag = Flag {
    key: "self_registration",
    label: "Students may create their own portal account",
    default: false,
};
pub const APPROVAL_REQUIRED: Flag = Flag {
    key: "approval_required",
    label: "Self-registered students wait for staff approval before they can book",
    default: true,
};
/// The examples of a format of [`MATRIC_FORMATS`] by its pattern ("CSC/19/1234, MCB/23/0006"); none for a pattern
/// set by hand.
pub fn matric_examples(pattern: &str) -> Option<&'static str> {
    let (_, label) = MATRIC_FORMATS.iter().find(|(known, _)| *known == pattern)?;
    label.rsplit_once('(')?.1.strip_suffix(')')
}

pub const MATRIC_PATTERN: Text<String> = Text {
    key: "matric_pattern",
    parse: |text| parse_matric_pattern(text).map(|_| text.trim().to_owned()),
    show: String::clone,
    default: || DEFAULT_MATRIC_PATTERN.to_owned(),
    look: || Field {
        label: "Matric number format",
        help: "Chosen from your university's numbers: registration and imports refuse a matric number of another \
               format.",
        kind: "select",
        required: true,
        options: MATRIC_FORMATS.iter().map(|(pattern, _)| *pattern).collect(),
        option_labels: MATRIC_FORMATS.iter().map(|(_, examples)| *examples).collect(),
        wide: true,
        ..Field::default()
    },
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationSettings {
    /// Students may create their own portal account on /register.
    pub self_registration: bool,
    /// Self-registered students wait for a staff member's approval before they can book.
    pub approval_required: bool,
    /// The pattern a matric number (upper-cased) must match.
    pub matric_pattern: String,
}

impl RegistrationSettings {
    /// The compiled matric pattern (a stored pattern was checked when read; the default always compiles).
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

crate::settings_section!(
    RegistrationSettings,
    "Student registration",
    [
        self_registration: SELF_REGISTRATION,
        approval_required: APPROVAL_REQUIRED,
        matric_pattern: MATRIC_PATTERN,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::Setting;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    #[test]
    fn each_matric_format_accepts_its_own_examples() {
        for (pattern, words) in MATRIC_FORMATS {
            let regex = parse_matric_pattern(pattern).expect(pattern);
            let examples = &words[words.find('(').expect("examples") + 1..words.len() - 1];
            for example in examples.split(", ") {
                assert!(regex.is_match(example), "{pattern} refuses its example {example}");
            }
        }
        let department = parse_matric_pattern(MATRIC_FORMATS[1].0).expect("compiles");
        assert!(!department.is_match("190401001"));
    }

    fn stored(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_and_stored_values() {
        let s = RegistrationSettings::default();
        assert!(!s.self_registration && s.approval_required);
        assert_eq!(s.matric_pattern, DEFAULT_MATRIC_PATTERN);
        let s =
            RegistrationSettings::from_stored(&stored(&[("self_registration", "1"), ("matric_pattern", r"^\d{9}$")]));
        assert!(s.self_registration);
        assert!(s.matric_regex().is_match("190401001"));
    }

    #[test]
    fn a_bad_stored_pattern_keeps_the_default() {
        for bad in ["([unclosed", "", "   "] {
            let s = RegistrationSettings::from_stored(&stored(&[("matric_pattern", bad)]));
            assert_eq!(s.matric_pattern, DEFAULT_MATRIC_PATTERN, "{bad:?}");
        }
    }

    #[test]
    fn the_form_refuses_a_bad_pattern_and_reads_unticked_boxes_as_no() {
        let mut errors = FieldErrors::default();
        let form = stored(&[("matric_pattern", " ^\\d{9}$ ")]);
        let s = RegistrationSettings::from_form(&form, &mut errors).expect("valid");
        assert_eq!(s.matric_pattern, r"^\d{9}$");
        assert!(!s.self_registration && !s.approval_required);
        assert_eq!(
            RegistrationSettings::from_form(&stored(&[("matric_pattern", "(")]), &mut errors),
            None
        );
        assert_eq!(
            errors.get("matric_pattern"),
            Some("This is not a valid regular expression.")
        );
    }

    #[test]
    fn the_format_is_a_choice_of_examples_with_the_default_first() {
        let field = MATRIC_PATTERN.field(&Values::new());
        assert_eq!(field.kind, "select");
        let choices = field.choices();
        assert_eq!(choices[0].0, DEFAULT_MATRIC_PATTERN);
        assert!(
            choices.iter().all(|(_, words)| !words.contains('^')),
            "no pattern is shown as words"
        );
        let custom = MATRIC_PATTERN.field(&stored(&[("matric_pattern", r"^\d{9}$")]));
        assert_eq!(
            custom.other_value(),
            Some(r"^\d{9}$"),
            "a pattern set before is kept as an option"
        );
        assert_eq!(
            MATRIC_PATTERN
                .field(&stored(&[("matric_pattern", DEFAULT_MATRIC_PATTERN)]))
                .other_value(),
            None
        );
    }

    #[test]
    fn default_matric_pattern_accepts_common_formats() {
        let re = RegistrationSettings::default().matric_regex();
        for ok in ["U2019/3012345", "CSC/19/1234", "190401001", "2019-241234"] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in ["", "CSC//19", "/19/1234", "19 01", "abc/1"] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }
}
