//! What the staff digests say and when they are due: the pharmacists' stock each morning, the admins' week
//! each Monday morning. Pure, so the words and the timing are tested without a clock.

use chrono::{Datelike, NaiveDate, Timelike, Weekday};
use chrono_tz::Tz;

use crate::db::Timestamp;
use crate::pharmacy::model::{BatchLine, DrugStock};

/// The local hour from which the day's digests go.
pub const FROM_HOUR: u32 = 7;

/// Which digests are due at `now` in the clinic's zone: the day's stock digest (from 07:00), and on a Monday
/// the week's summary; with the day they are for.
pub fn due(now: Timestamp, zone: Tz) -> Option<(NaiveDate, bool)> {
    let local = chrono::DateTime::from_timestamp_millis(now.0)?.with_timezone(&zone);
    (local.hour() >= FROM_HOUR).then(|| (local.date_naive(), local.weekday() == Weekday::Mon))
}

/// The pharmacists' morning digest, or `None` when there is nothing to tell.
pub fn stock_digest(low: &[DrugStock], expiring: &[BatchLine], expired: &[BatchLine]) -> Option<(String, String)> {
    if low.is_empty() && expiring.is_empty() && expired.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !low.is_empty() {
        let names: Vec<String> = low
            .iter()
            .map(|d| format!("{} {} ({} left)", d.name, d.strength, d.on_hand))
            .collect();
        parts.push(format!("At or below reorder level: {}.", names.join(", ")));
    }
    if !expiring.is_empty() {
        let names: Vec<String> = expiring
            .iter()
            .map(|b| {
                format!(
                    "{} batch {} ({} units, {})",
                    b.drug_name, b.batch_number, b.quantity, b.expires_on
                )
            })
            .collect();
        parts.push(format!("Expiring soon: {}.", names.join(", ")));
    }
    if !expired.is_empty() {
        parts.push(format!(
            "{} expired batch{} still on the shelf: take {} off.",
            expired.len(),
            if expired.len() == 1 { "" } else { "es" },
            if expired.len() == 1 { "it" } else { "them" }
        ));
    }
    let subject = format!(
        "Stock today: {} low, {} expiring, {} expired",
        low.len(),
        expiring.len(),
        expired.len()
    );
    Some((subject, parts.join(" ")))
}

/// The figures of a week for the admins' summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Week {
    pub appointments: i64,
    pub no_shows: i64,
    /// The local hour most patients arrived in, and how many did.
    pub busiest_hour: Option<(u32, i64)>,
    pub low_stock: i64,
    pub expiring: i64,
    pub failed_messages: i64,
}

pub fn weekly_summary(week: &Week) -> (String, String) {
    let rate = match week.appointments {
        0 => String::new(),
        n => format!(" ({}%)", week.no_shows * 100 / n),
    };
    let busiest = match week.busiest_hour {
        Some((hour, arrivals)) => format!(
            " The busiest hour was {hour:02}:00 to {:02}:00, with {arrivals} arrivals.",
            hour + 1
        ),
        None => String::new(),
    };
    let body = format!(
        "Last week: {} appointments, {} no-shows{rate}.{busiest} Stock: {} drugs low, {} batches expiring soon. \
         Messages that could not be sent: {}.",
        week.appointments, week.no_shows, week.low_stock, week.expiring, week.failed_messages
    );
    (
        format!(
            "The week: {} appointments, {} no-shows",
            week.appointments, week.no_shows
        ),
        body,
    )
}

/// The local hour most of `arrivals` fell in, with their count (the earlier hour on a tie).
pub fn busiest_hour(arrivals: &[Timestamp], zone: Tz) -> Option<(u32, i64)> {
    let mut by_hour = [0_i64; 24];
    for at in arrivals {
        if let Some(local) = chrono::DateTime::from_timestamp_millis(at.0) {
            by_hour[local.with_timezone(&zone).hour() as usize] += 1;
        }
    }
    let (hour, count) = by_hour
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (*count > 0).then(|| (u32::try_from(hour).unwrap_or(0), *count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAGOS: Tz = chrono_tz::Africa::Lagos;

    fn at(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
        use chrono::TimeZone;
        Timestamp(
            LAGOS
                .with_ymd_and_hms(y, m, d, h, 0, 0)
                .single()
                .expect("a time")
                .timestamp_millis(),
        )
    }

    #[test]
    fn digests_are_due_from_seven_and_the_weekly_one_on_mondays() {
        assert_eq!(due(at(2026, 11, 30, 6), LAGOS), None);
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a day");
        assert_eq!(due(at(2026, 11, 30, 7), LAGOS), Some((monday, true)));
        assert_eq!(due(at(2026, 12, 1, 9), LAGOS).map(|d| d.1), Some(false));
    }

    #[test]
    fn nothing_to_tell_sends_no_stock_digest() {
        assert_eq!(stock_digest(&[], &[], &[]), None);
    }

    #[test]
    fn the_busiest_hour_is_the_local_hour_with_most_arrivals() {
        let arrivals = [
            at(2026, 11, 30, 9),
            at(2026, 11, 30, 9),
            at(2026, 11, 30, 14),
            at(2026, 12, 1, 14),
        ];
        assert_eq!(busiest_hour(&arrivals, LAGOS), Some((9, 2)));
        assert_eq!(busiest_hour(&[], LAGOS), None);
    }

    #[test]
    fn the_week_is_said_in_plain_words_with_the_no_show_rate() {
        let week = Week {
            appointments: 40,
            no_shows: 6,
            busiest_hour: Some((9, 12)),
            low_stock: 2,
            expiring: 1,
            failed_messages: 0,
        };
        let (subject, body) = weekly_summary(&week);
        assert_eq!(subject, "The week: 40 appointments, 6 no-shows");
        assert!(body.contains("6 no-shows (15%)"), "{body}");
        assert!(body.contains("09:00 to 10:00, with 12 arrivals"), "{body}");
    }
}
