//! Staff pages of scheduling: doctors' weekly hours, closures and leave, blocking slots, the doctor's day and
//! week, and staff cancelling or correcting appointments.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::model::{
    AppointmentStatus, Availability, AvailabilityForm, ClosureForm, ScheduleView, WEEKDAYS, parse_reason,
};
use super::portal::booking_error;
use super::repo::{self, AppointmentView, Closure, Slot};
use super::service::{self, BookingError, Generated};
use crate::db::once::FormKey;
use crate::db::{Date, Timestamp};
use crate::identity::{Role, StaffUser};
use crate::settings::Settings;
use crate::staff::model::Doctor;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::{FrontDesk, FrontDeskAndDoctors, RoleSet, Staff};
use crate::web::form::{Form, Query};
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};

/// Who sets weekly hours: the admin for any doctor, a doctor for their own.
pub struct HoursEditors;
impl RoleSet for HoursEditors {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Doctor];
}

// ---- the report of a change, shown once on the next page ------------------------------------------------

const REPORT_KEY: &str = "schedule_report";

/// A booking that a change left without its slot (or on a blocked one): kept, and listed so the clinic can
/// contact the patient.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Affected {
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub doctor_name: String,
    pub when: String,
    pub status: String,
}

/// What a change to hours, closures or a slot did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChangeReport {
    /// Slots added and removed, when slots were regenerated.
    pub slots: Option<(u64, u64)>,
    pub affected: Vec<Affected>,
}

impl ChangeReport {
    fn new(slots: Option<(u64, u64)>, bookings: &[AppointmentView], zone: &Tz) -> Self {
        ChangeReport {
            slots,
            affected: bookings
                .iter()
                .map(|a| Affected {
                    patient_id: a.patient_id,
                    patient_name: a.patient_name.clone(),
                    clinic_number: a.clinic_number.clone(),
                    doctor_name: a.doctor_name.clone(),
                    when: a.starts_at.format_in(zone),
                    status: a.status.label().to_owned(),
                })
                .collect(),
        }
    }

    fn generated(report: &Generated, zone: &Tz) -> Self {
        Self::new(Some((report.created, report.removed)), &report.orphans, zone)
    }

    async fn keep(self, session: &Session) -> AppResult<()> {
        session.insert(REPORT_KEY, self).await?;
        Ok(())
    }

    async fn take(session: &Session) -> AppResult<Option<Self>> {
        Ok(session.remove::<Self>(REPORT_KEY).await?)
    }
}

/// Regenerates a doctor's slots (or everyone's) and keeps the report for the next page.
async fn regenerate(state: &AppState, session: &Session, doctor_id: Option<i64>) -> AppResult<()> {
    let settings = state.settings.get();
    let generated = service::generate_slots(&state.db, &settings, doctor_id).await?;
    ChangeReport::generated(&generated, &settings.time_zone)
        .keep(session)
        .await
}

fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

// ---- choosing the doctor ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleQuery {
    doctor: String,
    day: String,
    view: String,
}

/// The doctor a page is about: a doctor is always themselves (asking for someone else is refused); other
/// staff name one (an unknown id is a 404) or get the first active doctor.
async fn chosen_doctor(state: &AppState, user: &StaffUser, asked: &str) -> AppResult<Option<Doctor>> {
    let asked = asked.trim();
    if user.role == Role::Doctor {
        if !asked.is_empty() && asked != user.id.to_string() {
            return Err(AppError::Forbidden);
        }
        return Ok(Some(Doctor {
            id: user.id,
            full_name: user.full_name.clone(),
        }));
    }
    let doctors = crate::staff::service::active_doctors(&state.db).await?;
    if asked.is_empty() {
        return Ok(doctors.into_iter().next());
    }
    let id: i64 = asked.parse().map_err(|_| AppError::NotFound)?;
    doctors
        .into_iter()
        .find(|d| d.id == id)
        .map(Some)
        .ok_or(AppError::NotFound)
}

/// The doctor a form names, for staff who may act for any doctor: an active doctor, or a message.
fn named_doctor(doctors: &[Doctor], text: &str) -> Result<i64, &'static str> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| doctors.iter().any(|d| d.id == *id))
        .ok_or("Choose a doctor.")
}

// ---- weekly hours -------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "schedule/hours.html")]
pub struct HoursPage {
    layout: Layout,
    /// Listed for the admin to choose from; empty for a doctor.
    doctors: Vec<Doctor>,
    doctor: Option<Doctor>,
    hours: Vec<Availability>,
    form: AvailabilityForm,
    errors: FieldErrors,
    report: Option<ChangeReport>,
    weekdays: &'static [&'static str],
}

impl HoursPage {
    async fn build(
        state: &AppState,
        user: &StaffUser,
        layout: Layout,
        doctor: Option<Doctor>,
        form: AvailabilityForm,
        errors: FieldErrors,
        report: Option<ChangeReport>,
    ) -> AppResult<Self> {
        let doctors = if user.role == Role::Doctor {
            Vec::new()
        } else {
            crate::staff::service::active_doctors(&state.db).await?
        };
        let hours = match &doctor {
            Some(doctor) => repo::hours_of(&state.db, doctor.id).await?,
            None => Vec::new(),
        };
        Ok(HoursPage {
            layout,
            doctors,
            doctor,
            hours,
            form,
            errors,
            report,
            weekdays: &WEEKDAYS,
        })
    }

    fn is_doctor(&self, id: &i64) -> bool {
        self.doctor.as_ref().is_some_and(|d| d.id == *id)
    }

    /// The doctor chosen in the add form: the one typed, or else the one shown.
    fn is_form_doctor(&self, id: &i64) -> bool {
        match self.form.doctor_id.trim() {
            "" => self.is_doctor(id),
            typed => typed == id.to_string(),
        }
    }

    fn is_weekday(&self, index: &usize) -> bool {
        self.form.weekday.trim() == (index + 1).to_string()
    }

    fn doctor_query(&self) -> String {
        match (&self.doctor, self.doctors.is_empty()) {
            (Some(doctor), false) => format!("?doctor={}", doctor.id),
            _ => String::new(),
        }
    }
}

fn hours_path(user: &StaffUser, doctor_id: i64) -> String {
    if user.role == Role::Doctor {
        "/schedule/hours".to_owned()
    } else {
        format!("/schedule/hours?doctor={doctor_id}")
    }
}

pub async fn hours(
    user: Staff<HoursEditors>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Query(query): Query<ScheduleQuery>,
) -> AppResult<HoursPage> {
    let doctor = chosen_doctor(&state, &user, &query.doctor).await?;
    let form = AvailabilityForm {
        slot_minutes: "15".into(),
        capacity: "1".into(),
        form_id: FormKey::mint().to_string(),
        ..AvailabilityForm::default()
    };
    let report = ChangeReport::take(&session).await?;
    HoursPage::build(&state, &user, layout, doctor, form, FieldErrors::default(), report).await
}

pub async fn add_hours(
    user: Staff<HoursEditors>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<AvailabilityForm>,
) -> AppResult<Response> {
    let settings = state.settings.get();
    let mut errors = FieldErrors::default();
    let doctor_id = if user.role == Role::Doctor {
        Some(user.id)
    } else {
        let doctors = crate::staff::service::active_doctors(&state.db).await?;
        errors.check("doctor_id", named_doctor(&doctors, &form.doctor_id))
    };
    let checked = form.validate(doctor_id.unwrap_or(0), settings.today());
    let hours = match (doctor_id, checked) {
        (Some(_), Ok(hours)) => hours,
        (_, result) => {
            if let Err(more) = result {
                errors = merge(errors, more);
            }
            return hours_form_again(&state, &user, layout, doctor_id, form, errors).await;
        }
    };
    let actor = user.actor_with_form(&form.form_id)?;
    match service::add_hours(&state.db, &actor, &hours).await {
        Ok(_) => {}
        Err(BookingError::Conflict(message)) => {
            errors.add("overlap", message);
            return hours_form_again(&state, &user, layout, doctor_id, form, errors).await;
        }
        Err(err) => return Err(booking_error(err)),
    }
    regenerate(&state, &session, Some(hours.doctor_id)).await?;
    flash(
        &session,
        FlashKind::Success,
        format!("Hours added: {}.", hours.describe()),
    )
    .await?;
    Ok(Redirect::to(&hours_path(&user, hours.doctor_id)).into_response())
}

fn merge(mut into: FieldErrors, from: FieldErrors) -> FieldErrors {
    for field in [
        "weekday",
        "start",
        "end",
        "slot_minutes",
        "capacity",
        "valid_from",
        "valid_until",
    ] {
        if let Some(message) = from.get(field) {
            into.add(field, message.to_owned());
        }
    }
    into
}

async fn hours_form_again(
    state: &AppState,
    user: &StaffUser,
    layout: Layout,
    doctor_id: Option<i64>,
    form: AvailabilityForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let doctor = match doctor_id {
        Some(id) if user.role == Role::Doctor => Some(Doctor {
            id,
            full_name: user.full_name.clone(),
        }),
        Some(id) => crate::staff::service::active_doctors(&state.db)
            .await?
            .into_iter()
            .find(|d| d.id == id),
        None => None,
    };
    let page = HoursPage::build(state, user, layout, doctor, form, errors, None).await?;
    Ok(invalid(page))
}

impl HoursPage {
    fn remove_confirmation(&self, hours: &Availability) -> Confirmation {
        remove_confirmation(hours, self.doctor.as_ref().map(|d| d.full_name.as_str()))
    }
}

/// What is asked before removing hours.
fn remove_confirmation(hours: &Availability, doctor: Option<&str>) -> Confirmation {
    let whose = doctor.map(|name| format!(" of {name}")).unwrap_or_default();
    Confirmation {
        action: format!("/schedule/hours/{}/remove", hours.id),
        question: format!("Remove the hours{whose}: {}?", hours.describe()),
        detail: "Future slots nobody booked are removed at once. Booked ones are kept and listed, so the clinic \
                 can call the patients."
            .to_owned(),
        button: format!("Remove {} {}", hours.weekday_name(), hours.hours()),
    }
}

/// The confirmation page of removing hours, for browsers without JavaScript.
pub async fn confirm_remove_hours(
    user: Staff<HoursEditors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<ConfirmPage> {
    let hours = repo::hours(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if (user.role == Role::Doctor && hours.doctor_id != user.id) || !hours.active {
        return Err(AppError::NotFound);
    }
    let doctor = match user.role {
        Role::Doctor => None,
        _ => scheduling_doctor_name(&state, hours.doctor_id).await?,
    };
    let confirmation = remove_confirmation(&hours, doctor.as_deref());
    Ok(ConfirmPage::new(
        layout,
        confirmation,
        hours_path(&user, hours.doctor_id),
    ))
}

async fn scheduling_doctor_name(state: &AppState, doctor_id: i64) -> AppResult<Option<String>> {
    Ok(crate::staff::service::active_doctors(&state.db)
        .await?
        .into_iter()
        .find(|d| d.id == doctor_id)
        .map(|d| d.full_name))
}

pub async fn remove_hours(
    user: Staff<HoursEditors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let hours = repo::hours(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if user.role == Role::Doctor && hours.doctor_id != user.id {
        return Err(AppError::NotFound);
    }
    if hours.active {
        match service::remove_hours(&state.db, &user.actor, &hours).await {
            Ok(()) | Err(BookingError::NotFound) => {}
            Err(err) => return Err(booking_error(err)),
        }
        flash(
            &session,
            FlashKind::Success,
            format!("Hours removed: {}.", hours.describe()),
        )
        .await?;
    } else {
        flash(&session, FlashKind::Success, "These hours were already removed.").await?;
    }
    regenerate(&state, &session, Some(hours.doctor_id)).await?;
    Ok(Redirect::to(&hours_path(&user, hours.doctor_id)))
}

// ---- closures and leave -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "schedule/closures.html")]
pub struct ClosuresPage {
    layout: Layout,
    user: StaffUser,
    /// For choosing whose leave; empty for a doctor, who closes only their own days.
    doctors: Vec<Doctor>,
    closures: Vec<Closure>,
    form: ClosureForm,
    errors: FieldErrors,
    report: Option<ChangeReport>,
    today: String,
}

impl ClosuresPage {
    async fn build(
        state: &AppState,
        user: StaffUser,
        layout: Layout,
        form: ClosureForm,
        errors: FieldErrors,
        report: Option<ChangeReport>,
    ) -> AppResult<Self> {
        let today = state.settings.get().today();
        let mut closures = repo::upcoming_closures(&state.db, Date(today)).await?;
        let doctors = if user.role == Role::Doctor {
            // A doctor sees the clinic's closures and their own leave.
            closures.retain(|c| c.doctor_id.is_none_or(|d| d == user.id));
            Vec::new()
        } else {
            crate::staff::service::active_doctors(&state.db).await?
        };
        Ok(ClosuresPage {
            layout,
            user,
            doctors,
            closures,
            form,
            errors,
            report,
            today: today.to_string(),
        })
    }

    fn may_remove(&self, closure: &Closure) -> bool {
        self.user.role != Role::Doctor || closure.doctor_id == Some(self.user.id)
    }

    fn is_doctor(&self, id: &i64) -> bool {
        self.form.doctor_id.trim() == id.to_string()
    }

    fn day_extra(&self) -> String {
        format!("min={}", self.today)
    }
}

pub async fn closures(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
) -> AppResult<ClosuresPage> {
    let report = ChangeReport::take(&session).await?;
    ClosuresPage::build(
        &state,
        user.user,
        layout,
        ClosureForm {
            form_id: FormKey::mint().to_string(),
            ..ClosureForm::default()
        },
        FieldErrors::default(),
        report,
    )
    .await
}

pub async fn add_closure(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<ClosureForm>,
) -> AppResult<Response> {
    let settings = state.settings.get();
    let mut errors = FieldErrors::default();
    let doctor_id = if user.role == Role::Doctor {
        Some(user.id)
    } else if form.doctor_id.trim().is_empty() {
        None
    } else {
        let doctors = crate::staff::service::active_doctors(&state.db).await?;
        match named_doctor(&doctors, &form.doctor_id) {
            Ok(id) => Some(id),
            Err(message) => {
                errors.add("doctor_id", message);
                None
            }
        }
    };
    let closure = match form.validate(doctor_id, settings.today()) {
        Ok(closure) if errors.is_empty() => closure,
        result => {
            if let Err(more) = result {
                for field in ["day", "reason"] {
                    if let Some(message) = more.get(field) {
                        errors.add(field, message.to_owned());
                    }
                }
            }
            let page = ClosuresPage::build(&state, user.user, layout, form, errors, None).await?;
            return Ok(invalid(page));
        }
    };
    let actor = user.actor_with_form(&form.form_id)?;
    match service::add_closure(&state.db, &actor, &closure, user.id).await {
        Ok(()) => {}
        Err(BookingError::Conflict(message)) => {
            errors.add("day", message);
            let page = ClosuresPage::build(&state, user.user, layout, form, errors, None).await?;
            return Ok(invalid(page));
        }
        Err(err) => return Err(booking_error(err)),
    }
    regenerate(&state, &session, closure.doctor_id).await?;
    let what = match closure.doctor_id {
        None => "Clinic closed",
        Some(_) => "Leave added",
    };
    flash(&session, FlashKind::Success, format!("{what} on {}.", closure.day)).await?;
    Ok(Redirect::to("/schedule/closures").into_response())
}

pub async fn remove_closure(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let closure = repo::closure(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if user.role == Role::Doctor && closure.doctor_id != Some(user.id) {
        return Err(AppError::NotFound);
    }
    service::remove_closure(&state.db, &user.actor, &closure)
        .await
        .map_err(booking_error)?;
    regenerate(&state, &session, closure.doctor_id).await?;
    flash(&session, FlashKind::Success, format!("Reopened {}.", closure.day)).await?;
    Ok(Redirect::to("/schedule/closures"))
}

// ---- the doctor's schedule ----------------------------------------------------------------------------

/// One slot of the schedule with the appointments made on it.
pub struct SlotRow {
    pub slot: Slot,
    pub time: String,
    pub appointments: Vec<AppointmentView>,
}

/// One day of the schedule.
pub struct ScheduleDay {
    pub day: Date,
    pub label: String,
    pub slots: Vec<SlotRow>,
    pub booked: i64,
    pub capacity: i64,
}

impl ScheduleDay {
    pub fn appointments(&self) -> impl Iterator<Item = (&SlotRow, &AppointmentView)> {
        self.slots
            .iter()
            .flat_map(|row| row.appointments.iter().map(move |a| (row, a)))
    }

    pub fn appointment_count(&self) -> usize {
        self.appointments().count()
    }
}

fn time_of(at: Timestamp, zone: &Tz) -> String {
    at.to_utc().with_timezone(zone).format("%H:%M").to_string()
}

/// Groups slots and their appointments by day, in time order.
fn schedule_days(
    from: NaiveDate,
    to: NaiveDate,
    slots: Vec<Slot>,
    appointments: Vec<AppointmentView>,
    zone: &Tz,
) -> Vec<ScheduleDay> {
    let mut by_slot: HashMap<i64, Vec<AppointmentView>> = HashMap::new();
    for a in appointments {
        by_slot.entry(a.slot_id).or_default().push(a);
    }
    let mut days: Vec<ScheduleDay> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| ScheduleDay {
            day: Date(d),
            label: d.format("%A %-d %B").to_string(),
            slots: Vec::new(),
            booked: 0,
            capacity: 0,
        })
        .collect();
    for slot in slots {
        let Some(day) = days.iter_mut().find(|d| d.day == slot.day) else {
            continue;
        };
        day.booked += slot.booked;
        if !slot.blocked {
            day.capacity += slot.capacity;
        }
        day.slots.push(SlotRow {
            time: format!("{}–{}", time_of(slot.starts_at, zone), time_of(slot.ends_at, zone)),
            appointments: by_slot.remove(&slot.id).unwrap_or_default(),
            slot,
        });
    }
    days
}

/// A message beside one of the many small forms of the schedule (`block-7`, `cancel-12`, ...).
#[derive(Clone, Debug, Default)]
pub struct Problem {
    pub target: String,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "schedule/day.html")]
pub struct SchedulePage {
    layout: Layout,
    user: StaffUser,
    doctors: Vec<Doctor>,
    doctor: Option<Doctor>,
    view: ScheduleView,
    day: Date,
    previous: Date,
    next: Date,
    days: Vec<ScheduleDay>,
    report: Option<ChangeReport>,
    problem: Problem,
}

impl SchedulePage {
    fn is_doctor(&self, id: &i64) -> bool {
        self.doctor.as_ref().is_some_and(|d| d.id == *id)
    }

    fn link(&self, day: &Date, view: &str) -> String {
        match &self.doctor {
            Some(doctor) if self.user.role != Role::Doctor => {
                format!("/schedule?doctor={}&day={day}&view={view}", doctor.id)
            }
            _ => format!("/schedule?day={day}&view={view}"),
        }
    }

    fn may_correct(&self) -> bool {
        FrontDesk::ROLES.contains(&self.user.role)
    }

    fn is_live(&self, a: &AppointmentView) -> bool {
        a.status.is_live()
    }

    fn is_correctable(&self, a: &AppointmentView) -> bool {
        matches!(a.status, AppointmentStatus::NoShow | AppointmentStatus::Completed)
    }

    fn problem_for(&self, target: &str) -> Option<&str> {
        (self.problem.target == target).then_some(self.problem.message.as_str())
    }

    fn title(&self) -> String {
        match self.view {
            ScheduleView::Day => self.days.first().map_or_else(String::new, |d| d.label.clone()),
            ScheduleView::Week => format!("Week of {}", self.days.first().map_or("", |d| d.label.as_str())),
        }
    }
}

/// Which doctor, day and view a schedule page shows.
struct Shown {
    doctor: Option<Doctor>,
    day: NaiveDate,
    view: ScheduleView,
}

async fn schedule_page(
    state: &AppState,
    user: StaffUser,
    layout: Layout,
    Shown { doctor, day, view }: Shown,
    report: Option<ChangeReport>,
    problem: Problem,
) -> AppResult<SchedulePage> {
    let settings: std::sync::Arc<Settings> = state.settings.get();
    let (from, to) = view.days(day);
    let (slots, appointments) = match &doctor {
        Some(doctor) => (
            repo::slots_between(&state.db, doctor.id, Date(from), Date(to)).await?,
            repo::appointments_between(&state.db, Some(doctor.id), Date(from), Date(to)).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let doctors = if user.role == Role::Doctor {
        Vec::new()
    } else {
        crate::staff::service::active_doctors(&state.db).await?
    };
    let (previous, next) = view.step(day);
    Ok(SchedulePage {
        layout,
        user,
        doctors,
        doctor,
        view,
        day: Date(day),
        previous: Date(previous),
        next: Date(next),
        days: schedule_days(from, to, slots, appointments, &settings.time_zone),
        report,
        problem,
    })
}

pub async fn schedule(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Query(query): Query<ScheduleQuery>,
) -> AppResult<SchedulePage> {
    let doctor = chosen_doctor(&state, &user, &query.doctor).await?;
    let day = match query.day.trim() {
        "" => state.settings.get().today(),
        text => Date::parse(text).map_err(|err| AppError::BadRequest(err.0))?.0,
    };
    let view = ScheduleView::parse(Some(query.view.as_str()));
    let report = ChangeReport::take(&session).await?;
    schedule_page(
        &state,
        user.user,
        layout,
        Shown { doctor, day, view },
        report,
        Problem::default(),
    )
    .await
}

/// The schedule page of a slot's day again, with a message beside the form that failed.
async fn schedule_again(
    state: &AppState,
    user: StaffUser,
    layout: Layout,
    doctor_id: i64,
    day: Date,
    problem: Problem,
) -> AppResult<Response> {
    let doctor = crate::staff::service::active_doctors(&state.db)
        .await?
        .into_iter()
        .find(|d| d.id == doctor_id)
        .or_else(|| {
            Some(Doctor {
                id: doctor_id,
                full_name: String::new(),
            })
        });
    let page = schedule_page(
        state,
        user,
        layout,
        Shown {
            doctor,
            day: day.0,
            view: ScheduleView::Day,
        },
        None,
        problem,
    )
    .await?;
    Ok(invalid(page))
}

fn day_path(user: &StaffUser, doctor_id: i64, day: Date) -> String {
    if user.role == Role::Doctor {
        format!("/schedule?day={day}")
    } else {
        format!("/schedule?doctor={doctor_id}&day={day}")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

/// A slot that this user may block: any for the admin and reception, their own for a doctor.
async fn slot_for(state: &AppState, user: &StaffUser, id: i64) -> AppResult<Slot> {
    let slot = repo::slot(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if user.role == Role::Doctor && slot.doctor_id != user.id {
        return Err(AppError::NotFound);
    }
    Ok(slot)
}

pub async fn block_slot(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let slot = slot_for(&state, &user, id).await?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(err) => {
            let problem = Problem {
                target: format!("block-{id}"),
                message: err.0,
            };
            return schedule_again(&state, user.user, layout, slot.doctor_id, slot.day, problem).await;
        }
    };
    let live = service::set_blocked(&state.db, &user.actor, id, true, &reason)
        .await
        .map_err(booking_error)?;
    let zone = state.settings.get().time_zone;
    ChangeReport::new(None, &live, &zone).keep(&session).await?;
    let message = if live.is_empty() {
        format!("Slot {} blocked.", slot.starts_at.format_in(&zone))
    } else {
        format!(
            "Slot {} blocked. Its bookings were kept: contact the patients listed below.",
            slot.starts_at.format_in(&zone)
        )
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&day_path(&user, slot.doctor_id, slot.day)).into_response())
}

pub async fn unblock_slot(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let slot = slot_for(&state, &user, id).await?;
    service::set_blocked(&state.db, &user.actor, id, false, "")
        .await
        .map_err(booking_error)?;
    let zone = state.settings.get().time_zone;
    flash(
        &session,
        FlashKind::Success,
        format!("Slot {} open again.", slot.starts_at.format_in(&zone)),
    )
    .await?;
    Ok(Redirect::to(&day_path(&user, slot.doctor_id, slot.day)))
}

// ---- staff changing appointments ----------------------------------------------------------------------

/// An appointment this user may act on: any for the admin and reception, those in their own slots for a doctor.
async fn appointment_for(state: &AppState, user: &StaffUser, id: i64) -> AppResult<AppointmentView> {
    let appointment = repo::appointment(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if user.role == Role::Doctor && appointment.doctor_id != user.id {
        return Err(AppError::NotFound);
    }
    Ok(appointment)
}

pub async fn cancel(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let appointment = appointment_for(&state, &user, id).await?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(err) => {
            let problem = Problem {
                target: format!("cancel-{id}"),
                message: err.0,
            };
            return schedule_again(
                &state,
                user.user,
                layout,
                appointment.doctor_id,
                appointment.day,
                problem,
            )
            .await;
        }
    };
    let settings = state.settings.get();
    service::cancel(
        &state.db,
        &user.actor,
        &settings.booking_rules(),
        id,
        service::Canceller::Staff(&reason),
    )
    .await
    .map_err(booking_error)?;
    flash(
        &session,
        FlashKind::Success,
        format!(
            "Cancelled the booking of {} ({}) at {}.",
            appointment.patient_name,
            appointment.clinic_number,
            appointment.starts_at.format_in(&settings.time_zone)
        ),
    )
    .await?;
    Ok(Redirect::to(&day_path(&user, appointment.doctor_id, appointment.day)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CorrectForm {
    to: String,
    reason: String,
}

pub async fn correct(
    user: Staff<FrontDesk>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<CorrectForm>,
) -> AppResult<Response> {
    let appointment = appointment_for(&state, &user, id).await?;
    let to = form
        .to
        .parse::<AppointmentStatus>()
        .ok()
        .filter(|s| matches!(s, AppointmentStatus::Booked | AppointmentStatus::CheckedIn));
    let checked = match (to, parse_reason(&form.reason)) {
        (Some(to), Ok(reason)) => Ok((to, reason)),
        (None, _) => Err("Choose booked or checked in.".to_owned()),
        (_, Err(err)) => Err(err.0),
    };
    let (to, reason) = match checked {
        Ok(checked) => checked,
        Err(message) => {
            let problem = Problem {
                target: format!("correct-{id}"),
                message,
            };
            return schedule_again(
                &state,
                user.user,
                layout,
                appointment.doctor_id,
                appointment.day,
                problem,
            )
            .await;
        }
    };
    service::correct_status(&state.db, &user.actor, id, to, &reason)
        .await
        .map_err(booking_error)?;
    flash(
        &session,
        FlashKind::Success,
        format!(
            "The booking of {} is now {}.",
            appointment.patient_name,
            to.label().to_lowercase()
        ),
    )
    .await?;
    Ok(Redirect::to(&day_path(&user, appointment.doctor_id, appointment.day)).into_response())
}
