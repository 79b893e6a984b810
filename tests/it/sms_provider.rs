//! The transports on their own: the Africa's Talking adapter against a local fake of the API, and the test
//! SMTP sink against lettre. No database, no app.

use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sickbay_core::outbox::model::DeliveryError;
use sickbay_core::outbox::sms::{self, SmsProvider};

use crate::support::fake_sms::{FakeSms, SentSms, SmsMode};
use crate::support::smtp_sink::SmtpSink;

const USERNAME: &str = "sickbay-clinic";
const API_KEY: &str = "atsk_test_key_0123456789";
const NUMBER: &str = "+2348031234567";

fn provider(fake: &FakeSms, sender_id: &str) -> SmsProvider {
    SmsProvider {
        endpoint: fake.endpoint(),
        username: USERNAME.to_owned(),
        api_key: API_KEY.to_owned(),
        sender_id: sender_id.to_owned(),
    }
}

#[tokio::test]
async fn an_accepted_message_gives_its_id() {
    let fake = FakeSms::start(USERNAME, API_KEY).await;
    let http = reqwest::Client::new();

    let id = sms::send(
        &http,
        &provider(&fake, ""),
        NUMBER,
        "Your appointment is at 10:30 [Room 4] & bring €5",
    )
    .await
    .expect("sent");
    assert!(id.starts_with("ATXid_"), "{id}");

    let again = sms::send(&http, &provider(&fake, " SICKBAY "), NUMBER, "Second")
        .await
        .expect("sent");
    assert_ne!(again, id, "each message has its own id");

    assert_eq!(
        fake.sent(),
        vec![
            SentSms {
                to: NUMBER.to_owned(),
                message: "Your appointment is at 10:30 [Room 4] & bring €5".to_owned(),
                from: None,
            },
            SentSms {
                to: NUMBER.to_owned(),
                message: "Second".to_owned(),
                from: Some("SICKBAY".to_owned()),
            },
        ]
    );
    assert_eq!(fake.requests(), 2);
}

#[tokio::test]
async fn a_wrong_key_is_permanent_in_the_providers_words() {
    let fake = FakeSms::start(USERNAME, API_KEY).await;
    let mut wrong = provider(&fake, "");
    wrong.api_key = "atsk_not_the_key".to_owned();

    match sms::send(&reqwest::Client::new(), &wrong, NUMBER, "hello").await {
        Err(DeliveryError::Permanent(message)) => {
            assert!(message.contains("The supplied authentication is invalid"), "{message}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    let mut wrong = provider(&fake, "");
    wrong.username = "someone-else".to_owned();
    let sent = sms::send(&reqwest::Client::new(), &wrong, NUMBER, "hello").await;
    assert!(matches!(sent, Err(DeliveryError::Permanent(_))), "{sent:?}");

    assert!(fake.sent().is_empty());
    assert_eq!(fake.requests(), 2);
}

#[tokio::test]
async fn a_server_error_is_temporary_and_the_next_try_can_work() {
    let fake = FakeSms::start(USERNAME, API_KEY).await;
    let http = reqwest::Client::new();
    fake.set_mode(SmsMode::ServerError);

    let sent = sms::send(&http, &provider(&fake, ""), NUMBER, "hello").await;
    assert!(matches!(sent, Err(DeliveryError::Temporary(_))), "{sent:?}");
    assert!(fake.sent().is_empty());

    fake.set_mode(SmsMode::Accept);
    sms::send(&http, &provider(&fake, ""), NUMBER, "hello")
        .await
        .expect("sent on the next try");
    assert_eq!(fake.sent().len(), 1);
    assert_eq!(fake.requests(), 2);
}

#[tokio::test]
async fn a_rejected_number_is_permanent() {
    let fake = FakeSms::start(USERNAME, API_KEY).await;
    fake.set_mode(SmsMode::RejectNumber);

    match sms::send(&reqwest::Client::new(), &provider(&fake, ""), "+2340000", "hello").await {
        Err(DeliveryError::Permanent(message)) => {
            assert!(message.contains("InvalidPhoneNumber"), "{message}");
            assert!(message.contains("403"), "{message}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(fake.sent().is_empty());
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn a_provider_that_hangs_is_temporary_after_the_timeout() {
    let fake = FakeSms::start(USERNAME, API_KEY).await;
    fake.set_mode(SmsMode::Hang);

    let started = Instant::now();
    let sent = tokio::time::timeout(
        Duration::from_secs(20),
        sms::send(&reqwest::Client::new(), &provider(&fake, ""), NUMBER, "hello"),
    )
    .await
    .expect("send gives up by itself, well within 20 s");
    let took = started.elapsed();
    assert!(matches!(sent, Err(DeliveryError::Temporary(_))), "{sent:?}");
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "gave up after {took:?}"
    );
    assert_eq!(fake.requests(), 1);
    assert!(fake.sent().is_empty());
}

fn mail(subject: &str) -> Message {
    Message::builder()
        .from("Sickbay Clinic <clinic@example.test>".parse::<Mailbox>().expect("from"))
        .to("Ada Obi <ada@example.test>".parse::<Mailbox>().expect("to"))
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(
            "Your results are ready.\n.A line that starts with a dot.\nẸ kú àárọ̀".to_owned(),
            "<p>Your results are <b>ready</b>.</p>".to_owned(),
        ))
        .expect("a message")
}

#[tokio::test]
async fn the_smtp_sink_takes_mail_and_can_go_down_and_come_back() {
    let sink = SmtpSink::start().await;
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port())
        .credentials(lettre::transport::smtp::authentication::Credentials::new(
            "clinic-user".to_owned(),
            "secret".to_owned(),
        ))
        .timeout(Some(Duration::from_secs(5)))
        .build();

    mailer
        .send(mail("Results ready — Sickbay"))
        .await
        .expect("sent to the sink");
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let got = &mails[0];
    assert_eq!(got.from, "clinic@example.test");
    assert_eq!(got.to, vec!["ada@example.test".to_owned()]);
    assert_eq!(got.username.as_deref(), Some("clinic-user"));
    assert_eq!(got.subject(), "Results ready — Sickbay");
    assert_eq!(
        got.text().replace("\r\n", "\n").trim_end(),
        "Your results are ready.\n.A line that starts with a dot.\nẸ kú àárọ̀"
    );
    assert_eq!(got.html().trim_end(), "<p>Your results are <b>ready</b>.</p>");

    let addr = sink.addr();
    sink.stop().await;
    let refused = mailer.send(mail("Nobody there")).await;
    assert!(refused.is_err(), "sent with the sink stopped: {refused:?}");

    let sink = SmtpSink::start_on(addr).await;
    assert_eq!(sink.port(), addr.port());
    mailer
        .send(mail("Back again"))
        .await
        .expect("sent to the restarted sink");
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1, "a restarted sink starts empty");
    assert_eq!(mails[0].subject(), "Back again");
    sink.stop().await;
}
