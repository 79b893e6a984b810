//! The figures each role's home page shows, read through the features' services (`service`) and shaped by
//! `model`; the pages are in the web crate.

pub mod model;
pub mod service;
