//! The messages settings: what the clinic sends and by which channels, when reminders go, and the mail server
//! and SMS provider that carry them. Passwords and keys are never shown again once saved (`SECRET_KEYS`).

use crate::db::types::InvalidValue;
use crate::outbox::model::{Channel, Channels, Kind};
use crate::outbox::sms::{LIVE_ENDPOINT, SmsProvider};
use crate::settings_section::{Field, Number, Text, Values};
use crate::text_enum;
use crate::validation::FieldErrors;

/// Keys whose value the settings form never shows: an empty field keeps what is stored.
pub const SECRET_KEYS: [&str; 2] = [SMTP_PASSWORD.key, SMS_API_KEY.key];

/// Which channels carry one group of messages.
macro_rules! channels {
    ($key:literal, $label:literal) => {
        Text {
            key: $key,
            parse: |text| text.trim().parse(),
            show: |value: &Channels| value.as_str().to_owned(),
            default: || Channels::Both,
            look: || Field {
                label: $label,
                kind: "select",
                required: true,
                options: Channels::ALL.iter().map(|c| c.as_str()).collect(),
                ..Field::default()
            },
        }
    };
}

/// One line of text, optional; `help` says what leaving it empty does (under the box, so labels side by side
/// stay one line and their boxes line up).
macro_rules! line {
    ($key:literal, $label:literal, $help:literal) => {
        Text {
            key: $key,
            parse: parse_line,
            show: String::clone,
            default: String::new,
            look: || Field {
                label: $label,
                hint: "(optional)",
                help: $help,
                kind: "text",
                maxlength: 200,
                extra: "spellcheck=false autocapitalize=none".to_owned(),
                ..Field::default()
            },
        }
    };
}

/// A password or key: never shown again once saved.
macro_rules! secret {
    ($key:literal, $label:literal) => {
        Text {
            key: $key,
            parse: parse_line,
            show: String::clone,
            default: String::new,
            look: || Field {
                label: $label,
                hint: "(optional)",
                help: "Kept once saved: leave it empty to keep the saved one.",
                kind: "password",
                maxlength: 200,
                extra: "autocomplete=off".to_owned(),
                ..Field::default()
            },
        }
    };
}

pub const SITE_URL: Text<String> = Text {
    key: "site_url",
    parse: parse_site_url,
    show: String::clone,
    default: || "http://localhost:3000".to_owned(),
    look: || Field {
        label: "Address of this site",
        help: "Where patients open Sickbay, e.g. https://clinic.example.edu: messages link back to it.",
        kind: "url",
        required: true,
        maxlength: 200,
        wide: true,
        ..Field::default()
    },
};
pub const BOOKINGS: Text<Channels> = channels!("messages_bookings", "Appointment confirmed, moved or cancelled");
pub const REMINDERS: Text<Channels> = channels!("messages_reminders", "Appointment reminders");
pub const QUEUE: Text<Channels> = channels!("messages_queue", "You're nearly up (two places from the front)");
pub const RESULTS: Text<Channels> = channels!("messages_results", "Results ready");
pub const WAITLIST: Text<Channels> = channels!("messages_waitlist", "A waitlist place came free");
pub const INVOICES: Text<Channels> = channels!("messages_invoices", "Invoices and receipts");
pub const DIGESTS: Text<Channels> = channels!(
    "messages_digests",
    "Staff digests (pharmacy each morning, the admins' week)"
);
pub const REMINDER_HOURS: Text<Vec<i64>> = Text {
    key: "reminder_hours",
    parse: parse_reminder_hours,
    show: |hours| hours.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
    default: || vec![24, 2],
    look: || Field {
        label: "Reminders before an appointment (hours)",
        help: "Up to four, separated by commas, e.g. 24, 2. Leave empty for no reminders.",
        kind: "text",
        maxlength: 40,
        ..Field::default()
    },
};

pub const SMTP_HOST: Text<String> = line!(
    "smtp_host",
    "Mail server (SMTP host)",
    "Empty: email waits in the outbox, not sent."
);
pub const SMTP_PORT: Number = Number {
    key: "smtp_port",
    label: "Port",
    range: 1..=65_535,
    default: 587,
};
text_enum! {
    /// How the connection to the mail server is protected.
    pub enum Tls {
        StartTls => "STARTTLS",
        Wrapper => "TLS",
        Off => "None (a relay on this machine only)",
    }
}
pub const SMTP_TLS: Text<Tls> = Text {
    key: "smtp_tls",
    parse: |text| text.trim().parse(),
    show: |value| value.as_str().to_owned(),
    default: || Tls::StartTls,
    look: || Field {
        label: "Encryption",
        kind: "select",
        required: true,
        options: Tls::ALL.iter().map(|t| t.as_str()).collect(),
        ..Field::default()
    },
};
pub const SMTP_USERNAME: Text<String> = line!("smtp_username", "Mail user name", "");
pub const SMTP_PASSWORD: Text<String> = secret!("smtp_password", "Mail password");
pub const MAIL_FROM: Text<String> = Text {
    key: "mail_from",
    parse: parse_mail_from,
    show: String::clone,
    default: String::new,
    look: || Field {
        label: "Send email from",
        hint: "(optional)",
        help: "An address, e.g. clinic@example.edu.",
        kind: "email",
        maxlength: 200,
        ..Field::default()
    },
};
pub const SMS_ENDPOINT: Text<String> = Text {
    key: "sms_endpoint",
    parse: parse_site_url,
    show: String::clone,
    default: || LIVE_ENDPOINT.to_owned(),
    look: || Field {
        label: "SMS provider address (Africa's Talking)",
        help: "The live address unless you are testing with the provider's sandbox.",
        kind: "url",
        required: true,
        maxlength: 200,
        wide: true,
        ..Field::default()
    },
};
pub const SMS_USERNAME: Text<String> = line!(
    "sms_username",
    "SMS user name",
    "Empty: SMS waits in the outbox, not sent."
);
pub const SMS_API_KEY: Text<String> = secret!("sms_api_key", "SMS API key");
pub const SMS_SENDER_ID: Text<String> = line!("sms_sender_id", "SMS sender name", "As registered with the provider.");
pub const PHONE_COUNTRY_CODE: Text<String> = Text {
    key: "phone_country_code",
    parse: parse_country_code,
    show: String::clone,
    default: || "234".to_owned(),
    look: || Field {
        label: "Country calling code",
        help: "For numbers written without one, e.g. 234 for Nigeria, 233 for Ghana.",
        kind: "text",
        required: true,
        maxlength: 4,
        extra: "inputmode=numeric".to_owned(),
        ..Field::default()
    },
};

/// What the clinic sends, by which channels, and when reminders go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSettings {
    /// Where patients open Sickbay: the start of every link in a message.
    pub site_url: String,
    pub bookings: Channels,
    pub reminders: Channels,
    pub queue: Channels,
    pub results: Channels,
    pub waitlist: Channels,
    pub invoices: Channels,
    pub digests: Channels,
    /// Hours before an appointment at which a reminder goes, largest first.
    pub reminder_hours: Vec<i64>,
}

impl MessageSettings {
    /// The channels the clinic uses for messages of `kind`; a password reset and a test always go.
    pub fn channels_for(&self, kind: Kind) -> Channels {
        match kind {
            Kind::BookingConfirmed | Kind::BookingMoved | Kind::BookingCancelled => self.bookings,
            Kind::Reminder => self.reminders,
            Kind::NearlyUp => self.queue,
            Kind::ResultsReady => self.results,
            Kind::WaitlistOffer => self.waitlist,
            Kind::InvoiceIssued | Kind::Receipt => self.invoices,
            Kind::Digest => self.digests,
            Kind::PasswordReset | Kind::Test => Channels::Both,
        }
    }

    pub fn sends(&self, kind: Kind, channel: Channel) -> bool {
        self.channels_for(kind).allows(channel)
    }

    /// `path` of this site as a whole address.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.site_url.trim_end_matches('/'))
    }
}

crate::settings_section!(
    MessageSettings,
    "Messages to patients",
    [
        site_url: SITE_URL,
        bookings: BOOKINGS,
        reminders: REMINDERS,
        queue: QUEUE,
        results: RESULTS,
        waitlist: WAITLIST,
        invoices: INVOICES,
        digests: DIGESTS,
        reminder_hours: REMINDER_HOURS,
    ]
);

/// The mail server email goes through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: i64,
    pub tls: Tls,
    pub username: String,
    pub password: String,
    pub from: String,
}

impl MailSettings {
    /// Whether email can be sent at all; without a server it is kept in the outbox.
    pub fn is_configured(&self) -> bool {
        !self.host.is_empty() && !self.from.is_empty()
    }
}

/// Email needs the address it is sent from once a server is given.
fn mail_from_given(form: &Values, errors: &mut FieldErrors) -> bool {
    let given = |key: &str| form.get(key).is_some_and(|text| !text.trim().is_empty());
    if given(SMTP_HOST.key) && !given(MAIL_FROM.key) {
        errors.add(MAIL_FROM.key, "Enter the address email is sent from.");
        return false;
    }
    true
}

crate::settings_section!(
    MailSettings,
    "Mail server",
    [
        host: SMTP_HOST,
        port: SMTP_PORT,
        tls: SMTP_TLS,
        from: MAIL_FROM,
        username: SMTP_USERNAME,
        password: SMTP_PASSWORD,
    ], check = mail_from_given
);

/// The SMS provider text messages go through, and how phone numbers without a country code are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSettings {
    pub endpoint: String,
    pub username: String,
    pub api_key: String,
    pub sender_id: String,
    /// The clinic's country calling code, digits only.
    pub country_code: String,
}

impl SmsSettings {
    pub fn provider(&self) -> SmsProvider {
        SmsProvider {
            endpoint: self.endpoint.clone(),
            username: self.username.clone(),
            api_key: self.api_key.clone(),
            sender_id: self.sender_id.clone(),
        }
    }
}

crate::settings_section!(
    SmsSettings,
    "SMS provider",
    [
        endpoint: SMS_ENDPOINT,
        username: SMS_USERNAME,
        api_key: SMS_API_KEY,
        sender_id: SMS_SENDER_ID,
        country_code: PHONE_COUNTRY_CODE,
    ]
);

fn parse_line(text: &str) -> Result<String, InvalidValue> {
    let line = text.trim();
    if line.chars().any(char::is_control) {
        return Err(InvalidValue("Use one line without control characters.".into()));
    }
    if line.chars().count() > 200 {
        return Err(InvalidValue("Keep it to 200 characters or fewer.".into()));
    }
    Ok(line.to_owned())
}

fn parse_site_url(text: &str) -> Result<String, InvalidValue> {
    let text = parse_line(text)?;
    match url::Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => Err(InvalidValue(
            "Enter an address starting with https:// (or http://).".into(),
        )),
    }
}

fn parse_mail_from(text: &str) -> Result<String, InvalidValue> {
    let text = parse_line(text)?;
    if text.is_empty() || text.parse::<lettre::Address>().is_ok() {
        Ok(text)
    } else {
        Err(InvalidValue(
            "Enter an email address such as clinic@example.edu.".into(),
        ))
    }
}

fn parse_country_code(text: &str) -> Result<String, InvalidValue> {
    let digits = text.trim().trim_start_matches('+');
    if (1..=3).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0') {
        Ok(digits.to_owned())
    } else {
        Err(InvalidValue("Enter one to three digits, e.g. 234.".into()))
    }
}

fn parse_reminder_hours(text: &str) -> Result<Vec<i64>, InvalidValue> {
    let bad = || InvalidValue("Enter up to four whole numbers of hours from 1 to 168, e.g. 24, 2.".into());
    let mut hours = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<i64>()
                .ok()
                .filter(|h| (1..=168).contains(h))
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<_>, _>>()?;
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    if hours.len() > 4 {
        return Err(bad());
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings_section::Section;
    use crate::settings_section::values_of;

    #[test]
    fn defaults_send_everything_by_both_channels_with_reminders_a_day_and_two_hours_before() {
        let s = MessageSettings::default();
        assert_eq!(s.reminder_hours, vec![24, 2]);
        assert!(s.sends(Kind::Reminder, Channel::Sms));
        assert!(!MailSettings::default().is_configured());
        assert_eq!(SmsSettings::default().country_code, "234");
    }

    #[test]
    fn reminder_hours_are_read_sorted_and_checked() {
        assert_eq!(parse_reminder_hours("2, 24, 2"), Ok(vec![24, 2]));
        assert_eq!(parse_reminder_hours(" "), Ok(vec![]));
        assert!(parse_reminder_hours("0").is_err());
        assert!(parse_reminder_hours("169").is_err());
        assert!(parse_reminder_hours("1,2,3,4,5").is_err());
        assert!(parse_reminder_hours("soon").is_err());
    }

    #[test]
    fn a_turned_off_group_sends_nothing_and_others_keep_going() {
        let mut form = values_of(&MessageSettings::default());
        form.insert(REMINDERS.key.to_owned(), "Off".to_owned());
        form.insert(RESULTS.key.to_owned(), "SMS only".to_owned());
        let s = MessageSettings::from_form(&form, &mut FieldErrors::default()).expect("valid");
        assert!(!s.sends(Kind::Reminder, Channel::Email));
        assert!(s.sends(Kind::ResultsReady, Channel::Sms));
        assert!(!s.sends(Kind::ResultsReady, Channel::Email));
        assert!(s.sends(Kind::PasswordReset, Channel::Email));
    }

    #[test]
    fn a_mail_server_needs_a_from_address() {
        let mut form = values_of(&MailSettings::default());
        form.insert(SMTP_HOST.key.to_owned(), "smtp.example.edu".to_owned());
        let mut errors = FieldErrors::default();
        assert_eq!(MailSettings::from_form(&form, &mut errors), None);
        assert!(errors.get(MAIL_FROM.key).is_some());
        form.insert(MAIL_FROM.key.to_owned(), "clinic@example.edu".to_owned());
        let mail = MailSettings::from_form(&form, &mut FieldErrors::default()).expect("valid");
        assert!(mail.is_configured());
    }

    #[test]
    fn addresses_and_country_codes_are_checked() {
        assert_eq!(
            parse_site_url("https://clinic.example.edu/"),
            Ok("https://clinic.example.edu".to_owned())
        );
        assert!(parse_site_url("clinic.example.edu").is_err());
        assert!(parse_site_url("javascript:alert(1)").is_err());
        assert_eq!(parse_country_code("+233"), Ok("233".to_owned()));
        assert!(parse_country_code("0234").is_err());
        assert!(parse_mail_from("not an address").is_err());
    }
}
