//! The patient's own pages (phone first): home, contact details, clinic card; and self-registration.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use super::handlers::photo_response;
use crate::queue::snapshot::{Place, Snapshot};
use crate::state::AppState;
use crate::web::csrf;
use crate::web::extract::{ClientIp, PortalUser};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::live::{self, LiveBlock, Since};
use crate::web::{AppError, AppResult};
use sickbay_core::academic::model::StudyNames;
use sickbay_core::auth::password;
use sickbay_core::db::events::Event;
use sickbay_core::db::{Currency, Date, Money, Reader, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::Actor;
use sickbay_core::identity::{PRINCIPAL_KEY, Principal};
use sickbay_core::patients::activity::Told;
use sickbay_core::patients::model::{
    ContactForm, MatricNumber, Patient, PatientDetails, PatientKind, PortalAccess, parse_name,
};
use sickbay_core::patients::repo;
use sickbay_core::patients::service::{self, MATRIC_FIELD};
use sickbay_core::settings::Settings;
use sickbay_core::staff::model::parse_email;
use sickbay_core::validation::FieldErrors;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me", get(home))
        .route("/me/summary", get(summary))
        .route("/me/summary/events", get(summary_events))
        .route("/me/profile", get(profile_form).post(update_profile))
        .route("/me/card", get(my_card))
        .route("/me/card/qr.svg", get(my_qr))
        .route("/me/photo", get(my_photo))
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/portal/home.html")]
pub struct HomePage {
    layout: Layout,
    patient: Patient,
    /// Their figures: their place in the queue, next appointment, what they owe, new results (live).
    glance: LiveBlock,
}

/// The patient's own figures, each read for them alone (`WHERE patient_id = $me`).
#[derive(Template)]
#[template(path = "patients/portal/_glance.html")]
struct Glance {
    /// Their open ticket's place in today's queue.
    place: Option<Place>,
    /// The next live booking.
    next: Option<NextAppointment>,
    /// How many invoices they owe on, and how much.
    owed: (i64, Money),
    /// Whether a visit of theirs is done but not billed yet: "Nothing owed" would be wrong.
    bill_coming: bool,
    /// Results released to them lately that they have not opened yet.
    new_results: i64,
    currency: Currency,
    /// What happened lately, newest first: when, and the event in words.
    activity: Vec<(String, Told)>,
}

/// The patient's next booking on their home: when, with whom, and whether they may still move or cancel it
/// online (before the clinic's cutoff), which the card then offers.
struct NextAppointment {
    when: String,
    doctor: String,
    id: i64,
    day: Date,
    changeable: bool,
}

/// The figures, read on `db`; the connection is let go before the queue's shared snapshot is read, which may
/// take one of its own.
async fn glance(state: &AppState, mut db: impl Reader, patient_id: i64) -> AppResult<String> {
    let now = Timestamp::now();
    let settings = state.settings.get();
    let next = sickbay_core::scheduling::service::next_appointment_of_patient(&mut db, patient_id, now)
        .await?
        .map(|a| NextAppointment {
            when: filters::coming_of(a.starts_at, settings.clinic.time_zone, settings.today()),
            changeable: a.patient_may_change(&settings.booking_rules(), now),
            doctor: a.doctor_name,
            id: a.id,
            day: a.day,
        });
    let owed = sickbay_core::billing::service::owed_count_by(&mut db, patient_id).await?;
    let today = Date(settings.today());
    let (to_bill, _) =
        sickbay_core::billing::service::unbilled_visits(&state.db, &mut db, today, Some(patient_id), 10).await?;
    let new_results = sickbay_core::lab::service::new_to_patient(&mut db, patient_id, now).await?;
    let zone = settings.clinic.time_zone;
    let currency = settings.currency();
    let activity = repo::activity_of(&mut db, patient_id)
        .await?
        .iter()
        .map(|event| {
            let told = event.told(|at| filters::datetime_of(at, zone), |amount| currency.format(amount));
            (filters::datetime_of(event.happened_at, zone), told)
        })
        .collect();
    // Most patients have no ticket: their own index lookup says so without reading the day's queue.
    let ticket = sickbay_core::queue::service::open_ticket_of(&mut db, patient_id).await?;
    drop(db);
    let place = match ticket {
        Some(_) => {
            let snapshot = Snapshot::fresh(state, state.db.events().last_seq()).await?;
            snapshot.place(patient_id).filter(|place| place.status.is_open())
        }
        None => None,
    };
    Ok(Glance {
        place,
        next,
        owed,
        bill_coming: !to_bill.is_empty(),
        new_results,
        currency,
        activity,
    }
    .render()?)
}

pub async fn home(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<HomePage> {
    let mut conn = state.db.conn().await?;
    Ok(HomePage {
        layout,
        patient: load_own(&mut conn, &user).await?,
        glance: LiveBlock::load(&state, "/me", "/me/summary", glance(&state, conn, user.id)).await?,
    })
}

/// The patient's figures alone, re-read by their home page when its stream says something changed.
pub async fn summary(user: PortalUser, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(glance(&state, state.db.conn().await?, user.id).await?))
}

/// Their place moves with the queue, their results with the lab, what they owe with billing. The stream says
/// only that something changed; what they read is their own.
pub async fn summary_events(_user: PortalUser, State(state): State<AppState>, Query(since): Query<Since>) -> Response {
    let relevant = |e: &Event| e.touches_queues() || e.touches_lab() || e.touches_billing();
    live::changes(&state, relevant, since.seq()).into_response()
}

async fn load_own(db: impl Reader, user: &PortalUser) -> AppResult<Patient> {
    repo::get(db, user.id).await?.ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/portal/profile.html")]
pub struct ProfilePage {
    layout: Layout,
    patient: Patient,
    studies: StudyNames,
    form: ContactForm,
    errors: FieldErrors,
}

impl ProfilePage {
    /// The patient's own profile with their record as it stands and its names of their studies.
    async fn of_own(state: &AppState, user: &PortalUser, layout: Layout) -> AppResult<Self> {
        let patient = load_own(&state.db, user).await?;
        let studies = sickbay_core::academic::service::names(&state.db, patient.study_ids()).await?;
        Ok(Self::new(layout, patient, studies))
    }

    fn new(layout: Layout, patient: Patient, studies: StudyNames) -> Self {
        let form = ContactForm {
            phone: patient.phone.clone().unwrap_or_default(),
            email: patient.email.clone().unwrap_or_default(),
            emergency_name: patient.emergency_name.clone(),
            emergency_phone: patient.emergency_phone.clone(),
            emergency_relationship: patient.emergency_relationship.clone(),
            contact_by: patient.contact_by.as_str().to_owned(),
        };
        ProfilePage {
            layout,
            patient,
            studies,
            form,
            errors: FieldErrors::default(),
        }
    }
}

pub async fn profile_form(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<ProfilePage> {
    ProfilePage::of_own(&state, &user, layout).await
}

/// Only contact details can change here; any other field sent is ignored (the form type has no place for it).
pub async fn update_profile(
    user: PortalUser,
    Page { state, session, layout }: Page,
    Form(form): Form<ContactForm>,
) -> AppResult<Response> {
    let contact = match form.validate() {
        Ok(contact) => contact,
        Err(errors) => {
            let page = ProfilePage {
                form,
                errors,
                ..ProfilePage::of_own(&state, &user, layout).await?
            };
            return Ok(invalid(page));
        }
    };
    service::update_contact(&state.db, &user.actor, user.id, &contact).await?;
    flash(&session, FlashKind::Success, "Your details have been saved.").await?;
    Ok(Redirect::to("/me/profile").into_response())
}

/// The digital clinic card, for the patient's phone or for printing.
#[derive(Template, WebTemplate)]
#[template(path = "patients/portal/card.html")]
pub struct CardPage {
    layout: Layout,
    patient: Patient,
    clinic_address: String,
    qr_src: String,
    photo_src: Option<String>,
    back: String,
}

impl CardPage {
    /// `base` is where the card's QR code and photo are served from: `/me` or `/patients/{id}`.
    pub fn new(layout: Layout, patient: Patient, settings: &Settings, base: String) -> Self {
        let (qr_src, photo_src) = if base == "/me" {
            (
                "/me/card/qr.svg".to_owned(),
                patient.has_photo.then(|| "/me/photo".to_owned()),
            )
        } else {
            (
                format!("{base}/qr.svg"),
                patient.has_photo.then(|| format!("{base}/photo")),
            )
        };
        CardPage {
            layout,
            patient,
            clinic_address: settings.clinic.address.clone(),
            qr_src,
            photo_src,
            back: base,
        }
    }
}

pub async fn my_card(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<CardPage> {
    let patient = load_own(&state.db, &user).await?;
    Ok(CardPage::new(layout, patient, &state.settings.get(), "/me".to_owned()))
}

pub async fn my_qr(user: PortalUser) -> AppResult<Response> {
    qr_response(&user.clinic_number)
}

pub async fn my_photo(user: PortalUser, State(state): State<AppState>) -> AppResult<Response> {
    photo_response(&state, user.id).await
}

/// The clinic number as a QR code, an SVG drawn on the server.
pub fn qr_response(clinic_number: &str) -> AppResult<Response> {
    let code = QrCode::new(clinic_number.as_bytes()).map_err(|err| AppError::Internal(anyhow::anyhow!("qr: {err}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let mut response = image.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "patients/portal/register.html")]
pub struct RegisterPage {
    layout: Layout,
    form: RegisterForm,
    errors: FieldErrors,
    approval_required: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    matric_number: String,
    first_name: String,
    surname: String,
    email: String,
    password: String,
    confirm_password: String,
}

fn registration_open(settings: &Settings) -> AppResult<()> {
    if settings.registration.self_registration {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn register_form(State(state): State<AppState>, layout: Layout) -> AppResult<RegisterPage> {
    let settings = state.settings.get();
    registration_open(&settings)?;
    Ok(RegisterPage {
        layout,
        form: RegisterForm::default(),
        errors: FieldErrors::default(),
        approval_required: settings.registration.approval_required,
    })
}

/// A student creates their own record and portal account, then is logged in. A matric number already on
/// record (for example from an import) can't be claimed here: knowing someone's matric number is not
/// proof of being them, so such students get their first password from the clinic.
pub async fn register(
    ClientIp(ip): ClientIp,
    Page { state, session, layout }: Page,
    Form(form): Form<RegisterForm>,
) -> AppResult<Response> {
    let settings = state.settings.get();
    registration_open(&settings)?;
    let approval_required = settings.registration.approval_required;
    let form_again = |layout, form, errors| {
        invalid(RegisterPage {
            layout,
            form,
            errors,
            approval_required,
        })
    };
    let (details, errors) = validate_registration(&form, &settings);
    let Some(details) = details.filter(|_| errors.is_empty()) else {
        return Ok(form_again(
            layout,
            RegisterForm {
                password: String::new(),
                confirm_password: String::new(),
                ..form
            },
            errors,
        ));
    };
    crate::auth::throttle_registration(&state.db, &ip).await?;
    let hash = password::hash(&form.password).await?;
    let portal = PortalAccess {
        password_hash: Some(&hash),
        must_change_password: false,
        approved: !approval_required,
    };
    let matric = details
        .matric_number
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let year = chrono::Datelike::year(&settings.today());
    let actor = Actor::anonymous(&matric, &ip);
    match service::register(&state.db, &actor, &details, portal, year).await {
        Ok((id, _)) => {
            let version = sickbay_core::identity::repo::find_patient(&state.db, id)
                .await?
                .map_or(1, |u| u.session_version);
            session.cycle_id().await?;
            session
                .insert(PRINCIPAL_KEY, Principal::Patient { id, version })
                .await?;
            csrf::rotate(&session).await?;
            let message = if approval_required {
                "Welcome! Your account waits for the clinic's approval before you can book."
            } else {
                "Welcome! Your account is ready."
            };
            flash(&session, FlashKind::Success, message).await?;
            Ok(Redirect::to("/me").into_response())
        }
        Err(ServiceError::Invalid(taken)) if taken.get(MATRIC_FIELD).is_some() => {
            let mut errors = FieldErrors::default();
            errors.add(
                MATRIC_FIELD,
                format!("{matric} is already on record. Ask the clinic's reception to set up your portal access."),
            );
            let form = RegisterForm {
                password: String::new(),
                confirm_password: String::new(),
                ..form
            };
            Ok(form_again(layout, form, errors))
        }
        Err(err) => Err(err.into()),
    }
}

fn validate_registration(form: &RegisterForm, settings: &Settings) -> (Option<PatientDetails>, FieldErrors) {
    let mut e = FieldErrors::default();
    let matric = e.check(
        "matric_number",
        MatricNumber::parse(&form.matric_number, &settings.matric_regex()),
    );
    let first_name = e.check("first_name", parse_name(&form.first_name, "first name", 60, false));
    let surname = e.check("surname", parse_name(&form.surname, "surname", 60, false));
    let email = e.check("email", parse_email(&form.email)).flatten();
    if email.is_none() && e.get("email").is_none() {
        e.add("email", "Enter your email address.");
    }
    if let Some(matric) = &matric {
        e.check("password", password::check_new(&form.password, matric.as_str()));
    }
    if form.password != form.confirm_password {
        e.add("confirm_password", "The two passwords are not the same.");
    }
    let details = match (matric, first_name, surname, email) {
        (Some(matric), Some(first_name), Some(surname), Some(email)) => Some(PatientDetails {
            matric_number: Some(matric),
            email: Some(email),
            ..PatientDetails::new(PatientKind::Student, first_name, surname)
        }),
        _ => None,
    };
    (details, e)
}
