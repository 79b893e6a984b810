//! The drug catalogue's changes, each one transaction with its audit row, and the reads other features use:
//! stock on hand and the drug search of the prescription form.

use std::collections::HashMap;

use super::model::{Drug, DrugInput, DrugStock, duplicate_message};
use super::repo::{self, NewBatch};
use crate::audit::{self, AuditEntry};
use crate::db::once::Claim;
use crate::db::{Date, Db, Money, Timestamp, Tx, violated_unique_index};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::web::paging::PageRequest;

/// How many drugs the prescription form's search offers.
pub const SEARCH_LIMIT: i64 = 10;

/// The unique index that keeps one entry per name, form and strength.
const DRUG_KEY: &str = "drug_key";

fn unique<T>(result: Result<T, sqlx::Error>, drug: &DrugInput) -> Result<T, ServiceError> {
    result.map_err(|err| match violated_unique_index(&err) {
        Some(index) if index == DRUG_KEY => ServiceError::field("name", duplicate_message(drug)),
        _ => err.into(),
    })
}

/// Adds a drug to the catalogue; the same form sent twice adds it once.
pub async fn create_drug(db: &Db, actor: &Actor, drug: &DrugInput) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, "drug.create").await? {
        return Ok(id);
    }
    let id = unique(repo::insert(&mut tx, drug).await, drug)?;
    let entry = AuditEntry::new("drug.create").record("drug", id).detail(drug.label());
    audit::record(&mut tx, actor, entry).await?;
    actor.complete_form(&mut tx, "drug.create", id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a catalogue entry loaded at version `seen`; Stale when someone changed it since.
pub async fn update_drug(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: Timestamp,
    drug: &DrugInput,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_in(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    if before.updated_at != seen || !unique(repo::update(&mut tx, id, seen, drug).await, drug)? {
        return Err(ServiceError::Stale);
    }
    let mut changes = Vec::new();
    if before.label() != drug.label() {
        changes.push(format!("{} → {}", before.label(), drug.label()));
    }
    if before.unit_price != drug.unit_price {
        changes.push(format!("price {} → {}", before.unit_price.0, drug.unit_price.0));
    }
    if before.reorder_level != drug.reorder_level {
        changes.push(format!(
            "reorder level {} → {}",
            before.reorder_level, drug.reorder_level
        ));
    }
    if before.is_active() != drug.active {
        changes.push(if drug.active { "reactivated" } else { "deactivated" }.to_owned());
    }
    let entry = AuditEntry::new("drug.update")
        .record("drug", id)
        .detail(if changes.is_empty() {
            drug.label()
        } else {
            changes.join("; ")
        });
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn drug(db: &Db, id: i64) -> Result<Option<Drug>, ServiceError> {
    Ok(repo::get(db, id).await?)
}

/// The drug as it is inside the caller's change (a prescription checks it is still active).
pub async fn drug_in(tx: &mut Tx, id: i64) -> Result<Option<Drug>, ServiceError> {
    Ok(repo::get_in(tx, id).await?)
}

/// One page of the catalogue with stock on `today`, and the total that match `search`.
pub async fn catalogue(
    db: &Db,
    search: &str,
    today: Date,
    page: PageRequest,
) -> Result<(Vec<DrugStock>, i64), ServiceError> {
    Ok(repo::search(db, search, today, page).await?)
}

/// Units on hand of each drug of `drug_ids` on `today`: the batches not yet expired (a batch is usable
/// through its expiry day). A drug without stock maps to 0.
pub async fn stock_on_hand(db: &Db, drug_ids: &[i64], today: Date) -> Result<HashMap<i64, i64>, ServiceError> {
    let mut stock: HashMap<i64, i64> = drug_ids.iter().map(|id| (*id, 0)).collect();
    stock.extend(repo::stock_on_hand(db, drug_ids, today).await?);
    Ok(stock)
}

/// Active drugs (not consumables) whose name or generic name contains `text`, with stock on `today`, for
/// the prescription form. Nothing for an empty search.
pub async fn search_drugs(db: &Db, text: &str, today: Date) -> Result<Vec<DrugStock>, ServiceError> {
    let text: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(60)
        .collect();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(repo::search_active(db, &text, today, SEARCH_LIMIT).await?)
}

/// The drugs of `ids` with stock on `today`, in no particular order.
pub async fn drugs_with_stock(db: &Db, ids: &[i64], today: Date) -> Result<Vec<DrugStock>, ServiceError> {
    Ok(repo::with_stock(db, ids, today).await?)
}

/// A batch put into stock, for the demo and tests (receiving stock through the pharmacy's own pages comes
/// with dispensing and the ledger).
#[derive(Clone, Debug)]
pub struct DemoBatch {
    pub drug_id: i64,
    pub batch_number: String,
    pub quantity: i64,
    pub expires_on: Date,
    pub received_on: Date,
    pub cost_price: Money,
}

/// Puts a batch into stock, audited as received.
pub async fn receive_batch_for_demo(db: &Db, actor: &Actor, batch: &DemoBatch) -> Result<i64, ServiceError> {
    if batch.quantity < 0 || batch.cost_price.0 < 0 {
        return Err(ServiceError::Refused(
            "A batch holds zero or more units at a price of zero or more.".into(),
        ));
    }
    let mut tx = db.begin_write().await?;
    let new = NewBatch {
        drug_id: batch.drug_id,
        batch_number: &batch.batch_number,
        quantity: batch.quantity,
        expires_on: batch.expires_on,
        cost_price: batch.cost_price,
        supplier: "",
        received_on: batch.received_on,
    };
    let id = repo::insert_batch(&mut tx, &new).await?;
    let entry = AuditEntry::new("drug.batch_receive")
        .record("drug_batch", id)
        .detail(format!(
            "batch {} of drug {}: {} units, expires {}",
            batch.batch_number, batch.drug_id, batch.quantity, batch.expires_on
        ));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// How many entries the catalogue holds (the demo fills an empty one only).
pub async fn count(db: &Db) -> Result<i64, ServiceError> {
    Ok(repo::count(db).await?)
}
