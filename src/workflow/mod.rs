//! The cycle's steps as the daemon and the CLI run them: load, call the pure core, store,
//! send. Today: dispatch (the circulation on the 1st).

pub mod chase;
pub mod files;
pub mod intake;
pub mod matching;
pub mod preview;
pub mod review;
pub mod subscription;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::TimeZone;
use tracing::Instrument;

use crate::app::App;
use crate::mail::compose::{self, Circular, CirculationContext, DeadlineParts, Templates};
use crate::mail::outbound::SendReport;
use crate::model::{Contact, Cycle, Language, Need, PartyCode, PartyKind};
use crate::state::MessageKind;
use crate::store::cycles;
use crate::store::outbox::{self, NewMessage};
use crate::token;
use crate::workbook::write;

/// How long `dispatch` waits for messages the server deferred before leaving them queued
/// for a later run (or the daemon).
pub const DISPATCH_WAIT: Duration = Duration::from_secs(120);

/// Recipients rendered and stored per step: bounds memory, not the transaction.
const CHUNK: usize = 64;

/// A receiving contact left out of this run, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub party: PartyCode,
    pub email: String,
    pub reason: String,
}

/// What `dispatch` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DispatchReport {
    pub cycle: Cycle,
    /// Whether this run opened the cycle (stored its base).
    pub opened: bool,
    pub needs: usize,
    /// Messages added to the outbox by this run.
    pub enqueued: usize,
    pub skipped: Vec<Skipped>,
    pub send: SendReport,
}

/// The workbook `contact` would receive in `cycle` if the matrix were `needs`: what a
/// respondent sends back after editing (the demo's simulated respondents use it).
pub fn workbook_as_edited(
    app: &App,
    cycle: Cycle,
    mut needs: Vec<Need>,
    directory: Vec<crate::register::Record>,
    contact: &Contact,
) -> Result<Vec<u8>> {
    write::sort_for_workbook(&mut needs);
    Plan::new(
        app,
        cycle,
        needs,
        directory,
        Chase::Circulation,
        cycle.day(1),
    )?
    .workbook(contact)
}

/// Circulates `cycle`: opens it (storing its base) if needed, puts one message with its
/// own workbook in the outbox for every receiving contact that has none yet, in one
/// transaction, then sends the outbox. Safe to run again at any time: nobody gets a
/// second circulation, and whoever was missed (a new contact, a run killed half-way)
/// gets theirs.
pub async fn dispatch(app: &App, cycle: Option<Cycle>) -> Result<DispatchReport> {
    dispatch_then(app, cycle, Some(DISPATCH_WAIT)).await
}

/// [`dispatch`], then sending for at most `send_wait`, or not at all (the daemon's
/// sender sends).
#[tracing::instrument(name = "dispatch", skip_all, fields(cycle = ?cycle))]
pub async fn dispatch_then(
    app: &App,
    cycle: Option<Cycle>,
    send_wait: Option<Duration>,
) -> Result<DispatchReport> {
    let (cfg, store, index, clock) = (&*app.cfg, &app.store, &app.index, &app.clock);
    let tz = cfg.schedule.timezone;
    let now = clock.now();
    let cycle = cycle.unwrap_or_else(|| Cycle::of_date(now.with_timezone(&tz).date_naive()));
    let deadline = cfg.deadline(cycle);
    if deadline < now {
        bail!(
            "cycle {cycle} closed for replies at {}; circulate a current cycle instead",
            tz.from_utc_datetime(&deadline.naive_utc())
                .format("%Y-%m-%d %H:%M %Z")
        );
    }
    let opened = store
        .open_cycle(cycle, deadline, now)
        .await
        .with_context(|| format!("opening cycle {cycle}"))?;
    let mut base = store
        .cycle_base(cycle)
        .await?
        .with_context(|| format!("cycle {cycle} has no base after opening it"))?;
    write::sort_for_workbook(&mut base);
    let directory = store.cycle_programmes(cycle).await?.unwrap_or_default();

    let done: HashSet<i64> = store
        .outbox_contacts(MessageKind::Circulation, cycle)
        .await?
        .into_iter()
        .collect();
    let contacts: Vec<Contact> = store
        .contacts()
        .await?
        .into_iter()
        .filter(|c| {
            c.receives_matrix
                && c.active
                && !done.contains(&c.id)
                && index.get(&c.party).is_some_and(|p| p.active)
        })
        .collect();

    let today = now.with_timezone(&tz).date_naive();
    let plan = Arc::new(Plan::new(
        app,
        cycle,
        base,
        directory,
        Chase::Circulation,
        today,
    )?);
    let (enqueued, skipped) = store_messages(store, plan.clone(), contacts, now, true).await?;
    tracing::info!(%cycle, enqueued, "the circulation is in the outbox");

    let send = match send_wait {
        // The daemon only queues (its sender sends): no SMTP set-up for that.
        Some(wait) => app
            .sender()
            .await?
            .drain(store, Arc::clone(clock), wait)
            .await
            .context("sending the outbox")?,
        None => SendReport::default(),
    };
    Ok(DispatchReport {
        cycle,
        opened,
        needs: plan.copies.base.len(),
        enqueued,
        skipped,
        send,
    })
}

/// Renders `plan`'s message for each contact (the next chunk while this one is stored)
/// and puts them in the outbox in one transaction; for the circulation, also records the
/// contacts as the cycle's recipients. Returns how many were new, and who was left out.
async fn store_messages(
    store: &crate::store::Store,
    plan: Arc<Plan>,
    contacts: Vec<Contact>,
    now: chrono::DateTime<chrono::Utc>,
    recipients_too: bool,
) -> Result<(usize, Vec<Skipped>)> {
    let cycle = plan.cycle;
    let mut skipped = Vec::new();
    let mut enqueued = 0;
    let mut tx = store.write().await?;
    let render = |chunk: &[Contact]| {
        let (plan, chunk) = (Arc::clone(&plan), chunk.to_vec());
        tokio::task::spawn_blocking(move || plan.render(&chunk, now))
    };
    let mut chunks = contacts.chunks(CHUNK);
    let mut next = chunks.next().map(render);
    while let Some(job) = next.take() {
        let rendered = job
            .await
            .context("the message renderer stopped unexpectedly")?;
        next = chunks.next().map(render);
        let mut messages = Vec::with_capacity(rendered.len());
        let mut recipients = Vec::with_capacity(rendered.len());
        for (contact, result) in rendered {
            match result {
                Ok((token, message)) => {
                    recipients.push((contact.id, token));
                    messages.push(message);
                }
                Err(e) => skipped.push(Skipped {
                    party: contact.party.clone(),
                    email: contact.email.to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        if recipients_too {
            cycles::add_recipients(&mut tx, cycle, &recipients, now).await?;
        }
        enqueued += outbox::enqueue(&mut tx, &messages, now).await?;
    }
    if recipients_too {
        // Also moves a cycle opened by a run that was killed before this point to collecting.
        cycles::add_recipients(&mut tx, cycle, &[], now).await?;
    }
    tx.commit()
        .await
        .with_context(|| format!("storing the {} messages in the outbox", plan.chase.kind()))?;
    Ok((enqueued, skipped))
}

/// A message to a recipient of a cycle, with their own workbook attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chase {
    /// The circulation on the 1st.
    Circulation,
    /// A reminder to a recipient whose party has not answered.
    Reminder,
    /// The reminder on the deadline day.
    DeadlineAlert,
}

impl Chase {
    /// The outbox kind.
    pub fn kind(self) -> MessageKind {
        match self {
            Chase::Circulation => MessageKind::Circulation,
            Chase::Reminder => MessageKind::Reminder,
            Chase::DeadlineAlert => MessageKind::DeadlineAlert,
        }
    }
    fn template(self) -> &'static str {
        match self {
            Chase::Circulation => "circulation",
            Chase::Reminder | Chase::DeadlineAlert => "reminder",
        }
    }
}

/// Everything a cycle's messages share: built once, used for every recipient.
struct Plan {
    cycle: Cycle,
    chase: Chase,
    /// The local date the messages belong to: the 1st for the circulation, today for a
    /// reminder (one a day at most).
    day: chrono::NaiveDate,
    copies: Copies,
    sheets: matching::ProviderSheets,
    templates: Arc<Templates>,
    deadline: DeadlineParts,
    from: crate::settings::Mailbox,
    reply_to: crate::model::EmailAddress,
    secret: crate::settings::Secret,
    /// For the `List-Unsubscribe` of each message.
    cfg: Arc<crate::config::Config>,
    parties: HashMap<PartyCode, (String, PartyKind)>,
    state_needs: HashMap<PartyCode, usize>,
}

/// The cycle's workbook, built once per language a recipient reads, the first time one
/// does: a stencil of the copy everyone gets, and one of a provider's (with its
/// Programmes and "Needs you could meet" sheets).
struct Copies {
    base: Vec<Need>,
    states: Vec<(PartyCode, String)>,
    areas: Vec<crate::model::Area>,
    deadline: chrono::NaiveDateTime,
    timezone: String,
    reply_to: String,
    /// By the position of the language in `Language::ALL`.
    stencils: [std::sync::OnceLock<Result<(write::Stencil, write::Stencil), String>>; 6],
}

impl Copies {
    fn of(&self, cycle: Cycle, language: Language) -> Result<&(write::Stencil, write::Stencil)> {
        let at = Language::ALL
            .iter()
            .position(|l| *l == language)
            .unwrap_or(0);
        self.stencils[at]
            .get_or_init(|| {
                let circulation = write::Circulation {
                    cycle,
                    deadline: write::deadline_in(self.deadline, &self.timezone, language),
                    reply_to: self.reply_to.clone(),
                    recipient: None,
                };
                let spec = write::Spec {
                    needs: &self.base,
                    states: &self.states,
                    areas: &self.areas,
                    as_of: cycle.day(1),
                    circulation: Some(&circulation),
                    sheets: &[],
                    language,
                };
                let everyone = write::Stencil::new(&spec).map_err(|e| e.to_string())?;
                let provider = write::Stencil::new(&write::Spec {
                    sheets: &matching::PROVIDER_SHEETS,
                    ..spec
                })
                .map_err(|e| e.to_string())?;
                Ok((everyone, provider))
            })
            .as_ref()
            .map_err(|e| anyhow::anyhow!("building the {language} workbook: {e}"))
    }
}

impl Plan {
    fn new(
        app: &App,
        cycle: Cycle,
        base: Vec<Need>,
        directory: Vec<crate::register::Record>,
        chase: Chase,
        today: chrono::NaiveDate,
    ) -> Result<Self> {
        let (cfg, index) = (&*app.cfg, &app.index);
        let states = index.state_names();
        let sheets = matching::ProviderSheets::new(&base, directory, index, app.geo);
        let mut state_needs = HashMap::new();
        for n in &base {
            *state_needs.entry(n.state.clone()).or_insert(0) += 1;
        }
        Ok(Self {
            cycle,
            chase,
            day: match chase {
                Chase::Circulation => cycle.day(1),
                Chase::Reminder | Chase::DeadlineAlert => today,
            },
            copies: Copies {
                base,
                states,
                areas: cfg.areas.clone(),
                deadline: cfg.deadline_local(cycle),
                timezone: cfg.schedule.timezone.name().to_string(),
                reply_to: cfg.mail.reply_to.to_string(),
                stencils: Default::default(),
            },
            sheets,
            templates: Arc::clone(&app.templates),
            deadline: DeadlineParts::new(cfg.deadline_local(cycle), cfg.schedule.timezone.name()),
            from: cfg.mail.from.clone(),
            reply_to: cfg.mail.reply_to.clone(),
            secret: cfg.mail.token_secret.clone(),
            cfg: Arc::clone(&app.cfg),
            parties: index
                .all()
                .iter()
                .map(|p| (p.code.clone(), (p.name.clone(), p.kind)))
                .collect(),
            state_needs,
        })
    }

    /// Each contact's token and message, or why it could not be built; on every core.
    fn render(
        &self,
        contacts: &[Contact],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<(Contact, Result<(String, NewMessage)>)> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = contacts.len().div_ceil(cores).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = contacts
                .chunks(per_thread)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|c| (c.clone(), self.message(c, now)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| {
                    // A panic in rendering is a bug; surface it as this thread's panic.
                    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
                })
                .collect()
        })
    }

    /// The contact's party name and kind, falling back to its code.
    fn party(&self, c: &Contact) -> (String, PartyKind) {
        self.parties
            .get(&c.party)
            .cloned()
            .unwrap_or_else(|| (c.party.to_string(), PartyKind::Organization))
    }

    /// The contact's own workbook: the stamp, the token and their reply address in it.
    fn workbook(&self, c: &Contact) -> Result<Vec<u8>> {
        let token = token::recipient_token(&self.secret, self.cycle, c.id);
        let (party_name, kind) = self.party(c);
        let recipient = write::Recipient {
            party: c.party.clone(),
            party_name,
            contact_name: c.name.clone(),
            email: c.email.to_string(),
            reply_to: token::plus_address(&self.reply_to, &token),
            token,
        };
        let (everyone, provider) = self.copies.of(self.cycle, c.language)?;
        Ok(match self.sheets.of(&c.party, kind) {
            Some(records) => provider.render_with(&recipient, &records)?,
            None => everyone.render(&recipient)?,
        })
    }

    fn message(
        &self,
        c: &Contact,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(String, NewMessage)> {
        let token = token::recipient_token(&self.secret, self.cycle, c.id);
        let reply_to = token::plus_address(&self.reply_to, &token);
        let (party_name, kind) = self.party(c);
        let attachment = self.workbook(c)?;
        let (day, outbox_kind) = (self.day, self.chase.kind());
        let context = CirculationContext {
            cycle: self.cycle.to_string(),
            cycle_year: self.cycle.year(),
            cycle_month: self.cycle.month(),
            contact_name: c.name.clone(),
            party: c.party.to_string(),
            party_name,
            state_needs: (kind == PartyKind::State)
                .then(|| self.state_needs.get(&c.party).copied().unwrap_or(0)),
            deadline: self.deadline.clone(),
            reference: write::reference(self.cycle, c.party.as_str(), &token),
            reply_to,
            final_day: self.chase == Chase::DeadlineAlert,
        };
        let outgoing = compose::circulation(
            &self.templates,
            &Circular {
                kind: self.chase.template(),
                context,
                language: c.language,
                from: &self.from,
                to_name: &c.name,
                to: &c.email,
                envelope_from: token::plus_address(&self.reply_to, &format!("bounce-{token}")),
                message_id: compose::message_id(
                    self.cycle,
                    outbox_kind.as_str(),
                    c.id,
                    day,
                    &token::message_mac(&self.secret, self.cycle, outbox_kind.as_str(), c.id, day),
                    self.from.address.domain(),
                ),
                date: now,
                attachment_name: format!("Matrix of Needs {} {}.xlsx", self.cycle, c.party),
                attachment,
                list_unsubscribe: Some(subscription::list_unsubscribe(&self.cfg, c)),
            },
        )?;
        Ok((
            token,
            NewMessage {
                dedupe_key: match self.chase {
                    Chase::Circulation => format!("circulation/{}/{}", self.cycle, c.id),
                    _ => format!("{outbox_kind}/{}/{}/{day}", self.cycle, c.id),
                },
                kind: outbox_kind,
                cycle: Some(self.cycle),
                contact_id: Some(c.id),
                day,
                outgoing,
                // Stored in recipients with the cycle's other recipients.
                reply_token: None,
            },
        ))
    }
}

/// Sends what the outbox holds, waiting at most `wait` for messages the server deferred.
pub async fn send_now(app: &App, wait: Duration) -> Result<SendReport> {
    app.sender()
        .await?
        .drain(&app.store, Arc::clone(&app.clock), wait)
        .await
        .context("sending the outbox")
}

/// `cycle status`: where a cycle's circulation and replies stand.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleStatus {
    pub cycle: Cycle,
    /// The deadline in the configured time zone, written out.
    pub deadline_local: String,
    #[serde(flatten)]
    pub counts: cycles::CycleCounts,
    pub failures: Vec<cycles::Failure>,
}

pub async fn cycle_status(app: &App, cycle: Option<Cycle>) -> Result<CycleStatus> {
    let (cfg, store, clock) = (&app.cfg, &app.store, &app.clock);
    let cycle = cycle.unwrap_or_else(|| {
        Cycle::of_date(
            clock
                .now()
                .with_timezone(&cfg.schedule.timezone)
                .date_naive(),
        )
    });
    Ok(CycleStatus {
        cycle,
        deadline_local: cfg.deadline_text(cycle),
        counts: store.cycle_counts(cycle).await?,
        failures: store.cycle_failures(cycle).await?,
    })
}

/// What `ingest --once` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    #[serde(flatten)]
    pub fetch: crate::mail::inbound::FetchReport,
    #[serde(flatten)]
    pub read: intake::Read,
    /// The outbox drain that sent the receipts.
    pub send: Option<SendReport>,
    /// Why receipts could not be sent now (they stay queued).
    pub send_error: Option<String>,
}

/// Who sends the receipts a pass over the inbox puts in the outbox.
#[derive(Clone)]
pub enum SendBy {
    /// The pass itself, with one sender for the whole pass, while it reads (the CLI).
    Pass,
    /// The daemon's one sender, woken whenever a receipt is queued.
    Daemon(Arc<tokio::sync::Notify>),
}

/// Reads the inbox once: every message is stored raw (exactly once) and moved out of the
/// inbox; then every stored message not yet read is classified, matched and turned into
/// submissions. Receipts go out while later messages are still being read.
pub async fn ingest_once(app: &App, send_by: &SendBy) -> Result<IngestReport> {
    let (cfg, store, clock) = (&app.cfg, &app.store, &app.clock);
    let run = Arc::new(intake::Run::load(app).await?);
    // Messages stored by an earlier run but not read, then each new one as soon as the
    // fetch has committed it: reading overlaps with fetching.
    let (tell, stored) = tokio::sync::mpsc::unbounded_channel();
    for id in store.unread_messages().await? {
        let _ = tell.send(id);
    }
    let fetcher = {
        let (source, store, clock) = (cfg.inbound.clone(), store.clone(), Arc::clone(clock));
        let limit = cfg.limits.message_bytes;
        tokio::spawn(async move {
            crate::mail::inbound::fetch_once_telling(&source, limit, &store, clock, Some(tell))
                .await
        })
    };
    let (queued, drainer) = match send_by {
        SendBy::Daemon(wake) => (Arc::clone(wake), None),
        SendBy::Pass => {
            let queued = Arc::new(tokio::sync::Notify::new());
            let drainer = drain_while_reading(app, Arc::clone(&queued)).await;
            (queued, Some(drainer))
        }
    };
    let read = read_in_order(app, &run, stored, Some(&queued)).await;
    let (mut send, mut send_error) = (None, None);
    if let Some((reading_done, drainer)) = drainer {
        // The last receipts; what the server defers waits for the next run.
        reading_done.store(true, std::sync::atomic::Ordering::Release);
        queued.notify_one();
        match drainer.await {
            Ok(Ok(r)) => send = Some(r),
            Ok(Err(e)) => send_error = Some(e),
            Err(e) => send_error = Some(format!("the sender stopped: {e}")),
        }
        if let Some(e) = &send_error {
            tracing::warn!(error = %e, "receipts stay queued");
        }
    }
    let read = read?;
    let fetch = fetcher
        .await
        .context("the inbox reader stopped unexpectedly")?
        .context("reading the inbox")?;
    tracing::debug!(stored = fetch.stored, known = fetch.known, "inbox read");
    tracing::debug!(
        replies = read.replies,
        receipts = read.receipts,
        "stored mail read"
    );
    Ok(IngestReport {
        fetch,
        read,
        send,
        send_error,
    })
}

/// A task that sends the outbox with one sender each time `queued` is told, until the
/// returned flag is set (and `queued` told once more): the receipts of an `ingest`
/// pass go out while later messages are still being read.
async fn drain_while_reading(
    app: &App,
    queued: Arc<tokio::sync::Notify>,
) -> (
    Arc<std::sync::atomic::AtomicBool>,
    tokio::task::JoinHandle<Result<SendReport, String>>,
) {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (store, clock, finished) = (app.store.clone(), Arc::clone(&app.clock), Arc::clone(&done));
    let sender = app.sender().await.map_err(|e| format!("{e:#}"));
    let task = tokio::spawn(async move {
        let sender = sender?;
        let mut total = SendReport::default();
        loop {
            let last = finished.load(std::sync::atomic::Ordering::Acquire);
            let r = sender
                .drain(&store, Arc::clone(&clock), Duration::ZERO)
                .await
                .map_err(|e| e.to_string())?;
            total.add(&r);
            total.next_attempt_at = r.next_attempt_at;
            if last {
                return Ok(total);
            }
            // Told when a receipt is queued; the timeout also catches what came due. The
            // pause lets receipts gather: a drain per receipt costs more than it saves.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tokio::time::timeout(Duration::from_secs(1), queued.notified()).await;
        }
    });
    (done, task)
}

/// Watches the inbox until SIGTERM or Ctrl-C: a pass of [`ingest_once`], then a wait for
/// new mail (IMAP IDLE, or until `schedule.inbox_poll`), again and again. A failed
/// pass or wait (a dropped connection, a server restart) is retried with backoff, from 1
/// second up to a minute. The daemon runs the same loop.
pub async fn ingest_watch(app: &App) -> Result<()> {
    watch_inbox(app, &SendBy::Pass, shutdown_signal(), |_| {}).await
}

/// The loop of [`ingest_watch`] until `stop` resolves; `on_pass` sees each pass that
/// worked.
pub async fn watch_inbox(
    app: &App,
    send_by: &SendBy,
    stop: impl std::future::Future<Output = ()>,
    on_pass: impl Fn(&IngestReport),
) -> Result<()> {
    tokio::pin!(stop);
    let mut backoff = Duration::from_secs(1);
    loop {
        let pass = async {
            let r = ingest_once(app, send_by).await?;
            if r.fetch.fetched > 0 || r.read.replies > 0 {
                tracing::info!("{} stored; {}", r.fetch.stored, r.read.summary());
            }
            on_pass(&r);
            let poll = app.cfg.schedule.until_poll(app.clock.now());
            crate::mail::inbound::wait(&app.cfg.inbound, poll)
                .await
                .context("waiting for new mail")
        };
        tokio::select! {
            _ = &mut stop => return Ok(()),
            r = pass => match r {
                Ok(()) => backoff = Duration::from_secs(1),
                Err(e) => {
                    tracing::warn!("{e:#}; trying again in {} s", backoff.as_secs());
                    tokio::select! {
                        _ = &mut stop => return Ok(()),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            },
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Reads stored mail again (after a parser fix): one message, or all of them. Earlier
/// readings' pending changes are superseded; receipts are not sent twice.
pub async fn reparse(app: &App, id: Option<i64>) -> Result<intake::Read> {
    let (store, clock) = (&app.store, &app.clock);
    let ids = match id {
        Some(id) => vec![id],
        None => store.all_messages().await?,
    };
    let run = Arc::new(intake::Run::load(app).await?);
    let (tell, queue) = tokio::sync::mpsc::unbounded_channel();
    for id in ids {
        if !store.unread(id, clock.now()).await? {
            bail!(
                "there is no stored message {id} to read again (of a message over limits.message_bytes only the headers are kept)"
            );
        }
        let _ = tell.send(id);
    }
    drop(tell);
    read_in_order(app, &run, queue, None).await
}

/// Reads the stored messages whose ids arrive on `ids`, in that order, until the sender
/// is dropped. Classifying, parsing, matching and diffing (CPU, and database reads) run
/// ahead on every core while the messages before are stored in order.
async fn read_in_order(
    app: &App,
    run: &Arc<intake::Run>,
    mut ids: tokio::sync::mpsc::UnboundedReceiver<i64>,
    receipt_queued: Option<&tokio::sync::Notify>,
) -> Result<intake::Read> {
    let prepare = |id: i64| {
        let task = intake::prepare(
            Arc::clone(&app.cfg),
            app.store.clone(),
            Arc::clone(&app.index),
            Arc::clone(run),
            id,
        );
        (
            id,
            tokio::spawn(task.instrument(tracing::info_span!("message", id))),
        )
    };
    let ahead = std::thread::available_parallelism().map_or(1, |n| n.get()) + 1;
    let mut pending = std::collections::VecDeque::new();
    let mut open = true;
    let mut read = intake::Read::default();
    loop {
        while open && pending.len() < ahead {
            match ids.try_recv() {
                Ok(id) => pending.push_back(prepare(id)),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => open = false,
            }
        }
        let Some((id, task)) = pending.pop_front() else {
            if !open {
                break;
            }
            match ids.recv().await {
                Some(id) => pending.push_back(prepare(id)),
                None => open = false,
            }
            continue;
        };
        let prepared = task
            .await
            .context("a message reader stopped unexpectedly")?
            .with_context(|| format!("reading stored message {id}"))?;
        if let Some(p) = prepared {
            let one = intake::record(app, run, p, app.clock.now())
                .instrument(tracing::info_span!("message", id))
                .await
                .with_context(|| format!("reading stored message {id}"))?;
            if one.receipts > 0
                && let Some(n) = receipt_queued
            {
                n.notify_one();
            }
            read.add(&one);
        }
    }
    Ok(read)
}
