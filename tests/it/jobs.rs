//! The background job runner: a run is claimed in the database, so several instances run each job once per interval.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sickbay::db::Timestamp;
use sickbay::db::jobs::{self, Job};
use tokio_util::sync::CancellationToken;

use crate::support::{TestApp, on_both_databases};

on_both_databases!(
    one_of_many_racing_claims_wins_each_interval,
    two_instances_run_a_job_once_per_interval,
    a_failing_job_is_recorded_and_tried_again_next_interval,
);

async fn one_of_many_racing_claims_wins_each_interval(app: TestApp) {
    let now = Timestamp::now();
    let claims = (0..10).map(|_| {
        let db = app.db().clone();
        tokio::spawn(async move { jobs::claim(&db, "race", 60_000, now).await.expect("claim") })
    });
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.expect("join"));
    }
    assert_eq!(won, 1);
    // Within the interval nobody wins again; once it has passed, one does.
    assert!(
        !jobs::claim(app.db(), "race", 60_000, Timestamp(now.0 + 59_999))
            .await
            .unwrap()
    );
    assert!(
        jobs::claim(app.db(), "race", 60_000, Timestamp(now.0 + 60_000))
            .await
            .unwrap()
    );
}

/// Two runners on one database (two app instances) with an hourly job: it runs once, not once per instance.
async fn two_instances_run_a_job_once_per_interval(app: TestApp) {
    let runs = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    for _ in 0..2 {
        let runs = runs.clone();
        let job = Job::new("hourly_count", Duration::from_secs(3600), move || {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        jobs::spawn(app.db().clone(), vec![job], shutdown.clone());
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    shutdown.cancel();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job WHERE name = 'hourly_count' AND last_run_at IS NOT NULL")
            .await,
        1
    );
}

async fn a_failing_job_is_recorded_and_tried_again_next_interval(app: TestApp) {
    let job = Job::new("failing", Duration::from_millis(1), || async {
        anyhow::bail!("the mail server said no")
    });
    assert!(jobs::run_if_due(app.db(), &job).await.unwrap());
    let error: String = sqlx::query_scalar("SELECT last_error FROM job WHERE name = 'failing'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(error, "the mail server said no");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fixed = Job::new("failing", Duration::from_millis(1), || async { Ok(()) });
    assert!(
        jobs::run_if_due(app.db(), &fixed).await.unwrap(),
        "due again after its interval"
    );
    let error: String = sqlx::query_scalar("SELECT last_error FROM job WHERE name = 'failing'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(error, "", "a success clears it");
}
