//! What `[smtp]` and `[imap]` share: transport security and how needsd logs in.

use serde::Deserialize;

use super::value::{EnvName, Host};
use super::{ConfigError, Env};
use crate::settings::Secret;

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

/// A section's login keys as the file has them.
pub(super) struct Login {
    pub username: Option<String>,
    pub password_env: Option<EnvName>,
    pub token_command: Option<String>,
}

impl Login {
    /// The login these keys describe, with the password read from the environment. Refused:
    /// half a login, two ways at once, and credentials sent in clear text off this machine.
    pub(super) fn settle(
        self,
        file: &str,
        section: &str,
        host: &Host,
        tls: Tls,
        env: &dyn Env,
    ) -> Result<Auth, ConfigError> {
        let auth = match (self.username, self.password_env, self.token_command) {
            (None, None, None) => Auth::None,
            (Some(username), Some(var), None) => Auth::Password {
                username,
                password: super::secret(file, &format!("{section}.password_env"), &var, env)?,
            },
            (Some(username), None, Some(cmd)) => {
                if cmd.trim().is_empty() {
                    return Err(ConfigError::invalid(
                        file,
                        &format!("{section}.token_command"),
                        format!("\"{cmd}\""),
                        "is empty",
                    ));
                }
                Auth::OAuth2 {
                    username,
                    token_command: cmd,
                }
            }
            (Some(_), Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    file,
                    &format!("{section}.token_command"),
                    "(set)",
                    "give either password_env or token_command, not both",
                ));
            }
            (Some(u), None, None) => {
                return Err(ConfigError::invalid(
                    file,
                    &format!("{section}.username"),
                    format!("\"{u}\""),
                    "needs password_env (the variable holding the password) or token_command (XOAUTH2)",
                ));
            }
            (None, _, _) => {
                return Err(ConfigError::Missing {
                    file: file.to_string(),
                    reason: format!(
                        "key '{section}.username' is required when a password or token is given"
                    ),
                });
            }
        };
        if !matches!(auth, Auth::None) && tls == Tls::None && !host.is_loopback() {
            return Err(ConfigError::invalid(
                file,
                &format!("{section}.tls"),
                "\"none\"",
                "would send credentials in clear text to a host that is not loopback; use starttls or tls",
            ));
        }
        Ok(auth)
    }
}
