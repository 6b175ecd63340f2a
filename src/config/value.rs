//! Field types and readers that check a value while serde reads it. A refusal is only a
//! reason ("must be between 1 and 100"): the loader adds the key, the value as written
//! and its line.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono_tz::Tz;
use serde::de::{Deserialize, Deserializer, Error as _};

/// A whole number from 1 to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "i64")]
pub struct Positive<const MAX: u64>(u64);

impl<const MAX: u64> Positive<MAX> {
    /// A default. Called in `const` items only, so a value out of range fails the build.
    pub const fn new(n: u64) -> Self {
        assert!(n >= 1 && n <= MAX, "a default out of range");
        Self(n)
    }
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl<const MAX: u64> TryFrom<i64> for Positive<MAX> {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        match u64::try_from(n) {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Self(n)),
            _ => Err(format!("must be between 1 and {MAX}")),
        }
    }
}

/// The name of an environment variable that holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct EnvName(String);

impl EnvName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnvName {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit());
        ok.then_some(Self(s))
            .ok_or("is not an environment variable name")
    }
}

/// A mail server's host name or address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Host(String);

impl Host {
    pub fn into_string(self) -> String {
        self.0
    }

    /// `localhost` or a loopback address: where credentials may go without TLS.
    pub fn is_loopback(&self) -> bool {
        self.0 == "localhost"
            || self
                .0
                .trim_matches(|c| c == '[' || c == ']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl TryFrom<String> for Host {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        ok.then_some(Self(s)).ok_or("is not a host name or address")
    }
}

/// A folder that must be named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Dir(PathBuf);

impl Dir {
    pub fn into_path(self) -> PathBuf {
        self.0
    }
}

impl TryFrom<String> for Dir {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.trim().is_empty() {
            Err("is empty")
        } else {
            Ok(Self(PathBuf::from(s)))
        }
    }
}

/// Reads a string through `parse`, refusing with `why` (or the parser's own reason).
fn parse_with<'de, D, T, E: Display>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let s = String::deserialize(d)?;
    parse(&s).map_err(D::Error::custom)
}

/// `schedule.timezone`: an IANA zone name.
pub fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    parse_with(d, |s| {
        s.parse::<Tz>()
            .map_err(|_| "is not an IANA time zone such as America/New_York")
    })
}

/// `web.listen`: an address and a port.
pub fn listen<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    parse_with(d, |s| {
        s.parse::<SocketAddr>()
            .map_err(|_| "is not an address and port such as 127.0.0.1:8080")
    })
}

/// `web.public_url`: an `http://` or `https://` address of a host, perhaps with a path,
/// and nothing after it (no query, no fragment, no spaces); kept without its last `/`.
pub fn public_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    parse_with(d, |s| {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("is not an http:// or https:// address")?;
        let host = rest.split('/').next().unwrap_or("");
        if host.is_empty()
            || host.contains('@')
            || s.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '<' | '>' | '"')
            })
        {
            return Err(
                "is not an address such as https://needs.ctc.example (a host, a path at most)",
            );
        }
        Ok(Some(s.trim_end_matches('/').to_string()))
    })
}

/// An integer in `min..=max`, refused with `why`.
pub fn within<'de, D: Deserializer<'de>>(
    d: D,
    min: i64,
    max: i64,
    why: &str,
) -> Result<u64, D::Error> {
    let n = i64::deserialize(d)?;
    if (min..=max).contains(&n) {
        // In range and min ≥ 0 at every call, so the conversion holds.
        u64::try_from(n).map_err(|_| D::Error::custom(why))
    } else {
        Err(D::Error::custom(why))
    }
}

/// A default port. Called in `const` items only, so 0 fails the build.
pub const fn port(n: u16) -> std::num::NonZeroU16 {
    match std::num::NonZeroU16::new(n) {
        Some(p) => p,
        None => panic!("port 0"),
    }
}
