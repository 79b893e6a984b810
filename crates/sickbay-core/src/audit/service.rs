//! The trail's reading: one page of entries after a cursor, the rows of its CSV, and a patient's own list of
//! who opened their record. Every one of them reads the log through the one query of `repo::filtered`.

use chrono_tz::Tz;

use super::model::{AuditRow, Filter};
use super::repo;
use crate::db::paging::CursorPage;
use crate::db::{Db, Reader};
use crate::error::ServiceError;
use crate::identity::Role;

/// The most entries a CSV holds (the newest that match); the page says so.
pub const CSV_LIMIT: i64 = 100_000;
/// [`CSV_LIMIT`] as the page writes it.
pub const CSV_LIMIT_TEXT: &str = "100,000";

/// A staff account as the "who" filter offers it.
#[derive(Clone, Debug)]
pub struct StaffChoice {
    pub id: i64,
    pub full_name: String,
    pub username: String,
    pub role: Role,
}

/// Every staff account, by name, for the "who" filter.
pub async fn staff_choices(db: impl Reader) -> Result<Vec<StaffChoice>, ServiceError> {
    Ok(repo::staff_choices(db)
        .await?
        .into_iter()
        .map(|(id, full_name, username, role)| StaffChoice {
            id,
            full_name,
            username,
            role,
        })
        .collect())
}

/// One page of a list of entries, newest first.
pub type Page = CursorPage<AuditRow>;

/// The `size` entries matching `filter` after entry `before` (the newest without it; an entry that isn't
/// there, or isn't one of `filter`'s patient's, starts from the newest too).
pub async fn page(
    mut db: impl Reader,
    filter: &Filter,
    zone: Tz,
    before: Option<i64>,
    size: i64,
) -> Result<Page, ServiceError> {
    let after = match before {
        Some(id) => repo::cursor(&mut db, id, filter.patient).await?,
        None => None,
    };
    let rows = repo::filtered(&mut db, filter, filter.span(zone), after, size + 1).await?;
    Ok(Page::from_rows(rows, size, after.is_none(), |row| row.id))
}

/// The reads of the patient's record by staff, newest first: what the patient sees of the log.
pub async fn reads_of_patient(db: &Db, patient_id: i64, before: Option<i64>, size: i64) -> Result<Page, ServiceError> {
    // Days play no part: the zone is not used.
    page(db, &Filter::reads_of_patient(patient_id), chrono_tz::UTC, before, size).await
}

/// The latest `count` entries of the log, newest first (the admin's home).
pub async fn recent(db: &Db, count: usize) -> Result<Vec<AuditRow>, ServiceError> {
    Ok(repo::list(db, i64::try_from(count).unwrap_or(i64::MAX)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_says_the_csvs_limit() {
        assert_eq!(CSV_LIMIT_TEXT.replace(',', ""), CSV_LIMIT.to_string());
    }
}
