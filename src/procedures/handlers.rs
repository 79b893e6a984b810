//! The admin's procedure catalogue, and the consultation screen's procedures section. The section is a plain
//! form that redirects back to the visit (its message in the section's region); with htmx it answers with the
//! section alone and the message out of band, and a refused form shows its messages beside its fields (422).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::state::AppState;
use crate::web::extract::{Admins, Doctors, Staff};
use crate::web::filters;
use crate::web::form::{Form, invalid};
use crate::web::htmx::HxRequest;
use crate::web::inline_messages::{Place, out_of_band};
use crate::web::layout::Page;
use crate::web::layout::{FlashKind, Layout, flash, flash_in};
use crate::web::{AppError, AppResult, IdPath, IdsPath};
use sickbay_core::consult::model::Access;
use sickbay_core::db::Timestamp;
use sickbay_core::db::form_ids::FormKey;
use sickbay_core::error::ServiceError;
use sickbay_core::identity::StaffUser;
use sickbay_core::pharmacy::model::Drug;
use sickbay_core::procedures::model::{ProcedureInput, ProcedureType, VisitProcedures};
use sickbay_core::procedures::service::{self, Supply};
use sickbay_core::validation::{FieldErrors, parse_id};

/// The section's message region (and its element id and anchor).
pub const REGION: &str = "procedures";

/// The catalogue form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct TypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    price: String,
    /// The checkbox: sent only when ticked.
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    form_id: String,
    /// The `updated_at` an edit form was loaded with.
    #[serde(default)]
    version: Option<i64>,
}

impl TypeForm {
    fn is_active(&self) -> bool {
        self.active.is_some()
    }

    fn input(&self, minor_digits: u32) -> Result<ProcedureInput, FieldErrors> {
        ProcedureInput::validate(&self.name, &self.price, self.is_active(), minor_digits)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "procedures/catalogue.html")]
pub struct CataloguePage {
    layout: Layout,
    types: Vec<ProcedureType>,
    form: TypeForm,
    errors: FieldErrors,
}

fn fresh_form() -> TypeForm {
    TypeForm {
        form_id: FormKey::mint().to_string(),
        active: Some("1".into()),
        ..TypeForm::default()
    }
}

/// The catalogue and the form that adds to it.
pub async fn catalogue(_admin: Staff<Admins>, Page { state, layout, .. }: Page) -> AppResult<CataloguePage> {
    Ok(CataloguePage {
        layout,
        types: service::types(&state.db).await?,
        form: fresh_form(),
        errors: FieldErrors::default(),
    })
}

pub async fn create(
    admin: Staff<Admins>,
    Page { state, session, layout }: Page,
    Form(form): Form<TypeForm>,
) -> AppResult<Response> {
    let digits = layout.currency.minor_digits;
    let result = match form.input(digits) {
        Ok(input) => {
            let actor = admin.actor_with_form(&form.form_id)?;
            service::create_type(&state.db, &actor, &input).await.map(|_| input)
        }
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(input) => {
            flash(
                &session,
                FlashKind::Success,
                format!("{} added to the catalogue.", input.name),
            )
            .await?;
            Ok(Redirect::to("/admin/procedures").into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(invalid(CataloguePage {
            layout,
            types: service::types(&state.db).await?,
            form,
            errors,
        })),
        Err(err) => Err(err.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "procedures/edit.html")]
pub struct EditPage {
    layout: Layout,
    kind: ProcedureType,
    form: TypeForm,
    errors: FieldErrors,
    supplies: Vec<Supply>,
    /// What the supply form may choose from.
    choices: Vec<Drug>,
    supply_form: SupplyForm,
    supply_errors: FieldErrors,
}

impl EditPage {
    fn is_chosen(&self, drug: &Drug) -> bool {
        self.supply_form.drug_id.trim() == drug.id.to_string()
    }

    async fn load(state: &AppState, layout: Layout, kind: ProcedureType, form: TypeForm) -> AppResult<EditPage> {
        Ok(EditPage {
            supplies: service::supplies(&state.db, kind.id, state.today()).await?,
            choices: sickbay_core::pharmacy::service::procedure_supplies(&state.db).await?,
            layout,
            kind,
            form,
            errors: FieldErrors::default(),
            supply_form: SupplyForm::default(),
            supply_errors: FieldErrors::default(),
        })
    }
}

/// The form that sets a supply a procedure uses.
#[derive(Debug, Default, Deserialize)]
pub struct SupplyForm {
    #[serde(default)]
    drug_id: String,
    #[serde(default)]
    units: String,
}

/// The edit form filled in from the catalogue entry.
fn edit_fields(kind: &ProcedureType, minor_digits: u32) -> TypeForm {
    TypeForm {
        name: kind.name.clone(),
        price: kind.price.format_major(minor_digits),
        active: kind.active.then(|| "1".to_owned()),
        form_id: String::new(),
        version: Some(kind.updated_at.millis()),
    }
}

pub async fn edit_form(
    _admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, layout, .. }: Page,
) -> AppResult<EditPage> {
    let kind = service::get_type(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let form = edit_fields(&kind, layout.currency.minor_digits);
    EditPage::load(&state, layout, kind, form).await
}

pub async fn update(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<TypeForm>,
) -> AppResult<Response> {
    let kind = service::get_type(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let seen = Timestamp(form.version.unwrap_or(kind.updated_at.millis()));
    let result = match form.input(layout.currency.minor_digits) {
        Ok(input) => service::update_type(&state.db, &admin.actor, id, seen, &input)
            .await
            .map(|()| input),
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(input) => {
            flash(&session, FlashKind::Success, format!("{} saved.", input.name)).await?;
            Ok(Redirect::to("/admin/procedures").into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = EditPage::load(&state, layout, kind, form).await?;
            Ok(invalid(EditPage { errors, ..page }))
        }
        Err(err) => Err(err.into()),
    }
}

/// Sets a supply the procedure uses (admins).
pub async fn set_supply(
    admin: Staff<Admins>,
    IdPath(id): IdPath,
    Page { state, session, layout }: Page,
    Form(form): Form<SupplyForm>,
) -> AppResult<Response> {
    let kind = service::get_type(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let drug = parse_id(&form.drug_id);
    match service::set_supply(&state.db, &admin.actor, id, drug, &form.units).await {
        Ok(()) => {
            flash(
                &session,
                FlashKind::Success,
                format!("{} uses it from now on.", kind.name),
            )
            .await?;
            Ok(Redirect::to(&format!("/admin/procedures/{id}#supplies")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let fields = edit_fields(&kind, layout.currency.minor_digits);
            let page = EditPage::load(&state, layout, kind, fields).await?;
            Ok(invalid(EditPage {
                supply_form: form,
                supply_errors: errors,
                ..page
            }))
        }
        Err(err) => Err(err.into()),
    }
}

/// Stops the procedure from using a supply (admins).
pub async fn remove_supply(
    admin: Staff<Admins>,
    State(state): State<AppState>,
    IdsPath(id, drug): IdsPath,
    session: Session,
) -> AppResult<Response> {
    service::remove_supply(&state.db, &admin.actor, id, drug).await?;
    flash(
        &session,
        FlashKind::Success,
        "The supply is taken off the procedure.".to_owned(),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/procedures/{id}#supplies")).into_response())
}

/// The section alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "procedures/section.html")]
pub struct SectionFragment {
    layout: Layout,
    procedures: VisitProcedures,
}

/// The section on a page of its own: a refused form without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "procedures/visit_form.html")]
pub struct SectionPage {
    layout: Layout,
    procedures: VisitProcedures,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    procedure_type_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    form_id: String,
}

/// Records a procedure in the visit (its doctor, while it is open), once per form.
pub async fn record(
    user: Staff<Doctors>,
    IdPath(visit_id): IdPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
    Form(form): Form<RecordForm>,
) -> AppResult<Response> {
    let chosen = parse_id(&form.procedure_type_id);
    let actor = user.actor_with_form(&form.form_id)?;
    let result = service::record(&state.db, &user, &actor, visit_id, chosen, &form.note, state.today()).await;
    let result = result.map(|_| "Procedure recorded.".to_owned());
    answered(
        &state,
        &user,
        &session,
        layout,
        hx,
        visit_id,
        result,
        (chosen, form.note),
    )
    .await
}

pub async fn remove(
    user: Staff<Doctors>,
    IdsPath(visit_id, id): IdsPath,
    hx: HxRequest,
    Page { state, session, layout }: Page,
) -> AppResult<Response> {
    let result = service::remove(&state.db, &user, &user.actor, visit_id, id, state.today())
        .await
        .map(|name| format!("{name} removed."));
    answered(
        &state,
        &user,
        &session,
        layout,
        hx,
        visit_id,
        result,
        (None, String::new()),
    )
    .await
}

/// Answers the section's forms: the section with the message (htmx), or back to the visit; a refused form
/// again with its messages (422).
#[allow(clippy::too_many_arguments)]
async fn answered(
    state: &AppState,
    user: &StaffUser,
    session: &Session,
    layout: Layout,
    hx: HxRequest,
    visit_id: i64,
    result: Result<String, ServiceError>,
    (chosen, note): (Option<i64>, String),
) -> AppResult<Response> {
    let errors = match result {
        Ok(message) if !hx.0 => {
            flash_in(session, REGION, FlashKind::Success, message).await?;
            return Ok(Redirect::to(&format!("/visits/{visit_id}#{REGION}")).into_response());
        }
        Ok(message) => {
            let procedures = section(state, user, visit_id).await?;
            let main = SectionFragment { layout, procedures }.render()?;
            let region = out_of_band(Place::new(REGION, ""), FlashKind::Success, &message)?;
            return Ok(Html(format!("{main}{region}")).into_response());
        }
        Err(ServiceError::Invalid(errors)) => errors,
        Err(err) => return Err(err.into()),
    };
    let mut procedures = section(state, user, visit_id).await?;
    procedures.errors = errors;
    procedures.chosen = chosen;
    procedures.note = note;
    let page = match hx.0 {
        true => SectionFragment { layout, procedures }.render()?,
        false => SectionPage { layout, procedures }.render()?,
    };
    Ok(invalid(Html(page)))
}

async fn section(state: &AppState, user: &StaffUser, visit_id: i64) -> AppResult<VisitProcedures> {
    let visit = sickbay_core::consult::service::visit_for(&state.db, user, visit_id, Access::Read).await?;
    Ok(service::section(&state.db, user, &visit).await?)
}
