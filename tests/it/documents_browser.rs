//! Procedures, documents and profiles in headless Chromium: a doctor records a procedure and uploads a
//! document on a visit at a desktop size (htmx swaps the sections), then the patient, on a 360 px phone, reads
//! the document among their own and sees the doctor's profile when booking. Screenshots in
//! test-artifacts/screenshots/.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::Browser;
use crate::documents::PDF;
use crate::support::{PASSWORD, STUDENT_PASSWORD, Students, TestApp, on_both_databases};

on_both_databases!(a_document_uploaded_on_a_visit_reaches_the_patients_phone);

const PATIENTS: Students = Students::new("DB", "Browser");

/// Waits until `css` holds `text`.
async fn wait_for_text(b: &Browser, css: &str, text: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = b.client.find(Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(text) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never showed {text:?}; it shows {last:?}");
}

async fn a_document_uploaded_on_a_visit_reaches_the_patients_phone(app: TestApp) {
    let patient = PATIENTS.named(&app, &["Ngozi"]).await[0];
    let doctor = app
        .create_staff("dr.upload", sickbay_core::identity::Role::Doctor, false)
        .await;
    crate::support::hours_every_day(&app, doctor, 9 * 60, 11 * 60, 30, 2).await;
    let input = sickbay_core::staff::model::ProfileInput::validate(
        "Family medicine",
        "MBBS (Ibadan), FWACP",
        "Sees students for everyday illness and check-ups.",
    )
    .expect("profile");
    let system = sickbay_core::identity::Actor::system("test");
    sickbay_core::staff::service::update_profile(app.db(), &system, doctor, &input)
        .await
        .expect("profile saved");
    let dressing =
        sickbay_core::procedures::model::ProcedureInput::validate("Wound dressing", "1500", true, 2).expect("ok");
    sickbay_core::procedures::service::create_type(app.db(), &system, &dressing)
        .await
        .expect("procedure");
    let file = tempfile::Builder::new().suffix(".pdf").tempfile().expect("temp file");
    std::fs::write(file.path(), PDF).expect("write the PDF");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    // The doctor, at a desk: a procedure and a document on the visit, each section swapped in place.
    let Some(b) = Browser::start(1366, 900, &format!("{backend}-desktop")).await else {
        return;
    };
    b.log_in(&app, "dr.upload", PASSWORD, "/doctor").await;
    let visit = {
        let client = app.client();
        client.login_ok("dr.upload", PASSWORD).await;
        crate::procedures::open_visit(&client, patient).await
    };
    b.goto(&app, &format!("/visits/{visit}")).await;
    // Seldom-used forms wait folded under what they do.
    let folded = b
        .client
        .find(Locator::Css("#procedure-note"))
        .await
        .expect("the procedure form")
        .is_displayed()
        .await
        .expect("displayed");
    assert!(!folded, "the procedure form is folded");
    b.click_in_view("#procedures .fold > summary").await;
    let option = b
        .client
        .find(Locator::Css("#procedure-procedure_type_id option:nth-child(2)"))
        .await
        .expect("the catalogue's procedure");
    option.click().await.expect("choose it");
    b.fill("#procedure-note", "Left forearm, clean and dry").await;
    b.click_in_view("#procedures button[type=submit]").await;
    wait_for_text(&b, "#procedure-list", "Wound dressing").await;
    wait_for_text(&b, "#procedures-messages", "Procedure recorded.").await;
    assert!(
        b.path().await.starts_with(&format!("/visits/{visit}")),
        "no page change"
    );

    b.click_in_view("#documents .fold > summary").await;
    b.fill("#document-title", "Outside lab report: full blood count").await;
    let input = b.client.find(Locator::Css("#document-file")).await.expect("file input");
    input
        .send_keys(&file.path().display().to_string())
        .await
        .expect("choose the file");
    b.click_in_view("#documents button[type=submit]").await;
    wait_for_text(&b, "#documents #document-list", "Outside lab report").await;
    wait_for_text(&b, "#documents-messages", "uploaded").await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM document WHERE visit_id = {visit}"))
            .await,
        1
    );
    assert!(b.fits_width().await, "the visit page fits 1366 px");
    let section = b.client.find(Locator::Css("#procedures")).await.expect("section");
    b.client
        .execute(
            "arguments[0].scrollIntoView({block: 'start'}); return true;",
            vec![serde_json::to_value(&section).expect("element")],
        )
        .await
        .expect("scroll");
    b.screenshot("60-visit-procedures-and-documents").await;
    // The PDF opens in Chromium's own viewer despite its sandbox (a sandbox can block the viewer).
    let id = app
        .count(&format!("SELECT id FROM document WHERE visit_id = {visit}"))
        .await;
    b.goto(&app, &format!("/documents/{id}")).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let html = b.client.source().await.expect("source");
    assert!(!html.to_lowercase().contains("blocked"), "{html}");
    b.screenshot("60b-pdf-in-the-viewer").await;
    b.close().await;

    // The patient, on a phone: their documents, and the doctor's profile when booking.
    let Some(p) = Browser::start(360, 740, &format!("{backend}-phone")).await else {
        return;
    };
    p.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    // Once the home's figures are live (their status line moves the links below it).
    wait_for_text(&p, "#glance-status", "Live").await;
    p.click_in_view(".more-links a[href='/me/documents']").await;
    p.wait_for_path("/me/documents").await;
    wait_for_text(&p, "#document-list", "Outside lab report: full blood count").await;
    let facts = p.text("#document-list .document-facts").await;
    assert!(facts.contains("PDF") && facts.contains("Test dr.upload"), "{facts}");
    assert!(p.fits_width().await, "the documents page fits 360 px");
    let link = p
        .client
        .find(Locator::Css("#document-list a"))
        .await
        .expect("link")
        .rectangle()
        .await
        .expect("rect");
    assert!(link.3 >= 44.0, "the link is a thumb-sized target ({} px)", link.3);
    p.screenshot("61-my-documents").await;
    let views = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'document.view' AND actor_kind = 'patient'")
        .await;
    assert_eq!(views, 0);

    let tomorrow = app.state.settings.get().today() + chrono::Duration::days(1);
    p.goto(&app, &format!("/me/book?day={tomorrow}&doctor={doctor}")).await;
    wait_for_text(&p, "#doctor-profile", "Family medicine · MBBS (Ibadan), FWACP").await;
    let option = p.text("#doctor option:checked").await;
    assert!(option.contains("Family medicine"), "{option}");
    assert!(p.fits_width().await, "the booking page with the profile fits 360 px");
    p.screenshot("62-book-with-doctor-profile").await;
    p.goto(&app, &format!("/me/book?day={tomorrow}")).await;
    wait_for_text(&p, ".doctor-summary", "Family medicine").await;
    p.screenshot("63-book-any-doctor-profile-line").await;
    p.close().await;
}
