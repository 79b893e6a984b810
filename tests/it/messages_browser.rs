//! Messages in headless Chromium: a student on a 360 px phone who forgot their password gets back in alone
//! through the emailed link and finds their notices under the bell; the admin reads the outbox at a desktop and
//! on a phone.

use std::time::Duration;

use sickbay_core::db::Timestamp;
use sickbay_core::outbox::service as outbox;

use crate::browser::Browser;
use crate::messages::{deliver, use_mail_server};
use crate::support::smtp_sink::SmtpSink;
use crate::support::{ADMIN_PASSWORD, Students, TestApp, doctor, on_both_databases, slot_in};

on_both_databases!(
    a_student_resets_their_password_on_a_phone_and_finds_the_bell,
    the_outbox_reads_on_a_desktop_and_a_phone
);

const STUDENTS: Students = Students::new("MB", "Browser");

async fn a_student_resets_their_password_on_a_phone_and_finds_the_bell(app: TestApp) {
    let sink = SmtpSink::start().await;
    use_mail_server(&app, &sink).await;
    let student = STUDENTS.named(&app, &["Ngozi"]).await[0];
    sqlx::query("UPDATE patient SET email = 'ngozi@example.edu' WHERE id = $1")
        .bind(student)
        .execute(app.db().pool())
        .await
        .expect("email");
    let (doctor, _) = doctor(&app, "dr.eze").await;
    let slot = slot_in(&app, doctor, 2, 30 * 60).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(b) = Browser::start(360, 740, &format!("{backend}-messages-phone")).await else {
        return;
    };

    b.goto(&app, "/login").await;
    b.click("#forgot-link").await;
    b.wait_for_path("/forgot").await;
    b.fill("#identifier", &STUDENTS.matric(0)).await;
    b.click("form[action='/forgot'] button[type=submit]").await;
    assert!(b.text("#reset-asked").await.contains("If an account matches"));
    b.screenshot("30-forgot").await;
    assert!(b.fits_width().await, "the forgot page fits a phone");

    crate::messages::eventually(&app, "SELECT COUNT(*) FROM outbox", 1).await;
    deliver(&app, Timestamp::now()).await;
    let mail = sink.wait_for(1, Duration::from_secs(5)).await.remove(0);
    let text = mail.text();
    let at = text.find("/reset/").expect("a link") + "/reset/".len();
    let token: String = text[at..].chars().take_while(char::is_ascii_alphanumeric).collect();
    b.goto(&app, &format!("/reset/{token}")).await;
    b.fill("#new_password", "my own new passphrase").await;
    b.fill("#confirm_password", "my own new passphrase").await;
    b.screenshot("31-reset").await;
    assert!(b.fits_width().await, "the reset page fits a phone");
    b.click("form[action^='/reset/'] button[type=submit]").await;
    b.wait_for_path("/login").await;
    assert!(b.text("#messages").await.contains("Your new password is set"));
    b.log_in(&app, &STUDENTS.matric(0), "my own new passphrase", "/me")
        .await;

    // A booking made since (on another device): its confirmation waits under the bell.
    let other_device = app.client();
    other_device
        .login_ok(&STUDENTS.matric(0), "my own new passphrase")
        .await;
    other_device
        .post(
            "/me/appointments",
            &[("slot_id", &slot.to_string()), ("reason", "Cough")],
        )
        .await;
    b.goto(&app, "/me").await;
    assert_eq!(b.text("#bell .bell-count").await, "1");
    b.screenshot("32-home-with-bell").await;
    b.click("#bell").await;
    b.wait_for_path("/notices").await;
    b.screenshot("33-notices").await;
    assert!(b.fits_width().await, "the notices fit a phone");
    b.close().await;
}

async fn the_outbox_reads_on_a_desktop_and_a_phone(app: TestApp) {
    // Kept for want of a mail server, and a test SMS.
    for n in 0..3 {
        outbox::send_test(
            app.db(),
            &sickbay_core::identity::Actor::system("test"),
            sickbay_core::outbox::model::Channel::Email,
            format!("someone.with.a.long.address.{n}@faculty-of-engineering.example.edu"),
            "Sickbay Clinic",
        )
        .await
        .expect("a test");
    }
    deliver(&app, Timestamp::now()).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, size) in [(1366, 900, "desktop"), (360, 740, "phone")] {
        let Some(b) = Browser::start(width, height, &format!("{backend}-outbox-{size}")).await else {
            return;
        };
        b.log_in(&app, "admin", ADMIN_PASSWORD, "/admin").await;
        b.goto(&app, "/admin/outbox").await;
        assert_eq!(b.text("h1").await, "Outbox");
        assert!(b.text("#outbox-rows").await.contains("Not sent"));
        assert!(
            b.text(".outbox-not-set-up")
                .await
                .starts_with("No mail server is set up")
        );
        b.screenshot("34-outbox").await;
        assert!(b.fits_width().await, "the outbox fits at {size}");
        b.goto(&app, "/admin/settings").await;
        assert!(b.fits_width().await, "the settings with the mail server fit at {size}");
        if size == "desktop" {
            // A page per section, reached from the list beside it.
            b.click(".settings-nav a[href='/admin/settings/booking']").await;
            b.wait_for_path("/admin/settings/booking").await;
            assert_eq!(b.text(".settings-nav a[aria-current]").await, "Booking");
            assert_eq!(b.text("[data-save-state]").await, "Saved as shown.");
            // A change says at once that it isn't saved, in the bar that holds the one Save.
            b.fill("#booking_horizon_days", "21").await;
            assert_eq!(b.text("[data-save-state]").await, "Changes not saved.");
            b.screenshot("35-settings-section").await;
            let horizon = "SELECT COUNT(*) FROM setting WHERE key = 'booking_horizon_days' AND value = '21'";
            assert_eq!(app.count(horizon).await, 0, "nothing saved yet");
            b.click(".save-bar button").await;
            for _ in 0..50 {
                if app.count(horizon).await == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(app.count(horizon).await, 1);
            b.wait_for_path("/admin/settings/booking").await;
            assert_eq!(b.text(".flash-success").await, "Booking saved.");
        }
        b.close().await;
    }
}
