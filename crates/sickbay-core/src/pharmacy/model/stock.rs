//! The stock ledger's rules: the kinds of movement, the reasons for an adjustment and which way each goes,
//! what a receipt must hold, and the foresight of the pharmacist's home (expiry windows, days of stock left).

use serde::Deserialize;

use crate::db::{Date, Money, Timestamp};
use crate::text_enum;
use crate::validation::{FieldErrors, one_line};

text_enum! {
    /// What changed a batch (the CHECK list of `stock_movement.kind`).
    pub enum MovementKind {
        Receipt => "receipt",
        Dispense => "dispense",
        Supply => "supply",
        Adjustment => "adjustment",
        WriteOff => "write_off",
    }
}

impl MovementKind {
    pub fn label(self) -> &'static str {
        match self {
            MovementKind::Receipt => "Received",
            MovementKind::Dispense => "Dispensed",
            MovementKind::Supply => "Used in a procedure",
            MovementKind::Adjustment => "Adjusted",
            MovementKind::WriteOff => "Expiry write-off",
        }
    }
}

text_enum! {
    /// Why a batch was adjusted (the CHECK list of `stock_movement.reason`, besides '').
    pub enum AdjustReason {
        Count => "count",
        Damage => "damage",
        SupplierReturn => "supplier_return",
        PatientReturn => "patient_return",
    }
}

impl AdjustReason {
    pub fn label(self) -> &'static str {
        match self {
            AdjustReason::Count => "Count correction",
            AdjustReason::Damage => "Damaged",
            AdjustReason::SupplierReturn => "Returned to the supplier",
            AdjustReason::PatientReturn => "Returned by a patient",
        }
    }

    /// Whether `change` (units into the batch, negative out of it) goes the way this reason goes: damage and
    /// returns to the supplier take units off, a patient's return puts them back, a count goes either way.
    pub fn check(self, change: i64) -> Result<(), String> {
        match self {
            _ if change == 0 => Err("Give the change in units: -5 takes five off, 5 adds five.".into()),
            AdjustReason::Damage | AdjustReason::SupplierReturn if change > 0 => {
                Err(format!("{} takes units off: write it as -{change}.", self.label()))
            }
            AdjustReason::PatientReturn if change < 0 => {
                Err(format!("A patient's return puts units back: write it as {}.", -change))
            }
            _ => Ok(()),
        }
    }
}

/// The longest batch number and supplier.
pub const BATCH_NUMBER_MAX: usize = 40;
pub const SUPPLIER_MAX: usize = 120;
pub const NOTE_MAX: usize = 500;
/// The most units one receipt or adjustment moves.
pub const UNITS_MAX: i64 = 1_000_000;

/// The receipt form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReceiptForm {
    #[serde(default)]
    pub batch_number: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub cost_price: String,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub received_on: String,
    #[serde(default)]
    pub form_id: String,
}

/// A batch to receive, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub batch_number: String,
    pub quantity: i64,
    pub expires_on: Date,
    pub cost_price: Money,
    pub supplier: String,
    pub received_on: Date,
}

impl ReceiptForm {
    /// The batch to receive on `today`, or a message beside each bad field. An expiry before today is refused:
    /// such a batch could never be dispensed.
    pub fn validate(&self, today: Date, minor_digits: u32) -> Result<Receipt, FieldErrors> {
        let mut e = FieldErrors::default();
        let batch_number = e.check(
            "batch_number",
            one_line(&self.batch_number, "The batch number", BATCH_NUMBER_MAX, true),
        );
        let quantity = e.check("quantity", units(&self.quantity, "The quantity", 1));
        let expires_on = e.check("expires_on", expiry(&self.expires_on, today));
        let cost_price = e.check("cost_price", cost(&self.cost_price, minor_digits));
        let supplier = e.check(
            "supplier",
            one_line(&self.supplier, "The supplier", SUPPLIER_MAX, false),
        );
        let received_on = e.check("received_on", received(&self.received_on, today));
        match (batch_number, quantity, expires_on, cost_price, supplier, received_on) {
            (
                Some(batch_number),
                Some(quantity),
                Some(expires_on),
                Some(cost_price),
                Some(supplier),
                Some(received_on),
            ) if e.is_empty() => Ok(Receipt {
                batch_number,
                quantity,
                expires_on,
                cost_price,
                supplier,
                received_on,
            }),
            _ => Err(e),
        }
    }
}

fn units(text: &str, what: &str, min: i64) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (min..=UNITS_MAX).contains(&n) => Ok(n),
        _ => Err(format!("{what} is a whole number of units from {min} to {UNITS_MAX}.")),
    }
}

fn expiry(text: &str, today: Date) -> Result<Date, String> {
    let date = Date::parse(text.trim()).map_err(|_| "Give the expiry date, such as 2027-06-30.".to_owned())?;
    if date < today {
        return Err("This batch has already expired: it can't be received into stock.".into());
    }
    Ok(date)
}

fn received(text: &str, today: Date) -> Result<Date, String> {
    if text.trim().is_empty() {
        return Ok(today);
    }
    let date = Date::parse(text.trim()).map_err(|_| "Give the day it came, such as 2026-11-20.".to_owned())?;
    if date > today {
        return Err("The day it came can't be in the future.".into());
    }
    Ok(date)
}

fn cost(text: &str, minor_digits: u32) -> Result<Money, String> {
    match text.trim() {
        "" => Ok(Money(0)),
        text => crate::validation::parse_money(text, minor_digits).map_err(|err| err.message(minor_digits)),
    }
}

/// The adjustment form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub change: String,
    #[serde(default)]
    pub note: String,
    /// The batch's quantity when the form was loaded.
    #[serde(default)]
    pub seen: String,
    #[serde(default)]
    pub form_id: String,
}

/// An adjustment, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub reason: AdjustReason,
    pub change: i64,
    pub note: String,
}

impl AdjustForm {
    /// The adjustment, or a message beside each bad field; `held` is the batch's quantity (a change may not
    /// take more than it holds).
    pub fn validate(&self, held: i64) -> Result<Adjustment, FieldErrors> {
        let mut e = FieldErrors::default();
        let reason = e.check(
            "reason",
            self.reason
                .parse::<AdjustReason>()
                .map_err(|_| "Choose why the stock changed.".to_owned()),
        );
        let change = match self.change.trim().trim_start_matches('+').parse::<i64>() {
            Ok(n) if n.abs() <= UNITS_MAX => Some(n),
            _ => {
                e.add(
                    "change",
                    format!("Give the change as a whole number of units, -5 or 5, up to {UNITS_MAX}."),
                );
                None
            }
        };
        if let (Some(reason), Some(change)) = (reason, change) {
            if let Err(message) = reason.check(change) {
                e.add("change", message);
            } else if held + change < 0 {
                e.add(
                    "change",
                    format!("The batch holds {held}: it can't give up {}.", -change),
                );
            }
        }
        let note = e.check("note", one_line(&self.note, "The note", NOTE_MAX, false));
        match (reason, change, note) {
            (Some(reason), Some(change), Some(note)) if e.is_empty() => Ok(Adjustment { reason, change, note }),
            _ => Err(e),
        }
    }
}

/// A counted quantity as typed: blank when the batch was not counted.
pub fn counted(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(n) if (0..=UNITS_MAX).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "Give the count as a whole number from 0 to {UNITS_MAX}, or leave it blank."
        )),
    }
}

/// The windows the home page sorts expiring batches into, in days.
pub const EXPIRY_WINDOWS: [i64; 3] = [30, 60, 90];

/// The first window (30, 60 or 90 days) a batch expiring on `expires_on` falls in, seen from `today`; none
/// when it has expired or expires later.
pub fn expiry_window(expires_on: Date, today: Date) -> Option<i64> {
    let days = (expires_on.0 - today.0).num_days();
    if days < 0 {
        return None;
    }
    EXPIRY_WINDOWS.into_iter().find(|window| days <= *window)
}

/// How many days of dispensing the days of the rate look back over.
pub const RATE_DAYS: i64 = 30;

/// The days `on_hand` lasts at the rate of `used` units over the last [`RATE_DAYS`] days, rounded down;
/// none when nothing was used.
pub fn days_left(on_hand: i64, used: i64) -> Option<i64> {
    (used > 0).then(|| on_hand.max(0) * RATE_DAYS / used)
}

/// The instant [`RATE_DAYS`] days before `now`.
pub fn rate_since(now: Timestamp) -> Timestamp {
    Timestamp(now.0 - RATE_DAYS * 24 * 60 * 60 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn today() -> Date {
        Date(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"))
    }

    fn receipt() -> ReceiptForm {
        ReceiptForm {
            batch_number: " AMX-0425 ".into(),
            quantity: "200".into(),
            expires_on: "2027-06-30".into(),
            cost_price: "45.50".into(),
            supplier: "Emzor".into(),
            ..ReceiptForm::default()
        }
    }

    #[test]
    fn a_receipt_is_cleaned_and_dated_today_by_default() {
        let got = receipt().validate(today(), 2).expect("valid");
        assert_eq!(got.batch_number, "AMX-0425");
        assert_eq!(
            (got.quantity, got.cost_price, got.received_on),
            (200, Money(4550), today())
        );
    }

    #[test]
    fn a_receipt_refuses_past_expiry_and_bad_numbers() {
        let bad = ReceiptForm {
            batch_number: String::new(),
            quantity: "0".into(),
            expires_on: "2026-11-22".into(),
            cost_price: "-1".into(),
            received_on: "2026-11-24".into(),
            ..receipt()
        };
        let errors = bad.validate(today(), 2).expect_err("invalid");
        for field in ["batch_number", "quantity", "expires_on", "cost_price", "received_on"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("expires_on").is_some_and(|m| m.contains("already expired")));
        // Expiring today is still in date.
        let today_ok = ReceiptForm {
            expires_on: "2026-11-23".into(),
            ..receipt()
        };
        assert!(today_ok.validate(today(), 2).is_ok());
    }

    #[test]
    fn reasons_go_their_own_way() {
        assert!(AdjustReason::Damage.check(-3).is_ok());
        assert!(AdjustReason::Damage.check(3).is_err());
        assert!(AdjustReason::SupplierReturn.check(2).is_err());
        assert!(AdjustReason::PatientReturn.check(2).is_ok());
        assert!(AdjustReason::PatientReturn.check(-2).is_err());
        assert!(AdjustReason::Count.check(-2).is_ok() && AdjustReason::Count.check(2).is_ok());
        assert!(AdjustReason::Count.check(0).is_err());
    }

    #[test]
    fn an_adjustment_never_takes_more_than_the_batch_holds() {
        let form = |reason: &str, change: &str| AdjustForm {
            reason: reason.into(),
            change: change.into(),
            ..AdjustForm::default()
        };
        assert_eq!(
            form("damage", "-4").validate(4).expect("valid"),
            Adjustment {
                reason: AdjustReason::Damage,
                change: -4,
                note: String::new()
            }
        );
        assert!(
            form("damage", "-5")
                .validate(4)
                .expect_err("too many")
                .get("change")
                .is_some()
        );
        assert_eq!(form("count", "+3").validate(0).expect("valid").change, 3);
        assert!(
            form("theft", "-1")
                .validate(4)
                .expect_err("reason")
                .get("reason")
                .is_some()
        );
        assert!(form("count", "many").validate(4).is_err());
    }

    #[test]
    fn counts_are_blank_or_whole_numbers() {
        assert_eq!(counted(" "), Ok(None));
        assert_eq!(counted("12"), Ok(Some(12)));
        assert!(counted("-1").is_err() && counted("1.5").is_err());
    }

    #[test]
    fn expiry_windows_and_days_left() {
        let on = |days| Date(Date::add_days(today().0, days));
        assert_eq!(expiry_window(on(-1), today()), None);
        assert_eq!(expiry_window(on(0), today()), Some(30));
        assert_eq!(expiry_window(on(31), today()), Some(60));
        assert_eq!(expiry_window(on(90), today()), Some(90));
        assert_eq!(expiry_window(on(91), today()), None);
        assert_eq!(days_left(100, 30), Some(100));
        assert_eq!(days_left(10, 60), Some(5));
        assert_eq!(days_left(0, 60), Some(0));
        assert_eq!(days_left(10, 0), None);
    }
}
