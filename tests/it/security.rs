//! Route protection, CSRF, headers and cookies, error pages, limits, health.

use std::time::Duration;

use reqwest::StatusCode;
use sickbay::config::Config;
use sickbay_core::identity::Role;

use crate::support::{ADMIN_PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    admin_pages_refuse_other_roles_and_anonymous_users,
    csrf_token_is_required_on_every_state_change,
    security_headers_and_cookie_flags,
    unknown_pages_are_404_for_users_and_login_for_strangers,
    htmx_requests_get_hx_redirect_and_fragments,
    oversized_bodies_are_refused,
    health_reports_the_database,
    idle_sessions_expire,
    control_characters_are_refused_in_every_text_field,
    no_role_is_shown_a_link_it_cannot_open,
    a_server_error_shows_the_request_id_as_its_reference,
    an_admin_changes_no_clinical_work,
);

/// Every admin route, as (method, path).
const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/staff"),
    ("GET", "/admin/staff/new"),
    ("POST", "/admin/staff"),
    ("GET", "/admin/staff/1"),
    ("POST", "/admin/staff/1"),
    ("POST", "/admin/staff/1/deactivate"),
    ("POST", "/admin/staff/1/reactivate"),
    ("POST", "/admin/staff/1/reset-password"),
    ("GET", "/admin/audit"),
];

async fn admin_pages_refuse_other_roles_and_anonymous_users(app: TestApp) {
    for role in [Role::Doctor, Role::Pharmacist, Role::Lab, Role::Reception] {
        let client = app.login_as(&format!("x.{}", role.as_str()), role).await;
        for (method, path) in ADMIN_ROUTES {
            let page = match *method {
                "GET" => client.get(path).await,
                _ => {
                    client
                        .post(path, &[("full_name", "Mallory"), ("role", "admin"), ("version", "0")])
                        .await
                }
            };
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {method} {path}");
            assert_eq!(page.text("h1"), "Not allowed");
        }
    }
    // Nothing was changed by the refused posts.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE full_name = 'Mallory'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staff WHERE active = 0").await, 0);

    let stranger = app.client();
    for (method, path) in ADMIN_ROUTES {
        let page = match *method {
            "GET" => stranger.get(path).await,
            _ => stranger.post(path, &[]).await,
        };
        assert_eq!(page.status, StatusCode::SEE_OTHER, "anonymous {method} {path}");
        assert!(
            page.location().unwrap_or_default().starts_with("/login"),
            "{method} {path}"
        );
    }
}

async fn csrf_token_is_required_on_every_state_change(app: TestApp) {
    let admin = app.admin().await;
    let fields = [
        ("username", "csrf.victim"),
        ("full_name", "Victim"),
        ("email", ""),
        ("role", "admin"),
    ];
    let missing = admin.post_raw("/admin/staff", &fields).await;
    missing.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(missing.text("h1"), "Form expired");
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "0000"));
    admin
        .post_raw("/admin/staff", &wrong)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    admin
        .post_with_headers("/admin/staff", &fields, &[("x-csrf-token", "nope")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // JSON or other bodies can't smuggle a request past the check.
    admin
        .post_body("/admin/staff", "application/json", b"{}".to_vec())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE username = 'csrf.victim'")
            .await,
        0
    );
    // Logout needs it too, and so does login.
    admin
        .post_raw("/logout", &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    admin.get("/admin").await.assert_status(StatusCode::OK);
    let stranger = app.client();
    stranger
        .post_raw("/login", &[("identifier", "admin"), ("password", ADMIN_PASSWORD)])
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // The header htmx sends works as well as the field.
    let token = admin.csrf_token().await;
    admin
        .post_with_headers("/admin/staff", &fields, &[("x-csrf-token", token.as_str())])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // The token from before login is useless after it (it rotates).
    let client = app.client();
    client.get("/login").await;
    let before = client.csrf_token().await;
    client.login_ok("admin", ADMIN_PASSWORD).await;
    let after = client.csrf_token().await;
    assert_ne!(before, after);
    client
        .post_raw("/logout", &[("csrf_token", before.as_str())])
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

async fn security_headers_and_cookie_flags(app: TestApp) {
    let client = app.client();
    let page = client.get("/login").await;
    for (name, expected) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(page.header(name), Some(expected), "{name}");
    }
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let vary: Vec<&str> = page
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.iter().any(|v| v.contains("HX-Request")), "{vary:?}");
    // No inline script or style anywhere in the page.
    assert!(!page.has("script:not([src])"), "inline script");
    assert!(!page.has("[style]"), "inline style");

    let cookie = page.header("set-cookie").expect("session cookie");
    assert!(cookie.starts_with("sickbay_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http by default: {cookie}");

    // Behind https, the cookie is Secure.
    let config = Config {
        secure_cookies: true,
        ..crate::support::test_config()
    };
    let secure = TestApp::sqlite_with(config).await;
    let page = secure.client().get("/login").await;
    assert!(page.header("set-cookie").is_some_and(|c| c.contains("Secure")));

    // Static files are linked by content-hashed names and cached for good (more in static_files.rs).
    let htmx_url = page
        .attr("script[src*='/htmx-2.0.11.min.']", "src")
        .expect("htmx script");
    let htmx = client.get(&htmx_url).await;
    htmx.assert_status(StatusCode::OK);
    assert_eq!(
        htmx.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let css = client.get_with("/static/app.css", &[("accept-encoding", "gzip")]).await;
    assert_eq!(css.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(css.header("content-encoding"), Some("gzip"));
}

async fn unknown_pages_are_404_for_users_and_login_for_strangers(app: TestApp) {
    let stranger = app.client();
    stranger
        .get("/no/such/page")
        .await
        .assert_redirect("/login?next=%2Fno%2Fsuch%2Fpage");
    let admin = app.admin().await;
    let page = admin.get("/no/such/page").await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(page.text("h1"), "Not found");
    // The error page still has the user's menu.
    assert_eq!(page.text(".user-menu .user-name"), "Ada Admin");
    admin
        .get("/admin/staff/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .get("/admin/staff/not-a-number")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin.get("/admin/staff/-1").await.assert_status(StatusCode::NOT_FOUND);
    // A wrong method is a 405 page, not a crash.
    let page = admin.post("/admin/audit", &[]).await;
    page.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(page.text("h1"), "Method Not Allowed");
    // A form's address visited (a reload after a refused form, the back button) leads to the page it belongs to;
    // htmx asking is told the method is wrong.
    admin.get("/queue/check-ins").await.assert_redirect("/queue");
    admin.get("/logout").await.assert_redirect("/");
    admin
        .get_with("/queue/check-ins", &[("hx-request", "true")])
        .await
        .assert_status(StatusCode::METHOD_NOT_ALLOWED);
}

async fn htmx_requests_get_hx_redirect_and_fragments(app: TestApp) {
    let stranger = app.client();
    let page = stranger.get_with("/admin/staff", &[("hx-request", "true")]).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("hx-redirect"), Some("/login"));

    let admin = app.admin().await;
    let fragment = admin.get_with("/admin/staff?q=ada", &[("hx-request", "true")]).await;
    fragment.assert_status(StatusCode::OK);
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    assert_eq!(fragment.texts("tbody tr td:first-child"), ["Ada Admin"]);
    // A history restore wants the whole page.
    let whole = admin
        .get_with(
            "/admin/staff",
            &[("hx-request", "true"), ("hx-history-restore-request", "true")],
        )
        .await;
    assert!(whole.body.contains("<html"));

    // Errors for htmx are a fragment aimed at the message area.
    let doctor = app.login_as("doc", Role::Doctor).await;
    let error = doctor.get_with("/admin/staff", &[("hx-request", "true")]).await;
    error.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(error.header("hx-retarget"), Some("#messages"));
    assert!(!error.body.contains("<html"));
    assert!(error.text(".flash-error").contains("does not have access"));
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let token = admin.csrf_token().await;
    let huge = format!("csrf_token={token}&full_name={}", "x".repeat(3 * 1024 * 1024));
    let page = admin
        .post_body("/admin/staff", "application/x-www-form-urlencoded", huge.into_bytes())
        .await;
    page.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
}

async fn health_reports_the_database(app: TestApp) {
    let client = app.client();
    let page = client.get("/healthz").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.body, "ok");
    app.db().close().await;
    let page = client.get("/healthz").await;
    page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
}

async fn idle_sessions_expire(app: TestApp) {
    let short = app.with_idle_limit(Duration::from_secs(2)).await;
    let client = short.admin().await;
    client.get("/admin").await.assert_status(StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Activity keeps it alive...
    client.get("/admin").await.assert_status(StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.get("/admin").await.assert_status(StatusCode::OK);
    // ...idleness ends it.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    client.get("/admin").await.assert_redirect("/login?next=%2Fadmin");
}

on_both_databases!(shutdown_is_graceful_and_prompt);

async fn shutdown_is_graceful_and_prompt(mut app: TestApp) {
    let client = app.admin().await;
    client.get("/admin").await.assert_status(StatusCode::OK);
    // Within the harness's ten seconds, with a logged-in session open.
    app.shutdown().await;
    assert!(reqwest::get(app.url("/healthz")).await.is_err(), "no longer listening");
}

/// Tables a refused form could have written to.
const WRITTEN_TABLES: &[&str] = &[
    "staff",
    "patient",
    "faculty",
    "department",
    "level",
    "academic_session",
    "room",
    "closure",
    "doctor_hours",
    "appointment",
    "ticket",
    "setting",
];

async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in WRITTEN_TABLES {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts
}

/// A NUL once answered 500 on PostgreSQL (and was stored on SQLite). Every form and query refuses control
/// characters with a 400 naming the field, before anything is written; multi-line fields keep line breaks.
async fn control_characters_are_refused_in_every_text_field(app: TestApp) {
    let admin = app.admin().await;
    let before = row_counts(&app).await;
    let posts: &[(&str, &str)] = &[
        ("/patients/new", "address"),
        ("/patients/new", "allergies"),
        ("/patients/new", "chronic_conditions"),
        ("/patients/new", "first_name"),
        ("/patients/1/edit", "address"),
        ("/patients/1/appointments", "reason"),
        ("/patients/1/appointments", "override_reason"),
        ("/queue/walk-ins", "number"),
        ("/queue/walk-ins", "first_name"),
        ("/schedule/closures", "reason"),
        ("/schedule/slots/1/block", "reason"),
        ("/appointments/1/cancel", "reason"),
        ("/admin/rooms", "name"),
        ("/admin/rooms/1", "name"),
        ("/admin/academic/faculties", "name"),
        ("/admin/academic/departments", "name"),
        ("/admin/academic/levels", "name"),
        ("/admin/academic/sessions", "name"),
        ("/admin/settings", "clinic_name"),
        ("/admin/settings", "clinic_address"),
        ("/admin/staff", "full_name"),
        ("/admin/staff/1", "full_name"),
    ];
    for (path, field) in posts {
        for bad in ["a\0b", "\u{1b}[2J", "x\u{7}"] {
            let page = admin.post(path, &[(field, bad), ("version", "0")]).await;
            assert_eq!(
                page.status,
                StatusCode::BAD_REQUEST,
                "{path} {field} {bad:?}: {}",
                page.body
            );
            assert!(
                page.text("main").contains("can't be stored"),
                "{path} {field}: {}",
                page.text("main")
            );
        }
    }
    for path in [
        "/patients?q=ad%00e",
        "/admin/staff?q=%00",
        "/admin/audit?q=%1B",
        "/schedule?day=%00",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
    }
    // A one-line field refuses a line break even where a textarea would take it.
    let page = admin.post("/admin/rooms", &[("name", "Room\n1"), ("code", "R")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.text("main").contains("a line break"));
    assert_eq!(row_counts(&app).await, before, "a refused form wrote something");

    // Before any login: the identifier of the login form.
    let stranger = app.client();
    stranger.get("/login").await;
    let page = stranger.login("adm\0in", ADMIN_PASSWORD).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.text("main").contains("“Identifier” contains a NUL character"));
}

/// Follows every same-site link a user is shown, from their home page, and returns the links that answered
/// 403 (with the page that showed them) or an error.
async fn refused_links(client: &crate::support::Client, home: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::from([home.to_owned()]);
    let mut queue = std::collections::VecDeque::from([(home.to_owned(), String::new())]);
    let mut refused = Vec::new();
    while let Some((path, from)) = queue.pop_front() {
        if seen.len() > 400 {
            break;
        }
        let page = client.get(&path).await;
        if page.status == StatusCode::FORBIDDEN || page.status.is_server_error() {
            refused.push(format!("{path} ({}) linked from {from}", page.status));
            continue;
        }
        if page.status != StatusCode::OK || !page.header("content-type").unwrap_or("").starts_with("text/html") {
            continue;
        }
        for href in page
            .html()
            .select(&scraper::Selector::parse("a[href]").unwrap())
            .filter_map(|a| a.value().attr("href"))
        {
            let href = href.split('#').next().unwrap_or("").to_owned();
            // Same site only; logging out ends the crawl, event streams never end.
            let skip =
                !href.starts_with('/') || href.starts_with("//") || href == "/logout" || href.contains("/events");
            if !skip && seen.insert(href.clone()) {
                queue.push_back((href, path.clone()));
            }
        }
    }
    refused
}

/// A doctor's view of a patient once offered "Open the queue" (reception's board, 403 for doctors); pharmacists
/// and lab attendants got the same. Every role crawls what it is shown: nothing answers 403.
async fn no_role_is_shown_a_link_it_cannot_open(app: TestApp) {
    let clinic = crate::support::clinic(&app).await;
    crate::queue::PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let a = clinic.doctor_a.0.to_string();
    crate::queue::walk_in(&clinic.reception, 0, &a, "normal")
        .await
        .assert_redirect("/queue");
    let mut users = vec![
        ("admin", app.admin().await, "/admin"),
        ("reception", clinic.reception, "/reception"),
        ("doctor", clinic.doctor_a.1, "/doctor"),
        ("pharmacist", app.login_as("pharm", Role::Pharmacist).await, "/pharmacy"),
        ("lab", app.login_as("lab", Role::Lab).await, "/lab"),
        ("patient", crate::queue::PATIENTS.client(&app, 0).await, "/me"),
    ];
    for (who, client, home) in users.drain(..) {
        let refused = refused_links(&client, home).await;
        assert!(refused.is_empty(), "{who} is shown links it can't open: {refused:#?}");
        if who != "patient" {
            // The patient with a ticket today, whose profile offers the queue.
            assert!(refused_links(&client, "/patients/1").await.is_empty(), "{who}");
        }
    }
}

/// Every response carries its request's id (kept from a proxy that set one); a 500 page gives it as the
/// reference to quote, which is the id on the log lines of that request.
async fn a_server_error_shows_the_request_id_as_its_reference(app: TestApp) {
    let admin = app.admin().await;
    let page = admin.get("/admin/audit").await;
    page.assert_status(StatusCode::OK);
    let id = page.header("x-request-id").expect("a request id").to_owned();
    assert_eq!(id.len(), 8, "{id}");
    let kept = admin.get_with("/admin/audit", &[("x-request-id", "proxy-42")]).await;
    assert_eq!(kept.header("x-request-id"), Some("proxy-42"));

    // A table gone from under the app: the database error becomes the 500 page, never its details.
    sqlx::query("DROP TABLE audit_event")
        .execute(app.db().pool())
        .await
        .expect("drop");
    let broken = admin.get("/admin/audit").await;
    broken.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    let id = broken.header("x-request-id").expect("a request id").to_owned();
    assert_eq!(broken.text("main code"), id);
    assert!(!broken.text("main").contains("audit_event"), "{}", broken.text("main"));
}

/// What the clinical tables hold, row by row (what an admin's refused requests must leave as it was).
async fn clinical_state(app: &TestApp) -> Vec<String> {
    let mut state = Vec::new();
    for sql in [
        "SELECT 'order ' || id || ' ' || status || ' ' || COALESCE(result_value, '-') FROM lab_order",
        "SELECT 'visit ' || id || ' ' || status FROM visit",
        "SELECT 'rx ' || id || ' ' || status FROM prescription",
        "SELECT 'item ' || id || ' ' || dispensed_quantity || ' ' || COALESCE(refusal, '-') FROM prescription_item",
        "SELECT 'batch ' || id || ' ' || quantity FROM drug_batch",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(&format!("{sql} ORDER BY id"))
            .fetch_all(app.db().pool())
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
        state.extend(rows);
    }
    for table in [
        "vitals",
        "health_record",
        "clinical_note",
        "note_draft",
        "diagnosis",
        "visit_procedure",
        "dispensation",
        "stock_movement",
        "audit_event",
    ] {
        state.push(format!(
            "{table}: {}",
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await
        ));
    }
    state
}

/// Issue 35, item 22: an admin had changed a stored result from 4.9 to 9.9, released it, added vitals and
/// health records, dispensed a prescription and written off a batch, each answered 303. Every route that writes
/// clinical work answers an admin 403 and changes nothing; the same forms from the staff whose work it is go
/// through (so the fields sent are ones that would have been taken).
async fn an_admin_changes_no_clinical_work(app: TestApp) {
    use sickbay_core::pharmacy::model::DrugForm;

    let l = crate::lab::lab(&app).await;
    let (doctor, visit, patient) = (&l.doctor.1, l.visit, l.patient);
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let (hb, mp) = (l.hb.to_string(), l.mp.to_string());
    doctor
        .post(
            &format!("/visits/{visit}/lab/orders"),
            &[("test_id", &hb), ("test_id", &mp), ("note", "")],
        )
        .await
        .assert_redirect(&format!("/visits/{visit}#lab"));
    let orders: Vec<i64> = sqlx::query_scalar("SELECT id FROM lab_order WHERE visit_id = $1 ORDER BY id")
        .bind(visit)
        .fetch_all(app.db().pool())
        .await
        .expect("orders");
    let (hb_order, mp_order) = (orders[0], orders[1]);
    l.lab
        .post(&format!("/lab/orders/{hb_order}/result"), &[("value", "4.9")])
        .await
        .assert_redirect(&format!("/lab/orders/{hb_order}"));
    doctor
        .post(&format!("/visits/{visit}/diagnoses"), &[("description", "Anaemia")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let diagnosis = app.count("SELECT MAX(id) FROM diagnosis").await;
    let drug = crate::pharmacy::add_drug(&app, "Ferrous sulfate", "ferrous sulfate", DrugForm::Tablet, "200 mg").await;
    let batch = crate::pharmacy::add_batch(&app, drug, 900, 200).await;
    let expired = crate::pharmacy::add_batch(&app, drug, 900, -2).await;
    let expired_listed = format!("{expired}:900");
    sqlx::query("UPDATE drug SET shelf = 'A1' WHERE id = $1")
        .bind(drug)
        .execute(app.db().pool())
        .await
        .expect("shelf");
    let once = crate::prescriptions::form_id(doctor, visit).await;
    let drug_id = drug.to_string();
    let mut fields = crate::prescriptions::item(&drug_id, "1 tablet", "oral", "bd", "5", "10");
    fields.push(("form_id", &once));
    doctor
        .post(&format!("/visits/{visit}/prescription/items"), &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let rx = app.count("SELECT MAX(id) FROM prescription").await;
    let item = app.count("SELECT MAX(id) FROM prescription_item").await;
    let procedure = crate::procedures::add_procedure(&app, &l.admin, "Wound dressing", "1500").await;

    // The forms as the staff whose work it is are shown them.
    let dispense_form = crate::support::FormFields::of(
        &pharmacist.get(&format!("/pharmacy/prescriptions/{rx}")).await,
        "#dispense-form",
    );
    let stock = pharmacist.get(&format!("/pharmacy/drugs/{drug}/stock")).await;
    let receive_id = stock
        .attr("#receive-form input[name=form_id]", "value")
        .expect("receive form");
    let adjust_form = crate::support::FormFields::of(
        &pharmacist.get(&format!("/pharmacy/batches/{batch}/adjust")).await,
        "#adjust-form",
    );
    let mut adjust_fields = adjust_form.clone();
    adjust_fields.set("reason", "damage").set("change", "-1");
    let mut count_fields =
        crate::support::FormFields::of(&pharmacist.get("/pharmacy/counts?shelf=A1").await, "#count-form");
    count_fields.set("shelf", "A1").set(&format!("count_{batch}"), "1");
    let health_id = l
        .lab
        .get(&format!("/patients/{patient}/health-records"))
        .await
        .attr("#health-record-form input[name=form_id]", "value")
        .expect("health record form");
    let vitals = [("systolic", "120"), ("diastolic", "80")];
    let expiry = (chrono::Utc::now().date_naive() + chrono::Duration::days(300)).to_string();
    let procedure_id = procedure.to_string();
    let hb_id = hb_order.to_string();

    let routes: Vec<(String, Vec<(&str, &str)>)> = vec![
        // The lab's work.
        (format!("/lab/orders/{hb_order}/result"), vec![("value", "9.9")]),
        (format!("/lab/orders/{hb_order}/release"), vec![]),
        ("/lab/results/seen".to_owned(), vec![("order", &hb_id)]),
        (format!("/lab/orders/{mp_order}/vitals"), vitals.to_vec()),
        (format!("/lab/visits/{visit}/vitals"), vitals.to_vec()),
        (
            format!("/patients/{patient}/health-records"),
            vec![("form_id", &health_id), ("outcome", "fit"), ("systolic", "118")],
        ),
        // The pharmacy's.
        (format!("/pharmacy/prescriptions/{rx}/dispense"), dispense_form.fields()),
        (format!("/pharmacy/prescriptions/{rx}/refuse"), vec![("reason", "none")]),
        (
            format!("/pharmacy/prescriptions/{rx}/items/{item}/refuse"),
            vec![("reason", "none")],
        ),
        (
            format!("/pharmacy/drugs/{drug}/batches"),
            vec![
                ("form_id", &receive_id),
                ("batch_number", "FS-2"),
                ("quantity", "100"),
                ("expires_on", &expiry),
            ],
        ),
        (format!("/pharmacy/batches/{batch}/adjust"), adjust_fields.fields()),
        (format!("/pharmacy/batches/{expired}/write-off"), vec![("seen", "900")]),
        (
            "/pharmacy/batches/write-off".to_owned(),
            vec![("batch", &expired_listed)],
        ),
        ("/pharmacy/counts".to_owned(), count_fields.fields()),
        // The doctor's, in the consultation.
        (format!("/visits/{visit}/vitals"), vitals.to_vec()),
        (format!("/visits/{visit}/notes/plan"), vec![("body", "Admin's plan")]),
        (format!("/visits/{visit}/drafts/plan"), vec![("body", "Admin's draft")]),
        (format!("/visits/{visit}/diagnoses"), vec![("description", "Malaria")]),
        (format!("/visits/{visit}/diagnoses/{diagnosis}/remove"), vec![]),
        (format!("/visits/{visit}/prescription/items"), fields.clone()),
        (format!("/visits/{visit}/prescription/items/{item}/remove"), vec![]),
        (
            format!("/visits/{visit}/lab/orders"),
            vec![("test_id", &hb), ("note", "")],
        ),
        (format!("/visits/{visit}/lab/orders/{mp_order}/cancel"), vec![]),
        (
            format!("/visits/{visit}/procedures"),
            vec![("procedure_type_id", &procedure_id), ("note", "")],
        ),
        (format!("/visits/{visit}/complete"), vec![]),
    ];
    let before = clinical_state(&app).await;
    for (path, fields) in &routes {
        let page = l.admin.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "an admin's POST {path}");
    }
    assert_eq!(
        clinical_state(&app).await,
        before,
        "an admin's refused requests changed something"
    );

    // The same forms from the lab and the pharmacy go through.
    l.lab
        .post(&format!("/lab/orders/{hb_order}/result"), &[("value", "9.9")])
        .await
        .assert_redirect(&format!("/lab/orders/{hb_order}"));
    pharmacist
        .post(
            &format!("/pharmacy/prescriptions/{rx}/dispense"),
            &dispense_form.fields(),
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    pharmacist
        .post(&format!("/pharmacy/batches/{expired}/write-off"), &[("seen", "900")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_ne!(clinical_state(&app).await, before);

    // The admin still reads what the README gives them, without the forms that change it.
    for (path, form) in [
        (format!("/lab/orders/{hb_order}"), "#result-form"),
        ("/lab".to_owned(), "#open-visits"),
        (format!("/visits/{visit}"), "#notes form"),
        (format!("/pharmacy/prescriptions/{rx}"), ".refuse-form"),
        ("/pharmacy".to_owned(), "form[action$='/write-off']"),
        (format!("/patients/{patient}/health-records"), "#health-record-form"),
    ] {
        let page = l.admin.get(&path).await;
        page.assert_status(StatusCode::OK);
        assert!(!page.has(form), "{path} offers the admin {form}");
    }
}
