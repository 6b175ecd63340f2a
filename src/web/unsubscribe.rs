//! The page a circulation's unsubscribe link opens, and the one-click POST (RFC 8058)
//! a mail program sends to the same address. No login: the contact's MAC in the path is
//! the authority, and, unguessable and bound to this one action, stands in for the CSRF
//! token (a mail program's POST carries no cookie and no form token). A GET only asks:
//! link checkers and previews fetch links, and must not unsubscribe anyone.

use axum::extract::{Path, State as Extract};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{State, WebError, render};
use crate::model::{Contact, Language};
use crate::state::UnsubscribeVia;
use crate::workflow::subscription::{self, Outcome};

/// The page: asks whether to stop, or says it has already stopped.
pub async fn page(
    Extract(s): Extract<State>,
    Path((id, mac)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let contact = subscription::contact_of_link(&s.app, id, &mac)
        .await?
        .ok_or(WebError::NotFound)?;
    let which = if contact.receives_matrix {
        "unsubscribe-page-ask"
    } else {
        "unsubscribe-page-already"
    };
    answer(
        &s,
        &contact,
        which,
        contact.receives_matrix,
        &format!("/unsubscribe/{id}/{mac}"),
    )
}

/// The one-click POST, or the page's button: the contact stops receiving the Matrix.
pub async fn one_click(
    Extract(s): Extract<State>,
    Path((id, mac)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    match subscription::unsubscribe(&s.app, id, &mac, UnsubscribeVia::Link, None).await? {
        Outcome::Unknown => Err(WebError::NotFound),
        Outcome::Stopped(contact) => {
            // The confirmation goes out at once.
            if let Some(w) = &s.wake_sender {
                w.notify_one();
            }
            answer(&s, &contact, "unsubscribe-page-done", false, "")
        }
        Outcome::Already(contact) => answer(&s, &contact, "unsubscribe-page-already", false, ""),
    }
}

/// The page in the contact's language: its title and message `which`, with the button
/// when `ask`.
fn answer(
    s: &State,
    contact: &Contact,
    which: &str,
    ask: bool,
    action: &str,
) -> Result<Response, WebError> {
    let (t, lang) = (&s.app.templates, contact.language);
    let address = contact.email.to_string();
    let words = |id: &str| {
        t.words(lang, id, &[("address", address.as_str())])
            .map_err(|e| WebError::Internal(e.to_string()))
    };
    Ok(render(
        "unsubscribe.html",
        context! {
            lang => lang.as_str(),
            dir => if lang == Language::Ar { "rtl" } else { "ltr" },
            title => words("unsubscribe-page-title")?,
            message => words(which)?,
            button => words("unsubscribe-page-button")?,
            ask => ask,
            action => action,
        },
    )?
    .into_response())
}
