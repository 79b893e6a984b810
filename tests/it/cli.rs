//! The `sickbay` binary: user add, backup, migrate, and their errors.

use std::process::{Command, Output, Stdio};

use crate::support::skip;

pub(crate) fn sickbay(args: &[&str], database_url: &str, stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sickbay"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("run sickbay");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn user_add_prints_a_generated_password_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());

    let ok = sickbay(
        &[
            "user",
            "add",
            "--username",
            "Dr.Bello",
            "--role",
            "doctor",
            "--name",
            "Musa Bello",
        ],
        &url,
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let stdout = text(&ok.stdout);
    assert!(stdout.contains("Created Doctor account \"dr.bello\""), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("printed password");
    assert_eq!(password.len(), 16);

    let duplicate = sickbay(
        &[
            "user",
            "add",
            "--username",
            "dr.bello",
            "--role",
            "lab",
            "--name",
            "Other",
        ],
        &url,
        None,
    );
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(
        text(&duplicate.stderr).contains("already taken"),
        "{}",
        text(&duplicate.stderr)
    );

    let bad_role = sickbay(
        &["user", "add", "--username", "chef", "--role", "chef", "--name", "Chef"],
        &url,
        None,
    );
    assert_eq!(bad_role.status.code(), Some(2));
    let err = text(&bad_role.stderr);
    assert!(
        err.contains("unknown role \"chef\"") && err.contains("admin, doctor, pharmacist, lab, reception"),
        "{err}"
    );

    let bad_name = sickbay(
        &["user", "add", "--username", "a b", "--role", "lab", "--name", ""],
        &url,
        None,
    );
    assert_eq!(bad_name.status.code(), Some(2));
    let err = text(&bad_name.stderr);
    assert!(err.contains("username:") && err.contains("full_name:"), "{err}");

    let missing = sickbay(&["user", "add", "--username", "x"], &url, None);
    assert_eq!(missing.status.code(), Some(2));

    let from_stdin = sickbay(
        &[
            "user",
            "add",
            "--username",
            "pharm",
            "--role",
            "pharmacist",
            "--name",
            "P",
            "--password-stdin",
        ],
        &url,
        Some("a chosen passphrase\n"),
    );
    assert!(from_stdin.status.success(), "{}", text(&from_stdin.stderr));
    assert!(!text(&from_stdin.stdout).contains("password:"));

    let weak = sickbay(
        &[
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "lab",
            "--name",
            "W",
            "--password-stdin",
        ],
        &url,
        Some("short\n"),
    );
    assert_eq!(weak.status.code(), Some(2));
    assert!(text(&weak.stderr).contains("at least 10"));

    let bad_url = sickbay(&["migrate"], "mysql://nope", None);
    assert_eq!(bad_url.status.code(), Some(1));
    assert!(text(&bad_url.stderr).contains("sqlite:// or postgres://"));
}

#[test]
fn backup_copies_a_sqlite_database_that_opens_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    for name in ["one", "two", "three"] {
        let out = sickbay(
            &["user", "add", "--username", name, "--role", "reception", "--name", name],
            &url,
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let copy = dir.path().join("copy.db");
    let out = sickbay(&["backup", copy.to_str().unwrap()], &url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Copied"));

    let again = sickbay(&["backup", copy.to_str().unwrap()], &url, None);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));

    runtime.block_on(async {
        let names = |url: String| async move {
            let db = sickbay_core::db::Db::connect(&url).await.unwrap();
            let rows: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT id, username, password_hash FROM staff ORDER BY id")
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
                .fetch_one(db.pool())
                .await
                .unwrap();
            db.close().await;
            (rows, audit)
        };
        let original = names(url.clone()).await;
        let copied = names(format!("sqlite://{}", copy.display())).await;
        assert_eq!(original.0.len(), 3);
        assert!(original.1 >= 3, "each account's creation is in the log");
        assert_eq!(original, copied);
    });
}

#[test]
fn backup_on_postgres_points_to_pg_dump() {
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        skip(
            "PostgreSQL tests",
            "TEST_POSTGRES_URL is not set; these tests ran on SQLite only",
        );
        return;
    };
    let out = sickbay(&["backup", "/tmp/never-written.db"], &url, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pg_dump"), "{}", text(&out.stderr));
}

#[test]
fn first_start_creates_an_admin_with_a_printed_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_sickbay"))
        .args(["serve", "--bind", &bind])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let healthy = runtime.block_on(async {
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(format!("http://{bind}/healthz")).await {
                return r.status().is_success();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    });
    // SIGTERM: the server shuts down gracefully and exits 0.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let output = child.wait_with_output().unwrap();
    assert!(healthy, "the server answered /healthz");
    assert!(output.status.success(), "graceful exit: {:?}", output.status);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("username: admin"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .expect("password printed");
    assert_eq!(password.len(), 16);

    runtime.block_on(async {
        let db = sickbay_core::db::Db::connect(&url).await.unwrap();
        let flags: (String, i64) =
            sqlx::query_as("SELECT role, must_change_password FROM staff WHERE username = 'admin'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(flags, ("admin".to_owned(), 1));
    });
}

#[test]
fn import_students_prints_counts_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("import.db").display());
    let file = dir.path().join("students.csv");
    std::fs::write(
        &file,
        "matric_number,first_name,surname,faculty,department,level\n\
         CSC/22/0001,Ada,Obi,Science,Computer Science,100L\n\
         CSC/22/0002,Bola,,Science,Computer Science,100L\n\
         CSC/22/0003,Chidi,Eze,Science,Computer Science,100L\n",
    )
    .unwrap();
    let refused = sickbay(&["import", "students", file.to_str().unwrap()], &url, None);
    assert!(refused.status.success(), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stdout).contains("3 rows: 0 created, 0 updated, 0 unchanged, 3 rejected."),
        "{}",
        text(&refused.stdout)
    );

    let out = sickbay(
        &["import", "students", file.to_str().unwrap(), "--create-missing"],
        &url,
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected."),
        "{stdout}"
    );
    let report = std::fs::read_to_string(dir.path().join("students.csv.rejected.csv")).unwrap();
    assert_eq!(
        report,
        "matric_number,first_name,surname,faculty,department,level,reason\n\
         CSC/22/0002,Bola,,Science,Computer Science,100L,Enter the surname.\n"
    );

    let again = sickbay(&["import", "students", file.to_str().unwrap()], &url, None);
    assert!(
        text(&again.stdout).contains("0 created, 0 updated, 2 unchanged, 1 rejected"),
        "{}",
        text(&again.stdout)
    );

    let missing = sickbay(&["import", "students", "/no/such/file.csv"], &url, None);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(&file, "name\nAda\n").unwrap();
    let bad = sickbay(&["import", "students", file.to_str().unwrap()], &url, None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("lacks the columns"), "{}", text(&bad.stderr));
}

#[test]
fn database_url_flag_goes_before_or_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("flag.db").display());
    for args in [
        vec!["--database-url", url.as_str(), "migrate"],
        vec!["migrate", "--database-url", url.as_str()],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sickbay"))
            .args(&args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    assert!(dir.path().join("flag.db").exists());
}

/// The staff accounts of the SQLite database at `url` (opened apart, closed after).
fn usernames(url: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = sickbay_core::db::Db::connect(url).await.unwrap();
        let names = sqlx::query_scalar("SELECT username FROM staff ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
        db.close().await;
        names
    })
}

/// `sickbay serve` on `url` at a free port, without scheduled backups; its child and address.
fn spawn_server(url: &str, log: &std::path::Path) -> (std::process::Child, std::net::SocketAddr) {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_sickbay"))
        // Without jobs: the start-up slot generation deletes an unbooked slot not made from a doctor's hours (as
        // the kill test's is), and did so before the first booking in a CI run under load (a 404).
        .args(["serve", "--bind", &addr.to_string(), "--no-background-jobs"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    (child, addr)
}

/// Waits until the server at `addr` answers `/healthz` with 200.
async fn healthy(addr: std::net::SocketAddr) -> bool {
    for _ in 0..150 {
        if let Ok(r) = reqwest::get(format!("http://{addr}/healthz")).await
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// `restore` refuses a damaged copy, a copy of a newer Sickbay, an existing database without --force and a
/// database a server has open even with it; it restores into a new file, and over an existing one with --force,
/// keeping the one it replaced.
#[test]
fn restore_checks_the_copy_and_keeps_the_database_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let live = format!("sqlite://{}", path("live.db"));
    for name in ["one", "two", "three"] {
        let out = sickbay(
            &["user", "add", "--username", name, "--role", "reception", "--name", name],
            &live,
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let copy = path("copy.db");
    assert!(sickbay(&["backup", &copy], &live, None).status.success());

    // A damaged copy: cut short, or not a database at all.
    let whole = std::fs::read(&copy).unwrap();
    std::fs::write(path("cut.db"), &whole[..whole.len() / 2]).unwrap();
    std::fs::write(path("noise.db"), vec![0x5a_u8; 64 * 1024]).unwrap();
    for damaged in ["cut.db", "noise.db"] {
        let out = sickbay(
            &["restore", &path(damaged)],
            &format!("sqlite://{}", path("new.db")),
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{damaged}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("damaged") || err.contains("can't be opened"),
            "{damaged}: {err}"
        );
        assert!(
            !dir.path().join("new.db").exists(),
            "{damaged}: nothing was put in place"
        );
    }

    // A copy of a newer Sickbay: its schema has a migration this binary lacks.
    std::fs::copy(&copy, path("newer.db")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = sickbay_core::db::Db::connect(&format!("sqlite://{}", path("newer.db")))
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', 1, x'00', 1)",
        )
        .execute(db.pool())
        .await
        .unwrap();
        db.close().await;
    });
    let out = sickbay(
        &["restore", &path("newer.db")],
        &format!("sqlite://{}", path("new.db")),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("newer Sickbay"), "{}", text(&out.stderr));

    // Into a new file.
    let fresh = format!("sqlite://{}", path("new.db"));
    let out = sickbay(&["restore", &copy], &fresh, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(usernames(&fresh), ["one", "two", "three"]);

    // Over the live database: refused without --force, and nothing changes.
    assert!(
        sickbay(
            &["user", "add", "--username", "four", "--role", "lab", "--name", "Four"],
            &live,
            None
        )
        .status
        .success()
    );
    let out = sickbay(&["restore", &copy], &live, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"), "{}", text(&out.stderr));
    assert_eq!(usernames(&live).len(), 4);

    // While a server has it open: refused, even with --force.
    let (mut server, addr) = spawn_server(&live, &dir.path().join("server.log"));
    let up = runtime.block_on(healthy(addr));
    let out = sickbay(&["restore", &copy, "--force"], &live, None);
    let _ = server.kill();
    let _ = server.wait();
    assert!(up, "the server started");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("in use"), "{}", text(&out.stderr));
    assert_eq!(usernames(&live).len(), 4);

    // With --force and no server: the copy is in place, the replaced database kept beside it.
    let out = sickbay(&["restore", &copy, "--force"], &live, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(usernames(&live), ["one", "two", "three"]);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("live.db.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(text(&out.stdout).contains(&kept[0]), "{}", text(&out.stdout));
    assert_eq!(
        usernames(&format!("sqlite://{}", path(&kept[0]))),
        ["one", "two", "three", "four"]
    );
}

/// A backup taken while four writers commit as fast as they can is one moment of the clinic: restored into a
/// new file, it holds every row acknowledged before the copy began, and of each writer's rows a first part
/// with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_write_load_restores_with_every_acknowledged_row() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let app = crate::support::TestApp::sqlite().await;
    let db = app.db().clone();
    sqlx::query("CREATE TABLE load (writer BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (writer, n))")
        .execute(db.pool())
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..4_i64 {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut n = 0_i64;
            while !stop.load(Ordering::SeqCst) {
                let mut tx = db.begin_write().await.unwrap();
                sqlx::query("INSERT INTO load (writer, n) VALUES ($1, $2)")
                    .bind(writer)
                    .bind(n)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                acknowledged.push((n, Instant::now()));
                n += 1;
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let began = Instant::now();
    sickbay_core::db::backup::copy_into(&db, &copy).await.unwrap();
    let ended = Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.push(writer.await.unwrap());
    }
    assert!(
        acknowledged.iter().all(|rows| rows.iter().any(|(_, at)| *at > ended)),
        "every writer went on writing while and after the copy was taken"
    );

    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let copy_text = copy.to_str().unwrap().to_owned();
    let target = restored.clone();
    let out = tokio::task::spawn_blocking(move || sickbay(&["restore", &copy_text], &target, None))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restored = sickbay_core::db::Db::connect(&restored).await.unwrap();
    for (writer, rows) in acknowledged.iter().enumerate() {
        let held: Vec<i64> = sqlx::query_scalar("SELECT n FROM load WHERE writer = $1 ORDER BY n")
            .bind(i64::try_from(writer).unwrap())
            .fetch_all(restored.pool())
            .await
            .unwrap();
        let before = rows.iter().filter(|(_, at)| *at < began).count();
        assert!(
            held.len() >= before,
            "writer {writer}: {} rows of the {before} acknowledged before",
            held.len()
        );
        assert!(held.len() <= rows.len());
        assert!(
            held.iter().enumerate().all(|(i, n)| i64::try_from(i).unwrap() == *n),
            "writer {writer}: a gap"
        );
    }
    restored.close().await;
}

/// A client's form posted with raw reqwest: the status, or `None` when the server went away before answering.
async fn try_post(client: &crate::support::Client, path: &str, fields: &[(&str, &str)]) -> Option<u16> {
    let token = client.csrf_token().await;
    let http = reqwest::Client::builder()
        .cookie_provider(client.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    let response = http.post(client.url(path)).form(&all).send().await.ok()?;
    let status = response.status().as_u16();
    // Acknowledged only once the whole answer has arrived.
    response.bytes().await.ok()?;
    Some(status)
}

async fn try_get(client: &crate::support::Client, path: &str) -> Option<crate::support::Page> {
    let http = reqwest::Client::builder()
        .cookie_provider(client.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(client.url(path)).send().await.ok()?;
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.text().await.ok()?;
    Some(crate::support::Page { status, headers, body })
}

/// The real binary on SQLite, killed with SIGKILL while students book and a cashier takes payments: after a
/// restart every acknowledged booking and payment is there, no slot holds more bookings than it counts, and each
/// invoice's paid figure is the sum of its payments.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_work_loses_no_acknowledged_booking_or_payment() {
    use crate::support::{Client, FormFields, PASSWORD, STUDENT_PASSWORD, Students, doctor, slot_in, visitor};
    use sickbay_core::identity::Role;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    const STUDENTS: Students = Students::new("KL", "Killed");
    let mut app = crate::support::TestApp::sqlite().await;
    let url = app.db().url().to_owned();
    let (doc, _) = doctor(&app, "dr.kill").await;
    let slot = slot_in(&app, doc, 1000, 24 * 60).await;
    let students = STUDENTS.numbered(&app, 24).await;
    let cashier_id = app.create_staff("desk.kill", Role::Reception, false).await;
    assert!(cashier_id > 0);
    // Three issued invoices of 1,000.00 each, made through the cashier's pages.
    let cashier = app.login_as("desk.kill2", Role::Reception).await;
    let mut invoices = Vec::new();
    for name in ["Ayo", "Bisi", "Chike"] {
        let (patient, _) = visitor(&app, name, "Payer").await;
        let form_id = || format!("{:032x}", rand_id());
        let page = cashier
            .post(
                "/billing/invoices",
                &[("patient_id", &patient.to_string()), ("form_id", &form_id())],
            )
            .await;
        let invoice: i64 = page
            .location()
            .and_then(|l| l.strip_prefix("/billing/invoices/"))
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("a draft: {:?} {}", page.status, page.body));
        let lines = format!("/billing/invoices/{invoice}/lines");
        cashier
            .post(
                &lines,
                &[
                    ("item", "other"),
                    ("description", "Medical report"),
                    ("quantity", "1"),
                    ("unit_price", "1000.00"),
                    ("form_id", &form_id()),
                ],
            )
            .await
            .assert_status(reqwest::StatusCode::SEE_OTHER);
        cashier
            .post(&format!("/billing/invoices/{invoice}/issue"), &[])
            .await
            .assert_status(reqwest::StatusCode::SEE_OTHER);
        invoices.push(invoice);
    }
    app.shutdown().await;
    app.db().close().await;

    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("server.log");
    let (mut server, addr) = spawn_server(&url, &log);
    assert!(healthy(addr).await, "the server started");
    let mut clients = Vec::new();
    for i in 0..students.len() {
        let client = Client::new(addr);
        client.login_ok(&STUDENTS.matric(i), STUDENT_PASSWORD).await;
        client.csrf_token().await;
        clients.push(client);
    }
    let desk = Client::new(addr);
    desk.login_ok("desk.kill", PASSWORD).await;
    desk.csrf_token().await;

    // Each acknowledged booking and payment counts here, so the kill waits for work to be done rather than for
    // a fixed time that a loaded machine may not keep.
    let booked_so_far = Arc::new(AtomicUsize::new(0));
    let paid_so_far = Arc::new(AtomicUsize::new(0));
    let mut bookings = Vec::new();
    for (client, patient) in clients.into_iter().zip(students.iter().copied()) {
        let booked_so_far = booked_so_far.clone();
        bookings.push(tokio::spawn(async move {
            // Spread over the moment of the kill.
            tokio::time::sleep(Duration::from_millis(20 * (patient % 24) as u64)).await;
            let status = try_post(
                &client,
                "/me/appointments",
                &[("slot_id", &slot.to_string()), ("reason", "Fever")],
            )
            .await;
            if status == Some(303) {
                booked_so_far.fetch_add(1, Ordering::SeqCst);
            }
            (patient, status)
        }));
    }
    let payments = {
        let paid_so_far = paid_so_far.clone();
        tokio::spawn(async move {
            let mut acknowledged = vec![0_i64; invoices.len()];
            let mut refused = None;
            for round in 0.. {
                let i = round % invoices.len();
                let path = format!("/billing/invoices/{}", invoices[i]);
                let Some(page) = try_get(&desk, &path).await else { break };
                if page.status != reqwest::StatusCode::OK {
                    refused = Some(format!("the invoice's page answered {}", page.status));
                    break;
                }
                let mut form = FormFields::of(&page, "#pay form");
                form.set("method", "cash").set("amount", "1.00").set("tendered", "1.00");
                match try_post(&desk, &format!("{path}/payments"), &form.fields()).await {
                    Some(303) => {
                        acknowledged[i] += 1;
                        paid_so_far.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(status) => {
                        refused = Some(format!("a payment answered {status}"));
                        break;
                    }
                    None => break,
                }
            }
            (invoices, acknowledged, refused)
        })
    };
    let waiting_since = std::time::Instant::now();
    while (booked_so_far.load(Ordering::SeqCst) == 0 || paid_so_far.load(Ordering::SeqCst) == 0)
        && waiting_since.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = server.wait();
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut booked = Vec::new();
    for task in bookings {
        let (patient, status) = task.await.unwrap();
        match status {
            Some(303) => booked.push(patient),
            Some(other) => panic!("a booking answered {other}; the server said:\n{}", server_log()),
            None => {}
        }
    }
    let (invoices, paid, refused) = payments.await.unwrap();
    assert_eq!(refused, None, "the server said:\n{}", server_log());
    assert!(
        !booked.is_empty() && paid.iter().sum::<i64>() > 0,
        "work was acknowledged before the kill (bookings {booked:?}, payments {paid:?}); the server said:\n{}",
        server_log()
    );

    // Started again on the same file: it opens, and every acknowledged write is there.
    let (mut again, addr) = spawn_server(&url, &log);
    let up = healthy(addr).await;
    let db = sickbay_core::db::Db::connect(&url).await.unwrap();
    let count = |sql: String| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(&sql).fetch_one(db.pool()).await.unwrap() }
    };
    for patient in &booked {
        assert_eq!(
            count(format!(
                "SELECT COUNT(*) FROM appointment WHERE patient_id = {patient} AND slot_id = {slot} AND status = 'booked'"
            ))
            .await,
            1,
            "patient {patient}'s acknowledged booking"
        );
    }
    assert_eq!(
        count(format!("SELECT booked FROM slot WHERE id = {slot}")).await,
        count(format!(
            "SELECT COUNT(*) FROM appointment WHERE slot_id = {slot} AND status = 'booked'"
        ))
        .await,
        "the slot counts the bookings it holds"
    );
    for (invoice, acknowledged) in invoices.iter().zip(paid) {
        let payments = count(format!("SELECT COUNT(*) FROM payment WHERE invoice_id = {invoice}")).await;
        assert!(
            payments >= acknowledged,
            "invoice {invoice}: {payments} payments of {acknowledged} acknowledged"
        );
        assert_eq!(
            count(format!("SELECT paid FROM invoice WHERE id = {invoice}")).await,
            count(format!(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment WHERE invoice_id = {invoice}"
            ))
            .await,
            "invoice {invoice}'s paid figure is the sum of its payments"
        );
    }
    db.close().await;
    let _ = Command::new("kill").args(["-TERM", &again.id().to_string()]).status();
    let _ = again.wait();
    assert!(
        up,
        "the server started again after the kill; it said:\n{}",
        server_log()
    );
}

/// A fresh one-time form id.
fn rand_id() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}
