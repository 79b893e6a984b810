//! Email over SMTP with lettre: one connection per run of the sender, TLS as the settings say, and the mail
//! server's own words when it refuses.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::outbox::model::DeliveryError;
use crate::outbox::settings::{MailSettings, Tls};

/// How long the mail server has to answer each step.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An email ready to go.
#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends `email` from the clinic (`sender_name` beside the settings' from address).
pub async fn send(mail: &MailSettings, sender_name: &str, email: Email) -> Result<(), DeliveryError> {
    let message = build(mail, sender_name, email)?;
    transport(mail)?
        .send(message)
        .await
        .map(|_| ())
        .map_err(|err| classify(&err))
}

fn build(mail: &MailSettings, sender_name: &str, email: Email) -> Result<Message, DeliveryError> {
    let from = mail
        .from
        .parse()
        .map(|address| Mailbox::new(Some(sender_name.to_owned()), address))
        .map_err(|_| DeliveryError::Permanent(format!("The from address {:?} is not an email address.", mail.from)))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| DeliveryError::Permanent(format!("{:?} is not an email address.", email.to)))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject)
        .multipart(MultiPart::alternative_plain_html(email.text, email.html))
        .map_err(|err| DeliveryError::Permanent(format!("The email could not be written: {err}")))
}

fn transport(mail: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let host = mail.host.as_str();
    let builder = match mail.tls {
        Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        Tls::Wrapper => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        Tls::Off => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
    }
    .map_err(|err| DeliveryError::Permanent(format!("The mail server {host:?} can't be used: {err}")))?;
    let port = u16::try_from(mail.port).unwrap_or(587);
    let mut builder = builder.port(port).timeout(Some(TIMEOUT));
    if !mail.username.is_empty() {
        builder = builder.credentials(Credentials::new(mail.username.clone(), mail.password.clone()));
    }
    Ok(builder.build())
}

/// A 5xx answer fails the same way again; anything else (4xx, a connection refused, a timeout) may not.
fn classify(err: &lettre::transport::smtp::Error) -> DeliveryError {
    let text = format!("Mail server: {err}");
    if err.is_permanent() {
        DeliveryError::Permanent(text)
    } else {
        DeliveryError::Temporary(text)
    }
}
