//! Command line and environment configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use sickbay_core::db::backup::Plan;
use sickbay_core::db::{DEFAULT_DATABASE_URL, Synchronous};
use sickbay_core::demo::{DEFAULT_SEED, Size};
use sickbay_core::identity::Role;

#[derive(Parser, Debug)]
#[command(name = "sickbay", version, about = "Sickbay: clinic management for a campus clinic")]
pub struct Cli {
    /// Database URL: sqlite://FILE (created when missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// When SQLite's commits return: full (the default: once on the disk, so a confirmed payment survives a power
    /// cut) or normal (faster; a power cut or an operating system crash can undo the last transactions).
    #[arg(long, env = "SICKBAY_SQLITE_SYNCHRONOUS", default_value = "full", value_parser = parse_synchronous, global = true)]
    pub sqlite_synchronous: Synchronous,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database, then serve the web application (the default).
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Fill an empty database with a realistic demo clinic and print its logins.
    Demo {
        /// small: 500 students and two weeks of bookings; large: 50,000 students and a year of history.
        #[arg(long, default_value = "small", value_parser = parse_size)]
        size: Size,
        /// Seed of the random choices: the same seed on the same day makes the same clinic.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
    },
    /// Take a consistent online copy of a SQLite database into FILE.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: PathBuf,
    },
    /// Put a copy made by `backup` back in place of the SQLite database, after checking it. Stop the server first.
    Restore {
        /// The copy to put back.
        file: PathBuf,
        /// Replace an existing database (it is kept beside it, with the time in its name).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import or update students from a CSV file (see the README for its columns). Prints the counts and
    /// writes the rejected rows with their reasons to a report file.
    Students {
        file: PathBuf,
        /// Create faculties, departments and levels the file names that don't exist yet.
        #[arg(long)]
        create_missing: bool,
        /// Where to write the rejected rows (default: FILE with `.rejected.csv` added).
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a staff account. Prints a generated password unless --password-stdin is given.
    Add {
        #[arg(long)]
        username: String,
        /// One of: admin, doctor, pharmacist, lab, reception.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The person's full name.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|_| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {text:?}; use one of: {}", roles.join(", "))
    })
}

fn parse_synchronous(text: &str) -> Result<Synchronous, String> {
    text.parse()
}

fn parse_size(text: &str) -> Result<Size, String> {
    text.parse::<Size>().map_err(|err| err.0)
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SICKBAY_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Mark the session cookie Secure (set this when the clinic serves Sickbay over https).
    #[arg(long, env = "SICKBAY_SECURE_COOKIES", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub secure_cookies: bool,

    /// Take the client address from X-Forwarded-For (only behind a reverse proxy you run).
    #[arg(long, env = "SICKBAY_TRUST_PROXY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub trust_proxy: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SICKBAY_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub session_idle_minutes: u32,

    /// For development: serve the CSS and JavaScript from this folder (the repository's static/), read on every
    /// request, instead of the copies built into the binary, so edits show without rebuilding.
    #[arg(long, env = "SICKBAY_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// Don't run the background jobs (slot generation, no-shows, session cleanup) in this instance. They are
    /// safe to run on every instance; this is for an instance that should only serve pages.
    #[arg(long, env = "SICKBAY_NO_BACKGROUND_JOBS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_background_jobs: bool,

    /// SQLite: the folder for the scheduled backups (default: `backups` beside the database file).
    #[arg(long, env = "SICKBAY_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// SQLite: hours between scheduled backups; 0 turns them off.
    #[arg(long, env = "SICKBAY_BACKUP_EVERY_HOURS", default_value_t = 24)]
    pub backup_every_hours: u32,

    /// SQLite: how many scheduled backups the folder keeps (the newest).
    #[arg(long, env = "SICKBAY_BACKUP_KEEP", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub backup_keep: u32,
}

/// The running application's configuration, independent of how it was given.
#[derive(Debug, Clone)]
pub struct Config {
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub session_idle: Duration,
    /// Serve static files from this folder instead of the built-in ones (development only).
    pub static_dir: Option<PathBuf>,
    /// Run slot generation, no-show marking and session cleanup in this instance.
    pub background_jobs: bool,
    /// SQLite's scheduled backups (a background job), when taken.
    pub backups: Option<Plan>,
}

impl Config {
    pub fn from_args(args: &ServeArgs) -> Self {
        Config {
            secure_cookies: args.secure_cookies,
            trust_proxy: args.trust_proxy,
            session_idle: Duration::from_secs(u64::from(args.session_idle_minutes) * 60),
            static_dir: args.static_dir.clone(),
            background_jobs: !args.no_background_jobs,
            backups: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            trust_proxy: false,
            session_idle: Duration::from_secs(30 * 60),
            static_dir: None,
            background_jobs: true,
            backups: None,
        }
    }
}
