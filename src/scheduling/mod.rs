//! Scheduling and booking: doctors' weekly hours, generated slots, closures and blocks, booking by patients
//! and reception, cancellation and rescheduling, no-shows, the waitlist, and doctors' schedules.

pub mod model;
pub mod repo;
pub mod service;
