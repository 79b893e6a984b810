//! The patient's side of the log, on their phone: which roles at the clinic opened their record and when
//! (the staff members' names too, when the clinic chose to show them), newest first. Only reads of their own
//! record by staff; what they did themselves is not listed.

use askama::Template;
use askama_web::WebTemplate;

use crate::web::AppResult;
use crate::web::extract::PortalUser;
use crate::web::filters;
use crate::web::form::Query;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::paging::{Cursor, CursorQuery, Pager};
use sickbay_core::audit::model::{AuditRow, ReadRun, runs_of_reads};
use sickbay_core::audit::service;

/// How many reads a page lists.
const SHOWN: i64 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "audit/portal.html")]
pub struct RecordAccessPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    /// Whether the staff members' names are shown (a setting), not only their roles.
    names: bool,
    cursor: Cursor,
}

impl RecordAccessPage {
    fn pager(&self) -> Pager {
        self.cursor.pager_at("/me/record-access", ("Newest", "Earlier"))
    }

    /// Who opened the record, as the clinic chose to show it.
    fn reader(&self, row: &AuditRow) -> String {
        row.reader_words(self.names)
    }

    /// The reads as lines, a run of like reads one line.
    fn runs(&self) -> Vec<ReadRun<'_>> {
        runs_of_reads(&self.rows, self.names)
    }
}

pub async fn record_access(
    me: PortalUser,
    Page { state, layout, .. }: Page,
    Query(query): Query<CursorQuery>,
) -> AppResult<RecordAccessPage> {
    let page = service::reads_of_patient(&state.db, me.id, query.before(), SHOWN).await?;
    Ok(RecordAccessPage {
        layout,
        cursor: Cursor::from(&page),
        rows: page.rows,
        names: state.settings.get().audit.staff_names_to_patients,
    })
}
