//! Snapshots (insta) of every mail needsd sends, in each of the six UN languages:
//! the circulation, the reminder and the deadline-day alert (each with the recipient's
//! workbook), the receipt of a reply, the experts' decision on it, the experts' digest,
//! the review alert and a one-off deadline's alert. Each is built through the library's
//! public API (`mail::compose`) with fixed, fictional inputs shaped as the workflow
//! shapes them (`workflow/mod.rs`, `chase.rs`, `intake.rs`, `review.rs`), then parsed
//! back and written out for people to read: the headers that matter, the MIME structure,
//! the decoded text and HTML. The MIME boundaries are random, so they are left out of
//! the snapshot, and each mail is built twice to prove they are the only difference.
//! The attachment is given by name, type and length, not by its bytes.
//!
//! Also here: every kind of mail has its two templates on disk, and nothing else is
//! there. (That every language has every message English has is `locale`'s unit test.)
//!
//! `INSTA_UPDATE=always cargo test --test app mail_snapshots` rewrites the snapshots in
//! `tests/app/snapshots/`; read them before committing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use needsd::mail::compose::{
    self, ChangeLine, Circular, CirculationContext, Day, DeadlineParts, Notice, Outgoing, Receipt,
    ReceiptContext, ReceiptItem, Templates,
};
use needsd::model::{Cycle, EmailAddress, Language};
use needsd::review::{Kind, Outcome, Proposal};
use needsd::settings::{Mailbox, Secret};
use needsd::state::MessageKind;
use needsd::store::jobs::DigestFacts;
use needsd::token;
use needsd::workbook::write;
use sha2::Digest;

/// Fictional operator settings, as `[mail]` and `[schedule]` would give them.
const FROM: &str = "Matrix of Needs <needs@ctc.example>";
const REPLY_TO: &str = "needs@ctc.example";
const EXPERT: &str = "review.team@ctc.example";
const SECRET: &str = "snapshot-token-secret-not-for-use-0123456789";
const TIMEZONE: &str = "America/New_York";
const CYCLE: &str = "2026-12";
const PUBLIC_URL: &str = "https://needs.ctc.example";

/// Every language, respondents' and experts'.
const LANGUAGES: [Language; 6] = Language::ALL;

struct Fixture {
    templates: Templates,
    from: Mailbox,
    reply_to: EmailAddress,
    secret: Secret,
    cycle: Cycle,
}

fn fixture() -> Fixture {
    Fixture {
        templates: Templates::embedded().expect("the embedded templates compile"),
        from: Mailbox::parse(FROM).expect("a mailbox"),
        reply_to: EmailAddress::parse(REPLY_TO).expect("an address"),
        secret: Secret::new(SECRET.to_string()),
        cycle: Cycle::parse(CYCLE).expect("a cycle"),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

fn at(day: NaiveDate, h: u32, min: u32) -> DateTime<Utc> {
    day.and_hms_opt(h, min, 0).expect("a time").and_utc()
}

/// The deadline of the cycle as `Config::deadline_local` gives it (`deadline_day = 15`,
/// 23:59:59 local).
fn deadline_local() -> NaiveDateTime {
    date(2026, 12, 15).and_hms_opt(23, 59, 59).expect("a time")
}

/// "15 December 2026, 23:59 New York time", as `Config::deadline_text` writes it (the
/// digest's facts keep it; the mail writes the deadline in the reader's language).
fn deadline_text() -> String {
    write::deadline_text(deadline_local(), TIMEZONE)
}

fn deadline_parts() -> DeadlineParts {
    DeadlineParts::new(deadline_local(), TIMEZONE)
}

/// A recipient of the circulation: a contact of a State or an organization.
struct Respondent {
    id: i64,
    name: &'static str,
    email: &'static str,
    party: &'static str,
    party_name: &'static str,
    /// The State's needs in the matrix; none for an organization.
    state_needs: Option<usize>,
    language: Language,
}

/// A State's contact writing in `language`: names with accents and apostrophes, so the
/// headers show their encoding and the HTML its escaping.
fn state_contact(language: Language) -> Respondent {
    match language {
        Language::Fr => Respondent {
            id: 17,
            name: "Aïssatou N'Diaye",
            email: "a.ndiaye@diplomatie.ci.example",
            party: "CIV",
            party_name: "Côte d'Ivoire",
            state_needs: Some(1),
            language,
        },
        Language::Es => Respondent {
            id: 23,
            name: "José Ñúñez Peña",
            email: "jnunez@minrel.cl.example",
            party: "CHL",
            party_name: "Chile",
            state_needs: Some(2),
            language,
        },
        Language::Ru => Respondent {
            id: 29,
            name: "Анна Сергеевна Ковалёва",
            email: "a.kovaleva@mid.kz.example",
            party: "KAZ",
            party_name: "Kazakhstan",
            state_needs: Some(5),
            language,
        },
        Language::Zh => Respondent {
            id: 31,
            name: "王小明",
            email: "wang.xm@mfa.cn.example",
            party: "CHN",
            party_name: "China",
            state_needs: Some(21),
            language,
        },
        Language::Ar => Respondent {
            id: 37,
            name: "فاطمة الزهراء بن علي",
            email: "f.benali@diplomatie.tn.example",
            party: "TUN",
            party_name: "Tunisia",
            state_needs: Some(2),
            language,
        },
        Language::En => Respondent {
            id: 11,
            name: "Wanjiru Kamau",
            email: "wanjiru.kamau@mfa.ke.example",
            party: "KEN",
            party_name: "Kenya",
            state_needs: Some(4),
            language,
        },
    }
}

/// An organization's contact writing in `language` (no count of needs in the mail).
fn organization_contact(language: Language) -> Respondent {
    let (id, name, email) = match language {
        Language::Fr => (41, "Hélène Marchand", "h.marchand@unodc.example"),
        Language::Es => (42, "Lucía Ortega", "l.ortega@unodc.example"),
        Language::Ru => (43, "Игорь Петров", "i.petrov@unodc.example"),
        Language::Zh => (44, "李华", "li.hua@unodc.example"),
        Language::Ar => (45, "عمر حداد", "o.haddad@unodc.example"),
        Language::En => (40, "Priya Raman", "p.raman@unodc.example"),
    };
    Respondent {
        id,
        name,
        email,
        party: "UNODC",
        party_name: "Office on Drugs and Crime",
        state_needs: None,
        language,
    }
}

/// A small stand-in for the recipient's workbook: the snapshot shows its name, type and
/// length, and the test checks the bytes come back whole.
fn workbook() -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend((0..1020u32).map(|i| (i.wrapping_mul(31) % 251) as u8));
    bytes
}

/// A circulation, reminder or deadline-day alert, built as `workflow::Plan::message`
/// builds it.
fn chase(
    f: &Fixture,
    r: &Respondent,
    kind: MessageKind,
    day: NaiveDate,
    sent: DateTime<Utc>,
) -> Outgoing {
    let cycle = f.cycle;
    let token = token::recipient_token(&f.secret, cycle, r.id);
    let reply_to = token::plus_address(&f.reply_to, &token);
    let context = CirculationContext {
        cycle: cycle.to_string(),
        cycle_year: cycle.year(),
        cycle_month: cycle.month(),
        contact_name: r.name.to_string(),
        party: r.party.to_string(),
        party_name: r.party_name.to_string(),
        state_needs: r.state_needs,
        deadline: DeadlineParts::new(deadline_local(), TIMEZONE),
        reference: write::reference(cycle, r.party, &token),
        reply_to,
        final_day: kind == MessageKind::DeadlineAlert,
    };
    let to = EmailAddress::parse(r.email).expect("an address");
    let mac = token::message_mac(&f.secret, cycle, kind.as_str(), r.id, day);
    compose::circulation(
        &f.templates,
        &Circular {
            kind: match kind {
                MessageKind::Circulation => "circulation",
                _ => "reminder",
            },
            context,
            language: r.language,
            from: &f.from,
            to_name: r.name,
            to: &to,
            envelope_from: token::plus_address(&f.reply_to, &format!("bounce-{token}")),
            message_id: compose::message_id(
                cycle,
                kind.as_str(),
                r.id,
                day,
                &mac,
                f.from.address.domain(),
            ),
            date: sent,
            attachment_name: format!("Matrix of Needs {cycle} {}.xlsx", r.party),
            attachment: workbook(),
            list_unsubscribe: Some(list_unsubscribe(f, r.id, &to)),
        },
    )
    .expect("the message renders")
}

/// The one-click link and mailto as `workflow::subscription::list_unsubscribe` writes
/// them, under a fictional `web.public_url`.
fn list_unsubscribe(f: &Fixture, contact: i64, to: &EmailAddress) -> compose::ListUnsubscribe {
    let key = to.key();
    compose::ListUnsubscribe {
        url: format!(
            "{PUBLIC_URL}/unsubscribe/{contact}/{}",
            token::unsubscribe_mac(&f.secret, contact, &key)
        ),
        mailto: format!(
            "mailto:{}?subject=unsubscribe",
            token::plus_address(
                &f.reply_to,
                &token::unsubscribe_tag(&f.secret, contact, &key)
            )
        ),
    }
}

/// The confirmation of an unsubscribe as `workflow::subscription` builds it.
fn unsubscribed(f: &Fixture, r: &Respondent) -> Outgoing {
    let to = EmailAddress::parse(r.email).expect("an address");
    let sent = at(date(2026, 12, 3), 15, 30);
    compose::receipt(
        &f.templates,
        &Receipt {
            kind: "unsubscribed",
            context: compose::UnsubscribedContext {
                contact_name: r.name.to_string(),
                party_name: r.party_name.to_string(),
                address: r.email.to_string(),
                subscribe_address: f.reply_to.to_string(),
            },
            language: r.language,
            from: &f.from,
            reply_to: f.reply_to.as_str(),
            to_name: r.name,
            to: &to,
            envelope_from: token::plus_address(&f.reply_to, "bounce-receipt"),
            message_id: format!(
                "<unsubscribed.{}.{}@{}>",
                r.id,
                sent.timestamp(),
                f.from.address.domain()
            ),
            in_reply_to: None,
            date: sent,
        },
    )
    .expect("the confirmation renders")
}

/// A receipt as `workflow::intake::receipt_message` builds it.
fn receipt(f: &Fixture, r: &Respondent, context: ReceiptContext, inbox_id: i64) -> Outgoing {
    let cycle = f.cycle;
    let token = token::recipient_token(&f.secret, cycle, r.id);
    let reply_to = token::plus_address(&f.reply_to, &token);
    let to = EmailAddress::parse(r.email).expect("an address");
    compose::receipt(
        &f.templates,
        &Receipt {
            kind: "receipt",
            context,
            language: r.language,
            from: &f.from,
            reply_to: &reply_to,
            to_name: r.name,
            to: &to,
            envelope_from: token::plus_address(&f.reply_to, "bounce-receipt"),
            message_id: format!(
                "<{cycle}.receipt.{}.{inbox_id}@{}>",
                r.id,
                f.from.address.domain()
            ),
            in_reply_to: Some(format!("<reply-{inbox_id}.{}@mail.example>", r.party)),
            date: at(date(2026, 12, 8), 10, 15),
        },
    )
    .expect("the receipt renders")
}

fn need_update(id: &str, field: &str, from: &str, to: &str) -> ChangeLine {
    ChangeLine {
        kind: "update",
        register: "need",
        id: id.into(),
        field: field.into(),
        from: from.into(),
        to: to.into(),
        ..ChangeLine::default()
    }
}

/// A receipt's context: a workbook with four changes (one in conflict, one to a
/// programme) and two refused rows, and the text.
fn receipt_context(r: &Respondent) -> ReceiptContext {
    let mut conflict = need_update("MN-00043", "status", "Open", "Met");
    conflict.conflict = true;
    conflict.current = "Withdrawn".into();
    ReceiptContext {
        cycle: CYCLE.into(),
        contact_name: r.name.into(),
        party_name: r.party_name.into(),
        late: false,
        quarantined: false,
        has_errors: true,
        deadline: deadline_parts(),
        status: "pending",
        pending: 4,
        items: vec![
            ReceiptItem {
                file: Some(format!("Matrix of Needs {CYCLE} {}.xlsx", r.party)),
                verdict: "pending",
                count: 4,
                changes: vec![
                    need_update("MN-00042", "priority", "Medium", "High"),
                    conflict,
                    ChangeLine {
                        kind: "add-need",
                        register: "need",
                        party: r.party_name.into(),
                        title: "Training of border officers in API/PNR & watchlists".into(),
                        ..ChangeLine::default()
                    },
                    ChangeLine {
                        kind: "update",
                        register: "programme",
                        id: "SA-00007".into(),
                        field: "languages".into(),
                        from: String::new(),
                        to: "English, Spanish".into(),
                        ..ChangeLine::default()
                    },
                ],
                errors: vec![
                    needsd::model::RowError {
                        row: 12,
                        column: Some("Priority".into()),
                        message: "'Urgent <top>' is not a priority (High, Medium or Low)".into(),
                    },
                    needsd::model::RowError {
                        row: 14,
                        column: None,
                        message: "the row has no State".into(),
                    },
                ],
            },
            ReceiptItem {
                file: None,
                verdict: "no-changes",
                count: 0,
                changes: vec![],
                errors: vec![],
            },
        ],
    }
}

/// A receipt's context for the commonest reply: "no changes" in the message's text.
fn no_changes_context(r: &Respondent) -> ReceiptContext {
    ReceiptContext {
        cycle: CYCLE.into(),
        contact_name: r.name.into(),
        party_name: r.party_name.into(),
        late: false,
        quarantined: false,
        has_errors: false,
        deadline: deadline_parts(),
        status: "no-changes",
        pending: 0,
        items: vec![ReceiptItem {
            file: None,
            verdict: "no-changes",
            count: 0,
            changes: vec![],
            errors: vec![],
        }],
    }
}

/// A receipt's context for a late reply from an address not listed for the party.
fn quarantined_context(r: &Respondent) -> ReceiptContext {
    ReceiptContext {
        cycle: CYCLE.into(),
        contact_name: r.name.into(),
        party_name: r.party_name.into(),
        late: true,
        quarantined: true,
        has_errors: false,
        deadline: deadline_parts(),
        status: "quarantined",
        pending: 1,
        items: vec![ReceiptItem {
            file: Some(format!("Matrix of Needs {CYCLE} {}.xlsx", r.party)),
            verdict: "quarantined",
            count: 1,
            changes: vec![need_update("MN-00057", "status", "Open", "Met")],
            errors: vec![],
        }],
    }
}

fn proposal(seq: i64, kind: Kind, decision: Outcome) -> Proposal {
    Proposal {
        id: 900 + seq,
        seq,
        kind,
        need_id: None,
        row: Some(10 + seq),
        field: None,
        base: None,
        current: None,
        proposed: None,
        fields: BTreeMap::new(),
        conflict: false,
        duplicate_of: None,
        decision,
        reviewer: Some("expert.one".into()),
        decided_at: Some(crate::common::at("2026-12-20T16:30:00Z")),
        reason: None,
    }
}

/// The decision on a reply, built by `workflow::review::decision_message` itself, on a
/// configuration with this file's sender, reply address and token secret.
fn decision(r: &Respondent) -> Outgoing {
    use needsd::model::{Contact, Field, NeedId, PartyCode};
    let need = |s: &str| Some(NeedId::parse(s).expect("a need id"));
    let mut update = proposal(1, Kind::Update, Outcome::Approved);
    update.need_id = need("MN-00042");
    update.field = Some(Field::Priority);
    update.base = Some("Medium".into());
    update.current = Some("Medium".into());
    update.proposed = Some("High".into());
    let mut add = proposal(2, Kind::Add, Outcome::Rejected);
    add.fields.insert(Field::State, r.party_name.into());
    add.fields.insert(
        Field::Description,
        "Training of border officers in API/PNR & watchlists".into(),
    );
    add.reason = Some("Duplicate of MN-00031 <already funded>".into());
    let mut withdraw = proposal(3, Kind::Withdraw, Outcome::Rejected);
    withdraw.need_id = need("MN-00057");
    let changes = [update, add, withdraw];
    let config = format!(
        "[mail]\nfrom = \"{FROM}\"\nreply_to = \"{REPLY_TO}\"\n\
         [outbox]\ndir = \"unused\"\n[maildir]\ndir = \"unused\"\n"
    );
    let env = BTreeMap::from([("NEEDSD_TOKEN_SECRET".to_string(), SECRET.to_string())]);
    let cfg = needsd::config::Config::from_toml(&config, "snapshots", &env).expect("a config");
    let sent = at(date(2026, 12, 20), 16, 30);
    let submission = needsd::store::review::Submission {
        id: 312,
        inbox_id: Some(77),
        cycle: Some(CYCLE.into()),
        party: Some(r.party.into()),
        party_name: Some(r.party_name.into()),
        contact_id: Some(r.id),
        from: Some(r.email.into()),
        subject: Some(format!(
            "Re: [Matrix of Needs {CYCLE}] Please review & reply"
        )),
        message_id: Some(format!("reply-77.{}@mail.example", r.party)),
        received_at: Some(sent),
        verified: Some(true),
        attachment: None,
        late: false,
        state: needsd::state::SubmissionState::Applied,
        note: None,
        created_at: sent,
        decided_at: Some(sent),
        pending_changes: 0,
        errors: 0,
    };
    let contact = Contact {
        id: r.id,
        party: PartyCode::parse(r.party).expect("a party code"),
        name: r.name.into(),
        office: String::new(),
        email: EmailAddress::parse(r.email).expect("an address"),
        language: r.language,
        role: String::new(),
        receives_matrix: true,
        active: true,
        bouncing_since: None,
    };
    let templates = Templates::embedded().expect("the embedded templates compile");
    needsd::workflow::review::decision_message(
        &cfg,
        &templates,
        &submission,
        (&changes, &[]),
        Some(&contact),
        sent,
    )
    .expect("the decision renders")
    .expect("something was decided")
    .outgoing
}

/// `workflow::chase::short_hash`: twelve hex digits of the address's hash.
fn short_hash(a: &EmailAddress) -> String {
    let h = sha2::Sha256::digest(a.key().as_bytes());
    h[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// A notice to the team as `workflow::chase::team_notice` builds it.
fn team_notice<C: serde::Serialize>(
    f: &Fixture,
    kind: MessageKind,
    context: &C,
    language: Language,
    to: &EmailAddress,
    id_local: String,
    sent: DateTime<Utc>,
) -> Outgoing {
    compose::notice(
        &f.templates,
        &Notice {
            kind: kind.as_str(),
            context,
            language,
            from: &f.from,
            reply_to: f.reply_to.as_str(),
            to,
            envelope_from: f.from.address.to_string(),
            message_id: format!("<{id_local}@{}>", f.from.address.domain()),
            date: sent,
        },
    )
    .expect("the notice renders")
}

/// The digest as `workflow::chase::digest` builds it: the facts, the deadline and the
/// unmet needs as parts.
fn digest(f: &Fixture, language: Language) -> Outgoing {
    let expert = EmailAddress::parse(EXPERT).expect("an address");
    let facts = DigestFacts {
        cycle: CYCLE.into(),
        deadline: deadline_text(),
        parties: 5,
        answered: 3,
        awaiting_review: 2,
        changes_pending: 4,
        conflicts: 1,
        quarantined: 1,
        unparseable: 0,
        late: 1,
        silent: vec!["Côte d'Ivoire (CIV)".into(), "Chile (CHL)".into()],
        bouncing: vec!["Old Focal Point <focal@gouv.cl.example> (CHL)".into()],
        unmet: vec!["(the facts' English line; the mail writes its own)".into()],
    };
    let mut context = serde_json::to_value(&facts).expect("facts serialise");
    context["due"] = serde_json::to_value(deadline_parts()).expect("parts serialise");
    context["unmet_needs"] = serde_json::json!([
        {"need": "MN-00007", "state": "CIV", "area": "FIN",
         "what": "Training for the financial intelligence unit", "cycles": 3,
         "candidates": ["SA-00002 Financial intelligence units (World Bank)"]},
        {"need": "MN-00011", "state": "CHL", "area": "BRD",
         "what": "Scanners for the northern border crossings", "cycles": 4,
         "candidates": []},
    ]);
    team_notice(
        f,
        MessageKind::Digest,
        &context,
        language,
        &expert,
        format!("{CYCLE}.digest.{}", short_hash(&expert)),
        at(date(2026, 12, 16), 13, 0),
    )
}

fn review_alert(f: &Fixture, language: Language) -> Outgoing {
    let expert = EmailAddress::parse(EXPERT).expect("an address");
    // Two days before the dispatch of 1 January 2027.
    let next_day = date(2027, 1, 1);
    #[derive(serde::Serialize)]
    struct Context {
        pending: i64,
        next: Day,
        parties: Vec<String>,
    }
    let context = Context {
        pending: 3,
        next: Day::of(next_day),
        parties: vec!["CIV: 1".into(), "KEN: 2".into()],
    };
    team_notice(
        f,
        MessageKind::ReviewAlert,
        &context,
        language,
        &expert,
        format!("review.{next_day}.{}", short_hash(&expert)),
        at(date(2026, 12, 30), 8, 0),
    )
}

fn deadline_notice(f: &Fixture, language: Language) -> Outgoing {
    let owner = EmailAddress::parse("secretariat.lead@ctc.example").expect("an address");
    let due = date(2027, 1, 15);
    let days = 7u32;
    #[derive(serde::Serialize)]
    struct Context<'a> {
        title: &'a str,
        due: Day,
        days: u32,
    }
    let context = Context {
        title: "Annual report to the Committee: needs & trends <draft>",
        due: Day::of(due),
        days,
    };
    team_notice(
        f,
        MessageKind::Deadline,
        &context,
        language,
        &owner,
        format!("deadline.{}.{days}.{due}", 4),
        at(date(2027, 1, 8), 8, 0),
    )
}

// ---------------------------------------------------------------------------------------
// Writing a message out for a snapshot.

/// The headers the brief asks for, said "not set" when the message lacks them.
const EXPECTED: &[&str] = &[
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "Content-Language",
    "Auto-Submitted",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(raw)
        .expect("needsd's own message parses")
}

/// Every multipart boundary in the message.
fn boundaries(m: &Message<'_>) -> Vec<String> {
    m.parts
        .iter()
        .filter_map(|p| p.content_type()?.attribute("boundary"))
        .map(str::to_string)
        .collect()
}

/// The raw message with its random boundaries replaced by their order.
fn without_boundaries(raw: &[u8]) -> String {
    let m = parse(raw);
    let mut text = String::from_utf8(raw.to_vec()).expect("the message is ASCII");
    for (i, b) in boundaries(&m).iter().enumerate() {
        text = text.replace(b.as_str(), &format!("BOUNDARY-{i}"));
    }
    text
}

fn header_value(name: &str, value: &HeaderValue<'_>, raw: &str) -> String {
    match value {
        HeaderValue::Address(a) => a
            .iter()
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (None, Some(e)) => format!("<{e}>"),
                (n, None) => format!("{} (no address)", n.unwrap_or_default()),
            })
            .collect::<Vec<_>>()
            .join(", "),
        // Message-IDs: mail-parser drops their brackets.
        HeaderValue::Text(id) if is_id(name) => format!("<{id}>"),
        HeaderValue::TextList(ids) if is_id(name) => ids
            .iter()
            .map(|id| format!("<{id}>"))
            .collect::<Vec<_>>()
            .join(" "),
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(", "),
        HeaderValue::ContentType(c) => content_type(c),
        // Dates and anything else: as written, unfolded.
        _ => raw.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn is_id(name: &str) -> bool {
    ["message-id", "in-reply-to", "references"].contains(&name.to_ascii_lowercase().as_str())
}

/// `type/subtype; attr="value"…` without the boundary.
fn content_type(c: &mail_parser::ContentType<'_>) -> String {
    let mut s = match c.subtype() {
        Some(sub) => format!("{}/{}", c.ctype(), sub),
        None => c.ctype().to_string(),
    };
    for a in c.attributes().unwrap_or_default() {
        if !a.name.eq_ignore_ascii_case("boundary") {
            s.push_str(&format!("; {}=\"{}\"", a.name, a.value));
        }
    }
    s
}

/// One part and the parts under it, indented; the bodies of text parts are collected.
fn structure(
    m: &Message<'_>,
    id: u32,
    depth: usize,
    out: &mut String,
    bodies: &mut Vec<(String, String)>,
    attachments: &mut Vec<Vec<u8>>,
) {
    let part = m.part(id).expect("a part");
    let ctype = part
        .content_type()
        .map(content_type)
        .unwrap_or_else(|| "(no Content-Type)".into());
    let mut line = format!("{}{ctype}", "  ".repeat(depth));
    if let Some(enc) = part.content_transfer_encoding() {
        line.push_str(&format!(" [{enc}]"));
    }
    if let Some(d) = part.content_disposition() {
        line.push_str(&format!(" {}", content_type(d)));
    }
    if let Some(lang) = part.content_language().as_text() {
        line.push_str(&format!(" Content-Language={lang}"));
    }
    match &part.body {
        PartType::Multipart(children) => {
            out.push_str(&line);
            out.push('\n');
            for c in children {
                structure(m, *c, depth + 1, out, bodies, attachments);
            }
        }
        PartType::Text(t) | PartType::Html(t) => {
            out.push_str(&format!("{line}, {} bytes decoded\n", t.len()));
            bodies.push((ctype, t.replace("\r\n", "\n")));
        }
        PartType::Binary(b) | PartType::InlineBinary(b) => {
            out.push_str(&format!("{line}, {} bytes decoded (not shown)\n", b.len()));
            attachments.push(b.to_vec());
        }
        PartType::Message(_) => {
            out.push_str(&format!("{line} (a message inside: not expected)\n"));
        }
    }
}

/// The message as the snapshot shows it; checks on the way what no snapshot should need
/// a reader to notice.
fn describe(out: &Outgoing, about: &str) -> String {
    assert!(out.raw.is_ascii(), "{about}: the message is 7-bit");
    let m = parse(&out.raw);
    let raw = String::from_utf8_lossy(&out.raw);
    let mut s = format!("{about}\n");
    s.push_str(&format!(
        "envelope: MAIL FROM:<{}> RCPT TO:<{}>\n",
        out.envelope_from, out.recipient
    ));
    s.push_str("\nheaders (decoded, in the order written; MIME boundary left out):\n");
    let mut seen = BTreeSet::new();
    for h in m.headers() {
        let name = h.name().to_string();
        let written = &raw[h.offset_start() as usize..h.offset_end() as usize];
        s.push_str(&format!(
            "  {name}: {}\n",
            header_value(&name, h.value(), written)
        ));
        seen.insert(name.to_ascii_lowercase());
    }
    let missing: Vec<&str> = EXPECTED
        .iter()
        .copied()
        .filter(|n| !seen.contains(&n.to_ascii_lowercase()))
        .collect();
    s.push_str(&format!("not set: {}\n", missing.join(", ")));
    assert_eq!(m.subject(), Some(out.subject.as_str()), "{about}: subject");
    assert_eq!(
        m.message_id().map(|id| format!("<{id}>")).as_deref(),
        Some(out.message_id.as_str()),
        "{about}: Message-ID"
    );

    s.push_str("\nstructure:\n");
    let (mut bodies, mut attachments) = (Vec::new(), Vec::new());
    structure(&m, 0, 1, &mut s, &mut bodies, &mut attachments);
    for a in &attachments {
        assert_eq!(a, &workbook(), "{about}: the attachment comes back whole");
    }
    for (ctype, body) in bodies {
        for syntax in ["{{", "}}", "{%", "%}", "{#", "#}"] {
            assert!(
                !body.contains(syntax),
                "{about}: template syntax {syntax} in {ctype}:\n{body}"
            );
        }
        s.push_str(&format!("\n----- {ctype} -----\n{}", body));
        if !body.ends_with('\n') {
            s.push('\n');
        }
    }
    s
}

/// Builds the message twice (only the MIME boundaries may differ) and snapshots it.
fn check(name: &str, about: &str, build: impl Fn() -> Outgoing) {
    let (a, b) = (build(), build());
    assert_eq!(
        without_boundaries(&a.raw),
        without_boundaries(&b.raw),
        "{name}: the same input must give the same message but for its MIME boundaries"
    );
    insta::assert_snapshot!(name, describe(&a, about));
}

// ---------------------------------------------------------------------------------------
// The snapshots.

#[test]
fn circulation() {
    let f = fixture();
    let day = f.cycle.day(1);
    for lang in LANGUAGES {
        let l = lang.as_str();
        let r = state_contact(lang);
        check(
            &format!("circulation_{l}"),
            &format!("circulation to a State's contact, language {l}"),
            || chase(&f, &r, MessageKind::Circulation, day, at(day, 11, 0)),
        );
        let r = organization_contact(lang);
        check(
            &format!("circulation_organization_{l}"),
            &format!("circulation to an organization's contact, language {l}"),
            || chase(&f, &r, MessageKind::Circulation, day, at(day, 11, 0)),
        );
    }
}

#[test]
fn reminder() {
    let f = fixture();
    let day = date(2026, 12, 10);
    for lang in LANGUAGES {
        let l = lang.as_str();
        let r = state_contact(lang);
        check(
            &format!("reminder_{l}"),
            &format!("reminder to a State's contact, language {l}"),
            || chase(&f, &r, MessageKind::Reminder, day, at(day, 14, 0)),
        );
    }
}

#[test]
fn deadline_alert() {
    let f = fixture();
    let day = date(2026, 12, 15);
    for lang in LANGUAGES {
        let l = lang.as_str();
        let r = state_contact(lang);
        check(
            &format!("deadline_alert_{l}"),
            &format!("deadline-day alert (the reminder, final) to a State's contact, language {l}"),
            || chase(&f, &r, MessageKind::DeadlineAlert, day, at(day, 14, 0)),
        );
    }
}

#[test]
fn receipt_of_a_reply() {
    let f = fixture();
    for lang in LANGUAGES {
        let l = lang.as_str();
        let r = state_contact(lang);
        check(
            &format!("receipt_{l}"),
            &format!(
                "receipt of a reply (changes, one in conflict, refused rows, a text), \
                 language {l}"
            ),
            || receipt(&f, &r, receipt_context(&r), 77),
        );
        check(
            &format!("receipt_no_changes_{l}"),
            &format!("receipt of a reply saying \"no changes\", language {l}"),
            || receipt(&f, &r, no_changes_context(&r), 79),
        );
        check(
            &format!("receipt_quarantined_late_{l}"),
            &format!(
                "receipt of a late reply from an address not listed for the party, language {l}"
            ),
            || receipt(&f, &r, quarantined_context(&r), 78),
        );
    }
}

#[test]
fn decision_on_a_reply() {
    // The workflow writes the decision in the contact's language.
    for lang in LANGUAGES {
        let l = lang.as_str();
        let r = state_contact(lang);
        check(
            &format!("decision_{l}"),
            &format!(
                "decision on a reply (one approved, two not accepted), to a contact writing \
                 in {l}"
            ),
            || decision(&r),
        );
    }
}

#[test]
fn digest_to_the_experts() {
    let f = fixture();
    for lang in LANGUAGES {
        let l = lang.as_str();
        check(
            &format!("digest_{l}"),
            &format!("the experts' digest after the deadline, to an expert reading {l}"),
            || digest(&f, lang),
        );
    }
}

#[test]
fn review_alert_to_the_experts() {
    let f = fixture();
    for lang in LANGUAGES {
        let l = lang.as_str();
        check(
            &format!("review_alert_{l}"),
            &format!("the review alert two days before the circulation, to an expert reading {l}"),
            || review_alert(&f, lang),
        );
    }
}

#[test]
fn confirmation_of_an_unsubscribe() {
    let f = fixture();
    for lang in LANGUAGES {
        let l = lang.as_str();
        check(
            &format!("unsubscribed_{l}"),
            &format!("the confirmation that a contact reading {l} stopped receiving the Matrix"),
            || unsubscribed(&f, &organization_contact(lang)),
        );
    }
}

#[test]
fn one_off_deadline_alert() {
    let f = fixture();
    for lang in LANGUAGES {
        let l = lang.as_str();
        check(
            &format!("deadline_{l}"),
            &format!("a one-off deadline's alert to its owner, 7 days before, language {l}"),
            || deadline_notice(&f, lang),
        );
    }
}

/// The mail says what its language is: `lang` on the HTML, and right to left in Arabic.
#[test]
fn html_parts_carry_their_language_and_direction() {
    let f = fixture();
    let day = f.cycle.day(1);
    for lang in LANGUAGES {
        let out = chase(
            &f,
            &state_contact(lang),
            MessageKind::Circulation,
            day,
            at(day, 11, 0),
        );
        let m = parse(&out.raw);
        let html = m.body_html(0).expect("an HTML part");
        let dir = if lang == Language::Ar { "rtl" } else { "ltr" };
        assert!(
            html.contains(&format!("<html lang=\"{}\" dir=\"{dir}\">", lang.as_str())),
            "{html}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The templates on disk.

/// Every kind has its text and HTML template, the layout is there, and nothing else is:
/// a stray file (an old `KIND.LANGUAGE.PART`) would be a template nobody renders.
#[test]
fn every_kind_has_its_two_templates_and_nothing_else_is_there() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/mail");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("templates/mail/ lists")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("a UTF-8 name")
        })
        .collect();
    let expected: BTreeSet<String> = compose::KINDS
        .iter()
        .flat_map(|k| [format!("{k}.txt"), format!("{k}.html")])
        .chain(["layout.html".to_string()])
        .collect();
    assert_eq!(on_disk, expected);
    // And each is compiled in: every kind renders in every language from its sample.
    Templates::embedded()
        .expect("the embedded templates compile")
        .check(None)
        .expect("every kind renders in every language");
}
