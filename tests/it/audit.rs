//! The audit trail: filtered by who, patient, action, kind of record and days (the clinic's local days), paged
//! from a cursor with the filters kept, its CSV equal to the page, bad filters answered with a message, only for
//! admins; "who looked at this record" from the patient's page; a patient's own list of the staff who opened
//! their record (roles only, names when the clinic says so); and a log that nothing can change or delete.

use chrono::TimeZone;
use reqwest::StatusCode;
use sickbay_core::db::Timestamp;
use sickbay_core::identity::Role;

use crate::support::{
    Client, Page, Students, TestApp, add_room, appointment_on, doctor, new_visit, on_both_databases, slot_in,
};

on_both_databases!(
    only_admins_read_the_trail_and_its_csv,
    each_filter_narrows_the_trail,
    a_day_is_the_clinics_local_day,
    paging_keeps_the_filters,
    the_csv_holds_the_rows_the_page_shows,
    a_long_trail_streams_every_entry_once_newest_first,
    bad_filters_are_answered_with_a_message,
    who_looked_at_a_record_from_the_patients_page,
    a_patient_sees_which_roles_opened_their_own_record,
    staff_names_are_shown_to_patients_only_when_the_clinic_says_so,
    no_route_or_query_changes_or_deletes_the_log,
    a_read_is_in_the_log_as_soon_as_the_page_is_shown,
    every_page_of_a_patients_record_writes_its_read_and_the_patient_sees_it,
    a_record_is_named_as_people_speak_of_it,
);

const PATIENTS: Students = Students::new("AU", "Audit");

// == Helpers ==

/// The texts of column `n` (from 1) of the trail's rows.
fn column(page: &Page, n: usize) -> Vec<String> {
    page.texts(&format!("#audit-rows tbody tr td:nth-child({n})"))
}

/// When each row of the trail was written, as its `<time>` says it: `2026-03-14T23:30:00`, sortable.
fn whens(page: &Page) -> Vec<String> {
    let selector = scraper::Selector::parse("#audit-rows tbody td:first-child time").expect("selector");
    page.html()
        .select(&selector)
        .filter_map(|time| time.value().attr("datetime").map(str::to_owned))
        .collect()
}

/// An entry written straight into the log, at a chosen time; its id.
async fn insert(
    app: &TestApp,
    at: Timestamp,
    actor: (&str, Option<i64>, &str),
    action: &str,
    record: Option<(&str, i64)>,
    patient: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit_event (at, actor_kind, actor_id, actor_label, action, record_type, record_id, patient_id,
             ip, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '10.0.0.9', '') RETURNING id",
    )
    .bind(at)
    .bind(actor.0)
    .bind(actor.1)
    .bind(actor.2)
    .bind(action)
    .bind(record.map(|r| r.0))
    .bind(record.map(|r| r.1))
    .bind(patient)
    .fetch_one(app.db().pool())
    .await
    .expect("insert an audit entry")
}

async fn staff_id(app: &TestApp, username: &str) -> i64 {
    app.count(&format!("SELECT id FROM staff WHERE username = '{username}'"))
        .await
}

/// Every entry a filtered trail shows, following "Older" to its end: the pages' rows (as the "When" column's
/// texts paired with the action's words), and the links followed.
async fn every_page(admin: &Client, first: &str) -> (Vec<(String, String)>, Vec<String>) {
    let (mut rows, mut links, mut path) = (Vec::new(), Vec::new(), first.to_owned());
    loop {
        let page = admin.get(&path).await;
        page.assert_status(StatusCode::OK);
        rows.extend(whens(&page).into_iter().zip(column(&page, 3)));
        match page.attr("a[rel=next]", "href") {
            Some(older) => {
                links.push(older.clone());
                path = older;
            }
            None => break,
        }
        assert!(links.len() < 50, "the pager never ends");
    }
    (rows, links)
}

/// The CSV of `path` (a trail's address with its filters), read: its header and records.
async fn csv_of(admin: &Client, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let page = admin.get(path).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("content-type"), Some("text/csv; charset=utf-8"));
    let mut reader = csv::Reader::from_reader(page.body.as_bytes());
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let records = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

/// A staff member opening a patient's record, chart and card (the reads the trail and the patient see).
async fn opens(client: &Client, patient: i64, what: &str) {
    let path = match what {
        "record" => format!("/patients/{patient}"),
        "chart" => format!("/patients/{patient}/chart"),
        "card" => format!("/patients/{patient}/card"),
        other => panic!("{other}"),
    };
    client.get(&path).await.assert_status(StatusCode::OK);
}

/// The milliseconds of a local time in Lagos (the clinic's default zone).
fn lagos(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    let local = chrono_tz::Africa::Lagos
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a local time");
    Timestamp(local.timestamp_millis())
}

// == Tests ==

async fn only_admins_read_the_trail_and_its_csv(app: TestApp) {
    let admin = app.admin().await;
    admin.get("/admin/audit").await.assert_status(StatusCode::OK);
    admin.get("/admin/audit.csv").await.assert_status(StatusCode::OK);
    for (name, role) in [
        ("au.doctor", Role::Doctor),
        ("au.desk", Role::Reception),
        ("au.pharm", Role::Pharmacist),
        ("au.lab", Role::Lab),
    ] {
        let staff = app.login_as(name, role).await;
        for path in ["/admin/audit", "/admin/audit.csv", "/admin/audit?patient=1&access=1"] {
            let page = staff.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?} {path}");
            assert!(!page.body.contains("auth.login"), "nothing of the log leaks");
        }
        // And staff have no "who opened my record" of their own.
        staff
            .get("/me/record-access")
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    PATIENTS.named(&app, &["Ada"]).await;
    let student = PATIENTS.client(&app, 0).await;
    for path in ["/admin/audit", "/admin/audit.csv"] {
        student.get(path).await.assert_status(StatusCode::FORBIDDEN);
    }
    let stranger = app.client();
    for path in ["/admin/audit", "/admin/audit.csv", "/me/record-access"] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().is_some_and(|to| to.starts_with("/login")), "{path}");
    }
}

async fn each_filter_narrows_the_trail(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (ada, bayo) = (ids[0], ids[1]);
    let (doc_id, doc) = doctor(&app, "dr.obi").await;
    let desk = app.login_as("au.desk", Role::Reception).await;
    opens(&doc, ada, "record").await;
    opens(&doc, ada, "chart").await;
    opens(&doc, bayo, "record").await;
    opens(&desk, ada, "card").await;
    let student = PATIENTS.client(&app, 0).await;
    student.get("/me/card").await.assert_status(StatusCode::OK);
    add_room(&app, &admin, "Room 9", "N").await;

    // The trail opens on the changes: no sign-in, no opened record.
    let changes = admin.get("/admin/audit").await;
    changes.assert_status(StatusCode::OK);
    let changed = column(&changes, 3);
    assert!(changed.contains(&"Added a room".to_owned()), "{changed:?}");
    for words in ["Logged in", "Opened a patient's record", "Opened a patient's chart"] {
        assert!(!changed.contains(&words.to_owned()), "{words} in {changed:?}");
    }
    assert_eq!(changes.text("#audit-entries [aria-current=page]"), "Changes");
    let sign_ins = column(&admin.get("/admin/audit?access=sign-ins").await, 3);
    assert!(
        !sign_ins.is_empty() && sign_ins.iter().all(|w| w == "Logged in"),
        "{sign_ins:?}"
    );

    let all = admin.get("/admin/audit?access=all").await;
    all.assert_status(StatusCode::OK);
    assert_eq!(all.text("#audit-entries [aria-current=page]"), "Everything");
    assert_eq!(
        all.attr("#audit-filters input[name=access]", "value").as_deref(),
        Some("all")
    );
    assert!(all.has("#audit-filters select#user option[value=patients]"));
    assert!(all.has(&format!("#audit-filters select#user option[value='{doc_id}']")));
    assert!(all.has("#audit-filters select#action option[value='patient.view_card']"));
    assert!(all.has("#audit-filters select#record option[value=staff]"));
    let everything = column(&all, 3);
    for words in [
        "Opened a patient's record",
        "Opened a patient's chart",
        "Logged in",
        "Added a room",
    ] {
        assert!(everything.contains(&words.to_owned()), "{words} in {everything:?}");
    }

    // One staff member: the doctor's own entries only (logins and reads, so on "Everything").
    let page = admin.get(&format!("/admin/audit?user={doc_id}&access=all")).await;
    page.assert_status(StatusCode::OK);
    let who = column(&page, 2);
    assert!(
        !who.is_empty() && who.iter().all(|w| w == "Test dr.obi (Doctor)"),
        "{who:?}"
    );
    assert_eq!(
        page.attr(&format!("#user option[value='{doc_id}']"), "selected")
            .as_deref(),
        Some(""),
        "the choice is kept"
    );
    // Patients: what patients did themselves.
    let page = admin.get("/admin/audit?user=patients&access=all").await;
    let who = column(&page, 2);
    assert!(
        !who.is_empty() && who.iter().all(|w| w.starts_with("Ada ") && w.ends_with("(Patient)")),
        "{who:?}"
    );
    // Any staff member: no patient, no system.
    let who = column(&admin.get("/admin/audit?user=staff&access=all").await, 2);
    assert!(
        who.iter()
            .all(|w| !w.ends_with("(Patient)") && !w.ends_with("(System)")),
        "{who:?}"
    );
    assert!(who.iter().any(|w| w == "Test au.desk (Reception)"), "{who:?}");

    // One patient: every entry about Ada, named.
    let page = admin.get(&format!("/admin/audit?patient={ada}&access=all")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("#audit-patient").contains("Ada Audit"),
        "{}",
        page.text("#audit-patient")
    );
    let patients = column(&page, 4);
    assert!(
        !patients.is_empty() && patients.iter().all(|p| p.starts_with("Ada Audit (")),
        "{patients:?}"
    );
    assert!(page.has(&format!(
        "#audit-filters input[type=hidden][name=patient][value='{ada}']"
    )));

    // One action.
    let page = admin.get("/admin/audit?action=patient.view_card").await;
    let actions = column(&page, 3);
    assert_eq!(actions, ["Opened a patient's clinic card"], "{actions:?}");
    assert_eq!(column(&page, 2), ["Test au.desk (Reception)"]);

    // One kind of record, linked to it.
    let page = admin.get("/admin/audit?record=room").await;
    assert_eq!(column(&page, 3), ["Added a room"]);
    assert!(page.has("#audit-rows a[href='/admin/rooms']"));

    // Reads only: the looks at records, never a change or a login.
    let page = admin.get("/admin/audit?access=1").await;
    let actions = column(&page, 3);
    assert!(actions.len() >= 4, "{actions:?}");
    assert!(
        actions
            .iter()
            .all(|a| a.starts_with("Opened") || a.starts_with("Looked")),
        "{actions:?}"
    );
    assert_eq!(page.text("#audit-entries [aria-current=page]"), "Who looked at records");
    assert_eq!(
        page.attr("#audit-filters input[name=access]", "value").as_deref(),
        Some("1")
    );

    // Filters together: the doctor's reads of Ada.
    let page = admin
        .get(&format!("/admin/audit?user={doc_id}&patient={ada}&access=1"))
        .await;
    let mut actions = column(&page, 3);
    actions.sort();
    assert_eq!(actions, ["Opened a patient's chart", "Opened a patient's record"]);
    // Filters that match nothing say so.
    let page = admin.get(&format!("/admin/audit?user={doc_id}&record=room")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#audit-empty").contains("No entries match"));
    assert!(!page.has("#audit-rows"));
}

async fn a_day_is_the_clinics_local_day(app: TestApp) {
    let admin = app.admin().await;
    let system = ("system", None, "test");
    // Around 14 March 2026 in Lagos (UTC+1): the evening of the 13th, 23:30 on the 14th (22:30 UTC), and 00:30 on
    // the 15th (23:30 UTC on the 14th).
    let before = insert(&app, lagos(2026, 3, 13, 23, 59), system, "room.create", None, None).await;
    let first = insert(&app, lagos(2026, 3, 14, 0, 0), system, "room.update", None, None).await;
    let late = insert(&app, lagos(2026, 3, 14, 23, 30), system, "room.assign", None, None).await;
    let after = insert(&app, lagos(2026, 3, 15, 0, 30), system, "closure.create", None, None).await;
    assert!(before < first && first < late && late < after);

    let page = admin.get("/admin/audit?from=2026-03-14&to=2026-03-14").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(column(&page, 1), ["23:30", "00:00"]);
    assert_eq!(whens(&page), ["2026-03-14T23:30:00", "2026-03-14T00:00:00"]);
    assert_eq!(
        page.texts("#audit-rows tr.day-row"),
        ["Saturday 14 March 2026"],
        "one heading for the day"
    );
    assert_eq!(column(&page, 3), ["Chose a room for the day", "Changed a room"]);
    // Open ranges: from a day on, up to a day.
    let page = admin
        .get("/admin/audit?from=2026-03-15&user=system&record=&action=closure.create")
        .await;
    assert_eq!(whens(&page), ["2026-03-15T00:30:00"]);
    let page = admin.get("/admin/audit?to=2026-03-13&user=system").await;
    assert_eq!(whens(&page), ["2026-03-13T23:59:00"]);
    // With the time's index led by another filter.
    let page = admin
        .get("/admin/audit?action=room.assign&from=2026-03-14&to=2026-03-14")
        .await;
    assert_eq!(whens(&page), ["2026-03-14T23:30:00"]);
    let page = admin.get("/admin/audit?action=room.assign&from=2026-03-15").await;
    assert!(page.has("#audit-empty"));
    // The CSV's day is the page's.
    let (_, records) = csv_of(&admin, "/admin/audit.csv?from=2026-03-14&to=2026-03-14").await;
    let when: Vec<&str> = records.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(when, ["2026-03-14 23:30", "2026-03-14 00:00"]);

    // Another zone moves the days: in London (UTC+0 in March) 23:30 in Lagos is 22:30 on the 14th, and
    // 00:30 on the 15th in Lagos is 23:30 on the 14th.
    app.set_setting("time_zone", "Europe/London").await;
    let page = admin
        .get("/admin/audit?from=2026-03-14&to=2026-03-14&user=system")
        .await;
    assert_eq!(whens(&page), ["2026-03-14T23:30:00", "2026-03-14T22:30:00"]);
    assert_eq!(column(&page, 3), ["Closed days", "Chose a room for the day"]);
}

async fn paging_keeps_the_filters(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (ada, bayo) = (ids[0], ids[1]);
    let (doc_id, _) = doctor(&app, "dr.obi").await;
    let doc = ("staff", Some(doc_id), "dr.obi");
    let start = lagos(2026, 1, 5, 9, 0).0;
    // 60 reads of Ada's record over five days, with changes and another patient's reads between them, and
    // entries written in the same millisecond (the id orders them).
    for i in 0..60_i64 {
        let at = Timestamp(start + (i / 2) * 3_600_000 * 4);
        insert(&app, at, doc, "patient.view", Some(("patient", ada)), Some(ada)).await;
        insert(&app, at, doc, "patient.update", Some(("patient", ada)), Some(ada)).await;
        insert(&app, at, doc, "chart.view", Some(("patient", bayo)), Some(bayo)).await;
    }
    let first = format!("/admin/audit?patient={ada}&access=1");
    let (rows, links) = every_page(&admin, &first).await;
    assert_eq!(rows.len(), 60, "every read once");
    assert!(rows.iter().all(|(_, action)| action == "Opened a patient's record"));
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(
        rows.iter().map(|r| &r.0).collect::<Vec<_>>(),
        sorted.iter().map(|r| &r.0).collect::<Vec<_>>(),
        "newest first"
    );
    assert_eq!(links.len(), 2, "three pages of 25");
    for link in &links {
        assert!(
            link.starts_with(&format!("/admin/audit?patient={ada}&access=1&before=")),
            "{link}"
        );
    }
    // A later page leads back to the newest, filters kept.
    let second = admin.get(&links[0]).await;
    assert_eq!(
        second.attr(".pager a:not([rel])", "href"),
        Some(first.clone()),
        "Newest keeps the filters"
    );
    // The CSV link keeps them too.
    assert_eq!(
        second.attr("#audit-csv", "href"),
        Some(format!("/admin/audit.csv?patient={ada}&access=1"))
    );
    // With days as well, over the pages.
    let (rows, links) = every_page(
        &admin,
        &format!("/admin/audit?user={doc_id}&action=patient.view&from=2026-01-06&to=2026-01-07"),
    )
    .await;
    assert_eq!(rows.len(), 24, "12 a day: {rows:?}");
    assert!(
        links.iter().all(|l| l.contains("from=2026-01-06&to=2026-01-07")),
        "{links:?}"
    );
    assert!(
        rows.iter()
            .all(|(when, _)| when.starts_with("2026-01-06") || when.starts_with("2026-01-07"))
    );
    // A cursor that is no entry starts from the newest; one that doesn't read is the first page.
    for path in [format!("{first}&before=999999999"), format!("{first}&before=abc")] {
        let page = admin.get(&path).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(column(&page, 1).len(), 25, "{path}");
    }
}

async fn the_csv_holds_the_rows_the_page_shows(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let ada = ids[0];
    let (_, doc) = doctor(&app, "dr.obi").await;
    for _ in 0..3 {
        opens(&doc, ada, "record").await;
        opens(&doc, ada, "chart").await;
    }
    add_room(&app, &admin, "Room 9", "N").await;
    for path in [
        "/admin/audit",
        "/admin/audit?access=1",
        &format!("/admin/audit?patient={ada}"),
    ] {
        let page = admin.get(path).await;
        page.assert_status(StatusCode::OK);
        let csv_path = page.attr("#audit-csv", "href").expect("a CSV link");
        let (header, records) = csv_of(&admin, &csv_path).await;
        assert_eq!(
            header,
            [
                "entry", "when", "who", "username", "as", "action", "patient", "record", "from", "detail"
            ]
        );
        let shown: Vec<Vec<String>> = page
            .html()
            .select(&scraper::Selector::parse("#audit-rows tbody tr:not(.day-row)").expect("selector"))
            .map(|tr| {
                tr.select(&scraper::Selector::parse("td").expect("td"))
                    .map(|td| {
                        td.text()
                            .collect::<Vec<_>>()
                            .join(" ")
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect()
            })
            .collect();
        assert!(!shown.is_empty(), "{path}");
        assert_eq!(records.len(), shown.len(), "{path}: fewer than a page, all of them");
        for (record, row) in records.iter().zip(&shown) {
            // The page gives the time under a heading of its day; the CSV, day and time together.
            let (_, time) = record[1].split_once(' ').expect("a day and a time");
            let expected = vec![
                time.to_owned(),
                format!("{} ({})", record[2], record[4]),
                record[5].clone(),
                record[6].clone(),
                record[7].clone(),
                record[8].clone(),
                record[9].clone(),
            ];
            assert_eq!(&expected, row, "{path}");
            assert!(!record[5].contains('.'), "actions in words: {}", record[5]);
        }
    }
    // More entries than a page: the CSV holds them all, newest first.
    let system = ("system", None, "test");
    for i in 0..40 {
        insert(
            &app,
            Timestamp(1_700_000_000_000 + i),
            system,
            "closure.create",
            None,
            None,
        )
        .await;
    }
    let (_, records) = csv_of(&admin, "/admin/audit.csv?action=closure.create").await;
    assert_eq!(records.len(), 40);
    let entries: Vec<i64> = records.iter().map(|r| r[0].parse().expect("entry")).collect();
    assert!(entries.windows(2).all(|w| w[0] > w[1]), "newest first");
    let page = admin.get("/admin/audit").await;
    assert!(
        page.text("main").contains("up to 100,000"),
        "the page says the CSV's limit"
    );
}

async fn bad_filters_are_answered_with_a_message(app: TestApp) {
    let admin = app.admin().await;
    let cases = [
        ("action=patient.explode", "action", "Choose an action from the list."),
        (
            "from=2026-03-14&to=2026-03-01",
            "to",
            "The last day is before the first day",
        ),
        ("from=14%2F03%2F2026", "from", "Give the first day as YYYY-MM-DD"),
        ("to=2026-02-30", "to", "Give the last day as YYYY-MM-DD"),
        ("user=nobody", "user", "Choose whose entries to show from the list."),
        ("user=999999", "user", "Choose whose entries to show from the list."),
        ("record=spaceship", "record", "Choose a kind of record from the list."),
        ("patient=abc", "patient", "Open the trail from the patient's record"),
        ("patient=999999", "patient", "There is no patient with this number"),
        (
            "action=%27%3B%20DROP%20TABLE%20audit_event%3B%20--",
            "action",
            "Choose an action from the list.",
        ),
    ];
    for (query, field, message) in cases {
        let page = admin.get(&format!("/admin/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}:\n{}", page.body);
        let beside = page.text(&format!("#{field}-error"));
        assert!(beside.contains(message), "{query}: {beside}");
        assert!(page.text("#filter-errors").contains(message), "{query}");
        assert!(!page.has("#audit-rows"), "no rows under a bad filter");
        assert!(!page.has("#audit-csv"), "no CSV of a bad filter");
        let csv = admin.get(&format!("/admin/audit.csv?{query}")).await;
        assert_eq!(csv.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(csv.text("main").contains(message), "{query}: {}", csv.text("main"));
    }
    // What was typed is kept, and the field marked.
    let page = admin.get("/admin/audit?from=2026-03-14&to=2026-03-01").await;
    assert_eq!(page.attr("#from", "value").as_deref(), Some("2026-03-14"));
    assert_eq!(page.attr("#to", "aria-invalid").as_deref(), Some("true"));
    // Control characters are refused before anything reads them.
    admin
        .get("/admin/audit?action=%00")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // The log is still there, unharmed.
    assert!(app.count("SELECT COUNT(*) FROM audit_event").await > 0);
}

async fn who_looked_at_a_record_from_the_patients_page(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (ada, bayo) = (ids[0], ids[1]);
    let (_, doc) = doctor(&app, "dr.obi").await;
    opens(&doc, ada, "chart").await;
    opens(&doc, bayo, "record").await;
    let doc_id = staff_id(&app, "dr.obi").await;
    let change = ("staff", Some(doc_id), "dr.obi");
    insert(
        &app,
        Timestamp::now(),
        change,
        "patient.update",
        Some(("patient", ada)),
        Some(ada),
    )
    .await;
    // Only the admin's page of a patient leads to the trail.
    let record = admin.get(&format!("/patients/{ada}")).await;
    record.assert_status(StatusCode::OK);
    let link = record.attr("#record-reads", "href").expect("the admin's link");
    assert_eq!(link, format!("/admin/audit?patient={ada}&access=1"));
    assert!(!doc.get(&format!("/patients/{ada}")).await.has("#record-reads"));
    let desk = app.login_as("au.desk", Role::Reception).await;
    assert!(!desk.get(&format!("/patients/{ada}")).await.has("#record-reads"));

    let page = admin.get(&link).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#audit-patient").contains("Ada Audit"));
    let who = column(&page, 2);
    assert!(who.contains(&"Test dr.obi (Doctor)".to_owned()) && who.contains(&"Ada Admin (Administrator)".to_owned()));
    let actions = column(&page, 3);
    assert!(actions.contains(&"Opened a patient's chart".to_owned()), "{actions:?}");
    assert!(
        actions
            .iter()
            .all(|a| a.starts_with("Opened") || a.starts_with("Looked")),
        "{actions:?}"
    );
    assert!(
        column(&page, 4).iter().all(|p| p.starts_with("Ada Audit")),
        "not Bayo's"
    );
    // "Any patient" drops only the patient.
    assert_eq!(
        page.attr("#audit-patient a:last-child", "href").as_deref(),
        Some("/admin/audit?access=1")
    );
}

async fn a_patient_sees_which_roles_opened_their_own_record(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (ada, bayo) = (ids[0], ids[1]);
    let (_, doc) = doctor(&app, "dr.obi").await;
    let desk = app.login_as("au.desk", Role::Reception).await;
    let ada_phone = PATIENTS.client(&app, 0).await;
    // Nothing yet: a message, not an empty list.
    let page = ada_phone.get("/me/record-access").await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#no-record-access").contains("No one"));
    // Her home page leads here.
    assert!(ada_phone.get("/me").await.has("a[href='/me/record-access']"));

    opens(&doc, ada, "record").await;
    opens(&doc, ada, "chart").await;
    opens(&desk, ada, "card").await;
    opens(&doc, bayo, "record").await;
    // Ada's own looks at her record are hers, not the clinic's; changes are not reads.
    ada_phone.get("/me/card").await.assert_status(StatusCode::OK);
    let herself = ("patient", Some(ada), "SB-ADA");
    insert(
        &app,
        Timestamp::now(),
        herself,
        "document.view",
        Some(("document", 1)),
        Some(ada),
    )
    .await;
    let doc_id = staff_id(&app, "dr.obi").await;
    let change = ("staff", Some(doc_id), "dr.obi");
    insert(
        &app,
        Timestamp::now(),
        change,
        "patient.update",
        Some(("patient", ada)),
        Some(ada),
    )
    .await;

    let page = ada_phone.get("/me/record-access").await;
    page.assert_status(StatusCode::OK);
    let rows = page.texts("#record-access li strong");
    assert_eq!(rows, ["Reception", "Doctor", "Doctor"], "newest first");
    let what = page.texts("#record-access li");
    assert!(what[0].contains("Opened your clinic card"), "{what:?}");
    assert!(what[1].contains("Opened your chart"), "{what:?}");
    assert!(what[2].contains("Opened your record"), "{what:?}");
    assert!(
        !page.body.contains("dr.obi") && !page.body.contains("au.desk"),
        "no usernames"
    );

    // Bayo sees only his one read, never Ada's.
    let bayo_phone = PATIENTS.client(&app, 1).await;
    let page = bayo_phone.get("/me/record-access").await;
    assert_eq!(page.texts("#record-access li strong"), ["Doctor"]);
    assert!(page.texts("#record-access li")[0].contains("Opened your record"));
    // A cursor from Ada's entries tells Bayo nothing: his list from the newest.
    let adas: i64 = app
        .count(&format!(
            "SELECT MIN(id) FROM audit_event WHERE patient_id = {ada} AND action = 'patient.view_card'"
        ))
        .await;
    let page = bayo_phone.get(&format!("/me/record-access?before={adas}")).await;
    assert_eq!(page.texts("#record-access li strong"), ["Doctor"]);
    // His visit opened three times in three minutes an hour ago is one line to him, with its count.
    let an_hour_ago = Timestamp::now().0 - 3_600_000;
    for minute in 0..3 {
        insert(
            &app,
            Timestamp(an_hour_ago + minute * 60_000),
            ("staff", Some(doc_id), "dr.obi"),
            "visit.view",
            Some(("visit", 2)),
            Some(bayo),
        )
        .await;
    }
    let lines = bayo_phone.get("/me/record-access").await.texts("#record-access li");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("· 3 times"), "{lines:?}");

    // Paged: 30 more reads of Ada's record, 25 a page.
    for i in 0..30 {
        insert(
            &app,
            // Hours apart, so that each is a line of its own.
            Timestamp(1_700_000_000_000 + i * 3_600_000),
            ("staff", Some(doc_id), "dr.obi"),
            "visit.view",
            Some(("visit", 1)),
            Some(ada),
        )
        .await;
    }
    let first = ada_phone.get("/me/record-access").await;
    assert_eq!(first.texts("#record-access li").len(), 25);
    let next = first.attr("a[rel=next]", "href").expect("an earlier page");
    let second = ada_phone.get(&next).await;
    assert_eq!(second.texts("#record-access li").len(), 8);
    assert!(second.has(".pager a[href='/me/record-access']"));
    assert!(!second.has("a[rel=next]"));
}

async fn staff_names_are_shown_to_patients_only_when_the_clinic_says_so(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let (_, doc) = doctor(&app, "dr.obi").await;
    opens(&doc, ids[0], "chart").await;
    let phone = PATIENTS.client(&app, 0).await;
    let page = phone.get("/me/record-access").await;
    assert_eq!(page.texts("#record-access li strong"), ["Doctor"]);
    assert!(!page.body.contains("Test dr.obi"), "no name by default");

    // The admin ticks the setting on the settings page.
    let settings = admin.get("/admin/settings/record-access").await;
    assert!(settings.has("#audit_staff_names_to_patients"));
    assert!(!settings.has("#audit_staff_names_to_patients[checked]"));
    let mut form: Vec<(String, String)> = app.state.settings.get().to_form().into_iter().collect();
    form.push(("audit_staff_names_to_patients".into(), "1".into()));
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin
        .post("/admin/settings", &fields)
        .await
        .assert_redirect("/admin/settings");
    assert!(app.state.settings.get().audit.staff_names_to_patients);
    assert!(
        admin
            .get("/admin/settings/record-access")
            .await
            .has("#audit_staff_names_to_patients[checked]")
    );
    let page = phone.get("/me/record-access").await;
    assert_eq!(page.texts("#record-access li strong"), ["Test dr.obi (Doctor)"]);
}

async fn no_route_or_query_changes_or_deletes_the_log(app: TestApp) {
    let admin = app.admin().await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let phone = PATIENTS.client(&app, 0).await;
    let entry = app.count("SELECT MAX(id) FROM audit_event").await;
    let before = app.count("SELECT COUNT(*) FROM audit_event").await;
    let token = admin.csrf_token().await;
    let patient_token = phone.csrf_token().await;
    let paths = [
        "/admin/audit".to_owned(),
        "/admin/audit.csv".to_owned(),
        format!("/admin/audit/{entry}"),
        format!("/admin/audit/{entry}/delete"),
        format!("/admin/audit?before={entry}"),
    ];
    let http = |client: &Client| {
        reqwest::Client::builder()
            .cookie_provider(client.jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http")
    };
    for (client, token) in [(&admin, &token), (&phone, &patient_token)] {
        for path in paths.iter().chain([&"/me/record-access".to_owned()]) {
            for method in ["POST", "PUT", "DELETE", "PATCH"] {
                let response = http(client)
                    .request(method.parse().expect("method"), client.url(path))
                    .header("x-csrf-token", token.as_str())
                    .form(&[("id", entry.to_string()), ("action", "auth.login".into())])
                    .send()
                    .await
                    .expect("request");
                assert!(
                    matches!(
                        response.status(),
                        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
                    ),
                    "{method} {path}: {}",
                    response.status()
                );
            }
        }
    }
    // Reading the log adds its own entries only by logging in; nothing went.
    assert!(app.count("SELECT COUNT(*) FROM audit_event").await >= before);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_event WHERE id = {entry}"))
            .await,
        1
    );

    // The database itself refuses a change or a deletion, whoever asks.
    let update = sqlx::query("UPDATE audit_event SET action = 'auth.logout' WHERE id = $1")
        .bind(entry)
        .execute(app.db().pool())
        .await;
    let message = update.expect_err("an update is refused").to_string();
    assert!(message.contains("append-only"), "{message}");
    for sql in [
        "DELETE FROM audit_event WHERE id = $1",
        "DELETE FROM audit_event WHERE id >= $1",
    ] {
        let delete = sqlx::query(sql).bind(entry).execute(app.db().pool()).await;
        assert!(
            delete
                .expect_err("a deletion is refused")
                .to_string()
                .contains("append-only")
        );
    }
    if app.db().backend() == sickbay_core::db::Backend::Postgres {
        let truncate = sqlx::query("TRUNCATE audit_event").execute(app.db().pool()).await;
        assert!(
            truncate
                .expect_err("truncate is refused")
                .to_string()
                .contains("append-only")
        );
    }
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_event WHERE id = {entry}"))
            .await,
        1
    );
    let action: String = sqlx::query_scalar("SELECT action FROM audit_event WHERE id = $1")
        .bind(entry)
        .fetch_one(app.db().pool())
        .await
        .expect("the entry");
    assert_ne!(action, "auth.logout");
    // Writing goes on as before.
    let page = admin.get(&format!("/patients/{}", ids[0])).await;
    page.assert_status(StatusCode::OK);
}

/// A read's row is in the log once the page is shown, on both databases: nothing waits beside the log to be
/// moved into it, and the admin's home and the patient's own list find it, once.
async fn a_read_is_in_the_log_as_soon_as_the_page_is_shown(app: TestApp) {
    let ada = PATIENTS.named(&app, &["Ada"]).await[0];
    let (_, doc) = doctor(&app, "dr.obi").await;
    opens(&doc, ada, "record").await;
    let in_log = format!("SELECT COUNT(*) FROM audit_event WHERE action = 'patient.view' AND patient_id = {ada}");
    assert_eq!(app.count(&in_log).await, 1);

    let looked = app.admin().await.get("/admin/audit?access=1").await;
    looked.assert_status(StatusCode::OK);
    assert_eq!(
        looked.texts("#audit-rows tbody tr td:nth-child(3)"),
        ["Opened a patient's record"],
        "{}",
        looked.text("main")
    );
    let phone = PATIENTS.client(&app, 0).await;
    assert_eq!(
        phone.get("/me/record-access").await.texts("#record-access li strong"),
        ["Doctor"]
    );
    assert_eq!(app.count(&in_log).await, 1);
}

/// Every page that shows a patient's record to staff writes the audit row of the read (the patient's, with the
/// action its words come from) before it is shown, and the patient finds it at the top of "who opened my record".
/// One row of the table per page, opened by a role that reads it.
async fn every_page_of_a_patients_record_writes_its_read_and_the_patient_sees_it(app: TestApp) {
    use sickbay_core::pharmacy::model::DrugForm;

    let ada = PATIENTS.named(&app, &["Ada"]).await[0];
    let phone = PATIENTS.client(&app, 0).await;
    let admin = app.admin().await;
    let (_, doc) = doctor(&app, "dr.obi").await;
    let desk = app.login_as("au.desk", Role::Reception).await;
    let lab = app.login_as("au.lab", Role::Lab).await;
    let pharmacist = app.login_as("au.pharm", Role::Pharmacist).await;

    // Ada's record: a visit with vitals, a lab order, a prescription given, and a document.
    let visit = crate::support::new_visit(&doc, ada).await;
    doc.post(&format!("/visits/{visit}/vitals"), &[("pulse", "80")])
        .await
        .assert_redirect(&format!("/visits/{visit}#vitals"));
    crate::lab::add_test(&admin, &[])
        .await
        .assert_redirect("/admin/lab-tests");
    let test = app.count("SELECT id FROM lab_test").await;
    doc.post(
        &format!("/visits/{visit}/lab/orders"),
        &[("test_id", &test.to_string()), ("note", "")],
    )
    .await
    .assert_redirect(&format!("/visits/{visit}#lab"));
    let order = app.count("SELECT id FROM lab_order").await;
    let drug = crate::pharmacy::add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    crate::pharmacy::add_batch(&app, drug, 100, 365).await;
    let once = crate::prescriptions::form_id(&doc, visit).await;
    let drug_id = drug.to_string();
    let mut fields = crate::prescriptions::item(&drug_id, "1 tablet", "oral", "bd", "5", "10");
    fields.push(("form_id", &once));
    doc.post(&format!("/visits/{visit}/prescription/items"), &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let rx = app.count("SELECT id FROM prescription").await;
    let item = app.count("SELECT id FROM prescription_item").await;
    let dispense = pharmacist.get(&format!("/pharmacy/prescriptions/{rx}")).await;
    let form = crate::support::FormFields::of(&dispense, "#dispense-form");
    pharmacist
        .post(&format!("/pharmacy/prescriptions/{rx}/dispense"), &form.fields())
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let pdf = ("referral.pdf", "application/pdf", crate::documents::PDF.to_vec());
    crate::documents::upload(&doc, &format!("/patients/{ada}/documents"), "Referral", pdf, "")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let document = app.count("SELECT id FROM document").await;

    // The page, who opens it, the action of its read, and the role and words the patient is shown.
    let pages: [(String, &Client, &str, &str, &str); 16] = [
        (
            format!("/patients/{ada}"),
            &desk,
            "patient.view",
            "Reception",
            "Opened your record",
        ),
        (
            format!("/patients/{ada}/edit"),
            &desk,
            "patient.view_edit",
            "Reception",
            "Opened your details",
        ),
        (
            format!("/patients/{ada}/card"),
            &desk,
            "patient.view_card",
            "Reception",
            "Opened your clinic card",
        ),
        (
            format!("/patients/{ada}/qr.svg"),
            &desk,
            "patient.view_qr",
            "Reception",
            "QR code",
        ),
        (
            format!("/patients/{ada}/chart"),
            &doc,
            "chart.view",
            "Doctor",
            "Opened your chart",
        ),
        (
            format!("/visits/{visit}"),
            &doc,
            "visit.view",
            "Doctor",
            "Opened the notes of a visit",
        ),
        (
            format!("/patients/{ada}/documents"),
            &doc,
            "document.view_list",
            "Doctor",
            "list of your documents",
        ),
        (
            format!("/documents/{document}"),
            &lab,
            "document.view",
            "Lab attendant",
            "Opened a document",
        ),
        (
            format!("/patients/{ada}/health-records"),
            &lab,
            "health_record.view",
            "Lab attendant",
            "health records",
        ),
        (
            format!("/lab/orders/{order}"),
            &lab,
            "lab_order.view",
            "Lab attendant",
            "lab test and its result",
        ),
        (
            format!("/lab/visits/{visit}/vitals"),
            &lab,
            "visit.view_vitals",
            "Lab attendant",
            "Opened your vitals",
        ),
        (
            format!("/visits/{visit}/prescription"),
            &pharmacist,
            "prescription.view",
            "Pharmacist",
            "prescription",
        ),
        (
            format!("/pharmacy/prescriptions/{rx}"),
            &pharmacist,
            "prescription.view",
            "Pharmacist",
            "prescription",
        ),
        (
            format!("/pharmacy/prescriptions/{rx}/items/{item}/label"),
            &pharmacist,
            "prescription.view",
            "Pharmacist",
            "prescription",
        ),
        (
            format!("/patients/{ada}/chart"),
            &admin,
            "chart.view",
            "Administrator",
            "Opened your chart",
        ),
        (
            format!("/patients/{ada}/documents"),
            &admin,
            "document.view_list",
            "Administrator",
            "documents",
        ),
    ];
    for (path, client, action, role, words) in pages {
        let reads = format!("SELECT COUNT(*) FROM audit_event WHERE action = '{action}' AND patient_id = {ada}");
        let before = app.count(&reads).await;
        client.get(&path).await.assert_status(StatusCode::OK);
        assert_eq!(
            app.count(&reads).await,
            before + 1,
            "{path} writes one {action} row for the patient"
        );
        let list = phone.get("/me/record-access").await;
        list.assert_status(StatusCode::OK);
        let newest = list.texts("#record-access li").into_iter().next().unwrap_or_default();
        assert!(
            newest.contains(role) && newest.contains(words),
            "{path}: the patient's newest entry is {newest:?}"
        );
    }
}

/// The CSV is written a page of entries at a time: 4,500 entries (more than two of its chunks) arrive whole, each
/// once, newest first, with one header.
async fn a_long_trail_streams_every_entry_once_newest_first(app: TestApp) {
    let admin = app.admin().await;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500)
         INSERT INTO audit_event (at, actor_kind, actor_label, action, detail)
         SELECT 1700000000000 + i, 'system', 'bench', 'job.run', 'entry ' || i FROM n",
    )
    .execute(app.db().pool())
    .await
    .expect("entries");
    let total = app.count("SELECT COUNT(*) FROM audit_event").await;
    let (header, records) = csv_of(&admin, "/admin/audit.csv?access=all").await;
    assert_eq!(header[0], "entry");
    assert_eq!(records.len() as i64, total);
    let ids: std::collections::HashSet<&str> = records.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), records.len(), "each entry once");
    let entries: Vec<i64> = records
        .iter()
        .filter_map(|r| r[9].strip_prefix("entry ").and_then(|n| n.parse().ok()))
        .collect();
    assert_eq!(entries, (1..=4500).rev().collect::<Vec<i64>>(), "newest first");
}

/// A record in the trail is named as people speak of it: a lab order by its test, an appointment by its doctor
/// (before, "Lab order 48" and "Appointment 283").
async fn a_record_is_named_as_people_speak_of_it(app: TestApp) {
    let admin = app.admin().await;
    let ada = PATIENTS.named(&app, &["Ada"]).await[0];
    let (doc_id, doc) = doctor(&app, "dr.obi").await;
    let doctor_name: String = sqlx::query_scalar("SELECT full_name FROM staff WHERE id = $1")
        .bind(doc_id)
        .fetch_one(app.db().pool())
        .await
        .expect("the doctor's name");
    crate::lab::add_test(&admin, &[])
        .await
        .assert_redirect("/admin/lab-tests");
    let haemoglobin = app.count("SELECT id FROM lab_test WHERE name = 'Haemoglobin'").await;
    let visit = new_visit(&doc, ada).await;
    crate::lab::order(&app, &doc, visit, haemoglobin).await;
    let slot = slot_in(&app, doc_id, 1, 24 * 60).await;
    let appointment = appointment_on(&app, ada, slot).await;
    insert(
        &app,
        Timestamp::now(),
        ("staff", Some(doc_id), "dr.obi"),
        "appointment.book",
        Some(("appointment", appointment)),
        Some(ada),
    )
    .await;

    insert(
        &app,
        Timestamp::now(),
        ("staff", Some(doc_id), "dr.obi"),
        "slot.block",
        Some(("slot", slot)),
        None,
    )
    .await;
    let drug = crate::pharmacy::add_drug(
        &app,
        "Ciprotab",
        "ciprofloxacin",
        sickbay_core::pharmacy::model::DrugForm::Tablet,
        "500 mg",
    )
    .await;
    let batch = crate::pharmacy::add_batch(&app, drug, 10, 90).await;
    insert(
        &app,
        Timestamp::now(),
        ("staff", Some(doc_id), "dr.obi"),
        "drug.batch_write_off",
        Some(("drug_batch", batch)),
        None,
    )
    .await;

    let records = column(&admin.get("/admin/audit").await, 5);
    assert!(records.contains(&"Lab order: Haemoglobin".to_owned()), "{records:?}");
    assert!(records.contains(&format!("Slot with {doctor_name}")), "{records:?}");
    assert!(
        records.contains(&format!("Batch of a drug: Ciprotab, B{drug}-90")),
        "{records:?}"
    );
    assert!(
        records.contains(&format!("Appointment with {doctor_name}")),
        "{records:?}"
    );
    assert!(records.contains(&format!("Visit {visit}")), "{records:?}");
}
