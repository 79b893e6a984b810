//! The demo's lab test catalogue: common tests of a campus clinic, with the usual adult ranges by sex where a
//! test is read as a number, and prices in the clinic's currency.

use crate::identity::Actor;
use crate::lab::model::LabTestForm;

/// (name, specimen, unit, male low, male high, female low, female high, price in major units).
type Test = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const TESTS: [Test; 16] = [
    ("Haemoglobin", "Blood (EDTA)", "g/dL", "13", "17", "12", "15", "1000"),
    ("Packed cell volume", "Blood (EDTA)", "%", "40", "52", "36", "47", "800"),
    (
        "White cell count",
        "Blood (EDTA)",
        "×10⁹/L",
        "4",
        "11",
        "4",
        "11",
        "1200",
    ),
    (
        "Platelet count",
        "Blood (EDTA)",
        "×10⁹/L",
        "150",
        "400",
        "150",
        "400",
        "1200",
    ),
    (
        "Fasting blood sugar",
        "Blood (fluoride)",
        "mmol/L",
        "3.9",
        "5.6",
        "3.9",
        "5.6",
        "1000",
    ),
    (
        "Random blood sugar",
        "Blood (fluoride)",
        "mmol/L",
        "3.9",
        "7.8",
        "3.9",
        "7.8",
        "800",
    ),
    (
        "Serum creatinine",
        "Blood (plain)",
        "µmol/L",
        "62",
        "115",
        "53",
        "97",
        "2500",
    ),
    ("ESR", "Blood (citrate)", "mm/h", "0", "15", "0", "20", "800"),
    ("Malaria parasite", "Blood film", "", "", "", "", "", "1000"),
    ("Widal test", "Blood (plain)", "", "", "", "", "", "1500"),
    ("Urinalysis", "Urine", "", "", "", "", "", "800"),
    ("Pregnancy test", "Urine", "", "", "", "", "", "1000"),
    ("HIV screening", "Blood (plain)", "", "", "", "", "", "0"),
    (
        "Hepatitis B surface antigen",
        "Blood (plain)",
        "",
        "",
        "",
        "",
        "",
        "1500",
    ),
    ("Genotype", "Blood (EDTA)", "", "", "", "", "", "2000"),
    ("Blood group", "Blood (EDTA)", "", "", "", "", "", "1000"),
];

/// Adds the catalogue through the lab's service, as an admin would.
pub async fn catalogue(db: &crate::db::Db, actor: &Actor, minor_digits: u32) -> anyhow::Result<()> {
    for (name, specimen, unit, male_low, male_high, female_low, female_high, price) in TESTS {
        let form = LabTestForm {
            form_id: String::new(),
            name: name.into(),
            specimen: specimen.into(),
            unit: unit.into(),
            male_low: male_low.into(),
            male_high: male_high.into(),
            female_low: female_low.into(),
            female_high: female_high.into(),
            price: price.into(),
            active: Some("1".into()),
        };
        crate::lab::service::save_test(db, actor, None, &form, minor_digits)
            .await
            .map_err(|e| anyhow::anyhow!("adding the lab test {name}: {e:?}"))?;
    }
    Ok(())
}
