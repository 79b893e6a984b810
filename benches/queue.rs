//! Live queue benchmark: 500 subscribers to the waiting-room display's event stream, a doctor calling
//! the next ticket over HTTP, and the time until every subscriber has received the call (p50, p99, max over
//! all deliveries, and the slowest subscriber of each call), plus the memory the subscribers cost. On SQLite
//! and (when TEST_POSTGRES_URL is set) on PostgreSQL. Asserts nothing about time.
//!
//! Run: `cargo bench --bench queue` (add TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres).

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sickbay::config::Config;
use sickbay::state::AppState;
use sickbay_core::db::{Date, Db};
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::patients::model::{PatientDetails, PatientKind, PortalAccess};
use sickbay_core::queue::model::Priority;
use sickbay_core::queue::service::{self as queue, RoomForm, WalkInPatient};
use sickbay_core::staff::model::NewStaff;
use tokio::sync::mpsc;

const SUBSCRIBERS: usize = 500;
const CALLS: usize = 20;
const PASSWORD: &str = "benchmark passphrase";

/// A doctor in room A with `CALLS` walk-ins waiting.
async fn seed(db: &Db) -> anyhow::Result<()> {
    let actor = Actor::system("benchmark");
    let new =
        NewStaff::validate("dr.queue", "Dr Queue", "", Role::Doctor.as_str()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let doctor = sickbay_core::staff::service::create(db, &actor, &new, PASSWORD, false).await?;
    let form = RoomForm {
        name: "Room 1".into(),
        code: "A".into(),
        active: None,
        form_id: String::new(),
    };
    let room = queue::save_room(db, &actor, None, &form)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = sickbay_core::settings::Settings::from_pairs(sickbay_core::settings::repo::load_all(db).await?);
    let today = Date(settings.today());
    queue::assign_room(db, &actor, today, doctor, room).await?;
    for i in 0..CALLS {
        let details = PatientDetails::new(PatientKind::Visitor, format!("Waiting{i}"), "Patient".into());
        let portal = PortalAccess {
            password_hash: None,
            must_change_password: false,
            approved: true,
        };
        let (patient, _) = sickbay_core::patients::service::register(db, &actor, &details, portal, 2026).await?;
        queue::walk_in(
            db,
            &actor,
            doctor,
            WalkInPatient::Existing(patient),
            Some(doctor),
            Priority::Normal,
            today,
        )
        .await?;
    }
    Ok(())
}

/// One display: reads its event stream and reports each announced call (by its `data-call` key) as it arrives.
async fn subscribe(addr: SocketAddr, ready: mpsc::Sender<()>, calls: mpsc::UnboundedSender<(String, Instant)>) {
    let Ok(mut response) = reqwest::get(format!("http://{addr}/display/events")).await else {
        return;
    };
    let mut buffer = String::new();
    let mut opened = false;
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if !opened && block.contains("event: tiles") {
                opened = true;
                let _ = ready.send(()).await;
            }
            if block.contains("event: call")
                && let Some(key) = block
                    .split("data-call=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
            {
                let _ = calls.send((key.to_owned(), Instant::now()));
            }
        }
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

async fn bench(url: &str, backend: &str) -> anyhow::Result<()> {
    println!("\n== {backend}");
    let db = Db::connect(url).await?;
    db.migrate().await?;
    seed(&db).await?;
    let state = AppState::new(db.clone(), Config::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    tokio::spawn(sickbay::serve(listener, state));
    let (doctor, token) = common::log_in(addr, "dr.queue", PASSWORD, "/queue/doctor").await?;

    let before = rss_kib();
    let (ready_tx, mut ready_rx) = mpsc::channel(SUBSCRIBERS);
    let (calls_tx, mut calls_rx) = mpsc::unbounded_channel();
    let connecting = Instant::now();
    for _ in 0..SUBSCRIBERS {
        tokio::spawn(subscribe(addr, ready_tx.clone(), calls_tx.clone()));
    }
    for _ in 0..SUBSCRIBERS {
        tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("a subscriber failed to connect"))?;
    }
    let connected = connecting.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();
    println!(
        "  {SUBSCRIBERS} subscribers connected in {:.0} ms, each with the full state; resident memory +{:.1} MiB \
         ({:.1} KiB per subscriber, server and client side together)",
        connected.as_secs_f64() * 1e3,
        after.saturating_sub(before) as f64 / 1024.0,
        after.saturating_sub(before) as f64 / SUBSCRIBERS as f64
    );

    let mut deliveries = Vec::new();
    let mut slowest = Vec::new();
    let mut call_latencies = Vec::new();
    for _ in 0..CALLS {
        let sent = Instant::now();
        let response = doctor
            .post(format!("http://{addr}/queue/call-next"))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await?;
        call_latencies.push(sent.elapsed());
        anyhow::ensure!(
            response.status().as_u16() == 303,
            "call next answered {}",
            response.status()
        );
        let mut received: HashMap<String, usize> = HashMap::new();
        let mut last = Duration::ZERO;
        while received.values().sum::<usize>() < SUBSCRIBERS {
            let (key, at) = tokio::time::timeout(Duration::from_secs(30), calls_rx.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("subscribers stopped"))?;
            *received.entry(key).or_default() += 1;
            let delay = at.duration_since(sent);
            deliveries.push(delay);
            last = last.max(delay);
        }
        anyhow::ensure!(received.len() == 1, "one call was announced as several: {received:?}");
        slowest.push(last);
    }
    deliveries.sort();
    slowest.sort();
    call_latencies.sort();
    println!(
        "  {CALLS} calls; \"call next\" request p50={:.2} ms p99={:.2} ms",
        common::percentile_ms(&call_latencies, 0.5),
        common::percentile_ms(&call_latencies, 0.99)
    );
    println!(
        "  from pressing \"call next\" to a subscriber receiving it ({} deliveries): p50={:.2} ms  p99={:.2} ms  max={:.2} ms",
        deliveries.len(),
        common::percentile_ms(&deliveries, 0.5),
        common::percentile_ms(&deliveries, 0.99),
        common::percentile_ms(&deliveries, 1.0)
    );
    println!(
        "  until all {SUBSCRIBERS} had it, per call: p50={:.2} ms  max={:.2} ms",
        common::percentile_ms(&slowest, 0.5),
        common::percentile_ms(&slowest, 1.0)
    );
    shutdown.cancel();
    db.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    common::on_both_databases("queue", |url, backend| async move { bench(&url, backend).await })
}
