//! The audit feature's settings: whether a patient, looking at who opened their record, sees the staff
//! members' names or only their roles (the clinic's choice; roles only unless it says otherwise).

use crate::settings_section::Flag;

pub const STAFF_NAMES_TO_PATIENTS: Flag = Flag {
    key: "audit_staff_names_to_patients",
    label: "Patients see the names of the staff who opened their record (otherwise only their roles)",
    default: false,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSettings {
    /// A patient's "who opened my record" names the staff members, not only their roles.
    pub staff_names_to_patients: bool,
}

crate::settings_section!(
    AuditSettings,
    "Record access",
    [
        staff_names_to_patients: STAFF_NAMES_TO_PATIENTS,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};
    use crate::validation::FieldErrors;

    #[test]
    fn names_are_hidden_from_patients_unless_the_clinic_says_so() {
        assert!(!AuditSettings::default().staff_names_to_patients);
        let stored = |v: &str| Values::from([(STAFF_NAMES_TO_PATIENTS.key.to_owned(), v.to_owned())]);
        assert!(AuditSettings::from_stored(&stored("1")).staff_names_to_patients);
        assert!(!AuditSettings::from_stored(&stored("yes")).staff_names_to_patients);
        let mut errors = FieldErrors::default();
        let ticked = AuditSettings::from_form(&stored("1"), &mut errors);
        assert_eq!(ticked.map(|s| s.staff_names_to_patients), Some(true));
        assert!(errors.is_empty());
    }
}
