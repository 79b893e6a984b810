//! Procedure operations, each one transaction with its audit row: the admin's catalogue, and procedures
//! recorded in (and removed from) an open visit by its doctor. `of_visits` is the public read for
//! the chart; billing reads the prices from the catalogue.

use super::model::{ProcedureInput, ProcedureType, VisitProcedure, VisitProcedures, parse_note};
use super::repo;
use crate::audit::{self, AuditEntry};
use crate::consult::model::{Access, Visit};
use crate::consult::service::writable_visit_in;
use crate::db::form_ids::{Claim, FormKey};
use crate::db::{Currency, Date, Db, Reader, Timestamp, Tx, is_unique_violation};
use crate::error::ServiceError;
use crate::identity::{Actor, StaffUser};
use crate::validation::FieldErrors;

const CREATE: &str = "procedure_type.create";
const RECORD: &str = "procedure.record";

fn name_taken(name: &str) -> ServiceError {
    ServiceError::field(
        "name",
        format!("There is already a procedure called {name:?} (names are compared in any case)."),
    )
}

/// Adds a catalogue entry, once per form: its id.
pub async fn create_type(db: &Db, actor: &Actor, input: &ProcedureInput) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, CREATE).await? {
        return Ok(id);
    }
    let id = match repo::insert_type(&mut tx, input).await {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => return Err(name_taken(&input.name)),
        Err(err) => return Err(err.into()),
    };
    let entry = AuditEntry::new(CREATE)
        .record("procedure_type", id)
        .detail(describe(input, &crate::clinic::currency(&mut tx).await?));
    audit::record_form(&mut tx, actor, entry, CREATE, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a catalogue entry, refusing a stale form. Procedures already recorded keep their entry.
pub async fn update_type(
    db: &Db,
    actor: &Actor,
    id: i64,
    seen: Timestamp,
    input: &ProcedureInput,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let before = repo::get_type(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    if before.updated_at != seen {
        return Err(ServiceError::Stale);
    }
    match repo::update_type(&mut tx, id, seen, input).await {
        Ok(true) => {}
        Ok(false) => return Err(ServiceError::Stale),
        Err(err) if is_unique_violation(&err) => return Err(name_taken(&input.name)),
        Err(err) => return Err(err.into()),
    }
    let entry = AuditEntry::new("procedure_type.update")
        .record("procedure_type", id)
        .detail(describe(input, &crate::clinic::currency(&mut tx).await?));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

fn describe(input: &ProcedureInput, currency: &Currency) -> String {
    let state = if input.active { "active" } else { "inactive" };
    format!("{}, price {}, {state}", input.name, currency.format(input.price))
}

pub async fn types(db: &Db) -> Result<Vec<ProcedureType>, ServiceError> {
    Ok(repo::types(db).await?)
}

pub async fn get_type(db: &Db, id: i64) -> Result<Option<ProcedureType>, ServiceError> {
    Ok(repo::get_type(db, id).await?)
}

/// Records a procedure from the active catalogue in an open visit (its doctor), once per form: its
/// id. The same form sent again answers with the procedure it recorded, and its supplies leave the shelf once.
pub async fn record(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    procedure_type_id: Option<i64>,
    note: &str,
    today: Date,
) -> Result<i64, ServiceError> {
    let mut errors = FieldErrors::default();
    let note = errors.check("note", parse_note(note));
    if procedure_type_id.is_none() {
        errors.add("procedure_type_id", "Choose the procedure that was done.");
    }
    let (Some(note), Some(type_id), true) = (note, procedure_type_id, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, RECORD).await? {
        return Ok(id);
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let kind = match repo::get_type(&mut tx, type_id).await? {
        Some(kind) if kind.active => kind,
        _ => {
            return Err(ServiceError::field(
                "procedure_type_id",
                "That procedure is not in the catalogue (any more). Choose another.",
            ));
        }
    };
    let id = repo::insert_done(&mut tx, visit.id, kind.id, &note, user.id).await?;
    let supplies = repo::supplies(&mut tx, kind.id).await?;
    let missing = crate::pharmacy::service::use_supplies_in(&mut tx, actor, id, &supplies, today).await?;
    let detail = match missing.is_empty() {
        true => kind.name,
        false => format!("{}; not in stock: {}", kind.name, missing.join(", ")),
    };
    let entry = AuditEntry::new(RECORD)
        .record("visit_procedure", id)
        .patient(visit.patient_id)
        .detail(detail);
    audit::record_form(&mut tx, actor, entry, RECORD, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a procedure recorded by mistake, while the visit is open: its doctor.
pub async fn remove(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    id: i64,
    today: Date,
) -> Result<String, ServiceError> {
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let done = repo::done_in(&mut tx, visit.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    remove_in(&mut tx, actor, &visit, &done, today).await?;
    tx.commit().await?;
    Ok(done.name)
}

async fn remove_in(
    tx: &mut Tx,
    actor: &Actor,
    visit: &Visit,
    done: &VisitProcedure,
    today: Date,
) -> Result<(), ServiceError> {
    crate::pharmacy::service::return_supplies_in(tx, actor, done.id, today).await?;
    if !repo::delete_done(tx, visit.id, done.id).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("procedure.remove")
        .record("visit_procedure", done.id)
        .patient(visit.patient_id)
        .detail(done.name.clone());
    audit::record(tx, actor, entry).await?;
    Ok(())
}

/// The procedures done in these visits (for the chart and the consultation screen), in the order done.
pub async fn of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<VisitProcedure>, ServiceError> {
    Ok(repo::done_in_visits(db, visit_ids).await?)
}

/// The consultation screen's section for `user`.
pub async fn section(mut db: impl Reader, user: &StaffUser, visit: &Visit) -> Result<VisitProcedures, ServiceError> {
    let can_record = visit.allows(user, Access::Write);
    let catalogue = match can_record {
        true => repo::active_types(&mut db).await?,
        false => Vec::new(),
    };
    Ok(VisitProcedures {
        visit_id: visit.id,
        done: repo::done_in_visits(&mut db, &[visit.id]).await?,
        catalogue,
        can_record,
        form_id: FormKey::mint().to_string(),
        ..VisitProcedures::default()
    })
}

/// A supply a procedure type uses, with its drug.
pub struct Supply {
    pub drug: crate::pharmacy::model::DrugStock,
    pub units: i64,
}

/// The supplies a procedure of this type uses, by drug name.
pub async fn supplies(db: &Db, procedure_type_id: i64, today: Date) -> Result<Vec<Supply>, ServiceError> {
    let pairs = repo::supplies(db, procedure_type_id).await?;
    let ids: Vec<i64> = pairs.iter().map(|(drug, _)| *drug).collect();
    let mut supplies: Vec<Supply> = crate::pharmacy::service::drugs_with_stock(db, &ids, today)
        .await?
        .into_iter()
        .map(|drug| Supply {
            units: pairs
                .iter()
                .find(|(id, _)| *id == drug.id)
                .map_or(0, |(_, units)| *units),
            drug,
        })
        .collect();
    supplies.sort_by_key(|supply| supply.drug.label());
    Ok(supplies)
}

/// The most units of one supply a procedure uses.
pub const SUPPLY_UNITS_MAX: i64 = 1000;

/// Sets how many units of a drug (active, in the catalogue) a procedure of this type uses.
pub async fn set_supply(
    db: &Db,
    actor: &Actor,
    procedure_type_id: i64,
    drug_id: Option<i64>,
    units: &str,
) -> Result<(), ServiceError> {
    let mut errors = FieldErrors::default();
    if drug_id.is_none() {
        errors.add("drug_id", "Choose the supply the procedure uses.");
    }
    let units = match units.trim().parse::<i64>() {
        Ok(n) if (1..=SUPPLY_UNITS_MAX).contains(&n) => Some(n),
        _ => {
            errors.add(
                "units",
                format!("Give the units one procedure uses, 1 to {SUPPLY_UNITS_MAX}."),
            );
            None
        }
    };
    let (Some(drug_id), Some(units), true) = (drug_id, units, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let mut tx = db.begin_write().await?;
    let kind = repo::get_type(&mut tx, procedure_type_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let drug = match crate::pharmacy::service::drug(&mut tx, drug_id).await? {
        Some(drug) if drug.is_active() => drug,
        _ => {
            return Err(ServiceError::field(
                "drug_id",
                "That supply is not in the catalogue. Choose another.",
            ));
        }
    };
    repo::set_supply(&mut tx, kind.id, drug.id, units).await?;
    let entry = AuditEntry::new("procedure.supply_set")
        .record("procedure_type", kind.id)
        .detail(format!("{}: {} × {units}", kind.name, drug.label()));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Stops a procedure type from using a supply.
pub async fn remove_supply(db: &Db, actor: &Actor, procedure_type_id: i64, drug_id: i64) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let kind = repo::get_type(&mut tx, procedure_type_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !repo::remove_supply(&mut tx, kind.id, drug_id).await? {
        return Err(ServiceError::NotFound);
    }
    let entry = AuditEntry::new("procedure.supply_remove")
        .record("procedure_type", kind.id)
        .detail(format!("{}: drug {drug_id}", kind.name));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}
