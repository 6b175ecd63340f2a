//! `needsd demo`'s month: the daemon runs on a clock the demo moves through a cycle —
//! the circulation on the 1st, simulated respondents answering by mail (edited
//! workbooks, "no changes" in words, silence), reminders on the 8th and 13th, the
//! deadline alert on the 15th, the experts' digest on the 16th, the review alert two
//! days before the next circulation — in seconds, on the
//! embedded defaults (file outbox, Maildir inbox). Then the daemon keeps running (its web
//! server on `web.listen`) until [`Running::stop`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, TimeZone, Utc};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};

use crate::app::App;
use crate::clock::{Clock, TestClock};
use crate::config::Config;
use crate::model::{Contact, Cycle, PartyKind, Status};
use crate::state::OutboxState;
use crate::store::Store;

/// What the month did, for the demo's last words.
#[derive(Debug)]
pub struct MonthReport {
    pub recipients: i64,
    pub workbooks: usize,
    pub no_changes: usize,
    pub silent: usize,
    pub submissions: usize,
    pub pending: i64,
    /// Where the daemon's web server listens.
    pub web: std::net::SocketAddr,
}

/// How long the demo waits for any one step before it says something is wrong.
const STEP: Duration = Duration::from_secs(120);

/// The daemon the demo leaves running.
pub struct Running {
    halt: tokio::sync::oneshot::Sender<()>,
    daemon: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Stops the daemon and waits until it has.
    pub async fn stop(self) -> Result<()> {
        let _ = self.halt.send(());
        self.daemon
            .await
            .context("the daemon stopped unexpectedly")?
    }
}

/// Runs `cycle` as a month (see the module's words); `say` is told each step. Returns
/// what happened, with the daemon still running.
pub async fn month(
    app: Arc<App>,
    clock: &TestClock,
    cycle: Cycle,
    say: &(dyn Fn(&str) + Sync),
) -> Result<(MonthReport, Running)> {
    let cfg = Arc::clone(&app.cfg);
    let tz = cfg.schedule.timezone;
    let at = |day: u32, hour: u32| -> DateTime<Utc> {
        let local = cycle.day(day).and_hms_opt(hour, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&local)
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
    };
    clock.set(at(1, 8));
    let (web, running) = start(&app).await?;
    let store = &app.store;
    let mut report = MonthReport {
        recipients: 0,
        workbooks: 0,
        no_changes: 0,
        silent: 0,
        submissions: 0,
        pending: 0,
        web,
    };

    say(&format!("{}: the circulation", day_name(cycle, 1)));
    run_until(&cfg, clock, store, at(1, 9), "dispatch").await?;
    let circulated = store
        .outbox_contacts(crate::state::MessageKind::Circulation, cycle)
        .await?;
    report.recipients = circulated.len() as i64;
    wait(STEP, "the circulation to be written", || async {
        let c = store.cycle_counts(cycle).await?;
        Ok(c.queued + c.sending == 0 && c.sent > 0)
    })
    .await?;
    say(&format!(
        "  {} messages, each with its own workbook, in data/outbox/",
        report.recipients
    ));

    // The respondents answer on the 3rd.
    clock.set(at(3, 10));
    respond(&app, clock.now(), cycle, &circulated, &mut report).await?;
    let answers = report.workbooks + report.no_changes;
    say(&format!(
        "{}: {} respondents reply with an edited workbook, {} write that nothing changes, {} stay silent",
        day_name(cycle, 3),
        report.workbooks,
        report.no_changes,
        report.silent
    ));
    wait(STEP, "the replies to be read", || async {
        Ok(store.find_submissions(&Default::default()).await?.len() >= answers)
    })
    .await?;
    say("  each reply read into a submission, each sender answered with a receipt");

    // A mission that does not receive the Matrix asks for it (the plan's "on request").
    let ask = format!(
        "From: Mission of Uganda <ct.desk@mission.ug.example.org>\r\nTo: {}\r\n\
         Subject: Matrix of Needs\r\nMessage-ID: <demo-request-{cycle}@mission.ug.example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear colleagues,\r\nplease send us the matrix every month.\r\n",
        cfg.mail.reply_to
    );
    deliver(&cfg, &format!("demo-request-{cycle}.eml"), ask.as_bytes())?;
    wait(STEP, "the request to be read", || async {
        Ok(!store.subscription_requests(true).await?.is_empty())
    })
    .await?;
    say("  a mission that does not receive the Matrix asks for it: a request awaits the experts");

    // Two days before the next circulation.
    let review_day = cycle
        .next()
        .day(1)
        .checked_sub_days(chrono::Days::new(2))
        .map_or(28, |d| chrono::Datelike::day(&d));
    for (day, job, what) in [
        (8, "reminder", "reminders to those who have not answered"),
        (13, "reminder", "reminders again"),
        (15, "deadline_alert", "\"today is the deadline\""),
        (16, "digest", "the digest to the experts"),
        (
            review_day,
            "review_alert",
            "the experts are told what still awaits review before the next circulation",
        ),
    ] {
        say(&format!("{}: {what}", day_name(cycle, day)));
        run_until(&cfg, clock, store, at(day, 9), job).await?;
    }
    let subs = store.find_submissions(&Default::default()).await?;
    report.submissions = subs.len();
    report.pending = store.cycle_counts(cycle).await?.awaiting_review;
    // Let the sender write what the last job queued.
    wait(STEP, "the outbox to be written", || async {
        Ok(store
            .outbox_rows()
            .await?
            .iter()
            .all(|r| matches!(r.state, OutboxState::Sent | OutboxState::Failed)))
    })
    .await?;

    Ok((report, running))
}

/// Starts the daemon on the App; returns the web server's address once it listens.
async fn start(app: &Arc<App>) -> Result<(std::net::SocketAddr, Running)> {
    let (ready, started) = tokio::sync::oneshot::channel();
    let (halt, halted) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(crate::daemon::run(
        Arc::clone(app),
        async move {
            let _ = halted.await;
        },
        Some(ready),
    ));
    match started.await {
        Ok(web) => Ok((web, Running { halt, daemon })),
        Err(_) => {
            // The daemon ended before it was ready: say why.
            daemon.await.context("the daemon stopped")??;
            bail!("the daemon stopped before it started");
        }
    }
}

/// The simulated respondents: of the contacts circulated, a third reply with an edited
/// workbook, a third write that nothing changed, a third stay silent.
async fn respond(
    app: &App,
    now: DateTime<Utc>,
    cycle: Cycle,
    circulated: &[i64],
    report: &mut MonthReport,
) -> Result<()> {
    let (cfg, store, index) = (&app.cfg, &app.store, &app.index);
    let base = store
        .cycle_base(cycle)
        .await?
        .context("the cycle has no base after its dispatch")?;
    let directory = store.cycle_programmes(cycle).await?.unwrap_or_default();
    let contacts: Vec<Contact> = store
        .contacts()
        .await?
        .into_iter()
        .filter(|c| circulated.contains(&c.id))
        .collect();
    let typed: Vec<crate::programme::Programme> = directory
        .iter()
        .filter_map(|r| crate::programme::Programme::from_record(r, index, app.geo).ok())
        .collect();
    for (i, c) in contacts.iter().enumerate() {
        let reply = match i % 3 {
            0 => {
                let kind = index.get(&c.party).map(|p| p.kind);
                let mut needs = base.clone();
                let mut programmes = directory.clone();
                let listed = crate::offer::listed(&base, &typed, app.geo, &c.party);
                let edited = edit(&mut needs, &mut programmes, &listed, c, kind);
                let workbook =
                    crate::workflow::workbook_as_edited(app, cycle, needs, programmes, c)?;
                report.workbooks += 1;
                letter(cfg, cycle, c, now, Body::Workbook(workbook, edited))?
            }
            1 => {
                report.no_changes += 1;
                letter(cfg, cycle, c, now, Body::NoChanges)?
            }
            _ => {
                report.silent += 1;
                continue;
            }
        };
        deliver(cfg, &format!("demo-{cycle}-{}", c.id), &reply)?;
    }
    Ok(())
}

/// "Tuesday 1 December".
fn day_name(cycle: Cycle, day: u32) -> String {
    cycle.day(day).format("%A %-d %B").to_string()
}

/// Moves the clock to `t` and waits until `job`'s run scheduled then has finished.
async fn run_until(
    cfg: &Config,
    clock: &TestClock,
    store: &Store,
    t: DateTime<Utc>,
    job: &str,
) -> Result<()> {
    clock.set(t);
    let key = cfg
        .schedule
        .timezone
        .from_utc_datetime(&t.naive_utc())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    wait(STEP, &format!("the {job} of {key} to run"), || async {
        Ok(store
            .job_runs(job)
            .await?
            .iter()
            .any(|(k, outcome)| *k == key && outcome.is_some()))
    })
    .await
}

/// Polls `done` every 50 ms for at most `limit`.
async fn wait<F, Fut>(limit: Duration, what: &str, done: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await? {
        if tokio::time::Instant::now() > deadline {
            bail!("the demo waited {} s for {what}", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// What a simulated respondent changes: for a State, its first open need is in
/// progress; for an organization, it offers to meet the first need its programmes could
/// meet (on its "Needs you could meet" sheet; else the first need without a provider)
/// and adds Spanish to the languages of its first programme that lacks it.
fn edit(
    needs: &mut [crate::model::Need],
    programmes: &mut [crate::register::Record],
    listed: &std::collections::HashSet<crate::model::NeedId>,
    c: &Contact,
    kind: Option<PartyKind>,
) -> String {
    match kind {
        Some(PartyKind::State) => {
            if let Some(n) = needs
                .iter_mut()
                .find(|n| n.state == c.party && n.status == Status::Open)
            {
                n.status = Status::InProgress;
                n.notes = "Work began with the national FIU this month.".into();
                return format!("{} is now in progress.", n.id);
            }
            "Nothing new this month.".into()
        }
        _ => {
            let mut said = Vec::new();
            let offer = match needs.iter().position(|n| listed.contains(&n.id)) {
                Some(i) => Some(i),
                None => needs.iter().position(|n| n.provider.is_empty()),
            };
            if let Some(n) = offer.and_then(|i| needs.get_mut(i)) {
                n.status = Status::AssistanceOffered;
                n.provider = c.party.to_string();
                said.push(format!("We can offer assistance on {}.", n.id));
            }
            if let Some(p) = programmes.iter_mut().find(|p| {
                p.get("provider") == c.party.as_str()
                    && !p.get("languages").split("; ").any(|l| l == "es")
            }) {
                let languages = match p.get("languages") {
                    "" => "es".to_string(),
                    some => format!("{some}; es"),
                };
                p.fields.insert("languages", languages);
                said.push(format!("{} is now also given in Spanish.", p.id));
            }
            if said.is_empty() {
                "Nothing new this month.".into()
            } else {
                said.join(" ")
            }
        }
    }
}

enum Body {
    Workbook(Vec<u8>, String),
    NoChanges,
}

/// A respondent's reply to their circulation, as a mail program writes it.
fn letter(
    cfg: &Config,
    cycle: Cycle,
    c: &Contact,
    now: DateTime<Utc>,
    body: Body,
) -> Result<Vec<u8>> {
    let token = crate::token::recipient_token(&cfg.mail.token_secret, cycle, c.id);
    let to = crate::token::plus_address(&cfg.mail.reply_to, &token);
    let circulation = crate::mail::compose::message_id(
        cycle,
        crate::state::MessageKind::Circulation.as_str(),
        c.id,
        cycle.day(1),
        &crate::token::message_mac(
            &cfg.mail.token_secret,
            cycle,
            crate::state::MessageKind::Circulation.as_str(),
            c.id,
            cycle.day(1),
        ),
        cfg.mail.from.address.domain(),
    );
    let from: Mailbox = format!("{} <{}>", c.name, c.email)
        .parse()
        .with_context(|| format!("the demo contact {}", c.email))?;
    let to: Mailbox = to.parse().context("the reply address")?;
    let builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(format!("Re: [Matrix of Needs {cycle}]"))
        .in_reply_to(circulation.clone())
        .references(circulation)
        .message_id(Some(format!(
            "<demo-{cycle}-{}@{}>",
            c.id,
            c.email.domain()
        )))
        .date(now.into());
    let message = match body {
        Body::NoChanges => builder.singlepart(SinglePart::plain(
            "Thank you. No changes this month.\n".to_string(),
        ))?,
        Body::Workbook(bytes, what) => builder.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(format!(
                    "Please find our update attached. {what}\n"
                )))
                .singlepart(
                    Attachment::new(format!("Matrix {cycle} {}.xlsx", c.party)).body(
                        bytes,
                        ContentType::parse(crate::mail::compose::XLSX_TYPE)
                            .context("the xlsx content type")?,
                    ),
                ),
        )?,
    };
    Ok(message.formatted())
}

/// Puts a message in the Maildir inbox the way a delivery agent does: written in `tmp`,
/// then moved to `new`.
fn deliver(cfg: &Config, name: &str, raw: &[u8]) -> Result<()> {
    let crate::config::Inbound::Maildir { dir } = &cfg.inbound else {
        bail!("the demo reads replies from a Maildir; its config has IMAP");
    };
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("cannot create {}", dir.join(sub).display()))?;
    }
    let tmp = dir.join("tmp").join(name);
    std::fs::write(&tmp, raw).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("new").join(name))
        .with_context(|| format!("cannot deliver {name}"))?;
    Ok(())
}

/// The demo's expert login: user `demo` with a new random password each run (printed,
/// so nothing fixed is left behind in the demo's database).
pub async fn expert_login(app: &App, now: DateTime<Utc>) -> Result<(String, String)> {
    let store = &app.store;
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    let password = hex::encode(bytes);
    let hash = crate::web::auth::hash_password_blocking(password.clone()).await?;
    store
        .put_user("demo", crate::store::users::Role::Expert, &hash, now)
        .await
        .context("adding the demo expert")?;
    Ok(("demo".into(), password))
}
