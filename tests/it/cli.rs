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
    // A row of a read left waiting in the side file by a server that stopped: the copy holds it in the log.
    runtime.block_on(async {
        let db = sickbay::db::Db::connect(&url).await.unwrap();
        sickbay::audit::reads::settle(&db).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query(&format!(
            "INSERT INTO {}.audit_waiting (at, actor_kind, actor_label, action, detail) \
             VALUES (1, 'system', 'test', 'chart.view', '')",
            sickbay::db::sqlite::SIDE
        ))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        db.close().await;
    });
    let copy = dir.path().join("copy.db");
    let out = sickbay(&["backup", copy.to_str().unwrap()], &url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Copied"));

    let again = sickbay(&["backup", copy.to_str().unwrap()], &url, None);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));

    runtime.block_on(async {
        let names = |url: String| async move {
            let db = sickbay::db::Db::connect(&url).await.unwrap();
            let rows: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT id, username, password_hash FROM staff ORDER BY id")
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
                .fetch_one(db.pool())
                .await
                .unwrap();
            let reads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event WHERE action = 'chart.view'")
                .fetch_one(db.pool())
                .await
                .unwrap();
            db.close().await;
            (rows, audit, reads)
        };
        let original = names(url.clone()).await;
        let copied = names(format!("sqlite://{}", copy.display())).await;
        assert_eq!(original.0.len(), 3);
        assert_eq!(original.2, 1, "the waiting read is in the log");
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
        let db = sickbay::db::Db::connect(&url).await.unwrap();
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
