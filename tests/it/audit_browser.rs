//! The audit trail in headless Chromium: a student, on a 360 px phone, opens "Who opened my record" from their
//! home page and sees the roles that opened it; the admin, at a desktop, filters the trail to who looked at
//! that student's record.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::prescriptions_browser::wait_for;
use crate::support::{ADMIN_PASSWORD, STUDENT_PASSWORD, Students, TestApp, doctor, on_both_databases};

on_both_databases!(a_student_sees_who_opened_their_record_on_a_phone);

const PATIENTS: Students = Students::new("AB", "Adébáyọ̀-Ọláòlúwa");

async fn a_student_sees_who_opened_their_record_on_a_phone(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Oluwaseunfunmilayo"]).await;
    let student = ids[0];
    let (_, doc) = doctor(&app, "dr.obi").await;
    let desk = app.login_as("au.desk", Role::Reception).await;
    for path in [format!("/patients/{student}"), format!("/patients/{student}/chart")] {
        doc.get(&path).await.assert_status(StatusCode::OK);
    }
    desk.get(&format!("/patients/{student}/card"))
        .await
        .assert_status(StatusCode::OK);
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-audit-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    // The home's figures go live a moment after the page loads, and their status line moves what is below it:
    // the click waits for that, or it can land on the link above.
    wait_for(&phone, "#glance-status", |t| t.contains("Live"), "the figures live").await;
    phone.click_in_view(".more-links a[href='/me/record-access']").await;
    phone.wait_for_path("/me/record-access").await;
    wait_for(
        &phone,
        "#record-access",
        |t| t.contains("Reception"),
        "who opened the record",
    )
    .await;
    let list = phone.text("#record-access").await;
    assert!(list.contains("Opened your chart") && list.contains("Doctor"), "{list}");
    assert!(!list.contains("dr.obi"), "roles only: {list}");
    assert!(phone.fits_width().await, "the list fits a phone");
    phone.screenshot("90-audit-who-opened-my-record").await;
    phone.close().await;

    // The admin's view of the same reads, from the student's page.
    let Some(desk_browser) = Browser::start(1366, 900, &format!("{backend}-audit-admin")).await else {
        return;
    };
    desk_browser.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
    desk_browser.goto(&app, &format!("/patients/{student}")).await;
    desk_browser.click("#record-reads").await;
    desk_browser
        .wait_for_path(&format!("/admin/audit?patient={student}&access=1"))
        .await;
    wait_for(&desk_browser, "#audit-rows", |t| t.contains("dr.obi"), "the reads").await;
    assert!(desk_browser.text("#audit-patient").await.contains("Oluwaseunfunmilayo"));
    desk_browser.screenshot("91-audit-trail-reads-of-a-record").await;
    desk_browser.close().await;
}
