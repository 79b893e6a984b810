//! Messages where the user acted: every part of a page that has its own forms (reception's check-in list,
//! the walk-in forms, ...) has a message region, and the answer to a form lands there, scrolled into view and
//! announced, with or without JavaScript.
//!
//! - Plain request: the form posts to an action with the part's anchor (`/queue/check-ins#check-in`); the
//!   message waits in the session for that region ([`flash_in`]) and the answer redirects to the page, which
//!   the browser opens at the same anchor (a redirect without a fragment keeps the request's, RFC 9110
//!   10.2.2), so it opens where the message is. A re-rendered form (422) shows the message itself
//!   ([`Layout::show_in`]) and opens at that anchor too.
//! - htmx: the region is swapped in out of band (`_messages.html`), beside the main swap or instead of it;
//!   static/forms.js scrolls a region that received a message into view.
//!
//! The markup of a region is the `messages` macro in macros.html: `aria-live="polite"`, the message with
//! `role="alert"` for errors and `role="status"` otherwise.

use askama::Template;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::Session;

use super::error::AppResult;
use super::htmx::{HxRequest, redirect};
use super::layout::{Flash, FlashKind, Layout, leave};

/// A part of a page with its own message region: the region's name (also the part's element id and the
/// anchor its forms post to) and the page it is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub region: &'static str,
    pub page: &'static str,
}

impl Place {
    pub const fn new(region: &'static str, page: &'static str) -> Self {
        Place { region, page }
    }
}

/// A region swapped in out of band.
#[derive(Template)]
#[template(path = "_messages.html")]
struct OutOfBand<'a> {
    region: &'a str,
    flash: Option<&'a Flash>,
}

/// The region of `place` with `message`, to be swapped in out of band by htmx.
pub fn out_of_band(place: Place, kind: FlashKind, message: &str) -> AppResult<String> {
    region_with(place, Flash::new(kind, message))
}

fn region_with(place: Place, flash: Flash) -> AppResult<String> {
    let flash = flash.in_region(place.region);
    Ok(OutOfBand {
        region: place.region,
        flash: Some(&flash),
    }
    .render()?)
}

/// Answers a form with a message in the region of `place`. htmx: `status`, the `main` swap (the acted-on
/// part refreshed; nothing is swapped but the region when `None`) and the region out of band. A plain request:
/// the message in the session and a redirect to the page (opened at the anchor the form posted to).
pub async fn answer(
    session: &Session,
    hx: HxRequest,
    place: Place,
    status: StatusCode,
    message: Flash,
    main: Option<String>,
) -> AppResult<Response> {
    if !hx.0 {
        leave(session, message.in_region(place.region)).await?;
        return Ok(redirect(hx, place.page));
    }
    let region = region_with(place, message)?;
    let mut response = (status, Html(format!("{}{region}", main.as_deref().unwrap_or("")))).into_response();
    if main.is_none() {
        response
            .headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("none"));
    }
    Ok(response)
}

impl Layout {
    /// The message waiting for the region `region`, if any (shown there, not at the top of the page).
    pub fn flash_for(&self, region: &str) -> Option<&Flash> {
        self.region_flash
            .as_ref()
            .filter(|f| f.region.as_deref() == Some(region))
    }

    /// Shows `message` in the region of `place` on the page being rendered (a re-rendered form).
    pub fn show_in(&mut self, place: Place, kind: FlashKind, message: impl Into<String>) {
        self.region_flash = Some(Flash::new(kind, message).in_region(place.region));
    }
}
