//! Fresh databases for the tests, each a copy of one migrated once per run: a SQLite file written from the
//! migrated file's bytes, a PostgreSQL database made with `CREATE DATABASE … TEMPLATE`. On PostgreSQL the
//! migrations took about 0.3 s a database, as long as many tests' own work. `TestApp` still runs the
//! migrations on the copy, which finds them all applied.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use sickbay_core::db::{Backend, Db};
use tokio::sync::OnceCell;

use super::skip;

/// A folder of the test's own, removed when dropped: in memory (/dev/shm) where the machine has it, since
/// nothing in it outlives the test and a disk's syncs (SQLite's commits) only slow it.
pub fn scratch_dir() -> tempfile::TempDir {
    let memory = Path::new("/dev/shm");
    let made = if memory.is_dir() {
        tempfile::tempdir_in(memory)
    } else {
        tempfile::tempdir()
    };
    made.or_else(|_| tempfile::tempdir()).expect("temp dir")
}

/// Writes a migrated SQLite database without any account at `path`.
pub async fn sqlite_file(path: &Path) {
    static MIGRATED: OnceCell<Vec<u8>> = OnceCell::const_new();
    let bytes = MIGRATED.get_or_init(migrated_sqlite_bytes).await;
    std::fs::write(path, bytes).expect("write the test database");
}

async fn migrated_sqlite_bytes() -> Vec<u8> {
    let dir = scratch_dir();
    let (live, copy) = (dir.path().join("migrating.db"), dir.path().join("migrated.db"));
    let db = Db::connect(&format!("sqlite://{}", live.display()))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    // One self-contained file, whatever the write-ahead log still holds.
    sqlx::query(&format!("VACUUM INTO '{}'", copy.display()))
        .execute(db.pool())
        .await
        .expect("copy the migrated database");
    db.close().await;
    std::fs::read(&copy).expect("read the migrated database")
}

/// A database of its own on the server at TEST_POSTGRES_URL, dropped when the test ends.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    /// A migrated database without any account, or `None` (said loudly) when TEST_POSTGRES_URL is not set.
    pub async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            skip(
                "PostgreSQL tests",
                "TEST_POSTGRES_URL is not set; these tests ran on SQLite only",
            );
            return None;
        };
        static TEMPLATE: OnceCell<String> = OnceCell::const_new();
        let template = TEMPLATE.get_or_init(|| postgres_template(&admin_url)).await;
        let name = unique_name();
        run_on_server(&admin_url, &format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .expect("create test database");
        let url = url_of(&admin_url, &name);
        Some(PostgresDatabase { admin_url, name, url })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which can't block on a future: use a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                let _ = run_on_server(&admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            });
        })
        .join();
    }
}

/// The name of the migrated database the tests' databases are copied from, made when the server lacks it. The
/// name carries a digest of the migrations, so a run never copies another schema's template, and a template
/// is made under a name of its own and renamed when complete (no connection is left on it, which a copy needs).
async fn postgres_template(admin_url: &str) -> String {
    let mut digest = DefaultHasher::new();
    for migration in Backend::Postgres.migrations().iter() {
        (migration.version, &migration.checksum[..]).hash(&mut digest);
    }
    let template = format!("sickbay_test_template_{:016x}", digest.finish());
    let exists = format!("SELECT 1 FROM pg_database WHERE datname = '{template}'");
    let found = query_on_server(admin_url, &exists)
        .await
        .expect("look for the template");
    if !found {
        make_template(admin_url, &template).await;
    }
    template
}

async fn make_template(admin_url: &str, template: &str) {
    let draft = unique_name();
    run_on_server(admin_url, &format!("CREATE DATABASE {draft}"))
        .await
        .expect("create the template's draft");
    let db = Db::connect(&url_of(admin_url, &draft)).await.expect("connect");
    db.migrate().await.expect("migrate the template");
    db.close().await;
    // The server may still be ending the migration's sessions, which a rename waits for; and another test
    // run may have published the same template meanwhile, when this draft goes.
    let rename = format!("ALTER DATABASE {draft} RENAME TO {template}");
    let mut last_error = None;
    for _ in 0..50 {
        match run_on_server(admin_url, &rename).await {
            Ok(()) => return,
            Err(err) if is_duplicate_database(&err) => {
                let _ = run_on_server(admin_url, &format!("DROP DATABASE {draft} WITH (FORCE)")).await;
                return;
            }
            Err(err) => {
                last_error = Some(err);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    panic!("could not publish the template database {template}: {last_error:?}");
}

fn is_duplicate_database(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|err| err.code())
        .is_some_and(|code| code == "42P04")
}

fn unique_name() -> String {
    format!("sickbay_test_{}", uuid::Uuid::new_v4().simple())
}

fn url_of(admin_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// Runs one statement (CREATE, ALTER or DROP DATABASE) on a connection of its own, closed after.
async fn run_on_server(admin_url: &str, statement: &str) -> Result<(), sqlx::Error> {
    query_on_server(admin_url, statement).await.map(drop)
}

/// Runs one statement on a connection of its own, closed after; whether it returned a row.
async fn query_on_server(admin_url: &str, statement: &str) -> Result<bool, sqlx::Error> {
    let admin = sqlx::PgPool::connect(admin_url).await?;
    let row = sqlx::query(statement).fetch_optional(&admin).await;
    admin.close().await;
    Ok(row?.is_some())
}
