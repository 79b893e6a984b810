//! All SQL of the drug catalogue and its stock. Stock on hand is the sum of the batches that have not
//! expired on the day given (bound from Rust, never the database's clock), grouped in SQL.

use super::model::{Drug, DrugInput, DrugStock};
use crate::db::{Date, Db, Flag, Money, Timestamp, Tx};
use crate::web::paging::{PageRequest, like_pattern};

const DRUG_COLUMNS: &str =
    "d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price, d.reorder_level, d.active, d.updated_at";

/// A drug with its stock on hand: `$1` is the day, batches expiring before it don't count.
const STOCK_SELECT: &str = "SELECT d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price,
        d.reorder_level, d.active, CAST(COALESCE(SUM(b.quantity), 0) AS BIGINT) AS on_hand
     FROM drug d LEFT JOIN drug_batch b ON b.drug_id = d.id AND b.expires_on >= $1";

const STOCK_GROUP: &str = "GROUP BY d.id, d.name, d.generic_name, d.form, d.strength, d.unit, d.unit_price,
        d.reorder_level, d.active";

const SEARCH_FILTER: &str = "(LOWER(d.name) LIKE $2 ESCAPE '\\' OR LOWER(d.generic_name) LIKE $2 ESCAPE '\\')";

pub async fn get(db: &Db, id: i64) -> Result<Option<Drug>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {DRUG_COLUMNS} FROM drug d WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

pub async fn get_in(tx: &mut Tx, id: i64) -> Result<Option<Drug>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {DRUG_COLUMNS} FROM drug d WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// One page of the catalogue whose name or generic name contains `search`, active entries first, with
/// stock on `today`, and the total that match.
pub async fn search(
    db: &Db,
    search: &str,
    today: Date,
    page: PageRequest,
) -> Result<(Vec<DrugStock>, i64), sqlx::Error> {
    let pattern = like_pattern(search);
    let rows = sqlx::query_as(&format!(
        "{STOCK_SELECT} WHERE {SEARCH_FILTER} {STOCK_GROUP}
         ORDER BY d.active DESC, LOWER(d.name), d.strength, d.id LIMIT $3 OFFSET $4"
    ))
    .bind(today)
    .bind(&pattern)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(db.pool())
    .await?;
    let total = sqlx::query_scalar(
        "SELECT COUNT(*) FROM drug d WHERE LOWER(d.name) LIKE $1 ESCAPE '\\' OR LOWER(d.generic_name) LIKE $1 ESCAPE '\\'",
    )
    .bind(&pattern)
    .fetch_one(db.pool())
    .await?;
    Ok((rows, total))
}

/// Active drugs matching `search` for a prescription, names starting with it first, at most `limit`.
pub async fn search_active(db: &Db, search: &str, today: Date, limit: i64) -> Result<Vec<DrugStock>, sqlx::Error> {
    let pattern = like_pattern(search);
    let prefix = format!("{}%", &pattern[1..]);
    sqlx::query_as(&format!(
        "{STOCK_SELECT} WHERE d.active = 1 AND d.form <> 'consumable' AND {SEARCH_FILTER} {STOCK_GROUP}
         ORDER BY CASE WHEN LOWER(d.name) LIKE $3 ESCAPE '\\' THEN 0 ELSE 1 END, LOWER(d.name), d.strength, d.id
         LIMIT $4"
    ))
    .bind(today)
    .bind(&pattern)
    .bind(&prefix)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The drugs of `ids` with their stock on `today`.
pub async fn with_stock(db: &Db, ids: &[i64], today: Date) -> Result<Vec<DrugStock>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(ids);
    sqlx::query_as(&format!("{STOCK_SELECT} WHERE d.id IN ({list}) {STOCK_GROUP}"))
        .bind(today)
        .fetch_all(db.pool())
        .await
}

/// Stock on hand of each of `ids` on `today` (a drug without batches is missing: it has none).
pub async fn stock_on_hand(db: &Db, ids: &[i64], today: Date) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(ids);
    sqlx::query_as(&format!(
        "SELECT drug_id, CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM drug_batch
         WHERE drug_id IN ({list}) AND expires_on >= $1 GROUP BY drug_id"
    ))
    .bind(today)
    .fetch_all(db.pool())
    .await
}

pub async fn insert(tx: &mut Tx, drug: &DrugInput) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO drug (name, generic_name, form, strength, unit, unit_price, reorder_level, active, created_at,
                           updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&drug.name)
    .bind(&drug.generic_name)
    .bind(drug.form)
    .bind(&drug.strength)
    .bind(&drug.unit)
    .bind(drug.unit_price)
    .bind(drug.reorder_level)
    .bind(Flag(drug.active))
    .bind(Timestamp::now())
    .fetch_one(&mut **tx)
    .await
}

/// Updates the entry if it still has `seen` as its version; answers whether it did.
pub async fn update(tx: &mut Tx, id: i64, seen: Timestamp, drug: &DrugInput) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE drug SET name = $3, generic_name = $4, form = $5, strength = $6, unit = $7, unit_price = $8,
                reorder_level = $9, active = $10, updated_at = $11
         WHERE id = $1 AND updated_at = $2",
    )
    .bind(id)
    .bind(seen)
    .bind(&drug.name)
    .bind(&drug.generic_name)
    .bind(drug.form)
    .bind(&drug.strength)
    .bind(&drug.unit)
    .bind(drug.unit_price)
    .bind(drug.reorder_level)
    .bind(Flag(drug.active))
    .bind(seen.now_after())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
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
    sqlx::query_scalar(
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
    .bind(Timestamp::now())
    .fetch_one(&mut **tx)
    .await
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM drug")
        .fetch_one(db.pool())
        .await
}

/// Ids written into SQL as a list: they are integers, so nothing can be injected.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
