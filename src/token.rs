//! Per-recipient tokens: an HMAC of (cycle, contact) under the operator's secret. The
//! token rides in Reply-To (`needs+TOKEN@…`), the envelope sender (`needs+bounce-TOKEN@…`)
//! and the workbook stamp, so a reply or a bounce names its recipient even when headers
//! are lost. Lower-case hex, because some servers fold the local part's case.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;
use crate::model::Cycle;

/// Hex characters kept from the MAC: 80 bits, short enough for an address.
const TOKEN_LEN: usize = 20;

pub fn recipient_token(secret: &Secret, cycle: Cycle, contact_id: i64) -> String {
    // HMAC accepts a key of any length, so new_from_slice cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("needsd-recipient\n{cycle}\n{contact_id}").as_bytes());
    let full = hex::encode(mac.finalize().into_bytes());
    full[..TOKEN_LEN].to_string()
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
}
