use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::{Query, invalid};
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::{AppError, AppResult, csv_table};
use sickbay_core::reports::model::{Headline, Period, Report};
use sickbay_core::reports::service::{self, Context};
use sickbay_core::reports::shown::Shown;
use sickbay_core::validation::FieldErrors;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD` (the last 30 days when blank), and for a CSV `table=` the table's name.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    table: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/index.html")]
pub struct IndexPage {
    layout: Layout,
    period: Period,
    /// Each report with the totals it leads with over `period`.
    reports: Vec<(Report, Vec<Headline>)>,
}

/// Every report with its totals for the last 30 days, as a heavy page: each report's days are read and added up.
pub async fn index(_admin: Staff<Admins>, Page { state, layout, .. }: Page) -> AppResult<Response> {
    let heavy = state.heavy.clone();
    heavy
        .run(async move {
            let period = Period::default_for(state.today().0);
            let mut reports = Vec::with_capacity(Report::ALL.len());
            for report in Report::ALL {
                let headlines = shown(&state, &layout, *report, period).await?.headlines(*report);
                reports.push((*report, headlines));
            }
            Ok(IndexPage {
                layout,
                period,
                reports,
            }
            .into_response())
        })
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/report.html")]
pub struct ReportPage {
    layout: Layout,
    report: Report,
    /// The period shown, or the one asked for that could not be read (with `errors`).
    form: PeriodQuery,
    period: Option<Period>,
    presets: Vec<(&'static str, Period)>,
    errors: FieldErrors,
    shown: Shown,
    headlines: Vec<Headline>,
}

fn report_of(slug: &str) -> AppResult<Report> {
    slug.parse().map_err(|_| AppError::NotFound)
}

pub async fn page(
    _admin: Staff<Admins>,
    Page { state, layout, .. }: Page,
    Path(slug): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> AppResult<Response> {
    let report = report_of(&slug)?;
    let heavy = state.heavy.clone();
    heavy.run(report_page(state, layout, report, query)).await
}

/// The report's page, built as a heavy page (a year of rows read and added up, and a large page rendered).
async fn report_page(state: AppState, layout: Layout, report: Report, query: PeriodQuery) -> AppResult<Response> {
    let today = state.today().0;
    let mut page = ReportPage {
        report,
        period: None,
        presets: Period::presets(today),
        errors: FieldErrors::default(),
        shown: Shown::default(),
        headlines: Vec::new(),
        form: query,
        layout,
    };
    match Period::parse(&page.form.from, &page.form.to, today) {
        Ok(period) => {
            page.shown = shown(&state, &page.layout, report, period).await?;
            page.headlines = page.shown.headlines(report);
            page.period = Some(period);
            Ok(page.into_response())
        }
        Err(errors) => {
            page.errors = errors;
            Ok(invalid(page))
        }
    }
}

/// The report for `period`, read for one page or one CSV of its tables. It is not kept for the next admin: in a
/// working clinic something it counts changes every few seconds (a day of the clinic benchmark read every
/// report again), so a copy kept until the next change was never shown twice.
async fn shown(state: &AppState, layout: &Layout, report: Report, period: Period) -> AppResult<Shown> {
    let context = Context {
        db: &state.db,
        zone: layout.zone,
        today: state.today().0,
        currency: &layout.currency,
    };
    Ok(service::report(&context, report, period).await?)
}

/// One table of a report as CSV: the same cells as the page's table.
pub async fn csv(
    _admin: Staff<Admins>,
    Page { state, layout, .. }: Page,
    Path(slug): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> AppResult<Response> {
    let report = report_of(&slug)?;
    let period = Period::parse(&query.from, &query.to, state.today().0).map_err(AppError::Invalid)?;
    let heavy = state.heavy.clone();
    heavy
        .run(async move {
            let shown = shown(&state, &layout, report, period).await?;
            let table = shown
                .tables
                .iter()
                .find(|t| t.slug == query.table.trim())
                .ok_or(AppError::NotFound)?;
            let file = format!("{}-{}-{}-{}.csv", report.as_str(), table.slug, period.from, period.to);
            csv_table(&file, &table.header, table.records(layout.currency.minor_digits))
        })
        .await
}

impl ReportPage {
    /// Whether the preset named `name` is the period shown. Two presets can be the same days (on 30 November the
    /// last 30 days are this month): the first of them is marked.
    fn is_shown(&self, name: &str) -> bool {
        self.presets
            .iter()
            .find(|(_, preset)| self.period.as_ref() == Some(preset))
            .is_some_and(|(first, _)| *first == name)
    }

    /// The period's first day as the form shows it: the period read, or what was typed when it could not be.
    fn first_day_shown(&self) -> String {
        self.period
            .as_ref()
            .map_or_else(|| self.form.from.clone(), |p| p.from.to_string())
    }

    /// The period's last day as the form shows it, likewise.
    fn last_day_shown(&self) -> String {
        self.period
            .as_ref()
            .map_or_else(|| self.form.to.clone(), |p| p.to.to_string())
    }
}
