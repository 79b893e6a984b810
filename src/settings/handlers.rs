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
use sickbay_core::settings::model::{Settings, connected, fieldsets, keep_secrets, with_section};
use sickbay_core::settings::service;
use sickbay_core::settings_section::{Fieldset, Values};
use sickbay_core::validation::FieldErrors;

pub const PATH: &str = "/admin/settings";

/// One section of the page, saved on its own.
pub struct SettingsSection {
    /// Its place on the page, from 1: its anchor and what its form posts as `section`.
    number: usize,
    set: Fieldset,
    /// Mail and SMS: whether they are set up (as saved), so an admin sees at once that messages can't go yet.
    connected: Option<bool>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/edit.html")]
pub struct SettingsPage {
    layout: Layout,
    /// Each feature's section, showing the stored settings or what the admin typed.
    sections: Vec<SettingsSection>,
    errors: FieldErrors,
}

impl SettingsPage {
    fn new(layout: Layout, saved: &Settings, form: &Values, errors: FieldErrors) -> Self {
        let sections = fieldsets(form)
            .into_iter()
            .enumerate()
            .map(|(index, set)| SettingsSection {
                number: index + 1,
                connected: connected(saved, set.title),
                set,
            })
            .collect();
        SettingsPage {
            layout,
            sections,
            errors,
        }
    }
}

pub async fn show(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> SettingsPage {
    let saved = state.settings.get();
    SettingsPage::new(layout, &saved, &saved.to_form(), FieldErrors::default())
}

/// Saves one section (the form's `section`) and leaves the others as they are; a form without one (an older
/// page, a script) is the whole of the settings.
pub async fn update(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let saved = state.settings.get();
    let mut posted: Values = form.into_iter().filter(|(key, _)| key != "csrf_token").collect();
    let section = posted
        .remove("section")
        .and_then(|number| number.trim().parse::<usize>().ok());
    let (saved_section, mut form) = match section {
        Some(number) => {
            let (title, form) = with_section(&saved, number, &posted).ok_or(crate::web::AppError::NotFound)?;
            (Some((number, title)), form)
        }
        None => (None, posted),
    };
    keep_secrets(&mut form, &saved);
    let settings = match Settings::from_form(&form) {
        Ok(settings) => settings,
        Err(errors) => return Ok(invalid(SettingsPage::new(layout, &saved, &form, errors))),
    };
    let changed = service::save(&state.db, &admin.actor, &settings).await?;
    state.settings.refresh(&state.db).await?;
    let (message, back) = match (saved_section, changed) {
        (Some((number, title)), true) => (format!("{title} saved."), format!("{PATH}#settings-{number}")),
        (Some((number, title)), false) => (
            format!("Nothing changed in {title}."),
            format!("{PATH}#settings-{number}"),
        ),
        (None, true) => ("Settings saved.".to_owned(), PATH.to_owned()),
        (None, false) => ("Nothing changed.".to_owned(), PATH.to_owned()),
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&back).into_response())
}
