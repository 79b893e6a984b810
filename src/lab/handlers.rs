//! The lab's pages: the test catalogue (admins), the lab section of a visit and its live stream (doctors),
//! the worklist and an order's page with its result, release and vitals (lab attendants), and a patient's
//! health records. Every form works as a plain POST and redirect; htmx makes the visit's section swap in place.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono_tz::Tz;
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::{Admins, Clinicians, Doctors, LabDesk, LabReaders, LabStaff, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::live::{self, Frame, LiveBlock, Since};
use crate::web::paging::address;
use crate::web::{AppError, AppResult, IdPath, IdsPath};
use sickbay_core::consult::model::{Access, Recorded, Shown, Visit, VisitLine, VitalsForm};
use sickbay_core::db::events::Event;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Date, Reader};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::lab::model::{
    HealthRecordForm, LabTest, LabTestForm, OrderMove, OrderView, Outcome, Releaser, ResultFlag, ResultForm,
    WorklistShow,
};
use sickbay_core::lab::repo::{OrderDetail, ResultBack, WorkItem};
use sickbay_core::lab::service::{self, HealthRecord};
use sickbay_core::patients::model::{Patient, age};
use sickbay_core::validation::{FieldErrors, ids_named, parse_id};

// ---- the catalogue --------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "lab/tests.html")]
pub struct TestsPage {
    layout: Layout,
    tests: Vec<LabTest>,
    form: LabTestForm,
    errors: FieldErrors,
}

pub async fn tests(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<TestsPage> {
    Ok(TestsPage {
        layout,
        tests: service::tests(&state.db).await?,
        form: LabTestForm {
            form_id: FormKey::mint().to_string(),
            active: Some("1".into()),
            ..LabTestForm::default()
        },
        errors: FieldErrors::default(),
    })
}

pub async fn add_test(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<LabTestForm>,
) -> AppResult<Response> {
    let actor = admin.actor_with_form(&form.form_id)?;
    let digits = state.settings.get().currency().minor_digits;
    match service::save_test(&state.db, &actor, None, &form, digits).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, format!("{} added.", form.name.trim())).await?;
            Ok(redirect(HxRequest(false), "/admin/lab-tests"))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(TestsPage {
            layout,
            tests: service::tests(&state.db).await?,
            form,
            errors,
        })),
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "lab/test_edit.html")]
pub struct TestEditPage {
    layout: Layout,
    id: i64,
    form: LabTestForm,
    errors: FieldErrors,
}

pub async fn edit_test(
    _admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<TestEditPage> {
    let test = service::test(&state.db, id).await?;
    let digits = state.settings.get().currency().minor_digits;
    Ok(TestEditPage {
        layout,
        id,
        form: LabTestForm::of(&test, digits),
        errors: FieldErrors::default(),
    })
}

pub async fn update_test(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<LabTestForm>,
) -> AppResult<Response> {
    let digits = state.settings.get().currency().minor_digits;
    match service::save_test(&state.db, &admin.actor, Some(id), &form, digits).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, format!("{} saved.", form.name.trim())).await?;
            Ok(redirect(HxRequest(false), "/admin/lab-tests"))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(TestEditPage {
            layout,
            id,
            form,
            errors,
        })),
        Err(err) => Err(err.into()),
    }
}

// ---- the lab section of a visit -------------------------------------------------------------------------

/// The lab orders of a visit as its consultation screen shows them, with the order form for its doctor.
pub struct LabSection {
    pub visit_id: i64,
    pub orders: Vec<OrderView>,
    /// The tests that may be ordered now (offered, and not ordered in this visit already).
    pub tests: Vec<LabTest>,
    pub can_order: bool,
    pub csrf_token: String,
    pub zone: Tz,
    pub errors: FieldErrors,
    pub note: String,
    pub chosen: Vec<i64>,
    /// The order form's one-time id (`db::form_ids`), fresh each time the section is shown.
    pub form_id: String,
}

impl LabSection {
    /// The line the order form folds under: the first tests, or more.
    pub fn order_summary(&self) -> &'static str {
        if self.orders.is_empty() {
            "Order tests"
        } else {
            "Order more tests"
        }
    }

    pub fn is_chosen(&self, test: &LabTest) -> bool {
        self.chosen.contains(&test.id)
    }

    /// The tests to order grouped by their specimen (blood, urine, ...), groups and tests by name.
    pub fn tests_by_specimen(&self) -> Vec<(&str, Vec<&LabTest>)> {
        let mut groups: std::collections::BTreeMap<&str, Vec<&LabTest>> = std::collections::BTreeMap::new();
        for test in &self.tests {
            groups.entry(test.specimen.as_str()).or_default().push(test);
        }
        groups
            .into_iter()
            .map(|(specimen, mut tests)| {
                tests.sort_by(|a, b| a.name.cmp(&b.name));
                (specimen, tests)
            })
            .collect()
    }

    pub fn may_cancel(&self, order: &OrderView) -> bool {
        self.can_order && order.can(OrderMove::Cancel)
    }

    pub fn cancel_confirmation(&self, order: &OrderView) -> Confirmation {
        Confirmation {
            action: format!("/visits/{}/lab/orders/{}/cancel", self.visit_id, order.id),
            question: format!("Cancel the {} order?", order.test_name),
            detail: "The lab will no longer see it on its worklist. You can order the test again later.".into(),
            button: format!("Cancel {}", order.test_name),
        }
    }

    pub fn range_label(&self, order: &OrderView) -> String {
        order.range().label()
    }

    pub fn order_error(&self) -> Option<&str> {
        self.errors.get("test_id")
    }
}

/// The visit's lab section for `user`, read on `db` (the consultation screen's `load_page` calls this).
pub async fn visit_section(
    state: &AppState,
    db: impl Reader,
    user: &StaffUser,
    visit: &Visit,
    csrf_token: &str,
) -> AppResult<LabSection> {
    load_section(
        state,
        db,
        user,
        visit,
        csrf_token.to_owned(),
        FieldErrors::default(),
        Default::default(),
    )
    .await
}

/// The section, its orders and tests read on `db` (the clinic's zone from `state`).
async fn load_section(
    state: &AppState,
    mut db: impl Reader,
    user: &StaffUser,
    visit: &Visit,
    csrf_token: String,
    errors: FieldErrors,
    attempt: (String, Vec<i64>),
) -> AppResult<LabSection> {
    let orders = service::visit_orders(&mut db, visit.id).await?;
    let can_order = visit.allows(user, Access::Write);
    let tests = match can_order {
        true => service::active_tests(&mut db)
            .await?
            .into_iter()
            .filter(|t| !orders.iter().any(|o| o.test_id == t.id))
            .collect(),
        false => Vec::new(),
    };
    Ok(LabSection {
        visit_id: visit.id,
        orders,
        tests,
        can_order,
        csrf_token,
        zone: state.settings.get().clinic.time_zone,
        errors,
        note: attempt.0,
        chosen: attempt.1,
        form_id: FormKey::mint().to_string(),
    })
}

/// The lab section alone on a page: what an htmx order form swaps its section from, and what a refused
/// order form shows without JavaScript (with its messages, 422).
#[derive(Template, WebTemplate)]
#[template(path = "lab/visit_orders.html")]
pub struct VisitOrdersPage {
    layout: Layout,
    patient: Patient,
    lab: LabSection,
}

/// The list of the section, pushed live to the visit's screen.
#[derive(Template)]
#[template(path = "lab/_visit_order_list.html")]
struct OrderList<'a> {
    lab: &'a LabSection,
}

async fn section_page(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    visit_id: i64,
    errors: FieldErrors,
    attempt: (String, Vec<i64>),
) -> AppResult<VisitOrdersPage> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, user, visit_id, Access::Read).await?;
    let patient = sickbay_core::patients::service::get(&state.db, visit.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lab = load_section(
        state,
        &state.db,
        user,
        &visit,
        layout.csrf_token.clone(),
        errors,
        attempt,
    )
    .await?;
    Ok(VisitOrdersPage { layout, patient, lab })
}

/// Orders tests in a visit: the form's `test_id` fields (one per test ticked) and its note.
pub async fn order(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut note = String::new();
    let mut chosen = Vec::new();
    let mut form_id = String::new();
    for (name, value) in pairs {
        match name.as_str() {
            "test_id" => chosen.push(parse_id(&value).ok_or(AppError::BadRequest("No such test.".into()))?),
            "note" => note = value,
            "form_id" => form_id = value,
            _ => {}
        }
    }
    let actor = user.actor_with_form(&form_id)?;
    let result = service::order_tests(&state.db, &user, &actor, id, &chosen, &note).await;
    match result {
        Ok(_) => {
            if hx.0 {
                let page = section_page(&state, &user, layout, id, FieldErrors::default(), Default::default()).await?;
                return Ok(page.into_response());
            }
            Ok(redirect(hx, &format!("/visits/{id}#lab")))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            section_page(&state, &user, layout, id, errors, (note, chosen)).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

/// The confirmation page of cancelling an order, for browsers without JavaScript.
pub async fn confirm_cancel(
    user: Staff<Doctors>,
    IdsPath(id, order_id): IdsPath,
    Page { state, layout, .. }: Page,
) -> AppResult<Response> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, &user, id, Access::Write).await?;
    let section = load_section(
        &state,
        &state.db,
        &user,
        &visit,
        String::new(),
        FieldErrors::default(),
        Default::default(),
    )
    .await?;
    let order = section
        .orders
        .iter()
        .find(|o| o.id == order_id)
        .ok_or(AppError::NotFound)?;
    let page = ConfirmPage::new(layout, section.cancel_confirmation(order), format!("/visits/{id}#lab"));
    Ok(page.into_response())
}

pub async fn cancel(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdsPath(id, order_id): IdsPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    service::cancel_order(&state.db, &user, &user.actor, id, order_id).await?;
    flash(&session, FlashKind::Success, "The lab order is cancelled.").await?;
    Ok(redirect(hx, &format!("/visits/{id}#lab")))
}

/// The visit's lab orders, live: the list again whenever the lab (or the doctor) changes one of its orders.
/// Only those who may read the visit connect.
pub async fn visit_events(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Response> {
    sickbay_core::consult::service::visit_for(&state.db, &user, id, Access::Read).await?;
    let csrf_token = crate::web::csrf::token(&session).await?;
    let (stream_state, user) = (state.clone(), user.user);
    Ok(live::stream(&state, Event::touches_lab, move |delivered| {
        let (state, user, csrf_token) = (stream_state.clone(), user.clone(), csrf_token.clone());
        async move {
            if let Some(delivered) = &delivered
                && let Event::Lab { visit_id } = delivered.event
                && visit_id != id
            {
                return Ok(Vec::new());
            }
            let visit = sickbay_core::consult::service::visit_for(&state.db, &user, id, Access::Read).await?;
            let section = load_section(
                &state,
                &state.db,
                &user,
                &visit,
                csrf_token,
                FieldErrors::default(),
                Default::default(),
            )
            .await?;
            Ok(vec![Frame::new("lab-orders", OrderList { lab: &section }.render()?)])
        }
    })
    .into_response())
}

// ---- the worklist ---------------------------------------------------------------------------------------

/// A worklist row as shown: the order with the patient's age on today, and whether it is the first of several
/// rows of one visit (it then links to the visit's results sheet; the list may not hold all of them, so the link
/// says no number).
pub struct WorkRow {
    pub item: WorkItem,
    pub age: Option<u32>,
    pub leads_visit: bool,
    /// Ordered today, so the row gives the time alone.
    pub ordered_today: bool,
}

fn rows(items: Vec<WorkItem>, today: Date, zone: Tz) -> Vec<WorkRow> {
    let leads_visit = |at: usize, item: &WorkItem| {
        let earlier = items[..at].iter().any(|other| other.visit_id == item.visit_id);
        let later = items[at + 1..].iter().any(|other| other.visit_id == item.visit_id);
        !earlier && later
    };
    let leads: Vec<bool> = items
        .iter()
        .enumerate()
        .map(|(at, item)| leads_visit(at, item))
        .collect();
    items
        .into_iter()
        .zip(leads)
        .map(|(item, leads_visit)| WorkRow {
            age: age(item.date_of_birth, today.0),
            ordered_today: item.ordered_at.to_utc().with_timezone(&zone).date_naive() == today.0,
            item,
            leads_visit,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "lab/_worklist_rows.html")]
struct WorklistRows<'a> {
    rows: &'a [WorkRow],
    /// Orders waiting beyond the rows shown.
    more: i64,
    zone: Tz,
    shown: WorklistShow,
    releaser: Releaser,
}

impl WorklistRows<'_> {
    /// What the empty list says.
    fn none_waiting(&self) -> &'static str {
        match (self.shown, self.releaser) {
            (WorklistShow::All, _) => "No orders waiting. New orders appear here as doctors place them.",
            (WorklistShow::Take, _) => "No tests to run. New orders appear here as doctors place them.",
            (WorklistShow::Release, Releaser::Lab) => {
                "No results to release. Saved results appear here until they are released."
            }
            (WorklistShow::Release, Releaser::DoctorIfAbnormal) => {
                "No results to release. Saved normal results appear here; a low, high or abnormal one goes to the \
                 patient when the doctor who ordered it marks it seen."
            }
            (WorklistShow::Release, Releaser::OrderingDoctor) => {
                "No results to release: here a saved result goes to the patient when the doctor who ordered it marks \
                 it seen."
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "lab/worklist.html")]
pub struct WorklistPage {
    layout: Layout,
    user: StaffUser,
    today: Date,
    glance: LiveBlock,
    rows_html: String,
    time_zone: &'static str,
    /// Patients with a doctor now, whose vitals the lab may take.
    open_visits: Vec<VisitLine>,
    /// Whether the user does the lab's work (an admin reads the worklist only).
    does_lab_work: bool,
    shown: WorklistShow,
}

impl WorklistPage {
    /// The choice links: each one's label, address, and whether it is the one shown.
    fn show_links(&self) -> Vec<(&'static str, String, bool)> {
        WorklistShow::ALL
            .iter()
            .map(|show| (show.label(), worklist_address(*show), *show == self.shown))
            .collect()
    }

    /// What the list holds, in its order.
    fn explained(&self) -> &'static str {
        match self.shown {
            WorklistShow::All => "Oldest first: tests to run and results not yet released.",
            WorklistShow::Take => "Oldest first: samples to take and results to record.",
            WorklistShow::Release => "Oldest first: results saved and not yet released.",
        }
    }

    /// The stream of the rows shown.
    fn events_address(&self) -> String {
        address("/lab/events", &show_pairs(self.shown))
    }
}

/// The worklist showing `show`.
fn worklist_address(show: WorklistShow) -> String {
    address("/lab", &show_pairs(show))
}

/// The `show` of a worklist's address: none for all that waits.
fn show_pairs(show: WorklistShow) -> [(&'static str, &'static str); 1] {
    match show {
        WorklistShow::All => [("show", "")],
        part => [("show", part.as_str())],
    }
}

/// Which orders the worklist shows (`?show=`).
#[derive(Debug, Default, Deserialize)]
pub struct WorklistQuery {
    #[serde(default)]
    show: String,
}

impl WorklistQuery {
    fn show(&self) -> WorklistShow {
        WorklistShow::from_query(&self.show)
    }
}

/// How many open visits the worklist lists for vitals.
const OPEN_VISITS: i64 = 50;

/// The lab's figures: the orders waiting, by what they wait for, and the patients with a doctor now.
#[derive(Template)]
#[template(path = "lab/_glance.html")]
struct Glance {
    waiting: service::Waiting,
    with_doctor: i64,
}

impl Glance {
    /// Where a figure of the orders waiting leads: the worklist showing just those.
    fn list_of(&self, show: WorklistShow) -> String {
        format!("{}#worklist-heading", worklist_address(show))
    }
}

async fn glance(state: &AppState) -> AppResult<String> {
    Ok(Glance {
        waiting: service::waiting(&state.db, state.settings.get().lab.releaser()).await?,
        with_doctor: sickbay_core::consult::service::count_open_visits(&state.db, None).await?,
    }
    .render()?)
}

/// The lab's figures alone, re-read by its home page when its stream says an order (or a visit) changed.
pub async fn summary(_user: Staff<LabDesk>, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(glance(&state).await?))
}

/// Visits start and end with the queue's changes: the patients with a doctor move with them.
pub async fn summary_events(
    _user: Staff<LabDesk>,
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Response {
    live::changes(&state, |e| e.touches_lab() || e.touches_queues(), since.seq()).into_response()
}

/// The lab attendant's home: the lab's figures and the orders waiting for the lab, oldest first, both live.
pub async fn worklist(
    user: Staff<LabDesk>,
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<WorklistQuery>,
) -> AppResult<WorklistPage> {
    let settings = state.settings.get();
    let shown = query.show();
    Ok(WorklistPage {
        layout,
        today: Date(settings.today()),
        glance: LiveBlock::load(&state, "/lab", "/lab/summary", glance(&state)).await?,
        rows_html: worklist_rows(&state, &user, shown).await?.to_string(),
        open_visits: sickbay_core::consult::service::open_visits(&state.db, OPEN_VISITS).await?,
        does_lab_work: service::is_lab(&user),
        user: user.user,
        time_zone: settings.clinic.time_zone.name(),
        shown,
    })
}

pub async fn worklist_events(
    user: Staff<LabDesk>,
    State(state): State<AppState>,
    Query(query): Query<WorklistQuery>,
) -> Response {
    let (stream_state, user, shown) = (state.clone(), user.user, query.show());
    live::stream(&state, Event::touches_lab, move |_| {
        let (state, user) = (stream_state.clone(), user.clone());
        async move {
            Ok(vec![Frame::new(
                "worklist",
                worklist_rows(&state, &user, shown).await?.to_string(),
            )])
        }
    })
    .into_response()
}

/// The worklist's rows as the page shows them and its stream pushes them: rendered once per change (or every
/// [`super::MAX_AGE`]) for each choice of rows, and shared by every lab screen and stream showing it.
async fn worklist_rows(state: &AppState, user: &StaffUser, shown: WorklistShow) -> AppResult<Arc<str>> {
    let key = format!("worklist:{}:{}", state.today(), shown.as_str());
    let compute = || async { Ok(Arc::from(render_worklist_rows(state, user, shown).await?)) };
    let caches = &state.lab.worklist;
    caches
        .get_within(&key, state.db.events().last_seq(), super::MAX_AGE, compute)
        .await
}

async fn render_worklist_rows(state: &AppState, user: &StaffUser, shown: WorklistShow) -> AppResult<String> {
    let settings = state.settings.get();
    let worklist = service::worklist(&state.db, user, shown, settings.lab.releaser()).await?;
    let more = worklist.waiting - worklist.items.len() as i64;
    let rows = rows(worklist.items, Date(settings.today()), settings.clinic.time_zone);
    Ok(WorklistRows {
        rows: &rows,
        more,
        zone: settings.clinic.time_zone,
        shown,
        releaser: settings.lab.releaser(),
    }
    .render()?)
}

// ---- an order's page ------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "lab/order.html")]
pub struct OrderPage {
    layout: Layout,
    order: OrderDetail,
    patient: Patient,
    age: Option<u32>,
    test: LabTest,
    form: ResultForm,
    errors: FieldErrors,
    /// How many live orders the order's visit has (with others, the page links to the visit's sheet).
    visit_orders: usize,
    visit_open: bool,
    vitals: Option<Recorded>,
    vitals_form: VitalsForm,
    vitals_errors: FieldErrors,
    /// Whether the user does the lab's work (an admin reads the order only).
    does_lab_work: bool,
    releaser: Releaser,
}

impl OrderPage {
    pub fn can(&self, mv: OrderMove) -> bool {
        self.does_lab_work && self.order.view.lab_can(mv, self.releaser)
    }

    /// Whether the lab's part of this order is over (its result in, nothing left to release here): the page then
    /// leads back to the worklist.
    pub fn lab_is_done(&self) -> bool {
        self.does_lab_work && self.order.view.status.has_result() && !self.can(OrderMove::Release)
    }

    /// Whether the result waits for the ordering doctor to see it before the patient can.
    pub fn awaits_doctor(&self) -> bool {
        self.order.view.awaits_doctor(self.releaser)
    }

    pub fn vitals_open(&self) -> bool {
        self.visit_open
    }

    pub fn vitals_action(&self) -> String {
        format!("/lab/orders/{}/vitals", self.order.view.id)
    }

    /// The label of the result's field: a number is a value, anything else the result.
    pub fn value_label(&self) -> &'static str {
        match self.test.is_numeric() {
            true => "Value",
            false => "Result",
        }
    }

    pub fn value_help(&self) -> String {
        self.test.value_help(self.patient.sex)
    }
}

async fn order_page(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    order_id: i64,
    attempt: Option<(ResultForm, FieldErrors)>,
    vitals_attempt: Option<(VitalsForm, FieldErrors)>,
) -> AppResult<OrderPage> {
    let db = &state.db;
    let order = service::order_for_lab(db, user, order_id).await?;
    let patient = sickbay_core::patients::service::get(db, order.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let test = service::test(db, order.view.test_id).await?;
    let visit_orders = service::visit_orders(db, order.view.visit_id).await?.len();
    let visit_open = sickbay_core::consult::service::visit_for(db, user, order.view.visit_id, Access::Vitals)
        .await
        .is_ok();
    let vitals = sickbay_core::consult::service::latest_vitals(db, patient.id).await?;
    let (form, errors) = attempt.unwrap_or_else(|| (ResultForm::of(&order.view), FieldErrors::default()));
    let (vitals_form, vitals_errors) = vitals_attempt.unwrap_or_else(|| (VitalsForm::fresh(), FieldErrors::default()));
    Ok(OrderPage {
        age: patient.age_on(state.settings.get().today()),
        layout,
        order,
        patient,
        test,
        form,
        errors,
        visit_orders,
        visit_open,
        vitals,
        vitals_form,
        vitals_errors,
        does_lab_work: service::is_lab(user),
        releaser: state.settings.get().lab.releaser(),
    })
}

pub async fn order_detail(
    user: Staff<LabDesk>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<OrderPage> {
    let page = order_page(&state, &user, layout, id, None, None).await?;
    service::record_order_read(&state.reads, &user.actor, &page.order).await?;
    Ok(page)
}

pub async fn record_result(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<ResultForm>,
) -> AppResult<Response> {
    match service::record_result(&state.db, &user, &user.actor, id, &form).await {
        Ok(recorded) => {
            let abnormal = recorded.flag.is_some_and(ResultFlag::is_abnormal);
            let releaser = state.settings.get().lab.releaser();
            let message = match releaser.waits_for_doctor(abnormal, recorded.critical) {
                _ if recorded.critical => {
                    "Critical result saved, with whom you told. It goes to the patient when the doctor marks it seen."
                }
                true => "Result saved. It goes to the patient when the doctor who ordered it marks it seen.",
                false => "Result saved. Check it, then release it to the patient.",
            };
            flash(&session, FlashKind::Success, message).await?;
            Ok(redirect(HxRequest(false), &format!("/lab/orders/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            order_page(&state, &user, layout, id, Some((form, errors)), None).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

/// The sample of an order taken (its label printed, the tube on its way): from the order's page, which it comes
/// back to, or in one click from the worklist (htmx), whose stream then moves the row on to "Record result".
pub async fn collect(
    user: Staff<LabStaff>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    hx: HxRequest,
    session: Session,
) -> AppResult<Response> {
    let taken = service::collect_sample(&state.db, &user, &user.actor, id).await?;
    if hx.0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let message = match taken {
        true => "Sample taken: record the result when it is read.",
        false => "This sample was already taken.",
    };
    back_to_order(&session, id, message).await
}

pub async fn release(
    user: Staff<LabStaff>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Response> {
    let releaser = state.settings.get().lab.releaser();
    let message = match service::release(&state.db, &user, &user.actor, id, releaser).await? {
        true => "Released: the patient can now see this result.",
        false => "This result was already released.",
    };
    back_to_order(&session, id, message).await
}

/// What the doctor did about a critical result, written as they mark it seen (other results ask nothing).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SeenForm {
    acted_on: String,
}

/// "Seen" on the doctor's results to review: the result leaves the list.
pub async fn mark_seen(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
    Form(form): Form<SeenForm>,
) -> AppResult<Response> {
    let releaser = state.settings.get().lab.releaser();
    let seen = service::mark_seen(&state.db, &user, &user.actor, id, &form.acted_on, releaser).await?;
    flash(&session, FlashKind::Success, seen_message(seen, 1)).await?;
    Ok(redirect(hx, "/doctor#results"))
}

/// Several results marked seen at once, some of which go to their patients with it (they waited for the
/// doctor): the doctor confirms, with those listed, before anything is marked.
#[derive(Template, WebTemplate)]
#[template(path = "lab/confirm_seen.html")]
pub struct ConfirmSeenPage {
    layout: Layout,
    ids: Vec<i64>,
    /// The results that go to their patients when marked seen.
    going: Vec<ResultBack>,
}

/// "Mark the ticked seen" and "Mark all N seen" under the doctor's results to review: the form lists each
/// row's order as `shown` and each ticked one as `order`; the button named `all` takes every row shown. When
/// several are marked and some go to their patients with it, the doctor confirms first (`confirmed`).
pub async fn mark_list_seen(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    layout: Layout,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let every_row = crate::web::form::field_value(&fields, "all").is_some();
    let ids = ids_named(&fields, if every_row { "shown" } else { "order" });
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "Tick the results you have seen, then press Mark the ticked seen.".into(),
        ));
    }
    let releaser = state.settings.get().lab.releaser();
    let confirmed = crate::web::form::field_value(&fields, "confirmed").is_some();
    if !confirmed && ids.len() > 1 {
        let going = going_to_patients(&state, &user, &ids, releaser).await?;
        if !going.is_empty() {
            return Ok(ConfirmSeenPage { layout, ids, going }.into_response());
        }
    }
    let seen = service::mark_seen_together(&state.db, &user, &user.actor, &ids, releaser).await?;
    flash(&session, FlashKind::Success, seen_message(seen, ids.len())).await?;
    Ok(redirect(hx, "/doctor#results"))
}

/// The doctor's results among `ids` that marking them seen sends to their patients; none to ask about when a
/// critical one is among them (the list is refused whole: a critical result is marked seen on its own).
async fn going_to_patients(
    state: &AppState,
    user: &StaffUser,
    ids: &[i64],
    releaser: Releaser,
) -> AppResult<Vec<ResultBack>> {
    let listed = service::results_to_review(&state.db, user.id, service::SEEN_AT_ONCE as i64).await?;
    let chosen: Vec<ResultBack> = listed
        .into_iter()
        .filter(|result| ids.contains(&result.view.id))
        .collect();
    if chosen.iter().any(|result| result.view.critical) {
        return Ok(Vec::new());
    }
    Ok(chosen
        .into_iter()
        .filter(|result| result.view.awaits_doctor(releaser))
        .collect())
}

/// What a doctor's "Mark seen" of `asked` results tells them: how many left their list, and whether the
/// patients can read them now (where they waited for the doctor) or had them already, or will when the lab
/// releases them.
fn seen_message(seen: service::Seen, asked: usize) -> String {
    let service::Seen { marked, released } = seen;
    match (marked, released) {
        (0, _) if asked == 1 => "You had already marked this result seen.".to_owned(),
        (0, _) => "You had already marked these results seen.".to_owned(),
        (1, 1) => "Marked 1 result seen: it is off your list, and the patient can now read it.".to_owned(),
        (1, _) => "Marked 1 result seen: it is off your list and stays in the patient's record.".to_owned(),
        (n, 0) => format!("Marked {n} results seen: they are off your list and stay in the patients' records."),
        (n, r) if r == n => {
            format!("Marked {n} results seen: they are off your list, and the patients can now read them.")
        }
        (n, r) => format!(
            "Marked {n} results seen: they are off your list, and the patients can now read the {r} that waited \
             for you."
        ),
    }
}

/// Back to the order's page, saying what was done.
async fn back_to_order(session: &Session, id: i64, message: &str) -> AppResult<Response> {
    flash(session, FlashKind::Success, message).await?;
    Ok(redirect(HxRequest(false), &format!("/lab/orders/{id}")))
}

/// Vitals taken by the lab attendant for the order's visit (while it is open).
pub async fn record_vitals(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<VitalsForm>,
) -> AppResult<Response> {
    let order = service::order_for_lab(&state.db, &user, id).await?;
    let actor = user.actor_with_form(&form.form_id)?;
    match sickbay_core::consult::service::record_vitals(&state.db, &user, &actor, order.view.visit_id, &form).await {
        Ok(()) => {
            flash(&session, FlashKind::Success, "Vitals saved.").await?;
            Ok(redirect(HxRequest(false), &format!("/lab/orders/{id}#vitals")))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            order_page(&state, &user, layout, id, None, Some((form, errors))).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

// ---- a visit's results on one sheet ---------------------------------------------------------------------

/// A visit's tests on one page: the result of each still open to the lab typed in one go, then all released
/// together.
#[derive(Template, WebTemplate)]
#[template(path = "lab/visit_results.html")]
pub struct VisitResultsPage {
    layout: Layout,
    visit_id: i64,
    patient: Patient,
    age: Option<u32>,
    rows: Vec<SheetRow>,
    /// Why the sheet was sent back, beside no field (nothing typed).
    problem: Option<String>,
    does_lab_work: bool,
    releaser: Releaser,
}

/// An order on the sheet, with what was typed for it and its messages.
pub struct SheetRow {
    order: OrderView,
    test: LabTest,
    form: ResultForm,
    errors: FieldErrors,
    help: String,
}

impl SheetRow {
    fn suffix(&self) -> String {
        format!("_{}", self.order.id)
    }
}

impl VisitResultsPage {
    fn may(&self, mv: OrderMove) -> bool {
        self.does_lab_work && self.rows.iter().any(|row| row.order.lab_can(mv, self.releaser))
    }

    /// How many results are recorded and wait for the lab to release them.
    fn to_release(&self) -> usize {
        self.rows
            .iter()
            .filter(|row| row.order.lab_may_release(self.releaser))
            .count()
    }

    /// How many recorded results wait for the ordering doctor to see them before the patient can.
    fn awaiting_doctor(&self) -> usize {
        self.rows
            .iter()
            .filter(|row| row.order.awaits_doctor(self.releaser))
            .count()
    }
}

/// A sheet sent back: what was typed for each order, the messages of those refused, and a message for the
/// sheet as a whole.
#[derive(Default)]
struct SheetAttempt {
    typed: Vec<(i64, ResultForm)>,
    refused: Vec<(i64, FieldErrors)>,
    problem: Option<String>,
}

async fn visit_results_page(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    visit_id: i64,
    attempt: SheetAttempt,
) -> AppResult<VisitResultsPage> {
    let db = &state.db;
    let visit = service::visit_results(db, user, visit_id).await?;
    let patient = sickbay_core::patients::service::get(db, visit.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let SheetAttempt {
        typed,
        mut refused,
        problem,
    } = attempt;
    let rows = visit
        .orders
        .into_iter()
        .map(|(order, test)| {
            // What was typed comes back against the result as it is now: a change made meanwhile is named
            // beside its field in this same answer, so saving again means to replace it.
            let form = match typed.iter().find(|(id, _)| *id == order.id) {
                Some((_, form)) if order.can(OrderMove::Record) => ResultForm {
                    seen: order.result_version().to_string(),
                    ..form.clone()
                },
                _ => ResultForm::of(&order),
            };
            let errors = match refused.iter().position(|(id, _)| *id == order.id) {
                Some(at) => refused.swap_remove(at).1,
                None => FieldErrors::default(),
            };
            SheetRow {
                help: test.value_help(patient.sex),
                order,
                test,
                form,
                errors,
            }
        })
        .collect();
    Ok(VisitResultsPage {
        age: patient.age_on(state.settings.get().today()),
        layout,
        visit_id,
        patient,
        rows,
        problem,
        does_lab_work: service::is_lab(user),
        releaser: state.settings.get().lab.releaser(),
    })
}

/// The sheet of a visit's tests.
pub async fn visit_results(
    user: Staff<LabDesk>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<VisitResultsPage> {
    let page = visit_results_page(&state, &user, layout, id, SheetAttempt::default()).await?;
    let read = ("visit", id);
    sickbay_core::consult::service::record_read(&state.reads, &user.actor, "visit.view_results", read, page.patient.id)
        .await?;
    Ok(page)
}

/// The results typed on the sheet, saved together; a blank one is left for later.
pub async fn record_visit_results(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let sheet = sickbay_core::lab::model::result_sheet(&fields);
    if !sheet.iter().any(|(_, form)| form.is_typed()) {
        let attempt = SheetAttempt {
            typed: sheet,
            refused: Vec::new(),
            problem: Some("Type at least one result, or leave the page.".to_owned()),
        };
        return Ok(invalid(visit_results_page(&state, &user, layout, id, attempt).await?));
    }
    match service::record_visit_results(&state.db, &user, &user.actor, id, &sheet).await? {
        service::Sheet::Saved(saved) => {
            let message = match (saved, state.settings.get().lab.releaser()) {
                (0, _) => "Nothing changed: these results were saved already.".to_owned(),
                (1, Releaser::Lab) => "1 result saved. Check it, then release it to the patient.".to_owned(),
                (n, Releaser::Lab) => format!("{n} results saved. Check them, then release them to the patient."),
                (n, Releaser::DoctorIfAbnormal) => format!(
                    "{} saved. Check and release the normal ones; a low, high or abnormal one goes to the patient \
                     when the doctor who ordered it marks it seen.",
                    service::results_word(n)
                ),
                (n, Releaser::OrderingDoctor) => format!(
                    "{} saved. The patient reads them when the doctor who ordered them marks them seen.",
                    service::results_word(n)
                ),
            };
            flash(&session, FlashKind::Success, message).await?;
            Ok(redirect(HxRequest(false), &format!("/lab/visits/{id}/results")))
        }
        service::Sheet::Refused(refused) => {
            let attempt = SheetAttempt {
                typed: sheet,
                refused,
                problem: None,
            };
            Ok(invalid(visit_results_page(&state, &user, layout, id, attempt).await?))
        }
    }
}

/// Every recorded result of the visit released to the patient, with one message to them.
pub async fn release_visit_results(
    user: Staff<LabStaff>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Response> {
    let releaser = state.settings.get().lab.releaser();
    let message = match service::release_visit(&state.db, &user, &user.actor, id, releaser).await? {
        0 => "There was nothing to release: these results were released already.".to_owned(),
        1 => "Released: the patient can now see this result.".to_owned(),
        n => format!("Released {n} results: the patient can now see them."),
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(redirect(HxRequest(false), &format!("/lab/visits/{id}/results")))
}

// ---- vitals for an open visit ----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "lab/visit_vitals.html")]
pub struct VisitVitalsPage {
    layout: Layout,
    visit: Visit,
    patient: Patient,
    age: Option<u32>,
    vitals: Option<Recorded>,
    f: VitalsForm,
    errors: FieldErrors,
}

impl VisitVitalsPage {
    pub fn vitals_open(&self) -> bool {
        self.visit.is_open()
    }

    pub fn vitals_action(&self) -> String {
        format!("/lab/visits/{}/vitals", self.visit.id)
    }
}

async fn visit_vitals_page(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    visit_id: i64,
    attempt: Option<(VitalsForm, FieldErrors)>,
) -> AppResult<VisitVitalsPage> {
    let db = &state.db;
    let visit = sickbay_core::consult::service::visit_for(db, user, visit_id, Access::Vitals).await?;
    let patient = sickbay_core::patients::service::get(db, visit.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let vitals = sickbay_core::consult::service::latest_vitals(db, patient.id).await?;
    let (f, errors) = attempt.unwrap_or_else(|| (VitalsForm::fresh(), FieldErrors::default()));
    Ok(VisitVitalsPage {
        age: patient.age_on(state.settings.get().today()),
        layout,
        visit,
        patient,
        vitals,
        f,
        errors,
    })
}

/// The form for a patient's vitals while they are with a doctor (no lab order needed).
pub async fn visit_vitals(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<VisitVitalsPage> {
    let page = visit_vitals_page(&state, &user, layout, id, None).await?;
    let read = ("visit", page.visit.id);
    sickbay_core::consult::service::record_read(&state.reads, &user.actor, "visit.view_vitals", read, page.patient.id)
        .await?;
    Ok(page)
}

/// Vitals taken by the lab attendant for an open visit.
pub async fn record_visit_vitals(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<VitalsForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    match sickbay_core::consult::service::record_vitals(&state.db, &user, &actor, id, &form).await {
        Ok(()) => {
            flash(&session, FlashKind::Success, "Vitals saved.").await?;
            Ok(redirect(HxRequest(false), &format!("/lab/visits/{id}/vitals#vitals")))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            visit_vitals_page(&state, &user, layout, id, Some((form, errors))).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

// ---- health records -------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "lab/health_records.html")]
pub struct HealthRecordsPage {
    layout: Layout,
    patient: Patient,
    records: Vec<HealthRecord>,
    can_add: bool,
    form: HealthRecordForm,
    errors: FieldErrors,
}

impl HealthRecordsPage {
    pub fn readings(&self, recorded: &Recorded) -> Vec<Shown> {
        recorded.vitals.shown()
    }

    pub fn outcomes(&self) -> &'static [Outcome] {
        Outcome::ALL
    }

    pub fn is_outcome(&self, outcome: &Outcome) -> bool {
        self.form.outcome == outcome.as_str()
    }
}

async fn health_records_page(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    patient_id: i64,
    attempt: Option<(HealthRecordForm, FieldErrors)>,
) -> AppResult<HealthRecordsPage> {
    let patient = sickbay_core::patients::service::get(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (form, errors) = attempt.unwrap_or_else(|| {
        let form = HealthRecordForm {
            form_id: FormKey::mint().to_string(),
            ..HealthRecordForm::default()
        };
        (form, FieldErrors::default())
    });
    Ok(HealthRecordsPage {
        layout,
        records: service::health_records_of(&state.db, patient.id).await?,
        can_add: service::is_lab(user) && patient.active,
        patient,
        form,
        errors,
    })
}

/// A patient's screening records: the lab keeps them, doctors and admins read them.
pub async fn health_records(
    user: Staff<LabReaders>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<HealthRecordsPage> {
    let page = health_records_page(&state, &user, layout, id, None).await?;
    service::record_health_records_read(&state.reads, &user.actor, id).await?;
    Ok(page)
}

pub async fn add_health_record(
    user: Staff<LabStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<HealthRecordForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let today = state.today();
    match service::add_health_record(&state.db, &user, &actor, id, &form, today).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, "Health record saved.").await?;
            Ok(redirect(HxRequest(false), &format!("/patients/{id}/health-records")))
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            health_records_page(&state, &user, layout, id, Some((form, errors))).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

// ---- finding a patient for a screening ------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "lab/patients.html")]
pub struct FindPage {
    layout: Layout,
    query: String,
    found: Vec<sickbay_core::patients::model::PatientSummary>,
}

/// The lab's search for a patient to screen: by name, clinic or matric number.
pub async fn find_patient(
    _user: Staff<LabDesk>,
    Query(query): Query<FindQuery>,
    Page { state, layout, .. }: Page,
) -> AppResult<FindPage> {
    let q = query.q.trim().to_owned();
    let found = match q.chars().count() {
        0 => Vec::new(),
        _ => sickbay_core::patients::service::find(&state.db, &q).await?,
    };
    Ok(FindPage {
        layout,
        query: q,
        found,
    })
}
