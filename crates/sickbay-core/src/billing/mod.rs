//! Billing: the fee schedule, invoices, payments, refunds, credit notes, the cashier's day, schemes and claims.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
