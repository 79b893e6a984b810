//! The demo's own SQL. A year of a large clinic's history is about a million rows: through the features'
//! services that is a transaction per row and many minutes, so the history and the patients (imported on the
//! day the records began, not today) go in as multi-row INSERTs in batches inside one transaction. That speed
//! and those dates are the only reasons this file writes other features' tables; everything done "today" goes
//! through their services, which stamp it with the present, and only its times are then spread over a morning
//! (`set_morning_times`).

use super::model::{
    AppointmentRow, AssignmentRow, AuditRow, FirstIds, MorningTimes, OpenSlot, SlotRow, TicketRow, TodayTicket,
};
use crate::db::insert::{AnyQuery, Insert, insert_all};
use crate::db::{Backend, Date, Db, Flag, Reader, Timestamp, Tx, sequence};
use crate::patients::model::{MatricNumber, PatientDetails, search_tokens};
use crate::queue::model::TicketStatus;

/// How many patients, staff accounts and appointments the database holds.
pub async fn contents(mut db: impl Reader) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM patient), (SELECT COUNT(*) FROM staff), (SELECT COUNT(*) FROM appointment)",
    )
    .fetch_one(db.exec())
    .await
}

/// The ids the history's slots, appointments and tickets start from.
pub async fn first_ids(mut db: impl Reader) -> Result<FirstIds, sqlx::Error> {
    Ok(FirstIds {
        slot: next_id(&mut db, "slot").await?,
        appointment: next_id(&mut db, "appointment").await?,
        ticket: next_id(&mut db, "ticket").await?,
    })
}

pub async fn next_id(mut db: impl Reader, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM {table}"))
        .fetch_one(db.exec())
        .await
}

/// Rows inserted with ids of their own leave a PostgreSQL identity behind; moves it past them, so the
/// services' next inserts don't collide (SQLite's AUTOINCREMENT follows by itself).
async fn follow_ids(tx: &mut Tx, backend: Backend, table: &str) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        ))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes the history in one transaction.
pub async fn insert_history(
    db: &Db,
    slots: &[SlotRow],
    appointments: &[AppointmentRow],
    tickets: &[TicketRow],
    assignments: &[AssignmentRow],
    audit: &[AuditRow],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    insert_all(&mut tx, slots).await?;
    insert_all(&mut tx, appointments).await?;
    insert_all(&mut tx, assignments).await?;
    insert_all(&mut tx, tickets).await?;
    insert_all(&mut tx, audit).await?;
    for table in ["slot", "appointment", "ticket"] {
        follow_ids(&mut tx, db.backend(), table).await?;
    }
    tx.commit().await
}

/// The consultations of the history: a completed visit for every completed past ticket, each with a set of
/// vitals, the patient's complaint and a diagnosis from a spread of what a campus clinic sees, written in bulk
/// from the tickets (the visit's id picks the diagnosis, so the demo stays deterministic).
pub async fn visits_from_history(db: &Db, today: Date) -> Result<u64, sqlx::Error> {
    const DIAGNOSES: [(&str, &str, &str); 10] = [
        (
            "B54",
            "Unspecified malaria",
            "Fever, chills and body aches for three days.",
        ),
        (
            "J06.9",
            "Acute upper respiratory infection, unspecified",
            "Sore throat, cough and a runny nose.",
        ),
        (
            "A09",
            "Infectious gastroenteritis and colitis, unspecified",
            "Stomach cramps and loose stools since yesterday.",
        ),
        (
            "K30",
            "Functional dyspepsia",
            "Burning pain in the upper belly after meals.",
        ),
        (
            "R51.9",
            "Headache, unspecified",
            "Headaches in the afternoons during exams.",
        ),
        (
            "A01.00",
            "Typhoid fever, unspecified",
            "High fever for a week and poor appetite.",
        ),
        (
            "J02.9",
            "Acute pharyngitis, unspecified",
            "Painful swallowing for two days.",
        ),
        ("L30.9", "Dermatitis, unspecified", "Itchy rash on both forearms."),
        (
            "N39.0",
            "Urinary tract infection, site not specified",
            "Burning when passing urine.",
        ),
        (
            "F43.9",
            "Reaction to severe stress, unspecified",
            "Poor sleep and worry before exams.",
        ),
    ];
    let case = |column: usize| {
        let arms: String = DIAGNOSES
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let text = [d.0, d.1, d.2][column].replace('\'', "''");
                format!(" WHEN {i} THEN '{text}'")
            })
            .collect();
        format!("CASE v.id % 10{arms} END")
    };
    let mut tx = db.begin_write().await?;
    // Each INSERT ... SELECT is ordered: the ids follow it, and the billing and the diagnoses drawn from `v.id`
    // follow the ids. Unordered, PostgreSQL numbered the visits in whichever order its plan read the tickets (a
    // sequential scan before the table's statistics were taken, an index after), so the same seed billed other
    // patients now and then.
    let visits = sqlx::query(
        "INSERT INTO visit (patient_id, doctor_id, ticket_id, appointment_id, day, status, started_at, completed_at,
                            updated_at)
         SELECT patient_id, doctor_id, id, appointment_id, day, 'completed', started_at, finished_at, finished_at
         FROM ticket
         WHERE status = 'completed' AND day < $1 AND doctor_id IS NOT NULL AND started_at IS NOT NULL
               AND finished_at IS NOT NULL
         ORDER BY id",
    )
    .bind(today)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let statements = [
        format!(
            "INSERT INTO diagnosis (visit_id, patient_id, doctor_id, code, description, recorded_at)
             SELECT v.id, v.patient_id, v.doctor_id, {}, {}, v.started_at + 600000 FROM visit v
             ORDER BY v.id",
            case(0),
            case(1)
        ),
        format!(
            "INSERT INTO clinical_note (visit_id, kind, body, author_id, written_at)
             SELECT v.id, 'complaint', {}, v.doctor_id, v.started_at + 60000 FROM visit v
             ORDER BY v.id",
            case(2)
        ),
        "INSERT INTO vitals (patient_id, visit_id, systolic, diastolic, temperature_tenths, pulse, respiratory_rate,
                             spo2, weight_tenths, height_mm, recorded_by, recorded_at)
         SELECT v.patient_id, v.id, 100 + v.id % 45, 62 + v.id % 30, 361 + v.id % 25, 60 + v.id % 45,
                13 + v.id % 8, 94 + v.id % 7, 480 + v.patient_id % 450, 1520 + v.patient_id % 380, v.doctor_id,
                v.started_at + 120000
         FROM visit v ORDER BY v.id"
            .to_owned(),
        // The word-read tests that go with a diagnosis (a blood film for malaria, a Widal test for typhoid, a
        // urinalysis for an infection of the urine), resulted an hour into the visit. Each is out of its usual
        // answer, so it waits for the doctor who ordered it before it goes to the patient (the clinic's rule).
        "INSERT INTO lab_order (visit_id, patient_id, test_id, status, ordered_by, ordered_at, collected_by,
                                collected_at, result_value, flag, resulted_by, resulted_at, updated_at)
         SELECT v.id, v.patient_id, t.id, 'resulted', v.doctor_id, v.started_at + 300000, lab.id, v.started_at + 900000,
                CASE v.id % 10 WHEN 0 THEN 'Seen (+)' WHEN 5 THEN 'Positive, O 1:160' ELSE 'Nitrites positive' END,
                'abnormal', lab.id, v.started_at + 3600000, v.started_at + 3600000
         FROM visit v CROSS JOIN (SELECT MIN(id) AS id FROM staff WHERE role = 'lab') lab JOIN lab_test t
              ON t.name = CASE v.id % 10 WHEN 0 THEN 'Malaria parasite' WHEN 5 THEN 'Widal test' ELSE 'Urinalysis' END
         WHERE v.id % 10 IN (0, 5, 8) ORDER BY v.id"
            .to_owned(),
        // The doctors have seen the results of more than a week ago, which went to their patients then; the
        // week's wait on their homes.
        format!(
            "UPDATE lab_order SET seen_at = resulted_at + 3600000, seen_by = ordered_by, status = 'released',
                    released_by = ordered_by, released_at = resulted_at + 3600000, updated_at = resulted_at + 3600000
             WHERE resulted_at < {}",
            Timestamp::now().plus_minutes(-7 * 24 * 60).0
        ),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(visits)
}

/// The completed visits from `from` to `to`, in the order they ended: (visit, patient, day).
pub async fn completed_visits(mut db: impl Reader, from: Date, to: Date) -> Result<Vec<(i64, i64, Date)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, patient_id, day FROM visit WHERE status = 'completed' AND day >= $1 AND day <= $2
         ORDER BY day, completed_at, id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await
}

/// A patient of the large size, numbered by the demo.
pub struct NewPatient<'a> {
    pub id: i64,
    pub clinic_number: String,
    pub details: PatientDetails,
    pub password_hash: &'a str,
    pub created_at: Timestamp,
}

/// Writes patients with their search tokens and audit rows, and raises each clinic-number counter to the
/// highest number given (`counters`: sequence name, value), in one transaction.
pub async fn insert_patients(
    db: &Db,
    patients: &[NewPatient<'_>],
    audit: &[AuditRow],
    counters: &[(String, i64)],
) -> Result<(), sqlx::Error> {
    let tokens: Vec<Token> = patients.iter().flat_map(Token::all_of).collect();
    let mut tx = db.begin_write().await?;
    insert_all(&mut tx, patients).await?;
    insert_all(&mut tx, &tokens).await?;
    insert_all(&mut tx, audit).await?;
    follow_ids(&mut tx, db.backend(), "patient").await?;
    for (name, value) in counters {
        sequence::claim(&mut tx, name, *value).await?;
    }
    tx.commit().await
}

struct Token<'a> {
    token: String,
    patient_id: i64,
    surname: &'a str,
    first_name: &'a str,
}

impl<'a> Token<'a> {
    fn all_of(p: &'a NewPatient<'_>) -> Vec<Token<'a>> {
        let d = &p.details;
        search_tokens(
            &d.first_name,
            &d.surname,
            &d.other_names,
            d.matric_number.as_ref().map(MatricNumber::as_str),
            &p.clinic_number,
            d.phone.as_deref(),
        )
        .into_iter()
        .map(|token| Token {
            token,
            patient_id: p.id,
            surname: &d.surname,
            first_name: &d.first_name,
        })
        .collect()
    }
}

/// The slots from `from` to `to` with seats left, in time order.
pub async fn open_slots(mut db: impl Reader, from: Date, to: Date) -> Result<Vec<OpenSlot>, sqlx::Error> {
    let rows: Vec<(i64, Date, i64)> = sqlx::query_as(
        "SELECT id, day, capacity - booked FROM slot
         WHERE day >= $1 AND day <= $2 AND blocked = 0 AND booked < capacity
         ORDER BY starts_at, doctor_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.exec())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, day, seats)| OpenSlot { id, day: day.0, seats })
        .collect())
}

/// Fresh statistics after a large fill, so the query planners know the tables' sizes; on PostgreSQL also the
/// visibility map that autovacuum would build a little later, so counts can be read from indexes at once.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    let statement = match db.backend() {
        crate::db::Backend::Sqlite => "ANALYZE",
        crate::db::Backend::Postgres => "VACUUM ANALYZE",
    };
    sqlx::query(statement).execute(db.pool()).await?;
    Ok(())
}

/// How much the demo made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub students: i64,
    pub staff: i64,
    pub past: i64,
    pub today: i64,
    pub ahead: i64,
    pub tickets_today: i64,
    pub audit: i64,
    /// Issued invoices, those still owed in part or whole, payments (refunds apart) and the scheme's claim
    /// lines.
    pub invoices: i64,
    pub owed: i64,
    pub payments: i64,
    pub claim_lines: i64,
}

pub async fn counts(mut db: impl Reader, today: Date) -> Result<Counts, sqlx::Error> {
    let (students, staff, past, on_day, ahead, tickets_today, audit) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM patient WHERE kind = 'student'), (SELECT COUNT(*) FROM staff),
                (SELECT COUNT(*) FROM appointment WHERE day < $1), (SELECT COUNT(*) FROM appointment WHERE day = $1),
                (SELECT COUNT(*) FROM appointment WHERE day > $1), (SELECT COUNT(*) FROM ticket WHERE day = $1),
                (SELECT COUNT(*) FROM audit_event)",
    )
    .bind(today)
    .fetch_one(db.exec())
    .await?;
    let (invoices, owed, payments, claim_lines) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM invoice WHERE status <> 'draft'),
                (SELECT COUNT(*) FROM invoice WHERE status IN ('issued', 'partly_paid')),
                (SELECT COUNT(*) FROM payment WHERE kind = 'payment'),
                (SELECT COUNT(*) FROM invoice WHERE scheme_share > 0 AND status <> 'void')",
    )
    .fetch_one(db.exec())
    .await?;
    Ok(Counts {
        students,
        staff,
        past,
        today: on_day,
        ahead,
        tickets_today,
        audit,
        invoices,
        owed,
        payments,
        claim_lines,
    })
}

// ---- the rows ----------------------------------------------------------------------------------------------

/// When the slot job made a past slot: as the booking horizon (14 days by default) reached it.
const SLOT_MADE_BEFORE: i64 = 14 * 24 * 3_600_000;

impl Insert for SlotRow {
    const TABLE: &'static str = "slot";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "doctor_id",
        "day",
        "starts_at",
        "ends_at",
        "capacity",
        "booked",
        "created_at",
    ];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let s = &self.spec;
        query
            .bind(self.id)
            .bind(s.doctor_id)
            .bind(s.day)
            .bind(s.starts_at)
            .bind(s.ends_at)
            .bind(s.capacity)
            .bind(self.booked)
            .bind(Timestamp(s.starts_at.0 - SLOT_MADE_BEFORE))
    }
}

impl Insert for AppointmentRow {
    const TABLE: &'static str = "appointment";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "patient_id",
        "slot_id",
        "day",
        "status",
        "reason",
        "booked_by_staff_id",
        "cancel_reason",
        "created_at",
        "updated_at",
    ];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.id)
            .bind(self.patient_id)
            .bind(self.slot_id)
            .bind(self.day)
            .bind(self.status)
            .bind(self.reason)
            .bind(self.booked_by_staff_id)
            .bind(self.cancel_reason)
            .bind(self.created_at)
            .bind(self.updated_at)
    }
}

impl Insert for TicketRow {
    const TABLE: &'static str = "ticket";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "day",
        "code",
        "patient_id",
        "appointment_id",
        "doctor_id",
        "room_id",
        "priority",
        "order_at",
        "status",
        "calls",
        "checked_in_at",
        "called_at",
        "last_called_at",
        "started_at",
        "finished_at",
        "created_by",
        "updated_at",
    ];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.id)
            .bind(self.day)
            .bind(self.code.as_str())
            .bind(self.patient_id)
            .bind(self.appointment_id)
            .bind(self.doctor_id)
            .bind(self.room_id)
            .bind(self.priority)
            .bind(self.order_at)
            .bind(TicketStatus::Completed)
            .bind(1_i64)
            .bind(self.checked_in_at)
            .bind(self.called_at)
            .bind(self.called_at)
            .bind(self.started_at)
            .bind(self.finished_at)
            .bind(self.created_by)
            .bind(self.finished_at)
    }
}

impl Insert for AssignmentRow {
    const TABLE: &'static str = "room_assignment";
    const COLUMNS: &'static [&'static str] = &["day", "doctor_id", "room_id", "created_at"];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.day)
            .bind(self.doctor_id)
            .bind(self.room_id)
            .bind(self.created_at)
    }
}

impl Insert for NewPatient<'_> {
    const TABLE: &'static str = "patient";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "clinic_number",
        "kind",
        "matric_number",
        "first_name",
        "surname",
        "other_names",
        "sex",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "emergency_name",
        "emergency_phone",
        "emergency_relationship",
        "blood_group",
        "genotype",
        "allergies",
        "chronic_conditions",
        "faculty_id",
        "department_id",
        "level_id",
        "session_id",
        "password_hash",
        "must_change_password",
        "approved",
        "created_at",
        "updated_at",
    ];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let d = &self.details;
        query
            .bind(self.id)
            .bind(self.clinic_number.as_str())
            .bind(d.kind)
            .bind(d.matric_number.as_ref().map(MatricNumber::as_str))
            .bind(d.first_name.as_str())
            .bind(d.surname.as_str())
            .bind(d.other_names.as_str())
            .bind(d.sex)
            .bind(d.date_of_birth)
            .bind(d.phone.as_deref())
            .bind(d.email.as_deref())
            .bind(d.address.as_str())
            .bind(d.emergency_name.as_str())
            .bind(d.emergency_phone.as_str())
            .bind(d.emergency_relationship.as_str())
            .bind(d.blood_group)
            .bind(d.genotype)
            .bind(d.allergies.as_str())
            .bind(d.chronic_conditions.as_str())
            .bind(d.faculty_id)
            .bind(d.department_id)
            .bind(d.level_id)
            .bind(d.session_id)
            .bind(self.password_hash)
            .bind(Flag(false))
            .bind(Flag(true))
            .bind(self.created_at)
            .bind(self.created_at)
    }
}

impl Insert for Token<'_> {
    const TABLE: &'static str = "patient_search_token";
    const COLUMNS: &'static [&'static str] = &["token", "patient_id", "surname", "first_name"];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.token.as_str())
            .bind(self.patient_id)
            .bind(self.surname)
            .bind(self.first_name)
    }
}

/// Today's tickets, for the morning to be spread out (`model::spread_over_the_morning`).
pub async fn today_tickets(mut db: impl Reader, today: Date) -> Result<Vec<TodayTicket>, sqlx::Error> {
    type Row = (
        i64,
        Option<i64>,
        TicketStatus,
        Option<i64>,
        Option<Timestamp>,
        Option<Timestamp>,
        Option<Timestamp>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, room_id, status, appointment_id, called_at, started_at, finished_at FROM ticket WHERE day = $1",
    )
    .bind(today)
    .fetch_all(db.exec())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, room_id, status, appointment_id, called, started, finished)| TodayTicket {
                id,
                room_id,
                status,
                walk_in: appointment_id.is_none(),
                called: called.is_some(),
                started: started.is_some(),
                finished: finished.is_some(),
            },
        )
        .collect())
}

/// Gives today's tickets, and the visits they led to, the times of a morning, in one transaction.
pub async fn set_morning_times(db: &Db, times: &[MorningTimes]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for t in times {
        sqlx::query(
            "UPDATE ticket SET checked_in_at = $1, order_at = COALESCE($2, order_at), called_at = $3,
             last_called_at = $3, started_at = $4, finished_at = $5 WHERE id = $6",
        )
        .bind(t.checked_in_at)
        .bind(t.order_at)
        .bind(t.called_at)
        .bind(t.started_at)
        .bind(t.finished_at)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
        if let Some(started) = t.started_at {
            sqlx::query("UPDATE visit SET started_at = $1, completed_at = $2 WHERE ticket_id = $3")
                .bind(started)
                .bind(t.finished_at)
                .bind(t.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}
