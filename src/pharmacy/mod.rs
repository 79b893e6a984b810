//! The pharmacy: the drug and supply catalogue, stock in batches received and adjusted through one ledger,
//! stock counts shelf by shelf, expiry write-offs, the prescription worklist, dispensing by earliest expiry,
//! and the pharmacist's alerts. The prescriptions it serves are written in `prescriptions`.

pub mod dispense_pages;
pub mod handlers;
pub mod stock_pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::live::Shared;
use sickbay_core::identity::Role;

/// What the pharmacy's live screens read once per change (`Event::Pharmacy`: a prescription written or changed,
/// stock received, given or adjusted) and share, however many screens read them again on it.
#[derive(Clone, Default)]
pub struct LiveCaches {
    /// The alerts counted in full, for the home pages' figures.
    counts: Shared<sickbay_core::pharmacy::service::AlertCounts>,
    worklist: Shared<Arc<str>>,
}

/// How long a cached page part is shown without reading it again when no change is announced: the days of
/// stock left move with the clock (a new day, too), a patient's name may be corrected, another instance's
/// announcement missed.
const MAX_AGE: Duration = Duration::from_secs(60);

/// Whether `user` does the pharmacy's work (the pages an admin reads leave out its forms).
pub fn does_pharmacy_work(user: &sickbay_core::identity::StaffUser) -> bool {
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
        .route("/pharmacy/batches/write-off", post(stock_pages::write_off_all))
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
