//! Staff accounts: roles, the rules for usernames, names and emails, and the last-admin rule.

use crate::db::Timestamp;
use crate::db::types::InvalidValue;
use crate::identity::Role;
use crate::validation::FieldErrors;

/// An active doctor, as lists to choose from show them.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Doctor {
    pub id: i64,
    pub full_name: String,
}

/// A staff account as the admin pages show it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffAccount {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
    #[sqlx(try_from = "crate::db::Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl StaffAccount {
    pub fn email_or_dash(&self) -> &str {
        self.email.as_deref().unwrap_or("—")
    }
}

/// A login name: 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit, stored in lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let name = text.trim().to_lowercase();
        let len = name.chars().count();
        if len == 0 {
            return Err(InvalidValue("Enter a username.".into()));
        }
        if !(3..=32).contains(&len) {
            return Err(InvalidValue("A username has 3 to 32 characters.".into()));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(InvalidValue(
                "Use only letters, digits, dots, dashes and underscores.".into(),
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InvalidValue("A username starts with a letter or a digit.".into()));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn parse_full_name(text: &str) -> Result<String, InvalidValue> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err(InvalidValue("Enter the person's name.".into())),
        1..=100 => Ok(name),
        _ => Err(InvalidValue("Keep the name to 100 characters or fewer.".into())),
    }
}

/// An optional email address: empty means none.
pub fn parse_email(text: &str) -> Result<Option<String>, InvalidValue> {
    let email = text.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let bad = || InvalidValue("Enter an email address like name@example.org, or leave it empty.".into());
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if plausible {
        Ok(Some(email.to_lowercase()))
    } else {
        Err(bad())
    }
}

pub fn parse_role(text: &str) -> Result<Role, InvalidValue> {
    text.parse::<Role>().map_err(|_| InvalidValue("Choose a role.".into()))
}

/// A new account, validated.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub username: Username,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
}

/// The editable details of an account, validated.
#[derive(Clone, Debug)]
pub struct StaffDetails {
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
}

impl StaffDetails {
    pub fn validate(full_name: &str, email: &str, role: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let full_name = errors.check("full_name", parse_full_name(full_name));
        let email = errors.check("email", parse_email(email));
        let role = errors.check("role", parse_role(role));
        match (full_name, email, role) {
            (Some(full_name), Some(email), Some(role)) => Ok(StaffDetails { full_name, email, role }),
            _ => Err(errors),
        }
    }
}

impl NewStaff {
    pub fn validate(username: &str, full_name: &str, email: &str, role: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = errors.check("username", Username::parse(username));
        let details = StaffDetails::validate(full_name, email, role);
        match (username, details) {
            (Some(username), Ok(d)) => Ok(NewStaff {
                username,
                full_name: d.full_name,
                email: d.email,
                role: d.role,
            }),
            (_, Err(detail_errors)) => {
                for field in ["full_name", "email", "role"] {
                    if let Some(message) = detail_errors.get(field) {
                        errors.add(field, message);
                    }
                }
                Err(errors)
            }
            (None, Ok(_)) => Err(errors),
        }
    }
}

/// A doctor's profile, shown to patients when they pick a doctor.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DoctorProfile {
    pub id: i64,
    pub full_name: String,
    pub specialty: String,
    pub qualifications: String,
    pub profile_note: String,
}

impl DoctorProfile {
    /// The one line a patient reads beside the name: the specialty and the qualifications, as given.
    pub fn summary(&self) -> String {
        [self.specialty.as_str(), self.qualifications.as_str()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    pub fn is_empty(&self) -> bool {
        self.specialty.is_empty() && self.qualifications.is_empty() && self.profile_note.is_empty()
    }
}

pub const SPECIALTY_MAX_CHARS: usize = 80;
pub const QUALIFICATIONS_MAX_CHARS: usize = 120;
pub const PROFILE_NOTE_MAX_CHARS: usize = 300;

/// A doctor's profile as the form sent it, validated: all three parts optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileInput {
    pub specialty: String,
    pub qualifications: String,
    pub profile_note: String,
}

impl ProfileInput {
    pub fn validate(specialty: &str, qualifications: &str, profile_note: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let specialty = errors.check(
            "specialty",
            profile_line("The specialty", specialty, SPECIALTY_MAX_CHARS),
        );
        let qualifications = errors.check(
            "qualifications",
            profile_line("The qualifications", qualifications, QUALIFICATIONS_MAX_CHARS),
        );
        let profile_note = errors.check("profile_note", profile_note_text(profile_note));
        match (specialty, qualifications, profile_note) {
            (Some(specialty), Some(qualifications), Some(profile_note)) => Ok(ProfileInput {
                specialty,
                qualifications,
                profile_note,
            }),
            _ => Err(errors),
        }
    }
}

fn profile_line(what: &str, text: &str, max: usize) -> Result<String, InvalidValue> {
    if let Some(c) = crate::validation::forbidden_character(text, false) {
        return Err(InvalidValue(crate::validation::forbidden_message(what, c)));
    }
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > max {
        return Err(InvalidValue(format!("Keep it to {max} characters or fewer.")));
    }
    Ok(line)
}

fn profile_note_text(text: &str) -> Result<String, InvalidValue> {
    let note = text.trim();
    if let Some(c) = crate::validation::forbidden_character(note, true) {
        return Err(InvalidValue(crate::validation::forbidden_message("The note", c)));
    }
    if note.chars().count() > PROFILE_NOTE_MAX_CHARS {
        return Err(InvalidValue(format!(
            "Keep the note short: {PROFILE_NOTE_MAX_CHARS} characters or fewer."
        )));
    }
    Ok(note.to_owned())
}

/// The roles an admin may give an account beside its own: the lab's, the pharmacy's and the front desk's
/// work, which a small clinic may need one person to do with another. A doctor's work (hours, slots, a
/// queue, a profile for patients) belongs to a doctor's own account, and an administrator is an account's
/// own role (so the last-administrator rule counts every one), so neither is given as an extra role.
pub const EXTRA_ROLES: &[Role] = &[Role::Reception, Role::Pharmacist, Role::Lab];

/// The extra roles that may still be given to an account whose own role is `own` and that holds `held`:
/// not its own role, not one it holds, and not reception's for an administrator (who does it already).
pub fn grantable_roles(own: Role, held: crate::identity::Roles) -> Vec<Role> {
    EXTRA_ROLES
        .iter()
        .copied()
        .filter(|role| *role != own && !held.contains(*role))
        .filter(|role| !(own == Role::Admin && *role == Role::Reception))
        .collect()
}

/// An extra role to give an account whose own role is `own`, as the form sent it.
pub fn parse_extra_role(text: &str, own: Role) -> Result<Role, InvalidValue> {
    let role = parse_role(text)?;
    if role == own {
        return Err(InvalidValue(format!(
            "This is the account's own role: it is {} already.",
            role.label()
        )));
    }
    if !EXTRA_ROLES.contains(&role) || (own == Role::Admin && role == Role::Reception) {
        return Err(InvalidValue(format!(
            "{} can't be given as another role: choose {}.",
            role.label(),
            grantable_roles(own, crate::identity::Roles::default())
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(role)
}

/// An extra role an account holds: who gave it and when.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ExtraRole {
    pub role: Role,
    pub granted_by: String,
    pub granted_at: Timestamp,
}

/// Whether a change to an account takes away an active administrator.
pub fn removes_an_admin(before: &StaffAccount, role_after: Role, active_after: bool) -> bool {
    before.active && before.role == Role::Admin && (role_after != Role::Admin || !active_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Dr.Ade_1 ").unwrap().as_str(), "dr.ade_1");
        for bad in ["ab", "", "has space", "-lead", "ünï", &"a".repeat(33), "semi;colon"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Username::parse("  ").unwrap_err().0, "Enter a username.");
        assert_eq!(
            Username::parse("ab").unwrap_err().0,
            "A username has 3 to 32 characters."
        );
    }

    #[test]
    fn names_collapse_spaces_and_have_limits() {
        assert_eq!(parse_full_name("  Ada   Obi ").unwrap(), "Ada Obi");
        assert!(parse_full_name("   ").is_err());
        assert!(parse_full_name(&"n".repeat(101)).is_err());
    }

    #[test]
    fn emails_are_optional_but_plausible() {
        assert_eq!(parse_email("").unwrap(), None);
        assert_eq!(
            parse_email(" Ada@Clinic.EDU ").unwrap().as_deref(),
            Some("ada@clinic.edu")
        );
        for bad in [
            "ada",
            "ada@",
            "@x.org",
            "ada@host",
            "a b@x.org",
            "a@b@c.org",
            "a@.org",
            "a@x.",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn new_staff_reports_every_bad_field() {
        let errors = NewStaff::validate("x", "", "nope", "chef").unwrap_err();
        for field in ["username", "full_name", "email", "role"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let ok = NewStaff::validate("nurse.joy", "Joy Ade", "", "reception").unwrap();
        assert_eq!(ok.role, Role::Reception);
        assert_eq!(ok.email, None);
    }

    fn account(role: Role, active: bool) -> StaffAccount {
        StaffAccount {
            id: 1,
            username: "a".into(),
            full_name: "A".into(),
            email: None,
            role,
            must_change_password: false,
            active,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn demoting_or_deactivating_an_active_admin_removes_one() {
        assert!(removes_an_admin(&account(Role::Admin, true), Role::Doctor, true));
        assert!(removes_an_admin(&account(Role::Admin, true), Role::Admin, false));
        assert!(!removes_an_admin(&account(Role::Admin, true), Role::Admin, true));
        assert!(!removes_an_admin(&account(Role::Admin, false), Role::Doctor, false));
        assert!(!removes_an_admin(&account(Role::Doctor, true), Role::Doctor, false));
    }

    #[test]
    fn profiles_are_short_and_optional() {
        let ok =
            ProfileInput::validate(" Family   medicine ", "MBBS, FWACP", "Sees students\nwith asthma").expect("valid");
        assert_eq!(ok.specialty, "Family medicine");
        assert_eq!(ok.profile_note, "Sees students\nwith asthma");
        assert_eq!(
            ProfileInput::validate("", "", "").expect("empty"),
            ProfileInput::default()
        );
        let errors = ProfileInput::validate(&"s".repeat(81), "a\nb", &"n".repeat(301)).expect_err("invalid");
        for field in ["specialty", "qualifications", "profile_note"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let profile = DoctorProfile {
            specialty: "Paediatrics".into(),
            qualifications: "MBBS".into(),
            ..DoctorProfile::default()
        };
        assert_eq!(profile.summary(), "Paediatrics · MBBS");
        assert_eq!(DoctorProfile::default().summary(), "");
        assert!(DoctorProfile::default().is_empty());
    }

    #[test]
    fn extra_roles_are_the_lab_the_pharmacy_and_the_front_desk() {
        use crate::identity::Roles;
        assert_eq!(
            grantable_roles(Role::Reception, Roles::default()),
            [Role::Pharmacist, Role::Lab]
        );
        assert_eq!(
            grantable_roles(Role::Admin, Roles::default()),
            [Role::Pharmacist, Role::Lab]
        );
        assert_eq!(
            grantable_roles(Role::Doctor, Roles::of(Role::Lab)),
            [Role::Reception, Role::Pharmacist]
        );
        assert_eq!(parse_extra_role("lab", Role::Reception).unwrap(), Role::Lab);
        assert!(parse_extra_role("lab", Role::Lab).unwrap_err().0.contains("own role"));
        for refused in ["admin", "doctor", "chef", ""] {
            assert!(parse_extra_role(refused, Role::Reception).is_err(), "{refused}");
        }
        assert!(parse_extra_role("reception", Role::Admin).is_err());
    }

    #[test]
    fn every_role_has_a_home() {
        for role in Role::ALL {
            assert!(role.home_path().starts_with('/'));
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
    }
}
