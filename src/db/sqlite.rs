//! SQLite run on the task that asks, without sqlx's worker threads.
//!
//! sqlx's SQLite driver gives each connection a thread of its own: every statement is sent to that thread and
//! every row comes back from it as a message, so a query costs at least two thread wake-ups and each row one
//! more. Under load on two cores that switching was a third to a half of a page's time (README, "Page
//! speed", footnote 17). Here a statement runs on the calling task with rusqlite, on the same bundled SQLite,
//! and its rows are handed over as sqlx's `AnyRow`: the repos keep writing `sqlx::query(...).fetch_all(...)`
//! against [`super::Reader`], and PostgreSQL keeps sqlx's driver.
//!
//! Nothing here waits inside SQLite, which would hold one of the runtime's threads:
//! - One connection writes, behind an async lock ([`Pool::writer`]); a write transaction holds it from
//!   `BEGIN IMMEDIATE` to its end, and a write sent to a reading connection outside a transaction is run on
//!   the writer. So this process's writers queue on the lock, never on SQLite's.
//! - Connections have no busy timeout: when another process (a backup, the command line, the session store)
//!   holds SQLite's lock, the statement is tried again after an async sleep, for up to [`BUSY_WAIT`].
//! - In WAL mode readers never wait for the writer.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, Statement};
use sqlx::any::{Any, AnyQueryResult, AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::{Describe, Either, Error, Execute, Executor};
use sqlx_core::any::{AnyColumn, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// Reading connections; the writer is one more.
const READERS: usize = 8;
/// How long a statement waits for a connection, as sqlx's pool did.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a statement keeps trying while another process holds SQLite's lock (SQLite's busy timeout was
/// this long).
const BUSY_WAIT: Duration = Duration::from_secs(10);
/// Statements each connection keeps prepared (sqlx kept 100; pages here use more distinct ones).
const CACHED_STATEMENTS: usize = 256;

/// The settings of every connection. A URL can't carry them. Connections wait for no lock inside SQLite
/// (`busy_timeout = 0`): see the module's comment.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 0;
    PRAGMA mmap_size = 268435456;
    PRAGMA cache_size = -16000;
    PRAGMA temp_store = MEMORY;";

/// The connections to one SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    path: String,
    flags: OpenFlags,
    idle: StdMutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    writer: Arc<Mutex<Connection>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("sqlite::Pool").field("path", &self.shared.path).finish()
    }
}

impl Pool {
    /// Opens the file of a `sqlite://` URL (`mode=ro`, `rw` and `rwc` are understood) and its writer.
    pub fn open(url: &str) -> Result<Self, Error> {
        let (path, flags) = path_and_flags(url)?;
        let writer = open(&path, flags)?;
        if !flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
            attach_side_file(&writer, &path)?;
        }
        Ok(Pool {
            shared: Arc::new(Shared {
                path,
                flags,
                idle: StdMutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(READERS)),
                writer: Arc::new(Mutex::new(writer)),
            }),
        })
    }

    /// A reading connection, for a run of reads or a read transaction.
    pub async fn reader(&self) -> Result<Conn, Error> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(&self.shared.permits).acquire_owned())
            .await
            .map_err(|_| Error::PoolTimedOut)?
            .map_err(|_| Error::PoolClosed)?;
        let idle = self.shared.idle.lock().map_err(|_| Error::PoolClosed)?.pop();
        let connection = match idle {
            Some(connection) => connection,
            None => open(&self.shared.path, self.shared.flags)?,
        };
        Ok(Conn {
            held: Held::Reader {
                connection: Some(connection),
                pool: self.clone(),
                _permit: permit,
            },
        })
    }

    /// The writing connection, once no other task holds it.
    pub async fn writer(&self) -> Conn {
        Conn {
            held: Held::Writer(Arc::clone(&self.shared.writer).lock_owned().await),
        }
    }

    /// Closes the idle connections; new readers can no longer be taken.
    pub fn close(&self) {
        self.shared.permits.close();
        if let Ok(mut idle) = self.shared.idle.lock() {
            idle.clear();
        }
    }

    /// Runs one statement on a reader, or on the writer when it writes.
    async fn run(&self, query: Query<'_>) -> Result<Answer, Error> {
        let mut reader = self.reader().await?;
        match reader.try_run(&query) {
            Ok(answer) => Ok(answer),
            Err(Refused::Writes) => {
                // Let the reader go before waiting for the writer, so no task holds one while it waits.
                drop(reader);
                self.writer().await.run(query).await
            }
            Err(Refused::Busy(_)) => reader.run(query).await,
            Err(Refused::Failed(error)) => Err(error),
        }
    }
}

/// A connection taken from the pool: a reader, or the writer.
pub struct Conn {
    held: Held,
}

enum Held {
    Reader {
        connection: Option<Connection>,
        pool: Pool,
        _permit: OwnedSemaphorePermit,
    },
    Writer(OwnedMutexGuard<Connection>),
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.held {
            Held::Reader { .. } => "reader",
            Held::Writer(_) => "writer",
        };
        f.debug_struct("sqlite::Conn").field("kind", &kind).finish()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Reader { connection, pool, .. } => {
                let Some(connection) = connection.take() else {
                    return;
                };
                if end_transaction(&connection)
                    && let Ok(mut idle) = pool.shared.idle.lock()
                {
                    idle.push(connection);
                }
            }
            Held::Writer(connection) => {
                end_transaction(connection);
            }
        }
    }
}

/// Rolls back a transaction left open (its task was cancelled, or it ended in an error); whether the
/// connection can be used again.
fn end_transaction(connection: &Connection) -> bool {
    connection.is_autocommit() || connection.execute_batch("ROLLBACK").is_ok()
}

impl Conn {
    fn connection(&self) -> Option<&Connection> {
        match &self.held {
            Held::Reader { connection, .. } => connection.as_ref(),
            Held::Writer(connection) => Some(connection),
        }
    }

    /// Runs one statement. A reader hands a write to the writer when it is outside a transaction. While
    /// another process holds SQLite's lock, it tries again after a pause.
    pub async fn run(&mut self, query: Query<'_>) -> Result<Answer, Error> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match self.try_run(&query) {
                Ok(answer) => return Ok(answer),
                Err(Refused::Writes) => {
                    let pool = match &self.held {
                        Held::Reader { pool, .. } => pool.clone(),
                        Held::Writer(_) => return Err(Error::PoolClosed),
                    };
                    let mut writer = pool.writer().await;
                    return Box::pin(writer.run(query)).await;
                }
                Err(Refused::Busy(_)) if started.elapsed() < BUSY_WAIT => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(Refused::Busy(error) | Refused::Failed(error)) => return Err(error),
            }
        }
    }

    /// Runs `BEGIN` (or the statement given) on this connection.
    pub async fn begin(&mut self, statement: &'static str) -> Result<(), Error> {
        self.run(Query::plain(statement)).await.map(drop)
    }

    pub async fn commit(&mut self) -> Result<(), Error> {
        self.run(Query::plain("COMMIT")).await.map(drop)
    }

    pub async fn rollback(&mut self) -> Result<(), Error> {
        self.run(Query::plain("ROLLBACK")).await.map(drop)
    }

    fn try_run(&self, query: &Query<'_>) -> Result<Answer, Refused> {
        let connection = self.connection().ok_or(Refused::Failed(Error::PoolClosed))?;
        let may_write = matches!(self.held, Held::Writer(_));
        let statement = match query.persistent {
            true => connection.prepare_cached(query.sql).map(Prepared::Cached),
            false => connection.prepare(query.sql).map(Prepared::Once),
        };
        let mut statement = statement.map_err(refusal)?;
        let statement = statement.get();
        if !may_write && !statement.readonly() {
            return match connection.is_autocommit() {
                true => Err(Refused::Writes),
                false => Err(Refused::Failed(Error::Protocol(format!(
                    "a write inside a read transaction: {}",
                    query.sql
                )))),
            };
        }
        bind(statement, &query.arguments)?;
        let answer = rows_of(statement, query.most)?;
        let rows_affected = match statement.readonly() {
            true => 0,
            false => connection.changes(),
        };
        Ok(Answer {
            rows_affected,
            ..answer
        })
    }
}

/// A statement with its arguments.
pub struct Query<'q> {
    sql: &'q str,
    arguments: Vec<AnyValueKind<'q>>,
    persistent: bool,
    /// The most rows wanted (`fetch_optional` wants one).
    most: Option<usize>,
}

impl<'q> Query<'q> {
    fn plain(sql: &'q str) -> Self {
        Query {
            sql,
            arguments: Vec::new(),
            persistent: false,
            most: None,
        }
    }

    fn of<E: Execute<'q, Any>>(mut query: E, most: Option<usize>) -> Result<Self, Error> {
        let arguments = query.take_arguments().map_err(Error::Encode)?;
        Ok(Query {
            sql: query.sql(),
            // As sqlx does: a statement without arguments is not kept prepared.
            persistent: query.persistent() && arguments.is_some(),
            arguments: arguments.map(|a| a.values.0).unwrap_or_default(),
            most,
        })
    }
}

/// What a statement gave: its rows and the number of rows it changed.
pub struct Answer {
    rows: Vec<AnyRow>,
    rows_affected: u64,
}

enum Refused {
    /// A write on a reading connection.
    Writes,
    /// Another connection holds the lock the statement needs.
    Busy(Error),
    Failed(Error),
}

enum Prepared<'c> {
    Cached(rusqlite::CachedStatement<'c>),
    Once(Statement<'c>),
}

impl<'c> Prepared<'c> {
    fn get(&mut self) -> &mut Statement<'c> {
        match self {
            Prepared::Cached(statement) => statement,
            Prepared::Once(statement) => statement,
        }
    }
}

/// Binds the arguments to the statement's parameters: `$N` and `?N` by their number, `?` by position.
fn bind(statement: &mut Statement<'_>, arguments: &[AnyValueKind<'_>]) -> Result<(), Refused> {
    for index in 1..=statement.parameter_count() {
        let position = match statement.parameter_name(index) {
            Some(name) => name
                .get(1..)
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| Refused::Failed(Error::Protocol(format!("unsupported parameter {name}"))))?,
            None => index,
        };
        let value = position
            .checked_sub(1)
            .and_then(|i| arguments.get(i))
            .ok_or_else(|| Refused::Failed(Error::Protocol(format!("no value for parameter {position}"))))?;
        let bound = match value {
            AnyValueKind::Null(_) => statement.raw_bind_parameter(index, rusqlite::types::Null),
            AnyValueKind::Bool(b) => statement.raw_bind_parameter(index, i64::from(*b)),
            AnyValueKind::SmallInt(i) => statement.raw_bind_parameter(index, i64::from(*i)),
            AnyValueKind::Integer(i) => statement.raw_bind_parameter(index, i64::from(*i)),
            AnyValueKind::BigInt(i) => statement.raw_bind_parameter(index, *i),
            AnyValueKind::Real(r) => statement.raw_bind_parameter(index, f64::from(*r)),
            AnyValueKind::Double(d) => statement.raw_bind_parameter(index, *d),
            AnyValueKind::Text(text) => statement.raw_bind_parameter(index, text.as_ref()),
            AnyValueKind::Blob(blob) => statement.raw_bind_parameter(index, blob.as_ref()),
            other => {
                return Err(Refused::Failed(Error::Protocol(format!(
                    "unsupported argument {other:?}"
                ))));
            }
        };
        bound.map_err(refusal)?;
    }
    Ok(())
}

/// Steps the statement to its end (a write completes), keeping at most `most` rows.
fn rows_of(statement: &mut Statement<'_>, most: Option<usize>) -> Result<Answer, Refused> {
    let count = statement.column_count();
    let columns: Vec<AnyColumn> = (0..count)
        .map(|ordinal| AnyColumn {
            ordinal,
            name: UStr::new(statement.column_name(ordinal).unwrap_or_default()),
            type_info: AnyTypeInfo {
                kind: AnyTypeInfoKind::Null,
            },
        })
        .collect();
    let names = Arc::new(columns.iter().map(|c| (c.name.clone(), c.ordinal)).collect());
    let reads_only = statement.readonly();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(refusal)? {
        if most.is_some_and(|most| out.len() >= most) {
            if reads_only {
                break;
            }
            continue;
        }
        let mut values = Vec::with_capacity(count);
        for index in 0..count {
            values.push(AnyValue {
                kind: value_of(row.get_ref(index).map_err(refusal)?)?,
            });
        }
        out.push(AnyRow {
            column_names: Arc::clone(&names),
            columns: columns.clone(),
            values,
        });
    }
    Ok(Answer {
        rows: out,
        rows_affected: 0,
    })
}

/// A value as sqlx's SQLite driver gives it to the Any driver: by the type SQLite stored, not the column's.
fn value_of(value: ValueRef<'_>) -> Result<AnyValueKind<'static>, Refused> {
    Ok(match value {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(r) => AnyValueKind::Double(r),
        ValueRef::Text(text) => AnyValueKind::Text(Cow::Owned(
            std::str::from_utf8(text)
                .map_err(|e| Refused::Failed(Error::Decode(Box::new(e))))?
                .to_owned(),
        )),
        ValueRef::Blob(blob) => AnyValueKind::Blob(Cow::Owned(blob.to_vec())),
    })
}

fn refusal(error: rusqlite::Error) -> Refused {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let error = Error::Database(Box::new(Failure {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }));
            match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Refused::Busy(error),
                _ => Refused::Failed(error),
            }
        }
        other => Refused::Failed(Error::AnyDriverError(Box::new(other))),
    }
}

fn open(path: &str, flags: OpenFlags) -> Result<Connection, Error> {
    let connection = Connection::open_with_flags(path, flags).map_err(|e| match refusal(e) {
        Refused::Busy(error) | Refused::Failed(error) => error,
        Refused::Writes => Error::PoolClosed,
    })?;
    connection.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
    connection.execute_batch(PRAGMAS).map_err(|e| match refusal(e) {
        Refused::Busy(error) | Refused::Failed(error) => error,
        Refused::Writes => Error::PoolClosed,
    })?;
    Ok(connection)
}

/// Attaches the side file (`<file>-reads`) to the writer as [`SIDE`]. Rows written often and read rarely (the
/// audit rows of reads) wait there: every commit to the main file makes every reading connection drop its page
/// cache (and unmap and map again what it had memory-mapped), and a commit to the side file does not, because
/// readers never attach it. Its owner creates its tables and moves its rows into the main file.
fn attach_side_file(writer: &Connection, path: &str) -> Result<(), Error> {
    let attach = || -> rusqlite::Result<()> {
        writer.execute(&format!("ATTACH DATABASE ?1 AS {SIDE}"), [format!("{path}-reads")])?;
        writer.execute_batch(&format!(
            "PRAGMA {SIDE}.journal_mode = WAL; PRAGMA {SIDE}.synchronous = NORMAL;"
        ))
    };
    attach().map_err(failure)
}

/// A rusqlite error as sqlx's, whatever kind of refusal it was.
fn failure(error: rusqlite::Error) -> Error {
    match refusal(error) {
        Refused::Busy(error) | Refused::Failed(error) => error,
        Refused::Writes => Error::PoolClosed,
    }
}

/// The schema name of the side file on the writing connection (see [`attach_side_file`]).
pub const SIDE: &str = "reads";

/// The file and the open mode of a `sqlite://` URL.
fn path_and_flags(url: &str) -> Result<(String, OpenFlags), Error> {
    let path =
        super::sqlite_path(url).ok_or_else(|| Error::Configuration(format!("not a SQLite URL: {url}").into()))?;
    if path.is_empty() || path.contains(":memory:") {
        return Err(Error::Configuration(
            "Sickbay needs a SQLite file, not an in-memory database".into(),
        ));
    }
    let mode = url
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("mode="));
    let base = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let flags = match mode {
        Some("ro") => base | OpenFlags::SQLITE_OPEN_READ_ONLY,
        Some("rw") => base | OpenFlags::SQLITE_OPEN_READ_WRITE,
        _ => base | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    };
    Ok((path.to_owned(), flags))
}

/// An error SQLite returned, as sqlx's SQLite driver reports it (the extended code, SQLite's message).
#[derive(Debug)]
struct Failure {
    code: i32,
    message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for Failure {}

impl DatabaseError for Failure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// The rows and the count of changed rows as sqlx's `fetch_many` streams them.
fn stream_of<'e>(answer: Result<Answer, Error>) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>> {
    let items: Vec<Result<Either<AnyQueryResult, AnyRow>, Error>> = match answer {
        Ok(Answer { rows, rows_affected }) => rows
            .into_iter()
            .map(|row| Ok(Either::Right(row)))
            .chain(std::iter::once(Ok(Either::Left(AnyQueryResult {
                rows_affected,
                last_insert_id: None,
            }))))
            .collect(),
        Err(error) => vec![Err(error)],
    };
    stream::iter(items).boxed()
}

fn unsupported<'e, T: Send + 'e>(what: &str) -> BoxFuture<'e, Result<T, Error>> {
    let error = Error::Protocol(format!("{what} is not supported on SQLite here"));
    Box::pin(async move { Err(error) })
}

/// sqlx's `Executor` for a receiver with a `run(query)`: a held connection, or the pool (which picks a
/// reader, or the writer for a write).
macro_rules! executor {
    ($receiver:ty) => {
        impl<'c> Executor<'c> for $receiver {
            type Database = Any;

            fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
            where
                'c: 'e,
                E: 'q + Execute<'q, Any>,
            {
                let query = Query::of(query, None);
                stream::once(async move {
                    match query {
                        Ok(query) => stream_of(self.run(query).await),
                        Err(error) => stream_of(Err(error)),
                    }
                })
                .flatten()
                .boxed()
            }

            fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
            where
                'c: 'e,
                E: 'q + Execute<'q, Any>,
            {
                let query = Query::of(query, Some(1));
                Box::pin(async move { Ok(self.run(query?).await?.rows.into_iter().next()) })
            }

            fn prepare_with<'e, 'q: 'e>(
                self,
                _sql: &'q str,
                _parameters: &'e [AnyTypeInfo],
            ) -> BoxFuture<'e, Result<sqlx::any::AnyStatement<'q>, Error>>
            where
                'c: 'e,
            {
                unsupported("preparing a statement apart")
            }

            fn describe<'e, 'q: 'e>(self, _sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
            where
                'c: 'e,
            {
                unsupported("describing a statement")
            }
        }
    };
}

executor!(&'c mut Conn);
executor!(&'c Pool);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_its_file_and_mode() {
        let Ok((path, flags)) = path_and_flags("sqlite://data/x.db?mode=rwc") else {
            panic!("a file URL");
        };
        assert_eq!(path, "data/x.db");
        assert!(flags.contains(OpenFlags::SQLITE_OPEN_CREATE));
        let Ok((_, flags)) = path_and_flags("sqlite://x.db?mode=ro") else {
            panic!("a read-only URL");
        };
        assert!(flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY));
        assert!(path_and_flags("sqlite::memory:").is_err());
    }
}
