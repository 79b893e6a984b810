//! The SQL of visits, vitals, clinical notes and their drafts, and diagnoses.

use super::model::{NoteKind, Recorded, Visit, VisitLine, VisitStatus, Vitals};
use crate::db::{Date, Reader, Timestamp, Tx, changed_one_row, inserted_id, row_by_id, rows_for_ids, run};

const VISIT_SELECT: &str = "SELECT v.id, v.patient_id, v.doctor_id, s.full_name AS doctor_name, v.ticket_id,
        v.appointment_id, v.day, v.status, v.started_at, v.completed_at
     FROM visit v JOIN staff s ON s.id = v.doctor_id";

pub async fn visit(db: impl Reader, id: i64) -> Result<Option<Visit>, sqlx::Error> {
    row_by_id(db, &format!("{VISIT_SELECT} WHERE v.id = $1"), id).await
}

pub async fn visit_of_ticket_in(tx: &mut Tx, ticket_id: i64) -> Result<Option<Visit>, sqlx::Error> {
    sqlx::query_as(&format!("{VISIT_SELECT} WHERE v.ticket_id = $1"))
        .bind(ticket_id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn visit_of_ticket(mut db: impl Reader, ticket_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM visit WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(db.exec())
        .await
}

/// The open visit of a patient with a doctor, if there is one (at most one, by a unique index).
pub async fn open_visit_in(tx: &mut Tx, patient_id: i64, doctor_id: i64) -> Result<Option<Visit>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VISIT_SELECT} WHERE v.patient_id = $1 AND v.doctor_id = $2 AND v.status = 'open'"
    ))
    .bind(patient_id)
    .bind(doctor_id)
    .fetch_optional(&mut **tx)
    .await
}

pub struct NewVisit {
    pub patient_id: i64,
    pub doctor_id: i64,
    pub ticket_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub day: Date,
}

pub async fn insert_visit(tx: &mut Tx, new: &NewVisit) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let query = sqlx::query(
        "INSERT INTO visit (patient_id, doctor_id, ticket_id, appointment_id, day, status, started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING id",
    )
    .bind(new.patient_id)
    .bind(new.doctor_id)
    .bind(new.ticket_id)
    .bind(new.appointment_id)
    .bind(new.day)
    .bind(now);
    inserted_id(tx, query).await
}

/// Gives an open visit without a ticket the ticket it continues in (a doctor opened the visit from the
/// patient's record before starting their ticket).
pub async fn attach_ticket(
    tx: &mut Tx,
    visit_id: i64,
    ticket_id: i64,
    appointment_id: Option<i64>,
) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE visit SET ticket_id = $2, appointment_id = COALESCE(appointment_id, $3), updated_at = $4
         WHERE id = $1 AND ticket_id IS NULL AND status = 'open'",
        )
        .bind(visit_id)
        .bind(ticket_id)
        .bind(appointment_id)
        .bind(Timestamp::now()),
    )
    .await
}

/// Completes an open visit; false when it was not open (completed a moment ago).
pub async fn complete_visit(tx: &mut Tx, visit_id: i64) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    let done =
        sqlx::query("UPDATE visit SET status = $2, completed_at = $3, updated_at = $3 WHERE id = $1 AND status = $4")
            .bind(visit_id)
            .bind(VisitStatus::Completed)
            .bind(now)
            .bind(VisitStatus::Open)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the visit's row until the transaction ends (PostgreSQL; SQLite's write transaction already holds
/// the database), so a change and the completion of the visit can't interleave.
pub async fn lock_visit(tx: &mut Tx, visit_id: i64) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("UPDATE visit SET updated_at = updated_at WHERE id = $1").bind(visit_id),
    )
    .await
}

/// A visit in a list: whose, with whom, when and whether open.
const VISIT_LINE_SELECT: &str = "SELECT v.id, v.patient_id, p.first_name || ' ' || p.surname AS patient_name,
        v.doctor_id, s.full_name AS doctor_name, v.day, v.status, v.started_at
     FROM visit v JOIN staff s ON s.id = v.doctor_id JOIN patient p ON p.id = v.patient_id";

/// The patient's latest visits, newest first.
pub async fn visits_of_patient(db: impl Reader, patient_id: i64, limit: i64) -> Result<Vec<VisitLine>, sqlx::Error> {
    visits_of_patient_after(db, patient_id, None, limit).await
}

/// At most `limit` of the patient's visits, newest first (by start, then by id), after the visit started at
/// `after` (from the newest without it).
pub async fn visits_of_patient_after(
    mut db: impl Reader,
    patient_id: i64,
    after: Option<(Timestamp, i64)>,
    limit: i64,
) -> Result<Vec<VisitLine>, sqlx::Error> {
    let (at, id) = after.unwrap_or((Timestamp(i64::MAX), i64::MAX));
    sqlx::query_as(&format!(
        "{VISIT_LINE_SELECT}
         WHERE v.patient_id = $1 AND (v.started_at, v.id) < ($2, $3)
         ORDER BY v.started_at DESC, v.id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(patient_id)
    .bind(at)
    .bind(id)
    .fetch_all(db.exec())
    .await
}

/// A doctor's open visits, oldest first.
pub async fn open_visits_of_doctor(
    mut db: impl Reader,
    doctor_id: i64,
    limit: i64,
) -> Result<Vec<VisitLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VISIT_LINE_SELECT}
         WHERE v.doctor_id = $1 AND v.status = 'open' ORDER BY v.started_at, v.id {}",
        crate::db::limit(limit)
    ))
    .bind(doctor_id)
    .fetch_all(db.exec())
    .await
}

/// How many visits are open: one doctor's (index `visit_doctor`) or everyone's (index `visit_open`).
pub async fn count_open_visits(mut db: impl Reader, doctor_id: Option<i64>) -> Result<i64, sqlx::Error> {
    let query = match doctor_id {
        Some(doctor_id) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM visit WHERE doctor_id = $1 AND status = 'open'").bind(doctor_id)
        }
        None => sqlx::query_scalar("SELECT COUNT(*) FROM visit WHERE status = 'open'"),
    };
    query.fetch_one(db.exec()).await
}

/// How many visits started on a clinic day.
pub async fn count_visits_on(mut db: impl Reader, day: Date) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM visit WHERE day = $1")
        .bind(day)
        .fetch_one(db.exec())
        .await
}

/// The open visits of every doctor, oldest first, at most `limit` (the lab's list for vitals).
pub async fn open_visits(mut db: impl Reader, limit: i64) -> Result<Vec<VisitLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VISIT_LINE_SELECT}
         WHERE v.status = 'open' ORDER BY v.started_at, v.id {}",
        crate::db::limit(limit)
    ))
    .fetch_all(db.exec())
    .await
}

/// The patient's last weight recorded since `since`, in tenths of a kilogram.
pub async fn last_weight(tx: &mut Tx, patient_id: i64, since: Timestamp) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT weight_tenths FROM vitals
         WHERE patient_id = $1 AND weight_tenths IS NOT NULL AND recorded_at >= $2
         ORDER BY recorded_at DESC, id DESC LIMIT 1",
    )
    .bind(patient_id)
    .bind(since)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn insert_vitals(
    tx: &mut Tx,
    patient_id: i64,
    visit_id: Option<i64>,
    health_record_id: Option<i64>,
    vitals: &Vitals,
    staff_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO vitals (patient_id, visit_id, health_record_id, systolic, diastolic, temperature_tenths, pulse,
                             respiratory_rate, spo2, weight_tenths, height_mm, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(patient_id)
    .bind(visit_id)
    .bind(health_record_id)
    .bind(vitals.systolic)
    .bind(vitals.diastolic)
    .bind(vitals.temperature_tenths)
    .bind(vitals.pulse)
    .bind(vitals.respiratory_rate)
    .bind(vitals.spo2)
    .bind(vitals.weight_tenths)
    .bind(vitals.height_mm)
    .bind(staff_id)
    .bind(Timestamp::now())
    .fetch_one(&mut **tx)
    .await
}

/// The columns of a [`Recorded`] reading, with who recorded it, over `vitals x`.
const VITALS_SELECT: &str = "SELECT x.id, x.visit_id, x.health_record_id, x.systolic, x.diastolic,
        x.temperature_tenths, x.pulse, x.respiratory_rate, x.spo2, x.weight_tenths, x.height_mm,
        s.full_name AS recorded_by, x.recorded_at
     FROM vitals x JOIN staff s ON s.id = x.recorded_by";

/// The patient's latest vitals, newest first (the visit's own and earlier readings alike).
pub async fn vitals_of_patient(mut db: impl Reader, patient_id: i64, limit: i64) -> Result<Vec<Recorded>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VITALS_SELECT} WHERE x.patient_id = $1 ORDER BY x.recorded_at DESC, x.id DESC {}",
        crate::db::limit(limit)
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}

pub async fn insert_note(
    tx: &mut Tx,
    visit_id: i64,
    kind: NoteKind,
    body: &str,
    author_id: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO clinical_note (visit_id, kind, body, author_id, written_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(visit_id)
    .bind(kind)
    .bind(body)
    .bind(author_id)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// A signed note.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Note {
    pub id: i64,
    pub visit_id: i64,
    pub kind: NoteKind,
    pub body: String,
    pub author: String,
    pub written_at: Timestamp,
}

const NOTE_SELECT: &str = "SELECT n.id, n.visit_id, n.kind, n.body, s.full_name AS author, n.written_at
     FROM clinical_note n JOIN staff s ON s.id = n.author_id";

pub async fn notes_of_visit(mut db: impl Reader, visit_id: i64) -> Result<Vec<Note>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{NOTE_SELECT} WHERE n.visit_id = $1 ORDER BY n.written_at, n.id"
    ))
    .bind(visit_id)
    .fetch_all(db.exec())
    .await
}

/// Saves what the author has typed so far; an empty draft is forgotten.
pub async fn save_draft(
    tx: &mut Tx,
    visit_id: i64,
    author_id: i64,
    kind: NoteKind,
    body: &str,
) -> Result<(), sqlx::Error> {
    if body.is_empty() {
        return delete_draft(tx, visit_id, author_id, kind).await;
    }
    run(
        tx,
        sqlx::query(
            "INSERT INTO note_draft (visit_id, author_id, kind, body, saved_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (visit_id, author_id, kind) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
        )
        .bind(visit_id)
        .bind(author_id)
        .bind(kind)
        .bind(body)
        .bind(Timestamp::now()),
    )
    .await
}

/// Whether the author signed a note of this kind with exactly this text in the visit.
pub async fn is_signed(
    tx: &mut Tx,
    visit_id: i64,
    author_id: i64,
    kind: NoteKind,
    body: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM clinical_note WHERE visit_id = $1 AND author_id = $2 AND kind = $3 AND body = $4 LIMIT 1",
    )
    .bind(visit_id)
    .bind(author_id)
    .bind(kind)
    .bind(body)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

pub async fn delete_draft(tx: &mut Tx, visit_id: i64, author_id: i64, kind: NoteKind) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query("DELETE FROM note_draft WHERE visit_id = $1 AND author_id = $2 AND kind = $3")
            .bind(visit_id)
            .bind(author_id)
            .bind(kind),
    )
    .await
}

/// A draft waiting to be signed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Draft {
    pub kind: NoteKind,
    pub body: String,
    pub saved_at: Timestamp,
}

pub async fn drafts_of(mut db: impl Reader, visit_id: i64, author_id: i64) -> Result<Vec<Draft>, sqlx::Error> {
    sqlx::query_as("SELECT kind, body, saved_at FROM note_draft WHERE visit_id = $1 AND author_id = $2")
        .bind(visit_id)
        .bind(author_id)
        .fetch_all(db.exec())
        .await
}

pub async fn insert_diagnosis(
    tx: &mut Tx,
    visit: &Visit,
    code: Option<&str>,
    description: &str,
    doctor_id: i64,
) -> Result<i64, sqlx::Error> {
    let query = sqlx::query(
        "INSERT INTO diagnosis (visit_id, patient_id, doctor_id, code, description, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(visit.id)
    .bind(visit.patient_id)
    .bind(doctor_id)
    .bind(code)
    .bind(description)
    .bind(Timestamp::now());
    inserted_id(tx, query).await
}

/// Whether the visit has a diagnosis with this ICD-10 code already.
pub async fn has_diagnosis_code(tx: &mut Tx, visit_id: i64, code: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM diagnosis WHERE visit_id = $1 AND code = $2 LIMIT 1")
        .bind(visit_id)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

/// Deletes one of the visit's diagnoses; returns what it said (its code and description), or None when the visit
/// has no such diagnosis.
pub async fn delete_diagnosis(
    tx: &mut Tx,
    visit_id: i64,
    diagnosis_id: i64,
) -> Result<Option<RemovedDiagnosis>, sqlx::Error> {
    sqlx::query_as("DELETE FROM diagnosis WHERE id = $1 AND visit_id = $2 RETURNING code, description")
        .bind(diagnosis_id)
        .bind(visit_id)
        .fetch_optional(&mut **tx)
        .await
}

/// A diagnosis just removed: enough to add it again.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RemovedDiagnosis {
    pub code: Option<String>,
    pub description: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Diagnosis {
    pub id: i64,
    pub visit_id: i64,
    pub code: Option<String>,
    pub description: String,
}

impl Diagnosis {
    /// The diagnosis as its patient reads it.
    pub fn plain_words(&self) -> String {
        super::model::diagnosis_in_plain_words(&self.description)
    }
}

pub async fn diagnoses_of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<Diagnosis>, sqlx::Error> {
    rows_for_ids(db, visit_ids, |list| {
        format!("SELECT id, visit_id, code, description FROM diagnosis WHERE visit_id IN ({list}) ORDER BY id")
    })
    .await
}

/// How many of a doctor's latest diagnoses their favourites are counted from: what they diagnose these weeks,
/// and a bounded read however long they have worked here.
const FAVOURITES_FROM: i64 = 300;

/// The diagnoses the doctor used most among their latest, most used first.
pub async fn favourite_diagnoses(
    mut db: impl Reader,
    doctor_id: i64,
    limit: i64,
) -> Result<Vec<(Option<String>, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT code, description FROM (
             SELECT code, description FROM diagnosis WHERE doctor_id = $1 ORDER BY recorded_at DESC {}
         ) recent
         GROUP BY code, description ORDER BY COUNT(*) DESC, description {}",
        crate::db::limit(FAVOURITES_FROM),
        crate::db::limit(limit)
    ))
    .bind(doctor_id)
    .fetch_all(db.exec())
    .await
}

/// The notes of several visits (a chart), oldest first within each.
pub async fn notes_of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<Note>, sqlx::Error> {
    rows_for_ids(db, visit_ids, |list| {
        format!("{NOTE_SELECT} WHERE n.visit_id IN ({list}) ORDER BY n.written_at, n.id")
    })
    .await
}

/// The vitals recorded in several visits (a chart), oldest first.
pub async fn vitals_of_visits(db: impl Reader, visit_ids: &[i64]) -> Result<Vec<Recorded>, sqlx::Error> {
    rows_for_ids(db, visit_ids, |list| {
        format!("{VITALS_SELECT} WHERE x.visit_id IN ({list}) ORDER BY x.recorded_at, x.id")
    })
    .await
}

/// One of the patient's own visits (the query decides whose), for their phone.
pub async fn own_visit(mut db: impl Reader, patient_id: i64, visit_id: i64) -> Result<Option<VisitLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{VISIT_LINE_SELECT}
         WHERE v.id = $1 AND v.patient_id = $2"
    ))
    .bind(visit_id)
    .bind(patient_id)
    .fetch_optional(db.exec())
    .await
}

/// The vitals recorded with these health records (the lab's screenings), oldest first.
pub async fn vitals_of_health_records(db: impl Reader, ids: &[i64]) -> Result<Vec<Recorded>, sqlx::Error> {
    rows_for_ids(db, ids, |list| {
        format!("{VITALS_SELECT} WHERE x.health_record_id IN ({list}) ORDER BY x.recorded_at, x.id")
    })
    .await
}
