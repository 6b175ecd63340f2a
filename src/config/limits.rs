//! `[limits]`: how much a reply may make needsd read.

use serde::Deserialize;

use super::value::{self, Positive};
use crate::settings::Limits;

const ANY: u64 = i64::MAX as u64;

/// `[limits]` as the file has it; a key left out keeps [`Limits::default`]'s value.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LimitsSection {
    attachment_bytes: Option<Positive<ANY>>,
    decompressed_bytes: Option<Positive<ANY>>,
    rows: Option<Positive<1_048_576>>,
    cells: Option<Positive<ANY>>,
    text_bytes: Option<Positive<ANY>>,
    #[serde(deserialize_with = "reader_memory")]
    reader_memory_bytes: Option<u64>,
    reader_cpu_seconds: Option<Positive<3600>>,
    attachments: Option<Positive<1000>>,
    receipts_per_address: Option<Positive<ANY>>,
    receipts_per_domain: Option<Positive<ANY>>,
    /// An IMAP server gives sizes as 32-bit numbers.
    message_bytes: Option<Positive<{ u32::MAX as u64 }>>,
}

/// Below 64 MiB the reader could not even start.
fn reader_memory<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    value::within(
        d,
        64 * 1024 * 1024,
        i64::MAX,
        "must be at least 67108864 (64 MiB)",
    )
    .map(Some)
}

impl From<LimitsSection> for Limits {
    fn from(l: LimitsSection) -> Self {
        let d = Limits::default();
        Limits {
            attachment_bytes: l.attachment_bytes.map_or(d.attachment_bytes, Positive::get),
            decompressed_bytes: l
                .decompressed_bytes
                .map_or(d.decompressed_bytes, Positive::get),
            rows: l.rows.map_or(d.rows, Positive::get),
            cells: l.cells.map_or(d.cells, Positive::get),
            text_bytes: l.text_bytes.map_or(d.text_bytes, Positive::get),
            reader_memory_bytes: l.reader_memory_bytes.unwrap_or(d.reader_memory_bytes),
            reader_cpu_seconds: l
                .reader_cpu_seconds
                .map_or(d.reader_cpu_seconds, Positive::get),
            // At most 1,000.
            attachments: l.attachments.map_or(d.attachments, |n| n.get() as usize),
            receipts_per_address: l
                .receipts_per_address
                .map_or(d.receipts_per_address, Positive::get),
            receipts_per_domain: l
                .receipts_per_domain
                .map_or(d.receipts_per_domain, Positive::get),
            message_bytes: l.message_bytes.map_or(d.message_bytes, Positive::get),
        }
    }
}
