//! `TestApp`: needsd in this process over one `App`, as `needsd run` builds it, with a
//! temporary folder, the embedded defaults (SQLite, the file outbox, a Maildir inbox), the
//! demo's directory and matrix, and a test clock. A test moves the clock, runs the jobs
//! that are due, reads what was sent, and replies as a party.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use needsd::app::App;
use needsd::clock::{Clock, TestClock};
use needsd::config::Config;
use needsd::daemon::Health;
use needsd::model::Cycle;
use needsd::schedule::Job;
use needsd::workflow::{self, IngestReport, SendBy, files};

use crate::common::{self, Db};

pub struct TestApp {
    pub app: Arc<App>,
    pub clock: Arc<TestClock>,
    dir: tempfile::TempDir,
    health: Health,
    wake: tokio::sync::Notify,
    /// The outbox files already returned by `drain_outbox`.
    seen: Mutex<BTreeSet<PathBuf>>,
}

/// A message needsd sent, as its recipient sees it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub reply_to: Option<String>,
    pub text: String,
    /// The workbook attached, with its file name.
    pub workbook: Option<(String, Vec<u8>)>,
    /// The link and the mailto of its `List-Unsubscribe`.
    pub list_unsubscribe: Option<(String, String)>,
}

impl Mail {
    fn parse(raw: Vec<u8>) -> Mail {
        use mail_parser::MimeHeaders;
        let m = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("needsd writes parseable mail");
        let first = |a: Option<&mail_parser::Address<'_>>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_string)
        };
        let workbook = m.attachments().next().map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                a.contents().to_vec(),
            )
        });
        Mail {
            to: first(m.to()).expect("a To address"),
            subject: m.subject().unwrap_or_default().to_string(),
            message_id: m.message_id().expect("a Message-ID").to_string(),
            reply_to: first(m.reply_to()),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            workbook,
            list_unsubscribe: m.header_raw("List-Unsubscribe").and_then(|v| {
                let inside: Vec<String> = v
                    .split(['<', '>'])
                    .map(|s| s.split_whitespace().collect::<String>())
                    .filter(|s| !s.is_empty() && s != ",")
                    .collect();
                match &inside[..] {
                    [url, mailto] => Some((url.clone(), mailto.clone())),
                    _ => None,
                }
            }),
        }
    }
}

/// What a respondent's reply says.
pub enum Reply<'a> {
    /// "No changes" in words, no attachment.
    NoChanges,
    /// The circulated workbook, edited with openpyxl: `(need, header, value)` cells.
    Edited(&'a [(&'a str, &'a str, &'a str)]),
    /// These bytes attached under this name.
    Attached(&'a str, &'a [u8]),
}

/// `hour`:00 on `day` of `cycle`, New York time (the embedded defaults' zone), in UTC.
pub fn new_york(cycle: Cycle, day: u32, hour: u32) -> DateTime<Utc> {
    let local = cycle
        .day(day)
        .and_hms_opt(hour, 0, 0)
        .expect("a valid hour");
    chrono_tz::America::New_York
        .from_local_datetime(&local)
        .earliest()
        .expect("a time that exists")
        .with_timezone(&Utc)
}

impl TestApp {
    /// A new installation at `now` on SQLite: every Party seeded, the demo's contacts
    /// and matrix imported, nothing sent yet.
    pub async fn new(now: DateTime<Utc>) -> TestApp {
        Self::on(Db::Sqlite, now).await
    }

    /// [`TestApp::new`] on database `db`.
    pub async fn on(db: Db, now: DateTime<Utc>) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = match db {
            Db::Sqlite => None,
            // Created on a thread of its own: `pglab` runs its own runtime.
            Db::Postgres => Some(
                tokio::task::spawn_blocking(common::pglab)
                    .await
                    .expect("the PostgreSQL lab"),
            ),
        };
        let mut text = needsd::config::EMBEDDED_DEFAULTS
            .replace("data/", &format!("{}/data/", dir.path().display()))
            .replace("127.0.0.1:8080", "127.0.0.1:0");
        if let Some(url) = url {
            let at = text
                .find("url = ")
                .expect("the defaults name a database url");
            let end = at + text[at..].find('\n').expect("a line");
            text.replace_range(at..end, &format!("url = \"{url}\""));
        }
        let no_env = std::collections::BTreeMap::<String, String>::new();
        let cfg = Config::from_toml(&text, "the embedded defaults", &no_env)
            .expect("the embedded defaults load");
        let clock = Arc::new(TestClock::new(now));
        let (app, _) = App::init(Arc::new(cfg), Arc::clone(&clock) as Arc<dyn Clock>)
            .await
            .expect("init");
        let t = TestApp {
            app: Arc::new(app),
            clock,
            dir,
            health: Health::default(),
            wake: tokio::sync::Notify::new(),
            seen: Mutex::new(BTreeSet::new()),
        };
        let contacts = t.write(
            "contacts.csv",
            include_bytes!("../../config/demo/contacts.csv"),
        );
        let matrix = t.write("matrix.csv", include_bytes!("../../config/demo/matrix.csv"));
        files::import_contacts(&t.app, &contacts, false)
            .await
            .expect("the demo contacts import");
        files::import_matrix(&t.app, &matrix, false)
            .await
            .expect("the demo matrix imports");
        t
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock to `t` (forward or back, as a test needs).
    pub fn advance_to(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }

    /// One scheduler pass at the clock's time, as the daemon's scheduler makes it: every
    /// due job not yet run, in order. Returns the jobs run with their outcomes; a job that
    /// failed fails the test.
    pub async fn run_due_jobs(&self) -> Vec<(Job, String)> {
        let pass = needsd::daemon::run_due(&self.app, self.now(), &self.health, &self.wake).await;
        pass.ran
            .into_iter()
            .map(|(job, outcome)| match outcome {
                Ok(o) => (job, o),
                Err(e) => panic!("the {} job failed: {e}", job.name()),
            })
            .collect()
    }

    /// Sends what the outbox holds (to the file outbox) and returns the messages written
    /// since the last call, in the order of their file names.
    pub async fn drain_outbox(&self) -> Vec<Mail> {
        workflow::send_now(&self.app, std::time::Duration::ZERO)
            .await
            .expect("the outbox drains");
        let dir = self.outbox_dir();
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .map(|e| e.expect("an outbox entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        let mut seen = self.seen.lock().expect("not poisoned");
        names
            .into_iter()
            .filter(|p| seen.insert(p.clone()))
            .map(|p| Mail::parse(std::fs::read(&p).expect("read an outbox file")))
            .collect()
    }

    fn outbox_dir(&self) -> PathBuf {
        match &self.app.cfg.outbound {
            needsd::config::Outbound::File { dir } => dir.clone(),
            other => panic!("TestApp sends to files, not {other:?}"),
        }
    }

    fn maildir(&self) -> PathBuf {
        match &self.app.cfg.inbound {
            needsd::config::Inbound::Maildir { dir } => dir.clone(),
            other => panic!("TestApp reads a Maildir, not {other:?}"),
        }
    }

    /// Puts `raw` in the Maildir inbox as a delivery agent does (tmp, then new).
    pub fn deliver(&self, raw: &[u8]) {
        common::review::deliver_to_maildir(&self.maildir(), raw);
    }

    /// Reads the inbox once, as `needsd ingest --once` does.
    pub async fn ingest(&self) -> IngestReport {
        workflow::ingest_once(&self.app, &SendBy::Pass)
            .await
            .expect("the inbox is read")
    }

    /// Replies to `circulation` from its recipient, as a mail program would, and reads
    /// the inbox.
    pub async fn reply(&self, circulation: &Mail, reply: Reply<'_>) -> IngestReport {
        let raw = self.reply_bytes(circulation, &circulation.to, reply);
        self.deliver(&raw);
        self.ingest().await
    }

    /// The bytes of a reply to `circulation` sent by `from`.
    pub fn reply_bytes(&self, circulation: &Mail, from: &str, reply: Reply<'_>) -> Vec<u8> {
        let to = circulation
            .reply_to
            .clone()
            .expect("a circulation has a Reply-To");
        let in_reply_to = format!("<{}>", circulation.message_id);
        match reply {
            Reply::NoChanges => format!(
                "From: {from}\r\nTo: {to}\r\nSubject: Re: {}\r\nIn-Reply-To: {in_reply_to}\r\n\
                 Message-ID: <{}@respondent.test>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\nThank you. No changes this month.\r\n",
                circulation.subject,
                common::unique("r"),
            )
            .into_bytes(),
            Reply::Edited(edits) => {
                let (name, bytes) = circulation
                    .workbook
                    .clone()
                    .expect("the circulation carries a workbook");
                let file = self.write(&format!("{}.xlsx", common::unique("edit")), &bytes);
                common::edit_workbook(&file, edits);
                let edited = std::fs::read(&file).expect("the edited workbook");
                common::reply_with_attachment(from, &to, &in_reply_to, &name, &edited)
            }
            Reply::Attached(name, bytes) => {
                common::reply_with_attachment(from, &to, &in_reply_to, name, bytes)
            }
        }
    }
}
