//! Receiving the Matrix on request, and stopping: the requests read from mail and the
//! experts' decisions on them, and the unsubscribe a circulation's one-click link or
//! mailto asks for. What counts as a request is `crate::subscription`'s.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::app::App;
use crate::config::Config;
use crate::mail::classify::Tag;
use crate::mail::compose::{self, ListUnsubscribe, Receipt, UnsubscribedContext};
use crate::model::{Contact, Cycle, PartyCode};
use crate::state::{MessageKind, UnsubscribeVia};
use crate::store::outbox::NewMessage;
use crate::store::subscriptions::{RequestError, Unsubscribed};
use crate::token;

/// Where `contact` stops receiving the Matrix: the one-click link under `web.public_url`
/// and the mailto plus-address, each with the contact's MAC.
pub fn list_unsubscribe(cfg: &Config, contact: &Contact) -> ListUnsubscribe {
    let secret = &cfg.mail.token_secret;
    let key = contact.email.key();
    ListUnsubscribe {
        url: format!(
            "{}/unsubscribe/{}/{}",
            cfg.web.public_url,
            contact.id,
            token::unsubscribe_mac(secret, contact.id, &key)
        ),
        mailto: format!(
            "mailto:{}?subject=unsubscribe",
            token::plus_address(
                &cfg.mail.reply_to,
                &token::unsubscribe_tag(secret, contact.id, &key)
            )
        ),
    }
}

/// The unsubscribe a message's tags ask for: the contact and the MAC of the first
/// unsubscribe address it was sent to.
pub fn unsubscribe_tag(tags: &[Tag]) -> Option<(i64, &str)> {
    tags.iter().find_map(|t| match t {
        Tag::Unsubscribe { contact_id, mac } => Some((*contact_id, mac.as_str())),
        _ => None,
    })
}

/// What an unsubscribe link or mail did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The contact stopped receiving the Matrix now.
    Stopped(Contact),
    /// It had already stopped.
    Already(Contact),
    /// No contact has this link: made up, mangled, or made for an address the contact
    /// no longer has.
    Unknown,
}

/// The contact link `contact_id`/`mac` was made for, if it is still theirs.
pub async fn contact_of_link(app: &App, contact_id: i64, mac: &str) -> Result<Option<Contact>> {
    let Some(contact) = app.store.contact(contact_id).await? else {
        return Ok(None);
    };
    let valid = token::unsubscribe_mac_matches(
        &app.cfg.mail.token_secret,
        contact.id,
        &contact.email.key(),
        mac,
    );
    Ok(valid.then_some(contact))
}

/// Stops contact `contact_id` receiving the Matrix if `mac` is theirs: records how, and
/// puts a confirmation in their language in the outbox (answering `in_reply_to`, the
/// unsubscribe mail, when there is one). Idempotent: a second click changes nothing and
/// sends nothing.
pub async fn unsubscribe(
    app: &App,
    contact_id: i64,
    mac: &str,
    via: UnsubscribeVia,
    in_reply_to: Option<String>,
) -> Result<Outcome> {
    let Some(contact) = contact_of_link(app, contact_id, mac).await? else {
        return Ok(Outcome::Unknown);
    };
    if !contact.receives_matrix {
        return Ok(Outcome::Already(contact));
    }
    let now = app.clock.now();
    let kind = app
        .index
        .get(&contact.party)
        .map_or(crate::model::PartyKind::State, |p| p.kind);
    let flagged = crate::subscription::flag_unsubscribe(kind);
    let confirmation = confirmation(app, &contact, in_reply_to, now)?;
    let done = app
        .store
        .unsubscribe(
            contact.id,
            &contact.email.key(),
            via,
            flagged,
            &confirmation,
            now,
        )
        .await?;
    tracing::info!(contact = contact.id, party = %contact.party, via = %via, flagged, "unsubscribed");
    Ok(match done {
        Unsubscribed::Now => Outcome::Stopped(contact),
        Unsubscribed::Already => Outcome::Already(contact),
    })
}

/// The confirmation of an unsubscribe, to the directory's address.
fn confirmation(
    app: &App,
    contact: &Contact,
    in_reply_to: Option<String>,
    now: DateTime<Utc>,
) -> Result<NewMessage> {
    let cfg = &app.cfg;
    let party_name = app
        .index
        .get(&contact.party)
        .map_or_else(|| contact.party.to_string(), |p| p.name.clone());
    let context = UnsubscribedContext {
        contact_name: contact.name.clone(),
        party_name,
        address: contact.email.to_string(),
        subscribe_address: cfg.mail.reply_to.to_string(),
    };
    let stamp = now.timestamp();
    let outgoing = compose::receipt(
        &app.templates,
        &Receipt {
            kind: "unsubscribed",
            context,
            language: contact.language,
            from: &cfg.mail.from,
            reply_to: cfg.mail.reply_to.as_str(),
            to_name: &contact.name,
            to: &contact.email,
            envelope_from: token::plus_address(&cfg.mail.reply_to, "bounce-receipt"),
            message_id: format!(
                "<unsubscribed.{}.{stamp}@{}>",
                contact.id,
                cfg.mail.from.address.domain()
            ),
            in_reply_to,
            date: now,
        },
    )
    .context("writing the confirmation of an unsubscribe")?;
    Ok(NewMessage {
        dedupe_key: format!("unsubscribed/{}/{stamp}", contact.id),
        kind: MessageKind::Unsubscribed,
        cycle: None,
        contact_id: Some(contact.id),
        day: now.with_timezone(&cfg.schedule.timezone).date_naive(),
        outgoing,
        reply_token: None,
    })
}

/// What approving a request did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub request: i64,
    pub party: String,
    pub contact_id: i64,
    /// The cycle whose copy went to the outbox at once; none when no circulated cycle
    /// still takes replies (the contact gets the next circulation).
    pub sent_cycle: Option<Cycle>,
}

/// Why a request could not be approved or dismissed.
#[derive(Debug, thiserror::Error)]
pub enum DecideRequestError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Approves request `id` for `party`: that party's contact at the request's address
/// receives the Matrix from now on, and gets the current cycle's copy at once when a
/// cycle is collecting replies (`send_wait` as `dispatch_then` takes it).
pub async fn approve(
    app: &App,
    id: i64,
    party: &PartyCode,
    reviewer: &str,
    send_wait: Option<Duration>,
) -> Result<Approved, DecideRequestError> {
    let now = app.clock.now();
    let contact_id = app
        .store
        .approve_subscription(id, party, reviewer, now)
        .await?;
    tracing::info!(request = id, %party, contact = contact_id, reviewer, "request to receive the Matrix approved");
    let sent_cycle = match collecting_cycle(app, now).await? {
        Some(cycle) => {
            super::dispatch_then(app, Some(cycle), send_wait).await?;
            Some(cycle)
        }
        None => None,
    };
    Ok(Approved {
        request: id,
        party: party.to_string(),
        contact_id,
        sent_cycle,
    })
}

/// Dismisses request `id`.
pub async fn dismiss(app: &App, id: i64, reviewer: &str) -> Result<(), DecideRequestError> {
    app.store
        .dismiss_subscription(id, reviewer, app.clock.now())
        .await?;
    Ok(())
}

/// The latest circulated cycle, when it still takes replies (a cycle circulated early,
/// before its month, counts: a new recipient gets what the others have).
async fn collecting_cycle(app: &App, now: DateTime<Utc>) -> Result<Option<Cycle>> {
    let latest = app.store.latest_cycle().await?;
    Ok(latest.filter(|c| now <= app.cfg.deadline(*c)))
}
