use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::queue::snapshot::{NextCall, Snapshot};
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::CurrentUser;
use crate::web::extract::{Admins, AnyStaff, Doctors, ReceptionStaff, Staff};
use crate::web::filters;
use crate::web::form::Query;
use crate::web::htmx::HxRequest;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::live::{self, LiveBlock, Since};
use crate::web::task::task;
use sickbay_core::audit::model::AuditRow;
use sickbay_core::db::{Currency, Date, Timestamp};
use sickbay_core::home::model::{AdminFigures, DoctorFigures, OPEN_VISITS_SHOWN, RESULTS_SHOWN, ReceptionFigures};
use sickbay_core::home::service;
use sickbay_core::identity::{Role, StaffUser};
use sickbay_core::lab::service::ResultBack;
use sickbay_core::patients::model::PatientSummary;
use sickbay_core::scheduling::model::{Action, AppointmentView};
use sickbay_core::setup::{
    self,
    model::{ClinicFacts, Step},
};

/// Sends each user to the home page of their role.
pub async fn root(user: CurrentUser) -> Redirect {
    Redirect::to(user.home_path())
}

// ---- the admin: the whole clinic ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "home/admin.html")]
pub struct AdminHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    glance: LiveBlock,
    role_counts: Vec<(Role, i64)>,
    recent: Vec<AuditRow>,
    /// SQLite's scheduled copies, when this instance takes them (nothing on PostgreSQL: see the README).
    backups: Option<sickbay_core::db::backup::Status>,
    /// The first run's steps, shown until every one is done.
    setup: SetupList,
}

/// The setup checklist: on the admin's home until every step is done, and always on its own page.
pub struct SetupList {
    steps: Vec<Step>,
    on_home: bool,
}

impl SetupList {
    async fn read(state: &AppState, on_home: bool) -> AppResult<SetupList> {
        let counts = setup::repo::counts(&state.db).await?;
        let settings = state.settings.get();
        let clinic = ClinicFacts {
            name: settings.clinic.name.clone(),
            time_zone: settings.clinic.time_zone.name().to_owned(),
            currency: settings.currency().code,
            self_registration: settings.registration.self_registration,
            site_url: settings.messages.site_url.clone(),
            dispense_only_when_paid: settings.billing.dispense_only_when_paid,
            results_release: settings.lab.releaser(),
        };
        let steps = setup::model::steps(&counts, &clinic);
        Ok(SetupList { steps, on_home })
    }

    fn done_count(&self) -> usize {
        setup::model::done_count(&self.steps)
    }

    fn progress(&self) -> String {
        setup::model::progress(&self.steps)
    }

    fn shown_on_home(&self) -> bool {
        self.done_count() < self.steps.len()
    }

    /// Steps done with something left to check: the home says each at its top once the list has gone.
    fn to_check(&self) -> Vec<&Step> {
        setup::model::to_check(&self.steps).collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home/setup.html")]
pub struct SetupPage {
    layout: Layout,
    setup: SetupList,
}

#[derive(Template)]
#[template(path = "home/_keys.html")]
struct Keys {
    /// Where "Close" goes on the page of its own: the user's home.
    back: &'static str,
}

/// The keyboard shortcuts of the staff pages, asked with "?" (or from the user's menu): in the task dialog, or a
/// page of its own without JavaScript.
pub async fn keys(_staff: Staff<AnyStaff>, hx: HxRequest, layout: Layout) -> AppResult<Response> {
    let body = Keys { back: layout.home_path }.render()?;
    task(hx, layout, "Keyboard shortcuts", &body)
}

pub async fn setup_page(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<SetupPage> {
    Ok(SetupPage {
        layout,
        setup: SetupList::read(&state, false).await?,
    })
}

#[derive(Template)]
#[template(path = "home/_admin_glance.html")]
struct AdminGlance {
    figures: AdminFigures,
    currency: Currency,
}

/// Figures read once per change (or every `MAX_AGE`) and shared by every page and block that shows them: a
/// role's (`key` "admin") or one doctor's ("doctor:7").
async fn shared_figures<F, Fut>(state: &AppState, key: &str, render: F) -> AppResult<String>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<String>>,
{
    let seq = state.db.events().last_seq();
    let compute = || async { Ok(Arc::from(render().await?)) };
    let html = state.home.figures.get_within(key, seq, super::MAX_AGE, compute).await?;
    Ok(html.to_string())
}

/// The whole clinic's figures (shared by every admin).
async fn admin_glance(state: &AppState) -> AppResult<String> {
    shared_figures(state, "admin", || async {
        let settings = state.settings.get();
        let today = Date(settings.today());
        let start = Timestamp::start_of_day(today.0, settings.clinic.time_zone);
        let low_stock = crate::pharmacy::stock_pages::alert_counts(state).await?.low;
        let figures = service::admin(&state.db, today, start, low_stock, settings.lab.releaser()).await?;
        Ok(AdminGlance {
            figures,
            currency: settings.currency(),
        }
        .render()?)
    })
    .await
}

pub async fn admin(admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<AdminHome> {
    let glance = LiveBlock::load(&state, "/admin", "/admin/summary", admin_glance(&state)).await?;
    let role_counts = sickbay_core::staff::service::count_active_by_role(&state.db).await?;
    let recent = sickbay_core::audit::service::recent(&state.db, 8).await?;
    let backups = match &state.config.backups {
        Some(plan) => Some(sickbay_core::db::backup::Status::of(plan).await),
        None => None,
    };
    let setup = SetupList::read(&state, true).await?;
    Ok(AdminHome {
        layout,
        user: admin.user,
        today: state.today(),
        glance,
        role_counts,
        recent,
        backups,
        setup,
    })
}

pub async fn admin_summary(_admin: Staff<Admins>, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(admin_glance(&state).await?))
}

/// Every change touches some figure of the whole clinic.
pub async fn admin_events(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Response {
    live::changes(&state, |_| true, since.seq()).into_response()
}

// ---- the doctor: their own day --------------------------------------------------------------------------

/// The doctor's home: their figures, results to review, open visits and today's appointments in their slots.
#[derive(Template, WebTemplate)]
#[template(path = "home/doctor.html")]
pub struct DoctorHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    glance: LiveBlock,
    /// Today's appointments; visits the doctor has not completed yet, oldest first (the first
    /// `open_visits_shown` are listed: [`OPEN_VISITS_SHOWN`] unless all were asked for); results to review for their
    /// visits, latest first.
    lists: DoctorLists,
    open_visits_shown: usize,
    /// Whether the doctor has more open visits than are listed.
    more_open_visits: bool,
    /// What marking a result seen does besides, where it sends results to patients (the clinic's lab setting).
    seen_releases: Option<&'static str>,
}

impl DoctorHome {
    fn open_visits(&self) -> &[sickbay_core::consult::model::VisitLine] {
        let visits = &self.lists.open_visits;
        &visits[..visits.len().min(self.open_visits_shown)]
    }

    /// Where the checked-in patient of this appointment is in the doctor's line, while they are still in the
    /// waiting room (1: "Call in" calls them; those behind wait their turn).
    fn place_in_line(&self, appointment_id: &i64) -> Option<i64> {
        self.lists
            .waiting
            .iter()
            .find(|(id, _)| id == appointment_id)
            .map(|(_, place)| *place)
    }
}

#[derive(Template)]
#[template(path = "home/_doctor_glance.html")]
struct DoctorGlance {
    figures: DoctorFigures,
    next_call: NextCall,
}

async fn doctor_glance(state: &AppState, doctor_id: i64) -> AppResult<String> {
    shared_figures(state, &format!("doctor:{doctor_id}"), || async {
        let figures = service::doctor(&state.db, doctor_id, state.today()).await?;
        let queue = Snapshot::fresh(state, state.db.events().last_seq()).await?;
        Ok(DoctorGlance {
            figures,
            next_call: queue.next_call(doctor_id),
        }
        .render()?)
    })
    .await
}

/// The lists of a doctor's home: today's appointments, the oldest open visits (one more than `shown`, to
/// tell whether there are more) and the results to review.
pub struct DoctorLists {
    appointments: Vec<AppointmentView>,
    /// The checked-in appointments whose ticket waits to be called, with their place in the doctor's line.
    waiting: Vec<(i64, i64)>,
    open_visits: Vec<sickbay_core::consult::model::VisitLine>,
    results: Vec<ResultBack>,
    /// How many results wait for review in all (the list shows the latest [`RESULTS_SHOWN`]).
    results_waiting: i64,
}

impl DoctorLists {
    /// How many results to review are not listed.
    fn results_not_listed(&self) -> i64 {
        self.results_waiting - self.results.len() as i64
    }

    /// The critical results listed (they come first): each is marked seen on its own, from the home's banner or
    /// its row, never with a tick or "Mark all".
    fn critical_results(&self) -> impl Iterator<Item = &ResultBack> {
        self.results.iter().filter(|r| r.view.critical)
    }

    /// How many listed results may be marked seen together (those not critical).
    fn markable_together(&self) -> usize {
        self.results.iter().filter(|r| !r.view.critical).count()
    }

    /// "Mark all 9 as seen" when they are every result waiting, else "Mark the 9 listed as seen" (older ones
    /// wait below the list, or a critical one is marked on its own), so the count never reads against the tile's.
    fn mark_together_words(&self) -> String {
        let together = self.markable_together();
        match i64::try_from(together) == Ok(self.results_waiting) {
            true => format!("Mark all {together} as seen"),
            false => format!("Mark the {together} listed as seen"),
        }
    }

    async fn load(state: &AppState, doctor_id: i64, shown: i64) -> AppResult<DoctorLists> {
        let today = state.today();
        let results = sickbay_core::lab::service::results_to_review(&state.db, doctor_id, RESULTS_SHOWN).await?;
        // Counted only when the list is full: a shorter list is all there is.
        let results_waiting = match results.len() as i64 == RESULTS_SHOWN {
            true => sickbay_core::lab::service::count_results_to_review(&state.db, doctor_id).await?,
            false => results.len() as i64,
        };
        let appointments =
            sickbay_core::scheduling::service::appointments_between(&state.db, doctor_id, today, today).await?;
        Ok(DoctorLists {
            waiting: sickbay_core::queue::service::places_in_line(&state.db, today, doctor_id).await?,
            appointments,
            open_visits: sickbay_core::consult::service::open_visits_of_doctor(
                &state.db,
                doctor_id,
                shown.saturating_add(1),
            )
            .await?,
            results,
            results_waiting,
        })
    }
}

/// `?open=all` lists every open visit on the doctor's home, not only the oldest.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OpenVisits {
    #[serde(default)]
    open: String,
}

pub async fn doctor(
    user: Staff<Doctors>,
    Page { state, layout, .. }: Page,
    Query(asked): Query<OpenVisits>,
) -> AppResult<DoctorHome> {
    let glance = LiveBlock::load(&state, "/doctor", "/doctor/summary", doctor_glance(&state, user.id)).await?;
    let shown = if asked.open == "all" {
        i64::MAX
    } else {
        OPEN_VISITS_SHOWN
    };
    let lists = DoctorLists::load(&state, user.id, shown).await?;
    Ok(DoctorHome {
        layout,
        user: user.user,
        today: state.today(),
        glance,
        more_open_visits: lists.open_visits.len() as i64 > shown,
        seen_releases: state.settings.get().lab.releaser().what_seen_does(),
        open_visits_shown: usize::try_from(shown).unwrap_or(usize::MAX),
        lists,
    })
}

/// The doctor's own figures, whoever else is logged in elsewhere: the id is the session's.
pub async fn doctor_summary(user: Staff<Doctors>, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(doctor_glance(&state, user.id).await?))
}

/// A doctor's figures move with the queue (and visits, which tell the queue), their bookings and the lab.
pub async fn doctor_events(
    _user: Staff<Doctors>,
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Response {
    live::changes(
        &state,
        |e| e.touches_queues() || e.touches_lab() || e.touches_bookings(),
        since.seq(),
    )
    .into_response()
}

// ---- reception: the front desk -------------------------------------------------------------------------

/// Reception's home: the desk's figures, finding and registering patients, and the students waiting for
/// approval.
#[derive(Template, WebTemplate)]
#[template(path = "home/reception.html")]
pub struct ReceptionHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    glance: LiveBlock,
    pending: Vec<PatientSummary>,
}

#[derive(Template)]
#[template(path = "home/_reception_glance.html")]
struct ReceptionGlance {
    figures: ReceptionFigures,
    currency: Currency,
}

/// The front desk's figures (shared by every receptionist).
async fn reception_glance(state: &AppState) -> AppResult<String> {
    shared_figures(state, "reception", || async {
        let figures = service::reception(&state.db, state.today()).await?;
        Ok(ReceptionGlance {
            figures,
            currency: state.settings.get().currency(),
        }
        .render()?)
    })
    .await
}

pub async fn reception(user: Staff<ReceptionStaff>, Page { state, layout, .. }: Page) -> AppResult<ReceptionHome> {
    Ok(ReceptionHome {
        layout,
        user: user.user,
        today: state.today(),
        glance: LiveBlock::load(&state, "/reception", "/reception/summary", reception_glance(&state)).await?,
        pending: sickbay_core::patients::service::pending_approval(&state.db).await?,
    })
}

pub async fn reception_summary(_user: Staff<ReceptionStaff>, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(reception_glance(&state).await?))
}

/// The desk's figures move with the queue (check-ins among it), the day's bookings and billing.
pub async fn reception_events(
    _user: Staff<ReceptionStaff>,
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Response {
    live::changes(
        &state,
        |e| e.touches_queues() || e.touches_billing() || e.touches_bookings(),
        since.seq(),
    )
    .into_response()
}
