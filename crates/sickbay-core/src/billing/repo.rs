//! All SQL of billing. Money is summed in SQL with `CAST(... AS BIGINT)` (PostgreSQL's SUM of BIGINT is
//! NUMERIC); an invoice's paid and credited amounts move only by conditional updates that keep them within its
//! patient share, so two cashiers at one invoice can't take more than is owed.

use super::model::{
    Category, ClaimStatus, InvoiceFilter, InvoiceStatus, LineInput, LineKind, PaymentKind, PaymentMethod, Totals, When,
};
use crate::db::paging::PageRequest;
use crate::db::{Date, Flag, Money, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id};

// ---- fee schedule and category prices ------------------------------------------------------------------

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Fee {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub price: Money,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    pub updated_at: Timestamp,
}

impl Fee {
    pub fn is_consultation(&self) -> bool {
        self.kind == "consultation"
    }
}

const FEE_COLUMNS: &str = "id, kind, name, price, active, updated_at";

pub async fn fees(mut db: impl Reader) -> Result<Vec<Fee>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {FEE_COLUMNS} FROM fee ORDER BY kind, LOWER(name)"))
        .fetch_all(db.exec())
        .await
}

pub async fn fee_in(tx: &mut Tx, id: i64) -> Result<Option<Fee>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {FEE_COLUMNS} FROM fee WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn consultation_fee(mut db: impl Reader) -> Result<Option<Fee>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {FEE_COLUMNS} FROM fee WHERE kind = 'consultation'"))
        .fetch_optional(db.exec())
        .await
}

pub async fn insert_fee(tx: &mut Tx, name: &str, price: Money) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO fee (kind, name, price, active, created_at, updated_at) VALUES ('service', $1, $2, 1, $3, $3)
         RETURNING id",
    )
    .bind(name)
    .bind(price)
    .bind(now);
    inserted_id(tx, query).await
}

/// Changes a fee loaded at `seen`; false when it changed since.
pub async fn update_fee(
    tx: &mut Tx,
    id: i64,
    seen: Timestamp,
    name: &str,
    price: Money,
    active: bool,
) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now_after(seen);
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE fee SET name = $1, price = $2, active = $3, updated_at = $4 WHERE id = $5 AND updated_at = $6",
        )
        .bind(name)
        .bind(price)
        .bind(Flag(active))
        .bind(now)
        .bind(id)
        .bind(seen),
    )
    .await
}

/// Every category price: (item kind, item id, category, price).
pub async fn category_prices(mut db: impl Reader) -> Result<Vec<(String, i64, Category, Money)>, sqlx::Error> {
    sqlx::query_as("SELECT item_kind, item_id, category, price FROM category_price")
        .fetch_all(db.exec())
        .await
}

/// The category prices of one category, for pricing an invoice.
pub async fn prices_for(mut db: impl Reader, category: Category) -> Result<Vec<(String, i64, Money)>, sqlx::Error> {
    sqlx::query_as("SELECT item_kind, item_id, price FROM category_price WHERE category = $1")
        .bind(category)
        .fetch_all(db.exec())
        .await
}

/// Sets (or with `None` removes) the price of an item for a category.
pub async fn set_category_price(
    tx: &mut Tx,
    item_kind: &str,
    item_id: i64,
    category: Category,
    price: Option<Money>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM category_price WHERE item_kind = $1 AND item_id = $2 AND category = $3")
        .bind(item_kind)
        .bind(item_id)
        .bind(category)
        .execute(&mut **tx)
        .await?;
    if let Some(price) = price {
        sqlx::query("INSERT INTO category_price (item_kind, item_id, category, price) VALUES ($1, $2, $3, $4)")
            .bind(item_kind)
            .bind(item_id)
            .bind(category)
            .bind(price)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

// ---- schemes --------------------------------------------------------------------------------------------

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Scheme {
    pub id: i64,
    pub name: String,
    pub percent: i64,
    #[sqlx(try_from = "Flag")]
    pub covers_consultation: bool,
    #[sqlx(try_from = "Flag")]
    pub covers_services: bool,
    #[sqlx(try_from = "Flag")]
    pub covers_lab: bool,
    #[sqlx(try_from = "Flag")]
    pub covers_procedures: bool,
    #[sqlx(try_from = "Flag")]
    pub covers_drugs: bool,
    pub yearly_limit: Money,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    pub updated_at: Timestamp,
}

const SCHEME_COLUMNS: &str = "s.id, s.name, s.percent, s.covers_consultation, s.covers_services, s.covers_lab, \
     s.covers_procedures, s.covers_drugs, s.yearly_limit, s.active, s.updated_at";

/// A scheme as its form gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeInput {
    pub name: String,
    pub percent: i64,
    pub covers: super::model::Covers,
    pub yearly_limit: Money,
    pub active: bool,
}

pub async fn schemes(mut db: impl Reader) -> Result<Vec<Scheme>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SCHEME_COLUMNS} FROM scheme s ORDER BY s.active DESC, LOWER(s.name)"
    ))
    .fetch_all(db.exec())
    .await
}

pub async fn scheme(db: impl Reader, id: i64) -> Result<Option<Scheme>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {SCHEME_COLUMNS} FROM scheme s WHERE s.id = $1"),
        id,
    )
    .await
}

pub async fn insert_scheme(tx: &mut Tx, input: &SchemeInput) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO scheme (name, percent, covers_consultation, covers_services, covers_lab, covers_procedures,
                             covers_drugs, yearly_limit, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(&input.name)
    .bind(input.percent)
    .bind(Flag(input.covers.consultation))
    .bind(Flag(input.covers.services))
    .bind(Flag(input.covers.lab))
    .bind(Flag(input.covers.procedures))
    .bind(Flag(input.covers.drugs))
    .bind(input.yearly_limit)
    .bind(Flag(input.active))
    .bind(now);
    inserted_id(tx, query).await
}

/// The scheme covering a patient, with their member number.
pub async fn scheme_of_patient_in(tx: &mut Tx, patient_id: i64) -> Result<Option<(Scheme, String)>, sqlx::Error> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT ps.scheme_id, ps.member_number FROM patient_scheme ps JOIN scheme s ON s.id = ps.scheme_id
         WHERE ps.patient_id = $1 AND s.active = 1",
    )
    .bind(patient_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((scheme_id, member)) = row else {
        return Ok(None);
    };
    let scheme: Option<Scheme> = sqlx::query_as(&format!("SELECT {SCHEME_COLUMNS} FROM scheme s WHERE s.id = $1"))
        .bind(scheme_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(scheme.map(|scheme| (scheme, member)))
}

pub async fn scheme_of_patient(
    mut db: impl Reader,
    patient_id: i64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.name, ps.member_number FROM patient_scheme ps JOIN scheme s ON s.id = ps.scheme_id
         WHERE ps.patient_id = $1 AND s.active = 1",
    )
    .bind(patient_id)
    .fetch_optional(db.exec())
    .await
}

pub async fn set_patient_scheme(tx: &mut Tx, patient_id: i64, scheme: Option<(i64, &str)>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM patient_scheme WHERE patient_id = $1")
        .bind(patient_id)
        .execute(&mut **tx)
        .await?;
    if let Some((scheme_id, member)) = scheme {
        sqlx::query(
            "INSERT INTO patient_scheme (patient_id, scheme_id, member_number, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(patient_id)
        .bind(scheme_id)
        .bind(member)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What a scheme has taken on for a patient in the months of a year (`YYYY-`): its shares of their live
/// invoices.
pub async fn scheme_used_in(tx: &mut Tx, scheme_id: i64, patient_id: i64, year: i32) -> Result<Money, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(scheme_share), 0) AS BIGINT) FROM invoice
         WHERE scheme_id = $1 AND patient_id = $2 AND status <> 'void' AND issued_month LIKE $3",
    )
    .bind(scheme_id)
    .bind(patient_id)
    .bind(format!("{year}-%"))
    .fetch_one(&mut **tx)
    .await
}

// ---- invoices ------------------------------------------------------------------------------------------

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invoice {
    pub id: i64,
    pub number: Option<String>,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub visit_id: Option<i64>,
    pub category: Category,
    pub status: InvoiceStatus,
    pub subtotal: Money,
    pub discount: Money,
    pub discount_bp: Option<i64>,
    pub discount_reason: String,
    pub tax_bp: i64,
    pub tax: Money,
    pub total: Money,
    pub scheme_id: Option<i64>,
    pub scheme_name: Option<String>,
    pub scheme_share: Money,
    pub patient_share: Money,
    pub paid: Money,
    pub credited: Money,
    pub claim_status: ClaimStatus,
    pub claim_reason: String,
    pub void_reason: String,
    pub created_at: Timestamp,
    pub issued_at: Option<Timestamp>,
    pub issued_day: Option<Date>,
    pub updated_at: Timestamp,
}

const INVOICE_SELECT: &str = "SELECT i.id, i.number, i.patient_id,
        p.first_name || ' ' || p.surname AS patient_name, p.clinic_number, i.visit_id, i.category, i.status,
        i.subtotal, i.discount, i.discount_bp, i.discount_reason, i.tax_bp, i.tax, i.total, i.scheme_id,
        s.name AS scheme_name, i.scheme_share, i.patient_share, i.paid, i.credited, i.claim_status, i.claim_reason,
        i.void_reason, i.created_at, i.issued_at, i.issued_day, i.updated_at
     FROM invoice i JOIN patient p ON p.id = i.patient_id LEFT JOIN scheme s ON s.id = i.scheme_id";

pub async fn invoice(db: impl Reader, id: i64) -> Result<Option<Invoice>, sqlx::Error> {
    row_by_id(db, &format!("{INVOICE_SELECT} WHERE i.id = $1"), id).await
}

/// Locks an invoice's row until the change ends (PostgreSQL; SQLite's write transaction holds the database).
pub async fn lock_invoice(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoice SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn live_invoice_of_visit(mut db: impl Reader, visit_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM invoice WHERE visit_id = $1 AND status <> 'void'")
        .bind(visit_id)
        .fetch_optional(db.exec())
        .await
}

pub async fn live_invoice_of_visit_in(tx: &mut Tx, visit_id: i64) -> Result<Option<Invoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{INVOICE_SELECT} WHERE i.visit_id = $1 AND i.status <> 'void'"
    ))
    .bind(visit_id)
    .fetch_optional(&mut **tx)
    .await
}

/// A new invoice's first row: a draft with no lines.
pub struct NewInvoice {
    pub patient_id: i64,
    pub visit_id: Option<i64>,
    pub category: Category,
    pub created_by: i64,
    pub at: Timestamp,
}

pub async fn insert_invoice(tx: &mut Tx, new: &NewInvoice) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO invoice (patient_id, visit_id, category, status, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $5) RETURNING id",
    )
    .bind(new.patient_id)
    .bind(new.visit_id)
    .bind(new.category)
    .bind(new.created_by)
    .bind(new.at);
    inserted_id(tx, query).await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Line {
    pub id: i64,
    pub kind: LineKind,
    pub item_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub total: Money,
}

pub async fn insert_line(tx: &mut Tx, invoice_id: i64, line: &LineInput, total: Money) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO invoice_line (invoice_id, kind, item_id, description, quantity, unit_price, total, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(invoice_id)
    .bind(line.kind)
    .bind(line.item_id)
    .bind(&line.description)
    .bind(line.quantity)
    .bind(line.unit_price)
    .bind(total)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

pub async fn delete_line(tx: &mut Tx, invoice_id: i64, line_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("DELETE FROM invoice_line WHERE id = $1 AND invoice_id = $2")
            .bind(line_id)
            .bind(invoice_id),
    )
    .await
}

const LINE_COLUMNS: &str = "id, kind, item_id, description, quantity, unit_price, total";

pub async fn lines(mut db: impl Reader, invoice_id: i64) -> Result<Vec<Line>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {LINE_COLUMNS} FROM invoice_line WHERE invoice_id = $1 ORDER BY id"
    ))
    .bind(invoice_id)
    .fetch_all(db.exec())
    .await
}

/// Writes a draft's figures; false when it is no longer a draft.
pub async fn set_draft_totals(
    tx: &mut Tx,
    id: i64,
    totals: &Totals,
    discount_bp: Option<i64>,
    discount_reason: &str,
    tax_bp: i64,
    scheme: Option<(i64, &str)>,
) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE invoice SET subtotal = $1, discount = $2, discount_bp = $3, discount_reason = $4, tax_bp = $5,
                tax = $6, total = $7, scheme_id = $8, member_number = $9, scheme_share = $10, patient_share = $11,
                updated_at = $12
         WHERE id = $13 AND status = 'draft'",
        )
        .bind(totals.subtotal)
        .bind(totals.discount)
        .bind(discount_bp)
        .bind(discount_reason)
        .bind(tax_bp)
        .bind(totals.tax)
        .bind(totals.total)
        .bind(scheme.map(|(id, _)| id))
        .bind(scheme.map_or("", |(_, member)| member))
        .bind(totals.scheme_share)
        .bind(totals.patient_share)
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
}

/// Issues a draft with its number `when`; false when it is no longer a draft.
pub async fn issue(
    tx: &mut Tx,
    id: i64,
    number: &str,
    (status, claim): (InvoiceStatus, ClaimStatus),
    when: When,
) -> Result<bool, sqlx::Error> {
    let month = when.day.to_string()[..7].to_owned();
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE invoice SET number = $1, status = $2, claim_status = $3, issued_at = $4, issued_day = $5,
                issued_month = $6, updated_at = $7
         WHERE id = $8 AND status = 'draft'",
        )
        .bind(number)
        .bind(status)
        .bind(claim)
        .bind(when.at)
        .bind(when.day)
        .bind(month)
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
}

/// Adds `paid_change` to what was paid and `credit_change` to what was credited, if the invoice is still as
/// the form that asks for it was shown (`seen`, its `updated_at` then), still in one of `from`, and the result
/// stays within its patient share; the new status is computed by the caller. The change moves `updated_at` on
/// (always later than `seen`), so every form shown before it is stale. False when the invoice changed since the
/// form was shown or the amounts don't fit.
pub async fn settle(
    tx: &mut Tx,
    id: i64,
    seen: Timestamp,
    (paid_change, credit_change): (Money, Money),
    status: InvoiceStatus,
    from: &[InvoiceStatus],
) -> Result<bool, sqlx::Error> {
    let states = crate::db::word_list(from.iter().map(|s| s.as_str()));
    changed_one_row(
        tx,
        sqlx::query(&format!(
            "UPDATE invoice SET paid = paid + $1, credited = credited + $2, status = $3, updated_at = $4
         WHERE id = $5 AND updated_at = $6 AND status IN ({states})
           AND paid + $1 >= 0 AND paid + $1 + credited + $2 <= patient_share"
        ))
        .bind(paid_change)
        .bind(credit_change)
        .bind(status)
        .bind(seen.now_after())
        .bind(id)
        .bind(seen),
    )
    .await
}

/// Voids an issued invoice with no money on it (nothing the patient paid, no claim sent to or paid by the
/// scheme: `model::may_void`); false otherwise.
pub async fn void(tx: &mut Tx, id: i64, reason: &str) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE invoice SET status = 'void', void_reason = $1, claim_status = 'none', updated_at = $2
         WHERE id = $3 AND status IN ('issued', 'partly_paid', 'paid') AND paid = 0
           AND claim_status NOT IN ('submitted', 'paid')",
        )
        .bind(reason)
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
}

/// Deletes a draft with its lines (it was never issued: no number, no money); false when it is no longer a
/// draft (the caller then rolls the lines' deletion back with the rest).
pub async fn delete_draft(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM invoice_line WHERE invoice_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    changed_one_row(
        tx,
        sqlx::query("DELETE FROM invoice WHERE id = $1 AND status = 'draft'").bind(id),
    )
    .await
}

/// The status of each of these visits' live invoice: (visit id, status).
pub async fn statuses_of_visits(
    mut db: impl Reader,
    visit_ids: &[i64],
) -> Result<Vec<(i64, InvoiceStatus)>, sqlx::Error> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(&format!(
        "SELECT visit_id, status FROM invoice WHERE status <> 'void' AND visit_id IN ({})",
        crate::db::id_list(visit_ids)
    ))
    .fetch_all(db.exec())
    .await
}

/// The category of each of these visits' patient, which the visit is priced for: (visit id, category).
pub async fn categories_of_visits(mut db: impl Reader, visit_ids: &[i64]) -> Result<Vec<(i64, Category)>, sqlx::Error> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(&format!(
        "SELECT v.id, p.kind FROM visit v JOIN patient p ON p.id = v.patient_id WHERE v.id IN ({})",
        crate::db::id_list(visit_ids)
    ))
    .fetch_all(db.exec())
    .await
}

/// A row of an invoice list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub number: Option<String>,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub status: InvoiceStatus,
    pub total: Money,
    pub patient_share: Money,
    pub paid: Money,
    pub credited: Money,
    pub created_at: Timestamp,
}

impl Listed {
    /// What the patient still owes on it: nothing on a draft or a void invoice.
    pub fn balance(&self) -> Money {
        super::model::balance(self.status, self.patient_share, self.credited, self.paid)
    }

    /// What a scheme covering the patient pays of it (nothing for a patient under no scheme).
    pub fn scheme_share(&self) -> Money {
        Money(self.total.0 - self.patient_share.0)
    }
}

const LISTED_COLUMNS: &str = "i.id, i.number, i.patient_id, p.first_name || ' ' || p.surname AS patient_name,
        p.clinic_number, i.status, i.total, i.patient_share, i.paid, i.credited, i.created_at";

/// One page of the invoices `filter` lets through, newest first, and how many it lets through. The page's ids
/// are chosen from the index `invoice_status` (and a search's patients' tokens or the number's unique key), so
/// only the rows shown are read and joined to their patient.
pub async fn list(
    db: impl Reader,
    filter: &InvoiceFilter,
    page: PageRequest,
) -> Result<(Vec<Listed>, i64), sqlx::Error> {
    let (conditions, values) = list_conditions(filter);
    let sql = format!(
        "SELECT {LISTED_COLUMNS}
         FROM (SELECT id FROM invoice x {conditions} ORDER BY created_at DESC, id DESC {}) shown
         JOIN invoice i ON i.id = shown.id JOIN patient p ON p.id = i.patient_id
         ORDER BY i.created_at DESC, i.id DESC",
        page.sql()
    );
    let count = format!("SELECT COUNT(*) FROM invoice x {conditions}");
    crate::db::page_and_total(db, &sql, &count, &values).await
}

/// The `WHERE` of the list over `invoice x` (empty for every invoice), with its parameters' values in order.
fn list_conditions(filter: &InvoiceFilter) -> (String, Vec<String>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let statuses = filter.show.statuses();
    if !statuses.is_empty() {
        let states = crate::db::word_list(statuses.iter().map(|s| s.as_str()));
        conditions.push(format!("x.status IN ({states})"));
    }
    let patient = crate::patients::repo::patient_matches("x.patient_id", &filter.terms(), &mut values);
    match filter.number() {
        // A clinic number (SB-2024-00083) is shaped like an invoice number (INV-2026-000006): either may match.
        Some(number) => {
            values.push(number);
            let by_patient = match patient.is_empty() {
                true => String::new(),
                false => format!(" OR ({})", patient.join(" AND ")),
            };
            conditions.push(format!("(x.number = ${}{by_patient})", values.len()));
        }
        None => conditions.extend(patient),
    }
    if conditions.is_empty() {
        return (String::new(), values);
    }
    (format!("WHERE {}", conditions.join(" AND ")), values)
}

/// A patient's issued invoices, newest first: only those with a number (never a draft, nor a draft voided before
/// drafts were discarded instead).
pub async fn of_patient(mut db: impl Reader, patient_id: i64, limit: i64) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {LISTED_COLUMNS} FROM invoice i JOIN patient p ON p.id = i.patient_id
         WHERE i.patient_id = $1 AND i.number IS NOT NULL
         ORDER BY i.created_at DESC, i.id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

/// What a patient owes on all their live invoices.
pub async fn owed_by(mut db: impl Reader, patient_id: i64) -> Result<Money, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(patient_share - credited - paid), 0) AS BIGINT) FROM invoice
         WHERE patient_id = $1 AND status IN ('issued', 'partly_paid')",
    )
    .bind(patient_id)
    .fetch_one(db.exec())
    .await
}

/// How many of a patient's invoices they still owe on, and how much in all.
pub async fn owed_count_by(mut db: impl Reader, patient_id: i64) -> Result<(i64, Money), sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(patient_share - credited - paid), 0) AS BIGINT) FROM invoice
         WHERE patient_id = $1 AND status IN ('issued', 'partly_paid')",
    )
    .bind(patient_id)
    .fetch_one(db.exec())
    .await
}

/// How many invoices are owed on (issued or partly paid), and what patients still owe on them in all (index
/// `invoice_status`).
pub async fn owed_totals(mut db: impl Reader) -> Result<(i64, Money), sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(patient_share - credited - paid), 0) AS BIGINT) FROM invoice
         WHERE status IN ('issued', 'partly_paid')",
    )
    .fetch_one(db.exec())
    .await
}

/// A completed visit not yet billed, for reception's list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Unbilled {
    pub visit_id: i64,
    pub patient_id: i64,
    /// The patient's category, which their visit is priced for.
    pub category: Category,
    pub patient_name: String,
    pub clinic_number: String,
    pub doctor_name: String,
    pub completed_at: Timestamp,
}

/// The most recent completed visits since `since` that have no live invoice (of `patient` alone, or everyone's),
/// newest first.
pub async fn unbilled_visits(
    mut db: impl Reader,
    since: Timestamp,
    patient: Option<i64>,
    limit: i64,
) -> Result<Vec<Unbilled>, sqlx::Error> {
    // One patient's are read from their own visits (index `visit_patient`): the patient's home asks on every
    // live refresh, and "$2 = 0 OR ..." would read the whole clinic's week of visits each time.
    let whose = match patient {
        Some(_) => "v.patient_id = $2",
        None => "$2 = 0",
    };
    sqlx::query_as(&format!(
        "SELECT v.id AS visit_id, v.patient_id, p.kind AS category, p.first_name || ' ' || p.surname AS patient_name,
                p.clinic_number,
                s.full_name AS doctor_name, v.completed_at
         FROM visit v JOIN patient p ON p.id = v.patient_id JOIN staff s ON s.id = v.doctor_id
         WHERE v.status = 'completed' AND v.completed_at >= $1 AND {whose}
           AND NOT EXISTS (SELECT 1 FROM invoice i WHERE i.visit_id = v.id AND i.status <> 'void')
         ORDER BY v.completed_at DESC {}",
        crate::db::limit(limit)
    ))
    .bind(since)
    .bind(patient.unwrap_or(0))
    .fetch_all(db.exec())
    .await
}

// ---- payments, refunds and credit notes ----------------------------------------------------------------

pub struct NewPayment<'a> {
    pub number: &'a str,
    pub invoice_id: i64,
    pub patient_id: i64,
    pub kind: PaymentKind,
    pub method: PaymentMethod,
    /// Signed: negative for a refund.
    pub amount: Money,
    pub tendered: Option<Money>,
    pub reference: &'a str,
    pub reason: &'a str,
    pub received_by: i64,
    pub when: When,
}

pub async fn insert_payment(tx: &mut Tx, new: &NewPayment<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO payment (number, invoice_id, patient_id, kind, method, amount, tendered, reference, reason,
                              received_by, received_at, day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(new.number)
    .bind(new.invoice_id)
    .bind(new.patient_id)
    .bind(new.kind)
    .bind(new.method)
    .bind(new.amount)
    .bind(new.tendered)
    .bind(new.reference)
    .bind(new.reason)
    .bind(new.received_by)
    .bind(new.when.at)
    .bind(new.when.day)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Payment {
    pub id: i64,
    pub number: String,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub kind: PaymentKind,
    pub method: PaymentMethod,
    pub amount: Money,
    pub tendered: Option<Money>,
    pub reference: String,
    pub reason: String,
    pub received_by: i64,
    pub cashier_name: String,
    pub received_at: Timestamp,
    pub day: Date,
}

impl Payment {
    pub fn is_refund(&self) -> bool {
        self.kind == PaymentKind::Refund
    }

    /// The amount as a positive figure (a refund is stored negative).
    pub fn size(&self) -> Money {
        Money(self.amount.0.abs())
    }

    pub fn change(&self) -> Option<Money> {
        self.tendered.map(|t| Money(t.0 - self.amount.0)).filter(|c| c.0 > 0)
    }
}

const PAYMENT_SELECT: &str = "SELECT pm.id, pm.number, pm.invoice_id, i.number AS invoice_number, pm.patient_id,
        p.first_name || ' ' || p.surname AS patient_name, p.clinic_number, pm.kind, pm.method, pm.amount,
        pm.tendered, pm.reference, pm.reason, pm.received_by, s.full_name AS cashier_name, pm.received_at, pm.day
     FROM payment pm JOIN invoice i ON i.id = pm.invoice_id JOIN patient p ON p.id = pm.patient_id
     JOIN staff s ON s.id = pm.received_by";

pub async fn payment(db: impl Reader, id: i64) -> Result<Option<Payment>, sqlx::Error> {
    row_by_id(db, &format!("{PAYMENT_SELECT} WHERE pm.id = $1"), id).await
}

pub async fn payments_of(mut db: impl Reader, invoice_id: i64) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query_as(&format!("{PAYMENT_SELECT} WHERE pm.invoice_id = $1 ORDER BY pm.id"))
        .bind(invoice_id)
        .fetch_all(db.exec())
        .await
}

pub async fn payments_on(mut db: impl Reader, day: Date, cashier: Option<i64>) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{PAYMENT_SELECT} WHERE pm.day = $1 AND ($2 = 0 OR pm.received_by = $2) ORDER BY pm.id"
    ))
    .bind(day)
    .bind(cashier.unwrap_or(0))
    .fetch_all(db.exec())
    .await
}

pub async fn payments_of_patient(
    mut db: impl Reader,
    patient_id: i64,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{PAYMENT_SELECT} WHERE pm.patient_id = $1 ORDER BY pm.id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CreditNote {
    pub id: i64,
    pub number: String,
    pub amount: Money,
    pub reason: String,
    pub created_by_name: String,
    pub created_at: Timestamp,
}

pub async fn insert_credit_note(
    tx: &mut Tx,
    number: &str,
    invoice_id: i64,
    amount: Money,
    reason: &str,
    by: i64,
    when: When,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO credit_note (number, invoice_id, amount, reason, created_by, created_at, day)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(number)
    .bind(invoice_id)
    .bind(amount)
    .bind(reason)
    .bind(by)
    .bind(when.at)
    .bind(when.day);
    inserted_id(tx, query).await
}

pub async fn credit_note_number_in(tx: &mut Tx, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT number FROM credit_note WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn credit_notes_of(mut db: impl Reader, invoice_id: i64) -> Result<Vec<CreditNote>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.number, c.amount, c.reason, s.full_name AS created_by_name, c.created_at
         FROM credit_note c JOIN staff s ON s.id = c.created_by WHERE c.invoice_id = $1 ORDER BY c.id",
    )
    .bind(invoice_id)
    .fetch_all(db.exec())
    .await
}

// ---- the cashier's day ---------------------------------------------------------------------------------

/// The day's money by cashier and method: (cashier id, name, method, payments in, refunds out, count).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Takings {
    pub cashier_id: i64,
    pub cashier_name: String,
    pub method: PaymentMethod,
    pub taken: Money,
    pub refunded: Money,
    pub count: i64,
}

pub async fn takings_on(mut db: impl Reader, day: Date) -> Result<Vec<Takings>, sqlx::Error> {
    sqlx::query_as(
        "SELECT pm.received_by AS cashier_id, s.full_name AS cashier_name, pm.method,
                CAST(COALESCE(SUM(CASE WHEN pm.amount > 0 THEN pm.amount ELSE 0 END), 0) AS BIGINT) AS taken,
                CAST(COALESCE(SUM(CASE WHEN pm.amount < 0 THEN -pm.amount ELSE 0 END), 0) AS BIGINT) AS refunded,
                COUNT(*) AS count
         FROM payment pm JOIN staff s ON s.id = pm.received_by
         WHERE pm.day = $1
         GROUP BY pm.received_by, s.full_name, pm.method
         ORDER BY s.full_name, pm.method",
    )
    .bind(day)
    .fetch_all(db.exec())
    .await
}

/// Every payment less every refund of a day, all cashiers and methods (index `payment_day`).
pub async fn net_takings_on(mut db: impl Reader, day: Date) -> Result<Money, sqlx::Error> {
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment WHERE day = $1")
        .bind(day)
        .fetch_one(db.exec())
        .await
}

/// Cash taken less cash refunded by one cashier on a day.
pub async fn net_cash_in(tx: &mut Tx, day: Date, cashier_id: i64) -> Result<Money, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment
         WHERE day = $1 AND received_by = $2 AND method = 'cash'",
    )
    .bind(day)
    .bind(cashier_id)
    .fetch_one(&mut **tx)
    .await
}

/// Serialises a cashier's money: each payment, refund and close of theirs takes their till's row first (a counter
/// row of `db::sequence`, locked until the change ends), so a close never misses a payment made beside it and a
/// payment always sees a close made before it.
pub async fn lock_till(tx: &mut Tx, cashier_id: i64) -> Result<(), sqlx::Error> {
    crate::db::sequence::next(tx, &format!("billing:till:{cashier_id}")).await?;
    Ok(())
}

/// The days from `from` on that a cashier has closed, in order.
pub async fn closed_days_from(tx: &mut Tx, cashier_id: i64, from: Date) -> Result<Vec<Date>, sqlx::Error> {
    sqlx::query_scalar("SELECT day FROM cash_close WHERE cashier_id = $1 AND day >= $2 ORDER BY day")
        .bind(cashier_id)
        .bind(from)
        .fetch_all(&mut **tx)
        .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CashClose {
    pub cashier_id: i64,
    pub cashier_name: String,
    pub expected: Money,
    pub counted: Money,
    pub note: String,
    pub closed_at: Timestamp,
}

impl CashClose {
    /// Counted less expected: positive is cash over, negative is short.
    pub fn difference(&self) -> Money {
        Money(self.counted.0 - self.expected.0)
    }

    /// A count that matched is in good order; one short or over is worth a look (its note says why).
    pub fn tone(&self) -> crate::tone::Tone {
        match self.difference().0 {
            0 => crate::tone::Tone::Good,
            _ => crate::tone::Tone::Warn,
        }
    }
}

pub async fn closes_on(mut db: impl Reader, day: Date) -> Result<Vec<CashClose>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.cashier_id, s.full_name AS cashier_name, c.expected, c.counted, c.note, c.closed_at
         FROM cash_close c JOIN staff s ON s.id = c.cashier_id WHERE c.day = $1 ORDER BY s.full_name",
    )
    .bind(day)
    .fetch_all(db.exec())
    .await
}

/// Records a cashier's close of a day; false when they closed it already.
pub async fn insert_close(
    tx: &mut Tx,
    day: Date,
    cashier_id: i64,
    expected: Money,
    counted: Money,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO cash_close (day, cashier_id, expected, counted, note, closed_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (day, cashier_id) DO NOTHING",
    )
    .bind(day)
    .bind(cashier_id)
    .bind(expected)
    .bind(counted)
    .bind(note)
    .bind(Timestamp::now());
    changed_one_row(tx, query).await
}

// ---- claims --------------------------------------------------------------------------------------------

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimLine {
    pub invoice_id: i64,
    pub number: Option<String>,
    pub patient_name: String,
    pub clinic_number: String,
    pub member_number: String,
    pub issued_day: Option<Date>,
    pub total: Money,
    pub scheme_share: Money,
    pub claim_status: ClaimStatus,
    pub claim_reason: String,
}

/// The scheme's shares of the invoices issued in `month` (`YYYY-MM`), in number order.
pub async fn claim_lines(mut db: impl Reader, scheme_id: i64, month: &str) -> Result<Vec<ClaimLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id AS invoice_id, i.number, p.first_name || ' ' || p.surname AS patient_name, p.clinic_number,
                i.member_number, i.issued_day, i.total, i.scheme_share, i.claim_status, i.claim_reason
         FROM invoice i JOIN patient p ON p.id = i.patient_id
         WHERE i.scheme_id = $1 AND i.issued_month = $2 AND i.status <> 'void' AND i.scheme_share > 0
         ORDER BY i.number",
    )
    .bind(scheme_id)
    .bind(month)
    .fetch_all(db.exec())
    .await
}

/// Moves claim lines of a scheme's month (`YYYY-MM`) from `from` to `to`; returns how many moved.
pub async fn set_claim_status(
    tx: &mut Tx,
    (scheme_id, month): (i64, &str),
    invoice_ids: &[i64],
    from: &[ClaimStatus],
    to: ClaimStatus,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    if invoice_ids.is_empty() {
        return Ok(0);
    }
    let states = crate::db::word_list(from.iter().map(|s| s.as_str()));
    let done = sqlx::query(&format!(
        "UPDATE invoice SET claim_status = $1, claim_reason = $2, updated_at = $3
         WHERE scheme_id = $4 AND issued_month = $5 AND status <> 'void' AND claim_status IN ({states})
           AND id IN ({})",
        crate::db::id_list(invoice_ids)
    ))
    .bind(to)
    .bind(reason)
    .bind(Timestamp::now())
    .bind(scheme_id)
    .bind(month)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
