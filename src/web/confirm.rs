//! Confirmation before a destructive or hard-to-undo action (UI.md, "Actions and feedback"). The action's form
//! is the `confirm` macro in macros.html: a GET form to the action's own address, marked with what to ask.
//! With JavaScript, static/forms.js asks in a `<dialog>` and then posts (through htmx when the form has
//! `hx-post`). Without it, the GET opens the confirmation page (`confirm.html`), whose form posts. Either way
//! the confirm button names the action ("Cancel the 09:40 booking"), and the POST itself is unchanged.

use askama::Template;
use askama_web::WebTemplate;

use super::layout::Layout;

/// What a destructive action asks before it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// Where the action is posted; a GET there shows its confirmation page.
    pub action: String,
    /// The dialog's or page's heading: "Cancel your 09:40 booking?"
    pub question: String,
    /// What will happen, in a sentence or two.
    pub detail: String,
    /// The confirm button's words, naming the action: "Cancel the 09:40 booking".
    pub button: String,
}

/// The confirmation page, for browsers without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub confirmation: Confirmation,
    /// Where "Go back" leads: the page the action was on.
    pub back: String,
}

impl ConfirmPage {
    pub fn new(layout: Layout, confirmation: Confirmation, back: impl Into<String>) -> Self {
        ConfirmPage {
            layout,
            confirmation,
            back: back.into(),
        }
    }
}
