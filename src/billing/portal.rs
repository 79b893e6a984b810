//! The patient's invoices on their phone: what they owe, each invoice with its lines and payments, and their
//! receipts. Only their own, and never a draft.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::handlers::{ReceiptPage, receipt_page};
use crate::state::AppState;
use crate::web::extract::PortalUser;
use crate::web::filters;
use crate::web::layout::Layout;
use crate::web::layout::Page;
use crate::web::{AppResult, IdPath};
use sickbay_core::billing::repo::{Listed, Payment};
use sickbay_core::billing::service::{self, InvoiceDetail};
use sickbay_core::db::Money;

/// How many invoices and receipts the list shows.
const SHOWN: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "billing/my_invoices.html")]
pub struct MyInvoicesPage {
    layout: Layout,
    invoices: Vec<Listed>,
    owed: Money,
    receipts: Vec<Payment>,
}

pub async fn invoices(me: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<MyInvoicesPage> {
    let (mut invoices, owed) = service::of_patient(&state.db, me.id, SHOWN).await?;
    // What is still to pay first, each part newest first as read.
    invoices.sort_by_key(|invoice| invoice.balance().0 == 0);
    Ok(MyInvoicesPage {
        layout,
        invoices,
        owed,
        receipts: service::receipts_of_patient(&state.db, me.id, SHOWN).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "billing/my_invoice.html")]
pub struct MyInvoicePage {
    layout: Layout,
    detail: InvoiceDetail,
}

pub async fn invoice(me: PortalUser, Page { state, layout, .. }: Page, IdPath(id): IdPath) -> AppResult<MyInvoicePage> {
    Ok(MyInvoicePage {
        layout,
        detail: service::own_invoice(&state.db, me.id, id).await?,
    })
}

pub async fn receipt(me: PortalUser, Page { state, layout, .. }: Page, IdPath(id): IdPath) -> AppResult<ReceiptPage> {
    receipt_page(&state, layout, id, Some(me.id)).await
}
