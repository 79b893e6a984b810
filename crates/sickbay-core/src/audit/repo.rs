use crate::db::Connection;

use super::model::{AuditEntry, AuditRow, AuditWrite, Entries, Filter, Span, Who, read_actions, sign_in_actions};
use crate::db::insert::{AnyQuery, Insert, insert_all};
use crate::db::{Reader, Timestamp};
use crate::identity::{Actor, Role};

/// Writes one audit row on the caller's connection (normally inside the transaction of the change). The log is
/// append-only: nothing in the app updates or deletes its rows, and the database refuses it (migration 0012).
pub async fn record(conn: &mut Connection, actor: &Actor, entry: AuditEntry) -> Result<(), sqlx::Error> {
    let row = AuditWrite {
        at: Timestamp::now(),
        actor: actor.clone(),
        entry,
    };
    insert_all(conn, &[row]).await
}

impl Insert for AuditWrite {
    const TABLE: &'static str = "audit_event";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "actor_kind",
        "actor_id",
        "actor_label",
        "action",
        "record_type",
        "record_id",
        "patient_id",
        "ip",
        "detail",
        "actor_role",
    ];

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let (actor, entry) = (&self.actor, &self.entry);
        query
            .bind(self.at)
            .bind(actor.kind)
            .bind(actor.id)
            .bind(actor.label.as_str())
            .bind(entry.action)
            .bind(entry.record_type)
            .bind(entry.record_id)
            .bind(entry.patient_id)
            .bind(actor.ip.as_deref())
            .bind(entry.detail.as_str())
            .bind(actor.role)
    }
}

const ROW_SELECT: &str = "SELECT a.id, a.at, a.actor_kind, a.actor_label, s.role AS actor_role,
        a.actor_role AS acted_as, COALESCE(s.full_name, ap.first_name || ' ' || ap.surname) AS actor_name, a.action, a.record_type, a.record_id, a.patient_id,
        p.first_name || ' ' || p.surname || ' (' || p.clinic_number || ')' AS patient_label,
        CASE a.record_type
            WHEN 'staff' THEN (SELECT full_name FROM staff WHERE id = a.record_id)
            WHEN 'ticket' THEN (SELECT code FROM ticket WHERE id = a.record_id)
            WHEN 'invoice' THEN (SELECT number FROM invoice WHERE id = a.record_id)
            WHEN 'room' THEN (SELECT name FROM room WHERE id = a.record_id)
            WHEN 'drug' THEN (SELECT name FROM drug WHERE id = a.record_id)
            WHEN 'lab_test' THEN (SELECT name FROM lab_test WHERE id = a.record_id)
            WHEN 'lab_order' THEN (SELECT t.name FROM lab_order o JOIN lab_test t ON t.id = o.test_id
                                   WHERE o.id = a.record_id)
            WHEN 'appointment' THEN (SELECT d.full_name FROM appointment ap JOIN slot sl ON sl.id = ap.slot_id
                                     JOIN staff d ON d.id = sl.doctor_id WHERE ap.id = a.record_id)
            WHEN 'slot' THEN (SELECT d.full_name FROM slot sl JOIN staff d ON d.id = sl.doctor_id
                              WHERE sl.id = a.record_id)
            WHEN 'drug_batch' THEN (SELECT d.name || ', ' || b.batch_number FROM drug_batch b
                                    JOIN drug d ON d.id = b.drug_id WHERE b.id = a.record_id)
            WHEN 'fee' THEN (SELECT name FROM fee WHERE id = a.record_id)
            WHEN 'scheme' THEN (SELECT name FROM scheme WHERE id = a.record_id)
        END AS record_name, a.ip, a.detail
     FROM audit_event a
     LEFT JOIN patient p ON p.id = a.patient_id
     LEFT JOIN staff s ON a.actor_kind = 'staff' AND s.id = a.actor_id
     LEFT JOIN patient ap ON a.actor_kind = 'patient' AND ap.id = a.actor_id";

/// A value bound to a placeholder of the filter's conditions.
enum Value {
    Int(i64),
    Text(String),
}

/// The conditions of a filter as SQL on `a` (audit_event), with their values for `$1`, `$2`, ...
#[derive(Default)]
struct Conditions {
    sql: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    /// Adds a condition whose `{}`s are each the next placeholder, binding `values` to them in order.
    fn add(&mut self, condition: &str, values: Vec<Value>) {
        let mut number = self.values.len();
        let mut parts = condition.split("{}");
        let mut sql = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            number += 1;
            sql.push_str(&format!("${number}{part}"));
        }
        self.sql.push(sql);
        self.values.extend(values);
    }

    fn where_clause(&self) -> String {
        match self.sql.is_empty() {
            true => "1 = 1".to_owned(),
            false => self.sql.join(" AND "),
        }
    }
}

/// Which index a filter reads the log through. Each filter's index holds its entries in the order of the trail
/// (`(key, at, id)`, newest last), so a page is a walk down one index from the cursor, never a sort of every
/// match: the most selective filter given leads, and the others' conditions are written so that no planner
/// takes their index instead (`x || ''`, `x + 0`: the same values, no index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lead {
    Patient,
    StaffMember,
    Action,
    RecordType,
    ActorKind,
    /// No filter with an index of its own: the index on the time.
    Time,
}

fn lead(filter: &Filter) -> Lead {
    if filter.patient.is_some() {
        Lead::Patient
    } else if matches!(filter.who, Who::Staff(_)) {
        Lead::StaffMember
    } else if filter.action.is_some() {
        Lead::Action
    } else if filter.record_type.is_some() {
        Lead::RecordType
    } else if filter.who.kind().is_some() {
        Lead::ActorKind
    } else {
        Lead::Time
    }
}

/// The one place a filter becomes SQL, for the page, its CSV and the patient's own list.
fn conditions(filter: &Filter, span: Span, after: Option<(Timestamp, i64)>) -> Conditions {
    let lead = lead(filter);
    let mut c = Conditions::default();
    if let Some(patient) = filter.patient {
        let condition = match lead {
            Lead::Patient => "a.patient_id = {}",
            _ => "a.patient_id + 0 = {}",
        };
        c.add(condition, vec![Value::Int(patient)]);
    }
    if let Some(kind) = filter.who.kind() {
        let indexed = matches!(
            (lead, filter.who),
            (Lead::StaffMember, Who::Staff(_)) | (Lead::ActorKind, _)
        );
        let condition = match indexed {
            true => "a.actor_kind = {}",
            false => "a.actor_kind || '' = {}",
        };
        c.add(condition, vec![Value::Text(kind.as_str().to_owned())]);
    }
    if let Who::Staff(id) = filter.who {
        let condition = match lead {
            Lead::StaffMember => "a.actor_id = {}",
            _ => "a.actor_id + 0 = {}",
        };
        c.add(condition, vec![Value::Int(id)]);
    }
    if let Some(action) = &filter.action {
        let condition = match lead {
            Lead::Action => "a.action = {}",
            _ => "a.action || '' = {}",
        };
        c.add(condition, vec![Value::Text(action.clone())]);
    }
    if let Some(kind) = filter.record_type {
        let condition = match lead {
            Lead::RecordType => "a.record_type = {}",
            _ => "a.record_type || '' = {}",
        };
        c.add(condition, vec![Value::Text(kind.to_owned())]);
    }
    // The names are the code's own constants (checked in the model's tests), never input. A chosen action
    // already says which entries.
    if filter.action.is_none() {
        let reads = || crate::db::word_list(read_actions());
        let sign_ins = || crate::db::word_list(sign_in_actions());
        match filter.entries {
            Entries::Changes => c.add(
                &format!("a.action || '' NOT IN ({}, {})", reads(), sign_ins()),
                Vec::new(),
            ),
            Entries::SignIns => c.add(&format!("a.action || '' IN ({})", sign_ins()), Vec::new()),
            Entries::Reads => c.add(&format!("a.action || '' IN ({})", reads()), Vec::new()),
            Entries::All => {}
        }
    }
    // The time is the second column of every index above, and the first of the time's own.
    if let Some(start) = span.start {
        c.add("a.at >= {}", vec![Value::Int(start.0)]);
    }
    if let Some(end) = span.end {
        c.add("a.at < {}", vec![Value::Int(end.0)]);
    }
    if let Some((at, id)) = after {
        c.add("(a.at, a.id) < ({}, {})", vec![Value::Int(at.0), Value::Int(id)]);
    }
    c
}

/// The time of entry `id`, where a page that starts after it picks up; with `patient`, only an entry about that
/// patient (so a patient's own list can't be made to tell when anyone else's entry was written).
pub async fn cursor(
    mut db: impl Reader,
    id: i64,
    patient: Option<i64>,
) -> Result<Option<(Timestamp, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT at, id FROM audit_event WHERE id = $1 AND ($2 = 0 OR patient_id = $2)")
        .bind(id)
        .bind(patient.unwrap_or(0))
        .fetch_optional(db.exec())
        .await
}

/// At most `limit` entries matching `filter`, newest first (by time, then by id), after the entry at `after`
/// (from the newest without it). Paged from a cursor, never by offset or with a count, so the thousandth page of
/// a million rows costs what the first does.
pub async fn filtered(
    mut db: impl Reader,
    filter: &Filter,
    span: Span,
    after: Option<(Timestamp, i64)>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let c = conditions(filter, span, after);
    let sql = format!(
        "{ROW_SELECT} WHERE {} ORDER BY a.at DESC, a.id DESC {}",
        c.where_clause(),
        crate::db::limit(limit)
    );
    let mut query = sqlx::query_as::<_, AuditRow>(&sql);
    for value in c.values {
        query = match value {
            Value::Int(n) => query.bind(n),
            Value::Text(text) => query.bind(text),
        };
    }
    query.fetch_all(db.exec()).await
}

/// The latest `limit` entries, newest first.
pub async fn list(mut db: impl Reader, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    filtered(&mut db, &Filter::default(), Span::default(), None, limit).await
}

/// Everyone who may appear as the trail's "who": every staff account (active or not), by name.
pub async fn staff_choices(mut db: impl Reader) -> Result<Vec<(i64, String, String, Role)>, sqlx::Error> {
    sqlx::query_as("SELECT id, full_name, username, role FROM staff ORDER BY full_name, username, id")
        .fetch_all(db.exec())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Date;

    fn sql(filter: &Filter) -> String {
        let span = Span {
            start: filter.from.map(|_| Timestamp(1)),
            end: filter.to.map(|_| Timestamp(2)),
        };
        conditions(filter, span, Some((Timestamp(5), 9))).where_clause()
    }

    #[test]
    fn the_most_selective_filter_leads_and_the_others_use_no_index() {
        let day = Date::parse("2026-03-14").ok();
        let all = Filter {
            who: Who::Staff(3),
            patient: Some(7),
            action: Some("patient.view".into()),
            entries: Entries::Reads,
            record_type: Some("patient"),
            from: day,
            to: day,
        };
        let text = sql(&all);
        assert!(text.starts_with("a.patient_id = $1 AND a.actor_kind || '' = $2 AND a.actor_id + 0 = $3"));
        // The chosen action says which entries: no list of reads beside it.
        assert!(
            text.contains("a.action || '' = $4 AND a.record_type || '' = $5 AND a.at >= $6"),
            "{text}"
        );
        assert!(
            text.ends_with("a.at >= $6 AND a.at < $7 AND (a.at, a.id) < ($8, $9)"),
            "{text}"
        );

        let staff = Filter {
            who: Who::Staff(3),
            action: Some("auth.login".into()),
            ..Filter::default()
        };
        assert_eq!(
            sql(&staff),
            "a.actor_kind = $1 AND a.actor_id = $2 AND a.action || '' = $3 AND (a.at, a.id) < ($4, $5)"
        );
        let action = Filter {
            who: Who::Patients,
            action: Some("auth.login".into()),
            record_type: Some("patient"),
            ..Filter::default()
        };
        assert_eq!(
            sql(&action),
            "a.actor_kind || '' = $1 AND a.action = $2 AND a.record_type || '' = $3 AND (a.at, a.id) < ($4, $5)"
        );
        let kind = Filter {
            who: Who::System,
            entries: Entries::All,
            ..Filter::default()
        };
        assert_eq!(sql(&kind), "a.actor_kind = $1 AND (a.at, a.id) < ($2, $3)");
        let everything = Filter {
            entries: Entries::All,
            ..Filter::default()
        };
        assert_eq!(conditions(&everything, Span::default(), None).where_clause(), "1 = 1");
        // The default, changes: neither a read nor a sign-in.
        let changes = conditions(&Filter::default(), Span::default(), None).where_clause();
        assert!(
            changes.starts_with("a.action || '' NOT IN ('patient.view', ") && changes.ends_with(", 'auth.logout')"),
            "{changes}"
        );
        let sign_ins = Filter {
            entries: Entries::SignIns,
            ..Filter::default()
        };
        assert_eq!(
            conditions(&sign_ins, Span::default(), None).where_clause(),
            "a.action || '' IN ('auth.login', 'auth.login_failed', 'auth.logout')"
        );
    }
}
