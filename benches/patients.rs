//! Patients benchmark: imports 20,000 students from CSV (timed), fills the database to 50,000, then measures
//! patient search latency in the repository and end to end over HTTP, on SQLite and (when TEST_POSTGRES_URL
//! is set) on PostgreSQL. Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench patients` (add TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::Db;
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::import::service::{self as import, ImportOptions};
use sickbay_core::patients::service as patients;
use sickbay_core::staff::model::NewStaff;

const FIRST: [&str; 20] = [
    "Adaeze", "Tunde", "Hauwa", "Emeka", "Ruth", "Musa", "Ngozi", "Bola", "Chidi", "Aisha", "Femi", "Kemi", "Ibrahim",
    "Zainab", "Uche", "Funmi", "Segun", "Amaka", "Yusuf", "Tolu",
];
const SURNAMES: [&str; 25] = [
    "Okafor",
    "Bakare",
    "Abdullahi",
    "Nwosu",
    "Adeyemi",
    "Bello",
    "Eze",
    "Ogunleye",
    "Obi",
    "Mohammed",
    "Okon",
    "Effiong",
    "Lawal",
    "Afolabi",
    "Chukwu",
    "Danjuma",
    "Ibekwe",
    "Olaniyan",
    "Usman",
    "Onyeka",
    "Balogun",
    "Nnamdi",
    "Salami",
    "Okeke",
    "Idowu",
];
const FACULTIES: [(&str, &str); 4] = [
    ("Science", "Physics"),
    ("Science", "Chemistry"),
    ("Engineering", "Civil Engineering"),
    ("Arts", "History"),
];

fn row(i: usize) -> String {
    let first = FIRST[i % FIRST.len()];
    let surname = SURNAMES[(i / FIRST.len()) % SURNAMES.len()];
    let other = FIRST[(i * 7) % FIRST.len()];
    let (faculty, department) = FACULTIES[i % FACULTIES.len()];
    format!(
        "\nU{}/{:07},{first},{surname},{other},{},2004-01-{:02},s{i}@students.example.edu,080{:08},{faculty},{department},{}00L",
        2019 + i % 6,
        i,
        if i.is_multiple_of(2) { "F" } else { "M" },
        1 + i % 28,
        30_000_000 + i,
        1 + i % 5
    )
}

fn csv(range: std::ops::Range<usize>) -> String {
    let mut text = String::from(
        "matric_number,first_name,surname,other_names,sex,date_of_birth,email,phone,faculty,department,level",
    );
    text.reserve(range.len() * 110);
    for i in range {
        text.push_str(&row(i));
    }
    text
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {label:<34} n={:<4} p50={:>7.2} ms  p95={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        common::percentile_ms(&samples, 0.5),
        common::percentile_ms(&samples, 0.95),
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}

/// The queries staff type: two name parts, a partial name, a matric number, a local phone number.
fn queries() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for i in (0..50_000).step_by(997).take(50) {
        let first = FIRST[i % FIRST.len()];
        let surname = SURNAMES[(i / FIRST.len()) % SURNAMES.len()];
        out.push(("two name parts", format!("{} {}", &surname[..4], &first[..3])));
        out.push(("partial name", surname[..3].to_lowercase()));
        out.push(("matric number", format!("U{}/{:07}", 2019 + i % 6, i)));
        out.push(("phone (local form)", format!("080{:08}", 30_000_000 + i)));
    }
    out
}

async fn bench(url: &str, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let options = ImportOptions {
        create_missing: true,
        pattern: sickbay_core::settings::Settings::default().matric_regex(),
        today: chrono::Utc::now().date_naive(),
    };
    let actor = Actor::system("benchmark");
    let started = Instant::now();
    let outcome = import::run(&db, &actor, None, &csv(0..20_000), &options).await?;
    let elapsed = started.elapsed();
    println!(
        "  import of 20,000 rows: {:.2} s ({:.0} rows/s), {} created, {} rejected",
        elapsed.as_secs_f64(),
        20_000.0 / elapsed.as_secs_f64(),
        outcome.counts.created,
        outcome.counts.rejected
    );
    let started = Instant::now();
    import::run(&db, &actor, None, &csv(0..20_000), &options).await?;
    println!(
        "  re-import of the same 20,000 rows (all unchanged): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    import::run(&db, &actor, None, &csv(20_000..50_000), &options).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM patient")
        .fetch_one(db.pool())
        .await?;
    println!("  patients in the database: {count}");

    let queries = queries();
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    for (kind, query) in &queries {
        let started = Instant::now();
        let results = patients::find(&db, query).await?;
        by_kind.entry(kind).or_default().push(started.elapsed());
        assert!(!results.is_empty(), "{query:?} found nobody");
    }
    println!("  search through patients::service::find (50,000 patients):");
    for (kind, samples) in by_kind {
        report(kind, samples);
    }

    // End to end: the htmx request a keystroke sends, through the whole app.
    let new = NewStaff::validate("bench.admin", "Bench Admin", "", Role::Admin.as_str())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    sickbay_core::staff::service::create(&db, &actor, &new, "benchmark password", false).await?;
    let state = AppState::new(db.clone(), Config::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    tokio::spawn(sickbay::serve(listener, state));
    let (client, _) = common::log_in(addr, "bench.admin", "benchmark password", "/patients").await?;
    let mut samples = Vec::new();
    for (_, query) in &queries {
        let started = Instant::now();
        let response = client
            .get(format!("http://{addr}/patients"))
            .query(&[("q", query)])
            .header("hx-request", "true")
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        samples.push(started.elapsed());
        anyhow::ensure!(status.is_success(), "search answered {status}");
    }
    report("GET /patients?q= over HTTP", samples);
    shutdown.cancel();
    db.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    common::on_both_databases("patients", |url, backend| async move { bench(&url, backend).await })
}
