//! Billing: the fee schedule with prices by patient category, invoices from a completed visit (once, even under
//! ten clicks at once) and by hand, the server's own arithmetic (discount, tax, rounding, the scheme's share),
//! gap-free numbers, payments with receipts and change, refunds, credit notes and voids, the schemes' claims,
//! the cashier's day and its close, and each patient's own invoices on their phone.

use reqwest::StatusCode;
use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::lab::add_test;
use crate::lab::order;
use crate::pharmacy::{add_batch, add_drug};
use crate::prescriptions::item;
use crate::procedures::add_procedure;
use crate::support::{Client, FormFields, Page, Students, TestApp, doctor, new_visit, on_both_databases, visitor};

on_both_databases!(
    only_cashiers_bill_and_only_admins_keep_the_fee_schedule,
    the_fee_schedule_prices_each_category_of_patient,
    a_completed_visit_is_billed_for_everything_done_in_it,
    ten_clicks_at_once_bill_a_visit_once,
    fifty_invoices_issued_at_once_get_fifty_consecutive_numbers,
    manual_lines_are_checked_and_their_totals_are_the_servers,
    discounts_and_tax_are_rounded_half_up_once,
    payments_move_the_invoice_to_paid_and_give_receipts_with_change,
    refunds_credit_notes_and_voids_keep_the_books_straight,
    cashiers_paying_at_once_never_take_more_than_is_owed,
    a_schemes_yearly_limit_caps_what_it_pays,
    a_covered_patients_invoice_is_split_and_claimed_from_the_scheme,
    the_cashiers_day_reconciles_with_the_payments_taken,
    a_patient_sees_only_their_own_issued_invoices_and_receipts,
    a_double_clicked_issue_issues_once_and_no_day_is_closed_ahead,
    the_billing_home_pages_each_status_newest_first,
    invoices_are_found_by_patient_or_number,
    a_void_invoice_owes_nothing_anywhere,
    a_discarded_draft_is_deleted_and_never_reaches_the_patient,
    an_invoice_the_scheme_paid_or_was_sent_is_never_voided,
    money_after_the_close_counts_on_the_next_open_day,
    a_close_racing_payments_stays_true,
    every_amount_field_keeps_to_one_limit,
    a_stale_payment_form_is_refused_with_the_balance_now,
    two_submits_of_one_stale_form_at_once_take_one_payment,
    a_visit_that_comes_to_nothing_makes_no_invoice,
    a_patients_receipts_say_what_each_is,
);

const PATIENTS: Students = Students::new("BL", "Billing");

// == Helpers ==

/// A one-time form id of the shape Sickbay mints (for forms no page shows yet, such as "New invoice").
fn once() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// This year, as the documents' numbers carry it.
fn year(app: &TestApp) -> String {
    app.state.today().to_string()[..4].to_owned()
}

fn number(app: &TestApp, prefix: &str, n: i64) -> String {
    format!("{prefix}-{}-{n:06}", year(app))
}

/// The id at the end of a redirect to `prefix{id}{suffix}`.
#[track_caller]
fn redirected_id(page: &Page, prefix: &str, suffix: &str) -> i64 {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "body:\n{}", page.body);
    let location = page.location().unwrap_or_default();
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a redirect to {prefix}N{suffix}, not {location:?}"))
}

fn invoice_of(page: &Page) -> i64 {
    redirected_id(page, "/billing/invoices/", "")
}

fn receipt_of(page: &Page) -> i64 {
    redirected_id(page, "/billing/payments/", "/receipt")
}

async fn text(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar(sql).fetch_one(app.db().pool()).await.expect(sql)
}

async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(app.db().pool()).await.expect(sql)
}

/// An invoice's stored figures in minor units: [subtotal, discount, tax, total, scheme_share, patient_share].
async fn figures(app: &TestApp, invoice: i64) -> [i64; 6] {
    let row: (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as("SELECT subtotal, discount, tax, total, scheme_share, patient_share FROM invoice WHERE id = $1")
            .bind(invoice)
            .fetch_one(app.db().pool())
            .await
            .expect("invoice figures");
    [row.0, row.1, row.2, row.3, row.4, row.5]
}

/// What was paid and credited on an invoice, and its status.
async fn settled(app: &TestApp, invoice: i64) -> (i64, i64, String) {
    sqlx::query_as("SELECT paid, credited, status FROM invoice WHERE id = $1")
        .bind(invoice)
        .fetch_one(app.db().pool())
        .await
        .expect("invoice state")
}

/// An invoice's lines as stored: (kind, quantity, unit price, total), in order.
async fn lines(app: &TestApp, invoice: i64) -> Vec<(String, i64, i64, i64)> {
    sqlx::query_as("SELECT kind, quantity, unit_price, total FROM invoice_line WHERE invoice_id = $1 ORDER BY id")
        .bind(invoice)
        .fetch_all(app.db().pool())
        .await
        .expect("invoice lines")
}

/// `numerator ÷ denominator`, rounded half-up.
fn half_up(numerator: i64, denominator: i64) -> i64 {
    let (n, d) = (i128::from(numerator), i128::from(denominator));
    i64::try_from((n + d / 2) / d).expect("fits")
}

/// The doctor opens a visit of `patient` and completes it at once; the visit's id.
async fn completed_visit(doctor: &Client, patient: i64) -> i64 {
    let visit = new_visit(doctor, patient).await;
    complete(doctor, visit).await;
    visit
}

async fn complete(doctor: &Client, visit: i64) {
    doctor
        .post(&format!("/visits/{visit}/complete"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// The visit's bill page and the one-time id of its "Issue the invoice" form.
async fn bill_form(cashier: &Client, visit: i64) -> (Page, String) {
    let page = cashier.get(&format!("/billing/visits/{visit}")).await;
    page.assert_status(StatusCode::OK);
    let form_id = page
        .attr(
            &format!("form[action=\"/billing/visits/{visit}\"] input[name=form_id]"),
            "value",
        )
        .unwrap_or_else(|| panic!("the bill's form:\n{}", page.body));
    (page, form_id)
}

/// Bills a completed visit from its bill page (with `extra` fields, e.g. a discount); the answer.
async fn bill_with(cashier: &Client, visit: i64, extra: &[(&str, &str)]) -> Page {
    let (_, form_id) = bill_form(cashier, visit).await;
    let mut fields = extra.to_vec();
    fields.push(("form_id", &form_id));
    cashier.post(&format!("/billing/visits/{visit}"), &fields).await
}

/// Bills a completed visit; the invoice's id.
async fn bill(cashier: &Client, visit: i64) -> i64 {
    invoice_of(&bill_with(cashier, visit, &[]).await)
}

/// Starts a manual invoice (a draft) for `patient`; its id.
async fn draft(cashier: &Client, patient: i64) -> i64 {
    let page = cashier
        .post(
            "/billing/invoices",
            &[("patient_id", &patient.to_string()), ("form_id", &once())],
        )
        .await;
    invoice_of(&page)
}

/// Adds a line to a draft with these fields and a fresh form id.
async fn add_line(cashier: &Client, invoice: i64, fields: &[(&str, &str)]) -> Page {
    let form_id = once();
    let mut all = fields.to_vec();
    all.push(("form_id", &form_id));
    cashier.post(&format!("/billing/invoices/{invoice}/lines"), &all).await
}

/// Adds a typed ("Other") line: `quantity` × `price` (major units).
async fn add_other(cashier: &Client, invoice: i64, description: &str, quantity: &str, price: &str) -> Page {
    add_line(
        cashier,
        invoice,
        &[
            ("item", "other"),
            ("description", description),
            ("quantity", quantity),
            ("unit_price", price),
        ],
    )
    .await
}

async fn issue(cashier: &Client, invoice: i64, fields: &[(&str, &str)]) -> Page {
    cashier
        .post(&format!("/billing/invoices/{invoice}/issue"), fields)
        .await
}

/// A manual invoice of one typed line of `price` (major units), issued; its id.
async fn issued(cashier: &Client, patient: i64, price: &str) -> i64 {
    let invoice = draft(cashier, patient).await;
    add_other(cashier, invoice, "Medical report", "1", price)
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    issue(cashier, invoice, &[])
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    invoice
}

/// The invoice page's payment form as it stands (its one-time id, the balance as the amount, cash chosen).
async fn pay_form(cashier: &Client, invoice: i64) -> FormFields {
    let page = cashier.get(&format!("/billing/invoices/{invoice}")).await;
    page.assert_status(StatusCode::OK);
    FormFields::of(&page, "#pay form")
}

/// Takes a payment through the invoice page's form: `method`, `amount` and (cash) `tendered`; the answer.
async fn pay(cashier: &Client, invoice: i64, method: &str, amount: &str, tendered: &str) -> Page {
    let mut form = pay_form(cashier, invoice).await;
    form.set("method", method)
        .set("amount", amount)
        .set("tendered", tendered);
    cashier
        .post(&format!("/billing/invoices/{invoice}/payments"), &form.fields())
        .await
}

/// The invoice's version as its page shows it (the `seen` of its money forms), or none when no money form is on
/// the page.
fn seen_of(page: &Page) -> String {
    page.attr("input[name=seen]", "value").unwrap_or_default()
}

/// Gives a refund through the invoice page's refund form (its one-time id and the invoice as shown).
async fn refund(cashier: &Client, invoice: i64, method: &str, amount: &str, reason: &str, credit: bool) -> Page {
    let page = cashier.get(&format!("/billing/invoices/{invoice}")).await;
    let form_id = page
        .attr("form[action$='/refunds'] input[name=form_id]", "value")
        .unwrap_or_else(once);
    let seen = seen_of(&page);
    let mut fields = vec![
        ("method", method),
        ("amount", amount),
        ("reason", reason),
        ("form_id", form_id.as_str()),
        ("seen", seen.as_str()),
    ];
    if credit {
        fields.push(("credit", "1"));
    }
    cashier
        .post(&format!("/billing/invoices/{invoice}/refunds"), &fields)
        .await
}

/// Gives a credit note of `amount` through the invoice page's credit form.
async fn credit(cashier: &Client, invoice: i64, amount: &str, reason: &str) -> Page {
    let page = cashier.get(&format!("/billing/invoices/{invoice}")).await;
    let seen = seen_of(&page);
    let fields = [
        ("amount", amount),
        ("reason", reason),
        ("form_id", &once()),
        ("seen", seen.as_str()),
    ];
    cashier
        .post(&format!("/billing/invoices/{invoice}/credit"), &fields)
        .await
}

/// The fee schedule's form of fee `id` as a browser sends it: the inputs inside the form and those tied to it
/// by their `form` attribute (a row of the table), unticked boxes left out, each name once.
async fn fee_form(admin: &Client, id: i64) -> FormFields {
    let page = admin.get("/admin/fees").await;
    page.assert_status(StatusCode::OK);
    let form = format!("form[action=\"/admin/fees/{id}\"]");
    assert!(page.has(&form), "no {form}:\n{}", page.body);
    let mut selector = format!("{form} input");
    if let Some(form_id) = page.attr(&form, "id") {
        selector.push_str(&format!(", input[form=\"{form_id}\"]"));
    }
    let html = page.html();
    let inputs = scraper::Selector::parse(&selector).expect("selector");
    let mut fields: Vec<(String, String)> = Vec::new();
    for input in html.select(&inputs) {
        let element = input.value();
        let (Some(name), kind) = (element.attr("name"), element.attr("type").unwrap_or("text")) else {
            continue;
        };
        let unticked = matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none();
        let skipped = name == "csrf_token" || unticked || element.attr("disabled").is_some();
        if !skipped && !fields.iter().any(|(n, _)| n == name) {
            fields.push((name.to_owned(), element.attr("value").unwrap_or_default().to_owned()));
        }
    }
    FormFields(fields)
}

async fn consultation_fee(app: &TestApp) -> i64 {
    app.count("SELECT id FROM fee WHERE kind = 'consultation'").await
}

/// Sets the consultation fee's default price and its prices by category (blank: the default).
async fn price_consultation(app: &TestApp, admin: &Client, prices: &[(&str, &str)]) -> Page {
    let id = consultation_fee(app).await;
    let mut form = fee_form(admin, id).await;
    for (name, value) in prices {
        form.set(name, *value);
    }
    admin.post(&format!("/admin/fees/{id}"), &form.fields()).await
}

async fn lab_test_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM lab_test WHERE name = $1")
        .bind(name)
        .fetch_one(app.db().pool())
        .await
        .expect("lab test")
}

/// Adds a lab test of `price` (major units) to the catalogue; its id.
async fn lab_test(app: &TestApp, admin: &Client, name: &str, price: &str) -> i64 {
    add_test(admin, &[("name", name), ("price", price)])
        .await
        .assert_redirect("/admin/lab-tests");
    lab_test_id(app, name).await
}

/// The doctor prescribes `quantity` of `drug` at `dose` (in the drug's own unit: "1 capsule", "2 puffs") in the
/// open visit through the consultation's form.
async fn prescribe(doctor: &Client, visit: i64, (drug, dose): (i64, &str), quantity: i64) {
    let (drug, quantity) = (drug.to_string(), quantity.to_string());
    let form_id = crate::prescriptions::form_id(doctor, visit).await;
    let mut fields = item(&drug, dose, "oral", "bd", "5", &quantity);
    fields.push(("form_id", &form_id));
    doctor
        .post(&format!("/visits/{visit}/prescription/items"), &fields)
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// A clinic with an admin, a reception cashier and a doctor.
struct Desk {
    admin: Client,
    cashier: Client,
    doctor: Client,
}

async fn desk(app: &TestApp) -> Desk {
    Desk {
        admin: app.admin().await,
        cashier: app.login_as("desk.bisi", Role::Reception).await,
        doctor: doctor(app, "dr.billing").await.1,
    }
}

// == Who may bill ==

async fn only_cashiers_bill_and_only_admins_keep_the_fee_schedule(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Ada"]).await[0];
    let visit = completed_visit(&d.doctor, patient).await;
    let invoice = issued(&d.cashier, patient, "1000").await;
    let pharmacist = app.login_as("pharm.billing", Role::Pharmacist).await;
    let lab = app.login_as("lab.billing", Role::Lab).await;

    for (who, client) in [("doctor", &d.doctor), ("pharmacist", &pharmacist), ("lab", &lab)] {
        for path in [
            "/billing".to_owned(),
            "/billing/day".to_owned(),
            "/billing/claims".to_owned(),
            format!("/billing/visits/{visit}"),
            format!("/billing/invoices/{invoice}"),
        ] {
            let page = client.get(&path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} GET {path}");
        }
        let page = client
            .post(
                &format!("/billing/invoices/{invoice}/payments"),
                &[("method", "cash"), ("amount", "1000"), ("form_id", &once())],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} takes a payment");
        let page = client
            .post(&format!("/billing/visits/{visit}"), &[("form_id", &once())])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} bills a visit");
        let page = client
            .post(&format!("/patients/{patient}/scheme"), &[("scheme_id", "")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} sets a scheme");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 0);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM invoice WHERE visit_id = {visit}"))
            .await,
        0
    );

    // Reception bills and takes money, but the fee schedule and the schemes are the admin's.
    for path in ["/billing", "/billing/day", "/billing/claims"] {
        d.cashier.get(path).await.assert_status(StatusCode::OK);
        d.admin.get(path).await.assert_status(StatusCode::OK);
    }
    for path in ["/admin/fees", "/admin/schemes"] {
        d.cashier.get(path).await.assert_status(StatusCode::FORBIDDEN);
        d.admin.get(path).await.assert_status(StatusCode::OK);
    }
    d.cashier
        .post(
            "/admin/fees",
            &[("name", "Sneaky"), ("price", "1"), ("form_id", &once())],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let fee = consultation_fee(&app).await;
    d.cashier
        .post(
            &format!("/admin/fees/{fee}"),
            &[("name", "Consultation"), ("price", "1")],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    d.cashier
        .post(
            "/admin/schemes",
            &[
                ("name", "Sneaky"),
                ("percent", "50"),
                ("covers_lab", "1"),
                ("form_id", &once()),
            ],
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM fee").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM scheme").await, 0);

    // A patient is no cashier either.
    let student = PATIENTS.client(&app, 0).await;
    for path in ["/billing", "/admin/fees"] {
        assert_ne!(student.get(path).await.status, StatusCode::OK, "a patient on {path}");
    }
}

// == The fee schedule ==

async fn the_fee_schedule_prices_each_category_of_patient(app: TestApp) {
    let d = desk(&app).await;
    let fee = consultation_fee(&app).await;
    let page = d.admin.get("/admin/fees").await;
    page.assert_status(StatusCode::OK);
    let form = fee_form(&d.admin, fee).await;
    assert_eq!(form.value("name"), "Consultation");
    assert_eq!(form.value("price"), "0.00", "the migration's consultation fee is free");

    // A student pays 1500, staff nothing, a visitor the default 2000.
    let stale = fee_form(&d.admin, fee).await;
    price_consultation(
        &app,
        &d.admin,
        &[
            ("price", "2000.00"),
            ("price_student", "1500"),
            ("price_staff", "0"),
            ("price_dependant", ""),
            ("price_visitor", ""),
        ],
    )
    .await
    .assert_redirect("/admin/fees");
    assert_eq!(
        app.count(&format!("SELECT price FROM fee WHERE id = {fee}")).await,
        200_000
    );
    let by_category = |category: &str| {
        format!(
            "SELECT price FROM category_price WHERE item_kind = 'fee' AND item_id = {fee} AND category = '{category}'"
        )
    };
    assert_eq!(app.count(&by_category("student")).await, 150_000);
    assert_eq!(app.count(&by_category("staff")).await, 0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM category_price WHERE item_kind = 'fee' AND item_id = {fee}"
        ))
        .await,
        2,
        "blank is the default price, not a row"
    );
    let form = fee_form(&d.admin, fee).await;
    assert_eq!(form.value("price_student"), "1500.00");
    assert_eq!(form.value("price_staff"), "0.00");
    assert_eq!(form.value("price_visitor"), "");

    // A form loaded before that change is stale; bad prices are refused with a message.
    let mut old = stale.clone();
    old.set("price", "1.00");
    d.admin
        .post(&format!("/admin/fees/{fee}"), &old.fields())
        .await
        .assert_status(StatusCode::CONFLICT);
    for (field, bad) in [
        ("price", "abc"),
        ("price", "-5"),
        ("price_student", "-1"),
        ("price_visitor", "x"),
    ] {
        let mut form = fee_form(&d.admin, fee).await;
        form.set(field, bad);
        let page = d.admin.post(&format!("/admin/fees/{fee}"), &form.fields()).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has(".field-error"), "{field}={bad}:\n{}", page.body);
    }
    assert_eq!(
        app.count(&format!("SELECT price FROM fee WHERE id = {fee}")).await,
        200_000
    );

    // A service is added once, even when its form is sent twice.
    let page = d.admin.get("/admin/fees").await;
    let form_id = page
        .attr("form[action=\"/admin/fees\"] input[name=form_id]", "value")
        .expect("the add form's id");
    let fields = [
        ("name", "Medical report"),
        ("price", "3000"),
        ("form_id", form_id.as_str()),
    ];
    for _ in 0..2 {
        d.admin
            .post("/admin/fees", &fields)
            .await
            .assert_redirect("/admin/fees");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM fee WHERE kind = 'service'").await, 1);
    let report = app.count("SELECT id FROM fee WHERE name = 'Medical report'").await;

    // A lab test's price for students, through the catalogue's row; unknown items are not found.
    let hb = lab_test(&app, &d.admin, "Haemoglobin", "1500").await;
    d.admin
        .post(
            &format!("/admin/fees/prices/lab_test/{hb}"),
            &[
                ("price_student", "1000"),
                ("price_staff", ""),
                ("price_dependant", ""),
                ("price_visitor", ""),
            ],
        )
        .await
        .assert_redirect("/admin/fees");
    for path in ["/admin/fees/prices/lab_test/999999", "/admin/fees/prices/drug/1"] {
        d.admin
            .post(path, &[("price_student", "1")])
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }

    // Each patient's visit is billed at their category's price.
    let student = PATIENTS.named(&app, &["Ada"]).await[0];
    let (guest, _) = visitor(&app, "Vera", "Visitor").await;
    let (staff, _) = visitor(&app, "Sam", "Staff").await;
    sqlx::query("UPDATE patient SET kind = 'staff' WHERE id = $1")
        .bind(staff)
        .execute(app.db().pool())
        .await
        .expect("a staff patient");
    for (patient, consultation) in [(student, 150_000), (guest, 200_000)] {
        let visit = completed_visit(&d.doctor, patient).await;
        let invoice = bill(&d.cashier, visit).await;
        assert_eq!(
            lines(&app, invoice).await,
            vec![("consultation".to_owned(), 1, consultation, consultation)],
            "patient {patient}"
        );
    }
    // Staff see the doctor for nothing: their visit comes to nothing and makes no invoice.
    let visit = completed_visit(&d.doctor, staff).await;
    d.cashier
        .post(&format!("/billing/visits/{visit}"), &[("form_id", &once())])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM invoice WHERE visit_id = {visit}"))
            .await,
        0
    );

    // A manual invoice prices catalogue lines for the patient's category too.
    let invoice = draft(&d.cashier, student).await;
    for chosen in [format!("fee:{report}"), format!("lab_test:{hb}"), format!("fee:{fee}")] {
        add_line(&d.cashier, invoice, &[("item", &chosen), ("quantity", "1")])
            .await
            .assert_redirect(&format!("/billing/invoices/{invoice}"));
    }
    let prices: Vec<i64> = lines(&app, invoice).await.into_iter().map(|l| l.2).collect();
    assert_eq!(prices, vec![300_000, 100_000, 150_000]);
}

// == A visit's bill ==

async fn a_completed_visit_is_billed_for_everything_done_in_it(app: TestApp) {
    let d = desk(&app).await;
    price_consultation(&app, &d.admin, &[("price", "2000"), ("price_student", "1500")])
        .await
        .assert_redirect("/admin/fees");
    let hb = lab_test(&app, &d.admin, "Haemoglobin", "1500").await;
    let mp = lab_test(&app, &d.admin, "Malaria parasite", "1000").await;
    d.admin
        .post(
            &format!("/admin/fees/prices/lab_test/{hb}"),
            &[("price_student", "1200")],
        )
        .await
        .assert_redirect("/admin/fees");
    let dressing = add_procedure(&app, &d.admin, "Wound dressing", "2500").await;
    // Drugs cost 50.00 a unit (the fixture's price).
    let amoxicillin = add_drug(&app, "Amoxil", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let paracetamol = add_drug(&app, "Panadol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    let inhaler = add_drug(&app, "Ventolin", "salbutamol", DrugForm::Inhaler, "100 mcg").await;
    add_batch(&app, amoxicillin, 4, 100).await;
    let patient = PATIENTS.named(&app, &["Tunde"]).await[0];

    // In the visit: two tests (one cancelled), a procedure, three drugs.
    let visit = new_visit(&d.doctor, patient).await;
    order(&app, &d.doctor, visit, hb).await;
    let malaria = order(&app, &d.doctor, visit, mp).await;
    d.doctor
        .post(&format!("/visits/{visit}/lab/orders/{malaria}/cancel"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    d.doctor
        .post(
            &format!("/visits/{visit}/procedures"),
            &[("procedure_type_id", &dressing.to_string())],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    prescribe(&d.doctor, visit, (amoxicillin, "1 capsule"), 10).await;
    prescribe(&d.doctor, visit, (paracetamol, "1 tablet"), 12).await;
    prescribe(&d.doctor, visit, (inhaler, "2 puffs"), 1).await;

    // The pharmacy gives the 4 capsules it has and refuses the inhaler; nothing of the paracetamol yet.
    let pharmacist = app.login_as("pharm.billing", Role::Pharmacist).await;
    let rx = app
        .count(&format!("SELECT id FROM prescription WHERE visit_id = {visit}"))
        .await;
    let inhaler_item = app
        .count(&format!(
            "SELECT id FROM prescription_item WHERE prescription_id = {rx} AND drug_id = {inhaler}"
        ))
        .await;
    pharmacist
        .post(
            &format!("/pharmacy/prescriptions/{rx}/items/{inhaler_item}/refuse"),
            &[("reason", "Out of stock: buy it outside")],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = pharmacist.get(&format!("/pharmacy/prescriptions/{rx}")).await;
    page.assert_status(StatusCode::OK);
    let form = FormFields::of(&page, "#dispense-form");
    pharmacist
        .post(&format!("/pharmacy/prescriptions/{rx}/dispense"), &form.fields())
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT dispensed_quantity FROM prescription_item WHERE prescription_id = {rx} AND drug_id = {amoxicillin}"
        ))
        .await,
        4
    );

    // An open visit is shown but not billed.
    let page = d.cashier.get(&format!("/billing/visits/{visit}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.has("#issue-invoice"), "no issue button for an open visit");
    assert!(page.text("[role=alert]").contains("still open"));
    d.cashier
        .post(&format!("/billing/visits/{visit}"), &[("form_id", &once())])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, 0);

    // Completed, its bill lists everything at the student's prices.
    complete(&d.doctor, visit).await;
    assert!(
        d.cashier
            .get("/billing")
            .await
            .has(&format!("#unbilled a[href=\"/billing/visits/{visit}\"]")),
        "the visit waits to be billed on the billing home"
    );
    // The patient's phone does not say "Nothing owed" while the visit waits for its bill.
    let student = PATIENTS.client(&app, 0).await;
    let owed = |page: Page| page.text("#my-owed");
    assert_eq!(owed(student.get("/me").await), "Your visit's bill is being prepared");
    let (page, _) = bill_form(&d.cashier, visit).await;
    let expected = [
        ("consultation", 1, 150_000),
        ("lab_test", 1, 120_000),
        ("procedure", 1, 250_000),
        ("drug", 4, 5_000),
        ("drug", 12, 5_000),
    ];
    assert_eq!(
        page.texts("#bill-lines tbody tr").len(),
        expected.len(),
        "{}",
        page.body
    );
    assert!(
        page.text("#bill-lines #total").contains("6,000.00"),
        "{}",
        page.text("#total")
    );

    let invoice = bill(&d.cashier, visit).await;
    let want: Vec<(String, i64, i64, i64)> = expected
        .iter()
        .map(|(kind, quantity, price)| ((*kind).to_owned(), *quantity, *price, quantity * price))
        .collect();
    assert_eq!(lines(&app, invoice).await, want);
    assert_eq!(figures(&app, invoice).await, [600_000, 0, 0, 600_000, 0, 600_000]);
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {invoice}")).await,
        number(&app, "INV", 1)
    );
    assert_eq!(
        text(&app, &format!("SELECT status FROM invoice WHERE id = {invoice}")).await,
        "issued"
    );
    let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("h1").contains(&number(&app, "INV", 1)));
    assert_eq!(page.text("#invoice-status"), "Owed");
    assert!(page.text("#balance").contains("6,000.00"));

    let home = owed(student.get("/me").await);
    assert!(
        home.contains("6,000.00") && home.contains("Owed on 1 invoice"),
        "{home}"
    );
    assert!(!home.contains("being prepared"), "{home}");
    // Billed, the visit's bill opens its invoice, and it leaves the list of visits to bill.
    d.cashier
        .get(&format!("/billing/visits/{visit}"))
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    assert!(
        !d.cashier
            .get("/billing")
            .await
            .has(&format!("#unbilled a[href=\"/billing/visits/{visit}\"]"))
    );
    d.cashier
        .get("/billing/visits/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn ten_clicks_at_once_bill_a_visit_once(app: TestApp) {
    let d = desk(&app).await;
    // A priced consultation: a visit that comes to nothing makes no invoice.
    price_consultation(&app, &d.admin, &[("price", "1000")])
        .await
        .assert_redirect("/admin/fees");
    let patient = PATIENTS.named(&app, &["Bola"]).await[0];
    let visit = completed_visit(&d.doctor, patient).await;
    // Ten bill pages open (ten tabs, two cashiers), each with its own form, all sent at once.
    let mut form_ids = Vec::new();
    for _ in 0..10 {
        form_ids.push(bill_form(&d.cashier, visit).await.1);
    }
    let mut tasks = Vec::new();
    for form_id in form_ids {
        let cashier = d.cashier.clone();
        tasks.push(tokio::spawn(async move {
            let page = cashier
                .post(&format!("/billing/visits/{visit}"), &[("form_id", &form_id)])
                .await;
            (page.status, page.location().map(str::to_owned), page.body)
        }));
    }
    let mut invoices = Vec::new();
    for task in tasks {
        let (status, location, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        invoices.push(location.expect("a redirect"));
    }
    invoices.dedup();
    assert_eq!(invoices.len(), 1, "every click opens the one invoice: {invoices:?}");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM invoice WHERE visit_id = {visit}"))
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice_line").await, 1);
    assert_eq!(
        texts(&app, "SELECT number FROM invoice").await,
        vec![number(&app, "INV", 1)],
        "the losers used no number"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'invoice.issue'")
            .await,
        1
    );
}

async fn fifty_invoices_issued_at_once_get_fifty_consecutive_numbers(app: TestApp) {
    let d = desk(&app).await;
    let patients = PATIENTS.numbered(&app, 5).await;
    let mut drafts = Vec::new();
    for n in 0..50 {
        let invoice = draft(&d.cashier, patients[n % patients.len()]).await;
        add_other(&d.cashier, invoice, "Card replacement", "1", "500")
            .await
            .assert_redirect(&format!("/billing/invoices/{invoice}"));
        drafts.push(invoice);
    }
    let mut tasks = Vec::new();
    for (n, invoice) in drafts.into_iter().enumerate() {
        // Two cashiers at once: reception and the admin.
        let cashier = if n % 2 == 0 { d.cashier.clone() } else { d.admin.clone() };
        tasks.push(tokio::spawn(async move {
            let page = cashier.post(&format!("/billing/invoices/{invoice}/issue"), &[]).await;
            (page.status, page.body)
        }));
    }
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    }
    let numbers = texts(&app, "SELECT number FROM invoice ORDER BY number").await;
    let expected: Vec<String> = (1..=50).map(|n| number(&app, "INV", n)).collect();
    assert_eq!(numbers, expected, "fifty numbers, no gap, none twice");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invoice WHERE status = 'issued'").await,
        50
    );
}

// == Invoices made by hand ==

async fn manual_lines_are_checked_and_their_totals_are_the_servers(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Chidi"]).await[0];
    let hb = lab_test(&app, &d.admin, "Haemoglobin", "1500").await;
    let dressing = add_procedure(&app, &d.admin, "Wound dressing", "2500").await;

    // A draft for a patient that exists, once per form.
    let form_id = once();
    let fields = [("patient_id", patient.to_string()), ("form_id", form_id.clone())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let invoice = invoice_of(&d.cashier.post("/billing/invoices", &fields).await);
    assert_eq!(invoice_of(&d.cashier.post("/billing/invoices", &fields).await), invoice);
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, 1);
    d.cashier
        .post("/billing/invoices", &[("patient_id", "999999"), ("form_id", &once())])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    d.cashier
        .post("/billing/invoices", &[("patient_id", "abc"), ("form_id", &once())])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#no-lines"));
    assert_eq!(page.text("#invoice-status"), "Draft");

    // Bad lines: a message beside the field, nothing written.
    let bad: [(&str, &str, &str, &str); 7] = [
        ("other", "Report", "0", "100"),
        ("other", "Report", "-2", "100"),
        ("other", "Report", "abc", "100"),
        ("other", "Report", "1", "-5"),
        ("other", "Report", "1", "lots"),
        ("other", "", "1", "100"),
        ("fee:999999", "", "1", ""),
    ];
    for (chosen, description, quantity, price) in bad {
        let page = add_line(
            &d.cashier,
            invoice,
            &[
                ("item", chosen),
                ("description", description),
                ("quantity", quantity),
                ("unit_price", price),
            ],
        )
        .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.has(".field-error") || page.has("[role=alert]"),
            "{chosen} {quantity} × {price}: no message\n{}",
            page.body
        );
    }
    let page = add_line(
        &d.cashier,
        invoice,
        &[
            ("item", "other"),
            ("quantity", "0"),
            ("description", "X"),
            ("unit_price", "1"),
        ],
    )
    .await;
    assert!(page.text("#quantity-error").contains("at least 1"), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice_line").await, 0);
    assert_eq!(figures(&app, invoice).await, [0; 6]);

    // Totals the client sends are ignored: the line is quantity × unit price.
    let page = add_line(
        &d.cashier,
        invoice,
        &[
            ("item", "other"),
            ("description", "Medical report"),
            ("quantity", "3"),
            ("unit_price", "1250.50"),
            ("total", "1.00"),
            ("line_total", "1.00"),
            ("subtotal", "1.00"),
        ],
    )
    .await;
    page.assert_redirect(&format!("/billing/invoices/{invoice}"));
    assert_eq!(
        lines(&app, invoice).await,
        vec![("other".to_owned(), 3, 125_050, 375_150)]
    );
    assert_eq!(figures(&app, invoice).await, [375_150, 0, 0, 375_150, 0, 375_150]);

    // Catalogue lines come at their price; a line is removed while a draft.
    for chosen in [format!("lab_test:{hb}"), format!("procedure:{dressing}")] {
        add_line(
            &d.cashier,
            invoice,
            &[("item", &chosen), ("quantity", "2"), ("total", "0")],
        )
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    }
    assert_eq!(
        lines(&app, invoice).await[1..],
        [
            ("lab_test".to_owned(), 2, 150_000, 300_000),
            ("procedure".to_owned(), 2, 250_000, 500_000)
        ]
    );
    let procedure_line = app
        .count(&format!(
            "SELECT id FROM invoice_line WHERE invoice_id = {invoice} AND kind = 'procedure'"
        ))
        .await;
    d.cashier
        .post(
            &format!("/billing/invoices/{invoice}/lines/{procedure_line}/remove"),
            &[],
        )
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    d.cashier
        .post(
            &format!("/billing/invoices/{invoice}/lines/{procedure_line}/remove"),
            &[],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(figures(&app, invoice).await, [675_150, 0, 0, 675_150, 0, 675_150]);

    // Issued, with a total field sent along, it keeps the server's figures and its number, and never changes.
    issue(&d.cashier, invoice, &[("total", "1.00"), ("patient_share", "0")])
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    assert_eq!(figures(&app, invoice).await, [675_150, 0, 0, 675_150, 0, 675_150]);
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {invoice}")).await,
        number(&app, "INV", 1)
    );
    add_other(&d.cashier, invoice, "Late line", "1", "100")
        .await
        .assert_status(StatusCode::CONFLICT);
    let first_line = app
        .count(&format!(
            "SELECT MIN(id) FROM invoice_line WHERE invoice_id = {invoice}"
        ))
        .await;
    d.cashier
        .post(&format!("/billing/invoices/{invoice}/lines/{first_line}/remove"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    issue(&d.cashier, invoice, &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice_line").await, 2);

    // An empty draft can't be issued, and uses no number.
    let empty = draft(&d.cashier, patient).await;
    issue(&d.cashier, empty, &[])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        text(&app, &format!("SELECT status FROM invoice WHERE id = {empty}")).await,
        "draft"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invoice WHERE number IS NOT NULL").await,
        1
    );
    // The statement prints the issued invoice; the billing home lists invoices by status.
    let statement = d.cashier.get(&format!("/billing/invoices/{invoice}/statement")).await;
    statement.assert_status(StatusCode::OK);
    assert!(statement.text("h1").contains(&number(&app, "INV", 1)));
    assert!(statement.text("#total").contains("6,751.50"));
    let owed = d.cashier.get("/billing").await.texts("#invoices tbody tr");
    assert!(owed.len() == 1 && owed[0].contains(&number(&app, "INV", 1)), "{owed:?}");
    let drafts = d.cashier.get("/billing?status=draft").await.texts("#invoices tbody tr");
    assert!(
        drafts.len() == 1 && drafts[0].contains(&format!("Draft {empty}")),
        "{drafts:?}"
    );
    d.cashier
        .post("/billing/invoices/999999/issue", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn discounts_and_tax_are_rounded_half_up_once(app: TestApp) {
    let d = desk(&app).await;
    app.set_setting("billing_tax_percent", "7.5").await;
    let patient = PATIENTS.named(&app, &["Dapo"]).await[0];

    // 3 × 1333.33 = 3999.99; 12.5 % off is 499.99875 → 500.00; tax 7.5 % of 3499.99 is 262.49925 → 262.50.
    let invoice = draft(&d.admin, patient).await;
    add_other(&d.admin, invoice, "Physiotherapy session", "3", "1333.33")
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    assert_eq!(figures(&app, invoice).await, [399_999, 0, 30_000, 429_999, 0, 429_999]);

    // Reception can't give a discount; nobody can give more than the subtotal, or one without a reason.
    let reception = [("discount_percent", "12.5"), ("discount_reason", "Hardship")];
    let page = issue(&d.cashier, invoice, &reception).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("[role=alert]").contains("administrator"), "{}", page.body);
    for (fields, field) in [
        (
            vec![("discount_amount", "4000.00"), ("discount_reason", "Too much")],
            "discount_amount",
        ),
        (
            vec![("discount_percent", "101"), ("discount_reason", "Too much")],
            "discount_percent",
        ),
        (
            vec![("discount_amount", "10"), ("discount_reason", "")],
            "discount_reason",
        ),
        (
            vec![
                ("discount_amount", "10"),
                ("discount_percent", "5"),
                ("discount_reason", "Both"),
            ],
            "discount_amount",
        ),
    ] {
        let page = issue(&d.admin, invoice, &fields).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has(&format!("#{field}-error")), "{fields:?}:\n{}", page.body);
    }
    assert_eq!(
        text(&app, &format!("SELECT status FROM invoice WHERE id = {invoice}")).await,
        "draft"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invoice WHERE number IS NOT NULL").await,
        0
    );

    issue(
        &d.admin,
        invoice,
        &[("discount_percent", "12.5"), ("discount_reason", "Staff goodwill")],
    )
    .await
    .assert_redirect(&format!("/billing/invoices/{invoice}"));
    let subtotal = 399_999;
    let discount = half_up(subtotal * 1_250, 10_000);
    let tax = half_up((subtotal - discount) * 750, 10_000);
    assert_eq!((discount, tax), (50_000, 26_250));
    let total = subtotal - discount + tax;
    assert_eq!(figures(&app, invoice).await, [subtotal, discount, tax, total, 0, total]);
    assert_eq!(
        text(
            &app,
            &format!("SELECT discount_reason FROM invoice WHERE id = {invoice}")
        )
        .await,
        "Staff goodwill"
    );
    let page = d.admin.get(&format!("/billing/invoices/{invoice}")).await;
    assert!(page.text("#total").contains("3,762.49"), "{}", page.text("#total"));

    // Exactly half a kobo rounds up: 10 % of 1.05 is 0.105 → 0.11; tax 7.5 % of 0.94 is 0.0705 → 0.07.
    let small = draft(&d.admin, patient).await;
    add_other(&d.admin, small, "Plaster", "3", "0.35").await;
    issue(
        &d.admin,
        small,
        &[("discount_percent", "10"), ("discount_reason", "Student promo")],
    )
    .await
    .assert_redirect(&format!("/billing/invoices/{small}"));
    assert_eq!(figures(&app, small).await, [105, 11, 7, 101, 0, 101]);

    // An amount off a visit's bill, by an admin, with tax on what is left; the whole subtotal at most.
    let visit = completed_visit(&d.doctor, patient).await;
    price_consultation(&app, &d.admin, &[("price", "1000")])
        .await
        .assert_redirect("/admin/fees");
    let page = bill_with(
        &d.admin,
        visit,
        &[("discount_amount", "1000.01"), ("discount_reason", "Too much")],
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#discount_amount-error"), "{}", page.body);
    let page = bill_with(
        &d.cashier,
        visit,
        &[("discount_amount", "100"), ("discount_reason", "Please")],
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM invoice WHERE visit_id = {visit}"))
            .await,
        0
    );
    let page = bill_with(
        &d.admin,
        visit,
        &[("discount_amount", "200"), ("discount_reason", "Returning patient")],
    )
    .await;
    let billed = invoice_of(&page);
    assert_eq!(figures(&app, billed).await, [100_000, 20_000, 6_000, 86_000, 0, 86_000]);
}

// == Payments, refunds, credit notes, voids ==

async fn payments_move_the_invoice_to_paid_and_give_receipts_with_change(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Efe"]).await[0];
    let invoice = issued(&d.cashier, patient, "5000").await;
    let path = format!("/billing/invoices/{invoice}/payments");
    let form = pay_form(&d.cashier, invoice).await;
    assert_eq!(form.value("amount"), "5,000.00", "the balance is offered");
    assert_eq!(form.value("method"), "cash");

    // A part payment by card.
    let page = pay(&d.cashier, invoice, "card", "2000", "").await;
    let first = receipt_of(&page);
    assert_eq!(settled(&app, invoice).await, (200_000, 0, "partly_paid".to_owned()));
    let receipt = d.cashier.get(&format!("/billing/payments/{first}/receipt")).await;
    receipt.assert_status(StatusCode::OK);
    assert!(receipt.text(".receipt-title").contains(&number(&app, "RCT", 1)));
    assert!(receipt.text("#receipt-amount").contains("2,000.00"));
    assert!(receipt.text("#receipt-balance").contains("3,000.00"));
    assert!(!receipt.has("#receipt-change"));

    // More than is owed, bad amounts, too little cash: refused with a message, nothing written.
    for (method, amount, tendered, field) in [
        ("cash", "3000.01", "", "amount"),
        ("cash", "0", "", "amount"),
        ("cash", "-10", "", "amount"),
        ("cash", "abc", "", "amount"),
        ("cheque", "100", "", "method"),
        ("cash", "1000", "500", "tendered"),
    ] {
        let page = pay(&d.cashier, invoice, method, amount, tendered).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.has(&format!("#{field}-error")),
            "{method} {amount} {tendered}: no message on {field}\n{}",
            page.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 1);
    assert_eq!(settled(&app, invoice).await, (200_000, 0, "partly_paid".to_owned()));

    // The rest in cash, 5000 handed over: 2000 change. The same form sent twice pays once.
    let mut form = pay_form(&d.cashier, invoice).await;
    assert_eq!(form.value("amount"), "3,000.00");
    form.set("method", "cash").set("tendered", "5000");
    let second = receipt_of(&d.cashier.post(&path, &form.fields()).await);
    assert_eq!(receipt_of(&d.cashier.post(&path, &form.fields()).await), second);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 2);
    assert_eq!(settled(&app, invoice).await, (500_000, 0, "paid".to_owned()));
    let receipt = d.cashier.get(&format!("/billing/payments/{second}/receipt")).await;
    assert!(receipt.text(".receipt-title").contains(&number(&app, "RCT", 2)));
    assert!(receipt.text("#receipt-amount").contains("3,000.00"));
    assert!(receipt.text("#receipt-change").contains("2,000.00"));
    assert!(receipt.text("#receipt-balance").contains("0.00"));
    let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
    assert_eq!(page.text("#invoice-status"), "Paid");
    // The log tells the money as people read it, never the stored kobo.
    let said = texts(
        &app,
        "SELECT detail FROM audit_event WHERE action = 'payment.create' ORDER BY id",
    )
    .await;
    let rct = |n| number(&app, "RCT", n);
    assert!(
        said[0].starts_with(&format!("{}: NGN 2,000.00 by card on ", rct(1))),
        "{said:?}"
    );
    assert!(
        said[1].starts_with(&format!("{}: NGN 3,000.00 by cash on ", rct(2))),
        "{said:?}"
    );
    assert!(!page.has("#pay"), "nothing left to pay");
    assert_eq!(page.texts("#payments tbody tr").len(), 2);

    // A paid invoice takes no more money; a draft none yet.
    d.cashier
        .post(&path, &[("method", "cash"), ("amount", "1"), ("form_id", &once())])
        .await
        .assert_status(StatusCode::CONFLICT);
    let open = draft(&d.cashier, patient).await;
    add_other(&d.cashier, open, "Report", "1", "100").await;
    d.cashier
        .post(
            &format!("/billing/invoices/{open}/payments"),
            &[("method", "cash"), ("amount", "1"), ("form_id", &once())],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    d.cashier
        .get("/billing/payments/999999/receipt")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 2);
}

async fn refunds_credit_notes_and_voids_keep_the_books_straight(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Funmi"]).await[0];
    let invoice = issued(&d.cashier, patient, "5000").await;
    receipt_of(&pay(&d.cashier, invoice, "cash", "5000", "").await);
    let void = format!("/billing/invoices/{invoice}/void");

    // Money was paid: no void.
    d.cashier
        .post(&void, &[("reason", "Billed by mistake")])
        .await
        .assert_status(StatusCode::CONFLICT);

    // Never more than was paid, and always with a reason.
    for (amount, reason, field) in [
        ("5000.01", "Too much", "amount"),
        ("0", "Nothing", "amount"),
        ("100", "", "reason"),
    ] {
        let page = refund(&d.cashier, invoice, "cash", amount, reason, true).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.has(&format!("#refund-{field}-error")) || page.has(&format!("#{field}-error")),
            "{}",
            page.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 1);

    // A refund with its credit note: the invoice stays settled.
    let page = refund(&d.cashier, invoice, "cash", "1000", "Test not done", true).await;
    let back = receipt_of(&page);
    assert_eq!(settled(&app, invoice).await, (400_000, 100_000, "paid".to_owned()));
    assert_eq!(
        app.count(&format!("SELECT amount FROM payment WHERE id = {back}"))
            .await,
        -100_000
    );
    assert_eq!(
        text(&app, &format!("SELECT number FROM payment WHERE id = {back}")).await,
        number(&app, "RFD", 1)
    );
    assert_eq!(
        texts(&app, "SELECT number FROM credit_note").await,
        vec![number(&app, "CRN", 1)]
    );
    let receipt = d.cashier.get(&format!("/billing/payments/{back}/receipt")).await;
    assert!(receipt.text(".receipt-title").contains("REFUND"));
    assert!(receipt.text("#receipt-amount").contains("1,000.00"));

    // A refund alone: the patient owes it again.
    refund(&d.cashier, invoice, "card", "500", "Paid twice by card", false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        settled(&app, invoice).await,
        (350_000, 100_000, "partly_paid".to_owned())
    );

    // A credit note takes off what is owed, at most all of it.
    let page = credit(&d.cashier, invoice, "500.01", "Goodwill").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#credit-amount-error"), "{}", page.body);
    credit(&d.cashier, invoice, "500", "Goodwill")
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    assert_eq!(settled(&app, invoice).await, (350_000, 150_000, "paid".to_owned()));
    let page = credit(&d.cashier, invoice, "1", "Goodwill").await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(
        page.text("#invoice-changed").contains("Nothing is owed"),
        "{}",
        page.text("#invoice-changed")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM credit_note").await, 2);

    // A visit's invoice with nothing paid is void with a reason; the visit is then billed again, anew.
    price_consultation(&app, &d.admin, &[("price", "1500")])
        .await
        .assert_redirect("/admin/fees");
    let visit = completed_visit(&d.doctor, patient).await;
    let first = bill(&d.cashier, visit).await;
    let first_void = format!("/billing/invoices/{first}/void");
    let page = d.cashier.post(&first_void, &[("reason", "")]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    d.cashier
        .post(&first_void, &[("reason", "Wrong patient category")])
        .await
        .assert_redirect(&format!("/billing/invoices/{first}"));
    assert_eq!(settled(&app, first).await.2, "void");
    d.cashier
        .post(&first_void, &[("reason", "Again")])
        .await
        .assert_status(StatusCode::CONFLICT);
    d.cashier
        .post(
            &format!("/billing/invoices/{first}/payments"),
            &[("method", "cash"), ("amount", "1"), ("form_id", &once())],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    let (page, _) = bill_form(&d.cashier, visit).await;
    assert!(page.has("#issue-invoice"), "a voided visit is billed again");
    let second = bill(&d.cashier, visit).await;
    assert_ne!(first, second);
    assert_eq!(
        texts(
            &app,
            &format!("SELECT number FROM invoice WHERE visit_id = {visit} ORDER BY id")
        )
        .await,
        vec![number(&app, "INV", 2), number(&app, "INV", 3)],
        "the void keeps its number; the new invoice takes the next"
    );
    assert_eq!(settled(&app, second).await.2, "issued");
}

async fn cashiers_paying_at_once_never_take_more_than_is_owed(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Lola"]).await[0];
    let invoice = issued(&d.cashier, patient, "1000").await;
    // Six open invoice pages (reception and the admin), each paying the whole balance, sent at once.
    let mut forms = Vec::new();
    for n in 0..6 {
        let cashier = if n % 2 == 0 { d.cashier.clone() } else { d.admin.clone() };
        let form = pay_form(&cashier, invoice).await;
        forms.push((cashier, form));
    }
    let mut tasks = Vec::new();
    for (cashier, form) in forms {
        tasks.push(tokio::spawn(async move {
            let page = cashier
                .post(&format!("/billing/invoices/{invoice}/payments"), &form.fields())
                .await;
            (page.status, page.body)
        }));
    }
    let mut taken = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            StatusCode::SEE_OTHER => taken += 1,
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(taken, 1, "one payment settles the invoice; the others are refused");
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 1);
    assert_eq!(settled(&app, invoice).await, (100_000, 0, "paid".to_owned()));
    assert_eq!(
        texts(&app, "SELECT number FROM payment").await,
        vec![number(&app, "RCT", 1)]
    );
}

async fn a_schemes_yearly_limit_caps_what_it_pays(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Musa"]).await[0];
    d.admin
        .post(
            "/admin/schemes",
            &[
                ("name", "Staff Scheme"),
                ("percent", "100"),
                ("covers_services", "1"),
                ("yearly_limit", "1500"),
                ("form_id", &once()),
            ],
        )
        .await
        .assert_redirect("/admin/schemes");
    let scheme = app.count("SELECT id FROM scheme").await;
    d.cashier
        .post(
            &format!("/patients/{patient}/scheme"),
            &[("scheme_id", &scheme.to_string()), ("member_number", "ST-7")],
        )
        .await
        .assert_redirect(&format!("/patients/{patient}"));

    // 1000 covered whole (nothing for the patient to pay), then 500 of the next 1000, then nothing.
    let first = issued(&d.cashier, patient, "1000").await;
    assert_eq!(figures(&app, first).await, [100_000, 0, 0, 100_000, 100_000, 0]);
    assert_eq!(settled(&app, first).await.2, "paid");
    let second = issued(&d.cashier, patient, "1000").await;
    assert_eq!(figures(&app, second).await, [100_000, 0, 0, 100_000, 50_000, 50_000]);
    assert_eq!(settled(&app, second).await.2, "issued");
    let third = issued(&d.cashier, patient, "1000").await;
    assert_eq!(figures(&app, third).await, [100_000, 0, 0, 100_000, 0, 100_000]);
    assert_eq!(
        text(&app, &format!("SELECT claim_status FROM invoice WHERE id = {third}")).await,
        "none",
        "nothing to claim"
    );

    // A void gives its share back to the year's limit.
    d.cashier
        .post(&format!("/billing/invoices/{second}/void"), &[("reason", "Duplicate")])
        .await
        .assert_redirect(&format!("/billing/invoices/{second}"));
    let fourth = issued(&d.cashier, patient, "1000").await;
    assert_eq!(figures(&app, fourth).await, [100_000, 0, 0, 100_000, 50_000, 50_000]);
    let month = app.state.today().to_string()[..7].to_owned();
    let page = d
        .cashier
        .get(&format!("/billing/claims?scheme={scheme}&month={month}"))
        .await;
    assert_eq!(
        page.texts("#claim-lines tbody tr").len(),
        2,
        "the void and the uncovered invoice are no lines"
    );
    assert!(
        page.text("#claim-summary").contains("1,500.00"),
        "{}",
        page.text("#claim-summary")
    );
}

// == Schemes and claims ==

async fn a_covered_patients_invoice_is_split_and_claimed_from_the_scheme(app: TestApp) {
    let d = desk(&app).await;
    app.set_setting("billing_tax_percent", "7.5").await;
    price_consultation(&app, &d.admin, &[("price", "1500")])
        .await
        .assert_redirect("/admin/fees");
    let hb = lab_test(&app, &d.admin, "Haemoglobin", "1500").await;
    let suture = add_procedure(&app, &d.admin, "Suture", "333.33").await;
    let ids = PATIENTS.named(&app, &["Gbenga", "Halima"]).await;
    let (covered, uncovered) = (ids[0], ids[1]);

    // The scheme's form refuses what makes no sense.
    let page = d.admin.get("/admin/schemes").await;
    page.assert_status(StatusCode::OK);
    for bad in [
        vec![("name", "SHI"), ("percent", "0"), ("covers_lab", "1")],
        vec![("name", "SHI"), ("percent", "101"), ("covers_lab", "1")],
        vec![("name", "SHI"), ("percent", "abc"), ("covers_lab", "1")],
        vec![("name", "SHI"), ("percent", "80")],
        vec![("name", ""), ("percent", "80"), ("covers_lab", "1")],
        vec![
            ("name", "SHI"),
            ("percent", "80"),
            ("covers_lab", "1"),
            ("yearly_limit", "-1"),
        ],
    ] {
        let form_id = once();
        let mut fields = bad.clone();
        fields.push(("form_id", &form_id));
        let page = d.admin.post("/admin/schemes", &fields).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has(".field-error"), "{bad:?}:\n{}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM scheme").await, 0);
    let form_id = once();
    d.admin
        .post(
            "/admin/schemes",
            &[
                ("name", "Student Health Insurance"),
                ("percent", "80"),
                ("covers_consultation", "1"),
                ("covers_lab", "1"),
                ("yearly_limit", ""),
                ("form_id", &form_id),
            ],
        )
        .await
        .assert_redirect("/admin/schemes");
    let scheme = app.count("SELECT id FROM scheme").await;
    assert!(
        d.admin
            .get("/admin/schemes")
            .await
            .text("#schemes")
            .contains("Student Health Insurance")
    );

    // Reception puts the patient under it with their member number; unknown schemes and patients are refused.
    let set_scheme = format!("/patients/{covered}/scheme");
    d.cashier
        .post(&set_scheme, &[("scheme_id", "999999"), ("member_number", "X")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    d.cashier
        .post(
            "/patients/999999/scheme",
            &[("scheme_id", &scheme.to_string()), ("member_number", "X")],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    d.cashier
        .post(
            &set_scheme,
            &[("scheme_id", &scheme.to_string()), ("member_number", "SHI-0042")],
        )
        .await
        .assert_redirect(&format!("/patients/{covered}"));

    // A visit with a consultation and a test (covered) and a procedure (not).
    let mut invoices = Vec::new();
    for patient in [covered, uncovered] {
        let visit = new_visit(&d.doctor, patient).await;
        order(&app, &d.doctor, visit, hb).await;
        d.doctor
            .post(
                &format!("/visits/{visit}/procedures"),
                &[("procedure_type_id", &suture.to_string())],
            )
            .await
            .assert_status(StatusCode::SEE_OTHER);
        complete(&d.doctor, visit).await;
        if patient == covered {
            let (page, _) = bill_form(&d.cashier, visit).await;
            assert!(
                page.text("p").contains("Student Health Insurance") || page.body.contains("Student Health Insurance")
            );
            assert!(
                page.has("#scheme-share"),
                "the bill shows the split before it is issued"
            );
        }
        invoices.push(bill(&d.cashier, visit).await);
    }
    let (claimed, plain) = (invoices[0], invoices[1]);
    let subtotal = 150_000 + 150_000 + 33_333;
    let tax = half_up(subtotal * 750, 10_000);
    let total = subtotal + tax;
    let scheme_share = half_up(total * 300_000 * 80, subtotal * 100);
    assert_eq!(
        figures(&app, claimed).await,
        [subtotal, 0, tax, total, scheme_share, total - scheme_share]
    );
    assert_eq!(figures(&app, plain).await, [subtotal, 0, tax, total, 0, total]);
    let [.., scheme_part, patient_part] = figures(&app, claimed).await;
    assert_eq!(
        scheme_part + patient_part,
        total,
        "the shares add up to the total exactly"
    );
    assert_eq!(
        text(&app, &format!("SELECT claim_status FROM invoice WHERE id = {claimed}")).await,
        "pending"
    );
    // The patient pays their share only.
    let form = pay_form(&d.cashier, claimed).await;
    let owed = sickbay_core::db::Money(total - scheme_share).format_major(2);
    assert_eq!(form.value("amount"), owed);
    // On their phone, the invoice leads with their share, not the total.
    let mine = PATIENTS
        .client(&app, 0)
        .await
        .get("/me/invoices")
        .await
        .texts("#my-invoices li");
    let scheme_pays = sickbay_core::db::Money(scheme_share).format_major(2);
    assert!(
        mine[0].contains(&format!("Your share NGN {owed} (your scheme pays NGN {scheme_pays})")),
        "{mine:?}"
    );
    // The invoices list says what the scheme pays of each: its share on the covered one, none on the other.
    let listed = d.cashier.get("/billing").await;
    let row = |invoice: i64| listed.texts(&format!("#invoice-{invoice} td:nth-child(5)")).concat();
    assert!(
        row(claimed).contains(&sickbay_core::db::Money(scheme_share).format_major(2)),
        "{}",
        row(claimed)
    );
    assert_eq!(row(plain), "–");

    // The month's claim lists the covered invoice only, on the page and in the CSV.
    let month = app.state.today().to_string()[..7].to_owned();
    let claims = format!("/billing/claims?scheme={scheme}&month={month}");
    let page = d.cashier.get(&claims).await;
    page.assert_status(StatusCode::OK);
    let rows = page.texts("#claim-lines tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let share = sickbay_core::db::Money(scheme_share).format_major(2);
    assert!(
        rows[0].contains(&number(&app, "INV", 1)) && rows[0].contains("SHI-0042"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(&share) && rows[0].contains("To submit"), "{}", rows[0]);
    let csv = d
        .cashier
        .get(&format!("/billing/claims.csv?scheme={scheme}&month={month}"))
        .await;
    csv.assert_status(StatusCode::OK);
    let csv_rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(csv_rows.len(), 2, "{}", csv.body);
    assert!(csv_rows[0].starts_with("invoice,issued,patient"));
    assert!(csv_rows[1].starts_with(&number(&app, "INV", 1)));
    assert!(csv_rows[1].contains(&share.replace(',', "")) && csv_rows[1].contains("SHI-0042"));
    d.cashier
        .get(&format!("/billing/claims?scheme={scheme}&month=2026-13"))
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    // The revenue report counts what the scheme owes until it pays: to submit, then submitted.
    let admin = &d.admin;
    let share_of = |to_submit: &str, submitted: &str, due: &str| {
        vec![
            vec![
                "Student Health Insurance".to_owned(),
                "1".to_owned(),
                to_submit.to_owned(),
                submitted.to_owned(),
                due.to_owned(),
            ],
            vec![
                "Total".to_owned(),
                "1".to_owned(),
                to_submit.to_owned(),
                submitted.to_owned(),
                due.to_owned(),
            ],
        ]
    };
    let plain_share = sickbay_core::db::Money(scheme_share).format_major(2).replace(',', "");
    assert_eq!(
        crate::reports::report_table(admin, "revenue", "due_from_schemes", "").await,
        share_of(&plain_share, "0.00", &plain_share)
    );

    // Lines move pending → submitted → paid; a rejection needs a reason; an uncovered invoice is no line.
    let (scheme_id, invoice_id) = (scheme.to_string(), claimed.to_string());
    let plain_id = plain.to_string();
    let mark = |to: &'static str, reason: &'static str| {
        vec![
            ("scheme", scheme_id.clone()),
            ("month", month.clone()),
            ("invoice", invoice_id.clone()),
            ("invoice", plain_id.clone()),
            ("to", to.to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let claim_sql = format!("SELECT claim_status FROM invoice WHERE id = {claimed}");
    for (to, reason, status, answer) in [
        ("paid", "", "pending", StatusCode::SEE_OTHER),
        ("rejected", "", "pending", StatusCode::BAD_REQUEST),
        ("submitted", "", "submitted", StatusCode::SEE_OTHER),
        ("rejected", "", "submitted", StatusCode::BAD_REQUEST),
        ("paid", "", "paid", StatusCode::SEE_OTHER),
    ] {
        let fields = mark(to, reason);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let page = d.cashier.post("/billing/claims/mark", &fields).await;
        assert_eq!(page.status, answer, "to {to}: {}", page.body);
        assert_eq!(text(&app, &claim_sql).await, status, "after marking {to}");
        if status == "submitted" {
            assert_eq!(
                crate::reports::report_table(admin, "revenue", "due_from_schemes", "").await,
                share_of("0.00", &plain_share, &plain_share)
            );
        }
    }
    let report = admin.get("/admin/reports/revenue").await;
    let due = report.texts("#headlines .stat");
    assert!(
        due[3].ends_with("0.00 Due from schemes"),
        "a paid claim is due no more: {due:?}"
    );
    assert_eq!(
        text(&app, &format!("SELECT claim_status FROM invoice WHERE id = {plain}")).await,
        "none"
    );
    assert!(
        d.cashier
            .get(&claims)
            .await
            .text("#claim-lines tbody tr")
            .contains("Paid")
    );
}

// == The cashier's day ==

async fn the_cashiers_day_reconciles_with_the_payments_taken(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Ife"]).await[0];
    let first = issued(&d.cashier, patient, "1000").await;
    let second = issued(&d.cashier, patient, "2500").await;
    let third = issued(&d.cashier, patient, "800").await;

    // Reception: 1000 cash (1500 handed over), 2000 by card. The admin: 500 by transfer, 800 cash, 300 back.
    receipt_of(&pay(&d.cashier, first, "cash", "1000", "1500").await);
    receipt_of(&pay(&d.cashier, second, "card", "2000", "").await);
    receipt_of(&pay(&d.admin, second, "transfer", "500", "").await);
    receipt_of(&pay(&d.admin, third, "cash", "800", "").await);
    receipt_of(&refund(&d.admin, third, "cash", "300", "Drug not given", true).await);

    let today = app.state.today().to_string();
    let page = d.cashier.get("/billing/day").await;
    page.assert_status(StatusCode::OK);
    let c = currency(&app);
    assert_eq!(
        page.texts("#by-method tbody tr"),
        vec![
            format!("Cash {c} 1,800.00 {c} 300.00 {c} 1,500.00"),
            format!("Card {c} 2,000.00 {c} 0.00 {c} 2,000.00"),
            format!("Bank transfer {c} 500.00 {c} 0.00 {c} 500.00"),
        ],
        "taken, refunded and net by method"
    );
    assert!(page.text("#day-net").contains("4,000.00"));
    let by_cashier = page.texts("#by-cashier tbody tr");
    assert_eq!(by_cashier.len(), 2, "{by_cashier:?}");
    let row = |name: &str| {
        by_cashier
            .iter()
            .find(|r| r.starts_with(name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(
        row("Ada Admin").contains("500.00") && row("Ada Admin").contains("1,000.00"),
        "{by_cashier:?}"
    );
    assert!(
        row("Test desk.bisi").contains("1,000.00") && row("Test desk.bisi").contains("3,000.00"),
        "{by_cashier:?}"
    );
    assert_eq!(page.texts("#day-payments tbody tr").len(), 5);
    assert!(page.text("#my-cash").contains("1,000.00"));
    // The day in figures above the tables: net, the drawers' cash, the receipts and refunds, the drawers counted.
    assert_eq!(page.text("#fig-net"), format!("{c} 4,000.00"));
    assert_eq!(page.text("#fig-cash"), format!("{c} 1,500.00"));
    assert_eq!(page.text("#fig-receipts"), "4");
    assert!(
        page.text("#day-figures")
            .contains(&format!("{c} 4,300.00 in · {c} 300.00 refunded"))
    );
    assert!(page.text("#day-figures").contains("1 refund"));
    assert_eq!(page.text("#fig-drawers"), "0 of 2 closed");
    let refund_rows: Vec<String> = page
        .texts("#day-payments tbody tr")
        .into_iter()
        .filter(|row| row.contains("(refund)"))
        .collect();
    assert_eq!(refund_rows.len(), 1, "the refund reads as one");
    assert!(refund_rows[0].contains("-300.00"), "{refund_rows:?}");
    assert_eq!(
        page.texts("#day-payments tbody tr"),
        d.cashier
            .get(&format!("/billing/day?day={today}"))
            .await
            .texts("#day-payments tbody tr")
    );

    // The CSV has the same five rows, whose amounts add up to the day's net.
    let csv = d.cashier.get(&format!("/billing/day.csv?day={today}")).await;
    csv.assert_status(StatusCode::OK);
    let rows: Vec<&str> = csv.body.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{}", csv.body);
    let net: i64 = rows
        .iter()
        .map(|row| {
            let amount = row.split(',').nth(7).expect("an amount column");
            sickbay_core::db::Money::parse_major(amount, 2).expect("an amount").0
        })
        .sum();
    assert_eq!(net, 400_000);

    // Another day has nothing; a day that doesn't read is refused.
    let empty = d.cashier.get("/billing/day?day=2001-01-01").await;
    empty.assert_status(StatusCode::OK);
    assert!(empty.text("#day-net").contains("0.00"));
    assert!(!empty.has("#day-payments"));
    d.cashier
        .get("/billing/day?day=2026-13-45")
        .await
        .assert_status(StatusCode::BAD_REQUEST);

    // Reception closes with 10 short: once.
    for bad in ["abc", "-5", ""] {
        let page = d
            .cashier
            .post("/billing/day/close", &[("day", &today), ("counted", bad), ("note", "")])
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has("#counted-error"), "{bad}: {}", page.body);
    }
    // A count that differs from the till needs its reason: refused beside the note, nothing written.
    let unexplained = d
        .cashier
        .post(
            "/billing/day/close",
            &[("day", &today), ("counted", "990.00"), ("note", " ")],
        )
        .await;
    unexplained.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        unexplained.text("#note-error"),
        "The cash is short by NGN 10.00. Count the drawer again, or say why in the note."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM cash_close").await, 0);
    d.cashier
        .post(
            "/billing/day/close",
            &[("day", &today), ("counted", "990.00"), ("note", "A torn note")],
        )
        .await
        .assert_redirect(&format!("/billing/day?day={today}"));
    let close: (i64, i64) = sqlx::query_as("SELECT expected, counted FROM cash_close")
        .fetch_one(app.db().pool())
        .await
        .expect("the close");
    assert_eq!(close, (100_000, 99_000));
    d.cashier
        .post(
            "/billing/day/close",
            &[("day", &today), ("counted", "1000.00"), ("note", "")],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM cash_close").await, 1);
    let page = d.cashier.get("/billing/day").await;
    assert!(page.text("#my-close").contains("990.00"));
    assert_eq!(page.text("#fig-drawers"), "1 of 2 closed");
    assert!(
        row_of(&page, "Test desk.bisi").contains("-10.00"),
        "{}",
        row_of(&page, "Test desk.bisi")
    );

    // The admin's own close expects their own cash: 800 in less 300 out.
    d.admin
        .post(
            "/billing/day/close",
            &[("day", &today), ("counted", "500"), ("note", "")],
        )
        .await
        .assert_redirect(&format!("/billing/day?day={today}"));
    assert_eq!(
        app.count("SELECT expected FROM cash_close WHERE cashier_id = (SELECT id FROM staff WHERE username = 'admin')")
            .await,
        50_000
    );
}

fn row_of(page: &Page, name: &str) -> String {
    page.texts("#by-cashier tbody tr")
        .into_iter()
        .find(|row| row.starts_with(name))
        .unwrap_or_default()
}

/// The clinic's currency code, as amounts are written.
fn currency(app: &TestApp) -> String {
    app.state.settings.get().clinic.currency_code.clone()
}

// == The patient's side ==

async fn a_patient_sees_only_their_own_issued_invoices_and_receipts(app: TestApp) {
    let d = desk(&app).await;
    let ids = PATIENTS.named(&app, &["Jide", "Kemi"]).await;
    let (mine, theirs) = (ids[0], ids[1]);
    let invoice = issued(&d.cashier, mine, "1000").await;
    let receipt = receipt_of(&pay(&d.cashier, invoice, "cash", "400", "").await);
    let unissued = draft(&d.cashier, mine).await;
    add_other(&d.cashier, unissued, "Not yet", "1", "50").await;
    let other = issued(&d.cashier, theirs, "700").await;
    let other_receipt = receipt_of(&pay(&d.cashier, other, "card", "700", "").await);
    let settled = issued(&d.cashier, mine, "300").await;
    pay(&d.cashier, settled, "cash", "300", "").await;

    let student = PATIENTS.client(&app, 0).await;
    let page = student.get("/me/invoices").await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#owed").contains("600.00"), "{}", page.text("#owed"));
    let listed = page.texts("#my-invoices li");
    assert_eq!(listed.len(), 2, "no draft, nobody else's: {listed:?}");
    assert!(
        listed[0].contains(&number(&app, "INV", 1)) && listed[0].contains("600.00 to pay"),
        "what is owed comes first, before the newer one paid: {listed:?}"
    );
    assert!(listed[1].contains(&number(&app, "INV", 3)), "{listed:?}");
    assert_eq!(page.texts("#my-receipts li").len(), 2);

    let page = student.get(&format!("/me/invoices/{invoice}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#balance").contains("600.00"));
    assert!(page.has(&format!("a[href=\"/me/receipts/{receipt}\"]")));
    let page = student.get(&format!("/me/receipts/{receipt}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text("#receipt-amount").contains("400.00"));

    for path in [
        format!("/me/invoices/{other}"),
        format!("/me/invoices/{unissued}"),
        "/me/invoices/999999".to_owned(),
        format!("/me/receipts/{other_receipt}"),
        "/me/receipts/999999".to_owned(),
    ] {
        student.get(&path).await.assert_status(StatusCode::NOT_FOUND);
    }

    // Paid off, nothing is owed.
    receipt_of(&pay(&d.cashier, invoice, "transfer", "600", "").await);
    assert!(student.get("/me/invoices").await.text("#owed").contains("nothing"));
}

// == Double clicks and days ahead ==

/// "Issue" clicked twice sends its form twice: both answers lead to the one issued invoice and only one number is
/// used. A day that hasn't come yet can't be closed.
async fn a_double_clicked_issue_issues_once_and_no_day_is_closed_ahead(app: TestApp) {
    let d = desk(&app).await;
    let (patient, _) = visitor(&app, "Dapo", "Twice").await;
    let invoice = draft(&d.cashier, patient).await;
    add_other(&d.cashier, invoice, "Medical report", "1", "3000")
        .await
        .assert_redirect(&format!("/billing/invoices/{invoice}"));
    let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
    let form_id = page
        .attr("form[action$='/issue'] input[name=form_id]", "value")
        .expect("the issue form's one-time id");
    for _ in 0..2 {
        issue(&d.cashier, invoice, &[("form_id", &form_id)])
            .await
            .assert_redirect(&format!("/billing/invoices/{invoice}"));
    }
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {invoice}")).await,
        number(&app, "INV", 1)
    );
    let next = issued(&d.cashier, patient, "100").await;
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {next}")).await,
        number(&app, "INV", 2),
        "the double click used no number"
    );

    let tomorrow = sickbay_core::db::Date(sickbay_core::db::Date::add_days(app.state.settings.get().today(), 1));
    d.cashier
        .post(
            "/billing/day/close",
            &[("day", &tomorrow.to_string()), ("counted", "0"), ("note", "")],
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT COUNT(*) FROM cash_close").await, 0);
}

/// The billing home's list: each filter shows its own invoices, newest first, 25 a page, the rest on the next.
async fn the_billing_home_pages_each_status_newest_first(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Funmi"]).await[0];
    let mut drafts = Vec::new();
    for _ in 0..27 {
        drafts.push(draft(&d.cashier, patient).await);
    }
    let newest_first: Vec<String> = drafts.iter().rev().map(|id| format!("Draft {id}")).collect();
    let shown = |path: &'static str| {
        let cashier = &d.cashier;
        async move {
            cashier
                .get(path)
                .await
                .texts("#invoices tbody tr a[href^='/billing/invoices/']")
        }
    };
    assert_eq!(shown("/billing?status=draft").await, newest_first[..25]);
    assert_eq!(shown("/billing?status=draft&page=2").await, newest_first[25..]);
    assert_eq!(shown("/billing?status=all&page=2").await, newest_first[25..]);
    assert!(shown("/billing?status=paid").await.is_empty());
}

/// The billing home's search: by the patient (name, matric number, ...) or an invoice's number, within the
/// status chosen, kept by the status links and the pager.
async fn invoices_are_found_by_patient_or_number(app: TestApp) {
    let d = desk(&app).await;
    let ids = PATIENTS.named(&app, &["Funmi", "Kemi"]).await;
    let (funmi, kemi) = (ids[0], ids[1]);
    let funmis = issued(&d.cashier, funmi, "100").await;
    let kemis = issued(&d.cashier, kemi, "200").await;
    let funmis_draft = draft(&d.cashier, funmi).await;
    let listed = |path: String| {
        let cashier = &d.cashier;
        async move {
            cashier
                .get(&path)
                .await
                .texts("#invoices tbody tr a[href^='/billing/invoices/']")
        }
    };
    let (first, second) = (number(&app, "INV", 1), number(&app, "INV", 2));
    // What is owed by default, found by the first name; all of them, the draft too, when "All" is chosen.
    assert_eq!(listed("/billing?q=funmi".into()).await, [first.as_str()]);
    assert_eq!(
        listed("/billing?status=all&q=FUNMI+billing".into()).await,
        [format!("Draft {funmis_draft}"), first.clone()]
    );
    // By matric number, and by the invoice's number however it is typed.
    let kemis_matric = PATIENTS.matric(1).replace('/', "%2F");
    assert_eq!(listed(format!("/billing?q={kemis_matric}")).await, [second.as_str()]);
    assert_eq!(
        listed(format!("/billing?q={}", second.to_lowercase())).await,
        [second.as_str()]
    );
    // By clinic number, though it is shaped like an invoice's number.
    let kemis_number = text(&app, &format!("SELECT clinic_number FROM patient WHERE id = {kemi}")).await;
    assert!(kemis_number.matches('-').count() == 2, "{kemis_number}");
    assert_eq!(listed(format!("/billing?q={kemis_number}")).await, [second.as_str()]);
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {kemis}")).await,
        second
    );
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {funmis}")).await,
        first
    );

    let page = d.cashier.get("/billing?status=paid&q=funmi").await;
    assert!(
        page.text("#no-invoices").contains("No invoice here matches “funmi”"),
        "{}",
        page.body
    );
    assert_eq!(
        page.attr("#no-invoices a", "href").as_deref(),
        Some("/billing?status=all&q=funmi")
    );
    // The search box keeps the status; the status links keep the search.
    let form = FormFields::of(&page, "search form");
    assert_eq!(form.value("status"), "paid");
    assert_eq!(form.value("q"), "funmi");
    assert_eq!(
        page.attr("#invoice-show a[aria-current=page]", "href").as_deref(),
        Some("/billing?status=paid&q=funmi")
    );
    assert_eq!(page.texts("#invoice-show a").len(), 5);
    // Searching in all invoices offers nothing wider; odd text is only text.
    let all = d.cashier.get("/billing?status=all&q=%27%3B+DROP+TABLE+invoice").await;
    all.assert_status(StatusCode::OK);
    assert!(
        !all.text("#no-invoices").contains("Look in all invoices"),
        "{}",
        all.body
    );
    assert_eq!(
        all.attr("#no-invoices a", "href").as_deref(),
        Some("/billing?status=all")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, 3);
}

// == Issue 35: voids, drafts, closes, limits, stale forms, free visits, receipts in words ==

/// Posts the void form of `invoice` with a reason; the answer.
async fn void(cashier: &Client, invoice: i64, reason: &str) -> Page {
    cashier
        .post(&format!("/billing/invoices/{invoice}/void"), &[("reason", reason)])
        .await
}

/// A void invoice owes nothing on every page that shows what is owed: the cashier's invoice, list and statement,
/// the patient's record, and on the patient's phone the list, the invoice and the receipt.
async fn a_void_invoice_owes_nothing_anywhere(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Obinna"]).await[0];
    let c = currency(&app);
    let zero = format!("{c} 0.00");
    // One invoice paid in part and the money given back (nothing paid on it now), one never paid: both void.
    let refunded = issued(&d.cashier, patient, "43").await;
    let receipt = receipt_of(&pay(&d.cashier, refunded, "cash", "10", "").await);
    refund(&d.cashier, refunded, "cash", "10", "Billed by mistake", false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let untouched = issued(&d.cashier, patient, "43").await;
    for invoice in [refunded, untouched] {
        void(&d.cashier, invoice, "Billed by mistake")
            .await
            .assert_redirect(&format!("/billing/invoices/{invoice}"));
        assert_eq!(settled(&app, invoice).await.2, "void");
    }

    // The cashier's side.
    for invoice in [refunded, untouched] {
        let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
        assert_eq!(page.text("#balance"), zero, "invoice {invoice}");
        assert!(!page.has("#pay"), "a void invoice takes no payment");
        let statement = d.cashier.get(&format!("/billing/invoices/{invoice}/statement")).await;
        assert_eq!(statement.text("#balance"), zero, "statement of {invoice}");
    }
    let listed = d.cashier.get("/billing?status=void").await.texts("#invoices tbody tr");
    assert_eq!(listed.len(), 2, "{listed:?}");
    for row in &listed {
        assert!(row.contains(&format!("{c} 43.00 – {zero} Void")), "{row}");
    }
    let record = d.cashier.get(&format!("/patients/{patient}")).await;
    assert!(
        record.text("#patient-owed").contains("Owes nothing"),
        "{}",
        record.text("#patient-owed")
    );
    let receipt_page = d.cashier.get(&format!("/billing/payments/{receipt}/receipt")).await;
    assert_eq!(receipt_page.text("#receipt-balance"), zero);

    // The patient's side.
    let student = PATIENTS.client(&app, 0).await;
    let page = student.get("/me/invoices").await;
    assert!(page.text("#owed").contains("You owe nothing"), "{}", page.text("#owed"));
    let rows = page.texts("#my-invoices li");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert!(row.contains("Void") && !row.contains("to pay"), "{row}");
    }
    let page = student.get(&format!("/me/invoices/{untouched}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.has("#to-pay"), "{}", page.text("main"));
    assert_eq!(page.text("#balance"), zero);
    let page = student.get(&format!("/me/receipts/{receipt}")).await;
    assert_eq!(page.text("#receipt-balance"), zero);
    let home = student.get("/me").await;
    assert!(
        home.text("#my-owed").contains("Nothing owed"),
        "{}",
        home.text("#my-owed")
    );
}

/// A draft is never voided: it is discarded (after a confirmation), deleted with its lines, and uses no number.
/// The patient never sees it, nor a draft voided by an older version (a void row without a number).
async fn a_discarded_draft_is_deleted_and_never_reaches_the_patient(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Chiamaka"]).await[0];
    let started = draft(&d.cashier, patient).await;
    add_other(&d.cashier, started, "Medical report", "1", "210")
        .await
        .assert_redirect(&format!("/billing/invoices/{started}"));
    let page = d.cashier.get(&format!("/billing/invoices/{started}")).await;
    assert!(page.has("#discard form.confirm-form"), "{}", page.body);
    assert!(!page.has("form[action$='/void']"), "a draft offers no void");
    let page = void(&d.cashier, started, "Started by mistake").await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(page.body.contains("discard it instead"), "{}", page.body);
    assert_eq!(settled(&app, started).await.2, "draft");

    // Without JavaScript the discard asks on its own page first; then the draft and its lines are gone.
    let discard = format!("/billing/invoices/{started}/discard");
    let ask = d.cashier.get(&discard).await;
    ask.assert_status(StatusCode::OK);
    assert!(ask.body.contains(&format!("Discard Draft {started}")), "{}", ask.body);
    d.cashier
        .post(&discard, &[])
        .await
        .assert_redirect(&format!("/patients/{patient}"));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM invoice WHERE id = {started}"))
            .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invoice_line WHERE invoice_id = {started}"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'invoice.discard' AND record_id = {started}"
        ))
        .await,
        1
    );
    d.cashier
        .get(&format!("/billing/invoices/{started}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    d.cashier.post(&discard, &[]).await.assert_status(StatusCode::NOT_FOUND);

    // An issued invoice is never discarded; the next invoice takes the first number.
    let invoice = issued(&d.cashier, patient, "500").await;
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {invoice}")).await,
        number(&app, "INV", 1)
    );
    d.cashier
        .post(&format!("/billing/invoices/{invoice}/discard"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    assert!(
        !d.cashier
            .get(&format!("/billing/invoices/{invoice}"))
            .await
            .has("#discard")
    );

    // A draft voided before drafts were discarded: a void row without a number stays off the phone.
    let old = draft(&d.cashier, patient).await;
    add_other(&d.cashier, old, "Card replacement", "1", "100").await;
    sqlx::query("UPDATE invoice SET status = 'void', void_reason = 'Discarded' WHERE id = $1")
        .bind(old)
        .execute(app.db().pool())
        .await
        .expect("an old voided draft");
    let student = PATIENTS.client(&app, 0).await;
    let listed = student.get("/me/invoices").await.texts("#my-invoices li");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].contains(&number(&app, "INV", 1)), "{listed:?}");
    student
        .get(&format!("/me/invoices/{old}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

/// An admin adds a scheme paying 80 % of services and puts `patient` under it; the scheme's id.
async fn scheme_for(app: &TestApp, d: &Desk, patient: i64) -> i64 {
    d.admin
        .post(
            "/admin/schemes",
            &[
                ("name", "University Staff Scheme"),
                ("percent", "80"),
                ("covers_services", "1"),
                ("yearly_limit", ""),
                ("form_id", &once()),
            ],
        )
        .await
        .assert_redirect("/admin/schemes");
    let scheme = app.count("SELECT id FROM scheme").await;
    d.cashier
        .post(
            &format!("/patients/{patient}/scheme"),
            &[("scheme_id", &scheme.to_string()), ("member_number", "USS-9")],
        )
        .await
        .assert_redirect(&format!("/patients/{patient}"));
    scheme
}

/// Marks one invoice's line of the scheme's claim of this month.
async fn mark_claim(app: &TestApp, cashier: &Client, scheme: i64, invoice: i64, to: &str, reason: &str) {
    let month = app.state.today().to_string()[..7].to_owned();
    cashier
        .post(
            "/billing/claims/mark",
            &[
                ("scheme", scheme.to_string().as_str()),
                ("month", month.as_str()),
                ("invoice", invoice.to_string().as_str()),
                ("to", to),
                ("reason", reason),
            ],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

/// An invoice with the scheme's money on it (its claim sent or paid) is corrected by a credit note, never voided:
/// the claim keeps what the scheme paid. A line the scheme rejected, or not yet sent, may still be voided.
async fn an_invoice_the_scheme_paid_or_was_sent_is_never_voided(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Tunde"]).await[0];
    let scheme = scheme_for(&app, &d, patient).await;
    let paid = issued(&d.cashier, patient, "1000").await;
    let rejected = issued(&d.cashier, patient, "1000").await;
    let pending = issued(&d.cashier, patient, "1000").await;
    assert_eq!(figures(&app, paid).await[4], 80_000, "the scheme's share");
    let claims = format!(
        "/billing/claims?scheme={scheme}&month={}",
        &app.state.today().to_string()[..7]
    );

    mark_claim(&app, &d.cashier, scheme, paid, "submitted", "").await;
    let page = void(&d.cashier, paid, "Wrong patient").await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(page.body.contains("credit note"), "{}", page.body);
    mark_claim(&app, &d.cashier, scheme, paid, "paid", "").await;
    let page = d.cashier.get(&format!("/billing/invoices/{paid}")).await;
    assert!(
        !page.has("form[action$='/void']"),
        "no void offered once the scheme paid"
    );
    void(&d.cashier, paid, "Wrong patient")
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        settled(&app, paid).await.2,
        "issued",
        "the patient's share is still owed"
    );
    assert_eq!(
        text(&app, &format!("SELECT claim_status FROM invoice WHERE id = {paid}")).await,
        "paid"
    );
    // The patient's share is corrected with a credit note instead.
    credit(&d.cashier, paid, "200", "Wrong patient: their share taken off")
        .await
        .assert_redirect(&format!("/billing/invoices/{paid}"));

    // A rejected line and one never sent may be voided; the claim still shows what the scheme paid.
    mark_claim(&app, &d.cashier, scheme, rejected, "submitted", "").await;
    mark_claim(&app, &d.cashier, scheme, rejected, "rejected", "Not a member that day").await;
    for invoice in [rejected, pending] {
        void(&d.cashier, invoice, "Billed twice")
            .await
            .assert_redirect(&format!("/billing/invoices/{invoice}"));
    }
    let summary = d.cashier.get(&claims).await.text("#claim-summary");
    let c = currency(&app);
    assert!(
        summary.contains(&format!("Claimed {c} 800.00")) && summary.contains(&format!("paid {c} 800.00")),
        "{summary}"
    );
}

/// The cash a cashier's close expects, as stored: (expected, counted).
async fn close_of(app: &TestApp, username: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT c.expected, c.counted FROM cash_close c JOIN staff s ON s.id = c.cashier_id WHERE s.username = $1",
    )
    .bind(username)
    .fetch_one(app.db().pool())
    .await
    .expect("the close")
}

/// After a cashier closes their day, their payments and refunds count on their next day that is not closed: the
/// closed day's figures stay as they were, everywhere, and the next day shows the money. Other cashiers' days
/// are their own.
async fn money_after_the_close_counts_on_the_next_open_day(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Ngozi"]).await[0];
    let c = currency(&app);
    let first = issued(&d.cashier, patient, "741").await;
    let second = issued(&d.cashier, patient, "100").await;
    receipt_of(&pay(&d.cashier, first, "cash", "741", "").await);
    let today = app.state.today();
    let tomorrow = sickbay_core::db::Date(sickbay_core::db::Date::add_days(today.0, 1));
    d.cashier
        .post(
            "/billing/day/close",
            &[("day", &today.to_string()), ("counted", "741"), ("note", "")],
        )
        .await
        .assert_redirect(&format!("/billing/day?day={today}"));

    // A cash payment and a cash refund after the close.
    let page = pay(&d.cashier, second, "cash", "10", "").await;
    let late = receipt_of(&page);
    let receipt = d.cashier.get(page.location().unwrap_or_default()).await;
    assert!(
        receipt.text("#messages").contains("counts in the takings of"),
        "{}",
        receipt.text("#messages")
    );
    refund(&d.cashier, first, "cash", "1", "Overcharged", true)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let days = texts(&app, "SELECT day FROM payment ORDER BY id").await;
    assert_eq!(
        days,
        vec![today.to_string(), tomorrow.to_string(), tomorrow.to_string()],
        "the late payment {late} and the refund count tomorrow"
    );

    // The closed day reads as it did at the close.
    assert_eq!(close_of(&app, "desk.bisi").await, (74_100, 74_100));
    let page = d.cashier.get("/billing/day").await;
    let mine = page.text("#my-close");
    assert!(
        mine.contains(&format!("Expected {c} 741.00")) && mine.contains(&format!("Difference {c} 0.00")),
        "{mine}"
    );
    assert_eq!(
        row_of(&page, "Test desk.bisi"),
        format!("Test desk.bisi {c} 741.00 {c} 741.00 {c} 741.00 {c} 0.00")
    );
    assert_eq!(page.texts("#day-payments tbody tr").len(), 1);
    assert!(page.text("#day-net").contains("741.00"));

    // Tomorrow holds the late money, and is open.
    let next = d.cashier.get(&format!("/billing/day?day={tomorrow}")).await;
    assert_eq!(next.texts("#day-payments tbody tr").len(), 2);
    assert_eq!(next.text("#my-cash"), format!("{c} 9.00"));
    assert!(next.has("#close-day"));

    // The admin has not closed today: their payment counts today, beside the closed one.
    let third = issued(&d.cashier, patient, "50").await;
    receipt_of(&pay(&d.admin, third, "cash", "50", "").await);
    assert_eq!(
        text(&app, "SELECT day FROM payment ORDER BY id DESC LIMIT 1").await,
        today.to_string()
    );
    assert_eq!(close_of(&app, "desk.bisi").await, (74_100, 74_100));
}

/// A close sent while payments are being taken: whatever the order, the close's expected cash is exactly the
/// cashier's cash of the day as the database holds it, and every payment counts today or on the next day.
async fn a_close_racing_payments_stays_true(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Sade"]).await[0];
    let mut forms = Vec::new();
    for _ in 0..8 {
        let invoice = issued(&d.cashier, patient, "100").await;
        let mut form = pay_form(&d.cashier, invoice).await;
        form.set("method", "cash").set("amount", "100");
        forms.push((invoice, form));
    }
    let today = app.state.today().to_string();
    let mut tasks = Vec::new();
    for (n, (invoice, form)) in forms.into_iter().enumerate() {
        let cashier = d.cashier.clone();
        let today = today.clone();
        tasks.push(tokio::spawn(async move {
            if n == 4 {
                let page = cashier
                    .post(
                        "/billing/day/close",
                        &[
                            ("day", today.as_str()),
                            ("counted", "400"),
                            ("note", "Counted mid-rush"),
                        ],
                    )
                    .await;
                assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
            }
            let page = cashier
                .post(&format!("/billing/invoices/{invoice}/payments"), &form.fields())
                .await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 8);
    let (expected, _) = close_of(&app, "desk.bisi").await;
    let held = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payment WHERE day = '{today}' AND method = 'cash'"
        ))
        .await;
    assert_eq!(expected, held, "the close expects exactly the day's cash");
    let later = app
        .count(&format!("SELECT COUNT(*) FROM payment WHERE day > '{today}'"))
        .await;
    assert_eq!(
        later * 10_000 + held,
        80_000,
        "every payment counts today or the next day"
    );
}

/// Every amount typed into a form goes through one parser with one limit (100,000,000 in major units, compared
/// in minor units): the cash counted, prices of every catalogue, payments, refunds, credit notes and typed lines.
async fn every_amount_field_keeps_to_one_limit(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Yemi"]).await[0];
    let today = app.state.today().to_string();
    let too_much = ["100000000.01", "1,000,000,000,000,000", "99999999999999999999"];

    for counted in too_much {
        let page = d
            .cashier
            .post(
                "/billing/day/close",
                &[("day", &today), ("counted", counted), ("note", "")],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text("#counted-error").contains("too large"),
            "{counted}: {}",
            page.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM cash_close").await, 0);

    for price in too_much {
        let form_id = d
            .admin
            .get("/admin/procedures")
            .await
            .attr("input[name=form_id]", "value");
        let page = d
            .admin
            .post(
                "/admin/procedures",
                &[
                    ("name", "Wound dressing"),
                    ("price", price),
                    ("active", "1"),
                    ("form_id", &form_id.unwrap_or_else(once)),
                ],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let page = add_test(&d.admin, &[("name", "Platelets"), ("price", price)]).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text("#price-error").contains("too large"), "{}", page.body);
        let page = d
            .admin
            .post(
                "/admin/fees",
                &[("name", "Medical report"), ("price", price), ("form_id", &once())],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The limit itself is accepted.
    add_procedure(&app, &d.admin, "Wound dressing", "100,000,000").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM lab_test").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM fee WHERE kind = 'service'").await, 0);

    // The pharmacy's prices and costs.
    let pharmacist = app.login_as("pharm.limit", Role::Pharmacist).await;
    let drug_form = pharmacist
        .get("/pharmacy/drugs/new")
        .await
        .attr("input[name=form_id]", "value")
        .expect("the drug form");
    let page = pharmacist
        .post(
            "/pharmacy/drugs",
            &[
                ("form_id", drug_form.as_str()),
                ("name", "Amoxil"),
                ("generic_name", "amoxicillin"),
                ("form", "capsule"),
                ("strength", "500 mg"),
                ("unit", "capsule"),
                ("unit_price", "100000000.01"),
                ("reorder_level", "50"),
                ("active", "1"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#unit_price-error").contains("too large"), "{}", page.body);
    let drug = add_drug(&app, "Amoxil", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let expiry = sickbay_core::db::Date(sickbay_core::db::Date::add_days(app.state.today().0, 365)).to_string();
    let page = pharmacist
        .post(
            &format!("/pharmacy/drugs/{drug}/batches"),
            &[
                ("batch_number", "B1"),
                ("quantity", "10"),
                ("expires_on", expiry.as_str()),
                ("cost_price", "100000000.01"),
                ("supplier", "Emzor"),
                ("received_on", ""),
                ("form_id", &once()),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#cost_price-error").contains("too large"), "{}", page.body);

    // Money at the desk, and a typed line.
    let invoice = issued(&d.cashier, patient, "500").await;
    let page = pay(&d.cashier, invoice, "cash", "100000000.01", "").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#amount-error").contains("too large"), "{}", page.body);
    let open = draft(&d.cashier, patient).await;
    let page = add_other(&d.cashier, open, "Report", "1", "100000000.01").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#unit_price-error").contains("too large"), "{}", page.body);
    let page = credit(&d.cashier, invoice, "100000000.01", "Goodwill").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM credit_note").await, 0);
}

/// A payment form is tied to the invoice as it was shown: sent again after the invoice changed (back, then
/// "Take payment" again with a new form id; a second tab) it is refused with 409 and the balance now, and
/// nothing is taken. Refund and credit note forms likewise. The same form sent twice still answers with the
/// first payment.
async fn a_stale_payment_form_is_refused_with_the_balance_now(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Kunle"]).await[0];
    let c = currency(&app);
    let invoice = issued(&d.cashier, patient, "1000").await;
    let path = format!("/billing/invoices/{invoice}/payments");
    let mut shown = pay_form(&d.cashier, invoice).await;
    shown.set("method", "cash").set("amount", "300");
    let mut other_tab = pay_form(&d.cashier, invoice).await;
    other_tab.set("method", "card").set("amount", "300");
    let first = receipt_of(&d.cashier.post(&path, &shown.fields()).await);
    // The same form again: the first payment's receipt.
    assert_eq!(receipt_of(&d.cashier.post(&path, &shown.fields()).await), first);
    // The same form with a new one-time id (a page shown again), and a second tab: refused, nothing taken.
    let mut again = shown.clone();
    again.set("form_id", once());
    for form in [&again, &other_tab] {
        let page = d.cashier.post(&path, &form.fields()).await;
        page.assert_status(StatusCode::CONFLICT);
        let notice = page.text("#invoice-changed");
        assert!(
            notice.contains("Nothing was done") && notice.contains(&format!("The balance is now {c} 700.00")),
            "{notice}"
        );
        assert_eq!(page.text("#balance"), format!("{c} 700.00"));
        let fresh = FormFields::of(&page, "#pay form");
        assert_eq!(fresh.value("amount"), "700.00", "the fresh form offers the balance now");
        assert_ne!(fresh.value("seen"), form.value("seen"));
    }
    // A form with no version, or a version that doesn't read, is out of date too.
    let mut unversioned = pay_form(&d.cashier, invoice).await;
    unversioned.set("seen", "").set("form_id", once());
    d.cashier
        .post(&path, &unversioned.fields())
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 1);
    assert_eq!(settled(&app, invoice).await, (30_000, 0, "partly_paid".to_owned()));

    // Refund and credit forms shown before a change are refused the same way.
    let page = d.cashier.get(&format!("/billing/invoices/{invoice}")).await;
    let seen = seen_of(&page);
    receipt_of(&pay(&d.cashier, invoice, "cash", "100", "").await);
    for (action, fields) in [
        (
            "refunds",
            vec![
                ("method", "cash"),
                ("amount", "50"),
                ("reason", "Overcharged"),
                ("credit", "1"),
            ],
        ),
        ("credit", vec![("amount", "50"), ("reason", "Goodwill")]),
    ] {
        let form_id = once();
        let mut all = fields.clone();
        all.push(("form_id", form_id.as_str()));
        all.push(("seen", seen.as_str()));
        let page = d
            .cashier
            .post(&format!("/billing/invoices/{invoice}/{action}"), &all)
            .await;
        page.assert_status(StatusCode::CONFLICT);
        assert!(
            page.text("#invoice-changed").contains(&format!("{c} 600.00")),
            "{}",
            page.body
        );
    }
    assert_eq!(settled(&app, invoice).await, (40_000, 0, "partly_paid".to_owned()));
    assert_eq!(app.count("SELECT COUNT(*) FROM credit_note").await, 0);
}

/// Two submits of one stale form at once (each with its own one-time id, as a page shown twice sends): exactly
/// one payment is taken, the other is refused; the database holds one payment and the invoice's figures agree.
async fn two_submits_of_one_stale_form_at_once_take_one_payment(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Dayo"]).await[0];
    for round in 0..4 {
        let invoice = issued(&d.cashier, patient, "1000").await;
        let mut form = pay_form(&d.cashier, invoice).await;
        form.set("method", "cash").set("amount", "300");
        let mut tasks = Vec::new();
        for n in 0..2 {
            let cashier = if n == 0 { d.cashier.clone() } else { d.admin.clone() };
            let mut form = form.clone();
            form.set("form_id", once());
            tasks.push(tokio::spawn(async move {
                let page = cashier
                    .post(&format!("/billing/invoices/{invoice}/payments"), &form.fields())
                    .await;
                (page.status, page.body)
            }));
        }
        let mut taken = 0;
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match status {
                StatusCode::SEE_OTHER => taken += 1,
                StatusCode::CONFLICT => assert!(body.contains("700.00"), "{body}"),
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!(taken, 1, "round {round}");
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payment WHERE invoice_id = {invoice}"))
                .await,
            1
        );
        assert_eq!(settled(&app, invoice).await, (30_000, 0, "partly_paid".to_owned()));
    }
}

/// A visit that comes to nothing (a free consultation and nothing charged) makes no invoice: its bill says so
/// and offers no button, billing it anyway is refused with the same words, no number is used, and the billing
/// home leaves it out of the visits to bill and says how many it left out. With "dispense only when paid", its
/// free drugs are dispensed.
async fn a_visit_that_comes_to_nothing_makes_no_invoice(app: TestApp) {
    let d = desk(&app).await;
    let ids = PATIENTS.named(&app, &["Femi", "Gloria"]).await;
    let free = completed_visit(&d.doctor, ids[0]).await;
    let page = d.cashier.get(&format!("/billing/visits/{free}")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text("#nothing-to-bill").contains("Nothing to bill"),
        "{}",
        page.body
    );
    assert!(!page.has("#issue-invoice"));
    let page = d
        .cashier
        .post(&format!("/billing/visits/{free}"), &[("form_id", &once())])
        .await;
    page.assert_status(StatusCode::CONFLICT);
    assert!(
        page.text("#nothing-to-bill").contains("no invoice is made"),
        "{}",
        page.body
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoice").await, 0);

    // A priced test makes the other visit billable; the home lists it and says one free visit is left out.
    let hb = lab_test(&app, &d.admin, "Haemoglobin", "1500").await;
    let priced = new_visit(&d.doctor, ids[1]).await;
    order(&app, &d.doctor, priced, hb).await;
    complete(&d.doctor, priced).await;
    let home = d.cashier.get("/billing").await;
    let listed = home.texts("#unbilled tbody tr");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(home.has(&format!("#unbilled a[href='/billing/visits/{priced}']")));
    assert!(
        home.text("#free-visits")
            .starts_with("1 completed visit of the last week was free of charge: it needs no invoice")
    );
    let invoice = bill(&d.cashier, priced).await;
    assert_eq!(
        text(&app, &format!("SELECT number FROM invoice WHERE id = {invoice}")).await,
        number(&app, "INV", 1),
        "the free visit used no number"
    );

    // With "dispense only when paid", a visit whose drugs are free has nothing to pay: the pharmacy dispenses.
    app.set_setting("billing_dispense_only_when_paid", "1").await;
    let drug = add_drug(&app, "Vitamin C", "ascorbic acid", DrugForm::Tablet, "100 mg").await;
    sqlx::query("UPDATE drug SET unit_price = 0 WHERE id = $1")
        .bind(drug)
        .execute(app.db().pool())
        .await
        .expect("a free drug");
    add_batch(&app, drug, 100, 365).await;
    let visit = new_visit(&d.doctor, ids[0]).await;
    prescribe(&d.doctor, visit, (drug, "1 tablet"), 10).await;
    complete(&d.doctor, visit).await;
    let pharmacist = app.login_as("pharm.free", Role::Pharmacist).await;
    let worklist = pharmacist.get("/pharmacy/prescriptions").await;
    assert!(worklist.text("main").contains("Nothing to pay"), "{}", worklist.body);
    let rx = app
        .count(&format!("SELECT id FROM prescription WHERE visit_id = {visit}"))
        .await;
    let page = pharmacist.get(&format!("/pharmacy/prescriptions/{rx}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.has("#dispense-problem"), "{}", page.text("#dispense-problem"));
}

/// The patient's receipts say in words what each is, with its date, not only their codes.
async fn a_patients_receipts_say_what_each_is(app: TestApp) {
    let d = desk(&app).await;
    let patient = PATIENTS.named(&app, &["Bisola"]).await[0];
    let c = currency(&app);
    let invoice = issued(&d.cashier, patient, "400").await;
    receipt_of(&pay(&d.cashier, invoice, "cash", "400", "").await);
    refund(&d.cashier, invoice, "cash", "100", "Test not done", true)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let student = PATIENTS.client(&app, 0).await;
    let page = student.get("/me/invoices").await;
    let receipts = page.texts("#my-receipts li");
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    let invoice_number = number(&app, "INV", 1);
    assert!(
        receipts[0].starts_with(&format!("Refund to you of {c} 100.00"))
            && receipts[0].contains("Cash")
            && receipts[0].contains(&invoice_number)
            && receipts[0].contains(&number(&app, "RFD", 1)),
        "{}",
        receipts[0]
    );
    assert!(
        receipts[1].starts_with(&format!("Receipt for your payment of {c} 400.00"))
            && receipts[1].contains(&number(&app, "RCT", 1)),
        "{}",
        receipts[1]
    );
    assert!(!receipts[0].contains("-100.00"), "no negative amounts: {}", receipts[0]);
    let zone = app.state.settings.get().clinic.time_zone;
    let times: Vec<i64> = sqlx::query_scalar("SELECT received_at FROM payment ORDER BY id DESC")
        .fetch_all(app.db().pool())
        .await
        .expect("when");
    for (receipt, at) in receipts.iter().zip(times) {
        let when = sickbay::web::filters::datetime_of(sickbay_core::db::Timestamp(at), zone);
        assert!(receipt.contains(&when), "{receipt} has its date {when}");
    }
    let page = student.get(&format!("/me/invoices/{invoice}")).await;
    let listed = page.texts("#payments li");
    assert!(
        listed[1].starts_with(&format!("Refund to you of {c} 100.00")),
        "{listed:?}"
    );
}
