//! Logging in: failed attempts and lockouts, self-registration limits, password hashing and rules.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod model;
pub mod password;
pub mod repo;
pub mod service;
