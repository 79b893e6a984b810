//! The pharmacy: the drug and supply catalogue with its stock on hand. Receiving batches, dispensing and the
//! stock ledger come later; the prescriptions the pharmacy serves are in `prescriptions`.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;

use axum::Router;
use axum::routing::get;

use crate::identity::Role;
use crate::state::AppState;
use crate::web::extract::RoleSet;

/// Who keeps the catalogue: pharmacists, and admins standing in for them.
pub struct PharmacyStaff;

impl RoleSet for PharmacyStaff {
    const ROLES: &'static [Role] = &[Role::Pharmacist, Role::Admin];
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pharmacy/drugs", get(handlers::list).post(handlers::create))
        .route("/pharmacy/drugs/new", get(handlers::new_form))
        .route("/pharmacy/drugs/{id}", get(handlers::edit_form).post(handlers::update))
}
