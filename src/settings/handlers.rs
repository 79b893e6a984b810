use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::form::{Form, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult};
use sickbay_core::settings::model::{Settings, connected, fieldset, fieldsets, keep_secrets, with_section};
use sickbay_core::settings::service;
use sickbay_core::settings_section::{Fieldset, Section, Values};
use sickbay_core::validation::FieldErrors;

pub const PATH: &str = "/admin/settings";

/// A section in the list beside the form: each is a page of its own.
pub struct SectionLink {
    slug: String,
    title: &'static str,
    current: bool,
    /// Mail and SMS: whether they are set up (as saved), so an admin sees from any section that messages can't go.
    connected: Option<bool>,
    /// A form of the whole settings came back with a mistake in this section.
    refused: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/edit.html")]
pub struct SettingsPage {
    layout: Layout,
    sections: Vec<SectionLink>,
    /// The section shown, with the stored settings or what the admin typed.
    shown: Fieldset,
    slug: String,
    connected: Option<bool>,
    errors: FieldErrors,
}

impl SettingsPage {
    fn new(layout: Layout, saved: &Settings, shown: Fieldset, errors: FieldErrors) -> Self {
        let slug = shown.slug();
        let sections = fieldsets(&Values::new())
            .into_iter()
            .map(|set| {
                let link = set.slug();
                SectionLink {
                    current: link == slug,
                    slug: link,
                    title: set.title,
                    connected: connected(saved, set.title),
                    refused: set.has_mistake(&errors),
                }
            })
            .collect();
        SettingsPage {
            layout,
            sections,
            connected: connected(saved, shown.title),
            slug,
            shown,
            errors,
        }
    }
}

fn section_path(slug: &str) -> String {
    format!("{PATH}/{slug}")
}

/// The settings page of section `S`, for a link from another page.
pub fn page_of<S: Section>() -> String {
    section_path(&S::slug())
}

/// The settings open at their first section.
pub async fn first(_admin: Staff<Admins>) -> Redirect {
    let first = fieldsets(&Values::new()).into_iter().next().map(|set| set.slug());
    Redirect::to(&section_path(first.as_deref().unwrap_or_default()))
}

pub async fn show(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    layout: Layout,
) -> AppResult<SettingsPage> {
    let saved = state.settings.get();
    let shown = fieldset(&slug, &saved.to_form()).ok_or(AppError::NotFound)?;
    Ok(SettingsPage::new(layout, &saved, shown, FieldErrors::default()))
}

/// Saves one section and leaves the others as they are.
pub async fn update_section(
    admin: Staff<Admins>,
    Path(slug): Path<String>,
    Page { state, session, layout }: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let saved = state.settings.get();
    let (title, form) = with_section(&saved, &slug, &posted(form)).ok_or(AppError::NotFound)?;
    let changed = match save(&state, &admin, form).await? {
        Saved::Changed(changed) => changed,
        Saved::Refused(form, errors) => {
            let shown = fieldset(&slug, &form).ok_or(AppError::NotFound)?;
            return Ok(invalid(SettingsPage::new(layout, &saved, shown, errors)));
        }
    };
    let message = if changed {
        format!("{title} saved.")
    } else {
        format!("Nothing changed in {title}.")
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&section_path(&slug)).into_response())
}

/// Saves the whole of the settings in one form (a script's, or an older page's).
pub async fn update(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let saved = state.settings.get();
    match save(&state, &admin, posted(form)).await? {
        Saved::Changed(changed) => {
            let message = if changed { "Settings saved." } else { "Nothing changed." };
            flash(&session, FlashKind::Success, message).await?;
            Ok(Redirect::to(PATH).into_response())
        }
        Saved::Refused(form, errors) => {
            // The first section with a mistake, as typed (the list beside it marks the others).
            let sections = fieldsets(&form);
            let with_mistake = sections.iter().position(|set| set.has_mistake(&errors));
            let shown = sections
                .into_iter()
                .nth(with_mistake.unwrap_or_default())
                .ok_or(AppError::NotFound)?;
            Ok(invalid(SettingsPage::new(layout, &saved, shown, errors)))
        }
    }
}

fn posted(form: Vec<(String, String)>) -> Values {
    form.into_iter().filter(|(key, _)| key != "csrf_token").collect()
}

enum Saved {
    /// Saved; whether anything changed.
    Changed(bool),
    /// The form as typed, with a message beside each bad field.
    Refused(Values, FieldErrors),
}

async fn save(state: &AppState, admin: &Staff<Admins>, mut form: Values) -> AppResult<Saved> {
    keep_secrets(&mut form, &state.settings.get());
    let settings = match Settings::from_form(&form) {
        Ok(settings) => settings,
        Err(errors) => return Ok(Saved::Refused(form, errors)),
    };
    let changed = service::save(&state.db, &admin.actor, &settings).await?;
    state.settings.refresh(&state.db).await?;
    Ok(Saved::Changed(changed))
}
