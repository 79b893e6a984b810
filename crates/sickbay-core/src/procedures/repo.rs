//! All SQL of procedures: the catalogue and the procedures done in visits.

use super::model::{ProcedureInput, ProcedureType, VisitProcedure};
use crate::db::{Flag, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id, run};

const TYPE_COLUMNS: &str = "id, name, price, active, updated_at";

const DONE_COLUMNS: &str = "vp.id, vp.visit_id, vp.procedure_type_id, pt.name, pt.price, vp.note, vp.performed_by,
    s.full_name AS performed_by_name, vp.performed_at";

/// The whole catalogue: active entries first, then by name.
pub async fn types(mut db: impl Reader) -> Result<Vec<ProcedureType>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TYPE_COLUMNS} FROM procedure_type ORDER BY active DESC, LOWER(name), id"
    ))
    .fetch_all(db.exec())
    .await
}

/// The entries that can be recorded now, by name.
pub async fn active_types(mut db: impl Reader) -> Result<Vec<ProcedureType>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TYPE_COLUMNS} FROM procedure_type WHERE active = 1 ORDER BY LOWER(name), id"
    ))
    .fetch_all(db.exec())
    .await
}

pub async fn get_type(db: impl Reader, id: i64) -> Result<Option<ProcedureType>, sqlx::Error> {
    row_by_id(
        db,
        &format!("SELECT {TYPE_COLUMNS} FROM procedure_type WHERE id = $1"),
        id,
    )
    .await
}

/// Inserts an entry; a name taken in any case surfaces as a unique violation.
pub async fn insert_type(tx: &mut Tx, input: &ProcedureInput) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO procedure_type (name, price, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(&input.name)
    .bind(input.price)
    .bind(Flag(input.active))
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// Changes an entry if it still has `seen`; answers whether it did.
pub async fn update_type(tx: &mut Tx, id: i64, seen: Timestamp, input: &ProcedureInput) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE procedure_type SET name = $1, price = $2, active = $3, updated_at = $4
         WHERE id = $5 AND updated_at = $6",
        )
        .bind(&input.name)
        .bind(input.price)
        .bind(Flag(input.active))
        .bind(seen.now_after())
        .bind(id)
        .bind(seen),
    )
    .await
}

pub async fn insert_done(
    tx: &mut Tx,
    visit_id: i64,
    procedure_type_id: i64,
    note: &str,
    performed_by: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO visit_procedure (visit_id, procedure_type_id, note, performed_by, performed_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(visit_id)
    .bind(procedure_type_id)
    .bind(note)
    .bind(performed_by)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// The procedure `id` of the visit, as it is inside the caller's transaction.
pub async fn done_in(tx: &mut Tx, visit_id: i64, id: i64) -> Result<Option<VisitProcedure>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DONE_COLUMNS} FROM visit_procedure vp
         JOIN procedure_type pt ON pt.id = vp.procedure_type_id
         JOIN staff s ON s.id = vp.performed_by
         WHERE vp.id = $1 AND vp.visit_id = $2"
    ))
    .bind(id)
    .bind(visit_id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn delete_done(tx: &mut Tx, visit_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("DELETE FROM visit_procedure WHERE id = $1 AND visit_id = $2")
            .bind(id)
            .bind(visit_id),
    )
    .await
}

/// The procedures done in these visits, in the order they were done.
pub async fn done_in_visits(mut db: impl Reader, visit_ids: &[i64]) -> Result<Vec<VisitProcedure>, sqlx::Error> {
    if visit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = visit_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query_as(&format!(
        "SELECT {DONE_COLUMNS} FROM visit_procedure vp
         JOIN procedure_type pt ON pt.id = vp.procedure_type_id
         JOIN staff s ON s.id = vp.performed_by
         WHERE vp.visit_id IN ({list}) ORDER BY vp.performed_at, vp.id"
    ))
    .fetch_all(db.exec())
    .await
}

/// The supplies a procedure of this type uses: (drug, units), by drug; on the pool or inside a change.
pub async fn supplies(mut db: impl Reader, procedure_type_id: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT drug_id, quantity FROM procedure_supply WHERE procedure_type_id = $1 ORDER BY drug_id")
        .bind(procedure_type_id)
        .fetch_all(db.exec())
        .await
}

/// Sets how many units of a drug a procedure type uses (adding it, or changing the number).
pub async fn set_supply(tx: &mut Tx, procedure_type_id: i64, drug_id: i64, units: i64) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query(
            "INSERT INTO procedure_supply (procedure_type_id, drug_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (procedure_type_id, drug_id) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(procedure_type_id)
        .bind(drug_id)
        .bind(units),
    )
    .await
}

pub async fn remove_supply(tx: &mut Tx, procedure_type_id: i64, drug_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("DELETE FROM procedure_supply WHERE procedure_type_id = $1 AND drug_id = $2")
            .bind(procedure_type_id)
            .bind(drug_id),
    )
    .await
}
