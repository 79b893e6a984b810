//! A feature's part of the clinic settings: its keys, each with its label, default, range or parser, and the
//! fieldset of the settings form that shows them. Each key is one typed value (`Number`, `Flag`, `Text`), read
//! into one field of the feature's settings struct, so a key can't land in another key's slot.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::db::types::InvalidValue;
use crate::validation::FieldErrors;

/// Setting values as text by key: the stored rows, or the settings form as typed.
pub type Values = BTreeMap<String, String>;

/// A feature's settings, as one fieldset of the settings page.
pub trait Section: Default + Sized {
    const TITLE: &'static str;

    /// The settings held in `stored`; a missing or unreadable value is the default.
    fn from_stored(stored: &Values) -> Self;

    /// The settings the form asks for, or `None` with a message beside each bad field in `errors`.
    fn from_form(form: &Values, errors: &mut FieldErrors) -> Option<Self>;

    /// Every key with its stored text, in the order of the form.
    fn to_stored(&self) -> Vec<(&'static str, String)>;

    /// The fields of the form, showing `form` (the stored values, or what the user typed).
    fn fields(form: &Values) -> Vec<Field>;

    /// The keys this section owns.
    fn keys() -> Vec<&'static str> {
        Self::default().to_stored().into_iter().map(|(key, _)| key).collect()
    }

    /// The last part of the section's address on the settings pages.
    fn slug() -> String {
        slug_of(Self::TITLE)
    }

    /// The section's fieldset, showing `form`.
    fn fieldset(form: &Values) -> Fieldset {
        Fieldset {
            title: Self::TITLE,
            fields: Self::fields(form),
        }
    }
}

/// One fieldset of the settings page.
#[derive(Clone, Debug)]
pub struct Fieldset {
    pub title: &'static str,
    pub fields: Vec<Field>,
}

impl Fieldset {
    /// The last part of the section's address on the settings pages.
    pub fn slug(&self) -> String {
        slug_of(self.title)
    }

    /// Whether `errors` holds a message for one of the section's fields.
    pub fn has_mistake(&self, errors: &FieldErrors) -> bool {
        self.fields.iter().any(|field| errors.get(field.key).is_some())
    }
}

/// The last part of a section's address: its title in lower case, words joined by hyphens ("SMS provider"
/// is "sms-provider").
fn slug_of(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// One field of the settings page, as the `field` macro of `templates/macros.html` draws it.
#[derive(Clone, Debug, Default)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub help: &'static str,
    /// An input type, "textarea", "checkbox" or "select".
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub required: bool,
    pub maxlength: u32,
    /// Attributes built from constants of the code (never from input), so the template doesn't escape them.
    pub extra: String,
    /// A select's options; for a text field, the suggestions of a datalist `{key}-list` (which its `extra`
    /// names with `list=`).
    pub options: Vec<&'static str>,
    /// What a select shows for each of `options` where the stored value is not for people to read (a pattern
    /// shown by its examples); empty when the options are their own words.
    pub option_labels: Vec<&'static str>,
    /// Takes the whole width of the fieldset rather than a column.
    pub wide: bool,
}

impl Field {
    /// Whether `option` of a select is the one shown.
    pub fn chosen(&self, option: &str) -> bool {
        self.value.trim() == option
    }

    /// A select's options with the words each shows.
    pub fn choices(&self) -> Vec<(&'static str, &'static str)> {
        self.options
            .iter()
            .enumerate()
            .map(|(i, option)| (*option, self.option_labels.get(i).copied().unwrap_or(option)))
            .collect()
    }

    /// A value of a select with labelled options that is none of them (set before the options existed, or sent
    /// by hand): shown as one more option, so saving the page keeps it.
    pub fn other_value(&self) -> Option<&str> {
        let value = self.value.trim();
        (!self.option_labels.is_empty() && !self.options.contains(&value)).then_some(value)
    }
}

fn text_of<'v>(values: &'v Values, key: &str) -> &'v str {
    values.get(key).map_or("", String::as_str)
}

/// One key of the settings: its value read from storage (the default when missing or unreadable), taken from
/// the form (a message in `errors` when it is bad), written back as text, and drawn as a field.
pub trait Setting {
    type Value;
    fn read(&self, stored: &Values) -> Self::Value;
    fn take(&self, form: &Values, errors: &mut FieldErrors) -> Option<Self::Value>;
    fn pair(&self, value: &Self::Value) -> (&'static str, String);
    fn field(&self, form: &Values) -> Field;
}

/// Declares a feature's settings section once, as vaultwarden's `make_config!` does: its title and, in the
/// form's order, each field of the settings struct with the key that holds it. Reading, the form, storing and
/// the fieldset all come from that one list, and so does the default: every key's own default, as read from
/// no stored values. `check` (optional) looks at the form as a whole, adding to the errors and answering
/// whether it can be saved (a rule between two keys).
#[macro_export]
macro_rules! settings_section {
    ($section:ty, $title:expr, [$($field:ident: $key:expr),+ $(,)?] $(, check = $check:path)?) => {
        impl Default for $section {
            fn default() -> Self {
                <Self as $crate::settings_section::Section>::from_stored(&$crate::settings_section::Values::new())
            }
        }

        impl $crate::settings_section::Section for $section {
            const TITLE: &'static str = $title;

            fn from_stored(stored: &$crate::settings_section::Values) -> Self {
                use $crate::settings_section::Setting as _;
                Self { $($field: $key.read(stored)),+ }
            }

            fn from_form(
                form: &$crate::settings_section::Values,
                errors: &mut $crate::validation::FieldErrors,
            ) -> Option<Self> {
                use $crate::settings_section::Setting as _;
                $(let $field = $key.take(form, errors);)+
                $(if !$check(form, errors) {
                    return None;
                })?
                Some(Self { $($field: $field?),+ })
            }

            fn to_stored(&self) -> Vec<(&'static str, String)> {
                use $crate::settings_section::Setting as _;
                vec![$($key.pair(&self.$field)),+]
            }

            fn fields(form: &$crate::settings_section::Values) -> Vec<$crate::settings_section::Field> {
                use $crate::settings_section::Setting as _;
                vec![$($key.field(form)),+]
            }
        }
    };
}

/// A whole number within a range.
pub struct Number {
    pub key: &'static str,
    pub label: &'static str,
    pub range: RangeInclusive<i64>,
    pub default: i64,
}

impl Number {
    pub fn parse(&self, text: &str) -> Result<i64, InvalidValue> {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| self.range.contains(n))
            .ok_or_else(|| {
                InvalidValue(format!(
                    "Enter a whole number from {} to {}.",
                    self.range.start(),
                    self.range.end()
                ))
            })
    }
}

impl Setting for Number {
    type Value = i64;

    fn read(&self, stored: &Values) -> i64 {
        stored
            .get(self.key)
            .and_then(|text| self.parse(text).ok())
            .unwrap_or(self.default)
    }

    fn take(&self, form: &Values, errors: &mut FieldErrors) -> Option<i64> {
        errors.check(self.key, self.parse(text_of(form, self.key)))
    }

    fn pair(&self, value: &i64) -> (&'static str, String) {
        (self.key, value.to_string())
    }

    fn field(&self, form: &Values) -> Field {
        Field {
            key: self.key,
            label: self.label,
            kind: "number",
            value: text_of(form, self.key).to_owned(),
            extra: format!("min={} max={} step=1", self.range.start(), self.range.end()),
            ..Field::default()
        }
    }
}

/// A yes or no, stored as "1" or "0"; in the form a checkbox, sent only when ticked.
pub struct Flag {
    pub key: &'static str,
    pub label: &'static str,
    pub default: bool,
}

impl Flag {
    /// Ticked: the browser sent the box. "0" is the stored "no", so stored values show as a form too.
    pub fn ticked(&self, form: &Values) -> bool {
        form.get(self.key).is_some_and(|value| value != "0")
    }
}

impl Setting for Flag {
    type Value = bool;

    fn read(&self, stored: &Values) -> bool {
        match stored.get(self.key).map(String::as_str) {
            Some("1") => true,
            Some("0") => false,
            _ => self.default,
        }
    }

    /// A box is always a good answer: ticked or not.
    fn take(&self, form: &Values, _errors: &mut FieldErrors) -> Option<bool> {
        Some(self.ticked(form))
    }

    fn pair(&self, value: &bool) -> (&'static str, String) {
        (self.key, if *value { "1" } else { "0" }.to_owned())
    }

    fn field(&self, form: &Values) -> Field {
        Field {
            key: self.key,
            label: self.label,
            kind: "checkbox",
            checked: self.ticked(form),
            extra: "role=switch".to_owned(),
            wide: true,
            ..Field::default()
        }
    }
}

/// A value typed as text and read by its own parser.
pub struct Text<T: 'static> {
    pub key: &'static str,
    pub parse: fn(&str) -> Result<T, InvalidValue>,
    pub show: fn(&T) -> String,
    pub default: fn() -> T,
    /// How the form shows it (`key`, `value` and `checked` are filled in).
    pub look: fn() -> Field,
}

impl<T> Setting for Text<T> {
    type Value = T;

    fn read(&self, stored: &Values) -> T {
        stored
            .get(self.key)
            .and_then(|text| (self.parse)(text).ok())
            .unwrap_or_else(self.default)
    }

    fn take(&self, form: &Values, errors: &mut FieldErrors) -> Option<T> {
        errors.check(self.key, (self.parse)(text_of(form, self.key)))
    }

    fn pair(&self, value: &T) -> (&'static str, String) {
        (self.key, (self.show)(value))
    }

    fn field(&self, form: &Values) -> Field {
        Field {
            key: self.key,
            value: text_of(form, self.key).to_owned(),
            ..(self.look)()
        }
    }
}

/// The stored form of `section`, as form values.
pub fn values_of<S: Section>(section: &S) -> Values {
    section
        .to_stored()
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAYS: Number = Number {
        key: "days",
        label: "Days",
        range: 1..=90,
        default: 14,
    };
    const ON: Flag = Flag {
        key: "on",
        label: "On",
        default: true,
    };

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn numbers_keep_to_their_range_and_fall_back_to_the_default() {
        assert_eq!(DAYS.read(&values(&[("days", " 90 ")])), 90);
        for bad in ["0", "91", "x", "", "1.5"] {
            assert_eq!(DAYS.read(&values(&[("days", bad)])), 14, "{bad:?}");
        }
        assert_eq!(DAYS.read(&values(&[("other", "3")])), 14);
        let mut errors = FieldErrors::default();
        assert_eq!(DAYS.take(&values(&[("days", "91")]), &mut errors), None);
        assert_eq!(errors.get("days"), Some("Enter a whole number from 1 to 90."));
        assert_eq!(DAYS.field(&values(&[("days", "7")])).extra, "min=1 max=90 step=1");
    }

    #[test]
    fn flags_read_one_and_zero_and_keep_the_default_otherwise() {
        assert!(!ON.read(&values(&[("on", "0")])));
        assert!(ON.read(&values(&[("on", "yes")])));
        assert!(ON.ticked(&values(&[("on", "1")])));
        assert!(!ON.ticked(&values(&[])));
        assert!(!ON.ticked(&values(&[("on", "0")])));
        assert_eq!(ON.pair(&false), ("on", "0".to_owned()));
    }
}
