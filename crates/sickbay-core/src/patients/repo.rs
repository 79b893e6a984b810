//! All SQL of patients.

use super::activity::{Activity, FEED_LENGTH};
use super::model::{
    ClinicalAlerts, ContactDetails, MatricNumber, Patient, PatientDetails, PatientSummary, PortalAccess, SheetFilter,
    SheetStudent, StudentRecord, prefix_range, search_tokens,
};
use crate::db::{Backend, Date, Flag, Reader, Timestamp, Tx, changed_one_row, row_by_id};
use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments};

const PATIENT_COLUMNS: &str = "p.id, p.clinic_number, p.kind, p.matric_number, p.first_name, p.surname, p.other_names,
    p.sex, p.date_of_birth, p.phone, p.email, p.address, p.emergency_name, p.emergency_phone,
    p.emergency_relationship, p.blood_group, p.genotype, p.allergies, p.chronic_conditions, p.faculty_id,
    p.department_id, p.level_id, p.session_id,
    CAST(CASE WHEN p.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, p.must_change_password, p.approved,
    p.active, CAST(CASE WHEN ph.patient_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_photo, p.contact_by, p.created_at,
    p.updated_at";

const SUMMARY_COLUMNS: &str =
    "id, clinic_number, matric_number, first_name, surname, other_names, date_of_birth, phone, kind, active";

/// The details' values in the order of the `kind, matric_number, ..., session_id` columns, as the insert and
/// the update both bind them.
fn add_details<'q>(values: &mut AnyArguments<'q>, d: &'q PatientDetails) -> Result<(), sqlx::Error> {
    add(values, d.kind)?;
    add(values, d.matric_number.as_ref().map(MatricNumber::as_str))?;
    add(values, d.first_name.as_str())?;
    add(values, d.surname.as_str())?;
    add(values, d.other_names.as_str())?;
    add(values, d.sex)?;
    add(values, d.date_of_birth)?;
    add(values, d.phone.as_deref())?;
    add(values, d.email.as_deref())?;
    add(values, d.address.as_str())?;
    add(values, d.emergency_name.as_str())?;
    add(values, d.emergency_phone.as_str())?;
    add(values, d.emergency_relationship.as_str())?;
    add(values, d.blood_group)?;
    add(values, d.genotype)?;
    add(values, d.allergies.as_str())?;
    add(values, d.chronic_conditions.as_str())?;
    add(values, d.faculty_id)?;
    add(values, d.department_id)?;
    add(values, d.level_id)?;
    add(values, d.session_id)
}

/// Adds the next parameter's value.
fn add<'q, T>(values: &mut AnyArguments<'q>, value: T) -> Result<(), sqlx::Error>
where
    T: sqlx::Encode<'q, Any> + sqlx::Type<Any> + 'q,
{
    values.add(value).map_err(sqlx::Error::Encode)
}

/// Inserts a patient; `None` when the matric number is already on record (checked by the unique index,
/// so two registrations racing for one matric number can't both succeed).
pub async fn insert(
    tx: &mut Tx,
    clinic_number: &str,
    d: &PatientDetails,
    portal: PortalAccess<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let now = Timestamp::now();
    let matric = d.matric_number.as_ref().map(MatricNumber::as_str);
    let mut values = AnyArguments::default();
    add(&mut values, clinic_number)?;
    add_details(&mut values, d)?;
    add(&mut values, portal.password_hash)?;
    add(&mut values, Flag(portal.must_change_password))?;
    add(&mut values, Flag(portal.approved))?;
    add(&mut values, now)?;
    let id: Option<i64> = sqlx::query_scalar_with(
        "INSERT INTO patient (clinic_number, kind, matric_number, first_name, surname, other_names, sex, date_of_birth,
             phone, email, address, emergency_name, emergency_phone, emergency_relationship, blood_group, genotype,
             allergies, chronic_conditions, faculty_id, department_id, level_id, session_id, password_hash,
             must_change_password, approved, active, session_version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
                 $23, $24, $25, 1, 1, $26, $26)
         ON CONFLICT (matric_number) DO NOTHING
         RETURNING id",
        values,
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        let tokens = search_tokens(
            &d.first_name,
            &d.surname,
            &d.other_names,
            matric,
            clinic_number,
            d.phone.as_deref(),
        );
        insert_search_tokens(tx, id, (&d.surname, &d.first_name), &tokens).await?;
    }
    Ok(id)
}

/// Conditions that `column` (a patient's id) names a patient each of `terms` begins a search token of, their
/// bounds pushed onto `values` (numbered on from those already there): how the invoice and prescription lists
/// find a patient's rows through the tokens' index rather than a LIKE over every row.
pub fn patient_matches(column: &str, terms: &[String], values: &mut Vec<String>) -> Vec<String> {
    let mut conditions = Vec::new();
    for term in terms {
        let (low, high) = prefix_range(term);
        values.push(low);
        values.push(high);
        conditions.push(format!(
            "{column} IN (SELECT patient_id FROM patient_search_token WHERE token >= ${} AND token < ${})",
            values.len() - 1,
            values.len()
        ));
    }
    conditions
}

/// Replaces the details of a record still at `seen_updated_at`; answers whether it did.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    clinic_number: &str,
    seen_updated_at: Timestamp,
    d: &PatientDetails,
) -> Result<bool, sqlx::Error> {
    let matric = d.matric_number.as_ref().map(MatricNumber::as_str);
    let mut values = AnyArguments::default();
    add_details(&mut values, d)?;
    add(&mut values, seen_updated_at.now_after())?;
    add(&mut values, id)?;
    add(&mut values, seen_updated_at)?;
    let done = sqlx::query_with(
        "UPDATE patient SET kind = $1, matric_number = $2, first_name = $3, surname = $4, other_names = $5, sex = $6,
             date_of_birth = $7, phone = $8, email = $9, address = $10, emergency_name = $11, emergency_phone = $12,
             emergency_relationship = $13, blood_group = $14, genotype = $15, allergies = $16,
             chronic_conditions = $17, faculty_id = $18, department_id = $19, level_id = $20, session_id = $21,
             updated_at = $22
         WHERE id = $23 AND updated_at = $24",
        values,
    )
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    save_search_tokens(
        tx,
        id,
        &d.first_name,
        &d.surname,
        &d.other_names,
        matric,
        clinic_number,
        d.phone.as_deref(),
    )
    .await?;
    Ok(true)
}

/// Rewrites the patient's allergies and chronic conditions if the record is still as the form showed it
/// (`seen_updated_at`); false otherwise, or when there is no such patient.
pub async fn update_alerts(
    tx: &mut Tx,
    id: i64,
    seen_updated_at: Timestamp,
    alerts: &ClinicalAlerts,
) -> Result<bool, sqlx::Error> {
    let query = sqlx::query(
        "UPDATE patient SET allergies = $1, chronic_conditions = $2, updated_at = $3 WHERE id = $4 AND updated_at = $5",
    )
    .bind(&alerts.allergies)
    .bind(&alerts.chronic_conditions)
    .bind(seen_updated_at.now_after())
    .bind(id)
    .bind(seen_updated_at);
    changed_one_row(tx, query).await
}

/// The portal's contact details (phone, email, emergency contact); the search tokens follow the phone.
pub async fn update_contact(tx: &mut Tx, id: i64, c: &ContactDetails) -> Result<bool, sqlx::Error> {
    let Some(p) = get(&mut *tx, id).await? else {
        return Ok(false);
    };
    let done = sqlx::query(
        "UPDATE patient SET phone = $1, email = $2, emergency_name = $3, emergency_phone = $4,
             emergency_relationship = $5, contact_by = COALESCE($6, contact_by), updated_at = $7
         WHERE id = $8",
    )
    .bind(c.phone.as_deref())
    .bind(c.email.as_deref())
    .bind(&c.emergency_name)
    .bind(&c.emergency_phone)
    .bind(&c.emergency_relationship)
    .bind(c.contact_by.map(|c| c.as_str()))
    .bind(Timestamp::now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let matric = p.matric_number.as_deref();
    save_search_tokens(
        tx,
        id,
        &p.first_name,
        &p.surname,
        &p.other_names,
        matric,
        &p.clinic_number,
        c.phone.as_deref(),
    )
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The students among `matrics` already on record.
pub async fn students_by_matric(tx: &mut Tx, matrics: &[&str]) -> Result<Vec<StudentRecord>, sqlx::Error> {
    if matrics.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=matrics.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, clinic_number, matric_number, first_name, surname, other_names, sex, date_of_birth, email, phone,
                faculty_id, department_id, level_id
         FROM patient WHERE matric_number IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, StudentRecord>(&sql);
    for matric in matrics {
        query = query.bind(*matric);
    }
    query.fetch_all(&mut **tx).await
}

/// Writes a student's record as the import changed it; the search tokens follow the names and phone.
pub async fn update_student(tx: &mut Tx, s: &StudentRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE patient SET first_name = $1, surname = $2, other_names = $3, sex = $4, date_of_birth = $5, email = $6,
             phone = $7, faculty_id = $8, department_id = $9, level_id = $10, updated_at = $11
         WHERE id = $12",
    )
    .bind(&s.first_name)
    .bind(&s.surname)
    .bind(&s.other_names)
    .bind(s.sex)
    .bind(s.date_of_birth)
    .bind(s.email.as_deref())
    .bind(s.phone.as_deref())
    .bind(s.faculty_id)
    .bind(s.department_id)
    .bind(s.level_id)
    .bind(Timestamp::now())
    .bind(s.id)
    .execute(&mut **tx)
    .await?;
    save_search_tokens(
        tx,
        s.id,
        &s.first_name,
        &s.surname,
        &s.other_names,
        Some(s.matric_number.as_str()),
        &s.clinic_number,
        s.phone.as_deref(),
    )
    .await
}

/// Replaces a patient's search tokens (after any change to names, numbers or phone).
#[allow(clippy::too_many_arguments)]
pub async fn save_search_tokens(
    tx: &mut Tx,
    id: i64,
    first_name: &str,
    surname: &str,
    other_names: &str,
    matric: Option<&str>,
    clinic_number: &str,
    phone: Option<&str>,
) -> Result<(), sqlx::Error> {
    let tokens = search_tokens(first_name, surname, other_names, matric, clinic_number, phone);
    sqlx::query("DELETE FROM patient_search_token WHERE patient_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_search_tokens(tx, id, (surname, first_name), &tokens).await
}

/// Makes every patient's search tokens again, from their current details.
pub async fn rebuild_search_tokens(tx: &mut Tx) -> Result<u64, sqlx::Error> {
    type Searchable = (i64, String, String, String, Option<String>, String, Option<String>);
    hold_off_token_writers(tx).await?;
    let patients: Vec<Searchable> = sqlx::query_as(
        "SELECT id, first_name, surname, other_names, matric_number, clinic_number, phone FROM patient ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM patient_search_token")
        .execute(&mut **tx)
        .await?;
    for (id, first_name, surname, other_names, matric, clinic_number, phone) in &patients {
        let tokens = search_tokens(
            first_name,
            surname,
            other_names,
            matric.as_deref(),
            clinic_number,
            phone.as_deref(),
        );
        insert_search_tokens(tx, *id, (surname, first_name), &tokens).await?;
    }
    Ok(patients.len() as u64)
}

/// Makes every other writer of search tokens wait for this transaction, and waits for those under way. Without
/// it, on PostgreSQL, a registration committed between the rebuild's read of the patients and its delete of every
/// token lost its tokens, and the patient could not be found. SQLite's write transaction already has the database
/// to itself.
async fn hold_off_token_writers(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        sqlx::query("LOCK TABLE patient_search_token IN SHARE MODE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Adds search tokens to a patient that has none yet (a new record), each with the `(surname, first name)` the
/// matches are listed by.
pub async fn insert_search_tokens(
    tx: &mut Tx,
    id: i64,
    (surname, first_name): (&str, &str),
    tokens: &[String],
) -> Result<(), sqlx::Error> {
    if tokens.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..tokens.len()).map(|i| format!("(${}, $1, $2, $3)", i + 4)).collect();
    let sql = format!(
        "INSERT INTO patient_search_token (token, patient_id, surname, first_name) VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(id).bind(surname).bind(first_name);
    for token in tokens {
        query = query.bind(token);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

pub async fn get(db: impl Reader, id: i64) -> Result<Option<Patient>, sqlx::Error> {
    row_by_id(
        db,
        &format!(
            "SELECT {PATIENT_COLUMNS} FROM patient p LEFT JOIN patient_photo ph ON ph.patient_id = p.id WHERE p.id = $1"
        ),
        id,
    )
    .await
}

pub async fn approve(tx: &mut Tx, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE patient SET approved = 1, updated_at = $1 WHERE id = $2 AND approved = 0")
        .bind(Timestamp::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The patients who came in on `day` (a ticket that day), the latest arrival first, at most `limit`: what the
/// patients page lists before anyone types.
pub async fn arrived_on(mut db: impl Reader, day: Date, limit: i64) -> Result<Vec<PatientSummary>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM patient p JOIN (
             SELECT patient_id, MAX(id) AS latest FROM ticket WHERE day = $1 GROUP BY patient_id
         ) t ON t.patient_id = p.id
         ORDER BY t.latest DESC LIMIT $2"
    ))
    .bind(day)
    .bind(limit)
    .fetch_all(db.exec())
    .await
}

/// The patient with the exact matric or clinic number; else up to 20 patients, by name, with for every term a
/// search token that begins with it. The matches are found and ordered in the token index first (one range scan
/// per term, intersected) and then joined to the patients, a shape both planners run well even before they
/// have statistics.
pub async fn search(mut db: impl Reader, terms: &[String], exact: &str) -> Result<Vec<PatientSummary>, sqlx::Error> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // A whole matric or clinic number (scanned from a card, or typed in full) is one unique-index lookup.
    let exact = exact.trim().to_uppercase();
    let found: Vec<PatientSummary> = sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM patient WHERE matric_number = $1 OR clinic_number = $1"
    ))
    .bind(&exact)
    .fetch_all(db.exec())
    .await?;
    if !found.is_empty() {
        return Ok(found);
    }
    // No patient has the exact number, so the matches are listed by name: the first 20 read from the tokens'
    // index (which holds the names), and only those from `patient`. Term k takes the bounds $2k+1 and $2k+2.
    let ranges: Vec<String> = (0..terms.len())
        .map(|i| {
            format!(
                "SELECT surname AS by_surname, first_name AS by_first_name, patient_id FROM patient_search_token
                 WHERE token >= ${} AND token < ${}",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect();
    let matching = match ranges.as_slice() {
        [one] => one.replacen("SELECT", "SELECT DISTINCT", 1),
        _ => ranges.join(" INTERSECT "),
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM patient p JOIN (
             {matching} ORDER BY by_surname, by_first_name, patient_id LIMIT 20
         ) m ON m.patient_id = p.id
         ORDER BY m.by_surname, m.by_first_name, m.patient_id"
    );
    let mut query = sqlx::query_as::<_, PatientSummary>(&sql);
    for term in terms {
        let (low, high) = prefix_range(term);
        query = query.bind(low).bind(high);
    }
    query.fetch_all(db.exec()).await
}

/// Patients who may be the same person: same phone, or same name and date of birth (the same name alone when
/// no date of birth is given).
pub async fn possible_duplicates(
    mut db: impl Reader,
    first_name: &str,
    surname: &str,
    date_of_birth: Option<Date>,
    phone: Option<&str>,
) -> Result<Vec<PatientSummary>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM patient
         WHERE (LOWER(surname) = LOWER($1) AND LOWER(first_name) = LOWER($2)
                AND ($3 IS NULL OR date_of_birth = $3))
            OR (phone IS NOT NULL AND phone = $4)
         ORDER BY id LIMIT 10"
    ))
    .bind(surname)
    .bind(first_name)
    .bind(date_of_birth)
    .bind(phone)
    .fetch_all(db.exec())
    .await
}

pub async fn pending_approval(mut db: impl Reader) -> Result<Vec<PatientSummary>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM patient WHERE approved = 0 AND active = 1 ORDER BY id LIMIT 50"
    ))
    .fetch_all(db.exec())
    .await
}

/// How many patients were registered at `since` or later.
pub async fn count_registered_since(mut db: impl Reader, since: Timestamp) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM patient WHERE created_at >= $1")
        .bind(since)
        .fetch_one(db.exec())
        .await
}

pub async fn photo(db: impl Reader, id: i64) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    row_by_id(db, "SELECT mime, data FROM patient_photo WHERE patient_id = $1", id).await
}

pub async fn save_photo(tx: &mut Tx, id: i64, mime: &str, data: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO patient_photo (patient_id, mime, data, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (patient_id) DO UPDATE SET mime = excluded.mime, data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(mime)
    .bind(data)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// == Portal password sheet ==

const SHEET_COLUMNS: &str = "id, clinic_number, matric_number, first_name, surname, other_names, kind, active,
    CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password";

/// The `WHERE` of the sheet's filter: active students with a matric number, then the filter's own conditions
/// with their values from `$1` on.
fn sheet_where(filter: &SheetFilter) -> (String, Vec<i64>) {
    let mut sql = "kind = 'student' AND active = 1 AND matric_number IS NOT NULL".to_owned();
    let mut values = Vec::new();
    for (column, value) in [
        ("faculty_id", filter.faculty_id),
        ("department_id", filter.department_id),
        ("level_id", filter.level_id),
    ] {
        if let Some(value) = value {
            values.push(value);
            sql.push_str(&format!(" AND {column} = ${}", values.len()));
        }
    }
    if filter.without_access {
        sql.push_str(" AND password_hash IS NULL");
    }
    (sql, values)
}

/// How many students the filter finds, and the first `limit` of them by name.
pub async fn sheet_candidates(
    mut db: impl Reader,
    filter: &SheetFilter,
    limit: i64,
) -> Result<(i64, Vec<SheetStudent>), sqlx::Error> {
    let (condition, values) = sheet_where(filter);
    let count_sql = format!("SELECT COUNT(*) FROM patient WHERE {condition}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for value in &values {
        count = count.bind(*value);
    }
    let total = count.fetch_one(db.exec()).await?;
    let list_sql =
        format!("SELECT {SHEET_COLUMNS} FROM patient WHERE {condition} ORDER BY surname, first_name, id LIMIT {limit}");
    let mut list = sqlx::query_as::<_, SheetStudent>(&list_sql);
    for value in &values {
        list = list.bind(*value);
    }
    Ok((total, list.fetch_all(db.exec()).await?))
}

/// The patients with these ids (any kind), for checking a sheet's selection and printing it.
pub async fn sheet_students(mut db: impl Reader, ids: &[i64]) -> Result<Vec<SheetStudent>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {SHEET_COLUMNS} FROM patient WHERE id IN ({}) ORDER BY surname, first_name, id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, SheetStudent>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(db.exec()).await
}

/// The sheet's variant of [`set_password`]: a new one-time password for a student that must be changed at first
/// login, ending their sessions, only while they are still an active student and (unless `replace`) still have
/// no password. Answers whether it did, so a record changed since the check fails the whole sheet.
pub async fn issue_password(tx: &mut Tx, id: i64, hash: &str, replace: bool) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query(
            "UPDATE patient SET password_hash = $1, must_change_password = 1, session_version = session_version + 1,
                            updated_at = $2
         WHERE id = $3 AND kind = 'student' AND active = 1 AND matric_number IS NOT NULL
           AND (password_hash IS NULL OR $4 = 1)",
        )
        .bind(hash)
        .bind(Timestamp::now())
        .bind(id)
        .bind(Flag(replace)),
    )
    .await
}

/// A patient's clinic number, inside a transaction.
pub async fn clinic_number_in(tx: &mut Tx, id: i64) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT clinic_number FROM patient WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|(number,)| number))
}

/// Serialises one patient's bookings, so the per-day and per-patient limits hold under concurrent requests.
pub async fn lock_patient(tx: &mut Tx, patient_id: i64) -> Result<bool, sqlx::Error> {
    changed_one_row(
        tx,
        sqlx::query("UPDATE patient SET session_version = session_version WHERE id = $1 AND active = 1")
            .bind(patient_id),
    )
    .await
}

pub async fn patient_approved(tx: &mut Tx, patient_id: i64) -> Result<bool, sqlx::Error> {
    let approved: Option<Flag> = sqlx::query_scalar("SELECT approved FROM patient WHERE id = $1")
        .bind(patient_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(approved.is_some_and(|f| f.0))
}

/// The feed on a patient's home page (`activity`): their latest events across their records, newest first. Each source contributes at most its own
/// latest few, read through its `patient_id` index, so the feed costs a handful of index reads whatever the
/// patient's history.
pub async fn activity_of(mut db: impl Reader, patient_id: i64) -> Result<Vec<Activity>, sqlx::Error> {
    let n = FEED_LENGTH;
    sqlx::query_as(&format!(
        "SELECT kind, happened_at, about, who, what, amount, record FROM (
           SELECT * FROM (
             SELECT CASE WHEN a.status = 'cancelled' THEN 'cancelled' ELSE 'booked' END AS kind,
                    CASE WHEN a.status = 'cancelled' THEN a.updated_at ELSE a.created_at END AS happened_at,
                    sl.starts_at AS about, s.full_name AS who, CAST(NULL AS TEXT) AS what, CAST(NULL AS BIGINT) AS amount,
                    CAST(NULL AS BIGINT) AS record
             FROM appointment a JOIN slot sl ON sl.id = a.slot_id JOIN staff s ON s.id = sl.doctor_id
             WHERE a.patient_id = $1 ORDER BY a.id DESC LIMIT {n}) AS booked
           UNION ALL
           SELECT * FROM (
             SELECT CASE WHEN v.status = 'open' THEN 'seeing' ELSE 'seen' END, v.started_at, CAST(NULL AS BIGINT), s.full_name, CAST(NULL AS TEXT), CAST(NULL AS BIGINT), v.id
             FROM visit v JOIN staff s ON s.id = v.doctor_id
             WHERE v.patient_id = $1 ORDER BY v.started_at DESC LIMIT {n}) AS seen
           UNION ALL
           SELECT * FROM (
             SELECT 'prescribed', p.created_at, CAST(NULL AS BIGINT), s.full_name, CAST(NULL AS TEXT), CAST(NULL AS BIGINT),
                    p.visit_id
             FROM prescription p JOIN staff s ON s.id = p.doctor_id
             WHERE p.patient_id = $1 ORDER BY p.created_at DESC LIMIT {n}) AS prescribed
           UNION ALL
           SELECT * FROM (
             SELECT 'result', o.released_at, CAST(NULL AS BIGINT), CAST(NULL AS TEXT), t.name, CAST(NULL AS BIGINT),
                    o.visit_id
             FROM lab_order o JOIN lab_test t ON t.id = o.test_id
             WHERE o.patient_id = $1 AND o.status = 'released' ORDER BY o.ordered_at DESC LIMIT {n}) AS results
           UNION ALL
           SELECT * FROM (
             SELECT p.kind, p.received_at, CAST(NULL AS BIGINT), CAST(NULL AS TEXT), p.number, p.amount, p.id
             FROM payment p WHERE p.patient_id = $1 ORDER BY p.id DESC LIMIT {n}) AS paid
         ) AS feed
         ORDER BY happened_at DESC LIMIT {n}"
    ))
    .bind(patient_id)
    .fetch_all(db.exec())
    .await
}
