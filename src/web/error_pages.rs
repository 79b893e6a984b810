//! Error pages: every error response (from a handler's [`AppError`], or a bare status from axum or a
//! layer) becomes the error page, or for htmx a fragment swapped into the page's message area.

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::error::{AppError, ErrorPage};
use super::htmx::HxRequest;
use super::layout::Layout;
use crate::state::AppState;
use crate::web::extract::CurrentUser;

#[derive(Template)]
#[template(path = "error.html", blocks = ["message"])]
struct ErrorTemplate {
    layout: Layout,
    page: ErrorPage,
}

/// The fallback of the logged-in part of the site.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub async fn render_error_pages(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let hx = HxRequest::from_headers(request.headers());
    let path = request.uri().path().to_owned();
    let visited = matches!(*request.method(), Method::GET | Method::HEAD);
    let request_id = super::request_id::of(&request);
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && visited && !hx.0 {
        return Redirect::to(page_above(&path)).into_response();
    }
    let mut page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        None if is_html(&response) => return response,
        None => ErrorPage::for_status(status),
    };
    if status.is_server_error() {
        page.reference = request_id;
    }
    let user = response.extensions().get::<CurrentUser>().cloned();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    // While the database is away the session can't be read either: the page is made without it, at once.
    let layout = match status {
        StatusCode::SERVICE_UNAVAILABLE => Ok(Layout::without_session(&state, user.as_ref(), &path)),
        _ => Layout::build(&state, &session, user.as_ref(), &path).await,
    };
    let rendered = match layout {
        Ok(layout) => {
            let template = ErrorTemplate { layout, page };
            if hx.0 {
                template.as_message().render()
            } else {
                template.render()
            }
        }
        Err(err) => {
            tracing::error!(error = ?err, "could not build the layout of an error page");
            Ok(format!("<h1>{}</h1>", status.canonical_reason().unwrap_or("Error")))
        }
    };
    let mut out = match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "could not render an error page");
            (status, Body::from(status.canonical_reason().unwrap_or("Error"))).into_response()
        }
    };
    if let Some(value) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if hx.0 {
        // htmx swaps error responses (see the htmx-config meta tag) into the message area, not the
        // element that asked.
        out.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#messages"));
        out.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    }
    out
}

/// The page a form's address belongs to, one step up (`/lab/orders/54/result` is sent from `/lab/orders/54`): where
/// a visit of that address goes (a reload after a refused form, the back button, a bookmark) rather than to an
/// error.
fn page_above(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((above, _)) => above,
    }
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

impl ErrorPage {
    pub fn status_code(&self) -> u16 {
        self.status.as_u16()
    }

    pub fn is_forbidden(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
    }
}

/// A handler that panicked: the 500 page (with the request id as reference), the panic's message in the log line of
/// that request, instead of a dropped connection.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    AppError::Internal(anyhow::anyhow!("a handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    #[test]
    fn a_forms_address_belongs_to_the_page_above_it() {
        assert_eq!(page_above("/lab/orders/54/result"), "/lab/orders/54");
        assert_eq!(page_above("/queue/check-ins"), "/queue");
        assert_eq!(page_above("/logout"), "/");
        assert_eq!(page_above("/queue/"), "/");
        assert_eq!(page_above("/"), "/");
    }

    async fn boom() -> &'static str {
        panic!("date arithmetic overflowed")
    }

    async fn formatted_boom() -> &'static str {
        panic!("{} went wrong", "formatting")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_500_page() {
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fmt", get(formatted_boom))
            .layer(CatchPanicLayer::custom(panic_response));
        for path in ["/boom", "/fmt"] {
            let request = Request::builder().uri(path).body(Body::empty()).expect("request");
            let response = app
                .clone()
                .oneshot(request)
                .await
                .expect("a response, not a dropped connection");
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let page = response
                .extensions()
                .get::<ErrorPage>()
                .expect("the error page description");
            assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{page:?}");
        }
    }
}
