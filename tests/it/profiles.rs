//! Doctors' profiles: the admin edits a doctor's, a doctor their own (and no one else's), and patients read
//! them when they pick a doctor on the booking page.

use reqwest::StatusCode;
use sickbay_core::identity::Role;

use crate::support::{Students, TestApp, doctor, hours_every_day, on_both_databases};

on_both_databases!(
    doctors_profiles_are_edited_by_the_doctor_or_an_admin_only,
    patients_see_the_profile_when_they_pick_a_doctor,
);

const PATIENTS: Students = Students::new("PF", "Profile");

async fn profile_of(app: &TestApp, id: i64) -> (String, String, String) {
    sqlx::query_as("SELECT specialty, qualifications, profile_note FROM staff WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("profile")
}

async fn doctors_profiles_are_edited_by_the_doctor_or_an_admin_only(app: TestApp) {
    let admin = app.admin().await;
    let (okafor, okafor_client) = doctor(&app, "dr.okafor").await;
    let (bello, bello_client) = doctor(&app, "dr.bello").await;
    let desk = app.create_staff("desk.profile", Role::Reception, false).await;

    // The admin, on the account's page.
    let page = admin.get(&format!("/admin/staff/{okafor}")).await;
    assert!(page.has("#profile form"));
    assert!(
        !admin.get(&format!("/admin/staff/{desk}")).await.has("#profile"),
        "only doctors have one"
    );
    admin
        .post(
            &format!("/admin/staff/{okafor}/profile"),
            &[
                ("specialty", " Family  medicine "),
                ("qualifications", "MBBS, FWACP"),
                ("profile_note", "Sees students for\neveryday illness."),
            ],
        )
        .await
        .assert_redirect(&format!("/admin/staff/{okafor}#profile"));
    assert_eq!(
        profile_of(&app, okafor).await,
        (
            "Family medicine".into(),
            "MBBS, FWACP".into(),
            "Sees students for\neveryday illness.".into()
        )
    );
    let page = admin
        .post(
            &format!("/admin/staff/{okafor}/profile"),
            &[
                ("specialty", &"s".repeat(81)),
                ("qualifications", ""),
                ("profile_note", &"n".repeat(301)),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.has("#specialty-error") && page.has("#profile_note-error"),
        "{}",
        page.body
    );
    admin
        .post(&format!("/admin/staff/{desk}/profile"), &[("specialty", "Reception")])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(profile_of(&app, desk).await.0, "");

    // The doctor, their own.
    let page = bello_client.get("/account/profile").await;
    page.assert_status(StatusCode::OK);
    bello_client
        .post(
            "/account/profile",
            &[
                ("specialty", "Paediatrics"),
                ("qualifications", "MBBS (Lagos)"),
                ("profile_note", ""),
            ],
        )
        .await
        .assert_redirect("/account/profile");
    assert_eq!(profile_of(&app, bello).await.0, "Paediatrics");
    let page = bello_client
        .post("/account/profile", &[("specialty", "Bad\u{7}"), ("qualifications", "")])
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert_eq!(profile_of(&app, bello).await.0, "Paediatrics");

    // No one else's: a doctor can't reach the admin's form, other roles have no profile page.
    bello_client
        .post(&format!("/admin/staff/{okafor}/profile"), &[("specialty", "Hijacked")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    okafor_client
        .get("/account/profile")
        .await
        .assert_status(StatusCode::OK);
    let reception = app.client();
    reception.login_ok("desk.profile", crate::support::PASSWORD).await;
    reception
        .get("/account/profile")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    reception
        .post("/account/profile", &[("specialty", "Hijacked")])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    assert_eq!(profile_of(&app, okafor).await.0, "Family medicine");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'staff.profile'")
            .await,
        2
    );
}

async fn patients_see_the_profile_when_they_pick_a_doctor(app: TestApp) {
    let (okafor, okafor_client) = doctor(&app, "dr.okafor").await;
    let (bello, _) = doctor(&app, "dr.bello").await;
    hours_every_day(&app, okafor, 8 * 60, 12 * 60, 30, 2).await;
    hours_every_day(&app, bello, 8 * 60, 12 * 60, 30, 2).await;
    okafor_client
        .post(
            "/account/profile",
            &[
                ("specialty", "Family medicine"),
                ("qualifications", "MBBS, FWACP"),
                ("profile_note", "Sees students for everyday illness."),
            ],
        )
        .await
        .assert_redirect("/account/profile");
    PATIENTS.named(&app, &["Efe"]).await;
    let student = PATIENTS.client(&app, 0).await;
    let tomorrow = sickbay_core::db::Date(app.state.settings.get().today() + chrono::Duration::days(1));

    // Any doctor: the specialty beside each name in the list, and a line under each doctor's times.
    let page = student.get(&format!("/me/book?day={tomorrow}")).await;
    page.assert_status(StatusCode::OK);
    let options = page.texts("#doctor option");
    assert!(
        options.contains(&"Test dr.okafor · Family medicine".to_owned()),
        "{options:?}"
    );
    assert!(
        options.contains(&"Test dr.bello".to_owned()),
        "no profile, the name alone: {options:?}"
    );
    assert_eq!(page.texts(".doctor-summary"), ["Family medicine · MBBS, FWACP"]);

    // One doctor chosen: their profile under the list.
    let page = student.get(&format!("/me/book?day={tomorrow}&doctor={okafor}")).await;
    let profile = page.text("#doctor-profile");
    assert!(profile.contains("Family medicine · MBBS, FWACP"), "{profile}");
    assert!(profile.contains("Sees students for everyday illness."), "{profile}");
    let page = student.get(&format!("/me/book?day={tomorrow}&doctor={bello}")).await;
    assert!(!page.has("#doctor-profile"), "nothing to say, nothing shown");
}
