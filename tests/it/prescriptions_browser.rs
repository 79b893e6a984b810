//! Prescribing in headless Chromium: the doctor finds drugs as they type, lets the server suggest a quantity
//! and adds two items without a page reload; the printable prescription at A5, and the patient's own on a
//! phone.

use std::time::Duration;

use fantoccini::Locator;

use reqwest::StatusCode;
use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::browser::Browser;
use crate::prescriptions::{PATIENTS, add, add_drug_in, item, set_up};
use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    a_doctor_adds_two_items_without_a_reload_and_prints_at_a5,
    a_dose_that_does_not_fit_is_refused_and_the_pharmacist_sees_the_allergies,
);

pub(crate) async fn wait_for(b: &Browser, css: &str, what: impl Fn(&str) -> bool, describe: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = b.client.find(Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if what(&last) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {describe}; last {last:?}");
}

/// The value of a field, or nothing while the section is being swapped.
async fn value_of(b: &Browser, css: &str) -> String {
    match b.client.find(Locator::Css(css)).await {
        Ok(element) => element.prop("value").await.ok().flatten().unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub(crate) async fn wait_for_value(b: &Browser, css: &str, expected: &str) {
    for _ in 0..100 {
        if value_of(b, css).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never held {expected:?}; it holds {:?}", value_of(b, css).await);
}

pub(crate) async fn choose(b: &Browser, css: &str, value: &str) {
    let select = b.element(css).await;
    select.select_by_value(value).await.expect("choose");
}

async fn count(b: &Browser, css: &str) -> usize {
    b.client
        .find_all(Locator::Css(css))
        .await
        .map(|all| all.len())
        .unwrap_or(0)
}

/// Opens the prescription's form if it is folded ("Add a medicine"), types into the drug search, waits for
/// `drug` among the matches and picks it.
pub(crate) async fn pick_drug(b: &Browser, typed: &str, drug: i64) {
    let folded = "#prescriptions details.fold:not([open]) > summary";
    if count(b, folded).await > 0 {
        b.click_in_view(folded).await;
    }
    b.fill("#drug_q", typed).await;
    let radio = format!("#drug-matches input[value='{drug}']");
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&radio))
        .await
        .expect("the drug among the matches");
    b.click_in_view(&radio).await;
}

async fn a_doctor_adds_two_items_without_a_reload_and_prints_at_a5(app: TestApp) {
    let rx = set_up(&app).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-prescribe")).await else {
        return;
    };
    desk.log_in(&app, "dr.eze", PASSWORD, "/doctor").await;
    desk.goto(&app, &format!("/visits/{}", rx.visit)).await;
    desk.client
        .execute("window.sickbayMark = 'same page'; return true;", vec![])
        .await
        .expect("mark");

    // First item: found by typing, quantity suggested by the server.
    pick_drug(&desk, "amox", rx.amoxicillin).await;
    wait_for(&desk, "#drug-matches", |t| t.contains("120 in stock"), "the stock").await;
    desk.fill("#dose", "500 mg").await;
    choose(&desk, "#route", "oral").await;
    choose(&desk, "#frequency", "tds").await;
    desk.fill("#duration_days", "5").await;
    desk.click_in_view("#suggest-quantity").await;
    wait_for_value(&desk, "#quantity", "15").await;
    desk.screenshot("59-prescription-form").await;
    desk.click_in_view("#add-prescription-item").await;
    wait_for(
        &desk,
        "#prescriptions-messages",
        |t| t.contains("Amoxicillin 500 mg capsule added"),
        "the notice",
    )
    .await;

    // Second item, quantity typed.
    pick_drug(&desk, "parac", rx.paracetamol).await;
    desk.fill("#dose", "2 tablets").await;
    choose(&desk, "#route", "oral").await;
    choose(&desk, "#frequency", "prn").await;
    desk.fill("#duration_days", "3").await;
    desk.fill("#quantity", "12").await;
    desk.fill("#instructions", "For pain or fever; no more than 8 tablets a day.")
        .await;
    desk.click_in_view("#add-prescription-item").await;
    wait_for(
        &desk,
        "#prescriptions-messages",
        |t| t.contains("Paracetamol 500 mg tablet added"),
        "the notice",
    )
    .await;
    assert_eq!(count(&desk, "#prescription-items li").await, 2);
    assert!(
        desk.text("#prescription-items")
            .await
            .contains("500 mg by mouth three times a day for 5 days (15 in all)")
    );
    let mark = desk
        .client
        .execute("return window.sickbayMark || null;", vec![])
        .await
        .expect("read mark");
    assert_eq!(mark.as_str(), Some("same page"), "no page reload");
    assert_eq!(desk.path().await, format!("/visits/{}", rx.visit));
    assert_eq!(app.count("SELECT COUNT(*) FROM prescription_item").await, 2);
    desk.click_in_view("#prescriptions-heading").await;
    desk.screenshot("60-consultation-prescription").await;
    desk.close().await;

    // The printable prescription on a sheet of A5 (148 × 210 mm at 96 px per inch).
    let Some(a5) = Browser::start(560, 794, &format!("{backend}-prescription-a5")).await else {
        return;
    };
    a5.log_in(&app, "dr.eze", PASSWORD, "/doctor").await;
    a5.goto(&app, &format!("/visits/{}/prescription", rx.visit)).await;
    wait_for(&a5, ".rx-print-items", |t| t.contains("three times a day"), "the items").await;
    let size = a5.page_size().await;
    assert_eq!(
        size.map(|size| size.to_lowercase()).as_deref(),
        Some("a5"),
        "the print stylesheet sets an A5 page"
    );
    assert!(a5.fits_width().await);
    a5.screenshot("61-prescription-print").await;
    a5.close().await;

    // The patient reads it on the phone.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-prescription-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.goto(&app, &format!("/me/visits/{}/prescription", rx.visit)).await;
    wait_for(&phone, ".rx-print-items", |t| t.contains("when needed"), "the items").await;
    assert!(phone.fits_width().await, "the prescription fits a phone");
    phone.screenshot("62-prescription-phone").await;
    phone.close().await;
}

/// The doctor types "2 tablets" for a syrup: the message stands beside the dose, swapped in place; Suggest
/// gives the syrup's bottles. The pharmacist then sees the patient's allergies and the doctor's reason for an
/// item prescribed despite one, on the dispense page at a desk and on the printed prescription (issue 35,
/// items 12 and 13).
async fn a_dose_that_does_not_fit_is_refused_and_the_pharmacist_sees_the_allergies(app: TestApp) {
    let rx = set_up(&app).await;
    let v = rx.visit;
    let syrup = add_drug_in(&app, "Calpol", DrugForm::Syrup, "120 mg/5 ml", "100 ml bottle").await;
    sqlx::query("UPDATE patient SET allergies = 'Penicillins (rash as a child)' WHERE id = $1")
        .bind(rx.patient)
        .execute(app.db().pool())
        .await
        .expect("allergies");
    let amox = rx.amoxicillin.to_string();
    let reason = "Tolerated amoxicillin in March; the rash was to cloxacillin.";
    let mut overridden = item(&amox, "500 mg", "oral", "tds", "5", "15");
    overridden.extend([("allergy_ack", "1"), ("allergy_reason", reason)]);
    add(&rx.doctor, v, &overridden)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-dose-and-allergies")).await else {
        return;
    };
    desk.log_in(&app, "dr.eze", PASSWORD, "/doctor").await;
    desk.goto(&app, &format!("/visits/{v}")).await;
    pick_drug(&desk, "calpol", syrup).await;
    desk.fill("#dose", "2 tablets").await;
    choose(&desk, "#route", "oral").await;
    choose(&desk, "#frequency", "tds").await;
    desk.fill("#duration_days", "3").await;
    desk.fill("#quantity", "18").await;
    desk.click_in_view("#add-prescription-item").await;
    wait_for(
        &desk,
        "#dose-error",
        |t| t.contains("A syrup is measured in ml, not in tablets"),
        "the message",
    )
    .await;
    assert_eq!(desk.path().await, format!("/visits/{v}"));
    desk.click_in_view("#dose").await;
    desk.screenshot("63-dose-refused").await;
    desk.fill("#dose", "5 ml").await;
    desk.fill("#duration_days", "5").await;
    desk.click_in_view("#suggest-quantity").await;
    wait_for_value(&desk, "#quantity", "1").await;
    wait_for(
        &desk,
        "#quantity-help",
        |t| t.contains("75 ml for the course"),
        "how it was worked out",
    )
    .await;
    desk.click_in_view("#add-prescription-item").await;
    wait_for(
        &desk,
        "#prescriptions-messages",
        |t| t.contains("Calpol 120 mg/5 ml syrup added"),
        "the notice",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM prescription_item").await, 2);
    desk.close().await;

    app.create_staff("pharm", Role::Pharmacist, false).await;
    let id = app
        .count(&format!("SELECT id FROM prescription WHERE visit_id = {v}"))
        .await;
    let Some(pharmacy) = Browser::start(1366, 900, &format!("{backend}-dispense-allergies")).await else {
        return;
    };
    pharmacy.log_in(&app, "pharm", PASSWORD, "/pharmacy").await;
    pharmacy.goto(&app, &format!("/pharmacy/prescriptions/{id}")).await;
    wait_for(
        &pharmacy,
        "#rx-allergies",
        |t| t == "Penicillins (rash as a child)",
        "the allergies",
    )
    .await;
    wait_for(
        &pharmacy,
        "#dispense-form .rx-override",
        |t| t.contains(reason),
        "the reason",
    )
    .await;
    // Both in the first screen, with the first item and its quantity.
    let in_first_screen = pharmacy
        .client
        .execute(
            "const bottom = (css) => document.querySelector(css).getBoundingClientRect().bottom; \
             return [bottom('#rx-allergies'), bottom('.rx-override'), bottom('#dispense-form input[name^=quantity_]')]\
               .every((b) => b <= window.innerHeight);",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        in_first_screen.as_bool(),
        Some(true),
        "allergies and the reason in the first screen"
    );
    assert!(pharmacy.fits_width().await);
    pharmacy.screenshot("64-dispense-allergies").await;
    pharmacy.goto(&app, &format!("/visits/{v}/prescription")).await;
    wait_for(
        &pharmacy,
        ".rx-facts #rx-allergies",
        |t| t.contains("Penicillins"),
        "the allergies",
    )
    .await;
    wait_for(&pharmacy, ".rx-print-items", |t| t.contains(reason), "the reason").await;
    pharmacy.screenshot("65-prescription-print-allergies").await;
    pharmacy.close().await;
}
