//! The cashier's pages: the billing home (visits to bill, invoices), a visit's bill, an invoice with its
//! lines, payments, refunds, credit notes and void, the receipt (80 mm) and the statement.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::{FrontDesk, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::paging::{Pager, Paging, address, page_value};
use crate::web::{AppError, AppResult, IdPath};
use sickbay_core::billing::model::{
    Discount, InvoiceAction, InvoiceFilter, InvoiceShow, InvoiceStatus, LineInput, LineKind, PaymentMethod, When,
    may_discount, parse_amount, parse_discount, parse_quantity, parse_reason,
};
use sickbay_core::billing::repo::{Fee, Listed, Payment, Unbilled};
use sickbay_core::billing::service::{self, InvoiceDetail, PaymentInput, RefundInput, VisitBill};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::paging::PageRequest;
use sickbay_core::db::{Db, Timestamp};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{Actor, StaffUser};
use sickbay_core::lab::model::LabTest;
use sickbay_core::procedures::model::ProcedureType;
use sickbay_core::validation::{FieldErrors, one_line, parse_id};

/// How far back the home lists completed visits still to bill.
const UNBILLED_SHOWN: i64 = 30;

// ---- the billing home ----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/home.html")]
pub struct HomePage {
    layout: Layout,
    unbilled: Vec<Unbilled>,
    /// Completed visits left out of `unbilled` because they come to nothing (no invoice is made for them).
    free_visits: usize,
    invoices: Vec<Listed>,
    paging: Paging,
    filter: InvoiceFilter,
    /// Admins keep the fee schedule and the schemes.
    may_set_fees: bool,
}

impl HomePage {
    /// The list's address for this choice and page, keeping the search.
    fn link(&self, show: InvoiceShow, page: Option<i64>) -> String {
        let page = page_value(page);
        let pairs = [
            ("status", show.as_str()),
            ("q", self.filter.search.as_str()),
            ("page", page.as_str()),
        ];
        address("/billing", &pairs)
    }

    /// Whether the list leaves some invoices out by their status (a search may then look in all of them).
    fn shows_some(&self) -> bool {
        self.filter.show != InvoiceShow::All
    }

    /// The choice links: each one's label, address, and whether it is the one shown.
    fn show_links(&self) -> Vec<(&'static str, String, bool)> {
        InvoiceShow::ALL
            .iter()
            .map(|show| (show.label(), self.link(*show, None), *show == self.filter.show))
            .collect()
    }

    fn pager(&self) -> Pager {
        self.paging
            .pager(("invoice", "invoices"), |page| self.link(self.filter.show, Some(page)))
    }
}

/// Completed visits to bill, and the invoices (owed first by default), found by patient or number.
pub async fn home(
    cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    Query(query): Query<HomeQuery>,
) -> AppResult<HomePage> {
    let filter = InvoiceFilter::from_query(&query.status, &query.q);
    let page = PageRequest::from_query(query.page.as_deref());
    let mut conn = state.db.conn().await?;
    let (invoices, total) = service::list(&mut conn, &filter, page).await?;
    let (unbilled, free_visits) =
        service::unbilled_visits(&state.db, &mut conn, state.today(), None, UNBILLED_SHOWN).await?;
    Ok(HomePage {
        layout,
        unbilled,
        free_visits,
        invoices,
        paging: Paging::new(page, total),
        filter,
        may_set_fees: cashier.role == sickbay_core::identity::Role::Admin,
    })
}

// ---- a visit's bill ------------------------------------------------------------------------------------

/// The discount fields, as typed (the issue form and a visit's bill).
#[derive(Debug, Default, Deserialize)]
pub struct DiscountForm {
    #[serde(default)]
    discount_amount: String,
    #[serde(default)]
    discount_percent: String,
    #[serde(default)]
    discount_reason: String,
    #[serde(default)]
    form_id: String,
}

impl DiscountForm {
    fn is_empty(&self) -> bool {
        self.discount_amount.trim().is_empty() && self.discount_percent.trim().is_empty()
    }

    /// The discount, if `user` may give one; anyone else sending one is refused.
    fn discount(&self, user: &StaffUser, digits: u32) -> Result<(Discount, String), ServiceError> {
        if self.is_empty() {
            return Ok((Discount::None, String::new()));
        }
        if !may_discount(user.role) {
            return Err(ServiceError::field(
                "discount_amount",
                "Only an administrator gives discounts.",
            ));
        }
        let mut errors = FieldErrors::default();
        parse_discount(
            &self.discount_amount,
            &self.discount_percent,
            &self.discount_reason,
            digits,
            &mut errors,
        )
        .filter(|_| errors.is_empty())
        .ok_or(ServiceError::Invalid(errors))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/visit.html")]
pub struct VisitBillPage {
    layout: Layout,
    bill: VisitBill,
    may_discount: bool,
    form: DiscountForm,
    errors: FieldErrors,
}

/// What billing a completed visit would give; a visit billed already opens its invoice.
pub async fn visit_bill(
    cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let tax = state.settings.get().billing.tax_bp;
    let bill = service::visit_bill(&state.db, id, tax, state.today()).await?;
    if let Some(invoice) = bill.invoice_id {
        return Ok(Redirect::to(&format!("/billing/invoices/{invoice}")).into_response());
    }
    let form = DiscountForm {
        form_id: FormKey::mint().to_string(),
        ..DiscountForm::default()
    };
    Ok(visit_page(layout, bill, &cashier, form, FieldErrors::default()).into_response())
}

fn visit_page(
    layout: Layout,
    bill: VisitBill,
    cashier: &StaffUser,
    form: DiscountForm,
    errors: FieldErrors,
) -> VisitBillPage {
    VisitBillPage {
        layout,
        bill,
        may_discount: may_discount(cashier.role),
        form,
        errors,
    }
}

/// Bills the visit (one click on its bill); a second click or a second cashier gets the same invoice.
pub async fn bill_visit(
    cashier: Staff<FrontDesk>,
    Page { state, session, layout }: Page,
    IdPath(id): IdPath,
    Form(form): Form<DiscountForm>,
) -> AppResult<Response> {
    let (tax, now) = (state.settings.get().billing.tax_bp, When::now(state.today()));
    let result = match form.discount(&cashier, layout.currency.minor_digits) {
        Ok((discount, reason)) => {
            let actor = cashier.actor_with_form(&form.form_id)?;
            service::bill_visit(&state.db, &actor, id, (discount, &reason), tax, now).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(invoice) => {
            flash(&session, FlashKind::Success, "Invoice issued.").await?;
            Ok(Redirect::to(&format!("/billing/invoices/{invoice}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let bill = service::visit_bill(&state.db, id, tax, now.day).await?;
            Ok(invalid(visit_page(layout, bill, &cashier, form, errors)))
        }
        Err(ServiceError::Conflict(message)) => {
            // Nothing to bill, or the visit is still open: the bill says which.
            let bill = service::visit_bill(&state.db, id, tax, now.day).await?;
            if !bill.free && bill.billable {
                return Err(AppError::Conflict(message));
            }
            let page = visit_page(layout, bill, &cashier, form, FieldErrors::default());
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

// ---- an invoice ----------------------------------------------------------------------------------------

/// Every form of the invoice page as typed, so a refused one comes back as it was.
#[derive(Debug, Default, Deserialize)]
pub struct InvoiceForms {
    #[serde(default)]
    item: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    tendered: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    credit: Option<String>,
    #[serde(default)]
    form_id: String,
    /// The invoice's version (`updated_at`, in milliseconds) when the page was shown: the money forms carry it
    /// back, and a form shown before the invoice last changed is refused.
    #[serde(default)]
    seen: String,
    #[serde(flatten)]
    discount: DiscountForm,
}

impl InvoiceForms {
    /// The version of the invoice the form was shown with; a form without one is out of date.
    fn seen(&self) -> Result<Timestamp, ServiceError> {
        self.seen.trim().parse().map(Timestamp).map_err(|_| ServiceError::Stale)
    }

    fn payment(&self, digits: u32) -> Result<PaymentInput, ServiceError> {
        let mut errors = FieldErrors::default();
        let method = errors.check(
            "method",
            method_of(&self.method).map_err(|_| "Choose cash, card or bank transfer."),
        );
        let amount = errors.check("amount", parse_amount(&self.amount, digits));
        let tendered = match self.tendered.trim() {
            "" => None,
            text => errors.check("tendered", parse_amount(text, digits)),
        };
        let reference = errors.check(
            "reference",
            one_line(
                &self.reference,
                "The reference",
                sickbay_core::billing::model::REFERENCE_MAX,
                false,
            ),
        );
        match (method, amount, reference) {
            (Some(method), Some(amount), Some(reference)) if errors.is_empty() => Ok(PaymentInput {
                method,
                amount,
                tendered,
                reference,
                seen: self.seen()?,
            }),
            _ => Err(ServiceError::Invalid(errors)),
        }
    }

    fn refund(&self, digits: u32) -> Result<RefundInput, ServiceError> {
        let mut errors = FieldErrors::default();
        let method = errors.check(
            "method",
            method_of(&self.method).map_err(|_| "Choose how the money goes back."),
        );
        let amount = errors.check("amount", parse_amount(&self.amount, digits));
        let reason = errors.check("reason", parse_reason(&self.reason, "the money goes back"));
        match (method, amount, reason) {
            (Some(method), Some(amount), Some(reason)) if errors.is_empty() => Ok(RefundInput {
                method,
                amount,
                reason,
                credit: self.credit.is_some(),
                seen: self.seen()?,
            }),
            _ => Err(ServiceError::Invalid(errors)),
        }
    }

    /// A credit note's amount and reason, with the invoice version the form was shown at.
    fn credit(&self, digits: u32) -> Result<(sickbay_core::db::Money, String, Timestamp), ServiceError> {
        let mut errors = FieldErrors::default();
        let amount = errors.check("amount", parse_amount(&self.amount, digits));
        let reason = errors.check("reason", parse_reason(&self.reason, "the amount is taken off"));
        match (amount, reason) {
            (Some(amount), Some(reason)) if errors.is_empty() => Ok((amount, reason, self.seen()?)),
            _ => Err(ServiceError::Invalid(errors)),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/invoice.html")]
pub struct InvoicePage {
    layout: Layout,
    detail: InvoiceDetail,
    may_discount: bool,
    /// The catalogue a draft's lines are chosen from.
    fees: Vec<Fee>,
    tests: Vec<LabTest>,
    procedures: Vec<ProcedureType>,
    methods: &'static [PaymentMethod],
    form: InvoiceForms,
    /// Which form `errors` belong to: "line", "issue", "pay", "refund", "credit".
    failed: &'static str,
    errors: FieldErrors,
    /// Why the form sent was refused as a whole (the invoice changed since it was shown), above the invoice.
    notice: Option<String>,
    /// What the forms that were not sent show.
    no_errors: FieldErrors,
}

impl InvoicePage {
    fn errors_of(&self, form: &str) -> &FieldErrors {
        if self.failed == form {
            &self.errors
        } else {
            &self.no_errors
        }
    }

    fn discard_confirmation(&self) -> Confirmation {
        discard_confirmation(&self.detail.invoice)
    }

    fn void_confirmation(&self) -> Confirmation {
        let invoice = &self.detail.invoice;
        Confirmation {
            action: format!("/billing/invoices/{}/void", invoice.id),
            question: format!("Void {}?", invoice.label()),
            detail: "The invoice stays on record, marked void with your reason; a visit's invoice can then be billed \
                     again."
                .into(),
            button: format!("Void {}", invoice.label()),
        }
    }
}

async fn render_invoice(
    state: &AppState,
    layout: Layout,
    user: &StaffUser,
    id: i64,
    form: InvoiceForms,
    failed: &'static str,
    errors: FieldErrors,
) -> AppResult<InvoicePage> {
    let detail = service::invoice(&state.db, id).await?;
    let draft = detail.invoice.status == InvoiceStatus::Draft;
    let form = InvoiceForms {
        form_id: FormKey::mint().to_string(),
        seen: detail.invoice.updated_at.millis().to_string(),
        amount: match form.amount.is_empty() && failed.is_empty() {
            true => detail.balance().format_major(layout.currency.minor_digits),
            false => form.amount,
        },
        quantity: if form.quantity.is_empty() {
            "1".into()
        } else {
            form.quantity
        },
        ..form
    };
    Ok(InvoicePage {
        fees: if draft {
            service::fees(&state.db).await?
        } else {
            Vec::new()
        },
        tests: if draft {
            sickbay_core::lab::service::active_tests(&state.db).await?
        } else {
            Vec::new()
        },
        procedures: if draft {
            sickbay_core::procedures::service::types(&state.db)
                .await?
                .into_iter()
                .filter(|p| p.active)
                .collect()
        } else {
            Vec::new()
        },
        layout,
        detail,
        may_discount: may_discount(user.role),
        methods: PaymentMethod::ALL,
        form,
        failed,
        errors,
        notice: None,
        no_errors: FieldErrors::default(),
    })
}

pub async fn invoice_page(
    cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    IdPath(id): IdPath,
) -> AppResult<InvoicePage> {
    render_invoice(
        &state,
        layout,
        &cashier,
        id,
        InvoiceForms::default(),
        "",
        FieldErrors::default(),
    )
    .await
}

/// One of the invoice page's forms, posted by the desk: who acts, the page around it and the invoice.
#[derive(FromRequestParts)]
#[from_request(state(AppState))]
pub struct InvoiceDesk {
    cashier: Staff<FrontDesk>,
    page: Page,
    id: IdPath,
}

impl InvoiceDesk {
    fn digits(&self) -> u32 {
        self.page.layout.currency.minor_digits
    }

    fn now(&self) -> When {
        When::now(self.page.state.today())
    }

    fn tax(&self) -> i64 {
        self.page.state.settings.get().billing.tax_bp
    }

    /// Runs the form: `act` gets the database, the cashier as actor (carrying the form's one-time id), the
    /// invoice and the form's input; a form with mistakes comes back as they are, without running it.
    async fn run<I, T>(
        &self,
        form: &InvoiceForms,
        input: Result<I, ServiceError>,
        act: impl AsyncFnOnce(&Db, &Actor, i64, I) -> Result<T, ServiceError>,
    ) -> AppResult<Result<T, ServiceError>> {
        match input {
            Ok(input) => {
                let actor = self.cashier.actor_with_form(&form.form_id)?;
                Ok(act(&self.page.state.db, &actor, self.id.0, input).await)
            }
            Err(err) => Ok(Err(err)),
        }
    }

    /// The answer: back to the invoice with `done` said, or the page again with the form's messages (422).
    async fn answer(
        self,
        sent: (InvoiceForms, &'static str),
        result: Result<String, ServiceError>,
    ) -> AppResult<Response> {
        let Page { state, session, layout } = self.page;
        let (cashier, IdPath(id)) = (self.cashier, self.id);
        match result {
            Ok(done) => {
                if !done.is_empty() {
                    flash(&session, FlashKind::Success, done).await?;
                }
                Ok(Redirect::to(&format!("/billing/invoices/{id}")).into_response())
            }
            Err(ServiceError::Invalid(errors)) => Ok(invalid(
                render_invoice(&state, layout, &cashier, id, sent.0, sent.1, errors).await?,
            )),
            Err(err @ (ServiceError::Stale | ServiceError::Conflict(_))) => {
                changed_meanwhile(&state, layout, &cashier, id, sent, err).await
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The answer to a payment or a refund: its receipt, with `said` said, or the invoice page again with the
    /// form's messages.
    async fn answer_with_receipt(
        self,
        sent: (InvoiceForms, &'static str),
        done: Result<(i64, &'static str), ServiceError>,
    ) -> AppResult<Response> {
        let (payment, said) = match done {
            Ok(done) => done,
            Err(err) => return self.answer(sent, Err(err)).await,
        };
        let state = &self.page.state;
        // After the cashier closed their day, money counts on their next open day: say so.
        let counted = service::receipt(&state.db, payment, None).await?.day;
        let said = match counted.0 <= state.today().0 {
            true => said.to_owned(),
            false => format!(
                "{said} You have closed today's cash, so it counts in the takings of {}.",
                filters::long_day_of(&counted)
            ),
        };
        flash(&self.page.session, FlashKind::Success, said).await?;
        Ok(Redirect::to(&format!("/billing/payments/{payment}/receipt")).into_response())
    }
}

/// A form refused because the invoice changed since it was shown (or can't take it now): the invoice again as it
/// is now, with what happened and the current balance above it, and fresh forms (nothing typed is carried over,
/// so an amount meant for the old balance isn't sent again by mistake); 409.
async fn changed_meanwhile(
    state: &AppState,
    layout: Layout,
    cashier: &StaffUser,
    id: i64,
    (form, failed): (InvoiceForms, &'static str),
    err: ServiceError,
) -> AppResult<Response> {
    let currency = layout.currency.clone();
    let fresh = InvoiceForms {
        item: form.item,
        description: form.description,
        unit_price: form.unit_price,
        quantity: form.quantity,
        ..InvoiceForms::default()
    };
    let mut page = render_invoice(state, layout, cashier, id, fresh, "", FieldErrors::default()).await?;
    let balance = currency.format(page.detail.balance());
    let what = match err {
        ServiceError::Conflict(message) => message,
        _ => {
            let form = match failed {
                "pay" => "payment",
                "refund" => "refund",
                "credit" => "credit note",
                _ => "change",
            };
            format!(
                "Nothing was done: this {form} form was shown before the invoice last changed (a payment, a \
                 refund or a credit note since, here or at another desk)."
            )
        }
    };
    page.notice = Some(match page.detail.invoice.number.is_some() {
        true => format!("{what} The balance is now {balance}."),
        false => what,
    });
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// Starts a manual invoice for the patient chosen.
pub async fn create_draft(
    cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    Form(form): Form<NewInvoiceForm>,
) -> AppResult<Response> {
    let patient = parse_id(&form.patient_id).ok_or(AppError::BadRequest("Choose a patient.".into()))?;
    let actor = cashier.actor_with_form(&form.form_id)?;
    let id = service::create_draft(&state.db, &actor, patient, When::now(state.today())).await?;
    Ok(Redirect::to(&format!("/billing/invoices/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct NewInvoiceForm {
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    form_id: String,
}

/// The line the form asks for: a catalogue entry (`fee:3`, `lab_test:2`, `procedure:1`) priced for the
/// patient's category, or (`other`) a description and a price typed in.
async fn line_of(state: &AppState, form: &InvoiceForms, id: i64, digits: u32) -> Result<LineInput, ServiceError> {
    let mut errors = FieldErrors::default();
    let quantity = errors.check("quantity", parse_quantity(&form.quantity));
    let item = form.item.trim();
    if item == "other" {
        let description = errors.check(
            "description",
            one_line(
                &form.description,
                "The description",
                sickbay_core::billing::model::DESCRIPTION_MAX,
                true,
            ),
        );
        let price = errors.check(
            "unit_price",
            sickbay_core::procedures::model::parse_price(&form.unit_price, digits),
        );
        return match (quantity, description, price) {
            (Some(quantity), Some(description), Some(unit_price)) if errors.is_empty() => Ok(LineInput {
                kind: LineKind::Other,
                item_id: None,
                description,
                quantity,
                unit_price,
            }),
            _ => Err(ServiceError::Invalid(errors)),
        };
    }
    let chosen = item.split_once(':').and_then(|(kind, item_id)| {
        let kind = match kind {
            "fee" => LineKind::Service,
            "lab_test" => LineKind::LabTest,
            "procedure" => LineKind::Procedure,
            _ => return None,
        };
        Some((kind, parse_id(item_id)?))
    });
    let Some((kind, item_id)) = chosen else {
        errors.add("item", "Choose a service from the list, or \"Other\" to type one.");
        return Err(ServiceError::Invalid(errors));
    };
    let quantity = quantity.ok_or(ServiceError::Invalid(errors))?;
    let invoice = service::invoice(&state.db, id).await?.invoice;
    service::catalogue_line(&state.db, kind, item_id, quantity, invoice.category).await
}

pub async fn add_line(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let (tax, now) = (desk.tax(), desk.now());
    let input = line_of(&desk.page.state, &form, desk.id.0, desk.digits()).await;
    let result = desk
        .run(&form, input, async |db, actor, id, line| {
            service::add_line(db, actor, id, &line, tax, now)
                .await
                .map(|()| format!("{} added.", line.description))
        })
        .await?;
    desk.answer((form, "line"), result).await
}

pub async fn remove_line(
    cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    Path((id, line)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (tax, now) = (state.settings.get().billing.tax_bp, When::now(state.today()));
    service::remove_line(&state.db, &cashier.actor, id, line, tax, now).await?;
    flash(&session, FlashKind::Success, "Line removed.").await?;
    Ok(Redirect::to(&format!("/billing/invoices/{id}")).into_response())
}

pub async fn issue(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let (tax, now) = (desk.tax(), desk.now());
    let input = form.discount.discount(&desk.cashier, desk.digits());
    let result = desk
        .run(&form, input, async |db, actor, id, (discount, reason)| {
            service::issue(db, actor, id, (discount, &reason), tax, now).await
        })
        .await?
        .map(|number| format!("Invoice {number} issued."));
    desk.answer((form, "issue"), result).await
}

fn method_of(text: &str) -> Result<PaymentMethod, ServiceError> {
    text.trim()
        .parse::<PaymentMethod>()
        .map_err(|_| ServiceError::field("method", "Choose how the patient pays: cash, card or bank transfer."))
}

/// Takes a payment and opens its receipt; a replayed form opens the first payment's receipt.
pub async fn pay(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let (input, now) = (form.payment(desk.digits()), desk.now());
    let result = desk
        .run(&form, input, async |db, actor, id, input| {
            service::pay(db, actor, id, &input, now).await
        })
        .await?;
    let done = result.map(|payment| (payment, "Payment taken."));
    desk.answer_with_receipt((form, "pay"), done).await
}

pub async fn refund(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let (input, now) = (form.refund(desk.digits()), desk.now());
    let result = desk
        .run(&form, input, async |db, actor, id, input| {
            service::refund(db, actor, id, &input, now).await
        })
        .await?;
    let done = result.map(|payment| (payment, "Refund given."));
    desk.answer_with_receipt((form, "refund"), done).await
}

pub async fn credit(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let (input, now) = (form.credit(desk.digits()), desk.now());
    let result = desk
        .run(&form, input, async |db, actor, id, (amount, reason, seen)| {
            service::credit(db, actor, id, (amount, &reason), seen, now).await
        })
        .await?
        .map(|number| format!("Credit note {number} given."));
    desk.answer((form, "credit"), result).await
}

pub async fn void(desk: InvoiceDesk, Form(form): Form<InvoiceForms>) -> AppResult<Response> {
    let result = match parse_reason(&form.reason, "the invoice is void") {
        Ok(reason) => service::void(&desk.page.state.db, &desk.cashier.actor, desk.id.0, &reason)
            .await
            .map(|()| "Invoice void.".to_owned()),
        Err(message) => Err(ServiceError::field("reason", message)),
    };
    desk.answer((form, "void"), result).await
}

/// What discarding a draft asks first.
fn discard_confirmation(invoice: &sickbay_core::billing::repo::Invoice) -> Confirmation {
    Confirmation {
        action: format!("/billing/invoices/{}/discard", invoice.id),
        question: format!("Discard {}?", invoice.label()),
        detail: "The draft and its lines are deleted. It was never issued, so no number is used and the patient \
                 never sees it."
            .into(),
        button: format!("Discard {}", invoice.label()),
    }
}

/// The confirmation page of discarding a draft, for browsers without JavaScript.
pub async fn discard_page(
    _cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let detail = service::invoice(&state.db, id).await?;
    if !detail.invoice.can(InvoiceAction::Discard) {
        return Ok(Redirect::to(&format!("/billing/invoices/{id}")).into_response());
    }
    let confirmation = discard_confirmation(&detail.invoice);
    Ok(ConfirmPage::new(layout, confirmation, format!("/billing/invoices/{id}")).into_response())
}

/// Throws a draft away; back to the patient's record, where drafts are started.
pub async fn discard(
    cashier: Staff<FrontDesk>,
    State(state): State<AppState>,
    session: Session,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let patient = service::discard(&state.db, &cashier.actor, id).await?;
    flash(&session, FlashKind::Success, "Draft discarded: nothing was issued.").await?;
    Ok(Redirect::to(&format!("/patients/{patient}")).into_response())
}

// ---- receipts and statements ---------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "billing/receipt.html")]
pub struct ReceiptPage {
    layout: Layout,
    payment: Payment,
    /// What is still owed on the invoice now.
    balance: sickbay_core::db::Money,
    address: String,
    back: String,
}

pub async fn receipt(
    _cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    IdPath(id): IdPath,
) -> AppResult<ReceiptPage> {
    receipt_page(&state, layout, id, None).await
}

/// The receipt of a payment or refund; for a patient only their own.
pub async fn receipt_page(state: &AppState, layout: Layout, id: i64, patient: Option<i64>) -> AppResult<ReceiptPage> {
    let payment = service::receipt(&state.db, id, patient).await?;
    let balance = service::balance_of(&state.db, payment.invoice_id).await?;
    let back = match patient {
        Some(_) => format!("/me/invoices/{}", payment.invoice_id),
        None => format!("/billing/invoices/{}", payment.invoice_id),
    };
    Ok(ReceiptPage {
        layout,
        payment,
        balance,
        address: state.settings.get().clinic.address.clone(),
        back,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/statement.html")]
pub struct StatementPage {
    layout: Layout,
    detail: InvoiceDetail,
    address: String,
    back: String,
}

pub async fn statement(
    _cashier: Staff<FrontDesk>,
    Page { state, layout, .. }: Page,
    IdPath(id): IdPath,
) -> AppResult<StatementPage> {
    Ok(StatementPage {
        layout,
        detail: service::invoice(&state.db, id).await?,
        address: state.settings.get().clinic.address.clone(),
        back: format!("/billing/invoices/{id}"),
    })
}
