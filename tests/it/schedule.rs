//! Scheduling, staff side: weekly hours and the slots they generate, closures and leave, blocking slots,
//! the doctor's day and week, staff cancelling and correcting bookings, and who may do each.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use sickbay_core::db::Date;
use sickbay_core::db::events::Event;
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::scheduling::model::Refusal;
use sickbay_core::scheduling::service::{self, Booker, BookingError};

use crate::support::{Client, FormFields, PASSWORD, TestApp, doctor, on_both_databases, test_config, visitor};

on_both_databases!(
    hours_are_added_and_generate_slots_for_the_horizon,
    overlapping_hours_are_refused_and_bad_input_kept,
    removing_hours_keeps_and_lists_booked_slots,
    closures_remove_a_days_slots_and_list_bookings,
    blocking_a_booked_slot_keeps_the_booking,
    a_stretch_of_a_day_is_blocked_at_once_and_its_bookings_listed,
    schedule_shows_the_day_and_week_and_staff_cancel_and_correct,
    every_route_checks_who_is_asking,
    impossible_days_are_refused_with_a_message,
    the_week_counts_are_the_days_slots,
    a_doctor_sees_and_changes_only_their_own_day,
    the_day_view_asks_each_rows_reason_and_stays_lean,
    hours_added_while_another_instance_closes_a_day_get_their_slots,
    reception_books_a_patient_into_a_time_chosen_on_the_schedule,
);

fn today(app: &TestApp) -> NaiveDate {
    app.state.settings.get().today()
}

fn hours_form<'a>(weekday: &'a str, start: &'a str, end: &'a str, minutes: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("weekday", weekday),
        ("start", start),
        ("end", end),
        ("slot_minutes", minutes),
        ("capacity", "2"),
    ]
}

/// The same hours on every weekday, so that there are slots tomorrow whatever day today is.
async fn every_day(client: &Client, doctor_id: Option<i64>, start: &str, end: &str, minutes: &str) {
    let id = doctor_id.map(|d| d.to_string()).unwrap_or_default();
    for weekday in 1..=7 {
        let weekday = weekday.to_string();
        let mut form = hours_form(&weekday, start, end, minutes);
        form.push(("doctor_id", &id));
        let page = client.post("/schedule/hours", &form).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
}

async fn book(app: &TestApp, patient_id: i64, slot_id: i64) -> Result<i64, BookingError> {
    let admin_id = app.count("SELECT id FROM staff WHERE username = 'admin'").await;
    service::book(
        app.db(),
        &Actor::system("test"),
        &app.state.settings.get().booking_rules(),
        patient_id,
        slot_id,
        "Headache",
        Booker::Staff {
            staff_id: admin_id,
            override_reason: Some("test"),
        },
    )
    .await
}

/// The first slot of a doctor on a day.
async fn first_slot(app: &TestApp, doctor_id: i64, day: NaiveDate) -> i64 {
    sqlx::query_scalar("SELECT id FROM slot WHERE doctor_id = $1 AND day = $2 ORDER BY starts_at LIMIT 1")
        .bind(doctor_id)
        .bind(Date(day))
        .fetch_one(app.db().pool())
        .await
        .expect("a slot that day")
}

async fn slots_on(app: &TestApp, doctor_id: i64, day: NaiveDate) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM slot WHERE doctor_id = $1 AND day = $2 AND blocked = 0")
        .bind(doctor_id)
        .bind(Date(day))
        .fetch_one(app.db().pool())
        .await
        .expect("count")
}

async fn hours_are_added_and_generate_slots_for_the_horizon(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.ada").await;
    let page = doc.get("/schedule/hours").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.text("#hours-heading"), "Hours");
    // 09:00–10:50 in 30-minute slots: 09:00, 09:30, 10:00 (never 10:30, which would end after 10:50).
    every_day(&doc, None, "09:00", "10:50", "30").await;
    let page = doc.get("/schedule/hours").await;
    assert_eq!(page.texts("#hours tbody tr").len(), 7);
    assert!(
        page.text(".flash-success")
            .starts_with("Hours added: Sunday 09:00–10:50")
    );
    assert_eq!(
        page.text("#slot-counts"),
        format!("{} slots added, 0 removed.", count_added_last(&app, id).await)
    );
    assert_eq!(app.audits("hours.create").await, 7);

    let horizon = app.state.settings.get().booking.horizon_days;
    let today = today(&app);
    let after_today: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM slot WHERE doctor_id = $1 AND day > $2")
        .bind(id)
        .bind(Date(today))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(after_today, 3 * horizon, "three slots a day up to the horizon");
    let beyond: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM slot WHERE day > $1")
        .bind(Date(today + Duration::days(horizon)))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(beyond, 0);
    let longest: i64 = app.count("SELECT MAX(ends_at - starts_at) FROM slot").await;
    assert_eq!(longest, 30 * 60_000);
    assert_eq!(app.count("SELECT MAX(capacity) FROM slot").await, 2);

    // Generating again creates nothing new.
    let total = app.count("SELECT COUNT(*) FROM slot").await;
    let again = service::generate_slots(app.db(), app.state.settings.get().slot_horizon(), Some(id))
        .await
        .unwrap();
    assert_eq!((again.created, again.removed), (0, 0));
    assert_eq!(app.count("SELECT COUNT(*) FROM slot").await, total);

    // The admin adds hours for a doctor by naming them; back to back with existing hours is fine.
    let admin = app.admin().await;
    let page = admin.get(&format!("/schedule/hours?doctor={id}")).await;
    assert_eq!(page.texts("#hours tbody tr").len(), 7);
    let doctor_id = id.to_string();
    let mut form = hours_form("1", "10:50", "11:50", "60");
    form.push(("doctor_id", &doctor_id));
    admin
        .post("/schedule/hours", &form)
        .await
        .assert_redirect(&format!("/schedule/hours?doctor={id}"));
    assert_eq!(app.count("SELECT COUNT(*) FROM doctor_hours WHERE active = 1").await, 8);
}

/// Slots the last change added, as reported (the sunday hours add the slots of the Sundays in the horizon).
async fn count_added_last(app: &TestApp, doctor_id: i64) -> i64 {
    let today = today(app);
    let horizon = app.state.settings.get().booking.horizon_days;
    let now = sickbay_core::db::Timestamp::now();
    let rows: Vec<(Date, i64)> = sqlx::query_as("SELECT day, starts_at FROM slot WHERE doctor_id = $1")
        .bind(doctor_id)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    rows.iter()
        .filter(|(day, starts)| {
            use chrono::Datelike;
            day.0.weekday() == chrono::Weekday::Sun && day.0 <= today + Duration::days(horizon) && *starts > now.0
        })
        .count() as i64
}

async fn overlapping_hours_are_refused_and_bad_input_kept(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.bola").await;
    doc.post("/schedule/hours", &hours_form("1", "09:00", "12:00", "20"))
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let page = doc
        .post("/schedule/hours", &hours_form("1", "11:00", "13:00", "20"))
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text("#overlap-error"), "These hours overlap Monday 09:00–12:00.");
    assert_eq!(page.attr("#start", "value").as_deref(), Some("11:00"));

    // A later validity period still meets open-ended hours; one that ended before doesn't.
    let mut later = hours_form("1", "08:00", "10:00", "20");
    later.push(("valid_from", "2099-01-01"));
    let page = doc.post("/schedule/hours", &later).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#overlap-error").contains("Monday 09:00–12:00"));

    // Back to back is fine, and so is another weekday.
    doc.post("/schedule/hours", &hours_form("1", "12:00", "13:00", "20"))
        .await
        .assert_status(StatusCode::SEE_OTHER);
    doc.post("/schedule/hours", &hours_form("2", "09:00", "12:00", "20"))
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Limited periods that don't meet can share the time.
    let mut first = hours_form("3", "09:00", "12:00", "20");
    first.extend([("valid_from", "2099-01-01"), ("valid_until", "2099-01-31")]);
    doc.post("/schedule/hours", &first)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let mut second = hours_form("3", "09:00", "12:00", "20");
    second.push(("valid_from", "2099-02-01"));
    doc.post("/schedule/hours", &second)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let mut clash = hours_form("3", "10:00", "11:00", "20");
    clash.extend([("valid_from", "2099-01-20"), ("valid_until", "2099-02-05")]);
    let page = doc.post("/schedule/hours", &clash).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#overlap-error").contains("Wednesday 09:00–12:00"));

    // Every bad field gets its message, and the input is kept.
    let page = doc
        .post(
            "/schedule/hours",
            &[
                ("weekday", "9"),
                ("start", "9am"),
                ("end", "25:00"),
                ("slot_minutes", "2"),
                ("capacity", "0"),
                ("valid_from", "soon"),
                ("valid_until", "x"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "weekday",
        "start",
        "end",
        "slot_minutes",
        "capacity",
        "valid_from",
        "valid_until",
    ] {
        assert!(page.has(&format!("#{field}-error")), "{field}");
    }
    assert_eq!(page.attr("#start", "value").as_deref(), Some("9am"));
    let page = doc
        .post("/schedule/hours", &hours_form("1", "14:00", "13:00", "20"))
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#end-error"));

    // The admin must name an active doctor.
    let admin = app.admin().await;
    let pharmacist = app.create_staff("pharm", Role::Pharmacist, false).await.to_string();
    for bad in ["", "abc", "99999", pharmacist.as_str()] {
        let mut form = hours_form("4", "09:00", "10:00", "30");
        form.push(("doctor_id", bad));
        let page = admin.post("/schedule/hours", &form).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.text("#doctor_id-error"), "Choose a doctor.");
    }
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM doctor_hours WHERE doctor_id = {id}"))
            .await,
        5
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM doctor_hours").await, 5);
}

async fn removing_hours_keeps_and_lists_booked_slots(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.chi").await;
    every_day(&doc, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let slot = first_slot(&app, id, tomorrow).await;
    let (p, number) = visitor(&app, "Kemi", "Obi").await;
    book(&app, p, slot).await.expect("booked");

    let weekday = chrono::Datelike::weekday(&tomorrow).number_from_monday();
    let hours_id: i64 = sqlx::query_scalar("SELECT id FROM doctor_hours WHERE doctor_id = $1 AND weekday = $2")
        .bind(id)
        .bind(i64::from(weekday))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let before = app.count("SELECT COUNT(*) FROM slot").await;
    doc.post(&format!("/schedule/hours/{hours_id}/remove"), &[])
        .await
        .assert_redirect("/schedule/hours");
    let page = doc.get("/schedule/hours").await;
    assert!(page.text(".flash-success").starts_with("Hours removed:"));
    let removed = before - app.count("SELECT COUNT(*) FROM slot").await;
    assert!(removed > 0);
    assert_eq!(page.text("#slot-counts"), format!("0 slots added, {removed} removed."));
    let rows = page.texts("#affected tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with(&format!("Kemi Obi {number}")), "{rows:?}");
    let when = format!("{}, 09:00", sickbay::web::filters::day_of(&tomorrow));
    assert!(rows[0].contains(&when), "{rows:?}");
    // The booked slot stays, and so does its booking; the other future slots of that weekday are gone.
    assert_eq!(
        app.count(&format!("SELECT booked FROM slot WHERE id = {slot}")).await,
        1
    );
    assert_eq!(slots_on(&app, id, tomorrow).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM appointment WHERE status = 'booked'")
            .await,
        1
    );
    assert_eq!(app.audits("hours.remove").await, 1);
    assert_eq!(
        app.count(&format!("SELECT active FROM doctor_hours WHERE id = {hours_id}"))
            .await,
        0
    );
    // Removing again changes nothing and says so.
    doc.post(&format!("/schedule/hours/{hours_id}/remove"), &[])
        .await
        .assert_redirect("/schedule/hours");
    assert_eq!(app.audits("hours.remove").await, 1);
}

async fn closures_remove_a_days_slots_and_list_bookings(app: TestApp) {
    let (ada, ada_client) = doctor(&app, "dr.ada").await;
    let (bola, bola_client) = doctor(&app, "dr.bola").await;
    every_day(&ada_client, None, "09:00", "10:00", "30").await;
    every_day(&bola_client, None, "09:00", "10:00", "30").await;
    let day = today(&app) + Duration::days(2);
    let slot = first_slot(&app, ada, day).await;
    let (p, number) = visitor(&app, "Tolu", "Obi").await;
    let booking = book(&app, p, slot).await.unwrap();
    assert_eq!(
        (slots_on(&app, ada, day).await, slots_on(&app, bola, day).await),
        (2, 2)
    );

    // The doctor's leave touches only that doctor.
    let reception = app.login_as("front", Role::Reception).await;
    let bola_id = bola.to_string();
    let day_text = day.to_string();
    reception
        .post(
            "/schedule/closures",
            &[("day", &day_text), ("doctor_id", &bola_id), ("reason", "Conference")],
        )
        .await
        .assert_redirect("/schedule/closures");
    assert_eq!(
        (slots_on(&app, ada, day).await, slots_on(&app, bola, day).await),
        (2, 0)
    );
    let page = reception.get("/schedule/closures").await;
    assert_eq!(page.text("#slot-counts"), "0 slots added, 2 removed.");
    assert!(page.texts("#closures tbody tr")[0].contains("Test dr.bola (leave) Conference"));

    // A duplicate is refused with a message; bad input too.
    let page = reception
        .post(
            "/schedule/closures",
            &[("day", &day_text), ("doctor_id", &bola_id), ("reason", "Again")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#day-error").contains("already on leave"));
    let yesterday = (today(&app) - Duration::days(1)).to_string();
    let page = reception
        .post("/schedule/closures", &[("day", &yesterday), ("reason", "")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#day-error") && page.has("#reason-error"));
    let long = "x".repeat(201);
    let page = reception
        .post(
            "/schedule/closures",
            &[("day", "2099-13-01"), ("doctor_id", "777"), ("reason", &long)],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#day-error") && page.has("#reason-error") && page.has("#doctor_id-error"));

    // A clinic-wide closure removes the day's unbooked slots and lists the booked one, kept.
    let admin = app.admin().await;
    admin
        .post(
            "/schedule/closures",
            &[("day", &day_text), ("reason", "Public holiday")],
        )
        .await
        .assert_redirect("/schedule/closures");
    let page = admin.get("/schedule/closures").await;
    assert_eq!(page.text("#slot-counts"), "0 slots added, 1 removed.");
    let rows = page.texts("#affected tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].starts_with(&format!("Tolu Obi {number}")), "{rows:?}");
    assert_eq!(slots_on(&app, ada, day).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {booking} AND status = 'booked'"
        ))
        .await,
        1
    );
    assert_eq!(app.audits("closure.create").await, 2);

    // Removing the closure brings the slots back.
    let closure = app.count("SELECT id FROM closure WHERE doctor_id IS NULL").await;
    admin
        .post(&format!("/schedule/closures/{closure}/remove"), &[])
        .await
        .assert_redirect("/schedule/closures");
    assert_eq!(slots_on(&app, ada, day).await, 2);
    assert_eq!(slots_on(&app, bola, day).await, 0, "still on leave");
    let leave = app.count("SELECT id FROM closure").await;
    // A doctor can't remove someone else's leave; Bola can remove their own.
    ada_client
        .post(&format!("/schedule/closures/{leave}/remove"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    bola_client
        .post(&format!("/schedule/closures/{leave}/remove"), &[])
        .await
        .assert_redirect("/schedule/closures");
    assert_eq!(slots_on(&app, bola, day).await, 2);
    assert_eq!(app.audits("closure.remove").await, 2);

    // A doctor's own leave: whatever doctor they name, it is theirs.
    let ada_id = ada.to_string();
    ada_client
        .post(
            "/schedule/closures",
            &[("day", &day_text), ("doctor_id", &bola_id), ("reason", "Leave")],
        )
        .await
        .assert_redirect("/schedule/closures");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM closure WHERE doctor_id = {ada_id}"))
            .await,
        1
    );
    assert_eq!(slots_on(&app, bola, day).await, 2);
    admin
        .post("/schedule/closures/99999/remove", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn blocking_a_booked_slot_keeps_the_booking(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.ada").await;
    every_day(&doc, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let slot = first_slot(&app, id, tomorrow).await;
    let (p, number) = visitor(&app, "Ngozi", "Obi").await;
    book(&app, p, slot).await.unwrap();

    let page = doc
        .post(&format!("/schedule/slots/{slot}/block"), &[("reason", " ")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text(&format!("#block-{slot}-error")), "Give a reason.");
    assert_eq!(
        app.count(&format!("SELECT blocked FROM slot WHERE id = {slot}")).await,
        0
    );

    doc.post(&format!("/schedule/slots/{slot}/block"), &[("reason", "Ward round")])
        .await
        .assert_redirect(&format!("/schedule?day={tomorrow}"));
    let page = doc.get(&format!("/schedule?day={tomorrow}")).await;
    let rows = page.texts("#affected tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].starts_with(&format!("Ngozi Obi {number}")));
    assert!(page.text(&format!("#s{slot} .blocked")).contains("Ward round"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM appointment WHERE status = 'booked'")
            .await,
        1
    );
    let (other, _) = visitor(&app, "Emeka", "Obi").await;
    assert!(matches!(
        book(&app, other, slot).await,
        Err(BookingError::Refused(Refusal::Unavailable))
    ));
    assert_eq!(app.audits("slot.block").await, 1);

    // Reception unblocks; the slot is bookable again.
    let reception = app.login_as("front", Role::Reception).await;
    reception
        .post(&format!("/schedule/slots/{slot}/unblock"), &[])
        .await
        .assert_redirect(&format!("/schedule?doctor={id}&day={tomorrow}"));
    book(&app, other, slot).await.expect("bookable again");
    assert_eq!(app.audits("slot.unblock").await, 1);
}

async fn a_stretch_of_a_day_is_blocked_at_once_and_its_bookings_listed(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.ada").await;
    let (other, _) = doctor(&app, "dr.bola").await;
    every_day(&doc, None, "09:00", "12:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let ten: i64 =
        sqlx::query_scalar("SELECT id FROM slot WHERE doctor_id = $1 AND day = $2 ORDER BY starts_at LIMIT 1 OFFSET 2")
            .bind(id)
            .bind(Date(tomorrow))
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let (p, number) = visitor(&app, "Ngozi", "Obi").await;
    app.exec(&format!("UPDATE patient SET phone = '+2348031234567' WHERE id = {p}"))
        .await;
    book(&app, p, ten).await.unwrap();
    let reception = app.login_as("front", Role::Reception).await;

    // The day's head offers it; the question is a form of two times and a reason.
    let day = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    let ask = format!("/schedule/block?doctor={id}&day={tomorrow}");
    assert_eq!(day.attr("#block-stretch-link", "href").as_deref(), Some(ask.as_str()));
    let yesterday = today(&app) - Duration::days(1);
    let past = reception.get(&format!("/schedule?doctor={id}&day={yesterday}")).await;
    assert!(
        !past.has("#block-stretch-link"),
        "a day that is over has nothing to block"
    );
    let asked = reception.get(&ask).await;
    asked.assert_status(StatusCode::OK);
    assert!(asked.has("form input[name=from]") && asked.has("form input[name=until]"));
    assert!(
        asked.text(".task-detail").contains("Test dr.ada"),
        "{}",
        asked.text(".task-detail")
    );

    // Times the wrong way round, or no reason: said beside the fields, nothing blocked.
    let refused = reception
        .post(&ask, &[("from", "11:00"), ("until", "10:00"), ("reason", "Meeting")])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("#until-error"), "The end must be after the start.");
    assert_eq!(refused.attr("#from", "value").as_deref(), Some("11:00"));
    let refused = reception.post(&ask, &[("from", "10:00"), ("until", "11:15")]).await;
    assert_eq!(refused.text("#reason-error"), "Give a reason.");
    let count_blocked = format!("SELECT COUNT(*) FROM slot WHERE doctor_id = {id} AND blocked = 1");
    let blocked = || app.count(&count_blocked);
    assert_eq!(blocked().await, 0);

    // 10:00 to 11:15 blocks the three times it touches (10:00, 10:30, 11:00), each audited; the booking is kept
    // and listed to contact. Two people blocking it at once block each time once; the later is told.
    let colleague = app.login_as("front.two", Role::Reception).await;
    let fields = [("from", "10:00"), ("until", "11:15"), ("reason", "Staff meeting")];
    let (first, second) = tokio::join!(reception.post(&ask, &fields), colleague.post(&ask, &fields));
    let (won, late) = match first.status {
        StatusCode::SEE_OTHER => (reception.clone(), second),
        _ => (colleague.clone(), first),
    };
    late.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        late.text("#stretch-error"),
        "There is no open time in that stretch that has not started."
    );
    assert_eq!(blocked().await, 3);
    assert_eq!(app.audits("slot.block").await, 3);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM slot WHERE doctor_id = {id} AND blocked = 1 AND block_reason = 'Staff meeting'"
        ))
        .await,
        3
    );
    let day = won.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    assert_eq!(
        day.text(".flash-success"),
        "Blocked 3 times from 10:00 to 11:15. Their appointments were kept: contact the patients listed below."
    );
    let rows = day.texts("#affected tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].starts_with(&format!("Ngozi Obi {number} +2348031234567")),
        "{rows:?}"
    );
    assert_eq!(
        day.attr("#affected a[href^='tel:']", "href").as_deref(),
        Some("tel:+2348031234567"),
        "the patient to call is a tap away"
    );
    assert_eq!(day.texts("#slots .slot-blocked").len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM appointment WHERE status = 'booked'")
            .await,
        1
    );

    // The same form sent twice blocks once, and the second is not refused.
    let asked = reception.get(&ask).await;
    let form_id = asked.attr("input[name=form_id]", "value").expect("a form id");
    let again = [
        ("from", "11:30"),
        ("until", "12:00"),
        ("reason", "Meeting"),
        ("form_id", &form_id),
    ];
    for _ in 0..2 {
        reception
            .post(&ask, &again)
            .await
            .assert_redirect(&format!("/schedule?doctor={id}&day={tomorrow}"));
    }
    assert_eq!(blocked().await, 4);
    assert_eq!(app.audits("slot.block").await, 4);

    // A doctor blocks their own day without naming themselves, and not another's.
    let own = format!("/schedule/block?day={tomorrow}");
    doc.post(&own, &[("from", "09:00"), ("until", "09:30"), ("reason", "Ward round")])
        .await
        .assert_redirect(&format!("/schedule?day={tomorrow}"));
    assert_eq!(blocked().await, 5);
    doc.post(
        &format!("/schedule/block?doctor={other}&day={tomorrow}"),
        &[("from", "09:00"), ("until", "12:00"), ("reason", "Mine")],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    pharmacist.get(&ask).await.assert_status(StatusCode::FORBIDDEN);
    reception
        .get(&format!("/schedule/block?doctor={id}&day=someday"))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    reception
        .get(&format!("/schedule/block?doctor=99999&day={tomorrow}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn schedule_shows_the_day_and_week_and_staff_cancel_and_correct(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.ada").await;
    every_day(&doc, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let slot = first_slot(&app, id, tomorrow).await;
    let (kemi, _) = visitor(&app, "Kemi", "Obi").await;
    let (tolu, _) = visitor(&app, "Tolu", "Obi").await;
    let first = book(&app, kemi, slot).await.unwrap();
    let second = book(&app, tolu, slot).await.unwrap();

    let page = doc.get(&format!("/schedule?day={tomorrow}&view=day")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#slots .slot-list > li").len(), 2);
    assert!(page.text(&format!("#s{slot} > small")).starts_with("2/2"));
    let listed = page.texts(&format!("#s{slot} li > a:not([data-dialog])"));
    assert_eq!(listed, ["Kemi Obi", "Tolu Obi"]);
    assert_eq!(
        page.attr(&format!("#a{first} a"), "href").as_deref(),
        Some(format!("/patients/{kemi}").as_str())
    );
    assert_eq!(page.text(&format!("#a{first} .chip")), "Booked");
    assert_eq!(page.text(&format!("#a{first} q")), "Headache");
    assert_eq!(
        page.texts("#slots strong")[0].replace(' ', ""),
        "09:00–09:30",
        "clinic time"
    );
    // The day reads as a calendar: the hour's row, and the half hour placed on its first six five-minute columns.
    assert_eq!(page.text("#hour-9"), "09:00");
    assert!(page.has(&format!("section[aria-labelledby=hour-9] #s{slot}")));
    assert_eq!(page.attr(&format!("#s{slot}"), "class").as_deref(), Some("at-0 len-6"));
    let next_day = tomorrow + Duration::days(1);
    assert_eq!(
        page.attr("a[rel=next]", "href").as_deref(),
        Some(format!("/schedule?day={next_day}&view=day").as_str())
    );

    // The toolbar: today a step away, the view shown marked, the week's link on the same day.
    let today = app.state.settings.get().today();
    assert_eq!(
        page.attr("nav[aria-label='Days'] a:not([rel])", "href").as_deref(),
        Some(format!("/schedule?day={today}&view=day").as_str())
    );
    assert_eq!(page.text("nav[aria-label='Day or week'] a[aria-current=page]"), "Day");
    assert_eq!(
        page.attr("nav[aria-label='Day or week'] a:not([aria-current])", "href")
            .as_deref(),
        Some(format!("/schedule?day={tomorrow}&view=week").as_str())
    );

    let week = doc.get(&format!("/schedule?day={tomorrow}&view=week")).await;
    week.assert_status(StatusCode::OK);
    assert_eq!(week.texts("#week section").len(), 7);
    assert_eq!(week.text("nav[aria-label='Day or week'] a[aria-current=page]"), "Week");
    // The week counts each day's appointments by status; the day view names them.
    let counts = week.texts(&format!(
        "section[aria-labelledby='day-{tomorrow}'] .week-appointments li"
    ));
    assert_eq!(counts, ["2 booked"]);
    // Today's column stands out when the week holds it.
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let marked = week.texts(&format!(
        "section.week-today[aria-labelledby='day-{today}'] a[aria-current=date]"
    ));
    assert_eq!(marked.len(), usize::from(monday(today) == monday(tomorrow)));
    assert!(week.texts(".week-today").len() <= 1);

    // The doctor's home lists today's appointments (none today).
    let home = doc.get("/doctor").await;
    home.assert_status(StatusCode::OK);
    assert_eq!(home.text("#today-heading"), "Today's appointments");

    // Reception cancels one with a reason: the seat is free again, and it is audited.
    let reception = app.login_as("front", Role::Reception).await;
    let page = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    assert_eq!(page.texts(&format!("#s{slot} li > a:not([data-dialog])")).len(), 2);
    let page = reception
        .post(&format!("/appointments/{first}/cancel"), &[("reason", "")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text(&format!("#cancel-{first}-error")), "Give a reason.");
    reception
        .post(
            &format!("/appointments/{first}/cancel"),
            &[("reason", "Patient phoned")],
        )
        .await
        .assert_redirect(&format!("/schedule?doctor={id}&day={tomorrow}"));
    assert_eq!(
        app.count(&format!("SELECT booked FROM slot WHERE id = {slot}")).await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'appointment.cancel' AND detail = 'by staff: Patient phoned'")
            .await,
        1
    );
    let page = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    assert_eq!(page.text(&format!("#a{first} .chip")), "Cancelled");
    // The day counts the booking that still holds its time apart from the one cancelled.
    assert!(
        page.text(".day-counts").ends_with("· 1 appointment · 1 cancelled"),
        "{}",
        page.text(".day-counts")
    );
    let week = reception
        .get(&format!("/schedule?doctor={id}&day={tomorrow}&view=week"))
        .await;
    let counts = week.texts(&format!(
        "section[aria-labelledby='day-{tomorrow}'] .week-appointments li"
    ));
    assert_eq!(counts, ["1 booked", "1 cancelled"], "live bookings first");
    // Cancelling twice is a conflict, not a second release.
    reception
        .post(&format!("/appointments/{first}/cancel"), &[("reason", "Again")])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count(&format!("SELECT booked FROM slot WHERE id = {slot}")).await,
        1
    );

    // A no-show (marked as the job marks it, and announced as it announces it) is corrected by reception,
    // audited; a doctor can't correct.
    sqlx::query("UPDATE appointment SET status = 'no_show' WHERE id = $1")
        .bind(second)
        .execute(app.db().pool())
        .await
        .unwrap();
    app.announce(Event::Queue { call: None }).await;
    doc.post(
        &format!("/appointments/{second}/correct"),
        &[("to", "checked_in"), ("reason", "Was here")],
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let page = reception
        .post(
            &format!("/appointments/{second}/correct"),
            &[("to", "cancelled"), ("reason", "x")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has(&format!("#correct-{second}-error")));
    assert_eq!(
        page.attr(&format!("#correct-{second}"), "value").as_deref(),
        Some("x"),
        "the reason typed comes back with its message"
    );
    reception
        .post(
            &format!("/appointments/{second}/correct"),
            &[("to", "checked_in"), ("reason", "Was at the desk")],
        )
        .await
        .assert_redirect(&format!("/schedule?doctor={id}&day={tomorrow}"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {second} AND status = 'checked_in'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'appointment.correct' AND detail LIKE 'No-show → Checked in:%'")
            .await,
        1
    );
    // Correcting a booking that isn't a no-show is a conflict.
    reception
        .post(
            &format!("/appointments/{second}/correct"),
            &[("to", "booked"), ("reason", "again")],
        )
        .await
        .assert_status(StatusCode::CONFLICT);

    // Bad query values are not 500s.
    doc.get("/schedule?day=not-a-day")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    reception
        .get("/schedule?doctor=abc")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    reception
        .get("/schedule?doctor=99999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn every_route_checks_who_is_asking(app: TestApp) {
    let (ada, ada_client) = doctor(&app, "dr.ada").await;
    let (bola, bola_client) = doctor(&app, "dr.bola").await;
    every_day(&ada_client, None, "09:00", "10:00", "30").await;
    every_day(&bola_client, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let bola_slot = first_slot(&app, bola, tomorrow).await;
    let (p, number) = visitor(&app, "Ife", "Obi").await;
    let bola_booking = book(&app, p, bola_slot).await.unwrap();
    let bola_hours = app
        .count(&format!("SELECT MIN(id) FROM doctor_hours WHERE doctor_id = {bola}"))
        .await;
    let admin = app.admin().await;
    admin
        .post(
            "/schedule/closures",
            &[
                ("day", &(today(&app) + Duration::days(3)).to_string()),
                ("doctor_id", &bola.to_string()),
                ("reason", "Leave"),
            ],
        )
        .await
        .assert_redirect("/schedule/closures");
    let bola_leave = app.count("SELECT id FROM closure").await;

    // A patient with portal access, logged in.
    let portal_hash = crate::support::quick_hash(PASSWORD);
    sqlx::query("UPDATE patient SET password_hash = $1 WHERE id = $2")
        .bind(portal_hash)
        .bind(p)
        .execute(app.db().pool())
        .await
        .unwrap();
    let patient_client = app.client();
    patient_client.login_ok(&number, PASSWORD).await;

    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let lab = app.login_as("lab", Role::Lab).await;
    let reception = app.login_as("front", Role::Reception).await;
    let anonymous = app.client();

    let block = format!("/schedule/slots/{bola_slot}/block");
    let cancel = format!("/appointments/{bola_booking}/cancel");
    let gets = [
        "/schedule",
        "/schedule/hours",
        "/schedule/closures",
        block.as_str(),
        cancel.as_str(),
    ];
    let posts = [
        "/schedule/hours".to_owned(),
        format!("/schedule/hours/{bola_hours}/remove"),
        "/schedule/closures".to_owned(),
        format!("/schedule/closures/{bola_leave}/remove"),
        format!("/schedule/slots/{bola_slot}/block"),
        format!("/schedule/slots/{bola_slot}/unblock"),
        format!("/appointments/{bola_booking}/cancel"),
        format!("/appointments/{bola_booking}/correct"),
    ];
    let fields = [("reason", "No"), ("to", "booked"), ("day", "2099-01-01")];
    for client in [&pharmacist, &lab, &patient_client] {
        for path in gets {
            client.get(path).await.assert_status(StatusCode::FORBIDDEN);
        }
        for path in &posts {
            client.post(path, &fields).await.assert_status(StatusCode::FORBIDDEN);
        }
    }
    for path in gets {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location().unwrap().starts_with("/login"), "{path}");
    }
    for path in &posts {
        let page = anonymous.post(path, &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
        assert!(page.location().unwrap().starts_with("/login"), "{path}");
    }
    // Reception doesn't set hours.
    reception
        .get("/schedule/hours")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    reception
        .post("/schedule/hours", &hours_form("1", "13:00", "14:00", "30"))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // A doctor can't see or touch another doctor's hours, slots, leave or appointments.
    ada_client
        .get(&format!("/schedule?doctor={bola}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    ada_client
        .get(&format!("/schedule/hours?doctor={bola}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    for path in [
        format!("/schedule/hours/{bola_hours}/remove"),
        format!("/schedule/closures/{bola_leave}/remove"),
        format!("/schedule/slots/{bola_slot}/block"),
        format!("/schedule/slots/{bola_slot}/unblock"),
        format!("/appointments/{bola_booking}/cancel"),
    ] {
        ada_client
            .post(&path, &[("reason", "Mine now")])
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    // Nor ask to block or cancel them; a doctor books nobody from a time.
    for path in [&block, &cancel] {
        ada_client.get(path).await.assert_status(StatusCode::NOT_FOUND);
    }
    ada_client
        .get(&format!("/schedule/slots/{bola_slot}/book?patient={p}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Whatever doctor_id a doctor sends, the hours are their own.
    let bola_id = bola.to_string();
    let mut form = hours_form("1", "13:00", "14:00", "30");
    form.push(("doctor_id", &bola_id));
    ada_client
        .post("/schedule/hours", &form)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM doctor_hours WHERE doctor_id = {ada} AND start_minute = 780"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM doctor_hours WHERE doctor_id = {bola}"))
            .await,
        7
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM doctor_hours WHERE doctor_id = {bola} AND active = 1"
        ))
        .await,
        7
    );
    assert_eq!(
        app.count(&format!("SELECT blocked FROM slot WHERE id = {bola_slot}"))
            .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {bola_booking} AND status = 'booked'"
        ))
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM closure").await, 1);
    // Bola's own schedule lists it; the doctor query naming themselves is fine.
    let page = bola_client
        .get(&format!("/schedule?doctor={bola}&day={tomorrow}"))
        .await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#slots li li > a:not([data-dialog])"), ["Ife Obi"]);

    // Bad ids are 404s.
    for path in [
        "/schedule/hours/0/remove",
        "/schedule/hours/abc/remove",
        "/schedule/hours/99999/remove",
        "/schedule/closures/99999/remove",
        "/schedule/slots/99999/block",
        "/schedule/slots/-1/unblock",
        "/appointments/99999/cancel",
        "/appointments/x/correct",
    ] {
        admin.post(path, &fields).await.assert_status(StatusCode::NOT_FOUND);
    }
    admin
        .get("/schedule/hours?doctor=99999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

/// Days far outside any calendar a clinic uses once panicked in the week arithmetic and dropped the connection.
async fn impossible_days_are_refused_with_a_message(app: TestApp) {
    let (_, doctor) = doctor(&app, "dr.range").await;
    for day in [
        "%2B262142-12-31",
        "262142-12-31",
        "-0001-01-01",
        "1066-10-14",
        "9999-12-31",
        "2026-13-01",
    ] {
        for view in ["day", "week"] {
            let page = doctor.get(&format!("/schedule?day={day}&view={view}")).await;
            page.assert_status(StatusCode::BAD_REQUEST);
            assert!(
                page.text("main").contains("date"),
                "{day} {view}: {}",
                page.text("main")
            );
        }
    }
    // The edges of the accepted range still work, in both views.
    for day in ["1900-01-01", "2199-12-31"] {
        for view in ["day", "week"] {
            doctor
                .get(&format!("/schedule?day={day}&view={view}"))
                .await
                .assert_status(StatusCode::OK);
        }
    }
}

/// The week view's daily counts come from one aggregate query; they must say what the slots say.
async fn the_week_counts_are_the_days_slots(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.week").await;
    every_day(&doc, None, "09:00", "11:00", "20").await;
    let day = today(&app) + Duration::days(8);
    let slot = first_slot(&app, id, day).await;
    let (p, _) = visitor(&app, "Ada", "Obi").await;
    book(&app, p, slot).await.unwrap();
    let blocked = first_slot(&app, id, day + Duration::days(1)).await;
    doc.post(&format!("/schedule/slots/{blocked}/block"), &[("reason", "Ward round")])
        .await
        .assert_status(StatusCode::SEE_OTHER);

    let week = doc.get(&format!("/schedule?day={day}&view=week")).await;
    week.assert_status(StatusCode::OK);
    let (monday, _) = sickbay_core::scheduling::model::ScheduleView::Week.days(day);
    for offset in 0..7 {
        let d = monday + Duration::days(offset);
        let (slots, blocked, booked, capacity): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(blocked), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN blocked = 0 THEN booked ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN blocked = 0 THEN capacity ELSE 0 END), 0) AS BIGINT)
             FROM slot WHERE doctor_id = $1 AND day = $2",
        )
        .bind(id)
        .bind(Date(d))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        let shown = week.text(&format!("section[aria-labelledby='day-{d}'] .day-counts"));
        if slots == 0 {
            assert!(
                week.text(&format!("section[aria-labelledby='day-{d}']"))
                    .contains("No slots.")
            );
        } else {
            let open = slots - blocked;
            let mut expected = format!("{open} times open · {booked} of {capacity} places taken");
            if blocked > 0 {
                expected.push_str(&format!(" · {blocked} blocked"));
            }
            assert_eq!(shown, expected, "{d}");
        }
    }
    assert_eq!(week.texts("#week .week-appointments li").len(), 1);
    // The booking still to come is listed under its day with its time and patient.
    let upcoming = week.texts(&format!("section[aria-labelledby='day-{day}'] .week-upcoming li"));
    assert_eq!(upcoming, ["09:00 Ada Obi"], "{}", week.body);
    assert_eq!(
        week.attr(
            &format!("section[aria-labelledby='day-{day}'] .week-upcoming a"),
            "href"
        ),
        Some(format!("/patients/{p}"))
    );
    // The day view says the same of its day.
    let page = doc.get(&format!("/schedule?day={day}")).await;
    assert_eq!(
        page.texts("#slots .slot-list > li").len() as i64,
        slots_on(&app, id, day).await
    );
    assert!(
        page.text(".day-counts")
            .starts_with("6 times open · 1 of 12 places taken · 1 appointment")
    );
}

/// `?doctor=` never widens a doctor's view, and the service itself refuses another doctor's records.
async fn a_doctor_sees_and_changes_only_their_own_day(app: TestApp) {
    let (ada, ada_client) = doctor(&app, "dr.ada").await;
    let (bola, bola_client) = doctor(&app, "dr.bola").await;
    every_day(&ada_client, None, "09:00", "10:00", "30").await;
    every_day(&bola_client, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let (p, _) = visitor(&app, "Ife", "Obi").await;
    let bola_slot = first_slot(&app, bola, tomorrow).await;
    let booking = book(&app, p, bola_slot).await.unwrap();
    for view in ["day", "week"] {
        ada_client
            .get(&format!("/schedule?doctor={bola}&day={tomorrow}&view={view}"))
            .await
            .assert_status(StatusCode::FORBIDDEN);
        let own = ada_client.get(&format!("/schedule?day={tomorrow}&view={view}")).await;
        own.assert_status(StatusCode::OK);
        assert!(!own.body.contains("Ife Obi"), "{view}: another doctor's patient");
    }
    let asked = ada_client.get(&format!("/schedule?doctor={ada}&day={tomorrow}")).await;
    asked.assert_status(StatusCode::OK);
    assert!(!asked.has("#pick-doctor"), "a doctor has no one to choose");
    let reception = app.login_as("front", Role::Reception).await;
    let page = reception.get(&format!("/schedule?doctor={bola}&day={tomorrow}")).await;
    assert_eq!(page.texts("#slots li li > a:not([data-dialog])"), ["Ife Obi"]);
    assert!(page.has("#pick-doctor"));

    let actor = Actor::system("test");
    let rules = app.state.settings.get().booking_rules();
    let own_scope = sickbay_core::identity::DoctorScope::Own(ada);
    let refused = service::set_blocked(app.db(), &actor, own_scope, bola_slot, true, "Mine").await;
    assert!(matches!(refused, Err(sickbay_core::error::ServiceError::NotFound)));
    let by = service::Canceller::Staff {
        scope: own_scope,
        reason: "Mine",
    };
    let refused = service::cancel(app.db(), &actor, &rules, booking, by).await;
    assert!(matches!(refused, Err(sickbay_core::error::ServiceError::NotFound)));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {booking} AND status = 'booked'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT blocked FROM slot WHERE id = {bola_slot}"))
            .await,
        0
    );
}

/// A row of the day view asks for its own reason: Block and Cancel are links to a small task (the schedule's
/// dialog with JavaScript, a page without), a long day stays a few hundred bytes per slot, and a missing reason
/// is said beside the task's own field.
async fn the_day_view_asks_each_rows_reason_and_stays_lean(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.lean").await;
    every_day(&doc, None, "08:00", "18:00", "5").await;
    let day = today(&app) + Duration::days(2);
    let mut booked = Vec::new();
    for (i, name) in ["Ada", "Bola", "Chi", "Dayo"].into_iter().enumerate() {
        let (p, _) = visitor(&app, name, "Obi").await;
        let slot: i64 = sqlx::query_scalar(
            "SELECT id FROM slot WHERE doctor_id = $1 AND day = $2 ORDER BY starts_at LIMIT 1 OFFSET $3",
        )
        .bind(id)
        .bind(Date(day))
        .bind(i as i64 * 10)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        booked.push((slot, book(&app, p, slot).await.unwrap()));
    }
    let page = doc.get(&format!("/schedule?day={day}")).await;
    let rows = page.texts("#slots .slot-list > li").len();
    assert_eq!(rows, 120);
    assert_eq!(page.texts("#slots a[data-dialog]").len(), rows + booked.len());
    let (slot, appointment) = booked[0];
    let block = format!("/schedule/slots/{slot}/block");
    let cancel = format!("/appointments/{appointment}/cancel");
    assert_eq!(
        page.attr(&format!("#s{slot} > a[data-dialog]"), "href"),
        Some(block.clone())
    );
    assert_eq!(
        page.attr(&format!("#a{appointment} a[data-dialog]"), "href"),
        Some(cancel.clone())
    );
    let list = page
        .body
        .split("<div class=\"day-hours\" id=\"slots\">")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the day's times");
    let per_row = list.len() / rows;
    assert!(per_row <= 300, "{per_row} bytes of HTML per slot row");

    // The task: a page of its own, or through htmx the dialog's fragment, which names who keeps their booking.
    let asked = doc.get(&block).await;
    asked.assert_status(StatusCode::OK);
    assert!(asked.text("h1").starts_with("Block 08:"), "{}", asked.text("h1"));
    assert!(asked.text(".task-detail").starts_with("One patient is booked"));
    assert_eq!(
        asked.attr(&format!("#block-{slot} form"), "action"),
        Some(block.clone())
    );
    let fragment = doc.get_with(&block, &[("HX-Request", "true")]).await;
    assert!(fragment.body.starts_with("<h2 id=\"task-title\""), "{}", fragment.body);
    assert!(!fragment.body.contains("<html"));
    // A missing reason comes back beside the field: the page again, or only the task's form through htmx.
    let refused = doc.post(&block, &[("reason", "  ")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text(&format!("#block-{slot}-error")), "Give a reason.");
    assert_eq!(
        refused.attr(&format!("#block-{slot}-reason"), "aria-describedby"),
        Some(format!("block-{slot}-error"))
    );
    let token = doc.csrf_token().await;
    let in_place = doc
        .post_with_headers(
            &block,
            &[("reason", ""), ("csrf_token", &token)],
            &[("HX-Request", "true")],
        )
        .await;
    in_place.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        in_place.body.starts_with(&format!("<div id=\"block-{slot}\"")),
        "{}",
        in_place.body
    );
    assert_eq!(app.audits("slot.block").await, 0);
    // Sent through htmx, the block sends the browser back to the day.
    let blocked = doc
        .post_with_headers(
            &block,
            &[("reason", "Ward round"), ("csrf_token", &token)],
            &[("HX-Request", "true")],
        )
        .await;
    assert_eq!(
        blocked.header("hx-redirect"),
        Some(format!("/schedule?day={day}").as_str())
    );
    let page = doc.get(&format!("/schedule?day={day}")).await;
    assert!(page.text(&format!("#s{slot} .blocked")).contains("Ward round"));
    assert_eq!(
        page.attr(&format!("#s{slot} > button[form=act]"), "formaction")
            .as_deref(),
        Some(format!("/schedule/slots/{slot}/unblock").as_str())
    );
    // A time already blocked asks nothing more.
    doc.get(&block).await.assert_status(StatusCode::CONFLICT);

    // Cancelling asks the same way; once cancelled, there is nothing left to ask.
    let asked = doc.get(&cancel).await;
    assert!(
        asked.text("h1").starts_with("Cancel Ada Obi's 08:"),
        "{}",
        asked.text("h1")
    );
    let again = doc.post(&cancel, &[("reason", "  ")]).await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.text(&format!("#cancel-{appointment}-error")), "Give a reason.");
    doc.post(&cancel, &[("reason", "Patient phoned")])
        .await
        .assert_redirect(&format!("/schedule?day={day}"));
    doc.get(&cancel).await.assert_status(StatusCode::CONFLICT);
}

/// The slots the doctor's active hours and the closures call for that start after now, and those that are
/// there (open ones): (missing, all wanted).
async fn missing_slots(app: &TestApp, doctor_id: i64) -> (usize, usize) {
    let settings = app.state.settings.get();
    let hours: Vec<_> = service::hours_of(app.db(), doctor_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.active)
        .collect();
    let closed: Vec<(Date, Option<i64>)> = sqlx::query_as("SELECT day, doctor_id FROM closure")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let closures = closed.into_iter().map(|(day, doctor)| (day.0, doctor)).collect();
    let today = settings.today();
    let until = today + Duration::days(settings.booking.horizon_days);
    let now = sickbay_core::db::Timestamp::now();
    let wanted: Vec<_> =
        sickbay_core::scheduling::model::generate(&hours, &closures, today, until, settings.clinic.time_zone)
            .into_iter()
            .filter(|s| s.starts_at > now)
            .collect();
    let there: std::collections::HashSet<i64> =
        sqlx::query_scalar::<_, i64>("SELECT starts_at FROM slot WHERE doctor_id = $1 AND blocked = 0")
            .bind(doctor_id)
            .fetch_all(app.db().pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let missing = wanted.iter().filter(|s| !there.contains(&s.starts_at.0)).count();
    (missing, wanted.len())
}

/// Two admins on two instances of one database: one adds a doctor's hours while the other closes the clinic
/// for a day, at the same moment and with the second a little later or earlier each time. Each change
/// regenerates slots (the doctor's, everyone's); the generation that read the hours before they were added
/// must not delete the slots the other has just made for them.
async fn hours_added_while_another_instance_closes_a_day_get_their_slots(app: TestApp) {
    let (id, _) = doctor(&app, "dr.race").await;
    // Other doctors' hours make everyone's generation take a moment, as in a real clinic.
    for name in ["dr.one", "dr.two", "dr.three"] {
        let (_, other) = doctor(&app, name).await;
        every_day(&other, None, "08:00", "17:00", "10").await;
    }
    let db_b = sickbay_core::db::Db::connect(app.db().url())
        .await
        .expect("second pool");
    let b = TestApp::serve(sickbay::state::AppState::new(db_b, test_config()).await.expect("state")).await;
    let (admin_a, admin_b) = (app.admin().await, b.admin().await);
    let doctor_id = id.to_string();
    let today = today(&app);
    let mut failures = Vec::new();
    for round in 0..10_i64 {
        let weekday = (round % 7 + 1).to_string();
        let (start, end) = (format!("{:02}:00", 7 + round), format!("{:02}:00", 8 + round));
        let mut hours = hours_form(&weekday, &start, &end, "10");
        hours.push(("doctor_id", &doctor_id));
        let day = (today + Duration::days(round + 1)).to_string();
        let closure = [("day", day.as_str()), ("doctor_id", ""), ("reason", "Race")];
        let lag = std::time::Duration::from_millis(round as u64 % 5 * 3);
        let (added, closed) = tokio::join!(admin_a.post("/schedule/hours", &hours), async {
            tokio::time::sleep(lag).await;
            admin_b.post("/schedule/closures", &closure).await
        });
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
        let (missing, wanted) = missing_slots(&app, id).await;
        if missing > 0 {
            failures.push(format!("round {round}: {missing} of {wanted} slots missing"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM doctor_hours WHERE doctor_id = {id}"))
            .await,
        10
    );
}

/// Reception picks a free time on a doctor's day, finds the patient, and books on the booking form with that time
/// chosen; a time that is full (or blocked, or started) offers no booking, and only the front desk books here.
async fn reception_books_a_patient_into_a_time_chosen_on_the_schedule(app: TestApp) {
    let (id, doc) = doctor(&app, "dr.ada").await;
    every_day(&doc, None, "09:00", "10:00", "30").await;
    let tomorrow = today(&app) + Duration::days(1);
    let slot = first_slot(&app, id, tomorrow).await;
    let (kemi, kemi_number) = visitor(&app, "Kemi", "Adisa").await;
    let reception = app.login_as("front", Role::Reception).await;
    // Asked for no doctor, the schedule opens on the first who works that day, not the first by name.
    let (idle, _) = doctor(&app, "dr.abe").await;
    let opened = reception.get(&format!("/schedule?day={tomorrow}")).await;
    assert!(opened.text("h1").starts_with("Test dr.ada"), "{}", opened.text("h1"));
    assert_eq!(
        opened.attr("#pick-doctor option[selected]", "value"),
        Some(id.to_string())
    );
    let week = reception.get(&format!("/schedule?day={tomorrow}&view=week")).await;
    assert!(week.text("h1").starts_with("Test dr.ada"), "{}", week.text("h1"));
    let chosen = reception.get(&format!("/schedule?doctor={idle}&day={tomorrow}")).await;
    assert!(chosen.text("h1").starts_with("Test dr.abe"), "{}", chosen.text("h1"));

    let day = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    let start = format!("/schedule/slots/{slot}/book");
    assert_eq!(
        day.attr(&format!("#s{slot} a.slot-book"), "href").as_deref(),
        Some(start.as_str())
    );
    assert_eq!(
        day.attr("#all-doctors-link", "href"),
        Some(format!("/schedule/all?day={tomorrow}"))
    );
    // Every doctor's day as one calendar: a row per time, a column per doctor with hours that day (Dr Abe has
    // none: walk-ins only); the open times lead to the same booking.
    let all = reception.get(&format!("/schedule/all?day={tomorrow}")).await;
    all.assert_status(StatusCode::OK);
    let open = all.attrs(&format!("a.cal-book[data-doctor=\"{id}\"]"), "href");
    assert_eq!(open.len(), 2, "09:00 and 09:30: {open:?}");
    assert_eq!(open[0], start);
    assert_eq!(all.texts("#day-calendar tbody th"), ["09:00", "09:30"]);
    assert!(all.has(&format!("#doctor-day-{id}")) && !all.has(&format!("#doctor-day-{idle}")));
    assert!(
        all.text("#walk-ins-only").contains("Test dr.abe"),
        "{}",
        all.text("main")
    );
    reception
        .get("/schedule/all?day=2026-02-30")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    doc.get("/schedule/all").await.assert_status(StatusCode::FORBIDDEN);
    let own = doc.get(&format!("/schedule?day={tomorrow}")).await;
    assert!(!own.has("a.slot-book"), "a doctor's own day books nobody");
    assert!(!own.has("#all-doctors-link"));
    doc.get(&start).await.assert_status(StatusCode::FORBIDDEN);
    reception
        .get("/schedule/slots/999999/book")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let page = reception.get(&start).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("h1").contains("09:00 with Test dr.ada"),
        "{}",
        page.text("h1")
    );
    assert!(
        page.text("#slot-facts").contains("2 of 2 seats free"),
        "{}",
        page.text("#slot-facts")
    );
    let found = reception.get(&format!("{start}?q=adisa")).await;
    let choose = format!("{start}?patient={kemi}");
    assert_eq!(found.attrs("#slot-patients a", "href"), [choose.as_str()]);
    assert!(found.text("#slot-patients").contains(&kemi_number));
    let none = reception.get(&format!("{start}?q=nobody-by-this-name")).await;
    assert!(none.has("#no-match"));
    assert!(!page.has("#slot-sooner"));
    // A time sooner than the clinic's booking notice says beforehand that booking it takes a reason, and the
    // booking then asks for it.
    app.set_setting("booking_min_notice_minutes", "2880").await;
    let sooner = reception.get(&start).await;
    assert!(
        sooner
            .text("#slot-sooner")
            .starts_with("This time is less than 2 days away"),
        "{}",
        sooner.text("main")
    );
    assert!(reception.get(&choose).await.has("#book-override[required]"));
    app.set_setting("booking_min_notice_minutes", "60").await;
    reception
        .get(&format!("{start}?patient=999999"))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Choosing the patient opens the booking of this time (in the same dialog with JavaScript): booking it is the
    // usual booking, and reception is back on the doctor's day.
    let form = reception.get(&choose).await;
    assert!(
        form.text("#slot-chosen").starts_with("Kemi Adisa"),
        "{}",
        form.text("main")
    );
    assert!(!form.has("#book-override"), "no rule to set aside");
    let mut fields = FormFields::of(&form, "#slot-confirm");
    assert_eq!(fields.get("then"), Some("schedule"));
    assert_eq!(fields.get("slot_id"), Some(slot.to_string().as_str()));
    fields.set("reason", "Follow-up");
    reception
        .post(&format!("/patients/{kemi}/appointments"), &fields.fields())
        .await
        .assert_redirect(&format!("/schedule?doctor={id}&day={tomorrow}"));
    let day = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    assert!(
        day.text(".flash-success").starts_with("Booked Kemi Adisa: "),
        "{}",
        day.text("main")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE patient_id = {kemi} AND slot_id = {slot} AND status = 'booked' AND reason = 'Follow-up'"
        ))
        .await,
        1
    );
    // The same form sent twice (a double click) books once.
    reception
        .post(&format!("/patients/{kemi}/appointments"), &fields.fields())
        .await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM appointment WHERE patient_id = {kemi}"))
            .await,
        1
    );
    // Kemi booked that day, choosing her again says what the rules say and asks why to book anyway.
    let again = reception.get(&choose).await;
    assert!(
        again.has("#slot-barrier") && again.has("#book-override[required]"),
        "{}",
        again.text("main")
    );

    // The last seat taken, the time offers no booking.
    let (tolu, _) = visitor(&app, "Tolu", "Adisa").await;
    book(&app, tolu, slot).await.expect("the second seat");
    let day = reception.get(&format!("/schedule?doctor={id}&day={tomorrow}")).await;
    assert!(!day.has(&format!("#s{slot} a.slot-book")));
    let full = reception.get(&start).await;
    assert!(full.text("#slot-closed").contains("Every seat"), "{}", full.body);
    let all = reception.get(&format!("/schedule/all?day={tomorrow}")).await;
    assert_eq!(all.attrs(&format!("a.cal-book[data-doctor=\"{id}\"]"), "href").len(), 1);
    // The full time shows who holds it, with their status, and books nobody more.
    let held = all.text("#day-calendar td.cal-held");
    assert!(
        held.contains("Kemi Adisa") && held.contains("Tolu Adisa") && held.contains("Booked"),
        "{held}"
    );
    assert!(!all.has(&format!("a.cal-book[href=\"{start}\"]")));
    // A blocked time says why, hatched, and offers no booking.
    let later = app
        .count(&format!(
            "SELECT id FROM slot WHERE doctor_id = {id} AND day = '{tomorrow}' AND id <> {slot}"
        ))
        .await;
    doc.post(&format!("/schedule/slots/{later}/block"), &[("reason", "Ward round")])
        .await
        .assert_redirect(&format!("/schedule?day={tomorrow}"));
    let all = reception.get(&format!("/schedule/all?day={tomorrow}")).await;
    assert_eq!(all.text("#day-calendar td.cal-blocked"), "Blocked: Ward round");
    assert!(
        all.attrs(&format!("a.cal-book[data-doctor=\"{id}\"]"), "href")
            .is_empty()
    );
    assert!(!full.has("#slot-patients") && !full.has("#slot-patient"));
}
