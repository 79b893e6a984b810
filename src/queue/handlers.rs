//! The staff side of the queue: reception's board (check-in, walk-ins, every queue with its controls, the
//! day's statistics), the doctor's queue, ticket moves, where doctors work today, and the rooms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::model::{DayStats, Move, Priority};
use super::repo::{self, Assignment, Room, Ticket};
use super::service::{self, MoveRequest, QueueError, RoomForm, SaveRoomError, Target, WalkInPatient};
use super::views::{Column, DoctorView, Snapshot};
use crate::db::events::{Call, Event};
use crate::db::once::FormKey;
use crate::db::{Date, Timestamp};
use crate::identity::{Role, StaffUser};
use crate::patients::model::{MatricNumber, PatientDetails, PatientKind, PatientSummary, Sex, parse_name, parse_phone};
use crate::patients::service as patient_service;
use crate::scheduling::model::AppointmentStatus;
use crate::scheduling::picker::time_of;
use crate::scheduling::repo::{self as scheduling_repo, AppointmentView};
use crate::staff::model::Doctor;
use crate::state::AppState;
use crate::validation::{FieldErrors, parse_id};
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::csrf;
use crate::web::extract::{Admins, Doctors, FrontDesk, FrontDeskAndDoctors, Staff};
use crate::web::feedback::{self, Place};
use crate::web::form::{Form, Query};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::{Flash, FlashKind, Layout, flash};
use crate::web::live::{self, Frame};
use crate::web::{AppError, AppResult, IdPath};

// ---- reception's board --------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/board.html")]
pub struct BoardPage {
    layout: Layout,
    live: String,
    time_zone: &'static str,
    doctors: Vec<Doctor>,
    form: WalkInForm,
    errors: FieldErrors,
}

impl BoardPage {
    fn queue_selected(&self, value: &str) -> bool {
        self.form.queue == value
    }
}

/// The live part of the board, re-rendered on every change.
#[derive(Template)]
#[template(path = "queue/_board.html")]
pub struct BoardFragment {
    csrf_token: String,
    /// A message for the check-in list's region (a plain request's answer); pushes render it empty and the
    /// browser keeps what it shows (`hx-preserve`).
    check_in_flash: Option<Flash>,
    columns: Vec<Column>,
    /// The whole clinic's day.
    totals: DayStats,
    due: Vec<AppointmentView>,
    doctors: Vec<Doctor>,
    rooms: Vec<Room>,
    assignments: Vec<Assignment>,
    time_zone: chrono_tz::Tz,
}

impl BoardFragment {
    fn time(&self, at: &Timestamp) -> String {
        time_of(*at, self.time_zone)
    }

    fn works_in(&self, doctor_id: &i64, room_id: &i64) -> bool {
        self.assignments
            .iter()
            .any(|a| a.doctor_id == *doctor_id && a.room_id == *room_id)
    }

    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
}

async fn board_fragment(
    state: &AppState,
    snapshot: &Snapshot,
    csrf_token: String,
    check_in_flash: Option<Flash>,
) -> AppResult<String> {
    let zone = state.settings.get().time_zone;
    let due = scheduling_repo::appointments_between(&state.db, None, snapshot.day, snapshot.day)
        .await?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked)
        .collect();
    let fragment = BoardFragment {
        csrf_token,
        check_in_flash,
        columns: snapshot.columns(Timestamp::now(), zone),
        totals: snapshot.totals(),
        due,
        doctors: crate::staff::service::active_doctors(&state.db).await?,
        rooms: active_rooms(state).await?,
        assignments: snapshot.assignments.clone(),
        time_zone: zone,
    };
    Ok(fragment.render()?)
}

async fn active_rooms(state: &AppState) -> AppResult<Vec<Room>> {
    Ok(repo::rooms(&state.db)
        .await?
        .into_iter()
        .filter(|r| r.active.0)
        .collect())
}

fn today(state: &AppState) -> Date {
    Date(state.settings.get().today())
}

/// The parts of the board with their own message regions.
const CHECK_IN: Place = Place::new("check-in", "/queue");
const WALK_IN_EXISTING: Place = Place::new("walk-in-existing", "/queue");
const WALK_IN_NEW: Place = Place::new("walk-in-new", "/queue");

pub async fn board(_user: Staff<FrontDesk>, State(state): State<AppState>, layout: Layout) -> AppResult<BoardPage> {
    board_page(&state, layout, WalkInForm::fresh(), FieldErrors::default()).await
}

async fn board_page(state: &AppState, layout: Layout, form: WalkInForm, errors: FieldErrors) -> AppResult<BoardPage> {
    let snapshot = Snapshot::load(&state.db, today(state)).await?;
    let check_in_flash = layout.flash_for(CHECK_IN.region).cloned();
    Ok(BoardPage {
        live: board_fragment(state, &snapshot, layout.csrf_token.clone(), check_in_flash).await?,
        time_zone: state.settings.get().time_zone.name(),
        doctors: crate::staff::service::active_doctors(&state.db).await?,
        layout,
        form,
        errors,
    })
}

pub async fn board_events(
    _user: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Response> {
    let csrf_token = csrf::token(&session).await?;
    let stream_state = state.clone();
    Ok(live::stream(&state, Event::touches_queues, move |delivered| {
        let (state, csrf_token) = (stream_state.clone(), csrf_token.clone());
        async move {
            let seq = delivered.map_or_else(|| state.events.last_seq(), |d| d.seq);
            let snapshot = Snapshot::shared(&state, seq).await?;
            Ok(vec![Frame::new(
                "board",
                board_fragment(&state, &snapshot, csrf_token, None).await?,
            )])
        }
    })
    .into_response())
}

// ---- the doctor's queue -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/doctor.html")]
pub struct DoctorPage {
    layout: Layout,
    live: String,
    time_zone: &'static str,
}

#[derive(Template)]
#[template(path = "queue/_doctor.html")]
pub struct DoctorFragment {
    csrf_token: String,
    view: DoctorView,
    room: Option<Assignment>,
    rooms: Vec<Room>,
    doctors: Vec<Doctor>,
    doctor_id: i64,
}

async fn doctor_fragment(
    state: &AppState,
    snapshot: &Snapshot,
    doctor_id: i64,
    csrf_token: String,
) -> AppResult<String> {
    let zone = state.settings.get().time_zone;
    let fragment = DoctorFragment {
        csrf_token,
        view: snapshot.doctor_view(doctor_id, Timestamp::now(), zone),
        room: snapshot.room_of(doctor_id).cloned(),
        rooms: active_rooms(state).await?,
        doctors: crate::staff::service::active_doctors(&state.db).await?,
        doctor_id,
    };
    Ok(fragment.render()?)
}

pub async fn doctor(user: Staff<Doctors>, State(state): State<AppState>, layout: Layout) -> AppResult<DoctorPage> {
    let snapshot = Snapshot::load(&state.db, today(&state)).await?;
    Ok(DoctorPage {
        live: doctor_fragment(&state, &snapshot, user.id, layout.csrf_token.clone()).await?,
        time_zone: state.settings.get().time_zone.name(),
        layout,
    })
}

pub async fn doctor_events(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Response> {
    let csrf_token = csrf::token(&session).await?;
    let (stream_state, doctor_id) = (state.clone(), user.id);
    Ok(live::stream(&state, Event::touches_queues, move |delivered| {
        let (state, csrf_token) = (stream_state.clone(), csrf_token.clone());
        async move {
            let seq = delivered.map_or_else(|| state.events.last_seq(), |d| d.seq);
            let snapshot = Snapshot::shared(&state, seq).await?;
            let html = doctor_fragment(&state, &snapshot, doctor_id, csrf_token).await?;
            Ok(vec![Frame::new("queue", html)])
        }
    })
    .into_response())
}

// ---- changes ------------------------------------------------------------------------------------------

/// After a change committed: tell every screen, then answer the one who made it with their refreshed queue
/// (htmx) or a message on their page: in the message region of `place`, the part they acted on, or at the
/// top of the page.
async fn changed(
    state: &AppState,
    session: &Session,
    user: &StaffUser,
    hx: HxRequest,
    notice: String,
    call: Option<Call>,
    place: Option<Place>,
) -> AppResult<Response> {
    state.events.publish(&state.db, Event::Queue { call }).await;
    let html = match hx.0 {
        true => Some(refreshed_queue(state, session, user).await?),
        false => None,
    };
    let back = match user.role {
        Role::Doctor => "/queue/doctor",
        _ => "/queue",
    };
    match (place, html) {
        (Some(place), html) => {
            feedback::answer(session, hx, place, StatusCode::OK, (FlashKind::Success, notice), html).await
        }
        (None, None) => {
            flash(session, FlashKind::Success, notice).await?;
            Ok(redirect(hx, back))
        }
        (None, Some(html)) => {
            let notice = Notice { message: notice }.render()?;
            Ok(Html(format!("{html}{notice}")).into_response())
        }
    }
}

/// The user's queue (the board or the doctor's), from the same read the open screens are making for the change
/// just published, not another one.
async fn refreshed_queue(state: &AppState, session: &Session, user: &StaffUser) -> AppResult<String> {
    let snapshot = Snapshot::shared(state, state.events.last_seq()).await?;
    let csrf_token = csrf::token(session).await?;
    match user.role {
        Role::Doctor => doctor_fragment(state, &snapshot, user.id, csrf_token).await,
        _ => board_fragment(state, &snapshot, csrf_token, None).await,
    }
}

/// A change on the board the service refused, told in the region of the part acted on (htmx), or on the
/// board re-rendered with it there: 409 when the queue changed under the user, 400 for a request the rules
/// refuse, 404 for a record that is gone.
async fn refused(
    state: &AppState,
    session: &Session,
    mut layout: Layout,
    hx: HxRequest,
    place: Place,
    err: QueueError,
) -> AppResult<Response> {
    let status = match &err {
        QueueError::Conflict(_) => StatusCode::CONFLICT,
        QueueError::Invalid(_) => StatusCode::BAD_REQUEST,
        QueueError::NotFound => StatusCode::NOT_FOUND,
        QueueError::Forbidden | QueueError::Internal(_) => return Err(err.into()),
    };
    if hx.0 {
        return feedback::answer(session, hx, place, status, (FlashKind::Error, err.to_string()), None).await;
    }
    layout.show_in(place, FlashKind::Error, err.to_string());
    let page = board_page(state, layout, WalkInForm::fresh(), FieldErrors::default()).await?;
    Ok((status, page).into_response())
}

/// The message of an htmx change, swapped out of band into the page's messages.
#[derive(Template)]
#[template(path = "queue/_notice.html")]
struct Notice {
    message: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    appointment_id: String,
    #[serde(default)]
    priority: String,
}

fn parse_priority(text: &str) -> AppResult<Priority> {
    match text.trim() {
        "" => Ok(Priority::Normal),
        text => text
            .parse()
            .map_err(|_| AppError::BadRequest("Choose emergency, urgent or normal.".into())),
    }
}

fn required_id(text: &str, what: &str) -> AppResult<i64> {
    parse_id(text).ok_or_else(|| AppError::BadRequest(format!("Choose {what}.")))
}

pub async fn check_in(
    user: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    hx: HxRequest,
    Form(form): Form<CheckInForm>,
) -> AppResult<Response> {
    let appointment_id = required_id(&form.appointment_id, "an appointment")?;
    let priority = parse_priority(&form.priority)?;
    let actor = &user.actor;
    match service::check_in(&state.db, actor, user.id, appointment_id, priority, today(&state)).await {
        Ok(issued) => {
            let notice = format!("Checked in with ticket {}.", issued.code);
            changed(&state, &session, &user, hx, notice, None, Some(CHECK_IN)).await
        }
        Err(err) => refused(&state, &session, layout, hx, CHECK_IN, err).await,
    }
}

/// The walk-in form: an existing patient by number, or a new one with a few details.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WalkInForm {
    /// `existing` or `new`.
    #[serde(default)]
    pub who: String,
    #[serde(default)]
    pub number: String,
    /// The clinic number of a patient chosen from the matches shown as the name was typed.
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub surname: String,
    #[serde(default)]
    pub matric_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub sex: String,
    /// `general` or a doctor's id.
    #[serde(default)]
    pub queue: String,
    #[serde(default)]
    pub priority: String,
    /// The form's one-time id (`db::once`): sent twice, it adds one walk-in.
    #[serde(default)]
    pub form_id: String,
}

impl WalkInForm {
    /// An empty form with a new one-time id.
    fn fresh() -> Self {
        WalkInForm {
            form_id: FormKey::mint().to_string(),
            ..WalkInForm::default()
        }
    }

    /// The form's part of the board: the registered patient's form or the new patient's.
    fn place(&self) -> Place {
        match self.who.as_str() {
            "new" => WALK_IN_NEW,
            _ => WALK_IN_EXISTING,
        }
    }

    fn target(&self) -> Result<Option<i64>, String> {
        match self.queue.trim() {
            "" | "general" => Ok(None),
            id => id
                .parse::<i64>()
                .map(Some)
                .map_err(|_| "Choose a doctor or the general queue.".to_owned()),
        }
    }

    /// The details of a new patient, or a message beside each bad field.
    fn new_patient(&self, matric_pattern: &regex::Regex, errors: &mut FieldErrors) -> Option<PatientDetails> {
        let first_name = errors.check("first_name", parse_name(&self.first_name, "first name", 60, false));
        let surname = errors.check("surname", parse_name(&self.surname, "surname", 60, false));
        let phone = errors.check("phone", parse_phone(&self.phone));
        let matric = match self.matric_number.trim() {
            "" => Some(None),
            text => errors.check("matric_number", MatricNumber::parse(text, matric_pattern).map(Some)),
        };
        let sex = match self.sex.trim() {
            "" => Some(None),
            text => errors.check("sex", text.parse::<Sex>().map(Some)),
        };
        match (first_name, surname, phone, matric, sex) {
            (Some(first_name), Some(surname), Some(phone), Some(matric), Some(sex)) => {
                let kind = if matric.is_some() {
                    PatientKind::Student
                } else {
                    PatientKind::Visitor
                };
                Some(PatientDetails {
                    matric_number: matric,
                    phone,
                    sex,
                    ..PatientDetails::new(kind, first_name, surname)
                })
            }
            _ => None,
        }
    }
}

pub async fn walk_in(
    user: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<WalkInForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let doctor_id = errors.check("queue", form.target());
    let priority = errors.check("priority", parse_priority(&form.priority));
    let patient = match form.who.as_str() {
        "new" => form
            .new_patient(&state.settings.get().matric_regex(), &mut errors)
            .map(|details| WalkInPatient::New(Box::new(details))),
        _ => find_registered(&state, &form, &mut errors).await?,
    };
    let (Some(patient), Some(doctor_id), Some(priority), true) = (patient, doctor_id, priority, errors.is_empty())
    else {
        return invalid_walk_in(&state, layout, form, errors).await;
    };
    let actor = user.actor_with_form(&form.form_id)?;
    match service::walk_in(&state.db, &actor, user.id, patient, doctor_id, priority, today(&state)).await {
        Ok(issued) => {
            let notice = format!("Walk-in added with ticket {}.", issued.code);
            changed(
                &state,
                &session,
                &user,
                HxRequest(false),
                notice,
                None,
                Some(form.place()),
            )
            .await
        }
        Err(QueueError::Conflict(message) | QueueError::Invalid(message)) => {
            errors.add(if form.who == "new" { "surname" } else { "number" }, message);
            invalid_walk_in(&state, layout, form, errors).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The board again with the walk-in form as typed, a message beside each bad field, and their summary in the
/// form's message region, where the page opens (the form posts to its own anchor).
async fn invalid_walk_in(
    state: &AppState,
    mut layout: Layout,
    form: WalkInForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let summary = format!("Not added yet. {}", errors.messages().collect::<Vec<_>>().join(" "));
    layout.show_in(form.place(), FlashKind::Error, summary);
    let page = board_page(state, layout, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The registered patient a walk-in is for: the one chosen from the matches, the one whose whole clinic or matric
/// number was typed, or the only active patient whose name matches what was typed.
async fn find_registered(
    state: &AppState,
    form: &WalkInForm,
    errors: &mut FieldErrors,
) -> AppResult<Option<WalkInPatient>> {
    let typed = if form.patient.trim().is_empty() {
        form.number.trim()
    } else {
        form.patient.trim()
    };
    if typed.is_empty() {
        errors.add("number", "Enter the patient's name, clinic number or matric number.");
        return Ok(None);
    }
    let found = active_matches(state, typed).await?;
    let upper = typed.to_uppercase();
    let exact = found
        .iter()
        .find(|p| p.clinic_number == upper || p.matric_number.as_deref().is_some_and(|m| m.to_uppercase() == upper));
    match (exact, found.as_slice()) {
        (Some(patient), _) | (None, [patient]) => Ok(Some(WalkInPatient::Existing(patient.id))),
        (None, []) => {
            errors.add(
                "number",
                format!("No active patient matches “{typed}”. Register them as new."),
            );
            Ok(None)
        }
        (None, several) => {
            errors.add("number", several_match(typed, several));
            Ok(None)
        }
    }
}

/// The active patients a walk-in search finds (only they can join the queue).
async fn active_matches(state: &AppState, typed: &str) -> AppResult<Vec<PatientSummary>> {
    let found = patient_service::find(&state.db, typed).await?;
    Ok(found.into_iter().filter(|p| p.active).collect())
}

/// What to say when a typed name fits several patients: who they are, so the clerk can type a number.
fn several_match(typed: &str, several: &[PatientSummary]) -> String {
    let shown: Vec<String> = several
        .iter()
        .take(MATCHES_SHOWN)
        .map(|p| format!("{} ({})", p.list_name(), p.clinic_number))
        .collect();
    let more = if several.len() > MATCHES_SHOWN { ", …" } else { "" };
    format!(
        "{} patients match “{typed}”: {}{more}. Type their clinic number, or more of the name.",
        several.len(),
        shown.join(", ")
    )
}

const MATCHES_SHOWN: usize = 8;

#[derive(Debug, Default, Deserialize)]
pub struct MatchesQuery {
    #[serde(default)]
    number: String,
}

/// The registered patients matching what is typed in the walk-in form, as buttons that add the one chosen.
#[derive(Template, WebTemplate)]
#[template(path = "queue/_walk_in_matches.html")]
pub struct WalkInMatches {
    typed: String,
    matches: Vec<PatientSummary>,
    more: bool,
}

pub async fn walk_in_matches(
    _user: Staff<FrontDesk>,
    State(state): State<AppState>,
    Query(query): Query<MatchesQuery>,
) -> AppResult<WalkInMatches> {
    let typed: String = query.number.trim().chars().take(100).collect();
    let mut matches: Vec<PatientSummary> = match typed.chars().count() {
        0 | 1 => Vec::new(),
        _ => active_matches(&state, &typed).await?,
    };
    let more = matches.len() > MATCHES_SHOWN;
    matches.truncate(MATCHES_SHOWN);
    Ok(WalkInMatches { typed, matches, more })
}

#[derive(Debug, Default, Deserialize)]
pub struct CallNextForm {
    /// Reception calls for a doctor; a doctor calls for themselves.
    #[serde(default)]
    doctor_id: String,
    /// The calls the page knew of: a second click of the same page is refused instead of calling two.
    #[serde(default)]
    calls_made: String,
}

pub async fn call_next(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    Form(form): Form<CallNextForm>,
) -> AppResult<Response> {
    let doctor_id = match (user.role, form.doctor_id.trim()) {
        (Role::Doctor, "") => user.id,
        (Role::Doctor, id) if id.parse() == Ok(user.id) => user.id,
        (Role::Doctor, _) => return Err(AppError::Forbidden),
        (_, id) => required_id(id, "a doctor")?,
    };
    let expected = match form.calls_made.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| AppError::BadRequest("Reload the page.".into()))?,
        ),
    };
    let actor = &user.actor;
    let called = service::call_next(&state.db, actor, doctor_id, today(&state), expected).await?;
    let notice = match &called {
        Some(call) => format!("Called {} to {}.", call.code, call.room_name),
        None => "Nobody is waiting.".to_owned(),
    };
    changed(&state, &session, &user, hx, notice, called, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    /// For a transfer: `general` or a doctor's id.
    #[serde(default)]
    to: String,
}

pub async fn move_ticket(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    let ticket_id = parse_id(&id).ok_or(AppError::NotFound)?;
    let mv = Move::from_path(&action).ok_or(AppError::NotFound)?;
    if mv == Move::Cancel && user.role == Role::Doctor {
        return Err(AppError::Forbidden);
    }
    let transfer_to = match (mv, form.to.trim()) {
        (Move::Transfer, "general") => Some(Target::General),
        (Move::Transfer, "") => None,
        (Move::Transfer, id) => Some(Target::Doctor(required_id(id, "a doctor")?)),
        _ => None,
    };
    let request = MoveRequest {
        ticket_id,
        mv,
        doctor_only: (user.role == Role::Doctor).then_some(user.id),
        transfer_to,
        skip_places: state.settings.get().queue_skip_places,
    };
    let actor = &user.actor;
    let moved = service::move_ticket(&state.db, actor, &request).await?;
    let notice = mv.done_message(&moved.code);
    changed(&state, &session, &user, hx, notice, moved.call, None).await
}

impl Ticket {
    /// What staff are asked before taking the ticket out of the queue: "no-show", or "cancel" (the patient left).
    pub fn confirm_move(&self, action: &str) -> Confirmation {
        let (code, name) = (&self.code, &self.patient_name);
        let (question, detail, button) = match action {
            "no-show" => (
                format!("Mark {code} as a no-show?"),
                format!("{name} ({code}) leaves the queue, recorded as not there when called."),
                format!("Mark {code} as no-show"),
            ),
            _ => (
                format!("Did {code} leave?"),
                format!("{name} ({code}) leaves the queue without being seen, and the ticket is closed."),
                format!("Mark {code} as left"),
            ),
        };
        Confirmation {
            action: format!("/queue/tickets/{}/{action}", self.id),
            question,
            detail,
            button,
        }
    }
}

/// The confirmation page of a no-show or "left", for browsers without JavaScript.
pub async fn confirm_move(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    layout: Layout,
) -> AppResult<ConfirmPage> {
    let ticket_id = parse_id(&id).ok_or(AppError::NotFound)?;
    let mv = Move::from_path(&action)
        .filter(|mv| matches!(mv, Move::NoShow | Move::Cancel))
        .ok_or(AppError::NotFound)?;
    if mv == Move::Cancel && user.role == Role::Doctor {
        return Err(AppError::Forbidden);
    }
    let mut tx = state.db.pool().begin().await?;
    let ticket = repo::ticket_in(&mut tx, ticket_id).await?.ok_or(AppError::NotFound)?;
    tx.rollback().await?;
    let back = match user.role {
        Role::Doctor => "/queue/doctor",
        _ => "/queue",
    };
    Ok(ConfirmPage::new(layout, ticket.confirm_move(&action), back))
}

#[derive(Debug, Default, Deserialize)]
pub struct RoomChoice {
    #[serde(default)]
    room_id: String,
    /// Reception and admins choose for a doctor.
    #[serde(default)]
    doctor_id: String,
}

pub async fn choose_room(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    Form(form): Form<RoomChoice>,
) -> AppResult<Response> {
    let doctor_id = match user.role {
        Role::Doctor => user.id,
        _ => required_id(&form.doctor_id, "a doctor")?,
    };
    let room_id = required_id(&form.room_id, "a room")?;
    let actor = &user.actor;
    service::assign_room(&state.db, actor, today(&state), doctor_id, room_id).await?;
    changed(&state, &session, &user, hx, "Room saved for today.".into(), None, None).await
}

// ---- rooms --------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/rooms.html")]
pub struct RoomsPage {
    layout: Layout,
    rooms: Vec<Room>,
    form: RoomForm,
    errors: FieldErrors,
    /// The room whose edit failed, with its form and errors.
    editing: Option<(i64, RoomForm, FieldErrors)>,
}

impl RoomsPage {
    fn edit_error(&self, id: &i64, field: &str) -> Option<&str> {
        match &self.editing {
            Some((editing, _, errors)) if editing == id => errors.get(field),
            _ => None,
        }
    }
}

pub async fn rooms(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<RoomsPage> {
    Ok(RoomsPage {
        layout,
        rooms: repo::rooms(&state.db).await?,
        form: RoomForm {
            form_id: FormKey::mint().to_string(),
            ..RoomForm::default()
        },
        errors: FieldErrors::default(),
        editing: None,
    })
}

pub async fn add_room(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let actor = admin.actor_with_form(&form.form_id)?;
    match service::save_room(&state.db, &actor, None, &form).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, "Room added.").await?;
            Ok(redirect(HxRequest(false), "/admin/rooms"))
        }
        Err(SaveRoomError::Invalid(errors)) => {
            let page = RoomsPage {
                layout,
                rooms: repo::rooms(&state.db).await?,
                form,
                errors,
                editing: None,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SaveRoomError::Queue(err)) => Err(err.into()),
    }
}

pub async fn update_room(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    IdPath(id): IdPath,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    repo::room(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let actor = &admin.actor;
    match service::save_room(&state.db, actor, Some(id), &form).await {
        Ok(_) => {
            state.events.publish(&state.db, Event::Queue { call: None }).await;
            flash(&session, FlashKind::Success, "Room saved.").await?;
            Ok(redirect(HxRequest(false), "/admin/rooms"))
        }
        Err(SaveRoomError::Invalid(errors)) => {
            let page = RoomsPage {
                layout,
                rooms: repo::rooms(&state.db).await?,
                form: RoomForm::default(),
                errors: FieldErrors::default(),
                editing: Some((id, form, errors)),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(SaveRoomError::Queue(err)) => Err(err.into()),
    }
}
