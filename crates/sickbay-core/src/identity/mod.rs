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

    /// The name of the role's part of the clinic, where a menu lists it beside another role's.
    pub fn section(self) -> &'static str {
        match self {
            Role::Admin => "Administration",
            Role::Doctor => "Doctor",
            Role::Pharmacist => "Pharmacy",
            Role::Lab => "Lab",
            Role::Reception => "Reception",
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

/// A set of roles: the roles a staff account holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles(u8);

impl Roles {
    fn bit(role: Role) -> u8 {
        let at = Role::ALL.iter().position(|r| *r == role).unwrap_or_default();
        1 << at
    }

    /// The set of one role.
    pub fn of(role: Role) -> Self {
        Roles(Self::bit(role))
    }

    /// The set with `role` in it too.
    pub fn with(self, role: Role) -> Self {
        Roles(self.0 | Self::bit(role))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The first of `wanted`, in its order, that the set holds.
    pub fn first_of(self, wanted: &[Role]) -> Option<Role> {
        wanted.iter().copied().find(|role| self.contains(*role))
    }

    /// The roles of the set, in the order of `Role::ALL`.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(move |role| self.contains(*role))
    }
}

impl From<Role> for Roles {
    fn from(role: Role) -> Self {
        Roles::of(role)
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(roles: I) -> Self {
        roles.into_iter().fold(Roles::default(), Roles::with)
    }
}

/// The logged-in staff member, as the session resolves them on each request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    /// The account's own role: its home page and its label.
    pub role: Role,
    /// The roles an admin gave the account beside its own (`staff_role`), read with it on each request.
    #[sqlx(skip)]
    pub extra_roles: Roles,
    #[sqlx(try_from = "crate::db::Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub session_version: i64,
}

impl StaffUser {
    /// Every role the account holds: its own and the extra ones.
    pub fn roles(&self) -> Roles {
        self.extra_roles.with(self.role)
    }

    /// Whether the account holds `role` (as its own or as an extra one).
    pub fn holds(&self, role: Role) -> bool {
        self.roles().contains(role)
    }

    /// Whether the account holds any of `roles`.
    pub fn holds_any(&self, roles: &[Role]) -> bool {
        self.roles().first_of(roles).is_some()
    }
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

/// A person's name as they write it: given name, other names, surname; empty parts left out. The one order
/// for a name in running text (see [`list_name`] for lists sorted by surname).
pub fn full_name(first: &str, other: &str, surname: &str) -> String {
    join_names(&[first, other, surname])
}

/// Surname first, for lists sorted by surname.
pub fn list_name(first: &str, other: &str, surname: &str) -> String {
    let given = join_names(&[first, other]);
    match (surname.is_empty(), given.is_empty()) {
        (true, _) => given,
        (false, true) => surname.to_owned(),
        (false, false) => format!("{surname}, {given}"),
    }
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
    fn a_set_of_roles_answers_in_the_order_asked() {
        let roles = Roles::of(Role::Reception).with(Role::Lab);
        assert!(roles.contains(Role::Lab) && roles.contains(Role::Reception) && !roles.contains(Role::Admin));
        assert_eq!(roles.first_of(&[Role::Lab, Role::Reception]), Some(Role::Lab));
        assert_eq!(roles.first_of(&[Role::Reception, Role::Lab]), Some(Role::Reception));
        assert_eq!(roles.first_of(&[Role::Admin, Role::Doctor]), None);
        assert_eq!(roles.iter().collect::<Vec<_>>(), [Role::Lab, Role::Reception]);
        assert!(Roles::default().is_empty());
        assert_eq!([Role::Lab, Role::Reception].into_iter().collect::<Roles>(), roles);
    }

    #[test]
    fn names_leave_out_empty_parts_in_one_order() {
        assert_eq!(full_name("Ada", "", "Obi"), "Ada Obi");
        assert_eq!(full_name("Ada", "Ngozi", "Obi"), "Ada Ngozi Obi");
        assert_eq!(list_name("Ada", "Ngozi", "Obi"), "Obi, Ada Ngozi");
        assert_eq!(list_name("Ada", "", "Obi"), "Obi, Ada");
        assert_eq!(list_name("", "", "Obi"), "Obi");
    }
}
