//! Bulk import of students from CSV: parsing, checking and importing rows, and the import's progress.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod repo;
pub mod service;
