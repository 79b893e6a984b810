//! Patients: the kinds of patient, the rules for their numbers, names and contact details, the search
//! text, and duplicate detection. Pure functions, unit-tested; SQL lives in `repo`.

use crate::outbox::model::ContactBy;
use crate::tone::Tone;
use chrono::NaiveDate;
use regex::Regex;

use crate::academic::model::{AcademicOptions, StudyIds};
use crate::db::form_ids::{FIELD as FORM_FIELD, FormKey};
use crate::db::types::InvalidValue;
use crate::db::{Date, Flag, Timestamp};
use crate::identity;
use crate::staff::model::parse_email;
use crate::text_enum;
use crate::validation::{FieldErrors, ids_named, parse_id};

text_enum! {
    pub enum PatientKind {
        Student => "student",
        Staff => "staff",
        Dependant => "dependant",
        Visitor => "visitor",
    }
}

impl PatientKind {
    /// Whether a record of this kind has a faculty, department, level and session.
    pub fn has_studies(self) -> bool {
        self == PatientKind::Student
    }

    pub fn label(self) -> &'static str {
        match self {
            PatientKind::Student => "Student",
            PatientKind::Staff => "Staff member",
            PatientKind::Dependant => "Dependant",
            PatientKind::Visitor => "Visitor",
        }
    }
}

text_enum! {
    pub enum Sex {
        Female => "female",
        Male => "male",
    }
}

impl Sex {
    pub fn label(self) -> &'static str {
        match self {
            Sex::Female => "Female",
            Sex::Male => "Male",
        }
    }
}

text_enum! {
    pub enum BloodGroup {
        APos => "A+", ANeg => "A-", BPos => "B+", BNeg => "B-", AbPos => "AB+", AbNeg => "AB-", OPos => "O+", ONeg => "O-",
    }
}

text_enum! {
    pub enum Genotype {
        AA => "AA", AS => "AS", AC => "AC", SS => "SS", SC => "SC", CC => "CC",
    }
}

/// A matric number: trimmed and upper-cased, 4 to 20 characters with at least one digit, matching the
/// clinic's pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatricNumber(String);

impl MatricNumber {
    pub fn parse(text: &str, pattern: &Regex) -> Result<Self, InvalidValue> {
        let matric = text.trim().to_uppercase();
        if matric.is_empty() {
            return Err(InvalidValue("Enter the matric number.".into()));
        }
        let length = matric.chars().count();
        if !(4..=20).contains(&length) || !matric.chars().any(|c| c.is_ascii_digit()) || !pattern.is_match(&matric) {
            let like = super::settings::matric_examples(pattern.as_str())
                .map(|examples| format!(" Numbers here look like {examples}."))
                .unwrap_or_default();
            return Err(InvalidValue(format!(
                "{matric:?} is not a matric number in this university's format.{like}"
            )));
        }
        Ok(MatricNumber(matric))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `SB-2026-00042`: the year of registration and its running number.
pub fn clinic_number(year: i32, sequence: i64) -> String {
    format!("SB-{year}-{sequence:05}")
}

pub fn clinic_number_sequence(year: i32) -> String {
    format!("clinic_number:{year}")
}

/// Whether text looks like a clinic number (for telling login identifiers apart).
pub fn looks_like_clinic_number(text: &str) -> bool {
    let upper = text.trim().to_uppercase();
    let mut parts = upper.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("SB"), Some(year), Some(n), None)
            if year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
    )
}

/// A phone number as typed, kept readable: `+` and digits only, 7 to 15 digits. Empty means none.
pub fn parse_phone(text: &str) -> Result<Option<String>, InvalidValue> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let bad =
        || InvalidValue("Enter a phone number of 7 to 15 digits, e.g. 0803 123 4567 or +234 803 123 4567.".into());
    let allowed = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !allowed || trimmed[1..].contains('+') || !(7..=15).contains(&digits.len()) {
        return Err(bad());
    }
    Ok(Some(if plus { format!("+{digits}") } else { digits }))
}

/// The characters of a name as a person counts them: a letter with its accents is one (`Ọ̀` is O, a dot
/// below and a grave accent: three code points, one letter), whether it was typed composed or not.
pub fn letters(name: &str) -> usize {
    use unicode_normalization::UnicodeNormalization;
    name.nfc()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .count()
}

/// The most code points a name of `max` letters may hold: room for a few accents on every letter, and no more
/// (a letter under hundreds of combining marks is not a name).
pub fn name_code_points(max: usize) -> usize {
    max * 4
}

/// One name: collapsed spaces, composed (NFC), 1 to `max` letters counted as people count them (see
/// [`letters`]; 0 allowed when `optional`).
pub fn parse_name(text: &str, what: &str, max: usize, optional: bool) -> Result<String, InvalidValue> {
    use unicode_normalization::UnicodeNormalization;
    let name: String = text.split_whitespace().collect::<Vec<_>>().join(" ").nfc().collect();
    let length = letters(&name);
    if length == 0 && !optional {
        return Err(InvalidValue(format!("Enter the {what}.")));
    }
    if length > max || name.chars().count() > name_code_points(max) {
        return Err(InvalidValue(format!("Keep the {what} to {max} characters or fewer.")));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidValue(format!(
            "The {what} contains characters that can't be stored."
        )));
    }
    Ok(name)
}

/// Free text such as allergies or an address: at most `max` characters, line breaks allowed.
pub fn parse_note(text: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    let note = text.trim().replace("\r\n", "\n");
    if note.chars().count() > max {
        return Err(InvalidValue(format!("Keep the {what} to {max} characters or fewer.")));
    }
    Ok(note)
}

/// The longest note of allergies, or of chronic conditions.
pub const ALERTS_MAX: usize = 1000;

/// What a doctor must know before treating: the patient's allergies and chronic conditions, as written (empty:
/// none recorded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClinicalAlerts {
    pub allergies: String,
    pub chronic_conditions: String,
}

impl ClinicalAlerts {
    /// Both notes as typed, or a message beside each that is too long.
    pub fn parse(allergies: &str, chronic_conditions: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let allergies = e.check("allergies", parse_note(allergies, "allergies", ALERTS_MAX));
        let chronic_conditions = e.check(
            "chronic_conditions",
            parse_note(chronic_conditions, "chronic conditions", ALERTS_MAX),
        );
        match (allergies, chronic_conditions) {
            (Some(allergies), Some(chronic_conditions)) => Ok(ClinicalAlerts {
                allergies,
                chronic_conditions,
            }),
            _ => Err(e),
        }
    }
}

/// A date of birth: a real date, not in the future, not before 1900.
pub fn parse_date_of_birth(text: &str, today: NaiveDate) -> Result<Date, InvalidValue> {
    if text.trim().is_empty() {
        return Err(InvalidValue("Enter the date of birth.".into()));
    }
    let date = Date::parse(text)?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if date.0 > today || date.0 < earliest {
        return Err(InvalidValue("The date of birth must be between 1900 and today.".into()));
    }
    Ok(date)
}

fn parse_optional<T: std::str::FromStr>(text: &str, what: &str) -> Result<Option<T>, InvalidValue> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<T>()
        .map(Some)
        .map_err(|_| InvalidValue(format!("Choose a {what} from the list.")))
}

/// The patient form as typed (staff registration and edit). Every field is text, so a bad value is
/// reported beside its field rather than failing the whole request.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PatientForm {
    pub kind: String,
    pub matric_number: String,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: String,
    pub date_of_birth: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: String,
    pub blood_group: String,
    pub genotype: String,
    pub allergies: String,
    pub chronic_conditions: String,
    pub faculty_id: String,
    pub department_id: String,
    pub level_id: String,
    pub session_id: String,
    /// Ticked when staff confirm the patient is not one of the possible duplicates shown.
    pub not_a_duplicate: String,
    /// `updated_at` of the record the edit form was loaded from.
    pub version: String,
    /// The registration form's one-time id (`db::form_ids`).
    pub form_id: String,
}

/// A validated patient record (without its numbers and portal fields).
#[derive(Clone, Debug, PartialEq)]
pub struct PatientDetails {
    pub kind: PatientKind,
    pub matric_number: Option<MatricNumber>,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: Option<Sex>,
    pub date_of_birth: Option<Date>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: String,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: String,
    pub blood_group: Option<BloodGroup>,
    pub genotype: Option<Genotype>,
    pub allergies: String,
    pub chronic_conditions: String,
    pub faculty_id: Option<i64>,
    pub department_id: Option<i64>,
    pub level_id: Option<i64>,
    pub session_id: Option<i64>,
}

impl PatientDetails {
    /// A record with just a kind and a name; every other field empty (for self-registration and imports,
    /// which fill in what they know with struct-update syntax).
    pub fn new(kind: PatientKind, first_name: String, surname: String) -> Self {
        PatientDetails {
            kind,
            matric_number: None,
            first_name,
            surname,
            other_names: String::new(),
            sex: None,
            date_of_birth: None,
            phone: None,
            email: None,
            address: String::new(),
            emergency_name: String::new(),
            emergency_phone: String::new(),
            emergency_relationship: String::new(),
            blood_group: None,
            genotype: None,
            allergies: String::new(),
            chronic_conditions: String::new(),
            faculty_id: None,
            department_id: None,
            level_id: None,
            session_id: None,
        }
    }
}

/// The portal fields of a new record: its password (a hash, or none yet), whether it must be changed at
/// first login, and whether the clinic approved the account.
pub struct PortalAccess<'a> {
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub approved: bool,
}

/// The fields of a student's record that the student import reads and may change, with the numbers that
/// name the student.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct StudentRecord {
    pub id: i64,
    pub clinic_number: String,
    pub matric_number: String,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: Option<Sex>,
    pub date_of_birth: Option<Date>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub faculty_id: Option<i64>,
    pub department_id: Option<i64>,
    pub level_id: Option<i64>,
}

impl PatientForm {
    /// Checks every field. `academic` holds the choices; `keep` are ids the record already points at,
    /// which stay valid even if deactivated since.
    pub fn validate(
        &self,
        matric_pattern: &Regex,
        academic: &AcademicOptions,
        today: NaiveDate,
        keep: [Option<i64>; 4],
    ) -> Result<PatientDetails, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.check(
            "kind",
            self.kind
                .parse::<PatientKind>()
                .map_err(|_| InvalidValue("Choose the kind of patient.".into())),
        );
        let matric_number = match (kind, self.matric_number.trim().is_empty()) {
            (Some(PatientKind::Student), _) => e
                .check(
                    "matric_number",
                    MatricNumber::parse(&self.matric_number, matric_pattern),
                )
                .map(Some),
            (_, true) => Some(None),
            (_, false) => {
                e.add("matric_number", "Only students have a matric number.");
                None
            }
        };
        let first_name = e.check("first_name", parse_name(&self.first_name, "first name", 60, false));
        let surname = e.check("surname", parse_name(&self.surname, "surname", 60, false));
        let other_names = e.check("other_names", parse_name(&self.other_names, "other names", 100, true));
        let sex = e.check(
            "sex",
            self.sex
                .parse::<Sex>()
                .map_err(|_| InvalidValue("Choose female or male.".into())),
        );
        let date_of_birth = e.check("date_of_birth", parse_date_of_birth(&self.date_of_birth, today));
        let phone = e.check("phone", parse_phone(&self.phone));
        let email = e.check("email", parse_email(&self.email));
        let address = e.check("address", parse_note(&self.address, "address", 300));
        let emergency_name = e.check(
            "emergency_name",
            parse_name(&self.emergency_name, "contact's name", 100, true),
        );
        let emergency_phone = e
            .check("emergency_phone", parse_phone(&self.emergency_phone))
            .map(Option::unwrap_or_default);
        let emergency_relationship = e.check(
            "emergency_relationship",
            parse_name(&self.emergency_relationship, "relationship", 40, true),
        );
        let blood_group = e.check(
            "blood_group",
            parse_optional::<BloodGroup>(&self.blood_group, "blood group"),
        );
        let genotype = e.check("genotype", parse_optional::<Genotype>(&self.genotype, "genotype"));
        let allergies = e.check("allergies", parse_note(&self.allergies, "allergies", ALERTS_MAX));
        let chronic_conditions = e.check(
            "chronic_conditions",
            parse_note(&self.chronic_conditions, "chronic conditions", ALERTS_MAX),
        );
        let [faculty_id, department_id, level_id, session_id] = self.academic_ids(kind, academic, keep, &mut e);
        if !e.is_empty() {
            return Err(e);
        }
        match (
            kind,
            matric_number,
            first_name,
            surname,
            other_names,
            sex,
            date_of_birth,
            phone,
            email,
        ) {
            (
                Some(kind),
                Some(matric_number),
                Some(first_name),
                Some(surname),
                Some(other_names),
                Some(sex),
                Some(date_of_birth),
                Some(phone),
                Some(email),
            ) => Ok(PatientDetails {
                kind,
                matric_number,
                first_name,
                surname,
                other_names,
                sex: Some(sex),
                date_of_birth: Some(date_of_birth),
                phone,
                email,
                address: address.unwrap_or_default(),
                emergency_name: emergency_name.unwrap_or_default(),
                emergency_phone: emergency_phone.unwrap_or_default(),
                emergency_relationship: emergency_relationship.unwrap_or_default(),
                blood_group: blood_group.flatten(),
                genotype: genotype.flatten(),
                allergies: allergies.unwrap_or_default(),
                chronic_conditions: chronic_conditions.unwrap_or_default(),
                faculty_id,
                department_id,
                level_id,
                session_id,
            }),
            _ => Err(e),
        }
    }

    /// Faculty, department, level and session: only for students, each one that exists and is offered (or
    /// already on the record), and the department inside the faculty.
    fn academic_ids(
        &self,
        kind: Option<PatientKind>,
        academic: &AcademicOptions,
        keep: [Option<i64>; 4],
        e: &mut FieldErrors,
    ) -> [Option<i64>; 4] {
        if kind != Some(PatientKind::Student) {
            return [None; 4];
        }
        let usable = |id: i64, active: Option<bool>, kept: Option<i64>| active == Some(true) || kept == Some(id);
        let faculty = parse_id(&self.faculty_id);
        let department = parse_id(&self.department_id);
        let level = parse_id(&self.level_id);
        let session = parse_id(&self.session_id);
        let check = |e: &mut FieldErrors,
                     field: &'static str,
                     raw: &str,
                     id: Option<i64>,
                     active: Option<bool>,
                     kept: Option<i64>,
                     what: &str| {
            match id {
                None if raw.trim().is_empty() => None,
                Some(id) if usable(id, active, kept) => Some(id),
                _ => {
                    e.add(field, format!("Choose a {what} from the list."));
                    None
                }
            }
        };
        let faculty_active = faculty
            .and_then(|id| academic.faculties.iter().find(|f| f.id == id))
            .map(|f| f.active);
        let department_row = department.and_then(|id| academic.departments.iter().find(|d| d.id == id));
        let level_active = level
            .and_then(|id| academic.levels.iter().find(|l| l.id == id))
            .map(|l| l.active);
        let session_active = session
            .and_then(|id| academic.sessions.iter().find(|s| s.id == id))
            .map(|s| s.active);
        let faculty = check(
            e,
            "faculty_id",
            &self.faculty_id,
            faculty,
            faculty_active,
            keep[0],
            "faculty",
        );
        let department = check(
            e,
            "department_id",
            &self.department_id,
            department,
            department_row.map(|d| d.active),
            keep[1],
            "department",
        );
        if let (Some(_), Some(row)) = (department, department_row)
            && faculty != Some(row.faculty_id)
        {
            e.add("department_id", "This department is not in the chosen faculty.");
        }
        let level = check(e, "level_id", &self.level_id, level, level_active, keep[2], "level");
        let session = check(
            e,
            "session_id",
            &self.session_id,
            session,
            session_active,
            keep[3],
            "session",
        );
        [faculty, department, level, session]
    }
}

/// The search tokens of a patient: each word of their names, their matric and clinic numbers whole and in
/// parts (with and without leading zeros), and the last ten digits of their phone (so
/// `0803…` finds `+234803…`). Folded (see [`fold`]), letters and digits only.
pub fn search_tokens(
    first_name: &str,
    surname: &str,
    other_names: &str,
    matric: Option<&str>,
    clinic: &str,
    phone: Option<&str>,
) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for name in [first_name, surname, other_names] {
        tokens.extend(words(name));
    }
    for number in [matric.unwrap_or(""), clinic] {
        tokens.push(squeeze(number));
        for part in words(number) {
            // Typed numbers lose their leading zeros (see `search_terms`), so keep the part both ways.
            tokens.push(part.trim_start_matches('0').to_owned());
            tokens.push(part);
        }
    }
    let digits: String = phone.unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    tokens.push(digits[digits.len().saturating_sub(10)..].to_owned());
    tokens.retain(|t| !t.is_empty());
    tokens.sort();
    tokens.dedup();
    tokens
}

pub use crate::validation::fold;

/// The letters and digits of `text`, folded, everything else dropped.
fn squeeze(text: &str) -> String {
    fold(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The parts of `text` between anything that is not a letter or digit, folded.
fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The terms of a search, each the beginning of some token: at most five words, split and squeezed like
/// tokens (`CSC/19/1234` is `csc`, `19` and `1234`, all of which the student's tokens have). A query
/// that is all digits (a phone number, spaces allowed) is one term without its leading zeros or country code
/// prefix, to match the last ten digits kept for phones.
pub fn search_terms(query: &str) -> Vec<String> {
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    let phone_like = digits.len() >= 7 && query.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if phone_like {
        return vec![phone_term(&digits)];
    }
    words(query)
        .into_iter()
        .map(|w| {
            if w.len() >= 7 && w.chars().all(|c| c.is_ascii_digit()) {
                phone_term(&w)
            } else {
                w
            }
        })
        .take(5)
        .collect()
}

/// A phone number as searched: its last ten digits without leading zeros (`08031234567` → `8031234567`).
fn phone_term(digits: &str) -> String {
    digits[digits.len().saturating_sub(10)..]
        .trim_start_matches('0')
        .to_owned()
}

/// The token range a term matches: from the term itself up to (not including) the term followed by the last
/// Unicode character, which sorts after every character a token holds byte-wise (the token column compares
/// byte-wise on both databases).
pub fn prefix_range(term: &str) -> (String, String) {
    (term.to_owned(), format!("{term}{}", char::MAX))
}

/// The version of the rules above. Raised whenever they change, so existing tokens are made again once at start.
pub const SEARCH_TOKENS_VERSION: i64 = 2;

/// A whole patient record.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Patient {
    pub id: i64,
    pub clinic_number: String,
    pub kind: PatientKind,
    pub matric_number: Option<String>,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: Option<Sex>,
    pub date_of_birth: Option<Date>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: String,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: String,
    pub blood_group: Option<BloodGroup>,
    pub genotype: Option<Genotype>,
    pub allergies: String,
    pub chronic_conditions: String,
    pub faculty_id: Option<i64>,
    pub department_id: Option<i64>,
    pub level_id: Option<i64>,
    pub session_id: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub has_password: bool,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "Flag")]
    pub approved: bool,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Flag")]
    pub has_photo: bool,
    /// How the clinic reaches them outside the building.
    pub contact_by: ContactBy,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a patient stands with the student portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortalStanding {
    NotYet,
    /// Registered online; the clinic has not approved them yet.
    AwaitingApproval,
    /// Given a password by staff, to be changed at the next login.
    MustChangePassword,
    Active,
}

impl PortalStanding {
    pub fn of(has_password: bool, approved: bool, must_change_password: bool) -> Self {
        match (has_password, approved) {
            (false, _) => PortalStanding::NotYet,
            (true, false) => PortalStanding::AwaitingApproval,
            (true, true) if must_change_password => PortalStanding::MustChangePassword,
            (true, true) => PortalStanding::Active,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PortalStanding::NotYet => "No portal access yet",
            PortalStanding::AwaitingApproval => "Registered online; waiting for approval",
            PortalStanding::MustChangePassword => "Must choose a new password at next login",
            PortalStanding::Active => "Active",
        }
    }

    /// Only an online registration asks the desk for something (an approval).
    pub fn tone(self) -> Tone {
        match self {
            PortalStanding::NotYet => Tone::Quiet,
            PortalStanding::AwaitingApproval => Tone::Warn,
            PortalStanding::MustChangePassword => Tone::Info,
            PortalStanding::Active => Tone::Good,
        }
    }
}

impl Patient {
    pub fn portal_standing(&self) -> PortalStanding {
        PortalStanding::of(self.has_password, self.approved, self.must_change_password)
    }

    pub fn full_name(&self) -> String {
        identity::full_name(&self.first_name, &self.other_names, &self.surname)
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        age(self.date_of_birth, today)
    }

    /// What a doctor reads doses and ranges against and the record lacks (a walk-in added by name alone), in
    /// words, until someone fills it in.
    pub fn missing_facts(&self) -> Option<&'static str> {
        missing_facts(self.sex.is_some(), self.date_of_birth.is_some())
    }

    /// The record's faculty, department, level and session.
    pub fn study_ids(&self) -> StudyIds {
        StudyIds {
            faculty: self.faculty_id,
            department: self.department_id,
            level: self.level_id,
            session: self.session_id,
        }
    }

    /// The form pre-filled with this record, for editing.
    pub fn to_form(&self) -> PatientForm {
        let id = |id: Option<i64>| id.map(|v| v.to_string()).unwrap_or_default();
        PatientForm {
            kind: self.kind.as_str().to_owned(),
            matric_number: self.matric_number.clone().unwrap_or_default(),
            first_name: self.first_name.clone(),
            surname: self.surname.clone(),
            other_names: self.other_names.clone(),
            sex: self.sex.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            date_of_birth: self.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            address: self.address.clone(),
            emergency_name: self.emergency_name.clone(),
            emergency_phone: self.emergency_phone.clone(),
            emergency_relationship: self.emergency_relationship.clone(),
            blood_group: self.blood_group.map(|b| b.as_str().to_owned()).unwrap_or_default(),
            genotype: self.genotype.map(|g| g.as_str().to_owned()).unwrap_or_default(),
            allergies: self.allergies.clone(),
            chronic_conditions: self.chronic_conditions.clone(),
            faculty_id: id(self.faculty_id),
            department_id: id(self.department_id),
            level_id: id(self.level_id),
            session_id: id(self.session_id),
            not_a_duplicate: String::new(),
            version: self.updated_at.millis().to_string(),
            form_id: String::new(),
        }
    }
}

/// A row of search results or a possible duplicate.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PatientSummary {
    pub id: i64,
    pub clinic_number: String,
    pub matric_number: Option<String>,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub date_of_birth: Option<Date>,
    pub phone: Option<String>,
    pub kind: PatientKind,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

impl PatientSummary {
    /// Surname first: search results and lists are sorted by surname.
    pub fn list_name(&self) -> String {
        identity::list_name(&self.first_name, &self.other_names, &self.surname)
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        age(self.date_of_birth, today)
    }
}

/// Age in whole years on `today`, from a date of birth.
pub fn age(date_of_birth: Option<Date>, today: NaiveDate) -> Option<u32> {
    date_of_birth.and_then(|dob| today.years_since(dob.0))
}

/// What a patient may change about themselves on the portal: how to reach them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactForm {
    pub phone: String,
    pub email: String,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: String,
    pub contact_by: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContactDetails {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub emergency_relationship: String,
    /// `None` keeps the choice on record.
    pub contact_by: Option<ContactBy>,
}

impl ContactForm {
    pub fn validate(&self) -> Result<ContactDetails, FieldErrors> {
        let mut e = FieldErrors::default();
        let phone = e.check("phone", parse_phone(&self.phone));
        let email = e.check("email", parse_email(&self.email));
        let emergency_name = e.check(
            "emergency_name",
            parse_name(&self.emergency_name, "contact's name", 100, true),
        );
        let emergency_phone = e.check("emergency_phone", parse_phone(&self.emergency_phone));
        let emergency_relationship = e.check(
            "emergency_relationship",
            parse_name(&self.emergency_relationship, "relationship", 40, true),
        );
        // A form without the choice (an older page) keeps the one on record.
        let contact_by = match self.contact_by.trim() {
            "" => Some(None),
            choice => e.check("contact_by", choice.parse::<ContactBy>()).map(Some),
        };
        if let (Some(Some(contact_by)), Some(phone), Some(email)) = (contact_by, &phone, &email)
            && let Err(message) = reachable(contact_by, phone.as_deref(), email.as_deref())
        {
            e.add("contact_by", message);
        }
        match (
            phone,
            email,
            emergency_name,
            emergency_phone,
            emergency_relationship,
            contact_by,
        ) {
            (
                Some(phone),
                Some(email),
                Some(emergency_name),
                Some(emergency_phone),
                Some(emergency_relationship),
                Some(contact_by),
            ) if e.is_empty() => Ok(ContactDetails {
                phone,
                email,
                emergency_name,
                emergency_phone: emergency_phone.unwrap_or_default(),
                emergency_relationship,
                contact_by,
            }),
            _ => Err(e),
        }
    }
}

/// Whether the way a patient chose to be reached has an address to go to.
pub fn reachable(contact_by: ContactBy, phone: Option<&str>, email: Option<&str>) -> Result<(), &'static str> {
    match contact_by {
        ContactBy::Email if email.is_none() => Err("Add your email address above, or choose another way."),
        ContactBy::Sms if phone.is_none() => Err("Add your phone number above, or choose another way."),
        _ => Ok(()),
    }
}

// == Portal password sheet ==

/// The most students one sheet of one-time portal passwords is for (hashing each takes a moment, and a sheet
/// is printed and handed out by hand).
pub const SHEET_CAP: usize = 200;

/// The selection page's filter: which students the sheet is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetFilter {
    pub faculty_id: Option<i64>,
    pub department_id: Option<i64>,
    pub level_id: Option<i64>,
    /// Only students who have no portal password yet (the default).
    pub without_access: bool,
}

/// The filter as the page's GET form sends it. An unticked box sends nothing, so `filtered` (a hidden field)
/// tells "unticked" from "first visit", where "only those without portal access" is on.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SheetFilterQuery {
    #[serde(default)]
    pub faculty: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub without_access: String,
    #[serde(default)]
    pub filtered: String,
}

impl SheetFilterQuery {
    /// The filter the issue form carries along (hidden fields), so a refused form shows the same students.
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let mut query = SheetFilterQuery::default();
        for (name, value) in fields {
            let slot = match name.as_str() {
                "faculty" => &mut query.faculty,
                "department" => &mut query.department,
                "level" => &mut query.level,
                "without_access" => &mut query.without_access,
                "filtered" => &mut query.filtered,
                _ => continue,
            };
            value.clone_into(slot);
        }
        query
    }

    pub fn filter(&self) -> SheetFilter {
        SheetFilter {
            faculty_id: parse_id(&self.faculty),
            department_id: parse_id(&self.department),
            level_id: parse_id(&self.level),
            without_access: self.filtered.is_empty() || !self.without_access.is_empty(),
        }
    }
}

/// A student as the selection page lists them and the sheet prints them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SheetStudent {
    pub id: i64,
    pub clinic_number: String,
    pub matric_number: Option<String>,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub kind: PatientKind,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Flag")]
    pub has_password: bool,
}

impl SheetStudent {
    pub fn list_name(&self) -> String {
        identity::list_name(&self.first_name, &self.other_names, &self.surname)
    }

    pub fn full_name(&self) -> String {
        identity::full_name(&self.first_name, &self.other_names, &self.surname)
    }

    /// Who can get a one-time password on a sheet: an active student with a matric number to log in with.
    pub fn eligible(&self) -> bool {
        self.kind == PatientKind::Student && self.active && self.matric_number.is_some()
    }
}

/// The issue form: the ticked students, the form's one-time id (the shared guard of `db::form_ids`; required here,
/// since a sheet issued twice would make the first one's passwords useless), and whether staff confirmed
/// replacing existing passwords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRequest {
    pub ids: Vec<i64>,
    pub form: FormKey,
    pub replace: bool,
}

impl SheetRequest {
    /// The ticked ids that are ids at all, to tick them again on a refused form.
    pub fn ticked(fields: &[(String, String)]) -> Vec<i64> {
        ids_named(fields, "id")
    }

    /// Reads the posted fields (`id` repeated once per ticked student). `Err` says what is wrong.
    pub fn parse(fields: &[(String, String)]) -> Result<Self, String> {
        let mut ids = Vec::new();
        let mut form = None;
        let mut replace = false;
        for (name, value) in fields {
            match name.as_str() {
                "id" => {
                    let id = parse_id(value).ok_or_else(|| format!("“{value}” is not a patient's id."))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                FORM_FIELD => form = FormKey::parse(value).ok().flatten(),
                "replace" => replace = !value.is_empty(),
                _ => {}
            }
        }
        let Some(form) = form else {
            return Err("The form is missing its one-time id. Open the selection page again.".into());
        };
        if ids.is_empty() {
            return Err("Tick at least one student.".into());
        }
        if ids.len() > SHEET_CAP {
            return Err(format!("One sheet is for at most {SHEET_CAP} students; tick fewer."));
        }
        Ok(SheetRequest { ids, form, replace })
    }
}

/// Why a sheet can't be issued for the chosen students as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetRefusal {
    /// Some ids are not (or no longer) active students with a matric number: what they are, for the message.
    NotStudents(Vec<String>),
    /// Some already have a password, and staff did not confirm replacing it: how many.
    NeedsConfirmation(usize),
}

impl std::fmt::Display for SheetRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SheetRefusal::NotStudents(who) => write!(
                f,
                "Nothing was issued: {} of the chosen records {} not an active student with a matric number ({}).",
                who.len(),
                if who.len() == 1 { "is" } else { "are" },
                who.join(", ")
            ),
            SheetRefusal::NeedsConfirmation(n) => write!(
                f,
                "This replaces the passwords of {n} {} who {} one. To go on, tick the box that says so above \
                 the button, or untick them.",
                if *n == 1 { "student" } else { "students" },
                if *n == 1 { "has" } else { "have" }
            ),
        }
    }
}

/// The rule for a sheet: every chosen id is an eligible student (all or nothing), and existing passwords are
/// replaced only when staff confirmed it.
pub fn check_sheet(request: &SheetRequest, found: &[SheetStudent]) -> Result<(), SheetRefusal> {
    let not_students: Vec<String> = request
        .ids
        .iter()
        .filter_map(|id| match found.iter().find(|s| s.id == *id) {
            None => Some(format!("no patient has the id {id}")),
            Some(s) if !s.eligible() => Some(format!("{} ({})", s.full_name(), s.clinic_number)),
            Some(_) => None,
        })
        .collect();
    if !not_students.is_empty() {
        return Err(SheetRefusal::NotStudents(not_students));
    }
    let with_password = found
        .iter()
        .filter(|s| s.has_password && request.ids.contains(&s.id))
        .count();
    if with_password > 0 && !request.replace {
        return Err(SheetRefusal::NeedsConfirmation(with_password));
    }
    Ok(())
}

/// [`Patient::missing_facts`], from whether the record has a sex and a date of birth.
pub fn missing_facts(has_sex: bool, has_birth_date: bool) -> Option<&'static str> {
    match (has_sex, has_birth_date) {
        (true, true) => None,
        (false, false) => Some("Sex and date of birth not recorded"),
        (false, true) => Some("Sex not recorded"),
        (true, false) => Some("Date of birth not recorded"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_record_without_sex_or_birth_date_says_which_is_missing() {
        assert_eq!(super::missing_facts(true, true), None);
        assert_eq!(
            super::missing_facts(false, false),
            Some("Sex and date of birth not recorded")
        );
        assert_eq!(super::missing_facts(false, true), Some("Sex not recorded"));
        assert_eq!(super::missing_facts(true, false), Some("Date of birth not recorded"));
    }

    #[test]
    fn portal_standing_follows_password_approval_and_reset() {
        assert_eq!(PortalStanding::of(false, true, false), PortalStanding::NotYet);
        assert_eq!(PortalStanding::of(true, false, false), PortalStanding::AwaitingApproval);
        assert_eq!(PortalStanding::of(true, true, true), PortalStanding::MustChangePassword);
        assert_eq!(PortalStanding::of(true, true, false), PortalStanding::Active);
        assert_eq!(PortalStanding::AwaitingApproval.tone(), Tone::Warn);
    }

    use super::*;
    use crate::academic::model::{Department, Faculty};
    use crate::patients::settings::DEFAULT_MATRIC_PATTERN;

    fn pattern() -> Regex {
        Regex::new(DEFAULT_MATRIC_PATTERN).unwrap()
    }

    #[test]
    fn names_are_counted_in_letters_with_their_accents() {
        // Ọ̀ as typed on a Yoruba keyboard: O, combining dot below, combining grave.
        let decomposed = "O\u{0323}\u{0300}";
        assert_eq!((decomposed.chars().count(), letters(decomposed)), (3, 1));
        assert_eq!(letters("Adéwálé"), 7);
        assert_eq!(letters("A\u{0301}de\u{0301}wa\u{0301}le\u{0301}"), 7);
        // Sixty letters, each with two accents: 180 code points, a name of sixty characters.
        let long: String = decomposed.repeat(60);
        let stored = parse_name(&long, "surname", 60, false).expect("sixty letters");
        assert_eq!(letters(&stored), 60);
        assert!(parse_name(&format!("{long}A"), "surname", 60, false).is_err());
        // Typed decomposed, stored composed: é is one code point.
        assert_eq!(parse_name("Ade\u{0301}", "surname", 60, false).unwrap(), "Adé");
        // A letter buried under marks is refused however few letters it has.
        let zalgo = format!("A{}", "\u{0301}".repeat(300));
        assert!(parse_name(&zalgo, "surname", 60, false).is_err());
        assert!(parse_name(&"é".repeat(60), "surname", 60, false).is_ok());
        assert!(parse_name(&"é".repeat(61), "surname", 60, false).is_err());
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn matric_numbers_are_upper_cased_and_checked() {
        assert_eq!(
            MatricNumber::parse(" csc/19/1234 ", &pattern()).unwrap().as_str(),
            "CSC/19/1234"
        );
        for bad in ["", "abc", "CSC//19", "ABCDEFGH", &"1".repeat(21), "19 01 22"] {
            assert!(MatricNumber::parse(bad, &pattern()).is_err(), "{bad:?}");
        }
        let strict = Regex::new(r"^\d{9}$").unwrap();
        assert!(MatricNumber::parse("190401001", &strict).is_ok());
        assert!(MatricNumber::parse("U2019/1", &strict).is_err());
        let department = Regex::new(r"^[A-Z]{2,4}/\d{2}/\d{3,5}$").unwrap();
        assert_eq!(
            MatricNumber::parse("12345", &department).unwrap_err().0,
            "\"12345\" is not a matric number in this university's format. Numbers here look like CSC/19/1234, \
             MCB/23/0006."
        );
    }

    #[test]
    fn clinic_numbers_are_readable_and_recognised() {
        assert_eq!(clinic_number(2026, 42), "SB-2026-00042");
        assert_eq!(clinic_number(2026, 123_456), "SB-2026-123456");
        assert!(looks_like_clinic_number("sb-2026-00042"));
        assert!(!looks_like_clinic_number("SB-26-1"));
        assert!(!looks_like_clinic_number("CSC/19/1234"));
        assert!(!looks_like_clinic_number("SB-2026-"));
    }

    #[test]
    fn phones_keep_plus_and_digits() {
        assert_eq!(parse_phone(" 0803 123 4567 ").unwrap().as_deref(), Some("08031234567"));
        assert_eq!(
            parse_phone("+234 (803) 123-4567").unwrap().as_deref(),
            Some("+2348031234567")
        );
        assert_eq!(parse_phone("").unwrap(), None);
        for bad in ["12345", "0803-CALL-ME", "1+2345678", &"9".repeat(16)] {
            assert!(parse_phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_of_birth_are_in_range() {
        assert!(parse_date_of_birth("2004-05-06", today()).is_ok());
        assert!(parse_date_of_birth("2027-01-01", today()).is_err());
        assert!(parse_date_of_birth("1899-12-31", today()).is_err());
        assert!(parse_date_of_birth("06/05/2004", today()).is_err());
        assert!(parse_date_of_birth("", today()).is_err());
    }

    #[test]
    fn search_finds_names_numbers_and_local_phones() {
        let tokens = search_tokens(
            "Ada",
            "Obi-Eze",
            "Chioma",
            Some("CSC/19/1234"),
            "SB-2026-00001",
            Some("+2348031234567"),
        );
        for token in [
            "ada",
            "obi",
            "eze",
            "chioma",
            "csc191234",
            "csc",
            "19",
            "1234",
            "sb202600001",
            "00001",
            "1",
            "8031234567",
        ] {
            assert!(tokens.contains(&token.to_owned()), "{token} in {tokens:?}");
        }
        assert_eq!(search_terms("OBI  ada x y z w"), ["obi", "ada", "x", "y", "z"]);
        assert_eq!(search_terms("0803 123 4567"), ["8031234567"]);
        assert_eq!(search_terms("+234 803 123 4567"), ["8031234567"]);
        assert_eq!(search_terms("csc/19/1234"), ["csc", "19", "1234"]);
        assert_eq!(search_terms("Obi-Eze"), ["obi", "eze"]);
        assert_eq!(search_terms(" %_ "), Vec::<String>::new());
        let matches = |term: &str| {
            let (low, high) = prefix_range(term);
            tokens.iter().any(|t| *t >= low && *t < high)
        };
        for term in search_terms("chi ob 08031234567 CSC/19/1234 sb-2026-00001 1234 0000001") {
            assert!(matches(&term), "{term}");
        }
        assert!(!matches("hioma"), "terms match the start of a word");
    }

    #[test]
    fn search_ignores_accents_and_keeps_other_scripts() {
        assert_eq!(fold("Adéwálé Ọ̀ṣun"), "adewale osun");
        let tokens = search_tokens("Adéwálé", "Ọ̀ṣun", "Zoë Núñez 李", None, "SB-2026-00002", None);
        let matches = |query: &str| {
            search_terms(query).iter().all(|term| {
                let (low, high) = prefix_range(term);
                tokens.iter().any(|t| *t >= low && *t < high)
            })
        };
        for query in [
            "adewale",
            "osun",
            "ADEWALE OSUN",
            "Ọ̀ṣun",
            "ade os",
            "zoe",
            "nunez",
            "李",
        ] {
            assert!(matches(query), "{query} in {tokens:?}");
        }
        assert!(!matches("adewalex"));
    }

    fn academic() -> AcademicOptions {
        AcademicOptions {
            faculties: vec![
                Faculty {
                    id: 1,
                    name: "Science".into(),
                    code: "SCI".into(),
                    active: true,
                },
                Faculty {
                    id: 2,
                    name: "Arts".into(),
                    code: "ART".into(),
                    active: false,
                },
            ],
            departments: vec![Department {
                id: 10,
                faculty_id: 1,
                name: "Physics".into(),
                code: "PHY".into(),
                active: true,
            }],
            levels: vec![],
            sessions: vec![],
        }
    }

    fn student_form() -> PatientForm {
        PatientForm {
            kind: "student".into(),
            matric_number: "phy/20/0001".into(),
            first_name: "Ada".into(),
            surname: "Obi".into(),
            sex: "female".into(),
            date_of_birth: "2004-05-06".into(),
            faculty_id: "1".into(),
            department_id: "10".into(),
            ..PatientForm::default()
        }
    }

    #[test]
    fn a_complete_student_validates() {
        let details = student_form()
            .validate(&pattern(), &academic(), today(), [None; 4])
            .unwrap();
        assert_eq!(details.matric_number.unwrap().as_str(), "PHY/20/0001");
        assert_eq!((details.faculty_id, details.department_id), (Some(1), Some(10)));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let form = PatientForm {
            kind: "alien".into(),
            sex: "x".into(),
            phone: "12".into(),
            blood_group: "Z".into(),
            ..PatientForm::default()
        };
        let errors = form.validate(&pattern(), &academic(), today(), [None; 4]).unwrap_err();
        for field in [
            "kind",
            "first_name",
            "surname",
            "sex",
            "date_of_birth",
            "phone",
            "blood_group",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn academic_choices_must_exist_be_active_and_match() {
        let mut form = student_form();
        form.faculty_id = "2".into();
        let errors = form.validate(&pattern(), &academic(), today(), [None; 4]).unwrap_err();
        assert!(errors.get("faculty_id").is_some(), "deactivated faculty");
        assert!(
            form.validate(&pattern(), &academic(), today(), [Some(2), None, None, None])
                .is_err(),
            "department outside faculty"
        );
        form.faculty_id = "99".into();
        assert!(
            form.validate(&pattern(), &academic(), today(), [None; 4])
                .unwrap_err()
                .get("faculty_id")
                .is_some()
        );
        let mut visitor = student_form();
        visitor.kind = "visitor".into();
        assert_eq!(
            visitor
                .validate(&pattern(), &academic(), today(), [None; 4])
                .unwrap_err()
                .get("matric_number"),
            Some("Only students have a matric number.")
        );
        visitor.matric_number.clear();
        let details = visitor.validate(&pattern(), &academic(), today(), [None; 4]).unwrap();
        assert_eq!(details.faculty_id, None, "academic data only for students");
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_sheet_filter_starts_with_only_students_without_access() {
        let fresh = SheetFilterQuery::default().filter();
        assert!(fresh.without_access);
        assert_eq!(
            (fresh.faculty_id, fresh.department_id, fresh.level_id),
            (None, None, None)
        );
        let unticked = SheetFilterQuery::from_fields(&fields(&[("filtered", "1"), ("faculty", "3"), ("level", "x")]));
        assert_eq!(
            unticked.filter(),
            SheetFilter {
                faculty_id: Some(3),
                department_id: None,
                level_id: None,
                without_access: false,
            }
        );
        let ticked = SheetFilterQuery::from_fields(&fields(&[("filtered", "1"), ("without_access", "1")]));
        assert!(ticked.filter().without_access);
    }

    #[test]
    fn a_sheet_request_needs_ids_a_token_and_at_most_a_sheet() {
        let request =
            SheetRequest::parse(&fields(&[("id", "4"), ("id", " 2 "), ("id", "4"), ("form_id", TOKEN)])).unwrap();
        assert_eq!(request.ids, [4, 2], "duplicates once");
        assert!(!request.replace);
        assert!(
            SheetRequest::parse(&fields(&[("id", "4"), ("form_id", TOKEN), ("replace", "1")]))
                .unwrap()
                .replace
        );
        for bad in ["x", "0", "-1", "1.5", "99999999999999999999"] {
            let err = SheetRequest::parse(&fields(&[("id", bad), ("form_id", TOKEN)])).unwrap_err();
            assert!(err.contains("not a patient's id"), "{bad}: {err}");
        }
        assert_eq!(
            SheetRequest::parse(&fields(&[("form_id", TOKEN)])).unwrap_err(),
            "Tick at least one student."
        );
        for token in [
            "",
            "short",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert!(
                SheetRequest::parse(&fields(&[("id", "1"), ("form_id", token)])).is_err(),
                "{token}"
            );
        }
        let mut many: Vec<(String, String)> = (1..=SHEET_CAP as i64 + 1)
            .map(|i| ("id".into(), i.to_string()))
            .collect();
        many.push(("form_id".into(), TOKEN.into()));
        assert!(SheetRequest::parse(&many).unwrap_err().contains("at most 200"));
        many.remove(0);
        assert_eq!(SheetRequest::parse(&many).unwrap().ids.len(), SHEET_CAP);
        assert_eq!(
            SheetRequest::ticked(&fields(&[("id", "3"), ("id", "x"), ("form_id", "1")])),
            [3]
        );
    }

    fn student(id: i64, has_password: bool) -> SheetStudent {
        SheetStudent {
            id,
            clinic_number: format!("SB-2026-{id:05}"),
            matric_number: Some(format!("SCI/20/{id:04}")),
            first_name: "Ada".into(),
            surname: "Obi".into(),
            other_names: String::new(),
            kind: PatientKind::Student,
            active: true,
            has_password,
        }
    }

    #[test]
    fn a_sheet_is_for_active_students_only_and_replaces_passwords_when_confirmed() {
        let request = |ids: &[i64], replace| SheetRequest {
            ids: ids.to_vec(),
            form: FormKey::parse(TOKEN).unwrap().unwrap(),
            replace,
        };
        let found = vec![student(1, false), student(2, true)];
        assert_eq!(check_sheet(&request(&[1], false), &found), Ok(()));
        assert_eq!(
            check_sheet(&request(&[1, 2], false), &found),
            Err(SheetRefusal::NeedsConfirmation(1))
        );
        assert_eq!(check_sheet(&request(&[1, 2], true), &found), Ok(()));
        let missing = check_sheet(&request(&[1, 9], true), &found).unwrap_err();
        assert_eq!(
            missing,
            SheetRefusal::NotStudents(vec!["no patient has the id 9".into()])
        );
        let mut visitor = student(3, false);
        visitor.kind = PatientKind::Visitor;
        let mut inactive = student(4, false);
        inactive.active = false;
        let mut no_matric = student(5, false);
        no_matric.matric_number = None;
        let found = vec![student(1, false), visitor, inactive, no_matric];
        let Err(SheetRefusal::NotStudents(who)) = check_sheet(&request(&[1, 3, 4, 5], true), &found) else {
            panic!("refused");
        };
        assert_eq!(who.len(), 3);
        assert_eq!(
            SheetRefusal::NotStudents(who).to_string(),
            "Nothing was issued: 3 of the chosen records are not an active student with a matric number \
             (Ada Obi (SB-2026-00003), Ada Obi (SB-2026-00004), Ada Obi (SB-2026-00005))."
        );
        assert_eq!(
            SheetRefusal::NeedsConfirmation(2).to_string(),
            "This replaces the passwords of 2 students who have one. To go on, tick the box that says so above \
             the button, or untick them."
        );
    }
}
