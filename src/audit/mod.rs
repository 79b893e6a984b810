//! The audit trail's pages: the admin's trail (`/admin/audit`, filtered, paged, as CSV) and a patient's list of
//! who opened their record (`/me/record-access`). The log itself is `sickbay_core::audit`.

pub mod handlers;
pub mod portal;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;
use sickbay_core::identity::Role;

/// For the staff's page of a patient: where the admin finds who looked at this patient's record (the reads of
/// it in the trail); `None` for the roles that can't open the trail.
pub fn patient_reads_link(role: Role, patient_id: i64) -> Option<String> {
    (role == Role::Admin).then(|| format!("/admin/audit?patient={patient_id}&access=1"))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(handlers::list))
        .route("/admin/audit.csv", get(handlers::csv))
        .route("/me/record-access", get(portal::record_access))
}
