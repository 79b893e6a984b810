//! The queue's settings: where a skipped ticket goes back in.

use crate::settings_section::Number;

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

crate::settings_section!(
    QueueSettings,
    "Queue",
    [
        skip_places: SKIP_PLACES,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

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
