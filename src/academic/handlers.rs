use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
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
use sickbay_core::identity::Actor;
use sickbay_core::validation::FieldErrors;

/// One kind's add-and-edit form: how it validates itself, what the service does with it and where a page
/// shows it again with its errors. One generic handler per action then serves all four kinds.
pub trait RecordForm: DeserializeOwned + Send + 'static {
    const KIND: Kind;
    type Input: Send + Sync;
    type Page: EditPage<Self>;

    fn validate(&self) -> Result<Self::Input, FieldErrors>;
    /// The record's name, for the message after an add.
    fn name_of(input: &Self::Input) -> &str;
    fn form_id(&self) -> &str;
    fn version(&self) -> Option<i64>;
    fn create(db: &Db, actor: &Actor, input: &Self::Input) -> impl Future<Output = Result<i64, ServiceError>> + Send;
    fn update(
        db: &Db,
        actor: &Actor,
        id: i64,
        seen: Timestamp,
        input: &Self::Input,
    ) -> impl Future<Output = Result<(), ServiceError>> + Send;
    /// Puts a refused add form and its errors back on the list page.
    fn refill_index(page: &mut IndexPage, form: Self, errors: FieldErrors);
}

/// A record's edit page, shown again with a refused form.
pub trait EditPage<F>: IntoResponse + Sized + Send {
    fn load(db: &Db, layout: Layout, id: i64) -> impl Future<Output = AppResult<Self>> + Send;
    fn refill(&mut self, seen: Timestamp, form: F, errors: FieldErrors);
}

/// Each form's fields, how they validate, and the service calls and page fields they go with.
macro_rules! record_form {
    (
        $form:ident => $kind:ident, $input:ident, $page:ident,
        validate($($field:ident),+),
        create = $create:path, update = $update:path,
        index = ($index_form:ident, $index_errors:ident)
    ) => {
        impl RecordForm for $form {
            const KIND: Kind = Kind::$kind;
            type Input = $input;
            type Page = $page;

            fn validate(&self) -> Result<$input, FieldErrors> {
                $input::validate($(&self.$field),+)
            }
            fn name_of(input: &$input) -> &str {
                &input.name
            }
            fn form_id(&self) -> &str {
                &self.form_id
            }
            fn version(&self) -> Option<i64> {
                self.version
            }
            fn create(db: &Db, actor: &Actor, input: &$input) -> impl Future<Output = Result<i64, ServiceError>> + Send {
                $create(db, actor, input)
            }
            fn update(
                db: &Db,
                actor: &Actor,
                id: i64,
                seen: Timestamp,
                input: &$input,
            ) -> impl Future<Output = Result<(), ServiceError>> + Send {
                $update(db, actor, id, seen, input)
            }
            fn refill_index(page: &mut IndexPage, form: Self, errors: FieldErrors) {
                page.$index_form = form;
                page.$index_errors = errors;
            }
        }

        impl EditPage<$form> for $page {
            fn load(db: &Db, layout: Layout, id: i64) -> impl Future<Output = AppResult<Self>> + Send {
                $page::load(db, layout, id)
            }
            fn refill(&mut self, seen: Timestamp, form: $form, errors: FieldErrors) {
                self.head.version = seen;
                self.form = form;
                self.errors = errors;
            }
        }
    };
}

record_form! {
    FacultyForm => Faculty, FacultyInput, FacultyPage,
    validate(name, code),
    create = service::create, update = service::update,
    index = (faculty_form, faculty_errors)
}

record_form! {
    DepartmentForm => Department, DepartmentInput, DepartmentPage,
    validate(faculty_id, name, code),
    create = service::create, update = service::update,
    index = (department_form, department_errors)
}

record_form! {
    LevelForm => Level, LevelInput, LevelPage,
    validate(name, sort_order),
    create = service::create, update = service::update,
    index = (level_form, level_errors)
}

record_form! {
    SessionForm => Session, SessionInput, SessionPage,
    validate(name, starts_on, ends_on),
    create = service::create, update = service::update,
    index = (session_form, session_errors)
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
    /// The kind whose list and add form the page shows (one at a time: a university has dozens of departments).
    shown: Kind,
}

/// `?show=departments`: which kind's list the academic data page shows; faculties for anything else.
#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    #[serde(default)]
    show: String,
}

impl IndexPage {
    async fn load(db: &Db, layout: Layout, shown: Kind) -> AppResult<Self> {
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
            shown,
        })
    }

    /// The links to each kind's list, with how many records it holds.
    fn kind_links(&self) -> Vec<(String, String, bool)> {
        Kind::ALL
            .into_iter()
            .map(|kind| {
                let text = format!("{} ({})", kind.plural(), self.count_of(kind));
                (text, kind.list_path(), kind == self.shown)
            })
            .collect()
    }

    fn count_of(&self, kind: Kind) -> usize {
        let options = &self.options;
        match kind {
            Kind::Faculty => options.faculties.len(),
            Kind::Department => options.departments.len(),
            Kind::Level => options.levels.len(),
            Kind::Session => options.sessions.len(),
        }
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

pub async fn index(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<IndexQuery>,
) -> AppResult<IndexPage> {
    let shown = Kind::from_segment(&query.show).unwrap_or(Kind::Faculty);
    IndexPage::load(&state.db, layout, shown).await
}

/// Adds a record: back to the list with a message, or the list again with the form's errors.
pub async fn create<F: RecordForm>(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<F>,
) -> AppResult<Response> {
    let result = match form.validate() {
        Ok(input) => F::create(&state.db, &admin.actor_with_form(form.form_id())?, &input)
            .await
            .map(|_| format!("{} {} added.", F::KIND.label(), F::name_of(&input))),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(message) => {
            flash(&session, FlashKind::Success, message).await?;
            Ok(Redirect::to(&F::KIND.list_path()).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut page = IndexPage::load(&state.db, layout, F::KIND).await?;
            F::refill_index(&mut page, form, errors);
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn show<F: RecordForm>(
    _admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<F::Page> {
    F::Page::load(&state.db, layout, id).await
}

/// Saves an edit: back to the list with a message, or the edit page again with the form's errors.
pub async fn update<F: RecordForm>(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<F>,
) -> AppResult<Response> {
    let seen = seen_version(form.version())?;
    let result = match form.validate() {
        Ok(input) => F::update(&state.db, &admin.actor, id, seen, &input).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(()) => {
            flash(&session, FlashKind::Success, format!("{} saved.", F::KIND.label())).await?;
            Ok(Redirect::to(&F::KIND.list_path()).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut page = F::Page::load(&state.db, layout, id).await?;
            page.refill(seen, form, errors);
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
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
        let usage = repo::usage(db, kind, id).await?;
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

    /// The academic data page showing this kind's list.
    pub fn list_path(&self) -> String {
        self.kind.list_path()
    }

    pub fn section_label(&self) -> &'static str {
        self.kind.plural()
    }

    /// "faculty", "department", ... inside a sentence.
    pub fn noun(&self) -> String {
        self.kind.label().to_lowercase()
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
        let found = repo::get::<FacultyInput>(db, id).await?.ok_or(AppError::NotFound)?;
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
        let found = repo::get::<DepartmentInput>(db, id).await?.ok_or(AppError::NotFound)?;
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
        let found = repo::get::<LevelInput>(db, id).await?.ok_or(AppError::NotFound)?;
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
        let found = repo::get::<SessionInput>(db, id).await?.ok_or(AppError::NotFound)?;
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

pub async fn deactivate<K: RecordForm>(
    admin: Staff<Admins>,
    state: State<AppState>,
    id: IdPath,
    session: Session,
) -> AppResult<Redirect> {
    change_active(admin, state, id, session, K::KIND, false).await
}

pub async fn reactivate<K: RecordForm>(
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

pub async fn delete<K: RecordForm>(
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
    Ok(Redirect::to(&K::KIND.list_path()))
}

pub async fn make_current(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    service::make_current(&state.db, &admin.actor, id).await?;
    flash(&session, FlashKind::Success, "Current session changed.").await?;
    Ok(Redirect::to(&Kind::Session.list_path()))
}
