//! The one error type handlers return. It turns into a status and an [`ErrorPage`] description;
//! `render_error_pages` (in `web::error_pages`) turns that into the HTML page or htmx fragment, so the
//! markup lives in one template.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use sickbay_core::db::Trouble;
use sickbay_core::error::ServiceError;
use sickbay_core::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A form with messages beside its fields that no handler re-rendered: the messages, as a 422.
    #[error("the form has errors")]
    Invalid(FieldErrors),
    #[error("the form's security token is missing or out of date")]
    Csrf,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    /// The database did not answer (see `db::Trouble::Unavailable`): a 503 that says to try again in a moment.
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The server's disk is full (see `db::Trouble::StorageFull`): a 507 that says to tell the administrator.
    #[error("the server's storage is full")]
    StorageFull(#[source] anyhow::Error),
    /// Heavy pages (see `web::heavy`) are all being built and this one's turn did not come: a 503 that says so.
    #[error("heavy pages are busy")]
    Busy,
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Seconds after which a page that met an unavailable database may be asked for again.
const RETRY_AFTER_UNAVAILABLE: u64 = 5;

/// An error of the code or of the database: the database's own trouble (down, disk full) is told as such, the
/// rest is internal.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        match sickbay_core::db::trouble_in(&err) {
            Some(Trouble::Unavailable) => AppError::Unavailable(err),
            Some(Trouble::StorageFull) => AppError::StorageFull(err),
            None => AppError::Internal(err),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        ServiceError::from(err).into()
    }
}

/// The one conversion of a service's error into a web answer.
impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::Stale | ServiceError::Conflict(_) => AppError::Conflict(err.to_string()),
            ServiceError::Refused(message) => AppError::BadRequest(message),
            ServiceError::Invalid(errors) => AppError::Invalid(errors),
            ServiceError::Internal(err) => AppError::from(err),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template: {err}"))
    }
}

/// The session store reports its database's errors as text only: a failure of the store is the database's.
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        match err {
            tower_sessions::session::Error::Store(_) => AppError::Unavailable(anyhow::anyhow!("session: {err}")),
            _ => AppError::Internal(anyhow::anyhow!("session: {err}")),
        }
    }
}

/// What the error page shows. Attached to error responses as an extension.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// For internal errors: the request's id, under which the details were logged (set by the error-page
    /// renderer, which sees the request).
    pub reference: Option<String>,
}

impl ErrorPage {
    /// A generic page for an error status that no handler described (405, 413 from a layer, ...).
    pub fn for_status(status: StatusCode) -> Self {
        let message = match status {
            StatusCode::METHOD_NOT_ALLOWED => "That address does not accept this kind of request.".to_owned(),
            StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large.".to_owned(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "The form was sent in a format Sickbay does not read.".to_owned(),
            s if s.is_server_error() => "Something went wrong on our side. Please try again.".to_owned(),
            _ => "The request could not be handled.".to_owned(),
        };
        ErrorPage {
            status,
            title: status.canonical_reason().unwrap_or("Error"),
            message,
            reference: None,
        }
    }
}

impl AppError {
    fn page(self) -> ErrorPage {
        let (status, title, message) = match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address, or it is not yours to see.".to_owned(),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your account does not have access to this page.".to_owned(),
            ),
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, "Check the request", message),
            AppError::Conflict(message) => (StatusCode::CONFLICT, "Changed in the meantime", message),
            AppError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Check the form",
                errors.messages().collect::<Vec<_>>().join(" "),
            ),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is out of date or was not sent from Sickbay. Reload the page and try again.".to_owned(),
            ),
            AppError::PayloadTooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", message),
            AppError::TooManyRequests { message, .. } => (StatusCode::TOO_MANY_REQUESTS, "Please wait", message),
            AppError::Unavailable(err) => {
                tracing::warn!(error = %err, "the database is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Database unavailable",
                    "The database is unavailable. Nothing was changed; try again in a moment.".to_owned(),
                )
            }
            AppError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "Other reports or exports are being prepared, and this one waited its turn for too long. Nothing \
                 was changed; try again in a minute."
                    .to_owned(),
            ),
            AppError::StorageFull(err) => {
                tracing::error!(error = %err, "the disk is full: a change could not be written");
                (
                    StatusCode::INSUFFICIENT_STORAGE,
                    "Storage full",
                    "The server's storage is full, so this change was not saved. Tell the administrator; \
                     pages can still be read."
                        .to_owned(),
                )
            }
            AppError::Internal(err) => {
                // Logged in the request's span, so the line carries the request id the page shows.
                tracing::error!(error = ?err, "internal error");
                return ErrorPage {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    title: "Something went wrong",
                    message: "Something went wrong on our side. Please try again; if it keeps happening, give \
                              this reference to your administrator."
                        .to_owned(),
                    reference: None,
                };
            }
        };
        ErrorPage {
            status,
            title,
            message,
            reference: None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after_secs, .. } => Some(*retry_after_secs),
            AppError::Unavailable(_) | AppError::Busy => Some(RETRY_AFTER_UNAVAILABLE),
            _ => None,
        };
        let page = self.page();
        let mut response = (page.status, page.message.clone()).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(page);
        response
    }
}
