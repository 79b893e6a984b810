//! The pharmacy: the drug and supply catalogue, stock in batches received and adjusted through one ledger,
//! stock counts shelf by shelf, expiry write-offs, the prescription worklist, dispensing by earliest expiry,
//! and the pharmacist's alerts. The prescriptions it serves are written in `prescriptions`.

pub mod dispense;
pub mod dispense_pages;
pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
pub mod stock_pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::identity::Role;
use crate::state::AppState;
use crate::web::extract::RoleSet;
use crate::web::live::Shared;

/// What the pharmacy's live screens read once per change (`Event::Pharmacy`: a prescription written or changed,
/// stock received, given or adjusted) and share, however many screens read them again on it.
#[derive(Clone, Default)]
pub struct LiveCaches {
    /// The alerts counted in full, for the home pages' figures.
    counts: Shared<service::AlertCounts>,
    worklist: Shared<Arc<str>>,
}

/// How long a cached page part is shown without reading it again when no change is announced: the days of
/// stock left move with the clock (a new day, too), a patient's name may be corrected, another instance's
/// announcement missed.
const MAX_AGE: Duration = Duration::from_secs(60);

/// Who reads the pharmacy's pages (its alerts, the worklist, a prescription, stock and ledger) and keeps the
/// catalogue's entries: pharmacists, and admins (the README gives the catalogue to both). Only pharmacists
/// change stock or dispense ([`PharmacyWork`]).
pub struct PharmacyStaff;

impl RoleSet for PharmacyStaff {
    const ROLES: &'static [Role] = &[Role::Pharmacist, Role::Admin];
}

/// Who dispenses, refuses, receives, adjusts, counts and writes off stock: pharmacists only (an account given
/// the pharmacist's role by an admin included); administration is not a clinical qualification.
pub struct PharmacyWork;

impl RoleSet for PharmacyWork {
    const ROLES: &'static [Role] = &[Role::Pharmacist];
}

/// Whether `user` does the pharmacy's work (the pages an admin reads leave out its forms).
pub fn does_pharmacy_work(user: &crate::identity::StaffUser) -> bool {
    user.holds(Role::Pharmacist)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pharmacy/drugs", get(handlers::list).post(handlers::create))
        .route("/pharmacy/drugs/new", get(handlers::new_form))
        .route("/pharmacy/drugs/{id}", get(handlers::edit_form).post(handlers::update))
        .route("/pharmacy/drugs/{id}/stock", get(stock_pages::stock))
        .route("/pharmacy/drugs/{id}/ledger.csv", get(stock_pages::ledger_csv))
        .route("/pharmacy/drugs/{id}/batches", post(stock_pages::receive))
        .route(
            "/pharmacy/batches/{id}/adjust",
            get(stock_pages::adjust_form).post(stock_pages::adjust),
        )
        .route("/pharmacy/batches/{id}/write-off", post(stock_pages::write_off))
        .route(
            "/pharmacy/counts",
            get(stock_pages::count_sheet).post(stock_pages::record_count),
        )
        .route("/pharmacy/prescriptions", get(dispense_pages::worklist))
        .route("/pharmacy/events", get(dispense_pages::worklist_events))
        .route("/pharmacy/prescriptions/{id}", get(dispense_pages::dispense_page))
        .route("/pharmacy/prescriptions/{id}/dispense", post(dispense_pages::dispense))
        .route("/pharmacy/prescriptions/{id}/refuse", post(dispense_pages::refuse_all))
        .route(
            "/pharmacy/prescriptions/{id}/items/{item}/refuse",
            post(dispense_pages::refuse_item),
        )
        .route(
            "/pharmacy/prescriptions/{id}/items/{item}/label",
            get(dispense_pages::label),
        )
}
