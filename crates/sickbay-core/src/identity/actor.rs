//! The audit log's "who": a staff member, a patient, the system or someone not logged in, with their address
//! and the one-time id of the form they sent.

use super::{PatientUser, Role, StaffUser};
use crate::db::form_ids::{self, Claim, FormKey};
use crate::db::{Db, Tx};
use crate::text_enum;

text_enum! {
    pub enum ActorKind {
        Staff => "staff",
        Patient => "patient",
        System => "system",
        Anonymous => "anonymous",
    }
}

/// Who acted, from which address, and with which form.
#[derive(Clone, Debug)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
    pub label: String,
    /// The role a staff member acted in (the audit row keeps it); none for anyone else, and at login.
    pub role: Option<Role>,
    pub ip: Option<String>,
    /// The one-time id of the form this request sent, when it came from a creating form (see `db::form_ids`).
    pub form: Option<FormKey>,
}

impl Actor {
    /// A staff member acting in their own role (`acting_as` names another role they hold).
    pub fn staff(user: &StaffUser, ip: &str) -> Self {
        Actor::staff_account(user.id, &user.username, ip).acting_as(user.role)
    }

    /// The same actor, acting in `role`.
    pub fn acting_as(self, role: Role) -> Self {
        Actor {
            role: Some(role),
            ..self
        }
    }

    /// A staff member known by id and username (at login, before the session exists).
    pub fn staff_account(id: i64, username: &str, ip: &str) -> Self {
        Actor {
            kind: ActorKind::Staff,
            id: Some(id),
            label: username.to_owned(),
            role: None,
            ip: Some(ip.to_owned()),
            form: None,
        }
    }

    pub fn patient(user: &PatientUser, ip: &str) -> Self {
        Actor::patient_account(user.id, &user.clinic_number, ip)
    }

    /// A patient known by id and number (at login, before the session exists).
    pub fn patient_account(id: i64, number: &str, ip: &str) -> Self {
        Actor {
            kind: ActorKind::Patient,
            id: Some(id),
            label: number.to_owned(),
            role: None,
            ip: Some(ip.to_owned()),
            form: None,
        }
    }

    /// The command line or a background job.
    pub fn system(label: &str) -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            label: label.to_owned(),
            role: None,
            ip: None,
            form: None,
        }
    }

    /// The same actor, sending the form with this one-time id.
    pub fn with_form(self, form: Option<FormKey>) -> Self {
        Actor { form, ..self }
    }

    /// Claims this request's form id for `action` inside the creating transaction: `Claim::Done(id)` when the
    /// same form already created record `id` (answer with it), `Claim::First` otherwise (go on and create).
    pub async fn claim_form(&self, tx: &mut Tx, action: &str) -> Result<Claim, sqlx::Error> {
        form_ids::claim(tx, self.form.as_ref(), action, &self.key()).await
    }

    /// Records the record this request's form created, in the creating transaction, before it commits.
    pub async fn complete_form(&self, tx: &mut Tx, action: &str, record_id: i64) -> Result<(), sqlx::Error> {
        form_ids::complete(tx, self.form.as_ref(), action, &self.key(), record_id).await
    }

    /// The record this request's form already created for `action`, if it did (outside a transaction).
    pub async fn recorded_form(&self, db: &Db, action: &str) -> Result<Option<i64>, sqlx::Error> {
        form_ids::recorded(db, self.form.as_ref(), action, &self.key()).await
    }

    /// The actor as one word: `staff:3`, `patient:12`, `system:command line`.
    fn key(&self) -> String {
        match self.id {
            Some(id) => format!("{}:{id}", self.kind.as_str()),
            None => format!("{}:{}", self.kind.as_str(), self.label),
        }
    }

    /// Someone not logged in, named by what they typed (cut short: it is untrusted input).
    pub fn anonymous(claimed: &str, ip: &str) -> Self {
        Actor {
            kind: ActorKind::Anonymous,
            id: None,
            label: claimed.chars().take(64).collect(),
            role: None,
            ip: Some(ip.to_owned()),
            form: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_labels_are_cut_short() {
        let actor = Actor::anonymous(&"x".repeat(500), "127.0.0.1");
        assert_eq!(actor.label.len(), 64);
        assert_eq!(actor.kind, ActorKind::Anonymous);
    }
}
