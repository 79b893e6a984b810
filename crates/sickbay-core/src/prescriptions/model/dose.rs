//! A dose against the drug's form and strength: what a dose says ("2 tablets", "500 mg", "5 ml", "apply
//! thinly"), whether it fits the drug ("2 tablets" of a syrup does not, nor 750 mg of a 500 mg capsule), and
//! the quantity to dispense for a course in the unit the drug is dispensed in: tablets counted out, or bottles
//! of a syrup from the millilitres the course needs.

use std::sync::LazyLock;

use regex::Regex;

use super::Frequency;
use crate::pharmacy::model::DrugForm;

/// Amounts are kept in thousandths of their unit: counts in thousandths of a tablet, weights in micrograms
/// (thousandths of a milligram), volumes in microlitres (thousandths of a millilitre).
const MILLI: i64 = 1_000;

/// What is counted out for a dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Tablet,
    Capsule,
    Puff,
    Sachet,
    Suppository,
    Drop,
    Vial,
    Ampoule,
    /// "units", "pieces": says nothing about the form.
    Unit,
}

impl Counted {
    fn of(word: &str) -> Option<Counted> {
        Some(match word {
            "tablet" | "tablets" | "tab" | "tabs" => Counted::Tablet,
            "capsule" | "capsules" | "cap" | "caps" => Counted::Capsule,
            "puff" | "puffs" => Counted::Puff,
            "sachet" | "sachets" => Counted::Sachet,
            "suppository" | "suppositories" | "pessary" | "pessaries" => Counted::Suppository,
            "drop" | "drops" => Counted::Drop,
            "vial" | "vials" => Counted::Vial,
            "ampoule" | "ampoules" | "amp" | "amps" => Counted::Ampoule,
            "unit" | "units" | "piece" | "pieces" => Counted::Unit,
            _ => return None,
        })
    }

    fn plural(self) -> &'static str {
        match self {
            Counted::Tablet => "tablets",
            Counted::Capsule => "capsules",
            Counted::Puff => "puffs",
            Counted::Sachet => "sachets",
            Counted::Suppository => "suppositories",
            Counted::Drop => "drops",
            Counted::Vial => "vials",
            Counted::Ampoule => "ampoules",
            Counted::Unit => "units",
        }
    }
}

/// A dose as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dose {
    /// Things counted out, in thousandths ("2 tablets" is 2,000; a bare "2" counts nothing named).
    Count { thousandths: i64, of: Option<Counted> },
    /// A weight, in micrograms ("500 mg", "1 g").
    Weight { micrograms: i64 },
    /// A volume, in microlitres ("5 ml"; a teaspoon is 5 ml, a tablespoon 15 ml).
    Volume { microlitres: i64 },
    /// A number with a word not known here ("2 sprays"): it can't be checked.
    Other,
    /// Words without a number ("apply thinly").
    Words,
}

/// A weight or volume unit: how many thousandths of the dose's base unit (microgram, microlitre) one is.
enum Measure {
    Weight(i64),
    Volume(i64),
}

fn measure(word: &str) -> Option<Measure> {
    Some(match word {
        "mcg" | "µg" | "μg" | "microgram" | "micrograms" => Measure::Weight(1),
        "mg" | "milligram" | "milligrams" => Measure::Weight(MILLI),
        "g" | "gm" | "gram" | "grams" => Measure::Weight(MILLI * MILLI),
        "ml" | "mls" | "millilitre" | "millilitres" | "milliliter" | "milliliters" => Measure::Volume(MILLI),
        "l" | "litre" | "litres" | "liter" | "liters" => Measure::Volume(MILLI * MILLI),
        "tsp" | "teaspoon" | "teaspoons" | "teaspoonful" | "teaspoonfuls" => Measure::Volume(5 * MILLI),
        "tbsp" | "tablespoon" | "tablespoons" | "tablespoonful" | "tablespoonfuls" => Measure::Volume(15 * MILLI),
        _ => return None,
    })
}

/// A number as a dose writes it, in thousandths: `2`, `0.5`, `½`, `1/2`.
fn number(text: &str) -> Option<i64> {
    match text {
        "½" => Some(MILLI / 2),
        "¼" => Some(MILLI / 4),
        _ => match text.split_once('/') {
            Some((top, bottom)) => {
                let (top, bottom) = (top.parse::<i64>().ok()?, bottom.parse::<i64>().ok()?);
                let scaled = top.checked_mul(MILLI)?;
                (bottom > 0 && scaled % bottom == 0).then(|| scaled / bottom)
            }
            None => crate::validation::parse_scaled(text, 3),
        },
    }
}

/// `2 tablets`, `500mg`, `1-2 tabs`, `1 to 2 puffs`: the (largest) number and the word after it.
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9.,/½¼]+)(?:\s*(?:-|to)\s*([0-9.,/½¼]+))?\s*([^\s0-9]*)").expect("a valid pattern")
});

impl Dose {
    pub fn parse(text: &str) -> Dose {
        let text = text.trim().to_lowercase();
        let Some(found) = AMOUNT.captures(&text) else {
            return Dose::Words;
        };
        let written = found.get(2).or_else(|| found.get(1)).map_or("", |m| m.as_str());
        let Some(amount) = number(written) else {
            return Dose::Other;
        };
        let word = found.get(3).map_or("", |m| m.as_str());
        if word.is_empty() {
            return Dose::Count {
                thousandths: amount,
                of: None,
            };
        }
        if let Some(of) = Counted::of(word) {
            return Dose::Count {
                thousandths: amount,
                of: Some(of),
            };
        }
        // `amount` is in thousandths of the unit; the base units are thousandths of mg and ml.
        let scaled = |per: i64| amount.checked_mul(per).map(|v| v / MILLI);
        match measure(word) {
            Some(Measure::Weight(per)) => scaled(per).map_or(Dose::Other, |micrograms| Dose::Weight { micrograms }),
            Some(Measure::Volume(per)) => scaled(per).map_or(Dose::Other, |microlitres| Dose::Volume { microlitres }),
            None => Dose::Other,
        }
    }

    fn is_nothing(self) -> bool {
        match self {
            Dose::Count { thousandths: n, .. } | Dose::Weight { micrograms: n } | Dose::Volume { microlitres: n } => {
                n <= 0
            }
            Dose::Other | Dose::Words => false,
        }
    }
}

/// A drug's strength as the catalogue writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    /// A weight in each unit ("500 mg" a tablet, "100 mcg" a puff), in micrograms.
    Each { micrograms: i64 },
    /// A weight in a volume ("120 mg/5 ml", "40 mg/ml"), micrograms in microlitres.
    InVolume { micrograms: i64, microlitres: i64 },
    /// Anything else ("1%", "100000 IU/ml", nothing).
    Unknown,
}

impl Strength {
    pub fn parse(text: &str) -> Strength {
        let text = text.trim().to_lowercase();
        let (weight, volume) = match text.split_once('/') {
            Some((weight, volume)) => (weight, Some(volume.trim())),
            None => (text.as_str(), None),
        };
        let Dose::Weight { micrograms } = Dose::parse(weight) else {
            return Strength::Unknown;
        };
        if micrograms <= 0 {
            return Strength::Unknown;
        }
        let Some(volume) = volume else {
            return Strength::Each { micrograms };
        };
        // "120 mg/5 ml", or "40 mg/ml" in one millilitre.
        let microlitres = match (Dose::parse(volume), measure(volume)) {
            (Dose::Volume { microlitres }, _) => microlitres,
            (Dose::Words, Some(Measure::Volume(per))) => per,
            _ => return Strength::Unknown,
        };
        match microlitres > 0 {
            true => Strength::InVolume {
                micrograms,
                microlitres,
            },
            false => Strength::Unknown,
        }
    }
}

/// What is counted out of each form (none for those measured or applied).
fn counted(form: DrugForm) -> &'static [Counted] {
    match form {
        // Prescribers write "1 tab" of a capsule and the reverse: both are one solid unit counted out.
        DrugForm::Tablet => &[Counted::Tablet, Counted::Capsule],
        DrugForm::Capsule => &[Counted::Capsule, Counted::Tablet],
        DrugForm::Inhaler => &[Counted::Puff],
        DrugForm::Suppository => &[Counted::Suppository],
        DrugForm::Drops => &[Counted::Drop],
        DrugForm::Injection | DrugForm::Infusion => &[Counted::Vial, Counted::Ampoule],
        DrugForm::Syrup
        | DrugForm::Suspension
        | DrugForm::Cream
        | DrugForm::Ointment
        | DrugForm::Consumable
        | DrugForm::Other => &[],
    }
}

fn measured_in_ml(form: DrugForm) -> bool {
    matches!(
        form,
        DrugForm::Syrup | DrugForm::Suspension | DrugForm::Injection | DrugForm::Infusion | DrugForm::Drops
    )
}

/// Whether doses of the form are checked: "other" and consumables can be anything.
fn checked(form: DrugForm) -> bool {
    !matches!(form, DrugForm::Other | DrugForm::Consumable)
}

/// How doses of the form are given, after "A tablet is", "Drops are".
fn given(form: DrugForm) -> &'static str {
    match form {
        DrugForm::Tablet => "A tablet is counted in tablets",
        DrugForm::Capsule => "A capsule is counted in capsules",
        DrugForm::Syrup => "A syrup is measured in ml",
        DrugForm::Suspension => "A suspension is measured in ml",
        DrugForm::Injection => "An injection is given in ml, vials or ampoules",
        DrugForm::Infusion => "An infusion is given in ml, vials or ampoules",
        DrugForm::Cream => "A cream is applied to the skin",
        DrugForm::Ointment => "An ointment is applied to the skin",
        DrugForm::Drops => "Drops are counted in drops",
        DrugForm::Inhaler => "An inhaler is counted in puffs",
        DrugForm::Suppository => "A suppository is counted in suppositories",
        DrugForm::Consumable | DrugForm::Other => "It is given as the catalogue says",
    }
}

/// Doses that fit the form (and strength), to show as examples: `“5 ml” or “120 mg”`.
fn examples(form: DrugForm, strength: Strength) -> String {
    let weight = match strength {
        Strength::Each { micrograms } | Strength::InVolume { micrograms, .. } => Some(weight_words(micrograms)),
        Strength::Unknown => None,
    };
    let mut all: Vec<String> = match form {
        DrugForm::Tablet => vec!["1 tablet".into()],
        DrugForm::Capsule => vec!["1 capsule".into()],
        DrugForm::Syrup | DrugForm::Suspension => vec!["5 ml".into()],
        DrugForm::Injection | DrugForm::Infusion => vec!["1 vial".into(), "2 ml".into()],
        DrugForm::Cream | DrugForm::Ointment => vec!["apply thinly".into()],
        DrugForm::Drops => vec!["2 drops".into()],
        DrugForm::Inhaler => vec!["2 puffs".into()],
        DrugForm::Suppository => vec!["1 suppository".into()],
        DrugForm::Consumable | DrugForm::Other => vec![],
    };
    if let (Some(weight), false) = (weight, matches!(form, DrugForm::Cream | DrugForm::Ointment)) {
        all.push(weight);
    }
    let quoted: Vec<String> = all.iter().map(|e| format!("“{e}”")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `500 mg`, `1 g`, `100 mcg`, `2.5 mg`.
fn weight_words(micrograms: i64) -> String {
    if micrograms % (MILLI * MILLI) == 0 {
        format!("{} g", micrograms / (MILLI * MILLI))
    } else if micrograms >= MILLI {
        format!("{} mg", thousandths_words(micrograms))
    } else {
        format!("{micrograms} mcg")
    }
}

/// A number of thousandths in words: 75,000 is `75`, 7,500 is `7.5`.
fn thousandths_words(thousandths: i64) -> String {
    let whole = thousandths / MILLI;
    let rest = thousandths % MILLI;
    match rest {
        0 => whole.to_string(),
        _ => format!("{whole}.{}", format!("{rest:03}").trim_end_matches('0')),
    }
}

/// The dose, or why it does not fit a drug of this form and strength (a message for the dose field).
pub fn check(dose: &str, form: DrugForm, strength: &str) -> Result<Dose, String> {
    let parsed = Dose::parse(dose);
    if !checked(form) {
        return Ok(parsed);
    }
    let strength = Strength::parse(strength);
    let such_as = |what: String| format!("{what}: write the dose such as {}.", examples(form, strength));
    if parsed.is_nothing() {
        return Err(such_as("A dose of nothing can't be given".into()));
    }
    let own = counted(form);
    match parsed {
        Dose::Count { of: Some(of), .. } if of != Counted::Unit && !own.contains(&of) => {
            Err(such_as(format!("{}, not in {}", given(form), of.plural())))
        }
        Dose::Count { .. } if own.is_empty() => Err(such_as(format!("{}, so the dose needs its unit", given(form)))),
        Dose::Count { thousandths, of } => whole_units(form, thousandths, of.unwrap_or(own[0])).map(|()| parsed),
        Dose::Volume { .. } if !measured_in_ml(form) => Err(such_as(format!("{}, not in ml", given(form)))),
        Dose::Weight { micrograms } => match (strength, counted_out(form)) {
            (Strength::Each { micrograms: each }, Some(unit)) => {
                let units = micrograms.checked_mul(MILLI).map(|v| (v / each, v % each));
                match units {
                    Some((units, 0)) => whole_units(form, units, unit).map(|()| parsed),
                    _ => Err(such_as(format!(
                        "{} is not a whole number of {} {}",
                        weight_words(micrograms),
                        weight_words(each),
                        unit.plural()
                    ))),
                }
            }
            _ => Ok(parsed),
        },
        Dose::Words if !own.is_empty() || measured_in_ml(form) => {
            Err(such_as(format!("{}, so the dose needs a number", given(form))))
        }
        Dose::Volume { .. } | Dose::Words | Dose::Other => Ok(parsed),
    }
}

/// The unit a form's weight dose is counted out in, for forms whose strength is in each unit.
fn counted_out(form: DrugForm) -> Option<Counted> {
    match form {
        DrugForm::Tablet => Some(Counted::Tablet),
        DrugForm::Capsule => Some(Counted::Capsule),
        DrugForm::Suppository => Some(Counted::Suppository),
        DrugForm::Inhaler => Some(Counted::Puff),
        _ => None,
    }
}

/// A tablet may be halved; capsules, suppositories, puffs and drops are whole.
fn whole_units(form: DrugForm, thousandths: i64, unit: Counted) -> Result<(), String> {
    let step = match form {
        DrugForm::Tablet => MILLI / 2,
        DrugForm::Injection | DrugForm::Infusion => 1,
        _ => MILLI,
    };
    match thousandths % step {
        0 => Ok(()),
        _ if step == MILLI / 2 => {
            Err("A tablet can be halved, no less: give whole or half tablets, such as 1 or ½.".into())
        }
        _ => Err(format!(
            "{} can't be split: give a whole number of {}, such as 1 or 2.",
            crate::validation::capitalized(unit.plural()),
            unit.plural()
        )),
    }
}

/// The quantity to dispense for a course, and how it was worked out (shown beside the quantity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub quantity: i64,
    pub note: String,
}

/// Why no quantity is suggested: the dose does not fit the drug (a message for the dose field), or the
/// quantity can't be worked out (a message for the quantity field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSuggestion {
    Dose(String),
    Quantity(String),
}

/// The drug a quantity is suggested for: its form, strength and the unit it is dispensed in ("tablet",
/// "100 ml bottle", "ml").
#[derive(Clone, Copy, Debug)]
pub struct Dispensed<'a> {
    pub form: DrugForm,
    pub strength: &'a str,
    pub unit: &'a str,
}

/// The quantity to dispense for `dose` taken at `frequency` for `days`: tablets, capsules and suppositories
/// counted out (a halved tablet rounds up to a whole one for the course); the millilitres of a syrup or
/// suspension turned into bottles when the catalogue's unit says how much one holds ("100 ml bottle"), or given
/// in ml when the unit is the millilitre; vials and ampoules counted.
pub fn suggest(dose: &str, drug: Dispensed<'_>, frequency: Frequency, days: i64) -> Result<Suggestion, NoSuggestion> {
    let parsed = check(dose, drug.form, drug.strength).map_err(NoSuggestion::Dose)?;
    let cannot =
        || NoSuggestion::Quantity("No quantity to suggest for this dose and frequency: give it yourself.".into());
    let doses = frequency.doses(days).filter(|n| *n > 0).ok_or_else(cannot)?;
    let strength = Strength::parse(drug.strength);
    match drug.form {
        DrugForm::Syrup | DrugForm::Suspension => {
            let each = match (parsed, strength) {
                (Dose::Volume { microlitres }, _) => microlitres,
                (
                    Dose::Weight { micrograms },
                    Strength::InVolume {
                        micrograms: per,
                        microlitres,
                    },
                ) => ceil_div(micrograms.checked_mul(microlitres).ok_or_else(cannot)?, per),
                _ => {
                    return Err(NoSuggestion::Quantity(
                        "Give the dose in ml to have the quantity suggested (or give the quantity yourself).".into(),
                    ));
                }
            };
            in_packs(each.checked_mul(doses).ok_or_else(cannot)?, drug.unit)
        }
        form => {
            let out = counted_out(form);
            let (each, unit) = match (parsed, strength, out) {
                (
                    Dose::Count {
                        thousandths,
                        of: Some(of),
                    },
                    _,
                    _,
                ) if of != Counted::Unit && counted(form).contains(&of) => (thousandths, of),
                // A bare number, or "units", of what the form counts out; of "other" drugs, anything counted.
                (
                    Dose::Count {
                        thousandths,
                        of: None | Some(Counted::Unit),
                    },
                    _,
                    Some(unit),
                ) => (thousandths, unit),
                (Dose::Count { thousandths, of }, _, None) if !checked(form) => {
                    (thousandths, of.unwrap_or(Counted::Unit))
                }
                (Dose::Weight { micrograms }, Strength::Each { micrograms: per }, Some(unit)) => {
                    (micrograms.checked_mul(MILLI).ok_or_else(cannot)? / per, unit)
                }
                _ => return Err(cannot()),
            };
            // An inhaler or a bottle of drops holds many puffs or drops: the count of a dose is not the pack.
            if matches!(unit, Counted::Puff | Counted::Drop) {
                return Err(NoSuggestion::Quantity(format!(
                    "One {} holds many {}: give the number to dispense yourself.",
                    unit_or(drug.unit, form.as_str()),
                    unit.plural()
                )));
            }
            let quantity = ceil_div(each.checked_mul(doses).ok_or_else(cannot)?, MILLI);
            Ok(Suggestion {
                quantity,
                note: format!(
                    "{quantity} {}: {} a dose, {doses} doses.",
                    unit.plural(),
                    thousandths_words(each)
                ),
            })
        }
    }
}

/// The millilitres of a course (`microlitres`) in the drug's unit.
fn in_packs(microlitres: i64, unit: &str) -> Result<Suggestion, NoSuggestion> {
    let ml = thousandths_words(microlitres);
    match pack(unit) {
        Pack::Ml => Ok(Suggestion {
            quantity: ceil_div(microlitres, MILLI),
            note: format!("{ml} ml for the course."),
        }),
        Pack::Holds(holds) => {
            let quantity = ceil_div(microlitres, holds);
            Ok(Suggestion {
                quantity,
                note: format!("{ml} ml for the course: {quantity} × {}.", unit.trim()),
            })
        }
        Pack::Unknown => Err(NoSuggestion::Quantity(format!(
            "The course needs {ml} ml, but the catalogue doesn't say how much one {} holds: give the number to \
             dispense yourself.",
            unit_or(unit, "bottle")
        ))),
    }
}

fn unit_or<'a>(unit: &'a str, otherwise: &'a str) -> &'a str {
    match unit.trim() {
        "" => otherwise,
        unit => unit,
    }
}

/// What one unit of a liquid drug holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pack {
    /// Dispensed by the millilitre.
    Ml,
    /// A bottle (or sachet, vial) of this many microlitres.
    Holds(i64),
    Unknown,
}

/// `100 ml bottle`, `bottle (60 ml)`, `1 l`: the volume named in the unit.
static VOLUME_IN_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([0-9]+(?:\.[0-9]+)?)\s*(ml|mls|millilitres?|milliliters?|l|litres?|liters?)\b")
        .expect("a valid pattern")
});

fn pack(unit: &str) -> Pack {
    let unit = unit.trim().to_lowercase();
    if matches!(measure(&unit), Some(Measure::Volume(MILLI))) {
        return Pack::Ml;
    }
    let holds = VOLUME_IN_UNIT.captures(&unit).and_then(|found| {
        let number = crate::validation::parse_scaled(&found[1], 3)?;
        match measure(&found[2])? {
            Measure::Volume(per) => number.checked_mul(per).map(|v| v / MILLI),
            Measure::Weight(_) => None,
        }
    });
    match holds {
        Some(holds) if holds > 0 => Pack::Holds(holds),
        _ => Pack::Unknown,
    }
}

fn ceil_div(value: i64, by: i64) -> i64 {
    (value + by - 1) / by
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYRUP: &str = "120 mg/5 ml";

    #[test]
    fn doses_are_read_as_counts_weights_volumes_or_words() {
        let count = |thousandths, of| Dose::Count { thousandths, of };
        assert_eq!(Dose::parse("2 tablets"), count(2_000, Some(Counted::Tablet)));
        assert_eq!(Dose::parse("1 Tab"), count(1_000, Some(Counted::Tablet)));
        assert_eq!(Dose::parse("2"), count(2_000, None));
        assert_eq!(Dose::parse("½ tablet"), count(500, Some(Counted::Tablet)));
        assert_eq!(Dose::parse("1/2 tab"), count(500, Some(Counted::Tablet)));
        assert_eq!(Dose::parse("1-2 puffs"), count(2_000, Some(Counted::Puff)));
        assert_eq!(Dose::parse("1 to 2 caps"), count(2_000, Some(Counted::Capsule)));
        assert_eq!(Dose::parse("500 mg"), Dose::Weight { micrograms: 500_000 });
        assert_eq!(Dose::parse("1g"), Dose::Weight { micrograms: 1_000_000 });
        assert_eq!(Dose::parse("0.5 g"), Dose::Weight { micrograms: 500_000 });
        assert_eq!(Dose::parse("100 mcg"), Dose::Weight { micrograms: 100 });
        assert_eq!(Dose::parse("5 ml"), Dose::Volume { microlitres: 5_000 });
        assert_eq!(Dose::parse("7.5ml"), Dose::Volume { microlitres: 7_500 });
        assert_eq!(Dose::parse("2 teaspoons"), Dose::Volume { microlitres: 10_000 });
        assert_eq!(Dose::parse("2 sprays"), Dose::Other);
        assert_eq!(Dose::parse("1.2.3 tablets"), Dose::Other);
        assert_eq!(Dose::parse("apply thinly"), Dose::Words);
    }

    #[test]
    fn strengths_are_a_weight_in_each_unit_or_in_a_volume() {
        assert_eq!(Strength::parse("500 mg"), Strength::Each { micrograms: 500_000 });
        assert_eq!(Strength::parse("100 mcg"), Strength::Each { micrograms: 100 });
        let in_volume = |micrograms, microlitres| Strength::InVolume {
            micrograms,
            microlitres,
        };
        assert_eq!(Strength::parse("120 mg/5 ml"), in_volume(120_000, 5_000));
        assert_eq!(Strength::parse("125mg/5ml"), in_volume(125_000, 5_000));
        assert_eq!(Strength::parse("40 mg/ml"), in_volume(40_000, 1_000));
        for unknown in ["", "1%", "100000 IU/ml", "10 cm", "0 mg"] {
            assert_eq!(Strength::parse(unknown), Strength::Unknown, "{unknown}");
        }
    }

    #[test]
    fn a_dose_must_fit_the_drugs_form() {
        let refused = |dose, form, strength| check(dose, form, strength).expect_err(dose);
        assert_eq!(
            refused("2 tablets", DrugForm::Syrup, SYRUP),
            "A syrup is measured in ml, not in tablets: write the dose such as “5 ml” or “120 mg”."
        );
        assert_eq!(
            refused("2", DrugForm::Syrup, SYRUP),
            "A syrup is measured in ml, so the dose needs its unit: write the dose such as “5 ml” or “120 mg”."
        );
        assert_eq!(
            refused("5 ml", DrugForm::Tablet, "500 mg"),
            "A tablet is counted in tablets, not in ml: write the dose such as “1 tablet” or “500 mg”."
        );
        assert_eq!(
            refused("1 capsule", DrugForm::Syrup, SYRUP),
            "A syrup is measured in ml, not in capsules: write the dose such as “5 ml” or “120 mg”."
        );
        assert!(refused("½ tab", DrugForm::Capsule, "500 mg").contains("can't be split"));
        assert!(refused("1 tablet", DrugForm::Inhaler, "100 mcg").contains("not in tablets"));
        assert!(refused("2 puffs", DrugForm::Cream, "1%").starts_with("A cream is applied to the skin"));
        assert!(refused("as directed", DrugForm::Tablet, "500 mg").contains("needs a number"));
        assert!(refused("0 tablets", DrugForm::Tablet, "500 mg").starts_with("A dose of nothing"));
        for (dose, form, strength) in [
            ("2 tablets", DrugForm::Tablet, "500 mg"),
            ("2", DrugForm::Tablet, "500 mg"),
            ("2 units", DrugForm::Capsule, "500 mg"),
            ("1 tab", DrugForm::Capsule, "500 mg"),
            ("1 capsule", DrugForm::Tablet, "500 mg"),
            ("5 ml", DrugForm::Syrup, SYRUP),
            ("2 teaspoons", DrugForm::Suspension, "125 mg/5 ml"),
            ("240 mg", DrugForm::Syrup, SYRUP),
            ("1 vial", DrugForm::Injection, "1 g"),
            ("2 ml", DrugForm::Injection, "40 mg/ml"),
            ("10 units", DrugForm::Injection, "100 IU/ml"),
            ("2 puffs", DrugForm::Inhaler, "100 mcg"),
            ("2 drops", DrugForm::Drops, "0.3%"),
            ("apply thinly", DrugForm::Cream, "1%"),
            ("2 sprays", DrugForm::Other, ""),
            ("2 tablets", DrugForm::Other, ""),
            ("1 sachet", DrugForm::Consumable, ""),
        ] {
            assert!(check(dose, form, strength).is_ok(), "{dose} of a {form}");
        }
    }

    #[test]
    fn a_weight_must_be_a_whole_number_of_units_or_half_a_tablet() {
        assert!(check("1 g", DrugForm::Tablet, "500 mg").is_ok());
        assert!(check("250 mg", DrugForm::Tablet, "500 mg").is_ok());
        assert!(check("½ tablet", DrugForm::Tablet, "500 mg").is_ok());
        assert_eq!(
            check("100 mg", DrugForm::Tablet, "500 mg").expect_err("a fifth"),
            "A tablet can be halved, no less: give whole or half tablets, such as 1 or ½."
        );
        assert_eq!(
            check("750 mg", DrugForm::Capsule, "500 mg").expect_err("one and a half"),
            "Capsules can't be split: give a whole number of capsules, such as 1 or 2."
        );
        assert_eq!(
            check("1.5 capsules", DrugForm::Capsule, "500 mg").expect_err("one and a half"),
            "Capsules can't be split: give a whole number of capsules, such as 1 or 2."
        );
        assert!(check("300 mcg", DrugForm::Inhaler, "100 mcg").is_ok());
        assert!(check("150 mcg", DrugForm::Inhaler, "100 mcg").is_err());
        // A strength that isn't a weight can't be compared.
        assert!(check("750 mg", DrugForm::Tablet, "").is_ok());
    }

    fn drug<'a>(form: DrugForm, strength: &'a str, unit: &'a str) -> Dispensed<'a> {
        Dispensed { form, strength, unit }
    }

    #[test]
    fn tablets_and_capsules_are_counted_out_for_the_course() {
        let tablet = drug(DrugForm::Tablet, "500 mg", "tablet");
        let quantity = |dose, frequency, days| suggest(dose, tablet, frequency, days).map(|s| s.quantity);
        assert_eq!(quantity("2 tablets", Frequency::Tds, 5), Ok(30));
        assert_eq!(quantity("500 mg", Frequency::Tds, 5), Ok(15));
        assert_eq!(quantity("1 g", Frequency::Bd, 3), Ok(12));
        assert_eq!(quantity("2", Frequency::Stat, 1), Ok(2));
        assert_eq!(quantity("½ tablet", Frequency::Bd, 5), Ok(5));
        assert_eq!(quantity("250 mg", Frequency::Tds, 3), Ok(5));
        assert_eq!(
            suggest("2 tablets", tablet, Frequency::Tds, 5).map(|s| s.note),
            Ok("30 tablets: 2 a dose, 15 doses.".to_owned())
        );
        assert!(matches!(
            quantity("2 tablets", Frequency::Prn, 5),
            Err(NoSuggestion::Quantity(_))
        ));
        assert!(matches!(
            quantity("5 ml", Frequency::Tds, 5),
            Err(NoSuggestion::Dose(_))
        ));
        let capsule = drug(DrugForm::Capsule, "250 mg", "capsule");
        assert_eq!(suggest("0.5 g", capsule, Frequency::Qds, 7).map(|s| s.quantity), Ok(56));
        let vial = drug(DrugForm::Injection, "1 g", "vial");
        assert_eq!(suggest("1 vial", vial, Frequency::Od, 3).map(|s| s.quantity), Ok(3));
        assert!(suggest("2 ml", vial, Frequency::Od, 3).is_err());
    }

    #[test]
    fn a_syrup_is_suggested_in_bottles_or_millilitres() {
        let bottle = drug(DrugForm::Syrup, SYRUP, "100 ml bottle");
        // 5 ml three times a day for 5 days is 75 ml: one bottle of 100 ml (not 2 × 15 "units").
        assert_eq!(
            suggest("5 ml", bottle, Frequency::Tds, 5),
            Ok(Suggestion {
                quantity: 1,
                note: "75 ml for the course: 1 × 100 ml bottle.".into()
            })
        );
        // 240 mg of 120 mg/5 ml is 10 ml: 150 ml, two bottles.
        assert_eq!(suggest("240 mg", bottle, Frequency::Tds, 5).map(|s| s.quantity), Ok(2));
        assert_eq!(
            suggest("2 teaspoons", bottle, Frequency::Bd, 5).map(|s| s.quantity),
            Ok(1)
        );
        assert_eq!(
            suggest("2 tablets", bottle, Frequency::Tds, 3),
            Err(NoSuggestion::Dose(
                "A syrup is measured in ml, not in tablets: write the dose such as “5 ml” or “120 mg”.".into()
            ))
        );
        let by_ml = drug(DrugForm::Suspension, "125 mg/5 ml", "ml");
        assert_eq!(
            suggest("7.5 ml", by_ml, Frequency::Tds, 5),
            Ok(Suggestion {
                quantity: 113,
                note: "112.5 ml for the course.".into()
            })
        );
        assert_eq!(
            suggest(
                "5 ml",
                drug(DrugForm::Syrup, SYRUP, "Bottle (60 ml)"),
                Frequency::Tds,
                5
            )
            .map(|s| s.quantity),
            Ok(2)
        );
        assert_eq!(
            suggest("5 ml", drug(DrugForm::Syrup, SYRUP, "bottle"), Frequency::Tds, 5),
            Err(NoSuggestion::Quantity(
                "The course needs 75 ml, but the catalogue doesn't say how much one bottle holds: give the number \
                 to dispense yourself."
                    .into()
            ))
        );
    }

    #[test]
    fn an_inhaler_or_drops_are_not_counted_by_the_dose() {
        let inhaler = drug(DrugForm::Inhaler, "100 mcg", "inhaler");
        assert_eq!(
            suggest("2 puffs", inhaler, Frequency::Qds, 30),
            Err(NoSuggestion::Quantity(
                "One inhaler holds many puffs: give the number to dispense yourself.".into()
            ))
        );
    }
}
