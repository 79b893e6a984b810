//! The printable sheet of one-time portal passwords: staff choose students (by faculty, department, level, and
//! by default only those without portal access yet) and print a slip with a fresh password for each.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{FrontDesk, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query};
use crate::web::layout::Layout;
use crate::web::layout::Page;
use sickbay_core::academic::model::{AcademicOptions, Department};
use sickbay_core::db::Date;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::patients::model::{SHEET_CAP, SheetFilter, SheetFilterQuery, SheetRequest, SheetStudent};
use sickbay_core::patients::repo;
use sickbay_core::patients::service::{self, Slip};

/// The selection page: the filter, the matching students (at most one sheet's worth) with a tick each.
#[derive(Template, WebTemplate)]
#[template(path = "patients/portal_access.html")]
pub struct SelectionPage {
    layout: Layout,
    filter: SheetFilter,
    academic: AcademicOptions,
    total: i64,
    students: Vec<SheetStudent>,
    /// The ticked ids; `None` ticks every listed student (a fresh page).
    ticked: Option<Vec<i64>>,
    /// The form's one-time id.
    form_id: FormKey,
    cap: usize,
    message: Option<String>,
}

impl SelectionPage {
    async fn load(state: &AppState, layout: Layout, filter: SheetFilter) -> AppResult<Self> {
        let (total, students) = repo::sheet_candidates(&state.db, &filter, SHEET_CAP as i64).await?;
        Ok(SelectionPage {
            layout,
            filter,
            academic: sickbay_core::academic::service::options(&state.db).await?,
            total,
            students,
            ticked: None,
            form_id: FormKey::mint(),
            cap: SHEET_CAP,
            message: None,
        })
    }

    fn is_ticked(&self, id: &i64) -> bool {
        self.ticked.as_ref().is_none_or(|ids| ids.contains(id))
    }

    fn chosen(&self, id: &Option<i64>, option: &i64) -> bool {
        *id == Some(*option)
    }

    /// A department with its faculty, as names repeat across faculties.
    fn department_label(&self, department: &Department) -> String {
        match self.academic.faculty_name(Some(department.faculty_id)) {
            Some(faculty) => format!("{} ({faculty})", department.name),
            None => department.name.clone(),
        }
    }

    fn ticked_count(&self) -> usize {
        self.students.iter().filter(|s| self.is_ticked(&s.id)).count()
    }

    /// How many listed students already have a password (replaced only when staff confirm).
    fn with_password(&self) -> usize {
        self.students.iter().filter(|s| s.has_password).count()
    }

    /// The box staff tick to confirm that the sheet replaces passwords students already have.
    fn replace_label(&self) -> String {
        match self.with_password() {
            1 => "This replaces the passwords of 1 student who has one: their current passwords stop working and \
                  they are logged out."
                .to_owned(),
            n => format!(
                "This replaces the passwords of {n} students who have one: their current passwords stop working \
                 and they are logged out."
            ),
        }
    }
}

pub async fn selection(
    _user: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<SheetFilterQuery>,
) -> AppResult<SelectionPage> {
    SelectionPage::load(&state, layout, query.filter()).await
}

/// The printed sheet: the clinic, the date and one slip per student.
#[derive(Template, WebTemplate)]
#[template(path = "patients/portal_sheet.html")]
pub struct SheetPage {
    layout: Layout,
    clinic_address: String,
    date: Date,
    login_at: String,
    slips: Vec<Slip>,
}

/// Issues the sheet, or answers the selection page again with what was wrong and the same ticks.
pub async fn issue(
    user: Staff<FrontDesk>,
    headers: HeaderMap,
    Page { state, layout, .. }: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let filter = SheetFilterQuery::from_fields(&fields).filter();
    let request = match SheetRequest::parse(&fields) {
        Ok(request) => request,
        Err(message) => {
            let answer = (StatusCode::UNPROCESSABLE_ENTITY, message);
            return refused(&state, layout, filter, SheetRequest::ticked(&fields), answer).await;
        }
    };
    match service::issue_sheet(&state.db, &user.actor, &request).await {
        Ok(slips) => Ok(sheet_response(&state, layout, &headers, slips)),
        // A refused selection (422) or a form that can't be used again (409): the page again, with why.
        Err(ServiceError::Refused(message)) => {
            let answer = (StatusCode::UNPROCESSABLE_ENTITY, message);
            refused(&state, layout, filter, request.ids, answer).await
        }
        Err(ServiceError::Conflict(message)) => {
            let answer = (StatusCode::CONFLICT, message);
            refused(&state, layout, filter, request.ids, answer).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The selection page again, with the message beside the button and the ticks as they were.
async fn refused(
    state: &AppState,
    layout: Layout,
    filter: SheetFilter,
    ticked: Vec<i64>,
    (status, message): (StatusCode, String),
) -> AppResult<Response> {
    let page = SelectionPage {
        ticked: Some(ticked),
        message: Some(message),
        ..SelectionPage::load(state, layout, filter).await?
    };
    Ok((status, page).into_response())
}

fn sheet_response(state: &AppState, layout: Layout, headers: &HeaderMap, slips: Vec<Slip>) -> Response {
    let settings = state.settings.get();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("this clinic's Sickbay");
    let page = SheetPage {
        layout,
        clinic_address: settings.clinic.address.clone(),
        date: Date(settings.today()),
        login_at: format!("{host}/login"),
        slips,
    };
    let mut response = page.into_response();
    // The passwords exist only in this response: no cache keeps them.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
