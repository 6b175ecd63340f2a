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

/// The MAC that lets the contact `contact_id` at `email_key` (its address, lower-cased)
/// stop receiving the Matrix: it rides in the `List-Unsubscribe` link and mailto address
/// of their circulation. Bound to the address, so a link stops working once the
/// directory gives the contact another one.
pub fn unsubscribe_mac(secret: &Secret, contact_id: i64, email_key: &str) -> String {
    hmac_hex(
        secret,
        &format!("needsd-unsubscribe\n{contact_id}\n{email_key}"),
        TOKEN_LEN,
    )
}

/// Whether `mac` is [`unsubscribe_mac`] of this contact and address, compared in
/// constant time.
pub fn unsubscribe_mac_matches(
    secret: &Secret,
    contact_id: i64,
    email_key: &str,
    mac: &str,
) -> bool {
    let expected = unsubscribe_mac(secret, contact_id, email_key);
    expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The plus-address tag of a contact's unsubscribe mailto: `unsubscribe-ID-MAC`.
pub fn unsubscribe_tag(secret: &Secret, contact_id: i64, email_key: &str) -> String {
    format!(
        "{UNSUBSCRIBE_PREFIX}{contact_id}-{}",
        unsubscribe_mac(secret, contact_id, email_key)
    )
}

/// What starts the tag of an unsubscribe address.
pub const UNSUBSCRIBE_PREFIX: &str = "unsubscribe-";

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
    fn an_unsubscribe_mac_is_bound_to_the_contact_and_its_address() {
        let s = Secret::new("k".repeat(32));
        let m = unsubscribe_mac(&s, 7, "grace@mfa.ke.example");
        assert_eq!(m.len(), TOKEN_LEN);
        assert!(unsubscribe_mac_matches(&s, 7, "grace@mfa.ke.example", &m));
        assert!(!unsubscribe_mac_matches(&s, 8, "grace@mfa.ke.example", &m));
        assert!(!unsubscribe_mac_matches(&s, 7, "desk@mfa.ke.example", &m));
        assert!(!unsubscribe_mac_matches(
            &s,
            7,
            "grace@mfa.ke.example",
            &m[..19]
        ));
        assert!(!unsubscribe_mac_matches(
            &Secret::new("j".repeat(32)),
            7,
            "grace@mfa.ke.example",
            &m
        ));
        assert_ne!(m, recipient_token(&s, Cycle::parse("2026-12").unwrap(), 7));
        assert_eq!(
            unsubscribe_tag(&s, 7, "grace@mfa.ke.example"),
            format!("unsubscribe-7-{m}")
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
