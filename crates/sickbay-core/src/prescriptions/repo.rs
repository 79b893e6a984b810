//! All SQL of prescriptions and their items.

use super::model::{Item, ItemProgress, ListFilter, NewItem, Prescription, PrescriptionStatus, status_of};
use crate::db::paging::PageRequest;
use crate::db::{Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id, rows_for_ids};

const ITEM_SELECT: &str = "SELECT i.id, i.prescription_id, p.visit_id, i.drug_id, d.name AS drug_name, d.strength,
        d.form, i.dose, i.route, i.frequency, i.duration_days, i.quantity, i.instructions, i.allergy_override,
        i.dispensed_quantity, i.refusal, i.created_at
     FROM prescription_item i JOIN prescription p ON p.id = i.prescription_id JOIN drug d ON d.id = i.drug_id";

const PRESCRIPTION_SELECT: &str = "SELECT p.id, p.visit_id, p.patient_id,
        pt.first_name || ' ' || pt.surname AS patient_name, pt.clinic_number, pt.allergies,
        s.full_name AS doctor_name, p.status, v.day, p.created_at
     FROM prescription p JOIN visit v ON v.id = p.visit_id JOIN patient pt ON pt.id = p.patient_id
     JOIN staff s ON s.id = p.doctor_id";

/// The id of the visit's prescription, if it has one.
pub async fn prescription_id_in(tx: &mut Tx, visit_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM prescription WHERE visit_id = $1")
        .bind(visit_id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn insert_prescription(
    tx: &mut Tx,
    visit_id: i64,
    patient_id: i64,
    doctor_id: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO prescription (visit_id, patient_id, doctor_id, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(visit_id)
    .bind(patient_id)
    .bind(doctor_id)
    .bind(PrescriptionStatus::Pending)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// A prescription whose row the transaction has locked ([`lock`]). Every change of a prescription's items or
/// status takes one, so two changes of one prescription (the doctor's and the pharmacy's, or two pharmacists')
/// run one after the other, each reading the items as the other left them.
#[derive(Debug)]
pub struct Locked {
    id: i64,
}

impl Locked {
    pub fn id(&self) -> i64 {
        self.id
    }
}

/// Locks the prescription's row until the transaction ends; None when there is no such prescription. A no-op
/// update takes the row lock on PostgreSQL, as `SELECT ... FOR UPDATE` would, with SQL both backends speak
/// (SQLite's write transaction, begun IMMEDIATE, already holds the one writer's lock).
pub async fn lock(tx: &mut Tx, prescription_id: i64) -> Result<Option<Locked>, sqlx::Error> {
    let done = sqlx::query("UPDATE prescription SET updated_at = updated_at WHERE id = $1")
        .bind(prescription_id)
        .execute(&mut **tx)
        .await?;
    Ok((done.rows_affected() == 1).then_some(Locked { id: prescription_id }))
}

pub async fn insert_item(tx: &mut Tx, prescription: &Locked, item: &NewItem) -> Result<i64, sqlx::Error> {
    let prescription_id = prescription.id;
    let now = Timestamp::now();
    let id = sqlx::query_scalar(
        "INSERT INTO prescription_item (prescription_id, drug_id, dose, route, frequency, duration_days, quantity,
                                        instructions, allergy_override, dispensed_quantity, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) RETURNING id",
    )
    .bind(prescription_id)
    .bind(item.drug_id)
    .bind(&item.dose)
    .bind(item.route)
    .bind(item.frequency)
    .bind(item.duration_days)
    .bind(item.quantity)
    .bind(&item.instructions)
    .bind(item.allergy_reason.as_deref())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    touch(tx, prescription_id, now).await?;
    Ok(id)
}

/// The items of a prescription inside the caller's change, in the order written.
pub async fn items_of_prescription_in(tx: &mut Tx, prescription: &Locked) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as(&format!("{ITEM_SELECT} WHERE i.prescription_id = $1 ORDER BY i.id"))
        .bind(prescription.id)
        .fetch_all(&mut **tx)
        .await
}

/// The items of the prescriptions of `ids`, in the order written.
pub async fn items_of_prescriptions(db: impl Reader, ids: &[i64]) -> Result<Vec<Item>, sqlx::Error> {
    rows_for_ids(db, ids, |list| {
        format!("{ITEM_SELECT} WHERE i.prescription_id IN ({list}) ORDER BY i.prescription_id, i.id")
    })
    .await
}

/// Counts `units` more of the prescription's item as given, if that many are still owed and it was not refused.
pub async fn give(tx: &mut Tx, prescription: &Locked, item_id: i64, units: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE prescription_item SET dispensed_quantity = dispensed_quantity + $2
         WHERE id = $1 AND prescription_id = $3 AND refusal IS NULL AND dispensed_quantity + $2 <= quantity",
    )
    .bind(item_id)
    .bind(units)
    .bind(prescription.id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Refuses what is still owed of the prescription's item, if anything is and it was not refused already.
pub async fn refuse(tx: &mut Tx, prescription: &Locked, item_id: i64, reason: &str) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE prescription_item SET refusal = $2
         WHERE id = $1 AND prescription_id = $3 AND refusal IS NULL AND dispensed_quantity < quantity",
        )
        .bind(item_id)
        .bind(reason)
        .bind(prescription.id),
    )
    .await
}

/// Sets the prescription's status from its items and answers it (read under the lock, so no other change of
/// the prescription's items is halfway through).
pub async fn refresh_status(tx: &mut Tx, prescription: &Locked) -> Result<PrescriptionStatus, sqlx::Error> {
    let prescription_id = prescription.id;
    let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT quantity, dispensed_quantity, refusal FROM prescription_item WHERE prescription_id = $1",
    )
    .bind(prescription_id)
    .fetch_all(&mut **tx)
    .await?;
    let progress: Vec<ItemProgress> = rows
        .iter()
        .map(|(quantity, given, refusal)| ItemProgress::of(*quantity, *given, refusal.is_some()))
        .collect();
    let status = status_of(&progress);
    sqlx::query("UPDATE prescription SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(prescription_id)
        .bind(status)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(status)
}

/// The prescription with its heading.
pub async fn get(db: impl Reader, id: i64) -> Result<Option<Prescription>, sqlx::Error> {
    row_by_id(db, &format!("{PRESCRIPTION_SELECT} WHERE p.id = $1"), id).await
}

/// The pharmacy's worklist: prescriptions with something still owed (pending or partly dispensed), oldest
/// first, at most `limit`, and how many there are.
pub async fn open(mut db: impl Reader, limit: i64) -> Result<(Vec<Prescription>, i64), sqlx::Error> {
    let rows = sqlx::query_as(&format!(
        "SELECT p.id, p.visit_id, p.patient_id, pt.first_name || ' ' || pt.surname AS patient_name,
                pt.clinic_number, pt.allergies, s.full_name AS doctor_name, p.status, v.day, p.created_at
         FROM (SELECT x.id, x.visit_id, x.patient_id, x.doctor_id, x.status, x.created_at FROM prescription x
               WHERE x.status IN ('pending', 'partly_dispensed')
                 AND EXISTS (SELECT 1 FROM prescription_item i WHERE i.prescription_id = x.id)
               ORDER BY x.created_at, x.id {}) p
         JOIN visit v ON v.id = p.visit_id JOIN patient pt ON pt.id = p.patient_id
         JOIN staff s ON s.id = p.doctor_id
         ORDER BY p.created_at, p.id",
        crate::db::limit(limit)
    ))
    .fetch_all(db.exec())
    .await?;
    Ok((rows, count_open(&mut db).await?))
}

/// How many prescriptions have something still owed (the worklist's length).
pub async fn count_open(mut db: impl Reader) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM prescription x WHERE x.status IN ('pending', 'partly_dispensed')
           AND EXISTS (SELECT 1 FROM prescription_item i WHERE i.prescription_id = x.id)",
    )
    .fetch_one(db.exec())
    .await
}

/// Takes an item off the prescription while none of it was given or refused; false when nothing was deleted
/// (no such item on it, or the pharmacy gave or refused some).
pub async fn delete_item(tx: &mut Tx, prescription: &Locked, item_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM prescription_item
         WHERE id = $1 AND prescription_id = $2 AND dispensed_quantity = 0 AND refusal IS NULL",
    )
    .bind(item_id)
    .bind(prescription.id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    touch(tx, prescription.id, Timestamp::now()).await?;
    Ok(true)
}

async fn touch(tx: &mut Tx, prescription_id: i64, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE prescription SET updated_at = $2 WHERE id = $1")
        .bind(prescription_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The items of the prescriptions of `visit_ids`, in the order they were written.
pub async fn items_of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<Item>, sqlx::Error> {
    rows_for_ids(db, visit_ids, |list| {
        format!("{ITEM_SELECT} WHERE p.visit_id IN ({list}) ORDER BY p.visit_id, i.id")
    })
    .await
}

pub async fn item_in(tx: &mut Tx, item_id: i64) -> Result<Option<Item>, sqlx::Error> {
    sqlx::query_as(&format!("{ITEM_SELECT} WHERE i.id = $1"))
        .bind(item_id)
        .fetch_optional(&mut **tx)
        .await
}

/// The visit's prescription with its heading, if it has one.
pub async fn of_visit(mut db: impl Reader, visit_id: i64) -> Result<Option<Prescription>, sqlx::Error> {
    sqlx::query_as(&format!("{PRESCRIPTION_SELECT} WHERE p.visit_id = $1"))
        .bind(visit_id)
        .fetch_optional(db.exec())
        .await
}

/// The visit's prescription if it is the patient's own.
pub async fn of_visit_of_patient(
    mut db: impl Reader,
    visit_id: i64,
    patient_id: i64,
) -> Result<Option<Prescription>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{PRESCRIPTION_SELECT} WHERE p.visit_id = $1 AND p.patient_id = $2"
    ))
    .bind(visit_id)
    .bind(patient_id)
    .fetch_optional(db.exec())
    .await
}

/// A prescription in the pharmacy's list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Listed {
    pub visit_id: i64,
    pub patient_name: String,
    pub clinic_number: String,
    pub doctor_name: String,
    pub status: PrescriptionStatus,
    pub created_at: Timestamp,
    pub items: i64,
}

/// One page of the prescriptions with at least one item that `filter` lets through, pending first, newest
/// first, and how many there are. The page is chosen among the prescriptions before anything is joined to it
/// (joined first, SQLite read every patient to find the few with a prescription); only its rows count their
/// items. A search narrows them to the patients its terms find in the patients' search tokens.
pub async fn list(db: impl Reader, filter: &ListFilter, page: PageRequest) -> Result<(Vec<Listed>, i64), sqlx::Error> {
    let (conditions, values) = list_conditions(filter);
    let sql = format!(
        "SELECT p.visit_id, pt.first_name || ' ' || pt.surname AS patient_name, pt.clinic_number,
                s.full_name AS doctor_name, p.status, p.created_at,
                (SELECT COUNT(*) FROM prescription_item i WHERE i.prescription_id = p.id) AS items
         FROM (SELECT x.id, x.visit_id, x.patient_id, x.doctor_id, x.status, x.created_at FROM prescription x
               WHERE {conditions}
               ORDER BY CASE WHEN x.status = 'pending' THEN 0 ELSE 1 END, x.created_at DESC, x.id DESC
               {}) p
         JOIN patient pt ON pt.id = p.patient_id JOIN staff s ON s.id = p.doctor_id
         ORDER BY CASE WHEN p.status = 'pending' THEN 0 ELSE 1 END, p.created_at DESC, p.id DESC",
        page.sql()
    );
    let count = format!("SELECT COUNT(*) FROM prescription x WHERE {conditions}");
    crate::db::page_and_total(db, &sql, &count, &values).await
}

/// The `WHERE` of the list over `prescription x`, with the values of its parameters in order.
fn list_conditions(filter: &ListFilter) -> (String, Vec<String>) {
    let mut conditions = vec!["EXISTS (SELECT 1 FROM prescription_item i WHERE i.prescription_id = x.id)".to_owned()];
    let mut values = Vec::new();
    if let Some(status) = filter.status {
        values.push(status.as_str().to_owned());
        conditions.push(format!("x.status = ${}", values.len()));
    }
    conditions.extend(crate::patients::repo::patient_matches(
        "x.patient_id",
        &filter.terms(),
        &mut values,
    ));
    (conditions.join(" AND "), values)
}
