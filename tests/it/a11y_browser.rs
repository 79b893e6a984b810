//! axe (Deque's accessibility engine, vendored in `fixtures/`, run in headless Chromium) finds no serious or
//! critical violation of WCAG 2 A and AA on every role's main pages, at a desktop and a phone size.

use sickbay_core::db::Timestamp;
use sickbay_core::identity::Role;

use crate::browser::Browser;
use crate::feedback_browser::backend;
use crate::queue::{PATIENTS, walk_in};
use crate::support::{
    ADMIN_PASSWORD, PASSWORD, STUDENT_PASSWORD, TestApp, appointment_today, clinic, new_visit, on_both_databases,
};

on_both_databases!(every_main_page_passes_axe);

/// axe-core 4.14.1 (MPL-2.0, `fixtures/axe-LICENSE`), as published on npm.
const AXE: &str = include_str!("fixtures/axe-4.14.1.min.js");

/// The serious and critical violations axe finds on the page open in `b`, one line each.
async fn violations(b: &Browser) -> Vec<String> {
    b.client
        .execute(&format!("{AXE}\nreturn true;"), vec![])
        .await
        .expect("load axe");
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
               resultTypes: ['violations'],
             })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe");
    serde_json::from_value(found).unwrap_or_else(|e| vec![format!("unreadable answer: {e}")])
}

/// Each page's axe violations, and on a phone, a page wider than the screen.
async fn check(b: &Browser, app: &TestApp, paths: &[String], size: &str, all: &mut Vec<String>) {
    for path in paths {
        b.goto(app, path).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for line in violations(b).await {
            all.push(format!("{size} {path}: {line}"));
        }
        if size == "phone" && !b.fits_width().await {
            all.push(format!("{size} {path}: wider than the screen"));
        }
    }
}

async fn every_main_page_passes_axe(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Ada", "Bola"]).await;
    // Her visit is opened from her record before she waits in the queue (once she waits, she is seen from it).
    let visit = new_visit(&c.doctor_a.1, ids[1]).await;
    walk_in(&c.reception, 1, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let now = Timestamp::now().0;
    let booked = appointment_today(&app, ids[0], c.doctor_b.0, Timestamp(now + 3_600_000)).await;
    let slot = app
        .count(&format!("SELECT slot_id FROM appointment WHERE id = {booked}"))
        .await;
    app.create_staff("pharm.axe", Role::Pharmacist, false).await;
    app.create_staff("lab.axe", Role::Lab, false).await;
    // A test read in words with its answers, ordered in the visit: the lab's result form is a group of choices.
    let no_range = [
        ("unit", ""),
        ("male_low", ""),
        ("male_high", ""),
        ("female_low", ""),
        ("female_high", ""),
    ];
    let words = [
        ("name", "Malaria parasite"),
        ("answers", "Not seen, Seen (+)"),
        ("normal_answers", "Not seen"),
    ];
    crate::lab::add_test(&app.admin().await, &[&no_range[..], &words[..]].concat())
        .await
        .assert_redirect("/admin/lab-tests");
    let test: i64 = app
        .count("SELECT id FROM lab_test WHERE name = 'Malaria parasite'")
        .await;
    c.doctor_a
        .1
        .post(
            &format!("/visits/{visit}/lab/orders"),
            &[("test_id", &test.to_string())],
        )
        .await
        .assert_redirect(&format!("/visits/{visit}#lab"));
    let order = app.count("SELECT MAX(id) FROM lab_order").await;
    // A sick note for the student, to read on the phone and in print.
    let adas_visit = new_visit(&c.doctor_a.1, ids[0]).await;
    c.doctor_a
        .1
        .post(
            &format!("/visits/{adas_visit}/letters"),
            &[("kind", "fitness"), ("body", "Fit for sports.")],
        )
        .await
        .assert_redirect(&format!("/visits/{adas_visit}#letters"));
    let letter = app.count("SELECT MAX(id) FROM letter").await;
    let admin_pages: Vec<String> = [
        "/admin",
        "/admin/settings",
        "/admin/setup",
        "/admin/backups",
        "/admin/staff",
        "/admin/rooms",
        "/admin/fees",
        "/admin/reports",
        "/admin/audit",
        "/admin/lab-tests",
        "/admin/procedures",
        "/admin/schemes",
        "/admin/academic",
        "/billing/claims",
    ]
    .map(str::to_owned)
    .to_vec();
    let roles: Vec<(&str, &str, &str, Vec<String>)> = vec![
        ("admin", ADMIN_PASSWORD, "/admin", admin_pages),
        (
            "frontdesk",
            PASSWORD,
            "/reception",
            vec![
                "/reception".to_owned(),
                "/queue".to_owned(),
                "/patients".to_owned(),
                format!("/patients/{}", ids[0]),
                "/billing".to_owned(),
                "/billing/day".to_owned(),
                format!("/schedule?doctor={}", c.doctor_b.0),
                "/schedule/all".to_owned(),
                format!("/schedule/slots/{slot}/book?q=Ada"),
                format!("/schedule/slots/{slot}/book?patient={}", ids[1]),
                format!("/schedule/slots/{slot}/block"),
                format!("/appointments/{booked}/cancel"),
            ],
        ),
        (
            "dr.adeyemi",
            PASSWORD,
            "/doctor",
            vec![
                "/doctor".to_owned(),
                "/queue/doctor".to_owned(),
                format!("/visits/{visit}"),
                format!("/patients/{}/chart", ids[1]),
                format!("/letters/{letter}"),
                "/schedule".to_owned(),
                "/schedule/hours".to_owned(),
                "/keys".to_owned(),
            ],
        ),
        (
            "pharm.axe",
            PASSWORD,
            "/pharmacy",
            vec![
                "/pharmacy".to_owned(),
                "/pharmacy/prescriptions".to_owned(),
                "/pharmacy/drugs?show=reorder&sort=stock".to_owned(),
                "/pharmacy/counts".to_owned(),
            ],
        ),
        (
            "lab.axe",
            PASSWORD,
            "/lab",
            vec![
                "/lab".to_owned(),
                format!("/lab/orders/{order}"),
                format!("/lab/visits/{visit}/results"),
            ],
        ),
    ];
    let mut student: Vec<String> = [
        "/me",
        "/me/book",
        "/me/appointments",
        "/me/visits",
        "/me/results",
        "/me/invoices",
        "/me/card",
        "/me/queue",
        "/me/documents",
    ]
    .map(str::to_owned)
    .to_vec();
    student.push(format!("/me/letters/{letter}"));
    let backend = backend(&app);
    let mut found = Vec::new();
    for (width, height, size) in [(1366, 768, "desktop"), (360, 740, "phone")] {
        let Some(b) = Browser::start(width, height, &format!("{backend}-axe-{size}")).await else {
            return;
        };
        for (who, password, home, paths) in &roles {
            b.client.delete_all_cookies().await.expect("log out");
            b.log_in(&app, who, password, home).await;
            check(&b, &app, paths, size, &mut found).await;
        }
        b.client.delete_all_cookies().await.expect("log out");
        b.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
        check(&b, &app, &student, size, &mut found).await;
    }
    assert!(found.is_empty(), "axe found:\n{}", found.join("\n"));
}
