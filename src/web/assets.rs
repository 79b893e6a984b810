//! The files under `static/` (CSS, JavaScript, the icon, vendored htmx and Pico), built into the binary so that it
//! runs anywhere it is copied. Each is served under a name carrying a hash of its content
//! (`/static/app.1a2b3c4d.css`) and cached for a year; templates link them through [`url`], so a changed file
//! gets a new address. With a development folder set (`--static-dir`), the files are read from it on every
//! request instead.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{self, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

#[derive(rust_embed::Embed)]
#[folder = "static/"]
#[exclude = "*.md"]
struct Embedded;

const HASH_LEN: usize = 8;

/// How a file was asked for, which says how long it may be cached.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Naming {
    /// By its hashed name: that address never shows other content.
    Hashed,
    /// By its plain name (`/static/app.css`, `/favicon.ico`), whose content changes with a new version.
    Plain,
}

impl Naming {
    fn cache_control(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Naming::Hashed => "public, max-age=31536000, immutable",
            Naming::Plain => "public, max-age=300",
        })
    }
}

static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::embedded);

/// The address of the static file `name` (its path under `static/`, such as `app.css` or
/// `vendor/htmx-2.0.11.min.js`), with its content hash: what templates put in `href` and `src`, as
/// `{{ crate::web::assets::url("app.css") }}`.
pub fn url(name: &str) -> Cow<'static, str> {
    match ASSETS.get(name) {
        Some(asset) => Cow::Borrowed(asset.url.as_str()),
        None => {
            // The unit test `templates_link_only_built_in_files_by_their_hashed_url` stops this before it ships.
            tracing::error!(name, "a template links a static file that is not built in");
            Cow::Owned(format!("/static/{name}"))
        }
    }
}

/// `/static/...` by hashed or plain name, and `/favicon.ico` where browsers look for it.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(static_file))
        .route("/favicon.ico", get(favicon))
}

async fn static_file(
    State(state): State<AppState>,
    extract::Path(path): extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    match ASSETS.route(&path) {
        Some((asset, naming)) => respond(asset, naming, state.config.static_dir.as_deref(), &headers).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn favicon(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match ASSETS.get("favicon.ico") {
        Some(asset) => respond(asset, Naming::Plain, state.config.static_dir.as_deref(), &headers).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn respond(asset: &Asset, naming: Naming, dev_dir: Option<&Path>, headers: &HeaderMap) -> Response {
    match dev_dir {
        Some(dir) => from_folder(dir, asset).await,
        None if matches_etag(headers, &asset.etag) => (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, asset.etag.clone()),
                (header::CACHE_CONTROL, naming.cache_control()),
            ],
        )
            .into_response(),
        None => (
            [
                (header::CONTENT_TYPE, asset.content_type.clone()),
                (header::ETAG, asset.etag.clone()),
                (header::CACHE_CONTROL, naming.cache_control()),
            ],
            Body::from(asset.body.clone()),
        )
            .into_response(),
    }
}

/// The development override: the file as it is on disk now, never cached, so an edit shows on reload.
async fn from_folder(dir: &Path, asset: &Asset) -> Response {
    let path = dir.join(&asset.name);
    match tokio::fs::read(&path).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, asset.content_type.clone()),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "could not read a static file from the development folder");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// `If-None-Match` names this version (weak comparison, as RFC 9110 asks for this header).
fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default().trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == ours)
}

struct Asset {
    /// Its path under `static/`.
    name: String,
    /// `/static/` and the hashed name.
    url: String,
    content_type: HeaderValue,
    /// Weak, because the compression layer changes the bytes sent.
    etag: HeaderValue,
    body: Bytes,
}

struct Assets {
    files: Vec<Asset>,
    /// The path after `/static/`, hashed or plain, to the file.
    routes: HashMap<String, (usize, Naming)>,
}

impl Assets {
    fn embedded() -> Self {
        let files: Vec<Asset> = Embedded::iter()
            .filter_map(|name| Embedded::get(&name).map(|file| Asset::new(&name, file)))
            .collect();
        let mut routes = HashMap::new();
        for (index, file) in files.iter().enumerate() {
            routes.insert(file.name.clone(), (index, Naming::Plain));
            routes.insert(file.url["/static/".len()..].to_owned(), (index, Naming::Hashed));
        }
        Assets { files, routes }
    }

    /// The file at `name` under `static/`.
    fn get(&self, name: &str) -> Option<&Asset> {
        self.route(name)
            .filter(|&(_, naming)| naming == Naming::Plain)
            .map(|(asset, _)| asset)
    }

    fn route(&self, path: &str) -> Option<(&Asset, Naming)> {
        self.routes
            .get(path)
            .map(|&(index, naming)| (&self.files[index], naming))
    }
}

impl Asset {
    fn new(name: &str, file: rust_embed::EmbeddedFile) -> Self {
        let hash = hex(&file.metadata.sha256_hash());
        let url = format!("/static/{}", hashed_name(name, &hash[..HASH_LEN]));
        let etag = HeaderValue::try_from(format!("W/\"{}\"", &hash[..16])).expect("hex is a valid header value");
        let body = match file.data {
            Cow::Borrowed(bytes) => Bytes::from_static(bytes),
            Cow::Owned(bytes) => Bytes::from(bytes),
        };
        Asset {
            name: name.to_owned(),
            url,
            content_type: content_type(file.metadata.mimetype()),
            etag,
            body,
        }
    }
}

/// `app.css` → `app.1a2b3c4d.css`; `vendor/htmx-2.0.11.min.js` → `vendor/htmx-2.0.11.min.1a2b3c4d.js`.
fn hashed_name(name: &str, hash: &str) -> String {
    let file_start = name.rfind('/').map_or(0, |slash| slash + 1);
    match name[file_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let (stem, extension) = name.split_at(file_start + dot);
            format!("{stem}.{hash}{extension}")
        }
        _ => format!("{name}.{hash}"),
    }
}

/// Text files are UTF-8; saying so spares the browser a guess.
fn content_type(mime: &str) -> HeaderValue {
    let value = if mime.starts_with("text/") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    const TEMPLATES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");

    #[test]
    fn the_hash_goes_before_the_extension() {
        assert_eq!(hashed_name("app.css", "1a2b3c4d"), "app.1a2b3c4d.css");
        assert_eq!(
            hashed_name("vendor/htmx-2.0.11.min.js", "1a2b3c4d"),
            "vendor/htmx-2.0.11.min.1a2b3c4d.js"
        );
        assert_eq!(hashed_name("v.1/LICENSE", "1a2b3c4d"), "v.1/LICENSE.1a2b3c4d");
        assert_eq!(hashed_name(".hidden", "1a2b3c4d"), ".hidden.1a2b3c4d");
    }

    #[test]
    fn every_file_under_static_is_built_in_with_its_content() {
        let on_disk = files_under(Path::new(STATIC_DIR));
        assert!(
            on_disk.iter().any(|name| name == "vendor/htmx-2.0.11.min.js"),
            "{on_disk:?}"
        );
        for name in &on_disk {
            let asset = ASSETS.get(name).unwrap_or_else(|| panic!("{name} is not built in"));
            let bytes = std::fs::read(Path::new(STATIC_DIR).join(name)).expect("read");
            assert_eq!(asset.body, bytes, "{name}");
            assert_eq!(
                ASSETS.route(&asset.url["/static/".len()..]).map(|(a, _)| &a.name),
                Some(&asset.name)
            );
        }
        assert_eq!(ASSETS.files.len(), on_disk.len());
    }

    /// An unclosed block (an `@media print {` missing its `}`) silently moves every later rule into it.
    #[test]
    fn every_block_of_the_stylesheet_is_closed() {
        let css = std::fs::read_to_string(Path::new(STATIC_DIR).join("app.css")).expect("app.css");
        let mut depth = 0i64;
        for (number, line) in css.lines().enumerate() {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            assert!(depth >= 0, "app.css line {}: a `}}` closes nothing", number + 1);
        }
        assert_eq!(depth, 0, "app.css ends inside a block");
    }

    #[test]
    fn content_types_name_the_charset_of_text() {
        let types: Vec<(&str, &str)> = ["app.css", "forms.js", "favicon.ico"]
            .into_iter()
            .map(|name| {
                (
                    name,
                    ASSETS.get(name).expect(name).content_type.to_str().expect("ascii"),
                )
            })
            .collect();
        assert_eq!(
            types,
            [
                ("app.css", "text/css; charset=utf-8"),
                ("forms.js", "text/javascript; charset=utf-8"),
                ("favicon.ico", "image/x-icon"),
            ]
        );
    }

    #[test]
    fn if_none_match_is_compared_weakly() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let with =
            |value: &'static str| HeaderMap::from_iter([(header::IF_NONE_MATCH, HeaderValue::from_static(value))]);
        assert!(matches_etag(&with("W/\"abc\""), &etag));
        assert!(matches_etag(&with("\"x\", \"abc\""), &etag));
        assert!(matches_etag(&with("*"), &etag));
        assert!(!matches_etag(&with("\"abcd\""), &etag));
        assert!(!matches_etag(&HeaderMap::new(), &etag));
    }

    /// Templates link static files only through `url`, with names that exist: a typo fails here, not in a browser.
    #[test]
    fn templates_link_only_built_in_files_by_their_hashed_url() {
        let call = regex::Regex::new(r#"crate::web::assets::url\("([^"]*)"\)"#).expect("regex");
        let mut used = 0;
        for name in files_under(Path::new(TEMPLATES_DIR)) {
            let text = std::fs::read_to_string(Path::new(TEMPLATES_DIR).join(&name)).expect("read");
            assert!(
                !text.contains("/static/") && !text.contains("\"/favicon.ico\""),
                "templates/{name} links a static file by a fixed path; use crate::web::assets::url(\"...\")"
            );
            for found in call.captures_iter(&text) {
                assert!(
                    ASSETS.get(&found[1]).is_some(),
                    "templates/{name}: no static file {:?}",
                    &found[1]
                );
                used += 1;
            }
        }
        assert!(used >= 10, "the templates link {used} static files");
    }

    /// Stylesheets are served under hashed names, so a relative `url()` in one resolves beside it, by the
    /// plain name; it must name a file that exists.
    #[test]
    fn stylesheets_refer_only_to_built_in_files() {
        let reference = regex::Regex::new(r#"url\(\s*['"]?([^'")]+)"#).expect("regex");
        for name in files_under(Path::new(STATIC_DIR))
            .iter()
            .filter(|n| n.ends_with(".css"))
        {
            let text = std::fs::read_to_string(Path::new(STATIC_DIR).join(name)).expect("read");
            let folder = name.rfind('/').map_or("", |slash| &name[..=slash]);
            for found in reference.captures_iter(&text) {
                let target = found[1].trim();
                if target.starts_with("data:") || target.starts_with('#') {
                    continue;
                }
                let resolved = target
                    .strip_prefix("/static/")
                    .map_or_else(|| format!("{folder}{target}"), str::to_owned);
                assert!(
                    ASSETS.get(&resolved).is_some(),
                    "{name} refers to {target}, which is not built in"
                );
            }
        }
    }

    /// Paths of the files under `root`, relative to it, with `/` between folders; documentation left out.
    fn files_under(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_none_or(|ext| ext != "md") {
                    let relative = path.strip_prefix(root).expect("inside root");
                    out.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out.sort();
        out
    }
}
