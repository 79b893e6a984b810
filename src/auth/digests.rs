//! A staff member's choice of how to get their digests (the pharmacists' morning stock, the admins' week): in
//! the bell always, and by email unless they turn it off.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{AnyStaff, Staff};
use crate::web::form::Form;
use crate::web::layout::{FlashKind, Layout, flash};
use sickbay_core::digests;

pub const PATH: &str = "/account/digests";

#[derive(Template, WebTemplate)]
#[template(path = "auth/digests.html")]
pub struct DigestsPage {
    layout: Layout,
    by_email: bool,
    has_email: bool,
}

pub async fn show(staff: Staff<AnyStaff>, State(state): State<AppState>, layout: Layout) -> AppResult<DigestsPage> {
    let (by_email, has_email) = digests::by_email(&state.db, staff.id).await?;
    Ok(DigestsPage {
        layout,
        by_email,
        has_email,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DigestsForm {
    by_email: String,
}

pub async fn update(
    staff: Staff<AnyStaff>,
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<DigestsForm>,
) -> AppResult<Response> {
    let by_email = form.by_email == "1";
    digests::set_by_email(&state.db, &staff.actor, staff.id, by_email).await?;
    let message = match by_email {
        true => "Your digests will come by email too.",
        false => "Your digests will be in your notices only.",
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(PATH).into_response())
}
