//! The outbox sender: claims due messages and hands them to the configured transport,
//! SMTP (lettre's protocol code over connections needsd opens and keeps itself) or one
//! `.eml` file per message. Each message is recorded `sending` (with a lease naming this
//! process) before the SMTP transaction starts and `sent`, `failed` or queued for a retry
//! right after the server answers, so
//! a kill at any moment leaves at most one message per connection whose fate is unknown;
//! the next run sends it again with the same Message-ID.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::{Auth, Outbound, SmtpConfig, Tls};
use crate::store::outbox::{Claimed, Pending, Settle, Step};
use crate::store::{Store, StoreError};

#[derive(Debug, Error)]
pub enum OutboundError {
    #[error("cannot read the CA certificate {path} (smtp.ca_file): {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot set up TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("smtp.token_command failed: {0}")]
    TokenCommand(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot record what was sent: {0}")]
    Ledger(String),
    #[error("{0}; nothing more was sent, and the queued messages wait for the next run")]
    Halted(String),
}

/// A connection's turn, sent to the ledger; the reply carries its next message.
struct Request {
    step: Option<Step>,
    reply: oneshot::Sender<Result<Option<Claimed>, String>>,
}

async fn step(
    ledger: &mpsc::Sender<Request>,
    settle: Option<(i64, Settle)>,
    claim: bool,
) -> Result<Option<Claimed>, OutboundError> {
    let (reply, answer) = oneshot::channel();
    let request = Request {
        step: Some(Step { settle, claim }),
        reply,
    };
    let gone = || OutboundError::Ledger("the ledger stopped".into());
    ledger.send(request).await.map_err(|_| gone())?;
    answer
        .await
        .map_err(|_| gone())?
        .map_err(OutboundError::Ledger)
}

/// What a drain did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    /// Deferred by the server or lost with the connection, and queued again.
    pub deferred: usize,
    /// Messages an earlier, killed run had in flight, queued again at start.
    pub resumed: usize,
    /// When messages deferred beyond the wait are next due (RFC 3339), if any.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What the server or the network said the last time a message was deferred.
    pub last_deferral: Option<String>,
}

impl SendReport {
    /// Adds another drain's counts to this one.
    pub fn add(&mut self, other: &SendReport) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.deferred += other.deferred;
        if other.last_deferral.is_some() {
            self.last_deferral.clone_from(&other.last_deferral);
        }
    }
}

/// What the server's answer means for a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent,
    /// Try again later: a 4xx reply, or the connection was lost.
    Retry {
        error: String,
        connection_lost: bool,
    },
    /// Never try again: a 5xx reply, or a message the server cannot take. `bouncing` when
    /// the refusal is about the address, so the contact is marked as bouncing.
    Fail {
        error: String,
        bouncing: bool,
    },
    /// Nothing can be sent until the operator acts: the server refused needsd's
    /// credentials, or TLS could not be set up. The message stays queued.
    Halt {
        error: String,
    },
}

enum Transport {
    File(PathBuf),
    Smtp(Box<Smtp>),
}

/// Sends the outbox through the configured transport.
pub struct Sender {
    transport: Transport,
    workers: usize,
    pacer: Option<Mutex<Pacer>>,
    timeout: Duration,
    retry_base: Duration,
    max_attempts: i64,
    owner: String,
}

impl Sender {
    pub async fn new(outbound: &Outbound) -> Result<Self, OutboundError> {
        Ok(match outbound {
            Outbound::File { dir } => Self {
                transport: Transport::File(dir.clone()),
                workers: 1,
                pacer: None,
                timeout: Duration::from_secs(60),
                retry_base: Duration::from_secs(60),
                max_attempts: 10,
                owner: crate::lease::process_identity(),
            },
            Outbound::Smtp(s) => Self {
                transport: Transport::Smtp(Box::new(Smtp::new(s).await?)),
                workers: s.max_connections as usize,
                pacer: Some(Mutex::new(Pacer::per_minute(s.rate_per_minute))),
                timeout: Duration::from_secs(s.timeout_seconds),
                retry_base: Duration::from_secs(s.retry_seconds),
                max_attempts: i64::from(s.max_attempts),
                owner: crate::lease::process_identity(),
            },
        })
    }

    /// How long a claim holds a message: longer than one send with its one immediate
    /// reconnection can take.
    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.timeout * 2 + Duration::from_secs(30))
            .unwrap_or(chrono::Duration::minutes(5))
    }

    /// Sends everything due, and waits for retries that come due within `wait`; messages
    /// deferred further out are left queued (the report says when they are due).
    pub async fn drain(
        self: &Arc<Self>,
        store: &Store,
        clock: Arc<dyn Clock>,
        wait: Duration,
    ) -> Result<SendReport, OutboundError> {
        let mut report = SendReport::default();
        let mut waiting_for = None;
        loop {
            report.resumed += self.resume_orphans(store, clock.now()).await?;
            let (to_ledger, requests) = mpsc::channel(self.workers * 2);
            let ledger = {
                let (me, store, clock) = (Arc::clone(self), store.clone(), Arc::clone(&clock));
                tokio::spawn(async move { me.ledger(store, clock, requests).await })
            };
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..self.workers {
                let (me, to_ledger, clock) =
                    (Arc::clone(self), to_ledger.clone(), Arc::clone(&clock));
                set.spawn(async move { me.work(to_ledger, clock.as_ref()).await });
            }
            drop(to_ledger);
            let mut failure = None;
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(Ok(tally)) => report.add(&tally),
                    Ok(Err(e)) => failure = failure.or(Some(e)),
                    Err(e) => {
                        failure = failure.or(Some(OutboundError::Ledger(format!(
                            "a sender task stopped: {e}"
                        ))))
                    }
                }
            }
            let _ = ledger.await;
            if let Some(e) = failure {
                return Err(e);
            }
            let next = match store.outbox_pending().await? {
                Pending::Empty => return Ok(report),
                Pending::At(t) => t,
            };
            let delay = (next - clock.now()).to_std().unwrap_or(Duration::ZERO);
            if delay > wait {
                report.next_attempt_at = Some(next);
                return Ok(report);
            }
            if waiting_for.as_ref() != Some(&next) {
                tracing::warn!(
                    "waiting until {next} to try again: {} messages deferred so far",
                    report.deferred
                );
                waiting_for = Some(next);
            }
            // Short naps: another process may finish its messages before its lease ends.
            tokio::time::sleep(delay.clamp(Duration::from_millis(50), Duration::from_secs(1)))
                .await;
        }
    }

    /// Queues again what processes on this machine that are gone were sending.
    async fn resume_orphans(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<usize, OutboundError> {
        let mut resumed = 0;
        for owner in store.lease_owners().await? {
            if owner != self.owner && crate::lease::owner_is_gone(&owner) {
                let n = store.release_leases(&owner, now).await?;
                tracing::warn!(
                    owner,
                    messages = n,
                    "resending messages that were in flight when an earlier needsd stopped"
                );
                resumed += n;
            }
        }
        Ok(resumed)
    }

    /// Writes the connections' claims and answers, batching what arrives while a commit
    /// is under way into the next one.
    async fn ledger(
        &self,
        store: Store,
        clock: Arc<dyn Clock>,
        mut requests: mpsc::Receiver<Request>,
    ) {
        while let Some(first) = requests.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = requests.try_recv() {
                batch.push(more);
            }
            let steps = batch.iter_mut().map(|r| r.step.take()).collect::<Vec<_>>();
            let now = clock.now();
            match store
                .settle_and_claim(
                    &self.owner,
                    steps.into_iter().flatten().collect(),
                    now,
                    now + self.lease(),
                )
                .await
            {
                Ok(claimed) => {
                    for (r, c) in batch.into_iter().zip(claimed) {
                        let _ = r.reply.send(Ok(c));
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    for r in batch {
                        let _ = r.reply.send(Err(text.clone()));
                    }
                }
            }
        }
    }

    /// One connection's loop: claim, send, hand the answer to the ledger together with
    /// the next claim. When the rate limit makes the next message wait, the answer is
    /// recorded at once rather than held until then.
    async fn work(
        &self,
        ledger: mpsc::Sender<Request>,
        clock: &dyn Clock,
    ) -> Result<SendReport, OutboundError> {
        let mut tally = SendReport::default();
        let mut done: Option<(i64, Settle)> = None;
        // This worker's SMTP connection: taken from the idle ones, or opened at its first
        // message, and put back when the outbox is drained.
        let mut connection = None;
        let tally = loop {
            let slot = self.pacer.as_ref().map(|p| {
                p.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .reserve(Instant::now())
            });
            if let Some(at) = slot.filter(|at| *at > Instant::now()) {
                if let Some(settle) = done.take() {
                    step(&ledger, Some(settle), false).await?;
                }
                tokio::time::sleep_until(at).await;
            }
            let Some(msg) = step(&ledger, done.take(), true).await? else {
                break tally;
            };
            let settle = match self.send(&msg, &mut connection).await {
                Outcome::Sent => {
                    tally.sent += 1;
                    Settle::Sent
                }
                Outcome::Retry { error, .. } if msg.attempts >= self.max_attempts => {
                    let error = format!("gave up after {} attempts: {error}", msg.attempts);
                    tracing::warn!(message_id = msg.message_id, error, "not sent");
                    tally.failed += 1;
                    Settle::Failed {
                        error,
                        bouncing: None,
                    }
                }
                Outcome::Retry { error, .. } => {
                    let at = clock.now() + backoff(self.retry_base, msg.attempts);
                    tracing::info!(message_id = msg.message_id, error, retry_at = %at, "deferred");
                    tally.deferred += 1;
                    tally.last_deferral = Some(error.clone());
                    Settle::Retry { error, at }
                }
                Outcome::Halt { error } => {
                    // Back in the queue, due now: it was never the message's fault.
                    let back = Settle::Retry {
                        error: error.clone(),
                        at: clock.now(),
                    };
                    step(&ledger, Some((msg.id, back)), false).await?;
                    return Err(OutboundError::Halted(error));
                }
                Outcome::Fail { error, bouncing } => {
                    tracing::warn!(
                        message_id = msg.message_id,
                        recipient = msg.recipient,
                        error,
                        "refused"
                    );
                    tally.failed += 1;
                    Settle::Failed {
                        error,
                        bouncing: if bouncing { msg.contact_id } else { None },
                    }
                }
            };
            done = Some((msg.id, settle));
        };
        if let (Transport::Smtp(smtp), Some(c)) = (&self.transport, connection) {
            smtp.put_back(c);
        }
        Ok(tally)
    }

    /// One message, with one immediate retry on a fresh connection when a kept one turns
    /// out to be dead (a server that closed it while idle).
    async fn send(&self, msg: &Claimed, connection: &mut Option<Kept>) -> Outcome {
        let outcome = self.send_once(msg, connection).await;
        match outcome {
            Outcome::Retry {
                connection_lost: true,
                ..
            } => self.send_once(msg, connection).await,
            other => other,
        }
    }

    /// Sends one message. The connection is kept only after a message it delivered: after
    /// any error, or a timeout in the middle of DATA, its state is unknown and it is
    /// dropped, so the next message never stalls on a half-finished exchange.
    async fn send_once(&self, msg: &Claimed, connection: &mut Option<Kept>) -> Outcome {
        match &self.transport {
            Transport::File(dir) => {
                let path = dir.join(eml_name(&msg.message_id));
                let raw = msg.raw.clone();
                let written =
                    tokio::task::spawn_blocking(move || crate::fsutil::write_atomic(&path, &raw))
                        .await;
                match written {
                    Ok(Ok(())) => Outcome::Sent,
                    Ok(Err(e)) => Outcome::Retry {
                        error: format!("cannot write to {}: {e}", dir.display()),
                        connection_lost: false,
                    },
                    Err(e) => Outcome::Retry {
                        error: format!("the file writer stopped: {e}"),
                        connection_lost: false,
                    },
                }
            }
            Transport::Smtp(smtp) => {
                let envelope = match envelope(&msg.envelope_from, &msg.recipient) {
                    Ok(e) => e,
                    Err(error) => {
                        return Outcome::Fail {
                            error,
                            bouncing: false,
                        };
                    }
                };
                let mut c = match smtp.ready(connection.take()).await {
                    Ok(c) => c,
                    Err(outcome) => return outcome,
                };
                // A server that stalls mid-session would hang the send without this.
                match tokio::time::timeout(self.timeout, c.send(&envelope, &msg.raw)).await {
                    Ok(Ok(_)) => {
                        *connection = Some(Kept {
                            c,
                            since: Instant::now(),
                        });
                        Outcome::Sent
                    }
                    Ok(Err(e)) => classify(&e),
                    Err(_) => Outcome::Retry {
                        error: format!("no answer from the server in {} s", self.timeout.as_secs()),
                        connection_lost: false,
                    },
                }
            }
        }
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope, String> {
    let from: Address = from
        .parse()
        .map_err(|e| format!("bad envelope sender '{from}': {e}"))?;
    let to: Address = to
        .parse()
        .map_err(|e| format!("bad recipient address '{to}': {e}"))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| e.to_string())
}

/// A file name for a message: its Message-ID without the brackets and anything a file
/// system might mind.
pub fn eml_name(message_id: &str) -> String {
    let id: String = message_id
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{id}.eml")
}

/// How needsd reaches its SMTP server: where, with what TLS and login, and the
/// connections that are open but idle between messages.
struct Smtp {
    host: String,
    port: u16,
    /// Implicit TLS (`tls = "tls"`): the handshake comes before the greeting.
    wrapper: Option<Arc<rustls::ClientConfig>>,
    /// STARTTLS (`tls = "starttls"`), through lettre.
    starttls: Option<TlsParameters>,
    login: Option<(Credentials, Vec<Mechanism>)>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<Kept>>,
}

/// An open connection and when it last delivered a message.
struct Kept {
    c: AsyncSmtpConnection,
    since: Instant,
}

/// How long an open connection may wait for its next message. Servers close idle
/// connections after a few minutes (Postfix after 300 s, Microsoft 365 and Gmail sooner);
/// one they closed anyway is replaced on the next send (see `Sender::send`).
const IDLE: Duration = Duration::from_secs(50);
/// A connection that has waited longer than this is asked (NOOP) whether the server still
/// listens before a message goes on it: a server that gave up on it may have said so
/// (Postfix's "421 timeout exceeded"), and that answer must not be taken as the message's.
const CHECK_AFTER: Duration = Duration::from_secs(1);

impl Smtp {
    async fn new(s: &SmtpConfig) -> Result<Self, OutboundError> {
        let ca_file = |reason: String| OutboundError::CaFile {
            path: s
                .ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            reason,
        };
        let tls_err = |reason: String| OutboundError::Tls {
            host: s.host.clone(),
            reason,
        };
        let (wrapper, starttls) = match s.tls {
            Tls::None => (None, None),
            Tls::Tls => {
                let config =
                    crate::mail::tls::client_config(s.ca_file.as_deref()).map_err(|e| match e {
                        crate::mail::tls::TlsSetupError::CaFile { reason, .. } => ca_file(reason),
                        crate::mail::tls::TlsSetupError::Rustls(reason) => tls_err(reason),
                    })?;
                (Some(config), None)
            }
            Tls::Starttls => {
                let mut builder = TlsParameters::builder(s.host.clone());
                if let Some(path) = &s.ca_file {
                    let pem = std::fs::read(path).map_err(|e| ca_file(e.to_string()))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| ca_file(e.to_string()))?;
                    builder = builder.add_root_certificate(cert);
                }
                (
                    None,
                    Some(builder.build_rustls().map_err(|e| tls_err(e.to_string()))?),
                )
            }
        };
        let login = match &s.auth {
            Auth::None => None,
            Auth::Password { username, password } => Some((
                Credentials::new(username.clone(), password.expose().to_string()),
                vec![Mechanism::Plain, Mechanism::Login],
            )),
            Auth::OAuth2 {
                username,
                token_command,
            } => Some((
                Credentials::new(username.clone(), run_token_command(token_command).await?),
                vec![Mechanism::Xoauth2],
            )),
        };
        Ok(Self {
            host: s.host.clone(),
            port: s.port,
            wrapper,
            starttls,
            login,
            timeout: Duration::from_secs(s.timeout_seconds),
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A connection to send on: `kept` (the worker's own) or an idle one, checked with a
    /// NOOP when it has waited, or else a new one.
    async fn ready(&self, kept: Option<Kept>) -> Result<AsyncSmtpConnection, Outcome> {
        let mut candidate = kept;
        loop {
            let Some(Kept { mut c, since }) = candidate.take().or_else(|| self.take_idle()) else {
                return self.connect().await;
            };
            if since.elapsed() < CHECK_AFTER {
                return Ok(c);
            }
            let alive = tokio::time::timeout(self.timeout, c.test_connected()).await;
            if alive.unwrap_or(false) {
                return Ok(c);
            }
        }
    }

    /// An idle connection that has not waited too long, if there is one.
    fn take_idle(&self) -> Option<Kept> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(k) = idle.pop() {
            if k.since.elapsed() < IDLE {
                return Some(k);
            }
        }
        None
    }

    fn put_back(&self, k: Kept) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(k);
    }

    /// Opens a connection: TCP, TLS, greeting and EHLO, STARTTLS, login, all within the
    /// timeout (lettre's own bounds only the TCP connect).
    async fn connect(&self) -> Result<AsyncSmtpConnection, Outcome> {
        let opened = tokio::time::timeout(self.timeout, self.open()).await;
        opened.unwrap_or_else(|_| {
            Err(Outcome::Retry {
                error: format!(
                    "no answer from {}:{} in {} s",
                    self.host,
                    self.port,
                    self.timeout.as_secs()
                ),
                connection_lost: false,
            })
        })
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, Outcome> {
        let tls_failed = |reason: String| Outcome::Halt {
            error: format!("TLS with the server failed: {reason}"),
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Outcome::Retry {
                error: format!("cannot connect to {}:{}: {e}", self.host, self.port),
                connection_lost: false,
            })?;
        // Without this, Nagle's algorithm holds the end of each message (lettre writes
        // "\r\n.\r\n" on its own) until the server acknowledges the body, which servers
        // delay by up to 40 ms: a small receipt took 40 ms to send instead of 2.
        tcp.set_nodelay(true).map_err(|e| Outcome::Retry {
            error: format!("cannot set up the connection to {}: {e}", self.host),
            connection_lost: false,
        })?;
        let stream: Box<dyn AsyncTokioStream> = match &self.wrapper {
            None => Box::new(tcp),
            Some(config) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| tls_failed(e.to_string()))?;
                let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                    .connect(name, tcp)
                    .await
                    .map_err(|e| tls_failed(e.to_string()))?;
                Box::new(TlsStream(tls))
            }
        };
        let mut c = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| classify(&e))?;
        if let Some(params) = &self.starttls {
            c.starttls(params.clone(), &self.hello)
                .await
                .map_err(|e| tls_failed(error_text(&e)))?;
        }
        if let Some((credentials, mechanisms)) = &self.login {
            c.auth(mechanisms, credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(c)
    }
}

/// A TLS stream lettre can speak SMTP over (implicit TLS, opened by needsd).
#[derive(Debug)]
struct TlsStream(tokio_rustls::client::TlsStream<tokio::net::TcpStream>);

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl tokio::io::AsyncRead for TlsStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Runs the operator's token command (isync's PassCmd convention) and returns the first
/// line it prints.
pub async fn run_token_command(command: &str) -> Result<String, OutboundError> {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| OutboundError::TokenCommand(format!("cannot run `{command}`: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(OutboundError::TokenCommand(format!(
            "`{command}` exited with {}: {}",
            out.status,
            err.trim()
        )));
    }
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if token.is_empty() {
        return Err(OutboundError::TokenCommand(format!(
            "`{command}` printed no token"
        )));
    }
    Ok(token)
}

/// What a lettre error means for the message.
fn classify(e: &lettre::transport::smtp::Error) -> Outcome {
    let error = error_text(e);
    let code = e.status().map(|c| c.to_string());
    // lettre reports a refused XOAUTH2 token as a client error: the server's error
    // arrives as a challenge the mechanism does not expect.
    let login = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"))
        || (e.is_client()
            && (error.contains("challenge") || error.contains("authentication mechanism")));
    if login {
        Outcome::Halt {
            error: format!(
                "the server refused needsd's login (password or XOAUTH2 token): {error}"
            ),
        }
    } else if e.is_tls() {
        Outcome::Halt {
            error: format!("TLS with the server failed: {error}"),
        }
    } else if e.is_permanent() {
        let bouncing = e
            .status()
            .is_some_and(|code| is_address_refusal(&code.to_string(), &error));
        Outcome::Fail { error, bouncing }
    } else if e.is_transient() || e.is_timeout() {
        Outcome::Retry {
            error,
            connection_lost: false,
        }
    } else if e.is_client() {
        // The message cannot be sent as it is (say, 8-bit text to a 7-bit server).
        Outcome::Fail {
            error,
            bouncing: false,
        }
    } else {
        // Network, TLS, a broken reply or a closed connection.
        Outcome::Retry {
            error,
            connection_lost: true,
        }
    }
}

/// The error and its causes, as the server and the network said them.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a permanent refusal is about the recipient's address or mailbox (so the
/// contact is bouncing) rather than about the message or needsd (a policy refusal, a size
/// limit): RFC 3463 status 5.1.x or 5.2.x, or basic 550, 551 or 553 without one.
pub fn is_address_refusal(code: &str, text: &str) -> bool {
    match enhanced_status(text) {
        Some((5, 1 | 2, _)) => true,
        Some(_) => false,
        None => matches!(code, "550" | "551" | "553"),
    }
}

/// The first RFC 3463 enhanced status code in a reply, e.g. (5, 1, 1) from
/// "550 5.1.1 <x@example>: Recipient address rejected".
pub fn enhanced_status(text: &str) -> Option<(u8, u16, u16)> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '(' || c == ')')
        .find_map(|word| {
            let mut parts = word.split('.');
            let class: u8 = parts.next()?.parse().ok()?;
            let subject: u16 = parts.next()?.parse().ok()?;
            let detail: u16 = parts.next()?.parse().ok()?;
            (parts.next().is_none()
                && matches!(class, 2 | 4 | 5)
                && subject < 1000
                && detail < 1000)
                .then_some((class, subject, detail))
        })
}

/// The wait before attempt `attempts + 1`: `base`, doubling, at most an hour.
pub fn backoff(base: Duration, attempts: i64) -> chrono::Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    let wait = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600));
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// Spaces messages evenly to stay under a per-minute limit across all connections.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    pub fn per_minute(rate: u32) -> Self {
        Self {
            interval: Duration::from_secs(60) / rate.max(1),
            next: None,
        }
    }

    /// The moment the next message may start, reserving it.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let at = self.next.map_or(now, |n| n.max(now));
        self.next = Some(at + self.interval);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_refusals_mark_the_contact_and_policy_ones_do_not() {
        assert!(is_address_refusal(
            "550",
            "550 5.1.1 <x@nowhere.invalid>: Recipient address rejected: no such mailbox"
        ));
        assert!(is_address_refusal("552", "552 5.2.2 Mailbox full"));
        assert!(!is_address_refusal(
            "550",
            "550 5.7.1 Message rejected as spam"
        ));
        assert!(!is_address_refusal("554", "554 Transaction failed"));
        assert!(is_address_refusal("550", "550 No such user here"));
        assert!(!is_address_refusal(
            "552",
            "552 Message size exceeds fixed limit"
        ));
    }

    #[test]
    fn enhanced_status_is_found_among_words() {
        assert_eq!(
            enhanced_status("451 4.7.1 greylisted, try later"),
            Some((4, 7, 1))
        );
        assert_eq!(
            enhanced_status("permanent error (550): 5.1.1 <a@b>"),
            Some((5, 1, 1))
        );
        assert_eq!(enhanced_status("version 1.2.3 of nothing"), None);
        assert_eq!(enhanced_status("no code"), None);
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        let b = Duration::from_secs(60);
        assert_eq!(backoff(b, 1), chrono::Duration::seconds(60));
        assert_eq!(backoff(b, 2), chrono::Duration::seconds(120));
        assert_eq!(backoff(b, 4), chrono::Duration::seconds(480));
        assert_eq!(backoff(b, 9), chrono::Duration::seconds(3600));
        assert_eq!(backoff(b, 1000), chrono::Duration::seconds(3600));
    }

    #[test]
    fn pacer_spaces_messages_evenly() {
        let mut p = Pacer::per_minute(30);
        let t0 = Instant::now();
        assert_eq!(p.reserve(t0), t0);
        assert_eq!(p.reserve(t0), t0 + Duration::from_secs(2));
        assert_eq!(p.reserve(t0), t0 + Duration::from_secs(4));
        // After a quiet spell the next message goes at once, with no burst saved up.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(p.reserve(later), later);
        assert_eq!(p.reserve(later), later + Duration::from_secs(2));
    }

    #[test]
    fn eml_names_are_plain() {
        assert_eq!(
            eml_name("<2026-12.circulation.17.2026-12-01@ctc.example>"),
            "2026-12.circulation.17.2026-12-01@ctc.example.eml"
        );
        assert_eq!(eml_name("<a/../b>"), "a_.._b.eml");
    }
}
