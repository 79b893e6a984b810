//! The consultation screen and its sections. Every section is a plain form that redirects back to the visit;
//! with htmx it answers with the page, from which the section is swapped in place (`hx-select`), so nothing
//! reloads and a refused form shows its messages beside its fields (422).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::icd;
use super::model::{Access, NoteKind, Recorded, Shown, Visit, VisitLine, VitalsForm, trend_path};
use super::repo::{self, Diagnosis, Draft, Note};
use super::service;
use crate::db::Reader;
use crate::db::events::Event;
use crate::error::ServiceError;
use crate::identity::Role;
use crate::identity::StaffUser;
use crate::patients::model::Patient;
use crate::queue::model::Move;
use crate::state::AppState;
use crate::validation::{FieldErrors, NO_ERRORS, parse_id};
use crate::web::extract::{Clinicians, Doctors, FrontDeskAndDoctors, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use tower_sessions::Session;

/// How many earlier visits the summary lists, and how many readings the vitals show.
const EARLIER_VISITS: i64 = 5;
const EARLIER_VITALS: i64 = 12;

/// What a refused section form sent, shown again beside its messages.
#[derive(Default)]
pub struct Attempt {
    pub section: &'static str,
    pub errors: FieldErrors,
    pub vitals: VitalsForm,
    pub note_kind: Option<NoteKind>,
    pub note: String,
    pub code: String,
    pub description: String,
}

/// An earlier visit in the summary, with its diagnoses.
pub struct Earlier {
    pub visit: VisitLine,
    pub diagnoses: Vec<Diagnosis>,
    pub prescriptions: Vec<crate::prescriptions::model::Item>,
}

/// A series of one vital sign for the trend beside the readings.
pub struct Trend {
    pub label: &'static str,
    pub path: String,
    pub latest: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "consult/visit.html")]
pub struct VisitPage {
    pub layout: Layout,
    pub visit: Visit,
    pub patient: Patient,
    pub age: Option<u32>,
    pub reason: Option<String>,
    pub earlier: Vec<Earlier>,
    pub vitals: Vec<Recorded>,
    pub trends: Vec<Trend>,
    pub notes: Vec<Note>,
    pub drafts: Vec<Draft>,
    pub diagnoses: Vec<Diagnosis>,
    pub favourites: Vec<(Option<String>, String)>,
    pub can_write: bool,
    /// Only doctors diagnose (an admin may write notes in an open visit, not diagnoses).
    pub can_diagnose: bool,
    pub can_amend: bool,
    pub attempt: Attempt,
    /// The visit's lab orders and their results (the lab's section, live).
    pub lab: crate::lab::LabSection,
    /// The prescription section (`templates/prescriptions/_visit.html`).
    pub prescriptions: crate::prescriptions::handlers::Section,
    pub procedures: crate::procedures::model::VisitProcedures,
    pub documents: crate::documents::model::DocumentList,
}

impl VisitPage {
    /// The draft of `kind` to restore in its box, or what a refused form sent.
    pub fn note_text(&self, kind: &NoteKind) -> &str {
        if self.attempt.note_kind == Some(*kind) {
            return &self.attempt.note;
        }
        self.drafts
            .iter()
            .find(|d| d.kind == *kind)
            .map_or("", |d| d.body.as_str())
    }

    pub fn has_draft(&self, kind: &NoteKind) -> bool {
        self.drafts.iter().any(|d| d.kind == *kind)
    }

    pub fn notes_of(&self, kind: &NoteKind) -> Vec<&Note> {
        self.notes.iter().filter(|n| n.kind == *kind).collect()
    }

    pub fn errors_of(&self, section: &str) -> &FieldErrors {
        static NONE: FieldErrors = NO_ERRORS;
        match self.attempt.section == section {
            true => &self.attempt.errors,
            false => &NONE,
        }
    }

    pub fn note_label(&self, kind: &NoteKind) -> String {
        format!("New {} note", kind.label().to_lowercase())
    }

    /// The note box's draft saving: what is typed is posted after a pause (no user text in it).
    pub fn draft_attributes(&self, kind: &NoteKind) -> String {
        format!(
            "data-draft hx-post=\"/visits/{}/drafts/{kind}\" hx-trigger=\"input changed delay:800ms\" hx-swap=\"none\"",
            self.visit.id
        )
    }

    pub fn readings(&self, recorded: &Recorded) -> Vec<Shown> {
        recorded.vitals.shown()
    }

    pub fn note_kinds(&self) -> [NoteKind; 4] {
        NoteKind::OPEN
    }

    pub fn addenda(&self) -> Vec<&Note> {
        self.notes_of(&NoteKind::Addendum)
    }

    pub fn addendum_text(&self) -> &str {
        self.note_text(&NoteKind::Addendum)
    }

    pub fn addendum_kind(&self) -> &'static NoteKind {
        &NoteKind::Addendum
    }
}

/// The consultation screen: doctors and admins (a doctor sees any visit; writes only their own open one).
pub async fn page(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<Response> {
    let mut conn = state.db.conn().await?;
    let visit = service::visit_for(&mut conn, &user, id, Access::Read).await?;
    let read = ("visit", visit.id);
    // The page is gathered while its audit row waits for its batch; it is shown only once the row is written.
    // `load_page` owns the connection, so it goes back to the pool before the wait for the batch's.
    let (audited, page) = tokio::join!(
        service::record_read(&state.reads, &user.actor, "visit.view", read, visit.patient_id),
        load_page(&state, conn, &user, layout, visit, Attempt::default())
    );
    audited?;
    Ok(page?.into_response())
}

/// The screen of `visit`, every read on `db`.
async fn load_page(
    state: &AppState,
    mut db: impl Reader,
    user: &StaffUser,
    layout: Layout,
    visit: Visit,
    attempt: Attempt,
) -> AppResult<VisitPage> {
    let patient = crate::patients::service::get(&mut db, visit.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reason = match visit.appointment_id {
        Some(id) => match crate::scheduling::service::appointment(&mut db, crate::identity::DoctorScope::Any, id).await
        {
            Ok(a) => Some(a.reason).filter(|r| !r.is_empty()),
            Err(ServiceError::NotFound) => None,
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let lines: Vec<VisitLine> = repo::visits_of_patient(&mut db, visit.patient_id, EARLIER_VISITS + 1)
        .await?
        .into_iter()
        .filter(|v| v.id != visit.id)
        .take(EARLIER_VISITS as usize)
        .collect();
    let mut ids: Vec<i64> = lines.iter().map(|v| v.id).collect();
    ids.push(visit.id);
    let mut all = repo::diagnoses_of_visits(&mut db, &ids).await?;
    let diagnoses = all.iter().filter(|d| d.visit_id == visit.id).cloned().collect();
    let mut items = crate::prescriptions::service::items_of_visits(&mut db, &ids).await?;
    let prescribed = take(&mut items, |i| i.visit_id == visit.id);
    let earlier = lines
        .into_iter()
        .map(|v| Earlier {
            diagnoses: take(&mut all, |d| d.visit_id == v.id),
            prescriptions: take(&mut items, |i| i.visit_id == v.id),
            visit: v,
        })
        .collect();
    let vitals = repo::vitals_of_patient(&mut db, visit.patient_id, EARLIER_VITALS).await?;
    Ok(VisitPage {
        age: patient.age_on(state.settings.get().today()),
        reason,
        earlier,
        trends: trends(&vitals),
        vitals,
        notes: repo::notes_of_visit(&mut db, visit.id).await?,
        drafts: repo::drafts_of(&mut db, visit.id, user.id).await?,
        diagnoses,
        favourites: repo::favourite_diagnoses(&mut db, visit.doctor_id, 8).await?,
        can_write: visit.allows(user, Access::Write),
        can_diagnose: visit.allows(user, Access::Write) && user.role == Role::Doctor,
        can_amend: visit.allows(user, Access::Amend),
        lab: crate::lab::visit_section(state, &mut db, user, &visit, &layout.csrf_token).await?,
        prescriptions: crate::prescriptions::handlers::section(&mut db, state.today(), user, &visit, prescribed)
            .await?,
        procedures: crate::procedures::service::section(&mut db, user, &visit).await?,
        documents: crate::documents::service::visit_section(&mut db, user, &visit).await?,
        patient,
        visit,
        attempt,
        layout,
    })
}

/// A vital sign's label, its value in a reading, and how its value is written.
type Series = (&'static str, fn(&Recorded) -> Option<i64>, fn(i64) -> String);

/// Moves the items that match out of `items`.
pub(super) fn take<T>(items: &mut Vec<T>, wanted: impl Fn(&T) -> bool) -> Vec<T> {
    let (taken, rest) = std::mem::take(items).into_iter().partition(|item| wanted(item));
    *items = rest;
    taken
}

/// Temperature, systolic pressure, pulse and weight over the readings, oldest first, for the small charts.
fn trends(vitals: &[Recorded]) -> Vec<Trend> {
    let series: [Series; 4] = [
        (
            "Temperature",
            |r| r.vitals.temperature_tenths,
            |v| format!("{}.{} °C", v / 10, v % 10),
        ),
        ("Systolic", |r| r.vitals.systolic, |v| format!("{v} mmHg")),
        ("Pulse", |r| r.vitals.pulse, |v| format!("{v}/min")),
        (
            "Weight",
            |r| r.vitals.weight_tenths,
            |v| format!("{}.{} kg", v / 10, v % 10),
        ),
    ];
    series
        .iter()
        .filter_map(|(label, value, format)| {
            let values: Vec<i64> = vitals.iter().rev().filter_map(value).collect();
            let path = trend_path(&values, 120, 28)?;
            Some(Trend {
                label,
                path,
                latest: format(*values.last()?),
            })
        })
        .collect()
}

/// The screen after a section's form, on one connection.
async fn page_again(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    visit_id: i64,
    attempt: Attempt,
) -> AppResult<VisitPage> {
    let mut conn = state.db.conn().await?;
    let visit = service::visit_for(&mut conn, user, visit_id, Access::Read).await?;
    load_page(state, conn, user, layout, visit, attempt).await
}

/// Answers a section's form: back to the visit (its section, with htmx), or the page again with the
/// messages (422) when the service refused the form.
async fn answered(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    hx: HxRequest,
    visit_id: i64,
    result: Result<(), ServiceError>,
    mut attempt: Attempt,
) -> AppResult<Response> {
    match result {
        Ok(()) if hx.0 => Ok(page_again(state, user, layout, visit_id, Attempt::default())
            .await?
            .into_response()),
        Ok(()) => Ok(redirect(hx, &format!("/visits/{visit_id}#{}", attempt.section))),
        Err(ServiceError::Invalid(errors)) => {
            attempt.errors = errors;
            Ok(invalid(page_again(state, user, layout, visit_id, attempt).await?))
        }
        Err(err) => Err(err.into()),
    }
}

/// Vitals, from the consultation screen (the lab attendant records them from the lab's pages).
pub async fn record_vitals(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    hx: HxRequest,
    layout: Layout,
    Form(form): Form<VitalsForm>,
) -> AppResult<Response> {
    let result = service::record_vitals(&state.db, &user, &user.actor, id, &form).await;
    let attempt = Attempt {
        section: "vitals",
        vitals: form,
        ..Attempt::default()
    };
    answered(&state, &user, layout, hx, id, result, attempt).await
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

/// Signs a note of the kind in the address (`/visits/7/notes/plan`).
pub async fn write_note(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    hx: HxRequest,
    layout: Layout,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let (id, kind) = visit_and_kind(&id, &kind)?;
    let result = service::write_note(&state.db, &user, &user.actor, id, kind, &form.body).await;
    let attempt = Attempt {
        section: section_of(kind),
        note_kind: Some(kind),
        note: form.body,
        ..Attempt::default()
    };
    answered(&state, &user, layout, hx, id, result, attempt).await
}

/// Keeps what is being typed; answers 204 (the page's script says "draft saved"), or the message.
pub async fn save_draft(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let (id, kind) = visit_and_kind(&id, &kind)?;
    service::save_draft(&state.db, &user, id, kind, &form.body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

fn visit_and_kind(id: &str, kind: &str) -> AppResult<(i64, NoteKind)> {
    let id = parse_id(id).ok_or(AppError::NotFound)?;
    let kind = NoteKind::from_path(kind).ok_or(AppError::NotFound)?;
    Ok((id, kind))
}

fn section_of(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::Addendum => "addenda",
        _ => "notes",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DiagnosisForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    description: String,
    /// A code picked from the search's matches: the diagnosis is the code's own description.
    #[serde(default)]
    picked: String,
    /// One of the doctor's frequent diagnoses, as `CODE|description` (no code before the bar for free text).
    #[serde(default)]
    favourite: String,
}

impl DiagnosisForm {
    /// The code and description the doctor chose.
    fn chosen(&self) -> (Option<&str>, &str) {
        fn code(text: &str) -> Option<&str> {
            Some(text).filter(|c| !c.trim().is_empty())
        }
        if let Some((favourite_code, description)) = self.favourite.split_once('|') {
            return (code(favourite_code), description);
        }
        match code(&self.picked) {
            Some(picked) => (Some(picked), ""),
            None => (code(&self.code), &self.description),
        }
    }
}

/// Records a diagnosis (doctors only: an admin reads the visit but does not diagnose).
pub async fn add_diagnosis(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    hx: HxRequest,
    layout: Layout,
    Form(form): Form<DiagnosisForm>,
) -> AppResult<Response> {
    let (code, description) = form.chosen();
    let result = service::add_diagnosis(&state.db, &user, &user.actor, id, code, description).await;
    let attempt = Attempt {
        section: "diagnoses",
        code: form.code,
        description: form.description,
        ..Attempt::default()
    };
    answered(&state, &user, layout, hx, id, result, attempt).await
}

pub async fn remove_diagnosis(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    Path((id, diagnosis)): Path<(String, String)>,
    hx: HxRequest,
    layout: Layout,
) -> AppResult<Response> {
    let id = parse_id(&id).ok_or(AppError::NotFound)?;
    let diagnosis = parse_id(&diagnosis).ok_or(AppError::NotFound)?;
    let result = service::remove_diagnosis(&state.db, &user, &user.actor, id, diagnosis).await;
    let attempt = Attempt {
        section: "diagnoses",
        ..Attempt::default()
    };
    answered(&state, &user, layout, hx, id, result, attempt).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    /// What is typed in the diagnosis field.
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "consult/_codes.html")]
struct CodeMatches {
    codes: Vec<(&'static str, &'static str)>,
    query: String,
}

/// The ICD-10-CM codes matching what is typed, as a list to pick from (doctors).
pub async fn search_codes(_user: Staff<Doctors>, Query(query): Query<CodeQuery>) -> AppResult<Response> {
    let codes = icd::search(&query.description)
        .into_iter()
        .map(|c| (c.code, c.description))
        .collect();
    let page = CodeMatches {
        codes,
        query: query.description.trim().to_owned(),
    };
    Ok(Html(page.render()?).into_response())
}

/// Completes the visit, its ticket and its appointment; the doctor goes back to their queue to call the
/// next patient.
pub async fn complete(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    service::complete(&state.db, &user, &user.actor, id).await?;
    state.events.publish(&state.db, Event::Queue { call: None }).await;
    flash(&session, FlashKind::Success, "The visit is completed.".to_owned()).await?;
    let next = match user.role {
        Role::Doctor => "/queue/doctor".to_owned(),
        _ => format!("/visits/{id}"),
    };
    Ok(redirect(hx, &next))
}

/// The queue's "Start": the ticket moves to the doctor and its visit opens. The doctor goes to the
/// consultation screen; anyone else stays on the board.
pub async fn start_ticket(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    let today = state.today();
    let opened = service::start_ticket(&state.db, &user, &user.actor, id, today).await?;
    if user.role == Role::Doctor {
        state.events.publish(&state.db, Event::Queue { call: None }).await;
        return Ok(redirect(hx, &format!("/visits/{}", opened.visit_id)));
    }
    let notice = Move::Start.done_message(&opened.ticket_code);
    crate::queue::handlers::changed(&state, &session, &user, hx, notice, None, None).await
}

/// The queue's "Complete": completes the ticket's visit (its doctor or an admin), and the ticket with it.
pub async fn complete_ticket(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    let code = service::complete_ticket(&state.db, &user, &user.actor, id).await?;
    let notice = Move::Complete.done_message(&code);
    crate::queue::handlers::changed(&state, &session, &user, hx, notice, None, None).await
}

/// "Start" on a checked-in appointment (the doctor's home): the patient goes straight to the doctor.
pub async fn start_appointment(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    hx: HxRequest,
) -> AppResult<Response> {
    let today = state.today();
    let started = service::start_appointment(&state.db, &user, &user.actor, id, today).await?;
    state.events.publish(&state.db, Event::Queue { call: None }).await;
    Ok(redirect(hx, &format!("/visits/{}", started.visit_id)))
}

/// "New visit" on a patient's record: the doctor's open visit with the patient, opened if there is none.
pub async fn start_for_patient(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(patient_id): IdPath,
    hx: HxRequest,
) -> AppResult<Response> {
    let today = state.today();
    let opened = service::start_for_patient(&state.db, &user, &user.actor, patient_id, today).await?;
    // Visits tell the queue's watchers: the doctor's open visits and the lab's patients with a doctor.
    state.events.publish(&state.db, Event::Queue { call: None }).await;
    Ok(redirect(hx, &format!("/visits/{}", opened.visit_id)))
}

/// The consultation screen of a ticket the doctor is seeing (the queue's "Open visit").
pub async fn ticket_visit(
    _user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let visit = service::visit_of_ticket(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::response::Redirect::to(&format!("/visits/{visit}")).into_response())
}
