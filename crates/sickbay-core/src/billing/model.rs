//! Billing's rules as plain functions: the invoice arithmetic in integer minor units, the statuses an invoice
//! moves through, the scheme's share, and what a payment, refund or credit note may be.
//!
//! **Where rounding happens**, once each and half-up (the only three divisions):
//! 1. a percentage discount: `subtotal × rate`, rounded to the minor unit;
//! 2. tax: `(subtotal − discount) × tax rate`, rounded to the minor unit;
//! 3. the scheme's share: `total × covered lines ÷ subtotal × percent`, rounded to the minor unit (the
//!    patient's share is the total less it, so the two always add up to the total exactly).
//!
//! Line totals, the subtotal and the total are exact sums and products. Whatever a client sends as a total is
//! never read: every figure here comes from quantities and unit prices.

use crate::db::{Currency, Date, Money, Timestamp};
use crate::identity::Role;
pub use crate::patients::model::PatientKind as Category;
use crate::text_enum;
use crate::tone::Tone;
use crate::validation::{FieldErrors, one_line};

text_enum! {
    /// An invoice's state (the CHECK list of `invoice.status`).
    pub enum InvoiceStatus {
        Draft => "draft",
        Issued => "issued",
        PartlyPaid => "partly_paid",
        Paid => "paid",
        Void => "void",
    }
}

text_enum! {
    /// Which invoices the billing home lists (`?status=`): what is owed on them first.
    pub enum InvoiceShow {
        Owed => "owed",
        Paid => "paid",
        Drafts => "draft",
        Void => "void",
        All => "all",
    }
}

impl InvoiceShow {
    pub fn label(self) -> &'static str {
        match self {
            InvoiceShow::Owed => "Owed",
            InvoiceShow::Paid => "Paid",
            InvoiceShow::Drafts => "Drafts",
            InvoiceShow::Void => "Void",
            InvoiceShow::All => "All",
        }
    }

    /// The statuses of the invoices shown; all of them when empty.
    pub fn statuses(self) -> &'static [InvoiceStatus] {
        match self {
            InvoiceShow::Owed => &[InvoiceStatus::Issued, InvoiceStatus::PartlyPaid],
            InvoiceShow::Paid => &[InvoiceStatus::Paid],
            InvoiceShow::Drafts => &[InvoiceStatus::Draft],
            InvoiceShow::Void => &[InvoiceStatus::Void],
            InvoiceShow::All => &[],
        }
    }
}

/// The billing home's invoice list: which ones, and a search by the patient (name, clinic, matric or phone
/// number) or by the invoice's number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub show: InvoiceShow,
    pub search: String,
}

impl InvoiceFilter {
    /// From the list's address: an unknown status shows what is owed, and the search is trimmed.
    pub fn from_query(status: &str, search: &str) -> Self {
        InvoiceFilter {
            show: status.trim().parse().unwrap_or(InvoiceShow::Owed),
            search: search.trim().to_owned(),
        }
    }

    /// The patient search's terms: every one must begin a token of the invoice's patient.
    pub fn terms(&self) -> Vec<String> {
        crate::patients::model::search_terms(&self.search)
    }

    /// The search as an invoice's number (`inv-2026-000083` is `INV-2026-000083`), when it is written as one.
    pub fn number(&self) -> Option<String> {
        let number = self.search.to_uppercase();
        let mut parts = number.split('-');
        let shaped = parts
            .next()
            .is_some_and(|prefix| !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphabetic()))
            && parts
                .next()
                .is_some_and(|year| year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|count| !count.is_empty() && count.chars().all(|c| c.is_ascii_digit()))
            && parts.next().is_none();
        shaped.then_some(number)
    }

    pub fn is_searched(&self) -> bool {
        !self.search.is_empty()
    }
}

/// What may be done to an invoice; templates ask `status.can(...)` instead of comparing statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceAction {
    /// Add or remove lines, set the discount (a draft only).
    Edit,
    Issue,
    Pay,
    Refund,
    Credit,
    /// Void an issued invoice (its number stays used).
    Void,
    /// Throw a draft away: it was never issued, so it leaves no invoice behind.
    Discard,
}

impl InvoiceStatus {
    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Issued => "Owed",
            InvoiceStatus::PartlyPaid => "Partly paid",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Void => "Void",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            InvoiceStatus::Draft | InvoiceStatus::Void => Tone::Quiet,
            InvoiceStatus::Issued | InvoiceStatus::PartlyPaid => Tone::Warn,
            InvoiceStatus::Paid => Tone::Good,
        }
    }

    /// Whether the invoice is issued and not void: it counts as owed, paid or part paid.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            InvoiceStatus::Issued | InvoiceStatus::PartlyPaid | InvoiceStatus::Paid
        )
    }

    /// The state's own rule of what may be done; the amounts decide the rest (`Invoice::can`).
    pub fn can(self, action: InvoiceAction) -> bool {
        match action {
            InvoiceAction::Edit | InvoiceAction::Issue | InvoiceAction::Discard => self == InvoiceStatus::Draft,
            InvoiceAction::Pay | InvoiceAction::Credit => {
                matches!(self, InvoiceStatus::Issued | InvoiceStatus::PartlyPaid)
            }
            InvoiceAction::Refund => matches!(self, InvoiceStatus::PartlyPaid | InvoiceStatus::Paid),
            InvoiceAction::Void => self.is_live(),
        }
    }
}

/// The status an issued invoice has for what it owes and what was paid against it.
pub fn settled_status(patient_share: Money, credited: Money, paid: Money) -> InvoiceStatus {
    let due = patient_share.0 - credited.0;
    if paid.0 >= due {
        InvoiceStatus::Paid
    } else if paid.0 > 0 {
        InvoiceStatus::PartlyPaid
    } else {
        InvoiceStatus::Issued
    }
}

text_enum! {
    /// What an invoice line charges for (the CHECK list of `invoice_line.kind`).
    pub enum LineKind {
        Consultation => "consultation",
        Service => "service",
        LabTest => "lab_test",
        Procedure => "procedure",
        Drug => "drug",
        Other => "other",
    }
}

text_enum! {
    pub enum PaymentMethod {
        Cash => "cash",
        Card => "card",
        Transfer => "transfer",
    }
}

impl PaymentMethod {
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "Cash",
            PaymentMethod::Card => "Card",
            PaymentMethod::Transfer => "Bank transfer",
        }
    }
}

text_enum! {
    /// Money in or out at the desk (the CHECK list of `payment.kind`).
    pub enum PaymentKind {
        Payment => "payment",
        Refund => "refund",
    }
}

text_enum! {
    /// The scheme's share of an invoice as a line of its monthly claim.
    pub enum ClaimStatus {
        None => "none",
        Pending => "pending",
        Submitted => "submitted",
        Paid => "paid",
        Rejected => "rejected",
    }
}

impl ClaimStatus {
    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::None => "Not claimed",
            ClaimStatus::Pending => "To submit",
            ClaimStatus::Submitted => "Submitted",
            ClaimStatus::Paid => "Paid",
            ClaimStatus::Rejected => "Rejected",
        }
    }

    /// Whether the scheme has paid this share, or been sent the claim for it (a void would take a line off a
    /// claim the scheme holds).
    pub fn holds_money(self) -> bool {
        matches!(self, ClaimStatus::Submitted | ClaimStatus::Paid)
    }

    /// Where a claim line may go next: pending → submitted → paid or rejected (a rejected line may be sent
    /// again once corrected).
    pub fn may_become(self, next: ClaimStatus) -> bool {
        matches!(
            (self, next),
            (ClaimStatus::Pending, ClaimStatus::Submitted)
                | (ClaimStatus::Submitted, ClaimStatus::Paid | ClaimStatus::Rejected)
                | (ClaimStatus::Rejected, ClaimStatus::Submitted)
        )
    }
}

/// When a billing change happens: the instant, and the clinic's local day it counts under (an invoice's issue
/// day and claim month, a payment's day in the cashier's takings). Handlers pass now; the demo passes its past.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    pub day: Date,
    pub at: Timestamp,
}

impl When {
    /// Now, on `today` (the clinic's day now).
    pub fn now(today: Date) -> Self {
        When {
            day: today,
            at: Timestamp::now(),
        }
    }
}

/// The day a cashier's payment or refund taken on `today` counts under: today, unless they have closed it
/// (`closed` holds the days they closed from today on), then the first day after it they haven't closed. A
/// closed day's figures never change.
pub fn open_day(today: Date, closed: &[Date]) -> Date {
    let mut day = today;
    while closed.contains(&day) {
        day = Date(Date::add_days(day.0, 1));
    }
    day
}

/// The cash a cashier counted against what the till expects, in words: "The cash matches.", "The cash is over
/// by NGN 5.00." or "The cash is short by NGN 16.00." (`difference` is counted less expected).
pub fn cash_difference_words(difference: Money, currency: &Currency) -> String {
    match difference.0.signum() {
        0 => "The cash matches.".to_owned(),
        1 => format!("The cash is over by {}.", currency.format(difference)),
        _ => format!("The cash is short by {}.", currency.format(Money(-difference.0))),
    }
}

/// A day closes on a count that differs from the till only with the cashier's reason in its note.
pub fn check_close_note(difference: Money, note: &str, currency: &Currency) -> Result<(), String> {
    if difference.0 == 0 || !note.trim().is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} Count the drawer again, or say why in the note.",
        cash_difference_words(difference, currency)
    ))
}

/// Who may give a discount: admins (the cashier asks one).
pub fn may_discount(role: Role) -> bool {
    role == Role::Admin
}

/// Basis points in a whole: 10000 = 100 %.
pub const WHOLE_BP: i64 = 10_000;

/// How far back the visits still to bill are looked for, on reception's list and on the patient's home: a visit
/// completed longer ago without an invoice was billed by hand or let go.
pub const UNBILLED_DAYS: i64 = 7;

/// `numerator ÷ denominator` rounded half-up, for a non-negative numerator and a positive denominator.
pub fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(numerator >= 0 && denominator > 0);
    (numerator + denominator / 2) / denominator
}

/// A discount as the form gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    None,
    /// An amount in minor units.
    Amount(Money),
    /// A rate in basis points (1250 = 12.5 %).
    Percent(i64),
}

impl Discount {
    /// The amount it takes off `subtotal` (rounding place 1), or why it can't.
    pub fn amount_of(self, subtotal: Money) -> Result<Money, TotalsError> {
        match self {
            Discount::None => Ok(Money(0)),
            Discount::Amount(amount) if amount.0 < 0 => Err(TotalsError::NegativeDiscount),
            Discount::Amount(amount) if amount.0 > subtotal.0 => Err(TotalsError::DiscountAboveSubtotal),
            Discount::Amount(amount) => Ok(amount),
            Discount::Percent(bp) if !(0..=WHOLE_BP).contains(&bp) => Err(TotalsError::DiscountAboveSubtotal),
            Discount::Percent(bp) => Ok(Money(
                div_half_up(i128::from(subtotal.0) * i128::from(bp), i128::from(WHOLE_BP)) as i64,
            )),
        }
    }

    /// The rate stored with the invoice (NULL for an amount).
    pub fn rate_bp(self) -> Option<i64> {
        match self {
            Discount::Percent(bp) => Some(bp),
            _ => None,
        }
    }
}

/// What a payer scheme covers on one invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The share of covered lines it pays, 1..=100.
    pub percent: i64,
    /// What it may still pay for this patient this year (None: no limit).
    pub remaining: Option<Money>,
}

/// One line for the arithmetic: its total and whether the patient's scheme covers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PricedLine {
    pub total: Money,
    pub covered: bool,
}

/// Every figure of an invoice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
    pub scheme_share: Money,
    pub patient_share: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    #[error("That amount is too large to be right; check the quantity and the price.")]
    TooLarge,
    #[error("A discount can't be negative.")]
    NegativeDiscount,
    #[error("A discount can't be more than the invoice's subtotal.")]
    DiscountAboveSubtotal,
}

/// Largest amount an invoice handles (a typo guard far below overflow): a billion major units at 2 decimals.
pub const MAX_AMOUNT: i64 = 100_000_000_000;

/// `quantity × unit price`, exact.
pub fn line_total(quantity: i64, unit_price: Money) -> Result<Money, TotalsError> {
    quantity
        .checked_mul(unit_price.0)
        .filter(|total| (0..=MAX_AMOUNT).contains(total))
        .map(Money)
        .ok_or(TotalsError::TooLarge)
}

/// The invoice's figures for its lines, discount, tax rate (basis points) and the patient's coverage.
pub fn totals(
    lines: &[PricedLine],
    discount: Discount,
    tax_bp: i64,
    coverage: Option<Coverage>,
) -> Result<Totals, TotalsError> {
    let sum = |covered_only: bool| {
        lines
            .iter()
            .filter(|line| line.covered || !covered_only)
            .try_fold(0_i64, |sum, line| sum.checked_add(line.total.0))
            .filter(|sum| *sum <= MAX_AMOUNT)
            .ok_or(TotalsError::TooLarge)
    };
    let subtotal = Money(sum(false)?);
    let discount = discount.amount_of(subtotal)?;
    let taxable = subtotal.0 - discount.0;
    let tax = div_half_up(
        i128::from(taxable) * i128::from(tax_bp.clamp(0, WHOLE_BP)),
        i128::from(WHOLE_BP),
    ) as i64;
    let total = taxable + tax;
    let scheme_share = match coverage {
        Some(coverage) if subtotal.0 > 0 => scheme_share(total, Money(sum(true)?), subtotal, coverage),
        _ => 0,
    };
    Ok(Totals {
        subtotal,
        discount,
        tax: Money(tax),
        total: Money(total),
        scheme_share: Money(scheme_share),
        patient_share: Money(total - scheme_share),
    })
}

/// The scheme's part of `total` (rounding place 3): the covered lines' part of the total (discount and tax
/// fall on every line alike), times its percentage, up to what it may still pay.
fn scheme_share(total: i64, covered: Money, subtotal: Money, coverage: Coverage) -> i64 {
    let percent = coverage.percent.clamp(0, 100);
    let share = div_half_up(
        i128::from(total) * i128::from(covered.0) * i128::from(percent),
        i128::from(subtotal.0) * 100,
    ) as i64;
    match coverage.remaining {
        Some(remaining) => share.min(remaining.0.max(0)),
        None => share,
    }
}

/// Why an amount of money in or out can't be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("Enter an amount above zero.")]
    NotPositive,
    #[error("That is more than is still owed on this invoice. Take at most the balance shown.")]
    MoreThanOwed,
    #[error("That is more than was paid on this invoice; a refund can't be larger.")]
    MoreThanPaid,
    #[error("The cash handed over is less than the amount paid.")]
    TenderedTooLittle,
}

/// What a patient still owes on an invoice in `status`: their share less credit notes and what they paid. A
/// void invoice owes nothing, and neither does a draft (nothing is owed before it is issued).
pub fn balance(status: InvoiceStatus, patient_share: Money, credited: Money, paid: Money) -> Money {
    if !status.is_live() {
        return Money(0);
    }
    Money(patient_share.0 - credited.0 - paid.0)
}

/// Whether an invoice may be voided: it is issued, nothing the patient paid is still on it, and its scheme has
/// neither paid its share nor been sent the claim for it. An invoice with money on it, from the patient or a
/// scheme, is corrected by a credit note (or refunded first), never voided.
pub fn may_void(status: InvoiceStatus, paid: Money, claim: ClaimStatus) -> bool {
    status.can(InvoiceAction::Void) && paid.0 == 0 && !claim.holds_money()
}

/// A payment of `amount` against `owed`, with the cash `tendered` (for the change): the change due.
pub fn check_payment(
    amount: Money,
    owed: Money,
    tendered: Option<Money>,
) -> Result<Money, (&'static str, AmountError)> {
    if amount.0 <= 0 {
        return Err(("amount", AmountError::NotPositive));
    }
    if amount.0 > owed.0 {
        return Err(("amount", AmountError::MoreThanOwed));
    }
    match tendered {
        Some(tendered) if tendered.0 < amount.0 => Err(("tendered", AmountError::TenderedTooLittle)),
        Some(tendered) => Ok(Money(tendered.0 - amount.0)),
        None => Ok(Money(0)),
    }
}

/// A refund of `amount` when `paid` was paid.
pub fn check_refund(amount: Money, paid: Money) -> Result<(), AmountError> {
    if amount.0 <= 0 {
        return Err(AmountError::NotPositive);
    }
    if amount.0 > paid.0 {
        return Err(AmountError::MoreThanPaid);
    }
    Ok(())
}

/// A credit note of `amount` when `owed` is still owed (credit takes off what is owed; money already paid
/// goes back as a refund).
pub fn check_credit(amount: Money, owed: Money) -> Result<(), AmountError> {
    if amount.0 <= 0 {
        return Err(AmountError::NotPositive);
    }
    if amount.0 > owed.0 {
        return Err(AmountError::MoreThanOwed);
    }
    Ok(())
}

/// The units of a prescription item billed: what was given, or while nothing is given, what was prescribed
/// (none once the pharmacy refused it).
pub fn billed_quantity(prescribed: i64, dispensed: i64, refused: bool) -> i64 {
    match (dispensed, refused) {
        (0, true) => 0,
        (0, false) => prescribed,
        (given, _) => given,
    }
}

/// `INV-2026-000001`: a document's number from its prefix, year and counter.
pub fn document_number(prefix: &str, year: i32, n: i64) -> String {
    format!("{prefix}-{year}-{n:06}")
}

/// The counter's name for a prefix and year (`db::sequence`).
pub fn counter_name(prefix: &str, year: i32) -> String {
    format!("billing:{prefix}:{year}")
}

/// The longest description of a line and the longest reason or reference.
pub const DESCRIPTION_MAX: usize = 120;
pub const REASON_MAX: usize = 300;
pub const REFERENCE_MAX: usize = 60;
/// The most units a line may have (a typo guard).
pub const QUANTITY_MAX: i64 = 10_000;

/// A reason required for a discount, a refund, a credit note or a void.
pub fn parse_reason(text: &str, what: &str) -> Result<String, String> {
    let reason = one_line(text, "The reason", REASON_MAX, false)?;
    if reason.chars().count() < 3 {
        return Err(format!("Say why {what} (a few words the next reader will understand)."));
    }
    Ok(reason)
}

/// An amount typed in major units, above zero (the one money parser, `validation::parse_money`, with its
/// limit).
pub fn parse_amount(text: &str, minor_digits: u32) -> Result<Money, String> {
    let amount = crate::validation::parse_money(text, minor_digits).map_err(|err| err.message(minor_digits))?;
    if amount.0 == 0 {
        return Err(AmountError::NotPositive.to_string());
    }
    Ok(amount)
}

/// A line's quantity as typed.
pub fn parse_quantity(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n <= 0 => Err("The quantity is at least 1.".into()),
        Ok(n) if n > QUANTITY_MAX => Err(format!("The quantity is at most {QUANTITY_MAX}.")),
        Ok(n) => Ok(n),
        Err(_) => Err("Enter the quantity as a whole number, e.g. 2.".into()),
    }
}

/// A percentage typed as `12.5` into basis points.
pub fn parse_percent(text: &str) -> Result<i64, String> {
    match crate::validation::parse_scaled(text, 2) {
        Some(bp) if (0..=WHOLE_BP).contains(&bp) => Ok(bp),
        Some(_) => Err("A percentage is between 0 and 100.".into()),
        None => Err("Enter the percentage as a number, e.g. 10 or 12.5.".into()),
    }
}

/// The discount fields of a form: an amount or a percentage (not both) with a reason; nothing when both are
/// empty.
pub fn parse_discount(
    amount: &str,
    percent: &str,
    reason: &str,
    minor_digits: u32,
    errors: &mut FieldErrors,
) -> Option<(Discount, String)> {
    let (amount, percent) = (amount.trim(), percent.trim());
    let discount = match (amount.is_empty(), percent.is_empty()) {
        (true, true) => return Some((Discount::None, String::new())),
        (false, false) => {
            errors.add(
                "discount_amount",
                "Give the discount as an amount or a percentage, not both.",
            );
            return None;
        }
        (false, true) => Discount::Amount(errors.check("discount_amount", parse_amount(amount, minor_digits))?),
        (true, false) => Discount::Percent(errors.check("discount_percent", parse_percent(percent))?),
    };
    let reason = errors.check("discount_reason", parse_reason(reason, "the discount is given"))?;
    Some((discount, reason))
}

/// A line typed on a manual invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInput {
    pub kind: LineKind,
    pub item_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: Money,
}

impl LineInput {
    pub fn total(&self) -> Result<Money, TotalsError> {
        line_total(self.quantity, self.unit_price)
    }
}

/// Whether a scheme with these cover flags pays for a line of `kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Covers {
    pub consultation: bool,
    pub services: bool,
    pub lab: bool,
    pub procedures: bool,
    pub drugs: bool,
}

impl Covers {
    pub fn covers(self, kind: LineKind) -> bool {
        match kind {
            LineKind::Consultation => self.consultation,
            LineKind::Service | LineKind::Other => self.services,
            LineKind::LabTest => self.lab,
            LineKind::Procedure => self.procedures,
            LineKind::Drug => self.drugs,
        }
    }

    /// "consultation, lab tests and drugs".
    pub fn describe(self) -> String {
        let names: Vec<&str> = [
            (self.consultation, "consultation"),
            (self.services, "services"),
            (self.lab, "lab tests"),
            (self.procedures, "procedures"),
            (self.drugs, "drugs"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        match names.as_slice() {
            [] => "nothing".into(),
            [one] => (*one).into(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_day_closes_short_or_over_only_with_a_reason() {
        let naira = Currency {
            code: "NGN".to_owned(),
            minor_digits: 2,
        };
        assert_eq!(cash_difference_words(Money(0), &naira), "The cash matches.");
        assert_eq!(
            cash_difference_words(Money(500), &naira),
            "The cash is over by NGN 5.00."
        );
        assert_eq!(
            cash_difference_words(Money(-1600), &naira),
            "The cash is short by NGN 16.00."
        );
        assert_eq!(check_close_note(Money(0), "", &naira), Ok(()));
        assert_eq!(check_close_note(Money(-1600), "Change from the float", &naira), Ok(()));
        assert_eq!(
            check_close_note(Money(-1600), "  ", &naira),
            Err("The cash is short by NGN 16.00. Count the drawer again, or say why in the note.".to_owned())
        );
        assert!(check_close_note(Money(1), "", &naira).is_err());
    }

    #[test]
    fn the_invoice_list_reads_its_choice_and_its_search() {
        let owed = InvoiceFilter::from_query("lost", "  ");
        assert_eq!(owed.show, InvoiceShow::Owed);
        assert!(!owed.is_searched() && owed.terms().is_empty() && owed.number().is_none());
        let drafts = InvoiceFilter::from_query(" draft ", " Ada  Okoro ");
        assert_eq!(drafts.show.statuses(), [InvoiceStatus::Draft]);
        assert_eq!(drafts.terms(), ["ada", "okoro"]);
        assert_eq!(drafts.number(), None);
        let number = InvoiceFilter::from_query("all", "inv-2026-000083");
        assert!(number.show.statuses().is_empty());
        assert_eq!(number.number().as_deref(), Some("INV-2026-000083"));
        for not_a_number in [
            "-2026-000083",
            "INV-2026",
            "INV-26-000083",
            "INV-2026-",
            "INV-2026-00x",
            "2026-000083-1",
        ] {
            assert_eq!(
                InvoiceFilter::from_query("", not_a_number).number(),
                None,
                "{not_a_number}"
            );
        }
    }

    fn lines(totals: &[i64]) -> Vec<PricedLine> {
        totals
            .iter()
            .map(|t| PricedLine {
                total: Money(*t),
                covered: true,
            })
            .collect()
    }

    #[test]
    fn a_plain_invoice_adds_up() {
        let t = totals(&lines(&[150_000, 2 * 35_000, 3_000]), Discount::None, 0, None).unwrap();
        assert_eq!(t.subtotal, Money(223_000));
        assert_eq!(t.total, Money(223_000));
        assert_eq!(t.patient_share, Money(223_000));
        assert_eq!(t.scheme_share, Money(0));
    }

    #[test]
    fn rounding_is_half_up_once_at_each_place() {
        // 10 % of 1.05 is 0.105 → 0.11 (half up); tax 7.5 % of 0.94 = 0.0705 → 0.07.
        let t = totals(&lines(&[105]), Discount::Percent(1000), 750, None).unwrap();
        assert_eq!(t.discount, Money(11));
        assert_eq!(t.tax, Money(7));
        assert_eq!(t.total, Money(105 - 11 + 7));
        assert_eq!(div_half_up(5, 10), 1);
        assert_eq!(div_half_up(4, 10), 0);
        assert_eq!(div_half_up(15, 10), 2);
    }

    #[test]
    fn tax_falls_on_the_discounted_subtotal() {
        let t = totals(&lines(&[10_000]), Discount::Amount(Money(2_000)), 1000, None).unwrap();
        assert_eq!(t.tax, Money(800));
        assert_eq!(t.total, Money(8_800));
    }

    #[test]
    fn a_discount_above_the_subtotal_or_negative_is_refused() {
        assert_eq!(
            totals(&lines(&[1_000]), Discount::Amount(Money(1_001)), 0, None),
            Err(TotalsError::DiscountAboveSubtotal)
        );
        assert_eq!(
            totals(&lines(&[1_000]), Discount::Amount(Money(-1)), 0, None),
            Err(TotalsError::NegativeDiscount)
        );
        assert_eq!(
            totals(&lines(&[1_000]), Discount::Percent(10_001), 0, None),
            Err(TotalsError::DiscountAboveSubtotal)
        );
        assert_eq!(
            totals(&lines(&[1_000]), Discount::Amount(Money(1_000)), 0, None).map(|t| t.total),
            Ok(Money(0))
        );
    }

    #[test]
    fn the_scheme_pays_its_percentage_of_covered_lines_up_to_its_limit() {
        let mixed = [
            PricedLine {
                total: Money(5_000),
                covered: true,
            },
            PricedLine {
                total: Money(3_000),
                covered: false,
            },
        ];
        let cover = |remaining| Coverage { percent: 80, remaining };
        let t = totals(&mixed, Discount::None, 0, Some(cover(None))).unwrap();
        assert_eq!(t.scheme_share, Money(4_000));
        assert_eq!(t.patient_share, Money(4_000));
        let capped = totals(&mixed, Discount::None, 0, Some(cover(Some(Money(1_500))))).unwrap();
        assert_eq!(capped.scheme_share, Money(1_500));
        assert_eq!(capped.patient_share, Money(6_500));
        let spent = totals(&mixed, Discount::None, 0, Some(cover(Some(Money(0))))).unwrap();
        assert_eq!(spent.scheme_share, Money(0));
    }

    #[test]
    fn line_totals_refuse_absurd_amounts() {
        assert_eq!(line_total(3, Money(250)), Ok(Money(750)));
        assert_eq!(line_total(i64::MAX, Money(2)), Err(TotalsError::TooLarge));
        assert_eq!(line_total(2, Money(MAX_AMOUNT)), Err(TotalsError::TooLarge));
    }

    #[test]
    fn status_follows_payments_and_credit() {
        assert_eq!(settled_status(Money(1_000), Money(0), Money(0)), InvoiceStatus::Issued);
        assert_eq!(
            settled_status(Money(1_000), Money(0), Money(400)),
            InvoiceStatus::PartlyPaid
        );
        assert_eq!(
            settled_status(Money(1_000), Money(600), Money(400)),
            InvoiceStatus::Paid
        );
        assert_eq!(settled_status(Money(0), Money(0), Money(0)), InvoiceStatus::Paid);
        assert!(InvoiceStatus::Draft.can(InvoiceAction::Edit));
        assert!(!InvoiceStatus::Issued.can(InvoiceAction::Edit));
        assert!(!InvoiceStatus::Paid.can(InvoiceAction::Pay));
        assert!(!InvoiceStatus::Issued.can(InvoiceAction::Refund));
        assert!(!InvoiceStatus::Void.can(InvoiceAction::Void));
        assert!(
            !InvoiceStatus::Draft.can(InvoiceAction::Void),
            "a draft is discarded, not voided"
        );
        assert!(InvoiceStatus::Draft.can(InvoiceAction::Discard));
        assert!(!InvoiceStatus::Issued.can(InvoiceAction::Discard));
        // A void invoice and a draft owe nothing, whatever their figures.
        assert_eq!(
            balance(InvoiceStatus::Issued, Money(4_300), Money(0), Money(0)),
            Money(4_300)
        );
        assert_eq!(
            balance(InvoiceStatus::PartlyPaid, Money(4_300), Money(300), Money(1_000)),
            Money(3_000)
        );
        assert_eq!(balance(InvoiceStatus::Void, Money(4_300), Money(0), Money(0)), Money(0));
        assert_eq!(
            balance(InvoiceStatus::Draft, Money(4_300), Money(0), Money(0)),
            Money(0)
        );
        // Money on it, from the patient or the scheme, rules a void out.
        assert!(may_void(InvoiceStatus::Issued, Money(0), ClaimStatus::Pending));
        assert!(may_void(InvoiceStatus::Issued, Money(0), ClaimStatus::Rejected));
        assert!(!may_void(InvoiceStatus::PartlyPaid, Money(100), ClaimStatus::None));
        assert!(!may_void(InvoiceStatus::Issued, Money(0), ClaimStatus::Paid));
        assert!(!may_void(InvoiceStatus::Issued, Money(0), ClaimStatus::Submitted));
        assert!(!may_void(InvoiceStatus::Void, Money(0), ClaimStatus::None));
    }

    #[test]
    fn payments_never_exceed_what_is_owed_and_give_change() {
        assert_eq!(
            check_payment(Money(500), Money(800), Some(Money(1_000))),
            Ok(Money(500))
        );
        assert_eq!(check_payment(Money(800), Money(800), None), Ok(Money(0)));
        assert!(check_payment(Money(801), Money(800), None).is_err());
        assert!(check_payment(Money(0), Money(800), None).is_err());
        assert_eq!(
            check_payment(Money(500), Money(800), Some(Money(400))),
            Err(("tendered", AmountError::TenderedTooLittle))
        );
        assert!(check_refund(Money(301), Money(300)).is_err());
        assert!(check_refund(Money(300), Money(300)).is_ok());
        assert!(check_credit(Money(1), Money(0)).is_err());
    }

    #[test]
    fn a_drug_is_billed_at_what_was_given_or_else_what_was_prescribed() {
        assert_eq!(billed_quantity(12, 0, false), 12, "nothing given yet");
        assert_eq!(billed_quantity(10, 4, true), 4, "given in part, the rest refused");
        assert_eq!(billed_quantity(10, 4, false), 4, "given in part");
        assert_eq!(billed_quantity(10, 0, true), 0, "refused whole");
    }

    #[test]
    fn money_after_a_close_counts_on_the_next_open_day() {
        let day = |d: &str| Date::parse(d).unwrap();
        let today = day("2026-11-26");
        assert_eq!(open_day(today, &[]), today);
        assert_eq!(
            open_day(today, &[day("2026-11-25")]),
            today,
            "yesterday's close doesn't matter"
        );
        assert_eq!(open_day(today, &[today]), day("2026-11-27"));
        assert_eq!(open_day(today, &[day("2026-11-27"), today]), day("2026-11-28"));
        assert_eq!(open_day(day("2026-12-31"), &[day("2026-12-31")]), day("2027-01-01"));
    }

    #[test]
    fn claim_lines_move_forward_only() {
        assert!(ClaimStatus::Pending.may_become(ClaimStatus::Submitted));
        assert!(ClaimStatus::Submitted.may_become(ClaimStatus::Rejected));
        assert!(ClaimStatus::Rejected.may_become(ClaimStatus::Submitted));
        assert!(!ClaimStatus::Paid.may_become(ClaimStatus::Submitted));
        assert!(!ClaimStatus::Pending.may_become(ClaimStatus::Paid));
        assert!(!ClaimStatus::None.may_become(ClaimStatus::Submitted));
    }

    #[test]
    fn forms_parse_money_percentages_and_quantities() {
        assert_eq!(parse_amount("1,500.50", 2), Ok(Money(150_050)));
        assert!(parse_amount("0", 2).is_err());
        assert!(parse_amount("-5", 2).is_err());
        assert!(parse_amount("abc", 2).is_err());
        assert_eq!(parse_percent("12.5"), Ok(1_250));
        assert!(parse_percent("101").is_err());
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("2.5").is_err());
        assert_eq!(parse_quantity(" 3 "), Ok(3));
        let mut errors = FieldErrors::default();
        assert_eq!(parse_discount("10", "5", "x", 2, &mut errors), None);
        let mut errors = FieldErrors::default();
        assert_eq!(parse_discount("10", "", "", 2, &mut errors), None);
        assert!(errors.get("discount_reason").is_some());
        let mut errors = FieldErrors::default();
        assert_eq!(
            parse_discount("", "10", "staff goodwill", 2, &mut errors),
            Some((Discount::Percent(1_000), "staff goodwill".into()))
        );
        assert_eq!(document_number("INV", 2026, 1), "INV-2026-000001");
        assert_eq!(
            Covers {
                lab: true,
                drugs: true,
                ..Covers::default()
            }
            .describe(),
            "lab tests and drugs"
        );
    }

    fn any_line() -> impl Strategy<Value = PricedLine> {
        (1_i64..50, 0_i64..2_000_000, any::<bool>()).prop_map(|(quantity, price, covered)| PricedLine {
            total: line_total(quantity, Money(price)).unwrap(),
            covered,
        })
    }

    fn any_discount() -> impl Strategy<Value = Discount> {
        prop_oneof![
            Just(Discount::None),
            (0_i64..=WHOLE_BP).prop_map(Discount::Percent),
            (0_i64..5_000_000).prop_map(|a| Discount::Amount(Money(a))),
        ]
    }

    proptest! {
        #[test]
        fn totals_hold_their_invariants(
            lines in proptest::collection::vec(any_line(), 0..12),
            discount in any_discount(),
            tax_bp in 0_i64..3_000,
            percent in 1_i64..=100,
            limit in proptest::option::of(0_i64..10_000_000),
        ) {
            let coverage = Coverage { percent, remaining: limit.map(Money) };
            match totals(&lines, discount, tax_bp, Some(coverage)) {
                Ok(t) => {
                    // The subtotal is the sum of the lines.
                    prop_assert_eq!(t.subtotal.0, lines.iter().map(|l| l.total.0).sum::<i64>());
                    // The discount never exceeds the subtotal; nothing is negative.
                    prop_assert!(0 <= t.discount.0 && t.discount.0 <= t.subtotal.0);
                    prop_assert!(t.tax.0 >= 0 && t.total.0 >= 0 && t.scheme_share.0 >= 0 && t.patient_share.0 >= 0);
                    // Tax is on the discounted subtotal, rounded once.
                    let taxable = i128::from(t.subtotal.0 - t.discount.0);
                    prop_assert_eq!(i128::from(t.tax.0), div_half_up(taxable * i128::from(tax_bp), 10_000));
                    prop_assert_eq!(t.total.0, t.subtotal.0 - t.discount.0 + t.tax.0);
                    // The shares add up to the total exactly, and the scheme keeps to its limit.
                    prop_assert_eq!(t.scheme_share.0 + t.patient_share.0, t.total.0);
                    if let Some(limit) = limit { prop_assert!(t.scheme_share.0 <= limit); }
                    if lines.iter().all(|l| !l.covered) { prop_assert_eq!(t.scheme_share.0, 0); }
                }
                Err(err) => {
                    // The only refusal for these inputs: an amount discount above the subtotal.
                    prop_assert_eq!(err, TotalsError::DiscountAboveSubtotal);
                    let subtotal: i64 = lines.iter().map(|l| l.total.0).sum();
                    prop_assert!(matches!(discount, Discount::Amount(a) if a.0 > subtotal));
                }
            }
        }
    }
}
