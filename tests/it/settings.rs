//! The admin's clinic settings page.

use reqwest::StatusCode;
use sickbay::state::AppState;
use sickbay_core::identity::Role;

use crate::support::{Client, FormFields, Page, TestApp, on_both_databases};

on_both_databases!(
    saving_changes_the_header_and_persists,
    invalid_values_are_refused_and_nothing_is_saved,
    settings_are_for_admins_only,
    another_instance_sees_the_change_after_a_refresh,
    an_unknown_stored_key_changes_nothing,
    each_section_saves_on_its_own,
);

const PATH: &str = "/admin/settings";
const CLINIC: &str = "/admin/settings/the-clinic";
const REGISTRATION: &str = "/admin/settings/student-registration";

/// A complete, valid form; tests change what they need.
fn valid_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("clinic_name", "  Unity   Health Centre "),
        ("clinic_address", "Block C, Main Campus"),
        ("time_zone", "Europe/London"),
        ("currency_code", "ghs"),
        ("currency_minor_digits", "0"),
        ("self_registration", "1"),
        ("matric_pattern", r"^\d{9}$"),
        ("booking_horizon_days", "14"),
        ("booking_min_notice_minutes", "60"),
        ("booking_max_future", "3"),
        ("booking_one_per_day", "1"),
        ("cancel_cutoff_minutes", "120"),
        ("no_show_grace_minutes", "30"),
        ("queue_skip_places", "3"),
        ("pharmacy_min_shelf_days", "30"),
        ("billing_tax_percent", "7.5"),
        ("audit_staff_names_to_patients", "1"),
        ("site_url", "http://localhost:3000"),
        ("messages_bookings", "Email and SMS"),
        ("messages_reminders", "Email and SMS"),
        ("messages_queue", "Email and SMS"),
        ("messages_results", "Email and SMS"),
        ("messages_waitlist", "Email and SMS"),
        ("messages_invoices", "Email and SMS"),
        ("messages_digests", "Email and SMS"),
        ("reminder_hours", "24, 2"),
        ("smtp_port", "587"),
        ("smtp_tls", "STARTTLS"),
        ("sms_endpoint", "https://api.africastalking.com/version1/messaging"),
        ("phone_country_code", "234"),
        ("lab_results_release", "abnormal"),
    ]
}

fn with(field: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut form: Vec<_> = valid_form().into_iter().filter(|(name, _)| *name != field).collect();
    form.push((field, value));
    form
}

async fn stored(app: &TestApp, key: &str) -> Option<String> {
    sqlx::query_scalar("SELECT value FROM setting WHERE key = $1")
        .bind(key)
        .fetch_optional(app.db().pool())
        .await
        .expect("setting")
}

async fn save(admin: &Client, form: &[(&str, &str)]) -> Page {
    admin.post(PATH, form).await
}

async fn saving_changes_the_header_and_persists(app: TestApp) {
    let admin = app.admin().await;
    admin.get(PATH).await.assert_redirect(CLINIC);
    let page = admin.get(CLINIC).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.text(".brand"), "Sickbay Clinic");
    assert_eq!(page.attr("#clinic_name", "value").as_deref(), Some("Sickbay Clinic"));
    assert_eq!(page.attr("#time_zone", "value").as_deref(), Some("Africa/Lagos"));
    assert_eq!(page.attr("#time_zone", "list").as_deref(), Some("time_zone-list"));
    assert!(
        page.has("#time_zone-list option[value='Africa/Accra']"),
        "every zone is suggested"
    );
    assert!(page.texts("#time_zone-list option").len() > 400);
    let page = admin.get(REGISTRATION).await;
    assert!(page.has("#approval_required[checked]"));
    assert!(!page.has("#self_registration[checked]"));
    // The matric number format is chosen by its examples, never typed as a pattern.
    assert!(
        page.text("#matric_pattern option[selected]")
            .contains("U2019/3012345, CSC/19/1234, 190401001"),
        "{}",
        page.text("#matric_pattern option[selected]")
    );
    assert!(page.texts("#matric_pattern option").len() >= 5);

    save(&admin, &valid_form()).await.assert_redirect(PATH);
    let page = admin.get(CLINIC).await;
    assert_eq!(page.text(".flash-success"), "Settings saved.");
    assert_eq!(page.text(".brand"), "Unity Health Centre");
    assert_eq!(page.attr("#time_zone", "value").as_deref(), Some("Europe/London"));
    assert_eq!(page.attr("#currency_code", "value").as_deref(), Some("GHS"));
    let page = admin.get(REGISTRATION).await;
    assert!(page.has("#self_registration[checked]"));
    // An unticked checkbox is not sent, and means "no".
    assert!(!page.has("#approval_required[checked]"));
    // Other pages show the new name too.
    assert_eq!(admin.get("/admin").await.text(".brand"), "Unity Health Centre");

    assert_eq!(
        stored(&app, "clinic_name").await.as_deref(),
        Some("Unity Health Centre")
    );
    assert_eq!(stored(&app, "time_zone").await.as_deref(), Some("Europe/London"));
    assert_eq!(stored(&app, "currency_code").await.as_deref(), Some("GHS"));
    assert_eq!(stored(&app, "currency_minor_digits").await.as_deref(), Some("0"));
    assert_eq!(stored(&app, "self_registration").await.as_deref(), Some("1"));
    assert_eq!(stored(&app, "approval_required").await.as_deref(), Some("0"));
    assert_eq!(stored(&app, "matric_pattern").await.as_deref(), Some(r"^\d{9}$"));
    assert_eq!(stored(&app, "pharmacy_min_shelf_days").await.as_deref(), Some("30"));
    assert_eq!(stored(&app, "billing_tax_percent").await.as_deref(), Some("7.5"));
    assert_eq!(
        stored(&app, "audit_staff_names_to_patients").await.as_deref(),
        Some("1")
    );
    let settings = app.state.settings.get();
    assert_eq!(settings.clinic.time_zone, chrono_tz::Europe::London);
    assert!(settings.matric_regex().is_match("190401001"));

    // One audit row per save, naming the keys that changed.
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT actor_label, detail, ip FROM audit_event WHERE action = 'settings.update'")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        rows,
        [(
            "admin".to_owned(),
            "changed: clinic_name, clinic_address, time_zone, currency_code, currency_minor_digits, \
             self_registration, approval_required, matric_pattern, pharmacy_min_shelf_days, billing_tax_percent, \
             audit_staff_names_to_patients"
                .to_owned(),
            Some("127.0.0.1".to_owned())
        )]
    );
    save(&admin, &with("clinic_name", "Unity Clinic"))
        .await
        .assert_redirect(PATH);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'settings.update' AND detail = 'changed: clinic_name'"
        )
        .await,
        1
    );
    // Saved again as it is: nothing changed, so nothing is added to the trail, and the message says so.
    let audited = app.audits("settings.update").await;
    save(&admin, &with("clinic_name", "Unity Clinic"))
        .await
        .assert_redirect(PATH);
    assert_eq!(app.audits("settings.update").await, audited);
    assert!(admin.get(CLINIC).await.text("#messages").contains("Nothing changed."));
}

async fn invalid_values_are_refused_and_nothing_is_saved(app: TestApp) {
    let admin = app.admin().await;
    let huge = "x".repeat(5000);
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "matric_pattern",
            "([unclosed",
            "This is not a valid regular expression.",
        ),
        ("matric_pattern", "", "Enter a pattern of 1 to 200 characters."),
        ("time_zone", "Mars/Olympus", "Choose a time zone from the list."),
        ("time_zone", "", "Choose a time zone from the list."),
        (
            "currency_code",
            "NAIRA",
            "Enter a three-letter currency code, e.g. NGN.",
        ),
        ("currency_code", "N1R", "Enter a three-letter currency code, e.g. NGN."),
        ("currency_minor_digits", "5", "Enter a whole number from 0 to 4."),
        ("currency_minor_digits", "two", "Enter a whole number from 0 to 4."),
        ("clinic_name", "   ", "Enter the clinic's name."),
        ("clinic_name", &huge, "Keep the name to 100 characters or fewer."),
        ("clinic_address", &huge, "Keep the address to 500 characters or fewer."),
        ("booking_horizon_days", "0", "Enter a whole number from 1 to 90."),
        ("booking_max_future", "many", "Enter a whole number from 1 to 50."),
        ("cancel_cutoff_minutes", "-5", "Enter a whole number from 0 to 10080."),
        ("no_show_grace_minutes", "99999", "Enter a whole number from 0 to 1440."),
        ("queue_skip_places", "0", "Enter a whole number from 1 to 20."),
        ("pharmacy_min_shelf_days", "366", "Enter a whole number from 0 to 365."),
    ];
    for (field, value, message) in cases {
        let mut form: Vec<(&str, &str)> = valid_form().into_iter().filter(|(name, _)| *name != field).collect();
        form.push((field, value));
        let page = save(&admin, &form).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(page.text(&format!("#{field}-error")), message, "{field} {value:?}");
        assert_eq!(
            page.attr(&format!("#{field}"), "aria-invalid").as_deref(),
            Some("true"),
            "{field}"
        );
        // What was typed is kept.
        if field == "currency_code" {
            assert_eq!(page.attr(&format!("#{field}"), "value").as_deref(), Some(value));
        }
        if field == "matric_pattern" {
            assert_eq!(
                page.attr("#matric_pattern option[selected]", "value").as_deref(),
                Some(value)
            );
        }
        assert_eq!(page.text(".brand"), "Sickbay Clinic");
    }
    // Missing fields entirely: messages, not a crash. The page shows the first section with a mistake, and the
    // list of sections marks every section that has one.
    let page = save(&admin, &[]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#clinic_name-error") && page.has("#time_zone-error"));
    assert!(page.has(&format!(".settings-nav a[href='{REGISTRATION}'] .chip")));
    assert_eq!(page.text(".settings-nav a[aria-current] .chip"), "Check");

    assert_eq!(app.count("SELECT COUNT(*) FROM setting").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'settings.update'")
            .await,
        0
    );
    assert_eq!(app.state.settings.get().clinic.name, "Sickbay Clinic");
}

async fn settings_are_for_admins_only(app: TestApp) {
    for role in [Role::Doctor, Role::Pharmacist, Role::Lab, Role::Reception] {
        let client = app.login_as(&format!("x.{}", role.as_str()), role).await;
        let page = client.get(PATH).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} GET");
        assert_eq!(page.text("h1"), "Not allowed");
        let page = client.post(PATH, &valid_form()).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} POST");
    }
    let stranger = app.client();
    for page in [stranger.get(PATH).await, stranger.post(PATH, &valid_form()).await] {
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location().unwrap_or_default().starts_with("/login"));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM setting").await, 0);
}

async fn another_instance_sees_the_change_after_a_refresh(app: TestApp) {
    // A second app server on the same database, with its own settings cache.
    let other = TestApp::serve(
        AppState::new(app.db().clone(), crate::support::test_config())
            .await
            .expect("state"),
    )
    .await;
    let admin = app.admin().await;
    save(&admin, &valid_form()).await.assert_redirect(PATH);
    // The periodic refresh (every 30 s in `serve`) is what brings it; here it is called directly.
    other.state.settings.refresh(other.db()).await.expect("refresh");
    let elsewhere = other.admin().await;
    assert_eq!(elsewhere.get("/admin").await.text(".brand"), "Unity Health Centre");
}

async fn an_unknown_stored_key_changes_nothing(app: TestApp) {
    let before = app.state.settings.get();
    // Numbers under keys no feature owns (a typo, a key of another version) land in no setting.
    app.set_setting("no_show_grace", "5").await;
    app.set_setting("booking_horizon", "2").await;
    app.set_setting("queue_skip", "9").await;
    assert_eq!(*app.state.settings.get(), *before);
    // A fresh start reads them past too (and only warns).
    let other = AppState::new(app.db().clone(), crate::support::test_config())
        .await
        .expect("state");
    assert_eq!(*other.settings.get(), *before);
    // Saving the page writes only the known keys and leaves the unknown rows alone.
    let admin = app.admin().await;
    save(&admin, &valid_form()).await.assert_redirect(PATH);
    assert_eq!(stored(&app, "no_show_grace").await.as_deref(), Some("5"));
    let settings = app.state.settings.get();
    assert_eq!(settings.booking.no_show_grace_minutes, 30);
    assert_eq!(settings.booking.horizon_days, 14);
    assert_eq!(settings.queue.skip_places, 3);
}

/// Each section is a page and a form of its own: saving it changes its own keys only (a box left unticked is
/// unticked), the page comes back with its name in the message; an error stays beside its field with nothing
/// saved; a section that isn't one is a 404. Mail and SMS say whether they are connected, in the list of
/// sections too.
async fn each_section_saves_on_its_own(app: TestApp) {
    let admin = app.admin().await;
    let booking = "/admin/settings/booking";
    let page = admin.get(booking).await;
    assert_eq!(page.text("#settings-form legend"), "Booking");
    assert_eq!(page.text(".settings-nav a[aria-current]"), "Booking");
    assert_eq!(page.texts(".settings-nav li").len(), 11, "every section is listed");
    let mut form = FormFields::of(&page, "#settings-form");
    assert!(form.get("clinic_name").is_none(), "a section posts its own fields only");
    assert!(
        app.state.settings.get().booking_rules().one_per_day,
        "ticked by default"
    );
    form.set("booking_horizon_days", "21");
    form.0.retain(|(name, _)| name != "booking_one_per_day");
    let clinic_before = admin.get(CLINIC).await.attr("#clinic_name", "value");
    admin.post(booking, &form.fields()).await.assert_redirect(booking);
    assert_eq!(stored(&app, "booking_horizon_days").await.as_deref(), Some("21"));
    assert_eq!(stored(&app, "booking_one_per_day").await.as_deref(), Some("0"));
    assert_eq!(
        stored(&app, "clinic_name").await,
        clinic_before,
        "another section's key as it was"
    );
    assert_eq!(admin.get(booking).await.text(".flash-success"), "Booking saved.");
    admin.post(booking, &form.fields()).await.assert_redirect(booking);
    assert_eq!(
        admin.get(booking).await.text(".flash-success"),
        "Nothing changed in Booking."
    );

    // A bad value: told beside its field, with the section as typed, and nothing saved.
    form.set("booking_horizon_days", "abc");
    let refused = admin.post(booking, &form.fields()).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("#booking_horizon_days-error"), "{}", refused.text("main"));
    assert_eq!(refused.attr("#booking_horizon_days", "value").as_deref(), Some("abc"));
    assert_eq!(refused.text("[data-save-state]"), "Not saved: see the messages above.");
    assert_eq!(stored(&app, "booking_horizon_days").await.as_deref(), Some("21"));
    for nowhere in ["/admin/settings/nowhere", "/admin/settings/99"] {
        admin.get(nowhere).await.assert_status(StatusCode::NOT_FOUND);
        admin
            .post(nowhere, &form.fields())
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }

    // Mail: not connected until a server and a sender are saved.
    let mail = "/admin/settings/mail-server";
    let page = admin.get(mail).await;
    assert_eq!(page.text("#settings-form legend .chip"), "Not connected");
    assert!(page.has("#settings-form .settings-note a[href='/admin/outbox']"));
    assert_eq!(
        page.texts(".settings-nav .chip"),
        ["Not set up", "Not set up"],
        "mail and SMS"
    );
    let mut form = FormFields::of(&page, "#settings-form");
    // (The reader of a form's fields takes its inputs; the browser sends its select too.)
    form.set("smtp_host", "127.0.0.1")
        .set("mail_from", "clinic@example.edu")
        .set("smtp_tls", "STARTTLS");
    admin.post(mail, &form.fields()).await.assert_redirect(mail);
    let page = admin.get(mail).await;
    assert_eq!(page.text("#settings-form legend .chip"), "Connected");
    assert_eq!(page.texts(".settings-nav .chip"), ["Not set up"], "SMS only");
    assert_eq!(
        admin
            .get("/admin/settings/sms-provider")
            .await
            .text("#settings-form legend .chip"),
        "Not connected"
    );
    assert!(
        !admin.get(CLINIC).await.has("#settings-form legend .chip"),
        "the clinic's section has no connection"
    );
}
