//! The admin's academic data pages: faculties, departments, levels and sessions.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::support::{ADMIN_PASSWORD, Client, Page, TestApp, on_both_databases};

on_both_databases!(
    faculties_are_created_listed_and_edited,
    duplicate_names_and_codes_are_refused_ignoring_case,
    departments_need_a_faculty_that_exists,
    bad_input_gets_messages_or_4xx_never_500,
    records_in_use_are_not_deleted,
    deactivated_records_stay_on_patients_but_leave_the_forms,
    make_current_leaves_exactly_one_current_session,
    stale_edits_are_refused,
    every_academic_route_is_for_admins_only,
    academic_changes_are_audited,
    academic_and_settings_pages_fit_a_phone,
);

const INDEX: &str = "/admin/academic";

/// The academic data page showing one kind's list (`faculties`, `departments`, `levels`, `sessions`).
fn list(kind: &str) -> String {
    format!("{INDEX}?show={kind}")
}

/// A form's fields, as (name, value).
type Fields<'a> = Vec<(&'a str, &'a str)>;

async fn add_faculty(admin: &Client, name: &str, code: &str) -> Page {
    admin
        .post("/admin/academic/faculties", &[("name", name), ("code", code)])
        .await
}

async fn add_department(admin: &Client, faculty_id: &str, name: &str, code: &str) -> Page {
    admin
        .post(
            "/admin/academic/departments",
            &[("faculty_id", faculty_id), ("name", name), ("code", code)],
        )
        .await
}

async fn add_level(admin: &Client, name: &str, sort_order: &str) -> Page {
    admin
        .post("/admin/academic/levels", &[("name", name), ("sort_order", sort_order)])
        .await
}

async fn add_session(admin: &Client, name: &str, starts_on: &str, ends_on: &str) -> Page {
    admin
        .post(
            "/admin/academic/sessions",
            &[("name", name), ("starts_on", starts_on), ("ends_on", ends_on)],
        )
        .await
}

/// The id of the row of `table` whose `column` is `value`.
async fn id_of(app: &TestApp, table: &str, column: &str, value: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE {column} = $1"))
        .bind(value)
        .fetch_one(app.db().pool())
        .await
        .unwrap_or_else(|err| panic!("no {table} with {column} {value:?}: {err}"))
}

async fn faculty_ok(app: &TestApp, admin: &Client, name: &str, code: &str) -> i64 {
    add_faculty(admin, name, code).await.assert_redirect(&list("faculties"));
    id_of(app, "faculty", "code", code).await
}

async fn department_ok(app: &TestApp, admin: &Client, faculty_id: i64, name: &str, code: &str) -> i64 {
    add_department(admin, &faculty_id.to_string(), name, code)
        .await
        .assert_redirect(&list("departments"));
    id_of(app, "department", "code", code).await
}

async fn level_ok(app: &TestApp, admin: &Client, name: &str, sort_order: &str) -> i64 {
    add_level(admin, name, sort_order)
        .await
        .assert_redirect(&list("levels"));
    id_of(app, "level", "name", name).await
}

async fn session_ok(app: &TestApp, admin: &Client, name: &str) -> i64 {
    let first: i32 = name[..4].parse().expect("year");
    let (starts, ends) = (format!("{first}-09-01"), format!("{}-07-31", first + 1));
    add_session(admin, name, &starts, &ends)
        .await
        .assert_redirect(&list("sessions"));
    id_of(app, "academic_session", "name", name).await
}

/// The hidden version of the edit form at `path`.
async fn version(admin: &Client, path: &str) -> String {
    let page = admin.get(path).await;
    page.assert_status(StatusCode::OK);
    page.attr("input[name=version]", "value").expect("version field")
}

/// Inserts a student patient pointing at the given records, as the patients feature would.
async fn insert_student(
    app: &TestApp,
    number: &str,
    faculty: Option<i64>,
    department: Option<i64>,
    level: Option<i64>,
    session: Option<i64>,
) {
    sqlx::query(
        "INSERT INTO patient (clinic_number, kind, first_name, surname, created_at, updated_at,
                              faculty_id, department_id, level_id, session_id)
         VALUES ($1, 'student', 'Ada', 'Obi', 0, 0, $2, $3, $4, $5)",
    )
    .bind(number)
    .bind(faculty)
    .bind(department)
    .bind(level)
    .bind(session)
    .execute(app.db().pool())
    .await
    .expect("insert patient");
}

/// `count` students of the department, numbered `M-1` on.
async fn insert_students(app: &TestApp, count: i64, faculty: i64, department: i64) {
    sqlx::query(
        "INSERT INTO patient (clinic_number, kind, first_name, surname, created_at, updated_at,
                              faculty_id, department_id)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         SELECT 'M-' || CAST(i AS TEXT), 'student', 'Ada', 'Obi', 0, 0, $2, $3 FROM n",
    )
    .bind(count)
    .bind(faculty)
    .bind(department)
    .execute(app.db().pool())
    .await
    .expect("insert patients");
}

async fn faculties_are_created_listed_and_edited(app: TestApp) {
    let admin = app.admin().await;
    // One kind at a time, faculties first; each kind's link says how many it holds.
    let empty = admin.get(INDEX).await;
    empty.assert_status(StatusCode::OK);
    assert_eq!(empty.texts("section h2"), ["Faculties"]);
    assert_eq!(
        empty.texts("#academic-kinds a"),
        ["Faculties (0)", "Departments (0)", "Levels (0)", "Sessions (0)"]
    );
    assert_eq!(empty.text("#academic-kinds a[aria-current=page]"), "Faculties (0)");
    for kind in ["departments", "levels", "sessions"] {
        let page = admin.get(&list(kind)).await;
        assert_eq!(page.attr(&format!("#{kind}"), "id").as_deref(), Some(kind));
        assert_eq!(page.texts("section h2").len(), 1);
    }
    // An unknown kind shows the faculties.
    assert_eq!(admin.get(&list("wards")).await.texts("section h2"), ["Faculties"]);

    add_faculty(&admin, "  Faculty of   Science ", " sci ")
        .await
        .assert_redirect(&list("faculties"));
    let page = admin.get(INDEX).await;
    assert_eq!(page.text(".flash-success"), "Faculty Faculty of Science added.");
    assert_eq!(page.texts("#faculties tbody tr"), ["Faculty of Science SCI Active"]);
    let id = id_of(&app, "faculty", "code", "SCI").await;
    let path = format!("/admin/academic/faculties/{id}");
    assert_eq!(page.attr("#faculties tbody a", "href").as_deref(), Some(path.as_str()));

    let edit = admin.get(&path).await;
    assert_eq!(edit.text("h1"), "Faculty of Science");
    assert_eq!(edit.attr("#faculty-code", "value").as_deref(), Some("SCI"));
    assert_eq!(edit.text("#usage"), "Nothing uses it yet; it can be deleted.");
    let seen = edit.attr("input[name=version]", "value").unwrap();
    admin
        .post(
            &path,
            &[("name", "Faculty of Sciences"), ("code", "fos"), ("version", &seen)],
        )
        .await
        .assert_redirect(&list("faculties"));
    assert_eq!(admin.get(INDEX).await.text(".flash-success"), "Faculty saved.");
    assert_eq!(admin.get(&path).await.text("h1"), "Faculty of Sciences");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM faculty WHERE id = {id} AND code = 'FOS'"
        ))
        .await,
        1
    );

    // Departments are labelled with their faculty; levels by order; sessions newest first.
    let other = faculty_ok(&app, &admin, "Arts", "ART").await;
    department_ok(&app, &admin, id, "Zoology", "ZOO").await;
    department_ok(&app, &admin, other, "History", "HIS").await;
    department_ok(&app, &admin, id, "Botany", "BOT").await;
    level_ok(&app, &admin, "PG", "900").await;
    level_ok(&app, &admin, "100L", "100").await;
    level_ok(&app, &admin, "200L", "200").await;
    session_ok(&app, &admin, "2024/2025").await;
    session_ok(&app, &admin, "2025/2026").await;
    let page = admin.get(&list("departments")).await;
    assert_eq!(
        page.texts("#departments tbody td:nth-child(2)"),
        ["History", "Botany", "Zoology"]
    );
    assert_eq!(
        page.texts("#departments tbody td:first-child"),
        ["Arts", "Faculty of Sciences", "Faculty of Sciences"]
    );
    assert_eq!(
        page.texts("#academic-kinds a"),
        ["Faculties (2)", "Departments (3)", "Levels (3)", "Sessions (2)"]
    );
    let page = admin.get(&list("levels")).await;
    assert_eq!(page.texts("#levels tbody td:first-child"), ["100L", "200L", "PG"]);
    let page = admin.get(&list("sessions")).await;
    assert_eq!(page.texts("#sessions tbody td:first-child"), ["2025/2026", "2024/2025"]);
}

async fn duplicate_names_and_codes_are_refused_ignoring_case(app: TestApp) {
    let admin = app.admin().await;
    let science = faculty_ok(&app, &admin, "Science", "SCI").await;
    let arts = faculty_ok(&app, &admin, "Arts", "ART").await;

    let page = add_faculty(&admin, "SCIENCE", "SCX").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#faculty-name-error"),
        "There is already a faculty with this name."
    );
    // The input is kept, beside the message.
    assert_eq!(page.attr("#faculty-name", "value").as_deref(), Some("SCIENCE"));
    assert_eq!(page.attr("#faculty-name", "aria-invalid").as_deref(), Some("true"));
    let page = add_faculty(&admin, "Sciences", "sci").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#faculty-code-error"),
        "There is already a faculty with this code."
    );
    assert!(!page.has("#faculty-name-error"));

    department_ok(&app, &admin, science, "Physics", "PHY").await;
    // The same name in the same faculty is refused; in another faculty it is fine.
    let page = add_department(&admin, &science.to_string(), "physics", "PHY2").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#department-name-error"),
        "This faculty already has a department with this name."
    );
    department_ok(&app, &admin, arts, "Physics", "APHY").await;
    // Codes are unique across all faculties.
    let page = add_department(&admin, &arts.to_string(), "Philosophy", "phy").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#department-code-error"),
        "There is already a department with this code."
    );

    level_ok(&app, &admin, "100L", "100").await;
    let page = add_level(&admin, "100l", "101").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#level-name-error"),
        "There is already a level with this name."
    );

    session_ok(&app, &admin, "2025/2026").await;
    let page = add_session(&admin, "2025/2026", "2025-10-01", "2026-08-01").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#session-name-error"),
        "There is already a session with this name."
    );

    // An edit into a duplicate is refused the same way, on the edit page.
    let path = format!("/admin/academic/faculties/{arts}");
    let seen = version(&admin, &path).await;
    let page = admin
        .post(&path, &[("name", "science"), ("code", "ART"), ("version", &seen)])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#faculty-name-error"),
        "There is already a faculty with this name."
    );
    assert_eq!(
        page.attr("input[name=version]", "value").as_deref(),
        Some(seen.as_str())
    );

    // Ten concurrent submissions of one new faculty: exactly one is stored.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(
            async move { add_faculty(&admin, "Law", "LAW").await.status },
        ));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM faculty WHERE code = 'LAW'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM faculty").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM department").await, 2);
}

async fn departments_need_a_faculty_that_exists(app: TestApp) {
    let admin = app.admin().await;
    let science = faculty_ok(&app, &admin, "Science", "SCI").await;
    for forged in ["", "abc", "0", "-4", "999999", "99999999999999999999999"] {
        let page = add_department(&admin, forged, "Physics", "PHY").await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            page.text("#department-faculty_id-error"),
            "Choose a faculty from the list.",
            "{forged:?}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM department").await, 0);

    // A deactivated faculty takes no new departments.
    let closed = faculty_ok(&app, &admin, "Closed", "CLO").await;
    admin
        .post(&format!("/admin/academic/faculties/{closed}/deactivate"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = add_department(&admin, &closed.to_string(), "Physics", "PHY").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#department-faculty_id-error").contains("deactivated"));

    // Moving a department: to a faculty that doesn't exist is refused; to another is fine.
    let physics = department_ok(&app, &admin, science, "Physics", "PHY").await;
    let path = format!("/admin/academic/departments/{physics}");
    let seen = version(&admin, &path).await;
    let page = admin
        .post(
            &path,
            &[
                ("faculty_id", "424242"),
                ("name", "Physics"),
                ("code", "PHY"),
                ("version", &seen),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#department-faculty_id-error"),
        "Choose a faculty from the list."
    );
    let arts = faculty_ok(&app, &admin, "Arts", "ART").await;
    admin
        .post(
            &path,
            &[
                ("faculty_id", &arts.to_string()),
                ("name", "Physics"),
                ("code", "PHY"),
                ("version", &seen),
            ],
        )
        .await
        .assert_redirect(&list("departments"));
    assert_eq!(
        app.count(&format!("SELECT faculty_id FROM department WHERE id = {physics}"))
            .await,
        arts
    );
}

async fn bad_input_gets_messages_or_4xx_never_500(app: TestApp) {
    let admin = app.admin().await;
    // Missing fields entirely: messages beside every field.
    let page = admin.post("/admin/academic/faculties", &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text("#faculty-name-error"), "Enter a name.");
    assert_eq!(page.text("#faculty-code-error"), "Enter a code.");
    let page = admin.post("/admin/academic/departments", &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#department-faculty_id-error") && page.has("#department-name-error"));
    let page = admin.post("/admin/academic/levels", &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#level-name-error") && page.has("#level-sort_order-error"));
    let page = admin.post("/admin/academic/sessions", &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#session-name-error") && page.has("#session-starts_on-error"));

    // Huge and malformed values.
    let huge = "x".repeat(5000);
    let page = add_faculty(&admin, &huge, &huge).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#faculty-name-error"),
        "Keep the name to 100 characters or fewer."
    );
    assert!(page.has("#faculty-code-error"));
    let page = add_faculty(&admin, "Science", "SC-1").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text("#faculty-code-error")
            .starts_with("A code is 1 to 16 letters")
    );
    for order in ["abc", "-1", "1001", "1e3", "99999999999999999999"] {
        let page = add_level(&admin, "100L", order).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            page.text("#level-sort_order-error"),
            "Enter a whole number from 0 to 1000.",
            "{order}"
        );
    }
    let page = add_session(&admin, "2025/2027", "2025-09-01", "2026-07-31").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#session-name-error"),
        "Enter two consecutive years, e.g. 2025/2026."
    );
    let page = add_session(&admin, "2025/2026", "2026-07-31", "2025-09-01").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#session-ends_on-error"),
        "The session must end after it starts."
    );
    let page = add_session(&admin, "2025/2026", "2025-02-30", "next year").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text("#session-starts_on-error"), "Enter a date as YYYY-MM-DD.");
    assert_eq!(page.attr("#session-ends_on", "value").as_deref(), Some("next year"));
    for table in ["faculty", "department", "level", "academic_session"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }

    // Ids that are not numbers, or no such record: 404, never 500.
    let faculty = faculty_ok(&app, &admin, "Science", "SCI").await;
    for kind in ["faculties", "departments", "levels", "sessions"] {
        for id in ["abc", "0", "-1", "1.5", "99999999999999999999", "424242"] {
            let path = format!("/admin/academic/{kind}/{id}");
            admin.get(&path).await.assert_status(StatusCode::NOT_FOUND);
            for action in ["deactivate", "reactivate", "delete"] {
                admin
                    .post(&format!("{path}/{action}"), &[])
                    .await
                    .assert_status(StatusCode::NOT_FOUND);
            }
        }
    }
    admin
        .post("/admin/academic/sessions/abc/make-current", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .post("/admin/academic/sessions/424242/make-current", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .post(
            "/admin/academic/levels/424242",
            &[("name", "100L"), ("sort_order", "100"), ("version", "1")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // An edit without a version, or with one that isn't a number, is a clear 400.
    let path = format!("/admin/academic/faculties/{faculty}");
    admin
        .post(&path, &[("name", "Science"), ("code", "SCI")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    admin
        .post(&path, &[("name", "Science"), ("code", "SCI"), ("version", "yesterday")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // Bad values on an edit re-render the edit page with the input.
    let seen = version(&admin, &path).await;
    let page = admin
        .post(&path, &[("name", ""), ("code", "no way"), ("version", &seen)])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#faculty-name-error") && page.has("#faculty-code-error"));
    assert_eq!(page.attr("#faculty-code", "value").as_deref(), Some("no way"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM faculty WHERE id = {faculty} AND code = 'SCI'"
        ))
        .await,
        1
    );
}

async fn records_in_use_are_not_deleted(app: TestApp) {
    let admin = app.admin().await;
    let science = faculty_ok(&app, &admin, "Science", "SCI").await;
    let physics = department_ok(&app, &admin, science, "Physics", "PHY").await;
    let level = level_ok(&app, &admin, "100L", "100").await;
    let session = session_ok(&app, &admin, "2025/2026").await;

    let refused = admin
        .post(&format!("/admin/academic/faculties/{science}/delete"), &[])
        .await;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        refused.text(".flash-error"),
        "Science is in use by 1 department; deactivate it instead."
    );

    insert_student(&app, "C-1", Some(science), Some(physics), Some(level), Some(session)).await;
    insert_student(&app, "C-2", Some(science), Some(physics), None, None).await;
    let refused = admin
        .post(&format!("/admin/academic/faculties/{science}/delete"), &[])
        .await;
    assert_eq!(
        refused.text(".flash-error"),
        "Science is in use by 2 patients and 1 department; deactivate it instead."
    );
    for (kind, id, message) in [
        (
            "departments",
            physics,
            "Physics is in use by 2 patients; deactivate it instead.",
        ),
        ("levels", level, "100L is in use by 1 patient; deactivate it instead."),
        (
            "sessions",
            session,
            "2025/2026 is in use by 1 patient; deactivate it instead.",
        ),
    ] {
        let page = admin.post(&format!("/admin/academic/{kind}/{id}/delete"), &[]).await;
        page.assert_status(StatusCode::CONFLICT);
        assert_eq!(page.text(".flash-error"), message);
    }
    let shown = admin.get(&format!("/admin/academic/departments/{physics}")).await;
    assert_eq!(shown.text("#usage"), "Used by 2 patients.");
    // A whole faculty's students are counted only as far as the page needs.
    insert_students(&app, 1000, science, physics).await;
    let shown = admin.get(&format!("/admin/academic/faculties/{science}")).await;
    assert_eq!(
        shown.text("#usage"),
        "Used by more than 1000 patients and 1 department."
    );
    let refused = admin
        .post(&format!("/admin/academic/departments/{physics}/delete"), &[])
        .await;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        refused.text(".flash-error"),
        "Physics is in use by more than 1000 patients; deactivate it instead."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM faculty").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM department").await, 1);

    // Unused records go.
    let chemistry = department_ok(&app, &admin, science, "Chemistry", "CHM").await;
    let pg = level_ok(&app, &admin, "PG", "900").await;
    let old = session_ok(&app, &admin, "2019/2020").await;
    let arts = faculty_ok(&app, &admin, "Arts", "ART").await;
    for (kind, id, message) in [
        ("departments", chemistry, "Department Chemistry deleted."),
        ("levels", pg, "Level PG deleted."),
        ("sessions", old, "Session 2019/2020 deleted."),
        ("faculties", arts, "Faculty Arts deleted."),
    ] {
        let path = format!("/admin/academic/{kind}/{id}");
        admin
            .post(&format!("{path}/delete"), &[])
            .await
            .assert_redirect(&list(kind));
        assert_eq!(admin.get(&list(kind)).await.text(".flash-success"), message);
        admin.get(&path).await.assert_status(StatusCode::NOT_FOUND);
        // Deleting again: it is gone.
        admin
            .post(&format!("{path}/delete"), &[])
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'academic.%.delete'")
            .await,
        4
    );
}

async fn deactivated_records_stay_on_patients_but_leave_the_forms(app: TestApp) {
    let admin = app.admin().await;
    let science = faculty_ok(&app, &admin, "Science", "SCI").await;
    let arts = faculty_ok(&app, &admin, "Arts", "ART").await;
    let history = department_ok(&app, &admin, arts, "History", "HIS").await;
    insert_student(&app, "C-1", Some(arts), Some(history), None, None).await;

    let path = format!("/admin/academic/faculties/{arts}");
    admin
        .post(&format!("{path}/deactivate"), &[])
        .await
        .assert_redirect(&path);
    let page = admin.get(&path).await;
    assert!(page.text(".flash-success").starts_with("Faculty deactivated"));
    assert_eq!(page.text("h1 .chip-quiet"), "Deactivated");
    assert!(page.has(&format!("form[action='{path}/reactivate']")));

    let index = admin.get(INDEX).await;
    assert_eq!(index.texts("#faculties tbody tr.muted td:first-child"), ["Arts"]);
    assert_eq!(index.text("#faculties tr.muted .chip-quiet"), "Deactivated");
    // The add-department form offers only active faculties.
    let offered = admin
        .get(&list("departments"))
        .await
        .texts("#department-faculty_id option:not([disabled])");
    assert_eq!(offered, ["Science"]);
    // The patient keeps the faculty.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM patient WHERE faculty_id = {arts}"))
            .await,
        1
    );
    // A department of a deactivated faculty still shows its faculty when edited, and may stay there.
    let department = admin.get(&format!("/admin/academic/departments/{history}")).await;
    assert_eq!(
        department.texts("#department-faculty_id option:not([disabled])"),
        ["Arts", "Science"]
    );
    let seen = department.attr("input[name=version]", "value").unwrap();
    admin
        .post(
            &format!("/admin/academic/departments/{history}"),
            &[
                ("faculty_id", &arts.to_string()),
                ("name", "World History"),
                ("code", "HIS"),
                ("version", &seen),
            ],
        )
        .await
        .assert_redirect(&list("departments"));

    // Deactivating twice is harmless and audited once; reactivating brings it back to the forms.
    admin
        .post(&format!("{path}/deactivate"), &[])
        .await
        .assert_redirect(&path);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'academic.faculty.deactivate'")
            .await,
        1
    );
    admin
        .post(&format!("{path}/reactivate"), &[])
        .await
        .assert_redirect(&path);
    assert!(!admin.get(&path).await.has("h1 .chip"));
    let offered = admin
        .get(&list("departments"))
        .await
        .texts("#department-faculty_id option:not([disabled])");
    assert_eq!(offered, ["Arts", "Science"]);

    // Every kind can be deactivated and reactivated.
    let level = level_ok(&app, &admin, "100L", "100").await;
    let session = session_ok(&app, &admin, "2025/2026").await;
    for (kind, id) in [
        ("faculties", science),
        ("departments", history),
        ("levels", level),
        ("sessions", session),
    ] {
        let path = format!("/admin/academic/{kind}/{id}");
        admin
            .post(&format!("{path}/deactivate"), &[])
            .await
            .assert_redirect(&path);
        assert_eq!(admin.get(&path).await.text("h1 .chip-quiet"), "Deactivated", "{kind}");
        admin
            .post(&format!("{path}/reactivate"), &[])
            .await
            .assert_redirect(&path);
        assert!(!admin.get(&path).await.has("h1 .chip-quiet"), "{kind}");
    }
}

async fn make_current_leaves_exactly_one_current_session(app: TestApp) {
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for name in ["2021/2022", "2022/2023", "2023/2024", "2024/2025", "2025/2026"] {
        ids.push(session_ok(&app, &admin, name).await);
    }
    let current = || app.count("SELECT COUNT(*) FROM academic_session WHERE is_current = 1");
    assert_eq!(current().await, 0);
    let make_current = |id: i64| format!("/admin/academic/sessions/{id}/make-current");
    let sessions = list("sessions");
    admin.post(&make_current(ids[3]), &[]).await.assert_redirect(&sessions);
    admin.post(&make_current(ids[4]), &[]).await.assert_redirect(&sessions);
    assert_eq!(current().await, 1);
    assert_eq!(
        app.count("SELECT id FROM academic_session WHERE is_current = 1").await,
        ids[4]
    );
    let page = admin.get(&sessions).await;
    assert_eq!(page.text(".flash-success"), "Current session changed.");
    assert_eq!(page.texts("#sessions .chip-good"), ["Current"]);
    assert_eq!(
        page.texts("#sessions tbody tr:first-child td:first-child"),
        ["2025/2026"]
    );
    // Making the current one current again changes nothing.
    admin.post(&make_current(ids[4]), &[]).await.assert_redirect(&sessions);
    assert_eq!(current().await, 1);

    // The current session is neither deactivated nor deleted.
    let path = format!("/admin/academic/sessions/{}", ids[4]);
    for action in ["deactivate", "delete"] {
        let page = admin.post(&format!("{path}/{action}"), &[]).await;
        page.assert_status(StatusCode::CONFLICT);
        assert_eq!(
            page.text(".flash-error"),
            "This is the current session; make another session current first."
        );
    }
    // A deactivated session can't be made current.
    let old = format!("/admin/academic/sessions/{}", ids[0]);
    admin
        .post(&format!("{old}/deactivate"), &[])
        .await
        .assert_redirect(&old);
    let page = admin.post(&make_current(ids[0]), &[]).await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(page.text(".flash-error").contains("reactivate it"));

    // Several admins choosing different sessions at once: still exactly one current.
    for _ in 0..3 {
        let mut tasks = Vec::new();
        for id in &ids[1..] {
            let (admin, path) = (admin.clone(), make_current(*id));
            tasks.push(tokio::spawn(async move { admin.post(&path, &[]).await.status }));
        }
        for task in tasks {
            let status = task.await.unwrap();
            assert!(
                status == StatusCode::SEE_OTHER || status == StatusCode::CONFLICT,
                "{status}"
            );
        }
        assert_eq!(current().await, 1);
    }
}

async fn stale_edits_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let faculty = faculty_ok(&app, &admin, "Science", "SCI").await;
    let department = department_ok(&app, &admin, faculty, "Physics", "PHY").await;
    let level = level_ok(&app, &admin, "100L", "100").await;
    let session = session_ok(&app, &admin, "2025/2026").await;
    let faculty_field = faculty.to_string();
    let cases: [(String, Fields, Fields); 4] = [
        (
            format!("/admin/academic/faculties/{faculty}"),
            vec![("name", "Sciences"), ("code", "SCI")],
            vec![("name", "Natural Sciences"), ("code", "NSC")],
        ),
        (
            format!("/admin/academic/departments/{department}"),
            vec![("faculty_id", &faculty_field), ("name", "Physics 2"), ("code", "PHY")],
            vec![("faculty_id", &faculty_field), ("name", "Physics 3"), ("code", "PH3")],
        ),
        (
            format!("/admin/academic/levels/{level}"),
            vec![("name", "100 Level"), ("sort_order", "100")],
            vec![("name", "Year 1"), ("sort_order", "5")],
        ),
        (
            format!("/admin/academic/sessions/{session}"),
            vec![
                ("name", "2025/2026"),
                ("starts_on", "2025-10-01"),
                ("ends_on", "2026-08-31"),
            ],
            vec![
                ("name", "2026/2027"),
                ("starts_on", "2026-10-01"),
                ("ends_on", "2027-08-31"),
            ],
        ),
    ];
    for (path, first, second) in cases {
        let seen = version(&admin, &path).await;
        let mut fields = first.clone();
        fields.push(("version", &seen));
        let kind = path.split('/').nth(3).expect("a kind's segment");
        admin.post(&path, &fields).await.assert_redirect(&list(kind));
        let before = admin.get(&path).await.text("h1");
        // The same old form sent again is stale: refused, nothing changed.
        let mut fields = second.clone();
        fields.push(("version", &seen));
        let stale = admin.post(&path, &fields).await;
        stale.assert_status(StatusCode::CONFLICT);
        assert!(stale.text(".flash-error").contains("changed by someone else"), "{path}");
        assert_eq!(admin.get(&path).await.text("h1"), before, "{path}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'academic.%.update'")
            .await,
        4
    );
}

/// Every academic route, as (method, path).
const ACADEMIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/academic"),
    ("POST", "/admin/academic/faculties"),
    ("GET", "/admin/academic/faculties/1"),
    ("POST", "/admin/academic/faculties/1"),
    ("POST", "/admin/academic/faculties/1/deactivate"),
    ("POST", "/admin/academic/faculties/1/reactivate"),
    ("POST", "/admin/academic/faculties/1/delete"),
    ("POST", "/admin/academic/departments"),
    ("GET", "/admin/academic/departments/1"),
    ("POST", "/admin/academic/departments/1"),
    ("POST", "/admin/academic/departments/1/deactivate"),
    ("POST", "/admin/academic/departments/1/reactivate"),
    ("POST", "/admin/academic/departments/1/delete"),
    ("POST", "/admin/academic/levels"),
    ("GET", "/admin/academic/levels/1"),
    ("POST", "/admin/academic/levels/1"),
    ("POST", "/admin/academic/levels/1/deactivate"),
    ("POST", "/admin/academic/levels/1/reactivate"),
    ("POST", "/admin/academic/levels/1/delete"),
    ("POST", "/admin/academic/sessions"),
    ("GET", "/admin/academic/sessions/1"),
    ("POST", "/admin/academic/sessions/1"),
    ("POST", "/admin/academic/sessions/1/deactivate"),
    ("POST", "/admin/academic/sessions/1/reactivate"),
    ("POST", "/admin/academic/sessions/1/delete"),
    ("POST", "/admin/academic/sessions/1/make-current"),
];

async fn every_academic_route_is_for_admins_only(app: TestApp) {
    let admin = app.admin().await;
    let faculty = faculty_ok(&app, &admin, "Science", "SCI").await;
    department_ok(&app, &admin, faculty, "Physics", "PHY").await;
    level_ok(&app, &admin, "100L", "100").await;
    session_ok(&app, &admin, "2025/2026").await;
    let academic_audit = "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'academic.%'";
    let audited = app.count(academic_audit).await;

    // A form that would be valid for any of the routes.
    let fields = [
        ("name", "2030/2031"),
        ("code", "MAL"),
        ("faculty_id", "1"),
        ("sort_order", "1"),
        ("starts_on", "2030-09-01"),
        ("ends_on", "2031-07-31"),
        ("version", "0"),
    ];
    for role in [Role::Doctor, Role::Pharmacist, Role::Lab, Role::Reception] {
        let client = app.login_as(&format!("x.{}", role.as_str()), role).await;
        for (method, path) in ACADEMIC_ROUTES {
            let page = match *method {
                "GET" => client.get(path).await,
                _ => client.post(path, &fields).await,
            };
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {method} {path}");
            assert_eq!(page.text("h1"), "Not allowed");
        }
    }
    let stranger = app.client();
    for (method, path) in ACADEMIC_ROUTES {
        let page = match *method {
            "GET" => stranger.get(path).await,
            _ => stranger.post(path, &fields).await,
        };
        assert_eq!(page.status, StatusCode::SEE_OTHER, "anonymous {method} {path}");
        assert!(
            page.location().unwrap_or_default().starts_with("/login"),
            "{method} {path}"
        );
    }
    // Nothing was changed by the refused posts.
    assert_eq!(app.count(academic_audit).await, audited);
    for table in ["faculty", "department", "level", "academic_session"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 1, "{table}");
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table} WHERE active = 0"))
                .await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM academic_session WHERE is_current = 1")
            .await,
        0
    );
}

async fn academic_changes_are_audited(app: TestApp) {
    let admin = app.admin().await;
    let id = faculty_ok(&app, &admin, "Science", "SCI").await;
    let path = format!("/admin/academic/faculties/{id}");
    let seen = version(&admin, &path).await;
    admin
        .post(&path, &[("name", "Sciences"), ("code", "SCI"), ("version", &seen)])
        .await
        .assert_redirect(&list("faculties"));
    admin.post(&format!("{path}/deactivate"), &[]).await;
    admin.post(&format!("{path}/reactivate"), &[]).await;
    admin
        .post(&format!("{path}/delete"), &[])
        .await
        .assert_redirect(&list("faculties"));
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_label, detail, ip FROM audit_event WHERE record_type = 'faculty' AND record_id = $1
         ORDER BY id",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "academic.faculty.create",
            "academic.faculty.update",
            "academic.faculty.deactivate",
            "academic.faculty.reactivate",
            "academic.faculty.delete"
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.1 == "admin" && r.3.as_deref() == Some("127.0.0.1"))
    );
    assert_eq!(rows[0].2, "name \"Science\", code SCI");
    assert_eq!(rows[1].2, "name \"Science\" -> \"Sciences\"");

    let session = session_ok(&app, &admin, "2025/2026").await;
    admin
        .post(&format!("/admin/academic/sessions/{session}/make-current"), &[])
        .await
        .assert_redirect(&list("sessions"));
    let recorded: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, record_type FROM audit_event WHERE record_id = $1 AND record_type = 'academic_session' ORDER BY id",
    )
    .bind(session)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        recorded,
        [
            ("academic.session.create".to_owned(), "academic_session".to_owned()),
            (
                "academic.session.make_current".to_owned(),
                "academic_session".to_owned()
            )
        ]
    );
    // A refused change writes no audit row.
    let level = level_ok(&app, &admin, "100L", "100").await;
    insert_student(&app, "C-1", None, None, Some(level), None).await;
    admin
        .post(&format!("/admin/academic/levels/{level}/delete"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'academic.level.delete'")
            .await,
        0
    );
}

/// The academic and settings pages in a real browser, at a phone's 360 px and at a desktop's width.
async fn academic_and_settings_pages_fit_a_phone(app: TestApp) {
    let admin = app.admin().await;
    let science = faculty_ok(&app, &admin, "Faculty of Physical and Mathematical Sciences", "FPMS").await;
    let physics = department_ok(&app, &admin, science, "Industrial Physics and Electronics", "IPE").await;
    level_ok(&app, &admin, "100L", "100").await;
    let session = session_ok(&app, &admin, "2025/2026").await;
    session_ok(&app, &admin, "2024/2025").await;
    admin
        .post(&format!("/admin/academic/sessions/{session}/make-current"), &[])
        .await
        .assert_redirect(&list("sessions"));
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, size) in [(360, 740, "phone"), (1280, 900, "desktop")] {
        let Some(b) = Browser::start(width, height, &format!("{backend}-{size}")).await else {
            return;
        };
        b.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;

        b.goto(&app, INDEX).await;
        assert_eq!(b.text("h1").await, "Academic data");
        b.screenshot("10-academic").await;
        assert!(b.fits_width().await, "academic page fits at {size}");
        // The levels' link shows their list and add form, where an add form with a mistake is sent.
        b.click("#academic-kinds a[href$='show=levels']").await;
        assert_eq!(b.text("section h2").await, "Levels");
        b.fill("#level-name", "200L").await;
        b.fill("#level-sort_order", "5000").await;
        b.click("form[action^='/admin/academic/levels'] button[type=submit]")
            .await;
        assert_eq!(
            b.text("#level-sort_order-error").await,
            "Enter a whole number from 0 to 1000."
        );
        b.screenshot("11-academic-error").await;
        assert!(b.fits_width().await, "academic page with errors fits at {size}");

        b.goto(&app, &format!("/admin/academic/departments/{physics}")).await;
        b.screenshot("12-department").await;
        assert!(b.fits_width().await, "department page fits at {size}");

        b.goto(&app, "/admin/settings").await;
        b.screenshot("13-settings").await;
        assert!(b.fits_width().await, "settings page fits at {size}");
        b.close().await;
    }
}
