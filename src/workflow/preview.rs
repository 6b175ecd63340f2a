//! `needsd preview`: a message as it would be written, not sent. A kind's sample with
//! the real cycle, deadline and (when one is named) contact put in.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::app::App;
use crate::mail::compose::{KINDS, Rendered};
use crate::mail::samples;
use crate::model::{Cycle, EmailAddress, Language};

/// What to preview.
pub struct Ask<'a> {
    pub kind: &'a str,
    /// Default: the contact's language, else English.
    pub language: Option<Language>,
    pub contact: Option<&'a EmailAddress>,
    /// Default: the latest cycle circulated, else the coming one.
    pub cycle: Option<Cycle>,
}

/// Why a preview cannot be made: the asker's mistake.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no message kind '{0}' (one of {kinds})", kinds = KINDS.join(", "))]
    Kind(String),
    #[error("no contact {0} in the directory")]
    Contact(String),
}

/// Puts `value` at `key` where the sample has that key.
fn put(sample: &mut Value, key: &str, value: Value) {
    if let Some(slot) = sample.get_mut(key) {
        *slot = value;
    }
}

/// Renders `ask.kind`, in the language and for the cycle and contact asked.
pub async fn preview(app: &App, ask: Ask<'_>) -> Result<(Language, Rendered)> {
    if !KINDS.contains(&ask.kind) {
        bail!(PreviewError::Kind(ask.kind.to_string()));
    }
    let cfg = &app.cfg;
    let cycle = match ask.cycle {
        Some(c) => c,
        None => match app.store.latest_cycle().await? {
            Some(c) => c,
            None => {
                let today = app
                    .clock
                    .now()
                    .with_timezone(&cfg.schedule.timezone)
                    .date_naive();
                Cycle::of_date(today).next()
            }
        },
    };
    let mut sample = samples::context(ask.kind);
    let deadline = serde_json::to_value(cfg.deadline_parts(cycle))?;
    put(&mut sample, "cycle", json!(cycle.to_string()));
    put(&mut sample, "cycle_year", json!(cycle.year()));
    put(&mut sample, "cycle_month", json!(cycle.month()));
    put(&mut sample, "deadline", deadline.clone());
    put(&mut sample, "due", deadline);
    put(
        &mut sample,
        "subscribe_address",
        json!(cfg.mail.reply_to.as_str()),
    );
    let mut language = ask.language;
    if let Some(address) = ask.contact {
        let contacts = app.store.contacts().await?;
        let Some(contact) = contacts.iter().find(|c| c.email.key() == address.key()) else {
            bail!(PreviewError::Contact(address.to_string()));
        };
        let party = app.index.get(&contact.party);
        let token = crate::token::recipient_token(&cfg.mail.token_secret, cycle, contact.id);
        put(&mut sample, "contact_name", json!(contact.name));
        put(&mut sample, "address", json!(contact.email.as_str()));
        put(&mut sample, "party", json!(contact.party.as_str()));
        put(
            &mut sample,
            "party_name",
            json!(party.map_or(contact.party.as_str(), |p| p.name.as_str())),
        );
        put(
            &mut sample,
            "reply_to",
            json!(crate::token::plus_address(&cfg.mail.reply_to, &token)),
        );
        put(
            &mut sample,
            "reference",
            json!(crate::workbook::write::reference(
                cycle,
                contact.party.as_str(),
                &token
            )),
        );
        language = language.or(Some(contact.language));
    }
    let language = language.unwrap_or(Language::En);
    Ok((language, app.templates.render(ask.kind, language, &sample)?))
}
