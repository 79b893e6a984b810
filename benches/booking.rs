//! Booking benchmark: 16 concurrent clients (each a logged-in student) book seats over HTTP against the real
//! app, on SQLite and (when TEST_POSTGRES_URL is set) on PostgreSQL. Prints throughput and latency
//! percentiles, then checks that no slot holds more bookings than seats. Asserts nothing about time.
//!
//! Run: `cargo bench --bench booking` (add TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres).

mod common;

use std::time::Instant;

use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::{Date, Db, Timestamp};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::patients::model::{MatricNumber, PatientDetails, PatientKind, PortalAccess};
use sickbay_core::scheduling::model::Hours;
use sickbay_core::staff::model::NewStaff;

const CLIENTS: usize = 16;
const BOOKINGS_PER_CLIENT: usize = 25;
const SLOTS: usize = 60;
const CAPACITY: i64 = 5;
const PASSWORD: &str = "benchmark passphrase";

fn student(i: usize) -> anyhow::Result<PatientDetails> {
    let pattern = sickbay_core::settings::Settings::default().matric_regex();
    Ok(PatientDetails {
        matric_number: Some(MatricNumber::parse(&format!("BN/26/{i:04}"), &pattern)?),
        ..PatientDetails::new(PatientKind::Student, format!("Bench{i}"), "Student".into())
    })
}

async fn seed(db: &Db) -> anyhow::Result<Vec<i64>> {
    let actor = Actor::system("benchmark");
    let new =
        NewStaff::validate("dr.bench", "Dr Bench", "", Role::Doctor.as_str()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let doctor = sickbay_core::staff::service::create(db, &actor, &new, PASSWORD, false).await?;
    let hash = sickbay_core::auth::password::hash(PASSWORD).await?;
    for i in 0..CLIENTS * BOOKINGS_PER_CLIENT {
        let portal = PortalAccess {
            password_hash: Some(&hash),
            must_change_password: false,
            approved: true,
        };
        sickbay_core::patients::service::register(db, &actor, &student(i)?, portal, 2026).await?;
    }
    // Hours on every day, 08:00–18:00 in 20-minute slots of 5 seats, generated the way the app does it.
    let settings = sickbay_core::settings::Settings::from_pairs(sickbay_core::settings::repo::load_all(db).await?);
    for weekday in 1..=7 {
        let hours = Hours {
            id: 0,
            doctor_id: doctor,
            weekday,
            start_minute: 8 * 60,
            end_minute: 18 * 60,
            slot_minutes: 20,
            capacity: CAPACITY,
            valid_from: Date(settings.today()),
            valid_until: None,
            active: true,
        };
        sickbay_core::scheduling::service::add_hours(db, &actor, &hours).await?;
    }
    sickbay_core::scheduling::service::generate_slots(db, settings.slot_horizon(), None).await?;
    let from = Timestamp::now().0 + 86_400_000;
    let slots: Vec<i64> = sqlx::query_scalar("SELECT id FROM slot WHERE starts_at > $1 ORDER BY starts_at LIMIT $2")
        .bind(Timestamp(from))
        .bind(SLOTS as i64)
        .fetch_all(db.pool())
        .await?;
    anyhow::ensure!(slots.len() == SLOTS, "only {} slots were generated", slots.len());
    Ok(slots)
}

async fn bench(url: &str, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect(url).await?;
    db.migrate().await?;
    // Students may book many slots a day here: the benchmark measures the booking path, not the limits.
    let mut tx = db.begin_write().await?;
    for (key, value) in [("booking_one_per_day", "0"), ("booking_max_future", "50")] {
        sickbay_core::settings::repo::save(&mut tx, key, value).await?;
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
        sessions.push(common::log_in(addr, &format!("BN/26/{i:04}"), PASSWORD, "/me/book").await?);
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
    let mut other_statuses = std::collections::BTreeMap::new();
    for task in tasks {
        for (latency, status) in task.await? {
            latencies.push(latency);
            match status {
                303 => booked += 1,
                409 => full += 1,
                status => {
                    other += 1;
                    *other_statuses.entry(status).or_insert(0) += 1;
                }
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
        common::percentile_ms(&latencies, 0.5),
        common::percentile_ms(&latencies, 0.99),
        common::percentile_ms(&latencies, 1.0)
    );
    println!("  answers: {booked} booked, {full} refused as full, {other} other {other_statuses:?}");
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
    common::on_both_databases("booking", |url, backend| async move { bench(&url, backend).await })
}
