//! The queue's settings: where a skipped ticket goes back in.

use crate::settings_section::{Field, Number, Section, Values};
use crate::validation::FieldErrors;

pub const SKIP_PLACES: Number = Number {
    key: "queue_skip_places",
    label: "A skipped ticket goes back behind (waiting patients)",
    range: 1..=20,
    default: 3,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// How many waiting patients a skipped ticket goes back behind.
    pub skip_places: i64,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings::from_stored(&Values::new())
    }
}

impl Section for QueueSettings {
    const TITLE: &'static str = "Queue";

    fn from_stored(stored: &Values) -> Self {
        QueueSettings {
            skip_places: SKIP_PLACES.read(stored),
        }
    }

    fn from_form(form: &Values, errors: &mut FieldErrors) -> Option<Self> {
        Some(QueueSettings {
            skip_places: SKIP_PLACES.typed(form, errors)?,
        })
    }

    fn to_stored(&self) -> Vec<(&'static str, String)> {
        vec![SKIP_PLACES.pair(self.skip_places)]
    }

    fn fields(form: &Values) -> Vec<Field> {
        vec![SKIP_PLACES.field(form)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_places_default_range_and_fallback() {
        assert_eq!(QueueSettings::default().skip_places, 3);
        let stored = |v: &str| Values::from([(SKIP_PLACES.key.to_owned(), v.to_owned())]);
        assert_eq!(QueueSettings::from_stored(&stored("20")).skip_places, 20);
        assert_eq!(QueueSettings::from_stored(&stored("21")).skip_places, 3);
        let mut errors = FieldErrors::default();
        assert_eq!(QueueSettings::from_form(&stored("0"), &mut errors), None);
        assert_eq!(
            errors.get("queue_skip_places"),
            Some("Enter a whole number from 1 to 20.")
        );
    }
}
