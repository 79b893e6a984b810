//! Form input: an extractor whose rejections are clear 400s, and per-field error messages for
//! re-rendering a form beside the user's input.

use std::collections::BTreeMap;

use axum::body::{Body, to_bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::csrf::FORM_LIMIT;
use super::error::AppError;
use crate::db::once::FormKey;
use crate::validation;

/// `axum::Form`, but a malformed body is an [`AppError::BadRequest`] with a readable message, and text
/// breaking the rule of [`crate::validation`] (control characters; line breaks outside multi-line fields) is
/// refused here, before any handler sees it.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    #[allow(clippy::disallowed_types)] // the one place that wraps it
    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, FORM_LIMIT).await.map_err(|_| too_large())?;
        check_text(&bytes)?;
        check_text(parts.uri.query().unwrap_or_default().as_bytes())?;
        match axum::Form::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(FormRejection::FailedToDeserializeForm(err)) => Err(bad_form(err.body_text())),
            Err(FormRejection::FailedToDeserializeFormBody(err)) => Err(bad_form(err.body_text())),
            Err(err) if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(err) => Err(AppError::BadRequest(err.body_text())),
        }
    }
}

/// `axum::extract::Query` with the same text rule as [`Form`] (searches and filters are typed text too).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    #[allow(clippy::disallowed_types)] // the one place that wraps it
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        check_text(parts.uri.query().unwrap_or_default().as_bytes())?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(err) => Err(bad_form(err.body_text())),
        }
    }
}

fn check_text(urlencoded: &[u8]) -> Result<(), AppError> {
    validation::check_urlencoded(urlencoded).map_err(AppError::BadRequest)
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge("The form is larger than Sickbay accepts.".into())
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
