use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{Admins, Staff};
use crate::web::form::{Form, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use sickbay_core::settings::model::{Settings, fieldsets, keep_secrets};
use sickbay_core::settings::service;
use sickbay_core::settings_section::{Fieldset, Values};
use sickbay_core::validation::FieldErrors;

pub const PATH: &str = "/admin/settings";

#[derive(Template, WebTemplate)]
#[template(path = "settings/edit.html")]
pub struct SettingsPage {
    layout: Layout,
    /// Each feature's fieldset, showing the stored settings or what the admin typed.
    fieldsets: Vec<Fieldset>,
    errors: FieldErrors,
}

impl SettingsPage {
    fn new(layout: Layout, form: &Values, errors: FieldErrors) -> Self {
        SettingsPage {
            layout,
            fieldsets: fieldsets(form),
            errors,
        }
    }
}

pub async fn show(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> SettingsPage {
    SettingsPage::new(layout, &state.settings.get().to_form(), FieldErrors::default())
}

pub async fn update(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut form: Values = form.into_iter().filter(|(key, _)| key != "csrf_token").collect();
    keep_secrets(&mut form, &state.settings.get());
    let settings = match Settings::from_form(&form) {
        Ok(settings) => settings,
        Err(errors) => return Ok(invalid(SettingsPage::new(layout, &form, errors))),
    };
    service::save(&state.db, &admin.actor, &settings).await?;
    state.settings.refresh(&state.db).await?;
    flash(&session, FlashKind::Success, "Settings saved.").await?;
    Ok(Redirect::to(PATH).into_response())
}
