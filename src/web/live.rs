//! Server-sent event streams for htmx's sse extension: a stream sends the full current state when it opens
//! (so a reconnecting screen misses nothing), then after every event it cares about either the state again (a
//! small page: the display, a patient's place) or only what changed ([`patched`]: a long board), and ends when
//! the server shuts down.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::OnceCell;
use tokio::sync::broadcast::{self, error::RecvError};

use super::AppResult;
use crate::state::AppState;
use sickbay_core::db::events::{Delivered, Event};

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
        events: state.db.events().subscribe(),
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
        // The database is away: the stream ends, and the browser reconnects (after [`RECONNECT`], then less
        // often) until it is back, when the new stream opens with the full state.
        Err(super::AppError::Unavailable(err)) => {
            tracing::warn!(error = %err, "a live stream ends: the database is unavailable");
            return None;
        }
        Err(err) => {
            // The screen keeps its last state and gets the next change; the stream stays open.
            tracing::error!(error = %err, "could not render a live update");
            Vec::new()
        }
    };
    Some((frames, sub))
}

/// The name of the event that tells a page one of its blocks changed: the block reads itself again from its own
/// route (`hx-get` with `hx-trigger="sse:changed"`), which checks who asks like the page does. The event's
/// data is the number of the latest event (an event with no data is never delivered by a browser).
pub const CHANGED: &str = "changed";

/// A block of a page that reads itself again when its stream says it changed (see [`changes`]): a home page's
/// figures.
#[derive(Clone, Debug)]
pub struct LiveBlock {
    /// The page the block is on (reloading it is the way to the latest figures without JavaScript).
    pub page: &'static str,
    /// The block's own route, answering the block alone; its stream is `{path}/events`.
    pub path: &'static str,
    /// The block as the page shows it first.
    pub html: String,
    /// The last event delivered before the block was read: its stream tells at once of any later one.
    pub since: u64,
}

impl LiveBlock {
    /// The block of `page` at `path`, as `render` renders it.
    pub async fn load<Fut>(
        state: &AppState,
        page: &'static str,
        path: &'static str,
        render: Fut,
    ) -> AppResult<LiveBlock>
    where
        Fut: Future<Output = AppResult<String>>,
    {
        // Read before the figures: a change made while they are read is told to the page once it connects.
        let since = state.db.events().last_seq();
        Ok(LiveBlock {
            page,
            path,
            html: render.await?,
            since,
        })
    }
}

/// The `?since=` of a [`changes`] stream: the last event the page's block had seen (0, or anything unreadable:
/// tell it at once).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Since {
    #[serde(default)]
    since: String,
}

impl Since {
    pub fn seq(&self) -> u64 {
        self.since.trim().parse().unwrap_or(0)
    }
}

struct Watch {
    events: broadcast::Receiver<Arc<Delivered>>,
    hub: sickbay_core::db::events::EventHub,
    relevant: fn(&Event) -> bool,
    /// The last event the page had seen; `None` once the stream has opened.
    since: Option<u64>,
}

/// The event stream of a [`LiveBlock`]: a [`CHANGED`] event after each event `relevant` says touches it, at
/// least once a minute anyway (figures that move with the clock, or with changes no event announces), and at
/// once when it opens if events came after `since` (the page loaded or the stream reconnected meanwhile). It
/// carries no data of its own, so it tells nobody anything: the block's route decides what each user reads.
/// (Event numbers are an instance's own: a stream opened on another instance than the page is told at its
/// first event or minute.)
pub fn changes(
    state: &AppState,
    relevant: fn(&Event) -> bool,
    since: u64,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>> {
    let watch = Watch {
        events: state.db.events().subscribe(),
        hub: state.db.events().clone(),
        relevant,
        since: Some(since),
    };
    let told = stream::unfold(watch, next_change)
        .enumerate()
        .map(|(n, seq)| {
            let event = SseEvent::default().event(CHANGED).data(seq.to_string());
            Ok(if n == 0 { event.retry(RECONNECT) } else { event })
        })
        .take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(told).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn next_change(mut watch: Watch) -> Option<(u64, Watch)> {
    if let Some(since) = watch.since.take() {
        let last = watch.hub.last_seq();
        if last > since {
            return Some((last, watch));
        }
    }
    let quiet_until = tokio::time::Instant::now() + REFRESH;
    loop {
        let received = tokio::select! {
            received = watch.events.recv() => received,
            _ = tokio::time::sleep_until(quiet_until) => return Some((watch.hub.last_seq(), watch)),
        };
        match received {
            Ok(delivered) if (watch.relevant)(&delivered.event) => return Some((delivered.seq, watch)),
            Ok(_) => continue,
            Err(RecvError::Lagged(_)) => return Some((watch.hub.last_seq(), watch)),
            Err(RecvError::Closed) => return None,
        }
    }
}

/// The name of the event that carries a change to a [`patched`] page.
pub const CHANGE: &str = "change";

/// A live page that a push can change part by part.
pub trait LivePage: Send + Sync + 'static {
    fn parts(&self) -> &Parts;
    /// The whole live region, for a screen that has nothing yet or whose layout changed.
    fn full(&self) -> AppResult<String>;
}

/// The event stream of a page cut into [`Parts`]: the whole region first (as the event `full`; `load` is
/// asked for a fresh read then), then after
/// each change only the parts that differ from what this stream sent last, as out-of-band swaps in one
/// [`CHANGE`] event. Each stream keeps what it sent, so a screen is patched from exactly the state it shows,
/// whatever events it missed (a lagging stream, another instance's changes, a listener that reconnected); a
/// new connection (a reload, a reconnect) starts again from the whole region. `relevant` says which events
/// may change it.
pub fn patched<T, L, Fut>(
    state: &AppState,
    full: &'static str,
    relevant: fn(&Event) -> bool,
    mut load: L,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<T, L, Fut>>
where
    T: LivePage,
    L: FnMut(u64, bool) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<Arc<T>>> + Send + 'static,
{
    let shown: Arc<Mutex<Option<Arc<T>>>> = Arc::default();
    let events = state.db.events().clone();
    stream(state, relevant, move |delivered| {
        let seq = delivered.map_or_else(|| events.last_seq(), |d| d.seq);
        // A screen that opens reads afresh: it replaces the page just rendered, which was.
        let opening = shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).is_none();
        let (page, shown) = (load(seq, opening), shown.clone());
        async move {
            let page = page.await?;
            let before = shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
            let frame = match before.and_then(|before| before.parts().patch_to(page.parts())) {
                None => Some(Frame::new(full, page.full()?)),
                Some(patch) if patch.is_empty() => None,
                Some(patch) => Some(Frame::new(CHANGE, patch)),
            };
            *shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(page);
            Ok(frame.into_iter().collect())
        }
    })
}

/// A live page as the pieces a push replaces: elements replaced whole, and lists whose items come, go, move
/// and change one at a time. Every piece's HTML has one root element carrying the piece's id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts {
    /// (element id, HTML).
    pub units: Vec<(String, Arc<str>)>,
    pub lists: Vec<List>,
}

/// A list on a live page: the container's id and its items in order, each (element id, HTML).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {
    pub id: String,
    pub items: Vec<(String, Arc<str>)>,
}

impl Parts {
    /// The HTML of the unit `id`, empty when there is none.
    pub fn unit(&self, id: &str) -> &str {
        self.units
            .iter()
            .find(|(unit, _)| unit == id)
            .map_or("", |(_, html)| html)
    }

    /// The items of the list `id`, concatenated.
    pub fn list_html(&self, id: &str) -> String {
        let items = self
            .lists
            .iter()
            .find(|list| list.id == id)
            .map(|list| list.items.as_slice());
        items
            .unwrap_or_default()
            .iter()
            .map(|(_, html)| html.as_ref())
            .collect()
    }

    /// The out-of-band swaps (htmx `hx-swap-oob`) that turn a screen showing `self` into one showing `next`:
    /// empty when nothing changed, `None` when the layout changed (other units or lists) and only the whole
    /// region will do.
    pub fn patch_to(&self, next: &Parts) -> Option<String> {
        let ids = |parts: &Parts| -> Vec<String> {
            let units = parts.units.iter().map(|(id, _)| id.clone());
            units.chain(parts.lists.iter().map(|list| list.id.clone())).collect()
        };
        if ids(self) != ids(next) {
            return None;
        }
        // Items taken out first and put in last: an item moving between lists, or between a list and a unit (a
        // called ticket leaving the waiting list for "in your room"), keeps one id on the page throughout.
        let (mut removed, mut added) = (String::new(), String::new());
        for (before, after) in self.lists.iter().zip(&next.lists) {
            list_patch(before, after, &mut removed, &mut added);
        }
        let mut patch = removed;
        for ((_, before), (_, after)) in self.units.iter().zip(&next.units) {
            if before != after {
                patch.push_str(&replacing(after));
            }
        }
        patch.push_str(&added);
        Some(patch)
    }
}

/// The swaps that turn the list `before` into `after`: the items that stay in the same order (the longest
/// such run) stay, the others are taken out (`removed`) and put in again behind their new predecessor
/// (`added`), and changed items are replaced. An item that moves within the list is deleted just before it is put
/// in again; one new to the list has nothing to delete (an item from another list went with that list's
/// removals), and deleting a missing id is an error in the browser's console.
fn list_patch(before: &List, after: &List, removed: &mut String, added: &mut String) {
    let old: HashMap<&str, usize> = before
        .items
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let positions: Vec<Option<usize>> = after
        .items
        .iter()
        .map(|(id, _)| old.get(id.as_str()).copied())
        .collect();
    let kept = longest_increasing(&positions);
    let new: std::collections::HashSet<&str> = after.items.iter().map(|(id, _)| id.as_str()).collect();
    for (id, _) in &before.items {
        if !new.contains(id.as_str()) {
            removed.push_str(&format!(r#"<template hx-swap-oob="delete:#{id}"></template>"#));
        }
    }
    let mut previous: Option<&str> = None;
    for (i, (id, html)) in after.items.iter().enumerate() {
        if kept[i] {
            if positions[i].is_some_and(|at| before.items[at].1 != *html) {
                added.push_str(&replacing(html));
            }
        } else {
            let place = match previous {
                Some(previous) => format!("afterend:#{previous}"),
                None => format!("afterbegin:#{}", after.id),
            };
            // htmx puts in the wrapper's children (a template's would be hidden in its content); table rows
            // parse only inside a table section.
            let wrapper = if html.trim_start().starts_with("<tr") {
                "tbody"
            } else {
                "div"
            };
            if positions[i].is_some() {
                added.push_str(&format!(r#"<template hx-swap-oob="delete:#{id}"></template>"#));
            }
            added.push_str(&format!(r#"<{wrapper} hx-swap-oob="{place}">{html}</{wrapper}>"#));
        }
        previous = Some(id);
    }
}

/// Which of `positions` (an item's place in the old list, `None` for a new item) belong to a longest strictly
/// increasing run: the items that can stay where they are.
fn longest_increasing(positions: &[Option<usize>]) -> Vec<bool> {
    // Patience sorting: `tails[k]` is the index of the smallest last element of a run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; positions.len()];
    for (i, position) in positions.iter().enumerate() {
        let Some(position) = position else { continue };
        let k = tails.partition_point(|&t| positions[t].is_some_and(|p| p < *position));
        before[i] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut kept = vec![false; positions.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        kept[i] = true;
        at = before[i];
    }
    kept
}

/// `html` marked to replace the element with its id.
fn replacing(html: &str) -> String {
    let html = html.trim_start();
    let name_end = html
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_whitespace() || *c == '>' || *c == '/')
        .map_or(html.len(), |(i, _)| i);
    format!(r#"{} hx-swap-oob="true"{}"#, &html[..name_end], &html[name_end..])
}

/// The most keys a [`Shared`] keeps.
pub const SHARED_KEYS: usize = 256;

/// Work done once per event and shared by every stream that needs it: hundreds of phones and screens on one
/// waiting room's queue cost one read of the queue per change, not hundreds.
pub struct Shared<T>(Arc<Mutex<HashMap<String, Computed<T>>>>);

type Computed<T> = (u64, Instant, Arc<OnceCell<T>>);

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
    /// asking for an older event gets the newer value, which is what its screen should show anyway. Keys are
    /// kept until replaced, up to [`SHARED_KEYS`] of them: past that the map starts again empty, so keys from
    /// an open set (a report's period) can't grow it without bound.
    pub async fn get_or_compute<F, Fut>(&self, key: &str, seq: u64, compute: F) -> AppResult<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        let cell = self.cell(key, seq, None);
        Ok(cell.get_or_try_init(compute).await?.clone())
    }

    /// Like [`Shared::get_or_compute`], but computed again when the value is older than `max_age` even without
    /// a newer event: pages read this way show changes that no event announces (a patient's corrected name)
    /// within `max_age`, and stay right while this instance's events from other instances are interrupted.
    pub async fn get_within<F, Fut>(&self, key: &str, seq: u64, max_age: Duration, compute: F) -> AppResult<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        let cell = self.cell(key, seq, Some(max_age));
        Ok(cell.get_or_try_init(compute).await?.clone())
    }

    fn cell(&self, key: &str, seq: u64, max_age: Option<Duration>) -> Arc<OnceCell<T>> {
        let mut map = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match map.get(key) {
            Some((held, at, cell)) if *held >= seq && max_age.is_none_or(|age| at.elapsed() <= age) => cell.clone(),
            _ => {
                let cell = Arc::new(OnceCell::new());
                if map.len() >= SHARED_KEYS && !map.contains_key(key) {
                    map.clear();
                }
                map.insert(key.to_owned(), (seq, Instant::now(), cell.clone()));
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

    #[tokio::test]
    async fn keys_from_an_open_set_are_kept_within_the_bound() {
        let shared: Shared<usize> = Shared::default();
        for n in 0..SHARED_KEYS * 3 {
            let value = shared.get_or_compute(&n.to_string(), 1, || async move { Ok(n) }).await;
            assert_eq!(value.unwrap(), n);
            assert!(shared.0.lock().unwrap().len() <= SHARED_KEYS);
        }
    }

    fn list(items: &[(&str, &str)]) -> Parts {
        Parts {
            units: vec![("head".into(), Arc::from(r#"<p id="head">3 waiting</p>"#))],
            lists: vec![List {
                id: "queue".into(),
                items: items
                    .iter()
                    .map(|(id, html)| ((*id).to_owned(), Arc::from(*html)))
                    .collect(),
            }],
        }
    }

    #[test]
    fn a_patch_carries_only_what_changed() {
        let a = r#"<li id="t-1">A</li>"#;
        let b = r#"<li id="t-2">B</li>"#;
        let c = r#"<li id="t-3">C</li>"#;
        let before = list(&[("t-1", a), ("t-2", b), ("t-3", c)]);
        assert_eq!(before.patch_to(&before).as_deref(), Some(""));
        // One item changed: only it, replacing itself.
        let changed = list(&[("t-1", a), ("t-2", r#"<li id="t-2">B called</li>"#), ("t-3", c)]);
        assert_eq!(
            before.patch_to(&changed).unwrap(),
            r#"<li hx-swap-oob="true" id="t-2">B called</li>"#
        );
        // One gone, one new at the front.
        let d = r#"<li id="t-4">D</li>"#;
        let after = list(&[("t-4", d), ("t-1", a), ("t-3", c)]);
        assert_eq!(
            before.patch_to(&after).unwrap(),
            format!(r#"<template hx-swap-oob="delete:#t-2"></template><div hx-swap-oob="afterbegin:#queue">{d}</div>"#)
        );
        // One moved back (a skip): taken out and put in behind its new predecessor; the others stay.
        let skipped = list(&[("t-2", b), ("t-3", c), ("t-1", a)]);
        assert_eq!(
            before.patch_to(&skipped).unwrap(),
            format!(r#"<template hx-swap-oob="delete:#t-1"></template><div hx-swap-oob="afterend:#t-3">{a}</div>"#)
        );
        // A changed unit is replaced; another layout is a full render.
        let mut head = before.clone();
        head.units[0].1 = Arc::from(r#"<p id="head">2 waiting</p>"#);
        assert_eq!(
            before.patch_to(&head).unwrap(),
            r#"<p hx-swap-oob="true" id="head">2 waiting</p>"#
        );
        let mut other = before.clone();
        other.lists[0].id = "general".into();
        assert_eq!(before.patch_to(&other), None);
    }

    #[test]
    fn the_longest_run_in_order_stays() {
        assert_eq!(
            longest_increasing(&[Some(1), Some(2), None, Some(0), Some(3)]),
            [true, true, false, false, true]
        );
        assert_eq!(longest_increasing(&[]), Vec::<bool>::new());
        assert_eq!(
            longest_increasing(&[Some(2), Some(1), Some(0)])
                .iter()
                .filter(|k| **k)
                .count(),
            1
        );
    }
}
