//! What the queue's screens show, built from one snapshot of the day: reception's board, the doctor's queue,
//! the waiting-room display and the patient's place. A snapshot is read once per change and shared by every
//! open screen.

use std::collections::HashMap;
use std::sync::Arc;

use crate::state::AppState;
use crate::web::AppResult;
use sickbay_core::db::{Date, Db, Timestamp, sequence};
use sickbay_core::queue::model::{
    CallStanding, DayStats, Queued, TicketStatus, call_standing, calls_doctor, calls_prefix, estimated_wait_minutes,
    next_up, places_ahead, rolling_median,
};
use sickbay_core::queue::repo::{self, Assignment, Ticket};

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
        let day = state.today();
        let db = state.db.clone();
        state
            .queue
            .snapshots
            .get_or_compute(&day.to_string(), seq, || async move {
                Snapshot::load(&db, day).await.map(Arc::new)
            })
            .await
    }

    /// The snapshot of today for a page view: the shared one, unless it is older than `board::MAX_AGE`.
    pub async fn fresh(state: &AppState, seq: u64) -> AppResult<Arc<Snapshot>> {
        let day = state.today();
        let db = state.db.clone();
        let load = || async move { Snapshot::load(&db, day).await.map(Arc::new) };
        let max_age = super::board::MAX_AGE;
        state
            .queue
            .snapshots
            .get_within(&day.to_string(), seq, max_age, load)
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

/// One queue on reception's board: a doctor's, or the general one.
pub struct Column {
    pub doctor_id: Option<i64>,
    pub title: String,
    /// The short name of the strip and of the column's head (see [`short_labels`]); the title is its tooltip.
    pub label: String,
    pub room: Option<String>,
    /// With the doctor and called first, then waiting in queue order.
    pub tickets: Vec<Ticket>,
    pub stats: DayStats,
    pub calls_made: i64,
}

/// The queues' names on the strip above the board and atop their columns, short enough for seven to share a line
/// at 1366 px and for a column's name to fit its width: "General", and a doctor by surname with their title
/// ("Dr Ibrahim"), in full where two would read the same.
fn short_labels(columns: &[Column]) -> Vec<String> {
    let short: Vec<String> = columns
        .iter()
        .map(|column| match column.doctor_id {
            None => "General".to_owned(),
            Some(_) => short_name(&column.title),
        })
        .collect();
    columns
        .iter()
        .zip(&short)
        .map(|(column, label)| {
            if short.iter().filter(|other| *other == label).count() > 1 {
                column.title.clone()
            } else {
                label.clone()
            }
        })
        .collect()
}

/// `Dr Aisha Ibrahim` → `Dr Ibrahim`, `Aisha Ibrahim` → `Ibrahim`.
fn short_name(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] | [_] => name.to_owned(),
        [first, .., last] if first.trim_end_matches('.').eq_ignore_ascii_case("dr") => format!("{first} {last}"),
        [.., last] => (*last).to_owned(),
    }
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
    pub fn columns(&self) -> Vec<Column> {
        let mut columns = vec![self.column(None, "General queue".to_owned())];
        for (id, name) in self.doctors() {
            columns.push(self.column(Some(id), name));
        }
        let labels = short_labels(&columns);
        for (column, label) in columns.iter_mut().zip(labels) {
            column.label = label;
        }
        columns
    }

    pub fn column(&self, doctor_id: Option<i64>, title: String) -> Column {
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
            label: title.clone(),
            title,
            room: doctor_id.and_then(|id| self.room_of(id)).map(|a| a.room_name.clone()),
            tickets: open.into_iter().cloned().collect(),
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
    pub fn doctor_view(&self, doctor_id: i64) -> DoctorView {
        let current = self
            .tickets
            .iter()
            .filter(|t| {
                t.doctor_id == Some(doctor_id) && matches!(t.status, TicketStatus::Called | TicketStatus::WithDoctor)
            })
            .cloned()
            .collect();
        let waiting: Vec<&Ticket> = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting && (t.doctor_id == Some(doctor_id) || t.doctor_id.is_none()))
            .collect();
        let column = self.column(Some(doctor_id), String::new());
        let awaited = self
            .tickets
            .iter()
            .find(|t| t.doctor_id == Some(doctor_id) && t.status == TicketStatus::Called)
            .map(|t| t.code.clone());
        DoctorView {
            current,
            waiting_total: waiting.len(),
            waiting: waiting.into_iter().take(WAITING_SHOWN).cloned().collect(),
            stats: column.stats,
            calls_made: column.calls_made,
            awaited,
        }
    }

    /// The waiting-room display's tiles as of `now`, for one room or doctor or the whole clinic: the current
    /// calls and those unanswered a while (see `model::call_standing`), and the next few waiting, every queue's
    /// first before any's second (`model::next_up`).
    pub fn tiles(&self, filter: DisplayFilter, now: Timestamp) -> Tiles {
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
        // The latest consultation started in a room: a call made there before it is over.
        let room_started = |room: Option<i64>| {
            self.tickets
                .iter()
                .filter(|t| room.is_some() && t.room_id == room)
                .filter_map(|t| t.started_at)
                .max()
        };
        // The calls this display shows, latest first, each with where it stands.
        let mut called: Vec<(&Ticket, CallStanding)> = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Called)
            .filter(shown)
            .filter_map(|t| {
                let at = t.last_called_at.or(t.called_at)?;
                Some((t, call_standing(at, room_started(t.room_id), now)))
            })
            .collect();
        called.sort_by_key(|(t, _)| std::cmp::Reverse(t.last_called_at.or(t.called_at)));
        let called_as = |wanted: CallStanding| {
            // One call per room: "call next" refuses a second while one is called, and this holds the display
            // to it even for tickets called before that rule.
            let mut rooms_shown = std::collections::HashSet::new();
            called
                .iter()
                .filter(|(t, standing)| *standing == wanted && rooms_shown.insert(t.room_id))
                .take(CALLING_TILES)
                .map(|(t, _)| Tile {
                    code: t.code.clone(),
                    room: t.room_name.clone(),
                })
                .collect::<Vec<_>>()
        };
        let waiting = self
            .tickets
            .iter()
            .filter(|t| t.status == TicketStatus::Waiting)
            .filter(shown)
            .collect();
        let next = next_up(waiting, |t| t.doctor_id, NEXT_TILES)
            .into_iter()
            .map(|t| Tile {
                code: t.code.clone(),
                room: t.doctor_id.and_then(|id| self.room_of(id)).map(|a| a.room_name.clone()),
            })
            .collect();
        Tiles {
            calling: called_as(CallStanding::Current),
            called_earlier: called_as(CallStanding::Earlier),
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
    pub current: Vec<Ticket>,
    /// The ticket called and not yet started: "call next" waits for it (one current call per room).
    pub awaited: Option<String>,
    /// The first [`WAITING_SHOWN`] tickets "call next" takes from, in order.
    pub waiting: Vec<Ticket>,
    /// How many wait in all.
    pub waiting_total: usize,
    pub stats: DayStats,
    pub calls_made: i64,
}

impl DoctorView {
    /// How many wait after the ones shown.
    pub fn waiting_more(&self) -> usize {
        self.waiting_total - self.waiting.len()
    }

    /// The ticket of the patient with the doctor now, if any: "Call next" may still bring the next one to the
    /// door, and the page says so.
    pub fn with_you(&self) -> Option<&str> {
        self.current
            .iter()
            .find(|t| t.status == TicketStatus::WithDoctor)
            .map(|t| t.code.as_str())
    }
}

/// What "Call next" would do for a doctor now, for a page that offers it away from their queue (their home).
#[derive(Debug, PartialEq, Eq)]
pub enum NextCall {
    /// No room chosen today: a call needs one.
    NoRoom,
    /// The patient called last has not come in yet: the next call waits for them.
    Awaited {
        code: String,
        room: String,
    },
    NobodyWaiting,
    /// `calls_made` goes with the form, so that a second click of the same page is refused. `with_you` is the
    /// ticket of a patient still with the doctor: the call is then not the page's main move.
    Ready {
        calls_made: i64,
        room: String,
        with_you: Option<String>,
    },
}

impl Snapshot {
    pub fn next_call(&self, doctor_id: i64) -> NextCall {
        let Some(room) = self.room_of(doctor_id).map(|a| a.room_name.clone()) else {
            return NextCall::NoRoom;
        };
        let view = self.doctor_view(doctor_id);
        match view.awaited {
            Some(code) => NextCall::Awaited { code, room },
            None if view.waiting_total == 0 => NextCall::NobodyWaiting,
            None => NextCall::Ready {
                calls_made: view.calls_made,
                room,
                with_you: view.with_you().map(str::to_owned),
            },
        }
    }
}

/// How many waiting tickets the doctor's page lists: the next ones matter, the long tail is a count.
pub const WAITING_SHOWN: usize = 50;

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
    /// Calls unanswered for a while, whose rooms still wait for them.
    pub called_earlier: Vec<Tile>,
    pub next: Vec<Tile>,
}

impl Place {
    pub fn is_called(&self) -> bool {
        self.status == TicketStatus::Called
    }

    pub fn is_with_doctor(&self) -> bool {
        self.status == TicketStatus::WithDoctor
    }

    pub fn is_waiting(&self) -> bool {
        self.status == TicketStatus::Waiting
    }

    /// Waiting with nobody ahead.
    pub fn is_next(&self) -> bool {
        self.is_waiting() && self.ahead == 0
    }
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use sickbay_core::db::Timestamp;
    use sickbay_core::queue::model::{Move, Priority};

    fn day() -> Date {
        Date(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
    }

    #[test]
    fn a_queue_is_named_short_by_surname_unless_two_share_it() {
        let snapshot = snapshot(Vec::new());
        let columns = [
            snapshot.column(None, "General queue".to_owned()),
            snapshot.column(Some(1), "Dr Aisha Ibrahim".to_owned()),
            snapshot.column(Some(2), "Dr Ada Obi".to_owned()),
            snapshot.column(Some(3), "Dr Chinedu Obi".to_owned()),
            snapshot.column(Some(4), "Okafor".to_owned()),
            snapshot.column(Some(5), "Bola Tinubu-Adeyemi".to_owned()),
            snapshot.column(Some(6), "Dr. Musa Danjuma".to_owned()),
        ];
        assert_eq!(
            short_labels(&columns),
            [
                "General",
                "Dr Ibrahim",
                "Dr Ada Obi",
                "Dr Chinedu Obi",
                "Okafor",
                "Tinubu-Adeyemi",
                "Dr. Danjuma"
            ]
        );
    }

    /// A ticket of doctor `doctor` (the general queue with `None`), in queue order by `id`.
    fn ticket(id: i64, doctor: Option<i64>, status: TicketStatus) -> Ticket {
        let minute = |m: i64| Timestamp(1_700_000_000_000 + m * 60_000);
        let room = doctor.filter(|_| matches!(status, TicketStatus::Called | TicketStatus::WithDoctor));
        Ticket {
            id,
            day: day(),
            code: format!("X-{id:03}"),
            patient_id: 100 + id,
            patient_name: format!("Patient {id}"),
            clinic_number: format!("CL{id}"),
            appointment_id: None,
            appointment_at: None,
            doctor_id: doctor,
            doctor_name: doctor.map(|d| match d {
                7 => "Dr Zed".to_owned(),
                8 => "Dr Abe".to_owned(),
                _ => format!("Dr {d}"),
            }),
            room_id: room,
            room_name: room.map(|r| format!("Room {r}")),
            priority: Priority::Normal,
            order_at: minute(id),
            status,
            skips: 0,
            calls: i64::from(status != TicketStatus::Waiting),
            checked_in_at: minute(id),
            called_at: (status != TicketStatus::Waiting).then(|| minute(id + 5)),
            last_called_at: (status != TicketStatus::Waiting).then(|| minute(id + 5)),
            started_at: None,
            finished_at: None,
        }
    }

    fn assignment(doctor_id: i64, name: &str, room_id: i64) -> Assignment {
        Assignment {
            doctor_id,
            doctor_name: name.into(),
            room_id,
            room_name: format!("Room {room_id}"),
            room_code: "A".into(),
        }
    }

    fn snapshot(tickets: Vec<Ticket>) -> Snapshot {
        Snapshot {
            day: day(),
            tickets,
            assignments: vec![assignment(7, "Dr Zed", 1), assignment(8, "Dr Abe", 2)],
            slot_minutes: HashMap::from([(7, 20)]),
            calls: HashMap::from([(7, 3)]),
        }
    }

    fn codes(tickets: &[Ticket]) -> Vec<i64> {
        tickets.iter().map(|t| t.id).collect()
    }

    #[test]
    fn the_board_has_the_general_queue_then_each_doctor_by_name() {
        use TicketStatus::*;
        let s = snapshot(vec![
            ticket(1, Some(7), Waiting),
            ticket(2, None, Waiting),
            ticket(3, Some(7), Called),
            ticket(4, Some(7), Completed),
            ticket(5, Some(7), WithDoctor),
            ticket(6, Some(9), Waiting),
        ]);
        let columns = s.columns();
        let titles: Vec<&str> = columns.iter().map(|c| c.title.as_str()).collect();
        // Doctor 9 has no room but a ticket; names sort the doctors ("Dr 9" < "Dr Abe" < "Dr Zed").
        assert_eq!(titles, ["General queue", "Dr 9", "Dr Abe", "Dr Zed"]);
        let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["General", "Dr 9", "Dr Abe", "Dr Zed"]);
        assert_eq!(columns[0].dom_id(), "queue-general");
        let zed = &columns[3];
        assert_eq!(zed.dom_id(), "queue-doctor-7");
        // With the doctor, then called, then waiting; closed tickets only count.
        assert_eq!(codes(&zed.tickets), [5, 3, 1]);
        assert_eq!((zed.stats.served, zed.stats.waiting), (1, 1));
        assert_eq!((zed.room.as_deref(), zed.calls_made), (Some("Room 1"), 3));
        assert_eq!(s.totals().waiting, 3);
    }

    #[test]
    fn a_doctor_sees_their_room_and_what_call_next_takes_from() {
        use TicketStatus::*;
        let mut tickets = vec![ticket(1, Some(7), Called), ticket(2, Some(8), Waiting)];
        tickets.extend(
            (10..10 + WAITING_SHOWN as i64 + 5).map(|id| ticket(id, if id % 2 == 0 { Some(7) } else { None }, Waiting)),
        );
        let view = snapshot(tickets).doctor_view(7);
        assert_eq!(codes(&view.current), [1]);
        assert_eq!(view.awaited.as_deref(), Some("X-001"));
        // Their queue and the general one, not another doctor's; the first few listed, the rest counted.
        assert!(view.waiting.iter().all(|t| t.doctor_id != Some(8)));
        assert_eq!(view.waiting.len(), WAITING_SHOWN);
        assert_eq!((view.waiting_total, view.waiting_more()), (WAITING_SHOWN + 5, 5));
        assert_eq!(view.waiting[0].id, 10);
        assert_eq!(view.calls_made, 3);
    }

    #[test]
    fn call_next_away_from_the_queue_needs_a_room_a_patient_and_no_call_outstanding() {
        use TicketStatus::*;
        let s = snapshot(vec![ticket(1, Some(7), Called), ticket(2, None, Waiting)]);
        let awaited = NextCall::Awaited {
            code: "X-001".into(),
            room: "Room 1".into(),
        };
        assert_eq!(s.next_call(7), awaited);
        let ready = NextCall::Ready {
            calls_made: 0,
            room: "Room 2".into(),
            with_you: None,
        };
        assert_eq!(s.next_call(8), ready, "the general queue's patient");
        assert_eq!(s.next_call(9), NextCall::NoRoom);
        let quiet = snapshot(vec![ticket(1, Some(7), WithDoctor)]);
        assert_eq!(quiet.next_call(7), NextCall::NobodyWaiting);
        let busy = snapshot(vec![ticket(1, Some(7), WithDoctor), ticket(2, None, Waiting)]);
        assert_eq!(
            busy.next_call(7),
            NextCall::Ready {
                calls_made: 3,
                room: "Room 1".into(),
                with_you: Some("X-001".into()),
            },
            "a patient still in the room"
        );
    }

    /// `m` minutes into the tests' day.
    fn at(m: i64) -> Timestamp {
        Timestamp(1_700_000_000_000 + m * 60_000)
    }

    #[test]
    fn displays_show_one_call_per_room_and_the_next_few() {
        use TicketStatus::*;
        let mut older = ticket(1, Some(7), Called);
        older.last_called_at = Some(at(4));
        let s = snapshot(vec![
            older,
            ticket(2, Some(7), Called),
            ticket(3, Some(8), Called),
            ticket(4, None, Waiting),
            ticket(5, Some(8), Waiting),
        ]);
        let now = at(12);
        let all = s.tiles(DisplayFilter::All, now);
        let calling: Vec<&str> = all.calling.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(calling.len(), 2, "one call per room: {calling:?}");
        assert!(calling.contains(&"X-002") && !calling.contains(&"X-001"));
        assert_eq!(
            all.next.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(),
            ["X-004", "X-005"]
        );
        assert_eq!(
            all.next[1].room.as_deref(),
            Some("Room 2"),
            "a doctor's ticket shows their room"
        );
        let room = s.tiles(DisplayFilter::Room(2), now);
        assert_eq!(
            room.calling.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(),
            ["X-003"]
        );
        assert_eq!(room.next.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), ["X-005"]);
        assert_eq!(s.tiles(DisplayFilter::Doctor(9), now).next.len(), 0);
        assert!(DisplayFilter::Room(2).shows_call(2, 7) && !DisplayFilter::Doctor(8).shows_call(2, 7));
        assert_eq!(
            (DisplayFilter::Room(2).key(), DisplayFilter::Doctor(3).query()),
            ("room-2".into(), "?doctor=3".into())
        );
        assert_eq!(DisplayFilter::All.query(), "");
    }

    #[test]
    fn unanswered_calls_move_to_called_earlier_and_leave_when_old_or_their_room_moved_on() {
        use TicketStatus::*;
        // Ticket 2 called to room 1 at minute 7, ticket 3 to room 2 at minute 8.
        let s = snapshot(vec![ticket(2, Some(7), Called), ticket(3, Some(8), Called)]);
        let codes = |tiles: Vec<Tile>| -> Vec<String> { tiles.into_iter().map(|t| t.code).collect() };
        let shown = |s: &Snapshot, now| {
            let tiles = s.tiles(DisplayFilter::All, now);
            (codes(tiles.calling), codes(tiles.called_earlier))
        };
        assert_eq!(shown(&s, at(10)), (vec!["X-003".into(), "X-002".into()], vec![]));
        let shown_for = sickbay_core::queue::model::CALL_SHOWN_MINUTES;
        let (calling, earlier) = shown(&s, at(7 + shown_for));
        assert_eq!(
            (calling, earlier),
            (vec!["X-003".to_owned()], vec!["X-002".to_owned()]),
            "room 1's call waits"
        );
        let (calling, earlier) = shown(&s, at(180));
        assert!(
            calling.is_empty() && earlier.is_empty(),
            "hours later nothing is called"
        );
        // Room 2's doctor started another patient after calling X-003 (who never came): the room moved on.
        let mut started = ticket(4, Some(8), WithDoctor);
        started.started_at = Some(at(9));
        let s = snapshot(vec![ticket(2, Some(7), Called), ticket(3, Some(8), Called), started]);
        assert_eq!(shown(&s, at(10)), (vec!["X-002".into()], vec![]));
        assert_eq!(shown(&s, at(8 + shown_for)), (vec![], vec!["X-002".into()]));
    }

    #[test]
    fn a_patient_sees_their_place_and_wait() {
        use TicketStatus::*;
        let s = snapshot(vec![
            ticket(1, None, Waiting),
            ticket(2, Some(7), Waiting),
            ticket(3, Some(7), WithDoctor),
            ticket(4, Some(7), Waiting),
        ]);
        let place = s.place(104).expect("a ticket");
        // The general ticket and the doctor's earlier one are ahead, and the doctor is busy: 3 × 20 min slots.
        assert_eq!((place.ahead, place.wait_minutes), (2, 60));
        assert_eq!(place.room.as_deref(), Some("Room 1"));
        assert!(place.is_waiting() && !place.is_next());
        assert!(s.place(101).unwrap().is_next());
        assert!(s.place(103).unwrap().is_with_doctor());
        assert!(s.place(999).is_none());
    }

    #[test]
    fn tickets_answer_what_they_allow() {
        let called = ticket(1, Some(7), TicketStatus::Called);
        assert!(called.can(Move::Start) && called.can(Move::Recall) && !called.can(Move::Complete));
        let waiting = ticket(2, None, TicketStatus::Waiting);
        assert!(waiting.can(Move::Transfer) && !waiting.can(Move::Start));
        assert_eq!(waiting.priority_class(), "priority");
    }
}
