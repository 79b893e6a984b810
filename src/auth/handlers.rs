use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::AppResult;
use crate::web::csrf;
use crate::web::extract::CurrentUser;
use crate::web::extract::{ClientIp, safe_next};
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use sickbay_core::auth::model::{self, Failures};
use sickbay_core::auth::{password, repo, service};
use sickbay_core::db::Timestamp;
use sickbay_core::identity::repo::Account;
use sickbay_core::identity::{Actor, PRINCIPAL_KEY, Principal, repo as identity_repo};
use sickbay_core::patients::model::looks_like_clinic_number;
use sickbay_core::validation::FieldErrors;

const BAD_CREDENTIALS: &str = "That username or password is not right.";

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    layout: Layout,
    identifier: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// Students may register themselves (a clinic setting).
    registration_open: bool,
}

impl LoginPage {
    /// The identifier field: marked wrong and described by the message after a failed attempt, else focused.
    fn identifier_attributes(&self) -> &'static str {
        if self.error.is_some() {
            r#"autocapitalize="none" spellcheck="false" aria-invalid="true" aria-describedby="login-error""#
        } else {
            r#"autocapitalize="none" spellcheck="false" autofocus"#
        }
    }

    /// After a failed attempt either may be wrong (both are marked), but the identifier is usually right, so the
    /// password field takes the focus.
    fn password_attributes(&self) -> &'static str {
        if self.error.is_some() {
            r#"autofocus aria-invalid="true" aria-describedby="login-error""#
        } else {
            ""
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
    logged_out: Option<String>,
}

pub async fn login_form(Page { state, session, layout }: Page, Query(query): Query<LoginQuery>) -> AppResult<Response> {
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
        registration_open: state.settings.get().registration.self_registration,
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
    ClientIp(ip): ClientIp,
    Page { state, session, layout }: Page,
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
            registration_open: state.settings.get().registration.self_registration,
        };
        (status, page).into_response()
    };
    if identifier.is_empty() || form.password.is_empty() {
        return Ok(page(
            layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your username or number, and your password.".into(),
        ));
    }
    let now = Timestamp::now();
    let failures: Failures = repo::count(&state.db, &identifier, &ip, now).await?;
    if let Some(until) = model::blocked_until(failures) {
        let message = model::wait_message("Too many failed attempts.", until, now);
        let mut response = page(layout, StatusCode::TOO_MANY_REQUESTS, message);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from((until.0 - now.0).max(1000) / 1000),
        );
        return Ok(response);
    }
    let found = find_account(&state, &form.identifier).await?;
    let matches = password::verify(&form.password, found.as_ref().and_then(|a| a.password_hash.clone())).await?;
    let Some(account) = found.filter(|a| matches && a.active) else {
        service::record_failed_login(&state.db, &identifier, &ip).await?;
        return Ok(page(layout, StatusCode::UNAUTHORIZED, BAD_CREDENTIALS.into()));
    };
    service::record_login(&state.db, &identifier, &account.actor(&ip), account.principal).await?;

    // A new session id at login, so an id planted before it is worthless after it.
    session.cycle_id().await?;
    session.insert(PRINCIPAL_KEY, account.principal).await?;
    csrf::rotate(&session).await?;
    let target = if account.must_change_password {
        "/account/password".to_owned()
    } else if !next.is_empty() {
        next
    } else {
        account.home.to_owned()
    };
    Ok(Redirect::to(&target).into_response())
}

/// A staff account or a patient's portal account, as login sees it.
struct LoginAccount {
    principal: Principal,
    label: String,
    password_hash: Option<String>,
    active: bool,
    must_change_password: bool,
    home: &'static str,
}

impl LoginAccount {
    fn actor(&self, ip: &str) -> Actor {
        match self.principal {
            Principal::Staff { id, .. } => Actor::staff_account(id, &self.label, ip),
            Principal::Patient { id, .. } => Actor::patient_account(id, &self.label, ip),
        }
    }
}

/// Staff log in with their username, students with their matric number, any patient with their clinic number.
async fn find_account(state: &AppState, identifier: &str) -> Result<Option<LoginAccount>, sqlx::Error> {
    let identifier = identifier.trim();
    if !looks_like_clinic_number(identifier)
        && let Some(staff) = identity_repo::staff_login(&state.db, &identifier.to_lowercase()).await?
    {
        return Ok(Some(LoginAccount {
            principal: Principal::Staff {
                id: staff.id,
                version: staff.session_version,
            },
            label: identifier.to_lowercase(),
            password_hash: Some(staff.password_hash),
            active: staff.active,
            must_change_password: staff.must_change_password,
            home: staff.role.home_path(),
        }));
    }
    let number = identifier.to_uppercase();
    Ok(identity_repo::patient_login(&state.db, &number)
        .await?
        .map(|patient| LoginAccount {
            principal: Principal::Patient {
                id: patient.id,
                version: patient.session_version,
            },
            label: number,
            password_hash: patient.password_hash,
            active: patient.active,
            must_change_password: patient.must_change_password,
            home: "/me",
        }))
}

pub async fn logout(
    user: CurrentUser,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
) -> AppResult<Redirect> {
    service::record_logout(&state.db, &user.actor(&ip), user.principal()).await?;
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

pub async fn password_form(user: CurrentUser, layout: Layout) -> PasswordPage {
    PasswordPage {
        layout,
        forced: user_must_change(&user),
        errors: FieldErrors::default(),
    }
}

fn user_must_change(user: &CurrentUser) -> bool {
    match user {
        CurrentUser::Staff(staff) => staff.must_change_password,
        CurrentUser::Patient(patient) => patient.must_change_password,
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

/// Any logged-in user (staff or patient) changes their own password here.
pub async fn change_password(
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Page { state, session, layout }: Page,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let (stored, login_name) = match &user {
        CurrentUser::Staff(staff) => (
            identity_repo::password_hash(&state.db, Account::Staff(staff.id)).await?,
            staff.username.clone(),
        ),
        CurrentUser::Patient(patient) => (
            identity_repo::password_hash(&state.db, Account::Patient(patient.id)).await?,
            patient.login_name().to_owned(),
        ),
    };
    let mut errors = FieldErrors::default();
    if !password::verify(&form.current_password, stored).await? {
        errors.add("current_password", "This is not your current password.");
    }
    errors.check("new_password", password::check_new(&form.new_password, &login_name));
    if form.new_password == form.current_password {
        errors.add("new_password", "Choose a password different from the current one.");
    }
    if form.new_password != form.confirm_password {
        errors.add("confirm_password", "The two new passwords are not the same.");
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            layout,
            forced: user_must_change(&user),
            errors,
        };
        return Ok(invalid(page));
    }

    let hash = password::hash(&form.new_password).await?;
    let principal = service::change_password(&state.db, &user.actor(&ip), user.principal(), &hash).await?;

    // Other sessions of this account ended with the version bump; this one carries on with the new version.
    session.cycle_id().await?;
    session.insert(PRINCIPAL_KEY, principal).await?;
    flash(&session, FlashKind::Success, "Your password has been changed.").await?;
    Ok(Redirect::to(user.home_path()).into_response())
}
