//! The clinic's most frequent tasks with the keyboard alone, in headless Chromium: Tab, Shift+Tab, Space, Enter,
//! the consultation's section keys and typing, sent as key presses to whatever has the focus (never a click, never
//! a field filled by script). A student books on a phone; reception checks in a booking and adds a walk-in at the
//! desk; a doctor calls the next patient, writes the complaint and a diagnosis, and completes the visit through
//! its review. Each step also bounds how many Tab presses it takes, so a page that grows a long detour before its
//! main action fails here.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::json;
use sickbay_core::db::Timestamp;

use crate::browser::Browser;
use crate::consult_browser::wait_for_focus;
use crate::feedback_browser::{backend, run};
use crate::messages::eventually;
use crate::queue::{PATIENTS, walk_in};
use crate::queue_browser::wait_for_text;
use crate::support::{
    PASSWORD, STUDENT_PASSWORD, Students, TestApp, appointment_today, clinic, doctor, on_both_databases, slot_in,
    slot_tomorrow,
};

on_both_databases!(
    a_student_books_with_the_keyboard_alone,
    reception_checks_in_and_adds_a_walk_in_with_the_keyboard_alone,
    a_doctor_calls_examines_and_completes_with_the_keyboard_alone,
    a_pushed_form_pressed_before_htmx_takes_it_over_still_posts,
    reception_books_and_blocks_from_the_schedule_with_the_keyboard_alone,
);

const STUDENTS: Students = Students::new("KB", "Keys");

// WebDriver's codes for the keys that are not characters.
const TAB: char = '\u{e004}';
const ENTER: char = '\u{e007}';
const SHIFT: char = '\u{e008}';
const CONTROL: char = '\u{e009}';

/// Presses and releases `keys` together (a modifier first), as a keyboard sends them to the focused element.
async fn press(b: &Browser, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in keys {
        actions = actions.then(KeyAction::Down { value: *key });
    }
    for key in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: *key });
    }
    b.client.perform_actions(actions).await.expect("a key press");
    b.client.release_actions().await.expect("keys released");
}

/// Types `text` into whatever has the focus, one key at a time.
async fn type_text(b: &Browser, text: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for c in text.chars() {
        actions = actions
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    b.client.perform_actions(actions).await.expect("typing");
}

async fn focus_is(b: &Browser, css: &str) -> bool {
    run(
        b,
        "const a = document.activeElement; return !!(a && a.matches(arguments[0]));",
        vec![json!(css)],
    )
    .await
    .as_bool()
    .unwrap_or(false)
}

async fn focused(b: &Browser) -> String {
    run(
        b,
        "const a = document.activeElement; return a ? a.outerHTML.slice(0, 160) : 'nothing';",
        vec![],
    )
    .await
    .to_string()
}

/// Presses Tab (or Shift+Tab) until the focus reaches `css`, at most `limit` times; how many presses it took.
async fn tab_to(b: &Browser, css: &str, backwards: bool, limit: usize) -> usize {
    for presses in 1..=limit {
        if backwards {
            press(b, &[SHIFT, TAB]).await;
        } else {
            press(b, &[TAB]).await;
        }
        if focus_is(b, css).await {
            return presses;
        }
    }
    panic!(
        "{limit} presses of {} did not reach {css}; the focus is on {}",
        if backwards { "Shift+Tab" } else { "Tab" },
        focused(b).await
    );
}

async fn a_student_books_with_the_keyboard_alone(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.keys").await;
    let slot = slot_in(&app, doc, 5, 24 * 60).await;
    let day: String = sqlx::query_scalar("SELECT day FROM slot WHERE id = $1")
        .bind(slot)
        .fetch_one(app.db().pool())
        .await
        .expect("day");
    STUDENTS.numbered(&app, 1).await;
    let Some(b) = Browser::start(360, 740, &format!("{}-phone-keys-book", backend(&app))).await else {
        return;
    };
    b.log_in(&app, &STUDENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    b.goto(&app, &format!("/me/book?day={day}")).await;
    // Into the times (the day's radio group is passed with one Tab), Space takes the time, then on to "Book".
    let to_time = tab_to(&b, "input[name=slot_id]", false, 30).await;
    press(&b, &[' ']).await;
    assert!(focus_is(&b, &format!("input[name=slot_id][value='{slot}']:checked")).await);
    let to_book = tab_to(&b, "#book-bar button[type=submit]", false, 5).await;
    press(&b, &[ENTER]).await;
    b.wait_for_path("/me/appointments").await;
    wait_for_text(&b, ".flash-success", "Booked:").await;
    let booked = format!(
        "SELECT COUNT(*) FROM appointment a JOIN patient p ON p.id = a.patient_id
         WHERE p.matric_number = '{}' AND a.slot_id = {slot} AND a.status = 'booked'",
        STUDENTS.matric(0)
    );
    assert_eq!(app.count(&booked).await, 1);
    assert!(to_time + to_book <= 30, "{to_time} + {to_book} Tab presses to book");
    // "Booked: ..." is a toast above the tab bar that lets a tap through to what it covers.
    let toast = run(
        &b,
        "const toast = document.querySelector('#messages > .flash-success');
         const box = toast.getBoundingClientRect();
         const tabs = document.querySelector('nav.tab-bar').getBoundingClientRect();
         const under = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
         return [getComputedStyle(toast).position, box.bottom <= tabs.top, box.top > window.innerHeight / 2,
                 !toast.contains(under)];",
        vec![],
    )
    .await;
    assert_eq!(
        toast,
        json!(["fixed", true, true, true]),
        "fixed, above the tabs, low, lets taps through"
    );
    b.screenshot("80-keys-booked-phone").await;
    b.close().await;
}

async fn reception_checks_in_and_adds_a_walk_in_with_the_keyboard_alone(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Amaka", "Tunde", "Chidi"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let due = appointment_today(&app, ids[1], c.doctor_a.0, Timestamp(Timestamp::now().0 + 10 * 60_000)).await;
    let chidi: String = sqlx::query_scalar("SELECT clinic_number FROM patient WHERE id = $1")
        .bind(ids[2])
        .fetch_one(app.db().pool())
        .await
        .expect("Chidi's clinic number");
    let Some(b) = Browser::start(1366, 768, &format!("{}-desk-keys", backend(&app))).await else {
        return;
    };
    b.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    b.goto(&app, "/queue").await;
    wait_for_text(&b, "#board-status", "updated").await;

    // The booking due: from the top of the desk to its "Check in", then Enter.
    let to_check_in = tab_to(&b, &format!("#due-{due} button"), false, 25).await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, "#check-in-messages", "ticket").await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM ticket WHERE appointment_id = {due}"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );

    // A registered patient walks in: the search, typed; then "Add to the queue".
    b.goto(&app, "/queue").await;
    wait_for_text(&b, "#board-status", "updated").await;
    let to_search = tab_to(&b, "#walk-in-existing input[name=number]", false, 25).await;
    type_text(&b, &chidi).await;
    let to_add = tab_to(&b, "#walk-in-existing button[type=submit]", false, 10).await;
    press(&b, &[ENTER]).await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM ticket WHERE patient_id = {}", ids[2]),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );
    b.wait_for_path("/queue").await;
    b.screenshot("81-keys-walk-in-desk").await;
    assert!(
        to_check_in <= 25 && to_search + to_add <= 35,
        "Tab presses: {to_check_in} to check in, {to_search} + {to_add} to add a walk-in"
    );
    b.close().await;
}

/// On the doctor's day, reception books a time and blocks another without leaving the page: each opens its small
/// task in the schedule's dialog (the patient found as they type, then the reason for the visit; the reason for
/// the block, asked again beside its field when left empty).
async fn reception_books_and_blocks_from_the_schedule_with_the_keyboard_alone(app: TestApp) {
    let c = clinic(&app).await;
    let doc = c.doctor_a.0;
    let first = slot_tomorrow(&app, doc, 1, 10 * 60).await;
    let second = slot_tomorrow(&app, doc, 1, 11 * 60).await;
    let day: String = sqlx::query_scalar("SELECT day FROM slot WHERE id = $1")
        .bind(first)
        .fetch_one(app.db().pool())
        .await
        .expect("day");
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    let number: String = sqlx::query_scalar("SELECT clinic_number FROM patient WHERE id = $1")
        .bind(amaka)
        .fetch_one(app.db().pool())
        .await
        .expect("Amaka's clinic number");
    let Some(b) = Browser::start(1366, 768, &format!("{}-schedule-keys", backend(&app))).await else {
        return;
    };
    b.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    let day_page = format!("/schedule?doctor={doc}&day={day}");
    b.goto(&app, &day_page).await;

    // Book: the time's "Book", the patient typed and chosen, the reason for the visit, "Book".
    let to_book = tab_to(&b, &format!("#s{first} a.slot-book"), false, 30).await;
    press(&b, &[ENTER]).await;
    wait_for_focus(&b, "#task-dialog #slot-patient").await;
    type_text(&b, &number).await;
    wait_for_text(&b, "#slot-patients", "Amaka").await;
    b.screenshot("82-keys-schedule-book-find").await;
    tab_to(&b, "#slot-patients a", false, 3).await;
    press(&b, &[ENTER]).await;
    wait_for_focus(&b, "#task-dialog #book-reason").await;
    type_text(&b, "Cough").await;
    let to_submit = tab_to(&b, "#slot-book-submit", false, 3).await;
    b.screenshot("83-keys-schedule-book-confirm").await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, ".flash-success", "Booked").await;
    b.wait_for_path(&day_page).await;
    let booked = format!(
        "SELECT COUNT(*) FROM appointment WHERE patient_id = {amaka} AND slot_id = {first} AND reason = 'Cough'"
    );
    assert_eq!(app.count(&booked).await, 1, "the keys reached the database");

    // Block: the time's "Block"; Enter with no reason is answered beside the field, in the dialog.
    run(&b, "document.activeElement.blur(); return true;", vec![]).await;
    let to_block = tab_to(&b, &format!("#s{second} a.row-action"), false, 40).await;
    press(&b, &[ENTER]).await;
    let field = format!("#task-dialog #block-{second}-reason");
    wait_for_focus(&b, &field).await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, &format!("#task-dialog #block-{second}-error"), "Give a reason.").await;
    wait_for_focus(&b, &field).await;
    b.screenshot("84-keys-schedule-block-refused").await;
    type_text(&b, "Ward round").await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, ".flash-success", "blocked").await;
    let blocked =
        format!("SELECT COUNT(*) FROM slot WHERE id = {second} AND blocked = 1 AND block_reason = 'Ward round'");
    assert_eq!(eventually(&app, &blocked, 1).await, 1, "the keys reached the database");
    assert!(
        to_book <= 30 && to_submit <= 3 && to_block <= 40,
        "Tab presses: {to_book} to Book, {to_submit} to send it, {to_block} to Block"
    );

    // Every doctor's day as one calendar: Amaka holds her time, the blocked one says why.
    b.goto(&app, &format!("/schedule/all?day={day}")).await;
    wait_for_text(&b, "#day-calendar td.cal-held", "Amaka").await;
    wait_for_text(&b, "#day-calendar td.cal-blocked", "Ward round").await;
    b.screenshot("86-schedule-all-doctors").await;
    b.close().await;

    // On a phone the same dialog fits the screen.
    let Some(phone) = Browser::start(360, 740, &format!("{}-schedule-phone", backend(&app))).await else {
        return;
    };
    phone.log_in(&app, "frontdesk", PASSWORD, "/reception").await;
    phone.goto(&app, &day_page).await;
    phone.click_in_view(&format!("#s{first} a.row-action")).await;
    wait_for_focus(&phone, &format!("#task-dialog #block-{first}-reason")).await;
    phone.assert_fits(360, "the block dialog").await;
    phone.screenshot("85-schedule-block-dialog-phone").await;
    // The calendar scrolls sideways in its own box; the page does not.
    phone.goto(&app, &format!("/schedule/all?day={day}")).await;
    phone.assert_fits(360, "the calendar of all doctors").await;
    phone.screenshot("87-schedule-all-doctors-phone").await;
    phone.close().await;
}

async fn a_doctor_calls_examines_and_completes_with_the_keyboard_alone(app: TestApp) {
    let c = clinic(&app).await;
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let Some(b) = Browser::start(1366, 768, &format!("{}-consult-keys", backend(&app))).await else {
        return;
    };
    b.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    b.goto(&app, "/queue/doctor").await;
    wait_for_text(&b, "#queue-status", "updated").await;

    // "?" lists the shortcuts in the page's dialog; Escape closes it.
    press(&b, &['?']).await;
    wait_for_focus(&b, "#task-dialog[open] #task-title").await;
    assert_eq!(b.text("#task-title").await, "Keyboard shortcuts");
    assert!(b.text("#task-dialog").await.contains("Jump to a section"));
    press(&b, &['\u{e00c}']).await;
    let closed = b
        .wait_until("return !document.getElementById('task-dialog').open;")
        .await;
    assert!(closed, "Escape closes the shortcuts");

    // Call next, then Enter on "Start", where the focus goes.
    let to_call = tab_to(&b, "#call-next", false, 30).await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, "#queue-notice", "Called A-001").await;
    wait_for_focus(&b, "#current-tickets .ticket-called form[action$='/start'] button").await;
    press(&b, &[ENTER]).await;
    wait_for_text(&b, "h1", "Amaka").await;
    let visit = app
        .count(&format!("SELECT id FROM visit WHERE patient_id = {amaka}"))
        .await;
    b.wait_for_path(&format!("/visits/{visit}")).await;

    // Key 1: the complaint; Tab into its box, type, Ctrl+Enter signs it.
    run(&b, "document.activeElement.blur(); return true;", vec![]).await;
    press(&b, &['1']).await;
    wait_for_focus(&b, "#notes-heading").await;
    tab_to(&b, "#note-complaint textarea", false, 5).await;
    type_text(&b, "Fever and headache for two days").await;
    press(&b, &[CONTROL, ENTER]).await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM clinical_note WHERE visit_id = {visit} AND kind = 'complaint'"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );

    // Key 2: the vitals; a temperature and Enter save them, and the focus stays in the section redrawn.
    run(&b, "document.activeElement.blur(); return true;", vec![]).await;
    press(&b, &['2']).await;
    wait_for_focus(&b, "#vitals-heading").await;
    tab_to(&b, "#temperature", false, 10).await;
    type_text(&b, "38.5").await;
    press(&b, &[ENTER]).await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM vitals WHERE visit_id = {visit}"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );
    wait_for_focus(&b, "#vitals-heading, #vitals *").await;

    // Key 4: the diagnosis, typed; Enter adds it as written.
    run(&b, "document.activeElement.blur(); return true;", vec![]).await;
    press(&b, &['4']).await;
    wait_for_focus(&b, "#diagnoses-heading").await;
    tab_to(&b, "#description", false, 10).await;
    type_text(&b, "Malaria, uncomplicated").await;
    press(&b, &[ENTER]).await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM diagnosis WHERE visit_id = {visit}"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );

    // Back up to "Complete visit", then the review: "Sign and complete".
    let to_complete = tab_to(&b, "#complete-visit", true, 80).await;
    press(&b, &[ENTER]).await;
    b.wait_for_path(&format!("/visits/{visit}/review")).await;
    let to_sign = tab_to(&b, "#sign-and-complete", false, 40).await;
    b.screenshot("82-keys-review").await;
    press(&b, &[ENTER]).await;
    b.wait_for_path("/queue/doctor").await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM visit WHERE id = {visit} AND status = 'completed'"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );
    assert!(
        to_call <= 30 && to_complete <= 80 && to_sign <= 40,
        "Tab presses: {to_call} to call next, {to_complete} back to Complete visit, {to_sign} to sign"
    );
    b.close().await;
}

/// A live push brings forms without the session's token (htmx sends it as a header) and htmx takes a swapped
/// form over a moment later; Enter pressed in that moment sent a plain post with no token ("Form expired"). The
/// "Start" below is such a form, never taken over: it posts as a plain form, with the token forms.js adds.
async fn a_pushed_form_pressed_before_htmx_takes_it_over_still_posts(app: TestApp) {
    let c = clinic(&app).await;
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    c.doctor_a
        .1
        .post("/queue/call-next", &[])
        .await
        .assert_redirect("/queue/doctor");
    let Some(b) = Browser::start(1366, 768, &format!("{}-pushed-form", backend(&app))).await else {
        return;
    };
    b.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    b.goto(&app, "/queue/doctor").await;
    // After the stream's first push, which redraws the queue ("Live · updated 23:58").
    wait_for_text(&b, "#queue-status", "updated").await;
    let replaced = run(
        &b,
        "const form = document.querySelector(\"#current-tickets form[action$='/start']\");
         const pushed = form.cloneNode(true);
         pushed.querySelector('[name=csrf_token]')?.remove();
         ['hx-post', 'hx-disabled-elt'].forEach(a => pushed.removeAttribute(a));
         form.replaceWith(pushed);
         pushed.querySelector('button').focus();
         return document.activeElement === pushed.querySelector('button');",
        vec![],
    )
    .await;
    assert_eq!(replaced, json!(true), "a Start without its token, focused");
    press(&b, &[ENTER]).await;
    wait_for_text(&b, "h1", "Amaka").await;
    assert_eq!(
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM visit WHERE patient_id = {amaka}"),
            1
        )
        .await,
        1,
        "the keys reached the database"
    );
    b.close().await;
}
