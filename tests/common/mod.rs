//! What the integration tests stand on: the mail lab (real Postfix and Dovecot on
//! loopback, started by `scripts/maillab.sh`), a project folder per test, and an IMAP
//! reader to see what respondents received.

#![allow(dead_code, reason = "each test file uses a part")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use needsd::clock::Clock;

pub mod review;

/// The lab's folder: short, because Unix socket paths must stay under 108 bytes.
pub const LAB_DIR: &str = "/tmp/needsd-lab";
pub const SMTP: u16 = 2525;
pub const SMTPS: u16 = 2465;
pub const SMTP_IDLE: u16 = 2526;
pub const IMAP: u16 = 1143;
pub const PASSWORD: &str = "lab";

/// Starts the mail lab, or reuses the one running; fails the test, saying how to start it
/// by hand, when that is impossible.
pub fn maillab() {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/maillab.sh");
        let log = std::env::temp_dir().join("needsd-maillab-start.log");
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        // The daemons inherit the script's output: a file, never a pipe we wait on.
        let status = Command::new("bash")
            .arg(&script)
            .args(["start", LAB_DIR])
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(std::fs::read_to_string(&log)
                .unwrap_or_default()
                .trim()
                .to_string())
        }
    });
    if let Err(e) = started {
        panic!(
            "the mail lab is not running and could not be started ({e}); start it with \
             `sudo scripts/maillab.sh start {LAB_DIR}` (it installs postfix and dovecot from \
             Debian's packages on first use)"
        );
    }
}

pub const PG_DIR: &str = "/tmp/needsd-pg";
pub const PG_PORT: u16 = 55432;

/// Starts the PostgreSQL lab (`scripts/pglab.sh`), or reuses the one running, and creates
/// a new empty database in it for one test; returns its URL. Fails the test, saying how
/// to start the lab by hand, when that is impossible.
pub fn pglab() -> String {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pglab.sh");
        let log = std::env::temp_dir().join("needsd-pglab-start.log");
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let status = Command::new("bash")
            .arg(&script)
            .args(["start", PG_DIR])
            .env("PGLAB_PORT", PG_PORT.to_string())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(std::fs::read_to_string(&log)
                .unwrap_or_default()
                .trim()
                .to_string())
        }
    });
    if let Err(e) = started {
        panic!(
            "the PostgreSQL lab is not running and could not be started ({e}); start it with \
             `sudo scripts/pglab.sh start {PG_DIR}` (it installs PostgreSQL from Debian's \
             packages on first use)"
        );
    }
    pg_database(PG_PORT)
}

/// A new, empty database in the PostgreSQL lab on `port`; its URL.
pub fn pg_database(port: u16) -> String {
    let name = unique("t").replace('-', "_");
    let admin = format!("postgres://needsd@127.0.0.1:{port}/postgres");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await?;
            conn.close().await
        })
        .unwrap_or_else(|e| panic!("cannot create a database in the PostgreSQL lab: {e}"));
    format!("postgres://needsd@127.0.0.1:{port}/{name}")
}

/// The databases a test runs on: SQLite, and PostgreSQL in its lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    /// The `database.url` for a project in `dir`: a SQLite file there, or a new database
    /// in the PostgreSQL lab.
    pub fn url(self, dir: &Path) -> String {
        match self {
            Db::Sqlite => format!("sqlite://{}/data/needsd.db", dir.display()),
            Db::Postgres => pglab(),
        }
    }
}

/// A name no earlier run of the lab has used, for mailboxes of one test.
pub fn unique(prefix: &str) -> String {
    let mut b = [0u8; 5];
    getrandom::fill(&mut b).expect("random bytes");
    format!("{prefix}-{}", hex::encode(b))
}

/// A needsd project folder with its own config and database.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub secret: String,
}

impl Project {
    /// A project whose `needsd.toml` is `config`, initialised.
    pub fn new(config: &str) -> Self {
        let p = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            secret: "s".repeat(40),
        };
        std::fs::write(p.path("needsd.toml"), config).expect("config");
        p.ok(&["init"]);
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_needsd"));
        c.args(["--config", "needsd.toml"])
            .args(args)
            .current_dir(self.dir.path())
            .env("NEEDSD_TOKEN_SECRET", &self.secret)
            .env("NEEDSD_SMTP_PASSWORD", PASSWORD)
            .env("NEEDSD_IMAP_PASSWORD", PASSWORD)
            .env_remove("NEEDSD_CONFIG")
            .stdin(Stdio::null());
        c
    }

    /// Starts `needsd ARGS` and kills it with SIGKILL once `ready` says so (or after a
    /// minute); returns whether it was still running to be killed.
    pub fn kill_when(&self, args: &[&str], mut ready: impl FnMut() -> bool) -> bool {
        let mut child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start needsd");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready() && Instant::now() < deadline {
            if child.try_wait().expect("child state").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = child.try_wait().expect("child state").is_none();
        if killed {
            child.kill().expect("SIGKILL");
        }
        child.wait().expect("reap needsd");
        killed
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run needsd")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "needsd {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Imports a contacts CSV and an initial matrix CSV.
    pub fn load(&self, contacts: &str, matrix: &str) {
        self.write("contacts.csv", contacts);
        self.write("matrix.csv", matrix);
        self.ok(&["contacts", "import", "contacts.csv"]);
        self.ok(&["matrix", "import", "matrix.csv"]);
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("one JSON document")
    }
}

/// The config of a project that sends through the lab.
pub fn smtp_config(secretariat: &str, smtp: &str) -> String {
    format!(
        "[database]\nurl = \"sqlite://data/needsd.db\"\n\
         [mail]\nfrom = \"Matrix of Needs <{secretariat}@ctc.test>\"\n\
         reply_to = \"{secretariat}@ctc.test\"\nexperts = [\"experts@ctc.test\"]\n\
         token_secret_env = \"NEEDSD_TOKEN_SECRET\"\n\
         [smtp]\n{smtp}\n\
         [maildir]\ndir = \"data/inbox\"\n"
    )
}

/// The cycle after the current month: its deadline is always ahead.
pub fn next_cycle() -> String {
    use chrono::Datelike;
    #[expect(clippy::disallowed_methods, reason = "tests pick a cycle after today")]
    let today = chrono::Utc::now().date_naive();
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    format!("{y:04}-{m:02}")
}

/// Every message in a lab mailbox, oldest first.
pub fn mailbox(user: &str) -> Vec<Vec<u8>> {
    mailbox_on(IMAP, user)
}

/// [`mailbox`] on the lab whose IMAP port is `port`.
pub fn mailbox_on(port: u16, user: &str) -> Vec<Vec<u8>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("IMAP connect");
    let mut client = imap::Client::new(tcp);
    client.read_greeting().expect("IMAP greeting");
    let mut session = client
        .login(user, PASSWORD)
        .map_err(|(e, _)| e)
        .expect("login");
    let mb = session.select("INBOX").expect("select");
    let mut out = Vec::new();
    if mb.exists > 0 {
        let fetches = session.fetch("1:*", "BODY.PEEK[]").expect("fetch");
        for f in fetches.iter() {
            out.push(f.body().expect("body").to_vec());
        }
    }
    let _ = session.logout();
    out
}

/// Waits (up to `secs`) until `user`'s mailbox holds at least `n` messages.
pub fn wait_for_mail(user: &str, n: usize, secs: u64) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = mailbox(user);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{user} has {} messages after {secs} s, expected {n}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends a plain message through the lab by speaking SMTP directly, as a marker: once it
/// is in a mailbox, everything submitted before it has been delivered too (Postfix
/// delivers to one mailbox in order of arrival here).
pub fn send_marker(to: &str, subject: &str) {
    let raw = format!("Subject: {subject}\r\nMessage-ID: <{subject}@ctc.test>\r\n\r\nmarker\r\n");
    send_raw("marker@ctc.test", to, raw.as_bytes());
}

/// The config of a project that sends through the lab's SMTP, reads `user`'s lab mailbox
/// over IMAP, and serves its web UI on a free port.
pub fn lab_daemon_config(secretariat: &str) -> String {
    config_with(
        secretariat,
        &format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {SMTP}\ntls = \"none\"\nrate_per_minute = 6000"
        ),
        &format!(
            "{}\n[web]\nlisten = \"127.0.0.1:0\"",
            imap_section(&format!("{secretariat}@ctc.test"), "INBOX")
        ),
    )
}

/// A `[schedule]` whose jobs cannot fire before the year 2100, for a daemon a test runs on
/// the system clock: no test's outcome may depend on today's date. With the defaults, a
/// daemon started between the 1st and the 15th would rightly catch up the current
/// month's circulation and mail every contact a second time.
pub const QUIET_SCHEDULE: &str = "[schedule]\n\
    dispatch = \"0 0 9 1 1 * 2100\"\n\
    reminders = [\"0 0 9 1 1 * 2100\"]\n\
    deadline_alert = \"0 0 9 1 1 * 2100\"\n\
    digest = \"0 0 9 1 1 * 2100\"\n\
    deadlines = \"0 0 9 1 1 * 2100\"\n\
    review_alert = \"0 0 9 1 1 * 2100\"\n";

/// How far ahead of the system clock [`Running`] daemons live: they see the 2nd of next
/// month, 10:00 UTC (and on), whatever today is, so that a circulation caught up at their
/// start is always before its cycle's deadline (a dispatch after it is refused).
fn daemon_clock_offset() -> chrono::TimeDelta {
    use chrono::Datelike;
    use needsd::clock::Clock;
    let now = needsd::clock::SystemClock.now();
    let next = now.date_naive().with_day(1).expect("the 1st exists") + chrono::Months::new(1);
    let target = next
        .with_day(2)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("10:00 on the 2nd exists")
        .and_utc();
    // Whole seconds, fixed once per test process: every daemon shares one clock.
    static OFFSET: OnceLock<i64> = OnceLock::new();
    chrono::TimeDelta::seconds(*OFFSET.get_or_init(|| (target - now).num_seconds()))
}

/// The time [`Running`] daemons see now.
pub fn daemon_now() -> chrono::DateTime<chrono::Utc> {
    use needsd::clock::Clock;
    needsd::clock::SystemClock.now() + daemon_clock_offset()
}

/// A `[schedule]` for daemons run as processes ([`Running`], on [`daemon_now`]): its
/// dispatch fires every day at the minute two minutes ago, so the first daemon to
/// lead catches today's up at start, once; the inbox is polled every second, in UTC;
/// nothing else fires before 2100. Returns it with the cycle that dispatch opens.
pub fn dispatch_caught_up_at_start() -> (String, String) {
    use chrono::{Datelike, Timelike};
    let fired = daemon_now() - chrono::TimeDelta::minutes(2);
    let schedule = QUIET_SCHEDULE.replace(
        "dispatch = \"0 0 9 1 1 * 2100\"",
        &format!(
            "dispatch = \"0 {} {} * * *\"\ntimezone = \"UTC\"\ninbox_poll = \"* * * * * *\"",
            fired.minute(),
            fired.hour(),
        ),
    );
    (schedule, format!("{}-{:02}", fired.year(), fired.month()))
}

/// A contacts file of `n` receiving contacts of KEN, all plus-addresses of the mailbox
/// `PREFIX@resp.test`.
pub fn plus_recipients(prefix: &str, n: usize) -> String {
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for i in 0..n {
        csv.push_str(&format!("KEN,R {i},{prefix}+{i:03}@resp.test,yes\n"));
    }
    csv
}

impl Project {
    /// The project's config for a daemon in the test process: the database by its
    /// absolute path (the test's working directory is not the project's), the secrets
    /// from a map rather than the environment.
    pub fn in_process_config(&self) -> Arc<needsd::config::Config> {
        let file = self.path("needsd.toml");
        let config = std::fs::read_to_string(&file).expect("config").replace(
            "sqlite://data/needsd.db",
            &format!("sqlite://{}", self.path("data/needsd.db").display()),
        );
        std::fs::write(&file, &config).expect("config");
        let env: std::collections::BTreeMap<String, String> = [
            ("NEEDSD_TOKEN_SECRET".to_string(), self.secret.clone()),
            ("NEEDSD_IMAP_PASSWORD".to_string(), PASSWORD.to_string()),
            ("NEEDSD_SMTP_PASSWORD".to_string(), PASSWORD.to_string()),
        ]
        .into();
        Arc::new(needsd::config::Config::load(Some(&file), &env).expect("config"))
    }
}

/// A project config with the given outbound and inbound sections.
pub fn config_with(secretariat: &str, outbound: &str, inbound: &str) -> String {
    format!(
        "[database]\nurl = \"sqlite://data/needsd.db\"\n\
         [mail]\nfrom = \"Matrix of Needs <{secretariat}@ctc.test>\"\n\
         reply_to = \"{secretariat}@ctc.test\"\nexperts = [\"experts@ctc.test\"]\n\
         token_secret_env = \"NEEDSD_TOKEN_SECRET\"\n{outbound}\n{inbound}\n"
    )
}

/// The `[imap]` section for the lab mailbox of `user`, reading `mailbox`.
pub fn imap_section(user: &str, mailbox: &str) -> String {
    format!(
        "[imap]\nhost = \"127.0.0.1\"\nport = {IMAP}\ntls = \"starttls\"\n\
         ca_file = \"{LAB_DIR}/tls/ca.pem\"\nusername = \"{user}\"\n\
         password_env = \"NEEDSD_IMAP_PASSWORD\"\nmailbox = \"{mailbox}\"\n\
         processed_mailbox = \"Processed\""
    )
}

/// A logged-in IMAP session on the lab as `user`.
pub fn imap_session(user: &str) -> imap::Session<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", IMAP)).expect("IMAP connect");
    let mut client = imap::Client::new(tcp);
    client.read_greeting().expect("IMAP greeting");
    client
        .login(user, PASSWORD)
        .map_err(|(e, _)| e)
        .expect("login")
}

/// How many messages `user`'s `mailbox` holds (0 when it does not exist).
pub fn count(user: &str, mailbox: &str) -> u32 {
    count_on(IMAP, user, mailbox)
}

/// [`count`] on the lab whose IMAP port is `port`; 0 while the server does not answer.
pub fn count_on(port: u16, user: &str, mailbox: &str) -> u32 {
    let Ok(tcp) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let mut client = imap::Client::new(tcp);
    if client.read_greeting().is_err() {
        return 0;
    }
    let Ok(mut s) = client.login(user, PASSWORD).map_err(|(e, _)| e) else {
        return 0;
    };
    let n = s.select(mailbox).map(|m| m.exists).unwrap_or(0);
    let _ = s.logout();
    n
}

/// A small distinct message, as a respondent's mail program would send it.
pub fn message(n: usize, tag: &str) -> Vec<u8> {
    format!(
        "From: Focal Point <fp{n}@resp.test>\r\nTo: needs@ctc.test\r\n\
         Subject: Re: [Matrix of Needs] reply {n}\r\nMessage-ID: <{tag}-{n}@resp.test>\r\n\
         Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nNo changes this month ({n}).\r\n"
    )
    .into_bytes()
}

/// Runs `f` on a project's database, for tests that assert on what was stored.
pub fn with_store<T>(
    p: &Project,
    f: impl AsyncFnOnce(needsd::store::Store) -> Result<T, needsd::store::StoreError>,
) -> T {
    let url = p.in_process_config().database.connect_url();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let store = needsd::store::Store::open(&url).await?;
            let out = f(store.clone()).await;
            // Closed before returning: no file of the database stays open in this process.
            store.close().await;
            out
        })
        .expect("read the project's database")
}

/// Runs `f` on an App over the project's database (built as `needsd` builds it, on a
/// clock fixed at `now`), for tests that call the library's workflows directly.
pub fn with_app<T>(
    p: &Project,
    now: chrono::DateTime<chrono::Utc>,
    f: impl AsyncFnOnce(&needsd::app::App) -> anyhow::Result<T>,
) -> T {
    let cfg = p.in_process_config();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let clock: Arc<dyn Clock> = Arc::new(needsd::clock::TestClock::new(now));
            let app = needsd::app::App::open(cfg, clock).await?;
            let out = f(&app).await;
            app.close().await;
            out
        })
        .expect("the workflow ran")
}

/// Every submission the project stored, oldest first.
pub fn submissions(p: &Project) -> Vec<needsd::store::review::Submission> {
    let mut all = with_store(p, async |s| s.find_submissions(&Default::default()).await);
    all.reverse();
    all
}

/// Every outbox message of the project, oldest first.
pub fn outbox_rows(p: &Project) -> Vec<needsd::store::outbox::OutboxRow> {
    with_store(p, async |s| s.outbox_rows().await)
}

/// The recorded runs of a scheduled job: `(scheduled_for, outcome)`, newest first.
pub fn job_runs(p: &Project, job: &str) -> Vec<(String, Option<String>)> {
    with_store(p, async |s| s.job_runs(job).await)
}

/// How many messages the project's inbox holds.
pub fn inbox_rows(p: &Project) -> i64 {
    with_store(p, async |s| s.inbox_count().await)
}

/// A message, parsed as the tests read what arrived.
pub fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parseable message")
}

/// The circulation in `who`'s mailbox: its Reply-To address, its Message-ID (with
/// brackets, as In-Reply-To writes it) and the workbook attached.
pub fn circulation(who: &str) -> (String, String, Vec<u8>) {
    circulation_in(&wait_for_mail(who, 1, 10).remove(0))
}

/// A circulation's Reply-To address, its Message-ID (with brackets, as In-Reply-To writes
/// it) and the workbook attached.
pub fn circulation_in(raw: &[u8]) -> (String, String, Vec<u8>) {
    let m = parse(raw);
    let reply_to = m
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("a Reply-To")
        .to_string();
    let id = format!("<{}>", m.message_id().expect("a Message-ID"));
    let workbook = m
        .attachments()
        .next()
        .map(|a| a.contents().to_vec())
        .expect("a workbook attached");
    (reply_to, id, workbook)
}

/// Submits `raw` to the lab over SMTP from `from` to `to`, dot-stuffing as SMTP requires.
/// Sends `n` messages to `to` through the SMTP server on `port`, `per_second` a second,
/// from a thread of its own, so that a test can break something while they still arrive;
/// `message(i)` gives message `i` and its sender. Join the handle to wait for the last.
pub fn send_paced(
    port: u16,
    to: &str,
    n: usize,
    per_second: u64,
    message: impl Fn(usize) -> (String, Vec<u8>) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let to = to.to_string();
    std::thread::spawn(move || {
        for i in 0..n {
            let (from, raw) = message(i);
            send_raw_on(port, &from, &to, &raw);
            std::thread::sleep(Duration::from_millis(1000 / per_second.max(1)));
        }
    })
}

pub fn send_raw(from: &str, to: &str, raw: &[u8]) {
    send_raw_on(SMTP, from, to, raw);
}

/// [`send_raw`] through the lab whose SMTP port is `port`.
pub fn send_raw_on(port: u16, from: &str, to: &str, raw: &[u8]) {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("SMTP connect");
    let mut w = tcp.try_clone().expect("clone");
    let mut r = BufReader::new(tcp);
    let mut expect = |code: &str| {
        let mut line = String::new();
        loop {
            line.clear();
            r.read_line(&mut line).expect("SMTP reply");
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                break;
            }
        }
        assert!(line.starts_with(code), "SMTP said {line}");
    };
    expect("220");
    for (cmd, code) in [
        ("EHLO test".to_string(), "250"),
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".into(), "354"),
    ] {
        write!(w, "{cmd}\r\n").expect("SMTP write");
        expect(code);
    }
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    for line in text.split('\n') {
        let dot = if line.starts_with('.') { "." } else { "" };
        write!(w, "{dot}{line}\r\n").expect("SMTP write");
    }
    write!(w, ".\r\n").expect("SMTP write");
    expect("250");
    write!(w, "QUIT\r\n").expect("SMTP write");
}

/// A reply with an attachment, as a mail program writes one.
pub fn reply_with_attachment(
    from: &str,
    to: &str,
    in_reply_to: &str,
    name: &str,
    bytes: &[u8],
) -> Vec<u8> {
    use base64_lines as b64;
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Re: [Matrix of Needs] our update\r\n\
         In-Reply-To: {in_reply_to}\r\nMessage-ID: <{}@resp.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nPlease find our update attached.\r\n--XYZ\r\n\
         Content-Type: application/octet-stream; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--XYZ--\r\n",
        unique("m"),
        b64(bytes)
    )
    .into_bytes()
}

/// Base64 in lines of 76 characters.
pub fn base64_lines(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A daemon running in this process on a runtime of its own.
pub struct Daemon {
    pub rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub addr: std::net::SocketAddr,
}

impl Daemon {
    pub fn start(cfg: &Arc<needsd::config::Config>, clock: Arc<dyn Clock>) -> Self {
        // NEEDSD_LOG=info shows what the daemon does (with --nocapture).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("NEEDSD_LOG"))
            .with_test_writer()
            .try_init();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, started) = tokio::sync::oneshot::channel();
        let app = rt
            .block_on(needsd::app::App::open(Arc::clone(cfg), clock))
            .expect("the project's database opens");
        let done = rt.spawn(needsd::daemon::run(
            Arc::new(app),
            async move {
                let _ = stopped.await;
            },
            Some(ready),
        ));
        let addr = match rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), started).await })
            .expect("the daemon started within 30 s")
        {
            Ok(addr) => addr,
            // It stopped before it listened: say why.
            Err(_) => match rt.block_on(done) {
                Ok(Err(e)) => panic!("the daemon stopped at start: {e:#}"),
                other => panic!("the daemon stopped at start without an address: {other:?}"),
            },
        };
        Self {
            rt,
            stop: Some(stop),
            done: Some(done),
            addr,
        }
    }

    pub fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let done = self.done.take().unwrap();
        self.rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), done).await })
            .expect("the daemon stopped within 30 s")
            .unwrap()
            .unwrap();
    }

    /// Waits until the scheduler has looked once: every job due at start has run, or
    /// was found already run. A definite event to assert "nothing more happened" after.
    pub fn wait_for_scheduler(&self) {
        eventually("the scheduler's first look", 30, || {
            self.get("/metrics")
                .lines()
                .find_map(|l| l.strip_prefix("needsd_scheduler_passes_total "))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n >= 1)
        });
    }

    pub fn get(&self, path: &str) -> String {
        http_get(&self.addr.to_string(), path).expect("the daemon answers")
    }
}

/// `GET path` from the web server at `addr`, the whole answer (status line, headers,
/// body); `None` when the server cannot be reached.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A time written as RFC 3339.
pub fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(t)
        .expect("an RFC 3339 time")
        .to_utc()
}

/// Waits until `f` holds, for at most `secs` seconds.
pub fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "after {secs} s: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Edits a workbook with openpyxl, as a respondent's spreadsheet program would: each edit
/// sets, in the row of a need, the cell under a header of the Matrix sheet (named in
/// English, whatever the copy's language: the columns keep their order); a need of
/// `"new"` appends a row instead.
pub fn edit_workbook(path: &Path, edits: &[(&str, &str, &str)]) {
    let mut script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({p:?})\nws = wb['Matrix']\n\
         head = {headers:?}\n",
        p = path.display().to_string(),
        headers = needsd::workbook::write::HEADERS,
    );
    for (need, header, value) in edits {
        if *need == "new" {
            // A row added at the end: `value` holds the cells, `|`-separated, from Need ID on.
            let cells: Vec<&str> = value.split('|').collect();
            script.push_str(&format!("ws.append({cells:?})\n"));
            continue;
        }
        script.push_str(&format!(
            "for row in ws.iter_rows(min_row=2):\n    if row[0].value == {need:?}:\n        \
             row[head.index({header:?})].value = {value:?}\n"
        ));
    }
    script.push_str(&format!("wb.save({:?})\n", path.display().to_string()));
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success(), "openpyxl could not edit the workbook");
}

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// `needsd run` as a process, its log in a file.
pub struct Running {
    child: std::process::Child,
    pub addr: String,
    pub log: PathBuf,
}

impl Running {
    pub fn start(p: &Project, name: &str) -> Running {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: the daemons run a month ahead under libfaketime; \
             run scripts/test.sh, which installs it (Debian package faketime)"
        );
        let log = p.path(&format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        // libfaketime (Debian's `faketime`, which scripts/test.sh installs) moves the
        // daemon's wall clock to [`daemon_now`]; its timers keep the real monotonic clock.
        let child = p
            .command(&["run"])
            .env("NEEDSD_LOG", "needsd=info")
            .env("LD_PRELOAD", LIBFAKETIME)
            .env(
                "FAKETIME",
                format!("+{}", daemon_clock_offset().num_seconds()),
            )
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start needsd run");
        let mut addr = None;
        eventually(&format!("{name} listens"), 30, || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            addr = text.lines().find_map(|l| {
                let i = l.find("listen=")?;
                l[i + 7..]
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .next()
                    .map(str::to_string)
            });
            addr.is_some()
        });
        Running {
            child,
            addr: addr.unwrap(),
            log,
        }
    }

    pub fn healthz(&self) -> Option<String> {
        http_get(&self.addr, "/healthz")
    }

    pub fn leads(&self) -> bool {
        self.healthz()
            .is_some_and(|h| h.starts_with("HTTP/1.1 200") && h.contains("leader: this daemon"))
    }

    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap needsd");
    }

    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Of the messages `all` (markers, subject `marker-…`, left out), checks that exactly `n`
/// recipients got something and that each got one message, maybe more than once with its
/// Message-ID (a message in flight at a fault); returns how many repeats there were.
pub fn repeats_per_recipient(all: &[Vec<u8>], n: usize) -> usize {
    let mut per_recipient: std::collections::HashMap<String, Vec<String>> = Default::default();
    for raw in all {
        let m = parse(raw);
        if m.subject().is_some_and(|s| s.starts_with("marker-")) {
            continue;
        }
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .expect("a To address")
            .to_string();
        per_recipient
            .entry(to)
            .or_default()
            .push(m.message_id().unwrap_or_default().to_string());
    }
    assert_eq!(per_recipient.len(), n, "some recipients got nothing");
    per_recipient
        .iter()
        .map(|(to, ids)| {
            assert!(
                ids.iter().all(|i| i == &ids[0]),
                "{to} got different messages: {ids:?}"
            );
            ids.len() - 1
        })
        .sum()
}
