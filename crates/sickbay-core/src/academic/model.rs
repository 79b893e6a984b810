//! Faculties, departments, levels and academic sessions: the types, and the rules for what the admin types.

use crate::db::types::InvalidValue;
use crate::db::{Date, Flag, Timestamp};
use crate::validation::FieldErrors;
use crate::words::count;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Faculty {
    pub id: i64,
    pub name: String,
    pub code: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Department {
    pub id: i64,
    pub faculty_id: i64,
    pub name: String,
    pub code: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Level {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AcademicSession {
    pub id: i64,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    #[sqlx(try_from = "Flag")]
    pub is_current: bool,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// The active choices for a student's faculty, department, level and session, for forms.
#[derive(Clone, Debug, Default)]
pub struct AcademicOptions {
    pub faculties: Vec<Faculty>,
    pub departments: Vec<Department>,
    pub levels: Vec<Level>,
    pub sessions: Vec<AcademicSession>,
}

impl AcademicOptions {
    pub fn faculty_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.faculties.iter().find(|f| f.id == id))
            .map(|f| f.name.as_str())
    }

    /// The department's faculty, for checking that a student's department belongs to their faculty.
    pub fn faculty_of(&self, department_id: i64) -> Option<i64> {
        self.departments
            .iter()
            .find(|d| d.id == department_id)
            .map(|d| d.faculty_id)
    }

    pub fn current_session(&self) -> Option<&AcademicSession> {
        self.sessions.iter().find(|s| s.is_current)
    }
}

/// The ids of a record's faculty, department, level and session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StudyIds {
    pub faculty: Option<i64>,
    pub department: Option<i64>,
    pub level: Option<i64>,
    pub session: Option<i64>,
}

/// The names of a record's faculty, department, level and session, where it has them (read in one query to
/// show a patient's record, instead of every option of every list).
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StudyNames {
    pub faculty: Option<String>,
    pub department: Option<String>,
    pub level: Option<String>,
    pub session: Option<String>,
}

impl StudyNames {
    /// Faculty, department, level and session by label, for the ones the record has.
    pub fn shown(&self) -> Vec<(&'static str, &str)> {
        [
            ("Faculty", &self.faculty),
            ("Department", &self.department),
            ("Level", &self.level),
            ("Session", &self.session),
        ]
        .into_iter()
        .filter_map(|(label, name)| Some((label, name.as_deref()?)))
        .collect()
    }
}

/// The four kinds of academic record, with what the pages, the SQL and the audit log call them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Faculty,
    Department,
    Level,
    Session,
}

/// The audit actions of one kind (`academic.faculty.create`, ...).
#[derive(Clone, Copy, Debug)]
pub struct Actions {
    pub create: &'static str,
    pub update: &'static str,
    pub deactivate: &'static str,
    pub reactivate: &'static str,
    pub delete: &'static str,
}

macro_rules! actions {
    ($kind:literal) => {
        Actions {
            create: concat!("academic.", $kind, ".create"),
            update: concat!("academic.", $kind, ".update"),
            deactivate: concat!("academic.", $kind, ".deactivate"),
            reactivate: concat!("academic.", $kind, ".reactivate"),
            delete: concat!("academic.", $kind, ".delete"),
        }
    };
}

impl Kind {
    /// In the order the admin adds them: a department needs its faculty.
    pub const ALL: [Kind; 4] = [Kind::Faculty, Kind::Department, Kind::Level, Kind::Session];

    /// The kind whose URL segment is `segment` (`faculties`, ...).
    pub fn from_segment(segment: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.path_segment() == segment)
    }

    /// The table, which is also the audit log's record type.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Faculty => "faculty",
            Kind::Department => "department",
            Kind::Level => "level",
            Kind::Session => "academic_session",
        }
    }

    /// The column of `patient` that points at this kind.
    pub fn patient_column(self) -> &'static str {
        match self {
            Kind::Faculty => "faculty_id",
            Kind::Department => "department_id",
            Kind::Level => "level_id",
            Kind::Session => "session_id",
        }
    }

    /// The URL segment under `/admin/academic`.
    pub fn path_segment(self) -> &'static str {
        match self {
            Kind::Faculty => "faculties",
            Kind::Department => "departments",
            Kind::Level => "levels",
            Kind::Session => "sessions",
        }
    }

    /// "Faculty", "Department", ... for messages that start a sentence.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Faculty => "Faculty",
            Kind::Department => "Department",
            Kind::Level => "Level",
            Kind::Session => "Session",
        }
    }

    /// "Faculties", "Departments", ... for headings and breadcrumbs.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Faculty => "Faculties",
            Kind::Department => "Departments",
            Kind::Level => "Levels",
            Kind::Session => "Sessions",
        }
    }

    pub fn actions(self) -> Actions {
        match self {
            Kind::Faculty => actions!("faculty"),
            Kind::Department => actions!("department"),
            Kind::Level => actions!("level"),
            Kind::Session => actions!("session"),
        }
    }

    pub fn path(self, id: i64) -> String {
        format!("/admin/academic/{}/{id}", self.path_segment())
    }

    /// The academic data page showing this kind's list and add form.
    pub fn list_path(self) -> String {
        format!("/admin/academic?show={}", self.path_segment())
    }
}

/// Patients are counted up to one more than this: enough to say why a record stays, without reading a whole
/// faculty's thousands of students each time its page opens.
pub const PATIENTS_COUNTED: i64 = 1000;

/// What still points at a record, which decides whether it may be deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub patients: i64,
    pub departments: i64,
}

impl Usage {
    pub fn is_unused(self) -> bool {
        self.patients == 0 && self.departments == 0
    }

    /// `3 patients and 1 department` (`more than 1000 patients` past [`PATIENTS_COUNTED`]), or `None` when
    /// nothing uses the record.
    pub fn describe(self) -> Option<String> {
        let patients = match self.patients {
            n if n > PATIENTS_COUNTED => format!("more than {PATIENTS_COUNTED} patients"),
            n => count(n, "patient", "patients"),
        };
        let parts: Vec<String> = [
            (self.patients > 0).then_some(patients),
            (self.departments > 0).then(|| count(self.departments, "department", "departments")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" and "))
    }

    /// Why `name` can't be deleted, or `None` when it can.
    pub fn refusal(self, name: &str) -> Option<String> {
        self.describe()
            .map(|users| format!("{name} is in use by {users}; deactivate it instead."))
    }
}

/// A name of a faculty, department or level: spaces collapsed, 1 to 100 characters.
pub fn parse_name(text: &str) -> Result<String, InvalidValue> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err(InvalidValue("Enter a name.".into())),
        1..=100 => Ok(name),
        _ => Err(InvalidValue("Keep the name to 100 characters or fewer.".into())),
    }
}

/// A short code such as `SCI` or `CSC`: 1 to 16 letters A-Z and digits, stored in upper case.
pub fn parse_code(text: &str) -> Result<String, InvalidValue> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(InvalidValue("Enter a code.".into()));
    }
    if code.len() > 16 || !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err(InvalidValue(
            "A code is 1 to 16 letters A-Z and digits, e.g. CSC.".into(),
        ));
    }
    Ok(code)
}

/// The position of a level in lists: a whole number from 0 to 1000.
pub fn parse_sort_order(text: &str) -> Result<i64, InvalidValue> {
    match text.trim().parse::<i64>() {
        Ok(n @ 0..=1000) => Ok(n),
        _ => Err(InvalidValue("Enter a whole number from 0 to 1000.".into())),
    }
}

/// An academic session's name: two consecutive years, `2025/2026`.
pub fn parse_session_name(text: &str) -> Result<String, InvalidValue> {
    let name = text.trim();
    let year = |s: &str| (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i32>().ok())?;
    let consecutive = name
        .split_once('/')
        .and_then(|(first, second)| Some((year(first)?, year(second)?)))
        .is_some_and(|(first, second)| second == first + 1);
    if consecutive {
        Ok(name.to_owned())
    } else {
        Err(InvalidValue("Enter two consecutive years, e.g. 2025/2026.".into()))
    }
}

/// A faculty, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacultyInput {
    pub name: String,
    pub code: String,
}

impl FacultyInput {
    pub fn validate(name: &str, code: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_name(name));
        let code = errors.check("code", parse_code(code));
        match (name, code) {
            (Some(name), Some(code)) => Ok(FacultyInput { name, code }),
            _ => Err(errors),
        }
    }
}

/// A department, validated (that its faculty exists is checked when it is saved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepartmentInput {
    pub faculty_id: i64,
    pub name: String,
    pub code: String,
}

impl DepartmentInput {
    pub fn validate(faculty_id: &str, name: &str, code: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let faculty_id = errors.check("faculty_id", parse_faculty_id(faculty_id));
        let name = errors.check("name", parse_name(name));
        let code = errors.check("code", parse_code(code));
        match (faculty_id, name, code) {
            (Some(faculty_id), Some(name), Some(code)) => Ok(DepartmentInput { faculty_id, name, code }),
            _ => Err(errors),
        }
    }
}

fn parse_faculty_id(text: &str) -> Result<i64, InvalidValue> {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(InvalidValue(CHOOSE_A_FACULTY.into())),
    }
}

pub const CHOOSE_A_FACULTY: &str = "Choose a faculty from the list.";

/// A level, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelInput {
    pub name: String,
    pub sort_order: i64,
}

impl LevelInput {
    pub fn validate(name: &str, sort_order: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_name(name));
        let sort_order = errors.check("sort_order", parse_sort_order(sort_order));
        match (name, sort_order) {
            (Some(name), Some(sort_order)) => Ok(LevelInput { name, sort_order }),
            _ => Err(errors),
        }
    }
}

/// An academic session, validated: a `2025/2026` name and a start date before the end date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInput {
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
}

impl SessionInput {
    pub fn validate(name: &str, starts_on: &str, ends_on: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", parse_session_name(name));
        let starts_on = errors.check("starts_on", parse_date(starts_on));
        let ends_on = errors.check("ends_on", parse_date(ends_on));
        match (name, starts_on, ends_on) {
            (Some(_), Some(start), Some(end)) if start >= end => {
                errors.add("ends_on", "The session must end after it starts.");
                Err(errors)
            }
            (Some(name), Some(starts_on), Some(ends_on)) => Ok(SessionInput {
                name,
                starts_on,
                ends_on,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_date(text: &str) -> Result<Date, InvalidValue> {
    Date::parse(text).map_err(|_| InvalidValue("Enter a date as YYYY-MM-DD.".into()))
}

/// What the admin types for one kind of record: the kind, the record it is stored as, and how the audit log
/// describes a new record and a change.
pub trait Input: Sync {
    const KIND: Kind;
    type Record;

    /// The audit detail of a new record.
    fn created(&self) -> String;

    /// The audit detail of a change from `before`.
    fn changes(&self, before: Self::Record) -> String;

    /// The faculty the record is to be in: a department's, none for the other kinds.
    fn faculty_id(&self) -> Option<i64> {
        None
    }

    /// The faculty a stored record is in.
    fn faculty_of(_record: &Self::Record) -> Option<i64> {
        None
    }
}

impl Input for FacultyInput {
    const KIND: Kind = Kind::Faculty;
    type Record = Faculty;

    fn created(&self) -> String {
        format!("name {:?}, code {}", self.name, self.code)
    }

    fn changes(&self, before: Faculty) -> String {
        describe_changes(&[
            ("name", before.name, self.name.clone()),
            ("code", before.code, self.code.clone()),
        ])
    }
}

impl Input for DepartmentInput {
    const KIND: Kind = Kind::Department;
    type Record = Department;

    fn created(&self) -> String {
        format!("name {:?}, code {}, faculty #{}", self.name, self.code, self.faculty_id)
    }

    fn changes(&self, before: Department) -> String {
        describe_changes(&[
            (
                "faculty",
                format!("#{}", before.faculty_id),
                format!("#{}", self.faculty_id),
            ),
            ("name", before.name, self.name.clone()),
            ("code", before.code, self.code.clone()),
        ])
    }

    fn faculty_id(&self) -> Option<i64> {
        Some(self.faculty_id)
    }

    fn faculty_of(record: &Department) -> Option<i64> {
        Some(record.faculty_id)
    }
}

impl Input for LevelInput {
    const KIND: Kind = Kind::Level;
    type Record = Level;

    fn created(&self) -> String {
        format!("name {:?}, sort order {}", self.name, self.sort_order)
    }

    fn changes(&self, before: Level) -> String {
        describe_changes(&[
            ("name", before.name, self.name.clone()),
            ("sort order", before.sort_order.to_string(), self.sort_order.to_string()),
        ])
    }
}

impl Input for SessionInput {
    const KIND: Kind = Kind::Session;
    type Record = AcademicSession;

    fn created(&self) -> String {
        format!("name {}, {} to {}", self.name, self.starts_on, self.ends_on)
    }

    fn changes(&self, before: AcademicSession) -> String {
        describe_changes(&[
            ("name", before.name, self.name.clone()),
            ("starts", before.starts_on.to_string(), self.starts_on.to_string()),
            ("ends", before.ends_on.to_string(), self.ends_on.to_string()),
        ])
    }
}

/// The field and message for a broken unique index (the index names of migrations/*/0002_patients.sql).
pub fn duplicate_message(index: &str) -> (&'static str, &'static str) {
    match index {
        "faculty_name_key" => ("name", "There is already a faculty with this name."),
        "faculty_code_key" => ("code", "There is already a faculty with this code."),
        "department_name_key" => ("name", "This faculty already has a department with this name."),
        "department_code_key" => ("code", "There is already a department with this code."),
        "level_name_key" => ("name", "There is already a level with this name."),
        "academic_session_name_key" => ("name", "There is already a session with this name."),
        _ => ("name", "This is already taken."),
    }
}

/// `name "A" -> "B"; code X -> Y` for the fields that changed, as (field, before, after).
pub fn describe_changes(fields: &[(&str, String, String)]) -> String {
    let changes: Vec<String> = fields
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| format!("{field} {before:?} -> {after:?}"))
        .collect();
    if changes.is_empty() {
        "no changes".to_owned()
    } else {
        changes.join("; ")
    }
}

/// A record together with the `updated_at` its edit form carries, to refuse a stale edit.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Versioned<T> {
    #[sqlx(flatten)]
    pub record: T,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_found_by_its_segment_and_nothing_else_is() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_segment(kind.path_segment()), Some(kind));
        }
        assert_eq!(Kind::from_segment("Faculties"), None);
        assert_eq!(Kind::from_segment(""), None);
        assert_eq!(Kind::Level.list_path(), "/admin/academic?show=levels");
    }

    #[test]
    fn a_record_shows_only_the_studies_it_has_in_their_order() {
        let names = StudyNames {
            faculty: Some("Science".into()),
            level: Some("200".into()),
            ..StudyNames::default()
        };
        assert_eq!(names.shown(), [("Faculty", "Science"), ("Level", "200")]);
        assert!(StudyNames::default().shown().is_empty());
    }

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(parse_name("  Faculty   of Science ").unwrap(), "Faculty of Science");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"n".repeat(101)).is_err());
        assert_eq!(parse_name(&"é".repeat(100)).unwrap().chars().count(), 100);
    }

    #[test]
    fn codes_are_upper_case_letters_and_digits() {
        assert_eq!(parse_code(" csc2 ").unwrap(), "CSC2");
        for bad in ["", "  ", "C-S", "C S", "ÉCO", &"A".repeat(17), "sci;"] {
            assert!(parse_code(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_code(&"a".repeat(16)).unwrap(), "A".repeat(16));
    }

    #[test]
    fn sort_order_is_a_small_whole_number() {
        assert_eq!(parse_sort_order(" 100 ").unwrap(), 100);
        assert_eq!(parse_sort_order("0").unwrap(), 0);
        assert_eq!(parse_sort_order("1000").unwrap(), 1000);
        for bad in ["", "-1", "1001", "1.5", "ten", "99999999999999999999"] {
            assert!(parse_sort_order(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn session_names_are_consecutive_years() {
        assert_eq!(parse_session_name(" 2025/2026 ").unwrap(), "2025/2026");
        for bad in [
            "2025/2027",
            "2026/2025",
            "2025-2026",
            "25/26",
            "2025/2026/2027",
            "",
            "abcd/abce",
            "+202/2025",
        ] {
            assert!(parse_session_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sessions_end_after_they_start() {
        let ok = SessionInput::validate("2025/2026", "2025-09-01", "2026-07-31").unwrap();
        assert_eq!(ok.starts_on.to_string(), "2025-09-01");
        let errors = SessionInput::validate("2025/2026", "2026-07-31", "2025-09-01").unwrap_err();
        assert_eq!(errors.get("ends_on"), Some("The session must end after it starts."));
        let errors = SessionInput::validate("2025/2026", "2025-09-01", "2025-09-01").unwrap_err();
        assert!(errors.get("ends_on").is_some());
        let errors = SessionInput::validate("x", "soon", "").unwrap_err();
        for field in ["name", "starts_on", "ends_on"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn inputs_report_every_bad_field() {
        let errors = FacultyInput::validate("", "no way").unwrap_err();
        assert!(errors.get("name").is_some() && errors.get("code").is_some());
        let errors = DepartmentInput::validate("abc", "", "").unwrap_err();
        assert_eq!(errors.get("faculty_id"), Some(CHOOSE_A_FACULTY));
        assert!(DepartmentInput::validate("0", "Maths", "MTH").is_err());
        assert_eq!(
            DepartmentInput::validate("3", " Maths ", "mth").unwrap(),
            DepartmentInput {
                faculty_id: 3,
                name: "Maths".into(),
                code: "MTH".into()
            }
        );
        let errors = LevelInput::validate("100L", "x").unwrap_err();
        assert!(errors.get("sort_order").is_some() && errors.get("name").is_none());
    }

    #[test]
    fn usage_explains_why_a_record_stays() {
        assert_eq!(Usage::default().refusal("Science"), None);
        assert!(Usage::default().is_unused());
        let usage = Usage {
            patients: 1,
            departments: 3,
        };
        assert_eq!(
            usage.refusal("Science").as_deref(),
            Some("Science is in use by 1 patient and 3 departments; deactivate it instead.")
        );
        let usage = Usage {
            patients: 2,
            departments: 0,
        };
        assert_eq!(usage.describe().as_deref(), Some("2 patients"));
        let whole_faculty = Usage {
            patients: PATIENTS_COUNTED + 1,
            departments: 4,
        };
        assert_eq!(
            whole_faculty.describe().as_deref(),
            Some("more than 1000 patients and 4 departments")
        );
        let just_counted = Usage {
            patients: PATIENTS_COUNTED,
            departments: 0,
        };
        assert_eq!(just_counted.describe().as_deref(), Some("1000 patients"));
    }

    #[test]
    fn duplicates_are_reported_beside_their_field() {
        assert_eq!(duplicate_message("faculty_code_key").0, "code");
        assert_eq!(duplicate_message("department_name_key").0, "name");
        assert_eq!(duplicate_message("academic_session_name_key").0, "name");
        assert_eq!(duplicate_message("something_else").0, "name");
    }

    #[test]
    fn changes_name_only_what_changed() {
        let fields = [
            ("name", "Science".to_owned(), "Sciences".to_owned()),
            ("code", "SCI".to_owned(), "SCI".to_owned()),
        ];
        assert_eq!(describe_changes(&fields), r#"name "Science" -> "Sciences""#);
        assert_eq!(describe_changes(&fields[1..]), "no changes");
    }

    #[test]
    fn every_kind_has_distinct_names() {
        let kinds = [Kind::Faculty, Kind::Department, Kind::Level, Kind::Session];
        for kind in kinds {
            assert!(kind.actions().create.starts_with("academic."));
            assert!(kind.path(4).ends_with("/4"));
        }
        assert_eq!(Kind::Session.actions().delete, "academic.session.delete");
        assert_eq!(Kind::Department.path(2), "/admin/academic/departments/2");
    }
}
