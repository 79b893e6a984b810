//! The demo's lab test catalogue: common tests of a campus clinic, with the usual adult ranges by sex where a
//! test is read as a number, and prices in the clinic's currency; and today's orders of the patients with a
//! doctor now.

use super::model::Person;
use crate::db::Db;
use crate::identity::{Actor, Role};
use crate::lab::model::LabTestForm;
use crate::lab::service as lab;

/// What a doctor with a feverish patient orders today.
const TODAY_TESTS: [&str; 2] = ["Malaria parasite", "Haemoglobin"];

/// The tests of a patient with a doctor now, ordered by the doctor; with `sampled`, the lab attendant has taken
/// their samples already. The lab's worklist then holds tests waiting for a sample and samples waiting to be read.
pub async fn order_today(
    db: &Db,
    doctor: &Person,
    lab_attendant: &Person,
    visit_id: i64,
    sampled: bool,
) -> anyhow::Result<()> {
    let tests = lab::active_tests(db).await?;
    let ids: Vec<i64> = tests
        .iter()
        .filter(|t| TODAY_TESTS.contains(&t.name.as_str()))
        .map(|t| t.id)
        .collect();
    let doctor_user = doctor.as_user(Role::Doctor);
    let orders = lab::order_tests(
        db,
        &doctor_user,
        &doctor.as_staff(),
        visit_id,
        &ids,
        "Fever since yesterday.",
    )
    .await?;
    if sampled {
        let user = lab_attendant.as_user(Role::Lab);
        for order in orders {
            lab::collect_sample(db, &user, &lab_attendant.as_staff(), order).await?;
        }
    }
    Ok(())
}

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

/// The tests read in words whose result is chosen from a list: (name, answers, the normal ones).
const ANSWERS: [(&str, &str, &str); 6] = [
    (
        "Malaria parasite",
        "Not seen, Seen (+), Seen (++), Seen (+++)",
        "Not seen",
    ),
    ("Pregnancy test", "Negative, Positive", ""),
    ("HIV screening", "Non-reactive, Reactive", "Non-reactive"),
    ("Hepatitis B surface antigen", "Negative, Positive", "Negative"),
    ("Genotype", "AA, AS, AC, SS, SC", ""),
    ("Blood group", "A+, A-, B+, B-, AB+, AB-, O+, O-", ""),
];

/// The tests with critical limits, the values a lab phones to the doctor at once: (name, below, above).
const CRITICAL: [(&str, &str, &str); 5] = [
    ("Haemoglobin", "7", "20"),
    ("White cell count", "2", "30"),
    ("Platelet count", "50", "1000"),
    ("Fasting blood sugar", "2.5", "22"),
    ("Random blood sugar", "2.5", "22"),
];

/// What each test looks for, in the plain words a patient reads beside their result.
const ABOUT: [(&str, &str); 16] = [
    (
        "Haemoglobin",
        "How much of the protein that carries oxygen is in your blood. Low can mean anaemia.",
    ),
    (
        "Packed cell volume",
        "How much of your blood is red cells. Low can mean anaemia.",
    ),
    (
        "White cell count",
        "The cells that fight infection. High often means an infection.",
    ),
    ("Platelet count", "The cells that help blood clot."),
    (
        "Fasting blood sugar",
        "The sugar in your blood after a night without food: a check for diabetes.",
    ),
    (
        "Random blood sugar",
        "The sugar in your blood at any time of day: a check for diabetes.",
    ),
    (
        "Serum creatinine",
        "A waste product the kidneys clear: it shows how well they work.",
    ),
    ("ESR", "How fast red cells settle: a general sign of inflammation."),
    (
        "Malaria parasite",
        "Whether malaria parasites are seen in a drop of your blood, and how many (+ to +++).",
    ),
    (
        "Widal test",
        "Antibodies against typhoid: read with how you feel, it can point to typhoid fever.",
    ),
    (
        "Urinalysis",
        "Signs of infection, sugar, protein or blood in your urine.",
    ),
    ("Pregnancy test", "The pregnancy hormone in your urine."),
    (
        "HIV screening",
        "A screen for HIV. A reactive screen is always checked again before anything is said.",
    ),
    (
        "Hepatitis B surface antigen",
        "Whether the hepatitis B virus is in your blood.",
    ),
    (
        "Genotype",
        "Which haemoglobin genes you carry (AA, AS, SS...): it matters for sickle cell disease.",
    ),
    (
        "Blood group",
        "Your ABO blood group and Rhesus factor, for a transfusion.",
    ),
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
            critical_low: critical_of(name).0.into(),
            critical_high: critical_of(name).1.into(),
            price: price.into(),
            active: Some("1".into()),
            answers: answers_of(name).0.into(),
            normal_answers: answers_of(name).1.into(),
            about: about_of(name).into(),
        };
        crate::lab::service::save_test(db, actor, None, &form, minor_digits)
            .await
            .map_err(|e| anyhow::anyhow!("adding the lab test {name}: {e:?}"))?;
    }
    Ok(())
}

fn about_of(test: &str) -> &'static str {
    ABOUT
        .iter()
        .find(|(name, _)| *name == test)
        .map_or("", |&(_, about)| about)
}

fn critical_of(test: &str) -> (&'static str, &'static str) {
    CRITICAL
        .iter()
        .find(|(name, _, _)| *name == test)
        .map_or(("", ""), |&(_, low, high)| (low, high))
}

fn answers_of(test: &str) -> (&'static str, &'static str) {
    ANSWERS
        .iter()
        .find(|(name, _, _)| *name == test)
        .map_or(("", ""), |&(_, answers, normal)| (answers, normal))
}
