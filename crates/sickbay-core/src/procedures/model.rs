//! Procedures as rules: the catalogue's entries (a name unique in any case, a price in the clinic's currency,
//! active or not), the note a procedure is recorded with, and what the visit's section may do.

use crate::db::{Money, Timestamp};
use crate::validation::{FieldErrors, forbidden_character, forbidden_message};

/// A procedure of the catalogue.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProcedureType {
    pub id: i64,
    pub name: String,
    pub price: Money,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub updated_at: Timestamp,
}

/// A procedure done in a visit, with who did it and when.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VisitProcedure {
    pub id: i64,
    pub visit_id: i64,
    pub procedure_type_id: i64,
    pub name: String,
    pub price: Money,
    pub note: String,
    pub performed_by: i64,
    pub performed_by_name: String,
    pub performed_at: Timestamp,
}

/// The longest name of a procedure, and of the note it is recorded with.
pub const NAME_MAX_CHARS: usize = 100;
pub const NOTE_MAX_CHARS: usize = 500;

/// A catalogue entry as the admin's form sent it, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcedureInput {
    pub name: String,
    pub price: Money,
    pub active: bool,
}

impl ProcedureInput {
    /// Checks the form: a name of 2 to 100 characters on one line (spaces collapsed), a price of zero or more
    /// in the currency's `minor_digits` decimals.
    pub fn validate(name: &str, price: &str, active: bool, minor_digits: u32) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_name(name));
        let price = errors.check("price", parse_price(price, minor_digits));
        match (name, price) {
            (Some(name), Some(price)) if errors.is_empty() => Ok(ProcedureInput { name, price, active }),
            _ => Err(errors),
        }
    }
}

pub fn parse_name(text: &str) -> Result<String, String> {
    if let Some(c) = forbidden_character(text, false) {
        return Err(forbidden_message("The name", c));
    }
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err("Enter the procedure's name, e.g. Wound dressing.".into()),
        1 => Err("A procedure's name has at least 2 characters.".into()),
        n if n > NAME_MAX_CHARS => Err(format!("Keep the name to {NAME_MAX_CHARS} characters or fewer.")),
        _ => Ok(name),
    }
}

/// A price as typed: zero or more, up to the one limit of every amount (`validation::parse_money`).
pub fn parse_price(text: &str, minor_digits: u32) -> Result<Money, String> {
    crate::validation::parse_money(text, minor_digits).map_err(|err| match err {
        crate::validation::MoneyError::Empty => "Enter the price (0 if it is free).".into(),
        crate::validation::MoneyError::Negative => "A price can't be negative.".into(),
        other => other.message(minor_digits),
    })
}

/// The note a procedure is recorded with: optional, line breaks allowed.
pub fn parse_note(text: &str) -> Result<String, String> {
    let note = text.trim();
    if let Some(c) = forbidden_character(note, true) {
        return Err(forbidden_message("The note", c));
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(format!("Keep the note to {NOTE_MAX_CHARS} characters or fewer."));
    }
    Ok(note.to_owned())
}

/// What the section of the consultation screen shows and allows.
#[derive(Clone, Debug, Default)]
pub struct VisitProcedures {
    pub visit_id: i64,
    pub done: Vec<VisitProcedure>,
    /// The active catalogue, to choose from (empty when nothing may be recorded).
    pub catalogue: Vec<ProcedureType>,
    /// The visit's doctor, while the visit is open.
    pub can_record: bool,
    pub errors: FieldErrors,
    /// What a refused form sent.
    pub chosen: Option<i64>,
    pub note: String,
    /// The record form's one-time id (`db::form_ids`), fresh each time the section is shown.
    pub form_id: String,
}

impl VisitProcedures {
    pub fn is_chosen(&self, id: &i64) -> bool {
        self.chosen == Some(*id)
    }

    /// Removing is recording undone: allowed to whom may record, while the visit is open.
    pub fn can_remove(&self) -> bool {
        self.can_record
    }

    pub fn action(&self) -> String {
        format!("/visits/{}/procedures", self.visit_id)
    }

    pub fn remove_action(&self, done: &VisitProcedure) -> String {
        format!("/visits/{}/procedures/{}/remove", self.visit_id, done.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Wound   dressing "), Ok("Wound dressing".to_owned()));
        assert!(parse_name("").is_err());
        assert!(parse_name("   ").is_err());
        assert!(parse_name("x").is_err());
        assert!(parse_name(&"a".repeat(101)).is_err());
        assert!(parse_name(&"a".repeat(100)).is_ok());
        assert!(parse_name("Suture\u{7}").is_err());
        assert!(parse_name("Ear\nsyringing").is_err());
        assert_eq!(parse_name("Incision & drainage"), Ok("Incision & drainage".to_owned()));
    }

    #[test]
    fn prices_follow_the_currency_digits() {
        assert_eq!(parse_price("1,500", 2), Ok(Money(150_000)));
        assert_eq!(parse_price("1500.50", 2), Ok(Money(150_050)));
        assert_eq!(parse_price("0", 2), Ok(Money(0)));
        assert_eq!(parse_price("2500", 0), Ok(Money(2500)));
        assert!(parse_price("2500.5", 0).is_err());
        assert!(parse_price("", 2).is_err());
        assert!(parse_price("abc", 2).is_err());
        assert!(parse_price("-5", 2).is_err());
        assert!(parse_price("1.234", 2).is_err());
        assert!(parse_price("100000001", 2).is_err());
        assert!(parse_price("100000000", 2).is_ok());
        assert!(parse_price("100000000.01", 2).is_err(), "a cent above the limit");
    }

    #[test]
    fn a_form_reports_every_bad_field() {
        let errors = ProcedureInput::validate("", "x", true, 2).expect_err("invalid");
        assert!(errors.get("name").is_some());
        assert!(errors.get("price").is_some());
        let ok = ProcedureInput::validate("Nebulisation", "1200", false, 2).expect("valid");
        assert_eq!(
            ok,
            ProcedureInput {
                name: "Nebulisation".into(),
                price: Money(120_000),
                active: false
            }
        );
    }

    #[test]
    fn notes_are_optional_multi_line_and_bounded() {
        assert_eq!(parse_note("  "), Ok(String::new()));
        assert_eq!(
            parse_note("left forearm\n3 sutures"),
            Ok("left forearm\n3 sutures".to_owned())
        );
        assert!(parse_note(&"n".repeat(501)).is_err());
        assert!(parse_note("bad\u{0}").is_err());
    }
}
