//! The drug catalogue's changes, each one transaction with its audit row, and the reads other features use:
//! stock on hand and the drug search of the prescription form.

use std::collections::HashMap;

use super::model::allocation::{Request, plan, usable_from};
use super::model::stock::{AdjustReason, Adjustment, EXPIRY_WINDOWS, MovementKind, Receipt, days_left, rate_since};
use super::model::{
    BatchLine, CatalogueShow, CatalogueSort, Drug, DrugInput, DrugStock, MovementRow, duplicate_message,
};
use super::repo::{self, LedgerFilter, NewBatch, NewMovement};
use crate::audit::{self, AuditEntry};
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::paging::PageRequest;
use crate::db::{Date, Db, Reader, Timestamp, Tx, violated_unique_index};
use crate::error::ServiceError;
use crate::identity::{Actor, ActorKind};

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
    let before = repo::get(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
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
    // Its reorder level or name shows in the pharmacy's alerts and worklist.
    tx.announce(Event::Pharmacy);
    tx.commit().await?;
    Ok(())
}

/// The drug, on the pool, a page's connection or inside the caller's change (a prescription checks it is
/// still active).
pub async fn drug(db: impl Reader, id: i64) -> Result<Option<Drug>, ServiceError> {
    Ok(repo::get(db, id).await?)
}

/// One page of the catalogue with stock on `today`: the entries that match the search and are shown, in the
/// order asked, and how many there are.
pub async fn catalogue(
    db: impl Reader,
    listing: (&str, CatalogueShow, CatalogueSort),
    today: Date,
    page: PageRequest,
) -> Result<(Vec<DrugStock>, i64), ServiceError> {
    Ok(repo::search(db, listing, today, page).await?)
}

/// Units on hand of each drug of `drug_ids` on `today`: the batches not yet expired (a batch is usable
/// through its expiry day). A drug without stock maps to 0.
pub async fn stock_on_hand(db: impl Reader, drug_ids: &[i64], today: Date) -> Result<HashMap<i64, i64>, ServiceError> {
    let mut stock: HashMap<i64, i64> = drug_ids.iter().map(|id| (*id, 0)).collect();
    stock.extend(repo::stock_on_hand(db, drug_ids, today).await?);
    Ok(stock)
}

/// Active drugs (not consumables) whose name, generic name, strength or form hold every word of `text`, with
/// stock on `today`, for the prescription form. Nothing for an empty search.
pub async fn search_drugs(db: impl Reader, text: &str, today: Date) -> Result<Vec<DrugStock>, ServiceError> {
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
pub async fn drugs_with_stock(db: impl Reader, ids: &[i64], today: Date) -> Result<Vec<DrugStock>, ServiceError> {
    Ok(repo::with_stock(db, ids, today).await?)
}

/// How many entries the catalogue holds (the demo fills an empty one only).
pub async fn count(db: &Db) -> Result<i64, ServiceError> {
    Ok(repo::count(db).await?)
}

// ---- receiving, adjusting, counting and writing off -----------------------------------------------------

/// Writes a row of the stock ledger inside the caller's change. Every change to what is on the shelves writes
/// one, so this is where the change is announced to the pharmacy's worklist and alerts.
pub async fn record_movement(tx: &mut Tx, row: &NewMovement<'_>) -> Result<i64, ServiceError> {
    tx.announce(Event::Pharmacy);
    Ok(repo::insert_movement(tx, row).await?)
}

/// The staff member an actor stands for in the ledger (none for Sickbay itself).
pub fn staff_id(actor: &Actor) -> Option<i64> {
    (actor.kind == ActorKind::Staff).then_some(actor.id).flatten()
}

/// A ledger row for a change of `change` units leaving `balance` in the batch, now.
fn movement<'a>(
    batch: &BatchLine,
    kind: MovementKind,
    change: i64,
    balance: i64,
    actor: &Actor,
    today: Date,
) -> NewMovement<'a> {
    NewMovement {
        batch_id: batch.id,
        drug_id: batch.drug_id,
        kind,
        reason: None,
        quantity: change,
        balance,
        note: "",
        dispensation_item_id: None,
        visit_procedure_id: None,
        staff_id: staff_id(actor),
        at: Timestamp::now(),
        day: today,
    }
}

/// Receives a batch of a drug into stock with its `receipt` ledger row; the same form sent twice receives it
/// once. The form has refused an expiry in the past.
pub async fn receive(db: &Db, actor: &Actor, drug_id: i64, receipt: &Receipt) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, RECEIVE).await? {
        return Ok(id);
    }
    let drug = repo::get(&mut tx, drug_id).await?.ok_or(ServiceError::NotFound)?;
    let new = NewBatch {
        drug_id,
        batch_number: &receipt.batch_number,
        quantity: receipt.quantity,
        expires_on: receipt.expires_on,
        cost_price: receipt.cost_price,
        supplier: &receipt.supplier,
        received_on: receipt.received_on,
    };
    let id = repo::insert_batch(&mut tx, &new).await?;
    let batch = repo::batch(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let receipt_row = NewMovement {
        note: &receipt.supplier,
        ..movement(
            &batch,
            MovementKind::Receipt,
            receipt.quantity,
            receipt.quantity,
            actor,
            receipt.received_on,
        )
    };
    record_movement(&mut tx, &receipt_row).await?;
    let entry = AuditEntry::new(RECEIVE).record("drug_batch", id).detail(format!(
        "{} batch {}: {} units, expires {}",
        drug.label(),
        receipt.batch_number,
        receipt.quantity,
        receipt.expires_on
    ));
    audit::record_form(&mut tx, actor, entry, RECEIVE, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// The action a receipt's one-time form id is claimed for.
const RECEIVE: &str = "drug.batch_receive";

pub async fn batch(db: &Db, id: i64) -> Result<Option<BatchLine>, ServiceError> {
    Ok(repo::batch(db, id).await?)
}

/// Adjusts a batch seen holding `seen` units; Stale when it changed since; the same form twice adjusts once.
pub async fn adjust(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    seen: i64,
    adjustment: &Adjustment,
    today: Date,
) -> Result<BatchLine, ServiceError> {
    let mut tx = db.begin_write().await?;
    let batch = repo::batch(&mut tx, batch_id).await?.ok_or(ServiceError::NotFound)?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, ADJUST).await? {
        return Ok(batch);
    }
    let balance = repo::change_from(&mut tx, batch_id, seen, adjustment.change)
        .await?
        .ok_or(ServiceError::Stale)?;
    let row = NewMovement {
        reason: Some(adjustment.reason),
        note: &adjustment.note,
        ..movement(
            &batch,
            MovementKind::Adjustment,
            adjustment.change,
            balance,
            actor,
            today,
        )
    };
    let movement_id = record_movement(&mut tx, &row).await?;
    let entry = AuditEntry::new(ADJUST).record("drug_batch", batch_id).detail(format!(
        "{} batch {}: {:+} ({}) {}",
        batch.drug_label(),
        batch.batch_number,
        adjustment.change,
        adjustment.reason.label(),
        adjustment.note
    ));
    audit::record_form(&mut tx, actor, entry, ADJUST, movement_id).await?;
    tx.commit().await?;
    Ok(batch)
}

/// The action an adjustment's one-time form id is claimed for (a replay adjusts once).
const ADJUST: &str = "drug.batch_adjust";

/// Writes off what an expired batch still holds (`seen` units when the page was loaded).
pub async fn write_off(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    seen: i64,
    today: Date,
) -> Result<BatchLine, ServiceError> {
    let mut tx = db.begin_write().await?;
    let batch = write_off_in(&mut tx, actor, (batch_id, seen), today).await?;
    tx.commit().await?;
    Ok(batch)
}

/// Writes off several expired batches at once, each with the quantity the page showed (batch id, units), in
/// one transaction: if any has changed or is not expired, none is written off. Returns how many units went.
pub async fn write_off_all(db: &Db, actor: &Actor, batches: &[(i64, i64)], today: Date) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    for batch in batches {
        write_off_in(&mut tx, actor, *batch, today).await?;
    }
    tx.commit().await?;
    Ok(batches.iter().map(|(_, seen)| seen).sum())
}

async fn write_off_in(
    tx: &mut Tx,
    actor: &Actor,
    (batch_id, seen): (i64, i64),
    today: Date,
) -> Result<BatchLine, ServiceError> {
    let batch = repo::batch(&mut *tx, batch_id).await?.ok_or(ServiceError::NotFound)?;
    if !batch.has_expired(&today) {
        return Err(ServiceError::Conflict(format!(
            "Batch {} has not expired: adjust it instead if units are damaged or missing.",
            batch.batch_number
        )));
    }
    if !repo::empty_expired(&mut *tx, batch_id, seen, today).await? {
        return Err(ServiceError::Conflict(format!(
            "Batch {} changed since the page was loaded (or was written off already).",
            batch.batch_number
        )));
    }
    record_movement(
        &mut *tx,
        &movement(&batch, MovementKind::WriteOff, -seen, 0, actor, today),
    )
    .await?;
    let entry = AuditEntry::new("drug.batch_write_off")
        .record("drug_batch", batch_id)
        .detail(format!(
            "{} batch {}: {seen} expired units written off",
            batch.drug_label(),
            batch.batch_number
        ));
    audit::record(&mut *tx, actor, entry).await?;
    Ok(batch)
}

/// One batch's line of a stock count: the quantity the sheet showed, and what was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    pub batch_id: i64,
    pub seen: i64,
    pub counted: i64,
}

/// Records a count: each difference becomes an adjustment with the reason "count", all or nothing; Stale
/// when a counted batch changed since the sheet was loaded. Answers how many batches were corrected.
pub async fn record_count(
    db: &Db,
    actor: &Actor,
    shelf: &str,
    counts: &[Counted],
    today: Date,
) -> Result<usize, ServiceError> {
    let mut tx = db.begin_write().await?;
    let mut corrected = Vec::new();
    for count in counts {
        let batch = repo::batch(&mut tx, count.batch_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if batch.quantity != count.seen {
            return Err(ServiceError::Conflict(format!(
                "Batch {} of {} changed while you counted (it holds {} now). Count it again.",
                batch.batch_number,
                batch.drug_label(),
                batch.quantity
            )));
        }
        let change = count.counted - count.seen;
        if change == 0 {
            continue;
        }
        let balance = repo::change_from(&mut tx, batch.id, count.seen, change)
            .await?
            .ok_or(ServiceError::Stale)?;
        let row = NewMovement {
            reason: Some(AdjustReason::Count),
            ..movement(&batch, MovementKind::Adjustment, change, balance, actor, today)
        };
        record_movement(&mut tx, &row).await?;
        corrected.push(format!("{} {}: {change:+}", batch.drug_label(), batch.batch_number));
    }
    let shelf_name = if shelf.is_empty() { "no shelf" } else { shelf };
    let entry = AuditEntry::new("drug.stock_count").detail(format!(
        "shelf {shelf_name}: {} batches counted, {} corrected{}{}",
        counts.len(),
        corrected.len(),
        if corrected.is_empty() { "" } else { ": " },
        corrected.join("; ")
    ));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(corrected.len())
}

// ---- supplies used by procedures ----------------------------------------------------------------------

/// Takes a procedure's `supplies` ((drug, units) each) off the shelf, earliest expiry first, as
/// `supply` rows of the ledger, inside the caller's change (the procedure is recorded in it). The procedure
/// was done whatever the stock says, so a shortage is not refused: what there is is taken, and the answer
/// says what was missing.
pub async fn use_supplies_in(
    tx: &mut Tx,
    actor: &Actor,
    visit_procedure_id: i64,
    supplies: &[(i64, i64)],
    today: Date,
) -> Result<Vec<String>, ServiceError> {
    let drug_ids: Vec<i64> = supplies.iter().map(|(drug, _)| *drug).collect();
    let batches = repo::batches_of_drugs(&mut *tx, &drug_ids).await?;
    let requests: Vec<Request> = supplies
        .iter()
        .map(|(drug_id, quantity)| Request {
            key: *drug_id,
            drug_id: *drug_id,
            quantity: *quantity,
        })
        .collect();
    let from = usable_from(today, 0);
    let mut missing = Vec::new();
    for (drug_id, allocation) in plan(&requests, &batches, from) {
        for take in &allocation.takes {
            let batch = repo::batch(&mut *tx, take.batch_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let balance = repo::take(tx, take.batch_id, take.quantity, from)
                .await?
                .ok_or_else(|| ServiceError::Conflict("The stock changed meanwhile. Try again.".into()))?;
            let row = NewMovement {
                visit_procedure_id: Some(visit_procedure_id),
                ..movement(&batch, MovementKind::Supply, -take.quantity, balance, actor, today)
            };
            record_movement(tx, &row).await?;
        }
        if allocation.short > 0 {
            let label = repo::get(&mut *tx, drug_id)
                .await?
                .map_or_else(String::new, |drug| drug.label());
            missing.push(format!("{} {label}", allocation.short));
        }
    }
    Ok(missing)
}

/// Puts back on the shelf the supplies a procedure recorded by mistake took, inside the caller's change (the
/// procedure is removed in it), as `supply` rows of their own.
pub async fn return_supplies_in(
    tx: &mut Tx,
    actor: &Actor,
    visit_procedure_id: i64,
    today: Date,
) -> Result<(), ServiceError> {
    for (batch_id, _, units) in repo::supplied_for_in(tx, visit_procedure_id).await? {
        if units <= 0 {
            continue;
        }
        let batch = repo::batch(&mut *tx, batch_id).await?.ok_or(ServiceError::NotFound)?;
        let balance = repo::put_back(tx, batch_id, units).await?;
        let row = NewMovement {
            visit_procedure_id: Some(visit_procedure_id),
            note: "procedure removed",
            ..movement(&batch, MovementKind::Supply, units, balance, actor, today)
        };
        record_movement(tx, &row).await?;
    }
    Ok(())
}

// ---- the pharmacist's home: trouble coming ---------------------------------------------------------------

/// How many rows each alert shows at most: the most urgent.
pub const ALERT_ROWS: i64 = 20;

/// The drugs the "days of stock left" alert lists: those that run out within this many days at the current rate
/// (a drug that lasts a year needs no one's attention today).
pub const RUNNING_OUT_WITHIN_DAYS: i64 = 60;

/// What the pharmacist should act on.
pub struct Alerts {
    /// Active drugs at or below their reorder level, none in stock included.
    pub low: Vec<DrugStock>,
    /// Batches holding units that expire within the longest window, earliest first.
    pub expiring: Vec<BatchLine>,
    /// Expired batches still holding units.
    pub expired: Vec<BatchLine>,
    /// Drugs used in the last days of the rate that run out within [`RUNNING_OUT_WITHIN_DAYS`], with their stock
    /// and the days it lasts, fewest days first.
    pub running_out: Vec<(DrugStock, i64)>,
}

impl Alerts {
    /// Whether a list of `listed` rows was cut at [`ALERT_ROWS`], so that more wait behind it.
    pub fn is_cut(&self, listed: usize) -> bool {
        i64::try_from(listed).is_ok_and(|listed| listed >= ALERT_ROWS)
    }
}

/// The days of the expiring alert (the longest window) and of the expired one, from `today`.
fn alert_spans(today: Date) -> ((Date, Date), (Date, Date)) {
    let last_window = *EXPIRY_WINDOWS.last().unwrap_or(&90);
    (
        (today, Date(Date::add_days(today.0, last_window))),
        (Date(Date::add_days(today.0, -3650)), Date(Date::add_days(today.0, -1))),
    )
}

pub async fn alerts(db: &Db, today: Date, now: Timestamp) -> Result<Alerts, ServiceError> {
    let low = repo::low_stock(db, today, ALERT_ROWS).await?;
    let (expiring, expired) = alert_spans(today);
    let expiring = repo::expiring(db, expiring.0, expiring.1, ALERT_ROWS).await?;
    let expired = repo::expiring(db, expired.0, expired.1, ALERT_ROWS).await?;
    let used = repo::used_since(db, rate_since(now)).await?;
    let ids: Vec<i64> = used.iter().map(|(drug, _)| *drug).collect();
    let stock = repo::with_stock(db, &ids, today).await?;
    let mut running_out: Vec<(DrugStock, i64)> = stock
        .into_iter()
        .filter_map(|drug| {
            let units = used
                .iter()
                .find(|(id, _)| *id == drug.id)
                .map_or(0, |(_, units)| *units);
            days_left(drug.on_hand, units)
                .filter(|days| *days <= RUNNING_OUT_WITHIN_DAYS)
                .map(|days| (drug, days))
        })
        .collect();
    running_out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)));
    running_out.truncate(ALERT_ROWS as usize);
    Ok(Alerts {
        low,
        expiring,
        expired,
        running_out,
    })
}

/// The alerts counted in full (the alerts list only the most urgent): the home pages' figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertCounts {
    /// Active drugs at or below their reorder level.
    pub low: i64,
    /// Batches holding units that expire within the longest window.
    pub expiring: i64,
    /// Expired batches still holding units.
    pub expired: i64,
}

pub async fn alert_counts(db: &Db, today: Date) -> Result<AlertCounts, ServiceError> {
    let (expiring, expired) = alert_spans(today);
    Ok(AlertCounts {
        low: repo::count_low_stock(db, today).await?,
        expiring: repo::count_expiring(db, expiring.0, expiring.1).await?,
        expired: repo::count_expiring(db, expired.0, expired.1).await?,
    })
}

// ---- a drug's stock page, the ledger, the count sheet ----------------------------------------------------

pub async fn batches_of_drug(db: impl Reader, drug_id: i64) -> Result<Vec<BatchLine>, ServiceError> {
    Ok(repo::batches_of_drug(db, drug_id).await?)
}

pub async fn ledger(
    db: impl Reader,
    drug_id: i64,
    filter: &LedgerFilter,
    page: PageRequest,
) -> Result<(Vec<MovementRow>, i64), ServiceError> {
    Ok(repo::ledger(db, drug_id, filter, page).await?)
}

pub async fn ledger_all(db: &Db, drug_id: i64, filter: &LedgerFilter) -> Result<Vec<MovementRow>, ServiceError> {
    Ok(repo::ledger_all(db, drug_id, filter).await?)
}

pub async fn shelves(db: impl Reader) -> Result<Vec<(String, i64)>, ServiceError> {
    Ok(repo::shelves(db).await?)
}

pub async fn on_shelf(db: impl Reader, shelf: &str) -> Result<Vec<BatchLine>, ServiceError> {
    Ok(repo::on_shelf(db, shelf).await?)
}

/// Active drugs and supplies that a procedure may use up (consumables, injections, infusions), by name.
pub async fn procedure_supplies(db: &Db) -> Result<Vec<Drug>, ServiceError> {
    Ok(repo::procedure_supplies(db).await?)
}
