//! The bell for everyone: the unread count in the header, the list of one's notices, opening one (it is then
//! read and leads to what it is about) and marking all read. A notice is its person's own: someone else's
//! looks the same as one that doesn't exist.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::state::AppState;
use crate::web::extract::CurrentUser;
use crate::web::filters;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::paging::{Cursor, OLDER, Pager};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::db::paging::PAGE_SIZE;
use sickbay_core::notify::{self, Notice};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list))
        .route("/notices/bell", get(bell))
        .route("/notices/read-all", post(read_all))
        .route("/notices/{id}/read", post(read))
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/list.html")]
pub struct NoticesPage {
    layout: Layout,
    notices: Vec<Notice>,
    cursor: Cursor,
}

impl NoticesPage {
    fn pager(&self) -> Pager {
        self.cursor.pager_at("/notices", OLDER)
    }

    fn any_unread(&self) -> bool {
        self.layout.bell.is_some_and(|n| n > 0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    before: String,
}

async fn list(
    user: CurrentUser,
    Page { state, layout, .. }: Page,
    Query(query): Query<ListQuery>,
) -> AppResult<NoticesPage> {
    let before = query.before.trim().parse().ok().filter(|id: &i64| *id > 0);
    let page = notify::page(&state.db, user.recipient(), before, PAGE_SIZE).await?;
    Ok(NoticesPage {
        layout,
        cursor: Cursor::from(&page),
        notices: page.rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/_bell.html")]
pub struct Bell {
    unread: i64,
}

/// The bell alone, for the header to refresh itself.
async fn bell(user: CurrentUser, State(state): State<AppState>) -> AppResult<Bell> {
    Ok(Bell {
        unread: notify::unread_count(&state.db, user.recipient()).await?,
    })
}

/// Opens a notice: read from now on, and on to what it is about.
async fn read(user: CurrentUser, State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Redirect> {
    let notice = notify::mark_read(&state.db, user.recipient(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(if notice.link.starts_with('/') {
        &notice.link
    } else {
        "/notices"
    }))
}

async fn read_all(user: CurrentUser, State(state): State<AppState>) -> AppResult<Response> {
    notify::mark_all_read(&state.db, user.recipient()).await?;
    Ok(Redirect::to("/notices").into_response())
}
