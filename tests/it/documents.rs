//! Documents: uploads told by their content (not their name or claimed type), at most 10 MB, attached to a
//! chart or an open visit by those who may; served with safe headers to doctors, lab attendants and admins,
//! and to the patient their own, every reading audited.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sickbay_core::identity::Role;

use crate::procedures::open_visit;
use crate::support::{Client, Page, Students, TestApp, doctor, on_both_databases};

on_both_databases!(
    documents_are_told_by_their_content_and_shown_to_those_who_may,
    patients_read_their_own_documents_and_no_one_elses,
    the_visits_doctor_attaches_documents_while_it_is_open,
);

const PATIENTS: Students = Students::new("DO", "Document");

pub(crate) const PDF: &[u8] = include_bytes!("fixtures/tiny.pdf");
pub(crate) const PNG: &[u8] = include_bytes!("fixtures/tiny.png");
pub(crate) const JPEG: &[u8] = include_bytes!("fixtures/tiny.jpg");

/// Sends the upload form as a browser would: the token, a fresh form id when `form_id` is empty, the title,
/// and the file with the name and type the browser gives it.
pub(crate) async fn upload(
    client: &Client,
    path: &str,
    title: &str,
    file: (&str, &str, Vec<u8>),
    form_id: &str,
) -> Page {
    let (file_name, mime, bytes) = file;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", client.csrf_token().await)
        .text("title", title.to_owned());
    if !form_id.is_empty() {
        form = form.text("form_id", form_id.to_owned());
    }
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .expect("mime");
    form = form.part("file", part);
    let response = http(client)
        .post(client.url(path))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Page { status, headers, body }
}

fn http(client: &Client) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(client.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http")
}

/// A document's bytes as served.
pub(crate) async fn fetch(client: &Client, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = http(client).get(client.url(path)).send().await.expect("GET");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.expect("bytes").to_vec())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn views_of(app: &TestApp, document: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_event WHERE action = 'document.view' AND record_id = {document}"
    ))
    .await
}

async fn documents_are_told_by_their_content_and_shown_to_those_who_may(app: TestApp) {
    let patient = PATIENTS.named(&app, &["Bola"]).await[0];
    let admin = app.admin().await;
    let (_, doctor) = doctor(&app, "dr.docs").await;
    let lab = app.login_as("lab.docs", Role::Lab).await;
    let reception = app.login_as("desk.docs", Role::Reception).await;
    let pharmacist = app.login_as("pharm.docs", Role::Pharmacist).await;
    let page_path = format!("/patients/{patient}/documents");
    let back = format!("/patients/{patient}/documents#documents");

    // The record links to the documents for the roles that read them.
    assert!(doctor.get(&format!("/patients/{patient}")).await.has("#documents-link"));
    assert!(
        !reception
            .get(&format!("/patients/{patient}"))
            .await
            .has("#documents-link")
    );

    // A lab attendant, a doctor and an admin upload; the kind is what the content is.
    let page = lab.get(&page_path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#no-documents"));
    let form_id = page.attr("input[name=form_id]", "value").expect("form id");
    let sent = ("report.pdf", "application/pdf", PDF.to_vec());
    upload(&lab, &page_path, "Outside lab report", sent.clone(), &form_id)
        .await
        .assert_redirect(&back);
    // The same form sent twice stores one document.
    upload(&lab, &page_path, "Outside lab report", sent, &form_id)
        .await
        .assert_redirect(&back);
    upload(
        &doctor,
        &page_path,
        "Chest scan",
        ("scan.pdf", "application/pdf", PNG.to_vec()),
        "",
    )
    .await
    .assert_redirect(&back);
    upload(
        &admin,
        &page_path,
        "Referral letter",
        ("letter.bin", "text/plain", JPEG.to_vec()),
        "",
    )
    .await
    .assert_redirect(&back);
    let kinds: Vec<(String, String, i64)> = sqlx::query_as("SELECT title, mime, size FROM document ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .expect("documents");
    assert_eq!(
        kinds,
        [
            (
                "Outside lab report".to_owned(),
                "application/pdf".to_owned(),
                PDF.len() as i64
            ),
            ("Chest scan".to_owned(), "image/png".to_owned(), PNG.len() as i64),
            ("Referral letter".to_owned(), "image/jpeg".to_owned(), JPEG.len() as i64),
        ],
        "a PNG called .pdf is a PNG; a JPEG sent as text is a JPEG"
    );

    // Anything else, or a missing title, is refused beside its field; more than 10 MB is refused as too large.
    let page = upload(
        &doctor,
        &page_path,
        "Notes",
        ("x.pdf", "application/pdf", b"just some text".to_vec()),
        "",
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text("#document-file-error").contains("not a PDF, JPEG or PNG"),
        "{}",
        page.body
    );
    assert_eq!(
        page.attr("#document-title", "value").as_deref(),
        Some("Notes"),
        "the title stays"
    );
    let page = upload(&doctor, &page_path, "  ", ("a.png", "image/png", PNG.to_vec()), "").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#document-title-error"));
    let page = upload(&doctor, &page_path, "Empty", ("a.png", "image/png", Vec::new()), "").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let mut huge = PDF.to_vec();
    huge.resize(11 * 1024 * 1024, b' ');
    let page = upload(&doctor, &page_path, "Huge", ("huge.pdf", "application/pdf", huge), "").await;
    page.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("at most 10 MB"), "{}", page.body);
    let mut just_over = PDF.to_vec();
    just_over.resize(10 * 1024 * 1024 + 1, b' ');
    upload(
        &doctor,
        &page_path,
        "Just over",
        ("over.pdf", "application/pdf", just_over),
        "",
    )
    .await
    .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("SELECT COUNT(*) FROM document").await, 3);
    // Exactly 10 MB is accepted (the route allows more than the usual form limit).
    let mut largest = PDF.to_vec();
    largest.resize(10 * 1024 * 1024, b' ');
    upload(
        &doctor,
        &page_path,
        "Largest",
        ("big.pdf", "application/pdf", largest),
        "",
    )
    .await
    .assert_redirect(&back);
    assert_eq!(
        app.count("SELECT size FROM document WHERE title = 'Largest'").await,
        10 * 1024 * 1024
    );
    sqlx::query("DELETE FROM document WHERE title = 'Largest'")
        .execute(app.db().pool())
        .await
        .expect("delete");

    // The list: title, kind, size, who uploaded and when.
    let page = doctor.get(&page_path).await;
    let items = page.texts("#document-list li");
    assert_eq!(items.len(), 3);
    assert!(
        items[0].contains("Referral letter") && items[0].contains("JPEG image"),
        "{items:?}"
    );
    assert!(
        items[2].contains("PDF") && items[2].contains("329 bytes") && items[2].contains("Test lab.docs"),
        "{items:?}"
    );

    // Served with its real type, a safe name, no sniffing, a sandbox for PDFs; each view audited.
    let pdf = app
        .count("SELECT id FROM document WHERE title = 'Outside lab report'")
        .await;
    let png = app.count("SELECT id FROM document WHERE title = 'Chest scan'").await;
    let (status, headers, bytes) = fetch(&doctor, &format!("/documents/{pdf}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PDF);
    assert_eq!(header(&headers, "content-type"), "application/pdf");
    assert_eq!(
        header(&headers, "content-disposition"),
        "inline; filename=\"Outside-lab-report.pdf\""
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "content-security-policy"), "sandbox");
    assert!(header(&headers, "cache-control").contains("no-store"));
    let (status, headers, bytes) = fetch(&lab, &format!("/documents/{png}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(
        header(&headers, "content-disposition"),
        "inline; filename=\"Chest-scan.png\""
    );
    fetch(&admin, &format!("/documents/{png}")).await;
    assert_eq!(views_of(&app, pdf).await, 1);
    assert_eq!(views_of(&app, png).await, 2);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'document.view' AND patient_id = {patient}"
        ))
        .await,
        3
    );

    // Reception and the pharmacy neither list, upload nor read documents.
    for client in [&reception, &pharmacist] {
        client.get(&page_path).await.assert_status(StatusCode::FORBIDDEN);
        upload(client, &page_path, "Sneaky", ("a.png", "image/png", PNG.to_vec()), "")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        assert_eq!(
            fetch(client, &format!("/documents/{pdf}")).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(views_of(&app, pdf).await, 1, "a refused reading is not a view");
    assert_eq!(fetch(&doctor, "/documents/999999").await.0, StatusCode::NOT_FOUND);
    doctor
        .get("/patients/999999/documents")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    upload(
        &doctor,
        "/patients/999999/documents",
        "Lost",
        ("a.png", "image/png", PNG.to_vec()),
        "",
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM document").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'document.upload'")
            .await,
        4,
        "three documents and the 10 MB one"
    );

    // The chart's read: details only.
    let listed = sickbay_core::documents::service::of_patient(app.db(), patient)
        .await
        .expect("read");
    assert_eq!(listed.len(), 3);
}

async fn patients_read_their_own_documents_and_no_one_elses(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (ada, bayo) = (ids[0], ids[1]);
    let (_, doctor) = doctor(&app, "dr.mine").await;
    for (patient, title) in [(ada, "Ada's X-ray"), (bayo, "Bayo's referral")] {
        upload(
            &doctor,
            &format!("/patients/{patient}/documents"),
            title,
            ("f.png", "image/png", PNG.to_vec()),
            "",
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    }
    let adas = app
        .count(&format!("SELECT id FROM document WHERE patient_id = {ada}"))
        .await;
    let bayos = app
        .count(&format!("SELECT id FROM document WHERE patient_id = {bayo}"))
        .await;

    let student = PATIENTS.client(&app, 0).await;
    assert!(student.get("/me").await.has("a[href='/me/documents']"));
    let page = student.get("/me/documents").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#document-list li").len(), 1);
    assert!(page.text("#document-list li").contains("Ada's X-ray"));
    assert_eq!(
        page.attr("#document-list a", "href").as_deref(),
        Some(format!("/me/documents/{adas}").as_str())
    );
    let (status, headers, bytes) = fetch(&student, &format!("/me/documents/{adas}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'document.view' AND record_id = {adas} \
             AND actor_kind = 'patient' AND patient_id = {ada}"
        ))
        .await,
        1
    );

    // Someone else's is not found, and nothing is recorded as read.
    assert_eq!(
        fetch(&student, &format!("/me/documents/{bayos}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(&student, "/me/documents/abc").await.0, StatusCode::NOT_FOUND);
    assert_eq!(views_of(&app, bayos).await, 0);
    // Nor do the staff pages open to a patient.
    assert_eq!(
        fetch(&student, &format!("/documents/{adas}")).await.0,
        StatusCode::FORBIDDEN
    );
    student
        .get(&format!("/patients/{ada}/documents"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    upload(
        &student,
        &format!("/patients/{ada}/documents"),
        "Mine",
        ("f.png", "image/png", PNG.to_vec()),
        "",
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    // And the portal's pages are the patients'.
    doctor.get("/me/documents").await.assert_status(StatusCode::FORBIDDEN);
    let bayo_client = PATIENTS.client(&app, 1).await;
    let page = bayo_client.get("/me/documents").await;
    assert!(page.text("#document-list li").contains("Bayo's referral"));
}

async fn the_visits_doctor_attaches_documents_while_it_is_open(app: TestApp) {
    let patient = PATIENTS.named(&app, &["Chidi"]).await[0];
    let (_, doctor_a) = doctor(&app, "dr.visitdoc").await;
    let (_, doctor_b) = doctor(&app, "dr.notmine").await;
    let lab = app.login_as("lab.visit", Role::Lab).await;
    let reception = app.login_as("desk.visit", Role::Reception).await;
    let visit = open_visit(&doctor_a, patient).await;
    let path = format!("/visits/{visit}/documents");

    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    assert!(page.has("#documents form.document-form"));
    let form_id = page.attr("#documents input[name=form_id]", "value").expect("form id");
    upload(
        &doctor_a,
        &path,
        "Wound photo",
        ("IMG_0001.JPG", "image/jpeg", JPEG.to_vec()),
        &form_id,
    )
    .await
    .assert_redirect(&format!("/visits/{visit}#documents"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM document WHERE visit_id = {visit} AND patient_id = {patient}"
        ))
        .await,
        1
    );
    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    assert!(page.text("#documents #document-list li").contains("Wound photo"));
    assert!(page.text("#documents-messages").contains("uploaded"));

    // A refused upload on the visit: the section again with its message.
    let page = upload(
        &doctor_a,
        &path,
        "Notes",
        ("x.pdf", "application/pdf", b"hello".to_vec()),
        "",
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#documents #document-file-error"));

    // Another doctor, the lab and reception do not attach to this visit.
    for client in [&doctor_b, &lab, &reception] {
        upload(client, &path, "Not mine", ("a.png", "image/png", PNG.to_vec()), "")
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    let other = doctor_b.get(&format!("/visits/{visit}")).await;
    assert!(
        other.has("#documents #document-list"),
        "another doctor reads the visit's documents"
    );
    assert!(!other.has("#documents form"), "but has no upload form");

    // Completed: read-only.
    doctor_a.post(&format!("/visits/{visit}/complete"), &[]).await;
    upload(&doctor_a, &path, "Late", ("a.png", "image/png", PNG.to_vec()), "")
        .await
        .assert_status(StatusCode::CONFLICT);
    upload(
        &doctor_a,
        "/visits/999999/documents",
        "Nowhere",
        ("a.png", "image/png", PNG.to_vec()),
        "",
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM document").await, 1);
    let listed = sickbay_core::documents::service::of_visit(app.db(), visit)
        .await
        .expect("read");
    assert_eq!(listed.len(), 1);
}
