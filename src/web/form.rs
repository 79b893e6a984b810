//! Form input: extractors whose rejections are clear 400s and that apply the text rule of
//! [`sickbay_core::validation`] to every field.

use axum::body::{Body, to_bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::csrf::FORM_LIMIT;
use super::error::AppError;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::validation;

/// `axum::Form`, but a malformed body is an [`AppError::BadRequest`] with a readable message, and text
/// breaking the rule of [`sickbay_core::validation`] (control characters; line breaks outside multi-line fields) is
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

/// The answer to a form that failed validation: the same page again, with the user's input and the messages
/// beside its fields, as 422 (which htmx is configured to swap).
pub fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The value of the field `name` of a form read as its list of fields (a form whose field names are made from
/// ids, such as `count_12`); none when it was not sent.
pub fn field_value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The one-time id a creating form sent back (see `db::form_ids`): `None` when the form had none, a 400 when it
/// is not one Sickbay made.
pub fn form_key(text: &str) -> Result<Option<FormKey>, AppError> {
    FormKey::parse(text).map_err(|err| AppError::BadRequest(err.to_string()))
}

/// The record's `updated_at` an edit form was shown with (its hidden `version`), so a change made meanwhile is
/// refused rather than overwritten; a 400 when the form lost it.
pub fn seen_version(text: &str) -> Result<sickbay_core::db::Timestamp, AppError> {
    text.trim()
        .parse::<i64>()
        .map(sickbay_core::db::Timestamp)
        .map_err(|_| AppError::BadRequest("The form is missing its version; reload the page and try again.".into()))
}

/// The id of a form field (the `field` macro of `templates/macros.html`): its name, or `prefix-name` where
/// several forms on one page have a field of that name.
pub fn field_id(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}-{name}")
    }
}

/// The key of a field's message: its name, or `key` where several fields of one page share a rule (the result
/// of each order on a visit's results sheet, `value_12`, has the message of `value`).
pub fn error_key<'a>(name: &'a str, key: &'a str) -> &'a str {
    if key.is_empty() { name } else { key }
}

/// The `aria-describedby` of a field: its help, then its error message, each only when shown.
pub fn described_by(id: &str, has_help: bool, has_error: bool) -> String {
    let help = has_help.then(|| format!("{id}-help"));
    let error = has_error.then(|| format!("{id}-error"));
    help.into_iter().chain(error).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ids_and_their_descriptions() {
        assert_eq!(field_id("", "name"), "name");
        assert_eq!(field_id("faculty", "name"), "faculty-name");
        assert_eq!(described_by("code", false, false), "");
        assert_eq!(described_by("code", true, false), "code-help");
        assert_eq!(described_by("code", false, true), "code-error");
        assert_eq!(described_by("code", true, true), "code-help code-error");
    }

    /// Every textarea in the templates is a multi-line field in `validation`, or a line break typed in it would be
    /// refused.
    #[test]
    fn every_textarea_is_a_multi_line_field() {
        let pattern =
            regex::Regex::new(r#"<textarea[^>]*\bname="([a-z_]+)"|m::field\(name = "([a-z_]+)"[^%]*kind = "textarea""#)
                .expect("regex");
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        let mut seen = 0;
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(
                    std::fs::read_dir(&path)
                        .expect("templates")
                        .map(|e| e.expect("entry").path()),
                );
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("template");
            for found in pattern.captures_iter(&text) {
                let name = found.get(1).or(found.get(2)).expect("a name").as_str();
                assert!(
                    sickbay_core::validation::is_multi_line(name),
                    "{name} in {} is a textarea",
                    path.display()
                );
                seen += 1;
            }
        }
        assert!(seen >= 4, "found only {seen} textareas");
    }
}
