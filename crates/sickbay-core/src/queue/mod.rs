//! The live queue: tickets, check-in, walk-ins, calls, moves, rooms and the day's figures.
//! Rules in `model`, SQL in `repo`, operations in `service`; the pages are in the web crate.

pub mod appointments;
pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
