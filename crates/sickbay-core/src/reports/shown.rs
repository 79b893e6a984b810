//! Each report's charts and tables from its figures: pure functions, so the numbers a page and its CSV show are
//! tested against figures known by hand.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::bar_chart::{Chart, Point};
use super::model::{
    AppointmentCounts, Cell, Figure, Headline, Histogram, Metric, Period, Report, Table, Total, diagnosis_label,
    histograms, per_day, per_day_and_dim, per_dim, percentile, rate_bp,
};
use super::repo::{DueFromScheme, Expiring, Owed, StockValue};
use crate::db::{Currency, Money};

/// What a report shows: its charts, then its tables.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    pub charts: Vec<Chart>,
    pub tables: Vec<Table>,
}

impl Shown {
    /// The totals `report` leads with, read from its tables' total rows, so the two never disagree.
    pub fn headlines(&self, report: Report) -> Vec<Headline> {
        report
            .headlines()
            .iter()
            .filter_map(|of| {
                let table = self.tables.iter().find(|table| table.slug == of.table)?;
                Some(Headline {
                    label: of.label,
                    value: table.total_of(of.column)?.clone(),
                })
            })
            .collect()
    }
}

/// The names of the ids a report's dimensions hold.
pub type Names = HashMap<i64, String>;

/// How many rows the charts across show (the tables hold them all).
const CHART_ROWS: usize = 15;

fn name_of(names: &Names, dim: &str, unknown: &str) -> String {
    match dim.parse::<i64>() {
        Ok(id) => names.get(&id).cloned().unwrap_or_else(|| format!("{unknown} {id}")),
        Err(_) => "Not recorded".to_owned(),
    }
}

fn day_label(day: NaiveDate) -> String {
    crate::db::types::short_day_label(day)
}

fn count_points(rows: &[(String, i64)]) -> Vec<Point> {
    rows.iter()
        .map(|(label, n)| Point {
            label: label.clone(),
            value: *n,
            text: n.to_string(),
        })
        .collect()
}

fn money_points(rows: &[(String, i64)], currency: &Currency) -> Vec<Point> {
    rows.iter()
        .map(|(label, amount)| Point {
            label: label.clone(),
            value: *amount,
            text: currency.format(Money(*amount)),
        })
        .collect()
}

/// An amount on a chart's axis, short enough for its margin: whole units, thousands as "k", millions as "M"
/// ("250", "5k", "12.5k", "1.2M"); the exact amounts are in the tables under the chart.
fn money_ticks(currency: &Currency) -> impl Fn(i64) -> String {
    let scale = 10_i64.pow(currency.minor_digits);
    move |v| compact_amount(v / scale)
}

fn compact_amount(major: i64) -> String {
    let short = |value: i64, unit: i64, suffix: &str| {
        let tenths = value * 10 / unit;
        match tenths % 10 {
            0 => format!("{}{suffix}", tenths / 10),
            rest => format!("{}.{rest}{suffix}", tenths / 10),
        }
    };
    match major.abs() {
        1_000_000.. => short(major, 1_000_000, "M"),
        1_000.. => short(major, 1_000, "k"),
        _ => major.to_string(),
    }
}

fn share(part: i64, whole: i64) -> Cell {
    Cell::Percent(rate_bp(part, whole))
}

fn total_label() -> Cell {
    Cell::Text("Total".into())
}

/// Visits per day (with the patients registered) and per doctor, and new patients by category.
pub fn visits(figures: &[Figure], period: Period, doctors: &Names) -> Shown {
    let visits = per_day(figures, Metric::Visits, period);
    let new = per_day(figures, Metric::NewPatients, period);
    let day_points: Vec<(String, i64)> = visits.iter().map(|(d, t)| (day_label(*d), t.n)).collect();
    let all: i64 = visits.iter().map(|(_, t)| t.n).sum();
    let all_new: i64 = new.iter().map(|(_, t)| t.n).sum();
    let by_day = Table {
        slug: "by_day",
        caption: "Visits and new patients per day".into(),
        header: vec!["Day", "Visits", "New patients"],
        rows: visits
            .iter()
            .zip(&new)
            .map(|((day, v), (_, n))| vec![Cell::Day(*day), Cell::Count(v.n), Cell::Count(n.n)])
            .collect(),
        total: Some(vec![total_label(), Cell::Count(all), Cell::Count(all_new)]),
    };
    let doctors_rows: Vec<(String, i64)> = per_dim(figures, Metric::Visits)
        .into_iter()
        .map(|(dim, t)| (name_of(doctors, &dim, "Doctor"), t.n))
        .collect();
    let by_doctor = Table {
        slug: "by_doctor",
        caption: "Visits per doctor".into(),
        header: vec!["Doctor", "Visits", "Share"],
        rows: doctors_rows
            .iter()
            .map(|(name, n)| vec![Cell::Text(name.clone()), Cell::Count(*n), share(*n, all)])
            .collect(),
        total: Some(vec![total_label(), Cell::Count(all), share(all, all)]),
    };
    let categories = Table {
        slug: "new_patients",
        caption: "New patients by category".into(),
        header: vec!["Category", "New patients"],
        rows: per_dim(figures, Metric::NewPatients)
            .into_iter()
            .map(|(dim, t)| vec![Cell::Text(category_label(&dim)), Cell::Count(t.n)])
            .collect(),
        total: Some(vec![total_label(), Cell::Count(all_new)]),
    };
    Shown {
        charts: vec![
            Chart::columns("Visits per day", "visits", &count_points(&day_points), |v| {
                v.to_string()
            }),
            Chart::rows(
                "Visits per doctor",
                "visits",
                &count_points(&doctors_rows[..doctors_rows.len().min(CHART_ROWS)]),
                |v| v.to_string(),
            ),
        ],
        tables: vec![by_day, by_doctor, categories],
    }
}

fn category_label(kind: &str) -> String {
    kind.parse::<crate::patients::model::PatientKind>()
        .map(|k| k.label().to_owned())
        .unwrap_or_else(|_| crate::validation::capitalized(kind))
}

fn appointment_cells(first: Cell, counts: AppointmentCounts) -> Vec<Cell> {
    vec![
        first,
        Cell::Count(counts.booked),
        Cell::Count(counts.completed),
        Cell::Count(counts.cancelled),
        Cell::Count(counts.no_show),
        Cell::Percent(counts.no_show_rate_bp()),
    ]
}

/// Appointments per day by what became of them, with the no-show rate.
pub fn appointments(figures: &[Figure], period: Period) -> Shown {
    let by_status = per_day_and_dim(figures, Metric::Appointments);
    let empty = HashMap::new();
    let days: Vec<(NaiveDate, AppointmentCounts)> = period
        .days()
        .map(|day| {
            (
                day,
                AppointmentCounts::from_statuses(by_status.get(&day).unwrap_or(&empty)),
            )
        })
        .collect();
    let period_counts = AppointmentCounts::from_statuses(&per_dim(figures, Metric::Appointments).into_iter().collect());
    let points: Vec<(String, i64)> = days.iter().map(|(d, c)| (day_label(*d), c.booked)).collect();
    let no_shows: Vec<(String, i64)> = days.iter().map(|(d, c)| (day_label(*d), c.no_show)).collect();
    Shown {
        charts: vec![
            Chart::columns("Appointments per day", "appointments", &count_points(&points), |v| {
                v.to_string()
            }),
            Chart::columns("No-shows per day", "no-shows", &count_points(&no_shows), |v| {
                v.to_string()
            }),
        ],
        tables: vec![Table {
            slug: "by_day",
            caption: "Appointments per day".into(),
            header: vec!["Day", "Booked", "Completed", "Cancelled", "No-show", "No-show rate"],
            rows: days
                .into_iter()
                .map(|(day, c)| appointment_cells(Cell::Day(day), c))
                .collect(),
            total: Some(appointment_cells(total_label(), period_counts)),
        }],
    }
}

fn time_cells(first: Cell, wait: Option<&Histogram>, consult: Option<&Histogram>) -> Vec<Cell> {
    let count = |h: Option<&Histogram>| h.map_or(0, |h| h.values().sum());
    let at = |h: Option<&Histogram>, p| Cell::Minutes(h.and_then(|h| percentile(h, p)));
    vec![
        first,
        Cell::Count(count(wait)),
        at(wait, 50),
        at(wait, 90),
        Cell::Count(count(consult)),
        at(consult, 50),
        at(consult, 90),
    ]
}

const TIME_HEADER: [&str; 7] = [
    "",
    "Patients called",
    "Wait, median (min)",
    "Wait, 90th percentile (min)",
    "Consultations",
    "Consultation, median (min)",
    "Consultation, 90th percentile (min)",
];

fn time_header(first: &'static str) -> Vec<&'static str> {
    let mut header = TIME_HEADER.to_vec();
    header[0] = first;
    header
}

/// Waiting (check-in to first call) and consultation times, per doctor and per day.
pub fn times(figures: &[Figure], period: Period, doctors: &Names) -> Shown {
    let all = |_: &Figure| ();
    let wait_all = histograms(figures, Metric::Wait, all);
    let consult_all = histograms(figures, Metric::Consultation, all);
    let wait_by_doctor = histograms(figures, Metric::Wait, |f| f.dim.clone());
    let consult_by_doctor = histograms(figures, Metric::Consultation, |f| f.dim.clone());
    let wait_by_day = histograms(figures, Metric::Wait, |f| f.day.0);
    let consult_by_day = histograms(figures, Metric::Consultation, |f| f.day.0);
    let mut doctor_dims: Vec<&String> = wait_by_doctor.keys().chain(consult_by_doctor.keys()).collect();
    doctor_dims.sort();
    doctor_dims.dedup();
    let mut doctor_rows: Vec<(String, Vec<Cell>)> = doctor_dims
        .into_iter()
        .map(|dim| {
            let name = name_of(doctors, dim, "Doctor");
            let cells = time_cells(
                Cell::Text(name.clone()),
                wait_by_doctor.get(dim),
                consult_by_doctor.get(dim),
            );
            (name, cells)
        })
        .collect();
    doctor_rows.sort_by(|a, b| a.0.cmp(&b.0));
    let medians: Vec<(String, i64)> = doctor_rows
        .iter()
        .filter_map(|(name, cells)| match cells.get(2) {
            Some(Cell::Minutes(Some(m))) => Some((name.clone(), *m)),
            _ => None,
        })
        .collect();
    let day_medians: Vec<(String, i64)> = period
        .days()
        .map(|day| {
            (
                day_label(day),
                wait_by_day.get(&day).and_then(|h| percentile(h, 50)).unwrap_or(0),
            )
        })
        .collect();
    let minutes = |v: i64| v.to_string();
    Shown {
        charts: vec![
            Chart::rows(
                "Median wait per doctor (minutes)",
                "minutes",
                &count_points(&medians),
                minutes,
            ),
            Chart::columns(
                "Median wait per day (minutes)",
                "minutes",
                &count_points(&day_medians),
                minutes,
            ),
        ],
        tables: vec![
            Table {
                slug: "by_doctor",
                caption: "Times per doctor".into(),
                header: time_header("Doctor"),
                rows: doctor_rows.into_iter().map(|(_, cells)| cells).collect(),
                total: Some(time_cells(total_label(), wait_all.get(&()), consult_all.get(&()))),
            },
            Table {
                slug: "by_day",
                caption: "Times per day".into(),
                header: time_header("Day"),
                rows: period
                    .days()
                    .map(|day| time_cells(Cell::Day(day), wait_by_day.get(&day), consult_by_day.get(&day)))
                    .collect(),
                total: None,
            },
        ],
    }
}

/// The diagnoses most often made, by code (or the words, when no code was picked).
pub fn diagnoses(figures: &[Figure], describe: impl Fn(&str) -> Option<&'static str>) -> Shown {
    let dims = per_dim(figures, Metric::Diagnoses);
    let all: i64 = dims.iter().map(|(_, t)| t.n).sum();
    let labelled: Vec<(String, String, i64)> = dims
        .iter()
        .map(|(dim, t)| {
            let (code, words) = diagnosis_label(dim, &describe);
            (code, words, t.n)
        })
        .collect();
    let points: Vec<(String, i64)> = labelled
        .iter()
        .take(CHART_ROWS)
        .map(|(code, words, n)| {
            (
                if code.is_empty() {
                    words.clone()
                } else {
                    format!("{code} {words}")
                },
                *n,
            )
        })
        .collect();
    Shown {
        charts: vec![Chart::rows("Top diagnoses", "diagnoses", &count_points(&points), |v| {
            v.to_string()
        })],
        tables: vec![Table {
            slug: "diagnoses",
            caption: "Diagnoses, most frequent first".into(),
            header: vec!["ICD-10 code", "Diagnosis", "Times made", "Share"],
            rows: labelled
                .into_iter()
                .map(|(code, words, n)| vec![Cell::Text(code), Cell::Text(words), Cell::Count(n), share(n, all)])
                .collect(),
            total: Some(vec![
                total_label(),
                Cell::Text(String::new()),
                Cell::Count(all),
                share(all, all),
            ]),
        }],
    }
}

/// The age of a balance owed, by the day its invoice was issued.
fn age_band(issued: NaiveDate, today: NaiveDate) -> usize {
    match (today - issued).num_days() {
        ..=30 => 0,
        31..=60 => 1,
        61..=90 => 2,
        _ => 3,
    }
}

const AGE_BANDS: [&str; 4] = ["Up to 30 days", "31 to 60 days", "61 to 90 days", "Over 90 days"];

/// Money collected and invoiced per day, by method and by category, and what patients (`owed`) and schemes owe
/// now.
pub fn revenue(
    figures: &[Figure],
    period: Period,
    (owed, schemes): (&[Owed], &[DueFromScheme]),
    today: NaiveDate,
    currency: &Currency,
) -> Shown {
    let collected = per_day(figures, Metric::CollectedByMethod, period);
    let invoiced = per_day(figures, Metric::Invoiced, period);
    let methods = per_day_and_dim(figures, Metric::CollectedByMethod);
    let method_names = crate::billing::model::PaymentMethod::ALL;
    let by_day_rows: Vec<Vec<Cell>> = collected
        .iter()
        .zip(&invoiced)
        .map(|((day, c), (_, i))| {
            let mut row = vec![Cell::Day(*day), Cell::Money(Money(c.amount))];
            for method in method_names {
                let amount = methods
                    .get(day)
                    .and_then(|m| m.get(method.as_str()))
                    .map_or(0, |t| t.amount);
                row.push(Cell::Money(Money(amount)));
            }
            row.push(Cell::Money(Money(i.amount)));
            row
        })
        .collect();
    let method_totals: HashMap<String, Total> = per_dim(figures, Metric::CollectedByMethod).into_iter().collect();
    let all_collected: i64 = collected.iter().map(|(_, t)| t.amount).sum();
    let all_invoiced: i64 = invoiced.iter().map(|(_, t)| t.amount).sum();
    let mut day_total = vec![total_label(), Cell::Money(Money(all_collected))];
    day_total.extend(
        method_names
            .iter()
            .map(|m| Cell::Money(Money(method_totals.get(m.as_str()).map_or(0, |t| t.amount)))),
    );
    day_total.push(Cell::Money(Money(all_invoiced)));
    let mut day_header = vec!["Day", "Collected"];
    day_header.extend(method_names.iter().map(|m| m.label()));
    day_header.push("Invoiced");

    let collected_by_category: HashMap<String, Total> =
        per_dim(figures, Metric::CollectedByCategory).into_iter().collect();
    let invoiced_by_category: HashMap<String, Total> = per_dim(figures, Metric::Invoiced).into_iter().collect();
    let mut categories: Vec<&String> = collected_by_category
        .keys()
        .chain(invoiced_by_category.keys())
        .collect();
    categories.sort();
    categories.dedup();
    let category_rows = categories
        .into_iter()
        .map(|c| {
            let collected = collected_by_category.get(c).copied().unwrap_or_default();
            let invoiced = invoiced_by_category.get(c).copied().unwrap_or_default();
            vec![
                Cell::Text(category_label(c)),
                Cell::Money(Money(collected.amount)),
                Cell::Count(invoiced.n),
                Cell::Money(Money(invoiced.amount)),
            ]
        })
        .collect();

    let mut bands = [(0_i64, 0_i64); 4];
    let mut owed_by_category: HashMap<&str, (i64, i64)> = HashMap::new();
    for row in owed {
        let band = &mut bands[age_band(row.issued_day.0, today)];
        band.0 += row.invoices;
        band.1 += row.owed.0;
        let entry = owed_by_category.entry(row.category.as_str()).or_default();
        entry.0 += row.invoices;
        entry.1 += row.owed.0;
    }
    let (owed_invoices, owed_total) = bands.iter().fold((0, 0), |acc, b| (acc.0 + b.0, acc.1 + b.1));
    let mut owed_categories: Vec<(&str, (i64, i64))> = owed_by_category.into_iter().collect();
    owed_categories.sort();

    let day_points: Vec<(String, i64)> = collected.iter().map(|(d, t)| (day_label(*d), t.amount)).collect();
    let method_points: Vec<(String, i64)> = method_names
        .iter()
        .map(|m| {
            (
                m.label().to_owned(),
                method_totals.get(m.as_str()).map_or(0, |t| t.amount),
            )
        })
        .collect();
    Shown {
        charts: vec![
            Chart::columns(
                &format!("Collected per day ({})", currency.code),
                "money collected",
                &money_points(&day_points, currency),
                money_ticks(currency),
            ),
            Chart::rows(
                "Collected by method",
                "money collected",
                &money_points(&method_points, currency),
                money_ticks(currency),
            ),
        ],
        tables: vec![
            Table {
                slug: "by_day",
                caption: "Collected (payments less refunds) and invoiced per day".into(),
                header: day_header,
                rows: by_day_rows,
                total: Some(day_total),
            },
            Table {
                slug: "by_category",
                caption: "By patient category".into(),
                header: vec!["Category", "Collected", "Invoices issued", "Invoiced"],
                rows: category_rows,
                total: Some(vec![
                    total_label(),
                    Cell::Money(Money(all_collected)),
                    Cell::Count(invoiced.iter().map(|(_, t)| t.n).sum()),
                    Cell::Money(Money(all_invoiced)),
                ]),
            },
            Table {
                slug: "owed",
                caption: "Balances owed now, by how long ago the invoice was issued".into(),
                header: vec!["Age", "Invoices", "Owed"],
                rows: AGE_BANDS
                    .iter()
                    .zip(bands)
                    .map(|(band, (n, owed))| vec![Cell::Text((*band).into()), Cell::Count(n), Cell::Money(Money(owed))])
                    .collect(),
                total: Some(vec![
                    total_label(),
                    Cell::Count(owed_invoices),
                    Cell::Money(Money(owed_total)),
                ]),
            },
            due_from_schemes(schemes),
            Table {
                slug: "owed_by_category",
                caption: "Balances owed now, by patient category".into(),
                header: vec!["Category", "Invoices", "Owed"],
                rows: owed_categories
                    .into_iter()
                    .map(|(c, (n, owed))| vec![Cell::Text(category_label(c)), Cell::Count(n), Cell::Money(Money(owed))])
                    .collect(),
                total: Some(vec![
                    total_label(),
                    Cell::Count(owed_invoices),
                    Cell::Money(Money(owed_total)),
                ]),
            },
        ],
    }
}

/// What each scheme owes now: its shares to submit, and submitted but not paid.
fn due_from_schemes(schemes: &[DueFromScheme]) -> Table {
    let row = |name: String, invoices: i64, to_submit: i64, submitted: i64| {
        vec![
            Cell::Text(name),
            Cell::Count(invoices),
            Cell::Money(Money(to_submit)),
            Cell::Money(Money(submitted)),
            Cell::Money(Money(to_submit + submitted)),
        ]
    };
    let sum = |pick: fn(&DueFromScheme) -> i64| schemes.iter().map(pick).sum::<i64>();
    let mut total = row(
        String::new(),
        sum(|s| s.invoices),
        sum(|s| s.to_submit.0),
        sum(|s| s.submitted.0),
    );
    total[0] = total_label();
    Table {
        slug: "due_from_schemes",
        caption: "Due from schemes now: their shares of invoices, to submit or submitted and not paid".into(),
        header: vec!["Scheme", "Invoices", "To submit", "Submitted", "Due"],
        rows: schemes
            .iter()
            .map(|s| row(s.scheme.clone(), s.invoices, s.to_submit.0, s.submitted.0))
            .collect(),
        total: Some(total),
    }
}

/// How many of the most valuable drugs the stock table lists (its total counts them all).
pub const STOCK_ROWS: usize = 20;

/// What was dispensed per drug, the stock on hand and its value, and the batches expiring soon.
pub fn pharmacy(
    figures: &[Figure],
    drugs: &Names,
    stock: &[StockValue],
    expiring: &[Expiring],
    currency: &Currency,
) -> Shown {
    let mut dispensed = per_dim(figures, Metric::Dispensed);
    dispensed.sort_by(|a, b| b.1.amount.cmp(&a.1.amount).then_with(|| a.0.cmp(&b.0)));
    let named: Vec<(String, Total)> = dispensed
        .into_iter()
        .map(|(dim, t)| (name_of(drugs, &dim, "Drug"), t))
        .collect();
    let (units, value) = named.iter().fold((0, 0), |acc, (_, t)| (acc.0 + t.n, acc.1 + t.amount));
    let points: Vec<(String, i64)> = named
        .iter()
        .take(CHART_ROWS)
        .map(|(n, t)| (n.clone(), t.amount))
        .collect();
    let drug = |id: i64| drugs.get(&id).cloned().unwrap_or_else(|| format!("Drug {id}"));
    let stock_total = stock.iter().fold((0, 0, 0), |acc, s| {
        (acc.0 + s.units, acc.1 + s.at_cost.0, acc.2 + s.at_price.0)
    });
    Shown {
        charts: vec![Chart::rows(
            "Value dispensed per drug",
            "money dispensed",
            &money_points(&points, currency),
            money_ticks(currency),
        )],
        tables: vec![
            Table {
                slug: "dispensed",
                caption: "Dispensed per drug, by value at the catalogue's price".into(),
                header: vec!["Drug", "Quantity", "Value"],
                rows: named
                    .into_iter()
                    .map(|(name, t)| vec![Cell::Text(name), Cell::Count(t.n), Cell::Money(Money(t.amount))])
                    .collect(),
                total: Some(vec![total_label(), Cell::Count(units), Cell::Money(Money(value))]),
            },
            Table {
                slug: "stock",
                caption: format!(
                    "Stock on hand now (unexpired): the {} most valuable of {} drugs; the total counts them all",
                    stock.len().min(STOCK_ROWS),
                    stock.len()
                ),
                header: vec!["Drug", "Units", "Value at cost", "Value at price"],
                rows: stock
                    .iter()
                    .take(STOCK_ROWS)
                    .map(|s| {
                        vec![
                            Cell::Text(drug(s.drug_id)),
                            Cell::Count(s.units),
                            Cell::Money(s.at_cost),
                            Cell::Money(s.at_price),
                        ]
                    })
                    .collect(),
                total: Some(vec![
                    total_label(),
                    Cell::Count(stock_total.0),
                    Cell::Money(Money(stock_total.1)),
                    Cell::Money(Money(stock_total.2)),
                ]),
            },
            Table {
                slug: "expiring",
                caption: "Batches expiring in the next 90 days, earliest first".into(),
                header: vec!["Drug", "Batch", "Expires", "Units", "Value at cost"],
                rows: expiring
                    .iter()
                    .map(|e| {
                        vec![
                            Cell::Text(drug(e.drug_id)),
                            Cell::Text(e.batch_number.clone()),
                            Cell::Day(e.expires_on.0),
                            Cell::Count(e.quantity),
                            Cell::Money(e.at_cost),
                        ]
                    })
                    .collect(),
                total: Some(vec![
                    total_label(),
                    Cell::Text(String::new()),
                    Cell::Text(String::new()),
                    Cell::Count(expiring.iter().map(|e| e.quantity).sum()),
                    Cell::Money(Money(expiring.iter().map(|e| e.at_cost.0).sum())),
                ]),
            },
        ],
    }
}

/// The names of students' faculties, departments and levels.
pub struct Academic<'a> {
    pub faculties: &'a Names,
    pub departments: &'a Names,
    pub levels: &'a Names,
}

/// Visits by students per faculty, department and level.
pub fn students(figures: &[Figure], academic: &Academic<'_>) -> Shown {
    let table = |metric, slug, caption: &str, head, names: &Names, unknown| {
        let rows = per_dim(figures, metric);
        let all: i64 = rows.iter().map(|(_, t)| t.n).sum();
        let named: Vec<(String, i64)> = rows
            .into_iter()
            .map(|(dim, t)| (name_of(names, &dim, unknown), t.n))
            .collect();
        let table = Table {
            slug,
            caption: caption.to_owned(),
            header: vec![head, "Visits", "Share"],
            rows: named
                .iter()
                .map(|(name, n)| vec![Cell::Text(name.clone()), Cell::Count(*n), share(*n, all)])
                .collect(),
            total: Some(vec![total_label(), Cell::Count(all), share(all, all)]),
        };
        (table, named)
    };
    let (faculty, faculty_rows) = table(
        Metric::StudentsByFaculty,
        "by_faculty",
        "Visits by students, by faculty",
        "Faculty",
        academic.faculties,
        "Faculty",
    );
    let (department, _) = table(
        Metric::StudentsByDepartment,
        "by_department",
        "By department",
        "Department",
        academic.departments,
        "Department",
    );
    let (level, level_rows) = table(
        Metric::StudentsByLevel,
        "by_level",
        "By level",
        "Level",
        academic.levels,
        "Level",
    );
    Shown {
        charts: vec![
            Chart::rows(
                "Visits by students, by faculty",
                "visits",
                &count_points(&faculty_rows[..faculty_rows.len().min(CHART_ROWS)]),
                |v| v.to_string(),
            ),
            Chart::rows(
                "By level",
                "visits",
                &count_points(&level_rows[..level_rows.len().min(CHART_ROWS)]),
                |v| v.to_string(),
            ),
        ],
        tables: vec![faculty, department, level],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_axis_amount_fits_the_margin() {
        assert_eq!(compact_amount(0), "0");
        assert_eq!(compact_amount(250), "250");
        assert_eq!(compact_amount(5_000), "5k");
        assert_eq!(compact_amount(12_500), "12.5k");
        assert_eq!(compact_amount(1_200_000), "1.2M");
        let naira = Currency {
            code: "NGN".into(),
            minor_digits: 2,
        };
        assert_eq!(money_ticks(&naira)(500_000), "5k");
    }
    use crate::db::Date;
    use crate::reports::model::tests::{day, figure};

    fn ngn() -> Currency {
        Currency {
            code: "NGN".into(),
            minor_digits: 2,
        }
    }

    #[test]
    fn appointments_total_row_has_the_period_rate() {
        let period = Period {
            from: day("2026-11-01"),
            to: day("2026-11-02"),
        };
        let figures = [
            figure("2026-11-01", Metric::Appointments, "completed", 0, 3, 0),
            figure("2026-11-01", Metric::Appointments, "no_show", 0, 1, 0),
            figure("2026-11-02", Metric::Appointments, "no_show", 0, 1, 0),
            figure("2026-11-02", Metric::Appointments, "cancelled", 0, 1, 0),
        ];
        let shown = appointments(&figures, period);
        let table = &shown.tables[0];
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            table.total.as_deref(),
            Some(
                &[
                    total_label(),
                    Cell::Count(6),
                    Cell::Count(3),
                    Cell::Count(1),
                    Cell::Count(2),
                    Cell::Percent(Some(4000))
                ][..]
            )
        );
        assert_eq!(table.rows[0][5], Cell::Percent(Some(2500)));
    }

    #[test]
    fn times_give_medians_per_doctor_and_for_everyone() {
        let period = Period {
            from: day("2026-11-01"),
            to: day("2026-11-01"),
        };
        let figures = [
            figure("2026-11-01", Metric::Wait, "7", 10, 2, 0),
            figure("2026-11-01", Metric::Wait, "7", 30, 1, 0),
            figure("2026-11-01", Metric::Wait, "8", 5, 1, 0),
            figure("2026-11-01", Metric::Consultation, "8", 12, 1, 0),
        ];
        let names: Names = [(7, "Dr Ade".to_owned()), (8, "Dr Bello".to_owned())]
            .into_iter()
            .collect();
        let shown = times(&figures, period, &names);
        let by_doctor = &shown.tables[0];
        assert_eq!(
            by_doctor.rows[0][..4],
            [
                Cell::Text("Dr Ade".into()),
                Cell::Count(3),
                Cell::Minutes(Some(10)),
                Cell::Minutes(Some(30))
            ]
        );
        assert_eq!(
            by_doctor.rows[0][4..],
            [Cell::Count(0), Cell::Minutes(None), Cell::Minutes(None)]
        );
        // Everyone: 5, 10, 10, 30.
        let total = by_doctor.total.as_ref().expect("total");
        assert_eq!(total[2..4], [Cell::Minutes(Some(10)), Cell::Minutes(Some(30))]);
        assert_eq!(total[5], Cell::Minutes(Some(12)));
    }

    #[test]
    fn revenue_adds_methods_and_ages_balances() {
        let period = Period {
            from: day("2026-11-01"),
            to: day("2026-11-01"),
        };
        let figures = [
            figure("2026-11-01", Metric::CollectedByMethod, "cash", 0, 2, 5_000),
            figure("2026-11-01", Metric::CollectedByMethod, "card", 0, 1, -1_000),
            figure("2026-11-01", Metric::Invoiced, "student", 0, 2, 9_000),
        ];
        let owed = [
            Owed {
                category: "student".into(),
                issued_day: Date(day("2026-10-31")),
                invoices: 1,
                owed: Money(700),
            },
            Owed {
                category: "visitor".into(),
                issued_day: Date(day("2026-07-01")),
                invoices: 2,
                owed: Money(300),
            },
        ];
        let schemes = [
            DueFromScheme {
                scheme: "NHIS".into(),
                to_submit: Money(1_200),
                submitted: Money(0),
                invoices: 1,
            },
            DueFromScheme {
                scheme: "Student Health".into(),
                to_submit: Money(500),
                submitted: Money(2_000),
                invoices: 3,
            },
        ];
        let shown = revenue(&figures, period, (&owed, &schemes), day("2026-11-01"), &ngn());
        let by_day = &shown.tables[0];
        assert_eq!(
            by_day.header,
            ["Day", "Collected", "Cash", "Card", "Bank transfer", "Invoiced"]
        );
        assert_eq!(by_day.rows[0][1], Cell::Money(Money(4_000)));
        assert_eq!(by_day.rows[0][5], Cell::Money(Money(9_000)));
        let aged = &shown.tables[2];
        assert_eq!(aged.rows[0][1..], [Cell::Count(1), Cell::Money(Money(700))]);
        assert_eq!(aged.rows[3][1..], [Cell::Count(2), Cell::Money(Money(300))]);
        assert_eq!(
            aged.total.as_ref().map(|t| t[2].clone()),
            Some(Cell::Money(Money(1_000)))
        );
        let due = &shown.tables[3];
        assert_eq!(due.slug, "due_from_schemes");
        assert_eq!(due.rows[1][4], Cell::Money(Money(2_500)));
        assert_eq!(
            due.total.as_ref().map(|t| t[1..].to_vec()),
            Some(vec![
                Cell::Count(4),
                Cell::Money(Money(1_700)),
                Cell::Money(Money(2_000)),
                Cell::Money(Money(3_700))
            ])
        );
        assert_eq!(
            shown.headlines(Report::Revenue),
            [
                Headline {
                    label: "Collected",
                    value: Cell::Money(Money(4_000))
                },
                Headline {
                    label: "Invoiced",
                    value: Cell::Money(Money(9_000))
                },
                Headline {
                    label: "Owed now",
                    value: Cell::Money(Money(1_000))
                },
                Headline {
                    label: "Due from schemes",
                    value: Cell::Money(Money(3_700))
                },
            ]
        );
    }

    #[test]
    fn every_headline_names_a_total_its_report_has() {
        let period = Period {
            from: day("2026-11-01"),
            to: day("2026-11-02"),
        };
        let names = Names::new();
        let academic = Academic {
            faculties: &names,
            departments: &names,
            levels: &names,
        };
        for report in Report::ALL {
            let shown = match report {
                Report::Visits => visits(&[], period, &names),
                Report::Appointments => appointments(&[], period),
                Report::Times => times(&[], period, &names),
                Report::Diagnoses => diagnoses(&[], |_| None),
                Report::Revenue => revenue(&[], period, (&[], &[]), period.to, &ngn()),
                Report::Pharmacy => pharmacy(&[], &names, &[], &[], &ngn()),
                Report::Students => students(&[], &academic),
            };
            let headlines = shown.headlines(*report);
            assert!(!headlines.is_empty(), "{report}");
            assert_eq!(headlines.len(), report.headlines().len(), "{report}: {headlines:?}");
        }
    }
}
