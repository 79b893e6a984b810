//! Billing: the fee schedule with prices by patient category, invoices from a visit or made by hand,
//! payments with receipts, refunds and credit notes, the cashier's day and its close, payer schemes and their
//! monthly claims, and each patient's invoices on their phone.

pub mod admin;
pub mod day;
pub mod handlers;
pub mod portal;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(handlers::home))
        .route(
            "/billing/visits/{id}",
            get(handlers::visit_bill).post(handlers::bill_visit),
        )
        .route("/billing/invoices", post(handlers::create_draft))
        .route("/billing/invoices/{id}", get(handlers::invoice_page))
        .route("/billing/invoices/{id}/statement", get(handlers::statement))
        .route("/billing/invoices/{id}/lines", post(handlers::add_line))
        .route(
            "/billing/invoices/{id}/lines/{line}/remove",
            post(handlers::remove_line),
        )
        .route("/billing/invoices/{id}/issue", post(handlers::issue))
        .route("/billing/invoices/{id}/payments", post(handlers::pay))
        .route("/billing/invoices/{id}/refunds", post(handlers::refund))
        .route("/billing/invoices/{id}/credit", post(handlers::credit))
        .route("/billing/invoices/{id}/void", post(handlers::void))
        .route(
            "/billing/invoices/{id}/discard",
            get(handlers::discard_page).post(handlers::discard),
        )
        .route("/billing/payments/{id}/receipt", get(handlers::receipt))
        .route("/billing/day", get(day::day_page))
        .route("/billing/day.csv", get(day::day_csv))
        .route("/billing/day/close", post(day::close))
        .route("/billing/claims", get(day::claims))
        .route("/billing/claims.csv", get(day::claims_csv))
        .route("/billing/claims/mark", post(day::mark_claims))
        .route("/patients/{id}/scheme", post(admin::set_patient_scheme))
        .route("/admin/fees", get(admin::fees).post(admin::add_fee))
        .route("/admin/fees/{id}", post(admin::update_fee))
        .route("/admin/fees/prices/{kind}/{id}", post(admin::set_item_prices))
        .route("/admin/schemes", get(admin::schemes).post(admin::add_scheme))
        .route("/me/invoices", get(portal::invoices))
        .route("/me/invoices/{id}", get(portal::invoice))
        .route("/me/receipts/{id}", get(portal::receipt))
}
