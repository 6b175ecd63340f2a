//! Review as the web UI and the CLI run it: one decision on a submission, the message
//! that tells its sender once nothing of it is pending, and what a submission shows.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::App;
use crate::config::Config;
use crate::mail::classify;
use crate::mail::compose::{self, ChangeLine, Templates};
use crate::model::{Contact, Cycle, EmailAddress};
use crate::review::{ProgrammeProposal, Proposal};
use crate::state::Decision as Outcome;
use crate::store::Store;
use crate::store::outbox::NewMessage;
use crate::store::review::{DecideError, Decided, Decision, Issue, Submission};

/// Records a decision; when it settles the submission and `mail.notify_decisions` is on,
/// the message to the sender joins the outbox in the same transaction.
#[tracing::instrument(name = "decision", skip_all, fields(submission = d.submission))]
pub async fn decide(app: &App, d: &Decision<'_>) -> Result<Decided, DecideError> {
    let cfg = &*app.cfg;
    // The decision goes to the sender's address as the directory lists it, and only to
    // an active contact of the party: never to a From that proves nothing.
    app.store
        .decide(d, |s, changes, programmes, contact| {
            if !cfg.mail.notify_decisions {
                return None;
            }
            match decision_message(
                cfg,
                &app.templates,
                s,
                (changes, programmes),
                contact,
                d.now,
            ) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(
                        submission = s.id,
                        "the decision message was not written: {e}"
                    );
                    None
                }
            }
        })
        .await
}

/// Accepts a quarantined submission's sender (see [`Store::accept_sender`]). The reply
/// then gets the receipt it was held back from, in the same transaction, when its From
/// is an active contact of the party (as it was, or as `add_contact` made it): at the
/// directory's address, never to a stranger whose reply an expert vouched for. One
/// receipt per message, as for any reply, within the same hourly limits.
#[tracing::instrument(name = "acceptance", skip(app, add_contact))]
pub async fn accept(
    app: &App,
    submission: i64,
    add_contact: Option<&str>,
    reviewer: &str,
) -> Result<Submission, DecideError> {
    let (cfg, now) = (&*app.cfg, app.clock.now());
    let within_limits = match app.store.submission(submission).await? {
        // The From is the address the receipt goes to, when it goes at all: the active
        // contact's directory address is the same address.
        Some(s) => match s.from.as_deref().and_then(|f| EmailAddress::parse(f).ok()) {
            Some(from) => {
                super::intake::receipts_allowed(&app.store, &app.cfg.limits, &from, now).await?
            }
            None => false,
        },
        None => return Err(DecideError::NoSuchSubmission(submission)),
    };
    app.store
        .accept_sender(
            submission,
            add_contact,
            reviewer,
            now,
            |s, proposals, issues, contact| match accepted_receipt(
                cfg,
                &app.templates,
                s,
                proposals,
                issues,
                contact.filter(|_| within_limits)?,
                now,
            ) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(submission = s.id, "the receipt was not written: {e:#}");
                    None
                }
            },
        )
        .await
}

/// The receipt for a submission an expert accepted from quarantine; none when a later
/// reply of the party has already superseded everything it proposed (that reply had its
/// own receipt).
fn accepted_receipt(
    cfg: &Config,
    t: &Templates,
    s: &Submission,
    (proposals, programmes): (&[Proposal], &[ProgrammeProposal]),
    issues: &[Issue],
    contact: &Contact,
    now: DateTime<Utc>,
) -> Result<Option<NewMessage>> {
    let (Some(cycle), Some(inbox)) = (
        s.cycle.as_deref().and_then(|c| Cycle::parse(c).ok()),
        s.inbox_id,
    ) else {
        return Ok(None);
    };
    if super::intake::is_ours(cfg, &contact.email) {
        return Ok(None);
    }
    let pending: Vec<&Proposal> = proposals.iter().filter(|p| p.is_pending()).collect();
    let pending_programmes: Vec<&ProgrammeProposal> =
        programmes.iter().filter(|p| p.is_pending()).collect();
    let all_pending = pending.len() + pending_programmes.len();
    if all_pending == 0 && proposals.iter().any(|p| p.decision == Outcome::Superseded) {
        return Ok(None);
    }
    let item = compose::ReceiptItem {
        file: s.attachment.clone(),
        verdict: if all_pending == 0 {
            "no-changes"
        } else {
            "pending"
        },
        count: all_pending,
        changes: pending
            .iter()
            .filter_map(|p| p.change())
            .map(|c| super::intake::change_line(&c))
            .chain(
                pending_programmes
                    .iter()
                    .map(|p| super::intake::programme_change_line(&p.change)),
            )
            .collect(),
        errors: issues
            .iter()
            .filter(|i| i.severity == "error")
            .map(|i| crate::model::RowError {
                row: i.row.map_or(0, |r| usize::try_from(r).unwrap_or(0)),
                column: i.column.clone(),
                message: i.message.clone(),
            })
            .collect(),
    };
    let draft = super::intake::ReceiptDraft {
        contact,
        party_name: s
            .party_name
            .clone()
            .or_else(|| s.party.clone())
            .unwrap_or_default(),
        cycle,
        late: s.late,
        quarantined: false,
        pending: all_pending,
        no_changes: all_pending == 0 && item.errors.is_empty(),
        items: vec![item],
        // The message's one receipt: what reading it would have sent had it been trusted.
        key: inbox.to_string(),
        in_reply_to: s.message_id.as_ref().map(|m| format!("<{m}>")),
        now,
    };
    super::intake::receipt_message(cfg, t, draft).map(Some)
}

/// What the decision message says.
#[derive(Debug, Serialize)]
struct DecisionContext {
    cycle: String,
    contact_name: String,
    party_name: String,
    /// The reply's subject.
    subject_line: String,
    approved: Vec<ChangeLine>,
    rejected: Vec<Rejected>,
}

#[derive(Debug, Serialize)]
struct Rejected {
    change: ChangeLine,
    reason: Option<String>,
}

/// A decided change to a need as the decision lists it: from the value it had when
/// decided.
fn decided_need(p: &Proposal) -> Option<ChangeLine> {
    let mut line = super::intake::change_line(&p.change()?);
    line.from = p.current.clone().unwrap_or_default();
    line.conflict = false;
    Some(line)
}

/// A decided programme change as the decision lists it, with the ID a new one was given.
fn decided_programme(p: &ProgrammeProposal) -> ChangeLine {
    use crate::register::Change as C;
    let mut line = super::intake::programme_change_line(&p.change);
    if let C::Update { current, .. } = &p.change {
        line.from = current.clone();
    }
    if let Some(id) = &p.created {
        line.kind = "created";
        line.created = Some(id.clone());
    }
    line
}

/// The message telling a submission's sender what was decided; none when there is no
/// one to tell or nothing was decided (all superseded by a later reply).
pub fn decision_message(
    cfg: &Config,
    t: &Templates,
    s: &Submission,
    (changes, programmes): (&[Proposal], &[ProgrammeProposal]),
    contact: Option<&Contact>,
    now: DateTime<Utc>,
) -> Result<Option<NewMessage>> {
    let Some(to) = contact.map(|c| c.email.clone()) else {
        return Ok(None);
    };
    let Some(cycle) = s.cycle.as_deref().and_then(|c| Cycle::parse(c).ok()) else {
        return Ok(None);
    };
    // Each decided change, the needs' then the programmes', as (decision, line, reason).
    let decided = changes
        .iter()
        .filter_map(|c| Some((c.decision, decided_need(c)?, &c.reason)))
        .chain(
            programmes
                .iter()
                .map(|p| (p.decision, decided_programme(p), &p.reason)),
        );
    let (mut approved, mut rejected) = (Vec::new(), Vec::new());
    for (decision, change, reason) in decided {
        match decision {
            Outcome::Approved => approved.push(change),
            Outcome::Rejected => rejected.push(Rejected {
                change,
                reason: reason.clone(),
            }),
            _ => {}
        }
    }
    if approved.is_empty() && rejected.is_empty() {
        return Ok(None);
    }
    let context = DecisionContext {
        cycle: cycle.to_string(),
        contact_name: contact.map_or_else(|| to.to_string(), |c| c.name.clone()),
        party_name: s
            .party_name
            .clone()
            .or_else(|| s.party.clone())
            .unwrap_or_default(),
        subject_line: s.subject.clone().unwrap_or_default(),
        approved,
        rejected,
    };
    let domain = cfg.mail.from.address.domain();
    // The mail asks the contact to reply with a corrected workbook: that reply carries the
    // contact's token, as one to the circulation does, so it is known to be theirs.
    let token = contact.map(|c| crate::token::recipient_token(&cfg.mail.token_secret, cycle, c.id));
    let reply_to = match &token {
        Some(token) => crate::token::plus_address(&cfg.mail.reply_to, token),
        None => cfg.mail.reply_to.to_string(),
    };
    let outgoing = compose::receipt(
        t,
        &compose::Receipt {
            kind: "decision",
            context,
            language: contact.map_or(crate::model::Language::En, |c| c.language),
            from: &cfg.mail.from,
            reply_to: &reply_to,
            to_name: contact.map_or("", |c| c.name.as_str()),
            to: &to,
            envelope_from: crate::token::plus_address(&cfg.mail.reply_to, "bounce-decision"),
            message_id: format!("<{cycle}.decision.{}@{domain}>", s.id),
            in_reply_to: s.message_id.as_ref().map(|m| format!("<{m}>")),
            date: now,
        },
    )
    .context("writing the decision message")?;
    Ok(Some(NewMessage {
        dedupe_key: format!("decision/{}", s.id),
        kind: crate::state::MessageKind::Decision,
        cycle: Some(cycle),
        contact_id: contact.map(|c| c.id),
        day: now.with_timezone(&cfg.schedule.timezone).date_naive(),
        outgoing,
        reply_token: token,
    }))
}

/// A submission with everything its page shows.
#[derive(Debug, Serialize)]
pub struct Shown {
    pub submission: Submission,
    pub changes: Vec<Proposal>,
    /// What it proposes to the Directory of Sources of Assistance.
    pub programme_changes: Vec<ProgrammeProposal>,
    pub issues: Vec<Issue>,
    /// The plain text of the message (never its HTML).
    pub text: String,
    pub attachments: Vec<AttachmentInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    /// Its position among the message's attachments, for the download link.
    pub index: usize,
    pub name: String,
    pub content_type: String,
    pub size: usize,
}

/// Loads a submission with its changes, issues, text and attachment list.
pub async fn show(store: &Store, id: i64) -> Result<Option<Shown>> {
    let Some(submission) = store.submission(id).await? else {
        return Ok(None);
    };
    let changes = store.proposals(id).await?;
    let programme_changes = store.programme_proposals(id).await?;
    let issues = store.issues(id).await?;
    let (text, attachments) = match message_facts(store, submission.inbox_id).await? {
        Some(f) => (
            f.text,
            f.attachments
                .iter()
                .enumerate()
                .map(|(index, a)| AttachmentInfo {
                    index,
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                    size: a.bytes.len(),
                })
                .collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    Ok(Some(Shown {
        submission,
        changes,
        programme_changes,
        issues,
        text,
        attachments,
    }))
}

/// One attachment of a submission's message: its name and bytes.
pub async fn attachment(
    store: &Store,
    id: i64,
    index: usize,
) -> Result<Option<classify::Attachment>> {
    let Some(s) = store.submission(id).await? else {
        return Ok(None);
    };
    Ok(message_facts(store, s.inbox_id)
        .await?
        .and_then(|f| f.attachments.into_iter().nth(index)))
}

async fn message_facts(store: &Store, inbox: Option<i64>) -> Result<Option<classify::Facts>> {
    let Some(inbox) = inbox else { return Ok(None) };
    let Some(raw) = store.raw_message(inbox).await? else {
        return Ok(None);
    };
    // A message that cannot be read again shows no text rather than failing the page.
    Ok(
        tokio::task::spawn_blocking(move || classify::read(&raw).ok())
            .await
            .unwrap_or(None),
    )
}

/// A change in the JSON shape of DESIGN.md's command line, with its place (`seq`) and
/// decision.
pub fn change_json(p: &Proposal) -> serde_json::Value {
    use serde_json::json;
    let mut v = p
        .change()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_else(|| json!({ "kind": p.kind }));
    if let Some(o) = v.as_object_mut() {
        o.insert("seq".into(), json!(p.seq));
        o.insert("decision".into(), json!(p.decision));
        o.insert("reviewer".into(), json!(p.reviewer));
        o.insert("reason".into(), json!(p.reason));
    }
    v
}

/// A submission in the JSON shape of `review list --json`.
pub fn submission_json(
    s: &Submission,
    (changes, programmes): (&[Proposal], &[ProgrammeProposal]),
    issues: &[Issue],
) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = issues
        .iter()
        .filter(|i| i.severity == "error")
        .map(|i| serde_json::json!({"row": i.row, "column": i.column, "message": i.message}))
        .collect();
    serde_json::json!({
        "id": s.id, "cycle": s.cycle, "party": s.party, "from": s.from,
        "verified": s.verified.unwrap_or(false), "state": s.state, "late": s.late,
        "subject": s.subject, "received_at": s.received_at, "attachment": s.attachment,
        "changes": changes.iter().map(change_json).collect::<Vec<_>>(),
        "programme_changes": programmes,
        "errors": errors,
    })
}

/// A submission as lists show it: with its changes and issues.
pub struct Listed {
    pub submission: Submission,
    pub changes: Vec<Proposal>,
    pub programme_changes: Vec<ProgrammeProposal>,
    pub issues: Vec<Issue>,
}

/// Every submission matching `filter`, newest first, with its changes and issues.
pub async fn list(
    store: &Store,
    filter: &crate::store::review::SubmissionFilter,
) -> Result<Vec<Listed>> {
    let subs = store.find_submissions(filter).await?;
    let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
    let mut changes = store.proposals_of(&ids).await?;
    let mut programme_changes = store.programme_proposals_of(&ids).await?;
    let mut issues = store.issues_of(&ids).await?;
    Ok(subs
        .into_iter()
        .map(|s| Listed {
            changes: changes.remove(&s.id).unwrap_or_default(),
            programme_changes: programme_changes.remove(&s.id).unwrap_or_default(),
            issues: issues.remove(&s.id).unwrap_or_default(),
            submission: s,
        })
        .collect())
}

/// A list in the JSON shape of `review list --json`.
pub fn list_json(list: &[Listed]) -> serde_json::Value {
    let out: Vec<serde_json::Value> = list
        .iter()
        .map(|l| submission_json(&l.submission, (&l.changes, &l.programme_changes), &l.issues))
        .collect();
    serde_json::json!({ "submissions": out })
}
