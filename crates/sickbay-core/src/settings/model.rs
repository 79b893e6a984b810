//! All the clinic's settings, composed of the sections each feature owns.

use regex::Regex;

use crate::audit::settings::AuditSettings;
use crate::billing::settings::BillingSettings;
use crate::clinic::ClinicSettings;
use crate::lab::settings::LabSettings;
use crate::outbox::settings::{MailSettings, MessageSettings, SmsSettings};
use crate::patients::settings::RegistrationSettings;
use crate::pharmacy::settings::PharmacySettings;
use crate::queue::settings::QueueSettings;
use crate::scheduling::settings::BookingSettings;
use crate::settings_section::{Fieldset, Section, Values, values_of};
use crate::validation::FieldErrors;

pub use crate::patients::settings::{DEFAULT_MATRIC_PATTERN, parse_matric_pattern};

/// Every setting the clinic can change, by the feature that owns it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub clinic: ClinicSettings,
    pub registration: RegistrationSettings,
    pub booking: BookingSettings,
    pub queue: QueueSettings,
    pub lab: LabSettings,
    pub pharmacy: PharmacySettings,
    pub billing: BillingSettings,
    pub audit: AuditSettings,
    pub messages: MessageSettings,
    pub mail: MailSettings,
    pub sms: SmsSettings,
}

impl Settings {
    /// Builds settings from stored pairs; a missing or unreadable value is its default, so a bad row never
    /// stops the clinic from opening. Keys no section owns are ignored (see `unknown_keys`).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let stored: Values = pairs.into_iter().collect();
        Settings {
            clinic: ClinicSettings::from_stored(&stored),
            registration: RegistrationSettings::from_stored(&stored),
            booking: BookingSettings::from_stored(&stored),
            queue: QueueSettings::from_stored(&stored),
            lab: LabSettings::from_stored(&stored),
            pharmacy: PharmacySettings::from_stored(&stored),
            billing: BillingSettings::from_stored(&stored),
            audit: AuditSettings::from_stored(&stored),
            messages: MessageSettings::from_stored(&stored),
            mail: MailSettings::from_stored(&stored),
            sms: SmsSettings::from_stored(&stored),
        }
    }

    /// The stored form of every setting, for saving, section by section.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.clinic.to_stored();
        pairs.extend(self.registration.to_stored());
        pairs.extend(self.booking.to_stored());
        pairs.extend(self.queue.to_stored());
        pairs.extend(self.lab.to_stored());
        pairs.extend(self.pharmacy.to_stored());
        pairs.extend(self.billing.to_stored());
        pairs.extend(self.audit.to_stored());
        pairs.extend(self.messages.to_stored());
        pairs.extend(self.mail.to_stored());
        pairs.extend(self.sms.to_stored());
        pairs
    }

    /// The settings the form asks for, or a message beside each bad field.
    pub fn from_form(form: &Values) -> Result<Settings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let clinic = ClinicSettings::from_form(form, &mut errors);
        let registration = RegistrationSettings::from_form(form, &mut errors);
        let booking = BookingSettings::from_form(form, &mut errors);
        let queue = QueueSettings::from_form(form, &mut errors);
        let lab = LabSettings::from_form(form, &mut errors);
        let pharmacy = PharmacySettings::from_form(form, &mut errors);
        let billing = BillingSettings::from_form(form, &mut errors);
        let audit = AuditSettings::from_form(form, &mut errors);
        let messages = MessageSettings::from_form(form, &mut errors);
        let mail = MailSettings::from_form(form, &mut errors);
        let sms = SmsSettings::from_form(form, &mut errors);
        let settings = || {
            Some(Settings {
                clinic: clinic?,
                registration: registration?,
                booking: booking?,
                queue: queue?,
                lab: lab?,
                pharmacy: pharmacy?,
                billing: billing?,
                audit: audit?,
                messages: messages?,
                mail: mail?,
                sms: sms?,
            })
        };
        match settings() {
            Some(settings) if errors.is_empty() => Ok(settings),
            _ => Err(errors),
        }
    }

    /// The form's values showing these settings.
    pub fn to_form(&self) -> Values {
        let mut values = values_of(&self.clinic);
        values.extend(values_of(&self.registration));
        values.extend(values_of(&self.booking));
        values.extend(values_of(&self.queue));
        values.extend(values_of(&self.lab));
        values.extend(values_of(&self.pharmacy));
        values.extend(values_of(&self.billing));
        values.extend(values_of(&self.audit));
        values.extend(values_of(&self.messages));
        values.extend(values_of(&self.mail));
        values.extend(values_of(&self.sms));
        values
    }

    pub fn booking_rules(&self) -> crate::scheduling::model::BookingRules {
        self.booking.rules()
    }

    /// How far ahead the booking horizon reaches today, for generating slots.
    pub fn slot_horizon(&self) -> crate::scheduling::service::Horizon {
        crate::scheduling::service::Horizon {
            today: self.today(),
            days: self.booking.horizon_days,
            zone: self.clinic.time_zone,
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.clinic.time_zone).date_naive()
    }

    /// The clinic's currency, for the money filter.
    pub fn currency(&self) -> crate::db::Currency {
        crate::db::Currency {
            code: self.clinic.currency_code.clone(),
            minor_digits: self.clinic.currency_minor_digits,
        }
    }

    pub fn matric_regex(&self) -> Regex {
        self.registration.matric_regex()
    }
}

/// The fieldsets of the settings form, each feature's own, showing `form`.
pub fn fieldsets(form: &Values) -> Vec<Fieldset> {
    vec![
        ClinicSettings::fieldset(form),
        RegistrationSettings::fieldset(form),
        BookingSettings::fieldset(form),
        QueueSettings::fieldset(form),
        LabSettings::fieldset(form),
        PharmacySettings::fieldset(form),
        BillingSettings::fieldset(form),
        AuditSettings::fieldset(form),
        MessageSettings::fieldset(form),
        MailSettings::fieldset(form),
        SmsSettings::fieldset(form),
    ]
}

/// The section whose address ends in `slug`, showing `form`.
pub fn fieldset(slug: &str, form: &Values) -> Option<Fieldset> {
    fieldsets(form).into_iter().find(|set| set.slug() == slug)
}

/// The whole form when one section (by its `slug`) is saved on its own: that section's fields as posted (one
/// left out is left out, as an unticked box is), every other setting as it is now; with the section's title.
/// `None` when there is no such section.
pub fn with_section(current: &Settings, slug: &str, posted: &Values) -> Option<(&'static str, Values)> {
    let section = fieldset(slug, &Values::new())?;
    let mut form = current.to_form();
    for field in section.fields {
        match posted.get(field.key) {
            Some(value) => form.insert(field.key.to_owned(), value.clone()),
            None => form.remove(field.key),
        };
    }
    Some((section.title, form))
}

/// Whether a section that reaches patients outside the clinic (mail, SMS) is set up; `None` for the others.
pub fn connected(settings: &Settings, title: &str) -> Option<bool> {
    match title {
        MailSettings::TITLE => Some(settings.mail.is_configured()),
        SmsSettings::TITLE => Some(settings.sms.provider().is_configured()),
        _ => None,
    }
}

pub fn known_keys() -> Vec<&'static str> {
    let mut keys = ClinicSettings::keys();
    keys.extend(RegistrationSettings::keys());
    keys.extend(BookingSettings::keys());
    keys.extend(QueueSettings::keys());
    keys.extend(LabSettings::keys());
    keys.extend(PharmacySettings::keys());
    keys.extend(BillingSettings::keys());
    keys.extend(AuditSettings::keys());
    keys.extend(MessageSettings::keys());
    keys.extend(MailSettings::keys());
    keys.extend(SmsSettings::keys());
    keys
}

/// Fills the secrets left empty on the form (a password field never shows what is stored) with `current`'s, so
/// saving the page keeps them; a secret typed anew replaces the old one.
pub fn keep_secrets(form: &mut Values, current: &Settings) {
    let stored = current.to_form();
    for key in crate::outbox::settings::SECRET_KEYS {
        let typed = form.get(key).is_some_and(|value| !value.trim().is_empty());
        if let (false, Some(value)) = (typed, stored.get(key)) {
            form.insert(key.to_owned(), value.clone());
        }
    }
}

/// The stored keys that no section owns (left by another version, or typed by hand).
pub fn unknown_keys<'a>(stored: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let known = known_keys();
    stored.into_iter().filter(|key| !known.contains(key)).collect()
}

/// The keys whose stored value differs between `before` and `after`, in the order of `to_pairs`.
pub fn changed_keys(before: &Settings, after: &Settings) -> Vec<&'static str> {
    before
        .to_pairs()
        .into_iter()
        .zip(after.to_pairs())
        .filter(|((_, old), (_, new))| old != new)
        .map(|((key, _), _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_section_saved_alone_changes_only_its_own_keys() {
        let current = Settings::default();
        let sets = fieldsets(&Values::new());
        let section = &sets[1];
        assert_eq!(section.slug(), "student-registration");
        let first = section.fields[0].key;
        let posted: Values = [(first.to_owned(), "typed".to_owned())].into();
        let (title, form) = with_section(&current, &section.slug(), &posted).expect("a section");
        assert_eq!(title, section.title);
        let mine: Vec<&str> = section.fields.iter().map(|f| f.key).collect();
        for (key, value) in current.to_form() {
            match key.as_str() {
                k if k == first => assert_eq!(form[k], "typed"),
                // Left out of the post: left out, as an unticked box is.
                k if mine.contains(&k) => assert!(!form.contains_key(k), "{k}"),
                k => assert_eq!(form[k], value, "{k} is another section's"),
            }
        }
        assert!(with_section(&current, "", &posted).is_none());
        assert!(with_section(&current, "student", &posted).is_none());
        assert_eq!(connected(&current, MailSettings::TITLE), Some(false));
        assert_eq!(connected(&current, SmsSettings::TITLE), Some(false));
        assert_eq!(connected(&current, ClinicSettings::TITLE), None);
    }

    #[test]
    fn every_section_has_an_address_of_its_own() {
        let slugs: Vec<String> = fieldsets(&Values::new()).iter().map(Fieldset::slug).collect();
        assert_eq!(slugs[0], "the-clinic");
        assert!(slugs.contains(&"sms-provider".to_owned()), "{slugs:?}");
        assert_eq!(slugs.iter().collect::<BTreeSet<_>>().len(), slugs.len(), "{slugs:?}");
    }

    #[test]
    fn every_key_belongs_to_exactly_one_section() {
        let keys = known_keys();
        let unique: BTreeSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "a key in two sections: {keys:?}");
        let saved: Vec<_> = Settings::default().to_pairs().into_iter().map(|(k, _)| k).collect();
        assert_eq!(saved, keys);
        let shown: Vec<_> = fieldsets(&Values::new())
            .into_iter()
            .flat_map(|set| set.fields.into_iter().map(|f| f.key))
            .collect();
        assert_eq!(
            shown.iter().collect::<BTreeSet<_>>(),
            unique,
            "the form shows every key once"
        );
        assert_eq!(shown.len(), keys.len());
    }

    #[test]
    fn every_textarea_setting_may_hold_line_breaks() {
        for field in fieldsets(&Values::new()).into_iter().flat_map(|set| set.fields) {
            assert_eq!(
                field.kind == "textarea",
                crate::validation::is_multi_line(field.key),
                "{}",
                field.key
            );
        }
    }

    #[test]
    fn an_unknown_key_changes_nothing_and_is_reported() {
        let stored = pairs(&[("no_show_grace_minutes_typo", "5"), ("unknown", "x")]);
        assert_eq!(Settings::from_pairs(stored.clone()), Settings::default());
        let keys = stored.iter().map(|(k, _)| k.as_str());
        assert_eq!(unknown_keys(keys), ["no_show_grace_minutes_typo", "unknown"]);
        assert!(unknown_keys(["queue_skip_places"]).is_empty());
    }

    #[test]
    fn pairs_round_trip_through_every_section() {
        let s = Settings::from_pairs(pairs(&[
            ("self_registration", "1"),
            ("clinic_address", "Block C, Main Campus"),
            ("booking_max_future", "9"),
            ("queue_skip_places", "5"),
        ]));
        assert_eq!(s.booking.max_future, 9);
        assert_eq!(s.queue.skip_places, 5);
        let again = s.to_pairs().into_iter().map(|(k, v)| (k.to_owned(), v));
        assert_eq!(Settings::from_pairs(again), s);
    }

    #[test]
    fn a_form_of_the_current_settings_validates_to_them() {
        let settings = Settings::from_pairs(pairs(&[("booking_one_per_day", "0"), ("time_zone", "Europe/London")]));
        assert_eq!(Settings::from_form(&settings.to_form()).unwrap(), settings);
    }

    #[test]
    fn every_bad_field_gets_a_message() {
        let errors = Settings::from_form(&Values::new()).unwrap_err();
        let optional = [
            "clinic_address",
            "self_registration",
            "approval_required",
            "booking_one_per_day",
            "billing_dispense_only_when_paid",
            "audit_staff_names_to_patients",
            "reminder_hours",
            "smtp_host",
            "smtp_username",
            "smtp_password",
            "mail_from",
            "sms_username",
            "sms_api_key",
            "sms_sender_id",
        ];
        for key in known_keys().into_iter().filter(|k| !optional.contains(k)) {
            assert!(errors.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn changed_keys_lists_only_changes() {
        let before = Settings::default();
        assert!(changed_keys(&before, &before).is_empty());
        let after = Settings::from_pairs(pairs(&[("clinic_name", "Other"), ("self_registration", "1")]));
        assert_eq!(changed_keys(&before, &after), ["clinic_name", "self_registration"]);
    }
}
