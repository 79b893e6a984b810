//! The drug catalogue: pharmacists and admins keep it; entries are checked and unique by name, form and
//! strength; stock on hand leaves out expired batches.

use reqwest::StatusCode;
use sickbay_core::db::{Date, Money};
use sickbay_core::identity::{Actor, Role};
use sickbay_core::pharmacy::model::stock::Receipt;
use sickbay_core::pharmacy::model::{DrugForm, DrugInput};
use sickbay_core::pharmacy::service as pharmacy;

use crate::support::{Client, Students, TestApp, on_both_databases};

const STUDENTS: Students = Students::new("PH", "Pharm");

on_both_databases!(
    a_pharmacist_adds_finds_and_edits_a_drug,
    bad_and_duplicate_entries_are_refused_with_messages,
    a_double_submitted_add_creates_one_drug,
    stock_on_hand_leaves_out_expired_batches,
    only_pharmacists_and_admins_keep_the_catalogue,
    the_catalogue_is_searched_without_accents_or_case,
    the_catalogue_lists_what_to_reorder_and_sorts_by_stock,
);
on_both_databases!(empty: the_demo_fills_the_catalogue_with_stock_to_watch);

/// A drug straight through the service; its id.
pub async fn add_drug(app: &TestApp, name: &str, generic: &str, form: DrugForm, strength: &str) -> i64 {
    let drug = DrugInput {
        name: name.to_owned(),
        generic_name: generic.to_owned(),
        form,
        strength: strength.to_owned(),
        unit: form.as_str().to_owned(),
        unit_price: Money(5_000),
        reorder_level: 20,
        shelf: "A1".to_owned(),
        active: true,
    };
    pharmacy::create_drug(app.db(), &Actor::system("test"), &drug)
        .await
        .expect("drug")
}

/// A batch of `quantity` units of `drug` expiring `days` from today (before today when negative).
pub async fn add_batch(app: &TestApp, drug: i64, quantity: i64, days: i64) -> i64 {
    let today = app.state.settings.get().today();
    let batch = Receipt {
        batch_number: format!("B{drug}-{days}"),
        quantity,
        expires_on: Date(Date::add_days(today, days)),
        received_on: Date(Date::add_days(today, -30)),
        cost_price: Money(1_000),
        supplier: "Emzor".to_owned(),
    };
    pharmacy::receive(app.db(), &Actor::system("test"), drug, &batch)
        .await
        .expect("batch")
}

/// The add form's one-time id.
async fn new_form_id(client: &Client) -> String {
    let page = client.get("/pharmacy/drugs/new").await;
    page.assert_status(StatusCode::OK);
    page.attr("input[name=form_id]", "value").expect("form id")
}

fn fields<'a>(
    form_id: &'a str,
    name: &'a str,
    form: &'a str,
    strength: &'a str,
    price: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form_id", form_id),
        ("name", name),
        ("generic_name", "amoxicillin"),
        ("form", form),
        ("strength", strength),
        ("unit", "capsule"),
        ("unit_price", price),
        ("reorder_level", "50"),
        ("active", "1"),
    ]
}

async fn a_pharmacist_adds_finds_and_edits_a_drug(app: TestApp) {
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let empty = pharmacist.get("/pharmacy/drugs").await;
    empty.assert_status(StatusCode::OK);
    assert!(empty.text("#results").contains("No drugs yet"));

    let form_id = new_form_id(&pharmacist).await;
    pharmacist
        .post(
            "/pharmacy/drugs",
            &fields(&form_id, "Amoxil", "capsule", "500 mg", "1,250.50"),
        )
        .await
        .assert_redirect("/pharmacy/drugs?q=Amoxil");
    let list = pharmacist.get("/pharmacy/drugs?q=Amoxil").await;
    assert!(
        list.text("#messages")
            .contains("Amoxil 500 mg capsule is in the catalogue")
    );
    let row = list.text(".drug-table tbody tr");
    assert!(row.contains("Amoxil 500 mg") && row.contains("1,250.50"), "{row}");
    assert_eq!(list.text(".stock-on-hand"), "0 capsules");

    // Search as you type: by the generic name, and only the results for htmx.
    let fragment = pharmacist
        .get_with("/pharmacy/drugs?q=AMOXI", &[("HX-Request", "true")])
        .await;
    fragment.assert_status(StatusCode::OK);
    assert!(!fragment.has("h1"), "a fragment, not the page");
    assert_eq!(fragment.texts(".drug-table tbody tr").len(), 1);
    let none = pharmacist.get("/pharmacy/drugs?q=zzz").await;
    assert!(none.text("#results").contains("No drug matches"));

    // Edit: the price and deactivation.
    let id = app.count("SELECT id FROM drug WHERE name = 'Amoxil'").await;
    let edit = pharmacist.get(&format!("/pharmacy/drugs/{id}")).await;
    edit.assert_status(StatusCode::OK);
    assert_eq!(edit.attr("#unit_price", "value").as_deref(), Some("1,250.50"));
    let version = edit.attr("input[name=version]", "value").expect("version");
    let mut changed = fields("", "Amoxil", "capsule", "500 mg", "1300");
    changed.retain(|(k, _)| *k != "active" && *k != "form_id");
    changed.push(("version", &version));
    pharmacist
        .post(&format!("/pharmacy/drugs/{id}"), &changed)
        .await
        .assert_redirect("/pharmacy/drugs?q=Amoxil");
    assert_eq!(
        app.count(&format!("SELECT unit_price FROM drug WHERE id = {id}")).await,
        130_000
    );
    assert_eq!(app.count(&format!("SELECT active FROM drug WHERE id = {id}")).await, 0);
    let inactive = pharmacist.get("/pharmacy/drugs?q=Amoxil").await;
    assert!(inactive.text(".drug-table tbody tr").contains("Inactive"));

    // The same edit form sent again is stale: someone (this user) changed the entry since.
    pharmacist
        .post(&format!("/pharmacy/drugs/{id}"), &changed)
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('drug.create', 'drug.update')")
            .await,
        2
    );
    pharmacist
        .get("/pharmacy/drugs/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

async fn bad_and_duplicate_entries_are_refused_with_messages(app: TestApp) {
    let admin = app.admin().await;
    add_drug(&app, "Amoxil", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let before = app.count("SELECT COUNT(*) FROM drug").await;

    // The same name, form and strength in another case is a duplicate, said beside the name.
    let form_id = new_form_id(&admin).await;
    let page = admin
        .post(
            "/pharmacy/drugs",
            &fields(&form_id, "AMOXIL", "capsule", "500 MG", "10"),
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text("#name-error").contains("already in the catalogue"),
        "{}",
        page.body
    );
    assert_eq!(
        page.attr("#name", "value").as_deref(),
        Some("AMOXIL"),
        "what was typed is kept"
    );
    // Another strength or form is another entry.
    let form_id = new_form_id(&admin).await;
    admin
        .post(
            "/pharmacy/drugs",
            &fields(&form_id, "Amoxil", "suspension", "125 mg/5 ml", "10"),
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);

    for (field, value) in [
        ("name", ""),
        ("form", "pill"),
        ("unit_price", "-5"),
        ("unit_price", "12.345"),
        ("unit_price", "cheap"),
        ("reorder_level", "-1"),
        ("reorder_level", "lots"),
    ] {
        let form_id = new_form_id(&admin).await;
        let mut sent = fields(&form_id, "Ciprotab", "tablet", "500 mg", "10");
        for pair in sent.iter_mut() {
            if pair.0 == field {
                pair.1 = value;
            }
        }
        let page = admin.post("/pharmacy/drugs", &sent).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.has(&format!("#{field}-error")), "{field} = {value:?}");
    }
    let long = "x".repeat(200);
    let form_id = new_form_id(&admin).await;
    admin
        .post("/pharmacy/drugs", &fields(&form_id, &long, "tablet", "", ""))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM drug").await, before + 1);
}

async fn a_double_submitted_add_creates_one_drug(app: TestApp) {
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let form_id = new_form_id(&pharmacist).await;
    let sent = fields(&form_id, "Flagyl", "tablet", "400 mg", "20");
    let (a, b) = tokio::join!(
        pharmacist.post("/pharmacy/drugs", &sent),
        pharmacist.post("/pharmacy/drugs", &sent)
    );
    a.assert_redirect("/pharmacy/drugs?q=Flagyl");
    b.assert_redirect("/pharmacy/drugs?q=Flagyl");
    pharmacist
        .post("/pharmacy/drugs", &sent)
        .await
        .assert_redirect("/pharmacy/drugs?q=Flagyl");
    assert_eq!(app.count("SELECT COUNT(*) FROM drug").await, 1);
    // A damaged form id is refused.
    let mut damaged = sent.clone();
    damaged[0].1 = "not-an-id";
    pharmacist
        .post("/pharmacy/drugs", &damaged)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

async fn stock_on_hand_leaves_out_expired_batches(app: TestApp) {
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    let ors = add_drug(&app, "ORS", "oral rehydration salts", DrugForm::Other, "").await;
    let gloves = add_drug(&app, "Gloves", "", DrugForm::Consumable, "medium").await;
    add_batch(&app, paracetamol, 100, 200).await;
    add_batch(&app, paracetamol, 40, 0).await; // usable through its expiry day
    add_batch(&app, paracetamol, 500, -1).await; // expired yesterday
    add_batch(&app, ors, 15, -10).await;
    add_batch(&app, gloves, 5, 90).await;
    let today = Date(app.state.settings.get().today());
    let stock = pharmacy::stock_on_hand(app.db(), &[paracetamol, ors, gloves, 999], today)
        .await
        .expect("stock");
    assert_eq!(stock[&paracetamol], 140);
    assert_eq!(stock[&ors], 0);
    assert_eq!(stock[&gloves], 5);
    assert_eq!(stock[&999], 0);

    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let list = pharmacist.get("/pharmacy/drugs").await;
    let rows = list.texts(".drug-table tbody tr");
    let row = |name: &str| rows.iter().find(|r| r.starts_with(name)).cloned().expect(name);
    assert!(row("Paracetamol").contains("140 tablet"), "{}", row("Paracetamol"));
    assert!(row("ORS").contains("out of stock"), "{}", row("ORS"));
    assert!(row("Gloves").contains("low"), "{}", row("Gloves"));

    // The prescription form's search offers active drugs only, never consumables, with stock.
    let found = pharmacy::search_drugs(app.db(), "para", today).await.expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].on_hand, 140);
    assert!(
        pharmacy::search_drugs(app.db(), "glov", today)
            .await
            .expect("search")
            .is_empty()
    );
    assert!(
        pharmacy::search_drugs(app.db(), "  ", today)
            .await
            .expect("search")
            .is_empty()
    );
}

/// The catalogue shows all entries, those to reorder (offered, at or below their reorder level) or those no
/// longer offered, by name or the fewest on hand first; each link keeps the other choice and the search.
async fn the_catalogue_lists_what_to_reorder_and_sorts_by_stock(app: TestApp) {
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_drug(&app, "ORS", "oral rehydration salts", DrugForm::Other, "").await;
    let gloves = add_drug(&app, "Gloves", "", DrugForm::Consumable, "medium").await;
    let ibuprofen = add_drug(&app, "Ibuprofen", "ibuprofen", DrugForm::Tablet, "400 mg").await;
    add_batch(&app, paracetamol, 140, 200).await;
    add_batch(&app, gloves, 5, 90).await;
    sqlx::query("UPDATE drug SET active = 0 WHERE id = $1")
        .bind(ibuprofen)
        .execute(app.db().pool())
        .await
        .expect("not offered");
    let pharmacist = app.login_as("pharm", Role::Pharmacist).await;
    let names = |page: &crate::support::Page| -> Vec<String> {
        let rows = page.texts(".drug-table tbody tr td:first-child");
        rows.iter()
            .map(|r| r.split_whitespace().next().unwrap_or_default().to_owned())
            .collect()
    };
    for (query, expected, current) in [
        ("", vec!["Gloves", "ORS", "Paracetamol", "Ibuprofen"], "All"),
        ("?show=reorder", vec!["Gloves", "ORS"], "To reorder"),
        ("?show=reorder&sort=stock", vec!["ORS", "Gloves"], "To reorder"),
        ("?sort=stock", vec!["ORS", "Gloves", "Paracetamol", "Ibuprofen"], "All"),
        ("?show=inactive", vec!["Ibuprofen"], "Not offered"),
        ("?q=or&show=reorder", vec!["ORS"], "To reorder"),
        (
            "?show=everything&sort=price",
            vec!["Gloves", "ORS", "Paracetamol", "Ibuprofen"],
            "All",
        ),
    ] {
        let page = pharmacist.get(&format!("/pharmacy/drugs{query}")).await;
        page.assert_status(StatusCode::OK);
        assert_eq!(names(&page), expected, "{query}");
        assert_eq!(page.text("#catalogue-show a[aria-current=page]"), current, "{query}");
    }
    // The links keep what else was chosen: the search, which entries, the order.
    let page = pharmacist.get("/pharmacy/drugs?q=or&show=reorder").await;
    assert_eq!(
        page.attr(".drug-table th[scope=col] a.sort-link[href*=sort]", "href")
            .as_deref(),
        Some("/pharmacy/drugs?q=or&show=reorder&sort=stock")
    );
    let page = pharmacist.get("/pharmacy/drugs?sort=stock").await;
    let shows: Vec<String> = ["/pharmacy/drugs?sort=stock", "/pharmacy/drugs?show=reorder&sort=stock"]
        .map(String::from)
        .into();
    let links: Vec<String> = (1..=2)
        .filter_map(|n| page.attr(&format!("#catalogue-show a:nth-child({n})"), "href"))
        .collect();
    assert_eq!(links, shows);
    assert!(page.has(".drug-table th[aria-sort=ascending] a[href='/pharmacy/drugs?sort=stock']"));
    let empty = pharmacist.get("/pharmacy/drugs?q=zzz&show=inactive").await;
    assert!(
        empty.text("#results").contains("No drug matches"),
        "{}",
        empty.text("#results")
    );
}

async fn only_pharmacists_and_admins_keep_the_catalogue(app: TestApp) {
    let id = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    app.admin()
        .await
        .get("/pharmacy/drugs")
        .await
        .assert_status(StatusCode::OK);
    let doctor = app.login_as("dr.who", Role::Doctor).await;
    let lab = app.login_as("lab", Role::Lab).await;
    let reception = app.login_as("desk", Role::Reception).await;
    STUDENTS.named(&app, &["Ada"]).await;
    let student = STUDENTS.client(&app, 0).await;
    for client in [&doctor, &lab, &reception, &student] {
        for path in [
            "/pharmacy/drugs".to_owned(),
            "/pharmacy/drugs/new".to_owned(),
            format!("/pharmacy/drugs/{id}"),
        ] {
            client.get(&path).await.assert_status(StatusCode::FORBIDDEN);
        }
        let page = client
            .post("/pharmacy/drugs", &fields("", "Sneaky", "tablet", "1 mg", "1"))
            .await;
        page.assert_status(StatusCode::FORBIDDEN);
    }
    app.client()
        .get("/pharmacy/drugs")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT COUNT(*) FROM drug").await, 1);
}

async fn the_demo_fills_the_catalogue_with_stock_to_watch(app: TestApp) {
    let options = sickbay_core::demo::Options {
        size: sickbay_core::demo::Size::Small,
        seed: sickbay_core::demo::DEFAULT_SEED,
    };
    let demo = sickbay_core::demo::run(app.db(), &options).await.expect("demo");
    assert!(app.count("SELECT COUNT(*) FROM drug").await >= 30);
    assert!(app.count("SELECT COUNT(*) FROM drug WHERE form = 'consumable'").await >= 3);
    let today = Date(app.state.settings.get().today()).to_string();
    assert!(
        app.count(&format!("SELECT COUNT(*) FROM drug_batch WHERE expires_on < '{today}'"))
            .await
            > 0,
        "some batches have expired"
    );
    let login = demo
        .logins
        .iter()
        .find(|l| l.role == "Pharmacist")
        .expect("a pharmacist login");
    let pharmacist = app.client();
    pharmacist
        .login_ok(&login.login, sickbay_core::demo::model::PASSWORD)
        .await;
    let page = pharmacist.get("/pharmacy/drugs?q=a").await;
    page.assert_status(StatusCode::OK);
    let statuses = page.texts(".drug-table tbody td:nth-last-child(2)").join(" ");
    assert!(statuses.contains("low"), "{statuses}");
    assert!(statuses.contains("out of stock"), "{statuses}");
}

async fn the_catalogue_is_searched_without_accents_or_case(app: TestApp) {
    add_drug(&app, "Céfuroxime", "CÉFUROXIME AXÉTIL", DrugForm::Tablet, "250 mg").await;
    add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    let pharmacist = app.login_as("pharm.search", Role::Pharmacist).await;
    for typed in ["cefurox", "CÉFU", "axetil", "roxime ax"] {
        let page = pharmacist.get(&format!("/pharmacy/drugs?q={typed}")).await;
        page.assert_status(StatusCode::OK);
        let rows = page.texts(".drug-table tbody tr td:first-child");
        assert_eq!(rows, ["Céfuroxime 250 mg"], "{typed}");
    }
    // A wildcard typed is a character, not a wildcard.
    let page = pharmacist.get("/pharmacy/drugs?q=%25").await;
    assert!(!page.has(".drug-table"), "{}", page.body);
}
