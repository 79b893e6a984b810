//! The pharmacy's settings: how long a batch must still keep to be dispensed.

use crate::settings_section::Number;

pub const MIN_SHELF_DAYS: Number = Number {
    key: "pharmacy_min_shelf_days",
    label: "Dispense only batches that keep at least (days)",
    range: 0..=365,
    default: 0,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PharmacySettings {
    /// Batches expiring sooner than this many days from today are not dispensed (0: usable through their expiry day).
    pub min_shelf_days: i64,
}

crate::settings_section!(
    PharmacySettings,
    "Pharmacy",
    [
        min_shelf_days: MIN_SHELF_DAYS,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    #[test]
    fn min_shelf_days_default_range_and_fallback() {
        assert_eq!(PharmacySettings::default().min_shelf_days, 0);
        let stored = |v: &str| Values::from([(MIN_SHELF_DAYS.key.to_owned(), v.to_owned())]);
        assert_eq!(PharmacySettings::from_stored(&stored("30")).min_shelf_days, 30);
        assert_eq!(PharmacySettings::from_stored(&stored("366")).min_shelf_days, 0);
        let mut errors = FieldErrors::default();
        assert_eq!(PharmacySettings::from_form(&stored("-1"), &mut errors), None);
        assert!(errors.get("pharmacy_min_shelf_days").is_some());
    }
}
