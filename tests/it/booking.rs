//! Booking: slots generated from hours, patients booking on the portal, the rules, cancelling, moving,
//! reception booking with overrides, the waitlist, no-shows, and races on the last seats.

use std::sync::Arc;

use chrono::Duration as Days;
use reqwest::StatusCode;
use sickbay_core::db::events::Event;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::scheduling::model::Hours;
use sickbay_core::scheduling::service as schedule;

use crate::support::{Client, Students, TestApp, appointment_on, doctor, on_both_databases, slot, slot_in, visitor};

on_both_databases!(
    slots_are_generated_from_hours_idempotently,
    a_student_books_sees_and_cancels,
    a_student_who_booked_and_cancelled_a_hundred_times_still_sees_what_they_hold,
    booking_rules_are_enforced_with_clear_messages,
    patients_cannot_touch_each_others_bookings,
    a_booking_can_be_moved_to_another_slot,
    reception_books_for_a_patient_and_may_override_with_a_reason,
    a_full_day_has_a_waitlist_that_is_offered_freed_seats,
    unchecked_bookings_become_no_shows,
    booking_pages_check_who_is_asking,
    a_hundred_students_race_for_ten_seats,
    one_student_submitting_twenty_times_books_once,
    a_student_who_cannot_book_is_told_before_choosing,
    reception_books_with_the_same_picker_as_the_patient,
    any_doctor_shows_each_doctors_first_times_and_one_tap_to_all,
    the_booking_pages_show_every_change_at_once,
    times_that_cannot_be_booked_are_not_offered_and_the_page_says_why,
    a_booking_too_close_to_change_online_says_why_and_what_to_do,
);

/// Students of the booking tests: BK/26/0000, BK/26/0001, ...; and students waiting for the clinic's approval,
/// BP/26/0000, ...
const STUDENTS: Students = Students::new("BK", "Booker");
const WAITING: Students = Students::new("BP", "Booker").pending();

/// A slot at `hour`:00 in the clinic's zone, `days` days from today.
async fn slot_at(app: &TestApp, doctor: i64, capacity: i64, days: i64, hour: u32) -> i64 {
    slot(app, doctor, capacity, local_time(app, days, hour)).await
}

/// Minutes from now until `hour`:00 in the clinic's zone, `days` days from today (so that two slots made
/// with it fall on the same clinic day whatever the time the test runs).
fn minutes_until(app: &TestApp, days: i64, hour: u32) -> i64 {
    (local_time(app, days, hour).0 - Timestamp::now().0) / 60_000
}

/// `hour`:00 in the clinic's zone, `days` days from today.
fn local_time(app: &TestApp, days: i64, hour: u32) -> Timestamp {
    use chrono::TimeZone;
    let settings = app.state.settings.get();
    let local = (settings.today() + Days::days(days))
        .and_hms_opt(hour, 0, 0)
        .expect("a time of day");
    let at = settings
        .clinic
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .expect("a real local time");
    Timestamp(at.timestamp_millis())
}

pub(crate) async fn book(client: &Client, slot: i64) -> crate::support::Page {
    client
        .post(
            "/me/appointments",
            &[("slot_id", &slot.to_string()), ("reason", "Headache")],
        )
        .await
}

async fn booked(app: &TestApp, slot: i64) -> i64 {
    app.count(&format!("SELECT booked FROM slot WHERE id = {slot}")).await
}

async fn slots_are_generated_from_hours_idempotently(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.hours").await;
    let settings = app.state.settings.get();
    for weekday in 1..=7 {
        let hours = Hours {
            id: 0,
            doctor_id: doc,
            weekday,
            start_minute: 9 * 60,
            end_minute: 12 * 60 + 10,
            slot_minutes: 30,
            capacity: 2,
            valid_from: Date(settings.today()),
            valid_until: None,
            active: true,
        };
        schedule::add_hours(app.db(), &Actor::system("test"), &hours)
            .await
            .unwrap();
    }
    let first = schedule::generate_slots(app.db(), settings.slot_horizon(), None)
        .await
        .unwrap();
    // Six whole 30-minute slots fit in 09:00–12:10, every day of the horizon (today's may have passed).
    let tomorrow = Date(settings.today() + Days::days(1));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM slot WHERE day = '{tomorrow}'"))
            .await,
        6
    );
    let last = Date(settings.today() + Days::days(settings.booking.horizon_days));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM slot WHERE day > '{last}'"))
            .await,
        0
    );
    assert!(first.created >= 6 * 14);
    let again = schedule::generate_slots(app.db(), settings.slot_horizon(), None)
        .await
        .unwrap();
    assert_eq!((again.created, again.removed), (0, 0), "idempotent");
    // The patient's picker shows tomorrow's slots with their seats.
    let ids = STUDENTS.numbered(&app, 1).await;
    assert_eq!(ids.len(), 1);
    let student = STUDENTS.client(&app, 0).await;
    let page = student.get(&format!("/me/book?day={tomorrow}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts(".slot-choice").len(), 4);
    assert!(page.text(".slot-seats").starts_with("2 places left"));
}

async fn a_student_books_sees_and_cancels(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.ngozi").await;
    let s = slot_in(&app, doc, 3, 24 * 60).await;
    STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    let page = book(&student, s).await;
    page.assert_redirect("/me/appointments");
    assert_eq!(booked(&app, s).await, 1);
    let mine = student.get("/me/appointments").await;
    assert!(mine.text(".flash-success").starts_with("Booked:"));
    let upcoming = mine.text("#upcoming li");
    assert!(
        upcoming.contains("Test dr.ngozi") && upcoming.contains("Booked") && upcoming.contains("Headache"),
        "{upcoming}"
    );
    let home = student.get("/me").await;
    assert!(home.text("#next-appointment").contains("Test dr.ngozi"));
    // The home's card moves it (the picker, rescheduling it) and cancels it (a page that asks first, with the
    // same form as the list's).
    let moving = home.attr("#next-move", "href").expect("Move on the home's card");
    assert!(
        moving.starts_with("/me/book?day=") && moving.contains("&reschedule="),
        "{moving}"
    );
    student.get(&moving).await.assert_status(StatusCode::OK);
    let cancel = mine.attr("#upcoming form", "action").expect("cancel form");
    assert_eq!(home.attr("#next-cancel", "href").as_ref(), Some(&cancel));
    let asked = student.get(&cancel).await;
    asked.assert_status(StatusCode::OK);
    assert_eq!(asked.attr("form.confirm-actions", "action").as_ref(), Some(&cancel));
    // Cancel: the seat is free at once.
    student.post(&cancel, &[]).await.assert_redirect("/me/appointments");
    assert_eq!(booked(&app, s).await, 0);
    let mine = student.get("/me/appointments").await;
    assert!(mine.has("#no-upcoming"));
    // A cancelled booking of a day still to come is listed as cancelled, not under "Earlier".
    assert!(mine.text("#cancelled").contains("Cancelled"));
    assert!(!mine.has("#past"));
    // Cancelling again is a clear conflict, and frees nothing more.
    student.post(&cancel, &[]).await.assert_status(StatusCode::CONFLICT);
    assert_eq!(booked(&app, s).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('appointment.book', 'appointment.cancel')")
            .await,
        2
    );
}

/// The list of a patient's appointments shows their latest hundred past and cancelled ones: the one they hold is
/// shown however many come after it (the clinic-day benchmark's students, booking and cancelling one time
/// again and again, lost it from their list and were then refused "one per day").
async fn a_student_who_booked_and_cancelled_a_hundred_times_still_sees_what_they_hold(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.ngozi").await;
    let s = slot_in(&app, doc, 3, 24 * 60).await;
    STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    for _ in 0..101 {
        book(&student, s).await.assert_redirect("/me/appointments");
        let id = app.count("SELECT MAX(id) FROM appointment").await;
        student
            .post(&format!("/me/appointments/{id}/cancel"), &[])
            .await
            .assert_redirect("/me/appointments");
    }
    book(&student, s).await.assert_redirect("/me/appointments");
    let held = app.count("SELECT MAX(id) FROM appointment").await;
    let mine = student.get("/me/appointments").await;
    let cancel = format!("/me/appointments/{held}/cancel");
    assert!(
        mine.has(&format!("#upcoming form[action='{cancel}']")),
        "{}",
        mine.text("#upcoming")
    );
    assert_eq!(
        mine.texts("#cancelled li").len(),
        100,
        "the latest hundred of the others"
    );
    student.post(&cancel, &[]).await.assert_redirect("/me/appointments");
    assert_eq!(booked(&app, s).await, 0);
}

async fn booking_rules_are_enforced_with_clear_messages(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.rules").await;
    STUDENTS.numbered(&app, 1).await;
    WAITING.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    let soon = slot_in(&app, doc, 1, 30).await;
    let page = book(&student, soon).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#booking-error").contains("too soon"));
    let far = slot_in(&app, doc, 1, 20 * 24 * 60).await;
    assert!(
        book(&student, far)
            .await
            .text("#booking-error")
            .contains("at most 14 days ahead")
    );
    // One per day.
    let morning = slot_in(&app, doc, 5, minutes_until(&app, 2, 10)).await;
    let afternoon = slot_in(&app, doc, 5, minutes_until(&app, 2, 15)).await;
    book(&student, morning).await.assert_redirect("/me/appointments");
    // The picker opens on the first day with free places the student does not already hold, not on the day
    // they booked (whose afternoon is still free).
    let (other_doc, _) = doctor(&app, "dr.rules.other").await;
    let next_day = slot_in(&app, other_doc, 5, minutes_until(&app, 3, 10)).await;
    let pool = app.db().pool();
    let day_of = |slot: i64| {
        sqlx::query_scalar::<_, String>("SELECT day FROM slot WHERE id = $1")
            .bind(slot)
            .fetch_one(pool)
    };
    let (held, free) = (
        day_of(morning).await.expect("a day"),
        day_of(next_day).await.expect("a day"),
    );
    let picker = student.get("/me/book").await;
    assert_eq!(
        picker.attr("input[name=day][checked]", "value"),
        Some(free.clone()),
        "{held} is held"
    );
    // The day held says so in the calendar, and on it; the others keep their places.
    let chip = |day: &str| picker.text(&format!("label[for='day-{day}'] .chip-seats"));
    assert_eq!(chip(&held), "Yours");
    assert_ne!(chip(&free), "Yours");
    assert_eq!(
        picker.attr(&format!("#day-{held}"), "aria-label"),
        Some(format!(
            "{}, you have an appointment on this day",
            sickbay::web::filters::long_day_of(&Date::parse(&held).expect("a day"))
        ))
    );
    assert!(!picker.has("#booking-blocked"), "not on a free day");
    let on_held = student.get(&format!("/me/book?day={held}")).await;
    assert!(
        on_held
            .text("#booking-blocked")
            .contains("You already have an appointment on that day")
    );
    let page = book(&student, afternoon).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#booking-error"),
        "You already have an appointment on that day."
    );
    // At most N upcoming.
    app.set_setting("booking_max_future", "1").await;
    let other_day = slot_in(&app, doc, 5, 3 * 24 * 60).await;
    assert!(
        book(&student, other_day)
            .await
            .text("#booking-error")
            .contains("1 upcoming appointments, the most allowed")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM appointment").await, 1);
    // Not yet approved: no booking.
    let pending = WAITING.client(&app, 0).await;
    let page = book(&pending, other_day).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#booking-error").contains("approval"));
    // Bad input: not a slot, an unknown slot, a reason too long; a blocked or past slot.
    book(&student, 0).await.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    student
        .post("/me/appointments", &[("slot_id", "abc")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    student
        .post("/me/appointments", &[("slot_id", "999999")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let long = "x".repeat(400);
    student
        .post(
            "/me/appointments",
            &[("slot_id", &other_day.to_string()), ("reason", &long)],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let past = slot_in(&app, doc, 1, -120).await;
    book(&student, past).await.assert_status(StatusCode::CONFLICT);
}

async fn patients_cannot_touch_each_others_bookings(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.private").await;
    let s = slot_in(&app, doc, 2, 24 * 60).await;
    STUDENTS.numbered(&app, 2).await;
    let alice = STUDENTS.client(&app, 0).await;
    let bob = STUDENTS.client(&app, 1).await;
    book(&alice, s).await.assert_redirect("/me/appointments");
    let id = app.count("SELECT id FROM appointment").await;
    bob.post(&format!("/me/appointments/{id}/cancel"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    bob.post(
        &format!("/me/appointments/{id}/reschedule"),
        &[("slot_id", &s.to_string())],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // Nor is the "move your booking" page shown for someone else's booking, or for an id that doesn't exist.
    for target in [id.to_string(), "999999".to_owned()] {
        bob.get(&format!("/me/book?reschedule={target}"))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    alice
        .get(&format!("/me/book?reschedule={id}"))
        .await
        .assert_status(StatusCode::OK);
    assert!(bob.get("/me/appointments").await.has("#no-upcoming"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM appointment WHERE status = 'booked'")
            .await,
        1
    );
    // Too close to the start, even the owner can't cancel online.
    let soon = slot_in(&app, doc, 2, 90).await;
    book(&bob, soon).await.assert_redirect("/me/appointments");
    let bobs = app
        .count(&format!("SELECT id FROM appointment WHERE slot_id = {soon}"))
        .await;
    let page = bob.post(&format!("/me/appointments/{bobs}/cancel"), &[]).await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(page.text(".flash-error").contains("changes close 2 hours before"));
}

async fn a_booking_can_be_moved_to_another_slot(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.move").await;
    let first = slot_at(&app, doc, 1, 2, 9).await;
    let second = slot_at(&app, doc, 1, 2, 10).await;
    let full = slot_at(&app, doc, 1, 2, 11).await;
    STUDENTS.numbered(&app, 2).await;
    let student = STUDENTS.client(&app, 0).await;
    let other = STUDENTS.client(&app, 1).await;
    book(&other, full).await.assert_redirect("/me/appointments");
    book(&student, first).await.assert_redirect("/me/appointments");
    let id = app
        .count(&format!("SELECT id FROM appointment WHERE slot_id = {first}"))
        .await;
    // Moving to a full slot fails and keeps the old booking.
    let page = student
        .post(
            &format!("/me/appointments/{id}/reschedule"),
            &[("slot_id", &full.to_string())],
        )
        .await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(page.text("#booking-error").contains("just filled up"));
    assert_eq!((booked(&app, first).await, booked(&app, full).await), (1, 1));
    student
        .post(
            &format!("/me/appointments/{id}/reschedule"),
            &[("slot_id", &second.to_string())],
        )
        .await
        .assert_redirect("/me/appointments");
    assert_eq!((booked(&app, first).await, booked(&app, second).await), (0, 1));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM appointment WHERE status = 'booked'")
            .await,
        2
    );
    // The old booking says where it went, to the patient and on the doctor's day.
    let moved_to = app
        .count(&format!("SELECT moved_to_id FROM appointment WHERE id = {id}"))
        .await;
    let new_id = app
        .count(&format!(
            "SELECT id FROM appointment WHERE slot_id = {second} AND status = 'booked'"
        ))
        .await;
    assert_eq!(moved_to, new_id);
    let mine = student.get("/me/appointments").await;
    assert_eq!(mine.text("#cancelled-heading"), "Cancelled or moved");
    let moved = mine.text("#cancelled li");
    assert!(moved.contains("Test dr.move · Moved to "), "{moved}");
    assert!(!moved.contains("Cancelled") && !moved.contains(" with "), "{moved}");
    // On the same day the clock says enough.
    assert!(moved.ends_with("Moved to 10:00"), "{moved}");
    let patient = app
        .count(&format!("SELECT patient_id FROM appointment WHERE id = {id}"))
        .await;
    let reception = app.login_as("desk", Role::Reception).await;
    let record = reception.get(&format!("/patients/{patient}")).await;
    assert!(record.text("#patient-appointments").contains("Test dr.move · Moved"));
    // The audit log links the booking to its row on the doctor's day; a patient can't follow the link.
    let admin = app.admin().await;
    let log = admin.get("/admin/audit?action=appointment.reschedule").await;
    let link = format!("/appointments/{new_id}");
    assert_eq!(
        log.attr("#audit-rows tbody a[href^='/appointments/']", "href"),
        Some(link.clone())
    );
    let place = admin.get(&link).await;
    assert_eq!(place.status, StatusCode::SEE_OTHER);
    let to = place.location().unwrap_or_default();
    assert!(
        to.starts_with("/schedule?") && to.ends_with(&format!("#a{new_id}")),
        "{to}"
    );
    student.get(&link).await.assert_status(StatusCode::FORBIDDEN);
    // A doctor sees only their own day's appointments; an unknown or malformed id is a clear 4xx.
    let (_, other_doctor) = doctor(&app, "dr.other").await;
    other_doctor.get(&link).await.assert_status(StatusCode::NOT_FOUND);
    admin
        .get("/appointments/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let malformed = admin.get("/appointments/12x").await;
    assert!(malformed.status.is_client_error(), "{}", malformed.status);
    // To another day the date is given too.
    let next_day = slot_at(&app, doc, 1, 3, 9).await;
    student
        .post(
            &format!("/me/appointments/{new_id}/reschedule"),
            &[("slot_id", &next_day.to_string())],
        )
        .await
        .assert_redirect("/me/appointments");
    let new_time = student
        .get("/me/appointments")
        .await
        .text("#upcoming li > div > strong");
    assert!(new_time.ends_with(", 09:00"), "{new_time}");
    let moved = student.get("/me/appointments").await.texts("#cancelled li");
    let to_next_day = format!("Moved to {new_time}");
    assert!(moved.iter().any(|m| m.ends_with(&to_next_day)), "{moved:?}");
}

async fn reception_books_for_a_patient_and_may_override_with_a_reason(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.desk").await;
    let soon = slot_in(&app, doc, 1, 20).await;
    let ids = STUDENTS.numbered(&app, 1).await;
    let reception = app.login_as("desk", Role::Reception).await;
    let page = reception.get(&format!("/patients/{}/book", ids[0])).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#booking-for").contains("Student0 Booker"));
    let path = format!("/patients/{}/appointments", ids[0]);
    let refused = reception.post(&path, &[("slot_id", &soon.to_string())]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#booking-error").contains("give a reason to override"));
    reception
        .post(
            &path,
            &[
                ("slot_id", &soon.to_string()),
                ("override_reason", "Emergency follow-up"),
            ],
        )
        .await
        .assert_redirect(&format!("/patients/{}", ids[0]));
    let detail: String = sqlx::query_scalar("SELECT detail FROM audit_event WHERE action = 'appointment.book'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(detail, "rules overridden: Emergency follow-up");
    let profile = reception.get(&format!("/patients/{}", ids[0])).await;
    assert!(profile.text("#patient-appointments").contains("Test dr.desk"));
    // Even an override can't overbook a full slot.
    let (ids2, _) = visitor(&app, "Walk", "In").await;
    let page = reception
        .post(
            &format!("/patients/{ids2}/appointments"),
            &[("slot_id", &soon.to_string()), ("override_reason", "Please")],
        )
        .await;
    page.assert_status(StatusCode::CONFLICT);
    assert_eq!(booked(&app, soon).await, 1);
}

async fn a_full_day_has_a_waitlist_that_is_offered_freed_seats(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.full").await;
    let s = slot_in(&app, doc, 1, 2 * 24 * 60).await;
    let day: String = sqlx::query_scalar(&format!("SELECT day FROM slot WHERE id = {s}"))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    STUDENTS.numbered(&app, 2).await;
    let first = STUDENTS.client(&app, 0).await;
    let second = STUDENTS.client(&app, 1).await;
    book(&first, s).await.assert_redirect("/me/appointments");
    let page = second.get(&format!("/me/book?day={day}")).await;
    assert!(page.has("#day-full"));
    second
        .post("/me/waitlist", &[("day", &day)])
        .await
        .assert_redirect("/me/appointments");
    second
        .post("/me/waitlist", &[("day", &day)])
        .await
        .assert_redirect("/me/appointments");
    assert!(
        second
            .get("/me/appointments")
            .await
            .text(".flash-success")
            .contains("already on the waitlist")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM waitlist_entry").await, 1);
    second
        .post("/me/waitlist", &[("day", "1999-01-01")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // A cancellation offers the seat to the first waiting.
    let id = app.count("SELECT id FROM appointment").await;
    first
        .post(&format!("/me/appointments/{id}/cancel"), &[])
        .await
        .assert_redirect("/me/appointments");
    let notices = second.get("/notices").await;
    assert!(
        notices.text("#notices").contains("A place has come free"),
        "{}",
        notices.body
    );
    assert_eq!(notices.text("#bell .bell-count"), "1");
    let waitlist = second.get("/me/appointments").await.text("#waitlist");
    assert!(waitlist.contains("book it now"), "{waitlist}");
    // The day as people say it, never ISO.
    assert!(!waitlist.chars().any(|c| c == '-'), "{waitlist}");
    book(&second, s).await.assert_redirect("/me/appointments");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM waitlist_entry WHERE status = 'accepted'")
            .await,
        1
    );
    // Opening the notice reads it and leads to the day's booking page.
    let note = notices.attr("#notices form", "action").unwrap();
    let opened = second.post(&note, &[]).await;
    assert!(
        opened.location().is_some_and(|to| to.starts_with("/me/book?day=")),
        "{:?}",
        opened.location()
    );
    assert!(second.get("/notices").await.has(".notice:not(.notice-unread)"));
    // Someone else's notice is not theirs to open.
    first.post(&note, &[]).await.assert_status(StatusCode::NOT_FOUND);
}

async fn unchecked_bookings_become_no_shows(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.late").await;
    let ids = STUDENTS.numbered(&app, 1).await;
    let past = slot_in(&app, doc, 1, -120).await;
    let future = slot_in(&app, doc, 1, 24 * 60).await;
    for s in [past, future] {
        appointment_on(&app, ids[0], s).await;
    }
    // The job's run announces what it marked as a change to bookings, and nothing when it marked nothing.
    let mut events = app.db().events().subscribe();
    let job = || sickbay_core::scheduling::service::mark_no_shows(app.db(), 30);
    assert_eq!(job().await.unwrap(), 1);
    let told = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
        .await
        .expect("an event")
        .expect("delivered");
    assert!(matches!(told.event, Event::Bookings), "{:?}", told.event);
    assert_eq!(job().await.unwrap(), 0, "idempotent");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        events.try_recv().is_err(),
        "a run that marked nothing announces nothing"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE slot_id = {past} AND status = 'no_show'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE slot_id = {future} AND status = 'booked'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'appointment.no_show'")
            .await,
        1
    );
    // Staff correct a wrong mark, audited.
    let id = app
        .count(&format!("SELECT id FROM appointment WHERE slot_id = {past}"))
        .await;
    let admin_id = app.count("SELECT id FROM staff WHERE username = 'admin'").await;
    let actor = Actor::staff_account(admin_id, "admin", "127.0.0.1");
    schedule::correct_status(
        app.db(),
        &actor,
        sickbay_core::identity::DoctorScope::Any,
        id,
        sickbay_core::scheduling::model::AppointmentStatus::CheckedIn,
        "arrived late",
    )
    .await
    .unwrap();
    assert!(
        schedule::correct_status(
            app.db(),
            &actor,
            sickbay_core::identity::DoctorScope::Any,
            id,
            sickbay_core::scheduling::model::AppointmentStatus::CheckedIn,
            "again"
        )
        .await
        .is_err()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'appointment.correct'")
            .await,
        1
    );
}

async fn booking_pages_check_who_is_asking(app: TestApp) {
    let ids = STUDENTS.numbered(&app, 1).await;
    let staff = app.admin().await;
    for path in ["/me/book", "/me/appointments"] {
        staff.get(path).await.assert_status(StatusCode::FORBIDDEN);
    }
    staff
        .post("/me/appointments", &[("slot_id", "1")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let student = STUDENTS.client(&app, 0).await;
    student
        .get(&format!("/patients/{}/book", ids[0]))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    student
        .post(&format!("/patients/{}/appointments", ids[0]), &[("slot_id", "1")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let doctor_client = app.login_as("dr.nobook", Role::Doctor).await;
    doctor_client
        .get(&format!("/patients/{}/book", ids[0]))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let stranger = app.client();
    assert!(
        stranger
            .get("/me/book")
            .await
            .location()
            .unwrap_or_default()
            .starts_with("/login")
    );
    staff
        .get("/patients/999999/book")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // A day outside the horizon falls back to today; junk is ignored.
    student
        .get("/me/book?day=2999-01-01&doctor=abc")
        .await
        .assert_status(StatusCode::OK);
    // The htmx request gets just the slot list.
    let fragment = student.get_with("/me/book", &[("hx-request", "true")]).await;
    assert!(!fragment.body.contains("<html") && fragment.has("#slots-heading"));
}

/// Every loser is told the slot filled up. (With 200 students at once, a debug build on two cores with another
/// test beside it spent over PostgreSQL's two-second wait for a connection rendering the refusals, and some were
/// told the database was unavailable.)
async fn a_hundred_students_race_for_ten_seats(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.popular").await;
    let s = slot_in(&app, doc, 10, 24 * 60).await;
    STUDENTS.numbered(&app, 100).await;
    let mut clients = Vec::new();
    for i in 0..100 {
        clients.push(STUDENTS.client(&app, i).await);
    }
    // Learn every token first, then fire all the bookings at once.
    for client in &clients {
        client.csrf_token().await;
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let mut tasks = Vec::new();
    for client in clients {
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let page = book(&client, s).await;
            (
                page.status,
                page.has("#booking-error").then(|| page.text("#booking-error")),
            )
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            (StatusCode::SEE_OTHER, _) => won += 1,
            (StatusCode::CONFLICT, Some(message)) => {
                assert_eq!(message, "This slot just filled up. Please choose another.")
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(won, 10);
    assert_eq!(booked(&app, s).await, 10);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE slot_id = {s} AND status = 'booked'"
        ))
        .await,
        10
    );
}

async fn one_student_submitting_twenty_times_books_once(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.double").await;
    let s = slot_in(&app, doc, 10, 24 * 60).await;
    STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    student.csrf_token().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let student = student.clone();
        tasks.push(tokio::spawn(async move { book(&student, s).await.status }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| s.is_redirection() || s.is_client_error()),
        "{statuses:?}"
    );
    assert_eq!(booked(&app, s).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM appointment").await, 1);
}

fn day_from_today(app: &TestApp, days: i64) -> String {
    (app.state.settings.get().today() + Days::days(days)).to_string()
}

fn values(page: &crate::support::Page, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).expect("selector");
    page.html()
        .select(&selector)
        .filter_map(|e| e.value().attr("value").map(str::to_owned))
        .collect()
}

async fn a_student_who_cannot_book_is_told_before_choosing(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.told").await;
    let first = slot_in(&app, doc, 3, minutes_until(&app, 2, 10)).await;
    slot_in(&app, doc, 3, minutes_until(&app, 3, 10)).await;
    let ids = STUDENTS.numbered(&app, 1).await;
    WAITING.numbered(&app, 1).await;
    // Waiting for approval: said at the top, before any choice, and the Book button is off.
    let pending = WAITING.client(&app, 0).await;
    let page = pending.get("/me/book").await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("#booking-blocked")
            .contains("waiting for the clinic's approval")
    );
    assert!(!page.has("#booking-error"), "told, not scolded");
    assert!(page.has(".slot-choice"), "the times can still be seen");
    assert!(page.has("#book-bar button[type=submit][disabled]"));
    // Approved, with room for more: nothing to say.
    let student = STUDENTS.client(&app, 0).await;
    let page = student.get("/me/book").await;
    assert!(!page.has("#booking-blocked"), "{}", page.body);
    assert!(page.has("#book-bar button[type=submit]:not([disabled])"));
    // At the limit of upcoming bookings: said on every day, before choosing.
    app.set_setting("booking_max_future", "1").await;
    book(&student, first).await.assert_redirect("/me/appointments");
    let page = student.get(&format!("/me/book?day={}", day_from_today(&app, 3))).await;
    assert!(
        page.text("#booking-blocked")
            .contains("You already have 1 upcoming appointments, the most allowed")
    );
    assert!(page.has("#booking-blocked a[href='/me/appointments']"));
    assert!(page.has("#book-bar button[type=submit][disabled]"));
    // Reception sees why in its own words, and may still book by giving a reason.
    let reception = app.login_as("desk.told", Role::Reception).await;
    let page = reception
        .get(&format!("/patients/{}/book?day={}", ids[0], day_from_today(&app, 3)))
        .await;
    assert_eq!(
        page.text("#booking-blocked"),
        "The patient already has 1 upcoming appointments, the most allowed. To book anyway, give a reason to override the rules."
    );
    assert!(page.has("#book-bar button[type=submit]:not([disabled])"));
    // Moving a booking is not a new one: no limit to tell about.
    let id = app.count("SELECT id FROM appointment").await;
    let page = student
        .get(&format!("/me/book?day={}&reschedule={id}", day_from_today(&app, 3)))
        .await;
    assert!(!page.has("#booking-blocked"), "{}", page.body);
}

async fn reception_books_with_the_same_picker_as_the_patient(app: TestApp) {
    let (adaeze, _) = doctor(&app, "dr.adaeze").await;
    let (bello, _) = doctor(&app, "dr.bello").await;
    let morning = slot_at(&app, adaeze, 2, 2, 9).await;
    slot_at(&app, adaeze, 2, 2, 10).await;
    slot_at(&app, bello, 2, 2, 14).await;
    let day = day_from_today(&app, 2);
    let ids = STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    let reception = app.login_as("desk.same", Role::Reception).await;
    let mine = student.get(&format!("/me/book?day={day}")).await;
    let theirs = reception.get(&format!("/patients/{}/book?day={day}", ids[0])).await;
    for page in [&mine, &theirs] {
        page.assert_status(StatusCode::OK);
        // The days: one radio group, each day saying whether it has free places.
        assert!(values(page, "input[type=radio][name=day]").len() >= 7);
        assert_eq!(
            values(page, "input[type=radio][name=day][checked]"),
            std::slice::from_ref(&day)
        );
        assert_eq!(
            page.text(&format!("label.day-chip[for='day-{day}']"))
                .split(' ')
                .next_back(),
            Some("left")
        );
        // The times: per doctor, by morning and afternoon, one radio group, and the book bar.
        assert_eq!(page.texts(".slot-group h3"), ["Test dr.adaeze", "Test dr.bello"]);
        assert_eq!(page.texts(".slot-period h4"), ["Morning", "Afternoon"]);
        assert_eq!(page.texts(".slot-choice .slot-time"), ["09:00", "10:00", "14:00"]);
        let shown = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .expect("a day")
            .format("%a %-d %b");
        assert_eq!(
            page.attr("input[name=slot_id]", "data-summary"),
            Some(format!("{shown} · 09:00\nTest dr.adaeze"))
        );
        assert!(page.has(".slot-form #book-bar button[type=submit]"));
    }
    assert_eq!(
        values(&mine, "input[name=slot_id]"),
        values(&theirs, "input[name=slot_id]")
    );
    assert_eq!(mine.attr(".slot-form", "action").as_deref(), Some("/me/appointments"));
    let action = theirs.attr(".slot-form", "action").expect("reception's form");
    assert_eq!(action, format!("/patients/{}/appointments", ids[0]));
    assert!(theirs.has("#override_reason") && !mine.has("#override_reason"));
    // Reception books through it like the patient would.
    reception
        .post(
            &action,
            &[("slot_id", &morning.to_string()), ("day", &day), ("doctor", "")],
        )
        .await
        .assert_redirect(&format!("/patients/{}", ids[0]));
    assert_eq!(booked(&app, morning).await, 1);
    // A refused choice comes back chosen, with the bar naming it.
    let refused = student
        .post(
            "/me/appointments",
            &[("slot_id", &morning.to_string()), ("day", &day), ("doctor", "")],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(values(&refused, "input[name=slot_id][checked]"), [morning.to_string()]);
    let shown = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .expect("a day")
        .format("%a %-d %b");
    assert_eq!(refused.text("#book-summary"), format!("{shown} · 09:00 Test dr.adaeze"));
}

async fn any_doctor_shows_each_doctors_first_times_and_one_tap_to_all(app: TestApp) {
    let (adaeze, _) = doctor(&app, "dr.adaeze").await;
    let (bello, _) = doctor(&app, "dr.bello").await;
    let mut adaezes = Vec::new();
    for hour in [8, 9, 10, 11, 13, 14, 15, 16] {
        adaezes.push(slot_at(&app, adaeze, 2, 2, hour).await);
    }
    slot_at(&app, bello, 2, 2, 14).await;
    let day = day_from_today(&app, 2);
    let ids = STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    let reception = app.login_as("desk.any", Role::Reception).await;
    for (client, base) in [
        (&student, "/me/book".to_owned()),
        (&reception, format!("/patients/{}/book", ids[0])),
    ] {
        // Any doctor: the first four of Dr Adaeze's eight times, Dr Bello's one, and a link to all of hers.
        let page = client.get(&format!("{base}?day={day}")).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(
            page.texts(".slot-choice .slot-time"),
            ["08:00", "09:00", "10:00", "11:00", "14:00"]
        );
        // The day's earliest time on top: a label of its own button, so a tap chooses it.
        assert_eq!(page.text("#earliest .earliest-pick"), "08:00 with Test dr.adaeze");
        let earliest = format!("slot-{}", adaezes[0]);
        assert_eq!(page.attr("#earliest label", "for").as_deref(), Some(earliest.as_str()));
        assert_eq!(
            page.attr(&format!("input#{earliest}"), "value"),
            Some(adaezes[0].to_string())
        );
        // Marked, so the pill shows when it is chosen; the one time marked.
        assert_eq!(page.texts("input[data-earliest]").len(), 1);
        assert!(page.has(&format!("input#{earliest}[data-earliest]")));
        assert_eq!(page.texts(".slot-more"), ["All 8 times with Test dr.adaeze"]);
        let all = page.attr(".slot-more", "href").expect("a link to all her times");
        assert_eq!(all, format!("{base}?day={day}&doctor={adaeze}"));
        assert_eq!(page.attr(".slot-more", "hx-get").as_deref(), Some(all.as_str()));
        // It shows her whole day.
        let hers = client.get(&all).await;
        assert_eq!(hers.texts(".slot-choice .slot-time").len(), 8);
        assert!(!hers.has(".slot-more"));
        assert!(!hers.has("#earliest"), "one doctor's day needs no earliest");
        // A time chosen before a refusal stays shown, wherever it falls in her day.
        let last = adaezes[7];
        let again = client.get(&format!("{base}?day={day}&slot={last}")).await;
        assert_eq!(values(&again, "input[name=slot_id][checked]"), [last.to_string()]);
        // Her first four, the one chosen, and Dr Bello's one.
        assert_eq!(again.texts(".slot-choice .slot-time").len(), 6);
        assert_eq!(again.texts(".slot-more"), ["All 8 times with Test dr.adaeze"]);
    }
    // Moving a booking says which, and opens on its doctor's whole day.
    book(&student, adaezes[0]).await.assert_redirect("/me/appointments");
    let id = app
        .count(&format!("SELECT id FROM appointment WHERE slot_id = {}", adaezes[0]))
        .await;
    let moving = student.get(&format!("/me/book?day={day}&reschedule={id}")).await;
    let booked = moving.text("#moving-from");
    assert!(booked.contains(":00 with Test dr.adaeze"), "{booked}");
    assert_eq!(values(&moving, "#doctor option[selected]"), [adaeze.to_string()]);
    assert_eq!(moving.texts(".slot-choice .slot-time").len(), 8);
    // With any doctor chosen instead, "All 8 times" keeps moving it on her whole day.
    let any = student
        .get(&format!("/me/book?day={day}&doctor=&reschedule={id}"))
        .await;
    assert_eq!(
        any.attr(".slot-more", "href"),
        Some(format!("/me/book?day={day}&doctor={adaeze}&reschedule={id}"))
    );
}

/// The calendar, the times and the doctors are read once per change and shared by every booking page: each
/// change that makes them different must be announced, or a page would show it only seconds later.
async fn the_booking_pages_show_every_change_at_once(app: TestApp) {
    let admin = app.admin().await;
    let (adaeze, _) = doctor(&app, "dr.adaeze").await;
    let (bello, _) = doctor(&app, "dr.bello").await;
    let hers = slot_at(&app, adaeze, 1, 2, 10).await;
    slot_at(&app, bello, 1, 2, 11).await;
    // A doctor who sees walk-ins only has no time to book: not offered, so no one picks a row of closed days.
    doctor(&app, "dr.walkin").await;
    let day = day_from_today(&app, 2);
    STUDENTS.numbered(&app, 2).await;
    let watching = STUDENTS.client(&app, 0).await;
    let shown = || async {
        let page = watching.get(&format!("/me/book?day={day}")).await;
        page.assert_status(StatusCode::OK);
        let chip = page.text(&format!("label.day-chip[for='day-{day}']"));
        let doctors = page.texts("#doctor option");
        (chip, page.texts(".slot-choice .slot-time"), doctors)
    };
    let (chip, times, doctors) = shown().await;
    assert!(chip.ends_with("2 left"), "{chip}");
    assert_eq!(times, ["10:00", "11:00"]);
    assert_eq!(doctors, ["Any doctor", "Test dr.adaeze", "Test dr.bello"]);
    // Another student takes her last seat.
    let other = STUDENTS.client(&app, 1).await;
    book(&other, hers).await.assert_redirect("/me/appointments");
    let (chip, times, _) = shown().await;
    assert!(chip.ends_with("1 left"), "{chip}");
    assert_eq!(times, ["11:00"]);
    // The admin gives Dr Bello a specialty, then deactivates his account.
    admin
        .post(
            &format!("/admin/staff/{bello}/profile"),
            &[
                ("specialty", "Dermatology"),
                ("qualifications", ""),
                ("profile_note", ""),
            ],
        )
        .await
        .assert_redirect(&format!("/admin/staff/{bello}#profile"));
    let (_, _, doctors) = shown().await;
    assert_eq!(doctors[2], "Test dr.bello · Dermatology");
    admin
        .post(&format!("/admin/staff/{bello}/deactivate"), &[])
        .await
        .assert_redirect(&format!("/admin/staff/{bello}"));
    let (chip, times, doctors) = shown().await;
    assert!(chip.ends_with("Full"), "only her slot is left, and it is taken: {chip}");
    assert!(times.is_empty(), "{times:?}");
    assert_eq!(doctors, ["Any doctor", "Test dr.adaeze"]);
}

/// The clinic day a slot falls on, as the picker's `day` parameter.
async fn day_of_slot(app: &TestApp, slot: i64) -> String {
    let day: Date = sqlx::query_scalar("SELECT day FROM slot WHERE id = $1")
        .bind(slot)
        .fetch_one(app.db().pool())
        .await
        .expect("the slot");
    day.to_string()
}

/// The minimum notice is one hour (the default): a time sooner than that is not offered to the patient at all,
/// where it used to be offered and refused after the tap; a day whose every time is too soon says so and what to do
/// instead, rather than looking full. Reception, who may set the rules aside, still sees it.
async fn times_that_cannot_be_booked_are_not_offered_and_the_page_says_why(app: TestApp) {
    assert_eq!(app.state.settings.get().booking.min_notice_minutes, 60);
    let (early, _) = doctor(&app, "dr.early").await;
    let (late, _) = doctor(&app, "dr.late").await;
    let (gone, _) = doctor(&app, "dr.gone").await;
    // Dr Early: one time in 30 minutes (too soon) and one in four hours. Dr Late: only the time too soon.
    // Dr Gone: only a time that started ten minutes ago, or at midnight when that was yesterday (a past day is
    // not shown at all).
    let soon = slot_in(&app, early, 2, 30).await;
    let later = slot_in(&app, early, 2, 4 * 60).await;
    let only_soon = slot_in(&app, late, 2, 30).await;
    let ten_minutes_ago = Timestamp(Timestamp::now().0 - 10 * 60_000);
    let started = slot(&app, gone, 2, ten_minutes_ago.max(local_time(&app, 0, 0))).await;
    let ids = STUDENTS.numbered(&app, 2).await;
    let student = STUDENTS.client(&app, 0).await;
    // A student with no booking: after midnight every slot here falls on one day, which the first student's
    // booking marks "Yours" (one a day), whatever its times.
    let unbooked = STUDENTS.client(&app, 1).await;
    let reception = app.login_as("desk.soon", Role::Reception).await;

    let soon_day = day_of_slot(&app, soon).await;
    let page = student.get(&format!("/me/book?day={soon_day}&doctor={early}")).await;
    page.assert_status(StatusCode::OK);
    let offered = values(&page, "input[name=slot_id]");
    assert!(
        !offered.contains(&soon.to_string()),
        "too soon is not offered: {offered:?}"
    );
    let later_day = day_of_slot(&app, later).await;
    let page = student.get(&format!("/me/book?day={later_day}&doctor={early}")).await;
    assert!(values(&page, "input[name=slot_id]").contains(&later.to_string()));
    if later_day == soon_day && soon_day == day_from_today(&app, 0) {
        assert_eq!(
            page.text("#notice-hint"),
            "Times less than 1 hour from now can't be booked online."
        );
    }
    // Booking what is offered works; what is not offered is refused as before (a form left open).
    book(&student, later).await.assert_redirect("/me/appointments");
    let refused = book(&student, soon).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#booking-error").contains("too soon"));

    // A day with only a time too soon: "Too late", why, and what to do; no waitlist for a day that is not full.
    let late_day = day_of_slot(&app, only_soon).await;
    let page = unbooked.get(&format!("/me/book?day={late_day}&doctor={late}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.has("input[name=slot_id]"));
    assert_eq!(
        page.text("#day-too-late"),
        "No time left on this day can be booked online: a booking must be made at least 1 hour before its time. \
         Choose a later day, or call the clinic if you need to be seen sooner."
    );
    assert!(!page.has("#day-full") && !page.has("#no-slots"));
    assert!(!page.has("form[action='/me/waitlist']"));
    let chip = page.text(&format!("label.day-chip[for='day-{late_day}']"));
    assert!(chip.ends_with("Too late"), "{chip}");
    // Reception sees the time (and may book it with a reason).
    let theirs = reception
        .get(&format!("/patients/{}/book?day={late_day}&doctor={late}", ids[0]))
        .await;
    assert_eq!(values(&theirs, "input[name=slot_id]"), [only_soon.to_string()]);
    // A time that has started is offered to nobody: reception is told the day's times have all started.
    let gone_day = day_of_slot(&app, started).await;
    let theirs = reception
        .get(&format!("/patients/{}/book?day={gone_day}&doctor={gone}", ids[0]))
        .await;
    assert!(!theirs.has("input[name=slot_id]"));
    assert_eq!(
        theirs.text("#day-too-late"),
        "Every time on this day has started. Choose a later day."
    );
    // The doctor's day marks the time under way (a calendar's "now" line), and says so to a screen reader.
    let day = reception.get(&format!("/schedule?doctor={gone}&day={gone_day}")).await;
    let class = day.attr(&format!("#s{started}"), "class").unwrap_or_default();
    assert!(class.ends_with(" slot-now"), "{class}");
    assert!(day.text(&format!("#s{started} > strong")).ends_with("(now)"));
    // Without a minimum notice the same time is offered to the patient: one rule for offering and booking.
    app.set_setting("booking_min_notice_minutes", "0").await;
    app.announce(Event::Bookings).await;
    let page = unbooked.get(&format!("/me/book?day={late_day}&doctor={late}")).await;
    assert_eq!(values(&page, "input[name=slot_id]"), [only_soon.to_string()]);
    assert!(!page.has("#notice-hint"));
}

/// A booking inside the cancellation cutoff (two hours by default) can't be moved or cancelled online any more: the
/// list says why and to call the clinic instead, where it used to drop the buttons without a word.
async fn a_booking_too_close_to_change_online_says_why_and_what_to_do(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.close").await;
    let close = slot_in(&app, doc, 2, 90).await;
    let far = slot_in(&app, doc, 2, 3 * 24 * 60).await;
    STUDENTS.numbered(&app, 1).await;
    let student = STUDENTS.client(&app, 0).await;
    book(&student, close).await.assert_redirect("/me/appointments");
    book(&student, far).await.assert_redirect("/me/appointments");
    let id = |slot: i64| {
        let app = &app;
        async move {
            app.count(&format!("SELECT id FROM appointment WHERE slot_id = {slot}"))
                .await
        }
    };
    let (close_id, far_id) = (id(close).await, id(far).await);
    let page = student.get("/me/appointments").await;
    let why = "It is too close to the time to move or cancel this booking online (changes close 2 hours before). \
               To change it, call the clinic.";
    assert_eq!(page.text(&format!("#change-closed-{close_id}")), why);
    assert!(!page.has(&format!("a[href*='reschedule={close_id}']")));
    assert!(!page.has(&format!("form[action='/me/appointments/{close_id}/cancel']")));
    // The booking further ahead keeps its buttons and says nothing.
    assert!(!page.has(&format!("#change-closed-{far_id}")));
    assert!(page.has(&format!("a[href*='reschedule={far_id}']")));
    assert!(page.has(&format!("form[action='/me/appointments/{far_id}/cancel']")));
    // A cancellation sent anyway is refused with the same words.
    let refused = student.post(&format!("/me/appointments/{close_id}/cancel"), &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(refused.text(".flash-error"), why);
    assert_eq!(booked(&app, close).await, 1);
}
