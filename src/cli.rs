//! The subcommands: serve (the default), migrate, user add, import, demo, backup, restore.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Cli, Command, Config, ImportCommand, ServeArgs, UserCommand};
use crate::state::AppState;
use sickbay_core::auth::password;
use sickbay_core::db::backup::{self, Plan, RestoreError};
use sickbay_core::db::{Backend, Db, Options, sqlite_path};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::Actor;
use sickbay_core::identity::Role;
use sickbay_core::staff::model::NewStaff;
use sickbay_core::staff::service;

/// Runs the command line and turns the outcome into the process's exit status: 0 on success, 1 when
/// the command failed, 2 for input the command refuses (clap also exits with 2 on a usage error).
pub async fn run(cli: Cli) -> ExitCode {
    let target = Target {
        url: cli.database_url.clone(),
        options: Options {
            synchronous: cli.sqlite_synchronous,
        },
    };
    let result = match cli.command {
        None => serve(&target, &cli.serve).await,
        Some(Command::Serve(args)) => serve(&target, &args).await,
        Some(Command::Migrate) => migrate(&target).await,
        Some(Command::User(UserCommand::Add {
            username,
            role,
            name,
            email,
            password_stdin,
        })) => add_user(&target, &username, role, &name, email.as_deref(), password_stdin).await,
        Some(Command::Demo { size, seed }) => demo(&target, size, seed).await,
        Some(Command::Backup { file }) => backup(&target, &file).await,
        Some(Command::Restore { file, force }) => restore(&target, &file, force).await,
        Some(Command::Import(ImportCommand::Students {
            file,
            create_missing,
            report,
        })) => import_students(&target, &file, create_missing, report).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(err)) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug)]
enum CliError {
    /// The input was not acceptable (exit 2).
    Refused(String),
    /// Something went wrong while doing it (exit 1).
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    fn from(err: anyhow::Error) -> Self {
        CliError::Failed(err)
    }
}

/// The database the command works on: its URL and how it is opened.
struct Target {
    url: String,
    options: Options,
}

impl Target {
    async fn connect(&self) -> anyhow::Result<Db> {
        Db::connect_with(&self.url, self.options).await
    }
}

async fn open_migrated(target: &Target) -> anyhow::Result<Db> {
    let db = target.connect().await?;
    db.migrate().await?;
    Ok(db)
}

async fn serve(target: &Target, args: &ServeArgs) -> Result<(), CliError> {
    let db = open_migrated(target).await?;
    if let Some(password) = bootstrap_admin(&db).await? {
        println!("Created the first administrator account.");
        println!("  username: admin");
        println!("  password: {password}");
        println!("This password is shown only once; you will be asked to change it when you first log in.");
    }
    let config = Config {
        backups: Plan::for_database(&db, args.backup_dir.clone(), args.backup_every_hours, args.backup_keep),
        ..Config::from_args(args)
    };
    let state = AppState::new(db, config).await?;
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("could not listen on {}", args.bind))?;
    tracing::info!("Sickbay is serving on http://{}", args.bind);
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    let db = state.db.clone();
    crate::serve(listener, state).await?;
    db.close().await;
    Ok(())
}

/// On an empty database, creates `admin` with a random password that must be changed at first login,
/// and returns that password.
pub async fn bootstrap_admin(db: &Db) -> anyhow::Result<Option<String>> {
    if service::count(db).await? > 0 {
        return Ok(None);
    }
    let new = NewStaff::validate("admin", "Administrator", "", "admin").map_err(|_| anyhow::anyhow!("bad admin"))?;
    let password = password::generate();
    match service::create(db, &Actor::system("first start"), &new, &password, true).await {
        Ok(_) => Ok(Some(password)),
        // Another instance starting at the same moment created it first.
        Err(ServiceError::Invalid(_)) => Ok(None),
        Err(err) => Err(anyhow::anyhow!(err)),
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

async fn migrate(target: &Target) -> Result<(), CliError> {
    open_migrated(target).await?;
    println!("The database is up to date.");
    Ok(())
}

async fn add_user(
    target: &Target,
    username: &str,
    role: Role,
    name: &str,
    email: Option<&str>,
    password_stdin: bool,
) -> Result<(), CliError> {
    let new = NewStaff::validate(username, name, email.unwrap_or(""), role.as_str()).map_err(|errors| {
        let messages: Vec<String> = ["username", "full_name", "email", "role"]
            .iter()
            .filter_map(|field| errors.get(field).map(|m| format!("{field}: {m}")))
            .collect();
        CliError::Refused(messages.join("; "))
    })?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        password::check_new(&password, new.username.as_str())
            .map_err(|err| CliError::Refused(format!("password: {err}")))?;
        (password, false)
    } else {
        (password::generate(), true)
    };
    let db = open_migrated(target).await?;
    match service::create(&db, &Actor::system("command line"), &new, &password, generated).await {
        Ok(id) => {
            println!(
                "Created {} account {:?} (id {id}).",
                new.role.label(),
                new.username.as_str()
            );
            if generated {
                println!("password: {password}");
                println!("This password is shown only once and must be changed at first login.");
            }
            Ok(())
        }
        Err(ServiceError::Invalid(errors)) => Err(CliError::Failed(anyhow::anyhow!(
            "{}",
            errors.messages().collect::<Vec<_>>().join(" ")
        ))),
        Err(err) => Err(CliError::Failed(anyhow::anyhow!(err))),
    }
}

/// Migrates the database, fills it with the demo clinic unless it holds one already, and prints the logins.
async fn demo(target: &Target, size: sickbay_core::demo::Size, seed: u64) -> Result<(), CliError> {
    use sickbay_core::demo::{self, DemoError, Options};
    let started = std::time::Instant::now();
    let db = open_migrated(target).await?;
    let result = demo::run(&db, &Options { size, seed }).await;
    db.close().await;
    match result {
        Ok(made) => {
            print!("{}", made.report(&target.url, started.elapsed()));
            Ok(())
        }
        Err(DemoError::NotEmpty(message)) => Err(CliError::Refused(message)),
        Err(DemoError::Failed(err)) => Err(CliError::Failed(
            err.context("the demo stopped half-way; give it a new, empty database"),
        )),
    }
}

async fn backup(target: &Target, file: &Path) -> Result<(), CliError> {
    let db = target.connect().await?;
    if db.backend() == Backend::Postgres {
        return Err(CliError::Refused(
            "backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. `pg_dump --format=custom --file=sickbay.dump DBNAME`"
                .into(),
        ));
    }
    if file.exists() {
        return Err(CliError::Refused(format!(
            "{} already exists; choose a new file name",
            file.display()
        )));
    }
    if file.to_str().is_none() {
        return Err(CliError::Refused("the backup path must be valid UTF-8".into()));
    }
    // A consistent copy while the clinic keeps working.
    let size = backup::copy_into(&db, file).await.context("copying the database")?;
    db.close().await;
    println!(
        "Copied {} to {} ({size} bytes).",
        sqlite_path(db.url()).unwrap_or("the database"),
        file.display()
    );
    Ok(())
}

async fn restore(target: &Target, file: &Path, force: bool) -> Result<(), CliError> {
    match backup::restore(&target.url, file, force).await {
        Ok(restored) => {
            println!("Restored {} from {}.", restored.database.display(), file.display());
            if let Some(kept) = restored.replaced {
                println!("The database it replaced is kept as {}.", kept.display());
            }
            Ok(())
        }
        Err(RestoreError::Refused(message)) => Err(CliError::Refused(message)),
        Err(RestoreError::Failed(err)) => Err(CliError::Failed(err)),
    }
}

async fn import_students(
    target: &Target,
    file: &Path,
    create_missing: bool,
    report: Option<std::path::PathBuf>,
) -> Result<(), CliError> {
    use sickbay_core::import::service::{self as import, FileError, ImportOptions};
    let bytes =
        std::fs::read(file).map_err(|err| CliError::Refused(format!("cannot read {}: {err}", file.display())))?;
    let text = import::decode(&bytes).map_err(|err| CliError::Refused(err.to_string()))?;
    let db = open_migrated(target).await?;
    let settings = sickbay_core::settings::SettingsCache::load(&db)
        .await
        .context("reading settings")?
        .get();
    let options = ImportOptions {
        create_missing,
        pattern: settings.matric_regex(),
        today: settings.today(),
    };
    let outcome = match import::run(&db, &Actor::system("command line import"), None, &text, &options).await {
        Ok(outcome) => outcome,
        Err(err) => {
            return Err(match err.downcast::<FileError>() {
                Ok(file_error) => CliError::Refused(file_error.to_string()),
                Err(err) => CliError::Failed(err),
            });
        }
    };
    let c = &outcome.counts;
    println!(
        "{} rows: {} created, {} updated, {} unchanged, {} rejected.",
        c.processed, c.created, c.updated, c.unchanged, c.rejected
    );
    if !outcome.rejections.is_empty() {
        let report = report.unwrap_or_else(|| {
            let mut name = file.as_os_str().to_owned();
            name.push(".rejected.csv");
            name.into()
        });
        std::fs::write(&report, outcome.report()).with_context(|| format!("writing {}", report.display()))?;
        println!("Rejected rows and their reasons: {}", report.display());
    }
    Ok(())
}
