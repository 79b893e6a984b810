//! The catalogue's pages: the list with search as you type and stock on hand, and the add and edit forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::web::extract::{PharmacyStaff, Staff};
use crate::web::filters;
use crate::web::form::{Form, Query, invalid, seen_version};
use crate::web::htmx::HxRequest;
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash};
use crate::web::paging::{ListQuery, Pager, Paging, address, page_value};
use crate::web::{AppError, AppResult, IdPath};
use serde::Deserialize;
use sickbay_core::db::Date;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::pharmacy::model::{CatalogueShow, CatalogueSort, Drug, DrugForm, DrugFormInput, DrugStock};
use sickbay_core::pharmacy::service;
use sickbay_core::validation::FieldErrors;

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/drugs.html", blocks = ["results"])]
pub struct DrugsPage {
    layout: Layout,
    search: String,
    show: CatalogueShow,
    sort: CatalogueSort,
    drugs: Vec<DrugStock>,
    paging: Paging,
    today: Date,
    /// Whether the user counts stock (an admin keeps the catalogue's entries, not the stock).
    does_pharmacy_work: bool,
}

impl DrugsPage {
    /// The catalogue's address with what is typed, what is shown and its order, on `page`.
    fn link(&self, show: CatalogueShow, sort: CatalogueSort, page: Option<i64>) -> String {
        // The defaults stay out of the address.
        let show = if show == CatalogueShow::default() {
            ""
        } else {
            show.key()
        };
        let sort = if sort == CatalogueSort::default() {
            ""
        } else {
            sort.key()
        };
        let page = page_value(page);
        let pairs = [
            ("q", self.search.as_str()),
            ("show", show),
            ("sort", sort),
            ("page", page.as_str()),
        ];
        address("/pharmacy/drugs", &pairs)
    }

    fn all_link(&self) -> String {
        self.link(CatalogueShow::All, self.sort, None)
    }

    /// The choices of which entries to list: (label, link, whether it is the one shown).
    fn show_links(&self) -> Vec<(&'static str, String, bool)> {
        let link = |show: CatalogueShow| (show.label(), self.link(show, self.sort, None), show == self.show);
        CatalogueShow::ALL.into_iter().map(link).collect()
    }

    /// The column heading's link: this order (from the first page), and whether it is the current one.
    fn sort_link(&self, sort: CatalogueSort) -> (String, bool) {
        (self.link(self.show, sort, None), self.sort == sort)
    }

    fn pager(&self) -> Pager {
        let mut pager = self
            .paging
            .pager(("entry", "entries"), |page| self.link(self.show, self.sort, Some(page)));
        pager.summary += &format!(
            " · stock as of {}, expired batches left out",
            filters::day_of(&self.today)
        );
        pager
    }
}

/// What the catalogue's address asks: the search and page, which entries and in what order.
#[derive(Debug, Default, Deserialize)]
pub struct CatalogueQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    show: String,
    #[serde(default)]
    sort: String,
}

/// The catalogue (pharmacists and admins): with htmx, only the results for what is typed.
pub async fn list(
    user: Staff<PharmacyStaff>,
    hx: HxRequest,
    Page { state, layout, .. }: Page,
    Query(query): Query<CatalogueQuery>,
) -> AppResult<Response> {
    let (search, page) = (query.list.search(), query.list.page());
    let (show, sort) = (CatalogueShow::parse(&query.show), CatalogueSort::parse(&query.sort));
    let today = state.today();
    let (drugs, total) = service::catalogue(state.db.conn().await?, (&search, show, sort), today, page).await?;
    let list = DrugsPage {
        layout,
        search,
        show,
        sort,
        drugs,
        paging: Paging::new(page, total),
        today,
        does_pharmacy_work: super::does_pharmacy_work(&user),
    };
    if hx.0 {
        Ok(Html(list.as_results().render()?).into_response())
    } else {
        Ok(list.into_response())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pharmacy/drug_form.html")]
pub struct DrugPage {
    layout: Layout,
    /// The entry being edited; none on the add form.
    drug: Option<Drug>,
    form: DrugFormInput,
    errors: FieldErrors,
    forms: &'static [DrugForm],
}

impl DrugPage {
    fn action(&self) -> String {
        match &self.drug {
            Some(drug) => format!("/pharmacy/drugs/{}", drug.id),
            None => "/pharmacy/drugs".to_owned(),
        }
    }

    fn heading(&self) -> String {
        match &self.drug {
            Some(drug) => format!("Edit {}", drug.label()),
            None => "Add a drug or supply".to_owned(),
        }
    }

    fn is_chosen(&self, form: &DrugForm) -> bool {
        self.form.form == form.as_str()
    }

    fn currency_hint(&self) -> String {
        format!("({})", self.layout.currency.code)
    }
}

pub async fn new_form(_user: Staff<PharmacyStaff>, layout: Layout) -> DrugPage {
    DrugPage {
        layout,
        drug: None,
        form: DrugFormInput {
            form_id: FormKey::mint().to_string(),
            active: Some("1".to_owned()),
            ..DrugFormInput::default()
        },
        errors: FieldErrors::default(),
        forms: DrugForm::ALL,
    }
}

pub async fn create(
    user: Staff<PharmacyStaff>,
    Page { state, session, layout }: Page,
    Form(form): Form<DrugFormInput>,
) -> AppResult<Response> {
    let digits = layout.currency.minor_digits;
    let result = match form.validate(digits) {
        Ok(drug) => service::create_drug(&state.db, &user.actor_with_form(&form.form_id)?, &drug)
            .await
            .map(|_| drug),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(drug) => {
            flash(
                &session,
                FlashKind::Success,
                format!("{} is in the catalogue.", drug.label()),
            )
            .await?;
            let q: String = form_urlencoded::byte_serialize(drug.name.as_bytes()).collect();
            Ok(Redirect::to(&format!("/pharmacy/drugs?q={q}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(DrugPage {
            layout,
            drug: None,
            form,
            errors,
            forms: DrugForm::ALL,
        })),
        Err(err) => Err(err.into()),
    }
}

pub async fn edit_form(
    _user: Staff<PharmacyStaff>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<DrugPage> {
    let drug = service::drug(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(DrugPage {
        form: DrugFormInput::of(&drug, layout.currency.minor_digits),
        layout,
        drug: Some(drug),
        errors: FieldErrors::default(),
        forms: DrugForm::ALL,
    })
}

pub async fn update(
    user: Staff<PharmacyStaff>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<DrugFormInput>,
) -> AppResult<Response> {
    let drug = service::drug(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let seen = seen_version(&form.version)?;
    let result = match form.validate(layout.currency.minor_digits) {
        Ok(input) => service::update_drug(&state.db, &user.actor, id, seen, &input)
            .await
            .map(|_| input),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(input) => {
            flash(&session, FlashKind::Success, format!("{} is saved.", input.label())).await?;
            let q: String = form_urlencoded::byte_serialize(input.name.as_bytes()).collect();
            Ok(Redirect::to(&format!("/pharmacy/drugs?q={q}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(DrugPage {
            layout,
            drug: Some(drug),
            form,
            errors,
            forms: DrugForm::ALL,
        })),
        Err(err) => Err(err.into()),
    }
}
