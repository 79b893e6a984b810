//! Patients: registration by staff, duplicates, search, profile and its audit trail, permissions, the
//! portal and clinic card, self-registration, photos.

use reqwest::StatusCode;
use sickbay_core::academic::service::within as academic_records;
use sickbay_core::identity::Role;

use crate::support::{Client, Page, TestApp, on_both_databases};

on_both_databases!(
    a_common_name_lists_its_first_twenty_by_name_and_follows_a_rename,
    reception_registers_a_student_with_a_clinic_number,
    registration_reports_bad_fields_and_taken_matric_numbers,
    possible_duplicates_are_shown_before_creating,
    search_finds_patients_by_each_key,
    staff_roles_and_patients_get_what_they_may,
    every_look_at_a_record_is_audited,
    edits_keep_input_and_refuse_stale_forms,
    portal_access_set_up_by_the_admin,
    patients_see_only_their_own_records,
    self_registration_follows_the_settings,
    self_registration_is_throttled_per_address,
    search_ignores_accents,
    search_tokens_are_made_again_when_the_rules_change,
    a_rebuild_of_the_tokens_racing_registrations_loses_none,
    photos_upload_as_jpeg_or_png_only,
);

struct Academic {
    faculty: i64,
    department: i64,
    level: i64,
    session: i64,
}

async fn academic(app: &TestApp) -> Academic {
    let mut tx = app.db().begin_write().await.unwrap();
    let faculty = academic_records::add_faculty(&mut tx, "Science", "SCI").await.unwrap();
    let department = academic_records::add_department(&mut tx, faculty, "Physics", "PHY")
        .await
        .unwrap();
    let level = academic_records::add_level(&mut tx, "200L", 200).await.unwrap();
    tx.commit().await.unwrap();
    sqlx::query(
        "INSERT INTO academic_session (name, starts_on, ends_on, is_current, active, created_at, updated_at)
         VALUES ('2025/2026', '2025-09-01', '2026-08-31', 1, 1, 0, 0)",
    )
    .execute(app.db().pool())
    .await
    .unwrap();
    let session = app.count("SELECT id FROM academic_session").await;
    Academic {
        faculty,
        department,
        level,
        session,
    }
}

fn student_fields(matric: &str, first: &str, surname: &str) -> Vec<(String, String)> {
    [
        ("kind", "student"),
        ("matric_number", matric),
        ("first_name", first),
        ("surname", surname),
        ("other_names", ""),
        ("sex", "female"),
        ("date_of_birth", "2004-05-06"),
        ("phone", "0803 123 4567"),
        ("email", "ada@students.example.edu"),
        ("address", "Hall 3, Room 12"),
        ("emergency_name", "Mrs Obi"),
        ("emergency_phone", "08099998888"),
        ("emergency_relationship", "Mother"),
        ("blood_group", "O+"),
        ("genotype", "AS"),
        ("allergies", "Penicillin"),
        ("chronic_conditions", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn post_fields(client: &Client, path: &str, fields: &[(String, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.post(path, &borrowed).await
}

/// Registers through the form and returns the new patient's id.
async fn register(client: &Client, fields: &[(String, String)]) -> i64 {
    let page = post_fields(client, "/patients/new", fields).await;
    page.assert_status(StatusCode::SEE_OTHER);
    page.location()
        .unwrap()
        .trim_start_matches("/patients/")
        .parse()
        .expect("id")
}

fn with(mut fields: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    match fields.iter_mut().find(|(k, _)| k == key) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((key.to_owned(), value.to_owned())),
    }
    fields
}

/// The fields with the faculty, department, level and session of `a`.
fn with_studies(mut fields: Vec<(String, String)>, a: &Academic) -> Vec<(String, String)> {
    for (key, id) in [
        ("faculty_id", a.faculty),
        ("department_id", a.department),
        ("level_id", a.level),
        ("session_id", a.session),
    ] {
        fields = with(fields, key, &id.to_string());
    }
    fields
}

async fn reception_registers_a_student_with_a_clinic_number(app: TestApp) {
    let a = academic(&app).await;
    let reception = app.login_as("front.desk", Role::Reception).await;
    reception.get("/patients/new").await.assert_status(StatusCode::OK);
    let id = register(
        &reception,
        &with_studies(student_fields("phy/20/0001", "Ada", "Obi"), &a),
    )
    .await;
    let profile = reception.get(&format!("/patients/{id}")).await;
    profile.assert_status(StatusCode::OK);
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(profile.text("#clinic-number"), format!("SB-{year}-00001"));
    assert_eq!(profile.text("h1"), "Ada Obi");
    assert!(profile.text(".flash-success").contains(&format!("SB-{year}-00001")));
    let details = profile.texts(".details dd");
    assert!(details.contains(&"PHY/20/0001".to_owned()), "{details:?}");
    assert!(details.contains(&"08031234567".to_owned()), "{details:?}");
    for study in ["Science", "Physics", "200L", "2025/2026"] {
        assert!(details.contains(&study.to_owned()), "{study} in {details:?}");
    }
    assert_eq!(profile.text("#allergies"), "Penicillin");
    // Under the name, who this is at a glance, allergies included.
    let facts = profile.text("#profile-facts");
    for fact in [
        &format!("SB-{year}-00001"),
        "PHY/20/0001",
        "08031234567",
        "Allergies: Penicillin",
    ] {
        assert!(facts.contains(fact), "{fact} in {facts}");
    }
    // In the list, the facts sit under the columns' names, the date of birth short and with the age.
    let found = reception.get("/patients?q=ada%20obi").await;
    assert_eq!(
        found.texts(".result-columns span"),
        ["Name", "Clinic number", "Matric number", "Date of birth", "Phone"]
    );
    let age = sickbay_core::patients::model::age(
        Some(sickbay_core::db::Date(
            chrono::NaiveDate::from_ymd_opt(2004, 5, 6).expect("a date"),
        )),
        app.state.settings.get().today(),
    )
    .expect("an age");
    assert_eq!(
        found.texts(".patient-facts > span"),
        [
            format!("SB-{year}-00001"),
            "matric PHY/20/0001".to_owned(),
            format!("born 6 May 2004, {age} y"),
            "08031234567".to_owned(),
        ]
    );

    // The next one gets the next number.
    let second = register(
        &reception,
        &with(student_fields("PHY/20/0002", "Bola", "Ade"), "phone", ""),
    )
    .await;
    let page = reception.get(&format!("/patients/{second}")).await;
    assert_eq!(page.text("#clinic-number"), format!("SB-{year}-00002"));

    // A visitor has no matric number and no studies.
    let visitor = with(
        with(student_fields("", "Kemi", "Lawal"), "kind", "visitor"),
        "phone",
        "",
    );
    let id = register(&reception, &visitor).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM patient WHERE id = {id} AND matric_number IS NULL"
        ))
        .await,
        1
    );
    let headings = reception.get(&format!("/patients/{id}")).await.texts("h2");
    assert!(!headings.contains(&"Studies".to_owned()), "{headings:?}");
    assert!(profile.texts("h2").contains(&"Studies".to_owned()));
}

async fn registration_reports_bad_fields_and_taken_matric_numbers(app: TestApp) {
    let admin = app.admin().await;
    let bad = vec![
        ("kind".to_owned(), "student".to_owned()),
        ("matric_number".to_owned(), "not a matric".to_owned()),
        ("sex".to_owned(), "x".to_owned()),
        ("date_of_birth".to_owned(), "2999-01-01".to_owned()),
        ("phone".to_owned(), "12".to_owned()),
        ("email".to_owned(), "nope".to_owned()),
        ("blood_group".to_owned(), "Z+".to_owned()),
        ("faculty_id".to_owned(), "999".to_owned()),
    ];
    let page = post_fields(&admin, "/patients/new", &bad).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "matric_number",
        "first_name",
        "surname",
        "sex",
        "date_of_birth",
        "phone",
        "email",
        "blood_group",
        "faculty_id",
    ] {
        assert!(
            page.has(&format!("#{field}-error")),
            "{field} has no message:\n{}",
            page.body
        );
    }
    assert_eq!(page.attr("#matric_number", "value").as_deref(), Some("not a matric"));
    // Nothing at all: messages, not a crash.
    admin
        .post("/patients/new", &[])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Huge values are refused by the rules.
    let long = "x".repeat(5000);
    let page = post_fields(
        &admin,
        "/patients/new",
        &with(student_fields("PHY/20/0009", "A", "B"), "allergies", &long),
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#allergies-error"),
        "Keep the allergies to 1000 characters or fewer."
    );

    register(&admin, &student_fields("PHY/20/0001", "Ada", "Obi")).await;
    let taken = post_fields(
        &admin,
        "/patients/new",
        &with(student_fields("phy/20/0001", "Other", "Person"), "phone", ""),
    )
    .await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        taken.text("#matric_number-error"),
        "The matric number PHY/20/0001 is already on record."
    );
    let other = register(&admin, &with(student_fields("PHY/20/0002", "Bola", "Ade"), "phone", "")).await;
    // Editing another student to take a used matric number is refused too.
    let form = admin.get(&format!("/patients/{other}/edit")).await;
    let version = form.attr("input[name=version]", "value").unwrap();
    let edit = with(
        with(
            with(student_fields("PHY/20/0001", "Bola", "Ade"), "phone", ""),
            "version",
            &version,
        ),
        "kind",
        "student",
    );
    let page = post_fields(&admin, &format!("/patients/{other}/edit"), &edit).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#matric_number-error").contains("already on record"));
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
}

async fn possible_duplicates_are_shown_before_creating(app: TestApp) {
    let reception = app.login_as("desk", Role::Reception).await;
    let visitor = |first: &str, phone: &str| {
        with(
            with(
                with(student_fields("", first, "Okeke"), "kind", "visitor"),
                "phone",
                phone,
            ),
            "email",
            "",
        )
    };
    register(&reception, &visitor("Uche", "08011112222")).await;
    // Same name and date of birth: a warning listing the existing record, nothing created.
    let warned = post_fields(&reception, "/patients/new", &visitor("UCHE", "")).await;
    warned.assert_status(StatusCode::CONFLICT);
    assert!(warned.text("#duplicates").contains("Uche"));
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 1);
    // Same phone, different name: also a warning.
    let warned = post_fields(&reception, "/patients/new", &visitor("Nneka", "0801 111 2222")).await;
    warned.assert_status(StatusCode::CONFLICT);
    // Confirmed as a different person: created.
    register(
        &reception,
        &with(visitor("Nneka", "0801 111 2222"), "not_a_duplicate", "1"),
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
}

async fn search_finds_patients_by_each_key(app: TestApp) {
    let admin = app.admin().await;
    let ada = register(
        &admin,
        &with(student_fields("CSC/19/1234", "Ada", "Obi"), "other_names", "Chioma"),
    )
    .await;
    register(
        &admin,
        &with(
            with(
                student_fields("CSC/19/9999", "Adamu", "Bello"),
                "phone",
                "+234 805 000 1111",
            ),
            "date_of_birth",
            "2001-01-01",
        ),
    )
    .await;
    let clinic_number = admin.get(&format!("/patients/{ada}")).await.text("#clinic-number");
    let names = |page: &Page| page.texts(".result-list li strong");
    let cases = [
        ("obi ada", vec!["Obi, Ada Chioma"]),
        ("CHIO ob", vec!["Obi, Ada Chioma"]),
        ("ada", vec!["Bello, Adamu", "Obi, Ada Chioma"]),
        ("csc/19/1234", vec!["Obi, Ada Chioma"]),
        (clinic_number.as_str(), vec!["Obi, Ada Chioma"]),
        ("08031234567", vec!["Obi, Ada Chioma"]),
        ("08050001111", vec!["Bello, Adamu"]),
        ("nobody", vec![]),
    ];
    for (query, expected) in cases {
        let q: String = form_urlencoded_encode(query);
        let page = admin.get(&format!("/patients?q={q}")).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(names(&page), expected, "search {query:?}");
        // The htmx request gets just the results.
        let fragment = admin
            .get_with(&format!("/patients?q={q}"), &[("hx-request", "true")])
            .await;
        assert!(!fragment.body.contains("<html"));
        assert_eq!(names(&fragment), expected, "fragment {query:?}");
    }
    // Wildcards are literal and long input is cut, not an error.
    assert!(names(&admin.get("/patients?q=%25").await).is_empty());
    admin
        .get(&format!("/patients?q={}", "a".repeat(5000)))
        .await
        .assert_status(StatusCode::OK);
}

fn form_urlencoded_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn staff_roles_and_patients_get_what_they_may(app: TestApp) {
    let admin = app.admin().await;
    let a = academic(&app).await;
    let id = register(&admin, &with_studies(student_fields("PHY/20/0001", "Ada", "Obi"), &a)).await;
    let profile = format!("/patients/{id}");
    for role in [Role::Doctor, Role::Lab, Role::Pharmacist] {
        let client = app.login_as(&format!("clinical.{}", role.as_str()), role).await;
        client.get("/patients?q=ada").await.assert_status(StatusCode::OK);
        client.get(&profile).await.assert_status(StatusCode::OK);
        client
            .get(&format!("{profile}/card"))
            .await
            .assert_status(StatusCode::OK);
        for path in ["/patients/new".to_owned(), format!("{profile}/edit")] {
            client.get(&path).await.assert_status(StatusCode::FORBIDDEN);
        }
        let posts = [
            "/patients/new".to_owned(),
            format!("{profile}/edit"),
            format!("{profile}/approve"),
            format!("{profile}/reset-password"),
        ];
        for path in posts {
            client
                .post(&path, &[("first_name", "Mallory")])
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE password_hash IS NOT NULL")
            .await,
        0
    );
    // Reception edits and sets up portal access (self-registering students are sent to reception for it).
    let reception = app.login_as("desk", Role::Reception).await;
    reception
        .get(&format!("{profile}/edit"))
        .await
        .assert_status(StatusCode::OK);
    assert!(reception.get(&profile).await.has("form[action$='/reset-password']"));
    reception
        .post(&format!("{profile}/reset-password"), &[])
        .await
        .assert_redirect(&profile);
    assert_eq!(
        reception.get(&profile).await.text("#revealed-password").len(),
        sickbay_core::auth::password::generate().len()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE password_hash IS NOT NULL")
            .await,
        1
    );
    // Strangers go to the login page.
    let stranger = app.client();
    for path in ["/patients", "/patients/new", profile.as_str(), "/me", "/me/card"] {
        assert!(
            stranger
                .get(path)
                .await
                .location()
                .unwrap_or_default()
                .starts_with("/login"),
            "{path}"
        );
    }
    // Unknown and malformed ids are 404s.
    admin.get("/patients/999999").await.assert_status(StatusCode::NOT_FOUND);
    admin.get("/patients/abc").await.assert_status(StatusCode::NOT_FOUND);
    // Staff have no portal.
    admin.get("/me").await.assert_status(StatusCode::FORBIDDEN);
}

async fn every_look_at_a_record_is_audited(app: TestApp) {
    let admin = app.admin().await;
    let a = academic(&app).await;
    let id = register(&admin, &with_studies(student_fields("PHY/20/0001", "Ada", "Obi"), &a)).await;
    let doctor = app.login_as("dr.who", Role::Doctor).await;
    doctor.get(&format!("/patients/{id}")).await;
    doctor.get(&format!("/patients/{id}")).await;
    doctor.get(&format!("/patients/{id}/card")).await;
    admin.get(&format!("/patients/{id}/edit")).await;
    let rows: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT action, actor_label, patient_id FROM audit_event WHERE patient_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let doctor_views: Vec<&str> = rows.iter().filter(|r| r.1 == "dr.who").map(|r| r.0.as_str()).collect();
    assert_eq!(doctor_views, ["patient.view", "patient.view", "patient.view_card"]);
    assert!(
        rows.iter().any(|r| r.0 == "patient.view_edit" && r.1 == "admin"),
        "the edit form is a view too"
    );
    assert!(rows.iter().all(|r| r.2 == Some(id)));
    assert_eq!(rows[0].0, "patient.create");
}

async fn edits_keep_input_and_refuse_stale_forms(app: TestApp) {
    let admin = app.admin().await;
    let a = academic(&app).await;
    let id = register(&admin, &with_studies(student_fields("PHY/20/0001", "Ada", "Obi"), &a)).await;
    let path = format!("/patients/{id}/edit");
    let version = admin.get(&path).await.attr("input[name=version]", "value").unwrap();
    let fields = with(
        with(student_fields("PHY/20/0001", "Ada", "Obi-Eze"), "version", &version),
        "genotype",
        "AA",
    );
    post_fields(&admin, &path, &fields)
        .await
        .assert_redirect(&format!("/patients/{id}"));
    let profile = admin.get(&format!("/patients/{id}")).await;
    assert_eq!(profile.text("h1"), "Ada Obi-Eze");
    // The same form again is stale.
    let stale = post_fields(&admin, &path, &with(fields.clone(), "surname", "Other")).await;
    stale.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE surname = 'Other'").await,
        0
    );
    // The new name is searchable at once.
    assert_eq!(
        admin.get("/patients?q=obi-eze").await.texts(".result-list li strong"),
        ["Obi-Eze, Ada"]
    );
    // A bad version is a clear 400.
    post_fields(&admin, &path, &with(fields, "version", "soon"))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

/// Sets up portal access as the admin and returns the one-time password.
async fn portal_password(app: &TestApp, id: i64) -> String {
    let admin = app.admin().await;
    admin
        .post(&format!("/patients/{id}/reset-password"), &[])
        .await
        .assert_redirect(&format!("/patients/{id}"));
    let page = admin.get(&format!("/patients/{id}")).await;
    let password = page.text("#revealed-password");
    assert!(
        !admin.get(&format!("/patients/{id}")).await.has("#revealed-password"),
        "shown once"
    );
    password
}

async fn portal_access_set_up_by_the_admin(app: TestApp) {
    let admin = app.admin().await;
    let a = academic(&app).await;
    let id = register(&admin, &with_studies(student_fields("PHY/20/0001", "Ada", "Obi"), &a)).await;
    let one_time = portal_password(&app, id).await;

    let student = app.client();
    // The matric number in any case.
    student
        .login("phy/20/0001", &one_time)
        .await
        .assert_redirect("/account/password");
    let mine = "ada's own passphrase";
    student
        .post(
            "/account/password",
            &[
                ("current_password", &one_time),
                ("new_password", mine),
                ("confirm_password", mine),
            ],
        )
        .await
        .assert_redirect("/me");
    let home = student.get("/me").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(home.text("h1"), "Hello, Ada");
    assert!(!home.has("#approval-status"));

    let card = student.get("/me/card").await;
    card.assert_status(StatusCode::OK);
    let number = card.text("#card-clinic-number");
    assert!(number.starts_with("SB-"));
    assert_eq!(card.text("#card-matric"), "PHY/20/0001");
    assert_eq!(card.texts("h1"), ["Clinic card"]);
    assert!(
        card.has("button[data-print][hidden]"),
        "a Print button, shown by the script"
    );
    let print_script = student.get("/static/print.js").await;
    print_script.assert_status(StatusCode::OK);
    assert!(print_script.body.contains("window.print()"));
    let profile = student.get("/me/profile").await;
    assert!(!profile.text("main").contains("2004-05-06") && profile.text("main").contains("6 May 2004"));
    let studies = ["Science", "Physics", "200L", "2025/2026"].map(str::to_owned);
    assert!(profile.texts("dd").ends_with(&studies), "{:?}", profile.texts("dd"));
    let qr = student.get("/me/card/qr.svg").await;
    qr.assert_status(StatusCode::OK);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(qr.body.contains("<svg"));

    // Contact details change; anything else sent along is ignored.
    let page = student
        .post(
            "/me/profile",
            &[
                ("phone", "0809 000 0000"),
                ("email", "ada@new.example"),
                ("emergency_name", "Dad"),
                ("blood_group", "AB-"),
                ("matric_number", "X/1/2"),
            ],
        )
        .await;
    page.assert_redirect("/me/profile");
    let profile = student.get("/me/profile").await;
    assert_eq!(profile.attr("#phone", "value").as_deref(), Some("08090000000"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE blood_group = 'O+' AND matric_number = 'PHY/20/0001'")
            .await,
        1
    );
    let bad = student
        .post("/me/profile", &[("phone", "call me"), ("email", "x")])
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("#phone-error") && bad.has("#email-error"));
    assert!(bad.texts("dd").ends_with(&studies), "{:?}", bad.texts("dd"));

    // The clinic number works as a login too.
    student.post("/logout", &[]).await;
    student.login(&number.to_lowercase(), mine).await.assert_redirect("/me");
    // A reset ends the session.
    portal_password(&app, id).await;
    student.get("/me").await.assert_redirect("/login?ended=1");
}

async fn patients_see_only_their_own_records(app: TestApp) {
    let admin = app.admin().await;
    let ada = register(&admin, &student_fields("PHY/20/0001", "Ada", "Obi")).await;
    let bola = register(&admin, &with(student_fields("PHY/20/0002", "Bola", "Ade"), "phone", "")).await;
    let password = portal_password(&app, ada).await;
    let student = app.client();
    student.login_ok("PHY/20/0001", &password).await;
    let mine = "ada's own passphrase";
    student
        .post(
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", mine),
                ("confirm_password", mine),
            ],
        )
        .await;
    for path in [
        format!("/patients/{bola}"),
        format!("/patients/{bola}/card"),
        format!("/patients/{bola}/qr.svg"),
        format!("/patients/{bola}/photo"),
        format!("/patients/{ada}"),
        "/patients?q=bola".to_owned(),
        "/admin".to_owned(),
    ] {
        student.get(&path).await.assert_status(StatusCode::FORBIDDEN);
    }
    student
        .post(&format!("/patients/{bola}/edit"), &[("first_name", "X")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Their own card never shows anyone else.
    let card = student.get("/me/card").await;
    assert!(!card.body.contains("Bola"));
}

async fn self_registration_follows_the_settings(app: TestApp) {
    let student = app.client();
    student.get("/register").await.assert_status(StatusCode::NOT_FOUND);
    assert!(!student.get("/login").await.has("a[href='/register']"));
    app.set_setting("self_registration", "1").await;
    assert!(student.get("/login").await.has("a[href='/register']"));
    let form = student.get("/register").await;
    form.assert_status(StatusCode::OK);
    assert!(form.has(".flash-info"), "approval notice");
    // The password rules are shown before any mistake, in the same words as on the change-password page.
    assert!(
        form.text("#password-help")
            .starts_with("At least 10 characters, not containing your username")
    );

    let fields = |matric: &str| {
        vec![
            ("matric_number", matric.to_owned()),
            ("first_name", "Chidi".to_owned()),
            ("surname", "Eze".to_owned()),
            ("email", "chidi@students.example.edu".to_owned()),
            ("password", "chidi's passphrase".to_owned()),
            ("confirm_password", "chidi's passphrase".to_owned()),
        ]
    };
    let post = |client: &Client, fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        async move {
            let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post("/register", &borrowed).await
        }
    };
    let bad = post(
        &student,
        vec![("matric_number", "??".into()), ("password", "short".into())],
    )
    .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["matric_number", "first_name", "surname", "email", "confirm_password"] {
        assert!(bad.has(&format!("#{field}-error")), "{field}");
    }
    post(&student, fields("ENG/21/0042")).await.assert_redirect("/me");
    let home = student.get("/me").await;
    assert!(home.has("#approval-status"), "waiting for approval");
    let id = app
        .count("SELECT id FROM patient WHERE matric_number = 'ENG/21/0042'")
        .await;

    // Staff approve, from the list on reception's home page.
    let reception = app.login_as("desk", Role::Reception).await;
    let home = reception.get("/reception").await;
    assert_eq!(home.texts("#pending li strong"), ["Eze, Chidi"]);
    let profile = reception.get(&format!("/patients/{id}")).await;
    assert_eq!(
        profile.text("#portal-status"),
        "Registered online; waiting for approval"
    );
    reception
        .post(&format!("/patients/{id}/approve"), &[])
        .await
        .assert_redirect(&format!("/patients/{id}"));
    assert!(!student.get("/me").await.has("#approval-status"));

    // A matric number already on record can't be claimed by someone who merely knows it.
    let other = app.client();
    let taken = post(&other, fields("eng/21/0042")).await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .text("#matric_number-error")
            .contains("Ask the clinic's reception")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 1);

    // A stricter matric pattern takes effect at once; without approval, new accounts are ready.
    app.set_setting("matric_pattern", r"^\d{9}$").await;
    app.set_setting("approval_required", "0").await;
    post(&other, fields("ENG/21/0043"))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    post(&other, fields("190401001")).await.assert_redirect("/me");
    assert!(!other.get("/me").await.has("#approval-status"));
    app.set_setting("self_registration", "0").await;
    app.client().get("/register").await.assert_status(StatusCode::NOT_FOUND);
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82";

async fn photos_upload_as_jpeg_or_png_only(app: TestApp) {
    let reception = app.login_as("desk", Role::Reception).await;
    let id = register(&reception, &student_fields("PHY/20/0001", "Ada", "Obi")).await;
    let path = format!("/patients/{id}/photo");
    reception.get(&path).await.assert_status(StatusCode::NOT_FOUND);
    reception
        .post_file(&path, "photo", "me.png", PNG.to_vec(), false)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    reception
        .post_file(&path, "photo", "me.png", b"GIF89a....".to_vec(), true)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    reception
        .post_file(&path, "photo", "big.png", [PNG, &vec![0u8; 1024 * 1024]].concat(), true)
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    reception
        .post_file(&path, "photo", "me.png", PNG.to_vec(), true)
        .await
        .assert_redirect(&format!("/patients/{id}"));
    let photo = reception.get(&path).await;
    photo.assert_status(StatusCode::OK);
    assert_eq!(photo.header("content-type"), Some("image/png"));
    assert!(
        reception
            .get(&format!("/patients/{id}/card"))
            .await
            .has(".clinic-card-photo")
    );
    let doctor = app.login_as("doc", Role::Doctor).await;
    doctor
        .post_file(&path, "photo", "me.png", PNG.to_vec(), true)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    reception
        .post_file("/patients/999999/photo", "photo", "me.png", PNG.to_vec(), true)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // Looking at the photo or the QR code is a look at the record: audited, with who, for whom.
    doctor.get(&path).await.assert_status(StatusCode::OK);
    doctor
        .get(&format!("/patients/{id}/qr.svg"))
        .await
        .assert_status(StatusCode::OK);
    let doctor_id = app.count("SELECT id FROM staff WHERE username = 'doc'").await;
    let seen: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE actor_kind = 'staff' AND actor_id = $1 AND patient_id = $2 ORDER BY id",
    )
    .bind(doctor_id)
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(seen, ["patient.view_photo", "patient.view_qr"]);
    // The admin reads it in words, with the patient named and linked.
    let log = app.admin().await.get("/admin/audit?access=1").await;
    let actions = log.texts("tbody tr td:nth-child(3)");
    assert!(
        actions.contains(&"Looked at a patient's QR code".to_owned()),
        "{actions:?}"
    );
    assert!(actions.iter().all(|a| !a.contains('.')), "no raw codes: {actions:?}");
    let patient = log.text(&format!("tbody tr td:nth-child(4) a[href='/patients/{id}']"));
    assert!(
        patient.starts_with("Obi Ada (SB-") || patient.contains("(SB-"),
        "{patient}"
    );
}

/// Each self-registration creates a record and costs a password hash: ten from one address in the window, then
/// a 429 that says how long to wait, and nothing more is created.
async fn self_registration_is_throttled_per_address(app: TestApp) {
    app.set_setting("self_registration", "1").await;
    for i in 0..12 {
        let client = app.client();
        client.get("/register").await;
        let matric = format!("ENG/21/{i:04}");
        let page = client
            .post(
                "/register",
                &[
                    ("matric_number", matric.as_str()),
                    ("first_name", "Chidi"),
                    ("surname", "Eze"),
                    ("email", "chidi@students.example.edu"),
                    ("password", "chidi's passphrase"),
                    ("confirm_password", "chidi's passphrase"),
                ],
            )
            .await;
        if i < 10 {
            page.assert_redirect("/me");
        } else {
            page.assert_status(StatusCode::TOO_MANY_REQUESTS);
            assert!(
                page.text("main").contains("Too many registrations"),
                "{}",
                page.text("main")
            );
            assert!(page.header("retry-after").is_some());
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 10);
    // Logging in from that address is not affected.
    app.admin().await.get("/admin").await.assert_status(StatusCode::OK);
}

/// "adewale" and "osun" find "Adéwálé Ọ̀ṣun"; so does the name typed with its accents.
async fn search_ignores_accents(app: TestApp) {
    let admin = app.admin().await;
    register(&admin, &student_fields("CSC/19/1234", "Adéwálé", "Ọ̀ṣun")).await;
    register(
        &admin,
        &with(
            student_fields("CSC/19/5678", "Adebayo", "Olusegun"),
            "phone",
            "08055550000",
        ),
    )
    .await;
    for (query, expected) in [
        ("adewale", vec!["Ọ̀ṣun, Adéwálé"]),
        ("osun", vec!["Ọ̀ṣun, Adéwálé"]),
        ("OSUN adew", vec!["Ọ̀ṣun, Adéwálé"]),
        ("Adéwálé Ọ̀ṣun", vec!["Ọ̀ṣun, Adéwálé"]),
        ("ade", vec!["Olusegun, Adebayo", "Ọ̀ṣun, Adéwálé"]),
    ] {
        let page = admin.get(&format!("/patients?q={}", urlencode(query))).await;
        let mut found = page.texts(".result-list li strong");
        found.sort();
        assert_eq!(found, expected, "{query}");
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Tokens made under the old rules (accented letters split words apart) are made again once, at the next start.
async fn search_tokens_are_made_again_when_the_rules_change(app: TestApp) {
    let admin = app.admin().await;
    let id = register(&admin, &student_fields("CSC/19/1234", "Adéwálé", "Ọ̀ṣun")).await;
    // As an older version left them: no token for the whole folded name.
    sqlx::query("DELETE FROM patient_search_token WHERE patient_id = $1")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO patient_search_token (token, patient_id) VALUES ('ad', $1), ('w', $1)")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE sequence_counter SET value = 1 WHERE name = 'search_tokens_version'")
        .execute(app.db().pool())
        .await
        .unwrap();
    assert!(
        admin
            .get("/patients?q=adewale")
            .await
            .texts(".result-list li strong")
            .is_empty()
    );
    let service = sickbay_core::patients::service::refresh_search_tokens;
    let (first, second) = tokio::join!(service(app.db()), service(app.db()));
    let mut rebuilt = [first.unwrap(), second.unwrap()];
    rebuilt.sort();
    assert_eq!(
        rebuilt,
        [None, Some(1)],
        "one instance rebuilds, the other finds it done"
    );
    assert_eq!(
        admin.get("/patients?q=adewale").await.texts(".result-list li strong"),
        ["Ọ̀ṣun, Adéwálé"]
    );
    assert_eq!(service(app.db()).await.unwrap(), None, "once");
}

/// A rebuild of the search tokens (an instance starting on new search rules) while other requests register
/// patients leaves every patient findable. It once deleted the tokens of students registered between its read of
/// the patients and its delete, on PostgreSQL: a test's server was rebuilding at its first start while the test
/// imported students, and the search found none of them.
async fn a_rebuild_of_the_tokens_racing_registrations_loses_none(app: TestApp) {
    // Enough patients that reading them all takes the rebuild a moment, as on a clinic's database.
    let roll: String = (0..400).map(|i| format!("CSC/22/{i:04},Roll{i},Student\n")).collect();
    crate::support::import_students(&app, &format!("matric_number,first_name,surname\n{roll}")).await;
    let rebuilds = async {
        for _ in 0..6 {
            sqlx::query("UPDATE sequence_counter SET value = 1 WHERE name = 'search_tokens_version'")
                .execute(app.db().pool())
                .await
                .unwrap();
            let rebuilt = sickbay_core::patients::service::refresh_search_tokens(app.db()).await;
            assert!(rebuilt.unwrap().is_some());
        }
    };
    // Four desks register patients one after another all through the rebuilds.
    let done = std::sync::atomic::AtomicBool::new(false);
    let desk = |desk: usize| {
        let (app, done) = (&app, &done);
        async move {
            let mut i = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                crate::support::visitor(app, "Ada", &format!("Racer{desk}x{i}")).await;
                i += 1;
            }
        }
    };
    let rebuilds = async {
        rebuilds.await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    tokio::join!(rebuilds, desk(0), desk(1), desk(2), desk(3));
    let without_tokens = app
        .count("SELECT COUNT(*) FROM patient WHERE id NOT IN (SELECT patient_id FROM patient_search_token)")
        .await;
    assert_eq!(without_tokens, 0, "every patient keeps their tokens");
    let admin = app.admin().await;
    assert_eq!(
        admin.get("/patients?q=racer3x0").await.texts(".result-list li strong"),
        ["Racer3x0, Ada"]
    );
}

/// A name shared by more patients than a search lists shows the first twenty by surname and first name, and a
/// patient renamed takes their new place at once (the tokens carry the names the list is ordered by).
async fn a_common_name_lists_its_first_twenty_by_name_and_follows_a_rename(app: TestApp) {
    let admin = app.admin().await;
    let mut expected: Vec<String> = (0..25).map(|i| format!("Nwosu, Student{i}")).collect();
    crate::support::Students::new("NW", "Nwosu").numbered(&app, 25).await;
    let zed = register(&admin, &student_fields("PHY/20/0001", "Zed", "Nwosu")).await;
    let names = |page: &Page| page.texts(".result-list li strong");
    expected.sort();
    assert_eq!(names(&admin.get("/patients?q=nwosu").await), expected[..20]);

    let path = format!("/patients/{zed}/edit");
    let version = admin.get(&path).await.attr("input[name=version]", "value").unwrap();
    let renamed = with(student_fields("PHY/20/0001", "Aaron", "Nwosu"), "version", &version);
    post_fields(&admin, &path, &renamed)
        .await
        .assert_redirect(&format!("/patients/{zed}"));
    let mut now = vec!["Nwosu, Aaron".to_owned()];
    now.extend_from_slice(&expected[..19]);
    assert_eq!(names(&admin.get("/patients?q=nwosu").await), now);
    assert_eq!(names(&admin.get("/patients?q=nwosu%20aar").await), ["Nwosu, Aaron"]);
}
