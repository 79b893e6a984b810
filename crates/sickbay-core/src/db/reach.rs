//! Whether PostgreSQL is within reach. A busy pool and a server that is down both leave a request waiting for
//! a connection, and only the second should be answered "the database is unavailable" at once: a burst of more
//! requests than the pool has connections waits its turn (up to [`super::POSTGRES_ACQUIRE_TIMEOUT`]). When a
//! statement fails because the server may have gone away (a broken connection, a server shutting down, no
//! connection in time), a probe tries to connect, and for as long as it can't, every request is answered at once
//! instead of waiting for a connection that would be refused again and again. The first probe that connects
//! ends it; a probe that connects at once (the pool was only busy) changes nothing. Until a new probe's first
//! try has its answer (at most [`PROBE_TIMEOUT`]), a request waits for it rather than for a connection: without
//! that, the requests right behind the first failure waited the whole acquire timeout. SQLite's file is on this
//! machine and has no such state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::future::{self, BoxFuture, FutureExt};
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::AnyConnection;
use sqlx::Connection as _;
use tokio::sync::watch;

/// How long a probe waits for the server to answer, and how long it waits between two tries.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// A database's reachability; clones share it. Inert on SQLite.
#[derive(Clone, Debug, Default)]
pub struct Reach(Option<Arc<State>>);

#[derive(Debug)]
struct State {
    url: String,
    /// A probe is under way.
    probing: AtomicBool,
    /// The last probe failed: requests are answered at once.
    lost: AtomicBool,
    /// A probe has started and its first try has no answer yet.
    first_try_pending: watch::Sender<bool>,
}

impl Reach {
    /// The reachability of the PostgreSQL server at `url`.
    pub fn postgres(url: &str) -> Self {
        Reach(Some(Arc::new(State {
            url: url.to_owned(),
            probing: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            first_try_pending: watch::Sender::new(false),
        })))
    }

    /// An error at once while the server is known to be out of reach (once a new probe's first try has its
    /// answer).
    pub async fn check(&self) -> Result<(), sqlx::Error> {
        let Some(state) = &self.0 else {
            return Ok(());
        };
        // Every statement passes here: only a probe's first try, rarely under way, is waited for.
        if *state.first_try_pending.borrow() {
            let mut pending = state.first_try_pending.subscribe();
            // The probe's try is bounded by PROBE_TIMEOUT; the margin covers its task being scheduled late.
            let _ = tokio::time::timeout(PROBE_TIMEOUT * 2, pending.wait_for(|pending| !pending)).await;
        }
        match state.lost.load(Ordering::Acquire) {
            true => Err(out_of_reach()),
            false => Ok(()),
        }
    }

    /// Notes what a statement or a checkout ended with: an error that may mean the server went away starts a
    /// probe, unless one is under way.
    pub fn note<T>(&self, result: &Result<T, sqlx::Error>) {
        let (Some(state), Err(err)) = (&self.0, result) else {
            return;
        };
        if may_have_gone(err) && !state.probing.swap(true, Ordering::AcqRel) {
            state.first_try_pending.send_replace(true);
            tokio::spawn(probe(Arc::downgrade(state)));
        }
    }

    /// `work` (on a connection already held), with what it ends with noted.
    pub fn noting<'e, T: Send + 'e>(
        &self,
        work: BoxFuture<'e, Result<T, sqlx::Error>>,
    ) -> BoxFuture<'e, Result<T, sqlx::Error>> {
        let reach = self.clone();
        work.inspect(move |done| reach.note(done)).boxed()
    }

    /// `work` (one that takes a connection), with what it ends with noted; an error at once, without running it,
    /// while the server is known to be out of reach.
    pub fn guarding<'e, T: Send + 'e>(
        &self,
        work: BoxFuture<'e, Result<T, sqlx::Error>>,
    ) -> BoxFuture<'e, Result<T, sqlx::Error>> {
        let reach = self.clone();
        async move {
            reach.check().await?;
            reach.noting(work).await
        }
        .boxed()
    }

    /// `rows` (read on a connection already held), each noted.
    pub fn noting_rows<'e, T: Send + 'e>(
        &self,
        rows: BoxStream<'e, Result<T, sqlx::Error>>,
    ) -> BoxStream<'e, Result<T, sqlx::Error>> {
        let reach = self.clone();
        rows.inspect(move |row| reach.note(row)).boxed()
    }

    /// `rows` (read on a connection of their own), each noted; an error at once, without reading them, while the
    /// server is known to be out of reach.
    pub fn guarding_rows<'e, T: Send + 'e>(
        &self,
        rows: BoxStream<'e, Result<T, sqlx::Error>>,
    ) -> BoxStream<'e, Result<T, sqlx::Error>> {
        let reach = self.clone();
        stream::once(async move {
            match reach.check().await {
                Ok(()) => reach.noting_rows(rows),
                Err(err) => stream::once(future::ready(Err(err))).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

/// Tries to connect until a try succeeds (or the database is closed), marking the server lost meanwhile.
async fn probe(state: Weak<State>) {
    loop {
        let Some(url) = state.upgrade().map(|state| state.url.clone()) else {
            return;
        };
        let connected = match tokio::time::timeout(PROBE_TIMEOUT, AnyConnection::connect(&url)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                true
            }
            _ => false,
        };
        let Some(state) = state.upgrade() else {
            return;
        };
        state.lost.store(!connected, Ordering::Release);
        state.first_try_pending.send_replace(false);
        if connected {
            state.probing.store(false, Ordering::Release);
            return;
        }
        drop(state);
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// The error of a request answered while the server is out of reach.
fn out_of_reach() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "PostgreSQL is out of reach",
    ))
}

/// Whether `err` may mean the server went away (the connection broke, the server is shutting down or refused
/// the connection, no connection came in time), not that a statement was wrong.
fn may_have_gone(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| matches!(code.as_ref(), "57P01" | "57P02" | "57P03") || code.starts_with("08")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reachability of a PostgreSQL address where nothing listens.
    fn nothing_listening() -> Reach {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        drop(listener);
        sqlx::any::install_default_drivers();
        Reach::postgres(&format!("postgres://nobody@127.0.0.1:{port}/none"))
    }

    #[tokio::test]
    async fn a_broken_connection_to_a_server_that_refuses_new_ones_makes_it_lost() {
        let reach = nothing_listening();

        reach.note::<()>(&Err(sqlx::Error::RowNotFound));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            reach.check().await.is_ok(),
            "a statement's own error says nothing of the server"
        );

        reach.note::<()>(&Err(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into())));
        let lost = async {
            while reach.check().await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), lost)
            .await
            .expect("the probe found nothing listening");
        assert!(matches!(reach.check().await, Err(sqlx::Error::Io(_))));
    }

    #[tokio::test]
    async fn a_request_right_behind_the_first_failure_waits_for_the_probes_answer() {
        let reach = nothing_listening();

        reach.note::<()>(&Err(sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into())));
        assert!(
            matches!(reach.check().await, Err(sqlx::Error::Io(_))),
            "the next request is answered by the probe's first try, not sent to wait for a connection"
        );
    }

    #[tokio::test]
    async fn sqlite_is_never_out_of_reach() {
        let reach = Reach::default();
        reach.note::<()>(&Err(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into())));
        assert!(reach.check().await.is_ok());
    }
}
