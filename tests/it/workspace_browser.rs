//! The working screens in headless Chromium at the sizes people use them: reception's desk at 1366x768 checks
//! in and adds a walk-in without scrolling, with a busy board (folding and filtering the queues, remembered);
//! the consultation keeps the patient's allergies and "Complete visit" in view wherever the doctor works, with
//! a key per section; the phone home at 360x740 leads with what matters and tells what happened lately.

use fantoccini::Locator;
use serde_json::json;
use sickbay_core::db::Timestamp;

use crate::browser::Browser;
use crate::feedback_browser::{backend, on_screen, run};
use crate::queue::{PATIENTS, walk_in};
use crate::queue_browser::wait_for_text;
use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, appointment_today, clinic, new_visit, on_both_databases};

on_both_databases!(
    the_desk_checks_in_and_adds_a_walk_in_on_its_first_screen,
    the_consultation_keeps_the_patient_and_complete_in_view,
    the_phone_home_leads_with_what_matters_and_tells_what_happened,
);

async fn assert_in_first_screen(b: &Browser, css: &str, what: &str) {
    let (inside, place) = on_screen(b, css).await;
    assert!(inside, "{what} ({css}) is on the first screen: {place}");
}

/// How many Tab stops come before `css` from the top of the page (visible links, buttons, fields, summaries; the
/// links of a closed menu, which Chromium still lays out, are not stops).
async fn tab_stops_before(b: &Browser, css: &str) -> i64 {
    run(
        b,
        "const target = document.querySelector(arguments[0]);
         const all = Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]'))
           .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0
             && (e.tagName === 'SUMMARY' || !e.closest('details:not([open])')));
         return all.indexOf(target);",
        vec![json!(css)],
    )
    .await
    .as_i64()
    .unwrap_or(-1)
}

async fn visible_count(b: &Browser, css: &str) -> i64 {
    run(
        b,
        "return Array.from(document.querySelectorAll(arguments[0])).filter(e => e.offsetParent !== null).length;",
        vec![json!(css)],
    )
    .await
    .as_i64()
    .unwrap_or(-1)
}

async fn the_desk_checks_in_and_adds_a_walk_in_on_its_first_screen(app: TestApp) {
    let c = clinic(&app).await;
    // A busy morning: 30 waiting across three queues, and two bookings due within the hour.
    let ids = PATIENTS.numbered(&app, 37).await;
    let queues = [c.doctor_a.0.to_string(), c.doctor_b.0.to_string(), "general".to_owned()];
    for i in 0..30 {
        walk_in(&c.reception, i, &queues[i % 3], "normal")
            .await
            .assert_redirect("/queue");
    }
    let now = Timestamp::now().0;
    let due = appointment_today(&app, ids[30], c.doctor_a.0, Timestamp(now + 10 * 60_000)).await;
    appointment_today(&app, ids[31], c.doctor_b.0, Timestamp(now + 20 * 60_000)).await;

    let Some(b) = Browser::start(1366, 768, &format!("{}-desk", backend(&app))).await else {
        return;
    };
    b.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    b.goto(&app, "/queue").await;
    wait_for_text(&b, "#board-status", "Live").await;
    b.screenshot("70-desk-1366").await;
    assert_in_first_screen(&b, &format!("#due-{due} button"), "the check-in of the booking due").await;
    assert_in_first_screen(&b, "#walk-in-existing input[name=number]", "the walk-in search").await;
    assert_in_first_screen(&b, "#walk-in-existing button[type=submit]", "Add to the queue").await;
    assert_in_first_screen(&b, ".walk-in-new > summary", "the new patient's walk-in").await;
    assert_in_first_screen(&b, "#queue-general-head", "the queues").await;
    // The bookings due are in the panel under the search, drawn once there by the stream's opening frame (out of
    // its live region), so the queues start near the top of the screen.
    let layout = run(
        &b,
        "return [document.querySelectorAll('#due-live').length, !!document.querySelector('#live #due-live'), \
         !!document.querySelector('.desk-panel #due-live #due-' + arguments[0]), \
         Math.round(document.getElementById('queue-general-head').getBoundingClientRect().top)];",
        vec![json!(due)],
    )
    .await;
    assert_eq!(
        (&layout[0], &layout[1], &layout[2]),
        (&json!(1), &json!(false), &json!(true)),
        "{layout}"
    );
    assert!(layout[3].as_i64() < Some(320), "the queues' top: {layout}");
    // With the keyboard: the walk-in search is a few Tab stops from the top, before any of the 30 tickets.
    let stops = tab_stops_before(&b, "#walk-in-existing input[name=number]").await;
    assert!(
        (0..=20).contains(&stops),
        "Tab stops before the walk-in search: {stops}"
    );
    // A name many patients share: the matches scroll within the panel, "Add to the queue" stays in view under them.
    b.fill("#walk-in-existing input[name=number]", "Queue").await;
    wait_for_text(&b, "#walk-in-matches-count", "8+ patients match").await;
    let shown = run(
        &b,
        "const list = document.querySelector('.walk-in-match-list').getBoundingClientRect(); \
         return [...document.querySelectorAll('.walk-in-match')].filter(m => m.getBoundingClientRect().bottom <= list.bottom + 1).length;",
        vec![],
    )
    .await;
    assert!(shown.as_u64() >= Some(3), "whole matches in view in the panel: {shown}");
    assert_in_first_screen(
        &b,
        "#walk-in-existing button[type=submit]",
        "Add to the queue under the matches",
    )
    .await;
    b.screenshot("70b-desk-matches").await;
    b.fill("#walk-in-existing input[name=number]", "").await;

    // Check in the booking due, from the first screen: its ticket appears, the row goes.
    b.click_live(&format!("#due-{due} button")).await;
    wait_for_text(&b, "#check-in-messages", "ticket").await;
    let row_gone = format!("return !document.getElementById('due-{due}');");
    let mut gone = false;
    for _ in 0..50 {
        gone = run(&b, &row_gone, vec![]).await.as_bool() == Some(true);
        if gone {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the booking checked in leaves the panel's list");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket WHERE appointment_id = {due}"))
            .await,
        1
    );

    // A new patient walks in: the form opens in the panel, which stays put while the board scrolls.
    run(&b, "window.scrollTo(0, 600); return true;", vec![]).await;
    b.click(".walk-in-new > summary").await;
    b.fill("#walk-in-new #first_name", "Zainab").await;
    b.fill("#walk-in-new #surname", "Yaro").await;
    let (inside, place) = on_screen(&b, "#walk-in-new #surname").await;
    assert!(inside, "the panel stays in view as the board scrolls: {place}");
    b.click("#walk-in-new button[type=submit]").await;
    b.wait_for_path("/queue").await;
    wait_for_text(&b, "#board-status", "Live").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket t JOIN patient p ON p.id = t.patient_id WHERE p.surname = 'Yaro'")
            .await,
        1
    );
    // Her ticket is the one marked on the board, and stays marked through the live redraw after the page's load.
    let code: String = sqlx::query_scalar(
        "SELECT t.code FROM ticket t JOIN patient p ON p.id = t.patient_id WHERE p.surname = 'Yaro'",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("the new ticket's code");
    wait_for_text(&b, ".desk .ticket-new .ticket-code", &code).await;

    // The same names typed again for another walk-in: her record is offered before the form is sent, with the
    // ticket she holds, and the button stays on the first screen.
    run(
        &b,
        "document.querySelector('.walk-in-new').open = true; return true;",
        vec![],
    )
    .await;
    b.fill("#walk-in-new #first_name", "Zainab").await;
    b.fill("#walk-in-new #surname", "Yaro").await;
    // On to the phone with Tab, as a clerk does: the panel scrolls the field above its buttons.
    b.element("#walk-in-new #surname")
        .await
        .send_keys("\u{E004}")
        .await
        .expect("tab");
    wait_for_text(&b, "#walk-in-duplicates", &format!("In queue · {code}")).await;
    assert_in_first_screen(
        &b,
        "#walk-in-new button[type=submit]",
        "Register under the possible duplicates",
    )
    .await;
    // The panel scrolls once htmx has settled the list, a moment after its text is in: asked until it has.
    let mut seen = (false, String::new());
    for _ in 0..20 {
        seen = run(
            &b,
            "const list = document.querySelector('#walk-in-duplicates .walk-in-match').getBoundingClientRect();          const actions = document.querySelector('#walk-in-new .walk-in-actions').getBoundingClientRect();          const panel = document.querySelector('.desk-panel').getBoundingClientRect();          return [list.top >= panel.top && list.bottom <= actions.top, [list.top, list.bottom, actions.top]];",
            vec![],
        )
        .await
        .as_array()
        .map(|pair| (pair[0].as_bool() == Some(true), pair[1].to_string()))
        .expect("where the first possible duplicate is");
        if seen.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (shown, place) = seen;
    assert!(
        shown,
        "the first possible duplicate is in the panel's view, above its buttons: {place}"
    );
    b.screenshot("70c-desk-duplicates").await;
    // A different person of the same name: the choice holds while the rest of the form is filled in.
    b.click("#walk-in-duplicates input[value=new]").await;
    let priority = b.element("#walk-in-new select[name=priority]").await;
    priority.select_by_value("urgent").await.expect("urgent");
    run(
        &b,
        "return new Promise(done => setTimeout(() => done(true), 600));",
        vec![],
    )
    .await;
    let kept = run(
        &b,
        "return document.querySelector('#walk-in-duplicates input[value=new]').checked;",
        vec![],
    )
    .await;
    assert_eq!(kept, serde_json::json!(true), "the choice is kept");
    b.click("#walk-in-new button[type=submit]").await;
    wait_for_text(&b, "#walk-in-new-messages", "Walk-in added").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient WHERE surname = 'Yaro'").await,
        2
    );
    // "/" opens the registered patient's search from anywhere on the desk.
    run(&b, "document.activeElement.blur(); return true;", vec![]).await;
    b.client
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("/")
        .await
        .expect("key");
    let searching = run(
        &b,
        "return [document.activeElement.name, document.querySelector('.walk-in-registered').open];",
        vec![],
    )
    .await;
    assert_eq!(searching, serde_json::json!(["number", true]));

    // The strip names every queue with its waiting count, whichever fit on the board below.
    let picks = visible_count(&b, "#queue-strip [data-queue-pick]").await;
    let columns = visible_count(&b, ".desk .queue-column").await;
    assert_eq!(picks, columns + 1, "every queue and 'All queues'");
    let waiting = app
        .count(&format!(
            "SELECT COUNT(*) FROM ticket WHERE doctor_id = {} AND status = 'waiting'",
            c.doctor_a.0
        ))
        .await;
    let pick = b
        .text(&format!(
            "[data-queue-pick='queue-doctor-{}'] .queue-pick-count",
            c.doctor_a.0
        ))
        .await;
    assert_eq!(
        pick,
        waiting.to_string(),
        "the strip counts the queue's waiting tickets"
    );

    // Fold a queue, then show only one: both remembered after a reload.
    let all = visible_count(&b, ".desk .queue-column").await;
    assert!(all >= 3, "every queue is shown: {all}");
    b.click(&format!("[data-column-toggle='queue-doctor-{}']", c.doctor_b.0))
        .await;
    assert_eq!(
        visible_count(&b, &format!("#queue-doctor-{}-list", c.doctor_b.0)).await,
        0,
        "folded"
    );
    assert_eq!(
        visible_count(&b, &format!("#queue-doctor-{} .queue-stats", c.doctor_b.0)).await,
        1,
        "a folded queue keeps its counts"
    );
    b.click(&format!("[data-queue-pick='queue-doctor-{}']", c.doctor_a.0))
        .await;
    assert_eq!(visible_count(&b, ".desk .queue-column").await, 1, "one queue shown");
    b.goto(&app, "/queue").await;
    wait_for_text(&b, "#board-status", "Live").await;
    assert_eq!(
        visible_count(&b, ".desk .queue-column").await,
        1,
        "the choice is remembered"
    );
    b.screenshot("71-desk-one-queue").await;
    let shown = b
        .element(&format!("[data-queue-pick='queue-doctor-{}']", c.doctor_a.0))
        .await
        .attr("aria-current")
        .await
        .expect("the pick's state");
    assert_eq!(shown.as_deref(), Some("true"), "the strip marks the queue shown");
    b.click("[data-queue-pick='']").await;
    assert_eq!(visible_count(&b, ".desk .queue-column").await, all);
    assert_eq!(
        visible_count(&b, &format!("#queue-doctor-{}-list", c.doctor_b.0)).await,
        0,
        "still folded"
    );

    // More queues than the screen holds: "N more ›" says how many are past the edge and scrolls to them.
    assert_eq!(visible_count(&b, "[data-queue-scroll]").await, 0, "every queue fits");
    for (i, name) in ["dr.five", "dr.six", "dr.seven", "dr.eight", "dr.nine"]
        .iter()
        .enumerate()
    {
        let doctor = app
            .create_staff(name, sickbay_core::identity::Role::Doctor, false)
            .await;
        walk_in(&c.reception, 32 + i, &doctor.to_string(), "normal")
            .await
            .assert_redirect("/queue");
    }
    b.goto(&app, "/queue").await;
    wait_for_text(&b, "#board-status", "Live").await;
    let on = b.text("[data-queue-scroll='1']").await;
    assert!(on.ends_with("more ›"), "{on}");
    assert_eq!(
        visible_count(&b, "[data-queue-scroll='-1']").await,
        0,
        "nothing before the first"
    );
    b.screenshot("72-desk-more-queues").await;
    b.click("[data-queue-scroll='1']").await;
    let scrolled = run(
        &b,
        "return document.getElementById('queue-columns').scrollLeft;",
        vec![],
    )
    .await;
    assert!(scrolled.as_f64().unwrap_or(0.0) > 0.0, "scrolled on: {scrolled}");
    wait_for_text(&b, "[data-queue-scroll='-1']", "more").await;
}

async fn the_consultation_keeps_the_patient_and_complete_in_view(app: TestApp) {
    let c = clinic(&app).await;
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    sqlx::query(&format!(
        "UPDATE patient SET allergies = 'Penicillin', chronic_conditions = 'Asthma' WHERE id = {amaka}"
    ))
    .execute(app.db().pool())
    .await
    .expect("allergies");
    let visit = new_visit(&c.doctor_a.1, amaka).await;
    for (width, height, size) in [(1366, 768, "desktop"), (360, 740, "phone")] {
        let Some(b) = Browser::start(width, height, &format!("{}-consult-{size}", backend(&app))).await else {
            return;
        };
        b.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
        b.goto(&app, &format!("/visits/{visit}")).await;
        assert!(b.text("#allergies").await.contains("Penicillin"));
        // "Complete visit" is a few Tab stops from the top, not at the end of every form (the menu, the patient
        // bar's Update, the jump list).
        let stops = tab_stops_before(&b, "#complete-visit").await;
        assert!(
            (0..=27).contains(&stops),
            "{size}: Tab stops before Complete visit: {stops}"
        );
        // Down at the prescription, by its key: the patient's bar is still on screen.
        run(&b, "document.activeElement.blur(); return true;", vec![]).await;
        b.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .send_keys("6")
            .await
            .expect("key");
        let focused = run(&b, "return document.activeElement.id;", vec![]).await;
        assert_eq!(
            focused.as_str(),
            Some("prescriptions-heading"),
            "{size}: the key jumps to the prescription"
        );
        let scrolled = run(&b, "return window.scrollY;", vec![]).await.as_f64().unwrap_or(0.0);
        assert!(scrolled > 300.0, "{size}: the page moved down ({scrolled})");
        assert_in_first_screen(&b, "#allergies", "the allergies").await;
        // The section lands below the patient's bar, not under it, and the bar leaves most of a phone's screen.
        let under = run(
            &b,
            "var bar = document.getElementById('patient-bar').getBoundingClientRect();
             var heading = document.getElementById('prescriptions-heading').getBoundingClientRect();
             return [bar.height, heading.top - bar.bottom];",
            vec![],
        )
        .await;
        let (bar, gap) = (under[0].as_f64().unwrap_or(0.0), under[1].as_f64().unwrap_or(-1.0));
        assert!(gap >= 0.0, "{size}: the heading is {gap} px under the patient's bar");
        assert!(bar <= 120.0, "{size}: the patient's bar is {bar} px tall");
        b.screenshot(&format!("72-consult-prescription-{size}")).await;
        if width > 1000 {
            assert_in_first_screen(&b, "#complete-visit", "Complete visit").await;
        }
        // The form waits under "Add a medicine"; opening it puts the keyboard in the drug search.
        b.click_in_view("#prescriptions details.fold > summary").await;
        let in_search = b.wait_until("return document.activeElement.id === 'drug_q';").await;
        assert!(in_search, "{size}: the drug search has the keyboard");
        // Typing a number in a field is typing, not a jump.
        b.fill("#dose", "2").await;
        let focused = run(&b, "return document.activeElement.id;", vec![]).await;
        assert_eq!(focused.as_str(), Some("dose"));
        // Escape leaves the field for its section's heading, where the keys jump again; the dose stays.
        b.element("#dose").await.send_keys("\u{E00C}").await.expect("escape");
        let focused = run(
            &b,
            "return [document.activeElement.id, document.getElementById('dose').value];",
            vec![],
        )
        .await;
        assert_eq!(focused, serde_json::json!(["prescriptions-heading", "2"]), "{size}");
    }
}

async fn the_phone_home_leads_with_what_matters_and_tells_what_happened(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let Some(b) = Browser::start(360, 740, &format!("{}-phone-home", backend(&app))).await else {
        return;
    };
    // Nothing booked: booking leads.
    b.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    assert_in_first_screen(&b, "#book-now", "Book an appointment").await;
    assert!(b.text("#no-activity").await.contains("Nothing yet"));
    // Booked: the appointment leads, and the feed says so in words.
    let now = Timestamp::now().0;
    let booking = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp(now + 2 * 3_600_000)).await;
    b.goto(&app, "/me").await;
    assert_eq!(visible_count(&b, "#book-now").await, 0);
    assert_in_first_screen(&b, "#next-appointment", "the next appointment").await;
    assert!(b.text("#activity-feed").await.contains("Booked with Test dr.adeyemi"));
    b.screenshot("73-phone-home-booked").await;
    // Checked in: the ticket leads.
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &booking.to_string())])
        .await
        .assert_redirect("/queue");
    b.goto(&app, "/me").await;
    assert_in_first_screen(&b, "#my-queue", "the ticket").await;
    b.screenshot("74-phone-home-ticket").await;
    assert!(b.fits_width().await, "the home fits a phone's width");
}
