//! Consultations: visits, vitals, notes, diagnoses (with the bundled ICD-10 list), addenda and the chart.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod icd;
pub mod model;
pub mod repo;
pub mod service;
