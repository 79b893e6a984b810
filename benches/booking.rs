//! Booking benchmark: 16 concurrent clients (each a logged-in student) book seats over HTTP against the real
//! app, on SQLite and (when TEST_POSTGRES_URL is set) on PostgreSQL. Prints throughput and latency
//! percentiles, then checks that no slot holds more bookings than seats. Asserts nothing about time.
//!
//! Run: `cargo bench --bench booking` (add TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres).

use std::time::{Duration, Instant};

use sickbay::audit::Actor;
use sickbay::config::Config;
use sickbay::db::{Date, Db, Timestamp};
use sickbay::patients::model::{MatricNumber, PatientDetails, PatientKind};
use sickbay::patients::repo::PortalAccess;
use sickbay::staff::model::{NewStaff, Role};
use sickbay::state::AppState;

const CLIENTS: usize = 16;
const BOOKINGS_PER_CLIENT: usize = 25;
const SLOTS: usize = 60;
const CAPACITY: i64 = 5;
const PASSWORD: &str = "benchmark passphrase";

fn student(i: usize) -> anyhow::Result<PatientDetails> {
    let pattern = sickbay::settings::Settings::default().matric_regex();
    Ok(PatientDetails {
        kind: PatientKind::Student,
        matric_number: Some(MatricNumber::parse(&format!("BN/26/{i:04}"), &pattern)?),
        first_name: format!("Bench{i}"),
        surname: "Student".into(),
        other_names: String::new(),
        sex: None,
        date_of_birth: None,
        phone: None,
        email: None,
        address: String::new(),
        emergency_name: String::new(),
        emergency_phone: String::new(),
        emergency_relationship: String::new(),
        blood_group: None,
        genotype: None,
        allergies: String::new(),
        chronic_conditions: String::new(),
        faculty_id: None,
        department_id: None,
        level_id: None,
        session_id: None,
    })
}

async fn seed(db: &Db) -> anyhow::Result<Vec<i64>> {
    let actor = Actor::system("benchmark");
    let new =
        NewStaff::validate("dr.bench", "Dr Bench", "", Role::Doctor.as_str()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let doctor = sickbay::staff::service::create(db, &actor, &new, PASSWORD, false).await?;
    let hash = sickbay::auth::password::hash(PASSWORD).await?;
    for i in 0..CLIENTS * BOOKINGS_PER_CLIENT {
        let portal = PortalAccess {
            password_hash: Some(&hash),
            must_change_password: false,
            approved: true,
        };
        sickbay::patients::service::register(db, &actor, &student(i)?, portal, 2026).await?;
    }
    let mut slots = Vec::new();
    let start = Timestamp::now().0 + 2 * 86_400_000;
    for i in 0..SLOTS as i64 {
        let starts = Timestamp(start + i * 20 * 60_000);
        let day = Date(starts.to_utc().date_naive());
        slots.push(
            sqlx::query_scalar(
                "INSERT INTO slot (doctor_id, day, starts_at, ends_at, capacity, booked, blocked, created_at)
                 VALUES ($1, $2, $3, $4, $5, 0, 0, $3) RETURNING id",
            )
            .bind(doctor)
            .bind(day)
            .bind(starts)
            .bind(Timestamp(starts.0 + 20 * 60_000))
            .bind(CAPACITY)
            .fetch_one(db.pool())
            .await?,
        );
    }
    Ok(slots)
}

async fn login(addr: std::net::SocketAddr, matric: &str) -> anyhow::Result<(reqwest::Client, String)> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token_of = |html: &str| {
        html.split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_owned()
    };
    let page = client.get(format!("http://{addr}/login")).send().await?.text().await?;
    let token = token_of(&page);
    client
        .post(format!("http://{addr}/login"))
        .form(&[("identifier", matric), ("password", PASSWORD), ("csrf_token", &token)])
        .send()
        .await?;
    let page = client
        .get(format!("http://{addr}/me/book"))
        .send()
        .await?
        .text()
        .await?;
    Ok((client, token_of(&page)))
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

async fn bench(url: &str, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect(url).await?;
    db.migrate().await?;
    // Students may book many slots a day here: the benchmark measures the booking path, not the limits.
    let mut tx = db.begin_write().await?;
    for (key, value) in [("booking_one_per_day", "0"), ("booking_max_future", "50")] {
        sickbay::settings::repo::save(&mut tx, key, value).await?;
    }
    tx.commit().await?;
    let slots = seed(&db).await?;
    let state = AppState::new(db.clone(), Config::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    tokio::spawn(sickbay::serve(listener, state));

    // Each client logs in as a different student for each booking, spreading over all slots so many collide.
    let mut sessions = Vec::new();
    for i in 0..CLIENTS * BOOKINGS_PER_CLIENT {
        sessions.push(login(addr, &format!("BN/26/{i:04}")).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, chunk) in sessions.chunks(BOOKINGS_PER_CLIENT).enumerate() {
        let chunk = chunk.to_vec();
        let slots = slots.clone();
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            for (k, (client, token)) in chunk.iter().enumerate() {
                let slot = slots[(c * 7 + k * 3) % slots.len()];
                let t = Instant::now();
                let response = client
                    .post(format!("http://{addr}/me/appointments"))
                    .form(&[
                        ("slot_id", slot.to_string()),
                        ("reason", "benchmark".into()),
                        ("csrf_token", token.clone()),
                    ])
                    .send()
                    .await;
                let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
                results.push((t.elapsed(), status));
            }
            results
        }));
    }
    let mut latencies = Vec::new();
    let (mut booked, mut full, mut other) = (0, 0, 0);
    for task in tasks {
        for (latency, status) in task.await? {
            latencies.push(latency);
            match status {
                303 => booked += 1,
                409 => full += 1,
                _ => other += 1,
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "  {} booking requests from {CLIENTS} clients in {:.2} s: {:.0} requests/s",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency p50={:.2} ms  p99={:.2} ms  max={:.2} ms",
        pct(&latencies, 0.5),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0)
    );
    println!("  answers: {booked} booked, {full} refused as full, {other} other");
    let overbooked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM slot s WHERE s.booked > s.capacity
            OR s.booked <> (SELECT COUNT(*) FROM appointment a WHERE a.slot_id = s.id AND a.status = 'booked')",
    )
    .fetch_one(db.pool())
    .await?;
    let seats: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(booked), 0) AS BIGINT) FROM slot")
        .fetch_one(db.pool())
        .await?;
    println!(
        "  seats taken: {seats} of {}; slots overbooked or miscounted: {overbooked}",
        SLOTS as i64 * CAPACITY
    );
    anyhow::ensure!(overbooked == 0 && seats == booked, "booking counts do not add up");
    shutdown.cancel();
    db.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        bench(&format!("sqlite://{}", dir.path().join("bench.db").display()), "SQLite").await?;
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(admin_url) => {
                let name = format!("sickbay_bench_booking_{}", std::process::id());
                let admin = sqlx::PgPool::connect(&admin_url).await?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
                let mut url = url::Url::parse(&admin_url)?;
                url.set_path(&format!("/{name}"));
                let result = bench(url.as_str(), "PostgreSQL").await;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await?;
                result?;
            }
            Err(_) => println!("\n(PostgreSQL skipped: set TEST_POSTGRES_URL to measure it too)"),
        }
        Ok(())
    })
}
