//! The admin's audit trail: filtered by who, patient, action, kind of record and days, paged from a cursor,
//! and downloaded as CSV with the same filters.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::model::{AuditRow, Filter, RECORD_TYPES, TrailQuery, known_actions};
use super::service::{self, CSV_LIMIT_TEXT, Checked, StaffChoice};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::{Query, invalid};
use crate::web::layout::Layout;
use crate::web::paging::PAGE_SIZE;
use crate::web::{AppError, AppResult, csv_table};

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
    /// Whether these are the newest entries.
    newest: bool,
    /// The `before` of the next, older page, if there are older entries.
    older: Option<i64>,
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

    fn newest_link(&self) -> String {
        self.link("/admin/audit", "")
    }

    fn older_link(&self, before: &i64) -> String {
        self.link("/admin/audit", &format!("before={before}"))
    }

    fn csv_link(&self) -> String {
        self.link("/admin/audit.csv", "")
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
    State(state): State<AppState>,
    layout: Layout,
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
        newest: true,
        older: None,
        csv_limit: CSV_LIMIT_TEXT,
        query,
    };
    match service::check(&mut conn, &page.query, &page.staff).await {
        Ok(Checked { filter, patient }) => {
            let zone = state.settings.get().clinic.time_zone;
            let found = service::page(&mut conn, &filter, zone, page.query.before(), PAGE_SIZE).await?;
            page.filter = filter;
            page.patient = patient;
            page.rows = found.rows;
            page.newest = found.newest;
            page.older = found.older;
            Ok(page.into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

/// Every entry the filters match (up to [`service::CSV_LIMIT`], newest first), in words, as CSV.
pub async fn csv(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    Query(query): Query<TrailQuery>,
) -> AppResult<Response> {
    let heavy = state.heavy.clone();
    heavy.run(trail_csv(state, query)).await
}

/// The CSV of the trail, built as a heavy page (up to [`service::CSV_LIMIT`] rows read and written out).
async fn trail_csv(state: AppState, query: TrailQuery) -> AppResult<Response> {
    let staff = service::staff_choices(&state.db).await?;
    let checked = match service::check(&state.db, &query, &staff).await {
        Ok(checked) => checked,
        Err(ServiceError::Invalid(errors)) => return Err(AppError::Invalid(errors)),
        Err(err) => return Err(err.into()),
    };
    let zone = state.settings.get().clinic.time_zone;
    let rows = service::all(&state.db, &checked.filter, zone).await?;
    let header = [
        "entry", "when", "who", "as", "action", "patient", "record", "from", "detail",
    ];
    let records = rows.iter().map(|row| {
        vec![
            row.id.to_string(),
            filters::stamp_of(row.at, zone),
            row.actor_label.clone(),
            row.actor_role_words().to_owned(),
            row.action_label(),
            row.patient_words(),
            row.record_label(),
            row.ip.clone().unwrap_or_default(),
            row.detail.clone(),
        ]
    });
    csv_table(&format!("audit-{}.csv", state.today()), &header, records)
}
