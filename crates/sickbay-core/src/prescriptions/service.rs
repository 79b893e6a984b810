//! Prescribing, each change one transaction with its audit row: items are added by the visit's doctor while
//! the visit is open (the prescription is created with the first), checked against the drug catalogue and
//! the patient's recorded allergies; and the reads of the print page, the pharmacy's list and the chart.

use super::model::{Item, ItemForm, ListFilter, Prescription, PrescriptionStatus, allergy_match, how_to_take};
use super::repo::{self, Listed, Locked};
use crate::audit::{self, AuditEntry, Reads};
use crate::consult::model::{Access, Visit};
use crate::consult::service::{visit_for, writable_visit_in};
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::paging::PageRequest;
use crate::db::{Db, Reader, Tx};
use crate::error::ServiceError;
use crate::identity::{Actor, Role, StaffUser};
use crate::validation::FieldErrors;

/// The action a one-time form id is claimed for when adding an item.
const ADD_ITEM: &str = "prescription.item_add";

/// The visit, if `user` is a doctor who may prescribe in it now (its own doctor, while it is open); an admin
/// may write notes but never prescribes.
pub async fn prescribable_visit(db: &Db, user: &StaffUser, visit_id: i64) -> Result<Visit, ServiceError> {
    let visit = visit_for(db, user, visit_id, Access::Write).await?;
    if user.role != Role::Doctor {
        return Err(ServiceError::Forbidden);
    }
    Ok(visit)
}

/// Why the drug of `drug_id` can't be prescribed in words for the drug field, or the drug.
async fn prescribable_drug(db: &Db, drug_id: i64) -> Result<crate::pharmacy::model::Drug, ServiceError> {
    match crate::pharmacy::service::drug(db, drug_id).await? {
        Some(drug) if drug.is_active() => Ok(drug),
        Some(drug) => Err(ServiceError::field(
            "drug_id",
            format!("{} is no longer prescribed here. Choose another drug.", drug.label()),
        )),
        None => Err(ServiceError::field(
            "drug_id",
            "That drug is not in the catalogue. Type part of its name and pick it from the list.",
        )),
    }
}

/// Adds an item to the visit's prescription (creating the prescription with its first item) and answers the
/// item's id. The dose must fit the drug's form and strength (`model::dose`). A drug matching the patient's
/// recorded allergies needs the doctor's acknowledgement and reason, which are stored with the item and audited.
/// The same form sent twice adds one item.
pub async fn add_item(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    form: &ItemForm,
) -> Result<i64, ServiceError> {
    let visit = prescribable_visit(db, user, visit_id).await?;
    if let Some(id) = actor.recorded_form(db, ADD_ITEM).await? {
        return Ok(id);
    }
    let mut item = form.validate().map_err(ServiceError::Invalid)?;
    let drug = prescribable_drug(db, item.drug_id).await?;
    super::model::dose::check(&item.dose, drug.form, &drug.strength)
        .map_err(|message| ServiceError::field("dose", message))?;
    let patient = crate::patients::service::get(db, visit.patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let allergy = allergy_match(&patient.allergies, &drug.name, &drug.generic_name);
    match (&allergy, &item.allergy_reason) {
        (Some(warning), None) => {
            let mut errors = FieldErrors::default();
            errors.add("allergy_ack", warning.clone());
            let how = match form.acknowledged() {
                true => "Write why you prescribe it anyway.",
                false => "To prescribe it anyway, tick the box and write why.",
            };
            errors.add("allergy_reason", how);
            return Err(ServiceError::Invalid(errors));
        }
        (None, Some(_)) => item.allergy_reason = None,
        _ => {}
    }

    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, ADD_ITEM).await? {
        return Ok(id);
    }
    let visit = writable_visit_in(&mut tx, user, visit.id, Access::Write).await?;
    match crate::pharmacy::service::drug(&mut tx, drug.id).await? {
        Some(now) if now.is_active() => {}
        _ => {
            return Err(ServiceError::Conflict(format!(
                "{} was just taken out of the catalogue.",
                drug.label()
            )));
        }
    }
    let prescription_id = match repo::prescription_id_in(&mut tx, visit.id).await? {
        Some(id) => id,
        None => repo::insert_prescription(&mut tx, visit.id, visit.patient_id, visit.doctor_id).await?,
    };
    let prescription = lock_in(&mut tx, prescription_id).await?;
    let id = repo::insert_item(&mut tx, &prescription, &item).await?;
    repo::refresh_status(&mut tx, &prescription).await?;
    let how = how_to_take(
        &item.dose,
        item.route,
        item.frequency,
        item.duration_days,
        item.quantity,
    );
    let entry = AuditEntry::new(ADD_ITEM)
        .record("prescription_item", id)
        .patient(visit.patient_id)
        .detail(format!("{}: {how}", drug.label()));
    audit::record(&mut tx, actor, entry).await?;
    if let (Some(warning), Some(reason)) = (&allergy, &item.allergy_reason) {
        let entry = AuditEntry::new("prescription.allergy_override")
            .record("prescription_item", id)
            .patient(visit.patient_id)
            .detail(format!("{warning} Reason given: {reason}"));
        audit::record(&mut tx, actor, entry).await?;
    }
    actor.complete_form(&mut tx, ADD_ITEM, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes an item off the visit's prescription while the visit is open (its doctor) and none of it was given or
/// refused; a conflict saying so when the pharmacy gave or refused some of it first.
pub async fn remove_item(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    item_id: i64,
) -> Result<Item, ServiceError> {
    if user.role != Role::Doctor {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let prescription_id = repo::prescription_id_in(&mut tx, visit.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let prescription = lock_in(&mut tx, prescription_id).await?;
    let item = repo::item_in(&mut tx, item_id)
        .await?
        .filter(|item| item.prescription_id == prescription.id())
        .ok_or(ServiceError::NotFound)?;
    if let Some(why) = item.why_it_stays() {
        return Err(ServiceError::Conflict(why));
    }
    if !repo::delete_item(&mut tx, &prescription, item_id).await? {
        return Err(ServiceError::Conflict(format!(
            "{} changed at the pharmacy meanwhile, so it stays on the prescription. Reload the visit to see it.",
            item.drug_label()
        )));
    }
    repo::refresh_status(&mut tx, &prescription).await?;
    let entry = AuditEntry::new("prescription.item_remove")
        .record("prescription_item", item_id)
        .patient(visit.patient_id)
        .detail(item.drug_label());
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(item)
}

/// The prescription items of the visits of `visit_ids`, with their drug, in the order written (for the
/// consultation and the patient's chart; the caller has checked the reader may see these visits).
pub async fn items_of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<Item>, ServiceError> {
    Ok(repo::items_of_visits(db, visit_ids).await?)
}

/// A prescription with its items, to print or read.
pub struct Printable {
    pub prescription: Prescription,
    pub items: Vec<Item>,
}

/// The visit's prescription for a staff member who may read prescriptions (doctors, admins and
/// pharmacists: the handler checks the role), audited as read. NotFound when the visit has none (or an
/// empty one).
pub async fn printable(db: &Db, reads: &Reads, actor: &Actor, visit_id: i64) -> Result<Printable, ServiceError> {
    let prescription = repo::of_visit(db, visit_id).await?.ok_or(ServiceError::NotFound)?;
    read(db, reads, actor, prescription).await
}

/// The prescription of one of the patient's own visits; NotFound for anyone else's.
pub async fn printable_for_patient(
    db: &Db,
    reads: &Reads,
    actor: &Actor,
    patient_id: i64,
    visit_id: i64,
) -> Result<Printable, ServiceError> {
    let prescription = repo::of_visit_of_patient(db, visit_id, patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    read(db, reads, actor, prescription).await
}

async fn read(db: &Db, reads: &Reads, actor: &Actor, prescription: Prescription) -> Result<Printable, ServiceError> {
    let items = repo::items_of_visits(db, &[prescription.visit_id]).await?;
    if items.is_empty() {
        return Err(ServiceError::NotFound);
    }
    record_read(reads, actor, &prescription).await?;
    Ok(Printable { prescription, items })
}

/// The audit row of someone reading a prescription (printed, or on the pharmacy's pages): before it is shown.
pub async fn record_read(reads: &Reads, actor: &Actor, prescription: &Prescription) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("prescription.view")
        .record("prescription", prescription.id)
        .patient(prescription.patient_id);
    reads.record(actor, entry).await
}

/// The pharmacy's list: one page of prescriptions, pending first, newest first, and how many there are.
pub async fn list(db: &Db, filter: &ListFilter, page: PageRequest) -> Result<(Vec<Listed>, i64), ServiceError> {
    Ok(repo::list(db, filter, page).await?)
}

// ---- for the pharmacy: reading and dispensing inside its changes --------------------------------------

/// Locks the prescription's row for the rest of the caller's change: what every change of a prescription's
/// items or status takes first (the functions below that change them ask for it), so it is also where the
/// change is announced to the pharmacy's worklist. NotFound when there is none.
pub async fn lock_in(tx: &mut Tx, prescription_id: i64) -> Result<Locked, ServiceError> {
    let locked = repo::lock(tx, prescription_id).await?.ok_or(ServiceError::NotFound)?;
    tx.announce(Event::Pharmacy);
    Ok(locked)
}

/// A prescription's heading by its id.
pub async fn prescription(db: &Db, id: i64) -> Result<Option<Prescription>, ServiceError> {
    Ok(repo::get(db, id).await?)
}

pub async fn prescription_in(tx: &mut Tx, id: i64) -> Result<Option<Prescription>, ServiceError> {
    Ok(repo::get(&mut *tx, id).await?)
}

/// The items of the locked prescription inside the caller's change, as no other change can leave them now.
pub async fn items_in(tx: &mut Tx, prescription: &Locked) -> Result<Vec<Item>, ServiceError> {
    Ok(repo::items_of_prescription_in(tx, prescription).await?)
}

/// The items of the prescriptions of `ids`, in the order written.
pub async fn items_of_prescriptions(db: &Db, ids: &[i64]) -> Result<Vec<Item>, ServiceError> {
    Ok(repo::items_of_prescriptions(db, ids).await?)
}

/// Counts `units` of the locked prescription's item as given; false when that many are not owed on it.
pub async fn give_in(tx: &mut Tx, prescription: &Locked, item_id: i64, units: i64) -> Result<bool, ServiceError> {
    Ok(repo::give(tx, prescription, item_id, units).await?)
}

/// Refuses what is still owed of the locked prescription's item; false when nothing is owed on it.
pub async fn refuse_in(tx: &mut Tx, prescription: &Locked, item_id: i64, reason: &str) -> Result<bool, ServiceError> {
    Ok(repo::refuse(tx, prescription, item_id, reason).await?)
}

/// Sets the locked prescription's status from its items.
pub async fn refresh_status_in(tx: &mut Tx, prescription: &Locked) -> Result<PrescriptionStatus, ServiceError> {
    Ok(repo::refresh_status(tx, prescription).await?)
}

/// The prescriptions with something still owed, oldest first, at most `limit`, and how many there are.
pub async fn open_prescriptions(db: &Db, limit: i64) -> Result<(Vec<Prescription>, i64), ServiceError> {
    Ok(repo::open(db, limit).await?)
}

/// How many prescriptions have something still owed: the pharmacy's worklist, counted (the home pages).
pub async fn count_open(db: &Db) -> Result<i64, ServiceError> {
    Ok(repo::count_open(db).await?)
}
