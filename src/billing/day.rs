//! The cashier's day (takings by method and by cashier, every payment and refund, the close with the counted
//! cash, a printable report and CSV) and the schemes' monthly claims (printable, CSV, lines marked submitted,
//! paid or rejected).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{FrontDesk, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, csv_table};
use sickbay_core::billing::model::{ClaimStatus, cash_difference_words, parse_reason};
use sickbay_core::billing::repo::Scheme;
use sickbay_core::billing::service::{self, DayReport, SchemeClaim};
use sickbay_core::db::{Date, Money};
use sickbay_core::error::ServiceError;
use sickbay_core::validation::{FieldErrors, ids_named, one_line, parse_id};

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    day: String,
}

/// The day asked for, today when none; a day that doesn't read is a 400.
fn day_of(text: &str, today: Date) -> AppResult<Date> {
    match text.trim() {
        "" => Ok(today),
        text => Date::parse(text).map_err(|_| AppError::BadRequest("Give the day as YYYY-MM-DD.".into())),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    counted: String,
    #[serde(default)]
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/day.html")]
pub struct DayPage {
    layout: Layout,
    report: DayReport,
    me: i64,
    /// The cash the signed-in cashier should hold for the day.
    my_cash: Money,
    form: CloseForm,
    errors: FieldErrors,
    /// The clinic's address, for the printed report.
    address: String,
}

impl DayPage {
    fn my_close(&self) -> Option<&sickbay_core::billing::repo::CashClose> {
        self.report.close_of(self.me)
    }
}

async fn day_page_for(
    state: &AppState,
    layout: Layout,
    me: i64,
    day: Date,
    form: CloseForm,
    errors: FieldErrors,
) -> AppResult<DayPage> {
    let report = service::day_report(&state.db, day).await?;
    let my_cash = report
        .by_cashier()
        .into_iter()
        .find(|(id, ..)| *id == me)
        .map_or(Money(0), |(_, _, cash, _)| cash);
    Ok(DayPage {
        layout,
        report,
        me,
        my_cash,
        form,
        errors,
        address: state.settings.get().clinic.address.clone(),
    })
}

pub async fn day_page(
    cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<DayQuery>,
) -> AppResult<DayPage> {
    let day = day_of(&query.day, state.today())?;
    day_page_for(
        &state,
        layout,
        cashier.id,
        day,
        CloseForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// The day's payments and refunds, one row each, for a spreadsheet.
pub async fn day_csv(
    _cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    Query(query): Query<DayQuery>,
) -> AppResult<Response> {
    let day = day_of(&query.day, state.today())?;
    let report = service::day_report(&state.db, day).await?;
    let digits = state.settings.get().clinic.currency_minor_digits;
    let header = [
        "number",
        "kind",
        "day",
        "invoice",
        "patient",
        "clinic_number",
        "method",
        "amount",
        "reference",
        "reason",
        "cashier",
    ];
    let rows = report.payments.iter().map(|p| {
        vec![
            p.number.clone(),
            p.kind.as_str().to_owned(),
            p.day.to_string(),
            p.invoice_number.clone().unwrap_or_default(),
            p.patient_name.clone(),
            p.clinic_number.clone(),
            p.method.as_str().to_owned(),
            p.amount.format_major(digits).replace(',', ""),
            p.reference.clone(),
            p.reason.clone(),
            p.cashier_name.clone(),
        ]
    });
    csv_table(&format!("takings-{day}.csv"), &header, rows)
}

/// Records the signed-in cashier's counted cash for the day.
pub async fn close(
    cashier: Staff<FrontDesk>,
    Page { state, session, layout }: Page,
    Form(form): Form<CloseForm>,
) -> AppResult<Response> {
    let day = day_of(&form.day, state.today())?;
    let mut errors = FieldErrors::default();
    let digits = layout.currency.minor_digits;
    let counted = errors.check(
        "counted",
        sickbay_core::validation::parse_money(&form.counted, digits).map_err(|err| match err {
            sickbay_core::validation::MoneyError::Empty => {
                "Enter the cash you counted, e.g. 15000 (0 if the drawer is empty).".to_owned()
            }
            other => other.message(digits),
        }),
    );
    let note = errors.check("note", one_line(&form.note, "The note", 300, false));
    let result = match (counted, note) {
        (Some(counted), Some(note)) if errors.is_empty() => {
            service::close_day(&state.db, &cashier.actor, (day, state.today()), counted, &note).await
        }
        _ => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(difference) => {
            let words = cash_difference_words(difference, &layout.currency);
            flash(&session, FlashKind::Success, format!("Day closed. {words}")).await?;
            Ok(Redirect::to(&format!("/billing/day?day={day}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            day_page_for(&state, layout, cashier.id, day, form, errors).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

// ---- claims --------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ClaimQuery {
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    month: String,
}

/// `YYYY-MM`, or a 400.
fn month_of(text: &str, today: Date) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(today.to_string()[..7].to_owned());
    }
    Date::parse(&format!("{text}-01"))
        .map(|_| text.to_owned())
        .map_err(|_| AppError::BadRequest("Give the month as YYYY-MM.".into()))
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/claims.html")]
pub struct ClaimsPage {
    layout: Layout,
    schemes: Vec<Scheme>,
    month: String,
    claim: Option<SchemeClaim>,
    /// The clinic's address, for the printed claim.
    address: String,
}

async fn claim_of(state: &AppState, query: &ClaimQuery) -> AppResult<(String, Option<SchemeClaim>)> {
    let month = month_of(&query.month, state.today())?;
    let claim = match parse_id(&query.scheme) {
        Some(scheme) => Some(service::claim(&state.db, scheme, &month).await?),
        None => None,
    };
    Ok((month, claim))
}

pub async fn claims(
    _cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<ClaimQuery>,
) -> AppResult<ClaimsPage> {
    let (month, claim) = claim_of(&state, &query).await?;
    Ok(ClaimsPage {
        layout,
        schemes: service::schemes(&state.db).await?,
        month,
        claim,
        address: state.settings.get().clinic.address.clone(),
    })
}

pub async fn claims_csv(
    _cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    Query(query): Query<ClaimQuery>,
) -> AppResult<Response> {
    let (month, claim) = claim_of(&state, &query).await?;
    let claim = claim.ok_or(AppError::BadRequest("Choose a scheme.".into()))?;
    let digits = state.settings.get().clinic.currency_minor_digits;
    let header = [
        "invoice",
        "issued",
        "patient",
        "clinic_number",
        "member_number",
        "invoice_total",
        "claimed",
        "status",
        "reason",
    ];
    let rows = claim.lines.iter().map(|line| {
        vec![
            line.number.clone().unwrap_or_default(),
            line.issued_day.map(|d| d.to_string()).unwrap_or_default(),
            line.patient_name.clone(),
            line.clinic_number.clone(),
            line.member_number.clone(),
            line.total.format_major(digits).replace(',', ""),
            line.scheme_share.format_major(digits).replace(',', ""),
            line.claim_status.as_str().to_owned(),
            line.claim_reason.clone(),
        ]
    });
    csv_table(&format!("claim-{}-{month}.csv", claim.scheme.id), &header, rows)
}

/// Marks the ticked lines of a claim: the form is a list of `invoice` fields with `scheme`, `month`, `to`
/// and (for a rejection) `reason`.
pub async fn mark_claims(
    cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let value = |name: &str| crate::web::form::field_value(&fields, name).unwrap_or("");
    let scheme = parse_id(value("scheme")).ok_or(AppError::BadRequest("Choose a scheme.".into()))?;
    let month = month_of(value("month"), state.today())?;
    let to: ClaimStatus = value("to")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose what to mark the lines as.".into()))?;
    let invoices = ids_named(&fields, "invoice");
    let reason = match to {
        ClaimStatus::Rejected => {
            parse_reason(value("reason"), "the scheme rejected them").map_err(AppError::BadRequest)?
        }
        _ => String::new(),
    };
    if invoices.is_empty() {
        return Err(AppError::BadRequest("Tick the lines to mark.".into()));
    }
    let moved = service::mark_claim(&state.db, &cashier.actor, (scheme, &month), &invoices, to, &reason).await?;
    flash(
        &session,
        FlashKind::Success,
        format!("{moved} line(s) marked {}.", to.label().to_lowercase()),
    )
    .await?;
    Ok(Redirect::to(&format!("/billing/claims?scheme={scheme}&month={month}")).into_response())
}
