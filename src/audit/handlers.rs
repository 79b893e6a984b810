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
use crate::web::paging::{ListQuery, Paging};

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    paging: Paging,
}

pub async fn list(
    _admin: Staff<Admins>,
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<ListQuery>,
) -> AppResult<AuditPage> {
    let page = query.page();
    let (rows, total) = repo::list(&state.db, page).await?;
    Ok(AuditPage {
        layout,
        rows,
        paging: Paging::new(page, total),
    })
}
