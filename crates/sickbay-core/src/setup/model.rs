//! Which setup steps are done, decided from counts of what the clinic has (pure, unit-tested).

use crate::lab::model::Releaser;
use crate::words::count;

/// What the database holds that the steps are decided from.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    /// Whether the settings were ever saved (the clinic's name is stored then, with every other key).
    pub settings_saved: i64,
    pub rooms: i64,
    pub doctors: i64,
    /// Active staff who work the front desk, by their main role or one given besides it.
    pub front_desk: i64,
    /// Doctors with weekly hours.
    pub doctors_with_hours: i64,
    /// Fees the admin has set: saved at least once, or with a price (an install starts with a free
    /// consultation fee).
    pub fees: i64,
    /// Patients who can log in to the portal (they have a password).
    pub portal_accounts: i64,
}

/// The clinic's settings the first step shows, so the admin sees the defaults before accepting them.
#[derive(Clone, Debug)]
pub struct ClinicFacts {
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub self_registration: bool,
    /// The address messages link back to (Settings, Messages to patients).
    pub site_url: String,
    /// The pharmacy waits for the patient's payment (Settings, Billing).
    pub dispense_only_when_paid: bool,
    /// Who sends a result to the patient (Settings, Lab results).
    pub results_release: Releaser,
}

impl ClinicFacts {
    /// The two rules a clinic decides on its first day, as they stand.
    fn rules(&self) -> String {
        let pharmacy = match self.dispense_only_when_paid {
            true => "the pharmacy gives medicines once the patient has paid",
            false => "the pharmacy gives medicines before payment",
        };
        let results = match self.results_release {
            Releaser::Lab => "a result reaches the patient when the lab releases it",
            Releaser::DoctorIfAbnormal => {
                "a low, high or abnormal result reaches the patient once their doctor has seen it, others when the \
                 lab releases them"
            }
            Releaser::OrderingDoctor => "a result reaches the patient once their doctor has seen it",
        };
        format!("Rules: {pharmacy}; {results}.")
    }
}

/// Whether `site_url` is this machine's own address, which no patient's phone can open.
fn is_local(site_url: &str) -> bool {
    let authority = site_url.split("://").nth(1).unwrap_or(site_url);
    let authority = authority.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host == "::1" || host == "0.0.0.0" || host.starts_with("127.")
}

/// The settings page with the address of the site that messages link to (Messages to patients).
pub const SITE_ADDRESS_PAGE: &str = "/admin/settings/messages-to-patients";

/// One step of the checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// A name for the step in the page (`setup-rooms`).
    pub key: &'static str,
    pub title: &'static str,
    /// Where the step is done.
    pub href: &'static str,
    pub done: bool,
    /// Done, but with something still to check: what, in a sentence (the detail says it too).
    pub attention: Option<String>,
    /// What the clinic has now, or what to do.
    pub detail: String,
}

impl Step {
    /// Its mark: "To do", "Check" (done, with something to look at) or "Done".
    pub fn mark(&self) -> (&'static str, crate::tone::Tone) {
        match (self.done, self.attention.is_some()) {
            (false, _) => ("To do", crate::tone::Tone::Warn),
            (true, true) => ("Check", crate::tone::Tone::Warn),
            (true, false) => ("Done", crate::tone::Tone::Good),
        }
    }
}

/// The steps in the order a new clinic takes them.
pub fn steps(counts: &Counts, clinic: &ClinicFacts) -> Vec<Step> {
    let facts = format!("{} · {} · {}", clinic.name, clinic.time_zone, clinic.currency);
    let saved = counts.settings_saved > 0;
    let links_here = (saved && is_local(&clinic.site_url)).then(|| {
        format!(
            "Messages still link to {}: give the site's own address under Messages to patients.",
            clinic.site_url
        )
    });
    let staffed = counts.doctors > 0 && counts.front_desk > 0;
    vec![
        Step {
            key: "settings",
            title: "The clinic's name, address, time zone, currency and rules",
            // Once saved, what is left to check is the site's address, on the messages' page.
            href: if links_here.is_some() {
                SITE_ADDRESS_PAGE
            } else {
                "/admin/settings"
            },
            done: saved,
            attention: links_here.clone(),
            detail: match (saved, &links_here) {
                (true, None) => format!("Saved: {facts}. {}", clinic.rules()),
                (true, Some(check)) => format!("Saved: {facts}. {check} {}", clinic.rules()),
                (false, _) => format!(
                    "Now {facts}: check them, with the address printed on receipts and the site's address that \
                     messages link to, and save. {} Each is a setting (Billing, Lab results).",
                    clinic.rules()
                ),
            },
        },
        Step {
            key: "rooms",
            title: "Consulting rooms",
            href: "/admin/rooms",
            done: counts.rooms > 0,
            attention: None,
            detail: match counts.rooms {
                0 => "Add the rooms the waiting-room screen calls patients to.".to_owned(),
                n => format!("{}.", count(n, "room", "rooms")),
            },
        },
        Step {
            key: "staff",
            title: "Staff accounts",
            href: "/admin/staff/new",
            done: staffed,
            attention: None,
            detail: format!(
                "{} and {} at the front desk{}",
                count(counts.doctors, "doctor", "doctors"),
                counts.front_desk,
                if staffed {
                    "."
                } else {
                    ": the clinic needs at least one of each."
                }
            ),
        },
        Step {
            key: "hours",
            title: "Doctors' weekly hours",
            href: "/schedule/hours",
            done: counts.doctors_with_hours > 0,
            attention: None,
            detail: match counts.doctors {
                0 => "Once the clinic has doctors, give each the hours students can book.".to_owned(),
                doctors => format!(
                    "{} of {} have hours; students book the times they make.",
                    counts.doctors_with_hours,
                    count(doctors, "doctor", "doctors")
                ),
            },
        },
        Step {
            key: "fees",
            title: "Fees",
            href: "/admin/fees",
            done: counts.fees > 0,
            attention: None,
            detail: match counts.fees {
                0 => "Set the consultation fee (free until you do) and the services you charge for.".to_owned(),
                n => format!("{} in the fee schedule.", count(n, "fee", "fees")),
            },
        },
        Step {
            key: "portal",
            title: "Students' access to the portal",
            href: "/patients/portal-access",
            done: clinic.self_registration || counts.portal_accounts > 0,
            attention: None,
            detail: match (clinic.self_registration, counts.portal_accounts) {
                (true, _) => "Students may register themselves.".to_owned(),
                (false, 0) => {
                    "Print first passwords for students, or let them register themselves (Settings).".to_owned()
                }
                (false, n) => format!("{} can log in.", count(n, "patient", "patients")),
            },
        },
    ]
}

/// The steps done that still have something to check.
pub fn to_check(steps: &[Step]) -> impl Iterator<Item = &Step> {
    steps.iter().filter(|step| step.done && step.attention.is_some())
}

/// How many of `steps` are done.
pub fn done_count(steps: &[Step]) -> usize {
    steps.iter().filter(|step| step.done).count()
}

/// How far the clinic is, as the steps' marks say: "4 of 6 done." or, where a step done still has something to
/// look at (marked Check), "5 of 6 done, 1 to check."
pub fn progress(steps: &[Step]) -> String {
    let to_check = to_check(steps).count();
    let done = format!("{} of {} done", done_count(steps) - to_check, steps.len());
    match to_check {
        0 => format!("{done}."),
        n => format!("{done}, {n} to check."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clinic(self_registration: bool) -> ClinicFacts {
        ClinicFacts {
            name: "Sickbay Clinic".to_owned(),
            time_zone: "Africa/Lagos".to_owned(),
            currency: "NGN".to_owned(),
            self_registration,
            site_url: "https://clinic.example.edu".to_owned(),
            dispense_only_when_paid: false,
            results_release: Releaser::Lab,
        }
    }

    #[test]
    fn a_fresh_install_has_every_step_to_do_and_shows_the_defaults() {
        let steps = steps(&Counts::default(), &clinic(false));
        assert_eq!(steps.len(), 6);
        assert_eq!(done_count(&steps), 0);
        assert!(steps[0].detail.contains("Sickbay Clinic · Africa/Lagos · NGN"));
        assert_eq!(
            steps[3].detail,
            "Once the clinic has doctors, give each the hours students can book."
        );
    }

    #[test]
    fn each_step_is_done_by_what_the_clinic_has() {
        let counts = Counts {
            settings_saved: 1,
            rooms: 3,
            doctors: 2,
            front_desk: 1,
            doctors_with_hours: 1,
            fees: 4,
            portal_accounts: 0,
        };
        let steps = steps(&counts, &clinic(false));
        assert_eq!(
            steps.iter().map(|s| s.done).collect::<Vec<_>>(),
            [true, true, true, true, true, false]
        );
        assert_eq!(steps[1].detail, "3 rooms.");
        assert_eq!(
            steps[3].detail,
            "1 of 2 doctors have hours; students book the times they make."
        );
        assert!(
            self::steps(&counts, &clinic(true))[5].done,
            "self-registration opens the portal"
        );
        let portal = Counts {
            portal_accounts: 1,
            ..counts
        };
        assert_eq!(done_count(&self::steps(&portal, &clinic(false))), 6);
        assert_eq!(progress(&self::steps(&portal, &clinic(false))), "6 of 6 done.");
        let local = ClinicFacts {
            site_url: "http://localhost:3000".to_owned(),
            ..clinic(false)
        };
        assert_eq!(progress(&self::steps(&portal, &local)), "5 of 6 done, 1 to check.");
    }

    #[test]
    fn saved_settings_still_linking_to_this_machine_say_so() {
        let saved = Counts {
            settings_saved: 1,
            ..Counts::default()
        };
        for local in ["http://localhost:3000", "http://127.0.0.1:8080/", "http://[::1]:3000"] {
            let facts = ClinicFacts {
                site_url: local.to_owned(),
                ..clinic(false)
            };
            let step = &steps(&saved, &facts)[0];
            assert!(
                step.detail.contains(&format!("Messages still link to {local}")),
                "{local}: {}",
                step.detail
            );
            assert_eq!(step.mark().0, "Check", "done, but not to be taken as finished");
            assert_eq!(step.href, SITE_ADDRESS_PAGE, "the step leads to what is left to check");
        }
        assert_eq!(
            SITE_ADDRESS_PAGE,
            format!(
                "/admin/settings/{}",
                <crate::outbox::settings::MessageSettings as crate::settings_section::Section>::slug()
            )
        );
        assert_eq!(steps(&saved, &clinic(false))[0].href, "/admin/settings");
        let step = &steps(&saved, &clinic(false))[0];
        assert_eq!(
            step.detail,
            "Saved: Sickbay Clinic · Africa/Lagos · NGN. Rules: the pharmacy gives medicines before payment; \
             a result reaches the patient when the lab releases it."
        );
        let strict = ClinicFacts {
            dispense_only_when_paid: true,
            results_release: Releaser::OrderingDoctor,
            ..clinic(false)
        };
        assert!(steps(&saved, &strict)[0].detail.ends_with(
            "Rules: the pharmacy gives medicines once the patient has paid; a result reaches the patient once \
             their doctor has seen it."
        ));
        let held = ClinicFacts {
            results_release: Releaser::DoctorIfAbnormal,
            ..clinic(false)
        };
        assert!(
            steps(&saved, &held)[0]
                .detail
                .contains("a low, high or abnormal result reaches the patient once")
        );
        assert_eq!(step.mark().0, "Done");
        assert_eq!(steps(&Counts::default(), &clinic(false))[0].mark().0, "To do");
        assert!(!is_local("https://localhostel.example.org"));
    }

    #[test]
    fn staff_need_a_doctor_and_the_front_desk() {
        let doctors_only = Counts {
            doctors: 1,
            ..Counts::default()
        };
        let step = &steps(&doctors_only, &clinic(false))[2];
        assert!(!step.done);
        assert_eq!(
            step.detail,
            "1 doctor and 0 at the front desk: the clinic needs at least one of each."
        );
    }
}
