//! Billing's operations, each one transaction with its audit row: invoices from a visit or made by hand,
//! issuing with a gap-free number, payments, refunds, credit notes, voids, the cashier's close of a day and the
//! schemes' claims. Every figure is computed here from quantities and prices (`model::totals`).

use crate::outbox::model::Kind;
use crate::outbox::service::{self as outbox, Notice};
use crate::tone::Tone;
use std::collections::HashMap;

use super::model::{
    AmountError, Category, ClaimStatus, Coverage, Covers, Discount, InvoiceAction, InvoiceFilter, InvoiceStatus,
    LineInput, LineKind, PaymentKind, PaymentMethod, PricedLine, Totals, UNBILLED_DAYS, When, balance, billed_quantity,
    check_close_note, check_credit, check_payment, check_refund, counter_name, document_number, may_void, open_day,
    settled_status, totals,
};
use super::repo::{self, Invoice, NewInvoice, NewPayment, Scheme};
use crate::audit::{self, AuditEntry};
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::{Date, Db, Money, Reader, Timestamp, Tx, is_unique_violation, sequence};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::validation::FieldErrors;

const INVOICE_PREFIX: &str = "INV";
const RECEIPT_PREFIX: &str = "RCT";
const REFUND_PREFIX: &str = "RFD";
const CREDIT_PREFIX: &str = "CRN";

/// The next gap-free number of a kind of document in `day`'s year, inside the change that writes it.
async fn next_number(tx: &mut Tx, prefix: &str, day: Date) -> Result<String, sqlx::Error> {
    use chrono::Datelike;
    let year = day.0.year();
    let n = sequence::next(tx, &counter_name(prefix, year)).await?;
    Ok(document_number(prefix, year, n))
}

fn staff_id(actor: &Actor) -> Result<i64, ServiceError> {
    actor.id.ok_or(ServiceError::Forbidden)
}

// ---- prices --------------------------------------------------------------------------------------------

/// An item's price for one category of patient: its own price unless the fee schedule sets another.
pub struct PriceBook(HashMap<(String, i64), Money>);

impl PriceBook {
    pub async fn load(db: impl Reader, category: Category) -> Result<Self, ServiceError> {
        let prices = repo::prices_for(db, category).await?;
        Ok(PriceBook(
            prices
                .into_iter()
                .map(|(kind, id, price)| ((kind, id), price))
                .collect(),
        ))
    }

    pub fn price(&self, item_kind: &str, item_id: i64, default: Money) -> Money {
        self.0.get(&(item_kind.to_owned(), item_id)).copied().unwrap_or(default)
    }
}

/// The line kinds whose catalogue has prices by category, with the name `category_price` stores.
pub fn price_kind(kind: LineKind) -> Option<&'static str> {
    match kind {
        LineKind::Consultation | LineKind::Service => Some("fee"),
        LineKind::LabTest => Some("lab_test"),
        LineKind::Procedure => Some("procedure"),
        LineKind::Drug | LineKind::Other => None,
    }
}

/// What a visit is billed for, priced for `category`: the consultation, the lab tests ordered (not
/// cancelled), the procedures done, and each prescribed drug at what was dispensed (or what was prescribed,
/// while nothing is given yet; an item the pharmacy refused whole is not billed).
pub async fn visit_lines(
    db: &Db,
    visit_id: i64,
    category: Category,
    today: Date,
) -> Result<Vec<LineInput>, ServiceError> {
    let mut lines = lines_of_visits(db, &[(visit_id, category)], today).await?;
    Ok(lines.remove(&visit_id).unwrap_or_default())
}

/// What each of these visits (with its patient's category) is billed for, as `visit_lines` says, read for all
/// of them at once: a query per kind of line, not per visit.
pub async fn lines_of_visits(
    mut db: impl Reader,
    visits: &[(i64, Category)],
    today: Date,
) -> Result<HashMap<i64, Vec<LineInput>>, ServiceError> {
    if visits.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = visits.iter().map(|(id, _)| *id).collect();
    let mut books: HashMap<Category, PriceBook> = HashMap::new();
    for (_, category) in visits {
        if !books.contains_key(category) {
            books.insert(*category, PriceBook::load(&mut db, *category).await?);
        }
    }
    let mut lines: HashMap<i64, Vec<LineInput>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    let priced = |visit: i64| {
        visits
            .iter()
            .find(|(id, _)| *id == visit)
            .and_then(|(_, c)| books.get(c))
    };
    if let Some(fee) = repo::consultation_fee(&mut db).await?.filter(|fee| fee.active) {
        for (visit, category) in visits {
            let Some(book) = books.get(category) else { continue };
            lines.entry(*visit).or_default().push(LineInput {
                kind: LineKind::Consultation,
                item_id: Some(fee.id),
                description: fee.name.clone(),
                quantity: 1,
                unit_price: book.price("fee", fee.id, fee.price),
            });
        }
    }
    let orders = crate::lab::service::orders_of_visits(&mut db, &ids, false).await?;
    let orders: Vec<_> = orders
        .into_iter()
        .filter(|order| order.status != crate::lab::model::OrderStatus::Cancelled)
        .collect();
    if !orders.is_empty() {
        let tests: HashMap<i64, Money> = crate::lab::service::tests(&mut db)
            .await?
            .into_iter()
            .map(|test| (test.id, test.price))
            .collect();
        for order in orders {
            let Some(book) = priced(order.visit_id) else { continue };
            let default = tests.get(&order.test_id).copied().unwrap_or_default();
            lines.entry(order.visit_id).or_default().push(LineInput {
                kind: LineKind::LabTest,
                item_id: Some(order.test_id),
                description: format!("Lab: {}", order.test_name),
                quantity: 1,
                unit_price: book.price("lab_test", order.test_id, default),
            });
        }
    }
    for done in crate::procedures::service::of_visits(&mut db, &ids).await? {
        let Some(book) = priced(done.visit_id) else { continue };
        lines.entry(done.visit_id).or_default().push(LineInput {
            kind: LineKind::Procedure,
            item_id: Some(done.procedure_type_id),
            description: done.name.clone(),
            quantity: 1,
            unit_price: book.price("procedure", done.procedure_type_id, done.price),
        });
    }
    let items = crate::prescriptions::service::items_of_visits(&mut db, &ids).await?;
    if !items.is_empty() {
        let drug_ids: Vec<i64> = items.iter().map(|item| item.drug_id).collect();
        let prices: HashMap<i64, Money> = crate::pharmacy::service::drugs_with_stock(&mut db, &drug_ids, today)
            .await?
            .into_iter()
            .map(|drug| (drug.id, drug.unit_price))
            .collect();
        for item in items {
            let quantity = billed_quantity(item.quantity, item.dispensed_quantity, item.refusal.is_some());
            if quantity > 0 {
                lines.entry(item.visit_id).or_default().push(LineInput {
                    kind: LineKind::Drug,
                    item_id: Some(item.drug_id),
                    description: item.drug_label(),
                    quantity,
                    unit_price: prices.get(&item.drug_id).copied().unwrap_or_default(),
                });
            }
        }
    }
    Ok(lines)
}

/// Whether billing these lines would ask nothing of anyone: no line, or every line free. Such a visit makes no
/// invoice (no number used, nothing on the patient's phone); one whose figures can't be worked out is not free.
pub fn is_free(lines: &[LineInput]) -> bool {
    lines.iter().all(|line| line.total().is_ok_and(|total| total.0 == 0))
}

/// A patient's cover on an invoice issued on `day`, inside the change that bills them.
/// A patient's cover on an invoice issued on `day`: the scheme, their member number and what it pays.
struct Cover {
    scheme: Scheme,
    member: String,
    coverage: Coverage,
}

async fn coverage_in(tx: &mut Tx, patient_id: i64, day: Date) -> Result<Option<Cover>, ServiceError> {
    use chrono::Datelike;
    let Some((scheme, member)) = repo::scheme_of_patient_in(tx, patient_id).await? else {
        return Ok(None);
    };
    let remaining = if scheme.yearly_limit.0 > 0 {
        let used = repo::scheme_used_in(tx, scheme.id, patient_id, day.0.year()).await?;
        Some(Money(scheme.yearly_limit.0 - used.0))
    } else {
        None
    };
    let coverage = Coverage {
        percent: scheme.percent,
        remaining,
    };
    Ok(Some(Cover {
        scheme,
        member,
        coverage,
    }))
}

pub fn covers_of(scheme: &Scheme) -> Covers {
    Covers {
        consultation: scheme.covers_consultation,
        services: scheme.covers_services,
        lab: scheme.covers_lab,
        procedures: scheme.covers_procedures,
        drugs: scheme.covers_drugs,
    }
}

/// An invoice's figures for its lines (kind and total each), discount and tax, under the patient's cover.
fn figures_for(
    lines: &[(LineKind, Money)],
    discount: Discount,
    tax_bp: i64,
    cover: Option<&Cover>,
) -> Result<Totals, ServiceError> {
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|(kind, total)| PricedLine {
            total: *total,
            covered: cover.is_some_and(|c| covers_of(&c.scheme).covers(*kind)),
        })
        .collect();
    totals(&priced, discount, tax_bp, cover.map(|c| c.coverage)).map_err(totals_error)
}

fn totals_error(err: super::model::TotalsError) -> ServiceError {
    use super::model::TotalsError;
    match err {
        TotalsError::TooLarge => ServiceError::field("quantity", err.to_string()),
        TotalsError::NegativeDiscount | TotalsError::DiscountAboveSubtotal => {
            ServiceError::field("discount_amount", err.to_string())
        }
    }
}

/// Works out a draft's figures from its lines and writes them.
async fn refigure_in(
    tx: &mut Tx,
    invoice: &Invoice,
    discount: Discount,
    discount_reason: &str,
    tax_bp: i64,
    day: Date,
) -> Result<Totals, ServiceError> {
    let lines = repo::lines(&mut *tx, invoice.id).await?;
    // The patient's row stays locked until the change ends, so two invoices of theirs figured at once can't
    // both spend what is left of their scheme's yearly limit.
    crate::patients::service::lock_active(tx, invoice.patient_id).await?;
    let cover = coverage_in(tx, invoice.patient_id, day).await?;
    let kinds: Vec<(LineKind, Money)> = lines.iter().map(|line| (line.kind, line.total)).collect();
    let figures = figures_for(&kinds, discount, tax_bp, cover.as_ref())?;
    let scheme = cover
        .as_ref()
        .filter(|_| figures.scheme_share.0 > 0)
        .map(|cover| (cover.scheme.id, cover.member.as_str()));
    if !repo::set_draft_totals(
        tx,
        invoice.id,
        &figures,
        discount.rate_bp(),
        discount_reason,
        tax_bp,
        scheme,
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    Ok(figures)
}

/// Gives a draft its number and issued status.
async fn issue_in(tx: &mut Tx, invoice_id: i64, figures: &Totals, when: When) -> Result<String, ServiceError> {
    let number = next_number(tx, INVOICE_PREFIX, when.day).await?;
    let status = settled_status(figures.patient_share, Money(0), Money(0));
    let claim = if figures.scheme_share.0 > 0 {
        ClaimStatus::Pending
    } else {
        ClaimStatus::None
    };
    if !repo::issue(tx, invoice_id, &number, (status, claim), when).await? {
        return Err(ServiceError::Stale);
    }
    Ok(number)
}

// ---- invoices from a visit -----------------------------------------------------------------------------

/// What billing a visit would give, before it is billed.
pub struct VisitBill {
    pub visit: crate::consult::model::Visit,
    pub patient: crate::patients::model::Patient,
    pub lines: Vec<LineInput>,
    pub totals: Totals,
    pub scheme: Option<String>,
    /// The visit's live invoice, when it is billed already.
    pub invoice_id: Option<i64>,
    /// Whether it may be billed now (the doctor has completed it).
    pub billable: bool,
    /// Whether it comes to nothing (`is_free`): then no invoice is made.
    pub free: bool,
}

/// The visit's bill as it would be issued today, or its invoice if it has one.
pub async fn visit_bill(db: &Db, visit_id: i64, tax_bp: i64, today: Date) -> Result<VisitBill, ServiceError> {
    let visit = crate::consult::service::visit(db, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let patient = crate::patients::service::get(db, visit.patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let lines = visit_lines(db, visit_id, patient.kind, today).await?;
    let mut tx = db.begin_read().await?;
    let cover = coverage_in(&mut tx, patient.id, today).await?;
    tx.rollback().await?;
    let figures = figures_for(&line_kinds(&lines)?, Discount::None, tax_bp, cover.as_ref())?;
    Ok(VisitBill {
        invoice_id: repo::live_invoice_of_visit(db, visit_id).await?,
        scheme: cover.map(|c| c.scheme.name),
        billable: visit.status == crate::consult::model::VisitStatus::Completed,
        free: is_free(&lines),
        visit,
        patient,
        lines,
        totals: figures,
    })
}

fn line_kinds(lines: &[LineInput]) -> Result<Vec<(LineKind, Money)>, ServiceError> {
    lines
        .iter()
        .map(|line| Ok((line.kind, line.total().map_err(totals_error)?)))
        .collect()
}

const BILL_VISIT: &str = "invoice.bill_visit";

/// What the cashier is told when a visit comes to nothing.
pub const NOTHING_TO_BILL: &str = "Nothing to bill: everything in this visit is free, so no invoice is made and the \
     patient owes nothing for it.";

/// Bills a completed visit: one issued invoice with a line for each thing done, priced for the patient's
/// category. A visit has one live invoice: billing it again (a double click, two cashiers at once) answers
/// with the invoice it has. A visit that comes to nothing (a free consultation and nothing else charged) makes
/// no invoice: a conflict that says so.
pub async fn bill_visit(
    db: &Db,
    actor: &Actor,
    visit_id: i64,
    discount: (Discount, &str),
    tax_bp: i64,
    when: When,
) -> Result<i64, ServiceError> {
    let visit = crate::consult::service::visit(db, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if visit.status != crate::consult::model::VisitStatus::Completed {
        return Err(ServiceError::Conflict(
            "This visit is still open: the doctor completes it before it is billed.".into(),
        ));
    }
    let patient = crate::patients::service::get(db, visit.patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let lines = visit_lines(db, visit_id, patient.kind, when.day).await?;
    if is_free(&lines) {
        // Billed already (before it came to nothing)? Its invoice stands; otherwise nothing is made.
        return match repo::live_invoice_of_visit(db, visit_id).await? {
            Some(invoice) => Ok(invoice),
            None => Err(ServiceError::Conflict(NOTHING_TO_BILL.into())),
        };
    }
    match bill_visit_once(db, actor, &visit, patient.kind, &lines, discount, tax_bp, when).await {
        Err(ServiceError::Internal(err)) if err.downcast_ref::<sqlx::Error>().is_some_and(is_unique_violation) => {
            repo::live_invoice_of_visit(db, visit_id)
                .await?
                .ok_or(ServiceError::Stale)
        }
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
async fn bill_visit_once(
    db: &Db,
    actor: &Actor,
    visit: &crate::consult::model::Visit,
    category: Category,
    lines: &[LineInput],
    (discount, reason): (Discount, &str),
    tax_bp: i64,
    when: When,
) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, BILL_VISIT).await? {
        return Ok(id);
    }
    if let Some(existing) = repo::live_invoice_of_visit_in(&mut tx, visit.id).await? {
        return Ok(existing.id);
    }
    let new = NewInvoice {
        patient_id: visit.patient_id,
        visit_id: Some(visit.id),
        category,
        created_by: staff_id(actor)?,
        at: when.at,
    };
    let id = repo::insert_invoice(&mut tx, &new).await?;
    for line in lines {
        repo::insert_line(&mut tx, id, line, line.total().map_err(totals_error)?).await?;
    }
    let invoice = repo::invoice(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let figures = refigure_in(&mut tx, &invoice, discount, reason, tax_bp, when.day).await?;
    let number = issue_in(&mut tx, id, &figures, when).await?;
    let entry = AuditEntry::new("invoice.issue")
        .record("invoice", id)
        .patient(visit.patient_id)
        .detail(format!(
            "{number} for visit {}: total {}",
            visit.id,
            crate::clinic::currency(&mut tx).await?.format(figures.total)
        ));
    audit::record_form(&mut tx, actor, entry, BILL_VISIT, id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(id)
}

// ---- invoices made by hand -----------------------------------------------------------------------------

const CREATE_DRAFT: &str = "invoice.create";

/// Starts a manual invoice (a draft) for a patient; the same form sent twice starts one.
pub async fn create_draft(db: &Db, actor: &Actor, patient_id: i64, when: When) -> Result<i64, ServiceError> {
    let patient = crate::patients::service::get(db, patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, CREATE_DRAFT).await? {
        return Ok(id);
    }
    let new = NewInvoice {
        patient_id,
        visit_id: None,
        category: patient.kind,
        created_by: staff_id(actor)?,
        at: when.at,
    };
    let id = repo::insert_invoice(&mut tx, &new).await?;
    let entry = AuditEntry::new(CREATE_DRAFT).record("invoice", id).patient(patient_id);
    audit::record_form(&mut tx, actor, entry, CREATE_DRAFT, id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(id)
}

/// The draft, locked for a change, or why it can't be changed.
async fn draft_in(tx: &mut Tx, invoice_id: i64) -> Result<Invoice, ServiceError> {
    repo::lock_invoice(tx, invoice_id).await?;
    let invoice = repo::invoice(&mut *tx, invoice_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !invoice.status.can(InvoiceAction::Edit) {
        return Err(ServiceError::Conflict(
            "This invoice is issued: it can't change any more. Void it or give a credit note instead.".into(),
        ));
    }
    Ok(invoice)
}

/// A line of the fee schedule or the lab and procedure catalogues, priced for a category.
pub async fn catalogue_line(
    db: &Db,
    kind: LineKind,
    item_id: i64,
    quantity: i64,
    category: Category,
) -> Result<LineInput, ServiceError> {
    let book = PriceBook::load(db, category).await?;
    let unknown = || ServiceError::field("item", "Choose a service from the list.");
    let (description, default) = match kind {
        LineKind::Consultation | LineKind::Service => {
            let fee = repo::fees(db)
                .await?
                .into_iter()
                .find(|fee| fee.id == item_id && fee.active);
            let fee = fee.ok_or_else(unknown)?;
            (fee.name, fee.price)
        }
        LineKind::LabTest => {
            let test = crate::lab::service::test(db, item_id).await.map_err(|_| unknown())?;
            (format!("Lab: {}", test.name), test.price)
        }
        LineKind::Procedure => {
            let done = crate::procedures::service::get_type(db, item_id)
                .await?
                .ok_or_else(unknown)?;
            (done.name, done.price)
        }
        LineKind::Drug | LineKind::Other => return Err(unknown()),
    };
    let price_kind = price_kind(kind).unwrap_or("fee");
    Ok(LineInput {
        kind,
        item_id: Some(item_id),
        description,
        quantity,
        unit_price: book.price(price_kind, item_id, default),
    })
}

/// Adds a line to a draft and works its figures out again.
pub async fn add_line(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    line: &LineInput,
    tax_bp: i64,
    when: When,
) -> Result<(), ServiceError> {
    let total = line.total().map_err(totals_error)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, "invoice.add_line").await? {
        return Ok(());
    }
    let invoice = draft_in(&mut tx, invoice_id).await?;
    let line_id = repo::insert_line(&mut tx, invoice_id, line, total).await?;
    refigure_in(&mut tx, &invoice, Discount::None, "", tax_bp, when.day).await?;
    let entry = AuditEntry::new("invoice.add_line")
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!(
            "{} × {} at {}",
            line.description,
            line.quantity,
            crate::clinic::currency(&mut tx).await?.format(line.unit_price)
        ));
    audit::record(&mut tx, actor, entry).await?;
    actor.complete_form(&mut tx, "invoice.add_line", line_id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(())
}

pub async fn remove_line(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    line_id: i64,
    tax_bp: i64,
    when: When,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let invoice = draft_in(&mut tx, invoice_id).await?;
    if !repo::delete_line(&mut tx, invoice_id, line_id).await? {
        return Err(ServiceError::NotFound);
    }
    refigure_in(&mut tx, &invoice, Discount::None, "", tax_bp, when.day).await?;
    let entry = AuditEntry::new("invoice.remove_line")
        .record("invoice", invoice_id)
        .patient(invoice.patient_id);
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(())
}

const ISSUE: &str = "invoice.issue";

/// Issues a draft with its discount: its number, and from then on it never changes. The same form sent twice
/// (a double click) issues it once and answers with its number.
pub async fn issue(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    (discount, reason): (Discount, &str),
    tax_bp: i64,
    when: When,
) -> Result<String, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, ISSUE).await? {
        let issued = repo::invoice(&mut tx, invoice_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        return Ok(issued.label());
    }
    let invoice = draft_in(&mut tx, invoice_id).await?;
    if repo::lines(&mut tx, invoice_id).await?.is_empty() {
        return Err(ServiceError::Refused(
            "Add at least one line before issuing the invoice.".into(),
        ));
    }
    let figures = refigure_in(&mut tx, &invoice, discount, reason, tax_bp, when.day).await?;
    let number = issue_in(&mut tx, invoice_id, &figures, when).await?;
    if figures.patient_share.0 > 0 {
        let context = outbox::Context::read(&mut tx).await?;
        let notice = Notice {
            kind: Kind::InvoiceIssued,
            about: invoice_id.to_string(),
            subject: format!("Invoice {number}"),
            body: format!(
                "Your invoice {number} for {} is ready. You can pay it at reception.",
                context.currency.format(figures.patient_share)
            ),
            link: format!("/me/invoices/{invoice_id}"),
            record: ("invoice", invoice_id),
            stale_after: None,
        };
        outbox::tell_patient(&mut tx, &context, invoice.patient_id, notice).await?;
    }
    let mut detail = format!("{number}: total {}", figures.total.0);
    if figures.discount.0 > 0 {
        detail.push_str(&format!(", discount {} ({reason})", figures.discount.0));
    }
    let entry = AuditEntry::new(ISSUE)
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(detail);
    audit::record_form(&mut tx, actor, entry, ISSUE, invoice_id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(number)
}

// ---- reading invoices ----------------------------------------------------------------------------------

/// An invoice with everything on it, for its page, its statement and the patient's phone.
pub struct InvoiceDetail {
    pub invoice: Invoice,
    pub lines: Vec<repo::Line>,
    pub payments: Vec<repo::Payment>,
    pub credit_notes: Vec<repo::CreditNote>,
}

impl InvoiceDetail {
    pub fn balance(&self) -> Money {
        self.invoice.balance()
    }
}

impl Invoice {
    /// What the patient still owes on it: nothing on a draft or a void invoice.
    pub fn balance(&self) -> Money {
        balance(self.status, self.patient_share, self.credited, self.paid)
    }

    /// Whether `action` may be taken now: the status's rule, and the amounts (a void needs no money on it from
    /// the patient or the scheme).
    pub fn can(&self, action: InvoiceAction) -> bool {
        let state = self.status.can(action);
        match action {
            InvoiceAction::Void => may_void(self.status, self.paid, self.claim_status),
            InvoiceAction::Pay | InvoiceAction::Credit => state && self.balance().0 > 0,
            InvoiceAction::Refund => state && self.paid.0 > 0,
            InvoiceAction::Edit | InvoiceAction::Issue | InvoiceAction::Discard => state,
        }
    }

    pub fn label(&self) -> String {
        self.number.clone().unwrap_or_else(|| format!("Draft {}", self.id))
    }

    /// The figures as the arithmetic gave them.
    pub fn totals(&self) -> Totals {
        Totals {
            subtotal: self.subtotal,
            discount: self.discount,
            tax: self.tax,
            total: self.total,
            scheme_share: self.scheme_share,
            patient_share: self.patient_share,
        }
    }
}

pub async fn invoice(db: &Db, id: i64) -> Result<InvoiceDetail, ServiceError> {
    let invoice = repo::invoice(db, id).await?.ok_or(ServiceError::NotFound)?;
    Ok(InvoiceDetail {
        lines: repo::lines(db, id).await?,
        payments: repo::payments_of(db, id).await?,
        credit_notes: repo::credit_notes_of(db, id).await?,
        invoice,
    })
}

/// An invoice's `updated_at` now: what a form that changes its money carries back (`PaymentInput::seen`).
pub async fn version_of(db: &Db, invoice_id: i64) -> Result<Timestamp, ServiceError> {
    let invoice = repo::invoice(db, invoice_id).await?.ok_or(ServiceError::NotFound)?;
    Ok(invoice.updated_at)
}

/// What is still owed on an invoice now (a receipt shows it).
pub async fn balance_of(db: &Db, invoice_id: i64) -> Result<Money, ServiceError> {
    let invoice = repo::invoice(db, invoice_id).await?.ok_or(ServiceError::NotFound)?;
    Ok(invoice.balance())
}

/// A patient's own issued invoice; NotFound for anyone else's and for one never issued (no number).
pub async fn own_invoice(db: &Db, patient_id: i64, id: i64) -> Result<InvoiceDetail, ServiceError> {
    let detail = invoice(db, id).await?;
    if detail.invoice.patient_id != patient_id || detail.invoice.number.is_none() {
        return Err(ServiceError::NotFound);
    }
    Ok(detail)
}

/// One page of the invoices `filter` lets through (the billing home), and how many it lets through.
pub async fn list(
    db: impl Reader,
    filter: &InvoiceFilter,
    page: crate::db::paging::PageRequest,
) -> Result<(Vec<repo::Listed>, i64), ServiceError> {
    Ok(repo::list(db, filter, page).await?)
}

/// A patient's invoices (newest first) and what they owe in all.
pub async fn of_patient(
    mut db: impl Reader,
    patient_id: i64,
    limit: i64,
) -> Result<(Vec<repo::Listed>, Money), ServiceError> {
    Ok((
        repo::of_patient(&mut db, patient_id, limit).await?,
        repo::owed_by(&mut db, patient_id).await?,
    ))
}

/// How many of a patient's invoices they still owe on, and how much in all (their home page).
pub async fn owed_count_by(db: impl Reader, patient_id: i64) -> Result<(i64, Money), ServiceError> {
    Ok(repo::owed_count_by(db, patient_id).await?)
}

/// How many invoices are unpaid (issued or partly paid) and what is still owed on them in all (the front desk's
/// and the admin's home pages).
pub async fn count_unpaid(db: &Db) -> Result<(i64, Money), ServiceError> {
    Ok(repo::owed_totals(db).await?)
}

/// The money a day took in: every payment less every refund, all cashiers and methods.
pub async fn net_takings_on(db: &Db, day: Date) -> Result<Money, ServiceError> {
    Ok(repo::net_takings_on(db, day).await?)
}

/// Billing on a patient's record, for the cashier: their latest invoices, what they owe, their scheme and the
/// schemes to choose from.
pub struct PatientBilling {
    pub invoices: Vec<repo::Listed>,
    pub owed: Money,
    /// (scheme id, name, member number).
    pub scheme: Option<(i64, String, String)>,
    pub schemes: Vec<Scheme>,
    /// The "New invoice" form's one-time id.
    pub form_id: String,
}

impl PatientBilling {
    pub fn is_scheme(&self, id: &i64) -> bool {
        self.scheme.as_ref().is_some_and(|(scheme, ..)| scheme == id)
    }

    pub fn member_number(&self) -> &str {
        self.scheme.as_ref().map_or("", |(_, _, member)| member.as_str())
    }
}

pub async fn patient_billing(mut db: impl Reader, patient_id: i64) -> Result<PatientBilling, ServiceError> {
    let (invoices, owed) = of_patient(&mut db, patient_id, 5).await?;
    Ok(PatientBilling {
        invoices,
        owed,
        scheme: repo::scheme_of_patient(&mut db, patient_id).await?,
        schemes: repo::schemes(&mut db).await?.into_iter().filter(|s| s.active).collect(),
        form_id: crate::db::form_ids::FormKey::mint().to_string(),
    })
}

pub async fn receipts_of_patient(db: &Db, patient_id: i64, limit: i64) -> Result<Vec<repo::Payment>, ServiceError> {
    Ok(repo::payments_of_patient(db, patient_id, limit).await?)
}

/// The completed visits of the last [`UNBILLED_DAYS`] still to bill (of `patient` alone, or everyone's), newest
/// first, and how many of those read were left out because they come to nothing (`is_free`: they make no
/// invoice).
pub async fn unbilled_visits(
    db: &Db,
    reader: impl Reader,
    today: Date,
    patient: Option<i64>,
    limit: i64,
) -> Result<(Vec<repo::Unbilled>, usize), ServiceError> {
    let since = Timestamp::now().minus_minutes(UNBILLED_DAYS * 24 * 60);
    let visits = repo::unbilled_visits(reader, since, patient, limit).await?;
    let keys: Vec<(i64, Category)> = visits.iter().map(|v| (v.visit_id, v.category)).collect();
    let lines = lines_of_visits(db, &keys, today).await?;
    let free = |visit: &repo::Unbilled| lines.get(&visit.visit_id).is_none_or(|lines| is_free(lines));
    let read = visits.len();
    let to_bill: Vec<repo::Unbilled> = visits.into_iter().filter(|visit| !free(visit)).collect();
    let left_out = read - to_bill.len();
    Ok((to_bill, left_out))
}

/// A payment or refund for its receipt; for a patient only their own.
pub async fn receipt(db: &Db, id: i64, patient: Option<i64>) -> Result<repo::Payment, ServiceError> {
    let payment = repo::payment(db, id).await?.ok_or(ServiceError::NotFound)?;
    match patient {
        Some(patient) if patient != payment.patient_id => Err(ServiceError::NotFound),
        _ => Ok(payment),
    }
}

/// Whether the patient has paid their share of the visit's invoice: the pharmacy's check when the clinic
/// dispenses only when paid. A visit with no invoice is not paid, unless it comes to nothing (`is_free`: no
/// invoice is made for it, and there is nothing to pay).
pub async fn visit_paid(db: impl Reader, visit_id: i64) -> Result<bool, ServiceError> {
    let states = payment_states(db, &[visit_id]).await?;
    Ok(states.get(&visit_id).is_some_and(|state| state.is_settled()))
}

/// Whether each of these visits is billed and paid, for the pharmacy's worklist.
pub async fn payment_states(
    mut db: impl Reader,
    visit_ids: &[i64],
) -> Result<HashMap<i64, PaymentState>, ServiceError> {
    let statuses: HashMap<i64, InvoiceStatus> = repo::statuses_of_visits(&mut db, visit_ids)
        .await?
        .into_iter()
        .collect();
    let unbilled: Vec<i64> = visit_ids
        .iter()
        .copied()
        .filter(|visit| !statuses.contains_key(visit))
        .collect();
    let free: Vec<i64> = if unbilled.is_empty() {
        Vec::new()
    } else {
        let categories = repo::categories_of_visits(&mut db, &unbilled).await?;
        // The day only counts unexpired stock beside a drug's price; the prices are the same any day.
        let any_day = Date(chrono::Utc::now().date_naive());
        let lines = lines_of_visits(&mut db, &categories, any_day).await?;
        lines
            .into_iter()
            .filter(|(_, lines)| is_free(lines))
            .map(|(visit, _)| visit)
            .collect()
    };
    Ok(visit_ids
        .iter()
        .map(|visit| {
            let state = match statuses.get(visit) {
                None if free.contains(visit) => PaymentState::NothingToPay,
                status => PaymentState::of(status.copied()),
            };
            (*visit, state)
        })
        .collect())
}

/// Where a visit's bill stands, in the pharmacist's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    NotBilled,
    Owed,
    Paid,
    /// Everything in the visit is free: no invoice is made and nothing is owed.
    NothingToPay,
}

impl PaymentState {
    fn of(status: Option<InvoiceStatus>) -> Self {
        match status {
            Some(InvoiceStatus::Paid) => PaymentState::Paid,
            Some(InvoiceStatus::Issued | InvoiceStatus::PartlyPaid) => PaymentState::Owed,
            _ => PaymentState::NotBilled,
        }
    }

    /// Whether the pharmacy may dispense when the clinic dispenses only when paid.
    pub fn is_settled(self) -> bool {
        matches!(self, PaymentState::Paid | PaymentState::NothingToPay)
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentState::NotBilled => "Not billed yet",
            PaymentState::Owed => "Not paid",
            PaymentState::Paid => "Paid",
            PaymentState::NothingToPay => "Nothing to pay",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            PaymentState::Paid | PaymentState::NothingToPay => Tone::Good,
            PaymentState::Owed | PaymentState::NotBilled => Tone::Warn,
        }
    }
}

// ---- payments, refunds, credit notes, voids ------------------------------------------------------------

/// A payment as the cashier's form gives it.
pub struct PaymentInput {
    pub method: PaymentMethod,
    pub amount: Money,
    /// Cash handed over (for the change).
    pub tendered: Option<Money>,
    pub reference: String,
    /// The invoice's `updated_at` when the form was shown: a form shown before the invoice last changed is
    /// refused, so going back and sending it again can't take a second payment.
    pub seen: Timestamp,
}

const PAY: &str = "payment.create";

/// The invoice locked for a change, if `action` is allowed on it now.
async fn invoice_for(tx: &mut Tx, invoice_id: i64, action: InvoiceAction) -> Result<Invoice, ServiceError> {
    repo::lock_invoice(tx, invoice_id).await?;
    let invoice = repo::invoice(&mut *tx, invoice_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if invoice.can(action) {
        return Ok(invoice);
    }
    let why = match (invoice.status, action) {
        (InvoiceStatus::Draft, InvoiceAction::Void) => "This invoice is a draft: discard it instead.",
        (InvoiceStatus::Draft, _) => "This invoice is a draft: issue it first.",
        (InvoiceStatus::Void, _) => "This invoice is void.",
        (_, InvoiceAction::Discard) => "This invoice is issued: it can't be discarded. Void it or give a credit note.",
        (_, InvoiceAction::Void) if invoice.paid.0 > 0 => {
            "The patient has paid on this invoice: correct it with a credit note, or refund the money first."
        }
        (_, InvoiceAction::Void) => {
            "The scheme has been sent the claim for its share of this invoice, or has paid it: correct what the \
             patient owes with a credit note instead of a void."
        }
        (_, InvoiceAction::Refund) => "Nothing has been paid on this invoice, so there is nothing to refund.",
        _ => "Nothing is owed on this invoice any more.",
    };
    Err(ServiceError::Conflict(why.into()))
}

/// When a cashier's payment or refund at `when` counts: at that instant, on their first day not closed from
/// `when.day` on (`model::open_day`). Their till stays locked until the change ends, so a close can't slip in
/// between.
async fn till_day(tx: &mut Tx, cashier: i64, when: When) -> Result<When, ServiceError> {
    repo::lock_till(tx, cashier).await?;
    let closed = repo::closed_days_from(tx, cashier, when.day).await?;
    Ok(When {
        day: open_day(when.day, &closed),
        at: when.at,
    })
}

fn amount_error((field, err): (&'static str, AmountError)) -> ServiceError {
    ServiceError::field(field, err.to_string())
}

/// Why the conditional update of an invoice's money (`repo::settle`) changed nothing: the form was shown before
/// the invoice last changed (`Stale`; the invoice as read, locked, tells), or else what `check` says of the
/// amount.
fn not_settled(invoice: &Invoice, seen: Timestamp, check: Result<(), ServiceError>) -> ServiceError {
    if invoice.updated_at != seen {
        return ServiceError::Stale;
    }
    check.err().unwrap_or(ServiceError::Stale)
}

/// Takes a payment; the same form sent again (a double click, a replay) records nothing more and answers with
/// the first payment.
pub async fn pay(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    input: &PaymentInput,
    when: When,
) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, PAY).await? {
        return Ok(id);
    }
    let invoice = invoice_for(&mut tx, invoice_id, InvoiceAction::Pay).await?;
    let tendered = input.tendered.filter(|_| input.method == PaymentMethod::Cash);
    if tendered.is_some_and(|cash| cash.0 < input.amount.0) {
        return Err(amount_error(("tendered", AmountError::TenderedTooLittle)));
    }
    let paid = Money(invoice.paid.0 + input.amount.0);
    let status = settled_status(invoice.patient_share, invoice.credited, paid);
    let from = [InvoiceStatus::Issued, InvoiceStatus::PartlyPaid];
    // The database decides: the invoice is as the form showed it, and the amount fits what is owed.
    let change = (input.amount, Money(0));
    if !repo::settle(&mut tx, invoice_id, input.seen, change, status, &from).await? {
        let check = check_payment(input.amount, invoice.balance(), tendered)
            .map(drop)
            .map_err(amount_error);
        return Err(not_settled(&invoice, input.seen, check));
    }
    let cashier = staff_id(actor)?;
    let when = till_day(&mut tx, cashier, when).await?;
    let number = next_number(&mut tx, RECEIPT_PREFIX, when.day).await?;
    let new = NewPayment {
        number: &number,
        invoice_id,
        patient_id: invoice.patient_id,
        kind: PaymentKind::Payment,
        method: input.method,
        amount: input.amount,
        tendered,
        reference: &input.reference,
        reason: "",
        received_by: cashier,
        when,
    };
    let id = repo::insert_payment(&mut tx, &new).await?;
    let context = outbox::Context::read(&mut tx).await?;
    let notice = Notice {
        kind: Kind::Receipt,
        about: id.to_string(),
        subject: format!("Receipt {number}"),
        body: format!(
            "We received {} for invoice {}. Your receipt is {number}.",
            context.currency.format(input.amount),
            invoice.label()
        ),
        link: format!("/me/receipts/{id}"),
        record: ("payment", id),
        stale_after: None,
    };
    outbox::tell_patient(&mut tx, &context, invoice.patient_id, notice).await?;
    let entry = AuditEntry::new(PAY)
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!(
            "{number}: {} by {} on {}",
            context.currency.format(input.amount),
            input.method.label().to_lowercase(),
            invoice.label()
        ));
    audit::record_form(&mut tx, actor, entry, PAY, id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(id)
}

/// A refund as its form gives it.
pub struct RefundInput {
    pub method: PaymentMethod,
    pub amount: Money,
    pub reason: String,
    /// Also take the amount off what is owed (a credit note), so the patient doesn't owe it again.
    pub credit: bool,
    /// The invoice's `updated_at` when the form was shown (`PaymentInput::seen`).
    pub seen: Timestamp,
}

const REFUND: &str = "payment.refund";

/// Gives money back, never more than was paid, with a reason; with `credit`, a credit note of the same amount
/// keeps the invoice settled. The same form sent twice refunds once.
pub async fn refund(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    input: &RefundInput,
    when: When,
) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, REFUND).await? {
        return Ok(id);
    }
    let invoice = invoice_for(&mut tx, invoice_id, InvoiceAction::Refund).await?;
    let credit = if input.credit { input.amount } else { Money(0) };
    let paid = Money(invoice.paid.0 - input.amount.0);
    let status = settled_status(invoice.patient_share, Money(invoice.credited.0 + credit.0), paid);
    let from = [InvoiceStatus::PartlyPaid, InvoiceStatus::Paid];
    let change = (Money(-input.amount.0), credit);
    if !repo::settle(&mut tx, invoice_id, input.seen, change, status, &from).await? {
        let check =
            check_refund(input.amount, invoice.paid).map_err(|err| ServiceError::field("amount", err.to_string()));
        return Err(not_settled(&invoice, input.seen, check));
    }
    let by = staff_id(actor)?;
    let when = till_day(&mut tx, by, when).await?;
    let number = next_number(&mut tx, REFUND_PREFIX, when.day).await?;
    if input.credit {
        let credit_number = next_number(&mut tx, CREDIT_PREFIX, when.day).await?;
        repo::insert_credit_note(&mut tx, &credit_number, invoice_id, credit, &input.reason, by, when).await?;
    }
    let new = NewPayment {
        number: &number,
        invoice_id,
        patient_id: invoice.patient_id,
        kind: PaymentKind::Refund,
        method: input.method,
        amount: Money(-input.amount.0),
        tendered: None,
        reference: "",
        reason: &input.reason,
        received_by: by,
        when,
    };
    let id = repo::insert_payment(&mut tx, &new).await?;
    let entry = AuditEntry::new(REFUND)
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!(
            "{number}: {} by {} on {} ({})",
            crate::clinic::currency(&mut tx).await?.format(input.amount),
            input.method.label().to_lowercase(),
            invoice.label(),
            input.reason
        ));
    audit::record_form(&mut tx, actor, entry, REFUND, id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(id)
}

const CREDIT: &str = "invoice.credit";

/// Takes `amount` off what the patient owes on an issued invoice, with a reason, as a numbered credit note.
pub async fn credit(
    db: &Db,
    actor: &Actor,
    invoice_id: i64,
    (amount, reason): (Money, &str),
    seen: Timestamp,
    when: When,
) -> Result<String, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, CREDIT).await? {
        return Ok(repo::credit_note_number_in(&mut tx, id).await?.unwrap_or_default());
    }
    let invoice = invoice_for(&mut tx, invoice_id, InvoiceAction::Credit).await?;
    let status = settled_status(
        invoice.patient_share,
        Money(invoice.credited.0 + amount.0),
        invoice.paid,
    );
    let from = [InvoiceStatus::Issued, InvoiceStatus::PartlyPaid];
    if !repo::settle(&mut tx, invoice_id, seen, (Money(0), amount), status, &from).await? {
        let check =
            check_credit(amount, invoice.balance()).map_err(|err| ServiceError::field("amount", err.to_string()));
        return Err(not_settled(&invoice, seen, check));
    }
    let number = next_number(&mut tx, CREDIT_PREFIX, when.day).await?;
    let id = repo::insert_credit_note(&mut tx, &number, invoice_id, amount, reason, staff_id(actor)?, when).await?;
    let entry = AuditEntry::new(CREDIT)
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!(
            "{number}: {} off {} ({reason})",
            crate::clinic::currency(&mut tx).await?.format(amount),
            invoice.label()
        ));
    audit::record_form(&mut tx, actor, entry, CREDIT, id).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(number)
}

/// Throws a draft away with its lines: it was never issued, so no number is used and the patient never sees it.
/// Returns the patient's id (their record is where the draft was started).
pub async fn discard(db: &Db, actor: &Actor, invoice_id: i64) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    let invoice = invoice_for(&mut tx, invoice_id, InvoiceAction::Discard).await?;
    if !repo::delete_draft(&mut tx, invoice_id).await? {
        return Err(ServiceError::Stale);
    }
    let entry = AuditEntry::new("invoice.discard")
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!(
            "{}: total {}",
            invoice.label(),
            crate::clinic::currency(&mut tx).await?.format(invoice.total)
        ));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(invoice.patient_id)
}

/// Voids an issued invoice with no money on it (`model::may_void`); its number stays used.
pub async fn void(db: &Db, actor: &Actor, invoice_id: i64, reason: &str) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let invoice = invoice_for(&mut tx, invoice_id, InvoiceAction::Void).await?;
    if !repo::void(&mut tx, invoice_id, reason).await? {
        return Err(ServiceError::Stale);
    }
    if let Some(day) = invoice.issued_day {
        crate::db::late_changes::day_changed(&mut tx, day).await?;
    }
    let entry = AuditEntry::new("invoice.void")
        .record("invoice", invoice_id)
        .patient(invoice.patient_id)
        .detail(format!("{}: {reason}", invoice.label()));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(())
}

// ---- the cashier's day ---------------------------------------------------------------------------------

/// A day at the cashier's desk: money by cashier and method, every payment and refund, and the closes.
pub struct DayReport {
    pub day: Date,
    pub takings: Vec<repo::Takings>,
    pub payments: Vec<repo::Payment>,
    pub closes: Vec<repo::CashClose>,
}

impl DayReport {
    /// Net money by method: (method, in, out, net), every method listed.
    pub fn by_method(&self) -> Vec<(PaymentMethod, Money, Money, Money)> {
        PaymentMethod::ALL
            .iter()
            .map(|method| {
                let rows = self.takings.iter().filter(|t| t.method == *method);
                let (taken, refunded) = rows.fold((0, 0), |(a, b), t| (a + t.taken.0, b + t.refunded.0));
                (*method, Money(taken), Money(refunded), Money(taken - refunded))
            })
            .collect()
    }

    /// Net money by cashier: (id, name, cash net, all methods net).
    pub fn by_cashier(&self) -> Vec<(i64, String, Money, Money)> {
        let mut out: Vec<(i64, String, Money, Money)> = Vec::new();
        for t in &self.takings {
            let net = t.taken.0 - t.refunded.0;
            let cash = if t.method == PaymentMethod::Cash { net } else { 0 };
            match out.iter_mut().find(|(id, ..)| *id == t.cashier_id) {
                Some(row) => {
                    row.2.0 += cash;
                    row.3.0 += net;
                }
                None => out.push((t.cashier_id, t.cashier_name.clone(), Money(cash), Money(net))),
            }
        }
        out
    }

    /// Every method's net together.
    pub fn net(&self) -> Money {
        let (taken, refunded) = self.in_and_out();
        Money(taken.0 - refunded.0)
    }

    pub fn close_of(&self, cashier_id: i64) -> Option<&repo::CashClose> {
        self.closes.iter().find(|c| c.cashier_id == cashier_id)
    }

    /// Money in and money out across every method: (taken, refunded).
    pub fn in_and_out(&self) -> (Money, Money) {
        let (taken, refunded) = self
            .takings
            .iter()
            .fold((0, 0), |(a, b), t| (a + t.taken.0, b + t.refunded.0));
        (Money(taken), Money(refunded))
    }

    /// The net cash the day's drawers hold between them.
    pub fn cash(&self) -> Money {
        self.by_cashier()
            .iter()
            .fold(Money(0), |sum, (_, _, cash, _)| Money(sum.0 + cash.0))
    }

    /// How many payments and how many refunds the day saw.
    pub fn receipt_counts(&self) -> (i64, i64) {
        let refunds = self.payments.iter().filter(|p| p.is_refund()).count();
        ((self.payments.len() - refunds) as i64, refunds as i64)
    }

    /// "1 of 2 closed": how many of the cashiers who took money have counted their drawer.
    pub fn drawers_closed(&self) -> String {
        let cashiers = self.by_cashier();
        let closed = cashiers.iter().filter(|(id, ..)| self.close_of(*id).is_some()).count();
        format!("{closed} of {} closed", cashiers.len())
    }
}

pub async fn day_report(db: &Db, day: Date) -> Result<DayReport, ServiceError> {
    Ok(DayReport {
        day,
        takings: repo::takings_on(db, day).await?,
        payments: repo::payments_on(db, day, None).await?,
        closes: repo::closes_on(db, day).await?,
    })
}

/// Records the cash a cashier counted at the end of `day` against what their payments and refunds say they
/// hold; once per cashier and day. The close keeps both figures as they were; the cashier's payments and refunds
/// after it count on their next open day.
pub async fn close_day(
    db: &Db,
    actor: &Actor,
    (day, today): (Date, Date),
    counted: Money,
    note: &str,
) -> Result<Money, ServiceError> {
    if day.0 > today.0 {
        return Err(ServiceError::Refused(
            "That day hasn't come yet: close a day once it is over or under way.".into(),
        ));
    }
    let cashier = staff_id(actor)?;
    let mut tx = db.begin_write().await?;
    // No payment or refund of this cashier is half-made while the cash is summed; any made after the close
    // counts on their next open day (`till_day`), so what is stored here stays true.
    repo::lock_till(&mut tx, cashier).await?;
    let expected = repo::net_cash_in(&mut tx, day, cashier).await?;
    let difference = Money(counted.0 - expected.0);
    let currency = crate::clinic::currency(&mut tx).await?;
    if let Err(message) = check_close_note(difference, note, &currency) {
        let mut errors = FieldErrors::default();
        errors.add("note", message);
        return Err(ServiceError::Invalid(errors));
    }
    if !repo::insert_close(&mut tx, day, cashier, expected, counted, note).await? {
        return Err(ServiceError::Conflict(
            "You have closed this day already; its count is below.".into(),
        ));
    }
    let entry = AuditEntry::new("cash.close").detail(format!(
        "{day}: expected {}, counted {}, difference {}",
        currency.format(expected),
        currency.format(counted),
        currency.format(difference)
    ));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Billing);
    tx.commit().await?;
    Ok(difference)
}

// ---- claims --------------------------------------------------------------------------------------------

/// A scheme's claim for a month: its share of each invoice issued that month.
pub struct SchemeClaim {
    pub scheme: Scheme,
    pub month: String,
    pub lines: Vec<repo::ClaimLine>,
}

impl SchemeClaim {
    /// The sum of the lines in `status`.
    pub fn sum(&self, status: ClaimStatus) -> Money {
        Money(
            self.lines
                .iter()
                .filter(|line| line.claim_status == status)
                .map(|line| line.scheme_share.0)
                .sum(),
        )
    }

    pub fn total(&self) -> Money {
        Money(self.lines.iter().map(|line| line.scheme_share.0).sum())
    }

    /// What the scheme still owes: lines not yet paid or rejected.
    pub fn outstanding(&self) -> Money {
        Money(self.total().0 - self.sum(ClaimStatus::Paid).0 - self.sum(ClaimStatus::Rejected).0)
    }
}

pub async fn claim(db: &Db, scheme_id: i64, month: &str) -> Result<SchemeClaim, ServiceError> {
    let scheme = repo::scheme(db, scheme_id).await?.ok_or(ServiceError::NotFound)?;
    Ok(SchemeClaim {
        lines: repo::claim_lines(db, scheme_id, month).await?,
        scheme,
        month: month.to_owned(),
    })
}

/// Marks claim lines of a scheme's month submitted, paid or rejected (with a reason); lines that can't move there
/// from where they are stay as they are. Returns how many moved.
pub async fn mark_claim(
    db: &Db,
    actor: &Actor,
    (scheme_id, month): (i64, &str),
    invoice_ids: &[i64],
    to: ClaimStatus,
    reason: &str,
) -> Result<u64, ServiceError> {
    let from: Vec<ClaimStatus> = ClaimStatus::ALL.iter().copied().filter(|s| s.may_become(to)).collect();
    if from.is_empty() {
        return Err(ServiceError::Refused("Claim lines can't be marked that way.".into()));
    }
    let mut tx = db.begin_write().await?;
    let moved = repo::set_claim_status(&mut tx, (scheme_id, month), invoice_ids, &from, to, reason).await?;
    let entry = AuditEntry::new("claim.mark")
        .record("scheme", scheme_id)
        .detail(format!(
            "{moved} line(s) {}: {}",
            to.as_str(),
            crate::db::id_list(invoice_ids)
        ));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(moved)
}

// ---- the fee schedule and schemes ----------------------------------------------------------------------

pub async fn fees(db: &Db) -> Result<Vec<repo::Fee>, ServiceError> {
    Ok(repo::fees(db).await?)
}

/// Every category price by (item kind, item id, category).
pub async fn category_prices(db: &Db) -> Result<HashMap<(String, i64, Category), Money>, ServiceError> {
    Ok(repo::category_prices(db)
        .await?
        .into_iter()
        .map(|(kind, id, category, price)| ((kind, id, category), price))
        .collect())
}

fn unique_name(err: sqlx::Error, what: &str) -> ServiceError {
    if is_unique_violation(&err) {
        ServiceError::field("name", format!("There is already {what} with this name."))
    } else {
        err.into()
    }
}

pub async fn add_fee(db: &Db, actor: &Actor, name: &str, price: Money) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, "fee.create").await? {
        return Ok(id);
    }
    let id = repo::insert_fee(&mut tx, name, price)
        .await
        .map_err(|e| unique_name(e, "a service"))?;
    let entry = AuditEntry::new("fee.create").record("fee", id).detail(format!(
        "{name}: {}",
        crate::clinic::currency(&mut tx).await?.format(price)
    ));
    audit::record(&mut tx, actor, entry).await?;
    actor.complete_form(&mut tx, "fee.create", id).await?;
    tx.commit().await?;
    Ok(id)
}

/// A fee's new name, price and state, and its prices by category (None: the fee's own price).
pub struct FeeChange {
    pub name: String,
    pub price: Money,
    pub active: bool,
    pub by_category: Vec<(Category, Option<Money>)>,
}

pub async fn update_fee(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: crate::db::Timestamp,
    change: &FeeChange,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let fee = repo::fee_in(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let active = change.active || fee.is_consultation();
    let updated = repo::update_fee(&mut tx, id, seen, &change.name, change.price, active)
        .await
        .map_err(|e| unique_name(e, "a service"))?;
    if !updated {
        return Err(ServiceError::Stale);
    }
    set_prices_in(&mut tx, "fee", id, &change.by_category).await?;
    let entry = AuditEntry::new("fee.update").record("fee", id).detail({
        let currency = crate::clinic::currency(&mut tx).await?;
        format!(
            "{}: {} → {}",
            change.name,
            currency.format(fee.price),
            currency.format(change.price)
        )
    });
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

async fn set_prices_in(
    tx: &mut Tx,
    item_kind: &str,
    item_id: i64,
    prices: &[(Category, Option<Money>)],
) -> Result<(), ServiceError> {
    for (category, price) in prices {
        repo::set_category_price(tx, item_kind, item_id, *category, *price).await?;
    }
    Ok(())
}

/// Sets a lab test's or a procedure's prices by category; NotFound for any other kind of item or one that
/// doesn't exist.
pub async fn set_item_prices(
    db: &Db,
    actor: &Actor,
    item_kind: &str,
    item_id: i64,
    prices: &[(Category, Option<Money>)],
) -> Result<(), ServiceError> {
    let item_kind = match item_kind {
        "lab_test" => {
            crate::lab::service::test(db, item_id).await?;
            "lab_test"
        }
        "procedure" => {
            crate::procedures::service::get_type(db, item_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            "procedure"
        }
        _ => return Err(ServiceError::NotFound),
    };
    let mut tx = db.begin_write().await?;
    set_prices_in(&mut tx, item_kind, item_id, prices).await?;
    let entry = AuditEntry::new("fee.prices").record(item_kind, item_id);
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn schemes(db: &Db) -> Result<Vec<Scheme>, ServiceError> {
    Ok(repo::schemes(db).await?)
}

pub async fn add_scheme(db: &Db, actor: &Actor, input: &repo::SchemeInput) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, "scheme.create").await? {
        return Ok(id);
    }
    let id = repo::insert_scheme(&mut tx, input)
        .await
        .map_err(|e| unique_name(e, "a scheme"))?;
    let entry = AuditEntry::new("scheme.create").record("scheme", id).detail(format!(
        "{}: {} % of {}",
        input.name,
        input.percent,
        input.covers.describe()
    ));
    audit::record(&mut tx, actor, entry).await?;
    actor.complete_form(&mut tx, "scheme.create", id).await?;
    tx.commit().await?;
    Ok(id)
}

/// The scheme covering a patient: (id, name, member number).
pub async fn scheme_of_patient(db: &Db, patient_id: i64) -> Result<Option<(i64, String, String)>, ServiceError> {
    Ok(repo::scheme_of_patient(db, patient_id).await?)
}

/// Puts a patient under a scheme with their member number, or (None) under none.
pub async fn set_patient_scheme(
    db: &Db,
    actor: &Actor,
    patient_id: i64,
    scheme: Option<(i64, &str)>,
) -> Result<(), ServiceError> {
    crate::patients::service::get(db, patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some((id, _)) = scheme {
        repo::scheme(db, id)
            .await?
            .filter(|s| s.active)
            .ok_or_else(|| ServiceError::field("scheme_id", "Choose one of the clinic's schemes."))?;
    }
    let mut tx = db.begin_write().await?;
    repo::set_patient_scheme(&mut tx, patient_id, scheme).await?;
    let detail = match scheme {
        Some((id, member)) => format!("scheme {id}, member {member}"),
        None => "no scheme".into(),
    };
    let entry = AuditEntry::new("patient.scheme")
        .record("patient", patient_id)
        .patient(patient_id)
        .detail(detail);
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}
