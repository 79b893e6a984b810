//! Messages to people outside the building: every email and SMS is written to the outbox in the same
//! transaction as the event it tells about, and a job sends it (see `service::deliver_due`).

pub mod model;
pub mod repo;
pub mod service;
pub mod settings;
pub mod sms;
pub mod smtp;

/// Makes ring the process's TLS provider, for the mail server's and the SMS provider's connections. rustls
/// picks one by itself only when exactly one is built in, and a build with another crate's choice (the browser
/// tests' WebDriver client brings aws-lc-rs) has two. Idempotent; the app calls it as it starts.
pub fn install_tls_provider() {
    // Err means a provider is installed already, which is all this asks.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
