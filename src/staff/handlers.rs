use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::{Admins, Doctors, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::HxRequest;
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::paging::{ListQuery, Pager, Paging, search_page_link};
use crate::web::{AppError, AppResult, IdPath, IdsPath, PathSegment};
use sickbay_core::auth::password;
use sickbay_core::db::Timestamp;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{Actor, Role};
use sickbay_core::staff::model::{
    DoctorProfile, ExtraRole, NewStaff, ProfileInput, StaffAccount, StaffDetails, grantable_roles,
};
use sickbay_core::staff::repo;
use sickbay_core::staff::service;
use sickbay_core::validation::FieldErrors;

const REVEAL_KEY: &str = "revealed_password";

/// A generated password, kept in the session between the POST that made it and the one page that shows it.
#[derive(Serialize, Deserialize)]
struct RevealedPassword {
    staff_id: i64,
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/list.html", blocks = ["results"])]
pub struct ListPage {
    layout: Layout,
    search: String,
    accounts: Vec<StaffAccount>,
    paging: Paging,
}

impl ListPage {
    fn pager(&self) -> Pager {
        self.paging.pager(("account", "accounts"), |page| {
            search_page_link("/admin/staff", &self.search, page)
        })
    }
}

pub async fn list(
    _admin: Staff<Admins>,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let search = query.search();
    let page = query.page();
    let (accounts, total) = repo::search(state.db.conn().await?, &search, page).await?;
    let list = ListPage {
        layout,
        search,
        accounts,
        paging: Paging::new(page, total),
    };
    if hx.0 {
        Ok(Html(list.as_results().render()?).into_response())
    } else {
        Ok(list.into_response())
    }
}

/// The create form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// The new-account form's one-time id (`db::form_ids`).
    #[serde(default)]
    form_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/new.html")]
pub struct NewPage {
    layout: Layout,
    form: StaffForm,
    errors: FieldErrors,
    roles: &'static [Role],
}

pub async fn new_form(_admin: Staff<Admins>, layout: Layout) -> NewPage {
    NewPage {
        layout,
        form: StaffForm {
            form_id: FormKey::mint().to_string(),
            ..StaffForm::default()
        },
        errors: FieldErrors::default(),
        roles: Role::ALL,
    }
}

pub async fn create(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<StaffForm>,
) -> AppResult<Response> {
    let form_again = |layout, form, errors| {
        invalid(NewPage {
            layout,
            form,
            errors,
            roles: Role::ALL,
        })
    };
    let new = match NewStaff::validate(&form.username, &form.full_name, &form.email, &form.role) {
        Ok(new) => new,
        Err(errors) => return Ok(form_again(layout, form, errors)),
    };
    let generated = password::generate();
    let actor = admin.actor_with_form(&form.form_id)?;
    match service::create_from_form(&state.db, &actor, &new, &generated, true).await {
        // The same form sent again: the same account and message; the one-time password shown is the first
        // one, still waiting in the session.
        Ok((id, false)) => {
            flash(&session, FlashKind::Success, created_message(&new)).await?;
            Ok(Redirect::to(&format!("/admin/staff/{id}")).into_response())
        }
        Ok((id, true)) => {
            session
                .insert(
                    REVEAL_KEY,
                    RevealedPassword {
                        staff_id: id,
                        password: generated,
                    },
                )
                .await?;
            flash(&session, FlashKind::Success, created_message(&new)).await?;
            Ok(Redirect::to(&format!("/admin/staff/{id}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(form_again(layout, form, errors)),
        Err(err) => Err(err.into()),
    }
}

fn created_message(new: &NewStaff) -> String {
    format!("Account {} created.", new.username.as_str())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/show.html")]
pub struct ShowPage {
    layout: Layout,
    account: StaffAccount,
    form: StaffForm,
    errors: FieldErrors,
    roles: &'static [Role],
    revealed_password: Option<String>,
    is_self: bool,
    /// A doctor's profile form (none for other roles).
    profile: Option<ProfileForm>,
    profile_errors: FieldErrors,
    /// The roles the account holds beside its own, and those it may still be given.
    extra_roles: Vec<ExtraRole>,
    grantable: Vec<Role>,
    /// The role the "give another role" form sent, and its error.
    extra_role: String,
    extra_errors: FieldErrors,
}

impl ShowPage {
    fn new(layout: Layout, account: StaffAccount, admin_id: i64) -> Self {
        let form = StaffForm {
            username: account.username.clone(),
            full_name: account.full_name.clone(),
            email: account.email.clone().unwrap_or_default(),
            role: account.role.as_str().to_owned(),
            form_id: String::new(),
        };
        let is_self = account.id == admin_id;
        ShowPage {
            layout,
            account,
            form,
            errors: FieldErrors::default(),
            roles: Role::ALL,
            revealed_password: None,
            is_self,
            profile: None,
            profile_errors: FieldErrors::default(),
            extra_roles: Vec::new(),
            grantable: Vec::new(),
            extra_role: String::new(),
            extra_errors: FieldErrors::default(),
        }
    }

    /// The page of `account` as stored: its profile (a doctor's), its extra roles and the roles it may be given.
    async fn stored(state: &AppState, layout: Layout, account: StaffAccount, admin_id: i64) -> AppResult<Self> {
        ShowPage::new(layout, account, admin_id)
            .with_profile(state)
            .await?
            .with_roles(state)
            .await
    }

    /// The page with the account's extra roles and the roles it may still be given.
    async fn with_roles(mut self, state: &AppState) -> AppResult<Self> {
        self.extra_roles = service::extra_roles(&state.db, self.account.id).await?;
        let held = self.extra_roles.iter().map(|extra| extra.role).collect();
        self.grantable = grantable_roles(self.account.role, held);
        Ok(self)
    }

    fn is_extra_role(&self, role: &Role) -> bool {
        self.extra_role == role.as_str()
    }

    /// The form that takes `extra` back.
    fn revoke_action(&self, extra: &ExtraRole) -> String {
        format!("/admin/staff/{}/roles/{}/remove", self.account.id, extra.role)
    }

    /// The page with the account's profile form, for a doctor.
    async fn with_profile(mut self, state: &AppState) -> AppResult<Self> {
        self.profile = sickbay_core::staff::service::profile(&state.db, self.account.id)
            .await?
            .map(|p| ProfileForm::from(&p));
        Ok(self)
    }
}

impl ShowPage {
    fn deactivate_confirmation(&self) -> Confirmation {
        deactivate_confirmation(&self.account)
    }

    fn reset_confirmation(&self) -> Confirmation {
        reset_confirmation(&self.account)
    }
}

/// What the admin is asked before deactivating an account.
fn deactivate_confirmation(account: &StaffAccount) -> Confirmation {
    let name = &account.full_name;
    Confirmation {
        action: format!("/admin/staff/{}/deactivate", account.id),
        question: format!("Deactivate {name}?"),
        detail: format!(
            "{name} is logged out at once and can't log in until an administrator reactivates the account. \
             Their records stay."
        ),
        button: format!("Deactivate {name}"),
    }
}

/// What the admin is asked before resetting an account's password.
fn reset_confirmation(account: &StaffAccount) -> Confirmation {
    let name = &account.full_name;
    Confirmation {
        action: format!("/admin/staff/{}/reset-password", account.id),
        question: format!("Reset the password of {name}?"),
        detail: format!(
            "{name}'s current password stops working. Sickbay shows you a one-time password to give them; \
             they choose a new one when they log in."
        ),
        button: format!("Reset {name}'s password"),
    }
}

/// The confirmation pages of deactivating and resetting, for browsers without JavaScript.
pub async fn confirm_deactivate(_admin: Staff<Admins>, id: IdPath, page: Page) -> AppResult<ConfirmPage> {
    confirm(id, page, deactivate_confirmation).await
}

pub async fn confirm_reset_password(_admin: Staff<Admins>, id: IdPath, page: Page) -> AppResult<ConfirmPage> {
    confirm(id, page, reset_confirmation).await
}

async fn confirm(
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
    confirmation: fn(&StaffAccount) -> Confirmation,
) -> AppResult<ConfirmPage> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(ConfirmPage::new(
        layout,
        confirmation(&account),
        format!("/admin/staff/{id}"),
    ))
}

pub async fn show(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
) -> AppResult<ShowPage> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut page = ShowPage::stored(&state, layout, account, admin.id).await?;
    if let Some(revealed) = session.remove::<RevealedPassword>(REVEAL_KEY).await?
        && revealed.staff_id == id
    {
        page.revealed_password = Some(revealed.password);
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// The `updated_at` the form was loaded with, to refuse a stale edit.
    version: i64,
}

pub async fn update(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<EditForm>,
) -> AppResult<Response> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let details = match StaffDetails::validate(&form.full_name, &form.email, &form.role) {
        Ok(details) => details,
        Err(errors) => {
            let mut page = ShowPage::stored(&state, layout, account, admin.id).await?;
            page.form = StaffForm {
                username: page.form.username,
                full_name: form.full_name,
                email: form.email,
                role: form.role,
                form_id: String::new(),
            };
            page.errors = errors;
            return Ok(invalid(page));
        }
    };
    let actor = &admin.actor;
    service::update(&state.db, actor, id, Timestamp(form.version), &details).await?;
    flash(&session, FlashKind::Success, "Changes saved.").await?;
    Ok(Redirect::to(&format!("/admin/staff/{id}")).into_response())
}

/// The "give another role" form.
#[derive(Debug, Default, Deserialize)]
pub struct ExtraRoleForm {
    #[serde(default)]
    extra_role: String,
}

/// Gives the account another role beside its own (audited); its sessions go on, with the role from their next
/// request.
pub async fn grant_role(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<ExtraRoleForm>,
) -> AppResult<Response> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    match service::grant_role(&state.db, &admin.actor, admin.id, id, &form.extra_role).await {
        Ok((role, given)) => {
            let message = match given {
                true => format!("{} can now do {} work too.", account.full_name, role_work(role)),
                false => format!("{} holds this role already.", account.full_name),
            };
            flash(&session, FlashKind::Success, message).await?;
            Ok(Redirect::to(&format!("/admin/staff/{id}#roles")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut page = ShowPage::stored(&state, layout, account, admin.id).await?;
            page.extra_role = form.extra_role;
            page.extra_errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

/// Takes an extra role back (audited): the account's next request no longer holds it; nothing else ends.
pub async fn revoke_role(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdsPath(id, role): IdsPath<Role>,
    session: Session,
) -> AppResult<Redirect> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let message = match service::revoke_role(&state.db, &admin.actor, id, role).await? {
        true => format!("{} no longer does {} work.", account.full_name, role_work(role)),
        false => format!("{} did not hold this role.", account.full_name),
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&format!("/admin/staff/{id}#roles")))
}

/// "a lab attendant's", for the messages about an extra role.
fn role_work(role: Role) -> String {
    format!("a {}'s", role.label().to_lowercase())
}

pub async fn deactivate(
    admin: Staff<Admins>,
    state: State<AppState>,
    id: IdPath,
    session: Session,
) -> AppResult<Redirect> {
    change_active(admin, state, id, session, false).await
}

pub async fn reactivate(
    admin: Staff<Admins>,
    state: State<AppState>,
    id: IdPath,
    session: Session,
) -> AppResult<Redirect> {
    change_active(admin, state, id, session, true).await
}

async fn change_active(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    active: bool,
) -> AppResult<Redirect> {
    let actor = &admin.actor;
    service::set_active(&state.db, actor, id, active).await?;
    let message = if active {
        "Account reactivated."
    } else {
        "Account deactivated; its sessions have ended."
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&format!("/admin/staff/{id}")))
}

pub async fn reset_password(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let generated = password::generate();
    let actor = &admin.actor;
    service::reset_password(&state.db, actor, id, &generated).await?;
    session
        .insert(
            REVEAL_KEY,
            RevealedPassword {
                staff_id: id,
                password: generated,
            },
        )
        .await?;
    flash(
        &session,
        FlashKind::Success,
        "Password reset. The account must choose a new one at next login.",
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/staff/{id}")))
}

/// A doctor's profile as typed: what patients read when they pick a doctor.
#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    qualifications: String,
    #[serde(default)]
    profile_note: String,
}

impl From<&DoctorProfile> for ProfileForm {
    fn from(p: &DoctorProfile) -> Self {
        ProfileForm {
            specialty: p.specialty.clone(),
            qualifications: p.qualifications.clone(),
            profile_note: p.profile_note.clone(),
        }
    }
}

impl ProfileForm {
    fn validate(&self) -> Result<ProfileInput, FieldErrors> {
        ProfileInput::validate(&self.specialty, &self.qualifications, &self.profile_note)
    }
}

async fn save_profile(
    state: &AppState,
    actor: &Actor,
    doctor_id: i64,
    input: &ProfileInput,
) -> Result<(), ServiceError> {
    service::update_profile(&state.db, actor, doctor_id, input).await?;
    Ok(())
}

/// The admin edits a doctor's profile from the account's page.
pub async fn update_profile(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let account = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let result = match form.validate() {
        Ok(input) => save_profile(&state, &admin.actor, id, &input).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            flash(&session, FlashKind::Success, "Profile saved.").await?;
            Ok(Redirect::to(&format!("/admin/staff/{id}#profile")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut page = ShowPage::new(layout, account, admin.id).with_roles(&state).await?;
            page.profile = Some(form);
            page.profile_errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/profile.html")]
pub struct OwnProfilePage {
    layout: Layout,
    profile: ProfileForm,
    profile_errors: FieldErrors,
}

/// A doctor's own profile.
pub async fn own_profile(doctor: Staff<Doctors>, Page { state, layout, .. }: Page) -> AppResult<OwnProfilePage> {
    let profile = service::profile(&state.db, doctor.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(OwnProfilePage {
        layout,
        profile: ProfileForm::from(&profile),
        profile_errors: FieldErrors::default(),
    })
}

pub async fn update_own_profile(
    doctor: Staff<Doctors>,
    Page { state, session, layout }: Page,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let result = match form.validate() {
        Ok(input) => save_profile(&state, &doctor.actor, doctor.id, &input).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            flash(
                &session,
                FlashKind::Success,
                "Your profile is saved. Patients see it when they choose a doctor.",
            )
            .await?;
            Ok(Redirect::to("/account/profile").into_response())
        }
        Err(ServiceError::Invalid(profile_errors)) => Ok(invalid(OwnProfilePage {
            layout,
            profile: form,
            profile_errors,
        })),
        Err(err) => Err(err.into()),
    }
}

impl PathSegment for Role {
    fn from_segment(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}
