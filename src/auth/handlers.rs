use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::model::{self, Failures};
use super::{password, repo};
use crate::audit::{self, Actor, AuditEntry};
use crate::db::Timestamp;
use crate::staff::repo as staff_repo;
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::csrf;
use crate::web::extract::{AnyStaff, ClientIp, CurrentUser, PRINCIPAL_KEY, Principal, Staff, safe_next};
use crate::web::form::{FieldErrors, Form};
use crate::web::layout::{FlashKind, Layout, flash};

const BAD_CREDENTIALS: &str = "That username or password is not right.";

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    layout: Layout,
    identifier: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
    logged_out: Option<String>,
}

pub async fn login_form(session: Session, layout: Layout, Query(query): Query<LoginQuery>) -> AppResult<Response> {
    if session.get::<Principal>(PRINCIPAL_KEY).await?.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let notice = if query.ended.is_some() {
        Some("Your session has ended. Please log in again.")
    } else if query.logged_out.is_some() {
        Some("You have logged out.")
    } else {
        None
    };
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    Ok(LoginPage {
        layout,
        identifier: String::new(),
        next,
        error: None,
        notice,
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    layout: Layout,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let identifier = form.identifier.trim().to_lowercase();
    let next = safe_next(Some(&form.next)).unwrap_or_default();
    let page = |layout, status: StatusCode, error: String| {
        let page = LoginPage {
            layout,
            identifier: form.identifier.trim().to_owned(),
            next: next.clone(),
            error: Some(error),
            notice: None,
        };
        (status, page).into_response()
    };
    if identifier.is_empty() || form.password.is_empty() {
        return Ok(page(
            layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your username and your password.".into(),
        ));
    }
    let now = Timestamp::now();
    let failures: Failures = repo::count(&state.db, &identifier, &ip, now).await?;
    if let Some(until) = model::blocked_until(failures) {
        let minutes = model::minutes_to_wait(until, now);
        let message = format!(
            "Too many failed attempts. Wait {minutes} minute{} before trying again.",
            if minutes == 1 { "" } else { "s" }
        );
        let mut response = page(layout, StatusCode::TOO_MANY_REQUESTS, message);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from((until.0 - now.0).max(1000) / 1000),
        );
        return Ok(response);
    }
    let record = staff_repo::find_for_login(&state.db, &identifier).await?;
    let matches = password::verify(&form.password, record.as_ref().map(|r| r.password_hash.clone())).await?;
    let account = record.filter(|r| matches && r.active);
    let Some(account) = account else {
        let mut tx = state.db.begin_write().await?;
        repo::record_failure(&mut tx, &identifier, &ip).await?;
        audit::record(
            &mut tx,
            &Actor::anonymous(&identifier, &ip),
            AuditEntry::new("auth.login_failed"),
        )
        .await?;
        tx.commit().await?;
        return Ok(page(layout, StatusCode::UNAUTHORIZED, BAD_CREDENTIALS.into()));
    };

    let actor = Actor::staff_account(account.id, &identifier, &ip);
    let mut tx = state.db.begin_write().await?;
    repo::clear(&mut tx, &identifier).await?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::new("auth.login").record("staff", account.id),
    )
    .await?;
    tx.commit().await?;

    // A new session id at login, so an id planted before it is worthless after it.
    session.cycle_id().await?;
    session
        .insert(
            PRINCIPAL_KEY,
            Principal::Staff {
                id: account.id,
                version: account.session_version,
            },
        )
        .await?;
    csrf::rotate(&session).await?;
    let target = if account.must_change_password {
        "/account/password".to_owned()
    } else if !next.is_empty() {
        next
    } else {
        account.role.home_path().to_owned()
    };
    Ok(Redirect::to(&target).into_response())
}

pub async fn logout(
    user: CurrentUser,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
) -> AppResult<Redirect> {
    let CurrentUser::Staff(staff) = &user;
    let mut tx = state.db.begin_write().await?;
    audit::record(
        &mut tx,
        &Actor::staff(staff, &ip),
        AuditEntry::new("auth.logout").record("staff", staff.id),
    )
    .await?;
    tx.commit().await?;
    session.flush().await?;
    Ok(Redirect::to("/login?logged_out=1"))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    layout: Layout,
    forced: bool,
    errors: FieldErrors,
}

pub async fn password_form(user: Staff<AnyStaff>, layout: Layout) -> PasswordPage {
    PasswordPage {
        layout,
        forced: user.must_change_password,
        errors: FieldErrors::default(),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    user: Staff<AnyStaff>,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    layout: Layout,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let stored = staff_repo::password_hash(&state.db, user.id).await?;
    if !password::verify(&form.current_password, stored).await? {
        errors.add("current_password", "This is not your current password.");
    }
    errors.check("new_password", password::check_new(&form.new_password, &user.username));
    if form.new_password == form.current_password {
        errors.add("new_password", "Choose a password different from the current one.");
    }
    if form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two new passwords are not the same.");
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            layout,
            forced: user.must_change_password,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    let hash = password::hash(&form.new_password).await?;
    let mut tx = state.db.begin_write().await?;
    let version = staff_repo::set_password(&mut tx, user.id, &hash, false)
        .await?
        .ok_or(crate::web::AppError::NotFound)?;
    let entry = AuditEntry::new("auth.password_change").record("staff", user.id);
    audit::record(&mut tx, &Actor::staff(&user, &ip), entry).await?;
    tx.commit().await?;

    // Other sessions of this account ended with the version bump; this one carries on with the new version.
    session.cycle_id().await?;
    session
        .insert(PRINCIPAL_KEY, Principal::Staff { id: user.id, version })
        .await?;
    flash(&session, FlashKind::Success, "Your password has been changed.").await?;
    Ok(Redirect::to(user.role.home_path()).into_response())
}
