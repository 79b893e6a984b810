//! A clinic's day at a speed factor: seeds the demo (large by default: 50,000 students, 24 doctors, a year of
//! history), serves the app in-process, and replays the busiest hours of a university clinic through the real
//! forms and event streams with every role at once:
//! - 24 doctors: call next, start, the consultation screen, vitals, a diagnosis, a prescription, a lab test for
//!   one patient in three, complete;
//! - 4 reception desks: check-ins of the patients due, walk-ins to the doctors' queues, the board, a patient
//!   search, billing a completed visit and taking its payment;
//! - students on phones: their home and their place in the queue; others booking a time and cancelling it;
//! - 2 pharmacists: the worklist, a prescription, dispensing it;
//! - 2 lab attendants: the worklist, an order, its result, its release;
//! - 8 waiting-room displays on their event stream: how long each call takes to reach them;
//! - an admin now and then: a year's report and the audit trail's CSV.
//!
//! Each role works at its real rate times the factor: a doctor sees a patient every 12 minutes; a desk checks in
//! a patient and looks at the board every minute (the morning rush), adds a walk-in every 6 minutes and bills a
//! visit every 5; a phone looks every 20 seconds; a student books or cancels every 2 minutes; a pharmacist
//! dispenses every 4 minutes; a lab attendant records a result every 5; the admin exports every 20. On
//! PostgreSQL the ramp runs again with two instances of the app on one database, each role's sessions spread over
//! both. The factor is ramped (DAY_FACTORS, default 25,50,100,200,400) until some action's p99 passes 100 ms or a
//! call takes 250 ms to reach the displays; each step runs
//! DAY_SECONDS of wall clock (default 30) and prints p50, p99, count and errors per action (the admin's exports
//! are shown but held to no bound: they are what the rest is protected from), and when each request over its
//! bound was sent. Everyone logs in once, in the warm-up, and stays logged in, as staff do through a day; each
//! role's people start at moments spread over their first period, as people arrive. At the end it checks
//! that what was acknowledged is in the database. On SQLite and (with TEST_POSTGRES_URL) on PostgreSQL. A warm-up
//! of one step at the first factor comes first and is not counted.
//!
//! Run: `cargo bench --bench day` (`DAY_SIZE=small` for a quick run on the small demo; `DAY_ADMINS=2` for two
//! admins exporting back to back, the heaviest the clinic's screens are protected from;
//! `DAY_SQLITE_SYNCHRONOUS=normal` for SQLite's faster, less durable setting).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Datelike;
use scraper::{Html, Selector};
use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::{self, Date, Db};
use sickbay_core::demo::{self, DEFAULT_SEED, Options, Size};
use sickbay_core::identity::Role;
use sickbay_core::settings::SettingsCache;
use tokio::sync::Mutex;

/// The p99 every action must stay under, and the most a call may take to reach the displays.
const ACTION_P99: Duration = Duration::from_millis(100);
const CALL_TO_DISPLAY: Duration = Duration::from_millis(250);
const DESKS: usize = 4;
const PHARMACISTS: usize = 2;
const DISPLAYS: usize = 8;
const STUDENT_PHONES: usize = 8;

/// Real rates of the busiest hours, per actor: how many seconds of clinic time pass between two of its actions.
const DOCTOR_CONSULTATION_EVERY: f64 = 12.0 * 60.0;
const DESK_WALK_IN_EVERY: f64 = 6.0 * 60.0;
const DESK_LOOK_EVERY: f64 = 60.0;
const PHONE_LOOK_EVERY: f64 = 20.0;
const PHARMACIST_DISPENSE_EVERY: f64 = 4.0 * 60.0;
const LAB_RESULT_EVERY: f64 = 5.0 * 60.0;
const DESK_BILL_EVERY: f64 = 5.0 * 60.0;
const BOOKING_EVERY: f64 = 2.0 * 60.0;
const ADMIN_EXPORT_EVERY: f64 = 20.0 * 60.0;
const LAB_ATTENDANTS: usize = 2;
const BOOKING_PHONES: usize = 8;

/// What each action took, and the answers that were not what the form expects.
struct Stats {
    /// When the step began.
    began: Instant,
    /// Each action's times, with when each was sent (from the step's beginning).
    times: Mutex<BTreeMap<&'static str, Vec<(Duration, Duration)>>>,
    errors: Mutex<BTreeMap<&'static str, Vec<String>>>,
    acknowledged: Mutex<BTreeMap<&'static str, i64>>,
    /// Each successful call: when it was sent, and the ticket's code.
    calls: Mutex<Vec<(Instant, String)>>,
    /// What each display received, and when.
    displays: Mutex<Vec<Vec<(Instant, String)>>>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            began: Instant::now(),
            times: Mutex::default(),
            errors: Mutex::default(),
            acknowledged: Mutex::default(),
            calls: Mutex::default(),
            displays: Mutex::default(),
        }
    }

    async fn took(&self, action: &'static str, time: Duration) {
        let sent = self.began.elapsed().saturating_sub(time);
        self.times.lock().await.entry(action).or_default().push((time, sent));
    }

    async fn failed(&self, action: &'static str, why: String) {
        self.errors.lock().await.entry(action).or_default().push(why);
    }

    async fn acknowledge(&self, what: &'static str) {
        *self.acknowledged.lock().await.entry(what).or_default() += 1;
    }
}

/// One answer: status, where it redirects, its body.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

/// Sends `request` as `action`, timed to its last byte; `None` (counted as an error) when it fails or answers
/// something `expected` does not allow.
async fn timed(
    stats: &Stats,
    action: &'static str,
    request: reqwest::RequestBuilder,
    expected: fn(u16) -> bool,
) -> Option<Answer> {
    let started = Instant::now();
    let answer = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await?;
        anyhow::Ok(Answer { status, location, body })
    }
    .await;
    stats.took(action, started.elapsed()).await;
    match answer {
        Ok(answer) if expected(answer.status) => Some(answer),
        Ok(answer) => {
            // What the page said, to tell a refusal the day should expect from a fault.
            let said = texts(&answer.body, "[role=alert]").join(" ");
            stats
                .failed(action, format!("answered {}: {said}", answer.status))
                .await;
            None
        }
        Err(err) => {
            stats.failed(action, err.to_string()).await;
            None
        }
    }
}

fn ok(status: u16) -> bool {
    status == 200
}

fn redirect(status: u16) -> bool {
    status == 303
}

/// The fields of the first form matching `selector`, as a browser would send them untouched, and its action.
fn form(html: &str, selector: &str) -> Option<(String, Vec<(String, String)>)> {
    let page = Html::parse_document(html);
    let form = page.select(&Selector::parse(selector).ok()?).next()?;
    let action = form.value().attr("action")?.to_owned();
    let mut fields = Vec::new();
    for input in form.select(&Selector::parse("input, select, textarea").ok()?) {
        let element = input.value();
        let Some(name) = element.attr("name") else { continue };
        let value = match element.name() {
            "select" => input
                .select(&Selector::parse("option[selected]").ok()?)
                .chain(input.select(&Selector::parse("option").ok()?))
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or_default()
                .to_owned(),
            "textarea" => input.text().collect(),
            _ => {
                let kind = element.attr("type").unwrap_or("text");
                if matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none() {
                    continue;
                }
                if kind == "submit" {
                    continue;
                }
                element.attr("value").unwrap_or_default().to_owned()
            }
        };
        fields.push((name.to_owned(), value));
    }
    Some((action, fields))
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// The values of the elements matching `selector`'s `attribute` (links of a worklist, a form's choices).
fn attributes(html: &str, selector: &str, attribute: &str) -> Vec<String> {
    let page = Html::parse_document(html);
    Selector::parse(selector)
        .map(|s| {
            page.select(&s)
                .filter_map(|e| e.value().attr(attribute).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The texts of the elements matching `selector`.
fn texts(html: &str, selector: &str) -> Vec<String> {
    let page = Html::parse_document(html);
    Selector::parse(selector)
        .map(|s| {
            page.select(&s)
                .map(|e| e.text().collect::<String>().trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A logged-in browser on one instance of the app.
struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }
}

/// What the day works with, found in the demo.
struct Clinic {
    /// The app's instances: one, or two on PostgreSQL's second run.
    addrs: Vec<std::net::SocketAddr>,
    doctors: Vec<(i64, String)>,
    reception: String,
    pharmacist: String,
    lab: String,
    admin: String,
    student: String,
    /// Students with the portal, for bookings (one phone each).
    bookers: Vec<String>,
    /// The first weekday after today, to book on.
    booking_day: String,
    /// Students without a ticket today, for walk-ins.
    walk_ins: Mutex<Vec<String>>,
    /// A tablet with the most stock, for prescriptions.
    drug: i64,
    /// What someone has taken from a shared worklist (a prescription, a lab order, a visit to bill).
    taken: Mutex<std::collections::HashSet<String>>,
    /// Who is logged in, by login and number: staff stay logged in all day, so each logs in once, in the warm-up,
    /// and not in a measured step (a burst of password checks is not part of a clinic's hour).
    sessions: Mutex<std::collections::HashMap<(String, usize), Arc<Session>>>,
}

impl Clinic {
    /// The `n`th actor's session: actors are spread over the instances.
    async fn session(&self, login: &str, home: &str, n: usize) -> anyhow::Result<Arc<Session>> {
        let key = (login.to_owned(), n);
        if let Some(session) = self.sessions.lock().await.get(&key) {
            return Ok(session.clone());
        }
        let addr = self.addrs[n % self.addrs.len()];
        let http = common::log_in(addr, login, demo::model::PASSWORD, home).await?.0;
        let session = Arc::new(Session {
            http,
            base: format!("http://{addr}"),
        });
        self.sessions.lock().await.insert(key, session.clone());
        Ok(session)
    }

    /// The first of `links` nobody has taken yet, now taken.
    async fn take(&self, links: Vec<String>) -> Option<String> {
        let mut taken = self.taken.lock().await;
        let link = links.into_iter().find(|l| !taken.contains(l))?;
        taken.insert(link.clone());
        Some(link)
    }
}

async fn find_clinic(db: &Db, addr: std::net::SocketAddr, made: &demo::Demo) -> anyhow::Result<Clinic> {
    let login = |role: &str| {
        made.logins
            .iter()
            .find(|l| l.role == role)
            .map(|l| l.login.clone())
            .with_context(|| format!("no {role} login"))
    };
    let today = SettingsCache::load(db).await?.get().today();
    let doctors: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, username FROM staff WHERE role = 'doctor' AND active = 1 ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    let walk_ins: Vec<String> = sqlx::query_scalar(
        "SELECT matric_number FROM patient WHERE matric_number IS NOT NULL
         AND id NOT IN (SELECT patient_id FROM ticket WHERE day = $1) ORDER BY id DESC LIMIT 5000",
    )
    .bind(Date(today))
    .fetch_all(db.pool())
    .await?;
    let mut booking_day = today + chrono::Duration::days(1);
    while booking_day.weekday().num_days_from_monday() >= 5 {
        booking_day += chrono::Duration::days(1);
    }
    let bookers: Vec<String> = sqlx::query_scalar(
        "SELECT matric_number FROM patient WHERE password_hash IS NOT NULL AND matric_number IS NOT NULL
         AND id NOT IN (SELECT patient_id FROM appointment WHERE day = $1) ORDER BY id LIMIT $2",
    )
    .bind(Date(booking_day))
    .bind(BOOKING_PHONES as i64)
    .fetch_all(db.pool())
    .await?;
    let drug: i64 = sqlx::query_scalar(
        "SELECT b.drug_id FROM drug_batch b JOIN drug d ON d.id = b.drug_id
         WHERE d.form = 'tablet' AND b.expires_on > $1 GROUP BY b.drug_id ORDER BY SUM(b.quantity) DESC LIMIT 1",
    )
    .bind(Date(today))
    .fetch_one(db.pool())
    .await?;
    Ok(Clinic {
        addrs: vec![addr],
        doctors,
        reception: login(Role::Reception.label())?,
        pharmacist: login(Role::Pharmacist.label())?,
        lab: login(Role::Lab.label())?,
        admin: login(Role::Admin.label())?,
        student: login("Student")?,
        bookers,
        booking_day: booking_day.to_string(),
        walk_ins: Mutex::new(walk_ins),
        drug,
        taken: Mutex::default(),
        sessions: Mutex::default(),
    })
}

/// Waits `every` seconds of clinic time at `factor`, or returns false when the step is over.
async fn wait(every: f64, factor: f64, until: Instant) -> bool {
    let pause = Duration::from_secs_f64(every / factor);
    if Instant::now() + pause >= until {
        tokio::time::sleep_until(until.into()).await;
        return false;
    }
    tokio::time::sleep(pause).await;
    true
}

/// Sends a form found in `html` as it stands (after `changes`) and expects a redirect.
async fn send_form(
    stats: &Stats,
    action: &'static str,
    session: &Session,
    html: &str,
    selector: &str,
    changes: &[(&str, &str)],
) -> Option<Answer> {
    let (path, mut fields) = form(html, selector)?;
    for (name, value) in changes {
        set(&mut fields, name, value);
    }
    // Some forms carry no token of their own: htmx sends the page's in a header, as the browser would.
    if !fields.iter().any(|(name, _)| name == "csrf_token") {
        set(&mut fields, "csrf_token", &common::csrf_token(html));
    }
    timed(stats, action, session.post(&path).form(&fields), redirect).await
}

/// A doctor's consultation: call next, start the called ticket, the screen, vitals, a diagnosis, a prescription,
/// a lab test now and then, complete.
async fn consultation(c: &Clinic, stats: &Stats, doctor: &Session, n: usize) -> Option<()> {
    let queue = timed(stats, "doctor: queue", doctor.get("/queue/doctor"), ok).await?;
    let sent = Instant::now();
    let call = doctor
        .post("/queue/call-next")
        .form(&[("csrf_token", common::csrf_token(&queue.body))]);
    // 409: nobody is waiting for this doctor (the walk-ins have not caught up), a normal answer.
    let called = timed(stats, "doctor: call next", call, |s| s == 303 || s == 409).await?;
    if called.status == 409 {
        stats.acknowledge("calls with nobody waiting").await;
        return None;
    }
    let queue = timed(stats, "doctor: queue", doctor.get("/queue/doctor"), ok).await?;
    if let Some(code) = texts(&queue.body, ".ticket-called .ticket-code").into_iter().next() {
        stats.calls.lock().await.push((sent, code));
    }
    let start = ".ticket-called form[action$='/start']";
    let visit = send_form(stats, "doctor: start", doctor, &queue.body, start, &[])
        .await?
        .location;
    let screen = timed(stats, "doctor: consultation screen", doctor.get(&visit), ok).await?;
    let vitals = [("pulse", "82"), ("temperature", "37.9")];
    send_form(
        stats,
        "doctor: vitals",
        doctor,
        &screen.body,
        "form[action$='/vitals']",
        &vitals,
    )
    .await?;
    let diagnosis = [("description", "Malaria")];
    send_form(
        stats,
        "doctor: diagnosis",
        doctor,
        &screen.body,
        "form[action$='/diagnoses']",
        &diagnosis,
    )
    .await?;
    let drug = c.drug.to_string();
    let item = [
        ("drug_id", drug.as_str()),
        ("dose", "1"),
        ("route", "oral"),
        ("frequency", "bd"),
        ("duration_days", "5"),
        ("quantity", "10"),
    ];
    send_form(
        stats,
        "doctor: prescription",
        doctor,
        &screen.body,
        "#prescription-form",
        &item,
    )
    .await?;
    stats.acknowledge("prescription items").await;
    if n.is_multiple_of(3) {
        let tests = attributes(&screen.body, ".lab-order-form input[name=test_id]", "value");
        let test = tests.first()?;
        send_form(
            stats,
            "doctor: lab order",
            doctor,
            &screen.body,
            ".lab-order-form",
            &[("test_id", test)],
        )
        .await?;
        stats.acknowledge("lab orders").await;
    }
    let complete = doctor
        .post(&format!("{visit}/complete"))
        .form(&[("csrf_token", common::csrf_token(&screen.body))]);
    timed(stats, "doctor: complete", complete, redirect).await?;
    stats.acknowledge("completed visits").await;
    Some(())
}

async fn doctor_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let login = &c.doctors[n].1;
    let Ok(doctor) = c.session(login, "/doctor", n).await else {
        return stats.failed("doctor: log in", login.clone()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    let mut seen = n;
    while Instant::now() < until {
        if consultation(&c, &stats, &doctor, seen).await.is_some() {
            seen += 1;
        }
        if !wait(DOCTOR_CONSULTATION_EVERY, factor, until).await {
            break;
        }
    }
}

/// A desk's walk-in: the next student without a ticket, to a doctor's queue.
async fn walk_in(c: &Clinic, stats: &Stats, desk: &Session, board: &str, doctor: i64) -> Option<()> {
    let number = c.walk_ins.lock().await.pop()?;
    let fields = [
        ("csrf_token", common::csrf_token(board)),
        ("who", "existing".into()),
        ("number", number),
        ("queue", doctor.to_string()),
        ("priority", "normal".into()),
    ];
    timed(
        stats,
        "reception: walk-in",
        desk.post("/queue/walk-ins").form(&fields),
        redirect,
    )
    .await?;
    stats.acknowledge("walk-ins").await;
    Some(())
}

/// A desk checks in the next booked patient who is due.
async fn check_in(c: &Clinic, stats: &Stats, desk: &Session) -> Option<()> {
    let due = timed(stats, "reception: due list", desk.get("/queue/due"), ok).await?;
    let ids = attributes(&due.body, "button[name=appointment_id]", "value");
    let id = c.take(ids.into_iter().map(|id| format!("due-{id}")).collect()).await?;
    let id = id.trim_start_matches("due-");
    send_form(
        stats,
        "reception: check-in",
        desk,
        &due.body,
        "#check-in-form",
        &[("appointment_id", id)],
    )
    .await?;
    stats.acknowledge("check-ins").await;
    Some(())
}

/// A desk bills the next completed visit and takes its payment in cash.
async fn bill_and_take(c: &Clinic, stats: &Stats, desk: &Session) -> Option<()> {
    let home = timed(stats, "reception: billing home", desk.get("/billing"), ok).await?;
    let visit = c
        .take(attributes(&home.body, "#unbilled a[href^='/billing/visits/']", "href"))
        .await?;
    let bill = timed(stats, "reception: a visit's bill", desk.get(&visit), ok).await?;
    let selector = "form[action^='/billing/visits/']";
    let invoice = send_form(stats, "reception: issue the invoice", desk, &bill.body, selector, &[]).await?;
    let page = timed(stats, "reception: invoice", desk.get(&invoice.location), ok).await?;
    send_form(
        stats,
        "reception: payment",
        desk,
        &page.body,
        "#pay form",
        &[("method", "cash")],
    )
    .await?;
    stats.acknowledge("payments").await;
    Some(())
}

async fn desk_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let Ok(desk) = c.session(&c.reception, "/reception", n).await else {
        return stats.failed("reception: log in", n.to_string()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    let mut looks = 0_usize;
    let walk_in_every = (DESK_WALK_IN_EVERY / DESK_LOOK_EVERY) as usize;
    let bill_every = (DESK_BILL_EVERY / DESK_LOOK_EVERY) as usize;
    while Instant::now() < until {
        let board = timed(&stats, "reception: board", desk.get("/queue"), ok).await;
        timed(&stats, "reception: search", desk.get("/patients?q=okafor"), ok).await;
        looks += 1;
        check_in(&c, &stats, &desk).await;
        if let (0, Some(board)) = ((looks + n) % walk_in_every, board) {
            let doctor = c.doctors[(looks + n) % c.doctors.len()].0;
            walk_in(&c, &stats, &desk, &board.body, doctor).await;
        }
        if (looks + n).is_multiple_of(bill_every) {
            bill_and_take(&c, &stats, &desk).await;
        }
        if !wait(DESK_LOOK_EVERY, factor, until).await {
            break;
        }
    }
}

async fn phone_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let Ok(phone) = c.session(&c.student, "/me", n).await else {
        return stats.failed("student: log in", String::new()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    while Instant::now() < until {
        timed(&stats, "student: home", phone.get("/me"), ok).await;
        timed(&stats, "student: place in queue", phone.get("/me/queue"), ok).await;
        if !wait(PHONE_LOOK_EVERY, factor, until).await {
            break;
        }
    }
}

/// A student books a time on the booking day, or cancels the one they have.
async fn book_or_cancel(c: &Clinic, stats: &Stats, phone: &Session) -> Option<()> {
    let mine = timed(stats, "student: appointments", phone.get("/me/appointments"), ok).await?;
    if form(&mine.body, "#upcoming form[action$='/cancel']").is_some() {
        let selector = "#upcoming form[action$='/cancel']";
        send_form(stats, "student: cancel", phone, &mine.body, selector, &[]).await?;
        stats.acknowledge("cancellations").await;
        return Some(());
    }
    let picker = timed(
        stats,
        "student: times to book",
        phone.get(&format!("/me/book?day={}", c.booking_day)),
        ok,
    )
    .await?;
    let slots = attributes(&picker.body, "input[name=slot_id]", "value");
    let slot = slots.get(slots.len() / 2)?;
    let fields = [
        ("csrf_token", common::csrf_token(&picker.body)),
        ("slot_id", slot.clone()),
        ("reason", "Headache".into()),
    ];
    // A time taken a moment before by someone else is refused with a message: a normal answer.
    let booked = timed(
        stats,
        "student: book",
        phone.post("/me/appointments").form(&fields),
        |s| s == 303 || s == 409,
    )
    .await?;
    if booked.status == 303 {
        stats.acknowledge("bookings").await;
    }
    Some(())
}

async fn booking_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let Some(student) = c.bookers.get(n) else { return };
    let Ok(phone) = c.session(student, "/me", n).await else {
        return stats.failed("student: log in", student.clone()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    while Instant::now() < until {
        book_or_cancel(&c, &stats, &phone).await;
        if !wait(BOOKING_EVERY, factor, until).await {
            break;
        }
    }
}

async fn dispense(c: &Clinic, stats: &Stats, pharmacist: &Session) -> Option<()> {
    let list = timed(
        stats,
        "pharmacist: worklist",
        pharmacist.get("/pharmacy/prescriptions"),
        ok,
    )
    .await?;
    let link = c
        .take(attributes(&list.body, "a[href^='/pharmacy/prescriptions/']", "href"))
        .await?;
    let page = timed(stats, "pharmacist: prescription", pharmacist.get(&link), ok).await?;
    send_form(
        stats,
        "pharmacist: dispense",
        pharmacist,
        &page.body,
        "#dispense-form",
        &[],
    )
    .await?;
    stats.acknowledge("dispensations").await;
    Some(())
}

async fn pharmacist_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let Ok(pharmacist) = c.session(&c.pharmacist, "/pharmacy", n).await else {
        return stats.failed("pharmacist: log in", String::new()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    while Instant::now() < until {
        dispense(&c, &stats, &pharmacist).await;
        if !wait(PHARMACIST_DISPENSE_EVERY, factor, until).await {
            break;
        }
    }
}

/// A lab attendant records the next order's result and releases it.
async fn result(c: &Clinic, stats: &Stats, lab: &Session) -> Option<()> {
    let list = timed(stats, "lab: worklist", lab.get("/lab"), ok).await?;
    let link = c
        .take(attributes(&list.body, "a[href^='/lab/orders/']", "href"))
        .await?;
    let order = timed(stats, "lab: order", lab.get(&link), ok).await?;
    let value = if order.body.contains("inputmode=\"decimal\"") {
        "5.2"
    } else {
        "Negative"
    };
    send_form(
        stats,
        "lab: result",
        lab,
        &order.body,
        "#result-form",
        &[("value", value)],
    )
    .await?;
    stats.acknowledge("lab results").await;
    let order = timed(stats, "lab: order", lab.get(&link), ok).await?;
    send_form(stats, "lab: release", lab, &order.body, "#release-form", &[]).await?;
    Some(())
}

async fn lab_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, factor: f64, until: Instant, offset: f64) {
    let Ok(lab) = c.session(&c.lab, "/lab", n).await else {
        return stats.failed("lab: log in", String::new()).await;
    };
    tokio::time::sleep(Duration::from_secs_f64(offset)).await;
    while Instant::now() < until {
        result(&c, &stats, &lab).await;
        if !wait(LAB_RESULT_EVERY, factor, until).await {
            break;
        }
    }
}

async fn admin_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, today: chrono::NaiveDate, factor: f64, until: Instant) {
    let Ok(admin) = c.session(&c.admin, "/admin", n).await else {
        return stats.failed("admin: log in", String::new()).await;
    };
    let year = format!(
        "/admin/reports/visits?from={}&to={today}",
        today - chrono::Duration::days(364)
    );
    // With more than one admin they export back to back: the heaviest load the others are protected from.
    let every = if admins() > 1 { 0.0 } else { ADMIN_EXPORT_EVERY };
    while Instant::now() < until {
        timed(&stats, "admin: a year's report", admin.get(&year), ok).await;
        timed(&stats, "admin: audit CSV", admin.get("/admin/audit.csv"), ok).await;
        if !wait(every, factor, until).await {
            break;
        }
    }
}

/// A waiting-room display on its event stream: what it received, and when (matched to the calls after the step).
async fn display_day(c: Arc<Clinic>, stats: Arc<Stats>, n: usize, until: Instant) {
    let url = format!("http://{}/display/events", c.addrs[n % c.addrs.len()]);
    let Ok(mut stream) = reqwest::Client::new().get(url).send().await else {
        return stats.failed("display: connect", String::new()).await;
    };
    // Events, not the network's chunks: a chunk may end in the middle of an event, and the call it shows would
    // then be found in neither half.
    let (mut received, mut unfinished) = (Vec::new(), Vec::new());
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(until.into(), stream.chunk()).await {
        unfinished.extend_from_slice(&chunk);
        while let Some(end) = unfinished.windows(2).position(|pair| pair == b"\n\n") {
            let event: Vec<u8> = unfinished.drain(..end + 2).collect();
            received.push((Instant::now(), String::from_utf8_lossy(&event).into_owned()));
        }
    }
    stats.displays.lock().await.push(received);
}

/// For each call and each display, the time from the call to the first push that shows it among the calls (calls
/// made in the step's last second may arrive after the displays stopped listening: they are left out).
async fn calls_reaching_displays(stats: &Stats, until: Instant) {
    let last = until - Duration::from_secs(1);
    let calls: Vec<_> = stats
        .calls
        .lock()
        .await
        .iter()
        .filter(|(sent, _)| *sent < last)
        .cloned()
        .collect();
    let displays = std::mem::take(&mut *stats.displays.lock().await);
    for (sent, code) in calls {
        let shown = format!("<li class=\"tile-call\"><span class=\"tile-code\">{code}</span>");
        for received in &displays {
            match received.iter().find(|(at, text)| *at >= sent && text.contains(&shown)) {
                Some((at, _)) => stats.took("display: a call reaches it", *at - sent).await,
                None => stats.failed("display: a call reaches it", "never shown".into()).await,
            }
        }
    }
}

fn admins() -> usize {
    std::env::var("DAY_ADMINS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// One person's working day in a step: the clinic, the step's figures, which of their role they are, the speed
/// factor, the end of the step, and when they start.
type Day = fn(Arc<Clinic>, Arc<Stats>, usize, f64, Instant, f64) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// One step of the ramp: every role for `seconds` at `factor`.
async fn step(c: &Arc<Clinic>, today: chrono::NaiveDate, factor: f64, seconds: f64) -> Arc<Stats> {
    let stats = Arc::new(Stats::new());
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    let (c, s) = (c, &stats);
    for n in 0..DISPLAYS {
        tasks.push(tokio::spawn(display_day(c.clone(), s.clone(), n, until)));
    }
    // Each role's people start one after another across their first period (or the step, if shorter), as a
    // clinic's people arrive at their own moments: a whole clinic sending its first request in the same
    // millisecond is a burst no clinic sees.
    let mut crowd = |count: usize, every: f64, day: Day| {
        for n in 0..count {
            let offset = (every / factor).min(seconds) / count as f64 * n as f64;
            tasks.push(tokio::spawn(day(c.clone(), s.clone(), n, factor, until, offset)));
        }
    };
    crowd(c.doctors.len(), DOCTOR_CONSULTATION_EVERY, |c, s, n, f, u, o| {
        Box::pin(doctor_day(c, s, n, f, u, o))
    });
    crowd(DESKS, DESK_LOOK_EVERY, |c, s, n, f, u, o| {
        Box::pin(desk_day(c, s, n, f, u, o))
    });
    crowd(STUDENT_PHONES, PHONE_LOOK_EVERY, |c, s, n, f, u, o| {
        Box::pin(phone_day(c, s, n, f, u, o))
    });
    crowd(BOOKING_PHONES, BOOKING_EVERY, |c, s, n, f, u, o| {
        Box::pin(booking_day(c, s, n, f, u, o))
    });
    crowd(PHARMACISTS, PHARMACIST_DISPENSE_EVERY, |c, s, n, f, u, o| {
        Box::pin(pharmacist_day(c, s, n, f, u, o))
    });
    crowd(LAB_ATTENDANTS, LAB_RESULT_EVERY, |c, s, n, f, u, o| {
        Box::pin(lab_day(c, s, n, f, u, o))
    });
    for n in 0..admins() {
        tasks.push(tokio::spawn(admin_day(c.clone(), s.clone(), n, today, factor, until)));
    }
    for task in tasks {
        task.await.ok();
    }
    calls_reaching_displays(&stats, until).await;
    stats
}

/// Prints the step's table; true when every action held its bound.
async fn report(stats: &Stats, factor: f64) -> bool {
    println!("\n  speed x{factor:.0}");
    println!(
        "  {:<34} {:>7} {:>8} {:>8} {:>7}",
        "action", "count", "p50 ms", "p99 ms", "errors"
    );
    let times = stats.times.lock().await;
    let errors = stats.errors.lock().await;
    let mut held = true;
    let mut slow = Vec::new();
    for (action, samples) in times.iter() {
        let mut sorted: Vec<Duration> = samples.iter().map(|(took, _)| *took).collect();
        sorted.sort();
        let (p50, p99) = (
            common::percentile_ms(&sorted, 0.5),
            common::percentile_ms(&sorted, 0.99),
        );
        // The admin's exports are what the others are protected from: shown, but held to no bound.
        let bound = match *action {
            a if a.starts_with("display") => Some(CALL_TO_DISPLAY),
            a if a.starts_with("admin") => None,
            _ => Some(ACTION_P99),
        };
        let over = bound.is_some_and(|bound| p99 > bound.as_secs_f64() * 1e3);
        held &= !over;
        if let Some(bound) = bound {
            slow.extend(
                samples
                    .iter()
                    .filter(|(took, _)| *took > bound)
                    .map(|(took, sent)| (*sent, *took, *action)),
            );
        }
        let failed = errors.get(action).map_or(0, Vec::len);
        println!(
            "  {action:<34} {:>7} {p50:>8.1} {p99:>8.1} {failed:>7}{}",
            sorted.len(),
            if over { "  OVER" } else { "" }
        );
    }
    // When the slow ones were sent tells a burst that held several requests at once from a slow page.
    slow.sort();
    for (sent, took, action) in slow {
        println!(
            "  over its bound: {action} sent {:.2} s into the step took {:.0} ms",
            sent.as_secs_f64(),
            took.as_secs_f64() * 1e3
        );
    }
    for (action, why) in errors.iter() {
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for w in why {
            *kinds.entry(w.as_str()).or_default() += 1;
        }
        println!("  errors of {action}: {kinds:?}");
    }
    held
}

/// What was acknowledged is in the database, and no rule was broken.
async fn check(db: &Db, before: &Counts, acknowledged: &BTreeMap<&'static str, i64>) -> anyhow::Result<()> {
    let after = Counts::read(db).await?;
    let got = |what: &str| acknowledged.get(what).copied().unwrap_or(0);
    println!("\n  acknowledged and found:");
    let mut lost = false;
    for (what, _) in COUNTED {
        let found = after.0[what] - before.0[what];
        let acknowledged = got(what);
        println!("  {what:<20} acknowledged {acknowledged:>6}, in the database {found:>6}");
        lost |= found < acknowledged;
    }
    let broken = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await };
    let overbooked = broken(
        "SELECT COUNT(*) FROM slot s WHERE s.capacity <
         (SELECT COUNT(*) FROM appointment a WHERE a.slot_id = s.id AND a.status <> 'cancelled')",
    )
    .await?;
    let negative = broken("SELECT COUNT(*) FROM drug_batch WHERE quantity < 0").await?;
    let twice_invoiced = broken(
        "SELECT COUNT(*) FROM (SELECT visit_id FROM invoice WHERE visit_id IS NOT NULL AND status <> 'void'
         GROUP BY visit_id HAVING COUNT(*) > 1) t",
    )
    .await?;
    println!(
        "  overbooked slots {overbooked}, batches below zero {negative}, visits with two live invoices {twice_invoiced}"
    );
    anyhow::ensure!(
        !lost && overbooked == 0 && negative == 0 && twice_invoiced == 0,
        "an invariant broke"
    );
    Ok(())
}

/// What is counted before and after, by the name its acknowledgements go under.
const COUNTED: [(&str, &str); 9] = [
    ("walk-ins", "SELECT COUNT(*) FROM ticket WHERE appointment_id IS NULL"),
    (
        "check-ins",
        "SELECT COUNT(*) FROM ticket WHERE appointment_id IS NOT NULL",
    ),
    (
        "completed visits",
        "SELECT COUNT(*) FROM visit WHERE status = 'completed'",
    ),
    ("prescription items", "SELECT COUNT(*) FROM prescription_item"),
    ("lab orders", "SELECT COUNT(*) FROM lab_order"),
    (
        "lab results",
        "SELECT COUNT(*) FROM lab_order WHERE resulted_at IS NOT NULL",
    ),
    ("dispensations", "SELECT COUNT(*) FROM dispensation"),
    ("payments", "SELECT COUNT(*) FROM payment WHERE kind = 'payment'"),
    ("bookings", "SELECT COUNT(*) FROM appointment"),
];

struct Counts(BTreeMap<&'static str, i64>);

impl Counts {
    async fn read(db: &Db) -> anyhow::Result<Counts> {
        let mut counts = BTreeMap::new();
        for (what, sql) in COUNTED {
            counts.insert(what, sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await?);
        }
        Ok(Counts(counts))
    }
}

fn factors() -> Vec<f64> {
    std::env::var("DAY_FACTORS")
        .unwrap_or_else(|_| "25,50,100,200,400".into())
        .split(',')
        .filter_map(|f| f.trim().parse().ok())
        .collect()
}

fn seconds() -> f64 {
    std::env::var("DAY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0)
}

/// The database's options: `DAY_SQLITE_SYNCHRONOUS=normal` measures what SQLite's durable default costs.
fn options() -> db::Options {
    let synchronous = std::env::var("DAY_SQLITE_SYNCHRONOUS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    db::Options { synchronous }
}

static FAILED: AtomicUsize = AtomicUsize::new(0);

/// Serves one more instance of the app, with its own database handle (pools and event hub) on its own runtime,
/// as a server runs apart from its clients: the load generator's tasks, which read and parse every page, never
/// hold a thread that the app's requests wait for. Its address and its shutdown handle.
async fn serve(url: &str) -> anyhow::Result<(std::net::SocketAddr, tokio_util::sync::CancellationToken)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let url = url.to_owned();
    let (ready, started) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .thread_name("app")
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                let _ = ready.send(Err(anyhow::Error::from(err)));
                return;
            }
        };
        runtime.block_on(async move {
            let opened = async {
                let db = Db::connect_with(&url, options()).await?;
                let config = Config {
                    background_jobs: false,
                    ..Config::default()
                };
                let state = AppState::new(db, config).await?;
                anyhow::Ok((state, tokio::net::TcpListener::from_std(listener)?))
            };
            match opened.await {
                Ok((state, listener)) => {
                    let _ = ready.send(Ok(state.shutdown.clone()));
                    if let Err(err) = sickbay::serve(listener, state).await {
                        eprintln!("the app stopped: {err:#}");
                    }
                }
                Err(err) => {
                    let _ = ready.send(Err(err));
                }
            }
        });
    });
    let shutdown = started.await.context("the app's thread ended before serving")??;
    Ok((addr, shutdown))
}

/// Ramps the factor on the clinic's instances; the highest that held.
async fn ramp(clinic: &Arc<Clinic>, db: &Db, today: chrono::NaiveDate, label: &str) -> anyhow::Result<()> {
    // A warm-up of a whole step at the first factor, not counted: everyone logs in within it, and every doctor
    // starts (their starts are spread over the first step), so a login, a first call, a first consultation screen
    // and a first connection of each kind are not measured as the clinic's tail.
    if let Some(factor) = factors().first() {
        step(clinic, today, *factor, seconds()).await;
        clinic.taken.lock().await.clear();
    }
    let before = Counts::read(db).await?;
    let mut acknowledged = BTreeMap::new();
    let mut held_up_to = None;
    for factor in factors() {
        let stats = step(clinic, today, factor, seconds()).await;
        for (what, n) in stats.acknowledged.lock().await.iter() {
            *acknowledged.entry(*what).or_default() += n;
        }
        if !report(&stats, factor).await {
            break;
        }
        held_up_to = Some(factor);
    }
    match held_up_to {
        Some(factor) => println!("\n  {label}: every p99 held up to x{factor:.0}"),
        None => println!("\n  {label}: the first step already passed a bound"),
    }
    if let Err(err) = check(db, &before, &acknowledged).await {
        println!("  {err}");
        FAILED.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

async fn bench(url: String, backend: &'static str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect_with(&url, options()).await?;
    db.migrate().await?;
    let size = match std::env::var("DAY_SIZE").as_deref() {
        Ok("small") => Size::Small,
        _ => Size::Large,
    };
    let started = Instant::now();
    let made = demo::run(
        &db,
        &Options {
            size,
            seed: DEFAULT_SEED,
        },
    )
    .await?;
    println!("  demo: {:.1} s", started.elapsed().as_secs_f64());
    if backend == "PostgreSQL" {
        // A clinic's database is not one loaded a minute ago: no autovacuum of a million fresh rows and no
        // checkpoint writing the load's gigabyte of pages out under the ramp.
        sqlx::query("VACUUM ANALYZE").execute(db.pool()).await?;
        sqlx::query("CHECKPOINT").execute(db.pool()).await?;
    }
    let today = SettingsCache::load(&db).await?.get().today();
    let (addr, first) = serve(&url).await?;
    let clinic = Arc::new(find_clinic(&db, addr, &made).await?);
    ramp(&clinic, &db, today, backend).await?;
    if backend == "PostgreSQL" {
        println!("\n== PostgreSQL, two instances");
        // An instance of its own, told of the first one's changes by NOTIFY.
        let (second_addr, second) = serve(&url).await?;
        let mut two = Arc::try_unwrap(clinic).map_err(|_| anyhow::anyhow!("the clinic is still in use"))?;
        two.addrs.push(second_addr);
        two.taken.lock().await.clear();
        two.sessions.lock().await.clear();
        // Everyone logs in again, spread over both instances, in the ramp's warm-up.
        ramp(&Arc::new(two), &db, today, "PostgreSQL, two instances").await?;
        second.cancel();
    }
    first.cancel();
    db.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    common::on_both_databases("day", bench)?;
    anyhow::ensure!(FAILED.load(Ordering::SeqCst) == 0, "an invariant broke");
    Ok(())
}
