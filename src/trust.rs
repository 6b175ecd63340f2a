//! Whether a reply is its party's: the one rule, over the evidence a message carries.
//! Pure. Matching (token, In-Reply-To, workbook stamp, sender) only says which party a
//! reply is *about*; anyone can write a From, reuse a Message-ID or copy a workbook, so
//! none of those makes a sender trusted. A reply is its party's when its sender is an
//! active contact of that party and either the address it was sent to carries that
//! contact's own token, or the operator's receiving server vouches for the From domain.

/// What the operator's own receiving server says about the From domain, from the topmost
/// Authentication-Results header it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// DMARC pass, or a DKIM signature that passed for the From domain.
    Pass,
    /// DMARC fail: the From domain did not send this message.
    Fail,
    /// No header of the operator's server, or no verdict in it (none, temperror, …).
    Unknown,
}

/// What a reply carries that speaks to who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    /// The From address is a contact of the matched party.
    pub sender_is_contact: bool,
    /// That contact is active (an operator deactivates an address that changed hands).
    pub contact_active: bool,
    /// An address the message was sent to (To, Cc, Delivered-To, X-Original-To) carries
    /// the token needsd issued to that same contact.
    pub own_token: bool,
    /// The message carries a token needsd never issued (made up or mangled).
    pub unknown_token: bool,
    pub verdict: Verdict,
}

/// Why a reply waits in quarantine, in words for the expert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubt {
    NotAContact,
    Deactivated,
    UnknownToken,
    DmarcFailed,
    NoEvidence,
}

impl Doubt {
    pub fn describe(self, sender: &str, party: &str) -> String {
        match self {
            Doubt::NotAContact => format!("sent by {sender}, who is not a contact of {party}"),
            Doubt::Deactivated => format!("{sender} is a deactivated contact of {party}"),
            Doubt::UnknownToken => "carries a token needsd never issued".to_string(),
            Doubt::DmarcFailed => {
                "DMARC failed: the sender's domain did not send this message".to_string()
            }
            Doubt::NoEvidence => format!(
                "nothing shows that {sender} sent it: it was not sent to their own reply \
                 address, and the receiving server did not confirm the sender's domain"
            ),
        }
    }
}

/// Trusted, or every reason it is not.
pub fn judge(e: &Evidence) -> Result<(), Vec<Doubt>> {
    let mut doubts = Vec::new();
    if !e.sender_is_contact {
        doubts.push(Doubt::NotAContact);
    } else if !e.contact_active {
        doubts.push(Doubt::Deactivated);
    }
    if e.unknown_token {
        doubts.push(Doubt::UnknownToken);
    }
    match e.verdict {
        Verdict::Fail => doubts.push(Doubt::DmarcFailed),
        Verdict::Unknown if !e.own_token => doubts.push(Doubt::NoEvidence),
        Verdict::Pass | Verdict::Unknown => {}
    }
    if doubts.is_empty() {
        Ok(())
    } else {
        Err(doubts)
    }
}

/// Which Authentication-Results header speaks for the operator's server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthServ {
    /// None is trusted (no `mail.authserv_id`).
    Nobody,
    /// The topmost header bearing this authserv-id (RFC 8601).
    Id(String),
    /// The topmost header, whatever it names (`mail.trust_topmost_auth_results`: for
    /// Microsoft 365, which writes no authserv-id).
    Topmost,
}

/// The operator's server's verdict on the From domain `from_domain`, from the raw
/// Authentication-Results headers, topmost first. Only one header counts: the topmost
/// one of the operator's server. A header a sender wrote further down (or a clause the
/// server left out) never fills a gap in it.
pub fn verdict(headers: &[String], serv: &AuthServ, from_domain: &str) -> Verdict {
    let header = match serv {
        AuthServ::Nobody => None,
        AuthServ::Topmost => headers.first(),
        AuthServ::Id(id) => headers.iter().find(|h| {
            h.split(';')
                .next()
                .and_then(|s| s.split_whitespace().next())
                .is_some_and(|s| s.eq_ignore_ascii_case(id))
        }),
    };
    let Some(header) = header else {
        return Verdict::Unknown;
    };
    let from_domain = from_domain.to_ascii_lowercase();
    let mut dkim_aligned = false;
    for clause in header.split(';').map(str::trim) {
        let lower = clause.to_ascii_lowercase();
        let result = |method: &str| {
            lower
                .strip_prefix(method)
                .and_then(|r| r.strip_prefix('='))
                .map(|r| {
                    r.split(|c: char| c.is_whitespace() || c == '(')
                        .next()
                        .unwrap_or("")
                })
        };
        if let Some(dmarc) = result("dmarc") {
            // A verdict on another domain than the From asked about (a message with two
            // From fields, a server that checked another) says nothing about this one.
            let about = lower
                .split_whitespace()
                .find_map(|p| p.strip_prefix("header.from="))
                .map(|d| d.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()));
            if about.is_none_or(|d| d == from_domain) {
                match dmarc {
                    "pass" => return Verdict::Pass,
                    "fail" => return Verdict::Fail,
                    _ => {}
                }
            }
        }
        if result("dkim") == Some("pass") {
            let signer = lower
                .split_whitespace()
                .find_map(|p| {
                    p.strip_prefix("header.d=")
                        .or_else(|| p.strip_prefix("header.i="))
                })
                .map(|d| {
                    d.trim_start_matches('@')
                        .rsplit('@')
                        .next()
                        .unwrap_or(d)
                        .to_string()
                });
            // Aligned (relaxed): the signing domain is the From domain or a parent of it.
            if signer.is_some_and(|d| {
                !d.is_empty() && (from_domain == d || from_domain.ends_with(&format!(".{d}")))
            }) {
                dkim_aligned = true;
            }
        }
    }
    if dkim_aligned {
        Verdict::Pass
    } else {
        Verdict::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every combination of the evidence, and what it must give.
    #[test]
    fn only_an_active_contact_with_its_own_token_or_a_vouching_server_is_trusted() {
        use Doubt::*;
        use Verdict::*;
        for contact in [false, true] {
            for active in [false, true] {
                for own_token in [false, true] {
                    for unknown_token in [false, true] {
                        for verdict in [Pass, Fail, Unknown] {
                            let e = Evidence {
                                sender_is_contact: contact,
                                contact_active: active,
                                own_token,
                                unknown_token,
                                verdict,
                            };
                            let trusted = contact
                                && active
                                && !unknown_token
                                && verdict != Fail
                                && (own_token || verdict == Pass);
                            let got = judge(&e);
                            assert_eq!(got.is_ok(), trusted, "{e:?}: {got:?}");
                            let doubts = got.err().unwrap_or_default();
                            assert_eq!(doubts.contains(&NotAContact), !contact, "{e:?}");
                            assert_eq!(doubts.contains(&Deactivated), contact && !active);
                            assert_eq!(doubts.contains(&UnknownToken), unknown_token);
                            assert_eq!(doubts.contains(&DmarcFailed), verdict == Fail);
                            assert_eq!(
                                doubts.contains(&NoEvidence),
                                verdict == Unknown && !own_token
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_topmost_header_of_our_server_counts() {
        let ours = AuthServ::Id("mx.ctc.example".into());
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // The server's own header on top; a forged one the sender added below it.
        let forged_below = h(&[
            "mx.ctc.example; spf=pass smtp.mailfrom=mfa.ke.example; dkim=none",
            "mx.ctc.example; dmarc=pass header.from=mfa.ke.example",
        ]);
        assert_eq!(
            verdict(&forged_below, &ours, "mfa.ke.example"),
            Verdict::Unknown
        );
        let pass = h(&["mx.ctc.example; dmarc=pass (p=reject) header.from=mfa.ke.example"]);
        assert_eq!(verdict(&pass, &ours, "mfa.ke.example"), Verdict::Pass);
        let fail = h(&["MX.CTC.EXAMPLE; dmarc=fail header.from=mfa.ke.example"]);
        assert_eq!(verdict(&fail, &ours, "mfa.ke.example"), Verdict::Fail);
        for none in [
            "dmarc=none",
            "dmarc=temperror",
            "dmarc=permerror",
            "spf=pass",
        ] {
            let v = h(&[&format!("mx.ctc.example; {none}")]);
            assert_eq!(
                verdict(&v, &ours, "mfa.ke.example"),
                Verdict::Unknown,
                "{none}"
            );
        }
        // A verdict on another From domain vouches for nothing here.
        let lookalike = h(&["mx.ctc.example; dmarc=pass header.from=lookalike.example"]);
        assert_eq!(
            verdict(&lookalike, &ours, "mfa.ke.example"),
            Verdict::Unknown
        );
        let bare = h(&["mx.ctc.example; dmarc=pass"]);
        assert_eq!(verdict(&bare, &ours, "mfa.ke.example"), Verdict::Pass);
        // Another server's word, or nobody trusted: unknown.
        let other = h(&["evil.example; dmarc=pass header.from=mfa.ke.example"]);
        assert_eq!(verdict(&other, &ours, "mfa.ke.example"), Verdict::Unknown);
        assert_eq!(
            verdict(&pass, &AuthServ::Nobody, "mfa.ke.example"),
            Verdict::Unknown
        );
        assert_eq!(verdict(&[], &ours, "mfa.ke.example"), Verdict::Unknown);
    }

    #[test]
    fn a_dkim_pass_counts_when_it_is_for_the_from_domain() {
        let ours = AuthServ::Id("mx.ctc.example".into());
        let v = |s: &str, from: &str| verdict(&[s.to_string()], &ours, from);
        let signed = "mx.ctc.example; dkim=pass header.d=mfa.ke.example header.s=s1; dmarc=none";
        assert_eq!(v(signed, "mfa.ke.example"), Verdict::Pass);
        assert_eq!(
            v(signed, "mail.mfa.ke.example"),
            Verdict::Pass,
            "relaxed alignment"
        );
        assert_eq!(
            v(signed, "evil.example"),
            Verdict::Unknown,
            "signed by another domain"
        );
        assert_eq!(
            v(signed, "xmfa.ke.example"),
            Verdict::Unknown,
            "not a parent domain"
        );
        let failed = "mx.ctc.example; dkim=fail header.d=mfa.ke.example";
        assert_eq!(v(failed, "mfa.ke.example"), Verdict::Unknown);
    }

    #[test]
    fn microsoft_365_writes_no_authserv_id_and_can_be_trusted_topmost() {
        // What Exchange Online prepends: no authserv-id before the first clause.
        let m365 = vec![
            "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=mfa.ke.example; dkim=pass \
             (signature was verified) header.d=mfa.ke.example;dmarc=pass action=none \
             header.from=mfa.ke.example;compauth=pass reason=100"
                .to_string(),
            "mx.ctc.example; dmarc=fail".to_string(),
        ];
        assert_eq!(
            verdict(&m365, &AuthServ::Topmost, "mfa.ke.example"),
            Verdict::Pass
        );
        // With an authserv-id configured, M365's header never matches it.
        let ours = AuthServ::Id("ctc.example".into());
        assert_eq!(
            verdict(&m365[..1], &ours, "mfa.ke.example"),
            Verdict::Unknown
        );
    }
}
