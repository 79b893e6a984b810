//! Running an import: the file is checked row by row, then written in batches, each batch one transaction
//! with its progress and audit row. Re-importing a file changes nothing; a changed row updates the student.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::model::{
    HeaderMap, MAX_ROWS, Rejection, StudentRow, code_for, delimiter, level_sort_order, merged, parse_row,
    rejection_report,
};
use super::repo::{self, Counts, JobStatus};
use crate::academic::model::Kind;
use crate::academic::service::within as academic;
use crate::audit::{self, AuditEntry};
use crate::db::form_ids::Claim;
use crate::db::{Db, Tx};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::patients::model::{PatientDetails, PatientKind, PortalAccess, StudentRecord};
use crate::patients::service as patient_service;
use crate::validation;

const BATCH: usize = 500;
const KEEP: &str = "import_job.create";

/// Keeps an uploaded file (checked already) for its preview, once per form: the id of its import job (the same
/// form sent again answers with the job it made). Nothing is imported until the admin starts it.
pub async fn keep_file(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    content: &str,
    total: i64,
) -> Result<i64, ServiceError> {
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, KEEP).await? {
        return Ok(id);
    }
    let id = repo::create_job(&mut tx, file_name, content, total, actor.id).await?;
    actor.complete_form(&mut tx, KEEP, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// A file that can't be imported at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is not UTF-8 text. Save it from your spreadsheet as \"CSV UTF-8\".")]
    NotText,
    #[error("The header row lacks the column{} {}.", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    MissingColumns(Vec<&'static str>),
    #[error("The file has no student rows under its header.")]
    NoRows,
    #[error("The file has more than {MAX_ROWS} rows; split it.")]
    TooManyRows,
    #[error("Line {0} can't be read as CSV: {1}")]
    Malformed(u64, String),
}

/// The file, read and checked: valid rows, rejected rows, and the header.
pub struct ParsedFile {
    pub header: HeaderMap,
    pub rows: Vec<StudentRow>,
    pub rejections: Vec<Rejection>,
}

impl ParsedFile {
    pub fn total(&self) -> usize {
        self.rows.len() + self.rejections.len()
    }
}

/// The file as text. A NUL byte becomes [`validation::UNREADABLE`]: the file's text is stored until the import
/// runs and PostgreSQL can't store NUL, and the row holding it is rejected by the text rule all the same.
pub fn decode(bytes: &[u8]) -> Result<String, FileError> {
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| FileError::NotText)?;
    let text = text.replace('\0', &validation::UNREADABLE.to_string());
    if text.trim().is_empty() {
        Err(FileError::Empty)
    } else {
        Ok(text)
    }
}

/// Reads and checks every row; a matric number seen twice is rejected the second time.
pub fn parse_file(text: &str, pattern: &Regex, today: NaiveDate) -> Result<ParsedFile, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = HeaderMap::from_header(
        reader
            .headers()
            .map_err(|e| FileError::Malformed(1, e.to_string()))?
            .iter(),
    );
    if !header.is_usable() {
        return Err(FileError::MissingColumns(header.missing.clone()));
    }
    let (mut rows, mut rejections) = (Vec::new(), Vec::new());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        if index >= MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        let record = record.map_err(|e| FileError::Malformed(line, e.to_string()))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        match parse_row(&header, &record, line, pattern, today) {
            Ok(row) => match seen.insert(row.matric.as_str().to_owned(), line) {
                Some(first) => rejections.push(Rejection {
                    line,
                    matric: row.matric.as_str().to_owned(),
                    reason: format!("the same matric number is on line {first}"),
                    cells: row.cells,
                }),
                None => rows.push(row),
            },
            Err(rejection) => rejections.push(rejection),
        }
    }
    if rows.is_empty() && rejections.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(ParsedFile {
        header,
        rows,
        rejections,
    })
}

pub struct ImportOptions {
    pub create_missing: bool,
    pub pattern: Regex,
    pub today: NaiveDate,
}

/// What an import did.
pub struct Outcome {
    pub counts: Counts,
    pub rejections: Vec<Rejection>,
    /// The file's header, the first row of the report.
    pub header: Vec<String>,
}

impl Outcome {
    pub fn report(&self) -> String {
        rejection_report(&self.header, &self.rejections)
    }
}

/// Imports `text`. With a job id, progress is written to the job after every batch.
pub async fn run(
    db: &Db,
    actor: &Actor,
    job: Option<i64>,
    text: &str,
    options: &ImportOptions,
) -> anyhow::Result<Outcome> {
    let mut parsed = parse_file(text, &options.pattern, options.today)?;
    let mut counts = Counts {
        processed: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: parsed.rejections.len() as i64,
    };
    counts.processed = counts.rejected;
    let mut rejections = std::mem::take(&mut parsed.rejections);
    let mut resolver = Resolver {
        create_missing: options.create_missing,
        ..Resolver::default()
    };
    let year = options.today.year();
    for batch in parsed.rows.chunks(BATCH) {
        let mut tx = db.begin_write().await?;
        let before = (counts.created, counts.updated);
        let matrics: Vec<&str> = batch.iter().map(|r| r.matric.as_str()).collect();
        let existing: HashMap<String, _> = patient_service::students_by_matric_in(&mut tx, &matrics)
            .await?
            .into_iter()
            .map(|s| (s.matric_number.clone(), s))
            .collect();
        for row in batch {
            match import_row(&mut tx, &mut resolver, row, existing.get(row.matric.as_str()), year).await? {
                Ok(RowResult::Created) => counts.created += 1,
                Ok(RowResult::Updated) => counts.updated += 1,
                Ok(RowResult::Unchanged) => counts.unchanged += 1,
                Err(reason) => {
                    counts.rejected += 1;
                    rejections.push(Rejection {
                        line: row.line,
                        matric: row.matric.as_str().to_owned(),
                        reason,
                        cells: row.cells.clone(),
                    });
                }
            }
            counts.processed += 1;
        }
        if let Some(job) = job {
            repo::save_progress(&mut tx, job, &counts).await?;
        }
        let detail = format!(
            "created {}, updated {}",
            counts.created - before.0,
            counts.updated - before.1
        );
        let mut entry = AuditEntry::new("patient.import").detail(detail);
        if let Some(job) = job {
            entry = entry.record("import_job", job);
        }
        audit::record(&mut tx, actor, entry).await?;
        tx.commit().await?;
    }
    rejections.sort_by_key(|r| r.line);
    if counts.created + counts.updated > 0 {
        // A large import changes the tables' shape; fresh statistics keep the search plans good.
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    Ok(Outcome {
        counts,
        rejections,
        header: parsed.header.names,
    })
}

/// Runs a job to the end, recording success or failure on it.
pub async fn run_job(db: &Db, actor: &Actor, job: i64, options: &ImportOptions) -> anyhow::Result<()> {
    let text = repo::content(db, job).await?.unwrap_or_default();
    match run(db, actor, Some(job), &text, options).await {
        Ok(outcome) => repo::finish(db, job, JobStatus::Done, &outcome.report(), "").await?,
        Err(err) => {
            tracing::error!(job, error = ?err, "import failed");
            let message = match err.downcast_ref::<FileError>() {
                Some(file_error) => file_error.to_string(),
                None => {
                    "The import stopped because of an error on the server; rows imported so far are kept.".to_owned()
                }
            };
            repo::finish(db, job, JobStatus::Failed, "", &message).await?;
        }
    }
    Ok(())
}

enum RowResult {
    Created,
    Updated,
    Unchanged,
}

/// Imports one row: `Ok(Err(reason))` rejects it, `Err` stops the import.
async fn import_row(
    tx: &mut Tx,
    resolver: &mut Resolver,
    row: &StudentRow,
    existing: Option<&StudentRecord>,
    year: i32,
) -> anyhow::Result<Result<RowResult, String>> {
    let (faculty, department, level) = match resolver.resolve(tx, row).await? {
        Ok(ids) => ids,
        Err(reason) => return Ok(Err(reason)),
    };
    if let Some(existing) = existing {
        let changed = merged(existing, row, faculty, department, level);
        if &changed == existing {
            return Ok(Ok(RowResult::Unchanged));
        }
        patient_service::update_student_in(tx, &changed).await?;
        return Ok(Ok(RowResult::Updated));
    }
    let details = PatientDetails {
        matric_number: Some(row.matric.clone()),
        other_names: row.other_names.clone(),
        sex: row.sex,
        date_of_birth: row.date_of_birth,
        phone: row.phone.clone(),
        email: row.email.clone(),
        faculty_id: faculty,
        department_id: department,
        level_id: level,
        ..PatientDetails::new(PatientKind::Student, row.first_name.clone(), row.surname.clone())
    };
    // Imported students have no portal password: the clinic gives each a one-time one (see the README).
    let portal = PortalAccess {
        password_hash: None,
        must_change_password: false,
        approved: true,
    };
    match patient_service::insert_in(tx, &details, portal, year).await {
        Ok(_) => Ok(Ok(RowResult::Created)),
        Err(ServiceError::Invalid(_)) => Ok(Err("this matric number was registered while the import ran".into())),
        Err(err) => Err(anyhow::anyhow!(err)),
    }
}

/// Finds (or, when allowed, creates) faculties, departments and levels by name or code, remembering answers.
#[derive(Default)]
struct Resolver {
    create_missing: bool,
    faculties: HashMap<String, i64>,
    departments: HashMap<(i64, String), i64>,
    levels: HashMap<String, i64>,
    codes_used: HashSet<String>,
}

type Ids = (Option<i64>, Option<i64>, Option<i64>);

impl Resolver {
    async fn resolve(&mut self, tx: &mut Tx, row: &StudentRow) -> Result<Result<Ids, String>, sqlx::Error> {
        let faculty = match self.faculty(tx, &row.faculty).await? {
            Ok(id) => id,
            Err(reason) => return Ok(Err(reason)),
        };
        let department = match (faculty, row.department.as_str()) {
            (_, "") => None,
            (Some(faculty), name) => match self.department(tx, faculty, name).await? {
                Ok(id) => Some(id),
                Err(reason) => return Ok(Err(reason)),
            },
            (None, _) => return Ok(Err("a department needs its faculty".into())),
        };
        let level = match self.level(tx, &row.level).await? {
            Ok(id) => id,
            Err(reason) => return Ok(Err(reason)),
        };
        Ok(Ok((faculty, department, level)))
    }

    async fn faculty(&mut self, tx: &mut Tx, name: &str) -> Result<Result<Option<i64>, String>, sqlx::Error> {
        if name.is_empty() {
            return Ok(Ok(None));
        }
        let key = name.to_lowercase();
        if let Some(id) = self.faculties.get(&key) {
            return Ok(Ok(Some(*id)));
        }
        let id = match academic::find_faculty(tx, name).await? {
            Some(faculty) => faculty.id,
            None if self.create_missing => {
                let code = self.free_code(tx, Kind::Faculty, name).await?;
                academic::add_faculty(tx, name, &code).await?
            }
            None => return Ok(Err(format!("unknown faculty {name:?}"))),
        };
        self.faculties.insert(key, id);
        Ok(Ok(Some(id)))
    }

    async fn department(&mut self, tx: &mut Tx, faculty: i64, name: &str) -> Result<Result<i64, String>, sqlx::Error> {
        let key = (faculty, name.to_lowercase());
        if let Some(id) = self.departments.get(&key) {
            return Ok(Ok(*id));
        }
        let id = match academic::find_department(tx, faculty, name).await? {
            Some(department) => department.id,
            None if self.create_missing => {
                let code = self.free_code(tx, Kind::Department, name).await?;
                academic::add_department(tx, faculty, name, &code).await?
            }
            None => return Ok(Err(format!("unknown department {name:?} in that faculty"))),
        };
        self.departments.insert(key, id);
        Ok(Ok(id))
    }

    async fn level(&mut self, tx: &mut Tx, name: &str) -> Result<Result<Option<i64>, String>, sqlx::Error> {
        if name.is_empty() {
            return Ok(Ok(None));
        }
        let key = name.to_lowercase();
        if let Some(id) = self.levels.get(&key) {
            return Ok(Ok(Some(*id)));
        }
        let id = match academic::find_level(tx, name).await? {
            Some(level) => level.id,
            None if self.create_missing => academic::add_level(tx, name, level_sort_order(name)).await?,
            None => return Ok(Err(format!("unknown level {name:?}"))),
        };
        self.levels.insert(key, id);
        Ok(Ok(Some(id)))
    }

    /// A code for a new faculty or department that no other one has: its initials, then with 2, 3, ...
    async fn free_code(&mut self, tx: &mut Tx, kind: Kind, name: &str) -> Result<String, sqlx::Error> {
        let base = code_for(name);
        let mut candidate = base.clone();
        let mut n = 1;
        let table = kind.table();
        while self.codes_used.contains(&format!("{table}:{candidate}"))
            || academic::code_taken(tx, kind, &candidate).await?
        {
            n += 1;
            candidate = format!("{}{n}", base.chars().take(14).collect::<String>());
        }
        self.codes_used.insert(format!("{table}:{candidate}"));
        Ok(candidate)
    }
}
