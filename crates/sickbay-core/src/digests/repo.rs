//! All SQL of the digests: the claim of a run, the staff they go to, and the week's figures.

use crate::db::{Date, Timestamp, Tx, changed_one_row};
use crate::identity::Role;

/// Claims the run of digest `kind` for `day`; `false` when another run (or instance) has it.
pub async fn claim(tx: &mut Tx, kind: &str, day: Date) -> Result<bool, sqlx::Error> {
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO digest_run (kind, day, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING kind",
    )
    .bind(kind)
    .bind(day)
    .bind(Timestamp::now())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(claimed.is_some())
}

/// An active staff member holding `role`, with the address their digest may go to.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Reader {
    pub id: i64,
    pub email: Option<String>,
    pub digest_by: String,
}

impl Reader {
    /// The address the digest goes to by email, if they want it there.
    pub fn email(&self) -> Option<String> {
        self.email
            .clone()
            .filter(|e| self.digest_by == "email" && !e.trim().is_empty())
    }
}

pub async fn holders_of(tx: &mut Tx, role: Role) -> Result<Vec<Reader>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.email, s.digest_by FROM staff s
         WHERE s.active = 1 AND (s.role = $1 OR EXISTS (SELECT 1 FROM staff_role r WHERE r.staff_id = s.id AND r.role = $1))
         ORDER BY s.id",
    )
    .bind(role.as_str())
    .fetch_all(&mut **tx)
    .await
}

/// Appointments of the days [from, to), and how many were no-shows.
pub async fn appointments_between(
    mut db: impl crate::db::Reader,
    from: Date,
    to: Date,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END), 0) FROM appointment
         WHERE day >= $1 AND day < $2 AND status <> 'cancelled'",
    )
    .bind(from)
    .bind(to)
    .fetch_one(db.exec())
    .await
}

/// When each patient of the days [from, to) checked in or walked in (their arrivals).
pub async fn arrivals_between(
    mut db: impl crate::db::Reader,
    from: Date,
    to: Date,
) -> Result<Vec<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT checked_in_at FROM ticket WHERE day >= $1 AND day < $2")
        .bind(from)
        .bind(to)
        .fetch_all(db.exec())
        .await
}

/// Whether a staff member wants their digests by email (`false`: only in their bell).
pub async fn set_digest_by_email(tx: &mut Tx, staff_id: i64, by_email: bool) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE staff SET digest_by = $1 WHERE id = $2")
            .bind(if by_email { "email" } else { "none" })
            .bind(staff_id),
    )
    .await
}

/// Whether a staff member wants their digests by email, and whether they have an address for it.
pub async fn digest_by_email(mut db: impl crate::db::Reader, staff_id: i64) -> Result<(bool, bool), sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as("SELECT digest_by, email FROM staff WHERE id = $1")
        .bind(staff_id)
        .fetch_optional(db.exec())
        .await?;
    Ok(row.map_or((false, false), |(by, email)| {
        (by == "email", email.is_some_and(|e| !e.trim().is_empty()))
    }))
}
