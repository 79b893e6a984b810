//! Letters a doctor writes at a visit for the patient to take away: a sick note with its days of rest, a
//! fitness certificate, a referral letter. Written in the open visit by its doctor (one transaction with its
//! audit row), read by the clinicians who read the visit and by the patient, printed from either side.

pub mod model;
pub mod repo;
pub mod service;
