//! The demo's drug catalogue: about thirty common drugs and a few consumables, each with batches whose expiry
//! dates spread from expired to two years ahead, so that the catalogue shows low, out-of-stock and expired
//! stock. Everything goes through the pharmacy's service (audited as the demo).

use anyhow::Context;
use chrono::NaiveDate;

use crate::db::{Date, Db, Money};
use crate::identity::Actor;
use crate::pharmacy::model::stock::Receipt;
use crate::pharmacy::model::{DrugForm, DrugInput};
use crate::pharmacy::service as pharmacy;

/// Name, generic name, form, strength, unit, unit price (major units), reorder level.
type Entry = (
    &'static str,
    &'static str,
    DrugForm,
    &'static str,
    &'static str,
    i64,
    i64,
);

const CATALOGUE: &[Entry] = &[
    (
        "Paracetamol",
        "paracetamol",
        DrugForm::Tablet,
        "500 mg",
        "tablet",
        10,
        500,
    ),
    (
        "Paracetamol",
        "paracetamol",
        DrugForm::Syrup,
        "120 mg/5 ml",
        "bottle",
        450,
        20,
    ),
    ("Ibuprofen", "ibuprofen", DrugForm::Tablet, "400 mg", "tablet", 20, 300),
    (
        "Diclofenac",
        "diclofenac sodium",
        DrugForm::Tablet,
        "50 mg",
        "tablet",
        25,
        200,
    ),
    (
        "Amoxicillin",
        "amoxicillin",
        DrugForm::Capsule,
        "500 mg",
        "capsule",
        40,
        300,
    ),
    (
        "Amoxicillin",
        "amoxicillin",
        DrugForm::Suspension,
        "125 mg/5 ml",
        "bottle",
        900,
        15,
    ),
    (
        "Augmentin",
        "co-amoxiclav",
        DrugForm::Tablet,
        "625 mg",
        "tablet",
        250,
        100,
    ),
    (
        "Ampiclox",
        "ampicillin/cloxacillin",
        DrugForm::Capsule,
        "500 mg",
        "capsule",
        45,
        150,
    ),
    (
        "Ciprofloxacin",
        "ciprofloxacin",
        DrugForm::Tablet,
        "500 mg",
        "tablet",
        60,
        200,
    ),
    (
        "Metronidazole",
        "metronidazole",
        DrugForm::Tablet,
        "400 mg",
        "tablet",
        15,
        300,
    ),
    (
        "Septrin",
        "co-trimoxazole",
        DrugForm::Tablet,
        "960 mg",
        "tablet",
        20,
        200,
    ),
    (
        "Azithromycin",
        "azithromycin",
        DrugForm::Tablet,
        "500 mg",
        "tablet",
        300,
        60,
    ),
    (
        "Doxycycline",
        "doxycycline",
        DrugForm::Capsule,
        "100 mg",
        "capsule",
        30,
        150,
    ),
    (
        "Coartem",
        "artemether/lumefantrine",
        DrugForm::Tablet,
        "20/120 mg",
        "tablet",
        120,
        240,
    ),
    (
        "Artesunate",
        "artesunate",
        DrugForm::Injection,
        "60 mg",
        "vial",
        1500,
        20,
    ),
    (
        "Fansidar",
        "sulfadoxine/pyrimethamine",
        DrugForm::Tablet,
        "500/25 mg",
        "tablet",
        60,
        60,
    ),
    (
        "Omeprazole",
        "omeprazole",
        DrugForm::Capsule,
        "20 mg",
        "capsule",
        30,
        200,
    ),
    (
        "Antacid",
        "magnesium trisilicate",
        DrugForm::Suspension,
        "200 ml",
        "bottle",
        700,
        20,
    ),
    ("Loratadine", "loratadine", DrugForm::Tablet, "10 mg", "tablet", 25, 150),
    (
        "Chlorphenamine",
        "chlorphenamine",
        DrugForm::Tablet,
        "4 mg",
        "tablet",
        5,
        300,
    ),
    (
        "ORS",
        "oral rehydration salts",
        DrugForm::Other,
        "20.5 g sachet",
        "sachet",
        100,
        100,
    ),
    (
        "Vitamin C",
        "ascorbic acid",
        DrugForm::Tablet,
        "100 mg",
        "tablet",
        5,
        500,
    ),
    (
        "Vitamin B complex",
        "vitamin B complex",
        DrugForm::Tablet,
        "",
        "tablet",
        5,
        300,
    ),
    (
        "Ferrous sulphate",
        "ferrous sulphate",
        DrugForm::Tablet,
        "200 mg",
        "tablet",
        5,
        300,
    ),
    ("Folic acid", "folic acid", DrugForm::Tablet, "5 mg", "tablet", 5, 300),
    (
        "Ventolin",
        "salbutamol",
        DrugForm::Inhaler,
        "100 mcg",
        "inhaler",
        2500,
        10,
    ),
    ("Salbutamol", "salbutamol", DrugForm::Tablet, "4 mg", "tablet", 10, 100),
    (
        "Hyoscine",
        "hyoscine butylbromide",
        DrugForm::Tablet,
        "10 mg",
        "tablet",
        30,
        100,
    ),
    (
        "Loperamide",
        "loperamide",
        DrugForm::Capsule,
        "2 mg",
        "capsule",
        15,
        100,
    ),
    ("Amlodipine", "amlodipine", DrugForm::Tablet, "5 mg", "tablet", 20, 200),
    ("Metformin", "metformin", DrugForm::Tablet, "500 mg", "tablet", 15, 200),
    ("Clotrimazole", "clotrimazole", DrugForm::Cream, "1%", "tube", 600, 20),
    (
        "Chloramphenicol",
        "chloramphenicol",
        DrugForm::Drops,
        "0.5%",
        "bottle",
        500,
        15,
    ),
    ("Gloves", "", DrugForm::Consumable, "medium", "pair", 50, 200),
    ("Syringe", "", DrugForm::Consumable, "5 ml", "piece", 40, 200),
    ("Gauze", "", DrugForm::Consumable, "10 x 10 cm", "pack", 150, 50),
    ("Cotton wool", "", DrugForm::Consumable, "100 g", "roll", 400, 20),
];

/// Batches of the `index`th drug: (quantity as a multiple of tenths of its reorder level, days to expiry).
/// Most drugs have plenty; every fifth has an expired batch beside a small one, every seventh is low, and
/// every eleventh has only expired stock.
fn batches(index: usize) -> Vec<(i64, i64)> {
    let later = 200 + (index as i64 * 37) % 500;
    match index {
        i if i % 11 == 10 => vec![(20, -15)],
        i if i % 7 == 6 => vec![(5, later)],
        i if i % 5 == 4 => vec![(30, -40), (8, 25 + i as i64)],
        i if i % 3 == 0 => vec![(20, 45 + i as i64), (30, later)],
        _ => vec![(40, later)],
    }
}

const SUPPLIERS: [&str; 3] = ["Emzor Pharmaceuticals", "Fidson Healthcare", "May & Baker"];

/// The shelf the demo keeps a drug on, by its form (a stock count goes shelf by shelf).
fn shelf_of(form: DrugForm) -> &'static str {
    match form {
        DrugForm::Tablet | DrugForm::Capsule => "A: tablets and capsules",
        DrugForm::Syrup | DrugForm::Suspension | DrugForm::Drops => "B: liquids",
        DrugForm::Injection | DrugForm::Infusion => "C: injections",
        DrugForm::Consumable => "D: supplies",
        _ => "E: creams, inhalers and others",
    }
}

/// Fills the catalogue; how many entries it made.
pub async fn catalogue(db: &Db, actor: &Actor, today: NaiveDate, currency_digits: u32) -> anyhow::Result<usize> {
    let scale = 10_i64.pow(currency_digits);
    for (index, (name, generic, form, strength, unit, price, reorder)) in CATALOGUE.iter().enumerate() {
        let drug = DrugInput {
            name: (*name).to_owned(),
            generic_name: (*generic).to_owned(),
            form: *form,
            strength: (*strength).to_owned(),
            unit: (*unit).to_owned(),
            unit_price: Money(price * scale),
            reorder_level: *reorder,
            shelf: shelf_of(*form).to_owned(),
            active: true,
        };
        let id = pharmacy::create_drug(db, actor, &drug)
            .await
            .with_context(|| format!("demo drug {}", drug.label()))?;
        let received = batches(index);
        let older = received.len() as i64 - 1;
        for (number, (tenths, days)) in received.into_iter().enumerate() {
            // Received in the order of their numbers, a month apart, so the stock ledger reads as it happened.
            let batch = Receipt {
                batch_number: format!("D{:03}-{}", index + 1, number + 1),
                quantity: (reorder * tenths / 10).max(1),
                expires_on: Date(Date::add_days(today, days)),
                received_on: Date(Date::add_days(today, -60 - (older - number as i64) * 30)),
                cost_price: Money(price * scale * 7 / 10),
                supplier: SUPPLIERS[index % SUPPLIERS.len()].to_owned(),
            };
            pharmacy::receive(db, actor, id, &batch)
                .await
                .with_context(|| format!("demo batch of {}", drug.label()))?;
        }
    }
    Ok(CATALOGUE.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stock_spreads_from_expired_to_plenty() {
        let all: Vec<Vec<(i64, i64)>> = (0..CATALOGUE.len()).map(batches).collect();
        assert!(
            all.iter().any(|b| b.iter().all(|(_, days)| *days < 0)),
            "only expired stock"
        );
        assert!(
            all.iter()
                .any(|b| b.iter().any(|(_, days)| *days < 0) && b.iter().any(|(_, days)| *days > 0))
        );
        assert!(
            all.iter().any(|b| b.iter().all(|(tenths, _)| *tenths < 10)),
            "low stock"
        );
        assert!(all.iter().all(|b| !b.is_empty()));
        assert!(CATALOGUE.len() >= 30);
    }
}
