//! The reports' rules as pure functions: which figures each report reads, the period asked for, adding up a
//! period's daily figures, percentiles from the minute histograms, rates, and the cells of a table (shown on the
//! page and written to CSV from the same values).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};

use crate::db::{Date, Money};
use crate::text_enum;
use crate::validation::FieldErrors;

text_enum! {
    /// One kind of daily figure, kept per day in `daily_figure`.
    pub enum Metric {
        /// Visits started, per doctor.
        Visits => "visits",
        /// Patients registered, per category.
        NewPatients => "new_patients",
        /// Appointments for the day, per status.
        Appointments => "appointments",
        /// Minutes from check-in to the first call, per doctor and minute.
        Wait => "wait",
        /// Minutes from a visit's start to its completion, per doctor and minute.
        Consultation => "consultation",
        /// Diagnoses, per ICD-10 code (or `~` and the text when none).
        Diagnoses => "diagnoses",
        /// Money taken less refunds, per payment method.
        CollectedByMethod => "collected_method",
        /// Money taken less refunds, per patient category.
        CollectedByCategory => "collected_category",
        /// Invoices issued (and not void), per patient category.
        Invoiced => "invoiced",
        /// Quantity dispensed (`n`) and its value at the catalogue's price (`amount`), per drug.
        Dispensed => "dispensed",
        /// Visits by students, per faculty.
        StudentsByFaculty => "students_faculty",
        /// Visits by students, per department.
        StudentsByDepartment => "students_department",
        /// Visits by students, per level.
        StudentsByLevel => "students_level",
    }
}

/// One figure of one day.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Figure {
    pub day: Date,
    pub metric: Metric,
    pub dim: String,
    pub bucket: i64,
    pub n: i64,
    pub amount: i64,
}

text_enum! {
    /// The reports an admin can open.
    pub enum Report {
        Visits => "visits",
        Appointments => "appointments",
        Times => "times",
        Diagnoses => "diagnoses",
        Revenue => "revenue",
        Pharmacy => "pharmacy",
        Students => "students",
    }
}

impl Report {
    pub fn title(self) -> &'static str {
        match self {
            Report::Visits => "Visits and new patients",
            Report::Appointments => "Appointments",
            Report::Times => "Waiting and consultation times",
            Report::Diagnoses => "Top diagnoses",
            Report::Revenue => "Revenue",
            Report::Pharmacy => "Drugs dispensed and stock",
            Report::Students => "Students seen",
        }
    }

    /// What the report answers, in a line.
    pub fn summary(self) -> &'static str {
        match self {
            Report::Visits => "Visits per day and per doctor, and the patients registered.",
            Report::Appointments => "Appointments booked, completed, cancelled and missed, with the no-show rate.",
            Report::Times => {
                "How long patients waited to be called and how long consultations took (median, 90th percentile)."
            }
            Report::Diagnoses => "The most frequent diagnoses, by ICD-10 code or by the words written.",
            Report::Revenue => {
                "Money collected and invoiced per day, by method and by patient category, and what patients and \
                 schemes owe."
            }
            Report::Pharmacy => {
                "Quantities and value dispensed per drug, the value of the stock on hand, and what expires soon."
            }
            Report::Students => "Visits by students, by faculty, department and level.",
        }
    }

    /// The daily figures the report reads.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Report::Visits => &[Metric::Visits, Metric::NewPatients],
            Report::Appointments => &[Metric::Appointments],
            Report::Times => &[Metric::Wait, Metric::Consultation],
            Report::Diagnoses => &[Metric::Diagnoses],
            Report::Revenue => &[Metric::CollectedByMethod, Metric::CollectedByCategory, Metric::Invoiced],
            Report::Pharmacy => &[Metric::Dispensed],
            Report::Students => &[
                Metric::StudentsByFaculty,
                Metric::StudentsByDepartment,
                Metric::StudentsByLevel,
            ],
        }
    }
}

/// A figure a report leads with: the total of one column of one of its tables, under a name of its own.
#[derive(Clone, Copy, Debug)]
pub struct HeadlineOf {
    pub table: &'static str,
    pub column: &'static str,
    pub label: &'static str,
}

impl Report {
    /// The totals the report leads with, above its charts.
    pub fn headlines(self) -> &'static [HeadlineOf] {
        match self {
            Report::Visits => &[
                HeadlineOf {
                    table: "by_day",
                    column: "Visits",
                    label: "Visits",
                },
                HeadlineOf {
                    table: "by_day",
                    column: "New patients",
                    label: "New patients",
                },
            ],
            Report::Appointments => &[
                HeadlineOf {
                    table: "by_day",
                    column: "Booked",
                    label: "Booked",
                },
                HeadlineOf {
                    table: "by_day",
                    column: "Completed",
                    label: "Completed",
                },
                HeadlineOf {
                    table: "by_day",
                    column: "No-show rate",
                    label: "No-show rate",
                },
            ],
            Report::Times => &[
                HeadlineOf {
                    table: "by_doctor",
                    column: "Patients called",
                    label: "Patients called",
                },
                HeadlineOf {
                    table: "by_doctor",
                    column: "Wait, median (min)",
                    label: "Median wait (min)",
                },
                HeadlineOf {
                    table: "by_doctor",
                    column: "Consultation, median (min)",
                    label: "Median consultation (min)",
                },
            ],
            Report::Diagnoses => &[HeadlineOf {
                table: "diagnoses",
                column: "Times made",
                label: "Diagnoses made",
            }],
            Report::Revenue => &[
                HeadlineOf {
                    table: "by_day",
                    column: "Collected",
                    label: "Collected",
                },
                HeadlineOf {
                    table: "by_day",
                    column: "Invoiced",
                    label: "Invoiced",
                },
                HeadlineOf {
                    table: "owed",
                    column: "Owed",
                    label: "Owed now",
                },
                HeadlineOf {
                    table: "due_from_schemes",
                    column: "Due",
                    label: "Due from schemes",
                },
            ],
            Report::Pharmacy => &[
                HeadlineOf {
                    table: "dispensed",
                    column: "Value",
                    label: "Value dispensed",
                },
                HeadlineOf {
                    table: "stock",
                    column: "Value at cost",
                    label: "Stock at cost",
                },
                HeadlineOf {
                    table: "expiring",
                    column: "Value at cost",
                    label: "Expiring in 90 days, at cost",
                },
            ],
            Report::Students => &[HeadlineOf {
                table: "by_faculty",
                column: "Visits",
                label: "Student visits",
            }],
        }
    }
}

/// One of the figures a report leads with, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    pub label: &'static str,
    pub value: Cell,
}

/// The longest period a report covers: two years of days.
pub const MAX_DAYS: i64 = 731;

/// The days a report covers, both ends included, never after today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The last 30 days, today included: what a report shows when no period is asked for.
    pub fn default_for(today: NaiveDate) -> Self {
        Period {
            from: Date::add_days(today, -29),
            to: today,
        }
    }

    /// The period of a report's `from` and `to` (either may be blank: 30 days before `to`, and today).
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let to = match to.trim() {
            "" => Some(today),
            text => errors.check(
                "to",
                Date::parse(text)
                    .map(|d| d.0)
                    .map_err(|_| "Give the last day as YYYY-MM-DD."),
            ),
        };
        let from = match from.trim() {
            "" => to.map(|to| Date::add_days(to, -29)),
            text => errors.check(
                "from",
                Date::parse(text)
                    .map(|d| d.0)
                    .map_err(|_| "Give the first day as YYYY-MM-DD."),
            ),
        };
        let (Some(from), Some(to)) = (from, to) else {
            return Err(errors);
        };
        if to > today {
            errors.add("to", "A report ends today at the latest.");
        } else if from > to {
            errors.add("from", "The first day comes after the last one.");
        } else if (to - from).num_days() + 1 > MAX_DAYS {
            errors.add("from", format!("Choose a period of at most {MAX_DAYS} days."));
        }
        if errors.is_empty() {
            Ok(Period { from, to })
        } else {
            Err(errors)
        }
    }

    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |day| *day <= self.to)
    }

    pub fn day_count(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The periods offered as one click: today, the last 7 and 30 days, this and last month, this year.
    pub fn presets(today: NaiveDate) -> Vec<(&'static str, Period)> {
        let month_start = today.with_day(1).unwrap_or(today);
        let last_month_end = Date::add_days(month_start, -1);
        let last_month_start = last_month_end.with_day(1).unwrap_or(last_month_end);
        let year_start = today.with_ordinal(1).unwrap_or(today);
        vec![
            ("Today", Period { from: today, to: today }),
            (
                "Last 7 days",
                Period {
                    from: Date::add_days(today, -6),
                    to: today,
                },
            ),
            ("Last 30 days", Period::default_for(today)),
            (
                "This month",
                Period {
                    from: month_start,
                    to: today,
                },
            ),
            (
                "Last month",
                Period {
                    from: last_month_start,
                    to: last_month_end,
                },
            ),
            (
                "This year",
                Period {
                    from: year_start,
                    to: today,
                },
            ),
        ]
    }

    /// `from=…&to=…`, for links that keep the period.
    pub fn query(self) -> String {
        format!(
            "from={}&to={}",
            self.from.format("%Y-%m-%d"),
            self.to.format("%Y-%m-%d")
        )
    }
}

/// A count and an amount added up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Total {
    pub n: i64,
    pub amount: i64,
}

impl Total {
    fn add(&mut self, figure: &Figure) {
        self.n += figure.n;
        self.amount += figure.amount;
    }
}

/// The figures of `metric` added up per day, every day of `period` present (zero when nothing happened).
pub fn per_day(figures: &[Figure], metric: Metric, period: Period) -> Vec<(NaiveDate, Total)> {
    let mut days: BTreeMap<NaiveDate, Total> = period.days().map(|day| (day, Total::default())).collect();
    for figure in figures.iter().filter(|f| f.metric == metric) {
        if let Some(total) = days.get_mut(&figure.day.0) {
            total.add(figure);
        }
    }
    days.into_iter().collect()
}

/// The figures of `metric` added up per dimension, largest count first (then by dimension, for a stable order).
pub fn per_dim(figures: &[Figure], metric: Metric) -> Vec<(String, Total)> {
    let mut dims: HashMap<&str, Total> = HashMap::new();
    for figure in figures.iter().filter(|f| f.metric == metric) {
        dims.entry(figure.dim.as_str()).or_default().add(figure);
    }
    let mut out: Vec<(String, Total)> = dims.into_iter().map(|(dim, total)| (dim.to_owned(), total)).collect();
    out.sort_by(|a, b| b.1.n.cmp(&a.1.n).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The figures of `metric` per day and dimension: `day → dim → total`.
pub fn per_day_and_dim(figures: &[Figure], metric: Metric) -> BTreeMap<NaiveDate, HashMap<String, Total>> {
    let mut out: BTreeMap<NaiveDate, HashMap<String, Total>> = BTreeMap::new();
    for figure in figures.iter().filter(|f| f.metric == metric) {
        out.entry(figure.day.0)
            .or_default()
            .entry(figure.dim.clone())
            .or_default()
            .add(figure);
    }
    out
}

/// Minutes → how many, for the times' percentiles.
pub type Histogram = BTreeMap<i64, i64>;

/// The histograms of a times metric per key chosen by `key` (a doctor, a day).
pub fn histograms<K: Ord>(figures: &[Figure], metric: Metric, key: impl Fn(&Figure) -> K) -> BTreeMap<K, Histogram> {
    let mut out: BTreeMap<K, Histogram> = BTreeMap::new();
    for figure in figures.iter().filter(|f| f.metric == metric) {
        *out.entry(key(figure)).or_default().entry(figure.bucket).or_default() += figure.n;
    }
    out
}

/// The `percent`th percentile of the minutes in `histogram` by nearest rank (the median is the 50th: the value
/// at rank ⌈n/2⌉); `None` when it is empty.
pub fn percentile(histogram: &Histogram, percent: i64) -> Option<i64> {
    let count: i64 = histogram.values().sum();
    if count <= 0 {
        return None;
    }
    let rank = (count * percent + 99) / 100;
    let mut seen = 0;
    for (minutes, n) in histogram {
        seen += n;
        if seen >= rank.max(1) {
            return Some(*minutes);
        }
    }
    histogram.keys().next_back().copied()
}

/// `part` out of `whole` in basis points (1250 is 12.5 %); `None` when `whole` is zero.
pub fn rate_bp(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 10_000 + whole / 2) / whole)
}

/// The appointments of a day or a period by what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppointmentCounts {
    /// Every appointment made for those days, cancelled ones included.
    pub booked: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub no_show: i64,
}

impl AppointmentCounts {
    /// From the per-status counts (`appointments` figures' dimensions).
    pub fn from_statuses(statuses: &HashMap<String, Total>) -> Self {
        let of = |status: &str| statuses.get(status).map_or(0, |t| t.n);
        AppointmentCounts {
            booked: statuses.values().map(|t| t.n).sum(),
            completed: of("completed"),
            cancelled: of("cancelled"),
            no_show: of("no_show"),
        }
    }

    /// No-shows out of the appointments that were still on when their time came (booked less cancelled).
    pub fn no_show_rate_bp(&self) -> Option<i64> {
        rate_bp(self.no_show, self.booked - self.cancelled)
    }
}

/// One cell of a report's table. The page shows it formatted; the CSV and the cell's `data-value` carry
/// [`Cell::plain`], so the download and the table hold the same numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Day(NaiveDate),
    Count(i64),
    Money(Money),
    /// Minutes, or nothing to measure.
    Minutes(Option<i64>),
    /// A rate in basis points, or nothing to divide by.
    Percent(Option<i64>),
}

impl Cell {
    /// The value as a spreadsheet reads it: `2026-11-23`, `12`, `1250.50`, `12.5`, or blank.
    pub fn plain(&self, minor_digits: u32) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Day(day) => day.format("%Y-%m-%d").to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Money(amount) => amount.format_major(minor_digits).replace(',', ""),
            Cell::Minutes(minutes) => minutes.map(|m| m.to_string()).unwrap_or_default(),
            Cell::Percent(bp) => bp.map(percent_text).unwrap_or_default(),
        }
    }

    pub fn is_number(&self) -> bool {
        !matches!(self, Cell::Text(_) | Cell::Day(_))
    }

    pub fn money(&self) -> Option<Money> {
        match self {
            Cell::Money(amount) => Some(*amount),
            _ => None,
        }
    }

    pub fn day(&self) -> Option<NaiveDate> {
        match self {
            Cell::Day(day) => Some(*day),
            _ => None,
        }
    }

    pub fn is_percent(&self) -> bool {
        matches!(self, Cell::Percent(_))
    }

    /// A time or rate with nothing to measure (shown as a dash, blank in the CSV).
    pub fn is_blank(&self) -> bool {
        matches!(self, Cell::Minutes(None) | Cell::Percent(None))
    }
}

/// The day of a row with nothing to count: a day in its first cell, and nothing but zeros and blanks after it.
fn quiet_day(row: &[Cell]) -> Option<NaiveDate> {
    let (first, rest) = row.split_first()?;
    let nothing = |cell: &Cell| {
        matches!(
            cell,
            Cell::Count(0) | Cell::Money(Money(0)) | Cell::Minutes(None) | Cell::Percent(None)
        )
    };
    first.day().filter(|_| rest.iter().all(nothing))
}

/// Basis points as a percentage with one decimal: 1250 → `12.5`.
pub fn percent_text(bp: i64) -> String {
    let tenths = (bp + 5) / 10;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A table of a report: its caption, column heads and rows, and a total row when adding up makes sense.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Names the table in its CSV link (`?table=…`).
    pub slug: &'static str,
    pub caption: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

/// The fewest days in a row with nothing to count that a page folds under one line.
pub const FOLD_FROM: usize = 3;

/// Days in a row with nothing to count, folded on the page under one line that opens them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietRun {
    /// Counted from 1 within the table.
    pub number: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: usize,
}

/// How a page lays out one row of a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowFold {
    /// The run the row is folded in (a day with nothing to count, among at least `FOLD_FROM`).
    pub folded_in: Option<usize>,
    /// The run this row starts, whose line goes above it.
    pub opens: Option<QuietRun>,
}

impl Table {
    /// Whether column `index` holds numbers (read off the first row), so its heading lines up with them.
    pub fn is_number_column(&self, index: usize) -> bool {
        self.rows
            .first()
            .and_then(|row| row.get(index))
            .is_some_and(Cell::is_number)
    }

    /// Each row's place in the runs of days with nothing to count, which a page folds (the CSV keeps every day).
    pub fn folds(&self) -> Vec<RowFold> {
        let quiet: Vec<Option<NaiveDate>> = self.rows.iter().map(|row| quiet_day(row)).collect();
        let mut folds = vec![RowFold::default(); quiet.len()];
        let (mut start, mut number) = (0, 0);
        while start < quiet.len() {
            let Some(from) = quiet[start] else {
                start += 1;
                continue;
            };
            let end = quiet[start..]
                .iter()
                .position(Option::is_none)
                .map_or(quiet.len(), |n| start + n);
            if end - start >= FOLD_FROM {
                number += 1;
                folds[start].opens = Some(QuietRun {
                    number,
                    from,
                    to: quiet[end - 1].unwrap_or(from),
                    days: end - start,
                });
                for fold in &mut folds[start..end] {
                    fold.folded_in = Some(number);
                }
            }
            start = end;
        }
        folds
    }

    /// The total of the column headed `column`, if the table adds up.
    pub fn total_of(&self, column: &str) -> Option<&Cell> {
        let at = self.header.iter().position(|head| *head == column)?;
        self.total.as_ref()?.get(at)
    }

    /// The CSV's records: the header, the rows and the total row, each cell as [`Cell::plain`].
    pub fn records(&self, minor_digits: u32) -> Vec<Vec<String>> {
        let plain = |row: &Vec<Cell>| row.iter().map(|cell| cell.plain(minor_digits)).collect::<Vec<_>>();
        self.rows.iter().chain(self.total.iter()).map(plain).collect()
    }
}

/// A diagnosis dimension in words: the code's description, or the words written (stored after a `~`).
pub fn diagnosis_label(dim: &str, describe: impl Fn(&str) -> Option<&'static str>) -> (String, String) {
    match dim.strip_prefix('~') {
        Some(text) => (String::new(), crate::validation::capitalized(text)),
        None => (dim.to_owned(), describe(dim).unwrap_or("").to_owned()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::reports) fn day(text: &str) -> NaiveDate {
        Date::parse(text).expect("day").0
    }

    pub(in crate::reports) fn figure(d: &str, metric: Metric, dim: &str, bucket: i64, n: i64, amount: i64) -> Figure {
        Figure {
            day: Date(day(d)),
            metric,
            dim: dim.into(),
            bucket,
            n,
            amount,
        }
    }

    #[test]
    fn a_period_defaults_to_the_last_30_days_and_ends_today_at_the_latest() {
        let today = day("2026-11-23");
        assert_eq!(
            Period::parse("", "", today).ok(),
            Some(Period {
                from: day("2026-10-25"),
                to: today
            })
        );
        assert_eq!(
            Period::parse("2026-11-01", "2026-11-01", today)
                .map(Period::day_count)
                .ok(),
            Some(1)
        );
        assert!(Period::parse("2026-11-24", "2026-11-24", today).is_err_and(|e| e.get("to").is_some()));
        assert!(Period::parse("2026-11-10", "2026-11-01", today).is_err_and(|e| e.get("from").is_some()));
        assert!(Period::parse("2024-01-01", "2026-11-01", today).is_err_and(|e| e.get("from").is_some()));
        assert!(Period::parse("yesterday", "", today).is_err_and(|e| e.get("from").is_some()));
        assert!(Period::parse("", "23/11/2026", today).is_err_and(|e| e.get("to").is_some()));
    }

    #[test]
    fn presets_cover_whole_months() {
        let presets = Period::presets(day("2026-03-15"));
        let of = |name: &str| {
            presets
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p)
                .expect("preset")
        };
        assert_eq!(
            of("Last month"),
            Period {
                from: day("2026-02-01"),
                to: day("2026-02-28")
            }
        );
        assert_eq!(of("This month").from, day("2026-03-01"));
        assert_eq!(of("This year").from, day("2026-01-01"));
        assert_eq!(of("Last 7 days").day_count(), 7);
    }

    #[test]
    fn per_day_fills_every_day_and_adds_up_dimensions() {
        let period = Period {
            from: day("2026-11-01"),
            to: day("2026-11-03"),
        };
        let figures = [
            figure("2026-11-01", Metric::Visits, "7", 0, 2, 0),
            figure("2026-11-01", Metric::Visits, "8", 0, 3, 0),
            figure("2026-11-03", Metric::Visits, "7", 0, 1, 0),
            figure("2026-11-03", Metric::NewPatients, "student", 0, 9, 0),
            figure("2026-11-04", Metric::Visits, "7", 0, 4, 0),
        ];
        let days: Vec<i64> = per_day(&figures, Metric::Visits, period)
            .iter()
            .map(|(_, t)| t.n)
            .collect();
        assert_eq!(days, [5, 0, 1]);
        let dims = per_dim(&figures, Metric::Visits);
        assert_eq!(
            dims.iter().map(|(d, t)| (d.as_str(), t.n)).collect::<Vec<_>>(),
            [("7", 7), ("8", 3)]
        );
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let histogram: Histogram = [(5, 1), (10, 2), (20, 1), (60, 1)].into_iter().collect();
        // 5, 10, 10, 20, 60: the median is the 3rd, the 90th percentile the 5th.
        assert_eq!(percentile(&histogram, 50), Some(10));
        assert_eq!(percentile(&histogram, 90), Some(60));
        assert_eq!(percentile(&[(7, 1)].into_iter().collect(), 50), Some(7));
        assert_eq!(percentile(&Histogram::new(), 50), None);
        let even: Histogram = [(1, 1), (2, 1), (3, 1), (4, 1)].into_iter().collect();
        assert_eq!(percentile(&even, 50), Some(2));
        assert_eq!(percentile(&even, 90), Some(4));
    }

    #[test]
    fn histograms_merge_days() {
        let figures = [
            figure("2026-11-01", Metric::Wait, "7", 5, 2, 0),
            figure("2026-11-02", Metric::Wait, "7", 5, 1, 0),
            figure("2026-11-02", Metric::Wait, "8", 9, 1, 0),
            figure("2026-11-02", Metric::Consultation, "8", 30, 1, 0),
        ];
        let by_doctor = histograms(&figures, Metric::Wait, |f| f.dim.clone());
        assert_eq!(by_doctor["7"], [(5, 3)].into_iter().collect());
        assert_eq!(by_doctor["8"], [(9, 1)].into_iter().collect());
    }

    #[test]
    fn no_show_rate_leaves_out_cancelled_appointments() {
        let statuses: HashMap<String, Total> = [("completed", 5), ("no_show", 2), ("cancelled", 1), ("booked", 2)]
            .into_iter()
            .map(|(s, n)| (s.to_owned(), Total { n, amount: 0 }))
            .collect();
        let counts = AppointmentCounts::from_statuses(&statuses);
        assert_eq!(
            (counts.booked, counts.completed, counts.cancelled, counts.no_show),
            (10, 5, 1, 2)
        );
        assert_eq!(counts.no_show_rate_bp(), Some(2222));
        assert_eq!(AppointmentCounts::default().no_show_rate_bp(), None);
        assert_eq!(percent_text(2222), "22.2");
        assert_eq!(percent_text(10_000), "100.0");
        assert_eq!(percent_text(4), "0.0");
    }

    #[test]
    fn three_or_more_days_with_nothing_fold_under_one_line() {
        let row = |d: &str, n: i64, amount: i64| vec![Cell::Day(day(d)), Cell::Count(n), Cell::Money(Money(amount))];
        let table = Table {
            rows: vec![
                row("2026-11-01", 0, 0),
                row("2026-11-02", 0, 0),
                row("2026-11-03", 0, 0),
                row("2026-11-04", 1, 0),
                row("2026-11-05", 0, 0),
                row("2026-11-06", 0, 0),
                row("2026-11-07", 0, 500),
                row("2026-11-08", 0, 0),
                row("2026-11-09", 0, 0),
                row("2026-11-10", 0, 0),
                row("2026-11-11", 0, 0),
            ],
            ..Table::default()
        };
        let folds = table.folds();
        let folded: Vec<Option<usize>> = folds.iter().map(|f| f.folded_in).collect();
        assert_eq!(
            folded,
            [
                Some(1),
                Some(1),
                Some(1),
                None,
                None,
                None,
                None,
                Some(2),
                Some(2),
                Some(2),
                Some(2)
            ],
            "two quiet days stay as they are"
        );
        assert_eq!(
            folds[0].opens,
            Some(QuietRun {
                number: 1,
                from: day("2026-11-01"),
                to: day("2026-11-03"),
                days: 3
            })
        );
        assert_eq!(
            folds[7].opens.map(|run| (run.to, run.days)),
            Some((day("2026-11-11"), 4))
        );
        assert_eq!(folds.iter().filter(|f| f.opens.is_some()).count(), 2);
        // Rows that aren't days never fold.
        let named = Table {
            rows: vec![vec![Cell::Text("Cash".into()), Cell::Count(0)]; 4],
            ..Table::default()
        };
        assert!(named.folds().iter().all(|f| *f == RowFold::default()));
    }

    #[test]
    fn a_headings_alignment_follows_its_columns_values() {
        let table = Table {
            rows: vec![vec![
                Cell::Text("J02.9".into()),
                Cell::Text("Acute pharyngitis".into()),
                Cell::Count(16),
            ]],
            ..Table::default()
        };
        let numbers: Vec<bool> = (0..4).map(|i| table.is_number_column(i)).collect();
        assert_eq!(numbers, [false, false, true, false]);
        assert!(!Table::default().is_number_column(0));
    }

    #[test]
    fn cells_read_plainly_for_spreadsheets() {
        assert_eq!(Cell::Money(Money(125_050)).plain(2), "1250.50");
        assert_eq!(Cell::Money(Money(-500)).plain(2), "-5.00");
        assert_eq!(Cell::Day(day("2026-11-23")).plain(2), "2026-11-23");
        assert_eq!(Cell::Minutes(None).plain(2), "");
        assert_eq!(Cell::Percent(Some(1250)).plain(2), "12.5");
        let table = Table {
            rows: vec![vec![Cell::Text("a".into()), Cell::Count(2)]],
            total: Some(vec![Cell::Text("Total".into()), Cell::Count(2)]),
            ..Table::default()
        };
        assert_eq!(table.records(2), [["a", "2"], ["Total", "2"]]);
    }

    #[test]
    fn diagnoses_read_as_code_and_words() {
        let describe = |code: &str| (code == "B54").then_some("Unspecified malaria");
        assert_eq!(
            diagnosis_label("B54", describe),
            ("B54".into(), "Unspecified malaria".into())
        );
        assert_eq!(
            diagnosis_label("~sore eyes", describe),
            (String::new(), "Sore eyes".into())
        );
    }
}
