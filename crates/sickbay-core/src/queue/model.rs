//! The queue's rules as plain functions: ticket codes, which moves each status allows, where a skipped ticket
//! goes back, a patient's place and estimated wait, and the day's statistics.

use crate::db::types::InvalidValue;
use crate::db::{Date, Timestamp};
use crate::text_enum;

/// The prefix of tickets in the day's general queue (and of a doctor's queue while they have no room).
pub const GENERAL_PREFIX: &str = "G";
/// The estimated consultation length when the doctor has no consultations today and no slots to go by.
pub const DEFAULT_CONSULTATION_MINUTES: i64 = 15;
/// How many of the doctor's latest consultations today the rolling median looks at.
pub const ROLLING_WINDOW: usize = 10;

text_enum! {
    pub enum Priority {
        Emergency => "emergency",
        Urgent => "urgent",
        Normal => "normal",
    }
}

impl Priority {
    pub fn label(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Urgent => "Urgent",
            Priority::Normal => "Normal",
        }
    }
}

text_enum! {
    pub enum TicketStatus {
        Waiting => "waiting",
        Called => "called",
        WithDoctor => "with_doctor",
        Completed => "completed",
        NoShow => "no_show",
        Cancelled => "cancelled",
    }
}

impl TicketStatus {
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "Waiting",
            TicketStatus::Called => "Called",
            TicketStatus::WithDoctor => "With the doctor",
            TicketStatus::Completed => "Done",
            TicketStatus::NoShow => "No-show",
            TicketStatus::Cancelled => "Left the clinic",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketStatus::Waiting | TicketStatus::Called | TicketStatus::WithDoctor
        )
    }
}

/// What staff can do to a ticket after it was issued (calling the next one is separate: it picks the ticket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Call a called patient again (they did not come).
    Recall,
    /// Send a called or waiting ticket back behind a few others.
    Skip,
    /// The patient came in: the consultation starts.
    Start,
    Complete,
    NoShow,
    /// Reception only: the patient left.
    Cancel,
    /// To another doctor's queue or the general queue.
    Transfer,
    /// Undoes a no-show or "left": the ticket goes back to its place in the queue (today's tickets only).
    Reinstate,
    /// A waiting patient's priority changes (they got worse, or were marked urgent by mistake): the queue's
    /// order follows it.
    Prioritise,
    /// The patient, on their phone: they are going, while still waiting (once called, they go to the room).
    Leave,
}

impl Move {
    /// The move named by the last part of its address, such as `/queue/tickets/7/no-show`.
    pub fn from_path(text: &str) -> Option<Move> {
        Some(match text {
            "recall" => Move::Recall,
            "skip" => Move::Skip,
            "start" => Move::Start,
            "complete" => Move::Complete,
            "no-show" => Move::NoShow,
            "cancel" => Move::Cancel,
            "transfer" => Move::Transfer,
            "reinstate" => Move::Reinstate,
            "priority" => Move::Prioritise,
            // Leave is the patient's own (`/me/queue/leave`), never a staff move on a ticket.
            _ => return None,
        })
    }

    /// The last part of the move's address: `/queue/tickets/7/no-show`.
    pub fn path(self) -> &'static str {
        match self {
            Move::Recall => "recall",
            Move::Skip => "skip",
            Move::Start => "start",
            Move::Complete => "complete",
            Move::NoShow => "no-show",
            Move::Cancel => "cancel",
            Move::Transfer => "transfer",
            Move::Reinstate => "reinstate",
            Move::Prioritise => "priority",
            Move::Leave => "leave",
        }
    }

    /// Whether a ticket that is `status` may make this move.
    pub fn allowed(self, status: TicketStatus) -> bool {
        self.allowed_from().contains(&status)
    }

    /// What the page says after the move.
    pub fn done_message(self, code: &str, patient: &str, to: Option<&str>) -> String {
        match to {
            Some(to) => format!("{patient} ({code}) {} {to}.", self.past_tense()),
            None => format!("{patient} ({code}) {}.", self.past_tense()),
        }
    }

    /// The statuses a ticket may be in for this move.
    pub fn allowed_from(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            Move::Recall | Move::Start => &[Called],
            Move::Skip | Move::NoShow | Move::Cancel | Move::Transfer => &[Waiting, Called],
            Move::Complete => &[WithDoctor],
            Move::Reinstate => &[NoShow, Cancelled],
            Move::Leave | Move::Prioritise => &[Waiting],
        }
    }

    /// The status the ticket has after the move.
    pub fn result(self) -> TicketStatus {
        match self {
            Move::Recall => TicketStatus::Called,
            Move::Skip | Move::Transfer | Move::Reinstate | Move::Prioritise => TicketStatus::Waiting,
            Move::Start => TicketStatus::WithDoctor,
            Move::Complete => TicketStatus::Completed,
            Move::NoShow => TicketStatus::NoShow,
            Move::Cancel | Move::Leave => TicketStatus::Cancelled,
        }
    }

    pub fn audit_action(self) -> &'static str {
        match self {
            Move::Recall => "ticket.recall",
            Move::Skip => "ticket.skip",
            Move::Start => "ticket.start",
            Move::Complete => "ticket.complete",
            Move::NoShow => "ticket.no_show",
            Move::Cancel => "ticket.cancel",
            Move::Transfer => "ticket.transfer",
            Move::Reinstate => "ticket.reinstate",
            Move::Prioritise => "ticket.priority",
            Move::Leave => "ticket.leave",
        }
    }

    /// Why the move can't be made to a ticket that is `status` (someone else moved it first, or the page
    /// was stale).
    pub fn refusal(self, code: &str, status: TicketStatus) -> String {
        format!(
            "Ticket {code} is {} now, so it can't be {}. The queue has been refreshed.",
            status.label().to_lowercase(),
            self.past_tense()
        )
    }

    fn past_tense(self) -> &'static str {
        match self {
            Move::Recall => "called again",
            Move::Skip => "skipped",
            Move::Start => "started",
            Move::Complete => "completed",
            Move::NoShow => "marked as a no-show",
            Move::Cancel => "cancelled",
            Move::Transfer => "transferred",
            Move::Reinstate => "put back in the queue",
            Move::Prioritise => "marked",
            Move::Leave => "taken out of the queue",
        }
    }

    /// The move that undoes this one, offered beside its message: a no-show or "left" taken by mistake.
    pub fn undone_by(self) -> Option<Move> {
        match self {
            Move::NoShow | Move::Cancel => Some(Move::Reinstate),
            _ => None,
        }
    }
}

/// The display's "Next": the first waiting ticket of every queue, then the second of every queue, and so on, up
/// to `count`, so every room's next patient is on the screen however long another queue is. `waiting` is in the
/// clinic's order (each queue's tickets in its own order); `queue_of` names a ticket's queue.
pub fn next_up<T, Q: PartialEq>(waiting: Vec<T>, queue_of: impl Fn(&T) -> Q, count: usize) -> Vec<T> {
    let mut queues: Vec<(Q, std::collections::VecDeque<T>)> = Vec::new();
    for ticket in waiting {
        let queue = queue_of(&ticket);
        match queues.iter_mut().find(|(q, _)| *q == queue) {
            Some((_, tickets)) => tickets.push_back(ticket),
            None => queues.push((queue, std::collections::VecDeque::from([ticket]))),
        }
    }
    let mut next = Vec::with_capacity(count);
    while next.len() < count && queues.iter().any(|(_, tickets)| !tickets.is_empty()) {
        for (_, tickets) in &mut queues {
            if next.len() < count
                && let Some(ticket) = tickets.pop_front()
            {
                next.push(ticket);
            }
        }
    }
    next
}

/// Only a ticket of today goes back in the queue: an earlier day's patient comes back as a walk-in.
pub fn reinstate_refusal(code: &str, day: Date, today: Date) -> Option<String> {
    (day != today).then(|| {
        format!("Ticket {code} was for {day}; only today's tickets go back in the queue. Add the patient as a walk-in.")
    })
}

/// Why a patient booked today is not added as a walk-in: they are checked in to their booking (at its time, in
/// its doctor's queue), which a walk-in ticket would leave open.
pub fn check_in_instead(patient: &str, starts_at: Timestamp, doctor: &str, zone: chrono_tz::Tz) -> String {
    let at = starts_at.to_utc().with_timezone(&zone).format("%H:%M");
    format!(
        "{patient} is booked today at {at} with {doctor}: check them in to that booking (its Check in button on \
         the desk) rather than adding a walk-in."
    )
}

/// `A-012`: the prefix and the day's number, three digits at least.
pub fn ticket_code(prefix: &str, number: i64) -> String {
    format!("{prefix}-{number:03}")
}

/// The name of the counter that numbers a prefix's tickets on a day.
pub fn ticket_sequence(day: &str, prefix: &str) -> String {
    format!("ticket:{day}:{prefix}")
}

/// The counter of a doctor's calls on a day. Every "call next" advances it, so a form that carries the value
/// it showed can be refused when another call came first, whatever happened to the tickets in between.
pub fn calls_sequence(day: &str, doctor_id: i64) -> String {
    format!("{}{doctor_id}", calls_prefix(day))
}

/// The start of the names of a day's call counters.
pub fn calls_prefix(day: &str) -> String {
    format!("calls:{day}:")
}

/// The doctor whose counter `name` is, for a name that starts with `calls_prefix(day)`.
pub fn calls_doctor(name: &str, day: &str) -> Option<i64> {
    name.strip_prefix(&calls_prefix(day))?.parse().ok()
}

/// How long a call stays under "Now calling" on the waiting-room display when nobody answers it (the doctor
/// neither starts, calls again nor marks a no-show). Calling again shows it for as long again.
pub const CALL_SHOWN_MINUTES: i64 = 10;

/// How long an unanswered call then stays in the display's smaller "Called earlier" line, so a patient who was
/// away when called still finds their number; a call left there for hours would be old news.
pub const CALL_REMINDED_MINUTES: i64 = 60;

/// Where a call stands for the waiting-room display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStanding {
    /// Under "Now calling": called (or called again) less than [`CALL_SHOWN_MINUTES`] ago.
    Current,
    /// Unanswered for longer, up to [`CALL_REMINDED_MINUTES`]: under "Called earlier".
    Earlier,
    /// Off the screen: too old, or its room has moved on (a consultation started there after the call).
    Over,
}

/// The one rule of what the display shows of a called ticket.
pub fn call_standing(last_called_at: Timestamp, room_started_at: Option<Timestamp>, now: Timestamp) -> CallStanding {
    let age = now.0 - last_called_at.0;
    let room_moved_on = room_started_at.is_some_and(|started| started >= last_called_at);
    if room_moved_on || age >= CALL_REMINDED_MINUTES * 60_000 {
        CallStanding::Over
    } else if age < CALL_SHOWN_MINUTES * 60_000 {
        CallStanding::Current
    } else {
        CallStanding::Earlier
    }
}

/// How a code is read out: `A-012` → `A 12`.
pub fn spoken_code(code: &str) -> String {
    match code.split_once('-') {
        Some((prefix, number)) => match number.parse::<i64>() {
            Ok(n) => format!("{prefix} {n}"),
            Err(_) => code.replace('-', " "),
        },
        None => code.to_owned(),
    }
}

/// A room's ticket prefix: one or two letters, upper-cased, and not the general queue's.
pub fn parse_room_code(text: &str) -> Result<String, InvalidValue> {
    let code = text.trim().to_uppercase();
    let letters = (1..=2).contains(&code.chars().count()) && code.chars().all(|c| c.is_ascii_uppercase());
    if !letters {
        return Err(InvalidValue("Enter one or two letters, such as A or CD.".into()));
    }
    if code == GENERAL_PREFIX {
        return Err(InvalidValue(format!(
            "{GENERAL_PREFIX} is the general queue's prefix; choose another letter."
        )));
    }
    Ok(code)
}

/// A room's display name: what the screen shows and the voice says.
pub fn parse_room_name(text: &str) -> Result<String, InvalidValue> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err(InvalidValue("Enter the room's name, such as Room 3.".into())),
        1..=40 => Ok(name),
        _ => Err(InvalidValue("Keep the room's name to 40 characters.".into())),
    }
}

/// A waiting ticket as the ordering sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub doctor_id: Option<i64>,
    pub priority: Priority,
    pub order_at: i64,
}

/// The order key a skipped ticket gets: just behind the `places`-th ticket of the same priority that waits
/// in the same queue (or last of its priority when fewer wait). `waiting` is in queue order and may hold the
/// skipped ticket itself, which is ignored. Never earlier than where the ticket already was.
pub fn order_after_skip(waiting: &[Queued], skipped: &Queued, places: usize) -> i64 {
    let behind: Vec<&Queued> = waiting
        .iter()
        .filter(|t| t.id != skipped.id && t.priority == skipped.priority && t.doctor_id == skipped.doctor_id)
        .filter(|t| t.order_at >= skipped.order_at)
        .take(places.max(1))
        .collect();
    match behind.last() {
        Some(last) => last.order_at.max(skipped.order_at) + 1,
        None => skipped.order_at,
    }
}

/// How many waiting tickets come before `mine`: the ones a doctor's "call next" takes first. A doctor's
/// ticket competes with that doctor's queue and the general queue; a general ticket with the general queue.
/// `waiting` is in queue order.
pub fn places_ahead(waiting: &[Queued], mine: &Queued) -> usize {
    waiting
        .iter()
        .take_while(|t| t.id != mine.id)
        .filter(|t| t.doctor_id.is_none() || t.doctor_id == mine.doctor_id)
        .count()
}

/// The median of the last `ROLLING_WINDOW` values (in the order given, oldest first).
pub fn rolling_median(values: &[i64]) -> Option<i64> {
    let start = values.len().saturating_sub(ROLLING_WINDOW);
    median(&values[start..])
}

pub fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2
    } else {
        sorted[mid]
    })
}

/// The estimated wait in minutes: the people ahead, plus the one being seen, times the typical consultation
/// (the rolling median of today's, else the doctor's slot length, else the default).
pub fn estimated_wait_minutes(ahead: usize, median_consultation_ms: Option<i64>, slot_minutes: Option<i64>) -> i64 {
    let each = median_consultation_ms
        .map(|ms| (ms + 59_999) / 60_000)
        .or(slot_minutes)
        .unwrap_or(DEFAULT_CONSULTATION_MINUTES)
        .max(1);
    i64::try_from(ahead).unwrap_or(i64::MAX).saturating_mul(each)
}

/// A ticket's times, for the statistics.
#[derive(Clone, Debug)]
pub struct TicketTimes {
    pub doctor_id: Option<i64>,
    pub status: TicketStatus,
    pub checked_in_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// One queue's day so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayStats {
    pub served: usize,
    pub waiting: usize,
    pub no_shows: usize,
    /// From check-in to the first call.
    pub median_wait_minutes: Option<i64>,
    /// From start to completion.
    pub median_consultation_minutes: Option<i64>,
}

impl DayStats {
    pub fn of(tickets: impl IntoIterator<Item = TicketTimes>) -> DayStats {
        let (mut stats, mut waits, mut consultations) = (DayStats::default(), Vec::new(), Vec::new());
        for t in tickets {
            match t.status {
                TicketStatus::Completed => stats.served += 1,
                TicketStatus::Waiting => stats.waiting += 1,
                TicketStatus::NoShow => stats.no_shows += 1,
                _ => {}
            }
            if let Some(called) = t.called_at {
                waits.push(called.0 - t.checked_in_at.0);
            }
            if let (Some(started), Some(finished), TicketStatus::Completed) = (t.started_at, t.finished_at, t.status) {
                consultations.push(finished.0 - started.0);
            }
        }
        stats.median_wait_minutes = median(&waits).map(minutes);
        stats.median_consultation_minutes = median(&consultations).map(minutes);
        stats
    }
}

/// Whole minutes, rounded to the nearest.
pub fn minutes(ms: i64) -> i64 {
    (ms + 30_000) / 60_000
}

/// How far ahead reception's board lists the bookings to check in. The rest of the day is a tap away
/// (`/queue/due`): a busy day's 600 bookings would otherwise make the board, pushed to every desk, mostly a list
/// of people who are hours away.
pub const DUE_AHEAD_MINUTES: i64 = 60;

/// Whether a booking that starts at `starts_at` is on the board's check-in list at `now`: starting within
/// [`DUE_AHEAD_MINUTES`], or late by no more than the no-show grace (`grace_minutes`). A booking later than
/// that is a no-show by the next run of the minute's job, and is still on `/queue/due` until then.
pub fn due_soon(starts_at: Timestamp, now: Timestamp, grace_minutes: i64) -> bool {
    now.minus_minutes(grace_minutes) <= starts_at && starts_at <= now.plus_minutes(DUE_AHEAD_MINUTES)
}

/// Whether a booking on `/queue/due` is one reception searched for: its patient's name or clinic number
/// contains `folded_search` (the search in lower case, folded once for the whole list), whatever the case. An
/// empty search finds every booking.
pub fn due_matches(patient_name: &str, clinic_number: &str, folded_search: &str) -> bool {
    folded_search.is_empty()
        || patient_name.to_lowercase().contains(folded_search)
        || clinic_number.to_lowercase().contains(folded_search)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patient_booked_today_is_pointed_to_their_booking() {
        let zone = chrono_tz::Africa::Lagos;
        let noon_in_lagos = Timestamp::start_of_day(Date::parse("2026-11-30").expect("day").0, zone).plus_minutes(720);
        assert_eq!(
            check_in_instead("Ada Okafor", noon_in_lagos, "Dr Musa Danjuma", zone),
            "Ada Okafor is booked today at 12:00 with Dr Musa Danjuma: check them in to that booking (its Check in \
             button on the desk) rather than adding a walk-in."
        );
    }

    #[test]
    fn the_display_shows_the_next_of_every_queue_before_the_second_of_any() {
        // (queue, code) in the clinic's order: queue A's tickets came first.
        let waiting = vec![
            ("A", "A-1"),
            ("A", "A-2"),
            ("A", "A-3"),
            ("B", "B-1"),
            ("C", "C-1"),
            ("B", "B-2"),
        ];
        let codes = |next: Vec<(&str, &'static str)>| next.into_iter().map(|(_, code)| code).collect::<Vec<_>>();
        assert_eq!(
            codes(next_up(waiting.clone(), |t| t.0, 4)),
            ["A-1", "B-1", "C-1", "A-2"]
        );
        assert_eq!(
            codes(next_up(waiting.clone(), |t| t.0, 10)),
            ["A-1", "B-1", "C-1", "A-2", "B-2", "A-3"]
        );
        assert!(next_up(waiting, |t| t.0, 0).is_empty());
        assert!(next_up(Vec::<(&str, &str)>::new(), |t| t.0, 3).is_empty());
    }

    #[test]
    fn only_todays_tickets_go_back_in_the_queue() {
        let today = Date::parse("2026-03-10").expect("a date");
        let yesterday = Date::parse("2026-03-09").expect("a date");
        assert_eq!(reinstate_refusal("A-004", today, today), None);
        let refused = reinstate_refusal("A-004", yesterday, today).expect("refused");
        assert!(refused.starts_with("Ticket A-004 was for 2026-03-09;"), "{refused}");
        assert!(refused.ends_with("Add the patient as a walk-in."), "{refused}");
    }

    #[test]
    fn a_call_is_shown_then_recalled_until_it_is_old_or_its_room_moved_on() {
        use CallStanding::*;
        let called = Timestamp(1_000_000_000_000);
        let minute = 60_000;
        let at = |minutes: i64| Timestamp(called.0 + minutes * minute);
        assert_eq!(call_standing(called, None, called), Current);
        assert_eq!(
            call_standing(called, None, Timestamp(at(CALL_SHOWN_MINUTES).0 - 1)),
            Current
        );
        assert_eq!(
            call_standing(called, None, at(CALL_SHOWN_MINUTES)),
            Earlier,
            "unanswered"
        );
        assert_eq!(
            call_standing(called, None, Timestamp(at(CALL_REMINDED_MINUTES).0 - 1)),
            Earlier
        );
        assert_eq!(call_standing(called, None, at(CALL_REMINDED_MINUTES)), Over, "old news");
        assert_eq!(call_standing(called, None, at(180)), Over, "hours later");
        // A consultation started in the room after the call: the room has moved on, however recent the call.
        assert_eq!(call_standing(called, Some(at(1)), at(2)), Over);
        assert_eq!(call_standing(called, Some(at(1)), at(CALL_SHOWN_MINUTES + 1)), Over);
        // One started before the call (the previous patient) does not matter.
        assert_eq!(call_standing(called, Some(at(-5)), at(2)), Current);
        assert_eq!(call_standing(called, Some(at(-5)), at(CALL_SHOWN_MINUTES + 1)), Earlier);
    }

    #[test]
    fn a_booking_is_found_by_part_of_its_patients_name_or_clinic_number_in_any_case() {
        assert!(due_matches("Ada Okafor", "UC-000123", ""));
        assert!(due_matches("Ada Okafor", "UC-000123", "okaf"));
        assert!(due_matches("Ada Okafor", "UC-000123", "uc-0001"));
        assert!(!due_matches("Ada Okafor", "UC-000123", "bello"));
    }

    #[test]
    fn the_board_lists_bookings_from_the_no_show_grace_to_an_hour_ahead() {
        let now = Timestamp(1_000_000_000);
        let grace = 30;
        assert!(due_soon(now.minus_minutes(grace), now, grace), "late, within the grace");
        assert!(
            !due_soon(Timestamp(now.minus_minutes(grace).0 - 1), now, grace),
            "a no-show"
        );
        assert!(due_soon(now, now, grace));
        assert!(
            due_soon(now.plus_minutes(DUE_AHEAD_MINUTES), now, grace),
            "exactly an hour ahead"
        );
        assert!(!due_soon(
            Timestamp(now.plus_minutes(DUE_AHEAD_MINUTES).0 + 1),
            now,
            grace
        ));
        assert!(!due_soon(now.plus_minutes(180), now, grace));
    }

    fn queued(id: i64, doctor_id: Option<i64>, priority: Priority, order_at: i64) -> Queued {
        Queued {
            id,
            doctor_id,
            priority,
            order_at,
        }
    }

    #[test]
    fn codes_are_padded_and_read_out_without_zeros() {
        assert_eq!(ticket_code("A", 12), "A-012");
        assert_eq!(ticket_code("CD", 1234), "CD-1234");
        assert_eq!(spoken_code("A-012"), "A 12");
        assert_eq!(spoken_code("G-100"), "G 100");
        assert_eq!(ticket_sequence("2026-11-22", "A"), "ticket:2026-11-22:A");
        let calls = calls_sequence("2026-11-22", 7);
        assert_eq!(calls_doctor(&calls, "2026-11-22"), Some(7));
        assert_eq!(calls_doctor(&calls, "2026-11-23"), None);
    }

    #[test]
    fn room_codes_are_one_or_two_letters_but_not_the_general_prefix() {
        assert_eq!(parse_room_code(" b ").unwrap(), "B");
        assert_eq!(parse_room_code("cd").unwrap(), "CD");
        assert!(parse_room_code("").is_err());
        assert!(parse_room_code("A1").is_err());
        assert!(parse_room_code("ABC").is_err());
        assert!(parse_room_code("É").is_err());
        assert!(parse_room_code("g").unwrap_err().0.contains("general queue"));
        assert_eq!(parse_room_name("  Room   3 ").unwrap(), "Room 3");
        assert!(parse_room_name(" ").is_err());
        assert!(parse_room_name(&"x".repeat(41)).is_err());
    }

    #[test]
    fn moves_follow_the_ticket_lifecycle() {
        assert!(Move::Recall.allowed_from().contains(&TicketStatus::Called));
        assert!(!Move::Recall.allowed_from().contains(&TicketStatus::Waiting));
        assert!(!Move::Complete.allowed_from().contains(&TicketStatus::Called));
        assert!(!Move::Skip.allowed_from().contains(&TicketStatus::WithDoctor));
        assert_eq!(Move::Skip.result(), TicketStatus::Waiting);
        for m in [
            Move::Recall,
            Move::Skip,
            Move::Start,
            Move::Complete,
            Move::NoShow,
            Move::Cancel,
            Move::Transfer,
            Move::Prioritise,
        ] {
            assert!(
                m.allowed_from().iter().all(|s| s.is_open()),
                "{m:?} only moves open tickets"
            );
        }
        assert!(
            Move::Reinstate.allowed_from().iter().all(|s| !s.is_open()),
            "only a closed ticket goes back"
        );
        assert!(
            !Move::Reinstate.allowed(TicketStatus::Completed),
            "a seen patient's visit stays done"
        );
        for m in [Move::NoShow, Move::Cancel] {
            let undo = m.undone_by().expect("a no-show and a left are undone");
            assert!(undo.allowed(m.result()) && undo.result() == TicketStatus::Waiting);
        }
        assert_eq!(Move::Skip.undone_by(), None);
        assert_eq!(Move::from_path("reinstate"), Some(Move::Reinstate));
        assert_eq!(
            Move::Start.refusal("A-001", TicketStatus::Completed),
            "Ticket A-001 is done now, so it can't be started. The queue has been refreshed."
        );
        assert_eq!(Move::from_path("no-show"), Some(Move::NoShow));
        assert_eq!(Move::from_path(Move::NoShow.path()), Some(Move::NoShow));
        assert!(Move::Start.allowed(TicketStatus::Called) && !Move::Start.allowed(TicketStatus::Waiting));
        assert_eq!(Move::from_path("delete"), None);
        assert_eq!(
            Move::Skip.done_message("A-002", "Amaka Obi", None),
            "Amaka Obi (A-002) skipped."
        );
        // A priority changes while the patient waits, never once they are called.
        assert_eq!(Move::from_path(Move::Prioritise.path()), Some(Move::Prioritise));
        assert!(Move::Prioritise.allowed(TicketStatus::Waiting) && !Move::Prioritise.allowed(TicketStatus::Called));
        assert_eq!(Move::Prioritise.result(), TicketStatus::Waiting);
        assert_eq!(
            Move::Prioritise.done_message("A-002", "Amaka Obi", Some("as urgent")),
            "Amaka Obi (A-002) marked as urgent."
        );
    }

    #[test]
    fn a_skipped_ticket_goes_behind_the_next_few_of_its_priority_in_its_queue() {
        let me = queued(1, Some(7), Priority::Normal, 100);
        let waiting = [
            me,
            queued(2, Some(7), Priority::Normal, 200),
            queued(3, Some(8), Priority::Normal, 250), // another doctor's queue: not counted
            queued(4, Some(7), Priority::Normal, 300),
            queued(5, Some(7), Priority::Normal, 400),
            queued(6, Some(7), Priority::Normal, 500),
        ];
        assert_eq!(order_after_skip(&waiting, &me, 3), 401);
        assert_eq!(order_after_skip(&waiting, &me, 1), 201);
        // Fewer than asked: last of its priority.
        assert_eq!(order_after_skip(&waiting, &me, 10), 501);
        // Alone: stays where it is.
        assert_eq!(order_after_skip(&[me], &me, 3), 100);
        // An emergency does not fall behind normal tickets.
        let urgent = queued(9, Some(7), Priority::Emergency, 50);
        assert_eq!(order_after_skip(&waiting, &urgent, 3), 50);
    }

    #[test]
    fn places_ahead_count_what_the_doctor_calls_first() {
        let waiting = [
            queued(1, None, Priority::Emergency, 10),
            queued(2, Some(8), Priority::Urgent, 20),
            queued(3, Some(7), Priority::Normal, 30),
            queued(4, None, Priority::Normal, 40),
            queued(5, Some(7), Priority::Normal, 50),
        ];
        assert_eq!(places_ahead(&waiting, &waiting[4]), 3); // 1 (general), 3 (mine), 4 (general)
        assert_eq!(places_ahead(&waiting, &waiting[3]), 1); // only general tickets count for a general one
        assert_eq!(places_ahead(&waiting, &waiting[0]), 0);
    }

    #[test]
    fn waits_use_the_rolling_median_then_the_slot_length_then_the_default() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5, 1, 3]), Some(3));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2));
        let mut long_ago = vec![1_000_000; 20];
        long_ago.extend([60_000; 10]);
        assert_eq!(rolling_median(&long_ago), Some(60_000));
        assert_eq!(estimated_wait_minutes(3, Some(8 * 60_000), Some(20)), 24);
        assert_eq!(estimated_wait_minutes(3, Some(7 * 60_000 + 1), None), 24);
        assert_eq!(estimated_wait_minutes(2, None, Some(20)), 40);
        assert_eq!(estimated_wait_minutes(2, None, None), 30);
        assert_eq!(estimated_wait_minutes(0, None, None), 0);
    }

    #[test]
    fn day_stats_count_and_take_medians() {
        let at = |min: i64| Some(Timestamp(min * 60_000));
        let t = |status, called, started, finished| TicketTimes {
            doctor_id: Some(1),
            status,
            checked_in_at: Timestamp(0),
            called_at: called,
            started_at: started,
            finished_at: finished,
        };
        let tickets = [
            t(TicketStatus::Completed, at(10), at(12), at(22)),
            t(TicketStatus::Completed, at(20), at(21), at(27)),
            t(TicketStatus::NoShow, at(30), None, None),
            t(TicketStatus::Waiting, None, None, None),
            t(TicketStatus::WithDoctor, at(40), at(41), None),
        ];
        let stats = DayStats::of(tickets);
        assert_eq!((stats.served, stats.waiting, stats.no_shows), (2, 1, 1));
        assert_eq!(stats.median_wait_minutes, Some(25));
        assert_eq!(stats.median_consultation_minutes, Some(8));
        assert_eq!(DayStats::of([]), DayStats::default());
    }
}
