//! Integration tests: the real app over HTTP, on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL.
//! One test binary, so the crate is linked once.

mod support;

mod academic;
mod auth;
mod booking;
mod browser;
mod cli;
mod demo;
mod feedback;
mod feedback_browser;
mod hardening_browser;
mod import;
mod jobs;
mod patients;
mod portal_sheet;
mod portal_sheet_browser;
mod queue;
mod queue_browser;
mod queue_figures;
mod schedule;
mod security;
mod settings;
mod staff;
mod static_files;
mod storage;
