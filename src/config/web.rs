//! `[web]`: the review UI's address, sessions, and the clients it serves.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::value::{self, EnvName, Positive};
use super::{ConfigError, Env};
use crate::settings::{Cidr, Secret};

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
    pub client_timeout: Duration,
    /// Serve the Directory of Sources of Assistance's public pages (`/directory`…) to
    /// anyone, without a login.
    pub public_directory: bool,
    /// The address people reach the web server at, without a last `/`: the one-click
    /// unsubscribe links of circulations start with it. `http://` + `listen` by default;
    /// an operator behind a TLS proxy sets the HTTPS address.
    pub public_url: String,
}

/// `[web]` as the file has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct WebSection {
    #[serde(deserialize_with = "value::listen")]
    listen: SocketAddr,
    #[serde(deserialize_with = "session_hours")]
    session_hours: u32,
    secure_cookie: bool,
    ops_token_env: Option<EnvName>,
    trusted_proxies: Vec<Cidr>,
    max_connections: Positive<65_536>,
    /// Below the ten minutes a connection lives at most.
    client_timeout_seconds: Positive<300>,
    public_directory: bool,
    #[serde(deserialize_with = "value::public_url")]
    public_url: Option<String>,
}

fn session_hours<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    // At most 720.
    value::within(d, 1, 24 * 30, "is not between 1 and 720").map(|h| h as u32)
}

impl Default for WebSection {
    fn default() -> Self {
        const MAX_CONNECTIONS: Positive<65_536> = Positive::new(256);
        const CLIENT_TIMEOUT: Positive<300> = Positive::new(10);
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            session_hours: 12,
            secure_cookie: false,
            ops_token_env: None,
            trusted_proxies: Vec::new(),
            max_connections: MAX_CONNECTIONS,
            client_timeout_seconds: CLIENT_TIMEOUT,
            public_directory: false,
            public_url: None,
        }
    }
}

impl WebSection {
    /// The section with the ops token read from the environment.
    pub(super) fn settle(self, file: &str, env: &dyn Env) -> Result<WebConfig, ConfigError> {
        let ops_token = match &self.ops_token_env {
            Some(var) => Some(super::secret(file, "web.ops_token_env", var, env)?),
            None => None,
        };
        Ok(WebConfig {
            listen: self.listen,
            session_hours: self.session_hours,
            secure_cookie: self.secure_cookie,
            ops_token,
            trusted_proxies: self.trusted_proxies,
            // At most 65,536.
            max_connections: self.max_connections.get() as usize,
            client_timeout: Duration::from_secs(self.client_timeout_seconds.get()),
            public_directory: self.public_directory,
            public_url: self
                .public_url
                .unwrap_or_else(|| format!("http://{}", self.listen)),
        })
    }
}
