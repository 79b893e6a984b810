//! Staff pages: search, register, profile, edit, approve, reset password, card, photo.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{AnyStaff, Clinicians, FrontDesk, RoleSet, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid, seen_version};
use crate::web::htmx::HxRequest;
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::academic::model::{AcademicOptions, StudyNames};
use sickbay_core::auth::password;
use sickbay_core::db::Date;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::patients::model::{
    BloodGroup, Genotype, Patient, PatientDetails, PatientForm, PatientKind, PatientSummary, PortalAccess, Sex,
};
use sickbay_core::patients::repo;
use sickbay_core::patients::service;
use sickbay_core::scheduling::model::AppointmentView;
use sickbay_core::staff::model::Doctor;
use sickbay_core::validation::FieldErrors;

const REVEAL_KEY: &str = "revealed_patient_password";

#[derive(Serialize, Deserialize)]
struct RevealedPassword {
    patient_id: i64,
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/search.html", blocks = ["results"])]
pub struct SearchPage {
    layout: Layout,
    query: String,
    results: Vec<PatientSummary>,
    /// Before anything is typed: the patients who came in today, the latest first.
    arrived: Vec<PatientSummary>,
    can_register: bool,
    today: NaiveDate,
}

impl SearchPage {
    /// The patients listed: the matches of what was typed, or today's arrivals before anything is.
    fn shown(&self) -> &[PatientSummary] {
        match self.query.is_empty() {
            true => &self.arrived,
            false => &self.results,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn search(
    user: Staff<AnyStaff>,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<SearchQuery>,
) -> AppResult<Response> {
    let query: String = query.q.unwrap_or_default().trim().chars().take(100).collect();
    let today = state.settings.get().today();
    let (results, arrived) = match query.is_empty() {
        true => (Vec::new(), service::arrived_on(&state.db, Date(today)).await?),
        false => (service::find(&state.db, &query).await?, Vec::new()),
    };
    let page = SearchPage {
        layout,
        query,
        results,
        arrived,
        can_register: user.holds_any(FrontDesk::ROLES),
        today,
    };
    if hx.0 {
        Ok(Html(page.as_results().render()?).into_response())
    } else {
        Ok(page.into_response())
    }
}

/// The registration and edit form, with its choices.
#[derive(Template, WebTemplate)]
#[template(path = "patients/form.html")]
pub struct FormPage {
    layout: Layout,
    /// `None` when registering a new patient.
    patient: Option<Patient>,
    form: PatientForm,
    errors: FieldErrors,
    duplicates: Vec<PatientSummary>,
    academic: AcademicOptions,
    kinds: &'static [PatientKind],
    sexes: &'static [Sex],
    blood_groups: &'static [BloodGroup],
    genotypes: &'static [Genotype],
}

impl FormPage {
    fn new(layout: Layout, patient: Option<Patient>, form: PatientForm, academic: AcademicOptions) -> Self {
        FormPage {
            layout,
            patient,
            form,
            errors: FieldErrors::default(),
            duplicates: Vec::new(),
            academic,
            kinds: PatientKind::ALL,
            sexes: Sex::ALL,
            blood_groups: BloodGroup::ALL,
            genotypes: Genotype::ALL,
        }
    }

    fn action(&self) -> String {
        self.patient
            .as_ref()
            .map_or_else(|| "/patients/new".to_owned(), |p| format!("/patients/{}/edit", p.id))
    }

    /// Whether an option is the chosen one (`selected`), or offered at all: inactive choices are offered only
    /// when the record already has them.
    fn chosen(&self, value: &str, id: &i64) -> bool {
        value == id.to_string()
    }
}

pub async fn new_form(_user: Staff<FrontDesk>, State(state): State<AppState>, layout: Layout) -> AppResult<FormPage> {
    let academic = sickbay_core::academic::service::options(&state.db).await?;
    let form = PatientForm {
        kind: PatientKind::Student.as_str().to_owned(),
        form_id: FormKey::mint().to_string(),
        ..PatientForm::default()
    };
    Ok(FormPage::new(layout, None, form, academic))
}

pub async fn create(
    user: Staff<FrontDesk>,
    Page { state, session, layout }: Page,
    Form(form): Form<PatientForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    let settings = state.settings.get();
    let academic = sickbay_core::academic::service::options(&state.db).await?;
    let details = match form.validate(&settings.matric_regex(), &academic, settings.today(), [None; 4]) {
        Ok(details) => details,
        Err(errors) => {
            return Ok(invalid(FormPage {
                errors,
                ..FormPage::new(layout, None, form, academic)
            }));
        }
    };
    if form.not_a_duplicate.is_empty() {
        let duplicates = service::possible_duplicates(&state.db, &details).await?;
        if !duplicates.is_empty() {
            // The same form sent twice: the first one's patient is not a duplicate of itself. Asked after the
            // search, so a patient the search found is one whose form id is committed with it.
            if let Some(registered) = service::registered_by_form(&state.db, &actor).await? {
                return registered_answer(&session, &details, registered).await;
            }
            let page = FormPage {
                duplicates,
                ..FormPage::new(layout, None, form, academic)
            };
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    }
    let portal = PortalAccess {
        password_hash: None,
        must_change_password: false,
        approved: true,
    };
    let year = chrono::Datelike::year(&settings.today());
    match service::register(&state.db, &actor, &details, portal, year).await {
        Ok(registered) => registered_answer(&session, &details, registered).await,
        Err(ServiceError::Invalid(errors)) => Ok(invalid(FormPage {
            errors,
            ..FormPage::new(layout, None, form, academic)
        })),
        Err(err) => Err(err.into()),
    }
}

/// The answer to a registration, the first time and when the same form comes again.
async fn registered_answer(
    session: &Session,
    details: &PatientDetails,
    (id, number): (i64, String),
) -> AppResult<Response> {
    let message = format!("Registered {} {} as {number}.", details.first_name, details.surname);
    flash(session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&format!("/patients/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/profile.html")]
pub struct ProfilePage {
    layout: Layout,
    patient: Patient,
    studies: StudyNames,
    age: Option<u32>,
    can_edit: bool,
    can_reset_password: bool,
    revealed_password: Option<String>,
    appointments: Vec<AppointmentView>,
    /// The patient's open queue ticket: its code and status.
    ticket: Option<(String, &'static str)>,
    /// For reception: the queues a walk-in can join, and the walk-in form's one-time id.
    doctors: Vec<Doctor>,
    /// The queue page of the viewer's role, if it has one.
    queue_link: Option<&'static str>,
    walk_in_form_id: FormKey,
    /// For doctors and admins: the patient's latest visits; `can_start_visit` for doctors ("New visit").
    visits: Vec<sickbay_core::consult::model::VisitLine>,
    can_start_visit: bool,
    viewer_id: i64,
    /// The patient's documents, for the roles that read them.
    documents_link: Option<String>,
    /// For the lab, doctors and admins: the link to the patient's health records.
    show_health_records: bool,
    /// For the cash desk: the patient's invoices, what they owe and their scheme.
    billing: Option<sickbay_core::billing::service::PatientBilling>,
    /// For admins: the audit trail's reads of this record ("who looked at it").
    reads_link: Option<String>,
}

impl ProfilePage {
    /// The patient's visits open with other doctors, told beside "New visit".
    fn open_with_others(&self) -> impl Iterator<Item = &sickbay_core::consult::model::VisitLine> {
        self.visits.iter().filter(|v| v.open_with_another(self.viewer_id))
    }
}

pub async fn profile(
    user: Staff<AnyStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
) -> AppResult<ProfilePage> {
    let patient = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::record_view(&state.reads, &user.actor, id, "patient.view").await?;
    let mut revealed_password = None;
    if let Some(revealed) = session.remove::<RevealedPassword>(REVEAL_KEY).await?
        && revealed.patient_id == id
    {
        revealed_password = Some(revealed.password);
    }
    // The rest on one connection, taken once the audit row (which needs one of its own) is written.
    let mut conn = state.db.conn().await?;
    let settings = state.settings.get();
    let studies = sickbay_core::academic::service::names(&mut conn, patient.study_ids()).await?;
    let can_edit = user.holds_any(FrontDesk::ROLES);
    let ticket = sickbay_core::queue::service::open_ticket_of(&mut conn, id)
        .await?
        .map(|t| (t.code, t.status.label()));
    let doctors = match can_edit {
        true => sickbay_core::staff::service::active_doctors(&mut conn).await?,
        false => Vec::new(),
    };
    let patient_active = patient.active;
    Ok(ProfilePage {
        documents_link: crate::documents::patient_link(user.roles(), id),
        reads_link: crate::audit::patient_reads_link(user.role, id),
        show_health_records: sickbay_core::lab::service::may_read_health_records(&user),
        layout,
        age: patient.age_on(settings.today()),
        patient,
        studies,
        can_edit,
        can_reset_password: user.holds_any(FrontDesk::ROLES),
        revealed_password,
        appointments: sickbay_core::scheduling::service::appointments_of_patient(&mut conn, id).await?,
        ticket,
        doctors,
        queue_link: user.role.queue_path().or_else(|| {
            user.extra_roles
                .iter()
                .find_map(sickbay_core::identity::Role::queue_path)
        }),
        walk_in_form_id: FormKey::mint(),
        visits: match user.holds_any(Clinicians::ROLES) {
            true => sickbay_core::consult::service::visits_of_patient(&mut conn, id, 10).await?,
            false => Vec::new(),
        },
        can_start_visit: user.role == sickbay_core::identity::Role::Doctor && patient_active,
        viewer_id: user.id,
        billing: match user.holds_any(FrontDesk::ROLES) {
            true => Some(sickbay_core::billing::service::patient_billing(&mut conn, id).await?),
            false => None,
        },
    })
}

pub async fn edit_form(
    user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<FormPage> {
    let patient = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::record_view(&state.reads, &user.actor, id, "patient.view_edit").await?;
    let academic = sickbay_core::academic::service::options(&state.db).await?;
    let form = patient.to_form();
    Ok(FormPage::new(layout, Some(patient), form, academic))
}

pub async fn update(
    user: Staff<FrontDesk>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<PatientForm>,
) -> AppResult<Response> {
    let patient = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let seen = seen_version(&form.version)?;
    let settings = state.settings.get();
    let academic = sickbay_core::academic::service::options(&state.db).await?;
    let keep = [
        patient.faculty_id,
        patient.department_id,
        patient.level_id,
        patient.session_id,
    ];
    let details = match form.validate(&settings.matric_regex(), &academic, settings.today(), keep) {
        Ok(details) => details,
        Err(errors) => {
            return Ok(invalid(FormPage {
                errors,
                ..FormPage::new(layout, Some(patient), form, academic)
            }));
        }
    };
    match service::update(&state.db, &user.actor, id, seen, &details).await {
        Ok(()) => {
            flash(&session, FlashKind::Success, "Changes saved.").await?;
            Ok(Redirect::to(&format!("/patients/{id}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(FormPage {
            errors,
            ..FormPage::new(layout, Some(patient), form, academic)
        })),
        Err(err) => Err(err.into()),
    }
}

pub async fn approve(
    user: Staff<FrontDesk>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::approve(&state.db, &user.actor, id).await?;
    flash(&session, FlashKind::Success, "Portal access approved.").await?;
    Ok(Redirect::to(&format!("/patients/{id}")))
}

/// Sets up or resets portal access: a generated password, shown once, to be changed at first login.
pub async fn reset_password(
    admin: Staff<FrontDesk>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
) -> AppResult<Redirect> {
    let generated = password::generate();
    service::reset_password(&state.db, &admin.actor, id, &generated).await?;
    session
        .insert(
            REVEAL_KEY,
            RevealedPassword {
                patient_id: id,
                password: generated,
            },
        )
        .await?;
    flash(
        &session,
        FlashKind::Success,
        "New portal password set. The patient must change it at first login.",
    )
    .await?;
    Ok(Redirect::to(&format!("/patients/{id}")))
}

/// The clinic card as staff see it (to print one for a patient).
pub async fn card(
    user: Staff<AnyStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<super::portal::CardPage> {
    let patient = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::record_view(&state.reads, &user.actor, id, "patient.view_card").await?;
    Ok(super::portal::CardPage::new(
        layout,
        patient,
        &state.settings.get(),
        format!("/patients/{id}"),
    ))
}

pub async fn qr(user: Staff<AnyStaff>, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Response> {
    let patient = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    service::record_view(&state.reads, &user.actor, id, "patient.view_qr").await?;
    super::portal::qr_response(&patient.clinic_number)
}

pub async fn photo(user: Staff<AnyStaff>, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Response> {
    let response = photo_response(&state, id).await?;
    service::record_view(&state.reads, &user.actor, id, "patient.view_photo").await?;
    Ok(response)
}

/// The stored photo with its type; 404 when there is none.
pub async fn photo_response(state: &AppState, id: i64) -> AppResult<Response> {
    let (mime, data) = repo::photo(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut response = Bytes::from(data).into_response();
    let content_type = HeaderValue::from_str(&mime).map_err(|err| AppError::Internal(err.into()))?;
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

const PHOTO_LIMIT: usize = 1024 * 1024;

/// A JPEG or PNG photo of at most 1 MiB, recognised by its first bytes (not the name the browser sent).
pub async fn upload_photo(
    user: Staff<FrontDesk>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    mut multipart: Multipart,
) -> AppResult<Redirect> {
    let mut upload = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|err| AppError::BadRequest(err.body_text()))?
    {
        if field.name() == Some("photo") {
            upload = Some(
                field
                    .bytes()
                    .await
                    .map_err(|err| AppError::BadRequest(err.body_text()))?,
            );
        }
    }
    let data = upload
        .filter(|d| !d.is_empty())
        .ok_or_else(|| AppError::BadRequest("Choose a photo to upload.".into()))?;
    if data.len() > PHOTO_LIMIT {
        return Err(AppError::PayloadTooLarge("A photo may be at most 1 MB.".into()));
    }
    let mime =
        image_type(&data).ok_or_else(|| AppError::BadRequest("The photo must be a JPEG or PNG image.".into()))?;
    service::save_photo(&state.db, &user.actor, id, mime, &data).await?;
    flash(&session, FlashKind::Success, "Photo saved.").await?;
    Ok(Redirect::to(&format!("/patients/{id}")))
}

fn image_type(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

impl ProfilePage {
    fn photo_label(&self) -> &'static str {
        if self.patient.has_photo {
            "Replace the photo (JPEG or PNG, up to 1 MB)"
        } else {
            "Add a photo (JPEG or PNG, up to 1 MB)"
        }
    }
}
