//! The admin's side of billing: the fee schedule (the consultation fee and other services), prices by patient
//! category for fees, lab tests and procedures, the payer schemes, and which scheme covers a patient.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::settings;
use crate::state::AppState;
use crate::web::extract::{Admins, FrontDesk, Staff};
use crate::web::filters;
use crate::web::form::{Form, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::billing::model::{Category, Covers};
use sickbay_core::billing::repo::{Fee, Scheme, SchemeInput};
use sickbay_core::billing::service::{self, FeeChange, covers_of};
use sickbay_core::billing::settings::BillingSettings;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::{Money, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::lab::model::LabTest;
use sickbay_core::procedures::model::{ProcedureType, parse_name, parse_price};
use sickbay_core::validation::{FieldErrors, one_line, parse_id};

/// The category price fields of a form: `price_student`, `price_staff`, ... (empty: the item's own price).
#[derive(Debug, Default, Deserialize)]
pub struct CategoryPrices {
    #[serde(default)]
    price_student: String,
    #[serde(default)]
    price_staff: String,
    #[serde(default)]
    price_dependant: String,
    #[serde(default)]
    price_visitor: String,
}

impl CategoryPrices {
    fn parse(&self, digits: u32, errors: &mut FieldErrors) -> Vec<(Category, Option<Money>)> {
        let fields: [(&'static str, Category, &str); 4] = [
            ("price_student", Category::Student, &self.price_student),
            ("price_staff", Category::Staff, &self.price_staff),
            ("price_dependant", Category::Dependant, &self.price_dependant),
            ("price_visitor", Category::Visitor, &self.price_visitor),
        ];
        fields
            .into_iter()
            .filter_map(|(field, category, text)| match text.trim() {
                "" => Some((category, None)),
                text => errors
                    .check(field, parse_price(text, digits))
                    .map(|p| (category, Some(p))),
            })
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FeeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    form_id: String,
    #[serde(flatten)]
    prices: CategoryPrices,
}

/// A row of the fee schedule: an item and its price for each category (None: its own price).
pub struct PriceRow {
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub price: Money,
    pub by_category: Vec<(Category, Option<Money>)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/fees.html")]
pub struct FeesPage {
    layout: Layout,
    fees: Vec<Fee>,
    rows: Vec<PriceRow>,
    categories: &'static [Category],
    form: FeeForm,
    errors: FieldErrors,
}

impl FeesPage {
    fn billing_settings(&self) -> String {
        settings::handlers::page_of::<BillingSettings>()
    }

    /// The price typed for a category, for a price cell: blank when it is the item's own.
    fn cell(&self, row: &PriceRow, category: &Category) -> String {
        row.by_category
            .iter()
            .find(|(c, _)| c == category)
            .and_then(|(_, price)| *price)
            .map(|price| self.plain(&price))
            .unwrap_or_default()
    }

    /// An amount as a form field holds it: `1500.00`, no grouping.
    fn plain(&self, amount: &Money) -> String {
        amount.format_major(self.layout.currency.minor_digits).replace(',', "")
    }
}

fn rows_of(
    fees: &[Fee],
    tests: Vec<LabTest>,
    procedures: Vec<ProcedureType>,
    prices: &HashMap<(String, i64, Category), Money>,
) -> Vec<PriceRow> {
    let by_category = |kind: &str, id: i64| {
        Category::ALL
            .iter()
            .map(|c| (*c, prices.get(&(kind.to_owned(), id, *c)).copied()))
            .collect()
    };
    let fees = fees.iter().map(|f| PriceRow {
        kind: "fee",
        id: f.id,
        name: f.name.clone(),
        price: f.price,
        by_category: by_category("fee", f.id),
    });
    let tests = tests.into_iter().map(|t| PriceRow {
        kind: "lab_test",
        id: t.id,
        by_category: by_category("lab_test", t.id),
        name: format!("Lab: {}", t.name),
        price: t.price,
    });
    let procedures = procedures.into_iter().map(|p| PriceRow {
        kind: "procedure",
        id: p.id,
        by_category: by_category("procedure", p.id),
        name: p.name,
        price: p.price,
    });
    fees.chain(tests).chain(procedures).collect()
}

async fn fees_page(state: &AppState, layout: Layout, form: FeeForm, errors: FieldErrors) -> AppResult<FeesPage> {
    let fees = service::fees(&state.db).await?;
    let prices = service::category_prices(&state.db).await?;
    let tests = sickbay_core::lab::service::tests(&state.db).await?;
    let procedures = sickbay_core::procedures::service::types(&state.db).await?;
    Ok(FeesPage {
        rows: rows_of(&fees, tests, procedures, &prices),
        fees,
        layout,
        categories: Category::ALL,
        form: FeeForm {
            form_id: FormKey::mint().to_string(),
            ..form
        },
        errors,
    })
}

pub async fn fees(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<FeesPage> {
    fees_page(&state, layout, FeeForm::default(), FieldErrors::default()).await
}

pub async fn add_fee(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<FeeForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_name(&form.name));
    let price = errors.check("price", parse_price(&form.price, layout.currency.minor_digits));
    let result = match (name, price) {
        (Some(name), Some(price)) if errors.is_empty() => {
            let actor = admin.actor_with_form(&form.form_id)?;
            service::add_fee(&state.db, &actor, &name, price).await.map(|_| name)
        }
        _ => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(name) => {
            flash(
                &session,
                FlashKind::Success,
                format!("{name} added to the fee schedule."),
            )
            .await?;
            Ok(Redirect::to("/admin/fees").into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(fees_page(&state, layout, form, errors).await?)),
        Err(err) => Err(err.into()),
    }
}

/// Changes a fee's name, price, state and category prices (the form of its row).
pub async fn update_fee(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<FeeForm>,
) -> AppResult<Response> {
    let digits = layout.currency.minor_digits;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_name(&form.name));
    let price = errors.check("price", parse_price(&form.price, digits));
    let by_category = form.prices.parse(digits, &mut errors);
    let seen = Timestamp(form.version.unwrap_or_default());
    let result = match (name, price) {
        (Some(name), Some(price)) if errors.is_empty() => {
            let change = FeeChange {
                name,
                price,
                active: form.active.is_some(),
                by_category,
            };
            service::update_fee(&state.db, &admin.actor, id, seen, &change)
                .await
                .map(|()| change.name)
        }
        _ => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(name) => {
            flash(&session, FlashKind::Success, format!("{name} saved.")).await?;
            Ok(Redirect::to("/admin/fees").into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(fees_page(&state, layout, form, errors).await?)),
        Err(err) => Err(err.into()),
    }
}

/// Sets a lab test's or a procedure's prices by category.
pub async fn set_item_prices(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Path((kind, id)): Path<(String, i64)>,
    Form(form): Form<CategoryPrices>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let prices = form.parse(layout.currency.minor_digits, &mut errors);
    if !errors.is_empty() {
        let page = fees_page(&state, layout, FeeForm::default(), errors).await?;
        return Ok(invalid(page));
    }
    service::set_item_prices(&state.db, &admin.actor, &kind, id, &prices).await?;
    flash(&session, FlashKind::Success, "Prices saved.").await?;
    Ok(Redirect::to("/admin/fees").into_response())
}

// ---- schemes -------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct SchemeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    covers_consultation: Option<String>,
    #[serde(default)]
    covers_services: Option<String>,
    #[serde(default)]
    covers_lab: Option<String>,
    #[serde(default)]
    covers_procedures: Option<String>,
    #[serde(default)]
    covers_drugs: Option<String>,
    #[serde(default)]
    yearly_limit: String,
    #[serde(default)]
    form_id: String,
}

impl SchemeForm {
    fn input(&self, digits: u32) -> Result<SchemeInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", one_line(&self.name, "The scheme's name", 100, true));
        let percent = errors.check(
            "percent",
            match self.percent.trim().parse::<i64>() {
                Ok(p) if (1..=100).contains(&p) => Ok(p),
                _ => Err("Enter the share the scheme pays as a whole percentage from 1 to 100."),
            },
        );
        let limit = match self.yearly_limit.trim() {
            "" => Some(Money(0)),
            text => errors.check("yearly_limit", parse_price(text, digits)),
        };
        let covers = Covers {
            consultation: self.covers_consultation.is_some(),
            services: self.covers_services.is_some(),
            lab: self.covers_lab.is_some(),
            procedures: self.covers_procedures.is_some(),
            drugs: self.covers_drugs.is_some(),
        };
        if covers == Covers::default() {
            errors.add("covers_consultation", "Tick at least one thing the scheme pays for.");
        }
        match (name, percent, limit) {
            (Some(name), Some(percent), Some(yearly_limit)) if errors.is_empty() => Ok(SchemeInput {
                name,
                percent,
                covers,
                yearly_limit,
                active: true,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/schemes.html")]
pub struct SchemesPage {
    layout: Layout,
    schemes: Vec<Scheme>,
    form: SchemeForm,
    errors: FieldErrors,
}

impl SchemesPage {
    fn covers(&self, scheme: &Scheme) -> String {
        covers_of(scheme).describe()
    }
}

async fn schemes_page(
    state: &AppState,
    layout: Layout,
    form: SchemeForm,
    errors: FieldErrors,
) -> AppResult<SchemesPage> {
    Ok(SchemesPage {
        layout,
        schemes: service::schemes(&state.db).await?,
        form: SchemeForm {
            form_id: FormKey::mint().to_string(),
            ..form
        },
        errors,
    })
}

pub async fn schemes(_admin: Staff<Admins>, State(state): State<AppState>, layout: Layout) -> AppResult<SchemesPage> {
    schemes_page(&state, layout, SchemeForm::default(), FieldErrors::default()).await
}

pub async fn add_scheme(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<SchemeForm>,
) -> AppResult<Response> {
    let result = match form.input(layout.currency.minor_digits) {
        Ok(input) => {
            let actor = admin.actor_with_form(&form.form_id)?;
            service::add_scheme(&state.db, &actor, &input).await.map(|_| input.name)
        }
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(name) => {
            flash(&session, FlashKind::Success, format!("{name} added.")).await?;
            Ok(Redirect::to("/admin/schemes").into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(schemes_page(&state, layout, form, errors).await?)),
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PatientSchemeForm {
    #[serde(default)]
    scheme_id: String,
    #[serde(default)]
    member_number: String,
}

/// Puts a patient under a scheme (or none) from their record.
pub async fn set_patient_scheme(
    cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    IdPath(id): IdPath,
    Form(form): Form<PatientSchemeForm>,
) -> AppResult<Response> {
    let member = one_line(&form.member_number, "The member number", 40, false).map_err(AppError::BadRequest)?;
    let scheme = match form.scheme_id.trim() {
        "" => None,
        text => Some(parse_id(text).ok_or(AppError::BadRequest("Choose one of the clinic's schemes.".into()))?),
    };
    let result = service::set_patient_scheme(&state.db, &cashier.actor, id, scheme.map(|s| (s, member.as_str()))).await;
    match result {
        Ok(()) => {
            flash(&session, FlashKind::Success, "Scheme saved.").await?;
            Ok(Redirect::to(&format!("/patients/{id}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            Err(AppError::BadRequest(errors.messages().collect::<Vec<_>>().join(" ")))
        }
        Err(err) => Err(err.into()),
    }
}
