//! The consultation screen and its sections. Every section is a plain form that redirects back to the visit;
//! with htmx it answers with the page, from which the section is swapped in place (`hx-select`), so nothing
//! reloads and a refused form shows its messages beside its fields (422).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::state::AppState;
use crate::web::extract::{Clinicians, Doctors, FrontDeskAndDoctors, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath, IdsPath, PathSegment};
use sickbay_core::consult::icd;
use sickbay_core::consult::model::{
    Access, DraftChoice, Missing, NoteKind, Recorded, Reviewed, Shown, Visit, VisitLine, VitalsForm, completed_message,
    excerpt, is_blank, parse_draft, trend_path,
};
use sickbay_core::consult::repo::{self, Diagnosis, Draft, Note, RemovedDiagnosis};
use sickbay_core::consult::service::{self, AppointmentStart};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Reader, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::identity::{Actor, Role};
use sickbay_core::lab::model::OrderStage;
use sickbay_core::patients::model::Patient;
use sickbay_core::queue::model::Move;
use sickbay_core::validation::{FieldErrors, NO_ERRORS};
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
    /// The diagnosis the form just removed, offered back with Undo.
    pub removed: Option<RemovedDiagnosis>,
}

impl Attempt {
    /// What the section shows after the form succeeded: the form empty again, and an Undo for a removal.
    fn succeeded(self) -> Self {
        Self {
            section: self.section,
            removed: self.removed,
            ..Self::default()
        }
    }

    /// Where the page opens after the form, without JavaScript: a note's own box, or the form's section.
    fn anchor(&self) -> String {
        match self.note_kind {
            Some(kind) if self.section == "notes" => format!("note-{kind}"),
            _ => self.section.to_owned(),
        }
    }
}

/// The one-time ids (`db::form_ids`) of the screen's forms that create something: the vitals, each kind of note and
/// the addendum, and the diagnosis. Fresh each time the screen is shown, so a form sent twice creates once.
pub struct FormIds {
    pub vitals: FormKey,
    pub diagnosis: FormKey,
    notes: Vec<(NoteKind, FormKey)>,
}

impl FormIds {
    fn mint() -> Self {
        let kinds = NoteKind::OPEN.into_iter().chain([NoteKind::Addendum]);
        FormIds {
            vitals: FormKey::mint(),
            diagnosis: FormKey::mint(),
            notes: kinds.map(|kind| (kind, FormKey::mint())).collect(),
        }
    }

    /// The id of the form that signs a note of `kind`.
    pub fn note(&self, kind: &NoteKind) -> &str {
        self.notes
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("", |(_, key)| key.as_str())
    }
}

/// An earlier visit in the summary, with its diagnoses.
pub struct Earlier {
    pub visit: VisitLine,
    pub diagnoses: Vec<Diagnosis>,
    pub prescriptions: Vec<sickbay_core::prescriptions::model::Item>,
}

/// A series of one vital sign for the trend beside the readings.
pub struct Trend {
    pub label: &'static str,
    pub path: String,
    /// The oldest reading drawn and the latest, and how many there are.
    pub first: String,
    pub latest: String,
    pub readings: usize,
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
    pub form_ids: FormIds,
    /// The visit's lab orders and their results (the lab's section, live).
    pub lab: crate::lab::LabSection,
    /// The prescription section (`templates/prescriptions/_visit.html`).
    pub prescriptions: crate::prescriptions::handlers::Section,
    pub procedures: sickbay_core::procedures::model::VisitProcedures,
    pub documents: sickbay_core::documents::model::DocumentList,
    pub letters: sickbay_core::letters::service::VisitLetters,
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
            "data-draft=\"{kind}\" hx-post=\"/visits/{}/drafts/{kind}\" hx-trigger=\"input changed delay:800ms\" \
             hx-swap=\"none\"",
            self.visit.id
        )
    }

    pub fn readings(&self, recorded: &Recorded) -> Vec<Shown> {
        recorded.vitals.shown()
    }

    /// The visit's day, from its start to the next day's.
    fn visit_day(&self) -> (Timestamp, Timestamp) {
        day_bounds(self.visit.day.0, self.layout.zone)
    }

    /// The latest of this visit's own vitals (see [`Recorded::is_of_visit`]).
    pub fn vitals_now(&self) -> Option<&Recorded> {
        let day = self.visit_day();
        self.vitals.iter().find(|r| r.is_of_visit(self.visit.id, day))
    }

    /// When the visit has none of its own, the latest reading from before its day: shown apart, with its date.
    pub fn vitals_before(&self) -> Option<&Recorded> {
        let (start, _) = self.visit_day();
        match self.vitals_now() {
            Some(_) => None,
            None => self.vitals.iter().find(|r| r.recorded_at < start),
        }
    }

    /// The notes written first: what brought the patient, and their history.
    pub fn complaint_kinds(&self) -> [NoteKind; 2] {
        [NoteKind::Complaint, NoteKind::History]
    }

    pub fn examination_kinds(&self) -> [NoteKind; 1] {
        [NoteKind::Examination]
    }

    pub fn plan_kinds(&self) -> [NoteKind; 1] {
        [NoteKind::Plan]
    }

    /// The screen's sections in the order a doctor works through a visit: anchor, name in the jump list, and
    /// what in the section is one thing recorded (a CSS selector): the jump list counts them, as the visit so far
    /// (static/consult.js).
    pub fn sections(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut sections = vec![
            ("notes", "Complaint", "blockquote.note"),
            ("vitals", "Vitals", "#latest-vitals"),
            ("examination", "Examination", "blockquote.note"),
            ("diagnoses", "Diagnosis", "#diagnosis-list > li"),
            ("lab", "Lab orders", "#lab-order-list > li"),
            ("prescriptions", "Prescription", "#prescription-items > li"),
            ("plan", "Plan", "blockquote.note"),
            ("procedures", "Procedures", "#procedure-list > li"),
            ("documents", "Documents", "#document-list > li"),
            ("letters", "Sick notes and letters", "#letter-list > li"),
        ];
        if !self.visit.is_open() {
            sections.push(("addenda", "Addenda", "blockquote.note"));
        }
        sections
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
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
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
    let patient = sickbay_core::patients::service::get(&mut db, visit.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reason = match visit.appointment_id {
        Some(id) => {
            match sickbay_core::scheduling::service::appointment(&mut db, sickbay_core::identity::DoctorScope::Any, id)
                .await
            {
                Ok(a) => Some(a.reason).filter(|r| !r.is_empty()),
                Err(ServiceError::NotFound) => None,
                Err(err) => return Err(err.into()),
            }
        }
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
    let mut items = sickbay_core::prescriptions::service::items_of_visits(&mut db, &ids).await?;
    let prescribed = take(&mut items, |i| i.visit_id == visit.id);
    let earlier = lines
        .into_iter()
        .map(|v| Earlier {
            diagnoses: take(&mut all, |d| d.visit_id == v.id),
            prescriptions: take(&mut items, |i| i.visit_id == v.id),
            visit: v,
        })
        .collect();
    // A past visit reads as it stood: no later visit's readings in its trends.
    let (_, visit_day_end) = day_bounds(visit.day.0, layout.zone);
    let vitals: Vec<Recorded> = repo::vitals_of_patient(&mut db, visit.patient_id, EARLIER_VITALS)
        .await?
        .into_iter()
        .filter(|r| r.recorded_at < visit_day_end)
        .collect();
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
        procedures: sickbay_core::procedures::service::section(&mut db, user, &visit).await?,
        documents: sickbay_core::documents::service::visit_section(&mut db, user, &visit).await?,
        letters: crate::letters::handlers::fresh_section(&mut db, user, &visit, state.today()).await?,
        patient,
        visit,
        attempt,
        form_ids: FormIds::mint(),
        layout,
    })
}

/// A day in the clinic's time zone: from its start to the next day's.
fn day_bounds(day: chrono::NaiveDate, zone: chrono_tz::Tz) -> (Timestamp, Timestamp) {
    let next = day.succ_opt().unwrap_or(day);
    (Timestamp::start_of_day(day, zone), Timestamp::start_of_day(next, zone))
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
                first: format(*values.first()?),
                latest: format(*values.last()?),
                readings: values.len(),
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
        Ok(()) if hx.0 => Ok(page_again(state, user, layout, visit_id, attempt.succeeded())
            .await?
            .into_response()),
        Ok(()) => Ok(redirect(hx, &format!("/visits/{visit_id}#{}", attempt.anchor()))),
        Err(ServiceError::Invalid(errors)) => {
            attempt.errors = errors;
            Ok(invalid(page_again(state, user, layout, visit_id, attempt).await?))
        }
        Err(err) => Err(err.into()),
    }
}

/// Vitals, from the consultation screen (the lab attendant records them from the lab's pages).
pub async fn record_vitals(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(form): Form<VitalsForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let result = service::record_vitals(&state.db, &user, &actor, id, &form).await;
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
    #[serde(default)]
    form_id: String,
}

/// Signs a note of the kind in the address (`/visits/7/notes/plan`).
pub async fn write_note(
    user: Staff<Doctors>,
    IdsPath(id, kind): IdsPath<NoteKind>,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let result = service::write_note(&state.db, &user, &actor, id, kind, &form.body).await;
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
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdsPath(id, kind): IdsPath<NoteKind>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    service::save_draft(&state.db, &user, id, kind, &form.body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

impl PathSegment for NoteKind {
    fn from_segment(text: &str) -> Option<Self> {
        NoteKind::from_path(text)
    }
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
    #[serde(default)]
    form_id: String,
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
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(form): Form<DiagnosisForm>,
) -> AppResult<Response> {
    let (code, description) = form.chosen();
    let actor = user.actor_with_form(&form.form_id)?;
    let result = service::add_diagnosis(&state.db, &user, &actor, id, code, description).await;
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
    IdsPath(id, diagnosis): IdsPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
) -> AppResult<Response> {
    let mut attempt = Attempt {
        section: "diagnoses",
        ..Attempt::default()
    };
    let result = service::remove_diagnosis(&state.db, &user, &user.actor, id, diagnosis)
        .await
        .map(|removed| attempt.removed = Some(removed));
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

/// How many of the doctor's most used codes a search puts first when they match.
const OWN_CODES_PREFERRED: i64 = 30;

/// The ICD-10-CM codes matching what is typed, as a list to pick from (doctors), their own most used first.
pub async fn search_codes(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    Query(query): Query<CodeQuery>,
) -> AppResult<Response> {
    let own = repo::favourite_diagnoses(&state.db, user.id, OWN_CODES_PREFERRED).await?;
    let preferred: Vec<&str> = own.iter().filter_map(|(code, _)| code.as_deref()).collect();
    let codes = icd::search(&query.description, &preferred)
        .into_iter()
        .map(|c| (c.code, c.description))
        .collect();
    let page = CodeMatches {
        codes,
        query: query.description.trim().to_owned(),
    };
    Ok(Html(page.render()?).into_response())
}

/// The review before a visit is completed: the notes typed and not signed that will be signed (or discarded,
/// as the doctor chooses), what the record lacks, and the confirm button.
#[derive(Template, WebTemplate)]
#[template(path = "consult/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub visit: Visit,
    pub patient: Patient,
    pub age: Option<u32>,
    /// The doctor's unsigned notes with text, in the screen's order.
    pub drafts: Vec<Draft>,
    pub notes: Vec<Note>,
    pub diagnoses: Vec<Diagnosis>,
    /// The vitals taken in this visit, oldest first.
    pub vitals: Vec<Recorded>,
    pub missing: Vec<Missing>,
    /// What the visit orders, signed with it: the prescription's items, the lab tests (not the cancelled ones)
    /// and the procedures done.
    pub prescribed: Vec<sickbay_core::prescriptions::model::Item>,
    pub orders: Vec<sickbay_core::lab::model::OrderView>,
    pub procedures: Vec<sickbay_core::procedures::model::VisitProcedure>,
    pub letters: Vec<sickbay_core::letters::model::Letter>,
    /// Why the completion just sent was refused (the drafts changed), shown above the review.
    pub problem: Option<String>,
}

impl ReviewPage {
    pub fn readings(&self, recorded: &Recorded) -> Vec<Shown> {
        recorded.vitals.shown()
    }

    /// How much of each signed note the review shows.
    const REVIEW_EXCERPT: usize = 140;

    /// The signed notes as the review lists them: each kind once, with the start of what its latest note says.
    pub fn signed_notes(&self) -> Vec<(&'static str, String)> {
        let mut shown: Vec<(&'static str, String)> = Vec::new();
        for note in self.notes.iter().rev().filter(|n| n.kind != NoteKind::Addendum) {
            if !shown.iter().any(|(label, _)| *label == note.kind.label()) {
                shown.push((note.kind.label(), excerpt(&note.body, Self::REVIEW_EXCERPT)));
            }
        }
        shown.reverse();
        shown
    }

    /// Whether a lab test ordered in the visit has no released result yet.
    pub fn results_to_come(&self) -> bool {
        self.orders
            .iter()
            .any(|order| order.stage() != sickbay_core::lab::model::OrderStage::Released)
    }
}

/// The review of `visit`, read on `db`, once its audit row (it shows the visit's notes) is written.
async fn review_page(
    state: &AppState,
    mut db: impl Reader,
    user: &Staff<Doctors>,
    layout: Layout,
    visit: Visit,
    problem: Option<String>,
) -> AppResult<ReviewPage> {
    let read = service::record_read(
        &state.reads,
        &user.actor,
        "visit.view",
        ("visit", visit.id),
        visit.patient_id,
    );
    let load = async {
        let patient = sickbay_core::patients::service::get(&mut db, visit.patient_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut drafts = repo::drafts_of(&mut db, visit.id, user.id).await?;
        drafts.retain(|d| d.kind != NoteKind::Addendum && !is_blank(&d.body));
        drafts.sort_by_key(|d| NoteKind::OPEN.iter().position(|k| *k == d.kind));
        let diagnoses = repo::diagnoses_of_visits(&mut db, &[visit.id]).await?;
        let vitals = repo::vitals_of_visits(&mut db, &[visit.id]).await?;
        let notes = repo::notes_of_visit(&mut db, visit.id).await?;
        let prescribed = sickbay_core::prescriptions::service::items_of_visits(&mut db, &[visit.id]).await?;
        let mut orders = sickbay_core::lab::service::visit_orders(&mut db, visit.id).await?;
        orders.retain(|order| order.stage() != OrderStage::Cancelled);
        let procedures = sickbay_core::procedures::service::of_visits(&mut db, &[visit.id]).await?;
        let letters = sickbay_core::letters::service::of_visit(&mut db, visit.id).await?;
        AppResult::Ok(ReviewPage {
            letters,
            missing: Missing::of(notes.len() + drafts.len(), diagnoses.len(), vitals.len()),
            age: patient.age_on(state.settings.get().today()),
            prescribed,
            orders,
            procedures,
            patient,
            drafts,
            notes,
            diagnoses,
            vitals,
            problem,
            visit,
            layout,
        })
    };
    let (audited, page) = tokio::join!(read, load);
    audited?;
    page
}

/// "Complete visit" leads here (`GET /visits/7/review`): what will be signed, what is missing, and "Sign and
/// complete". A visit completed already shows itself instead.
pub async fn review(user: Staff<Doctors>, IdPath(id): IdPath, Page { state, layout, .. }: Page) -> AppResult<Response> {
    let mut conn = state.db.conn().await?;
    let visit = match service::visit_for(&mut conn, &user, id, Access::Write).await {
        Err(ServiceError::Conflict(_)) => {
            return Ok(axum::response::Redirect::to(&format!("/visits/{id}")).into_response());
        }
        visit => visit?,
    };
    Ok(review_page(&state, conn, &user, layout, visit, None)
        .await?
        .into_response())
}

/// What is in the note boxes when "Complete visit" is pressed (the screen's script copies each box here, so a
/// note typed a moment before the click is not lost; without the script only the drafts already kept come).
#[derive(Debug, Default, Deserialize)]
pub struct TypedForm {
    draft_complaint: Option<String>,
    draft_history: Option<String>,
    draft_examination: Option<String>,
    draft_plan: Option<String>,
}

impl TypedForm {
    fn typed(self) -> Vec<(NoteKind, String)> {
        let boxes = [
            (NoteKind::Complaint, self.draft_complaint),
            (NoteKind::History, self.draft_history),
            (NoteKind::Examination, self.draft_examination),
            (NoteKind::Plan, self.draft_plan),
        ];
        boxes
            .into_iter()
            .filter_map(|(kind, body)| Some((kind, body?)))
            .collect()
    }
}

/// "Complete visit": keeps what the note boxes hold as their drafts, then shows the review. A box whose text
/// can't be kept shows the screen again with the message beside it.
pub async fn keep_typed(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(form): Form<TypedForm>,
) -> AppResult<Response> {
    let typed = form.typed();
    for (kind, body) in &typed {
        if let Err(message) = parse_draft(body) {
            let mut errors = FieldErrors::default();
            errors.add("body", message);
            let attempt = Attempt {
                section: "notes",
                errors,
                note_kind: Some(*kind),
                note: body.clone(),
                ..Attempt::default()
            };
            return Ok(invalid(page_again(&state, &user, layout, id, attempt).await?));
        }
    }
    service::save_drafts(&state.db, &user, id, &typed).await?;
    Ok(redirect(hx, &format!("/visits/{id}/review")))
}

/// The review's "Sign and complete": each unsigned note shown (its text, to check it is still what was shown)
/// with the doctor's choice, `sign` or `discard`.
#[derive(Debug, Default, Deserialize)]
pub struct CompleteForm {
    /// Sent by the review's form: without it (a form of an older page) a visit with unsigned notes is not
    /// completed.
    #[serde(default)]
    reviewed: String,
    draft_complaint: Option<String>,
    draft_history: Option<String>,
    draft_examination: Option<String>,
    draft_plan: Option<String>,
    #[serde(default)]
    choice_complaint: String,
    #[serde(default)]
    choice_history: String,
    #[serde(default)]
    choice_examination: String,
    #[serde(default)]
    choice_plan: String,
    /// `call-next`: "Sign, complete and call next", the next patient called as the visit closes.
    #[serde(default)]
    then: String,
}

impl CompleteForm {
    /// What the review showed and what the doctor chose, or `None` when the form did not come from a review.
    fn reviewed(self) -> AppResult<Option<Vec<Reviewed>>> {
        if self.reviewed.is_empty() {
            return Ok(None);
        }
        let shown = [
            (NoteKind::Complaint, self.draft_complaint, self.choice_complaint),
            (NoteKind::History, self.draft_history, self.choice_history),
            (NoteKind::Examination, self.draft_examination, self.choice_examination),
            (NoteKind::Plan, self.draft_plan, self.choice_plan),
        ];
        let mut reviewed = Vec::new();
        for (kind, body, choice) in shown {
            let Some(body) = body else { continue };
            let choice = DraftChoice::parse(&choice).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "Choose whether to sign or discard the {} note.",
                    kind.label().to_lowercase()
                ))
            })?;
            reviewed.push(Reviewed { kind, body, choice });
        }
        Ok(Some(reviewed))
    }
}

/// Completes the visit, its ticket and its appointment with the notes the review showed signed or discarded;
/// the doctor goes back to their queue to call the next patient. Unsigned notes the review did not show as
/// they are now (typed on in another window, or a form sent without the review) show the review again (409).
pub async fn complete(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<CompleteForm>,
) -> AppResult<Response> {
    let then_call_next = form.then == "call-next";
    let reviewed = form.reviewed()?;
    match service::complete(&state.db, &user, &user.actor, id, reviewed.as_deref()).await {
        Ok(done) => {
            let mut message = completed_message(&done.signed, &done.discarded);
            if then_call_next {
                message = format!("{message} {}", call_next_after(&state, &user.actor, user.id).await?);
            }
            flash(&session, FlashKind::Success, message).await?;
            Ok(redirect(hx, "/queue/doctor"))
        }
        Err(ServiceError::Conflict(problem)) => {
            let mut conn = state.db.conn().await?;
            match service::visit_for(&mut conn, &user, id, Access::Write).await {
                Ok(visit) => {
                    let page = review_page(&state, conn, &user, layout, visit, Some(problem)).await?;
                    Ok((StatusCode::CONFLICT, page).into_response())
                }
                // Completed a moment ago: said as before.
                Err(_) => Err(ServiceError::Conflict(problem).into()),
            }
        }
        Err(err) => Err(err.into()),
    }
}

/// The next patient called as a visit closes, in words: whom, or why nobody (the visit is completed either way).
async fn call_next_after(state: &AppState, actor: &Actor, doctor_id: i64) -> AppResult<String> {
    let called = sickbay_core::queue::service::call_next(&state.db, actor, doctor_id, state.today(), None).await;
    Ok(match called {
        Ok(called) => crate::queue::handlers::called_notice(called.as_ref()),
        Err(ServiceError::Refused(why) | ServiceError::Conflict(why)) => why,
        Err(err) => return Err(err.into()),
    })
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
        return Ok(redirect(hx, &format!("/visits/{}", opened.visit_id)));
    }
    let notice = Move::Start.done_message(&opened.ticket_code, &opened.patient_name, None);
    crate::queue::handlers::changed(&session, &user, hx, notice, None).await
}

/// The queue's "Complete": completes the ticket's visit (its doctor only), and the ticket with it.
pub async fn complete_ticket(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    let done = service::complete_ticket(&state.db, &user, &user.actor, id).await?;
    let notice = done.message(Move::Complete);
    crate::queue::handlers::changed(&session, &user, hx, notice, None).await
}

/// "Start" on a checked-in appointment (the doctor's home). A patient still waiting is called first, as "Call
/// next" calls: the display announces it, the patient's phone says where to go, and the doctor goes to their
/// queue, where the called ticket's "Start" waits for the patient. A patient already called starts, and the
/// doctor goes to the consultation screen.
pub async fn start_appointment(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    let today = state.today();
    match service::start_appointment(&state.db, &user, &user.actor, id, today).await? {
        AppointmentStart::Called(call) => {
            let ticket_id = call.ticket_id;
            let notice = format!(
                "Called {} to {}. Start the consultation when they come in.",
                call.code, call.room_name
            );
            flash(&session, FlashKind::Success, notice).await?;
            Ok(redirect(hx, &format!("/queue/doctor#ticket-{ticket_id}")))
        }
        AppointmentStart::Started(started) => Ok(redirect(hx, &format!("/visits/{}", started.visit_id))),
    }
}

/// "New visit" on a patient's record: the doctor's open visit with the patient, opened if there is none.
pub async fn start_for_patient(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(patient_id): IdPath,
    session: Session,
    hx: HxRequest,
) -> AppResult<Response> {
    let today = state.today();
    match service::start_for_patient(&state.db, &user, &user.actor, patient_id, today).await {
        Ok(opened) => Ok(redirect(hx, &format!("/visits/{}", opened.visit_id))),
        // Seen through their ticket: back on their record, told why.
        Err(ServiceError::Refused(message)) => {
            flash(&session, FlashKind::Error, message).await?;
            Ok(redirect(hx, &format!("/patients/{patient_id}")))
        }
        Err(err) => Err(err.into()),
    }
}

/// The consultation screen of a ticket the doctor is seeing (the queue's "Open visit").
pub async fn ticket_visit(
    _user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    to_visit_of_ticket(&state, id, "").await
}

/// The doctor's queue's "Complete…": the review of the ticket's visit, where the doctor signs and completes it.
pub async fn ticket_review(
    _user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    to_visit_of_ticket(&state, id, "/review").await
}

async fn to_visit_of_ticket(state: &AppState, ticket_id: i64, page: &str) -> AppResult<Response> {
    let visit = service::visit_of_ticket(&state.db, ticket_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::response::Redirect::to(&format!("/visits/{visit}{page}")).into_response())
}
