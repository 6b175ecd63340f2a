//! What an inbound message is, and what it carries. Pure: raw bytes in, owned facts out.
//! Bounces (RFC 3464 delivery status notifications) and auto-replies (RFC 3834 and the
//! out-of-office habits of common mail systems) are told apart from replies; the
//! addresses a reply was sent to yield the plus-address tokens that match it to a
//! recipient; attachments are collected from forwarded messages too.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use thiserror::Error;

use crate::model::EmailAddress;

#[derive(Debug, Error, PartialEq)]
pub enum ClassifyError {
    #[error("not a mail message: no headers could be read")]
    NotMail,
    #[error("the mail parser failed on this message")]
    ParserPanicked,
}

/// What kind of message it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A person's message: a reply, or mail that matches nothing.
    Reply,
    /// An automatic answer (out of office, a delay notice): recorded, never answered.
    AutoReply { reason: String },
    /// A report that a message could not be delivered.
    Bounce(Bounce),
}

/// What a delivery status notification says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bounce {
    /// The recipients it reports as failed.
    pub recipients: Vec<String>,
    /// The RFC 3463 status, e.g. `5.1.1`.
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    /// The Message-ID of the message the report returns (from its `message/rfc822` or
    /// `text/rfc822-headers` part), without angle brackets.
    pub returned_message_id: Option<String>,
}

/// A file attached to the message or to a message forwarded inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Everything needsd takes from a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To and X-Original-To addresses: where the token may be.
    pub recipients: Vec<String>,
    pub subject: String,
    /// In-Reply-To and References, message ids without angle brackets.
    pub refers_to: Vec<String>,
    pub kind: Kind,
    /// The plain text of the message (its first text part).
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// The raw Authentication-Results headers, for sender verification.
    pub auth_results: Vec<String>,
    /// Why a message read as a reply was marked automatic (a workbook it carries is
    /// never discarded as an auto-reply).
    pub auto_reply: Option<String>,
}

/// Reads a message. Never panics: the parser runs under `catch_unwind`, since malformed
/// input has made it panic in past releases.
pub fn read(raw: &[u8]) -> Result<Facts, ClassifyError> {
    std::panic::catch_unwind(|| read_inner(raw)).unwrap_or(Err(ClassifyError::ParserPanicked))
}

fn read_inner(raw: &[u8]) -> Result<Facts, ClassifyError> {
    let m = MessageParser::default()
        .parse(raw)
        .ok_or(ClassifyError::NotMail)?;
    // Anything yields some "headers": a message has at least one that mail defines
    // (From, To, Date, Received, …), where a zip or a picture dropped in the inbox has none.
    if m.headers()
        .iter()
        .all(|h| matches!(h.name, mail_parser::HeaderName::Other(_)))
    {
        return Err(ClassifyError::NotMail);
    }
    let addresses = |a: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .filter_map(|x| x.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    };
    let mut recipients = addresses(m.to());
    recipients.extend(addresses(m.cc()));
    for (name, value) in m.headers_raw() {
        if name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To") {
            recipients.push(
                value
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_string(),
            );
        }
    }
    // RFC 5322 allows one From field. Of a message with more, or with one field naming
    // several authors, the sender is not known: taking either would let a lookalike's
    // authenticated From stand beside a contact's.
    let from = m
        .from()
        .filter(|f| f.iter().count() == 1)
        .and_then(|f| f.first())
        .filter(|_| m.header_values("From").count() <= 1);
    let mut refers_to: Vec<String> = Vec::new();
    for v in [m.in_reply_to(), m.references()] {
        if let Some(list) = v.as_text_list() {
            refers_to.extend(list.iter().map(|s| s.to_string()));
        } else if let Some(one) = v.as_text() {
            refers_to.push(one.to_string());
        }
    }
    let subject = m.subject().unwrap_or("").to_string();
    let header =
        |name: &str| -> Option<String> { m.header_raw(name).map(|v| v.trim().to_string()) };
    let from_address = from.and_then(|f| f.address()).map(str::to_string);
    let mut attachments = Vec::new();
    collect_attachments(&m, &mut attachments, 0);
    let kind = match bounce(&m, from_address.as_deref(), &subject) {
        Some(Report::Failed(b)) => Kind::Bounce(b),
        Some(Report::NotFailed(actions)) => Kind::AutoReply {
            reason: format!("a delivery status notification ({actions})"),
        },
        None => match auto_reply(&header, &subject) {
            Some(reason) => Kind::AutoReply { reason },
            None => Kind::Reply,
        },
    };
    Ok(Facts {
        message_id: m.message_id().map(str::to_string),
        from: from_address,
        from_name: from.and_then(|f| f.name()).map(str::to_string),
        recipients,
        subject,
        refers_to,
        kind,
        text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        attachments,
        auth_results: m
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Authentication-Results"))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect(),
        auto_reply: None,
    })
}

/// Attachments of `m` and of messages forwarded inside it (to a sane depth).
fn collect_attachments(m: &mail_parser::Message<'_>, out: &mut Vec<Attachment>, depth: usize) {
    for part in m.attachments() {
        if let Some(inner) = part.message() {
            // Parsed again on its own: the parts of a forwarded message carry offsets into
            // the outer message's bytes, which `original_bytes` cannot tell from offsets
            // into its own.
            if depth < 4
                && let Some(inner) = MessageParser::default().parse(inner.raw_message())
            {
                collect_attachments(&inner, out, depth + 1);
            }
            continue;
        }
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        // The machine-readable parts of a delivery report are not files anyone sent.
        if matches!(
            content_type.as_str(),
            "message/delivery-status"
                | "message/global-delivery-status"
                | "text/rfc822-headers"
                | "message/global-headers"
        ) {
            continue;
        }
        let name = part.attachment_name().unwrap_or("").to_string();
        let bytes = original_bytes(m, part);
        // Nothing with no name: what a returned message of headers only leaves behind.
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        out.push(Attachment {
            name,
            content_type,
            bytes,
        });
    }
}

/// A part's bytes as the sender's program wrote them, with only the transfer encoding
/// (base64, quoted-printable) undone. mail-parser turns every text part into a UTF-8
/// string by its charset parameter, which for a file is often missing or wrong (Excel's
/// Windows-1252 CSV sent as `text/csv` with no charset): the workbook reader must see the
/// original bytes and decide the encoding itself, as it does for a file on disk.
fn original_bytes(m: &mail_parser::Message<'_>, part: &mail_parser::MessagePart<'_>) -> Vec<u8> {
    use mail_parser::Encoding;
    use mail_parser::decoders::{base64::base64_decode, quoted_printable::quoted_printable_decode};
    if !matches!(part.body, PartType::Text(_) | PartType::Html(_)) || part.is_encoding_problem {
        return part.contents().to_vec();
    }
    // The offsets of a part are into the raw bytes of the message parsed (a forwarded
    // message is parsed again on its own by `collect_attachments`).
    let Some(raw) = m
        .raw_message()
        .get(part.offset_body as usize..part.offset_end as usize)
    else {
        return part.contents().to_vec();
    };
    let decoded = match part.encoding {
        Encoding::None => Some(raw.to_vec()),
        Encoding::Base64 => base64_decode(raw),
        Encoding::QuotedPrintable => quoted_printable_decode(raw),
    };
    decoded.unwrap_or_else(|| part.contents().to_vec())
}

/// What makes two stored messages one: the same Message-ID, the same sender (letter
/// case aside) and the same attachments, byte for byte and in order. The Message-ID is
/// chosen by the sender's program and anyone can reuse one, so a message that shares
/// only its Message-ID with another is judged on its own. `None` without a Message-ID:
/// such a message is never taken for a copy (its raw bytes already are, by sha256).
pub fn copy_key(f: &Facts) -> Option<String> {
    use sha2::{Digest, Sha256};
    let id = f.message_id.as_deref()?;
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update([0]);
    h.update(f.from.as_deref().unwrap_or("").to_lowercase().as_bytes());
    for a in &f.attachments {
        h.update([0]);
        h.update(Sha256::digest(&a.bytes));
    }
    Some(hex::encode(h.finalize()))
}

/// Whether a part's content type is `ctype/subtype`, in any letter case.
fn is_type(ct: &mail_parser::ContentType<'_>, ctype: &str, subtype: &str) -> bool {
    ct.ctype().eq_ignore_ascii_case(ctype)
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
}

/// The most recipients (and distinct actions) a bounce keeps: a real report names a few.
const MAX_REPORTED: usize = 100;

/// What a delivery report says.
enum Report {
    /// Delivery failed for good to at least one recipient.
    Failed(Bounce),
    /// Only delays, deliveries or relays (the actions reported): nobody to mark.
    NotFailed(String),
}

/// An RFC 3464 (or RFC 6533) report, or a bounce in the older styles (from the mailer
/// daemon, with a tell-tale subject).
fn bounce(m: &mail_parser::Message<'_>, from: Option<&str>, subject: &str) -> Option<Report> {
    let is_report = m
        .content_type()
        .is_some_and(|c| is_type(c, "multipart", "report"));
    let status_text = m.parts.iter().find_map(|p| {
        let c = p.content_type()?;
        if !(is_type(c, "message", "delivery-status")
            || is_type(c, "message", "global-delivery-status"))
        {
            return None;
        }
        Some(match &p.body {
            PartType::Text(t) => t.to_string(),
            _ => String::from_utf8_lossy(p.contents()).into_owned(),
        })
    });
    // A report that reports no action is judged like any other message below.
    if let Some(report) = status_text
        .filter(|_| is_report)
        .and_then(|text| delivery_status(&text, returned_message_id(m)))
    {
        return Some(report);
    }
    let daemon = from.is_some_and(|f| {
        let local = f.split('@').next().unwrap_or("").to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    let s = subject.to_ascii_lowercase();
    let tell = [
        "undeliverable",
        "undelivered mail",
        "delivery status notification (failure)",
        "mail delivery failed",
        "returned mail",
        "delivery failure",
        // qmail's
        "failure notice",
    ];
    (daemon && tell.iter().any(|t| s.contains(t))).then(|| {
        let text = m.body_text(0).unwrap_or_default();
        let mut b = qmail_bounce(&text);
        b.returned_message_id = b.returned_message_id.or_else(|| returned_message_id(m));
        Report::Failed(b)
    })
}

/// What a plain-text bounce in qmail's format (QSBMF, cr.yp.to/proto/qsbmf.txt) says:
/// each failed recipient on a line `<address>:`, its status as `(#5.1.1)` in the lines
/// that follow, and the message returned after `--- Below this line is a copy of the
/// message.`. Other plain-text bounces give nothing here.
fn qmail_bounce(text: &str) -> Bounce {
    let (report, copy) = match text.split_once("--- Below this line is a copy of the message.") {
        Some((report, copy)) => (report, Some(copy)),
        None => (text, None),
    };
    let mut b = Bounce::default();
    for line in report.lines().map(str::trim) {
        if let Some(addr) = line
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">:"))
            .filter(|a| a.contains('@') && !a.contains(char::is_whitespace))
        {
            if b.recipients.len() < MAX_REPORTED {
                b.recipients.push(addr.to_string());
            }
        } else if b.status.is_none()
            && let Some((_, rest)) = line.split_once("(#")
            && let Some((status, _)) = rest.split_once(')')
            && status.split('.').count() == 3
        {
            b.status = Some(status.to_string());
        }
    }
    // The returned message's own Message-ID, from its header lines (up to a blank line).
    b.returned_message_id = copy.and_then(|copy| {
        header_message_id(
            copy.trim_start()
                .lines()
                .take_while(|l| !l.trim().is_empty()),
        )
    });
    b
}

/// Reads the fields of a `message/delivery-status` part (RFC 3464 §2): a block for the
/// message, then one per recipient, separated by blank lines; a field may continue on
/// lines that begin with white space. Only the recipients whose action is `failed` are
/// the bounce's, with the first of their statuses and diagnostics. None when no block
/// says what happened (no `Action:` field).
fn delivery_status(text: &str, returned_message_id: Option<String>) -> Option<Report> {
    let mut b = Bounce {
        returned_message_id,
        ..Bounce::default()
    };
    // The distinct actions, for people (bounded), and whether any was a failure (whatever
    // the bound left out).
    let mut actions: Vec<String> = Vec::new();
    let mut failed = false;
    for block in text.replace("\r\n", "\n").split("\n\n") {
        // Unfolded fields of this block, names lower-cased.
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let Some(action) = field("action") else {
            continue;
        };
        let action = action.to_ascii_lowercase();
        // Each list is bounded: a hostile report of a million blocks, each with another
        // action or recipient, must not make these checks quadratic.
        if actions.len() < MAX_REPORTED && !actions.contains(&action) {
            actions.push(action.clone());
        }
        if action != "failed" {
            continue;
        }
        failed = true;
        // "rfc822; someone@example.org": the address follows the first semicolon.
        let after_type = |v: &str| {
            v.split_once(';')
                .map_or(v, |(_, rest)| rest)
                .trim()
                .to_string()
        };
        for name in ["final-recipient", "original-recipient"] {
            if let Some(addr) = field(name).map(after_type)
                && !addr.is_empty()
                && b.recipients.len() < MAX_REPORTED
                && !b.recipients.contains(&addr)
            {
                b.recipients.push(addr);
            }
        }
        if b.status.is_none() {
            b.status = field("status").map(str::to_string);
        }
        if b.diagnostic.is_none() {
            b.diagnostic = field("diagnostic-code").map(after_type);
        }
    }
    if failed {
        Some(Report::Failed(b))
    } else if actions.is_empty() {
        None
    } else {
        Some(Report::NotFailed(actions.join(", ")))
    }
}

/// The Message-ID of the message a bounce returns: the header of its `message/rfc822`
/// part, or a `Message-ID:` line of its `text/rfc822-headers` part.
fn returned_message_id(m: &mail_parser::Message<'_>) -> Option<String> {
    m.parts.iter().skip(1).find_map(|p| {
        if let Some(inner) = p.message() {
            return inner.message_id().map(str::to_string);
        }
        let c = p.content_type()?;
        if !(is_type(c, "text", "rfc822-headers") || is_type(c, "message", "global-headers")) {
            return None;
        }
        header_message_id(String::from_utf8_lossy(p.contents()).lines())
    })
}

/// The Message-ID among header lines of a returned message, without angle brackets.
fn header_message_id<'a>(mut lines: impl Iterator<Item = &'a str>) -> Option<String> {
    lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("message-id").then(|| {
            value
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .to_string()
        })
    })
}

/// Why a message is an automatic answer, if it is one. Outlook's
/// X-Auto-Response-Suppress is not a sign: ordinary mail carries it.
fn auto_reply(header: &dyn Fn(&str) -> Option<String>, subject: &str) -> Option<String> {
    if let Some(v) = header("Auto-Submitted")
        && !v.to_ascii_lowercase().starts_with("no")
    {
        return Some(format!("Auto-Submitted: {v}"));
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if header(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    if let Some(v) = header("Precedence")
        && matches!(
            v.to_ascii_lowercase().as_str(),
            "auto_reply" | "bulk" | "junk"
        )
    {
        return Some(format!("Precedence: {v}"));
    }
    let s = subject.to_lowercase();
    OUT_OF_OFFICE
        .iter()
        .find(|p| s.contains(*p))
        .map(|p| format!("subject says \"{p}\""))
}

/// Out-of-office subjects in the six UN languages, lower case.
const OUT_OF_OFFICE: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "away from the office",
    "réponse automatique",
    "absence du bureau",
    "absent du bureau",
    "respuesta automática",
    "fuera de la oficina",
    "автоматический ответ",
    "нет на месте",
    "вне офиса",
    "自动回复",
    "自動回覆",
    "不在办公室",
    "رد تلقائي",
    "خارج المكتب",
];

/// A plus-address tag found among a message's recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// `needs+TOKEN@…`: a reply from the recipient with this token.
    Reply(String),
    /// `needs+bounce-TOKEN@…`: a bounce of the message sent with this token.
    Bounce(String),
    /// `needs+unsubscribe-ID-MAC@…`: the mailto of a circulation's `List-Unsubscribe`,
    /// naming contact ID and the MAC that proves the message came to them
    /// (`token::unsubscribe_mac`).
    Unsubscribe { contact_id: i64, mac: String },
}

/// The tags in `recipients` that are plus-addresses of `mailbox` (case-insensitively).
pub fn tags(recipients: &[String], mailbox: &EmailAddress) -> Vec<Tag> {
    let local = mailbox.local_part().to_ascii_lowercase();
    let domain = mailbox.domain().to_ascii_lowercase();
    let mut out = Vec::new();
    for r in recipients {
        let r = r.to_ascii_lowercase();
        let Some((l, d)) = r.rsplit_once('@') else {
            continue;
        };
        let Some(tag) = l.strip_prefix(&local).and_then(|t| t.strip_prefix('+')) else {
            continue;
        };
        if d != domain || tag.is_empty() {
            continue;
        }
        let t = if let Some(token) = tag.strip_prefix("bounce-") {
            Tag::Bounce(token.to_string())
        } else if let Some(rest) = tag.strip_prefix(crate::token::UNSUBSCRIBE_PREFIX) {
            match rest
                .split_once('-')
                .map(|(id, mac)| (id.parse::<i64>(), mac))
            {
                Some((Ok(contact_id), mac)) => Tag::Unsubscribe {
                    contact_id,
                    mac: mac.to_string(),
                },
                // Not one needsd wrote: a made-up token, as an unknown reply token is.
                _ => Tag::Reply(tag.to_string()),
            }
        } else {
            Tag::Reply(tag.to_string())
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Whether a reply's own words (above any quoted text) say there is nothing to change,
/// in one of the six UN languages.
pub fn says_no_changes(text: &str) -> bool {
    let own = own_words(text).to_lowercase();
    let own = own.split_whitespace().collect::<Vec<_>>().join(" ");
    NO_CHANGES.iter().any(|p| own.contains(p))
}

/// A message's own text: its lines above any quoted message, without `>` lines.
pub fn own_words(text: &str) -> String {
    text.lines()
        .take_while(|l| !is_quote_start(l))
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_quote_start(line: &str) -> bool {
    let l = line.trim();
    l.starts_with("-----Original Message")
        || l.starts_with("From:") && l.len() < 200
        || l.starts_with("De :")
        || l.starts_with("De:")
        || (l.starts_with("On ") && l.ends_with("wrote:"))
        || (l.starts_with("Le ") && l.ends_with("a écrit :"))
        || (l.starts_with("El ") && l.ends_with("escribió:"))
}

const NO_CHANGES: &[&str] = &[
    "no changes",
    "no change",
    "nothing to report",
    "nothing to change",
    "no updates",
    "no update",
    "aucun changement",
    "aucune modification",
    "rien à signaler",
    "pas de changement",
    "sin cambios",
    "ningún cambio",
    "nada que informar",
    "no hay cambios",
    "без изменений",
    "изменений нет",
    "нет изменений",
    "无变化",
    "没有变化",
    "无更改",
    "沒有變化",
    "لا تغييرات",
    "لا توجد تغييرات",
    "لا تغيير",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn a_reply_gives_its_tokens_references_and_attachment() {
        let raw = msg(
            "From: Grace <grace@mfa.ke.example>\r\nTo: \"Matrix\" <needs+abc123@ctc.example>\r\n\
             Cc: needs@ctc.example\r\nSubject: Re: [Matrix of Needs 2026-12] Please review\r\n\
             In-Reply-To: <2026-12.circulation.7.2026-12-01@ctc.example>\r\n\
             Message-ID: <r1@mfa.ke.example>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"",
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n\
             --b\r\nContent-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename*=UTF-8''Matrice%20d%C3%A9cembre.xlsx\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n",
        );
        let f = read(&raw).unwrap();
        assert_eq!(f.kind, Kind::Reply);
        assert_eq!(f.from.as_deref(), Some("grace@mfa.ke.example"));
        assert_eq!(
            f.refers_to,
            ["2026-12.circulation.7.2026-12-01@ctc.example"]
        );
        assert_eq!(f.attachments.len(), 1);
        assert_eq!(f.attachments[0].name, "Matrice décembre.xlsx");
        assert_eq!(f.attachments[0].bytes, b"PK\x03\x04");
        let mailbox = EmailAddress::parse("needs@ctc.example").unwrap();
        assert_eq!(tags(&f.recipients, &mailbox), [Tag::Reply("abc123".into())]);
    }

    #[test]
    fn a_message_with_two_from_fields_has_no_sender() {
        let raw = msg(
            "From: desk@lookalike.example\r\nFrom: Grace <grace@mfa.ke.example>\r\n\
             To: needs+abc123@ctc.example\r\nSubject: Re: update",
            "Hello\r\n",
        );
        let f = read(&raw).unwrap();
        assert_eq!(f.from, None);
        assert_eq!(f.from_name, None);
    }

    #[test]
    fn a_from_field_naming_two_authors_has_no_sender() {
        let raw = msg(
            "From: desk@lookalike.example, Grace <grace@mfa.ke.example>\r\n\
             To: needs+abc123@ctc.example\r\nSubject: Re: update",
            "Hello\r\n",
        );
        let f = read(&raw).unwrap();
        assert_eq!(f.from, None);
    }

    #[test]
    fn a_report_naming_many_recipients_keeps_a_bounded_few() {
        let mut blocks = String::from("Reporting-MTA: dns; mx.example\r\n");
        for i in 0..20_000 {
            blocks.push_str(&format!(
                "\r\nFinal-Recipient: rfc822; d{i}@x.example\r\nAction: delayed-{i}\r\n\
                 \r\nFinal-Recipient: rfc822; r{i}@x.example\r\nAction: failed\r\n\
                 Status: 5.1.1\r\n"
            ));
        }
        let d = delivery_status(&blocks, None);
        let Some(Report::Failed(b)) = d else {
            panic!("a failed report")
        };
        assert_eq!(b.recipients.len(), MAX_REPORTED);
        assert_eq!(b.recipients[0], "r0@x.example");
    }

    #[test]
    fn a_failure_after_many_other_actions_still_fails() {
        // More distinct actions than the list keeps come before the one failure.
        let mut blocks = String::from("Reporting-MTA: dns; mx.example\r\n");
        for i in 0..=MAX_REPORTED {
            blocks.push_str(&format!(
                "\r\nFinal-Recipient: rfc822; d{i}@x.example\r\nAction: delayed-{i}\r\n"
            ));
        }
        blocks.push_str("\r\nFinal-Recipient: rfc822; gone@x.example\r\nAction: failed\r\n");
        let Some(Report::Failed(b)) = delivery_status(&blocks, None) else {
            panic!("a failed report")
        };
        assert_eq!(b.recipients, ["gone@x.example"]);
    }

    #[test]
    fn a_report_that_reports_no_action_is_not_a_delivery_notification() {
        let raw = msg(
            "From: someone@b.example\r\nTo: needs@ctc.example\r\nSubject: hello\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"",
            "--r\r\nContent-Type: text/plain\r\n\r\nHi\r\n\
             --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; b.example\r\n\r\n--r--\r\n",
        );
        let f = read(&raw).unwrap();
        assert!(
            !matches!(f.kind, Kind::Bounce(_) | Kind::AutoReply { .. }),
            "{:?}",
            f.kind
        );
    }

    #[test]
    fn a_delivery_status_notification_is_a_bounce_with_its_recipient() {
        let raw = msg(
            "From: MAILER-DAEMON@lab.ctc.test (Mail Delivery System)\r\n\
             To: needs+bounce-abc123@ctc.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"",
            "--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n\
             --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; lab.ctc.test\r\n\r\n\
             Final-Recipient: rfc822; gone@nowhere.invalid\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             Diagnostic-Code: X-Postfix; no such mailbox\r\n\r\n--r--\r\n",
        );
        let f = read(&raw).unwrap();
        let Kind::Bounce(b) = &f.kind else {
            panic!("not a bounce: {:?}", f.kind)
        };
        assert_eq!(b.recipients, ["gone@nowhere.invalid"]);
        assert_eq!(b.status.as_deref(), Some("5.1.1"));
        assert_eq!(b.diagnostic.as_deref(), Some("no such mailbox"));
        let mailbox = EmailAddress::parse("needs@ctc.example").unwrap();
        assert_eq!(
            tags(&f.recipients, &mailbox),
            [Tag::Bounce("abc123".into())]
        );
    }

    #[test]
    fn auto_replies_are_told_apart_but_outlook_suppression_is_not_one() {
        let auto = |h: &str| {
            read(&msg(&format!("From: a@b.example\r\n{h}"), "x"))
                .unwrap()
                .kind
        };
        assert!(matches!(
            auto("Auto-Submitted: auto-replied\r\nSubject: Re: x"),
            Kind::AutoReply { .. }
        ));
        assert!(matches!(
            auto("Precedence: bulk\r\nSubject: x"),
            Kind::AutoReply { .. }
        ));
        assert!(matches!(
            auto("Subject: Réponse automatique : Matrice"),
            Kind::AutoReply { .. }
        ));
        assert!(matches!(
            auto("Subject: Автоматический ответ: Matrix"),
            Kind::AutoReply { .. }
        ));
        assert!(matches!(
            auto("Subject: 自动回复: Matrix"),
            Kind::AutoReply { .. }
        ));
        assert_eq!(
            auto("X-Auto-Response-Suppress: All\r\nSubject: Re: Matrix"),
            Kind::Reply
        );
        assert_eq!(
            auto("Auto-Submitted: no\r\nSubject: Re: Matrix"),
            Kind::Reply
        );
    }

    #[test]
    fn no_changes_is_read_in_six_languages_but_not_in_quoted_text() {
        assert!(says_no_changes("No changes this month, thanks.\n"));
        assert!(says_no_changes("Bonjour,\nAucun changement pour nous.\n"));
        assert!(says_no_changes("Sin cambios.\n"));
        assert!(says_no_changes("Без изменений.\n"));
        assert!(says_no_changes("本月无变化。"));
        assert!(says_no_changes("لا توجد تغييرات"));
        assert!(!says_no_changes(
            "Please see the attached changes.\n\nOn 1 Dec 2026, needs wrote:\n> no changes\n"
        ));
    }

    #[test]
    fn a_forwarded_message_gives_up_its_attachment() {
        let inner = "From: fp@mfa.example\r\nSubject: matrix\r\nMIME-Version: 1.0\r\n\
                     Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nhere\r\n\
                     --i\r\nContent-Type: text/csv; name=\"matrix.csv\"\r\nContent-Disposition: attachment; filename=\"matrix.csv\"\r\n\r\nNeed ID,State\r\n--i--\r\n";
        let raw = msg(
            "From: boss@mfa.example\r\nSubject: Fwd: matrix\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"",
            &format!(
                "--o\r\nContent-Type: text/plain\r\n\r\nforwarding\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--o--\r\n"
            ),
        );
        let f = read(&raw).unwrap();
        assert_eq!(f.attachments.len(), 1, "{:?}", f.attachments);
        assert_eq!(f.attachments[0].name, "matrix.csv");
    }

    /// "Coût estimé : 12 000 €" in Windows-1252, as Excel's French CSV writes it.
    const CP1252_CSV: &[u8] = b"Need ID;Notes\r\nMN-00001;Co\xfbt estim\xe9 : 12 000 \x80\r\n";

    fn csv_part(headers: &str, body: &str) -> Vec<u8> {
        msg(
            "From: fp@mfa.example\r\nSubject: matrix\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"",
            &format!(
                "--b\r\nContent-Type: text/plain\r\n\r\nhere\r\n--b\r\n{headers}\r\n\
                 Content-Disposition: attachment; filename=\"matrix.csv\"\r\n\r\n{body}\r\n--b--\r\n"
            ),
        )
    }

    #[test]
    fn a_text_attachment_keeps_the_bytes_its_sender_wrote() {
        // No charset, a wrong one, base64, quoted-printable and 8bit: the reader gets the
        // file's own bytes every time, never a UTF-8 guess with replacement characters.
        let b64 = |b: &[u8]| {
            use std::fmt::Write;
            const A: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut s = String::new();
            for c in b.chunks(3) {
                let n = c
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, x)| n | u32::from(*x) << (16 - 8 * i));
                for i in 0..4 {
                    let ch = if i <= c.len() {
                        A[(n >> (18 - 6 * i) & 63) as usize] as char
                    } else {
                        '='
                    };
                    let _ = write!(s, "{ch}");
                }
            }
            s
        };
        let qp: String = CP1252_CSV
            .iter()
            .map(|&c| match c {
                b'\r' | b'\n' => (c as char).to_string(),
                0x20..=0x7e if c != b'=' => (c as char).to_string(),
                _ => format!("={c:02X}"),
            })
            .collect();
        let mut eight_bit = csv_part("Content-Type: text/csv", "#CSV#");
        let at = eight_bit.windows(5).position(|w| w == b"#CSV#").unwrap();
        eight_bit.splice(at..at + 5, CP1252_CSV.iter().copied());
        let cases = [
            csv_part(
                "Content-Type: text/csv\r\nContent-Transfer-Encoding: base64",
                &b64(CP1252_CSV),
            ),
            csv_part(
                "Content-Type: text/csv; charset=utf-8\r\nContent-Transfer-Encoding: base64",
                &b64(CP1252_CSV),
            ),
            csv_part(
                "Content-Type: text/csv; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable",
                &qp,
            ),
            eight_bit,
        ];
        for raw in &cases {
            let f = read(raw).unwrap();
            assert_eq!(f.attachments.len(), 1, "{}", String::from_utf8_lossy(raw));
            let got = &f.attachments[0].bytes;
            // Transfer decoding may leave the line break before the boundary.
            assert_eq!(
                got.strip_suffix(b"\r\n").unwrap_or(got),
                CP1252_CSV.strip_suffix(b"\r\n").unwrap(),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn a_forwarded_text_attachment_keeps_its_bytes_too() {
        let inner = "From: fp@mfa.example\r\nSubject: matrix\r\nMIME-Version: 1.0\r\n\
                     Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nhere\r\n\
                     --i\r\nContent-Type: text/csv; charset=utf-8; name=\"matrix.csv\"\r\nContent-Disposition: attachment\r\n\
                     Content-Transfer-Encoding: quoted-printable\r\n\r\nCo=FBt=3B=80\r\n--i--\r\n";
        let raw = msg(
            "From: boss@mfa.example\r\nSubject: Fwd: matrix\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"",
            &format!(
                "--o\r\nContent-Type: text/plain\r\n\r\nforwarding\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--o--\r\n"
            ),
        );
        let f = read(&raw).unwrap();
        assert_eq!(f.attachments.len(), 1, "{:?}", f.attachments);
        let got = &f.attachments[0].bytes;
        assert_eq!(got.strip_suffix(b"\r\n").unwrap_or(got), b"Co\xfbt;\x80");
    }

    #[test]
    fn a_copy_is_the_same_message_id_sender_and_attachments() {
        let mail = |from: &str, id: &str, attachment: &str| {
            read(&csv_part(
                &format!("Content-Type: text/csv\r\nX-From: {from}\r\nX-Id: {id}"),
                attachment,
            ))
            .map(|mut f| {
                f.from = Some(from.to_string());
                f.message_id = (!id.is_empty()).then(|| id.to_string());
                f
            })
            .unwrap()
        };
        let key = |from: &str, id: &str, attachment: &str| copy_key(&mail(from, id, attachment));
        let original = key("fp@mfa.example", "a@b", "Need ID\r\nMN-00001");
        assert!(original.is_some());
        // The same message delivered twice, whatever the letter case of the address.
        assert_eq!(
            key("FP@MFA.example", "a@b", "Need ID\r\nMN-00001"),
            original
        );
        // Another sender, other attachments, or another Message-ID: another message.
        assert_ne!(
            key("mallory@evil.example", "a@b", "Need ID\r\nMN-00001"),
            original
        );
        assert_ne!(
            key("fp@mfa.example", "a@b", "Need ID\r\nMN-00002"),
            original
        );
        assert_ne!(
            key("fp@mfa.example", "c@d", "Need ID\r\nMN-00001"),
            original
        );
        // Without a Message-ID nothing is a copy.
        assert_eq!(key("fp@mfa.example", "", "Need ID\r\nMN-00001"), None);
    }

    #[test]
    fn charsets_and_encoded_file_names_of_the_six_languages_decode() {
        let koi8 = b"From: a@b.example\r\nSubject: =?koi8-r?B?7sXUIMnazcXOxc7Jyg==?=\r\n\r\nx";
        assert_eq!(
            read(koi8).unwrap().subject,
            "\u{41d}\u{435}\u{442} \u{438}\u{437}\u{43c}\u{435}\u{43d}\u{435}\u{43d}\u{438}\u{439}"
        );
        let mut gbk =
            b"From: a@b.example\r\nContent-Type: text/plain; charset=gbk\r\n\r\n".to_vec();
        gbk.extend_from_slice(&[0xce, 0xde, 0xb1, 0xe4, 0xbb, 0xaf]);
        assert_eq!(read(&gbk).unwrap().text.trim(), "\u{65e0}\u{53d8}\u{5316}");
        assert!(says_no_changes(&read(&gbk).unwrap().text));
        let mut big5 =
            b"From: a@b.example\r\nContent-Type: text/plain; charset=big5\r\n\r\n".to_vec();
        big5.extend_from_slice(&[0xa8, 0x53, 0xa6, 0xb3, 0xc5, 0xdc, 0xa4, 0xc6]);
        assert_eq!(
            read(&big5).unwrap().text.trim(),
            "\u{6c92}\u{6709}\u{8b8a}\u{5316}"
        );
        let mut cp1256 =
            b"From: a@b.example\r\nContent-Type: text/plain; charset=windows-1256\r\n\r\n".to_vec();
        cp1256.extend_from_slice(&[0xe1, 0xc7, 0x20, 0xca, 0xdb, 0xed, 0xed, 0xd1]);
        assert_eq!(
            read(&cp1256).unwrap().text.trim(),
            "\u{644}\u{627} \u{62a}\u{63a}\u{64a}\u{64a}\u{631}"
        );
        let jis = b"From: a@b.example\r\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n\r\nx";
        assert_eq!(read(jis).unwrap().subject, "\u{30c6}\u{30b9}\u{30c8}");
        // RFC 2047 in the name parameter, as Outlook writes it.
        let outlook = msg(
            "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"",
            "--b\r\nContent-Type: application/vnd.ms-excel; name=\"=?utf-8?B?0JzQsNGC0YDQuNGG0LAueGxzeA==?=\"\r\n\
             Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n",
        );
        assert_eq!(
            read(&outlook).unwrap().attachments[0].name,
            "\u{41c}\u{430}\u{442}\u{440}\u{438}\u{446}\u{430}.xlsx"
        );
    }

    #[test]
    fn truncated_messages_never_panic() {
        let raw = msg(
            "From: Grace <grace@mfa.ke.example>\r\nTo: needs+abc@ctc.example\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"",
            "--b\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=F0=D2=C9\r\n\
             --b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y\r\nContent-Type: multipart/mixed; boundary=\"c\"\r\n\r\n\
             --c\r\nContent-Disposition: attachment; filename*=utf-8''a%20b.xlsx\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--c--\r\n--b--\r\n",
        );
        for cut in 0..=raw.len() {
            let _ = read(&raw[..cut]);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(read(b""), Err(ClassifyError::NotMail));
        let _ = read(b"\xff\xfe\x00garbage\r\n\r\n");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10_000))]
        #[test]
        fn any_bytes_are_read_or_refused_without_panicking(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = read(&bytes);
        }
    }
}
