//! Per-recipient tokens: an HMAC of (cycle, contact) under the operator's secret. The
//! token rides in Reply-To (`needs+TOKEN@…`), the envelope sender (`needs+bounce-TOKEN@…`)
//! and the workbook stamp, so a reply or a bounce names its recipient even when headers
//! are lost. Lower-case hex, because some servers fold the local part's case.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::Cycle;
use crate::settings::Secret;

/// Hex characters kept from the MAC: 80 bits, short enough for an address.
const TOKEN_LEN: usize = 20;

pub fn recipient_token(secret: &Secret, cycle: Cycle, contact_id: i64) -> String {
    hmac_hex(
        secret,
        &format!("needsd-recipient\n{cycle}\n{contact_id}"),
        TOKEN_LEN,
    )
}

/// The first `len` hex characters of the HMAC-SHA256 of `input` under `secret`.
fn hmac_hex(secret: &Secret, input: &str, len: usize) -> String {
    // HMAC accepts a key of any length, so new_from_slice cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(input.as_bytes());
    let mut full = hex::encode(mac.finalize().into_bytes());
    // A SHA-256 digest is 64 hex characters, more than any caller keeps.
    full.truncate(len);
    full
}

/// Hex characters of the MAC in a Message-ID needsd writes (48 bits: enough that nobody
/// guesses the Message-ID of another recipient's circulation).
const MESSAGE_MAC_LEN: usize = 12;

/// The MAC that makes the Message-ID of a message of `kind` to `contact_id` on `day`
/// unguessable: In-Reply-To may then match a reply to its recipient only when the replier
/// had that recipient's mail.
pub fn message_mac(
    secret: &Secret,
    cycle: Cycle,
    kind: &str,
    contact_id: i64,
    day: chrono::NaiveDate,
) -> String {
    hmac_hex(
        secret,
        &format!("needsd-message\n{cycle}\n{kind}\n{contact_id}\n{day}"),
        MESSAGE_MAC_LEN,
    )
}

/// `local+tag@domain` for the address `local@domain`.
pub fn plus_address(address: &crate::model::EmailAddress, tag: &str) -> String {
    format!("{}+{}@{}", address.local_part(), tag, address.domain())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_and_distinct() {
        let s = Secret::new("k".repeat(32));
        let c = Cycle::parse("2026-12").unwrap();
        let a = recipient_token(&s, c, 7);
        assert_eq!(a.len(), TOKEN_LEN);
        assert_eq!(a, recipient_token(&s, c, 7));
        assert_ne!(a, recipient_token(&s, c, 8));
        assert_ne!(a, recipient_token(&s, c.next(), 7));
        assert_ne!(a, recipient_token(&Secret::new("j".repeat(32)), c, 7));
        assert!(
            a.chars()
                .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase())
        );
    }

    #[test]
    fn message_macs_differ_by_everything_they_cover() {
        let s = Secret::new("k".repeat(32));
        let c = Cycle::parse("2026-12").unwrap();
        let d = c.day(1);
        let m = message_mac(&s, c, "circulation", 7, d);
        assert_eq!(m.len(), MESSAGE_MAC_LEN);
        assert_eq!(m, message_mac(&s, c, "circulation", 7, d));
        assert_ne!(m, message_mac(&s, c, "circulation", 8, d));
        assert_ne!(m, message_mac(&s, c, "reminder", 7, d));
        assert_ne!(m, message_mac(&s, c, "circulation", 7, c.day(2)));
        assert_ne!(m, message_mac(&s, c.next(), "circulation", 7, d));
        assert_ne!(
            m,
            message_mac(&Secret::new("j".repeat(32)), c, "circulation", 7, d)
        );
        assert_ne!(m, recipient_token(&s, c, 7)[..MESSAGE_MAC_LEN]);
    }
}
