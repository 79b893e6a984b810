//! The printable sheet of one-time portal passwords: the filter, issuing through the real forms, all or
//! nothing, replays, roles and bad input.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::support::{Client, FormFields, Page, TestApp, import_students, on_both_databases, visitor};

on_both_databases!(
    portal_sheet_filter_finds_the_right_students,
    portal_sheet_issues_passwords_that_log_students_in,
    portal_sheet_is_all_or_nothing,
    portal_sheet_replaces_passwords_only_when_confirmed,
    portal_sheet_refuses_a_replayed_form,
    portal_sheet_refuses_a_student_changed_meanwhile,
    portal_sheet_is_for_the_front_desk_only,
    portal_sheet_refuses_control_characters,
    portal_sheet_caps_one_batch,
);

const PAGE: &str = "/patients/portal-access";

/// Students in two faculties, departments and levels, imported as a faculty would be; plus a visitor.
const STUDENTS: &str = "matric_number,first_name,surname,faculty,department,level
SCI/20/0001,Ada,Obi,Science,Physics,100L
SCI/20/0002,Bola,Ade,Science,Physics,200L
SCI/20/0003,Chidi,Eze,Science,Chemistry,100L
ART/20/0001,Dayo,Lawal,Arts,History,100L
ART/20/0002,Efe,Okoro,Arts,History,200L
";

async fn id_of(app: &TestApp, table: &str, name: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE name = $1"))
        .bind(name)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn patient_id(app: &TestApp, matric: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM patient WHERE matric_number = $1")
        .bind(matric)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

/// The matric numbers the selection page lists.
fn listed(page: &Page) -> Vec<String> {
    page.texts(".sheet-choices tbody tr td:nth-child(3)")
}

/// What the page's issue form would send as it stands (hidden fields and ticked boxes).
fn form_fields(page: &Page) -> Vec<(String, String)> {
    FormFields::of(page, "#sheet-form").0
}

/// The form with only these patients ticked.
fn ticking(fields: &[(String, String)], ids: &[i64]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = fields.iter().filter(|(name, _)| name != "id").cloned().collect();
    fields.extend(ids.iter().map(|id| ("id".to_owned(), id.to_string())));
    fields
}

async fn post(client: &Client, fields: &[(String, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.post(PAGE, &borrowed).await
}

/// The slips of a sheet: (matric number, clinic number, one-time password).
fn slips(page: &Page) -> Vec<(String, String, String)> {
    let matrics = page.texts(".sheet-slip .slip-matric");
    let numbers = page.texts(".sheet-slip .slip-clinic-number");
    let passwords = page.texts(".sheet-slip .slip-password");
    assert_eq!(matrics.len(), passwords.len());
    assert_eq!(numbers.len(), passwords.len());
    matrics
        .into_iter()
        .zip(numbers)
        .zip(passwords)
        .map(|((m, n), p)| (m, n, p))
        .collect()
}

async fn with_password(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM patient WHERE password_hash IS NOT NULL")
        .await
}

async fn sheet_audits(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'patient.reset_password'")
        .await
}

/// Logs a student in with a one-time password: they are sent to choose their own.
async fn assert_one_time_login(app: &TestApp, matric: &str, password: &str) {
    let student = app.client();
    student
        .login(&matric.to_lowercase(), password)
        .await
        .assert_redirect("/account/password");
    student.get("/me").await.assert_redirect("/account/password");
}

/// Gives a student a password through the single "Set up portal access" button.
async fn set_up_one(app: &TestApp, id: i64) -> String {
    let admin = app.admin().await;
    admin
        .post(&format!("/patients/{id}/reset-password"), &[])
        .await
        .assert_redirect(&format!("/patients/{id}"));
    admin.get(&format!("/patients/{id}")).await.text("#revealed-password")
}

async fn portal_sheet_filter_finds_the_right_students(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let (visitor_id, _) = visitor(&app, "Vic", "Visitor").await;
    assert!(visitor_id > 0);
    sqlx::query("UPDATE patient SET active = 0 WHERE matric_number = 'ART/20/0002'")
        .execute(app.db().pool())
        .await
        .unwrap();
    set_up_one(&app, patient_id(&app, "SCI/20/0002").await).await;
    let reception = app.login_as("front.desk", Role::Reception).await;

    // By default: every active student without portal access, by surname; never a visitor or an inactive one.
    let page = reception.get(PAGE).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(listed(&page), ["SCI/20/0003", "ART/20/0001", "SCI/20/0001"]);
    assert_eq!(page.text("#matching-count"), "3");
    assert_eq!(page.attr("#without_access", "checked").as_deref(), Some(""));
    assert_eq!(page.text("#issue-button"), "Issue one-time passwords for 3 students");
    assert!(!page.has("#replace"), "nobody listed has a password");

    let science = id_of(&app, "faculty", "Science").await;
    let physics = id_of(&app, "department", "Physics").await;
    let first_year = id_of(&app, "level", "100L").await;
    let page = reception
        .get(&format!("{PAGE}?filtered=1&without_access=1&faculty={science}"))
        .await;
    assert_eq!(listed(&page), ["SCI/20/0003", "SCI/20/0001"]);
    let page = reception
        .get(&format!("{PAGE}?filtered=1&without_access=1&department={physics}"))
        .await;
    assert_eq!(listed(&page), ["SCI/20/0001"]);
    let page = reception
        .get(&format!("{PAGE}?filtered=1&without_access=1&level={first_year}"))
        .await;
    assert_eq!(listed(&page), ["SCI/20/0003", "ART/20/0001", "SCI/20/0001"]);
    assert_eq!(
        page.attr(&format!("#level option[value='{first_year}']"), "selected")
            .as_deref(),
        Some("")
    );

    // Unticked "only those without portal access": the one with a password too, marked, with the confirmation.
    let page = reception
        .get(&format!("{PAGE}?filtered=1&faculty={science}&department={physics}"))
        .await;
    assert_eq!(listed(&page), ["SCI/20/0002", "SCI/20/0001"]);
    assert!(page.attr("#without_access", "checked").is_none());
    assert_eq!(page.texts("td .chip-info"), ["Has a password"]);
    assert!(
        page.text("label[for=replace]")
            .starts_with("This replaces the passwords of 1 student who has one")
    );

    // Nobody matches: said so, and no form to issue an empty sheet.
    let history = id_of(&app, "department", "History").await;
    let page = reception
        .get(&format!(
            "{PAGE}?filtered=1&without_access=1&faculty={science}&department={history}"
        ))
        .await;
    assert_eq!(page.text("#matching-count"), "0");
    assert!(page.has("#no-students") && !page.has("#sheet-form"));
    // Ids that are not numbers are no filter at all, not an error.
    reception
        .get(&format!("{PAGE}?faculty=abc&level=-1"))
        .await
        .assert_status(StatusCode::OK);
}

async fn portal_sheet_issues_passwords_that_log_students_in(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    // Reception finds the page from the patients page.
    let patients = reception.get("/patients").await;
    assert_eq!(patients.attr("#portal-sheet-link", "href").as_deref(), Some(PAGE));
    let page = reception.get(PAGE).await;
    let fields = form_fields(&page);
    let chosen = [
        patient_id(&app, "SCI/20/0001").await,
        patient_id(&app, "SCI/20/0003").await,
        patient_id(&app, "ART/20/0001").await,
    ];
    let sheet = post(&reception, &ticking(&fields, &chosen)).await;
    sheet.assert_status(StatusCode::OK);
    assert_eq!(sheet.header("cache-control"), Some("no-store"));
    assert!(sheet.text("#sheet-issued").contains("shown only on this page"));
    assert!(sheet.text("h1").contains("Sickbay Clinic"));
    assert!(sheet.has("#print-sheet") && sheet.has("#sheet-date"));
    let slips = slips(&sheet);
    assert_eq!(
        slips.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["SCI/20/0003", "ART/20/0001", "SCI/20/0001"]
    );
    assert!(slips.iter().all(|s| s.1.starts_with("SB-")));
    assert_eq!(sheet.texts(".slip-name")[0], "Chidi Eze");
    assert!(sheet.texts(".slip-how")[0].contains(&format!("{}/login", app.addr)));
    let mut passwords: Vec<&str> = slips.iter().map(|s| s.2.as_str()).collect();
    passwords.sort();
    passwords.dedup();
    assert_eq!(passwords.len(), 3, "a different password for each");
    // Stored hashed, never in clear; one audit row each; the student left out is untouched.
    for password in &passwords {
        assert_eq!(password.len(), 16);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM patient WHERE password_hash LIKE '%{password}%'"
            ))
            .await,
            0
        );
    }
    assert_eq!(with_password(&app).await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE must_change_password = 1")
            .await,
        3
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'patient.reset_password' AND actor_label = 'front.desk'"
        )
        .await,
        3
    );
    for (matric, _, password) in &slips {
        assert_one_time_login(&app, matric, password).await;
    }
    // The next visit lists only the students still without access, with a fresh form.
    let again = reception.get(PAGE).await;
    assert_eq!(listed(&again), ["SCI/20/0002", "ART/20/0002"]);
    // The admin, finishing an import, finds the page too.
    let admin = app.admin().await;
    let import = admin
        .post_file(
            "/admin/import",
            "file",
            "more.csv",
            b"matric_number,first_name,surname\nSCI/21/0001,Funmi,Bello\n".to_vec(),
            true,
        )
        .await;
    let job = import.location().expect("preview").to_owned();
    admin.post(&format!("{job}/start"), &[]).await;
    let mut finished = admin.get(&job).await;
    for _ in 0..100 {
        if finished.has("#portal-sheet-link") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        finished = admin.get(&job).await;
    }
    assert_eq!(finished.attr("#portal-sheet-link", "href").as_deref(), Some(PAGE));
}

async fn portal_sheet_is_all_or_nothing(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let (vic, vic_number) = visitor(&app, "Vic", "Visitor").await;
    let admin = app.admin().await;
    let page = admin.get(PAGE).await;
    let fields = form_fields(&page);
    let ada = patient_id(&app, "SCI/20/0001").await;
    let bola = patient_id(&app, "SCI/20/0002").await;
    let audits = sheet_audits(&app).await;

    // A visitor among students: nothing at all is written, the page says who, and the ticks stay.
    let refused = post(&admin, &ticking(&fields, &[ada, vic, bola])).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.text("#sheet-message [role=alert]");
    assert!(
        message.starts_with("Nothing was issued: 1 of the chosen records is not"),
        "{message}"
    );
    assert!(message.contains(&format!("Vic Visitor ({vic_number})")), "{message}");
    assert_eq!(refused.attr(&format!("#pick-{ada}"), "checked").as_deref(), Some(""));
    let dayo = patient_id(&app, "ART/20/0001").await;
    assert!(refused.attr(&format!("#pick-{dayo}"), "checked").is_none());
    // A patient that does not exist, or an inactive student: the same.
    let refused = post(&admin, &ticking(&fields, &[ada, 999_999])).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#sheet-message").contains("no patient has the id 999999"));
    sqlx::query("UPDATE patient SET active = 0 WHERE id = $1")
        .bind(bola)
        .execute(app.db().pool())
        .await
        .unwrap();
    post(&admin, &ticking(&fields, &[ada, bola]))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Ids that are no ids, none at all, a missing or forged token: refused with a message.
    for bad in ["abc", "0", "-4", "99999999999999999999999"] {
        let mut form = ticking(&fields, &[ada]);
        form.push(("id".to_owned(), bad.to_owned()));
        let page = post(&admin, &form).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text("#sheet-message").contains("is not a patient's id"), "{bad}");
    }
    let page = post(&admin, &ticking(&fields, &[])).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text("#sheet-message"), "Tick at least one student.");
    let no_token: Vec<(String, String)> = ticking(&fields, &[ada])
        .into_iter()
        .filter(|(k, _)| k != "form_id")
        .collect();
    post(&admin, &no_token)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let mut forged = ticking(&no_token, &[ada]);
    forged.push(("form_id".to_owned(), "x' OR 1=1 --".to_owned()));
    post(&admin, &forged)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Without the CSRF token: refused before anything.
    let raw: Vec<(&str, &str)> = vec![("id", "1"), ("form_id", "0123456789abcdef0123456789abcdef")];
    assert_eq!(admin.post_raw(PAGE, &raw).await.status, StatusCode::FORBIDDEN);

    assert_eq!(with_password(&app).await, 0, "nothing written");
    assert_eq!(sheet_audits(&app).await, audits);
    // The same form, corrected, still works (a refused form used up nothing).
    let sheet = post(&admin, &ticking(&fields, &[ada])).await;
    sheet.assert_status(StatusCode::OK);
    assert_eq!(slips(&sheet).len(), 1);
}

async fn portal_sheet_replaces_passwords_only_when_confirmed(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let ada = patient_id(&app, "SCI/20/0001").await;
    let chidi = patient_id(&app, "SCI/20/0003").await;
    let old = set_up_one(&app, ada).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    // Left out by default.
    let page = reception.get(PAGE).await;
    assert!(!listed(&page).contains(&"SCI/20/0001".to_owned()));
    // Posting them anyway (a form from before, a crafted post) without confirming: refused, nothing written.
    let refused = post(&reception, &ticking(&form_fields(&page), &[ada, chidi])).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#sheet-message")
            .starts_with("This replaces the passwords of 1 student who has one. To go on, tick the box")
    );
    assert_eq!(with_password(&app).await, 1);
    assert_one_time_login(&app, "SCI/20/0001", &old).await;

    // Unticked filter, confirmed: replaced, and the old password stops working.
    let page = reception.get(&format!("{PAGE}?filtered=1")).await;
    assert!(listed(&page).contains(&"SCI/20/0001".to_owned()));
    let mut fields = ticking(&form_fields(&page), &[ada, chidi]);
    fields.push(("replace".to_owned(), "1".to_owned()));
    let sheet = post(&reception, &fields).await;
    sheet.assert_status(StatusCode::OK);
    let slips = slips(&sheet);
    assert_eq!(slips.len(), 2);
    let student = app.client();
    assert_eq!(
        student.login("SCI/20/0001", &old).await.status,
        StatusCode::UNAUTHORIZED
    );
    for (matric, _, password) in &slips {
        assert_one_time_login(&app, matric, password).await;
    }
}

async fn portal_sheet_refuses_a_replayed_form(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    let ada = patient_id(&app, "SCI/20/0001").await;
    let bola = patient_id(&app, "SCI/20/0002").await;
    let page = reception.get(&format!("{PAGE}?filtered=1")).await;
    let fields = ticking(&form_fields(&page), &[ada, bola]);
    let first = post(&reception, &fields).await;
    first.assert_status(StatusCode::OK);
    // The same form again (reload, back and resubmit), even confirmed to replace: refused, and it says why.
    let mut replay = fields.clone();
    replay.push(("replace".to_owned(), "1".to_owned()));
    for form in [&fields, &replay] {
        let again = post(&reception, form).await;
        again.assert_status(StatusCode::CONFLICT);
        assert!(
            again
                .text("#sheet-message")
                .starts_with("These passwords were already issued: the same form was sent twice."),
            "{}",
            again.body
        );
    }
    assert_eq!(sheet_audits(&app).await, 2);
    // The first sheet's passwords are the ones that work.
    for (matric, _, password) in slips(&first) {
        assert_one_time_login(&app, &matric, &password).await;
    }

    // Two presses at once (a double click without JavaScript), confirmed to replace, so that only the form's
    // one-time token can stop the second: one sheet, one refusal saying why.
    let page = reception.get(&format!("{PAGE}?filtered=1")).await;
    let chidi = patient_id(&app, "SCI/20/0003").await;
    let mut fields = ticking(&form_fields(&page), &[chidi, ada]);
    fields.push(("replace".to_owned(), "1".to_owned()));
    let (a, b) = tokio::join!(post(&reception, &fields), post(&reception, &fields));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let refusal = if a.status == StatusCode::CONFLICT { &a } else { &b };
    assert!(
        refusal
            .text("#sheet-message")
            .starts_with("These passwords were already issued")
    );
    let sheet = if a.status == StatusCode::OK { a } else { b };
    for (matric, _, password) in slips(&sheet) {
        assert_one_time_login(&app, &matric, &password).await;
    }
    assert_eq!(sheet_audits(&app).await, 4);
}

/// A student given a password elsewhere between the page's checks and its transaction (here by a transaction
/// the test holds open while the request runs): the conditional update notices, and the whole sheet is refused.
async fn portal_sheet_refuses_a_student_changed_meanwhile(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    let ada = patient_id(&app, "SCI/20/0001").await;
    let chidi = patient_id(&app, "SCI/20/0003").await;
    let fields = ticking(&form_fields(&reception.get(PAGE).await), &[ada, chidi]);
    let audits = sheet_audits(&app).await;
    let mut tx = app.db().begin_write().await.unwrap();
    sqlx::query("UPDATE patient SET password_hash = 'set elsewhere' WHERE id = $1")
        .bind(ada)
        .execute(&mut *tx)
        .await
        .unwrap();
    let (answer, ()) = tokio::join!(post(&reception, &fields), async {
        // Long enough for the request to check the students and hash their passwords; it then waits for this
        // transaction (SQLite's write lock, PostgreSQL's row lock).
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        tx.commit().await.unwrap();
    });
    answer.assert_status(StatusCode::CONFLICT);
    assert!(
        answer
            .text("#sheet-message")
            .starts_with("Nothing was issued: one of the chosen students was changed meanwhile"),
        "{}",
        answer.body
    );
    assert_eq!(with_password(&app).await, 1, "only the one set elsewhere");
    assert_eq!(sheet_audits(&app).await, audits);
}

async fn portal_sheet_is_for_the_front_desk_only(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let ada = patient_id(&app, "SCI/20/0001").await;
    let admin = app.admin().await;
    let form = form_fields(&admin.get(PAGE).await);
    let fields = ticking(&form, &[ada]);
    for role in [Role::Doctor, Role::Pharmacist, Role::Lab] {
        let client = app.login_as(&format!("someone.{}", role.as_str()), role).await;
        client.get(PAGE).await.assert_status(StatusCode::FORBIDDEN);
        post(&client, &fields).await.assert_status(StatusCode::FORBIDDEN);
        assert!(!client.get("/patients").await.has("#portal-sheet-link"), "{role:?}");
    }
    // A patient (who logs in with a one-time password) gets 403 too.
    let bola = patient_id(&app, "SCI/20/0002").await;
    let password = set_up_one(&app, bola).await;
    let student = app.client();
    student.login("SCI/20/0002", &password).await;
    let mine = "bola's own passphrase";
    student
        .post(
            "/account/password",
            &[
                ("current_password", password.as_str()),
                ("new_password", mine),
                ("confirm_password", mine),
            ],
        )
        .await
        .assert_redirect("/me");
    student.get(PAGE).await.assert_status(StatusCode::FORBIDDEN);
    post(&student, &fields).await.assert_status(StatusCode::FORBIDDEN);
    // Strangers go to the login page.
    let stranger = app.client();
    assert!(
        stranger
            .get(PAGE)
            .await
            .location()
            .unwrap_or_default()
            .starts_with("/login")
    );
    let token_less: Vec<(&str, &str)> = vec![("id", "1")];
    let page = stranger.post_raw(PAGE, &token_less).await;
    assert!(
        page.status == StatusCode::FORBIDDEN || page.location().unwrap_or_default().starts_with("/login"),
        "{}",
        page.status
    );
    assert_eq!(with_password(&app).await, 1, "only the one set up above");
    // Admin and reception may.
    admin.get(PAGE).await.assert_status(StatusCode::OK);
}

async fn portal_sheet_refuses_control_characters(app: TestApp) {
    import_students(&app, STUDENTS).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    for query in ["faculty=1%00", "department=%07", "level=1%0A", "without_access=%1B"] {
        reception
            .get(&format!("{PAGE}?{query}"))
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    let ada = patient_id(&app, "SCI/20/0001").await;
    let form = form_fields(&reception.get(PAGE).await);
    let mut nul_id = ticking(&form, &[ada]);
    nul_id.push(("id".to_owned(), format!("{ada}\u{0}")));
    post(&reception, &nul_id).await.assert_status(StatusCode::BAD_REQUEST);
    let mut bell_token: Vec<(String, String)> = ticking(&form, &[ada])
        .into_iter()
        .filter(|(k, _)| k != "form_id")
        .collect();
    bell_token.push(("form_id".to_owned(), "0123456789abcdef0123456789abcde\u{7}".to_owned()));
    post(&reception, &bell_token)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(with_password(&app).await, 0);
}

async fn portal_sheet_caps_one_batch(app: TestApp) {
    let mut csv = String::from("matric_number,first_name,surname,faculty\n");
    for n in 0..205 {
        csv.push_str(&format!("BIO/24/{n:04},Student,Number{n:04},Biology\n"));
    }
    import_students(&app, &csv).await;
    let admin = app.admin().await;
    let page = admin.get(PAGE).await;
    assert_eq!(page.text("#matching-count"), "205");
    assert_eq!(listed(&page).len(), 200);
    assert!(
        page.text("#cap-note")
            .starts_with("One sheet is for at most 200 students")
    );
    assert_eq!(page.text("#issue-button"), "Issue one-time passwords for 200 students");
    // 201 ids in one post: refused before any hashing.
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM patient ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let refused = post(&admin, &ticking(&form_fields(&page), &all[..201])).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#sheet-message"),
        "One sheet is for at most 200 students; tick fewer."
    );
    assert_eq!(with_password(&app).await, 0);
    // A full sheet, as the page offers it: 200 slips in one go, and the 5 left are listed next.
    let started = std::time::Instant::now();
    let sheet = post(&admin, &form_fields(&page)).await;
    sheet.assert_status(StatusCode::OK);
    eprintln!("a sheet of 200 took {:?}", started.elapsed());
    assert_eq!(slips(&sheet).len(), 200);
    assert_eq!(with_password(&app).await, 200);
    assert_eq!(sheet_audits(&app).await, 200);
    let next = admin.get(PAGE).await;
    assert_eq!(next.text("#matching-count"), "5");
    assert!(!next.has("#cap-note"));
}
