//! The patient's booking pages (phone first): choose a day and a slot, book, see and cancel or move bookings,
//! join a full day's waitlist.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::picker::{self, PickerQuery, SlotPicker};
use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::PortalUser;
use crate::web::filters::{self, clock_of, datetime_of};
use crate::web::form::{Form, Query};
use crate::web::htmx::HxRequest;
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::error::{ServiceError, ServiceResult};
use sickbay_core::identity::{Actor, DoctorScope};
use sickbay_core::scheduling::model::{
    Action, AppointmentStatus, AppointmentView, BookingRules, Refusal, WaitlistAction, WaitlistEntry,
};
use sickbay_core::scheduling::service::{self, Booker, BookingError, Canceller};
use sickbay_core::validation::parse_id;

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/book.html", blocks = ["picker"])]
pub struct BookPage {
    pub layout: Layout,
    pub picker: SlotPicker,
    /// Where the chosen slot is posted.
    pub action: String,
    /// The page itself, for the day and doctor links.
    pub base: String,
    /// Reception booking for a patient: their name, and the override field.
    pub for_patient: Option<String>,
    pub reschedule: Option<i64>,
    /// The booking being moved, in words ("Tue 1 Dec, 08:00 with Dr Ada Obi").
    pub moving: Option<String>,
    pub error: Option<String>,
    /// Said before choosing: why this patient can't book (yet), or not on this day.
    pub notice: Option<String>,
    /// False when no slot can be booked at all (the patient is told why in `notice`).
    pub can_submit: bool,
    pub reason: String,
    /// The slot form's one-time id (`db::form_ids`): a double tap on "Book" books once.
    pub form_id: FormKey,
    /// Reception began from a time on the schedule: the form says so, to go back there once booked.
    pub back_to_schedule: bool,
}

impl BookPage {
    /// The picker on the day shown with one doctor chosen: all of their open times.
    pub fn doctor_day_url(&self, doctor_id: &i64) -> String {
        let url = format!("{}?day={}&doctor={doctor_id}", self.base, self.picker.date);
        match self.reschedule {
            Some(id) => format!("{url}&reschedule={id}"),
            None => url,
        }
    }
}

/// Renders the picker page or, for htmx, the picker alone (days and slots).
pub fn picker_response(page: BookPage, hx: HxRequest, status: StatusCode) -> AppResult<Response> {
    if hx.0 && page.error.is_none() {
        return Ok((status, Html(page.as_picker().render()?)).into_response());
    }
    Ok((status, page).into_response())
}

pub async fn book_form(
    user: PortalUser,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<PickerQuery>,
) -> AppResult<Response> {
    let page = my_book_page(&state, layout, &query, &user, None, String::new()).await?;
    picker_response(page, hx, StatusCode::OK)
}

async fn my_book_page(
    state: &AppState,
    layout: Layout,
    query: &PickerQuery,
    user: &PortalUser,
    error: Option<String>,
    reason: String,
) -> AppResult<BookPage> {
    let reschedule = query.reschedule();
    let settings = state.settings.get();
    let moving = match reschedule {
        Some(id) => Some(service::own_booking(&state.db, user.id, id).await?),
        None => None,
    };
    // A booking is moved with its own doctor unless the patient chose another (or "Any doctor").
    let query = match &moving {
        Some(booking) if query.doctor.is_none() => &query.with_doctor(booking.doctor_id),
        _ => query,
    };
    let new_booking = reschedule.is_none().then_some(user.id);
    let picker = picker::load(state, &settings, query, picker::Offer::Patient, new_booking).await?;
    let zone = settings.clinic.time_zone;
    let moving = moving.map(|a| format!("{} with {}", datetime_of(a.starts_at, zone), a.doctor_name));
    let action = match reschedule {
        Some(id) => format!("/me/appointments/{id}/reschedule"),
        None => "/me/appointments".to_owned(),
    };
    // Moving a booking keeps the count and may stay on its day: only a new booking meets these rules.
    let barrier = match reschedule {
        Some(_) => None,
        None => picker::barrier(&state.db, &settings.booking_rules(), user.id, user.approved, &picker).await?,
    };
    let notice = barrier.as_ref().map(|b| b.refusal.to_string());
    Ok(BookPage {
        layout,
        picker,
        action,
        base: "/me/book".into(),
        for_patient: None,
        reschedule,
        moving,
        notice: notice.filter(|n| Some(n) != error.as_ref()),
        error,
        can_submit: !barrier.is_some_and(|b| b.blocks_all),
        reason,
        form_id: FormKey::mint(),
        back_to_schedule: false,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    pub slot_id: String,
    #[serde(default)]
    pub reason: String,
    /// Reception only: why the booking rules are set aside.
    #[serde(default)]
    pub override_reason: String,
    /// The day and doctor the form was on, to show it again after a refusal.
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub doctor: String,
    #[serde(default)]
    pub form_id: String,
    /// Where reception goes once booked (`picker::BACK_TO_SCHEDULE`, or the patient's record).
    #[serde(default)]
    pub then: String,
}

impl BookForm {
    pub fn slot(&self) -> Option<i64> {
        parse_id(&self.slot_id)
    }

    /// The slot chosen, or a message that one must be.
    pub fn chosen_slot(&self) -> ServiceResult<i64> {
        self.slot()
            .ok_or_else(|| ServiceError::field("slot_id", "Choose a time first."))
    }

    pub fn reason(&self) -> ServiceResult<String> {
        let reason = self.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.chars().count() > 300 {
            Err(ServiceError::field("reason", "Keep the reason to 300 characters."))
        } else {
            Ok(reason)
        }
    }

    pub fn query(&self) -> PickerQuery {
        PickerQuery {
            day: Some(self.day.clone()),
            doctor: Some(self.doctor.clone()),
            reschedule: None,
            slot: Some(self.slot_id.clone()),
            then: Some(self.then.clone()),
        }
    }
}

/// The status the booking page is shown again with after a failed booking: a slot that filled up or was taken
/// is a conflict, a broken rule or a bad form is input the clinic won't accept. `None` for what the page can't
/// help with (not found, internal errors): those answer on their own.
pub fn status_again(err: &BookingError) -> Option<StatusCode> {
    match err {
        BookingError::Refused(Refusal::Full | Refusal::AlreadyBooked | Refusal::Unavailable)
        | BookingError::Service(ServiceError::Conflict(_) | ServiceError::Stale) => Some(StatusCode::CONFLICT),
        BookingError::Refused(_) | BookingError::Service(ServiceError::Invalid(_) | ServiceError::Refused(_)) => {
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        }
        BookingError::Service(ServiceError::NotFound | ServiceError::Forbidden | ServiceError::Internal(_)) => None,
    }
}

/// What the booking page says about a failed booking, in the patient's words.
pub fn message(err: &BookingError) -> String {
    match err {
        BookingError::Service(ServiceError::Invalid(errors)) => errors.messages().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

pub async fn book(
    user: PortalUser,
    Page { state, session, layout }: Page,
    Form(form): Form<BookForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let err = match book_mine(&state, &actor, user.id, &form).await {
        Ok(id) => {
            flash(&session, FlashKind::Success, booked_message(&state, id).await?).await?;
            return Ok(Redirect::to("/me/appointments").into_response());
        }
        Err(err) => err,
    };
    let Some(status) = status_again(&err) else {
        return Err(err.into());
    };
    let page = my_book_page(
        &state,
        layout,
        &form.query(),
        &user,
        Some(message(&err)),
        form.reason.clone(),
    )
    .await?;
    Ok((status, page).into_response())
}

async fn book_mine(state: &AppState, actor: &Actor, patient_id: i64, form: &BookForm) -> Result<i64, BookingError> {
    let (slot_id, reason) = (form.chosen_slot()?, form.reason()?);
    let rules = state.settings.get().booking_rules();
    let booked = service::book(&state.db, actor, &rules, patient_id, slot_id, &reason, Booker::Patient).await?;
    Ok(booked)
}

pub async fn booked_message(state: &AppState, id: i64) -> AppResult<String> {
    Ok(format!("Booked: {}.", booked_time(state, id).await?.1))
}

/// The patient of a booking, and its time and doctor in words ("Mon 30 Nov, 09:00 with Dr Ada Obi").
pub async fn booked_time(state: &AppState, id: i64) -> AppResult<(String, String)> {
    let zone = state.settings.get().clinic.time_zone;
    let appointment = service::appointment(&state.db, DoctorScope::Any, id).await?;
    let when = format!(
        "{} with {}",
        datetime_of(appointment.starts_at, zone),
        appointment.doctor_name
    );
    Ok((appointment.patient_name, when))
}

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/mine.html")]
pub struct MinePage {
    layout: Layout,
    upcoming: Vec<AppointmentView>,
    /// Cancelled bookings of days still to come.
    cancelled: Vec<AppointmentView>,
    past: Vec<AppointmentView>,
    waitlist: Vec<WaitlistEntry>,
    zone: chrono_tz::Tz,
    rules: BookingRules,
    now: Timestamp,
}

impl MinePage {
    /// Whether the patient may still cancel or move it online (before the cutoff).
    fn can_change(&self, a: &AppointmentView) -> bool {
        a.patient_may_change(&self.rules, self.now)
    }

    /// Why a booking that hasn't started can no longer be moved or cancelled here, and what to do instead.
    fn change_closed(&self, a: &AppointmentView) -> Option<String> {
        (a.can(Action::Cancel) && !self.can_change(a)).then(|| self.rules.change_closed_text())
    }

    fn cancel_confirmation(&self, a: &AppointmentView) -> Confirmation {
        cancel_confirmation(a, self.zone)
    }

    /// What became of a booking no longer coming up: its status, or where the patient moved it ("Moved to
    /// Thu 3 Dec, 10:00", with the doctor when another).
    fn outcome(&self, a: &AppointmentView) -> String {
        let mut all = self.upcoming.iter().chain(&self.cancelled).chain(&self.past);
        let Some(to) = a.moved_to.and_then(|id| all.find(|b| b.id == id)) else {
            return a.status_label().to_owned();
        };
        let local_day = |at: Timestamp| at.to_utc().with_timezone(&self.zone).date_naive();
        let when = if local_day(to.starts_at) == local_day(a.starts_at) {
            clock_of(to.starts_at, self.zone)
        } else {
            datetime_of(to.starts_at, self.zone)
        };
        if to.doctor_id == a.doctor_id {
            format!("Moved to {when}")
        } else {
            format!("Moved to {when} with {}", to.doctor_name)
        }
    }

    fn cancelled_heading(&self) -> &'static str {
        if self.cancelled.iter().any(|a| a.moved_to.is_some()) {
            "Cancelled or moved"
        } else {
            "Cancelled"
        }
    }
}

/// What a patient is asked before cancelling a booking.
fn cancel_confirmation(a: &AppointmentView, zone: chrono_tz::Tz) -> Confirmation {
    let time = clock_of(a.starts_at, zone);
    Confirmation {
        action: format!("/me/appointments/{}/cancel", a.id),
        question: format!("Cancel your {time} appointment?"),
        detail: format!(
            "{} with {}. Your place goes to someone else; to come, you would book again.",
            datetime_of(a.starts_at, zone),
            a.doctor_name
        ),
        button: format!("Cancel the {time} appointment"),
    }
}

/// The confirmation page of a cancellation, for browsers without JavaScript.
pub async fn confirm_cancel(
    user: PortalUser,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<ConfirmPage> {
    let appointment = service::own_booking(&state.db, user.id, id).await?;
    let confirmation = cancel_confirmation(&appointment, state.settings.get().clinic.time_zone);
    Ok(ConfirmPage::new(layout, confirmation, "/me/appointments"))
}

pub async fn mine(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<MinePage> {
    let settings = state.settings.get();
    let now = Timestamp::now();
    let (upcoming, others): (Vec<_>, Vec<_>) = service::appointments_of_patient(&state.db, user.id)
        .await?
        .into_iter()
        .partition(|a| a.status.is_live() && a.ends_at > now);
    // A booking cancelled for a day still to come is not "earlier".
    let (cancelled, past): (Vec<_>, Vec<_>) = others
        .into_iter()
        .partition(|a| a.status == AppointmentStatus::Cancelled && a.starts_at > now);
    let (mut upcoming, mut cancelled) = (upcoming, cancelled);
    upcoming.reverse();
    cancelled.reverse();
    Ok(MinePage {
        layout,
        upcoming,
        cancelled,
        past,
        waitlist: service::waitlist_of(&state.db, user.id, Date(settings.today())).await?,
        zone: settings.clinic.time_zone,
        rules: settings.booking_rules(),
        now,
    })
}

pub async fn cancel(
    user: PortalUser,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let rules = state.settings.get().booking_rules();
    service::cancel(&state.db, &user.actor, &rules, id, Canceller::Patient(user.id)).await?;
    flash(&session, FlashKind::Success, "Your appointment is cancelled.").await?;
    Ok(Redirect::to("/me/appointments"))
}

pub async fn reschedule(
    user: PortalUser,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<BookForm>,
) -> AppResult<Response> {
    let Some(slot_id) = form.slot() else {
        return Err(AppError::BadRequest("Choose the new time.".into()));
    };
    let rules = state.settings.get().booking_rules();
    let actor = user.actor_with_form(&form.form_id)?;
    let err = match service::reschedule(&state.db, &actor, &rules, user.id, id, slot_id).await {
        Ok(new_id) => {
            let message = format!("Moved. {}", booked_message(&state, new_id).await?);
            flash(&session, FlashKind::Success, message).await?;
            return Ok(Redirect::to("/me/appointments").into_response());
        }
        Err(err) => err,
    };
    let Some(status) = status_again(&err) else {
        return Err(err.into());
    };
    let query = PickerQuery {
        reschedule: Some(id.to_string()),
        ..form.query()
    };
    let page = my_book_page(&state, layout, &query, &user, Some(message(&err)), String::new()).await?;
    Ok((status, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct WaitlistForm {
    #[serde(default)]
    day: String,
}

pub async fn join_waitlist(
    user: PortalUser,
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<WaitlistForm>,
) -> AppResult<Redirect> {
    let settings = state.settings.get();
    let day = Date::parse(&form.day).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let last = settings.today() + chrono::Duration::days(settings.booking.horizon_days);
    if day.0 < settings.today() || day.0 > last {
        return Err(AppError::BadRequest(
            "You can only wait for a day that can be booked.".into(),
        ));
    }
    let message = if service::join_waitlist(&state.db, &user.actor, user.id, day).await? {
        format!("You are on the waitlist for {day}. We'll tell you here if a place comes free.")
    } else {
        format!("You are already on the waitlist for {day}.")
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to("/me/appointments"))
}

pub async fn leave_waitlist(
    user: PortalUser,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    service::leave_waitlist(&state.db, &user.actor, user.id, id).await?;
    flash(&session, FlashKind::Success, "You have left the waitlist.").await?;
    Ok(Redirect::to("/me/appointments"))
}
