//! Browser tests in headless Chromium (Debian's chromium and chromium-driver), at a desktop size and a
//! 360 px phone size. Screenshots go to test-artifacts/screenshots/.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, TestApp, on_both_databases, skip};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Fields drop in order: the driver's processes are gone before the profile they write to is removed.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
    label: String,
}

/// chromedriver in a process group of its own, with the Chromium it starts. Dropping it kills the whole group,
/// so a test that panics or never calls `close` leaves nothing running, and no Chromium writes into a profile
/// folder that is being removed.
struct Driver(Child);

impl Driver {
    fn spawn(port: u16) -> Driver {
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        Driver(child)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        use rustix::process::{Pid, Signal, kill_process_group};
        // SIGKILL stops every process of the group before it can start another write to the profile; the
        // ones chromedriver leaves behind are reaped by init.
        let _ = kill_process_group(Pid::from_child(&self.0), Signal::KILL);
        let _ = self.0.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a Chromium session at `width`x`height`, or says loudly why it can't.
    pub async fn start(width: u32, height: u32, label: &str) -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            skip(
                "browser tests",
                "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let driver = Driver::spawn(port);
        let profile = tempfile::tempdir().expect("profile dir");
        // Headless Chromium won't make a window narrower than 500 px; a phone's viewport is emulated instead.
        let phone = width < 500;
        let mut capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        if phone {
            capabilities["goog:chromeOptions"]["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "touch": true}});
        }
        let capabilities = capabilities.as_object().cloned().expect("object");
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver listens within tens of milliseconds: wait for its port, not a step of the retries below.
        for _ in 0..1000 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut last_error = String::new();
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        _driver: driver,
                        _profile: profile,
                        label: label.to_owned(),
                    });
                }
                Err(err) => last_error = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not start a Chromium session: {last_error}");
    }

    pub async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("goto");
    }

    /// The element `css` picks, once the page has it: looked for every 50 ms (fantoccini's default, 250 ms,
    /// added a quarter of a second to most steps that wait for an htmx swap).
    pub async fn element(&self, css: &str) -> Element {
        self.client
            .wait()
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .expect(css)
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.element(css).await.click().await.expect("click");
    }

    /// Logs in through the login form as `who` and waits for the page it leads to.
    pub async fn log_in(&self, app: &TestApp, who: &str, password: &str, to: &str) {
        self.goto(app, "/login").await;
        self.fill("#identifier", who).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]").await;
        self.wait_for_path(to).await;
    }

    /// Scrolls `css` to the middle of the screen, then clicks it: on a patient's page the tab bar fixed at the
    /// bottom of the screen would take a click that WebDriver aims at the screen's lower edge.
    pub async fn click_in_view(&self, css: &str) {
        let element = self.element(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'}); return true;",
                vec![serde_json::to_value(&element).expect("element")],
            )
            .await
            .expect("scroll");
        element.click().await.expect("click");
    }

    /// Clicks `css` in a live region, finding it again if a server push replaced it between finding and clicking.
    pub async fn click_live(&self, css: &str) {
        let mut last = String::new();
        for _ in 0..50 {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.click().await {
                    Ok(_) => return,
                    Err(err) => last = err.to_string(),
                },
                Err(err) => last = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not click {css}: {last}");
    }

    /// The text of the element `css` finds; found again if a live update replaced it meanwhile.
    pub async fn text(&self, css: &str) -> String {
        let mut last = String::new();
        for _ in 0..20 {
            match self.element(css).await.text().await {
                Ok(text) => return text,
                Err(err) => last = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no text from {css}: {last}");
    }

    /// Scrolls section `id` to the top of the screen and waits until the page's list of its sections
    /// (`nav[data-marks-current]`) marks it; what the list marks then.
    pub async fn scroll_to_section(&self, id: &str) -> String {
        let mut marked = String::new();
        for _ in 0..50 {
            let found = self
                .client
                .execute(
                    "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});
                     var link = document.querySelector('nav[data-marks-current] a[aria-current]');
                     return link ? link.getAttribute('href') : '';",
                    vec![serde_json::Value::from(id)],
                )
                .await
                .expect("scroll");
            marked = found.as_str().unwrap_or_default().to_owned();
            if marked == format!("#{id}") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        marked
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page's path is `path` (after a form post and redirect) and the page has loaded: the
    /// address changes when the navigation starts, and what is typed before htmx has set up the page's
    /// fields (on a loaded machine, seconds later) sends no request.
    pub async fn wait_for_path(&self, path: &str) {
        for _ in 0..100 {
            if self.path().await == path && self.loaded().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected to reach {path}, still on {}", self.path().await);
    }

    /// Waits up to five seconds for `script` to return true: for what a page's script does after an event the
    /// browser queues (a fold's "toggle"), which a check right after the click would race.
    pub async fn wait_until(&self, script: &str) -> bool {
        for _ in 0..100 {
            if matches!(
                self.client.execute(script, vec![]).await,
                Ok(serde_json::Value::Bool(true))
            ) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    async fn loaded(&self) -> bool {
        let state = self.client.execute("return document.readyState;", vec![]).await;
        matches!(state, Ok(serde_json::Value::String(s)) if s == "complete")
    }

    /// Saves a screenshot as test-artifacts/screenshots/<label>-<name>.png.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-artifacts/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{}-{name}.png", self.label)), png).expect("write screenshot");
    }

    /// The `size` of the page's `@page` rule (what its print stylesheet prints on), if it has one.
    pub async fn page_size(&self) -> Option<String> {
        let size = self
            .client
            .execute(
                "for (const sheet of document.styleSheets) { for (const rule of sheet.cssRules) { \
                   if (rule instanceof CSSPageRule) { return rule.style.getPropertyValue('size'); } } } return null;",
                vec![],
            )
            .await
            .expect("page rule");
        size.as_str().map(str::to_owned)
    }

    /// The document's width against the window's: a page that fits has no horizontal scroll.
    pub async fn fits_width(&self) -> bool {
        let fits = self
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await
            .expect("script");
        fits.as_bool().unwrap_or(false)
    }

    /// The page scrolls only down: the document is no wider than the window, and the window is as wide as the
    /// screen (a phone's browser widens its layout viewport to fit content that overflows, which would hide an
    /// overflow from `scrollWidth <= innerWidth` alone).
    pub async fn assert_fits(&self, width: u32, what: &str) {
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .expect("widths");
        let widest = widths
            .as_array()
            .map(|w| w.iter().filter_map(serde_json::Value::as_f64).fold(0.0, f64::max))
            .unwrap_or(f64::MAX);
        assert!(
            self.fits_width().await && widest <= f64::from(width),
            "{what} is wider than the {width} px screen: [scrollWidth, innerWidth] = {widths}"
        );
    }

    /// Ends the session (chromedriver quits Chromium), then drops the driver's process group and the profile.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

on_both_databases!(
    admin_creates_a_doctor_who_logs_in_on_phone_and_desktop,
    student_registers_and_shows_the_clinic_card_on_a_phone,
    reception_finds_a_patient_by_typing_part_of_a_name,
    a_student_books_sees_and_cancels_on_a_phone,
    focus_rings_are_visible_and_the_site_has_an_icon,
);

/// The contrast of the focused element's outline against white, and whether it is drawn, measured in the page.
const FOCUS_CONTRAST: &str = r#"
const style = getComputedStyle(document.activeElement);
const [r, g, b] = style.outlineColor.match(/[\d.]+/g).map(Number);
const lum = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
const l = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
return { contrast: 1.05 / (l + 0.05), width: parseFloat(style.outlineWidth), style: style.outlineStyle,
         tag: document.activeElement.tagName };
"#;

/// The focus ring was Pico's translucent blue, about 1.8:1 against white; it must be at least 3:1. The browser
/// asks for /favicon.ico on every site; it was a 404.
async fn focus_rings_are_visible_and_the_site_has_an_icon(app: TestApp) {
    let Some(b) = Browser::start(1280, 900, "focus").await else {
        return;
    };
    b.goto(&app, "/login").await;
    let body = b.client.find(Locator::Css("body")).await.expect("body");
    let mut seen = Vec::new();
    for _ in 0..4 {
        body.send_keys("\u{E004}").await.expect("tab");
        let focus = b.client.execute(FOCUS_CONTRAST, vec![]).await.expect("script");
        let tag = focus["tag"].as_str().unwrap_or("").to_owned();
        if tag == "INPUT" || tag == "BUTTON" || tag == "A" {
            assert_eq!(focus["style"], "solid", "{focus}");
            assert!(focus["width"].as_f64().unwrap_or(0.0) >= 2.0, "{focus}");
            assert!(focus["contrast"].as_f64().unwrap_or(0.0) >= 3.0, "{focus}");
            seen.push(tag);
        }
    }
    assert!(seen.contains(&"INPUT".to_owned()), "{seen:?}");
    b.screenshot("focus-ring").await;
    let icon = b
        .client
        .execute_async(
            "const done = arguments[0]; fetch('/favicon.ico').then(r => done([r.status, r.headers.get('content-type')]));",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(icon[0], 200, "{icon}");
    assert_eq!(icon[1], "image/x-icon", "{icon}");
    b.close().await;
}

async fn admin_creates_a_doctor_who_logs_in_on_phone_and_desktop(app: TestApp) {
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, size) in [(360, 740, "phone"), (1280, 900, "desktop")] {
        let Some(browser) = Browser::start(width, height, &format!("{backend}-{size}")).await else {
            return;
        };
        create_doctor_then_log_in_as_them(&app, &browser, size).await;
        browser.close().await;
    }
}

async fn create_doctor_then_log_in_as_them(app: &TestApp, b: &Browser, size: &str) {
    b.goto(app, "/admin").await;
    b.wait_for_path("/login?next=%2Fadmin").await;
    b.screenshot("01-login").await;
    assert!(b.fits_width().await, "login page fits the width");
    b.fill("#identifier", "admin").await;
    b.fill("#password", ADMIN_PASSWORD).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_path("/admin").await;
    assert_eq!(b.text("h1").await, "Good day, Ada Admin");
    b.screenshot("02-admin-home").await;
    assert!(b.fits_width().await, "admin home fits the width");

    let username = format!("dr.ngozi.{size}");
    b.goto(app, "/admin/staff/new").await;
    b.fill("#username", &username).await;
    b.fill("#full_name", &format!("Dr Ngozi Eze {size}")).await;
    b.fill("#email", &format!("ngozi.{size}@clinic.edu")).await;
    b.click("#role option[value=doctor]").await;
    b.screenshot("03-new-doctor-form").await;
    b.click("form[action='/admin/staff'] button[type=submit]").await;
    let password = b.text("#revealed-password").await;
    assert_eq!(password.len(), 16, "one-time password shown");
    b.screenshot("04-doctor-created").await;
    assert!(b.fits_width().await, "account page fits the width");

    // As-you-type search (htmx) finds the new account without a reload.
    b.goto(app, "/admin/staff").await;
    b.fill("#staff-search", &format!("ngozi eze {size}")[6..]).await;
    for _ in 0..100 {
        let rows = b
            .client
            .find_all(Locator::Css("#results tbody tr"))
            .await
            .expect("rows");
        if rows.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.text("#results tbody tr td:nth-child(2)").await, username);
    assert!(
        b.path().await.starts_with("/admin/staff?q="),
        "the search is in the address bar"
    );
    b.screenshot("05-staff-search").await;

    // Log out through the user menu.
    b.click(".user-menu summary").await;
    b.click(".logout-form button").await;
    b.wait_for_path("/login?logged_out=1").await;
    assert_eq!(b.text(".flash-success").await, "You have logged out.");

    b.fill("#identifier", &username).await;
    b.fill("#password", &password).await;
    b.click("form[action='/login'] button[type=submit]").await;
    b.wait_for_path("/account/password").await;
    b.screenshot("06-must-change-password").await;
    let mine = "ngozi's own passphrase";
    b.fill("#current_password", &password).await;
    b.fill("#new_password", mine).await;
    b.fill("#confirm_password", mine).await;
    b.click("form[action='/account/password'] button[type=submit]").await;
    b.wait_for_path("/doctor").await;
    assert_eq!(b.text("h1").await, format!("Good day, Dr Ngozi Eze {size}"));
    b.screenshot("07-doctor-home").await;
    assert!(b.fits_width().await, "doctor home fits the width");
    // Leave logged out for the next size.
    b.click(".user-menu summary").await;
    b.click(".logout-form button").await;
    b.wait_for_path("/login?logged_out=1").await;
}

async fn student_registers_and_shows_the_clinic_card_on_a_phone(app: TestApp) {
    app.set_setting("self_registration", "1").await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(b) = Browser::start(360, 740, &format!("{backend}-phone")).await else {
        return;
    };
    b.goto(&app, "/login").await;
    b.click("a[href='/register']").await;
    b.wait_for_path("/register").await;
    b.fill("#matric_number", "csc/22/0042").await;
    b.fill("#first_name", "Adaeze").await;
    b.fill("#surname", "Okafor").await;
    b.fill("#email", "adaeze@students.example.edu").await;
    b.fill("#password", "adaeze's passphrase").await;
    b.fill("#confirm_password", "adaeze's passphrase").await;
    b.screenshot("10-register").await;
    assert!(b.fits_width().await, "register page fits the width");
    b.click("form[action='/register'] button[type=submit]").await;
    b.wait_for_path("/me").await;
    assert_eq!(b.text("h1").await, "Hello, Adaeze");
    b.screenshot("11-portal-home").await;
    b.click_in_view("nav.tab-bar a[href='/me/card']").await;
    b.wait_for_path("/me/card").await;
    assert!(b.text("#card-clinic-number").await.starts_with("SB-"));
    assert_eq!(b.text("#card-matric").await, "CSC/22/0042");
    // The QR code is an image that loaded (same-origin SVG, allowed by the CSP).
    let loaded = b
        .client
        .execute(
            "const i = document.querySelector('.clinic-card-qr'); return i.complete && i.naturalWidth > 0;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(loaded.as_bool(), Some(true), "QR code loaded");
    assert!(b.fits_width().await, "card fits the width");
    // The number staff ask for is never broken across lines.
    let lines = b
        .client
        .execute(
            "const n = document.getElementById('card-clinic-number'); \
             return Math.round(n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight));",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(lines.as_i64(), Some(1), "the clinic number on one line");
    // The script shows the Print button (hidden without JavaScript, where the browser's own Print serves).
    let print_shown = b
        .client
        .execute("return !document.querySelector('[data-print]').hidden;", vec![])
        .await
        .expect("script");
    assert_eq!(print_shown, serde_json::Value::Bool(true));
    b.screenshot("12-clinic-card").await;
    b.close().await;
}

async fn reception_finds_a_patient_by_typing_part_of_a_name(app: TestApp) {
    let csv = "matric_number,first_name,surname\nCSC/22/0001,Adaeze,Okafor\nCSC/22/0002,Tunde,Bakare\nCSC/22/0003,Okon,Effiong\n";
    crate::support::import_students(&app, csv).await;
    app.create_staff("front.desk", sickbay_core::identity::Role::Reception, false)
        .await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, size) in [(1280, 900, "desktop"), (360, 740, "phone")] {
        let Some(b) = Browser::start(width, height, &format!("{backend}-{size}")).await else {
            return;
        };
        b.log_in(&app, "front.desk", crate::support::PASSWORD, "/reception")
            .await;
        // On a phone the sections are behind the menu button.
        if size == "phone" {
            b.click(".nav-menu summary").await;
            b.click(".nav-menu a[href='/patients']").await;
        } else {
            b.click(".section-nav a[href='/patients']").await;
        }
        b.wait_for_path("/patients").await;
        b.fill("#patient-search", "oka").await;
        let mut names = Vec::new();
        // Up to 10 s: once, on a loaded machine, no result had come within 5 s.
        for _ in 0..200 {
            names = b
                .client
                .find_all(Locator::Css(".result-list li strong"))
                .await
                .expect("results");
            if names.len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let shown = b.text("#results").await;
        assert_eq!(
            names.len(),
            1,
            "one match for 'oka' at {size}; the results said: {shown:?}"
        );
        assert_eq!(b.text(".result-list li strong").await, "Okafor, Adaeze");
        b.screenshot("13-patient-search").await;
        b.click(".result-list li a").await;
        for _ in 0..100 {
            if b.path().await.starts_with("/patients/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(b.text("h1").await, "Adaeze Okafor");
        assert!(b.fits_width().await, "profile fits the width");
        b.screenshot("14-patient-profile").await;
        b.close().await;
    }
}

async fn a_student_books_sees_and_cancels_on_a_phone(app: TestApp) {
    let settings = app.state.settings.get();
    let doctor = app
        .create_staff("dr.okoro", sickbay_core::identity::Role::Doctor, false)
        .await;
    crate::support::hours_every_day(&app, doctor, 9 * 60, 11 * 60, 30, 2).await;
    app.set_setting("self_registration", "1").await;
    app.set_setting("approval_required", "0").await;
    // Not tomorrow: once today's hours are over, tomorrow is the day the picker opens on, and choosing the day
    // already chosen changes nothing.
    let chosen_day = (settings.today() + chrono::Duration::days(2)).to_string();

    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(b) = Browser::start(360, 740, &format!("{backend}-phone")).await else {
        return;
    };
    b.goto(&app, "/register").await;
    b.fill("#matric_number", "MED/23/0007").await;
    b.fill("#first_name", "Kelechi").await;
    b.fill("#surname", "Obi").await;
    b.fill("#email", "kelechi@students.example.edu").await;
    b.fill("#password", "kelechi's passphrase").await;
    b.fill("#confirm_password", "kelechi's passphrase").await;
    b.click("form[action='/register'] button[type=submit]").await;
    b.wait_for_path("/me").await;
    b.click("a#book-now").await;
    b.wait_for_path("/me/book").await;
    // The days are one radio group; choosing one swaps in its times and puts it in the address bar.
    b.click(&format!("label.day-chip[for='day-{chosen_day}']")).await;
    for _ in 0..100 {
        if b.path().await.contains(&format!("day={chosen_day}")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        b.path().await.contains(&format!("day={chosen_day}")),
        "{}",
        b.path().await
    );
    // Its times come into view, below the days out of sight on a phone.
    let mut seen = (false, String::new());
    for _ in 0..40 {
        seen = crate::feedback_browser::on_screen(&b, "#slots-heading").await;
        if seen.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.0, "the day's times in view: {}", seen.1);
    b.click_in_view(".slot-choice").await;
    b.fill("#reason", "Sore throat").await;
    assert!(b.fits_width().await, "booking page fits the width");
    b.screenshot("15-book").await;
    b.click(".slot-form button[type=submit]").await;
    b.wait_for_path("/me/appointments").await;
    assert!(b.text(".flash-success").await.starts_with("Booked:"));
    let upcoming = b.text("#upcoming li").await;
    assert!(
        upcoming.contains("Test dr.okoro") && upcoming.contains("Sore throat"),
        "{upcoming}"
    );
    assert!(b.fits_width().await, "appointments fit the width");
    b.screenshot("16-my-appointments").await;

    // The doctor sees the booking in their day and week schedule, on a phone too.
    let Some(d) = Browser::start(360, 740, &format!("{backend}-phone-doctor")).await else {
        return;
    };
    d.log_in(&app, "dr.okoro", crate::support::PASSWORD, "/doctor").await;
    for (view, shown) in [("day", "Kelechi"), ("week", "1 booked")] {
        d.goto(&app, &format!("/schedule?day={chosen_day}&view={view}")).await;
        let page = d.client.source().await.expect("source");
        assert!(page.contains(shown), "the booking is on the {view} view");
        assert!(d.fits_width().await, "the {view} view fits the width");
        d.screenshot(&format!("18-doctor-schedule-{view}")).await;
    }
    d.close().await;

    // Cancelling asks first, in a dialog whose button names the booking.
    b.click("#upcoming form button").await;
    assert!(b.text("#confirm-ok").await.starts_with("Cancel the "));
    b.click("#confirm-ok").await;
    for _ in 0..100 {
        if b.client.find(Locator::Css("#no-upcoming")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.text(".flash-success").await, "Your appointment is cancelled.");
    b.screenshot("17-cancelled").await;
    assert_eq!(
        app.count("SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM slot")
            .await,
        0
    );
    b.close().await;
}
