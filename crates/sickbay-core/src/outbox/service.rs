//! Writing messages in the transaction of the event they tell about, and sending them: each due message is
//! claimed by one sender (a conditional update with a lease), handed to the mail server or SMS provider, and
//! settled as sent, waiting for another try, failed, dropped as stale, or held when no carrier is set up.

use std::time::Duration;

use chrono_tz::Tz;

use crate::audit::{self, AuditEntry};
use crate::clinic::{ADDRESS, NAME, TIME_ZONE};
use crate::db::paging::CursorPage;
use crate::db::{Currency, Db, Reader, Timestamp, Tx};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::{Actor, Role};
use crate::notify::{self, Recipient};
use crate::outbox::model::{self, AfterFailure, Channel, DeliveryError, Filter, Kind, Status, Unsent};
use crate::outbox::repo::{self, Message, NewMessage};
use crate::outbox::settings::{MailSettings, MessageSettings, PHONE_COUNTRY_CODE, SmsSettings};
use crate::outbox::{sms, smtp};
use crate::settings_section::{Section, Setting, Values};

/// How long a sender holds a claimed message: longer than the carriers' own timeouts, so a message is only
/// claimed again when its sender has died.
const LEASE: Duration = Duration::from_secs(120);
/// Messages one run of the sender takes on.
const BATCH: i64 = 50;

/// What an event tells a patient. `about` with the kind makes the message's key: the same event never
/// writes a second message.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: Kind,
    pub about: String,
    pub subject: String,
    /// A sentence or two in plain words; the carriers add the greeting, the link and the clinic's name.
    pub body: String,
    /// The page it leads to, as a path of the site.
    pub link: String,
    pub record: (&'static str, i64),
    /// After this the message is no use and is dropped unsent.
    pub stale_after: Option<Timestamp>,
}

/// What writing a message needs to know of the clinic's settings, read in the event's own transaction so
/// every instance sees what was saved last.
#[derive(Clone, Debug)]
pub struct Context {
    pub messages: MessageSettings,
    pub zone: Tz,
    pub country_code: String,
    pub currency: Currency,
}

impl Context {
    pub async fn read(db: impl Reader) -> Result<Self, sqlx::Error> {
        let stored: Values = repo::settings(db).await?.into_iter().collect();
        Ok(Context {
            messages: MessageSettings::from_stored(&stored),
            zone: TIME_ZONE.read(&stored),
            country_code: PHONE_COUNTRY_CODE.read(&stored),
            currency: crate::clinic::currency_of(&stored),
        })
    }

    /// `at` as a message says it: "Tue 1 Dec at 10:30", in the clinic's time zone.
    pub fn when(&self, at: Timestamp) -> String {
        model::when(at, self.zone)
    }
}

/// Tells patient `patient_id` about `notice`: in their bell, and in the outbox by the channel they chose if the
/// clinic sends its kind by that channel and the patient has an address for it. Whether a message was written.
pub async fn tell_patient(
    tx: &mut Tx,
    context: &Context,
    patient_id: i64,
    notice: Notice,
) -> Result<bool, sqlx::Error> {
    // The bell hears of everything, whatever the channels, and of each event once.
    let key = format!("{}:{}", notice.kind.as_str(), notice.about);
    notify::notify_once(tx, Recipient::Patient(patient_id), &key, &notice.body, &notice.link).await?;
    let Some(contact) = repo::contact(&mut *tx, patient_id).await? else {
        return Ok(false);
    };
    let Some(channel) = contact.contact_by.channel() else {
        return Ok(false);
    };
    if !context.messages.sends(notice.kind, channel) {
        return Ok(false);
    }
    let Some(recipient) = contact.address(channel, &context.country_code) else {
        return Ok(false);
    };
    Ok(write(tx, Some(patient_id), channel, recipient, notice).await?.is_some())
}

/// Writes `notice` to `recipient` by `channel`, whatever the patient's choice (a password reset goes where it
/// was asked for). The message's id, or `None` when the same message was written before.
pub async fn write(
    tx: &mut Tx,
    patient_id: Option<i64>,
    channel: Channel,
    recipient: String,
    notice: Notice,
) -> Result<Option<i64>, sqlx::Error> {
    let message = NewMessage {
        dedupe_key: model::dedupe_key(notice.kind, &notice.about, channel),
        kind: notice.kind,
        channel,
        recipient,
        subject: notice.subject,
        body: notice.body,
        link: notice.link,
        patient_id,
        record_type: notice.record.0,
        record_id: Some(notice.record.1),
        status: Status::Pending,
        last_error: String::new(),
        stale_after: notice.stale_after,
    };
    repo::insert(tx, &message).await
}

/// Drops the reminders still waiting for an appointment that was cancelled or moved.
pub async fn drop_reminders(tx: &mut Tx, appointment_id: i64, why: &str) -> Result<u64, sqlx::Error> {
    repo::drop_waiting(tx, Kind::Reminder, "appointment", appointment_id, why).await
}

/// The clinic as an email signs it.
#[derive(Clone, Debug, Default)]
pub struct Letterhead {
    pub clinic_name: String,
    pub clinic_address: String,
    pub site_url: String,
}

impl Letterhead {
    pub fn from_stored(stored: &Values) -> Self {
        Letterhead {
            clinic_name: NAME.read(stored),
            clinic_address: ADDRESS.read(stored),
            site_url: MessageSettings::from_stored(stored).site_url,
        }
    }

    /// `path` of the site as a whole address.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.site_url.trim_end_matches('/'))
    }
}

/// An email's two parts.
#[derive(Clone, Debug)]
pub struct EmailParts {
    pub text: String,
    pub html: String,
}

/// Turns a message into an email's plain-text and HTML parts (the web crate's templates).
pub trait Compose: Send + Sync {
    fn email(&self, message: &Message, letterhead: &Letterhead) -> EmailParts;
}

/// What the sender sends with: the carriers as set up now, and the letterhead.
#[derive(Clone, Debug)]
pub struct Carriers {
    pub mail: MailSettings,
    pub sms: SmsSettings,
    pub letterhead: Letterhead,
}

impl Carriers {
    /// The carriers as saved in the settings, read now.
    pub async fn read(db: &Db) -> Result<Self, sqlx::Error> {
        let stored: Values = repo::settings(db).await?.into_iter().collect();
        Ok(Carriers {
            mail: MailSettings::from_stored(&stored),
            sms: SmsSettings::from_stored(&stored),
            letterhead: Letterhead::from_stored(&stored),
        })
    }
}

/// What one run of the sender did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub dropped: usize,
    pub held: usize,
}

/// Sends the messages due at `now` (the clock is the caller's, so tests never sleep). Two senders at once
/// never send one message twice: each message is claimed by a conditional update before it is sent.
pub async fn deliver_due(
    db: &Db,
    carriers: &Carriers,
    compose: &dyn Compose,
    http: &reqwest::Client,
    now: Timestamp,
) -> Result<Delivered, ServiceError> {
    let mut done = Delivered::default();
    let lease_until = Timestamp(now.0 + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX / 2));
    for id in repo::due(db, now, BATCH).await? {
        let Some(message) = repo::claim(db, id, now, lease_until).await? else {
            continue;
        };
        let (status, error, next_try_at) = match try_once(&message, carriers, compose, http, now).await {
            Outcome::Sent => (Status::Sent, String::new(), now),
            Outcome::Stale => (
                Status::Dropped,
                "Dropped: its time had passed before it could be sent.".to_owned(),
                now,
            ),
            Outcome::NoCarrier(why) => (Status::Held, why.to_owned(), now),
            Outcome::Failed(error) => match model::after_failure(message.tries, &error, now) {
                AfterFailure::RetryAt(at) => (Status::Pending, error.message().to_owned(), at),
                AfterFailure::GiveUp => {
                    tell_admins_of_failure(db, &message, error.message()).await?;
                    (Status::Failed, error.message().to_owned(), now)
                }
            },
        };
        if !repo::settle(db, message.id, lease_until, status, &error, next_try_at).await? {
            tracing::warn!(id = message.id, "an outbox message changed while it was being sent");
            continue;
        }
        match status {
            Status::Sent => done.sent += 1,
            Status::Pending => done.retrying += 1,
            Status::Failed => done.failed += 1,
            Status::Dropped => done.dropped += 1,
            Status::Held | Status::Sending => done.held += 1,
        }
    }
    Ok(done)
}

/// Rings the admins' bells about a message given up on.
async fn tell_admins_of_failure(db: &Db, message: &Message, error: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let text = format!(
        "{} to {} could not be sent: {error}",
        message.kind.label(),
        message.recipient
    );
    notify::notify_role(&mut tx, Role::Admin, &text, "/admin/outbox?status=failed").await?;
    tx.commit().await
}

enum Outcome {
    Sent,
    Stale,
    NoCarrier(&'static str),
    Failed(DeliveryError),
}

async fn try_once(
    message: &Message,
    carriers: &Carriers,
    compose: &dyn Compose,
    http: &reqwest::Client,
    now: Timestamp,
) -> Outcome {
    if model::is_stale(message.stale_after, now) {
        return Outcome::Stale;
    }
    let result = match message.channel {
        Channel::Email if !carriers.mail.is_configured() => {
            return Outcome::NoCarrier("Not sent: no mail server is set up.");
        }
        Channel::Sms if !carriers.sms.provider().is_configured() => {
            return Outcome::NoCarrier("Not sent: no SMS provider is set up.");
        }
        Channel::Email => {
            let parts = compose.email(message, &carriers.letterhead);
            let email = smtp::Email {
                to: message.recipient.clone(),
                subject: message.subject.clone(),
                text: parts.text,
                html: parts.html,
            };
            smtp::send(&carriers.mail, &carriers.letterhead.clinic_name, email).await
        }
        Channel::Sms => {
            let link = carriers.letterhead.link(&message.link);
            let text = model::sms_text(&carriers.letterhead.clinic_name, &message.body, &link);
            sms::send(http, &carriers.sms.provider(), &message.recipient, &text)
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Outcome::Sent,
        Err(error) => Outcome::Failed(error),
    }
}

/// One page of the outbox, newest first.
pub async fn list(
    db: impl Reader,
    filter: &Filter,
    before: Option<i64>,
    size: i64,
) -> Result<CursorPage<Message>, ServiceError> {
    let rows = repo::list(db, filter, before, size + 1).await?;
    Ok(CursorPage::from_rows(rows, size, before.is_none(), |m| m.id))
}

pub async fn message(db: impl Reader, id: i64) -> ServiceResult<Message> {
    repo::get(db, id).await?.ok_or(ServiceError::NotFound)
}

/// How many messages were not sent and wait for an admin: failed, or held for a carrier not set up.
pub async fn unsent(db: impl Reader) -> Result<Unsent, ServiceError> {
    Ok(repo::unsent(db).await?)
}

/// Puts a failed or held message back in line, audited.
pub async fn retry(db: &Db, actor: &Actor, id: i64) -> ServiceResult<()> {
    let mut tx = db.begin_write().await?;
    if !repo::requeue(&mut tx, id).await? {
        return Err(match repo::get(&mut tx, id).await? {
            None => ServiceError::NotFound,
            Some(message) if message.kind == Kind::PasswordReset => ServiceError::Conflict(
                "A reset link is never sent again: the patient can ask for a new one on the login page.".into(),
            ),
            Some(_) => {
                ServiceError::Conflict("Only a failed or unsent message can be sent again; this one is not.".into())
            }
        });
    }
    audit::record(&mut tx, actor, AuditEntry::new("outbox.retry").record("outbox", id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts the messages held for want of a carrier back in line once it is set up.
pub async fn release_held(tx: &mut Tx, channel: Channel) -> Result<u64, sqlx::Error> {
    repo::release_held(tx, channel).await
}

/// Writes a test message to `recipient` (checked by the caller), audited; the sender sends it with the rest.
pub async fn send_test(
    db: &Db,
    actor: &Actor,
    channel: Channel,
    recipient: String,
    clinic_name: &str,
) -> ServiceResult<i64> {
    let mut tx = db.begin_write().await?;
    let stamp = Timestamp::now();
    let notice = Notice {
        kind: Kind::Test,
        about: format!("{}:{}", stamp.0, rand::random::<u32>()),
        subject: format!("A test message from {clinic_name}"),
        body: format!(
            "This is a test {} from {clinic_name}. If you can read it, messages reach people.",
            match channel {
                Channel::Email => "email",
                Channel::Sms => "text message",
            }
        ),
        link: "/".to_owned(),
        record: ("outbox", 0),
        stale_after: None,
    };
    let id = write(&mut tx, None, channel, recipient.clone(), notice)
        .await?
        .ok_or_else(|| ServiceError::Conflict("That test message was already written.".into()))?;
    let entry = AuditEntry::new("outbox.test")
        .record("outbox", id)
        .detail(format!("{} to {recipient}", channel.label()));
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(id)
}
