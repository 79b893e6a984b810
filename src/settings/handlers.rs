use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::{TZ_VARIANTS, Tz};
use tower_sessions::Session;

use super::model::{DEFAULT_MATRIC_PATTERN, Settings, SettingsForm, changed_keys};
use super::repo;
use crate::audit::{self, AuditEntry};
use crate::db::Db;
use crate::db::events::Event;
use crate::identity::Actor;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::AppResult;
use crate::web::extract::{Admins, Staff};
use crate::web::form::{Form, invalid};
use crate::web::layout::{FlashKind, Layout, flash};

pub const PATH: &str = "/admin/settings";

#[derive(Template, WebTemplate)]
#[template(path = "settings/edit.html")]
pub struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    errors: FieldErrors,
    zones: &'static [Tz],
    default_pattern: &'static str,
}

impl SettingsPage {
    fn new(layout: Layout, form: SettingsForm, errors: FieldErrors) -> Self {
        SettingsPage {
            layout,
            form,
            errors,
            zones: &TZ_VARIANTS,
            default_pattern: DEFAULT_MATRIC_PATTERN,
        }
    }
}

impl SettingsPage {
    fn matric_help(&self) -> String {
        format!(
            "A regular expression that matric numbers (in upper case) must match. The default, {}, accepts groups \
             of letters and digits joined by / or -, such as U2019/3012345, CSC/19/1234 or 190401001. For nine \
             digits only: ^\\d{{9}}$; for CSC/19/1234 only: ^[A-Z]{{3}}/\\d{{2}}/\\d{{4}}$.",
            self.default_pattern
        )
    }
}

pub async fn show(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> SettingsPage {
    let form = SettingsForm::from(state.settings.get().as_ref());
    SettingsPage::new(layout, form, FieldErrors::default())
}

pub async fn update(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let settings = match form.validate() {
        Ok(settings) => settings,
        Err(errors) => {
            let page = SettingsPage::new(layout, form, errors);
            return Ok(invalid(page));
        }
    };
    save(&state.db, &admin.actor, &settings).await?;
    state.settings.refresh(&state.db).await?;
    // The other instances re-read them now too (and the live pages show the new clinic name and clock).
    state.events.publish(&state.db, Event::Settings).await;
    flash(&session, FlashKind::Success, "Settings saved.").await?;
    Ok(Redirect::to(PATH).into_response())
}

/// Writes every setting and one audit row naming the keys that changed, in one transaction.
async fn save(db: &Db, actor: &Actor, settings: &Settings) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let before = Settings::from_pairs(repo::load_all_in(&mut tx).await?);
    for (key, value) in settings.to_pairs() {
        repo::save(&mut tx, key, &value).await?;
    }
    let changed = changed_keys(&before, settings);
    let detail = if changed.is_empty() {
        "no changes".to_owned()
    } else {
        format!("changed: {}", changed.join(", "))
    };
    audit::record(&mut tx, actor, AuditEntry::new("settings.update").detail(detail)).await?;
    tx.commit().await
}
