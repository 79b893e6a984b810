//! Integration tests: the real app over HTTP, on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL.
//! One test binary, so the crate is linked once.

mod support;

mod academic;
mod audit;
mod audit_browser;
mod auth;
mod billing;
mod billing_browser;
mod booking;
mod browser;
mod cli;
mod consult;
mod consult_browser;
mod dashboards;
mod dashboards_browser;
mod demo;
mod dispensing;
mod documents;
mod documents_browser;
mod feedback;
mod feedback_browser;
mod hardening_browser;
mod import;
mod jobs;
mod lab;
mod lab_browser;
mod patients;
mod pharmacy;
mod pharmacy_browser;
mod portal_sheet;
mod portal_sheet_browser;
mod prescriptions;
mod prescriptions_browser;
mod procedures;
mod profiles;
mod queue;
mod queue_browser;
mod queue_figures;
mod reports;
mod schedule;
mod security;
mod settings;
mod staff;
mod static_files;
mod storage;
