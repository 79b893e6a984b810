//! Heavy pages (a year-long report, a report's CSV, the audit trail's CSV) run away from the clinic's requests:
//! on a thread of their own at a lower priority rather than a runtime worker, so that the rows they add up and
//! the pages they build never hold up "call next", the waiting-room display or a student's place in the queue;
//! and a few at a time, so that a burst of exports cannot take every core either. One more waits its turn for a
//! while, then is told to try again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::{AppError, AppResult};

/// How many heavy pages are built at once: one for each of two admins; a third waits.
pub const AT_ONCE: usize = 2;
/// How long a heavy page waits for its turn before it is told to try again.
pub const WAIT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct Heavy {
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Default for Heavy {
    fn default() -> Self {
        Heavy::new(AT_ONCE, WAIT)
    }
}

impl Heavy {
    pub fn new(at_once: usize, wait: Duration) -> Self {
        Heavy {
            turns: Arc::new(Semaphore::new(at_once)),
            wait,
        }
    }

    /// Runs `work` to its end on a low-priority thread once its turn comes (its database reads still wait on the
    /// runtime's I/O driver, but its own CPU time, rendering included, is off the runtime's workers). A turn that
    /// does not come within the wait answers [`AppError::Busy`].
    pub async fn run<F, T>(&self, work: F) -> AppResult<T>
    where
        F: Future<Output = AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        let turn = self.turn().await?;
        let runtime = tokio::runtime::Handle::current();
        let (done, answer) = tokio::sync::oneshot::channel();
        on_a_low_thread(move || {
            let _turn = turn;
            let _ = done.send(runtime.block_on(work));
        })?;
        answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a heavy page stopped before its answer")))?
    }

    async fn turn(&self) -> AppResult<OwnedSemaphorePermit> {
        match tokio::time::timeout(self.wait, Arc::clone(&self.turns).acquire_owned()).await {
            Ok(Ok(turn)) => Ok(turn),
            Ok(Err(_)) | Err(_) => Err(AppError::Busy),
        }
    }

    /// A download written as it is read (a CSV of a hundred thousand rows never sits whole in memory): `write`
    /// runs on a low-priority thread once its turn comes, and keeps the turn until it has sent its last chunk. The
    /// body starts as soon as the first chunk is sent. A failure part way is logged and breaks the download off,
    /// so the browser reports it failed rather than keeping half a file.
    pub async fn stream<W, F>(&self, write: W) -> AppResult<Body>
    where
        W: FnOnce(Chunks) -> F + Send + 'static,
        F: Future<Output = AppResult<()>> + Send + 'static,
    {
        let turn = self.turn().await?;
        let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_AHEAD);
        let runtime = tokio::runtime::Handle::current();
        on_a_low_thread(move || {
            let _turn = turn;
            let broken = sender.clone();
            if let Err(err) = runtime.block_on(write(Chunks(sender))) {
                tracing::error!(error = %err, "a download stopped part way");
                let _ = broken.blocking_send(Err(std::io::Error::other("the download stopped part way")));
            }
        })?;
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        Ok(Body::from_stream(chunks))
    }
}

/// How much lower than the clinic's requests a heavy page's thread runs (a nice value: 0 is normal, 19 lowest).
const LOWER_PRIORITY: i32 = 10;

/// Runs `work` on a thread of its own at a lower priority. Off the runtime's workers is not enough on a small
/// server: a year's report takes a whole core, and on two cores the requests' threads then share the other one.
/// At a lower priority the kernel gives the processor to "call next" and the displays first, and the report
/// takes what is left. (A thread of its own, because a thread can't be given its priority back.)
fn on_a_low_thread(work: impl FnOnce() + Send + 'static) -> AppResult<()> {
    std::thread::Builder::new()
        .name("sickbay-heavy".into())
        .spawn(move || {
            lower_this_threads_priority();
            work();
        })
        .map(drop)
        .map_err(|err| AppError::Internal(anyhow::anyhow!("could not start a heavy page's thread: {err}")))
}

/// On Linux a nice value belongs to a thread; elsewhere it would lower the whole server, so it is left as it is.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), LOWER_PRIORITY) {
        tracing::warn!(error = %err, "a heavy page runs at the normal priority");
    }
}

/// How many chunks a download's writer may be ahead of the client reading it.
const CHUNKS_AHEAD: usize = 4;

/// Where a streamed download's chunks go.
pub struct Chunks(mpsc::Sender<Result<Bytes, std::io::Error>>);

impl Chunks {
    /// Sends a chunk; false when the client has gone (the writer stops).
    pub async fn send(&self, chunk: Vec<u8>) -> bool {
        self.0.send(Ok(Bytes::from(chunk))).await.is_ok()
    }
}

/// Runs a long background job (an import of a faculty's students) to its end on a low-priority thread, without
/// a turn: it is started once by an admin and must not wait behind reports, nor hold a runtime worker while it
/// checks thousands of rows.
pub fn detach<F>(work: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    if let Err(err) = on_a_low_thread(move || runtime.block_on(work)) {
        tracing::error!(error = %err, "a background job could not start");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Most of a second of a thread held (as a report that adds up a year of rows in Rust would).
    async fn hold_the_thread() -> AppResult<u32> {
        std::thread::sleep(Duration::from_millis(800));
        Ok(7)
    }

    /// The longest pause between the ticks of a task that wakes every 10 ms, while `work` runs as a request's
    /// task of the same runtime.
    async fn longest_pause_while<F>(work: F) -> Duration
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tick, ticking) = tokio::sync::oneshot::channel::<()>();
        let ticker = tokio::spawn(async move {
            let mut longest = Duration::ZERO;
            let mut last = Instant::now();
            let (mut stopped, mut tick) = (stopped, Some(tick));
            loop {
                tokio::select! {
                    // The pause under way counts too: after the work, both branches may be ready at once.
                    _ = &mut stopped => return longest.max(last.elapsed()),
                    _ = tokio::time::sleep(Duration::from_millis(10)) => {
                        longest = longest.max(last.elapsed());
                        last = Instant::now();
                        if let Some(tick) = tick.take() {
                            tick.send(()).ok();
                        }
                    }
                }
            }
        });
        ticking.await.expect("the first tick");
        tokio::spawn(work).await.expect("the work");
        stop.send(()).ok();
        ticker.await.expect("the ticker")
    }

    // On a runtime of one thread (the test's), where anything that holds the thread stops every task.
    #[tokio::test]
    async fn a_heavy_page_does_not_hold_up_the_runtimes_other_work() {
        let heavy = Heavy::new(2, WAIT);
        let longest = longest_pause_while(async move {
            assert_eq!(heavy.run(hold_the_thread()).await.ok(), Some(7));
        })
        .await;
        assert!(
            longest < Duration::from_millis(400),
            "the runtime's one thread kept ticking: longest pause {longest:?}"
        );
    }

    #[tokio::test]
    async fn the_same_work_in_the_request_stalls_the_runtime() {
        // The control for the test above: on the runtime's one thread, the same work stops everything else.
        let longest = longest_pause_while(async {
            hold_the_thread().await.ok();
        })
        .await;
        assert!(longest >= Duration::from_millis(700), "{longest:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_heavy_pages_than_turns_wait_then_are_told_to_try_again() {
        let heavy = Heavy::new(1, Duration::from_millis(100));
        let (release, held) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let heavy = heavy.clone();
            tokio::spawn(async move {
                heavy
                    .run(async move {
                        held.await.ok();
                        Ok(1)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(heavy.run(async { Ok(2) }).await, Err(AppError::Busy)));
        release.send(()).ok();
        assert_eq!(first.await.expect("the first").ok(), Some(1));
        // Its turn given back, the next one runs.
        assert_eq!(heavy.run(async { Ok(3) }).await.ok(), Some(3));
    }
}
