//! `[database]`: where needsd keeps everything: a SQLite file (the embedded default) or
//! a PostgreSQL database, whose password comes from the environment.

use serde::Deserialize;

use super::value::EnvName;
use super::{ConfigError, Env, Secret};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct DatabaseSection {
    #[serde(deserialize_with = "url")]
    url: String,
    /// The environment variable holding the PostgreSQL password, if it needs one.
    password_env: Option<EnvName>,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self {
            url: "sqlite://data/needsd.db".into(),
            password_env: None,
        }
    }
}

/// The database, with its password read.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// As written in the file: never holds a password, so it may be shown.
    pub url: String,
    pub password: Option<Secret>,
}

impl DatabaseConfig {
    /// The URL to connect with: `url` with the password put in.
    pub fn connect_url(&self) -> String {
        match (&self.password, self.url.split_once("://")) {
            (Some(p), Some((scheme, rest))) => {
                let (auth, host) = rest.rsplit_once('@').unwrap_or(("", rest));
                format!("{scheme}://{auth}:{}@{host}", percent_encode(p.expose()))
            }
            _ => self.url.clone(),
        }
    }
}

impl DatabaseSection {
    pub(super) fn settle(self, file: &str, env: &dyn Env) -> Result<DatabaseConfig, ConfigError> {
        let password = match &self.password_env {
            None => None,
            Some(var) if self.url.starts_with("sqlite:") => {
                return Err(ConfigError::invalid(
                    file,
                    "database.password_env",
                    var.as_str(),
                    "a SQLite database has no password",
                ));
            }
            Some(var) => Some(super::secret(file, "database.password_env", var, env)?),
        };
        Ok(DatabaseConfig {
            url: self.url,
            password,
        })
    }
}

fn url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    let url = String::deserialize(d)?.trim().to_string();
    if url.starts_with("sqlite:") {
        Ok(url)
    } else if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if authority
            .rsplit_once('@')
            .is_some_and(|(auth, _)| auth.contains(':'))
        {
            return Err(D::Error::custom(
                "holds a password: put it in an environment variable and name that \
                 variable in database.password_env",
            ));
        }
        if authority.is_empty() || rest.split_once('/').is_none_or(|(_, db)| db.is_empty()) {
            return Err(D::Error::custom(
                "must name a host and a database: postgres://USER@HOST:PORT/DATABASE",
            ));
        }
        Ok(url)
    } else {
        Err(D::Error::custom("must start with sqlite: or postgres://"))
    }
}

/// `s` with every byte outside RFC 3986's unreserved set written as `%XX`, for the
/// user-information part of a URL.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_into_the_url_encoded() {
        let db = DatabaseConfig {
            url: "postgres://needsd@db.example:5432/needsd".into(),
            password: Some(Secret::new("p@ss:w/rd%".into())),
        };
        assert_eq!(
            db.connect_url(),
            "postgres://needsd:p%40ss%3Aw%2Frd%25@db.example:5432/needsd"
        );
        let plain = DatabaseConfig {
            url: "sqlite://data/needsd.db".into(),
            password: None,
        };
        assert_eq!(plain.connect_url(), "sqlite://data/needsd.db");
    }
}
