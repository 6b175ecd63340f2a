//! Configuration: one TOML file, checked completely at load.
//!
//! Each section has a file here whose types serde reads with their checks (ranges,
//! addresses, cron expressions, time zones), so a bad value is refused as it is read; what
//! is left in this file are the rules across sections and the secrets read from the
//! environment. Every failure is one sentence naming the file, the key and the value.
//! Secrets are read from environment variables whose names the file gives, never from
//! the file itself, and print as `[redacted]`. The core does not use this module: it
//! takes the plain values of [`crate::settings`].

mod daemon;
mod database;
mod imap;
mod limits;
mod mail;
mod matching;
mod policy;
mod schedule;
mod smtp;
mod transport;
mod value;
mod web;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

use crate::model::{Area, AreaCode, DEFAULT_AREAS};

pub use crate::settings::{Cidr, Limits, Mailbox, PolicyConfig, Secret};
pub use daemon::DaemonConfig;
pub use database::DatabaseConfig;
pub use imap::{ImapConfig, Inbound};
pub use mail::{Expert, MailConfig};
pub use matching::MatchingConfig;
pub use schedule::ScheduleConfig;
pub use smtp::{Outbound, SmtpConfig};
pub use transport::{Auth, Tls};
pub use web::WebConfig;

/// The embedded defaults: SQLite under `data/`, file outbox, Maildir inbox, web on loopback.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../../config/needsd.toml");
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
    #[error("{file}, line {line}: key '{key}' = {value}: {reason}")]
    Value {
        file: String,
        line: usize,
        key: String,
        value: String,
        reason: String,
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

impl ConfigError {
    /// A value refused by a rule that looks beyond the value itself.
    fn invalid(file: &str, key: &str, value: impl fmt::Display, reason: &str) -> Self {
        Self::Invalid {
            file: file.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where this configuration came from, for messages.
    pub file: String,
    pub database: DatabaseConfig,
    pub daemon: DaemonConfig,
    pub matching: MatchingConfig,
    pub schedule: ScheduleConfig,
    pub mail: MailConfig,
    pub outbound: Outbound,
    pub inbound: Inbound,
    pub web: WebConfig,
    pub limits: Limits,
    pub policy: PolicyConfig,
    pub areas: Vec<Area>,
}

/// The file as serde reads it: each section checked by its own types.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    database: database::DatabaseSection,
    #[serde(default)]
    daemon: DaemonConfig,
    #[serde(default)]
    matching: MatchingConfig,
    #[serde(default)]
    schedule: ScheduleConfig,
    mail: mail::MailSection,
    outbox: Option<smtp::OutboxSection>,
    smtp: Option<smtp::SmtpSection>,
    maildir: Option<imap::MaildirSection>,
    imap: Option<imap::ImapSection>,
    #[serde(default)]
    web: web::WebSection,
    #[serde(default)]
    limits: limits::LimitsSection,
    #[serde(default)]
    policy: policy::PolicySection,
    #[serde(default)]
    areas: BTreeMap<String, String>,
}

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
        let raw = parse_file(text, file)?;
        settle(raw, file, env)
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

    /// The deadline of `cycle` as mail templates write it, in the recipient's language.
    pub fn deadline_parts(
        &self,
        cycle: crate::model::Cycle,
    ) -> crate::mail::compose::DeadlineParts {
        crate::mail::compose::DeadlineParts::new(
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

fn parse_file(text: &str, file: &str) -> Result<FileConfig, ConfigError> {
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
        } else if let Some(value) = inner.span().and_then(|r| text.get(r)) {
            // A value refused by its type: the reason, with the value as written.
            ConfigError::Value {
                file: file.to_string(),
                line: line_of(inner.span()),
                key: path,
                value: first_line(value),
                reason: first_line(&msg),
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

/// The checked file with its secrets read and the rules across sections applied.
fn settle(raw: FileConfig, file: &str, env: &dyn Env) -> Result<Config, ConfigError> {
    Ok(Config {
        file: file.to_string(),
        database: raw.database.settle(file, env)?,
        daemon: raw.daemon,
        matching: raw.matching,
        schedule: raw.schedule,
        mail: raw.mail.settle(file, env)?,
        outbound: smtp::outbound(file, raw.outbox, raw.smtp, env)?,
        inbound: imap::inbound(file, raw.maildir, raw.imap, env)?,
        web: raw.web.settle(file, env)?,
        limits: raw.limits.into(),
        policy: raw.policy.into(),
        areas: areas(file, &raw.areas)?,
    })
}

/// The secret in the environment variable `var`, which key `key` names.
fn secret(
    file: &str,
    key: &str,
    var: &value::EnvName,
    env: &dyn Env,
) -> Result<Secret, ConfigError> {
    env.var(var.as_str())
        .map(Secret::new)
        .ok_or_else(|| ConfigError::MissingSecret {
            file: file.to_string(),
            key: key.to_string(),
            var: var.as_str().to_string(),
            hint: String::new(),
        })
}

/// `[areas]`: the defaults, plus codes the operator adds or relabels.
fn areas(file: &str, raw: &BTreeMap<String, String>) -> Result<Vec<Area>, ConfigError> {
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
        let code = AreaCode::parse(code)
            .map_err(|e| ConfigError::invalid(file, &key, format!("\"{code}\""), &e.to_string()))?;
        if label.trim().is_empty() {
            return Err(ConfigError::invalid(
                file,
                &key,
                format!("\"{label}\""),
                "needs a label",
            ));
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
        assert_eq!(cfg.web.public_url, format!("http://{}", cfg.web.listen));
        // The generated secret is kept and reused.
        let again = Config::from_toml(&text, "embedded", &BTreeMap::new()).unwrap();
        assert_eq!(cfg.mail.token_secret, again.mail.token_secret);
        assert_eq!(cfg.areas.len(), 8);
    }

    #[test]
    fn example_config_documents_a_valid_production_setup() {
        let text = include_str!("../../config/needsd.example.toml");
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
                "[web]\npublic_url = \"needs.ctc.example\"",
                "web.public_url",
                "needs.ctc.example",
            ),
            (
                "[web]\npublic_url = \"https://needs.ctc.example/?x=1\"",
                "web.public_url",
                "?x=1",
            ),
            (
                "[web]\nclient_timeout_seconds = 7200",
                "web.client_timeout_seconds",
                "7200",
            ),
            ("[limits]\nrows = 0", "limits.rows", "0"),
            (
                "[policy]\norganization_fields = [\"colour\"]",
                "policy.organization_fields[0]",
                "colour",
            ),
            ("[areas]\nL3G = \"x\"", "areas.L3G", "L3G"),
            (
                "[policy]\nstate_fields = [\"state\"]",
                "policy.state_fields",
                "state",
            ),
            (
                "[limits]\nreader_memory_bytes = 1000",
                "limits.reader_memory_bytes",
                "1000",
            ),
            (
                "[database]\nurl = \"mysql://x\"",
                "database.url",
                "mysql://x",
            ),
            (
                "[web]\ntrusted_proxies = [\"10.0.0.0/33\"]",
                "web.trusted_proxies[0]",
                "10.0.0.0/33",
            ),
            (
                "[schedule]\nreminders = [\"0 0 9 8 * *\", \"nope\"]",
                "schedule.reminders[1]",
                "nope",
            ),
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
    fn bad_transport_values_name_key_and_value() {
        let base = MINIMAL.replace("[outbox]\ndir = \"data/outbox\"", "");
        let cases = [
            ("port = 0", "smtp.port", "0"),
            ("port = 70000", "smtp.port", "70000"),
            ("tls = \"ssl\"", "smtp.tls", "ssl"),
            ("max_connections = 0", "smtp.max_connections", "0"),
            ("password_env = \"9X\"", "smtp.password_env", "9X"),
        ];
        for (extra, key, value) in cases {
            let err = load(&format!(
                "{base}[smtp]\nhost = \"smtp.example.org\"\n{extra}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(&format!("'{key}'")) && err.contains(value),
                "{extra}: {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
        let plus = MINIMAL.replace(
            "reply_to = \"needs@ctc.example\"",
            "reply_to = \"needs+x@ctc.example\"",
        );
        let err = load(&plus).unwrap_err().to_string();
        assert!(
            err.contains("'mail.reply_to'") && err.contains("+TOKEN"),
            "{err}"
        );
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
