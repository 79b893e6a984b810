//! The SQL of the lab: the test catalogue, orders and their results, the worklist and health records.

use super::model::{
    LabTest, OrderStage, OrderStatus, OrderView, Outcome, Releaser, ResultDetails, TestDetails, WorklistShow,
};
use crate::db::insert::AnyQuery;
use crate::db::types::Real;
use crate::db::{Date, Flag, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id, run};
use crate::patients::model::Sex;

const TEST_SELECT: &str =
    "SELECT id, name, specimen, unit, male_low, male_high, female_low, female_high, critical_low, critical_high,
            price, active, answers, normal_answers, about
     FROM lab_test";

/// The catalogue, by name (active and inactive).
pub async fn tests(mut db: impl Reader) -> Result<Vec<LabTest>, sqlx::Error> {
    sqlx::query_as(&format!("{TEST_SELECT} ORDER BY LOWER(name), id"))
        .fetch_all(db.exec())
        .await
}

/// The tests a doctor may order, by name.
pub async fn active_tests(mut db: impl Reader) -> Result<Vec<LabTest>, sqlx::Error> {
    sqlx::query_as(&format!("{TEST_SELECT} WHERE active = 1 ORDER BY LOWER(name), id"))
        .fetch_all(db.exec())
        .await
}

pub async fn test(db: impl Reader, id: i64) -> Result<Option<LabTest>, sqlx::Error> {
    row_by_id(db, &format!("{TEST_SELECT} WHERE id = $1"), id).await
}

pub async fn insert_test(tx: &mut Tx, test: &TestDetails) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let insert = sqlx::query(
        "INSERT INTO lab_test (name, specimen, unit, male_low, male_high, female_low, female_high, price, active,
                               answers, normal_answers, critical_low, critical_high, about, created_at, updated_at)
         VALUES ($1, $2, $3, CAST($4 AS DOUBLE PRECISION), CAST($5 AS DOUBLE PRECISION),
                 CAST($6 AS DOUBLE PRECISION), CAST($7 AS DOUBLE PRECISION), $8, $9, $10, $11,
                 CAST($12 AS DOUBLE PRECISION), CAST($13 AS DOUBLE PRECISION), $14, $15, $15) RETURNING id",
    );
    let query = bind_details(insert, test).bind(now);
    inserted_id(tx, query).await
}

/// Binds a test's name, specimen, unit, ranges, price, whether it is active, its answers, its critical limits and
/// what it looks for, in that order.
fn bind_details<'q>(query: AnyQuery<'q>, test: &'q TestDetails) -> AnyQuery<'q> {
    query
        .bind(&test.name)
        .bind(&test.specimen)
        .bind(&test.unit)
        .bind(Real(test.male.low))
        .bind(Real(test.male.high))
        .bind(Real(test.female.low))
        .bind(Real(test.female.high))
        .bind(test.price)
        .bind(Flag(test.active))
        .bind(&test.answers)
        .bind(&test.normal_answers)
        .bind(Real(test.critical.low))
        .bind(Real(test.critical.high))
        .bind(&test.about)
}

/// Changes a test; false when there is none with this id.
pub async fn update_test(tx: &mut Tx, id: i64, test: &TestDetails) -> Result<bool, sqlx::Error> {
    let update = sqlx::query(
        "UPDATE lab_test SET name = $2, specimen = $3, unit = $4, male_low = CAST($5 AS DOUBLE PRECISION),
                male_high = CAST($6 AS DOUBLE PRECISION), female_low = CAST($7 AS DOUBLE PRECISION),
                female_high = CAST($8 AS DOUBLE PRECISION), price = $9, active = $10, answers = $11,
                normal_answers = $12, critical_low = CAST($13 AS DOUBLE PRECISION),
                critical_high = CAST($14 AS DOUBLE PRECISION), about = $15, updated_at = $16
         WHERE id = $1",
    )
    .bind(id);
    changed_one_row(tx, bind_details(update, test).bind(Timestamp::now())).await
}

pub async fn insert_order(
    tx: &mut Tx,
    visit_id: i64,
    patient_id: i64,
    test_id: i64,
    note: &str,
    ordered_by: i64,
) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO lab_order (visit_id, patient_id, test_id, status, note, ordered_by, ordered_at, updated_at)
         VALUES ($1, $2, $3, 'ordered', $4, $5, $6, $6) RETURNING id",
    )
    .bind(visit_id)
    .bind(patient_id)
    .bind(test_id)
    .bind(note)
    .bind(ordered_by)
    .bind(now);
    inserted_id(tx, query).await
}

/// Cancels an order of the visit that has no result yet; false when it has one (or is not the visit's).
pub async fn cancel_order(tx: &mut Tx, visit_id: i64, order_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE lab_order SET status = 'cancelled', updated_at = $3 WHERE id = $1 AND visit_id = $2
         AND status = 'ordered'",
        )
        .bind(order_id)
        .bind(visit_id)
        .bind(Timestamp::now()),
    )
    .await
}

/// The columns of an [`OrderView`], from `lab_order o` and `lab_test t`.
macro_rules! view_columns {
    () => {
        "o.id, o.visit_id, o.test_id, t.name AS test_name, t.specimen, o.status, o.note,
        o.ordered_at, o.result_value, o.result_unit, o.range_low, o.range_high, o.flag, o.result_comment,
        o.collected_at, o.resulted_at, o.released_at, o.seen_at, o.critical, o.critical_told, o.acted_on, t.about AS test_about,
        o.read_by_patient_at"
    };
}

const VIEW_SELECT: &str = concat!(
    "SELECT ",
    view_columns!(),
    " FROM lab_order o JOIN lab_test t ON t.id = o.test_id"
);

/// The live orders of these visits (not cancelled), oldest first; only released ones when `released_only`.
pub async fn orders_of_visits(
    mut db: impl Reader,
    visit_ids: &[i64],
    released_only: bool,
) -> Result<Vec<OrderView>, sqlx::Error> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids written into SQL as a list: they are integers, so nothing can be injected.
    let list = visit_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let status = match released_only {
        true => "o.status = 'released'",
        false => "o.status <> 'cancelled'",
    };
    sqlx::query_as(&format!(
        "{VIEW_SELECT} WHERE o.visit_id IN ({list}) AND {status} ORDER BY o.ordered_at, o.id"
    ))
    .fetch_all(db.exec())
    .await
}

/// The results a doctor has to review: those of the orders they placed, back from the lab (released to the
/// patient or not), until the doctor marks them seen. The partial index `lab_order_to_review` holds just these.
const TO_REVIEW: &str = "o.ordered_by = $1 AND o.seen_at IS NULL AND o.status IN ('resulted', 'released')";

/// A result back for the doctor who ordered it, with whose it is (the doctor's home page).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ResultBack {
    #[sqlx(flatten)]
    pub view: OrderView,
    pub patient_name: String,
}

/// How many results a doctor has to review.
pub async fn count_results_to_review(mut db: impl Reader, doctor_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM lab_order o WHERE {TO_REVIEW}"))
        .bind(doctor_id)
        .fetch_one(db.exec())
        .await
}

/// The results counted by [`count_results_to_review`], critical ones first, then the latest, at most `limit`.
pub async fn results_to_review(
    mut db: impl Reader,
    doctor_id: i64,
    limit: i64,
) -> Result<Vec<ResultBack>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {}, p.first_name || ' ' || p.surname AS patient_name
         FROM lab_order o JOIN lab_test t ON t.id = o.test_id JOIN patient p ON p.id = o.patient_id
         WHERE {TO_REVIEW}
         ORDER BY o.critical DESC, o.resulted_at DESC, o.id DESC {}",
        view_columns!(),
        crate::db::limit(limit)
    ))
    .bind(doctor_id)
    .fetch_all(db.exec())
    .await
}

/// Released to the patient at `since` or later and not opened by them yet.
const NEW_TO_PATIENT: &str =
    "patient_id = $1 AND status = 'released' AND released_at >= $2 AND read_by_patient_at IS NULL";

/// How many of a patient's results are new to them: released since `since`, not opened yet.
pub async fn new_to_patient(mut db: impl Reader, patient_id: i64, since: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM lab_order WHERE {NEW_TO_PATIENT}"))
        .bind(patient_id)
        .bind(since)
        .fetch_one(db.exec())
        .await
}

/// The patient's visits with a result new to them.
pub async fn visits_with_new_results(
    mut db: impl Reader,
    patient_id: i64,
    since: Timestamp,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT DISTINCT visit_id FROM lab_order WHERE {NEW_TO_PATIENT}"
    ))
    .bind(patient_id)
    .bind(since)
    .fetch_all(db.exec())
    .await
}

/// Marks the patient's released results opened at `now` (those of one visit, or all), each once; how many.
pub async fn mark_read_by_patient(
    tx: &mut Tx,
    patient_id: i64,
    visit_id: Option<i64>,
    now: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE lab_order SET read_by_patient_at = $3
         WHERE patient_id = $1 AND status = 'released' AND read_by_patient_at IS NULL
           AND ($2 IS NULL OR visit_id = $2)",
    )
    .bind(patient_id)
    .bind(visit_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// A patient's results released to them, the latest released first, at most `limit`.
pub async fn released_to_patient(
    mut db: impl Reader,
    patient_id: i64,
    limit: i64,
) -> Result<Vec<OrderView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VIEW_SELECT} WHERE o.patient_id = $1 AND o.status = 'released' ORDER BY o.released_at DESC, o.id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

/// A patient's tests ordered since `since` whose results are still to come to them (not released, not
/// cancelled), the latest ordered first.
pub async fn pending_for_patient(
    mut db: impl Reader,
    patient_id: i64,
    since: Timestamp,
) -> Result<Vec<OrderView>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VIEW_SELECT} WHERE o.patient_id = $1 AND o.status IN ('ordered', 'resulted') AND o.ordered_at >= $2
         ORDER BY o.ordered_at DESC, o.id DESC LIMIT 20"
    ))
    .bind(patient_id)
    .bind(since)
    .fetch_all(db.exec())
    .await
}

/// A row of the lab's worklist: lean, one query with its joins.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkItem {
    pub id: i64,
    pub visit_id: i64,
    pub status: OrderStatus,
    pub ordered_at: Timestamp,
    pub collected_at: Option<Timestamp>,
    pub patient_name: String,
    pub clinic_number: String,
    pub sex: Option<Sex>,
    pub date_of_birth: Option<Date>,
    pub test_name: String,
    pub specimen: String,
    pub doctor_name: String,
}

impl WorkItem {
    pub fn stage(&self) -> OrderStage {
        OrderStage::of(self.status, self.collected_at)
    }
}

/// The orders waiting for the lab (no result, or a result not released), oldest first.
pub async fn worklist(
    mut db: impl Reader,
    show: WorklistShow,
    releaser: Releaser,
    limit: i64,
) -> Result<Vec<WorkItem>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT o.id, o.visit_id, o.status, o.ordered_at, o.collected_at, p.first_name || ' ' || p.surname AS patient_name,
                p.clinic_number,
                p.sex, p.date_of_birth, t.name AS test_name, t.specimen, s.full_name AS doctor_name
         FROM lab_order o
         JOIN patient p ON p.id = o.patient_id
         JOIN lab_test t ON t.id = o.test_id
         JOIN staff s ON s.id = o.ordered_by
         WHERE {}
         ORDER BY o.ordered_at, o.id {}",
        shown(show, releaser),
        crate::db::limit(limit)
    ))
    .fetch_all(db.exec())
    .await
}

/// How many orders of those `show` picks wait for the lab.
pub async fn waiting_count(mut db: impl Reader, show: WorklistShow, releaser: Releaser) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM lab_order o WHERE {}",
        shown(show, releaser)
    ))
    .fetch_one(db.exec())
    .await
}

/// The condition on `lab_order o` of the orders the worklist shows: a result is the lab's to release unless it
/// waits for the ordering doctor (`OrderView::lab_may_release`).
fn shown(show: WorklistShow, releaser: Releaser) -> String {
    let statuses = crate::db::word_list(show.statuses().iter().map(|status| status.as_str()));
    format!(
        "o.status IN ({statuses}) AND NOT (o.status = 'resulted' AND {})",
        releaser.waits_for_doctor_sql()
    )
}

/// The orders waiting for the lab counted by status (ordered: to take; resulted: to release).
pub async fn waiting_by_status(
    mut db: impl Reader,
    releaser: Releaser,
) -> Result<Vec<(OrderStatus, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT o.status, COUNT(*) FROM lab_order o WHERE {} GROUP BY o.status",
        shown(WorklistShow::All, releaser)
    ))
    .fetch_all(db.exec())
    .await
}

/// An order as the lab's page for it shows it: the order, its test, its patient and ordering doctor.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderDetail {
    #[sqlx(flatten)]
    pub view: OrderView,
    pub patient_id: i64,
    /// The doctor who ordered it.
    pub ordered_by: i64,
    pub doctor_name: String,
    pub collected_by: Option<String>,
    pub resulted_by: Option<String>,
    pub released_by: Option<String>,
}

const DETAIL_SELECT: &str = concat!(
    "SELECT ",
    view_columns!(),
    ", o.patient_id, o.ordered_by, s.full_name AS doctor_name, c.full_name AS collected_by,
        r.full_name AS resulted_by, l.full_name AS released_by
     FROM lab_order o JOIN lab_test t ON t.id = o.test_id JOIN staff s ON s.id = o.ordered_by
     LEFT JOIN staff c ON c.id = o.collected_by LEFT JOIN staff r ON r.id = o.resulted_by
     LEFT JOIN staff l ON l.id = o.released_by"
);

pub async fn order(db: impl Reader, id: i64) -> Result<Option<OrderDetail>, sqlx::Error> {
    row_by_id(db, &format!("{DETAIL_SELECT} WHERE o.id = $1"), id).await
}

/// The patient of a visit's lab orders; none when the visit has no order.
pub async fn patient_of_visit_orders(mut db: impl Reader, visit_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT patient_id FROM lab_order WHERE visit_id = $1 LIMIT 1")
        .bind(visit_id)
        .fetch_optional(db.exec())
        .await
}

/// Locks a visit's orders until the transaction ends (PostgreSQL; SQLite's write transaction already holds the
/// database), so two hands saving or releasing its results take turns and the second sees what the first did.
pub async fn lock_orders_of_visit(tx: &mut Tx, visit_id: i64) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("UPDATE lab_order SET updated_at = updated_at WHERE visit_id = $1").bind(visit_id),
    )
    .await
}

/// Records (or corrects) an order's result while it is not released: false when it was released or cancelled
/// meanwhile. Each save moves `resulted_at` forward, by a millisecond at least, so the version a result form
/// carries ([`OrderView::result_version`]) never names two results.
pub async fn record_result(
    tx: &mut Tx,
    order_id: i64,
    result: &ResultDetails,
    staff_id: i64,
) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE lab_order SET status = 'resulted', result_value = $2, result_unit = $3,
                range_low = CAST($4 AS DOUBLE PRECISION), range_high = CAST($5 AS DOUBLE PRECISION), flag = $6,
                result_comment = $7, resulted_by = $8, critical = $10, critical_told = $11,
                resulted_at = CASE WHEN resulted_at >= $9 THEN resulted_at + 1 ELSE $9 END,
                updated_at = CASE WHEN resulted_at >= $9 THEN resulted_at + 1 ELSE $9 END,
                collected_by = COALESCE(collected_by, $8), collected_at = COALESCE(collected_at, $9)
         WHERE id = $1 AND status IN ('ordered', 'resulted')",
        )
        .bind(order_id)
        .bind(&result.value)
        .bind(&result.unit)
        .bind(Real(result.range.low))
        .bind(Real(result.range.high))
        .bind(result.flag)
        .bind(&result.comment)
        .bind(staff_id)
        .bind(now)
        .bind(Flag(result.critical))
        .bind(&result.told),
    )
    .await
}

/// Marks an order's sample taken; false when it was taken already, or the order resulted or cancelled meanwhile.
pub async fn collect(tx: &mut Tx, order_id: i64, staff_id: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE lab_order SET collected_by = $2, collected_at = $3, updated_at = $3
         WHERE id = $1 AND status = 'ordered' AND collected_at IS NULL";
    stamp(tx, sql, order_id, staff_id).await
}

/// Releases a resulted order to the patient; false when it was not resulted (released already, say) or it
/// waits for the ordering doctor to see it.
pub async fn release(tx: &mut Tx, order_id: i64, staff_id: i64, releaser: Releaser) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE lab_order AS o SET status = 'released', released_by = $2, released_at = $3, updated_at = $3
         WHERE o.id = $1 AND o.status = 'resulted' AND NOT {}",
        releaser.waits_for_doctor_sql()
    );
    stamp(tx, &sql, order_id, staff_id).await
}

/// The ordering doctor has seen the order's result, and did `acted_on` about it (a critical one); false when it
/// was seen already, has no result or is not theirs.
pub async fn mark_seen(tx: &mut Tx, order_id: i64, doctor_id: i64, acted_on: &str) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE lab_order SET seen_by = $2, seen_at = $3, acted_on = $4
             WHERE id = $1 AND ordered_by = $2 AND seen_at IS NULL AND status IN ('resulted', 'released')",
        )
        .bind(order_id)
        .bind(doctor_id)
        .bind(Timestamp::now())
        .bind(acted_on),
    )
    .await
}

/// Runs a conditional `UPDATE` of an order that stamps who (`$2`) did it now (`$3`); whether it applied.
async fn stamp(tx: &mut Tx, sql: &str, order_id: i64, staff_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(sql).bind(order_id).bind(staff_id).bind(Timestamp::now()),
    )
    .await
}

pub struct NewHealthRecord<'a> {
    pub patient_id: i64,
    pub day: Date,
    pub eye_left: &'a str,
    pub eye_right: &'a str,
    pub notes: &'a str,
    pub outcome: Outcome,
    pub recorded_by: i64,
}

pub async fn insert_health_record(tx: &mut Tx, record: &NewHealthRecord<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO health_record (patient_id, day, eye_left, eye_right, notes, outcome, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(record.patient_id)
    .bind(record.day)
    .bind(record.eye_left)
    .bind(record.eye_right)
    .bind(record.notes)
    .bind(record.outcome)
    .bind(record.recorded_by)
    .bind(Timestamp::now())
    .fetch_one(&mut **tx)
    .await
}

/// A screening record as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HealthRecordRow {
    pub id: i64,
    pub patient_id: i64,
    pub day: Date,
    pub eye_left: String,
    pub eye_right: String,
    pub notes: String,
    pub outcome: Outcome,
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}

/// A patient's screening records, newest first.
pub async fn health_records(mut db: impl Reader, patient_id: i64) -> Result<Vec<HealthRecordRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT h.id, h.patient_id, h.day, h.eye_left, h.eye_right, h.notes, h.outcome,
                s.full_name AS recorded_by, h.recorded_at
         FROM health_record h JOIN staff s ON s.id = h.recorded_by
         WHERE h.patient_id = $1 ORDER BY h.recorded_at DESC, h.id DESC",
    )
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}
