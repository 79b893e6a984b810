//! CSRF protection: a random token per session, sent back by every state-changing request either as
//! the `csrf_token` form field or as the `X-CSRF-Token` header (htmx sends the header).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::error::AppError;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
const SESSION_KEY: &str = "csrf";
/// Forms are small; anything larger is refused before it is buffered.
pub const FORM_LIMIT: usize = 256 * 1024;
/// The largest upload (a CSV of students); no request body may be larger.
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(SESSION_KEY).await? {
        return Ok(token);
    }
    let token = new_token();
    session.insert(SESSION_KEY, &token).await?;
    Ok(token)
}

/// Replaces the token (at login, so a token seen before login is useless after it).
pub async fn rotate(session: &Session) -> Result<(), AppError> {
    session.insert(SESSION_KEY, new_token()).await?;
    Ok(())
}

fn new_token() -> String {
    rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect()
}

/// Middleware: refuses an unsafe request whose token is missing or wrong with 403.
pub async fn verify(session: Session, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let expected = match session.get::<String>(SESSION_KEY).await {
        Ok(Some(token)) => token,
        Ok(None) => return AppError::Csrf.into_response(),
        Err(err) => return AppError::from(err).into_response(),
    };
    if let Some(sent) = request.headers().get(HEADER) {
        return if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            next.run(request).await
        } else {
            AppError::Csrf.into_response()
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (limit, multipart_boundary) = if content_type.starts_with("application/x-www-form-urlencoded") {
        (FORM_LIMIT, None)
    } else if let Ok(boundary) = multer::parse_boundary(&content_type) {
        (UPLOAD_LIMIT, Some(boundary))
    } else {
        return AppError::Csrf.into_response();
    };
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return AppError::PayloadTooLarge("What you sent is larger than Sickbay accepts.".into()).into_response();
        }
    };
    let sent = match multipart_boundary {
        None => form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == FIELD)
            .map(|(_, value)| value.into_owned()),
        Some(boundary) => multipart_field(bytes.clone(), boundary).await,
    };
    match sent {
        Some(sent) if constant_time_eq(sent.as_bytes(), expected.as_bytes()) => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => AppError::Csrf.into_response(),
    }
}

/// The token field of a multipart body (file uploads).
async fn multipart_field(bytes: axum::body::Bytes, boundary: String) -> Option<String> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Compares without stopping at the first difference, so the time taken says nothing about the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
