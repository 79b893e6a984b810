//! The first run: the steps that make a fresh install a working clinic (the clinic's own settings, rooms, staff,
//! doctors' hours, fees, the students' way into the portal), each marked done from what the database holds.
//! Rules in `model`, SQL in `repo`; the admin's home shows them until every step is done.

pub mod model;
pub mod repo;
