use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use crate::audit::model::AuditRow;
use crate::audit::repo as audit_repo;
use crate::db::Date;
use crate::identity::CurrentUser;
use crate::identity::{Role, StaffUser};
use crate::patients::model::PatientSummary;
use crate::patients::repo as patient_repo;
use crate::scheduling::repo::{self as scheduling_repo, AppointmentView};
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{Admins, Doctors, LabStaff, Pharmacists, ReceptionStaff, Staff};
use crate::web::layout::Layout;
use crate::web::paging::PageRequest;

/// Sends each user to the home page of their role.
pub async fn root(user: CurrentUser) -> Redirect {
    Redirect::to(user.home_path())
}

#[derive(Template, WebTemplate)]
#[template(path = "home/admin.html")]
pub struct AdminHome {
    layout: Layout,
    user: StaffUser,
    today: String,
    role_counts: Vec<(Role, i64)>,
    recent: Vec<AuditRow>,
    time_zone: chrono_tz::Tz,
}

impl AdminHome {
    fn when(&self, row: &AuditRow) -> String {
        row.at.format_in(&self.time_zone)
    }
}

pub async fn admin(admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<AdminHome> {
    let settings = state.settings.get();
    let role_counts = crate::staff::repo::count_active_by_role(&state.db).await?;
    let (mut recent, _) = audit_repo::list(&state.db, PageRequest(1)).await?;
    recent.truncate(8);
    Ok(AdminHome {
        layout,
        user: admin.user,
        today: today_label(&settings),
        role_counts,
        recent,
        time_zone: settings.time_zone,
    })
}

/// The home of a role whose own features arrive with later issues: who you are, today's date, your account.
#[derive(Template, WebTemplate)]
#[template(path = "home/staff.html")]
pub struct StaffHome {
    layout: Layout,
    user: StaffUser,
    today: String,
}

fn staff_home(user: StaffUser, state: &AppState, layout: Layout) -> StaffHome {
    StaffHome {
        layout,
        user,
        today: today_label(&state.settings.get()),
    }
}

/// The doctor's home: today's appointments in their slots.
#[derive(Template, WebTemplate)]
#[template(path = "home/doctor.html")]
pub struct DoctorHome {
    layout: Layout,
    user: StaffUser,
    today: String,
    appointments: Vec<AppointmentView>,
    time_zone: chrono_tz::Tz,
}

impl DoctorHome {
    fn time(&self, a: &AppointmentView) -> String {
        a.starts_at
            .to_utc()
            .with_timezone(&self.time_zone)
            .format("%H:%M")
            .to_string()
    }
}

pub async fn doctor(user: Staff<Doctors>, State(state): State<AppState>, layout: Layout) -> AppResult<DoctorHome> {
    let settings = state.settings.get();
    let today = Date(settings.today());
    let appointments = scheduling_repo::appointments_between(&state.db, Some(user.id), today, today).await?;
    Ok(DoctorHome {
        layout,
        user: user.user,
        today: today_label(&settings),
        appointments,
        time_zone: settings.time_zone,
    })
}

pub async fn pharmacist(user: Staff<Pharmacists>, State(state): State<AppState>, layout: Layout) -> StaffHome {
    staff_home(user.user, &state, layout)
}

pub async fn lab(user: Staff<LabStaff>, State(state): State<AppState>, layout: Layout) -> StaffHome {
    staff_home(user.user, &state, layout)
}

/// Reception's home: finding and registering patients, and the students waiting for approval.
#[derive(Template, WebTemplate)]
#[template(path = "home/reception.html")]
pub struct ReceptionHome {
    layout: Layout,
    user: StaffUser,
    today: String,
    pending: Vec<PatientSummary>,
    patients: i64,
}

pub async fn reception(
    user: Staff<ReceptionStaff>,
    State(state): State<AppState>,
    layout: Layout,
) -> AppResult<ReceptionHome> {
    Ok(ReceptionHome {
        layout,
        user: user.user,
        today: today_label(&state.settings.get()),
        pending: patient_repo::pending_approval(&state.db).await?,
        patients: patient_repo::count(&state.db).await?,
    })
}

fn today_label(settings: &crate::settings::Settings) -> String {
    settings.today().format("%A %-d %B %Y").to_string()
}
