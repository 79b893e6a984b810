//! A forgotten password: the patient asks for a link on `/forgot` (by matric number, clinic number or email)
//! and sets a new password on the page it opens, `/reset/{token}`. The answer to a request never tells
//! whether an account matched.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::web::AppResult;
use crate::web::extract::ClientIp;
use crate::web::form::{Form, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use sickbay_core::auth::password;
use sickbay_core::auth::service::{self, ResetRequest};
use sickbay_core::error::ServiceError;
use sickbay_core::validation::FieldErrors;

#[derive(Template, WebTemplate)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPage {
    layout: Layout,
    identifier: String,
    /// Shown once asked: the same words whether or not an account matched.
    asked: bool,
    errors: FieldErrors,
}

pub async fn forgot_form(layout: Layout) -> ForgotPage {
    ForgotPage {
        layout,
        identifier: String::new(),
        asked: false,
        errors: FieldErrors::default(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    identifier: String,
}

pub async fn forgot(
    ClientIp(ip): ClientIp,
    Page { state, layout, .. }: Page,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let identifier = form.identifier.trim();
    if identifier.is_empty() || identifier.chars().count() > 200 {
        let mut errors = FieldErrors::default();
        errors.add(
            "identifier",
            "Enter your matric number, clinic number or email address.",
        );
        let page = ForgotPage {
            layout,
            identifier: identifier.to_owned(),
            asked: false,
            errors,
        };
        return Ok(invalid(page));
    }
    if let ResetRequest::Throttled(until) = service::count_reset_request(&state.db, &ip).await? {
        return Err(super::wait_until("Too many requests from this network.", until));
    }
    // Looked up after the answer, so its time doesn't tell whether an account matched.
    let (db, identifier_owned) = (state.db.clone(), identifier.to_owned());
    tokio::spawn(async move {
        if let Err(err) = service::send_reset_link(&db, &identifier_owned, &ip).await {
            tracing::warn!(error = %err, "a password reset link could not be written");
        }
    });
    Ok(ForgotPage {
        layout,
        identifier: String::new(),
        asked: true,
        errors: FieldErrors::default(),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    layout: Layout,
    token: String,
    /// The link works: the form shows; otherwise the page says it has expired or was used.
    works: bool,
    errors: FieldErrors,
}

pub async fn reset_form(Page { state, layout, .. }: Page, Path(token): Path<String>) -> AppResult<Response> {
    let works = match service::reset_holder(&state.db, &token).await {
        Ok(_) => true,
        Err(ServiceError::NotFound) => false,
        Err(err) => return Err(err.into()),
    };
    let page = ResetPage {
        layout,
        token,
        works,
        errors: FieldErrors::default(),
    };
    Ok(match works {
        true => page.into_response(),
        false => (axum::http::StatusCode::NOT_FOUND, page).into_response(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    new_password: String,
    confirm_password: String,
}

pub async fn reset(
    ClientIp(ip): ClientIp,
    Page { state, session, layout }: Page,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let gone = |layout| {
        let page = ResetPage {
            layout,
            token: token.clone(),
            works: false,
            errors: FieldErrors::default(),
        };
        Ok((axum::http::StatusCode::NOT_FOUND, page).into_response())
    };
    let login_name = match service::reset_holder(&state.db, &token).await {
        Ok((_, login_name)) => login_name,
        Err(ServiceError::NotFound) => return gone(layout),
        Err(err) => return Err(err.into()),
    };
    let mut errors = FieldErrors::default();
    errors.check("new_password", password::check_new(&form.new_password, &login_name));
    if form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two passwords are not the same.");
    }
    if !errors.is_empty() {
        let page = ResetPage {
            layout,
            token: token.clone(),
            works: true,
            errors,
        };
        return Ok(invalid(page));
    }
    let hash = password::hash(&form.new_password).await?;
    match service::reset_password(&state.db, &token, &hash, &ip).await {
        Ok(_) => {}
        Err(ServiceError::NotFound) => return gone(layout),
        Err(err) => return Err(err.into()),
    }
    flash(
        &session,
        FlashKind::Success,
        "Your new password is set. Log in with it.",
    )
    .await?;
    Ok(Redirect::to("/login").into_response())
}
