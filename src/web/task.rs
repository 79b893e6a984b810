//! A small task asked on the way through a page (a reason to block a time or cancel a booking, the patient to
//! book into a time): with JavaScript a link marked `data-dialog` opens it in the page's one task dialog
//! (static/forms.js), fetched through htmx; without, the same address is a page of its own. Either way the
//! task's forms post as usual, and a refusal comes back where the task was asked.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppResult;
use super::htmx::HxRequest;
use super::layout::Layout;

/// The task on a page of its own, for browsers without JavaScript and for a refusal posted the plain way.
#[derive(Template, WebTemplate)]
#[template(path = "task_page.html")]
struct TaskPage<'a> {
    layout: Layout,
    title: &'a str,
    body: &'a str,
}

/// The task as the dialog shows it: its title, focusable so the dialog opens on it, then its body.
#[derive(Template)]
#[template(path = "_task.html")]
struct TaskFragment<'a> {
    title: &'a str,
    body: &'a str,
}

/// The task `body` (rendered HTML) under `title`: the dialog's fragment for htmx, else the whole page.
pub fn task(hx: HxRequest, layout: Layout, title: &str, body: &str) -> AppResult<Response> {
    if hx.0 {
        let fragment = TaskFragment { title, body }.render()?;
        return Ok(Html(fragment).into_response());
    }
    Ok(TaskPage { layout, title, body }.into_response())
}

/// The task's form refused (a 422): through htmx its body alone, which takes the place of the one sent (the
/// title stays as it was), else the whole page again.
pub fn task_refused(hx: HxRequest, layout: Layout, title: &str, body: &str) -> AppResult<Response> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if hx.0 {
        return Ok((status, Html(body.to_owned())).into_response());
    }
    Ok((status, TaskPage { layout, title, body }).into_response())
}
