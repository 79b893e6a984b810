//! What the queue's screens show, built from one snapshot of the day: reception's board, the doctor's queue,
//! the waiting-room display and the patient's place. A snapshot is read once per change and shared by every
//! open screen.

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;

use super::model::{
    DayStats, Priority, Queued, TicketStatus, calls_doctor, calls_prefix, estimated_wait_minutes, minutes,
    places_ahead, rolling_median,
};
use super::repo::{self, Assignment, Ticket};
use crate::db::{Date, Db, Timestamp, sequence};
use crate::scheduling::picker::time_of;
use crate::state::AppState;
use crate::web::AppResult;

/// The day's queue as of one moment.
pub struct Snapshot {
    pub day: Date,
    /// Every ticket of the day, in queue order.
    pub tickets: Vec<Ticket>,
    pub assignments: Vec<Assignment>,
    /// Each doctor's slot length that day, in minutes.
    pub slot_minutes: HashMap<i64, i64>,
    /// Each doctor's call counter that day (see `model::calls_sequence`).
    pub calls: HashMap<i64, i64>,
}

async fn calls_by_doctor(db: &Db, day: Date) -> AppResult<HashMap<i64, i64>> {
    let day = day.to_string();
    let counters = sequence::with_prefix(db, &calls_prefix(&day)).await?;
    Ok(counters
        .into_iter()
        .filter_map(|(name, value)| Some((calls_doctor(&name, &day)?, value)))
        .collect())
}

impl Snapshot {
    pub async fn load(db: &Db, day: Date) -> AppResult<Snapshot> {
        Ok(Snapshot {
            day,
            tickets: repo::day_tickets(db, day).await?,
            assignments: repo::assignments(db, day).await?,
            slot_minutes: repo::slot_minutes_by_doctor(db, day).await?.into_iter().collect(),
            calls: calls_by_doctor(db, day).await?,
        })
    }

    /// The snapshot of today as of the latest event, read once and shared by every stream that asks.
    pub async fn shared(state: &AppState, seq: u64) -> AppResult<Arc<Snapshot>> {
        let day = Date(state.settings.get().today());
        let db = state.db.clone();
        state
            .queue
            .snapshots
            .get_or_compute(&day.to_string(), seq, || async move {
                Snapshot::load(&db, day).await.map(Arc::new)
            })
            .await
    }

    pub fn room_of(&self, doctor_id: i64) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.doctor_id == doctor_id)
    }

    fn waiting(&self) -> Vec<Queued> {
        self.tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting)
            .map(Ticket::queued)
            .collect()
    }

    /// The doctors with a room today or a ticket in their queue, by name.
    fn doctors(&self) -> Vec<(i64, String)> {
        let mut doctors: Vec<(i64, String)> = self
            .assignments
            .iter()
            .map(|a| (a.doctor_id, a.doctor_name.clone()))
            .chain(
                self.tickets
                    .iter()
                    .filter_map(|t| Some((t.doctor_id?, t.doctor_name.clone()?))),
            )
            .collect();
        doctors.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        doctors.dedup_by_key(|d| d.0);
        doctors
    }

    /// The typical consultation of a doctor today in ms: the rolling median of their completed ones.
    fn median_consultation(&self, doctor_id: i64) -> Option<i64> {
        let mut done: Vec<(i64, i64)> = self
            .tickets
            .iter()
            .filter(|t| t.doctor_id == Some(doctor_id) && t.status == TicketStatus::Completed)
            .filter_map(|t| Some((t.finished_at?.0, t.finished_at?.0 - t.started_at?.0)))
            .collect();
        done.sort_unstable();
        rolling_median(&done.into_iter().map(|(_, length)| length).collect::<Vec<_>>())
    }
}

/// A ticket as a board lists it.
pub struct Line {
    pub ticket: Ticket,
    /// Minutes since check-in, for open tickets.
    pub waiting_minutes: i64,
    pub appointment_time: Option<String>,
    pub checked_in: String,
}

impl Line {
    fn new(ticket: &Ticket, now: Timestamp, zone: Tz) -> Line {
        Line {
            ticket: ticket.clone(),
            waiting_minutes: minutes(now.0 - ticket.checked_in_at.0).max(0),
            appointment_time: ticket.appointment_at.map(|at| time_of(at, zone)),
            checked_in: time_of(ticket.checked_in_at, zone),
        }
    }

    pub fn priority_class(&self) -> &'static str {
        match self.ticket.priority {
            Priority::Emergency => "priority priority-emergency",
            Priority::Urgent => "priority priority-urgent",
            Priority::Normal => "priority",
        }
    }
}

/// One queue on reception's board: a doctor's, or the general one.
pub struct Column {
    pub doctor_id: Option<i64>,
    pub title: String,
    pub room: Option<String>,
    /// With the doctor and called first, then waiting in queue order.
    pub lines: Vec<Line>,
    pub stats: DayStats,
    pub calls_made: i64,
}

impl Column {
    pub fn dom_id(&self) -> String {
        match self.doctor_id {
            Some(id) => format!("queue-doctor-{id}"),
            None => "queue-general".to_owned(),
        }
    }
}

impl Snapshot {
    /// Reception's board: the general queue, then each doctor's.
    pub fn columns(&self, now: Timestamp, zone: Tz) -> Vec<Column> {
        let mut columns = vec![self.column(None, "General queue".to_owned(), now, zone)];
        for (id, name) in self.doctors() {
            columns.push(self.column(Some(id), name, now, zone));
        }
        columns
    }

    pub fn column(&self, doctor_id: Option<i64>, title: String, now: Timestamp, zone: Tz) -> Column {
        let mine: Vec<&Ticket> = self.tickets.iter().filter(|t| t.doctor_id == doctor_id).collect();
        let rank = |t: &&Ticket| match t.status {
            TicketStatus::WithDoctor => 0,
            TicketStatus::Called => 1,
            _ => 2,
        };
        let mut open: Vec<&Ticket> = mine.iter().copied().filter(|t| t.status.is_open()).collect();
        // A stable sort keeps the queue order inside each group.
        open.sort_by_key(rank);
        Column {
            doctor_id,
            title,
            room: doctor_id.and_then(|id| self.room_of(id)).map(|a| a.room_name.clone()),
            lines: open.into_iter().map(|t| Line::new(t, now, zone)).collect(),
            stats: DayStats::of(mine.iter().map(|t| t.times())),
            calls_made: doctor_id.and_then(|id| self.calls.get(&id)).copied().unwrap_or(0),
        }
    }

    /// The whole clinic's day so far.
    pub fn totals(&self) -> DayStats {
        DayStats::of(self.tickets.iter().map(Ticket::times))
    }

    /// A doctor's own view: their tickets in the room (called, with them) and what "call next" will take from,
    /// their queue and the general queue, in order.
    pub fn doctor_view(&self, doctor_id: i64, now: Timestamp, zone: Tz) -> DoctorView {
        let current = self
            .tickets
            .iter()
            .filter(|t| {
                t.doctor_id == Some(doctor_id) && matches!(t.status, TicketStatus::Called | TicketStatus::WithDoctor)
            })
            .map(|t| Line::new(t, now, zone))
            .collect();
        let waiting = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting && (t.doctor_id == Some(doctor_id) || t.doctor_id.is_none()))
            .map(|t| Line::new(t, now, zone))
            .collect();
        let column = self.column(Some(doctor_id), String::new(), now, zone);
        let awaited = self
            .tickets
            .iter()
            .find(|t| t.doctor_id == Some(doctor_id) && t.status == TicketStatus::Called)
            .map(|t| t.code.clone());
        DoctorView {
            current,
            waiting,
            stats: column.stats,
            calls_made: column.calls_made,
            awaited,
        }
    }

    /// The waiting-room display's tiles, for one room or doctor or the whole clinic.
    pub fn tiles(&self, filter: DisplayFilter) -> Tiles {
        let doctor_in_room = match filter {
            DisplayFilter::Room(room) => self.assignments.iter().find(|a| a.room_id == room).map(|a| a.doctor_id),
            _ => None,
        };
        let shown = |t: &&Ticket| match filter {
            DisplayFilter::All => true,
            DisplayFilter::Doctor(id) => t.doctor_id == Some(id),
            DisplayFilter::Room(room) => {
                t.room_id == Some(room) || (t.doctor_id.is_some() && t.doctor_id == doctor_in_room)
            }
        };
        let mut calling: Vec<&Ticket> = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Called)
            .filter(shown)
            .collect();
        calling.sort_by_key(|t| std::cmp::Reverse(t.last_called_at));
        // One current call per room: "call next" refuses a second while one is called, and this holds the
        // display to it even for tickets called before that rule.
        let mut rooms_shown = std::collections::HashSet::new();
        calling.retain(|t| rooms_shown.insert(t.room_id));
        let next = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting)
            .filter(shown)
            .take(NEXT_TILES)
            .map(|t| Tile {
                code: t.code.clone(),
                room: t.doctor_id.and_then(|id| self.room_of(id)).map(|a| a.room_name.clone()),
            })
            .collect();
        Tiles {
            calling: calling
                .into_iter()
                .take(CALLING_TILES)
                .map(|t| Tile {
                    code: t.code.clone(),
                    room: t.room_name.clone(),
                })
                .collect(),
            next,
        }
    }

    /// Where a patient's ticket stands, read from this snapshot; `None` without a ticket today.
    pub fn place(&self, patient_id: i64) -> Option<Place> {
        let ticket = self
            .tickets
            .iter()
            .filter(|t| t.patient_id == patient_id)
            .max_by_key(|t| (t.status.is_open(), t.id))?;
        let ahead = places_ahead(&self.waiting(), &ticket.queued());
        let wait = match ticket.doctor_id {
            Some(doctor) => estimated_wait_minutes(
                ahead + self.busy_with(doctor),
                self.median_consultation(doctor),
                self.slot_minutes.get(&doctor).copied(),
            ),
            None => estimated_wait_minutes(ahead, None, None),
        };
        Some(Place {
            code: ticket.code.clone(),
            status: ticket.status,
            ahead,
            wait_minutes: wait,
            room: ticket.room_name.clone().or_else(|| {
                ticket
                    .doctor_id
                    .and_then(|id| self.room_of(id))
                    .map(|a| a.room_name.clone())
            }),
            doctor: ticket.doctor_name.clone(),
        })
    }

    /// 1 when the doctor is with a patient now (their consultation is part of the wait).
    fn busy_with(&self, doctor_id: i64) -> usize {
        usize::from(
            self.tickets
                .iter()
                .any(|t| t.doctor_id == Some(doctor_id) && t.status == TicketStatus::WithDoctor),
        )
    }
}

pub struct DoctorView {
    pub current: Vec<Line>,
    /// The ticket called and not yet started: "call next" waits for it (one current call per room).
    pub awaited: Option<String>,
    pub waiting: Vec<Line>,
    pub stats: DayStats,
    pub calls_made: i64,
}

/// How many tickets the display shows as called now, and as next.
const CALLING_TILES: usize = 4;
const NEXT_TILES: usize = 8;

/// Which tickets a display shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayFilter {
    All,
    Room(i64),
    Doctor(i64),
}

impl DisplayFilter {
    /// The key its shared fragment is kept under.
    pub fn key(self) -> String {
        match self {
            DisplayFilter::All => "all".into(),
            DisplayFilter::Room(id) => format!("room-{id}"),
            DisplayFilter::Doctor(id) => format!("doctor-{id}"),
        }
    }

    /// The query string that selects it, for the event stream's address.
    pub fn query(self) -> String {
        match self {
            DisplayFilter::All => String::new(),
            DisplayFilter::Room(id) => format!("?room={id}"),
            DisplayFilter::Doctor(id) => format!("?doctor={id}"),
        }
    }

    /// Whether a call belongs on this display.
    pub fn shows_call(self, room_id: i64, doctor_id: i64) -> bool {
        match self {
            DisplayFilter::All => true,
            DisplayFilter::Room(id) => id == room_id,
            DisplayFilter::Doctor(id) => id == doctor_id,
        }
    }
}

/// Ticket codes and rooms only: the display is public and never shows a name.
pub struct Tile {
    pub code: String,
    pub room: Option<String>,
}

pub struct Tiles {
    pub calling: Vec<Tile>,
    pub next: Vec<Tile>,
}

/// A patient's own ticket.
pub struct Place {
    pub code: String,
    pub status: TicketStatus,
    pub ahead: usize,
    pub wait_minutes: i64,
    pub room: Option<String>,
    pub doctor: Option<String>,
}
