//! Figures of the live queue, printed and not asserted (run them on purpose, alone, on a quiet machine):
//! reception's board with 500 waiting tickets (bytes per ticket, bytes a change costs an open board), and
//! requests per second of the board, the doctor's queue and the display with 16 concurrent clients, as a ratio
//! to `/healthz` in the same run.
//!
//! `cargo test --release --test it queue_figures -- --ignored --nocapture` (with `TEST_POSTGRES_URL` for both
//! databases).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sickbay_core::db::Date;
use sickbay_core::identity::Actor;
use sickbay_core::queue::model::Priority;
use sickbay_core::queue::service::{self, WalkInPatient};

use crate::queue::{PATIENTS, called_code, walk_in};
use crate::support::{Clinic, EventStream, TestApp, clinic};

const TICKETS: usize = 500;
const CLIENTS: usize = 16;
const SECONDS: f64 = 4.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints figures; run on purpose"]
async fn queue_figures() {
    println!("\n--- sqlite");
    figures(TestApp::sqlite().await).await;
    match TestApp::postgres().await {
        Some(app) => {
            println!("\n--- postgres");
            figures(app).await;
        }
        None => println!("\n--- postgres SKIPPED (no TEST_POSTGRES_URL)"),
    }
}

async fn figures(app: TestApp) {
    let c = clinic(&app).await;
    seed(&app, &c).await;
    let page = c.reception.get("/queue").await;
    let tickets = page
        .html()
        .select(&scraper::Selector::parse("li.ticket").unwrap())
        .count();
    let rows: usize = page
        .html()
        .select(&scraper::Selector::parse("li.ticket").unwrap())
        .map(|li| li.html().len())
        .sum();
    println!(
        "board: {} bytes, {tickets} tickets, {} bytes per ticket row (whole page {} bytes per ticket)",
        page.body.len(),
        rows / tickets.max(1),
        page.body.len() / tickets.max(1)
    );
    change_costs(&app, &c).await;
    let healthz = rate(&app, &c, "/healthz").await;
    let board = rate(&app, &c, "/queue").await;
    let mine = rate(&app, &c, "/queue/doctor").await;
    let display = rate(&app, &c, "/display").await;
    let plain = rate(&app, &c, "/account/password").await;
    let pages = [
        ("board", board),
        ("doctor's queue", mine),
        ("display", display),
        ("a plain staff page for comparison (/account/password)", plain),
    ];
    for (name, value) in pages {
        println!(
            "{name}: {value:.0} req/s = {:.1} % of /healthz ({healthz:.0} req/s)",
            100.0 * value / healthz
        );
    }
}

/// 500 waiting tickets: most in the general queue, some in each doctor's.
async fn seed(app: &TestApp, c: &Clinic) {
    let names: Vec<String> = (0..TICKETS + 3).map(|i| format!("Patient{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ids = PATIENTS.named(app, &names).await;
    let reception = app.count("SELECT id FROM staff WHERE username = 'frontdesk'").await;
    let day = Date(app.state.settings.get().today());
    for (i, id) in ids.iter().take(TICKETS).enumerate() {
        let doctor = match i % 5 {
            0 => Some(c.doctor_a.0),
            1 => Some(c.doctor_b.0),
            _ => None,
        };
        service::walk_in(
            app.db(),
            &Actor::system("figures"),
            reception,
            WalkInPatient::Existing(*id),
            doctor,
            Priority::Normal,
            day,
        )
        .await
        .expect("walk-in");
    }
}

/// What a typical change costs an open board: the bytes of the events it receives for it.
async fn change_costs(app: &TestApp, c: &Clinic) {
    let mut board = EventStream::open(&c.reception, "/queue/events").await;
    let first = board.next(Duration::from_secs(10)).await.expect("the whole board");
    println!("the board's first push (the whole board): {} bytes", first.data.len());
    called_code(&c.doctor_a.1).await.expect("a call");
    cost(&mut board, "call next").await;
    walk_in(&c.reception, TICKETS, "general", "normal").await;
    cost(&mut board, "a walk-in (a new ticket)").await;
    let called = app.count("SELECT id FROM ticket WHERE status = 'called'").await;
    c.doctor_a.1.post(&format!("/queue/tickets/{called}/start"), &[]).await;
    cost(&mut board, "start").await;
}

async fn cost(board: &mut EventStream, name: &str) {
    let mut bytes = 0;
    while let Some(event) = board.next(Duration::from_millis(400)).await {
        bytes += event.data.len();
    }
    println!("{name}: {bytes} bytes pushed to each open board");
}

/// Requests per second of `path` with 16 concurrent clients, each logged in as reception (as a doctor for the
/// doctor's queue).
async fn rate(app: &TestApp, c: &Clinic, path: &'static str) -> f64 {
    let jar = match path {
        "/queue/doctor" => c.doctor_a.1.jar.clone(),
        _ => c.reception.jar.clone(),
    };
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(SECONDS);
    let url = format!("http://{}{path}", app.addr);
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (done, url, jar) = (done.clone(), url.clone(), jar.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::builder().cookie_provider(jar).build().expect("client");
                while Instant::now() < until {
                    let response = http.get(&url).send().await.expect("GET");
                    assert!(response.status().is_success(), "{url}: {}", response.status());
                    response.bytes().await.expect("body");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    done.load(Ordering::Relaxed) as f64 / SECONDS
}
