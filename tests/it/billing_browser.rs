//! Billing in headless Chromium: reception bills a completed visit in two clicks, takes a cash payment with
//! change, and prints the receipt (its print view at 80 mm); the student then reads the paid invoice on a phone.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::prescriptions::{PATIENTS, form_id, item, set_up};
use crate::prescriptions_browser::wait_for;
use crate::support::{FormFields, PASSWORD, STUDENT_PASSWORD, TestApp, on_both_databases};

on_both_databases!(
    reception_bills_a_visit_takes_cash_and_prints_the_receipt,
    the_admin_prices_services_and_the_cashier_closes_the_day,
    going_back_after_a_payment_offers_the_balance_now_and_a_stale_form_is_refused,
);

/// Whether the receipt's header lies within the receipt (and the window): Pico's article header has negative side
/// margins, which in print (no padding) pushed it past both edges of the roll.
const HEADER_INSIDE: &str = "const r = document.querySelector('#receipt').getBoundingClientRect(); \
     const h = document.querySelector('#receipt > header').getBoundingClientRect(); \
     return h.left >= r.left - 0.5 && h.right <= r.right + 0.5 && h.left >= 0 && h.right <= window.innerWidth;";

/// Whether a field's message sits under its input, as wide as it: not squeezed into a column of its own.
const ERROR_UNDER_INPUT: &str = "const a = document.querySelector('#amount').getBoundingClientRect(); \
     const e = document.querySelector('#amount-error').getBoundingClientRect(); \
     return Math.abs(a.left - e.left) < 2 && e.top >= a.bottom - 1 && e.width >= a.width - 2;";

/// Turns the page's print rules on for the screen, so a screenshot shows what the printer gets.
const PRINT_VIEW: &str = "for (const sheet of document.styleSheets) { for (const rule of sheet.cssRules) { \
     if (rule instanceof CSSMediaRule && rule.media.mediaText.includes('print')) { rule.media.mediaText = 'all'; } } } \
     window.scrollTo(0, 0); return true;";

/// A completed visit of the first student: the consultation (2,000.00 from the fee schedule) and 18 tablets
/// of paracetamol at 50.00.
async fn completed_visit(app: &TestApp) -> i64 {
    let rx = set_up(app).await;
    let admin = app.admin().await;
    let fees = admin.get("/admin/fees").await;
    let mut consultation = FormFields::of(&fees, "#fees tbody tr");
    consultation.set("price", "2000");
    let action = fees
        .attr("#fees tbody form", "action")
        .expect("the consultation's form");
    admin
        .post(&action, &consultation.fields())
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let once = form_id(&rx.doctor, rx.visit).await;
    let paracetamol = rx.paracetamol.to_string();
    let mut fields = item(&paracetamol, "2 tablets", "oral", "tds", "3", "18");
    fields.push(("form_id", &once));
    rx.doctor
        .post(&format!("/visits/{}/prescription/items", rx.visit), &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    rx.doctor
        .post(&format!("/visits/{}/complete", rx.visit), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    rx.visit
}

async fn reception_bills_a_visit_takes_cash_and_prints_the_receipt(app: TestApp) {
    let visit = completed_visit(&app).await;
    app.create_staff("cashier.ngozi", Role::Reception, false).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();

    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-billing")).await else {
        return;
    };
    desk.log_in(&app, "cashier.ngozi", PASSWORD, "/reception").await;
    desk.goto(&app, "/billing").await;
    wait_for(&desk, "#unbilled", |t| t.contains("Chidi"), "the visit to bill").await;
    desk.screenshot("80-billing-home").await;
    // Click one: the visit's bill.
    desk.click(&format!("#unbilled a[href='/billing/visits/{visit}']"))
        .await;
    wait_for(
        &desk,
        "#bill-lines",
        |t| t.contains("Consultation") && t.contains("Paracetamol"),
        "the bill",
    )
    .await;
    assert!(desk.text("#total").await.contains("2,900.00"));
    // Click two: issued.
    desk.click("#issue-invoice").await;
    wait_for(&desk, "#invoice-status", |t| t == "Owed", "the issued invoice").await;
    let number = desk.text("h1").await;
    assert!(number.contains("INV-"), "{number}");
    desk.screenshot("81-billing-invoice").await;

    desk.fill("#tendered", "3000").await;
    wait_for(
        &desk,
        ".pay-change",
        |t| t.contains("100.00"),
        "the change, as it is typed",
    )
    .await;
    desk.click("#take-payment").await;
    wait_for(&desk, "#receipt-change", |t| t.contains("100.00"), "the change due").await;
    assert!(desk.text("#receipt-amount").await.contains("2,900.00"));
    assert!(desk.text("#receipt-balance").await.contains("0.00"));
    assert_eq!(
        desk.page_size().await.as_deref(),
        Some("80mm 297mm"),
        "the receipt prints on 80 mm"
    );
    desk.screenshot("82-billing-receipt").await;
    desk.close().await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice WHERE visit_id = {visit} AND status = 'paid'"
        ))
        .await,
        1
    );

    // The print view at 80 mm (about 302 CSS pixels): the receipt alone, black on white.
    let Some(printer) = Browser::start(302, 700, &format!("{backend}-billing-80mm")).await else {
        return;
    };
    printer.log_in(&app, "cashier.ngozi", PASSWORD, "/reception").await;
    let receipt = app.count("SELECT MAX(id) FROM payment").await;
    printer
        .goto(&app, &format!("/billing/payments/{receipt}/receipt"))
        .await;
    wait_for(&printer, "#receipt", |t| t.contains("RECEIPT RCT-"), "the receipt").await;
    printer.client.execute(PRINT_VIEW, vec![]).await.expect("print view");
    assert!(printer.fits_width().await, "the receipt fits 80 mm");
    let inside = printer.client.execute(HEADER_INSIDE, vec![]).await.expect("header");
    assert_eq!(inside.as_bool(), Some(true), "the receipt's header stays within 80 mm");
    printer.screenshot("83-billing-receipt-print-80mm").await;
    printer.close().await;

    // The student reads the paid invoice on the phone.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-billing-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.goto(&app, "/me/invoices").await;
    wait_for(&phone, "#owed", |t| t.contains("You owe nothing"), "what is owed").await;
    phone.click("#my-invoices a").await;
    wait_for(&phone, "#balance", |t| t.contains("0.00"), "the paid invoice").await;
    assert!(phone.fits_width().await, "the invoice fits a phone");
    phone.screenshot("84-billing-phone-invoice").await;
    phone.close().await;
}

/// The admin sets a price for students on the fee schedule and adds a scheme; after a payment the cashier closes
/// the day with the cash counted, and the day's page shows the difference; the claims page lists the scheme's month.
async fn the_admin_prices_services_and_the_cashier_closes_the_day(app: TestApp) {
    let visit = completed_visit(&app).await;
    app.create_staff("cashier.femi", Role::Reception, false).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-billing-admin")).await else {
        return;
    };
    desk.log_in(&app, "admin", crate::support::ADMIN_PASSWORD, "/admin")
        .await;
    desk.goto(&app, "/admin/fees").await;
    wait_for(&desk, "#fees", |t| t.contains("Always"), "the fee schedule").await;
    desk.fill("#fees input[name=price_student]", "500").await;
    desk.click("#fees button[type=submit]").await;
    wait_for(&desk, "#messages", |t| t.contains("saved"), "the saved price").await;
    desk.screenshot("85-billing-fees").await;
    desk.goto(&app, "/admin/schemes").await;
    desk.fill("#name", "Student Health Insurance").await;
    desk.fill("#percent", "80").await;
    desk.click("#covers_consultation").await;
    desk.click("#covers_drugs").await;
    desk.click("form[action='/admin/schemes'] button[type=submit]").await;
    wait_for(
        &desk,
        "#schemes",
        |t| t.contains("consultation and drugs"),
        "the scheme",
    )
    .await;
    desk.screenshot("86-billing-schemes").await;
    desk.close().await;

    let Some(cashier) = Browser::start(1366, 900, &format!("{backend}-billing-day")).await else {
        return;
    };
    cashier.log_in(&app, "cashier.femi", PASSWORD, "/reception").await;
    cashier.goto(&app, &format!("/billing/visits/{visit}")).await;
    // Students pay 500.00 for the consultation now, and 900.00 for the tablets.
    wait_for(&cashier, "#total", |t| t.contains("1,400.00"), "the student's price").await;
    cashier.click("#issue-invoice").await;
    wait_for(&cashier, "#invoice-status", |t| t == "Owed", "the invoice").await;
    cashier.click("#take-payment").await;
    wait_for(&cashier, "#receipt", |t| t.contains("RECEIPT"), "the receipt").await;
    cashier.goto(&app, "/billing/day").await;
    wait_for(&cashier, "#my-cash", |t| t.contains("1,400.00"), "the cash expected").await;
    cashier.fill("#counted", "1350").await;
    cashier.click("#close-day").await;
    // Short, with no reason: the page asks for one beside the note and keeps the count.
    wait_for(
        &cashier,
        "#note-error",
        |t| t.starts_with("The cash is short by NGN 50.00."),
        "the reason asked for",
    )
    .await;
    assert_eq!(value_of(&cashier, "#counted").await, "1350");
    cashier.fill("#note", "Change given twice").await;
    cashier.click("#close-day").await;
    wait_for(
        &cashier,
        "#my-close",
        |t| (t.contains("-50.00") || t.contains("−50.00")) && t.contains("Change given twice"),
        "the shortfall",
    )
    .await;
    assert!(cashier.text("#day-net").await.contains("1,400.00"));
    cashier.screenshot("87-billing-day").await;
    cashier.goto(&app, "/billing/claims").await;
    cashier.screenshot("88-billing-claims").await;
    cashier.close().await;
}

/// The value of an input, as the browser holds it.
async fn value_of(browser: &Browser, css: &str) -> String {
    let value = browser
        .client
        .execute(&format!("return document.querySelector('{css}').value;"), vec![])
        .await
        .expect("value");
    value.as_str().unwrap_or_default().to_owned()
}

/// The cashier's payment form: too much is refused with the message under the amount (not squeezed beside it);
/// a part payment, then the browser's Back, shows the balance now (not the amount typed before), so "Take
/// payment" again can't repeat it by mistake; a form left open at another desk from before the payment is refused
/// with the balance now. The student's phone lists the receipt in words.
async fn going_back_after_a_payment_offers_the_balance_now_and_a_stale_form_is_refused(app: TestApp) {
    let visit = completed_visit(&app).await;
    app.create_staff("cashier.ngozi", Role::Reception, false).await;
    app.create_staff("cashier.tayo", Role::Reception, false).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(desk) = Browser::start(1366, 900, &format!("{backend}-billing-back")).await else {
        return;
    };
    desk.log_in(&app, "cashier.ngozi", PASSWORD, "/reception").await;
    desk.goto(&app, &format!("/billing/visits/{visit}")).await;
    desk.click("#issue-invoice").await;
    wait_for(&desk, "#invoice-status", |t| t == "Owed", "the issued invoice").await;
    let invoice = desk.path().await;

    // Another desk opens the same invoice now.
    let Some(other) = Browser::start(1366, 900, &format!("{backend}-billing-other-desk")).await else {
        return;
    };
    other.log_in(&app, "cashier.tayo", PASSWORD, "/reception").await;
    other.goto(&app, &invoice).await;
    wait_for(&other, "#balance", |t| t.contains("2,900.00"), "the balance").await;

    // A part payment, then Back: the form offers the balance now.
    desk.fill("#amount", "1000").await;
    desk.click("#take-payment").await;
    wait_for(&desk, "#receipt-amount", |t| t.contains("1,000.00"), "the receipt").await;
    desk.client.back().await.expect("back");
    wait_for(&desk, "#balance", |t| t.contains("1,900.00"), "the invoice again").await;
    assert_eq!(
        value_of(&desk, "#amount").await,
        "1,900.00",
        "the balance now, not the amount typed"
    );
    desk.screenshot("90-billing-back-after-payment").await;

    // Too much: the message under the amount.
    desk.fill("#amount", "5000").await;
    desk.click("#take-payment").await;
    wait_for(
        &desk,
        "#amount-error",
        |t| t.contains("more than is still owed"),
        "the message",
    )
    .await;
    let under = desk.client.execute(ERROR_UNDER_INPUT, vec![]).await.expect("layout");
    assert_eq!(under.as_bool(), Some(true), "the message sits under the amount");
    desk.screenshot("91-billing-payment-error").await;
    desk.close().await;

    // The other desk's form, shown before the payment, is refused with the balance now; nothing is taken.
    other.fill("#amount", "1000").await;
    other.click("#take-payment").await;
    wait_for(
        &other,
        "#invoice-changed",
        |t| t.contains("Nothing was done") && t.contains("1,900.00"),
        "the refusal",
    )
    .await;
    assert_eq!(value_of(&other, "#amount").await, "1,900.00");
    other.screenshot("92-billing-stale-form").await;
    other.close().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 1);

    let Some(phone) = Browser::start(360, 740, &format!("{backend}-billing-receipts-phone")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.goto(&app, "/me/invoices").await;
    wait_for(
        &phone,
        "#my-receipts",
        |t| t.contains("Receipt for your payment of") && t.contains("1,000.00"),
        "the receipt in words",
    )
    .await;
    assert!(phone.fits_width().await, "the list fits a phone");
    phone.screenshot("93-billing-phone-receipts").await;
    phone.close().await;
}
