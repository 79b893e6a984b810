//! Billing's settings: the tax rate on invoices, and whether the pharmacy waits for the patient's payment.

use super::model::parse_percent;
use crate::db::types::InvalidValue;
use crate::settings_section::{Field, Flag, Text};

/// The tax rate in basis points (750 = 7.5 %), typed as a percentage.
pub const TAX_RATE: Text<i64> = Text {
    key: "billing_tax_percent",
    parse: |text| parse_percent(text).map_err(InvalidValue),
    show: |bp| format_percent(*bp),
    default: || 0,
    look: || Field {
        label: "Tax on invoices (%)",
        help: "Charged on each invoice's subtotal after its discount; 0 for none. Up to two decimals, e.g. 7.5.",
        kind: "text",
        required: true,
        maxlength: 6,
        extra: "inputmode=decimal".to_owned(),
        ..Field::default()
    },
};

pub const DISPENSE_WHEN_PAID: Flag = Flag {
    key: "billing_dispense_only_when_paid",
    label: "Dispense only when the patient has paid their share of the visit's invoice",
    default: false,
};

/// `750` → `7.5`, `1000` → `10`.
pub fn format_percent(bp: i64) -> String {
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingSettings {
    pub tax_bp: i64,
    pub dispense_only_when_paid: bool,
}

crate::settings_section!(
    BillingSettings,
    "Billing",
    [
        tax_bp: TAX_RATE,
        dispense_only_when_paid: DISPENSE_WHEN_PAID,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    #[test]
    fn the_tax_rate_is_a_percentage_kept_in_basis_points() {
        assert_eq!(BillingSettings::default().tax_bp, 0);
        assert!(!BillingSettings::default().dispense_only_when_paid);
        let stored = |v: &str| Values::from([(TAX_RATE.key.to_owned(), v.to_owned())]);
        assert_eq!(BillingSettings::from_stored(&stored("7.5")).tax_bp, 750);
        assert_eq!(BillingSettings::from_stored(&stored("250")).tax_bp, 0);
        assert_eq!(format_percent(750), "7.5");
        assert_eq!(format_percent(1000), "10");
        assert_eq!(format_percent(1), "0.01");
        assert_eq!(format_percent(0), "0");
        let mut errors = FieldErrors::default();
        assert_eq!(BillingSettings::from_form(&stored("x"), &mut errors), None);
        assert!(errors.get(TAX_RATE.key).is_some());
    }
}
