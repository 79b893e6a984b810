//! The consultation screen's letters section (a plain form that redirects back to the visit; with htmx the
//! section alone, a refused form with its messages, 422) and the printable letter.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Clinicians, Doctors, PortalUser, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::HxRequest;
use crate::web::inline_messages::{Place, out_of_band};
use crate::web::layout::{FlashKind, Layout, Page, flash_in};
use crate::web::{AppResult, IdPath};
use sickbay_core::consult::model::Access;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::letters::model::{Letter, LetterFields, LetterKind};
use sickbay_core::letters::service::{self, VisitLetters};

/// The section's message region (and its element id and anchor).
pub const REGION: &str = "letters";

#[derive(Debug, Default, Deserialize)]
pub struct LetterForm {
    #[serde(flatten)]
    fields: LetterFields,
    #[serde(default)]
    form_id: String,
}

/// The section alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "letters/section.html")]
pub struct SectionFragment {
    layout: Layout,
    letters: VisitLetters,
}

/// The section on a page of its own: a refused form without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "letters/visit_form.html")]
pub struct SectionPage {
    layout: Layout,
    letters: VisitLetters,
}

/// Writes a letter in the visit (its doctor, while it is open), once per form.
pub async fn issue(
    user: Staff<Doctors>,
    IdPath(visit_id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<LetterForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let result = service::issue(&state.db, &user, &actor, visit_id, &form.fields).await;
    answered(&state, &user, &session, layout, hx, visit_id, result, form.fields).await
}

/// The section again as the doctor is filling it in (htmx, when they choose what to write): a letter with no
/// words of the doctor's own gets the kind's opening words from the visit as it stands
/// (`service::words_for_kind`).
pub async fn form_so_far(
    user: Staff<Doctors>,
    IdPath(visit_id): IdPath,
    Page { state, layout, .. }: Page,
    Query(fields): Query<LetterFields>,
) -> AppResult<SectionFragment> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, &user, visit_id, Access::Write).await?;
    let mut letters = service::section(&state.db, &user, &visit).await?;
    let kind = LetterKind::parse(&fields.kind);
    letters.fields = LetterFields {
        body: service::words_for_kind(&state.db, visit_id, kind, &fields.body).await?,
        ..fields
    };
    Ok(SectionFragment { layout, letters })
}

/// Answers the form: the section with the message (htmx), or back to the visit; a refused form again with its
/// messages (422).
#[allow(clippy::too_many_arguments)]
async fn answered(
    state: &AppState,
    user: &StaffUser,
    session: &Session,
    layout: Layout,
    hx: HxRequest,
    visit_id: i64,
    result: Result<i64, ServiceError>,
    fields: LetterFields,
) -> AppResult<Response> {
    let errors = match result {
        Ok(_) if !hx.0 => {
            flash_in(session, REGION, FlashKind::Success, WRITTEN.to_owned()).await?;
            return Ok(Redirect::to(&format!("/visits/{visit_id}#{REGION}")).into_response());
        }
        Ok(_) => {
            let letters = section(state, user, visit_id).await?;
            let main = SectionFragment { layout, letters }.render()?;
            let region = out_of_band(Place::new(REGION, ""), FlashKind::Success, WRITTEN)?;
            return Ok(Html(format!("{main}{region}")).into_response());
        }
        Err(ServiceError::Invalid(errors)) => errors,
        Err(err) => return Err(err.into()),
    };
    let mut letters = section(state, user, visit_id).await?;
    letters.errors = errors;
    letters.fields = fields;
    let page = match hx.0 {
        true => SectionFragment { layout, letters }.render()?,
        false => SectionPage { layout, letters }.render()?,
    };
    Ok(invalid(Html(page)))
}

const WRITTEN: &str = "Letter written: print it, or the patient prints it from their phone.";

async fn section(state: &AppState, user: &StaffUser, visit_id: i64) -> AppResult<VisitLetters> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, user, visit_id, Access::Read).await?;
    fresh_section(&state.db, user, &visit, state.today()).await
}

/// The section with an empty form, its rest starting today.
pub async fn fresh_section(
    db: impl sickbay_core::db::Reader,
    user: &StaffUser,
    visit: &sickbay_core::consult::model::Visit,
    today: sickbay_core::db::Date,
) -> AppResult<VisitLetters> {
    let mut letters = service::section(db, user, visit).await?;
    letters.fields.rest_from = today.to_string();
    Ok(letters)
}

/// The printable letter.
#[derive(Template, WebTemplate)]
#[template(path = "letters/letter.html")]
pub struct LetterPage {
    layout: Layout,
    letter: Letter,
    clinic_address: String,
    back: String,
}

/// A letter, for the clinicians who read its visit (audited).
pub async fn letter(
    user: Staff<Clinicians>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<LetterPage> {
    let letter = service::for_staff(&state.db, &state.reads, &user.actor, &user, id).await?;
    let back = format!("/visits/{}#{REGION}", letter.visit_id);
    Ok(letter_page(&state, layout, letter, back))
}

/// The patient's own letter, to read on the phone or print (audited); 404 for anyone else's.
pub async fn my_letter(
    user: PortalUser,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<LetterPage> {
    let letter = service::own(&state.db, &state.reads, &user.actor, user.id, id).await?;
    Ok(letter_page(&state, layout, letter, "/me/documents".to_owned()))
}

fn letter_page(state: &AppState, layout: Layout, letter: Letter, back: String) -> LetterPage {
    LetterPage {
        layout,
        letter,
        clinic_address: state.settings.get().clinic.address.clone(),
        back,
    }
}
