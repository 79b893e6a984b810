//! The session store: tower-sessions-sqlx-store's SQLite or PostgreSQL store, on a native pool opened
//! from the same URL as the application's `AnyPool`, behind one type.
//!
//! Sessions expire after a time without activity, so tower-sessions saves the session on every request to
//! push its expiry forward: a database write for every page a user opens. The store skips that write when the
//! session's data is what this instance last wrote and the expiry moved by less than [`TOUCH_INTERVAL`] (or a
//! tenth of a shorter idle time); the stored expiry then lags the true one by at most that (a session may end
//! up to a minute early).

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Backend, Db};

/// How far a session's expiry may move before an unchanged session is written again.
pub const TOUCH_INTERVAL: time::Duration = time::Duration::seconds(60);

/// Above this many remembered writes, those of expired sessions are forgotten.
const REMEMBERED: usize = 50_000;

#[derive(Clone, Debug)]
pub struct SessionBackend {
    store: Store,
    /// What this instance last wrote for each session: a hash of its data and its expiry.
    written: Arc<Mutex<HashMap<Id, Written>>>,
}

#[derive(Clone, Debug)]
enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Written {
    data: u64,
    expiry: time::OffsetDateTime,
}

impl Written {
    fn of(record: &Record) -> Self {
        // The data is a HashMap whose order differs from one load to the next: hash it in key order.
        let sorted: BTreeMap<_, _> = record.data.iter().collect();
        let mut hasher = DefaultHasher::new();
        serde_json::to_string(&sorted).unwrap_or_default().hash(&mut hasher);
        Written {
            data: hasher.finish(),
            expiry: record.expiry_date,
        }
    }

    /// Whether writing `next` (at `now`) after `self` would only push the expiry forward by less than the
    /// interval, or than a tenth of the idle time for a clinic that sets it below ten minutes.
    fn makes_unneeded(self, next: Written, now: time::OffsetDateTime) -> bool {
        let interval = TOUCH_INTERVAL.min((next.expiry - now) / 10);
        self.data == next.data && next.expiry >= self.expiry && next.expiry - self.expiry < interval
    }
}

impl SessionBackend {
    fn new(store: Store) -> Self {
        SessionBackend {
            store,
            written: Arc::default(),
        }
    }

    fn remember(&self, id: Id, written: Option<Written>) {
        let Ok(mut map) = self.written.lock() else {
            return;
        };
        match written {
            Some(w) => {
                if map.len() >= REMEMBERED {
                    let now = time::OffsetDateTime::now_utc();
                    map.retain(|_, w| w.expiry > now);
                }
                map.insert(id, w);
            }
            None => {
                map.remove(&id);
            }
        }
    }

    fn last_written(&self, id: &Id) -> Option<Written> {
        self.written.lock().ok().and_then(|map| map.get(id).copied())
    }

    /// Opens the store for the same database as `db` and creates its table when missing.
    pub async fn open(db: &Db) -> anyhow::Result<Self> {
        let store = match db.backend() {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(db.url())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?;
                let store = SqliteStore::new(pool);
                store.migrate().await.context("creating the session table")?;
                Store::Sqlite(store)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new().max_connections(4).connect(db.url()).await?;
                let store = PostgresStore::new(pool);
                store.migrate().await.context("creating the session table")?;
                Store::Postgres(store)
            }
        };
        Ok(SessionBackend::new(store))
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match &self.store {
            Store::Sqlite(store) => store.create(record).await,
            Store::Postgres(store) => store.create(record).await,
        }?;
        self.remember(record.id, Some(Written::of(record)));
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let next = Written::of(record);
        let now = time::OffsetDateTime::now_utc();
        if self
            .last_written(&record.id)
            .is_some_and(|last| last.makes_unneeded(next, now))
        {
            return Ok(());
        }
        match &self.store {
            Store::Sqlite(store) => store.save(record).await,
            Store::Postgres(store) => store.save(record).await,
        }?;
        self.remember(record.id, Some(next));
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        match &self.store {
            Store::Sqlite(store) => store.load(session_id).await,
            Store::Postgres(store) => store.load(session_id).await,
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.remember(*session_id, None);
        match &self.store {
            Store::Sqlite(store) => store.delete(session_id).await,
            Store::Postgres(store) => store.delete(session_id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match &self.store {
            Store::Sqlite(store) => store.delete_expired().await,
            Store::Postgres(store) => store.delete_expired().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(data: &[(&str, i64)], expiry_seconds: i64) -> Record {
        Record {
            id: Id(7),
            data: data
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
                .collect(),
            expiry_date: time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(expiry_seconds),
        }
    }

    fn at(seconds: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds)
    }

    #[test]
    fn an_unchanged_session_is_written_again_only_when_its_expiry_moved_a_minute() {
        // Thirty minutes of idle time: the expiry is written again once it has moved a minute.
        let last = Written::of(&record(&[("a", 1), ("b", 2)], 1_800));
        let now = at(60);
        assert!(last.makes_unneeded(Written::of(&record(&[("b", 2), ("a", 1)], 1_859)), now));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 1), ("b", 2)], 1_860)), now));
    }

    #[test]
    fn a_short_idle_time_is_kept_to_a_tenth() {
        // Twenty seconds of idle time: written again after two seconds, not after a minute.
        let last = Written::of(&record(&[("a", 1)], 20));
        assert!(last.makes_unneeded(Written::of(&record(&[("a", 1)], 21)), at(1)));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 1)], 22)), at(2)));
    }

    #[test]
    fn a_changed_or_shortened_session_is_always_written() {
        let last = Written::of(&record(&[("a", 1)], 1_000));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 2)], 1_001)), at(0)));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 1)], 999)), at(0)));
    }
}
