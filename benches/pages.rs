//! Page benchmark: seeds the demo clinic at its large size (50,000 students, a year of history), adds a doctor's
//! day of 250 slots and 500 tickets waiting on reception's board, serves the app in-process, and measures every
//! main page with 16 concurrent keep-alive clients for a few seconds each: requests per second, p99 and first-read
//! milliseconds, HTML bytes per response (uncompressed), bytes sent, and bytes per row where a page is a list. A
//! developer's tool: it holds pages to no target (a clinic's day is measured as a whole). Then the bytes one queue change costs every open board (and display). On
//! SQLite and (when TEST_POSTGRES_URL is set) on PostgreSQL. Asserts nothing about time; exits non-zero if a
//! page answers anything but 200.
//!
//! The billing pages are the demo's: its invoices, payments and the scheme's claim for the recent past visits.
//!
//! Run: `cargo bench --bench pages`. PAGES_SECONDS sets the seconds per page (default 2); the clients ask for
//! compressed responses as browsers do (`PAGES_ENCODING=identity` measures without compression); `PAGES_ONLY=week,day`
//! measures only the pages whose names contain one of the words.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Datelike;
use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::{Date, Db};
use sickbay_core::demo::{self, DEFAULT_SEED, Options, Size};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::queue::model::Priority;
use sickbay_core::queue::service::{self as queue, WalkInPatient};
use sickbay_core::scheduling::model::Hours;
use sickbay_core::scheduling::service::{self as scheduling, Booker};
use sickbay_core::settings::{Settings, SettingsCache};
use sickbay_core::staff::model::NewStaff;

const CLIENTS: usize = 16;
const DAY_SLOTS: i64 = 250;
const WAITING_TICKETS: usize = 500;
/// Lab orders waiting on the lab's worklist (their visits also wait at the pharmacy, a prescription each).
const LAB_ORDERS: usize = 200;
/// Entries of the drug catalogue, the demo's and more.
const CATALOGUE_DRUGS: i64 = 2000;
/// Answers that were not 200, over both databases.
static FAILURES: AtomicUsize = AtomicUsize::new(0);

/// Who opens a page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Admin,
    Reception,
    Doctor,
    LongDayDoctor,
    Pharmacist,
    Lab,
    Student,
    /// The student the demo leaves owing on an invoice.
    Payer,
}

struct Page {
    name: &'static str,
    path: String,
    who: Who,
    /// What a row of the page's list is called ("slot", "ticket"), for its bytes per row.
    row_name: Option<&'static str>,
    /// The page's bytes before its rows were added, and how many were added (for the bytes per row).
    rows: Option<(usize, usize)>,
}

struct Clinic {
    admin: String,
    reception: String,
    doctor: String,
    pharmacist: String,
    lab: String,
    student: String,
    student_id: i64,
    long_day_doctor: (i64, String),
    long_day: Date,
    faculty_id: i64,
    first_doctor_id: i64,
    /// The doctor's open visit with the student, who has 50 earlier visits.
    consultation: i64,
    billing: Billing,
}

/// What the cashier and a paying student open, from the demo's billing.
struct Billing {
    /// The invoice with a payment, a refund and a credit note.
    invoice: i64,
    receipt: i64,
    /// The past day with the most payments.
    day: String,
    claims: String,
    payer: String,
}

struct Measured {
    per_second: f64,
    /// The 99th percentile of the response times under load, in milliseconds.
    p99_ms: f64,
    /// The first request's time alone, in milliseconds: what a page that is read once per change and shared
    /// costs whoever opens it first after the change.
    first_ms: f64,
    bytes: usize,
    sent_bytes: f64,
    not_ok: Option<u16>,
}

fn seconds_per_page() -> Duration {
    let seconds = std::env::var("PAGES_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(2.0);
    Duration::from_secs_f64(seconds)
}

/// `PAGES_ONLY=week,day` measures only the pages whose names contain one of these words (and `/healthz`).
fn chosen(page: &Page) -> bool {
    match std::env::var("PAGES_ONLY") {
        Ok(only) if !only.trim().is_empty() => {
            page.path == "/healthz" || only.split(',').any(|word| page.name.contains(word.trim()))
        }
        _ => true,
    }
}

fn encoding() -> String {
    std::env::var("PAGES_ENCODING").unwrap_or_else(|_| "gzip, deflate, br".to_owned())
}

async fn seed(db: &Db) -> anyhow::Result<Clinic> {
    let started = Instant::now();
    let made = demo::run(
        db,
        &Options {
            size: Size::Large,
            seed: DEFAULT_SEED,
        },
    )
    .await?;
    let c = &made.counts;
    println!(
        "  demo --size large: {:.1} s ({} students, {} appointments, {} audit rows)",
        started.elapsed().as_secs_f64(),
        c.students,
        c.past + c.today + c.ahead,
        c.audit
    );
    let login = |role: &str| {
        made.logins
            .iter()
            .find(|l| l.role == role)
            .map(|l| l.login.clone())
            .with_context(|| format!("no {role} login"))
    };
    let student = login("Student")?;
    let student_id = id_of(db, "SELECT id FROM patient WHERE matric_number = $1", &student).await?;
    let settings = SettingsCache::load(db).await?.get();
    let long_day = Date(settings.today() + chrono::Duration::days(1));
    let doctor = login(Role::Doctor.label())?;
    let consultation = long_history(db, &doctor, student_id, Date(settings.today())).await?;
    let payer = made
        .logins
        .iter()
        .find(|l| l.role == "Student" && l.try_this.contains("/me/invoices"))
        .map(|l| l.login.clone())
        .context("no student login with invoices")?;
    let billing = Billing {
        invoice: sqlx::query_scalar("SELECT MIN(invoice_id) FROM payment WHERE kind = 'refund'")
            .fetch_one(db.pool())
            .await?,
        receipt: sqlx::query_scalar("SELECT MAX(id) FROM payment WHERE kind = 'payment'")
            .fetch_one(db.pool())
            .await?,
        day: sqlx::query_scalar(
            "SELECT day FROM payment WHERE day < $1 GROUP BY day ORDER BY COUNT(*) DESC, day DESC LIMIT 1",
        )
        .bind(Date(settings.today()))
        .fetch_one(db.pool())
        .await?,
        claims: format!(
            "/billing/claims?scheme={}&month={}",
            made.billed.scheme_id, made.billed.claim_month
        ),
        payer,
    };
    println!(
        "  billing: {} invoices ({} owed), {} payments, {} claim lines",
        c.invoices, c.owed, c.payments, c.claim_lines
    );
    Ok(Clinic {
        billing,
        consultation,
        admin: login(Role::Admin.label())?,
        reception: login(Role::Reception.label())?,
        doctor,
        pharmacist: login(Role::Pharmacist.label())?,
        lab: login(Role::Lab.label())?,
        long_day_doctor: (long_day_doctor(db).await?, "dr.okoro".to_owned()),
        student_id,
        student,
        long_day,
        faculty_id: sqlx::query_scalar("SELECT MIN(id) FROM faculty")
            .fetch_one(db.pool())
            .await?,
        first_doctor_id: id_of(db, "SELECT id FROM staff WHERE username = $1", "dr.adebayo").await?,
    })
}

/// 50 completed visits of the student with the doctor, each with vitals, a complaint and a diagnosis, then the
/// doctor's open visit with them: the consultation screen of a patient with a long history.
async fn long_history(db: &Db, doctor: &str, student_id: i64, today: Date) -> anyhow::Result<i64> {
    let doctor_id = id_of(db, "SELECT id FROM staff WHERE username = $1", doctor).await?;
    let user = sickbay_core::identity::StaffUser {
        id: doctor_id,
        username: doctor.to_owned(),
        full_name: doctor.to_owned(),
        role: Role::Doctor,
        extra_roles: Default::default(),
        must_change_password: false,
        active: true,
        session_version: 1,
    };
    let actor = Actor::system("benchmark");
    for days_ago in (1..=50).rev() {
        let day = Date(today.0 - chrono::Duration::days(days_ago * 7));
        let started = sickbay_core::db::Timestamp::now().0 - days_ago * 7 * 86_400_000;
        let visit: i64 = sqlx::query_scalar(
            "INSERT INTO visit (patient_id, doctor_id, day, status, started_at, completed_at, updated_at)
             VALUES ($1, $2, $3, 'completed', $4, $4, $4) RETURNING id",
        )
        .bind(student_id)
        .bind(doctor_id)
        .bind(day)
        .bind(started)
        .fetch_one(db.pool())
        .await?;
        sqlx::query(
            "INSERT INTO diagnosis (visit_id, patient_id, doctor_id, code, description, recorded_at)
             VALUES ($1, $2, $3, 'B54', 'Unspecified malaria', $4)",
        )
        .bind(visit)
        .bind(student_id)
        .bind(doctor_id)
        .bind(started)
        .execute(db.pool())
        .await?;
        sqlx::query(
            "INSERT INTO vitals (patient_id, visit_id, systolic, diastolic, temperature_tenths, pulse, recorded_by,
                                 recorded_at)
             VALUES ($1, $2, 120, 80, 372, 80, $3, $4)",
        )
        .bind(student_id)
        .bind(visit)
        .bind(doctor_id)
        .bind(started)
        .execute(db.pool())
        .await?;
        sqlx::query(
            "INSERT INTO clinical_note (visit_id, kind, body, author_id, written_at)
             VALUES ($1, 'complaint', 'Fever and headache.', $2, $3)",
        )
        .bind(visit)
        .bind(doctor_id)
        .bind(started)
        .execute(db.pool())
        .await?;
    }
    let opened = sickbay_core::consult::service::start_for_patient(db, &user, &actor, student_id, today).await?;
    Ok(opened.visit_id)
}

async fn id_of(db: &Db, sql: &str, bind: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).bind(bind).fetch_one(db.pool()).await?)
}

/// A seventh doctor who will have a day of 250 short slots tomorrow (added after the baseline is measured).
async fn long_day_doctor(db: &Db) -> anyhow::Result<i64> {
    let new = NewStaff::validate("dr.okoro", "Dr Ngozi Okoro", "", Role::Doctor.as_str())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let hash = sickbay_core::auth::password::hash(demo::model::PASSWORD).await?;
    Ok(sickbay_core::staff::service::create_with_hash(db, &Actor::system("benchmark"), &new, &hash, false).await?)
}

/// Tomorrow from 03:00 to 23:50 in 5-minute slots (250), every other one booked by reception.
async fn long_day(db: &Db, settings: &Settings, clinic: &Clinic, patients: &[i64]) -> anyhow::Result<i64> {
    let actor = Actor::system("benchmark");
    let hours = Hours {
        id: 0,
        doctor_id: clinic.long_day_doctor.0,
        weekday: i64::from(clinic.long_day.0.weekday().number_from_monday()),
        start_minute: 3 * 60,
        end_minute: 3 * 60 + DAY_SLOTS * 5,
        slot_minutes: 5,
        capacity: 1,
        valid_from: Date(settings.today()),
        valid_until: None,
        active: true,
    };
    scheduling::add_hours(db, &actor, &hours).await?;
    scheduling::generate_slots(db, settings.slot_horizon(), Some(clinic.long_day_doctor.0)).await?;
    let slots: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM slot WHERE doctor_id = $1 AND day = $2 ORDER BY starts_at")
            .bind(clinic.long_day_doctor.0)
            .bind(clinic.long_day)
            .fetch_all(db.pool())
            .await?;
    let reception: i64 = id_of(db, "SELECT id FROM staff WHERE username = $1", &clinic.reception).await?;
    let rules = settings.booking_rules();
    for (slot, patient) in slots.iter().step_by(2).zip(patients) {
        let booker = Booker::Staff {
            staff_id: reception,
            override_reason: Some("benchmark"),
        };
        scheduling::book(db, &actor, &rules, *patient, *slot, "Check-up", booker).await?;
    }
    Ok(slots.len() as i64)
}

/// 500 walk-ins waiting today, spread over the doctors' queues and the general queue.
async fn waiting_tickets(db: &Db, settings: &Settings, clinic: &Clinic, patients: &[i64]) -> anyhow::Result<()> {
    let actor = Actor::system("benchmark");
    let reception: i64 = id_of(db, "SELECT id FROM staff WHERE username = $1", &clinic.reception).await?;
    let doctors: Vec<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE role = 'doctor' AND username <> 'dr.okoro'")
        .fetch_all(db.pool())
        .await?;
    let today = Date(settings.today());
    for (i, patient) in patients.iter().enumerate() {
        let doctor = doctors.get(i % (doctors.len() + 1)).copied();
        let who = WalkInPatient::Existing(*patient);
        queue::walk_in(db, &actor, reception, who, doctor, Priority::Normal, today).await?;
    }
    Ok(())
}

/// 200 lab orders waiting for the lab, each in an open visit of its own with the first doctor, oldest first
/// (straight into the tables, as the demo's history goes in).
async fn lab_orders(db: &Db, settings: &Settings, clinic: &Clinic, patients: &[i64]) -> anyhow::Result<usize> {
    let tests: Vec<i64> = sqlx::query_scalar("SELECT id FROM lab_test WHERE active = 1 ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    anyhow::ensure!(!tests.is_empty(), "the demo has no lab tests");
    let today = Date(settings.today());
    let now = sickbay_core::db::Timestamp::now().0;
    let doctor = clinic.first_doctor_id;
    let mut tx = db.begin_write().await?;
    for (i, patient) in patients.iter().enumerate() {
        let at = sickbay_core::db::Timestamp(now - (patients.len() - i) as i64 * 60_000);
        let visit: i64 = sqlx::query_scalar(
            "INSERT INTO visit (patient_id, doctor_id, day, status, started_at, updated_at)
             VALUES ($1, $2, $3, 'open', $4, $4) RETURNING id",
        )
        .bind(patient)
        .bind(doctor)
        .bind(today)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO lab_order (visit_id, patient_id, test_id, status, note, ordered_by, ordered_at, updated_at)
             VALUES ($1, $2, $3, 'ordered', '', $4, $5, $5)",
        )
        .bind(visit)
        .bind(patient)
        .bind(tests[i % tests.len()])
        .bind(doctor)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(patients.len())
}

/// A prescription of two items in each of the first doctor's open visits (the lab orders' visits), straight
/// into the tables: the pharmacy's worklist of 200. Answers the first prescription's id.
async fn prescriptions(db: &Db, clinic: &Clinic) -> anyhow::Result<i64> {
    let drugs: Vec<i64> = sqlx::query_scalar("SELECT id FROM drug WHERE form = 'tablet' ORDER BY id LIMIT 2")
        .fetch_all(db.pool())
        .await?;
    anyhow::ensure!(drugs.len() == 2, "the demo has too few tablets");
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO prescription (visit_id, patient_id, doctor_id, status, created_at, updated_at)
         SELECT v.id, v.patient_id, v.doctor_id, 'pending', v.started_at, v.started_at FROM visit v
         WHERE v.doctor_id = $1 AND v.status = 'open'
           AND NOT EXISTS (SELECT 1 FROM prescription p WHERE p.visit_id = v.id)",
    )
    .bind(clinic.first_doctor_id)
    .execute(&mut *tx)
    .await?;
    for drug in &drugs {
        sqlx::query(
            "INSERT INTO prescription_item (prescription_id, drug_id, dose, route, frequency, duration_days, quantity,
                                            instructions, dispensed_quantity, created_at)
             SELECT p.id, $2, '1 tablet', 'oral', 'tds', 5, 15, '', 0, p.created_at FROM prescription p
             JOIN visit v ON v.id = p.visit_id WHERE v.doctor_id = $1 AND v.status = 'open' AND p.status = 'pending'",
        )
        .bind(clinic.first_doctor_id)
        .bind(drug)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(
        sqlx::query_scalar("SELECT MIN(id) FROM prescription WHERE status = 'pending'")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Fills the catalogue up to [`CATALOGUE_DRUGS`] entries, each with a batch received through the ledger
/// (straight into the tables). Answers how many it added.
async fn more_drugs(db: &Db, today: Date) -> anyhow::Result<i64> {
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM drug")
        .fetch_one(db.pool())
        .await?;
    let now = sickbay_core::db::Timestamp::now();
    let mut tx = db.begin_write().await?;
    for i in have..CATALOGUE_DRUGS {
        let drug: i64 = sqlx::query_scalar(
            "INSERT INTO drug (name, generic_name, form, strength, unit, unit_price, reorder_level, active, shelf,
                               search, created_at, updated_at)
             VALUES ($1, $1, 'tablet', $2, 'tablet', 500, 50, 1, 'F: more', LOWER($1 || ' ' || $1), $3, $3)
             RETURNING id",
        )
        .bind(format!("Benchmarkol {i:04}"))
        .bind(format!("{} mg", 5 * (i % 40 + 1)))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let quantity = 100 + i % 400;
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO drug_batch (drug_id, batch_number, quantity, expires_on, cost_price, supplier, received_on,
                                     created_at)
             VALUES ($1, $2, $3, $4, 300, '', $5, $6) RETURNING id",
        )
        .bind(drug)
        .bind(format!("BM-{i}"))
        .bind(quantity)
        .bind(Date(Date::add_days(today.0, 30 + i % 700)))
        .bind(today)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO stock_movement (batch_id, drug_id, kind, reason, quantity, balance, note, staff_id, at, day)
             VALUES ($1, $2, 'receipt', '', $3, $3, '', NULL, $4, $5)",
        )
        .bind(batch)
        .bind(drug)
        .bind(quantity)
        .bind(now)
        .bind(today)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(CATALOGUE_DRUGS - have)
}

/// Students without a ticket today, for the extra bookings and tickets.
async fn free_students(db: &Db, today: Date, count: usize) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM patient WHERE kind = 'student' AND id NOT IN (SELECT patient_id FROM ticket WHERE day = $1)
         ORDER BY id DESC LIMIT $2",
    )
    .bind(today)
    .bind(count as i64)
    .fetch_all(db.pool())
    .await?)
}

fn day_view(clinic: &Clinic) -> String {
    format!("/schedule?day={}", clinic.long_day)
}

fn pages(clinic: &Clinic) -> Vec<Page> {
    let page = |name, path: String, who, row_name| Page {
        name,
        path,
        who,
        row_name,
        rows: None,
    };
    let usual = None;
    let student = clinic.student_id;
    vec![
        page("health check", "/healthz".into(), Who::Nobody, None),
        page("admin home", "/admin".into(), Who::Admin, usual),
        page("reception home", "/reception".into(), Who::Reception, usual),
        page("doctor home", "/doctor".into(), Who::Doctor, usual),
        page("pharmacist home", "/pharmacy".into(), Who::Pharmacist, usual),
        page(
            "admin home's figures (live)",
            "/admin/summary".into(),
            Who::Admin,
            usual,
        ),
        page(
            "reception home's figures (live)",
            "/reception/summary".into(),
            Who::Reception,
            usual,
        ),
        page(
            "doctor home's figures (live)",
            "/doctor/summary".into(),
            Who::Doctor,
            usual,
        ),
        page(
            "pharmacist home's figures (live)",
            "/pharmacy/summary".into(),
            Who::Pharmacist,
            usual,
        ),
        page("lab home's figures (live)", "/lab/summary".into(), Who::Lab, usual),
        page(
            "drug catalogue, 2,000 drugs",
            "/pharmacy/drugs".into(),
            Who::Pharmacist,
            usual,
        ),
        page(
            "drug catalogue, \"amox\"",
            "/pharmacy/drugs?q=amox".into(),
            Who::Pharmacist,
            usual,
        ),
        page(
            "pharmacy worklist, 200 waiting (shows 25)",
            "/pharmacy/prescriptions".into(),
            Who::Pharmacist,
            usual,
        ),
        page(
            "all prescriptions",
            "/pharmacy/prescriptions?all=1".into(),
            Who::Pharmacist,
            usual,
        ),
        page("lab home", "/lab".into(), Who::Lab, usual),
        page("staff list", "/admin/staff".into(), Who::Admin, usual),
        page("patient search, empty", "/patients".into(), Who::Reception, usual),
        page(
            "patient search, \"okafor\"",
            "/patients?q=okafor".into(),
            Who::Reception,
            usual,
        ),
        page("patient profile", format!("/patients/{student}"), Who::Reception, usual),
        page("import", "/admin/import".into(), Who::Admin, usual),
        page("academic data", "/admin/academic".into(), Who::Admin, usual),
        page(
            "a faculty",
            format!("/admin/academic/faculties/{}", clinic.faculty_id),
            Who::Admin,
            usual,
        ),
        page("settings", "/admin/settings/the-clinic".into(), Who::Admin, usual),
        page("audit log", "/admin/audit".into(), Who::Admin, usual),
        page("reports", "/admin/reports".into(), Who::Admin, usual),
        page("procedure catalogue", "/admin/procedures".into(), Who::Admin, usual),
        page(
            "patient documents",
            format!("/patients/{student}/documents"),
            Who::Doctor,
            usual,
        ),
        page("doctor's profile", "/account/profile".into(), Who::Doctor, usual),
        page(
            "day schedule, 250 slots",
            day_view(clinic),
            Who::LongDayDoctor,
            Some("slot"),
        ),
        page("week schedule", "/schedule?view=week".into(), Who::Doctor, None),
        page(
            "booking for a patient",
            format!("/patients/{student}/book"),
            Who::Reception,
            usual,
        ),
        page(
            "reception board, 500 waiting",
            "/queue".into(),
            Who::Reception,
            Some("ticket"),
        ),
        page(
            "the day's bookings to check in",
            "/queue/due".into(),
            Who::Reception,
            usual,
        ),
        page("doctor's queue", "/queue/doctor".into(), Who::Doctor, usual),
        page("waiting-room display", "/display".into(), Who::Nobody, usual),
        page("student home", "/me".into(), Who::Student, usual),
        page(
            "student home's figures (live)",
            "/me/summary".into(),
            Who::Student,
            usual,
        ),
        page("student booking", "/me/book".into(), Who::Student, usual),
        page("student appointments", "/me/appointments".into(), Who::Student, usual),
        page("student place in queue", "/me/queue".into(), Who::Student, usual),
        page("student clinic card", "/me/card".into(), Who::Student, usual),
        page(
            "consultation, 50 earlier visits",
            format!("/visits/{}", clinic.consultation),
            Who::Doctor,
            usual,
        ),
        page(
            "patient chart, 50 visits (shows 20)",
            format!("/patients/{student}/chart"),
            Who::Doctor,
            usual,
        ),
        page("student visits", "/me/visits".into(), Who::Student, usual),
        page("student documents", "/me/documents".into(), Who::Student, usual),
        page("billing home", "/billing".into(), Who::Reception, usual),
        page(
            "billing: invoice with a refund",
            format!("/billing/invoices/{}", clinic.billing.invoice),
            Who::Reception,
            usual,
        ),
        page(
            "billing: busiest day's takings",
            format!("/billing/day?day={}", clinic.billing.day),
            Who::Reception,
            usual,
        ),
        page(
            "billing: a month's claim",
            clinic.billing.claims.clone(),
            Who::Reception,
            usual,
        ),
        page(
            "billing: a receipt",
            format!("/billing/payments/{}/receipt", clinic.billing.receipt),
            Who::Reception,
            usual,
        ),
        page("billing: student's invoices", "/me/invoices".into(), Who::Payer, usual),
    ]
    .into_iter()
    .chain(report_pages())
    .collect()
}

/// Every report over its default period (the last 30 days), and the visits and revenue over a year, read from
/// the daily summaries the demo keeps for its past days.
fn report_pages() -> Vec<Page> {
    let report = |name, path: &str| Page {
        name,
        path: path.to_owned(),
        who: Who::Admin,
        row_name: None,
        rows: None,
    };
    let year = |path: &str| {
        let today = chrono::Utc::now().date_naive();
        format!("{path}?from={}&to={}", today - chrono::Duration::days(364), today)
    };
    vec![
        report("report: visits", "/admin/reports/visits"),
        report("report: appointments", "/admin/reports/appointments"),
        report("report: times", "/admin/reports/times"),
        report("report: diagnoses", "/admin/reports/diagnoses"),
        report("report: revenue", "/admin/reports/revenue"),
        report("report: pharmacy", "/admin/reports/pharmacy"),
        report("report: students", "/admin/reports/students"),
        report("report: visits, a year", &year("/admin/reports/visits")),
        report("report: revenue, a year", &year("/admin/reports/revenue")),
        report(
            "report: a CSV, a year",
            &format!("{}&table=by_day", year("/admin/reports/visits/csv")),
        ),
    ]
}

/// One logged-in client per role, shared by the 16 concurrent tasks (each on a keep-alive connection of its own).
struct Sessions {
    nobody: reqwest::Client,
    admin: reqwest::Client,
    reception: (reqwest::Client, String),
    doctor: reqwest::Client,
    long_day_doctor: reqwest::Client,
    pharmacist: reqwest::Client,
    lab: reqwest::Client,
    student: reqwest::Client,
    payer: reqwest::Client,
}

impl Sessions {
    async fn open(addr: std::net::SocketAddr, clinic: &Clinic) -> anyhow::Result<Self> {
        let password = demo::model::PASSWORD;
        Ok(Sessions {
            nobody: reqwest::Client::new(),
            admin: common::log_in(addr, &clinic.admin, password, "/admin").await?.0,
            reception: common::log_in(addr, &clinic.reception, password, "/queue").await?,
            doctor: common::log_in(addr, &clinic.doctor, password, "/doctor").await?.0,
            long_day_doctor: common::log_in(addr, &clinic.long_day_doctor.1, password, "/doctor")
                .await?
                .0,
            pharmacist: common::log_in(addr, &clinic.pharmacist, password, "/pharmacy").await?.0,
            lab: common::log_in(addr, &clinic.lab, password, "/lab").await?.0,
            student: common::log_in(addr, &clinic.student, password, "/me").await?.0,
            payer: common::log_in(addr, &clinic.billing.payer, password, "/me").await?.0,
        })
    }

    fn of(&self, who: Who) -> &reqwest::Client {
        match who {
            Who::Nobody => &self.nobody,
            Who::Admin => &self.admin,
            Who::Reception => &self.reception.0,
            Who::Doctor => &self.doctor,
            Who::LongDayDoctor => &self.long_day_doctor,
            Who::Pharmacist => &self.pharmacist,
            Who::Lab => &self.lab,
            Who::Student => &self.student,
            Who::Payer => &self.payer,
        }
    }
}

/// One uncompressed response: its status and size.
async fn fetch(client: &reqwest::Client, url: &str) -> anyhow::Result<(u16, usize)> {
    let response = client.get(url).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.bytes().await?.len()))
}

/// `CLIENTS` tasks requesting `url` back to back for `time`.
async fn measure(client: &reqwest::Client, url: &str, time: Duration) -> anyhow::Result<Measured> {
    let first = Instant::now();
    let (status, bytes) = fetch(client, url).await?;
    let first_ms = first.elapsed().as_secs_f64() * 1000.0;
    let warm_until = Instant::now() + Duration::from_millis(200);
    while Instant::now() < warm_until {
        fetch(client, url).await?;
    }
    let started = Instant::now();
    let until = started + time;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, encoding) = (client.clone(), url.to_owned(), encoding());
        tasks.push(tokio::spawn(async move {
            let (mut times, mut sent, mut not_ok) = (Vec::new(), 0_usize, None);
            while Instant::now() < until {
                let asked = Instant::now();
                let response = client.get(&url).header("accept-encoding", &encoding).send().await?;
                if response.status() != reqwest::StatusCode::OK {
                    not_ok = Some(response.status().as_u16());
                }
                sent += response.bytes().await?.len();
                times.push(asked.elapsed());
            }
            Ok::<_, reqwest::Error>((times, sent, not_ok))
        }));
    }
    let (mut times, mut sent, mut not_ok) = (Vec::new(), 0, (status != 200).then_some(status));
    for task in tasks {
        let (task_times, s, bad) = task.await??;
        times.extend(task_times);
        sent += s;
        not_ok = not_ok.or(bad);
    }
    let count = times.len();
    times.sort();
    Ok(Measured {
        per_second: count as f64 / started.elapsed().as_secs_f64(),
        p99_ms: if times.is_empty() {
            0.0
        } else {
            common::percentile_ms(&times, 0.99)
        },
        first_ms,
        bytes,
        sent_bytes: sent as f64 / count.max(1) as f64,
        not_ok,
    })
}

/// The bytes each row added to a list page, as "298 B/slot".
fn per_row(page: &Page, measured: &Measured) -> String {
    match (page.row_name, page.rows) {
        (Some(name), Some((before, rows))) => {
            format!(
                "{:.0} B/{name}",
                (measured.bytes as f64 - before as f64) / rows.max(1) as f64
            )
        }
        _ => String::new(),
    }
}

async fn bench(url: &str, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let clinic = seed(&db).await?;
    let settings = SettingsCache::load(&db).await?.get();
    let config = Config {
        background_jobs: false,
        ..Config::default()
    };
    let state = AppState::new(db.clone(), config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    tokio::spawn(sickbay::serve(listener, state));
    let sessions = Sessions::open(addr, &clinic).await?;

    let mut pages = pages(&clinic);
    let base = |path: &str| format!("http://{addr}{path}");
    let extras = Instant::now();
    let day_view = day_view(&clinic);
    let before_day = fetch(sessions.of(Who::LongDayDoctor), &base(&day_view)).await?.1;
    let before_board = fetch(sessions.of(Who::Reception), &base("/queue")).await?.1;
    let before_lab = fetch(sessions.of(Who::Lab), &base("/lab")).await?.1;
    let today = Date(settings.today());
    let patients = free_students(&db, today, WAITING_TICKETS + DAY_SLOTS as usize).await?;
    let (for_tickets, for_bookings) = patients.split_at(WAITING_TICKETS.min(patients.len()));
    let slots = long_day(&db, &settings, &clinic, for_bookings).await?;
    waiting_tickets(&db, &settings, &clinic, for_tickets).await?;
    let for_lab = free_students(&db, today, LAB_ORDERS).await?;
    let orders = lab_orders(&db, &settings, &clinic, &for_lab).await?;
    let before_worklist = fetch(sessions.of(Who::Pharmacist), &base("/pharmacy/prescriptions"))
        .await?
        .1;
    let first_prescription = prescriptions(&db, &clinic).await?;
    let drugs = more_drugs(&db, today).await?;
    let first_drug: i64 = sqlx::query_scalar("SELECT MIN(id) FROM drug")
        .fetch_one(db.pool())
        .await?;
    // Written straight into the tables, so announced as the app announces its own changes: the pharmacy's
    // cached worklist and alerts read them again.
    let mut tx = db.begin_write().await?;
    tx.announce(sickbay_core::db::events::Event::Pharmacy);
    tx.commit().await?;
    println!(
        "  added a day of {slots} slots (half booked), {} waiting tickets, {orders} lab orders with a prescription \
         each and {drugs} drugs in {:.1} s",
        for_tickets.len(),
        extras.elapsed().as_secs_f64()
    );
    let usual = None;
    let pharmacy_page = |name, path: String| Page {
        name,
        path,
        who: Who::Pharmacist,
        row_name: usual,
        rows: None,
    };
    pages.extend([
        pharmacy_page("dispense page", format!("/pharmacy/prescriptions/{first_prescription}")),
        pharmacy_page(
            "a drug's stock and ledger",
            format!("/pharmacy/drugs/{first_drug}/stock"),
        ),
        pharmacy_page(
            "stock count of a shelf",
            "/pharmacy/counts?shelf=A%3A+tablets+and+capsules".into(),
        ),
    ]);
    for page in &mut pages {
        page.rows = match page.path.as_str() {
            "/queue" => Some((before_board, for_tickets.len())),
            "/lab" => Some((before_lab, orders)),
            "/pharmacy/prescriptions" => Some((before_worklist, orders)),
            path if path == day_view => Some((before_day, slots as usize)),
            _ => None,
        };
    }

    let time = seconds_per_page();
    println!(
        "  {CLIENTS} clients, {:.1} s a page, accept-encoding {:?}\n",
        time.as_secs_f64(),
        encoding()
    );
    println!(
        "  {:<30} {:>8} {:>8} {:>9} {:>10} {:>9} {:>11}",
        "page", "req/s", "p99 ms", "first ms", "HTML B", "sent B", "per row"
    );
    for page in pages.iter().filter(|page| chosen(page)) {
        let measured = measure(sessions.of(page.who), &base(&page.path), time).await?;
        let failed = match measured.not_ok {
            Some(status) => {
                FAILURES.fetch_add(1, Ordering::SeqCst);
                format!("  ANSWERED {status}")
            }
            None => String::new(),
        };
        println!(
            "  {:<30} {:>8.0} {:>8.1} {:>9.1} {:>10} {:>9.0} {:>11}{failed}",
            page.name,
            measured.per_second,
            measured.p99_ms,
            measured.first_ms,
            measured.bytes,
            measured.sent_bytes,
            per_row(page, &measured),
        );
    }
    live_change(addr, &sessions, clinic.first_doctor_id).await?;
    shutdown.cancel();
    db.close().await;
    Ok(())
}

/// Opens reception's board stream and a display's, calls the next patient once, and counts the bytes each
/// stream received for that one change.
async fn live_change(addr: std::net::SocketAddr, sessions: &Sessions, doctor_id: i64) -> anyhow::Result<()> {
    let mut board = Stream::open(sessions.of(Who::Reception), &format!("http://{addr}/queue/events")).await?;
    let mut display = Stream::open(sessions.of(Who::Nobody), &format!("http://{addr}/display/events")).await?;
    let (reception, token) = &sessions.reception;
    let called = reception
        .post(format!("http://{addr}/queue/call-next"))
        .form(&[("doctor_id", doctor_id.to_string()), ("csrf_token", token.clone())])
        .send()
        .await?;
    if called.status() != reqwest::StatusCode::SEE_OTHER {
        FAILURES.fetch_add(1, Ordering::SeqCst);
        println!("\n  call next answered {}", called.status());
        return Ok(());
    }
    let (board_events, board_bytes) = board.change().await?;
    let (display_events, display_bytes) = display.change().await?;
    println!(
        "\n  one \"call next\": each open board receives {board_bytes} bytes in {board_events} event(s); each \
         display {display_bytes} bytes in {display_events} event(s)"
    );
    Ok(())
}

/// A server-sent event stream, read raw.
struct Stream {
    response: reqwest::Response,
}

impl Stream {
    /// Opens the stream and reads its first event (the full state).
    async fn open(client: &reqwest::Client, url: &str) -> anyhow::Result<Self> {
        let response = client.get(url).header("accept", "text/event-stream").send().await?;
        anyhow::ensure!(
            response.status() == reqwest::StatusCode::OK,
            "{url} answered {}",
            response.status()
        );
        let mut stream = Stream { response };
        let mut opening = String::new();
        while !opening.contains("\n\n") {
            let chunk = tokio::time::timeout(Duration::from_secs(30), stream.response.chunk())
                .await?
                .with_context(|| format!("{url} ended"))?
                .with_context(|| format!("{url} ended"))?;
            opening.push_str(&String::from_utf8_lossy(&chunk));
        }
        Ok(stream)
    }

    /// The events and bytes that arrive for one change: everything until the stream has been quiet for a
    /// second after its first complete event.
    async fn change(&mut self) -> anyhow::Result<(usize, usize)> {
        let mut received = String::new();
        let mut wait = Duration::from_secs(30);
        loop {
            match tokio::time::timeout(wait, self.response.chunk()).await {
                Ok(chunk) => match chunk? {
                    Some(bytes) => received.push_str(&String::from_utf8_lossy(&bytes)),
                    None => break,
                },
                Err(_) => break,
            }
            if received.contains("\n\n") {
                wait = Duration::from_secs(1);
            }
        }
        let events = received.matches("\nevent:").count() + usize::from(received.starts_with("event:"));
        Ok((events, received.len()))
    }
}

fn main() -> anyhow::Result<()> {
    common::on_both_databases("pages", |url, backend| async move { bench(&url, backend).await })?;
    let failures = FAILURES.load(Ordering::SeqCst);
    anyhow::ensure!(failures == 0, "{failures} page(s) answered something other than 200");
    Ok(())
}
