//! The lab in headless Chromium: the doctor orders tests on the consultation screen (swapped in place), the
//! lab attendant finds them on the live worklist and records a result, and the doctor's open visit shows it
//! without a reload; the lab takes the vitals of the patient still with the doctor, and types all of a visit's
//! results on one page.

use std::time::Duration;

use crate::browser::Browser;
use crate::lab::lab;
use crate::support::{PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    a_result_recorded_by_the_lab_appears_on_the_doctors_open_visit,
    the_lab_types_a_visits_results_on_one_page_at_both_sizes,
);

/// Polls until `css` holds `expected` (a page updated by a server push, not by navigation).
async fn wait_for_text(b: &Browser, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = b.client.find(fantoccini::Locator::Css(css)).await {
            last = element.text().await.unwrap_or_default();
            if last.contains(expected) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {expected:?}; last {last:?}");
}

async fn mark(b: &Browser) {
    b.client
        .execute("window.sickbayMark = 'still the same page'; return true;", vec![])
        .await
        .expect("mark");
}

async fn still_marked(b: &Browser) -> bool {
    let mark = b
        .client
        .execute("return window.sickbayMark || null;", vec![])
        .await
        .expect("read mark");
    mark.as_str() == Some("still the same page")
}

async fn a_result_recorded_by_the_lab_appears_on_the_doctors_open_visit(app: TestApp) {
    // The lab releases every result here, the low ones too (by default those wait for the doctor).
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let visit_path = format!("/visits/{}", l.visit);

    // The doctor's consultation screen: order haemoglobin with a note; the section swaps in place.
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-lab-doctor")).await else {
        return;
    };
    doctor.log_in(&app, "dr.okafor", PASSWORD, "/doctor").await;
    doctor.goto(&app, &visit_path).await;
    mark(&doctor).await;
    doctor.click("#lab details.fold > summary").await;
    doctor.click(&format!("#lab-tests input[value='{}']", l.hb)).await;
    doctor.fill("#lab-note", "Looks pale").await;
    doctor.click("form.lab-order-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "Haemoglobin").await;
    assert!(still_marked(&doctor).await, "the order swapped in place");
    assert_eq!(doctor.path().await, visit_path);

    // The lab attendant's worklist shows it; the result is recorded on the order's page.
    let Some(lab) = Browser::start(1366, 900, &format!("{backend}-lab-attendant")).await else {
        return;
    };
    lab.log_in(&app, "lab.ade", PASSWORD, "/lab").await;
    wait_for_text(&lab, "#worklist-rows", "Haemoglobin").await;
    wait_for_text(&lab, "#worklist-status", "Live").await;
    lab.screenshot("50-lab-worklist").await;
    // "Take sample" marks it taken where it stands: the row moves on to "Record result", the worklist stays.
    mark(&lab).await;
    lab.click("#worklist-rows a[role=button]").await;
    wait_for_text(&lab, "#worklist-rows a[role=button]", "Record result").await;
    assert!(
        still_marked(&lab).await,
        "the sample was marked from the worklist, not on another page"
    );
    let taken = app
        .count("SELECT COUNT(*) FROM lab_order WHERE collected_at IS NOT NULL")
        .await;
    assert_eq!(taken, 1);
    lab.click("#worklist-rows a").await;
    wait_for_text(&lab, "h1", "Haemoglobin for Tunde Labtest").await;
    lab.fill("#value", "11.4").await;
    lab.fill("#comment", "Microcytic picture").await;
    lab.screenshot("51-lab-order").await;
    lab.click("#result-form button[type=submit]").await;
    wait_for_text(&lab, "#current-result", "11.4 g/dL").await;

    // The doctor's open visit shows it, flagged, without a reload.
    wait_for_text(&doctor, "#lab-order-list", "11.4 g/dL").await;
    wait_for_text(&doctor, "#lab-order-list .lab-flag", "Low").await;
    assert!(still_marked(&doctor).await, "the result arrived live, not by a reload");
    doctor.click_in_view("#lab-heading").await;
    doctor.screenshot("52-lab-visit-live-result").await;

    // Released: the worklist no longer holds it.
    // Final: the lab is asked first, in the page's dialog.
    lab.click("#release-form button[type=submit]").await;
    assert!(
        lab.text("#confirm-question")
            .await
            .starts_with("Release this Haemoglobin result to ")
    );
    lab.click("#confirm-ok").await;
    wait_for_text(&lab, "#messages", "Released").await;
    lab.goto(&app, "/lab").await;
    wait_for_text(&lab, "#worklist-rows", "No orders waiting").await;
    wait_for_text(&doctor, "#lab-order-list", "Released").await;

    // The patient is still with the doctor: the lab takes their vitals from the worklist, with no order.
    lab.click_in_view("#open-visits a").await;
    wait_for_text(&lab, "h1", "Vitals for Tunde Labtest").await;
    lab.fill("#temperature", "37.9").await;
    lab.fill("#pulse", "96").await;
    lab.click_in_view("#vitals-form button[type=submit]").await;
    wait_for_text(&lab, "#latest-vitals", "37.9 °C").await;
    assert!(lab.fits_width().await, "the vitals page fits the width");
    lab.screenshot("52b-lab-visit-vitals").await;

    // A screening of the same patient, kept in their health records.
    lab.goto(&app, &format!("/patients/{}/health-records", l.patient)).await;
    lab.fill("#systolic", "118").await;
    lab.fill("#diastolic", "76").await;
    lab.fill("#eye_left", "6/6").await;
    lab.fill("#eye_right", "6/9").await;
    lab.fill("#notes", "Fit for sports.").await;
    lab.click_in_view("#outcome input[value='fit']").await;
    lab.click_in_view("#health-record-form button[type=submit]").await;
    wait_for_text(&lab, "#health-records", "118/76 mmHg").await;
    lab.screenshot("53-lab-health-records").await;
    lab.close().await;
    doctor.close().await;
}

/// From the worklist to the visit's sheet, on a phone and a desktop: a number typed, an answer chosen, both
/// saved with one button, then released with one more.
async fn the_lab_types_a_visits_results_on_one_page_at_both_sizes(app: TestApp) {
    // The lab releases every result here, the low ones too (by default those wait for the doctor).
    app.set_setting("lab_results_release", "lab").await;
    let l = lab(&app).await;
    sqlx::query("UPDATE lab_test SET answers = 'Not seen, Seen (+)', normal_answers = 'Not seen' WHERE id = $1")
        .bind(l.mp)
        .execute(app.db().pool())
        .await
        .expect("answers");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (round, width) in [360, 1366].into_iter().enumerate() {
        let visit = match round {
            0 => l.visit,
            _ => {
                let others = crate::support::Students::new("LW", "Labsheet")
                    .named(&app, &["Kemi"])
                    .await;
                crate::lab::open_visit(&l.doctor.1, others[0]).await
            }
        };
        let (hb, mp) = (l.hb.to_string(), l.mp.to_string());
        l.doctor
            .1
            .post(
                &format!("/visits/{visit}/lab/orders"),
                &[("test_id", hb.as_str()), ("test_id", mp.as_str())],
            )
            .await
            .assert_redirect(&format!("/visits/{visit}#lab"));
        let Some(lab) = Browser::start(width, 740, &format!("{backend}-lab-sheet-{width}")).await else {
            return;
        };
        lab.log_in(&app, "lab.ade", PASSWORD, "/lab").await;
        wait_for_text(&lab, "#worklist-rows", "All tests of this visit").await;
        lab.click_in_view(".visit-sheet-link").await;
        wait_for_text(&lab, "h1", "Results for").await;
        lab.assert_fits(width, "the results sheet").await;
        let orders: Vec<i64> = sqlx::query_scalar("SELECT id FROM lab_order WHERE visit_id = $1 ORDER BY id")
            .bind(visit)
            .fetch_all(app.db().pool())
            .await
            .expect("orders");
        lab.fill(&format!("#value_{}", orders[0]), "13.2").await;
        lab.click_in_view(&format!("#result-answers_{} input[value='Seen (+)']", orders[1]))
            .await;
        lab.screenshot(&format!("54-lab-visit-sheet-{width}")).await;
        lab.click_in_view("#results-sheet button[type=submit]").await;
        wait_for_text(&lab, "#messages", "2 results saved").await;
        wait_for_text(&lab, &format!("#order-{}", orders[1]), "Resulted").await;
        lab.click_in_view("#release-all-form button[type=submit]").await;
        lab.click("#confirm-ok").await;
        wait_for_text(&lab, "#messages", "Released 2 results").await;
        let released = app
            .count(&format!(
                "SELECT COUNT(*) FROM lab_order WHERE visit_id = {visit} AND status = 'released'"
            ))
            .await;
        assert_eq!(released, 2);
        lab.close().await;
    }
}
