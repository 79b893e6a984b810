//! The prescription section of the consultation screen, its drug search and quantity suggestion, the
//! printable prescription (staff and the patient's own), and the pharmacy's list.
//!
//! The section is a plain form that redirects back to the visit; with htmx it answers with the section alone,
//! swapped in place, and a refused form shows its messages beside its fields (422). Without JavaScript a
//! refused form, a drug search or a suggestion comes back as a page of its own holding the section.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Doctors, PortalUser, RoleSet, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid};
use crate::web::htmx::{HxRequest, redirect};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::paging::{Pager, Paging, address, page_value};
use crate::web::{AppResult, IdPath, IdsPath};
use sickbay_core::consult::model::{Access, Visit};
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::db::paging::PageRequest;
use sickbay_core::db::{Date, Reader};
use sickbay_core::error::ServiceError;
use sickbay_core::identity::{Role, StaffUser};
use sickbay_core::pharmacy::model::{DrugStock, StockLevel};
use sickbay_core::prescriptions::model::dose::{self, Dispensed, NoSuggestion};
use sickbay_core::prescriptions::model::{
    Frequency, Item, ItemForm, ListFilter, Prescription, PrescriptionStatus, Route, allergy_match,
};
use sickbay_core::prescriptions::repo::Listed;
use sickbay_core::prescriptions::service;
use sickbay_core::validation::{FieldErrors, parse_id};

/// Who reads prescriptions: doctors, admins and pharmacists (pharmacists never see notes or diagnoses).
pub struct PrescriptionReaders;

impl RoleSet for PrescriptionReaders {
    const ROLES: &'static [Role] = &[Role::Doctor, Role::Admin, Role::Pharmacist];
}

/// A drug offered by the search, with its stock and whether it matches the patient's allergies.
pub struct Match {
    pub drug: DrugStock,
    pub allergy: Option<String>,
    /// The drug the form has picked.
    pub chosen: bool,
}

impl Match {
    pub fn stock(&self) -> StockLevel {
        self.drug.stock()
    }
}

/// An item on the prescription, with the drug's stock today.
pub struct ItemLine {
    pub item: Item,
    pub on_hand: i64,
}

/// The prescription section of the consultation screen (`VisitPage.prescriptions`).
pub struct Section {
    pub visit_id: i64,
    /// Whether this user may add and remove items now (the visit's doctor, while the visit is open).
    pub can_prescribe: bool,
    pub items: Vec<ItemLine>,
    pub form: ItemForm,
    pub errors: FieldErrors,
    pub matches: Vec<Match>,
    /// What was just done, for the section's message region.
    pub notice: Option<String>,
    /// How Suggest worked out the quantity ("75 ml for the course: 1 × 100 ml bottle."), beside it.
    pub suggestion: Option<String>,
    pub routes: &'static [Route],
    pub frequencies: &'static [Frequency],
}

impl Section {
    pub fn searched(&self) -> bool {
        !self.form.drug_q.trim().is_empty()
    }

    pub fn is_route(&self, route: &Route) -> bool {
        self.form.chosen_route() == Some(*route)
    }

    pub fn is_frequency(&self, frequency: &Frequency) -> bool {
        self.form.chosen_frequency() == Some(*frequency)
    }

    /// The allergy warning of a refused item: the acknowledgement is asked for while there is one.
    pub fn allergy_warning(&self) -> Option<&str> {
        self.errors.get("allergy_ack")
    }

    pub fn asks_acknowledgement(&self) -> bool {
        self.allergy_warning().is_some() || self.form.acknowledged()
    }

    pub fn has_items(&self) -> bool {
        !self.items.is_empty()
    }

    /// The line the form folds under: the first medicine, or another.
    pub fn add_summary(&self) -> &'static str {
        if self.has_items() {
            "Add another medicine"
        } else {
            "Add a medicine"
        }
    }

    /// The form stays open while it holds work: a mistake to correct, or a drug found, a dose or a quantity
    /// suggested (the page answered again without JavaScript).
    pub fn form_is_open(&self) -> bool {
        !self.errors.is_empty() || self.form.is_started()
    }

    /// The help beside the quantity: how Suggest worked it out, once it did.
    pub fn quantity_help(&self) -> &str {
        self.suggestion
            .as_deref()
            .unwrap_or("Units of the drug. Suggest works it out from the dose, how often and the days.")
    }

    pub fn stock_of(&self, line: &ItemLine) -> StockLevel {
        StockLevel::of(line.on_hand, 0)
    }

    /// The search's attributes (written here, never user data).
    pub fn search_attributes(&self) -> String {
        format!(
            "hx-get=\"/visits/{}/prescription/drugs\" hx-trigger=\"input changed delay:250ms, search\" \
             hx-target=\"#drug-matches\" hx-sync=\"this:replace\" hx-include=\"#drug-matches\"",
            self.visit_id
        )
    }
}

/// The section for the consultation screen of `visit`, as `user` sees it, around the visit's items (which the
/// screen read with its earlier visits').
pub async fn section(
    db: impl Reader,
    today: Date,
    user: &StaffUser,
    visit: &Visit,
    items: Vec<Item>,
) -> AppResult<Section> {
    assemble(db, today, user, visit, items, Filled::fresh()).await
}

/// The prescription form as the section shows it: what was typed, its messages, and what was just done.
struct Filled {
    form: ItemForm,
    errors: FieldErrors,
    notice: Option<String>,
    suggestion: Option<String>,
}

impl Filled {
    fn fresh() -> Self {
        Filled::with_notice(None)
    }

    fn with_notice(notice: Option<String>) -> Self {
        Filled {
            form: ItemForm {
                form_id: FormKey::mint().to_string(),
                ..ItemForm::default()
            },
            errors: FieldErrors::default(),
            notice,
            suggestion: None,
        }
    }

    fn refused(form: ItemForm, errors: FieldErrors) -> Self {
        Filled {
            form,
            errors,
            notice: None,
            suggestion: None,
        }
    }
}

async fn load(state: &AppState, user: &StaffUser, visit: &Visit, filled: Filled) -> AppResult<Section> {
    let items = service::items_of_visits(&state.db, &[visit.id]).await?;
    assemble(&state.db, state.today(), user, visit, items, filled).await
}

/// The section around the visit's `items`, with each one's stock.
async fn assemble(
    mut db: impl Reader,
    today: Date,
    user: &StaffUser,
    visit: &Visit,
    items: Vec<Item>,
    filled: Filled,
) -> AppResult<Section> {
    let Filled {
        form,
        errors,
        notice,
        suggestion,
    } = filled;
    let ids: Vec<i64> = items.iter().map(|i| i.drug_id).collect();
    let stock = sickbay_core::pharmacy::service::stock_on_hand(&mut db, &ids, today).await?;
    let items = items
        .into_iter()
        .map(|item| ItemLine {
            on_hand: stock.get(&item.drug_id).copied().unwrap_or(0),
            item,
        })
        .collect();
    let can_prescribe = visit.allows(user, Access::Write) && user.role == Role::Doctor;
    let matches = match can_prescribe && (!form.drug_q.trim().is_empty() || form.drug_id().is_some()) {
        true => matches(db, today, visit, &form.drug_q, form.drug_id()).await?,
        false => Vec::new(),
    };
    Ok(Section {
        visit_id: visit.id,
        can_prescribe,
        items,
        form,
        errors,
        matches,
        notice,
        suggestion,
        routes: Route::ALL,
        frequencies: Frequency::ALL,
    })
}

/// The drugs matching `text` (and the one already chosen, first), each with its stock and allergy match.
async fn matches(
    mut db: impl Reader,
    today: Date,
    visit: &Visit,
    text: &str,
    chosen: Option<i64>,
) -> AppResult<Vec<Match>> {
    let mut drugs = sickbay_core::pharmacy::service::search_drugs(&mut db, text, today).await?;
    if let Some(id) = chosen
        && !drugs.iter().any(|d| d.id == id)
    {
        let mut picked = sickbay_core::pharmacy::service::drugs_with_stock(&mut db, &[id], today).await?;
        picked.retain(DrugStock::is_active);
        picked.append(&mut drugs);
        drugs = picked;
    }
    let allergies = sickbay_core::patients::service::get(&mut db, visit.patient_id)
        .await?
        .map(|p| p.allergies)
        .unwrap_or_default();
    let mut found: Vec<Match> = drugs
        .into_iter()
        .map(|drug| Match {
            allergy: allergy_match(&allergies, &drug.name, &drug.generic_name),
            chosen: Some(drug.id) == chosen,
            drug,
        })
        .collect();
    // One drug found is picked already, unless the patient's allergies make it a choice to make deliberately.
    if let [only] = found.as_mut_slice()
        && only.allergy.is_none()
    {
        only.chosen = true;
    }
    Ok(found)
}

/// The section on a page of its own (a refused form, a search or a suggestion without JavaScript), or
/// alone for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "prescriptions/section.html", blocks = ["section"])]
pub struct SectionPage {
    pub layout: Layout,
    pub prescriptions: Section,
}

fn answer(hx: HxRequest, page: SectionPage) -> AppResult<Response> {
    if hx.0 {
        Ok(Html(page.as_section().render()?).into_response())
    } else {
        Ok(page.into_response())
    }
}

/// Adds an item (the visit's doctor, while the visit is open).
pub async fn add_item(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    let actor = user.actor_with_form(&form.form_id)?;
    match service::add_item(&state.db, &user, &actor, id, &form).await {
        Ok(item_id) => {
            let notice = added_notice(&state, id, item_id).await?;
            changed(&state, &user, id, session, hx, layout, notice).await
        }
        Err(ServiceError::Invalid(errors)) => {
            let visit = sickbay_core::consult::service::visit_for(&state.db, &user, id, Access::Read).await?;
            let section = load(&state, &user, &visit, Filled::refused(form, errors)).await?;
            let page = answer(
                hx,
                SectionPage {
                    layout,
                    prescriptions: section,
                },
            )?;
            Ok(invalid(page))
        }
        Err(err) => Err(err.into()),
    }
}

async fn added_notice(state: &AppState, visit_id: i64, item_id: i64) -> AppResult<String> {
    let items = service::items_of_visits(&state.db, &[visit_id]).await?;
    Ok(match items.iter().find(|i| i.id == item_id) {
        Some(item) => format!("{} added: {}.", item.drug_label(), item.how_to_take()),
        None => "The item is added.".to_owned(),
    })
}

/// "Find" and "Suggest": the form again with the drugs matching what is typed and the quantity worked out
/// from the dose, frequency and duration. Nothing is written.
pub async fn draft(
    user: Staff<Doctors>,
    IdPath(id): IdPath,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Form(mut form): Form<ItemForm>,
) -> AppResult<Response> {
    let visit = service::prescribable_visit(&state.db, &user, id).await?;
    let mut errors = FieldErrors::default();
    let drug = match form.drug_id() {
        Some(drug_id) => sickbay_core::pharmacy::service::drug(&state.db, drug_id).await?,
        None => None,
    };
    let mut suggestion = None;
    if let (Some(drug), Some(frequency), Some(days)) = (&drug, form.chosen_frequency(), form.days()) {
        let dispensed = Dispensed {
            form: drug.form,
            strength: &drug.strength,
            unit: &drug.unit,
        };
        match dose::suggest(&form.dose, dispensed, frequency, days) {
            Ok(suggested) => {
                form.quantity = suggested
                    .quantity
                    .min(sickbay_core::prescriptions::model::QUANTITY_MAX)
                    .to_string();
                suggestion = Some(suggested.note);
            }
            Err(NoSuggestion::Dose(message)) => {
                errors.add("dose", message);
                errors.add("quantity", "Correct the dose, then press Suggest.");
            }
            Err(NoSuggestion::Quantity(message)) => errors.add("quantity", message),
        }
    } else if !form.dose.trim().is_empty() || !form.frequency.is_empty() {
        errors.add(
            "quantity",
            "Pick the drug, the dose, how often and for how many days, then press Suggest.",
        );
    }
    let filled = Filled {
        suggestion,
        ..Filled::refused(form, errors)
    };
    let section = load(&state, &user, &visit, filled).await?;
    answer(
        hx,
        SectionPage {
            layout,
            prescriptions: section,
        },
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DrugQuery {
    #[serde(default)]
    drug_q: String,
    #[serde(default)]
    drug_id: String,
}

#[derive(Template)]
#[template(path = "prescriptions/_drugs.html")]
struct DrugMatches {
    matches: Vec<Match>,
    searched: bool,
}

/// The drugs matching what is typed, with stock and allergy matches, as choices (the visit's doctor).
pub async fn search_drugs(
    user: Staff<Doctors>,
    State(state): State<AppState>,
    IdPath(id): IdPath,
    Query(query): Query<DrugQuery>,
) -> AppResult<Response> {
    let visit = service::prescribable_visit(&state.db, &user, id).await?;
    let chosen = parse_id(query.drug_id.trim());
    let page = DrugMatches {
        matches: matches(&state.db, state.today(), &visit, &query.drug_q, chosen).await?,
        searched: !query.drug_q.trim().is_empty(),
    };
    Ok(Html(page.render()?).into_response())
}

/// Takes an item off the prescription (the visit's doctor, while the visit is open).
pub async fn remove_item(
    user: Staff<Doctors>,
    IdsPath(id, item): IdsPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
) -> AppResult<Response> {
    let removed = service::remove_item(&state.db, &user, &user.actor, id, item).await?;
    let notice = format!("{} is taken off the prescription.", removed.drug_label());
    changed(&state, &user, id, session, hx, layout, notice).await
}

/// The answer to a change of the prescription: the section again with `notice` and a fresh form (htmx), or
/// the notice as a flash and back to the visit.
async fn changed(
    state: &AppState,
    user: &StaffUser,
    visit_id: i64,
    session: Session,
    hx: HxRequest,
    layout: Layout,
    notice: String,
) -> AppResult<Response> {
    if !hx.0 {
        flash(&session, FlashKind::Success, notice).await?;
        return Ok(redirect(hx, &format!("/visits/{visit_id}#prescriptions")));
    }
    let visit = sickbay_core::consult::service::visit_for(&state.db, user, visit_id, Access::Read).await?;
    let section = load(state, user, &visit, Filled::with_notice(Some(notice))).await?;
    answer(
        hx,
        SectionPage {
            layout,
            prescriptions: section,
        },
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "prescriptions/print.html")]
pub struct PrintPage {
    layout: Layout,
    prescription: Prescription,
    items: Vec<Item>,
    clinic_address: String,
    /// Where "Back" goes.
    back: String,
}

/// The printable prescription (doctors, admins, pharmacists).
pub async fn print(
    user: Staff<PrescriptionReaders>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<PrintPage> {
    let printable = service::printable(&state.db, &state.reads, &user.actor, id).await?;
    let back = match user.role {
        Role::Pharmacist => "/pharmacy/prescriptions".to_owned(),
        _ => format!("/visits/{id}"),
    };
    Ok(print_page(&state, layout, printable, back))
}

/// The patient's own prescription, to read on the phone or print; 404 for anyone else's.
pub async fn mine(user: PortalUser, IdPath(id): IdPath, Page { state, layout, .. }: Page) -> AppResult<PrintPage> {
    let printable = service::printable_for_patient(&state.db, &state.reads, &user.actor, user.id, id).await?;
    Ok(print_page(&state, layout, printable, "/me".to_owned()))
}

fn print_page(state: &AppState, layout: Layout, printable: service::Printable, back: String) -> PrintPage {
    PrintPage {
        layout,
        prescription: printable.prescription,
        items: printable.items,
        clinic_address: state.settings.get().clinic.address.clone(),
        back,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "prescriptions/list.html")]
pub struct ListPage {
    layout: Layout,
    prescriptions: Vec<Listed>,
    filter: ListFilter,
    paging: Paging,
}

impl ListPage {
    /// The list's address for this status and page, keeping the search.
    fn link(&self, status: Option<PrescriptionStatus>, page: Option<i64>) -> String {
        let page = page_value(page);
        let pairs = [
            ("all", "1"),
            ("q", self.filter.search.as_str()),
            ("status", status.map_or("", PrescriptionStatus::as_str)),
            ("page", page.as_str()),
        ];
        address("/pharmacy/prescriptions", &pairs)
    }

    /// The status filter's links: its label, address, and whether it is the one shown.
    fn status_links(&self) -> Vec<(&'static str, String, bool)> {
        let all = ("All", self.link(None, None), self.filter.status.is_none());
        let one = |status: &PrescriptionStatus| {
            let status = *status;
            (
                status.label(),
                self.link(Some(status), None),
                self.filter.status == Some(status),
            )
        };
        std::iter::once(all)
            .chain(PrescriptionStatus::ALL.iter().map(one))
            .collect()
    }

    fn pager(&self) -> Pager {
        self.paging.pager(("prescription", "prescriptions"), |page| {
            self.link(self.filter.status, Some(page))
        })
    }
}

/// Every prescription that `filter` lets through, pending first, newest first (the pharmacy's worklist shows
/// this page for `?all=1`).
pub async fn all_prescriptions(
    state: &AppState,
    layout: Layout,
    filter: ListFilter,
    page: PageRequest,
) -> AppResult<ListPage> {
    let (prescriptions, total) = service::list(&state.db, &filter, page).await?;
    Ok(ListPage {
        layout,
        prescriptions,
        filter,
        paging: Paging::new(page, total),
    })
}
