use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tokio_util::io::ReaderStream;

use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::layout::{FlashKind, Layout, Page, flash};
use crate::web::{AppError, AppResult};
use sickbay_core::backups;
use sickbay_core::db::Backend;
use sickbay_core::db::backup::{Copy, Plan};

const PATH: &str = "/admin/backups";

#[derive(Template, WebTemplate)]
#[template(path = "backups/index.html")]
pub struct BackupsPage {
    layout: Layout,
    /// The scheduled copies' plan: `None` on PostgreSQL, or when they are turned off.
    plan: Option<Plan>,
    postgres: bool,
    copies: Vec<Copy>,
}

impl BackupsPage {
    fn is_stale(&self, copy: &Copy) -> bool {
        copy.is_stale(chrono::Utc::now())
    }
}

pub async fn page(_admin: Staff<Admins>, Page { state, layout, .. }: Page) -> AppResult<BackupsPage> {
    let plan = state.config.backups.clone();
    let copies = match &plan {
        Some(plan) => backups::copies(plan).await?,
        None => Vec::new(),
    };
    Ok(BackupsPage {
        layout,
        plan,
        postgres: state.db.backend() == Backend::Postgres,
        copies,
    })
}

pub async fn take(admin: Staff<Admins>, Page { state, session, .. }: Page) -> AppResult<Response> {
    let plan = state.config.backups.as_ref().ok_or(AppError::NotFound)?;
    let copy = backups::take_now(&state.db, &admin.actor, plan).await?;
    let message = format!("Backup taken: {} ({}).", copy.name(), copy.size_text());
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(PATH).into_response())
}

/// Streams one copy as a download (read from the disk in chunks, never held in memory).
pub async fn download(admin: Staff<Admins>, Page { state, .. }: Page, Path(name): Path<String>) -> AppResult<Response> {
    let plan = state.config.backups.as_ref().ok_or(AppError::NotFound)?;
    let copy = backups::for_download(&state.db, &admin.actor, plan, &name).await?;
    let file = tokio::fs::File::open(&copy.path)
        .await
        .map_err(|_| AppError::NotFound)?;
    let mut response = Response::new(Body::from_stream(ReaderStream::new(file)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.sqlite3"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(copy.size));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", copy.name())) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
