use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use crate::audit::model::AuditRow;
use crate::db::Date;
use crate::identity::CurrentUser;
use crate::identity::{Role, StaffUser};
use crate::patients::model::PatientSummary;
use crate::scheduling::model::{Action, AppointmentView};
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{Admins, Doctors, ReceptionStaff, Staff};
use crate::web::filters;
use crate::web::layout::Layout;

/// Sends each user to the home page of their role.
pub async fn root(user: CurrentUser) -> Redirect {
    Redirect::to(user.home_path())
}

#[derive(Template, WebTemplate)]
#[template(path = "home/admin.html")]
pub struct AdminHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    role_counts: Vec<(Role, i64)>,
    recent: Vec<AuditRow>,
}

pub async fn admin(admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<AdminHome> {
    let settings = state.settings.get();
    let role_counts = crate::staff::service::count_active_by_role(&state.db).await?;
    let recent = crate::audit::recent(&state.db, 8).await?;
    Ok(AdminHome {
        layout,
        user: admin.user,
        today: Date(settings.today()),
        role_counts,
        recent,
    })
}

/// The doctor's home: today's appointments in their slots.
#[derive(Template, WebTemplate)]
#[template(path = "home/doctor.html")]
pub struct DoctorHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    appointments: Vec<AppointmentView>,
    /// Visits the doctor has not completed yet, oldest first.
    open_visits: Vec<crate::consult::model::VisitLine>,
}

pub async fn doctor(user: Staff<Doctors>, State(state): State<AppState>, layout: Layout) -> AppResult<DoctorHome> {
    let settings = state.settings.get();
    let today = Date(settings.today());
    let appointments = crate::scheduling::service::appointments_between(&state.db, user.id, today, today).await?;
    let open_visits = crate::consult::service::open_visits_of_doctor(&state.db, user.id).await?;
    Ok(DoctorHome {
        layout,
        user: user.user,
        today: Date(settings.today()),
        appointments,
        open_visits,
    })
}

/// Reception's home: finding and registering patients, and the students waiting for approval.
#[derive(Template, WebTemplate)]
#[template(path = "home/reception.html")]
pub struct ReceptionHome {
    layout: Layout,
    user: StaffUser,
    today: Date,
    pending: Vec<PatientSummary>,
}

pub async fn reception(
    user: Staff<ReceptionStaff>,
    State(state): State<AppState>,
    layout: Layout,
) -> AppResult<ReceptionHome> {
    Ok(ReceptionHome {
        layout,
        user: user.user,
        today: state.today(),
        pending: crate::patients::service::pending_approval(&state.db).await?,
    })
}
