use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::form::{Form, invalid};
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::academic::model::{
    AcademicOptions, AcademicSession, Department, DepartmentInput, Faculty, FacultyInput, Kind, Level, LevelInput,
    SessionInput, Usage,
};
use sickbay_core::academic::repo;
use sickbay_core::academic::service;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Db, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::validation::FieldErrors;

pub const INDEX_PATH: &str = "/admin/academic";

/// A kind of record as a type, so one generic handler serves the routes of all four.
pub trait KindOf: Send + Sync + 'static {
    const KIND: Kind;
}

macro_rules! kinds {
    ($($name:ident => $kind:ident),+ $(,)?) => {
        $(pub struct $name; impl KindOf for $name { const KIND: Kind = Kind::$kind; })+
    };
}

kinds! {
    Faculties => Faculty,
    Departments => Department,
    Levels => Level,
    Sessions => Session,
}

/// The faculty form, as typed. `version` comes only with an edit.
#[derive(Debug, Default, Deserialize)]
pub struct FacultyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    version: Option<i64>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    form_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DepartmentForm {
    #[serde(default)]
    faculty_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    version: Option<i64>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    form_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sort_order: String,
    version: Option<i64>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    form_id: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    version: Option<i64>,
    /// The add form's one-time id (`db::form_ids`).
    #[serde(default)]
    form_id: String,
}

/// The `updated_at` an edit form was loaded with, to refuse a stale edit.
fn seen_version(version: Option<i64>) -> AppResult<Timestamp> {
    version
        .map(Timestamp)
        .ok_or_else(|| AppError::BadRequest("The form is incomplete: it has no version. Reload the page.".into()))
}

/// Active faculties for a department's faculty list, plus the department's own one when it is deactivated.
fn faculty_choices(options: &AcademicOptions, keep: Option<i64>) -> Vec<Faculty> {
    options
        .faculties
        .iter()
        .filter(|f| f.active || Some(f.id) == keep)
        .cloned()
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "academic/index.html")]
pub struct IndexPage {
    layout: Layout,
    options: AcademicOptions,
    faculty_choices: Vec<Faculty>,
    faculty_form: FacultyForm,
    faculty_errors: FieldErrors,
    department_form: DepartmentForm,
    department_errors: FieldErrors,
    level_form: LevelForm,
    level_errors: FieldErrors,
    session_form: SessionForm,
    session_errors: FieldErrors,
    /// The add forms' one-time id (each form claims it for its own action).
    form_id: FormKey,
}

impl IndexPage {
    async fn load(db: &Db, layout: Layout) -> AppResult<Self> {
        let options = service::options(db).await?;
        Ok(IndexPage {
            layout,
            faculty_choices: faculty_choices(&options, None),
            options,
            faculty_form: FacultyForm::default(),
            faculty_errors: FieldErrors::default(),
            department_form: DepartmentForm::default(),
            department_errors: FieldErrors::default(),
            level_form: LevelForm::default(),
            level_errors: FieldErrors::default(),
            session_form: SessionForm::default(),
            session_errors: FieldErrors::default(),
            form_id: FormKey::mint(),
        })
    }

    /// Departments ordered by their faculty's name, then their own.
    fn departments(&self) -> Vec<&Department> {
        let mut departments: Vec<&Department> = self.options.departments.iter().collect();
        departments.sort_by(|a, b| (self.faculty_of(a), &a.name).cmp(&(self.faculty_of(b), &b.name)));
        departments
    }

    fn faculty_of(&self, department: &Department) -> &str {
        self.options.faculty_name(Some(department.faculty_id)).unwrap_or("—")
    }
}

pub async fn index(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<IndexPage> {
    IndexPage::load(&state.db, layout).await
}

/// After a create: back to the list with a message, or the list again with the form's errors.
async fn after_create(
    state: &AppState,
    session: &Session,
    layout: Layout,
    result: Result<String, ServiceError>,
    show_errors: impl FnOnce(&mut IndexPage, FieldErrors),
) -> AppResult<Response> {
    match result {
        Ok(message) => {
            flash(session, FlashKind::Success, message).await?;
            Ok(Redirect::to(INDEX_PATH).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut page = IndexPage::load(&state.db, layout).await?;
            show_errors(&mut page, errors);
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn create_faculty(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<FacultyForm>,
) -> AppResult<Response> {
    let result = match FacultyInput::validate(&form.name, &form.code) {
        Ok(faculty) => service::create_faculty(&state.db, &admin.actor_with_form(&form.form_id)?, &faculty)
            .await
            .map(|_| format!("Faculty {} added.", faculty.name)),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    after_create(&state, &session, layout, result, |page, errors| {
        page.faculty_form = form;
        page.faculty_errors = errors;
    })
    .await
}

pub async fn create_department(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<DepartmentForm>,
) -> AppResult<Response> {
    let result = match DepartmentInput::validate(&form.faculty_id, &form.name, &form.code) {
        Ok(department) => service::create_department(&state.db, &admin.actor_with_form(&form.form_id)?, &department)
            .await
            .map(|_| format!("Department {} added.", department.name)),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    after_create(&state, &session, layout, result, |page, errors| {
        page.department_form = form;
        page.department_errors = errors;
    })
    .await
}

pub async fn create_level(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<LevelForm>,
) -> AppResult<Response> {
    let result = match LevelInput::validate(&form.name, &form.sort_order) {
        Ok(level) => service::create_level(&state.db, &admin.actor_with_form(&form.form_id)?, &level)
            .await
            .map(|_| format!("Level {} added.", level.name)),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    after_create(&state, &session, layout, result, |page, errors| {
        page.level_form = form;
        page.level_errors = errors;
    })
    .await
}

pub async fn create_session(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    layout: Layout,
    Form(form): Form<SessionForm>,
) -> AppResult<Response> {
    let result = match SessionInput::validate(&form.name, &form.starts_on, &form.ends_on) {
        Ok(input) => service::create_session(&state.db, &admin.actor_with_form(&form.form_id)?, &input)
            .await
            .map(|_| format!("Session {} added.", input.name)),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    after_create(&state, &session, layout, result, |page, errors| {
        page.session_form = form;
        page.session_errors = errors;
    })
    .await
}

/// What each edit page shows beside its form: the record's path, state and users.
pub struct RecordHead {
    kind: Kind,
    id: i64,
    active: bool,
    usage: Usage,
    version: Timestamp,
}

impl RecordHead {
    async fn load(db: &Db, kind: Kind, id: i64, active: bool, version: Timestamp) -> AppResult<Self> {
        let mut conn = db.conn().await?;
        let usage = repo::usage(&mut conn, kind, id).await?;
        Ok(RecordHead {
            kind,
            id,
            active,
            usage,
            version,
        })
    }

    pub fn path(&self) -> String {
        self.kind.path(self.id)
    }

    pub fn used_by(&self) -> String {
        self.usage.describe().map_or_else(
            || "Nothing uses it yet; it can be deleted.".to_owned(),
            |users| format!("Used by {users}."),
        )
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "academic/faculty.html")]
pub struct FacultyPage {
    layout: Layout,
    head: RecordHead,
    faculty: Faculty,
    form: FacultyForm,
    errors: FieldErrors,
}

impl FacultyPage {
    async fn load(db: &Db, layout: Layout, id: i64) -> AppResult<Self> {
        let found = repo::get_faculty(db, id).await?.ok_or(AppError::NotFound)?;
        let faculty = found.record;
        Ok(FacultyPage {
            layout,
            head: RecordHead::load(db, Kind::Faculty, id, faculty.active, found.updated_at).await?,
            form: FacultyForm {
                name: faculty.name.clone(),
                code: faculty.code.clone(),
                version: None,
                form_id: String::new(),
            },
            faculty,
            errors: FieldErrors::default(),
        })
    }
}

pub async fn show_faculty(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<FacultyPage> {
    FacultyPage::load(&state.db, layout, id).await
}

/// After an edit: back to the list with a message. Invalid input is handled by the caller.
async fn saved(session: &Session, kind: Kind) -> AppResult<Response> {
    flash(session, FlashKind::Success, format!("{} saved.", kind.label())).await?;
    Ok(Redirect::to(INDEX_PATH).into_response())
}

pub async fn update_faculty(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<FacultyForm>,
) -> AppResult<Response> {
    let seen = seen_version(form.version)?;
    let result = match FacultyInput::validate(&form.name, &form.code) {
        Ok(faculty) => service::update_faculty(&state.db, &admin.actor, id, seen, &faculty).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => saved(&session, Kind::Faculty).await,
        Err(ServiceError::Invalid(errors)) => {
            let mut page = FacultyPage::load(&state.db, layout, id).await?;
            page.head.version = seen;
            page.form = form;
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "academic/department.html")]
pub struct DepartmentPage {
    layout: Layout,
    head: RecordHead,
    department: Department,
    faculty_name: String,
    faculty_choices: Vec<Faculty>,
    form: DepartmentForm,
    errors: FieldErrors,
}

impl DepartmentPage {
    async fn load(db: &Db, layout: Layout, id: i64) -> AppResult<Self> {
        let found = repo::get_department(db, id).await?.ok_or(AppError::NotFound)?;
        let department = found.record;
        let options = repo::options(db).await?;
        Ok(DepartmentPage {
            layout,
            head: RecordHead::load(db, Kind::Department, id, department.active, found.updated_at).await?,
            faculty_name: options
                .faculty_name(Some(department.faculty_id))
                .unwrap_or_default()
                .to_owned(),
            faculty_choices: faculty_choices(&options, Some(department.faculty_id)),
            form: DepartmentForm {
                faculty_id: department.faculty_id.to_string(),
                name: department.name.clone(),
                code: department.code.clone(),
                version: None,
                form_id: String::new(),
            },
            department,
            errors: FieldErrors::default(),
        })
    }
}

pub async fn show_department(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<DepartmentPage> {
    DepartmentPage::load(&state.db, layout, id).await
}

pub async fn update_department(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<DepartmentForm>,
) -> AppResult<Response> {
    let seen = seen_version(form.version)?;
    let result = match DepartmentInput::validate(&form.faculty_id, &form.name, &form.code) {
        Ok(department) => service::update_department(&state.db, &admin.actor, id, seen, &department).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => saved(&session, Kind::Department).await,
        Err(ServiceError::Invalid(errors)) => {
            let mut page = DepartmentPage::load(&state.db, layout, id).await?;
            page.head.version = seen;
            page.form = form;
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "academic/level.html")]
pub struct LevelPage {
    layout: Layout,
    head: RecordHead,
    level: Level,
    form: LevelForm,
    errors: FieldErrors,
}

impl LevelPage {
    async fn load(db: &Db, layout: Layout, id: i64) -> AppResult<Self> {
        let found = repo::get_level(db, id).await?.ok_or(AppError::NotFound)?;
        let level = found.record;
        Ok(LevelPage {
            layout,
            head: RecordHead::load(db, Kind::Level, id, level.active, found.updated_at).await?,
            form: LevelForm {
                name: level.name.clone(),
                sort_order: level.sort_order.to_string(),
                version: None,
                form_id: String::new(),
            },
            level,
            errors: FieldErrors::default(),
        })
    }
}

pub async fn show_level(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<LevelPage> {
    LevelPage::load(&state.db, layout, id).await
}

pub async fn update_level(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<LevelForm>,
) -> AppResult<Response> {
    let seen = seen_version(form.version)?;
    let result = match LevelInput::validate(&form.name, &form.sort_order) {
        Ok(level) => service::update_level(&state.db, &admin.actor, id, seen, &level).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => saved(&session, Kind::Level).await,
        Err(ServiceError::Invalid(errors)) => {
            let mut page = LevelPage::load(&state.db, layout, id).await?;
            page.head.version = seen;
            page.form = form;
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "academic/session.html")]
pub struct SessionPage {
    layout: Layout,
    head: RecordHead,
    session: AcademicSession,
    form: SessionForm,
    errors: FieldErrors,
}

impl SessionPage {
    async fn load(db: &Db, layout: Layout, id: i64) -> AppResult<Self> {
        let found = repo::get_session(db, id).await?.ok_or(AppError::NotFound)?;
        let session = found.record;
        Ok(SessionPage {
            layout,
            head: RecordHead::load(db, Kind::Session, id, session.active, found.updated_at).await?,
            form: SessionForm {
                name: session.name.clone(),
                starts_on: session.starts_on.to_string(),
                ends_on: session.ends_on.to_string(),
                version: None,
                form_id: String::new(),
            },
            session,
            errors: FieldErrors::default(),
        })
    }
}

pub async fn show_session(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    layout: Layout,
) -> AppResult<SessionPage> {
    SessionPage::load(&state.db, layout, id).await
}

pub async fn update_session(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    layout: Layout,
    Form(form): Form<SessionForm>,
) -> AppResult<Response> {
    let seen = seen_version(form.version)?;
    let result = match SessionInput::validate(&form.name, &form.starts_on, &form.ends_on) {
        Ok(input) => service::update_session(&state.db, &admin.actor, id, seen, &input).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => saved(&session, Kind::Session).await,
        Err(ServiceError::Invalid(errors)) => {
            let mut page = SessionPage::load(&state.db, layout, id).await?;
            page.head.version = seen;
            page.form = form;
            page.errors = errors;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn deactivate<K: KindOf>(
    admin: Staff<Admins>,
    state: State<AppState>,
    id: IdPath,
    session: Session,
) -> AppResult<Redirect> {
    change_active(admin, state, id, session, K::KIND, false).await
}

pub async fn reactivate<K: KindOf>(
    admin: Staff<Admins>,
    state: State<AppState>,
    id: IdPath,
    session: Session,
) -> AppResult<Redirect> {
    change_active(admin, state, id, session, K::KIND, true).await
}

async fn change_active(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    kind: Kind,
    active: bool,
) -> AppResult<Redirect> {
    service::set_active(&state.db, &admin.actor, kind, id, active).await?;
    let message = if active {
        format!("{} reactivated.", kind.label())
    } else {
        format!(
            "{} deactivated: patients keep it, but forms no longer offer it.",
            kind.label()
        )
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&kind.path(id)))
}

pub async fn delete<K: KindOf>(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let name = service::delete(&state.db, &admin.actor, K::KIND, id).await?;
    flash(
        &session,
        FlashKind::Success,
        format!("{} {name} deleted.", K::KIND.label()),
    )
    .await?;
    Ok(Redirect::to(INDEX_PATH))
}

pub async fn make_current(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    service::make_current(&state.db, &admin.actor, id).await?;
    flash(&session, FlashKind::Success, "Current session changed.").await?;
    Ok(Redirect::to(INDEX_PATH))
}
