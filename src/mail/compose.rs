//! Messages from templates: values in, RFC 5322 bytes out. Pure apart from nothing; the
//! caller supplies the date, so the same input gives the same message but for the MIME
//! boundaries, and the bytes are stored in the outbox and sent exactly as rendered.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, Message};
use serde::Serialize;
use thiserror::Error;

use crate::model::{Cycle, EmailAddress, Language};
use crate::settings;

#[derive(Debug, Error)]
pub enum ComposeError {
    #[error("template {name}: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("no template {0} in English either")]
    MissingTemplate(String),
    #[error("'{address}' cannot be written in a mail header: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// The three parts of template `kind.language`: subject, plain text, HTML.
macro_rules! templates {
    ($($kind:literal . $lang:literal),* $(,)?) => {
        &[$(
            (
                concat!($kind, ".", $lang, ".subject.txt"),
                include_str!(concat!("../../templates/mail/", $kind, ".", $lang, ".subject.txt")),
            ),
            (
                concat!($kind, ".", $lang, ".txt"),
                include_str!(concat!("../../templates/mail/", $kind, ".", $lang, ".txt")),
            ),
            (
                concat!($kind, ".", $lang, ".html"),
                include_str!(concat!("../../templates/mail/", $kind, ".", $lang, ".html")),
            ),
        )*]
    };
}

/// The mail templates shipped in `templates/mail/`, compiled into the binary.
const EMBEDDED: &[(&str, &str)] = templates![
    "circulation"."en",
    "circulation"."fr",
    "circulation"."es",
    "reminder"."en",
    "reminder"."fr",
    "reminder"."es",
    "receipt"."en",
    "decision"."en",
    "digest"."en",
    "deadline"."en",
    "review_alert"."en",
];

/// The compiled templates. `.html` templates escape what they insert; `.txt` ones do not.
pub struct Templates {
    env: minijinja::Environment<'static>,
}

impl Templates {
    pub fn embedded() -> Result<Self, ComposeError> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in EMBEDDED {
            env.add_template(name, source)
                .map_err(|source| ComposeError::Template {
                    name: name.to_string(),
                    source,
                })?;
        }
        Ok(Self { env })
    }

    /// Renders `{kind}.{language}.{part}`, or the English template when the language has
    /// none.
    pub fn render<S: Serialize>(
        &self,
        kind: &str,
        language: Language,
        part: &str,
        ctx: &S,
    ) -> Result<String, ComposeError> {
        let own = format!("{kind}.{}.{part}", language.as_str());
        let name = if self.env.get_template(&own).is_ok() {
            own
        } else {
            format!("{kind}.en.{part}")
        };
        let template = self
            .env
            .get_template(&name)
            .map_err(|_| ComposeError::MissingTemplate(name.clone()))?;
        template
            .render(minijinja::value::Value::from(minijinja::value::Serde(ctx)))
            .map_err(|source| ComposeError::Template { name, source })
    }

    /// The languages with their own template for `kind`.
    pub fn languages(&self, kind: &str) -> Vec<&'static str> {
        EMBEDDED
            .iter()
            .filter_map(|(n, _)| n.strip_prefix(kind)?.strip_prefix('.')?.split('.').next())
            .fold(Vec::new(), |mut v, l| {
                if !v.contains(&l) {
                    v.push(l);
                }
                v
            })
    }
}

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: String,
    pub envelope_from: String,
    pub recipient: String,
    pub subject: String,
    pub raw: Vec<u8>,
}

/// The deadline as templates use it: numbers, so each language writes its own month.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineParts {
    pub day: u32,
    pub month: u32,
    pub year: i32,
    pub time: String,
    /// The place of the time zone, e.g. "New York".
    pub zone: String,
}

impl DeadlineParts {
    pub fn new(local: NaiveDateTime, tz: &str) -> Self {
        Self {
            day: local.day(),
            month: local.month(),
            year: local.year(),
            time: format!("{:02}:{:02}", local.hour(), local.minute()),
            zone: tz.rsplit('/').next().unwrap_or(tz).replace('_', " "),
        }
    }
}

/// What a circulation message says; the template context.
#[derive(Debug, Clone, Serialize)]
pub struct CirculationContext {
    pub cycle: String,
    pub cycle_year: i32,
    pub cycle_month: u32,
    pub contact_name: String,
    pub party: String,
    pub party_name: String,
    /// How many needs of the recipient's State the matrix lists; none for organizations.
    pub state_needs: Option<usize>,
    pub deadline: DeadlineParts,
    /// The recipient's own reply address (`needs+TOKEN@…`).
    pub reply_to: String,
    pub reference: String,
    /// For a reminder: whether today is the deadline.
    #[serde(rename = "final")]
    pub final_day: bool,
}

/// One circulation message, or a reminder of it: the context, and who it goes to and
/// from.
pub struct Circular<'a> {
    /// `circulation` or `reminder` (the deadline alert is a reminder on the last day).
    pub kind: &'static str,
    pub context: CirculationContext,
    pub language: Language,
    pub from: &'a settings::Mailbox,
    pub to_name: &'a str,
    pub to: &'a EmailAddress,
    /// The VERP envelope sender (`needs+bounce-TOKEN@…`).
    pub envelope_from: String,
    pub message_id: String,
    pub date: DateTime<Utc>,
    pub attachment_name: String,
    pub attachment: Vec<u8>,
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The deterministic Message-ID of a message of `kind` for `contact_id` on `day`, with
/// the MAC `token::message_mac` gives for the same:
/// `<2026-12.circulation.17.2026-12-01.3f9a0c17be21@ctc.example>`. A retry after an
/// ambiguous crash carries the same one, so the receiving side can recognise it; nobody
/// without the secret can write another recipient's.
pub fn message_id(
    cycle: Cycle,
    kind: &str,
    contact_id: i64,
    day: chrono::NaiveDate,
    mac: &str,
    domain: &str,
) -> String {
    format!("<{cycle}.{kind}.{contact_id}.{day}.{mac}@{domain}>")
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office responders stay quiet.
#[derive(Clone)]
struct AutoSubmitted(&'static str);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        match s.trim() {
            "auto-generated" => Ok(Self("auto-generated")),
            "auto-replied" => Ok(Self("auto-replied")),
            _ => Ok(Self("no")),
        }
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_string())
    }
}

fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, ComposeError> {
    let parsed: Address = address
        .parse()
        .map_err(|e: lettre::address::AddressError| ComposeError::Address {
            address: address.to_string(),
            reason: e.to_string(),
        })?;
    Ok(Mailbox::new(
        name.filter(|n| !n.trim().is_empty()).map(str::to_string),
        parsed,
    ))
}

/// Renders a circulation message (or a reminder) with its workbook attached.
pub fn circulation(t: &Templates, c: &Circular<'_>) -> Result<Outgoing, ComposeError> {
    letter(
        t,
        &Letter {
            kind: c.kind,
            language: c.language,
            context: minijinja::value::Value::from(minijinja::value::Serde(&c.context)),
            from: c.from,
            reply_to: &c.context.reply_to,
            to_name: c.to_name,
            to: c.to,
            envelope_from: c.envelope_from.clone(),
            message_id: c.message_id.clone(),
            in_reply_to: None,
            auto_submitted: "auto-generated",
            date: c.date,
            attachment: Some((c.attachment_name.as_str(), c.attachment.as_slice())),
        },
    )
}

/// What the receipt of a reply says; the template context.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptContext {
    pub cycle: String,
    pub contact_name: String,
    pub party_name: String,
    pub late: bool,
    pub quarantined: bool,
    pub has_errors: bool,
    /// The deadline written out.
    pub deadline: String,
    /// "1 change awaits review", for the subject.
    pub summary: String,
    pub items: Vec<ReceiptItem>,
}

/// One workbook (or the message's text) and what was understood from it.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptItem {
    pub title: String,
    pub changes: Vec<String>,
    pub errors: Vec<String>,
}

/// An answer to a respondent's reply: its receipt (`kind` "receipt", saying what was
/// understood) or the experts' decision on it ("decision").
pub struct Receipt<'a, C: Serialize = ReceiptContext> {
    pub kind: &'static str,
    pub context: C,
    pub language: Language,
    pub from: &'a settings::Mailbox,
    pub reply_to: &'a str,
    pub to_name: &'a str,
    pub to: &'a EmailAddress,
    pub envelope_from: String,
    pub message_id: String,
    /// The reply's Message-ID, with brackets.
    pub in_reply_to: Option<String>,
    pub date: DateTime<Utc>,
}

/// Renders a receipt or a decision (`Auto-Submitted: auto-replied`, so responders stay
/// quiet).
pub fn receipt<C: Serialize>(t: &Templates, r: &Receipt<'_, C>) -> Result<Outgoing, ComposeError> {
    letter(
        t,
        &Letter {
            kind: r.kind,
            language: r.language,
            context: minijinja::value::Value::from(minijinja::value::Serde(&r.context)),
            from: r.from,
            reply_to: r.reply_to,
            to_name: r.to_name,
            to: r.to,
            envelope_from: r.envelope_from.clone(),
            message_id: r.message_id.clone(),
            in_reply_to: r.in_reply_to.clone(),
            auto_submitted: "auto-replied",
            date: r.date,
            attachment: None,
        },
    )
}

/// A message to the team rather than to a respondent: the digest to the experts, a
/// one-off deadline's alert to its owner.
pub struct Notice<'a, C: Serialize> {
    pub kind: &'static str,
    pub context: &'a C,
    pub from: &'a settings::Mailbox,
    pub reply_to: &'a str,
    pub to: &'a EmailAddress,
    pub envelope_from: String,
    pub message_id: String,
    pub date: DateTime<Utc>,
}

/// Renders a notice (English; `Auto-Submitted: auto-generated`).
pub fn notice<C: Serialize>(t: &Templates, n: &Notice<'_, C>) -> Result<Outgoing, ComposeError> {
    letter(
        t,
        &Letter {
            kind: n.kind,
            language: Language::En,
            context: minijinja::value::Value::from(minijinja::value::Serde(n.context)),
            from: n.from,
            reply_to: n.reply_to,
            to_name: "",
            to: n.to,
            envelope_from: n.envelope_from.clone(),
            message_id: n.message_id.clone(),
            in_reply_to: None,
            auto_submitted: "auto-generated",
            date: n.date,
            attachment: None,
        },
    )
}

/// Everything one message needs, whatever its kind.
struct Letter<'a> {
    kind: &'static str,
    language: Language,
    context: minijinja::value::Value,
    from: &'a settings::Mailbox,
    reply_to: &'a str,
    to_name: &'a str,
    to: &'a EmailAddress,
    envelope_from: String,
    message_id: String,
    in_reply_to: Option<String>,
    auto_submitted: &'static str,
    date: DateTime<Utc>,
    attachment: Option<(&'a str, &'a [u8])>,
}

fn letter(t: &Templates, l: &Letter<'_>) -> Result<Outgoing, ComposeError> {
    let subject = t
        .render(l.kind, l.language, "subject.txt", &l.context)?
        .trim()
        .to_string();
    let text = t.render(l.kind, l.language, "txt", &l.context)?;
    let html = t.render(l.kind, l.language, "html", &l.context)?;
    let mut builder = Message::builder()
        .from(mailbox(l.from.name.as_deref(), l.from.address.as_str())?)
        .reply_to(mailbox(l.from.name.as_deref(), l.reply_to)?)
        .to(mailbox(Some(l.to_name), l.to.as_str())?)
        .subject(subject.clone())
        .message_id(Some(l.message_id.clone()))
        .date(l.date.into())
        .header(AutoSubmitted(l.auto_submitted));
    if let Some(id) = &l.in_reply_to {
        builder = builder.in_reply_to(id.clone()).references(id.clone());
    }
    let body = MultiPart::alternative_plain_html(text, html);
    let message = match l.attachment {
        Some((name, bytes)) => builder.multipart(MultiPart::mixed().multipart(body).singlepart(
            Attachment::new(name.to_string()).body(
                bytes.to_vec(),
                ContentType::parse(XLSX_TYPE).map_err(|e| ComposeError::Address {
                    address: XLSX_TYPE.into(),
                    reason: e.to_string(),
                })?,
            ),
        ))?,
        None => builder.multipart(body)?,
    };
    Ok(Outgoing {
        message_id: l.message_id.clone(),
        envelope_from: l.envelope_from.clone(),
        recipient: l.to.to_string(),
        subject,
        raw: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> CirculationContext {
        CirculationContext {
            cycle: "2026-12".into(),
            cycle_year: 2026,
            cycle_month: 12,
            contact_name: "Amina <b>Diallo</b>".into(),
            party: "SEN".into(),
            party_name: "Senegal".into(),
            state_needs: Some(3),
            deadline: DeadlineParts::new(
                chrono::NaiveDate::from_ymd_opt(2026, 12, 15)
                    .unwrap()
                    .and_hms_opt(23, 59, 59)
                    .unwrap(),
                "America/New_York",
            ),
            reply_to: "needs+abc@ctc.example".into(),
            reference: "2026-12/SEN/abc123".into(),
            final_day: false,
        }
    }

    #[test]
    fn every_language_renders_and_falls_back_to_english() {
        let t = Templates::embedded().unwrap();
        let ctx = context();
        let en = t
            .render("circulation", Language::En, "subject.txt", &ctx)
            .unwrap();
        assert_eq!(
            en.trim(),
            "[Matrix of Needs 2026-12] Please review and reply by 15 December 2026"
        );
        let fr = t.render("circulation", Language::Fr, "txt", &ctx).unwrap();
        assert!(
            fr.contains("15 décembre 2026 à 23:59 (heure de New York)"),
            "{fr}"
        );
        assert!(fr.contains("3 besoins"));
        let es = t
            .render("circulation", Language::Es, "subject.txt", &ctx)
            .unwrap();
        assert!(es.contains("15 de diciembre de 2026"), "{es}");
        // No Russian template yet: English, not an error.
        let ru = t.render("circulation", Language::Ru, "txt", &ctx).unwrap();
        assert!(ru.contains("Dear Amina <b>Diallo</b>"));
        assert_eq!(t.languages("circulation"), ["en", "fr", "es"]);
    }

    #[test]
    fn html_escapes_what_it_inserts_and_text_does_not() {
        let t = Templates::embedded().unwrap();
        let html = t
            .render("circulation", Language::En, "html", &context())
            .unwrap();
        assert!(
            html.contains("Amina &lt;b&gt;Diallo&lt;&#x2f;b&gt;")
                || html.contains("Amina &lt;b&gt;Diallo&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>Diallo"));
    }

    #[test]
    fn message_has_the_token_reply_to_id_and_attachment() {
        let t = Templates::embedded().unwrap();
        let from = settings::Mailbox::parse("Matrix of Needs <needs@ctc.example>").unwrap();
        let to = EmailAddress::parse("focal@gouv.sn.example").unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let cycle = Cycle::parse("2026-12").unwrap();
        let c = Circular {
            kind: "circulation",
            context: context(),
            language: Language::Fr,
            from: &from,
            to_name: "Amina Diallo",
            to: &to,
            envelope_from: "needs+bounce-abc@ctc.example".into(),
            message_id: message_id(cycle, "circulation", 17, day, "3f9a0c17be21", "ctc.example"),
            date: day.and_hms_opt(14, 0, 0).unwrap().and_utc(),
            attachment_name: "Matrix of Needs 2026-12 SEN.xlsx".into(),
            attachment: b"PK\x03\x04 workbook".to_vec(),
        };
        let out = circulation(&t, &c).unwrap();
        let raw = String::from_utf8_lossy(&out.raw);
        assert_eq!(
            out.message_id,
            "<2026-12.circulation.17.2026-12-01.3f9a0c17be21@ctc.example>"
        );
        assert!(
            raw.contains(
                "Message-ID: <2026-12.circulation.17.2026-12-01.3f9a0c17be21@ctc.example>"
            )
        );
        assert!(
            raw.contains("Reply-To: \"Matrix of Needs\" <needs+abc@ctc.example>"),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        assert!(raw.contains("Date: Tue, 01 Dec 2026 14:00:00 +0000"));
        assert!(
            out.subject
                .starts_with("[Matrix of Needs 2026-12] Matrice des besoins")
        );
        assert!(raw.contains(XLSX_TYPE));
    }

    #[test]
    fn reminders_say_the_deadline_and_the_last_day_in_each_language() {
        let t = Templates::embedded().unwrap();
        let mut ctx = context();
        for (lang, before, last) in [
            (
                Language::En,
                "Reminder: please reply by 15 December",
                "Today is the deadline",
            ),
            (
                Language::Fr,
                "Rappel : merci de répondre avant le 15 décembre",
                "Dernier jour",
            ),
            (
                Language::Es,
                "Recordatorio: le rogamos responder antes del 15 de diciembre",
                "Hoy vence el plazo",
            ),
        ] {
            ctx.final_day = false;
            let s = t.render("reminder", lang, "subject.txt", &ctx).unwrap();
            assert!(s.contains(before), "{s}");
            ctx.final_day = true;
            let s = t.render("reminder", lang, "subject.txt", &ctx).unwrap();
            assert!(s.contains(last), "{s}");
            for part in ["txt", "html"] {
                let body = t.render("reminder", lang, part, &ctx).unwrap();
                assert!(body.contains("needs+abc@ctc.example"), "{body}");
            }
        }
        assert_eq!(t.languages("reminder"), ["en", "fr", "es"]);
    }

    #[test]
    fn the_digest_lists_who_did_not_answer_escaped_in_html() {
        let t = Templates::embedded().unwrap();
        let facts = serde_json::json!({
            "cycle": "2026-12", "deadline": "15 December 2026, 23:59 New York time",
            "parties": 3, "answered": 1, "awaiting_review": 1, "changes_pending": 2,
            "conflicts": 1, "quarantined": 0, "unparseable": 0, "late": 1,
            "silent": ["Kenya (KEN)", "<Narnia> (NAR)"], "bouncing": [], "unmet": []
        });
        let subject = t
            .render("digest", Language::En, "subject.txt", &facts)
            .unwrap();
        assert_eq!(
            subject.trim(),
            "[Matrix of Needs 2026-12] Digest: 1 of 3 answered, 1 awaiting review"
        );
        let text = t.render("digest", Language::En, "txt", &facts).unwrap();
        assert!(text.contains("  - Kenya (KEN)"), "{text}");
        assert!(text.contains("2 changes, 1 in conflict"), "{text}");
        let html = t.render("digest", Language::En, "html", &facts).unwrap();
        assert!(
            html.contains("&lt;Narnia&gt;") && !html.contains("<Narnia>"),
            "{html}"
        );
    }
}
