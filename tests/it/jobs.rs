//! The background job runner: a run is claimed in the database, so several instances run each job once per interval.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sickbay_core::db::Timestamp;
use sickbay_core::db::jobs::{self, Job};
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

/// SQLite's scheduled backups: the job, claimed as every job is, writes a copy that opens with the clinic's
/// rows; the folder keeps the newest `keep`; the admin's home shows the last one's time and size, and a warning
/// when there is none or it is more than a day old.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scheduled_backups_keep_the_newest_copies_and_the_admin_sees_the_last() {
    use sickbay_core::db::backup::{self, Plan};

    let folder = tempfile::tempdir().expect("dir");
    let plan = Plan {
        folder: folder.path().join("backups"),
        every: Duration::from_secs(3600),
        keep: 2,
    };
    let app = TestApp::sqlite_with(sickbay::config::Config {
        backups: Some(plan.clone()),
        ..crate::support::test_config()
    })
    .await;
    let admin = app.admin().await;
    let home = admin.get("/admin").await;
    assert!(home.has("#last-backup[role=alert]"), "{}", home.text("main"));
    assert!(home.text("#last-backup").contains("No backup has been taken yet"));

    let job = backup::job(app.db().clone(), plan.clone());
    assert!(jobs::run_if_due(app.db(), &job).await.expect("claim"));
    assert!(
        !jobs::run_if_due(app.db(), &job).await.expect("claim"),
        "once per interval"
    );
    assert_eq!(backup::list(&plan.folder).expect("list").len(), 1);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        backup::take_scheduled(app.db(), &plan).await.expect("a copy");
    }
    let copies = backup::list(&plan.folder).expect("list");
    assert_eq!(copies.len(), 2, "{copies:?}");
    let copy = sickbay_core::db::Db::connect(&format!("sqlite://{}", copies[0].path.display()))
        .await
        .expect("the copy opens");
    let staff: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE username = 'admin'")
        .fetch_one(copy.pool())
        .await
        .expect("count");
    assert_eq!(staff, 1);
    copy.close().await;

    let home = admin.get("/admin").await;
    let shown = home.text("#last-backup");
    assert!(shown.starts_with("Last backup"), "{shown}");
    assert!(shown.contains(&copies[0].size_text()), "{shown}");
    assert!(!home.has("#last-backup[role=alert]"), "{shown}");

    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    for copy in &copies {
        let file = std::fs::File::options().write(true).open(&copy.path).expect("open");
        file.set_modified(two_days_ago).expect("set the time");
    }
    let home = admin.get("/admin").await;
    assert!(home.has("#last-backup[role=alert]"));
    assert!(
        home.text("#last-backup").contains("more than a day old"),
        "{}",
        home.text("#last-backup")
    );
}

/// The admin's backups page: a copy taken from it (one at a time, never a 500 for a second click), listed, and
/// downloaded as the file it is; both audited; only a name the folder lists can be downloaded; no other role
/// reaches any of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_admin_takes_and_downloads_a_backup_from_the_page() {
    use sickbay_core::db::backup::{self, Plan};
    use sickbay_core::identity::Role;

    let folder = tempfile::tempdir().expect("dir");
    let plan = Plan {
        folder: folder.path().join("backups"),
        every: Duration::from_secs(3600),
        keep: 3,
    };
    let app = TestApp::sqlite_with(sickbay::config::Config {
        backups: Some(plan.clone()),
        ..crate::support::test_config()
    })
    .await;
    let admin = app.admin().await;
    let page = admin.get("/admin/backups").await;
    page.assert_status(reqwest::StatusCode::OK);
    assert!(page.has("#no-backups[role=alert]"), "{}", page.text("main"));

    // Two clicks at once: each takes a copy or is told to wait; nothing fails.
    let (one, two) = tokio::join!(admin.post("/admin/backups", &[]), admin.post("/admin/backups", &[]));
    for sent in [&one, &two] {
        assert!(
            sent.status == reqwest::StatusCode::SEE_OTHER || sent.status == reqwest::StatusCode::CONFLICT,
            "{} {}",
            sent.status,
            sent.body
        );
    }
    let copies = backup::list(&plan.folder).expect("list");
    assert!((1..=2).contains(&copies.len()), "{copies:?}");
    let page = admin.get("/admin/backups").await;
    assert!(
        page.text("#messages").contains("Backup taken: sickbay-"),
        "{}",
        page.text("#messages")
    );
    let names = page.texts("#backups tbody td code");
    assert_eq!(names, copies.iter().map(|c| c.name()).collect::<Vec<_>>());

    let newest = &copies[0];
    let download = admin.get(&format!("/admin/backups/{}", newest.name())).await;
    download.assert_status(reqwest::StatusCode::OK);
    assert_eq!(
        download.header("content-length"),
        Some(newest.size.to_string().as_str())
    );
    assert_eq!(
        download.header("content-disposition"),
        Some(format!("attachment; filename=\"{}\"", newest.name()).as_str())
    );
    assert!(download.body.starts_with("SQLite format 3"), "a SQLite file");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'backup.download'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'backup.take'")
            .await,
        i64::try_from(copies.len()).expect("small")
    );

    // Only what the folder lists: not another file in it, not a path out of it.
    std::fs::write(plan.folder.join("notes.txt"), "not a copy").expect("write");
    for name in ["notes.txt", "..%2Fsickbay.db", "sickbay-19990101-000000.000Z.db"] {
        admin
            .get(&format!("/admin/backups/{name}"))
            .await
            .assert_status(reqwest::StatusCode::NOT_FOUND);
    }
    let desk = app.login_as("desk.backup", Role::Reception).await;
    desk.get("/admin/backups")
        .await
        .assert_status(reqwest::StatusCode::FORBIDDEN);
    desk.get(&format!("/admin/backups/{}", newest.name()))
        .await
        .assert_status(reqwest::StatusCode::FORBIDDEN);
    desk.post("/admin/backups", &[])
        .await
        .assert_status(reqwest::StatusCode::FORBIDDEN);
    assert_eq!(backup::list(&plan.folder).expect("list").len(), copies.len());
    let home = admin.get("/admin").await;
    assert_eq!(home.attr("#backups-link", "href").as_deref(), Some("/admin/backups"));
}

/// On PostgreSQL the app takes no copies and shows none (the README gives pg_dump and pg_restore).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_has_no_backup_job_and_the_admin_home_claims_none() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    assert!(sickbay_core::db::backup::Plan::for_database(app.db(), None, 24, 14).is_none());
    let admin = app.admin().await;
    let home = admin.get("/admin").await;
    home.assert_status(reqwest::StatusCode::OK);
    assert!(!home.has("#backup-heading"));
    let page = admin.get("/admin/backups").await;
    page.assert_status(reqwest::StatusCode::OK);
    assert!(page.text("#postgres-backups").contains("pg_dump"));
    assert!(!page.has("#take-backup"));
    admin
        .post("/admin/backups", &[])
        .await
        .assert_status(reqwest::StatusCode::NOT_FOUND);
}
