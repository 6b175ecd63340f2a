//! Chasing: reminders and the deadline alert to those who have not answered, the digest
//! to the experts after the deadline, and the alerts of one-off deadlines. Each puts its
//! messages in the outbox, keyed so that running it twice on a day sends nothing twice.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sha2::Digest;

use super::{Chase, Plan, Skipped, store_messages};
use crate::app::App;
use crate::config::Config;
use crate::mail::compose::{self, Notice, Templates};
use crate::model::{Cycle, EmailAddress};
use crate::state::MessageKind;
use crate::store::Store;
use crate::store::outbox::{self, NewMessage};

/// What a reminder run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RemindReport {
    pub cycle: Cycle,
    /// `reminder` or `deadline_alert`.
    pub kind: MessageKind,
    /// Recipients whose party has not answered.
    pub silent: usize,
    /// Messages added to the outbox by this run (none for those reminded today already).
    pub enqueued: usize,
    pub skipped: Vec<Skipped>,
    /// Why nothing was sent, when nothing could be.
    pub note: Option<String>,
}

/// Reminds the recipients of `cycle` (the current month by default) whose party has not
/// answered: a reminder, or on the deadline day the deadline alert. Each gets their own
/// workbook again. Once a day at most (`day`, by default today); nothing once the
/// deadline has passed.
#[tracing::instrument(name = "remind", skip_all, fields(cycle = ?cycle, chase = %chase.kind()))]
pub async fn remind(
    app: &App,
    cycle: Option<Cycle>,
    chase: Chase,
    day: Option<chrono::NaiveDate>,
) -> Result<RemindReport> {
    let (cfg, store, clock) = (&*app.cfg, &app.store, &app.clock);
    let tz = cfg.schedule.timezone;
    let now = clock.now();
    let today = day.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    let cycle = cycle.unwrap_or_else(|| Cycle::of_date(today));
    let mut report = RemindReport {
        cycle,
        kind: chase.kind(),
        silent: 0,
        enqueued: 0,
        skipped: Vec::new(),
        note: None,
    };
    let Some(mut base) = store.cycle_base(cycle).await? else {
        report.note = Some(format!("cycle {cycle} was never circulated"));
        return Ok(report);
    };
    if now > cfg.deadline(cycle) {
        report.note = Some(format!(
            "cycle {cycle} closed for replies on {}",
            cfg.deadline_text(cycle)
        ));
        return Ok(report);
    }
    let silent: std::collections::HashSet<i64> =
        store.silent_recipients(cycle).await?.into_iter().collect();
    report.silent = silent.len();
    let contacts: Vec<_> = store
        .contacts()
        .await?
        .into_iter()
        // One who asked to stop since the circulation is not chased.
        .filter(|c| silent.contains(&c.id) && c.receives_matrix)
        .collect();
    crate::workbook::write::sort_for_workbook(&mut base);
    let directory = store.cycle_programmes(cycle).await?.unwrap_or_default();
    let plan = Arc::new(Plan::new(app, cycle, base, directory, chase, today)?);
    let (enqueued, skipped) = store_messages(store, plan, contacts, now, false).await?;
    report.enqueued = enqueued;
    report.skipped = skipped;
    tracing::info!(%cycle, kind = %chase.kind(), enqueued, "reminders are in the outbox");
    Ok(report)
}

/// What a digest run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DigestReport {
    pub cycle: Cycle,
    pub enqueued: usize,
    pub facts: crate::store::jobs::DigestFacts,
    pub note: Option<String>,
}

/// Sends the experts (`mail.experts`) the digest of `cycle`: who answered and who did
/// not, what awaits review, conflicts, quarantine, unreadable files, late replies and
/// bouncing contacts. Once per cycle and expert.
pub async fn digest(app: &App, cycle: Option<Cycle>) -> Result<DigestReport> {
    let (cfg, store, clock) = (&*app.cfg, &app.store, &app.clock);
    let now = clock.now();
    let today = now.with_timezone(&cfg.schedule.timezone).date_naive();
    let cycle = cycle.unwrap_or_else(|| Cycle::of_date(today));
    let mut facts = store.digest_facts(cycle).await?;
    facts.deadline = cfg.deadline_text(cycle);
    let mut report = DigestReport {
        cycle,
        enqueued: 0,
        facts,
        note: None,
    };
    if store.cycle_base(cycle).await?.is_none() {
        report.note = Some(format!("cycle {cycle} was never circulated"));
        return Ok(report);
    }
    if cfg.mail.experts.is_empty() {
        report.note = Some("no experts to send it to (mail.experts is empty)".into());
        return Ok(report);
    }
    // Matched only for a digest that goes out.
    let matched = super::matching::current(app).await?;
    let unmet = super::matching::unmet(app, &matched, cycle).await?;
    report.facts.unmet = unmet.iter().map(unmet_line).collect();
    /// The facts as the template takes them: dates and the unmet needs as parts, so
    /// each expert reads them in their language.
    #[derive(serde::Serialize)]
    struct Context<'a> {
        #[serde(flatten)]
        facts: &'a crate::store::jobs::DigestFacts,
        due: compose::DeadlineParts,
        unmet_needs: Vec<UnmetNeed>,
    }
    let context = Context {
        facts: &report.facts,
        due: cfg.deadline_parts(cycle),
        unmet_needs: unmet.iter().map(UnmetNeed::of).collect(),
    };
    let templates = &app.templates;
    let messages = cfg
        .mail
        .experts
        .iter()
        .map(|expert| {
            let to = Addressee {
                address: &expert.address,
                language: expert.language,
                message_id: format!("{cycle}.digest.{}", short_hash(&expert.address)),
                dedupe_key: format!("digest/{cycle}/{}", expert.address.key()),
            };
            team_notice(
                cfg,
                templates,
                MessageKind::Digest,
                &context,
                to,
                Some(cycle),
                today,
                now,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    report.enqueued = enqueue(store, &messages, now).await?;
    Ok(report)
}

/// One flagged need as the digest's template takes it.
#[derive(serde::Serialize)]
struct UnmetNeed {
    need: String,
    state: String,
    area: String,
    what: String,
    cycles: usize,
    candidates: Vec<String>,
}

impl UnmetNeed {
    fn of(u: &super::matching::Unmet) -> Self {
        let mut what: String = u.description.chars().take(80).collect();
        if what.len() < u.description.len() {
            what.push('…');
        }
        Self {
            need: u.need.to_string(),
            state: u.state.to_string(),
            area: u.area.to_string(),
            what,
            cycles: u.cycles,
            candidates: u
                .candidates
                .iter()
                .take(5)
                .map(|c| format!("{} {} ({})", c.programme, c.title, c.provider_name))
                .collect(),
        }
    }
}

/// One flagged need for the digest's facts (in English): what it is and who could meet
/// it.
fn unmet_line(u: &super::matching::Unmet) -> String {
    let n = UnmetNeed::of(u);
    let who = if n.candidates.is_empty() {
        "no programme in the directory covers it".to_string()
    } else {
        format!("could be met by {}", n.candidates.join("; "))
    };
    format!(
        "{} ({}, {}) {}: open with no provider for {} circulations; {who}",
        n.need, n.state, n.area, n.what, n.cycles
    )
}

/// What a review alert run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewAlertReport {
    /// Submissions awaiting a decision, in every cycle.
    pub pending: i64,
    pub enqueued: usize,
    pub note: Option<String>,
}

/// Two days before the next dispatch (by `schedule.dispatch`, after `at`), tells the
/// experts how many submissions still await a decision: what is not decided by then
/// stays out of the circulation. Nothing on other days, nor when nothing awaits.
pub async fn review_alert(app: &App, at: DateTime<Utc>) -> Result<ReviewAlertReport> {
    let (cfg, store, clock) = (&*app.cfg, &app.store, &app.clock);
    let tz = cfg.schedule.timezone;
    let today = at.with_timezone(&tz).date_naive();
    let mut report = ReviewAlertReport {
        pending: 0,
        enqueued: 0,
        note: None,
    };
    let Some(next) = cfg.schedule.dispatch.next_after(at, tz) else {
        report.note = Some("no dispatch is scheduled".into());
        return Ok(report);
    };
    let next_day = next.with_timezone(&tz).date_naive();
    if today.checked_add_days(chrono::Days::new(2)) != Some(next_day) {
        report.note = Some(format!(
            "the next circulation is on {next_day}, not in two days"
        ));
        return Ok(report);
    }
    let waiting = store.pending_by_party().await?;
    report.pending = waiting.iter().map(|(_, n)| n).sum();
    if report.pending == 0 {
        report.note = Some("nothing awaits review".into());
        return Ok(report);
    }
    if cfg.mail.experts.is_empty() {
        report.note = Some("no experts to send it to (mail.experts is empty)".into());
        return Ok(report);
    }
    #[derive(serde::Serialize)]
    struct Context {
        pending: i64,
        next: compose::Day,
        parties: Vec<String>,
    }
    let context = Context {
        pending: report.pending,
        next: compose::Day::of(next_day),
        parties: waiting.iter().map(|(p, n)| format!("{p}: {n}")).collect(),
    };
    let templates = &app.templates;
    let now = clock.now();
    let messages = cfg
        .mail
        .experts
        .iter()
        .map(|expert| {
            let to = Addressee {
                address: &expert.address,
                language: expert.language,
                message_id: format!("review.{next_day}.{}", short_hash(&expert.address)),
                dedupe_key: format!("review_alert/{next_day}/{}", expert.address.key()),
            };
            team_notice(
                cfg,
                templates,
                MessageKind::ReviewAlert,
                &context,
                to,
                None,
                today,
                now,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    report.enqueued = enqueue(store, &messages, now).await?;
    Ok(report)
}

/// A one-off deadline's alert that went into the outbox.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadlineAlert {
    pub deadline: i64,
    pub title: String,
    pub owner: String,
    pub days_before: u32,
}

/// What a run of the one-off deadlines' alerts did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeadlinesReport {
    /// The alerts due today.
    pub due: Vec<DeadlineAlert>,
    /// How many of them this run put in the outbox (the others were, earlier today).
    pub enqueued: usize,
}

/// Puts in the outbox today's alerts of one-off deadlines (`needsd deadline add`): to
/// each owner, on each of the deadline's alert days (`day`, by default today).
pub async fn deadline_alerts(app: &App, day: Option<chrono::NaiveDate>) -> Result<DeadlinesReport> {
    let (cfg, store, clock) = (&*app.cfg, &app.store, &app.clock);
    let now = clock.now();
    let today = day.unwrap_or_else(|| now.with_timezone(&cfg.schedule.timezone).date_naive());
    let templates = &app.templates;
    let mut messages = Vec::new();
    let mut alerts = Vec::new();
    for d in store.deadlines().await? {
        for &days in &d.alert_days {
            if d.due.checked_sub_days(chrono::Days::new(u64::from(days))) != Some(today) {
                continue;
            }
            let owner = EmailAddress::parse(&d.owner)
                .with_context(|| format!("deadline {}: owner '{}'", d.id, d.owner))?;
            #[derive(serde::Serialize)]
            struct Context<'a> {
                title: &'a str,
                due: compose::Day,
                days: u32,
            }
            let context = Context {
                title: &d.title,
                due: compose::Day::of(d.due),
                days,
            };
            let to = Addressee {
                address: &owner,
                language: owner_language(cfg, &owner),
                message_id: format!("deadline.{}.{days}.{}", d.id, d.due),
                dedupe_key: format!("deadline/{}/{days}", d.id),
            };
            messages.push(team_notice(
                cfg,
                templates,
                MessageKind::Deadline,
                &context,
                to,
                None,
                today,
                now,
            )?);
            alerts.push(DeadlineAlert {
                deadline: d.id,
                title: d.title.clone(),
                owner: d.owner.clone(),
                days_before: days,
            });
        }
    }
    Ok(DeadlinesReport {
        enqueued: enqueue(store, &messages, now).await?,
        due: alerts,
    })
}

/// A deadline owner's language: theirs when they are one of `mail.experts`, else English.
fn owner_language(cfg: &Config, owner: &EmailAddress) -> crate::model::Language {
    cfg.mail
        .experts
        .iter()
        .find(|e| e.address.key() == owner.key())
        .map_or(crate::model::Language::En, |e| e.language)
}

/// Who a team notice goes to, in what language, and the keys that make it one message,
/// ever.
struct Addressee<'a> {
    address: &'a EmailAddress,
    language: crate::model::Language,
    /// The Message-ID's local part; the domain is the sender's.
    message_id: String,
    dedupe_key: String,
}

/// A notice to the team (the digest, an alert) rendered and ready for the outbox.
#[allow(
    clippy::too_many_arguments,
    reason = "the whole of one message, passed once"
)]
fn team_notice<C: serde::Serialize>(
    cfg: &Config,
    templates: &Templates,
    kind: MessageKind,
    context: &C,
    to: Addressee<'_>,
    cycle: Option<Cycle>,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<NewMessage> {
    let outgoing = compose::notice(
        templates,
        &Notice {
            kind: kind.as_str(),
            context,
            language: to.language,
            from: &cfg.mail.from,
            reply_to: cfg.mail.reply_to.as_str(),
            to: to.address,
            envelope_from: cfg.mail.from.address.to_string(),
            message_id: format!("<{}@{}>", to.message_id, cfg.mail.from.address.domain()),
            date: now,
        },
    )?;
    Ok(NewMessage {
        dedupe_key: to.dedupe_key,
        kind,
        cycle,
        contact_id: None,
        day,
        outgoing,
        reply_token: None,
    })
}

async fn enqueue(store: &Store, messages: &[NewMessage], now: DateTime<Utc>) -> Result<usize> {
    let mut tx = store.write().await?;
    let added = outbox::enqueue(&mut tx, messages, now).await?;
    tx.commit()
        .await
        .context("storing messages in the outbox")?;
    Ok(added)
}

/// Twelve hex digits of an address's hash: a Message-ID part that stays the same for the
/// same address, whatever the order of the config's list.
fn short_hash(a: &EmailAddress) -> String {
    let h = sha2::Sha256::digest(a.key().as_bytes());
    hex::encode(&h[..6])
}
