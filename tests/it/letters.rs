//! Sick notes, fitness certificates and referral letters: written in the open visit by its doctor (checked,
//! once per form), read and printed by the clinicians who read the visit and by the patient, nobody else.

use reqwest::StatusCode;
use sickbay_core::db::Date;

use crate::procedures::open_visit;
use crate::support::{Students, TestApp, doctor, on_both_databases};

on_both_databases!(
    the_visits_doctor_writes_a_sick_note_the_patient_prints,
    a_letter_is_refused_with_clear_messages_and_written_once,
    a_new_letter_starts_with_words_that_name_the_illness_only_to_a_doctor,
);

const PATIENTS: Students = Students::new("LT", "Letter");

async fn the_visits_doctor_writes_a_sick_note_the_patient_prints(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Ada", "Bayo"]).await;
    let (_, doctor_a) = doctor(&app, "dr.letters").await;
    let (_, doctor_b) = doctor(&app, "dr.other").await;
    let visit = open_visit(&doctor_a, ids[0]).await;
    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    assert!(page.has("#letters #no-letter"));
    assert!(page.has("nav.consult-jump a[href='#letters']"));
    let today = app.state.today();
    assert_eq!(page.attr("#letter-rest_from", "value"), Some(today.to_string()));

    let until = Date(Date::add_days(today.0, 2)).to_string();
    let fields = [
        ("kind", "sick_note"),
        ("rest_from", &today.to_string()),
        ("rest_to", &until),
        ("body", "Seen today with malaria.\nUnfit for lectures and examinations."),
    ];
    doctor_b
        .post(&format!("/visits/{visit}/letters"), &fields)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .post(&format!("/visits/{visit}/letters"), &fields)
        .await
        .assert_redirect(&format!("/visits/{visit}#letters"));
    let letter = app.count("SELECT id FROM letter").await;
    assert_eq!(app.audits("letter.issue").await, 1);
    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    let line = page.text("#letter-list li");
    assert!(
        line.contains("Medical certificate of sickness") && line.contains("3 days of rest"),
        "{line}"
    );
    assert!(page.text("#letters-messages").starts_with("Letter written"));
    // The review before completing lists it with what will be signed.
    let review = doctor_a.get(&format!("/visits/{visit}/review")).await;
    let listed = review.text("#review-letters");
    assert!(
        listed.starts_with("Medical certificate of sickness") && listed.contains("rest 3 days"),
        "{listed}"
    );
    assert_eq!(
        review.attr("#review-letters a", "href"),
        Some(format!("/letters/{letter}"))
    );

    // The printable letter, for the clinicians who read the visit; its reading audited.
    let print = doctor_a.get(&format!("/letters/{letter}")).await;
    print.assert_status(StatusCode::OK);
    assert_eq!(print.text("#letter-to"), "To whom it may concern");
    assert_eq!(print.text("#letter-patient"), "Ada Letter");
    assert_eq!(print.text("#letter-matric"), PATIENTS.matric(0));
    assert!(
        print.text("#letter-rest").starts_with("3 days, "),
        "{}",
        print.text("#letter-rest")
    );
    assert!(print.text("#letter-body").contains("Unfit for lectures"));
    assert_eq!(print.text("#letter-doctor"), "Test dr.letters");
    assert_eq!(app.audits("letter.read").await, 1);
    app.admin()
        .await
        .get(&format!("/letters/{letter}"))
        .await
        .assert_status(StatusCode::OK);
    let reception = app.login_as("front", sickbay_core::identity::Role::Reception).await;
    reception
        .get(&format!("/letters/{letter}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    doctor_a
        .get("/letters/999999")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // The patient finds it with their documents and prints it; another patient does not.
    let ada = PATIENTS.client(&app, 0).await;
    let mine = ada.get("/me/documents").await;
    assert_eq!(mine.attrs("#my-letters a", "href"), [format!("/me/letters/{letter}")]);
    assert!(mine.text("#my-letters").contains("3 days of rest"));
    let own = ada.get(&format!("/me/letters/{letter}")).await;
    own.assert_status(StatusCode::OK);
    assert!(own.text("#letter-body").contains("Seen today with malaria."));
    let their_visit = ada.get(&format!("/me/visits/{visit}")).await;
    assert_eq!(
        their_visit.attrs("#my-visit-letters a", "href"),
        [format!("/me/letters/{letter}")]
    );
    let bayo = PATIENTS.client(&app, 1).await;
    assert!(bayo.get("/me/documents").await.has("#no-letters"));
    bayo.get(&format!("/me/letters/{letter}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    ada.get(&format!("/letters/{letter}"))
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // A referral names whom it is for; with htmx the section comes back alone.
    let token = doctor_a.csrf_token().await;
    let section = doctor_a
        .post_with_headers(
            &format!("/visits/{visit}/letters"),
            &[
                ("kind", "referral"),
                ("addressed_to", "ENT clinic, University College Hospital"),
                ("body", "Please see this student with recurrent tonsillitis."),
                ("csrf_token", &token),
            ],
            &[("HX-Request", "true")],
        )
        .await;
    section.assert_status(StatusCode::OK);
    assert_eq!(section.texts("#letter-list li").len(), 2, "{}", section.body);
    assert!(section.text("#letter-list").contains("ENT clinic"));

    // Once the visit is complete, its letters stay and no more are written in it.
    doctor_a
        .post(&format!("/visits/{visit}/complete"), &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    assert_eq!(page.texts("#letter-list li").len(), 2);
    assert!(!page.has("#letters form"));
    doctor_a
        .post(&format!("/visits/{visit}/letters"), &fields)
        .await
        .assert_status(StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM letter").await, 2);
}

async fn a_letter_is_refused_with_clear_messages_and_written_once(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Chi"]).await;
    let (_, doctor) = doctor(&app, "dr.careful").await;
    let visit = open_visit(&doctor, ids[0]).await;
    let path = format!("/visits/{visit}/letters");
    let refused = doctor
        .post(
            &path,
            &[
                ("kind", "sick_note"),
                ("rest_from", "2026-12-05"),
                ("rest_to", "2026-12-01"),
                ("body", " "),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text("#letter-rest_to-error"),
        "The last day of rest is before the first."
    );
    assert_eq!(refused.text("#letter-body-error"), "Write what the letter says.");
    assert_eq!(
        refused.attr("#letter-rest_from", "value").as_deref(),
        Some("2026-12-05")
    );
    let referral = doctor
        .post(&path, &[("kind", "referral"), ("body", "Please see")])
        .await;
    referral.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(referral.has("#letter-addressed_to-error"));
    doctor
        .post(&path, &[("kind", "will"), ("body", "x")])
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM letter").await, 0);

    // The same form sent twice, at once, writes one letter.
    let page = doctor.get(&format!("/visits/{visit}")).await;
    let form_id = page.attr("#letters input[name=form_id]", "value").expect("a form id");
    let fields = [
        ("kind", "fitness"),
        ("body", "Fit for sports."),
        ("form_id", form_id.as_str()),
    ];
    let (one, two) = tokio::join!(doctor.post(&path, &fields), doctor.post(&path, &fields));
    assert_eq!((one.status, two.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert_eq!(app.count("SELECT COUNT(*) FROM letter").await, 1);
    assert_eq!(app.audits("letter.issue").await, 1);
}

/// Choosing what to write fills an empty letter with its opening words, from the visit as it stands: a referral
/// names the diagnosis made since the page opened, a sick note never does; words the doctor typed are kept. Only
/// the visit's doctor, while it is open, is answered.
async fn a_new_letter_starts_with_words_that_name_the_illness_only_to_a_doctor(app: TestApp) {
    let ids = PATIENTS.named(&app, &["Chidi"]).await;
    let (_, doctor_a) = doctor(&app, "dr.opening").await;
    let (_, doctor_b) = doctor(&app, "dr.elsewhere").await;
    let visit = open_visit(&doctor_a, ids[0]).await;
    let page = doctor_a.get(&format!("/visits/{visit}")).await;
    assert_eq!(
        page.attr("#letter-kind", "hx-get"),
        Some(format!("/visits/{visit}/letters/form"))
    );
    doctor_a
        .post(&format!("/visits/{visit}/diagnoses"), &[("description", "Malaria")])
        .await
        .assert_redirect(&format!("/visits/{visit}#diagnoses"));
    let form = |kind: &str, body: &str| format!("/visits/{visit}/letters/form?kind={kind}&body={body}&addressed_to=");

    let referral = doctor_a.get(&form("referral", "")).await;
    referral.assert_status(StatusCode::OK);
    let words = referral.text("#letter-body");
    assert!(words.contains("seen at our clinic today with Malaria."), "{words}");
    assert_eq!(
        referral.attr("#letter-kind option[selected]", "value").as_deref(),
        Some("referral")
    );
    let sick_note = doctor_a.get(&form("sick_note", "")).await.text("#letter-body");
    assert!(
        sick_note.contains("not fit to attend lectures") && !sick_note.contains("Malaria"),
        "{sick_note}"
    );
    // Chosen again, the kind's words replace another kind's opening, never the doctor's own.
    let encoded: String = url::form_urlencoded::byte_serialize(sick_note.as_bytes()).collect();
    let switched = doctor_a.get(&form("referral", &encoded)).await.text("#letter-body");
    assert!(switched.starts_with("Thank you for seeing"), "{switched}");
    let typed = doctor_a
        .get(&form("fitness", "My+own+words"))
        .await
        .text("#letter-body");
    assert_eq!(typed, "My own words");
    assert_eq!(doctor_a.get(&form("", "")).await.text("#letter-body"), "");

    doctor_b
        .get(&form("referral", ""))
        .await
        .assert_status(StatusCode::FORBIDDEN);
}
