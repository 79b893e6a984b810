//! The database: sqlx's `AnyPool`, whose backend is chosen by the URL scheme (on SQLite, one pool of reading
//! connections and one of a single writing connection), the two migrators, and the storage types that both
//! backends can carry. Only sqlx's public API is used.

pub mod backup;
pub mod events;
mod executor;
pub mod form_ids;
pub mod insert;
pub mod jobs;
pub mod late_changes;
pub mod paging;
mod reach;
pub mod sequence;
pub mod sessions;
pub mod types;

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use futures_util::FutureExt;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use events::{Event, EventHub};
use reach::Reach;

pub use types::{Currency, Date, Flag, Money, Timestamp};

/// A transaction on either backend. It dereferences to its [`Connection`] (`&mut **tx` in repos). On SQLite a
/// write transaction runs on the one writing connection, held until it ends (see [`Db::begin_write`]).
pub struct Tx {
    conn: Connection,
    events: EventHub,
    announced: Vec<Event>,
}

impl Tx {
    /// Says what this transaction changes, for the screens that show it and the data kept for them: every open
    /// screen hears it when, and only if, the transaction commits. This is the one way a change is announced.
    pub fn announce(&mut self, event: Event) {
        if !self.announced.contains(&event) {
            self.announced.push(event);
        }
    }

    /// Commits, then tells every screen what was announced (see [`EventHub::tell`]). The other instances are
    /// told after the commit, not by a `NOTIFY` inside the transaction: a transaction that sends one holds a lock
    /// shared by the whole server from its commit's start to its end, so notifying transactions would commit one
    /// at a time.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        if let Link::Tx(tx) = self.conn.link {
            self.conn.reach.noting(tx.commit().boxed()).await?;
        }
        for event in self.announced {
            self.events.tell(event).await;
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn.link {
            Link::Tx(tx) => tx.rollback().await,
            Link::Plain(_) => Ok(()),
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
    backend: Backend,
    reach: Reach,
}

#[derive(Debug)]
enum Link {
    Plain(PoolConnection<Any>),
    Tx(Transaction<'static, Any>),
}

impl Connection {
    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// The pools of either backend, through sqlx's Any driver. `&Pool` is a sqlx executor: each query takes a
/// connection for itself. On SQLite there are two: reading connections, and one writing connection, so that
/// this process's writers queue for it on the pool (in order) instead of in SQLite's busy handler (which
/// sleeps 1, 2, 5, 10... ms between tries). A query run on `&Pool` goes to the writer when it may write (see
/// [`writes`]). On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Pool {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    reach: Reach,
}

impl Pool {
    /// The pool a query of `sql` runs on.
    fn for_sql(&self, sql: &str) -> &AnyPool {
        match self.backend == Backend::Sqlite && writes(sql) {
            true => &self.write,
            false => &self.read,
        }
    }
}

/// Whether a statement may change the database, judged by its words: anything but a `SELECT`, `VALUES`,
/// `EXPLAIN` or a `PRAGMA` that sets nothing, and a `WITH` that names no `INSERT`, `UPDATE`, `DELETE` or
/// `REPLACE`. A read taken for a write only waits for the writer; SQLite's reading connections refuse to write
/// (`query_only`), so a write can't slip through as a read.
pub fn writes(sql: &str) -> bool {
    let mut words = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or_default();
    let is = |word: &str, expected: &str| word.eq_ignore_ascii_case(expected);
    if ["SELECT", "VALUES", "EXPLAIN"].iter().any(|read| is(first, read)) {
        false
    } else if is(first, "PRAGMA") {
        sql.contains('=')
    } else if is(first, "WITH") {
        words.any(|w| {
            ["INSERT", "UPDATE", "DELETE", "REPLACE"]
                .iter()
                .any(|write| is(w, write))
        })
    } else {
        true
    }
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

    /// This backend's migrations, in order.
    pub fn migrations(self) -> &'static Migrator {
        static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
        static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
        match self {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }
}

/// When SQLite's commit returns: `Full` (the default) once the commit is on the disk, so a payment the clinic
/// saw confirmed survives a power cut or an operating system crash; `Normal` before that, in WAL mode, which is
/// faster but can lose the last transactions to a power cut (never to a crash of Sickbay alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl Synchronous {
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

impl FromStr for Synchronous {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            _ => Err(format!("unknown value {s:?}; use full or normal")),
        }
    }
}

/// How the database is opened, beside its URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// SQLite's `synchronous` (see [`Synchronous`]); PostgreSQL ignores it.
    pub synchronous: Synchronous,
}

/// Where Sickbay keeps its data unless told otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://sickbay.db";

/// How long a request waits for a PostgreSQL connection before it is told the database is unavailable. A burst
/// of more requests than the pool has connections waits its turn; a server known to be down is answered at once
/// without waiting (see [`reach`]).
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a statement waits for a SQLite connection (a reader, or its turn at the writer). The file is on
/// this machine: a wait this long means a stuck writer, not an outage.
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SQLite statement waits while another process (the command line, a backup, the session store's
/// connections) holds the file's write lock. It waits on the connection's own thread, not the runtime's.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// SQLite's reading connections.
const SQLITE_READERS: u32 = 8;

/// The application's database handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    url: String,
    options: Options,
    /// This instance's event hub: what committed transactions announce, for the live screens.
    events: EventHub,
}

impl Db {
    /// Opens the pools for `url` with the default options. A SQLite file is created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, Options::default()).await
    }

    /// Opens the pools for `url`. A SQLite file is created when missing.
    pub async fn connect_with(url: &str, options: Options) -> anyhow::Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => sqlite_url_creating_file(url),
            Backend::Postgres => url.to_owned(),
        };
        let pool = match backend {
            Backend::Sqlite => sqlite_pools(&url, options.synchronous).await,
            Backend::Postgres => postgres_pool(&url).await.map(|pool| Pool {
                read: pool.clone(),
                write: pool,
                backend,
                reach: Reach::postgres(&url),
            }),
        }
        .with_context(|| format!("could not open the database at {}", redact(&url)))?;
        let events = match backend {
            Backend::Sqlite => EventHub::default(),
            Backend::Postgres => EventHub::notifying(pool.write.clone()),
        };
        Ok(Db {
            pool,
            backend,
            url,
            options,
            events,
        })
    }

    /// The pool: `&Pool` runs one query on a connection of its own (`.fetch_all(db.pool())`).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// How many connections pages read on at once (see [`Db::conn`]).
    pub fn reading_connections(&self) -> u32 {
        self.pool.read.options().get_max_connections()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// What changed, for the live screens: subscribe to it; transactions announce to it ([`Tx::announce`]).
    pub fn events(&self) -> &EventHub {
        &self.events
    }

    /// Applies the migrations of this backend (on SQLite, on the writing connection).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.backend
            .migrations()
            .run(&self.pool.write)
            .await
            .context("migrating the database")?;
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it runs on the one writing connection, taken in turn
    /// from its pool, and takes SQLite's write lock up front (`BEGIN IMMEDIATE`), so a read followed by a write
    /// inside it can't fail with SQLITE_BUSY.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let begin = match self.backend {
            Backend::Sqlite => self.pool.write.begin_with("BEGIN IMMEDIATE").boxed(),
            Backend::Postgres => self.pool.write.begin().boxed(),
        };
        Ok(self.tx(self.pool.reach.guarding(begin).await?))
    }

    /// Takes a connection from the pool for a run of reads. On PostgreSQL sqlx pings a connection each time it
    /// goes back to the pool, a second round trip for every query run on the pool; a page's fifteen reads on
    /// one held connection save fourteen of them (seventeen trivial queries from sixteen tasks ran 3,000 times
    /// a second on the pool and 6,700 on held connections). On SQLite it is a reading connection in a read
    /// transaction, so what a page reads is one snapshot of the clinic. Hold it only while reading, and never
    /// wait for another connection meanwhile (no `&Db` call, no write, no audit that waits for its batch): when
    /// every pooled connection is held by a request waiting for one more, none comes back.
    pub async fn conn(&self) -> Result<Conn, sqlx::Error> {
        let reach = &self.pool.reach;
        let link = match self.backend {
            Backend::Sqlite => Link::Tx(reach.guarding(self.pool.read.begin().boxed()).await?),
            Backend::Postgres => Link::Plain(reach.guarding(self.pool.read.acquire().boxed()).await?),
        };
        Ok(Connection {
            link,
            backend: self.backend,
            reach: self.pool.reach.clone(),
        })
    }

    /// Begins a transaction for reads that must see one snapshot.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(self.tx(self.pool.reach.guarding(self.pool.read.begin().boxed()).await?))
    }

    fn tx(&self, tx: Transaction<'static, Any>) -> Tx {
        Tx {
            conn: Connection {
                link: Link::Tx(tx),
                backend: self.backend,
                reach: self.pool.reach.clone(),
            },
            events: self.events.clone(),
            announced: Vec::new(),
        }
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.read.close().await;
        self.pool.write.close().await;
    }
}

/// SQLite's reading connections and its one writing connection, through sqlx's driver: each connection has a
/// thread of its own where its statements run, so a long statement never holds one of the runtime's threads.
/// The writer is opened first, so the file is in WAL mode before a reader (which may not write) opens it.
async fn sqlite_pools(url: &str, synchronous: Synchronous) -> Result<Pool, sqlx::Error> {
    let options = |readers: bool| {
        let settings = sqlite_settings(synchronous, readers);
        AnyPoolOptions::new()
            .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
            // A statement on this machine's file needs no ping first; a broken connection fails its query.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let settings = settings.clone();
                Box::pin(async move {
                    for setting in settings {
                        sqlx::query(&setting).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
    };
    let write = options(false).max_connections(1).connect(url).await?;
    let read = options(true).max_connections(SQLITE_READERS).connect(url).await?;
    Ok(Pool {
        read,
        write,
        backend: Backend::Sqlite,
        reach: Reach::default(),
    })
}

/// The settings of a SQLite connection; a URL can't carry them. WAL: readers never wait for the writer.
/// Reading connections are `query_only`: a write can't run there by mistake. Reads go through the operating
/// system's page cache by memory mapping instead of a read() and a copy per page, and each connection keeps
/// more pages of its own.
fn sqlite_settings(synchronous: Synchronous, reader: bool) -> Vec<String> {
    let mut settings = vec![
        "PRAGMA journal_mode = WAL".to_owned(),
        format!("PRAGMA synchronous = {}", synchronous.as_str()),
        "PRAGMA foreign_keys = ON".to_owned(),
        format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"),
        "PRAGMA mmap_size = 268435456".to_owned(),
        "PRAGMA cache_size = -16000".to_owned(),
        "PRAGMA temp_store = MEMORY".to_owned(),
    ];
    if reader {
        settings.push("PRAGMA query_only = ON".to_owned());
    }
    settings
}

/// PostgreSQL's pool, through sqlx's Any driver.
async fn postgres_pool(url: &str) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
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

/// The row `sql` selects by the id bound as `$1`, if there is one.
pub async fn row_by_id<T>(mut db: impl Reader, sql: &str, id: i64) -> Result<Option<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql).bind(id).fetch_optional(db.exec()).await
}

/// Runs an insert that ends `RETURNING id` in the transaction and answers the new row's id.
pub async fn inserted_id(tx: &mut Tx, query: insert::AnyQuery<'_>) -> Result<i64, sqlx::Error> {
    query.fetch_one(&mut **tx).await?.try_get(0)
}

/// Runs a write in the transaction, for a change that answers nothing.
pub async fn run(tx: &mut Tx, query: insert::AnyQuery<'_>) -> Result<(), sqlx::Error> {
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Runs a conditional write in the transaction and answers whether it changed its one row: false when the
/// row is gone or no longer meets the condition (changed since it was read, or taken by someone else).
pub async fn changed_one_row(tx: &mut Tx, query: insert::AnyQuery<'_>) -> Result<bool, sqlx::Error> {
    Ok(query.execute(&mut **tx).await?.rows_affected() == 1)
}

/// The rows of the query `sql_for` writes around an [`id_list`] of `ids`; none, without asking the database,
/// for no ids (`IN ()` is not SQL).
pub async fn rows_for_ids<T>(
    mut db: impl Reader,
    ids: &[i64],
    sql_for: impl FnOnce(String) -> String,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(&sql_for(id_list(ids))).fetch_all(db.exec()).await
}

/// The rows of `sql` and the number `count_sql` counts, each with `values` bound in order: one page of a
/// filtered list and how many rows the filter lets through.
pub async fn page_and_total<T>(
    mut db: impl Reader,
    sql: &str,
    count_sql: &str,
    values: &[String],
) -> Result<(Vec<T>, i64), sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut rows = sqlx::query_as(sql);
    let mut total = sqlx::query_scalar(count_sql);
    for value in values {
        rows = rows.bind(value);
        total = total.bind(value);
    }
    let rows = rows.fetch_all(db.exec()).await?;
    Ok((rows, total.fetch_one(db.exec()).await?))
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

/// Trouble with the database itself rather than with a request: what the user is told instead of "something
/// went wrong".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// No answer: PostgreSQL is down, restarting or out of reach (no connection within the pool's timeout, a
    /// connection that broke, the server shutting down or refusing connections). Nothing was written; the same
    /// request may succeed in a moment.
    Unavailable,
    /// The disk is full (SQLite's SQLITE_FULL, PostgreSQL's disk_full): a change can't be written; reads go on.
    StorageFull,
}

/// What kind of [`Trouble`] a database error is, if any.
pub fn trouble(err: &sqlx::Error) -> Option<Trouble> {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            Some(Trouble::Unavailable)
        }
        sqlx::Error::WorkerCrashed => Some(Trouble::Unavailable),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            match code.as_ref() {
                // SQLITE_FULL; PostgreSQL's disk_full.
                "13" | "53100" => Some(Trouble::StorageFull),
                // PostgreSQL: too many connections, the server shutting down or starting up, a connection
                // exception.
                "53300" | "57P01" | "57P02" | "57P03" => Some(Trouble::Unavailable),
                code if code.starts_with("08") && code.len() == 5 => Some(Trouble::Unavailable),
                _ => None,
            }
        }
        _ => None,
    }
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Trouble::Unavailable => "the database is unavailable",
            Trouble::StorageFull => "the database's disk is full",
        })
    }
}

/// A [`Trouble`] can stand as the cause of an error where the database's own error can't be passed on (it is
/// not `Clone`): the audit rows of reads tell each waiting read what stopped their batch.
impl std::error::Error for Trouble {}

/// The [`Trouble`] behind an error, looking through its causes for a database error (or a [`Trouble`]).
pub fn trouble_in(err: &anyhow::Error) -> Option<Trouble> {
    err.chain().find_map(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(db) => trouble(db),
        None => cause.downcast_ref::<Trouble>().copied(),
    })
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
    fn statements_that_may_write_go_to_the_writer() {
        for read in [
            "SELECT 1",
            "  select id FROM staff WHERE updated_at > $1",
            "WITH t AS (SELECT 1) SELECT * FROM t",
            "VALUES (1)",
            "PRAGMA compile_options",
            "EXPLAIN QUERY PLAN SELECT 1",
        ] {
            assert!(!writes(read), "{read}");
        }
        for write in [
            "INSERT INTO job (name) VALUES ($1)",
            "update job SET n = 1",
            "DELETE FROM x",
            "WITH t AS (SELECT 1) INSERT INTO x SELECT * FROM t",
            "CREATE TABLE x (id BIGINT)",
            "PRAGMA max_page_count = 10",
            "VACUUM",
            "",
        ] {
            assert!(writes(write), "{write}");
        }
    }

    #[test]
    fn synchronous_reads_full_or_normal() {
        assert_eq!("full".parse::<Synchronous>(), Ok(Synchronous::Full));
        assert_eq!("NORMAL".parse::<Synchronous>(), Ok(Synchronous::Normal));
        assert!("off".parse::<Synchronous>().is_err());
        assert_eq!(Options::default().synchronous, Synchronous::Full);
    }

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
