//! What every benchmark shares: run on a fresh SQLite file, then on a fresh PostgreSQL database when
//! TEST_POSTGRES_URL is set (created before and dropped after).

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
        bench(format!("sqlite://{}", dir.path().join("bench.db").display()), "SQLite").await?;
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
        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        result
    })
}
