//! Messages outside the building: the outbox written with each event, sent by the sender job (called here with
//! the test's own clock, never slept) to a real SMTP server on loopback and a local fake of the SMS provider;
//! retries, failures, stale reminders, two senders at once, the patient's choice and the admin's switches, and
//! the admin's outbox page.

use std::time::Duration;

use reqwest::StatusCode;
use sickbay_core::db::Timestamp;
use sickbay_core::identity::Actor;
use sickbay_core::outbox::model::Channel;
use sickbay_core::outbox::service::{self as outbox, Carriers, Delivered};
use sickbay_core::scheduling::service as schedule;

use crate::support::fake_sms::{FakeSms, SmsMode};
use crate::support::smtp_sink::SmtpSink;
use crate::support::{Students, TestApp, appointment_on, doctor, on_both_databases, slot_in};

on_both_databases!(
    a_booking_is_confirmed_by_email_in_plain_text_and_html,
    reminders_go_at_their_times_and_never_for_a_cancelled_or_past_booking,
    a_mail_server_down_then_up_gets_the_message_once,
    sms_errors_are_retried_then_failed_with_the_providers_words,
    two_senders_at_once_send_each_message_once,
    the_patients_choice_and_the_clinics_switches_are_respected,
    without_a_mail_server_messages_are_kept_and_shown_and_go_once_it_is_set_up,
    the_outbox_page_is_the_admins_and_filters_retries_and_tests,
    a_patient_chooses_how_to_be_reached,
    a_forgotten_password_is_reset_by_a_link_that_works_once,
    reset_links_are_limited_and_expire,
    everyone_reads_their_own_notices_in_the_bell,
    the_two_at_the_front_of_the_line_hear_they_are_nearly_up,
    staff_digests_go_once_a_day_to_the_right_people_by_their_choice,
    the_bell_checking_for_notices_does_not_keep_an_idle_session_alive,
);

const STUDENTS: Students = Students::new("MS", "Messenger");
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

pub(crate) async fn use_mail_server(app: &TestApp, sink: &SmtpSink) {
    app.set_setting("smtp_host", "127.0.0.1").await;
    app.set_setting("smtp_port", &sink.port().to_string()).await;
    app.set_setting("smtp_tls", "None (a relay on this machine only)").await;
    app.set_setting("mail_from", "clinic@example.edu").await;
}

async fn use_sms(app: &TestApp, fake: &FakeSms) {
    app.set_setting("sms_endpoint", &fake.endpoint()).await;
    app.set_setting("sms_username", "sickbay").await;
    app.set_setting("sms_api_key", "test-key").await;
}

async fn reach(app: &TestApp, patient: i64, email: Option<&str>, phone: Option<&str>, by: &str) {
    sqlx::query("UPDATE patient SET email = $1, phone = $2, contact_by = $3 WHERE id = $4")
        .bind(email)
        .bind(phone)
        .bind(by)
        .bind(patient)
        .execute(app.db().pool())
        .await
        .expect("contact details");
}

pub(crate) async fn deliver(app: &TestApp, at: Timestamp) -> Delivered {
    let carriers = Carriers::read(app.db()).await.expect("carriers");
    outbox::deliver_due(
        app.db(),
        &carriers,
        &sickbay::outbox::compose::Templates,
        &reqwest::Client::new(),
        at,
    )
    .await
    .expect("deliver")
}

async fn statuses(app: &TestApp) -> Vec<(String, String, i64, String)> {
    sqlx::query_as("SELECT kind, status, tries, last_error FROM outbox ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .expect("outbox")
}

/// `sql`'s count once it reaches `want` (work done after the answer, as a reset link is), or as it is after
/// five seconds.
pub(crate) async fn eventually(app: &TestApp, sql: &str, want: i64) -> i64 {
    for _ in 0..100 {
        if app.count(sql).await == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.count(sql).await
}

fn later(minutes: i64) -> Timestamp {
    Timestamp(Timestamp::now().0 + minutes * MINUTE)
}

/// A student with an email address, logged in, and a doctor with a slot `hours` ahead: the student's id, the
/// client and the slot.
async fn student_and_slot(app: &TestApp, hours: i64) -> (i64, crate::support::Client, i64) {
    let student = STUDENTS.named(app, &["Ada"]).await[0];
    reach(app, student, Some("ada@example.edu"), Some("0803 123 4567"), "email").await;
    let (doctor, _) = doctor(app, "dr_bello").await;
    let slot = slot_in(app, doctor, 3, hours * 60).await;
    (student, STUDENTS.client(app, 0).await, slot)
}

async fn book(client: &crate::support::Client, slot: i64) {
    client
        .post(
            "/me/appointments",
            &[("slot_id", &slot.to_string()), ("reason", "Headache")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

async fn a_booking_is_confirmed_by_email_in_plain_text_and_html(app: TestApp) {
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let (_, client, slot) = student_and_slot(&app, 30).await;
    book(&client, slot).await;

    assert_eq!(deliver(&app, Timestamp::now()).await.sent, 1);
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["ada@example.edu".to_owned()]);
    assert!(mail.subject().starts_with("Booked: "), "{}", mail.subject());
    let text = mail.text();
    assert!(text.contains("Your appointment with"), "{text}");
    assert!(text.contains("http://localhost:3000/me/appointments"), "{text}");
    assert!(text.contains("Sickbay Clinic"), "{text}");
    let html = mail.html();
    assert!(
        html.contains(r#"href="http://localhost:3000/me/appointments""#),
        "{html}"
    );
    assert!(html.contains("Open in Sickbay"), "{html}");
    let rows = statuses(&app).await;
    assert_eq!(
        rows,
        vec![("booking_confirmed".into(), "sent".into(), 1, String::new())]
    );
    // A second run sends nothing more.
    assert_eq!(deliver(&app, later(10)).await, Delivered::default());
    assert_eq!(sink.messages().len(), 1);
}

async fn reminders_go_at_their_times_and_never_for_a_cancelled_or_past_booking(app: TestApp) {
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let (student, client, slot) = student_and_slot(&app, 30).await;
    let appointment = appointment_on(&app, student, slot).await;
    let starts: i64 = app
        .count(&format!("SELECT starts_at FROM slot WHERE id = {slot}"))
        .await;

    let remind = |at: i64| schedule::queue_reminders(app.db(), Timestamp(at));
    assert_eq!(remind(starts - 25 * HOUR).await.expect("reminders"), 0);
    assert_eq!(remind(starts - 24 * HOUR + MINUTE).await.expect("reminders"), 1);
    assert_eq!(
        remind(starts - 24 * HOUR + 2 * MINUTE).await.expect("reminders"),
        0,
        "once"
    );
    assert_eq!(remind(starts - 2 * HOUR + MINUTE).await.expect("reminders"), 1);
    assert_eq!(remind(starts - HOUR).await.expect("reminders"), 0);
    assert_eq!(deliver(&app, Timestamp(starts - HOUR)).await.sent, 2);
    let subjects: Vec<String> = sink
        .wait_for(2, Duration::from_secs(5))
        .await
        .iter()
        .map(|m| m.subject())
        .collect();
    assert!(subjects.iter().all(|s| s.starts_with("Reminder: ")), "{subjects:?}");

    // A reminder written but not sent before the appointment started is dropped, and says so.
    forget_messages_and_reminders(&app, appointment).await;
    assert_eq!(remind(starts - 2 * HOUR + MINUTE).await.expect("reminders"), 1);
    let done = deliver(&app, Timestamp(starts + MINUTE)).await;
    assert_eq!((done.sent, done.dropped), (0, 1));
    let rows = statuses(&app).await;
    assert_eq!(rows[0].1, "dropped");
    assert!(rows[0].3.contains("its time had passed"), "{rows:?}");

    // Cancelling a booking drops its waiting reminder.
    forget_messages_and_reminders(&app, appointment).await;
    assert_eq!(remind(starts - 24 * HOUR + MINUTE).await.expect("reminders"), 1);
    client
        .post(&format!("/me/appointments/{appointment}/cancel"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let rows = statuses(&app).await;
    let reminder = rows.iter().find(|r| r.0 == "reminder").expect("the reminder");
    assert_eq!(reminder.1, "dropped");
    assert!(
        rows.iter().any(|r| r.0 == "booking_cancelled" && r.1 == "pending"),
        "{rows:?}"
    );
    assert_eq!(
        remind(starts - 2 * HOUR + MINUTE).await.expect("reminders"),
        0,
        "not for a cancelled booking"
    );
}

/// Empties the outbox and forgets which reminders the booking had, to write them again.
async fn forget_messages_and_reminders(app: &TestApp, appointment: i64) {
    sqlx::query("DELETE FROM outbox")
        .execute(app.db().pool())
        .await
        .expect("clear");
    sqlx::query("UPDATE appointment SET reminder_stage = NULL WHERE id = $1")
        .bind(appointment)
        .execute(app.db().pool())
        .await
        .expect("reset");
}

async fn a_mail_server_down_then_up_gets_the_message_once(app: TestApp) {
    let sink = SmtpSink::start().await;
    let addr = sink.addr();
    use_mail_server(&app, &sink).await;
    sink.stop().await;
    let (_, client, slot) = student_and_slot(&app, 30).await;
    book(&client, slot).await;

    assert_eq!(deliver(&app, Timestamp::now()).await.retrying, 1);
    let rows = statuses(&app).await;
    assert_eq!((rows[0].1.as_str(), rows[0].2), ("pending", 1));
    assert!(rows[0].3.starts_with("Mail server:"), "{rows:?}");
    // Not before its next try.
    assert_eq!(deliver(&app, later(0)).await, Delivered::default());

    let sink = SmtpSink::start_on(addr).await;
    assert_eq!(deliver(&app, later(2)).await.sent, 1);
    assert_eq!(deliver(&app, later(200)).await, Delivered::default());
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "once");
    assert_eq!(statuses(&app).await[0].1, "sent");
}

async fn sms_errors_are_retried_then_failed_with_the_providers_words(app: TestApp) {
    let fake = FakeSms::start("sickbay", "test-key").await;
    use_sms(&app, &fake).await;
    let (student, client, slot) = student_and_slot(&app, 30).await;
    reach(&app, student, None, Some("0803 123 4567"), "sms").await;
    fake.set_mode(SmsMode::ServerError);
    book(&client, slot).await;

    let mut at = Timestamp::now();
    for try_number in 1..=4 {
        assert_eq!(deliver(&app, at).await.retrying, 1, "try {try_number}");
        at = Timestamp(at.0 + 3 * HOUR);
    }
    assert_eq!(deliver(&app, at).await.failed, 1);
    let rows = statuses(&app).await;
    assert_eq!((rows[0].1.as_str(), rows[0].2), ("failed", 5));
    assert!(rows[0].3.contains("500"), "{rows:?}");
    assert!(fake.sent().is_empty());

    // A number the provider refuses fails at once, in its words; a provider that never answers is tried again.
    sqlx::query("UPDATE outbox SET status = 'pending', tries = 0, next_try_at = 0")
        .execute(app.db().pool())
        .await
        .expect("again");
    fake.set_mode(SmsMode::RejectNumber);
    assert_eq!(deliver(&app, at).await.failed, 1);
    assert!(statuses(&app).await[0].3.contains("InvalidPhoneNumber"));
    sqlx::query("UPDATE outbox SET status = 'pending', tries = 0, next_try_at = 0")
        .execute(app.db().pool())
        .await
        .expect("again");
    fake.set_mode(SmsMode::Hang);
    assert_eq!(deliver(&app, at).await.retrying, 1);
    fake.set_mode(SmsMode::Accept);
    assert_eq!(deliver(&app, Timestamp(at.0 + HOUR)).await.sent, 1);
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+2348031234567");
    assert!(
        sent[0].message.starts_with("Sickbay Clinic: Your appointment with"),
        "{}",
        sent[0].message
    );
    assert!(
        sent[0].message.ends_with("http://localhost:3000/me/appointments"),
        "{}",
        sent[0].message
    );
}

async fn two_senders_at_once_send_each_message_once(app: TestApp) {
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let admin = Actor::system("test");
    for n in 0..12 {
        outbox::send_test(
            app.db(),
            &admin,
            Channel::Email,
            format!("person{n}@example.edu"),
            "Sickbay Clinic",
        )
        .await
        .expect("a test message");
    }
    let now = Timestamp::now();
    let (a, b) = tokio::join!(deliver(&app, now), deliver(&app, now));
    assert_eq!(a.sent + b.sent, 12, "{a:?} {b:?}");
    let mails = sink.wait_for(12, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut to: Vec<String> = sink.messages().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!((mails.len(), sink.messages().len(), to.len()), (12, 12, 12));
}

async fn the_patients_choice_and_the_clinics_switches_are_respected(app: TestApp) {
    let (student, client, slot) = student_and_slot(&app, 30).await;
    reach(&app, student, Some("ada@example.edu"), None, "none").await;
    book(&client, slot).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        0,
        "the patient asked for no messages"
    );

    reach(&app, student, Some("ada@example.edu"), None, "email").await;
    app.set_setting("messages_bookings", "SMS only").await;
    let appointment = app.count("SELECT MAX(id) FROM appointment").await;
    client
        .post(&format!("/me/appointments/{appointment}/cancel"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        0,
        "bookings go by SMS only"
    );

    app.set_setting("messages_bookings", "Email only").await;
    book(&client, slot).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'booking_confirmed'")
            .await,
        1
    );

    app.set_setting("messages_reminders", "Off").await;
    let starts: i64 = app
        .count(&format!("SELECT starts_at FROM slot WHERE id = {slot}"))
        .await;
    let written = schedule::queue_reminders(app.db(), Timestamp(starts - 2 * HOUR + MINUTE)).await;
    assert_eq!(written.expect("reminders"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'").await,
        0
    );
}

async fn without_a_mail_server_messages_are_kept_and_shown_and_go_once_it_is_set_up(app: TestApp) {
    let (_, client, slot) = student_and_slot(&app, 30).await;
    book(&client, slot).await;
    assert_eq!(deliver(&app, Timestamp::now()).await.held, 1);
    let rows = statuses(&app).await;
    assert_eq!(rows[0].1, "held");
    assert_eq!(rows[0].3, "Not sent: no mail server is set up.");
    let admin = app.admin().await;
    let page = admin.get("/admin/outbox").await;
    // Why it was not sent is said once above the list, not on each row.
    let row = page.text("#outbox-rows tbody tr");
    assert!(row.contains("Not sent") && !row.contains("no mail server"), "{row}");
    assert!(page.text(".outbox-not-set-up").starts_with("No mail server is set up"));

    // Setting up the mail server on the settings page sends what was kept.
    let sink = SmtpSink::start().await;
    let mut fields: Vec<(String, String)> = app.state.settings.get().to_form().into_iter().collect();
    for (key, value) in [
        ("smtp_host", "127.0.0.1".to_owned()),
        ("smtp_port", sink.port().to_string()),
        ("smtp_tls", "None (a relay on this machine only)".to_owned()),
        ("mail_from", "clinic@example.edu".to_owned()),
        ("smtp_password", "s3cret-pass".to_owned()),
    ] {
        fields.retain(|(k, _)| k != key);
        fields.push((key.to_owned(), value));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin
        .post("/admin/settings", &pairs)
        .await
        .assert_redirect("/admin/settings");
    assert_eq!(statuses(&app).await[0].1, "pending");
    assert_eq!(deliver(&app, Timestamp::now()).await.sent, 1);
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);

    // The password is never shown again, and saving the page without typing it keeps it.
    let form = admin.get("/admin/settings/mail-server").await;
    assert!(form.has("#smtp_password"));
    assert!(!form.body.contains("s3cret-pass"));
    let mut fields: Vec<(String, String)> = app.state.settings.get().to_form().into_iter().collect();
    fields.retain(|(k, _)| k != "smtp_password");
    fields.push(("smtp_password".to_owned(), String::new()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin
        .post("/admin/settings", &pairs)
        .await
        .assert_redirect("/admin/settings");
    assert_eq!(app.state.settings.get().mail.password, "s3cret-pass");
}

async fn the_outbox_page_is_the_admins_and_filters_retries_and_tests(app: TestApp) {
    let (_, doctor_client) = doctor(&app, "dr_page").await;
    assert_ne!(doctor_client.get("/admin/outbox").await.status, StatusCode::OK);
    let admin = app.admin().await;
    admin
        .post("/admin/outbox/test", &[("channel", "email"), ("to", "not an address")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    admin
        .post("/admin/outbox/test", &[("channel", "sms"), ("to", "call me")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    admin
        .post(
            "/admin/outbox/test",
            &[("channel", "email"), ("to", "admin@example.edu")],
        )
        .await
        .assert_redirect("/admin/outbox");
    admin
        .post("/admin/outbox/test", &[("channel", "sms"), ("to", "0803 123 4567")])
        .await
        .assert_redirect("/admin/outbox");
    let page = admin.get("/admin/outbox").await;
    assert!(
        page.text(".flash-success").contains("+2348031234567"),
        "{}",
        page.text(".flash-success")
    );
    assert_eq!(page.texts("#outbox-rows tbody tr").len(), 2);

    // Without carriers both are held; the SMS then fails for good at a provider that refuses the number.
    deliver(&app, Timestamp::now()).await;
    let fake = FakeSms::start("sickbay", "test-key").await;
    use_sms(&app, &fake).await;
    fake.set_mode(SmsMode::RejectNumber);
    let sms: i64 = app.count("SELECT id FROM outbox WHERE channel = 'sms'").await;
    admin
        .post(&format!("/admin/outbox/{sms}/retry"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(deliver(&app, Timestamp::now()).await.failed, 1);
    let failed = admin.get("/admin/outbox?status=failed").await;
    assert_eq!(failed.texts("#outbox-rows tbody tr").len(), 1);
    assert!(failed.text("#outbox-rows").contains("InvalidPhoneNumber"));
    assert!(failed.has(&format!("form[action='/admin/outbox/{sms}/retry']")));
    // The admin's home counts both, the email held and the SMS failed, as waiting on someone.
    let home = admin.get("/admin").await;
    assert_eq!(home.text("#fig-unsent .stat-number"), "2");
    assert_eq!(
        home.text("#fig-unsent .stat-detail"),
        "1 failed · 1 held until email or SMS is set up"
    );
    assert!(home.has("#fig-unsent.stat-tone-act"), "a failure is red");
    admin
        .get("/admin/outbox?kind=gossip&day=soon")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        admin
            .get("/admin/outbox?channel=email")
            .await
            .texts("#outbox-rows tbody tr")
            .len(),
        1
    );
    // The admins' bells say so, leading to the failed messages.
    let bell = admin.get("/notices").await;
    assert!(
        bell.text("#notices")
            .contains("Test to +2348031234567 could not be sent: InvalidPhoneNumber")
    );
    assert_eq!(bell.text("#bell .bell-count"), "1");
    assert!(
        doctor_client.get("/notices").await.has("#notices-empty"),
        "only the admins'"
    );

    // Sent again, once: a second click on a message already back in line changes nothing.
    fake.set_mode(SmsMode::Accept);
    admin
        .post(&format!("/admin/outbox/{sms}/retry"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    admin
        .post(&format!("/admin/outbox/{sms}/retry"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    admin
        .post("/admin/outbox/999999/retry", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(deliver(&app, Timestamp::now()).await.sent, 1);
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'outbox.retry'")
            .await,
        2
    );
}

async fn a_patient_chooses_how_to_be_reached(app: TestApp) {
    let student = STUDENTS.named(&app, &["Ada"]).await[0];
    reach(&app, student, None, None, "email").await;
    let client = STUDENTS.client(&app, 0).await;
    let page = client.get("/me/profile").await;
    assert_eq!(page.text("#contact_by option[selected]"), "Email");
    let sent = client
        .post("/me/profile", &[("phone", ""), ("email", ""), ("contact_by", "sms")])
        .await;
    sent.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sent.text("#contact_by-error").contains("phone number"));
    client
        .post(
            "/me/profile",
            &[("phone", "0803 123 4567"), ("email", ""), ("contact_by", "sms")],
        )
        .await
        .assert_redirect("/me/profile");
    assert_eq!(
        client.get("/me/profile").await.text("#contact_by option[selected]"),
        "Text message (SMS)"
    );
    client
        .post("/me/profile", &[("phone", ""), ("email", ""), ("contact_by", "none")])
        .await
        .assert_redirect("/me/profile");
    let stored: String = sqlx::query_scalar("SELECT contact_by FROM patient WHERE id = $1")
        .bind(student)
        .fetch_one(app.db().pool())
        .await
        .expect("patient");
    assert_eq!(stored, "none");
}

/// The reset token in a message's text.
fn token_in(text: &str) -> String {
    let at = text.find("/reset/").expect("a reset link") + "/reset/".len();
    text[at..].chars().take_while(char::is_ascii_alphanumeric).collect()
}

async fn a_forgotten_password_is_reset_by_a_link_that_works_once(app: TestApp) {
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let student = STUDENTS.named(&app, &["Ada"]).await[0];
    reach(&app, student, Some("ada@example.edu"), None, "none").await;
    let stranger = app.client();
    assert!(stranger.get("/login").await.has("a#forgot-link[href='/forgot']"));

    let nobody = stranger.post("/forgot", &[("identifier", "NO/SUCH/1")]).await;
    nobody.assert_status(StatusCode::OK);
    let someone = stranger.post("/forgot", &[("identifier", &STUDENTS.matric(0))]).await;
    someone.assert_status(StatusCode::OK);
    assert_eq!(
        nobody.text("#reset-asked"),
        someone.text("#reset-asked"),
        "the same answer either way"
    );
    stranger
        .post("/forgot", &[("identifier", "")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        eventually(&app, "SELECT COUNT(*) FROM outbox", 1).await,
        1,
        "one link, for the real account"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        1,
        "none for the stranger"
    );

    // The link goes by email even though the student asked for no reminders: they asked for this one.
    assert_eq!(deliver(&app, Timestamp::now()).await.sent, 1);
    let mail = sink.wait_for(1, Duration::from_secs(5)).await.remove(0);
    assert_eq!(mail.to, vec!["ada@example.edu".to_owned()]);
    let token = token_in(&mail.text());
    assert_eq!(token.len(), 64);
    assert!(mail.html().contains(&format!("http://localhost:3000/reset/{token}")));
    let kept: String = sqlx::query_scalar("SELECT link FROM outbox")
        .fetch_one(app.db().pool())
        .await
        .expect("row");
    assert_eq!(kept, "", "the link is not kept once sent");

    let path = format!("/reset/{token}");
    assert!(stranger.get(&path).await.has("#new_password"));
    stranger
        .post(
            &path,
            &[
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "something else"),
            ],
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Two tabs submit at once: one sets the password, the other finds the link used.
    let form = [
        ("new_password", "a brand new passphrase"),
        ("confirm_password", "a brand new passphrase"),
    ];
    let other = app.client();
    let (a, b) = tokio::join!(stranger.post(&path, &form), other.post(&path, &form));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::NOT_FOUND]);
    let again = stranger.get(&path).await;
    again.assert_status(StatusCode::NOT_FOUND);
    assert!(again.text("#reset-gone").contains("expired or has been used"));
    app.client()
        .login_ok(&STUDENTS.matric(0), "a brand new passphrase")
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('auth.password_reset_requested', 'auth.password_reset') \
             AND patient_id = {student}"
        ))
        .await,
        2
    );
    stranger
        .get("/reset/not-a-token")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn reset_links_are_limited_and_expire(app: TestApp) {
    let student = STUDENTS.named(&app, &["Ada"]).await[0];
    reach(&app, student, None, Some("0803 123 4567"), "sms").await;
    let client = app.client();
    for _ in 0..5 {
        client
            .post("/forgot", &[("identifier", &STUDENTS.matric(0))])
            .await
            .assert_status(StatusCode::OK);
    }
    let links = "SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset' AND channel = 'sms'";
    assert_eq!(eventually(&app, links, 3).await, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count(links).await, 3, "three links an hour for one account");
    for _ in 0..5 {
        client
            .post("/forgot", &[("identifier", "NO/SUCH/1")])
            .await
            .assert_status(StatusCode::OK);
    }
    let throttled = client.post("/forgot", &[("identifier", "NO/SUCH/1")]).await;
    throttled.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.header("retry-after").is_some());

    // An expired link opens nothing.
    let token = "ab".repeat(32);
    sqlx::query(
        "INSERT INTO password_reset (token_hash, patient_id, sent_to, created_at, expires_at) VALUES ($1, $2, 'x', 0, $3)",
    )
    .bind(sickbay_core::auth::model::reset_token_hash(&token))
    .bind(student)
    .bind(Timestamp::now().0 - MINUTE)
    .execute(app.db().pool())
    .await
    .expect("an expired link");
    client
        .get(&format!("/reset/{token}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    client
        .post(
            &format!("/reset/{token}"),
            &[
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn everyone_reads_their_own_notices_in_the_bell(app: TestApp) {
    let (student, client, slot) = student_and_slot(&app, 30).await;
    book(&client, slot).await;
    let page = client.get("/notices").await;
    assert_eq!(page.texts("#notices li.notice-unread").len(), 1);
    assert!(page.text("#notices").contains("Your appointment with"));
    assert_eq!(page.text("#bell .bell-count"), "1");
    let fragment = client.get("/notices/bell").await;
    assert_eq!(fragment.text(".bell-count"), "1");
    assert_eq!(fragment.attr("#bell", "hx-get").as_deref(), Some("/notices/bell"));

    // Another patient sees none of it and can't open it.
    let others = Students::new("MT", "Other");
    others.named(&app, &["Bola"]).await;
    let bola = others.client(&app, 0).await;
    assert!(bola.get("/notices").await.has("#notices-empty"));
    let open = page.attr("#notices form", "action").expect("a notice");
    bola.post(&open, &[]).await.assert_status(StatusCode::NOT_FOUND);
    bola.post("/notices/abc/read", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // Cancelling adds a second; "mark all read" reads both, and the bell goes quiet.
    let appointment = app.count("SELECT MAX(id) FROM appointment").await;
    client
        .post(&format!("/me/appointments/{appointment}/cancel"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(client.get("/notices").await.text("#bell .bell-count"), "2");
    client.post("/notices/read-all", &[]).await.assert_redirect("/notices");
    let page = client.get("/notices").await;
    assert!(!page.has("#bell .bell-count"));
    assert!(!page.has("#read-all"));
    assert_eq!(page.texts("#notices li").len(), 2);
    let unread = app
        .count(&format!(
            "SELECT COUNT(*) FROM notice WHERE patient_id = {student} AND read_at IS NULL"
        ))
        .await;
    assert_eq!(unread, 0);
    // A stranger has no bell.
    app.client().get("/notices").await.assert_status(StatusCode::SEE_OTHER);
}

async fn the_two_at_the_front_of_the_line_hear_they_are_nearly_up(app: TestApp) {
    use crate::queue::{PATIENTS, called_code, see_through, walk_in};
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let c = crate::support::clinic(&app).await;
    let ids = PATIENTS.named(&app, &["First", "Second", "Third", "Fourth"]).await;
    for (n, id) in ids.iter().enumerate() {
        reach(&app, *id, Some(&format!("p{n}@example.edu")), None, "email").await;
    }
    let a = c.doctor_a.0.to_string();
    for index in 0..4 {
        walk_in(&c.reception, index, &a, "normal")
            .await
            .assert_redirect("/queue");
    }
    let told = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT recipient FROM outbox WHERE kind = 'nearly_up' ORDER BY recipient")
                .fetch_all(db.pool())
                .await
                .expect("outbox")
        }
    };
    // The first is called: the second and third are now within two places of the front.
    let first = called_code(&c.doctor_a.1).await.expect("a call");
    assert_eq!(told(&app).await, ["p1@example.edu", "p2@example.edu"]);
    // The next call tells the fourth, and nobody twice.
    see_through(&app, &c.doctor_a.1, &first).await;
    called_code(&c.doctor_a.1).await.expect("a call");
    assert_eq!(told(&app).await, ["p1@example.edu", "p2@example.edu", "p3@example.edu"]);
    assert_eq!(deliver(&app, Timestamp::now()).await.sent, 3);
    let mails = sink.wait_for(3, Duration::from_secs(5)).await;
    assert!(
        mails
            .iter()
            .all(|m| m.subject().starts_with("You're nearly up: ticket A-")),
        "{:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    // In their bell too, leading to their place in the queue.
    let second = PATIENTS.client(&app, 1).await;
    let page = second.get("/notices").await;
    assert!(page.text("#notices").contains("nearly at the front of the queue"));
    // Once, though the second call found them still near the front.
    assert_eq!(page.texts("#notices li").len(), 1);

    // A booked patient checked in hours before their time is not told yet, though next in line: whoever arrives
    // before their time goes ahead of them.
    let (early, _) = crate::support::visitor(&app, "Early", "Bird").await;
    reach(&app, early, Some("early@example.edu"), None, "email").await;
    let in_three_hours = Timestamp(Timestamp::now().0 + 3 * 3_600_000);
    let booking = crate::support::appointment_today(&app, early, c.doctor_a.0, in_three_hours).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &booking.to_string())])
        .await
        .assert_redirect("/queue");
    let third = app.count("SELECT MAX(id) FROM ticket WHERE status = 'called'").await;
    let third: String = sqlx::query_scalar("SELECT code FROM ticket WHERE id = $1")
        .bind(third)
        .fetch_one(app.db().pool())
        .await
        .expect("the called ticket");
    see_through(&app, &c.doctor_a.1, &third).await;
    called_code(&c.doctor_a.1).await.expect("a call");
    assert!(
        !told(&app).await.contains(&"early@example.edu".to_owned()),
        "{:?}",
        told(&app).await
    );
}

/// 08:00 in the clinic's zone on the next Monday (today if it is one).
fn next_monday_morning(app: &TestApp) -> Timestamp {
    use chrono::{Datelike, TimeZone};
    let settings = app.state.settings.get();
    let today = settings.today();
    // Strictly after today: on a Monday the app's own digest job has already sent this morning's summary.
    let days = 7 - i64::from(today.weekday().num_days_from_monday());
    let monday = today + chrono::Duration::days(days);
    let local = monday.and_hms_opt(8, 0, 0).expect("a time");
    let at = settings
        .clinic
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .expect("a local time");
    Timestamp(at.timestamp_millis())
}

async fn staff_digests_go_once_a_day_to_the_right_people_by_their_choice(app: TestApp) {
    use crate::pharmacy::{add_batch, add_drug};
    use sickbay_core::identity::Role;
    use sickbay_core::pharmacy::model::DrugForm;
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let pharmacist = app.create_staff("pharm.ada", Role::Pharmacist, false).await;
    let bola = app.login_as("pharm.bola", Role::Pharmacist).await;
    let other = app.count("SELECT id FROM staff WHERE username = 'pharm.bola'").await;
    for (id, email) in [
        (pharmacist, "ada@clinic.example.edu"),
        (other, "bola@clinic.example.edu"),
    ] {
        sqlx::query("UPDATE staff SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(id)
            .execute(app.db().pool())
            .await
            .expect("email");
    }
    // Bola keeps digests in the bell only, on her own page.
    assert!(bola.get("/account/digests").await.has("#by_email[checked]"));
    bola.post("/account/digests", &[])
        .await
        .assert_redirect("/account/digests");
    assert!(!bola.get("/account/digests").await.has("#by_email[checked]"));
    let low = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_batch(&app, low, 5, 400).await;

    // Before seven nothing goes; from seven, once, however many runs (or instances) there are.
    let monday = next_monday_morning(&app);
    assert_eq!(
        sickbay_core::digests::send_due(app.db(), Timestamp(monday.0 - 2 * HOUR))
            .await
            .expect("digests"),
        0
    );
    let (a, b) = tokio::join!(
        sickbay_core::digests::send_due(app.db(), monday),
        sickbay_core::digests::send_due(app.db(), monday)
    );
    // Two pharmacists and the admin (it is a Monday), each told once.
    assert_eq!(a.expect("digests") + b.expect("digests"), 3);
    assert_eq!(
        sickbay_core::digests::send_due(app.db(), Timestamp(monday.0 + HOUR))
            .await
            .expect("digests"),
        0
    );

    assert_eq!(
        deliver(&app, monday).await.sent,
        1,
        "only Ada wants it by email (the admin has no address)"
    );
    let mail = sink.wait_for(1, Duration::from_secs(5)).await.remove(0);
    assert_eq!(mail.to, vec!["ada@clinic.example.edu".to_owned()]);
    assert!(mail.subject().starts_with("Stock today: 1 low"), "{}", mail.subject());
    assert!(mail.text().contains("Paracetamol 500 mg (5 left)"), "{}", mail.text());
    let bell = bola.get("/notices").await;
    assert!(bell.text("#notices").contains("Paracetamol 500 mg (5 left)"));
    let admin = app.admin().await.get("/notices").await;
    assert!(
        admin.text("#notices").contains("Last week: 0 appointments"),
        "{}",
        admin.text("#notices")
    );
}

async fn the_bell_checking_for_notices_does_not_keep_an_idle_session_alive(app: TestApp) {
    let short = app.with_idle_limit(Duration::from_secs(2)).await;
    let client = short.admin().await;
    client.get("/admin").await.assert_status(StatusCode::OK);
    // A page left open asks for its bell every so often: that is not the user doing anything.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let _ = client.get("/notices/bell").await;
    }
    client.get("/admin").await.assert_redirect("/login?next=%2Fadmin");
}
