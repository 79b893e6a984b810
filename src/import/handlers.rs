use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::form::{Form, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath, csv_download};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::import::model::{HeaderMap, Rejection, StudentRow};
use sickbay_core::import::repo::{self, ImportJob, JobStatus};
use sickbay_core::import::service::{self, FileError, ImportOptions};

#[derive(Template, WebTemplate)]
#[template(path = "import/index.html")]
pub struct IndexPage {
    layout: Layout,
    jobs: Vec<ImportJob>,
    error: Option<String>,
    /// The upload form's one-time id (`db::form_ids`).
    form_id: FormKey,
}

pub async fn index(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<IndexPage> {
    Ok(IndexPage {
        layout,
        jobs: repo::recent_jobs(&state.db).await?,
        error: None,
        form_id: FormKey::mint(),
    })
}

pub async fn sample(_admin: Staff<Admins>) -> Response {
    csv_download("students-sample.csv", super::SAMPLE_CSV.to_owned())
}

/// Reads the uploaded file, checks its header and rows, and keeps it for the preview, once per form: the same
/// form sent again leads to the preview it made.
pub async fn upload(
    admin: Staff<Admins>,
    Page { state, layout, .. }: Page,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let mut file = None;
    let mut form_id = String::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        if field.name() == Some("form_id") {
            form_id = field.text().await.map_err(|e| AppError::BadRequest(e.body_text()))?;
        } else if field.name() == Some("file") {
            let name = field
                .file_name()
                .unwrap_or("students.csv")
                .chars()
                .filter(|c| !sickbay_core::validation::is_forbidden(*c, false))
                .take(100)
                .collect::<String>();
            let bytes = field.bytes().await.map_err(|e| AppError::BadRequest(e.body_text()))?;
            file = Some((name, bytes));
        }
    }
    let actor = admin.actor_with_form(&form_id)?;
    let refuse = |layout, jobs, message: String| {
        invalid(IndexPage {
            layout,
            jobs,
            error: Some(message),
            form_id: FormKey::mint(),
        })
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(refuse(
            layout,
            repo::recent_jobs(&state.db).await?,
            "Choose a CSV file to upload.".into(),
        ));
    };
    let settings = state.settings.get();
    let checked = service::decode(&bytes).and_then(|text| {
        let parsed = service::parse_file(&text, &settings.matric_regex(), settings.today())?;
        Ok((text, parsed.total()))
    });
    let (text, total) = match checked {
        Ok(checked) => checked,
        Err(err) => return Ok(refuse(layout, repo::recent_jobs(&state.db).await?, err.to_string())),
    };
    let id = service::keep_file(&state.db, &actor, &name, &text, total as i64).await?;
    Ok(Redirect::to(&format!("/admin/import/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "import/show.html", blocks = ["progress"])]
pub struct JobPage {
    layout: Layout,
    job: ImportJob,
    preview: Option<Preview>,
}

/// The header and the first rows of a file not yet imported.
pub struct Preview {
    header: HeaderMap,
    rows: Vec<(u64, Result<StudentRow, Rejection>)>,
    valid: usize,
    invalid: usize,
}

const PREVIEW_ROWS: usize = 10;

async fn job_page(state: &AppState, layout: Layout, id: i64) -> AppResult<JobPage> {
    let job = repo::job(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let preview = if job.status == JobStatus::Previewed {
        let text = repo::content(&state.db, id).await?.unwrap_or_default();
        let settings = state.settings.get();
        let parsed = service::parse_file(&text, &settings.matric_regex(), settings.today())
            .map_err(|err| AppError::Internal(anyhow::anyhow!("stored import no longer parses: {err}")))?;
        let mut rows: Vec<(u64, Result<StudentRow, Rejection>)> = parsed
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|r| (r.line, Ok(r.clone())))
            .chain(
                parsed
                    .rejections
                    .iter()
                    .filter(|r| r.line <= PREVIEW_ROWS as u64 + 1)
                    .map(|r| (r.line, Err(r.clone()))),
            )
            .collect();
        rows.sort_by_key(|(line, _)| *line);
        rows.truncate(PREVIEW_ROWS);
        Some(Preview {
            valid: parsed.rows.len(),
            invalid: parsed.rejections.len(),
            header: parsed.header,
            rows,
        })
    } else {
        None
    };
    Ok(JobPage { layout, job, preview })
}

pub async fn show(_admin: Staff<Admins>, IdPath(id): IdPath, Page { state, layout, .. }: Page) -> AppResult<JobPage> {
    job_page(&state, layout, id).await
}

/// The progress block alone, polled by htmx while the import runs.
pub async fn progress(
    _admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<Html<String>> {
    Ok(Html(job_page(&state, layout, id).await?.as_progress().render()?))
}

#[derive(Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    create_missing: String,
}

/// Starts a previewed import in the background. Starting one twice (a double click) starts it once.
pub async fn start(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    Form(form): Form<StartForm>,
) -> AppResult<Redirect> {
    repo::job(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let create_missing = !form.create_missing.is_empty();
    if repo::claim(&state.db, id, create_missing).await? {
        let settings = state.settings.get();
        let options = ImportOptions {
            create_missing,
            pattern: settings.matric_regex(),
            today: settings.today(),
        };
        let actor = admin.actor.clone();
        let db = state.db.clone();
        crate::web::heavy::detach(async move {
            if let Err(err) = service::run_job(&db, &actor, id, &options).await {
                tracing::error!(job = id, error = ?err, "could not record the end of an import");
            }
        });
    } else {
        flash(&session, FlashKind::Error, "This import has already been started.").await?;
    }
    Ok(Redirect::to(&format!("/admin/import/{id}")))
}

pub async fn rejects(_admin: Staff<Admins>, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Response> {
    let (file_name, report) = repo::report(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let stem = file_name
        .trim_end_matches(".csv")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
    Ok(csv_download(&format!("{stem}-rejected.csv"), report))
}

impl From<FileError> for AppError {
    fn from(err: FileError) -> Self {
        AppError::BadRequest(err.to_string())
    }
}
