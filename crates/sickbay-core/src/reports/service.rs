//! The reports' figures for a period, from the kept daily summaries where they are fresh and from the clinic's
//! tables for the other days (today, and any day a late change touched since its summary), and the summary job
//! that keeps each closed day's figures.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::model::{Figure, Metric, Period, Report};
use super::repo::{self, NameTable};
use super::shown::{self, Academic, Names, Shown};
use crate::db::{Currency, Date, Db, Timestamp};
use crate::error::ServiceError;

/// The span of a local day as instants: from its start to the next day's.
fn span_of(day: NaiveDate, zone: Tz) -> (Timestamp, Timestamp) {
    (
        Timestamp::start_of_day(day, zone),
        Timestamp::start_of_day(Date::add_days(day, 1), zone),
    )
}

/// The figures of `metrics` for every day of `period`: kept ones for the days summarized since their last
/// change, and the rest read now.
pub async fn figures(db: &Db, metrics: &[Metric], period: Period, zone: Tz) -> Result<Vec<Figure>, ServiceError> {
    let (from, to) = (Date(period.from), Date(period.to));
    let fresh: HashSet<Date> = repo::fresh_days(db, from, to).await?.into_iter().collect();
    let mut figures: Vec<Figure> = repo::kept(db, metrics, from, to)
        .await?
        .into_iter()
        .filter(|f| fresh.contains(&f.day))
        .collect();
    let unsummarized: Vec<NaiveDate> = period.days().filter(|day| !fresh.contains(&Date(*day))).collect();
    if !unsummarized.is_empty() {
        let mut conn = db.conn().await?;
        for day in unsummarized {
            figures.extend(repo::compute_day(&mut conn, metrics, Date(day), span_of(day, zone)).await?);
        }
    }
    Ok(figures)
}

/// At most this many days are summarized per run of the job (the newest first), so a first run over years of
/// history is spread over a few runs.
const DAYS_PER_RUN: usize = 400;

/// Keeps the figures of each closed day (before `today`) that has none or was changed since; how many days it
/// summarized.
pub async fn summarize_closed_days(db: &Db, today: NaiveDate, zone: Tz) -> Result<usize, ServiceError> {
    let Some(first) = first_day(db, zone).await? else {
        return Ok(0);
    };
    let yesterday = Date::add_days(today, -1);
    if first > yesterday {
        return Ok(0);
    }
    let rows = repo::summary_days(db, Date(first), Date(yesterday)).await?;
    let known: HashMap<Date, (i64, Option<i64>)> = rows.into_iter().map(|(d, c, s)| (d, (c, s))).collect();
    let mut due: Vec<(NaiveDate, i64)> = Period {
        from: first,
        to: yesterday,
    }
    .days()
    .filter_map(|day| match known.get(&Date(day)) {
        None => Some((day, 0)),
        Some((changes, summarized)) if *summarized != Some(*changes) => Some((day, *changes)),
        Some(_) => None,
    })
    .collect();
    due.reverse();
    due.truncate(DAYS_PER_RUN);
    for (day, changes) in &due {
        let figures = {
            let mut conn = db.conn().await?;
            repo::compute_day(&mut conn, Metric::ALL, Date(*day), span_of(*day, zone)).await?
        };
        let mut tx = db.begin_write().await?;
        repo::keep_day(&mut tx, Date(*day), *changes, &figures).await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

/// The first local day anything happened on, if anything has.
async fn first_day(db: &Db, zone: Tz) -> Result<Option<NaiveDate>, ServiceError> {
    let activity = repo::first_day(db).await?.map(|d| d.0);
    let registered = repo::first_patient_at(db)
        .await?
        .map(|at| at.to_utc().with_timezone(&zone).date_naive());
    Ok(match (activity, registered) {
        (Some(a), Some(r)) => Some(a.min(r)),
        (a, r) => a.or(r),
    })
}

/// Where a report's page gets what it shows.
pub struct Context<'a> {
    pub db: &'a Db,
    pub zone: Tz,
    pub today: NaiveDate,
    pub currency: &'a Currency,
}

/// A report's charts and tables for `period`.
pub async fn report(ctx: &Context<'_>, report: Report, period: Period) -> Result<Shown, ServiceError> {
    let figures = figures(ctx.db, report.metrics(), period, ctx.zone).await?;
    let names = |table, metric| dim_names(ctx.db, table, &figures, metric);
    Ok(match report {
        Report::Visits => shown::visits(&figures, period, &names(NameTable::Staff, Metric::Visits).await?),
        Report::Appointments => shown::appointments(&figures, period),
        Report::Times => {
            let mut doctors = names(NameTable::Staff, Metric::Wait).await?;
            doctors.extend(names(NameTable::Staff, Metric::Consultation).await?);
            shown::times(&figures, period, &doctors)
        }
        Report::Diagnoses => shown::diagnoses(&figures, crate::consult::icd::describe),
        Report::Revenue => {
            let owed = repo::owed(ctx.db).await?;
            let schemes = repo::due_from_schemes(ctx.db).await?;
            shown::revenue(&figures, period, (&owed, &schemes), ctx.today, ctx.currency)
        }
        Report::Pharmacy => {
            let today = Date(ctx.today);
            let stock = repo::stock_value(ctx.db, today).await?;
            let until = Date(Date::add_days(ctx.today, 90));
            let expiring = repo::expiring(ctx.db, today, until, EXPIRING_ROWS).await?;
            let mut ids: Vec<i64> = dim_ids(&figures, Metric::Dispensed);
            ids.extend(stock.iter().take(shown::STOCK_ROWS).map(|s| s.drug_id));
            ids.extend(expiring.iter().map(|e| e.drug_id));
            let drugs = names_of(ctx.db, NameTable::Drug, ids).await?;
            shown::pharmacy(&figures, &drugs, &stock, &expiring, ctx.currency)
        }
        Report::Students => {
            let faculties = names(NameTable::Faculty, Metric::StudentsByFaculty).await?;
            let departments = names(NameTable::Department, Metric::StudentsByDepartment).await?;
            let levels = names(NameTable::Level, Metric::StudentsByLevel).await?;
            shown::students(
                &figures,
                &Academic {
                    faculties: &faculties,
                    departments: &departments,
                    levels: &levels,
                },
            )
        }
    })
}

/// How many expiring batches the pharmacy report lists.
const EXPIRING_ROWS: i64 = 100;

fn dim_ids(figures: &[Figure], metric: Metric) -> Vec<i64> {
    let mut ids: Vec<i64> = figures
        .iter()
        .filter(|f| f.metric == metric)
        .filter_map(|f| f.dim.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn dim_names(db: &Db, table: NameTable, figures: &[Figure], metric: Metric) -> Result<Names, ServiceError> {
    names_of(db, table, dim_ids(figures, metric)).await
}

async fn names_of(db: &Db, table: NameTable, mut ids: Vec<i64>) -> Result<Names, ServiceError> {
    ids.sort_unstable();
    ids.dedup();
    Ok(repo::names(db, table, &ids).await?.into_iter().collect())
}
