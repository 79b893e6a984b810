//! The lab: the test catalogue (admins), orders in a visit (its doctor only), the lab's worklist, results
//! flagged against the range of the patient's sex, release (once), vitals from the lab, health records, the
//! live streams, and what a lab attendant and a patient may never see.

use std::time::Duration;

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::support::{Client, EventStream, Page, Students, TestApp, doctor, on_both_databases};

on_both_databases!(
    the_catalogue_is_kept_by_admins_with_clear_messages,
    only_the_visits_doctor_orders_and_cancels_while_it_is_open,
    the_lab_records_flags_corrects_and_releases_results_once,
    the_lab_marks_a_sample_taken_once_and_the_doctor_sees_it,
    a_patient_reads_only_released_results,
    lab_attendants_never_see_the_consultation,
    every_lab_route_refuses_the_wrong_roles,
    the_lab_records_vitals_of_an_open_visit,
    the_lab_takes_vitals_of_a_patient_with_a_doctor_without_an_order,
    health_records_are_kept_by_the_lab_and_read_by_doctors,
    results_and_orders_are_pushed_live,
    the_worklist_shows_the_oldest_orders_and_counts_the_rest,
    the_worklist_shows_the_tests_to_take_or_the_results_to_release,
    numbers_after_empty_values_are_saved_on_reused_connections,
    a_word_result_is_chosen_from_the_tests_answers,
    a_visits_results_are_typed_and_released_on_one_page,
    two_hands_saving_one_visits_results_write_each_once,
    a_result_saved_meanwhile_is_not_replaced_unseen,
    where_the_doctor_releases_the_patient_reads_a_result_after_the_doctor,
    an_abnormal_result_waits_for_the_doctor_and_a_normal_one_goes_with_the_lab,
    a_result_corrected_to_abnormal_while_released_is_never_sent_unseen,
    a_number_far_outside_its_range_is_saved_only_once_confirmed,
    a_critical_result_is_phoned_to_the_doctor_and_waits_for_them,
    a_patient_of_no_recorded_sex_is_read_against_both_ranges_together,
);

const WAIT: Duration = Duration::from_secs(10);

/// The patients of the lab tests: LB/26/0000, ...
pub(crate) const PATIENTS: Students = Students::new("LB", "Labtest");

/// Adds a test on the admin's page with these fields over the defaults (a blood test with a range).
pub(crate) async fn add_test(admin: &Client, fields: &[(&str, &str)]) -> Page {
    let mut all: Vec<(&str, &str)> = vec![
        ("name", "Haemoglobin"),
        ("specimen", "Blood"),
        ("unit", "g/dL"),
        ("male_low", "13"),
        ("male_high", "17"),
        ("female_low", "12"),
        ("female_high", "15"),
        ("price", "1500"),
        ("active", "1"),
        ("about", "How much of the protein that carries oxygen is in your blood."),
    ];
    for (name, value) in fields {
        match all.iter_mut().find(|(n, _)| n == name) {
            Some(pair) => pair.1 = value,
            None => all.push((name, value)),
        }
    }
    admin.post("/admin/lab-tests", &all).await
}

/// The visit's doctor orders `test`; the order's id.
pub(crate) async fn order(app: &TestApp, doctor: &Client, visit: i64, test: i64) -> i64 {
    doctor
        .post(
            &format!("/visits/{visit}/lab/orders"),
            &[("test_id", &test.to_string())],
        )
        .await
        .assert_redirect(&format!("/visits/{visit}#lab"));
    app.count(&format!(
        "SELECT id FROM lab_order WHERE visit_id = {visit} AND test_id = {test} AND status <> 'cancelled'"
    ))
    .await
}

async fn test_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM lab_test WHERE name = $1")
        .bind(name)
        .fetch_one(app.db().pool())
        .await
        .expect("lab test")
}

/// The doctor's "New visit" on the patient's record; the visit's id.
pub(crate) async fn open_visit(doctor: &Client, patient: i64) -> i64 {
    let page = doctor.post(&format!("/patients/{patient}/visits"), &[]).await;
    let location = page.location().expect("a redirect to the visit").to_owned();
    location
        .strip_prefix("/visits/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a visit: {location}"))
}

async fn order_ids(app: &TestApp, visit: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM lab_order WHERE visit_id = $1 AND status <> 'cancelled' ORDER BY id")
        .bind(visit)
        .fetch_all(app.db().pool())
        .await
        .expect("orders")
}

async fn order_status(app: &TestApp, order: i64) -> String {
    sqlx::query_scalar("SELECT status FROM lab_order WHERE id = $1")
        .bind(order)
        .fetch_one(app.db().pool())
        .await
        .expect("status")
}

/// An admin with a catalogue (haemoglobin with ranges by sex, malaria parasite read in words), a doctor with
/// an open visit of a male patient, and a lab attendant.
pub(crate) struct Lab {
    pub admin: Client,
    pub doctor: (i64, Client),
    pub lab: Client,
    pub patient: i64,
    pub visit: i64,
    pub hb: i64,
    pub mp: i64,
}

pub(crate) async fn lab(app: &TestApp) -> Lab {
    let admin = app.admin().await;
    add_test(&admin, &[]).await.assert_redirect("/admin/lab-tests");
    add_test(
        &admin,
        &[
            ("name", "Malaria parasite"),
            ("specimen", "Blood film"),
            ("unit", ""),
            ("male_low", ""),
            ("male_high", ""),
            ("female_low", ""),
            ("female_high", ""),
            ("price", "1000"),
        ],
    )
    .await
    .assert_redirect("/admin/lab-tests");
    let patient = PATIENTS.named(app, &["Tunde"]).await[0];
    sqlx::query("UPDATE patient SET sex = 'male' WHERE id = $1")
        .bind(patient)
        .execute(app.db().pool())
        .await
        .expect("sex");
    let doctor = doctor(app, "dr.okafor").await;
    let visit = open_visit(&doctor.1, patient).await;
    Lab {
        admin,
        doctor,
        lab: app.login_as("lab.ade", Role::Lab).await,
        patient,
        visit,
        hb: test_id(app, "Haemoglobin").await,
        mp: test_id(app, "Malaria parasite").await,
    }
}

/// The doctor orders both tests of the catalogue; the orders' ids (haemoglobin, malaria).
async fn order_both(app: &TestApp, l: &Lab) -> (i64, i64) {
    let (hb, mp) = (l.hb.to_string(), l.mp.to_string());
    l.doctor
        .1
        .post(
            &format!("/visits/{}/lab/orders", l.visit),
            &[("test_id", &hb), ("test_id", &mp), ("note", "Fever for 3 days")],
        )
        .await
        .assert_redirect(&format!("/visits/{}#lab", l.visit));
    let ids = order_ids(app, l.visit).await;
    assert_eq!(ids.len(), 2);
    (ids[0], ids[1])
}

async fn the_catalogue_is_kept_by_admins_with_clear_messages(app: TestApp) {
    let admin = app.admin().await;
    let page = admin.get("/admin/lab-tests").await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#no-tests"));
    let form_id = page
        .attr("#add-lab-test input[name=form_id]", "value")
        .expect("form id");
    // The same form sent twice adds one test.
    for _ in 0..2 {
        add_test(&admin, &[("form_id", &form_id), ("price", "1,500.50")])
            .await
            .assert_redirect("/admin/lab-tests");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM lab_test").await, 1);
    assert_eq!(app.count("SELECT price FROM lab_test").await, 150_050);
    let page = admin.get("/admin/lab-tests").await;
    assert_eq!(page.text("#lab-tests tbody th"), "Haemoglobin");
    assert!(page.text("#lab-tests tbody").contains("13–17"));

    // A name taken in another case, bad ranges and a bad price: 422 with a message beside each field.
    let refused = add_test(&admin, &[("name", "HAEMOGLOBIN")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#name-error")
            .contains("Another test already has this name")
    );
    assert_eq!(refused.attr("#name", "value").as_deref(), Some("HAEMOGLOBIN"));
    let refused = add_test(
        &admin,
        &[
            ("name", "Platelets"),
            ("specimen", ""),
            ("male_low", "abc"),
            ("female_low", "20"),
            ("female_high", "10"),
            ("price", "12.345"),
        ],
    )
    .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("#specimen-error"), "The specimen is required.");
    assert!(refused.text("#male_low-error").contains("Write a number"));
    assert_eq!(
        refused.text("#female_high-error"),
        "The high end of the range must not be below the low end."
    );
    assert!(refused.text("#price-error").contains("Write the price as an amount"));
    assert_eq!(app.count("SELECT COUNT(*) FROM lab_test").await, 1);

    // Editing: the form shows the test; a bad change is refused, a good one saved (and audited).
    let id = test_id(&app, "Haemoglobin").await;
    let page = admin.get(&format!("/admin/lab-tests/{id}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.attr("#male_high", "value").as_deref(), Some("17"));
    assert_eq!(page.attr("#price", "value").as_deref(), Some("1500.50"));
    let path = format!("/admin/lab-tests/{id}");
    let edit = |fields: Vec<(&'static str, &'static str)>| {
        let admin = &admin;
        let path = path.clone();
        async move { admin.post(&path, &fields).await }
    };
    edit(vec![("name", "Hb"), ("specimen", "Blood"), ("male_low", "x")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    edit(vec![
        ("name", "Hb"),
        ("specimen", "Blood (EDTA)"),
        ("unit", "g/dL"),
        ("male_low", "13.5"),
        ("price", "2000"),
    ])
    .await
    .assert_redirect("/admin/lab-tests");
    let (name, low, high, active): (String, Option<f64>, Option<f64>, i64) =
        sqlx::query_as("SELECT name, male_low, male_high, active FROM lab_test WHERE id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), low, high, active), ("Hb", Some(13.5), None, 0));
    assert_eq!(app.audits("lab_test.update").await, 1);
    admin
        .get("/admin/lab-tests/999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .post("/admin/lab-tests/999", &[("name", "X"), ("specimen", "Y")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn only_the_visits_doctor_orders_and_cancels_while_it_is_open(app: TestApp) {
    let l = lab(&app).await;
    let visit_path = format!("/visits/{}", l.visit);
    let page = l.doctor.1.get(&visit_path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#lab #no-lab-orders"));
    assert_eq!(page.texts("#lab-tests label").len(), 2);
    assert_eq!(
        page.attr("#lab-orders", "sse-connect"),
        Some(format!("/visits/{}/lab/events", l.visit))
    );

    // Nothing chosen: a message beside the tests.
    let orders = format!("/visits/{}/lab/orders", l.visit);
    let refused = l.doctor.1.post(&orders, &[("note", "x")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("#test_id-error"), "Choose at least one test to order.");
    assert_eq!(refused.text("#lab-note"), "x");

    let hb = l.hb.to_string();
    // Another doctor, the pharmacist and the lab may not order in this visit.
    let (_, other) = doctor(&app, "dr.bello").await;
    other
        .post(&orders, &[("test_id", &hb)])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    pharmacist
        .post(&orders, &[("test_id", &hb)])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    l.lab
        .post(&orders, &[("test_id", &hb)])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(order_ids(&app, l.visit).await.len(), 0);
    // An unknown test id is refused, not a 500.
    l.doctor
        .1
        .post(&orders, &[("test_id", "999")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    l.doctor
        .1
        .post(&orders, &[("test_id", "abc")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    let (hb_order, _) = order_both(&app, &l).await;
    let page = l.doctor.1.get(&visit_path).await;
    assert_eq!(page.texts("#lab-order-list > li").len(), 2);
    assert!(page.text("#lab-order-list").contains("Fever for 3 days"));
    // Both tests are ordered: nothing left to tick.
    assert!(page.has("#no-tests"));
    // A test ordered already is refused with its name.
    let refused = l.doctor.1.post(&orders, &[("test_id", &hb)]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#test_id-error"),
        "Haemoglobin is already ordered in this visit."
    );
    let hb_cancel = format!("/visits/{}/lab/orders/{hb_order}/cancel", l.visit);
    // Cancelling asks first (the page without JavaScript), then cancels; the test may then be ordered again.
    let confirm = l.doctor.1.get(&hb_cancel).await;
    confirm.assert_status(StatusCode::OK);
    assert_eq!(confirm.text("#confirm-submit"), "Cancel Haemoglobin");
    other.post(&hb_cancel, &[]).await.assert_status(StatusCode::FORBIDDEN);
    l.doctor
        .1
        .post(&hb_cancel, &[])
        .await
        .assert_redirect(&format!("{visit_path}#lab"));
    assert_eq!(order_status(&app, hb_order).await, "cancelled");
    l.doctor
        .1
        .post(&hb_cancel, &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    // With htmx an order answers the section to swap in.
    let token = l.doctor.1.csrf_token().await;
    let again = l
        .doctor
        .1
        .post_with_headers(
            &orders,
            &[("test_id", &hb)],
            &[("hx-request", "true"), ("x-csrf-token", &token)],
        )
        .await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.texts("#lab #lab-order-list > li").len(), 2);
    assert_eq!(app.audits("lab_order.create").await, 3);
    // An order that is not the visit's: none there.
    l.doctor
        .1
        .post(&format!("/visits/{}/lab/orders/999/cancel", l.visit), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // A completed visit takes no more orders.
    l.doctor
        .1
        .post(&format!("{visit_path}/complete"), &[])
        .await
        .assert_redirect("/queue/doctor");
    let late = l.doctor.1.post(&orders, &[("test_id", &l.mp.to_string())]).await;
    late.assert_status(StatusCode::CONFLICT);
    let page = l.doctor.1.get(&visit_path).await;
    assert!(!page.has("#lab form.lab-order-form"));
    assert!(!page.has("#lab .confirm-form"));
}

async fn the_lab_records_flags_corrects_and_releases_results_once(app: TestApp) {
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    // The worklist: oldest first, with the patient, sex, test, specimen and doctor.
    let page = l.lab.get("/lab").await;
    page.assert_status(StatusCode::OK);
    let rows = page.texts("#worklist-rows tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("Tunde Labtest") && rows[0].contains("Haemoglobin") && rows[0].contains("Male"));
    assert!(
        rows[0].contains("Blood") && rows[0].contains("Test dr.okafor"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("Malaria parasite"));

    let path = format!("/lab/orders/{hb}");
    let page = l.lab.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("#value-help").contains("13–17"),
        "{}",
        page.text("#value-help")
    );
    assert!(page.text("#order-note").contains("Fever for 3 days"));
    assert!(!page.has("#release-form"));
    // Words for a test read as a number: refused with a message.
    let refused = l.lab.post(&format!("{path}/result"), &[("value", "low")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#value-error"),
        "Haemoglobin is read as a number, such as 13.5."
    );
    // Releasing before a result: refused.
    l.lab
        .post(&format!("{path}/release"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);

    l.lab
        .post(
            &format!("{path}/result"),
            &[("value", "12.1"), ("comment", "Repeat in a month")],
        )
        .await
        .assert_redirect(&path);
    let (status, value, unit, low, high, flag): (String, String, String, f64, f64, String) = sqlx::query_as(
        "SELECT status, result_value, result_unit, range_low, range_high, flag FROM lab_order WHERE id = $1",
    )
    .bind(hb)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), value.as_str(), unit.as_str(), low, high, flag.as_str()),
        ("resulted", "12.1", "g/dL", 13.0, 17.0, "low")
    );
    let page = l.lab.get(&path).await;
    assert_eq!(page.text("#current-result .lab-flag"), "Low");
    // A correction before release is allowed, and audited as one.
    l.lab
        .post(&format!("{path}/result"), &[("value", "14.0")])
        .await
        .assert_redirect(&path);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE flag = 'normal' AND result_value = '14'")
            .await,
        1
    );
    assert_eq!(app.audits("lab_order.correct").await, 1);
    // Words, marked abnormal.
    l.lab
        .post(
            &format!("/lab/orders/{mp}/result"),
            &[("value", "Parasites seen (++)"), ("abnormal", "1")],
        )
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE flag = 'abnormal' AND result_unit = ''")
            .await,
        1
    );
    // The doctor's visit shows both results with their flags.
    let visit = l.doctor.1.get(&format!("/visits/{}", l.visit)).await;
    let list = visit.text("#lab-order-list");
    assert!(list.contains("14 g/dL") && list.contains("Normal"), "{list}");
    assert!(
        list.contains("Parasites seen (++)") && list.contains("Abnormal"),
        "{list}"
    );

    // Release: once. A second release changes nothing; the result is then read-only.
    let page = l.lab.get(&path).await;
    assert!(page.has("#release-form"));
    assert!(!page.has("#next-in-worklist"), "releasing is still to do here");
    l.lab.post(&format!("{path}/release"), &[]).await.assert_redirect(&path);
    assert_eq!(order_status(&app, hb).await, "released");
    let released_at = app
        .count(&format!("SELECT released_at FROM lab_order WHERE id = {hb}"))
        .await;
    l.lab.post(&format!("{path}/release"), &[]).await.assert_redirect(&path);
    assert_eq!(
        app.count(&format!("SELECT released_at FROM lab_order WHERE id = {hb}"))
            .await,
        released_at
    );
    assert_eq!(app.audits("lab_order.release").await, 1);
    let page = l.lab.get(&path).await;
    assert!(page.text("#messages").contains("already released"));
    assert!(!page.has("#result-form") && !page.has("#release-form"));
    assert_eq!(page.attr("#next-in-worklist", "href").as_deref(), Some("/lab"));
    l.lab
        .post(&format!("{path}/result"), &[("value", "15")])
        .await
        .assert_status(StatusCode::CONFLICT);
    // The worklist keeps what is not released yet.
    let rows = l.lab.get("/lab").await.texts("#worklist-rows tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("Malaria parasite") && rows[0].contains("Resulted"));
    l.lab.get("/lab/orders/999").await.assert_status(StatusCode::NOT_FOUND);
}

/// A test read in words may list its answers and the normal ones: the lab chooses one (nothing else is taken),
/// and an answer outside the normal ones is flagged abnormal without marking it.
async fn a_word_result_is_chosen_from_the_tests_answers(app: TestApp) {
    let l = lab(&app).await;
    let catalogue = format!("/admin/lab-tests/{}", l.mp);
    let edit = |answers: &'static str, normal: &'static str| {
        let fields = [
            ("name", "Malaria parasite"),
            ("specimen", "Blood film"),
            ("price", "1000"),
            ("active", "1"),
            ("answers", answers),
            ("normal_answers", normal),
        ];
        let (admin, path) = (&l.admin, catalogue.clone());
        async move { admin.post(&path, &fields).await }
    };
    let refused = edit("Not seen, Seen (+)", "Negative").await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#normal_answers-error"),
        "Negative is not one of the answers."
    );
    assert_eq!(refused.attr("#answers", "value").as_deref(), Some("Not seen, Seen (+)"));
    edit("Not seen, Seen (+)", "not seen")
        .await
        .assert_redirect("/admin/lab-tests");
    let row = l
        .admin
        .get("/admin/lab-tests")
        .await
        .text(&format!("#lab-test-{}", l.mp));
    assert!(row.contains("Not seen (normal), Seen (+)"), "{row}");

    let (_, mp) = order_both(&app, &l).await;
    let path = format!("/lab/orders/{mp}");
    let page = l.lab.get(&path).await;
    let answers: Vec<String> = ["Not seen", "Seen (+)"].map(String::from).into();
    assert_eq!(page.texts("#result-answers label"), answers);
    assert!(!page.has("#value") && !page.has("#abnormal"));
    // Words that are not an answer: refused beside the choices, nothing written.
    let refused = l.lab.post(&format!("{path}/result"), &[("value", "Maybe")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("#value-error"), "Choose one of: Not seen, Seen (+).");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE id = {mp} AND result_value IS NULL"
        ))
        .await,
        1
    );
    // An answer in another case is stored as the catalogue writes it, flagged by the normal answers.
    for (sent, flag) in [("seen (+)", "abnormal"), ("Not seen", "normal")] {
        l.lab
            .post(&format!("{path}/result"), &[("value", sent)])
            .await
            .assert_redirect(&path);
        let stored: (String, String) = sqlx::query_as("SELECT result_value, flag FROM lab_order WHERE id = $1")
            .bind(mp)
            .fetch_one(app.db().pool())
            .await
            .expect("the result");
        assert_eq!(stored.1, flag, "{sent}");
        assert!(stored.0 == "Seen (+)" || stored.0 == "Not seen", "{stored:?}");
    }
    let page = l.lab.get(&path).await;
    assert_eq!(
        page.attr("#result-answers input[checked]", "value").as_deref(),
        Some("Not seen")
    );
    assert_eq!(page.text("#current-result .lab-flag"), "Normal");
}

/// A test's range and a result's number saved after empty ones, many times over: every connection of the pool
/// has then run each statement with an empty value first (PostgreSQL kept the type that empty value was bound
/// with, and refused the number after it with a 500).
async fn the_lab_marks_a_sample_taken_once_and_the_doctor_sees_it(app: TestApp) {
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    let stages = |page: &Page| page.texts("#worklist-rows tr");
    let worklist = l.lab.get("/lab").await;
    assert!(
        stages(&worklist).iter().all(|row| row.contains("Awaiting sample")),
        "{:?}",
        stages(&worklist)
    );

    let path = format!("/lab/orders/{hb}");
    let page = l.lab.get(&path).await;
    assert_eq!(page.text("#order-status"), "Awaiting sample");
    assert!(page.has("#collect-form") && !page.has("#sample-taken"));
    l.lab.post(&format!("{path}/collect"), &[]).await.assert_redirect(&path);
    let page = l.lab.get(&path).await;
    assert_eq!(page.text("#order-status"), "Sample taken");
    assert!(
        page.text("#sample-taken").contains("by Test lab.ade"),
        "{}",
        page.text("#sample-taken")
    );
    assert!(!page.has("#collect-form") && page.has("#result-form"));
    let taken = format!("SELECT collected_at FROM lab_order WHERE id = {hb}");
    let collected_at = app.count(&taken).await;

    // Twice (a double click, a second tab): nothing changes, once in the audit log.
    l.lab.post(&format!("{path}/collect"), &[]).await.assert_redirect(&path);
    assert_eq!(app.count(&taken).await, collected_at);
    let audited = "SELECT COUNT(*) FROM audit_event WHERE action = 'lab_order.collect'";
    assert_eq!(app.count(audited).await, 1);
    assert!(l.lab.get(&path).await.text("#messages").contains("already taken"));

    // The worklist and the doctor's visit say where each order stands.
    let rows = stages(&l.lab.get("/lab").await);
    assert!(
        rows[0].contains("Sample taken") && rows[1].contains("Awaiting sample"),
        "{rows:?}"
    );
    let visit = l.doctor.1.get(&format!("/visits/{}", l.visit)).await;
    let lab_section = visit.text("#lab");
    assert!(
        lab_section.contains("Sample taken") && lab_section.contains("Awaiting sample"),
        "{lab_section}"
    );

    // A result read without the sample marked first marks it taken with the result.
    l.lab
        .post(&format!("/lab/orders/{mp}/result"), &[("value", "Negative")])
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));
    let both = format!("SELECT COUNT(*) FROM lab_order WHERE id = {mp} AND collected_at = resulted_at");
    assert_eq!(app.count(&both).await, 1);
    l.lab
        .post(&format!("/lab/orders/{mp}/collect"), &[])
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));
    assert_eq!(
        app.count(audited).await,
        1,
        "a resulted order's sample was taken already"
    );

    // The doctor may still take the order back; a cancelled order takes no sample.
    l.doctor
        .1
        .post(&format!("/visits/{}/lab/orders/{hb}/cancel", l.visit), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let refused = l.lab.post(&format!("{path}/collect"), &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(refused.body.contains("cancelled by the doctor"), "{}", refused.body);
    assert_eq!(app.count(audited).await, 1);
}

async fn numbers_after_empty_values_are_saved_on_reused_connections(app: TestApp) {
    let admin = app.admin().await;
    // A test without a range, then one with a range.
    let no_range = [
        ("male_low", ""),
        ("male_high", ""),
        ("female_low", ""),
        ("female_high", ""),
    ];
    add_test(
        &admin,
        &[&[("name", "Malaria parasite"), ("unit", "")][..], &no_range[..]].concat(),
    )
    .await
    .assert_redirect("/admin/lab-tests");
    add_test(&admin, &[]).await.assert_redirect("/admin/lab-tests");
    let hb = test_id(&app, "Haemoglobin").await;
    let mp = test_id(&app, "Malaria parasite").await;
    // The range of a test saved blank and set in turn.
    let path = format!("/admin/lab-tests/{hb}");
    let set = [
        ("male_low", "13.5"),
        ("male_high", "17"),
        ("female_low", "12"),
        ("female_high", "15.5"),
    ];
    for round in 0..12 {
        let bounds = if round % 2 == 0 { &no_range } else { &set };
        let fields = [
            &[
                ("name", "Haemoglobin"),
                ("specimen", "Blood"),
                ("unit", "g/dL"),
                ("price", "1500"),
                ("active", "1"),
            ][..],
            &bounds[..],
        ]
        .concat();
        admin.post(&path, &fields).await.assert_redirect("/admin/lab-tests");
    }
    let bounds: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
        sqlx::query_as("SELECT male_low, male_high, female_low, female_high FROM lab_test WHERE id = $1")
            .bind(hb)
            .fetch_one(app.db().pool())
            .await
            .expect("bounds");
    assert_eq!(bounds, (Some(13.5), Some(17.0), Some(12.0), Some(15.5)));

    // Results in words (no range) and in numbers (a range) in turn, on orders of several visits.
    let patient = PATIENTS.named(&app, &["Kemi"]).await[0];
    sqlx::query("UPDATE patient SET sex = 'female' WHERE id = $1")
        .bind(patient)
        .execute(app.db().pool())
        .await
        .expect("sex");
    let (_, doctor) = doctor(&app, "dr.bello").await;
    let lab = app.login_as("lab.musa", Role::Lab).await;
    let mut numbers = Vec::new();
    for round in 0..4 {
        let visit = open_visit(&doctor, patient).await;
        doctor
            .post(
                &format!("/visits/{visit}/lab/orders"),
                &[("test_id", &mp.to_string()), ("test_id", &hb.to_string())],
            )
            .await
            .assert_redirect(&format!("/visits/{visit}#lab"));
        let orders = order_ids(&app, visit).await;
        for correction in 0..2 {
            let value = format!("13.{}", round * 2 + correction);
            for (order, value) in [(orders[0], "Negative"), (orders[1], value.as_str())] {
                lab.post(&format!("/lab/orders/{order}/result"), &[("value", value)])
                    .await
                    .assert_redirect(&format!("/lab/orders/{order}"));
            }
        }
        numbers.push(orders[1]);
        let completed = doctor.post(&format!("/visits/{visit}/complete"), &[]).await;
        assert!(completed.location().is_some(), "the visit is completed");
    }
    for (round, order) in numbers.into_iter().enumerate() {
        let stored: (String, Option<f64>, Option<f64>) =
            sqlx::query_as("SELECT result_value, range_low, range_high FROM lab_order WHERE id = $1")
                .bind(order)
                .fetch_one(app.db().pool())
                .await
                .expect("result");
        assert_eq!(stored, (format!("13.{}", round * 2 + 1), Some(12.0), Some(15.5)));
    }
}

async fn a_patient_reads_only_released_results(app: TestApp) {
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    let db = app.db();
    let visits = [l.visit];
    let only_released = |released: bool| async move {
        sickbay_core::lab::service::orders_of_visits(db, &visits, released)
            .await
            .expect("orders")
    };
    assert!(only_released(true).await.is_empty());
    l.lab
        .post(&format!("/lab/orders/{hb}/result"), &[("value", "18")])
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));
    l.lab
        .post(&format!("/lab/orders/{mp}/result"), &[("value", "Negative")])
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));
    // Resulted but not released: the patient sees nothing yet; the doctor sees both.
    assert!(only_released(true).await.is_empty());
    assert_eq!(only_released(false).await.len(), 2);
    l.lab
        .post(&format!("/lab/orders/{hb}/release"), &[])
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));
    let seen = only_released(true).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].test_name, "Haemoglobin");
    assert_eq!(seen[0].value_with_unit(), "18 g/dL");
    assert_eq!(seen[0].flag.map(|f| f.label()), Some("High"));
    assert_eq!(seen[0].range().label(), "13–17");
    // The doctor's bell tells of both results back; the patient's of the one released.
    let doctor_notices = l.doctor.1.get("/notices").await;
    assert_eq!(doctor_notices.texts("#notices li").len(), 2);
    assert!(doctor_notices.text("#notices").contains("Haemoglobin result for Tunde"));
    assert_eq!(doctor_notices.text("#bell .bell-count"), "2");
    // On the patient's phone: the released result in plain words, not the one still waiting for release.
    let patient = PATIENTS.client(&app, 0).await;
    let notices = patient.get("/notices").await;
    assert_eq!(notices.texts("#notices li").len(), 1);
    assert!(notices.text("#notices").contains("Your Haemoglobin result is ready"));
    // Their list of visits marks the one with a new result.
    let visits = patient.get("/me/visits").await;
    assert_eq!(visits.text(&format!("#new-results-{}", l.visit)), "New results");
    // Their list of results: the released one in the same words, new, leading to its visit.
    let results = patient.get("/me/results").await;
    results.assert_status(StatusCode::OK);
    let page = patient.get(&format!("/me/visits/{}", l.visit)).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#my-results li").len(), 1);
    assert!(
        page.text("#my-results")
            .contains("18 g/dL, higher than usual (usual 13–17)"),
        "{}",
        page.text("#my-results")
    );
    assert!(
        !page.body.contains("Negative"),
        "an unreleased result stays with the lab"
    );
    let rows = results.texts("#my-results-list li");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Haemoglobin New") && rows[0].contains("18 g/dL, higher than usual (usual 13–17)"),
        "{rows:?}"
    );
    assert_eq!(
        results.attr("#my-results-list a", "href"),
        Some(format!("/me/visits/{}#my-results", l.visit))
    );
    // Each says what its test looks for, as the catalogue puts it for patients.
    let about = "How much of the protein that carries oxygen is in your blood.";
    assert_eq!(results.text("#my-results-list .result-about"), about);
    assert_eq!(page.text("#my-results .result-about"), about);
    assert!(!results.body.contains("Negative"));
    // The malaria test, resulted but not released, is still to come: where it stands, never its value.
    let pending = results.texts("#pending-results li");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(
        pending[0].contains("Malaria parasite") && pending[0].contains("With your doctor"),
        "{pending:?}"
    );
    // A result not the usual one comes with what to do about it.
    assert!(results.text("#unusual-results").contains("Book a visit"));
    // Opened, it is no longer new: not on the list, not on the visit, not on the home's figure.
    let again = patient.get("/me/results").await.texts("#my-results-list li");
    assert!(!again[0].contains("New"), "{again:?}");
    let visits = patient.get("/me/visits").await;
    assert!(!visits.has(&format!("#new-results-{}", l.visit)));
    assert_eq!(
        patient.get("/me/summary").await.text("#my-new-results"),
        "No new results"
    );
    let others = Students::new("LR", "Labresults");
    others.named(&app, &["Wale"]).await;
    let stranger = others.client(&app, 0).await;
    let none = stranger.get("/me/results").await;
    assert!(none.has("#no-results") && !none.body.contains("Haemoglobin"));
    l.doctor.1.get("/me/results").await.assert_status(StatusCode::FORBIDDEN);
    // A patient can't reach the lab's pages or the visit's stream.
    for path in [
        format!("/lab/orders/{mp}"),
        format!("/visits/{}/lab/events", l.visit),
        format!("/patients/{}/health-records", l.patient),
        "/lab".to_owned(),
    ] {
        patient.get(&path).await.assert_status(StatusCode::FORBIDDEN);
    }
}

async fn lab_attendants_never_see_the_consultation(app: TestApp) {
    let l = lab(&app).await;
    let (hb, _) = order_both(&app, &l).await;
    l.doctor
        .1
        .post(
            &format!("/visits/{}/notes/complaint", l.visit),
            &[("body", "Confidential complaint text")],
        )
        .await
        .assert_redirect(&format!("/visits/{}#note-complaint", l.visit));
    l.doctor
        .1
        .post(
            &format!("/visits/{}/diagnoses", l.visit),
            &[("description", "Secret diagnosis words")],
        )
        .await;
    l.lab
        .get(&format!("/visits/{}", l.visit))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    l.lab
        .get(&format!("/visits/{}/lab/events", l.visit))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    for path in [
        format!("/lab/orders/{hb}"),
        "/lab".to_owned(),
        format!("/patients/{}/health-records", l.patient),
    ] {
        let page = l.lab.get(&path).await;
        page.assert_status(StatusCode::OK);
        let html = page.html().html();
        assert!(!html.contains("Confidential complaint"), "{path}");
        assert!(!html.contains("Secret diagnosis"), "{path}");
    }
}

async fn every_lab_route_refuses_the_wrong_roles(app: TestApp) {
    let l = lab(&app).await;
    let (hb, _) = order_both(&app, &l).await;
    let reception = app.login_as("desk", Role::Reception).await;
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let patient = PATIENTS.client(&app, 0).await;
    let v = l.visit;
    let p = l.patient;
    let gets = [
        (
            "/admin/lab-tests".to_owned(),
            vec![&l.lab, &l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/admin/lab-tests/{}", l.hb),
            vec![&l.lab, &l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/visits/{v}/lab/events"),
            vec![&l.lab, &reception, &pharmacist, &patient],
        ),
        (
            format!("/visits/{v}/lab/orders/{hb}/cancel"),
            vec![&l.lab, &reception, &pharmacist, &patient],
        ),
        ("/lab".to_owned(), vec![&l.doctor.1, &reception, &pharmacist, &patient]),
        (
            "/lab/events".to_owned(),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            "/lab/patients?q=Tunde".to_owned(),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/orders/{hb}"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/patients/{p}/health-records"),
            vec![&reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/visits/{v}/vitals"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/visits/{v}/results"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
    ];
    for (path, refused) in &gets {
        for client in refused {
            client.get(path).await.assert_status(StatusCode::FORBIDDEN);
        }
    }
    let posts = [
        (
            "/admin/lab-tests".to_owned(),
            vec![&l.lab, &l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/admin/lab-tests/{}", l.hb),
            vec![&l.lab, &l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/visits/{v}/lab/orders"),
            vec![&l.lab, &reception, &pharmacist, &patient],
        ),
        (
            format!("/visits/{v}/lab/orders/{hb}/cancel"),
            vec![&l.lab, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/orders/{hb}/result"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/orders/{hb}/release"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/orders/{hb}/collect"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/orders/{hb}/vitals"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/patients/{p}/health-records"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/visits/{v}/vitals"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient],
        ),
        (
            format!("/lab/visits/{v}/results"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient, &l.admin],
        ),
        (
            format!("/lab/visits/{v}/results/release"),
            vec![&l.doctor.1, &reception, &pharmacist, &patient, &l.admin],
        ),
        // Marking results seen is the ordering doctor's.
        (
            format!("/lab/orders/{hb}/seen"),
            vec![&l.lab, &reception, &pharmacist, &patient, &l.admin],
        ),
        (
            "/lab/results/seen".to_owned(),
            vec![&l.lab, &reception, &pharmacist, &patient, &l.admin],
        ),
    ];
    for (path, refused) in &posts {
        for client in refused {
            client
                .post(
                    path,
                    &[
                        ("value", "1"),
                        ("name", "X"),
                        ("outcome", "fit"),
                        ("test_id", "1"),
                        ("order", &hb.to_string()),
                    ],
                )
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    // Nothing changed.
    assert_eq!(order_status(&app, hb).await, "ordered");
    assert_eq!(app.count("SELECT COUNT(*) FROM vitals").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM health_record").await, 0);
    // Logged out: to the login page.
    let anonymous = app.client();
    let page = anonymous.get("/lab").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // The admin may look at the lab's pages.
    l.admin.get("/lab").await.assert_status(StatusCode::OK);
    l.admin
        .get(&format!("/lab/orders/{hb}"))
        .await
        .assert_status(StatusCode::OK);
    let sheet = l.admin.get(&format!("/lab/visits/{v}/results")).await;
    sheet.assert_status(StatusCode::OK);
    assert!(!sheet.has("#results-sheet button") && !sheet.has("#release-all-form"));
}

async fn the_lab_records_vitals_of_an_open_visit(app: TestApp) {
    let l = lab(&app).await;
    let (hb, _) = order_both(&app, &l).await;
    let path = format!("/lab/orders/{hb}");
    let refused = l.lab.post(&format!("{path}/vitals"), &[("temperature", "60")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#temperature-error")
            .contains("Temperature must be between")
    );
    assert_eq!(refused.attr("#temperature", "value").as_deref(), Some("60"));
    l.lab
        .post(&format!("{path}/vitals"), &[("temperature", "38.5"), ("pulse", "88")])
        .await
        .assert_redirect(&format!("{path}#vitals"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM vitals WHERE visit_id = {} AND temperature_tenths = 385",
            l.visit
        ))
        .await,
        1
    );
    let page = l.lab.get(&path).await;
    assert!(page.text("#latest-vitals").contains("38.5 °C"));
    // The doctor sees them in the visit.
    let visit = l.doctor.1.get(&format!("/visits/{}", l.visit)).await;
    assert!(visit.text("#latest-vitals").contains("38.5 °C"));
    // Once the visit is completed the lab can't add vitals to it.
    l.doctor
        .1
        .post(&format!("/visits/{}/complete", l.visit), &[])
        .await
        .assert_redirect("/queue/doctor");
    l.lab
        .post(&format!("{path}/vitals"), &[("pulse", "80")])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert!(!l.lab.get(&path).await.has("#vitals-form"));
}

/// A patient with a doctor has their vitals taken by the lab from the worklist, with no lab order.
async fn the_lab_takes_vitals_of_a_patient_with_a_doctor_without_an_order(app: TestApp) {
    let l = lab(&app).await;
    let path = format!("/lab/visits/{}/vitals", l.visit);
    let worklist = l.lab.get("/lab").await;
    assert_eq!(worklist.attr("#open-visits a", "href"), Some(path.clone()));
    assert!(worklist.text("#open-visits").contains("Tunde"));

    let page = l.lab.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#vitals-form"));
    assert!(page.text("h1").contains("Tunde"));
    assert!(
        !page.has("#notes") && !page.has("#diagnoses"),
        "no clinical record on the lab's page"
    );

    let refused = l.lab.post(&path, &[("systolic", "80"), ("diastolic", "120")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.text("#diastolic-error").is_empty());
    assert_eq!(refused.attr("#systolic", "value").as_deref(), Some("80"));
    assert_eq!(app.count("SELECT COUNT(*) FROM vitals").await, 0);

    l.lab
        .post(&path, &[("systolic", "124"), ("diastolic", "82"), ("spo2", "97")])
        .await
        .assert_redirect(&format!("{path}#vitals"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM vitals WHERE visit_id = {} AND systolic = 124",
            l.visit
        ))
        .await,
        1
    );
    assert!(l.lab.get(&path).await.text("#latest-vitals").contains("124/82 mmHg"));
    let visit = l.doctor.1.get(&format!("/visits/{}", l.visit)).await;
    assert!(visit.text("#latest-vitals").contains("124/82 mmHg"));

    // No such visit; a completed visit takes no more vitals and leaves the list.
    l.lab
        .get("/lab/visits/999999/vitals")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    l.doctor
        .1
        .post(&format!("/visits/{}/complete", l.visit), &[])
        .await
        .assert_redirect("/queue/doctor");
    l.lab
        .post(&path, &[("pulse", "80")])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM vitals").await, 1);
    assert!(!l.lab.get("/lab").await.has("#open-visits a"));
}

async fn health_records_are_kept_by_the_lab_and_read_by_doctors(app: TestApp) {
    let l = lab(&app).await;
    let path = format!("/patients/{}/health-records", l.patient);
    let page = l.lab.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#no-health-records"));
    let form_id = page
        .attr("#health-record-form input[name=form_id]", "value")
        .expect("form id");
    // No outcome, a bad reading and a bad eye test: messages beside each, what was typed kept.
    let refused = l
        .lab
        .post(
            &path,
            &[("systolic", "120"), ("eye_left", "<6/6>"), ("notes", "Wears glasses")],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("#outcome-error"), "Choose the outcome: fit or not fit.");
    assert_eq!(
        refused.text("#diastolic-error"),
        "Give both numbers of the blood pressure."
    );
    assert!(refused.has("#eye_left-error"));
    assert_eq!(refused.text("#notes"), "Wears glasses");
    assert_eq!(app.count("SELECT COUNT(*) FROM health_record").await, 0);

    // Fit, with vitals and the eye test; the same form twice saves once.
    let fit = [
        ("form_id", form_id.as_str()),
        ("systolic", "118"),
        ("diastolic", "76"),
        ("weight", "64.5"),
        ("height", "172"),
        ("eye_left", "6/6"),
        ("eye_right", "6/9"),
        ("notes", "Fit for sports.\nNo complaints."),
        ("outcome", "fit"),
    ];
    for _ in 0..2 {
        l.lab.post(&path, &fit).await.assert_redirect(&path);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM health_record").await, 1);
    l.lab
        .post(
            &path,
            &[
                ("outcome", "not_fit"),
                ("eye_left", "6/60"),
                ("notes", "Refer to the eye clinic"),
            ],
        )
        .await
        .assert_redirect(&path);
    let page = l.lab.get(&path).await;
    let records = page.texts("#health-records > li");
    assert_eq!(records.len(), 2);
    assert!(records.iter().any(|r| r.contains("Not fit") && r.contains("6/60")));
    assert!(
        records
            .iter()
            .any(|r| r.contains("Fit") && r.contains("118/76 mmHg") && r.contains("6/9"))
    );

    // Doctors and admins read them (without the form); others may not.
    let page = l.doctor.1.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#health-records > li").len(), 2);
    assert!(!page.has("#health-record-form"));
    l.admin.get(&path).await.assert_status(StatusCode::OK);
    l.lab
        .get("/patients/999/health-records")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    l.lab
        .post("/patients/999/health-records", &[("outcome", "fit")])
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The doctor's chart has the screenings in one timeline with the visit, newest first.
    let chart = l.doctor.1.get(&format!("/patients/{}/chart", l.patient)).await;
    chart.assert_status(StatusCode::OK);
    assert!(chart.text("title").starts_with("Chart · "), "{}", chart.text("title"));
    let entries = chart.texts("#chart-timeline > li");
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(chart.texts("#chart-timeline > li.timeline-screening").len(), 2);
    assert!(entries[0].contains("Not fit") && entries[0].contains("Refer to the eye clinic"));
    assert!(entries[1].contains("118/76 mmHg") && entries[1].contains("6/9"));

    // The chart's function: newest first, each with its vitals.
    let records = sickbay_core::lab::service::health_records_of(app.db(), l.patient)
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].record.outcome, sickbay_core::lab::model::Outcome::NotFit);
    assert!(records[0].vitals.is_none());
    let vitals = records[1].vitals.as_ref().expect("vitals");
    assert_eq!(vitals.vitals.weight_tenths, Some(645));
    assert_eq!(records[1].record.notes, "Fit for sports.\nNo complaints.");
    // The lab finds a patient to screen by name.
    let found = l.lab.get("/lab/patients?q=tunde").await;
    assert_eq!(found.attr("#found-patients a", "href"), Some(path.clone()));
}

async fn results_and_orders_are_pushed_live(app: TestApp) {
    let l = lab(&app).await;
    let mut visit = EventStream::open(&l.doctor.1, &format!("/visits/{}/lab/events", l.visit)).await;
    let mut worklist = EventStream::open(&l.lab, "/lab/events").await;
    // The whole state first.
    let first = visit.next(WAIT).await.expect("the visit's orders");
    assert_eq!(first.name, "lab-orders");
    assert!(first.data.contains("No lab tests ordered"));
    let first = worklist.next(WAIT).await.expect("the worklist");
    assert_eq!(first.name, "worklist");
    assert!(first.data.contains("No orders waiting"));

    let (hb, _) = order_both(&app, &l).await;
    worklist
        .until("worklist", WAIT, |html| {
            html.contains("Haemoglobin") && html.contains("Malaria parasite")
        })
        .await
        .expect("the new orders on the worklist");
    visit
        .until("lab-orders", WAIT, |html| html.contains("Haemoglobin"))
        .await
        .expect("the orders on the visit");

    l.lab
        .post(&format!("/lab/orders/{hb}/result"), &[("value", "11.2")])
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));
    let pushed = visit
        .until("lab-orders", WAIT, |html| html.contains("11.2 g/dL"))
        .await
        .expect("the result on the visit");
    assert!(pushed.data.contains("Low"));
    // The pushed list carries the doctor's token for its cancel forms (the malaria order has no result).
    assert!(pushed.data.contains("confirm-form"));
}

/// With more orders waiting than the worklist shows, it shows the oldest and says how many more wait.
async fn the_worklist_shows_the_oldest_orders_and_counts_the_rest(app: TestApp) {
    let l = lab(&app).await;
    let shown = sickbay_core::lab::service::WORKLIST_LIMIT;
    let doctor = l.doctor.0;
    for n in 0..shown + 5 {
        let test: i64 = sqlx::query_scalar(
            "INSERT INTO lab_test (name, specimen, created_at, updated_at) VALUES ($1, 'Blood', 0, 0) RETURNING id",
        )
        .bind(format!("Test {n:03}"))
        .fetch_one(app.db().pool())
        .await
        .expect("test");
        sqlx::query(
            "INSERT INTO lab_order (visit_id, patient_id, test_id, status, ordered_by, ordered_at, updated_at)
             VALUES ($1, $2, $3, 'ordered', $4, $5, $5)",
        )
        .bind(l.visit)
        .bind(l.patient)
        .bind(test)
        .bind(doctor)
        .bind(1_000 + n)
        .execute(app.db().pool())
        .await
        .expect("order");
    }
    let page = l.lab.get("/lab").await;
    let rows = page.texts("#worklist-rows tr[id^=work-]");
    assert_eq!(rows.len() as i64, shown);
    assert!(rows[0].contains("Test 000"), "oldest first: {}", rows[0]);
    assert!(page.text("#worklist-more").starts_with("5 more waiting"));
    // The doctor cancels the five newest: fewer waiting than fit, and no such line (the worklist is shared
    // between lab screens and read again on the change the cancellations announce).
    let newest: Vec<i64> = sqlx::query_scalar("SELECT id FROM lab_order WHERE ordered_at >= $1")
        .bind(1_000 + shown)
        .fetch_all(app.db().pool())
        .await
        .expect("orders");
    for order in newest {
        let cancel = format!("/visits/{}/lab/orders/{order}/cancel", l.visit);
        l.doctor.1.post(&cancel, &[]).await.assert_status(StatusCode::SEE_OTHER);
    }
    assert!(!l.lab.get("/lab").await.has("#worklist-more"));
}

/// The worklist shows all that waits, or just the tests to take, or just the results to release, on the page
/// and on its stream; the lab's figures lead to those lists.
async fn the_worklist_shows_the_tests_to_take_or_the_results_to_release(app: TestApp) {
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    let release = l.lab.get("/lab?show=release").await;
    assert_eq!(
        release.text("#worklist-rows"),
        "No results to release. Saved results appear here until they are released."
    );
    let (hb, mp) = order_both(&app, &l).await;
    l.lab
        .post(&format!("/lab/orders/{mp}/result"), &[("value", "Negative")])
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));

    let tests = |page: &Page| page.texts("#worklist-rows tr[id^=work-] td:nth-child(4)");
    let all = l.lab.get("/lab").await;
    assert_eq!(tests(&all).len(), 2, "{:?}", tests(&all));
    assert_eq!(all.text("#worklist-show [aria-current=page]"), "All waiting");
    assert_eq!(
        all.attr("#fig-to-take", "href").as_deref(),
        Some("/lab?show=take#worklist-heading")
    );
    assert_eq!(
        all.attr("#fig-to-release", "href").as_deref(),
        Some("/lab?show=release#worklist-heading")
    );
    let take = l.lab.get("/lab?show=take").await;
    assert!(
        matches!(tests(&take).as_slice(), [test] if test.starts_with("Haemoglobin")),
        "{:?}",
        tests(&take)
    );
    assert_eq!(take.text("#worklist-show [aria-current=page]"), "Tests to run");
    assert_eq!(
        take.attr("[aria-label=Worklist]", "sse-connect").as_deref(),
        Some("/lab/events?show=take")
    );
    let release = l.lab.get("/lab?show=release").await;
    assert!(
        matches!(tests(&release).as_slice(), [test] if test.starts_with("Malaria parasite")),
        "{:?}",
        tests(&release)
    );
    // An unknown choice shows all that waits.
    assert_eq!(tests(&l.lab.get("/lab?show=everything").await).len(), 2);

    // The stream of the results to release gets the haemoglobin once its result is saved.
    let mut stream = EventStream::open(&l.lab, "/lab/events?show=release").await;
    let first = stream.next(WAIT).await.expect("the rows");
    assert!(first.data.contains("Malaria parasite") && !first.data.contains("Haemoglobin"));
    l.lab
        .post(&format!("/lab/orders/{hb}/result"), &[("value", "14")])
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));
    stream
        .until("worklist", WAIT, |html| html.contains("Haemoglobin"))
        .await
        .expect("the saved result among those to release");
}

/// A patient's tests of one visit on one page: each typed result is checked against its own test (a mistake
/// sends the whole sheet back with nothing written), a blank one waits, the doctor is told once, a sheet sent
/// again writes nothing, and one release tells the patient once.
async fn a_visits_results_are_typed_and_released_on_one_page(app: TestApp) {
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    sqlx::query(
        "UPDATE lab_test SET answers = 'Not seen, Seen (+), Seen (++)', normal_answers = 'Not seen' WHERE id = $1",
    )
    .bind(l.mp)
    .execute(app.db().pool())
    .await
    .expect("answers");
    let (hb, mp) = order_both(&app, &l).await;
    let path = format!("/lab/visits/{}/results", l.visit);

    // The worklist and each order's page lead to the sheet.
    let worklist = l.lab.get("/lab").await;
    assert_eq!(
        worklist.attr(".visit-sheet-link", "href").as_deref(),
        Some(path.as_str())
    );
    assert_eq!(
        worklist.texts(".visit-sheet-link"),
        ["All tests of this visit"],
        "on the visit's first row only"
    );
    let order = l.lab.get(&format!("/lab/orders/{hb}")).await;
    assert_eq!(order.attr("#visit-sheet-link", "href").as_deref(), Some(path.as_str()));

    let page = l.lab.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("h1").contains("Tunde Labtest"));
    assert!(page.text(&format!("#order-{hb}")).contains("Haemoglobin"));
    assert!(page.text(&format!("#value_{hb}-help")).contains("13–17"));
    assert_eq!(page.texts(&format!("#result-answers_{mp} label")).len(), 3);
    assert!(page.has(&format!("#result-answers_{mp} input[type=radio][name=value_{mp}]")));
    assert!(!page.has("#release-all-form"));

    // Nothing typed: a message, nothing written.
    let nothing = l
        .lab
        .post(&path, &[(&format!("value_{hb}") as &str, " "), ("comment_1", "")])
        .await;
    nothing.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.text("#sheet-problem").contains("at least one result"));
    // One mistake refuses the sheet: the good result is not written either, and both are typed back.
    let (value_hb, value_mp, comment_hb) = (format!("value_{hb}"), format!("value_{mp}"), format!("comment_{hb}"));
    let refused = l
        .lab
        .post(
            &path,
            &[
                (value_hb.as_str(), "12.1"),
                (comment_hb.as_str(), "Repeat"),
                (value_mp.as_str(), "Lots"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text(&format!("#value_{mp}-error")),
        "Choose one of: Not seen, Seen (+), Seen (++)."
    );
    assert_eq!(refused.attr(&format!("#value_{hb}"), "value").as_deref(), Some("12.1"));
    assert_eq!(order_status(&app, hb).await, "ordered");
    assert_eq!(app.audits("lab_order.result").await, 0);

    // The haemoglobin alone: the malaria film waits.
    l.lab
        .post(&path, &[(value_hb.as_str(), "12.1"), (value_mp.as_str(), "")])
        .await
        .assert_redirect(&path);
    assert_eq!(
        (order_status(&app, hb).await, order_status(&app, mp).await),
        ("resulted".into(), "ordered".into())
    );
    // Then both, the haemoglobin as it was: only the malaria film is written, the doctor told once.
    let both = [(value_hb.as_str(), "12.1"), (value_mp.as_str(), "seen (+)")];
    l.lab.post(&path, &both).await.assert_redirect(&path);
    let (value, flag): (String, String) = sqlx::query_as("SELECT result_value, flag FROM lab_order WHERE id = $1")
        .bind(mp)
        .fetch_one(app.db().pool())
        .await
        .expect("malaria");
    assert_eq!((value.as_str(), flag.as_str()), ("Seen (+)", "abnormal"));
    assert_eq!(app.audits("lab_order.result").await, 2);
    assert_eq!(app.audits("lab_order.correct").await, 0);
    let doctor = l.doctor.0;
    let told = app
        .count(&format!("SELECT COUNT(*) FROM notice WHERE staff_id = {doctor}"))
        .await;
    assert_eq!(told, 2, "one notice for the first save, one for the second");
    // The same sheet again writes nothing.
    let again = l.lab.post(&path, &both).await;
    again.assert_redirect(&path);
    assert!(l.lab.get(&path).await.text("#messages").contains("Nothing changed"));
    let written = app.audits("lab_order.result").await + app.audits("lab_order.correct").await;
    assert_eq!(written, 2);

    // Before they are released, each saved result shows with its flag, for the check before releasing it.
    let page = l.lab.get(&path).await;
    let saved = page.text(&format!("#saved-{hb}"));
    assert!(
        saved.starts_with("Saved: 12.1 g/dL") && saved.ends_with("Low"),
        "{saved}"
    );
    assert!(page.text(&format!("#saved-{mp}")).ends_with("Abnormal"));
    // Release both at once: one message to the patient.
    assert!(
        page.text("#release-all-form").contains("the 2 saved results"),
        "{}",
        page.text("#release-all-form")
    );
    l.lab.post(&format!("{path}/release"), &[]).await.assert_redirect(&path);
    assert_eq!(
        (order_status(&app, hb).await, order_status(&app, mp).await),
        ("released".into(), "released".into())
    );
    assert_eq!(app.audits("lab_order.release").await, 2);
    let patient = l.patient;
    let messages: Vec<String> = sqlx::query_scalar("SELECT message FROM notice WHERE patient_id = $1")
        .bind(patient)
        .fetch_all(app.db().pool())
        .await
        .expect("notices");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("Haemoglobin and Malaria parasite"), "{messages:?}");
    // A second release changes nothing; the sheet is then read-only.
    l.lab.post(&format!("{path}/release"), &[]).await.assert_redirect(&path);
    let page = l.lab.get(&path).await;
    assert!(page.text("#messages").contains("nothing to release"));
    assert!(!page.has("#results-sheet button") && !page.has("#release-all-form"));
    assert!(page.text(&format!("#order-{hb}")).contains("12.1 g/dL"));
    l.lab
        .post(&path, &[(value_hb.as_str(), "13")])
        .await
        .assert_status(StatusCode::CONFLICT);
    // Another visit's order on this sheet, and a visit without orders: not found.
    let others = Students::new("LV", "Labvisit").named(&app, &["Bola"]).await;
    let other = open_visit(&l.doctor.1, others[0]).await;
    l.lab
        .get(&format!("/lab/visits/{other}/results"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let foreign = format!("value_{hb}");
    l.lab
        .post(&format!("/lab/visits/{other}/results"), &[(foreign.as_str(), "13")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

/// Two lab attendants saving the same sheet at the same moment: each result is written once (one audit row),
/// on SQLite and PostgreSQL alike.
async fn two_hands_saving_one_visits_results_write_each_once(app: TestApp) {
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    let other = app.login_as("lab.bisi", Role::Lab).await;
    let path = format!("/lab/visits/{}/results", l.visit);
    let (value_hb, value_mp) = (format!("value_{hb}"), format!("value_{mp}"));
    let sheet = [(value_hb.as_str(), "14"), (value_mp.as_str(), "Not seen")];
    let (one, two) = tokio::join!(l.lab.post(&path, &sheet), other.post(&path, &sheet));
    one.assert_redirect(&path);
    two.assert_redirect(&path);
    assert_eq!(app.audits("lab_order.result").await, 2);
    assert_eq!(app.audits("lab_order.correct").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE status = 'resulted'")
            .await,
        2
    );
    let release = format!("{path}/release");
    let (release_one, release_two) = tokio::join!(l.lab.post(&release, &[]), other.post(&release, &[]));
    release_one.assert_redirect(&path);
    release_two.assert_redirect(&path);
    assert_eq!(app.audits("lab_order.release").await, 2);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM notice WHERE patient_id = {}", l.patient))
            .await,
        1
    );
}

/// Two attendants with the same sheet open: the second to save a different value is told what the first saved
/// (nothing written), and replaces it only by saving again; the order's own page refuses a stale form too.
async fn a_result_saved_meanwhile_is_not_replaced_unseen(app: TestApp) {
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    let other = app.login_as("lab.bisi", Role::Lab).await;
    let path = format!("/lab/visits/{}/results", l.visit);
    let (value_hb, seen_hb, value_mp) = (format!("value_{hb}"), format!("seen_{hb}"), format!("value_{mp}"));
    let mine = l.lab.get(&path).await;
    let seen = mine
        .attr(&format!("input[name={seen_hb}]"), "value")
        .expect("the version shown");
    assert_eq!(seen, "0");
    // The other attendant saves first.
    other
        .post(&path, &[(value_hb.as_str(), "12.1"), (seen_hb.as_str(), "0")])
        .await
        .assert_redirect(&path);
    // Mine, filled against no result: refused with what is there now, nothing else written either.
    let refused = l
        .lab
        .post(
            &path,
            &[
                (value_hb.as_str(), "13.4"),
                (seen_hb.as_str(), seen.as_str()),
                (value_mp.as_str(), "Seen"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text(&format!("#value_{hb}-error"))
            .contains("Someone saved 12.1 g/dL for Haemoglobin"),
        "{}",
        refused.text(&format!("#value_{hb}-error"))
    );
    assert_eq!(refused.attr(&format!("#value_{hb}"), "value").as_deref(), Some("13.4"));
    assert_eq!(order_status(&app, mp).await, "ordered");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE result_value = '12.1'")
            .await,
        1
    );
    // The answer carries the version now shown: saving again replaces it, as a correction.
    let now = refused
        .attr(&format!("input[name={seen_hb}]"), "value")
        .expect("the new version");
    assert_ne!(now, "0");
    l.lab
        .post(&path, &[(value_hb.as_str(), "13.4"), (seen_hb.as_str(), now.as_str())])
        .await
        .assert_redirect(&path);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE result_value = '13.4'")
            .await,
        1
    );
    assert_eq!(app.audits("lab_order.correct").await, 1);
    // The order's own page: a form filled before that correction is refused.
    let order = format!("/lab/orders/{hb}");
    l.lab
        .post(&format!("{order}/result"), &[("value", "14"), ("seen", now.as_str())])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM lab_order WHERE result_value = '14'")
            .await,
        0
    );
    let fresh = l.lab.get(&order).await;
    let current = fresh
        .attr("input[name=seen]", "value")
        .expect("the order page's version");
    l.lab
        .post(
            &format!("{order}/result"),
            &[("value", "14"), ("seen", current.as_str())],
        )
        .await
        .assert_redirect(&order);

    // Two saves in one millisecond would have one version: each save moves the version forward instead, even
    // when the clock has not (here the stored one is an hour ahead of it).
    let ahead = "SELECT resulted_at FROM lab_order WHERE id = ";
    sqlx::query("UPDATE lab_order SET resulted_at = resulted_at + 3600000 WHERE id = $1")
        .bind(hb)
        .execute(app.db().pool())
        .await
        .expect("move the result's time");
    let before = app.count(&format!("{ahead}{hb}")).await;
    let shown = l
        .lab
        .get(&order)
        .await
        .attr("input[name=seen]", "value")
        .expect("the order page's version");
    assert_eq!(shown, before.to_string());
    l.lab
        .post(
            &format!("{order}/result"),
            &[("value", "14.2"), ("seen", shown.as_str())],
        )
        .await
        .assert_redirect(&order);
    assert_eq!(app.count(&format!("{ahead}{hb}")).await, before + 1);
    l.lab
        .post(
            &format!("{order}/result"),
            &[("value", "14.3"), ("seen", shown.as_str())],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
}

/// A clinic that waits for the doctor: a saved result goes to the patient when the doctor who ordered it marks it
/// seen, with the usual message; the lab can't release it before (no button, a refusal, not on its list to
/// release), but may release one the doctor saw before the clinic started waiting.
async fn where_the_doctor_releases_the_patient_reads_a_result_after_the_doctor(app: TestApp) {
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    for (order, value) in [(hb, "18"), (mp, "Negative")] {
        l.lab
            .post(&format!("/lab/orders/{order}/result"), &[("value", value)])
            .await
            .assert_redirect(&format!("/lab/orders/{order}"));
    }
    let (doctor_id, doctor) = (&l.doctor.0, &l.doctor.1);
    doctor
        .post(&format!("/lab/orders/{hb}/seen"), &[])
        .await
        .assert_redirect("/doctor#results");
    assert_eq!(order_status(&app, hb).await, "resulted", "seen while the lab releases");
    app.set_setting("lab_results_release", "doctor").await;

    let seen_first = l.lab.get(&format!("/lab/orders/{hb}")).await;
    assert!(seen_first.has("#release-form"), "seen already: the lab may release it");
    let waiting = l.lab.get(&format!("/lab/orders/{mp}")).await;
    assert!(!waiting.has("#release-form"));
    assert!(
        waiting.text("#awaits-doctor").contains("Test dr.okafor"),
        "{}",
        waiting.body
    );
    let refused = l.lab.post(&format!("/lab/orders/{mp}/release"), &[]).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.body.contains("marks it seen"), "{}", refused.body);
    assert_eq!(order_status(&app, mp).await, "resulted");
    let to_release = l.lab.get("/lab?show=release").await;
    assert!(to_release.has(&format!("#work-{hb}")) && !to_release.has(&format!("#work-{mp}")));
    let sheet = l.lab.get(&format!("/lab/visits/{}/results", l.visit)).await;
    assert!(
        sheet.text("#release-all-form").contains("Release the saved result"),
        "{}",
        sheet.body
    );
    assert!(
        sheet.text("#awaits-doctor").starts_with("One saved result goes"),
        "{}",
        sheet.body
    );
    l.lab
        .post(&format!("/lab/orders/{hb}/release"), &[])
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));

    let patient = PATIENTS.client(&app, 0).await;
    let mine = patient.get(&format!("/me/visits/{}", l.visit)).await;
    assert_eq!(mine.texts("#my-results li").len(), 1);
    assert!(!mine.body.contains("Negative"), "the doctor has not seen it yet");
    let release_all = format!("/lab/visits/{}/results/release", l.visit);
    let refused = l.lab.post(&release_all, &[]).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert_eq!(order_status(&app, mp).await, "resulted");

    let home = doctor.get("/doctor").await;
    assert!(
        home.has("#seen-releases"),
        "the doctor is told what Mark seen does here"
    );
    doctor
        .post("/lab/results/seen", &[("order", mp.to_string().as_str())])
        .await
        .assert_redirect("/doctor#results");
    assert_eq!(order_status(&app, mp).await, "released");
    assert_eq!(
        app.count(&format!("SELECT released_by FROM lab_order WHERE id = {mp}"))
            .await,
        *doctor_id
    );
    assert_eq!(app.audits("lab_order.release").await, 2);
    let mine = patient.get(&format!("/me/visits/{}", l.visit)).await;
    assert_eq!(mine.texts("#my-results li").len(), 2);
    let notices = patient.get("/notices").await;
    assert!(
        notices
            .text("#notices")
            .contains("Your Malaria parasite result is ready"),
        "{}",
        notices.text("#notices")
    );
}

/// The new clinic's rule: the lab releases a normal result (and a word result it did not flag), while a high
/// one is not the lab's to release: it goes to the patient when the doctor who ordered it marks it seen, and
/// the doctor is told which of their results went on. A clinic that chooses "lab" releases both.
async fn an_abnormal_result_waits_for_the_doctor_and_a_normal_one_goes_with_the_lab(app: TestApp) {
    let l = lab(&app).await;
    let (hb, mp) = order_both(&app, &l).await;
    for (order, value, then) in [
        (
            hb,
            "18",
            "It goes to the patient when the doctor who ordered it marks it seen.",
        ),
        (mp, "Not seen", "Check it, then release it to the patient."),
    ] {
        l.lab
            .post(&format!("/lab/orders/{order}/result"), &[("value", value)])
            .await
            .assert_redirect(&format!("/lab/orders/{order}"));
        let saved = l.lab.get(&format!("/lab/orders/{order}")).await;
        assert!(saved.text(".flash-success").ends_with(then), "{}", saved.body);
    }
    let high = l.lab.get(&format!("/lab/orders/{hb}")).await;
    assert!(!high.has("#release-form"), "{}", high.body);
    let told: String =
        sqlx::query_scalar("SELECT message FROM notice WHERE link = $1 AND message LIKE $2 ORDER BY id LIMIT 1")
            .bind(format!("/visits/{}", l.visit))
            .bind("Haemoglobin%")
            .fetch_one(app.db().pool())
            .await
            .expect("the doctor's notice");
    assert!(told.ends_with("is back: High."), "{told}");
    assert!(high.text("#awaits-doctor").contains("Test dr.okafor"), "{}", high.body);
    let refused = l.lab.post(&format!("/lab/orders/{hb}/release"), &[]).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    let to_release = l.lab.get("/lab?show=release").await;
    assert!(to_release.has(&format!("#work-{mp}")) && !to_release.has(&format!("#work-{hb}")));
    l.lab
        .post(&format!("/lab/visits/{}/results/release", l.visit), &[])
        .await
        .assert_redirect(&format!("/lab/visits/{}/results", l.visit));
    assert_eq!(
        (
            order_status(&app, mp).await.as_str(),
            order_status(&app, hb).await.as_str()
        ),
        ("released", "resulted")
    );
    let patient = PATIENTS.client(&app, 0).await;
    let mine = patient.get(&format!("/me/visits/{}", l.visit)).await;
    assert_eq!(mine.texts("#my-results li").len(), 1, "{}", mine.body);
    assert!(!mine.body.contains("18 g/dL"), "the high result waits for the doctor");

    let (_, doctor) = &l.doctor;
    let home = doctor.get("/doctor").await;
    assert!(
        home.text("#seen-releases").contains("low, high, abnormal or critical"),
        "{}",
        home.body
    );
    // Two marked at once, one of which goes to its patient with it: the doctor confirms first, with it listed.
    let both = [("order", hb.to_string()), ("order", mp.to_string())];
    let both: Vec<(&str, &str)> = both.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let asked = doctor.post("/lab/results/seen", &both).await;
    asked.assert_status(StatusCode::OK);
    assert_eq!(asked.text("h1"), "Send 1 result to its patient?");
    let going = asked.texts("#going-to-patients li");
    assert!(
        going.len() == 1 && going[0].contains("Haemoglobin 18 g/dL High"),
        "{going:?}"
    );
    assert_eq!(
        order_status(&app, hb).await,
        "resulted",
        "nothing marked before the doctor confirms"
    );
    let confirm = crate::support::FormFields::of(&asked, ".confirm-actions");
    let seen = doctor.post("/lab/results/seen", &confirm.fields()).await;
    seen.assert_redirect("/doctor#results");
    let home = doctor.get("/doctor").await;
    assert!(
        home.text(".flash-success")
            .contains("Marked 2 results seen: they are off your list, and the patients can now read the 1 that waited"),
        "{}",
        home.body
    );
    assert_eq!(order_status(&app, hb).await, "released");
    assert_eq!(app.audits("lab_order.release").await, 2);
    let mine = patient.get(&format!("/me/visits/{}", l.visit)).await;
    assert_eq!(mine.texts("#my-results li").len(), 2);

    app.set_setting("lab_results_release", "lab").await;
    let someone = OTHERS.named(&app, &["Kemi"]).await[0];
    let visit = open_visit(&l.doctor.1, someone).await;
    let high_again = order(&app, &l.doctor.1, visit, l.hb).await;
    l.lab
        .post(&format!("/lab/orders/{high_again}/result"), &[("value", "19")])
        .await
        .assert_redirect(&format!("/lab/orders/{high_again}"));
    l.lab
        .post(&format!("/lab/orders/{high_again}/release"), &[])
        .await
        .assert_redirect(&format!("/lab/orders/{high_again}"));
    assert_eq!(order_status(&app, high_again).await, "released");
}

/// More patients for the lab's tests: LC/26/0000, ...
const OTHERS: Students = Students::new("LC", "Labrace");

/// A normal result corrected to a high one while another hand releases it: the database decides, so the
/// patient never reads a high result the doctor has not seen. Either the release came first (the normal result
/// went out and the correction is refused) or the correction did (the high result waits).
async fn a_result_corrected_to_abnormal_while_released_is_never_sent_unseen(app: TestApp) {
    let l = lab(&app).await;
    let other = app.login_as("lab.bola", Role::Lab).await;
    let patients = OTHERS.named(&app, &["Ada", "Bayo", "Chidi", "Dayo"]).await;
    // A range (and so a flag) needs the patient's sex.
    app.exec("UPDATE patient SET sex = 'female'").await;
    for (round, patient) in patients.into_iter().enumerate() {
        let visit = open_visit(&l.doctor.1, patient).await;
        let hb = order(&app, &l.doctor.1, visit, l.hb).await;
        let path = format!("/lab/orders/{hb}");
        l.lab
            .post(&format!("{path}/result"), &[("value", "14")])
            .await
            .assert_redirect(&path);
        let shown = l
            .lab
            .get(&path)
            .await
            .attr("input[name=seen]", "value")
            .expect("the result's version");
        let (release_path, result_path) = (format!("{path}/release"), format!("{path}/result"));
        let correction = [("value", "18"), ("seen", shown.as_str())];
        let (release, correct) = tokio::join!(l.lab.post(&release_path, &[]), other.post(&result_path, &correction),);
        for response in [&release, &correct] {
            assert!(response.status.as_u16() < 500, "{}: {}", response.status, response.body);
        }
        let (status, value): (String, String) =
            sqlx::query_as("SELECT status, result_value FROM lab_order WHERE id = $1")
                .bind(hb)
                .fetch_one(app.db().pool())
                .await
                .expect("order");
        match status.as_str() {
            "released" => assert_eq!(value, "14", "round {round}: only the normal result was released"),
            "resulted" => assert_eq!(value, "18", "round {round}: the high result waits"),
            other => panic!("round {round}: {other}"),
        }
    }
}

/// Haemoglobin 140 typed for 14.0 comes back to be checked, on the order's page and on the visit's sheet, and is
/// saved once the attendant confirms it; nothing is written before.
async fn a_number_far_outside_its_range_is_saved_only_once_confirmed(app: TestApp) {
    let l = lab(&app).await;
    let (hb, _) = order_both(&app, &l).await;
    let page = format!("/lab/orders/{hb}");
    let asked = l.lab.post(&format!("{page}/result"), &[("value", "140")]).await;
    asked.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        asked
            .text("#value-error")
            .starts_with("140 g/dL is far outside the usual 13–17 g/dL"),
        "{}",
        asked.text("#value-error")
    );
    assert!(asked.has("#sure[type=checkbox]") && asked.has("#sure-error"));
    assert_eq!(order_status(&app, hb).await, "ordered");

    let sheet = format!("/lab/visits/{}/results", l.visit);
    let value = format!("value_{hb}");
    let asked = l.lab.post(&sheet, &[(value.as_str(), "140")]).await;
    asked.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(asked.has(&format!("#sure_{hb}[type=checkbox]")), "{}", asked.body);
    assert_eq!(order_status(&app, hb).await, "ordered");
    let sure = format!("sure_{hb}");
    l.lab
        .post(&sheet, &[(value.as_str(), "140"), (sure.as_str(), "1")])
        .await
        .assert_redirect(&sheet);
    assert_eq!(order_status(&app, hb).await, "resulted");
}

/// A result beyond its test's critical limits: the lab phones the doctor and writes whom it told before the result
/// is saved (on its own page and on the visit's sheet), the doctor's notice and list lead with it, and it waits
/// for the doctor even where the lab releases the others.
async fn a_critical_result_is_phoned_to_the_doctor_and_waits_for_them(app: TestApp) {
    let l = lab(&app).await;
    app.set_setting("lab_results_release", "lab").await;
    // The admin sets the limits on the test's page; they stand beyond the usual range.
    let edit = format!("/admin/lab-tests/{}", l.hb);
    let page = l.admin.get(&edit).await;
    let mut fields = crate::support::FormFields::of(&page, "#edit-lab-test");
    fields.set("critical_low", "14");
    let refused = l.admin.post(&edit, &fields.fields()).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#critical_low-error"),
        "The critical low must be below the usual range."
    );
    fields.set("critical_low", "7");
    fields.set("critical_high", "20");
    l.admin
        .post(&edit, &fields.fields())
        .await
        .assert_redirect("/admin/lab-tests");
    let catalogue = l.admin.get("/admin/lab-tests").await;
    assert!(catalogue.text(&format!("#lab-test-{}", l.hb)).contains("< 7 or > 20"));

    let (hb, mp) = order_both(&app, &l).await;
    let form = l.lab.get(&format!("/lab/orders/{hb}")).await;
    assert!(
        form.text("#value-help")
            .contains("Critical < 7 or > 20: phone the doctor at once."),
        "{}",
        form.body
    );
    // Without whom the lab told, nothing is saved; the form asks, beside the value kept.
    let asked = l
        .lab
        .post(&format!("/lab/orders/{hb}/result"), &[("value", "5.2")])
        .await;
    asked.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        asked
            .text("#told-error")
            .starts_with("A critical value (critical < 7 or > 20)"),
        "{}",
        asked.body
    );
    assert_eq!(asked.attr("#value", "value").as_deref(), Some("5.2"));
    assert_eq!(order_status(&app, hb).await, "ordered");
    l.lab
        .post(
            &format!("/lab/orders/{hb}/result"),
            &[("value", "5.2"), ("told", "Dr Okafor, by phone at 10:40")],
        )
        .await
        .assert_redirect(&format!("/lab/orders/{hb}"));
    let saved = l.lab.get(&format!("/lab/orders/{hb}")).await;
    assert!(
        saved.text(".flash-success").starts_with("Critical result saved"),
        "{}",
        saved.body
    );
    assert!(
        saved
            .text("#current-result")
            .contains("Critical The lab told Dr Okafor, by phone at 10:40")
    );
    assert!(!saved.has("#release-form"), "a critical result waits for the doctor");
    assert!(
        l.lab
            .post(&format!("/lab/orders/{hb}/release"), &[])
            .await
            .status
            .is_client_error()
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE id = {hb} AND critical = 1 AND critical_told = 'Dr Okafor, by phone at 10:40'"
        ))
        .await,
        1
    );
    let notice: String = sqlx::query_scalar("SELECT message FROM notice WHERE link = $1 ORDER BY id DESC LIMIT 1")
        .bind(format!("/visits/{}", l.visit))
        .fetch_one(app.db().pool())
        .await
        .expect("the doctor's notice");
    assert_eq!(
        notice,
        "Critical result for Tunde Labtest: Haemoglobin CRITICAL 5.2 g/dL. The lab told Dr Okafor, by phone at 10:40."
    );
    // A normal result of the visit goes out with the lab; the critical one stays for the doctor.
    l.lab
        .post(&format!("/lab/orders/{mp}/result"), &[("value", "Not seen")])
        .await
        .assert_redirect(&format!("/lab/orders/{mp}"));
    l.lab
        .post(&format!("/lab/visits/{}/results/release", l.visit), &[])
        .await
        .assert_redirect(&format!("/lab/visits/{}/results", l.visit));
    assert_eq!(order_status(&app, hb).await, "resulted");
    let (_, doctor) = &l.doctor;
    let home = doctor.get("/doctor").await;
    // Above the day, on its own: the critical result with whom the lab told, and its own button.
    assert!(
        home.text("#critical-results").contains("Haemoglobin 5.2 g/dL Recorded"),
        "{}",
        home.text("#critical-results")
    );
    assert!(
        home.text("#critical-results")
            .contains("The lab told “Dr Okafor, by phone at 10:40”."),
        "{}",
        home.text("#critical-results")
    );
    let first = home.texts("#results-list tbody tr");
    assert!(
        first[0].contains("Haemoglobin") && first[0].contains("Critical"),
        "{first:?}"
    );
    // Never ticked or swept with the others: the list has no tick for it, and a list naming it is refused.
    assert!(!home.has(&format!("#result-{hb} input[name=order]")));
    assert!(!home.has(&format!("#result-{hb} input[name=shown]")));
    let (hb_id, mp_id) = (hb.to_string(), mp.to_string());
    doctor
        .post(
            "/lab/results/seen",
            &[("order", hb_id.as_str()), ("order", mp_id.as_str())],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(order_status(&app, hb).await, "resulted", "nothing marked");
    // Its row sends the doctor to the banner, where it is marked seen with what they did about it.
    assert_eq!(
        home.attr(&format!("#result-{hb} a[href='#critical-{hb}']"), "href"),
        Some(format!("#critical-{hb}"))
    );
    assert!(home.has(&format!("#critical-{hb} input[name=acted_on][required]")));
    let unsaid = doctor.post(&format!("/lab/orders/{hb}/seen"), &[]).await;
    unsaid.assert_status(StatusCode::BAD_REQUEST);
    assert!(
        unsaid.text("main").contains("write what you did about it"),
        "{}",
        unsaid.text("main")
    );
    assert_eq!(order_status(&app, hb).await, "resulted", "nothing marked");
    doctor
        .post(
            &format!("/lab/orders/{hb}/seen"),
            &[("acted_on", "Phoned Tunde, coming in at once")],
        )
        .await
        .assert_redirect("/doctor#results");
    assert_eq!(order_status(&app, hb).await, "released");
    assert!(!doctor.get("/doctor").await.has("#critical-results"));
    let chart = doctor.get(&format!("/visits/{}", l.visit)).await;
    assert!(
        chart
            .text("#lab")
            .contains("The doctor: Phoned Tunde, coming in at once"),
        "{}",
        chart.text("#lab")
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'lab_order.seen' AND detail = 'Haemoglobin: Phoned Tunde, coming in at once'"
        )
        .await,
        1
    );
    // The patient's chart names it critical, with its direction and what the doctor did.
    let chart = doctor.get(&format!("/patients/{}/chart", l.patient)).await;
    let line = chart.text(".chart-orders");
    assert!(
        line.contains("Haemoglobin 5.2 g/dL Low Critical The lab told Dr Okafor, by phone at 10:40")
            && line.contains("The doctor: Phoned Tunde, coming in at once"),
        "{line}"
    );
    // The patient is not reassured about it: their doctor will be in touch, and when to come in.
    let results = PATIENTS.client(&app, 0).await.get("/me/results").await;
    assert!(
        results
            .text("#critical-results")
            .contains("needs your doctor's attention soon"),
        "{}",
        results.text("main")
    );
    assert!(!results.has("#unusual-results"));

    // On the visit's sheet the same question stands beside the result's own fields.
    let someone = OTHERS.named(&app, &["Kemi"]).await[0];
    app.exec(&format!("UPDATE patient SET sex = 'female' WHERE id = {someone}"))
        .await;
    let visit = open_visit(&l.doctor.1, someone).await;
    let sheet_order = order(&app, &l.doctor.1, visit, l.hb).await;
    let sheet = format!("/lab/visits/{visit}/results");
    let value = format!("value_{sheet_order}");
    let asked = l.lab.post(&sheet, &[(value.as_str(), "24")]).await;
    asked.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(asked.has(&format!("#told_{sheet_order}-error")), "{}", asked.body);
    let told = format!("told_{sheet_order}");
    l.lab
        .post(
            &sheet,
            &[(value.as_str(), "24"), (told.as_str(), "Dr Okafor in person")],
        )
        .await
        .assert_redirect(&sheet);
    assert_eq!(
        app.count(&format!("SELECT critical FROM lab_order WHERE id = {sheet_order}"))
            .await,
        1
    );
    let notice: String = sqlx::query_scalar("SELECT message FROM notice WHERE link = $1 ORDER BY id DESC LIMIT 1")
        .bind(format!("/visits/{visit}"))
        .fetch_one(app.db().pool())
        .await
        .expect("the doctor's notice");
    assert!(
        notice.starts_with("Critical: 1 result for Kemi Labrace back: Haemoglobin CRITICAL 24 g/dL"),
        "{notice}"
    );
}

/// Haemoglobin is 13–17 for men and 12–15 for women. With no sex recorded, the lab is told the two are read
/// together (12–17): 9 is low whichever the patient's sex, and 16, high only for a woman, is not flagged.
async fn a_patient_of_no_recorded_sex_is_read_against_both_ranges_together(app: TestApp) {
    let l = lab(&app).await;
    let patients = OTHERS.named(&app, &["Ada", "Bayo"]).await;
    app.exec("UPDATE patient SET sex = NULL WHERE matric_number LIKE 'LC/%'")
        .await;
    for (patient, value, flag) in [(patients[0], "9", "low"), (patients[1], "16", "normal")] {
        let visit = open_visit(&l.doctor.1, patient).await;
        let hb = order(&app, &l.doctor.1, visit, l.hb).await;
        let path = format!("/lab/orders/{hb}");
        let page = l.lab.get(&path).await;
        page.assert_status(StatusCode::OK);
        let help = page.text("#value-help");
        assert!(help.contains("12–17, the men's and women's ranges together"), "{help}");
        l.lab
            .post(&format!("{path}/result"), &[("value", value)])
            .await
            .assert_redirect(&path);
        let stored: (String, f64, f64) =
            sqlx::query_as("SELECT flag, range_low, range_high FROM lab_order WHERE id = $1")
                .bind(hb)
                .fetch_one(app.db().pool())
                .await
                .expect("the result");
        assert_eq!(stored, (flag.to_owned(), 12.0, 17.0), "{value}");
    }
}
