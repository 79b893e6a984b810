//! The clinic's background jobs: the list every instance runs (see `db::jobs` for how a run is claimed).

use std::time::Duration;

use tower_sessions_core::session_store::ExpiredDeletion;

use crate::db::backup::{self, Plan};
use crate::db::jobs::Job;
use crate::db::sessions::SessionBackend;
use crate::db::{Date, Db, Timestamp, form_ids};
use crate::queue::service as queue;
use crate::reports;
use crate::scheduling::service as scheduling;
use crate::settings::SettingsCache;

/// How long a one-time form id answers for its record: a form left open longer creates anew.
const FORM_ID_DAYS: i64 = 7;

/// The clinic's background jobs, each claimed in the database before it runs (see `db::jobs`), so several
/// instances may run the same list. All are idempotent. The web crate spawns them beside the server.
pub fn clinic_jobs(db: &Db, settings: &SettingsCache, sessions: &SessionBackend, backups: Option<Plan>) -> Vec<Job> {
    let (db, settings, sessions) = (db.clone(), settings.clone(), sessions.clone());
    let (slots_db, slots_settings, forms_db) = (db.clone(), settings.clone(), db.clone());
    let (no_show_db, no_show_settings) = (db.clone(), settings.clone());
    let (summaries_db, summaries_settings) = (db.clone(), settings.clone());
    let (reminders_db, digests_db) = (db.clone(), db.clone());
    let backups = backups.map(|plan| backup::job(db.clone(), plan));
    let mut jobs = vec![
        Job::new("expired_sessions", Duration::from_secs(600), move || {
            let sessions = sessions.clone();
            async move { Ok(sessions.delete_expired().await?) }
        }),
        // One-time form ids old enough that no open form still carries them.
        Job::new("old_form_ids", Duration::from_secs(3600), move || {
            let db = forms_db.clone();
            async move {
                form_ids::forget_older_than(&db, FORM_ID_DAYS).await?;
                Ok(())
            }
        }),
        // The booking horizon moves with the days.
        Job::new("slot_generation", Duration::from_secs(3600), move || {
            let (db, current) = (slots_db.clone(), slots_settings.get());
            async move {
                scheduling::generate_slots(&db, current.slot_horizon(), None).await?;
                Ok(())
            }
        }),
        Job::new("no_shows", Duration::from_secs(60), move || {
            let (db, current) = (no_show_db.clone(), no_show_settings.get());
            async move {
                scheduling::mark_no_shows(&db, current.booking.no_show_grace_minutes).await?;
                Ok(())
            }
        }),
        // Each closed day's report figures, kept once the day is over, and again after a late change to it.
        Job::new("report_summaries", Duration::from_secs(900), move || {
            let (db, current) = (summaries_db.clone(), summaries_settings.get());
            async move {
                reports::summarize_closed_days(&db, current.today(), current.clinic.time_zone).await?;
                Ok(())
            }
        }),
        // Reminders before appointments, written to the outbox when their time comes.
        Job::new("reminders", Duration::from_secs(60), move || {
            let db = reminders_db.clone();
            async move {
                scheduling::queue_reminders(&db, Timestamp::now()).await?;
                Ok(())
            }
        }),
        // The pharmacists' morning stock digest and the admins' Monday summary, once a day each.
        Job::new("digests", Duration::from_secs(900), move || {
            let db = digests_db.clone();
            async move {
                crate::digests::send_due(&db, Timestamp::now()).await?;
                Ok(())
            }
        }),
        Job::new("stale_tickets", Duration::from_secs(60), move || {
            let (db, today) = (db.clone(), Date(settings.get().today()));
            async move {
                queue::close_stale_tickets(&db, today).await?;
                Ok(())
            }
        }),
    ];
    // SQLite's scheduled copies (see `db::backup`).
    jobs.extend(backups);
    jobs
}
