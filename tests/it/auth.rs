//! Logging in and out, throttling, the must-change flow, sessions.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::support::{ADMIN_PASSWORD, Client, PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    each_role_logs_in_to_its_own_home,
    wrong_password_and_unknown_user_get_the_same_401,
    failed_logins_are_throttled_per_identifier,
    failed_logins_are_throttled_per_address,
    logout_ends_the_session_on_the_server,
    must_change_password_flow,
    password_change_ends_other_sessions,
    login_returns_to_the_page_asked_for_but_never_off_site,
    empty_login_form_is_refused_with_a_message,
    logins_and_failures_are_audited,
    the_audit_log_pages_back_to_the_first_entry,
);

async fn each_role_logs_in_to_its_own_home(app: TestApp) {
    for (role, home) in [
        (Role::Admin, "/admin"),
        (Role::Doctor, "/doctor"),
        (Role::Pharmacist, "/pharmacy"),
        (Role::Lab, "/lab"),
        (Role::Reception, "/reception"),
    ] {
        let username = format!("user.{}", role.as_str());
        app.create_staff(&username, role, false).await;
        let client = app.client();
        client.login(&username, PASSWORD).await.assert_redirect(home);
        client.get("/").await.assert_redirect(home);
        let page = client.get(home).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(page.text("h1"), format!("Good day, Test {username}"));
        assert_eq!(page.text(".user-menu .user-name"), format!("Test {username}"));
        assert_eq!(
            page.text(".user-menu .user-role"),
            role.label(),
            "the role shows under the name"
        );
        // Another role's home is refused.
        let other = if role == Role::Doctor { "/lab" } else { "/doctor" };
        client.get(other).await.assert_status(StatusCode::FORBIDDEN);
    }
}

async fn wrong_password_and_unknown_user_get_the_same_401(app: TestApp) {
    let client = app.client();
    let wrong = client.login("admin", "not the password").await;
    wrong.assert_status(StatusCode::UNAUTHORIZED);
    let unknown = client.login("nobody.here", "not the password").await;
    unknown.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text("#login-error"), unknown.text("#login-error"));
    assert_eq!(wrong.text("#login-error"), "That username or password is not right.");
    // Either may be the wrong one: both are marked, and the password takes the focus.
    for field in ["identifier", "password"] {
        assert_eq!(
            wrong.attr(&format!("#{field}"), "aria-invalid").as_deref(),
            Some("true"),
            "{field}"
        );
    }
    assert!(wrong.has("#password[autofocus]"));
    // The form keeps what was typed, but never the password.
    assert_eq!(
        unknown.attr("input[name=identifier]", "value").as_deref(),
        Some("nobody.here")
    );
    assert_eq!(unknown.attr("input[name=password]", "value"), None);
    client.get("/admin").await.assert_redirect("/login?next=%2Fadmin");
}

async fn failed_logins_are_throttled_per_identifier(app: TestApp) {
    let client = app.client();
    for _ in 0..5 {
        client
            .login("admin", "wrong password")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, with the wait time.
    let blocked = client.login("admin", ADMIN_PASSWORD).await;
    blocked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(
        blocked.text("#login-error").contains("Wait 15 minutes"),
        "{}",
        blocked.text("#login-error")
    );
    let retry: i64 = blocked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((14 * 60..=15 * 60).contains(&retry), "{retry}");
    // Case and spaces don't make a new identifier.
    client
        .login("  ADMIN ", ADMIN_PASSWORD)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Another account from the same address is not blocked.
    app.create_staff("nurse", Role::Reception, false).await;
    client.login("nurse", PASSWORD).await.assert_redirect("/reception");
}

async fn failed_logins_are_throttled_per_address(app: TestApp) {
    let client = app.client();
    for i in 0..50 {
        client
            .login(&format!("guess{i}"), "wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    let blocked = client.login("admin", ADMIN_PASSWORD).await;
    blocked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.text("#login-error").starts_with("Too many failed attempts."));
}

async fn logout_ends_the_session_on_the_server(app: TestApp) {
    let client = app.admin().await;
    client.get("/admin").await.assert_status(StatusCode::OK);
    let old_cookie = client.cookie_header();
    assert!(old_cookie.starts_with("sickbay_session="), "{old_cookie}");

    client.post("/logout", &[]).await.assert_redirect("/login?logged_out=1");
    assert_eq!(
        client.get("/login?logged_out=1").await.text(".flash-success"),
        "You have logged out."
    );

    // Replaying the old cookie from another client gets nowhere.
    let thief = Client::new(app.addr);
    let jar_url = reqwest::Url::parse(&app.url("/")).unwrap();
    thief.jar.add_cookie_str(&old_cookie, &jar_url);
    thief.get("/admin").await.assert_redirect("/login?next=%2Fadmin");
}

async fn must_change_password_flow(app: TestApp) {
    app.create_staff("new.doctor", Role::Doctor, true).await;
    let client = app.client();
    client
        .login("new.doctor", PASSWORD)
        .await
        .assert_redirect("/account/password");
    // Every other page sends them back until they change it.
    client.get("/doctor").await.assert_redirect("/account/password");
    client.get("/").await.assert_redirect("/account/password");
    let form = client.get("/account/password").await;
    form.assert_status(StatusCode::OK);
    assert!(form.text(".flash-info").contains("Choose a new password"));

    // Mistakes are shown beside their fields, with 422.
    let bad = client
        .post(
            "/account/password",
            &[
                ("current_password", "wrong"),
                ("new_password", "short"),
                ("confirm_password", "other"),
            ],
        )
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.text("#current_password-error"),
        "This is not your current password."
    );
    assert_eq!(bad.text("#new_password-error"), "Use at least 10 characters.");
    assert_eq!(
        bad.text("#confirm_password-error"),
        "The two new passwords are not the same."
    );
    let same = client
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    same.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same.text("#new_password-error").contains("different"));

    let new_password = "my own new passphrase";
    client
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await
        .assert_redirect("/doctor");
    let home = client.get("/doctor").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(home.text(".flash-success"), "Your password has been changed.");

    let again = app.client();
    again
        .login("new.doctor", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    again.login("new.doctor", new_password).await.assert_redirect("/doctor");
}

async fn password_change_ends_other_sessions(app: TestApp) {
    app.create_staff("pharm", Role::Pharmacist, false).await;
    let laptop = app.client();
    laptop.login_ok("pharm", PASSWORD).await;
    let phone = app.client();
    phone.login_ok("pharm", PASSWORD).await;
    let new_password = "another fine passphrase";
    laptop
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await
        .assert_redirect("/pharmacy");
    laptop.get("/pharmacy").await.assert_status(StatusCode::OK);
    phone.get("/pharmacy").await.assert_redirect("/login?ended=1");
}

async fn login_returns_to_the_page_asked_for_but_never_off_site(app: TestApp) {
    let client = app.client();
    client
        .get("/admin/audit?page=1")
        .await
        .assert_redirect("/login?next=%2Fadmin%2Faudit%3Fpage%3D1");
    let form = client.get("/login?next=%2Fadmin%2Faudit%3Fpage%3D1").await;
    assert_eq!(
        form.attr("input[name=next]", "value").as_deref(),
        Some("/admin/audit?page=1")
    );
    let page = client
        .post(
            "/login",
            &[
                ("identifier", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin/audit?page=1"),
            ],
        )
        .await;
    page.assert_redirect("/admin/audit?page=1");

    let other = app.client();
    other.get("/login").await;
    let page = other
        .post(
            "/login",
            &[
                ("identifier", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    page.assert_redirect("/admin");

    // Browsers drop tabs and newlines from a Location, so these would lead off site or break the response.
    for hostile in [
        "/\t/evil.example/",
        "/\n/x",
        "/\r\n/x",
        "/\\evil.example",
        "/ /evil.example",
    ] {
        let client = app.client();
        client.get("/login").await;
        let page = client
            .post(
                "/login",
                &[("identifier", "admin"), ("password", ADMIN_PASSWORD), ("next", hostile)],
            )
            .await;
        page.assert_redirect("/admin");
    }
    // A crafted link still shows the login form, without the hostile target.
    let page = app.client().get("/login?next=%2F%09%2Fevil.example%2F").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.attr("input[name=next]", "value").as_deref(), Some(""));
}

async fn empty_login_form_is_refused_with_a_message(app: TestApp) {
    let client = app.client();
    let page = client.login("", "").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#login-error"),
        "Enter your username or number, and your password."
    );
    // A form with fields missing entirely is a 4xx too, never a 500.
    client.get("/login").await;
    let token = client.csrf_token().await;
    let page = client.post_raw("/login", &[("csrf_token", token.as_str())]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // A huge identifier is handled like any wrong one.
    let long = "x".repeat(10_000);
    client
        .login(&long, "password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

async fn logins_and_failures_are_audited(app: TestApp) {
    let client = app.client();
    client.login("admin", "wrong").await;
    client.login_ok("admin", ADMIN_PASSWORD).await;
    client.post("/logout", &[]).await;
    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT action, actor_label FROM audit_event WHERE action LIKE 'auth.%' ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let expected = [
        ("auth.login_failed", "admin"),
        ("auth.login", "admin"),
        ("auth.logout", "admin"),
    ];
    assert_eq!(actions, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    let ips: Vec<Option<String>> = sqlx::query_scalar("SELECT ip FROM audit_event WHERE action LIKE 'auth.%'")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert!(ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")), "{ips:?}");

    let admin = app.admin().await;
    let log = admin.get("/admin/audit?access=sign-ins").await;
    log.assert_status(StatusCode::OK);
    let rows = log.texts("tbody tr td:nth-child(3)");
    assert!(rows.contains(&"Failed to log in".to_owned()), "{rows:?}");
    assert!(rows.contains(&"Logged out".to_owned()), "{rows:?}");
}

/// The log is paged by entry, newest first: following "Older" from the first page reaches every entry once.
async fn the_audit_log_pages_back_to_the_first_entry(app: TestApp) {
    let admin = app.admin().await;
    for i in 0..30 {
        sqlx::query(
            "INSERT INTO audit_event (at, actor_kind, actor_label, action, detail) VALUES ($1, 'system', 'test', 'settings.update', $2)",
        )
        .bind(1_700_000_000_000_i64 + i)
        .bind(format!("change {i}"))
        .execute(app.db().pool())
        .await
        .unwrap();
    }
    let total = app.count("SELECT COUNT(*) FROM audit_event").await;
    let (mut seen, mut path, mut pages) = (Vec::new(), "/admin/audit?access=all".to_owned(), 0);
    loop {
        let page = admin.get(&path).await;
        page.assert_status(StatusCode::OK);
        pages += 1;
        seen.extend(page.texts("tbody tr td:first-child"));
        assert_eq!(
            page.has(".pager a[href='/admin/audit?access=all']"),
            pages > 1,
            "a way back to the newest"
        );
        match page.attr("a[rel=next]", "href") {
            Some(older) => path = older,
            None => break,
        }
    }
    assert!(pages >= 2, "{total} entries on {pages} page(s)");
    assert_eq!(seen.len() as i64, total, "every entry once");
    // An unreadable cursor is the first page, not an error.
    admin.get("/admin/audit?before=abc").await.assert_status(StatusCode::OK);
}
