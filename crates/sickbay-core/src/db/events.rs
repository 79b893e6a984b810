//! The event hub: what changed, told to every open event stream. In one process it is a tokio broadcast
//! channel. On PostgreSQL every instance also sends each event with `NOTIFY` and `LISTEN`s for the others',
//! so a display connected to one instance sees a call made on another.
//!
//! Events say *that* something changed (and, for a call, what to announce); streams read the current state
//! from the database themselves, so a missed or repeated event can't leave a screen wrong.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{Backend, Db};

/// The PostgreSQL channel every instance listens on.
const CHANNEL: &str = "sickbay_events";
/// Events a slow stream may fall behind by before it is told to re-read everything.
const CAPACITY: usize = 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// Some queue changed; `call` is set when a ticket was called (or called again) to a room.
    Queue { call: Option<Call> },
    /// The clinic's settings changed: every instance re-reads them.
    Settings,
    /// A lab order of this visit was placed, cancelled, resulted or released (the lab's worklist and the
    /// visit's lab section re-read).
    Lab { visit_id: i64 },
    /// A prescription was written, changed, dispensed or refused, or stock changed (the pharmacy's worklist and
    /// alerts re-read).
    Pharmacy,
    /// An invoice was billed, issued, paid, refunded, credited or voided (the figures of what is owed and taken
    /// re-read).
    Billing,
    /// Appointments or their slots changed: booked, cancelled, moved, corrected, marked no-show, blocked, or
    /// slots made or removed with a doctor's hours and the clinic's closures; or a staff account changed (its
    /// name, profile or whether it is active: the doctors offered). Reception's check-in list, the figures that
    /// count the day's bookings and the booking pages' calendar, times and doctors re-read.
    Bookings,
    /// This instance may have missed events (its LISTEN connection dropped): every stream re-reads.
    Resync,
}

/// A ticket called to a room: what the waiting-room display shows and says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub ticket_id: i64,
    pub code: String,
    pub room_id: i64,
    pub room_name: String,
    pub doctor_id: i64,
    /// How many times the ticket has been called, so a recall is announced again.
    pub calls: i64,
}

impl Event {
    /// Whether a stream showing queues must re-render.
    pub fn touches_queues(&self) -> bool {
        matches!(self, Event::Queue { .. } | Event::Resync | Event::Settings)
    }

    /// Whether a stream showing reception's board (its queues and today's check-in list) must re-render.
    pub fn touches_board(&self) -> bool {
        self.touches_queues() || matches!(self, Event::Bookings)
    }

    /// Whether what is shown of booked appointments (the figures that count them) must be read again.
    pub fn touches_bookings(&self) -> bool {
        matches!(self, Event::Bookings | Event::Resync | Event::Settings)
    }

    /// Whether a stream showing the pharmacy's worklist must re-render (it shows whether each visit is paid
    /// when the clinic dispenses only when paid).
    pub fn touches_pharmacy(&self) -> bool {
        matches!(self, Event::Pharmacy | Event::Billing | Event::Resync)
    }

    /// Whether a stream showing lab orders must re-render.
    pub fn touches_lab(&self) -> bool {
        matches!(self, Event::Lab { .. } | Event::Resync)
    }

    /// Whether a stream showing what is owed and taken must re-render.
    pub fn touches_billing(&self) -> bool {
        matches!(self, Event::Billing | Event::Resync)
    }
}

/// An event as delivered to this instance's streams: `seq` numbers them in arrival order, so work done
/// once per event (rendering a shared fragment) can be keyed by it.
#[derive(Debug)]
pub struct Delivered {
    pub seq: u64,
    pub event: Event,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    event: Event,
}

#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

struct Inner {
    sender: broadcast::Sender<Arc<Delivered>>,
    seq: AtomicU64,
    /// On PostgreSQL, the pool whose connections send this instance's events to the others.
    notifier: Option<AnyPool>,
    /// This instance's name in NOTIFY payloads, so it skips its own events (already delivered locally).
    origin: String,
}

impl Default for EventHub {
    /// A hub of one instance alone (SQLite).
    fn default() -> Self {
        EventHub::with_notifier(None)
    }
}

impl EventHub {
    /// A hub that also tells the other instances on `notifier`'s database.
    pub(super) fn notifying(notifier: AnyPool) -> Self {
        EventHub::with_notifier(Some(notifier))
    }

    fn with_notifier(notifier: Option<AnyPool>) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        EventHub {
            inner: Arc::new(Inner {
                sender,
                seq: AtomicU64::new(0),
                notifier,
                origin: format!("{:016x}", rand::random::<u64>()),
            }),
        }
    }
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub").field("origin", &self.inner.origin).finish()
    }
}

impl EventHub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Delivered>> {
        self.inner.sender.subscribe()
    }

    /// The number of the last event delivered here (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.inner.seq.load(Ordering::Relaxed)
    }

    /// Tells this instance's streams at once and, on PostgreSQL, the other instances. A failed `NOTIFY` is
    /// logged, not returned: the change itself is committed, and the other instances' streams catch up on their
    /// next event, their periodic re-read, or their resync after a reconnection.
    pub(super) async fn tell(&self, event: Event) {
        self.deliver(event.clone());
        let Some(notifier) = &self.inner.notifier else {
            return;
        };
        let envelope = Envelope {
            origin: self.inner.origin.clone(),
            event,
        };
        let payload = match serde_json::to_string(&envelope) {
            Ok(payload) => payload,
            Err(err) => return tracing::error!(error = %err, "could not encode an event"),
        };
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(notifier)
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not NOTIFY the other instances");
        }
    }

    fn deliver(&self, event: Event) {
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        // No receivers is not an error: nobody is watching.
        let _ = self.inner.sender.send(Arc::new(Delivered { seq, event }));
    }

    /// On PostgreSQL, listens for the other instances' events until `shutdown`. After the connection drops
    /// and comes back, streams are told to re-read, since events may have been missed meanwhile.
    pub fn spawn_listener(&self, db: &Db, shutdown: CancellationToken) {
        if db.backend() != Backend::Postgres {
            return;
        }
        let (hub, url) = (self.clone(), db.url().to_owned());
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                match hub.listen(&url, &shutdown).await {
                    Ok(()) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, "the event listener lost PostgreSQL; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => break,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        hub.deliver(Event::Resync);
                    }
                }
            }
        });
    }

    async fn listen(&self, url: &str, shutdown: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                received = listener.try_recv() => received?,
            };
            let Some(notification) = received else {
                // The connection dropped; try_recv reconnects on the next call.
                self.deliver(Event::Resync);
                continue;
            };
            match serde_json::from_str::<Envelope>(notification.payload()) {
                Ok(envelope) if envelope.origin != self.inner.origin => self.deliver(envelope.event),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "ignored an unreadable event"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_through_json() {
        let event = Event::Queue {
            call: Some(Call {
                ticket_id: 7,
                code: "A-012".into(),
                room_id: 3,
                room_name: "Room \"3\" <b>".into(),
                doctor_id: 2,
                calls: 1,
            }),
        };
        let text = serde_json::to_string(&Envelope {
            origin: "x".into(),
            event: event.clone(),
        })
        .unwrap();
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back.event, event);
        assert_eq!(back.origin, "x");
    }

    #[test]
    fn local_delivery_numbers_events_in_order() {
        let hub = EventHub::default();
        let mut rx = hub.subscribe();
        hub.deliver(Event::Resync);
        hub.deliver(Event::Queue { call: None });
        let first = rx.try_recv().unwrap();
        let second = rx.try_recv().unwrap();
        assert_eq!(
            (first.seq + 1, &second.event),
            (second.seq, &Event::Queue { call: None })
        );
    }
}
