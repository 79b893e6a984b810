//! The database: one `AnyPool` whose backend is chosen by the URL scheme, the two migrators, and the
//! storage types that both backends can carry.

pub mod events;
mod executor;
pub mod insert;
pub mod jobs;
pub mod once;
pub mod sequence;
pub mod sessions;
pub mod sqlite;
pub mod summary;
pub mod types;

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Executor, Transaction};

pub use types::{Currency, Date, Flag, Money, Timestamp};

/// A transaction on either backend. It dereferences to its [`Connection`] (`&mut **tx` in repos). On SQLite a
/// write transaction runs on the one writing connection, held until it ends (see [`Db::begin_write`]).
pub struct Tx {
    conn: Connection,
}

impl Tx {
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        match self.conn.link {
            Link::Sqlite(ref mut conn) => conn.commit().await,
            Link::PostgresTx(tx) => tx.commit().await,
            Link::Postgres(_) => Ok(()),
        }
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        match self.conn.link {
            Link::Sqlite(ref mut conn) => conn.rollback().await,
            Link::PostgresTx(tx) => tx.rollback().await,
            Link::Postgres(_) => Ok(()),
        }
    }
}

impl Deref for Tx {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Where reads run: the pool (`&Db`, one checkout for each query), a connection held for a run of reads
/// ([`Conn`]), or a transaction (`&mut Tx`). A repo or service read takes `db: impl Reader` and runs each query
/// on `db.exec()`; a function that passes it on passes `&mut db`.
pub trait Reader: Send {
    fn exec(&mut self) -> impl Executor<'_, Database = Any>;
}

impl Reader for &Db {
    fn exec(&mut self) -> impl Executor<'_, Database = Any> {
        &self.pool
    }
}

impl Reader for Connection {
    fn exec(&mut self) -> impl Executor<'_, Database = Any> {
        self
    }
}

impl Reader for Tx {
    fn exec(&mut self) -> impl Executor<'_, Database = Any> {
        &mut **self
    }
}

impl<R: Reader + ?Sized> Reader for &mut R {
    fn exec(&mut self) -> impl Executor<'_, Database = Any> {
        (**self).exec()
    }
}

/// A connection taken from the pool and held for a page's run of reads (see [`Db::conn`]).
pub type Conn = Connection;

/// A connection of either backend: what a transaction runs on and what a page holds for its reads. `&mut`
/// of it is a sqlx executor.
#[derive(Debug)]
pub struct Connection {
    link: Link,
}

#[derive(Debug)]
enum Link {
    Sqlite(sqlite::Conn),
    Postgres(PoolConnection<Any>),
    PostgresTx(Transaction<'static, Any>),
}

impl Connection {
    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self.link {
            Link::Sqlite(_) => Backend::Sqlite,
            Link::Postgres(_) | Link::PostgresTx(_) => Backend::Postgres,
        }
    }
}

/// The pool of either backend. `&Pool` is a sqlx executor: each query takes a connection for itself.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(sqlite::Pool),
    Postgres(AnyPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://, got {url:?}")
        }
    }
}

/// The application's database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    url: String,
}

impl Db {
    /// Opens a pool for `url`. A SQLite file is created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => sqlite_url_creating_file(url),
            Backend::Postgres => url.to_owned(),
        };
        let pool = match backend {
            Backend::Sqlite => sqlite::Pool::open(&url).map(Pool::Sqlite),
            Backend::Postgres => postgres_pool(&url).await.map(Pool::Postgres),
        }
        .with_context(|| format!("could not open the database at {}", redact(&url)))?;
        Ok(Db { pool, backend, url })
    }

    /// The pool: `&Pool` runs one query on a connection of its own (`.fetch_all(db.pool())`).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Applies the migrations of this backend. On SQLite they run on a sqlx connection of their own, which
    /// waits for the file's lock like the rest of sqlx (another process may hold it).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Sqlite(_) => {
                let mut conn = AnyConnection::connect(&self.url)
                    .await
                    .with_context(|| format!("could not open the database at {}", redact(&self.url)))?;
                sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut conn).await?;
                sqlx::migrate!("migrations/sqlite")
                    .run(&mut conn)
                    .await
                    .context("migrating the database")?;
                conn.close().await?;
            }
            Pool::Postgres(pool) => {
                sqlx::migrate!("migrations/postgres")
                    .run(pool)
                    .await
                    .context("migrating the database")?;
            }
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it runs on the one writing connection, taken once no
    /// other task holds it, and takes SQLite's write lock up front (`BEGIN IMMEDIATE`), so a read followed by
    /// a write inside it can't fail with SQLITE_BUSY. This process's writers queue on that async lock:
    /// SQLite's busy handler waits by sleeping 1, 2, 5, 10... ms between tries, so sixteen writers contending
    /// through it spent most of their time asleep.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.writer().await;
                conn.begin("BEGIN IMMEDIATE").await?;
                Ok(Tx {
                    conn: Connection {
                        link: Link::Sqlite(conn),
                    },
                })
            }
            Pool::Postgres(_) => self.begin_read().await,
        }
    }

    /// Takes a connection from the pool for a run of reads. On PostgreSQL sqlx pings a connection each time it
    /// goes back to the pool, a second round trip for every query run on the pool; a page's fifteen reads on
    /// one held connection save fourteen of them (seventeen trivial queries from sixteen tasks ran 3,000 times
    /// a second on the pool and 6,700 on held connections). Hold it only while reading, and never wait for
    /// another connection meanwhile (no `&Db` call, no write, no audit that waits for its batch): when every
    /// pooled connection is held by a request waiting for one more, none comes back.
    pub async fn conn(&self) -> Result<Conn, sqlx::Error> {
        let link = match &self.pool {
            Pool::Sqlite(pool) => Link::Sqlite(sqlite_snapshot(pool).await?),
            Pool::Postgres(pool) => Link::Postgres(pool.acquire().await?),
        };
        Ok(Connection { link })
    }

    /// Begins a transaction for reads that must see one snapshot.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        let link = match &self.pool {
            Pool::Sqlite(pool) => Link::Sqlite(sqlite_snapshot(pool).await?),
            Pool::Postgres(pool) => Link::PostgresTx(pool.begin().await?),
        };
        Ok(Tx {
            conn: Connection { link },
        })
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close(),
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// A SQLite reading connection in a read transaction: what it reads is one snapshot of the clinic.
async fn sqlite_snapshot(pool: &sqlite::Pool) -> Result<sqlite::Conn, sqlx::Error> {
    let mut conn = pool.reader().await?;
    conn.begin("BEGIN").await?;
    Ok(conn)
}

/// PostgreSQL's pool, through sqlx's Any driver.
async fn postgres_pool(url: &str) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        // A ping before every checkout is a round trip on every query; a connection that broke fails its
        // query and is dropped instead.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for setting in POSTGRES_SETTINGS {
                    sqlx::query(setting).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// PostgreSQL's planner prices a random page read at four sequential ones by default, the cost of a spinning
/// disk. A clinic's database is small enough to be held in memory (or sits on an SSD), where the two cost
/// about the same; at 4 the planner scanned all 50,000 patients to join the 845 a search found, three times
/// slower than looking each one up by its key.
const POSTGRES_SETTINGS: &[&str] = &["SET random_page_cost = 1.1"];

/// `sqlite://file.db` opens read-write but fails when the file is missing; `mode=rwc` creates it.
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The URL without a password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Ids written into SQL as a list (`1,2,3`) for `IN (...)`: they are integers, so nothing can be injected.
/// Such a query stays a prepared statement (sqlx's default): a page viewed again writes the same list and
/// finds its statement in the connection's cache. Run unprepared (`persistent(false)`), the chart and the
/// consultation screen lost a quarter to a third of their speed on PostgreSQL (2026-11-25).
pub fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `LIMIT n`, written into a query rather than bound. PostgreSQL plans a prepared statement once when a plan
/// made without its parameters' values costs no more than plans made with them; with the limit a parameter,
/// it cannot know that a query stops after a few rows, so it planned some statements again on every
/// execution: the audit log's latest entries spent 0.6 ms planning for 0.15 ms of reading (2026-11-25). The
/// number is an integer, so nothing can be injected.
pub fn limit(n: i64) -> String {
    format!("LIMIT {n}")
}

/// Words of the code's own (`'static`, never input) quoted for an SQL `IN (...)` list: `'a', 'b'`.
pub fn word_list(words: impl IntoIterator<Item = &'static str>) -> String {
    words
        .into_iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file path of a `sqlite://` URL (without its query string).
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// Whether a database error is a unique-constraint violation (the same answer on both backends).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether a database error is a foreign-key violation (the same answer on both backends).
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// The name of the unique index a unique violation broke, so the message can go beside the right field.
/// PostgreSQL names it as the constraint; SQLite only in the message, as
/// `UNIQUE constraint failed: index 'faculty_name_key'` (for indexes over expressions such as `LOWER(name)`).
/// Whether the database ended the transaction to settle a conflict with a concurrent one: PostgreSQL's deadlock
/// (40P01) or serialization failure (40001). Nothing of it was written, and doing it again may succeed. Two
/// conditional updates can deadlock on PostgreSQL without taking rows in opposite orders: under READ COMMITTED an
/// UPDATE that finds a row changed by a concurrent transaction locks the new version before checking it again,
/// and keeps that lock even when the row no longer matches.
pub fn lost_to_a_concurrent_change(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    matches!(db.code().as_deref(), Some("40P01" | "40001"))
}

pub fn violated_unique_index(err: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    if let Some(name) = db.constraint() {
        return Some(name.to_owned());
    }
    let message = db.message();
    let start = message.find("index '")? + "index '".len();
    let len = message[start..].find('\'')?;
    Some(message[start..start + len].to_owned())
}

impl FromStr for Backend {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Backend::from_url(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_list_quotes_each_word_for_an_in_list() {
        assert_eq!(word_list(["issued", "partly_paid"]), "'issued', 'partly_paid'");
        assert_eq!(word_list([]), "");
    }

    #[test]
    fn sqlite_urls_get_create_mode_once() {
        assert_eq!(sqlite_url_creating_file("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }

    #[test]
    fn sqlite_path_strips_scheme_and_query() {
        assert_eq!(sqlite_path("sqlite://data/x.db?mode=rwc"), Some("data/x.db"));
        assert_eq!(sqlite_path("sqlite:x.db"), Some("x.db"));
        assert_eq!(sqlite_path("postgres://h/db"), None);
    }

    #[test]
    fn backend_comes_from_scheme() {
        assert_eq!(Backend::from_url("sqlite://x").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgresql://h/d").ok(), Some(Backend::Postgres));
        assert!(Backend::from_url("mysql://h/d").is_err());
    }

    #[test]
    fn redact_hides_password() {
        assert_eq!(redact("postgres://u:secret@h/d"), "postgres://u:****@h/d");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
