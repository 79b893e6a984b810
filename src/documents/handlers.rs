//! Uploading documents to a patient's chart or a visit, the lists, and serving a document: to staff who may
//! read documents, and to the patient their own on the portal. Every document served is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{AnyStaff, PortalUser, Staff};
use crate::web::filters;
use crate::web::form::invalid;
use crate::web::htmx::HxRequest;
use crate::web::inline_messages::{Place, out_of_band};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash_in};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::consult::model::Access;
use sickbay_core::documents::model::{self, DocumentList, DocumentMeta, MAX_BYTES, TOO_LARGE, staff_may_use};
use sickbay_core::documents::service::{self, Attach};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::patients::model::Patient;
use sickbay_core::validation::FieldErrors;

/// The section's message region (and its element id and anchor).
pub const REGION: &str = "documents";

/// A patient's documents for staff, with the upload form.
#[derive(Template, WebTemplate)]
#[template(path = "documents/patient.html")]
pub struct PatientPage {
    layout: Layout,
    patient: Patient,
    documents: DocumentList,
}

/// The section alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "documents/section.html")]
pub struct SectionFragment {
    layout: Layout,
    documents: DocumentList,
}

/// A visit's section on a page of its own: a refused upload without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "documents/visit_form.html")]
pub struct VisitSectionPage {
    layout: Layout,
    visit_id: i64,
    documents: DocumentList,
}

/// The patient's own documents on the portal.
#[derive(Template, WebTemplate)]
#[template(path = "documents/mine.html")]
pub struct MinePage {
    layout: Layout,
    letters: Vec<sickbay_core::letters::model::Letter>,
    documents: DocumentList,
}

fn may_use(user: &StaffUser) -> AppResult<()> {
    match staff_may_use(user.roles()) {
        true => Ok(()),
        false => Err(AppError::Forbidden),
    }
}

async fn patient_or_404(state: &AppState, id: i64) -> AppResult<Patient> {
    sickbay_core::patients::service::get(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn patient_page(
    user: Staff<AnyStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<PatientPage> {
    may_use(&user)?;
    let patient = patient_or_404(&state, id).await?;
    let documents = service::patient_list(&state.db, &user, id).await?;
    service::record_list_read(&state.reads, &user.actor, id).await?;
    Ok(PatientPage {
        documents,
        patient,
        layout,
    })
}

/// What the upload form sent.
#[derive(Default)]
struct Sent {
    title: String,
    form_id: String,
    file: Vec<u8>,
}

/// Reads the multipart form; a file over the limit is refused as soon as it is seen to be.
async fn read_form(mut multipart: Multipart) -> AppResult<Sent> {
    let too_large = || AppError::PayloadTooLarge(TOO_LARGE.into());
    let broken = |err: axum::extract::multipart::MultipartError| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::BadRequest(format!("The upload could not be read; try again. {}", err.body_text()))
        }
    };
    let mut sent = Sent::default();
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        match field.name() {
            Some("title") => sent.title = field.text().await.map_err(broken)?,
            Some("form_id") => sent.form_id = field.text().await.map_err(broken)?,
            Some("file") => {
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(broken)? {
                    if data.len() + chunk.len() > MAX_BYTES {
                        return Err(too_large());
                    }
                    data.extend_from_slice(&chunk);
                }
                sent.file = data;
            }
            _ => {}
        }
    }
    Ok(sent)
}

/// Validates and stores the upload: the new document's title, or what the form should say.
async fn store(state: &AppState, user: &Staff<AnyStaff>, attach: Attach, sent: &Sent) -> Result<String, ServiceError> {
    if !staff_may_use(user.roles()) {
        return Err(ServiceError::Forbidden);
    }
    let upload = model::validate(&sent.title, &sent.file).map_err(ServiceError::Invalid)?;
    let actor = user
        .actor_with_form(&sent.form_id)
        .map_err(|_| ServiceError::Refused("The form is damaged. Reload the page and try again.".into()))?;
    service::upload(&state.db, user, &actor, attach, &upload, &sent.file).await?;
    Ok(format!("{} ({}) uploaded.", upload.title, upload.kind.label()))
}

pub async fn upload_for_patient(
    user: Staff<AnyStaff>,
    IdPath(id): IdPath,
    hx: HxRequest,
    page: Page,
    multipart: Multipart,
) -> AppResult<Response> {
    upload(user, Attach::Patient(id), hx, page, multipart).await
}

pub async fn upload_for_visit(
    user: Staff<AnyStaff>,
    IdPath(id): IdPath,
    hx: HxRequest,
    page: Page,
    multipart: Multipart,
) -> AppResult<Response> {
    upload(user, Attach::Visit(id), hx, page, multipart).await
}

/// Stores an upload to a patient's record or a visit: back to the section with what happened, or the form
/// again with its messages beside the list (422).
async fn upload(
    user: Staff<AnyStaff>,
    attach: Attach,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    multipart: Multipart,
) -> AppResult<Response> {
    may_use(&user)?;
    let sent = read_form(multipart).await?;
    let result = store(&state, &user, attach, &sent).await;
    let section = match attach {
        Attach::Patient(id) => format!("/patients/{id}/documents#{REGION}"),
        Attach::Visit(id) => format!("/visits/{id}#{REGION}"),
    };
    let errors = match answered(&session, hx, &section, result).await? {
        Answer::Done(response) => return Ok(response),
        Answer::Success(message) => {
            let documents = match attach {
                Attach::Patient(id) => service::patient_list(&state.db, &user, id).await?,
                Attach::Visit(id) => visit_list(&state, &user, id).await?,
            };
            return success_fragment(layout, documents, &message);
        }
        Answer::Refused(errors) => errors,
    };
    // The list is shown again beside the messages: a read of it like the page's.
    let (mut documents, patient) = match attach {
        Attach::Patient(id) => {
            let patient = patient_or_404(&state, id).await?;
            let documents = service::patient_list(&state.db, &user, id).await?;
            service::record_list_read(&state.reads, &user.actor, id).await?;
            (documents, Some(patient))
        }
        Attach::Visit(id) => (visit_list(&state, &user, id).await?, None),
    };
    documents.errors = errors;
    documents.title = sent.title;
    let body = match (hx.0, patient) {
        (true, ..) => SectionFragment { layout, documents }.render()?,
        (false, Some(patient)) => PatientPage {
            patient,
            layout,
            documents,
        }
        .render()?,
        (false, None) => VisitSectionPage {
            layout,
            visit_id: attach.id(),
            documents,
        }
        .render()?,
    };
    Ok(invalid(Html(body)))
}

async fn visit_list(state: &AppState, user: &StaffUser, visit_id: i64) -> AppResult<DocumentList> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, user, visit_id, Access::Read).await?;
    Ok(service::visit_section(&state.db, user, &visit).await?)
}

enum Answer {
    /// A plain request: answered with the redirect.
    Done(Response),
    /// htmx: the section again, with this message.
    Success(String),
    /// The form again, with these messages.
    Refused(FieldErrors),
}

async fn answered(
    session: &Session,
    hx: HxRequest,
    page: &str,
    result: Result<String, ServiceError>,
) -> AppResult<Answer> {
    match result {
        Ok(message) if !hx.0 => {
            flash_in(session, REGION, FlashKind::Success, message).await?;
            Ok(Answer::Done(Redirect::to(page).into_response()))
        }
        Ok(message) => Ok(Answer::Success(message)),
        Err(ServiceError::Invalid(errors)) => Ok(Answer::Refused(errors)),
        Err(err) => Err(err.into()),
    }
}

fn success_fragment(layout: Layout, documents: DocumentList, message: &str) -> AppResult<Response> {
    let main = SectionFragment { layout, documents }.render()?;
    let region = out_of_band(Place::new(REGION, ""), FlashKind::Success, message)?;
    Ok(Html(format!("{main}{region}")).into_response())
}

/// A document for staff who may read documents (audited).
pub async fn view(user: Staff<AnyStaff>, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Response> {
    let (meta, data) = service::open(&state.db, &state.reads, &user, &user.actor, id).await?;
    serve(&meta, data)
}

/// The patient's own documents.
pub async fn mine(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<MinePage> {
    Ok(MinePage {
        layout,
        letters: sickbay_core::letters::service::of_patient(&state.db, user.id).await?,
        documents: DocumentList {
            view_base: "/me/documents/",
            documents: service::of_patient(&state.db, user.id).await?,
            ..DocumentList::default()
        },
    })
}

/// One of the patient's own documents (audited); anyone else's is not found.
pub async fn my_document(user: PortalUser, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Response> {
    let (meta, data) = service::open_own(&state.db, &state.reads, &user.actor, user.id, id).await?;
    serve(&meta, data)
}

/// The document's bytes with the type its content has, shown in the browser under a safe name, never sniffed
/// into another type, a PDF in a sandbox (no script, no same-origin access), never cached.
fn serve(meta: &DocumentMeta, data: Vec<u8>) -> AppResult<Response> {
    let kind = meta.kind();
    let disposition = format!("inline; filename=\"{}\"", meta.file_name());
    let disposition = HeaderValue::from_str(&disposition).map_err(|err| AppError::Internal(err.into()))?;
    let mut response = axum::body::Bytes::from(data).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind.mime()));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if kind.needs_sandbox() {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    }
    Ok(response)
}
