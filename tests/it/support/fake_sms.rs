//! A local stand-in for Africa's Talking's bulk SMS endpoint: it checks a request as the real API does (the
//! path, the `apiKey` header, the username and the form) and answers in the way the test asks for, which
//! the test may change at any time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const PATH: &str = "/version1/messaging";

/// How the fake answers a well-formed, authenticated request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsMode {
    /// 201 with every recipient at statusCode 101 (Success), and the messages kept.
    Accept,
    /// HTTP 500.
    ServerError,
    /// No answer within 30 s (the request is held open until the fake goes away, or a minute).
    Hang,
    /// 201 with every recipient at statusCode 403 (InvalidPhoneNumber); nothing kept.
    RejectNumber,
}

/// One accepted message to one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSms {
    pub to: String,
    pub message: String,
    pub from: Option<String>,
}

struct Inner {
    username: String,
    api_key: String,
    mode: Mutex<SmsMode>,
    sent: Mutex<Vec<SentSms>>,
    requests: AtomicUsize,
    ids: AtomicUsize,
    closed: CancellationToken,
}

pub struct FakeSms {
    inner: Arc<Inner>,
    port: u16,
    server: JoinHandle<()>,
}

impl FakeSms {
    /// A fake on 127.0.0.1 and a free port, in [`SmsMode::Accept`], for this account.
    pub async fn start(username: &str, api_key: &str) -> FakeSms {
        let inner = Arc::new(Inner {
            username: username.to_owned(),
            api_key: api_key.to_owned(),
            mode: Mutex::new(SmsMode::Accept),
            sent: Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            ids: AtomicUsize::new(0),
            closed: CancellationToken::new(),
        });
        let router = Router::new()
            .route(PATH, post(messaging))
            .fallback(elsewhere)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake SMS provider");
        let port = listener.local_addr().expect("the fake's address").port();
        let closed = inner.closed.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(closed.cancelled_owned())
                .await;
        });
        FakeSms { inner, port, server }
    }

    /// The URL to configure as the provider's endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    pub fn set_mode(&self, mode: SmsMode) {
        *self.inner.mode.lock().expect("the fake's mode") = mode;
    }

    /// The messages accepted so far, one per number, oldest first.
    pub fn sent(&self) -> Vec<SentSms> {
        self.inner.sent.lock().expect("the fake's messages").clone()
    }

    /// How many requests reached the fake, whatever became of them.
    pub fn requests(&self) -> usize {
        self.inner.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FakeSms {
    fn drop(&mut self) {
        // Ends held requests and stops the server.
        self.inner.closed.cancel();
        self.server.abort();
    }
}

async fn elsewhere(State(fake): State<Arc<Inner>>) -> Response {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

async fn messaging(State(fake): State<Arc<Inner>>, headers: HeaderMap, body: String) -> Response {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());

    if get("apiKey") != fake.api_key || field("username").as_deref() != Some(fake.username.as_str()) {
        return (StatusCode::UNAUTHORIZED, "The supplied authentication is invalid").into_response();
    }
    if !get(header::CONTENT_TYPE.as_str()).starts_with("application/x-www-form-urlencoded") {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected application/x-www-form-urlencoded",
        )
            .into_response();
    }
    if !get(header::ACCEPT.as_str()).contains("application/json") {
        // The real API answers in XML then; this fake only speaks JSON.
        return (
            StatusCode::NOT_ACCEPTABLE,
            "This fake answers only Accept: application/json",
        )
            .into_response();
    }
    let (Some(to), Some(message)) = (field("to"), field("message")) else {
        return (
            StatusCode::BAD_REQUEST,
            "Request is missing required form field 'to' or 'message'",
        )
            .into_response();
    };
    let numbers: Vec<String> = to
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if numbers.is_empty() || message.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "Request is missing required form field 'to' or 'message'",
        )
            .into_response();
    }
    let from = field("from");

    let mode = *fake.mode.lock().expect("the fake's mode");
    match mode {
        SmsMode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
        SmsMode::Hang => {
            tokio::select! {
                () = fake.closed.cancelled() => {}
                () = tokio::time::sleep(Duration::from_secs(60)) => {}
            }
            (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response()
        }
        SmsMode::RejectNumber => {
            let recipients: Vec<serde_json::Value> = numbers
                .iter()
                .map(|number| {
                    serde_json::json!({
                        "statusCode": 403,
                        "number": number,
                        "status": "InvalidPhoneNumber",
                        "cost": "0",
                        "messageId": "None",
                    })
                })
                .collect();
            answer(format!("Sent to 0/{} Total Cost: 0", numbers.len()), recipients)
        }
        SmsMode::Accept => {
            let mut recipients = Vec::new();
            let mut sent = fake.sent.lock().expect("the fake's messages");
            for number in &numbers {
                let id = fake.ids.fetch_add(1, Ordering::SeqCst) + 1;
                sent.push(SentSms {
                    to: number.clone(),
                    message: message.clone(),
                    from: from.clone(),
                });
                recipients.push(serde_json::json!({
                    "statusCode": 101,
                    "number": number,
                    "status": "Success",
                    "cost": "NGN 2.2000",
                    "messageId": format!("ATXid_fake{id:08x}"),
                }));
            }
            drop(sent);
            let total = format!("NGN {:.4}", 2.2 * numbers.len() as f64);
            answer(
                format!("Sent to {n}/{n} Total Cost: {total}", n = numbers.len()),
                recipients,
            )
        }
    }
}

/// Africa's Talking's answer to a processed request: 201 and its JSON.
fn answer(message: String, recipients: Vec<serde_json::Value>) -> Response {
    let body = serde_json::json!({
        "SMSMessageData": { "Message": message, "Recipients": recipients }
    });
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
