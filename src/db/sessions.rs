//! The session store: tower-sessions-sqlx-store's SQLite or PostgreSQL store, on a native pool opened
//! from the same URL as the application's `AnyPool`, behind one type.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Backend, Db};

#[derive(Clone, Debug)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
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
                SessionBackend::Sqlite(store)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new().max_connections(4).connect(db.url()).await?;
                let store = PostgresStore::new(pool);
                store.migrate().await.context("creating the session table")?;
                SessionBackend::Postgres(store)
            }
        };
        Ok(store)
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.create(record).await,
            SessionBackend::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.save(record).await,
            SessionBackend::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite(store) => store.load(session_id).await,
            SessionBackend::Postgres(store) => store.load(session_id).await,
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.delete(session_id).await,
            SessionBackend::Postgres(store) => store.delete(session_id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(store) => store.delete_expired().await,
            SessionBackend::Postgres(store) => store.delete_expired().await,
        }
    }
}
