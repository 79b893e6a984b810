//! The staff side of the queue: reception's board (check-in, walk-ins, every queue with its controls, the
//! day's statistics), the doctor's queue, ticket moves, where doctors work today, and the rooms.

use std::collections::{HashMap, HashSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono_tz::Tz;
use serde::Deserialize;
use tower_sessions::Session;

use super::board::{Board, DoctorBoard, TicketMenu};
use crate::state::AppState;
use crate::web::extract::{Admins, Doctors, FrontDesk, FrontDeskAndDoctors, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::inline_messages::{self, Place};
use crate::web::layout::Page;
use crate::web::layout::{Flash, FlashKind, Layout, flash, leave};
use crate::web::live;
use crate::web::paging::{ListQuery, Pager, Paging, search_page_link};
use crate::web::{AppError, AppResult, IdPath, IdsPath};
use sickbay_core::db::Date;
use sickbay_core::db::events::Event;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{DoctorScope, StaffUser};
use sickbay_core::patients::model::{
    MatricNumber, PatientDetails, PatientKind, PatientSummary, Sex, parse_name, parse_phone,
};
use sickbay_core::patients::service as patient_service;
use sickbay_core::queue::model::{Move, Priority};
use sickbay_core::queue::repo::{self, Room, Ticket};
use sickbay_core::queue::service::{self, Issued, MoveRequest, RoomForm, Target, WalkInPatient};
use sickbay_core::scheduling::model::AppointmentView;
use sickbay_core::staff::model::Doctor;
use sickbay_core::validation::{FieldErrors, parse_id};

// ---- reception's board --------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/board.html")]
pub struct BoardPage {
    layout: Layout,
    live: String,
    /// Today's bookings to check in, in the panel beside the live board (which keeps it current).
    check_in: String,
    time_zone: &'static str,
    doctors: Vec<Doctor>,
    form: WalkInForm,
    errors: FieldErrors,
    /// The registered patients matching the walk-in form's search, to choose from again when it comes back with
    /// errors (without JavaScript, the only way to see them); empty otherwise.
    matches: String,
    /// Registered patients who may be the new walk-in, to add instead (as [`WalkInDuplicates`] renders them).
    duplicates: String,
}

impl BoardPage {
    fn queue_selected(&self, value: &str) -> bool {
        self.form.queue == value
    }

    /// The new patient's form is the one open when it comes back to be corrected or with its answer.
    fn adding_new_patient(&self) -> bool {
        self.form.who == "new" || self.layout.flash_for(WALK_IN_NEW.region).is_some()
    }
}

fn today(state: &AppState) -> Date {
    state.today()
}

/// The parts of the board with their own message regions.
const CHECK_IN: Place = Place::new("check-in", "/queue");
const WALK_IN_EXISTING: Place = Place::new("walk-in-existing", "/queue");
const WALK_IN_NEW: Place = Place::new("walk-in-new", "/queue");

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    /// A name the desk's search found nobody for: the new patient's form opens with it.
    #[serde(default)]
    register: String,
}

pub async fn board(
    _user: Staff<FrontDesk>,
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<BoardQuery>,
) -> AppResult<BoardPage> {
    let form = match query.register.trim() {
        "" => WalkInForm::fresh(),
        typed => WalkInForm::registering(NewName::typed(typed).unwrap_or_default()),
    };
    board_page(&state, layout, form, FieldErrors::default()).await
}

/// A name typed in the desk's search that found nobody, as the new patient's first name and surname: "Ada
/// Okafor", or "Okafor, Ada" as the lists write it. A number typed (clinic or matric) is no name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct NewName {
    first_name: String,
    surname: String,
}

impl NewName {
    fn typed(typed: &str) -> Option<NewName> {
        let typed = typed.trim();
        if typed.is_empty() || typed.chars().any(|c| c.is_ascii_digit() || c == '/') {
            return None;
        }
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let (first_name, surname) = match typed.split_once(',') {
            Some((surname, first)) => (words(first), words(surname)),
            None => match typed.split_once(char::is_whitespace) {
                Some((first, rest)) => (first.to_owned(), words(rest)),
                None => (typed.to_owned(), String::new()),
            },
        };
        Some(NewName { first_name, surname })
    }
}

async fn board_page(state: &AppState, layout: Layout, form: WalkInForm, errors: FieldErrors) -> AppResult<BoardPage> {
    let board = Board::current(state).await?;
    Ok(BoardPage {
        live: board.render(&layout.csrf_token)?,
        check_in: board.check_in(&layout.csrf_token, layout.flash_for(CHECK_IN.region))?,
        time_zone: state.settings.get().clinic.time_zone.name(),
        doctors: board.doctors().to_vec(),
        layout,
        form,
        errors,
        matches: String::new(),
        duplicates: String::new(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "queue/due.html")]
pub struct DuePage {
    layout: Layout,
    bookings: Vec<AppointmentView>,
    search: String,
    paging: Paging,
    zone: Tz,
}

impl DuePage {
    fn pager(&self) -> Pager {
        self.paging.pager(("appointment", "appointments"), |page| {
            search_page_link("/queue/due", &self.search, page)
        })
    }
}

/// Today's bookings still to check in, a page at a time and searchable, from the board's own read: the board
/// lists only those due within the hour. A check-in here is the board's (the same form), and its answer is on
/// the board.
pub async fn due(
    _user: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<DuePage> {
    let (search, page) = (query.search(), query.page());
    let (bookings, total) = Board::current(&state).await?.due_today(&search, page);
    Ok(DuePage {
        bookings,
        paging: Paging::new(page, total),
        search,
        zone: state.settings.get().clinic.time_zone,
        layout,
    })
}

pub async fn board_events(_user: Staff<FrontDesk>, State(state): State<AppState>) -> Response {
    let load_state = state.clone();
    live::patched(&state, "board", Event::touches_board, move |seq, fresh| {
        let state = load_state.clone();
        async move { Board::shared(&state, seq, fresh).await }
    })
    .into_response()
}

// ---- the doctor's queue -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/doctor.html")]
pub struct DoctorPage {
    layout: Layout,
    live: String,
    time_zone: &'static str,
}

pub async fn doctor(user: Staff<Doctors>, State(state): State<AppState>, layout: Layout) -> AppResult<DoctorPage> {
    let board = DoctorBoard::load(&state, user.id, state.db.events().last_seq()).await?;
    Ok(DoctorPage {
        live: board.render(Some(&layout.csrf_token))?,
        time_zone: state.settings.get().clinic.time_zone.name(),
        layout,
    })
}

pub async fn doctor_events(user: Staff<Doctors>, State(state): State<AppState>) -> Response {
    let (load_state, doctor_id) = (state.clone(), user.id);
    live::patched(&state, "queue", Event::touches_queues, move |seq, _opening| {
        let state = load_state.clone();
        async move { DoctorBoard::load(&state, doctor_id, seq).await }
    })
    .into_response()
}

/// The queue page of this user: the doctor's own, or reception's board.
fn queue_page(user: &StaffUser) -> &'static str {
    match DoctorScope::of(user) {
        DoctorScope::Own(_) => "/queue/doctor",
        DoctorScope::Any => "/queue",
    }
}

// ---- changes ------------------------------------------------------------------------------------------

/// After a change committed (which told every screen, the user's own included: the push redraws what
/// changed), answers the one who made it with a message: in the message region of `place`, the part they acted on,
/// or at the top of the page.
pub async fn changed(
    session: &Session,
    user: &StaffUser,
    hx: HxRequest,
    notice: impl Into<Flash>,
    place: Option<Place>,
) -> AppResult<Response> {
    let notice = notice.into();
    match (place, hx.0) {
        (Some(place), _) => inline_messages::answer(session, hx, place, StatusCode::OK, notice, None).await,
        (None, false) => {
            leave(session, notice).await?;
            Ok(redirect(hx, queue_page(user)))
        }
        (None, true) => {
            let csrf_token = crate::web::csrf::token(session).await?;
            let mut response = Html(Notice { notice, csrf_token }.render()?).into_response();
            response
                .headers_mut()
                .insert("hx-reswap", HeaderValue::from_static("none"));
            Ok(response)
        }
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
    err: ServiceError,
) -> AppResult<Response> {
    let status = match &err {
        ServiceError::Stale | ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::Refused(_) => StatusCode::BAD_REQUEST,
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Forbidden | ServiceError::Invalid(_) | ServiceError::Internal(_) => return Err(err.into()),
    };
    if hx.0 {
        return inline_messages::answer(
            session,
            hx,
            place,
            status,
            Flash::new(FlashKind::Error, err.to_string()),
            None,
        )
        .await;
    }
    layout.show_in(place, FlashKind::Error, err.to_string());
    let page = board_page(state, layout, WalkInForm::fresh(), FieldErrors::default()).await?;
    Ok((status, page).into_response())
}

/// The message of an htmx change, swapped out of band into the page's messages.
#[derive(Template)]
#[template(path = "queue/_notice.html")]
struct Notice {
    notice: Flash,
    csrf_token: String,
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
    Page { state, session, layout }: Page,
    hx: HxRequest,
    Form(form): Form<CheckInForm>,
) -> AppResult<Response> {
    let appointment_id = required_id(&form.appointment_id, "an appointment")?;
    let priority = parse_priority(&form.priority)?;
    let actor = &user.actor;
    match service::check_in(&state.db, actor, user.id, appointment_id, priority, today(&state)).await {
        Ok(issued) => {
            let notice = ticket_notice(&state, "Checked in with ticket", issued).await?;
            let mut answer = changed(&session, &user, hx, notice, Some(CHECK_IN)).await?;
            // The desk's search, which may have offered this check-in, looks again (templates/queue/board.html).
            answer
                .headers_mut()
                .insert("HX-Trigger", HeaderValue::from_static("checked-in"));
            Ok(answer)
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
    /// The form's one-time id (`db::form_ids`): sent twice, it adds one walk-in.
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

    /// The new patient's form with the name the search found nobody for.
    fn registering(name: NewName) -> Self {
        WalkInForm {
            who: "new".to_owned(),
            first_name: name.first_name,
            surname: name.surname,
            ..WalkInForm::fresh()
        }
    }

    /// The form's part of the board: the registered patient's form or the new patient's.
    fn place(&self) -> Place {
        match self.who.as_str() {
            "new" => WALK_IN_NEW,
            _ => WALK_IN_EXISTING,
        }
    }

    /// Whether the form registers a new patient: the new patient's form, unless it chose one of the possible
    /// duplicates it showed.
    fn registers_new(&self) -> bool {
        self.who == "new" && matches!(self.patient.trim(), "" | DIFFERENT_PERSON)
    }

    /// Where a refusal of the walk-in is said: beside the new patient's surname, beside the registered
    /// patient's search, or (a registered patient chosen from the new patient's possible duplicates) in the
    /// form's message alone.
    fn refusal_field(&self) -> &'static str {
        match (self.registers_new(), self.who.as_str()) {
            (true, _) => "surname",
            (false, "new") => "patient",
            _ => "number",
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
    Page { state, session, layout }: Page,
    Form(form): Form<WalkInForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let doctor_id = errors.check("queue", form.target());
    let priority = errors.check("priority", parse_priority(&form.priority));
    let patient = walk_in_patient(&state, &form, &mut errors).await?;
    let (Some(patient), Some(doctor_id), Some(priority), true) = (patient, doctor_id, priority, errors.is_empty())
    else {
        return invalid_walk_in(&state, layout, form, errors).await;
    };
    let actor = user.actor_with_form(&form.form_id)?;
    if let WalkInPatient::New(details) = &patient
        && form.patient.trim() != DIFFERENT_PERSON
    {
        let duplicates = patient_service::possible_duplicates(&state.db, details).await?;
        if !duplicates.is_empty() {
            // The same form sent twice: its first patient is not a duplicate of itself. Asked after the search,
            // so a patient the search found is one whose form id is committed with it.
            if let Some(issued) = service::issued_by_form(&state.db, &actor).await? {
                return walk_in_added(&state, &session, &user, &form, issued).await;
            }
            return possibly_registered(&state, layout, form, duplicates).await;
        }
    }
    match service::walk_in(&state.db, &actor, user.id, patient, doctor_id, priority, today(&state)).await {
        Ok(issued) => walk_in_added(&state, &session, &user, &form, issued).await,
        Err(ServiceError::Conflict(message) | ServiceError::Refused(message)) => {
            errors.add(form.refusal_field(), message);
            invalid_walk_in(&state, layout, form, errors).await
        }
        // A matric number registered meanwhile: the message beside it.
        Err(ServiceError::Invalid(taken)) => invalid_walk_in(&state, layout, form, taken).await,
        Err(err) => Err(err.into()),
    }
}

async fn walk_in_added(
    state: &AppState,
    session: &Session,
    user: &StaffUser,
    form: &WalkInForm,
    issued: Issued,
) -> AppResult<Response> {
    let notice = ticket_notice(state, "Walk-in added with ticket", issued).await?;
    changed(session, user, HxRequest(false), notice, Some(form.place())).await
}

/// "Walk-in added with ticket E-007 for Musa Adamu, in Dr Musa Danjuma's queue.": the message of a new ticket,
/// saying whose it is and where it waits, its code marked for the desk.
async fn ticket_notice(state: &AppState, words: &str, issued: Issued) -> AppResult<Flash> {
    let code = issued.code;
    let message = match service::ticket(&state.db, issued.id).await? {
        Some(ticket) => format!(
            "{words} {code} for {}, in {}.",
            ticket.patient_name,
            queue_name(&ticket)
        ),
        None => format!("{words} {code}."),
    };
    Ok(Flash::from(message).with_ticket(code))
}

/// The queue a ticket waits in, as a message names it.
fn queue_name(ticket: &Ticket) -> String {
    match &ticket.doctor_name {
        Some(doctor) => format!("{doctor}'s queue"),
        None => "the general queue".to_owned(),
    }
}

/// The new patient's form's answer to the possible duplicates it shows: not one of them.
pub const DIFFERENT_PERSON: &str = "new";

/// The new patient's form again, with the registered patients who may be them: the desk chooses one of them
/// to add instead, or a different person to register.
async fn possibly_registered(
    state: &AppState,
    mut layout: Layout,
    form: WalkInForm,
    duplicates: Vec<PatientSummary>,
) -> AppResult<Response> {
    let message = "Not added yet: a patient with the same phone or name is registered. Choose them, or a \
                   different person, and add to the queue again.";
    layout.show_in(WALK_IN_NEW, FlashKind::Error, message);
    let page = BoardPage {
        duplicates: WalkInDuplicates::of(state, duplicates).await?.render()?,
        ..board_page(state, layout, form, FieldErrors::default()).await?
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// Who the walk-in form is for: a new patient's details, or the registered patient it names (also one of the
/// possible duplicates the new patient's form offers instead).
async fn walk_in_patient(
    state: &AppState,
    form: &WalkInForm,
    errors: &mut FieldErrors,
) -> AppResult<Option<WalkInPatient>> {
    Ok(if form.registers_new() {
        form.new_patient(&state.settings.get().matric_regex(), errors)
            .map(|details| WalkInPatient::New(Box::new(details)))
    } else {
        find_registered(state, form, errors).await?
    })
}

/// The board again with the walk-in form as typed, a message beside each bad field, and their summary in the
/// form's message region, where the page opens (the form posts to its own anchor).
async fn invalid_walk_in(
    state: &AppState,
    mut layout: Layout,
    form: WalkInForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    layout.show_in(form.place(), FlashKind::Error, walk_in_summary(&errors));
    let mut page = board_page(state, layout, form, errors).await?;
    if page.form.place() == WALK_IN_EXISTING {
        let found = WalkInMatches::find(state, &page.form.number, &page.form.patient).await?;
        // Nobody found is said beside the field already.
        if !found.matches.is_empty() {
            page.matches = found.render()?;
        }
    }
    Ok(invalid(page))
}

/// The walk-in panel's message over a refused form. A message stands beside its field, where the focus goes, and
/// the summary counts them; only a refused choice of patient (a record that already holds a ticket), which no
/// field shows, is said in it.
fn walk_in_summary(errors: &FieldErrors) -> String {
    match (errors.get("patient"), errors.messages().count()) {
        (Some(refused), _) => format!("Not added yet. {refused}"),
        (None, 1) => "Not added yet: one thing to correct, marked below.".to_owned(),
        (None, n) => format!("Not added yet: {n} things to correct, marked below."),
    }
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
        (None, _) => {
            errors.add("number", SEVERAL_MATCH);
            Ok(None)
        }
    }
}

/// The active patients a walk-in search finds (only they can join the queue).
async fn active_matches(state: &AppState, typed: &str) -> AppResult<Vec<PatientSummary>> {
    let found = patient_service::find(&state.db, typed).await?;
    Ok(found.into_iter().filter(|p| p.active).collect())
}

/// What to say beside the search when a typed name fits several patients: the list below it, which says how
/// many match, is the choice.
const SEVERAL_MATCH: &str = "Several patients match: choose one below, or type their clinic number.";

const MATCHES_SHOWN: usize = 8;

#[derive(Debug, Default, Deserialize)]
pub struct MatchesQuery {
    #[serde(default)]
    number: String,
}

/// The registered patients matching what is typed in the walk-in form, as a choice of one (radio buttons):
/// choosing a patient selects them, and the form's own button adds them with the queue and priority chosen.
#[derive(Template, WebTemplate)]
#[template(path = "queue/_walk_in_matches.html")]
pub struct WalkInMatches {
    typed: String,
    matches: Vec<PatientSummary>,
    more: bool,
    /// The clinic number chosen before the form came back, chosen again.
    chosen: String,
    today: DeskToday,
}

/// Registered patients who may be the new walk-in being typed (the same phone, or the same name), to add
/// instead: shown as the details are typed, and again when the form is sent without choosing.
#[derive(Template, WebTemplate)]
#[template(path = "queue/_walk_in_duplicates.html")]
pub struct WalkInDuplicates {
    duplicates: Vec<PatientSummary>,
    today: DeskToday,
}

impl WalkInDuplicates {
    async fn of(state: &AppState, duplicates: Vec<PatientSummary>) -> AppResult<WalkInDuplicates> {
        let today = DeskToday::of(state, &duplicates).await?;
        Ok(WalkInDuplicates { duplicates, today })
    }
}

/// The possible duplicates of the new walk-in's name and phone as typed so far (none until both names are).
pub async fn walk_in_duplicates(
    _user: Staff<FrontDesk>,
    State(state): State<AppState>,
    Query(form): Query<WalkInForm>,
) -> AppResult<WalkInDuplicates> {
    let regex = state.settings.get().matric_regex();
    let duplicates = match form.new_patient(&regex, &mut FieldErrors::default()) {
        Some(details) => patient_service::possible_duplicates(&state.db, &details).await?,
        None => Vec::new(),
    };
    WalkInDuplicates::of(&state, duplicates).await
}

/// Where the patients offered to the desk stand today: the ticket one already holds (a second would be
/// refused), or the booking of today still to check in (the desk's search checks them in from there).
pub struct DeskToday {
    tickets: HashMap<i64, String>,
    bookings: HashMap<i64, AppointmentView>,
    zone: Tz,
}

impl DeskToday {
    /// Today's open tickets and bookings to check in, read only when there are patients to show them for (the
    /// bookings from the board's own read).
    async fn of(state: &AppState, patients: &[PatientSummary]) -> AppResult<DeskToday> {
        let zone = state.settings.get().clinic.time_zone;
        if patients.is_empty() {
            return Ok(DeskToday {
                tickets: HashMap::new(),
                bookings: HashMap::new(),
                zone,
            });
        }
        let tickets = service::open_ticket_codes(&state.db, today(state)).await?;
        let board = Board::current(state).await?;
        let wanted: HashSet<i64> = patients.iter().map(|p| p.id).collect();
        let mut bookings = HashMap::new();
        for a in board
            .bookings_to_check_in()
            .iter()
            .filter(|a| wanted.contains(&a.patient_id))
        {
            // The first of the day (they are in time order) is the one to check in.
            bookings.entry(a.patient_id).or_insert_with(|| a.clone());
        }
        Ok(DeskToday {
            tickets,
            bookings,
            zone,
        })
    }

    pub fn code_of(&self, patient: &PatientSummary) -> Option<&str> {
        self.tickets.get(&patient.id).map(String::as_str)
    }

    /// Today's booking of a patient not in the queue, to check in.
    pub fn booking_of(&self, patient: &PatientSummary) -> Option<&AppointmentView> {
        match self.code_of(patient) {
            Some(_) => None,
            None => self.bookings.get(&patient.id),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }
}

impl WalkInMatches {
    async fn find(state: &AppState, typed: &str, chosen: &str) -> AppResult<WalkInMatches> {
        let typed: String = typed.trim().chars().take(100).collect();
        let mut matches: Vec<PatientSummary> = match typed.chars().count() {
            0 | 1 => Vec::new(),
            _ => active_matches(state, &typed).await?,
        };
        let today = DeskToday::of(state, &matches).await?;
        // Those booked today come first: checking them in is the likely thing to do.
        matches.sort_by_key(|p| today.booking_of(p).is_none());
        let more = matches.len() > MATCHES_SHOWN;
        matches.truncate(MATCHES_SHOWN);
        // One patient found (a matric or clinic number typed whole) is chosen already, unless they hold a ticket
        // or are booked today (then checking them in is the likely thing to do).
        let only = match (matches.as_slice(), more) {
            ([only], false) if today.code_of(only).is_none() && today.booking_of(only).is_none() => {
                Some(only.clinic_number.clone())
            }
            _ => None,
        };
        let chosen = match (chosen.trim(), only) {
            ("", Some(only)) => only,
            (chosen, _) => chosen.to_owned(),
        };
        Ok(WalkInMatches {
            typed,
            matches,
            more,
            chosen,
            today,
        })
    }

    fn is_chosen(&self, patient: &PatientSummary) -> bool {
        !self.chosen.is_empty() && patient.clinic_number == self.chosen
    }

    /// The name typed, to register as a new patient when nobody matches it (none for a number).
    fn new_name(&self) -> Option<NewName> {
        NewName::typed(&self.typed)
    }
}

pub async fn walk_in_matches(
    _user: Staff<FrontDesk>,
    State(state): State<AppState>,
    Query(query): Query<MatchesQuery>,
) -> AppResult<WalkInMatches> {
    WalkInMatches::find(&state, &query.number, "").await
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

/// The doctor whose queue a form acts on: a doctor their own (another's id is refused), anyone else the one
/// the form names.
fn chosen_doctor(scope: DoctorScope, asked: &str) -> AppResult<i64> {
    let asked = match asked.trim() {
        "" => None,
        text => Some(required_id(text, "a doctor")?),
    };
    if asked.is_some_and(|id| !scope.covers(id)) {
        return Err(AppError::Forbidden);
    }
    scope
        .choose(asked)
        .ok_or_else(|| AppError::BadRequest("Choose a doctor.".into()))
}

pub async fn call_next(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    Form(form): Form<CallNextForm>,
) -> AppResult<Response> {
    let doctor_id = chosen_doctor(user.scope(), &form.doctor_id)?;
    let expected = match form.calls_made.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| AppError::BadRequest("Reload the page.".into()))?,
        ),
    };
    let called = service::call_next(&state.db, &user.actor, doctor_id, today(&state), expected).await?;
    changed(&session, &user, hx, called_notice(called.as_ref()), None).await
}

/// What a "Call next" did, in words: whom it called to which room, or that nobody is waiting.
pub fn called_notice(called: Option<&sickbay_core::db::events::Call>) -> String {
    match called {
        Some(call) => format!("Called {} to {}.", call.code, call.room_name),
        None => "Nobody is waiting.".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    /// For a transfer: `general` or a doctor's id.
    #[serde(default)]
    to: String,
    /// For a change of priority: `emergency`, `urgent` or `normal`.
    #[serde(default)]
    priority: String,
}

/// The move named in the address, if this user may make it: reception only marks that a patient left.
fn permitted_move(scope: DoctorScope, action: &str) -> AppResult<Move> {
    let mv = Move::from_path(action).ok_or(AppError::NotFound)?;
    match (mv, scope) {
        (Move::Cancel, DoctorScope::Own(_)) => Err(AppError::Forbidden),
        _ => Ok(mv),
    }
}

fn transfer_target(mv: Move, to: &str) -> AppResult<Option<Target>> {
    if mv != Move::Transfer {
        return Ok(None);
    }
    Ok(match to.trim() {
        "" => None,
        "general" => Some(Target::General),
        id => Some(Target::Doctor(required_id(id, "a doctor")?)),
    })
}

/// The priority a change of priority asks for; none when the form chose none (the service says to choose).
fn new_priority(mv: Move, text: &str) -> AppResult<Option<Priority>> {
    if mv != Move::Prioritise || text.trim().is_empty() {
        return Ok(None);
    }
    parse_priority(text).map(Some)
}

pub async fn move_ticket(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    hx: HxRequest,
    IdsPath(ticket_id, action): IdsPath<String>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    let mv = permitted_move(user.scope(), &action)?;
    let moved = if mv == Move::Reinstate {
        service::reinstate(&state.db, &user.actor, ticket_id, user.scope(), today(&state)).await?
    } else {
        let request = MoveRequest {
            ticket_id,
            mv,
            scope: user.scope(),
            transfer_to: transfer_target(mv, &form.to)?,
            priority: new_priority(mv, &form.priority)?,
            skip_places: state.settings.get().queue.skip_places,
        };
        service::move_ticket(&state.db, &user.actor, &request).await?
    };
    let mut notice = Flash::from(moved.message(mv));
    if let Some(undo) = mv.undone_by() {
        notice = notice.with_undo(format!("/queue/tickets/{ticket_id}/{}", undo.path()));
    }
    changed(&session, &user, hx, notice, None).await
}

/// A ticket this user may act on (a doctor: one in their own queue), read outside any change.
async fn ticket_for(state: &AppState, scope: DoctorScope, ticket_id: i64) -> AppResult<Ticket> {
    let ticket = service::ticket(&state.db, ticket_id).await?.ok_or(AppError::NotFound)?;
    if !scope.covers_maybe(ticket.doctor_id) {
        return Err(AppError::Forbidden);
    }
    Ok(ticket)
}

/// A ticket's page: what it is and the moves it allows. Without JavaScript the board's "Actions" link opens it;
/// with it, its fragment fills the board's dialog.
#[derive(Template, WebTemplate)]
#[template(path = "queue/ticket.html")]
pub struct TicketPage {
    layout: Layout,
    code: String,
    menu: String,
    back: &'static str,
}

pub async fn ticket(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
) -> AppResult<Response> {
    let ticket = ticket_for(&state, user.scope(), id).await?;
    let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
    let menu = TicketMenu {
        t: &ticket,
        zone: state.settings.get().clinic.time_zone,
        doctors: &doctors,
        can_cancel: user.scope() == DoctorScope::Any,
        csrf_token: Some(&layout.csrf_token),
        on_page: !hx.0,
    }
    .render()?;
    if hx.0 {
        return Ok(Html(menu).into_response());
    }
    let (code, back) = (ticket.code.clone(), queue_page(&user));
    Ok(TicketPage {
        layout,
        code,
        menu,
        back,
    }
    .into_response())
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
    // A doctor chooses their own room, whatever the form says.
    let doctor_id = match user.scope() {
        DoctorScope::Own(id) => id,
        DoctorScope::Any => required_id(&form.doctor_id, "a doctor")?,
    };
    let room_id = required_id(&form.room_id, "a room")?;
    service::assign_room(&state.db, &user.actor, today(&state), doctor_id, room_id).await?;
    changed(&session, &user, hx, "Room saved for today.".to_owned(), None).await
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
    Page { state, session, layout }: Page,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let actor = admin.actor_with_form(&form.form_id)?;
    match service::save_room(&state.db, &actor, None, &form).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, "Room added.").await?;
            Ok(redirect(HxRequest(false), "/admin/rooms"))
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = RoomsPage {
                layout,
                rooms: repo::rooms(&state.db).await?,
                form,
                errors,
                editing: None,
            };
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn update_room(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    IdPath(id): IdPath,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    repo::room(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let actor = &admin.actor;
    match service::save_room(&state.db, actor, Some(id), &form).await {
        Ok(_) => {
            flash(&session, FlashKind::Success, "Room saved.").await?;
            Ok(redirect(HxRequest(false), "/admin/rooms"))
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = RoomsPage {
                layout,
                rooms: repo::rooms(&state.db).await?,
                form: RoomForm::default(),
                errors: FieldErrors::default(),
                editing: Some((id, form, errors)),
            };
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::NewName;

    fn name(first_name: &str, surname: &str) -> Option<NewName> {
        let (first_name, surname) = (first_name.to_owned(), surname.to_owned());
        Some(NewName { first_name, surname })
    }

    #[test]
    fn a_name_typed_in_the_search_is_split_as_the_lists_write_it() {
        assert_eq!(NewName::typed("Ada Okafor"), name("Ada", "Okafor"));
        assert_eq!(NewName::typed("  Ada   Nneka  Okafor "), name("Ada", "Nneka Okafor"));
        assert_eq!(NewName::typed("Okafor, Ada"), name("Ada", "Okafor"));
        assert_eq!(NewName::typed("Ada"), name("Ada", ""));
    }

    #[test]
    fn a_number_typed_is_no_name() {
        assert_eq!(NewName::typed("ANS/26/0001"), None);
        assert_eq!(NewName::typed("C-2026-0042"), None);
        assert_eq!(NewName::typed("   "), None);
    }
}
