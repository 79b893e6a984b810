//! Background jobs: a name, an interval and a function, run by one small runner on every instance. Each run is
//! claimed in the database first (`job.next_run_at` moved forward by a conditional update), so when several
//! instances share a database a job runs once per interval, by whichever instance claims it. Jobs must still be
//! idempotent: a claim is taken before the work, and work cut off by a restart is simply done at the next run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Db, Timestamp};

type Work = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>> + Send + Sync>;

/// One background job.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    work: Work,
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, every: Duration, work: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Job {
            name,
            every,
            work: Arc::new(move || Box::pin(work())),
        }
    }

    fn every_millis(&self) -> i64 {
        i64::try_from(self.every.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Claims the run of `name` due at `now`: `true` for the one caller that moved its next run `every_millis` on.
pub async fn claim(db: &Db, name: &str, every_millis: i64, now: Timestamp) -> Result<bool, sqlx::Error> {
    sqlx::query("INSERT INTO job (name, next_run_at) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(db.pool())
        .await?;
    let claimed =
        sqlx::query("UPDATE job SET next_run_at = $1, last_run_at = $2 WHERE name = $3 AND next_run_at <= $2")
            .bind(Timestamp(now.0.saturating_add(every_millis)))
            .bind(now)
            .bind(name)
            .execute(db.pool())
            .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn record_outcome(db: &Db, name: &str, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE job SET last_error = $1 WHERE name = $2")
        .bind(error)
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Claims and runs `job` if it is due; whether it ran here.
pub async fn run_if_due(db: &Db, job: &Job) -> Result<bool, sqlx::Error> {
    if !claim(db, job.name, job.every_millis(), Timestamp::now()).await? {
        return Ok(false);
    }
    let outcome = (job.work)().await;
    if let Err(err) = &outcome {
        tracing::warn!(job = job.name, error = ?err, "background job failed");
    }
    let error = outcome.err().map(|err| format!("{err:#}")).unwrap_or_default();
    record_outcome(db, job.name, &error).await?;
    Ok(true)
}

/// Runs `jobs` until `shutdown`: each is looked at every second and run when its claim succeeds.
pub fn spawn(db: Db, jobs: Vec<Job>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // This instance's own view of when each job is next due, so idle ticks cost no query.
        let mut due = vec![tokio::time::Instant::now(); jobs.len()];
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                now = tick.tick() => {
                    for (job, due) in jobs.iter().zip(due.iter_mut()) {
                        if now < *due {
                            continue;
                        }
                        *due = now + job.every.min(Duration::from_secs(60));
                        if let Err(err) = run_if_due(&db, job).await {
                            tracing::warn!(job = job.name, error = %err, "could not claim a background job");
                        }
                    }
                }
            }
        }
    });
}
