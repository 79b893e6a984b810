//! Server-sent event streams for htmx's sse extension: a stream sends the full current state when it opens
//! (so a reconnecting screen misses nothing), then again after every event it cares about, and ends when the
//! server shuts down.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::OnceCell;
use tokio::sync::broadcast::{self, error::RecvError};

use super::AppResult;
use crate::db::events::{Delivered, Event};
use crate::state::AppState;

/// One server-sent event: its name (what `sse-swap` listens for) and the HTML it carries.
#[derive(Clone, Debug)]
pub struct Frame {
    pub name: &'static str,
    pub html: Arc<str>,
}

impl Frame {
    pub fn new(name: &'static str, html: impl Into<Arc<str>>) -> Self {
        Frame {
            name,
            html: html.into(),
        }
    }
}

/// How often a quiet stream sends its state again.
const REFRESH: Duration = Duration::from_secs(60);
/// How soon a browser reconnects after the stream ends (a restart, a dropped network).
const RECONNECT: Duration = Duration::from_secs(2);

struct Subscription<R> {
    events: broadcast::Receiver<Arc<Delivered>>,
    render: R,
    opened: bool,
    relevant: fn(&Event) -> bool,
}

/// The event stream of a live page. `render` is called with `None` for the full state (at open, when the
/// stream fell behind, and after a quiet minute), and with each relevant event after that.
pub fn stream<R, Fut>(
    state: &AppState,
    relevant: fn(&Event) -> bool,
    render: R,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<R, Fut>>
where
    R: FnMut(Option<Arc<Delivered>>) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<Vec<Frame>>> + Send + 'static,
{
    // Subscribe before the first render, so nothing that happens in between is missed.
    let subscription = Subscription {
        events: state.events.subscribe(),
        render,
        opened: false,
        relevant,
    };
    let frames = stream::unfold(subscription, next_frames)
        .flat_map(stream::iter)
        .enumerate()
        .map(|(n, frame)| {
            let event = SseEvent::default().event(frame.name).data(frame.html.as_ref());
            Ok(if n == 0 { event.retry(RECONNECT) } else { event })
        })
        .take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(frames).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn next_frames<R, Fut>(mut sub: Subscription<R>) -> Option<(Vec<Frame>, Subscription<R>)>
where
    R: FnMut(Option<Arc<Delivered>>) -> Fut,
    Fut: Future<Output = AppResult<Vec<Frame>>>,
{
    let delivered = if sub.opened {
        loop {
            let received = tokio::select! {
                received = sub.events.recv() => received,
                // Nothing happened for a while: times shown as "waiting 12 min" move on anyway.
                _ = tokio::time::sleep(REFRESH) => break None,
            };
            match received {
                Ok(delivered) if (sub.relevant)(&delivered.event) => break Some(delivered),
                Ok(_) => continue,
                // Fell behind: the full state covers whatever was skipped.
                Err(RecvError::Lagged(_)) => break None,
                Err(RecvError::Closed) => return None,
            }
        }
    } else {
        sub.opened = true;
        None
    };
    let frames = match (sub.render)(delivered).await {
        Ok(frames) => frames,
        Err(err) => {
            // The screen keeps its last state and gets the next change; the stream stays open.
            tracing::error!(error = %err, "could not render a live update");
            Vec::new()
        }
    };
    Some((frames, sub))
}

/// Work done once per event and shared by every stream that needs it: hundreds of phones and screens on one
/// waiting room's queue cost one read of the queue per change, not hundreds.
pub struct Shared<T>(Arc<Mutex<HashMap<String, Computed<T>>>>);

type Computed<T> = (u64, Arc<OnceCell<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared(Arc::default())
    }
}

impl<T: Clone> Shared<T> {
    /// The value of `key` as of event `seq`: computed by the first caller, awaited by the others. A caller
    /// asking for an older event gets the newer value, which is what its screen should show anyway. Keys must
    /// come from a small set (they are kept until replaced).
    pub async fn get_or_compute<F, Fut>(&self, key: &str, seq: u64, compute: F) -> AppResult<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        let cell = self.cell(key, seq);
        Ok(cell.get_or_try_init(compute).await?.clone())
    }

    fn cell(&self, key: &str, seq: u64) -> Arc<OnceCell<T>> {
        let mut map = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match map.get(key) {
            Some((held, cell)) if *held >= seq => cell.clone(),
            _ => {
                let cell = Arc::new(OnceCell::new());
                map.insert(key.to_owned(), (seq, cell.clone()));
                cell
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_fragment_is_rendered_once_per_event() {
        let renders: Shared<Arc<str>> = Shared::default();
        let count = Arc::new(AtomicUsize::new(0));
        let render = |text: &'static str| {
            let count = count.clone();
            move || async move {
                count.fetch_add(1, Ordering::SeqCst);
                Ok(Arc::from(text))
            }
        };
        assert_eq!(&*renders.get_or_compute("all", 1, render("one")).await.unwrap(), "one");
        assert_eq!(
            &*renders.get_or_compute("all", 1, render("again")).await.unwrap(),
            "one"
        );
        // A late caller for an older event gets the newer fragment.
        assert_eq!(&*renders.get_or_compute("all", 2, render("two")).await.unwrap(), "two");
        assert_eq!(&*renders.get_or_compute("all", 1, render("old")).await.unwrap(), "two");
        assert_eq!(
            &*renders.get_or_compute("room-1", 2, render("room")).await.unwrap(),
            "room"
        );
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }
}
