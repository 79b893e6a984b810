//! The lab's settings: who sends a result to the patient.

use crate::lab::model::Releaser;
use crate::settings_section::Flag;

pub const DOCTOR_RELEASES: Flag = Flag {
    key: "lab_doctor_releases",
    label: "A result reaches the patient when the doctor who ordered it has seen it (not when the lab releases it)",
    default: false,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabSettings {
    /// Results wait for the ordering doctor's "Mark seen" before the patient sees them.
    pub doctor_releases: bool,
}

impl LabSettings {
    pub fn releaser(&self) -> Releaser {
        match self.doctor_releases {
            true => Releaser::OrderingDoctor,
            false => Releaser::Lab,
        }
    }
}

crate::settings_section!(
    LabSettings,
    "Lab results",
    [
        doctor_releases: DOCTOR_RELEASES,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};

    #[test]
    fn the_lab_releases_unless_the_clinic_waits_for_the_doctor() {
        assert_eq!(LabSettings::default().releaser(), Releaser::Lab);
        let stored = Values::from([(DOCTOR_RELEASES.key.to_owned(), "1".to_owned())]);
        assert_eq!(LabSettings::from_stored(&stored).releaser(), Releaser::OrderingDoctor);
    }
}
