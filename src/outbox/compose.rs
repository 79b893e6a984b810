//! Every email's plain-text and HTML parts, from the templates `outbox/email.txt` and `outbox/email.html`: the
//! message, a link back to the right page, and the clinic's name and address.

use askama::Template;

use sickbay_core::outbox::repo::Message;
use sickbay_core::outbox::service::{Compose, EmailParts, Letterhead};

#[derive(Template)]
#[template(path = "outbox/email.txt", escape = "none")]
struct PlainEmail<'a> {
    message: &'a Message,
    letterhead: &'a Letterhead,
    link: String,
}

#[derive(Template)]
#[template(path = "outbox/email.html")]
struct HtmlEmail<'a> {
    message: &'a Message,
    letterhead: &'a Letterhead,
    link: String,
}

/// The emails as the templates write them.
pub struct Templates;

impl Compose for Templates {
    fn email(&self, message: &Message, letterhead: &Letterhead) -> EmailParts {
        let link = letterhead.link(&message.link);
        let text = PlainEmail {
            message,
            letterhead,
            link: link.clone(),
        }
        .render()
        .unwrap_or_else(|_| format!("{}\n\n{link}\n", message.body));
        let html = HtmlEmail {
            message,
            letterhead,
            link,
        }
        .render()
        .unwrap_or_default();
        EmailParts { text, html }
    }
}
