//! Scheduling and booking: weekly hours, slots, closures and leave, appointments and the waitlist.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod messages;
pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
