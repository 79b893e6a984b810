//! All SQL of the reports: each metric's figures for one local day (read from the clinic's tables by the summary
//! job, and by the reports for days not summarized yet), the kept figures, the summary bookkeeping, and the
//! figures that only make sense now (balances owed, stock on hand). Sums are `CAST(... AS BIGINT)`: PostgreSQL's
//! SUM of BIGINT is NUMERIC.

use crate::db::Connection;

use super::model::{Figure, Metric};
use crate::db::{Date, Money, Reader, Timestamp, Tx};

/// A metric's figure for a day as its query gives it.
#[derive(sqlx::FromRow)]
struct Row {
    dim: String,
    bucket: i64,
    n: i64,
    amount: i64,
}

/// The query of `metric` for one day: `$1` is the day, `$2` and `$3` the instants it starts and ends (for the
/// tables that keep only an instant). Every query gives `dim`, `bucket`, `n` and `amount`.
fn day_query(metric: Metric) -> &'static str {
    match metric {
        Metric::Visits => {
            "SELECT CAST(doctor_id AS TEXT) AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM visit WHERE day = $1 AND $2 <= $3 GROUP BY doctor_id"
        }
        Metric::NewPatients => {
            "SELECT kind AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM patient WHERE $1 <> '' AND created_at >= $2 AND created_at < $3 GROUP BY kind"
        }
        Metric::Appointments => {
            "SELECT status AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM appointment WHERE day = $1 AND $2 <= $3 GROUP BY status"
        }
        Metric::Wait => {
            "SELECT CAST(v.doctor_id AS TEXT) AS dim,
                    CASE WHEN t.called_at > t.checked_in_at THEN (t.called_at - t.checked_in_at) / 60000 ELSE 0 END
                        AS bucket,
                    COUNT(*) AS n, 0 AS amount
             FROM visit v JOIN ticket t ON t.id = v.ticket_id
             WHERE v.day = $1 AND $2 <= $3 AND t.called_at IS NOT NULL
             GROUP BY 1, 2"
        }
        Metric::Consultation => {
            "SELECT CAST(doctor_id AS TEXT) AS dim,
                    CASE WHEN completed_at > started_at THEN (completed_at - started_at) / 60000 ELSE 0 END AS bucket,
                    COUNT(*) AS n, 0 AS amount
             FROM visit WHERE day = $1 AND $2 <= $3 AND status = 'completed'
             GROUP BY 1, 2"
        }
        Metric::Diagnoses => {
            "SELECT COALESCE(d.code, '~' || LOWER(TRIM(d.description))) AS dim, 0 AS bucket, COUNT(*) AS n,
                    0 AS amount
             FROM diagnosis d JOIN visit v ON v.id = d.visit_id
             WHERE v.day = $1 AND $2 <= $3
             GROUP BY 1"
        }
        Metric::CollectedByMethod => {
            "SELECT method AS dim, 0 AS bucket, COUNT(*) AS n, CAST(SUM(amount) AS BIGINT) AS amount
             FROM payment WHERE day = $1 AND $2 <= $3 GROUP BY method"
        }
        Metric::CollectedByCategory => {
            "SELECT i.category AS dim, 0 AS bucket, COUNT(*) AS n, CAST(SUM(p.amount) AS BIGINT) AS amount
             FROM payment p JOIN invoice i ON i.id = p.invoice_id
             WHERE p.day = $1 AND $2 <= $3 GROUP BY i.category"
        }
        Metric::Invoiced => {
            "SELECT category AS dim, 0 AS bucket, COUNT(*) AS n, CAST(SUM(total) AS BIGINT) AS amount
             FROM invoice WHERE issued_day = $1 AND $2 <= $3 AND status <> 'void' GROUP BY category"
        }
        Metric::Dispensed => {
            "SELECT CAST(m.drug_id AS TEXT) AS dim, 0 AS bucket, CAST(SUM(-m.quantity) AS BIGINT) AS n,
                    CAST(SUM(-m.quantity * d.unit_price) AS BIGINT) AS amount
             FROM stock_movement m JOIN drug d ON d.id = m.drug_id
             WHERE m.day = $1 AND $2 <= $3 AND m.kind = 'dispense'
             GROUP BY m.drug_id"
        }
        Metric::StudentsByFaculty => {
            "SELECT COALESCE(CAST(p.faculty_id AS TEXT), '') AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM visit v JOIN patient p ON p.id = v.patient_id
             WHERE v.day = $1 AND $2 <= $3 AND p.kind = 'student' GROUP BY p.faculty_id"
        }
        Metric::StudentsByDepartment => {
            "SELECT COALESCE(CAST(p.department_id AS TEXT), '') AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM visit v JOIN patient p ON p.id = v.patient_id
             WHERE v.day = $1 AND $2 <= $3 AND p.kind = 'student' GROUP BY p.department_id"
        }
        Metric::StudentsByLevel => {
            "SELECT COALESCE(CAST(p.level_id AS TEXT), '') AS dim, 0 AS bucket, COUNT(*) AS n, 0 AS amount
             FROM visit v JOIN patient p ON p.id = v.patient_id
             WHERE v.day = $1 AND $2 <= $3 AND p.kind = 'student' GROUP BY p.level_id"
        }
    }
}

/// The figures of `metrics` for `day`, which runs from `start` to `end`, read from the clinic's tables.
pub async fn compute_day(
    conn: &mut Connection,
    metrics: &[Metric],
    day: Date,
    (start, end): (Timestamp, Timestamp),
) -> Result<Vec<Figure>, sqlx::Error> {
    let mut figures = Vec::new();
    for &metric in metrics {
        let rows: Vec<Row> = sqlx::query_as(day_query(metric))
            .bind(day)
            .bind(start)
            .bind(end)
            .fetch_all(&mut *conn)
            .await?;
        figures.extend(rows.into_iter().map(|row| Figure {
            day,
            metric,
            dim: row.dim,
            bucket: row.bucket,
            n: row.n,
            amount: row.amount,
        }));
    }
    Ok(figures)
}

fn metric_list(metrics: &[Metric]) -> String {
    crate::db::word_list(metrics.iter().map(|m| m.as_str()))
}

/// The kept figures of `metrics` from `from` to `to`.
pub async fn kept(mut db: impl Reader, metrics: &[Metric], from: Date, to: Date) -> Result<Vec<Figure>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT day, metric, dim, bucket, n, amount FROM daily_figure
         WHERE metric IN ({}) AND day >= $1 AND day <= $2",
        metric_list(metrics)
    ))
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// The days from `from` to `to` whose kept figures are fresh (no change since they were computed).
pub async fn fresh_days(mut db: impl Reader, from: Date, to: Date) -> Result<Vec<Date>, sqlx::Error> {
    sqlx::query_scalar("SELECT day FROM summary_day WHERE day >= $1 AND day <= $2 AND summarized = changes")
        .bind(from)
        .bind(to)
        .fetch_all(db.exec())
        .await
}

/// The first day anything happened on: the earliest appointment, visit, payment or stock movement.
pub async fn first_day(mut db: impl Reader) -> Result<Option<Date>, sqlx::Error> {
    let mut first: Option<Date> = None;
    for sql in [
        "SELECT MIN(day) FROM appointment",
        "SELECT MIN(day) FROM visit",
        "SELECT MIN(day) FROM payment",
        "SELECT MIN(day) FROM stock_movement",
    ] {
        let day: Option<Date> = sqlx::query_scalar(sql).fetch_one(db.exec()).await?;
        first = first.min(day).or(first).or(day);
    }
    Ok(first)
}

/// The instant the first patient was registered.
pub async fn first_patient_at(mut db: impl Reader) -> Result<Option<Timestamp>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM patient")
        .fetch_one(db.exec())
        .await
}

/// Each day from `from` to `to` with a summary row, and the changes it has had.
pub async fn summary_days(
    mut db: impl Reader,
    from: Date,
    to: Date,
) -> Result<Vec<(Date, i64, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("SELECT day, changes, summarized FROM summary_day WHERE day >= $1 AND day <= $2")
        .bind(from)
        .bind(to)
        .fetch_all(db.exec())
        .await
}

/// Replaces `day`'s kept figures with `figures`, computed when the day had had `changes` changes.
pub async fn keep_day(tx: &mut Tx, day: Date, changes: i64, figures: &[Figure]) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "DELETE FROM daily_figure WHERE metric IN ({}) AND day = $1",
        metric_list(Metric::ALL)
    ))
    .bind(day)
    .execute(&mut **tx)
    .await?;
    // Rows of six values, well under either backend's limit on parameters.
    for chunk in figures.chunks(150) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 6;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO daily_figure (day, metric, dim, bucket, n, amount) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for f in chunk {
            query = query
                .bind(f.day)
                .bind(f.metric)
                .bind(&f.dim)
                .bind(f.bucket)
                .bind(f.n)
                .bind(f.amount);
        }
        query.execute(&mut **tx).await?;
    }
    sqlx::query(
        "INSERT INTO summary_day (day, changes, summarized, summarized_at) VALUES ($1, $2, $2, $3)
         ON CONFLICT (day) DO UPDATE SET summarized = $2, summarized_at = $3",
    )
    .bind(day)
    .bind(changes)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---- names of the dimensions ---------------------------------------------------------------------------

/// The names of the ids in `ids` from `table` (staff, drugs, faculties, departments, levels).
pub async fn names(mut db: impl Reader, table: NameTable, ids: &[i64]) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = match table {
        NameTable::Staff => "SELECT id, full_name FROM staff",
        NameTable::Drug => {
            "SELECT id, name || CASE WHEN strength = '' THEN '' ELSE ' ' || strength END || ' (' || form || ')' FROM drug"
        }
        NameTable::Faculty => "SELECT id, name FROM faculty",
        NameTable::Department => "SELECT id, name FROM department",
        NameTable::Level => "SELECT id, name FROM level",
    };
    sqlx::query_as(&format!("{sql} WHERE id IN ({})", crate::db::id_list(ids)))
        .fetch_all(db.exec())
        .await
}

#[derive(Clone, Copy, Debug)]
pub enum NameTable {
    Staff,
    Drug,
    Faculty,
    Department,
    Level,
}

// ---- figures of now --------------------------------------------------------------------------------------

/// What is owed on issued invoices, by how long ago they were issued and by patient category.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Owed {
    pub category: String,
    pub issued_day: Date,
    pub invoices: i64,
    pub owed: Money,
}

/// The balances still owed by patients, per category and day of issue.
pub async fn owed(mut db: impl Reader) -> Result<Vec<Owed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT category, issued_day, COUNT(*) AS invoices,
                CAST(SUM(patient_share - paid - credited) AS BIGINT) AS owed
         FROM invoice WHERE status IN ('issued', 'partly_paid') AND issued_day IS NOT NULL
         GROUP BY category, issued_day",
    )
    .fetch_all(db.exec())
    .await
}

/// What a scheme owes on issued invoices: its shares not claimed yet, and those claimed and not paid.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueFromScheme {
    pub scheme: String,
    pub to_submit: Money,
    pub submitted: Money,
    pub invoices: i64,
}

/// What each scheme owes now (its share of invoices not void, whose claim line is to submit or submitted), by
/// name.
pub async fn due_from_schemes(mut db: impl Reader) -> Result<Vec<DueFromScheme>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.name AS scheme, COUNT(*) AS invoices,
                CAST(SUM(CASE WHEN i.claim_status = 'pending' THEN i.scheme_share ELSE 0 END) AS BIGINT) AS to_submit,
                CAST(SUM(CASE WHEN i.claim_status = 'submitted' THEN i.scheme_share ELSE 0 END) AS BIGINT) AS submitted
         FROM invoice i JOIN scheme s ON s.id = i.scheme_id
         WHERE i.status IN ('issued', 'partly_paid', 'paid') AND i.claim_status IN ('pending', 'submitted')
           AND i.scheme_share > 0
         GROUP BY s.id, s.name
         ORDER BY s.name, s.id",
    )
    .fetch_all(db.exec())
    .await
}

/// A drug's stock on hand and its value at cost and at the catalogue's price.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StockValue {
    pub drug_id: i64,
    pub units: i64,
    pub at_cost: Money,
    pub at_price: Money,
}

/// Each drug's unexpired stock and its value, the most valuable first.
pub async fn stock_value(mut db: impl Reader, today: Date) -> Result<Vec<StockValue>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.drug_id, CAST(SUM(b.quantity) AS BIGINT) AS units,
                CAST(SUM(b.quantity * b.cost_price) AS BIGINT) AS at_cost,
                CAST(SUM(b.quantity * d.unit_price) AS BIGINT) AS at_price
         FROM drug_batch b JOIN drug d ON d.id = b.drug_id
         WHERE b.quantity > 0 AND b.expires_on >= $1
         GROUP BY b.drug_id
         ORDER BY at_cost DESC, b.drug_id",
    )
    .bind(today)
    .fetch_all(db.exec())
    .await
}

/// A batch that expires soon.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Expiring {
    pub drug_id: i64,
    pub batch_number: String,
    pub expires_on: Date,
    pub quantity: i64,
    pub at_cost: Money,
}

/// The batches holding units that expire from `today` to `until`, earliest first, at most `limit`.
pub async fn expiring(mut db: impl Reader, today: Date, until: Date, limit: i64) -> Result<Vec<Expiring>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT drug_id, batch_number, expires_on, quantity, quantity * cost_price AS at_cost
         FROM drug_batch WHERE quantity > 0 AND expires_on >= $1 AND expires_on <= $2
         ORDER BY expires_on, drug_id, id {}",
        crate::db::limit(limit)
    ))
    .bind(today)
    .bind(until)
    .fetch_all(db.exec())
    .await
}
