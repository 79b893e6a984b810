//! The pharmacy's settings: how long a batch must still keep to be dispensed.

use crate::settings_section::{Field, Number, Section, Values};
use crate::validation::FieldErrors;

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

impl Default for PharmacySettings {
    fn default() -> Self {
        PharmacySettings::from_stored(&Values::new())
    }
}

impl Section for PharmacySettings {
    const TITLE: &'static str = "Pharmacy";

    fn from_stored(stored: &Values) -> Self {
        PharmacySettings {
            min_shelf_days: MIN_SHELF_DAYS.read(stored),
        }
    }

    fn from_form(form: &Values, errors: &mut FieldErrors) -> Option<Self> {
        Some(PharmacySettings {
            min_shelf_days: MIN_SHELF_DAYS.typed(form, errors)?,
        })
    }

    fn to_stored(&self) -> Vec<(&'static str, String)> {
        vec![MIN_SHELF_DAYS.pair(self.min_shelf_days)]
    }

    fn fields(form: &Values) -> Vec<Field> {
        vec![MIN_SHELF_DAYS.field(form)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
