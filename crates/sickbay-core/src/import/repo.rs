//! All SQL of imports: the job rows (students are read and changed through `patients::service`).

use crate::db::{Flag, Reader, Timestamp, Tx, inserted_id, row_by_id, run};
use crate::text_enum;

text_enum! {
    pub enum JobStatus {
        Previewed => "previewed",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImportJob {
    pub id: i64,
    pub status: JobStatus,
    pub file_name: String,
    #[sqlx(try_from = "Flag")]
    pub create_missing: bool,
    pub total: i64,
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub error: String,
    pub created_at: Timestamp,
}

impl ImportJob {
    pub fn percent(&self) -> i64 {
        if self.total == 0 {
            100
        } else {
            self.processed * 100 / self.total
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.status, JobStatus::Done | JobStatus::Failed)
    }
}

impl JobStatus {
    /// Whether its rows are being imported now (the page follows its progress).
    pub fn is_running(self) -> bool {
        self == JobStatus::Running
    }

    /// Whether the import was started (a previewed file has no progress to show).
    pub fn has_started(self) -> bool {
        self != JobStatus::Previewed
    }

    /// Whether every row was gone through (its rejects can be downloaded, its students given passwords).
    pub fn is_done(self) -> bool {
        self == JobStatus::Done
    }

    /// The heading of its progress.
    pub fn progress_heading(self) -> &'static str {
        match self {
            JobStatus::Running => "Importing…",
            JobStatus::Done => "Finished",
            JobStatus::Previewed | JobStatus::Failed => "Stopped",
        }
    }
}

const JOB_COLUMNS: &str =
    "id, status, file_name, create_missing, total, processed, created, updated, unchanged, rejected, error, created_at";

pub async fn create_job(
    tx: &mut Tx,
    file_name: &str,
    content: &str,
    total: i64,
    created_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO import_job (status, file_name, content, total, created_by, created_at, progressed_at)
         VALUES ('previewed', $1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(file_name)
    .bind(content)
    .bind(total)
    .bind(created_by)
    .bind(now);
    inserted_id(tx, query).await
}

pub async fn job(db: impl Reader, id: i64) -> Result<Option<ImportJob>, sqlx::Error> {
    row_by_id(db, &format!("SELECT {JOB_COLUMNS} FROM import_job WHERE id = $1"), id).await
}

pub async fn recent_jobs(mut db: impl Reader) -> Result<Vec<ImportJob>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM import_job ORDER BY id DESC LIMIT 10"
    ))
    .fetch_all(db.exec())
    .await
}

pub async fn content(mut db: impl Reader, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT content FROM import_job WHERE id = $1")
        .bind(id)
        .fetch_optional(db.exec())
        .await
}

pub async fn report(db: impl Reader, id: i64) -> Result<Option<(String, String)>, sqlx::Error> {
    row_by_id(db, "SELECT file_name, report FROM import_job WHERE id = $1", id).await
}

/// Moves a previewed job to running; only one caller can, so a double click starts it once.
pub async fn claim(mut db: impl Reader, id: i64, create_missing: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE import_job SET status = 'running', create_missing = $1, progressed_at = $2
         WHERE id = $3 AND status = 'previewed'",
    )
    .bind(Flag(create_missing))
    .bind(Timestamp::now())
    .bind(id)
    .execute(db.exec())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The running counts, written in the transaction of the batch they count.
pub struct Counts {
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

pub async fn save_progress(tx: &mut Tx, id: i64, c: &Counts) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query(
            "UPDATE import_job SET processed = $1, created = $2, updated = $3, unchanged = $4, rejected = $5,
             progressed_at = $6 WHERE id = $7",
        )
        .bind(c.processed)
        .bind(c.created)
        .bind(c.updated)
        .bind(c.unchanged)
        .bind(c.rejected)
        .bind(Timestamp::now())
        .bind(id),
    )
    .await
}

pub async fn finish(
    mut db: impl Reader,
    id: i64,
    status: JobStatus,
    report: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE import_job SET status = $1, report = $2, error = $3, finished_at = $4 WHERE id = $5")
        .bind(status)
        .bind(report)
        .bind(error)
        .bind(Timestamp::now())
        .bind(id)
        .execute(db.exec())
        .await?;
    Ok(())
}

/// Jobs left running by an instance that stopped: no progress for `minutes`.
pub async fn fail_abandoned(mut db: impl Reader, minutes: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE import_job SET status = 'failed', finished_at = $1,
             error = 'The import stopped when Sickbay was restarted. Upload the file again: rows already imported are not duplicated.'
         WHERE status = 'running' AND progressed_at < $2",
    )
    .bind(Timestamp::now())
    .bind(Timestamp::now().minus_minutes(minutes))
    .execute(db.exec())
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_started_import_shows_its_progress_under_its_own_heading() {
        assert!(!JobStatus::Previewed.has_started());
        assert!(JobStatus::Running.is_running() && !JobStatus::Done.is_running());
        let headings = [JobStatus::Running, JobStatus::Done, JobStatus::Failed].map(JobStatus::progress_heading);
        assert_eq!(headings, ["Importing…", "Finished", "Stopped"]);
    }
}
