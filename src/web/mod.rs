//! Cross-cutting web code: errors, extractors, CSRF, layout, htmx helpers, security headers, static files.

pub mod assets;
pub mod confirm;
pub mod csrf;
pub mod error;
pub mod error_pages;
pub mod extract;
pub mod filters;
pub mod form;
pub mod heavy;
pub mod htmx;
pub mod inline_messages;
pub mod layout;
pub mod live;
pub mod paging;
pub mod request_id;
pub mod task;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::{AppError, AppResult};

/// No inline script or style anywhere: htmx's indicator styles are turned off in the htmx-config meta tag,
/// and its configuration is read from that tag rather than from a script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// The headers every response carries. Each is set only when the handler did not set its own.
pub fn security_headers<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let headers: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        // Pages hold one user's data: neither shared caches nor the back button after logout may keep them.
        (header::CACHE_CONTROL, "no-store"),
    ];
    let router = headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    });
    // A page is either whole or an htmx fragment depending on this header; compression adds its own Vary.
    router.layer(SetResponseHeaderLayer::appending(
        header::VARY,
        HeaderValue::from_static("HX-Request"),
    ))
}

/// The numeric id in a path such as `/admin/staff/{id}`. Anything else is a 404, like an id that
/// does not exist.
pub struct IdPath(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) if id > 0 => Ok(IdPath(id)),
            _ => Err(AppError::NotFound),
        }
    }
}

/// What a path segment after a record's id reads as: another id, or a word the route names (a note's kind, a
/// role, a move). `None` is a path that names nothing: 404.
pub trait PathSegment: Sized {
    fn from_segment(text: &str) -> Option<Self>;
}

impl PathSegment for i64 {
    fn from_segment(text: &str) -> Option<Self> {
        sickbay_core::validation::parse_id(text)
    }
}

impl PathSegment for String {
    fn from_segment(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// A path of two parts, `/{id}/.../{second}`: a record's id and a second segment read as `T` (another id unless
/// the route says otherwise). Anything else is 404, as for [`IdPath`].
pub struct IdsPath<T = i64>(pub i64, pub T);

impl<S: Send + Sync, T: PathSegment> axum::extract::FromRequestParts<S> for IdsPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path((id, second)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        let id = i64::from_segment(&id).ok_or(AppError::NotFound)?;
        let second = T::from_segment(&second).ok_or(AppError::NotFound)?;
        Ok(IdsPath(id, second))
    }
}

/// A table as a CSV file to download as `file_name`: the header, then a record per row.
pub fn csv_table<R, F>(file_name: &str, header: &[&str], rows: R) -> AppResult<Response>
where
    R: IntoIterator<Item = Vec<F>>,
    F: AsRef<[u8]>,
{
    let mut bytes = csv_records([header])?;
    bytes.extend(csv_records(rows)?);
    Ok(csv_download(file_name, bytes))
}

/// Records written as CSV lines (a part of a file: a header, or a page of rows of a streamed download).
pub fn csv_records<R, F, I>(rows: R) -> AppResult<Vec<u8>>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row).map_err(|err| AppError::Internal(err.into()))?;
    }
    out.into_inner()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("{err}")))
}

/// A CSV file to download as `file_name`.
pub fn csv_download(file_name: &str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
