//! htmx request detection and response headers.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Whether the request came from htmx and wants a fragment. A history-restore request wants the
/// whole page, so it counts as a plain request.
#[derive(Clone, Copy, Debug)]
pub struct HxRequest(pub bool);

impl HxRequest {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let flag = |name: &str| headers.get(name).is_some_and(|v| v.as_bytes() == b"true");
        HxRequest(flag("hx-request") && !flag("hx-history-restore-request"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(HxRequest::from_headers(&parts.headers))
    }
}

/// Sends the browser to `location`: a 303 for a plain request, `HX-Redirect` for htmx, which would
/// otherwise swap the target page into the current one.
pub fn redirect(hx: HxRequest, location: &str) -> Response {
    if hx.0 {
        let mut response = StatusCode::OK.into_response();
        if let Ok(value) = HeaderValue::from_str(location) {
            response.headers_mut().insert("hx-redirect", value);
        }
        response
    } else {
        Redirect::to(location).into_response()
    }
}
