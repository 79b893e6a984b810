//! The live queue in headless Chromium: the waiting-room display and a student's phone change without a
//! reload when the doctor presses "Call next" on their own screen.

use std::time::Duration;

use crate::browser::Browser;
use crate::queue::{PATIENTS, walk_in};
use sickbay::db::Db;
use sickbay::state::AppState;

use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, clinic, on_both_databases, test_config};

on_both_databases!(
    the_display_and_the_phone_follow_the_doctors_call,
    the_display_shows_a_lost_connection_and_catches_up_after_a_restart,
    a_push_waits_while_reception_is_choosing,
);

/// Polls until `css` holds `expected` (a page updated by a server push, not by navigation).
pub(crate) async fn wait_for_text(b: &Browser, css: &str, expected: &str) {
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

/// Marks the page, so that a reload (which would clear the mark) can be told from a live update.
pub(crate) async fn mark(b: &Browser) {
    b.client
        .execute("window.sickbayMark = 'still the same page'; return true;", vec![])
        .await
        .expect("mark");
}

pub(crate) async fn still_marked(b: &Browser) -> bool {
    let mark = b
        .client
        .execute("return window.sickbayMark || null;", vec![])
        .await
        .expect("read mark");
    mark.as_str() == Some("still the same page")
}

async fn the_display_and_the_phone_follow_the_doctors_call(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Amaka", "Tunde"]).await;
    let a = c.doctor_a.0.to_string();
    walk_in(&c.reception, 0, &a, "normal").await.assert_redirect("/queue");
    walk_in(&c.reception, 1, &a, "urgent").await.assert_redirect("/queue");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    // The TV in the waiting room.
    let Some(tv) = Browser::start(1920, 1080, &format!("{backend}-tv")).await else {
        return;
    };
    tv.goto(&app, "/display").await;
    wait_for_text(&tv, ".display-connection", "Live").await;
    wait_for_text(&tv, ".tiles-next", "A-002").await;
    wait_for_text(&tv, ".display-calling .display-empty", "Please wait to be called.").await;
    tv.click("#enable-sound").await;
    mark(&tv).await;
    tv.screenshot("30-display-before").await;

    // Amaka follows her place on her phone: Tunde is urgent, so he goes first.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-phone-queue")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    assert_eq!(phone.text("#my-queue-ticket").await, "A-001");
    phone.click("a.queue-card").await;
    phone.wait_for_path("/me/queue").await;
    wait_for_text(&phone, "#place-ahead", "1").await;
    assert!(phone.fits_width().await, "the place fits a phone");
    mark(&phone).await;
    phone.screenshot("31-place-before").await;

    // The doctor presses "Call next" on their own screen.
    let Some(doctor) = Browser::start(1280, 900, &format!("{backend}-desktop-doctor")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    doctor.click("a[href='/queue/doctor']").await;
    doctor.wait_for_path("/queue/doctor").await;
    doctor.click_live("#call-next").await;
    wait_for_text(&doctor, "#queue-notice", "Called A-002 to Room 1.").await;
    doctor.screenshot("32-doctor-called").await;

    // The TV shows the call without a reload, and announces it.
    wait_for_text(&tv, ".tile-call .tile-code", "A-002").await;
    wait_for_text(&tv, ".tile-call .tile-room", "Room 1").await;
    wait_for_text(&tv, "#announce", "A-002").await;
    // Read in one step in the page: a server push may replace the element at any moment.
    let say = tv
        .client
        .execute(
            "return document.querySelector('#announce [data-say]').getAttribute('data-say');",
            vec![],
        )
        .await
        .expect("announcement");
    assert_eq!(say.as_str(), Some("Ticket A 2, Room 1"));
    assert!(
        still_marked(&tv).await,
        "the display was updated in place, not reloaded"
    );
    let body_class = tv
        .client
        .execute("return document.body.className;", vec![])
        .await
        .unwrap();
    assert!(body_class.as_str().unwrap_or_default().contains("sound-on"));
    tv.screenshot("33-display-after").await;

    // Amaka's phone says she is next, then sends her to the room.
    wait_for_text(&phone, "#place-now", "You're next").await;
    assert!(still_marked(&phone).await, "the phone was updated in place");
    phone.screenshot("34-place-next").await;
    // Starting opens the visit's consultation screen; completing it brings the doctor back to the queue.
    doctor.click_live(".ticket-called form[action$='/start'] button").await;
    wait_for_text(&doctor, "h1", "Tunde").await;
    doctor.click("#complete-visit").await;
    wait_for_text(&doctor, ".flash", "The visit is completed.").await;
    doctor.click_live("#call-next").await;
    wait_for_text(&phone, "#place-room", "Go to Room 1").await;
    assert!(phone.fits_width().await);
    phone.screenshot("35-place-called").await;
    wait_for_text(&tv, ".tile-call .tile-code", "A-001").await;
    doctor.screenshot("36-doctor-queue").await;

    // Reception's board, live too.
    let Some(desk) = Browser::start(1280, 900, &format!("{backend}-desktop-reception")).await else {
        return;
    };
    desk.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    desk.goto(&app, "/queue").await;
    wait_for_text(&desk, "#board-status", "Live").await;
    wait_for_text(&desk, &format!("#queue-doctor-{a} .queue-stats"), "1 served").await;
    desk.screenshot("37-reception-board").await;

    // The display on a phone-sized screen still fits.
    let Some(small) = Browser::start(360, 740, &format!("{backend}-phone-display")).await else {
        return;
    };
    small.goto(&app, "/display").await;
    wait_for_text(&small, ".tile-call .tile-code", "A-001").await;
    assert!(small.fits_width().await, "the display fits a phone");
    small.screenshot("38-display").await;
    for browser in [tv, phone, doctor, desk, small] {
        browser.close().await;
    }
}

async fn the_display_shows_a_lost_connection_and_catches_up_after_a_restart(mut app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ngozi"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(tv) = Browser::start(1280, 720, &format!("{backend}-tv-restart")).await else {
        return;
    };
    tv.goto(&app, "/display").await;
    wait_for_text(&tv, ".tiles-next", "G-001").await;
    wait_for_text(&tv, ".display-connection", "Live").await;
    mark(&tv).await;

    // The server stops: the screen says it is reconnecting, with the time of the last update.
    let (addr, url) = (app.addr, app.db().url().to_owned());
    app.shutdown().await;
    wait_for_text(&tv, ".display-connection", "Reconnecting").await;
    assert!(
        !tv.text("#updated").await.is_empty(),
        "the last update's time stays on screen"
    );
    tv.screenshot("39-display-reconnecting").await;

    // Meanwhile a doctor on another instance calls the ticket (the queue lives in the database).
    let db = Db::connect(&url).await.expect("reconnect to the database");
    let restarted = TestApp::serve_on(addr, AppState::new(db, test_config()).await.expect("state")).await;
    crate::queue::called_code(&c.doctor_a.1).await;

    // The display reconnects by itself and gets the whole current state, without a reload.
    wait_for_text(&tv, ".tile-call .tile-code", "G-001").await;
    wait_for_text(&tv, ".display-connection", "Live").await;
    assert!(still_marked(&tv).await, "caught up in place, not reloaded");
    tv.screenshot("40-display-caught-up").await;
    tv.close().await;
    drop(restarted);
}

async fn a_push_waits_while_reception_is_choosing(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ngozi", "Obinna", "Emeka"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let ticket = app.count("SELECT id FROM ticket").await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1280, 900, &format!("{backend}-desktop-choosing")).await else {
        return;
    };
    desk.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    desk.goto(&app, "/queue").await;
    // The stream's first message (the full state) has been swapped in.
    wait_for_text(&desk, "#board-status", "updated").await;
    // Half-way through a transfer, in the ticket's actions (the board's dialog)...
    desk.click_live(&format!("#ticket-{ticket} a.ticket-menu")).await;
    let select = desk
        .client
        .wait()
        .for_element(fantoccini::Locator::Css(&format!("#ticket-dialog #transfer-{ticket}")))
        .await
        .expect("transfer menu");
    select.select_by_value(&c.doctor_b.0.to_string()).await.expect("choose");
    // ...another desk adds a walk-in: the push adds the ticket to the board and leaves the choice alone.
    walk_in(&c.reception, 1, "general", "normal")
        .await
        .assert_redirect("/queue");
    wait_for_text(&desk, "#queue-general", "G-002").await;
    let chosen = desk
        .client
        .execute(
            &format!("return document.getElementById('transfer-{ticket}').value;"),
            vec![],
        )
        .await
        .expect("value");
    assert_eq!(
        chosen.as_str(),
        Some(c.doctor_b.0.to_string().as_str()),
        "the choice was kept"
    );
    desk.screenshot("41-ticket-actions").await;
    // The move goes to the chosen ticket; the dialog closes and the push moves the ticket.
    desk.click(&format!("#ticket-dialog #transfer-{ticket} ~ button")).await;
    wait_for_text(&desk, "#queue-notice", "transferred").await;
    wait_for_text(&desk, &format!("#queue-doctor-{}", c.doctor_b.0), "G-001").await;
    let open = desk
        .client
        .execute("return document.getElementById('ticket-dialog').open;", vec![])
        .await
        .expect("dialog");
    assert_eq!(open.as_bool(), Some(false), "the dialog closed");
    // A push still waits while a choice on the board itself is open (a doctor's room, a check-in's priority):
    // the room menu focused, another walk-in arrives.
    desk.client
        .execute("document.getElementById('room-doctor').focus(); return true;", vec![])
        .await
        .expect("focus");
    walk_in(&c.reception, 2, "general", "normal")
        .await
        .assert_redirect("/queue");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let shown = desk
        .client
        .execute(
            "return document.querySelectorAll('#queue-general .ticket').length;",
            vec![],
        )
        .await
        .expect("count");
    assert_eq!(shown.as_i64(), Some(1), "the update waits");
    // Done (focus leaves): the update lands.
    desk.click("h1").await;
    wait_for_text(&desk, "#queue-general", "G-003").await;
    desk.close().await;
}
