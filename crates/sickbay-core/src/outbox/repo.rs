//! All SQL of the outbox. Every change of a message's status is a conditional update on the status it is
//! expected to have, so two senders can never both hold, send or settle one message.

use crate::db::{Reader, Timestamp, Tx, row_by_id};
use crate::outbox::model::{Channel, ContactBy, Filter, Kind, Status, Unsent};
use crate::outbox::sms;

/// A message to write, in the transaction of the event it tells about.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub dedupe_key: String,
    pub kind: Kind,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub patient_id: Option<i64>,
    pub record_type: &'static str,
    pub record_id: Option<i64>,
    pub status: Status,
    pub last_error: String,
    pub stale_after: Option<Timestamp>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub kind: Kind,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub patient_id: Option<i64>,
    pub record_type: String,
    pub record_id: Option<i64>,
    pub status: Status,
    pub tries: i64,
    pub last_error: String,
    pub created_at: Timestamp,
    pub next_try_at: Timestamp,
    pub claimed_until: Timestamp,
    pub stale_after: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
}

impl Message {
    /// Whether an admin may send it again: a failed or unsent message, but never a reset link (its link is
    /// gone; the patient asks for a new one).
    pub fn can_retry(&self) -> bool {
        self.status.can_retry() && self.kind != Kind::PasswordReset
    }

    /// The error its row shows: none for a message held because its carrier is not set up, which the outbox
    /// says once above its list rather than on every row.
    pub fn error_shown(&self) -> &str {
        match self.status {
            Status::Held => "",
            _ => &self.last_error,
        }
    }
}

const COLUMNS: &str = "id, kind, channel, recipient, subject, body, link, patient_id, record_type, record_id, status, \
                       tries, last_error, created_at, next_try_at, claimed_until, stale_after, sent_at";

/// Writes `message` unless one with its key exists; its id when it was written.
pub async fn insert(tx: &mut Tx, message: &NewMessage) -> Result<Option<i64>, sqlx::Error> {
    let now = Timestamp::now();
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO outbox (dedupe_key, kind, channel, recipient, subject, body, link, patient_id, record_type,
             record_id, status, last_error, created_at, next_try_at, stale_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(&message.dedupe_key)
    .bind(message.kind)
    .bind(message.channel)
    .bind(&message.recipient)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(&message.link)
    .bind(message.patient_id)
    .bind(message.record_type)
    .bind(message.record_id)
    .bind(message.status)
    .bind(&message.last_error)
    .bind(now)
    .bind(message.stale_after)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// Messages a sender may claim at `now`: waiting and due, or claimed by a sender whose lease ran out.
pub async fn due(mut db: impl Reader, now: Timestamp, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM outbox
         WHERE (status = 'pending' AND next_try_at <= $1) OR (status = 'sending' AND claimed_until <= $1)
         ORDER BY next_try_at, id {}",
        crate::db::limit(limit)
    ))
    .bind(now)
    .fetch_all(db.exec())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Claims message `id` for one try until `lease_until`; `None` when another sender has it or it is not due.
pub async fn claim(
    mut db: impl Reader,
    id: i64,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<Option<Message>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE outbox SET status = 'sending', tries = tries + 1, claimed_until = $1
         WHERE id = $2 AND ((status = 'pending' AND next_try_at <= $3) OR (status = 'sending' AND claimed_until <= $3))
         RETURNING {COLUMNS}"
    ))
    .bind(lease_until)
    .bind(id)
    .bind(now)
    .fetch_optional(db.exec())
    .await
}

/// Settles a claimed message (`claimed_until` names the claim): sent, waiting again, failed, dropped or held.
pub async fn settle(
    mut db: impl Reader,
    id: i64,
    claimed_until: Timestamp,
    status: Status,
    error: &str,
    next_try_at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let sent_at = (status == Status::Sent).then(Timestamp::now);
    let done = sqlx::query(
        // A reset link is kept only until its message is settled: it opens the account.
        "UPDATE outbox SET status = $1, last_error = $2, next_try_at = $3, sent_at = $4, claimed_until = 0,
             link = CASE WHEN kind = 'password_reset' AND $1 IN ('sent', 'failed', 'dropped') THEN '' ELSE link END
         WHERE id = $5 AND status = 'sending' AND claimed_until = $6",
    )
    .bind(status)
    .bind(error)
    .bind(next_try_at)
    .bind(sent_at)
    .bind(id)
    .bind(claimed_until)
    .execute(db.exec())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops the waiting messages of `kind` about a record (a cancelled booking's reminders), saying why.
pub async fn drop_waiting(
    tx: &mut Tx,
    kind: Kind,
    record_type: &str,
    record_id: i64,
    why: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'dropped', last_error = $1
         WHERE kind = $2 AND record_type = $3 AND record_id = $4 AND status IN ('pending', 'held')",
    )
    .bind(why)
    .bind(kind)
    .bind(record_type)
    .bind(record_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Puts a failed or held message back in line with a fresh set of tries.
pub async fn requeue(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', tries = 0, next_try_at = $1, last_error = ''
         WHERE id = $2 AND status IN ('failed', 'held') AND kind <> 'password_reset'",
    )
    .bind(Timestamp::now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts every held message of `channel` back in line (its server or provider has just been set up).
pub async fn release_held(tx: &mut Tx, channel: Channel) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', next_try_at = $1, last_error = '' WHERE status = 'held' AND channel = $2",
    )
    .bind(Timestamp::now())
    .bind(channel)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

pub async fn get(db: impl Reader, id: i64) -> Result<Option<Message>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"), id).await
}

/// Up to `limit` messages matching `filter`, newest first, older than message `before` if given.
pub async fn list(
    mut db: impl Reader,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>, sqlx::Error> {
    let (from, to) = filter.written.unwrap_or((Timestamp(i64::MIN), Timestamp(i64::MAX)));
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR channel = $2) AND ($3 = '' OR status = $3)
           AND created_at >= $4 AND created_at < $5 AND ($6 = 0 OR patient_id = $6) AND id < $7
         ORDER BY id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(filter.kind.map_or("", Kind::as_str))
    .bind(filter.channel.map_or("", Channel::as_str))
    .bind(filter.status.map_or("", Status::as_str))
    .bind(from)
    .bind(to)
    .bind(filter.patient_id.unwrap_or(0))
    .bind(before.unwrap_or(i64::MAX))
    .fetch_all(db.exec())
    .await
}

/// How many messages were not sent and wait for an admin: failed, or held because their carrier is not set up.
pub async fn unsent(mut db: impl Reader) -> Result<Unsent, sqlx::Error> {
    let counts: Vec<(Status, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox WHERE status IN ('failed', 'held') GROUP BY status")
            .fetch_all(db.exec())
            .await?;
    let of = |wanted: Status| {
        counts
            .iter()
            .find(|(status, _)| *status == wanted)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Unsent {
        failed: of(Status::Failed),
        held: of(Status::Held),
    })
}

/// The clinic's settings as stored (the outbox reads its own and the clinic's in the event's transaction).
pub async fn settings(mut db: impl Reader) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT key, value FROM setting")
        .fetch_all(db.exec())
        .await
}

/// How a patient can be reached.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_by: ContactBy,
}

impl Contact {
    /// The patient's address for `channel`: their email, or their phone in E.164.
    pub fn address(&self, channel: Channel, country_code: &str) -> Option<String> {
        match channel {
            Channel::Email => self.email.clone().filter(|e| !e.trim().is_empty()),
            Channel::Sms => self.phone.as_deref().and_then(|p| sms::to_e164(p, country_code)),
        }
    }
}

pub async fn contact(mut db: impl Reader, patient_id: i64) -> Result<Option<Contact>, sqlx::Error> {
    sqlx::query_as("SELECT email, phone, contact_by FROM patient WHERE id = $1")
        .bind(patient_id)
        .fetch_optional(db.exec())
        .await
}
