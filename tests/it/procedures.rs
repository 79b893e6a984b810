//! Procedures: the admin's catalogue (validation, names unique in any case, one-time form ids, stale edits)
//! and procedures recorded in a visit by its doctor only, while it is open.

use reqwest::StatusCode;
use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::pharmacy::{add_batch, add_drug};

use crate::support::{Client, Page, Students, TestApp, doctor, on_both_databases};

on_both_databases!(
    the_catalogue_is_kept_by_admins_with_clear_messages,
    the_visits_doctor_records_procedures_while_the_visit_is_open,
    a_procedures_supplies_leave_the_shelf_through_the_ledger,
    a_procedure_sent_twice_is_recorded_once_and_its_supplies_leave_once,
);

const PATIENTS: Students = Students::new("PR", "Procedure");

/// Adds a procedure on the admin's page (a fresh form); its id.
pub(crate) async fn add_procedure(app: &TestApp, admin: &Client, name: &str, price: &str) -> i64 {
    let form_id = form_id(&admin.get("/admin/procedures").await);
    admin
        .post(
            "/admin/procedures",
            &[("name", name), ("price", price), ("active", "1"), ("form_id", &form_id)],
        )
        .await
        .assert_redirect("/admin/procedures");
    app.count(&format!("SELECT id FROM procedure_type WHERE name = '{name}'"))
        .await
}

fn form_id(page: &Page) -> String {
    page.attr("input[name=form_id]", "value").expect("a form id")
}

/// A doctor opens a visit with the patient from their record ("New visit"); the visit's id.
pub(crate) async fn open_visit(doctor: &Client, patient: i64) -> i64 {
    let page = doctor.post(&format!("/patients/{patient}/visits"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().expect("to the visit").to_owned();
    location
        .strip_prefix("/visits/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a visit: {location}"))
}

async fn the_catalogue_is_kept_by_admins_with_clear_messages(app: TestApp) {
    let admin = app.admin().await;
    assert_eq!(
        admin.get("/admin").await.attr("#procedures-link", "href").as_deref(),
        Some("/admin/procedures"),
        "the admin's home leads to the catalogue"
    );
    let page = admin.get("/admin/procedures").await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#no-procedures"), "the empty catalogue says what to do");

    // Added once, even when the same form is sent twice.
    let form = form_id(&page);
    let fields = [
        ("name", "  Wound   dressing "),
        ("price", "1,500"),
        ("active", "1"),
        ("form_id", form.as_str()),
    ];
    admin
        .post("/admin/procedures", &fields)
        .await
        .assert_redirect("/admin/procedures");
    admin
        .post("/admin/procedures", &fields)
        .await
        .assert_redirect("/admin/procedures");
    assert_eq!(app.count("SELECT COUNT(*) FROM procedure_type").await, 1);
    assert_eq!(
        app.count("SELECT price FROM procedure_type WHERE name = 'Wound dressing'")
            .await,
        150_000,
        "the price is kept in minor units of the clinic's currency (two digits by default)"
    );
    let list = admin.get("/admin/procedures").await;
    assert_eq!(list.text("#procedure-types tbody td.num"), "NGN 1,500.00");

    // The same name in another case is refused beside the field.
    let page = admin
        .post(
            "/admin/procedures",
            &[
                ("name", "WOUND dressing"),
                ("price", "100"),
                ("form_id", &form_id(&list)),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#name-error").contains("already"), "{}", page.body);
    assert_eq!(
        page.attr("#name", "value").as_deref(),
        Some("WOUND dressing"),
        "what was typed stays"
    );

    // Every bad field says how to fix it.
    for (name, price, field) in [
        ("", "100", "name"),
        ("X", "100", "name"),
        ("Injection", "", "price"),
        ("Injection", "abc", "price"),
        ("Injection", "-5", "price"),
        ("Injection", "1.234", "price"),
        ("Injection", "99999999999", "price"),
    ] {
        let page = admin
            .post("/admin/procedures", &[("name", name), ("price", price)])
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.has(&format!("#{field}-error")),
            "{name:?} {price:?}: {}",
            page.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM procedure_type").await, 1);

    // Editing: price, name and active; a stale form is refused; a duplicate name is refused.
    let id = app.count("SELECT id FROM procedure_type").await;
    let other = add_procedure(&app, &admin, "Nebulisation", "2500").await;
    let edit = admin.get(&format!("/admin/procedures/{id}")).await;
    edit.assert_status(StatusCode::OK);
    assert_eq!(edit.attr("#price", "value").as_deref(), Some("1,500.00"));
    let version = edit.attr("input[name=version]", "value").expect("version");
    admin
        .post(
            &format!("/admin/procedures/{id}"),
            &[
                ("name", "Wound dressing (large)"),
                ("price", "2000"),
                ("version", &version),
            ],
        )
        .await
        .assert_redirect("/admin/procedures");
    assert_eq!(
        app.count(&format!("SELECT price FROM procedure_type WHERE id = {id}"))
            .await,
        200_000
    );
    assert_eq!(
        app.count(&format!("SELECT active FROM procedure_type WHERE id = {id}"))
            .await,
        0
    );
    admin
        .post(
            &format!("/admin/procedures/{id}"),
            &[("name", "Wound dressing"), ("price", "1"), ("version", &version)],
        )
        .await
        .assert_status(StatusCode::CONFLICT);
    let fresh = admin.get(&format!("/admin/procedures/{other}")).await;
    let page = admin
        .post(
            &format!("/admin/procedures/{other}"),
            &[
                ("name", "wound dressing (LARGE)"),
                ("price", "1"),
                ("active", "1"),
                ("version", &fresh.attr("input[name=version]", "value").expect("version")),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#name-error"));
    admin
        .get("/admin/procedures/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    admin
        .get("/admin/procedures/abc")
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure_type.create'")
            .await
            == 2
    );
    assert!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure_type.update'")
            .await
            == 1
    );

    // Only admins keep the catalogue.
    let (_, doctor) = doctor(&app, "dr.cat").await;
    let reception = app.login_as("desk.cat", Role::Reception).await;
    for client in [&doctor, &reception] {
        client
            .get("/admin/procedures")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        client
            .post("/admin/procedures", &[("name", "Sneaky"), ("price", "1")])
            .await
            .assert_status(StatusCode::FORBIDDEN);
        client
            .post(
                &format!("/admin/procedures/{id}"),
                &[("name", "Sneaky"), ("price", "1")],
            )
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM procedure_type WHERE name = 'Sneaky'")
            .await,
        0
    );
}

async fn the_visits_doctor_records_procedures_while_the_visit_is_open(app: TestApp) {
    let admin = app.admin().await;
    let dressing = add_procedure(&app, &admin, "Wound dressing", "1500").await;
    let injection = add_procedure(&app, &admin, "Injection", "500").await;
    let retired = add_procedure(&app, &admin, "Retired procedure", "10").await;
    sqlx::query("UPDATE procedure_type SET active = 0 WHERE id = $1")
        .bind(retired)
        .execute(app.db().pool())
        .await
        .expect("retire");
    let patient = PATIENTS.named(&app, &["Ada"]).await[0];
    let (_, doctor_a) = doctor(&app, "dr.proc").await;
    let (_, doctor_b) = doctor(&app, "dr.other").await;
    let visit = open_visit(&doctor_a, patient).await;
    let visit_path = format!("/visits/{visit}");
    let record = format!("/visits/{visit}/procedures");

    let page = doctor_a.get(&visit_path).await;
    page.assert_status(StatusCode::OK);
    assert!(page.has("#procedures #no-procedure"));
    let options = page.texts("#procedure-procedure_type_id option");
    assert!(options.iter().any(|o| o.starts_with("Wound dressing")), "{options:?}");
    assert!(
        !options.iter().any(|o| o.starts_with("Retired")),
        "inactive procedures can't be chosen"
    );

    // Recorded by the visit's doctor, with a note, shown with who did it.
    doctor_a
        .post(
            &record,
            &[
                ("procedure_type_id", &dressing.to_string()),
                ("note", "Left forearm,\nclean"),
            ],
        )
        .await
        .assert_redirect(&format!("/visits/{visit}#procedures"));
    let page = doctor_a.get(&visit_path).await;
    let line = page.text("#procedure-list li");
    assert!(
        line.contains("Wound dressing") && line.contains("Test dr.proc"),
        "{line}"
    );
    assert!(line.contains("Left forearm"), "{line}");
    assert_eq!(page.text("#procedures-messages"), "Procedure recorded.");

    // With htmx: the section alone, and the message out of band.
    let page = doctor_a
        .post_with_headers(
            &record,
            &[
                ("procedure_type_id", &injection.to_string()),
                ("csrf_token", &doctor_a.csrf_token().await),
            ],
            &[("HX-Request", "true")],
        )
        .await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.texts("#procedure-list li").len(), 2, "{}", page.body);
    assert!(page.has("[hx-swap-oob]"));

    // Refused forms: no procedure, an inactive one, one that does not exist, a huge note.
    for (chosen, note) in [
        (String::new(), String::new()),
        (retired.to_string(), String::new()),
        ("999999".to_owned(), String::new()),
        (dressing.to_string(), "n".repeat(501)),
    ] {
        let page = doctor_a
            .post(&record, &[("procedure_type_id", &chosen), ("note", &note)])
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.has("#procedure-procedure_type_id-error") || page.has("#procedure-note-error"),
            "{}",
            page.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM visit_procedure").await, 2);

    // Another doctor, reception and the pharmacy may not record or remove.
    let reception = app.login_as("desk.proc", Role::Reception).await;
    let pharmacist = app.login_as("pharm.proc", Role::Pharmacist).await;
    let lab = app.login_as("lab.proc", Role::Lab).await;
    let done = app.count("SELECT MIN(id) FROM visit_procedure").await;
    let remove = format!("/visits/{visit}/procedures/{done}/remove");
    for client in [&doctor_b, &reception, &pharmacist, &lab] {
        client
            .post(&record, &[("procedure_type_id", &dressing.to_string())])
            .await
            .assert_status(StatusCode::FORBIDDEN);
        client.post(&remove, &[]).await.assert_status(StatusCode::FORBIDDEN);
    }
    doctor_a
        .post(
            "/visits/999999/procedures",
            &[("procedure_type_id", &dressing.to_string())],
        )
        .await
        .assert_status(StatusCode::NOT_FOUND);
    doctor_a
        .post(&format!("/visits/{visit}/procedures/999999/remove"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM visit_procedure").await, 2);

    // Removed by the visit's doctor (an admin could too), while the visit is open.
    doctor_a
        .post(&remove, &[])
        .await
        .assert_redirect(&format!("/visits/{visit}#procedures"));
    assert_eq!(app.count("SELECT COUNT(*) FROM visit_procedure").await, 1);
    let recorded = sickbay_core::procedures::service::of_visits(app.db(), &[visit])
        .await
        .expect("read");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].name, "Injection");

    // A completed visit is read-only.
    doctor_a.post(&format!("/visits/{visit}/complete"), &[]).await;
    let page = doctor_a
        .post(&record, &[("procedure_type_id", &dressing.to_string())])
        .await;
    page.assert_status(StatusCode::CONFLICT);
    let last = app.count("SELECT MIN(id) FROM visit_procedure").await;
    doctor_a
        .post(&format!("/visits/{visit}/procedures/{last}/remove"), &[])
        .await
        .assert_status(StatusCode::CONFLICT);
    let page = doctor_a.get(&visit_path).await;
    assert_eq!(page.texts("#procedure-list li").len(), 1);
    assert!(!page.has("#procedures form"), "no forms once the visit is completed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure.record'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure.remove'")
            .await,
        1
    );
}

/// The units left in a batch, and whether its ledger sums to them.
async fn batch_balance(app: &TestApp, batch: i64) -> (i64, i64) {
    let held = app
        .count(&format!("SELECT quantity FROM drug_batch WHERE id = {batch}"))
        .await;
    let ledger = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM stock_movement WHERE batch_id = {batch}"
        ))
        .await;
    (held, ledger)
}

async fn a_procedures_supplies_leave_the_shelf_through_the_ledger(app: TestApp) {
    let admin = app.admin().await;
    let dressing = add_procedure(&app, &admin, "Wound dressing", "1500").await;
    let gauze = add_drug(&app, "Gauze", "", DrugForm::Consumable, "10 x 10 cm").await;
    let gloves = add_drug(&app, "Gloves", "", DrugForm::Consumable, "medium").await;
    let old_gauze = add_batch(&app, gauze, 3, 10).await;
    let new_gauze = add_batch(&app, gauze, 50, 300).await;
    let glove_box = add_batch(&app, gloves, 1, 100).await;

    // The admin says what a dressing uses; bad values are refused beside the fields.
    let edit = format!("/admin/procedures/{dressing}");
    let page = admin.get(&edit).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.texts("#supply-drug_id option")
            .iter()
            .any(|o| o.starts_with("Gauze"))
    );
    let supplies = format!("/admin/procedures/{dressing}/supplies");
    let bad = admin
        .post(&supplies, &[("drug_id", &gauze.to_string()), ("units", "0")])
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("#supply-units-error"));
    let bad = admin.post(&supplies, &[("drug_id", ""), ("units", "2")]).await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("#supply-drug_id-error"));
    for (drug, units) in [(gauze, "4"), (gloves, "2")] {
        admin
            .post(&supplies, &[("drug_id", &drug.to_string()), ("units", units)])
            .await
            .assert_redirect(&format!("{edit}#supplies"));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM procedure_supply").await, 2);
    let (_, doctor_a) = doctor(&app, "dr.supply").await;
    doctor_a
        .post(&supplies, &[("drug_id", &gauze.to_string()), ("units", "9")])
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // Recording the procedure takes 3 from the batch expiring first and 1 from the next; only 1 glove there.
    let patient = PATIENTS.named(&app, &["Supplied"]).await[0];
    let visit = open_visit(&doctor_a, patient).await;
    doctor_a
        .post(
            &format!("/visits/{visit}/procedures"),
            &[("procedure_type_id", &dressing.to_string()), ("note", "")],
        )
        .await
        .assert_redirect(&format!("/visits/{visit}#procedures"));
    assert_eq!(batch_balance(&app, old_gauze).await, (0, 0));
    assert_eq!(batch_balance(&app, new_gauze).await, (49, 49));
    assert_eq!(batch_balance(&app, glove_box).await, (0, 0));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movement WHERE kind = 'supply' AND visit_procedure_id IS NOT NULL")
            .await,
        3
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure.record' AND detail LIKE '%not in stock: 1 Gloves medium%'")
            .await,
        1,
        "the missing glove is written in the audit"
    );

    // Removed by mistake: the supplies come back, as rows of their own.
    let done = app.count("SELECT id FROM visit_procedure").await;
    doctor_a
        .post(&format!("/visits/{visit}/procedures/{done}/remove"), &[])
        .await
        .assert_redirect(&format!("/visits/{visit}#procedures"));
    assert_eq!(batch_balance(&app, old_gauze).await, (3, 3));
    assert_eq!(batch_balance(&app, new_gauze).await, (50, 50));
    assert_eq!(batch_balance(&app, glove_box).await, (1, 1));

    // The admin takes gloves off the list; an unknown supply is a 404.
    admin
        .post(&format!("/admin/procedures/{dressing}/supplies/{gloves}/remove"), &[])
        .await
        .assert_redirect(&format!("{edit}#supplies"));
    admin
        .post(&format!("/admin/procedures/{dressing}/supplies/{gloves}/remove"), &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM procedure_supply").await, 1);
}

/// A double click or a replay of the procedure form records one procedure, and its supplies leave the shelf once:
/// 10 gauze packs at 2 a dressing are 8 after one form sent twice, and 6 after another sent twice at once.
async fn a_procedure_sent_twice_is_recorded_once_and_its_supplies_leave_once(app: TestApp) {
    let admin = app.admin().await;
    let dressing = add_procedure(&app, &admin, "Wound dressing", "1500").await;
    let gauze = add_drug(&app, "Gauze", "", DrugForm::Consumable, "10 x 10 cm").await;
    let shelf = add_batch(&app, gauze, 10, 300).await;
    admin
        .post(
            &format!("/admin/procedures/{dressing}/supplies"),
            &[("drug_id", &gauze.to_string()), ("units", "2")],
        )
        .await
        .assert_redirect(&format!("/admin/procedures/{dressing}#supplies"));
    let patient = PATIENTS.named(&app, &["Twice"]).await[0];
    let (_, doctor_a) = doctor(&app, "dr.twice").await;
    let visit = open_visit(&doctor_a, patient).await;
    let screen = format!("/visits/{visit}");
    let done = format!("SELECT COUNT(*) FROM visit_procedure WHERE visit_id = {visit}");
    let chosen = dressing.to_string();
    let fill: &[(&str, &str)] = &[("procedure_type_id", &chosen)];
    crate::consult::sent_twice_creates_once(&app, &doctor_a, (&screen, "form.procedure-form"), [fill, fill], &done)
        .await;
    assert_eq!(app.count(&done).await, 2);
    assert_eq!(
        batch_balance(&app, shelf).await,
        (6, 6),
        "two dressings took 2 packs each"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM stock_movement WHERE kind = 'supply'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'procedure.record'")
            .await,
        2
    );
    // A form id that Sickbay did not make is refused, and nothing leaves the shelf.
    doctor_a
        .post(
            &format!("/visits/{visit}/procedures"),
            &[("procedure_type_id", &dressing.to_string()), ("form_id", "x")],
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(batch_balance(&app, shelf).await, (6, 6));
}
