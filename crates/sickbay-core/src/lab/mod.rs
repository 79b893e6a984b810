//! The lab: its test catalogue, orders, results, their release, and health records.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
