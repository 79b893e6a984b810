//! Reception (and the admin) booking for a patient: the same picker, the same rules, which they may set
//! aside by giving a reason that goes into the audit log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::picker::{self, PickerQuery};
use super::portal::{BookForm, BookPage, booked_time, message, picker_response, status_again};
use crate::state::AppState;
use crate::web::extract::{FrontDesk, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query};
use crate::web::htmx::HxRequest;
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::task::task;
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::db::Timestamp;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{Actor, DoctorScope};
use sickbay_core::patients::model::{Patient, PatientSummary};
use sickbay_core::scheduling::model::Refusal;
use sickbay_core::scheduling::repo::Slot;
use sickbay_core::scheduling::service::{self, Booker, BookingError};
use sickbay_core::validation::parse_id;

async fn page_for(
    state: &AppState,
    layout: Layout,
    patient_id: i64,
    query: &PickerQuery,
    error: Option<String>,
    reason: String,
) -> AppResult<BookPage> {
    let patient = sickbay_core::patients::service::get(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = state.settings.get();
    let picker = picker::load(state, &settings, query, picker::Offer::Staff, Some(patient_id)).await?;
    // Staff book whether or not the patient is approved; the other rules they may override with a reason.
    let barrier = picker::barrier(&state.db, &settings.booking_rules(), patient_id, true, &picker).await?;
    Ok(BookPage {
        layout,
        picker,
        action: format!("/patients/{patient_id}/appointments"),
        base: format!("/patients/{patient_id}/book"),
        for_patient: Some(format!("{} ({})", patient.full_name(), patient.clinic_number)),
        reschedule: None,
        moving: None,
        error,
        notice: barrier.map(|b| with_override_hint(&b.refusal)),
        can_submit: true,
        reason,
        form_id: FormKey::mint(),
        back_to_schedule: query.back_to_schedule(),
    })
}

pub async fn book_form(
    _user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<PickerQuery>,
) -> AppResult<Response> {
    let page = page_for(&state, layout, id, &query, None, String::new()).await?;
    picker_response(page, hx, StatusCode::OK)
}

pub async fn book(
    user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<BookForm>,
) -> AppResult<Response> {
    let override_reason = form.override_reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let actor = user.actor_with_form(&form.form_id)?;
    let err = match book_for(&state, &actor, user.id, id, &form, &override_reason).await {
        Ok(appointment) => {
            let (patient, when) = booked_time(&state, appointment).await?;
            flash(&session, FlashKind::Success, format!("Booked {patient}: {when}.")).await?;
            return Ok(Redirect::to(&after_booking(id, &form)).into_response());
        }
        Err(err) => err,
    };
    let Some(status) = status_again(&err) else {
        return Err(err.into());
    };
    let message = match &err {
        BookingError::Refused(refusal) if override_reason.is_empty() => with_override_hint(refusal),
        BookingError::Refused(refusal) => refusal.to_staff(),
        other => message(other),
    };
    let page = page_for(&state, layout, id, &form.query(), Some(message), form.reason.clone()).await?;
    Ok((status, page).into_response())
}

/// Where reception lands once the patient is booked: back on the doctor's day when they began from a time on
/// it, else on the patient's record.
fn after_booking(patient_id: i64, form: &BookForm) -> String {
    let day = sickbay_core::db::Date::parse(form.day.trim()).ok();
    match (form.query().back_to_schedule(), parse_id(&form.doctor), day) {
        (true, Some(doctor), Some(day)) => format!("/schedule?doctor={doctor}&day={day}"),
        _ => format!("/patients/{patient_id}"),
    }
}

/// Books for the patient, the rules set aside when reception gives a reason.
async fn book_for(
    state: &AppState,
    actor: &Actor,
    staff_id: i64,
    patient_id: i64,
    form: &BookForm,
    override_reason: &str,
) -> Result<i64, BookingError> {
    let (slot_id, reason) = (form.chosen_slot()?, form.reason()?);
    if override_reason.chars().count() > 300 {
        let message = "Keep the override reason to 300 characters.";
        return Err(ServiceError::field("override_reason", message).into());
    }
    let booker = Booker::Staff {
        staff_id,
        override_reason: (!override_reason.is_empty()).then_some(override_reason),
    };
    let rules = state.settings.get().booking_rules();
    let booked = service::book(&state.db, actor, &rules, patient_id, slot_id, &reason, booker).await?;
    Ok(booked)
}

/// A refusal as reception reads it, with the way round it.
fn with_override_hint(refusal: &Refusal) -> String {
    format!(
        "{} To book anyway, give a reason to override the rules.",
        refusal.to_staff()
    )
}

// ---- booking from the schedule: a time first, then the patient, then the booking -------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    q: String,
    /// The patient chosen from those found.
    #[serde(default)]
    patient: String,
}

/// The patient chosen for the time: who they are, and what the rules say before reception books.
pub struct Chosen {
    patient: Patient,
    /// Why the rules would refuse this patient, with the way round it.
    barrier: Option<String>,
}

/// A time chosen on the schedule (a `web::task`, the schedule's dialog or a page): find the patient, choose
/// them, give the reason for the visit and book, the rules and their override as for any booking.
#[derive(Template)]
#[template(path = "scheduling/_slot_book.html")]
pub struct SlotBook {
    csrf_token: String,
    zone: chrono_tz::Tz,
    slot: Slot,
    /// Why the time can no longer be booked, if it can't.
    closed: Option<&'static str>,
    /// Set when the time is sooner than the clinic's booking notice: booking it then needs a reason.
    sooner_than_notice: Option<String>,
    typed: String,
    found: Vec<PatientSummary>,
    chosen: Option<Chosen>,
    form_id: FormKey,
}

impl SlotBook {
    fn base(&self) -> String {
        format!("/schedule/slots/{}/book", self.slot.id)
    }

    fn schedule_link(&self) -> String {
        format!(
            "/schedule?doctor={}&day={}#s{}",
            self.slot.doctor_id, self.slot.day, self.slot.id
        )
    }

    fn choose_link(&self, patient: &PatientSummary) -> String {
        format!("{}?patient={}", self.base(), patient.id)
    }

    fn seats_free(&self) -> i64 {
        (self.slot.capacity - self.slot.booked).max(0)
    }

    /// Whether booking this patient at this time sets a rule aside, so the form asks why.
    fn needs_override(&self) -> bool {
        self.sooner_than_notice.is_some() || self.chosen.as_ref().is_some_and(|c| c.barrier.is_some())
    }
}

pub async fn slot_book(
    _user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<FindQuery>,
) -> AppResult<Response> {
    let slot = service::slot(&state.db, DoctorScope::Any, id).await?;
    let doctors = sickbay_core::staff::service::active_doctors(&state.db).await?;
    let doctor_name = doctors
        .into_iter()
        .find(|d| d.id == slot.doctor_id)
        .map(|d| d.full_name)
        .ok_or(AppError::NotFound)?;
    let typed = query.q.trim().to_owned();
    let found = match typed.is_empty() {
        true => Vec::new(),
        false => active_only(sickbay_core::patients::service::find(&state.db, &typed).await?),
    };
    let settings = state.settings.get();
    let rules = settings.booking_rules();
    let chosen = match parse_id(&query.patient) {
        Some(patient_id) => Some(chosen(&state, &rules, patient_id, slot.day).await?),
        None => None,
    };
    let now = Timestamp::now();
    let sooner_than_notice =
        (rules.window(now).admits(slot.starts_at) == Err(Refusal::TooSoon)).then(|| rules.notice_text());
    let title = format!(
        "Book {} with {doctor_name}",
        filters::clock_of(slot.starts_at, settings.clinic.time_zone)
    );
    let body = SlotBook {
        csrf_token: layout.csrf_token.clone(),
        zone: settings.clinic.time_zone,
        closed: sickbay_core::scheduling::model::closed_to_booking(&slot, now),
        sooner_than_notice,
        slot,
        typed,
        found,
        chosen,
        form_id: FormKey::mint(),
    }
    .render()?;
    task(hx, layout, &title, &body)
}

fn active_only(found: Vec<PatientSummary>) -> Vec<PatientSummary> {
    found.into_iter().filter(|p| p.active).collect()
}

/// The patient chosen (an active one), and what the rules say of their booking on `day`.
async fn chosen(
    state: &AppState,
    rules: &sickbay_core::scheduling::model::BookingRules,
    patient_id: i64,
    day: sickbay_core::db::Date,
) -> AppResult<Chosen> {
    let patient = sickbay_core::patients::service::get(&state.db, patient_id)
        .await?
        .filter(|p| p.active)
        .ok_or(AppError::NotFound)?;
    let barrier = picker::barrier_on(&state.db, rules, patient_id, true, day).await?;
    Ok(Chosen {
        patient,
        barrier: barrier.map(|b| with_override_hint(&b.refusal)),
    })
}
