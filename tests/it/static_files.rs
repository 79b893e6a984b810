//! CSS, JavaScript and the icon: built into the binary, served under content-hashed names and cached for a year,
//! or read from a development folder when one is set.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use scraper::{Html, Selector};
use sickbay::config::Config;

use crate::support::{TestApp, test_config};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SOURCE_STATIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// The release scenario: the binary alone in an empty folder, no source tree and no static/ beside it.
#[tokio::test]
async fn a_copied_binary_serves_every_linked_file_from_itself() {
    let server = CopiedServer::start().await;
    let http = plain_client();

    let mut links = BTreeSet::new();
    for path in ["/login", "/display", "/register"] {
        let response = http.get(server.url(path)).send().await.expect("GET");
        let status = response.status();
        let html = response.text().await.expect("body");
        if path != "/register" {
            assert_eq!(status, StatusCode::OK, "{path}: {html}");
        }
        links.extend(linked_files(&html));
    }

    let mut served = BTreeSet::new();
    for link in &links {
        let source = source_name(link);
        let response = http.get(server.url(link)).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "{link}");
        assert_eq!(header(&response, "cache-control"), IMMUTABLE, "{link}");
        assert_eq!(
            header(&response, "content-type"),
            expected_content_type(&source),
            "{link}"
        );
        let body = response.bytes().await.expect("body");
        assert!(body == read_source(&source), "{link} differs from static/{source}");
        served.insert(source);
    }
    for expected in [
        "app.css",
        "display.css",
        "display.js",
        "favicon.ico",
        "forms.js",
        "vendor/htmx-2.0.11.min.js",
        "vendor/htmx-ext-sse-2.2.4.min.js",
        "vendor/pico-2.1.1.min.css",
    ] {
        assert!(served.contains(expected), "no page linked {expected}: {served:?}");
    }

    // Browsers ask for the icon at the root whatever the page says.
    let icon = http.get(server.url("/favicon.ico")).send().await.expect("GET");
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(header(&icon, "content-type"), "image/x-icon");
    assert!(icon.bytes().await.expect("body") == read_source("favicon.ico"));
}

#[tokio::test]
async fn plain_names_are_cached_briefly_and_wrong_hashes_are_not_found() {
    let app = TestApp::sqlite().await;
    let http = plain_client();
    let url = |path: &str| format!("http://{}{path}", app.addr);
    let css = stylesheet_link(&app, "/app.").await;

    let plain = http.get(url("/static/app.css")).send().await.expect("GET");
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, "cache-control"), "public, max-age=300");
    assert!(plain.bytes().await.expect("body") == read_source("app.css"));

    let (stem, hash, extension) = split_hashed(&css);
    let wrong_hash = format!("{stem}.00000000.{extension}");
    assert_ne!(hash, "00000000");
    for path in [
        wrong_hash.as_str(),
        "/static/vendor/htmx-2.0.11.min.00000000.js",
        "/static/app.1a2b3c4d5e.css",
        "/static/no-such-file.css",
        "/static/vendor/README.md",
    ] {
        let response = http.get(url(path)).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn css_and_javascript_are_compressed_and_revalidated_by_etag() {
    let app = TestApp::sqlite().await;
    let http = plain_client();
    let url = |path: &str| format!("http://{}{path}", app.addr);
    let css = stylesheet_link(&app, "/app.").await;

    for (path, encoding) in [(css.as_str(), "br"), ("/static/forms.js", "gzip")] {
        let response = http
            .get(url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "content-encoding"), encoding, "{path}");
    }

    let first = http.get(url(&css)).send().await.expect("GET");
    let etag = header(&first, "etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = http
        .get(url(&css))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "cache-control"), IMMUTABLE);
    let changed = http
        .get(url(&css))
        .header("if-none-match", "W/\"something-else\"")
        .send()
        .await
        .expect("GET");
    assert_eq!(changed.status(), StatusCode::OK);
}

/// A developer edits the CSS in the folder and sees it on reload, without rebuilding; nothing is cached.
#[tokio::test]
async fn a_development_folder_is_read_on_every_request() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(folder.path().join("app.css"), "body { color: red }").expect("write");
    let app = TestApp::sqlite_with(Config {
        static_dir: Some(folder.path().to_path_buf()),
        ..test_config()
    })
    .await;
    let http = plain_client();
    let css = stylesheet_link(&app, "/app.").await;
    let url = format!("http://{}{css}", app.addr);

    let response = http.get(&url).send().await.expect("GET");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "content-type"), "text/css; charset=utf-8");
    assert_eq!(response.text().await.expect("body"), "body { color: red }");

    std::fs::write(folder.path().join("app.css"), "body { color: blue }").expect("write");
    let response = http.get(&url).send().await.expect("GET");
    assert_eq!(response.text().await.expect("body"), "body { color: blue }");

    // A built-in file missing from the folder is missing, not silently the built-in copy.
    let response = http
        .get(format!("http://{}/static/forms.js", app.addr))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// The `sickbay` binary copied into an empty folder and serving from there; killed when dropped.
struct CopiedServer {
    child: Child,
    base: String,
    folder: tempfile::TempDir,
}

impl CopiedServer {
    async fn start() -> Self {
        let folder = tempfile::tempdir().expect("temp dir");
        let binary = folder.path().join("sickbay");
        std::fs::copy(env!("CARGO_BIN_EXE_sickbay"), &binary).expect("copy the binary");
        let port = free_port();
        let log = std::fs::File::create(folder.path().join("sickbay.log")).expect("log file");
        // A clean environment: no SICKBAY_STATIC_DIR, no DATABASE_URL (the default is sickbay.db in the folder).
        let child = Command::new(&binary)
            .current_dir(folder.path())
            .env_clear()
            .env("SICKBAY_BIND", format!("127.0.0.1:{port}"))
            .env("SICKBAY_NO_BACKGROUND_JOBS", "true")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the copied binary");
        let mut server = CopiedServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            folder,
        };
        server.wait_until_healthy().await;
        assert!(
            server.folder.path().join("sickbay.db").exists(),
            "a fresh database in its folder"
        );
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn wait_until_healthy(&mut self) {
        let http = plain_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the copied binary exited with {status}:\n{}", self.log());
            }
            if let Ok(response) = http.get(self.url("/healthz")).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            assert!(Instant::now() < deadline, "no answer on /healthz:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("sickbay.log")).unwrap_or_default()
    }
}

impl Drop for CopiedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now; the binary binds it a moment later.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// No cookies, no redirects followed, and no Accept-Encoding unless a test sends one, so bodies come as stored.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every stylesheet, script and icon a page links.
fn linked_files(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse("link[rel=stylesheet], link[rel=icon], script[src]").expect("selector");
    document
        .select(&selector)
        .filter_map(|element| element.value().attr("href").or(element.value().attr("src")))
        .map(str::to_owned)
        .collect()
}

/// The `/static/...` address of the login page's stylesheet whose path contains `part`.
async fn stylesheet_link(app: &TestApp, part: &str) -> String {
    let page = app.client().get("/login").await;
    linked_files(&page.body)
        .into_iter()
        .find(|link| link.contains(part))
        .unwrap_or_else(|| panic!("no stylesheet with {part} in:\n{}", page.body))
}

/// A hashed address cut into what comes before the hash, the hash (eight hex digits) and the extension.
fn split_hashed(link: &str) -> (&str, &str, &str) {
    let parts = link
        .rsplit_once('.')
        .and_then(|(rest, extension)| rest.rsplit_once('.').map(|(stem, hash)| (stem, hash, extension)));
    match parts {
        Some(parts @ (_, hash, _)) if hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => parts,
        _ => panic!("{link} has no content hash"),
    }
}

/// `/static/vendor/htmx-2.0.11.min.1a2b3c4d.js` → `vendor/htmx-2.0.11.min.js`.
fn source_name(link: &str) -> String {
    let (stem, _, extension) = split_hashed(link);
    let stem = stem
        .strip_prefix("/static/")
        .unwrap_or_else(|| panic!("{link} is not under /static/"));
    format!("{stem}.{extension}")
}

fn read_source(name: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(SOURCE_STATIC).join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn expected_content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("ico") => "image/x-icon",
        _ => panic!("a test needs the content type of {name}"),
    }
}
