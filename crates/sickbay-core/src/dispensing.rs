//! Dispensing and refusing, each one transaction with its audit row: a dispense takes each batch down with a
//! conditional update (`quantity >= n`), writes the dispensation, its items and their ledger rows, counts the
//! units as given on the prescription and sets its status, or does nothing at all. Both lock the prescription
//! first and read its items after, so the doctor's changes and another pharmacist's wait for them or go first.

use crate::audit::{self, AuditEntry};
use crate::db::form_ids::Claim;
use crate::db::{Date, Db, Reader, Timestamp};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::pharmacy::model::allocation::{
    Allocation, BatchStock, Owed, asked_plan, asks_as_planned, fingerprint, offered, usable_from,
};
use crate::pharmacy::model::stock::MovementKind;
use crate::pharmacy::repo::{self, GivenBatch, NewMovement};
use crate::prescriptions::model::{Item, Prescription, PrescriptionStatus};
use crate::prescriptions::service as prescriptions;

/// An item of the dispense page: what it still owes, and the plan for what is given now.
pub struct Line {
    pub item: Item,
    pub owed: i64,
    /// Units planned now (the offer, or what was asked).
    pub give: i64,
    pub allocation: Allocation,
}

/// The dispense page's content: the prescription, its items, and the plan's fingerprint for the form.
pub struct Preview {
    pub prescription: Prescription,
    pub lines: Vec<Line>,
    pub plan: String,
}

/// The rules of the day a dispense follows.
#[derive(Clone, Copy, Debug)]
pub struct Shelf {
    pub today: Date,
    pub min_shelf_days: i64,
    /// The clinic's "dispense only when paid": a dispense is refused until the patient has paid their share of
    /// the visit's invoice, checked in the dispense's own transaction.
    pub only_when_paid: bool,
}

impl Shelf {
    fn usable_from(self) -> Date {
        usable_from(self.today, self.min_shelf_days)
    }
}

fn owed_of(items: &[Item]) -> Vec<Owed> {
    items
        .iter()
        .filter(|item| item.owed() > 0)
        .map(|item| Owed {
            item_id: item.id,
            drug_id: item.drug_id,
            owed: item.owed(),
            label: item.drug_label(),
        })
        .collect()
}

fn lines(items: Vec<Item>, planned: &[(i64, Allocation)]) -> Vec<Line> {
    items
        .into_iter()
        .map(|item| {
            let allocation = planned
                .iter()
                .find(|(id, _)| *id == item.id)
                .map(|(_, allocation)| allocation.clone())
                .unwrap_or_default();
            Line {
                owed: item.owed(),
                give: allocation.taken(),
                allocation,
                item,
            }
        })
        .collect()
}

fn drug_ids(items: &[Item]) -> Vec<i64> {
    let mut ids: Vec<i64> = items.iter().map(|item| item.drug_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The dispense page: each item with the split the stock offers (`asked`: none for the offer, or the
/// quantities typed, when they can be given).
pub async fn preview(
    db: &Db,
    prescription_id: i64,
    asked: Option<&[(i64, i64)]>,
    shelf: Shelf,
) -> Result<Preview, ServiceError> {
    let prescription = prescriptions::prescription(db, prescription_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let items = prescriptions::items_of_prescriptions(db, &[prescription_id]).await?;
    if items.is_empty() {
        return Err(ServiceError::NotFound);
    }
    let batches = repo::batches_of_drugs(db, &drug_ids(&items)).await?;
    let owed = owed_of(&items);
    let planned = asked
        .and_then(|asked| asked_plan(&owed, asked, &batches, shelf.usable_from()).ok())
        .unwrap_or_else(|| offered(&owed, &batches, shelf.usable_from()));
    Ok(Preview {
        prescription,
        plan: fingerprint(&planned),
        lines: lines(items, &planned),
    })
}

/// Units asked for each item, and the plan the pharmacist confirmed.
pub struct Request {
    pub asked: Vec<(i64, i64)>,
    pub plan: String,
}

/// What a dispense did.
pub enum Dispensed {
    /// Given now: what of each drug ("Amoxicillin 500 mg capsule × 15"), and the prescription's status after.
    Now {
        status: PrescriptionStatus,
        given: Vec<String>,
    },
    /// The same form had already dispensed.
    Already,
    /// The pharmacist changed the quantities: nothing is given, and the page shows the plan for the quantities
    /// typed, to confirm.
    Replanned,
}

/// With the setting "dispense only when paid": Refused, saying why, until the patient has paid their share of
/// the visit's invoice.
pub async fn require_paid(db: &Db, prescription_id: i64) -> Result<(), ServiceError> {
    let prescription = prescriptions::prescription(db, prescription_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    require_visit_paid(db, prescription.visit_id).await
}

async fn require_visit_paid(db: impl Reader, visit_id: i64) -> Result<(), ServiceError> {
    if crate::billing::service::visit_paid(db, visit_id).await? {
        return Ok(());
    }
    Err(ServiceError::Refused(
        "The clinic dispenses only when paid, and the patient has not paid their share of this visit's invoice \
         yet: send them to the cash desk first."
            .into(),
    ))
}

/// Dispenses what the pharmacist confirmed. Quantities changed from the plan shown are planned, not given
/// (`Replanned`); `Refused` when the quantities can't be given (more than owed or in stock); `Conflict`, saying
/// what changed, when the plan shown no longer holds (an item was taken off, given or refused, or the stock
/// changed) so the page must be shown again; the same form sent twice dispenses once.
pub async fn dispense(
    db: &Db,
    actor: &Actor,
    prescription_id: i64,
    request: &Request,
    shelf: Shelf,
) -> Result<Dispensed, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(_) = actor.claim_form(&mut tx, DISPENSE).await? {
        return Ok(Dispensed::Already);
    }
    let locked = prescriptions::lock_in(&mut tx, prescription_id).await?;
    let prescription = prescriptions::prescription_in(&mut tx, prescription_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if shelf.only_when_paid {
        require_visit_paid(&mut tx, prescription.visit_id).await?;
    }
    let items = prescriptions::items_in(&mut tx, &locked).await?;
    if let Some(changed) = changed_since_shown(&items, &request.asked) {
        return Err(ServiceError::Conflict(changed));
    }
    let batches = repo::batches_of_drugs(&mut tx, &drug_ids(&items)).await?;
    let Some(planned) = confirmed_plan(&items, &batches, request, shelf)? else {
        return Ok(Dispensed::Replanned);
    };
    let pharmacist = actor.id.ok_or(ServiceError::Forbidden)?;
    let now = Timestamp::now();
    let dispensation = repo::insert_dispensation(&mut tx, prescription_id, pharmacist, now).await?;
    let mut given = Vec::new();
    for (item_id, allocation) in &planned {
        take_for_item(&mut tx, actor, dispensation, *item_id, allocation, &batches, shelf).await?;
        if !prescriptions::give_in(&mut tx, &locked, *item_id, allocation.taken()).await? {
            return Err(plan_changed());
        }
        if let Some(item) = items.iter().find(|item| item.id == *item_id) {
            given.push(format!("{} × {}", item.drug_label(), allocation.taken()));
        }
    }
    let status = prescriptions::refresh_status_in(&mut tx, &locked).await?;
    let entry = AuditEntry::new(DISPENSE)
        .record("dispensation", dispensation)
        .patient(prescription.patient_id)
        .detail(format!("prescription {prescription_id}: {}", given.join("; ")));
    audit::record_form(&mut tx, actor, entry, DISPENSE, dispensation).await?;
    tx.commit().await?;
    Ok(Dispensed::Now { status, given })
}

const DISPENSE: &str = "prescription.dispense";

/// What changed on the prescription since the page was shown, when the form gives units of an item that is
/// no longer on it or owes nothing now (the doctor took it off; another pharmacist gave or refused it).
fn changed_since_shown(items: &[Item], asked: &[(i64, i64)]) -> Option<String> {
    asked
        .iter()
        .filter(|(_, units)| *units > 0)
        .find_map(|(id, _)| match items.iter().find(|item| item.id == *id) {
            None => Some(
                "The doctor has taken an item off this prescription since the page was shown, so nothing was \
                 given. Check what is on it now and press Dispense again."
                    .to_owned(),
            ),
            Some(item) if item.owed() == 0 => Some(format!(
                "{} was given or refused by someone else since the page was shown, so nothing was given. Check \
                 what is still owed and press Dispense again.",
                item.drug_label()
            )),
            Some(_) => None,
        })
}

/// The plan for what the form asks, against the prescription and the stock as they are now, when it is the plan
/// the form confirms; None when the pharmacist changed the quantities (the plan for them is shown to confirm,
/// a normal step). A form confirming the plan it was shown is stale when that plan no longer fits: a conflict,
/// shown again. Quantities typed that can't be given are the pharmacist's to correct.
fn confirmed_plan(
    items: &[Item],
    batches: &[BatchStock],
    request: &Request,
    shelf: Shelf,
) -> Result<Option<Vec<(i64, Allocation)>>, ServiceError> {
    let asks_something = request.asked.iter().any(|(_, units)| *units > 0);
    let as_planned = asks_something && asks_as_planned(&request.plan, &request.asked);
    let planned = match asked_plan(&owed_of(items), &request.asked, batches, shelf.usable_from()) {
        Ok(planned) => planned,
        Err(_) if as_planned => return Err(plan_changed()),
        Err(message) => return Err(ServiceError::Refused(message)),
    };
    match (fingerprint(&planned) == request.plan, as_planned) {
        (true, _) => Ok(Some(planned)),
        (false, true) => Err(plan_changed()),
        (false, false) => Ok(None),
    }
}

fn plan_changed() -> ServiceError {
    ServiceError::Conflict(
        "The stock or the prescription changed since the page was shown, so nothing was given and the plan below \
         is new. Check it and press Dispense again."
            .into(),
    )
}

/// Takes one item's units from its batches, with a dispensation row and a ledger row per batch.
async fn take_for_item(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    dispensation: i64,
    item_id: i64,
    allocation: &Allocation,
    batches: &[BatchStock],
    shelf: Shelf,
) -> Result<(), ServiceError> {
    for take in &allocation.takes {
        let drug_id = batches
            .iter()
            .find(|batch| batch.id == take.batch_id)
            .map(|batch| batch.drug_id)
            .ok_or(ServiceError::NotFound)?;
        let balance = repo::take(tx, take.batch_id, take.quantity, shelf.usable_from())
            .await?
            .ok_or_else(plan_changed)?;
        let line = repo::insert_dispensation_item(tx, dispensation, item_id, take.batch_id, take.quantity).await?;
        let row = NewMovement {
            batch_id: take.batch_id,
            drug_id,
            kind: MovementKind::Dispense,
            reason: None,
            quantity: -take.quantity,
            balance,
            note: "",
            dispensation_item_id: Some(line),
            visit_procedure_id: None,
            staff_id: crate::pharmacy::service::staff_id(actor),
            at: Timestamp::now(),
            day: shelf.today,
        };
        crate::pharmacy::service::record_movement(tx, &row).await?;
    }
    Ok(())
}

/// Refuses what is still owed of one item (`item_id`), or of every item (`None`), with the reason.
pub async fn refuse(
    db: &Db,
    actor: &Actor,
    prescription_id: i64,
    item_id: Option<i64>,
    reason: &str,
) -> Result<PrescriptionStatus, ServiceError> {
    let mut tx = db.begin_write().await?;
    let locked = prescriptions::lock_in(&mut tx, prescription_id).await?;
    let prescription = prescriptions::prescription_in(&mut tx, prescription_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let items = prescriptions::items_in(&mut tx, &locked).await?;
    let chosen: Vec<&Item> = match item_id {
        Some(id) => vec![items.iter().find(|item| item.id == id).ok_or(ServiceError::NotFound)?],
        None => items.iter().filter(|item| item.owed() > 0).collect(),
    };
    let mut refused = Vec::new();
    for item in chosen {
        if prescriptions::refuse_in(&mut tx, &locked, item.id, reason).await? {
            refused.push(item.drug_label());
        }
    }
    if refused.is_empty() {
        return Err(ServiceError::Conflict(
            "Nothing is owed on this any more: it was given or refused already.".into(),
        ));
    }
    let status = prescriptions::refresh_status_in(&mut tx, &locked).await?;
    let entry = AuditEntry::new("prescription.refuse")
        .record("prescription", prescription_id)
        .patient(prescription.patient_id)
        .detail(format!("{}: {reason}", refused.join("; ")));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(status)
}

/// An item given (some of it) by the pharmacy, for its label.
pub struct Label {
    pub prescription: Prescription,
    pub item: Item,
    /// The batches its units came from, so a recall can be traced to the patient's bottle.
    pub batches: Vec<GivenBatch>,
}

/// The label of an item of the prescription that was (partly) given; NotFound otherwise.
pub async fn label(db: &Db, prescription_id: i64, item_id: i64) -> Result<Label, ServiceError> {
    let prescription = prescriptions::prescription(db, prescription_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let item = prescriptions::items_of_prescriptions(db, &[prescription_id])
        .await?
        .into_iter()
        .find(|item| item.id == item_id && item.dispensed_quantity > 0)
        .ok_or(ServiceError::NotFound)?;
    let batches = repo::batches_given(db, item.id).await?;
    Ok(Label {
        prescription,
        item,
        batches,
    })
}
