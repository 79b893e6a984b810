//! The role home pages' figures (issue 14): each home counts its day from known data built through the real
//! forms (a doctor only their own tickets, appointments, visits and results; the front desk its queue, check-ins
//! and what is owed; the pharmacy and the lab their work; the admin the whole clinic; a patient only their
//! own), each figure block answers only its page's roles, and the figures change live with the day.

use std::time::Duration;

use chrono::{Datelike, TimeZone};
use fantoccini::Locator;
use reqwest::StatusCode;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::browser::Browser;
use crate::lab::add_test;
use crate::lab::order;
use crate::pharmacy::{add_batch, add_drug};
use crate::prescriptions::{form_id, item};
use crate::support::{
    Client, EventStream, FormFields, PASSWORD, Page, Students, TestApp, add_room, appointment_on, appointment_today,
    clinic, hours_every_day, new_visit, on_both_databases, slot,
};

on_both_databases!(
    the_doctors_home_counts_only_their_own_day,
    a_doctor_marks_the_ticked_results_seen_or_all_shown,
    enter_on_a_ticked_result_marks_the_ticked_not_the_first_row,
    a_doctor_with_many_open_visits_sees_the_oldest_and_may_ask_for_all,
    a_doctor_calls_the_next_patient_from_their_home,
    the_front_desk_counts_its_queue_check_ins_and_what_is_owed,
    the_admin_sees_the_whole_clinics_day,
    the_pharmacy_and_the_lab_count_their_work,
    a_patient_sees_only_their_own_figures,
    a_patients_home_tells_what_happened_lately_in_plain_words,
    each_figure_block_answers_only_its_pages_roles,
    the_figures_change_live_with_the_day,
    the_admins_recent_activity_says_what_happened_in_the_trails_words,
    the_first_run_lists_the_setup_steps_and_marks_each_when_done,
    every_staff_member_has_the_keyboard_shortcuts_and_a_patient_not,
);

const WAIT: Duration = Duration::from_secs(10);
const DAY: i64 = 86_400_000;

/// The patients of these tests: DB/26/0000, DB/26/0001, ...
pub(crate) const PATIENTS: Students = Students::new("DB", "Dash");

// == Helpers ==

/// The number of the figure `id` on a home page (or its figures' block).
#[track_caller]
pub(crate) fn figure(page: &Page, id: &str) -> String {
    page.text(&format!("#{id} .stat-number"))
}

/// The whole text of the figure `id`: its number, its label and its detail.
#[track_caller]
fn tile(page: &Page, id: &str) -> String {
    page.text(&format!("#{id}"))
}

/// Reception adds the `index`th of [`PATIENTS`] to `queue` (a doctor's id, or "general").
pub(crate) async fn walk_in(reception: &Client, index: usize, queue: &str) {
    reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", &PATIENTS.matric(index)),
                ("queue", queue),
                ("priority", "normal"),
            ],
        )
        .await
        .assert_redirect("/queue");
}

async fn check_in(reception: &Client, appointment: i64) {
    reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await
        .assert_redirect("/queue");
}

/// The doctor (in a room) calls the next patient; the ticket called.
async fn call_next(app: &TestApp, doctor: &Client, doctor_id: i64) -> i64 {
    doctor
        .post("/queue/call-next", &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.count(&format!(
        "SELECT id FROM ticket WHERE doctor_id = {doctor_id} AND status = 'called'"
    ))
    .await
}

async fn record_result(lab: &Client, order: i64) {
    lab.post(&format!("/lab/orders/{order}/result"), &[("value", "12.1")])
        .await
        .assert_redirect(&format!("/lab/orders/{order}"));
}

async fn release(lab: &Client, order: i64) {
    lab.post(&format!("/lab/orders/{order}/release"), &[])
        .await
        .assert_redirect(&format!("/lab/orders/{order}"));
}

async fn complete(doctor: &Client, visit: i64) {
    doctor
        .post(&format!("/visits/{visit}/complete"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// The catalogue's haemoglobin (the lab tests' default) and a malaria test; their ids.
async fn lab_tests(app: &TestApp, admin: &Client) -> (i64, i64) {
    add_test(admin, &[]).await.assert_redirect("/admin/lab-tests");
    add_test(admin, &[("name", "Malaria parasite"), ("price", "1000")])
        .await
        .assert_redirect("/admin/lab-tests");
    (
        app.count("SELECT id FROM lab_test WHERE name = 'Haemoglobin'").await,
        app.count("SELECT id FROM lab_test WHERE name = 'Malaria parasite'")
            .await,
    )
}

fn once() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A manual invoice of one typed line of `price` (major units) for `patient`, issued; its id.
pub(crate) async fn issued(cashier: &Client, patient: i64, price: &str) -> i64 {
    let page = cashier
        .post(
            "/billing/invoices",
            &[("patient_id", &patient.to_string()), ("form_id", &once())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let invoice: i64 = page
        .location()
        .and_then(|l| l.strip_prefix("/billing/invoices/"))
        .and_then(|id| id.parse().ok())
        .expect("a redirect to the draft");
    let path = format!("/billing/invoices/{invoice}");
    cashier
        .post(
            &format!("{path}/lines"),
            &[
                ("item", "other"),
                ("description", "Medical report"),
                ("quantity", "1"),
                ("unit_price", price),
                ("form_id", &once()),
            ],
        )
        .await
        .assert_redirect(&path);
    cashier.post(&format!("{path}/issue"), &[]).await.assert_redirect(&path);
    invoice
}

/// Takes `amount` (major units) in cash on the invoice through its payment form.
async fn pay(cashier: &Client, invoice: i64, amount: &str) {
    let page = cashier.get(&format!("/billing/invoices/{invoice}")).await;
    page.assert_status(StatusCode::OK);
    let mut form = FormFields::of(&page, "#pay form");
    form.set("method", "cash").set("amount", amount).set("tendered", "");
    cashier
        .post(&format!("/billing/invoices/{invoice}/payments"), &form.fields())
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// The doctor prescribes 10 tablets of `drug` in the open visit.
async fn prescribe(doctor: &Client, visit: i64, drug: i64) {
    let drug = drug.to_string();
    let once = form_id(doctor, visit).await;
    let mut fields = item(&drug, "1 tablet", "oral", "bd", "5", "10");
    fields.push(("form_id", &once));
    doctor
        .post(&format!("/visits/{visit}/prescription/items"), &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// 10:00 on a day of this week (Monday to Sunday) other than today, in the clinic's zone.
fn other_day_this_week(app: &TestApp) -> Timestamp {
    let today = app.state.today().0;
    let monday = Date::add_days(today, -i64::from(today.weekday().num_days_from_monday()));
    let day = if monday == today {
        Date::add_days(today, 1)
    } else {
        monday
    };
    let zone = app.state.settings.get().clinic.time_zone;
    let local = day.and_hms_opt(10, 0, 0).expect("a time");
    Timestamp(
        zone.from_local_datetime(&local)
            .earliest()
            .expect("a local time")
            .timestamp_millis(),
    )
}

fn yesterday(app: &TestApp) -> String {
    Date(Date::add_days(app.state.today().0, -1)).to_string()
}

// == Each home's figures ==

async fn the_doctors_home_counts_only_their_own_day(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, malaria) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    let names = [
        "Ada", "Bola", "Chidi", "Dayo", "Efe", "Femi", "Gbenga", "Hauwa", "Ike", "Jide", "Kemi", "Lola",
    ];
    let ids = PATIENTS.named(&app, &names).await;
    let ((a, doctor_a), (b, doctor_b)) = (&c.doctor_a, &c.doctor_b);
    let (a, b) = (*a, *b);

    // The queue: two for A, one for anyone, one for B. A's "call next" serves three, B's two.
    walk_in(&c.reception, 0, &a.to_string()).await;
    walk_in(&c.reception, 1, &a.to_string()).await;
    walk_in(&c.reception, 2, "general").await;
    walk_in(&c.reception, 3, &b.to_string()).await;

    // Appointments: A has two today (and one cancelled), one on another day of this week and one next week;
    // B has one today.
    let now = Timestamp::now().0;
    appointment_today(&app, ids[4], a, Timestamp(now + 3_600_000)).await;
    appointment_today(&app, ids[5], a, Timestamp(now + 7_200_000)).await;
    let cancelled = appointment_today(&app, ids[6], a, Timestamp(now + 10_800_000)).await;
    doctor_a
        .post(
            &format!("/appointments/{cancelled}/cancel"),
            &[("reason", "Patient travelled")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    appointment_today(&app, ids[7], b, Timestamp(now + 3_600_000)).await;
    let this_week = slot(&app, a, 5, other_day_this_week(&app)).await;
    appointment_on(&app, ids[6], this_week).await;
    let next_week = slot(&app, a, 5, Timestamp(now + 7 * DAY)).await;
    appointment_on(&app, ids[7], next_week).await;

    // Visits: A's open one with a result back, A's completed one with a result back, A's completed one of ten
    // days ago with a result A marks seen (it counts until then, however old), and B's open one with a result.
    let open = new_visit(doctor_a, ids[8]).await;
    record_result(&lab, order(&app, doctor_a, open, hb).await).await;
    let recent = new_visit(doctor_a, ids[9]).await;
    let recent_order = order(&app, doctor_a, recent, hb).await;
    record_result(&lab, recent_order).await;
    release(&lab, recent_order).await;
    complete(doctor_a, recent).await;
    let old = new_visit(doctor_a, ids[10]).await;
    let old_order = order(&app, doctor_a, old, hb).await;
    record_result(&lab, old_order).await;
    complete(doctor_a, old).await;
    app.exec(&format!(
        "UPDATE visit SET started_at = started_at - {} WHERE id = {old}",
        10 * DAY
    ))
    .await;
    let theirs = new_visit(doctor_b, ids[11]).await;
    record_result(&lab, order(&app, doctor_b, theirs, hb).await).await;
    let pending = order(&app, doctor_a, open, malaria).await;

    // A result stays on the list of the doctor who ordered it until they mark it seen; no one else can.
    let listed = doctor_a.get("/doctor").await;
    assert_eq!(figure(&listed, "fig-results"), "3");
    let seen = format!("/lab/orders/{old_order}/seen");
    assert!(
        listed.has(&format!("#result-{old_order} button[formaction='{seen}']")),
        "{}",
        listed.body
    );
    doctor_b.post(&seen, &[]).await.assert_status(StatusCode::FORBIDDEN);
    lab.post(&seen, &[]).await.assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .post(&format!("/lab/orders/{pending}/seen"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    doctor_a.post(&seen, &[]).await.assert_redirect("/doctor#results");
    doctor_a.post(&seen, &[]).await.assert_redirect("/doctor#results");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'lab_order.seen' AND record_id = {old_order}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE id = {old_order} AND seen_at IS NOT NULL"
        ))
        .await,
        1
    );

    let home = doctor_a.get("/doctor").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(figure(&home, "fig-waiting"), "3");
    assert_eq!(figure(&home, "fig-today"), "2");
    assert!(
        tile(&home, "fig-today").contains("2 not here yet · 0 here · 0 seen · 0 no-shows"),
        "{}",
        tile(&home, "fig-today")
    );
    assert_eq!(figure(&home, "fig-week"), "3");
    assert_eq!(figure(&home, "fig-open-visits"), "1");
    assert_eq!(figure(&home, "fig-results"), "2");
    // Each figure links to what it counts.
    assert_eq!(home.attr("#fig-waiting", "href").as_deref(), Some("/queue/doctor"));
    assert_eq!(home.attr("#fig-week", "href").as_deref(), Some("/schedule?view=week"));
    assert_eq!(home.attr("#fig-results", "href").as_deref(), Some("#results"));
    // The results listed are A's own, latest first.
    let results = home.texts("#results-list tbody tr");
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results[0].contains("Jide Dash") && results[0].contains("Released"),
        "{results:?}"
    );
    assert!(
        results[1].contains("Ike Dash") && results[1].contains("12.1 g/dL"),
        "{results:?}"
    );
    assert!(!home.body.contains("Lola") && !home.body.contains("Kemi Dash"));
    // The page's block: the same figures alone, live.
    assert_eq!(home.attr("#glance", "hx-get").as_deref(), Some("/doctor/summary"));
    let block = doctor_a.get("/doctor/summary").await;
    block.assert_status(StatusCode::OK);
    assert!(!block.body.contains("<html"), "a fragment, not a page");
    for (id, n) in [
        ("fig-waiting", "3"),
        ("fig-today", "2"),
        ("fig-week", "3"),
        ("fig-open-visits", "1"),
        ("fig-results", "2"),
    ] {
        assert_eq!(figure(&block, id), n, "{id}");
    }

    // B sees only B's day.
    let home = doctor_b.get("/doctor").await;
    for (id, n) in [
        ("fig-waiting", "2"),
        ("fig-today", "1"),
        ("fig-week", "1"),
        ("fig-open-visits", "1"),
        ("fig-results", "1"),
    ] {
        assert_eq!(figure(&home, id), n, "{id}");
    }
    assert_eq!(home.texts("#results-list tbody tr").len(), 1);
    assert!(home.text("#results-list").contains("Lola Dash"));
}

async fn a_doctor_marks_the_ticked_results_seen_or_all_shown(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, malaria) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.seen", Role::Lab).await;
    let ids = PATIENTS.numbered(&app, 4).await;
    let (doctor_a, doctor_b) = (&c.doctor_a.1, &c.doctor_b.1);
    let mut visits = Vec::new();
    let mut results = Vec::new();
    for patient in &ids[..3] {
        let visit = new_visit(doctor_a, *patient).await;
        let placed = order(&app, doctor_a, visit, hb).await;
        record_result(&lab, placed).await;
        visits.push(visit);
        results.push(placed);
    }
    let pending = order(&app, doctor_a, visits[0], malaria).await;
    let theirs = order(&app, doctor_b, new_visit(doctor_b, ids[3]).await, hb).await;
    record_result(&lab, theirs).await;

    let home = doctor_a.get("/doctor").await;
    assert_eq!(figure(&home, "fig-results"), "3");
    assert_eq!(home.text("#mark-all-seen"), "Mark all 3 as seen", "{}", home.body);
    assert!(!home.has("#more-results"), "all three are listed");
    let shown = FormFields::of(&home, "#results-seen");
    let ticked = |orders: &[i64]| {
        let mut form = shown.clone();
        for order in orders {
            form.tick("order", order);
        }
        form
    };
    let mark = "/lab/results/seen";
    // Nothing ticked says so; one not theirs, or one without a result, refuses all that were ticked.
    doctor_a
        .post(mark, &shown.fields())
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let refused = [
        (doctor_a, vec![results[0], theirs], StatusCode::FORBIDDEN),
        (doctor_a, vec![results[0], pending], StatusCode::CONFLICT),
        (doctor_b, vec![results[0]], StatusCode::FORBIDDEN),
        (&lab, vec![results[0]], StatusCode::FORBIDDEN),
    ];
    for (who, orders, status) in refused {
        who.post(mark, &ticked(&orders).fields()).await.assert_status(status);
    }
    assert_eq!(app.audits("lab_order.seen").await, 0);

    // Two ticked, sent twice at once: each leaves the list once, an audit row each.
    let two = ticked(&[results[2], results[0]]);
    let two = two.fields();
    let (first, second) = tokio::join!(doctor_a.post(mark, &two), doctor_a.post(mark, &two));
    first.assert_redirect("/doctor#results");
    second.assert_redirect("/doctor#results");
    assert_eq!(app.audits("lab_order.seen").await, 2);
    let home = doctor_a.get("/doctor").await;
    assert_eq!(figure(&home, "fig-results"), "1");
    assert_eq!(home.texts("#results-list tbody tr").len(), 1);
    assert!(home.has(&format!("#result-{}", results[1])));
    assert!(!home.has("#mark-all-seen"), "one row needs no \"all\"");

    // "Mark all shown" from the page as it stood marks the one left, and only it.
    let mut all = shown.clone();
    all.set("all", "1");
    doctor_a
        .post(mark, &all.fields())
        .await
        .assert_redirect("/doctor#results");
    let home = doctor_a.get("/doctor").await;
    assert!(home.body.contains("Marked 1 result seen"), "{}", home.body);
    assert_eq!(figure(&home, "fig-results"), "0");
    assert_eq!(app.audits("lab_order.seen").await, 3);
    let doctor = c.doctor_a.0;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE seen_at IS NOT NULL AND seen_by = {doctor}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lab_order WHERE id = {theirs} AND seen_at IS NULL"
        ))
        .await,
        1
    );
}

/// In Chromium, Enter on a tick box presses the form's first enabled button (not only a text field's Enter
/// does): on the doctor's list that is "Mark ticked as seen", never the first row's own "Mark seen".
async fn enter_on_a_ticked_result_marks_the_ticked_not_the_first_row(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, _) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.enter", Role::Lab).await;
    let doctor = &c.doctor_a.1;
    let mut results = Vec::new();
    for patient in PATIENTS.numbered(&app, 2).await {
        let placed = order(&app, doctor, new_visit(doctor, patient).await, hb).await;
        record_result(&lab, placed).await;
        results.push(placed);
    }
    let Some(b) = Browser::start(1366, 768, "doctor-results").await else {
        return;
    };
    b.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    // Latest first: the second result is the first row; tick the other and press Enter on its box.
    let other = format!("#result-{} input[type=checkbox]", results[0]);
    b.click(&other).await;
    let tick = b.client.find(Locator::Css(&other)).await.expect("the tick box");
    tick.send_keys("\u{E007}").await.expect("Enter");
    b.wait_for_path("/doctor").await;
    let seen = |order: i64| format!("SELECT COUNT(*) FROM lab_order WHERE id = {order} AND seen_at IS NOT NULL");
    for _ in 0..50 {
        if app.count(&seen(results[0])).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count(&seen(results[0])).await,
        1,
        "the ticked result is marked seen"
    );
    assert_eq!(app.count(&seen(results[1])).await, 0, "the first row is not");
    assert!(b.text(".flash-success").await.contains("Marked 1 result seen"));
    b.close().await;
}

async fn a_doctor_with_many_open_visits_sees_the_oldest_and_may_ask_for_all(app: TestApp) {
    let c = clinic(&app).await;
    let doctor = &c.doctor_a.1;
    let ids = PATIENTS.numbered(&app, 22).await;
    let mut visits = Vec::new();
    for id in &ids[..21] {
        visits.push(new_visit(doctor, *id).await);
    }
    let links = |page: &Page| -> Vec<String> {
        let selector = scraper::Selector::parse("#open-visits li a").expect("selector");
        page.html()
            .select(&selector)
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect()
    };
    let href = |visit: &i64| format!("/visits/{visit}");
    let home = doctor.get("/doctor").await;
    assert_eq!(figure(&home, "fig-open-visits"), "21");
    assert_eq!(links(&home), visits[..20].iter().map(href).collect::<Vec<_>>());
    assert_eq!(
        home.attr("#more-open-visits a", "href").as_deref(),
        Some("/doctor?open=all#open-visits")
    );
    let all = doctor.get("/doctor?open=all").await;
    assert_eq!(links(&all), visits.iter().map(href).collect::<Vec<_>>());
    assert!(!all.has("#more-open-visits"));
    // Another doctor's list holds none of them.
    assert!(links(&c.doctor_b.1.get("/doctor?open=all").await).is_empty());
    // The home's lists and figures are shared until a change is announced: a visit opened from a patient's
    // record is one.
    new_visit(doctor, ids[21]).await;
    assert_eq!(figure(&doctor.get("/doctor").await, "fig-open-visits"), "22");
}

/// The home's "Call next" posts the doctor's call counter with the page's form; the call opens their queue, a
/// second press of the same page calls nobody else, and the home then says who is on their way.
async fn a_doctor_calls_the_next_patient_from_their_home(app: TestApp) {
    let c = clinic(&app).await;
    let (a, doctor) = &c.doctor_a;
    let home = doctor.get("/doctor").await;
    assert!(
        home.text("#home-call").contains("Nobody is waiting"),
        "{}",
        home.text("#home-call")
    );
    assert!(!home.has("#home-call-button"));

    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    walk_in(&c.reception, 0, &a.to_string()).await;
    walk_in(&c.reception, 1, "general").await;
    let home = doctor.get("/doctor").await;
    assert_eq!(
        home.attr("#home-call-next", "action").as_deref(),
        Some("/queue/call-next")
    );
    assert!(home.has("#home-call-next input[name=csrf_token]"));
    assert_eq!(
        home.attr("#home-call-button", "form").as_deref(),
        Some("home-call-next")
    );
    assert!(
        home.text("#home-call").contains("to Room 1"),
        "{}",
        home.text("#home-call")
    );
    let counter = home
        .attr("#home-call input[form=home-call-next][name=calls_made]", "value")
        .expect("the call counter");
    let fields = [("calls_made", counter.as_str())];
    doctor
        .post("/queue/call-next", &fields)
        .await
        .assert_redirect("/queue/doctor");
    doctor
        .post("/queue/call-next", &fields)
        .await
        .assert_status(StatusCode::CONFLICT);
    let called = "SELECT COUNT(*) FROM ticket WHERE status = 'called'";
    assert_eq!(app.count(called).await, 1);

    let home = doctor.get("/doctor").await;
    let call = home.text("#home-call");
    assert!(call.contains("-001 is on their way to Room 1"), "{call}");
    assert!(!home.has("#home-call-button"));
    assert_eq!(home.attr("#home-call-queue", "href").as_deref(), Some("/queue/doctor"));
    let block = doctor.get("/doctor/summary").await;
    assert!(
        block.text("#home-call").contains("on their way"),
        "the live block says it too"
    );
    // Once the patient is in the room, the next call is the home's second move: they are still with the doctor.
    let called_id = app.count("SELECT id FROM ticket WHERE status = 'called'").await;
    doctor
        .post(&format!("/queue/tickets/{called_id}/start"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let home = doctor.get("/doctor").await;
    assert_eq!(
        home.attr("#home-call-button", "class").as_deref(),
        Some("call-next secondary")
    );
    assert!(
        home.text("#home-call-hint").contains("-001 is still with you"),
        "{}",
        home.text("#home-call")
    );

    let roomless = app.login_as("dr.roomless", Role::Doctor).await;
    let home = roomless.get("/doctor").await;
    assert!(
        home.text("#home-call").contains("Choose the room"),
        "{}",
        home.text("#home-call")
    );
}

async fn the_front_desk_counts_its_queue_check_ins_and_what_is_owed(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS
        .named(
            &app,
            &["Ada", "Bola", "Chidi", "Dayo", "Efe", "Femi", "Gbenga", "Hauwa"],
        )
        .await;
    let ((a, doctor_a), (b, doctor_b)) = (&c.doctor_a, &c.doctor_b);
    let (a, b) = (*a, *b);
    let desk = &c.reception;
    let empty = desk.get("/reception").await;
    for id in [
        "fig-waiting",
        "fig-called",
        "fig-with-doctor",
        "fig-check-ins",
        "fig-unpaid",
    ] {
        assert_eq!(figure(&empty, id), "0", "{id}");
    }

    // Five walk-ins; A calls one, B calls one and starts: three wait.
    for (index, queue) in [
        (0, a.to_string()),
        (1, a.to_string()),
        (2, "general".into()),
        (3, b.to_string()),
        (4, b.to_string()),
    ] {
        walk_in(desk, index, &queue).await;
    }
    call_next(&app, doctor_a, a).await;
    let called = call_next(&app, doctor_b, b).await;
    doctor_b
        .post(&format!("/queue/tickets/{called}/start"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Three booked today, one checked in (it waits too), one cancelled.
    let now = Timestamp::now().0;
    let first = appointment_today(&app, ids[5], a, Timestamp(now + 3_600_000)).await;
    appointment_today(&app, ids[6], a, Timestamp(now + 5_400_000)).await;
    appointment_today(&app, ids[7], b, Timestamp(now + 3_600_000)).await;
    let cancelled = appointment_today(&app, ids[0], b, Timestamp(now + 5_400_000)).await;
    app.exec(&format!(
        "UPDATE appointment SET status = 'cancelled' WHERE id = {cancelled}"
    ))
    .await;
    check_in(desk, first).await;

    // Invoices: 5,000 owed, 3,000 with 1,000 paid, 2,000 paid in full, and a draft.
    issued(desk, ids[0], "5000").await;
    let part = issued(desk, ids[1], "3000").await;
    pay(desk, part, "1000").await;
    let full = issued(desk, ids[2], "2000").await;
    pay(desk, full, "2000").await;
    desk.post(
        "/billing/invoices",
        &[("patient_id", &ids[3].to_string()), ("form_id", &once())],
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    let home = desk.get("/reception").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(figure(&home, "fig-waiting"), "4");
    assert_eq!(figure(&home, "fig-called"), "1");
    assert_eq!(figure(&home, "fig-with-doctor"), "1");
    assert_eq!(figure(&home, "fig-check-ins"), "2");
    assert_eq!(figure(&home, "fig-unpaid"), "2");
    assert!(
        tile(&home, "fig-unpaid").contains("7,000.00 owed"),
        "{}",
        tile(&home, "fig-unpaid")
    );
    assert_eq!(home.attr("#fig-check-ins", "href").as_deref(), Some("/queue#check-in"));
    assert_eq!(
        home.attr("#fig-unpaid", "href").as_deref(),
        Some("/billing?status=owed")
    );
    // What the desk had before stays: finding and registering patients.
    assert!(home.has("#home-search"));
    let block = desk.get("/reception/summary").await;
    assert_eq!(figure(&block, "fig-waiting"), "4");
    assert_eq!(figure(&block, "fig-check-ins"), "2");
}

async fn the_admin_sees_the_whole_clinics_day(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, mp) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    let names = [
        "Ada", "Bola", "Chidi", "Dayo", "Efe", "Femi", "Gbenga", "Hauwa", "Ike", "Jide",
    ];
    let ids = PATIENTS.named(&app, &names).await;
    // One of them was registered two days ago.
    app.exec(&format!(
        "UPDATE patient SET created_at = created_at - {} WHERE id = {}",
        2 * DAY,
        ids[9]
    ))
    .await;
    let ((a, doctor_a), (b, doctor_b)) = (&c.doctor_a, &c.doctor_b);
    let (a, b) = (*a, *b);
    let desk = &c.reception;

    // Three walk-ins, one called: two wait.
    walk_in(desk, 0, &a.to_string()).await;
    walk_in(desk, 1, "general").await;
    walk_in(desk, 2, &b.to_string()).await;
    call_next(&app, doctor_a, a).await;
    // Appointments today: two booked, one completed, one no-show, one cancelled.
    let now = Timestamp::now().0;
    appointment_today(&app, ids[3], a, Timestamp(now + 3_600_000)).await;
    appointment_today(&app, ids[4], b, Timestamp(now + 3_600_000)).await;
    for (index, status) in [(5, "completed"), (6, "no_show"), (7, "cancelled")] {
        let id = appointment_today(&app, ids[index], a, Timestamp(now + index as i64 * 1_200_000)).await;
        app.exec(&format!("UPDATE appointment SET status = '{status}' WHERE id = {id}"))
            .await;
    }
    // Visits today: A's and B's; one of yesterday.
    let visit_a = new_visit(doctor_a, ids[8]).await;
    let visit_b = new_visit(doctor_b, ids[9]).await;
    let old = new_visit(doctor_b, ids[5]).await;
    complete(doctor_b, old).await;
    app.exec(&format!(
        "UPDATE visit SET day = '{}' WHERE id = {old}",
        yesterday(&app)
    ))
    .await;
    // The lab: one test to take, one result to release.
    order(&app, doctor_a, visit_a, mp).await;
    record_result(&lab, order(&app, doctor_a, visit_a, hb).await).await;
    // The pharmacy: paracetamol at 10 (reorder at 20) and ventolin with none are low; one prescription waits.
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    let amoxicillin = add_drug(&app, "Amoxicillin", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    add_drug(&app, "Ventolin", "salbutamol", DrugForm::Inhaler, "100 mcg").await;
    add_batch(&app, paracetamol, 10, 365).await;
    add_batch(&app, amoxicillin, 500, 365).await;
    prescribe(doctor_b, visit_b, amoxicillin).await;
    // Money: 6,000 taken today (a payment of yesterday left out), 2,000 still owed on one invoice.
    let first = issued(desk, ids[0], "5000").await;
    pay(desk, first, "5000").await;
    let second = issued(desk, ids[1], "3000").await;
    pay(desk, second, "1000").await;
    let third = issued(desk, ids[2], "2000").await;
    pay(desk, third, "2000").await;
    app.exec(&format!(
        "UPDATE payment SET day = '{}' WHERE invoice_id = {third}",
        yesterday(&app)
    ))
    .await;

    let home = admin.get("/admin").await;
    home.assert_status(StatusCode::OK);
    let expected = [
        ("fig-visits", "2"),
        ("fig-waiting", "2"),
        ("fig-appointments", "4"),
        ("fig-new-patients", "9"),
        ("fig-unpaid", "1"),
        ("fig-lab", "2"),
        ("fig-prescriptions", "1"),
        ("fig-low-stock", "2"),
    ];
    for (id, n) in expected {
        assert_eq!(figure(&home, id), n, "{id}");
    }
    assert!(
        figure(&home, "fig-takings").contains("6,000.00"),
        "{}",
        figure(&home, "fig-takings")
    );
    // The same words as reception's board: called is not yet with a doctor.
    let called = app.count("SELECT COUNT(*) FROM ticket WHERE status = 'called'").await;
    let with_doctor = app
        .count("SELECT COUNT(*) FROM ticket WHERE status = 'with_doctor'")
        .await;
    assert_eq!(called + with_doctor, 1);
    assert!(
        tile(&home, "fig-waiting").contains(&format!("{called} called · {with_doctor} with a doctor")),
        "{}",
        tile(&home, "fig-waiting")
    );
    assert!(
        tile(&home, "fig-appointments").contains("2 not here yet · 0 here · 1 seen · 1 no-show"),
        "{}",
        tile(&home, "fig-appointments")
    );
    assert!(tile(&home, "fig-unpaid").contains("2,000.00 owed"));
    assert!(tile(&home, "fig-lab").contains("1 to run · 1 to release"));
    assert_eq!(home.attr("#fig-takings", "href").as_deref(), Some("/billing/day"));
    assert_eq!(home.attr("#fig-lab", "href").as_deref(), Some("/lab"));
    // Low stock asks for action, in words and colour.
    assert!(home.has("#fig-low-stock.stat-alert"));
    // Messages to patients that were not sent are counted; held ones (no mail server or SMS provider is set
    // up here) wait on a setting, in amber, where a failed one would be red.
    let held = app.count("SELECT COUNT(*) FROM outbox WHERE status = 'held'").await;
    let failed = app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").await;
    assert_eq!(failed, 0);
    assert_eq!(figure(&home, "fig-unsent"), held.to_string());
    assert_eq!(home.has("#fig-unsent.stat-tone-warn"), held > 0);
    assert!(!home.has("#fig-unsent.stat-tone-act"));
    assert_eq!(home.attr("#fig-unsent", "href").as_deref(), Some("/admin/outbox"));
    // The admin's home keeps its staff counts, catalogues and recent activity.
    assert!(home.has("#staff-heading") && home.has("#drugs-link") && home.has("#activity-heading"));
    let block = admin.get("/admin/summary").await;
    for (id, n) in expected {
        assert_eq!(figure(&block, id), n, "{id}");
    }
}

async fn the_pharmacy_and_the_lab_count_their_work(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, mp) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    let pharmacist = app.login_as("pharm.dash", Role::Pharmacist).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let doctor = &c.doctor_a.1;
    // Amoxicillin: 120 good, 50 expiring in 30 days, 300 expired. Paracetamol at 10 and ventolin at none: low.
    let amoxicillin = add_drug(&app, "Amoxicillin", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_drug(&app, "Ventolin", "salbutamol", DrugForm::Inhaler, "100 mcg").await;
    add_batch(&app, amoxicillin, 120, 180).await;
    add_batch(&app, amoxicillin, 50, 30).await;
    add_batch(&app, amoxicillin, 300, -3).await;
    add_batch(&app, paracetamol, 10, 365).await;
    // Two open visits with prescriptions; their lab: one to take, one to release, one released.
    let first = new_visit(doctor, ids[0]).await;
    let second = new_visit(doctor, ids[1]).await;
    prescribe(doctor, first, amoxicillin).await;
    prescribe(doctor, second, amoxicillin).await;
    order(&app, doctor, first, mp).await;
    record_result(&lab, order(&app, doctor, first, hb).await).await;
    let done = order(&app, doctor, second, hb).await;
    record_result(&lab, done).await;
    release(&lab, done).await;

    for client in [&pharmacist, &admin] {
        let home = client.get("/pharmacy").await;
        home.assert_status(StatusCode::OK);
        for (id, n) in [
            ("fig-prescriptions", "2"),
            ("fig-low-stock", "2"),
            ("fig-expired", "1"),
            ("fig-expiring", "1"),
        ] {
            assert_eq!(figure(&home, id), n, "{id}");
        }
        assert_eq!(home.attr("#fig-low-stock", "href").as_deref(), Some("#low-stock"));
        assert!(
            home.has("#low-stock") && home.has("#expired"),
            "the lists the figures link to"
        );
        // Whether the figures are live shows beside the day, not on a line of its own under them.
        assert!(home.has(".home-head > #glance-status.live-status") && !home.has(".glance .live-status"));
        // The four stock alerts are cards side by side, each list a named region that scrolls in its card.
        assert_eq!(
            home.texts(".alert-grid > section.card-section > h2"),
            [
                "Expired, still on the shelf",
                "At or below the reorder level",
                "Days of stock left",
                "Expiring within 90 days"
            ]
        );
        for list in ["#expired", "#low-stock", "#expiring"] {
            assert!(
                home.has(&format!("{list} .overflow-auto[role=region][tabindex='0'][aria-label]")),
                "{list}"
            );
        }
    }
    let block = pharmacist.get("/pharmacy/summary").await;
    assert_eq!(figure(&block, "fig-prescriptions"), "2");

    for client in [&lab, &admin] {
        let home = client.get("/lab").await;
        home.assert_status(StatusCode::OK);
        for (id, n) in [("fig-to-take", "1"), ("fig-to-release", "1"), ("fig-with-doctor", "2")] {
            assert_eq!(figure(&home, id), n, "{id}");
        }
        // The worklist stays below.
        assert_eq!(home.texts("#worklist-rows tr[id^=work-]").len(), 2);
    }
    let block = lab.get("/lab/summary").await;
    assert_eq!(figure(&block, "fig-to-release"), "1");
}

async fn a_patient_sees_only_their_own_figures(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, mp) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let ((a, _), (b, doctor_b)) = (&c.doctor_a, &c.doctor_b);
    let (a, b) = (*a, *b);
    let desk = &c.reception;
    // Chidi, then Ada, wait for A.
    walk_in(desk, 2, &a.to_string()).await;
    walk_in(desk, 0, &a.to_string()).await;
    // Ada is booked with B later today; she owes 2,500; two of her results were released, one of them 20 days
    // ago; a third is recorded, not released.
    let now = Timestamp::now().0;
    appointment_today(&app, ids[0], b, Timestamp(now + 2 * 3_600_000)).await;
    // Her booking with A this morning has ended, the one in an hour was cancelled, the one in 90 minutes is
    // checked in (her ticket stands for it), and the one in four hours comes after B's: the next is B's.
    appointment_today(&app, ids[0], a, Timestamp(now - 3 * 3_600_000)).await;
    let cancelled = appointment_today(&app, ids[0], a, Timestamp(now + 3_600_000)).await;
    app.exec(&format!(
        "UPDATE appointment SET status = 'cancelled' WHERE id = {cancelled}"
    ))
    .await;
    let checked_in = appointment_today(&app, ids[0], a, Timestamp(now + 90 * 60_000)).await;
    app.exec(&format!(
        "UPDATE appointment SET status = 'checked_in' WHERE id = {checked_in}"
    ))
    .await;
    appointment_today(&app, ids[0], a, Timestamp(now + 4 * 3_600_000)).await;
    issued(desk, ids[0], "2500").await;
    let visit = new_visit(doctor_b, ids[0]).await;
    for test in [hb, mp] {
        let order = order(&app, doctor_b, visit, test).await;
        record_result(&lab, order).await;
        release(&lab, order).await;
    }
    app.exec(&format!(
        "UPDATE lab_order SET released_at = released_at - {} WHERE visit_id = {visit} AND test_id = {mp}",
        20 * DAY
    ))
    .await;
    // Bola owes 9,000 and has one released result of her own.
    issued(desk, ids[1], "9000").await;
    let hers = new_visit(doctor_b, ids[1]).await;
    let order_b = order(&app, doctor_b, hers, hb).await;
    record_result(&lab, order_b).await;
    release(&lab, order_b).await;

    let ada = PATIENTS.client(&app, 0).await;
    let home = ada.get("/me").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(home.text("#my-queue-ticket"), "A-002");
    assert!(
        home.text("#my-queue-place").contains("1 person ahead of you"),
        "{}",
        home.text("#my-queue-place")
    );
    assert_eq!(home.attr("a.queue-card", "href").as_deref(), Some("/me/queue"));
    assert!(home.text("#next-appointment").contains("Test dr.bello"));
    assert_eq!(
        home.attr("#next-appointment", "href").as_deref(),
        Some("/me/appointments")
    );
    // Two hours away, past the clinic's cutoff for changes online: the card offers no Move or Cancel.
    assert!(!home.has("#next-move") && !home.has("#next-cancel"));
    assert!(figure(&home, "my-owed").contains("2,500.00"));
    assert!(
        tile(&home, "my-owed").contains("Owed on 1 invoice"),
        "{}",
        tile(&home, "my-owed")
    );
    assert_eq!(figure(&home, "my-new-results"), "1");
    assert_eq!(home.attr("#my-new-results", "href").as_deref(), Some("/me/results"));
    assert!(!home.body.contains("9,000.00"));
    let block = ada.get("/me/summary").await;
    block.assert_status(StatusCode::OK);
    assert_eq!(block.text("#my-queue-ticket"), "A-002");
    assert_eq!(figure(&block, "my-new-results"), "1");

    let bola = PATIENTS.client(&app, 1).await;
    let home = bola.get("/me").await;
    assert!(!home.has(".queue-card"), "Bola has no ticket");
    assert!(figure(&home, "my-owed").contains("9,000.00"));
    assert_eq!(figure(&home, "my-new-results"), "1");
    // Nothing booked and no ticket: booking leads, and no second card says "None booked".
    assert_eq!(home.attr("#book-now", "href").as_deref(), Some("/me/book"));
    assert!(!home.has("#next-appointment"));
    // Her result read on its visit's page is no longer new; Ada's, unread, still is.
    bola.get(&format!("/me/visits/{hers}"))
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(tile(&bola.get("/me/summary").await, "my-new-results"), "No new results");
    assert_eq!(figure(&ada.get("/me/summary").await, "my-new-results"), "1");

    let chidi = PATIENTS.client(&app, 2).await;
    let block = chidi.get("/me/summary").await;
    assert!(block.text("#my-queue-place").contains("You're next"));
    // At zero, a figure is a quiet line (no large 0) that still leads to its page.
    assert_eq!(tile(&block, "my-owed"), "Nothing owed");
    assert_eq!(tile(&block, "my-new-results"), "No new results");
    assert!(!block.has("#my-owed .stat-number") && !block.has("#my-new-results .stat-number"));
    assert_eq!(block.attr("#my-owed", "href").as_deref(), Some("/me/invoices"));
}

// == Who may read the figures ==

async fn a_patients_home_tells_what_happened_lately_in_plain_words(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, _) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.feed", Role::Lab).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let ((a, _), (_, doctor_b)) = (&c.doctor_a, &c.doctor_b);
    let now = Timestamp::now().0;
    // Bola has nothing yet: her home says so, and shows none of Ada's.
    let bola = PATIENTS.client(&app, 1).await;
    let home = bola.get("/me").await;
    assert!(home.has("#no-activity"), "{}", home.text(".activity"));
    // Ada books, cancels a second booking, is seen by B (the visit still open), gets a result and pays: one event
    // each, newest first.
    let booked = appointment_today(&app, ids[0], *a, Timestamp(now + 2 * 3_600_000)).await;
    app.exec(&format!(
        "UPDATE appointment SET created_at = {now} WHERE id = {booked}"
    ))
    .await;
    let cancelled = appointment_today(&app, ids[0], *a, Timestamp(now + 3 * 3_600_000)).await;
    app.exec(&format!(
        "UPDATE appointment SET status = 'cancelled', updated_at = {} WHERE id = {cancelled}",
        now + 1
    ))
    .await;
    let visit = new_visit(doctor_b, ids[0]).await;
    app.exec(&format!("UPDATE visit SET started_at = {} WHERE id = {visit}", now + 2))
        .await;
    let order = order(&app, doctor_b, visit, hb).await;
    record_result(&lab, order).await;
    release(&lab, order).await;
    app.exec(&format!(
        "UPDATE lab_order SET released_at = {} WHERE id = {order}",
        now + 3
    ))
    .await;
    let invoice = issued(&c.reception, ids[0], "2500").await;
    pay(&c.reception, invoice, "2500").await;
    app.exec(&format!(
        "UPDATE payment SET received_at = {} WHERE invoice_id = {invoice}",
        now + 4
    ))
    .await;

    let ada = PATIENTS.client(&app, 0).await;
    let home = ada.get("/me").await;
    home.assert_status(StatusCode::OK);
    let feed: Vec<String> = home.texts("#activity-feed li strong");
    assert_eq!(feed.len(), 5, "{feed:?}");
    assert!(feed[0].starts_with("Paid ") && feed[0].contains("2,500.00"), "{feed:?}");
    assert_eq!(
        feed[1..],
        [
            "Result ready",
            "Visit with Test dr.bello under way",
            "Appointment with Test dr.adeyemi cancelled",
            "Booked with Test dr.adeyemi",
        ],
        "{}",
        home.text("#activity-feed")
    );
    assert!(home.text("#activity-feed").contains("Haemoglobin"));
    // Each event opens its own record: the receipt, the visit at its results, the visit.
    let payment = app
        .count(&format!("SELECT id FROM payment WHERE invoice_id = {invoice}"))
        .await;
    let links = home.attrs("#activity-feed li a", "href");
    assert_eq!(
        links[..3],
        [
            format!("/me/receipts/{payment}"),
            format!("/me/visits/{visit}#my-results"),
            format!("/me/visits/{visit}"),
        ]
    );
    for link in &links {
        ada.get(link).await.assert_status(StatusCode::OK);
    }
    // Nothing of Ada's reaches Bola.
    let home = bola.get("/me/summary").await;
    assert!(home.has("#no-activity"));
}

async fn each_figure_block_answers_only_its_pages_roles(app: TestApp) {
    let admin = app.admin().await;
    let doctor = app.login_as("dr.dash", Role::Doctor).await;
    let reception = app.login_as("desk.dash", Role::Reception).await;
    let pharmacist = app.login_as("pharm.dash", Role::Pharmacist).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    PATIENTS.named(&app, &["Ada"]).await;
    let patient = PATIENTS.client(&app, 0).await;
    let anonymous = app.client();
    let everyone = [
        ("admin", &admin),
        ("doctor", &doctor),
        ("reception", &reception),
        ("pharmacist", &pharmacist),
        ("lab", &lab),
        ("patient", &patient),
    ];
    let blocks: [(&str, &[&str]); 6] = [
        ("/admin/summary", &["admin"]),
        ("/doctor/summary", &["doctor"]),
        ("/reception/summary", &["reception"]),
        ("/pharmacy/summary", &["pharmacist", "admin"]),
        ("/lab/summary", &["lab", "admin"]),
        ("/me/summary", &["patient"]),
    ];
    for (path, allowed) in blocks {
        let events = format!("{path}/events");
        for (who, client) in &everyone {
            if allowed.contains(who) {
                let block = client.get(path).await;
                assert_eq!(block.status, StatusCode::OK, "{who} reads {path}");
                assert!(block.has(".stat-grid"), "{path}: {}", block.body);
                EventStream::open(client, &events).await;
            } else {
                for path in [path, events.as_str()] {
                    let refused = client.get(path).await;
                    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who} may not read {path}");
                    assert!(!refused.has(".stat-grid"));
                }
            }
        }
        for path in [path, events.as_str()] {
            let page = anonymous.get(path).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{path} without logging in");
            assert!(
                page.location().is_some_and(|l| l.starts_with("/login")),
                "{:?}",
                page.location()
            );
        }
    }
}

// == Live ==

/// Opens the event stream of the live block of the page at `home`, as the page's own `sse-connect` says.
async fn block_stream(client: &Client, home: &str) -> EventStream {
    let page = client.get(home).await;
    page.assert_status(StatusCode::OK);
    let path = page.attr(".glance[sse-connect]", "sse-connect").expect("a live block");
    assert!(path.contains("/summary/events?since="), "{path}");
    EventStream::open(client, &path).await
}

/// Reads what a stream was told so far, so that the next event read is told of what happens next.
async fn drain(stream: &mut EventStream) {
    while stream.next(Duration::from_millis(300)).await.is_some() {}
}

async fn the_figures_change_live_with_the_day(app: TestApp) {
    let c = clinic(&app).await;
    let admin = app.admin().await;
    let (hb, _) = lab_tests(&app, &admin).await;
    let lab = app.login_as("lab.dash", Role::Lab).await;
    let pharmacist = app.login_as("pharm.dash", Role::Pharmacist).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let ((a, doctor_a), _) = (&c.doctor_a, &c.doctor_b);
    let a = *a;
    let desk = &c.reception;
    let booked = appointment_today(&app, ids[0], a, Timestamp(Timestamp::now().0 + 3_600_000)).await;

    let mut front = block_stream(desk, "/reception").await;
    let mut pharmacy = block_stream(&pharmacist, "/pharmacy").await;
    let ada = PATIENTS.client(&app, 0).await;
    let mut mine = block_stream(&ada, "/me").await;
    // Nothing changed since the pages were read: nothing is said.
    assert!(front.next(Duration::from_millis(500)).await.is_none());
    let before = desk.get("/reception/summary").await;
    assert_eq!(
        (figure(&before, "fig-check-ins"), figure(&before, "fig-waiting")),
        ("1".into(), "0".into())
    );

    // A check-in: the desk is told, and its figures moved; the pharmacy is not told.
    check_in(desk, booked).await;
    let told = front.next(WAIT).await.expect("the desk is told");
    assert_eq!(told.name, "changed");
    assert!(told.data.parse::<u64>().is_ok(), "{told:?}");
    let after = desk.get("/reception/summary").await;
    assert_eq!(
        (figure(&after, "fig-check-ins"), figure(&after, "fig-waiting")),
        ("0".into(), "1".into())
    );
    assert!(
        pharmacy.next(Duration::from_millis(500)).await.is_none(),
        "a queue change is not the pharmacy's"
    );
    mine.until("changed", WAIT, |_| true).await.expect("Ada is told");
    assert!(
        ada.get("/me/summary")
            .await
            .text("#my-queue-place")
            .contains("You're next")
    );

    // Ada is called: her figures say where to go.
    drain(&mut mine).await;
    call_next(&app, doctor_a, a).await;
    mine.until("changed", WAIT, |_| true)
        .await
        .expect("Ada is told of her call");
    assert!(
        ada.get("/me/summary")
            .await
            .text("#my-queue-place")
            .contains("It's your turn: go to Room 1")
    );

    // Billing tells the desk: an invoice issued, then paid.
    drain(&mut front).await;
    let invoice = issued(desk, ids[1], "4000").await;
    front
        .until("changed", WAIT, |_| true)
        .await
        .expect("told of the invoice");
    assert_eq!(figure(&desk.get("/reception/summary").await, "fig-unpaid"), "1");
    drain(&mut front).await;
    pay(desk, invoice, "4000").await;
    front
        .until("changed", WAIT, |_| true)
        .await
        .expect("told of the payment");
    assert_eq!(figure(&desk.get("/reception/summary").await, "fig-unpaid"), "0");

    // The lab tells the doctor: a result back.
    let mut doctor = block_stream(doctor_a, "/doctor").await;
    let visit = new_visit(doctor_a, ids[2]).await;
    let ordered = order(&app, doctor_a, visit, hb).await;
    doctor
        .until("changed", WAIT, |_| true)
        .await
        .expect("told of the order");
    assert_eq!(figure(&doctor_a.get("/doctor/summary").await, "fig-results"), "0");
    drain(&mut doctor).await;
    record_result(&lab, ordered).await;
    doctor
        .until("changed", WAIT, |_| true)
        .await
        .expect("told of the result");
    assert_eq!(figure(&doctor_a.get("/doctor/summary").await, "fig-results"), "1");

    // A prescription tells the pharmacy.
    let drug = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_batch(&app, drug, 100, 365).await;
    drain(&mut pharmacy).await;
    prescribe(doctor_a, visit, drug).await;
    pharmacy
        .until("changed", WAIT, |_| true)
        .await
        .expect("told of the prescription");
    assert_eq!(
        figure(&pharmacist.get("/pharmacy/summary").await, "fig-prescriptions"),
        "1"
    );

    // A stream that opens after changes it never saw (a page loaded long ago, a reconnect) is told at once.
    let mut late = EventStream::open(desk, "/reception/summary/events?since=0").await;
    let told = late.next(WAIT).await.expect("told at once");
    assert_eq!(told.name, "changed");
}

/// The admin's "Recent changes" tells each entry in words, the same words as the audit trail (one description
/// of an entry serves both): "Added a walk-in to the queue", who with their role, the patient by name; never an
/// action's code such as `ticket.walk_in`. Sign-ins and opened records stay on the trail's other views.
async fn the_admins_recent_activity_says_what_happened_in_the_trails_words(app: TestApp) {
    let patient = PATIENTS.named(&app, &["Recent"]).await[0];
    let desk = app.login_as("dash.desk", Role::Reception).await;
    desk.get(&format!("/patients/{patient}"))
        .await
        .assert_status(StatusCode::OK);
    desk.post(
        "/queue/walk-ins",
        &[
            ("who", "existing"),
            ("number", &PATIENTS.matric(0)),
            ("queue", "general"),
            ("priority", "normal"),
        ],
    )
    .await
    .assert_redirect("/queue");
    let admin = app.admin().await;
    add_room(&app, &admin, "Room 9", "N").await;
    let home = admin.get("/admin").await;
    home.assert_status(StatusCode::OK);
    let cells = |page: &Page, table: &str, n: usize| page.texts(&format!("{table} tbody tr td:nth-child({n})"));
    let what = cells(&home, "#recent-activity", 3);
    assert_eq!(what[..2], ["Added a room", "Added a walk-in to the queue"]);
    assert!(
        !what.iter().any(|w| w == "Logged in" || w.starts_with("Opened")),
        "changes only: {what:?}"
    );
    let code = regex::Regex::new(r"^[a-z_]+\.[a-z_.]+$").expect("regex");
    assert!(!what.iter().any(|w| code.is_match(w)), "no action's code: {what:?}");
    let who = cells(&home, "#recent-activity", 2);
    assert!(
        who.iter()
            .any(|w| w.starts_with("Test dash.desk (") && w.ends_with("Reception)")),
        "{who:?}"
    );
    assert!(who.contains(&"Ada Admin (Administrator)".to_owned()), "{who:?}");
    let read = what
        .iter()
        .position(|w| w == "Added a walk-in to the queue")
        .expect("the walk-in");
    assert!(
        cells(&home, "#recent-activity", 4)[read].starts_with("Recent Dash"),
        "the patient by name"
    );

    // Row for row, what the trail's newest entries say.
    let trail = admin.get("/admin/audit").await;
    trail.assert_status(StatusCode::OK);
    let shown = what.len();
    for (home_column, trail_column) in [(2, 2), (3, 3), (4, 4), (5, 5)] {
        let trail_cells: Vec<String> = cells(&trail, "#audit-rows", trail_column)
            .into_iter()
            .take(shown)
            .collect();
        assert_eq!(
            cells(&home, "#recent-activity", home_column),
            trail_cells,
            "column {home_column}"
        );
    }
}

/// The chip of setup step `key` on the admin's home ("Done" or "To do").
fn setup_step(home: &Page, key: &str) -> String {
    home.text(&format!("#setup-{key} .chip"))
}

async fn the_first_run_lists_the_setup_steps_and_marks_each_when_done(app: TestApp) {
    let admin = app.admin().await;
    let home = admin.get("/admin").await;
    home.assert_status(StatusCode::OK);
    assert!(home.has("#setup"), "a fresh install shows the checklist");
    assert!(
        home.text("#clinic-quiet").starts_with("Nothing yet today.") && !home.has("#fig-visits"),
        "one line, not ten figures at 0"
    );
    for key in ["settings", "rooms", "staff", "hours", "fees", "portal"] {
        assert_eq!(setup_step(&home, key), "To do", "{key}");
    }
    assert!(
        home.text("#setup-settings").contains("Africa/Lagos"),
        "the defaults are shown"
    );
    assert!(
        home.text("#setup-settings").contains(
            "Rules: the pharmacy gives medicines before payment; a low, high or abnormal result reaches the patient \
             once their doctor has seen it, others when the lab releases them."
        ),
        "the rules a clinic decides on its first day: {}",
        home.text("#setup-settings")
    );
    assert!(home.text("#setup-progress").starts_with("0 of 6 done"));

    // Each step through its own page (or, for the settings, as the settings page stores them).
    add_room(&app, &admin, "Room 1", "A").await;
    let doctor = app.create_staff("dr.first", Role::Doctor, false).await;
    app.create_staff("desk.first", Role::Reception, false).await;
    hours_every_day(&app, doctor, 9 * 60, 12 * 60, 15, 1).await;
    let page = admin.get("/admin/fees").await;
    let form_id = page
        .attr("form[action=\"/admin/fees\"] input[name=form_id]", "value")
        .expect("the add form's id");
    admin
        .post(
            "/admin/fees",
            &[
                ("name", "Medical report"),
                ("price", "3000"),
                ("form_id", form_id.as_str()),
            ],
        )
        .await
        .assert_redirect("/admin/fees");
    let home = admin.get("/admin").await;
    for key in ["rooms", "staff", "hours", "fees"] {
        assert_eq!(
            setup_step(&home, key),
            "Done",
            "{key}: {}",
            home.text(&format!("#setup-{key}"))
        );
    }
    assert_eq!(setup_step(&home, "settings"), "To do");
    assert_eq!(setup_step(&home, "portal"), "To do");
    assert!(home.text("#setup-progress").starts_with("4 of 6 done"));

    app.set_setting("self_registration", "1").await;
    app.set_setting("clinic_name", "Campus Clinic").await;
    let home = admin.get("/admin").await;
    assert!(!home.has("#setup"), "the list goes once every step is done");
    assert_eq!(home.attr("#setup-link", "href").as_deref(), Some("/admin/setup"));
    // What is still to check stays at the home's top, one line leading to it.
    assert!(
        home.text("#setup-check-settings")
            .contains("Messages still link to http://")
    );
    assert_eq!(
        home.attr("#setup-check-settings a", "href").as_deref(),
        Some("/admin/settings/messages-to-patients"),
        "to the page where the site's address is given"
    );
    admin
        .get("/admin/settings/messages-to-patients")
        .await
        .assert_status(StatusCode::OK);
    // Its own page keeps it, marking what still needs a look: messages linking to this machine.
    let page = admin.get("/admin/setup").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(setup_step(&page, "settings"), "Check");
    assert!(
        page.text("#setup-progress").ends_with("done, 1 to check."),
        "{}",
        page.text("#setup-progress")
    );
    app.set_setting("site_url", "https://clinic.example.edu").await;
    app.set_setting("billing_dispense_only_when_paid", "1").await;
    assert!(!admin.get("/admin").await.has(".setup-check"));
    let page = admin.get("/admin/setup").await;
    assert!(
        page.text("#setup-settings")
            .contains("the pharmacy gives medicines once the patient has paid")
    );
    for key in ["settings", "rooms", "staff", "hours", "fees", "portal"] {
        assert_eq!(setup_step(&page, key), "Done", "{key}");
    }
    assert!(page.text("#setup-progress").starts_with("6 of 6 done"));
    let desk = app.login_as("desk.setup", Role::Reception).await;
    desk.get("/admin/setup").await.assert_status(StatusCode::FORBIDDEN);
}

/// "?" and the user menu's link open the shortcuts: in the page's dialog through htmx, a page of its own without
/// JavaScript, for every staff role; a patient's pages have no such keys.
async fn every_staff_member_has_the_keyboard_shortcuts_and_a_patient_not(app: TestApp) {
    for (login, role) in [
        ("dr.keys", Role::Doctor),
        ("desk.keys", Role::Reception),
        ("pharm.keys", Role::Pharmacist),
        ("lab.keys", Role::Lab),
        ("admin.keys", Role::Admin),
    ] {
        let staff = app.login_as(login, role).await;
        let page = staff.get("/keys").await;
        page.assert_status(StatusCode::OK);
        assert_eq!(page.text("h1"), "Keyboard shortcuts", "{login}");
        assert!(page.has("#keys") && page.has("a[data-keys][href='/keys']"), "{login}");
        let fragment = staff.get_with("/keys", &[("HX-Request", "true")]).await;
        fragment.assert_status(StatusCode::OK);
        assert_eq!(fragment.text("#task-title"), "Keyboard shortcuts");
        assert!(!fragment.has("header"), "the dialog's fragment alone");
    }
    PATIENTS.named(&app, &["Kemi"]).await;
    let patient = PATIENTS.client(&app, 0).await;
    patient.get("/keys").await.assert_status(StatusCode::FORBIDDEN);
    assert!(!patient.get("/me").await.has("a[data-keys]"));
    let anonymous = app.client().get("/keys").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}
