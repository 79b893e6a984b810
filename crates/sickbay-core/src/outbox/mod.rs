//! Messages to people outside the building: every email and SMS is written to the outbox in the same
//! transaction as the event it tells about, and a job sends it (see `service::deliver_due`).

pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
pub mod sms;
pub mod smtp;
