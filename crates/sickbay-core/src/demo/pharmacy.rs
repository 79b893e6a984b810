//! The demo's pharmacy day, through the services: today's doctors prescribe as they see patients, the
//! pharmacist dispenses all but the last few prescriptions (those wait on the worklist), and the procedures
//! say which supplies they use.

use anyhow::Context;

use super::model::Person;
use crate::db::{Date, Db};
use crate::dispensing::{self as dispense, Request, Shelf};
use crate::identity::Role;
use crate::prescriptions::model::ItemForm;

/// What today's doctors prescribe, in turn: drug name, strength, dose, route, frequency, days, quantity.
const PRESCRIPTIONS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("Paracetamol", "500 mg", "1 g", "oral", "tds", "3", "18"),
    ("Amoxicillin", "500 mg", "500 mg", "oral", "tds", "5", "15"),
    ("Ibuprofen", "400 mg", "400 mg", "oral", "bd", "5", "10"),
    ("Loratadine", "10 mg", "10 mg", "oral", "od", "7", "7"),
    ("Metronidazole", "400 mg", "400 mg", "oral", "tds", "7", "21"),
    ("Folic acid", "5 mg", "5 mg", "oral", "od", "30", "30"),
];

/// How many of today's prescriptions the pharmacist leaves on the worklist.
const LEFT_WAITING: usize = 3;

/// Supplies each demo procedure uses: procedure name, then (drug name, units).
pub const SUPPLIES: &[(&str, &[(&str, i64)])] = &[
    ("Wound dressing", &[("Gauze", 2), ("Gloves", 1), ("Cotton wool", 1)]),
    ("Injection (intramuscular)", &[("Syringe", 1), ("Gloves", 1)]),
    ("Suturing of a laceration", &[("Gloves", 2), ("Gauze", 2)]),
    ("Intravenous cannulation", &[("Gloves", 1)]),
];

/// The `turn`th prescription of the day, written by the visit's doctor while the visit is open. A drug the
/// demo catalogue lacks is skipped.
pub async fn prescribe(db: &Db, doctor: &Person, visit_id: i64, turn: usize, today: Date) -> anyhow::Result<()> {
    let (name, strength, dose, route, frequency, days, quantity) = PRESCRIPTIONS[turn % PRESCRIPTIONS.len()];
    let found = crate::pharmacy::service::search_drugs(db, name, today).await?;
    let Some(drug) = found.iter().find(|d| d.name == name && d.strength == strength) else {
        return Ok(());
    };
    let form = ItemForm {
        drug_id: drug.id.to_string(),
        dose: dose.to_owned(),
        route: route.to_owned(),
        frequency: frequency.to_owned(),
        duration_days: days.to_owned(),
        quantity: quantity.to_owned(),
        instructions: "After food.".to_owned(),
        ..ItemForm::default()
    };
    crate::prescriptions::service::add_item(db, &doctor.as_user(Role::Doctor), &doctor.as_staff(), visit_id, &form)
        .await
        .map_err(|e| anyhow::anyhow!("prescribing {name} in visit {visit_id}: {e}"))?;
    Ok(())
}

/// The pharmacist dispenses the day's prescriptions, oldest first, as the dispense page offers them, leaving
/// the last few waiting.
pub async fn dispense_today(db: &Db, pharmacist: &Person, shelf: Shelf) -> anyhow::Result<usize> {
    let (open, total) = crate::prescriptions::service::open_prescriptions(db, 500).await?;
    let to_give = (total as usize).saturating_sub(LEFT_WAITING);
    let mut dispensed = 0;
    for prescription in open.iter().take(to_give) {
        let preview = dispense::preview(db, prescription.id, None, shelf).await?;
        let asked: Vec<(i64, i64)> = preview.lines.iter().map(|line| (line.item.id, line.give)).collect();
        if asked.iter().all(|(_, units)| *units == 0) {
            continue;
        }
        let request = Request {
            asked,
            plan: preview.plan,
        };
        dispense::dispense(db, &pharmacist.as_staff(), prescription.id, &request, shelf)
            .await
            .map_err(|e| anyhow::anyhow!("dispensing prescription {}: {e}", prescription.id))?;
        dispensed += 1;
    }
    Ok(dispensed)
}

/// Tells each demo procedure which supplies it uses.
pub async fn procedure_supplies(db: &Db, actor: &crate::identity::Actor, today: Date) -> anyhow::Result<()> {
    let types = crate::procedures::service::types(db).await?;
    for (procedure, supplies) in SUPPLIES {
        let kind = types
            .iter()
            .find(|t| t.name == *procedure)
            .with_context(|| format!("the demo procedure {procedure}"))?;
        for (name, units) in *supplies {
            let listing = (*name, Default::default(), Default::default());
            let found = crate::pharmacy::service::catalogue(db, listing, today, crate::db::paging::PageRequest(1))
                .await?
                .0;
            let drug = found
                .iter()
                .find(|d| d.name == *name)
                .with_context(|| format!("the demo supply {name}"))?;
            crate::procedures::service::set_supply(db, actor, kind.id, Some(drug.id), &units.to_string())
                .await
                .map_err(|e| anyhow::anyhow!("the supplies of {procedure}: {e}"))?;
        }
    }
    Ok(())
}
