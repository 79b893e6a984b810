//! The booking settings: how far ahead and how close to the start patients may book, how many bookings they
//! may hold, until when they may cancel, and when an unchecked booking becomes a no-show.

use crate::scheduling::model::BookingRules;
use crate::settings_section::{Flag, Number};

pub const HORIZON_DAYS: Number = Number {
    key: "booking_horizon_days",
    label: "Days ahead that can be booked",
    range: 1..=90,
    default: 14,
};
pub const MIN_NOTICE_MINUTES: Number = Number {
    key: "booking_min_notice_minutes",
    label: "Minimum notice (minutes)",
    range: 0..=10_080,
    default: 60,
};
pub const MAX_FUTURE: Number = Number {
    key: "booking_max_future",
    label: "Upcoming appointments per patient",
    range: 1..=50,
    default: 3,
};
pub const CANCEL_CUTOFF_MINUTES: Number = Number {
    key: "cancel_cutoff_minutes",
    label: "Patients may cancel until (minutes before)",
    range: 0..=10_080,
    default: 120,
};
pub const NO_SHOW_GRACE_MINUTES: Number = Number {
    key: "no_show_grace_minutes",
    label: "No-show after the slot ends (minutes)",
    range: 0..=1_440,
    default: 30,
};
pub const ONE_PER_DAY: Flag = Flag {
    key: "booking_one_per_day",
    label: "At most one appointment per patient per day",
    default: true,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingSettings {
    /// How many days ahead slots exist and may be booked.
    pub horizon_days: i64,
    /// How long before a slot starts a patient may still book it.
    pub min_notice_minutes: i64,
    /// How many upcoming bookings one patient may hold.
    pub max_future: i64,
    /// At most one live booking per patient per day.
    pub one_per_day: bool,
    /// Until how long before the start a patient may cancel or move a booking.
    pub cancel_cutoff_minutes: i64,
    /// How long after a slot ends an unchecked booking becomes a no-show.
    pub no_show_grace_minutes: i64,
}

impl BookingSettings {
    pub fn rules(&self) -> BookingRules {
        BookingRules {
            horizon_days: self.horizon_days,
            min_notice_minutes: self.min_notice_minutes,
            max_future: self.max_future,
            one_per_day: self.one_per_day,
            cancel_cutoff_minutes: self.cancel_cutoff_minutes,
        }
    }
}

crate::settings_section!(
    BookingSettings,
    "Booking",
    [
        horizon_days: HORIZON_DAYS,
        min_notice_minutes: MIN_NOTICE_MINUTES,
        max_future: MAX_FUTURE,
        cancel_cutoff_minutes: CANCEL_CUTOFF_MINUTES,
        no_show_grace_minutes: NO_SHOW_GRACE_MINUTES,
        one_per_day: ONE_PER_DAY,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::values_of;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    fn stored(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults() {
        let s = BookingSettings::default();
        assert_eq!((s.horizon_days, s.min_notice_minutes, s.max_future), (14, 60, 3));
        assert_eq!((s.cancel_cutoff_minutes, s.no_show_grace_minutes), (120, 30));
        assert!(s.one_per_day);
    }

    #[test]
    fn each_key_reads_into_its_own_setting_and_bad_values_keep_the_default() {
        let s = BookingSettings::from_stored(&stored(&[
            ("booking_max_future", "7"),
            ("no_show_grace_minutes", "1441"),
            ("booking_horizon_days", "soon"),
            ("booking_one_per_day", "0"),
        ]));
        assert_eq!(s.max_future, 7);
        assert_eq!(s.no_show_grace_minutes, 30);
        assert_eq!(s.horizon_days, 14);
        assert!(!s.one_per_day);
        assert_eq!(s.cancel_cutoff_minutes, 120);
    }

    #[test]
    fn the_form_checks_every_range() {
        let mut form = values_of(&BookingSettings::default());
        let mut errors = FieldErrors::default();
        assert_eq!(
            BookingSettings::from_form(&form, &mut errors),
            Some(BookingSettings::default())
        );
        for (key, bad) in [
            ("booking_horizon_days", "0"),
            ("booking_min_notice_minutes", "10081"),
            ("booking_max_future", "51"),
            ("cancel_cutoff_minutes", "-1"),
            ("no_show_grace_minutes", ""),
        ] {
            form.insert(key.to_owned(), bad.to_owned());
        }
        assert_eq!(BookingSettings::from_form(&form, &mut errors), None);
        for key in BookingSettings::keys().into_iter().filter(|k| *k != ONE_PER_DAY.key) {
            assert!(errors.get(key).is_some(), "{key}");
        }
    }
}
