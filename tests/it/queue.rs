//! The live queue: tickets and their numbering, priority order, call next under races, the moves and who may
//! make them, the patient's place, the waiting-room display and its event stream, and fan-out between two
//! instances on one PostgreSQL database.

use std::time::Duration;

use reqwest::StatusCode;
use sickbay::state::AppState;
use sickbay_core::db::events::Event;
use sickbay_core::db::{Date, Db, Timestamp};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;

use crate::support::{
    Client, EventStream, FormFields, Page, Students, TestApp, add_room, appointment_today, clinic, doctor,
    on_both_databases, slot_today, test_config,
};

on_both_databases!(
    tickets_are_numbered_per_day_and_prefix,
    a_patient_holds_one_open_ticket_and_an_appointment_one_ticket,
    call_next_follows_priority_then_the_one_clock,
    a_waiting_patient_who_got_worse_is_marked_urgent_and_called_first,
    a_skipped_ticket_goes_back_behind_the_next_few,
    two_doctors_racing_call_each_ticket_once,
    a_double_clicked_call_next_calls_one_patient,
    moves_follow_the_lifecycle_and_keep_the_appointment_in_step,
    the_call_guard_is_exact_after_skips_recalls_and_transfers,
    a_doctor_calls_one_patient_at_a_time_to_a_room,
    a_doctor_signs_completes_and_calls_the_next_in_one_press,
    a_walk_in_is_found_by_name_as_it_is_typed,
    queue_routes_check_role_and_ownership,
    walk_ins_register_new_patients_or_refuse_cleanly,
    a_new_walk_in_already_registered_is_offered_their_record,
    the_display_shows_every_queues_next_patient,
    reception_adds_a_patient_to_the_queue_from_their_record,
    rooms_are_managed_by_admins_with_clear_messages,
    the_patient_sees_only_their_own_place,
    the_display_shows_codes_and_rooms_never_names,
    event_streams_push_changes_and_resend_everything_on_reconnect,
    the_board_shows_the_days_statistics,
    yesterdays_open_tickets_are_closed,
    event_streams_end_when_the_server_stops,
    a_change_pushes_only_the_changed_ticket_and_a_reconnect_gets_the_whole_board,
    a_tickets_actions_act_on_that_ticket_for_those_who_may,
    the_check_in_list_is_lean_and_follows_bookings_live,
    reception_sets_rooms_from_one_form_above_the_live_table,
    the_board_lists_the_hours_bookings_and_the_rest_of_the_day_is_a_tap_away,
    the_days_bookings_to_check_in_come_a_page_at_a_time_and_are_searchable,
    the_desks_search_checks_in_a_booking_of_later_today_or_registers_a_name_it_did_not_find,
    old_calls_leave_the_display,
    choosing_a_walk_in_selects_them_and_adding_is_its_own_act,
    a_no_show_or_left_by_mistake_is_undone_once_back_to_its_place,
    the_days_no_shows_and_leavers_stay_on_the_board_to_put_back,
    the_patients_page_lists_who_came_in_today,
    a_patient_leaves_the_queue_from_their_phone_while_waiting,
    a_patient_leaving_as_the_doctor_calls_is_either_called_or_gone,
);

const WAIT: Duration = Duration::from_secs(10);

/// The patients of the queue tests: QU/26/0000, QU/26/0001, ...
pub(crate) const PATIENTS: Students = Students::new("QU", "Queue");

/// Reception adds the `index`th of [`PATIENTS`] to `queue` (a doctor's id, or "general").
pub(crate) async fn walk_in(reception: &Client, index: usize, queue: &str, priority: &str) -> Page {
    reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", &PATIENTS.matric(index)),
                ("queue", queue),
                ("priority", priority),
            ],
        )
        .await
}

pub(crate) async fn ticket_of(app: &TestApp, patient: i64) -> (i64, String) {
    sqlx::query_as("SELECT id, code FROM ticket WHERE patient_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(patient)
        .fetch_one(app.db().pool())
        .await
        .expect("ticket")
}

async fn status_of(app: &TestApp, ticket: i64) -> String {
    sqlx::query_scalar("SELECT status FROM ticket WHERE id = $1")
        .bind(ticket)
        .fetch_one(app.db().pool())
        .await
        .expect("status")
}

async fn call_next(doctor: &Client) -> Page {
    doctor.post("/queue/call-next", &[]).await
}

/// Posts a form as htmx does (with the token, no redirect).
async fn post_htmx(client: &Client, path: &str) -> Page {
    let token = client.csrf_token().await;
    client
        .post_with_headers(path, &[("csrf_token", &token)], &[("HX-Request", "true")])
        .await
}

/// Presses "call next" as htmx does and reads the code called from the refreshed queue's message.
pub(crate) async fn called_code(doctor: &Client) -> Option<String> {
    let token = doctor.csrf_token().await;
    let page = doctor
        .post_with_headers("/queue/call-next", &[("csrf_token", &token)], &[("HX-Request", "true")])
        .await;
    page.assert_status(StatusCode::OK);
    let notice = page.text("#queue-notice");
    notice
        .strip_prefix("Called ")
        .and_then(|rest| rest.split(' ').next())
        .map(str::to_owned)
}

/// Starts and completes the ticket `code`, so that its doctor may call the next patient.
pub(crate) async fn see_through(app: &TestApp, doctor: &Client, code: &str) {
    let id = app.count(&format!("SELECT id FROM ticket WHERE code = '{code}'")).await;
    for action in ["start", "complete"] {
        let page = doctor.post(&format!("/queue/tickets/{id}/{action}"), &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{action} {code}: {}", page.body);
    }
}

async fn tickets_are_numbered_per_day_and_prefix(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi", "Dayo", "Efe"]).await;
    // Yesterday's counter for the same prefix does not carry over.
    let yesterday = Date(app.state.settings.get().today() - chrono::Duration::days(1));
    sqlx::query("INSERT INTO sequence_counter (name, value) VALUES ($1, 41)")
        .bind(format!("ticket:{yesterday}:A"))
        .execute(app.db().pool())
        .await
        .unwrap();
    let a = c.doctor_a.0.to_string();
    let b = c.doctor_b.0.to_string();
    walk_in(&c.reception, 0, &a, "normal").await.assert_redirect("/queue");
    walk_in(&c.reception, 1, &a, "normal").await.assert_redirect("/queue");
    walk_in(&c.reception, 2, "general", "normal")
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 3, &b, "normal").await.assert_redirect("/queue");
    // A doctor without a room today: the general prefix.
    let (c_id, _) = doctor(&app, "dr.chukwu").await;
    walk_in(&c.reception, 4, &c_id.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let mut codes = Vec::new();
    for id in &ids {
        codes.push(ticket_of(&app, *id).await.1);
    }
    assert_eq!(codes, ["A-001", "A-002", "G-001", "B-001", "G-002"]);
    let page = c.reception.get("/queue").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.texts(&format!("#queue-doctor-{a} .ticket-code")),
        ["A-001", "A-002"]
    );
}

async fn a_patient_holds_one_open_ticket_and_an_appointment_one_ticket(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let again = walk_in(&c.reception, 0, "general", "urgent").await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.text("#number-error").contains("already holds ticket G-001"),
        "{}",
        again.text("#number-error")
    );
    // Her appointment can't be checked in while she holds a ticket.
    let appointment = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now()).await;
    let refused = c
        .reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket WHERE patient_id = {}", ids[0]))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {appointment} AND status = 'booked'"
        ))
        .await,
        1,
        "nothing half-written"
    );
    // Bola's appointment: checked in once; a second (double) submit is refused, with one ticket.
    let hers = appointment_today(&app, ids[1], c.doctor_a.0, Timestamp::now()).await;
    let fields = [("appointment_id", hers.to_string()), ("priority", "urgent".to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (first, second) = tokio::join!(
        c.reception.post("/queue/check-ins", &fields),
        c.reception.post("/queue/check-ins", &fields)
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket WHERE patient_id = {}", ids[1]))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {hers} AND status = 'checked_in'"
        ))
        .await,
        1
    );
    // Another day's appointment is refused with a reason.
    sqlx::query("UPDATE appointment SET day = '2099-01-01' WHERE id = $1")
        .bind(appointment)
        .execute(app.db().pool())
        .await
        .unwrap();
    let other_day = c
        .reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await;
    other_day.assert_status(StatusCode::BAD_REQUEST);
    assert!(other_day.body.contains("not today"));
    // Once her visit is over, Ada can get a new ticket.
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-001"));
    let (bola_ticket, _) = ticket_of(&app, ids[1]).await;
    assert_eq!(status_of(&app, bola_ticket).await, "called");
    let (ada_ticket, _) = ticket_of(&app, ids[0]).await;
    c.reception
        .post(&format!("/queue/tickets/{ada_ticket}/cancel"), &[])
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    assert_eq!(ticket_of(&app, ids[0]).await.1, "G-002");
}

async fn call_next_follows_priority_then_the_one_clock(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS
        .named(&app, &["Walkin", "Booked", "Urgent", "Emergency", "Late"])
        .await;
    let a = c.doctor_a.0.to_string();
    let now = Timestamp::now();
    // A walk-in arrives now; a patient booked for an hour ago checks in after her: the booking keeps its place.
    walk_in(&c.reception, 0, &a, "normal").await.assert_redirect("/queue");
    let early = appointment_today(&app, ids[1], c.doctor_a.0, Timestamp(now.0 - 3_600_000)).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &early.to_string())])
        .await
        .assert_redirect("/queue");
    // Booked for an hour from now: placed at that time, after later walk-ins.
    let late = appointment_today(&app, ids[4], c.doctor_a.0, Timestamp(now.0 + 3_600_000)).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &late.to_string())])
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 2, "general", "urgent")
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 3, &a, "emergency")
        .await
        .assert_redirect("/queue");
    let mut order = Vec::new();
    while let Some(code) = called_code(&c.doctor_a.1).await {
        see_through(&app, &c.doctor_a.1, &code).await;
        order.push(code);
    }
    // Emergency, urgent (general queue), the early booking, the walk-in, the late booking.
    assert_eq!(order, ["A-004", "G-001", "A-002", "A-001", "A-003"]);
    let empty = call_next(&c.doctor_a.1).await;
    empty.assert_redirect("/queue/doctor");
    let page = c.doctor_a.1.get("/queue/doctor").await;
    assert_eq!(page.text(".flash"), "Nobody is waiting.");
    // The rule is written on the pages.
    assert!(page.text(".page-head .quiet-help").contains("emergencies first"));
}

/// A waiting patient who got worse is marked urgent from the ticket's menu: the queue's order follows, so the
/// doctor calls them first; the change is audited, a priority already held or a called ticket is refused with a
/// message, a word that is no priority is a 400, and a doctor changes only their own queue's tickets.
async fn a_waiting_patient_who_got_worse_is_marked_urgent_and_called_first(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["First", "Second", "Third"]).await;
    let a = c.doctor_a.0.to_string();
    for patient in 0..3 {
        walk_in(&c.reception, patient, &a, "normal")
            .await
            .assert_redirect("/queue");
    }
    let second = app.count("SELECT id FROM ticket WHERE code = 'A-002'").await;
    let menu = c.reception.get(&format!("/queue/tickets/{second}")).await;
    let offered = menu.attrs(&format!("#priority-{second} button[type=submit]"), "value");
    assert_eq!(offered, ["urgent", "emergency"], "its own priority is not offered");
    assert_eq!(menu.text(&format!("#priority-{second} [aria-pressed=true]")), "Normal");
    assert_eq!(menu.text("#ticket-priority"), "Normal priority");

    let priority = format!("/queue/tickets/{second}/priority");
    c.reception
        .post(&priority, &[("priority", "urgent")])
        .await
        .assert_redirect("/queue");
    let board = c.reception.get("/queue").await;
    assert!(
        board.text("#messages").contains("(A-002) marked as urgent."),
        "{}",
        board.text("#messages")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket WHERE id = {second} AND priority = 'urgent'"
        ))
        .await,
        1
    );
    let menu = c.reception.get(&format!("/queue/tickets/{second}")).await;
    assert_eq!(menu.text("#ticket-priority"), "Urgent priority");
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_event WHERE action = 'ticket.priority' ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .expect("the change's audit row");
    assert_eq!(detail, "A-002 as urgent");

    // The same priority again says so; a word that is no priority is refused; nothing changed.
    let again = c.reception.post(&priority, &[("priority", "urgent")]).await;
    assert!(again.status.is_client_error(), "{}", again.status);
    assert!(again.body.contains("Ticket A-002 is already urgent."), "{}", again.body);
    c.reception
        .post(&priority, &[("priority", "<b>")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.priority'")
            .await,
        1
    );
    // Another doctor may not touch doctor A's ticket.
    c.doctor_b
        .1
        .post(&priority, &[("priority", "emergency")])
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // The doctor calls the urgent one first, then the queue in its order.
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-002"));
    // A called ticket's priority no longer changes: the call has been made.
    let called = c.reception.post(&priority, &[("priority", "normal")]).await;
    assert!(called.status.is_client_error(), "{}", called.status);
    see_through(&app, &c.doctor_a.1, "A-002").await;
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-001"));
}

async fn a_skipped_ticket_goes_back_behind_the_next_few(app: TestApp) {
    app.set_setting("queue_skip_places", "2").await;
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["P0", "P1", "P2", "P3", "P4"]).await;
    let a = c.doctor_a.0.to_string();
    for i in 0..5 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-001"));
    let first: i64 = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{first}/skip"), &[])
        .await
        .assert_redirect("/queue/doctor");
    assert_eq!(status_of(&app, first).await, "waiting");
    let mut order = Vec::new();
    for _ in 0..5 {
        let code = called_code(&c.doctor_a.1).await.unwrap();
        see_through(&app, &c.doctor_a.1, &code).await;
        order.push(code);
    }
    assert_eq!(order, ["A-002", "A-003", "A-001", "A-004", "A-005"]);
    assert_eq!(
        app.count(&format!("SELECT skips FROM ticket WHERE id = {first}")).await,
        1
    );
}

async fn two_doctors_racing_call_each_ticket_once(app: TestApp) {
    let c = clinic(&app).await;
    let names: Vec<String> = (0..50).map(|i| format!("Racer{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ids = PATIENTS.named(&app, &names).await;
    // Fifty tickets in the general queue, issued straight through the service (the race is on the calls).
    let day = Date(app.state.settings.get().today());
    let reception_id = app.count("SELECT id FROM staff WHERE username = 'frontdesk'").await;
    for id in &ids {
        sickbay_core::queue::service::walk_in(
            app.db(),
            &Actor::system("test"),
            reception_id,
            sickbay_core::queue::service::WalkInPatient::Existing(*id),
            None,
            sickbay_core::queue::model::Priority::Normal,
            day,
        )
        .await
        .unwrap();
    }
    // Twenty-five workers per doctor press "call next" at once, over and over; whoever gets a patient sees them
    // through, the others are told the doctor's last call is still open and try again.
    let mut workers = Vec::new();
    for _ in 0..25 {
        for doctor in [&c.doctor_a.1, &c.doctor_b.1] {
            let (doctor, app_db) = (doctor.clone(), app.db().clone());
            workers.push(tokio::spawn(async move { race_calls(&doctor, &app_db).await }));
        }
    }
    let mut won = 0;
    for worker in workers {
        won += worker.await.unwrap();
    }
    assert_eq!(won, 50, "fifty calls answered with a patient");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE status = 'completed'")
            .await,
        50
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE calls = 1").await,
        50,
        "nobody called twice"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.call'")
            .await,
        50
    );
    let a = app
        .count(&format!(
            "SELECT COUNT(*) FROM ticket WHERE doctor_id = {}",
            c.doctor_a.0
        ))
        .await;
    let b = app
        .count(&format!(
            "SELECT COUNT(*) FROM ticket WHERE doctor_id = {}",
            c.doctor_b.0
        ))
        .await;
    assert_eq!(a + b, 50);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket t JOIN room r ON r.id = t.room_id AND (r.code = 'A' OR r.code = 'B')")
            .await,
        50,
        "every call went to the caller's room"
    );
}

/// Calls next until nobody is waiting, seeing each patient it gets through; the number of patients it called.
async fn race_calls(doctor: &Client, db: &sickbay_core::db::Db) -> usize {
    let mut called = 0;
    for _ in 0..2000 {
        let token = doctor.csrf_token().await;
        let page = doctor
            .post_with_headers("/queue/call-next", &[("csrf_token", &token)], &[("HX-Request", "true")])
            .await;
        if page.status == StatusCode::CONFLICT {
            tokio::time::sleep(Duration::from_millis(3)).await;
            continue;
        }
        page.assert_status(StatusCode::OK);
        let notice = page.text("#queue-notice");
        if notice == "Nobody is waiting." {
            return called;
        }
        let code = notice
            .strip_prefix("Called ")
            .and_then(|rest| rest.split(' ').next())
            .expect("a called code");
        called += 1;
        let id: i64 = sqlx::query_scalar("SELECT id FROM ticket WHERE code = $1")
            .bind(code)
            .fetch_one(db.pool())
            .await
            .unwrap();
        for action in ["start", "complete"] {
            let page = doctor.post(&format!("/queue/tickets/{id}/{action}"), &[]).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{action}: {}", page.body);
        }
    }
    panic!("the queue never emptied");
}

async fn a_double_clicked_call_next_calls_one_patient(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["One", "Two", "Three"]).await;
    for i in 0..3 {
        walk_in(&c.reception, i, "general", "normal")
            .await
            .assert_redirect("/queue");
    }
    // The doctor's page says how many calls it knew of; both clicks send the same number.
    let page = c.doctor_a.1.get("/queue/doctor").await;
    let known = page.attr(".call-next-form input[name=calls_made]", "value").unwrap();
    assert_eq!(known, "0");
    let fields = [("calls_made", known.as_str())];
    let (first, second) = tokio::join!(
        c.doctor_a.1.post("/queue/call-next", &fields),
        c.doctor_a.1.post("/queue/call-next", &fields)
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE status = 'called'").await,
        1
    );
    // An htmx click gets the refreshed queue with a message.
    c.doctor_a
        .1
        .post(
            &format!(
                "/queue/tickets/{}/start",
                app.count("SELECT id FROM ticket WHERE status = 'called'").await
            ),
            &[],
        )
        .await
        .assert_redirect_to_visit();
    let page = c.doctor_a.1.get("/queue/doctor").await;
    let known = page.attr(".call-next-form input[name=calls_made]", "value").unwrap();
    let token = c.doctor_a.1.csrf_token().await;
    let fragment = c
        .doctor_a
        .1
        .post_with_headers(
            "/queue/call-next",
            &[("calls_made", &known), ("csrf_token", &token)],
            &[("HX-Request", "true")],
        )
        .await;
    fragment.assert_status(StatusCode::OK);
    assert_eq!(fragment.text("#queue-notice"), "Called G-002 to Room 1.");
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
}

async fn moves_follow_the_lifecycle_and_keep_the_appointment_in_step(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let appointment = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now()).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await
        .assert_redirect("/queue");
    let (ticket, code) = ticket_of(&app, ids[0]).await;
    assert_eq!(code, "A-001");
    let doctor = &c.doctor_a.1;
    let post =
        |action: &'static str| async move { doctor.post(&format!("/queue/tickets/{ticket}/{action}"), &[]).await };
    // Completing a ticket that is only waiting: refused, with what it is now.
    let stale = post("complete").await;
    stale.assert_status(StatusCode::CONFLICT);
    assert_eq!(
        stale.text("[role=alert]"),
        "Ticket A-001 is waiting now, so it can't be completed. The queue has been refreshed."
    );
    assert_eq!(called_code(doctor).await.as_deref(), Some("A-001"));
    post("recall").await.assert_redirect("/queue/doctor");
    assert_eq!(
        app.count(&format!("SELECT calls FROM ticket WHERE id = {ticket}"))
            .await,
        2
    );
    // The desk sees when the called patient was last called (the display shows a call for ten minutes only).
    let meta = |page: &Page| page.text(&format!("#ticket-{ticket} .ticket-meta"));
    let board = c.reception.get("/queue").await;
    assert!(
        meta(&board).starts_with("Called at ") && meta(&board).contains("Room 1"),
        "{}",
        meta(&board)
    );
    post("start").await.assert_redirect_to_visit();
    let board = c.reception.get("/queue").await;
    assert!(meta(&board).starts_with("With the doctor · Room 1"), "{}", meta(&board));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {appointment} AND status = 'in_consultation'"
        ))
        .await,
        1
    );
    post("recall").await.assert_status(StatusCode::CONFLICT);
    post("complete").await.assert_redirect("/queue/doctor");
    assert_eq!(status_of(&app, ticket).await, "completed");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM appointment WHERE id = {appointment} AND status = 'completed'"
        ))
        .await,
        1
    );
    post("complete").await.assert_status(StatusCode::CONFLICT);
    // Transfer: from doctor A's queue to B's, then to the general queue; no-show.
    walk_in(&c.reception, 1, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let (bola, _) = ticket_of(&app, ids[1]).await;
    c.doctor_a
        .1
        .post(
            &format!("/queue/tickets/{bola}/transfer"),
            &[("to", &c.doctor_b.0.to_string())],
        )
        .await
        .assert_redirect("/queue/doctor");
    assert_eq!(
        app.count(&format!("SELECT doctor_id FROM ticket WHERE id = {bola}"))
            .await,
        c.doctor_b.0
    );
    // The audit log names the doctor it went to.
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_event WHERE action = 'ticket.transfer' ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .expect("the transfer's audit row");
    assert!(detail.ends_with("to Test dr.bello"), "{detail}");
    // Now it is B's: A may no longer move it.
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{bola}/no-show"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    c.reception
        .post(&format!("/queue/tickets/{bola}/transfer"), &[("to", "general")])
        .await
        .assert_redirect("/queue");
    // Its message says where it went.
    let board = c.reception.get("/queue").await;
    assert!(
        board.text("#messages").contains("transferred to the general queue."),
        "{}",
        board.text("#messages")
    );
    c.reception
        .post(&format!("/queue/tickets/{bola}/transfer"), &[("to", "general")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    c.reception
        .post(&format!("/queue/tickets/{bola}/transfer"), &[("to", "99999")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    c.reception
        .post(&format!("/queue/tickets/{bola}/transfer"), &[("to", "<b>")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    c.reception
        .post(&format!("/queue/tickets/{bola}/no-show"), &[])
        .await
        .assert_redirect("/queue");
    assert_eq!(status_of(&app, bola).await, "no_show");
    // Unknown moves and ids are 404s.
    c.reception
        .post(&format!("/queue/tickets/{bola}/delete"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    c.reception
        .post("/queue/tickets/999999/skip", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    c.reception
        .post("/queue/tickets/abc/skip", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE record_type = 'ticket' AND record_id = {ticket}"
        ))
        .await;
    assert_eq!(
        audited, 5,
        "check-in, call, recall, start and complete, each audited; refusals are not"
    );
}

async fn queue_routes_check_role_and_ownership(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let ticket = app.count("SELECT id FROM ticket LIMIT 1").await;
    let pharmacist = app.login_as("pharma", Role::Pharmacist).await;
    let patient = PATIENTS.client(&app, 1).await;
    for client in [&pharmacist, &patient] {
        for path in [
            "/queue",
            "/queue/events",
            "/queue/due",
            "/queue/doctor",
            "/queue/doctor/events",
            "/admin/rooms",
        ] {
            client.get(path).await.assert_status(StatusCode::FORBIDDEN);
        }
        for path in [
            "/queue/call-next".to_owned(),
            "/queue/check-ins".to_owned(),
            "/queue/walk-ins".to_owned(),
            "/queue/room".to_owned(),
            format!("/queue/tickets/{ticket}/skip"),
        ] {
            client
                .post(&path, &[("doctor_id", &c.doctor_a.0.to_string()), ("room_id", "1")])
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    // Doctors: their own queue only; no board, no check-in, no cancelling, no calling for a colleague.
    let (a, doctor_a) = (&c.doctor_a.0, &c.doctor_a.1);
    doctor_a.get("/queue").await.assert_status(StatusCode::FORBIDDEN);
    doctor_a.get("/queue/due").await.assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .post("/queue/walk-ins", &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .post(&format!("/queue/tickets/{ticket}/cancel"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .post("/queue/call-next", &[("doctor_id", &c.doctor_b.0.to_string())])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    c.doctor_b
        .1
        .post(&format!("/queue/tickets/{ticket}/skip"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, ticket).await, "waiting", "nothing changed");
    doctor_a
        .post("/queue/call-next", &[("doctor_id", &a.to_string())])
        .await
        .assert_redirect("/queue/doctor");
    // Reception calls for a doctor; the patient's place page is for patients.
    c.reception.get("/me/queue").await.assert_status(StatusCode::FORBIDDEN);
    c.reception
        .get("/admin/rooms")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Anonymous: sent to log in; and without a CSRF token nothing happens.
    let anonymous = app.client();
    anonymous.get("/queue").await.assert_redirect("/login?next=%2Fqueue");
    anonymous
        .get("/me/queue/events")
        .await
        .assert_redirect("/login?next=%2Fme%2Fqueue%2Fevents");
    c.reception
        .post_raw(&format!("/queue/tickets/{ticket}/no-show"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, ticket).await, "called");
    // Rooms: a doctor may only choose for themselves; bad ids are refused.
    doctor_a
        .post("/queue/room", &[("room_id", "x")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    doctor_a
        .post("/queue/room", &[("room_id", "99999")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    doctor_a
        .post(
            "/queue/room",
            &[
                ("room_id", &c.room_a.to_string()),
                ("doctor_id", &c.doctor_b.0.to_string()),
            ],
        )
        .await
        .assert_redirect("/queue/doctor");
    // Room 1 is A's: B can't take it the same day.
    c.doctor_b
        .1
        .post("/queue/room", &[("room_id", &c.room_a.to_string())])
        .await
        .assert_status(StatusCode::CONFLICT);
}

async fn walk_ins_register_new_patients_or_refuse_cleanly(app: TestApp) {
    let c = clinic(&app).await;
    let before = app.count("SELECT COUNT(*) FROM patient").await;
    let bad = c
        .reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "new"),
                ("first_name", " "),
                ("surname", &"x".repeat(200)),
                ("phone", "12"),
                ("matric_number", "not a matric!"),
                ("sex", "other"),
                ("queue", "seven"),
                ("priority", "soon"),
            ],
        )
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["first_name", "surname", "phone", "matric_number"] {
        assert!(bad.has(&format!("#{field}-error")), "{field} has a message");
    }
    assert!(bad.body.contains("Choose a doctor or the general queue."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM patient").await,
        before,
        "nothing written"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket").await, 0);
    // The typed values come back.
    assert_eq!(bad.attr("input[name=phone]", "value").as_deref(), Some("12"));
    let unknown = c
        .reception
        .post(
            "/queue/walk-ins",
            &[("who", "existing"), ("number", "SB-1999-00001"), ("queue", "general")],
        )
        .await;
    unknown.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text("#number-error").contains("No active patient"));
    let ok = c
        .reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "new"),
                ("first_name", "Zainab"),
                ("surname", "Walker"),
                ("phone", "08031234567"),
                ("queue", &c.doctor_b.0.to_string()),
                ("priority", "urgent"),
            ],
        )
        .await;
    ok.assert_redirect("/queue");
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, before + 1);
    let board = c.reception.get("/queue").await;
    assert_eq!(
        board.text(".flash"),
        "Walk-in added with ticket B-001 for Zainab Walker, in Test dr.bello's queue."
    );
    assert_eq!(board.text(".flash [data-new-ticket]"), "B-001");
    let line = board.text(&format!("#queue-doctor-{} .ticket", c.doctor_b.0));
    assert!(line.contains("Zainab Walker") && line.contains("Urgent"), "{line}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('patient.create', 'ticket.walk_in')")
            .await,
        2
    );
    // Found by clinic number too.
    let number: String = sqlx::query_scalar("SELECT clinic_number FROM patient WHERE surname = 'Walker'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let twice = c
        .reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", &number.to_lowercase()),
                ("queue", "general"),
            ],
        )
        .await;
    twice.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.text("#number-error").contains("already holds ticket B-001"));
}

async fn a_new_walk_in_already_registered_is_offered_their_record(app: TestApp) {
    let c = clinic(&app).await;
    let amina = PATIENTS.named(&app, &["Amina"]).await[0];
    fn new_walk_in<'a>(
        first_name: &'a str,
        surname: &'a str,
        phone: &'a str,
        choice: &'a str,
    ) -> [(&'a str, &'a str); 7] {
        [
            ("who", "new"),
            ("first_name", first_name),
            ("surname", surname),
            ("phone", phone),
            ("patient", choice),
            ("queue", "general"),
            ("priority", "normal"),
        ]
    }
    let patients = app.count("SELECT COUNT(*) FROM patient").await;
    let tickets = "SELECT COUNT(*) FROM ticket";

    // As the details are typed: nothing until both names are, then whoever has them.
    let typed = |query: &str| format!("/queue/walk-ins/duplicates?{query}");
    let half = c.reception.get(&typed("first_name=Amina")).await;
    half.assert_status(StatusCode::OK);
    assert!(!half.has("#walk-in-duplicates"));
    let whole = c.reception.get(&typed("first_name=amina&surname=QUEUE&phone=")).await;
    assert_eq!(
        whole.texts("#walk-in-duplicates .person-name"),
        ["Queue, Amina", "A different person: register them"]
    );
    c.reception
        .get(&typed("first_name=Amina&surname=Queue&phone=12"))
        .await
        .assert_status(StatusCode::OK);
    let doctor = app.login_as("dup.doctor", Role::Doctor).await;
    doctor
        .get(&typed("first_name=Amina&surname=Queue"))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // The same name (in other letters' case) as a registered patient: she is offered, nothing is written.
    let same_name = c
        .reception
        .post("/queue/walk-ins", &new_walk_in("AMINA", "queue", "", ""))
        .await;
    same_name.assert_status(StatusCode::CONFLICT);
    assert!(
        same_name
            .text("#walk-in-new-messages")
            .contains("a patient with the same phone or name")
    );
    let offered = same_name.texts("#walk-in-duplicates .walk-in-match");
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(offered[0].contains("Queue, Amina"), "{offered:?}");
    assert!(same_name.has("#walk-in-duplicates input[name=patient][value=new]"));
    assert_eq!(
        same_name
            .attr("#walk-in-new input[name=first_name]", "value")
            .as_deref(),
        Some("AMINA"),
        "the form as typed"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients);
    assert_eq!(app.count(tickets).await, 0);

    // Choosing her adds her own record to the queue.
    let number: String = sqlx::query_scalar("SELECT clinic_number FROM patient WHERE id = $1")
        .bind(amina)
        .fetch_one(app.db().pool())
        .await
        .expect("her number");
    c.reception
        .post("/queue/walk-ins", &new_walk_in("Amina", "Queue", "", &number))
        .await
        .assert_redirect("/queue");
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket WHERE patient_id = {amina}"))
            .await,
        1
    );
    // Chosen again now that she holds a ticket: refused in the form's message, not beside a field typed right.
    let again = c
        .reception
        .post("/queue/walk-ins", &new_walk_in("Amina", "Queue", "", &number))
        .await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text("#walk-in-new-messages").contains("already holds ticket"));
    assert!(!again.has("#surname-error"));

    // A new walk-in with her phone is offered her record too; "a different person" registers them anyway.
    sqlx::query("UPDATE patient SET phone = '08031234567' WHERE id = $1")
        .bind(amina)
        .execute(app.db().pool())
        .await
        .expect("a phone");
    let same_phone = c
        .reception
        .post("/queue/walk-ins", &new_walk_in("Bisi", "Ade", "08031234567", ""))
        .await;
    same_phone.assert_status(StatusCode::CONFLICT);
    assert!(same_phone.text("#walk-in-duplicates").contains("Queue, Amina"));
    assert!(
        same_phone.text("#walk-in-duplicates").contains("In queue · G-001"),
        "she holds a ticket: {}",
        same_phone.text("#walk-in-duplicates")
    );
    c.reception
        .post("/queue/walk-ins", &new_walk_in("Bisi", "Ade", "08031234567", "new"))
        .await
        .assert_redirect("/queue");
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients + 1);
    assert_eq!(app.count(tickets).await, 2);
    // Someone nobody has registered is added straight away.
    c.reception
        .post("/queue/walk-ins", &new_walk_in("Chidi", "Obi", "", ""))
        .await
        .assert_redirect("/queue");
    assert_eq!(app.count(tickets).await, 3);
    // Added by name alone, his record says what it lacks: to reception with the way to add it, to the doctor in
    // the visit's bar.
    let chidi = app.count("SELECT id FROM patient WHERE first_name = 'Chidi'").await;
    let record = c.reception.get(&format!("/patients/{chidi}")).await;
    assert_eq!(
        record.text("#missing-facts .chip"),
        "Sex and date of birth not recorded"
    );
    assert_eq!(
        record.attr("#missing-facts a", "href"),
        Some(format!("/patients/{chidi}/edit"))
    );
    // (He waits in the queue, to be seen from it: the bar is read on the visit of another record as bare.)
    let (dayo, _) = crate::support::visitor(&app, "Dayo", "Ade").await;
    let visit = crate::support::new_visit(&c.doctor_a.1, dayo).await;
    let bar = c.doctor_a.1.get(&format!("/visits/{visit}")).await;
    assert!(
        bar.text("#patient-bar").contains("Sex and date of birth not recorded"),
        "{}",
        bar.text("#patient-bar")
    );
    let doctors_view = c.doctor_a.1.get(&format!("/patients/{chidi}")).await;
    assert!(doctors_view.has("#missing-facts") && !doctors_view.has("#missing-facts a"));
}

async fn rooms_are_managed_by_admins_with_clear_messages(app: TestApp) {
    let admin = app.admin().await;
    let room = add_room(&app, &admin, "Room 3", "c").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM room WHERE code = 'C'").await,
        1,
        "upper-cased"
    );
    let taken = admin.post("/admin/rooms", &[("name", "room 3"), ("code", "D")]).await;
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(taken.text("#name-error"), "Another room already has this name.");
    let code = admin.post("/admin/rooms", &[("name", "Room 4"), ("code", "C")]).await;
    assert_eq!(code.text("#code-error"), "Another room already uses this prefix.");
    let general = admin.post("/admin/rooms", &[("name", "Room 5"), ("code", "G")]).await;
    assert!(general.text("#code-error").contains("general queue"));
    let bad = admin.post("/admin/rooms", &[("name", ""), ("code", "12")]).await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("#name-error") && bad.has("#code-error"));
    assert_eq!(app.count("SELECT COUNT(*) FROM room").await, 1);
    // Rename and take out of use.
    admin
        .post(
            &format!("/admin/rooms/{room}"),
            &[("name", "Room Three"), ("code", "C")],
        )
        .await
        .assert_redirect("/admin/rooms");
    let page = admin.get("/admin/rooms").await;
    assert_eq!(
        page.attr(&format!("#name-{room}"), "value").as_deref(),
        Some("Room Three")
    );
    assert!(!page.has(&format!("#room-{room} input[name=active][checked]")));
    // Each row's cells sit under the table's four headers, the fields tied to the row's form.
    assert_eq!(page.texts("#rooms thead th").len(), 4);
    assert_eq!(page.texts(&format!("#room-{room} td")).len(), 4);
    for field in ["name", "code", "active"] {
        let selector = format!("#room-{room} input[name={field}]");
        assert_eq!(
            page.attr(&selector, "form"),
            Some(format!("room-form-{room}")),
            "{field}"
        );
    }
    // The add form's placeholder is the attribute written in the template, not escaped text.
    assert_eq!(
        page.attr("#add-room input[name=name]", "placeholder").as_deref(),
        Some("Room 3")
    );
    admin
        .post("/admin/rooms/99999", &[("name", "X"), ("code", "X")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // An inactive room can't be chosen.
    let (_, doctor) = doctor(&app, "dr.rooms").await;
    doctor
        .post("/queue/room", &[("room_id", &room.to_string())])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'room.%'")
            .await,
        2
    );
}

async fn the_patient_sees_only_their_own_place(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let a = c.doctor_a.0.to_string();
    let chidi = PATIENTS.client(&app, 2).await;
    let none = chidi.get("/me/queue").await;
    none.assert_status(StatusCode::OK);
    assert!(none.has("#no-ticket"));
    for i in 0..3 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
    }
    let page = chidi.get("/me/queue").await;
    assert_eq!(page.text("#my-ticket"), "A-003");
    assert_eq!(page.text("#place-ahead"), "2");
    // No slots and no consultations yet: 15 minutes each.
    assert!(
        page.text("#place-wait").starts_with("About 30 min"),
        "{}",
        page.text("#place-wait")
    );
    assert!(
        !page.body.contains("A-001") && !page.body.contains("Ada"),
        "nobody else's ticket or name"
    );
    for code in ["A-001", "A-002"] {
        assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some(code));
        see_through(&app, &c.doctor_a.1, code).await;
    }
    let next = chidi.get("/me/queue").await;
    assert_eq!(next.text("#place-now"), "You're next");
    called_code(&c.doctor_a.1).await;
    let called = chidi.get("/me/queue").await;
    assert_eq!(called.text("#place-now"), "It's your turn!");
    assert_eq!(called.text("#place-room"), "Go to Room 1");
    // The home page points to it.
    let home = chidi.get("/me").await;
    assert_eq!(home.text("#my-queue-ticket"), "A-003");
    assert_eq!(ids.len(), 3);
}

async fn the_display_shows_every_queues_next_patient(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.numbered(&app, 12).await;
    // Ten came for doctor A before anyone else arrived; then one each for doctor B and the general queue.
    for index in 0..10 {
        walk_in(&c.reception, index, &c.doctor_a.0.to_string(), "normal")
            .await
            .assert_redirect("/queue");
    }
    walk_in(&c.reception, 10, &c.doctor_b.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 11, "general", "normal")
        .await
        .assert_redirect("/queue");
    let display = app.client().get("/display").await;
    let next = display.texts(".tile-next .tile-code");
    assert_eq!(next.len(), 8, "{next:?}");
    assert_eq!(next[..4], ["A-001", "B-001", "G-001", "A-002"], "{next:?}");
    // The general queue's ticket goes to whichever doctor calls first: the screen says so rather than nothing.
    assert_eq!(
        display.texts(".tile-next .tile-room")[..3],
        ["Room 1", "Room 2", "First free room"]
    );
}

async fn the_display_shows_codes_and_rooms_never_names(app: TestApp) {
    let c = clinic(&app).await;
    let evil = "<script>alert('x')</script>";
    PATIENTS.named(&app, &[evil, "Quiet"]).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 1, "general", "normal")
        .await
        .assert_redirect("/queue");
    // Reception's board shows the name, escaped.
    let board = c.reception.get("/queue").await;
    assert!(board.texts(".ticket").concat().contains(evil));
    assert!(!board.body.contains(evil), "escaped");
    called_code(&c.doctor_a.1).await;
    let anonymous = app.client();
    for path in [
        "/display".to_owned(),
        format!("/display?room={}", c.room_a),
        format!("/display?doctor={}", c.doctor_a.0),
    ] {
        let page = anonymous.get(&path).await;
        page.assert_status(StatusCode::OK);
        assert!(
            !page.body.contains("script>alert") && !page.body.contains("alert("),
            "{path} shows no name"
        );
        assert!(!page.body.contains("Quiet"), "{path} shows no other name");
        assert_eq!(page.texts(".tile-call .tile-code"), ["A-001"], "{path}");
        assert_eq!(page.texts(".tile-call .tile-room"), ["Room 1"], "{path}");
    }
    let all = anonymous.get("/display").await;
    assert_eq!(all.texts(".tile-next .tile-code"), ["G-001"]);
    assert!(!all.has("input"), "no forms on the public display");
    // The event stream doesn't carry names either.
    let mut stream = EventStream::open(&anonymous, "/display/events").await;
    let first = stream.next(WAIT).await.expect("full state");
    assert_eq!(first.name, "tiles");
    assert!(first.data.contains("A-001") && !first.data.contains("alert") && !first.data.contains("Quiet"));
    called_code(&c.doctor_b.1).await;
    let call = stream.until("call", WAIT, |_| true).await.expect("call announced");
    assert!(call.data.contains("Ticket G 1, Room 2"), "{}", call.data);
    assert!(!call.data.contains("Quiet"));
    // Unknown filters are 404s, not a new stream per made-up id.
    for path in [
        "/display?room=99999",
        "/display?doctor=1",
        "/display?room=abc",
        "/display/events?room=-1",
    ] {
        anonymous.get(path).await.assert_status(StatusCode::NOT_FOUND);
    }
}

async fn event_streams_push_changes_and_resend_everything_on_reconnect(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 1, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let anonymous = app.client();
    let mut display = EventStream::open(&anonymous, &format!("/display/events?room={}", c.room_a)).await;
    let bola = PATIENTS.client(&app, 1).await;
    let mut place = EventStream::open(&bola, "/me/queue/events").await;
    let mut board = EventStream::open(&c.reception, "/queue/events").await;
    let mut mine = EventStream::open(&c.doctor_a.1, "/queue/doctor/events").await;
    // The full state first.
    let first = display.next(WAIT).await.unwrap();
    assert!(first.data.contains("Please wait to be called"));
    let first_place = place.next(WAIT).await.unwrap();
    assert_eq!(first_place.name, "place");
    assert!(
        first_place.data.contains(">1</strong> person ahead"),
        "{}",
        first_place.data
    );
    assert_eq!(board.next(WAIT).await.unwrap().name, "board");
    assert_eq!(mine.next(WAIT).await.unwrap().name, "queue");
    // A call reaches every stream.
    called_code(&c.doctor_a.1).await;
    let tiles = display
        .until("tiles", WAIT, |d| d.contains("tile-call"))
        .await
        .expect("tiles update");
    assert!(tiles.data.contains("A-001"));
    let call = display.until("call", WAIT, |_| true).await.expect("call");
    assert!(call.data.contains("data-say=\"Ticket A 1, Room 1\""), "{}", call.data);
    let next = place.until("place", WAIT, |d| d.contains("You're next")).await;
    assert!(next.is_some(), "the patient's phone updates");
    // Boards get only what changed: the called ticket and the headings, out of band.
    let change = board
        .until("change", WAIT, |d| d.contains("ticket-called"))
        .await
        .expect("the board's change");
    assert!(
        change.data.contains("hx-swap-oob") && !change.data.contains("A-002"),
        "{}",
        change.data
    );
    let change = mine
        .until("change", WAIT, |d| d.contains("current-tickets"))
        .await
        .expect("the doctor's change");
    assert!(change.data.contains("hx-swap-oob"), "{}", change.data);
    // A reconnecting display gets everything at once, and no replayed announcement.
    drop(display);
    let mut again = EventStream::open(&anonymous, &format!("/display/events?room={}", c.room_a)).await;
    let state = again.next(WAIT).await.unwrap();
    assert_eq!(state.name, "tiles");
    assert!(state.data.contains("A-001") && state.data.contains("A-002"));
    assert!(
        again.next(Duration::from_millis(300)).await.is_none(),
        "nothing else until a change"
    );
    // A recall is announced again.
    let first_ticket = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{first_ticket}/recall"), &[])
        .await
        .assert_redirect("/queue/doctor");
    let recall = again.until("call", WAIT, |_| true).await.expect("recall announced");
    assert!(recall.data.contains(&format!("data-call=\"{first_ticket}-2\"")));
}

async fn the_board_shows_the_days_statistics(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let a = c.doctor_a.0.to_string();
    for i in 0..3 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
    }
    called_code(&c.doctor_a.1).await;
    let first = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    let doctor = &c.doctor_a.1;
    doctor
        .post(&format!("/queue/tickets/{first}/start"), &[])
        .await
        .assert_redirect_to_visit();
    doctor
        .post(&format!("/queue/tickets/{first}/complete"), &[])
        .await
        .assert_redirect("/queue/doctor");
    called_code(&c.doctor_a.1).await;
    let second = app.count("SELECT id FROM ticket WHERE code = 'A-002'").await;
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{second}/no-show"), &[])
        .await
        .assert_redirect("/queue/doctor");
    let board = c.reception.get("/queue").await;
    let stats = board.text(&format!("#queue-doctor-{a} .queue-stats"));
    assert!(stats.starts_with("1 waiting · 1 served · 1 no-show"), "{stats}");
    assert!(stats.contains("wait 0m · visit 0m"), "{stats}");
    assert!(
        board
            .text("#day-totals")
            .starts_with("Today: 1 waiting · 1 served · 1 no-show")
    );
    let mine = c.doctor_a.1.get("/queue/doctor").await;
    assert!(mine.text("#my-stats").starts_with("Today: 1 seen · 1 no-show"));
}

async fn yesterdays_open_tickets_are_closed(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let (ticket, _) = ticket_of(&app, ids[0]).await;
    sqlx::query("UPDATE ticket SET day = '2000-01-01' WHERE id = $1")
        .bind(ticket)
        .execute(app.db().pool())
        .await
        .unwrap();
    // Her new ticket today closes yesterday's.
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    assert_eq!(status_of(&app, ticket).await, "no_show");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE status = 'waiting'").await,
        1
    );
    // And the job closes everyone else's.
    sqlx::query("UPDATE ticket SET day = '2000-01-01' WHERE status = 'waiting'")
        .execute(app.db().pool())
        .await
        .unwrap();
    let today = Date(app.state.settings.get().today());
    assert_eq!(
        sickbay_core::queue::service::close_stale_tickets(app.db(), today)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE status = 'waiting'").await,
        0
    );
}

async fn event_streams_end_when_the_server_stops(mut app: TestApp) {
    let anonymous = app.client();
    let mut stream = EventStream::open(&anonymous, "/display/events").await;
    assert!(stream.next(WAIT).await.is_some());
    app.shutdown().await;
    assert!(stream.next(WAIT).await.is_none(), "the stream ended");
}

/// Two instances on one PostgreSQL database: a call made on A reaches a display connected to B.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_on_one_instance_reaches_a_display_on_another() {
    let Some(a) = TestApp::postgres().await else {
        return;
    };
    let db_b = Db::connect(a.db().url()).await.expect("second pool");
    let b = TestApp::serve(AppState::new(db_b, test_config()).await.expect("state")).await;
    let c = clinic(&a).await;
    PATIENTS.named(&a, &["Ada"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let mut display = EventStream::open(&b.client(), "/display/events").await;
    let first = display.next(WAIT).await.unwrap();
    assert!(first.data.contains("G-001"), "B reads the shared database");
    // Wait until B listens: A publishes until B's display hears of it.
    let mut listening = false;
    for _ in 0..40 {
        a.announce(Event::Queue { call: None }).await;
        if display.next(Duration::from_millis(250)).await.is_some() {
            listening = true;
            break;
        }
    }
    assert!(listening, "instance B never heard from A");
    called_code(&c.doctor_a.1).await;
    let tiles = display.until("tiles", WAIT, |d| d.contains("tile-call")).await;
    assert!(
        tiles.is_some_and(|t| t.data.contains("G-001")),
        "B's display shows the call"
    );
    let call = display.until("call", WAIT, |_| true).await.expect("the call reached B");
    assert!(call.data.contains("Ticket G 1, Room 1"), "{}", call.data);
    // A settings change saved on A is re-read by B at once, not at its next periodic refresh.
    a.set_setting("clinic_name", "Unity Health Centre").await;
    a.announce(Event::Settings).await;
    let mut renamed = false;
    for _ in 0..50 {
        if b.state.settings.get().clinic.name == "Unity Health Centre" {
            renamed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(renamed, "instance B re-read the settings");
}

async fn reception_adds_a_patient_to_the_queue_from_their_record(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let profile = c.reception.get(&format!("/patients/{}", ids[0])).await;
    profile.assert_status(StatusCode::OK);
    let number = profile
        .attr("#add-to-queue input[name=number]", "value")
        .expect("the form");
    let doctor = c.doctor_b.0.to_string();
    assert!(profile.has(&format!("#add-to-queue option[value='{doctor}']")));
    c.reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", &number),
                ("queue", &doctor),
                ("priority", "urgent"),
            ],
        )
        .await
        .assert_redirect("/queue");
    let again = c.reception.get(&format!("/patients/{}", ids[0])).await;
    assert!(!again.has("#add-to-queue"));
    assert!(again.text("#open-ticket").contains("B-001 (waiting)"));
    // Doctors read the record but don't get the form.
    let seen = c.doctor_a.1.get(&format!("/patients/{}", ids[0])).await;
    assert!(seen.has("#open-ticket") && !seen.has("#add-to-queue"));
}

/// The call counter the doctor's page shows, as its form sends it.
async fn known_calls(doctor: &Client) -> String {
    let page = doctor.get("/queue/doctor").await;
    page.attr(".call-next-form input[name=calls_made]", "value")
        .expect("the call-next form")
}

/// Posts "call next" twice with what the page showed: one call, one 409, whatever came before.
async fn double_post_calls_once(app: &TestApp, doctor: &Client) -> String {
    let known = known_calls(doctor).await;
    let fields = [("calls_made", known.as_str())];
    let (first, second) = tokio::join!(
        doctor.post("/queue/call-next", &fields),
        doctor.post("/queue/call-next", &fields)
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::CONFLICT],
        "after {known} calls"
    );
    let called: Vec<String> = sqlx::query_scalar("SELECT code FROM ticket WHERE status = 'called'")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(called.len(), 1, "{called:?}");
    called[0].clone()
}

/// A skip, a recall or a transfer once shifted the count the double-click guard compared, so a double post
/// called two patients. The guard is now a counter every call advances.
async fn the_call_guard_is_exact_after_skips_recalls_and_transfers(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["W1", "W2", "W3", "W4", "W5"]).await;
    let (a, doctor) = (c.doctor_a.0.to_string(), &c.doctor_a.1);
    walk_in(&c.reception, 0, &a, "normal").await.assert_redirect("/queue");
    assert_eq!(double_post_calls_once(&app, doctor).await, "A-001");
    // Skip W1, a walk-in W2: the double post calls one of them.
    let w1 = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    doctor
        .post(&format!("/queue/tickets/{w1}/skip"), &[])
        .await
        .assert_redirect("/queue/doctor");
    walk_in(&c.reception, 1, &a, "normal").await.assert_redirect("/queue");
    let called = double_post_calls_once(&app, doctor).await;
    // Call it again (a recall), then see it through: the double post still calls one.
    let id = app
        .count(&format!("SELECT id FROM ticket WHERE code = '{called}'"))
        .await;
    doctor
        .post(&format!("/queue/tickets/{id}/recall"), &[])
        .await
        .assert_redirect("/queue/doctor");
    see_through(&app, doctor, &called).await;
    walk_in(&c.reception, 2, &a, "normal").await.assert_redirect("/queue");
    let called = double_post_calls_once(&app, doctor).await;
    // Transfer the called ticket to the other doctor, then double post again.
    let id = app
        .count(&format!("SELECT id FROM ticket WHERE code = '{called}'"))
        .await;
    let b = c.doctor_b.0.to_string();
    c.reception
        .post(&format!("/queue/tickets/{id}/transfer"), &[("to", b.as_str())])
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 3, &a, "normal").await.assert_redirect("/queue");
    double_post_calls_once(&app, doctor).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.call'")
            .await,
        4,
        "four calls, one per double post"
    );
}

/// "Call next" while the last patient called is still on their way once sent two patients to one room.
async fn a_doctor_calls_one_patient_at_a_time_to_a_room(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let a = c.doctor_a.0.to_string();
    for i in 0..2 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
    }
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-001"));
    for caller in [&c.doctor_a.1, &c.reception] {
        let refused = caller.post("/queue/call-next", &[("doctor_id", a.as_str())]).await;
        refused.assert_status(StatusCode::CONFLICT);
        assert!(
            refused.text("main").contains("A-001 is still called to Room 1"),
            "{}",
            refused.text("main")
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE status = 'called'").await,
        1
    );
    let page = c.doctor_a.1.get("/queue/doctor").await;
    assert!(page.has("#call-next[disabled]"));
    assert!(page.text("#call-next-hint").starts_with("A-001 is on their way"));
    let display = app.client().get("/display").await;
    assert_eq!(display.texts(".tiles-calling .tile-code"), ["A-001"]);
    // Started (or skipped, or a no-show), the room is free for the next call.
    let first = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{first}/start"), &[])
        .await
        .assert_redirect_to_visit();
    // With A-001 in the room, the next call is allowed and the page says the next patient will wait at the door.
    let page = c.doctor_a.1.get("/queue/doctor").await;
    assert!(page.has("#call-next:not([disabled])"));
    assert!(
        page.text("#call-next-hint").starts_with("A-001 is still with you"),
        "{}",
        page.text("#call-next-hint")
    );
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-002"));
    let display = app.client().get("/display").await;
    assert_eq!(display.texts(".tiles-calling .tile-code"), ["A-002"]);
    // A doctor without a room is told to choose one, not to press a button that can't be pressed.
    let (_, roomless) = doctor(&app, "dr.roomless").await;
    let page = roomless.get("/queue/doctor").await;
    assert!(page.has("#call-next[disabled]"));
    assert_eq!(
        page.text("#call-next-hint"),
        "Choose your room above, then you can call patients."
    );
    assert_eq!(page.text("#nobody-called"), "Nobody called.");
}

/// The review's "Sign, complete and call next": the visit is completed and the next patient called to the room in
/// one press; with nobody waiting the visit is completed all the same, and the doctor is told.
async fn a_doctor_signs_completes_and_calls_the_next_in_one_press(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let a = c.doctor_a.0.to_string();
    for i in 0..2 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
    }
    let doctor = &c.doctor_a.1;
    assert_eq!(called_code(doctor).await.as_deref(), Some("A-001"));
    for (code, next) in [("A-001", "Called A-002 to Room 1."), ("A-002", "Nobody is waiting.")] {
        let ticket = app.count(&format!("SELECT id FROM ticket WHERE code = '{code}'")).await;
        let visit = doctor
            .post(&format!("/queue/tickets/{ticket}/start"), &[])
            .await
            .assert_redirect_to_visit();
        let review = doctor.get(&format!("/visits/{visit}/review")).await;
        assert_eq!(review.text("#sign-and-call-next"), "Sign, complete and call next");
        doctor
            .post(&format!("/visits/{visit}/complete"), &[("then", "call-next")])
            .await
            .assert_redirect("/queue/doctor");
        let page = doctor.get("/queue/doctor").await;
        assert!(
            page.text(".flash-success").ends_with(next),
            "{}",
            page.text(".flash-success")
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM visit WHERE id = {visit} AND status = 'completed'"
            ))
            .await,
            1
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket WHERE code = 'A-002' AND status = 'with_doctor'")
            .await,
        0
    );
}

/// Reception types a name in the walk-in form: the matches appear as they type (a fragment for htmx), choosing
/// one adds them; a name that fits one patient adds them directly, several are listed in the message.
async fn a_walk_in_is_found_by_name_as_it_is_typed(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Adéwálé", "Adebayo", "Chidi"]).await;
    let matches = c
        .reception
        .get_with("/queue/walk-ins/matches?number=ade", &[("HX-Request", "true")])
        .await;
    matches.assert_status(StatusCode::OK);
    assert_eq!(
        matches.texts(".walk-in-matches .person-name"),
        ["Queue, Adebayo", "Queue, Adéwálé"]
    );
    let chosen = matches
        .attr(".walk-in-matches input[type=radio][name=patient]", "value")
        .expect("a choice per match");
    // Choosing a match sends its clinic number, whatever was typed.
    c.reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", "ade"),
                ("patient", chosen.as_str()),
                ("queue", "general"),
                ("priority", "normal"),
            ],
        )
        .await
        .assert_redirect("/queue");
    // Searched again, the one now in the queue shows their ticket, before anyone tries to add them twice.
    let code: String = sqlx::query_scalar("SELECT code FROM ticket")
        .fetch_one(app.db().pool())
        .await
        .expect("the ticket");
    let again = c.reception.get("/queue/walk-ins/matches?number=ade").await;
    let rows = again.texts(".walk-in-matches .walk-in-match");
    let marked: Vec<&String> = rows.iter().filter(|row| row.contains("In queue")).collect();
    assert_eq!(marked.len(), 1, "{rows:?}");
    assert!(marked[0].contains(&format!("In queue · {code}")), "{rows:?}");
    let chosen_row = again
        .texts(".walk-in-matches .walk-in-match")
        .into_iter()
        .position(|row| row.contains(&chosen));
    assert_eq!(
        chosen_row,
        rows.iter().position(|row| row.contains("In queue")),
        "beside the patient chosen: {rows:?}"
    );
    // Without JavaScript: a name that fits one patient is enough; one that fits several lists them.
    let form = |number: &'static str| {
        [
            ("who", "existing"),
            ("number", number),
            ("queue", "general"),
            ("priority", "normal"),
        ]
    };
    c.reception
        .post("/queue/walk-ins", &form("chidi"))
        .await
        .assert_redirect("/queue");
    let several = c.reception.post("/queue/walk-ins", &form("queue")).await;
    several.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        several
            .text("#number-error")
            .starts_with("Several patients match: choose one below"),
        "{}",
        several.text("#number-error")
    );
    // The list says how many, once.
    assert_eq!(
        several.text("#walk-in-matches-count"),
        "3 patients match “queue”. Choose one:"
    );
    assert_eq!(
        several.texts("#walk-in-matches input[type=radio]").len(),
        3,
        "the patients to choose from come back with the message"
    );
    let nobody = c.reception.post("/queue/walk-ins", &form("zzz")).await;
    assert!(nobody.text("#number-error").contains("No active patient matches “zzz”"));
    // Said once, beside the field: the panel's message counts what to correct, the matches say nothing more.
    assert_eq!(
        nobody.text("#walk-in-existing-messages"),
        "Not added yet: one thing to correct, marked below."
    );
    assert_eq!(
        nobody.body.matches("matches “zzz”").count(),
        1,
        "{}",
        nobody.text("main")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket").await, 2);
    // Only the front desk looks patients up here.
    for role in [Role::Doctor, Role::Pharmacist, Role::Lab] {
        let other = app.login_as(&format!("lookup.{}", role.as_str()), role).await;
        other
            .get("/queue/walk-ins/matches?number=ade")
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    let student = PATIENTS.client(&app, 2).await;
    student
        .get("/queue/walk-ins/matches?number=ade")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.client()
        .get("/queue/walk-ins/matches?number=ade")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

async fn a_change_pushes_only_the_changed_ticket_and_a_reconnect_gets_the_whole_board(app: TestApp) {
    let c = clinic(&app).await;
    let names: Vec<String> = (0..21).map(|i| format!("Lean{i}")).collect();
    PATIENTS
        .named(&app, &names.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    for i in 0..20 {
        walk_in(&c.reception, i, "general", "normal")
            .await
            .assert_redirect("/queue");
    }
    // Each ticket is a lean row: no forms or token of its own, one link to its actions.
    let page = c.reception.get("/queue").await;
    let selector = scraper::Selector::parse("#queue-general li.ticket").unwrap();
    let rows: Vec<String> = page.html().select(&selector).map(|li| li.html()).collect();
    assert_eq!(rows.len(), 20);
    for row in &rows {
        assert!(row.len() <= 500, "{} bytes: {row}", row.len());
        assert!(!row.contains("<form") && !row.contains("csrf"), "{row}");
    }
    let last = app.count("SELECT id FROM ticket WHERE code = 'G-020'").await;
    assert_eq!(
        page.attr(&format!("#ticket-{last} a.ticket-menu"), "href"),
        Some(format!("/queue/tickets/{last}"))
    );
    let mut board = EventStream::open(&c.reception, "/queue/events").await;
    let first = board.next(WAIT).await.expect("the whole board");
    assert_eq!(first.name, "board");
    assert!(first.data.contains("G-001") && first.data.contains("G-020"));
    // A new ticket: only it (placed after the last one) and the headings it changes.
    walk_in(&c.reception, 20, "general", "normal")
        .await
        .assert_redirect("/queue");
    let change = board
        .until("change", WAIT, |d| d.contains("G-021"))
        .await
        .expect("the new ticket pushed");
    // The ticket, the headings and counts it changes (the day's line, its column's head, the strip of queues).
    assert!(
        change.data.len() < 4_000,
        "{} bytes: {}",
        change.data.len(),
        change.data
    );
    assert!(!change.data.contains("G-001"), "only what changed: {}", change.data);
    assert!(
        change
            .data
            .contains(&format!(r#"hx-swap-oob="afterend:#ticket-{last}""#))
    );
    assert!(
        board.next(Duration::from_millis(300)).await.is_none(),
        "one event per change"
    );
    // A call: the called ticket replaces itself.
    let first_id = app.count("SELECT id FROM ticket WHERE code = 'G-001'").await;
    called_code(&c.doctor_a.1).await.expect("a call");
    let change = board
        .until("change", WAIT, |d| d.contains("ticket-called"))
        .await
        .expect("the call pushed");
    assert!(
        change.data.len() < 4_000 && !change.data.contains("G-002"),
        "{}",
        change.data
    );
    assert!(
        change
            .data
            .contains(&format!(r#"hx-swap-oob="delete:#ticket-{first_id}""#))
    );
    // Reconnecting (a reload, a dropped connection): the whole board again, as it is now.
    drop(board);
    let mut again = EventStream::open(&c.reception, "/queue/events").await;
    let state = again.next(WAIT).await.expect("the whole board");
    assert_eq!(state.name, "board");
    assert!(state.data.contains("G-002") && state.data.contains("G-021") && state.data.contains("ticket-called"));
}

async fn a_tickets_actions_act_on_that_ticket_for_those_who_may(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let a = c.doctor_a.0.to_string();
    for (index, queue) in [(0, a.as_str()), (1, a.as_str()), (2, "general")] {
        walk_in(&c.reception, index, queue, "normal")
            .await
            .assert_redirect("/queue");
    }
    let (ada, _) = ticket_of(&app, ids[0]).await;
    let (bola, bola_code) = ticket_of(&app, ids[1]).await;
    let (chidi, _) = ticket_of(&app, ids[2]).await;
    // Reception's page of Bola's ticket: her moves, each posting to her ticket, with the token for plain forms.
    let path = format!("/queue/tickets/{bola}");
    let page = c.reception.get(&path).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("h1").starts_with(&format!("Ticket {bola_code} · ")),
        "{}",
        page.text("h1")
    );
    assert_eq!(page.texts("h1, h2").len(), 1, "the ticket is named once");
    let selector = scraper::Selector::parse(".ticket-actions form").unwrap();
    let actions: Vec<String> = page
        .html()
        .select(&selector)
        .filter_map(|f| f.value().attr("action").map(str::to_owned))
        .collect();
    let ends = ["skip", "no-show", "cancel", "priority", "transfer"];
    assert_eq!(actions.len(), ends.len(), "{actions:?}");
    for (action, end) in actions.iter().zip(ends) {
        assert_eq!(action, &format!("/queue/tickets/{bola}/{end}"));
    }
    assert!(page.has(&format!(
        "form[action='/queue/tickets/{bola}/skip'] input[name=csrf_token]"
    )));
    assert!(page.has(&format!("#transfer-{bola} option[value='{}']", c.doctor_b.0)));
    // With htmx, the same actions without the page around them (for the board's dialog).
    let fragment = c.reception.get_with(&path, &[("HX-Request", "true")]).await;
    assert!(!fragment.body.contains("<html") && fragment.has(&format!("form[action='/queue/tickets/{bola}/skip']")));
    // Its skip moves Bola's ticket and no other.
    c.reception
        .post(&format!("/queue/tickets/{bola}/skip"), &[])
        .await
        .assert_redirect("/queue");
    let skips = |id: i64| format!("SELECT skips FROM ticket WHERE id = {id}");
    assert_eq!((app.count(&skips(bola)).await, app.count(&skips(ada)).await), (1, 0));
    // A doctor: their own tickets, without "left"; not another doctor's, nor the general queue's.
    let mine = c.doctor_a.1.get(&path).await;
    mine.assert_status(StatusCode::OK);
    assert!(mine.has(&format!("form[action='/queue/tickets/{bola}/skip']")));
    assert!(!mine.has(&format!("form[action='/queue/tickets/{bola}/cancel']")));
    c.doctor_b.1.get(&path).await.assert_status(StatusCode::FORBIDDEN);
    c.doctor_a
        .1
        .get(&format!("/queue/tickets/{chidi}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    c.doctor_b
        .1
        .post(&format!("/queue/tickets/{bola}/no-show"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Other roles and patients: not at all; unknown tickets: not found.
    let pharmacist = app.login_as("pharma", Role::Pharmacist).await;
    let patient = PATIENTS.client(&app, 1).await;
    for client in [&pharmacist, &patient] {
        client.get(&path).await.assert_status(StatusCode::FORBIDDEN);
    }
    for missing in ["/queue/tickets/999999", "/queue/tickets/abc"] {
        c.reception.get(missing).await.assert_status(StatusCode::NOT_FOUND);
    }
    // The doctor's waiting list links only their own tickets to actions.
    let queue = c.doctor_a.1.get("/queue/doctor").await;
    assert!(queue.has(&format!("#ticket-{ada} a.ticket-menu")));
    assert!(queue.has(&format!("#ticket-{chidi}")) && !queue.has(&format!("#ticket-{chidi} a.ticket-menu")));
}

/// Reception's check-in list: one form for the list (its priority) and a button per appointment, so a row is a
/// few hundred bytes; a booking made anywhere appears on open boards without a reload, and a check-in takes
/// the row away again.
async fn the_check_in_list_is_lean_and_follows_bookings_live(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    // The slot is made (and announced) before the board opens: a board re-rendered for the slot's own
    // announcement while the booking commits would show the row without the booking's announcement.
    let slot = slot_today(&app, c.doctor_a.0, Timestamp(Timestamp::now().0 + 30 * 60_000)).await;
    let mut board = EventStream::open(&c.reception, "/queue/events").await;
    assert_eq!(board.next(WAIT).await.expect("the whole board").name, "board");
    // Reception books Ada for later today (overriding the notice rule); the open board is told.
    c.reception
        .post(
            &format!("/patients/{}/appointments", ids[0]),
            &[("slot_id", &slot.to_string()), ("override_reason", "Seen today")],
        )
        .await
        .assert_redirect(&format!("/patients/{}", ids[0]));
    let appointment = app
        .count(&format!("SELECT id FROM appointment WHERE patient_id = {}", ids[0]))
        .await;
    let row_id = format!("due-{appointment}");
    board
        .until("change", WAIT, |d| d.contains(&row_id))
        .await
        .expect("the booking pushed to the open board");

    let page = c.reception.get("/queue").await;
    let selector = scraper::Selector::parse(&format!("#{row_id}")).unwrap();
    let row = page
        .html()
        .select(&selector)
        .map(|tr| tr.html())
        .next()
        .expect("the row");
    assert!(row.len() <= 300, "{} bytes: {row}", row.len());
    assert!(!row.contains("<form") && !row.contains("csrf"), "{row}");
    assert_eq!(
        page.attr(&format!("#{row_id} button"), "form").as_deref(),
        Some("check-in-form")
    );
    assert!(page.has("#check-in-form select[name=priority] option[value=urgent]"));

    // The list's form with the row's button and an urgent priority: an urgent ticket, and the row goes.
    let mut fields = FormFields::of(&page, "#check-in-form");
    fields
        .set("priority", "urgent")
        .set("appointment_id", appointment.to_string());
    c.reception
        .post("/queue/check-ins", &fields.fields())
        .await
        .assert_redirect("/queue");
    let priority: String = sqlx::query_scalar("SELECT priority FROM ticket WHERE appointment_id = $1")
        .bind(appointment)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(priority, "urgent");
    board
        .until("change", WAIT, |d| {
            d.contains(&format!(r#"hx-swap-oob="delete:#{row_id}""#))
        })
        .await
        .expect("the checked-in row taken away");
    assert!(!c.reception.get("/queue").await.has(&format!("#{row_id}")));
}

/// Who works where is a table the board pushes, and one form above it changes it: a menu of doctors and one
/// of rooms, not a form with every room per doctor (24 doctors and 24 rooms made 41 KB of the board).
async fn reception_sets_rooms_from_one_form_above_the_live_table(app: TestApp) {
    let c = clinic(&app).await;
    let room_c = add_room(&app, &app.admin().await, "Room 3", "C").await;
    let rows = |page: &Page| page.texts("#room-assignments tbody tr");
    let page = c.reception.get("/queue").await;
    assert_eq!(rows(&page), ["Test dr.adeyemi Room 1 (A)", "Test dr.bello Room 2 (B)"]);
    assert_eq!(
        page.texts("#room-assign select[name=doctor_id] option"),
        ["Choose a doctor", "Test dr.adeyemi", "Test dr.bello"]
    );
    assert_eq!(
        page.texts("#room-assign select[name=room_id] option"),
        ["Choose a room", "Room 1 (A)", "Room 2 (B)", "Room 3 (C)"]
    );
    assert!(page.has("#room-assign input[name=csrf_token]"));
    assert!(
        !page.has("#room-assignments-box form") && !page.has("#room-assignments-box select"),
        "the pushed table holds no form"
    );
    // Dr Bello moves to Room 3; an open board is pushed the table.
    let mut board = EventStream::open(&c.reception, "/queue/events").await;
    assert_eq!(board.next(WAIT).await.expect("the whole board").name, "board");
    c.reception
        .post(
            "/queue/room",
            &[
                ("doctor_id", &c.doctor_b.0.to_string()),
                ("room_id", &room_c.to_string()),
            ],
        )
        .await
        .assert_redirect("/queue");
    let pushed = board
        .until("change", WAIT, |html| html.contains("room-assignments-box"))
        .await
        .expect("the table pushed");
    assert!(
        pushed.data.contains("Test dr.bello</th><td>Room 3 (C)"),
        "{}",
        pushed.data
    );
    assert_eq!(
        rows(&c.reception.get("/queue").await),
        ["Test dr.adeyemi Room 1 (A)", "Test dr.bello Room 3 (C)"]
    );
}

/// The board's check-in list holds the bookings due within the hour and those late by no more than the no-show
/// grace; the rest of the day is on `/queue/due`, whose rows check in through the same form, answered on the
/// board.
async fn the_board_lists_the_hours_bookings_and_the_rest_of_the_day_is_a_tap_away(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS
        .named(&app, &["Late", "Soon", "Afternoon", "Evening", "Missed"])
        .await;
    let now = Timestamp::now();
    let doctor = c.doctor_a.0;
    let late = appointment_today(&app, ids[0], doctor, now.minus_minutes(10)).await;
    let soon = appointment_today(&app, ids[1], doctor, now.plus_minutes(40)).await;
    let afternoon = appointment_today(&app, ids[2], doctor, now.plus_minutes(180)).await;
    let evening = appointment_today(&app, ids[3], doctor, now.plus_minutes(300)).await;
    // Past the 30 minutes' grace: a no-show at the job's next run.
    let missed = appointment_today(&app, ids[4], doctor, now.minus_minutes(45)).await;
    let row = |id: i64| format!("#due-{id}");

    let board = c.reception.get("/queue").await;
    assert!(board.has(&row(late)) && board.has(&row(soon)), "{}", board.body);
    for id in [afternoon, evening, missed] {
        assert!(!board.has(&row(id)), "{id} is not due within the hour");
    }
    assert_eq!(board.text("#due-note a"), "3 more booked today");
    assert_eq!(board.attr("#due-note a", "href").as_deref(), Some("/queue/due"));

    let all = c.reception.get("/queue/due").await;
    all.assert_status(StatusCode::OK);
    for id in [late, soon, afternoon, evening, missed] {
        assert_eq!(
            all.attr(&format!("{} button", row(id)), "form").as_deref(),
            Some("check-in-form")
        );
    }
    assert!(
        !all.has("#check-in-form[hx-post]"),
        "a plain form: its answer is the board"
    );
    let mut fields = FormFields::of(&all, "#check-in-form");
    fields
        .set("priority", "normal")
        .set("appointment_id", afternoon.to_string());
    c.reception
        .post("/queue/check-ins", &fields.fields())
        .await
        .assert_redirect("/queue");
    assert_eq!(ticket_of(&app, ids[2]).await.1, "A-001");
    let board = c.reception.get("/queue").await;
    assert!(board.text(".flash").starts_with("Checked in with ticket"));
    assert_eq!(board.text(".flash [data-new-ticket]"), "A-001");
    assert_eq!(board.text("#due-note a"), "2 more booked today");
    assert!(!c.reception.get("/queue/due").await.has(&row(afternoon)));

    // With nobody due within the hour, the note says so and still leads to the rest of the day.
    for id in [late, soon] {
        c.reception
            .post("/queue/check-ins", &[("appointment_id", &id.to_string())])
            .await
            .assert_redirect("/queue");
    }
    let board = c.reception.get("/queue").await;
    assert!(!board.has("#due-list tr"));
    assert!(
        board
            .text("#due-note")
            .starts_with("Nobody booked is due within the hour:")
    );
    assert_eq!(board.text("#due-note a"), "all 2 booked today");
}

/// The desk's one search answers for whoever comes to the desk: a patient booked later today (not on the
/// check-in list, which holds the hour's bookings) is offered their check-in on their row; one already in the
/// queue shows their ticket instead; a name nobody has leads to the new patient's form with it filled in.
async fn the_desks_search_checks_in_a_booking_of_later_today_or_registers_a_name_it_did_not_find(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Evening", "Morning"]).await;
    let now = Timestamp::now();
    let evening = appointment_today(&app, ids[0], c.doctor_a.0, now.plus_minutes(300)).await;

    let board = c.reception.get("/queue").await;
    assert!(!board.has(&format!("#due-{evening}")), "not due within the hour");
    assert!(
        board.text("#due-note").contains("search a name"),
        "{}",
        board.text("#due-note")
    );
    let found = c.reception.get("/queue/walk-ins/matches?number=evening").await;
    let button = format!(".walk-in-match button[name=appointment_id][value='{evening}']");
    assert_eq!(
        found.attr(&button, "form").as_deref(),
        Some("check-in-form"),
        "{}",
        found.body
    );
    assert!(found.text(&button).starts_with("Check in"), "{}", found.text(&button));
    assert!(
        !found.has(".walk-in-match input[checked]"),
        "the one found is not chosen as a walk-in: checking them in is the likely act"
    );
    // Someone not booked has no check-in.
    let morning = c.reception.get("/queue/walk-ins/matches?number=morning").await;
    assert!(!morning.has(".walk-in-match button"), "{}", morning.body);
    // Chosen and added as a walk-in instead, they are pointed to their booking: a walk-in ticket would leave it
    // open.
    let number = found
        .attr(".walk-in-match input[name=patient]", "value")
        .expect("their clinic number");
    let refused = c
        .reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", "evening"),
                ("patient", &number),
                ("queue", "general"),
                ("priority", "normal"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text("#walk-in-existing").contains("is booked today at")
            && refused
                .text("#walk-in-existing")
                .contains("check them in to that booking"),
        "{}",
        refused.text("#walk-in-existing")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket").await, 0);

    // The button sends the board's own check-in form; through htmx the answer asks the search to look again.
    let mut fields = FormFields::of(&board, "#check-in-form");
    let token = c.reception.csrf_token().await;
    fields
        .set("appointment_id", evening.to_string())
        .set("csrf_token", token);
    let fields = fields.fields();
    let answer = c
        .reception
        .post_with_headers("/queue/check-ins", &fields, &[("HX-Request", "true")])
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.header("HX-Trigger"), Some("checked-in"));
    let (_, code) = ticket_of(&app, ids[0]).await;
    let again = c.reception.get("/queue/walk-ins/matches?number=evening").await;
    assert!(!again.has(".walk-in-match button"), "{}", again.body);
    assert!(again.text(".walk-in-match").contains(&format!("In queue · {code}")));

    // A name that finds nobody: one link opens the new patient's form with it, split as the lists write it.
    let none = c.reception.get("/queue/walk-ins/matches?number=Okafor,%20Ada").await;
    let link = "a[data-register-new]";
    assert_eq!(none.attr(link, "data-first-name").as_deref(), Some("Ada"));
    assert_eq!(none.attr(link, "data-surname").as_deref(), Some("Okafor"));
    let href = none
        .attr(link, "href")
        .expect("a link for a browser without JavaScript");
    let new = c.reception.get(&href).await;
    assert!(new.has("details.walk-in-new[open]"), "{}", href);
    assert_eq!(
        new.attr("#walk-in-new input[name=first_name]", "value").as_deref(),
        Some("Ada")
    );
    assert_eq!(
        new.attr("#walk-in-new input[name=surname]", "value").as_deref(),
        Some("Okafor")
    );
    // A number that finds nobody opens the same form, empty.
    let number = c.reception.get("/queue/walk-ins/matches?number=QU/26/9999").await;
    assert!(!number.has("a[data-register-new][data-first-name]"));
    let empty = c.reception.get("/queue?register=QU%2F26%2F9999").await;
    assert!(empty.has("details.walk-in-new[open]"));
    assert_eq!(
        empty.attr("#walk-in-new input[name=first_name]", "value").as_deref(),
        Some("")
    );
}

/// `/queue/due` shows a busy day's bookings 25 at a time, late ones first, and finds one by part of the
/// patient's name or clinic number.
async fn the_days_bookings_to_check_in_come_a_page_at_a_time_and_are_searchable(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.numbered(&app, 27).await;
    let now = Timestamp::now();
    let mut bookings = Vec::new();
    for (n, patient) in (0_i64..).zip(&ids) {
        bookings.push(appointment_today(&app, *patient, c.doctor_a.0, now.plus_minutes(90 + 20 * n)).await);
    }
    let rows = |page: &Page| page.texts("#due-list tr td:nth-child(2)");

    let first = c.reception.get("/queue/due").await;
    first.assert_status(StatusCode::OK);
    assert_eq!(rows(&first).len(), 25);
    assert!(first.has(&format!("#due-{}", bookings[0])), "the earliest first");
    assert_eq!(first.text(".pager span"), "27 appointments · page 1 of 2");
    assert_eq!(
        first.attr(".pager a[rel=next]", "href").as_deref(),
        Some("/queue/due?q=&page=2")
    );

    let second = c.reception.get("/queue/due?q=&page=2").await;
    assert_eq!(rows(&second).len(), 2);
    assert!(second.has(&format!("#due-{}", bookings[26])));
    assert_eq!(
        second.attr(".pager a[rel=prev]", "href").as_deref(),
        Some("/queue/due?q=&page=1")
    );

    let found = c.reception.get("/queue/due?q=student26").await;
    assert_eq!(rows(&found).len(), 1, "{}", found.body);
    assert!(found.has(&format!("#due-{}", bookings[26])));
    assert_eq!(found.attr("#due-search", "value").as_deref(), Some("student26"));
    assert_eq!(found.text(".pager span"), "1 appointment · page 1 of 1");

    let nobody = c.reception.get("/queue/due?q=nobody&page=abc").await;
    nobody.assert_status(StatusCode::OK);
    assert_eq!(nobody.text("#due-note"), "No appointment to check in matches “nobody”.");
}

/// A call stays under "Now calling" for [`CALL_SHOWN_MINUTES`] unless called again, then under "Called earlier",
/// and goes when its room moves on: a call left unanswered used to stay on the screen for hours.
async fn old_calls_leave_the_display(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let (a, b) = (c.doctor_a.0.to_string(), c.doctor_b.0.to_string());
    for (index, queue) in [(0, &a), (1, &b), (2, &b)] {
        walk_in(&c.reception, index, queue, "normal")
            .await
            .assert_redirect("/queue");
    }
    let first_a = called_code(&c.doctor_a.1).await.expect("a call");
    let first_b = called_code(&c.doctor_b.1).await.expect("a call");
    let anonymous = app.client();
    let calling = |page: &Page| page.texts(".tile-call .tile-code");
    let shown = calling(&anonymous.get("/display").await);
    assert_eq!(shown.len(), 2, "{shown:?}");
    // Doctor A's call was made long ago and nobody answered it; nothing announces that it aged.
    let minutes = sickbay_core::queue::model::CALL_SHOWN_MINUTES;
    let long_ago = Timestamp(Timestamp::now().0 - (minutes + 1) * 60_000);
    sqlx::query("UPDATE ticket SET called_at = $1, last_called_at = $1 WHERE code = $2")
        .bind(long_ago)
        .bind(&first_a)
        .execute(app.db().pool())
        .await
        .unwrap();
    // A page read after the shared copy's two seconds, and a display that connects, show only the current call.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let display = anonymous.get("/display").await;
    assert_eq!(calling(&display), std::slice::from_ref(&first_b));
    // It waits in the smaller line, for a patient who was away when called.
    assert_eq!(
        display.texts("#called-earlier .tile-earlier strong"),
        std::slice::from_ref(&first_a)
    );
    let mut stream = EventStream::open(&anonymous, "/display/events").await;
    let first = stream.next(WAIT).await.expect("full state");
    let (now_calling, earlier) = first
        .data
        .split_once("id=\"called-earlier\"")
        .unwrap_or((&first.data, ""));
    assert!(
        now_calling.contains(&first_b) && !now_calling.contains(&first_a) && earlier.contains(&first_a),
        "{}",
        first.data
    );
    // Calling again puts it back: a fresh call.
    let id = app
        .count(&format!("SELECT id FROM ticket WHERE code = '{first_a}'"))
        .await;
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{id}/recall"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(calling(&anonymous.get("/display").await).contains(&first_a));
    // Doctor B starts another patient without the one called (who never came): B's room has moved on.
    let other = app
        .count(&format!(
            "SELECT id FROM ticket WHERE doctor_id = {b} AND status = 'waiting' ORDER BY id LIMIT 1"
        ))
        .await;
    let now = Timestamp::now();
    sqlx::query("UPDATE ticket SET status = 'with_doctor', room_id = $1, started_at = $2 WHERE id = $3")
        .bind(
            app.count(&format!("SELECT room_id FROM ticket WHERE code = '{first_b}'"))
                .await,
        )
        .bind(Timestamp(now.0 + 1))
        .bind(other)
        .execute(app.db().pool())
        .await
        .unwrap();
    app.announce(Event::Queue { call: None }).await;
    let display = anonymous.get("/display").await;
    assert_eq!(calling(&display), [first_a]);
    assert!(!display.has("#called-earlier"), "{}", display.body);
}

/// A click on a patient the walk-in search found only chooses them: nothing is added until "Add to the queue", with
/// the queue and priority chosen. Without JavaScript the same choice comes back with the form when the name fits
/// several patients, and when the form is refused the choice is kept.
async fn choosing_a_walk_in_selects_them_and_adding_is_its_own_act(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Adaeze", "Adamu", "Bisi"]).await;
    let matches = c
        .reception
        .get_with("/queue/walk-ins/matches?number=ada", &[("HX-Request", "true")])
        .await;
    matches.assert_status(StatusCode::OK);
    // The matches are a choice of one, not buttons that send the form.
    assert!(!matches.has("button"), "{}", matches.body);
    assert!(!matches.has("[type=submit]"));
    let choices = matches.texts(".walk-in-matches .walk-in-match");
    assert_eq!(choices.len(), 2, "{choices:?}");
    assert!(matches.has("fieldset.walk-in-matches > legend"));
    assert!(!matches.has("input[name=patient][checked]"), "two found: none chosen");
    // One found (the matric number typed whole) is chosen already; still nobody is added.
    let one = c
        .reception
        .get_with(
            &format!("/queue/walk-ins/matches?number={}", PATIENTS.matric(2)),
            &[("HX-Request", "true")],
        )
        .await;
    assert_eq!(one.texts(".walk-in-matches .walk-in-match").len(), 1);
    assert!(one.has("input[name=patient][checked]"), "{}", one.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket").await,
        0,
        "searching adds nobody"
    );
    // Without JavaScript: a name fitting several comes back with the same choice, the form as typed.
    let doctor_b = c.doctor_b.0.to_string();
    let typed = [
        ("who", "existing"),
        ("number", "ada"),
        ("queue", doctor_b.as_str()),
        ("priority", "urgent"),
    ];
    let several = c.reception.post("/queue/walk-ins", &typed).await;
    several.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let radios = several.texts("#walk-in-existing .walk-in-matches .walk-in-match");
    assert_eq!(radios.len(), 2, "{radios:?}");
    assert!(!several.has("#walk-in-existing input[name=patient][checked]"));
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket").await, 0);
    let chosen = several
        .attr("#walk-in-existing input[name=patient]", "value")
        .expect("a choice");
    // The choice kept when the form is refused (an unknown priority).
    let refused = c
        .reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", "ada"),
                ("patient", &chosen),
                ("queue", "general"),
                ("priority", "soon"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.attr("#walk-in-existing input[name=patient][checked]", "value"),
        Some(chosen.clone())
    );
    // Adding is the form's button, with the queue and priority chosen.
    c.reception
        .post(
            "/queue/walk-ins",
            &[
                ("who", "existing"),
                ("number", "ada"),
                ("patient", &chosen),
                ("queue", &doctor_b),
                ("priority", "urgent"),
            ],
        )
        .await
        .assert_redirect("/queue");
    let (patient, doctor, priority): (i64, Option<i64>, String) =
        sqlx::query_as("SELECT t.patient_id, t.doctor_id, t.priority FROM ticket t")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let number: String = sqlx::query_scalar("SELECT clinic_number FROM patient WHERE id = $1")
        .bind(patient)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(
        (number, doctor, priority.as_str()),
        (chosen, Some(c.doctor_b.0), "urgent")
    );
}

/// "Undo" after a no-show or "left": the ticket goes back to its place, waiting, and its appointment with it.
/// Two undos racing put it back once; it stays closed when the patient holds another ticket, when it is an
/// earlier day's, or when it was never closed; a doctor undoes only in their own queue.
async fn a_no_show_or_left_by_mistake_is_undone_once_back_to_its_place(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    let appointment = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now()).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await
        .assert_redirect("/queue");
    walk_in(&c.reception, 1, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let (ada, _) = ticket_of(&app, ids[0]).await;
    let (bola, _) = ticket_of(&app, ids[1]).await;
    let order_of = |ticket: i64| format!("SELECT order_at FROM ticket WHERE id = {ticket}");
    let ada_order = app.count(&order_of(ada)).await;
    let appointment_is =
        |status: &str| format!("SELECT COUNT(*) FROM appointment WHERE id = {appointment} AND status = '{status}'");

    // Marked a no-show: the board's message offers the undo, which works without JavaScript too.
    c.reception
        .post(&format!("/queue/tickets/{ada}/no-show"), &[])
        .await
        .assert_redirect("/queue");
    assert_eq!(app.count(&appointment_is("no_show")).await, 1);
    let board = c.reception.get("/queue").await;
    let undo = format!("/queue/tickets/{ada}/reinstate");
    assert_eq!(
        board.attr(".flash-undo form", "action").as_deref(),
        Some(undo.as_str()),
        "{}",
        board.text("#messages")
    );
    assert!(board.text(".flash-undo").contains("marked as a no-show"));

    // Two undos at once (a double click): one puts it back, the other is told it is waiting now.
    let (first, second) = tokio::join!(c.reception.post(&undo, &[]), c.reception.post(&undo, &[]));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(status_of(&app, ada).await, "waiting");
    assert_eq!(app.count(&order_of(ada)).await, ada_order, "back in its own place");
    assert_eq!(app.count(&appointment_is("checked_in")).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket WHERE id = {ada} AND finished_at IS NULL AND room_id IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.reinstate' AND record_id = {ada}"
        ))
        .await,
        1
    );
    // The undo's own message offers no undo.
    let done = c.reception.get("/queue").await;
    assert!(!done.has(".flash-undo"), "{}", done.text("#messages"));

    // "Left" and its undo through htmx: the message comes with its Undo, and the appointment goes back to
    // checked in from booked.
    let left = post_htmx(&c.reception, &format!("/queue/tickets/{ada}/cancel")).await;
    left.assert_status(StatusCode::OK);
    assert_eq!(
        left.attr("#queue-notice form", "hx-post").as_deref(),
        Some(undo.as_str())
    );
    assert_eq!(app.count(&appointment_is("booked")).await, 1);
    post_htmx(&c.reception, &undo).await.assert_status(StatusCode::OK);
    assert_eq!(status_of(&app, ada).await, "waiting");
    assert_eq!(app.count(&appointment_is("checked_in")).await, 1);

    // A waiting ticket has nothing to undo.
    c.reception.post(&undo, &[]).await.assert_status(StatusCode::CONFLICT);

    // Doctor B can't undo in doctor A's queue; doctor A can.
    c.doctor_a
        .1
        .post(&format!("/queue/tickets/{bola}/no-show"), &[])
        .await
        .assert_redirect("/queue/doctor");
    let bola_undo = format!("/queue/tickets/{bola}/reinstate");
    c.doctor_b
        .1
        .post(&bola_undo, &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, bola).await, "no_show");

    // Bola was given a new ticket meanwhile: the old one stays closed, and she keeps one open ticket.
    walk_in(&c.reception, 1, "general", "normal")
        .await
        .assert_redirect("/queue");
    let refused = c.doctor_a.1.post(&bola_undo, &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(
        refused.text("[role=alert]").contains("already holds ticket G-001"),
        "{}",
        refused.text("[role=alert]")
    );
    assert_eq!(status_of(&app, bola).await, "no_show");

    // An earlier day's ticket stays closed: the patient comes back as a walk-in.
    walk_in(&c.reception, 2, "general", "normal")
        .await
        .assert_redirect("/queue");
    let (chidi, _) = ticket_of(&app, ids[2]).await;
    c.reception
        .post(&format!("/queue/tickets/{chidi}/no-show"), &[])
        .await
        .assert_redirect("/queue");
    sqlx::query("UPDATE ticket SET day = '2000-01-01' WHERE id = $1")
        .bind(chidi)
        .execute(app.db().pool())
        .await
        .unwrap();
    let old = c
        .reception
        .post(&format!("/queue/tickets/{chidi}/reinstate"), &[])
        .await;
    old.assert_status(StatusCode::BAD_REQUEST);
    assert!(
        old.text("[role=alert]").contains("only today's tickets"),
        "{}",
        old.text("[role=alert]")
    );
    assert_eq!(status_of(&app, chidi).await, "no_show");
}

/// A no-show's Undo lives in one message; a reload loses it. The board keeps the day's no-shows and patients who
/// left in a list of their own, each with "Put back", and the ticket's own page offers the same.
async fn the_days_no_shows_and_leavers_stay_on_the_board_to_put_back(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola"]).await;
    for (index, queue) in [(0, "general".to_owned()), (1, c.doctor_a.0.to_string())] {
        walk_in(&c.reception, index, &queue, "normal")
            .await
            .assert_redirect("/queue");
    }
    let (ada, ada_code) = ticket_of(&app, ids[0]).await;
    let (bola, _) = ticket_of(&app, ids[1]).await;
    let board = c.reception.get("/queue").await;
    assert_eq!(board.text("#closed-count"), "0");
    assert!(!board.has("details#closed-today[open]"));
    assert!(board.texts("#closed-list li").is_empty());
    assert!(board.has(".closed-empty"));

    c.reception
        .post(&format!("/queue/tickets/{ada}/no-show"), &[])
        .await
        .assert_redirect("/queue");
    c.reception
        .post(&format!("/queue/tickets/{bola}/cancel"), &[])
        .await
        .assert_redirect("/queue");
    let board = c.reception.get("/queue").await;
    assert_eq!(board.text("#closed-count"), "2");
    assert!(board.has("details#closed-today[open]"), "open while it holds someone");
    assert_eq!(board.attr("#day-totals a", "href").as_deref(), Some("#closed-list"));
    let row = board.text(&format!("#closed-{ada}"));
    assert!(
        row.contains(&ada_code) && row.contains("Ada") && row.contains("No-show") && row.contains("General queue"),
        "{row}"
    );
    assert!(board.text(&format!("#closed-{bola}")).contains("Left the clinic"));
    let put_back = format!("/queue/tickets/{ada}/reinstate");
    assert_eq!(
        board.attr(&format!("#closed-{ada} button"), "formaction").as_deref(),
        Some(put_back.as_str())
    );
    assert_eq!(
        board.attr(&format!("#closed-{ada} button"), "form").as_deref(),
        Some("put-back-form")
    );
    assert!(board.has("form#put-back-form input[name=csrf_token]"));
    // The closed ticket's own page offers it too.
    let page = c.reception.get(&format!("/queue/tickets/{ada}")).await;
    assert_eq!(
        page.attr(".ticket-menu-body form", "action").as_deref(),
        Some(put_back.as_str())
    );

    // Put back as the form sends it: the ticket waits again and leaves the list.
    c.reception.post(&put_back, &[]).await.assert_redirect("/queue");
    assert_eq!(status_of(&app, ada).await, "waiting");
    let board = c.reception.get("/queue").await;
    assert_eq!(board.text("#closed-count"), "1");
    assert!(!board.has(&format!("#closed-{ada}")));
    assert!(board.has(&format!("#queue-general #ticket-{ada}")));
    // Once back, there is nothing to put back.
    c.reception
        .post(&put_back, &[])
        .await
        .assert_status(StatusCode::CONFLICT);
}

async fn the_patients_page_lists_who_came_in_today(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.numbered(&app, 3).await;
    let before = c.reception.get("/patients").await;
    assert!(!before.has("#arrived-list"), "no one has come in yet");
    for i in [0, 2] {
        walk_in(&c.reception, i, "general", "normal")
            .await
            .assert_redirect("/queue");
    }
    for page in [
        c.reception.get("/patients").await,
        c.reception.get("/patients?q=").await,
    ] {
        page.assert_status(StatusCode::OK);
        assert_eq!(page.texts("#arrived-list li").len(), 2);
        assert_eq!(
            page.attr("#arrived-list li:first-child a", "href"),
            Some(format!("/patients/{}", ids[2])),
            "the latest arrival first"
        );
        assert!(
            !page.has(&format!("#arrived-list a[href='/patients/{}']", ids[1])),
            "not come in"
        );
    }
    // Typing lists the matches instead.
    let found = c.reception.get(&format!("/patients?q={}", PATIENTS.matric(1))).await;
    assert!(!found.has("#arrived-list"));
    assert!(found.has(&format!("#results a[href='/patients/{}']", ids[1])));
}

/// A waiting patient leaves from their phone (after a confirmation): the ticket closes as "left" (reception can
/// put it back), once; a called patient is told to go to the room instead; nobody else's ticket is reachable.
async fn a_patient_leaves_the_queue_from_their_phone_while_waiting(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada", "Bola"]).await;
    let a = c.doctor_a.0.to_string();
    for i in 0..2 {
        walk_in(&c.reception, i, &a, "normal").await.assert_redirect("/queue");
    }
    let ada = PATIENTS.client(&app, 0).await;
    let bola = PATIENTS.client(&app, 1).await;
    let page = bola.get("/me/queue").await;
    assert_eq!(
        page.attr("#place-leave form", "action").as_deref(),
        Some("/me/queue/leave")
    );
    let asked = bola.get("/me/queue/leave").await;
    asked.assert_status(StatusCode::OK);
    assert!(asked.text("h1").contains("A-002"), "{}", asked.text("h1"));

    bola.post("/me/queue/leave", &[]).await.assert_redirect("/me/queue");
    let status: String = sqlx::query_scalar("SELECT status FROM ticket WHERE code = 'A-002'")
        .fetch_one(app.db().pool())
        .await
        .expect("status");
    assert_eq!(status, "cancelled");
    assert_eq!(app.audits("ticket.leave").await, 1);
    let after = bola.get("/me/queue").await;
    assert!(
        after.text("#messages").contains("You have left the queue"),
        "{}",
        after.body
    );
    assert!(!after.has("#place-leave"));
    // Sent again (a double tap, a stale page): nothing more happens.
    bola.post("/me/queue/leave", &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.audits("ticket.leave").await, 1);
    // Reception sees them with those who left, to put back.
    let board = c.reception.get("/queue").await;
    assert_eq!(board.text("#closed-count"), "1");

    // Called: the phone says where to go, and leaving is refused with that.
    assert_eq!(called_code(&c.doctor_a.1).await.as_deref(), Some("A-001"));
    assert!(!ada.get("/me/queue").await.has("#place-leave"));
    let refused = ada.post("/me/queue/leave", &[]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(refused.body.contains("has been called"), "{}", refused.body);
    let called: String = sqlx::query_scalar("SELECT status FROM ticket WHERE code = 'A-001'")
        .fetch_one(app.db().pool())
        .await
        .expect("status");
    assert_eq!(called, "called");
    // Staff have no "leave" move.
    let id = app.count("SELECT id FROM ticket WHERE code = 'A-001'").await;
    c.reception
        .post(&format!("/queue/tickets/{id}/leave"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

/// The doctor's "call next" and the patient's "leave" at the same moment: the ticket ends either called (and the
/// leave is refused) or left (and the call takes nobody), never both.
async fn a_patient_leaving_as_the_doctor_calls_is_either_called_or_gone(app: TestApp) {
    let c = clinic(&app).await;
    PATIENTS.named(&app, &["Ada"]).await;
    let ada = PATIENTS.client(&app, 0).await;
    for round in 0..6 {
        walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
            .await
            .assert_redirect("/queue");
        let (called, left) = tokio::join!(called_code(&c.doctor_a.1), ada.post("/me/queue/leave", &[]));
        let status: String = sqlx::query_scalar("SELECT status FROM ticket WHERE id = (SELECT MAX(id) FROM ticket)")
            .fetch_one(app.db().pool())
            .await
            .expect("status");
        match status.as_str() {
            "called" => {
                assert!(called.is_some(), "round {round}");
                left.assert_status(StatusCode::CONFLICT);
                let id = app.count("SELECT MAX(id) FROM ticket").await;
                see_through(&app, &c.doctor_a.1, &called.unwrap_or_default()).await;
                assert_eq!(
                    app.count(&format!(
                        "SELECT COUNT(*) FROM ticket WHERE id = {id} AND status = 'completed'"
                    ))
                    .await,
                    1
                );
            }
            "cancelled" => {
                assert!(called.is_none(), "round {round}: {called:?}");
                left.assert_redirect("/me/queue");
            }
            other => panic!("round {round}: the ticket is {other}"),
        }
    }
}
