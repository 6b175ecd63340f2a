//! `needsd run`: one process with the scheduler, the inbox watcher, the outbox sender and
//! the web server, until a stop signal. One daemon per database.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::TimeZone;
use thiserror::Error;
use tracing::Instrument;

use crate::app::App;
use crate::model::Cycle;
use crate::schedule::{Due, Job};
use crate::store::Backend;
use crate::workflow::{self, Chase, chase};

/// Another daemon holds the database.
#[derive(Debug, Error)]
#[error(
    "another needsd is already running on {database} (process {pid}, since {since}{listen}); stop it first"
)]
pub struct AlreadyRunning {
    pub database: String,
    pub pid: String,
    pub since: String,
    pub listen: String,
}

pub use crate::health::{Health, TaskHealth};

/// What the daemon's tasks share; each start of a task takes its own copy.
#[derive(Clone)]
struct Parts {
    app: Arc<App>,
    health: Arc<Health>,
    /// Told when something was queued, so the sender sends it at once.
    wake: Arc<tokio::sync::Notify>,
    /// Becomes true when the daemon is told to stop.
    stopped: tokio::sync::watch::Receiver<bool>,
    /// The pause before a task that stopped is started again (doubling up to a minute).
    first_pause: Duration,
}

impl Parts {
    /// The task `start` makes, under [`supervise`].
    fn supervised<F, Fut>(
        &self,
        name: &'static str,
        start: F,
    ) -> impl Future<Output = ()> + use<F, Fut>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        supervise(
            name,
            Arc::clone(&self.health),
            self.stopped.clone(),
            self.first_pause,
            start,
        )
    }

    /// Resolves when the daemon is told to stop.
    fn stop(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut stopped = self.stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    }
}

/// A task aborted when its handle is dropped: a supervisor that is aborted takes its task
/// down with it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the task `start` makes until the daemon stops. A task that ends while the daemon
/// runs (with an error, a panic, or nothing) is logged and started again after a pause
/// that doubles from `first_pause` up to a minute; `/healthz` shows its restarts.
async fn supervise<F, Fut>(
    name: &'static str,
    health: Arc<Health>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    first_pause: Duration,
    start: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let mut pause = first_pause;
    loop {
        health.task(name, |t| t.running = true);
        let mut task = AbortOnDrop(tokio::spawn(start()));
        let outcome = (&mut task.0).await;
        if *stopped.borrow() {
            if let Ok(Err(e)) = outcome {
                tracing::warn!("the {name} ended with an error: {e:#}");
            }
            return;
        }
        let why = match outcome {
            Ok(Ok(())) => "it ended".to_string(),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) if e.is_panic() => "it panicked".to_string(),
            Err(e) => e.to_string(),
        };
        health.task(name, |t| {
            t.running = false;
            t.restarts += 1;
        });
        tracing::error!(
            task = name,
            "the {name} stopped: {why}; starting it again in {} s",
            pause.as_secs_f32()
        );
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// How long a failed job waits before it is tried again.
const JOB_RETRY: Duration = Duration::from_secs(300);
/// How often the sender looks for messages that came due without being told.
const SEND_EVERY: Duration = Duration::from_secs(5);
/// How long the parts get to finish what they are doing after a stop signal.
const GRACE: Duration = Duration::from_secs(20);

/// Runs the daemon until `stop` resolves. `ready` is told the web server's address once
/// everything runs (tests and the demo use it; `run` prints it).
pub async fn run(
    app: Arc<App>,
    stop: impl Future<Output = ()> + Send,
    ready: Option<tokio::sync::oneshot::Sender<std::net::SocketAddr>>,
) -> Result<()> {
    let (cfg, clock, store) = (
        Arc::clone(&app.cfg),
        Arc::clone(&app.clock),
        app.store.clone(),
    );
    let me = crate::lease::process_identity();
    let listener = tokio::net::TcpListener::bind(cfg.web.listen)
        .await
        .with_context(|| format!("web.listen: cannot listen on {}", cfg.web.listen))?;
    let addr = listener.local_addr()?;
    let shared = store.backend() == Backend::Postgres;
    if !shared {
        take_database(&app, &me, addr).await?;
    }
    let health = Arc::new(Health::default());
    health
        .started
        .store(clock.now().timestamp(), Ordering::Relaxed);
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let wake_sender = Arc::new(tokio::sync::Notify::new());

    let router = crate::web::router(crate::web::State::new(
        Arc::clone(&app),
        Arc::clone(&health),
        Some(Arc::clone(&wake_sender)),
    )?);
    let bounds = crate::web::serve::Bounds {
        max_connections: cfg.web.max_connections,
        client_timeout: cfg.web.client_timeout,
        proxies: cfg.web.trusted_proxies.clone(),
    };
    let listener = Arc::new(listener);
    let parts = Parts {
        app: Arc::clone(&app),
        health: Arc::clone(&health),
        wake: Arc::clone(&wake_sender),
        stopped: stopped.clone(),
        first_pause: Duration::from_secs(1),
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(parts.supervised("web server", {
        let p = parts.clone();
        move || {
            let (listener, router, bounds) =
                (Arc::clone(&listener), router.clone(), bounds.clone());
            let stop = p.stop();
            async move {
                crate::web::serve::serve(listener, router, bounds, stop)
                    .await
                    .context("the web server stopped")
            }
        }
    }));
    if shared {
        // Every daemon on the database serves the review UI; one at a time leads.
        tasks.spawn(parts.supervised("election", {
            let (p, me) = (parts.clone(), me.clone());
            move || lead(p.clone(), me.clone(), addr.to_string())
        }));
    } else {
        health.leading.store(true, Ordering::Relaxed);
        spawn_leader_tasks(&parts, &mut tasks);
    }
    tracing::info!(listen = %addr, "needsd is running");
    if let Some(r) = ready {
        let _ = r.send(addr);
    }

    stop.await;
    tracing::info!("stopping");
    let _ = stopping.send(true);
    let all = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, all).await.is_err() {
        // What is abandoned is safe: a message being sent keeps its lease and is sent
        // again (same Message-ID) by the next start; a job that did not finish runs again.
        tracing::warn!("stopped before everything finished; the next start picks up what was left");
        tasks.abort_all();
    }
    store.release_daemon_lock(&me).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Starts what only one daemon on a database runs: the scheduler, the inbox watcher and
/// the sender.
fn spawn_leader_tasks(parts: &Parts, tasks: &mut tokio::task::JoinSet<()>) {
    tasks.spawn(parts.supervised("scheduler", {
        let p = parts.clone();
        move || schedule(p.clone())
    }));
    tasks.spawn(parts.supervised("inbox watcher", {
        let p = parts.clone();
        move || watch(p.clone())
    }));
    tasks.spawn(parts.supervised("sender", {
        let p = parts.clone();
        move || send(p.clone())
    }));
}

/// On PostgreSQL: asks for the lead every third of `daemon.failover_seconds` until it
/// is given, then runs the leader's tasks while renewing it at the same pace. When the
/// lead cannot be renewed (its connection or the database went away) they stop at once:
/// another daemon may already lead. Messages the previous leader was sending when it
/// stopped are queued again at once, with the same Message-ID: it no longer sends.
async fn lead(p: Parts, me: String, listen: String) -> Result<()> {
    let (app, health) = (&p.app, &p.health);
    let failover = app.cfg.daemon.failover();
    let every = failover / 3;
    let stop = p.stop();
    tokio::pin!(stop);
    loop {
        // A database that does not answer must not hold the election up.
        let lead = match tokio::time::timeout(every, app.store.try_lead(failover)).await {
            Ok(Ok(lead)) => lead,
            Ok(Err(e)) => {
                tracing::warn!("cannot ask for the lead: {e}");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "cannot ask for the lead: no answer in {} s",
                    every.as_secs()
                );
                None
            }
        };
        let Some(mut lead) = lead else {
            tokio::select! {
                _ = tokio::time::sleep(every) => continue,
                _ = &mut stop => return Ok(()),
            }
        };
        lead.renew(&app.store, &me, &listen, app.clock.now())
            .await
            .context("recording the lead")?;
        health.leading.store(true, Ordering::Relaxed);
        health.lead_taken.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            listen,
            "this daemon now leads: it runs the scheduler, the inbox watcher and the sender"
        );
        let resent = resume_after_leader(&app.store, app.clock.now()).await?;
        if resent > 0 {
            tracing::warn!(
                messages = resent,
                "resending what was being sent when the lead last changed (same Message-IDs)"
            );
        }
        let mut tasks = tokio::task::JoinSet::new();
        spawn_leader_tasks(&p, &mut tasks);
        let lost = loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = &mut stop => {
                    // The tasks see the stop too; the lead goes once they have finished.
                    while tasks.join_next().await.is_some() {}
                    health.leading.store(false, Ordering::Relaxed);
                    lead.resign().await;
                    return Ok(());
                }
            }
            // A connection cut off without a word would keep a check waiting for minutes
            // of TCP retries: unanswered within the pace, the lead is given up.
            match tokio::time::timeout(every, lead.renew(&app.store, &me, &listen, app.clock.now()))
                .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => break e.to_string(),
                Err(_) => break format!("its check got no answer in {} s", every.as_secs()),
            }
        };
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        health.leading.store(false, Ordering::Relaxed);
        lead.resign().await;
        tracing::warn!("this daemon no longer leads: {lost}; it asks again");
    }
}

/// Queues again, due now, every message being sent: when this daemon takes the lead, no
/// other daemon sends any more, and its own sender has not started yet (one stopped when
/// it last lost the lead, in the middle of its messages, leaving them leased).
async fn resume_after_leader(
    store: &crate::store::Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let mut resent = 0;
    for owner in store.lease_owners().await? {
        resent += store.release_leases(&owner, now).await?;
    }
    Ok(resent)
}

/// Takes the database for this daemon (`daemon_lock`), or says who holds it.
async fn take_database(app: &App, me: &str, addr: std::net::SocketAddr) -> Result<()> {
    let cfg = &app.cfg;
    // An SQLite file is opened by this machine only: a holder from before its last boot
    // is gone (a database other machines share could be held from one of them).
    let gone = if cfg.database.url.starts_with("sqlite:") {
        crate::lease::local_owner_is_gone
    } else {
        crate::lease::owner_is_gone
    };
    match app
        .store
        .acquire_daemon_lock(me, &addr.to_string(), app.clock.now(), gone)
        .await?
    {
        Ok(()) => Ok(()),
        Err(holder) => Err(AlreadyRunning {
            database: cfg.database.url.clone(),
            pid: holder.owner.split('/').nth(1).unwrap_or("?").to_string(),
            since: crate::clock::db_time(holder.started_at),
            listen: holder
                .listen
                .map(|l| format!(", web on {l}"))
                .unwrap_or_default(),
        }
        .into()),
    }
}

/// The scheduler: runs every due job once (catching up at start), then sleeps until the
/// next one.
async fn schedule(p: Parts) -> Result<()> {
    let stop = p.stop();
    tokio::pin!(stop);
    let (app, health, wake_sender) = (&p.app, &p.health, &p.wake);
    let (cfg, clock) = (&app.cfg, &app.clock);
    let timetable = cfg.schedule.timetable();
    let tz = cfg.schedule.timezone;
    loop {
        let now = clock.now();
        let pass = tokio::select! {
            pass = run_due(app, now, health, wake_sender) => pass,
            _ = &mut stop => return Ok(()),
        };
        let retry = pass.retry;
        health.scheduler_passes.fetch_add(1, Ordering::Relaxed);
        // From the time the due runs were taken at: a run that came due while they ran
        // is found by the next look, which then comes at once.
        let mut next = timetable
            .next_after(now)
            .unwrap_or(now + chrono::TimeDelta::days(1));
        if retry {
            next = next.min(clock.now() + chrono::TimeDelta::seconds(JOB_RETRY.as_secs() as i64));
        }
        tracing::debug!(next = %tz.from_utc_datetime(&next.naive_utc()), "scheduler sleeps");
        tokio::select! {
            _ = clock.sleep_until(next) => {}
            _ = &mut stop => return Ok(()),
        }
    }
}

/// What one scheduler pass did.
#[derive(Debug, Default)]
pub struct Pass {
    /// Each job run, in order, with its outcome in words or why it failed.
    pub ran: Vec<(Job, Result<String, String>)>,
    /// Whether to look again soon: a job failed, or a run could not be recorded.
    pub retry: bool,
}

/// Runs, one after another, every job due at `now` that no earlier pass has claimed
/// (catching up what was missed), and wakes the sender after each that queued mail. Safe
/// to drop at any await: a claimed run left unfinished is claimed again.
pub async fn run_due(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    health: &Health,
    wake: &tokio::sync::Notify,
) -> Pass {
    let (cfg, store, clock) = (&app.cfg, &app.store, &app.clock);
    let mut pass = Pass::default();
    for due in cfg.schedule.timetable().due(now, |c| cfg.deadline(c)) {
        match store.claim_run(due.job.name(), &due.key, now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(job = due.job.name(), "cannot record the run: {e}");
                pass.retry = true;
                continue;
            }
        }
        tracing::info!(job = due.job.name(), scheduled_for = %due.key, "running");
        let outcome = run_job(app, &due)
            .instrument(tracing::info_span!(
                "job",
                job = due.job.name(),
                scheduled_for = %due.key
            ))
            .await;
        match &outcome {
            Ok(outcome) => {
                health.jobs_ok.fetch_add(1, Ordering::Relaxed);
                tracing::info!(job = due.job.name(), scheduled_for = %due.key, "{outcome}");
                wake.notify_one();
                if let Err(e) = store
                    .finish_run(due.job.name(), &due.key, clock.now(), outcome)
                    .await
                {
                    // Run again at the next look: every job is safe to repeat.
                    tracing::warn!(job = due.job.name(), "cannot record the run's end: {e}");
                    pass.retry = true;
                }
            }
            Err(e) => {
                // Left unfinished, so it is claimed again at the next look.
                health.jobs_failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(job = due.job.name(), scheduled_for = %due.key, "failed: {e:#}; trying again in {} minutes", JOB_RETRY.as_secs() / 60);
                pass.retry = true;
            }
        }
        pass.ran
            .push((due.job, outcome.map_err(|e| format!("{e:#}"))));
    }
    pass
}

/// Runs one scheduled job; its outcome in words.
async fn run_job(app: &App, due: &Due) -> Result<String> {
    let local = app
        .cfg
        .schedule
        .timezone
        .from_utc_datetime(&due.scheduled_for.naive_utc())
        .date_naive();
    let cycle = Cycle::of_date(local);
    // Jobs work for the day they were scheduled on, even if they end after midnight.
    Ok(match due.job {
        Job::Dispatch => {
            let r = workflow::dispatch_then(app, Some(cycle), None).await?;
            format!("cycle {cycle}: {} messages queued", r.enqueued)
        }
        Job::Reminder | Job::DeadlineAlert => {
            let kind = if due.job == Job::Reminder {
                Chase::Reminder
            } else {
                Chase::DeadlineAlert
            };
            // A reminder caught up at start right after a caught-up circulation would
            // arrive minutes after it.
            let opened = app.store.cycle_opened_at(cycle).await?;
            if opened.is_some_and(|t| t > crate::clock::db_time(due.scheduled_for)) {
                return Ok(format!(
                    "nothing sent: cycle {cycle} was circulated after this reminder was due"
                ));
            }
            let r = chase::remind(app, Some(cycle), kind, Some(local)).await?;
            match r.note {
                Some(n) => format!("nothing sent: {n}"),
                None => format!(
                    "cycle {cycle}: {} of {} not answering reminded",
                    r.enqueued, r.silent
                ),
            }
        }
        Job::Digest => {
            let r = chase::digest(app, Some(cycle)).await?;
            match r.note {
                Some(n) => format!("nothing sent: {n}"),
                None => format!("cycle {cycle}: digest to {} experts", r.enqueued),
            }
        }
        Job::ReviewAlert => {
            let r = chase::review_alert(app, due.scheduled_for).await?;
            match r.note {
                Some(n) => format!("nothing sent: {n}"),
                None => format!(
                    "{} submissions await review: alert to {} experts",
                    r.pending, r.enqueued
                ),
            }
        }
        Job::Deadlines => {
            let r = chase::deadline_alerts(app, Some(local)).await?;
            format!("{} alerts due today, {} queued", r.due.len(), r.enqueued)
        }
    })
}

/// The sender: sends what is queued whenever a job has queued something, and every few
/// seconds for what came due (retries, receipts).
/// The inbox watcher: `ingest`'s loop, its receipts sent by the daemon's one sender.
async fn watch(p: Parts) -> Result<()> {
    // Receipts go out through the daemon's one sender, woken as each is queued.
    let send_by = workflow::SendBy::Daemon(Arc::clone(&p.wake));
    workflow::watch_inbox(&p.app, &send_by, p.stop(), |_| {
        p.health.polls.fetch_add(1, Ordering::Relaxed);
        p.health
            .last_poll
            .store(p.app.clock.now().timestamp(), Ordering::Relaxed);
    })
    .await
}

async fn send(p: Parts) -> Result<()> {
    let stop = p.stop();
    tokio::pin!(stop);
    let (app, wake) = (&p.app, &p.wake);
    let mut backoff = Duration::from_secs(1);
    loop {
        let pass = async {
            app.sender()
                .await?
                .drain(&app.store, Arc::clone(&app.clock), Duration::ZERO)
                .await
                .context("sending the outbox")
        };
        let wait = match tokio::select! { r = pass => r, _ = &mut stop => return Ok(()) } {
            Ok(r) => {
                backoff = Duration::from_secs(1);
                if r.sent > 0 || r.failed > 0 {
                    tracing::info!(sent = r.sent, failed = r.failed, "outbox");
                }
                SEND_EVERY
            }
            Err(e) => {
                tracing::warn!("sending: {e:#}; trying again in {} s", backoff.as_secs());
                app.renew_sender().await;
                let b = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(300));
                b
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
            _ = &mut stop => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[tokio::test]
    async fn a_task_that_fails_or_panics_is_started_again_until_the_daemon_stops() {
        let health = Arc::new(Health::default());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let starts = Arc::new(AtomicU64::new(0));
        let (again, mut started) = tokio::sync::mpsc::unbounded_channel();
        let supervisor = tokio::spawn(supervise(
            "worker",
            Arc::clone(&health),
            stopped.clone(),
            Duration::from_millis(1),
            {
                let (starts, stopped) = (Arc::clone(&starts), stopped.clone());
                move || {
                    let n = starts.fetch_add(1, Ordering::SeqCst);
                    let (again, mut stopped) = (again.clone(), stopped.clone());
                    async move {
                        let _ = again.send(n);
                        match n {
                            0 => anyhow::bail!("the database went away"),
                            1 => panic!("a bug"),
                            _ => {
                                let _ = stopped.wait_for(|s| *s).await;
                                Ok(())
                            }
                        }
                    }
                }
            },
        ));
        // The third start is the one that keeps running.
        for expected in 0..3 {
            assert_eq!(started.recv().await, Some(expected));
        }
        assert_eq!(
            health.tasks(),
            vec![(
                "worker",
                TaskHealth {
                    running: true,
                    restarts: 2
                }
            )]
        );
        stop.send(true)
            .unwrap_or_else(|_| unreachable!("the supervisor holds a receiver"));
        supervisor
            .await
            .unwrap_or_else(|e| panic!("the supervisor: {e}"));
        assert_eq!(
            starts.load(Ordering::SeqCst),
            3,
            "not started again after the stop"
        );
    }
}
