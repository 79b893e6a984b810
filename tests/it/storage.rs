//! The storage types and the write transaction, on both databases.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::ConnectOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use sickbay_core::db::events::Event;
use sickbay_core::db::types::{Date, Flag, Money, Timestamp};
use sickbay_core::db::{Backend, Db};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::Role;

use crate::support::{TestApp, on_both_databases, test_config};

on_both_databases!(
    storage_types_round_trip,
    concurrent_read_then_write_transactions_do_not_fail,
    migrations_are_idempotent,
    a_transaction_dropped_before_its_end_leaves_nothing_and_lets_the_next_one_write,
    a_full_disk_is_told_as_such_and_reads_go_on,
    a_change_is_announced_when_it_commits_and_never_when_it_rolls_back,
    a_page_waits_its_turn_at_a_busy_pool
);

async fn storage_types_round_trip(app: TestApp) {
    let pool = app.db().pool();
    sqlx::query("CREATE TABLE roundtrip (id BIGINT NOT NULL, at BIGINT NOT NULL, day TEXT NOT NULL, amount BIGINT NOT NULL, role TEXT NOT NULL, flag BIGINT NOT NULL, note TEXT)")
        .execute(pool)
        .await
        .unwrap();
    let samples = [
        (
            1_i64,
            Timestamp(1_764_000_000_123),
            Date::parse("2026-02-28").unwrap(),
            Money(125_050),
            Role::Pharmacist,
            Flag(true),
            Some("Ọ̀nà, 診療所 & <tags>"),
        ),
        (
            2,
            Timestamp(i64::MAX),
            Date::parse("1999-12-31").unwrap(),
            Money(-1),
            Role::Admin,
            Flag(false),
            None,
        ),
        (
            3,
            Timestamp(0),
            Date::parse("2000-01-01").unwrap(),
            Money(i64::MIN),
            Role::Lab,
            Flag(true),
            Some(""),
        ),
    ];
    for (id, at, day, amount, role, flag, note) in &samples {
        sqlx::query(
            "INSERT INTO roundtrip (id, at, day, amount, role, flag, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(at)
        .bind(day)
        .bind(amount)
        .bind(role)
        .bind(flag)
        .bind(note)
        .execute(pool)
        .await
        .unwrap();
    }
    type Row = (i64, Timestamp, Date, Money, Role, Flag, Option<String>);
    let rows: Vec<Row> = sqlx::query_as("SELECT id, at, day, amount, role, flag, note FROM roundtrip ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    for (row, sample) in rows.iter().zip(samples.iter()) {
        assert_eq!(row.0, sample.0);
        assert_eq!(row.1, sample.1);
        assert_eq!(row.2, sample.2);
        assert_eq!(row.3, sample.3);
        assert_eq!(row.4, sample.4);
        assert_eq!(row.5, sample.5);
        assert_eq!(row.6.as_deref(), sample.6);
    }
    // Dates sort and filter as text the same way on both backends.
    let days: Vec<Date> = sqlx::query_scalar("SELECT day FROM roundtrip WHERE day >= $1 ORDER BY day")
        .bind(Date::parse("2000-01-01").unwrap())
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(
        days.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["2000-01-01", "2026-02-28"]
    );
    // Sums of money stay integers on Postgres too when cast.
    let total: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM roundtrip WHERE id < 3")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(total, 125_049);
    // A stored value that is not a known enum variant is an error, not a panic.
    sqlx::query("UPDATE roundtrip SET role = 'wizard' WHERE id = 1")
        .execute(pool)
        .await
        .unwrap();
    let bad: Result<Role, _> = sqlx::query_scalar("SELECT role FROM roundtrip WHERE id = 1")
        .fetch_one(pool)
        .await;
    assert!(bad.is_err());
}

async fn concurrent_read_then_write_transactions_do_not_fail(app: TestApp) {
    // 40 transactions that each read a counter then write it back: with BEGIN IMMEDIATE on SQLite (and
    // the row lock taken by the first UPDATE on Postgres) none fails with "database is locked" and
    // none of the increments is lost.
    let pool = app.db().pool();
    sqlx::query("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO counter (id, n) VALUES (1, 0)")
        .execute(pool)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin_write().await?;
            sqlx::query("UPDATE counter SET n = n WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            let n: i64 = sqlx::query_scalar("SELECT n FROM counter WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            tokio::task::yield_now().await;
            sqlx::query("UPDATE counter SET n = $1 WHERE id = 1")
                .bind(n + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("transaction");
    }
    assert_eq!(app.count("SELECT n FROM counter WHERE id = 1").await, 40);
}

/// The planner knows the data is in memory or on an SSD (see `db::POSTGRES_SETTINGS`).
#[tokio::test]
async fn postgres_prices_random_reads_for_memory_not_for_spinning_disks() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let mut conn = app.db().conn().await.unwrap();
    let cost: String = sqlx::query_scalar("SELECT current_setting('random_page_cost')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(cost, "1.1");
}

/// SQLite is built with the options in `.cargo/config.toml`: a page cache per connection (no process-wide lock
/// on every page lookup), no memory statistics (no global lock on every allocation), and query plans that do not
/// depend on the values bound (no statement compiled again when a page binds another id).
#[tokio::test]
async fn sqlite_is_built_with_the_options_of_cargo_config() {
    let app = TestApp::sqlite().await;
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
    assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_STAT4"), "{options:?}");
}

/// Two transactions that take two rows in opposite orders wait on each other; PostgreSQL ends one of them. The app
/// tells that user someone else changed the record first (a 409), not that something broke, and nothing of the
/// ended transaction is written. (SQLite's writers queue one after another, so they can't deadlock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deadlock_is_a_change_made_first_by_someone_else() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let pool = app.db().pool();
    sqlx::query("CREATE TABLE pair (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pair (id, n) VALUES (1, 0), (2, 0)")
        .execute(pool)
        .await
        .unwrap();
    let both_hold_one = Arc::new(tokio::sync::Barrier::new(2));
    let mut tasks = Vec::new();
    for (first, second) in [(1_i64, 2_i64), (2, 1)] {
        let (db, both_hold_one) = (app.db().clone(), both_hold_one.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin_write().await?;
            for (n, id) in [first, second].into_iter().enumerate() {
                if n == 1 {
                    both_hold_one.wait().await;
                }
                sqlx::query("UPDATE pair SET n = n + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }));
    }
    let mut ended = Vec::new();
    for task in tasks {
        if let Err(err) = task.await.unwrap() {
            ended.push(err);
        }
    }
    assert_eq!(ended.len(), 1, "one of the two is ended: {ended:?}");
    let err = ended.remove(0);
    assert!(sickbay_core::db::lost_to_a_concurrent_change(&err), "{err}");
    assert!(matches!(ServiceError::from(err), ServiceError::Stale));
    let survivors = app.count("SELECT COUNT(*) FROM pair WHERE n = 1").await;
    assert_eq!(survivors, 2, "each row holds the survivor's update alone");
}

async fn migrations_are_idempotent(app: TestApp) {
    app.db().migrate().await.expect("second migration run is a no-op");
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
}

/// Tables (with their columns and whether each may be empty) and indexes, as a database holds them after the
/// migrations, leaving out the bookkeeping of sqlx and of the session store.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: std::collections::BTreeSet<(String, String, bool)>,
    indexes: std::collections::BTreeSet<String>,
}

async fn sqlite_schema(app: &TestApp) -> Schema {
    let pool = app.db().pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' \
         AND name <> 'tower_sessions'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut columns = std::collections::BTreeSet::new();
    for table in tables {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        for (column, not_null, pk) in rows {
            columns.insert((table.clone(), column, not_null == 1 || pk > 0));
        }
    }
    let indexes = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name <> 'tower_sessions'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    Schema { columns, indexes }
}

async fn postgres_schema(app: &TestApp) -> Schema {
    let pool = app.db().pool();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let columns = rows
        .into_iter()
        .map(|(table, column, nullable)| (table, column, nullable == "NO"))
        .collect();
    let indexes = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' \
         AND tablename NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    Schema { columns, indexes }
}

/// The two sets of migrations are written by hand side by side; they must build the same tables, columns,
/// nullability and named indexes, or a feature that works on one database breaks on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = TestApp::sqlite().await;
    let Some(postgres) = TestApp::postgres().await else {
        return;
    };
    let (lite, pg) = (sqlite_schema(&sqlite).await, postgres_schema(&postgres).await);
    assert!(lite.columns.len() > 100, "{} columns", lite.columns.len());
    let only_sqlite: Vec<_> = lite.columns.difference(&pg.columns).collect();
    let only_postgres: Vec<_> = pg.columns.difference(&lite.columns).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "columns only on SQLite: {only_sqlite:#?}\ncolumns only on PostgreSQL: {only_postgres:#?}"
    );
    let only_sqlite: Vec<_> = lite.indexes.difference(&pg.indexes).collect();
    let only_postgres: Vec<_> = pg.indexes.difference(&lite.indexes).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "indexes only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_postgres:?}"
    );
}

/// A write transaction whose task stops before commit (a cancelled request, an early return) is rolled back, and
/// the next writer gets its turn at once (on SQLite the one writing connection goes back unlocked).
async fn a_transaction_dropped_before_its_end_leaves_nothing_and_lets_the_next_one_write(app: TestApp) {
    let db = app.db();
    sqlx::query("CREATE TABLE dropped (id BIGINT PRIMARY KEY)")
        .execute(db.pool())
        .await
        .unwrap();
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query("INSERT INTO dropped (id) VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    drop(tx);
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), db.begin_write())
        .await
        .expect("the next writer waited for the dropped one")
        .unwrap();
    next.rollback().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM dropped").await, 0);
}

/// A transaction's announcements reach this instance's streams and, on PostgreSQL, another instance on the same
/// database, once it commits; one rolled back or dropped announces nothing.
async fn a_change_is_announced_when_it_commits_and_never_when_it_rolls_back(app: TestApp) {
    let db = app.db();
    let other = Db::connect(db.url()).await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    other.events().spawn_listener(&other, shutdown.clone());
    let (mut here, mut there) = (db.events().subscribe(), other.events().subscribe());
    let postgres = db.backend() == Backend::Postgres;
    let announce = |event: Event, commit: bool| async move {
        let mut tx = db.begin_write().await.unwrap();
        tx.announce(event);
        match commit {
            true => tx.commit().await.unwrap(),
            false => tx.rollback().await.unwrap(),
        }
    };
    // On PostgreSQL, the other instance listens once it hears a first event.
    if postgres {
        let mut listening = false;
        for _ in 0..40 {
            announce(Event::Resync, true).await;
            if tokio::time::timeout(Duration::from_millis(250), there.recv())
                .await
                .is_ok()
            {
                listening = true;
                break;
            }
        }
        assert!(listening, "the other instance never heard from this one");
        while here.try_recv().is_ok() || there.try_recv().is_ok() {}
    }
    announce(Event::Billing, false).await;
    let mut tx = db.begin_write().await.unwrap();
    tx.announce(Event::Pharmacy);
    drop(tx);
    announce(Event::Lab { visit_id: 7 }, true).await;
    let mut hearing = vec![(&mut here, "here")];
    if postgres {
        hearing.push((&mut there, "there"));
    }
    for (receiver, place) in hearing {
        let heard = tokio::time::timeout(Duration::from_secs(5), receiver.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            heard.event,
            Event::Lab { visit_id: 7 },
            "only the committed change, {place}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        here.try_recv().is_err() && there.try_recv().is_err(),
        "nothing else was announced"
    );
    shutdown.cancel();
    other.close().await;
}

/// While another process holds SQLite's write lock (the command line, a backup, the session store's own
/// connection), a write waits for it without holding the thread it runs on: on this one-thread runtime a read
/// still answers meanwhile, and the write goes through once the lock is let go.
#[tokio::test]
async fn sqlite_waits_for_another_process_lock_without_holding_its_thread() {
    let app = TestApp::sqlite().await;
    let path = sickbay_core::db::sqlite_path(app.db().url())
        .expect("a SQLite file")
        .to_owned();
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let db = app.db().clone();
    let write = tokio::spawn(async move {
        sqlx::query("UPDATE staff SET full_name = full_name")
            .execute(db.pool())
            .await
    });
    // A write that waited inside SQLite would hold this runtime's only thread for SQLite's busy timeout.
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the waiting write held the thread for {:?}",
        started.elapsed()
    );
    let staff: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(staff >= 1);
    assert!(
        !write.is_finished(),
        "the write went through while another process held the lock"
    );
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let written = tokio::time::timeout(std::time::Duration::from_secs(5), write)
        .await
        .expect("the write was still waiting after the lock was let go")
        .unwrap()
        .unwrap();
    assert!(written.rows_affected() >= 1);
}

/// A patient's registration whose row can't fit in one page of the database (SQLite puts the rest on overflow
/// pages, which a full file can't get).
fn a_long_registration(matric: &str) -> Vec<(&'static str, String)> {
    // "ẹ" is three bytes: each field holds 3,000.
    let long = "ẹ".repeat(1000);
    vec![
        ("kind", "student".to_owned()),
        ("matric_number", matric.to_owned()),
        ("first_name", "Adaeze".to_owned()),
        ("surname", "Okonkwo".to_owned()),
        ("other_names", String::new()),
        ("sex", "female".to_owned()),
        ("date_of_birth", "2004-05-06".to_owned()),
        ("phone", "0803 123 4567".to_owned()),
        ("email", String::new()),
        ("address", "Hall 3, Room 12".to_owned()),
        ("emergency_name", "Mrs Okonkwo".to_owned()),
        ("emergency_phone", "08099998888".to_owned()),
        ("emergency_relationship", "Mother".to_owned()),
        ("blood_group", "O+".to_owned()),
        ("genotype", "AS".to_owned()),
        ("allergies", long.clone()),
        ("chronic_conditions", long),
    ]
}

/// Makes the database's disk full for the app's writes. SQLite: the writing connection's file may grow no more
/// (`max_page_count` at its size, after a VACUUM leaves no free page), so a write that needs a page fails with
/// SQLITE_FULL. PostgreSQL: a new patient's row meets the error the server gives when its disk is full
/// (disk_full, 53100), raised by a trigger.
async fn fill_the_disk(app: &TestApp) {
    let pool = app.db().pool();
    match app.db().backend() {
        sickbay_core::db::Backend::Sqlite => {
            sqlx::query("VACUUM").execute(pool).await.unwrap();
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(pool).await.unwrap();
            // A statement that sets something runs on the writing connection (db::writes).
            sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                .execute(pool)
                .await
                .unwrap();
        }
        sickbay_core::db::Backend::Postgres => {
            sqlx::query(
                "CREATE FUNCTION disk_is_full() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; \
                 END $$ LANGUAGE plpgsql",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER disk_is_full BEFORE INSERT ON patient FOR EACH ROW EXECUTE FUNCTION disk_is_full()",
            )
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

async fn free_the_disk(app: &TestApp) {
    let pool = app.db().pool();
    let sql = match app.db().backend() {
        sickbay_core::db::Backend::Sqlite => "PRAGMA max_page_count = 1073741823",
        sickbay_core::db::Backend::Postgres => "DROP TRIGGER disk_is_full ON patient",
    };
    sqlx::query(sql).execute(pool).await.unwrap();
}

/// A write that meets a full disk is told so (507, "tell the administrator"), not "something went wrong";
/// nothing of it is written, pages still read, and once there is room the same form goes through.
async fn a_full_disk_is_told_as_such_and_reads_go_on(app: TestApp) {
    let admin = app.admin().await;
    let patients = app.count("SELECT COUNT(*) FROM patient").await;
    fill_the_disk(&app).await;
    let fields = a_long_registration("CSC/22/0001");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = admin.post("/patients/new", &fields).await;
    refused.assert_status(StatusCode::INSUFFICIENT_STORAGE);
    let message = refused.text("main");
    assert!(
        message.contains("storage is full") && message.contains("Tell the administrator"),
        "{message}"
    );
    assert!(!message.contains("Something went wrong"), "{message}");
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients);
    // Reading goes on.
    admin.get("/patients").await.assert_status(StatusCode::OK);
    admin.get("/admin").await.assert_status(StatusCode::OK);
    assert_eq!(app.client().get("/healthz").await.status, StatusCode::OK);

    free_the_disk(&app).await;
    admin
        .post("/patients/new", &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM patient").await, patients + 1);
}

/// A burst of more requests than the pool has connections waits its turn: a page that finds every connection
/// taken for three seconds (longer than the two a request once waited before it was told the database was
/// unavailable) is served when one frees.
async fn a_page_waits_its_turn_at_a_busy_pool(app: TestApp) {
    let admin = app.admin().await;
    let db = app.db();
    let mut held = Vec::new();
    for _ in 0..db.reading_connections() {
        held.push(db.conn().await.unwrap());
    }
    let page = tokio::spawn(async move { admin.get("/patients").await.status });
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!page.is_finished(), "the page was answered without a connection");
    drop(held);
    assert_eq!(page.await.unwrap(), StatusCode::OK);
}

/// A TCP proxy in front of PostgreSQL that a test can take down as a stopped server goes (every open connection
/// is cut, and new ones are refused: nothing listens on its port) and bring back on the same port.
struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    listening: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    cut: Arc<watch::Sender<u64>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(watch::channel(0_u64).0);
        let listening = Proxy::listen(listener, upstream, Arc::clone(&cut));
        Proxy {
            addr,
            upstream,
            listening: std::sync::Mutex::new(Some(listening)),
            cut,
        }
    }

    fn listen(
        listener: TcpListener,
        upstream: SocketAddr,
        cut: Arc<watch::Sender<u64>>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut cut = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        })
    }

    async fn down(&self) {
        let listening = self.listening.lock().unwrap().take();
        if let Some(listening) = listening {
            listening.abort();
            let _ = listening.await;
        }
        self.cut.send_modify(|n| *n += 1);
    }

    async fn up(&self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        let listening = Proxy::listen(listener, self.upstream, Arc::clone(&self.cut));
        *self.listening.lock().unwrap() = Some(listening);
    }
}

/// While PostgreSQL can't be reached, nothing hangs: `/healthz` answers 503 within its second, a logged-in page
/// says the database is unavailable (503) at once, not after the pool's wait for a connection (a refused
/// connection is tried again until then), an open event stream ends (the browser reconnects); when it is back,
/// the same process serves again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_answer_at_once_while_postgresql_is_down_and_the_same_process_serves_again() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let direct = url::Url::parse(app.db().url()).unwrap();
    let upstream = tokio::net::lookup_host((direct.host_str().unwrap_or("127.0.0.1"), direct.port().unwrap_or(5432)))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(upstream).await;
    let mut through = direct.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.addr.port())).unwrap();
    let db = sickbay_core::db::Db::connect(through.as_str()).await.unwrap();
    let state = sickbay::state::AppState::new(db, test_config()).await.unwrap();
    let served = TestApp::serve(state).await;
    let admin = served.admin().await;
    let anyone = served.client();
    admin.get("/admin").await.assert_status(StatusCode::OK);
    assert_eq!(anyone.get("/healthz").await.status, StatusCode::OK);
    let mut display = reqwest::get(served.url("/display/events")).await.unwrap();
    assert_eq!(display.status(), StatusCode::OK);

    proxy.down().await;
    let started = Instant::now();
    let health = anyone.get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "/healthz took {:?}",
        started.elapsed()
    );
    for path in ["/admin", "/patients"] {
        let started = Instant::now();
        let page = admin.get(path).await;
        page.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
        assert!(
            page.text("main").contains("The database is unavailable") && page.text("main").contains("try again"),
            "{}",
            page.text("main")
        );
        assert!(page.header("retry-after").is_some());
    }
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = display.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the display's event stream stayed open while the database was away"
    );

    proxy.up().await;
    let back = Instant::now();
    while anyone.get("/healthz").await.status != StatusCode::OK {
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "/healthz still failing after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut page = admin.get("/admin").await;
    // A pooled connection cut during the outage may fail once more before it is let go.
    if page.status == StatusCode::SERVICE_UNAVAILABLE {
        page = admin.get("/admin").await;
    }
    page.assert_status(StatusCode::OK);
    let reopened = reqwest::get(served.url("/display/events")).await.unwrap();
    assert_eq!(reopened.status(), StatusCode::OK);
    drop(app);
}

/// SQLite is durable by default: every connection commits with `synchronous = FULL` in WAL mode with foreign
/// keys on; `--sqlite-synchronous normal` lowers it. A page's reading connection refuses a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_to_the_disk_by_default_and_reading_connections_do_not_write() {
    let app = TestApp::sqlite().await;
    let db = app.db();
    let mut conn = db.conn().await.unwrap();
    let (mode, synchronous, keys): (String, i64, i64) =
        sqlx::query_as("SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        (mode.as_str(), synchronous, keys),
        ("wal", 2, 1),
        "WAL, FULL, foreign keys"
    );
    let refused = sqlx::query("UPDATE staff SET full_name = full_name")
        .execute(&mut conn)
        .await;
    assert!(refused.is_err(), "a write on a reading connection");
    drop(conn);
    let mut tx = db.begin_write().await.unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "the writer commits with FULL");
    tx.rollback().await.unwrap();

    let normal = sickbay_core::db::Db::connect_with(
        db.url(),
        sickbay_core::db::Options {
            synchronous: sickbay_core::db::Synchronous::Normal,
        },
    )
    .await
    .unwrap();
    let mut tx = normal.begin_write().await.unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(synchronous, 1, "NORMAL when asked");
    tx.rollback().await.unwrap();
    normal.close().await;
}
