//! A consultation in headless Chromium: the doctor calls the next patient, starts, and records vitals, a
//! complaint (saved as a draft while typed), a diagnosis found by typing, a two-item prescription and a lab
//! order, without a page reload; the lab attendant records the result and the doctor's screen shows it live;
//! the doctor completes the visit and is back at the queue; the student reads the visit on their phone.

use std::time::Duration;

use sickbay::identity::Role;
use sickbay::pharmacy::model::DrugForm;

use crate::browser::Browser;
use crate::lab::add_test;
use crate::pharmacy::{add_batch, add_drug};
use crate::prescriptions_browser::{choose, pick_drug, wait_for, wait_for_value};
use crate::queue::{PATIENTS, walk_in};
use crate::queue_browser::{mark, still_marked, wait_for_text};
use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, clinic, new_visit, on_both_databases};

on_both_databases!(a_doctor_sees_a_patient_from_call_next_to_complete_on_one_screen);

async fn a_doctor_sees_a_patient_from_call_next_to_complete_on_one_screen(app: TestApp) {
    let c = clinic(&app).await;
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    let amoxicillin = add_drug(&app, "Amoxicillin", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_batch(&app, amoxicillin, 120, 180).await;
    add_batch(&app, paracetamol, 1000, 365).await;
    add_test(&app.admin().await, &[("name", "Haemoglobin")])
        .await
        .assert_redirect("/admin/lab-tests");
    let haemoglobin = app.count("SELECT id FROM lab_test").await;
    app.create_staff("lab.bisi", Role::Lab, false).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-desktop-consult")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    doctor.goto(&app, "/queue/doctor").await;
    doctor.click_live("#call-next").await;
    wait_for_text(&doctor, "#queue-notice", "Called A-001").await;
    doctor.click_live(".ticket-called form[action$='/start'] button").await;
    wait_for_text(&doctor, "h1", "Amaka").await;
    let visit = app.count("SELECT id FROM visit").await;
    doctor.wait_for_path(&format!("/visits/{visit}")).await;
    mark(&doctor).await;

    // Vitals: an unusual blood pressure and a fever are flagged.
    doctor.fill("#systolic", "150").await;
    doctor.fill("#diastolic", "95").await;
    doctor.fill("#temperature", "38.4").await;
    doctor.fill("#pulse", "92").await;
    doctor.click("#vitals button[type=submit]").await;
    wait_for_text(&doctor, "#latest-vitals", "150/95 mmHg").await;
    wait_for_text(&doctor, "#latest-vitals", "38.4 °C HIGH").await;

    // A complaint is kept as a draft while it is typed, then signed.
    doctor
        .fill("#complaint-body", "Fever and headache for three days")
        .await;
    let mut drafted = 0;
    for _ in 0..50 {
        drafted = app
            .count("SELECT COUNT(*) FROM note_draft WHERE kind = 'complaint'")
            .await;
        if drafted == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(drafted, 1, "the draft was saved while typing");
    // Signed from the keyboard: Ctrl+Enter in the box.
    let complaint = doctor
        .client
        .find(fantoccini::Locator::Css("#complaint-body"))
        .await
        .expect("the complaint box");
    complaint
        .send_keys("\u{E009}\u{E007}\u{E000}")
        .await
        .expect("Ctrl+Enter");
    wait_for_text(&doctor, "#note-complaint blockquote", "Fever and headache").await;

    // A diagnosis found by typing.
    doctor.fill("#description", "malaria").await;
    doctor.click_live(".code-matches button[value=B54]").await;
    wait_for_text(&doctor, "#diagnosis-list", "Unspecified malaria").await;

    // A two-item prescription: drugs found by typing, the first quantity suggested by the server.
    pick_drug(&doctor, "amox", amoxicillin).await;
    doctor.fill("#dose", "500 mg").await;
    choose(&doctor, "#route", "oral").await;
    choose(&doctor, "#frequency", "tds").await;
    doctor.fill("#duration_days", "5").await;
    doctor.click_in_view("#suggest-quantity").await;
    wait_for_value(&doctor, "#quantity", "15").await;
    doctor.click_in_view("#add-prescription-item").await;
    wait_for(
        &doctor,
        "#prescriptions-messages",
        |t| t.contains("Amoxicillin"),
        "the first item",
    )
    .await;
    pick_drug(&doctor, "parac", paracetamol).await;
    doctor.fill("#dose", "2 tablets").await;
    choose(&doctor, "#route", "oral").await;
    choose(&doctor, "#frequency", "prn").await;
    doctor.fill("#duration_days", "3").await;
    doctor.fill("#quantity", "12").await;
    doctor.click_in_view("#add-prescription-item").await;
    wait_for(
        &doctor,
        "#prescriptions-messages",
        |t| t.contains("Paracetamol"),
        "the second item",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM prescription_item").await, 2);

    // A lab order, then the lab attendant's result reaches the doctor's open screen live.
    doctor
        .click_in_view(&format!("#lab-tests input[value='{haemoglobin}']"))
        .await;
    doctor.click_in_view("form.lab-order-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "Haemoglobin").await;
    let Some(lab) = Browser::start(1366, 900, &format!("{backend}-desktop-consult-lab")).await else {
        return;
    };
    lab.log_in(&app, "lab.bisi", PASSWORD, "/lab").await;
    lab.click_live("#worklist-rows a").await;
    lab.fill("#value", "11.4").await;
    lab.click("#result-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "11.4 g/dL").await;
    lab.click("#release-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "Released").await;
    lab.close().await;
    assert!(still_marked(&doctor).await, "every section saved without a page reload");
    doctor.screenshot("41-consultation-diagnoses").await;
    doctor
        .client
        .execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .expect("scroll");
    doctor.screenshot("40-consultation").await;

    doctor.click("#complete-visit").await;
    doctor.wait_for_path("/queue/doctor").await;
    wait_for_text(&doctor, ".flash", "The visit is completed.").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visit WHERE status = 'completed'").await,
        1
    );

    // After 20 more visits, her chart shows the latest 20 and leads to the earlier one.
    let mut oldest_shown = 0;
    for _ in 0..20 {
        let more = new_visit(&c.doctor_a.1, amaka).await;
        c.doctor_a.1.post(&format!("/visits/{more}/complete"), &[]).await;
        if oldest_shown == 0 {
            oldest_shown = more;
        }
    }
    let chart = format!("/patients/{amaka}/chart");
    doctor.goto(&app, &chart).await;
    doctor.wait_for_path(&chart).await;
    doctor.click_in_view("a[rel=next]").await;
    doctor.wait_for_path(&format!("{chart}?before={oldest_shown}")).await;
    assert!(doctor.text("#chart-timeline").await.contains("Unspecified malaria"));
    doctor.screenshot("43-chart-earlier-visits").await;
    doctor.close().await;

    // Amaka reads her visit on her phone: the oldest of her 21, on the page of earlier ones.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-phone-consult")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.click(".tab-bar a[href='/me/visits']").await;
    phone.wait_for_path("/me/visits").await;
    phone.click_in_view("a[rel=next]").await;
    phone.wait_for_path(&format!("/me/visits?before={oldest_shown}")).await;
    assert!(phone.text("#my-visits").await.contains("Unspecified malaria"));
    assert!(phone.fits_width().await, "the earlier visits fit a phone");
    phone.screenshot("42-my-earlier-visits").await;
    phone.click(&format!("#my-visits a[href='/me/visits/{visit}']")).await;
    phone.wait_for_path(&format!("/me/visits/{visit}")).await;
    wait_for_text(&phone, "#my-diagnoses", "Unspecified malaria").await;
    wait_for_text(&phone, "#my-medicines", "three times a day").await;
    wait_for_text(&phone, "#my-results", "11.4 g/dL").await;
    assert!(phone.fits_width().await, "the visit fits a phone");
    phone.screenshot("42-my-visit").await;
    phone.close().await;
}
