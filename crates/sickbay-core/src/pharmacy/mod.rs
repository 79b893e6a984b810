//! The pharmacy: the catalogue, batches and their ledger, counts, write-offs, alerts and dispensing.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
