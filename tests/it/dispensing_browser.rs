//! A deliberate partial dispense in headless Chromium, at 1366 px and 360 px: the pharmacist gives less than
//! offered, the page shows the plan for it as a normal step (no error), and Dispense gives it.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::pharmacy::add_batch;
use crate::prescriptions::{form_id, item, open_visit, set_up};
use crate::prescriptions_browser::wait_for;
use crate::support::{Client, PASSWORD, TestApp, on_both_databases};

on_both_databases!(giving_less_than_offered_shows_the_plan_for_it_then_gives_it);

/// Prescribes 20 amoxicillin capsules and 18 paracetamol tablets in the visit; the paracetamol item's id.
async fn prescribe(app: &TestApp, doctor: &Client, visit: i64, amoxicillin: i64, paracetamol: i64) -> i64 {
    for (drug, dose, quantity) in [(amoxicillin, "1 capsule", "20"), (paracetamol, "2 tablets", "18")] {
        let once = form_id(doctor, visit).await;
        let drug = drug.to_string();
        let mut fields = item(&drug, dose, "oral", "tds", "3", quantity);
        fields.push(("form_id", &once));
        let added = doctor
            .post(&format!("/visits/{visit}/prescription/items"), &fields)
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    app.count(&format!(
        "SELECT i.id FROM prescription_item i JOIN prescription p ON p.id = i.prescription_id
         WHERE p.visit_id = {visit} AND i.drug_id = {paracetamol}"
    ))
    .await
}

/// At one window size: the pharmacist types 10 of the 18 paracetamol owed, sees the plan for it announced as a
/// step (no error banner), screenshots it, and confirms; 10 are given, 8 stay owed.
async fn give_part(app: &TestApp, browser: &Browser, visit: i64, item: i64) {
    let rx = app
        .count(&format!("SELECT id FROM prescription WHERE visit_id = {visit}"))
        .await;
    browser.goto(app, &format!("/pharmacy/prescriptions/{rx}")).await;
    let field = format!("#quantity_{item}");
    wait_for(
        browser,
        "#dispense-form",
        |t| t.contains("Paracetamol"),
        "the dispense page",
    )
    .await;
    browser.fill(&field, "10").await;
    browser.click("#dispense-form button[type=submit]").await;
    wait_for(
        browser,
        "#dispense-note",
        |t| t.contains("plan for the quantities you typed"),
        "the plan for the quantities typed",
    )
    .await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("#dispense-problem"))
            .await
            .is_err(),
        "no error banner for a plan the pharmacist asked for"
    );
    let units = browser.text(&format!("tr.take[data-item=\"{item}\"] td.units")).await;
    assert_eq!(units.trim(), "10", "the plan gives what was typed");
    assert!(browser.fits_width().await, "the dispense page fits the window");
    let plans_fit = browser
        .client
        .execute(
            "return [...document.querySelectorAll('table.plan')]
               .every(t => t.getBoundingClientRect().right <= t.parentElement.getBoundingClientRect().right + 1);",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(plans_fit.as_bool(), Some(true), "each plan fits its item's box");
    browser.screenshot("94-dispense-partial-plan").await;
    browser
        .client
        .execute(
            &format!("document.querySelector('#item-{item}').scrollIntoView({{block: 'center'}}); return true;"),
            vec![],
        )
        .await
        .expect("scroll to the item");
    browser.screenshot("94-dispense-partial-plan-item").await;
    assert_eq!(
        app.count(&format!(
            "SELECT dispensed_quantity FROM prescription_item WHERE id = {item}"
        ))
        .await,
        0,
        "nothing given before the plan is confirmed"
    );

    browser.click("#dispense-form button[type=submit]").await;
    wait_for(browser, "#rx-status", |t| t == "Partly dispensed", "partly dispensed").await;
    assert_eq!(
        app.count(&format!(
            "SELECT dispensed_quantity FROM prescription_item WHERE id = {item}"
        ))
        .await,
        10
    );
    browser.screenshot("95-dispense-partial-done").await;
}

async fn giving_less_than_offered_shows_the_plan_for_it_then_gives_it(app: TestApp) {
    let rx = set_up(&app).await;
    add_batch(&app, rx.amoxicillin, 100, 400).await;
    let desk_item = prescribe(&app, &rx.doctor, rx.visit, rx.amoxicillin, rx.paracetamol).await;
    let other_visit = open_visit(&rx.doctor, rx.other_patient).await;
    let phone_item = prescribe(&app, &rx.doctor, other_visit, rx.amoxicillin, rx.paracetamol).await;
    app.create_staff("pharm.tunde", Role::Pharmacist, false).await;

    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-dispense-partial")).await else {
        return;
    };
    desk.log_in(&app, "pharm.tunde", PASSWORD, "/pharmacy").await;
    give_part(&app, &desk, rx.visit, desk_item).await;
    desk.close().await;

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-dispense-partial-phone")).await else {
        return;
    };
    phone.log_in(&app, "pharm.tunde", PASSWORD, "/pharmacy").await;
    give_part(&app, &phone, other_visit, phone_item).await;
    phone.close().await;
}
