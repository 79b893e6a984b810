//! The student CSV: its columns, how a header maps to them, and the checks on each row. Pure functions.

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::Regex;

use crate::db::Date;
use crate::patients::model::{MatricNumber, Sex, StudentRecord, parse_date_of_birth, parse_name, parse_phone};
use crate::staff::model::parse_email;
use crate::validation;

/// The columns Sickbay reads, in the order of the sample file.
pub const COLUMNS: [&str; 11] = [
    "matric_number",
    "first_name",
    "surname",
    "other_names",
    "sex",
    "date_of_birth",
    "email",
    "phone",
    "faculty",
    "department",
    "level",
];
pub const REQUIRED: [&str; 3] = ["matric_number", "first_name", "surname"];
/// More rows than a university has students in one faculty import is a mistake, not a file to read.
pub const MAX_ROWS: usize = 100_000;

/// Where each known column is in the file, and what else the header held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderMap {
    /// The header as the file has it, for the report of rejected rows.
    pub names: Vec<String>,
    pub positions: HashMap<&'static str, usize>,
    pub missing: Vec<&'static str>,
    pub unknown: Vec<String>,
}

impl HeaderMap {
    /// Header names are matched ignoring case, spaces and a `(YYYY-MM-DD)` note.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Self {
        let mut map = HeaderMap::default();
        for (index, raw) in header.into_iter().enumerate() {
            map.names.push(raw.trim().trim_start_matches('\u{feff}').to_owned());
            let name = raw
                .trim()
                .trim_start_matches('\u{feff}')
                .split('(')
                .next()
                .unwrap_or("")
                .trim()
                .to_lowercase()
                .replace([' ', '-'], "_");
            match COLUMNS.iter().find(|c| **c == name) {
                Some(column) if !map.positions.contains_key(column) => {
                    map.positions.insert(column, index);
                }
                _ if !raw.trim().is_empty() => map.unknown.push(raw.trim().to_owned()),
                _ => {}
            }
        }
        map.missing = REQUIRED
            .iter()
            .copied()
            .filter(|c| !map.positions.contains_key(c))
            .collect();
        map
    }

    pub fn is_usable(&self) -> bool {
        self.missing.is_empty()
    }

    pub fn has(&self, column: &str) -> bool {
        self.positions.contains_key(column)
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.positions
            .get(column)
            .and_then(|&i| record.get(i))
            .unwrap_or("")
            .trim()
    }

    /// Why a row can't be stored because of a character in one of its cells, any column (the text rule of
    /// every form, applied per cell so that one bad cell rejects its row and not the file).
    fn forbidden_cell(&self, record: &csv::StringRecord) -> Option<String> {
        record.iter().enumerate().find_map(|(index, cell)| {
            let c = validation::forbidden_character(cell, false)?;
            let column = self
                .names
                .get(index)
                .map_or_else(|| format!("column {}", index + 1), String::clone);
            Some(validation::forbidden_message(&column, c))
        })
    }

    /// Each known column with whether the file has it, for the preview.
    pub fn columns(&self) -> Vec<(&'static str, bool, bool)> {
        COLUMNS
            .iter()
            .map(|c| (*c, self.has(c), REQUIRED.contains(c)))
            .collect()
    }
}

/// One valid row. `faculty`, `department` and `level` are names or codes, matched in the database.
#[derive(Clone, Debug, PartialEq)]
pub struct StudentRow {
    pub line: u64,
    pub matric: MatricNumber,
    pub first_name: String,
    pub surname: String,
    pub other_names: String,
    pub sex: Option<Sex>,
    pub date_of_birth: Option<Date>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub faculty: String,
    pub department: String,
    pub level: String,
    /// The row as the file has it, for the report if the database refuses it.
    pub cells: Vec<String>,
}

/// The student's record after the row's values: names always; other fields only where the file gives a
/// value, so an empty cell never wipes what the clinic knows.
pub fn merged(
    existing: &StudentRecord,
    row: &StudentRow,
    faculty_id: Option<i64>,
    department_id: Option<i64>,
    level_id: Option<i64>,
) -> StudentRecord {
    StudentRecord {
        first_name: row.first_name.clone(),
        surname: row.surname.clone(),
        other_names: if row.other_names.is_empty() {
            existing.other_names.clone()
        } else {
            row.other_names.clone()
        },
        sex: row.sex.or(existing.sex),
        date_of_birth: row.date_of_birth.or(existing.date_of_birth),
        email: row.email.clone().or_else(|| existing.email.clone()),
        phone: row.phone.clone().or_else(|| existing.phone.clone()),
        faculty_id: faculty_id.or(existing.faculty_id),
        department_id: department_id.or(existing.department_id),
        level_id: level_id.or(existing.level_id),
        ..existing.clone()
    }
}

/// A row that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub matric: String,
    pub reason: String,
    /// The row as the file has it, so the report can be fixed and imported again.
    pub cells: Vec<String>,
}

/// Checks one data row. `line` is its line in the file (the header is line 1).
pub fn parse_row(
    map: &HeaderMap,
    record: &csv::StringRecord,
    line: u64,
    pattern: &Regex,
    today: NaiveDate,
) -> Result<StudentRow, Rejection> {
    let raw_matric = map.get(record, "matric_number");
    let cells: Vec<String> = record.iter().map(str::to_owned).collect();
    let reject = |reason: String| Rejection {
        line,
        matric: raw_matric.to_owned(),
        reason,
        cells: cells.clone(),
    };
    if let Some(reason) = map.forbidden_cell(record) {
        return Err(reject(reason));
    }
    let matric = MatricNumber::parse(raw_matric, pattern).map_err(|e| reject(format!("matric_number: {e}")))?;
    let first_name =
        parse_name(map.get(record, "first_name"), "first name", 60, false).map_err(|e| reject(e.to_string()))?;
    let surname = parse_name(map.get(record, "surname"), "surname", 60, false).map_err(|e| reject(e.to_string()))?;
    let other_names =
        parse_name(map.get(record, "other_names"), "other names", 100, true).map_err(|e| reject(e.to_string()))?;
    let sex = parse_sex(map.get(record, "sex")).map_err(reject)?;
    let dob = map.get(record, "date_of_birth");
    let date_of_birth = if dob.is_empty() {
        None
    } else {
        Some(parse_date_of_birth(dob, today).map_err(|e| reject(format!("date_of_birth: {e}")))?)
    };
    let email = parse_email(map.get(record, "email"))
        .map_err(|_| reject(format!("bad email {:?}", map.get(record, "email"))))?;
    let phone = parse_phone(map.get(record, "phone"))
        .map_err(|_| reject(format!("bad phone {:?}", map.get(record, "phone"))))?;
    let faculty = map.get(record, "faculty").to_owned();
    let department = map.get(record, "department").to_owned();
    if !department.is_empty() && faculty.is_empty() {
        return Err(reject("a department needs its faculty".into()));
    }
    Ok(StudentRow {
        line,
        matric,
        first_name,
        surname,
        other_names,
        sex,
        date_of_birth,
        email,
        phone,
        faculty,
        department,
        level: map.get(record, "level").to_owned(),
        cells,
    })
}

fn parse_sex(text: &str) -> Result<Option<Sex>, String> {
    match text.to_lowercase().as_str() {
        "" => Ok(None),
        "f" | "female" => Ok(Some(Sex::Female)),
        "m" | "male" => Ok(Some(Sex::Male)),
        other => Err(format!("sex must be F or M, not {other:?}")),
    }
}

/// The report of rejected rows, as CSV: the file's own columns, so it can be corrected and imported again,
/// then the reason.
pub fn rejection_report(header: &[String], rejections: &[Rejection]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(header.iter().map(String::as_str).chain(["reason"]));
    for r in rejections {
        let mut row: Vec<&str> = r.cells.iter().map(String::as_str).collect();
        row.resize(header.len(), "");
        let _ = writer.write_record(row.into_iter().chain([r.reason.as_str()]));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The field separator of a CSV file: spreadsheets set to a language with a decimal comma save with `;`, some
/// with tabs. Whichever of the three is most frequent outside quotes in the header line; `,` when none is.
pub fn delimiter(text: &str) -> u8 {
    let header = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(count) = counts.iter_mut().find(|(d, _)| *d == byte) {
            count.1 += 1;
        }
    }
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(d, n)| (*n, *d == b','))
        .map_or(b',', |(d, _)| *d)
}

/// A sort order for a level created by an import: the number in its name (`300L` → 300), or 0.
pub fn level_sort_order(name: &str) -> i64 {
    let digits: String = name.chars().filter(char::is_ascii_digit).take(4).collect();
    digits.parse().unwrap_or(0)
}

/// A code for a faculty or department created by an import: its initials in upper case (`Social Sciences`
/// → `SS`), or the first letters of a one-word name, at most 16 characters.
pub fn code_for(name: &str) -> String {
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| !matches!(w.to_lowercase().as_str(), "of" | "and" | "the" | "&"))
        .collect();
    let code: String = if words.len() > 1 {
        words
            .iter()
            .filter_map(|w| w.chars().find(char::is_ascii_alphanumeric))
            .collect()
    } else {
        name.chars().filter(char::is_ascii_alphanumeric).take(4).collect()
    };
    let code = code.to_uppercase();
    if code.is_empty() {
        "X".to_owned()
    } else {
        code.chars().take(16).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patients::settings::DEFAULT_MATRIC_PATTERN;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn header_in_any_order_and_case() {
        let map = HeaderMap::from_header([
            "\u{feff}Surname",
            "FIRST NAME",
            "matric_number",
            "date_of_birth (YYYY-MM-DD)",
            "shoe size",
        ]);
        assert!(map.is_usable());
        assert_eq!(map.positions["surname"], 0);
        assert_eq!(map.positions["first_name"], 1);
        assert_eq!(map.positions["date_of_birth"], 3);
        assert_eq!(map.unknown, ["shoe size"]);
        let bad = HeaderMap::from_header(["name", "email"]);
        assert_eq!(bad.missing, ["matric_number", "first_name", "surname"]);
    }

    #[test]
    fn rows_are_checked_field_by_field() {
        let map = HeaderMap::from_header(COLUMNS);
        let re = Regex::new(DEFAULT_MATRIC_PATTERN).unwrap();
        let ok = record(&[
            "csc/19/1",
            "Ada",
            "Obi",
            "",
            "F",
            "2004-05-06",
            "ada@x.edu",
            "0803 123 4567",
            "Science",
            "CSC",
            "100L",
        ]);
        let row = parse_row(&map, &ok, 2, &re, today()).unwrap();
        assert_eq!(row.matric.as_str(), "CSC/19/1");
        assert_eq!(row.sex, Some(Sex::Female));
        assert_eq!(row.phone.as_deref(), Some("08031234567"));
        let cases = [
            (["", "Ada", "Obi", "", "", "", "", "", "", "", ""], "matric_number"),
            (["CSC/19/2", "", "Obi", "", "", "", "", "", "", "", ""], "first name"),
            (["CSC/19/3", "Ada", "Obi", "", "X", "", "", "", "", "", ""], "sex"),
            (
                ["CSC/19/4", "Ada", "Obi", "", "", "06/05/2004", "", "", "", "", ""],
                "date_of_birth",
            ),
            (
                ["CSC/19/5", "Ada", "Obi", "", "", "", "not-an-email", "", "", "", ""],
                "bad email",
            ),
            (
                ["CSC/19/6", "Ada", "Obi", "", "", "", "", "12", "", "", ""],
                "bad phone",
            ),
            (
                ["CSC/19/7", "Ada", "Obi", "", "", "", "", "", "", "CSC", ""],
                "needs its faculty",
            ),
        ];
        for (fields, reason) in cases {
            let err = parse_row(&map, &record(&fields), 7, &re, today()).unwrap_err();
            assert!(err.reason.contains(reason), "{reason}: {}", err.reason);
            assert_eq!(err.line, 7);
        }
    }

    #[test]
    fn missing_optional_columns_are_empty() {
        let map = HeaderMap::from_header(["matric_number", "first_name", "surname"]);
        let row = parse_row(
            &map,
            &record(&["CSC/19/1", "Ada", "Obi"]),
            2,
            &Regex::new(DEFAULT_MATRIC_PATTERN).unwrap(),
            today(),
        )
        .unwrap();
        assert_eq!((row.email, row.faculty.as_str()), (None, ""));
    }

    #[test]
    fn merging_keeps_known_values_for_empty_cells() {
        let existing = StudentRecord {
            id: 1,
            clinic_number: "SB-2026-00001".into(),
            matric_number: "CSC/19/1".into(),
            first_name: "Ada".into(),
            surname: "Obi".into(),
            other_names: "Chioma".into(),
            sex: Some(Sex::Female),
            date_of_birth: None,
            email: Some("old@x.edu".into()),
            phone: Some("0803".into()),
            faculty_id: Some(1),
            department_id: Some(2),
            level_id: Some(3),
        };
        let map = HeaderMap::from_header(COLUMNS);
        let re = Regex::new(DEFAULT_MATRIC_PATTERN).unwrap();
        let row = parse_row(
            &map,
            &record(&["CSC/19/1", "Ada", "Obi", "", "", "2004-01-02", "", "", "", "", ""]),
            2,
            &re,
            today(),
        )
        .unwrap();
        let after = merged(&existing, &row, None, None, Some(4));
        assert_eq!(after.other_names, "Chioma");
        assert_eq!(after.email.as_deref(), Some("old@x.edu"));
        assert_eq!(after.date_of_birth, Date::parse("2004-01-02").ok());
        assert_eq!((after.faculty_id, after.level_id), (Some(1), Some(4)));
        assert_eq!(
            merged(
                &existing,
                &parse_row(
                    &map,
                    &record(&["CSC/19/1", "Ada", "Obi", "", "", "", "", "", "", "", ""]),
                    2,
                    &re,
                    today()
                )
                .unwrap(),
                None,
                None,
                None
            ),
            existing
        );
    }

    #[test]
    fn report_keeps_the_files_columns_then_the_reason() {
        let header = vec![
            "Matric Number".to_owned(),
            "first_name".to_owned(),
            "surname".to_owned(),
        ];
        let report = rejection_report(
            &header,
            &[Rejection {
                line: 3,
                matric: "A,B".into(),
                reason: "bad \"x\"".into(),
                cells: vec!["A,B".into(), "Ada".into()],
            }],
        );
        assert_eq!(
            report,
            "Matric Number,first_name,surname,reason\n\"A,B\",Ada,,\"bad \"\"x\"\"\"\n"
        );
    }

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(delimiter("matric_number,first_name,surname\n"), b',');
        assert_eq!(delimiter("\nmatric_number;first_name;surname\nA;B;C"), b';');
        assert_eq!(delimiter("matric_number\tfirst_name\tsurname"), b'\t');
        assert_eq!(delimiter("\"surname; or family name\",first_name,matric_number"), b',');
        assert_eq!(delimiter("matric_number"), b',');
    }

    #[test]
    fn a_control_character_in_any_cell_rejects_the_row() {
        let map = HeaderMap::from_header(["matric_number", "first_name", "surname", "faculty", "notes"]);
        let re = Regex::new(DEFAULT_MATRIC_PATTERN).unwrap();
        for (index, cell, column) in [
            (3, "Sci\0ence", "faculty"),
            (4, "x\u{1b}y", "notes"),
            (1, "A\nda", "first_name"),
        ] {
            let mut fields = vec!["CSC/19/0001", "Ada", "Obi", "Science", ""];
            fields[index] = cell;
            let rejection = parse_row(&map, &record(&fields), 2, &re, today()).unwrap_err();
            assert!(
                rejection.reason.starts_with(&format!("{column} contains")),
                "{}",
                rejection.reason
            );
            assert_eq!(rejection.cells, fields);
        }
    }

    #[test]
    fn created_records_get_codes_and_orders() {
        assert_eq!(code_for("Faculty of Social Sciences"), "FSS");
        assert_eq!(code_for("Engineering"), "ENGI");
        assert_eq!(code_for("  "), "X");
        assert_eq!(level_sort_order("300L"), 300);
        assert_eq!(level_sort_order("PG"), 0);
    }
}
