//! All SQL of the drug catalogue and its stock. Stock on hand is the sum of the batches that have not
//! expired on the day given (bound from Rust, never the database's clock), grouped in SQL.

use super::model::allocation::BatchStock;
use super::model::stock::{AdjustReason, MovementKind};
use super::model::{BatchLine, CatalogueShow, CatalogueSort, Drug, DrugInput, DrugStock, MovementRow, search_words};
use crate::db::id_list;
use crate::db::insert::AnyQuery;
use crate::db::paging::{PageRequest, like_pattern};
use crate::db::{Date, Flag, Money, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id};

const DRUG_COLUMNS: &str = "d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price, d.reorder_level, d.active, d.shelf, d.updated_at";

/// The columns of a [`DrugStock`], from drugs `d` and their batches `b` grouped by drug ([`STOCK_GROUP`]).
macro_rules! stock_columns {
    () => {
        "SELECT d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price, d.reorder_level, d.active,
                CAST(COALESCE(SUM(b.quantity), 0) AS BIGINT) AS on_hand"
    };
}

/// A drug with its stock on hand: `$1` is the day, batches expiring before it don't count.
const STOCK_SELECT: &str = concat!(
    stock_columns!(),
    " FROM drug d LEFT JOIN drug_batch b ON b.drug_id = d.id AND b.expires_on >= $1"
);

const STOCK_GROUP: &str = "GROUP BY d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price,
        d.reorder_level, d.active";

/// The LIKE patterns of a search, one per word ([`search_words`]); one that matches everything when there is
/// no word.
fn search_patterns(search: &str) -> Vec<String> {
    let words = search_words(search);
    match words.is_empty() {
        true => vec![like_pattern("")],
        false => words.iter().map(|word| like_pattern(word)).collect(),
    }
}

/// `d.search` holds every pattern: parameters `$first`, `$first + 1`, ... one per pattern.
fn search_filter(first: usize, patterns: usize) -> String {
    (first..first + patterns)
        .map(|n| format!("d.search LIKE ${n} ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

pub async fn get(db: impl Reader, id: i64) -> Result<Option<Drug>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {DRUG_COLUMNS} FROM drug d WHERE d.id = $1"), id).await
}

/// One page of the catalogue whose name, generic name, strength or form hold every word of `search`, of the
/// entries `show` asks for, in `sort`'s order (active entries first), with stock on `today`, and how many there
/// are. All entries by name: the page is chosen among the drugs before their batches are summed (summed first,
/// every request added up the stock of the whole catalogue to show 25 rows); only a choice by stock sums first.
pub async fn search(
    mut db: impl Reader,
    (search, show, sort): (&str, CatalogueShow, CatalogueSort),
    today: Date,
    page: PageRequest,
) -> Result<(Vec<DrugStock>, i64), sqlx::Error> {
    let patterns = search_patterns(search);
    let (sql, count_sql, count_by_day) = catalogue_sql(patterns.len(), show, sort, page);
    let query = sqlx::query_as(&sql).bind(today);
    let rows: Vec<DrugStock> = patterns
        .iter()
        .fold(query, |query, pattern| query.bind(pattern))
        .fetch_all(db.exec())
        .await?;
    let count = match count_by_day {
        true => sqlx::query_scalar(&count_sql).bind(today),
        false => sqlx::query_scalar(&count_sql),
    };
    let total = patterns
        .iter()
        .fold(count, |query, pattern| query.bind(pattern))
        .fetch_one(db.exec())
        .await?;
    Ok((rows, total))
}

/// The catalogue's page query (`$1` the day, then the search's patterns), its count, and whether the count
/// takes the day too (only where it sums stock).
fn catalogue_sql(
    patterns: usize,
    show: CatalogueShow,
    sort: CatalogueSort,
    page: PageRequest,
) -> (String, String, bool) {
    let matching = search_filter(2, patterns);
    match (show, sort) {
        (CatalogueShow::All, CatalogueSort::Name) => (
            format!(
                concat!(
                    stock_columns!(),
                    " FROM (SELECT d.* FROM drug d WHERE {}
                            ORDER BY d.active DESC, LOWER(d.name), d.strength, d.id {}) d
                      LEFT JOIN drug_batch b ON b.drug_id = d.id AND b.expires_on >= $1
                      {} ORDER BY d.active DESC, LOWER(d.name), d.strength, d.id"
                ),
                matching,
                page.sql(),
                STOCK_GROUP
            ),
            format!("SELECT COUNT(*) FROM drug d WHERE {}", search_filter(1, patterns)),
            false,
        ),
        _ => {
            let shown = match show {
                CatalogueShow::All => "1 = 1",
                CatalogueShow::Reorder => "s.active = 1 AND s.on_hand <= s.reorder_level",
                CatalogueShow::Inactive => "s.active = 0",
            };
            let order = match sort {
                CatalogueSort::Name => "s.active DESC, LOWER(s.name), s.strength, s.id",
                CatalogueSort::OnHand => "s.active DESC, s.on_hand, LOWER(s.name), s.strength, s.id",
            };
            let listed = format!("FROM ({STOCK_SELECT} WHERE {matching} {STOCK_GROUP}) s WHERE {shown}");
            (
                format!("SELECT s.* {listed} ORDER BY {order} {}", page.sql()),
                format!("SELECT COUNT(*) {listed}"),
                true,
            )
        }
    }
}

/// Active drugs matching every word of `search` for a prescription, names starting with its first word first,
/// at most `limit`.
pub async fn search_active(
    mut db: impl Reader,
    search: &str,
    today: Date,
    limit: i64,
) -> Result<Vec<DrugStock>, sqlx::Error> {
    let patterns = search_patterns(search);
    // The names that start with the first word come first.
    let prefix = format!("{}%", &patterns[0][1..]);
    let sql = format!(
        "{STOCK_SELECT} WHERE d.active = 1 AND d.form <> 'consumable' AND {} {STOCK_GROUP}
         ORDER BY CASE WHEN LOWER(d.name) LIKE $2 ESCAPE '\\' THEN 0 ELSE 1 END, LOWER(d.name), d.strength, d.id
         {}",
        search_filter(3, patterns.len()),
        crate::db::limit(limit)
    );
    let query = sqlx::query_as(&sql).bind(today).bind(&prefix);
    let query = patterns.iter().fold(query, |query, pattern| query.bind(pattern));
    query.fetch_all(db.exec()).await
}

/// The drugs of `ids` with their stock on `today`.
pub async fn with_stock(mut db: impl Reader, ids: &[i64], today: Date) -> Result<Vec<DrugStock>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(ids);
    sqlx::query_as(&format!("{STOCK_SELECT} WHERE d.id IN ({list}) {STOCK_GROUP}"))
        .bind(today)
        .fetch_all(db.exec())
        .await
}

/// Stock on hand of each of `ids` on `today` (a drug without batches is missing: it has none).
pub async fn stock_on_hand(mut db: impl Reader, ids: &[i64], today: Date) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(ids);
    sqlx::query_as(&format!(
        "SELECT drug_id, CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM drug_batch
         WHERE drug_id IN ({list}) AND expires_on >= $1 GROUP BY drug_id"
    ))
    .bind(today)
    .fetch_all(db.exec())
    .await
}

pub async fn insert(tx: &mut Tx, drug: &DrugInput) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO drug (name, generic_name, form, strength, unit, unit_price, reorder_level, active, shelf,
                           search, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $11, $9, $9) RETURNING id",
    );
    inserted_id(tx, bind_drug(query, drug, Timestamp::now())).await
}

/// Binds the drug's name, generic name, form, strength, unit, price, reorder level and whether it is active,
/// then `stamp` (its new `updated_at`), its shelf and its search text, in that order.
fn bind_drug<'q>(query: AnyQuery<'q>, drug: &'q DrugInput, stamp: Timestamp) -> AnyQuery<'q> {
    query
        .bind(&drug.name)
        .bind(&drug.generic_name)
        .bind(drug.form)
        .bind(&drug.strength)
        .bind(&drug.unit)
        .bind(drug.unit_price)
        .bind(drug.reorder_level)
        .bind(Flag(drug.active))
        .bind(stamp)
        .bind(&drug.shelf)
        .bind(drug.search_text())
}

/// Updates the entry if it still has `seen` as its version; answers whether it did.
pub async fn update(tx: &mut Tx, id: i64, seen: Timestamp, drug: &DrugInput) -> Result<bool, sqlx::Error> {
    let query = sqlx::query(
        "UPDATE drug SET name = $3, generic_name = $4, form = $5, strength = $6, unit = $7, unit_price = $8,
                reorder_level = $9, active = $10, updated_at = $11, shelf = $12, search = $13
         WHERE id = $1 AND updated_at = $2",
    )
    .bind(id)
    .bind(seen);
    changed_one_row(tx, bind_drug(query, drug, seen.now_after())).await
}

/// A batch received into stock.
pub struct NewBatch<'a> {
    pub drug_id: i64,
    pub batch_number: &'a str,
    pub quantity: i64,
    pub expires_on: Date,
    pub cost_price: Money,
    pub supplier: &'a str,
    pub received_on: Date,
}

pub async fn insert_batch(tx: &mut Tx, batch: &NewBatch<'_>) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO drug_batch (drug_id, batch_number, quantity, expires_on, cost_price, supplier, received_on,
                                 created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(batch.drug_id)
    .bind(batch.batch_number)
    .bind(batch.quantity)
    .bind(batch.expires_on)
    .bind(batch.cost_price)
    .bind(batch.supplier)
    .bind(batch.received_on)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

pub async fn count(mut db: impl Reader) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM drug")
        .fetch_one(db.exec())
        .await
}

// ---- batches and the stock ledger ------------------------------------------------------------------------

/// The batches of `drug_ids` still holding units, earliest expiry first (the ids are integers written into the
/// SQL).
fn batches_sql(drug_ids: &[i64]) -> String {
    format!(
        "SELECT id, drug_id, batch_number, expires_on, quantity FROM drug_batch
         WHERE drug_id IN ({}) AND quantity > 0 ORDER BY expires_on, id",
        id_list(drug_ids)
    )
}

/// The batches of `drug_ids` still holding units.
pub async fn batches_of_drugs(mut db: impl Reader, drug_ids: &[i64]) -> Result<Vec<BatchStock>, sqlx::Error> {
    if drug_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(&batches_sql(drug_ids)).fetch_all(db.exec()).await
}

/// Takes `units` from a batch that holds them and expires on `usable_from` or later; its quantity after, or
/// none when it no longer can give them.
pub async fn take(tx: &mut Tx, batch_id: i64, units: i64, usable_from: Date) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE drug_batch SET quantity = quantity - $2
         WHERE id = $1 AND quantity >= $2 AND expires_on >= $3 RETURNING quantity",
    )
    .bind(batch_id)
    .bind(units)
    .bind(usable_from)
    .fetch_optional(&mut **tx)
    .await
}

/// Changes a batch that still holds `seen` units by `change`; its quantity after, or none when it changed
/// meanwhile (or would fall below zero).
pub async fn change_from(tx: &mut Tx, batch_id: i64, seen: i64, change: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE drug_batch SET quantity = quantity + $3
         WHERE id = $1 AND quantity = $2 AND quantity + $3 >= 0 RETURNING quantity",
    )
    .bind(batch_id)
    .bind(seen)
    .bind(change)
    .fetch_optional(&mut **tx)
    .await
}

/// Empties a batch that expired before `today` and still holds `seen` units; whether it did.
pub async fn empty_expired(tx: &mut Tx, batch_id: i64, seen: i64, today: Date) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE drug_batch SET quantity = 0 WHERE id = $1 AND quantity = $2 AND quantity > 0 AND expires_on < $3",
        )
        .bind(batch_id)
        .bind(seen)
        .bind(today),
    )
    .await
}

/// A row of the ledger to write.
pub struct NewMovement<'a> {
    pub batch_id: i64,
    pub drug_id: i64,
    pub kind: MovementKind,
    pub reason: Option<AdjustReason>,
    pub quantity: i64,
    pub balance: i64,
    pub note: &'a str,
    pub dispensation_item_id: Option<i64>,
    pub visit_procedure_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub at: Timestamp,
    pub day: Date,
}

pub async fn insert_movement(tx: &mut Tx, m: &NewMovement<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO stock_movement (batch_id, drug_id, kind, reason, quantity, balance, note, dispensation_item_id,
                                     visit_procedure_id, staff_id, at, day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(m.batch_id)
    .bind(m.drug_id)
    .bind(m.kind)
    .bind(m.reason.map_or("", AdjustReason::as_str))
    .bind(m.quantity)
    .bind(m.balance)
    .bind(m.note)
    .bind(m.dispensation_item_id)
    .bind(m.visit_procedure_id)
    .bind(m.staff_id)
    .bind(m.at)
    .bind(m.day)
    .fetch_one(&mut **tx)
    .await
}

pub async fn insert_dispensation(
    tx: &mut Tx,
    prescription_id: i64,
    pharmacist_id: i64,
    at: Timestamp,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO dispensation (prescription_id, pharmacist_id, dispensed_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(prescription_id)
    .bind(pharmacist_id)
    .bind(at);
    inserted_id(tx, query).await
}

pub async fn insert_dispensation_item(
    tx: &mut Tx,
    dispensation_id: i64,
    item_id: i64,
    batch_id: i64,
    units: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO dispensation_item (dispensation_id, prescription_item_id, batch_id, quantity)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(dispensation_id)
    .bind(item_id)
    .bind(batch_id)
    .bind(units);
    inserted_id(tx, query).await
}

/// Units of a prescription's item given from one batch: what its label names.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct GivenBatch {
    pub batch_number: String,
    pub expires_on: Date,
    pub quantity: i64,
}

/// The batches the units of a prescription's item were given from, the soonest to expire first.
pub async fn batches_given(mut db: impl Reader, item_id: i64) -> Result<Vec<GivenBatch>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.batch_number, b.expires_on, CAST(SUM(di.quantity) AS BIGINT) AS quantity
         FROM dispensation_item di JOIN drug_batch b ON b.id = di.batch_id
         WHERE di.prescription_item_id = $1
         GROUP BY b.id, b.batch_number, b.expires_on ORDER BY b.expires_on, b.id",
    )
    .bind(item_id)
    .fetch_all(db.exec())
    .await
}

const BATCH_SELECT: &str = "SELECT b.id, b.drug_id, d.name AS drug_name, d.strength, d.form, d.shelf,
        b.batch_number, b.quantity, b.expires_on, b.cost_price, b.supplier, b.received_on
     FROM drug_batch b JOIN drug d ON d.id = b.drug_id";

pub async fn batch(db: impl Reader, id: i64) -> Result<Option<BatchLine>, sqlx::Error> {
    row_by_id(db, &format!("{BATCH_SELECT} WHERE b.id = $1"), id).await
}

/// A drug's batches holding units, earliest expiry first.
pub async fn batches_of_drug(mut db: impl Reader, drug_id: i64) -> Result<Vec<BatchLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{BATCH_SELECT} WHERE b.drug_id = $1 AND b.quantity > 0 ORDER BY b.expires_on, b.id"
    ))
    .bind(drug_id)
    .fetch_all(db.exec())
    .await
}

/// Batches holding units that expire from `from` through `until`, earliest first, at most `limit`.
pub async fn expiring(mut db: impl Reader, from: Date, until: Date, limit: i64) -> Result<Vec<BatchLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{BATCH_SELECT} WHERE b.quantity > 0 AND b.expires_on >= $1 AND b.expires_on <= $2
         ORDER BY b.expires_on, b.id {}",
        crate::db::limit(limit)
    ))
    .bind(from)
    .bind(until)
    .fetch_all(db.exec())
    .await
}

/// The batches of the drugs on `shelf` holding units, by drug and expiry.
pub async fn on_shelf(mut db: impl Reader, shelf: &str) -> Result<Vec<BatchLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{BATCH_SELECT} WHERE d.shelf = $1 AND b.quantity > 0 ORDER BY LOWER(d.name), d.strength, b.expires_on, b.id"
    ))
    .bind(shelf)
    .fetch_all(db.exec())
    .await
}

/// The shelves drugs are kept on, with how many drugs each holds.
pub async fn shelves(mut db: impl Reader) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT shelf, COUNT(*) FROM drug WHERE active = 1 GROUP BY shelf ORDER BY shelf")
        .fetch_all(db.exec())
        .await
}

/// Active drugs at or below their reorder level on `today` (none in stock included), emptiest first. Grouped
/// by the drug's key alone (both databases allow the other columns of a grouped primary key).
pub async fn low_stock(mut db: impl Reader, today: Date, limit: i64) -> Result<Vec<DrugStock>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price, d.reorder_level, d.active,
                CAST(COALESCE(SUM(b.quantity), 0) AS BIGINT) AS on_hand
         FROM drug d LEFT JOIN drug_batch b ON b.drug_id = d.id AND b.expires_on >= $1
         WHERE d.active = 1 GROUP BY d.id
         HAVING COALESCE(SUM(b.quantity), 0) <= d.reorder_level
         ORDER BY 10, LOWER(d.name), d.id {}",
        crate::db::limit(limit)
    ))
    .bind(today)
    .fetch_all(db.exec())
    .await
}

/// How many active drugs are at or below their reorder level on `today` (the drugs [`low_stock`] lists).
pub async fn count_low_stock(mut db: impl Reader, today: Date) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT d.id FROM drug d LEFT JOIN drug_batch b ON b.drug_id = d.id AND b.expires_on >= $1
         WHERE d.active = 1 GROUP BY d.id HAVING COALESCE(SUM(b.quantity), 0) <= d.reorder_level) low",
    )
    .bind(today)
    .fetch_one(db.exec())
    .await
}

/// How many batches holding units expire from `from` through `until` (the batches [`expiring`] lists; index
/// `drug_batch_expiry`).
pub async fn count_expiring(mut db: impl Reader, from: Date, until: Date) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM drug_batch WHERE quantity > 0 AND expires_on >= $1 AND expires_on <= $2")
        .bind(from)
        .bind(until)
        .fetch_one(db.exec())
        .await
}

/// Units of each drug that left the shelf for patients (dispensed or used in procedures) since `since`.
pub async fn used_since(mut db: impl Reader, since: Timestamp) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT drug_id, CAST(-SUM(quantity) AS BIGINT) FROM stock_movement
         WHERE kind IN ('dispense', 'supply') AND at >= $1 GROUP BY drug_id",
    )
    .bind(since)
    .fetch_all(db.exec())
    .await
}

/// Which movements of a drug's ledger to show.
#[derive(Clone, Debug, Default)]
pub struct LedgerFilter {
    pub kind: Option<MovementKind>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

const MOVEMENT_SELECT: &str = "SELECT m.id, m.batch_id, b.batch_number, m.kind, m.reason, m.quantity, m.balance,
        m.note, s.full_name AS staff_name, m.at, m.day
     FROM stock_movement m JOIN drug_batch b ON b.id = m.batch_id LEFT JOIN staff s ON s.id = m.staff_id";

/// `m.drug_id = $1` and the filter's conditions on `$2`, `$3`, `$4` (a missing one matches everything).
const MOVEMENT_FILTER: &str = "m.drug_id = $1 AND ($2 = '' OR m.kind = $2) AND ($3 = '' OR m.day >= $3)
     AND ($4 = '' OR m.day <= $4)";

fn filter_values(filter: &LedgerFilter) -> (&'static str, String, String) {
    (
        filter.kind.map_or("", MovementKind::as_str),
        filter.from.map_or_else(String::new, |day| day.to_string()),
        filter.to.map_or_else(String::new, |day| day.to_string()),
    )
}

/// One page of a drug's ledger, newest first, and how many movements match.
pub async fn ledger(
    mut db: impl Reader,
    drug_id: i64,
    filter: &LedgerFilter,
    page: PageRequest,
) -> Result<(Vec<MovementRow>, i64), sqlx::Error> {
    let (kind, from, to) = filter_values(filter);
    let rows = sqlx::query_as(&format!(
        "{MOVEMENT_SELECT} WHERE {MOVEMENT_FILTER} ORDER BY m.id DESC {}",
        page.sql()
    ))
    .bind(drug_id)
    .bind(kind)
    .bind(&from)
    .bind(&to)
    .fetch_all(db.exec())
    .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM stock_movement m WHERE {MOVEMENT_FILTER}"
    ))
    .bind(drug_id)
    .bind(kind)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.exec())
    .await?;
    Ok((rows, total))
}

/// A drug's whole ledger as filtered, oldest first (for the CSV export).
pub async fn ledger_all(
    mut db: impl Reader,
    drug_id: i64,
    filter: &LedgerFilter,
) -> Result<Vec<MovementRow>, sqlx::Error> {
    let (kind, from, to) = filter_values(filter);
    sqlx::query_as(&format!("{MOVEMENT_SELECT} WHERE {MOVEMENT_FILTER} ORDER BY m.id"))
        .bind(drug_id)
        .bind(kind)
        .bind(&from)
        .bind(&to)
        .fetch_all(db.exec())
        .await
}

/// Active drugs that procedures use up: consumables, injections and infusions, by name.
pub async fn procedure_supplies(mut db: impl Reader) -> Result<Vec<Drug>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DRUG_COLUMNS} FROM drug d WHERE d.active = 1 AND d.form IN ('consumable', 'injection', 'infusion')
         ORDER BY LOWER(d.name), d.strength, d.id"
    ))
    .fetch_all(db.exec())
    .await
}

/// What a procedure took from each batch and has not given back: (batch, drug, units).
pub async fn supplied_for_in(tx: &mut Tx, visit_procedure_id: i64) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT batch_id, drug_id, CAST(-SUM(quantity) AS BIGINT) FROM stock_movement
         WHERE visit_procedure_id = $1 AND kind = 'supply' GROUP BY batch_id, drug_id ORDER BY batch_id",
    )
    .bind(visit_procedure_id)
    .fetch_all(&mut **tx)
    .await
}

/// Puts `units` back into a batch; its quantity after.
pub async fn put_back(tx: &mut Tx, batch_id: i64, units: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("UPDATE drug_batch SET quantity = quantity + $2 WHERE id = $1 RETURNING quantity")
        .bind(batch_id)
        .bind(units)
        .fetch_one(&mut **tx)
        .await
}
