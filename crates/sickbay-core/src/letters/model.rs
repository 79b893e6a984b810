//! What a letter is and what makes one valid: pure functions, unit-tested.

use crate::db::{Date, Timestamp};
use crate::validation::{FieldErrors, forbidden_character, forbidden_message, one_line};

/// The longest rest a sick note gives: beyond it the patient is seen again.
pub const REST_DAYS_MAX: i64 = 90;
/// The longest text of a letter.
pub const BODY_MAX_CHARS: usize = 3000;
/// Whom a letter is for when the doctor names nobody.
pub const TO_WHOM: &str = "To whom it may concern";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetterKind {
    SickNote,
    Fitness,
    Referral,
}

impl LetterKind {
    pub const ALL: [LetterKind; 3] = [LetterKind::SickNote, LetterKind::Fitness, LetterKind::Referral];

    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::SickNote => "sick_note",
            LetterKind::Fitness => "fitness",
            LetterKind::Referral => "referral",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text.trim())
    }

    /// The letter's title, as printed.
    pub fn label(self) -> &'static str {
        match self {
            LetterKind::SickNote => "Medical certificate of sickness",
            LetterKind::Fitness => "Certificate of fitness",
            LetterKind::Referral => "Referral letter",
        }
    }

    /// How the doctor's form names it.
    pub fn choice(self) -> &'static str {
        match self {
            LetterKind::SickNote => "Sick note (days of rest)",
            LetterKind::Fitness => "Fitness certificate",
            LetterKind::Referral => "Referral letter",
        }
    }

    pub fn needs_rest_days(self) -> bool {
        self == LetterKind::SickNote
    }

    /// The words a new letter of this kind starts with, for the doctor to change. A referral names the visit's
    /// `diagnoses`; a sick note and a fitness certificate never do: they go to lecturers, employers and coaches,
    /// who are told the days of rest, not the illness.
    pub fn opening(self, diagnoses: &[String]) -> String {
        match self {
            LetterKind::SickNote => "The patient named above was seen at this clinic today and, for medical reasons, \
                                     is not fit to attend lectures, examinations or other duties on the days of rest \
                                     given above."
                .to_owned(),
            LetterKind::Fitness => "The patient named above was examined at this clinic today and was found to have \
                                    no medical condition that keeps them from study, sport or work."
                .to_owned(),
            LetterKind::Referral => {
                let seen = match diagnoses {
                    [] => String::new(),
                    [one] => format!(" with {one}"),
                    [rest @ .., last] => format!(" with {} and {last}", rest.join(", ")),
                };
                format!(
                    "Thank you for seeing the patient named above, seen at our clinic today{seen}. I would be \
                     grateful for your assessment and management."
                )
            }
        }
    }
}

/// What the letter says once the doctor chooses `kind`: a letter that starts with another kind's opening words
/// starts with this kind's instead, followed by whatever the doctor added (a sick note's "not fit to attend
/// lectures" must never open a fitness certificate); an empty letter gets the kind's opening; no kind chosen
/// takes the opening away. Words of the doctor's own, not after an opening, are kept as typed.
pub fn words_for_kind(kind: Option<LetterKind>, typed: &str, diagnoses: &[String]) -> String {
    let typed = typed.trim();
    let added = LetterKind::ALL
        .iter()
        .find_map(|k| typed.strip_prefix(&k.opening(diagnoses)))
        .or_else(|| typed.is_empty().then_some(""));
    let Some(added) = added else {
        return typed.to_owned();
    };
    let opening = kind.map(|kind| kind.opening(diagnoses)).unwrap_or_default();
    format!("{opening}{added}").trim().to_owned()
}

/// A letter as the doctor wrote it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LetterInput {
    pub kind: LetterKind,
    pub addressed_to: String,
    pub body: String,
    /// A sick note's first and last day of rest.
    pub rest: Option<(Date, Date)>,
}

/// The doctor's form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct LetterFields {
    pub kind: String,
    pub addressed_to: String,
    pub body: String,
    pub rest_from: String,
    pub rest_to: String,
}

/// Checks the form: a known kind; words in the letter; whom a referral goes to; a sick note's days of rest,
/// the last not before the first and at most [`REST_DAYS_MAX`] of them.
pub fn parse_letter(fields: &LetterFields) -> Result<LetterInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let kind = LetterKind::parse(&fields.kind);
    if kind.is_none() {
        errors.add(
            "kind",
            "Choose what to write: a sick note, a fitness certificate or a referral letter.",
        );
    }
    let required = kind == Some(LetterKind::Referral);
    let addressed_to = errors.check(
        "addressed_to",
        one_line(&fields.addressed_to, "Whom the letter is for", 200, required),
    );
    let body = errors.check("body", parse_body(&fields.body));
    let rest = match kind {
        Some(kind) if kind.needs_rest_days() => errors.check("rest_to", rest_days(fields)).map(Some),
        _ => Some(None),
    };
    match (kind, addressed_to, body, rest) {
        (Some(kind), Some(addressed_to), Some(body), Some(rest)) if errors.is_empty() => Ok(LetterInput {
            kind,
            addressed_to: match addressed_to.is_empty() {
                true => TO_WHOM.to_owned(),
                false => addressed_to,
            },
            body,
            rest,
        }),
        _ => Err(errors),
    }
}

fn parse_body(text: &str) -> Result<String, String> {
    let body = text.trim();
    if body.is_empty() {
        return Err("Write what the letter says.".into());
    }
    if let Some(c) = forbidden_character(body, true) {
        return Err(forbidden_message("The letter", c));
    }
    if body.chars().count() > BODY_MAX_CHARS {
        return Err(format!("Keep the letter to {BODY_MAX_CHARS} characters or fewer."));
    }
    Ok(body.to_owned())
}

fn rest_days(fields: &LetterFields) -> Result<(Date, Date), String> {
    let (Ok(from), Ok(to)) = (Date::parse(&fields.rest_from), Date::parse(&fields.rest_to)) else {
        return Err("Give the first and the last day of rest.".into());
    };
    let days = (to.0 - from.0).num_days() + 1;
    if days < 1 {
        return Err("The last day of rest is before the first.".into());
    }
    if days > REST_DAYS_MAX {
        return Err(format!("A sick note gives at most {REST_DAYS_MAX} days of rest."));
    }
    Ok((from, to))
}

/// A letter as it was issued.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Letter {
    pub id: i64,
    pub visit_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    /// A student's matric number, which their lecturers know them by.
    pub matric_number: Option<String>,
    pub kind: String,
    pub addressed_to: String,
    pub body: String,
    pub rest_from: Option<Date>,
    pub rest_to: Option<Date>,
    pub issued_by_name: String,
    pub issued_at: Timestamp,
}

impl Letter {
    pub fn kind(&self) -> Option<LetterKind> {
        LetterKind::parse(&self.kind)
    }

    pub fn title(&self) -> &'static str {
        self.kind().map_or("Letter", LetterKind::label)
    }

    /// A sick note's rest: its first and last day, and how many days in words ("3 days").
    pub fn rest(&self) -> Option<(Date, Date, String)> {
        let (from, to) = (self.rest_from?, self.rest_to?);
        let days = (to.0 - from.0).num_days() + 1;
        let words = match days {
            1 => "1 day".to_owned(),
            n => format!("{n} days"),
        };
        Some((from, to, words))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: &str, to: &str, body: &str, from: &str, until: &str) -> LetterFields {
        LetterFields {
            kind: kind.into(),
            addressed_to: to.into(),
            body: body.into(),
            rest_from: from.into(),
            rest_to: until.into(),
        }
    }

    #[test]
    fn a_letter_opens_with_words_that_name_the_illness_only_to_a_doctor() {
        let diagnoses = [
            "Malaria (B54)".to_owned(),
            "Anaemia".to_owned(),
            "Dehydration".to_owned(),
        ];
        let referral = LetterKind::Referral.opening(&diagnoses);
        assert!(
            referral.contains("today with Malaria (B54), Anaemia and Dehydration."),
            "{referral}"
        );
        assert!(
            LetterKind::Referral
                .opening(&diagnoses[..1])
                .contains("today with Malaria (B54).")
        );
        assert!(
            LetterKind::Referral
                .opening(&[])
                .contains("at our clinic today. I would")
        );
        for kind in [LetterKind::SickNote, LetterKind::Fitness] {
            let opening = kind.opening(&diagnoses);
            assert!(!opening.contains("Malaria") && !opening.contains("  "), "{opening}");
            assert!(parse_body(&opening).is_ok());
        }
    }

    #[test]
    fn changing_the_kind_changes_the_opening_words_but_never_what_was_typed() {
        let diagnoses = ["Malaria".to_owned()];
        let sick = words_for_kind(Some(LetterKind::SickNote), "", &diagnoses);
        assert_eq!(sick, LetterKind::SickNote.opening(&diagnoses));
        let referral = words_for_kind(Some(LetterKind::Referral), &sick, &diagnoses);
        assert!(referral.contains("with Malaria"), "{referral}");
        assert_eq!(words_for_kind(None, &referral, &diagnoses), "");
        let added = format!("{sick}\nBack on Monday.");
        let fitness = words_for_kind(Some(LetterKind::Fitness), &added, &diagnoses);
        assert_eq!(
            fitness,
            format!("{}\nBack on Monday.", LetterKind::Fitness.opening(&diagnoses))
        );
        let own = "Seen today; see the attached results.";
        assert_eq!(words_for_kind(Some(LetterKind::Referral), own, &diagnoses), own);
    }

    #[test]
    fn a_sick_note_gives_its_days_of_rest() {
        let note = parse_letter(&fields("sick_note", "", " Malaria. ", "2026-11-29", "2026-12-01")).unwrap();
        assert_eq!(note.kind, LetterKind::SickNote);
        assert_eq!(note.addressed_to, TO_WHOM);
        assert_eq!(note.body, "Malaria.");
        let (from, to) = note.rest.unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2026-11-29".into(), "2026-12-01".into())
        );
        let one_day = parse_letter(&fields("sick_note", "", "Rest", "2026-11-29", "2026-11-29"));
        assert!(one_day.is_ok());
    }

    #[test]
    fn a_sick_note_needs_days_in_order_and_not_too_many() {
        let messages = |f: LetterFields| parse_letter(&f).unwrap_err().get("rest_to").map(str::to_owned);
        assert_eq!(
            messages(fields("sick_note", "", "Rest", "", "")).as_deref(),
            Some("Give the first and the last day of rest.")
        );
        assert_eq!(
            messages(fields("sick_note", "", "Rest", "2026-12-02", "2026-12-01")).as_deref(),
            Some("The last day of rest is before the first.")
        );
        assert!(parse_letter(&fields("sick_note", "", "Rest", "2026-01-01", "2026-03-31")).is_ok());
        assert_eq!(
            messages(fields("sick_note", "", "Rest", "2026-01-01", "2026-04-01")).as_deref(),
            Some("A sick note gives at most 90 days of rest.")
        );
    }

    #[test]
    fn a_referral_names_whom_it_is_for_and_other_letters_take_no_rest_days() {
        let errors = parse_letter(&fields("referral", " ", "Please see", "", "")).unwrap_err();
        assert_eq!(errors.get("addressed_to"), Some("Whom the letter is for is required."));
        let referral = parse_letter(&fields("referral", "ENT clinic, UCH", "Please see", "2026-11-29", "")).unwrap();
        assert_eq!(
            (referral.addressed_to.as_str(), referral.rest),
            ("ENT clinic, UCH", None)
        );
        let fit = parse_letter(&fields("fitness", "", "Fit for sports", "", "")).unwrap();
        assert_eq!((fit.kind, fit.rest), (LetterKind::Fitness, None));
    }

    #[test]
    fn an_unknown_kind_an_empty_or_unreadable_body_are_refused() {
        let errors = parse_letter(&fields("will", "", "", "", "")).unwrap_err();
        assert!(errors.get("kind").is_some() && errors.get("body") == Some("Write what the letter says."));
        let errors = parse_letter(&fields("fitness", "", "Fit\u{0}", "", "")).unwrap_err();
        assert!(errors.get("body").is_some_and(|m| m.contains("NUL")));
        let long = "x".repeat(BODY_MAX_CHARS + 1);
        assert!(parse_letter(&fields("fitness", "", &long, "", "")).is_err());
    }
}
