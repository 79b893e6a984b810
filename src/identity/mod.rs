//! Who acts: staff roles, the staff and patient principals a session resolves to, and the audit `Actor`.
//! Below `web` and the features, so both may use it without depending on each other.

mod actor;
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::text_enum;

pub use actor::{Actor, ActorKind};

text_enum! {
    pub enum Role {
        Admin => "admin",
        Doctor => "doctor",
        Pharmacist => "pharmacist",
        Lab => "lab",
        Reception => "reception",
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Doctor => "Doctor",
            Role::Pharmacist => "Pharmacist",
            Role::Lab => "Lab attendant",
            Role::Reception => "Reception",
        }
    }

    /// Where the role lands after login.
    pub fn home_path(self) -> &'static str {
        match self {
            Role::Admin => "/admin",
            Role::Doctor => "/doctor",
            Role::Pharmacist => "/pharmacy",
            Role::Lab => "/lab",
            Role::Reception => "/reception",
        }
    }

    /// The queue page the role works from, if it has one.
    pub fn queue_path(self) -> Option<&'static str> {
        match self {
            Role::Admin | Role::Reception => Some("/queue"),
            Role::Doctor => Some("/queue/doctor"),
            Role::Pharmacist | Role::Lab => None,
        }
    }
}

/// The logged-in staff member, as the session resolves them on each request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    #[sqlx(try_from = "crate::db::Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub session_version: i64,
}

/// A patient as the session resolves them on each request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PatientUser {
    pub id: i64,
    pub clinic_number: String,
    pub matric_number: Option<String>,
    pub first_name: String,
    pub surname: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub approved: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub session_version: i64,
}

impl PatientUser {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, "", &self.surname)
    }

    /// What they log in with, for the rule that a password must not contain it.
    pub fn login_name(&self) -> &str {
        self.matric_number.as_deref().unwrap_or(&self.clinic_number)
    }
}

/// Whose records a staff member works on: a doctor only their own (schedule, queue, patients' visits), anyone
/// else with access to the page any doctor's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoctorScope {
    Own(i64),
    Any,
}

impl DoctorScope {
    pub fn of(user: &StaffUser) -> Self {
        match user.role {
            Role::Doctor => DoctorScope::Own(user.id),
            _ => DoctorScope::Any,
        }
    }

    /// Whether a record of `doctor_id` is within the scope.
    pub fn covers(self, doctor_id: i64) -> bool {
        match self {
            DoctorScope::Own(own) => own == doctor_id,
            DoctorScope::Any => true,
        }
    }

    /// Whether a record that may belong to no doctor (a clinic-wide closure) is within the scope: one with no
    /// doctor is for those who work on any doctor's records.
    pub fn covers_maybe(self, doctor_id: Option<i64>) -> bool {
        match doctor_id {
            Some(id) => self.covers(id),
            None => self == DoctorScope::Any,
        }
    }

    /// The doctor whose records to show: a doctor always their own, whatever was asked; anyone else the one
    /// asked for (or none, for "everyone").
    pub fn choose(self, asked: Option<i64>) -> Option<i64> {
        match self {
            DoctorScope::Own(own) => Some(own),
            DoctorScope::Any => asked,
        }
    }

    /// The doctor this scope is limited to, if it is.
    pub fn own(self) -> Option<i64> {
        match self {
            DoctorScope::Own(own) => Some(own),
            DoctorScope::Any => None,
        }
    }
}

/// What the session remembers about who logged in. The role and the rest are read from the database on
/// each request, so a change of role or a deactivation takes effect at once.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Principal {
    /// `version` must match the account's `session_version`; bumping it ends every session of the account.
    Staff {
        id: i64,
        version: i64,
    },
    Patient {
        id: i64,
        version: i64,
    },
}

pub const PRINCIPAL_KEY: &str = "principal";

/// The logged-in user of this request, put in the request extensions by `web::extract::require_login`.
#[derive(Clone, Debug)]
pub enum CurrentUser {
    Staff(StaffUser),
    Patient(PatientUser),
}

impl CurrentUser {
    pub fn display_name(&self) -> String {
        match self {
            CurrentUser::Staff(user) => user.full_name.clone(),
            CurrentUser::Patient(user) => user.full_name(),
        }
    }

    pub fn home_path(&self) -> &'static str {
        match self {
            CurrentUser::Staff(user) => user.role.home_path(),
            CurrentUser::Patient(_) => "/me",
        }
    }

    pub fn must_change_password(&self) -> bool {
        match self {
            CurrentUser::Staff(user) => user.must_change_password,
            CurrentUser::Patient(user) => user.must_change_password,
        }
    }

    /// The principal the session holds for this user, with their current session version.
    pub fn principal(&self) -> Principal {
        match self {
            CurrentUser::Staff(user) => Principal::Staff {
                id: user.id,
                version: user.session_version,
            },
            CurrentUser::Patient(user) => Principal::Patient {
                id: user.id,
                version: user.session_version,
            },
        }
    }

    /// Who to write in the audit log.
    pub fn actor(&self, ip: &str) -> Actor {
        match self {
            CurrentUser::Staff(user) => Actor::staff(user, ip),
            CurrentUser::Patient(user) => Actor::patient(user, ip),
        }
    }
}

/// A person's name as they write it: given name, other names, surname; empty parts left out. The one order
/// for a name in running text (see [`list_name`] for lists sorted by surname).
pub fn full_name(first: &str, other: &str, surname: &str) -> String {
    join_names(&[first, other, surname])
}

/// Surname first, for lists sorted by surname.
pub fn list_name(first: &str, other: &str, surname: &str) -> String {
    join_names(&[surname, first, other])
}

fn join_names(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doctor_is_scoped_to_their_own_records() {
        let own = DoctorScope::Own(7);
        assert!(own.covers(7) && !own.covers(8));
        assert!(own.covers_maybe(Some(7)) && !own.covers_maybe(None) && !own.covers_maybe(Some(8)));
        assert_eq!(own.choose(Some(8)), Some(7));
        assert_eq!(own.choose(None), Some(7));
        assert_eq!(own.own(), Some(7));
        let any = DoctorScope::Any;
        assert!(any.covers(8) && any.covers_maybe(None));
        assert_eq!(any.choose(Some(8)), Some(8));
        assert_eq!(any.choose(None), None);
        assert_eq!(any.own(), None);
    }

    #[test]
    fn names_leave_out_empty_parts_in_one_order() {
        assert_eq!(full_name("Ada", "", "Obi"), "Ada Obi");
        assert_eq!(full_name("Ada", "Ngozi", "Obi"), "Ada Ngozi Obi");
        assert_eq!(list_name("Ada", "Ngozi", "Obi"), "Obi Ada Ngozi");
        assert_eq!(list_name("Ada", "", "Obi"), "Obi Ada");
    }
}
