//! The audit log: who did what to which record, when and from where. Every write that matters calls
//! [`record`] inside its own transaction, so the change and its audit row commit or fail together. A read of a
//! patient's records (a chart, a visit, a document) is recorded through [`Reads`] before it is shown. The log is
//! append-only: no route changes or deletes an entry, and the database refuses to (migration 0012).

pub mod model;
pub mod reads;
pub mod repo;
pub mod service;
pub mod settings;

pub use model::AuditEntry;
pub use reads::Reads;
pub use repo::record;
