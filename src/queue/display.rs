//! The waiting-room display (`/display`, no login): ticket codes and rooms, never names, pushed over SSE the
//! moment a doctor calls. The patient's own place (`/me/queue`) is pushed the same way.

use askama::Template;
use askama_web::WebTemplate;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::board::MAX_AGE;
use super::snapshot::{DisplayFilter, Place, Snapshot, Tiles};
use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, Confirmation};
use crate::web::extract::PortalUser;
use crate::web::filters;
use crate::web::form::Query;
use crate::web::layout::{FlashKind, Layout, Page, flash};
use crate::web::live::{self, Frame};
use crate::web::{AppError, AppResult};
use sickbay_core::db::Timestamp;
use sickbay_core::db::events::{Call, Event};
use sickbay_core::queue::model::{TicketStatus, spoken_code};
use sickbay_core::queue::repo;
use sickbay_core::validation::parse_id;

#[derive(Debug, Default, Deserialize)]
pub struct DisplayQuery {
    room: Option<String>,
    doctor: Option<String>,
}

impl DisplayQuery {
    /// The filter asked for; an id that isn't a room or doctor is a 404, so the set of filters (and of shared
    /// fragments) stays as small as the clinic.
    async fn filter(&self, state: &AppState) -> AppResult<(DisplayFilter, Option<String>)> {
        let id = |text: &str| parse_id(text).ok_or(AppError::NotFound);
        match (self.room.as_deref(), self.doctor.as_deref()) {
            (Some(room), _) if !room.is_empty() => {
                let room = repo::room(&state.db, id(room)?).await?.ok_or(AppError::NotFound)?;
                Ok((DisplayFilter::Room(room.id), Some(room.name)))
            }
            (_, Some(doctor)) if !doctor.is_empty() => {
                let doctor = id(doctor)?;
                let name = sickbay_core::staff::service::active_doctors(&state.db)
                    .await?
                    .into_iter()
                    .find(|d| d.id == doctor)
                    .ok_or(AppError::NotFound)?
                    .full_name;
                Ok((DisplayFilter::Doctor(doctor), Some(name)))
            }
            _ => Ok((DisplayFilter::All, None)),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "queue/display.html")]
pub struct DisplayPage {
    clinic_name: String,
    time_zone: String,
    heading: Option<String>,
    events_url: String,
    tiles: Arc<str>,
}

#[derive(Template)]
#[template(path = "queue/_tiles.html")]
struct TilesFragment {
    tiles: Tiles,
}

/// A call to announce: the display shows it briefly, plays a chime and says it.
#[derive(Template)]
#[template(path = "queue/_call.html")]
struct CallFragment<'a> {
    call: &'a Call,
    say: String,
}

/// The tiles of a display as of event `seq`, rendered once for every display showing them; `max_age` for a
/// page view and a stream's full state (see `board::MAX_AGE`): calls leave the display as they age, with no
/// event to say so.
async fn tiles(state: &AppState, filter: DisplayFilter, seq: u64, max_age: Option<Duration>) -> AppResult<Arc<str>> {
    let key = filter.key();
    let render_state = state.clone();
    let render = || async move {
        let snapshot = Snapshot::fresh(&render_state, seq).await?;
        let fragment = TilesFragment {
            tiles: snapshot.tiles(filter, Timestamp::now()),
        };
        Ok(Arc::from(fragment.render()?))
    };
    match max_age {
        Some(max_age) => state.queue.renders.get_within(&key, seq, max_age, render).await,
        None => state.queue.renders.get_or_compute(&key, seq, render).await,
    }
}

pub async fn page(State(state): State<AppState>, Query(query): Query<DisplayQuery>) -> AppResult<DisplayPage> {
    let (filter, heading) = query.filter(&state).await?;
    let settings = state.settings.get();
    let tiles = tiles(&state, filter, state.db.events().last_seq(), Some(MAX_AGE)).await?;
    Ok(DisplayPage {
        clinic_name: settings.clinic.name.clone(),
        time_zone: settings.clinic.time_zone.name().to_owned(),
        heading,
        events_url: format!("/display/events{}", filter.query()),
        tiles,
    })
}

pub async fn events(State(state): State<AppState>, Query(query): Query<DisplayQuery>) -> AppResult<Response> {
    let (filter, _) = query.filter(&state).await?;
    let stream_state = state.clone();
    Ok(live::stream(&state, Event::touches_queues, move |delivered| {
        let state = stream_state.clone();
        async move {
            let seq = delivered
                .as_ref()
                .map_or_else(|| state.db.events().last_seq(), |d| d.seq);
            // The full state (at open, and after a quiet minute) is read again when old: a call that aged goes.
            let max_age = delivered.is_none().then_some(MAX_AGE);
            let mut frames = vec![Frame::new("tiles", tiles(&state, filter, seq, max_age).await?)];
            if let Some(Event::Queue { call: Some(call) }) = delivered.as_ref().map(|d| &d.event)
                && filter.shows_call(call.room_id, call.doctor_id)
            {
                let say = format!("Ticket {}, {}", spoken_code(&call.code), call.room_name);
                frames.push(Frame::new("call", CallFragment { call, say }.render()?));
            }
            Ok(frames)
        }
    })
    .into_response())
}

// ---- the patient's place ------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "queue/place.html")]
pub struct PlacePage {
    layout: Layout,
    live: String,
    time_zone: &'static str,
    /// "Leave the queue", while the patient's ticket waits.
    leave: Option<Confirmation>,
}

const LEAVE_PATH: &str = "/me/queue/leave";

/// What a patient is asked before leaving the queue.
fn leave_confirmation(code: &str) -> Confirmation {
    Confirmation {
        action: LEAVE_PATH.to_owned(),
        question: format!("Leave the queue with ticket {code}?"),
        detail: "Your place goes to the next person. If you come back today, reception can put you back.".into(),
        button: format!("Leave the queue ({code})"),
    }
}

/// The patient's waiting ticket, if they have one.
async fn waiting_ticket(state: &AppState, patient_id: i64) -> AppResult<Option<String>> {
    let ticket = sickbay_core::queue::service::open_ticket_of(&state.db, patient_id).await?;
    Ok(ticket.filter(|t| t.status == TicketStatus::Waiting).map(|t| t.code))
}

#[derive(Template)]
#[template(path = "queue/_place.html")]
struct PlaceFragment {
    place: Option<Place>,
    updated: Timestamp,
    zone: chrono_tz::Tz,
}

fn place_fragment(state: &AppState, snapshot: &Snapshot, patient_id: i64) -> AppResult<String> {
    let fragment = PlaceFragment {
        place: snapshot.place(patient_id),
        updated: Timestamp::now(),
        zone: state.settings.get().clinic.time_zone,
    };
    Ok(fragment.render()?)
}

pub async fn my_place(user: PortalUser, State(state): State<AppState>, layout: Layout) -> AppResult<PlacePage> {
    let snapshot = Snapshot::fresh(&state, state.db.events().last_seq()).await?;
    Ok(PlacePage {
        live: place_fragment(&state, &snapshot, user.id)?,
        time_zone: state.settings.get().clinic.time_zone.name(),
        leave: waiting_ticket(&state, user.id)
            .await?
            .as_deref()
            .map(leave_confirmation),
        layout,
    })
}

/// The confirmation page of leaving, for browsers without JavaScript.
pub async fn confirm_leave(user: PortalUser, Page { state, layout, .. }: Page) -> AppResult<Response> {
    match waiting_ticket(&state, user.id).await? {
        Some(code) => Ok(ConfirmPage::new(layout, leave_confirmation(&code), "/me/queue").into_response()),
        None => Ok(Redirect::to("/me/queue").into_response()),
    }
}

pub async fn leave(user: PortalUser, Page { state, session, .. }: Page) -> AppResult<Redirect> {
    let moved = sickbay_core::queue::service::leave(&state.db, &user.actor, user.id).await?;
    let message = format!(
        "You have left the queue: ticket {} is closed. If you come back today, reception can put you back.",
        moved.code
    );
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to("/me/queue"))
}

pub async fn my_place_events(user: PortalUser, State(state): State<AppState>) -> AppResult<Response> {
    let (stream_state, patient_id) = (state.clone(), user.id);
    Ok(live::stream(&state, Event::touches_queues, move |delivered| {
        let state = stream_state.clone();
        async move {
            let seq = delivered.map_or_else(|| state.db.events().last_seq(), |d| d.seq);
            let snapshot = Snapshot::shared(&state, seq).await?;
            Ok(vec![Frame::new(
                "place",
                place_fragment(&state, &snapshot, patient_id)?,
            )])
        }
    })
    .into_response())
}
