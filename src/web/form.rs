//! Form input: an extractor whose rejections are clear 400s, and per-field error messages for
//! re-rendering a form beside the user's input.

use std::collections::BTreeMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::AppError;
use crate::db::once::FormKey;

/// `axum::Form`, but a malformed body is an [`AppError::BadRequest`] with a readable message.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(FormRejection::FailedToDeserializeForm(err)) => Err(bad_form(err.body_text())),
            Err(FormRejection::FailedToDeserializeFormBody(err)) => Err(bad_form(err.body_text())),
            Err(err) if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::PayloadTooLarge(
                "The form is larger than Sickbay accepts.".into(),
            )),
            Err(err) => Err(AppError::BadRequest(err.body_text())),
        }
    }
}

fn bad_form(detail: String) -> AppError {
    AppError::BadRequest(format!("The form is incomplete or has a bad value. {detail}"))
}

/// The one-time id a creating form sent back (see `db::once`): `None` when the form had none, a 400 when it
/// is not one Sickbay made.
pub fn form_key(text: &str) -> Result<Option<FormKey>, AppError> {
    FormKey::parse(text).map_err(|err| AppError::BadRequest(err.to_string()))
}

/// A record's id as typed in a form or query: a positive whole number, or nothing.
pub fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// Messages keyed by field name, shown beside the fields of a re-rendered form.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, in the order of the field names.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }

    /// Turns `Err` into a message on `field` and gives back the value when there was one.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_per_field_wins() {
        let mut errors = FieldErrors::default();
        assert!(errors.is_empty());
        errors.add("name", "required");
        errors.add("name", "too long");
        assert_eq!(errors.get("name"), Some("required"));
        assert_eq!(errors.check::<i32, _>("age", Err("not a number")), None);
        assert_eq!(errors.get("age"), Some("not a number"));
        assert_eq!(errors.check::<_, String>("x", Ok(3)), Some(3));
    }
}
