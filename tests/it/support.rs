//! The test harness: the real app on port 0 against a fresh database (a temp SQLite file, or a fresh
//! PostgreSQL database per test when TEST_POSTGRES_URL is set), and a client that behaves like a browser
//! without JavaScript: a cookie jar, real forms, their CSRF token, no automatic redirects.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION};
use scraper::{Html, Selector};
use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::events::Event;
use sickbay_core::db::{Date, Db, Timestamp};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::patients::model::{MatricNumber, PatientDetails, PatientKind, PortalAccess};
use sickbay_core::staff::model::NewStaff;
use sickbay_core::staff::service;
use tokio::task::JoinHandle;

use fresh::PostgresDatabase;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a good long password";

/// Runs `async fn NAME(app: TestApp)` on SQLite and on PostgreSQL, as tests `NAME::sqlite` and `NAME::postgres`.
/// With `empty:` first, the app serves a database with no accounts at all (not even the built-in admin).
macro_rules! on_both_databases {
    (empty: $($name:ident),+ $(,)?) => {
        $crate::support::on_both_databases!(@with sqlite_empty, postgres_empty; $($name),+);
    };
    (@with $sqlite:ident, $postgres:ident; $($name:ident),+) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::support::TestApp::$sqlite().await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    if let Some(app) = $crate::support::TestApp::$postgres().await {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
    ($($name:ident),+ $(,)?) => {
        $crate::support::on_both_databases!(@with sqlite, postgres; $($name),+);
    };
}
pub(crate) use on_both_databases;

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says on the real stderr (not the captured test output) that something was skipped; fails under CI.
pub fn skip(what: &str, why: &str) {
    assert!(!in_ci(), "{what} cannot be skipped in CI: {why}");
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {what}: {why} ***\n");
    });
}

/// Sends the app's error log (an internal error's cause, behind a 500's reference) to the output of the test
/// that caused it, which the test runner shows when that test fails. `RUST_LOG` may ask for more.
fn log_server_errors() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    server: Option<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresDatabase>,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(test_config()).await
    }

    pub async fn sqlite_with(config: Config) -> Self {
        Self::sqlite_start(config, true).await
    }

    /// On a migrated SQLite database without any account.
    pub async fn sqlite_empty() -> Self {
        Self::sqlite_start(test_config(), false).await
    }

    async fn sqlite_start(config: Config, with_admin: bool) -> Self {
        let dir = fresh::scratch_dir();
        let file = dir.path().join("sickbay.db");
        fresh::sqlite_file(&file).await;
        let url = format!("sqlite://{}", file.display());
        let mut app = Self::start(&url, config, with_admin).await;
        app._dir = Some(dir);
        app
    }

    /// A fresh PostgreSQL database, or `None` (said loudly) when TEST_POSTGRES_URL is not set.
    pub async fn postgres() -> Option<Self> {
        Self::postgres_with(test_config()).await
    }

    pub async fn postgres_with(config: Config) -> Option<Self> {
        Self::postgres_start(config, true).await
    }

    /// On a migrated PostgreSQL database without any account, or `None` as [`TestApp::postgres`].
    pub async fn postgres_empty() -> Option<Self> {
        Self::postgres_start(test_config(), false).await
    }

    async fn postgres_start(config: Config, with_admin: bool) -> Option<Self> {
        let database = PostgresDatabase::create().await?;
        let mut app = Self::start(&database.url, config, with_admin).await;
        app.postgres = Some(database);
        Some(app)
    }

    /// Another app on a fresh database without any account, of the same kind as this one's.
    pub async fn empty_like(&self) -> TestApp {
        match self.postgres {
            Some(_) => Self::postgres_empty().await.expect("PostgreSQL is there"),
            None => Self::sqlite_empty().await,
        }
    }

    async fn start(url: &str, config: Config, with_admin: bool) -> Self {
        let db = Db::connect(url).await.expect("connect");
        db.migrate().await.expect("migrate");
        if with_admin {
            create_staff_in(&db, "admin", "Ada Admin", Role::Admin, ADMIN_PASSWORD, false).await;
        }
        let state = AppState::new(db, config).await.expect("state");
        Self::serve(state).await
    }

    /// A second server on the same database whose sessions end after `limit` without activity.
    pub async fn with_idle_limit(&self, limit: Duration) -> TestApp {
        let mut inner = (*self.state).clone();
        inner.config = Arc::new(Config {
            session_idle: limit,
            ..test_config()
        });
        inner.shutdown = tokio_util::sync::CancellationToken::new();
        Self::serve(inner.into()).await
    }

    /// Serves another instance of the same database (a second app server behind a load balancer).
    pub async fn serve(state: AppState) -> Self {
        Self::serve_on("127.0.0.1:0".parse().expect("address"), state).await
    }

    /// Serves on a given address (a restarted server taking its predecessor's place).
    pub async fn serve_on(addr: SocketAddr, state: AppState) -> Self {
        log_server_errors();
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            sickbay::serve(listener, server_state).await.expect("server");
        });
        TestApp {
            addr,
            state,
            server: Some(server),
            _dir: None,
            postgres: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Announces `event` as a committed change does (for rows a test wrote straight into the tables).
    pub async fn announce(&self, event: Event) {
        let mut tx = self.db().begin_write().await.expect("a transaction");
        tx.announce(event);
        tx.commit().await.expect("announced");
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// A client logged in as the built-in admin.
    pub async fn admin(&self) -> Client {
        let client = self.client();
        client.login_ok("admin", ADMIN_PASSWORD).await;
        client
    }

    /// Creates a staff account directly (not through the UI) and returns its id.
    pub async fn create_staff(&self, username: &str, role: Role, must_change: bool) -> i64 {
        create_staff_in(
            self.db(),
            username,
            &format!("Test {username}"),
            role,
            PASSWORD,
            must_change,
        )
        .await
    }

    /// A client logged in as a new account of `role`.
    pub async fn login_as(&self, username: &str, role: Role) -> Client {
        self.create_staff(username, role, false).await;
        let client = self.client();
        client.login_ok(username, PASSWORD).await;
        client
    }

    /// Stores a clinic setting and refreshes the cache, as the settings page does.
    pub async fn set_setting(&self, key: &str, value: &str) {
        let mut tx = self.db().begin_write().await.expect("tx");
        sickbay_core::settings::repo::save(&mut tx, key, value)
            .await
            .expect("save setting");
        tx.commit().await.expect("commit");
        self.state.settings.refresh(self.db()).await.expect("refresh settings");
    }

    /// Runs `sql` (a statement that returns no rows) on the app's database.
    pub async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(self.db().pool()).await.expect(sql);
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db().pool())
            .await
            .expect("count query")
    }

    /// How many audit rows record `action`.
    pub async fn audits(&self, action: &str) -> i64 {
        self.count(&format!("SELECT COUNT(*) FROM audit_event WHERE action = '{action}'"))
            .await
    }

    /// Takes away the table the audit rows of reads are written to (the log), so that writing one fails.
    pub async fn break_the_audit_of_reads(&self) {
        let mut tx = self.db().begin_write().await.expect("begin");
        sqlx::query("DROP TABLE audit_event")
            .execute(&mut *tx)
            .await
            .expect("drop");
        tx.commit().await.expect("commit");
    }

    /// Stops the server and waits for it to finish (graceful shutdown).
    pub async fn shutdown(&mut self) {
        self.state.shutdown.cancel();
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .expect("server stops in time")
                .expect("join");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

/// The app as tests run it: background jobs off, so a test's own slots aren't reconciled away under it (tests
/// call the jobs' functions directly when they want them).
pub fn test_config() -> Config {
    Config {
        background_jobs: false,
        ..Config::default()
    }
}

pub async fn create_staff_in(
    db: &Db,
    username: &str,
    name: &str,
    role: Role,
    password: &str,
    must_change: bool,
) -> i64 {
    let new = NewStaff::validate(username, name, "", role.as_str()).expect("valid staff");
    service::create_with_hash(db, &Actor::system("test"), &new, &quick_hash(password), must_change)
        .await
        .expect("create staff")
}

/// `password` hashed as the app stores a password (argon2id, its parameters in the hash, which logging in
/// verifies with), at the smallest cost argon2 allows, for the accounts the tests make without a form: hashing
/// and verifying at the app's cost was an eighth of the machine in the database tests. The passwords the app
/// hashes itself (forms, changes, resets) keep its cost.
pub fn quick_hash(password: &str) -> String {
    use argon2::password_hash::PasswordHasher;
    let params = argon2::Params::new(argon2::Params::MIN_M_COST, 1, 1, None).expect("argon2 parameters");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .expect("hash")
}

/// A response, read.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The text of every element matching `selector`, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {selector} in:\n{}", self.body))
    }

    pub fn has(&self, selector: &str) -> bool {
        !self.texts(selector).is_empty()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned))
    }

    /// The attribute `attr` of every element `selector` finds that has it, in the page's order.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("selector");
        self.html()
            .select(&selector)
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }

    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body:\n{}", self.body);
        self
    }

    #[track_caller]
    pub fn assert_redirect(&self, to: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "body:\n{}", self.body);
        assert_eq!(self.location(), Some(to));
        self
    }

    /// Asserts a redirect to a visit's consultation screen (`/visits/N`), and gives N.
    pub fn assert_redirect_to_visit(&self) -> i64 {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "body:\n{}", self.body);
        let location = self.location().unwrap_or_default();
        location
            .strip_prefix("/visits/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("a redirect to a visit, not {location:?}"))
    }
}

/// A browser without JavaScript: cookies, forms with their CSRF token, and redirects left to the test.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub jar: Arc<Jar>,
    http: reqwest::Client,
    csrf: Arc<std::sync::Mutex<Option<String>>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self::with_jar(addr, Arc::new(Jar::default()))
    }

    pub fn with_jar(addr: SocketAddr, jar: Arc<Jar>) -> Self {
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Client {
            addr,
            jar,
            http,
            csrf: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The raw `Cookie` header this client would send.
    pub fn cookie_header(&self) -> String {
        let url = reqwest::Url::parse(&self.url("/")).expect("url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    async fn read(&self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        let page = Page { status, headers, body };
        if let Some(token) = page.attr("input[name=csrf_token]", "value") {
            *self.csrf.lock().expect("lock") = Some(token);
        }
        page
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self.http.get(self.url(path)).send().await.expect("GET");
        self.read(response).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.http.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.read(request.send().await.expect("GET")).await
    }

    /// The CSRF token of this session, fetching a page to learn it when needed.
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.csrf.lock().expect("lock").clone() {
            return token;
        }
        // /login shows the token to a visitor; a logged-in user is redirected, and finds it on their password page.
        for path in ["/login", "/account/password"] {
            self.get(path).await;
            if let Some(token) = self.csrf.lock().expect("lock").clone() {
                return token;
            }
        }
        panic!("no page showed a CSRF token")
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self.http.post(self.url(path)).form(fields).send().await.expect("POST");
        self.read(response).await
    }

    pub async fn post_with_headers(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let mut request = self.http.post(self.url(path)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.read(request.send().await.expect("POST")).await
    }

    /// Posts a multipart form with one file field, adding the CSRF token as a field unless `with_token` is false.
    pub async fn post_file(&self, path: &str, field: &str, file_name: &str, bytes: Vec<u8>, with_token: bool) -> Page {
        let mut form = reqwest::multipart::Form::new();
        if with_token {
            form = form.text("csrf_token", self.csrf_token().await);
        }
        form = form.part(
            field.to_owned(),
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        let response = self
            .http
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    pub async fn post_body(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let response = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    pub async fn login(&self, identifier: &str, password: &str) -> Page {
        self.get("/login").await;
        let page = self
            .post("/login", &[("identifier", identifier), ("password", password)])
            .await;
        if page.status == StatusCode::SEE_OTHER {
            // The token rotates at login; learn the new one when next needed.
            *self.csrf.lock().expect("lock") = None;
        }
        page
    }

    pub async fn login_ok(&self, identifier: &str, password: &str) {
        let page = self.login(identifier, password).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login as {identifier} failed:\n{}",
            page.body
        );
    }
}

/// A server-sent event stream read as a browser's EventSource would: one event at a time, by name.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct ServerEvent {
    pub name: String,
    pub data: String,
}

impl EventStream {
    /// Opens `path` with this client's cookies; panics unless it answers 200 with an event stream.
    pub async fn open(client: &Client, path: &str) -> EventStream {
        let response = client
            .http
            .get(client.url(path))
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("GET event stream");
        assert_eq!(response.status(), StatusCode::OK, "event stream {path}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{path} answered {kind}");
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), or `None` when the stream ended or `wait` passed.
    pub async fn next(&mut self, wait: Duration) -> Option<ServerEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Reads events until one named `name` whose data satisfies `wanted` arrives (or `wait` passes).
    pub async fn until(&mut self, name: &str, wait: Duration, wanted: impl Fn(&str) -> bool) -> Option<ServerEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if event.name == name && wanted(&event.data) {
                return Some(event);
            }
        }
    }
}

fn parse_event(block: &str) -> Option<ServerEvent> {
    let (mut name, mut data) = (String::from("message"), Vec::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = value.trim_start().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
    }
    (!data.is_empty()).then(|| ServerEvent {
        name,
        data: data.join("\n"),
    })
}

/// A doctor's weekly hours on every day of the week, `from`..`to` (minutes after midnight), in slots of
/// `slot_minutes` with `capacity` seats, valid from today; the slots are generated at once.
pub async fn hours_every_day(app: &TestApp, doctor: i64, from: i64, to: i64, slot_minutes: i64, capacity: i64) {
    let settings = app.state.settings.get();
    for weekday in 1..=7 {
        let hours = sickbay_core::scheduling::model::Hours {
            id: 0,
            doctor_id: doctor,
            weekday,
            start_minute: from,
            end_minute: to,
            slot_minutes,
            capacity,
            valid_from: sickbay_core::db::Date(settings.today()),
            valid_until: None,
            active: true,
        };
        sickbay_core::scheduling::service::add_hours(app.db(), &Actor::system("test"), &hours)
            .await
            .expect("hours");
    }
    sickbay_core::scheduling::service::generate_slots(app.db(), settings.slot_horizon(), None)
        .await
        .expect("slots");
}

/// Imports students from CSV text straight through the import service (creating missing faculties,
/// departments and levels), and checks that no row was rejected.
pub async fn import_students(app: &TestApp, csv: &str) {
    let options = sickbay_core::import::service::ImportOptions {
        create_missing: true,
        pattern: app.state.settings.get().matric_regex(),
        today: app.state.settings.get().today(),
    };
    let outcome = sickbay_core::import::service::run(app.db(), &Actor::system("test"), None, csv, &options)
        .await
        .expect("import");
    assert_eq!(outcome.counts.rejected, 0, "{:?}", outcome.rejections);
}

// == Fixtures: people, rooms, slots and bookings, made through the services wherever the test can ==

/// The portal password of every student that [`Students`] registers.
pub const STUDENT_PASSWORD: &str = "student passphrase";

/// The year of the clinic numbers that fixtures' patients get.
const FIXTURE_YEAR: i32 = 2026;

/// Students with a portal password, registered through `patients::service::register`, all sharing one
/// [`quick_hash`] (hashing hundreds of passwords would only slow the tests). Their matric numbers are `PREFIX/26/0000`,
/// `PREFIX/26/0001`, ... in the order of each call's names, so two groups of one test need two prefixes.
#[derive(Clone, Copy, Debug)]
pub struct Students {
    prefix: &'static str,
    surname: &'static str,
    approved: bool,
}

impl Students {
    /// Approved students named `... surname`, with matric numbers under `prefix`.
    pub const fn new(prefix: &'static str, surname: &'static str) -> Self {
        Students {
            prefix,
            surname,
            approved: true,
        }
    }

    /// The same students, waiting for the clinic's approval.
    pub const fn pending(self) -> Self {
        Students {
            approved: false,
            ..self
        }
    }

    /// The matric number of the `index`th student (from 0).
    pub fn matric(&self, index: usize) -> String {
        format!("{}/26/{index:04}", self.prefix)
    }

    /// One student for each first name, in order; their ids.
    pub async fn named(&self, app: &TestApp, first_names: &[&str]) -> Vec<i64> {
        self.register(app, first_names.iter().map(|name| (*name).to_owned()))
            .await
    }

    /// `count` students, first named `Student0`, `Student1`, ...; their ids.
    pub async fn numbered(&self, app: &TestApp, count: usize) -> Vec<i64> {
        self.register(app, (0..count).map(|i| format!("Student{i}"))).await
    }

    async fn register(&self, app: &TestApp, first_names: impl Iterator<Item = String>) -> Vec<i64> {
        let hash = quick_hash(STUDENT_PASSWORD);
        let pattern = app.state.settings.get().matric_regex();
        let mut ids = Vec::new();
        for (index, first_name) in first_names.enumerate() {
            let matric = MatricNumber::parse(&self.matric(index), &pattern).expect("a matric number");
            let details = PatientDetails {
                matric_number: Some(matric),
                ..PatientDetails::new(PatientKind::Student, first_name, self.surname.to_owned())
            };
            let portal = PortalAccess {
                password_hash: Some(&hash),
                must_change_password: false,
                approved: self.approved,
            };
            ids.push(register(app, &details, portal).await.0);
        }
        ids
    }

    /// A client logged in as the `index`th student.
    pub async fn client(&self, app: &TestApp, index: usize) -> Client {
        let client = app.client();
        client.login_ok(&self.matric(index), STUDENT_PASSWORD).await;
        client
    }
}

/// A visitor (no matric number, no portal password) registered through `patients::service::register`:
/// their id and clinic number.
pub async fn visitor(app: &TestApp, first_name: &str, surname: &str) -> (i64, String) {
    let details = PatientDetails::new(PatientKind::Visitor, first_name.to_owned(), surname.to_owned());
    let portal = PortalAccess {
        password_hash: None,
        must_change_password: false,
        approved: true,
    };
    register(app, &details, portal).await
}

async fn register(app: &TestApp, details: &PatientDetails, portal: PortalAccess<'_>) -> (i64, String) {
    sickbay_core::patients::service::register(app.db(), &Actor::system("test"), details, portal, FIXTURE_YEAR)
        .await
        .expect("register a patient")
}

/// A doctor account and a client logged in as them.
pub async fn doctor(app: &TestApp, username: &str) -> (i64, Client) {
    let id = app.create_staff(username, Role::Doctor, false).await;
    let client = app.client();
    client.login_ok(username, PASSWORD).await;
    (id, client)
}

/// Adds a room on the admin's rooms page; its id.
pub async fn add_room(app: &TestApp, admin: &Client, name: &str, code: &str) -> i64 {
    admin
        .post("/admin/rooms", &[("name", name), ("code", code)])
        .await
        .assert_redirect("/admin/rooms");
    app.count(&format!("SELECT id FROM room WHERE code = '{}'", code.to_uppercase()))
        .await
}

/// A doctor (as [`doctor`]) who chose to work in `room` today.
pub async fn doctor_in_room(app: &TestApp, username: &str, room: i64) -> (i64, Client) {
    let (id, client) = doctor(app, username).await;
    client
        .post("/queue/room", &[("room_id", &room.to_string())])
        .await
        .assert_redirect("/queue/doctor");
    (id, client)
}

/// Reception, and two doctors each working in a room (A: Room 1, B: Room 2).
pub struct Clinic {
    pub reception: Client,
    pub doctor_a: (i64, Client),
    pub doctor_b: (i64, Client),
    pub room_a: i64,
}

pub async fn clinic(app: &TestApp) -> Clinic {
    let admin = app.admin().await;
    let room_a = add_room(app, &admin, "Room 1", "A").await;
    let room_b = add_room(app, &admin, "Room 2", "B").await;
    let reception = app.login_as("frontdesk", Role::Reception).await;
    let doctor_a = doctor_in_room(app, "dr.adeyemi", room_a).await;
    let doctor_b = doctor_in_room(app, "dr.bello", room_b).await;
    Clinic {
        reception,
        doctor_a,
        doctor_b,
        room_a,
    }
}

/// A 30-minute slot of `doctor` with `capacity` seats starting at `starts`, on the clinic day it falls on,
/// straight into the table: tests need slots in the past, too soon or too far ahead to book, which no hours
/// would make.
pub async fn slot(app: &TestApp, doctor: i64, capacity: i64, starts: Timestamp) -> i64 {
    let zone = app.state.settings.get().clinic.time_zone;
    let day = Date(starts.to_utc().with_timezone(&zone).date_naive());
    insert_slot(app, doctor, day, starts, 30, capacity).await
}

/// A slot as [`slot`], starting `minutes` from now (before now when negative).
pub async fn slot_in(app: &TestApp, doctor: i64, capacity: i64, minutes: i64) -> i64 {
    slot(app, doctor, capacity, Timestamp(Timestamp::now().0 + minutes * 60_000)).await
}

/// Announced as the app announces the slots it makes, so that pages sharing a read of slots see it.
async fn insert_slot(app: &TestApp, doctor: i64, day: Date, starts: Timestamp, minutes: i64, capacity: i64) -> i64 {
    let id = sqlx::query_scalar(
        "INSERT INTO slot (doctor_id, day, starts_at, ends_at, capacity, booked, blocked, created_at)
         VALUES ($1, $2, $3, $4, $5, 0, 0, $3) RETURNING id",
    )
    .bind(doctor)
    .bind(day)
    .bind(starts)
    .bind(Timestamp(starts.0 + minutes * 60_000))
    .bind(capacity)
    .fetch_one(app.db().pool())
    .await
    .expect("slot");
    app.announce(Event::Bookings).await;
    id
}

/// A slot as [`slot`], tomorrow at `minutes` past the clinic's midnight: two of them share a day whatever the
/// hour the test runs, which slots some hours from now would not late in the evening.
pub async fn slot_tomorrow(app: &TestApp, doctor: i64, capacity: i64, minutes: i64) -> i64 {
    let settings = app.state.settings.get();
    let tomorrow = settings.today() + chrono::Days::new(1);
    let starts = Timestamp::start_of_day(tomorrow, settings.clinic.time_zone).plus_minutes(minutes);
    slot(app, doctor, capacity, starts).await
}

/// A booking of `patient` on `slot`, taking one of its seats, straight into the tables (the booking rules
/// would refuse a slot in the past) and announced as the app announces a booking; the appointment's id.
pub async fn appointment_on(app: &TestApp, patient: i64, slot: i64) -> i64 {
    let seats = sqlx::query("UPDATE slot SET booked = booked + 1 WHERE id = $1 AND booked < capacity")
        .bind(slot)
        .execute(app.db().pool())
        .await
        .expect("take a seat");
    assert_eq!(seats.rows_affected(), 1, "slot {slot} has a free seat");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appointment (patient_id, slot_id, day, status, created_at, updated_at)
         SELECT $1, id, day, 'booked', $3, $3 FROM slot WHERE id = $2 RETURNING id",
    )
    .bind(patient)
    .bind(slot)
    .bind(Timestamp::now())
    .fetch_one(app.db().pool())
    .await
    .expect("appointment");
    app.announce(Event::Bookings).await;
    id
}

/// A booked appointment of `patient` with `doctor` today at `starts` (a 20-minute slot of five seats of its
/// own, dated today even when `starts` is not), to be checked in; the appointment's id.
pub async fn appointment_today(app: &TestApp, patient: i64, doctor: i64, starts: Timestamp) -> i64 {
    let slot = slot_today(app, doctor, starts).await;
    appointment_on(app, patient, slot).await
}

/// A 20-minute slot of five seats of `doctor` at `starts`, dated today even when `starts` is not.
pub async fn slot_today(app: &TestApp, doctor: i64, starts: Timestamp) -> i64 {
    let today = Date(app.state.settings.get().today());
    insert_slot(app, doctor, today, starts, 20, 5).await
}

/// A doctor's "New visit" on a patient's record: the id of the open visit it leads to.
pub async fn new_visit(doctor: &Client, patient: i64) -> i64 {
    doctor
        .post(&format!("/patients/{patient}/visits"), &[])
        .await
        .assert_redirect_to_visit()
}

#[derive(Clone, Debug)]
/// The fields a form of a page would send as it stands (hidden fields, values, ticked boxes), without the CSRF
/// token, which the client adds.
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The inputs of the form matching `selector` (checkboxes and radios only when checked).
    #[track_caller]
    pub fn of(page: &Page, selector: &str) -> FormFields {
        assert!(page.has(selector), "no {selector} in:\n{}", page.body);
        let html = page.html();
        let inputs = Selector::parse(&format!("{selector} input")).expect("selector");
        let mut fields = Vec::new();
        for input in html.select(&inputs) {
            let element = input.value();
            let Some(name) = element.attr("name") else {
                continue;
            };
            let kind = element.attr("type").unwrap_or("text");
            if name == "csrf_token" || matches!(kind, "submit" | "button" | "reset" | "image" | "file") {
                continue;
            }
            if matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none() {
                continue;
            }
            fields.push((name.to_owned(), element.attr("value").unwrap_or_default().to_owned()));
        }
        FormFields(fields)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[track_caller]
    pub fn value(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no input {name} in the form: {:?}", self.0))
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
        self
    }

    /// Ticks the box `name` of value `value`, as a click on one of a list's boxes would.
    pub fn tick(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.0.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn fields(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    /// The names of the inputs starting with `prefix`, in the form's order.
    pub fn named(&self, prefix: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(n, _)| n.clone())
            .collect()
    }
}
pub mod fake_sms;
pub mod fresh;
pub mod smtp_sink;
