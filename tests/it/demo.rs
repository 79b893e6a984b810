//! `sickbay demo`: it fills an empty database with a whole clinic, the same one for the same seed, refuses a
//! database that holds a clinic, and the logins it prints open each role's home page.

use std::process::Output;

use reqwest::StatusCode;
use sickbay_core::db::Timestamp;
use sickbay_core::demo::{self, DEFAULT_SEED, DemoError, Options, Size};

use crate::cli::{sickbay, text};
use crate::support::{TestApp, on_both_databases};

on_both_databases!(
    empty: the_demo_fills_an_empty_database_with_a_clinic_at_work,
    the_same_seed_makes_the_same_clinic,
    the_printed_logins_open_each_home_page,
);
on_both_databases!(the_demo_refuses_a_database_that_holds_a_clinic);

const SMALL: Options = Options {
    size: Size::Small,
    seed: DEFAULT_SEED,
};

async fn rows<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql).fetch_all(app.db().pool()).await.expect(sql)
}

async fn the_demo_fills_an_empty_database_with_a_clinic_at_work(app: TestApp) {
    let made = demo::run(app.db(), &SMALL).await.expect("demo");

    let roles: Vec<(String, i64)> = rows(&app, "SELECT role, COUNT(*) FROM staff GROUP BY role ORDER BY role").await;
    let roles: Vec<(&str, i64)> = roles.iter().map(|(r, n)| (r.as_str(), *n)).collect();
    assert_eq!(
        roles,
        [
            ("admin", 1),
            ("doctor", 6),
            ("lab", 1),
            ("pharmacist", 1),
            ("reception", 1)
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE must_change_password = 1")
            .await,
        0
    );
    let students = "SELECT COUNT(*) FROM patient WHERE kind = 'student' AND matric_number IS NOT NULL
        AND faculty_id IS NOT NULL AND department_id IS NOT NULL AND level_id IS NOT NULL AND session_id IS NOT NULL
        AND password_hash IS NOT NULL AND must_change_password = 0";
    assert_eq!(app.count(students).await, 500);
    assert_eq!(made.counts.students, 500);
    // The roll was imported when the records began: today's new patient is the walk-in registered at the desk.
    let settings = app.state.settings.get();
    let midnight = Timestamp::start_of_day(settings.today(), settings.clinic.time_zone);
    let new_today = format!("SELECT COUNT(*) FROM patient WHERE created_at >= {}", midnight.0);
    assert_eq!(app.count(&new_today).await, 1);
    for table in ["faculty", "department", "level", "academic_session", "room"] {
        assert!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await > 2, "{table}");
    }
    let doctors_with_hours = "SELECT COUNT(DISTINCT doctor_id) FROM doctor_hours WHERE active = 1";
    assert_eq!(app.count(doctors_with_hours).await, 6);

    let today = sickbay_core::db::Date(app.state.settings.get().today()).to_string();
    let statuses =
        |when: &str| format!("SELECT DISTINCT status FROM appointment WHERE day {when} '{today}' ORDER BY status");
    let past: Vec<(String,)> = rows(&app, &statuses("<")).await;
    assert_eq!(
        past,
        [("cancelled".into(),), ("completed".into(),), ("no_show".into(),)]
    );
    let ahead: Vec<(String,)> = rows(&app, &statuses(">")).await;
    assert!(ahead.contains(&("booked".into(),)), "{ahead:?}");
    let generated_ahead = format!("SELECT COUNT(*) FROM slot WHERE day > '{today}' AND booked = 0");
    assert!(
        app.count(&generated_ahead).await > 100,
        "free slots were generated ahead"
    );

    let queue: Vec<(String,)> = rows(
        &app,
        &format!("SELECT DISTINCT status FROM ticket WHERE day = '{today}' ORDER BY status"),
    )
    .await;
    let queue: Vec<&str> = queue.iter().map(|(s,)| s.as_str()).collect();
    assert_eq!(queue, ["called", "completed", "no_show", "waiting", "with_doctor"]);
    // Today's morning took a morning (squeezed into the day so far just after midnight): arrivals spread over
    // at least half an hour, each call after its arrival, each start after its call.
    let arrivals = format!("SELECT MAX(checked_in_at) - MIN(checked_in_at) FROM ticket WHERE day = '{today}'");
    let day_so_far = Timestamp::now().0 - midnight.0;
    assert!(app.count(&arrivals).await >= (30 * 60_000).min(day_so_far / 2));
    let out_of_order = format!(
        "SELECT COUNT(*) FROM ticket WHERE day = '{today}'
         AND (called_at <= checked_in_at OR started_at <= called_at OR finished_at < called_at)"
    );
    assert_eq!(app.count(&out_of_order).await, 0);
    let visits_off_their_ticket = format!(
        "SELECT COUNT(*) FROM visit v JOIN ticket t ON t.id = v.ticket_id
         WHERE v.day = '{today}' AND (v.started_at <> t.started_at OR v.completed_at <> t.finished_at)"
    );
    assert_eq!(app.count(&visits_off_their_ticket).await, 0);
    let doctors_at_work = format!("SELECT COUNT(DISTINCT doctor_id) FROM ticket WHERE day = '{today}'");
    assert_eq!(app.count(&doctors_at_work).await, 6);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM room_assignment WHERE day = '{today}'"))
            .await,
        6
    );
    let past_visits = format!("SELECT COUNT(*) FROM ticket WHERE day < '{today}' AND status = 'completed'");
    assert!(app.count(&past_visits).await > 0);
    // Each past visit has its record; some have a released result, read by the lab attendant.
    let visits = format!("SELECT COUNT(*) FROM visit WHERE status = 'completed' AND day < '{today}'");
    let visits = app.count(&visits).await;
    assert_eq!(visits, app.count(&past_visits).await);
    for record in ["diagnosis", "vitals"] {
        let recorded = format!(
            "SELECT COUNT(DISTINCT r.visit_id) FROM {record} r JOIN visit v ON v.id = r.visit_id
             WHERE v.day < '{today}'"
        );
        assert_eq!(app.count(&recorded).await, visits, "{record}");
    }
    // Today the lab has samples to take and samples taken, waiting to be read.
    let waiting = |taken: &str| {
        format!(
            "SELECT COUNT(*) FROM lab_order o JOIN visit v ON v.id = o.visit_id WHERE v.day = '{today}' AND o.status = 'ordered' AND o.collected_at IS {taken}"
        )
    };
    assert!(app.count(&waiting("NULL")).await > 0 && app.count(&waiting("NOT NULL")).await > 0);
    let released = "SELECT COUNT(*) FROM lab_order o JOIN staff s ON s.id = o.resulted_by
        WHERE o.status = 'released' AND s.role = 'lab'";
    assert!(app.count(released).await > 0);
    // A result out of the usual reaches the patient only once its doctor has seen it (the rule a new clinic
    // keeps): this week's wait on the doctors' homes, unreleased.
    let out_of_the_usual = "o.flag IN ('low', 'high', 'abnormal')";
    let released_unseen = format!(
        "SELECT COUNT(*) FROM lab_order o WHERE {out_of_the_usual} AND o.status = 'released' AND o.seen_at IS NULL"
    );
    assert_eq!(app.count(&released_unseen).await, 0);
    let waiting_for_the_doctor = format!(
        "SELECT COUNT(*) FROM lab_order o WHERE {out_of_the_usual} AND o.status = 'resulted' AND o.seen_at IS NULL"
    );
    assert!(app.count(&waiting_for_the_doctor).await > 0);
    assert!(app.count("SELECT COUNT(*) FROM drug").await > 20);
    assert!(app.count("SELECT COUNT(*) FROM procedure_type").await > 0);

    let audited = "SELECT COUNT(DISTINCT action) FROM audit_event WHERE action IN
        ('patient.create', 'appointment.book', 'appointment.cancel', 'ticket.check_in', 'ticket.call', 'ticket.complete')";
    assert_eq!(app.count(audited).await, 6);
    let in_the_future = format!("SELECT COUNT(*) FROM audit_event WHERE at > {}", Timestamp::now().0);
    assert_eq!(
        app.count(&in_the_future).await,
        0,
        "no audit row is dated after the demo"
    );
    assert_eq!(made.logins.len(), 13, "{:?}", made.logins);

    the_past_visits_are_billed_and_paid(&app, &made, &today).await;
}

/// Billing: priced invoices for the recent past visits, issued on the visit's day, with payments by each
/// method, some owed, a refund with its credit note, closed days and the scheme's claim; every invoice's
/// figures add up.
async fn the_past_visits_are_billed_and_paid(app: &TestApp, made: &demo::Demo, today: &str) {
    let fee = "SELECT price FROM fee WHERE kind = 'consultation'";
    assert_eq!(app.count(fee).await, 200_000);
    let by_category = "SELECT category || ' ' || CAST(price AS TEXT) FROM category_price
        WHERE item_kind = 'fee' ORDER BY category";
    let by_category: Vec<(String,)> = rows(app, by_category).await;
    assert_eq!(by_category, [("staff 100000".into(),), ("student 0".into(),)]);
    assert_eq!(
        app.count("SELECT price FROM fee WHERE name = 'Medical report'").await,
        300_000
    );
    assert!(
        app.count("SELECT COUNT(*) FROM category_price WHERE item_kind = 'lab_test'")
            .await
            >= 2
    );
    let scheme = "SELECT COUNT(*) FROM scheme WHERE name = 'Student Health Insurance Scheme' AND percent = 80
        AND covers_consultation = 1 AND covers_lab = 1 AND covers_drugs = 1 AND covers_services = 0
        AND yearly_limit = 5000000";
    assert_eq!(app.count(scheme).await, 1);
    let members = app
        .count("SELECT COUNT(*) FROM patient_scheme WHERE member_number LIKE 'SHIS-%'")
        .await;
    assert!(members > 100, "{members} members");
    assert_eq!(members as usize, made.billed.members);

    let past_invoices = format!(
        "SELECT COUNT(*) FROM invoice i JOIN visit v ON v.id = i.visit_id
         WHERE v.day < '{today}' AND i.issued_day = v.day AND i.number IS NOT NULL"
    );
    // A student's consultation is free, so a visit with nothing else charged makes no invoice; one with a lab
    // test or a drug has something to pay.
    let past_charged = format!(
        "SELECT COUNT(*) FROM visit v WHERE v.status = 'completed' AND v.day < '{today}'
         AND (EXISTS (SELECT 1 FROM lab_order l WHERE l.visit_id = v.id)
              OR EXISTS (SELECT 1 FROM prescription p WHERE p.visit_id = v.id))"
    );
    let (billed, charged) = (app.count(&past_invoices).await, app.count(&past_charged).await);
    assert!(charged > 0, "some past visits ordered a test or a drug");
    assert!(
        billed * 10 >= charged * 8,
        "most past visits with something to pay are billed on their day: {billed} of {charged}"
    );
    assert!(billed < charged, "a few are left for the cashier");
    assert_eq!(
        made.counts.invoices,
        app.count("SELECT COUNT(*) FROM invoice WHERE status <> 'draft'").await
    );
    // Every invoice's shares add up to its total, and nobody paid or was credited more than their share.
    let wrong = "SELECT COUNT(*) FROM invoice
        WHERE scheme_share + patient_share <> total OR paid + credited > patient_share";
    assert_eq!(app.count(wrong).await, 0);
    let statuses: Vec<(String,)> = rows(app, "SELECT DISTINCT status FROM invoice ORDER BY status").await;
    assert_eq!(
        statuses,
        [("issued".into(),), ("paid".into(),), ("partly_paid".into(),)]
    );
    let methods: Vec<(String,)> = rows(
        app,
        "SELECT DISTINCT method FROM payment WHERE kind = 'payment' ORDER BY method",
    )
    .await;
    assert_eq!(methods, [("card".into(),), ("cash".into(),), ("transfer".into(),)]);
    let change = "SELECT COUNT(*) FROM payment WHERE method = 'cash' AND tendered > amount";
    assert!(app.count(change).await > 0, "cash with change");
    let referenced = "SELECT COUNT(*) FROM payment WHERE kind = 'payment' AND method <> 'cash' AND reference = ''";
    assert_eq!(
        app.count(referenced).await,
        0,
        "card and transfer payments carry a reference"
    );
    let paid = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment";
    let on_invoices = "SELECT CAST(COALESCE(SUM(paid), 0) AS BIGINT) FROM invoice";
    assert_eq!(app.count(paid).await, app.count(on_invoices).await);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment WHERE kind = 'refund'").await, 1);
    let credited = "SELECT COUNT(*) FROM credit_note c JOIN payment p ON p.invoice_id = c.invoice_id
        AND p.kind = 'refund' AND -p.amount = c.amount";
    assert_eq!(app.count(credited).await, 1);
    let closed = format!("SELECT COUNT(*) FROM cash_close WHERE day < '{today}'");
    assert!(app.count(&closed).await > 0);
    // The scheme's claim: its share of the covered students' invoices, by the month they were issued.
    let claim = "SELECT COUNT(*) FROM invoice WHERE scheme_id IS NOT NULL AND scheme_share > 0
        AND claim_status IN ('pending', 'submitted', 'paid', 'rejected') AND issued_month IS NOT NULL";
    assert!(app.count(claim).await > 0);
    assert_eq!(made.counts.claim_lines, app.count(claim).await);
    let this_month = &today[..7];
    let unsent = format!(
        "SELECT COUNT(*) FROM invoice WHERE scheme_share > 0 AND issued_month < '{this_month}'
         AND claim_status = 'pending'"
    );
    assert_eq!(app.count(&unsent).await, 0, "earlier months' claims are submitted");
}

/// The rows that make the clinic what it is, in a form that doesn't depend on when the demo ran.
async fn clinic_rows(app: &TestApp) -> Vec<Vec<String>> {
    let queries = [
        "SELECT username || ' ' || role || ' ' || full_name FROM staff ORDER BY id",
        "SELECT clinic_number || ' ' || matric_number || ' ' || first_name || ' ' || surname || ' ' || phone
         FROM patient WHERE kind = 'student' ORDER BY id",
        "SELECT p.clinic_number || ' ' || st.username || ' ' || CAST(s.starts_at AS TEXT) || ' ' || a.status
         FROM appointment a JOIN patient p ON p.id = a.patient_id JOIN slot s ON s.id = a.slot_id
         JOIN staff st ON st.id = s.doctor_id ORDER BY a.id",
        "SELECT t.day || ' ' || t.code || ' ' || t.status || ' ' || p.clinic_number
         FROM ticket t JOIN patient p ON p.id = t.patient_id ORDER BY t.id",
        "SELECT i.number || ' ' || p.clinic_number || ' ' || i.status || ' ' || CAST(i.total AS TEXT) || ' '
                || CAST(i.scheme_share AS TEXT) || ' ' || CAST(i.paid AS TEXT) || ' ' || i.claim_status
         FROM invoice i JOIN patient p ON p.id = i.patient_id ORDER BY i.number",
        "SELECT number || ' ' || method || ' ' || CAST(amount AS TEXT) || ' ' || day FROM payment ORDER BY number",
    ];
    let mut all = Vec::new();
    for sql in queries {
        let found: Vec<(String,)> = rows(app, sql).await;
        all.push(found.into_iter().map(|(row,)| row).collect());
    }
    all
}

async fn the_same_seed_makes_the_same_clinic(app: TestApp) {
    let other = app.empty_like().await;
    demo::run(app.db(), &SMALL).await.expect("demo");
    demo::run(other.db(), &SMALL).await.expect("demo again");
    let (first, second) = (clinic_rows(&app).await, clinic_rows(&other).await);
    for (a, b) in first.iter().zip(&second) {
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }
}

async fn the_demo_refuses_a_database_that_holds_a_clinic(app: TestApp) {
    let refused = demo::run(app.db(), &SMALL).await;
    assert!(matches!(refused, Err(DemoError::NotEmpty(_))), "{refused:?}");
    let out = run_binary(&app, &["demo"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
}

async fn run_binary(app: &TestApp, args: &[&str]) -> Output {
    let (url, args): (String, Vec<String>) = (app.db().url().to_owned(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sickbay(&args, &url, None)
    })
    .await
    .expect("sickbay ran")
}

/// The login table's rows: (login, password), from the header line to the first empty line.
fn printed_logins(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("login "))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

async fn the_printed_logins_open_each_home_page(app: TestApp) {
    let out = run_binary(&app, &["demo", "--seed", "7"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let logins = printed_logins(&stdout);
    assert_eq!(logins.len(), 13, "{stdout}");
    let find = |prefix: &str| {
        logins
            .iter()
            .find(|(login, _)| login.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} login in {stdout}"))
    };
    let student = logins.iter().find(|(login, _)| login.contains('/')).expect("a student");
    for ((login, password), home) in [(find("admin"), "/admin"), (find("dr."), "/doctor"), (student, "/me")] {
        let client = app.client();
        client.login(login, password).await.assert_redirect(home);
        let page = client.get(home).await;
        page.assert_status(StatusCode::OK);
        assert!(
            !page.has("input[name=new_password]"),
            "{login} is asked to change the password"
        );
    }
    assert!(stdout.contains("sickbay --database-url"), "{stdout}");
    assert!(
        stdout.contains("/billing/claims?scheme="),
        "what a cashier can try: {stdout}"
    );
    // `sickbay` on the filled database serves it without making an administrator of its own.
    assert_eq!(sickbay::cli::bootstrap_admin(app.db()).await.expect("bootstrap"), None);
    let again = run_binary(&app, &["demo"]).await;
    assert_eq!(again.status.code(), Some(2));
}
