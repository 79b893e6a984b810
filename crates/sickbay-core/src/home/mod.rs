//! The figures each role's home page shows.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod service;
