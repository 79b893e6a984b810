//! The live queue in headless Chromium: the waiting-room display and a student's phone change without a
//! reload when the doctor presses "Call next" on their own screen.

use std::time::Duration;

use crate::browser::Browser;
use crate::queue::{PATIENTS, walk_in};
use sickbay::state::AppState;
use sickbay_core::db::Db;

use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, appointment_today, clinic, on_both_databases, test_config};
use sickbay_core::db::Timestamp;

on_both_databases!(
    the_display_and_the_phone_follow_the_doctors_call,
    the_display_shows_a_lost_connection_and_catches_up_after_a_restart,
    a_push_waits_while_reception_is_choosing,
    the_display_shows_as_many_next_tickets_as_fit_and_no_old_call,
    the_staff_header_stays_on_one_line_with_the_rest_under_more,
    a_walk_in_is_chosen_first_and_added_with_its_own_button,
    the_desks_search_checks_in_a_later_booking_and_registers_a_name_it_did_not_find,
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
    wait_for_text(&doctor, "#queue-status", "Live").await;
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
    wait_for_text(&doctor, "h1", "Complete the visit").await;
    doctor.click_in_view("#sign-and-complete").await;
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
    let select = desk.element(&format!("#ticket-dialog #transfer-{ticket}")).await;
    // It opens on the ticket's name, so an Enter pressed at once moves no one.
    let focused = desk
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .expect("focus");
    assert_eq!(focused.as_str(), Some("ticket-dialog-title"));
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
        .execute(
            "document.querySelector('.desk-rooms').open = true; document.getElementById('room-doctor').focus(); return true;",
            vec![],
        )
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

/// What a display shows of its "Next" list, measured in the page: how many tickets it was sent, how many are on
/// screen (not in the cut-off column to the right), whether each of those is whole inside the list and the window,
/// and whether the page scrolls.
const NEXT_FIT: &str = r#"
const list = document.querySelector('.tiles-next');
const box = list.getBoundingClientRect();
const items = [...list.children];
const shown = items.filter((li) => li.getBoundingClientRect().left < box.right - 1);
const whole = shown.every((li) => {
  const r = li.getBoundingClientRect();
  return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
});
return {
  sent: items.length,
  shown: shown.length,
  whole,
  scrolls: document.documentElement.scrollHeight > window.innerHeight,
};
"#;

async fn next_fit(b: &Browser) -> serde_json::Value {
    b.client.execute(NEXT_FIT, vec![]).await.expect("measure")
}

/// A long queue and a call left unanswered for 20 minutes: at 1366x768 and on a phone the "Next" list shows only
/// the tickets that fit whole and the page never scrolls; the old call is not under "Now calling" but in the
/// smaller "Called earlier" line.
async fn the_display_shows_as_many_next_tickets_as_fit_and_no_old_call(app: TestApp) {
    let c = clinic(&app).await;
    let names: Vec<String> = (0..14).map(|i| format!("Long{i}")).collect();
    PATIENTS
        .named(&app, &names.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    let a = c.doctor_a.0.to_string();
    for i in 0..14 {
        let queue = if i % 2 == 0 { a.as_str() } else { "general" };
        walk_in(&c.reception, i, queue, "normal")
            .await
            .assert_redirect("/queue");
    }
    let old = crate::queue::called_code(&c.doctor_b.1).await.expect("a call");
    let current = crate::queue::called_code(&c.doctor_a.1).await.expect("a call");
    let a_while_ago = sickbay_core::db::Timestamp(sickbay_core::db::Timestamp::now().0 - 20 * 60_000);
    sqlx::query("UPDATE ticket SET called_at = $1, last_called_at = $1 WHERE code = $2")
        .bind(a_while_ago)
        .bind(&old)
        .execute(app.db().pool())
        .await
        .unwrap();
    app.announce(sickbay_core::db::events::Event::Queue { call: None })
        .await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, least) in [(1366, 768, 5), (360, 740, 2)] {
        let Some(tv) = Browser::start(width, height, &format!("{backend}-display-{width}")).await else {
            return;
        };
        tv.goto(&app, "/display").await;
        wait_for_text(&tv, ".display-connection", "Live").await;
        wait_for_text(&tv, ".tile-call .tile-code", &current).await;
        let calling = tv.text(".tiles-calling").await;
        assert!(
            !calling.contains(&old),
            "a 20-minute-old call is not under Now calling: {calling}"
        );
        let earlier = tv.text("#called-earlier").await;
        assert!(earlier.contains(&format!("{old} Room 2")), "{earlier}");
        let fit = next_fit(&tv).await;
        assert_eq!(fit["sent"].as_i64(), Some(8), "{fit}");
        let shown = fit["shown"].as_i64().unwrap_or(0);
        assert!(shown >= least && shown <= 8, "{width}x{height}: {fit}");
        assert_eq!(
            fit["whole"].as_bool(),
            Some(true),
            "{width}x{height}: every ticket shown is whole: {fit}"
        );
        assert_eq!(
            fit["scrolls"].as_bool(),
            Some(false),
            "{width}x{height}: the display never scrolls: {fit}"
        );
        assert!(tv.fits_width().await);
        tv.screenshot("42-display-long-queue").await;
        tv.close().await;
    }
    // The desk still shows the old call, told that the display no longer does; the current one is not.
    let Some(desk) = Browser::start(1366, 768, &format!("{backend}-desk-old-call")).await else {
        return;
    };
    desk.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    desk.goto(&app, "/queue").await;
    wait_for_text(&desk, "#board-status", "Live").await;
    wait_for_text(&desk, ".ticket-call-stale", &old).await;
    let stale = desk.text(".ticket-call-stale").await;
    assert!(stale.contains("· call again"), "{stale}");
    assert!(!stale.contains(&current), "{stale}");
    desk.screenshot("43-desk-old-call").await;
    desk.close().await;
}

/// The header as laid out: how many lines the sections shown take, whether the clinic's name is cut, the
/// header's height, and the sections under "More" against those hidden from the row.
const HEADER: &str = r#"
const header = document.querySelector('.site-header');
const row = header.querySelector('.section-nav');
const items = [...row.children];
const visible = items.filter((li) => getComputedStyle(li).visibility !== 'hidden' && getComputedStyle(row).display !== 'none');
const rowBox = row.getBoundingClientRect();
const brand = header.querySelector('.brand');
const more = header.querySelector('.nav-menu');
const moreShown = getComputedStyle(more).display !== 'none';
const inMore = [...more.querySelectorAll('.nav-menu-list > li')]
  .filter((li) => getComputedStyle(li).display !== 'none')
  .map((li) => li.textContent.trim());
return {
  lines: new Set(visible.map((li) => Math.round(li.getBoundingClientRect().top))).size,
  clipped: visible.some((li) => li.getBoundingClientRect().bottom > rowBox.bottom + 1 || li.getBoundingClientRect().right > rowBox.right + 1),
  brandCut: brand.scrollWidth > brand.clientWidth,
  height: header.getBoundingClientRect().height,
  shown: visible.map((li) => li.textContent.trim()),
  moreShown,
  inMore,
  all: items.map((li) => li.textContent.trim()),
  fits: document.documentElement.scrollWidth <= window.innerWidth,
};
"#;

async fn header(b: &Browser) -> serde_json::Value {
    b.client.execute(HEADER, vec![]).await.expect("measure the header")
}

/// The admin's twelve sections at 1366 px, at a narrower desktop and with a long clinic name: one line, the name
/// whole, every section either on the row or under "More" (never both, never neither); on a phone, one "Menu".
async fn the_staff_header_stays_on_one_line_with_the_rest_under_more(app: TestApp) {
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, clinic_name) in [
        (1366, 768, "Sickbay Clinic"),
        (1024, 768, "Sickbay Clinic"),
        (1366, 768, "University Health Services Centre, Main Campus"),
    ] {
        app.set_setting("clinic_name", clinic_name).await;
        let Some(b) = Browser::start(width, height, &format!("{backend}-header-{width}")).await else {
            return;
        };
        b.log_in(&app, "admin", crate::support::ADMIN_PASSWORD, "/admin").await;
        b.goto(&app, "/admin/reports/visits").await;
        let h = header(&b).await;
        let all: Vec<&str> = h["all"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
        assert!(all.len() >= 10, "{h}");
        assert_eq!(h["lines"].as_i64(), Some(1), "{width} {clinic_name}: one line: {h}");
        assert_eq!(h["clipped"].as_bool(), Some(false), "{h}");
        assert_eq!(
            h["brandCut"].as_bool(),
            Some(false),
            "{width} {clinic_name}: the name is whole: {h}"
        );
        // One line of sections is about 105 px high at this width (Pico's 125 % type); two were 143.
        assert!(h["height"].as_f64().unwrap_or(999.0) < 125.0, "{h}");
        assert_eq!(h["fits"].as_bool(), Some(true), "{h}");
        let shown: Vec<&str> = h["shown"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let in_more: Vec<&str> = h["inMore"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let more_shown = h["moreShown"].as_bool() == Some(true);
        if shown.len() == all.len() {
            assert!(!more_shown, "nothing to put under More: {h}");
        } else {
            assert!(more_shown, "{h}");
            let mut both: Vec<&str> = shown.iter().chain(in_more.iter()).copied().collect();
            both.sort_unstable();
            let mut every = all.clone();
            every.sort_unstable();
            assert_eq!(both, every, "each section once, on the row or under More: {h}");
            b.click(".site-header .nav-menu > summary").await;
        }
        let name = if clinic_name.len() > 20 { "long-name" } else { "header" };
        b.screenshot(&format!("43-{name}")).await;
        b.close().await;
    }
    // On a phone: one line, the name, the menu button and the user's menu; the menu lists every section.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-header-phone")).await else {
        return;
    };
    phone
        .log_in(&app, "admin", crate::support::ADMIN_PASSWORD, "/admin")
        .await;
    let h = header(&phone).await;
    assert!(h["height"].as_f64().unwrap_or(999.0) < 80.0, "{h}");
    assert_eq!(h["fits"].as_bool(), Some(true), "{h}");
    assert_eq!(h["shown"].as_array().map(Vec::len), Some(0), "{h}");
    assert_eq!(
        h["inMore"].as_array().map(Vec::len),
        h["all"].as_array().map(Vec::len),
        "{h}"
    );
    phone.click(".site-header .nav-menu > summary").await;
    phone.screenshot("44-header-menu").await;
    phone.close().await;
}

/// Reception types a name: the matches appear; a click on one only chooses them (marked), the queue and priority
/// stay in view below, and "Add to the queue" adds them.
async fn a_walk_in_is_chosen_first_and_added_with_its_own_button(app: TestApp) {
    clinic(&app).await;
    PATIENTS.named(&app, &["Adaeze", "Adamu", "Bisi"]).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height) in [(1366, 768), (360, 740)] {
        let Some(desk) = Browser::start(width, height, &format!("{backend}-walk-in-{width}")).await else {
            return;
        };
        desk.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
        desk.goto(&app, "/queue").await;
        desk.fill("#walk-in-existing input[name=number]", "ada").await;
        wait_for_text(&desk, "#walk-in-matches-count", "match").await;
        desk.click_in_view("#walk-in-existing .walk-in-match:nth-of-type(2) .person-name")
            .await;
        let checked = desk
            .client
            .execute(
                "const r = document.querySelector('#walk-in-existing input[name=patient]:checked'); \
                 return r ? r.value : null;",
                vec![],
            )
            .await
            .expect("checked");
        let chosen = checked.as_str().expect("a patient chosen").to_owned();
        assert_eq!(desk.path().await, "/queue", "choosing did not send the form");
        let tickets = app.count("SELECT COUNT(*) FROM ticket WHERE status = 'waiting'").await;
        assert_eq!(tickets, 0, "choosing adds nobody");
        // The queue, the priority and the button are right below the choice, on screen with it.
        let below = desk
            .client
            .execute(
                "const b = document.querySelector('#walk-in-existing button[type=submit]').getBoundingClientRect(); \
                 const m = document.querySelector('#walk-in-existing .walk-in-matches').getBoundingClientRect(); \
                 return b.top >= m.bottom && b.bottom <= window.innerHeight + m.height;",
                vec![],
            )
            .await
            .expect("layout");
        assert_eq!(below.as_bool(), Some(true));
        assert!(desk.fits_width().await);
        desk.screenshot("45-walk-in-chosen").await;
        desk.client
            .find(fantoccini::Locator::Css("#walk-in-existing select[name=priority]"))
            .await
            .expect("priority")
            .select_by_value("urgent")
            .await
            .expect("urgent");
        desk.click_in_view("#walk-in-existing button[type=submit]").await;
        wait_for_text(&desk, "#walk-in-existing", "Walk-in added with ticket").await;
        let (number, priority): (String, String) = sqlx::query_as(
            "SELECT p.clinic_number, t.priority FROM ticket t JOIN patient p ON p.id = t.patient_id
             ORDER BY t.id DESC LIMIT 1",
        )
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!((number, priority.as_str()), (chosen, "urgent"));
        desk.screenshot("46-walk-in-added").await;
        desk.close().await;
        // The next round adds the other Ada.
        sqlx::query("UPDATE ticket SET status = 'cancelled'")
            .execute(app.db().pool())
            .await
            .unwrap();
    }
}

/// At 1366x768, with nobody due within the hour: reception types the name of a patient booked this evening and
/// checks them in from their row in the search, without scrolling; the row then shows their ticket. A name that
/// finds nobody opens the new patient's form with the name filled in and the focus on what is left to fill.
async fn the_desks_search_checks_in_a_later_booking_and_registers_a_name_it_did_not_find(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Evening", "Evelyn"]).await;
    appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now().plus_minutes(300)).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 768, &format!("{backend}-desk-search")).await else {
        return;
    };
    desk.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    desk.goto(&app, "/queue").await;
    desk.fill("#walk-in-existing input[name=number]", "eve").await;
    wait_for_text(&desk, "#walk-in-matches", "Check in").await;
    // Booked today, Evening comes before Evelyn, whom the alphabet puts first.
    let first = desk.text(".walk-in-match .person-name").await;
    assert!(first.contains("Evening"), "{first}");
    let in_view = desk
        .client
        .execute(
            "const b = document.querySelector('.walk-in-check-in').getBoundingClientRect(); \
             return b.top >= 0 && b.bottom <= window.innerHeight && window.scrollY === 0;",
            vec![],
        )
        .await
        .expect("layout");
    assert_eq!(in_view.as_bool(), Some(true), "the check-in is on the first screen");
    desk.screenshot("47-desk-search-check-in").await;
    desk.click(".walk-in-check-in").await;
    wait_for_text(&desk, "#check-in", "Checked in with ticket").await;
    wait_for_text(&desk, "#walk-in-matches", "In queue").await;
    // The button pressed is gone: the focus is back in the search, its text selected for the next name.
    let focus = desk
        .client
        .execute(
            "const a = document.activeElement; return [a.name, a.selectionStart, a.selectionEnd, a.value.length];",
            vec![],
        )
        .await
        .expect("the focus");
    assert_eq!(focus, serde_json::json!(["number", 0, 3, 3]));
    let status = app
        .count("SELECT COUNT(*) FROM appointment WHERE status = 'checked_in'")
        .await;
    assert_eq!(status, 1);
    assert!(desk.fits_width().await);

    desk.fill("#walk-in-existing input[name=number]", "Ada Okafor").await;
    wait_for_text(&desk, "#walk-in-matches", "Register them").await;
    desk.click("a[data-register-new]").await;
    let form = desk
        .client
        .execute(
            "const f = document.getElementById('walk-in-new'); \
             return [f.closest('details').open, f.first_name.value, f.surname.value, document.activeElement.name];",
            vec![],
        )
        .await
        .expect("the new patient's form");
    assert_eq!(form, serde_json::json!([true, "Ada", "Okafor", "phone"]));
    assert_eq!(desk.path().await, "/queue");
    desk.screenshot("48-desk-register-new").await;
    desk.close().await;
}
