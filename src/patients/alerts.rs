//! A patient's allergies and chronic conditions, kept up to date by whoever learns of a change: the doctor from the
//! consultation's patient bar, or the desk (a `web::task`: the page's dialog, or a page without JavaScript).

use askama::Template;
use axum::response::Response;
use serde::Deserialize;

use crate::web::extract::{FrontDeskAndDoctors, Staff};
use crate::web::form::{Form, Query, seen_version};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::{Layout, Page};
use crate::web::task::{task, task_refused};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::error::ServiceError;
use sickbay_core::patients::model::{ALERTS_MAX, ClinicalAlerts, Patient};
use sickbay_core::patients::service;
use sickbay_core::validation::{FieldErrors, parse_id};

#[derive(Debug, Default, Deserialize)]
pub struct AlertsForm {
    #[serde(default)]
    allergies: String,
    #[serde(default)]
    chronic_conditions: String,
    /// The record's `updated_at` when the form was shown: a change made meanwhile is not overwritten.
    #[serde(default)]
    version: String,
    /// The visit the form was opened from, to go back to.
    #[serde(default)]
    visit: String,
}

/// The task's form.
#[derive(Template)]
#[template(path = "patients/_alerts_task.html")]
struct AlertsTask {
    csrf_token: String,
    patient_id: i64,
    form: AlertsForm,
    errors: FieldErrors,
    /// Said above the fields when the record changed meanwhile.
    notice: Option<String>,
    back: String,
}

impl AlertsTask {
    fn max(&self) -> u32 {
        u32::try_from(ALERTS_MAX).unwrap_or(u32::MAX)
    }
}

fn title(patient: &Patient) -> String {
    format!("Allergies and chronic conditions of {}", patient.full_name())
}

/// Where the task goes back to: the visit it was opened from, else the patient's record.
fn back(patient_id: i64, visit: &str) -> String {
    match parse_id(visit) {
        Some(visit) => format!("/visits/{visit}"),
        None => format!("/patients/{patient_id}"),
    }
}

/// The form as the record is now, to change.
fn current(patient: &Patient, visit: String) -> AlertsForm {
    AlertsForm {
        allergies: patient.allergies.clone(),
        chronic_conditions: patient.chronic_conditions.clone(),
        version: patient.updated_at.0.to_string(),
        visit,
    }
}

async fn patient(state: &crate::state::AppState, id: i64) -> AppResult<Patient> {
    service::get(&state.db, id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct AlertsQuery {
    #[serde(default)]
    visit: String,
}

pub async fn ask(
    _user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<AlertsQuery>,
) -> AppResult<Response> {
    let patient = patient(&state, id).await?;
    let shown = AlertsTask {
        csrf_token: layout.csrf_token.clone(),
        patient_id: id,
        back: back(id, &query.visit),
        form: current(&patient, query.visit),
        errors: FieldErrors::default(),
        notice: None,
    };
    task(hx, layout, &title(&patient), &shown.render()?)
}

pub async fn save(
    user: Staff<FrontDeskAndDoctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(form): Form<AlertsForm>,
) -> AppResult<Response> {
    let patient = patient(&state, id).await?;
    let back = back(id, &form.visit);
    let seen = seen_version(&form.version)?;
    let refused = |form: AlertsForm, errors: FieldErrors, notice: Option<String>, layout: Layout| {
        let task = AlertsTask {
            csrf_token: layout.csrf_token.clone(),
            patient_id: id,
            form,
            errors,
            notice,
            back: back.clone(),
        };
        task_refused(hx, layout, &title(&patient), &task.render()?)
    };
    let alerts = match ClinicalAlerts::parse(&form.allergies, &form.chronic_conditions) {
        Ok(alerts) => alerts,
        Err(errors) => return refused(form, errors, None, layout),
    };
    match service::update_alerts(&state.db, &user.actor, id, seen, &alerts).await {
        Ok(()) => Ok(redirect(hx, &back)),
        Err(ServiceError::Stale) => {
            let now = patient_now(&state, id, form.visit).await?;
            let notice = "Someone changed this record meanwhile: here it is now. Add your change again.".to_owned();
            refused(now, FieldErrors::default(), Some(notice), layout)
        }
        Err(err) => Err(err.into()),
    }
}

/// The form as the record is after someone else's change.
async fn patient_now(state: &crate::state::AppState, id: i64, visit: String) -> AppResult<AlertsForm> {
    Ok(current(&patient(state, id).await?, visit))
}
