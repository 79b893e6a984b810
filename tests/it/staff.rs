//! The admin's staff account pages.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::support::{Client, PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    admin_creates_a_doctor_who_logs_in_with_the_shown_password,
    create_form_reports_each_bad_field,
    duplicate_usernames_are_refused_even_when_submitted_twice,
    list_searches_and_pages,
    edit_changes_details_and_refuses_stale_forms,
    deactivation_ends_sessions_and_blocks_login,
    reset_password_shows_a_new_one_once,
    the_last_active_admin_cannot_be_removed,
    two_admins_removing_each_other_at_once_leave_one,
    staff_changes_are_audited,
    an_extra_role_is_given_used_in_its_name_and_taken_back_at_once,
    an_extra_role_that_becomes_the_accounts_own_is_held_once,
);

async fn create(admin: &Client, username: &str, role: &str) -> crate::support::Page {
    admin
        .post(
            "/admin/staff",
            &[
                ("username", username),
                ("full_name", "Dr Chidi Okafor"),
                ("email", "chidi@clinic.edu"),
                ("role", role),
            ],
        )
        .await
}

/// Creates an account through the form and returns (id, one-time password).
async fn create_ok(admin: &Client, username: &str, role: &str) -> (i64, String) {
    let page = create(admin, username, role).await;
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.location().expect("location").to_owned();
    let id: i64 = location
        .trim_start_matches("/admin/staff/")
        .parse()
        .expect("id in location");
    let shown = admin.get(&location).await;
    let password = shown.text("#revealed-password");
    (id, password)
}

async fn admin_creates_a_doctor_who_logs_in_with_the_shown_password(app: TestApp) {
    let admin = app.admin().await;
    let form = admin.get("/admin/staff/new").await;
    form.assert_status(StatusCode::OK);
    let (id, password) = create_ok(&admin, "Dr.Okafor", "doctor").await;
    assert_eq!(password.len(), 16);
    // The password is shown once only.
    let again = admin.get(&format!("/admin/staff/{id}")).await;
    assert!(!again.has("#revealed-password"));
    assert_eq!(again.text("h1"), "Dr Chidi Okafor");

    let doctor = app.client();
    // Usernames are stored in lower case and matched so.
    doctor
        .login("dr.okafor", &password)
        .await
        .assert_redirect("/account/password");
    let mine = "the doctor's passphrase";
    doctor
        .post(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", mine),
                ("confirm_password", mine),
            ],
        )
        .await
        .assert_redirect("/doctor");
    assert_eq!(doctor.get("/doctor").await.text("h1"), "Good day, Dr Chidi Okafor");
}

async fn create_form_reports_each_bad_field(app: TestApp) {
    let admin = app.admin().await;
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("username", "x y"),
                ("full_name", "  "),
                ("email", "not-an-email"),
                ("role", "chef"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#username-error"),
        "Use only letters, digits, dots, dashes and underscores."
    );
    assert_eq!(page.text("#full_name-error"), "Enter the person's name.");
    assert!(page.text("#email-error").starts_with("Enter an email address"));
    assert_eq!(page.text("#role-error"), "Choose a role.");
    // What was typed is kept.
    assert_eq!(page.attr("#username", "value").as_deref(), Some("x y"));
    assert_eq!(page.attr("#email", "value").as_deref(), Some("not-an-email"));
    // Missing fields entirely: the same messages, not a crash.
    let page = admin.post("/admin/staff", &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#username-error"));
    // Huge input is refused by the rules, not stored.
    let long = "n".repeat(5000);
    let page = admin
        .post(
            "/admin/staff",
            &[("username", "longname"), ("full_name", &long), ("role", "lab")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
}

async fn duplicate_usernames_are_refused_even_when_submitted_twice(app: TestApp) {
    let admin = app.admin().await;
    create_ok(&admin, "nurse.joy", "reception").await;
    let page = create(&admin, "NURSE.JOY", "lab").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#username-error"),
        "The username \"nurse.joy\" is already taken."
    );

    // Ten concurrent submissions of one new form: exactly one account.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move { create(&admin, "twice", "lab").await.status }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::UNPROCESSABLE_ENTITY)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE username = 'twice'").await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'staff.create' AND detail LIKE 'username twice,%'")
            .await,
        1
    );
}

async fn list_searches_and_pages(app: TestApp) {
    for i in 0..30 {
        app.create_staff(&format!("lab{i:02}"), Role::Lab, false).await;
    }
    app.create_staff("under_score", Role::Doctor, false).await;
    let admin = app.admin().await;
    let first = admin.get("/admin/staff").await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.texts("tbody tr").len(), 25);
    assert!(first.text(".pager span").starts_with("32 accounts · page 1 of 2"));
    let second = admin.get(&first.attr("a[rel=next]", "href").expect("next link")).await;
    assert_eq!(second.texts("tbody tr").len(), 7);
    assert!(!second.has("a[rel=next]"));

    let found = admin.get("/admin/staff?q=LAB0").await;
    assert_eq!(found.texts("tbody tr").len(), 10);
    // LIKE wildcards typed by the user are taken literally.
    let literal = admin.get("/admin/staff?q=_").await;
    assert_eq!(literal.texts("tbody tr td:nth-child(2)"), ["under_score"]);
    let none = admin.get("/admin/staff?q=zzz").await;
    assert_eq!(none.text("#results p"), "No staff account matches “zzz”.");
    // Nonsense page numbers fall back to page 1.
    admin.get("/admin/staff?page=abc").await.assert_status(StatusCode::OK);
    admin.get("/admin/staff?page=99").await.assert_status(StatusCode::OK);
}

async fn edit_changes_details_and_refuses_stale_forms(app: TestApp) {
    let id = app.create_staff("receptionist", Role::Reception, false).await;
    let admin = app.admin().await;
    let page = admin.get(&format!("/admin/staff/{id}")).await;
    let version = page.attr("input[name=version]", "value").expect("version");
    let path = format!("/admin/staff/{id}");
    admin
        .post(
            &path,
            &[
                ("full_name", "Grace Eze"),
                ("email", "grace@clinic.edu"),
                ("role", "lab"),
                ("version", &version),
            ],
        )
        .await
        .assert_redirect(&path);
    let page = admin.get(&path).await;
    assert_eq!(page.text(".flash-success"), "Changes saved.");
    assert_eq!(page.text("h1"), "Grace Eze");
    assert_eq!(page.texts(".details dd")[1], "Lab attendant");

    // The same old form sent again is stale: refused, nothing changed.
    let stale = admin
        .post(
            &path,
            &[
                ("full_name", "Someone Else"),
                ("email", ""),
                ("role", "doctor"),
                ("version", &version),
            ],
        )
        .await;
    stale.assert_status(StatusCode::CONFLICT);
    assert!(stale.text(".flash-error").contains("changed by someone else"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM staff WHERE id = {id} AND full_name = 'Grace Eze'"
        ))
        .await,
        1
    );

    // Bad values re-render with messages and keep the input.
    let current = admin.get(&path).await.attr("input[name=version]", "value").unwrap();
    let bad = admin
        .post(
            &path,
            &[
                ("full_name", ""),
                ("email", "x@"),
                ("role", "king"),
                ("version", &current),
            ],
        )
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("#full_name-error") && bad.has("#email-error") && bad.has("#role-error"));
    // A version that isn't a number is a clear 400.
    let junk = admin
        .post(
            &path,
            &[
                ("full_name", "A B"),
                ("email", ""),
                ("role", "lab"),
                ("version", "yesterday"),
            ],
        )
        .await;
    junk.assert_status(StatusCode::BAD_REQUEST);
    // Editing an account that does not exist is a 404.
    admin
        .post(
            "/admin/staff/424242",
            &[("full_name", "A B"), ("email", ""), ("role", "lab"), ("version", "1")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn deactivation_ends_sessions_and_blocks_login(app: TestApp) {
    let id = app.create_staff("leaving", Role::Doctor, false).await;
    let doctor = app.client();
    doctor.login_ok("leaving", PASSWORD).await;
    doctor.get("/doctor").await.assert_status(StatusCode::OK);

    let admin = app.admin().await;
    let path = format!("/admin/staff/{id}");
    admin
        .post(&format!("{path}/deactivate"), &[])
        .await
        .assert_redirect(&path);
    assert!(admin.get(&path).await.text("h1").contains("Deactivated"));

    doctor.get("/doctor").await.assert_redirect("/login?ended=1");
    let page = doctor.get("/login?ended=1").await;
    assert_eq!(
        page.text(".flash-success"),
        "Your session has ended. Please log in again."
    );
    doctor
        .login("leaving", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Deactivating twice is harmless and audited once.
    admin
        .post(&format!("{path}/deactivate"), &[])
        .await
        .assert_redirect(&path);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'staff.deactivate'")
            .await,
        1
    );

    admin
        .post(&format!("{path}/reactivate"), &[])
        .await
        .assert_redirect(&path);
    doctor.login("leaving", PASSWORD).await.assert_redirect("/doctor");
}

async fn reset_password_shows_a_new_one_once(app: TestApp) {
    let id = app.create_staff("forgetful", Role::Lab, false).await;
    let lab = app.client();
    lab.login_ok("forgetful", PASSWORD).await;
    let admin = app.admin().await;
    let path = format!("/admin/staff/{id}");
    admin
        .post(&format!("{path}/reset-password"), &[])
        .await
        .assert_redirect(&path);
    let page = admin.get(&path).await;
    let new_password = page.text("#revealed-password");
    assert!(!admin.get(&path).await.has("#revealed-password"));
    // The reset ends the old session; the old password no longer works; the new one must be changed.
    lab.get("/lab").await.assert_redirect("/login?ended=1");
    lab.login("forgetful", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    lab.login("forgetful", &new_password)
        .await
        .assert_redirect("/account/password");
    admin
        .post("/admin/staff/999999/reset-password", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn the_last_active_admin_cannot_be_removed(app: TestApp) {
    let admin = app.admin().await;
    let me: i64 = app.count("SELECT id FROM staff WHERE username = 'admin'").await;
    let path = format!("/admin/staff/{me}");
    let refused = admin.post(&format!("{path}/deactivate"), &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(refused.text(".flash-error").contains("last active administrator"));
    let version = admin.get(&path).await.attr("input[name=version]", "value").unwrap();
    let demote = admin
        .post(
            &path,
            &[
                ("full_name", "Ada Admin"),
                ("email", ""),
                ("role", "doctor"),
                ("version", &version),
            ],
        )
        .await;
    demote.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1")
            .await,
        1
    );

    // With a second admin, stepping down is allowed; the second is then the last.
    let other = app.create_staff("second.admin", Role::Admin, false).await;
    admin
        .post(
            &path,
            &[
                ("full_name", "Ada Admin"),
                ("email", ""),
                ("role", "doctor"),
                ("version", &version),
            ],
        )
        .await
        .assert_redirect(&path);
    // Ada is now a doctor: the admin pages are closed to her at once.
    admin.get("/admin/staff").await.assert_status(StatusCode::FORBIDDEN);
    let second = app.client();
    second.login_ok("second.admin", PASSWORD).await;
    second
        .post(&format!("/admin/staff/{other}/deactivate"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
}

async fn two_admins_removing_each_other_at_once_leave_one(app: TestApp) {
    for round in 0..5 {
        let a = app.create_staff(&format!("adm.a{round}"), Role::Admin, false).await;
        let b = app.create_staff(&format!("adm.b{round}"), Role::Admin, false).await;
        // Leave only a and b as active admins.
        sqlx::query("UPDATE staff SET active = 0 WHERE role = 'admin' AND id <> $1 AND id <> $2")
            .bind(a)
            .bind(b)
            .execute(app.db().pool())
            .await
            .unwrap();
        let client_a = app.client();
        client_a.login_ok(&format!("adm.a{round}"), PASSWORD).await;
        let client_b = app.client();
        client_b.login_ok(&format!("adm.b{round}"), PASSWORD).await;
        // Learn both tokens first: once one deactivation lands, the other admin's session may be over.
        client_a.csrf_token().await;
        client_b.csrf_token().await;
        let (path_a, path_b) = (
            format!("/admin/staff/{a}/deactivate"),
            format!("/admin/staff/{b}/deactivate"),
        );
        let (ra, rb) = tokio::join!(client_a.post(&path_b, &[]), client_b.post(&path_a, &[]));
        let statuses = [ra.status, rb.status];
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
            "{statuses:?}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1")
                .await,
            1,
            "round {round}"
        );
    }
}

async fn staff_changes_are_audited(app: TestApp) {
    let admin = app.admin().await;
    let (id, _) = create_ok(&admin, "audited", "pharmacist").await;
    let path = format!("/admin/staff/{id}");
    let version = admin.get(&path).await.attr("input[name=version]", "value").unwrap();
    admin
        .post(
            &path,
            &[
                ("full_name", "New Name"),
                ("email", ""),
                ("role", "lab"),
                ("version", &version),
            ],
        )
        .await;
    admin.post(&format!("{path}/reset-password"), &[]).await;
    admin.post(&format!("{path}/deactivate"), &[]).await;
    admin.post(&format!("{path}/reactivate"), &[]).await;
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_label, detail, ip FROM audit_event WHERE record_type = 'staff' AND record_id = $1
         AND action LIKE 'staff.%' ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "staff.create",
            "staff.update",
            "staff.reset_password",
            "staff.deactivate",
            "staff.reactivate"
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.1 == "admin" && r.3.as_deref() == Some("127.0.0.1"))
    );
    assert_eq!(
        rows[1].2,
        "name \"Dr Chidi Okafor\" -> \"New Name\"; email \"chidi@clinic.edu\" -> \"\"; role pharmacist -> lab"
    );
    // The audit page shows them to the admin.
    let log = admin.get("/admin/audit").await;
    let shown = log.texts("tbody tr td:nth-child(3)");
    for action in actions {
        let words = sickbay_core::audit::model::describe_action(action);
        assert!(shown.contains(&words), "{words} not in {shown:?}");
    }
    // Records open from the log.
    assert!(log.has("tbody a[href^='/admin/staff/']"));
}

/// The audit rows of `action` about staff account `id`: (actor label, the role they acted in, detail).
async fn role_rows(app: &TestApp, id: i64, action: &str) -> Vec<(String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT actor_label, actor_role, detail FROM audit_event
         WHERE action = $1 AND record_type = 'staff' AND record_id = $2 ORDER BY id",
    )
    .bind(action)
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .expect("audit rows")
}

/// Issue 35, item 22: a small clinic's receptionist who also works the lab. The admin gives the account the
/// lab's role (audited); the same session then records a result, audited as done "as Lab attendant", with the
/// lab in the menu beside reception's sections; the admin takes the role back (audited) and the next request
/// no longer holds it, while the session goes on.
async fn an_extra_role_is_given_used_in_its_name_and_taken_back_at_once(app: TestApp) {
    let l = crate::lab::lab(&app).await;
    let hb = l.hb.to_string();
    l.doctor
        .1
        .post(
            &format!("/visits/{}/lab/orders", l.visit),
            &[("test_id", &hb), ("note", "")],
        )
        .await
        .assert_redirect(&format!("/visits/{}#lab", l.visit));
    let order = app
        .count(&format!("SELECT MAX(id) FROM lab_order WHERE visit_id = {}", l.visit))
        .await;
    let result = format!("/lab/orders/{order}/result");
    let id = app.create_staff("desk.amina", Role::Reception, false).await;
    let desk = app.client();
    desk.login_ok("desk.amina", PASSWORD).await;
    desk.get("/lab").await.assert_status(StatusCode::FORBIDDEN);
    desk.post(&result, &[("value", "13.2")])
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // The admin's page offers the roles an account may hold beside its own.
    let path = format!("/admin/staff/{id}");
    let page = l.admin.get(&path).await;
    assert!(page.has("#no-extra-roles"));
    assert_eq!(
        page.texts("#extra_role option"),
        ["Choose a role", "Pharmacist", "Lab attendant"]
    );
    let grant = format!("{path}/roles");
    for refused in ["admin", "doctor", "reception", "chef", ""] {
        let page = l.admin.post(&grant, &[("extra_role", refused)]).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has("#extra_role-error"), "{refused}: {}", page.text("main"));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_role").await, 0);

    l.admin
        .post(&grant, &[("extra_role", "lab")])
        .await
        .assert_redirect(&format!("{path}#roles"));
    let page = l.admin.get(&path).await;
    assert!(
        page.text(".flash-success")
            .contains("can now do a lab attendant's work")
    );
    assert!(page.text("#extra-roles").contains("Lab attendant"));
    assert!(page.text("#extra-roles").contains("given by admin"));
    assert_eq!(page.texts("#extra_role option"), ["Choose a role", "Pharmacist"]);
    // Given twice, held once and audited once.
    l.admin
        .post(&grant, &[("extra_role", "lab")])
        .await
        .assert_redirect(&format!("{path}#roles"));
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_role").await, 1);
    assert_eq!(
        role_rows(&app, id, "staff.role_grant").await,
        [("admin".to_owned(), Some("admin".to_owned()), "Lab attendant".to_owned())]
    );

    // The same session (nothing ended) now does the lab's work, and reception's still.
    let home = desk.get("/reception").await;
    home.assert_status(StatusCode::OK);
    let nav: Vec<String> = home.texts(".section-nav a");
    assert!(nav.iter().any(|a| a == "Lab"), "{nav:?}");
    assert!(nav.iter().any(|a| a == "Billing"), "{nav:?}");
    desk.get("/lab").await.assert_status(StatusCode::OK);
    desk.get(&format!("/lab/orders/{order}"))
        .await
        .assert_status(StatusCode::OK);
    desk.post(&result, &[("value", "13.2")])
        .await
        .assert_redirect(&format!("/lab/orders/{order}"));
    let acted: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT actor_label, actor_role FROM audit_event WHERE action = 'lab_order.result' AND record_id = $1",
    )
    .bind(order)
    .fetch_all(app.db().pool())
    .await
    .expect("result row");
    assert_eq!(acted, [("desk.amina".to_owned(), Some("lab".to_owned()))]);
    desk.get("/billing").await.assert_status(StatusCode::OK);
    // The trail says in which role.
    let trail = l.admin.get("/admin/audit?action=lab_order.result").await;
    assert!(
        trail
            .texts("tbody tr td:nth-child(2)")
            .iter()
            .any(|who| who.contains("desk.amina") && who.contains("as Lab attendant")),
        "{:?}",
        trail.texts("tbody tr td:nth-child(2)")
    );

    // Taken back: the next request no longer holds it; the session goes on.
    l.admin
        .post(&format!("{path}/roles/lab/remove"), &[])
        .await
        .assert_redirect(&format!("{path}#roles"));
    assert!(l.admin.get(&path).await.has("#no-extra-roles"));
    desk.get("/lab").await.assert_status(StatusCode::FORBIDDEN);
    desk.post(&result, &[("value", "99")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE id = {order} AND result_value = '13.2'"
        ))
        .await,
        1
    );
    let home = desk.get("/reception").await;
    home.assert_status(StatusCode::OK);
    assert!(!home.texts(".section-nav a").iter().any(|a| a == "Lab"));
    assert_eq!(
        role_rows(&app, id, "staff.role_revoke").await,
        [("admin".to_owned(), Some("admin".to_owned()), "Lab attendant".to_owned())]
    );
    // Taking back a role not held changes nothing; an unknown role or account is a 404.
    l.admin
        .post(&format!("{path}/roles/lab/remove"), &[])
        .await
        .assert_redirect(&format!("{path}#roles"));
    assert_eq!(role_rows(&app, id, "staff.role_revoke").await.len(), 1);
    for bad in [
        format!("{path}/roles/king/remove"),
        "/admin/staff/424242/roles/lab/remove".to_owned(),
    ] {
        l.admin.post(&bad, &[]).await.assert_status(StatusCode::NOT_FOUND);
    }
    l.admin
        .post("/admin/staff/424242/roles", &[("extra_role", "lab")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // Only an admin gives roles.
    l.lab
        .post(&grant, &[("extra_role", "lab")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    desk.post(&grant, &[("extra_role", "pharmacist")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_role").await, 0);
}

async fn an_extra_role_that_becomes_the_accounts_own_is_held_once(app: TestApp) {
    let admin = app.admin().await;
    let id = app.create_staff("desk.bayo", Role::Reception, false).await;
    let path = format!("/admin/staff/{id}");
    admin
        .post(&format!("{path}/roles"), &[("extra_role", "pharmacist")])
        .await
        .assert_redirect(&format!("{path}#roles"));
    let version = admin
        .get(&path)
        .await
        .attr("input[name=version]", "value")
        .expect("version");
    admin
        .post(
            &path,
            &[
                ("full_name", "Bayo Ade"),
                ("email", ""),
                ("role", "pharmacist"),
                ("version", &version),
            ],
        )
        .await
        .assert_redirect(&path);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_role").await, 0);
    let page = admin.get(&path).await;
    assert!(page.has("#no-extra-roles"));
    assert_eq!(
        page.texts("#extra_role option"),
        ["Choose a role", "Reception", "Lab attendant"]
    );
    let update: Vec<(String,)> =
        sqlx::query_as("SELECT detail FROM audit_event WHERE action = 'staff.update' AND record_id = $1")
            .bind(id)
            .fetch_all(app.db().pool())
            .await
            .expect("update row");
    assert!(
        update[0].0.ends_with("; Pharmacist is no longer an extra role"),
        "{update:?}"
    );
}
