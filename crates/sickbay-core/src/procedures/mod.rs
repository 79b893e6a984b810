//! Procedures done in a visit, from the clinic's catalogue.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
