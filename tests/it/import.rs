//! CSV import of students: preview, background import with progress, rejected rows, idempotence, CLI.

use std::time::Duration;

use reqwest::StatusCode;
use sickbay_core::academic::service::within as academic_records;
use sickbay_core::identity::Role;

use crate::support::{Client, Page, TestApp, on_both_databases};

on_both_databases!(
    import_keeps_good_rows_and_reports_bad_ones,
    reimporting_creates_nobody_twice_and_updates_changes,
    unknown_academic_names_are_rejected_or_created_on_request,
    unusable_files_are_refused_with_a_reason,
    import_pages_are_for_admins_only,
    a_thousand_rows_import_with_progress,
    control_characters_reject_their_row_and_semicolons_are_read,
    an_upload_sent_twice_keeps_one_preview,
);

const HEADER: &str =
    "matric_number,first_name,surname,other_names,sex,date_of_birth,email,phone,faculty,department,level";

async fn science(app: &TestApp) {
    let mut tx = app.db().begin_write().await.unwrap();
    let science = academic_records::add_faculty(&mut tx, "Science", "SCI").await.unwrap();
    academic_records::add_department(&mut tx, science, "Computer Science", "CSC")
        .await
        .unwrap();
    academic_records::add_level(&mut tx, "300L", 300).await.unwrap();
    tx.commit().await.unwrap();
}

/// Uploads a file and returns the job's page path.
async fn upload(admin: &Client, csv: &str) -> String {
    let page = admin
        .post_file("/admin/import", "file", "students.csv", csv.as_bytes().to_vec(), true)
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    page.location().expect("job page").to_owned()
}

/// Starts the import and waits for it to finish; returns the finished page.
async fn run(admin: &Client, job: &str, create_missing: bool) -> Page {
    let fields: &[(&str, &str)] = if create_missing {
        &[("create_missing", "1")]
    } else {
        &[]
    };
    admin.post(&format!("{job}/start"), fields).await.assert_redirect(job);
    for _ in 0..600 {
        let page = admin.get(job).await;
        if !page.has("#progress[hx-trigger]") {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import did not finish");
}

async fn import_keeps_good_rows_and_reports_bad_ones(app: TestApp) {
    science(&app).await;
    let admin = app.admin().await;
    let csv = format!(
        "{HEADER}\n\
         CSC/22/0001,Adaeze,Okafor,,F,2004-03-14,adaeze@students.example.edu,08031234501,Science,Computer Science,300L\n\
         CSC/22/0002,Tunde,Bakare,,M,2003-11-02,not-an-email,,Science,CSC,300L\n\
         ,No,Matric,,,,,,,,\n\
         CSC/22/0003,Hauwa,Abdullahi,,X,,,,,,\n\
         csc/22/0001,Again,Okafor,,,,,,,,\n\
         CSC/22/0004,Emeka,Nwosu,,M,,,,SCI,csc,300l\n\
         CSC/22/0005,Ruth,Adeyemi,,F,,,,Science,Geology,300L\n"
    );
    let job = upload(&admin, &csv).await;
    let preview = admin.get(&job).await;
    preview.assert_status(StatusCode::OK);
    assert!(
        preview
            .text("#preview-summary")
            .starts_with("7 rows: 3 look right, 4 will be rejected"),
        "{}",
        preview.text("#preview-summary")
    );
    assert_eq!(preview.texts("#preview-rows tbody tr").len(), 7);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient").await,
        0,
        "nothing imported before confirming"
    );

    let done = run(&admin, &job, false).await;
    assert_eq!(
        done.text("#import-counts"),
        "7 of 7 rows (100%): 2 created, 0 updated, 0 unchanged, 5 rejected."
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT first_name FROM patient ORDER BY matric_number")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(names, ["Adaeze", "Emeka"]);
    // Department and level matched by code, ignoring case; numbers issued.
    assert_eq!(app.count("SELECT COUNT(*) FROM patient WHERE department_id IS NOT NULL AND level_id IS NOT NULL AND clinic_number LIKE 'SB-%'").await, 2);

    let report = admin
        .get(&done.attr("#rejects-link", "href").expect("report link"))
        .await;
    report.assert_status(StatusCode::OK);
    assert!(
        report
            .header("content-disposition")
            .unwrap_or_default()
            .contains("attachment")
    );
    // The file's own columns, then the reason: fix the cells and upload the report again.
    let lines: Vec<&str> = report.body.lines().collect();
    assert_eq!(lines[0], format!("{HEADER},reason"));
    assert_eq!(lines.len(), 6, "{}", report.body);
    assert!(
        lines[1].starts_with("CSC/22/0002,Tunde,Bakare,,M,2003-11-02,not-an-email,,Science,CSC,300L,\"bad email"),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with(",No,Matric,,,,,,,,,matric_number"), "{}", lines[2]);
    assert!(lines[3].contains("sex must be F or M"), "{}", lines[3]);
    assert!(lines[4].starts_with("csc/22/0001,Again,Okafor"), "{}", lines[4]);
    assert!(lines[4].contains("the same matric number is on line 2"), "{}", lines[4]);
    assert!(
        lines[5].starts_with("CSC/22/0005,Ruth,Adeyemi,,F,,,,Science,Geology,300L,"),
        "{}",
        lines[5]
    );
    assert!(lines[5].contains("unknown department \"\"Geology\"\""), "{}", lines[5]);
    let again = upload(&admin, &report.body).await;
    let preview = admin.get(&again).await;
    assert!(
        preview.text("#preview-summary").starts_with("5 rows"),
        "{}",
        preview.text("#preview-summary")
    );

    // Starting it again (a double click or a replayed form) does nothing more.
    admin.post(&format!("{job}/start"), &[]).await.assert_redirect(&job);
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
    assert!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'patient.import'")
            .await
            >= 1
    );
}

async fn reimporting_creates_nobody_twice_and_updates_changes(app: TestApp) {
    science(&app).await;
    let admin = app.admin().await;
    let csv = format!(
        "{HEADER}\nCSC/22/0001,Adaeze,Okafor,,F,2004-03-14,,,Science,CSC,300L\nCSC/22/0002,Tunde,Bakare,,M,,,,,,\n"
    );
    let first = run(&admin, &upload(&admin, &csv).await, false).await;
    assert!(
        first
            .text("#import-counts")
            .contains("2 created, 0 updated, 0 unchanged, 0 rejected")
    );
    let numbers: Vec<String> = sqlx::query_scalar("SELECT clinic_number FROM patient ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();

    let again = run(&admin, &upload(&admin, &csv).await, false).await;
    assert!(
        again
            .text("#import-counts")
            .contains("0 created, 0 updated, 2 unchanged, 0 rejected"),
        "{}",
        again.text("#import-counts")
    );

    let changed = csv.replace("Tunde,Bakare,,M,,,,,,", "Tunde,Bakare-Cole,,M,,,08099990000,,,");
    let third = run(&admin, &upload(&admin, &changed).await, false).await;
    assert!(
        third
            .text("#import-counts")
            .contains("0 created, 1 updated, 1 unchanged"),
        "{}",
        third.text("#import-counts")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
    let after: Vec<String> = sqlx::query_scalar("SELECT clinic_number FROM patient ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(numbers, after, "clinic numbers never change");
    // The update is searchable at once.
    let found = admin.get("/patients?q=bakare-cole").await;
    assert_eq!(found.texts(".result-list li strong"), ["Bakare-Cole, Tunde"]);
}

async fn unknown_academic_names_are_rejected_or_created_on_request(app: TestApp) {
    let admin = app.admin().await;
    let csv = format!(
        "{HEADER}\nENG/24/0310,Ruth,Adeyemi,,F,,,,Engineering,Civil Engineering,100L\nENG/24/0311,Musa,Bello,,M,,,,Engineering,Civil Engineering,100L\n"
    );
    let refused = run(&admin, &upload(&admin, &csv).await, false).await;
    assert!(
        refused
            .text("#import-counts")
            .contains("0 created, 0 updated, 0 unchanged, 2 rejected")
    );
    let created = run(&admin, &upload(&admin, &csv).await, true).await;
    assert!(
        created.text("#import-counts").contains("2 created"),
        "{}",
        created.text("#import-counts")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM faculty WHERE name = 'Engineering'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM department WHERE name = 'Civil Engineering' AND code = 'CE'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM level WHERE name = '100L' AND sort_order = 100")
            .await,
        1
    );
}

async fn unusable_files_are_refused_with_a_reason(app: TestApp) {
    let admin = app.admin().await;
    let cases: [(&[u8], &str); 4] = [
        (b"", "Choose a CSV file"),
        (
            b"name,email\nAda,a@x.org\n",
            "lacks the columns matric_number, first_name, surname",
        ),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"matric_number,first_name,surname\n", "no student rows"),
    ];
    for (bytes, message) in cases {
        let page = admin
            .post_file("/admin/import", "file", "x.csv", bytes.to_vec(), true)
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text("#upload-error").contains(message),
            "{message}: {}",
            page.text("#upload-error")
        );
    }
    // Without the token the upload is refused.
    let csv = format!("{HEADER}\n");
    admin
        .post_file("/admin/import", "file", "x.csv", csv.into_bytes(), false)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM import_job").await, 0);
    admin
        .get("/admin/import/999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .post("/admin/import/999/start", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn import_pages_are_for_admins_only(app: TestApp) {
    let admin = app.admin().await;
    let job = upload(&admin, &format!("{HEADER}\nCSC/22/0001,Ada,Obi,,,,,,,,\n")).await;
    let reception = app.login_as("desk", Role::Reception).await;
    for path in [
        "/admin/import",
        "/admin/import/sample.csv",
        job.as_str(),
        &format!("{job}/progress"),
        &format!("{job}/rejects.csv"),
    ] {
        reception.get(path).await.assert_status(StatusCode::FORBIDDEN);
    }
    reception
        .post(&format!("{job}/start"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    reception
        .post_file("/admin/import", "file", "x.csv", b"a".to_vec(), true)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let stranger = app.client();
    assert!(
        stranger
            .get(&job)
            .await
            .location()
            .unwrap_or_default()
            .starts_with("/login")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 0);
    let sample = admin.get("/admin/import/sample.csv").await;
    assert!(sample.body.starts_with(HEADER));
}

async fn a_thousand_rows_import_with_progress(app: TestApp) {
    let admin = app.admin().await;
    let mut csv = String::from(HEADER);
    for i in 0..1000 {
        csv.push_str(&format!(
            "\nBIO/25/{i:04},Student{i},Surname{},,,,,,Science,Biology,100L",
            i % 37
        ));
    }
    let job = upload(&admin, &csv).await;
    let done = run(&admin, &job, true).await;
    assert_eq!(
        done.text("#import-counts"),
        "1000 of 1000 rows (100%): 1000 created, 0 updated, 0 unchanged, 0 rejected."
    );
    assert_eq!(done.attr("#import-progress", "value").as_deref(), Some("1000"));
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT clinic_number) FROM patient").await,
        1000
    );
    // The progress fragment alone, as htmx polls it.
    let fragment = admin
        .get_with(&format!("{job}/progress"), &[("hx-request", "true")])
        .await;
    assert!(!fragment.body.contains("<html"));
    assert!(fragment.has("#import-counts"));
}

/// A NUL byte once failed the whole upload on PostgreSQL; now it rejects its row, with the reason, and the rest
/// is imported. A file saved with `;` between fields (spreadsheets set to a decimal comma) is read as such.
async fn control_characters_reject_their_row_and_semicolons_are_read(app: TestApp) {
    science(&app).await;
    let admin = app.admin().await;
    let csv = format!(
        "{}\n\
         CSC/22/0001;Adaeze;Okafor;;F;;;;Science;;\n\
         CSC/22/0002;Tu\0nde;Bakare;;M;;;;;;\n\
         CSC/22/0003;Hauwa;Abdullahi;;F;;;;Sci\u{1b}ence;;\n\
         CSC/22/0004;Emeka;Nwosu;;M;;;;;;300L\n",
        HEADER.replace(',', ";")
    );
    let job = upload(&admin, &csv).await;
    let preview = admin.get(&job).await;
    assert!(
        preview
            .text("#preview-summary")
            .starts_with("4 rows: 2 look right, 2 will be rejected"),
        "{}",
        preview.text("#preview-summary")
    );
    let done = run(&admin, &job, false).await;
    assert_eq!(
        done.text("#import-counts"),
        "4 of 4 rows (100%): 2 created, 0 updated, 0 unchanged, 2 rejected."
    );
    let report = admin
        .get(&done.attr("#rejects-link", "href").expect("report link"))
        .await;
    let lines: Vec<&str> = report.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", report.body);
    assert!(
        lines[1].contains("first_name contains an unreadable character (such as NUL)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("faculty contains a control character (U+001B)"),
        "{}",
        lines[2]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
}

/// Sends the upload form as the page shows it: its token, its one-time id and the file.
async fn upload_form(admin: &Client, csv: &str, form_id: &str) -> Page {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", admin.csrf_token().await)
        .text("form_id", form_id.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("students.csv")
                .mime_str("text/csv")
                .expect("mime"),
        );
    let http = reqwest::Client::builder()
        .cookie_provider(admin.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    let response = http
        .post(admin.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let (status, headers) = (response.status(), response.headers().clone());
    Page {
        status,
        headers,
        body: response.text().await.expect("body"),
    }
}

/// The upload form sent twice, one after the other or at once (a double click, a replay), keeps one file and leads
/// both to its preview.
async fn an_upload_sent_twice_keeps_one_preview(app: TestApp) {
    let admin = app.admin().await;
    let csv = format!("{HEADER}\nCSC/22/0101,Ada,Once,,F,,,,,,\n");
    for at_once in [false, true] {
        let page = admin.get("/admin/import").await;
        let form_id = page
            .attr("input[name=form_id]", "value")
            .expect("the upload form's one-time id");
        let before = app.count("SELECT COUNT(*) FROM import_job").await;
        let (first, second) = match at_once {
            true => tokio::join!(upload_form(&admin, &csv, &form_id), upload_form(&admin, &csv, &form_id)),
            false => (
                upload_form(&admin, &csv, &form_id).await,
                upload_form(&admin, &csv, &form_id).await,
            ),
        };
        first.assert_status(StatusCode::SEE_OTHER);
        second.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(first.location(), second.location(), "both lead to the one preview");
        assert_eq!(app.count("SELECT COUNT(*) FROM import_job").await, before + 1);
    }
    upload_form(&admin, &csv, "forged")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT COUNT(*) FROM import_job").await, 2);
}
