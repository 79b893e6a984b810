//! Patients: registration, search, profiles, portal access and clinic numbers.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod activity;
pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
