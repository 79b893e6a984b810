//! The marker of a late change: a write that changes what a closed day's report figures say (an appointment's
//! status corrected the next morning, a visit completed or diagnosed after midnight, an invoice voided) calls
//! [`day_changed`] in its own transaction, and the reports' summary job computes that day's figures again.

use super::{Date, Tx, run};

/// Records that `day`'s figures may have changed. Cheap and idempotent; a day that has no figures yet is simply
/// summarized when it closes.
pub async fn day_changed(tx: &mut Tx, day: Date) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query(
            "INSERT INTO summary_day (day, changes) VALUES ($1, 1)
         ON CONFLICT (day) DO UPDATE SET changes = summary_day.changes + 1",
        )
        .bind(day),
    )
    .await
}
