//! Copies of a SQLite database: taken while the clinic works (`VACUUM INTO`, a consistent snapshot), on demand
//! (`sickbay backup FILE`) and on a schedule (the `backup` job, into a folder that keeps the last few), and put
//! back (`sickbay restore FILE`), checked first. PostgreSQL has its own tools (pg_dump, pg_restore; see the
//! README), and nothing here claims to have copied it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection as _};

use super::jobs::Job;
use super::{Backend, Db, Timestamp, sqlite_path};

/// The start of the name of every scheduled copy; the rest is the UTC time it was taken, so names sort by age.
const PREFIX: &str = "sickbay-";
const SUFFIX: &str = ".db";
/// How long a statement of a copy or a restore waits while a writer holds SQLite's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// A copy older than this is shown to the admin as a warning.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// When and where the scheduled copies go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub folder: PathBuf,
    pub every: Duration,
    /// How many copies the folder keeps (the newest).
    pub keep: usize,
}

impl Plan {
    /// The folder, as the pages name it.
    pub fn folder_text(&self) -> String {
        self.folder.display().to_string()
    }

    /// Hours between copies.
    pub fn every_hours(&self) -> u64 {
        self.every.as_secs() / 3600
    }

    /// The plan for `db`: `None` on PostgreSQL, or when `every_hours` is 0. The folder defaults to `backups`
    /// beside the database file.
    pub fn for_database(db: &Db, folder: Option<PathBuf>, every_hours: u32, keep: u32) -> Option<Plan> {
        if db.backend() != Backend::Sqlite || every_hours == 0 {
            return None;
        }
        let folder = folder.unwrap_or_else(|| {
            sqlite_path(db.url())
                .map(Path::new)
                .and_then(Path::parent)
                .unwrap_or(Path::new("."))
                .join("backups")
        });
        Some(Plan {
            folder,
            every: Duration::from_secs(u64::from(every_hours) * 3600),
            keep: usize::try_from(keep.max(1)).unwrap_or(1),
        })
    }
}

/// One copy in the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub path: PathBuf,
    pub taken: DateTime<Utc>,
    /// Bytes.
    pub size: u64,
}

impl Copy {
    /// Whether it is older than [`STALE_AFTER`] at `now`.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        (now - self.taken).to_std().is_ok_and(|age| age > STALE_AFTER)
    }

    /// When it was written.
    pub fn taken_at(&self) -> Timestamp {
        Timestamp(self.taken.timestamp_millis())
    }

    /// Its file name (`sickbay-20261129-181500.123Z.db`): how the admin's page names it.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Its size for people: `850 KB`, `12.4 MB`.
    pub fn size_text(&self) -> String {
        size_text(self.size)
    }
}

fn size_text(bytes: u64) -> String {
    const KB: u64 = 1000;
    const MB: u64 = 1000 * KB;
    const GB: u64 = 1000 * MB;
    let tenths = |unit: u64| (bytes * 10 + unit / 2) / unit;
    match bytes {
        b if b < KB => format!("{b} bytes"),
        b if b < MB => format!("{} KB", (b + KB / 2) / KB),
        b if b < GB => format!("{}.{} MB", tenths(MB) / 10, tenths(MB) % 10),
        _ => format!("{}.{} GB", tenths(GB) / 10, tenths(GB) % 10),
    }
}

/// What the admin is shown of the scheduled copies: the newest, read off the disk.
#[derive(Clone, Debug)]
pub struct Status {
    pub plan: Plan,
    pub latest: Option<Copy>,
    /// No copy, or the newest is older than [`STALE_AFTER`] (or the folder can't be read).
    pub stale: bool,
}

impl Status {
    pub async fn of(plan: &Plan) -> Status {
        let latest = match latest(&plan.folder).await {
            Ok(latest) => latest,
            Err(err) => {
                tracing::warn!(error = %err, folder = %plan.folder.display(), "could not read the backup folder");
                None
            }
        };
        let stale = latest.as_ref().is_none_or(|copy| copy.is_stale(Utc::now()));
        Status {
            plan: plan.clone(),
            latest,
            stale,
        }
    }
}

/// A connection of its own to the SQLite file at `path`, outside the app's pools (which may not write, or are
/// busy serving): what a copy, a check or a restore runs on.
async fn open(path: &Path, create: bool) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .busy_timeout(BUSY_TIMEOUT)
        .connect()
        .await
}

/// Writes a consistent copy of `db` (SQLite) into `target`, which must not exist, while the clinic goes on
/// working: readers and the writer are not held up. The copy is on the disk when this returns. Its size.
pub async fn copy_into(db: &Db, target: &Path) -> anyhow::Result<u64> {
    let source = sqlite_path(db.url()).context("backups copy SQLite databases")?;
    let text = target.to_str().context("the backup path must be valid UTF-8")?;
    let mut conn = open(Path::new(source), false).await?;
    let copied = sqlx::query("VACUUM INTO $1").bind(text).execute(&mut conn).await;
    conn.close().await?;
    copied.with_context(|| format!("copying the database into {}", target.display()))?;
    let target = target.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let file = std::fs::File::open(&target)?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    })
    .await?
    .context("writing the copy to the disk")
}

/// Takes one scheduled copy into the plan's folder (written under a temporary name, then renamed, so a copy cut
/// off half-way is never taken for one), then removes the oldest beyond the plan's count.
pub async fn take_scheduled(db: &Db, plan: &Plan) -> anyhow::Result<Copy> {
    tokio::fs::create_dir_all(&plan.folder)
        .await
        .with_context(|| format!("creating the backup folder {}", plan.folder.display()))?;
    let taken = Utc::now();
    let name = format!("{PREFIX}{}{SUFFIX}", taken.format("%Y%m%d-%H%M%S%.3fZ"));
    let path = plan.folder.join(&name);
    let partial = plan.folder.join(format!("{name}.partial"));
    let _ = tokio::fs::remove_file(&partial).await;
    let size = match copy_into(db, &partial).await {
        Ok(size) => size,
        Err(err) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(err);
        }
    };
    tokio::fs::rename(&partial, &path).await?;
    let (folder, keep) = (plan.folder.clone(), plan.keep);
    tokio::task::spawn_blocking(move || prune(&folder, keep)).await??;
    Ok(Copy { path, taken, size })
}

/// The scheduled copies in `folder`, newest first.
pub fn list(folder: &Path) -> std::io::Result<Vec<Copy>> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut copies = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(PREFIX) && name.ends_with(SUFFIX)) {
            continue;
        }
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        copies.push(Copy {
            path: entry.path(),
            taken: DateTime::<Utc>::from(modified),
            size: metadata.len(),
        });
    }
    copies.sort_by(|a, b| b.path.cmp(&a.path));
    Ok(copies)
}

/// The newest scheduled copy in `folder`, read off the disk (so what the admin is shown is there).
pub async fn latest(folder: &Path) -> anyhow::Result<Option<Copy>> {
    let folder = folder.to_owned();
    Ok(tokio::task::spawn_blocking(move || list(&folder))
        .await??
        .into_iter()
        .next())
}

/// Removes the oldest copies beyond `keep`.
fn prune(folder: &Path, keep: usize) -> std::io::Result<()> {
    for old in list(folder)?.into_iter().skip(keep) {
        std::fs::remove_file(&old.path)?;
    }
    Ok(())
}

/// The job that takes the scheduled copies.
pub fn job(db: Db, plan: Plan) -> Job {
    let every = plan.every;
    Job::new("backup", every, move || {
        let (db, plan) = (db.clone(), plan.clone());
        async move {
            let copy = take_scheduled(&db, &plan).await?;
            tracing::info!(path = %copy.path.display(), bytes = copy.size, "backup taken");
            Ok(())
        }
    })
}

/// Why a restore did not happen.
#[derive(Debug)]
pub enum RestoreError {
    /// The copy or the target is not acceptable; nothing was changed.
    Refused(String),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for RestoreError {
    fn from(err: anyhow::Error) -> Self {
        RestoreError::Failed(err)
    }
}

impl From<std::io::Error> for RestoreError {
    fn from(err: std::io::Error) -> Self {
        RestoreError::Failed(err.into())
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database it replaced was kept.
    pub replaced: Option<PathBuf>,
}

/// Puts the copy `from` in place of the SQLite database of `url`. The copy is checked first, on a copy of it
/// beside the database: SQLite's `integrity_check`, and its schema must be one this binary knows (no migration
/// it lacks). An existing database is replaced only with `force`, never while a process has it open, and is
/// kept beside it with the time in its name.
pub async fn restore(url: &str, from: &Path, force: bool) -> Result<Restored, RestoreError> {
    let database = match Backend::from_url(url)? {
        Backend::Sqlite => PathBuf::from(sqlite_path(url).unwrap_or_default()),
        Backend::Postgres => {
            return Err(RestoreError::Refused(
                "restore puts back SQLite copies; for PostgreSQL use pg_restore (see the README)".into(),
            ));
        }
    };
    if !from.is_file() {
        return Err(RestoreError::Refused(format!("{} is not a file", from.display())));
    }
    let exists = database.exists();
    if exists && !force {
        return Err(RestoreError::Refused(format!(
            "{} holds a database; to replace it, add --force (it will be kept beside it)",
            database.display()
        )));
    }
    let restoring = with_suffix(&database, ".restoring");
    remove_with_journal(&restoring)?;
    let copied = {
        let (from, restoring) = (from.to_owned(), restoring.clone());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::copy(&from, &restoring)?;
            std::fs::File::open(&restoring)?.sync_all()
        })
        .await
        .map_err(anyhow::Error::from)?
    };
    if let Err(err) = copied {
        let _ = remove_with_journal(&restoring);
        return Err(RestoreError::Failed(
            anyhow::Error::from(err).context(format!("copying {}", from.display())),
        ));
    }
    let outcome = replace(&database, &restoring, exists).await;
    if outcome.is_err() {
        let _ = remove_with_journal(&restoring);
    }
    outcome
}

async fn replace(database: &Path, restoring: &Path, exists: bool) -> Result<Restored, RestoreError> {
    check_copy(restoring).await?;
    let replaced = match exists {
        true => {
            set_aside(database).await?;
            let kept = with_suffix(database, &format!(".replaced-{}", Utc::now().format("%Y%m%d-%H%M%S")));
            std::fs::rename(database, &kept)?;
            Some(kept)
        }
        false => None,
    };
    std::fs::rename(restoring, database)?;
    if let Some(folder) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        // The renames themselves reach the disk.
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(Restored {
        database: database.to_owned(),
        replaced,
    })
}

/// Refuses a copy that is damaged, not Sickbay's, or made by a newer Sickbay.
async fn check_copy(path: &Path) -> Result<(), RestoreError> {
    let refuse = |why: String| RestoreError::Refused(why);
    let mut conn = open(path, false)
        .await
        .map_err(|err| refuse(format!("the copy can't be opened as a SQLite database: {err}")))?;
    let checked = check_opened(&mut conn).await;
    let _ = conn.close().await;
    checked
}

async fn check_opened(conn: &mut SqliteConnection) -> Result<(), RestoreError> {
    let refuse = |why: String| RestoreError::Refused(why);
    let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|err| refuse(format!("the copy is damaged: {err}")))?;
    if report != ["ok"] {
        return Err(refuse(format!(
            "the copy is damaged (SQLite's integrity check: {})",
            report.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )));
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .map_err(|_| refuse("the copy is not a Sickbay database (it has no migrations table)".into()))?;
    let known: Vec<i64> = sqlx::migrate!("migrations/sqlite").iter().map(|m| m.version).collect();
    if let Some(unknown) = versions.iter().find(|v| !known.contains(v)) {
        return Err(refuse(format!(
            "the copy was made by a newer Sickbay (its schema has migration {unknown}; this one knows up to {}): \
             restore it with that version",
            known.iter().max().copied().unwrap_or_default()
        )));
    }
    if versions.is_empty() {
        return Err(refuse(
            "the copy is not a Sickbay database (no migration was applied)".into(),
        ));
    }
    Ok(())
}

/// Makes sure no process has the database open, and folds its write-ahead log into the file, so the file
/// alone is the whole database. SQLite's exclusive locking mode needs the only lock on the file: in WAL mode
/// every connection of a running server holds a shared one.
async fn set_aside(database: &Path) -> Result<(), RestoreError> {
    let in_use = || {
        RestoreError::Refused(format!(
            "{} is in use (a Sickbay server or another program has it open): stop it first",
            database.display()
        ))
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        .busy_timeout(Duration::ZERO)
        .pragma("locking_mode", "EXCLUSIVE")
        .connect()
        .await
        .map_err(|_| in_use())?;
    let taken = async {
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await?;
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&mut conn)
            .await?;
        sqlx::query("COMMIT").execute(&mut conn).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await
    }
    .await;
    let _ = conn.close().await;
    taken.map_err(|_| in_use())?;
    for journal in ["-wal", "-shm"] {
        let path = with_suffix(database, journal);
        if path.exists() {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a file and its journals, if there.
fn remove_with_journal(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        match std::fs::remove_file(with_suffix(path, suffix)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_bytes_kb_mb_and_gb() {
        assert_eq!(size_text(999), "999 bytes");
        assert_eq!(size_text(850_400), "850 KB");
        assert_eq!(size_text(12_449_999), "12.4 MB");
        assert_eq!(size_text(12_450_000), "12.5 MB");
        assert_eq!(size_text(3_000_000_000), "3.0 GB");
    }

    #[test]
    fn a_copy_older_than_a_day_is_stale() {
        let now = Utc::now();
        let copy = |hours: i64| Copy {
            path: PathBuf::new(),
            taken: now - chrono::Duration::hours(hours),
            size: 0,
        };
        assert!(!copy(23).is_stale(now));
        assert!(copy(25).is_stale(now));
        assert!(!copy(-1).is_stale(now), "a clock a little ahead is not stale");
    }

    #[test]
    fn only_scheduled_copies_are_listed_newest_first_and_pruned_to_the_count() {
        let dir = tempfile::tempdir().expect("dir");
        for name in [
            "sickbay-20260101-000000.000Z.db",
            "sickbay-20260103-000000.000Z.db",
            "sickbay-20260102-000000.000Z.db",
            "sickbay-20260104-000000.000Z.db.partial",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        let names = |dir: &Path| -> Vec<String> {
            list(dir)
                .expect("list")
                .into_iter()
                .map(|c| c.path.file_name().unwrap_or_default().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(dir.path()),
            [
                "sickbay-20260103-000000.000Z.db",
                "sickbay-20260102-000000.000Z.db",
                "sickbay-20260101-000000.000Z.db"
            ]
        );
        prune(dir.path(), 2).expect("prune");
        assert_eq!(
            names(dir.path()),
            ["sickbay-20260103-000000.000Z.db", "sickbay-20260102-000000.000Z.db"]
        );
        assert!(dir.path().join("notes.txt").exists());
        assert!(list(&dir.path().join("missing")).expect("empty").is_empty());
    }
}
