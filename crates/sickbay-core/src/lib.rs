//! Sickbay's core: the database layer, who acts (`identity`), validated input, the one service error, the demo
//! clinic, and each feature's rules (`model`: pure functions), SQL (`repo`, for SQLite and PostgreSQL) and
//! operations (`service`: one transaction and its audit row each). Nothing here knows about HTTP or HTML: the
//! crate has no web dependency, so the web crate (`sickbay`) depends on it and never the other way round.

pub mod academic;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod billing;
pub mod clinic;
pub mod consult;
pub mod db;
pub mod demo;
pub mod digests;
pub mod dispensing;
pub mod documents;
pub mod error;
pub mod home;
pub mod identity;
pub mod import;
pub mod jobs;
pub mod lab;
pub mod letters;
pub mod notify;
pub mod outbox;
pub mod patients;
pub mod pharmacy;
pub mod prescriptions;
pub mod procedures;
pub mod queue;
pub mod reports;
pub mod scheduling;
pub mod settings;
pub mod settings_section;
pub mod setup;
pub mod staff;
pub mod tone;
pub mod validation;
pub mod words;
