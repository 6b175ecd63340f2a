//! Messages from templates: values in, RFC 5322 bytes out. Pure apart from nothing; the
//! caller supplies the date, so the same input gives the same message but for the MIME
//! boundaries, and the bytes are stored in the outbox and sent exactly as rendered.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, Message};
use serde::Serialize;
use thiserror::Error;

use std::path::Path;
use std::sync::Arc;

use fluent_bundle::FluentArgs;

use super::samples;
use crate::locale::{LocaleError, Locales};
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
    #[error("no template {0}")]
    MissingTemplate(String),
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error(transparent)]
    Locale(#[from] LocaleError),
    #[error("'{address}' cannot be written in a mail header: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// The kinds of message, each one template pair: `{kind}.txt` (which sets `subject`) and
/// `{kind}.html`.
pub const KINDS: [&str; 8] = [
    "circulation",
    "reminder",
    "deadline",
    "receipt",
    "decision",
    "digest",
    "review_alert",
    "unsubscribed",
];

/// Each named file of `templates/mail/`, compiled in.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/mail/", $name)))),*]
    };
}

/// The mail templates shipped in `templates/mail/`, compiled into the binary.
const EMBEDDED: &[(&str, &str)] = embedded![
    "layout.html",
    "circulation.txt",
    "circulation.html",
    "reminder.txt",
    "reminder.html",
    "deadline.txt",
    "deadline.html",
    "receipt.txt",
    "receipt.html",
    "decision.txt",
    "decision.html",
    "digest.txt",
    "digest.html",
    "review_alert.txt",
    "review_alert.html",
    "unsubscribed.txt",
    "unsubscribed.html",
];

/// One message's three parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The compiled templates and the words they take from `crate::locale`. `.html`
/// templates escape what they insert, the words included; `.txt` ones do not.
pub struct Templates {
    /// Its functions (`t`, `date`, …) hold the words.
    env: minijinja::Environment<'static>,
    /// The words, for what is not a mail: the page a respondent's unsubscribe link opens.
    locales: Arc<Locales>,
}

/// The language a template renders in, from its context's `lang`.
fn language_of(state: &minijinja::State<'_, '_>) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| Language::parse(s).ok()))
        .unwrap_or(Language::En)
}

fn template_error(e: LocaleError) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
}

/// A date-like value's (year, month, day).
fn ymd(value: &minijinja::Value) -> Result<(i32, u32, u32), minijinja::Error> {
    let part = |name: &str| -> Result<i64, minijinja::Error> {
        let v = value.get_attr(name)?;
        i64::try_from(v).map_err(|_| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("a date needs a numeric {name}"),
            )
        })
    };
    let bad = |_| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "not a date");
    Ok((
        i32::try_from(part("year")?).map_err(bad)?,
        u32::try_from(part("month")?).map_err(bad)?,
        u32::try_from(part("day")?).map_err(bad)?,
    ))
}

/// Adds the functions the templates write with: `t(id, name=value…)` for a message,
/// `date(d)`, `day_month(d)`, `date_time(d)` and `month_year(year, month)` for dates,
/// `change(line)` and `row_error(e)` for what a reply proposed and where it went wrong.
fn add_functions(env: &mut minijinja::Environment<'static>, locales: &Arc<Locales>) {
    use minijinja::value::{Kwargs, Value};
    use minijinja::{Error, State};
    let l = Arc::clone(locales);
    env.add_function(
        "t",
        move |state: &State<'_, '_>, id: String, kwargs: Kwargs| -> Result<String, Error> {
            let mut args = FluentArgs::new();
            for key in kwargs.args() {
                let value: Value = kwargs.get(key)?;
                args.set(key.to_string(), crate::locale::argument(&value));
            }
            l.text(language_of(state), &id, Some(&args))
                .map_err(template_error)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "date",
        move |state: &State<'_, '_>, d: Value| -> Result<String, Error> {
            let (y, m, day) = ymd(&d)?;
            l.date(language_of(state), y, m, day)
                .map_err(template_error)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "day_month",
        move |state: &State<'_, '_>, d: Value| -> Result<String, Error> {
            let (_, m, day) = ymd(&d)?;
            l.day_month(language_of(state), m, day)
                .map_err(template_error)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "date_time",
        move |state: &State<'_, '_>, d: Value| -> Result<String, Error> {
            let time = d.get_attr("time")?.to_string();
            let zone = d.get_attr("zone")?.to_string();
            l.date_time(language_of(state), ymd(&d)?, &time, &zone)
                .map_err(template_error)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "month_year",
        move |state: &State<'_, '_>, year: i32, month: u32| -> Result<String, Error> {
            l.month_year(language_of(state), year, month)
                .map_err(template_error)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "change",
        move |state: &State<'_, '_>, line: Value| -> Result<String, Error> {
            let lang = language_of(state);
            let text = |key: &str| -> Result<String, Error> {
                let v = line.get_attr(key)?;
                Ok(if v.is_undefined() || v.is_none() {
                    String::new()
                } else {
                    v.to_string()
                })
            };
            let field = text("field")?;
            // A need's priority or status in the reader's words, as their copy has it.
            let list = match (text("register")?.as_str(), field.as_str()) {
                ("need", "priority") => Some(crate::spelling::List::Priority),
                ("need", "status") => Some(crate::spelling::List::Status),
                _ => None,
            };
            let shown = |v: String| -> Result<String, Error> {
                if v.is_empty() {
                    return l.text(lang, "value-empty", None).map_err(template_error);
                }
                Ok(list
                    .and_then(|list| {
                        let name = crate::spelling::lookup(list, &v)?;
                        l.text(lang, &format!("{}{name}", list.prefix()), None).ok()
                    })
                    .unwrap_or(v))
            };
            let mut args = FluentArgs::new();
            args.set("kind", text("kind")?);
            args.set("id", text("id")?);
            args.set(
                "field",
                if field.is_empty() {
                    String::new()
                } else {
                    l.text(lang, &format!("column-{}-{field}", text("register")?), None)
                        .unwrap_or(field)
                },
            );
            args.set("from", shown(text("from")?)?);
            args.set("to", shown(text("to")?)?);
            args.set("party", text("party")?);
            args.set("title", text("title")?);
            args.set("created", text("created")?);
            let mut out = l
                .text(lang, "change", Some(&args))
                .map_err(template_error)?;
            if line.get_attr("conflict")?.is_true() {
                let mut c = FluentArgs::new();
                c.set("current", shown(text("current")?)?);
                let note = l
                    .text(lang, "change-conflict", Some(&c))
                    .map_err(template_error)?;
                out.push_str(&format!(" ({note})"));
            }
            Ok(out)
        },
    );
    let l = Arc::clone(locales);
    env.add_function(
        "row_error",
        move |state: &State<'_, '_>, e: Value| -> Result<String, Error> {
            let lang = language_of(state);
            let row = e.get_attr("row")?;
            let column = e.get_attr("column")?;
            let message = e.get_attr("message")?.to_string();
            if row.is_none() || row.is_undefined() || !row.is_true() {
                return Ok(message);
            }
            let mut args = FluentArgs::new();
            args.set("row", crate::locale::argument(&row));
            args.set("message", message);
            let id = if column.is_none() || column.is_undefined() {
                "row-error"
            } else {
                args.set("column", column.to_string());
                "row-error-column"
            };
            l.text(lang, id, Some(&args)).map_err(template_error)
        },
    );
}

impl Templates {
    /// The built-in templates and words.
    pub fn embedded() -> Result<Self, ComposeError> {
        Self::load(None, None)
    }

    /// The built-in templates and words, with an operator's own taking precedence: any
    /// of `templates/mail/`'s files in `templates_dir`, any `{lang}.ftl` in `locales_dir`.
    /// Every kind is then rendered once in every language from a sample, so a template or
    /// message that would fail on a real one fails here, naming its file and line.
    pub fn load(
        templates_dir: Option<&Path>,
        locales_dir: Option<&Path>,
    ) -> Result<Self, ComposeError> {
        let templates = Self::read(templates_dir, locales_dir)?;
        if templates_dir.is_some() || locales_dir.is_some() {
            templates.check(templates_dir)?;
        }
        Ok(templates)
    }

    /// As [`Templates::load`], without rendering the samples: for a configuration whose
    /// folders `load` has already checked (every `Config` has: `[mail]` is settled so).
    pub fn read(
        templates_dir: Option<&Path>,
        locales_dir: Option<&Path>,
    ) -> Result<Self, ComposeError> {
        let locales = Arc::new(Locales::load(locales_dir)?);
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in EMBEDDED {
            let (label, source) = match templates_dir.map(|d| d.join(name)) {
                Some(path) if path.exists() => {
                    let text = std::fs::read_to_string(&path).map_err(|e| ComposeError::Read {
                        file: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                    (path.display().to_string(), text)
                }
                _ => (
                    format!("templates/mail/{name} (built in)"),
                    source.to_string(),
                ),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|source| ComposeError::Template {
                    name: label,
                    source,
                })?;
        }
        add_functions(&mut env, &locales);
        Ok(Self { env, locales })
    }

    /// Message `id` in `language` (or English) with `args`, as plain text.
    pub fn words(
        &self,
        language: Language,
        id: &str,
        args: &[(&str, &str)],
    ) -> Result<String, ComposeError> {
        let mut fluent = fluent_bundle::FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.to_string());
        }
        Ok(self.locales.text(language, id, Some(&fluent))?)
    }

    /// Renders every kind in every language from its sample.
    pub fn check(&self, templates_dir: Option<&Path>) -> Result<(), ComposeError> {
        for kind in KINDS {
            for (sample, lang) in samples::contexts(kind)
                .iter()
                .flat_map(|s| Language::ALL.map(|l| (s, l)))
            {
                self.render(kind, lang, sample).map_err(|e| match e {
                    ComposeError::Template { name, source } => ComposeError::Template {
                        name: match templates_dir.map(|d| d.join(&name)) {
                            Some(path) if path.exists() => path.display().to_string(),
                            _ => format!("templates/mail/{name} (built in)"),
                        },
                        source,
                    },
                    other => other,
                })?;
            }
        }
        Ok(())
    }

    /// Renders message `kind` in `language`: its subject and text part from `{kind}.txt`,
    /// its HTML part from `{kind}.html`.
    pub fn render<S: Serialize>(
        &self,
        kind: &str,
        language: Language,
        ctx: &S,
    ) -> Result<Rendered, ComposeError> {
        let ctx = minijinja::context! {
            lang => language.as_str(),
            dir => if language == Language::Ar { "rtl" } else { "ltr" },
            ..minijinja::Value::from(minijinja::value::Serde(ctx))
        };
        let get = |name: String| {
            self.env
                .get_template(&name)
                .map_err(|_| ComposeError::MissingTemplate(name.clone()))
                .map(|t| (name, t))
        };
        let fail = |name: &str| {
            let name = name.to_string();
            move |source| ComposeError::Template { name, source }
        };
        let (name, text) = get(format!("{kind}.txt"))?;
        let captured = text.render_captured(&ctx).map_err(fail(&name))?;
        let subject = captured
            .state()
            .lookup("subject")
            .filter(|s| !s.is_undefined())
            .map(|s| s.to_string())
            .ok_or_else(|| ComposeError::Template {
                name: name.clone(),
                source: minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    "the template sets no subject ({% set subject = ... %})",
                ),
            })?;
        let (name, html) = get(format!("{kind}.html"))?;
        let html = html.render(&ctx).map_err(fail(&name))?;
        Ok(Rendered {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: captured.output().to_string(),
            html,
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

/// A day as templates take it, to write in the recipient's language with `date(d)`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Day {
    pub day: u32,
    pub month: u32,
    pub year: i32,
}

impl Day {
    pub fn of(d: chrono::NaiveDate) -> Self {
        Self {
            day: d.day(),
            month: d.month(),
            year: d.year(),
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
    /// Where the recipient stops receiving the Matrix.
    pub list_unsubscribe: Option<ListUnsubscribe>,
}

/// A circulation's `List-Unsubscribe` (RFC 2369) with one-click (RFC 8058): the link a
/// mail program POSTs to, and the mailto it may write to instead; both carry the
/// recipient's `token::unsubscribe_mac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe {
    pub url: String,
    pub mailto: String,
}

/// What the confirmation of an unsubscribe says; the template context.
#[derive(Debug, Clone, Serialize)]
pub struct UnsubscribedContext {
    pub contact_name: String,
    pub party_name: String,
    /// The address that no longer receives the Matrix.
    pub address: String,
    /// Where to write to receive it again.
    pub subscribe_address: String,
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
            list_unsubscribe: c.list_unsubscribe.as_ref(),
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
    pub deadline: DeadlineParts,
    /// What the subject says: `quarantined`, `pending` (with `pending` changes),
    /// `no-changes` or `check`.
    pub status: &'static str,
    pub pending: usize,
    pub items: Vec<ReceiptItem>,
}

/// One workbook (or the message's text) and what was understood from it.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptItem {
    /// The attachment's name; none for the message's own text.
    pub file: Option<String>,
    /// `no-changes`, `unreadable`, `quarantined` or `pending` (with `count` changes).
    pub verdict: &'static str,
    pub count: usize,
    pub changes: Vec<ChangeLine>,
    /// Row 0 for the whole file.
    pub errors: Vec<crate::model::RowError>,
}

/// One proposed change as a mail lists it; the words come from the `change` message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeLine {
    /// `update`, `withdraw`, `add-need`, `add-programme`, or `created` (a programme added
    /// on approval, `created` its new ID).
    pub kind: &'static str,
    /// `need` or `programme`: whose columns `field` names.
    pub register: &'static str,
    pub id: String,
    /// The column's key (`status`, `title`).
    pub field: String,
    pub from: String,
    pub to: String,
    /// Whether the value changed meanwhile (`current`), so the experts decide.
    pub conflict: bool,
    pub current: String,
    /// The State of a new need, the provider of a new programme.
    pub party: String,
    /// A new need's description, a new programme's title.
    pub title: String,
    pub created: Option<String>,
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
            list_unsubscribe: None,
        },
    )
}

/// A message to the team rather than to a respondent: the digest to the experts, a
/// one-off deadline's alert to its owner.
pub struct Notice<'a, C: Serialize> {
    pub kind: &'static str,
    pub context: &'a C,
    /// The expert's (or owner's) language.
    pub language: Language,
    pub from: &'a settings::Mailbox,
    pub reply_to: &'a str,
    pub to: &'a EmailAddress,
    pub envelope_from: String,
    pub message_id: String,
    pub date: DateTime<Utc>,
}

/// Renders a notice (`Auto-Submitted: auto-generated`).
pub fn notice<C: Serialize>(t: &Templates, n: &Notice<'_, C>) -> Result<Outgoing, ComposeError> {
    letter(
        t,
        &Letter {
            kind: n.kind,
            language: n.language,
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
            list_unsubscribe: None,
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
    list_unsubscribe: Option<&'a ListUnsubscribe>,
}

fn letter(t: &Templates, l: &Letter<'_>) -> Result<Outgoing, ComposeError> {
    let Rendered {
        subject,
        text,
        html,
    } = t.render(l.kind, l.language, &l.context)?;
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
    if let Some(u) = l.list_unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>, <{}>", u.url, u.mailto),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
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
    fn every_language_writes_its_own_dates_and_plurals() {
        let t = Templates::embedded().unwrap();
        let ctx = context();
        let en = t.render("circulation", Language::En, &ctx).unwrap();
        assert_eq!(
            en.subject,
            "[Matrix of Needs 2026-12] Please review and reply by 15 December 2026"
        );
        assert!(
            en.text.contains("It lists 3 needs of Senegal."),
            "{}",
            en.text
        );
        let fr = t.render("circulation", Language::Fr, &ctx).unwrap();
        assert!(
            fr.text
                .contains("15 décembre 2026 à 23:59 (heure de New York)"),
            "{}",
            fr.text
        );
        assert!(fr.text.contains("3 besoins"), "{}", fr.text);
        let es = t.render("circulation", Language::Es, &ctx).unwrap();
        assert!(
            es.subject.contains("15 de diciembre de 2026"),
            "{}",
            es.subject
        );
        for (lang, date) in [
            (Language::Ru, "15 декабря 2026 г."),
            (Language::Zh, "2026年12月15日"),
            (Language::Ar, "15 ديسمبر 2026"),
        ] {
            let r = t.render("circulation", lang, &ctx).unwrap();
            assert!(r.subject.contains(date), "{lang}: {}", r.subject);
            assert!(r.text.contains("Amina <b>Diallo</b>"), "{}", r.text);
            assert!(
                !r.text.contains("Dear"),
                "{lang} has its own greeting: {}",
                r.text
            );
        }
        let ar = t.render("circulation", Language::Ar, &ctx).unwrap();
        assert!(
            ar.html.contains("<html lang=\"ar\" dir=\"rtl\">"),
            "{}",
            ar.html
        );
        let en_html = &en.html;
        assert!(
            en_html.contains("<html lang=\"en\" dir=\"ltr\">"),
            "{en_html}"
        );
    }

    #[test]
    fn an_operators_template_takes_precedence_and_a_broken_one_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("reminder.txt"),
            "{%- set subject = \"Nudge \" ~ cycle -%}\nHello {{ contact_name }}.\n",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path()), None).unwrap();
        let r = t.render("reminder", Language::Ru, &context()).unwrap();
        assert_eq!(r.subject, "Nudge 2026-12");
        assert_eq!(r.text, "Hello Amina <b>Diallo</b>.");
        // The built-in HTML part still renders beside it.
        assert!(r.html.contains("Amina"), "{}", r.html);
        std::fs::write(
            dir.path().join("receipt.txt"),
            "{%- set subject = \"Got it\" -%}\nDear {{ contact_name }},\n\n{{ contact_nmae }}\n",
        )
        .unwrap();
        let err = Templates::load(Some(dir.path()), None).err().unwrap();
        let text = format!("{err:#}");
        assert!(text.contains("receipt.txt"), "{text}");
        let ComposeError::Template { source, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(source.line(), Some(4), "{text}");
        std::fs::remove_file(dir.path().join("receipt.txt")).unwrap();
        std::fs::write(dir.path().join("digest.txt"), "{{ t(\"digest-nothing\") }}").unwrap();
        let err = Templates::load(Some(dir.path()), None).err().unwrap();
        assert!(err.to_string().contains("digest-nothing"), "{err}");
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
            list_unsubscribe: Some(ListUnsubscribe {
                url: "https://needs.ctc.example/unsubscribe/17/0123456789abcdef0123".into(),
                mailto: "mailto:needs+unsubscribe-17-0123456789abcdef0123@ctc.example?subject=unsubscribe".into(),
            }),
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
        // RFC 8058: both headers, the link first, the mailto beside it.
        let unfolded = raw.replace("\r\n ", " ");
        assert!(
            unfolded.contains(
                "List-Unsubscribe: <https://needs.ctc.example/unsubscribe/17/0123456789abcdef0123>, \
                 <mailto:needs+unsubscribe-17-0123456789abcdef0123@ctc.example?subject=unsubscribe>"
            ),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(
            out.subject
                .starts_with("[Matrix of Needs 2026-12] Matrice des besoins"),
            "{}",
            out.subject
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
            let r = t.render("reminder", lang, &ctx).unwrap();
            assert!(r.subject.contains(before), "{}", r.subject);
            ctx.final_day = true;
            let r = t.render("reminder", lang, &ctx).unwrap();
            assert!(r.subject.contains(last), "{}", r.subject);
            for body in [&r.text, &r.html] {
                assert!(body.contains("needs+abc@ctc.example"), "{body}");
            }
        }
    }

    #[test]
    fn the_digest_lists_who_did_not_answer_escaped_in_html() {
        let t = Templates::embedded().unwrap();
        let facts = serde_json::json!({
            "cycle": "2026-12", "deadline": "15 December 2026, 23:59 New York time",
            "due": {"day": 15, "month": 12, "year": 2026, "time": "23:59", "zone": "New York"},
            "parties": 3, "answered": 1, "awaiting_review": 1, "changes_pending": 2,
            "conflicts": 1, "quarantined": 0, "unparseable": 0, "late": 1,
            "silent": ["Kenya (KEN)", "<Narnia> (NAR)"], "bouncing": [], "unmet": [],
            "unmet_needs": []
        });
        let r = t.render("digest", Language::En, &facts).unwrap();
        assert_eq!(
            r.subject,
            "[Matrix of Needs 2026-12] Digest: 1 of 3 answered, 1 awaiting review"
        );
        assert!(r.text.contains("  - Kenya (KEN)"), "{}", r.text);
        assert!(r.text.contains("2 changes, 1 in conflict"), "{}", r.text);
        assert!(
            r.html.contains("&lt;Narnia&gt;") && !r.html.contains("<Narnia>"),
            "{}",
            r.html
        );
    }
}
