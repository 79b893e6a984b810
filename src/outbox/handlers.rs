//! The admin's outbox: every message with its status, tries and last error, filtered and paged from a cursor;
//! a failed or unsent message sent again; a test email or SMS.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::settings;
use crate::state::AppState;
use crate::web::extract::{Admins, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::paging::{Cursor, OLDER, Pager, address};
use crate::web::{AppResult, IdPath};
use sickbay_core::db::paging::PAGE_SIZE;
use sickbay_core::outbox::model::{Channel, Filter, Kind, OutboxQuery, Status};
use sickbay_core::outbox::repo::Message;
use sickbay_core::outbox::service;
use sickbay_core::outbox::settings::{MailSettings, SmsSettings};
use sickbay_core::outbox::sms::to_e164;
use sickbay_core::staff::model::parse_email;
use sickbay_core::validation::FieldErrors;

pub const PATH: &str = "/admin/outbox";

#[derive(Template, WebTemplate)]
#[template(path = "outbox/list.html")]
pub struct OutboxPage {
    layout: Layout,
    query: OutboxQuery,
    errors: FieldErrors,
    filter: Filter,
    rows: Vec<Message>,
    cursor: Cursor,
    /// What isn't set up, with the settings page that sets it up.
    not_set_up: Vec<(&'static str, String)>,
    test: TestForm,
    test_errors: FieldErrors,
}

impl OutboxPage {
    fn mail_settings(&self) -> String {
        settings::handlers::page_of::<MailSettings>()
    }

    fn sms_settings(&self) -> String {
        settings::handlers::page_of::<SmsSettings>()
    }

    fn pager(&self) -> Pager {
        self.cursor
            .pager(PATH.to_owned(), |before| self.older_link(before), OLDER)
    }

    fn older_link(&self, before: i64) -> String {
        let before = before.to_string();
        let query = &self.query;
        let pairs = [
            ("kind", query.kind.trim()),
            ("channel", query.channel.trim()),
            ("status", query.status.trim()),
            ("day", query.day.trim()),
            ("patient", query.patient.trim()),
            ("before", before.as_str()),
        ];
        address(PATH, &pairs)
    }

    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }

    fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }

    fn statuses(&self) -> &'static [Status] {
        Status::ALL
    }

    fn chosen(&self, field: &str, value: &str) -> bool {
        let typed = match field {
            "kind" => &self.query.kind,
            "channel" => &self.query.channel,
            "status" => &self.query.status,
            _ => &self.test.channel,
        };
        typed.trim() == value
    }
}

async fn page(state: &AppState, layout: Layout, query: OutboxQuery) -> AppResult<(OutboxPage, bool)> {
    let settings = state.settings.get();
    let mut not_set_up = Vec::new();
    if !settings.mail.is_configured() {
        not_set_up.push((
            "No mail server is set up: emails are kept here, not sent.",
            settings::handlers::page_of::<MailSettings>(),
        ));
    }
    if !settings.sms.provider().is_configured() {
        not_set_up.push((
            "No SMS provider is set up: text messages are kept here, not sent.",
            settings::handlers::page_of::<SmsSettings>(),
        ));
    }
    let mut page = OutboxPage {
        layout,
        errors: FieldErrors::default(),
        filter: Filter::default(),
        rows: Vec::new(),
        cursor: Cursor::default(),
        not_set_up,
        test: TestForm::default(),
        test_errors: FieldErrors::default(),
        query,
    };
    match page.query.filter(settings.clinic.time_zone) {
        Ok(filter) => {
            let found = service::list(&state.db, &filter, page.query.before(), PAGE_SIZE).await?;
            page.filter = filter;
            page.cursor = Cursor::from(&found);
            page.rows = found.rows;
            Ok((page, true))
        }
        Err(errors) => {
            page.errors = errors;
            Ok((page, false))
        }
    }
}

pub async fn list(
    _admin: Staff<Admins>,
    Page { state, layout, .. }: Page,
    Query(query): Query<OutboxQuery>,
) -> AppResult<Response> {
    let (page, read) = page(&state, layout, query).await?;
    Ok(match read {
        true => page.into_response(),
        false => invalid(page),
    })
}

pub async fn retry(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    session: Session,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    service::retry(&state.db, &admin.actor, id).await?;
    flash(
        &session,
        FlashKind::Success,
        "The message will be sent again in a few seconds.",
    )
    .await?;
    Ok(Redirect::to(&format!("{PATH}?before={}", id + 1)).into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TestForm {
    pub channel: String,
    pub to: String,
}

impl TestForm {
    fn validate(&self, country_code: &str) -> Result<(Channel, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let channel = errors.check(
            "channel",
            self.channel
                .trim()
                .parse::<Channel>()
                .map_err(|_| "Choose email or SMS."),
        );
        let to = match channel {
            Some(Channel::Email) => match parse_email(&self.to) {
                Ok(Some(address)) => Some(address),
                _ => {
                    errors.add("to", "Enter an email address such as you@example.edu.");
                    None
                }
            },
            Some(Channel::Sms) => to_e164(&self.to, country_code).or_else(|| {
                errors.add("to", "Enter a phone number, e.g. 0803 123 4567 or +234 803 123 4567.");
                None
            }),
            None => None,
        };
        match (channel, to) {
            (Some(channel), Some(to)) => Ok((channel, to)),
            _ => Err(errors),
        }
    }
}

pub async fn send_test(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<TestForm>,
) -> AppResult<Response> {
    let settings = state.settings.get();
    let (channel, to) = match form.validate(&settings.sms.country_code) {
        Ok(valid) => valid,
        Err(errors) => {
            let (mut page, _) = page(&state, layout, OutboxQuery::default()).await?;
            page.test = form;
            page.test_errors = errors;
            return Ok(invalid(page));
        }
    };
    service::send_test(&state.db, &admin.actor, channel, to.clone(), &settings.clinic.name).await?;
    let message = format!(
        "A test {} to {to} is on its way; its status shows below.",
        channel.label()
    );
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(PATH).into_response())
}
