//! `[maildir]` or `[imap]`: where replies arrive. Exactly one.

use std::num::NonZeroU16;
use std::path::PathBuf;

use serde::Deserialize;

use super::transport::{Auth, Login, Tls};
use super::value::{self, Dir, EnvName, Host};
use super::{ConfigError, Env};

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

/// `[maildir]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MaildirSection {
    dir: Dir,
}

/// `[imap]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImapSection {
    host: Host,
    #[serde(default = "imaps_port")]
    port: NonZeroU16,
    #[serde(default = "tls")]
    tls: Tls,
    username: Option<String>,
    password_env: Option<EnvName>,
    token_command: Option<String>,
    #[serde(default = "inbox")]
    mailbox: String,
    #[serde(default = "processed")]
    processed_mailbox: String,
    ca_file: Option<PathBuf>,
}

fn imaps_port() -> NonZeroU16 {
    const IMAPS: NonZeroU16 = value::port(993);
    IMAPS
}
fn tls() -> Tls {
    Tls::Tls
}
fn inbox() -> String {
    "INBOX".into()
}
fn processed() -> String {
    "Processed".into()
}

/// The one inbox the file names.
pub(super) fn inbound(
    file: &str,
    maildir: Option<MaildirSection>,
    imap: Option<ImapSection>,
    env: &dyn Env,
) -> Result<Inbound, ConfigError> {
    let missing = |reason: &str| ConfigError::Missing {
        file: file.to_string(),
        reason: reason.to_string(),
    };
    match (maildir, imap) {
        (Some(md), None) => Ok(Inbound::Maildir {
            dir: md.dir.into_path(),
        }),
        (None, Some(i)) => {
            if i.mailbox == i.processed_mailbox {
                return Err(ConfigError::invalid(
                    file,
                    "imap.processed_mailbox",
                    format!("\"{}\"", i.processed_mailbox),
                    "must differ from imap.mailbox, or processed mail would be read again",
                ));
            }
            let login = Login {
                username: i.username,
                password_env: i.password_env,
                token_command: i.token_command,
            };
            Ok(Inbound::Imap(ImapConfig {
                auth: login.settle(file, "imap", &i.host, i.tls, env)?,
                host: i.host.into_string(),
                port: i.port.get(),
                tls: i.tls,
                mailbox: i.mailbox,
                processed_mailbox: i.processed_mailbox,
                ca_file: i.ca_file,
            }))
        }
        (Some(_), Some(_)) => Err(missing("has both [maildir] and [imap]; keep exactly one")),
        (None, None) => Err(missing(
            "has neither [imap] nor [maildir]; say where replies arrive",
        )),
    }
}
