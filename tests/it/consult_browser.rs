//! A consultation in headless Chromium: the doctor calls the next patient, starts, and records vitals, a
//! complaint (saved as a draft while typed), a diagnosis found by typing, a two-item prescription and a lab
//! order, without a page reload; the lab attendant records the result and the doctor's screen shows it live;
//! the doctor completes the visit and is back at the queue; the student reads the visit on their phone.

use std::time::Duration;

use sickbay_core::identity::Role;
use sickbay_core::pharmacy::model::DrugForm;

use crate::browser::Browser;
use crate::feedback_browser::{on_screen, run};
use crate::lab::add_test;
use crate::pharmacy::{add_batch, add_drug};
use crate::prescriptions_browser::{choose, pick_drug, wait_for, wait_for_value};
use crate::queue::{PATIENTS, walk_in};
use crate::queue_browser::{mark, still_marked, wait_for_text};
use crate::support::{PASSWORD, STUDENT_PASSWORD, TestApp, appointment_today, clinic, new_visit, on_both_databases};

on_both_databases!(
    a_doctor_sees_a_patient_from_call_next_to_complete_on_one_screen,
    a_note_typed_and_not_signed_is_reviewed_and_kept_on_complete,
    the_icd_suggestions_are_chosen_with_the_arrow_keys,
    the_focus_goes_to_start_after_a_call,
);

async fn a_doctor_sees_a_patient_from_call_next_to_complete_on_one_screen(app: TestApp) {
    let c = clinic(&app).await;
    let amaka = PATIENTS.named(&app, &["Amaka"]).await[0];
    let amoxicillin = add_drug(&app, "Amoxicillin", "amoxicillin", DrugForm::Capsule, "500 mg").await;
    let paracetamol = add_drug(&app, "Paracetamol", "paracetamol", DrugForm::Tablet, "500 mg").await;
    add_batch(&app, amoxicillin, 120, 180).await;
    add_batch(&app, paracetamol, 1000, 365).await;
    add_test(&app.admin().await, &[("name", "Haemoglobin")])
        .await
        .assert_redirect("/admin/lab-tests");
    let haemoglobin = app.count("SELECT id FROM lab_test").await;
    app.create_staff("lab.bisi", Role::Lab, false).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-desktop-consult")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    doctor.goto(&app, "/queue/doctor").await;
    // Once the live stream has redrawn the queue: a click on a button swapped in but not yet bound by htmx
    // posts the plain form, whose answer is the page's message rather than the queue's notice.
    wait_for_text(&doctor, "#queue-status", "Live").await;
    doctor.click_live("#call-next").await;
    wait_for_text(&doctor, "#queue-notice", "Called A-001").await;
    doctor.click_live(".ticket-called form[action$='/start'] button").await;
    wait_for_text(&doctor, "h1", "Amaka").await;
    let visit = app.count("SELECT id FROM visit").await;
    doctor.wait_for_path(&format!("/visits/{visit}")).await;
    mark(&doctor).await;

    // Vitals: an unusual blood pressure and a fever are flagged.
    doctor.fill("#systolic", "150").await;
    doctor.fill("#diastolic", "95").await;
    doctor.fill("#temperature", "38.4").await;
    doctor.fill("#pulse", "92").await;
    doctor.click("#vitals button[type=submit]").await;
    wait_for_text(&doctor, "#latest-vitals", "150/95 mmHg").await;
    wait_for_text(&doctor, "#latest-vitals", "38.4 °C HIGH").await;

    // A complaint is kept as a draft while it is typed, then signed.
    doctor
        .fill("#complaint-body", "Fever and headache for three days")
        .await;
    let mut drafted = 0;
    for _ in 0..50 {
        drafted = app
            .count("SELECT COUNT(*) FROM note_draft WHERE kind = 'complaint'")
            .await;
        if drafted == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(drafted, 1, "the draft was saved while typing");
    // Signed from the keyboard: Ctrl+Enter in the box.
    let complaint = doctor
        .client
        .find(fantoccini::Locator::Css("#complaint-body"))
        .await
        .expect("the complaint box");
    complaint
        .send_keys("\u{E009}\u{E007}\u{E000}")
        .await
        .expect("Ctrl+Enter");
    wait_for_text(&doctor, "#note-complaint blockquote", "Fever and headache").await;

    // A diagnosis found by typing.
    doctor.fill("#description", "malaria").await;
    doctor.click_live(".code-matches button[value=B54]").await;
    wait_for_text(&doctor, "#diagnosis-list", "Unspecified malaria").await;

    // Choosing what to write puts the letter's opening words in, and another choice changes them: a referral
    // names the diagnosis just made, and has no days of rest.
    doctor.click_in_view("#letters summary").await;
    choose(&doctor, "#letter-kind", "sick_note").await;
    wait_for(
        &doctor,
        "#letter-body",
        |t| t.contains("not fit to attend lectures"),
        "a sick note's words",
    )
    .await;
    choose(&doctor, "#letter-kind", "referral").await;
    wait_for(
        &doctor,
        "#letter-body",
        |t| t.contains("seen at our clinic today with Unspecified malaria (B54)."),
        "the referral's opening words",
    )
    .await;
    let rest_days = doctor.element(".letter-rest-days").await;
    assert!(
        !rest_days.is_displayed().await.expect("displayed"),
        "a referral gives no rest"
    );

    // A two-item prescription: drugs found by typing, the first quantity suggested by the server.
    pick_drug(&doctor, "amox", amoxicillin).await;
    doctor.fill("#dose", "500 mg").await;
    choose(&doctor, "#route", "oral").await;
    choose(&doctor, "#frequency", "tds").await;
    doctor.fill("#duration_days", "5").await;
    doctor.click_in_view("#suggest-quantity").await;
    wait_for_value(&doctor, "#quantity", "15").await;
    doctor.click_in_view("#add-prescription-item").await;
    wait_for(
        &doctor,
        "#prescriptions-messages",
        |t| t.contains("Amoxicillin"),
        "the first item",
    )
    .await;
    pick_drug(&doctor, "parac", paracetamol).await;
    doctor.fill("#dose", "2 tablets").await;
    choose(&doctor, "#route", "oral").await;
    choose(&doctor, "#frequency", "prn").await;
    doctor.fill("#duration_days", "3").await;
    doctor.fill("#quantity", "12").await;
    doctor.click_in_view("#add-prescription-item").await;
    wait_for(
        &doctor,
        "#prescriptions-messages",
        |t| t.contains("Paracetamol"),
        "the second item",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM prescription_item").await, 2);
    // What the section says of the line added is on screen, not above it (once the swap has settled).
    let mut shown = (false, String::new());
    for _ in 0..40 {
        shown = on_screen(&doctor, "#prescriptions-messages .flash-success").await;
        if shown.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(shown.0, "the prescription's message in view: {}", shown.1);
    // The jump list marks the section the doctor is at.
    assert_eq!(doctor.scroll_to_section("prescriptions").await, "#prescriptions");
    assert_eq!(doctor.scroll_to_section("vitals").await, "#vitals");
    // The complaint's box keeps the keyboard but is scrolled up under the bars: the doctor is at the vitals.
    assert_eq!(doctor.scroll_to_section("prescriptions").await, "#prescriptions");
    run(
        &doctor,
        "[...document.querySelectorAll('#notes textarea')].pop().focus({preventScroll: true}); return true;",
        vec![],
    )
    .await;
    assert_eq!(doctor.scroll_to_section("vitals").await, "#vitals");

    // A lab order, then the lab attendant's result reaches the doctor's open screen live.
    doctor.click_in_view("#lab details.fold > summary").await;
    doctor
        .click_in_view(&format!("#lab-tests input[value='{haemoglobin}']"))
        .await;
    doctor.click_in_view("form.lab-order-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "Haemoglobin").await;
    // The jump list counts what each section holds: the visit so far.
    wait_for_text(&doctor, "nav.consult-jump a[href='#lab'] .jump-count", "1").await;
    let Some(lab) = Browser::start(1366, 900, &format!("{backend}-desktop-consult-lab")).await else {
        return;
    };
    lab.log_in(&app, "lab.bisi", PASSWORD, "/lab").await;
    lab.click_live("#worklist-rows a").await;
    lab.fill("#value", "13.4").await;
    lab.click("#result-form button[type=submit]").await;
    wait_for_text(&doctor, "#lab-order-list", "13.4 g/dL").await;
    lab.click("#release-form button[type=submit]").await;
    lab.click("#confirm-ok").await;
    wait_for_text(&doctor, "#lab-order-list", "Released").await;
    lab.close().await;
    assert!(still_marked(&doctor).await, "every section saved without a page reload");
    doctor.screenshot("41-consultation-diagnoses").await;
    doctor
        .client
        .execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .expect("scroll");
    doctor.screenshot("40-consultation").await;

    // "Complete visit" shows what will be signed and what is missing, and asks before closing the record.
    doctor.click_in_view("#complete-visit").await;
    doctor.wait_for_path(&format!("/visits/{visit}/review")).await;
    assert!(
        doctor
            .text("#no-drafts")
            .await
            .starts_with("No note waits to be signed or discarded")
    );
    assert!(
        doctor
            .text("#nothing-missing")
            .await
            .contains("Notes, a diagnosis and vitals")
    );
    doctor.click_in_view("#sign-and-complete").await;
    doctor.wait_for_path("/queue/doctor").await;
    wait_for_text(&doctor, ".flash", "The visit is completed.").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visit WHERE status = 'completed'").await,
        1
    );

    // After 20 more visits, her chart shows the latest 20 and leads to the earlier one.
    let mut oldest_shown = 0;
    for _ in 0..20 {
        let more = new_visit(&c.doctor_a.1, amaka).await;
        c.doctor_a.1.post(&format!("/visits/{more}/complete"), &[]).await;
        if oldest_shown == 0 {
            oldest_shown = more;
        }
    }
    let chart = format!("/patients/{amaka}/chart");
    doctor.goto(&app, &chart).await;
    doctor.wait_for_path(&chart).await;
    doctor.click_in_view("a[rel=next]").await;
    doctor.wait_for_path(&format!("{chart}?before={oldest_shown}")).await;
    assert!(doctor.text("#chart-timeline").await.contains("Unspecified malaria"));
    doctor.screenshot("43-chart-earlier-visits").await;
    doctor.close().await;

    // Amaka reads her visit on her phone: the oldest of her 21, on the page of earlier ones.
    let Some(phone) = Browser::start(360, 740, &format!("{backend}-phone-consult")).await else {
        return;
    };
    phone.log_in(&app, &PATIENTS.matric(0), STUDENT_PASSWORD, "/me").await;
    phone.click(".tab-bar a[href='/me/visits']").await;
    phone.wait_for_path("/me/visits").await;
    phone.click_in_view("a[rel=next]").await;
    phone.wait_for_path(&format!("/me/visits?before={oldest_shown}")).await;
    let visits = phone.text("#my-visits").await;
    assert!(
        visits.contains("Malaria") && !visits.contains("Unspecified"),
        "the diagnosis in plain words: {visits}"
    );
    assert!(phone.fits_width().await, "the earlier visits fit a phone");
    phone.screenshot("42-my-earlier-visits").await;
    phone.click(&format!("#my-visits a[href='/me/visits/{visit}']")).await;
    phone.wait_for_path(&format!("/me/visits/{visit}")).await;
    wait_for_text(&phone, "#my-diagnoses", "Malaria").await;
    wait_for_text(&phone, "#my-medicines", "three times a day").await;
    wait_for_text(&phone, "#my-results", "13.4 g/dL").await;
    assert!(phone.fits_width().await, "the visit fits a phone");
    phone.screenshot("42-my-visit").await;
    phone.close().await;
}

/// Presses Enter on `css`, found again if a push redrew it between finding and pressing.
async fn press_enter(b: &Browser, css: &str) {
    let mut last = None;
    for _ in 0..20 {
        let pressed = match b.client.find(fantoccini::Locator::Css(css)).await {
            Ok(element) => element.send_keys("\u{E007}").await,
            Err(e) => Err(e),
        };
        match pressed {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Enter on {css}: {last:?}");
}

/// Waits until the focused element matches `css`, and says what has the focus if it never does.
pub(crate) async fn wait_for_focus(b: &Browser, css: &str) {
    let mut last = serde_json::Value::Null;
    for _ in 0..50 {
        last = b
            .client
            .execute(
                "const a = document.activeElement; \
                 return a && a.matches(arguments[0]) ? true : (a ? a.outerHTML.slice(0, 200) : null);",
                vec![serde_json::json!(css)],
            )
            .await
            .expect("focus");
        if last == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the focus never reached {css}; it is on {last}");
}

async fn attribute(b: &Browser, css: &str, name: &str) -> Option<String> {
    let element = b.client.find(fantoccini::Locator::Css(css)).await.expect(css);
    element.attr(name).await.expect("attribute")
}

/// A plan typed and not signed was gone once the visit was completed. "Complete visit" now takes what the boxes
/// hold to a review that lists it, warns of a missing diagnosis and vitals, and signs or discards each note as the
/// doctor chooses: at a desk (typed, then Complete at once) and on a phone-sized screen (the text put in the box
/// without a keystroke, so only "Complete visit" itself can have carried it).
async fn a_note_typed_and_not_signed_is_reviewed_and_kept_on_complete(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Amaka", "Tunde"]).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    for (width, height, size, patient) in [(1366, 900, "desktop", ids[0]), (360, 740, "phone", ids[1])] {
        let visit = new_visit(&c.doctor_a.1, patient).await;
        let Some(doctor) = Browser::start(width, height, &format!("{backend}-{size}-complete")).await else {
            return;
        };
        doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
        doctor.goto(&app, &format!("/visits/{visit}")).await;
        doctor.wait_for_path(&format!("/visits/{visit}")).await;
        doctor.assert_fits(width, "the consultation").await;
        let plan = format!("Paracetamol 1 g three times a day;\nreview in 3 days ({size})");
        let complaint = "Headache since Monday";
        match size {
            "desktop" => {
                doctor.fill("#plan-body", &plan).await;
                doctor.fill("#complaint-body", complaint).await;
            }
            _ => {
                doctor
                    .client
                    .execute(
                        "document.querySelector('#plan-body').value = arguments[0]; \
                         document.querySelector('#complaint-body').value = arguments[1]; return true;",
                        vec![serde_json::json!(plan), serde_json::json!(complaint)],
                    )
                    .await
                    .expect("type");
            }
        }
        if size == "desktop" {
            // Typed and not signed: the jump list says so beside the section.
            wait_for_text(&doctor, "nav.consult-jump a[href='#plan'] .unsigned", "not signed").await;
            wait_for_text(&doctor, "nav.consult-jump a[href='#notes'] .unsigned", "not signed").await;
            assert!(
                !doctor
                    .text("nav.consult-jump a[href='#diagnoses']")
                    .await
                    .contains("not signed")
            );
        }
        doctor.click_in_view("#complete-visit").await;
        doctor.wait_for_path(&format!("/visits/{visit}/review")).await;
        assert_eq!(doctor.text("#draft-plan blockquote").await, plan);
        assert_eq!(doctor.text("#draft-complaint blockquote").await, complaint);
        assert!(
            doctor
                .text("#missing-diagnoses")
                .await
                .starts_with("No diagnosis is recorded")
        );
        assert!(doctor.text("#missing-vitals").await.starts_with("No vitals were taken"));
        assert!(doctor.fits_width().await, "the review fits the screen");
        doctor
            .client
            .execute("window.scrollTo(0, 0); return true;", vec![])
            .await
            .expect("scroll");
        doctor.screenshot("44-complete-review").await;
        doctor
            .client
            .execute("window.scrollTo(0, document.body.scrollHeight); return true;", vec![])
            .await
            .expect("scroll");
        doctor.screenshot("44b-complete-review-confirm").await;
        // The complaint is discarded, the plan signed.
        doctor.click_in_view("#draft-complaint input[value=discard]").await;
        doctor.click_in_view("#sign-and-complete").await;
        doctor.wait_for_path("/queue/doctor").await;
        wait_for_text(
            &doctor,
            ".flash",
            "The plan note was signed with it. The complaints note was discarded.",
        )
        .await;
        let signed: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, body FROM clinical_note WHERE visit_id = $1 ORDER BY id")
                .bind(visit)
                .fetch_all(app.db().pool())
                .await
                .expect("notes");
        assert_eq!(signed, [("plan".to_owned(), plan.clone())]);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM visit WHERE id = {visit} AND status = 'completed'"
            ))
            .await,
            1
        );
        // The browser's own copies of the visit's notes are forgotten with it.
        let kept = doctor
            .client
            .execute(
                "return Object.keys(window.localStorage).filter(k => k.indexOf(arguments[0]) >= 0).length;",
                vec![serde_json::json!(format!("/visits/{visit}/notes/"))],
            )
            .await
            .expect("storage");
        assert_eq!(kept, serde_json::json!(0));
        doctor.goto(&app, &format!("/visits/{visit}")).await;
        wait_for_text(&doctor, "#note-plan blockquote", "review in 3 days").await;
        doctor.screenshot("45-completed-visit").await;
        doctor.close().await;
    }
}

/// The ICD-10 suggestions were buttons out of reach of the keyboard (Enter saved the words without a code). The
/// diagnosis field is a combobox: ArrowDown and ArrowUp move through the suggestions, Enter adds the highlighted
/// one with its code, Escape closes the list. A diagnosis removed comes back with Undo.
async fn the_icd_suggestions_are_chosen_with_the_arrow_keys(app: TestApp) {
    let c = clinic(&app).await;
    let patient = PATIENTS.named(&app, &["Amaka"]).await[0];
    let visit = new_visit(&c.doctor_a.1, patient).await;
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-desktop-icd")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    doctor.goto(&app, &format!("/visits/{visit}")).await;
    doctor.wait_for_path(&format!("/visits/{visit}")).await;
    assert_eq!(
        attribute(&doctor, "#description", "role").await.as_deref(),
        Some("combobox")
    );
    assert_eq!(
        attribute(&doctor, "#description", "aria-expanded").await.as_deref(),
        Some("false")
    );
    doctor.fill("#description", "malaria").await;
    let mut options = 0;
    for _ in 0..100 {
        options = doctor
            .client
            .find_all(fantoccini::Locator::Css("#code-list [role=option]"))
            .await
            .expect("options")
            .len();
        if options >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(options >= 2, "suggestions for malaria: {options}");
    assert_eq!(
        attribute(&doctor, "#description", "aria-expanded").await.as_deref(),
        Some("true")
    );
    wait_for_text(&doctor, "#code-status", "codes match").await;
    let field = doctor
        .client
        .find(fantoccini::Locator::Css("#description"))
        .await
        .expect("the diagnosis field");
    // Down, down, up, down: the second suggestion.
    field
        .send_keys("\u{E015}\u{E015}\u{E013}\u{E015}")
        .await
        .expect("arrows");
    assert_eq!(
        attribute(&doctor, "#description", "aria-activedescendant")
            .await
            .as_deref(),
        Some("code-option-1")
    );
    assert_eq!(
        attribute(&doctor, "#code-option-1", "aria-selected").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute(&doctor, "#code-option-0", "aria-selected").await.as_deref(),
        Some("false")
    );
    let code = attribute(&doctor, "#code-option-1", "value").await.expect("a code");
    doctor.screenshot("46-icd-suggestion-highlighted").await;
    field.send_keys("\u{E007}").await.expect("Enter");
    wait_for_text(&doctor, "#diagnosis-list", &code).await;
    let stored: Vec<Option<String>> = sqlx::query_scalar("SELECT code FROM diagnosis WHERE visit_id = $1")
        .bind(visit)
        .fetch_all(app.db().pool())
        .await
        .expect("diagnoses");
    assert_eq!(
        stored,
        [Some(code.clone())],
        "Enter added the highlighted code, not the words alone"
    );

    // Escape closes the list, and adds nothing.
    doctor.fill("#description", "typhoid").await;
    wait_for_text(&doctor, "#code-status", "match").await;
    for _ in 0..100 {
        if attribute(&doctor, "#description", "aria-expanded").await.as_deref() == Some("true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let field = doctor
        .client
        .find(fantoccini::Locator::Css("#description"))
        .await
        .expect("the diagnosis field");
    field.send_keys("\u{E015}\u{E00C}").await.expect("down, Escape");
    assert_eq!(
        attribute(&doctor, "#description", "aria-expanded").await.as_deref(),
        Some("false")
    );
    assert_eq!(attribute(&doctor, "#description", "aria-activedescendant").await, None);
    let shown = doctor
        .client
        .find(fantoccini::Locator::Css("#code-list"))
        .await
        .expect("the list")
        .is_displayed()
        .await
        .expect("displayed");
    assert!(!shown, "Escape closed the suggestions");
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM diagnosis WHERE visit_id = {visit}"))
            .await,
        1
    );

    // A suggestion added by mistake is one Remove away, and a Remove one Undo away.
    doctor.click_in_view("#diagnosis-list .inline-form button").await;
    wait_for_text(&doctor, "#diagnosis-removed", &code).await;
    let count = format!("SELECT COUNT(*) FROM diagnosis WHERE visit_id = {visit}");
    assert_eq!(app.count(&count).await, 0);
    doctor.screenshot("47-diagnosis-removed-undo").await;
    doctor.click_in_view("#diagnosis-undo").await;
    wait_for_text(&doctor, "#diagnosis-list", &code).await;
    assert_eq!(app.count(&count).await, 1);
    doctor.close().await;
}

/// After "Call next" the focus fell to the page's body; it goes to the called ticket's "Start", so a keyboard user
/// goes on with Enter. A patient called from the doctor's home ("Call in", which calls them as "Call next" does)
/// lands there too.
async fn the_focus_goes_to_start_after_a_call(app: TestApp) {
    let c = clinic(&app).await;
    let ids = PATIENTS.named(&app, &["Amaka", "Tunde"]).await;
    walk_in(&c.reception, 0, &c.doctor_a.0.to_string(), "normal")
        .await
        .assert_redirect("/queue");
    let backend = format!("{:?}", app.db().backend()).to_lowercase();
    let Some(doctor) = Browser::start(1366, 900, &format!("{backend}-desktop-focus")).await else {
        return;
    };
    doctor.log_in(&app, "dr.adeyemi", PASSWORD, "/doctor").await;
    doctor.goto(&app, "/queue/doctor").await;
    doctor.wait_for_path("/queue/doctor").await;
    wait_for_text(&doctor, "#queue-status", "Live").await;
    press_enter(&doctor, "#call-next").await;
    wait_for_text(&doctor, "#queue-notice", "Called A-001").await;
    let start = "#current-tickets .ticket-called form[action$='/start'] button";
    wait_for_focus(&doctor, start).await;
    doctor.screenshot("47-focus-after-call-next").await;
    // Enter on it starts the consultation.
    let focused = doctor.client.active_element().await.expect("the focused element");
    focused.send_keys("\u{E007}").await.expect("Enter on Start");
    wait_for_text(&doctor, "h1", "Amaka").await;
    let visit = app.count("SELECT id FROM visit").await;
    c.doctor_a
        .1
        .post(&format!("/visits/{visit}/complete"), &[])
        .await
        .assert_redirect("/queue/doctor");

    // Tunde's appointment, checked in: the home offers to call him in, and the queue opens at his "Start".
    let appointment = appointment_today(&app, ids[1], c.doctor_a.0, sickbay_core::db::Timestamp::now()).await;
    c.reception
        .post("/queue/check-ins", &[("appointment_id", &appointment.to_string())])
        .await
        .assert_redirect("/queue");
    doctor.goto(&app, "/doctor").await;
    doctor.wait_for_path("/doctor").await;
    let call_in = format!("form[action='/appointments/{appointment}/start'] button");
    assert!(doctor.text(&call_in).await.starts_with("Call in"));
    doctor.click_in_view(&call_in).await;
    doctor.wait_for_path("/queue/doctor").await;
    wait_for_text(&doctor, ".flash", "Start the consultation when they come in.").await;
    let (ticket, _) = crate::queue::ticket_of(&app, ids[1]).await;
    wait_for_focus(&doctor, &format!("#ticket-{ticket} form[action$='/start'] button")).await;
    doctor.screenshot("48-focus-after-call-from-home").await;
    doctor.close().await;
}
