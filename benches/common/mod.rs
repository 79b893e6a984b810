//! What every benchmark shares: run on a fresh SQLite file, then on a fresh PostgreSQL database when
//! TEST_POSTGRES_URL is set (created before and dropped after). `BENCH_SKIP_SQLITE=1` measures PostgreSQL only;
//! `BENCH_KEEP_DB=1` keeps the PostgreSQL database afterwards (to look at its query plans).

use std::future::Future;

/// Runs `bench(url, backend name)` on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL.
pub fn on_both_databases<F, Fut>(name: &str, bench: F) -> anyhow::Result<()>
where
    F: Fn(String, &'static str) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        if std::env::var_os("BENCH_SKIP_SQLITE").is_none() {
            bench(format!("sqlite://{}", dir.path().join("bench.db").display()), "SQLite").await?;
        }
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            println!("\n(PostgreSQL skipped: set TEST_POSTGRES_URL to measure it too)");
            return Ok(());
        };
        let database = format!("sickbay_bench_{name}_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {database}"))
            .execute(&admin)
            .await?;
        let mut url = url::Url::parse(&admin_url)?;
        url.set_path(&format!("/{database}"));
        let result = bench(url.to_string(), "PostgreSQL").await;
        if std::env::var_os("BENCH_KEEP_DB").is_some() {
            println!("(kept the database {database})");
        } else {
            sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .execute(&admin)
                .await?;
        }
        result
    })
}

/// Logs in through the login form and opens `page`; returns the session's client and the CSRF token that page
/// carries (for the forms the benchmark posts).
pub async fn log_in(
    addr: std::net::SocketAddr,
    identifier: &str,
    password: &str,
    page: &str,
) -> anyhow::Result<(reqwest::Client, String)> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client.get(format!("http://{addr}/login")).send().await?.text().await?;
    client
        .post(format!("http://{addr}/login"))
        .form(&[
            ("identifier", identifier),
            ("password", password),
            ("csrf_token", &csrf_token(&login)),
        ])
        .send()
        .await?;
    let html = client.get(format!("http://{addr}{page}")).send().await?.text().await?;
    Ok((client, csrf_token(&html)))
}

/// The csrf token a page carries: in a form, or in the header htmx sends (a page whose forms carry none).
pub fn csrf_token(html: &str) -> String {
    let after = |marker: &str, end: char| {
        html.split(marker)
            .nth(1)
            .and_then(|rest| rest.split(end).next())
            .map(str::to_owned)
    };
    after("name=\"csrf_token\" value=\"", '"')
        .or_else(|| after("X-CSRF-Token&quot;: &quot;", '&'))
        .unwrap_or_default()
}

/// The `p` quantile (0 to 1) of sorted samples, in milliseconds.
pub fn percentile_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}
