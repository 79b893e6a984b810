//! The two long live pages, reception's board and the doctor's queue, as [`Parts`], so a push carries only the
//! tickets and headings that changed (`web::live::patched`). Reception's board is rendered once per change (and
//! at most every [`MAX_AGE`] for pages) and shared by every desk; a doctor's queue is built for their screen.
//!
//! Pushed parts carry no CSRF token (htmx sends it as a header); the pages rendered for a request put it in
//! their forms, so they work as plain forms without JavaScript.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use chrono_tz::Tz;

use super::snapshot::{Column, DoctorView, Snapshot};
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::filters;
use crate::web::layout::Flash;
use crate::web::live::{List, LivePage, Parts};
use sickbay_core::db::paging::PageRequest;
use sickbay_core::db::{Date, Db, Timestamp};
use sickbay_core::queue::appointments;
use sickbay_core::queue::model::{DayStats, Move, Priority, due_matches, due_soon};
use sickbay_core::queue::repo::{self, Assignment, Room, Ticket};
use sickbay_core::scheduling::model::AppointmentView;
use sickbay_core::staff::model::Doctor;

/// How stale a page may be when no event told of a change (one that no event announces, or while this
/// instance's events from the others are interrupted).
pub const MAX_AGE: Duration = Duration::from_secs(2);

/// One ticket on a list.
#[derive(Template)]
#[template(path = "queue/_ticket.html")]
struct TicketRow<'a> {
    t: &'a Ticket,
    zone: Tz,
    /// Reception's board (with the status and clinic number), or the doctor's waiting list.
    board: bool,
    /// Whether the user may move it (an "Actions" link).
    menu: bool,
}

fn row(t: &Ticket, zone: Tz, board: bool, menu: bool) -> AppResult<(String, Arc<str>)> {
    let html = TicketRow { t, zone, board, menu }.render()?;
    Ok((format!("ticket-{}", t.id), Arc::from(html)))
}

// ---- reception's board ----------------------------------------------------------------------------------

/// What the board shows beside the queues, read from other tables once per change (a booking announces
/// itself with `Event::Bookings`) and at most every [`MAX_AGE`].
pub struct Desk {
    pub due: Vec<AppointmentView>,
    pub rooms: Vec<Room>,
    pub doctors: Vec<Doctor>,
}

impl Desk {
    pub async fn load(db: &Db, day: Date) -> AppResult<Desk> {
        Ok(Desk {
            due: appointments::due(db, day).await?,
            rooms: active_rooms(db).await?,
            doctors: sickbay_core::staff::service::active_doctors(db).await?,
        })
    }
}

pub async fn active_rooms(db: &Db) -> AppResult<Vec<Room>> {
    Ok(repo::rooms(db).await?.into_iter().filter(|r| r.active.0).collect())
}

/// When the board is built, and the no-show grace: which bookings its check-in list holds.
#[derive(Clone, Copy)]
struct DueClock {
    now: Timestamp,
    grace_minutes: i64,
}

impl DueClock {
    fn lists(self, a: &AppointmentView) -> bool {
        due_soon(a.starts_at, self.now, self.grace_minutes)
    }
}

/// Reception's board as of one change.
pub struct Board {
    columns: Vec<Column>,
    assignments: Vec<Assignment>,
    /// How many of the desk's bookings (the first, in time order) are on the check-in list.
    due_now: usize,
    /// How many of today's tickets closed as a no-show or "left" (which may be put back).
    closed: usize,
    desk: Desk,
    parts: Parts,
}

impl Board {
    /// The board as of event `seq`, built once for every stream that asks (and again when older than
    /// [`MAX_AGE`], or for a screen that opens: `fresh`).
    pub async fn shared(state: &AppState, seq: u64, fresh: bool) -> AppResult<Arc<Board>> {
        let build_state = state.clone();
        let build = || async move { Board::load(&build_state, seq).await.map(Arc::new) };
        let max_age = if fresh { Duration::ZERO } else { MAX_AGE };
        state.queue.boards.get_within("board", seq, max_age, build).await
    }

    /// The board for a page view: the shared one, unless it is older than [`MAX_AGE`].
    pub async fn current(state: &AppState) -> AppResult<Arc<Board>> {
        let (build_state, seq) = (state.clone(), state.db.events().last_seq());
        let build = || async move { Board::load(&build_state, seq).await.map(Arc::new) };
        state.queue.boards.get_within("board", seq, MAX_AGE, build).await
    }

    async fn load(state: &AppState, seq: u64) -> AppResult<Board> {
        let snapshot = Snapshot::fresh(state, seq).await?;
        let desk = Desk::load(&state.db, snapshot.day).await?;
        let settings = state.settings.get();
        let clock = DueClock {
            now: Timestamp::now(),
            grace_minutes: settings.booking.no_show_grace_minutes,
        };
        Board::build(&snapshot, desk, settings.clinic.time_zone, clock)
    }

    /// The board as of `clock`: the check-in list holds the bookings [`due_soon`] (the board is built again at
    /// least every [`MAX_AGE`], and its streams at least every minute, so the window moves with the clock).
    fn build(snapshot: &Snapshot, desk: Desk, zone: Tz, clock: DueClock) -> AppResult<Board> {
        let due_now = desk.due.iter().filter(|a| clock.lists(a)).count();
        let closed: Vec<&Ticket> = snapshot.tickets.iter().filter(|t| t.can(Move::Reinstate)).collect();
        let mut board = Board {
            columns: snapshot.columns(),
            assignments: snapshot.assignments.clone(),
            due_now,
            closed: closed.len(),
            desk,
            parts: Parts::default(),
        };
        let totals = Totals {
            totals: snapshot.totals(),
        };
        let strip = Strip {
            columns: &board.columns,
            waiting: totals.totals.waiting,
        };
        let mut units = vec![
            ("day-totals".to_owned(), Arc::from(totals.render()?)),
            ("queue-strip".to_owned(), Arc::from(strip.render()?)),
        ];
        let mut lists = Vec::new();
        for column in &board.columns {
            units.push((
                format!("{}-head", column.dom_id()),
                Arc::from(board.head(column, None)?),
            ));
            let rows = column.tickets.iter().map(|t| row(t, zone, true, true));
            lists.push(List {
                id: list_id(column),
                items: rows.collect::<AppResult<_>>()?,
            });
        }
        units.push((
            "closed-count".to_owned(),
            Arc::from(ClosedCount { count: board.closed }.render()?),
        ));
        let closed = closed.into_iter().map(|t| {
            let html = ClosedRow { t, zone }.render()?;
            Ok((format!("closed-{}", t.id), Arc::from(html)))
        });
        lists.push(List {
            id: "closed-list".to_owned(),
            items: closed.collect::<AppResult<_>>()?,
        });
        units.push(("due-note".to_owned(), Arc::from(board.due_note()?)));
        units.push(("room-assignments-box".to_owned(), Arc::from(board.rooms()?)));
        let due = board.desk.due.iter().filter(|a| clock.lists(a)).map(|a| {
            let html = DueRow { a, zone }.render()?;
            Ok((format!("due-{}", a.id), Arc::from(html)))
        });
        lists.push(List {
            id: "due-list".to_owned(),
            items: due.collect::<AppResult<_>>()?,
        });
        board.parts = Parts { units, lists };
        Ok(board)
    }

    /// Today's bookings still to check in, in time order.
    pub fn bookings_to_check_in(&self) -> &[AppointmentView] {
        &self.desk.due
    }

    /// A page of today's bookings still to check in that match `search`, in time order, and how many match
    /// (`/queue/due`): a busy day has hundreds, and reception looks for one.
    pub fn due_today(&self, search: &str, page: PageRequest) -> (Vec<AppointmentView>, i64) {
        let search = search.to_lowercase();
        let found: Vec<&AppointmentView> = self
            .desk
            .due
            .iter()
            .filter(|a| due_matches(&a.patient_name, &a.clinic_number, &search))
            .collect();
        let skipped = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let shown = found
            .iter()
            .skip(skipped)
            .take(usize::try_from(page.limit()).unwrap_or(0))
            .map(|a| (*a).clone())
            .collect();
        (shown, i64::try_from(found.len()).unwrap_or(i64::MAX))
    }

    /// The doctors working today, for the walk-in form's choice of queue.
    pub fn doctors(&self) -> &[Doctor] {
        &self.desk.doctors
    }

    /// The whole live region for a page view, with the user's token in its forms.
    pub fn render(&self, csrf_token: &str) -> AppResult<String> {
        self.fragment(Some(csrf_token))
    }

    /// The desk panel's list of bookings to check in, for a page view with the user's token and the answer of a
    /// plain check-in.
    pub fn check_in(&self, csrf_token: &str, check_in_flash: Option<&Flash>) -> AppResult<String> {
        let card = CheckIn {
            board: self,
            csrf_token: Some(csrf_token),
            check_in_flash,
        };
        Ok(card.render()?)
    }

    /// A push carries no token and draws the bookings to check in out of band.
    fn fragment(&self, csrf_token: Option<&str>) -> AppResult<String> {
        let fragment = BoardFragment {
            board: self,
            csrf_token,
            pushed: csrf_token.is_none(),
        };
        Ok(fragment.render()?)
    }

    fn due_box(&self, oob: bool) -> AppResult<String> {
        Ok(DueBox { board: self, oob }.render()?)
    }

    fn head(&self, column: &Column, csrf_token: Option<&str>) -> AppResult<String> {
        Ok(ColumnHead { column, csrf_token }.render()?)
    }

    fn due_note(&self) -> AppResult<String> {
        Ok(DueNote {
            shown: self.due_now,
            others: self.desk.due.len() - self.due_now,
        }
        .render()?)
    }

    fn rooms(&self) -> AppResult<String> {
        let table = RoomsTable {
            rooms: &self.desk.rooms,
            doctors: &self.desk.doctors,
            assignments: &self.assignments,
        };
        Ok(table.render()?)
    }
}

impl LivePage for Board {
    fn parts(&self) -> &Parts {
        &self.parts
    }

    fn full(&self) -> AppResult<String> {
        self.fragment(None)
    }
}

fn list_id(column: &Column) -> String {
    format!("{}-list", column.dom_id())
}

#[derive(Template)]
#[template(path = "queue/_board.html")]
struct BoardFragment<'a> {
    board: &'a Board,
    csrf_token: Option<&'a str>,
    /// A push, which also redraws the panel's bookings to check in (outside the live region).
    pushed: bool,
}

#[derive(Template)]
#[template(path = "queue/_check_in.html")]
struct CheckIn<'a> {
    board: &'a Board,
    csrf_token: Option<&'a str>,
    /// A plain check-in's answer. The region keeps what it shows when the list changes (`hx-preserve`).
    check_in_flash: Option<&'a Flash>,
}

#[derive(Template)]
#[template(path = "queue/_due_box.html")]
struct DueBox<'a> {
    board: &'a Board,
    oob: bool,
}

impl BoardFragment<'_> {
    fn head(&self, column: &Column) -> AppResult<String> {
        self.board.head(column, self.csrf_token)
    }

    fn list_id(&self, column: &Column) -> String {
        list_id(column)
    }
}

#[derive(Template)]
#[template(path = "queue/_totals.html")]
struct Totals {
    totals: DayStats,
}

#[derive(Template)]
#[template(path = "queue/_strip.html")]
struct Strip<'a> {
    columns: &'a [Column],
    waiting: usize,
}

#[derive(Template)]
#[template(path = "queue/_column_head.html")]
struct ColumnHead<'a> {
    column: &'a Column,
    csrf_token: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "queue/_due_row.html")]
struct DueRow<'a> {
    a: &'a AppointmentView,
    zone: Tz,
}

/// A ticket closed today as a no-show or "left", which reception may put back in its place.
#[derive(Template)]
#[template(path = "queue/_closed_row.html")]
struct ClosedRow<'a> {
    t: &'a Ticket,
    zone: Tz,
}

#[derive(Template)]
#[template(path = "queue/_closed_count.html")]
struct ClosedCount {
    count: usize,
}

#[derive(Template)]
#[template(path = "queue/_due_note.html")]
struct DueNote {
    /// Bookings on the board's list.
    shown: usize,
    /// Today's other bookings to check in (on `/queue/due`): later than
    /// [`sickbay_core::queue::model::DUE_AHEAD_MINUTES`] from now, or late past the no-show grace.
    others: usize,
}

#[derive(Template)]
#[template(path = "queue/_rooms_table.html")]
struct RoomsTable<'a> {
    rooms: &'a [Room],
    doctors: &'a [Doctor],
    assignments: &'a [Assignment],
}

impl RoomsTable<'_> {
    fn room_of(&self, doctor_id: &i64) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.doctor_id == *doctor_id)
    }
}

// ---- the doctor's queue -----------------------------------------------------------------------------------

/// What the doctor's page shows beside the queue: the rooms to choose from and the doctors to transfer to.
struct Office {
    pub rooms: Vec<Room>,
    pub doctors: Vec<Doctor>,
}

impl Office {
    async fn load(db: &Db) -> AppResult<Office> {
        Ok(Office {
            rooms: active_rooms(db).await?,
            doctors: sickbay_core::staff::service::active_doctors(db).await?,
        })
    }
}

/// One doctor's queue as of one change.
pub struct DoctorBoard {
    zone: Tz,
    view: DoctorView,
    room: Option<Assignment>,
    office: Office,
    parts: Parts,
}

impl DoctorBoard {
    /// The doctor's queue as of event `seq`, built on the shared snapshot for one screen. It is not kept for
    /// the next: a doctor has one screen, and in the clinic benchmark a kept one was shown again for one view
    /// in seven.
    pub async fn load(state: &AppState, doctor_id: i64, seq: u64) -> AppResult<Arc<DoctorBoard>> {
        let snapshot = Snapshot::fresh(state, seq).await?;
        let office = Office::load(&state.db).await?;
        DoctorBoard::build(&snapshot, doctor_id, office, state.settings.get().clinic.time_zone).map(Arc::new)
    }

    fn build(snapshot: &Snapshot, doctor_id: i64, office: Office, zone: Tz) -> AppResult<DoctorBoard> {
        let mut board = DoctorBoard {
            zone,
            view: snapshot.doctor_view(doctor_id),
            room: snapshot.room_of(doctor_id).cloned(),
            office,
            parts: Parts::default(),
        };
        let fragment = board.fragment(&board.office, None);
        let note = WaitingNote {
            empty: board.view.waiting.is_empty(),
        };
        let more = WaitingMore {
            more: board.view.waiting_more(),
        };
        let units = vec![
            ("my-room".to_owned(), Arc::from(fragment.room_form()?)),
            ("call-next-box".to_owned(), Arc::from(fragment.call_next()?)),
            ("current".to_owned(), Arc::from(fragment.current()?)),
            ("nobody-waiting".to_owned(), Arc::from(note.render()?)),
            ("waiting-more".to_owned(), Arc::from(more.render()?)),
            (
                "my-stats".to_owned(),
                Arc::from(DoctorStats { view: &board.view }.render()?),
            ),
        ];
        let rows = board
            .view
            .waiting
            .iter()
            .map(|t| row(t, zone, false, t.is_in_queue_of(&doctor_id)));
        let lists = vec![List {
            id: "waiting-tickets".to_owned(),
            items: rows.collect::<AppResult<_>>()?,
        }];
        board.parts = Parts { units, lists };
        Ok(board)
    }

    fn fragment<'a>(&'a self, office: &'a Office, csrf_token: Option<&'a str>) -> DoctorFragment<'a> {
        DoctorFragment {
            board: self,
            office,
            csrf_token,
        }
    }

    /// The whole live region: for a page view with the user's token, for a push without.
    pub fn render(&self, csrf_token: Option<&str>) -> AppResult<String> {
        Ok(self.fragment(&self.office, csrf_token).render()?)
    }
}

impl LivePage for DoctorBoard {
    fn parts(&self) -> &Parts {
        &self.parts
    }

    fn full(&self) -> AppResult<String> {
        self.render(None)
    }
}

#[derive(Template)]
#[template(path = "queue/_doctor.html")]
struct DoctorFragment<'a> {
    board: &'a DoctorBoard,
    office: &'a Office,
    csrf_token: Option<&'a str>,
}

impl DoctorFragment<'_> {
    fn room_form(&self) -> AppResult<String> {
        let form = DoctorRoom {
            rooms: &self.office.rooms,
            room: self.board.room.as_ref(),
            csrf_token: self.csrf_token,
        };
        Ok(form.render()?)
    }

    fn call_next(&self) -> AppResult<String> {
        let form = DoctorCall {
            view: &self.board.view,
            has_room: self.board.room.is_some(),
            csrf_token: self.csrf_token,
        };
        Ok(form.render()?)
    }

    fn current(&self) -> AppResult<String> {
        let section = DoctorCurrent {
            view: &self.board.view,
            has_room: self.board.room.is_some(),
            doctors: &self.office.doctors,
            zone: self.board.zone,
            csrf_token: self.csrf_token,
        };
        Ok(section.render()?)
    }
}

#[derive(Template)]
#[template(path = "queue/_doctor_room.html")]
struct DoctorRoom<'a> {
    rooms: &'a [Room],
    room: Option<&'a Assignment>,
    csrf_token: Option<&'a str>,
}

impl DoctorRoom<'_> {
    fn is_mine(&self, room_id: &i64) -> bool {
        self.room.is_some_and(|a| a.room_id == *room_id)
    }
}

#[derive(Template)]
#[template(path = "queue/_doctor_call.html")]
struct DoctorCall<'a> {
    view: &'a DoctorView,
    has_room: bool,
    csrf_token: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "queue/_doctor_current.html")]
struct DoctorCurrent<'a> {
    view: &'a DoctorView,
    has_room: bool,
    doctors: &'a [Doctor],
    zone: Tz,
    csrf_token: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "queue/_doctor_stats.html")]
struct DoctorStats<'a> {
    view: &'a DoctorView,
}

#[derive(Template)]
#[template(path = "queue/_waiting_note.html")]
struct WaitingNote {
    empty: bool,
}

#[derive(Template)]
#[template(path = "queue/_waiting_more.html")]
struct WaitingMore {
    more: usize,
}

// ---- one ticket's actions ---------------------------------------------------------------------------------

/// A ticket and the moves it allows, for the user asking.
#[derive(Template)]
#[template(path = "queue/_ticket_menu.html")]
pub struct TicketMenu<'a> {
    pub t: &'a Ticket,
    pub zone: Tz,
    pub doctors: &'a [Doctor],
    pub can_cancel: bool,
    pub csrf_token: Option<&'a str>,
    /// On the ticket's own page (its title the page's heading), not in the board's dialog.
    pub on_page: bool,
}
