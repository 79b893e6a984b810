//! The live queue: check-in and walk-ins issue tickets, doctors call the next one to their room, reception's
//! board and the doctor's queue change live, the waiting-room display announces calls, and a patient follows
//! their own place on their phone.

pub mod board;
pub mod display;
pub mod handlers;
pub mod snapshot;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::live::Shared;

/// What the live pages compute once per queue change and share: today's queue read from the database, the
/// display's rendered tiles per filter, and reception's board rendered ticket by ticket (each doctor's queue is
/// built on the shared snapshot for their one screen).
#[derive(Clone, Default)]
pub struct LiveCaches {
    snapshots: Shared<Arc<snapshot::Snapshot>>,
    renders: Shared<Arc<str>>,
    boards: Shared<Arc<board::Board>>,
}

/// The waiting-room display: no login.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route("/display", get(display::page))
        .route("/display/events", get(display::events))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue", get(handlers::board))
        .route("/queue/events", get(handlers::board_events))
        .route("/queue/due", get(handlers::due))
        .route("/queue/doctor", get(handlers::doctor))
        .route("/queue/doctor/events", get(handlers::doctor_events))
        .route("/queue/check-ins", post(handlers::check_in))
        .route("/queue/walk-ins", post(handlers::walk_in))
        .route("/queue/walk-ins/matches", get(handlers::walk_in_matches))
        .route("/queue/walk-ins/duplicates", get(handlers::walk_in_duplicates))
        .route("/queue/call-next", post(handlers::call_next))
        .route("/queue/room", post(handlers::choose_room))
        .route("/queue/tickets/{id}", get(handlers::ticket))
        .route("/queue/tickets/{id}/{action}", post(handlers::move_ticket))
        .route("/admin/rooms", get(handlers::rooms).post(handlers::add_room))
        .route("/admin/rooms/{id}", post(handlers::update_room))
        .route("/me/queue", get(display::my_place))
        .route("/me/queue/events", get(display::my_place_events))
        .route("/me/queue/leave", get(display::confirm_leave).post(display::leave))
}
