//! The patient's chart: one timeline of their visits with everything recorded in them, for doctors and
//! admins (every read audited), and the patient's own visits in plain words on their phone.

use askama::Template;
use askama_web::WebTemplate;

use super::handlers::take;
use crate::web::extract::{Clinicians, PortalUser, Staff};
use crate::web::filters;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::paging::{Cursor, CursorQuery, Pager};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::consult::model::{NoteKind, Recorded, Shown, VisitLine};
use sickbay_core::consult::repo::{self, Diagnosis, Note};
use sickbay_core::consult::service;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::lab::model::OrderView;
use sickbay_core::lab::service::{self as lab_service, HealthRecord};
use sickbay_core::patients::model::Patient;

/// How many visits a page of the chart shows.
const CHART_VISITS_SHOWN: i64 = 20;

/// How many of their visits a page of the patient's own list shows.
const MY_VISITS_SHOWN: i64 = 20;

/// A visit with what was recorded in it.
pub struct ChartVisit {
    pub visit: VisitLine,
    pub vitals: Vec<Recorded>,
    pub notes: Vec<Note>,
    pub diagnoses: Vec<Diagnosis>,
    pub prescriptions: Vec<sickbay_core::prescriptions::model::Item>,
    /// Lab orders: every one for staff, only released results for the patient.
    pub orders: Vec<sickbay_core::lab::model::OrderView>,
    pub procedures: Vec<sickbay_core::procedures::model::VisitProcedure>,
}

/// One entry of the chart's timeline: a visit with its records, or a health screening by the lab.
pub enum ChartEntry {
    Visit(ChartVisit),
    Screening(HealthRecord),
}

impl ChartEntry {
    /// When it happened: the day first, then the instant within it.
    fn when(&self) -> (Date, Timestamp) {
        match self {
            ChartEntry::Visit(c) => visit_when(&c.visit),
            ChartEntry::Screening(h) => (h.record.day, h.record.recorded_at),
        }
    }
}

/// When a visit happened, as the timeline orders it.
fn visit_when(visit: &VisitLine) -> (Date, Timestamp) {
    (visit.day, visit.started_at)
}

/// A page's visits and screenings as one timeline, newest first. The screenings are those of the page's
/// stretch of time: before `newer` (the visit the page starts after, if any) and, when there are `older` visits
/// still to come on the next page, not before the page's last visit.
fn timeline(
    visits: Vec<ChartVisit>,
    screenings: Vec<HealthRecord>,
    newer: Option<(Date, Timestamp)>,
    older: bool,
) -> Vec<ChartEntry> {
    let oldest = visits.last().filter(|_| older).map(|c| visit_when(&c.visit));
    let in_stretch =
        |when: (Date, Timestamp)| newer.is_none_or(|newer| when < newer) && oldest.is_none_or(|oldest| when >= oldest);
    let mut entries: Vec<ChartEntry> = screenings
        .into_iter()
        .map(ChartEntry::Screening)
        .filter(|e| in_stretch(e.when()))
        .chain(visits.into_iter().map(ChartEntry::Visit))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.when()));
    entries
}

/// Who the chart is gathered for: staff read everything, the patient what is theirs to read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Staff,
    Patient,
}

impl ChartVisit {
    pub fn readings(&self, recorded: &Recorded) -> Vec<Shown> {
        recorded.vitals.shown()
    }

    /// The notes in the order the consultation writes them: complaints, history, examination, plan, addenda.
    pub fn notes_in_order(&self) -> Vec<&Note> {
        let rank = |kind: NoteKind| match kind {
            NoteKind::Complaint => 0,
            NoteKind::History => 1,
            NoteKind::Examination => 2,
            NoteKind::Plan => 3,
            NoteKind::Addendum => 4,
        };
        let mut notes: Vec<&Note> = self.notes.iter().collect();
        notes.sort_by_key(|n| (rank(n.kind), n.written_at.0, n.id));
        notes
    }
}

/// The visits with their records, newest first, each gathered by one query per kind of record.
async fn gather(
    mut db: impl sickbay_core::db::Reader,
    visits: Vec<VisitLine>,
    reader: Reader,
) -> Result<Vec<ChartVisit>, ServiceError> {
    let ids: Vec<i64> = visits.iter().map(|v| v.id).collect();
    let mut vitals = repo::vitals_of_visits(&mut db, &ids).await?;
    let mut notes = match reader {
        Reader::Staff => repo::notes_of_visits(&mut db, &ids).await?,
        Reader::Patient => Vec::new(),
    };
    let mut diagnoses = repo::diagnoses_of_visits(&mut db, &ids).await?;
    let mut prescriptions = sickbay_core::prescriptions::service::items_of_visits(&mut db, &ids).await?;
    let mut orders = sickbay_core::lab::service::orders_of_visits(&mut db, &ids, reader == Reader::Patient).await?;
    let mut procedures = sickbay_core::procedures::service::of_visits(&mut db, &ids).await?;
    Ok(visits
        .into_iter()
        .map(|visit| {
            let id = visit.id;
            ChartVisit {
                vitals: take(&mut vitals, |r| r.visit_id == Some(id)),
                notes: take(&mut notes, |n| n.visit_id == id),
                diagnoses: take(&mut diagnoses, |d| d.visit_id == id),
                prescriptions: take(&mut prescriptions, |p| p.visit_id == id),
                orders: take(&mut orders, |o| o.visit_id == id),
                procedures: take(&mut procedures, |p| p.visit_id == id),
                visit,
            }
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "consult/chart.html")]
pub struct ChartPage {
    layout: Layout,
    patient: Patient,
    age: Option<u32>,
    entries: Vec<ChartEntry>,
    documents: Vec<sickbay_core::documents::model::DocumentMeta>,
    /// Where the page of visits stands among the patient's visits.
    cursor: Cursor,
}

/// The words of the pager of a list of visits.
const VISIT_PAGES: (&str, &str) = ("Latest visits", "Earlier visits");

impl ChartPage {
    fn pager(&self) -> Pager {
        self.cursor
            .pager_at(&format!("/patients/{}/chart", self.patient.id), VISIT_PAGES)
    }
}

/// The chart of a patient for doctors and admins, a page of visits at a time; the read is audited.
pub async fn chart(
    user: Staff<Clinicians>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
    Query(query): Query<CursorQuery>,
) -> AppResult<ChartPage> {
    let patient = sickbay_core::patients::service::get(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    service::record_read(&state.reads, &user.actor, "chart.view", ("patient", id), id).await?;
    // The rest on one connection, taken once the audit row (which needs one of its own) is written.
    let mut conn = state.db.conn().await?;
    let visits = service::visits_page(&mut conn, id, query.before(), CHART_VISITS_SHOWN).await?;
    let (page, newer) = (visits.page, visits.after.as_ref().map(visit_when));
    let screenings = sickbay_core::lab::service::health_records_of(&mut conn, id).await?;
    let cursor = Cursor::from(&page);
    Ok(ChartPage {
        age: patient.age_on(state.settings.get().today()),
        entries: timeline(
            gather(&mut conn, page.rows, Reader::Staff).await?,
            screenings,
            newer,
            cursor.older().is_some(),
        ),
        documents: sickbay_core::documents::service::of_patient(&mut conn, id).await?,
        patient,
        layout,
        cursor,
    })
}

/// A visit in the patient's list: when, with whom, and what was found.
pub struct VisitSummary {
    pub visit: VisitLine,
    pub diagnoses: Vec<Diagnosis>,
    /// A result of the visit is new to the patient: released lately, not opened yet.
    pub new_results: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "consult/my_visits.html")]
pub struct MyVisitsPage {
    layout: Layout,
    visits: Vec<VisitSummary>,
    /// Where the page of visits stands among the patient's visits.
    cursor: Cursor,
}

impl MyVisitsPage {
    fn pager(&self) -> Pager {
        self.cursor.pager_at("/me/visits", VISIT_PAGES)
    }
}

/// The patient's own visits on their phone, a page at a time: when, with whom, and what was found (the rest is
/// on each visit's page).
pub async fn my_visits(
    user: PortalUser,
    Page { state, layout, .. }: Page,
    Query(query): Query<CursorQuery>,
) -> AppResult<MyVisitsPage> {
    let mut conn = state.db.conn().await?;
    let page = service::visits_page(&mut conn, user.id, query.before(), MY_VISITS_SHOWN)
        .await?
        .page;
    let ids: Vec<i64> = page.rows.iter().map(|v| v.id).collect();
    let mut diagnoses = repo::diagnoses_of_visits(&mut conn, &ids).await?;
    let with_new_results = lab_service::visits_with_new_results(&mut conn, user.id, Timestamp::now()).await?;
    let cursor = Cursor::from(&page);
    let visits = page
        .rows
        .into_iter()
        .map(|visit| VisitSummary {
            diagnoses: take(&mut diagnoses, |d| d.visit_id == visit.id),
            new_results: with_new_results.contains(&visit.id),
            visit,
        })
        .collect();
    Ok(MyVisitsPage { visits, cursor, layout })
}

/// How many results the patient's list shows: the latest; the rest are with their visits.
const MY_RESULTS_SHOWN: i64 = 50;

/// The patient's released results on their phone, the latest first, in plain words, each leading to its visit.
#[derive(Template, WebTemplate)]
#[template(path = "consult/my_results.html")]
pub struct MyResultsPage {
    layout: Layout,
    results: Vec<OrderView>,
    /// The tests of the last weeks whose results are still to come.
    pending: Vec<OrderView>,
    /// When the page was read: the results new to the patient then are marked new on it, once.
    now: Timestamp,
}

impl MyResultsPage {
    fn is_new(&self, result: &OrderView) -> bool {
        result.is_new_to_patient(self.now)
    }

    fn more_in_visits(&self) -> bool {
        self.results.len() as i64 == MY_RESULTS_SHOWN
    }

    /// Whether a result listed is not the usual one, so the page says what to do about it.
    fn any_unusual(&self) -> bool {
        self.results.iter().any(OrderView::is_abnormal)
    }

    /// Whether a result listed crossed its test's critical limits: then the page does not reassure, it says the
    /// doctor will be in touch and when to come in.
    fn any_critical(&self) -> bool {
        self.results.iter().any(|o| o.critical)
    }
}

/// How far back the patient's list looks for tests still to come: an order older than this is no longer waited for.
const PENDING_DAYS: i64 = 30;

/// The list marks what is new to the patient, and from then on it is not: they have opened it.
pub async fn my_results(user: PortalUser, Page { state, layout, .. }: Page) -> AppResult<MyResultsPage> {
    let now = Timestamp::now();
    let since = now.minus_minutes(PENDING_DAYS * 24 * 60);
    let results = lab_service::released_to_patient(&state.db, user.id, MY_RESULTS_SHOWN).await?;
    lab_service::mark_read_by_patient(&state.db, user.id, None, &results, now).await?;
    Ok(MyResultsPage {
        results,
        pending: lab_service::pending_for_patient(&state.db, user.id, since).await?,
        now,
        layout,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "consult/my_visit.html")]
pub struct MyVisitPage {
    layout: Layout,
    v: ChartVisit,
    /// The sick notes and letters the doctor wrote in it.
    letters: Vec<sickbay_core::letters::model::Letter>,
}

/// One of the patient's own visits in plain words (no clinical notes); someone else's is not found.
pub async fn my_visit(
    user: PortalUser,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<MyVisitPage> {
    let mut conn = state.db.conn().await?;
    let line = repo::own_visit(&mut conn, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut visits = gather(&mut conn, vec![line], Reader::Patient).await?;
    let v = visits.pop().ok_or(AppError::NotFound)?;
    let letters = sickbay_core::letters::service::of_visit(&mut conn, v.visit.id).await?;
    drop(conn);
    // Its results are read here as well as on the list of results.
    lab_service::mark_read_by_patient(&state.db, user.id, Some(v.visit.id), &v.orders, Timestamp::now()).await?;
    Ok(MyVisitPage { layout, v, letters })
}
