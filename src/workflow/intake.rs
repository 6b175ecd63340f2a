//! Reading stored mail: classify it, match it to a cycle's recipient, and turn its
//! workbooks into submissions. Re-runnable over any stored message (`reparse`).

use anyhow::Result;
use chrono::{DateTime, Utc};

use std::sync::Arc;

use anyhow::Context;

use super::files::assess;
use crate::config::Config;
use crate::diff::Change;
use crate::directory::PartyIndex;
use crate::mail::classify::{self, Attachment, Facts, Kind, Tag};
use crate::mail::compose::{self, ChangeLine, ReceiptContext, ReceiptItem, Templates};
use crate::model::Field;
use crate::model::RowError;
use crate::model::{Contact, Cycle};
use crate::state::{InboxState, MessageKind, SubmissionState};
use crate::store::Store;
use crate::store::outbox::NewMessage;
use crate::store::submissions::{Match, NewSubmission, Reading};
use crate::workbook::read;

/// Readings of one message that may begin and not finish before it is given up.
const MAX_UNFINISHED_READINGS: i64 = 2;

/// What reading one message did, for the caller's report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Read {
    pub replies: usize,
    pub submissions: usize,
    pub quarantined: usize,
    pub auto_replies: usize,
    pub bounces: usize,
    pub unrelated: usize,
    pub failed: usize,
    pub receipts: usize,
    /// Messages asking to receive the Matrix (`crate::subscription`).
    pub requests: usize,
    /// Messages to a circulation's unsubscribe address.
    pub unsubscribes: usize,
}

impl Read {
    /// "3 replies (3 submissions, 1 quarantined), 1 auto-reply, …", for people.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} replies ({} submissions, {} quarantined), {} auto-replies, {} bounces, {} unrelated, {} unreadable; {} receipts",
            self.replies,
            self.submissions,
            self.quarantined,
            self.auto_replies,
            self.bounces,
            self.unrelated,
            self.failed,
            self.receipts
        );
        if self.requests + self.unsubscribes > 0 {
            out.push_str(&format!(
                "; {} requests to receive the Matrix, {} unsubscribes",
                self.requests, self.unsubscribes
            ));
        }
        out
    }

    pub fn add(&mut self, o: &Read) {
        self.replies += o.replies;
        self.submissions += o.submissions;
        self.quarantined += o.quarantined;
        self.auto_replies += o.auto_replies;
        self.bounces += o.bounces;
        self.unrelated += o.unrelated;
        self.failed += o.failed;
        self.receipts += o.receipts;
        self.requests += o.requests;
        self.unsubscribes += o.unsubscribes;
    }
}

/// Whether an attachment is meant as a workbook (not a signature logo or a PDF letter).
pub fn is_workbook(a: &Attachment) -> bool {
    let name = a.name.to_ascii_lowercase();
    let by_name = [".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv"]
        .iter()
        .any(|ext| name.ends_with(ext));
    let by_type = ["spreadsheet", "excel", "csv", "opendocument.spreadsheet"]
        .iter()
        .any(|t| a.content_type.contains(t));
    by_name || by_type
}

/// What reading many messages in one run shares, loaded once: the contacts, the matrix
/// as it is now, the cycles' bases and the templates.
pub struct Run {
    pub contacts: Vec<Contact>,
    pub needs: Vec<crate::model::Need>,
    pub bases: super::files::Bases,
    pub templates: Arc<Templates>,
}

impl Run {
    pub async fn load(app: &crate::app::App) -> Result<Self> {
        Ok(Self {
            contacts: app.store.contacts().await?,
            needs: app.store.needs().await?,
            bases: super::files::Bases::default(),
            templates: Arc::clone(&app.templates),
        })
    }
}

/// The part of reading a message that writes nothing: the message classified, its
/// workbooks parsed, the reply matched, verified and diffed. Several run side by side
/// while the messages before are being stored, in order.
pub struct Prepared {
    id: i64,
    /// What the message is, or why it cannot be read.
    facts: Result<Facts, String>,
    /// The plus-address tokens it was sent to.
    tags: Vec<Tag>,
    /// For a reply: what it says and who sent it.
    understood: Option<Understood>,
}

/// A reply matched to its cycle and recipient, or to nobody.
pub enum Understood {
    Unrelated,
    Matched {
        m: Match,
        /// The matched recipient, unless the contact has since been deleted.
        contact: Option<Box<Contact>>,
        /// The contact who sent it, when the evidence says so (`trust::judge`); `None`
        /// for a reply in quarantine. Receipts go to this directory address, never to a
        /// From that proves nothing.
        trusted_sender: Option<Box<Contact>>,
        submissions: Vec<NewSubmission>,
    },
}

/// Loads stored message `id` and prepares it on a blocking thread; `None` when there is no
/// such message.
pub async fn prepare(
    cfg: Arc<Config>,
    store: Store,
    index: Arc<PartyIndex>,
    run: Arc<Run>,
    id: i64,
) -> Result<Option<Prepared>> {
    let Some(msg) = store.stored_message(id).await? else {
        return Ok(None);
    };
    // Belt and braces beside the reader's worker processes: a message during whose
    // reading needsd died twice is not read a third time at every pass.
    let attempts = store.begin_reading(id).await?;
    if attempts > MAX_UNFINISHED_READINGS {
        return Ok(Some(Prepared {
            id,
            facts: Err(format!(
                "needsd stopped while reading this message {MAX_UNFINISHED_READINGS} times; \
                 it is not read again unless `needsd reparse {id}` asks"
            )),
            tags: Vec::new(),
            understood: None,
        }));
    }
    let received_at = msg.received_at;
    let (parse_cfg, parse_index) = (Arc::clone(&cfg), Arc::clone(&index));
    let (facts, parsed) =
        tokio::task::spawn_blocking(move || read_message(&msg.raw, &parse_cfg, &parse_index))
            .await
            .context("the message reader stopped unexpectedly")?;
    // The reading of the untrusted bytes finished: a pass that stops after this point
    // (an error in a message before, a stop signal) does not count against this one.
    store.end_reading(id).await?;
    let tags = match &facts {
        Ok(f) => classify::tags(&f.recipients, &cfg.mail.reply_to),
        Err(_) => Vec::new(),
    };
    let understood = match &facts {
        Ok(f) if f.kind == Kind::Reply && !is_about_receiving(f, &tags) => Some(
            understand(
                &cfg,
                &store,
                &index,
                &run,
                id,
                received_at,
                f,
                parsed,
                &tags,
            )
            .await?,
        ),
        _ => None,
    };
    Ok(Some(Prepared {
        id,
        facts,
        tags,
        understood,
    }))
}

/// Classifies a stored message's bytes and reads the workbooks of a reply (each in a
/// reader worker, within `[limits]`). Blocking.
fn read_message(raw: &[u8], cfg: &Config, index: &PartyIndex) -> (Result<Facts, String>, Parsed) {
    let mut facts = classify::read(raw).map_err(|e| e.to_string());
    let mut parsed = Vec::new();
    // A workbook is never discarded: mail programs and gateways mark ordinary mail as
    // bulk or automatic, and a respondent's answer must not be lost.
    if let Ok(f) = &mut facts
        && let Kind::AutoReply { reason } = &f.kind
        && f.attachments.iter().any(is_workbook)
    {
        f.auto_reply = Some(reason.clone());
        f.kind = Kind::Reply;
    }
    if let Ok(f) = &facts
        && f.kind == Kind::Reply
    {
        for a in f
            .attachments
            .iter()
            .filter(|a| is_workbook(a))
            .take(cfg.limits.attachments)
        {
            let reply = if a.bytes.len() as u64 > cfg.limits.attachment_bytes {
                Err(format!(
                    "the attachment is over the limit of {} bytes",
                    cfg.limits.attachment_bytes
                ))
            } else {
                read::read_reply_with(
                    &mut |which| {
                        crate::reader::shared().read(&a.bytes, &a.name, &cfg.limits, which)
                    },
                    index,
                    &cfg.areas,
                )
                .map_err(|e| e.to_string())
            };
            parsed.push((a.name.clone(), reply));
        }
    }
    (facts, parsed)
}

/// The workbooks of a reply by file name, each read or why not.
type Parsed = Vec<(String, Result<read::Reply, String>)>;

/// Records a prepared message: what it is, its submissions, its receipt.
pub async fn record(
    app: &crate::app::App,
    run: &Run,
    prepared: Prepared,
    now: DateTime<Utc>,
) -> Result<Read> {
    let (cfg, store, index) = (&*app.cfg, &app.store, &app.index);
    let contacts = &run.contacts;
    let mut out = Read::default();
    let mut writes = Writes::default();
    let Prepared {
        id,
        facts,
        tags,
        understood,
    } = prepared;
    let facts = match facts {
        Ok(f) => f,
        Err(e) => {
            // A poison message: kept, marked, and never in the way of the next one.
            let reading = Reading {
                state: InboxState::Failed,
                error: Some(e.to_string()),
                ..Reading::default()
            };
            store.record_reading(id, &reading).await?;
            out.failed += 1;
            return Ok(out);
        }
    };
    let mut reading = Reading {
        message_id: facts.message_id.clone(),
        from: facts.from.clone(),
        subject: Some(facts.subject.clone()),
        auth_results: (!facts.auth_results.is_empty()).then(|| facts.auth_results.join("\n")),
        copy_key: classify::copy_key(&facts),
        state: InboxState::Parsed,
        ..Reading::default()
    };
    match &facts.kind {
        Kind::Bounce(b) => {
            out.bounces += 1;
            reading.classification = Some("bounce".into());
            let matched = bounced(store, b, &tags, contacts).await?;
            writes.bouncing.extend(matched.iter().map(|m| m.contact_id));
            reading.matched = matched.map(|m| (m.cycle, m.contact_id));
        }
        Kind::AutoReply { .. } => {
            out.auto_replies += 1;
            reading.classification = Some("auto_reply".into());
            reading.matched = match_reply(store, &facts, &tags, contacts, None)
                .await?
                .map(|(m, _)| (m.cycle, m.contact_id));
        }
        Kind::Reply if is_about_receiving(&facts, &tags) => {
            receiving(app, id, &facts, &tags, now, &mut reading, &mut out).await?;
        }
        Kind::Reply => {
            let duplicate = match &reading.copy_key {
                Some(key) => store.submitted_copy(key, id).await?,
                None => false,
            };
            if duplicate {
                reading.classification = Some("duplicate".into());
            } else {
                record_reply(
                    cfg,
                    store,
                    index,
                    run,
                    id,
                    &facts,
                    understood,
                    now,
                    &mut reading,
                    &mut out,
                    &mut writes,
                )
                .await?;
            }
        }
    }
    if store
        .commit_reading(
            id,
            &reading,
            &writes.bouncing,
            &writes.submissions,
            writes.receipt.as_ref(),
            now,
        )
        .await?
    {
        out.receipts += 1;
    }
    Ok(out)
}

/// Whether a message is about receiving the Matrix rather than a reply: one sent to a
/// circulation's unsubscribe address, or a request (no token of needsd's, no workbook,
/// and words that ask for the Matrix).
fn is_about_receiving(facts: &Facts, tags: &[Tag]) -> bool {
    super::subscription::unsubscribe_tag(tags).is_some() || request_language(facts, tags).is_some()
}

/// The language a request to receive the Matrix asks in, if the message is one.
fn request_language(facts: &Facts, tags: &[Tag]) -> Option<crate::model::Language> {
    if !tags.is_empty() || facts.attachments.iter().any(is_workbook) {
        return None;
    }
    crate::subscription::asks_for_matrix(&facts.subject, &facts.text)
}

/// Characters of a request's own words kept for the expert.
const EXCERPT_CHARS: usize = 500;

/// Records a message about receiving the Matrix: an unsubscribe (the contact stops at
/// once, and is told), or a request for the experts.
async fn receiving(
    app: &crate::app::App,
    id: i64,
    facts: &Facts,
    tags: &[Tag],
    now: DateTime<Utc>,
    reading: &mut Reading,
    out: &mut Read,
) -> Result<()> {
    if let Some((contact_id, mac)) = super::subscription::unsubscribe_tag(tags) {
        out.unsubscribes += 1;
        let in_reply_to = facts.message_id.as_ref().map(|m| format!("<{m}>"));
        let outcome = super::subscription::unsubscribe(
            app,
            contact_id,
            mac,
            crate::state::UnsubscribeVia::Mail,
            in_reply_to,
        )
        .await?;
        reading.classification = Some("unsubscribe".into());
        if let super::subscription::Outcome::Stopped(c) | super::subscription::Outcome::Already(c) =
            outcome
        {
            reading.matched = app
                .store
                .latest_cycle_of(c.id)
                .await?
                .map(|cycle| (cycle, c.id));
        }
        return Ok(());
    }
    reading.classification = Some("subscription_request".into());
    let (Some(language), Some(from)) = (
        request_language(facts, tags),
        facts
            .from
            .as_deref()
            .and_then(|f| crate::model::EmailAddress::parse(f).ok()),
    ) else {
        // A request nobody can be named for (no From, or one that is not an address).
        return Ok(());
    };
    if is_ours(&app.cfg, &from) {
        return Ok(());
    }
    let verified = crate::trust::verdict(&facts.auth_results, &auth_serv(&app.cfg), from.domain())
        == crate::trust::Verdict::Pass;
    let own = classify::own_words(&facts.text);
    let excerpt: String = own.trim().chars().take(EXCERPT_CHARS).collect();
    let request = crate::store::subscriptions::NewRequest {
        inbox_id: id,
        address: from,
        name: facts.from_name.clone().unwrap_or_default(),
        language,
        excerpt: if excerpt.is_empty() {
            facts.subject.clone()
        } else {
            excerpt
        },
        verified,
    };
    if app.store.add_subscription_request(&request, now).await? {
        out.requests += 1;
    }
    Ok(())
}

/// The recipient a bounce is about, on evidence only: the bounce token of its envelope,
/// or the message needsd signed, returned inside the report and naming that message's
/// recipient as failed. Anything else is recorded, unattributed: a report that names an
/// address proves nothing (anyone can write one), and must not silence a contact.
async fn bounced(
    store: &crate::store::Store,
    b: &crate::mail::classify::Bounce,
    tags: &[Tag],
    contacts: &[Contact],
) -> Result<Option<Match>> {
    for t in tags {
        if let Tag::Bounce(token) = t
            && let Some(m) = store.recipient_by_token(token).await?
        {
            return Ok(Some(m));
        }
    }
    let Some(id) = &b.returned_message_id else {
        return Ok(None);
    };
    // The remote server dropped our envelope: the report may still return the message
    // needsd sent, and name that message's recipient as failed.
    Ok(store.recipient_by_signed_message_id(id).await?.filter(|m| {
        let address = contacts
            .iter()
            .find(|c| c.id == m.contact_id)
            .map(|c| c.email.key());
        b.recipients.is_empty()
            || b.recipients
                .iter()
                .any(|r| Some(r.to_ascii_lowercase()) == address)
    }))
}

/// What reading one message will write, committed together at its end.
#[derive(Default)]
struct Writes {
    bouncing: Vec<i64>,
    submissions: Vec<NewSubmission>,
    receipt: Option<NewMessage>,
}

/// Who a reply answers: its plus-address token, then the message it replies to, then a
/// workbook's stamped token, then its sender's address. The flag says whether the match
/// rests on a token that verifies (a plus-address or a stamp).
async fn match_reply(
    store: &Store,
    facts: &Facts,
    tags: &[Tag],
    contacts: &[Contact],
    stamped_token: Option<&str>,
) -> Result<Option<(Match, bool)>> {
    for t in tags {
        if let Tag::Reply(token) = t
            && let Some(m) = store.recipient_by_token(token).await?
        {
            return Ok(Some((m, true)));
        }
    }
    for id in facts.refers_to.iter().rev() {
        if let Some(m) = store.recipient_by_message_id(id).await? {
            return Ok(Some((m, false)));
        }
    }
    if let Some(token) = stamped_token
        && let Some(m) = store.recipient_by_token(token).await?
    {
        return Ok(Some((m, true)));
    }
    if let Some(from) = &facts.from {
        let key = from.to_ascii_lowercase();
        for c in contacts.iter().filter(|c| c.email.key() == key) {
            if let Some(cycle) = store.latest_cycle_of(c.id).await? {
                return Ok(Some((
                    Match {
                        cycle,
                        contact_id: c.id,
                    },
                    false,
                )));
            }
        }
    }
    Ok(None)
}

/// Who the From names, among the party's contacts. The From is spoofable: it counts
/// only with evidence (the contact's own token, or the receiving server's word).
fn named_contact<'c>(
    contacts: &'c [Contact],
    party: &crate::model::PartyCode,
    from: Option<&str>,
) -> Option<&'c Contact> {
    let key = from.unwrap_or("").to_ascii_lowercase();
    contacts
        .iter()
        .find(|c| &c.party == party && c.email.key() == key)
}

/// The recipient token stamped in the first workbook that has one.
fn stamped_token(parsed: &Parsed) -> Option<String> {
    parsed.iter().find_map(|(_, r)| {
        r.as_ref()
            .ok()
            .and_then(|r| r.stamp.as_ref())
            .and_then(|s| s.token.clone())
    })
}

/// Matches a reply to its cycle and recipient, checks who sent it, and turns each of its
/// workbooks (or its text) into a submission. Reads the database, writes nothing.
#[allow(
    clippy::too_many_arguments,
    reason = "one step's whole context, passed down once"
)]
async fn understand(
    cfg: &Config,
    store: &Store,
    index: &PartyIndex,
    run: &Run,
    inbox_id: i64,
    received_at: DateTime<Utc>,
    facts: &Facts,
    parsed: Parsed,
    tags: &[Tag],
) -> Result<Understood> {
    let contacts = &run.contacts;
    // A stamped token in a workbook may be the only way to match the reply.
    let stamped = stamped_token(&parsed);
    let Some((m, token_verified)) =
        match_reply(store, facts, tags, contacts, stamped.as_deref()).await?
    else {
        return Ok(Understood::Unrelated);
    };
    let Some(contact) = contacts.iter().find(|c| c.id == m.contact_id) else {
        return Ok(Understood::Matched {
            m,
            contact: None,
            trusted_sender: None,
            submissions: Vec::new(),
        });
    };
    let party = contact.party.clone();
    let sender_contact = named_contact(contacts, &party, facts.from.as_deref());
    let evidence = evidence(cfg, store, facts, tags, stamped.as_deref(), sender_contact).await?;
    let judged = crate::trust::judge(&evidence);
    let verified = judged.is_ok();
    let note = reply_notes(
        judged.err().unwrap_or_default(),
        facts,
        party.as_str(),
        token_verified,
        parsed.len(),
        cfg.limits.attachments,
    );
    let late = is_late(cfg, m.cycle, received_at);
    let sender = index.get(&party).cloned();
    let template = NewSubmission {
        inbox_id,
        party: party.to_string(),
        contact_id: Some(contact.id),
        cycle: m.cycle,
        attachment: None,
        late,
        state: SubmissionState::Pending,
        note: (!note.is_empty()).then(|| note.join("; ")),
        changes: Vec::new(),
        programme_changes: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut submissions = Vec::new();
    for (name, reply) in parsed {
        let report = match reply {
            Ok(reply) => {
                let (bases, needs) = (&run.bases, &run.needs);
                assess(
                    cfg,
                    store,
                    index,
                    bases,
                    reply,
                    needs,
                    &name,
                    sender.as_ref(),
                    Some(m.cycle),
                )
                .await
                .map_err(|e| format!("{e:#}"))
            }
            Err(e) => Err(e),
        };
        let mut s = NewSubmission {
            attachment: Some(name),
            ..template.clone()
        };
        take_report(&mut s, report);
        submissions.push(s);
    }
    if submissions.is_empty() {
        submissions.push(without_workbook(template, &facts.text));
    }
    if !verified {
        for s in submissions.iter_mut() {
            s.state = SubmissionState::Quarantined;
        }
    }
    Ok(Understood::Matched {
        m,
        contact: Some(Box::new(contact.clone())),
        trusted_sender: sender_contact
            .filter(|_| verified)
            .map(|c| Box::new(c.clone())),
        submissions,
    })
}

/// The evidence on whether a reply is its party's (see `trust::judge`): whether the
/// From is an active contact of the party, whether the address it was sent to carries
/// that contact's own token, whether it carries (or its workbook is stamped with) a token
/// needsd never issued, and what the receiving server said about the From domain.
async fn evidence(
    cfg: &Config,
    store: &Store,
    facts: &Facts,
    tags: &[Tag],
    stamped: Option<&str>,
    sender_contact: Option<&Contact>,
) -> Result<crate::trust::Evidence> {
    // A token needsd never issued (made up, or mangled) in the reply address or the
    // workbook: someone is guessing. The contact's own token proves the address the
    // message was sent to, never the workbook (anyone can copy one).
    let mut unknown_token = false;
    let mut own_token = false;
    for t in tags {
        if let Tag::Reply(token) = t {
            match store.recipient_by_token(token).await? {
                None => unknown_token = true,
                Some(r) => own_token |= sender_contact.is_some_and(|c| c.id == r.contact_id),
            }
        }
    }
    if let Some(token) = stamped
        && store.recipient_by_token(token).await?.is_none()
    {
        unknown_token = true;
    }
    let serv = auth_serv(cfg);
    let from = facts.from.as_deref().unwrap_or("").to_ascii_lowercase();
    let from_domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    Ok(crate::trust::Evidence {
        sender_is_contact: sender_contact.is_some(),
        contact_active: sender_contact.is_some_and(|c| c.active),
        own_token,
        unknown_token,
        verdict: crate::trust::verdict(&facts.auth_results, &serv, from_domain),
    })
}

/// Whose Authentication-Results header speaks for the operator's receiving server.
fn auth_serv(cfg: &Config) -> crate::trust::AuthServ {
    if cfg.mail.trust_topmost_auth_results {
        crate::trust::AuthServ::Topmost
    } else {
        match &cfg.mail.authserv_id {
            Some(id) => crate::trust::AuthServ::Id(id.clone()),
            None => crate::trust::AuthServ::Nobody,
        }
    }
}

/// What a reply's submissions note for the experts: why its sender is not trusted, how
/// it was matched, that it came marked automatic, and the workbooks left unread.
fn reply_notes(
    doubts: Vec<crate::trust::Doubt>,
    facts: &Facts,
    party: &str,
    token_verified: bool,
    workbooks_read: usize,
    limit: usize,
) -> Vec<String> {
    let sender_name = facts.from.as_deref().unwrap_or("an unknown sender");
    let mut note: Vec<String> = doubts
        .into_iter()
        .map(|d| d.describe(sender_name, party))
        .collect();
    if !token_verified {
        note.push("matched without a token (by the message it answers or by the sender)".into());
    }
    if let Some(reason) = &facts.auto_reply {
        note.push(format!(
            "came marked as an automatic message ({reason}); read because it carries a workbook"
        ));
    }
    let unread: Vec<&str> = facts
        .attachments
        .iter()
        .filter(|a| is_workbook(a))
        .skip(workbooks_read)
        .map(|a| a.name.as_str())
        .collect();
    if !unread.is_empty() {
        note.push(format!(
            "{} more workbooks were not read (limits.attachments is {limit}): {}",
            unread.len(),
            unread.join(", ")
        ));
    }
    note
}

/// A workbook's submission from what reading, diffing and the policy made of it: its
/// changes and refused rows, no changes, or unparseable with the reason.
fn take_report(s: &mut NewSubmission, report: Result<super::files::CheckReport, String>) {
    match report {
        Err(e) => {
            s.state = SubmissionState::Unparseable;
            s.errors.push(RowError {
                row: 0,
                column: None,
                message: e,
            });
        }
        Ok(r) => {
            let nothing = r.changes.is_empty() && r.programme_changes.is_empty();
            if nothing && (r.no_changes == Some(true) || r.errors.is_empty()) {
                s.state = SubmissionState::NoChanges;
            }
            s.changes = r.changes;
            s.programme_changes = r.programme_changes;
            s.errors = r.errors;
            s.warnings = r.warnings;
        }
    }
}

/// The submission of a reply with no workbook: no changes when its text says so,
/// otherwise unparseable.
fn without_workbook(mut s: NewSubmission, text: &str) -> NewSubmission {
    if classify::says_no_changes(text) {
        s.state = SubmissionState::NoChanges;
    } else {
        s.state = SubmissionState::Unparseable;
        s.errors.push(RowError {
            row: 0,
            column: None,
            message: "no workbook was attached, and the message does not say there are no changes"
                .into(),
        });
    }
    s
}

/// Records an understood reply, in arrival order: its submissions and its receipt (the
/// receipts already sent decide whether this one goes).
#[allow(
    clippy::too_many_arguments,
    reason = "one step's whole context, passed down once"
)]
async fn record_reply(
    cfg: &Config,
    store: &Store,
    index: &PartyIndex,
    run: &Run,
    inbox_id: i64,
    facts: &Facts,
    understood: Option<Understood>,
    now: DateTime<Utc>,
    reading: &mut Reading,
    out: &mut Read,
    writes: &mut Writes,
) -> Result<()> {
    let Some(Understood::Matched {
        m,
        contact,
        trusted_sender,
        submissions,
    }) = understood
    else {
        reading.classification = Some("unrelated".into());
        out.unrelated += 1;
        return Ok(());
    };
    out.replies += 1;
    reading.classification = Some("reply".into());
    reading.matched = Some((m.cycle, m.contact_id));
    if contact.is_none() {
        return Ok(());
    }
    let verified = trusted_sender.is_some();
    reading.verified = Some(verified);
    if !verified {
        out.quarantined += submissions.len();
        reading.state = InboxState::Quarantined;
    }
    out.submissions += submissions.len();
    // A reply whose sender is not trusted gets no receipt: it would go to whoever wrote
    // the From (backscatter), and would tell a stranger what the party's workbook says.
    if let Some(sender) = trusted_sender {
        writes.receipt = receipt(
            cfg,
            store,
            index,
            &run.templates,
            &sender,
            facts,
            inbox_id,
            &submissions,
            now,
        )
        .await?;
    }
    writes.submissions = submissions;
    Ok(())
}

/// The reply's receipt, for the outbox: what was understood, what awaits review, and
/// every row that was refused and why. Never to needsd's own addresses, and at most
/// `limits.receipts_per_address` an hour to one address (enough to correct and send
/// again, not enough for two robots to keep each other busy) and
/// `limits.receipts_per_domain` to one domain.
#[allow(
    clippy::too_many_arguments,
    reason = "one step's whole context, passed down once"
)]
async fn receipt(
    cfg: &Config,
    store: &Store,
    index: &PartyIndex,
    templates: &Templates,
    contact: &Contact,
    facts: &Facts,
    inbox_id: i64,
    submissions: &[NewSubmission],
    now: DateTime<Utc>,
) -> Result<Option<NewMessage>> {
    let Some(first) = submissions.first() else {
        return Ok(None);
    };
    // The directory's address of the trusted sender, never the From as written.
    let to = &contact.email;
    if is_ours(cfg, to) {
        return Ok(None);
    }
    if !receipts_allowed(store, &cfg.limits, to, now).await? {
        return Ok(None);
    }
    let pending: usize = submissions
        .iter()
        .filter(|s| s.state == SubmissionState::Pending)
        .map(|s| s.changes.len() + s.programme_changes.len())
        .sum();
    let draft = ReceiptDraft {
        contact,
        party_name: index
            .get(&contact.party)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| contact.party.to_string()),
        cycle: first.cycle,
        late: first.late,
        quarantined: submissions
            .iter()
            .any(|s| s.state == SubmissionState::Quarantined),
        pending,
        no_changes: submissions
            .iter()
            .all(|s| s.state == SubmissionState::NoChanges),
        items: submissions.iter().map(receipt_item).collect(),
        key: inbox_id.to_string(),
        in_reply_to: facts.message_id.as_ref().map(|m| format!("<{m}>")),
        now,
    };
    Ok(Some(receipt_message(cfg, templates, draft)?))
}

/// Whether `to` may get another receipt now: fewer than `limits.receipts_per_address`
/// in the last hour to it (in any letter case), and fewer than
/// `limits.receipts_per_domain` to its domain. When not, says so in the log.
pub(crate) async fn receipts_allowed(
    store: &Store,
    limits: &crate::settings::Limits,
    to: &crate::model::EmailAddress,
    now: DateTime<Utc>,
) -> Result<bool, crate::store::StoreError> {
    let since = now - chrono::Duration::hours(1);
    let (per_address, per_domain) = (limits.receipts_per_address, limits.receipts_per_domain);
    if store.receipts_since(to.as_str(), since).await? >= per_address as i64 {
        tracing::warn!(sender = %to, "not answering: this address had {per_address} receipts in the last hour");
        return Ok(false);
    }
    if store.receipts_to_domain_since(to.domain(), since).await? >= per_domain as i64 {
        tracing::warn!(domain = %to.domain(), "not answering: this domain had {per_domain} receipts in the last hour");
        return Ok(false);
    }
    Ok(true)
}

/// Whether `to` is one of needsd's own addresses, or a plus-address of one: needsd never
/// answers itself.
pub(crate) fn is_ours(cfg: &Config, to: &crate::model::EmailAddress) -> bool {
    [&cfg.mail.from.address, &cfg.mail.reply_to]
        .iter()
        .any(|o| {
            o.domain().eq_ignore_ascii_case(to.domain())
                && (to.local_part().eq_ignore_ascii_case(o.local_part())
                    || to
                        .local_part()
                        .to_ascii_lowercase()
                        .starts_with(&format!("{}+", o.local_part().to_ascii_lowercase())))
        })
}

/// What a receipt says, before it is written.
pub(crate) struct ReceiptDraft<'a> {
    /// Whom it goes to, at the directory's address.
    pub contact: &'a Contact,
    pub party_name: String,
    pub cycle: Cycle,
    pub late: bool,
    pub quarantined: bool,
    /// Changes awaiting review.
    pub pending: usize,
    /// Whether every workbook said "no changes".
    pub no_changes: bool,
    pub items: Vec<ReceiptItem>,
    /// What makes its Message-ID and outbox key unique: the stored message's id, and
    /// for a receipt sent on acceptance the submission's too.
    pub key: String,
    pub in_reply_to: Option<String>,
    pub now: DateTime<Utc>,
}

/// The receipt as it joins the outbox, with the contact's own reply address.
pub(crate) fn receipt_message(
    cfg: &Config,
    templates: &Templates,
    d: ReceiptDraft<'_>,
) -> Result<NewMessage> {
    let ReceiptDraft { contact, cycle, .. } = d;
    let has_errors = d.items.iter().any(|i| !i.errors.is_empty());
    let status = if d.quarantined {
        "quarantined"
    } else if d.pending > 0 {
        "pending"
    } else if d.no_changes {
        "no-changes"
    } else {
        "check"
    };
    let token = crate::token::recipient_token(&cfg.mail.token_secret, cycle, contact.id);
    let reply_to = crate::token::plus_address(&cfg.mail.reply_to, &token);
    let context = ReceiptContext {
        cycle: cycle.to_string(),
        contact_name: contact.name.clone(),
        party_name: d.party_name,
        late: d.late,
        quarantined: d.quarantined,
        has_errors,
        deadline: cfg.deadline_parts(cycle),
        status,
        pending: d.pending,
        items: d.items,
    };
    let outgoing = compose::receipt(
        templates,
        &compose::Receipt {
            kind: "receipt",
            context,
            language: contact.language,
            from: &cfg.mail.from,
            reply_to: &reply_to,
            to_name: &contact.name,
            to: &contact.email,
            // Bounces of a receipt go to the bounce address but name no recipient.
            envelope_from: crate::token::plus_address(&cfg.mail.reply_to, "bounce-receipt"),
            message_id: format!(
                "<{cycle}.receipt.{}.{}@{}>",
                contact.id,
                d.key,
                cfg.mail.from.address.domain()
            ),
            in_reply_to: d.in_reply_to,
            date: d.now,
        },
    )?;
    Ok(NewMessage {
        dedupe_key: format!("receipt/{}", d.key),
        kind: MessageKind::Receipt,
        cycle: Some(cycle),
        contact_id: Some(contact.id),
        day: d.now.with_timezone(&cfg.schedule.timezone).date_naive(),
        outgoing,
        // Given out with the receipt: a contact an expert added on accepting this reply
        // was never sent the circulation's.
        reply_token: Some(token),
    })
}

/// One workbook's (or the text's) lines for the receipt.
fn receipt_item(s: &NewSubmission) -> ReceiptItem {
    let count = s.changes.len() + s.programme_changes.len();
    ReceiptItem {
        file: s.attachment.clone(),
        verdict: match s.state {
            SubmissionState::NoChanges => "no-changes",
            SubmissionState::Unparseable => "unreadable",
            SubmissionState::Quarantined => "quarantined",
            _ => "pending",
        },
        count,
        changes: s
            .changes
            .iter()
            .map(change_line)
            .chain(s.programme_changes.iter().map(programme_change_line))
            .collect(),
        errors: s.errors.clone(),
    }
}

/// A proposed programme change as a mail lists it.
pub(crate) fn programme_change_line(c: &crate::register::Change) -> ChangeLine {
    use crate::register::Change as C;
    match c {
        C::Update {
            id,
            field,
            base,
            proposed,
            ..
        } => ChangeLine {
            kind: "update",
            register: "programme",
            id: id.clone(),
            field: (*field).to_string(),
            from: base.clone(),
            to: proposed.clone(),
            ..ChangeLine::default()
        },
        C::Add { fields, .. } => ChangeLine {
            kind: "add-programme",
            register: "programme",
            party: fields.get("provider").cloned().unwrap_or_default(),
            title: fields.get("title").cloned().unwrap_or_default(),
            ..ChangeLine::default()
        },
    }
}

/// A proposed change to the Matrix as a mail lists it.
pub(crate) fn change_line(c: &Change) -> ChangeLine {
    match c {
        Change::Update {
            need_id,
            field,
            base,
            current,
            proposed,
            conflict,
            ..
        } => ChangeLine {
            kind: "update",
            register: "need",
            id: need_id.to_string(),
            field: field.as_str().to_string(),
            from: base.clone(),
            to: proposed.clone(),
            conflict: *conflict,
            current: current.clone(),
            ..ChangeLine::default()
        },
        Change::Add { fields, .. } => ChangeLine {
            kind: "add-need",
            register: "need",
            party: fields.get(&Field::State).cloned().unwrap_or_default(),
            title: fields.get(&Field::Description).cloned().unwrap_or_default(),
            ..ChangeLine::default()
        },
        Change::Withdraw { need_id, .. } => ChangeLine {
            kind: "withdraw",
            register: "need",
            id: need_id.to_string(),
            ..ChangeLine::default()
        },
    }
}

/// Whether a reply received at `received` is late for `cycle`.
pub fn is_late(cfg: &Config, cycle: Cycle, received: DateTime<Utc>) -> bool {
    received > cfg.deadline(cycle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> NewSubmission {
        NewSubmission {
            inbox_id: 1,
            party: "KEN".into(),
            contact_id: Some(1),
            cycle: Cycle::parse("2026-12").unwrap_or_else(|_| unreachable!("a valid cycle")),
            attachment: None,
            late: false,
            state: SubmissionState::Pending,
            note: None,
            changes: Vec::new(),
            programme_changes: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_reply_without_a_workbook_is_no_changes_only_when_it_says_so() {
        let cases = [
            ("No changes this month.", SubmissionState::NoChanges, 0),
            ("Pas de changement.", SubmissionState::NoChanges, 0),
            (
                "Please find our update attached.",
                SubmissionState::Unparseable,
                1,
            ),
        ];
        for (text, state, errors) in cases {
            let s = without_workbook(submission(), text);
            assert_eq!((s.state, s.errors.len()), (state, errors), "{text}");
        }
    }

    #[test]
    fn a_workbook_that_could_not_be_read_is_unparseable_with_the_reason() {
        let mut s = submission();
        take_report(&mut s, Err("the file is encrypted".into()));
        assert_eq!(s.state, SubmissionState::Unparseable);
        assert_eq!(s.errors[0].message, "the file is encrypted");
    }

    #[test]
    fn notes_say_why_a_sender_is_doubted_and_which_workbooks_were_left_unread() {
        let part = |name: &str| {
            format!(
                "--B\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\r\nx\r\n"
            )
        };
        let raw = format!(
            "From: m@x.test\r\nSubject: Re: Matrix\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n{}{}{}--B--\r\n",
            part("a.xlsx"),
            part("b.xlsx"),
            part("c.csv")
        );
        let mut facts = classify::read(raw.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        facts.auto_reply = Some("Auto-Submitted: auto-replied".into());
        let note = reply_notes(
            vec![crate::trust::Doubt::NotAContact],
            &facts,
            "KEN",
            false,
            1,
            1,
        );
        assert_eq!(note[0], "sent by m@x.test, who is not a contact of KEN");
        assert!(note[1].starts_with("matched without a token"), "{note:?}");
        assert!(note[2].contains("automatic message"), "{note:?}");
        assert_eq!(
            note[3],
            "2 more workbooks were not read (limits.attachments is 1): b.xlsx, c.csv"
        );
        // A trusted reply matched by its token, not automatic, every workbook read: no note.
        facts.auto_reply = None;
        assert_eq!(
            reply_notes(Vec::new(), &facts, "KEN", true, 3, 10),
            Vec::<String>::new()
        );
    }
}
