use crate::db::Timestamp;
use crate::identity::ActorKind;

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

/// One row of the log as the admin reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: Timestamp,
    pub actor_kind: ActorKind,
    pub actor_label: String,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<i64>,
    pub patient_id: Option<i64>,
    /// The patient's name and clinic number, when the row is about a patient still on record.
    pub patient_label: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

impl AuditRow {
    pub fn action_label(&self) -> String {
        describe_action(&self.action)
    }

    /// What the row is about, in words: "Appointment 12".
    pub fn record_label(&self) -> String {
        let kind = self.record_type.as_deref().map(record_words).unwrap_or_default();
        match self.record_id {
            Some(id) if !kind.is_empty() => format!("{kind} {id}"),
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
            "fee" => Some("/admin/fees".into()),
            "scheme" => Some("/admin/schemes".into()),
            _ => None,
        }
    }
}

/// A record type in words.
fn record_words(kind: &str) -> &str {
    match kind {
        "patient" => "Patient",
        "staff" => "Staff account",
        "appointment" => "Appointment",
        "hours" => "Weekly hours",
        "closure" => "Closure",
        "slot" => "Slot",
        "ticket" => "Ticket",
        "room" => "Room",
        "import_job" => "Import",
        "faculty" => "Faculty",
        "department" => "Department",
        "level" => "Level",
        "academic_session" => "Academic session",
        "waitlist_entry" => "Waitlist entry",
        "setting" => "Settings",
        "invoice" => "Invoice",
        "fee" => "Fee",
        "scheme" => "Scheme",
        other => other,
    }
}

/// An audit action in plain words: `patient.view` is "Opened a patient's record".
pub fn describe_action(action: &str) -> String {
    let known = match action {
        "auth.login" => "Logged in",
        "auth.login_failed" => "Failed to log in",
        "auth.logout" => "Logged out",
        "auth.password_change" => "Changed their password",
        "patient.create" | "patient.register" => "Registered a patient",
        "patient.portal_sheet" => "Issued a sheet of one-time portal passwords",
        "patient.update" => "Changed a patient's details",
        "patient.update_contact" => "Changed their contact details",
        "patient.approve" => "Approved a patient's portal account",
        "patient.reset_password" => "Set up a patient's portal access",
        "patient.photo" => "Changed a patient's photo",
        "patient.import" => "Imported students",
        "patient.view" => "Opened a patient's record",
        "patient.view_edit" => "Opened a patient's record to edit",
        "patient.view_card" => "Opened a patient's clinic card",
        "patient.view_photo" => "Looked at a patient's photo",
        "patient.view_qr" => "Looked at a patient's QR code",
        "staff.create" => "Created a staff account",
        "staff.update" => "Changed a staff account",
        "staff.deactivate" => "Deactivated a staff account",
        "staff.reactivate" => "Reactivated a staff account",
        "staff.reset_password" => "Reset a staff member's password",
        "appointment.book" => "Booked an appointment",
        "appointment.cancel" => "Cancelled an appointment",
        "appointment.reschedule" => "Moved an appointment",
        "appointment.correct" => "Corrected an appointment's status",
        "appointment.no_show" => "Marked an appointment as a no-show",
        "hours.create" => "Added weekly hours",
        "hours.remove" => "Removed weekly hours",
        "closure.create" => "Closed days",
        "closure.remove" => "Removed a closure",
        "slot.block" => "Blocked a slot",
        "slot.unblock" => "Unblocked a slot",
        "waitlist.join" => "Joined a waitlist",
        "waitlist.leave" => "Left a waitlist",
        "room.create" => "Added a room",
        "room.update" => "Changed a room",
        "room.assign" => "Chose a room for the day",
        "ticket.check_in" => "Checked a patient in",
        "ticket.walk_in" => "Added a walk-in to the queue",
        "ticket.call" => "Called a patient",
        "ticket.recall" => "Called a patient again",
        "ticket.start" => "Started a consultation",
        "ticket.complete" => "Completed a consultation",
        "ticket.skip" => "Skipped a ticket",
        "ticket.no_show" => "Marked a ticket as a no-show",
        "ticket.transfer" => "Transferred a ticket",
        "ticket.cancel" => "Took a ticket out of the queue (left)",
        "visit.open" => "Opened a visit",
        "visit.complete" => "Completed a visit",
        "visit.view" => "Opened a visit's record",
        "visit.vitals" => "Recorded vitals",
        "visit.note" => "Wrote a clinical note",
        "visit.addendum" => "Signed an addendum to a completed visit",
        "visit.diagnosis" => "Recorded a diagnosis",
        "visit.diagnosis_remove" => "Removed a diagnosis",
        "chart.view" => "Opened a patient's chart",
        "lab_test.create" => "Added a lab test to the catalogue",
        "lab_test.update" => "Changed a lab test of the catalogue",
        "lab_order.create" => "Ordered a lab test",
        "lab_order.cancel" => "Cancelled a lab order",
        "lab_order.result" => "Recorded a lab result",
        "lab_order.correct" => "Corrected a lab result before its release",
        "lab_order.release" => "Released a lab result to the patient",
        "health_record.create" => "Recorded a health screening",
        "health_record.view" => "Opened a patient's health records",
        "drug.create" => "Added a drug to the catalogue",
        "drug.update" => "Changed a drug in the catalogue",
        "drug.batch_receive" => "Received a batch of a drug into stock",
        "prescription.item_add" => "Prescribed a drug",
        "prescription.item_remove" => "Took a drug off a prescription",
        "prescription.allergy_override" => "Prescribed a drug despite a recorded allergy",
        "prescription.view" => "Opened a prescription",
        "procedure_type.create" => "Added a procedure to the catalogue",
        "procedure_type.update" => "Changed a procedure of the catalogue",
        "procedure.record" => "Recorded a procedure",
        "procedure.remove" => "Removed a procedure from a visit",
        "document.upload" => "Uploaded a document",
        "document.view" => "Opened a document",
        "staff.profile" => "Changed a doctor's profile",
        "settings.update" => "Changed the clinic's settings",
        "fee.create" => "Added a service to the fee schedule",
        "fee.update" => "Changed a fee",
        "fee.prices" => "Changed prices by patient category",
        "scheme.create" => "Added a payer scheme",
        "patient.scheme" => "Changed the scheme covering a patient",
        "invoice.create" => "Started an invoice",
        "invoice.add_line" => "Added a line to an invoice",
        "invoice.remove_line" => "Removed a line from an invoice",
        "invoice.issue" => "Issued an invoice",
        "invoice.credit" => "Gave a credit note",
        "invoice.void" => "Voided an invoice",
        "payment.create" => "Took a payment",
        "payment.refund" => "Gave a refund",
        "cash.close" => "Closed the day's cash",
        "claim.mark" => "Marked scheme claim lines",
        "academic.session.make_current" => "Made an academic session the current one",
        _ => return academic_action(action).unwrap_or_else(|| unknown_action(action)),
    };
    known.to_owned()
}

/// `academic.department.create` is "Created a department".
fn academic_action(action: &str) -> Option<String> {
    let rest = action.strip_prefix("academic.")?;
    let (kind, verb) = rest.split_once('.')?;
    let kind = match kind {
        "session" => "an academic session",
        "faculty" => "a faculty",
        "department" => "a department",
        "level" => "a level",
        _ => return None,
    };
    let verb = match verb {
        "create" => "Created",
        "update" => "Changed",
        "deactivate" => "Deactivated",
        "reactivate" => "Reactivated",
        "delete" => "Deleted",
        _ => return None,
    };
    Some(format!("{verb} {kind}"))
}

/// An action this version does not know (written by a newer one): its name in words, never a code.
fn unknown_action(action: &str) -> String {
    crate::validation::capitalized(&action.replace(['.', '_'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action the code writes has its own words (found by scanning the sources for action names).
    #[test]
    fn every_action_written_has_plain_words() {
        let pattern = regex::Regex::new(r#""((?:academic|appointment|auth|closure|hours|patient|room|settings|staff|ticket|waitlist|slot)\.[a-z_.]+)""#)
            .expect("regex");
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        let mut seen = 0;
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).expect("src").map(|e| e.expect("entry").path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for found in pattern.captures_iter(&text) {
                let action = &found[1];
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

    #[test]
    fn entry_builder_sets_record() {
        let e = AuditEntry::new("staff.create").record("staff", 7).detail("role doctor");
        assert_eq!(
            (e.record_type, e.record_id, e.detail.as_str()),
            (Some("staff"), Some(7), "role doctor")
        );
    }
}
