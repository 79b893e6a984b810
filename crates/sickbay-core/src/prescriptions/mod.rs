//! Prescriptions: items written in a visit, doses, and the prescription's state.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
