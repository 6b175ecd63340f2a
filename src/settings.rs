//! The plain values the core is configured with: limits on what a reply may make needsd
//! read, who may change what, the sender's mailbox, secrets and address blocks.
//!
//! They carry no knowledge of the configuration file: `config` builds them from it, and
//! tests and the core build them directly.

use std::fmt;

use crate::model::{EmailAddress, Field};

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
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "String")]
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

impl TryFrom<String> for Mailbox {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
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

/// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl TryFrom<String> for Cidr {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or("is not an address or block such as 127.0.0.1/32 or 10.0.0.0/8")
    }
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
