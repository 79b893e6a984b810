//! The home pages in headless Chromium: the admin's day at a desktop size, changing live as reception checks a
//! patient in, the doctor's own day beside it, and a student's home on a 360 px phone, their place moving live
//! as the doctor calls (screenshots).

use sickbay_core::db::Timestamp;
use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::browser::Browser;
use crate::dashboards::{PATIENTS, issued, walk_in};
use crate::pharmacy::{add_batch, add_drug};
use crate::queue_browser::wait_for_text;
use crate::support::{
    ADMIN_PASSWORD, PASSWORD, STUDENT_PASSWORD, TestApp, appointment_today, clinic, new_visit, on_both_databases,
};

on_both_databases!(
    the_admins_day_changes_live_on_a_desktop,
    a_students_home_fits_a_phone_and_moves_live,
);

async fn the_admins_day_changes_live_on_a_desktop(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS
        .named(&app, &["Ada", "Bola", "Chidi", "Adéwálé Ọ̀ṣun-Babátúndé", "Efe"])
        .await;
    let (a, b) = (c.doctor_a.0, c.doctor_b.0);
    walk_in(&c.reception, 0, &a.to_string()).await;
    walk_in(&c.reception, 1, "general").await;
    let booked = appointment_today(&app, ids[2], b, Timestamp(Timestamp::now().0 + 3_600_000)).await;
    new_visit(&c.doctor_a.1, ids[3]).await;
    issued(&c.reception, ids[4], "12500").await;
    let drug = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_batch(&app, drug, 5, 365).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-dashboards")).await else {
        return;
    };
    desk.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
    wait_for_text(&desk, "#glance-status", "Live").await;
    assert_eq!(desk.text("#fig-waiting .stat-number").await, "2");
    assert!(desk.text("#fig-unpaid").await.contains("12,500.00"));
    assert!(desk.fits_width().await, "the admin's home fits the width");
    desk.screenshot("90-admin-home").await;

    // Reception checks a patient in: the admin's figures move without a reload.
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &booked.to_string())])
        .await
        .assert_redirect("/queue");
    wait_for_text(&desk, "#fig-waiting .stat-number", "3").await;
    assert_eq!(desk.path().await, "/admin", "no reload");
    desk.screenshot("91-admin-home-live").await;
    desk.close().await;

    // The doctor's own day, on a desktop.
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-dashboards-doctor")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    wait_for_text(&doctor, "#glance-status", "Live").await;
    assert_eq!(doctor.text("#fig-waiting .stat-number").await, "2");
    assert_eq!(doctor.text("#fig-open-visits .stat-number").await, "1");
    doctor.screenshot("92-doctor-home").await;
    doctor.close().await;
}

async fn a_students_home_fits_a_phone_and_moves_live(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    crate::lab::add_test(&admin, &[])
        .await
        .assert_redirect("/admin/lab-tests");
    let hb = app.count("SELECT id FROM lab_test WHERE name = 'Haemoglobin'").await;
    let ids = PATIENTS.named(&app, &["Chidi", "Adéwálé Ọ̀ṣun-Babátúndé"]).await;
    let (a, b) = (c.doctor_a.0, c.doctor_b.0);
    // Chidi, then Adéwálé, wait for Dr A; Adéwálé is booked with Dr B later, owes, and has a result released.
    walk_in(&c.reception, 0, &a.to_string()).await;
    walk_in(&c.reception, 1, &a.to_string()).await;
    appointment_today(&app, ids[1], b, Timestamp(Timestamp::now().0 + 2 * 3_600_000)).await;
    issued(&c.reception, ids[1], "2500").await;
    let visit = new_visit(&c.doctor_b.1, ids[1]).await;
    c.doctor_b
        .1
        .post(&format!("/visits/{visit}/lab/orders"), &[("test_id", &hb.to_string())])
        .await
        .assert_redirect(&format!("/visits/{visit}#lab"));
    let order = app
        .count(&format!("SELECT id FROM lab_order WHERE visit_id = {visit}"))
        .await;
    lab.post(&format!("/lab/orders/{order}/result"), &[("value", "13.2")])
        .await;
    lab.post(&format!("/lab/orders/{order}/release"), &[]).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-dashboards-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(1), STUDENT_PASSWORD, "/me").await;
    wait_for_text(&phone, "#glance-status", "Live").await;
    assert_eq!(phone.text("#my-queue-ticket").await, "A-002");
    assert!(phone.text("#my-queue-place").await.contains("1 person ahead"));
    assert!(phone.text("#my-owed").await.contains("2,500.00"));
    assert_eq!(phone.text("#my-new-results .stat-number").await, "1");
    assert!(phone.fits_width().await, "the home fits a 360 px phone");
    // One column on a phone: each figure as wide as the page, none wider.
    let layout = phone
        .client
        .execute(
            "return ['next-appointment', 'my-owed', 'my-new-results'].map(id => { \
               const r = document.getElementById(id).getBoundingClientRect(); \
               return r.left < 40 && r.right > window.innerWidth - 40 && r.right <= window.innerWidth; });",
            vec![],
        )
        .await
        .expect("layout");
    assert_eq!(layout, serde_json::json!([true, true, true]), "one figure to a row");
    phone.screenshot("93-student-home").await;

    // The doctor calls Chidi: Adéwálé is next, without a reload.
    c.doctor_a
        .1
        .post("/queue/call-next", &[])
        .await
        .assert_status(reqwest::StatusCode::SEE_OTHER);
    wait_for_text(&phone, "#my-queue-place", "You're next").await;
    assert_eq!(phone.path().await, "/me");
    phone.screenshot("94-student-home-next").await;
    phone.close().await;
}
