//! The stock's pages: the pharmacist's home with its alerts, a drug's batches with the receive form and its
//! ledger (and the ledger as CSV), a batch's adjustment, expiry write-offs and the count sheet of a shelf.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Pharmacists, PharmacyStaff, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, field_value, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::live::{self, LiveBlock, Since};
use crate::web::paging::{Pager, Paging};
use crate::web::{AppError, AppResult, IdPath, csv_table};
use sickbay_core::db::events::Event;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::paging::PageRequest;
use sickbay_core::db::{Date, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::pharmacy::model::stock::{AdjustForm, AdjustReason, MovementKind, ReceiptForm, counted};
use sickbay_core::pharmacy::model::{BatchLine, Drug, MovementRow};
use sickbay_core::pharmacy::repo::LedgerFilter;
use sickbay_core::pharmacy::service::{self, AlertCounts, Alerts, Counted};
use sickbay_core::validation::FieldErrors;

// ---- the pharmacist's home --------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/home.html")]
pub struct HomePage {
    layout: Layout,
    user: StaffUser,
    today: Date,
    glance: LiveBlock,
    alerts: Alerts,
    /// Whether the user changes stock (an admin reads the alerts only: no write-off, no count).
    does_pharmacy_work: bool,
}

/// The pharmacy's figures (the worklist's length and the alerts counted in full), then the worklist itself:
/// the pharmacist's first work.
#[derive(Template)]
#[template(path = "pharmacy/_glance.html")]
struct Glance {
    waiting: i64,
    counts: AlertCounts,
    worklist: Arc<str>,
}

async fn glance(state: &AppState) -> AppResult<String> {
    Ok(Glance {
        waiting: sickbay_core::prescriptions::service::count_open(&state.db).await?,
        counts: alert_counts(state).await?,
        worklist: super::dispense_pages::worklist_rows(state).await?,
    }
    .render()?)
}

/// The alerts counted in full (the pharmacist's and the admin's figures), read once per change for every
/// pharmacist's and admin's screen, which all read them again on the same change: counting the drugs at their
/// reorder level sums the unexpired stock of every drug.
pub async fn alert_counts(state: &AppState) -> AppResult<AlertCounts> {
    let today = state.today();
    state
        .pharmacy
        .counts
        .get_within("counts", state.db.events().last_seq(), super::MAX_AGE, || async {
            Ok(service::alert_counts(&state.db, today).await?)
        })
        .await
}

/// The pharmacy's figures alone, re-read by the home page when its stream says the pharmacy changed.
pub async fn summary(_user: Staff<PharmacyStaff>, State(state): State<AppState>) -> AppResult<Html<String>> {
    Ok(Html(glance(&state).await?))
}

pub async fn summary_events(
    _user: Staff<PharmacyStaff>,
    State(state): State<AppState>,
    Query(since): Query<Since>,
) -> Response {
    live::changes(&state, Event::touches_pharmacy, since.seq()).into_response()
}

/// The pharmacist's home: the day's figures (live), what is low, what expires soon, what expired on the shelf,
/// what runs out first.
pub async fn home(user: Staff<PharmacyStaff>, State(state): State<AppState>, layout: Layout) -> AppResult<HomePage> {
    let today = state.today();
    let glance = LiveBlock::load(&state, "/pharmacy", "/pharmacy/summary", glance(&state)).await?;
    let alerts = service::alerts(&state.db, today, Timestamp::now()).await?;
    Ok(HomePage {
        layout,
        does_pharmacy_work: super::does_pharmacy_work(&user),
        user: user.user,
        today,
        glance,
        alerts,
    })
}

// ---- a drug's stock and ledger ----------------------------------------------------------------------------

/// The ledger's filters as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LedgerQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl LedgerQuery {
    /// The filter; a value that doesn't read is a 400 with what to fix.
    fn filter(&self) -> AppResult<LedgerFilter> {
        let day = |text: &str, what: &str| -> AppResult<Option<Date>> {
            match text.trim() {
                "" => Ok(None),
                text => Date::parse(text)
                    .map(Some)
                    .map_err(|_| AppError::BadRequest(format!("Give the {what} day as YYYY-MM-DD."))),
            }
        };
        Ok(LedgerFilter {
            kind: match self.kind.trim() {
                "" => None,
                kind => Some(
                    kind.parse::<MovementKind>()
                        .map_err(|_| AppError::BadRequest("Choose a kind of movement from the list.".into()))?,
                ),
            },
            from: day(&self.from, "first")?,
            to: day(&self.to, "last")?,
        })
    }

    /// The query string of the filter, for the pager and the CSV link.
    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("kind", self.kind.trim())
            .append_pair("from", self.from.trim())
            .append_pair("to", self.to.trim())
            .finish()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/stock.html")]
pub struct StockPage {
    layout: Layout,
    drug: Drug,
    today: Date,
    batches: Vec<BatchLine>,
    receipt: ReceiptForm,
    errors: FieldErrors,
    ledger: Vec<MovementRow>,
    paging: Paging,
    query: LedgerQuery,
    kinds: &'static [MovementKind],
    /// Whether the user changes stock (an admin reads the batches and the ledger only).
    does_pharmacy_work: bool,
}

impl StockPage {
    fn on_hand(&self) -> i64 {
        self.batches
            .iter()
            .filter(|batch| !batch.has_expired(&self.today))
            .map(|batch| batch.quantity)
            .sum()
    }

    fn pager(&self) -> Pager {
        self.paging.pager(("movement", "movements"), |page| {
            format!(
                "/pharmacy/drugs/{}/stock?{}&page={page}",
                self.drug.id,
                self.query.query_string()
            )
        })
    }

    fn csv_link(&self) -> String {
        format!(
            "/pharmacy/drugs/{}/ledger.csv?{}",
            self.drug.id,
            self.query.query_string()
        )
    }

    fn is_kind(&self, kind: &MovementKind) -> bool {
        self.query.kind.trim() == kind.as_str()
    }

    fn currency_hint(&self) -> String {
        format!("({})", self.layout.currency.code)
    }
}

fn fresh_receipt(today: Date) -> ReceiptForm {
    ReceiptForm {
        form_id: FormKey::mint().to_string(),
        received_on: today.to_string(),
        ..ReceiptForm::default()
    }
}

async fn stock_page(
    state: &AppState,
    layout: Layout,
    drug_id: i64,
    query: LedgerQuery,
    receipt: ReceiptForm,
    errors: FieldErrors,
) -> AppResult<StockPage> {
    let filter = query.filter()?;
    let mut conn = state.db.conn().await?;
    let drug = service::drug(&mut conn, drug_id).await?.ok_or(AppError::NotFound)?;
    let page = PageRequest::from_query(query.page.as_deref());
    let (ledger, total) = service::ledger(&mut conn, drug_id, &filter, page).await?;
    Ok(StockPage {
        layout,
        today: state.today(),
        batches: service::batches_of_drug(&mut conn, drug_id).await?,
        drug,
        receipt,
        errors,
        ledger,
        paging: Paging::new(page, total),
        query,
        kinds: MovementKind::ALL,
        does_pharmacy_work: true,
    })
}

/// A drug's batches, the receive form and the ledger, filtered and paged.
pub async fn stock(
    user: Staff<PharmacyStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
    Query(query): Query<LedgerQuery>,
) -> AppResult<StockPage> {
    let receipt = fresh_receipt(state.today());
    let page = stock_page(&state, layout, id, query, receipt, FieldErrors::default()).await?;
    Ok(StockPage {
        does_pharmacy_work: super::does_pharmacy_work(&user),
        ..page
    })
}

/// The drug's ledger as filtered, oldest first, as CSV.
pub async fn ledger_csv(
    _user: Staff<PharmacyStaff>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    Query(query): Query<LedgerQuery>,
) -> AppResult<Response> {
    let drug = service::drug(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let rows = service::ledger_all(&state.db, id, &query.filter()?).await?;
    let zone = state.settings.get().clinic.time_zone;
    let header = [
        "day", "time", "batch", "movement", "reason", "change", "balance", "by", "note",
    ];
    let records = rows.iter().map(|row| {
        vec![
            row.day.to_string(),
            filters::clock_of(row.at, zone),
            row.batch_number.clone(),
            row.kind.label().to_owned(),
            row.reason_label().to_owned(),
            row.change(),
            row.balance.to_string(),
            row.by().to_owned(),
            row.note.clone(),
        ]
    });
    let stem: String = drug
        .label()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    csv_table(&format!("ledger-{stem}.csv"), &header, records)
}

/// Receives a batch from the stock page's form.
pub async fn receive(
    user: Staff<Pharmacists>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<ReceiptForm>,
) -> AppResult<Response> {
    let result = match form.validate(state.today(), layout.currency.minor_digits) {
        Ok(receipt) => service::receive(&state.db, &user.actor_with_form(&form.form_id)?, id, &receipt)
            .await
            .map(|_| receipt),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(receipt) => {
            let notice = format!(
                "Batch {} is in stock: {} units.",
                receipt.batch_number, receipt.quantity
            );
            flash(&session, FlashKind::Success, notice).await?;
            Ok(Redirect::to(&format!("/pharmacy/drugs/{id}/stock")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(
            stock_page(&state, layout, id, LedgerQuery::default(), form, errors).await?,
        )),
        Err(err) => Err(err.into()),
    }
}

// ---- adjusting a batch and writing it off -----------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/adjust.html")]
pub struct AdjustPage {
    layout: Layout,
    batch: BatchLine,
    form: AdjustForm,
    errors: FieldErrors,
    reasons: &'static [AdjustReason],
}

impl AdjustPage {
    fn is_reason(&self, reason: &AdjustReason) -> bool {
        self.form.reason == reason.as_str()
    }
}

pub async fn adjust_form(
    _user: Staff<Pharmacists>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<AdjustPage> {
    let batch = service::batch(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(AdjustPage {
        layout,
        form: AdjustForm {
            seen: batch.quantity.to_string(),
            form_id: FormKey::mint().to_string(),
            ..AdjustForm::default()
        },
        batch,
        errors: FieldErrors::default(),
        reasons: AdjustReason::ALL,
    })
}

fn seen_of(text: &str) -> AppResult<i64> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("The form is missing the quantity it showed. Reload the page.".into()))
}

/// Adjusts a batch; 409 when its quantity changed since the form was loaded.
pub async fn adjust(
    user: Staff<Pharmacists>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<AdjustForm>,
) -> AppResult<Response> {
    let batch = service::batch(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let seen = seen_of(&form.seen)?;
    let actor = user.actor_with_form(&form.form_id)?;
    let result = match form.validate(seen) {
        Ok(adjustment) => service::adjust(&state.db, &actor, id, seen, &adjustment, state.today()).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(_) => {
            let notice = format!("Batch {} of {} is adjusted.", batch.batch_number, batch.drug_label());
            flash(&session, FlashKind::Success, notice).await?;
            Ok(Redirect::to(&format!("/pharmacy/drugs/{}/stock", batch.drug_id)).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(AdjustPage {
            layout,
            batch,
            form,
            errors,
            reasons: AdjustReason::ALL,
        })),
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct SeenForm {
    #[serde(default)]
    seen: String,
}

/// Writes off an expired batch from the home page's alert.
pub async fn write_off(
    user: Staff<Pharmacists>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    session: Session,
    Form(form): Form<SeenForm>,
) -> AppResult<Response> {
    let seen = seen_of(&form.seen)?;
    let batch = service::write_off(&state.db, &user.actor, id, seen, state.today()).await?;
    let notice = format!(
        "{seen} expired units of {} (batch {}) are written off.",
        batch.drug_label(),
        batch.batch_number
    );
    flash(&session, FlashKind::Success, notice).await?;
    Ok(Redirect::to("/pharmacy#expired").into_response())
}

/// The most batches one "Write off all" takes: the home page lists [`service::ALERT_ROWS`].
const WRITE_OFF_AT_ONCE: usize = 100;

/// Writes off every expired batch the home page listed, each with the units it showed; none if any changed.
pub async fn write_off_all(
    user: Staff<Pharmacists>,
    State(state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let batches = listed_batches(&fields)?;
    let units = service::write_off_all(&state.db, &user.actor, &batches, state.today()).await?;
    let notice = format!("{} expired batches ({units} units) are written off.", batches.len());
    flash(&session, FlashKind::Success, notice).await?;
    Ok(Redirect::to("/pharmacy#expired").into_response())
}

/// The `batch` fields of a "Write off all" form, each "batch id:units shown".
fn listed_batches(fields: &[(String, String)]) -> AppResult<Vec<(i64, i64)>> {
    let unreadable = || AppError::BadRequest("The form is missing the batches it showed. Reload the page.".into());
    let batches = fields
        .iter()
        .filter(|(name, _)| name == "batch")
        .map(|(_, value)| {
            let (id, seen) = value.split_once(':').ok_or_else(unreadable)?;
            let number = |text: &str| text.trim().parse::<i64>().map_err(|_| unreadable());
            Ok((number(id)?, number(seen)?))
        })
        .collect::<AppResult<Vec<_>>>()?;
    if batches.is_empty() || batches.len() > WRITE_OFF_AT_ONCE {
        return Err(unreadable());
    }
    Ok(batches)
}

// ---- stock counts ------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ShelfQuery {
    #[serde(default)]
    shelf: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/counts.html")]
pub struct CountPage {
    layout: Layout,
    shelves: Vec<(String, i64)>,
    /// The shelf counted; none before one is chosen.
    shelf: Option<String>,
    batches: Vec<BatchLine>,
    /// What was typed, by batch id, when the sheet comes back with a message.
    typed: Vec<(i64, String)>,
    problem: Option<String>,
}

impl CountPage {
    fn typed_for(&self, batch_id: &i64) -> &str {
        self.typed
            .iter()
            .find(|(id, _)| id == batch_id)
            .map_or("", |(_, text)| text.as_str())
    }

    fn is_shelf(&self, name: &str) -> bool {
        self.shelf.as_deref() == Some(name)
    }

    fn shelf_link(name: &str) -> String {
        let q: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        format!("/pharmacy/counts?shelf={q}")
    }
}

async fn count_page(
    state: &AppState,
    layout: Layout,
    shelf: Option<String>,
    typed: Vec<(i64, String)>,
    problem: Option<String>,
) -> AppResult<CountPage> {
    let mut conn = state.db.conn().await?;
    let batches = match &shelf {
        Some(shelf) => service::on_shelf(&mut conn, shelf).await?,
        None => Vec::new(),
    };
    Ok(CountPage {
        layout,
        shelves: service::shelves(&mut conn).await?,
        shelf,
        batches,
        typed,
        problem,
    })
}

/// The count sheet of a shelf (or the list of shelves).
pub async fn count_sheet(
    _user: Staff<Pharmacists>,
    Page { state, layout, .. }: Page,
    Query(query): Query<ShelfQuery>,
) -> AppResult<CountPage> {
    let shelf = query.shelf.map(|shelf| shelf.trim().to_owned());
    count_page(&state, layout, shelf, Vec::new(), None).await
}

/// The sheet as sent: the shelf, what each batch held when it was shown, and what was counted.
struct Sheet {
    shelf: String,
    counts: Vec<Counted>,
    typed: Vec<(i64, String)>,
    problems: Vec<String>,
}

fn read_sheet(fields: &[(String, String)]) -> AppResult<Sheet> {
    let value = |name: &str| field_value(fields, name);
    let mut sheet = Sheet {
        shelf: value("shelf").unwrap_or("").trim().to_owned(),
        counts: Vec::new(),
        typed: Vec::new(),
        problems: Vec::new(),
    };
    for (key, text) in fields {
        let Some(id) = key.strip_prefix("count_").and_then(sickbay_core::validation::parse_id) else {
            continue;
        };
        sheet.typed.push((id, text.clone()));
        let seen = seen_of(value(&format!("seen_{id}")).unwrap_or(""))?;
        match counted(text) {
            Ok(Some(counted)) => sheet.counts.push(Counted {
                batch_id: id,
                seen,
                counted,
            }),
            Ok(None) => {}
            Err(message) => sheet.problems.push(message),
        }
    }
    Ok(sheet)
}

/// Records a count; each difference becomes an adjustment with the reason "count".
pub async fn record_count(
    user: Staff<Pharmacists>,
    Page { state, session, layout }: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let sheet = read_sheet(&fields)?;
    let problem = match sheet.problems.first() {
        Some(problem) => Some(problem.clone()),
        None if sheet.counts.is_empty() => Some("Write what you counted beside at least one batch.".to_owned()),
        None => None,
    };
    if let Some(problem) = problem {
        let page = count_page(&state, layout, Some(sheet.shelf), sheet.typed, Some(problem)).await?;
        return Ok(invalid(page));
    }
    match service::record_count(&state.db, &user.actor, &sheet.shelf, &sheet.counts, state.today()).await {
        Ok(corrected) => {
            let notice = format!(
                "The count is saved: {} batches counted, {corrected} corrected.",
                sheet.counts.len()
            );
            flash(&session, FlashKind::Success, notice).await?;
            Ok(Redirect::to(&CountPage::shelf_link(&sheet.shelf)).into_response())
        }
        Err(ServiceError::Conflict(message)) => {
            let page = count_page(&state, layout, Some(sheet.shelf), Vec::new(), Some(message)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
