//! The lab's operations, each one transaction with its audit row: the catalogue (admins), orders placed and
//! cancelled in a visit (its doctor), results recorded, corrected and released (lab attendants), and health
//! records. The patient's chart reads orders and health records through `orders_of_visits` and
//! `health_records_of`.

use super::model::{
    HealthRecordForm, LabTest, LabTestForm, OrderMove, OrderStatus, OrderView, Releaser, ResultDetails, ResultFlag,
    ResultForm, WorklistShow, multi_line, new_results_since,
};
pub use super::repo::ResultBack;
use super::repo::{self, HealthRecordRow, NewHealthRecord, OrderDetail, WorkItem};
use crate::audit::{self, AuditEntry, Reads};
use crate::consult::model::Access;
use crate::consult::model::Recorded;
use crate::consult::service::writable_visit_in;
use crate::db::events::Event;
use crate::db::form_ids::Claim;
use crate::db::{Date, Db, Reader, Timestamp, Tx, is_unique_violation};
use crate::error::ServiceError;
use crate::identity::{Actor, Role, StaffUser};
use crate::notify::{self, Recipient};
use crate::outbox::model::Kind;
use crate::outbox::service::{self as outbox, Notice};
use crate::validation::FieldErrors;

/// The one-time form id actions of the creating forms.
const ADD_TEST: &str = "lab_test.create";
const ADD_HEALTH_RECORD: &str = "health_record.create";
const ORDER: &str = "lab_order.create";
/// The most orders the worklist shows at once (oldest first; the rest follow as these are done).
pub const WORKLIST_LIMIT: i64 = 40;

/// Whether `user` does the lab's work: a lab attendant, or an account an admin gave the lab's role. An admin
/// reads the lab's pages ([`reads_lab`]) but records nothing.
pub fn is_lab(user: &StaffUser) -> bool {
    user.holds(Role::Lab)
}

fn lab_only(user: &StaffUser) -> Result<(), ServiceError> {
    match is_lab(user) {
        true => Ok(()),
        false => Err(ServiceError::Forbidden),
    }
}

/// Whether `user` reads the lab's worklist and orders: the lab, and admins.
fn reads_lab(user: &StaffUser) -> Result<(), ServiceError> {
    match user.holds_any(&[Role::Lab, Role::Admin]) {
        true => Ok(()),
        false => Err(ServiceError::Forbidden),
    }
}

// ---- the catalogue --------------------------------------------------------------------------------------

pub async fn tests(db: impl Reader) -> Result<Vec<LabTest>, ServiceError> {
    Ok(repo::tests(db).await?)
}

pub async fn active_tests(db: impl Reader) -> Result<Vec<LabTest>, ServiceError> {
    Ok(repo::active_tests(db).await?)
}

pub async fn test(db: &Db, id: i64) -> Result<LabTest, ServiceError> {
    repo::test(db, id).await?.ok_or(ServiceError::NotFound)
}

/// Adds a test (`id` none; a repeated form answers with the test it added) or changes one.
pub async fn save_test(
    db: &Db,
    actor: &Actor,
    id: Option<i64>,
    form: &LabTestForm,
    minor_digits: u32,
) -> Result<i64, ServiceError> {
    let details = form.validate(minor_digits).map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    if id.is_none()
        && let Claim::Done(id) = actor.claim_form(&mut tx, ADD_TEST).await?
    {
        return Ok(id);
    }
    let saved = match id {
        None => repo::insert_test(&mut tx, &details).await.map(Some),
        Some(id) => repo::update_test(&mut tx, id, &details)
            .await
            .map(|found| found.then_some(id)),
    };
    let saved_id = match saved {
        Ok(Some(saved_id)) => saved_id,
        Ok(None) => return Err(ServiceError::NotFound),
        Err(err) if is_unique_violation(&err) => {
            return Err(ServiceError::field(
                "name",
                "Another test already has this name. Choose another, or edit that one.",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let action = match id {
        None => "lab_test.create",
        Some(_) => "lab_test.update",
    };
    let state = if details.active { "" } else { ", not offered" };
    let entry = AuditEntry::new(action)
        .record("lab_test", saved_id)
        .detail(format!("{} ({}){state}", details.name, details.specimen));
    audit::record(&mut tx, actor, entry).await?;
    if id.is_none() {
        actor.complete_form(&mut tx, ADD_TEST, saved_id).await?;
    }
    tx.commit().await?;
    Ok(saved_id)
}

// ---- orders in a visit ----------------------------------------------------------------------------------

/// Orders `test_ids` in a visit (its doctor, while it is open), with one note for all of them, once per form (the
/// same form again answers with the first order it made). A test already ordered in the visit, or no longer
/// offered, is refused with a message.
pub async fn order_tests(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    test_ids: &[i64],
    note: &str,
) -> Result<Vec<i64>, ServiceError> {
    let mut errors = FieldErrors::default();
    let note = errors.check("note", multi_line(note, "The note"));
    if test_ids.is_empty() {
        errors.add("test_id", "Choose at least one test to order.");
    }
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, ORDER).await? {
        return Ok(vec![id]);
    }
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let (Some(note), true) = (note, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let mut ids = Vec::new();
    let mut seen = Vec::new();
    for test_id in test_ids {
        if seen.contains(test_id) {
            continue;
        }
        seen.push(*test_id);
        let test = match repo::test(&mut tx, *test_id).await? {
            Some(test) if test.active => test,
            _ => {
                return Err(ServiceError::field(
                    "test_id",
                    "One of the tests chosen is no longer offered. Reload the page and choose again.",
                ));
            }
        };
        let id = match repo::insert_order(&mut tx, visit.id, visit.patient_id, test.id, &note, user.id).await {
            Ok(id) => id,
            Err(err) if is_unique_violation(&err) => {
                return Err(ServiceError::field(
                    "test_id",
                    format!("{} is already ordered in this visit.", test.name),
                ));
            }
            Err(err) => return Err(err.into()),
        };
        let entry = AuditEntry::new(ORDER)
            .record("lab_order", id)
            .patient(visit.patient_id)
            .detail(test.name.clone());
        audit::record(&mut tx, actor, entry).await?;
        ids.push(id);
    }
    if let Some(first) = ids.first() {
        actor.complete_form(&mut tx, ORDER, *first).await?;
    }
    tx.announce(Event::Lab { visit_id: visit.id });
    tx.commit().await?;
    Ok(ids)
}

/// Takes back an order that has no result yet (the visit's doctor, while it is open).
pub async fn cancel_order(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    order_id: i64,
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let visit = writable_visit_in(&mut tx, user, visit_id, Access::Write).await?;
    let order = repo::order(&mut tx, order_id)
        .await?
        .filter(|o| o.view.visit_id == visit.id)
        .ok_or(ServiceError::NotFound)?;
    if !order.view.can(OrderMove::Cancel) || !repo::cancel_order(&mut tx, visit.id, order_id).await? {
        return Err(ServiceError::Conflict(
            "This order has a result (or was cancelled) and can't be cancelled.".into(),
        ));
    }
    let entry = AuditEntry::new("lab_order.cancel")
        .record("lab_order", order_id)
        .patient(visit.patient_id)
        .detail(order.view.test_name);
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Lab { visit_id: visit.id });
    tx.commit().await?;
    Ok(())
}

/// The live orders of a visit, oldest first (for its lab section).
pub async fn visit_orders(db: impl Reader, visit_id: i64) -> Result<Vec<OrderView>, ServiceError> {
    Ok(repo::orders_of_visits(db, &[visit_id], false).await?)
}

/// The orders of these visits with their results, for a patient's chart: never cancelled ones, and only
/// released ones when `released_only` (what a patient may read).
pub async fn orders_of_visits(
    db: impl Reader,
    visit_ids: &[i64],
    released_only: bool,
) -> Result<Vec<OrderView>, ServiceError> {
    Ok(repo::orders_of_visits(db, visit_ids, released_only).await?)
}

// ---- the lab's work -------------------------------------------------------------------------------------

/// The oldest orders waiting for the lab, and how many are waiting in all.
pub struct Worklist {
    pub items: Vec<WorkItem>,
    pub waiting: i64,
}

/// The orders waiting for the lab that `show` picks, oldest first: the first `WORKLIST_LIMIT` of them and the
/// count of all.
pub async fn worklist(
    db: &Db,
    user: &StaffUser,
    show: WorklistShow,
    releaser: Releaser,
) -> Result<Worklist, ServiceError> {
    reads_lab(user)?;
    Ok(Worklist {
        items: repo::worklist(db, show, releaser, WORKLIST_LIMIT).await?,
        waiting: repo::waiting_count(db, show, releaser).await?,
    })
}

/// The orders waiting for the lab, counted: tests to take and results to release.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    pub to_take: i64,
    pub to_release: i64,
}

impl Waiting {
    pub fn total(&self) -> i64 {
        self.to_take + self.to_release
    }
}

/// The orders waiting for the lab, counted in the database (the home pages' figures).
pub async fn waiting(db: &Db, releaser: Releaser) -> Result<Waiting, ServiceError> {
    let mut waiting = Waiting::default();
    for (status, count) in repo::waiting_by_status(db, releaser).await? {
        match status {
            OrderStatus::Ordered => waiting.to_take += count,
            OrderStatus::Resulted => waiting.to_release += count,
            OrderStatus::Released | OrderStatus::Cancelled => {}
        }
    }
    Ok(waiting)
}

/// How many results a doctor has to review (back from the lab for orders they placed, not yet marked seen).
pub async fn count_results_to_review(db: &Db, doctor_id: i64) -> Result<i64, ServiceError> {
    Ok(repo::count_results_to_review(db, doctor_id).await?)
}

/// The results [`count_results_to_review`] counts, latest first, at most `limit`.
pub async fn results_to_review(db: &Db, doctor_id: i64, limit: i64) -> Result<Vec<ResultBack>, ServiceError> {
    Ok(repo::results_to_review(db, doctor_id, limit).await?)
}

/// The doctor who ordered a test marks its result seen, and it leaves their "Results to review" (nothing
/// marked when they had marked it already). A critical result needs what they did about it (`acted_on`).
pub async fn mark_seen(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    order_id: i64,
    acted_on: &str,
    releaser: Releaser,
) -> Result<Seen, ServiceError> {
    mark_seen_of(db, user, actor, &[order_id], acted_on, releaser).await
}

/// What a doctor's "Mark seen" did: how many results left their list, and how many of those went to the
/// patient with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub marked: usize,
    pub released: usize,
}

/// The most results a doctor marks seen in one press: their list shows fewer.
pub const SEEN_AT_ONCE: usize = 100;

/// The doctor marks several of their results seen in one transaction, an audit row each, and learns how many
/// left their list (one marked seen meanwhile counts as done, not again). One that is not theirs, or has no
/// result yet, refuses them all. The ones that waited for the doctor (`Releaser::waits_for_doctor`) and are not
/// released yet go to their patients now, one message per visit; the lab releases the others.
pub async fn mark_seen_together(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    order_ids: &[i64],
    releaser: Releaser,
) -> Result<Seen, ServiceError> {
    mark_seen_of(db, user, actor, order_ids, "", releaser).await
}

async fn mark_seen_of(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    order_ids: &[i64],
    acted_on: &str,
    releaser: Releaser,
) -> Result<Seen, ServiceError> {
    if !user.holds(Role::Doctor) {
        return Err(ServiceError::Forbidden);
    }
    if order_ids.len() > SEEN_AT_ONCE {
        return Err(ServiceError::Refused(format!(
            "Mark at most {SEEN_AT_ONCE} results seen at once."
        )));
    }
    // In id order, so that two doctors' overlapping lists take their row locks in the same order.
    let mut ids = order_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let alone = ids.len() == 1;
    let mut tx = db.begin_write().await?;
    let mut newly = 0;
    let mut released: Vec<(i64, OrderView)> = Vec::new();
    for id in ids {
        let Some(order) = mark_one_seen(&mut tx, user, actor, id, alone.then_some(acted_on)).await? else {
            continue;
        };
        newly += 1;
        if releaser.waits_for_doctor(order.view.is_abnormal(), order.view.critical)
            && repo::release(&mut tx, id, user.id, releaser).await?
        {
            audit_release(&mut tx, actor, &order.view, order.patient_id).await?;
            released.push((order.patient_id, order.view));
        }
    }
    released.sort_by_key(|(patient_id, view)| (*patient_id, view.visit_id));
    for visit in released.chunk_by(|a, b| (a.0, a.1.visit_id) == (b.0, b.1.visit_id)) {
        let views: Vec<&OrderView> = visit.iter().map(|(_, view)| view).collect();
        tell_results_ready(&mut tx, visit[0].0, &views).await?;
    }
    tx.commit().await?;
    Ok(Seen {
        marked: newly,
        released: released.len(),
    })
}

/// Marks one result seen by the doctor who ordered it; the order, when this marked it (`None`: seen already). A
/// critical result is marked seen only `alone` (`acted_on` is what the doctor did about it), never among others.
async fn mark_one_seen(
    tx: &mut Tx,
    user: &StaffUser,
    actor: &Actor,
    order_id: i64,
    alone: Option<&str>,
) -> Result<Option<OrderDetail>, ServiceError> {
    let order = repo::order(&mut *tx, order_id).await?.ok_or(ServiceError::NotFound)?;
    if order.ordered_by != user.id {
        return Err(ServiceError::Forbidden);
    }
    let acted_on = match (order.view.critical && order.view.seen_at.is_none(), alone) {
        (false, _) => String::new(),
        (true, Some(acted_on)) => super::model::acted_on(acted_on).map_err(ServiceError::Refused)?,
        (true, None) => {
            return Err(ServiceError::Conflict(format!(
                "The critical {} result of this list is marked seen on its own: write what you did about it above.",
                order.view.test_name
            )));
        }
    };
    if !repo::mark_seen(tx, order_id, user.id, &acted_on).await? {
        return match order.view.status {
            OrderStatus::Resulted | OrderStatus::Released => Ok(None),
            OrderStatus::Ordered | OrderStatus::Cancelled => Err(ServiceError::Conflict(format!(
                "{} has no result yet: it shows in your results to review when the lab records it.",
                order.view.test_name
            ))),
        };
    }
    let detail = match acted_on.as_str() {
        "" => order.view.test_name.clone(),
        acted_on => format!("{}: {acted_on}", order.view.test_name),
    };
    let entry = AuditEntry::new("lab_order.seen")
        .record("lab_order", order_id)
        .patient(order.patient_id)
        .detail(detail);
    audit::record(tx, actor, entry).await?;
    tx.announce(Event::Lab {
        visit_id: order.view.visit_id,
    });
    Ok(Some(order))
}

/// How many of a patient's results are new to them as of `now` (their home page): released lately, not opened.
pub async fn new_to_patient(db: impl Reader, patient_id: i64, now: Timestamp) -> Result<i64, ServiceError> {
    Ok(repo::new_to_patient(db, patient_id, new_results_since(now)).await?)
}

/// The patient has opened their results: those of `visit_id`, or all of them. No change when none was new, and
/// then nothing is written.
pub async fn mark_read_by_patient(
    db: &Db,
    patient_id: i64,
    visit_id: Option<i64>,
    results: &[OrderView],
    now: Timestamp,
) -> Result<(), ServiceError> {
    if !results.iter().any(|o| o.is_new_to_patient(now)) {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    repo::mark_read_by_patient(&mut tx, patient_id, visit_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The results released to a patient, the latest first, at most `limit` (their list of results).
pub async fn released_to_patient(db: impl Reader, patient_id: i64, limit: i64) -> Result<Vec<OrderView>, ServiceError> {
    Ok(repo::released_to_patient(db, patient_id, limit).await?)
}

/// The patient's tests ordered since `since` whose results are still to come (their list of results, so a test
/// they had is not missing from it while the lab and the doctor work).
pub async fn pending_for_patient(
    db: impl Reader,
    patient_id: i64,
    since: Timestamp,
) -> Result<Vec<OrderView>, ServiceError> {
    Ok(repo::pending_for_patient(db, patient_id, since).await?)
}

/// The patient's visits with a result new to them as of `now`.
pub async fn visits_with_new_results(
    db: impl Reader,
    patient_id: i64,
    now: Timestamp,
) -> Result<Vec<i64>, ServiceError> {
    Ok(repo::visits_with_new_results(db, patient_id, new_results_since(now)).await?)
}

/// A visit's lab orders as the lab's results sheet shows them: whose they are, and each live order (never a
/// cancelled one) with its test.
pub struct VisitResults {
    pub patient_id: i64,
    pub orders: Vec<(OrderView, LabTest)>,
}

pub async fn visit_results(db: &Db, user: &StaffUser, visit_id: i64) -> Result<VisitResults, ServiceError> {
    reads_lab(user)?;
    let mut conn = db.conn().await?;
    let patient_id = repo::patient_of_visit_orders(&mut conn, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tests = repo::tests(&mut conn).await?;
    let orders = repo::orders_of_visits(&mut conn, &[visit_id], false)
        .await?
        .into_iter()
        .filter_map(|order| {
            let test = tests.iter().find(|test| test.id == order.test_id)?.clone();
            Some((order, test))
        })
        .collect();
    Ok(VisitResults { patient_id, orders })
}

/// An order, for the lab's page of it.
pub async fn order_for_lab(db: &Db, user: &StaffUser, order_id: i64) -> Result<OrderDetail, ServiceError> {
    reads_lab(user)?;
    repo::order(db, order_id).await?.ok_or(ServiceError::NotFound)
}

/// Records an order's result, or corrects it before it is released: the unit and the range (by the patient's
/// sex) are copied from the catalogue, and the flag is computed from them.
pub async fn record_result(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    order_id: i64,
    form: &ResultForm,
) -> Result<ResultRecorded, ServiceError> {
    lab_only(user)?;
    let order = repo::order(db, order_id).await?.ok_or(ServiceError::NotFound)?;
    let patient = crate::patients::service::get(db, order.patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut tx = db.begin_write().await?;
    repo::lock_orders_of_visit(&mut tx, order.view.visit_id).await?;
    let order = recordable_order(&mut tx, order_id, order.view.visit_id).await?;
    let test = repo::test(&mut tx, order.view.test_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let result = form.validate(&test, patient.sex).map_err(ServiceError::Invalid)?;
    if form.is_stale(&order.view) && !result.is_stored_in(&order.view) {
        return Err(ServiceError::Conflict(saved_meanwhile(&order)));
    }
    write_result(&mut tx, user, actor, &order, &test, &result).await?;
    let back = match result.flag {
        _ if result.critical => format!(
            "Critical result for {}: {}. The lab told {}.",
            patient.full_name(),
            result.noticed(&test.name),
            result.told
        ),
        Some(flag) if flag.is_abnormal() => {
            format!(
                "{} result for {} is back: {}.",
                test.name,
                patient.full_name(),
                flag.label()
            )
        }
        _ => format!("{} result for {} is back.", test.name, patient.full_name()),
    };
    tell_doctor(&mut tx, &order, &back).await?;
    tx.announce(Event::Lab {
        visit_id: order.view.visit_id,
    });
    tx.commit().await?;
    Ok(ResultRecorded {
        flag: result.flag,
        critical: result.critical,
    })
}

/// A result recorded: how it reads against its range, and whether it crossed a critical limit.
#[derive(Clone, Copy, Debug)]
pub struct ResultRecorded {
    pub flag: Option<ResultFlag>,
    pub critical: bool,
}

/// What became of a visit's results sheet.
#[derive(Debug)]
pub enum Sheet {
    /// This many results were recorded or corrected (none when every typed one was stored already).
    Saved(usize),
    /// Nothing was written: the messages beside each order's fields.
    Refused(Vec<(i64, FieldErrors)>),
}

/// Records the results typed on a visit's sheet in one transaction, each with its audit row, and tells each
/// ordering doctor once. A blank result is left for later, one stored already is left as it is, and one that
/// fails its test's rule refuses the whole sheet.
pub async fn record_visit_results(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    sheet: &[(i64, ResultForm)],
) -> Result<Sheet, ServiceError> {
    lab_only(user)?;
    let patient_id = repo::patient_of_visit_orders(db, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let patient = crate::patients::service::get(db, patient_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut tx = db.begin_write().await?;
    repo::lock_orders_of_visit(&mut tx, visit_id).await?;
    let mut writes = Vec::new();
    let mut refused = Vec::new();
    for (order_id, form) in sheet.iter().filter(|(_, form)| form.is_typed()) {
        let order = recordable_order(&mut tx, *order_id, visit_id).await?;
        let test = repo::test(&mut tx, order.view.test_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        match form.validate(&test, patient.sex) {
            Err(errors) => refused.push((*order_id, errors)),
            Ok(result) if result.is_stored_in(&order.view) => {}
            Ok(_) if form.is_stale(&order.view) => {
                let mut errors = FieldErrors::default();
                errors.add("value", saved_meanwhile(&order));
                refused.push((*order_id, errors));
            }
            Ok(result) => writes.push((order, test, result)),
        }
    }
    if !refused.is_empty() {
        return Ok(Sheet::Refused(refused));
    }
    for (order, test, result) in &writes {
        write_result(&mut tx, user, actor, order, test, result).await?;
    }
    let mut told = Vec::new();
    for (order, ..) in &writes {
        if told.contains(&order.ordered_by) {
            continue;
        }
        told.push(order.ordered_by);
        let tests: Vec<String> = writes
            .iter()
            .filter(|(theirs, ..)| theirs.ordered_by == order.ordered_by)
            .map(|(_, test, result)| result.noticed(&test.name))
            .collect();
        let critical = writes
            .iter()
            .any(|(theirs, _, result)| theirs.ordered_by == order.ordered_by && result.critical);
        let back = format!(
            "{}{} for {} back: {}.",
            if critical { "Critical: " } else { "" },
            results_word(tests.len()),
            patient.full_name(),
            tests.join(", ")
        );
        tell_doctor(&mut tx, order, &back).await?;
    }
    if !writes.is_empty() {
        tx.announce(Event::Lab { visit_id });
        tx.commit().await?;
    }
    Ok(Sheet::Saved(writes.len()))
}

/// What a form filled against an older result is told: what the order holds now.
fn saved_meanwhile(order: &OrderDetail) -> String {
    format!(
        "Someone saved {} for {} while this page was open. Look at it, then save again to change it.",
        order.view.value_with_unit(),
        order.view.test_name
    )
}

/// "1 result", "3 results".
pub fn results_word(count: usize) -> String {
    match count {
        1 => "1 result".to_owned(),
        n => format!("{n} results"),
    }
}

/// An order of the visit whose result may still be written, read in the writing transaction.
async fn recordable_order(tx: &mut Tx, order_id: i64, visit_id: i64) -> Result<OrderDetail, ServiceError> {
    let order = repo::order(&mut *tx, order_id)
        .await?
        .filter(|order| order.view.visit_id == visit_id)
        .ok_or(ServiceError::NotFound)?;
    match order.view.can(OrderMove::Record) {
        true => Ok(order),
        false => Err(ServiceError::Conflict(released_or_cancelled(&order))),
    }
}

/// Stores a checked result of an order with its audit row (a first result, or a correction before release).
async fn write_result(
    tx: &mut Tx,
    user: &StaffUser,
    actor: &Actor,
    order: &OrderDetail,
    test: &LabTest,
    result: &ResultDetails,
) -> Result<(), ServiceError> {
    if !repo::record_result(tx, order.view.id, result, user.id).await? {
        return Err(ServiceError::Conflict(released_or_cancelled(order)));
    }
    let flag = result.flag.map(|f| format!(" ({})", f.label())).unwrap_or_default();
    let (action, detail) = match &order.view.result_value {
        Some(before) => (
            "lab_order.correct",
            format!("{}: {before} → {}{flag}", test.name, result.value),
        ),
        None => ("lab_order.result", format!("{}: {}{flag}", test.name, result.value)),
    };
    let entry = AuditEntry::new(action)
        .record("lab_order", order.view.id)
        .patient(order.patient_id)
        .detail(detail);
    audit::record(tx, actor, entry).await?;
    Ok(())
}

/// Rings the bell of the doctor who ordered `order`, leading to its visit.
async fn tell_doctor(tx: &mut Tx, order: &OrderDetail, text: &str) -> Result<(), ServiceError> {
    let link = format!("/visits/{}", order.view.visit_id);
    notify::notify(tx, Recipient::Staff(order.ordered_by), text, &link).await?;
    Ok(())
}

fn released_or_cancelled(order: &OrderDetail) -> String {
    match order.view.status.has_result() {
        true => "This result is released to the patient and can't be changed.".into(),
        false => "This order was cancelled by the doctor.".into(),
    }
}

/// Marks an order's sample taken: true when it did, false when it was taken already or the order has its result
/// (a second click changes nothing). A cancelled order takes no sample.
pub async fn collect_sample(db: &Db, user: &StaffUser, actor: &Actor, order_id: i64) -> Result<bool, ServiceError> {
    lab_only(user)?;
    let mut tx = db.begin_write().await?;
    let order = repo::order(&mut tx, order_id).await?.ok_or(ServiceError::NotFound)?;
    if !repo::collect(&mut tx, order_id, user.id).await? {
        return match order.view.status {
            super::model::OrderStatus::Cancelled => Err(ServiceError::Conflict(released_or_cancelled(&order))),
            _ => Ok(false),
        };
    }
    let entry = AuditEntry::new("lab_order.collect")
        .record("lab_order", order_id)
        .patient(order.patient_id)
        .detail(format!(
            "{}: {} sample taken",
            order.view.test_name, order.view.specimen
        ));
    audit::record(&mut tx, actor, entry).await?;
    tx.announce(Event::Lab {
        visit_id: order.view.visit_id,
    });
    tx.commit().await?;
    Ok(true)
}

/// Releases a result to the patient: true when it did, false when the result was released already (a second
/// click changes nothing).
pub async fn release(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    order_id: i64,
    releaser: Releaser,
) -> Result<bool, ServiceError> {
    lab_only(user)?;
    let mut tx = db.begin_write().await?;
    let order = repo::order(&mut tx, order_id).await?.ok_or(ServiceError::NotFound)?;
    if order.view.awaits_doctor(releaser) {
        return Err(ServiceError::Refused(awaits_doctor(&order)));
    }
    if !repo::release(&mut tx, order_id, user.id, releaser).await? {
        return match order.view.status {
            super::model::OrderStatus::Released => Ok(false),
            super::model::OrderStatus::Cancelled => Err(ServiceError::Conflict(released_or_cancelled(&order))),
            _ => Err(ServiceError::Conflict("Record the result before releasing it.".into())),
        };
    }
    audit_release(&mut tx, actor, &order.view, order.patient_id).await?;
    tell_results_ready(&mut tx, order.patient_id, &[&order.view]).await?;
    tx.announce(Event::Lab {
        visit_id: order.view.visit_id,
    });
    tx.commit().await?;
    Ok(true)
}

/// Releases every recorded result of a visit not released yet, in one transaction, and tells the patient once;
/// how many it released (none when there were none to release: a second click changes nothing).
pub async fn release_visit(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    visit_id: i64,
    releaser: Releaser,
) -> Result<usize, ServiceError> {
    lab_only(user)?;
    let mut tx = db.begin_write().await?;
    repo::lock_orders_of_visit(&mut tx, visit_id).await?;
    let patient_id = repo::patient_of_visit_orders(&mut tx, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let orders = repo::orders_of_visits(&mut tx, &[visit_id], false).await?;
    let resulted: Vec<&OrderView> = orders.iter().filter(|order| order.lab_may_release(releaser)).collect();
    if resulted.is_empty() && orders.iter().any(|order| order.awaits_doctor(releaser)) {
        return Err(ServiceError::Refused(
            "These results go to the patient when the doctor who ordered them marks them seen.".into(),
        ));
    }
    if resulted.is_empty() {
        return Ok(0);
    }
    for order in &resulted {
        if !repo::release(&mut tx, order.id, user.id, releaser).await? {
            return Err(ServiceError::Conflict(
                "A result changed while you released them. Reload the page and look again.".into(),
            ));
        }
        audit_release(&mut tx, actor, order, patient_id).await?;
    }
    tell_results_ready(&mut tx, patient_id, &resulted).await?;
    tx.announce(Event::Lab { visit_id });
    tx.commit().await?;
    Ok(resulted.len())
}

/// Why the lab can't release a result of a clinic where the ordering doctor does.
fn awaits_doctor(order: &OrderDetail) -> String {
    format!(
        "This result goes to the patient when {} (who ordered it) marks it seen.",
        order.doctor_name
    )
}

async fn audit_release(tx: &mut Tx, actor: &Actor, order: &OrderView, patient_id: i64) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("lab_order.release")
        .record("lab_order", order.id)
        .patient(patient_id)
        .detail(order.test_name.clone());
    audit::record(tx, actor, entry).await?;
    Ok(())
}

/// Tells the patient, by the channels they chose, that the results of `released` (one visit's, at least one)
/// are ready: one message however many were released together.
async fn tell_results_ready(tx: &mut Tx, patient_id: i64, released: &[&OrderView]) -> Result<(), ServiceError> {
    let Some(first) = released.first() else {
        return Ok(());
    };
    let names: Vec<&str> = released.iter().map(|order| order.test_name.as_str()).collect();
    let (subject, body) = match names.as_slice() {
        [one] => (
            "Your result is ready",
            format!("Your {one} result is ready. Open your visit to read it."),
        ),
        [first @ .., last] => (
            "Your results are ready",
            format!(
                "Your {} and {last} results are ready. Open your visit to read them.",
                first.join(", ")
            ),
        ),
        [] => return Ok(()),
    };
    let context = outbox::Context::read(&mut *tx).await?;
    let notice = Notice {
        kind: Kind::ResultsReady,
        about: first.id.to_string(),
        subject: subject.to_owned(),
        body,
        link: format!("/me/visits/{}", first.visit_id),
        record: ("lab_order", first.id),
        stale_after: None,
    };
    outbox::tell_patient(tx, &context, patient_id, notice).await?;
    Ok(())
}

// ---- health records -------------------------------------------------------------------------------------

/// A screening record with the vitals taken with it.
#[derive(Clone, Debug)]
pub struct HealthRecord {
    pub record: HealthRecordRow,
    pub vitals: Option<Recorded>,
}

/// Who may read a patient's health records: the lab, doctors and admins.
pub fn may_read_health_records(user: &StaffUser) -> bool {
    user.holds_any(&[Role::Lab, Role::Doctor, Role::Admin])
}

/// A patient's screening records, newest first, each with its vitals (for the chart and the lab's page).
pub async fn health_records_of(mut db: impl Reader, patient_id: i64) -> Result<Vec<HealthRecord>, ServiceError> {
    let rows = repo::health_records(&mut db, patient_id).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut vitals = crate::consult::service::vitals_of_health_records(&mut db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|record| {
            let at = vitals.iter().position(|v| v.health_record_id == Some(record.id));
            HealthRecord {
                vitals: at.map(|at| vitals.swap_remove(at)),
                record,
            }
        })
        .collect())
}

/// Adds a screening record (the lab) with its vitals, once per form.
pub async fn add_health_record(
    db: &Db,
    user: &StaffUser,
    actor: &Actor,
    patient_id: i64,
    form: &HealthRecordForm,
    today: Date,
) -> Result<i64, ServiceError> {
    lab_only(user)?;
    let details = form.validate().map_err(ServiceError::Invalid)?;
    let mut tx = db.begin_write().await?;
    if let Claim::Done(id) = actor.claim_form(&mut tx, ADD_HEALTH_RECORD).await? {
        return Ok(id);
    }
    if !crate::patients::service::lock_active(&mut tx, patient_id).await? {
        return Err(ServiceError::NotFound);
    }
    let new = NewHealthRecord {
        patient_id,
        day: today,
        eye_left: &details.eye_left,
        eye_right: &details.eye_right,
        notes: &details.notes,
        outcome: details.outcome,
        recorded_by: user.id,
    };
    let id = repo::insert_health_record(&mut tx, &new).await?;
    if let Some(vitals) = &details.vitals {
        crate::consult::service::record_health_vitals_in(&mut tx, patient_id, id, vitals, user.id).await?;
    }
    let entry = AuditEntry::new("health_record.create")
        .record("health_record", id)
        .patient(patient_id)
        .detail(details.outcome.label());
    audit::record_form(&mut tx, actor, entry, ADD_HEALTH_RECORD, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// The audit row of someone reading a patient's health records.
pub async fn record_health_records_read(reads: &Reads, actor: &Actor, patient_id: i64) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("health_record.view")
        .record("patient", patient_id)
        .patient(patient_id);
    reads.record(actor, entry).await
}

/// The audit row of the lab opening an order's page: the patient's test, its result and their vitals.
pub async fn record_order_read(reads: &Reads, actor: &Actor, order: &OrderDetail) -> Result<(), ServiceError> {
    let entry = AuditEntry::new("lab_order.view")
        .record("lab_order", order.view.id)
        .patient(order.patient_id);
    reads.record(actor, entry).await
}
