//! Staff pages of scheduling: doctors' weekly hours, closures and leave, blocking slots, the doctor's day and
//! week, and staff cancelling or correcting appointments. Whose records a user works on is their
//! [`DoctorScope`]: a doctor their own, the admin and reception any doctor's.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::ask;
use super::grid::{DayGrid, Timed};
use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::{Clinicians, FrontDesk, FrontDeskAndDoctors, RoleSet, Staff};
use crate::web::filters::{self, datetime_of};
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{DoctorScope, StaffUser};
use sickbay_core::scheduling::model::{
    Action, AppointmentStatus, AppointmentView, CORRECTED_TO, ClosureForm, HourPlace, Hours, HoursForm, ScheduleView,
    SlotTime, Stretch, StretchForm, WEEKDAYS, closed_to_booking, parse_reason,
};
use sickbay_core::scheduling::repo::{Closure, DayCounts, Slot};
use sickbay_core::scheduling::service::{self, Generated, ScheduleData, StretchBlocked};
use sickbay_core::staff::model::Doctor;
use sickbay_core::validation::FieldErrors;
use sickbay_core::words;

// ---- the report of a change, shown once on the next page ------------------------------------------------

const REPORT_KEY: &str = "schedule_report";

/// A booking that a change left without its slot (or on a blocked one): kept, and listed so the clinic can
/// contact the patient.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Affected {
    pub patient_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    /// '' when none is on record (or the report was kept before phones were listed).
    #[serde(default)]
    pub patient_phone: String,
    pub doctor_name: String,
    pub starts_at: Timestamp,
    pub status: AppointmentStatus,
}

/// What a change to hours, closures or a slot did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChangeReport {
    /// Slots added and removed, when slots were regenerated.
    pub slots: Option<(u64, u64)>,
    pub affected: Vec<Affected>,
}

impl ChangeReport {
    fn new(slots: Option<(u64, u64)>, bookings: &[AppointmentView]) -> Self {
        let affected = bookings
            .iter()
            .map(|a| Affected {
                patient_id: a.patient_id,
                patient_name: a.patient_name.clone(),
                clinic_number: a.clinic_number.clone(),
                patient_phone: a.patient_phone.clone(),
                doctor_name: a.doctor_name.clone(),
                starts_at: a.starts_at,
                status: a.status,
            })
            .collect();
        ChangeReport { slots, affected }
    }

    fn generated(report: &Generated) -> Self {
        Self::new(Some((report.created, report.removed)), &report.orphans)
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
    let generated = service::generate_slots(&state.db, state.settings.get().slot_horizon(), doctor_id).await?;
    ChangeReport::generated(&generated).keep(session).await
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
async fn chosen_doctor(
    state: &AppState,
    user: &StaffUser,
    scope: DoctorScope,
    asked: &str,
) -> AppResult<Option<Doctor>> {
    let asked = match asked.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    if asked.is_some_and(|id| !scope.covers(id)) {
        return Err(AppError::Forbidden);
    }
    if let Some(own) = scope.own() {
        return Ok(Some(Doctor {
            id: own,
            full_name: user.full_name.clone(),
        }));
    }
    let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
    match asked {
        None => Ok(doctors.into_iter().next()),
        Some(id) => doctors
            .into_iter()
            .find(|d| d.id == id)
            .map(Some)
            .ok_or(AppError::NotFound),
    }
}

/// The first active doctor (by name) with hours on any of the days `from..=to`, else the first active doctor:
/// where reception's schedule opens when no doctor is asked for.
async fn first_at_work(state: &AppState, (from, to): (NaiveDate, NaiveDate)) -> AppResult<Option<Doctor>> {
    let at_work = service::doctors_with_slots(&state.db, Date(from), Date(to)).await?;
    let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
    let first_at_work = doctors.iter().position(|d| at_work.contains(&d.id)).unwrap_or(0);
    Ok(doctors.into_iter().nth(first_at_work))
}

/// The doctors a user may choose between: none for a doctor (they see their own), every active one otherwise.
async fn doctors_to_choose(state: &AppState, scope: DoctorScope) -> AppResult<Vec<Doctor>> {
    match scope.own() {
        Some(_) => Ok(Vec::new()),
        None => Ok(sickbay_core::staff::service::active_doctors(&state.db).await?),
    }
}

/// The doctor a form names, for staff who may act for any doctor: an active doctor, or a message.
fn named_doctor(doctors: &[Doctor], text: &str) -> Result<i64, &'static str> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| doctors.iter().any(|d| d.id == *id))
        .ok_or("Choose a doctor.")
}

/// A page's address with the doctor named when the user may choose one (a doctor's pages are their own).
pub(super) fn with_doctor(scope: DoctorScope, path: &str, doctor_id: i64, rest: &str) -> String {
    match scope.own() {
        Some(_) if rest.is_empty() => path.to_owned(),
        Some(_) => format!("{path}?{rest}"),
        None if rest.is_empty() => format!("{path}?doctor={doctor_id}"),
        None => format!("{path}?doctor={doctor_id}&{rest}"),
    }
}

// ---- weekly hours -------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/hours.html")]
pub struct HoursPage {
    layout: Layout,
    /// Listed for the admin to choose from; empty for a doctor.
    doctors: Vec<Doctor>,
    doctor: Option<Doctor>,
    hours: Vec<Hours>,
    form: HoursForm,
    errors: FieldErrors,
    report: Option<ChangeReport>,
    weekdays: &'static [&'static str],
}

impl HoursPage {
    async fn build(
        state: &AppState,
        scope: DoctorScope,
        layout: Layout,
        doctor: Option<Doctor>,
        form: HoursForm,
        errors: FieldErrors,
    ) -> AppResult<Self> {
        let hours = match &doctor {
            Some(doctor) => service::hours_of(&state.db, doctor.id).await?,
            None => Vec::new(),
        };
        Ok(HoursPage {
            layout,
            doctors: doctors_to_choose(state, scope).await?,
            doctor,
            hours,
            form,
            errors,
            report: None,
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

    fn remove_confirmation(&self, hours: &Hours) -> Confirmation {
        remove_confirmation(hours, self.doctor.as_ref().map(|d| d.full_name.as_str()))
    }
}

fn hours_path(scope: DoctorScope, doctor_id: i64) -> String {
    with_doctor(scope, "/schedule/hours", doctor_id, "")
}

pub async fn hours(
    user: Staff<Clinicians>,
    Page { state, session, layout }: Page,
    Query(query): Query<ScheduleQuery>,
) -> AppResult<HoursPage> {
    let doctor = chosen_doctor(&state, &user, user.scope(), &query.doctor).await?;
    let form = HoursForm {
        slot_minutes: "15".into(),
        capacity: "1".into(),
        form_id: FormKey::mint().to_string(),
        ..HoursForm::default()
    };
    let mut page = HoursPage::build(&state, user.scope(), layout, doctor, form, FieldErrors::default()).await?;
    page.report = ChangeReport::take(&session).await?;
    Ok(page)
}

pub async fn add_hours(
    user: Staff<Clinicians>,
    Page { state, session, layout }: Page,
    Form(form): Form<HoursForm>,
) -> AppResult<Response> {
    let (doctor_id, checked) = check_hours(&state, user.scope(), &form).await?;
    let added = match checked {
        Ok(hours) => service::add_hours(&state.db, &user.actor_with_form(&form.form_id)?, &hours)
            .await
            .map(|_| hours),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    let hours = match added {
        Ok(hours) => hours,
        Err(ServiceError::Invalid(errors)) => {
            return hours_form_again(&state, &user, layout, doctor_id, form, errors).await;
        }
        Err(err) => return Err(err.into()),
    };
    regenerate(&state, &session, Some(hours.doctor_id)).await?;
    let message = format!("Hours added: {}.", hours.describe());
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&hours_path(user.scope(), hours.doctor_id)).into_response())
}

/// The hours form checked, for the doctor it is for: a doctor's own, or the one the admin names.
async fn check_hours(
    state: &AppState,
    scope: DoctorScope,
    form: &HoursForm,
) -> AppResult<(Option<i64>, Result<Hours, FieldErrors>)> {
    let mut errors = FieldErrors::default();
    let doctor_id = match scope.own() {
        Some(own) => Some(own),
        None => {
            let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
            errors.check("doctor_id", named_doctor(&doctors, &form.doctor_id))
        }
    };
    let checked = match (
        doctor_id,
        form.validate(doctor_id.unwrap_or(0), state.settings.get().today()),
    ) {
        (Some(_), Ok(hours)) => Ok(hours),
        (_, Ok(_)) => Err(errors),
        (_, Err(more)) => Err(errors.merged(more)),
    };
    Ok((doctor_id, checked))
}

async fn hours_form_again(
    state: &AppState,
    user: &Staff<Clinicians>,
    layout: Layout,
    doctor_id: Option<i64>,
    form: HoursForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let doctor = match doctor_id {
        Some(id) => chosen_doctor(state, user, user.scope(), &id.to_string()).await?,
        None => None,
    };
    let page = HoursPage::build(state, user.scope(), layout, doctor, form, errors).await?;
    Ok(invalid(page))
}

async fn doctor_name(state: &AppState, doctor_id: i64) -> AppResult<Option<String>> {
    let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
    Ok(doctors.into_iter().find(|d| d.id == doctor_id).map(|d| d.full_name))
}

/// What is asked before removing hours.
fn remove_confirmation(hours: &Hours, doctor: Option<&str>) -> Confirmation {
    let whose = doctor.map(|name| format!(" of {name}")).unwrap_or_default();
    Confirmation {
        action: format!("/schedule/hours/{}/remove", hours.id),
        question: format!("Remove the hours{whose}: {}?", hours.describe()),
        detail: "Future slots nobody booked are removed at once. Booked ones are kept and listed, so the clinic \
                 can call the patients."
            .to_owned(),
        button: format!("Remove {} {}", hours.weekday_name(), hours.times()),
    }
}

/// The confirmation page of removing hours, for browsers without JavaScript.
pub async fn confirm_remove_hours(
    user: Staff<Clinicians>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<ConfirmPage> {
    let hours = service::hours(&state.db, user.scope(), id).await?;
    if !hours.active {
        return Err(AppError::NotFound);
    }
    // A doctor's own hours don't need their name.
    let doctor = match user.scope().own() {
        Some(_) => None,
        None => doctor_name(&state, hours.doctor_id).await?,
    };
    let confirmation = remove_confirmation(&hours, doctor.as_deref());
    Ok(ConfirmPage::new(
        layout,
        confirmation,
        hours_path(user.scope(), hours.doctor_id),
    ))
}

pub async fn remove_hours(
    user: Staff<Clinicians>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let hours = service::hours(&state.db, user.scope(), id).await?;
    let removed = hours.active && service::remove_hours(&state.db, &user.actor, &hours).await?;
    let message = if removed {
        format!("Hours removed: {}.", hours.describe())
    } else {
        "These hours were already removed.".to_owned()
    };
    flash(&session, FlashKind::Success, message).await?;
    regenerate(&state, &session, Some(hours.doctor_id)).await?;
    Ok(Redirect::to(&hours_path(user.scope(), hours.doctor_id)))
}

// ---- closures and leave -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/closures.html")]
pub struct ClosuresPage {
    layout: Layout,
    scope: DoctorScope,
    /// For choosing whose leave; empty for a doctor, who closes only their own days.
    doctors: Vec<Doctor>,
    closures: Vec<Closure>,
    form: ClosureForm,
    errors: FieldErrors,
    report: Option<ChangeReport>,
    today: NaiveDate,
}

impl ClosuresPage {
    async fn build(
        state: &AppState,
        scope: DoctorScope,
        layout: Layout,
        form: ClosureForm,
        errors: FieldErrors,
    ) -> AppResult<Self> {
        let today = state.settings.get().today();
        Ok(ClosuresPage {
            layout,
            scope,
            doctors: doctors_to_choose(state, scope).await?,
            closures: service::upcoming_closures(&state.db, scope, Date(today)).await?,
            form,
            errors,
            report: None,
            today,
        })
    }

    fn may_remove(&self, closure: &Closure) -> bool {
        self.scope.covers_maybe(closure.doctor_id)
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
    Page { state, session, layout }: Page,
) -> AppResult<ClosuresPage> {
    let form = ClosureForm {
        form_id: FormKey::mint().to_string(),
        ..ClosureForm::default()
    };
    let mut page = ClosuresPage::build(&state, user.scope(), layout, form, FieldErrors::default()).await?;
    page.report = ChangeReport::take(&session).await?;
    Ok(page)
}

pub async fn add_closure(
    user: Staff<FrontDeskAndDoctors>,
    Page { state, session, layout }: Page,
    Form(form): Form<ClosureForm>,
) -> AppResult<Response> {
    let added = match check_closure(&state, user.scope(), &form).await? {
        Ok(closure) => service::add_closure(&state.db, &user.actor_with_form(&form.form_id)?, &closure, user.id)
            .await
            .map(|()| closure),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    let closure = match added {
        Ok(closure) => closure,
        Err(ServiceError::Invalid(errors)) => {
            let page = ClosuresPage::build(&state, user.scope(), layout, form, errors).await?;
            return Ok(invalid(page));
        }
        Err(err) => return Err(err.into()),
    };
    regenerate(&state, &session, closure.doctor_id).await?;
    let what = if closure.doctor_id.is_none() {
        "Clinic closed"
    } else {
        "Leave added"
    };
    flash(&session, FlashKind::Success, format!("{what} on {}.", closure.day)).await?;
    Ok(Redirect::to("/schedule/closures").into_response())
}

/// The closure form checked: a doctor closes only their own days; others the clinic's or a named doctor's.
async fn check_closure(
    state: &AppState,
    scope: DoctorScope,
    form: &ClosureForm,
) -> AppResult<Result<sickbay_core::scheduling::model::NewClosure, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let doctor_id = match (scope.own(), form.doctor_id.trim()) {
        (Some(own), _) => Some(own),
        (None, "") => None,
        (None, text) => {
            let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
            errors.check("doctor_id", named_doctor(&doctors, text))
        }
    };
    Ok(match form.validate(doctor_id, state.settings.get().today()) {
        Ok(closure) if errors.is_empty() => Ok(closure),
        Ok(_) => Err(errors),
        Err(more) => Err(errors.merged(more)),
    })
}

pub async fn remove_closure(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let closure = service::closure(&state.db, user.scope(), id).await?;
    service::remove_closure(&state.db, &user.actor, &closure).await?;
    regenerate(&state, &session, closure.doctor_id).await?;
    flash(&session, FlashKind::Success, format!("Reopened {}.", closure.day)).await?;
    Ok(Redirect::to("/schedule/closures"))
}

// ---- the doctor's schedule ----------------------------------------------------------------------------

/// One slot of the day view with the appointments made on it.
pub struct SlotRow {
    pub slot: Slot,
    pub appointments: Vec<AppointmentView>,
}

/// The day view's slots that start in one hour of the clinic's clock.
pub struct HourRow<'a> {
    pub hour: u32,
    pub slots: Vec<&'a SlotRow>,
}

impl HourRow<'_> {
    /// `08:00`.
    pub fn label(&self) -> String {
        sickbay_core::db::types::minutes_of(i64::from(self.hour) * 60)
    }
}

/// One day of the schedule: its counts (from the database), and the slot rows (day view) or the
/// appointments counted by status (week view).
pub struct ScheduleDay {
    pub day: Date,
    pub counts: DayCounts,
    pub slots: Vec<SlotRow>,
    pub statuses: Vec<(AppointmentStatus, i64)>,
    /// The appointments that held their time (due, seen or missed), and those cancelled.
    pub appointment_count: i64,
    pub cancelled_count: i64,
    /// The week view's appointments still to happen, in time order.
    pub upcoming: Vec<AppointmentView>,
}

impl ScheduleDay {
    /// The appointments still to happen the week view lists; the rest are counted under them.
    pub const UPCOMING_SHOWN: usize = 8;

    pub fn upcoming_shown(&self) -> &[AppointmentView] {
        &self.upcoming[..self.upcoming.len().min(Self::UPCOMING_SHOWN)]
    }

    pub fn upcoming_more(&self) -> usize {
        self.upcoming.len().saturating_sub(Self::UPCOMING_SHOWN)
    }

    pub fn has_appointments(&self) -> bool {
        self.appointment_count + self.cancelled_count > 0
    }

    /// "3 appointments", and " · 1 cancelled" when one was.
    pub fn appointments_text(&self) -> String {
        let held = words::count(self.appointment_count, "appointment", "appointments");
        match self.cancelled_count {
            0 => held,
            cancelled => format!("{held} · {cancelled} cancelled"),
        }
    }

    fn count(&mut self, status: AppointmentStatus, count: i64) {
        match status {
            AppointmentStatus::Cancelled => self.cancelled_count += count,
            _ => self.appointment_count += count,
        }
    }
}

/// A doctor's days as the schedule shows them (the day view with its slots).
async fn days_of(
    state: &AppState,
    doctor_id: i64,
    (from, to): (NaiveDate, NaiveDate),
    view: ScheduleView,
) -> AppResult<Vec<ScheduleDay>> {
    let with_slots = view == ScheduleView::Day;
    let data = service::schedule(&state.db, doctor_id, Date(from), Date(to), with_slots).await?;
    Ok(schedule_days(from, to, data))
}

/// Puts the counts, slots and appointments of the days `from..=to` together, in time order.
fn schedule_days(from: NaiveDate, to: NaiveDate, data: ScheduleData) -> Vec<ScheduleDay> {
    let mut counts: HashMap<Date, DayCounts> = data.counts.into_iter().map(|c| (c.day, c)).collect();
    let mut days: Vec<ScheduleDay> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| ScheduleDay {
            day: Date(d),
            counts: counts.remove(&Date(d)).unwrap_or_else(|| DayCounts::none(Date(d))),
            slots: Vec::new(),
            statuses: Vec::new(),
            appointment_count: 0,
            cancelled_count: 0,
            upcoming: Vec::new(),
        })
        .collect();
    for a in data.upcoming {
        if let Some(day) = days.iter_mut().find(|d| d.day == a.day) {
            day.upcoming.push(a);
        }
    }
    let mut by_slot: HashMap<i64, Vec<AppointmentView>> = HashMap::new();
    for a in data.appointments {
        if let Some(day) = days.iter_mut().find(|d| d.day == a.day) {
            day.count(a.status, 1);
            by_slot.entry(a.slot_id).or_default().push(a);
        }
    }
    for count in data.statuses {
        if let Some(day) = days.iter_mut().find(|d| d.day == count.day) {
            day.count(count.status, count.count);
            day.statuses.push((count.status, count.count));
        }
    }
    for day in &mut days {
        day.statuses.sort_by_key(|(status, _)| status.position());
    }
    for slot in data.slots {
        let Some(day) = days.iter_mut().find(|d| d.day == slot.day) else {
            continue;
        };
        let appointments = by_slot.remove(&slot.id).unwrap_or_default();
        day.slots.push(SlotRow { slot, appointments });
    }
    days
}

// ---- every doctor's day at a glance (reception) --------------------------------------------------------------

/// One doctor's day on the all-doctors page: its counts and its times with their appointments.
pub struct DoctorDay {
    pub doctor: Doctor,
    pub day: ScheduleDay,
}

impl Timed for SlotRow {
    fn starts_at(&self) -> Timestamp {
        self.slot.starts_at
    }

    fn ends_at(&self) -> Timestamp {
        self.slot.ends_at
    }
}

/// Every active doctor's day side by side as one calendar, for reception answering "who is free, when?": a row
/// per time, a column per doctor with hours that day, each time showing who holds it or leading to booking a
/// patient into it.
#[derive(Template, WebTemplate)]
#[template(path = "scheduling/all_doctors.html")]
pub struct AllDoctorsPage {
    layout: Layout,
    day: Date,
    today: Date,
    previous: Date,
    next: Date,
    /// The times reception may still book, as of the page's reading.
    now: Timestamp,
    /// The doctors with hours that day, the calendar's columns.
    doctors: Vec<DoctorDay>,
    /// The doctors who see walk-ins only that day.
    walk_ins_only: Vec<Doctor>,
}

impl AllDoctorsPage {
    fn day_link(&self, day: &Date) -> String {
        format!("/schedule/all?day={day}")
    }

    fn doctor_link(&self, doctor: &Doctor) -> String {
        format!("/schedule?doctor={}&day={}", doctor.id, self.day)
    }

    fn grid(&self) -> DayGrid<'_, SlotRow> {
        let columns: Vec<&[SlotRow]> = self.doctors.iter().map(|d| d.day.slots.as_slice()).collect();
        DayGrid::of(&columns)
    }

    fn bookable(&self, slot: &Slot) -> bool {
        closed_to_booking(slot, self.now).is_none()
    }

    /// A row starting an hour, ruled heavier so the eye finds 10:00.
    fn on_the_hour(&self, at: &Timestamp) -> bool {
        at.to_utc().with_timezone(&self.layout.zone).minute() == 0
    }

    /// What a calendar cell shows at a glance: a time someone holds, a blocked one, one still open, or one gone.
    fn cell_kind(&self, rows: &[&SlotRow]) -> &'static str {
        let held = rows
            .iter()
            .any(|r| r.appointments.iter().any(AppointmentView::held_the_time));
        if held {
            "cal-held"
        } else if rows.iter().all(|r| r.slot.blocked) {
            "cal-blocked"
        } else if rows.iter().any(|r| self.bookable(&r.slot)) {
            "cal-open"
        } else {
            "cal-gone"
        }
    }

    fn is_today(&self) -> bool {
        self.day == self.today
    }
}

pub async fn all_doctors(
    _user: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<ScheduleQuery>,
) -> AppResult<AllDoctorsPage> {
    let day = match query.day.trim() {
        "" => state.settings.get().today(),
        text => Date::parse(text).map_err(|err| AppError::BadRequest(err.0))?.0,
    };
    let mut doctors = Vec::new();
    let mut walk_ins_only = Vec::new();
    for doctor in sickbay_core::staff::service::active_doctors(&state.db).await? {
        match days_of(&state, doctor.id, (day, day), ScheduleView::Day).await?.pop() {
            Some(schedule) if !schedule.slots.is_empty() => doctors.push(DoctorDay { doctor, day: schedule }),
            _ => walk_ins_only.push(doctor),
        }
    }
    let (previous, next) = ScheduleView::Day.step(day);
    Ok(AllDoctorsPage {
        layout,
        day: Date(day),
        today: Date(state.settings.get().today()),
        previous: Date(previous),
        next: Date(next),
        now: Timestamp::now(),
        doctors,
        walk_ins_only,
    })
}

/// A message beside one of the forms of the schedule (`block-7`, `cancel-12`, `correct-12`) and the reason
/// that was typed.
#[derive(Clone, Debug, Default)]
pub struct Problem {
    pub target: String,
    pub message: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/day.html")]
pub struct SchedulePage {
    layout: Layout,
    scope: DoctorScope,
    may_correct: bool,
    /// The times reception may still book from here, as of the page's reading.
    now: Timestamp,
    doctors: Vec<Doctor>,
    doctor: Option<Doctor>,
    view: ScheduleView,
    day: Date,
    previous: Date,
    next: Date,
    /// The clinic's today, for the toolbar's "Today".
    today: Date,
    days: Vec<ScheduleDay>,
    report: Option<ChangeReport>,
    problem: Problem,
}

impl SchedulePage {
    fn is_doctor(&self, id: &i64) -> bool {
        self.doctor.as_ref().is_some_and(|d| d.id == *id)
    }

    fn link(&self, day: &Date, view: &str) -> String {
        let rest = format!("day={day}&view={view}");
        match &self.doctor {
            Some(doctor) => with_doctor(self.scope, "/schedule", doctor.id, &rest),
            None => format!("/schedule?{rest}"),
        }
    }

    /// The first day shown (the Monday of a week).
    fn first_day(&self) -> Date {
        self.days.first().map_or(self.day, |d| d.day)
    }

    fn is_week(&self) -> bool {
        self.view == ScheduleView::Week
    }

    /// Whether `day` is on the page (the day shown, or a day of the week shown).
    fn shows(&self, day: &Date) -> bool {
        let (from, to) = self.view.days(self.day.0);
        (from..=to).contains(&day.0)
    }

    /// Whether this user may book a patient into the slot from here: reception, a time still open.
    fn may_book(&self, slot: &Slot) -> bool {
        self.may_correct && closed_to_booking(slot, self.now).is_none()
    }

    /// The day's slots by the clinic's hour they start in, morning first: the day view's rows.
    fn hours<'a>(&self, day: &'a ScheduleDay) -> Vec<HourRow<'a>> {
        let mut hours: Vec<HourRow<'a>> = Vec::new();
        for row in &day.slots {
            let hour = self.local_time(row.slot.starts_at).hour();
            match hours.last_mut() {
                Some(last) if last.hour == hour => last.slots.push(row),
                _ => hours.push(HourRow { hour, slots: vec![row] }),
            }
        }
        hours
    }

    fn local_time(&self, at: Timestamp) -> chrono::NaiveTime {
        at.to_utc().with_timezone(&self.layout.zone).time()
    }

    /// A row's classes: its place on its hour's row, blocked, and over or under way (a time to come has none).
    fn row_class(&self, slot: &Slot) -> String {
        let minutes = (slot.ends_at.0 - slot.starts_at.0) / 60_000;
        let place = HourPlace::of(self.local_time(slot.starts_at), minutes).class();
        let when = SlotTime::of(slot.starts_at, slot.ends_at, self.now).class();
        let blocked = if slot.blocked { "slot-blocked" } else { "" };
        [place.as_str(), blocked, when]
            .iter()
            .filter(|c| !c.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// "1/3": the places taken of a time that has several; a time for one patient says it by who holds it.
    fn seats(&self, slot: &Slot) -> Option<String> {
        (slot.capacity > 1).then(|| format!("{}/{}", slot.booked, slot.capacity))
    }

    fn is_now(&self, slot: &Slot) -> bool {
        SlotTime::of(slot.starts_at, slot.ends_at, self.now) == SlotTime::Now
    }

    /// Where to block a stretch of the day shown: a doctor's day, today or later.
    fn stretch_link(&self) -> Option<String> {
        let doctor = self
            .doctor
            .as_ref()
            .filter(|_| !self.is_week() && self.day >= self.today)?;
        Some(with_doctor(
            self.scope,
            "/schedule/block",
            doctor.id,
            &format!("day={}", self.day),
        ))
    }

    /// The message of the correction form of this appointment, if it failed.
    fn correct_problem(&self, id: &i64) -> Option<&str> {
        (self.problem.target == format!("correct-{id}")).then_some(self.problem.message.as_str())
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
    (user, scope): (&StaffUser, DoctorScope),
    layout: Layout,
    Shown { doctor, day, view }: Shown,
    problem: Problem,
) -> AppResult<SchedulePage> {
    let (from, to) = view.days(day);
    let days = match &doctor {
        Some(d) => days_of(state, d.id, (from, to), view).await?,
        None => schedule_days(from, to, ScheduleData::default()),
    };
    let (previous, next) = view.step(day);
    Ok(SchedulePage {
        layout,
        scope,
        may_correct: user.holds_any(FrontDesk::ROLES),
        now: Timestamp::now(),
        doctors: doctors_to_choose(state, scope).await?,
        doctor,
        view,
        day: Date(day),
        previous: Date(previous),
        next: Date(next),
        today: state.today(),
        days,
        report: None,
        problem,
    })
}

pub async fn schedule(
    user: Staff<FrontDeskAndDoctors>,
    Page { state, session, layout }: Page,
    Query(query): Query<ScheduleQuery>,
) -> AppResult<SchedulePage> {
    let day = match query.day.trim() {
        "" => state.settings.get().today(),
        text => Date::parse(text).map_err(|err| AppError::BadRequest(err.0))?.0,
    };
    let view = ScheduleView::parse(Some(query.view.as_str()));
    let doctor = match query.doctor.trim().is_empty() && user.scope().own().is_none() {
        true => first_at_work(&state, view.days(day)).await?,
        false => chosen_doctor(&state, &user, user.scope(), &query.doctor).await?,
    };
    let shown = Shown { doctor, day, view };
    let mut page = schedule_page(&state, (&user, user.scope()), layout, shown, Problem::default()).await?;
    page.report = ChangeReport::take(&session).await?;
    Ok(page)
}

/// The schedule page of a slot's day again, with a message beside the form that failed.
async fn schedule_again(
    state: &AppState,
    (user, scope): (&StaffUser, DoctorScope),
    layout: Layout,
    (doctor_id, day): (i64, Date),
    problem: Problem,
) -> AppResult<Response> {
    let doctor = chosen_doctor(state, user, scope, &doctor_id.to_string())
        .await
        .unwrap_or(None)
        .or(Some(Doctor {
            id: doctor_id,
            full_name: String::new(),
        }));
    let shown = Shown {
        doctor,
        day: day.0,
        view: ScheduleView::Day,
    };
    Ok(invalid(
        schedule_page(state, (user, scope), layout, shown, problem).await?,
    ))
}

/// An appointment's place: its row on its doctor's day (the audit log links here). One outside this user's
/// scope is not found.
pub async fn appointment(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    State(state): State<AppState>,
) -> AppResult<Redirect> {
    let appointment = service::appointment(&state.db, user.scope(), id).await?;
    let day = day_path(user.scope(), appointment.doctor_id, appointment.day);
    Ok(Redirect::to(&format!("{day}#a{id}")))
}

pub(super) fn day_path(scope: DoctorScope, doctor_id: i64, day: Date) -> String {
    with_doctor(scope, "/schedule", doctor_id, &format!("day={day}"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

pub async fn block_slot(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let slot = service::slot(&state.db, user.scope(), id).await?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(err) => return ask::block_again(&state, (&slot, user.scope()), (hx, layout), (form.reason, err.0)),
    };
    let live = service::set_blocked(&state.db, &user.actor, user.scope(), id, true, &reason).await?;
    // A time blocked with nobody on it is said by its message alone; one with bookings lists them to contact.
    if !live.is_empty() {
        ChangeReport::new(None, &live).keep(&session).await?;
    }
    let when = datetime_of(slot.starts_at, state.settings.get().clinic.time_zone);
    let message = if live.is_empty() {
        format!("Slot {when} blocked.")
    } else {
        format!("Slot {when} blocked. Its appointments were kept: contact the patients listed below.")
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(redirect(hx, &day_path(user.scope(), slot.doctor_id, slot.day)))
}

/// Whose day a stretch is blocked on: a doctor this user works for, and a day.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StretchQuery {
    doctor: String,
    day: String,
}

impl StretchQuery {
    pub(super) async fn resolve(
        &self,
        state: &AppState,
        user: &Staff<FrontDeskAndDoctors>,
    ) -> AppResult<(Doctor, Date)> {
        let day = Date::parse(self.day.trim()).map_err(|err| AppError::BadRequest(err.0))?;
        let doctor = chosen_doctor(state, user, user.scope(), &self.doctor).await?;
        Ok((doctor.ok_or(AppError::NotFound)?, day))
    }
}

pub async fn block_stretch(
    user: Staff<FrontDeskAndDoctors>,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Query(query): Query<StretchQuery>,
    Form(form): Form<StretchForm>,
) -> AppResult<Response> {
    let (doctor, day) = query.resolve(&state, &user).await?;
    let zone = state.settings.get().clinic.time_zone;
    let refused = |form: StretchForm, errors: FieldErrors, layout: Layout| {
        let (title, task) = ask::StretchTask::new(&doctor, day, user.scope(), layout.csrf_token.clone());
        task.refused(form, errors).shown(&title, hx, layout)
    };
    let stretch = match form.validate(day.0, zone) {
        Ok(stretch) => stretch,
        Err(errors) => return refused(form, errors, layout),
    };
    let actor = user.actor_with_form(&form.form_id)?;
    let blocked = match service::block_stretch(&state.db, &actor, user.scope(), doctor.id, &stretch).await {
        Ok(blocked) => blocked,
        Err(ServiceError::Refused(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("stretch", message);
            return refused(form, errors, layout);
        }
        Err(err) => return Err(err.into()),
    };
    // The same form sent twice: the first one's report and message stand.
    if let Some(blocked) = blocked {
        report_stretch(&session, (&stretch, zone), blocked).await?;
    }
    Ok(redirect(hx, &day_path(user.scope(), doctor.id, day)))
}

/// The message of a blocked stretch, and the appointments it kept to contact.
async fn report_stretch(session: &Session, (stretch, zone): (&Stretch, Tz), blocked: StretchBlocked) -> AppResult<()> {
    if !blocked.kept.is_empty() {
        ChangeReport::new(None, &blocked.kept).keep(session).await?;
    }
    let times = match blocked.times {
        1 => "1 time".to_owned(),
        n => format!("{n} times"),
    };
    let (from, until) = (
        filters::clock_of(stretch.from, zone),
        filters::clock_of(stretch.until, zone),
    );
    let kept = match blocked.kept.is_empty() {
        true => "",
        false => " Their appointments were kept: contact the patients listed below.",
    };
    let message = format!("Blocked {times} from {from} to {until}.{kept}");
    flash(session, FlashKind::Success, message).await?;
    Ok(())
}

pub async fn unblock_slot(
    user: Staff<FrontDeskAndDoctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let slot = service::slot(&state.db, user.scope(), id).await?;
    service::set_blocked(&state.db, &user.actor, user.scope(), id, false, "").await?;
    let when = datetime_of(slot.starts_at, state.settings.get().clinic.time_zone);
    flash(&session, FlashKind::Success, format!("Slot {when} open again.")).await?;
    Ok(Redirect::to(&day_path(user.scope(), slot.doctor_id, slot.day)))
}

// ---- staff changing appointments ----------------------------------------------------------------------

pub async fn cancel(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<ReasonForm>,
) -> AppResult<Response> {
    let appointment = service::appointment(&state.db, user.scope(), id).await?;
    let reason = match parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(err) => {
            let asked = (&appointment, user.scope());
            return ask::cancel_again(&state, asked, (hx, layout), (form.reason, err.0));
        }
    };
    let settings = state.settings.get();
    let by = service::Canceller::Staff {
        scope: user.scope(),
        reason: &reason,
    };
    service::cancel(&state.db, &user.actor, &settings.booking_rules(), id, by).await?;
    let (name, number) = (&appointment.patient_name, &appointment.clinic_number);
    let when = datetime_of(appointment.starts_at, settings.clinic.time_zone);
    let message = format!("Cancelled the appointment of {name} ({number}) at {when}.");
    flash(&session, FlashKind::Success, message).await?;
    Ok(redirect(
        hx,
        &day_path(user.scope(), appointment.doctor_id, appointment.day),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CorrectForm {
    to: String,
    reason: String,
}

impl CorrectForm {
    /// The status asked for (one a correction can lead to) and the reason, or the problem to show.
    fn check(&self, id: i64) -> Result<(AppointmentStatus, String), Problem> {
        let problem = |message: String| Problem {
            target: format!("correct-{id}"),
            message,
            reason: self.reason.clone(),
        };
        let to = self
            .to
            .parse::<AppointmentStatus>()
            .ok()
            .filter(|s| CORRECTED_TO.contains(s));
        let to = to.ok_or_else(|| problem("Choose booked or checked in.".to_owned()))?;
        let reason = parse_reason(&self.reason).map_err(|err| problem(err.0))?;
        Ok((to, reason))
    }
}

pub async fn correct(
    user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<CorrectForm>,
) -> AppResult<Response> {
    let appointment = service::appointment(&state.db, user.scope(), id).await?;
    let (to, reason) = match form.check(id) {
        Ok(checked) => checked,
        Err(problem) => {
            let shown_again = (appointment.doctor_id, appointment.day);
            return schedule_again(&state, (&user, user.scope()), layout, shown_again, problem).await;
        }
    };
    service::correct_status(&state.db, &user.actor, user.scope(), id, to, &reason).await?;
    let status = to.label().to_lowercase();
    let message = format!("The appointment of {} is now {status}.", appointment.patient_name);
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&day_path(user.scope(), appointment.doctor_id, appointment.day)).into_response())
}
