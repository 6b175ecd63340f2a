//! Configuration: one TOML file, validated completely at load.
//!
//! A raw serde layer (`deny_unknown_fields`) mirrors the file; [`Config`] holds only checked,
//! typed values. Every failure is one sentence naming the file, the key and the value.
//! Secrets are read from environment variables whose names the file gives, never from
//! the file itself, and print as `[redacted]`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use thiserror::Error;

use crate::model::{Area, AreaCode, DEFAULT_AREAS, EmailAddress, Field};
use crate::schedule::CronSpec;

/// The embedded defaults: SQLite under `data/`, file outbox, Maildir inbox, web on loopback.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../config/needsd.toml");
const EMBEDDED_NAME: &str = "config/needsd.toml (embedded defaults)";

/// Why a configuration was refused. Each renders as one sentence naming file, key and value.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}, line {line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: unknown key '{key}'{hint}")]
    UnknownKey {
        file: String,
        key: String,
        hint: String,
    },
    #[error("{file}: key '{key}' = {value}: {reason}")]
    Invalid {
        file: String,
        key: String,
        value: String,
        reason: String,
    },
    #[error("{file}: {reason}")]
    Missing { file: String, reason: String },
    #[error("{file}: key '{key}' names the environment variable {var}, which is not set{hint}")]
    MissingSecret {
        file: String,
        key: String,
        var: String,
        hint: String,
    },
    #[error("{file}: cannot keep the generated token secret in {path}: {source}")]
    SecretFile {
        file: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A secret value from the environment. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Self(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A display name and an address, as in `Matrix of Needs <needs@ctc.example>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Mailbox {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some((name, rest)) = t.rsplit_once('<') {
            let addr = rest
                .strip_suffix('>')
                .ok_or_else(|| "has '<' without a closing '>'".to_string())?;
            let address = EmailAddress::parse(addr).map_err(|e| e.to_string())?;
            let name = name.trim().trim_matches('"').trim();
            Ok(Self {
                name: (!name.is_empty()).then(|| name.to_string()),
                address,
            })
        } else {
            Ok(Self {
                name: None,
                address: EmailAddress::parse(t).map_err(|e| e.to_string())?,
            })
        }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

/// Transport security for SMTP and IMAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    None,
    Starttls,
    Tls,
}

/// How needsd proves who it is to a mail server.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    None,
    Password {
        username: String,
        password: Secret,
    },
    /// XOAUTH2: the access token is the output of this command, run when needed (isync's
    /// PassCmd convention), so an operator can plug in their tenant's token tool.
    OAuth2 {
        username: String,
        token_command: String,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where this configuration came from, for messages.
    pub file: String,
    pub database: DatabaseConfig,
    pub schedule: ScheduleConfig,
    pub mail: MailConfig,
    pub outbound: Outbound,
    pub inbound: Inbound,
    pub web: WebConfig,
    pub limits: Limits,
    pub policy: PolicyConfig,
    pub areas: Vec<Area>,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub timezone: Tz,
    pub dispatch: CronSpec,
    pub reminders: Vec<CronSpec>,
    pub deadline_day: u32,
    pub deadline_alert: CronSpec,
    pub digest: CronSpec,
    /// When one-off deadlines (`needsd deadline add`) are checked for today's alerts.
    pub deadlines: CronSpec,
    /// When the experts are alerted, two days before the next dispatch, that changes
    /// still await a decision (checked at each firing; sent only on that day).
    pub review_alert: CronSpec,
    /// When the inbox is looked at where IMAP IDLE does not tell of new mail at once
    /// (a Maildir, a server without IDLE); an IDLE is renewed at each.
    pub inbox_poll: CronSpec,
}

impl ScheduleConfig {
    /// Every scheduled job with its schedule, for the scheduler.
    pub fn timetable(&self) -> crate::schedule::Timetable {
        use crate::schedule::Job;
        let mut jobs = vec![(Job::Dispatch, self.dispatch.clone())];
        jobs.extend(self.reminders.iter().map(|r| (Job::Reminder, r.clone())));
        jobs.push((Job::DeadlineAlert, self.deadline_alert.clone()));
        jobs.push((Job::Digest, self.digest.clone()));
        jobs.push((Job::Deadlines, self.deadlines.clone()));
        jobs.push((Job::ReviewAlert, self.review_alert.clone()));
        crate::schedule::Timetable {
            timezone: self.timezone,
            jobs,
        }
    }

    /// How long until the next look at the inbox.
    pub fn until_poll(&self, now: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
        self.inbox_poll
            .next_after(now, self.timezone)
            .and_then(|t| (t - now).to_std().ok())
            .unwrap_or(std::time::Duration::from_secs(60))
    }
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub from: Mailbox,
    pub reply_to: EmailAddress,
    pub experts: Vec<EmailAddress>,
    pub token_secret: Secret,
    /// Whose Authentication-Results to trust; without it, DMARC verdicts are not used.
    pub authserv_id: Option<String>,
    /// Trust the topmost Authentication-Results header whatever server it names (for a
    /// receiving server that writes no authserv-id, as Microsoft 365 does).
    pub trust_topmost_auth_results: bool,
    /// Whether the sender of a submission is told by mail once the experts have decided it.
    pub notify_decisions: bool,
}

#[derive(Debug, Clone)]
pub enum Outbound {
    /// One `.eml` file per message in a folder: for trying needsd without a mail server.
    File {
        dir: PathBuf,
    },
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub auth: Auth,
    pub rate_per_minute: u32,
    pub max_connections: u32,
    pub timeout_seconds: u64,
    /// The wait before the first retry of a deferred message; it doubles, up to an hour.
    pub retry_seconds: u64,
    /// Attempts before a message that keeps being deferred is marked failed.
    pub max_attempts: u32,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum Inbound {
    Maildir { dir: PathBuf },
    Imap(ImapConfig),
}

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub auth: Auth,
    pub mailbox: String,
    pub processed_mailbox: String,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub listen: SocketAddr,
    /// How long a review UI login lasts.
    pub session_hours: u32,
    /// Mark the session cookie `Secure` (behind a TLS reverse proxy).
    pub secure_cookie: bool,
    /// The bearer token that opens `/healthz` and `/metrics` to other machines than this
    /// one (from the environment variable `web.ops_token_env` names).
    pub ops_token: Option<Secret>,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Connections the web server keeps open at once.
    pub max_connections: usize,
    /// Time a client gets to send a request's headers (or to start the next request on
    /// a kept-alive connection), and again to send its body and get its answer.
    pub client_timeout: std::time::Duration,
}

/// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let net: std::net::IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix.parse().ok()?
        };
        (prefix <= max).then_some(Self { net, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        // Both as 128 bits, IPv4 (and IPv4-mapped IPv6) in the top 32, with their width:
        // a block only ever contains addresses of its own family.
        let bits = |ip: std::net::IpAddr| match ip {
            std::net::IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, 32),
            std::net::IpAddr::V6(v) => match v.to_ipv4_mapped() {
                Some(v4) => (u128::from(u32::from(v4)) << 96, 32),
                None => (u128::from(v), 128),
            },
        };
        let ((net, width), (ip, ip_width)) = (bits(self.net), bits(ip));
        let mask = u128::MAX
            .checked_shl(128 - u32::from(self.prefix))
            .unwrap_or(0);
        width == ip_width && net & mask == ip & mask
    }
}

/// Limits on what a reply may make needsd read, enforced before a file is fully loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    pub attachment_bytes: u64,
    pub decompressed_bytes: u64,
    pub rows: u64,
    pub cells: u64,
    /// The text all the cells of one workbook may hold together (a string shared by many
    /// cells counts once per cell).
    pub text_bytes: u64,
    /// The address space of the process that reads an untrusted file.
    pub reader_memory_bytes: u64,
    /// The CPU time that process may spend on one file.
    pub reader_cpu_seconds: u64,
    /// Workbooks read from one message; the rest are listed, not read.
    pub attachments: usize,
    /// Receipts one address may get in an hour.
    pub receipts_per_address: u64,
    /// Receipts the addresses of one domain may get together in an hour.
    pub receipts_per_domain: u64,
    /// The largest message fetched whole; of a larger one only the headers are kept.
    pub message_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            attachment_bytes: 20_000_000,
            decompressed_bytes: 200_000_000,
            rows: 50_000,
            cells: 2_000_000,
            text_bytes: 50_000_000,
            reader_memory_bytes: 192 * 1024 * 1024,
            reader_cpu_seconds: 10,
            attachments: 10,
            message_bytes: 25_000_000,
            receipts_per_address: 5,
            receipts_per_domain: 200,
        }
    }
}

/// Who may change what, before the expert review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Fields a State's contact may change on its own State's needs.
    pub state_fields: Vec<Field>,
    /// Whether a State's contact may propose new needs for its own State.
    pub state_may_add: bool,
    /// Fields an organization's contact may change on any need.
    pub organization_fields: Vec<Field>,
    /// Whether an organization's contact may set a need's status to Withdrawn.
    pub organization_may_withdraw: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            state_fields: vec![
                Field::Area,
                Field::Description,
                Field::Priority,
                Field::Status,
                Field::Provider,
                Field::Notes,
            ],
            state_may_add: true,
            organization_fields: vec![Field::Status, Field::Provider, Field::Notes],
            organization_may_withdraw: false,
        }
    }
}

// ------------------------------------------------------------------ the raw file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    schedule: RawSchedule,
    mail: RawMail,
    outbox: Option<RawOutbox>,
    smtp: Option<RawSmtp>,
    maildir: Option<RawMaildir>,
    imap: Option<RawImap>,
    #[serde(default)]
    web: RawWeb,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    areas: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDatabase {
    url: String,
}
impl Default for RawDatabase {
    fn default() -> Self {
        Self {
            url: "sqlite://data/needsd.db".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSchedule {
    timezone: String,
    dispatch: String,
    reminders: Vec<String>,
    deadline_day: i64,
    deadline_alert: String,
    digest: String,
    deadlines: String,
    review_alert: String,
    inbox_poll: String,
}
impl Default for RawSchedule {
    fn default() -> Self {
        Self {
            timezone: "America/New_York".into(),
            dispatch: "0 0 9 1 * *".into(),
            reminders: vec!["0 0 9 8 * *".into(), "0 0 9 13 * *".into()],
            deadline_day: 15,
            deadline_alert: "0 0 9 15 * *".into(),
            digest: "0 0 9 16 * *".into(),
            deadlines: "0 0 9 * * *".into(),
            review_alert: "0 0 9 * * *".into(),
            inbox_poll: "0 * * * * *".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    from: String,
    reply_to: String,
    #[serde(default)]
    experts: Vec<String>,
    #[serde(default = "default_token_env")]
    token_secret_env: String,
    /// Where a generated token secret is kept when the environment variable is not set.
    /// Meant for the embedded defaults only; absent in production, where a missing
    /// secret is an error.
    token_secret_file: Option<String>,
    /// The authserv-id of the operator's receiving server, whose Authentication-Results
    /// headers needsd trusts (RFC 8601).
    authserv_id: Option<String>,
    #[serde(default)]
    trust_topmost_auth_results: bool,
    #[serde(default = "yes")]
    notify_decisions: bool,
}
fn yes() -> bool {
    true
}
fn default_token_env() -> String {
    "NEEDSD_TOKEN_SECRET".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbox {
    dir: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    #[serde(default = "default_smtp_port")]
    port: i64,
    #[serde(default = "default_starttls")]
    tls: String,
    username: Option<String>,
    password_env: Option<String>,
    token_command: Option<String>,
    #[serde(default = "default_rate")]
    rate_per_minute: i64,
    #[serde(default = "default_connections")]
    max_connections: i64,
    #[serde(default = "default_timeout")]
    timeout_seconds: i64,
    #[serde(default = "default_retry")]
    retry_seconds: i64,
    #[serde(default = "default_attempts")]
    max_attempts: i64,
    ca_file: Option<String>,
}
fn default_retry() -> i64 {
    60
}
fn default_attempts() -> i64 {
    10
}
fn default_smtp_port() -> i64 {
    587
}
fn default_starttls() -> String {
    "starttls".into()
}
fn default_rate() -> i64 {
    30
}
fn default_connections() -> i64 {
    3
}
fn default_timeout() -> i64 {
    60
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaildir {
    dir: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImap {
    host: String,
    #[serde(default = "default_imap_port")]
    port: i64,
    #[serde(default = "default_tls")]
    tls: String,
    username: Option<String>,
    password_env: Option<String>,
    token_command: Option<String>,
    #[serde(default = "default_inbox")]
    mailbox: String,
    #[serde(default = "default_processed")]
    processed_mailbox: String,
    ca_file: Option<String>,
}
fn default_imap_port() -> i64 {
    993
}
fn default_tls() -> String {
    "tls".into()
}
fn default_inbox() -> String {
    "INBOX".into()
}
fn default_processed() -> String {
    "Processed".into()
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawWeb {
    listen: String,
    session_hours: u32,
    secure_cookie: bool,
    ops_token_env: Option<String>,
    trusted_proxies: Vec<String>,
    max_connections: i64,
    client_timeout_seconds: i64,
}
impl Default for RawWeb {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            session_hours: 12,
            secure_cookie: false,
            ops_token_env: None,
            trusted_proxies: Vec::new(),
            max_connections: 256,
            client_timeout_seconds: 10,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLimits {
    attachment_bytes: i64,
    decompressed_bytes: i64,
    rows: i64,
    cells: i64,
    text_bytes: i64,
    reader_memory_bytes: i64,
    reader_cpu_seconds: i64,
    attachments: i64,
    receipts_per_address: i64,
    receipts_per_domain: i64,
    message_bytes: i64,
}
impl Default for RawLimits {
    fn default() -> Self {
        let l = Limits::default();
        Self {
            attachment_bytes: l.attachment_bytes as i64,
            decompressed_bytes: l.decompressed_bytes as i64,
            rows: l.rows as i64,
            cells: l.cells as i64,
            text_bytes: l.text_bytes as i64,
            reader_memory_bytes: l.reader_memory_bytes as i64,
            reader_cpu_seconds: l.reader_cpu_seconds as i64,
            attachments: l.attachments as i64,
            receipts_per_address: l.receipts_per_address as i64,
            receipts_per_domain: l.receipts_per_domain as i64,
            message_bytes: l.message_bytes as i64,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPolicy {
    state_fields: Vec<String>,
    state_may_add: bool,
    organization_fields: Vec<String>,
    organization_may_withdraw: bool,
}
impl Default for RawPolicy {
    fn default() -> Self {
        let p = PolicyConfig::default();
        Self {
            state_fields: p.state_fields.iter().map(|f| f.to_string()).collect(),
            state_may_add: p.state_may_add,
            organization_fields: p
                .organization_fields
                .iter()
                .map(|f| f.to_string())
                .collect(),
            organization_may_withdraw: p.organization_may_withdraw,
        }
    }
}

// ------------------------------------------------------------------ loading

/// Where the process environment is read from; tests pass a map instead of mutating the
/// real environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;
impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl Config {
    /// Loads `path`, or the embedded defaults when `path` is `None`.
    pub fn load(path: Option<&Path>, env: &dyn Env) -> Result<Self, ConfigError> {
        match path {
            Some(p) => {
                let file = p.display().to_string();
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    file: file.clone(),
                    source,
                })?;
                Self::from_toml(&text, &file, env)
            }
            None => Self::from_toml(EMBEDDED_DEFAULTS, EMBEDDED_NAME, env),
        }
    }

    /// Parses and validates a configuration text; `file` names it in messages.
    pub fn from_toml(text: &str, file: &str, env: &dyn Env) -> Result<Self, ConfigError> {
        let raw = parse_raw(text, file)?;
        validate(raw, file, env)
    }

    /// The deadline of `cycle`: 23:59:59 local time on the configured day.
    pub fn deadline(&self, cycle: crate::model::Cycle) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        let day = cycle.day(self.schedule.deadline_day);
        let local = day.and_hms_opt(23, 59, 59).unwrap_or_default();
        // 23:59:59 exists on every day in every zone we know of (DST moves happen around
        // midnight-to-3am at the latest); should a zone skip it, take the earliest mapping.
        self.schedule
            .timezone
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| self.schedule.timezone.from_utc_datetime(&local))
            .with_timezone(&chrono::Utc)
    }

    /// The deadline of `cycle` written out in the configured zone, as workbooks and mail
    /// say it: "15 December 2026, 23:59 New York time".
    pub fn deadline_text(&self, cycle: crate::model::Cycle) -> String {
        crate::workbook::write::deadline_text(
            self.deadline_local(cycle),
            self.schedule.timezone.name(),
        )
    }

    /// The deadline of `cycle` as a local time in the configured zone.
    pub fn deadline_local(&self, cycle: crate::model::Cycle) -> chrono::NaiveDateTime {
        self.deadline(cycle)
            .with_timezone(&self.schedule.timezone)
            .naive_local()
    }
}

fn parse_raw(text: &str, file: &str) -> Result<RawConfig, ConfigError> {
    let line_of = |span: Option<std::ops::Range<usize>>| {
        span.map(|r| text[..r.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0)
    };
    let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::Syntax {
        file: file.to_string(),
        line: line_of(e.span()),
        message: first_line(e.message()),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.message().to_string();
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            // The path already ends with the unknown key.
            let name = rest.split('`').next().unwrap_or_default();
            let key = if path == "." || path.is_empty() {
                name.to_string()
            } else {
                path
            };
            let hint = rest
                .split_once("expected ")
                .map(|(_, exp)| format!(" (expected {})", exp.replace('`', "'")))
                .unwrap_or_default();
            ConfigError::UnknownKey {
                file: file.to_string(),
                key,
                hint,
            }
        } else if let Some(rest) = msg.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or_default();
            let key = if path == "." || path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            ConfigError::Missing {
                file: file.to_string(),
                reason: format!("key '{key}' is required"),
            }
        } else {
            ConfigError::Syntax {
                file: file.to_string(),
                line: line_of(inner.span()),
                message: format!("key '{path}': {}", first_line(&msg)),
            }
        }
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn invalid(
        &self,
        key: &str,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    fn quoted(&self, key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
        self.invalid(key, format!("\"{value}\""), reason)
    }

    fn cron(&self, key: &str, value: &str) -> Result<CronSpec, ConfigError> {
        CronSpec::parse(value).map_err(|why| self.quoted(key, value, why))
    }

    fn positive(&self, key: &str, value: i64, max: i64) -> Result<u64, ConfigError> {
        if value < 1 || value > max {
            Err(self.invalid(key, value, format!("must be between 1 and {max}")))
        } else {
            Ok(value as u64)
        }
    }

    fn email(&self, key: &str, value: &str) -> Result<EmailAddress, ConfigError> {
        EmailAddress::parse(value).map_err(|e| self.quoted(key, value, e.to_string()))
    }

    fn tls(&self, key: &str, value: &str) -> Result<Tls, ConfigError> {
        match value {
            "none" => Ok(Tls::None),
            "starttls" => Ok(Tls::Starttls),
            "tls" => Ok(Tls::Tls),
            _ => Err(self.quoted(key, value, "must be none, starttls or tls")),
        }
    }

    fn host(&self, key: &str, value: &str) -> Result<String, ConfigError> {
        let ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if ok {
            Ok(value.to_string())
        } else {
            Err(self.quoted(key, value, "is not a host name or address"))
        }
    }

    fn env_name(&self, key: &str, value: &str) -> Result<(), ConfigError> {
        let ok = !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !value.starts_with(|c: char| c.is_ascii_digit());
        if ok {
            Ok(())
        } else {
            Err(self.quoted(key, value, "is not an environment variable name"))
        }
    }

    fn secret(&self, key: &str, var: &str, env: &dyn Env) -> Result<Secret, ConfigError> {
        self.env_name(key, var)?;
        env.var(var)
            .map(Secret)
            .ok_or_else(|| ConfigError::MissingSecret {
                file: self.file.to_string(),
                key: key.to_string(),
                var: var.to_string(),
                hint: String::new(),
            })
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per section; a struct would only rename the same arguments"
    )]
    fn auth(
        &self,
        section: &str,
        username: Option<String>,
        password_env: Option<String>,
        token_command: Option<String>,
        env: &dyn Env,
        host_is_loopback: bool,
        tls: Tls,
    ) -> Result<Auth, ConfigError> {
        let auth = match (username, password_env, token_command) {
            (None, None, None) => Auth::None,
            (Some(u), Some(var), None) => Auth::Password {
                username: u,
                password: self.secret(&format!("{section}.password_env"), &var, env)?,
            },
            (Some(u), None, Some(cmd)) => {
                if cmd.trim().is_empty() {
                    return Err(self.quoted(&format!("{section}.token_command"), &cmd, "is empty"));
                }
                Auth::OAuth2 {
                    username: u,
                    token_command: cmd,
                }
            }
            (Some(_), Some(_), Some(_)) => {
                return Err(self.invalid(
                    &format!("{section}.token_command"),
                    "(set)",
                    "give either password_env or token_command, not both",
                ));
            }
            (Some(u), None, None) => {
                return Err(self.quoted(
                    &format!("{section}.username"),
                    &u,
                    "needs password_env (the variable holding the password) or token_command (XOAUTH2)",
                ));
            }
            (None, _, _) => {
                return Err(ConfigError::Missing {
                    file: self.file.to_string(),
                    reason: format!(
                        "key '{section}.username' is required when a password or token is given"
                    ),
                });
            }
        };
        if !matches!(auth, Auth::None) && tls == Tls::None && !host_is_loopback {
            return Err(self.quoted(
                &format!("{section}.tls"),
                "none",
                "would send credentials in clear text to a host that is not loopback; use starttls or tls",
            ));
        }
        Ok(auth)
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn validate(raw: RawConfig, file: &str, env: &dyn Env) -> Result<Config, ConfigError> {
    let c = Checker { file };
    Ok(Config {
        file: file.to_string(),
        database: database(&c, &raw.database)?,
        schedule: schedule(&c, &raw.schedule)?,
        mail: mail(&c, &raw.mail, env)?,
        outbound: outbound(&c, raw.outbox, raw.smtp, env)?,
        inbound: inbound(&c, raw.maildir, raw.imap, env)?,
        web: web(&c, &raw.web, env)?,
        limits: limits(&c, &raw.limits)?,
        policy: policy(&c, &raw.policy)?,
        areas: areas(&c, &raw.areas)?,
    })
}

/// `[database]`.
fn database(c: &Checker<'_>, d: &RawDatabase) -> Result<DatabaseConfig, ConfigError> {
    let url = d.url.trim().to_string();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres:")
        || url.starts_with("postgresql:"))
    {
        return Err(c.quoted("database.url", &url, "must start with sqlite: or postgres:"));
    }
    if !url.starts_with("sqlite:") {
        return Err(c.quoted(
            "database.url",
            &url,
            "PostgreSQL is not supported by this version yet; use sqlite://PATH",
        ));
    }
    Ok(DatabaseConfig { url })
}

/// `[schedule]`.
fn schedule(c: &Checker<'_>, s: &RawSchedule) -> Result<ScheduleConfig, ConfigError> {
    let timezone: Tz = s.timezone.parse().map_err(|_| {
        c.quoted(
            "schedule.timezone",
            &s.timezone,
            "is not an IANA time zone such as America/New_York",
        )
    })?;
    let reminders = s
        .reminders
        .iter()
        .enumerate()
        .map(|(i, r)| c.cron(&format!("schedule.reminders[{i}]"), r))
        .collect::<Result<Vec<_>, _>>()?;
    if !(1..=28).contains(&s.deadline_day) {
        return Err(c.invalid(
            "schedule.deadline_day",
            s.deadline_day,
            "must be a day between 1 and 28, so that every month has it",
        ));
    }
    let schedule = ScheduleConfig {
        timezone,
        dispatch: c.cron("schedule.dispatch", &s.dispatch)?,
        reminders,
        deadline_day: s.deadline_day as u32,
        deadline_alert: c.cron("schedule.deadline_alert", &s.deadline_alert)?,
        digest: c.cron("schedule.digest", &s.digest)?,
        deadlines: c.cron("schedule.deadlines", &s.deadlines)?,
        review_alert: c.cron("schedule.review_alert", &s.review_alert)?,
        inbox_poll: c.cron("schedule.inbox_poll", &s.inbox_poll)?,
    };
    Ok(schedule)
}

/// `[mail]`.
fn mail(c: &Checker<'_>, m: &RawMail, env: &dyn Env) -> Result<MailConfig, ConfigError> {
    let file = c.file;
    let from = Mailbox::parse(&m.from).map_err(|why| c.quoted("mail.from", &m.from, why))?;
    let reply_to = c.email("mail.reply_to", &m.reply_to)?;
    if reply_to.local_part().contains('+') {
        return Err(c.quoted(
            "mail.reply_to",
            &m.reply_to,
            "must be a plain address: needsd adds +TOKEN to it for each recipient",
        ));
    }
    let experts = m
        .experts
        .iter()
        .enumerate()
        .map(|(i, e)| c.email(&format!("mail.experts[{i}]"), e))
        .collect::<Result<Vec<_>, _>>()?;
    c.env_name("mail.token_secret_env", &m.token_secret_env)?;
    let token_secret = match env.var(&m.token_secret_env) {
        Some(v) => Secret(v),
        None => match &m.token_secret_file {
            Some(path) => generated_secret(file, Path::new(path))?,
            None => {
                return Err(ConfigError::MissingSecret {
                    file: file.to_string(),
                    key: "mail.token_secret_env".into(),
                    var: m.token_secret_env.clone(),
                    hint: " (set it to a random string of at least 32 characters)".into(),
                });
            }
        },
    };
    if token_secret.0.len() < 32 {
        return Err(c.invalid(
            "mail.token_secret_env",
            &m.token_secret_env,
            "the secret in that variable is shorter than 32 characters",
        ));
    }
    let authserv_id = match m.authserv_id.clone() {
        Some(id)
            if id.trim().is_empty() || id.contains(char::is_whitespace) || id.contains(';') =>
        {
            return Err(c.quoted(
                "mail.authserv_id",
                &id,
                "is not a server name (e.g. mx.ctc.example)",
            ));
        }
        other => other,
    };
    if m.trust_topmost_auth_results && authserv_id.is_some() {
        return Err(c.invalid(
            "mail.trust_topmost_auth_results",
            true,
            "is for a receiving server that writes no authserv-id; with mail.authserv_id set, \
             remove one of the two",
        ));
    }
    let mail = MailConfig {
        from,
        reply_to,
        experts,
        token_secret,
        authserv_id,
        trust_topmost_auth_results: m.trust_topmost_auth_results,
        notify_decisions: m.notify_decisions,
    };
    Ok(mail)
}

/// `[outbox]` or `[smtp]`: exactly one.
fn outbound(
    c: &Checker<'_>,
    outbox: Option<RawOutbox>,
    smtp: Option<RawSmtp>,
    env: &dyn Env,
) -> Result<Outbound, ConfigError> {
    let file = c.file;
    let outbound = match (outbox, smtp) {
        (Some(o), None) => {
            if o.dir.trim().is_empty() {
                return Err(c.quoted("outbox.dir", &o.dir, "is empty"));
            }
            Outbound::File {
                dir: PathBuf::from(o.dir),
            }
        }
        (None, Some(s)) => {
            let host = c.host("smtp.host", &s.host)?;
            let tls = c.tls("smtp.tls", &s.tls)?;
            let loopback = is_loopback(&host);
            Outbound::Smtp(SmtpConfig {
                auth: c.auth(
                    "smtp",
                    s.username,
                    s.password_env,
                    s.token_command,
                    env,
                    loopback,
                    tls,
                )?,
                host,
                port: c.positive("smtp.port", s.port, 65535)? as u16,
                tls,
                rate_per_minute: c.positive("smtp.rate_per_minute", s.rate_per_minute, 100_000)?
                    as u32,
                max_connections: c.positive("smtp.max_connections", s.max_connections, 100)? as u32,
                timeout_seconds: c.positive("smtp.timeout_seconds", s.timeout_seconds, 3600)?,
                retry_seconds: c.positive("smtp.retry_seconds", s.retry_seconds, 86_400)?,
                max_attempts: c.positive("smtp.max_attempts", s.max_attempts, 1000)? as u32,
                ca_file: s.ca_file.map(PathBuf::from),
            })
        }
        (Some(_), Some(_)) => {
            return Err(ConfigError::Missing {
                file: file.to_string(),
                reason: "has both [outbox] (write mail to files) and [smtp]; keep exactly one"
                    .into(),
            });
        }
        (None, None) => {
            return Err(ConfigError::Missing {
                file: file.to_string(),
                reason: "has neither [smtp] nor [outbox]; say how mail is sent".into(),
            });
        }
    };
    Ok(outbound)
}

/// `[maildir]` or `[imap]`: exactly one.
fn inbound(
    c: &Checker<'_>,
    maildir: Option<RawMaildir>,
    imap: Option<RawImap>,
    env: &dyn Env,
) -> Result<Inbound, ConfigError> {
    let file = c.file;
    let inbound = match (maildir, imap) {
        (Some(md), None) => {
            if md.dir.trim().is_empty() {
                return Err(c.quoted("maildir.dir", &md.dir, "is empty"));
            }
            Inbound::Maildir {
                dir: PathBuf::from(md.dir),
            }
        }
        (None, Some(i)) => {
            let host = c.host("imap.host", &i.host)?;
            let tls = c.tls("imap.tls", &i.tls)?;
            let loopback = is_loopback(&host);
            if i.mailbox == i.processed_mailbox {
                return Err(c.quoted(
                    "imap.processed_mailbox",
                    &i.processed_mailbox,
                    "must differ from imap.mailbox, or processed mail would be read again",
                ));
            }
            Inbound::Imap(ImapConfig {
                auth: c.auth(
                    "imap",
                    i.username,
                    i.password_env,
                    i.token_command,
                    env,
                    loopback,
                    tls,
                )?,
                host,
                port: c.positive("imap.port", i.port, 65535)? as u16,
                tls,
                mailbox: i.mailbox,
                processed_mailbox: i.processed_mailbox,
                ca_file: i.ca_file.map(PathBuf::from),
            })
        }
        (Some(_), Some(_)) => {
            return Err(ConfigError::Missing {
                file: file.to_string(),
                reason: "has both [maildir] and [imap]; keep exactly one".into(),
            });
        }
        (None, None) => {
            return Err(ConfigError::Missing {
                file: file.to_string(),
                reason: "has neither [imap] nor [maildir]; say where replies arrive".into(),
            });
        }
    };
    Ok(inbound)
}

/// `[web]`.
fn web(c: &Checker<'_>, w: &RawWeb, env: &dyn Env) -> Result<WebConfig, ConfigError> {
    let listen: SocketAddr = w.listen.parse().map_err(|_| {
        c.quoted(
            "web.listen",
            &w.listen,
            "is not an address and port such as 127.0.0.1:8080",
        )
    })?;
    if !(1..=24 * 30).contains(&w.session_hours) {
        return Err(c.quoted(
            "web.session_hours",
            &w.session_hours.to_string(),
            "is not between 1 and 720",
        ));
    }

    let trusted_proxies = w
        .trusted_proxies
        .iter()
        .map(|p| {
            Cidr::parse(p).ok_or_else(|| {
                c.quoted(
                    "web.trusted_proxies",
                    p,
                    "is not an address or block such as 127.0.0.1/32 or 10.0.0.0/8",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ops_token = match &w.ops_token_env {
        Some(var) => Some(c.secret("web.ops_token_env", var, env)?),
        None => None,
    };
    Ok(WebConfig {
        listen,
        session_hours: w.session_hours,
        secure_cookie: w.secure_cookie,
        ops_token,
        trusted_proxies,
        max_connections: c.positive("web.max_connections", w.max_connections, 65_536)? as usize,
        // Below the ten minutes a connection lives at most.
        client_timeout: std::time::Duration::from_secs(c.positive(
            "web.client_timeout_seconds",
            w.client_timeout_seconds,
            300,
        )?),
    })
}

/// `[limits]`.
fn limits(c: &Checker<'_>, l: &RawLimits) -> Result<Limits, ConfigError> {
    let limits = Limits {
        attachment_bytes: c.positive("limits.attachment_bytes", l.attachment_bytes, i64::MAX)?,
        decompressed_bytes: c.positive(
            "limits.decompressed_bytes",
            l.decompressed_bytes,
            i64::MAX,
        )?,
        rows: c.positive("limits.rows", l.rows, 1_048_576)?,
        cells: c.positive("limits.cells", l.cells, i64::MAX)?,
        text_bytes: c.positive("limits.text_bytes", l.text_bytes, i64::MAX)?,
        // Below 64 MiB the reader could not even start.
        reader_memory_bytes: if l.reader_memory_bytes < 64 * 1024 * 1024 {
            return Err(c.invalid(
                "limits.reader_memory_bytes",
                l.reader_memory_bytes,
                "must be at least 67108864 (64 MiB)",
            ));
        } else {
            l.reader_memory_bytes as u64
        },
        reader_cpu_seconds: c.positive("limits.reader_cpu_seconds", l.reader_cpu_seconds, 3600)?,
        attachments: c.positive("limits.attachments", l.attachments, 1000)? as usize,
        receipts_per_address: c.positive(
            "limits.receipts_per_address",
            l.receipts_per_address,
            i64::MAX,
        )?,
        receipts_per_domain: c.positive(
            "limits.receipts_per_domain",
            l.receipts_per_domain,
            i64::MAX,
        )?,
        // An IMAP server gives sizes as 32-bit numbers.
        message_bytes: c.positive("limits.message_bytes", l.message_bytes, i64::from(u32::MAX))?,
    };
    Ok(limits)
}

/// `[policy]`.
fn policy(c: &Checker<'_>, p: &RawPolicy) -> Result<PolicyConfig, ConfigError> {
    let fields = |key: &str, names: &[String]| -> Result<Vec<Field>, ConfigError> {
        names
            .iter()
            .map(|n| Field::parse(n).map_err(|e| c.quoted(key, n, e.to_string())))
            .collect()
    };
    let policy = PolicyConfig {
        state_fields: fields("policy.state_fields", &p.state_fields)?,
        state_may_add: p.state_may_add,
        organization_fields: fields("policy.organization_fields", &p.organization_fields)?,
        organization_may_withdraw: p.organization_may_withdraw,
    };
    if policy.state_fields.contains(&Field::State) {
        return Err(c.quoted(
            "policy.state_fields",
            "state",
            "a State's contact cannot move a need to another State",
        ));
    }
    Ok(policy)
}

/// `[areas]`: the defaults, plus codes the operator adds or relabels.
fn areas(c: &Checker<'_>, raw: &BTreeMap<String, String>) -> Result<Vec<Area>, ConfigError> {
    let mut areas: Vec<Area> = DEFAULT_AREAS
        .iter()
        .map(|(code, label)| Area {
            code: AreaCode::parse(code)
                .unwrap_or_else(|_| unreachable!("default area codes are valid")),
            label: (*label).to_string(),
        })
        .collect();
    for (code, label) in raw {
        let key = format!("areas.{code}");
        let code = AreaCode::parse(code).map_err(|e| c.quoted(&key, code, e.to_string()))?;
        if label.trim().is_empty() {
            return Err(c.quoted(&key, label, "needs a label"));
        }
        match areas.iter_mut().find(|a| a.code == code) {
            Some(a) => a.label = label.trim().to_string(),
            None => areas.push(Area {
                code,
                label: label.trim().to_string(),
            }),
        }
    }
    Ok(areas)
}

/// Reads the generated token secret, or creates it (64 hex characters from the OS random
/// source) with mode 0600 the first time.
fn generated_secret(file: &str, path: &Path) -> Result<Secret, ConfigError> {
    let fail = |source: std::io::Error| ConfigError::SecretFile {
        file: file.to_string(),
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(Secret(s.trim().to_string())),
        Ok(_) => {
            return Err(fail(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "it holds fewer than 32 characters",
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| fail(std::io::Error::other(e.to_string())))?;
    let secret = hex::encode(bytes);
    crate::fsutil::write_atomic_private(path, secret.as_bytes()).map_err(fail)?;
    Ok(Secret(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("NEEDSD_TOKEN_SECRET".to_string(), "x".repeat(40)),
            ("SMTP_PW".to_string(), "hunter2".to_string()),
        ])
    }

    const MINIMAL: &str = r#"
[mail]
from = "Matrix of Needs <needs@ctc.example>"
reply_to = "needs@ctc.example"
[outbox]
dir = "data/outbox"
[maildir]
dir = "data/inbox"
"#;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, "t.toml", &env())
    }

    #[test]
    fn embedded_defaults_load() {
        let dir = tempfile::tempdir().unwrap();
        let text = EMBEDDED_DEFAULTS.replace("data/", &format!("{}/", dir.path().display()));
        let cfg = Config::from_toml(&text, "embedded", &BTreeMap::new()).unwrap();
        assert!(matches!(cfg.outbound, Outbound::File { .. }));
        assert!(matches!(cfg.inbound, Inbound::Maildir { .. }));
        assert!(cfg.web.listen.ip().is_loopback());
        // The generated secret is kept and reused.
        let again = Config::from_toml(&text, "embedded", &BTreeMap::new()).unwrap();
        assert_eq!(cfg.mail.token_secret, again.mail.token_secret);
        assert_eq!(cfg.areas.len(), 8);
    }

    #[test]
    fn example_config_documents_a_valid_production_setup() {
        let text = include_str!("../config/needsd.example.toml");
        let env = BTreeMap::from([
            ("NEEDSD_TOKEN_SECRET".to_string(), "y".repeat(64)),
            ("NEEDSD_SMTP_PASSWORD".to_string(), "pw".to_string()),
            ("NEEDSD_IMAP_PASSWORD".to_string(), "pw".to_string()),
        ]);
        let cfg = Config::from_toml(text, "example", &env).unwrap();
        assert!(matches!(cfg.outbound, Outbound::Smtp(_)));
        assert!(matches!(cfg.inbound, Inbound::Imap(_)));
        // A production config without the secret is refused, naming the variable.
        let err = Config::from_toml(text, "example", &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("NEEDSD_TOKEN_SECRET"), "{err}");
    }

    #[test]
    fn minimal_config_takes_defaults() {
        let cfg = load(MINIMAL).unwrap();
        assert_eq!(cfg.schedule.deadline_day, 15);
        assert_eq!(cfg.schedule.reminders.len(), 2);
        assert_eq!(cfg.limits, Limits::default());
        assert_eq!(cfg.policy, PolicyConfig::default());
    }

    #[test]
    fn unknown_keys_are_named_with_their_section() {
        let err = load(&format!(
            "{MINIMAL}\n[schedule]\ndispatchh = \"0 0 9 1 * *\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("t.toml: unknown key 'schedule.dispatchh'"),
            "{err}"
        );
        let err = load(&format!("{MINIMAL}\n[smpt]\nhost = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown key 'smpt'"), "{err}");
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let cases = [
            (
                "[schedule]\ntimezone = \"Mars/Olympus\"",
                "schedule.timezone",
                "Mars/Olympus",
            ),
            (
                "[schedule]\ndispatch = \"0 0 25 1 * *\"",
                "schedule.dispatch",
                "0 0 25 1 * *",
            ),
            (
                "[schedule]\ndeadline_day = 31",
                "schedule.deadline_day",
                "31",
            ),
            ("[web]\nlisten = \"localhost\"", "web.listen", "localhost"),
            ("[web]\nmax_connections = 0", "web.max_connections", "0"),
            (
                "[web]\nclient_timeout_seconds = 7200",
                "web.client_timeout_seconds",
                "7200",
            ),
            ("[limits]\nrows = 0", "limits.rows", "0"),
            (
                "[policy]\norganization_fields = [\"colour\"]",
                "policy.organization_fields",
                "colour",
            ),
            ("[areas]\nL3G = \"x\"", "areas.L3G", "L3G"),
        ];
        for (extra, key, value) in cases {
            let err = load(&format!("{MINIMAL}\n{extra}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("'{key}'")) && err.contains(value),
                "{extra}: {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn syntax_errors_give_a_line() {
        let err = load("[mail]\nfrom = \n").unwrap_err().to_string();
        assert!(err.starts_with("t.toml, line 2:"), "{err}");
    }

    #[test]
    fn smtp_secrets_come_from_the_environment() {
        let base = MINIMAL.replace("[outbox]\ndir = \"data/outbox\"", "");
        let smtp = "[smtp]\nhost = \"smtp.example.org\"\nusername = \"needs@ctc.example\"\n";
        let cfg = load(&format!("{base}{smtp}password_env = \"SMTP_PW\"\n")).unwrap();
        let Outbound::Smtp(s) = cfg.outbound else {
            panic!()
        };
        assert_eq!(s.port, 587);
        assert_eq!(s.rate_per_minute, 30);
        assert_eq!(s.max_connections, 3);
        assert!(!format!("{s:?}").contains("hunter2"));
        let err = load(&format!("{base}{smtp}password_env = \"NOPE\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("smtp.password_env") && err.contains("NOPE"),
            "{err}"
        );
        let cfg = load(&format!(
            "{base}{smtp}token_command = \"oauth2-token needs\"\n"
        ))
        .unwrap();
        let Outbound::Smtp(s) = cfg.outbound else {
            panic!()
        };
        assert!(matches!(s.auth, Auth::OAuth2 { .. }));
        let err = load(&format!("{MINIMAL}{smtp}password_env = \"SMTP_PW\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("both [outbox]"), "{err}");
    }

    #[test]
    fn areas_are_added_never_dropped() {
        let cfg = load(&format!("{MINIMAL}\n[areas]\nCYB = \"Cybersecurity\"\n")).unwrap();
        assert_eq!(cfg.areas.len(), 9);
        assert_eq!(cfg.areas[0].code.as_str(), "LEG");
        assert_eq!(cfg.areas[8].label, "Cybersecurity");
    }

    #[test]
    fn deadline_is_local_end_of_day() {
        let cfg = load(MINIMAL).unwrap();
        let c = crate::model::Cycle::parse("2026-12").unwrap();
        assert_eq!(cfg.deadline(c).to_rfc3339(), "2026-12-16T04:59:59+00:00");
    }

    #[test]
    fn address_blocks_contain_what_they_should() {
        let c = |s: &str| Cidr::parse(s).unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(c("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!c("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(c("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!c("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(c("2001:db8::/32").contains(ip("2001:db8:1::5")));
        assert!(!c("2001:db8::/32").contains(ip("2001:db9::5")));
        assert!(
            c("192.0.2.0/24").contains(ip("::ffff:192.0.2.9")),
            "IPv4-mapped"
        );
        assert!(!c("10.0.0.0/8").contains(ip("2001:db8::1")));
        assert!(c("0.0.0.0/0").contains(ip("203.0.113.1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", ""] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }
}
