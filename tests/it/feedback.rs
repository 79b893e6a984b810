//! Feedback and safety of forms (issue 9, items 11, 12 and 15): a message lands in the part of the page that was
//! acted on; a creating form sent twice (one after the other, or at the same moment) creates one record and both
//! answers lead to it; destructive actions ask first, naming the action, and their POST is unchanged.

use reqwest::StatusCode;
use sickbay_core::db::Timestamp;
use sickbay_core::identity::Role;

use crate::booking;
use crate::queue::{PATIENTS, walk_in};
use crate::support::{Client, Page, Students, TestApp, appointment_today, clinic, doctor, on_both_databases, slot_in};

on_both_databases!(
    a_failed_check_in_is_told_in_the_check_in_list,
    a_failed_walk_in_is_told_beside_its_form,
    a_registration_form_sent_twice_registers_once,
    a_booking_form_sent_twice_books_once,
    walk_in_and_staff_forms_sent_twice_create_once,
    hours_room_and_faculty_forms_sent_twice_create_once,
    destructive_actions_ask_first_and_name_the_action,
);

/// The students who book: BK/26/0000, BK/26/0001, ...
const STUDENTS: Students = Students::new("BK", "Booker");

/// The one-time id of the form `form` on `page`.
fn form_id(page: &Page, form: &str) -> String {
    page.attr(&format!("{form} input[name=form_id]"), "value")
        .unwrap_or_else(|| panic!("{form} has no form id:\n{}", page.body))
}

/// Posts `fields` as htmx does: its header, and the CSRF token in `X-CSRF-Token`.
async fn hx_post(client: &Client, path: &str, fields: &[(&str, &str)]) -> Page {
    let token = client.csrf_token().await;
    client
        .post_with_headers(path, fields, &[("HX-Request", "true"), ("X-CSRF-Token", &token)])
        .await
}

async fn a_failed_check_in_is_told_in_the_check_in_list(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola", "Chidi"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let ada = appointment_today(&app, ids[0], c.doctor_a.0, Timestamp::now())
        .await
        .to_string();

    // The check-in list has its own message region, and its one form posts to its anchor.
    let board = c.reception.get("/queue").await;
    assert!(board.has("section#check-in #check-in-messages[aria-live=polite]"));
    assert_eq!(
        board.attr("#check-in #check-in-form", "action").as_deref(),
        Some("/queue/check-ins#check-in")
    );
    assert_eq!(
        board.attr(&format!("#due-{ada} button"), "form").as_deref(),
        Some("check-in-form")
    );

    // Without JavaScript: the board again (409), the message in the check-in list, nothing at the top.
    let refused = c.reception.post("/queue/check-ins", &[("appointment_id", &ada)]).await;
    refused.assert_status(StatusCode::CONFLICT);
    assert!(
        refused
            .text("#check-in #check-in-messages [role=alert]")
            .contains("already holds ticket G-001"),
        "{}",
        refused.body
    );
    assert_eq!(refused.text("#messages"), "");

    // With htmx: only the region changes, swapped out of band; the error is not sent to the top of the page.
    let hx = hx_post(&c.reception, "/queue/check-ins", &[("appointment_id", &ada)]).await;
    hx.assert_status(StatusCode::CONFLICT);
    assert_eq!(hx.header("hx-reswap"), Some("none"));
    assert_eq!(hx.header("hx-retarget"), None);
    assert_eq!(
        hx.attr("#check-in-messages", "hx-swap-oob").as_deref(),
        Some("innerHTML")
    );
    assert!(
        hx.text("#check-in-messages [role=alert]")
            .contains("already holds ticket G-001")
    );

    // A check-in that works: its message in the same region, and the board's push brings the new ticket (to
    // this screen too) and takes the appointment off the list.
    let bola = appointment_today(&app, ids[1], c.doctor_a.0, Timestamp::now())
        .await
        .to_string();
    let mut board = crate::support::EventStream::open(&c.reception, "/queue/events").await;
    let wait = std::time::Duration::from_secs(10);
    board.next(wait).await.expect("the whole board");
    let ok = hx_post(&c.reception, "/queue/check-ins", &[("appointment_id", &bola)]).await;
    ok.assert_status(StatusCode::OK);
    let pushed = board
        .until("change", wait, |d| d.contains("A-001"))
        .await
        .expect("the board's push");
    assert!(
        pushed.data.contains(&format!(r#"hx-swap-oob="delete:#due-{bola}""#)),
        "{}",
        pushed.data
    );
    assert!(
        ok.text("#check-in-messages[hx-swap-oob] [role=status]")
            .starts_with("Checked in with ticket")
    );
    assert_eq!(
        ok.text("#check-in-messages[hx-swap-oob] [role=status] [data-new-ticket]"),
        "A-001"
    );
    // Without JavaScript: back to the board (at the anchor the form posted to), the message in the list.
    let chidi = appointment_today(&app, ids[2], c.doctor_a.0, Timestamp::now())
        .await
        .to_string();
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &chidi)])
        .await
        .assert_redirect("/queue");
    let board = c.reception.get("/queue").await;
    assert!(
        board
            .text("#check-in-messages [role=status]")
            .starts_with("Checked in with ticket")
    );
    assert_eq!(
        board.text("#check-in-messages [role=status] [data-new-ticket]"),
        "A-002"
    );
    assert_eq!(board.text("#messages"), "");
}

async fn a_failed_walk_in_is_told_beside_its_form(app: TestApp) {
    let c = clinic(&app).await;
    let board = c.reception.get("/queue").await;
    assert_eq!(
        board.attr("form#walk-in-new", "action").as_deref(),
        Some("/queue/walk-ins#walk-in-new")
    );
    assert_eq!(
        board.attr("form#walk-in-existing", "action").as_deref(),
        Some("/queue/walk-ins#walk-in-existing")
    );
    let key = form_id(&board, "form#walk-in-new");
    let mut fields = vec![
        ("who", "new"),
        ("first_name", "Zainab"),
        ("surname", ""),
        ("queue", "general"),
        ("priority", "normal"),
        ("form_id", key.as_str()),
    ];
    let bad = c.reception.post("/queue/walk-ins", &fields).await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // The message is beside the field, and counted at the top of that form, where the page opens.
    let beside = bad.text("#surname-error");
    assert!(!beside.is_empty());
    assert!(bad.has("#surname[aria-invalid=true]"));
    assert_eq!(
        bad.text("form#walk-in-new #walk-in-new-messages [role=alert]"),
        "Not added yet: one thing to correct, marked below.",
        "{}",
        bad.body
    );
    assert!(!bad.has("#walk-in-existing-messages [role=alert]"));
    assert_eq!(bad.text("#messages"), "");
    assert_eq!(bad.attr("#first_name", "value").as_deref(), Some("Zainab"));
    // The re-rendered form carries the same id on (nothing was created under it).
    assert_eq!(form_id(&bad, "form#walk-in-new"), key);

    fields[2] = ("surname", "Walker");
    c.reception
        .post("/queue/walk-ins", &fields)
        .await
        .assert_redirect("/queue");
    let board = c.reception.get("/queue").await;
    assert!(
        board
            .text("#walk-in-new-messages [role=status]")
            .starts_with("Walk-in added with ticket")
    );
    assert_eq!(
        board.text("#walk-in-new-messages [role=status] [data-new-ticket]"),
        "G-001"
    );
    assert_eq!(board.text("#messages"), "");
}

fn visitor_fields(first: &str, surname: &str, phone: &str) -> Vec<(&'static str, String)> {
    [
        ("kind", "visitor"),
        ("first_name", first),
        ("surname", surname),
        ("sex", "female"),
        ("date_of_birth", "1990-05-06"),
        ("phone", phone),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .collect()
}

async fn post_owned(client: &Client, path: &str, fields: &[(&'static str, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(path, &borrowed).await
}

async fn a_registration_form_sent_twice_registers_once(app: TestApp) {
    let reception = app.login_as("desk", Role::Reception).await;

    // One after the other (a double click whose first answer the browser dropped): the second answer leads to
    // the same new record, not to "Is this one of these patients?" listing it.
    let form = reception.get("/patients/new").await;
    let mut fields = visitor_fields("Ngozi", "Adeyemi", "08031112222");
    fields.push(("form_id", form_id(&form, "form.patient-form")));
    let first = post_owned(&reception, "/patients/new", &fields).await;
    first.assert_status(StatusCode::SEE_OTHER);
    let location = first.location().expect("location").to_owned();
    let second = post_owned(&reception, "/patients/new", &fields).await;
    second.assert_redirect(&location);
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 1);
    let shown = reception.get(&location).await;
    assert!(shown.text(".flash-success").starts_with("Registered Ngozi Adeyemi as "));
    assert!(!shown.has("#duplicates"));

    // At the same moment: one record, both answers lead to it.
    let form = reception.get("/patients/new").await;
    let mut fields = visitor_fields("Tunde", "Bakare", "08039998888");
    fields.push(("form_id", form_id(&form, "form.patient-form")));
    let (a, b) = tokio::join!(
        post_owned(&reception, "/patients/new", &fields),
        post_owned(&reception, "/patients/new", &fields)
    );
    a.assert_status(StatusCode::SEE_OTHER);
    b.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(a.location(), b.location());
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);

    // Another clerk's form is another form, and a damaged id is refused.
    let other = app.login_as("desk2", Role::Reception).await;
    let mut fields = visitor_fields("Amina", "Bello", "08035556666");
    fields.push(("form_id", "not-one-of-ours".to_owned()));
    post_owned(&other, "/patients/new", &fields)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, 2);
}

/// The clinic day of a slot, for the picker's `day`.
async fn slot_day(app: &TestApp, slot: i64) -> String {
    sqlx::query_scalar("SELECT day FROM slot WHERE id = $1")
        .bind(slot)
        .fetch_one(app.db().pool())
        .await
        .expect("slot day")
}

async fn a_booking_form_sent_twice_books_once(app: TestApp) {
    let (doc, _) = doctor(&app, "dr.twice").await;
    let slot = slot_in(&app, doc, 5, 24 * 60).await;
    let day = slot_day(&app, slot).await;
    let ids = STUDENTS.numbered(&app, 3).await;
    let appointments = |patient: i64| format!("SELECT COUNT(*) FROM appointment WHERE patient_id = {patient}");

    // A student's double tap, one after the other: both answers say "Booked", never "You already have a
    // booking on that day".
    let student = STUDENTS.client(&app, 0).await;
    let page = student.get(&format!("/me/book?day={day}")).await;
    let key = form_id(&page, "form.slot-form");
    let slot_text = slot.to_string();
    let fields = [
        ("slot_id", slot_text.as_str()),
        ("reason", "Cough"),
        ("form_id", key.as_str()),
    ];
    student
        .post("/me/appointments", &fields)
        .await
        .assert_redirect("/me/appointments");
    student
        .post("/me/appointments", &fields)
        .await
        .assert_redirect("/me/appointments");
    assert_eq!(app.count(&appointments(ids[0])).await, 1);
    let mine = student.get("/me/appointments").await;
    assert!(mine.text(".flash-success").starts_with("Booked: "), "{}", mine.body);
    assert!(!mine.has(".flash-error"));

    // At the same moment.
    let student = STUDENTS.client(&app, 1).await;
    let page = student.get(&format!("/me/book?day={day}")).await;
    let key = form_id(&page, "form.slot-form");
    let fields = [
        ("slot_id", slot_text.as_str()),
        ("reason", ""),
        ("form_id", key.as_str()),
    ];
    let (a, b) = tokio::join!(
        student.post("/me/appointments", &fields),
        student.post("/me/appointments", &fields)
    );
    a.assert_redirect("/me/appointments");
    b.assert_redirect("/me/appointments");
    assert_eq!(app.count(&appointments(ids[1])).await, 1);

    // Reception booking for a patient, at the same moment.
    let reception = app.login_as("desk", Role::Reception).await;
    let page = reception.get(&format!("/patients/{}/book?day={day}", ids[2])).await;
    let key = form_id(&page, "form.slot-form");
    let fields = [("slot_id", slot_text.as_str()), ("form_id", key.as_str())];
    let path = format!("/patients/{}/appointments", ids[2]);
    let (a, b) = tokio::join!(reception.post(&path, &fields), reception.post(&path, &fields));
    a.assert_redirect(&format!("/patients/{}", ids[2]));
    b.assert_redirect(&format!("/patients/{}", ids[2]));
    assert_eq!(app.count(&appointments(ids[2])).await, 1);
    assert_eq!(
        app.count(&format!("SELECT booked FROM slot WHERE id = {slot}")).await,
        3
    );
}

async fn walk_in_and_staff_forms_sent_twice_create_once(app: TestApp) {
    // A walk-in for a registered patient, sent twice at once: one ticket, both answers back to the board.
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    let board = c.reception.get("/queue").await;
    let key = form_id(&board, "form#walk-in-existing");
    let number = PATIENTS.matric(0);
    let fields = [
        ("who", "existing"),
        ("number", number.as_str()),
        ("queue", "general"),
        ("priority", "normal"),
        ("form_id", key.as_str()),
    ];
    let (a, b) = tokio::join!(
        c.reception.post("/queue/walk-ins", &fields),
        c.reception.post("/queue/walk-ins", &fields)
    );
    a.assert_redirect("/queue");
    b.assert_redirect("/queue");
    let tickets = format!("SELECT COUNT(*) FROM ticket WHERE patient_id = {}", ids[0]);
    assert_eq!(app.count(&tickets).await, 1);
    let board = c.reception.get("/queue").await;
    assert!(
        board
            .text("#walk-in-existing-messages [role=status]")
            .starts_with("Walk-in added with ticket")
    );
    assert_eq!(
        board.text("#walk-in-existing-messages [role=status] [data-new-ticket]"),
        "G-001"
    );

    // A new patient's walk-in sent again: one patient, one ticket.
    let board = c.reception.get("/queue").await;
    let key = form_id(&board, "form#walk-in-new");
    let fields = [
        ("who", "new"),
        ("first_name", "Zainab"),
        ("surname", "Walker"),
        ("queue", "general"),
        ("priority", "normal"),
        ("form_id", key.as_str()),
    ];
    let patients_before = app.count("SELECT COUNT(*) FROM patient").await;
    c.reception
        .post("/queue/walk-ins", &fields)
        .await
        .assert_redirect("/queue");
    c.reception
        .post("/queue/walk-ins", &fields)
        .await
        .assert_redirect("/queue");
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients_before + 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket").await, 2);

    // A staff account sent again: the same account, not "already taken", and the page shows the one-time
    // password of the first answer, which works.
    let admin = app.admin().await;
    let form = admin.get("/admin/staff/new").await;
    let key = form_id(&form, "form[action='/admin/staff']");
    let mut fields = vec![
        ("username", "dr.okafor"),
        ("full_name", "Dr Chidi Okafor"),
        ("email", ""),
        ("role", "doctor"),
        ("form_id", key.as_str()),
    ];
    let first = admin.post("/admin/staff", &fields).await;
    first.assert_status(StatusCode::SEE_OTHER);
    let location = first.location().expect("location").to_owned();
    admin.post("/admin/staff", &fields).await.assert_redirect(&location);
    let shown = admin.get(&location).await;
    assert_eq!(shown.text(".flash-success"), "Account dr.okafor created.");
    let password = shown.text("#revealed-password");
    app.client().login_ok("dr.okafor", &password).await;
    // And at the same moment: one account, both answers lead to it.
    let form = admin.get("/admin/staff/new").await;
    let key = form_id(&form, "form[action='/admin/staff']");
    fields[0] = ("username", "dr.eze");
    fields[4] = ("form_id", key.as_str());
    let (a, b) = tokio::join!(admin.post("/admin/staff", &fields), admin.post("/admin/staff", &fields));
    a.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(a.location(), b.location());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE username IN ('dr.okafor', 'dr.eze')")
            .await,
        2
    );
}

async fn hours_room_and_faculty_forms_sent_twice_create_once(app: TestApp) {
    // Hours sent twice at once: one row, not "These hours overlap".
    let (_, doctor) = doctor(&app, "dr.hours").await;
    let page = doctor.get("/schedule/hours").await;
    let key = form_id(&page, "form[action='/schedule/hours']");
    let fields = [
        ("weekday", "2"),
        ("start", "09:00"),
        ("end", "12:00"),
        ("slot_minutes", "20"),
        ("capacity", "2"),
        ("form_id", key.as_str()),
    ];
    let (a, b) = tokio::join!(
        doctor.post("/schedule/hours", &fields),
        doctor.post("/schedule/hours", &fields)
    );
    a.assert_redirect("/schedule/hours");
    b.assert_redirect("/schedule/hours");
    assert_eq!(app.count("SELECT COUNT(*) FROM doctor_hours").await, 1);
    assert!(!doctor.get("/schedule/hours").await.has(".field-error"));

    // A room sent again: one room, not "this code is taken".
    let admin = app.admin().await;
    let page = admin.get("/admin/rooms").await;
    let key = form_id(&page, "form#add-room");
    let fields = [("name", "Room 9"), ("code", "Z"), ("form_id", key.as_str())];
    admin
        .post("/admin/rooms", &fields)
        .await
        .assert_redirect("/admin/rooms");
    admin
        .post("/admin/rooms", &fields)
        .await
        .assert_redirect("/admin/rooms");
    assert_eq!(app.count("SELECT COUNT(*) FROM room").await, 1);

    // A faculty sent twice at once: one faculty, not "this name is taken".
    let page = admin.get("/admin/academic").await;
    let key = form_id(&page, "form[action='/admin/academic/faculties']");
    let fields = [("name", "Science"), ("code", "SCI"), ("form_id", key.as_str())];
    let (a, b) = tokio::join!(
        admin.post("/admin/academic/faculties", &fields),
        admin.post("/admin/academic/faculties", &fields)
    );
    a.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(a.location(), b.location());
    assert_eq!(app.count("SELECT COUNT(*) FROM faculty").await, 1);

    // A closed day sent again: one closure, not "The clinic is already closed".
    let page = admin.get("/schedule/closures").await;
    let key = form_id(&page, "form[action='/schedule/closures']");
    let day = (app.state.settings.get().today() + chrono::Duration::days(20)).to_string();
    let fields = [
        ("day", day.as_str()),
        ("reason", "Staff training"),
        ("form_id", key.as_str()),
    ];
    admin
        .post("/schedule/closures", &fields)
        .await
        .assert_redirect("/schedule/closures");
    admin
        .post("/schedule/closures", &fields)
        .await
        .assert_redirect("/schedule/closures");
    assert_eq!(app.count("SELECT COUNT(*) FROM closure").await, 1);
}

async fn destructive_actions_ask_first_and_name_the_action(app: TestApp) {
    // A student cancelling a booking.
    let (doc, _) = doctor(&app, "dr.ask").await;
    let slot = slot_in(&app, doc, 5, 24 * 60).await;
    STUDENTS.numbered(&app, 2).await;
    let student = STUDENTS.client(&app, 0).await;
    booking::book(&student, slot).await.assert_redirect("/me/appointments");
    let appointment = app.count("SELECT id FROM appointment").await;
    let action = format!("/me/appointments/{appointment}/cancel");
    let mine = student.get("/me/appointments").await;
    let form = format!("form.confirm-form[method=get][action='{action}']");
    let button = mine.attr(&form, "data-confirm").expect("the cancel form asks first");
    assert!(
        button.starts_with("Cancel the ") && button.ends_with(" appointment"),
        "{button}"
    );
    // Without JavaScript its GET is the confirmation page, which changes nothing and posts the action.
    let page = student.get(&action).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.text("#confirm-submit"), button);
    assert_eq!(page.attr("form.confirm-actions", "method").as_deref(), Some("post"));
    assert_eq!(
        page.attr("form.confirm-actions", "action").as_deref(),
        Some(action.as_str())
    );
    assert_eq!(page.attr("#confirm-back", "href").as_deref(), Some("/me/appointments"));
    let live = format!("SELECT COUNT(*) FROM appointment WHERE id = {appointment} AND status = 'booked'");
    assert_eq!(app.count(&live).await, 1);
    student.post(&action, &[]).await.assert_redirect("/me/appointments");
    assert_eq!(app.count(&live).await, 0);
    // Someone else's booking has no confirmation page either.
    STUDENTS
        .client(&app, 1)
        .await
        .get(&action)
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The admin deactivating and resetting a staff account.
    let admin = app.admin().await;
    let id = app.create_staff("ada.bello", Role::Reception, false).await;
    sqlx::query("UPDATE staff SET full_name = 'Ada Bello' WHERE id = $1")
        .bind(id)
        .execute(app.db().pool())
        .await
        .unwrap();
    let show = admin.get(&format!("/admin/staff/{id}")).await;
    let deactivate = format!("/admin/staff/{id}/deactivate");
    let reset = format!("/admin/staff/{id}/reset-password");
    assert_eq!(
        show.attr(&format!("form[method=get][action='{deactivate}']"), "data-confirm")
            .as_deref(),
        Some("Deactivate Ada Bello")
    );
    assert_eq!(
        show.attr(&format!("form[method=get][action='{reset}']"), "data-confirm")
            .as_deref(),
        Some("Reset Ada Bello's password")
    );
    let page = admin.get(&deactivate).await;
    assert_eq!(page.text("#confirm-submit"), "Deactivate Ada Bello");
    assert_eq!(page.text("h1"), "Deactivate Ada Bello?");
    assert_eq!(
        admin.get(&reset).await.text("#confirm-submit"),
        "Reset Ada Bello's password"
    );
    let active = format!("SELECT active FROM staff WHERE id = {id}");
    assert_eq!(app.count(&active).await, 1);
    admin
        .post(&deactivate, &[])
        .await
        .assert_redirect(&format!("/admin/staff/{id}"));
    assert_eq!(app.count(&active).await, 0);

    // Reception's "No-show" and "Left" ask nothing: each is one click, through htmx, and its message offers
    // "Undo". The doctor has no "Left".
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada"]).await;
    walk_in(&c.reception, 0, "general", "normal")
        .await
        .assert_redirect("/queue");
    let (ticket, _) = crate::queue::ticket_of(&app, ids[0]).await;
    // The ticket's actions (its page, or the board's dialog).
    let menu = c.reception.get(&format!("/queue/tickets/{ticket}")).await;
    assert_eq!(
        menu.attr("#ticket-patient-link", "href"),
        Some(format!("/patients/{}", ids[0]))
    );
    for (action, words) in [("no-show", "No-show"), ("cancel", "Left the clinic")] {
        let path = format!("/queue/tickets/{ticket}/{action}");
        let form = format!("#ticket-menu-{ticket} form[method=post][action='{path}']");
        assert_eq!(menu.attr(&form, "hx-post").as_deref(), Some(path.as_str()));
        assert_eq!(menu.text(&format!("{form} button")), words);
        assert!(!menu.has(&format!("{form}[data-confirm]")));
        // Visited (a reload, the back button), the action's address leads to the ticket, changing nothing.
        c.reception
            .get(&path)
            .await
            .assert_redirect(&format!("/queue/tickets/{ticket}"));
    }
    let doctor_a = &c.doctor_a.1;
    doctor_a
        .post(&format!("/queue/tickets/{ticket}/cancel"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // Starting asks nothing: it is a POST only (it opens the visit).
    doctor_a
        .get(&format!("/queue/tickets/{ticket}/start"))
        .await
        .assert_redirect(&format!("/queue/tickets/{ticket}"));
    let status = format!("SELECT COUNT(*) FROM ticket WHERE id = {ticket} AND status = 'waiting'");
    assert_eq!(app.count(&status).await, 1, "asking changes nothing");

    // Removing a doctor's hours.
    let (_, hours_doctor) = doctor(&app, "dr.hours").await;
    hours_doctor
        .post(
            "/schedule/hours",
            &[
                ("weekday", "1"),
                ("start", "09:00"),
                ("end", "12:00"),
                ("slot_minutes", "20"),
                ("capacity", "2"),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let hours = app.count("SELECT MAX(id) FROM doctor_hours").await;
    let path = format!("/schedule/hours/{hours}/remove");
    let page = hours_doctor.get("/schedule/hours").await;
    assert_eq!(
        page.attr(&format!("form[method=get][action='{path}']"), "data-confirm")
            .as_deref(),
        Some("Remove Monday 09:00–12:00")
    );
    let confirm = hours_doctor.get(&path).await;
    assert_eq!(confirm.text("#confirm-submit"), "Remove Monday 09:00–12:00");
    assert_eq!(
        confirm.attr("#confirm-back", "href").as_deref(),
        Some("/schedule/hours")
    );
    admin.get(&path).await.assert_status(StatusCode::OK);
    c.reception.get(&path).await.assert_status(StatusCode::FORBIDDEN);
}
