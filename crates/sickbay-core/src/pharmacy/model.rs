//! The drug catalogue as rules: the forms a drug comes in, what a catalogue entry must hold, and how stock on
//! hand compares with the reorder level.

pub mod allocation;
pub mod stock;

use crate::tone::Tone;
use serde::Deserialize;

use crate::db::{Date, Flag, Money, Timestamp};
use crate::text_enum;
use crate::validation::{FieldErrors, one_line};

use self::stock::{AdjustReason, MovementKind};

text_enum! {
    /// What a drug comes as (the CHECK list of `drug.form`).
    pub enum DrugForm {
        Tablet => "tablet",
        Capsule => "capsule",
        Syrup => "syrup",
        Suspension => "suspension",
        Injection => "injection",
        Infusion => "infusion",
        Cream => "cream",
        Ointment => "ointment",
        Drops => "drops",
        Inhaler => "inhaler",
        Suppository => "suppository",
        Consumable => "consumable",
        Other => "other",
    }
}

impl DrugForm {
    pub fn label(self) -> &'static str {
        match self {
            DrugForm::Tablet => "Tablet",
            DrugForm::Capsule => "Capsule",
            DrugForm::Syrup => "Syrup",
            DrugForm::Suspension => "Suspension",
            DrugForm::Injection => "Injection",
            DrugForm::Infusion => "Infusion",
            DrugForm::Cream => "Cream",
            DrugForm::Ointment => "Ointment",
            DrugForm::Drops => "Drops",
            DrugForm::Inhaler => "Inhaler",
            DrugForm::Suppository => "Suppository",
            DrugForm::Consumable => "Consumable (not a drug)",
            DrugForm::Other => "Other",
        }
    }

    /// The word written after a drug's name and strength ("Amoxicillin 500 mg capsule"); none for a supply
    /// or a form the list doesn't name ("ORS 20.5 g sachet", not "ORS 20.5 g sachet other").
    pub fn word(self) -> &'static str {
        match self {
            DrugForm::Consumable | DrugForm::Other => "",
            named => named.as_str(),
        }
    }
}

/// A catalogue entry.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Drug {
    pub id: i64,
    pub name: String,
    pub generic_name: String,
    pub form: DrugForm,
    pub strength: String,
    pub unit: String,
    pub unit_price: Money,
    pub reorder_level: i64,
    pub active: Flag,
    pub shelf: String,
    pub updated_at: Timestamp,
}

impl Drug {
    pub fn is_active(&self) -> bool {
        self.active.0
    }

    /// "Amoxicillin 500 mg capsule".
    pub fn label(&self) -> String {
        label(&self.name, &self.strength, self.form)
    }
}

/// A drug's name, strength and form in one line.
pub fn label(name: &str, strength: &str, form: DrugForm) -> String {
    [name, strength, form.word()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A drug's unit after a count of it: "tablets" after 738, "tablet" after 1. A unit written short ("ml", "g") or
/// already a plural is left as it is.
pub fn unit_word(count: i64, unit: &str) -> String {
    let unit = unit.trim();
    let last_word = unit.rsplit(' ').next().unwrap_or_default();
    let written_short = last_word.chars().count() <= 2;
    let plural_already = unit.ends_with('s');
    let ends_in_a_letter = unit.ends_with(char::is_alphabetic);
    if count == 1 || written_short || plural_already || !ends_in_a_letter {
        unit.to_owned()
    } else if ["x", "ch", "sh"].iter().any(|end| unit.ends_with(end)) {
        format!("{unit}es")
    } else {
        format!("{unit}s")
    }
}

/// Which entries the catalogue lists: all, the offered ones at or below their reorder level (what to order),
/// or those no longer offered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CatalogueShow {
    #[default]
    All,
    Reorder,
    Inactive,
}

impl CatalogueShow {
    pub const ALL: [CatalogueShow; 3] = [CatalogueShow::All, CatalogueShow::Reorder, CatalogueShow::Inactive];

    /// Its value in a link (`?show=reorder`); anything else shows all.
    pub fn key(self) -> &'static str {
        match self {
            CatalogueShow::All => "all",
            CatalogueShow::Reorder => "reorder",
            CatalogueShow::Inactive => "inactive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CatalogueShow::All => "All",
            CatalogueShow::Reorder => "To reorder",
            CatalogueShow::Inactive => "Not offered",
        }
    }

    pub fn parse(key: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|show| show.key() == key.trim())
            .unwrap_or_default()
    }
}

/// The order of the catalogue: by name, or the fewest units on hand first (offered entries before the others
/// either way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CatalogueSort {
    #[default]
    Name,
    OnHand,
}

impl CatalogueSort {
    pub fn key(self) -> &'static str {
        match self {
            CatalogueSort::Name => "name",
            CatalogueSort::OnHand => "stock",
        }
    }

    pub fn parse(key: &str) -> Self {
        match key.trim() {
            "stock" => CatalogueSort::OnHand,
            _ => CatalogueSort::Name,
        }
    }
}

/// A catalogue entry with its stock on hand (units in batches that have not expired).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DrugStock {
    pub id: i64,
    pub name: String,
    pub generic_name: String,
    pub form: DrugForm,
    pub strength: String,
    pub unit: String,
    pub unit_price: Money,
    pub reorder_level: i64,
    pub active: Flag,
    pub on_hand: i64,
}

impl DrugStock {
    pub fn label(&self) -> String {
        label(&self.name, &self.strength, self.form)
    }

    pub fn stock(&self) -> StockLevel {
        StockLevel::of(self.on_hand, self.reorder_level)
    }

    pub fn is_active(&self) -> bool {
        self.active.0
    }
}

/// How stock on hand stands against the reorder level (or a prescription's need): a chip with a word, never
/// colour alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockLevel {
    Out,
    /// At or below the reorder level.
    Low,
    /// Some in stock, fewer than a prescription still needs (which may be well above the reorder level).
    NotEnough,
    Enough,
}

impl StockLevel {
    /// Out at zero; low at or below the reorder level.
    pub fn of(on_hand: i64, reorder_level: i64) -> StockLevel {
        if on_hand <= 0 {
            StockLevel::Out
        } else if on_hand <= reorder_level {
            StockLevel::Low
        } else {
            StockLevel::Enough
        }
    }

    /// How `on_hand` covers a need of `needed` units: out at zero, low when it covers only part.
    pub fn against(on_hand: i64, needed: i64) -> StockLevel {
        match on_hand {
            n if n <= 0 => StockLevel::Out,
            n if n < needed => StockLevel::NotEnough,
            _ => StockLevel::Enough,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StockLevel::Out => "out of stock",
            StockLevel::Low => "low",
            StockLevel::NotEnough => "not enough in stock",
            StockLevel::Enough => "",
        }
    }

    pub fn is_short(self) -> bool {
        self != StockLevel::Enough
    }

    pub fn tone(self) -> Tone {
        match self {
            StockLevel::Out => Tone::Act,
            StockLevel::Low | StockLevel::NotEnough => Tone::Warn,
            StockLevel::Enough => Tone::Quiet,
        }
    }
}

/// The longest name, generic name, strength and unit.
pub const NAME_MAX: usize = 120;
pub const SHORT_MAX: usize = 40;
/// The highest reorder level (units).
pub const REORDER_MAX: i64 = 1_000_000;

/// The add and edit form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DrugFormInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub generic_name: String,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub strength: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub unit_price: String,
    #[serde(default)]
    pub reorder_level: String,
    #[serde(default)]
    pub shelf: String,
    /// A ticked checkbox sends "1"; an unticked one sends nothing.
    #[serde(default)]
    pub active: Option<String>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    pub form_id: String,
    /// The edit form's version (`updated_at` when it was loaded).
    #[serde(default)]
    pub version: String,
}

impl DrugFormInput {
    /// The form filled in from a drug, for editing.
    pub fn of(drug: &Drug, minor_digits: u32) -> Self {
        DrugFormInput {
            name: drug.name.clone(),
            generic_name: drug.generic_name.clone(),
            form: drug.form.as_str().to_owned(),
            strength: drug.strength.clone(),
            unit: drug.unit.clone(),
            unit_price: drug.unit_price.format_major(minor_digits),
            reorder_level: drug.reorder_level.to_string(),
            shelf: drug.shelf.clone(),
            active: drug.active.0.then(|| "1".to_owned()),
            form_id: String::new(),
            version: drug.updated_at.millis().to_string(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The values to store, or a message beside each bad field.
    pub fn validate(&self, minor_digits: u32) -> Result<DrugInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.check("name", text(&self.name, "The name", NAME_MAX, true));
        let generic_name = e.check(
            "generic_name",
            text(&self.generic_name, "The generic name", NAME_MAX, false),
        );
        let form = e.check(
            "form",
            self.form
                .trim()
                .parse::<DrugForm>()
                .map_err(|_| "Choose the form the drug comes in.".to_owned()),
        );
        let strength = e.check("strength", text(&self.strength, "The strength", SHORT_MAX, false));
        let unit = e.check("unit", text(&self.unit, "The unit", SHORT_MAX, false));
        let unit_price = e.check("unit_price", price(&self.unit_price, minor_digits));
        let reorder_level = e.check("reorder_level", count(&self.reorder_level));
        let shelf = e.check("shelf", text(&self.shelf, "The shelf", SHORT_MAX, false));
        match (
            name,
            generic_name,
            form,
            strength,
            unit,
            unit_price,
            reorder_level,
            shelf,
        ) {
            (
                Some(name),
                Some(generic_name),
                Some(form),
                Some(strength),
                Some(unit),
                Some(unit_price),
                Some(reorder_level),
                Some(shelf),
            ) if e.is_empty() => Ok(DrugInput {
                name,
                generic_name,
                form,
                strength,
                unit,
                unit_price,
                reorder_level,
                shelf,
                active: self.is_active(),
            }),
            _ => Err(e),
        }
    }
}

/// A catalogue entry to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrugInput {
    pub name: String,
    pub generic_name: String,
    pub form: DrugForm,
    pub strength: String,
    pub unit: String,
    pub unit_price: Money,
    pub reorder_level: i64,
    /// Where it is kept (a stock count goes shelf by shelf); empty when not said.
    pub shelf: String,
    pub active: bool,
}

impl DrugInput {
    pub fn label(&self) -> String {
        label(&self.name, &self.strength, self.form)
    }

    /// What the catalogue's search compares (see [`search_text`]).
    pub fn search_text(&self) -> String {
        search_text(&self.name, &self.generic_name, &self.strength, self.form)
    }
}

/// The most words of a search that are compared (the rest are left out).
pub const SEARCH_WORDS_MAX: usize = 6;

/// What the catalogue's search compares, stored with each entry: the name, generic name, strength (also
/// without its spaces, so "500mg" finds "500 mg") and form, folded (lower case, accents dropped).
pub fn search_text(name: &str, generic_name: &str, strength: &str, form: DrugForm) -> String {
    let compact: String = strength.split_whitespace().collect();
    crate::validation::fold(&format!("{name} {generic_name} {strength} {compact} {}", form.as_str()))
}

/// The words of a search, folded, each once, at most [`SEARCH_WORDS_MAX`]: an entry matches when its
/// [`search_text`] holds every one of them ("paracetamol 500" finds Paracetamol 500 mg tablet).
pub fn search_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in crate::validation::fold(query).split_whitespace() {
        if words.len() == SEARCH_WORDS_MAX {
            break;
        }
        if !words.iter().any(|w| w == word) {
            words.push(word.to_owned());
        }
    }
    words
}

/// One line of text with its spaces collapsed.
fn text(value: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    one_line(
        &value.split_whitespace().collect::<Vec<_>>().join(" "),
        what,
        max,
        required,
    )
}

fn price(value: &str, minor_digits: u32) -> Result<Money, String> {
    match value.trim() {
        "" => Ok(Money(0)),
        value => crate::validation::parse_money(value, minor_digits).map_err(|err| err.message(minor_digits)),
    }
}

fn count(value: &str) -> Result<i64, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(0);
    }
    match value.parse::<i64>() {
        Ok(n) if (0..=REORDER_MAX).contains(&n) => Ok(n),
        _ => Err("Give the reorder level as a whole number of units, 0 or more.".into()),
    }
}

/// The message beside the name when the catalogue already holds the drug (the `drug_key` unique index).
pub fn duplicate_message(drug: &DrugInput) -> String {
    format!(
        "{} is already in the catalogue (same name, form and strength). Edit that entry instead.",
        drug.label()
    )
}

/// A batch with its drug, as the stock pages list it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BatchLine {
    pub id: i64,
    pub drug_id: i64,
    pub drug_name: String,
    pub strength: String,
    pub form: DrugForm,
    pub shelf: String,
    pub batch_number: String,
    pub quantity: i64,
    pub expires_on: Date,
    pub cost_price: Money,
    pub supplier: String,
    pub received_on: Date,
}

impl BatchLine {
    pub fn drug_label(&self) -> String {
        label(&self.drug_name, &self.strength, self.form)
    }

    pub fn has_expired(&self, today: &Date) -> bool {
        self.expires_on < *today
    }

    /// "within 30 days" and so on, for a batch that has not expired yet.
    pub fn expiry_window(&self, today: &Date) -> Option<i64> {
        stock::expiry_window(self.expires_on, *today)
    }
}

/// A row of a drug's stock ledger.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MovementRow {
    pub id: i64,
    pub batch_id: i64,
    pub batch_number: String,
    pub kind: MovementKind,
    /// An adjustment's reason as stored ('' for other movements).
    pub reason: String,
    pub quantity: i64,
    pub balance: i64,
    pub note: String,
    pub staff_name: Option<String>,
    pub at: Timestamp,
    pub day: Date,
}

impl MovementRow {
    pub fn reason_label(&self) -> &'static str {
        self.reason.parse::<AdjustReason>().map_or("", AdjustReason::label)
    }

    /// The change with its sign: "+200", "-12".
    pub fn change(&self) -> String {
        format!("{:+}", self.quantity)
    }

    pub fn by(&self) -> &str {
        self.staff_name.as_deref().unwrap_or("Sickbay")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_follows_its_count() {
        assert_eq!(unit_word(738, "tablet"), "tablets");
        assert_eq!(unit_word(1, "tablet"), "tablet");
        assert_eq!(unit_word(0, "sachet"), "sachets");
        assert_eq!(unit_word(12, "box"), "boxes");
        assert_eq!(unit_word(200, "ml"), "ml");
        assert_eq!(unit_word(3, "pairs"), "pairs");
        assert_eq!(unit_word(5, "5 ml"), "5 ml");
        assert_eq!(unit_word(5, ""), "");
    }

    fn form() -> DrugFormInput {
        DrugFormInput {
            name: "  Amoxicillin ".into(),
            generic_name: "amoxicillin".into(),
            form: "capsule".into(),
            strength: "500  mg".into(),
            unit: "capsule".into(),
            unit_price: "1,250.50".into(),
            reorder_level: "40".into(),
            active: Some("1".into()),
            ..DrugFormInput::default()
        }
    }

    #[test]
    fn every_word_of_a_search_is_found_in_the_name_generic_name_strength_or_form() {
        let text = search_text("Paracétamol", "paracetamol", "120 mg/5 ml", DrugForm::Syrup);
        assert_eq!(text, "paracetamol paracetamol 120 mg/5 ml 120mg/5ml syrup");
        let found = |query: &str| search_words(query).iter().all(|word| text.contains(word.as_str()));
        for query in [
            "paracetamol 120",
            "PARACETAMOL syrup",
            "120mg",
            "5 ml paracetamol",
            "syr 120 mg",
        ] {
            assert!(found(query), "{query}");
        }
        for query in ["paracetamol 500", "paracetamol tablet", "ibuprofen 120"] {
            assert!(!found(query), "{query}");
        }
        assert_eq!(search_words("  Para  para 500  "), ["para", "500"]);
        assert_eq!(search_words("a b c d e f g h").len(), SEARCH_WORDS_MAX);
        assert!(search_words("   ").is_empty());
        assert_eq!(
            form().validate(2).expect("valid").search_text(),
            "amoxicillin amoxicillin 500 mg 500mg capsule"
        );
    }

    #[test]
    fn a_good_entry_is_cleaned() {
        let drug = form().validate(2).expect("valid");
        assert_eq!(drug.name, "Amoxicillin");
        assert_eq!(drug.strength, "500 mg");
        assert_eq!(drug.unit_price, Money(125_050));
        assert_eq!(drug.reorder_level, 40);
        assert!(drug.active);
        assert_eq!(drug.label(), "Amoxicillin 500 mg capsule");
    }

    #[test]
    fn bad_entries_get_a_message_per_field() {
        let bad = DrugFormInput {
            name: " ".into(),
            form: "pill".into(),
            unit_price: "-3".into(),
            reorder_level: "many".into(),
            strength: "x".repeat(41),
            ..DrugFormInput::default()
        };
        let errors = bad.validate(2).expect_err("invalid");
        for field in ["name", "form", "unit_price", "reorder_level", "strength"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let bad = DrugFormInput {
            unit_price: "1.234".into(),
            ..form()
        };
        assert!(bad.validate(2).expect_err("three decimals").get("unit_price").is_some());
        let bad = DrugFormInput {
            unit_price: "99999999999".into(),
            ..form()
        };
        assert!(bad.validate(2).is_err());
    }

    #[test]
    fn empty_price_and_level_mean_zero() {
        let drug = DrugFormInput {
            unit_price: String::new(),
            reorder_level: String::new(),
            active: None,
            ..form()
        }
        .validate(2)
        .expect("valid");
        assert_eq!((drug.unit_price, drug.reorder_level, drug.active), (Money(0), 0, false));
    }

    #[test]
    fn stock_levels() {
        assert_eq!(StockLevel::of(0, 10), StockLevel::Out);
        assert_eq!(StockLevel::of(10, 10), StockLevel::Low);
        assert_eq!(StockLevel::of(11, 10), StockLevel::Enough);
        assert_eq!(StockLevel::of(1, 0), StockLevel::Enough);
        assert!(StockLevel::Low.is_short());
        assert_eq!(StockLevel::against(0, 5), StockLevel::Out);
        // Short of a prescription's need is not "low": 210 on hand above a reorder level of 100 may not cover 300.
        assert_eq!(StockLevel::against(4, 5), StockLevel::NotEnough);
        assert_eq!(StockLevel::against(4, 5).label(), "not enough in stock");
        assert_eq!(StockLevel::against(5, 5), StockLevel::Enough);
    }

    #[test]
    fn labels_leave_out_what_is_missing() {
        assert_eq!(label("Gloves", "", DrugForm::Consumable), "Gloves");
        // "Other" is no word for a form: the label is the name and strength alone.
        assert_eq!(label("ORS", "", DrugForm::Other), "ORS");
        assert_eq!(label("ORS", "20.5 g sachet", DrugForm::Other), "ORS 20.5 g sachet");
        assert_eq!(
            label("Salbutamol", "100 mcg", DrugForm::Inhaler),
            "Salbutamol 100 mcg inhaler"
        );
    }
}
