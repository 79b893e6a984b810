//! The lab's settings: who sends a result to the patient.

use crate::lab::model::Releaser;
use crate::settings_section::{Field, Text};

/// Who sends a result to the patient. A new clinic holds back what the patient should hear from their doctor: a
/// low, high or abnormal result waits until the doctor who ordered it has seen it.
pub const RESULTS_RELEASE: Text<Releaser> = Text {
    key: "lab_results_release",
    parse: |text| text.trim().parse(),
    show: |value| value.as_str().to_owned(),
    default: || Releaser::DoctorIfAbnormal,
    look: || Field {
        label: "Who sends a result to the patient",
        kind: "select",
        required: true,
        options: Releaser::ALL.iter().map(|releaser| releaser.as_str()).collect(),
        option_labels: Releaser::ALL.iter().map(|releaser| releaser.label()).collect(),
        wide: true,
        ..Field::default()
    },
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabSettings {
    pub releaser: Releaser,
}

impl LabSettings {
    pub fn releaser(&self) -> Releaser {
        self.releaser
    }
}

crate::settings_section!(
    LabSettings,
    "Lab results",
    [
        releaser: RESULTS_RELEASE,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::{Section, Values};

    #[test]
    fn abnormal_results_wait_for_the_doctor_unless_the_clinic_chooses_otherwise() {
        assert_eq!(LabSettings::default().releaser(), Releaser::DoctorIfAbnormal);
        for (stored, releaser) in [("lab", Releaser::Lab), ("doctor", Releaser::OrderingDoctor)] {
            let values = Values::from([(RESULTS_RELEASE.key.to_owned(), stored.to_owned())]);
            assert_eq!(LabSettings::from_stored(&values).releaser(), releaser);
        }
        let unreadable = Values::from([(RESULTS_RELEASE.key.to_owned(), "1".to_owned())]);
        assert_eq!(
            LabSettings::from_stored(&unreadable).releaser(),
            Releaser::DoctorIfAbnormal
        );
    }
}
