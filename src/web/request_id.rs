//! Every request gets a short id (`x-request-id`, kept when a proxy in front of Sickbay set one): the span of
//! the request carries it, so every log line of the request shows it, the response carries it back, and a 500
//! page shows it as the reference to give an administrator.

use std::time::Duration;

use axum::http::{HeaderValue, Request, Response};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

pub const HEADER: &str = "x-request-id";

/// Eight hex digits: enough to find a request in a day's log, short enough to read out over the phone.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShortIds;

impl MakeRequestId for ShortIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = format!("{:08x}", rand::random::<u32>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The request's id, as set by the layer (or by the proxy in front).
pub fn of<B>(request: &Request<B>) -> Option<String> {
    request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(|id| id.chars().filter(char::is_ascii_graphic).take(64).collect())
}

/// The tracing span of a request: method, path and id, so every event logged while it runs carries them.
pub fn span<B>(request: &Request<B>) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        id = %of(request).unwrap_or_default(),
    )
}

/// A response slower than this to start is logged as a warning, so that a stall a user saw can be found in the
/// log by its time (a stream counts until its first bytes, not while it stays open).
pub const SLOW: Duration = Duration::from_secs(1);

/// Logs a response that took longer than [`SLOW`] to start, in the request's span (so with its path and id).
pub fn log_if_slow<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    if latency > SLOW {
        tracing::warn!(
            status = response.status().as_u16(),
            millis = latency.as_millis(),
            "slow response"
        );
    }
}
