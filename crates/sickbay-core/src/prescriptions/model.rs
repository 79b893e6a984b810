//! Prescriptions as rules: routes and frequencies in plain words, the quantity suggested from the dose, the
//! frequency and the duration, how an item is taken in words, an item's form, and the allergy check.

pub mod dose;

use crate::tone::Tone;
use serde::Deserialize;

use crate::db::{Date, Timestamp};
use crate::text_enum;
use crate::validation::{FieldErrors, capitalized, forbidden_character, forbidden_message};

text_enum! {
    /// How a drug is given (the CHECK list of `prescription_item.route`).
    pub enum Route {
        Oral => "oral",
        Sublingual => "sublingual",
        Iv => "iv",
        Im => "im",
        Sc => "sc",
        Topical => "topical",
        Inhaled => "inhaled",
        Rectal => "rectal",
        Vaginal => "vaginal",
        Eye => "eye",
        Ear => "ear",
        Nasal => "nasal",
    }
}

impl Route {
    /// The words of "how to take it": "500 mg by mouth".
    pub fn words(self) -> &'static str {
        match self {
            Route::Oral => "by mouth",
            Route::Sublingual => "under the tongue",
            Route::Iv => "into a vein (IV)",
            Route::Im => "into a muscle (IM)",
            Route::Sc => "under the skin (SC)",
            Route::Topical => "on the skin",
            Route::Inhaled => "breathed in",
            Route::Rectal => "into the back passage",
            Route::Vaginal => "into the vagina",
            Route::Eye => "into the eye",
            Route::Ear => "into the ear",
            Route::Nasal => "into the nose",
        }
    }

    /// The choice in the form: "By mouth (oral)".
    pub fn label(self) -> String {
        let capital = capitalized(self.words());
        match self {
            Route::Iv | Route::Im | Route::Sc => capital,
            other => format!("{capital} ({})", other.as_str()),
        }
    }
}

text_enum! {
    /// How often (the CHECK list of `prescription_item.frequency`), in the abbreviations doctors write.
    pub enum Frequency {
        Od => "od",
        Bd => "bd",
        Tds => "tds",
        Qds => "qds",
        Nocte => "nocte",
        Stat => "stat",
        Prn => "prn",
        Weekly => "weekly",
    }
}

impl Frequency {
    pub fn words(self) -> &'static str {
        match self {
            Frequency::Od => "once a day",
            Frequency::Bd => "twice a day",
            Frequency::Tds => "three times a day",
            Frequency::Qds => "four times a day",
            Frequency::Nocte => "at night",
            Frequency::Stat => "once, straight away",
            Frequency::Prn => "when needed",
            Frequency::Weekly => "once a week",
        }
    }

    /// The choice in the form: "Three times a day (tds)".
    pub fn label(self) -> String {
        let capital = capitalized(self.words());
        format!("{capital} ({})", self.as_str())
    }

    /// How many doses over `days`: none to suggest for "when needed".
    pub fn doses(self, days: i64) -> Option<i64> {
        let days = days.max(0);
        match self {
            Frequency::Od | Frequency::Nocte => Some(days),
            Frequency::Bd => days.checked_mul(2),
            Frequency::Tds => days.checked_mul(3),
            Frequency::Qds => days.checked_mul(4),
            Frequency::Stat => Some(1),
            Frequency::Weekly => Some((days + 6) / 7),
            Frequency::Prn => None,
        }
    }
}

/// The most units one item may give (a sanity limit: a typo such as 3000 for 30 is refused).
pub const QUANTITY_MAX: i64 = 1000;
/// The longest course, in days.
pub const DURATION_MAX: i64 = 365;
pub const DOSE_MAX: usize = 60;
pub const INSTRUCTIONS_MAX: usize = 500;
pub const REASON_MAX: usize = 500;

/// Words that name a unit counted out of the pack ("2 tablets").
const UNIT_WORDS: &[&str] = &[
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "capsule",
    "capsules",
    "cap",
    "caps",
    "puff",
    "puffs",
    "sachet",
    "sachets",
    "suppository",
    "suppositories",
    "drop",
    "drops",
    "pessary",
    "pessaries",
    "vial",
    "vials",
    "ampoule",
    "ampoules",
    "unit",
    "units",
    "piece",
    "pieces",
];

/// How many units of the pack one dose is: "2 tablets" is 2, "1" is 1, and a dose written as a strength
/// is a whole number of the drug's strength ("1 g" of a "500 mg" tablet is 2). `None` when it can't be told
/// ("5 ml" of a syrup, "apply thinly").
pub fn units_per_dose(dose: &str, strength: &str) -> Option<i64> {
    let dose = dose.trim().to_lowercase();
    let words: Vec<&str> = dose.split_whitespace().collect();
    match words.as_slice() {
        [number] => {
            if let Ok(n) = number.parse::<i64>() {
                return (n > 0).then_some(n);
            }
        }
        [number, unit] if UNIT_WORDS.contains(unit) => {
            let n = number.parse::<i64>().ok()?;
            return (n > 0).then_some(n);
        }
        _ => {}
    }
    let dose = amount(&dose)?;
    let strength = amount(&strength.trim().to_lowercase())?;
    if strength <= 0 || dose <= 0 {
        return None;
    }
    (dose % strength == 0).then_some(dose / strength)
}

/// An amount of a weight such as "500 mg", "1g" or "0.5 g", in micrograms.
fn amount(text: &str) -> Option<i64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let unit = unit.trim();
    let scale = match unit {
        "mcg" | "µg" | "microgram" | "micrograms" => 1,
        "mg" => 1_000,
        "g" | "gram" | "grams" => 1_000_000,
        _ => return None,
    };
    let value = crate::validation::parse_scaled(number, 3)?;
    // `value` is in thousandths of the unit.
    Some(value.checked_mul(scale)? / 1_000)
}

/// The quantity to give for a course: units per dose × doses. `None` when either can't be told.
pub fn suggest_quantity(dose: &str, strength: &str, frequency: Frequency, days: i64) -> Option<i64> {
    let units = units_per_dose(dose, strength)?;
    let doses = frequency.doses(days)?;
    units.checked_mul(doses).filter(|q| *q > 0)
}

/// "500 mg by mouth three times a day for 5 days (15 in all)".
pub fn how_to_take(dose: &str, route: Route, frequency: Frequency, days: i64, quantity: i64) -> String {
    let course = match frequency {
        Frequency::Stat => String::new(),
        Frequency::Prn => format!(", for up to {}", days_words(days)),
        _ => format!(" for {}", days_words(days)),
    };
    format!(
        "{} {} {}{course} ({quantity} in all)",
        dose.trim(),
        route.words(),
        frequency.words()
    )
}

fn days_words(days: i64) -> String {
    match days {
        1 => "1 day".to_owned(),
        7 => "1 week".to_owned(),
        n => format!("{n} days"),
    }
}

/// The add-item form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ItemForm {
    /// What is typed in the drug search.
    #[serde(default)]
    pub drug_q: String,
    #[serde(default)]
    pub drug_id: String,
    #[serde(default)]
    pub dose: String,
    #[serde(default)]
    pub route: String,
    #[serde(default)]
    pub frequency: String,
    #[serde(default)]
    pub duration_days: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub instructions: String,
    /// The doctor ticked "I know about the allergy" ("1").
    #[serde(default)]
    pub allergy_ack: Option<String>,
    #[serde(default)]
    pub allergy_reason: String,
    /// The form's one-time id (`db::form_ids`).
    #[serde(default)]
    pub form_id: String,
}

/// An item to store, checked except for its drug (which the service looks up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    pub drug_id: i64,
    pub dose: String,
    pub route: Route,
    pub frequency: Frequency,
    pub duration_days: i64,
    pub quantity: i64,
    pub instructions: String,
    /// The reason the doctor gave for prescribing despite an allergy, if they gave one.
    pub allergy_reason: Option<String>,
}

impl ItemForm {
    pub fn acknowledged(&self) -> bool {
        self.allergy_ack.is_some()
    }

    /// Whether anything of an item is filled in yet (its one-time id aside).
    pub fn is_started(&self) -> bool {
        let typed = [
            &self.drug_q,
            &self.drug_id,
            &self.dose,
            &self.route,
            &self.frequency,
            &self.duration_days,
            &self.quantity,
            &self.instructions,
            &self.allergy_reason,
        ];
        self.acknowledged() || typed.iter().any(|field| !field.trim().is_empty())
    }

    pub fn drug_id(&self) -> Option<i64> {
        crate::validation::parse_id(self.drug_id.trim())
    }

    pub fn chosen_route(&self) -> Option<Route> {
        self.route.trim().parse().ok()
    }

    pub fn chosen_frequency(&self) -> Option<Frequency> {
        self.frequency.trim().parse().ok()
    }

    pub fn days(&self) -> Option<i64> {
        self.duration_days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=DURATION_MAX).contains(d))
    }

    /// The item, or a message beside each bad field.
    pub fn validate(&self) -> Result<NewItem, FieldErrors> {
        let mut e = FieldErrors::default();
        let drug_id = e.check(
            "drug_id",
            self.drug_id()
                .ok_or("Choose a drug from the catalogue: type part of its name and pick it."),
        );
        let dose = e.check("dose", line(&self.dose, "The dose", DOSE_MAX, true));
        let route = e.check("route", self.chosen_route().ok_or("Choose how the drug is given."));
        let frequency = e.check(
            "frequency",
            self.chosen_frequency().ok_or("Choose how often it is taken."),
        );
        let duration_days = e.check(
            "duration_days",
            self.days()
                .ok_or_else(|| format!("Give the number of days, from 1 to {DURATION_MAX}.")),
        );
        let quantity = e.check("quantity", quantity(&self.quantity));
        let instructions = e.check(
            "instructions",
            note(&self.instructions, "The instructions", INSTRUCTIONS_MAX),
        );
        let reason = e.check("allergy_reason", note(&self.allergy_reason, "The reason", REASON_MAX));
        match (
            drug_id,
            dose,
            route,
            frequency,
            duration_days,
            quantity,
            instructions,
            reason,
        ) {
            (
                Some(drug_id),
                Some(dose),
                Some(route),
                Some(frequency),
                Some(duration_days),
                Some(quantity),
                Some(instructions),
                Some(reason),
            ) if e.is_empty() => Ok(NewItem {
                drug_id,
                dose,
                route,
                frequency,
                duration_days,
                quantity,
                instructions,
                allergy_reason: (self.acknowledged() && !reason.is_empty()).then_some(reason),
            }),
            _ => Err(e),
        }
    }
}

fn quantity(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Give the quantity to dispense, or press Suggest.".into());
    }
    match text.parse::<i64>() {
        Ok(n) if (1..=QUANTITY_MAX).contains(&n) => Ok(n),
        Ok(n) if n > QUANTITY_MAX => Err(format!(
            "{n} is more than one item may give (at most {QUANTITY_MAX}). Check the number."
        )),
        Ok(_) => Err("Give a quantity of at least 1.".into()),
        Err(_) => Err("Give the quantity as a whole number of units, such as 15.".into()),
    }
}

fn line(text: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && text.is_empty() {
        return Err(format!("{what} is needed, such as “500 mg” or “2 tablets”."));
    }
    if text.chars().count() > max {
        return Err(format!("{what} holds at most {max} characters."));
    }
    if let Some(c) = forbidden_character(&text, false) {
        return Err(forbidden_message(what, c));
    }
    Ok(text)
}

fn note(text: &str, what: &str, max: usize) -> Result<String, String> {
    let text = text.trim().replace("\r\n", "\n");
    if text.chars().count() > max {
        return Err(format!("{what} holds at most {max} characters."));
    }
    if let Some(c) = forbidden_character(&text, true) {
        return Err(forbidden_message(what, c));
    }
    Ok(text)
}

/// Groups of drugs an allergy may be named by: a word of the allergy (its start) and the names of the
/// group's drugs (found in a drug's name or generic name).
const CLASSES: &[(&[&str], &str, &[&str])] = &[
    (
        &["penicillin", "beta-lactam", "betalactam"],
        "a penicillin",
        &[
            "penicillin",
            "amoxicillin",
            "amoxycillin",
            "ampicillin",
            "cloxacillin",
            "flucloxacillin",
            "piperacillin",
            "co-amoxiclav",
            "augmentin",
            "ampiclox",
            "benzathine",
        ],
    ),
    (&["cephalosporin"], "a cephalosporin", &["cef", "ceph"]),
    (
        &["sulfa", "sulpha", "sulfonamide", "sulphonamide"],
        "a sulphonamide",
        &[
            "sulfamethoxazole",
            "sulphamethoxazole",
            "co-trimoxazole",
            "cotrimoxazole",
            "septrin",
            "sulfadoxine",
            "fansidar",
        ],
    ),
    (
        &["nsaid", "nsaids"],
        "an NSAID",
        &[
            "ibuprofen",
            "diclofenac",
            "naproxen",
            "aspirin",
            "piroxicam",
            "indomethacin",
            "ketoprofen",
            "mefenamic",
        ],
    ),
    (
        &["quinolone", "fluoroquinolone"],
        "a quinolone",
        &[
            "ciprofloxacin",
            "levofloxacin",
            "ofloxacin",
            "norfloxacin",
            "moxifloxacin",
        ],
    ),
    (
        &["macrolide"],
        "a macrolide",
        &["erythromycin", "azithromycin", "clarithromycin"],
    ),
    (
        &["tetracycline"],
        "a tetracycline",
        &["tetracycline", "doxycycline", "oxytetracycline"],
    ),
];

/// Words of an allergy list that say nothing about which drug.
const NOT_A_DRUG: &[&str] = &[
    "allergy",
    "allergies",
    "allergic",
    "reaction",
    "reactions",
    "severe",
    "mild",
    "rash",
    "rashes",
    "none",
    "known",
    "drug",
    "drugs",
    "tablet",
    "tablets",
    "with",
    "from",
    "causes",
    "after",
    "itching",
    "swelling",
    "hives",
    "family",
    "history",
    "food",
    "foods",
    "dust",
    "pollen",
    "seafood",
    "peanut",
    "peanuts",
    "latex",
    "other",
];

/// Why a drug matches the patient's recorded allergies, in words for the doctor; `None` when it doesn't.
/// Case is ignored; a word of the allergies (four letters or more) found in the drug's name or generic
/// name matches, and so does an allergy to a group of drugs (penicillins, sulphonamides, NSAIDs, ...) that
/// the drug belongs to.
pub fn allergy_match(allergies: &str, drug_name: &str, generic_name: &str) -> Option<String> {
    let allergies = allergies.to_lowercase();
    let drug = format!("{} {}", drug_name.to_lowercase(), generic_name.to_lowercase());
    let words = allergies
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.chars().count() >= 4 && !NOT_A_DRUG.contains(w));
    for word in words {
        let singular = word.strip_suffix('s').filter(|s| s.len() >= 4).unwrap_or(word);
        for (names, group, members) in CLASSES {
            let names_group = names.iter().any(|n| word.starts_with(n) || singular == *n);
            if names_group && members.iter().any(|m| drug.contains(m)) {
                return Some(format!(
                    "The patient's recorded allergies mention “{word}”, and {} is {group}.",
                    drug_name.trim()
                ));
            }
        }
        if drug.contains(singular) {
            return Some(format!(
                "The patient's recorded allergies mention “{word}”, which matches {}.",
                drug_name.trim()
            ));
        }
    }
    None
}

text_enum! {
    pub enum PrescriptionStatus {
        Pending => "pending",
        PartlyDispensed => "partly_dispensed",
        Dispensed => "dispensed",
        Refused => "refused",
    }
}

/// Which prescriptions the pharmacy's list shows: those of one status (all without), of the patients a search
/// finds (by name, clinic, matric or phone number, as the patient search reads it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<PrescriptionStatus>,
    pub search: String,
}

impl ListFilter {
    /// From the list's address: an unknown status shows them all, and the search is trimmed.
    pub fn from_query(status: &str, search: &str) -> Self {
        ListFilter {
            status: status.trim().parse().ok(),
            search: search.trim().to_owned(),
        }
    }

    /// The patient search's terms: every one must begin a token of the patient.
    pub fn terms(&self) -> Vec<String> {
        crate::patients::model::search_terms(&self.search)
    }

    pub fn is_filtered(&self) -> bool {
        self.status.is_some() || !self.search.is_empty()
    }
}

impl PrescriptionStatus {
    pub fn label(self) -> &'static str {
        match self {
            PrescriptionStatus::Pending => "Pending",
            PrescriptionStatus::PartlyDispensed => "Partly dispensed",
            PrescriptionStatus::Dispensed => "Dispensed",
            PrescriptionStatus::Refused => "Refused",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            PrescriptionStatus::Pending => Tone::Info,
            PrescriptionStatus::PartlyDispensed => Tone::Warn,
            PrescriptionStatus::Dispensed => Tone::Good,
            PrescriptionStatus::Refused => Tone::Quiet,
        }
    }
}

/// An item of a prescription, as the consultation, the print page and the patient's chart show it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub prescription_id: i64,
    pub visit_id: i64,
    pub drug_id: i64,
    pub drug_name: String,
    pub strength: String,
    pub form: crate::pharmacy::model::DrugForm,
    pub dose: String,
    pub route: Route,
    pub frequency: Frequency,
    pub duration_days: i64,
    pub quantity: i64,
    pub instructions: String,
    pub allergy_override: Option<String>,
    pub dispensed_quantity: i64,
    /// Why the pharmacy will not give (the rest of) it.
    pub refusal: Option<String>,
    pub created_at: Timestamp,
}

impl Item {
    /// "Amoxicillin 500 mg capsule".
    pub fn drug_label(&self) -> String {
        crate::pharmacy::model::label(&self.drug_name, &self.strength, self.form)
    }

    /// How to take it, in plain words: "500 mg by mouth three times a day for 5 days (15 in all)".
    pub fn how_to_take(&self) -> String {
        how_to_take(
            &self.dose,
            self.route,
            self.frequency,
            self.duration_days,
            self.quantity,
        )
    }

    /// An item can be taken off the prescription until the pharmacy gives or refuses any of it.
    pub fn can_remove(&self) -> bool {
        self.dispensed_quantity == 0 && self.refusal.is_none()
    }

    pub fn progress(&self) -> ItemProgress {
        ItemProgress::of(self.quantity, self.dispensed_quantity, self.refusal.is_some())
    }

    /// Why the item can't be taken off the prescription any more, in words for the doctor (None while it can).
    pub fn why_it_stays(&self) -> Option<String> {
        self.progress().why_it_stays(&self.drug_label())
    }

    /// Units still to give: none once it is all given or the pharmacy refused the rest.
    pub fn owed(&self) -> i64 {
        self.progress().owed()
    }
}

/// Where an item stands at the pharmacy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemProgress {
    Waiting {
        owed: i64,
    },
    Partly {
        given: i64,
        owed: i64,
    },
    Dispensed,
    /// Refused after `given` units (none for a refusal of the whole item).
    Refused {
        given: i64,
    },
}

impl ItemProgress {
    pub fn of(quantity: i64, dispensed: i64, refused: bool) -> ItemProgress {
        let owed = (quantity - dispensed).max(0);
        match (refused, dispensed, owed) {
            (true, given, _) => ItemProgress::Refused { given },
            (false, _, 0) => ItemProgress::Dispensed,
            (false, 0, owed) => ItemProgress::Waiting { owed },
            (false, given, owed) => ItemProgress::Partly { given, owed },
        }
    }

    pub fn owed(self) -> i64 {
        match self {
            ItemProgress::Waiting { owed } | ItemProgress::Partly { owed, .. } => owed,
            ItemProgress::Dispensed | ItemProgress::Refused { .. } => 0,
        }
    }

    /// Why an item of `label` that stands here can't be taken off the prescription: the pharmacy gave or
    /// refused some of it. None while it waits untouched.
    pub fn why_it_stays(self, label: &str) -> Option<String> {
        let what = match self {
            ItemProgress::Waiting { .. } => return None,
            ItemProgress::Dispensed => format!("The pharmacy already gave {label}"),
            ItemProgress::Partly { given, .. } | ItemProgress::Refused { given } if given > 0 => {
                format!("The pharmacy already gave {given} of {label}")
            }
            ItemProgress::Partly { .. } | ItemProgress::Refused { .. } => {
                format!("The pharmacy already refused {label}")
            }
        };
        Some(format!("{what}, so it stays on the prescription."))
    }

    /// Whether the pharmacy may still give or refuse some of it.
    pub fn is_open(self) -> bool {
        self.owed() > 0
    }

    /// In words, for the pharmacist and the patient.
    pub fn label(self) -> String {
        match self {
            ItemProgress::Waiting { .. } => "Waiting at the pharmacy".to_owned(),
            ItemProgress::Partly { given, owed } => format!("Partly dispensed: {given} given, {owed} still owed"),
            ItemProgress::Dispensed => "Dispensed".to_owned(),
            ItemProgress::Refused { given: 0 } => "Not given".to_owned(),
            ItemProgress::Refused { given } => format!("{given} given, the rest not given"),
        }
    }
}

/// A prescription's status from its items' progress: dispensed once nothing is owed and something was given,
/// refused when nothing was given and nothing is owed, partly dispensed while something given leaves more
/// owed, pending otherwise (a prescription without items is pending).
pub fn status_of(items: &[ItemProgress]) -> PrescriptionStatus {
    let owed = items.iter().any(|item| item.is_open());
    let given = items.iter().any(|item| {
        matches!(item, ItemProgress::Dispensed | ItemProgress::Partly { .. })
            || matches!(item, ItemProgress::Refused { given } if *given > 0)
    });
    match (owed, given) {
        (true, true) => PrescriptionStatus::PartlyDispensed,
        (true, false) => PrescriptionStatus::Pending,
        (false, true) => PrescriptionStatus::Dispensed,
        (false, false) if items.is_empty() => PrescriptionStatus::Pending,
        (false, false) => PrescriptionStatus::Refused,
    }
}

/// A prescription's heading: whose, by whom, when.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Prescription {
    pub id: i64,
    pub visit_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    /// The patient's recorded allergies, as written on their record (empty when none are).
    pub allergies: String,
    pub doctor_name: String,
    pub status: PrescriptionStatus,
    pub day: Date,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_form_is_started_by_anything_but_its_id() {
        let blank = ItemForm {
            form_id: "f-1".into(),
            dose: "  ".into(),
            ..ItemForm::default()
        };
        assert!(!blank.is_started());
        let searched = ItemForm {
            drug_q: "amox".into(),
            ..blank.clone()
        };
        assert!(searched.is_started());
        let acknowledged = ItemForm {
            allergy_ack: Some("1".into()),
            ..blank
        };
        assert!(acknowledged.is_started());
    }

    #[test]
    fn item_progress_and_prescription_status() {
        use ItemProgress as P;
        assert_eq!(P::of(10, 0, false), P::Waiting { owed: 10 });
        assert_eq!(P::of(10, 4, false), P::Partly { given: 4, owed: 6 });
        assert_eq!(P::of(10, 10, false), P::Dispensed);
        assert_eq!(P::of(10, 4, true), P::Refused { given: 4 });
        assert_eq!(P::of(10, 4, true).owed(), 0);
        assert_eq!(status_of(&[]), PrescriptionStatus::Pending);
        assert_eq!(
            status_of(&[P::Waiting { owed: 2 }, P::Dispensed]),
            PrescriptionStatus::PartlyDispensed
        );
        assert_eq!(
            status_of(&[P::Refused { given: 0 }, P::Dispensed]),
            PrescriptionStatus::Dispensed
        );
        assert_eq!(
            status_of(&[P::Refused { given: 0 }, P::Waiting { owed: 1 }]),
            PrescriptionStatus::Pending
        );
        assert_eq!(status_of(&[P::Refused { given: 0 }]), PrescriptionStatus::Refused);
        assert_eq!(status_of(&[P::Refused { given: 3 }]), PrescriptionStatus::Dispensed);
        assert!(P::Partly { given: 1, owed: 2 }.label().contains("2 still owed"));
    }

    #[test]
    fn an_item_stays_once_the_pharmacy_gave_or_refused_some() {
        use ItemProgress as P;
        let label = "Septrin 480 mg tablet";
        assert_eq!(P::of(10, 0, false).why_it_stays(label), None);
        let stays = |progress: P| progress.why_it_stays(label).unwrap_or_default();
        assert_eq!(
            stays(P::of(10, 4, false)),
            "The pharmacy already gave 4 of Septrin 480 mg tablet, so it stays on the prescription."
        );
        assert!(stays(P::of(10, 10, false)).starts_with("The pharmacy already gave Septrin"));
        assert!(stays(P::of(10, 3, true)).starts_with("The pharmacy already gave 3 of"));
        assert!(stays(P::of(10, 0, true)).starts_with("The pharmacy already refused Septrin"));
    }

    #[test]
    fn units_per_dose_counts_units_and_strengths() {
        assert_eq!(units_per_dose("2 tablets", ""), Some(2));
        assert_eq!(units_per_dose("1 Tab", "500 mg"), Some(1));
        assert_eq!(units_per_dose("2", ""), Some(2));
        assert_eq!(units_per_dose("2 puffs", "100 mcg"), Some(2));
        assert_eq!(units_per_dose("500 mg", "500 mg"), Some(1));
        assert_eq!(units_per_dose("1 g", "500 mg"), Some(2));
        assert_eq!(units_per_dose("1g", "500mg"), Some(2));
        assert_eq!(units_per_dose("0.5 g", "250 mg"), Some(2));
        assert_eq!(units_per_dose("750 mg", "500 mg"), None);
        assert_eq!(units_per_dose("5 ml", "125 mg/5 ml"), None);
        assert_eq!(units_per_dose("apply thinly", ""), None);
        assert_eq!(units_per_dose("0 tablets", ""), None);
        assert_eq!(units_per_dose("-1", ""), None);
        assert_eq!(units_per_dose("500 mg", ""), None);
    }

    #[test]
    fn doses_over_a_course() {
        assert_eq!(Frequency::Tds.doses(5), Some(15));
        assert_eq!(Frequency::Bd.doses(7), Some(14));
        assert_eq!(Frequency::Qds.doses(3), Some(12));
        assert_eq!(Frequency::Od.doses(30), Some(30));
        assert_eq!(Frequency::Nocte.doses(10), Some(10));
        assert_eq!(Frequency::Stat.doses(5), Some(1));
        assert_eq!(Frequency::Weekly.doses(28), Some(4));
        assert_eq!(Frequency::Weekly.doses(10), Some(2));
        assert_eq!(Frequency::Prn.doses(5), None);
    }

    #[test]
    fn quantity_is_suggested_from_dose_frequency_and_days() {
        assert_eq!(suggest_quantity("2 tablets", "500 mg", Frequency::Tds, 5), Some(30));
        assert_eq!(suggest_quantity("500 mg", "500 mg", Frequency::Tds, 5), Some(15));
        assert_eq!(suggest_quantity("1 g", "500 mg", Frequency::Bd, 3), Some(12));
        assert_eq!(suggest_quantity("5 ml", "", Frequency::Tds, 5), None);
        assert_eq!(suggest_quantity("2 tablets", "", Frequency::Prn, 5), None);
    }

    #[test]
    fn how_to_take_in_plain_words() {
        assert_eq!(
            how_to_take("500 mg", Route::Oral, Frequency::Tds, 5, 15),
            "500 mg by mouth three times a day for 5 days (15 in all)"
        );
        assert_eq!(
            how_to_take("2 puffs", Route::Inhaled, Frequency::Prn, 30, 1),
            "2 puffs breathed in when needed, for up to 30 days (1 in all)"
        );
        assert_eq!(
            how_to_take("1 g", Route::Iv, Frequency::Stat, 1, 1),
            "1 g into a vein (IV) once, straight away (1 in all)"
        );
        assert_eq!(
            how_to_take("1 tablet", Route::Oral, Frequency::Weekly, 7, 1),
            "1 tablet by mouth once a week for 1 week (1 in all)"
        );
        assert_eq!(Route::Oral.label(), "By mouth (oral)");
        assert_eq!(Route::Im.label(), "Into a muscle (IM)");
        assert_eq!(Frequency::Tds.label(), "Three times a day (tds)");
    }

    fn form() -> ItemForm {
        ItemForm {
            drug_id: "7".into(),
            dose: " 500  mg ".into(),
            route: "oral".into(),
            frequency: "tds".into(),
            duration_days: "5".into(),
            quantity: "15".into(),
            instructions: "After food".into(),
            ..ItemForm::default()
        }
    }

    #[test]
    fn a_good_item_is_cleaned() {
        let item = form().validate().expect("valid");
        assert_eq!(item.dose, "500 mg");
        assert_eq!((item.drug_id, item.quantity, item.duration_days), (7, 15, 5));
        assert_eq!(item.allergy_reason, None);
        let acknowledged = ItemForm {
            allergy_ack: Some("1".into()),
            allergy_reason: "Tolerated it before".into(),
            ..form()
        };
        assert_eq!(
            acknowledged.validate().expect("valid").allergy_reason.as_deref(),
            Some("Tolerated it before")
        );
    }

    #[test]
    fn bad_items_get_a_message_per_field() {
        for (field, value) in [
            ("quantity", "0"),
            ("quantity", "-3"),
            ("quantity", "1001"),
            ("quantity", "99999999999999999999"),
            ("quantity", "ten"),
            ("quantity", ""),
            ("route", "by mouth"),
            ("frequency", "hourly"),
            ("duration_days", "0"),
            ("duration_days", "400"),
            ("drug_id", "x"),
            ("drug_id", "0"),
            ("dose", "  "),
        ] {
            let mut bad = form();
            match field {
                "quantity" => bad.quantity = value.into(),
                "route" => bad.route = value.into(),
                "frequency" => bad.frequency = value.into(),
                "duration_days" => bad.duration_days = value.into(),
                "drug_id" => bad.drug_id = value.into(),
                _ => bad.dose = value.into(),
            }
            let errors = bad.validate().expect_err(value);
            assert!(errors.get(field).is_some(), "{field} = {value:?}");
        }
    }

    #[test]
    fn allergies_match_names_generic_names_and_groups() {
        assert!(allergy_match("Penicillin (rash)", "Amoxicillin", "amoxicillin").is_some());
        assert!(allergy_match("penicillins", "Augmentin", "co-amoxiclav").is_some());
        assert!(allergy_match("PENICILLIN", "Penicillin V", "phenoxymethylpenicillin").is_some());
        assert!(allergy_match("sulfa drugs", "Septrin", "co-trimoxazole").is_some());
        assert!(allergy_match("NSAIDs - asthma", "Brufen", "ibuprofen").is_some());
        assert!(allergy_match("ciprofloxacin", "Ciprotab", "Ciprofloxacin").is_some());
        assert!(allergy_match("Allergic to metronidazole; dust", "Flagyl", "metronidazole").is_some());
        assert!(allergy_match("cephalosporins", "Ceftriaxone", "").is_some());
        let message = allergy_match("penicillin", "Amoxicillin", "").expect("a match");
        assert!(
            message.contains("penicillin") && message.contains("Amoxicillin"),
            "{message}"
        );
    }

    #[test]
    fn allergies_that_do_not_match() {
        assert!(allergy_match("", "Amoxicillin", "amoxicillin").is_none());
        assert!(allergy_match("None known", "Paracetamol", "paracetamol").is_none());
        assert!(allergy_match("Penicillin", "Paracetamol", "acetaminophen").is_none());
        assert!(allergy_match("dust, pollen, seafood", "Loratadine", "loratadine").is_none());
        assert!(allergy_match("sulfa", "Salbutamol", "salbutamol").is_none());
        assert!(allergy_match("aspirin", "Paracetamol", "").is_none());
        // Short words (an abbreviation, "to") don't match inside longer names.
        assert!(allergy_match("to ORS", "Metronidazole", "").is_none());
    }

    #[test]
    fn the_lists_filter_reads_its_address() {
        let filter = ListFilter::from_query(" dispensed ", "  Ada Okoro ");
        assert_eq!(filter.status, Some(PrescriptionStatus::Dispensed));
        assert_eq!(filter.search, "Ada Okoro");
        assert_eq!(filter.terms(), ["ada", "okoro"]);
        assert!(filter.is_filtered());
        let unknown = ListFilter::from_query("lost", "");
        assert_eq!(unknown, ListFilter::default());
        assert!(!unknown.is_filtered() && unknown.terms().is_empty());
    }
}
