//! Every doctor's day as one calendar (reception's "All doctors this day"): a row for each time at which any of
//! them starts a slot, a column per doctor, and each slot filling its column from its start down to the rows its
//! length reaches (a table cell's rowspan), so one doctor's 15-minute times sit beside another's 10-minute ones
//! as on a calendar's day view.

use sickbay_core::db::Timestamp;

/// Something with a start and an end on the calendar.
pub trait Timed {
    fn starts_at(&self) -> Timestamp;
    fn ends_at(&self) -> Timestamp;
}

/// The day's rows, in time order.
pub struct DayGrid<'a, T> {
    pub rows: Vec<GridRow<'a, T>>,
}

/// The time a row starts at and what each column holds then, in the columns' order.
pub struct GridRow<'a, T> {
    pub starts_at: Timestamp,
    pub cells: Vec<GridCell<'a, T>>,
}

pub enum GridCell<'a, T> {
    /// The slots starting in this row (one, unless a doctor's times overlap), down `span` rows.
    Starts { items: Vec<&'a T>, span: usize },
    /// Under a slot that started in a row above.
    Covered,
    /// Nothing of this column's at this time.
    Empty,
}

impl<T> GridCell<'_, T> {
    /// The slots that start here and the rows they fill.
    pub fn starts(&self) -> Option<(&[&T], usize)> {
        match self {
            GridCell::Starts { items, span } => Some((items, *span)),
            _ => None,
        }
    }

    pub fn is_covered(&self) -> bool {
        matches!(self, GridCell::Covered)
    }
}

impl<'a, T: Timed> DayGrid<'a, T> {
    pub fn of(columns: &[&'a [T]]) -> Self {
        let mut times: Vec<Timestamp> = columns.iter().flat_map(|c| c.iter().map(Timed::starts_at)).collect();
        times.sort_unstable();
        times.dedup();
        let mut rows: Vec<GridRow<'a, T>> = times
            .iter()
            .map(|&starts_at| GridRow {
                starts_at,
                cells: Vec::with_capacity(columns.len()),
            })
            .collect();
        for column in columns {
            for (row, cell) in rows.iter_mut().zip(column_cells(&times, column)) {
                row.cells.push(cell);
            }
        }
        DayGrid { rows }
    }
}

/// One column's cells down the rows `times`.
fn column_cells<'a, T: Timed>(times: &[Timestamp], column: &'a [T]) -> Vec<GridCell<'a, T>> {
    let mut items: Vec<&'a T> = column.iter().collect();
    items.sort_by_key(|item| item.starts_at());
    let mut items = items.into_iter().peekable();
    let mut cells: Vec<GridCell<'a, T>> = Vec::with_capacity(times.len());
    // The cell of the slot still running and when it ends.
    let mut running: Option<(usize, Timestamp)> = None;
    for &time in times {
        let mut starting = Vec::new();
        while let Some(item) = items.next_if(|item| item.starts_at() <= time) {
            starting.push(item);
        }
        let ends = starting.iter().map(|item| item.ends_at()).max();
        match running {
            Some((at, until)) if time < until => {
                if let GridCell::Starts { items, span } = &mut cells[at] {
                    items.extend(starting);
                    *span += 1;
                }
                running = Some((at, ends.map_or(until, |ends| ends.max(until))));
                cells.push(GridCell::Covered);
            }
            _ => match ends {
                Some(until) => {
                    running = Some((cells.len(), until));
                    cells.push(GridCell::Starts {
                        items: starting,
                        span: 1,
                    });
                }
                None => {
                    running = None;
                    cells.push(GridCell::Empty);
                }
            },
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Span(i64, i64);

    impl Timed for Span {
        fn starts_at(&self) -> Timestamp {
            Timestamp(self.0 * 60_000)
        }
        fn ends_at(&self) -> Timestamp {
            Timestamp(self.1 * 60_000)
        }
    }

    /// A column as words: "2" a slot starting and filling two rows, "|" under it, "." nothing.
    fn shape(grid: &DayGrid<'_, Span>, column: usize) -> String {
        grid.rows
            .iter()
            .map(|row| match &row.cells[column] {
                GridCell::Starts { span, .. } => span.to_string(),
                GridCell::Covered => "|".to_owned(),
                GridCell::Empty => ".".to_owned(),
            })
            .collect()
    }

    #[test]
    fn ten_and_fifteen_minute_times_share_one_calendar() {
        // Minutes after 08:00. Dr A: 10-minute times from 0 to 30, a gap, then 40. Dr B: 15-minute times.
        let a = [Span(0, 10), Span(10, 20), Span(20, 30), Span(40, 50)];
        let b = [Span(0, 15), Span(15, 30), Span(30, 45)];
        let grid = DayGrid::of(&[&a[..], &b[..]]);
        let minutes: Vec<i64> = grid.rows.iter().map(|r| r.starts_at.0 / 60_000).collect();
        assert_eq!(minutes, [0, 10, 15, 20, 30, 40]);
        assert_eq!(
            shape(&grid, 0),
            "12|1.1",
            "08:10 runs past 08:15; nothing of A's at 08:30"
        );
        assert_eq!(shape(&grid, 1), "2|2|2|", "B's 08:30 runs to 08:45, past A's 08:40");
    }

    #[test]
    fn overlapping_times_of_one_doctor_share_a_cell_and_none_is_lost() {
        let a = [Span(0, 30), Span(10, 20)];
        let b = [Span(0, 10), Span(10, 20), Span(20, 30)];
        let grid = DayGrid::of(&[&a[..], &b[..]]);
        assert_eq!(shape(&grid, 0), "3||");
        let (items, span) = grid.rows[0].cells[0].starts().expect("starts");
        assert_eq!((items.len(), span), (2, 3));
        assert!(grid.rows[1].cells[0].is_covered());
    }

    #[test]
    fn a_day_without_slots_has_no_rows() {
        let none: [Span; 0] = [];
        assert!(DayGrid::of(&[&none[..]]).rows.is_empty());
        assert!(DayGrid::<Span>::of(&[]).rows.is_empty());
    }
}
