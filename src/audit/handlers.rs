use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::model::AuditRow;
use super::repo;
use crate::state::AppState;
use crate::web::AppResult;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::paging::PAGE_SIZE;
use serde::Deserialize;

/// `?before=ID`: the entries older than that one.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    before: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    /// Whether these are the newest entries.
    newest: bool,
    /// The `before` of the next, older page, if there are older entries.
    older: Option<i64>,
}

pub async fn list(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<AuditQuery>,
) -> AppResult<AuditPage> {
    let before = query.before.trim().parse::<i64>().ok().filter(|id| *id > 0);
    let mut rows = repo::list(&state.db, before, PAGE_SIZE + 1).await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    Ok(AuditPage {
        layout,
        older: rows.last().filter(|_| more).map(|row| row.id),
        newest: before.is_none(),
        rows,
    })
}
