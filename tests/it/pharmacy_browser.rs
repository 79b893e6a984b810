//! Dispensing in headless Chromium: the pharmacist finds the prescription on the live worklist, sees it split
//! across two batches (the earlier expiry first, the expired batch left out), dispenses it, prints a label;
//! the student's phone shows the prescription dispensed.

use fantoccini::Locator;
use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::pharmacy::add_batch;
use crate::prescriptions::{PATIENTS, form_id, item, set_up};
use crate::prescriptions_browser::wait_for;
use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, on_both_databases};

on_both_databases!(a_pharmacist_dispenses_across_two_batches_and_the_phone_shows_it);

async fn a_pharmacist_dispenses_across_two_batches_and_the_phone_shows_it(app: TestApp) {
    let rx = set_up(&app).await;
    // Paracetamol: 1,000 expiring in a year from the set-up; 8 more that expire sooner go first.
    let soon = add_batch(&app, rx.paracetamol, 8, 20).await;
    let id = form_id(&rx.doctor, rx.visit).await;
    let paracetamol = rx.paracetamol.to_string();
    let mut fields = item(&paracetamol, "2 tablets", "oral", "tds", "3", "18");
    fields.push(("form_id", &id));
    let added = rx
        .doctor
        .post(&format!("/visits/{}/prescription/items", rx.visit), &fields)
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    app.create_staff("pharm.bisi", Role::Pharmacist, false).await;

    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-dispense")).await else {
        return;
    };
    desk.log_in(&app, "pharm.bisi", PASSWORD, "/pharmacy").await;
    desk.screenshot("70-pharmacy-home").await;
    desk.goto(&app, "/pharmacy/prescriptions").await;
    wait_for(&desk, "#worklist-rows", |t| t.contains("Chidi"), "the prescription").await;
    wait_for(&desk, "#worklist-status", |t| t.contains("Live"), "the live stream").await;
    desk.screenshot("71-pharmacy-worklist").await;
    desk.click("#worklist-rows a").await;
    wait_for(
        &desk,
        "#dispense-form",
        |t| t.contains("Paracetamol"),
        "the dispense page",
    )
    .await;
    let takes = desk.client.find_all(Locator::Css("tr.take")).await.expect("takes");
    let mut split = Vec::new();
    for take in &takes {
        split.push(take.text().await.expect("text"));
    }
    assert_eq!(split.len(), 2, "{split:?}");
    assert!(
        split[0].contains(&format!("B{}-20", rx.paracetamol)) && split[0].ends_with('8'),
        "{split:?}"
    );
    assert!(split[1].ends_with("10"), "{split:?}");
    desk.screenshot("72-pharmacy-dispense").await;
    desk.click("#dispense-form button[type=submit]").await;
    wait_for(&desk, "#rx-status", |t| t == "Dispensed", "dispensed").await;
    assert_eq!(
        app.count(&format!("SELECT quantity FROM drug_batch WHERE id = {soon}"))
            .await,
        0,
        "the earlier batch is emptied"
    );
    let label = desk
        .client
        .find(Locator::Css("a[href$='/label']"))
        .await
        .expect("the label link")
        .attr("href")
        .await
        .expect("href")
        .expect("a label address");
    desk.goto(&app, &label).await;
    wait_for(
        &desk,
        ".drug-label",
        |t| t.contains("Paracetamol 500 mg tablet × 18"),
        "the label",
    )
    .await;
    let size = desk.page_size().await;
    assert_eq!(size.as_deref(), Some("80mm 50mm"), "the label prints on a label");
    desk.screenshot("76-pharmacy-label").await;

    // The drug's stock page shows the emptied batch gone and the dispense in its ledger; the shelf's count sheet.
    desk.goto(&app, &format!("/pharmacy/drugs/{}/stock", rx.paracetamol))
        .await;
    wait_for(
        &desk,
        "#ledger",
        |t| t.contains("Dispensed") && t.contains("-10"),
        "the ledger",
    )
    .await;
    desk.screenshot("74-pharmacy-stock").await;
    desk.goto(&app, "/pharmacy/counts?shelf=A1").await;
    wait_for(&desk, "#count-form", |t| t.contains("Paracetamol"), "the count sheet").await;
    desk.screenshot("75-pharmacy-count").await;
    desk.close().await;

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-dispensed-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.goto(&app, &format!("/me/visits/{}/prescription", rx.visit)).await;
    wait_for(&phone, ".item-progress", |t| t.contains("Dispensed"), "dispensed").await;
    assert!(phone.fits_width().await, "the prescription fits a phone");
    phone.screenshot("73-dispensed-phone").await;
    phone.close().await;
}
