//! The session store: tower-sessions-sqlx-store's SQLite or PostgreSQL store, on a native pool opened
//! from the same URL as the application's `AnyPool`, behind one type.
//!
//! Sessions expire after a time without activity, so tower-sessions saves the session on every request to
//! push its expiry forward: a database write for every page a user opens. The store skips that write when the
//! session's data is what this instance last wrote and the expiry moved by less than [`TOUCH_INTERVAL`] (or a
//! tenth of a shorter idle time); the stored expiry then lags the true one by at most that (a session may end
//! up to a minute early).
//!
//! On SQLite, where one process serves the clinic, the store also keeps the sessions it has read or written in
//! memory and answers a request's read from there: the read was a round trip to the session pool's worker
//! thread on every request. PostgreSQL serves several instances, any of which may change or end a session, so
//! there every read goes to the database.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Backend, Db, POSTGRES_ACQUIRE_TIMEOUT, Reach, Synchronous};

/// How far a session's expiry may move before an unchanged session is written again.
pub const TOUCH_INTERVAL: time::Duration = time::Duration::seconds(60);

/// Above this many remembered writes, those of expired sessions are forgotten.
const REMEMBERED: usize = 50_000;

#[derive(Clone, Debug)]
pub struct SessionBackend {
    store: Store,
    /// What this instance last wrote for each session: a hash of its data and its expiry.
    written: Arc<Mutex<HashMap<Id, Written>>>,
    /// The sessions as this process last read or wrote them, when it is the only one that can change them.
    records: Option<Arc<Mutex<HashMap<Id, Kept>>>>,
    /// The app's pool's knowledge of whether PostgreSQL is within reach: while it isn't, the store is not asked
    /// (its pool would wait for connections that are refused).
    reach: Reach,
}

#[derive(Clone, Debug)]
enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// A session as this process last knew it.
#[derive(Clone, Debug)]
enum Kept {
    Live(Record),
    /// Deleted at this instant: a read of it that was already under way must not bring it back.
    Gone(time::OffsetDateTime),
}

/// Above [`REMEMBERED`] sessions, forgets the expired ones and those deleted more than a minute ago.
fn forget_old(map: &mut HashMap<Id, Kept>) {
    if map.len() < REMEMBERED {
        return;
    }
    let now = time::OffsetDateTime::now_utc();
    map.retain(|_, kept| match kept {
        Kept::Live(record) => record.expiry_date > now,
        Kept::Gone(at) => now - *at < time::Duration::minutes(1),
    });
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
    fn new(store: Store, reach: Reach) -> Self {
        let records = matches!(store, Store::Sqlite(_)).then(Arc::default);
        SessionBackend {
            store,
            written: Arc::default(),
            records,
            reach,
        }
    }

    /// An error at once while the database is known to be out of reach.
    async fn within_reach(&self) -> session_store::Result<()> {
        self.reach
            .check()
            .await
            .map_err(|err| session_store::Error::Backend(err.to_string()))
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

    /// Keeps `record` as written. A deleted session stays deleted: ids are never used again, so a write that
    /// lost the race with a logout must not bring the session back.
    fn keep_written(&self, record: &Record) {
        self.with_kept(|map| match map.get(&record.id) {
            Some(Kept::Gone(_)) => {}
            _ => {
                map.insert(record.id, Kept::Live(record.clone()));
            }
        });
    }

    /// Keeps a session read from the database, unless a write or a delete came first while it was read.
    fn keep_read(&self, id: Id, record: &Record) {
        self.with_kept(|map| {
            map.entry(id).or_insert_with(|| Kept::Live(record.clone()));
        });
    }

    fn keep_gone(&self, id: Id) {
        self.with_kept(|map| {
            map.insert(id, Kept::Gone(time::OffsetDateTime::now_utc()));
        });
    }

    fn with_kept(&self, change: impl FnOnce(&mut HashMap<Id, Kept>)) {
        if let Some(Ok(mut map)) = self.records.as_ref().map(|records| records.lock()) {
            forget_old(&mut map);
            change(&mut map);
        }
    }

    /// The session as kept in memory: `Some(None)` when it is known to be gone or expired, `None` when it is
    /// not kept (the database is asked).
    fn kept(&self, id: &Id) -> Option<Option<Record>> {
        let map = self.records.as_ref()?.lock().ok()?;
        Some(match map.get(id)? {
            Kept::Live(record) => (record.expiry_date > time::OffsetDateTime::now_utc()).then(|| record.clone()),
            Kept::Gone(_) => None,
        })
    }

    /// Opens the store for the same database as `db` and creates its table when missing.
    pub async fn open(db: &Db) -> anyhow::Result<Self> {
        let store = match db.backend() {
            Backend::Sqlite => {
                let synchronous = match db.options().synchronous {
                    Synchronous::Full => SqliteSynchronous::Full,
                    Synchronous::Normal => SqliteSynchronous::Normal,
                };
                let options = SqliteConnectOptions::from_str(db.url())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
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
                // While PostgreSQL is away a request learns it as soon as from the app's own pool.
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                    .connect(db.url())
                    .await?;
                let store = PostgresStore::new(pool);
                store.migrate().await.context("creating the session table")?;
                Store::Postgres(store)
            }
        };
        Ok(SessionBackend::new(store, db.pool.reach.clone()))
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.within_reach().await?;
        match &self.store {
            Store::Sqlite(store) => store.create(record).await,
            Store::Postgres(store) => store.create(record).await,
        }?;
        self.remember(record.id, Some(Written::of(record)));
        self.keep_written(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let next = Written::of(record);
        let now = time::OffsetDateTime::now_utc();
        if self
            .last_written(&record.id)
            .is_some_and(|last| last.makes_unneeded(next, now))
        {
            self.keep_written(record);
            return Ok(());
        }
        self.within_reach().await?;
        match &self.store {
            Store::Sqlite(store) => store.save(record).await,
            Store::Postgres(store) => store.save(record).await,
        }?;
        self.remember(record.id, Some(next));
        self.keep_written(record);
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(kept) = self.kept(session_id) {
            return Ok(kept);
        }
        self.within_reach().await?;
        let record = match &self.store {
            Store::Sqlite(store) => store.load(session_id).await,
            Store::Postgres(store) => store.load(session_id).await,
        }?;
        if let Some(record) = &record {
            self.keep_read(*session_id, record);
        }
        Ok(record)
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.remember(*session_id, None);
        self.keep_gone(*session_id);
        self.within_reach().await?;
        match &self.store {
            Store::Sqlite(store) => store.delete(session_id).await,
            Store::Postgres(store) => store.delete(session_id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.within_reach().await?;
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

    fn sqlite_backend() -> SessionBackend {
        let pool = sqlx::SqlitePool::connect_lazy("sqlite::memory:").expect("a lazy pool");
        SessionBackend::new(Store::Sqlite(SqliteStore::new(pool)), Reach::default())
    }

    fn live(id: i64, expiry: time::OffsetDateTime) -> Record {
        Record {
            id: Id(id.into()),
            data: HashMap::new(),
            expiry_date: expiry,
        }
    }

    #[tokio::test]
    async fn on_sqlite_a_session_is_read_from_memory_until_it_expires() {
        let backend = sqlite_backend();
        let now = time::OffsetDateTime::now_utc();
        let (fresh, stale) = (
            live(1, now + time::Duration::minutes(5)),
            live(2, now - time::Duration::seconds(1)),
        );
        assert!(backend.kept(&fresh.id).is_none(), "not kept: the database is asked");
        backend.keep_written(&fresh);
        backend.keep_read(stale.id, &stale);
        assert_eq!(
            backend.kept(&fresh.id).flatten().map(|r| r.expiry_date),
            Some(fresh.expiry_date)
        );
        assert!(
            matches!(backend.kept(&stale.id), Some(None)),
            "expired: gone without asking"
        );
    }

    #[tokio::test]
    async fn a_deleted_session_is_not_brought_back_by_a_read_or_write_that_ends_after_the_delete() {
        let backend = sqlite_backend();
        let record = live(3, time::OffsetDateTime::now_utc() + time::Duration::minutes(5));
        backend.keep_written(&record);
        backend.keep_gone(record.id);
        backend.keep_read(record.id, &record);
        backend.keep_written(&record);
        assert!(matches!(backend.kept(&record.id), Some(None)));
    }

    #[tokio::test]
    async fn a_read_does_not_replace_what_was_written_meanwhile() {
        let backend = sqlite_backend();
        let now = time::OffsetDateTime::now_utc();
        let written = live(4, now + time::Duration::minutes(30));
        backend.keep_written(&written);
        backend.keep_read(written.id, &live(4, now + time::Duration::minutes(1)));
        assert_eq!(
            backend.kept(&written.id).flatten().map(|r| r.expiry_date),
            Some(written.expiry_date)
        );
    }

    #[tokio::test]
    async fn on_postgresql_every_read_goes_to_the_database() {
        let options = sqlx::postgres::PgConnectOptions::new();
        let backend = SessionBackend::new(
            Store::Postgres(PostgresStore::new(PgPoolOptions::new().connect_lazy_with(options))),
            Reach::default(),
        );
        let record = live(5, time::OffsetDateTime::now_utc() + time::Duration::minutes(5));
        backend.keep_written(&record);
        assert!(backend.kept(&record.id).is_none());
    }

    #[test]
    fn a_changed_or_shortened_session_is_always_written() {
        let last = Written::of(&record(&[("a", 1)], 1_000));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 2)], 1_001)), at(0)));
        assert!(!last.makes_unneeded(Written::of(&record(&[("a", 1)], 999)), at(0)));
    }
}
