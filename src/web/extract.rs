//! Who is asking: the session's principal, the `require_login` middleware that resolves it against the
//! database on every request, and typed extractors for the current user, role guards and client IP.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::error::AppError;
use super::form::form_key;
use super::htmx::{HxRequest, redirect};
use crate::state::AppState;
use sickbay_core::identity::{
    Actor, DoctorScope, PRINCIPAL_KEY, PatientUser, Principal, Role, StaffUser, repo as identity_repo,
};

/// The logged-in user of this request, put in the request extensions by `web::extract::require_login`.
#[derive(Clone, Debug)]
pub enum CurrentUser {
    Staff(StaffUser),
    Patient(PatientUser),
}

impl CurrentUser {
    /// Whose bell this user reads.
    pub fn recipient(&self) -> sickbay_core::notify::Recipient {
        match self {
            CurrentUser::Staff(staff) => sickbay_core::notify::Recipient::Staff(staff.id),
            CurrentUser::Patient(patient) => sickbay_core::notify::Recipient::Patient(patient.id),
        }
    }

    pub fn display_name(&self) -> String {
        match self {
            CurrentUser::Staff(user) => user.full_name.clone(),
            CurrentUser::Patient(user) => user.full_name(),
        }
    }

    pub fn home_path(&self) -> &'static str {
        match self {
            CurrentUser::Staff(user) => user.role.home_path(),
            CurrentUser::Patient(_) => "/me",
        }
    }

    pub fn must_change_password(&self) -> bool {
        match self {
            CurrentUser::Staff(user) => user.must_change_password,
            CurrentUser::Patient(user) => user.must_change_password,
        }
    }

    /// The principal the session holds for this user, with their current session version.
    pub fn principal(&self) -> Principal {
        match self {
            CurrentUser::Staff(user) => Principal::Staff {
                id: user.id,
                version: user.session_version,
            },
            CurrentUser::Patient(user) => Principal::Patient {
                id: user.id,
                version: user.session_version,
            },
        }
    }

    /// Who to write in the audit log.
    pub fn actor(&self, ip: &str) -> Actor {
        match self {
            CurrentUser::Staff(user) => Actor::staff(user, ip),
            CurrentUser::Patient(user) => Actor::patient(user, ip),
        }
    }
}

/// Paths a user who must change their password may still reach.
const ALLOWED_BEFORE_PASSWORD_CHANGE: &[&str] = &["/account/password", "/logout"];

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| redirect(HxRequest::from_headers(&parts.headers), "/login"))
    }
}

/// A set of roles allowed to use a handler.
pub trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

macro_rules! role_sets {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)+) => {
        $($(#[$doc])* pub struct $name; impl RoleSet for $name { const ROLES: &'static [Role] = &[$(Role::$role),+]; })+
    };
}

role_sets! {
    Admins => [Admin];
    Doctors => [Doctor];
    /// Who dispenses, refuses, receives, adjusts, counts and writes off stock: pharmacists only (an account
    /// given the pharmacist's role by an admin included); administration is not a clinical qualification.
    Pharmacists => [Pharmacist];
    /// Who does the lab's work: records, corrects and releases results, takes vitals, keeps health records.
    /// Lab attendants only, for the same reason.
    LabStaff => [Lab];
    ReceptionStaff => [Reception];
    /// The front desk: reception, and admins, whose work includes reception's (they register patients, book,
    /// run the queue, bill and take money).
    FrontDesk => [Reception, Admin];
    /// Who reads the pharmacy's pages (its alerts, the worklist, a prescription, stock and ledger) and keeps
    /// the catalogue's entries: pharmacists, and admins. Only pharmacists change stock or dispense.
    PharmacyStaff => [Pharmacist, Admin];
    /// Who reads the lab's pages (the worklist, an order, its figures): lab attendants, and admins, whose home
    /// counts the orders waiting. Only lab attendants change anything.
    LabDesk => [Lab, Admin];
    /// Who reads health records: the lab that keeps them, doctors and admins.
    LabReaders => [Lab, Doctor, Admin];
    /// The front desk and doctors: who sees schedules, closes days, blocks slots and runs the queue (a doctor
    /// only their own).
    FrontDeskAndDoctors => [Admin, Reception, Doctor];
    /// Who reads consultations and charts, and sets weekly hours (the admin for any doctor, a doctor for their
    /// own): doctors and admins. Only the visit's doctor writes in it (`Doctors`, and
    /// `consult::model::Access`): administration is not a clinical qualification.
    Clinicians => [Doctor, Admin];
    /// Any staff role.
    AnyStaff => [Admin, Doctor, Pharmacist, Lab, Reception];
}

/// A logged-in patient, on their own portal pages, with their audit `Actor`; staff get 403.
pub struct PortalUser {
    pub user: PatientUser,
    pub actor: Actor,
}

impl std::ops::Deref for PortalUser {
    type Target = PatientUser;
    fn deref(&self) -> &PatientUser {
        &self.user
    }
}

impl PortalUser {
    /// The actor sending a creating form with this one-time id (see `db::form_ids`).
    pub fn actor_with_form(&self, form_id: &str) -> Result<Actor, AppError> {
        Ok(self.actor.clone().with_form(form_key(form_id)?))
    }
}

impl FromRequestParts<AppState> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        match CurrentUser::from_request_parts(parts, state).await? {
            CurrentUser::Patient(user) => Ok(PortalUser {
                actor: Actor::patient(&user, &ip),
                user,
            }),
            CurrentUser::Staff(_) => Err(AppError::Forbidden.into_response()),
        }
    }
}

/// A staff user who holds a role in `R` (their own or one an admin gave them), with their audit `Actor`;
/// anyone else gets 403. They act in their own role when `R` has it, otherwise in the first role of `R` they
/// hold, in `R`'s order, and the actor records it.
pub struct Staff<R: RoleSet> {
    pub user: StaffUser,
    /// Who to write in the audit log for what this request does.
    pub actor: Actor,
    /// The role this request is done in.
    pub acting_role: Role,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> Staff<R> {
    /// The actor sending a creating form with this one-time id (see `db::form_ids`).
    pub fn actor_with_form(&self, form_id: &str) -> Result<Actor, AppError> {
        Ok(self.actor.clone().with_form(form_key(form_id)?))
    }

    /// Whose records this user works on: acting as a doctor their own, in any other role any doctor's.
    pub fn scope(&self) -> DoctorScope {
        match self.acting_role {
            Role::Doctor => DoctorScope::Own(self.user.id),
            _ => DoctorScope::Any,
        }
    }
}

impl<R: RoleSet> std::ops::Deref for Staff<R> {
    type Target = StaffUser;
    fn deref(&self) -> &StaffUser {
        &self.user
    }
}

impl<R: RoleSet> FromRequestParts<AppState> for Staff<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let CurrentUser::Staff(user) = CurrentUser::from_request_parts(parts, state).await? else {
            return Err(AppError::Forbidden.into_response());
        };
        let own = R::ROLES.contains(&user.role).then_some(user.role);
        match own.or_else(|| user.roles().first_of(R::ROLES)) {
            Some(role) => Ok(Staff {
                actor: Actor::staff(&user, &ip).acting_as(role),
                acting_role: role,
                user,
                _roles: PhantomData,
            }),
            None => Err(AppError::Forbidden.into_response()),
        }
    }
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when the clinic runs
/// Sickbay behind its own proxy and said so (`--trust-proxy`).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.trust_proxy {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return Ok(ClientIp(ip.to_string()));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(ClientIp(peer.unwrap_or_else(|| "unknown".to_owned())))
    }
}

/// Middleware for every page that needs a login: resolves the session's principal to a current,
/// active account, or sends the browser to the login page.
pub async fn require_login(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let hx = HxRequest::from_headers(request.headers());
    let principal = match session.get::<Principal>(PRINCIPAL_KEY).await {
        Ok(principal) => principal,
        Err(err) => return AppError::from(err).into_response(),
    };
    let Some(principal) = principal else {
        return redirect(hx, &login_path(&request));
    };
    let current = match resolve(&state, principal).await {
        Ok(Some(current)) => current,
        Ok(None) => {
            // Deactivated, password reset elsewhere, or deleted: this session is over.
            if let Err(err) = session.flush().await {
                return AppError::from(err).into_response();
            }
            return redirect(hx, "/login?ended=1");
        }
        Err(err) => return AppError::from(err).into_response(),
    };
    if current.must_change_password() && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&request.uri().path()) {
        return redirect(hx, "/account/password");
    }
    request.extensions_mut().insert(current.clone());
    let mut response = next.run(request).await;
    // The error-page renderer runs outside this layer and shows the user's menu from this.
    response.extensions_mut().insert(current);
    response
}

/// The active account behind a principal whose session version is still current.
async fn resolve(state: &AppState, principal: Principal) -> Result<Option<CurrentUser>, sqlx::Error> {
    Ok(match principal {
        Principal::Staff { id, version } => identity_repo::find_staff(&state.db, id)
            .await?
            .filter(|user| user.active && user.session_version == version)
            .map(CurrentUser::Staff),
        Principal::Patient { id, version } => identity_repo::find_patient(&state.db, id)
            .await?
            .filter(|user| user.active && user.session_version == version)
            .map(CurrentUser::Patient),
    })
}

/// `/login`, remembering where a plain page request was going.
fn login_path(request: &Request) -> String {
    let is_page = request.method() == axum::http::Method::GET && !HxRequest::from_headers(request.headers()).0;
    match request.uri().path_and_query() {
        Some(target) if is_page && target.as_str() != "/" => {
            format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(target.as_str().as_bytes()).collect::<String>()
            )
        }
        _ => "/login".to_owned(),
    }
}

/// A local path to return to after login, or `None` for anything that could leave the site: one leading
/// `/` not followed by `/` or `\`, and no whitespace or control character anywhere (browsers drop tabs and
/// newlines from URLs, so `/\t/evil.example` would become `//evil.example`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let after_slash = next.strip_prefix('/')?;
    let leaves_site = after_slash.starts_with(['/', '\\']) || next.contains('\\') || next.contains("://");
    let unsafe_char = next.chars().any(|c| c.is_whitespace() || c.is_control());
    (!leaves_site && !unsafe_char).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_site() {
        assert_eq!(
            safe_next(Some("/admin/staff?page=2")).as_deref(),
            Some("/admin/staff?page=2")
        );
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("admin")), None);
        assert_eq!(safe_next(None), None);
        for hostile in [
            "/\t/evil.example/",
            "/\n/x",
            "/\r\n/x",
            "/ /evil",
            " /admin",
            "/a\u{7f}b",
            "/\u{a0}/x",
        ] {
            assert_eq!(safe_next(Some(hostile)), None, "{hostile:?}");
        }
    }
}
