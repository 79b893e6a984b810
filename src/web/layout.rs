//! What every full page shows around its content: the clinic's name, the user and their menu, the CSRF
//! token for forms, and a one-time flash message.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::csrf;
use super::error::AppError;
use crate::state::AppState;
use crate::web::extract::CurrentUser;
use sickbay_core::db::Currency;
use sickbay_core::identity::{Role, Roles};

const FLASH_KEY: &str = "flash";

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
    /// The message region it belongs in (`web::inline_messages`); `None`: the page's messages at the top.
    #[serde(default)]
    pub region: Option<String>,
    /// Where the message's "Undo" button posts, for a change taken back in one click (a no-show by mistake).
    #[serde(default)]
    pub undo: Option<String>,
    /// The queue ticket the message names ("Walk-in added with ticket E-007."), marked in the message so
    /// the desk can point to it on the board.
    #[serde(default)]
    pub ticket: Option<String>,
}

impl From<String> for Flash {
    /// A success: the common message of a change.
    fn from(message: String) -> Self {
        Flash::new(FlashKind::Success, message)
    }
}

impl Flash {
    pub fn new(kind: FlashKind, message: impl Into<String>) -> Self {
        Flash {
            kind,
            message: message.into(),
            region: None,
            undo: None,
            ticket: None,
        }
    }

    pub fn with_undo(self, action: String) -> Self {
        Flash {
            undo: Some(action),
            ..self
        }
    }

    pub fn with_ticket(self, code: impl Into<String>) -> Self {
        Flash {
            ticket: Some(code.into()),
            ..self
        }
    }

    /// The message around the ticket it names: the text before the code, the code, the text after it.
    pub fn ticket_parts(&self) -> Option<(&str, &str, &str)> {
        let code = self.ticket.as_deref()?;
        let (before, after) = self.message.split_once(code)?;
        Some((before, code, after))
    }

    pub fn in_region(self, region: &str) -> Self {
        Flash {
            region: Some(region.to_owned()),
            ..self
        }
    }

    pub fn css_class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Error => "flash flash-error",
        }
    }

    /// Errors interrupt (`alert`); other messages wait their turn (`status`).
    pub fn role(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "status",
            FlashKind::Error => "alert",
        }
    }
}

/// Leaves a message for the next page this session renders.
pub async fn flash(session: &Session, kind: FlashKind, message: impl Into<String>) -> Result<(), AppError> {
    leave(session, Flash::new(kind, message)).await
}

/// Leaves a message, as built, for the next page this session renders.
pub async fn leave(session: &Session, flash: Flash) -> Result<(), AppError> {
    session.insert(FLASH_KEY, flash).await?;
    Ok(())
}

/// Leaves a message for the message region `region` of the next page this session renders.
pub async fn flash_in(
    session: &Session,
    region: &str,
    kind: FlashKind,
    message: impl Into<String>,
) -> Result<(), AppError> {
    session
        .insert(FLASH_KEY, Flash::new(kind, message).in_region(region))
        .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
    /// The first of a group of sections (the admin's set-up after the day's work): a line before it.
    pub group_start: bool,
}

#[derive(Clone, Debug)]
pub struct Layout {
    pub clinic_name: String,
    pub user_name: Option<String>,
    pub role_label: Option<&'static str>,
    pub home_path: &'static str,
    /// Staff sections: a row under the header on a desktop, a menu button on a phone.
    pub nav: Vec<NavLink>,
    /// Patients' tab bar at the bottom of the screen.
    pub tabs: Vec<NavLink>,
    pub csrf_token: String,
    /// The message for the top of the page.
    pub flash: Option<Flash>,
    /// A message for one of the page's message regions (`web::inline_messages`).
    pub region_flash: Option<Flash>,
    /// The clinic's time zone and currency, for the formatting filters (`web::filters`).
    pub zone: Tz,
    pub currency: Currency,
    /// The user's unread notices (the bell); `None` without a user.
    pub bell: Option<i64>,
}

impl Layout {
    /// The role a member of staff works as, shown under their name (a shared desk computer says who it is).
    pub fn staff_role(&self) -> Option<&'static str> {
        self.role_label.filter(|_| !self.nav.is_empty())
    }

    /// The account's initials, which stand for the name on a phone's narrow header.
    pub fn user_initials(&self) -> String {
        self.user_name.as_deref().map(initials).unwrap_or_default()
    }

    pub async fn build(
        state: &AppState,
        session: &Session,
        user: Option<&CurrentUser>,
        path: &str,
    ) -> Result<Self, AppError> {
        let csrf_token = csrf::token(session).await?;
        let (flash, region_flash) = match session.remove::<Flash>(FLASH_KEY).await? {
            Some(flash) if flash.region.is_some() => (None, Some(flash)),
            flash => (flash, None),
        };
        let bell = match user {
            Some(user) => Some(sickbay_core::notify::unread_count(&state.db, user.recipient()).await?),
            None => None,
        };
        Ok(Layout {
            csrf_token,
            flash,
            region_flash,
            bell,
            ..Self::without_session(state, user, path)
        })
    }

    /// The layout without what the session holds (no form token, no message): for the page that says the
    /// database is unavailable, when the session can't be read either.
    pub fn without_session(state: &AppState, user: Option<&CurrentUser>, path: &str) -> Self {
        let (user_name, role_label, home_path, nav, tabs) = match user {
            Some(CurrentUser::Staff(staff)) => (
                Some(staff.full_name.clone()),
                Some(staff.role.label()),
                staff.role.home_path(),
                nav_for_roles(staff.role, staff.extra_roles, path),
                Vec::new(),
            ),
            Some(CurrentUser::Patient(patient)) => (
                Some(patient.full_name()),
                Some("Patient"),
                "/me",
                Vec::new(),
                patient_tabs(path),
            ),
            None => (None, None, "/", Vec::new(), Vec::new()),
        };
        let settings = state.settings.get();
        Layout {
            clinic_name: settings.clinic.name.clone(),
            user_name,
            role_label,
            home_path,
            nav,
            tabs,
            csrf_token: String::new(),
            flash: None,
            region_flash: None,
            zone: settings.clinic.time_zone,
            currency: settings.currency(),
            bell: None,
        }
    }
}

/// The menu of an account: its own role's sections, then those of each extra role it holds that are not
/// there yet (an extra role's "Home" named after its section: "Lab", "Pharmacy"; a label taken already gets
/// the section's name beside it).
fn nav_for_roles(role: Role, extra: Roles, path: &str) -> Vec<NavLink> {
    let mut links: Vec<(&'static str, &'static str)> = role_links(role).to_vec();
    for other in extra.iter().filter(|other| *other != role) {
        for &(href, label) in role_links(other) {
            if links.iter().any(|(taken, _)| *taken == href) {
                continue;
            }
            let label = match label {
                "Home" => other.section(),
                label if links.iter().any(|(_, taken)| *taken == label) => section_label(label, other),
                label => label,
            };
            links.push((href, label));
        }
    }
    mark_current(&links, path)
}

/// "Queue (Reception)": a label another role's menu holds already, with the section it belongs to.
fn section_label(label: &'static str, role: Role) -> &'static str {
    match (label, role) {
        ("Queue", Role::Reception) => "Queue (Reception)",
        _ => role.section(),
    }
}

/// "Dr Folake Adebayo" -> "FA": the first letters of the first and last names, a title before them left out.
fn initials(name: &str) -> String {
    const TITLES: [&str; 7] = ["dr", "dr.", "prof", "prof.", "mr", "mrs", "ms"];
    let words: Vec<&str> = name
        .split_whitespace()
        .skip_while(|word| TITLES.contains(&word.to_lowercase().as_str()))
        .collect();
    let first_letter = |word: &&str| word.chars().find(|c| c.is_alphanumeric());
    let first = words.first().and_then(first_letter);
    let last = words.get(1..).and_then(|rest| rest.last()).and_then(first_letter);
    first.into_iter().chain(last).flat_map(char::to_uppercase).collect()
}

/// The menu of one role.
#[cfg(test)]
fn nav_for(role: Role, path: &str) -> Vec<NavLink> {
    nav_for_roles(role, Roles::default(), path)
}

/// The sections of each role: only pages that exist.
fn role_links(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        // The day's work, what the clinic did, then setting the clinic up (SET_UP_SECTIONS starts that group).
        Role::Admin => &[
            ("/admin", "Home"),
            ("/queue", "Queue"),
            ("/patients", "Patients"),
            ("/billing", "Billing"),
            ("/schedule", "Schedule"),
            ("/admin/reports", "Reports"),
            ("/admin/audit", "Audit log"),
            ("/admin/staff", "Staff"),
            ("/admin/rooms", "Rooms"),
            ("/admin/academic", "Academic"),
            ("/admin/import", "Import"),
            ("/admin/settings", "Settings"),
        ],
        Role::Reception => &[
            ("/reception", "Home"),
            ("/queue", "Queue"),
            ("/patients", "Patients"),
            ("/patients/new", "Register"),
            ("/billing", "Billing"),
            ("/schedule", "Schedule"),
            ("/schedule/closures", "Closures"),
        ],
        Role::Doctor => &[
            ("/doctor", "Home"),
            ("/queue/doctor", "Queue"),
            ("/patients", "Patients"),
            ("/schedule", "Schedule"),
            ("/schedule/hours", "Hours"),
            ("/account/profile", "Profile"),
        ],
        Role::Pharmacist => &[
            ("/pharmacy", "Home"),
            ("/pharmacy/prescriptions", "Prescriptions"),
            ("/pharmacy/drugs", "Drugs"),
            ("/patients", "Patients"),
        ],
        Role::Lab => &[("/lab", "Home"), ("/patients", "Patients")],
    }
}

/// The patients' tab bar: what they come for, in reach of the thumb. Their bookings (`/me/appointments`) are
/// part of "Book"; their place in the queue is Home's first card (live), so it is under Home.
fn patient_tabs(path: &str) -> Vec<NavLink> {
    mark_current(
        &[
            ("/me", "Home"),
            ("/me/book", "Book"),
            ("/me/visits", "Visits"),
            ("/me/invoices", "Invoices"),
            ("/me/card", "Clinic card"),
        ],
        path,
    )
}

/// Pages that are reached from a section whose address is not above theirs: the fee schedule and schemes from
/// Billing, the outbox and the catalogues from Settings; a patient's bookings from Book, their results, letters
/// and documents from Visits, and their receipts from Invoices.
const SECTION_ELSEWHERE: [(&str, &str); 10] = [
    ("/admin/fees", "/billing"),
    ("/admin/schemes", "/billing"),
    ("/admin/outbox", "/admin/settings"),
    ("/admin/lab-tests", "/admin/settings"),
    ("/admin/procedures", "/admin/settings"),
    ("/me/appointments", "/me/book"),
    ("/me/results", "/me/visits"),
    ("/me/letters", "/me/visits"),
    ("/me/documents", "/me/visits"),
    ("/me/receipts", "/me/invoices"),
];

/// The first of the admin's set-up sections, which the menu sets apart from the day's work.
const SET_UP_SECTIONS: &str = "/admin/staff";

/// Whether `path` is `href` or a page below it.
fn is_at_or_below(path: &str, href: &str) -> bool {
    path == href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'))
}

/// The current link is the longest one that is the path or a folder above it: on `/admin/staff/4` that is
/// "Staff", not "Home" (`/admin`).
fn mark_current(links: &[(&'static str, &'static str)], path: &str) -> Vec<NavLink> {
    let path = SECTION_ELSEWHERE
        .iter()
        .find(|(page, _)| is_at_or_below(path, page))
        .map_or(path, |(_, section)| section);
    let current = links
        .iter()
        .map(|(href, _)| *href)
        .filter(|href| is_at_or_below(path, href))
        .max_by_key(|href| href.len());
    links
        .iter()
        .enumerate()
        .map(|(i, &(href, label))| NavLink {
            href,
            label,
            current: Some(href) == current,
            group_start: i > 0 && href == SET_UP_SECTIONS,
        })
        .collect()
}

/// What a handler that renders a page takes besides its own extractors: the app's state, the session and the
/// page's layout. Handlers take it apart where they name it: `Page { state, session, layout }: Page`.
pub struct Page {
    pub state: AppState,
    pub session: Session,
    pub layout: Layout,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let layout = Layout::from_request_parts(parts, state).await?;
        let session = session_of(parts).map_err(IntoResponse::into_response)?;
        Ok(Page {
            state: state.clone(),
            session,
            layout,
        })
    }
}

fn session_of(parts: &Parts) -> Result<Session, AppError> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("session layer missing")))
}

impl FromRequestParts<AppState> for Layout {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = session_of(parts).map_err(IntoResponse::into_response)?;
        let user = parts.extensions.get::<CurrentUser>();
        Layout::build(state, &session, user, parts.uri.path())
            .await
            .map_err(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_are_of_the_first_and_last_names() {
        assert_eq!(initials("Dr Folake Adebayo"), "FA");
        assert_eq!(initials("Kemi Adesanya"), "KA");
        assert_eq!(initials("Funmilayo Folake Afolabi"), "FA");
        assert_eq!(initials("ngozi"), "N");
        assert_eq!(initials("Dr"), "");
        assert_eq!(initials("  "), "");
        assert_eq!(initials("Ọlá 'Tunde"), "ỌT");
    }

    #[test]
    fn nav_marks_the_current_section() {
        let nav = nav_for(Role::Admin, "/admin/staff/4");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Staff"]);
        let nav = nav_for(Role::Admin, "/admin");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Home"]);
        let nav = nav_for(Role::Reception, "/patients/new");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Register"]);
        let nav = nav_for(Role::Reception, "/patients/12");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Patients"]);
        let nav = nav_for(Role::Doctor, "/schedule/hours");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Hours"]);
        let nav = nav_for(Role::Reception, "/schedule");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Schedule"]);
        for (path, section) in [
            ("/admin/fees", "Billing"),
            ("/admin/schemes/3", "Billing"),
            ("/admin/outbox", "Settings"),
            ("/admin/lab-tests", "Settings"),
            ("/admin/procedures/2", "Settings"),
            ("/admin/setup", "Home"),
        ] {
            let nav = nav_for(Role::Admin, path);
            let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
            assert_eq!(current, [section], "{path}");
        }
    }

    #[test]
    fn patients_tabs_mark_where_they_are() {
        let current = |path: &str| -> Vec<&str> {
            patient_tabs(path)
                .iter()
                .filter(|l| l.current)
                .map(|l| l.label)
                .collect()
        };
        assert_eq!(current("/me"), ["Home"]);
        assert_eq!(current("/me/book"), ["Book"]);
        assert_eq!(current("/me/appointments"), ["Book"]);
        assert_eq!(current("/me/queue"), ["Home"]);
        assert_eq!(current("/me/invoices"), ["Invoices"]);
        assert_eq!(current("/me/invoices/12"), ["Invoices"]);
        assert_eq!(current("/me/card"), ["Clinic card"]);
        assert_eq!(current("/me/visits/3"), ["Visits"]);
        assert_eq!(current("/me/results"), ["Visits"]);
        assert_eq!(current("/me/letters/4"), ["Visits"]);
        assert_eq!(current("/me/documents"), ["Visits"]);
        assert_eq!(current("/me/receipts/9"), ["Invoices"]);
        assert_eq!(current("/me/profile"), ["Home"]);
        let hrefs: Vec<&str> = patient_tabs("/me").iter().map(|l| l.href).collect();
        assert_eq!(hrefs, ["/me", "/me/book", "/me/visits", "/me/invoices", "/me/card"]);
    }

    #[test]
    fn an_account_with_two_roles_sees_both_menus() {
        let labels = |nav: Vec<NavLink>| nav.iter().map(|l| (l.href, l.label)).collect::<Vec<_>>();
        let nav = nav_for_roles(Role::Reception, Roles::of(Role::Lab), "/lab");
        assert_eq!(
            labels(nav_for_roles(Role::Reception, Roles::of(Role::Lab), "/lab"))[7..],
            [("/lab", "Lab")]
        );
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Lab"]);
        let doctor = labels(nav_for_roles(
            Role::Doctor,
            Roles::of(Role::Reception).with(Role::Pharmacist),
            "/doctor",
        ));
        assert!(doctor.contains(&("/queue/doctor", "Queue")));
        assert!(doctor.contains(&("/queue", "Queue (Reception)")));
        assert!(doctor.contains(&("/reception", "Reception")));
        assert!(doctor.contains(&("/pharmacy", "Pharmacy")));
        assert!(doctor.contains(&("/billing", "Billing")));
        assert_eq!(doctor.iter().filter(|(href, _)| *href == "/patients").count(), 1);
        let mut hrefs: Vec<&str> = doctor.iter().map(|(href, _)| *href).collect();
        hrefs.dedup();
        assert_eq!(hrefs.len(), doctor.len());
    }

    #[test]
    fn other_roles_see_their_home() {
        let nav = nav_for(Role::Lab, "/lab");
        assert_eq!(nav.len(), 2);
        assert_eq!(nav[0].href, "/lab");
        assert!(nav[0].current);
        assert!(!nav[1].current);
        let nav = nav_for(Role::Pharmacist, "/pharmacy/drugs/3");
        let current: Vec<&str> = nav.iter().filter(|l| l.current).map(|l| l.label).collect();
        assert_eq!(current, ["Drugs"]);
    }

    #[test]
    fn a_message_marks_the_ticket_it_names() {
        let added = Flash::from("Walk-in added with ticket E-007.".to_owned()).with_ticket("E-007");
        assert_eq!(added.ticket_parts(), Some(("Walk-in added with ticket ", "E-007", ".")));
        assert_eq!(Flash::from("Saved.".to_owned()).ticket_parts(), None);
        let elsewhere = Flash::from("Saved.".to_owned()).with_ticket("E-007");
        assert_eq!(elsewhere.ticket_parts(), None);
    }
}
