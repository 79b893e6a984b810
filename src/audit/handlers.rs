//! The admin's audit trail: filtered by who, patient, action, kind of record and days, paged from a cursor,
//! and downloaded as CSV with the same filters.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::{Query, invalid};
use crate::web::heavy::Chunks;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::paging::{Cursor, OLDER, Pager};
use crate::web::{AppError, AppResult, csv_download, csv_records};
use sickbay_core::audit::model::{AuditRow, Entries, Filter, RECORD_TYPES, TrailQuery, Who, known_actions};
use sickbay_core::audit::service::{self, CSV_LIMIT_TEXT, StaffChoice};
use sickbay_core::db::paging::PAGE_SIZE;
use sickbay_core::db::{Db, Reader};
use sickbay_core::error::ServiceError;
use sickbay_core::validation::FieldErrors;

/// A filter that reads and names what is on record, with the patient's name when it is about one (the trail
/// reads the patients: a screen over two features, so it is here rather than in `audit`).
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub filter: Filter,
    /// The patient's name and clinic number.
    pub patient: Option<String>,
}

/// The filter of `query`, checked: a message beside each filter that doesn't read or names no one on record
/// (`ServiceError::Invalid`).
pub async fn check(db: impl Reader, query: &TrailQuery, staff: &[StaffChoice]) -> Result<Checked, ServiceError> {
    let filter = query.filter().map_err(ServiceError::Invalid)?;
    let mut errors = FieldErrors::default();
    if let Who::Staff(id) = filter.who
        && !staff.iter().any(|s| s.id == id)
    {
        errors.add("user", "Choose whose entries to show from the list.");
    }
    let patient = match filter.patient {
        Some(id) => match sickbay_core::patients::service::get(db, id).await? {
            Some(p) => Some(format!("{} ({})", p.full_name(), p.clinic_number)),
            None => {
                errors.add("patient", "There is no patient with this number on record.");
                None
            }
        },
        None => None,
    };
    match errors.is_empty() {
        true => Ok(Checked { filter, patient }),
        false => Err(ServiceError::Invalid(errors)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    layout: Layout,
    /// The filters as typed (the form shows them again).
    query: TrailQuery,
    errors: FieldErrors,
    /// The filters as checked (the default when they had errors).
    filter: Filter,
    /// The patient the entries are about, named.
    patient: Option<String>,
    staff: Vec<StaffChoice>,
    actions: Vec<(String, String)>,
    record_types: &'static [(&'static str, &'static str)],
    rows: Vec<AuditRow>,
    cursor: Cursor,
    csv_limit: &'static str,
}

impl AuditPage {
    /// `/admin/audit` with the filters, and `extra` (`before=...`) after them.
    fn link(&self, path: &str, extra: &str) -> String {
        let query = [self.filter.query_string(), extra.to_owned()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        match query.is_empty() {
            true => path.to_owned(),
            false => format!("{path}?{query}"),
        }
    }

    fn pager(&self) -> Pager {
        self.cursor.pager(
            self.link("/admin/audit", ""),
            |before| self.link("/admin/audit", &format!("before={before}")),
            OLDER,
        )
    }

    fn csv_link(&self) -> String {
        self.link("/admin/audit.csv", "")
    }

    /// "Show": changes, sign-ins, reads or everything, each with the other filters as they are.
    fn entries_links(&self) -> Vec<(&'static str, String, bool)> {
        Entries::EVERY
            .into_iter()
            .map(|entries| {
                let filter = Filter {
                    entries,
                    ..self.filter.clone()
                };
                let link = match filter.query_string() {
                    query if query.is_empty() => "/admin/audit".to_owned(),
                    query => format!("/admin/audit?{query}"),
                };
                (entries.label(), link, entries == self.filter.entries)
            })
            .collect()
    }

    /// The same filters about any patient.
    fn any_patient_link(&self) -> String {
        let filter = Filter {
            patient: None,
            ..self.filter.clone()
        };
        match filter.query_string() {
            query if query.is_empty() => "/admin/audit".to_owned(),
            query => format!("/admin/audit?{query}"),
        }
    }

    /// The day of row `index`, as a heading above it, where it starts a day of the page.
    fn day_heading(&self, index: &usize) -> Option<String> {
        let day_of = |row: &AuditRow| row.at.to_utc().with_timezone(&self.layout.zone).date_naive();
        let day = day_of(self.rows.get(*index)?);
        let starts_a_day = match index.checked_sub(1).and_then(|before| self.rows.get(before)) {
            Some(before) => day_of(before) != day,
            None => true,
        };
        starts_a_day.then(|| filters::long_day_of(&day))
    }

    /// When row `row` was written, as a `<time>` element's machine-readable value in the clinic's zone.
    fn at_attr(&self, row: &AuditRow) -> String {
        row.at
            .to_utc()
            .with_timezone(&self.layout.zone)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    }

    fn is_user(&self, value: &str) -> bool {
        self.query.user.trim() == value
    }

    fn is_staff(&self, id: &i64) -> bool {
        self.query.user.trim() == id.to_string()
    }

    fn is_action(&self, name: &str) -> bool {
        self.query.action.trim() == name
    }

    fn is_record(&self, name: &str) -> bool {
        self.query.record.trim() == name
    }
}

/// The trail, filtered and paged; filters that don't read answer 422 with a message beside each.
pub async fn list(
    _admin: Staff<Admins>,
    Page { state, layout, .. }: Page,
    Query(query): Query<TrailQuery>,
) -> AppResult<Response> {
    let mut conn = state.db.conn().await?;
    let staff = service::staff_choices(&mut conn).await?;
    let mut page = AuditPage {
        layout,
        errors: FieldErrors::default(),
        filter: Filter::default(),
        patient: None,
        staff,
        actions: known_actions(),
        record_types: RECORD_TYPES,
        rows: Vec::new(),
        cursor: Cursor::default(),
        csv_limit: CSV_LIMIT_TEXT,
        query,
    };
    match check(&mut conn, &page.query, &page.staff).await {
        Ok(Checked { filter, patient }) => {
            let zone = state.settings.get().clinic.time_zone;
            let found = service::page(&mut conn, &filter, zone, page.query.before(), PAGE_SIZE).await?;
            page.filter = filter;
            page.patient = patient;
            page.cursor = Cursor::from(&found);
            page.rows = found.rows;
            Ok(page.into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

/// Every entry the filters match (up to [`service::CSV_LIMIT`], newest first), in words, as CSV: checked here,
/// then written a page of entries at a time as a heavy download.
pub async fn csv(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    Query(query): Query<TrailQuery>,
) -> AppResult<Response> {
    let staff = service::staff_choices(&state.db).await?;
    let filter = match check(&state.db, &query, &staff).await {
        Ok(checked) => checked.filter,
        Err(ServiceError::Invalid(errors)) => return Err(AppError::Invalid(errors)),
        Err(err) => return Err(err.into()),
    };
    let zone = state.settings.get().clinic.time_zone;
    let db = state.db.clone();
    let body = state
        .heavy
        .stream(move |chunks| write_trail(db, filter, zone, chunks))
        .await?;
    Ok(csv_download(&format!("audit-{}.csv", state.today()), body))
}

/// Entries read and written out per chunk of the trail's CSV.
const CSV_CHUNK: i64 = 2_000;

async fn write_trail(db: Db, filter: Filter, zone: Tz, chunks: Chunks) -> AppResult<()> {
    const HEADER: [&str; 10] = [
        "entry", "when", "who", "username", "as", "action", "patient", "record", "from", "detail",
    ];
    let mut chunk = csv_records([HEADER])?;
    let (mut before, mut written) = (None, 0);
    loop {
        let page = service::page(&db, &filter, zone, before, CSV_CHUNK.min(service::CSV_LIMIT - written)).await?;
        chunk.extend(csv_records(page.rows.iter().map(|row| record(row, zone)))?);
        written += i64::try_from(page.rows.len()).unwrap_or(i64::MAX);
        if !chunks.send(std::mem::take(&mut chunk)).await {
            return Ok(());
        }
        match page.older {
            Some(older) if written < service::CSV_LIMIT => before = Some(older),
            _ => return Ok(()),
        }
    }
}

/// An entry of the trail as a line of its CSV, in the words the page uses.
fn record(row: &AuditRow, zone: Tz) -> [String; 10] {
    let described = row.described();
    [
        row.id.to_string(),
        filters::log_stamp_of(row.at, zone),
        described.who,
        row.actor_label.clone(),
        row.actor_role_words().to_owned(),
        row.action_label(),
        row.patient_words(),
        row.record_label(),
        row.ip.clone().unwrap_or_default(),
        row.detail.clone(),
    ]
}
