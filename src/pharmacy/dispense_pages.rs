//! The dispensing pages: the live worklist of prescriptions with something owed, a prescription's dispense
//! page with the planned split across batches, refusals, and the label of an item given.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Pharmacists, PharmacyStaff, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, field_value, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::live::{self, Frame};
use crate::web::{AppError, AppResult, IdPath, IdsPath};
use sickbay_core::billing::service::PaymentState;
use sickbay_core::db::Date;
use sickbay_core::db::events::Event;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::paging::PageRequest;
use sickbay_core::dispensing::{self as dispense, Dispensed, Label, Line, Preview, Request, Shelf};
use sickbay_core::error::ServiceError;
use sickbay_core::pharmacy::model::StockLevel;
use sickbay_core::pharmacy::service;
use sickbay_core::prescriptions::model::{Item, ListFilter, Prescription};
use sickbay_core::validation::parse_id;

fn shelf(state: &AppState) -> Shelf {
    let settings = state.settings.get();
    Shelf {
        today: Date(settings.today()),
        min_shelf_days: settings.pharmacy.min_shelf_days,
        only_when_paid: settings.billing.dispense_only_when_paid,
    }
}

// ---- the worklist -----------------------------------------------------------------------------------------

/// How many prescriptions the worklist shows (the oldest; the count of the others follows them).
const WORKLIST_LIMIT: i64 = 25;

/// A prescription of the worklist with its owed items and their stock.
pub struct WorkRow {
    pub prescription: Prescription,
    pub items: Vec<(Item, StockLevel)>,
    /// Whether the visit is paid, when the clinic dispenses only when paid.
    pub payment: Option<PaymentState>,
}

#[derive(Template)]
#[template(path = "pharmacy/_worklist_rows.html")]
struct WorklistRows<'a> {
    rows: &'a [WorkRow],
    more: i64,
    zone: Tz,
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/worklist.html")]
pub struct WorklistPage {
    layout: Layout,
    rows_html: Arc<str>,
    time_zone: &'static str,
}

#[derive(Deserialize)]
pub struct WorklistQuery {
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

/// The prescriptions with something owed, oldest first, live; `?all=1` lists every prescription instead, by
/// status (`status=`) and patient (`q=`).
pub async fn worklist(
    _user: Staff<PharmacyStaff>,
    Page { state, layout, .. }: Page,
    Query(query): Query<WorklistQuery>,
) -> AppResult<Response> {
    if query.all.is_some() {
        let page = PageRequest::from_query(query.page.as_deref());
        let filter = ListFilter::from_query(&query.status, &query.q);
        let list = crate::prescriptions::handlers::all_prescriptions(&state, layout, filter, page).await?;
        return Ok(list.into_response());
    }
    Ok(WorklistPage {
        layout,
        rows_html: worklist_rows(&state).await?,
        time_zone: state.settings.get().clinic.time_zone.name(),
    }
    .into_response())
}

pub async fn worklist_events(_user: Staff<PharmacyStaff>, State(state): State<AppState>) -> Response {
    let stream_state = state.clone();
    live::stream(&state, Event::touches_pharmacy, move |_| {
        let state = stream_state.clone();
        async move { Ok(vec![Frame::new("worklist", worklist_rows(&state).await?)]) }
    })
    .into_response()
}

/// The worklist's rows, rendered once per change and shared by the page, the pharmacist's home and every open
/// stream.
pub(super) async fn worklist_rows(state: &AppState) -> AppResult<Arc<str>> {
    let today = state.today();
    state
        .pharmacy
        .worklist
        .get_within("worklist", state.db.events().last_seq(), super::MAX_AGE, || async {
            Ok(Arc::from(render_worklist(state, today).await?))
        })
        .await
}

async fn render_worklist(state: &AppState, today: Date) -> AppResult<String> {
    let (prescriptions, total) =
        sickbay_core::prescriptions::service::open_prescriptions(&state.db, WORKLIST_LIMIT).await?;
    let ids: Vec<i64> = prescriptions.iter().map(|p| p.id).collect();
    let items = sickbay_core::prescriptions::service::items_of_prescriptions(&state.db, &ids).await?;
    let drug_ids: Vec<i64> = items.iter().map(|item| item.drug_id).collect();
    let stock = service::stock_on_hand(&state.db, &drug_ids, today).await?;
    let mut rows = work_rows(prescriptions, items, &stock);
    // Shown whether or not the clinic dispenses only when paid: the pharmacist can send an unbilled patient to
    // the desk either way.
    let visits: Vec<i64> = rows.iter().map(|row| row.prescription.visit_id).collect();
    let states = sickbay_core::billing::service::payment_states(&state.db, &visits).await?;
    for row in &mut rows {
        row.payment = states.get(&row.prescription.visit_id).copied();
    }
    Ok(WorklistRows {
        more: total - rows.len() as i64,
        rows: &rows,
        zone: state.settings.get().clinic.time_zone,
    }
    .render()?)
}

fn work_rows(prescriptions: Vec<Prescription>, items: Vec<Item>, stock: &HashMap<i64, i64>) -> Vec<WorkRow> {
    let mut rows: Vec<WorkRow> = prescriptions
        .into_iter()
        .map(|prescription| WorkRow {
            prescription,
            items: Vec::new(),
            payment: None,
        })
        .collect();
    for item in items.into_iter().filter(|item| item.owed() > 0) {
        let on_hand = stock.get(&item.drug_id).copied().unwrap_or(0);
        let level = StockLevel::against(on_hand, item.owed());
        if let Some(row) = rows.iter_mut().find(|row| row.prescription.id == item.prescription_id) {
            row.items.push((item, level));
        }
    }
    rows
}

// ---- dispensing -----------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/dispense.html")]
pub struct DispensePage {
    layout: Layout,
    preview: Preview,
    form_id: String,
    /// Why the page came back instead of dispensing.
    problem: Option<String>,
    /// What the page says when it shows the plan for quantities the pharmacist changed (not a problem).
    note: Option<String>,
    /// Whether the user dispenses (an admin reads the prescription and its plan only).
    does_pharmacy_work: bool,
    /// Where the visit's bill stands.
    payment: PaymentState,
    /// Not paid, where the clinic dispenses before payment: the pharmacist sends the patient to the cash desk after.
    pay_after: bool,
}

impl DispensePage {
    fn has_owed(&self) -> bool {
        self.preview.lines.iter().any(|line| line.owed > 0)
    }

    /// Whether the page offers to dispense or refuse: something is owed and the user is a pharmacist.
    fn may_dispense(&self) -> bool {
        self.does_pharmacy_work && self.has_owed()
    }

    fn field(line: &Line) -> String {
        format!("quantity_{}", line.item.id)
    }
}

async fn dispense_view(
    state: &AppState,
    layout: Layout,
    id: i64,
    asked: Option<&[(i64, i64)]>,
    problem: Option<String>,
) -> AppResult<DispensePage> {
    let preview = dispense::preview(&state.db, id, asked, shelf(state)).await?;
    let problem = match (problem, unpaid(state, id).await?) {
        (Some(problem), _) => Some(problem),
        (None, unpaid) => unpaid,
    };
    let visit = preview.prescription.visit_id;
    let payment = sickbay_core::billing::service::payment_states(&state.db, &[visit])
        .await?
        .remove(&visit)
        .unwrap_or(PaymentState::NotBilled);
    Ok(DispensePage {
        layout,
        pay_after: !shelf(state).only_when_paid && !payment.is_settled(),
        payment,
        preview,
        form_id: FormKey::mint().to_string(),
        problem,
        note: None,
        does_pharmacy_work: true,
    })
}

/// Why the prescription can't be dispensed yet when the clinic dispenses only when paid.
async fn unpaid(state: &AppState, prescription_id: i64) -> Result<Option<String>, ServiceError> {
    if !shelf(state).only_when_paid {
        return Ok(None);
    }
    match dispense::require_paid(&state.db, prescription_id).await {
        Ok(()) => Ok(None),
        Err(ServiceError::Refused(message)) => Ok(Some(message)),
        Err(err) => Err(err),
    }
}

/// A prescription to dispense: each item with the split across batches, earliest expiry first.
pub async fn dispense_page(
    user: Staff<PharmacyStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<DispensePage> {
    let page = dispense_view(&state, layout, id, None, None).await?;
    sickbay_core::prescriptions::service::record_read(&state.reads, &user.actor, &page.preview.prescription).await?;
    Ok(DispensePage {
        does_pharmacy_work: super::does_pharmacy_work(&user),
        ..page
    })
}

/// The quantities of a dispense form (`quantity_{item}`; blank is none) and its plan and form id; a quantity
/// that is not a whole number is the message to show.
fn read_request(fields: &[(String, String)]) -> Result<(Request, String), String> {
    let value = |name: &str| field_value(fields, name).unwrap_or("");
    let mut asked = Vec::new();
    for (key, text) in fields {
        let Some(item) = key.strip_prefix("quantity_").and_then(parse_id) else {
            continue;
        };
        let units = match text.trim() {
            "" => 0,
            text => text
                .parse::<i64>()
                .map_err(|_| format!("“{text}” is not a number of units: give each quantity as a whole number."))?,
        };
        asked.push((item, units));
    }
    let request = Request {
        asked,
        plan: value("plan").trim().to_owned(),
    };
    Ok((request, value("form_id").to_owned()))
}

/// Dispenses the confirmed plan. Quantities the pharmacist changed come back with the plan for them, to confirm;
/// a plan that changed meanwhile comes back as 409 saying what changed, with the new plan; quantities that can't
/// be given come back as 422.
pub async fn dispense(
    user: Staff<Pharmacists>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (request, form_id) = match read_request(&fields) {
        Ok(read) => read,
        Err(message) => return Ok(invalid(dispense_view(&state, layout, id, None, Some(message)).await?)),
    };
    let actor = user.actor_with_form(&form_id)?;
    match dispense::dispense(&state.db, &actor, id, &request, shelf(&state)).await {
        Ok(Dispensed::Now { status, given }) => {
            let notice = format!(
                "Given: {}. The prescription is {}.",
                given.join(", "),
                status.label().to_lowercase()
            );
            flash(&session, FlashKind::Success, notice).await?;
            Ok(Redirect::to(&format!("/pharmacy/prescriptions/{id}")).into_response())
        }
        Ok(Dispensed::Already) => Ok(Redirect::to(&format!("/pharmacy/prescriptions/{id}")).into_response()),
        Ok(Dispensed::Replanned) => {
            let page = dispense_view(&state, layout, id, Some(&request.asked), None).await?;
            let note = "This is the plan for the quantities you typed. Check the batches and press Dispense to give \
                        them; what is not given now stays owed.";
            Ok(DispensePage {
                note: Some(note.to_owned()),
                ..page
            }
            .into_response())
        }
        Err(ServiceError::Conflict(message)) => {
            match dispense_view(&state, layout, id, Some(&request.asked), Some(message.clone())).await {
                Ok(page) => Ok((StatusCode::CONFLICT, page).into_response()),
                // Nothing is left on the prescription to show: the message alone.
                Err(AppError::NotFound) => Err(AppError::Conflict(message)),
                Err(err) => Err(err),
            }
        }
        Err(ServiceError::Refused(message)) => {
            let page = dispense_view(&state, layout, id, None, Some(message)).await?;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    reason: String,
}

impl RefuseForm {
    fn reason(&self) -> AppResult<String> {
        sickbay_core::validation::one_line(&self.reason, "The reason", 300, true).map_err(|message| {
            let mut errors = sickbay_core::validation::FieldErrors::default();
            errors.add("reason", message);
            AppError::Invalid(errors)
        })
    }
}

async fn refused(session: &Session, id: i64, what: String) -> AppResult<Response> {
    flash(session, FlashKind::Success, what).await?;
    Ok(Redirect::to(&format!("/pharmacy/prescriptions/{id}")).into_response())
}

/// Refuses what is still owed of one item, with a reason.
pub async fn refuse_item(
    user: Staff<Pharmacists>,
    State(state): State<AppState>,
    IdsPath(id, item): IdsPath,
    session: Session,
    Form(form): Form<RefuseForm>,
) -> AppResult<Response> {
    let reason = form.reason()?;
    dispense::refuse(&state.db, &user.actor, id, Some(item), &reason).await?;
    refused(&session, id, "The item is refused; the patient sees why.".into()).await
}

/// Refuses everything still owed on the prescription, with a reason.
pub async fn refuse_all(
    user: Staff<Pharmacists>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    Form(form): Form<RefuseForm>,
) -> AppResult<Response> {
    let reason = form.reason()?;
    dispense::refuse(&state.db, &user.actor, id, None, &reason).await?;
    refused(
        &session,
        id,
        "What was still owed is refused; the patient sees why.".into(),
    )
    .await
}

// ---- the label ----------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/label.html")]
pub struct LabelPage {
    layout: Layout,
    label: Label,
    address: String,
    today: Date,
}

/// The printable label of an item given.
pub async fn label(
    user: Staff<PharmacyStaff>,
    IdsPath(id, item): IdsPath,
    Page { state, layout, .. }: Page,
) -> AppResult<LabelPage> {
    let label = dispense::label(&state.db, id, item).await?;
    sickbay_core::prescriptions::service::record_read(&state.reads, &user.actor, &label.prescription).await?;
    Ok(LabelPage {
        layout,
        label,
        address: state.settings.get().clinic.address.clone(),
        today: shelf(&state).today,
    })
}
