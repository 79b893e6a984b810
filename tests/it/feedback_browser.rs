//! Feedback and safety of forms in headless Chromium, at a phone (360x740) and a desktop (1366x900) size:
//! a failed check-in's and walk-in's message is on screen and announced; a double click on "Register patient"
//! and on "Book" creates one record and shows one clear result; destructive actions ask in a dialog whose
//! button names the action, and going back changes nothing. Screenshots: test-artifacts/screenshots/.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};
use sickbay_core::db::Timestamp;

use crate::booking;
use crate::browser::Browser;
use crate::queue::{PATIENTS, walk_in};
use crate::queue_browser::wait_for_text;
use crate::support::{
    PASSWORD, STUDENT_PASSWORD, Students, TestApp, appointment_today, clinic, doctor, on_both_databases, slot_in,
};

on_both_databases!(
    messages_appear_where_reception_acted,
    a_double_click_registers_and_books_once,
    destructive_actions_ask_in_a_dialog_that_names_them,
    a_refused_form_opens_at_its_first_mistake,
);

/// The students who book: BK/26/0000, BK/26/0001, ...
const STUDENTS: Students = Students::new("BK", "Booker");

const SIZES: [(u32, u32, &str); 2] = [(360, 740, "phone"), (1366, 900, "desktop")];

pub(crate) fn backend(app: &TestApp) -> String {
    format!("{:?}", app.db().backend()).to_lowercase()
}

/// Runs `script` with `args` and returns its value.
pub(crate) async fn run(b: &Browser, script: &str, args: Vec<Value>) -> Value {
    b.client.execute(script, args).await.expect("script")
}

/// Waits until `css` exists and has text.
async fn wait_for(b: &Browser, css: &str) -> String {
    for _ in 0..100 {
        if let Ok(element) = b.client.find(Locator::Css(css)).await {
            let text = element.text().await.unwrap_or_default();
            if !text.trim().is_empty() {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never appeared on {}", b.path().await);
}

/// Whether the element `css` is wholly inside the viewport (and visible), with its box for the message.
pub(crate) async fn on_screen(b: &Browser, css: &str) -> (bool, String) {
    let answer = run(
        b,
        "const e = document.querySelector(arguments[0]); if (!e) { return [false, 'missing']; }
         const r = e.getBoundingClientRect();
         const inside = r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0
           && r.right <= window.innerWidth;
         return [inside, `top ${Math.round(r.top)} bottom ${Math.round(r.bottom)} of ${window.innerHeight}`];",
        vec![json!(css)],
    )
    .await;
    (answer[0].as_bool().unwrap_or(false), answer[1].to_string())
}

/// The `aria-live` of the closest live region around `css`, and the message's role.
async fn announced(b: &Browser, css: &str) -> (String, String) {
    let answer = run(
        b,
        "const e = document.querySelector(arguments[0]);
         const live = e && e.closest('[aria-live]');
         return [live ? live.getAttribute('aria-live') : '', e ? (e.getAttribute('role') || '') : ''];",
        vec![json!(css)],
    )
    .await;
    (
        answer[0].as_str().unwrap_or("").to_owned(),
        answer[1].as_str().unwrap_or("").to_owned(),
    )
}

async fn messages_appear_where_reception_acted(app: TestApp) {
    let c = clinic(&app).await;
    // A long board: eight patients waiting, so the check-in list and the walk-in forms are far down the page.
    let names = [
        "Ada", "Bola", "Chidi", "Dayo", "Efe", "Femi", "Gozie", "Hauwa", "Ife", "Jide",
    ];
    let ids = PATIENTS.named(&app, &names).await;
    let queues = [c.doctor_a.0.to_string(), c.doctor_b.0.to_string(), "general".to_owned()];
    for i in 0..8 {
        walk_in(&c.reception, i, &queues[i % 3], "normal")
            .await
            .assert_redirect("/queue");
    }
    // Ada already holds a ticket, so her appointment's check-in fails.
    let ada = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now()).await;
    for (width, height, size) in SIZES {
        let Some(b) = Browser::start(width, height, &format!("{}-{size}-feedback", backend(&app))).await else {
            return;
        };
        b.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
        b.goto(&app, "/queue").await;
        wait_live(&b, "#board-status").await;
        b.click_live(&format!("#due-{ada} button")).await;
        let alert = "#check-in-messages [role=alert]";
        assert!(wait_for(&b, alert).await.contains("already holds ticket"));
        let (inside, place) = on_screen(&b, alert).await;
        assert!(inside, "{size}: the failed check-in's message is on screen ({place})");
        assert_eq!(announced(&b, alert).await, ("polite".to_owned(), "alert".to_owned()));
        assert_eq!(b.path().await, "/queue", "answered in place, by htmx");
        b.screenshot("40-check-in-refused").await;

        // A walk-in with a missing surname: the page comes back at the form, with the message on screen.
        b.goto(&app, "/queue").await;
        b.click(".walk-in-new > summary").await;
        b.fill("#walk-in-new #first_name", "Zainab").await;
        b.click("#walk-in-new button[type=submit]").await;
        b.wait_for_path("/queue/walk-ins").await;
        let alert = "#walk-in-new-messages [role=alert]";
        assert!(wait_for(&b, alert).await.contains("one thing to correct"));
        // The message itself stands beside the field, where the focus is.
        assert!(b.text("#surname-error").await.contains("surname"));
        crate::consult_browser::wait_for_focus(&b, "#walk-in-new #surname").await;
        let (inside, place) = on_screen(&b, alert).await;
        assert!(inside, "{size}: the failed walk-in's message is on screen ({place})");
        assert_eq!(announced(&b, alert).await, ("polite".to_owned(), "alert".to_owned()));
        assert!(b.fits_width().await);
        b.screenshot("41-walk-in-refused").await;
        b.close().await;
    }
}

/// Waits until the live page's first push arrived (its status says when it was updated).
async fn wait_live(b: &Browser, status: &str) {
    for _ in 0..100 {
        if b.text(status).await.contains("updated") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{status} never went live");
}

/// Chromium's network emulation (a chromedriver command): every answer takes `latency_ms` to come back, like
/// a slow clinic connection, so a second click lands while the first request is in flight.
#[derive(Debug)]
struct SlowNetwork {
    latency_ms: u64,
}

impl fantoccini::wd::WebDriverCompatibleCommand for SlowNetwork {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        let conditions = json!({"network_conditions": {
            "offline": false, "latency": self.latency_ms,
            "download_throughput": 1_000_000, "upload_throughput": 1_000_000,
        }});
        (axum::http::Method::POST, Some(conditions.to_string()))
    }
}

/// Clicks the button `css` twice, the second time while the first request is in flight (on a slow network),
/// as an impatient double click does.
async fn double_click(b: &Browser, css: &str) {
    b.element(css).await;
    b.client
        .issue_cmd(SlowNetwork { latency_ms: 1500 })
        .await
        .expect("slow network");
    run(
        b,
        "const button = document.querySelector(arguments[0]);
         button.click(); setTimeout(() => button.click(), 300); return true;",
        vec![json!(css)],
    )
    .await;
}

async fn fast_network(b: &Browser) {
    b.client
        .issue_cmd(SlowNetwork { latency_ms: 0 })
        .await
        .expect("fast network");
}

async fn a_double_click_registers_and_books_once(app: TestApp) {
    app.create_staff("desk", sickbay_core::identity::Role::Reception, false)
        .await;
    let (doc, _) = doctor(&app, "dr.double").await;
    let slot = slot_in(&app, doc, 5, 24 * 60).await;
    let day: String = sqlx::query_scalar("SELECT day FROM slot WHERE id = $1")
        .bind(slot)
        .fetch_one(app.db().pool())
        .await
        .expect("day");
    STUDENTS.numbered(&app, 2).await;
    for (index, (width, height, size)) in SIZES.into_iter().enumerate() {
        let Some(b) = Browser::start(width, height, &format!("{}-{size}-double", backend(&app))).await else {
            return;
        };
        // Reception registers a visitor with a double click on "Register patient".
        b.log_in(&app, "desk", PASSWORD, "/reception").await;
        b.goto(&app, "/patients/new").await;
        let surname = format!("Doubleclick{index}");
        run(
            &b,
            "const set = (id, v) => { document.getElementById(id).value = v; };
             set('kind', 'visitor'); set('first_name', 'Ngozi'); set('surname', arguments[0]);
             set('sex', 'female'); set('date_of_birth', '1990-05-06'); return true;",
            vec![json!(surname)],
        )
        .await;
        double_click(&b, "form.patient-form button[type=submit]").await;
        let shown = wait_for(&b, ".flash-success").await;
        assert!(shown.starts_with(&format!("Registered Ngozi {surname} as ")), "{shown}");
        assert!(b.path().await.starts_with("/patients/"));
        let found = app
            .count(&format!("SELECT COUNT(*) FROM patient WHERE surname = '{surname}'"))
            .await;
        assert_eq!(found, 1, "{size}: one record");
        assert!(b.client.find(Locator::Css("#duplicates")).await.is_err());
        b.screenshot("42-registered-once").await;
        fast_network(&b).await;

        // A student books with a double tap on "Book".
        b.client.delete_all_cookies().await.expect("log out");
        b.log_in(&app, &STUDENTS.matric(index), STUDENT_PASSWORD, "/me").await;
        b.goto(&app, &format!("/me/book?day={day}")).await;
        b.click_in_view(&format!("input[name=slot_id][value='{slot}']")).await;
        double_click(&b, "form.slot-form button[type=submit]").await;
        b.wait_for_path("/me/appointments").await;
        assert!(wait_for(&b, ".flash-success").await.starts_with("Booked: "));
        assert!(b.client.find(Locator::Css(".flash-error")).await.is_err());
        let mine = app
            .count(&format!(
                "SELECT COUNT(*) FROM appointment a JOIN patient p ON p.id = a.patient_id
                 WHERE p.matric_number = '{}'",
                STUDENTS.matric(index)
            ))
            .await;
        assert_eq!(mine, 1, "{size}: one booking");
        assert!(b.fits_width().await);
        b.screenshot("43-booked-once").await;
        fast_network(&b).await;
        b.close().await;
    }
}

async fn dialog_open(b: &Browser) -> bool {
    run(
        b,
        "const d = document.getElementById('confirm-dialog'); return !!(d && d.open);",
        vec![],
    )
    .await
    .as_bool()
    .unwrap_or(false)
}

async fn destructive_actions_ask_in_a_dialog_that_names_them(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let (ticket, _) = crate::queue::ticket_of(&app, ids[0]).await;
    let (doc, _) = doctor(&app, "dr.cancel").await;
    let slot = slot_in(&app, doc, 5, 24 * 60).await;
    STUDENTS.numbered(&app, 2).await;
    for (index, (width, height, size)) in SIZES.into_iter().enumerate() {
        let Some(b) = Browser::start(width, height, &format!("{}-{size}-confirm", backend(&app))).await else {
            return;
        };
        // A student cancelling a booking: the dialog names it; going back keeps it.
        b.log_in(&app, &STUDENTS.matric(index), STUDENT_PASSWORD, "/me").await;
        let student = app.client();
        student.login_ok(&STUDENTS.matric(index), STUDENT_PASSWORD).await;
        booking::book(&student, slot).await.assert_redirect("/me/appointments");
        b.goto(&app, "/me/appointments").await;
        b.click("#upcoming .confirm-form button[type=submit]").await;
        assert!(dialog_open(&b).await, "{size}: the dialog opened");
        let words = b.text("#confirm-ok").await;
        assert!(
            words.starts_with("Cancel the ") && words.ends_with(" appointment"),
            "{words}"
        );
        b.screenshot("44-cancel-dialog").await;
        b.click("#confirm-cancel").await;
        assert!(!dialog_open(&b).await);
        let live = format!(
            "SELECT COUNT(*) FROM appointment a JOIN patient p ON p.id = a.patient_id
             WHERE p.matric_number = '{}' AND a.status = 'booked'",
            STUDENTS.matric(index)
        );
        assert_eq!(app.count(&live).await, 1, "going back changes nothing");
        b.click("#upcoming .confirm-form button[type=submit]").await;
        b.click("#confirm-ok").await;
        assert_eq!(wait_for(&b, ".flash-success").await, "Your appointment is cancelled.");
        assert_eq!(app.count(&live).await, 0);
        b.close().await;

        // Reception's "No-show" on the board: one click through htmx, then its "Undo".
        if index == 1 {
            let Some(b) = Browser::start(width, height, &format!("{}-{size}-confirm-queue", backend(&app))).await
            else {
                return;
            };
            b.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
            b.goto(&app, "/queue").await;
            wait_live(&b, "#board-status").await;
            // The ticket's actions open in the board's one dialog.
            b.click_live(&format!("#ticket-{ticket} a.ticket-menu")).await;
            b.screenshot("45-ticket-actions").await;
            let button = format!("#ticket-dialog form[action='/queue/tickets/{ticket}/no-show'] button");
            b.click_live(&button).await;
            assert!(wait_for(&b, "#queue-notice").await.contains("G-001"));
            let waiting = format!("SELECT COUNT(*) FROM ticket WHERE id = {ticket} AND status = 'waiting'");
            assert_eq!(app.count(&waiting).await, 0);
            b.screenshot("46-no-show-done").await;
            b.click("#queue-notice form button").await;
            wait_for_text(&b, "#queue-notice", "put back in the queue").await;
            assert_eq!(app.count(&waiting).await, 1, "the undo puts the ticket back");
            b.screenshot("47-no-show-undone").await;
            // Marked again, and the page reloaded: the message and its Undo are gone, and the day's list of
            // no-shows still puts it back.
            b.click_live(&format!("#ticket-{ticket} a.ticket-menu")).await;
            b.click_live(&button).await;
            wait_for_text(&b, "#queue-notice", "no-show").await;
            assert_eq!(app.count(&waiting).await, 0);
            b.goto(&app, "/queue").await;
            wait_live(&b, "#board-status").await;
            // Open, as it holds someone.
            let open = b
                .client
                .execute("return document.getElementById('closed-today').open;", vec![])
                .await;
            assert_eq!(open.expect("the list").as_bool(), Some(true));
            assert!(b.text(&format!("#closed-{ticket}")).await.contains("No-show"));
            b.screenshot("48-closed-today").await;
            b.click_live(&format!("#closed-{ticket} button")).await;
            wait_for_text(&b, "#queue-notice", "put back in the queue").await;
            assert_eq!(app.count(&waiting).await, 1, "Put back puts the ticket back");
            // The board's push takes it off the list and back into its queue.
            let mut left_the_list = false;
            for _ in 0..50 {
                let on_list = b.client.find(Locator::Css(&format!("#closed-{ticket}"))).await.is_ok();
                let queued = b
                    .client
                    .find(Locator::Css(&format!(".queue-column #ticket-{ticket}")))
                    .await
                    .is_ok();
                if !on_list && queued {
                    left_the_list = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                left_the_list,
                "the live board moved the ticket from the list to its queue"
            );
            assert_eq!(b.text("#closed-count").await, "0");
            b.close().await;
        }
    }
}

/// A long form refused by the server comes back with the focus on the first field to correct, in view (it once
/// opened at its top, the message out of sight), at both sizes.
async fn a_refused_form_opens_at_its_first_mistake(app: TestApp) {
    app.create_staff("desk", sickbay_core::identity::Role::Reception, false)
        .await;
    for (width, height, size) in SIZES {
        let Some(b) = Browser::start(width, height, &format!("{}-{size}-first-mistake", backend(&app))).await else {
            return;
        };
        b.log_in(&app, "desk", PASSWORD, "/reception").await;
        b.goto(&app, "/patients/new").await;
        run(
            &b,
            "const set = (id, v) => { document.getElementById(id).value = v; };
             set('kind', 'visitor'); set('first_name', 'Ngozi'); set('surname', 'Mistake');
             set('sex', 'female'); set('date_of_birth', '1990-05-06'); set('phone', '12'); return true;",
            vec![],
        )
        .await;
        b.click_in_view("form.patient-form button[type=submit]").await;
        wait_for(&b, "#phone-error").await;
        let focused = run(
            &b,
            "return document.activeElement ? document.activeElement.id : '';",
            vec![],
        )
        .await;
        assert_eq!(focused, json!("phone"), "{size}");
        let (seen, place) = on_screen(&b, "#phone-error").await;
        assert!(seen, "{size}: the message in view: {place}");
        b.screenshot("45-first-mistake").await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM patient WHERE surname = 'Mistake'")
                .await,
            0
        );
        b.close().await;
    }
}
