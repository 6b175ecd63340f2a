//! `[outbox]` or `[smtp]`: how mail is sent. Exactly one.

use std::num::NonZeroU16;
use std::path::PathBuf;

use serde::Deserialize;

use super::transport::{Auth, Login, Tls};
use super::value::{self, Dir, EnvName, Host, Positive};
use super::{ConfigError, Env};

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

/// `[outbox]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutboxSection {
    dir: Dir,
}

/// `[smtp]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SmtpSection {
    host: Host,
    #[serde(default = "submission_port")]
    port: NonZeroU16,
    #[serde(default = "starttls")]
    tls: Tls,
    username: Option<String>,
    password_env: Option<EnvName>,
    token_command: Option<String>,
    #[serde(default = "rate")]
    rate_per_minute: Positive<100_000>,
    #[serde(default = "connections")]
    max_connections: Positive<100>,
    #[serde(default = "timeout")]
    timeout_seconds: Positive<3600>,
    #[serde(default = "retry")]
    retry_seconds: Positive<86_400>,
    #[serde(default = "attempts")]
    max_attempts: Positive<1000>,
    ca_file: Option<PathBuf>,
}

fn submission_port() -> NonZeroU16 {
    const SUBMISSION: NonZeroU16 = value::port(587);
    SUBMISSION
}
fn starttls() -> Tls {
    Tls::Starttls
}
fn rate() -> Positive<100_000> {
    const RATE: Positive<100_000> = Positive::new(30);
    RATE
}
fn connections() -> Positive<100> {
    const CONNECTIONS: Positive<100> = Positive::new(3);
    CONNECTIONS
}
fn timeout() -> Positive<3600> {
    const TIMEOUT: Positive<3600> = Positive::new(60);
    TIMEOUT
}
fn retry() -> Positive<86_400> {
    const RETRY: Positive<86_400> = Positive::new(60);
    RETRY
}
fn attempts() -> Positive<1000> {
    const ATTEMPTS: Positive<1000> = Positive::new(10);
    ATTEMPTS
}

/// The one way of sending the file names.
pub(super) fn outbound(
    file: &str,
    outbox: Option<OutboxSection>,
    smtp: Option<SmtpSection>,
    env: &dyn Env,
) -> Result<Outbound, ConfigError> {
    let missing = |reason: &str| ConfigError::Missing {
        file: file.to_string(),
        reason: reason.to_string(),
    };
    match (outbox, smtp) {
        (Some(o), None) => Ok(Outbound::File {
            dir: o.dir.into_path(),
        }),
        (None, Some(s)) => {
            let login = Login {
                username: s.username,
                password_env: s.password_env,
                token_command: s.token_command,
            };
            Ok(Outbound::Smtp(SmtpConfig {
                auth: login.settle(file, "smtp", &s.host, s.tls, env)?,
                host: s.host.into_string(),
                port: s.port.get(),
                tls: s.tls,
                // Each bound is below u32::MAX.
                rate_per_minute: s.rate_per_minute.get() as u32,
                max_connections: s.max_connections.get() as u32,
                timeout_seconds: s.timeout_seconds.get(),
                retry_seconds: s.retry_seconds.get(),
                max_attempts: s.max_attempts.get() as u32,
                ca_file: s.ca_file,
            }))
        }
        // A production configuration that also names the file outbox would write mail
        // to a folder nobody reads: refused, not guessed.
        (Some(_), Some(_)) => Err(missing(
            "has both [outbox] (write mail to files) and [smtp]; keep exactly one",
        )),
        (None, None) => Err(missing(
            "has neither [smtp] nor [outbox]; say how mail is sent",
        )),
    }
}
