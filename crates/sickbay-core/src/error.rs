//! The one error type of the services (every feature's `service.rs`). Handlers turn it into a web answer
//! through the one conversion in `web::error`; a feature adds an error of its own only where a handler
//! reacts to it differently (wrapping this one for the rest).

use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("No such record.")]
    NotFound,
    /// The user may not act on this record (another doctor's ticket, say).
    #[error("This is not yours to change.")]
    Forbidden,
    /// The record changed after the form was loaded.
    #[error("This record was changed by someone else while you were editing it. Reload it and try again.")]
    Stale,
    /// Someone else changed it first, or it is in use: the message says what to do.
    #[error("{0}")]
    Conflict(String),
    /// A request the clinic's rules refuse, whatever the record's state.
    #[error("{0}")]
    Refused(String),
    /// Messages beside the fields of the form that was sent.
    #[error("the form has errors")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// A message beside one field of the form.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        ServiceError::Invalid(errors)
    }
}

/// A transaction the database gave up to a concurrent one is the user's "someone else changed it first";
/// any other database error is internal.
impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        if crate::db::lost_to_a_concurrent_change(&err) {
            tracing::warn!(error = %err, "a transaction gave way to a concurrent one");
            return ServiceError::Stale;
        }
        ServiceError::Internal(err.into())
    }
}
