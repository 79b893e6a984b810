//! Reports' figures: the daily summaries of closed days, each report's figures for a period, and the
//! charts and tables they show (pages and CSVs draw the same `shown`).

pub mod bar_chart;
pub mod model;
pub mod repo;
pub mod service;
pub mod shown;

pub use service::summarize_closed_days;
