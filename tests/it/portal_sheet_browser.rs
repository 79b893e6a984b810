//! The portal password sheet in headless Chromium at 1366x900: choosing students (the count on the button
//! follows the ticks), issuing, and the sheet as it prints (print media emulated through the DevTools protocol).

use std::time::Duration;

use axum::http::Method;
use fantoccini::Locator;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::json;

use crate::browser::Browser;
use crate::support::{PASSWORD, TestApp, on_both_databases};

on_both_databases!(reception_prints_a_sheet_of_one_time_passwords);

/// A DevTools command sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (Method, Option<String>) {
        (
            Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

async fn script(b: &Browser, js: &str) -> serde_json::Value {
    b.client.execute(js, vec![]).await.expect("script")
}

async fn reception_prints_a_sheet_of_one_time_passwords(app: TestApp) {
    let csv = "matric_number,first_name,surname,faculty,department,level
CSC/22/0001,Adaeze,Okafor,Science,Computer Science,100L
CSC/22/0002,Tunde,Bakare,Science,Computer Science,100L
CSC/22/0003,Okon,Effiong,Science,Computer Science,100L
CSC/22/0004,Ọlábísí,Adéwálé-Ọ̀ṣúnkọ̀yà,Science,Computer Science,100L
CSC/22/0005,Musa,Garba,Science,Computer Science,100L
";
    crate::support::import_students(&app, csv).await;
    app.create_staff("front.desk", sickbay_core::identity::Role::Reception, false)
        .await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(b) = Browser::start(1366, 900, &format!("{backend}-desktop")).await else {
        return;
    };
    b.log_in(&app, "front.desk", PASSWORD, "/reception").await;
    b.goto(&app, "/patients").await;
    b.click("#portal-sheet-link").await;
    b.wait_for_path("/patients/portal-access").await;
    assert_eq!(b.text("#matching-count").await, "5");
    assert_eq!(b.text("#issue-count").await, "5");
    // Untick one: the button counts four; "All" is then neither ticked nor unticked.
    let okon = sqlx::query_scalar::<_, i64>("SELECT id FROM patient WHERE matric_number = 'CSC/22/0003'")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    b.click(&format!("#pick-{okon}")).await;
    assert_eq!(b.text("#issue-count").await, "4");
    assert_eq!(
        script(&b, "return document.getElementById('tick-all').indeterminate;").await,
        json!(true)
    );
    assert!(b.fits_width().await, "the selection page fits 1366 px");
    b.screenshot("40-portal-sheet-selection").await;
    script(
        &b,
        "document.getElementById('issue-button').scrollIntoView({block: 'end'}); return null;",
    )
    .await;
    b.screenshot("40b-portal-sheet-issue-button").await;

    b.click("#issue-button").await;
    let mut slips = Vec::new();
    for _ in 0..200 {
        slips = b.client.find_all(Locator::Css(".sheet-slip")).await.expect("slips");
        if !slips.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(slips.len(), 4);
    let passwords = b
        .client
        .find_all(Locator::Css(".slip-password"))
        .await
        .expect("passwords");
    assert_eq!(passwords[0].text().await.expect("text").len(), 16);
    assert!(b.fits_width().await, "the sheet fits 1366 px");
    b.screenshot("41-portal-sheet-screen").await;
    // The Print button opens the browser's print dialog (stubbed here: headless Chromium has none).
    script(&b, "window.print = () => { window.printed = true; }; return null;").await;
    b.click("#print-sheet").await;
    assert_eq!(script(&b, "return window.printed === true;").await, json!(true));

    // As printed: no navigation, no toolbar, black on white, dashed slips two to a row.
    b.client
        .issue_cmd(Cdp {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({"media": "print"}),
        })
        .await
        .expect("emulate print");
    let printed = script(
        &b,
        "const style = (css) => getComputedStyle(document.querySelector(css));
         const slip = style('.sheet-slip');
         return {
           header: style('.site-header').display,
           toolbar: style('.sheet-toolbar').display,
           color: style('.slip-password code').color,
           background: style('.sheet-slip').backgroundColor,
           border: slip.borderTopStyle,
           columns: style('.sheet-slips').gridTemplateColumns.split(' ').length,
         };",
    )
    .await;
    assert_eq!(printed["header"], json!("none"), "{printed}");
    assert_eq!(printed["toolbar"], json!("none"), "{printed}");
    assert_eq!(printed["color"], json!("rgb(0, 0, 0)"), "{printed}");
    assert_eq!(printed["background"], json!("rgb(255, 255, 255)"), "{printed}");
    assert_eq!(printed["border"], json!("dashed"), "{printed}");
    assert_eq!(printed["columns"], json!(2), "{printed}");
    b.screenshot("42-portal-sheet-print").await;
    b.close().await;

    // On a phone: the page and the sheet fit the width (the table scrolls in its own box).
    let Some(b) = Browser::start(360, 740, &format!("{backend}-phone")).await else {
        return;
    };
    b.log_in(&app, "front.desk", PASSWORD, "/reception").await;
    b.goto(&app, "/patients/portal-access").await;
    assert_eq!(b.text("#matching-count").await, "1", "only Okon is left");
    assert!(b.fits_width().await, "the selection page fits a phone");
    b.screenshot("40-portal-sheet-selection").await;
    b.click("#issue-button").await;
    b.element(".sheet-slip").await;
    assert!(b.fits_width().await, "the sheet fits a phone");
    b.screenshot("41-portal-sheet-screen").await;
    b.close().await;
}
