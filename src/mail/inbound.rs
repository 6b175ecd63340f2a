//! Inbound mail sources, exactly once: a message's raw bytes are committed to the
//! database before anything else happens to it, and only then is it moved out of the
//! way (to the IMAP `processed_mailbox`, or the Maildir's `.Processed` folder). A kill at
//! any moment loses nothing (a message not yet committed is still in the inbox) and
//! doubles nothing (a committed one is recognised by its position or its sha256 and
//! only moved).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::clock::Clock;
use crate::config::{Auth, ImapConfig, Inbound, Tls};
use crate::store::inbox::{Position, Stored, TooLarge};
use crate::store::{Store, StoreError};

#[derive(Debug, Error)]
pub enum InboundError {
    #[error("cannot connect to the IMAP server {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS with the IMAP server {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("the IMAP server refused needsd's login as {user}: {reason}")]
    Login { user: String, reason: String },
    #[error("IMAP {what}: {reason}")]
    Imap { what: String, reason: String },
    #[error("cannot read the CA certificate {path} (imap.ca_file): {reason}")]
    CaFile { path: String, reason: String },
    #[error("the Maildir {path}: {source}")]
    Maildir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("imap.token_command failed: {0}")]
    TokenCommand(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the IMAP worker stopped: {0}")]
    Worker(String),
}

/// What one pass over the inbox did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct FetchReport {
    /// Messages read from the source.
    pub fetched: usize,
    /// Of those, newly stored.
    pub stored: usize,
    /// Of those, already stored (a rerun after a kill, a copy, a UIDVALIDITY change).
    pub known: usize,
    /// Messages moved out of the inbox after their commit.
    pub moved: usize,
    /// Of those newly stored, messages over `limits.message_bytes`: only their headers
    /// were kept, and they are failed, not read.
    pub too_large: usize,
    /// The inbox row ids of the newly stored messages, for processing.
    pub new_ids: Vec<i64>,
}

/// The most of a too-large message's header section that is kept.
const HEADER_BYTES: usize = 64 * 1024;

/// What is kept of a message of `size` bytes, over `limit`, that begins with `head`:
/// its header section (up to the blank line that ends it, at most [`HEADER_BYTES`]), and
/// what those headers say.
pub fn too_large(head: &[u8], size: u64, limit: u64) -> TooLarge {
    let head = &head[..head.len().min(HEADER_BYTES)];
    let end = [&b"\r\n\r\n"[..], b"\n\n"]
        .iter()
        .filter_map(|blank| {
            head.windows(blank.len())
                .position(|w| w == *blank)
                .map(|at| at + blank.len())
        })
        .min()
        .unwrap_or(head.len());
    let headers = head[..end].to_vec();
    let facts = crate::mail::classify::read(&headers).ok();
    TooLarge {
        size,
        limit,
        from: facts.as_ref().and_then(|f| f.from.clone()),
        subject: facts
            .as_ref()
            .map(|f| f.subject.clone())
            .filter(|s| !s.is_empty()),
        message_id: facts.and_then(|f| f.message_id),
        headers,
    }
}

/// Reads the configured source once: stores every message in it and moves each one out
/// once stored.
pub async fn fetch_once(
    source: &Inbound,
    message_bytes: u64,
    store: &Store,
    clock: Arc<dyn Clock>,
) -> Result<FetchReport, InboundError> {
    fetch_once_telling(source, message_bytes, store, clock, None).await
}

/// Like [`fetch_once`], and sends each newly stored message's id to `stored` as soon as
/// it is committed, so reading can start while the rest is still being fetched.
pub async fn fetch_once_telling(
    source: &Inbound,
    message_bytes: u64,
    store: &Store,
    clock: Arc<dyn Clock>,
    stored: Option<tokio::sync::mpsc::UnboundedSender<i64>>,
) -> Result<FetchReport, InboundError> {
    match source {
        Inbound::Maildir { dir } => {
            maildir_once(dir, message_bytes, store, clock.as_ref(), stored.as_ref()).await
        }
        Inbound::Imap(cfg) => imap_once(cfg, message_bytes, store, clock, stored.as_ref()).await,
    }
}

// ---- Maildir -------------------------------------------------------------------------

/// The folder stored messages move to: a Maildir++ subfolder, so mail programs show it.
fn maildir_processed(dir: &Path) -> PathBuf {
    dir.join(".Processed")
}

async fn maildir_once(
    dir: &Path,
    limit: u64,
    store: &Store,
    clock: &dyn Clock,
    notify: Option<&tokio::sync::mpsc::UnboundedSender<i64>>,
) -> Result<FetchReport, InboundError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| InboundError::Maildir { path, source }
    };
    let processed = maildir_processed(dir);
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(&dir.join(sub)))?;
        std::fs::create_dir_all(processed.join(sub)).map_err(io(&processed.join(sub)))?;
    }
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let folder = dir.join(sub);
        for entry in std::fs::read_dir(&folder).map_err(io(&folder))? {
            let entry = entry.map_err(io(&folder))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.file_type().map_err(io(&folder))?.is_file() {
                files.push((sub, name));
            }
        }
    }
    // Delivery order: Maildir names start with the delivery time.
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let folder = dir.display().to_string();
    let mut report = FetchReport::default();
    for (sub, file) in files {
        let path = dir.join(sub).join(&file);
        let raw = match read_at_most(&path, limit) {
            Ok(raw) => raw,
            // Taken by another reader between the listing and now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&path)(e)),
        };
        report.fetched += 1;
        let name = file.split(':').next().unwrap_or(&file).to_string();
        let position = Position::Maildir {
            folder: folder.clone(),
            name,
        };
        match raw {
            Whole(raw) => tally(
                &mut report,
                store.store_raw(&position, &raw, clock.now()).await?,
                notify,
            ),
            Head(head, size) => {
                let kept = too_large(&head, size, limit);
                tracing::warn!(file = %path.display(), "{}", kept.error());
                let stored = store.store_too_large(&position, &kept, clock.now()).await?;
                tally_too_large(&mut report, stored);
            }
        }
        // Only now, committed, does it leave the inbox. `cur` marks it seen.
        let target = processed.join("cur").join(if file.contains(":2,") {
            file.clone()
        } else {
            format!("{file}:2,S")
        });
        std::fs::rename(&path, &target).map_err(io(&path))?;
        report.moved += 1;
    }
    Ok(report)
}

/// A file read whole, or only its beginning and its size when it is over the limit.
enum Taken {
    Whole(Vec<u8>),
    Head(Vec<u8>, u64),
}
use Taken::{Head, Whole};

/// Reads `path` whole when it holds at most `limit` bytes; otherwise its first
/// [`HEADER_BYTES`] and its size. Never more than `limit` bytes, even if the file grows
/// while it is read.
fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Taken> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        let mut head = Vec::with_capacity(HEADER_BYTES);
        file.take(HEADER_BYTES as u64).read_to_end(&mut head)?;
        return Ok(Head(head, size));
    }
    let mut raw = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut raw)?;
    if raw.len() as u64 > limit {
        raw.truncate(HEADER_BYTES);
        return Ok(Head(raw, size.max(limit + 1)));
    }
    Ok(Whole(raw))
}

fn tally(
    report: &mut FetchReport,
    stored: Stored,
    notify: Option<&tokio::sync::mpsc::UnboundedSender<i64>>,
) {
    match stored {
        Stored::New(id) => {
            report.stored += 1;
            report.new_ids.push(id);
            if let Some(n) = notify {
                // A reader that went away reads the message on its next run instead.
                let _ = n.send(id);
            }
        }
        Stored::Known(_) => report.known += 1,
    }
}

/// Counts what is kept of a too-large message: stored, but nothing to read.
fn tally_too_large(report: &mut FetchReport, stored: Stored) {
    match stored {
        Stored::New(_) => {
            report.stored += 1;
            report.too_large += 1;
        }
        Stored::Known(_) => report.known += 1,
    }
}

// ---- IMAP ----------------------------------------------------------------------------

/// The connection under the IMAP client: plain TCP or TLS.
#[derive(Debug)]
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

type Session = imap::Session<Conn>;

fn imap_err(what: &str) -> impl Fn(imap::Error) -> InboundError + '_ {
    move |e| InboundError::Imap {
        what: what.to_string(),
        reason: e.to_string(),
    }
}

/// Runs blocking IMAP work on a blocking thread, handing the session there and back.
async fn blocking<R: Send + 'static>(
    session: Session,
    f: impl FnOnce(&mut Session) -> Result<R, InboundError> + Send + 'static,
) -> Result<(Session, R), InboundError> {
    tokio::task::spawn_blocking(move || {
        let mut session = session;
        let r = f(&mut session)?;
        Ok((session, r))
    })
    .await
    .map_err(|e| InboundError::Worker(e.to_string()))?
}

fn tls_config(cfg: &ImapConfig) -> Result<Arc<rustls::ClientConfig>, InboundError> {
    crate::mail::tls::client_config(cfg.ca_file.as_deref()).map_err(|e| match e {
        crate::mail::tls::TlsSetupError::CaFile { path, reason } => {
            InboundError::CaFile { path, reason }
        }
        crate::mail::tls::TlsSetupError::Rustls(reason) => InboundError::Tls {
            host: cfg.host.clone(),
            reason,
        },
    })
}

fn wrap_tls(cfg: &ImapConfig, tcp: TcpStream) -> Result<Conn, InboundError> {
    let name = rustls_pki_types::ServerName::try_from(cfg.host.clone()).map_err(|e| {
        InboundError::Tls {
            host: cfg.host.clone(),
            reason: e.to_string(),
        }
    })?;
    let conn =
        rustls::ClientConnection::new(tls_config(cfg)?, name).map_err(|e| InboundError::Tls {
            host: cfg.host.clone(),
            reason: e.to_string(),
        })?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    // Handshake now, so a certificate problem is reported as TLS, not as IMAP.
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| InboundError::Tls {
                host: cfg.host.clone(),
                reason: e.to_string(),
            })?;
    }
    Ok(Conn::Tls(Box::new(stream)))
}

/// The plain-text part of STARTTLS (RFC 3501): the greeting, the command, its OK. Read
/// byte by byte so nothing of the TLS handshake that follows is consumed.
fn starttls(mut tcp: TcpStream) -> Result<(), String> {
    let line = |tcp: &mut TcpStream| -> Result<String, String> {
        let mut bytes = Vec::new();
        let mut b = [0u8; 1];
        while !bytes.ends_with(b"\r\n") {
            match tcp.read(&mut b) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(_) => bytes.push(b[0]),
                Err(e) => return Err(e.to_string()),
            }
            if bytes.len() > 8192 {
                return Err("an over-long line from the server".into());
            }
        }
        Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
    };
    let greeting = line(&mut tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(format!("unexpected greeting: {greeting}"));
    }
    tcp.write_all(b"s0 STARTTLS\r\n")
        .map_err(|e| e.to_string())?;
    loop {
        let reply = line(&mut tcp)?;
        if let Some(rest) = reply.strip_prefix("s0 ") {
            return if rest.starts_with("OK") {
                Ok(())
            } else {
                Err(format!("the server refused: {rest}"))
            };
        }
    }
}

struct XOAuth2 {
    user: String,
    token: String,
}

impl imap::Authenticator for XOAuth2 {
    type Response = String;
    fn process(&self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

/// A fresh access token from the operator's command, when the login is XOAUTH2.
async fn xoauth2_token(cfg: &ImapConfig) -> Result<Option<String>, InboundError> {
    match &cfg.auth {
        Auth::OAuth2 { token_command, .. } => {
            crate::mail::outbound::run_token_command(token_command)
                .await
                .map(Some)
                .map_err(|e| InboundError::TokenCommand(e.to_string()))
        }
        _ => Ok(None),
    }
}

/// Connects, secures and logs in (blocking).
fn connect(cfg: &ImapConfig, token: Option<String>) -> Result<Session, InboundError> {
    connect_keeping(cfg, token, None)
}

/// [`connect`], leaving a handle on the socket in `keep`, so that another thread can
/// close it under a blocked read.
fn connect_keeping(
    cfg: &ImapConfig,
    token: Option<String>,
    keep: Option<&std::sync::Mutex<Closable>>,
) -> Result<Session, InboundError> {
    let timeout = Duration::from_secs(60);
    let connect_err = |source| InboundError::Connect {
        host: cfg.host.clone(),
        port: cfg.port,
        source,
    };
    let tcp = TcpStream::connect((cfg.host.as_str(), cfg.port)).map_err(connect_err)?;
    tcp.set_read_timeout(Some(timeout)).map_err(connect_err)?;
    tcp.set_write_timeout(Some(timeout)).map_err(connect_err)?;
    if let Some(keep) = keep {
        let mut k = keep.lock().unwrap_or_else(|p| p.into_inner());
        if k.closed {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        } else {
            k.socket = Some(tcp.try_clone().map_err(connect_err)?);
        }
    }
    let conn = match cfg.tls {
        Tls::None => Conn::Plain(tcp),
        Tls::Tls => wrap_tls(cfg, tcp)?,
        Tls::Starttls => {
            starttls(tcp.try_clone().map_err(connect_err)?).map_err(|reason| {
                InboundError::Imap {
                    what: "STARTTLS".into(),
                    reason,
                }
            })?;
            wrap_tls(cfg, tcp)?
        }
    };
    let mut client = imap::Client::new(conn);
    // After STARTTLS there is no second greeting.
    if cfg.tls != Tls::Starttls {
        client.read_greeting().map_err(imap_err("greeting"))?;
    }
    let login_err = |user: &str, e: imap::Error| InboundError::Login {
        user: user.to_string(),
        reason: e.to_string(),
    };
    match &cfg.auth {
        Auth::Password { username, password } => client
            .login(username, password.expose())
            .map_err(|(e, _)| login_err(username, e)),
        Auth::OAuth2 { username, .. } => {
            let auth = XOAuth2 {
                user: username.clone(),
                token: token.unwrap_or_default(),
            };
            client
                .authenticate("XOAUTH2", &auth)
                .map_err(|(e, _)| login_err(username, e))
        }
        Auth::None => Err(InboundError::Login {
            user: String::new(),
            reason: "IMAP needs a username and a password or token command".into(),
        }),
    }
}

/// Messages per UID FETCH and UID MOVE: FETCH answers are held whole in memory, so a
/// batch stays small, in messages and in bytes.
const FETCH_BATCH: usize = 25;
/// Bytes per UID FETCH (a larger message is fetched on its own).
const BATCH_BYTES: u64 = 32 * 1024 * 1024;
/// UIDs per FETCH of sizes.
const SIZE_BATCH: usize = 500;

/// What one FETCH takes.
#[derive(Debug, PartialEq, Eq)]
enum Batch {
    /// Messages fetched whole.
    Whole(Vec<u32>),
    /// A message over the limit, of this size: its headers only.
    TooLarge(u32, u64),
}

/// The FETCHes for messages of these sizes, in UID order: runs of messages under the
/// limit, at most [`FETCH_BATCH`] of them and [`BATCH_BYTES`] together (or one larger
/// message alone), and each message over the limit on its own.
fn batches(sized: &[(u32, u64)], limit: u64) -> Vec<Batch> {
    let mut out = Vec::new();
    let (mut run, mut bytes) = (Vec::new(), 0u64);
    for &(uid, size) in sized {
        let over = size > limit;
        let full = run.len() >= FETCH_BATCH || bytes + size > BATCH_BYTES;
        if !run.is_empty() && (over || full) {
            out.push(Batch::Whole(std::mem::take(&mut run)));
            bytes = 0;
        }
        if over {
            out.push(Batch::TooLarge(uid, size));
        } else {
            run.push(uid);
            bytes += size;
        }
    }
    if !run.is_empty() {
        out.push(Batch::Whole(run));
    }
    out
}

/// `3,5,9` for the UIDs given.
fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Moves the messages of `set` to the processed mailbox (UID MOVE, or COPY, STORE and
/// EXPUNGE where the server has no MOVE).
#[derive(Clone)]
struct Mover {
    to: String,
    has_move: bool,
}

impl Mover {
    fn run(&self, s: &mut Session, set: &str) -> Result<(), InboundError> {
        if self.has_move {
            s.uid_mv(set, &self.to).map_err(imap_err("UID MOVE"))
        } else {
            s.uid_copy(set, &self.to).map_err(imap_err("UID COPY"))?;
            s.uid_store(set, "+FLAGS.SILENT (\\Seen \\Deleted)")
                .map_err(imap_err("UID STORE"))?;
            s.uid_expunge(set).map_err(imap_err("UID EXPUNGE"))?;
            Ok(())
        }
    }
}

/// One pass over an IMAP mailbox: connect, store every message not stored yet (each
/// committed before it moves), move what is stored out of the inbox.
async fn imap_once(
    cfg: &ImapConfig,
    limit: u64,
    store: &Store,
    clock: Arc<dyn Clock>,
    notify: Option<&tokio::sync::mpsc::UnboundedSender<i64>>,
) -> Result<FetchReport, InboundError> {
    let token = xoauth2_token(cfg).await?;
    let c = cfg.clone();
    let session = tokio::task::spawn_blocking(move || connect(&c, token))
        .await
        .map_err(|e| InboundError::Worker(e.to_string()))??;
    let (mailbox, processed) = (cfg.mailbox.clone(), cfg.processed_mailbox.clone());
    let (session, (uidvalidity, has_move, all)) = blocking(session, move |s| {
        // Already there is fine; any other failure shows at the first move.
        let _ = s.create(&processed);
        let has_move = s.capabilities().map(|c| c.has_str("MOVE")).unwrap_or(false);
        let mb = s.select(&mailbox).map_err(imap_err("SELECT"))?;
        let validity = mb.uid_validity.ok_or_else(|| InboundError::Imap {
            what: "SELECT".into(),
            reason: "the server gave no UIDVALIDITY".into(),
        })?;
        let all = s.uid_search("ALL").map_err(imap_err("UID SEARCH"))?;
        Ok((validity, has_move, all))
    })
    .await?;
    let mover = Mover {
        to: cfg.processed_mailbox.clone(),
        has_move,
    };
    let mut report = FetchReport::default();
    // Messages an earlier run stored and stopped before moving are only moved; every
    // other one is fetched, whatever came before (a message missing from a FETCH
    // answer is fetched again next time, never moved unstored). After a UIDVALIDITY
    // change nothing is held by position, and what was stored is recognised by its bytes.
    let mut uids: Vec<u32> = all.into_iter().collect();
    uids.sort_unstable();
    let held = store.held_uids(&cfg.mailbox, uidvalidity, &uids).await?;
    let (leftover, new): (Vec<u32>, Vec<u32>) = uids.into_iter().partition(|u| held.contains(u));
    let mut session = session;
    if !leftover.is_empty() {
        // They may have been committed without waiting for the disk.
        store.make_durable().await?;
    }
    for batch in leftover.chunks(FETCH_BATCH) {
        let (m, set, n) = (mover.clone(), uid_set(batch), batch.len());
        session = blocking(session, move |s| m.run(s, &set)).await?.0;
        report.moved += n;
    }
    // Sizes first: a message over the limit is never fetched whole, and a batch is never
    // more than a few messages or a few tens of megabytes.
    let (mut session, sized) = fetch_sizes(session, new).await?;
    let at = Place {
        mailbox: &cfg.mailbox,
        uidvalidity,
        limit,
    };
    for batch in batches(&sized, limit) {
        let (s, fetched) = fetch_batch(session, batch).await?;
        session = s;
        let stored = store_fetched(store, &clock, &at, fetched, &mut report, notify).await?;
        if stored.is_empty() {
            continue;
        }
        // Each message was committed as it came;
        // one wait for the disk covers them all before they leave the server's inbox.
        store.make_durable().await?;
        let (m, n) = (mover.clone(), stored.len());
        session = blocking(session, move |s| m.run(s, &uid_set(&stored)))
            .await?
            .0;
        report.moved += n;
    }
    let _ = blocking(session, |s| s.logout().map_err(imap_err("LOGOUT"))).await;
    Ok(report)
}

/// Where fetched messages are stored from.
struct Place<'a> {
    mailbox: &'a str,
    uidvalidity: u32,
    limit: u64,
}

/// The RFC822.SIZE of each of `uids`, in UID order; a UID the server gives no size for
/// (expunged meanwhile) is left out, and read at the next pass if it is still there.
async fn fetch_sizes(
    mut session: Session,
    uids: Vec<u32>,
) -> Result<(Session, Vec<(u32, u64)>), InboundError> {
    let mut sized = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(SIZE_BATCH) {
        let set = uid_set(chunk);
        let (s, sizes) = blocking(session, move |s| {
            let fetches = s
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .map_err(imap_err("UID FETCH"))?;
            Ok(fetches
                .iter()
                .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
                .collect::<Vec<_>>())
        })
        .await?;
        session = s;
        if sizes.len() < chunk.len() {
            tracing::warn!(
                asked = chunk.len(),
                given = sizes.len(),
                "the IMAP server gave no size for some messages; they are read at the next pass"
            );
        }
        sized.extend(sizes);
    }
    sized.sort_unstable();
    Ok((session, sized))
}

/// One FETCH: messages whole, or a too-large message's headers.
async fn fetch_batch(
    session: Session,
    batch: Batch,
) -> Result<(Session, Vec<(u32, Taken)>), InboundError> {
    let (session, mut fetched) = match batch {
        Batch::Whole(batch) => {
            let set = uid_set(&batch);
            blocking(session, move |s| {
                let fetches = s
                    .uid_fetch(&set, "(UID BODY.PEEK[])")
                    .map_err(imap_err("UID FETCH"))?;
                Ok(fetches
                    .iter()
                    .filter_map(|f| Some((f.uid?, Whole(f.body()?.to_vec()))))
                    .collect::<Vec<_>>())
            })
            .await?
        }
        Batch::TooLarge(uid, size) => {
            blocking(session, move |s| {
                let fetches = s
                    .uid_fetch(
                        uid.to_string(),
                        format!("(UID BODY.PEEK[HEADER]<0.{HEADER_BYTES}>)"),
                    )
                    .map_err(imap_err("UID FETCH"))?;
                Ok(fetches
                    .iter()
                    .filter_map(|f| Some((f.uid?, Head(f.header()?.to_vec(), size))))
                    .collect::<Vec<_>>())
            })
            .await?
        }
    };
    // Expunged by someone else between the search and the fetch: simply absent.
    fetched.sort_by_key(|(uid, _)| *uid);
    Ok((session, fetched))
}

/// Commits each fetched message (or what is kept of a too-large one) in UID order;
/// returns the UIDs committed, to be moved.
async fn store_fetched(
    store: &Store,
    clock: &Arc<dyn Clock>,
    at: &Place<'_>,
    fetched: Vec<(u32, Taken)>,
    report: &mut FetchReport,
    notify: Option<&tokio::sync::mpsc::UnboundedSender<i64>>,
) -> Result<Vec<u32>, InboundError> {
    let mut stored = Vec::with_capacity(fetched.len());
    for (uid, raw) in fetched {
        report.fetched += 1;
        let position = Position::Imap {
            mailbox: at.mailbox.to_string(),
            uidvalidity: at.uidvalidity,
            uid,
        };
        match raw {
            Whole(raw) => tally(
                report,
                store
                    .store_raw_unsynced(&position, &raw, clock.now())
                    .await?,
                notify,
            ),
            Head(head, size) => {
                let kept = too_large(&head, size, at.limit);
                tracing::warn!(uid, mailbox = %at.mailbox, "{}", kept.error());
                let s = store.store_too_large(&position, &kept, clock.now()).await?;
                tally_too_large(report, s);
            }
        }
        stored.push(uid);
    }
    Ok(stored)
}

impl imap::extensions::idle::SetReadTimeout for Conn {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::error::Result<()> {
        let tcp = match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        };
        tcp.set_read_timeout(timeout).map_err(imap::Error::Io)
    }
}

/// A socket another thread may close: `closed` once the waiter has gone, so a socket
/// connected after that is closed at once.
#[derive(Default)]
struct Closable {
    socket: Option<TcpStream>,
    closed: bool,
}

/// Closes the socket when dropped.
struct CloseOnDrop(Arc<std::sync::Mutex<Closable>>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        c.closed = true;
        if let Some(s) = c.socket.take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Waits until the source may have new mail, at most `timeout`: IMAP IDLE where the
/// server offers it (a wait that ends early when mail arrives), otherwise a plain wait;
/// for a Maildir, a look every second. An IDLE that silently died ends with the timeout,
/// so the caller's next pass finds what it missed.
pub async fn wait(source: &Inbound, timeout: Duration) -> Result<(), InboundError> {
    match source {
        Inbound::Maildir { dir } => {
            let deadline = tokio::time::Instant::now() + timeout;
            while tokio::time::Instant::now() < deadline {
                let has_mail = ["new", "cur"].iter().any(|sub| {
                    std::fs::read_dir(dir.join(sub))
                        .map(|mut d| d.next().is_some())
                        .unwrap_or(false)
                });
                if has_mail {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_secs(1).min(timeout)).await;
            }
            Ok(())
        }
        Inbound::Imap(cfg) => {
            let token = xoauth2_token(cfg).await?;
            let c = cfg.clone();
            // Dropped (the caller stops waiting, say at shutdown): the socket is closed
            // under the blocked IDLE, whose thread then ends at once.
            let socket = Arc::new(std::sync::Mutex::new(Closable::default()));
            let _close = CloseOnDrop(Arc::clone(&socket));
            let idled = tokio::task::spawn_blocking(move || -> Result<bool, InboundError> {
                let mut s = connect_keeping(&c, token, Some(&socket))?;
                let can_idle = s.capabilities().map(|c| c.has_str("IDLE")).unwrap_or(false);
                let mb = s.select(&c.mailbox).map_err(imap_err("SELECT"))?;
                if mb.exists > 0 || !can_idle {
                    let _ = s.logout();
                    // Mail waiting: no wait at all. No IDLE: the caller waits plainly.
                    return Ok(mb.exists > 0);
                }
                // Not kept alive: the wait ends at the timeout, and the caller's next pass
                // connects afresh, so an IDLE that silently died costs at most one poll.
                s.idle()
                    .timeout(timeout)
                    .keepalive(false)
                    .wait_while(|r| !matches!(r, imap::types::UnsolicitedResponse::Exists(_)))
                    .map_err(imap_err("IDLE"))?;
                let _ = s.logout();
                Ok(true)
            })
            .await
            .map_err(|e| InboundError::Worker(e.to_string()))??;
            if !idled {
                tokio::time::sleep(timeout).await;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_uid_order_and_fetch_a_message_over_the_limit_alone() {
        let mb = 1024 * 1024;
        let sized = [
            (1, 10),
            (2, 20),
            (3, 30 * mb),
            (4, 10),
            (5, 20 * mb),
            (6, 20 * mb),
        ];
        assert_eq!(
            batches(&sized, 25 * mb),
            vec![
                Batch::Whole(vec![1, 2]),
                Batch::TooLarge(3, 30 * mb),
                Batch::Whole(vec![4, 5]),
                Batch::Whole(vec![6]),
            ]
        );
        let many: Vec<(u32, u64)> = (1..=60).map(|u| (u, 100)).collect();
        let b = batches(&many, mb);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], Batch::Whole((1..=25).collect()));
        assert_eq!(b[2], Batch::Whole((51..=60).collect()));
    }

    #[test]
    fn a_too_large_message_keeps_its_header_section_only() {
        let head =
            b"From: Grace <grace@resp.test>\r\nSubject: Big\r\nMessage-ID: <b@r>\r\n\r\nbody";
        let t = too_large(head, 30_000_000, 25_000_000);
        assert!(t.headers.ends_with(b"<b@r>\r\n\r\n"));
        assert_eq!(t.from.as_deref(), Some("grace@resp.test"));
        assert_eq!(t.subject.as_deref(), Some("Big"));
        assert_eq!(t.message_id.as_deref(), Some("b@r"));
        assert!(t.error().contains("30000000 bytes"), "{}", t.error());
        // No blank line within 64 KiB: the first 64 KiB.
        let endless = vec![b'X'; 100_000];
        assert_eq!(too_large(&endless, 100_000, 1).headers.len(), HEADER_BYTES);
    }
}
