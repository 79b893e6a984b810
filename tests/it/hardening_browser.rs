//! Hardening in headless Chromium, measured rather than eyeballed: the booking picker (compact, the chosen
//! slot marked, the book bar in reach on a phone) and the phone shell (the staff menu on one line, the
//! patients' tab bar, and pages that never scroll sideways at 360 px, even with long names).

use std::time::Duration;

use fantoccini::actions::InputSource;
use serde_json::Value;
use sickbay_core::db::Timestamp;

use crate::browser::Browser;
use crate::queue::{PATIENTS, called_code, walk_in};
use crate::support::{
    ADMIN_PASSWORD, PASSWORD, STUDENT_PASSWORD, Students, TestApp, add_room, appointment_today, clinic, doctor_in_room,
    on_both_databases,
};

on_both_databases!(
    the_booking_picker_is_compact_and_keeps_book_in_reach,
    the_phone_shell_stays_on_one_line_and_nothing_overflows,
);

/// The student who books: BK/26/0000.
const STUDENTS: Students = Students::new("BK", "Booker");

/// 40 characters, the longest room name allowed.
const LONG_ROOM: &str = "Consulting Room Twelve, East Wing Annex";

/// A 60-character name with nowhere to break.
fn long_name() -> String {
    "Oluwa".repeat(12)
}

async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.expect(script)
}

async fn log_out(b: &Browser) {
    b.client
        .execute("document.querySelector('.logout-form').submit(); return true;", vec![])
        .await
        .expect("log out");
    b.wait_for_path("/login?logged_out=1").await;
}

/// Weekly hours every day, `from`..`to` o'clock, ten-minute slots with two seats, and the slots generated.
async fn hours_every_day(app: &TestApp, doctor: i64, from: i64, to: i64) {
    crate::support::hours_every_day(app, doctor, from * 60, to * 60, 10, 2).await;
}

async fn the_booking_picker_is_compact_and_keeps_book_in_reach(app: TestApp) {
    let bello = app
        .create_staff("dr.bello", sickbay_core::identity::Role::Doctor, false)
        .await;
    let okafor = app
        .create_staff("dr.okafor", sickbay_core::identity::Role::Doctor, false)
        .await;
    for doctor in [bello, okafor] {
        hours_every_day(&app, doctor, 8, 16).await;
    }
    let ids = STUDENTS.numbered(&app, 1).await;
    let tomorrow = (app.state.settings.get().today() + chrono::Duration::days(1)).to_string();
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-phone-hardening")).await else {
        return;
    };
    phone.log_in(&app, &STUDENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.goto(&app, &format!("/me/book?day={tomorrow}")).await;
    phone.assert_fits(360, "the booking page").await;
    phone.screenshot("50-book-top").await;

    // The days: one radio group, every chip on screen, each saying whether it has free places.
    let days = js(
        &phone,
        "const chips = [...document.querySelectorAll('.day-chip')];
         return { radios: document.querySelectorAll('input[type=radio][name=day]').length,
                  chips: chips.length,
                  cells: document.querySelector('.day-grid').children.length,
                  outside: chips.filter(c => { const r = c.getBoundingClientRect();
                                               return r.left < 0 || r.right > window.innerWidth; }).length,
                  small: chips.filter(c => c.getBoundingClientRect().height < 44).length,
                  checked: (document.querySelector('input[name=day]:checked') || {}).value || null };",
    )
    .await;
    assert!(days["radios"].as_i64().unwrap_or(0) >= 7, "{days}");
    assert_eq!(days["radios"], days["chips"], "{days}");
    // Whole weeks: blank cells before the first day and after the last, so no day sits alone on its row.
    assert_eq!(days["cells"].as_i64().unwrap_or(1) % 7, 0, "{days}");
    assert_eq!(days["outside"], 0, "no day chip is clipped: {days}");
    assert_eq!(days["small"], 0, "day chips are at least 44 px tall: {days}");
    assert_eq!(days["checked"].as_str(), Some(tomorrow.as_str()), "{days}");
    let chip = phone
        .text(&format!("label.day-chip:has(input[value='{tomorrow}'])"))
        .await;
    assert!(
        chip.contains("Open") || chip.contains("left"),
        "the day says it has free places: {chip:?}"
    );

    // The keyboard: the days are one Tab stop, and an arrow key moves to the next day (its times swap in, the
    // focus stays on the days).
    let day_after = (app.state.settings.get().today() + chrono::Duration::days(2)).to_string();
    js(
        &phone,
        &format!("document.getElementById('day-{tomorrow}').focus(); return true;"),
    )
    .await;
    let right = fantoccini::actions::KeyActions::new("keyboard".into())
        .then(fantoccini::actions::KeyAction::Down { value: '\u{E014}' })
        .then(fantoccini::actions::KeyAction::Up { value: '\u{E014}' });
    phone.client.perform_actions(right).await.expect("arrow key");
    for _ in 0..100 {
        if phone.path().await.contains(&format!("day={day_after}")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let focus = js(
        &phone,
        "return [document.activeElement.id, document.getElementById('slots-heading').textContent];",
    )
    .await;
    assert_eq!(focus[0].as_str(), Some(format!("day-{day_after}").as_str()), "{focus}");
    phone.goto(&app, &format!("/me/book?day={tomorrow}")).await;

    // Any doctor: each doctor's first four times, and one tap to all of a doctor's day.
    let any = js(
        &phone,
        "return { doctors: document.querySelectorAll('.slot-group').length,
                  slots: document.querySelectorAll('.slot-choice').length,
                  more: [...document.querySelectorAll('.slot-more')].map(a => a.textContent.trim()) };",
    )
    .await;
    assert_eq!(any["doctors"], 2, "{any}");
    assert_eq!(any["slots"], 8, "{any}");
    assert_eq!(
        any["more"],
        serde_json::json!(["All 48 times with Test dr.bello", "All 48 times with Test dr.okafor"]),
        "{any}"
    );
    js(
        &phone,
        "document.querySelector('.slot-group:last-of-type .slot-more').scrollIntoView({block: 'center'}); return true;",
    )
    .await;
    phone.screenshot("50a-book-any-doctor").await;
    phone.click(".slot-group:last-of-type .slot-more").await;
    for _ in 0..100 {
        if phone.path().await.contains(&format!("doctor={okafor}")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The doctor's day: by morning and afternoon, as a grid of big enough time buttons.
    let slots = js(
        &phone,
        "const boxes = [...document.querySelectorAll('.slot-choice')];
         return { doctors: document.querySelectorAll('.slot-group').length,
                  periods: [...document.querySelectorAll('.slot-period h4')].map(h => h.textContent.trim()),
                  slots: boxes.length,
                  small: boxes.filter(b => b.getBoundingClientRect().height < 44 || b.getBoundingClientRect().width < 44).length,
                  rows: new Set(boxes.map(b => Math.round(b.getBoundingClientRect().top))).size,
                  doctor: document.getElementById('doctor').value };",
    )
    .await;
    assert_eq!(slots["doctors"], 1, "{slots}");
    assert_eq!(slots["slots"], 48, "{slots}");
    assert_eq!(
        slots["doctor"].as_str(),
        Some(okafor.to_string().as_str()),
        "the doctor is chosen: {slots}"
    );
    assert_eq!(slots["small"], 0, "time buttons are at least 44 px: {slots}");
    assert!(
        slots["rows"].as_i64().unwrap_or(999) <= 20,
        "several times per row on a phone: {slots}"
    );
    let periods = slots["periods"].to_string();
    assert!(
        periods.contains("Morning") && periods.contains("Afternoon"),
        "{periods}"
    );

    // Book before a time is chosen: the bar says so, and stays on the screen while the times take the focus (no
    // browser bubble).
    let refused = js(
        &phone,
        "document.querySelector('.book-bar button[type=submit]').click();
         const s = document.getElementById('book-summary');
         const bar = document.getElementById('book-bar').getBoundingClientRect();
         return { text: s.textContent, role: s.getAttribute('role'),
                  focused: document.activeElement && document.activeElement.name,
                  barInView: bar.top >= 0 && bar.bottom <= window.innerHeight };",
    )
    .await;
    assert_eq!(refused["text"], "Choose a time first.", "{refused}");
    assert_eq!(refused["role"], "alert", "{refused}");
    assert_eq!(refused["focused"], "slot_id", "{refused}");
    assert_eq!(refused["barInView"], true, "{refused}");

    // Choose the doctor's last time, far down the page.
    let last = "(() => { const all = document.querySelectorAll('.slot-choice'); return all[all.length - 1]; })()";
    js(
        &phone,
        &format!("{last}.scrollIntoView({{block: 'center'}}); return true;"),
    )
    .await;
    phone
        .click(".slot-group:last-of-type .slot-period:last-of-type .slot-choice:last-of-type")
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let chosen = js(
        &phone,
        &format!(
            "const label = {last}; const input = label.querySelector('input');
             const other = document.querySelector('.slot-choice');
             const box = e => getComputedStyle(e.querySelector('.slot-box'));
             const bar = document.getElementById('book-bar');
             const r = bar ? bar.getBoundingClientRect() : null;
             return {{ checked: input.checked,
                      marked: box(label).backgroundColor !== box(other).backgroundColor,
                      time: label.querySelector('.slot-time').textContent.trim(),
                      bar: r && {{ top: r.top, bottom: r.bottom, height: window.innerHeight }},
                      summary: (document.getElementById('book-summary') || {{}}).textContent || null }};"
        ),
    )
    .await;
    assert_eq!(chosen["checked"], true, "{chosen}");
    assert_eq!(chosen["marked"], true, "the chosen time is marked: {chosen}");
    let bar = &chosen["bar"];
    assert!(
        bar["top"].as_f64().unwrap_or(-1.0) >= 0.0
            && bar["bottom"].as_f64().unwrap_or(f64::MAX) <= bar["height"].as_f64().unwrap_or(0.0),
        "the book bar is on screen after choosing: {chosen}"
    );
    let summary = chosen["summary"].as_str().unwrap_or_default().to_owned();
    let time = chosen["time"].as_str().unwrap_or_default();
    assert!(
        summary.contains(time) && summary.contains("Test dr.okafor"),
        "the bar names the chosen time and doctor: {chosen}"
    );
    phone.assert_fits(360, "the booking page with a time chosen").await;
    phone.screenshot("51-book-chosen").await;

    // The doctor's first time, far above the end of the form: the bar comes along.
    js(
        &phone,
        "document.querySelector('.slot-choice').scrollIntoView({block: 'center'}); return true;",
    )
    .await;
    phone.click(".slot-group .slot-choice").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = js(
        &phone,
        "const r = document.getElementById('book-bar').getBoundingClientRect();
         const tabs = document.querySelector('.tab-bar').getBoundingClientRect();
         const form = document.querySelector('.slot-form').getBoundingClientRect();
         return { top: r.top, bottom: r.bottom, tabs: tabs.top, formBottom: form.bottom,
                  summary: document.getElementById('book-summary').textContent };",
    )
    .await;
    assert!(
        first["formBottom"].as_f64().unwrap_or(0.0) > 740.0,
        "the end of the form is below the screen: {first}"
    );
    assert!(
        first["top"].as_f64().unwrap_or(-1.0) >= 0.0
            && first["bottom"].as_f64().unwrap_or(f64::MAX) <= first["tabs"].as_f64().unwrap_or(0.0) + 1.0,
        "the book bar sticks above the tab bar: {first}"
    );
    assert!(
        first["summary"]
            .as_str()
            .unwrap_or_default()
            .ends_with("\nTest dr.okafor"),
        "{first}"
    );
    phone.screenshot("51b-book-first-chosen").await;
    js(
        &phone,
        &format!("{last}.scrollIntoView({{block: 'center'}}); return true;"),
    )
    .await;
    phone
        .click(".slot-group:last-of-type .slot-period:last-of-type .slot-choice:last-of-type")
        .await;
    phone.click("#book-bar button[type=submit]").await;
    phone.wait_for_path("/me/appointments").await;
    assert!(phone.text(".flash-success").await.starts_with("Booked:"));
    let actions = js(
        &phone,
        "const shown = [...document.querySelectorAll('.appointment-list .actions :is(button, [role=button])')];
         return { count: shown.length, small: shown.filter(e => e.getBoundingClientRect().height < 44).length };",
    )
    .await;
    assert!(
        actions["count"].as_u64().unwrap_or(0) >= 2,
        "Move and Cancel: {actions}"
    );
    assert_eq!(
        actions["small"], 0,
        "Move and Cancel are at least 44 px to tap: {actions}"
    );
    phone.close().await;

    // At a desktop size a doctor's whole day makes a short page, for the patient and for reception.
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-desktop-hardening")).await else {
        return;
    };
    app.create_staff("front.desk", sickbay_core::identity::Role::Reception, false)
        .await;
    desk.log_in(&app, "front.desk", PASSWORD, "/reception").await;
    desk.goto(&app, &format!("/patients/{}/book?day={tomorrow}", ids[0]))
        .await;
    assert_eq!(
        js(&desk, "return document.querySelectorAll('.slot-group').length;").await,
        2
    );
    desk.goto(
        &app,
        &format!("/patients/{}/book?day={tomorrow}&doctor={okafor}", ids[0]),
    )
    .await;
    let height = js(&desk, "return document.documentElement.scrollHeight;").await;
    assert!(
        height.as_i64().unwrap_or(i64::MAX) < 2000,
        "reception's picker is compact: {height} px"
    );
    desk.screenshot("52-reception-book").await;
    js(
        &desk,
        "document.querySelector('.slot-groups').scrollIntoView(); return true;",
    )
    .await;
    desk.screenshot("52b-reception-book-slots").await;
    log_out(&desk).await;
    desk.log_in(&app, &STUDENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    desk.goto(&app, &format!("/me/book?day={tomorrow}")).await;
    let height = js(&desk, "return document.documentElement.scrollHeight;").await;
    assert!(
        height.as_i64().unwrap_or(i64::MAX) < 2000,
        "the booking page is compact at 1366 px: {height} px"
    );
    desk.screenshot("53-book").await;
    desk.close().await;
}

async fn the_phone_shell_stays_on_one_line_and_nothing_overflows(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let room = add_room(&app, &admin, LONG_ROOM, "C").await;
    let (wing, wing_client) = doctor_in_room(&app, "dr.wing", room).await;
    hours_every_day(&app, wing, 9, 11).await;
    let name = long_name();
    let ids = PATIENTS.named(&app, &[&name, "Tunde", "Amaka", "Bisi"]).await;
    for index in 0..3 {
        walk_in(&c.reception, index, &wing.to_string(), "normal")
            .await
            .assert_redirect("/queue");
    }
    assert_eq!(called_code(&wing_client).await.as_deref(), Some("C-001"));
    // A booking due soon, on the board's check-in list; the long name's later today, on `/queue/due`.
    appointment_today(&app, ids[2], wing, Timestamp::now().plus_minutes(20)).await;
    appointment_today(&app, ids[0], wing, Timestamp::now().plus_minutes(180)).await;
    // A prescription for the pharmacy's worklist, whose table is one card per row on a phone.
    let drug = crate::pharmacy::add_drug(
        &app,
        "Paracetamol",
        "paracetamol",
        sickbay_core::pharmacy::model::DrugForm::Tablet,
        "500 mg",
    )
    .await;
    crate::dispensing::prescribe(&app, &c.doctor_a.1, ids[3], &[(drug, 10)]).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    for (width, height, size) in [(360, 740, "phone"), (1366, 900, "desktop")] {
        let label = format!("{backend}-{size}-shell");
        let Some(b) = Browser::start(width, height, &label).await else {
            return;
        };
        let phone = width < 768;
        b.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
        let header = js(
            &b,
            "const h = document.querySelector('.site-header').getBoundingClientRect().height;
             const summary = document.querySelector('.nav-menu > summary');
             const link = document.querySelector('.section-nav a[href=\"/patients\"]');
             const shown = e => !!e && e.checkVisibility() && e.getBoundingClientRect().height > 0;
             return { height: h, menu: shown(summary), sections: shown(link) };",
        )
        .await;
        b.screenshot("60-staff-header").await;
        if phone {
            assert!(
                header["height"].as_f64().unwrap_or(999.0) < 80.0,
                "the staff header is one line on a phone: {header}"
            );
            assert_eq!(header["menu"], true, "a menu button on a phone: {header}");
            assert_eq!(header["sections"], false, "the sections wait behind it: {header}");
            b.click(".nav-menu summary").await;
            let link = js(
                &b,
                "const a = document.querySelector('.nav-menu a[href=\"/patients\"]');
                 const r = a.getBoundingClientRect();
                 return a.checkVisibility() && r.height >= 44 && r.right <= window.innerWidth;",
            )
            .await;
            assert_eq!(link, true, "the menu opens on the sections, big enough to tap");
            b.screenshot("60-staff-menu-open").await;
            b.click(".nav-menu summary").await;
        } else {
            assert_eq!(
                header["sections"], true,
                "the sections are shown on a desktop: {header}"
            );
            assert_eq!(header["menu"], false, "no menu button on a desktop: {header}");
            assert!(
                header["height"].as_f64().unwrap_or(999.0) < 120.0,
                "the desktop header stays compact: {header}"
            );
        }
        b.assert_fits(width, "the admin's home").await;

        b.goto(&app, "/queue").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The rooms' form (folded by default) with its long room name must fit too.
        js(&b, "document.querySelector('.desk-rooms').open = true; return true;").await;
        b.assert_fits(width, "reception's board with a 60-character name").await;
        b.screenshot("61-board-long-name").await;
        js(
            &b,
            "document.getElementById('rooms-heading').scrollIntoView(); return true;",
        )
        .await;
        b.screenshot("61-board-rooms").await;
        b.goto(&app, "/pharmacy/prescriptions").await;
        let table = js(
            &b,
            "const t = document.getElementById('worklist'); const box = t.parentElement;
             return { rows: t.querySelectorAll('tbody tr').length, sideways: box.scrollWidth > box.clientWidth + 1,
                      right: t.getBoundingClientRect().right, width: window.innerWidth };",
        )
        .await;
        assert_eq!(table["rows"], 1, "{table}");
        assert_eq!(
            table["sideways"], false,
            "the pharmacy's worklist fits without scrolling sideways: {table}"
        );
        b.screenshot("61-pharmacy-worklist").await;
        b.goto(&app, "/queue/due").await;
        b.assert_fits(width, "the day's bookings to check in with a 60-character name")
            .await;
        b.screenshot("61-due-later").await;

        b.goto(&app, &format!("/patients/{}", ids[0])).await;
        b.assert_fits(width, "the profile of a 60-character name").await;
        let h1 = js(&b, "return document.querySelector('h1').getBoundingClientRect().right;").await;
        assert!(
            h1.as_f64().unwrap_or(f64::MAX) <= f64::from(width),
            "the name wraps: {h1}"
        );
        b.screenshot("62-profile-long-name").await;

        b.goto(&app, &format!("/schedule/hours?doctor={wing}")).await;
        b.assert_fits(width, "the weekly hours").await;
        b.screenshot("63-hours").await;
        log_out(&b).await;

        b.log_in(&app, "dr.wing", PASSWORD, "/doctor").await;
        b.goto(&app, "/queue/doctor").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.assert_fits(width, "the doctor's queue with a long room name").await;
        let room = js(
            &b,
            "return document.querySelector('#room_id').getBoundingClientRect().right;",
        )
        .await;
        assert!(
            room.as_f64().unwrap_or(f64::MAX) <= f64::from(width),
            "the room's list stays on screen: {room}"
        );
        b.screenshot("64-doctor-room").await;
        log_out(&b).await;

        b.goto(&app, "/display").await;
        for _ in 0..50 {
            // Read in the page: a server push may replace the tiles at any moment.
            let code = js(
                &b,
                "const c = document.querySelector('.tile-call .tile-code'); return c ? c.textContent : '';",
            )
            .await;
            if code.as_str().unwrap_or_default().contains("C-001") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b.assert_fits(width, "the display with a long room name").await;
        let lines = js(
            &b,
            "return [...document.querySelectorAll('.tile-code')].map(code => {
               const range = document.createRange(); range.selectNodeContents(code);
               return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; });",
        )
        .await;
        let lines: Vec<i64> = lines
            .as_array()
            .expect("codes")
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        assert!(lines.len() >= 3, "the called and the next tickets are shown: {lines:?}");
        assert!(lines.iter().all(|n| *n == 1), "a ticket code never wraps: {lines:?}");
        b.screenshot("65-display-long-room").await;

        // A patient: a short header and the tab bar at the bottom, the current tab marked.
        b.log_in(&app, &PATIENTS.matric(1), STUDENT_PASSWORD, "/me").await;
        for (path, current) in [
            ("/me", "/me"),
            ("/me/book", "/me/book"),
            ("/me/queue", "/me"),
            ("/me/visits", "/me/visits"),
            ("/me/invoices", "/me/invoices"),
        ] {
            b.goto(&app, path).await;
            let bar = js(
                &b,
                "const bar = document.querySelector('.tab-bar');
                 if (!bar) return null;
                 const r = bar.getBoundingClientRect();
                 const links = [...bar.querySelectorAll('a')];
                 return { position: getComputedStyle(bar).position, top: r.top, bottom: r.bottom,
                          height: window.innerHeight,
                          links: links.map(a => a.getAttribute('href')),
                          current: links.filter(a => a.getAttribute('aria-current') === 'page').map(a => a.getAttribute('href')),
                          small: links.filter(a => a.getBoundingClientRect().height < 44).length,
                          header: document.querySelector('.site-header').getBoundingClientRect().height };",
            )
            .await;
            assert_eq!(bar["position"], "fixed", "{path}: {bar}");
            assert!(
                (bar["bottom"].as_f64().unwrap_or(0.0) - bar["height"].as_f64().unwrap_or(1.0)).abs() < 1.0,
                "{path}: the tab bar sits at the bottom: {bar}"
            );
            assert_eq!(
                bar["links"],
                serde_json::json!(["/me", "/me/book", "/me/visits", "/me/invoices", "/me/card"]),
                "{path}: {bar}"
            );
            assert_eq!(bar["current"], serde_json::json!([current]), "{path}: {bar}");
            assert_eq!(bar["small"], 0, "{path}: tabs are at least 44 px: {bar}");
            if phone {
                assert!(bar["header"].as_f64().unwrap_or(999.0) < 80.0, "{path}: {bar}");
            }
            b.assert_fits(width, path).await;
        }
        b.screenshot("66-patient-tabs").await;
        b.close().await;
    }
}
