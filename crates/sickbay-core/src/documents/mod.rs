//! Documents attached to a patient's chart or a visit.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
