//! Reports: every report's numbers against a small clinic whose answers are worked out by hand (7 visits, 2
//! no-shows, these payments), read live and then from the daily summaries, the same after a late change;
//! period boundaries in the clinic's time zone; CSV equal to the table; only admins see reports.

use chrono::{NaiveDate, TimeZone};
use reqwest::StatusCode;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::identity::{Actor, DoctorScope, Role};
use sickbay_core::scheduling::model::AppointmentStatus;

use crate::browser::Browser;
use crate::prescriptions_browser::wait_for;
use crate::support::{
    ADMIN_PASSWORD, Client, Page, Students, TestApp, appointment_on, doctor, on_both_databases, slot, visitor,
};

on_both_databases!(
    each_report_gives_the_numbers_worked_out_by_hand,
    a_late_change_to_a_closed_day_is_summarized_again,
    days_are_the_clinics_local_days,
    only_admins_open_reports_and_bad_periods_are_refused,
    the_admin_reads_reports_in_a_browser,
);

const PATIENTS: Students = Students::new("RP", "Report");

/// A clinic behind UTC, so 23:30 there is already the next day in UTC.
const ZONE: &str = "America/New_York";

struct Fixture {
    admin: Client,
    /// The two past days the visits happened on (three and two days ago).
    d1: NaiveDate,
    d2: NaiveDate,
}

fn at(app: &TestApp, day: NaiveDate, hour: u32, minute: u32) -> Timestamp {
    let zone = app.state.settings.get().clinic.time_zone;
    let local = day.and_hms_opt(hour, minute, 0).expect("time");
    Timestamp(
        zone.from_local_datetime(&local)
            .earliest()
            .expect("local time")
            .timestamp_millis(),
    )
}

fn minutes_after(t: Timestamp, minutes: i64) -> Timestamp {
    Timestamp(t.0 + minutes * 60_000)
}

async fn exec(app: &TestApp, sql: &str, binds: &[Bind]) -> i64 {
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    for bind in binds {
        query = match bind {
            Bind::I(v) => query.bind(*v),
            Bind::T(v) => query.bind(v.clone()),
        };
    }
    query
        .fetch_one(app.db().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

enum Bind {
    I(i64),
    T(String),
}

use Bind::{I, T};

/// A visit with its ticket: checked in at `start - wait`, called at `start`, completed `consult` minutes later.
#[allow(clippy::too_many_arguments)]
async fn visit(
    app: &TestApp,
    patient: i64,
    doctor: i64,
    day: NaiveDate,
    start: Timestamp,
    wait: Option<i64>,
    consult: i64,
    code: &str,
) -> i64 {
    let day_text = day.format("%Y-%m-%d").to_string();
    let ticket = match wait {
        Some(wait) => Some(
            exec(
                app,
                "INSERT INTO ticket (day, code, patient_id, doctor_id, priority, order_at, status, checked_in_at, called_at,
                                     started_at, finished_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'normal', $5, 'completed', $5, $6, $6, $7, $7) RETURNING id",
                &[
                    T(day_text.clone()),
                    T(code.to_owned()),
                    I(patient),
                    I(doctor),
                    I(minutes_after(start, -wait).0),
                    I(start.0),
                    I(minutes_after(start, consult).0),
                ],
            )
            .await,
        ),
        None => None,
    };
    let sql = match ticket {
        Some(_) => {
            "INSERT INTO visit (patient_id, doctor_id, ticket_id, day, status, started_at, completed_at, updated_at)
             VALUES ($1, $2, $3, $4, 'completed', $5, $6, $6) RETURNING id"
        }
        None => {
            "INSERT INTO visit (patient_id, doctor_id, day, status, started_at, completed_at, updated_at)
             VALUES ($1, $2, $4, 'completed', $5, $6, $6 + $3 - $3) RETURNING id"
        }
    };
    exec(
        app,
        sql,
        &[
            I(patient),
            I(doctor),
            I(ticket.unwrap_or(0)),
            T(day_text),
            I(start.0),
            I(minutes_after(start, consult).0),
        ],
    )
    .await
}

async fn diagnose(app: &TestApp, visit: i64, code: Option<&str>, words: &str) {
    exec(
        app,
        "INSERT INTO diagnosis (visit_id, patient_id, doctor_id, code, description, recorded_at)
         SELECT id, patient_id, doctor_id, NULLIF($2, ''), $3, started_at FROM visit WHERE id = $1 RETURNING id",
        &[I(visit), T(code.unwrap_or("").to_owned()), T(words.to_owned())],
    )
    .await;
}

/// An issued invoice of `total` for `patient` on `day` (void when `void`).
async fn invoice(
    app: &TestApp,
    patient: i64,
    category: &str,
    day: NaiveDate,
    total: i64,
    staff: i64,
    status: &str,
) -> i64 {
    let when = at(app, day, 10, 0);
    exec(
        app,
        "INSERT INTO invoice (number, patient_id, category, status, subtotal, total, patient_share, created_by,
                              created_at, issued_at, issued_day, issued_month, updated_at)
         VALUES ('INV-' || CAST($1 AS TEXT) || '-' || $2, $1, $2, $3, $4, $4, $4, $5, $6, $6, $7, SUBSTR($7, 1, 7), $6)
         RETURNING id",
        &[
            I(patient),
            T(category.to_owned()),
            T(status.to_owned()),
            I(total),
            I(staff),
            I(when.0),
            T(day.format("%Y-%m-%d").to_string()),
        ],
    )
    .await
}

async fn payment(app: &TestApp, invoice: i64, method: &str, amount: i64, day: NaiveDate, staff: i64) {
    let kind = if amount > 0 { "payment" } else { "refund" };
    exec(
        app,
        "INSERT INTO payment (number, invoice_id, patient_id, kind, method, amount, received_by, received_at, day)
         SELECT 'P-' || CAST($1 AS TEXT) || '-' || CAST($3 AS TEXT), id, patient_id, $2, $4, $3, $5, $6, $7
         FROM invoice WHERE id = $1 RETURNING id",
        &[
            I(invoice),
            T(kind.to_owned()),
            I(amount),
            T(method.to_owned()),
            I(staff),
            I(at(app, day, 11, 0).0),
            T(day.format("%Y-%m-%d").to_string()),
        ],
    )
    .await;
    exec(
        app,
        "UPDATE invoice SET paid = paid + $2,
                status = CASE WHEN paid + $2 >= patient_share THEN 'paid' ELSE 'partly_paid' END
         WHERE id = $1 RETURNING id",
        &[I(invoice), I(amount)],
    )
    .await;
}

async fn appointments(app: &TestApp, doctor: i64, patients: &[i64], day: NaiveDate, statuses: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, status) in statuses.iter().enumerate() {
        let slot_id = slot(app, doctor, 1, at(app, day, 8 + i as u32, 0)).await;
        let id = appointment_on(app, patients[i % patients.len()], slot_id).await;
        exec(
            app,
            "UPDATE appointment SET status = $2 WHERE id = $1 RETURNING id",
            &[I(id), T((*status).to_owned())],
        )
        .await;
        ids.push(id);
    }
    ids
}

/// The clinic of the known answers (see each report's assertions for the sums).
async fn known_clinic(app: &TestApp) -> Fixture {
    app.set_setting("time_zone", ZONE).await;
    let admin = app.admin().await;
    let today = app.state.settings.get().today();
    let (d1, d2) = (Date::add_days(today, -3), Date::add_days(today, -2));
    let (a, _) = doctor(app, "dr.ade").await;
    let (b, _) = doctor(app, "dr.bello").await;
    let students = PATIENTS.named(app, &["Ada", "Bola", "Chidi", "Dayo"]).await;
    let (guest, _) = visitor(app, "Vera", "Visitor").await;
    let faculty = |name: &str, code: &str| {
        let (name, code) = (name.to_owned(), code.to_owned());
        async move {
            exec(app, "INSERT INTO faculty (name, code, active, created_at, updated_at) VALUES ($1, $2, 1, 0, 0) RETURNING id", &[T(name), T(code)]).await
        }
    };
    let (science, arts) = (faculty("Science", "SCI").await, faculty("Arts", "ART").await);
    for (student, faculty) in students.iter().zip([science, science, arts, arts]) {
        exec(
            app,
            "UPDATE patient SET faculty_id = $2 WHERE id = $1 RETURNING id",
            &[I(*student), I(faculty)],
        )
        .await;
    }
    let [s1, s2, s3, s4] = students[..] else {
        panic!("four students")
    };

    // Appointments: the first day 4 completed, 1 no-show, 1 cancelled; the second 2 completed, 1 no-show.
    appointments(
        app,
        a,
        &students,
        d1,
        &[
            "completed",
            "completed",
            "completed",
            "completed",
            "no_show",
            "cancelled",
        ],
    )
    .await;
    appointments(app, b, &students, d2, &["completed", "completed", "no_show"]).await;

    // Seven visits. Doctor A waits 10, 20, 30, 40 and consults 15, 5, 10, 25 minutes; doctor B waits 5 and 15
    // and consults 20, 20 (the one at 23:30) and 30 (a visit from the patient's record, with no ticket).
    let v1 = visit(app, s1, a, d1, at(app, d1, 9, 0), Some(10), 15, "A-001").await;
    let v2 = visit(app, s2, a, d1, at(app, d1, 10, 0), Some(20), 5, "A-002").await;
    let v3 = visit(app, s3, a, d1, at(app, d1, 11, 0), Some(30), 10, "A-003").await;
    let v4 = visit(app, s4, b, d1, at(app, d1, 12, 0), Some(5), 20, "B-001").await;
    let v5 = visit(app, guest, b, d1, at(app, d1, 23, 30), Some(15), 20, "B-002").await;
    let v6 = visit(app, s1, a, d2, at(app, d2, 9, 0), Some(40), 25, "A-001").await;
    let _v7 = visit(app, guest, b, d2, at(app, d2, 14, 0), None, 30, "").await;
    for v in [v1, v2, v4] {
        diagnose(app, v, Some("B54"), "Unspecified malaria").await;
    }
    diagnose(app, v3, Some("J06.9"), "Acute upper respiratory infection, unspecified").await;
    diagnose(app, v5, None, "Sore eyes").await;
    diagnose(app, v6, None, " sore EYES ").await;

    // Money: a student's 50.00 paid 30.00 cash on the first day and 20.00 card on the second; the visitor's
    // 80.00 issued on the second day, 50.00 by transfer and 10.00 refunded in cash (40.00 still owed); a void
    // invoice of 20.00 that counts for nothing.
    let i1 = invoice(app, s1, "student", d1, 5_000, a, "issued").await;
    payment(app, i1, "cash", 3_000, d1, a).await;
    payment(app, i1, "card", 2_000, d2, a).await;
    let i2 = invoice(app, guest, "visitor", d2, 8_000, a, "issued").await;
    payment(app, i2, "transfer", 5_000, d2, a).await;
    payment(app, i2, "cash", -1_000, d2, a).await;
    invoice(app, s2, "student", d1, 2_000, a, "void").await;

    // Pharmacy: 3 then 2 tablets of a drug priced 1.00 each.
    let drug = exec(
        app,
        "INSERT INTO drug (name, form, strength, unit_price, created_at, updated_at) VALUES ('Paracetamol', 'tablet', '500 mg', 100, 0, 0) RETURNING id",
        &[],
    )
    .await;
    let batch = exec(
        app,
        "INSERT INTO drug_batch (drug_id, batch_number, quantity, expires_on, cost_price, received_on, created_at)
         VALUES ($1, 'PCM-1', 95, '2099-01-01', 40, '2026-01-01', 0) RETURNING id",
        &[I(drug)],
    )
    .await;
    for (day, quantity, balance) in [(d1, 3, 97), (d2, 2, 95)] {
        exec(
            app,
            "INSERT INTO stock_movement (batch_id, drug_id, kind, quantity, balance, at, day)
             VALUES ($1, $2, 'dispense', $3, $4, $5, $6) RETURNING id",
            &[
                I(batch),
                I(drug),
                I(-quantity),
                I(balance),
                I(at(app, day, 12, 0).0),
                T(day.format("%Y-%m-%d").to_string()),
            ],
        )
        .await;
    }
    Fixture { admin, d1, d2 }
}

fn period(f: &Fixture) -> String {
    format!("from={}&to={}", f.d1.format("%Y-%m-%d"), f.d2.format("%Y-%m-%d"))
}

/// A table of a report page as its cells' values (rows, then the total row).
fn table(page: &Page, slug: &str) -> Vec<Vec<String>> {
    let html = page.html();
    let rows = scraper::Selector::parse(&format!(
        "#table-{slug} tbody tr:not(.quiet-run), #table-{slug} tfoot tr"
    ))
    .expect("selector");
    let cells = scraper::Selector::parse("td").expect("selector");
    html.select(&rows)
        .map(|row| {
            row.select(&cells)
                .map(|cell| cell.value().attr("data-value").unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

/// A report's table as the page shows it, checked equal to its CSV (after the CSV's header).
pub(crate) async fn report_table(admin: &Client, report: &str, slug: &str, period: &str) -> Vec<Vec<String>> {
    let page = admin.get(&format!("/admin/reports/{report}?{period}")).await;
    page.assert_status(StatusCode::OK);
    let rows = table(&page, slug);
    let csv = admin
        .get(&format!("/admin/reports/{report}/csv?table={slug}&{period}"))
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(records, rows, "the CSV of {report}/{slug} holds the table");
    rows
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(|c| (*c).to_owned()).collect())
        .collect()
}

async fn assert_known_answers(app: &TestApp, f: &Fixture) {
    let (d1, d2) = (f.d1.format("%Y-%m-%d").to_string(), f.d2.format("%Y-%m-%d").to_string());
    let p = period(f);
    let admin = &f.admin;
    assert_eq!(
        report_table(admin, "visits", "by_day", &p).await,
        strings(&[&[&d1, "5", "0"], &[&d2, "2", "0"], &["Total", "7", "0"]])
    );
    let doctors = report_table(admin, "visits", "by_doctor", &p).await;
    assert_eq!(
        doctors.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(),
        ["4", "3", "7"]
    );
    assert_eq!(doctors[0][2], "57.1");

    assert_eq!(
        report_table(admin, "appointments", "by_day", &p).await,
        strings(&[
            &[&d1, "6", "4", "1", "1", "20.0"],
            &[&d2, "3", "2", "0", "1", "33.3"],
            &["Total", "9", "6", "1", "2", "25.0"],
        ])
    );

    let times = report_table(admin, "times", "by_doctor", &p).await;
    // Doctor A: waits 10 20 30 40 (median 20, 90th 40), consultations 5 10 15 25 (10, 25). Doctor B: waits 5 15,
    // consultations 20 20 30. Everyone: waits 5 10 15 20 30 40; consultations 5 10 15 20 20 25 30.
    let by_id: Vec<&[String]> = times.iter().map(|r| &r[1..]).collect();
    assert!(
        by_id.contains(&&strings(&[&["4", "20", "40", "4", "10", "25"]])[0][..]),
        "{times:?}"
    );
    assert!(
        by_id.contains(&&strings(&[&["2", "5", "15", "3", "20", "30"]])[0][..]),
        "{times:?}"
    );
    assert_eq!(
        times.last().map(|r| &r[1..]),
        Some(&strings(&[&["6", "15", "40", "7", "20", "30"]])[0][..])
    );
    let per_day = report_table(admin, "times", "by_day", &p).await;
    assert_eq!(per_day[0][1..], strings(&[&["5", "15", "30", "5", "15", "20"]])[0][..]);

    assert_eq!(
        report_table(admin, "diagnoses", "diagnoses", &p).await,
        strings(&[
            &["B54", "Unspecified malaria", "3", "50.0"],
            &["", "Sore eyes", "2", "33.3"],
            &["J06.9", "Acute upper respiratory infection, unspecified", "1", "16.7"],
            &["Total", "", "6", "100.0"],
        ])
    );

    assert_eq!(
        report_table(admin, "revenue", "by_day", &p).await,
        strings(&[
            &[&d1, "30.00", "30.00", "0.00", "0.00", "50.00"],
            &[&d2, "60.00", "-10.00", "20.00", "50.00", "80.00"],
            &["Total", "90.00", "20.00", "20.00", "50.00", "130.00"],
        ])
    );
    assert_eq!(
        report_table(admin, "revenue", "by_category", &p).await,
        strings(&[
            &["Student", "50.00", "1", "50.00"],
            &["Visitor", "40.00", "1", "80.00"],
            &["Total", "90.00", "2", "130.00"]
        ])
    );
    assert_eq!(
        report_table(admin, "revenue", "owed", &p).await,
        strings(&[
            &["Up to 30 days", "1", "40.00"],
            &["31 to 60 days", "0", "0.00"],
            &["61 to 90 days", "0", "0.00"],
            &["Over 90 days", "0", "0.00"],
            &["Total", "1", "40.00"],
        ])
    );
    // Days with nothing to count fold under one line on the page; the CSV keeps every day.
    let quiet = format!(
        "from={}&to={}",
        Date::add_days(f.d1, -10).format("%Y-%m-%d"),
        f.d2.format("%Y-%m-%d")
    );
    let days = report_table(admin, "revenue", "by_day", &quiet).await;
    assert_eq!(days.len(), 13, "12 days and the total");
    let page = admin.get(&format!("/admin/reports/revenue?{quiet}")).await;
    assert_eq!(page.texts("#table-by_day .quiet-run").len(), 1);
    assert!(
        page.text("#table-by_day .quiet-run")
            .starts_with("10 days with nothing,"),
        "{}",
        page.text("#table-by_day .quiet-run")
    );
    assert_eq!(page.texts("#table-by_day tr.quiet-day").len(), 10);

    // The report leads with its totals, the same as its tables'.
    let page = admin.get(&format!("/admin/reports/revenue?{p}")).await;
    let currency = app.state.settings.get().currency();
    let money = |minor: i64| currency.format(sickbay_core::db::Money(minor));
    assert_eq!(
        page.texts("#headlines .stat"),
        [
            format!("{} Collected", money(9_000)),
            format!("{} Invoiced", money(13_000)),
            format!("{} Owed now", money(4_000)),
            format!("{} Due from schemes", money(0)),
        ]
    );

    // The reports' index leads each report with the same totals as its page, for the last 30 days.
    let index = admin.get("/admin/reports").await;
    for report in ["visits", "appointments", "revenue", "pharmacy"] {
        let own = admin.get(&format!("/admin/reports/{report}")).await;
        let figures = index.texts(&format!("#report-{report} dd"));
        assert!(!figures.is_empty(), "{report}");
        assert_eq!(figures, own.texts("#headlines .stat-number"), "{report}");
    }

    assert_eq!(
        report_table(admin, "pharmacy", "dispensed", &p).await,
        strings(&[&["Paracetamol 500 mg (tablet)", "5", "5.00"], &["Total", "5", "5.00"]])
    );
    assert_eq!(
        report_table(admin, "pharmacy", "stock", &p).await,
        strings(&[
            &["Paracetamol 500 mg (tablet)", "95", "38.00", "95.00"],
            &["Total", "95", "38.00", "95.00"]
        ])
    );

    // Students: Ada twice and Bola in Science, Chidi and Dayo in Arts; the visitor's visits are not students'.
    assert_eq!(
        report_table(admin, "students", "by_faculty", &p).await,
        strings(&[
            &["Science", "3", "60.0"],
            &["Arts", "2", "40.0"],
            &["Total", "5", "100.0"]
        ])
    );
    let _ = app;
}

async fn each_report_gives_the_numbers_worked_out_by_hand(app: TestApp) {
    let f = known_clinic(&app).await;
    // Read from the clinic's tables: no day is summarized yet.
    assert_eq!(app.count("SELECT COUNT(*) FROM summary_day").await, 0);
    assert_known_answers(&app, &f).await;
    // The same answers from the kept summaries of the closed days.
    let settings = app.state.settings.get();
    let summarized =
        sickbay_core::reports::summarize_closed_days(app.db(), settings.today(), settings.clinic.time_zone)
            .await
            .expect("summaries");
    assert!(summarized >= 2, "{summarized}");
    assert!(app.count("SELECT COUNT(*) FROM daily_figure").await > 0);
    // The kept figures are what the reports read now: one changed behind the app's back shows.
    assert_known_answers(&app, &f).await;
    let d1 = f.d1.format("%Y-%m-%d").to_string();
    let bump = |by: i64| {
        let d1 = d1.clone();
        let app = &app;
        async move {
            exec(
                app,
                "UPDATE daily_figure SET n = n + $2 WHERE metric = 'visits' AND day = $1 RETURNING n",
                &[T(d1), I(by)],
            )
            .await
        }
    };
    bump(100).await;
    // A period not shown before: a report shown is read again only after an audited change.
    let first_day = format!("from={d1}&to={d1}");
    let rows = report_table(&f.admin, "visits", "by_day", &first_day).await;
    assert_ne!(rows[0][1], "5", "the kept figures are read");
    bump(-100).await;
    let again = sickbay_core::reports::summarize_closed_days(app.db(), settings.today(), settings.clinic.time_zone)
        .await
        .expect("summaries");
    assert_eq!(again, 0, "nothing changed, nothing summarized again");
    // The page draws its charts and reads in words.
    let page = f.admin.get(&format!("/admin/reports/visits?{}", period(&f))).await;
    assert_eq!(
        page.html()
            .select(&scraper::Selector::parse("svg[role=img]").expect("s"))
            .count(),
        2
    );
    assert!(page.text("figure").contains("Visits per day"));
}

async fn a_late_change_to_a_closed_day_is_summarized_again(app: TestApp) {
    let f = known_clinic(&app).await;
    let settings = app.state.settings.get();
    let (today, zone) = (settings.today(), settings.clinic.time_zone);
    sickbay_core::reports::summarize_closed_days(app.db(), today, zone)
        .await
        .expect("summaries");
    let kept = app
        .count("SELECT COUNT(*) FROM daily_figure WHERE metric = 'appointments' AND dim = 'no_show'")
        .await;
    assert_eq!(kept, 2);
    let d1 = f.d1.format("%Y-%m-%d").to_string();
    let before = report_table(&f.admin, "appointments", "by_day", &period(&f)).await;
    assert_eq!(before[0], strings(&[&[&d1, "6", "4", "1", "1", "20.0"]])[0]);
    // The first day's no-show is corrected the next morning: the patient did come.
    let no_show = app
        .count(&format!(
            "SELECT id FROM appointment WHERE status = 'no_show' AND day = '{}'",
            f.d1.format("%Y-%m-%d")
        ))
        .await;
    sickbay_core::scheduling::service::correct_status(
        app.db(),
        &Actor::system("test"),
        DoctorScope::Any,
        no_show,
        AppointmentStatus::CheckedIn,
        "came late",
    )
    .await
    .expect("corrected");
    // At once, before the job (and though the report was just shown): the day is read from the tables again.
    let rows = report_table(&f.admin, "appointments", "by_day", &period(&f)).await;
    assert_eq!(rows[0], strings(&[&[&d1, "6", "4", "1", "0", "0.0"]])[0]);
    assert_eq!(rows[2], strings(&[&["Total", "9", "6", "1", "1", "12.5"]])[0]);
    // The job computes the changed day again, and only it.
    assert_eq!(
        sickbay_core::reports::summarize_closed_days(app.db(), today, zone)
            .await
            .expect("summaries"),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM daily_figure WHERE metric = 'appointments' AND dim = 'no_show'")
            .await,
        1
    );
    assert_eq!(
        report_table(&f.admin, "appointments", "by_day", &period(&f)).await,
        rows
    );
}

async fn days_are_the_clinics_local_days(app: TestApp) {
    app.set_setting("time_zone", ZONE).await;
    let admin = app.admin().await;
    let today = app.state.settings.get().today();
    let (d1, d2) = (Date::add_days(today, -3), Date::add_days(today, -2));
    let ids = PATIENTS.named(&app, &["Late", "Early"]).await;
    // 23:30 in New York is 04:30 UTC the next day; 00:30 is still the day before in UTC.
    exec(
        &app,
        "UPDATE patient SET created_at = $2 WHERE id = $1 RETURNING id",
        &[I(ids[0]), I(at(&app, d1, 23, 30).0)],
    )
    .await;
    exec(
        &app,
        "UPDATE patient SET created_at = $2 WHERE id = $1 RETURNING id",
        &[I(ids[1]), I(at(&app, d2, 0, 30).0)],
    )
    .await;
    let p = format!("from={}&to={}", d1.format("%Y-%m-%d"), d2.format("%Y-%m-%d"));
    let expected = strings(&[
        &[&d1.format("%Y-%m-%d").to_string(), "0", "1"],
        &[&d2.format("%Y-%m-%d").to_string(), "0", "1"],
        &["Total", "0", "2"],
    ]);
    assert_eq!(report_table(&admin, "visits", "by_day", &p).await, expected);
    let settings = app.state.settings.get();
    sickbay_core::reports::summarize_closed_days(app.db(), today, settings.clinic.time_zone)
        .await
        .expect("summaries");
    assert_eq!(report_table(&admin, "visits", "by_day", &p).await, expected);
    // A period of one day holds only that day's.
    let one = format!("from={0}&to={0}", d1.format("%Y-%m-%d"));
    assert_eq!(
        report_table(&admin, "visits", "by_day", &one).await[1],
        strings(&[&["Total", "0", "1"]])[0]
    );
}

async fn only_admins_open_reports_and_bad_periods_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let (_, doctor) = doctor(&app, "dr.nosy").await;
    let reception = app.login_as("frontdesk", Role::Reception).await;
    PATIENTS.named(&app, &["Pat"]).await;
    let student = PATIENTS.client(&app, 0).await;
    for (who, client) in [("doctor", &doctor), ("reception", &reception), ("student", &student)] {
        for path in [
            "/admin/reports",
            "/admin/reports/revenue",
            "/admin/reports/revenue/csv?table=by_day",
        ] {
            let page = client.get(path).await;
            assert!(
                page.status == StatusCode::FORBIDDEN || page.status == StatusCode::SEE_OTHER,
                "{who} GET {path}: {}",
                page.status
            );
            assert!(!page.body.contains("Collected"), "{who} sees no figures at {path}");
        }
    }
    let anonymous = app.client();
    anonymous
        .get("/admin/reports/visits")
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let index = admin.get("/admin/reports").await;
    index.assert_status(StatusCode::OK);
    assert_eq!(index.texts("#reports li").len(), 7);
    admin
        .get("/admin/reports/nothing")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .get("/admin/reports/visits/csv?table=nothing")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let today = app.state.settings.get().today();
    let tomorrow = Date::add_days(today, 1).format("%Y-%m-%d").to_string();
    for (query, field, message) in [
        (format!("to={tomorrow}"), "to", "ends today at the latest"),
        ("from=2026-13-01".to_owned(), "from", "YYYY-MM-DD"),
        (
            format!("from={tomorrow}&to={}", today.format("%Y-%m-%d")),
            "from",
            "comes after",
        ),
        ("from=2020-01-01".to_owned(), "from", "at most 731 days"),
    ] {
        let page = admin.get(&format!("/admin/reports/visits?{query}")).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text(&format!("#{field}-error")).contains(message),
            "{query}: {}",
            page.body
        );
        admin
            .get(&format!("/admin/reports/visits/csv?table=by_day&{query}"))
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The default period is the last 30 days, today included.
    let page = admin.get("/admin/reports/appointments").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(table(&page, "by_day").len(), 31);
}

/// The admin's home and two reports at a desktop's size, and a report on a phone, in headless Chromium.
async fn the_admin_reads_reports_in_a_browser(app: TestApp) {
    let f = known_clinic(&app).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-reports")).await else {
        return;
    };
    desk.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
    desk.screenshot("90-admin-home").await;
    desk.goto(&app, "/admin/reports").await;
    desk.click("#reports a[href^='/admin/reports/revenue']").await;
    wait_for(&desk, "h1", |t| t == "Revenue", "the revenue report").await;
    // Another period, in one click.
    desk.click(".period-presets a:nth-child(2)").await;
    let week = Date::add_days(app.state.settings.get().today(), -6);
    let from = week.format("%-d %B %Y").to_string();
    wait_for(&desk, "#period", |t| t.contains(&from), "the last 7 days").await;
    assert!(desk.text("#table-by_day tfoot").await.contains("90.00"));
    assert!(desk.fits_width().await, "the revenue report fits the desktop");
    desk.screenshot("91-report-revenue").await;
    // Ten days with nothing fold under one line, which opens them.
    let quiet = format!(
        "/admin/reports/revenue?from={}&to={}",
        Date::add_days(f.d1, -10).format("%Y-%m-%d"),
        f.d2.format("%Y-%m-%d")
    );
    desk.goto(&app, &quiet).await;
    let shown = "return [Array.from(document.querySelectorAll('#table-by_day tbody tr'))
                   .filter(row => row.offsetParent !== null).length,
                 document.querySelector('#table-by_day .quiet-run button').getAttribute('aria-expanded')];";
    let folded = desk.client.execute(shown, vec![]).await.expect("rows");
    assert_eq!(folded, serde_json::json!([3, "false"]), "the fold's line and two days");
    desk.click("#table-by_day .quiet-run button").await;
    let opened = desk.client.execute(shown, vec![]).await.expect("rows");
    assert_eq!(opened, serde_json::json!([13, "true"]));
    desk.screenshot("91-report-revenue-quiet-days").await;
    desk.goto(&app, &format!("/admin/reports/times?{}", period(&f))).await;
    assert!(desk.text("#table-by_doctor tfoot").await.contains("Total"));
    desk.screenshot("92-report-times").await;
    desk.close().await;

    let Some(phone) = Browser::start(360, 780, &format!("{backend}-reports-phone")).await else {
        return;
    };
    phone.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
    phone.goto(&app, &format!("/admin/reports/visits?{}", period(&f))).await;
    assert!(phone.fits_width().await, "the visits report fits a phone");
    phone.screenshot("93-report-visits-phone").await;
    phone.close().await;
}
