//! One-time form ids: the shared guard of every form that creates something. A form carries a random id minted
//! when it was rendered (`FormKey`). The creating transaction first claims the id (`claim`), and stores the
//! created record under it before it commits (`complete`). The same form sent again, one after the other or at
//! the same moment, finds the claim and answers with the record the first one created: never a second record,
//! never a confusing refusal.
//!
//! The claim is an `INSERT ... ON CONFLICT DO NOTHING` on the primary key. A second transaction with the same
//! key waits for the first (PostgreSQL waits on the uncommitted row, SQLite on `BEGIN IMMEDIATE`), then
//! inserts nothing and reads the first one's record. If the first one rolled back, the second one creates.

use std::fmt;

use super::{Timestamp, Tx, run};

/// The hidden field's name in every creating form.
pub const FIELD: &str = "form_id";

/// A one-time form id: 32 lower-case hex digits (128 random bits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormKey(String);

impl FormKey {
    /// A fresh id for a form being rendered.
    pub fn mint() -> Self {
        FormKey(format!("{:032x}", rand::random::<u128>()))
    }

    /// The id a form sent back: `None` when the field was empty or missing (a client that did not render the
    /// form, such as a script: it gets no protection against repeats), an error when it is not an id we mint.
    pub fn parse(text: &str) -> Result<Option<Self>, InvalidFormKey> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Some(FormKey(text.to_owned())))
        } else {
            Err(InvalidFormKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FormKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("The form is damaged (its form id is not one Sickbay made). Reload the page and try again.")]
pub struct InvalidFormKey;

/// What a claim found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This is the first submission (or the form had no id): go on and create.
    First,
    /// The same form created this record before: answer with it, create nothing.
    Done(i64),
}

/// Claims `key` for `action` by `actor` inside the creating transaction; call it before anything else in it.
pub async fn claim(tx: &mut Tx, key: Option<&FormKey>, action: &str, actor: &str) -> Result<Claim, sqlx::Error> {
    let Some(key) = key else {
        return Ok(Claim::First);
    };
    let inserted = sqlx::query(
        "INSERT INTO form_submission (form_key, action, actor, record_id, created_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (form_key, action, actor) DO NOTHING",
    )
    .bind(key.as_str())
    .bind(action)
    .bind(actor)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::First);
    }
    let (record_id,): (i64,) =
        sqlx::query_as("SELECT record_id FROM form_submission WHERE form_key = $1 AND action = $2 AND actor = $3")
            .bind(key.as_str())
            .bind(action)
            .bind(actor)
            .fetch_one(&mut **tx)
            .await?;
    Ok(Claim::Done(record_id))
}

/// Stores the record the claimed submission created, in the same transaction.
pub async fn complete(
    tx: &mut Tx,
    key: Option<&FormKey>,
    action: &str,
    actor: &str,
    record_id: i64,
) -> Result<(), sqlx::Error> {
    let Some(key) = key else {
        return Ok(());
    };
    run(
        tx,
        sqlx::query("UPDATE form_submission SET record_id = $4 WHERE form_key = $1 AND action = $2 AND actor = $3")
            .bind(key.as_str())
            .bind(action)
            .bind(actor)
            .bind(record_id),
    )
    .await
}

/// The record a completed submission of `key` created, if there was one (what is committed now).
pub async fn recorded(
    db: &super::Db,
    key: Option<&FormKey>,
    action: &str,
    actor: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(key) = key else {
        return Ok(None);
    };
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT record_id FROM form_submission WHERE form_key = $1 AND action = $2 AND actor = $3 AND record_id > 0",
    )
    .bind(key.as_str())
    .bind(action)
    .bind(actor)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Forgets form ids older than `days`: a form left open that long is answered like a new one.
pub async fn forget_older_than(db: &super::Db, days: i64) -> Result<u64, sqlx::Error> {
    let before = Timestamp(Timestamp::now().millis() - days * 24 * 3_600_000);
    Ok(sqlx::query("DELETE FROM form_submission WHERE created_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_parse_and_differ() {
        let (a, b) = (FormKey::mint(), FormKey::mint());
        assert_ne!(a, b);
        assert_eq!(FormKey::parse(a.as_str()).ok().flatten(), Some(a.clone()));
    }

    #[test]
    fn only_our_shape_is_accepted() {
        assert_eq!(FormKey::parse("").ok(), Some(None));
        assert_eq!(FormKey::parse("  ").ok(), Some(None));
        assert!(FormKey::parse("xyz").is_err());
        assert!(FormKey::parse(&"A".repeat(32)).is_err());
        assert!(FormKey::parse(&"a".repeat(33)).is_err());
    }
}
