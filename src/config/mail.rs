//! `[mail]`: who needsd writes as, where replies go, the experts, and the token secret.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::value::EnvName;
use super::{ConfigError, Env};
use crate::model::{EmailAddress, Language};
use crate::settings::{Mailbox, Secret};

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub from: Mailbox,
    pub reply_to: EmailAddress,
    pub experts: Vec<Expert>,
    pub token_secret: Secret,
    /// Whose Authentication-Results to trust; without it, DMARC verdicts are not used.
    pub authserv_id: Option<String>,
    /// Trust the topmost Authentication-Results header whatever server it names (for a
    /// receiving server that writes no authserv-id, as Microsoft 365 does).
    pub trust_topmost_auth_results: bool,
    /// Whether the sender of a submission is told by mail once the experts have decided it.
    pub notify_decisions: bool,
    /// The operator's own mail templates (`circulation.txt`, `receipt.html`…), each
    /// taking precedence over the built-in one of the same name.
    pub templates_dir: Option<PathBuf>,
    /// The operator's own words (`fr.ftl`…), each message taking precedence over the
    /// built-in one.
    pub locales_dir: Option<PathBuf>,
}

/// `[mail]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MailSection {
    from: Mailbox,
    #[serde(deserialize_with = "reply_to")]
    reply_to: EmailAddress,
    #[serde(default)]
    experts: Vec<Expert>,
    #[serde(default = "default_token_env")]
    token_secret_env: EnvName,
    /// Where a generated token secret is kept when the environment variable is not set.
    /// Meant for the embedded defaults only; absent in production, where a missing
    /// secret is an error.
    token_secret_file: Option<PathBuf>,
    /// The authserv-id of the operator's receiving server, whose Authentication-Results
    /// headers needsd trusts (RFC 8601).
    #[serde(default, deserialize_with = "authserv_id")]
    authserv_id: Option<String>,
    #[serde(default)]
    trust_topmost_auth_results: bool,
    #[serde(default = "yes")]
    notify_decisions: bool,
    templates_dir: Option<PathBuf>,
    locales_dir: Option<PathBuf>,
}

/// An expert who receives the team's mail (digest, review alert), in their language: an
/// address alone (English), or `{ address = "…", language = "fr" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expert {
    pub address: EmailAddress,
    pub language: Language,
}

impl<'de> Deserialize<'de> for Expert {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Address(String),
            Table {
                address: String,
                #[serde(default)]
                language: Option<String>,
            },
        }
        let written = Written::deserialize(d).map_err(|_| {
            D::Error::custom("each expert is an address, or { address = \"…\", language = \"fr\" }")
        })?;
        let (address, language) = match written {
            Written::Address(a) => (a, None),
            Written::Table { address, language } => (address, language),
        };
        Ok(Self {
            address: EmailAddress::parse(&address).map_err(D::Error::custom)?,
            language: match language {
                Some(l) => Language::parse(&l).map_err(D::Error::custom)?,
                None => Language::En,
            },
        })
    }
}

fn yes() -> bool {
    true
}

fn default_token_env() -> EnvName {
    // A constant that is a valid name.
    EnvName::try_from("NEEDSD_TOKEN_SECRET".to_string()).unwrap_or_else(|why| unreachable!("{why}"))
}

fn reply_to<'de, D: serde::Deserializer<'de>>(d: D) -> Result<EmailAddress, D::Error> {
    use serde::de::Error;
    let address = EmailAddress::deserialize(d)?;
    if address.local_part().contains('+') {
        return Err(D::Error::custom(
            "must be a plain address: needsd adds +TOKEN to it for each recipient",
        ));
    }
    Ok(address)
}

fn authserv_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    let id = String::deserialize(d)?;
    if id.trim().is_empty() || id.contains(char::is_whitespace) || id.contains(';') {
        return Err(D::Error::custom(
            "is not a server name (e.g. mx.ctc.example)",
        ));
    }
    Ok(Some(id))
}

impl MailSection {
    /// The section with its secret read: from the environment, or (for the embedded
    /// defaults) generated once into `token_secret_file`.
    pub(super) fn settle(self, file: &str, env: &dyn Env) -> Result<MailConfig, ConfigError> {
        let var = self.token_secret_env.as_str();
        let token_secret = match (env.var(var), &self.token_secret_file) {
            (Some(v), _) => Secret::new(v),
            (None, Some(path)) => generated_secret(file, path)?,
            (None, None) => {
                return Err(ConfigError::MissingSecret {
                    file: file.to_string(),
                    key: "mail.token_secret_env".into(),
                    var: var.to_string(),
                    hint: " (set it to a random string of at least 32 characters)".into(),
                });
            }
        };
        if token_secret.expose().len() < 32 {
            return Err(ConfigError::invalid(
                file,
                "mail.token_secret_env",
                var,
                "the secret in that variable is shorter than 32 characters",
            ));
        }
        if self.trust_topmost_auth_results && self.authserv_id.is_some() {
            return Err(ConfigError::invalid(
                file,
                "mail.trust_topmost_auth_results",
                true,
                "is for a receiving server that writes no authserv-id; with mail.authserv_id \
                 set, remove one of the two",
            ));
        }
        for (key, dir) in [
            ("mail.templates_dir", &self.templates_dir),
            ("mail.locales_dir", &self.locales_dir),
        ] {
            if let Some(dir) = dir.as_ref().filter(|d| !d.is_dir()) {
                return Err(ConfigError::invalid(
                    file,
                    key,
                    dir.display(),
                    "is not a folder",
                ));
            }
        }
        if self.templates_dir.is_some() || self.locales_dir.is_some() {
            // Checked now, so a template or message that would fail on a real mail stops
            // the start instead, naming its file and line.
            crate::mail::compose::Templates::load(
                self.templates_dir.as_deref(),
                self.locales_dir.as_deref(),
            )
            .map_err(|e| {
                let (key, dir) = match e {
                    crate::mail::compose::ComposeError::Locale(_) => {
                        ("mail.locales_dir", &self.locales_dir)
                    }
                    _ => ("mail.templates_dir", &self.templates_dir),
                };
                let dir = dir
                    .as_ref()
                    .map_or(String::new(), |d| d.display().to_string());
                ConfigError::invalid(file, key, dir, &e.to_string())
            })?;
        }
        Ok(MailConfig {
            templates_dir: self.templates_dir,
            locales_dir: self.locales_dir,
            from: self.from,
            reply_to: self.reply_to,
            experts: self.experts,
            token_secret,
            authserv_id: self.authserv_id,
            trust_topmost_auth_results: self.trust_topmost_auth_results,
            notify_decisions: self.notify_decisions,
        })
    }
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
        Ok(s) if s.trim().len() >= 32 => return Ok(Secret::new(s.trim().to_string())),
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
    Ok(Secret::new(secret))
}
