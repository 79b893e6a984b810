//! The subcommands: serve (the default), migrate, user add, import, demo, backup.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::password;
use crate::config::{Cli, Command, Config, ImportCommand, ServeArgs, UserCommand};
use crate::db::{Backend, Db, sqlite_path};
use crate::error::ServiceError;
use crate::identity::Actor;
use crate::identity::Role;
use crate::staff::model::NewStaff;
use crate::staff::service;
use crate::state::AppState;

/// Runs the command line and turns the outcome into the process's exit status: 0 on success, 1 when
/// the command failed, 2 for input the command refuses (clap also exits with 2 on a usage error).
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None => serve(&cli.database_url, &cli.serve).await,
        Some(Command::Serve(args)) => serve(&cli.database_url, &args).await,
        Some(Command::Migrate) => migrate(&cli.database_url).await,
        Some(Command::User(UserCommand::Add {
            username,
            role,
            name,
            email,
            password_stdin,
        })) => {
            add_user(
                &cli.database_url,
                &username,
                role,
                &name,
                email.as_deref(),
                password_stdin,
            )
            .await
        }
        Some(Command::Demo { size, seed }) => demo(&cli.database_url, size, seed).await,
        Some(Command::Backup { file }) => backup(&cli.database_url, &file).await,
        Some(Command::Import(ImportCommand::Students {
            file,
            create_missing,
            report,
        })) => import_students(&cli.database_url, &file, create_missing, report).await,
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

async fn open_migrated(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn serve(url: &str, args: &ServeArgs) -> Result<(), CliError> {
    let db = open_migrated(url).await?;
    if let Some(password) = bootstrap_admin(&db).await? {
        println!("Created the first administrator account.");
        println!("  username: admin");
        println!("  password: {password}");
        println!("This password is shown only once; you will be asked to change it when you first log in.");
    }
    let state = AppState::new(db, Config::from_args(args)).await?;
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

async fn migrate(url: &str) -> Result<(), CliError> {
    open_migrated(url).await?;
    println!("The database is up to date.");
    Ok(())
}

async fn add_user(
    url: &str,
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
    let db = open_migrated(url).await?;
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
async fn demo(url: &str, size: crate::demo::Size, seed: u64) -> Result<(), CliError> {
    use crate::demo::{self, DemoError, Options};
    let started = std::time::Instant::now();
    let db = open_migrated(url).await?;
    let result = demo::run(&db, &Options { size, seed }).await;
    db.close().await;
    match result {
        Ok(made) => {
            print!("{}", made.report(url, started.elapsed()));
            Ok(())
        }
        Err(DemoError::NotEmpty(message)) => Err(CliError::Refused(message)),
        Err(DemoError::Failed(err)) => Err(CliError::Failed(
            err.context("the demo stopped half-way; give it a new, empty database"),
        )),
    }
}

async fn backup(url: &str, file: &Path) -> Result<(), CliError> {
    let db = Db::connect(url).await?;
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
    let target = file
        .to_str()
        .ok_or_else(|| CliError::Refused("the backup path must be valid UTF-8".into()))?;
    // The audit rows of reads waiting in the side file go into the log first, so the copy holds them.
    crate::audit::reads::settle(&db)
        .await
        .context("moving the audit rows of reads into the log")?;
    // VACUUM INTO writes a consistent copy while the clinic keeps working.
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(db.pool())
        .await
        .context("copying the database")?;
    println!(
        "Copied {} to {}.",
        sqlite_path(db.url()).unwrap_or("the database"),
        file.display()
    );
    Ok(())
}

async fn import_students(
    url: &str,
    file: &Path,
    create_missing: bool,
    report: Option<std::path::PathBuf>,
) -> Result<(), CliError> {
    use crate::import::service::{self as import, FileError, ImportOptions};
    let bytes =
        std::fs::read(file).map_err(|err| CliError::Refused(format!("cannot read {}: {err}", file.display())))?;
    let text = import::decode(&bytes).map_err(|err| CliError::Refused(err.to_string()))?;
    let db = open_migrated(url).await?;
    let settings = crate::settings::SettingsCache::load(&db)
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
