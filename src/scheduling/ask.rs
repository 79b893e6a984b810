//! The reason asked before blocking a time or cancelling a booking (a `web::task`: the schedule's dialog, or a
//! page without JavaScript). The row on the schedule is a link; the reason is typed for that row alone, and a
//! missing one is said beside its field, in the dialog or on the page, not at the top of the schedule.

use askama::Template;
use axum::response::Response;
use chrono_tz::Tz;

use super::handlers::{StretchQuery, day_path, with_doctor};
use crate::state::AppState;
use crate::web::extract::{FrontDeskAndDoctors, Staff};
use crate::web::filters::{clock_of, long_day_of};
use crate::web::form::Query;
use crate::web::htmx::HxRequest;
use crate::web::layout::{Layout, Page};
use crate::web::task::{task, task_refused};
use crate::web::{AppResult, IdPath};
use sickbay_core::db::Date;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::DoctorScope;
use sickbay_core::scheduling::model::{Action, AppointmentView, StretchForm};
use sickbay_core::scheduling::repo::Slot;
use sickbay_core::scheduling::service;
use sickbay_core::staff::model::Doctor;
use sickbay_core::validation::FieldErrors;

/// A reason to give, for one slot or booking: its form, posted to `action`.
#[derive(Template)]
#[template(path = "scheduling/_reason_task.html")]
pub struct ReasonTask {
    csrf_token: String,
    /// `block-7`, `cancel-12`: the form's id, and the prefix of its field's message.
    key: String,
    action: String,
    detail: String,
    label: &'static str,
    placeholder: &'static str,
    reason: String,
    error: Option<String>,
    button: String,
    danger: bool,
    back: String,
}

impl ReasonTask {
    fn to_block(slot: &Slot, zone: Tz, scope: DoctorScope, csrf_token: String) -> (String, ReasonTask) {
        let time = format!("{}–{}", clock_of(slot.starts_at, zone), clock_of(slot.ends_at, zone));
        let detail = match slot.booked {
            0 => "Nobody is booked at this time. Once blocked, nobody can book it until it is opened again.".to_owned(),
            1 => "One patient is booked at this time: the appointment is kept, and the schedule then lists them \
                  so they can be told."
                .to_owned(),
            n => format!(
                "{n} patients are booked at this time: their appointments are kept, and the schedule then lists \
                 them so they can be told."
            ),
        };
        let title = format!("Block {time} on {}?", long_day_of(&slot.day));
        let task = ReasonTask {
            csrf_token,
            key: format!("block-{}", slot.id),
            action: format!("/schedule/slots/{}/block", slot.id),
            detail,
            label: "Why is this time blocked?",
            placeholder: "Ward round, meeting, …",
            reason: String::new(),
            error: None,
            button: format!("Block {}", clock_of(slot.starts_at, zone)),
            danger: false,
            back: day_path(scope, slot.doctor_id, slot.day),
        };
        (title, task)
    }

    fn to_cancel(a: &AppointmentView, zone: Tz, scope: DoctorScope, csrf_token: String) -> (String, ReasonTask) {
        let time = clock_of(a.starts_at, zone);
        let title = format!("Cancel {}'s {time} appointment?", a.patient_name);
        let detail = format!(
            "{} ({}), {} at {time} with {}. The seat is freed for someone else; the reason is kept with the \
             appointment.",
            a.patient_name,
            a.clinic_number,
            long_day_of(&a.day),
            a.doctor_name
        );
        let task = ReasonTask {
            csrf_token,
            key: format!("cancel-{}", a.id),
            action: format!("/appointments/{}/cancel", a.id),
            detail,
            label: "Why is it cancelled?",
            placeholder: "Patient phoned, doctor away, …",
            reason: String::new(),
            error: None,
            button: "Cancel the appointment".to_owned(),
            danger: true,
            back: day_path(scope, a.doctor_id, a.day),
        };
        (title, task)
    }

    /// The question again, with what was typed and why it was refused.
    fn refused(self, (reason, error): (String, String)) -> Self {
        ReasonTask {
            reason,
            error: Some(error),
            ..self
        }
    }

    fn field_id(&self) -> String {
        format!("{}-reason", self.key)
    }

    fn shown(self, title: &str, hx: HxRequest, layout: Layout) -> AppResult<Response> {
        match self.error {
            None => task(hx, layout, title, &self.render()?),
            Some(_) => task_refused(hx, layout, title, &self.render()?),
        }
    }
}

pub async fn ask_block(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
) -> AppResult<Response> {
    let slot = service::slot(&state.db, user.scope(), id).await?;
    if slot.blocked {
        return Err(ServiceError::Conflict("This time is already blocked.".to_owned()).into());
    }
    let zone = state.settings.get().clinic.time_zone;
    let (title, task) = ReasonTask::to_block(&slot, zone, user.scope(), layout.csrf_token.clone());
    task.shown(&title, hx, layout)
}

pub async fn ask_cancel(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
) -> AppResult<Response> {
    let appointment = service::appointment(&state.db, user.scope(), id).await?;
    if !appointment.can(Action::Cancel) {
        let message = format!(
            "This appointment is {} and can't be cancelled.",
            appointment.status.label().to_lowercase()
        );
        return Err(ServiceError::Conflict(message).into());
    }
    let zone = state.settings.get().clinic.time_zone;
    let (title, task) = ReasonTask::to_cancel(&appointment, zone, user.scope(), layout.csrf_token.clone());
    task.shown(&title, hx, layout)
}

/// The block's question again, with what was typed (`typed`: the reason, and why it was refused).
pub fn block_again(
    state: &AppState,
    (slot, scope): (&Slot, DoctorScope),
    (hx, layout): (HxRequest, Layout),
    typed: (String, String),
) -> AppResult<Response> {
    let zone = state.settings.get().clinic.time_zone;
    let (title, task) = ReasonTask::to_block(slot, zone, scope, layout.csrf_token.clone());
    task.refused(typed).shown(&title, hx, layout)
}

/// The cancellation's question again, with what was typed (`typed`: the reason, and why it was refused).
pub fn cancel_again(
    state: &AppState,
    (appointment, scope): (&AppointmentView, DoctorScope),
    (hx, layout): (HxRequest, Layout),
    typed: (String, String),
) -> AppResult<Response> {
    let zone = state.settings.get().clinic.time_zone;
    let (title, task) = ReasonTask::to_cancel(appointment, zone, scope, layout.csrf_token.clone());
    task.refused(typed).shown(&title, hx, layout)
}

/// A stretch of one doctor's day to block (a meeting, an afternoon away): two times and a reason.
#[derive(Template)]
#[template(path = "scheduling/_stretch_task.html")]
pub struct StretchTask {
    csrf_token: String,
    action: String,
    detail: String,
    form: StretchForm,
    errors: FieldErrors,
    back: String,
}

impl StretchTask {
    /// The question for `doctor`'s `day`, and its title.
    pub fn new(doctor: &Doctor, day: Date, scope: DoctorScope, csrf_token: String) -> (String, StretchTask) {
        let title = format!("Block times on {}", long_day_of(&day));
        let detail = format!(
            "Every open time of {} that the stretch touches is blocked, so nobody can book it; a time that has \
             started stays as it is. Appointments already booked are kept, and the schedule then lists them so the \
             patients can be told.",
            doctor.full_name
        );
        let task = StretchTask {
            csrf_token,
            action: with_doctor(scope, "/schedule/block", doctor.id, &format!("day={day}")),
            detail,
            form: StretchForm {
                form_id: FormKey::mint().to_string(),
                ..StretchForm::default()
            },
            errors: FieldErrors::default(),
            back: day_path(scope, doctor.id, day),
        };
        (title, task)
    }

    /// The question again, with what was typed and why it was refused.
    pub fn refused(self, form: StretchForm, errors: FieldErrors) -> Self {
        StretchTask { form, errors, ..self }
    }

    pub fn shown(self, title: &str, hx: HxRequest, layout: Layout) -> AppResult<Response> {
        match self.errors.is_empty() {
            true => task(hx, layout, title, &self.render()?),
            false => task_refused(hx, layout, title, &self.render()?),
        }
    }
}

pub async fn ask_block_stretch(
    user: Staff<FrontDeskAndDoctors>,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<StretchQuery>,
) -> AppResult<Response> {
    let (doctor, day) = query.resolve(&state, &user).await?;
    let (title, task) = StretchTask::new(&doctor, day, user.scope(), layout.csrf_token.clone());
    task.shown(&title, hx, layout)
}
