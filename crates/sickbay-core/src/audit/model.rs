use chrono_tz::Tz;

use crate::db::{Date, Timestamp};
use crate::identity::{Actor, ActorKind, Role};
use crate::validation::FieldErrors;

/// What happened. `action` is a dotted name such as `staff.create` or `auth.login`.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub action: &'static str,
    pub record_type: Option<&'static str>,
    pub record_id: Option<i64>,
    pub patient_id: Option<i64>,
    pub detail: String,
}

impl AuditEntry {
    pub fn new(action: &'static str) -> Self {
        AuditEntry {
            action,
            record_type: None,
            record_id: None,
            patient_id: None,
            detail: String::new(),
        }
    }

    pub fn record(mut self, record_type: &'static str, id: i64) -> Self {
        self.record_type = Some(record_type);
        self.record_id = Some(id);
        self
    }

    /// The patient whose record this is about (for "who looked at this patient's chart").
    pub fn patient(mut self, id: i64) -> Self {
        self.patient_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// One row to write: who did what, and when.
#[derive(Clone, Debug)]
pub struct AuditWrite {
    pub at: Timestamp,
    pub actor: Actor,
    pub entry: AuditEntry,
}

/// One row of the log as the admin reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: Timestamp,
    pub actor_kind: ActorKind,
    pub actor_label: String,
    /// The staff member's role and name, when a staff member acted (as their account is now).
    pub actor_role: Option<Role>,
    /// The role the staff member acted in, as the row recorded it (rows written before roles were recorded,
    /// and logins, have none).
    pub acted_as: Option<Role>,
    pub actor_name: Option<String>,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<i64>,
    pub patient_id: Option<i64>,
    /// The patient's name and clinic number, when the row is about a patient still on record.
    pub patient_label: Option<String>,
    /// The name of the record, for the kinds that have one: a staff account's person, a room, a drug, a
    /// fee; or its code, for a ticket ("A-012") and an issued invoice.
    pub record_name: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

impl AuditRow {
    pub fn action_label(&self) -> String {
        describe_action(&self.action)
    }

    /// What the actor was: the role a staff member acted in (their account's role where the row recorded
    /// none), or the kind of actor ("Patient", "System").
    pub fn actor_role_words(&self) -> &'static str {
        match (self.actor_kind, self.acted_as.or(self.actor_role)) {
            (ActorKind::Staff, Some(role)) => role.label(),
            (ActorKind::Staff, None) => "Staff",
            (ActorKind::Patient, _) => "Patient",
            (ActorKind::System, _) => "System",
            (ActorKind::Anonymous, _) => "Not logged in",
        }
    }

    /// The patient the row is about: their name and clinic number, or their number when no longer on record.
    pub fn patient_words(&self) -> String {
        match (&self.patient_label, self.patient_id) {
            (Some(label), _) => label.clone(),
            (None, Some(id)) => format!("Patient {id}"),
            (None, None) => String::new(),
        }
    }

    /// What the row is about, in words: "Ticket A-012", "Room: Room 3", "Lab order: Malaria parasite",
    /// "Appointment with Dr Aisha Ibrahim", "Visit 12".
    pub fn record_label(&self) -> String {
        let kind = self.record_type.as_deref().map(record_words).unwrap_or_default();
        let coded = matches!(self.record_type.as_deref(), Some("ticket" | "invoice"));
        let with_doctor = matches!(self.record_type.as_deref(), Some("appointment" | "slot"));
        match (&self.record_name, self.record_id) {
            (Some(code), _) if coded => format!("{kind} {code}"),
            (Some(doctor), _) if with_doctor => format!("{kind} with {doctor}"),
            (Some(name), _) if !kind.is_empty() => format!("{kind}: {name}"),
            (_, Some(id)) if !kind.is_empty() => format!("{kind} {id}"),
            _ => kind.to_owned(),
        }
    }

    /// Where the record can be opened, for the kinds that have a page.
    pub fn record_href(&self) -> Option<String> {
        let id = self.record_id?;
        match self.record_type.as_deref()? {
            "patient" => Some(format!("/patients/{id}")),
            "staff" => Some(format!("/admin/staff/{id}")),
            "import_job" => Some(format!("/admin/import/{id}")),
            "faculty" | "department" | "level" | "academic_session" => Some("/admin/academic".into()),
            "room" => Some("/admin/rooms".into()),
            "invoice" => Some(format!("/billing/invoices/{id}")),
            "visit" => Some(format!("/visits/{id}")),
            "appointment" => Some(format!("/appointments/{id}")),
            "lab_order" => Some(format!("/lab/orders/{id}")),
            "letter" => Some(format!("/letters/{id}")),
            "prescription" => Some(format!("/pharmacy/prescriptions/{id}")),
            "drug" => Some(format!("/pharmacy/drugs/{id}")),
            "fee" => Some("/admin/fees".into()),
            "scheme" => Some("/admin/schemes".into()),
            _ => None,
        }
    }

    /// Who acted, in the trail's words: "as Lab attendant" where the row recorded a role they acted in other
    /// than their account's own, otherwise what [`Self::actor_role_words`] says ("Reception").
    pub fn actor_words(&self) -> String {
        match (self.actor_kind, self.acted_as) {
            (ActorKind::Staff, Some(role)) if Some(role) != self.actor_role => format!("as {}", role.label()),
            _ => self.actor_role_words().to_owned(),
        }
    }

    /// For the patient's own list of who opened their record: who, as the clinic chose to show them (the
    /// role, and the name only when `with_name`).
    pub fn reader_words(&self, with_name: bool) -> String {
        let role = self.acted_as.or(self.actor_role).map_or("Clinic staff", Role::label);
        match (&self.actor_name, with_name) {
            (Some(name), true) => format!("{name} ({role})"),
            _ => role.to_owned(),
        }
    }

    /// For the patient: what was opened, in their words ("Opened your chart").
    pub fn read_words(&self) -> &'static str {
        READS
            .iter()
            .find(|(action, _)| *action == self.action)
            .map_or("Opened your record", |(_, words)| words)
    }
}

/// Reads of a patient's record one after another by the same reader, of the same kind, each within this long of
/// the next, are one line for the patient: a pharmacist's five looks at one prescription are one event to them.
pub const READ_RUN_GAP_MS: i64 = 10 * 60_000;

/// A patient's line of who opened their record: the newest read of a run and how many reads it stands for.
#[derive(Clone, Debug)]
pub struct ReadRun<'a> {
    pub row: &'a AuditRow,
    pub times: usize,
}

/// `rows` (newest first) with each run of like reads (see [`READ_RUN_GAP_MS`]) as one line; `with_name` as the
/// clinic shows readers to patients.
pub fn runs_of_reads(rows: &[AuditRow], with_name: bool) -> Vec<ReadRun<'_>> {
    let mut runs: Vec<ReadRun<'_>> = Vec::new();
    let mut last: Option<(&AuditRow, String)> = None;
    for row in rows {
        let reader = row.reader_words(with_name);
        let like_the_last = last.as_ref().is_some_and(|(newer, newer_reader)| {
            newer.at.0 - row.at.0 <= READ_RUN_GAP_MS && newer.action == row.action && *newer_reader == reader
        });
        match runs.last_mut() {
            Some(run) if like_the_last => run.times += 1,
            _ => runs.push(ReadRun { row, times: 1 }),
        }
        last = Some((row, reader));
    }
    runs
}

/// An entry of the log in words: what the trail and the admin's latest activity both show of it, so the two
/// never tell one event differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    /// Who acted, by name for staff ("Amina Bello"), and as what ("Doctor"; "Patient", "System").
    pub who: String,
    pub role: String,
    /// The staff member's username, where `who` is their name.
    pub login: Option<String>,
    /// What they did: "Logged in", never the action's code.
    pub what: String,
    /// The patient it is about, by name and clinic number, and their record's page.
    pub patient: Option<(String, String)>,
    /// The record it is about: "Appointment 12" (empty when none).
    pub record: String,
    /// Where that record can be opened, for the kinds that have a page.
    pub record_href: Option<String>,
}

impl AuditRow {
    /// The entry in words (see [`Described`]).
    pub fn described(&self) -> Described {
        let named = matches!(self.actor_kind, ActorKind::Staff | ActorKind::Patient);
        let name = self.actor_name.clone().filter(|_| named);
        Described {
            login: name.as_ref().map(|_| self.actor_label.clone()),
            who: name.unwrap_or_else(|| self.actor_label.clone()),
            role: self.actor_words(),
            what: self.action_label(),
            patient: self
                .patient_id
                .map(|id| (self.patient_words(), format!("/patients/{id}"))),
            record: self.record_label(),
            record_href: self.record_href(),
        }
    }
}

/// The kinds of record the log names, in words (the record type filter's choices).
pub const RECORD_TYPES: &[(&str, &str)] = &[
    ("academic_session", "Academic session"),
    ("appointment", "Appointment"),
    ("clinical_note", "Clinical note"),
    ("closure", "Closure"),
    ("department", "Department"),
    ("diagnosis", "Diagnosis"),
    ("dispensation", "Dispensation"),
    ("document", "Document"),
    ("drug", "Drug"),
    ("drug_batch", "Batch of a drug"),
    ("faculty", "Faculty"),
    ("fee", "Fee"),
    ("health_record", "Health record"),
    ("import_job", "Import"),
    ("invoice", "Invoice"),
    ("lab_order", "Lab order"),
    ("lab_test", "Lab test"),
    ("letter", "Letter"),
    ("outbox", "Message"),
    ("level", "Level"),
    ("patient", "Patient"),
    ("prescription", "Prescription"),
    ("prescription_item", "Prescribed drug"),
    ("procedure", "Procedure"),
    ("procedure_type", "Procedure of the catalogue"),
    ("room", "Room"),
    ("scheme", "Scheme"),
    ("setting", "Settings"),
    ("slot", "Slot"),
    ("hours", "Weekly hours"),
    ("staff", "Staff account"),
    ("ticket", "Ticket"),
    ("visit", "Visit"),
    ("visit_procedure", "Procedure done in a visit"),
    ("vitals", "Vitals"),
    ("waitlist_entry", "Waitlist entry"),
];

/// A record type in words.
fn record_words(kind: &str) -> &str {
    RECORD_TYPES
        .iter()
        .find(|(name, _)| *name == kind)
        .map_or(kind, |(_, words)| words)
}

/// Every action the code writes, with its plain words (academic actions are made by [`academic_action`]).
const ACTIONS: &[(&str, &str)] = &[
    ("auth.login", "Logged in"),
    ("auth.login_failed", "Failed to log in"),
    ("auth.logout", "Logged out"),
    ("auth.password_change", "Changed their password"),
    ("auth.password_reset_requested", "Asked for a password reset link"),
    ("auth.password_reset", "Set a new password with a reset link"),
    ("outbox.retry", "Sent a message again"),
    ("digest.send", "Sent a staff digest"),
    ("staff.digests", "Chose how to get their digests"),
    ("outbox.test", "Sent a test message"),
    ("patient.create", "Registered a patient"),
    ("patient.register", "Registered a patient"),
    ("patient.portal_sheet", "Issued a sheet of one-time portal passwords"),
    ("patient.update", "Changed a patient's details"),
    ("patient.update_contact", "Changed their contact details"),
    ("patient.approve", "Approved a patient's portal account"),
    ("patient.reset_password", "Set up a patient's portal access"),
    ("patient.photo", "Changed a patient's photo"),
    ("patient.import", "Imported students"),
    ("patient.view", "Opened a patient's record"),
    ("patient.view_edit", "Opened a patient's record to edit"),
    ("patient.view_card", "Opened a patient's clinic card"),
    ("patient.view_photo", "Looked at a patient's photo"),
    ("patient.view_qr", "Looked at a patient's QR code"),
    ("staff.create", "Created a staff account"),
    ("staff.update", "Changed a staff account"),
    ("staff.deactivate", "Deactivated a staff account"),
    ("staff.reactivate", "Reactivated a staff account"),
    ("staff.reset_password", "Reset a staff member's password"),
    ("staff.role_grant", "Gave a staff member another role"),
    ("staff.role_revoke", "Took a role back from a staff member"),
    ("appointment.book", "Booked an appointment"),
    ("appointment.cancel", "Cancelled an appointment"),
    ("appointment.reschedule", "Moved an appointment"),
    ("appointment.correct", "Corrected an appointment's status"),
    ("appointment.no_show", "Marked an appointment as a no-show"),
    ("hours.create", "Added weekly hours"),
    ("hours.remove", "Removed weekly hours"),
    ("closure.create", "Closed days"),
    ("closure.remove", "Removed a closure"),
    ("slot.block", "Blocked a slot"),
    ("slot.unblock", "Unblocked a slot"),
    ("waitlist.join", "Joined a waitlist"),
    ("waitlist.leave", "Left a waitlist"),
    ("room.create", "Added a room"),
    ("room.update", "Changed a room"),
    ("room.assign", "Chose a room for the day"),
    ("ticket.check_in", "Checked a patient in"),
    ("ticket.walk_in", "Added a walk-in to the queue"),
    ("ticket.call", "Called a patient"),
    ("ticket.recall", "Called a patient again"),
    ("ticket.start", "Started a consultation"),
    ("ticket.complete", "Completed a consultation"),
    ("ticket.skip", "Skipped a ticket"),
    ("ticket.no_show", "Marked a ticket as a no-show"),
    ("ticket.transfer", "Transferred a ticket"),
    ("ticket.cancel", "Took a ticket out of the queue (left)"),
    ("ticket.reinstate", "Put a ticket back in the queue"),
    ("ticket.priority", "Changed a waiting ticket's priority"),
    ("ticket.leave", "Left the queue from their phone"),
    ("visit.open", "Opened a visit"),
    ("visit.complete", "Completed a visit"),
    ("visit.view", "Opened a visit's record"),
    ("visit.vitals", "Recorded vitals"),
    ("visit.note", "Wrote a clinical note"),
    (
        "visit.draft_discard",
        "Discarded an unsigned note when completing a visit",
    ),
    ("visit.addendum", "Signed an addendum to a completed visit"),
    ("visit.diagnosis", "Recorded a diagnosis"),
    ("visit.diagnosis_remove", "Removed a diagnosis"),
    ("chart.view", "Opened a patient's chart"),
    ("lab_test.create", "Added a lab test to the catalogue"),
    ("lab_test.update", "Changed a lab test of the catalogue"),
    ("lab_order.create", "Ordered a lab test"),
    ("lab_order.cancel", "Cancelled a lab order"),
    ("lab_order.collect", "Took the sample of a lab order"),
    ("lab_order.seen", "Marked a lab result seen"),
    ("lab_order.result", "Recorded a lab result"),
    ("lab_order.correct", "Corrected a lab result before its release"),
    ("lab_order.release", "Released a lab result to the patient"),
    ("lab_order.view", "Opened a lab order and its result"),
    ("visit.view_vitals", "Opened a visit's vitals"),
    ("visit.view_results", "Opened a visit's lab tests and their results"),
    ("health_record.create", "Recorded a health screening"),
    ("health_record.view", "Opened a patient's health records"),
    ("drug.create", "Added a drug to the catalogue"),
    ("drug.update", "Changed a drug in the catalogue"),
    ("drug.batch_receive", "Received a batch of a drug into stock"),
    ("drug.batch_adjust", "Adjusted a batch's stock"),
    ("drug.batch_write_off", "Wrote off an expired batch"),
    ("drug.stock_count", "Recorded a stock count of a shelf"),
    ("prescription.item_add", "Prescribed a drug"),
    ("prescription.item_remove", "Took a drug off a prescription"),
    (
        "prescription.allergy_override",
        "Prescribed a drug despite a recorded allergy",
    ),
    ("prescription.dispense", "Dispensed a prescription"),
    ("prescription.refuse", "Refused what was still owed of a prescription"),
    ("prescription.view", "Opened a prescription"),
    ("procedure_type.create", "Added a procedure to the catalogue"),
    ("procedure_type.update", "Changed a procedure of the catalogue"),
    ("procedure.record", "Recorded a procedure"),
    ("procedure.supply_set", "Set a supply a procedure uses"),
    ("procedure.supply_remove", "Removed a supply from a procedure"),
    ("procedure.remove", "Removed a procedure from a visit"),
    ("letter.issue", "Wrote a sick note, certificate or referral letter"),
    ("letter.read", "Opened a sick note, certificate or referral letter"),
    ("document.upload", "Uploaded a document"),
    ("document.view", "Opened a document"),
    ("document.view_list", "Opened a patient's list of documents"),
    ("staff.profile", "Changed a doctor's profile"),
    ("settings.update", "Changed the clinic's settings"),
    ("backup.take", "Took a backup copy of the database"),
    ("backup.download", "Downloaded a backup copy of the database"),
    ("fee.create", "Added a service to the fee schedule"),
    ("fee.update", "Changed a fee"),
    ("fee.prices", "Changed prices by patient category"),
    ("scheme.create", "Added a payer scheme"),
    ("patient.scheme", "Changed the scheme covering a patient"),
    ("invoice.create", "Started an invoice"),
    ("invoice.add_line", "Added a line to an invoice"),
    ("invoice.remove_line", "Removed a line from an invoice"),
    ("invoice.issue", "Issued an invoice"),
    ("invoice.credit", "Gave a credit note"),
    ("invoice.void", "Voided an invoice"),
    ("invoice.discard", "Discarded a draft invoice"),
    ("payment.create", "Took a payment"),
    ("payment.refund", "Gave a refund"),
    ("cash.close", "Closed the day's cash"),
    ("claim.mark", "Marked scheme claim lines"),
    (
        "academic.session.make_current",
        "Made an academic session the current one",
    ),
];

/// An audit action in plain words: `patient.view` is "Opened a patient's record".
pub fn describe_action(action: &str) -> String {
    match ACTIONS.iter().find(|(name, _)| *name == action) {
        Some((_, words)) => (*words).to_owned(),
        None => academic_action(action).unwrap_or_else(|| unknown_action(action)),
    }
}

/// Every action this version writes, with its words, in the order of the words (the action filter's choices).
pub fn known_actions() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = ACTIONS
        .iter()
        .map(|(name, words)| ((*name).to_owned(), (*words).to_owned()))
        .chain(ACADEMIC_KINDS.iter().flat_map(|(kind, _)| {
            ACADEMIC_VERBS.iter().filter_map(move |(verb, _)| {
                let name = format!("academic.{kind}.{verb}");
                academic_action(&name).map(|words| (name, words))
            })
        }))
        .collect();
    all.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all
}

/// Whether this version writes `action` (the action filter accepts only these).
pub fn is_known_action(action: &str) -> bool {
    ACTIONS.iter().any(|(name, _)| *name == action) || academic_action(action).is_some()
}

/// The actions that read a patient's record rather than change it, with what the patient is told was opened.
const READS: &[(&str, &str)] = &[
    ("patient.view", "Opened your record"),
    ("patient.view_edit", "Opened your details to change them"),
    ("patient.view_card", "Opened your clinic card"),
    ("patient.view_photo", "Looked at your photo"),
    ("patient.view_qr", "Looked at your card's QR code"),
    ("chart.view", "Opened your chart"),
    ("visit.view", "Opened the notes of a visit"),
    ("health_record.view", "Opened your health records"),
    ("prescription.view", "Opened a prescription"),
    ("document.view", "Opened a document"),
    ("document.view_list", "Opened the list of your documents"),
    ("lab_order.view", "Opened a lab test and its result"),
    ("visit.view_vitals", "Opened your vitals"),
    ("visit.view_results", "Opened your lab tests and their results"),
];

/// Whether `action` is someone looking at a patient's record (as opposed to changing something): the reads
/// that "who looked at this record" lists, and that a patient sees on their phone.
pub fn is_read_action(action: &str) -> bool {
    READS.iter().any(|(name, _)| *name == action)
}

/// Every read action (for the queries that select them).
pub fn read_actions() -> impl Iterator<Item = &'static str> {
    READS.iter().map(|(name, _)| *name)
}

/// Logging in and out, and the failed attempts: the trail's "Sign-ins".
const SIGN_INS: &[&str] = &["auth.login", "auth.login_failed", "auth.logout"];

/// Every sign-in action (for the queries that select them).
pub fn sign_in_actions() -> impl Iterator<Item = &'static str> {
    SIGN_INS.iter().copied()
}

/// Which entries the trail shows. Changes are its default, so that an admin's first look (the trail, the home's
/// recent activity) is what was done, not the hundreds of sign-ins and opened records between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Entries {
    /// Everything but sign-ins and reads.
    #[default]
    Changes,
    SignIns,
    /// Reads of patients' records (see [`is_read_action`]).
    Reads,
    All,
}

impl Entries {
    pub const EVERY: [Entries; 4] = [Entries::Changes, Entries::SignIns, Entries::Reads, Entries::All];

    /// Its value in the query string: none for the default; `1` for reads, as "who looked" links have it.
    pub fn as_query(self) -> &'static str {
        match self {
            Entries::Changes => "",
            Entries::SignIns => "sign-ins",
            Entries::Reads => "1",
            Entries::All => "all",
        }
    }

    fn parse(text: &str) -> Result<Entries, &'static str> {
        Ok(match text.trim() {
            "" | "0" | "changes" => Entries::Changes,
            "sign-ins" => Entries::SignIns,
            "1" | "reads" => Entries::Reads,
            "all" => Entries::All,
            _ => return Err("Choose what to show from the list."),
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Entries::Changes => "Changes",
            Entries::SignIns => "Sign-ins",
            Entries::Reads => "Who looked at records",
            Entries::All => "Everything",
        }
    }
}

/// `academic.department.create` is "Created a department".
fn academic_action(action: &str) -> Option<String> {
    let rest = action.strip_prefix("academic.")?;
    let (kind, verb) = rest.split_once('.')?;
    let kind = ACADEMIC_KINDS.iter().find(|(name, _)| *name == kind)?.1;
    let verb = ACADEMIC_VERBS.iter().find(|(name, _)| *name == verb)?.1;
    Some(format!("{verb} {kind}"))
}

const ACADEMIC_KINDS: &[(&str, &str)] = &[
    ("session", "an academic session"),
    ("faculty", "a faculty"),
    ("department", "a department"),
    ("level", "a level"),
];

const ACADEMIC_VERBS: &[(&str, &str)] = &[
    ("create", "Created"),
    ("update", "Changed"),
    ("deactivate", "Deactivated"),
    ("reactivate", "Reactivated"),
    ("delete", "Deleted"),
];

/// An action this version does not know (written by a newer one): its name in words, never a code.
fn unknown_action(action: &str) -> String {
    crate::validation::capitalized(&action.replace(['.', '_'], " "))
}

// ---- the trail's filters ------------------------------------------------------------------------------------

/// Whose entries: anyone's, one staff member's, or everyone of a kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Who {
    #[default]
    Anyone,
    /// One staff member, by id.
    Staff(i64),
    AnyStaff,
    Patients,
    System,
}

impl Who {
    /// The `user` of the query string.
    fn parse(text: &str) -> Result<Who, &'static str> {
        match text.trim() {
            "" => Ok(Who::Anyone),
            "staff" => Ok(Who::AnyStaff),
            "patients" => Ok(Who::Patients),
            "system" => Ok(Who::System),
            id => crate::validation::parse_id(id)
                .map(Who::Staff)
                .ok_or("Choose whose entries to show from the list."),
        }
    }

    pub fn as_query(self) -> String {
        match self {
            Who::Anyone => String::new(),
            Who::Staff(id) => id.to_string(),
            Who::AnyStaff => "staff".into(),
            Who::Patients => "patients".into(),
            Who::System => "system".into(),
        }
    }

    /// The kind of actor every entry of this choice has, for the choices that are a kind.
    pub fn kind(self) -> Option<ActorKind> {
        match self {
            Who::Anyone => None,
            Who::Staff(_) | Who::AnyStaff => Some(ActorKind::Staff),
            Who::Patients => Some(ActorKind::Patient),
            Who::System => Some(ActorKind::System),
        }
    }
}

/// The filters of the trail, checked: the page and its CSV read the log through these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub who: Who,
    pub patient: Option<i64>,
    pub action: Option<String>,
    /// Which entries; a chosen action overrides it (the action says what the entries are).
    pub entries: Entries,
    pub record_type: Option<&'static str>,
    /// The first and last day shown, in the clinic's time zone.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// The instants a filter's days cover: from the start of its first day to the start of the day after its last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

impl Filter {
    /// The reads of one patient's record by staff: what the patient sees on their phone.
    pub fn reads_of_patient(patient_id: i64) -> Self {
        Filter {
            who: Who::AnyStaff,
            patient: Some(patient_id),
            entries: Entries::Reads,
            ..Filter::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether a filter narrows the entries shown (who, patient, action, kind of record, days), whichever
    /// entries are shown.
    pub fn narrows(&self) -> bool {
        Filter {
            entries: Entries::default(),
            ..self.clone()
        } != Filter::default()
    }

    /// The span of the filter's days in `zone`: a local day is from its midnight to the next one's, so an
    /// entry at 23:30 local time belongs to that local day whatever its day in UTC.
    pub fn span(&self, zone: Tz) -> Span {
        Span {
            start: self.from.map(|day| Timestamp::start_of_day(day.0, zone)),
            end: self
                .to
                .map(|day| Timestamp::start_of_day(Date::add_days(day.0, 1), zone)),
        }
    }

    /// The filter as a query string (empty when it filters nothing), for the pager and the CSV link.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("user", self.who.as_query()),
            ("patient", self.patient.map(|id| id.to_string()).unwrap_or_default()),
            ("action", self.action.clone().unwrap_or_default()),
            ("access", self.entries.as_query().to_owned()),
            ("record", self.record_type.unwrap_or_default().to_owned()),
            ("from", self.from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", self.to.map(|d| d.to_string()).unwrap_or_default()),
        ];
        for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
            out.append_pair(name, value);
        }
        out.finish()
    }
}

/// The trail's query string as typed: the filters and the page (`before=ID`: the entries after that one).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct TrailQuery {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub record: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

impl TrailQuery {
    /// The filter asked for, or a message beside each filter that doesn't read.
    pub fn filter(&self) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let who = errors.check("user", Who::parse(&self.user));
        let patient = match self.patient.trim() {
            "" => None,
            text => errors.check(
                "patient",
                crate::validation::parse_id(text)
                    .ok_or("Open the trail from the patient's record: their number here is not one."),
            ),
        };
        let entries = errors.check("access", Entries::parse(&self.access));
        let action = match self.action.trim() {
            "" => None,
            name if is_known_action(name) => Some(name.to_owned()),
            _ => {
                errors.add("action", "Choose an action from the list.");
                None
            }
        };
        let record_type = match self.record.trim() {
            "" => None,
            kind => match RECORD_TYPES.iter().find(|(name, _)| *name == kind) {
                Some((name, _)) => Some(*name),
                None => {
                    errors.add("record", "Choose a kind of record from the list.");
                    None
                }
            },
        };
        let day = |text: &str, which: &str| match text.trim() {
            "" => Ok(None),
            text => Date::parse(text)
                .map(Some)
                .map_err(|_| format!("Give the {which} day as YYYY-MM-DD, e.g. 2026-03-14.")),
        };
        let from = errors.check("from", day(&self.from, "first")).flatten();
        let to = errors.check("to", day(&self.to, "last")).flatten();
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add(
                "to",
                "The last day is before the first day: give a last day on or after it.",
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            who: who.unwrap_or_default(),
            patient,
            action,
            entries: entries.unwrap_or_default(),
            record_type,
            from,
            to,
        })
    }

    /// The entry the page starts after; an unreadable one is the first page.
    pub fn before(&self) -> Option<i64> {
        crate::validation::parse_id(&self.before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action the code writes has its own words (found by scanning the sources for action names).
    #[test]
    fn every_action_written_has_plain_words() {
        let pattern = regex::Regex::new(r#""((?:academic|appointment|auth|cash|chart|claim|closure|digest|document|drug|fee|health_record|hours|invoice|lab_order|lab_test|outbox|patient|payment|prescription|procedure|procedure_type|room|scheme|settings|slot|staff|ticket|visit|waitlist)\.[a-z_.]+)""#)
            .expect("regex");
        // "document.pdf" is a file's name, not an action; a few names only key a form's claim (db::form_ids).
        const FORM_KEYS_ONLY: [&str; 1] = ["invoice.bill_visit"];
        let file_name =
            regex::Regex::new(r"\.(pdf|png|jpe?g|csv|txt|html|css|js|db|ico|svg|json|sql)$").expect("regex");
        let mut seen = 0;
        for (path, text) in sources() {
            for found in pattern.captures_iter(&text) {
                let action = &found[1];
                if file_name.is_match(action) || FORM_KEYS_ONLY.contains(&action) {
                    continue;
                }
                assert_ne!(
                    describe_action(action),
                    unknown_action(action),
                    "{action} in {}",
                    path.display()
                );
                seen += 1;
            }
        }
        assert!(seen > 40, "found only {seen} actions");
        for kind in ["faculty", "department", "level", "session"] {
            for verb in ["create", "update", "deactivate", "reactivate", "delete"] {
                let action = format!("academic.{kind}.{verb}");
                assert_ne!(describe_action(&action), unknown_action(&action), "{action}");
            }
        }
        assert_eq!(describe_action("lab.result_release"), "Lab result release");
    }

    /// Every file of the workspace's sources (this crate's and the web crate's), with its text.
    fn sources() -> Vec<(std::path::PathBuf, String)> {
        let core = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let web = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../src"));
        let mut stack = vec![core, web];
        let mut files = Vec::new();
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).expect("src").map(|e| e.expect("entry").path()));
            } else {
                let text = std::fs::read_to_string(&path).expect("source");
                files.push((path, text));
            }
        }
        files
    }

    /// Every action written in the sources that looks at something (`*.view*`) is a read: "who looked at this
    /// record" and the patient's own list can't miss one.
    #[test]
    fn every_view_action_written_is_a_read() {
        let pattern = regex::Regex::new(r#""([a-z_]+\.view[a-z_]*)""#).expect("regex");
        let mut seen = std::collections::BTreeSet::new();
        for (path, text) in sources() {
            for found in pattern.captures_iter(&text) {
                let action = &found[1];
                assert!(is_read_action(action), "{action} in {} is not a read", path.display());
                seen.insert(action.to_owned());
            }
        }
        assert!(seen.len() >= 8, "found only {seen:?}");
        for action in read_actions() {
            assert!(is_known_action(action), "{action} has no words");
            // The reads are written into SQL as they are (repo::conditions).
            assert!(
                action.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{action}"
            );
        }
        assert!(!is_read_action("patient.update") && !is_read_action("auth.login"));
    }

    /// No code changes or deletes an entry of the log (the database refuses it too: migration 0012).
    #[test]
    fn nothing_in_the_sources_updates_or_deletes_the_log() {
        let table = ["audit", "event"].join("_");
        let forbidden = [
            format!("update {table}"),
            format!("delete from {table}"),
            format!("truncate {table}"),
        ];
        for (path, text) in sources() {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            for needle in &forbidden {
                assert!(!text.contains(needle.as_str()), "{needle:?} in {}", path.display());
            }
        }
    }

    #[test]
    fn the_actions_to_choose_from_are_every_known_one_once_in_the_order_of_their_words() {
        let all = known_actions();
        assert_eq!(all.len(), ACTIONS.len() + ACADEMIC_KINDS.len() * ACADEMIC_VERBS.len());
        assert!(all.windows(2).all(|w| w[0].1 <= w[1].1), "sorted by words");
        let names: std::collections::BTreeSet<_> = all.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names.len(), all.len(), "each once");
        assert!(
            all.iter()
                .all(|(name, words)| is_known_action(name) && describe_action(name) == *words)
        );
        assert!(!is_known_action("lab.explode") && !is_known_action(&["academic", "level", "explode"].join(".")));
        assert_eq!(describe_action("academic.level.delete"), "Deleted a level");
    }

    fn query(pairs: &[(&str, &str)]) -> TrailQuery {
        let mut q = TrailQuery::default();
        for (name, value) in pairs {
            let field = match *name {
                "user" => &mut q.user,
                "patient" => &mut q.patient,
                "action" => &mut q.action,
                "access" => &mut q.access,
                "record" => &mut q.record,
                "from" => &mut q.from,
                "to" => &mut q.to,
                "before" => &mut q.before,
                other => panic!("no filter {other}"),
            };
            *field = (*value).to_owned();
        }
        q
    }

    #[test]
    fn filters_read_from_the_query_and_back() {
        let q = query(&[
            ("user", "12"),
            ("patient", "7"),
            ("action", "patient.view"),
            ("access", "1"),
            ("record", "patient"),
            ("from", "2026-03-01"),
            ("to", "2026-03-14"),
            ("before", "99"),
        ]);
        let filter = q.filter().expect("reads");
        assert_eq!(filter.who, Who::Staff(12));
        assert_eq!(
            (filter.patient, filter.record_type, filter.entries),
            (Some(7), Some("patient"), Entries::Reads)
        );
        assert_eq!(q.before(), Some(99));
        assert_eq!(
            filter.query_string(),
            "user=12&patient=7&action=patient.view&access=1&record=patient&from=2026-03-01&to=2026-03-14"
        );
        let pairs: Vec<(String, String)> = form_urlencoded::parse(filter.query_string().as_bytes())
            .into_owned()
            .collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(query(&pairs).filter().expect("reads"), filter);
        for entries in Entries::EVERY {
            let q = query(&[("access", entries.as_query())]);
            assert_eq!(q.filter().map(|f| f.entries).ok(), Some(entries));
        }
        assert_eq!(
            Filter::default().entries,
            Entries::Changes,
            "the trail opens on changes"
        );
        assert!(query(&[("access", "nonsense")]).filter().is_err());
        let reads = query(&[("access", "1")]).filter().expect("reads");
        assert!(!reads.is_empty() && !reads.narrows(), "a pill is not a filter to clear");
        assert!(filter.narrows());
        for (user, who) in [
            ("", Who::Anyone),
            ("staff", Who::AnyStaff),
            ("patients", Who::Patients),
            ("system", Who::System),
        ] {
            assert_eq!(query(&[("user", user)]).filter().map(|f| f.who).ok(), Some(who));
        }
        let empty = query(&[("before", "abc"), ("access", "0")]);
        assert_eq!(empty.filter().ok(), Some(Filter::default()));
        assert_eq!(empty.before(), None);
        assert_eq!(Filter::default().query_string(), "");
    }

    #[test]
    fn bad_filters_each_get_a_message() {
        let cases = [
            ("user", "nobody"),
            ("user", "-3"),
            ("patient", "x"),
            ("patient", "0"),
            ("action", "lab.explode"),
            ("action", "'; DROP TABLE audit_event; --"),
            ("record", "spaceship"),
            ("from", "14/03/2026"),
            ("from", "2026-02-30"),
            ("to", "+262142-01-01"),
        ];
        for (field, value) in cases {
            let errors = query(&[(field, value)]).filter().expect_err(value);
            assert!(errors.get(field).is_some(), "{field}={value}");
        }
        let backwards = query(&[("from", "2026-03-14"), ("to", "2026-03-13")]).filter();
        let errors = backwards.expect_err("from after to");
        assert!(errors.get("to").is_some_and(|m| m.contains("before the first day")));
        assert!(query(&[("from", "2026-03-14"), ("to", "2026-03-14")]).filter().is_ok());
    }

    /// A day of the filter is the clinic's local day: in Lagos (UTC+1), 23:30 on 14 March is 22:30 UTC and
    /// belongs to the 14th; 00:30 on the 15th (23:30 UTC on the 14th) does not.
    #[test]
    fn a_days_span_is_the_clinics_local_day() {
        let day = Date::parse("2026-03-14").ok();
        let filter = Filter {
            from: day,
            to: day,
            ..Filter::default()
        };
        let span = filter.span(chrono_tz::Africa::Lagos);
        let utc = |text: &str| {
            Timestamp(
                chrono::DateTime::parse_from_rfc3339(text)
                    .expect("time")
                    .timestamp_millis(),
            )
        };
        let (start, end) = (span.start.expect("start"), span.end.expect("end"));
        assert_eq!(start, utc("2026-03-13T23:00:00Z"));
        assert_eq!(end, utc("2026-03-14T23:00:00Z"));
        let within = |at: Timestamp| start <= at && at < end;
        assert!(within(utc("2026-03-14T22:30:00Z")), "23:30 local on the 14th");
        assert!(within(utc("2026-03-13T23:00:00Z")), "local midnight");
        assert!(!within(utc("2026-03-14T23:30:00Z")), "00:30 local on the 15th");
        assert!(!within(utc("2026-03-13T22:59:59Z")), "23:59:59 local on the 13th");
        assert_eq!(Filter::default().span(chrono_tz::UTC), Span::default());
    }

    #[test]
    fn a_patient_reads_who_opened_their_record_in_their_own_words() {
        let row = AuditRow {
            id: 1,
            at: Timestamp(0),
            actor_kind: ActorKind::Staff,
            actor_label: "dr.bello".into(),
            actor_role: Some(Role::Doctor),
            acted_as: None,
            actor_name: Some("Amina Bello".into()),
            action: "chart.view".into(),
            record_type: Some("patient".into()),
            record_id: Some(4),
            patient_id: Some(4),
            patient_label: None,
            record_name: None,
            ip: None,
            detail: String::new(),
        };
        assert_eq!(row.reader_words(false), "Doctor");
        assert_eq!(row.reader_words(true), "Amina Bello (Doctor)");
        assert_eq!(row.read_words(), "Opened your chart");
        assert_eq!(row.actor_role_words(), "Doctor");
        assert_eq!(row.patient_words(), "Patient 4");
        assert_eq!(row.record_href().as_deref(), Some("/patients/4"));
        let order = AuditRow {
            record_type: Some("lab_order".into()),
            ..row.clone()
        };
        assert_eq!(order.record_href().as_deref(), Some("/lab/orders/4"));
        let note = AuditRow {
            record_type: Some("clinical_note".into()),
            ..row.clone()
        };
        assert_eq!(note.record_href(), None, "no page of its own");
        let unknown = AuditRow {
            actor_role: None,
            actor_name: None,
            ..row
        };
        assert_eq!(unknown.reader_words(true), "Clinic staff");
        let acted = AuditRow {
            actor_role: Some(Role::Reception),
            acted_as: Some(Role::Lab),
            ..unknown
        };
        assert_eq!(acted.actor_words(), "as Lab attendant");
        assert_eq!(acted.actor_role_words(), "Lab attendant");
        assert_eq!(acted.reader_words(false), "Lab attendant");
        let own = AuditRow {
            acted_as: Some(Role::Reception),
            ..acted.clone()
        };
        assert_eq!(own.actor_words(), "Reception");
        let older = AuditRow {
            acted_as: None,
            ..acted
        };
        assert_eq!(older.actor_words(), "Reception");
    }

    #[test]
    fn like_reads_close_together_are_one_line_for_the_patient() {
        let read = |at: i64, action: &str, role: Role| AuditRow {
            id: at,
            at: Timestamp(at),
            actor_kind: ActorKind::Staff,
            actor_label: "someone".into(),
            actor_role: Some(role),
            acted_as: None,
            actor_name: Some("Someone".into()),
            action: action.into(),
            record_type: None,
            record_id: None,
            patient_id: Some(4),
            patient_label: None,
            record_name: None,
            ip: None,
            detail: String::new(),
        };
        let minute = 60_000;
        let rows = [
            read(100 * minute, "prescription.view", Role::Pharmacist),
            read(99 * minute, "prescription.view", Role::Pharmacist),
            // Ten minutes after the one before it: the same run.
            read(89 * minute, "prescription.view", Role::Pharmacist),
            read(88 * minute, "lab_order.view", Role::Lab),
            read(87 * minute, "prescription.view", Role::Pharmacist),
            // More than ten minutes before the next: a run of its own.
            read(70 * minute, "prescription.view", Role::Pharmacist),
        ];
        let runs: Vec<(i64, usize)> = runs_of_reads(&rows, false)
            .iter()
            .map(|r| (r.row.at.0 / minute, r.times))
            .collect();
        assert_eq!(runs, [(100, 3), (88, 1), (87, 1), (70, 1)]);
        assert!(runs_of_reads(&[], true).is_empty());
    }

    #[test]
    fn a_record_is_named_by_its_code_name_or_doctor_and_else_its_number() {
        let row = |kind: &str, name: Option<&str>| AuditRow {
            id: 1,
            at: Timestamp(0),
            actor_kind: ActorKind::System,
            actor_label: String::new(),
            actor_role: None,
            acted_as: None,
            actor_name: None,
            action: "x.y".into(),
            record_type: Some(kind.into()),
            record_id: Some(12),
            patient_id: None,
            patient_label: None,
            record_name: name.map(str::to_owned),
            ip: None,
            detail: String::new(),
        };
        assert_eq!(row("ticket", Some("A-012")).record_label(), "Ticket A-012");
        assert_eq!(row("room", Some("Room 3")).record_label(), "Room: Room 3");
        assert_eq!(
            row("lab_order", Some("Malaria parasite")).record_label(),
            "Lab order: Malaria parasite"
        );
        assert_eq!(
            row("appointment", Some("Dr Aisha Ibrahim")).record_label(),
            "Appointment with Dr Aisha Ibrahim"
        );
        assert_eq!(
            row("appointment", None).record_label(),
            "Appointment 12",
            "a record since deleted"
        );
        assert_eq!(row("visit", None).record_label(), "Visit 12");
    }

    #[test]
    fn entry_builder_sets_record() {
        let e = AuditEntry::new("staff.create").record("staff", 7).detail("role doctor");
        assert_eq!(
            (e.record_type, e.record_id, e.detail.as_str()),
            (Some("staff"), Some(7), "role doctor")
        );
    }

    #[test]
    fn an_entry_is_described_in_words_not_codes() {
        let row = AuditRow {
            id: 1,
            at: Timestamp(0),
            actor_kind: ActorKind::Staff,
            actor_label: "admin".into(),
            actor_role: Some(Role::Admin),
            acted_as: None,
            actor_name: Some("Ada Admin".into()),
            action: "auth.login".into(),
            record_type: Some("staff".into()),
            record_id: Some(1),
            patient_id: None,
            patient_label: None,
            record_name: None,
            ip: None,
            detail: String::new(),
        };
        let words = row.described();
        assert_eq!(
            (words.who.as_str(), words.role.as_str()),
            ("Ada Admin", "Administrator")
        );
        assert_eq!(words.login.as_deref(), Some("admin"), "the username beside the name");
        assert_eq!(words.what, "Logged in");
        assert_eq!(words.patient, None);
        assert_eq!(
            (words.record.as_str(), words.record_href.as_deref()),
            ("Staff account 1", Some("/admin/staff/1"))
        );
        let named = AuditRow {
            record_name: Some("Kemi Adesanya".into()),
            ..row.clone()
        };
        assert_eq!(named.described().record, "Staff account: Kemi Adesanya");
        let ticket = AuditRow {
            record_type: Some("ticket".into()),
            record_id: Some(306),
            record_name: Some("A-012".into()),
            ..row.clone()
        };
        assert_eq!(
            ticket.described().record,
            "Ticket A-012",
            "a ticket by its code, not its row"
        );
        let patient = AuditRow {
            actor_kind: ActorKind::Patient,
            actor_label: "MCB/23/0003".into(),
            actor_name: None,
            ..row.clone()
        };
        assert_eq!(
            (patient.described().who, patient.described().login),
            ("MCB/23/0003".into(), None)
        );
        let read = AuditRow {
            action: "document.view_list".into(),
            record_type: Some("patient".into()),
            record_id: Some(4),
            patient_id: Some(4),
            patient_label: Some("Bola Audit (SB-4)".into()),
            ..row
        };
        let words = read.described();
        assert_eq!(words.what, "Opened a patient's list of documents");
        assert_eq!(
            words.patient,
            Some(("Bola Audit (SB-4)".to_owned(), "/patients/4".to_owned()))
        );
        assert_eq!(read.read_words(), "Opened the list of your documents");
    }
}
