//! The inbound mail fixtures: every `.eml` file in `tests/fixtures/eml/` is read through
//! needsd's public API and compared, field by field, with its table in `expected.toml`
//! there (which says what each field means): the classification `mail::classify::read`
//! gives (reply, auto-reply or bounce, with a bounce's recipients, status and returned
//! Message-ID; the Message-ID, From and subject; the attachments; whether the text says
//! "no changes") and what the mail can be matched by (the plus-address tokens
//! `classify::tags` finds, the In-Reply-To/References ids, the receiving server's DMARC
//! verdict through `trust::verdict`). Each file is read as written and again with its
//! line endings turned (CRLF to LF, or LF to CRLF), since mail is stored both ways.
//!
//! Every difference is collected and the test fails once, with the list. A file without a
//! table or a table without a file fails it too. A table marked `known_gap` names the
//! fields where the code does not yet do what the message says: differences there are
//! printed, not failed; once they are gone, the test fails until the mark is removed.
//!
//! `python3 tests/fixtures/eml/make.py` writes the files again, byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use needsd::mail::classify::{self, Facts, Kind, Tag};
use needsd::model::EmailAddress;
use needsd::trust::{self, AuthServ, Verdict};
use needsd::workflow::intake::is_workbook;
use serde::Deserialize;

/// needsd's reply address in these fixtures (`[mail] reply_to`).
const MAILBOX: &str = "needs@ctc.example";
/// The authserv-id of the operator's receiving server in these fixtures.
const AUTHSERV_ID: &str = "mx.ctc.example";

/// One file's table in expected.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    about: String,
    origin: Option<String>,
    #[serde(default)]
    error: bool,
    kind: Option<String>,
    auto_reply_reason: Option<String>,
    message_id: Option<String>,
    from: Option<String>,
    from_name: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    attachments: Vec<String>,
    workbooks: Option<Vec<String>>,
    #[serde(default)]
    no_changes: bool,
    text_contains: Option<String>,
    auth_results: Option<usize>,
    #[serde(default)]
    bounce_recipients: Vec<String>,
    bounce_status: Option<String>,
    bounce_diagnostic: Option<String>,
    returned_message_id: Option<String>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    refers_to: Vec<String>,
    verdict: Option<String>,
    verdict_for: Option<String>,
    #[serde(default)]
    unchecked: Vec<String>,
    known_gap: Option<String>,
    #[serde(default)]
    gap_fields: Vec<String>,
}

/// The fields a table can name in `unchecked` and `gap_fields`.
const FIELDS: &[&str] = &[
    "error",
    "kind",
    "auto_reply_reason",
    "message_id",
    "from",
    "from_name",
    "subject",
    "attachments",
    "workbooks",
    "no_changes",
    "text_contains",
    "auth_results",
    "bounce_recipients",
    "bounce_status",
    "bounce_diagnostic",
    "returned_message_id",
    "recipients",
    "tags",
    "refers_to",
    "verdict",
];

const KINDS: &[&str] = &["reply", "auto_reply", "bounce"];

/// A field that is not what the table says.
struct Mismatch {
    field: &'static str,
    expected: String,
    got: String,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eml")
}

#[test]
fn eml_fixtures_classify_and_match_as_expected() {
    let dir = fixtures_dir();
    let table = std::fs::read_to_string(dir.join("expected.toml")).expect("read expected.toml");
    let table: BTreeMap<String, Expected> =
        toml::from_str(&table).unwrap_or_else(|e| panic!("expected.toml: {e}"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("list tests/fixtures/eml")
        .map(|e| e.expect("list tests/fixtures/eml").file_name())
        .filter_map(|n| n.to_str().map(str::to_string))
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();

    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    // The folder and the table stay in step.
    for f in &files {
        if !table.contains_key(f) {
            failures.push(format!("{f}: no table in expected.toml"));
        }
    }
    for name in table.keys() {
        if !files.contains(name) {
            failures.push(format!("expected.toml [\"{name}\"]: no such file"));
        }
    }
    assert!(
        files.len() >= 20,
        "only {} fixtures in {}",
        files.len(),
        dir.display()
    );

    for (name, e) in &table {
        if let Err(why) = check_table(e) {
            failures.push(format!("expected.toml [\"{name}\"]: {why}"));
            continue;
        }
        let Ok(raw) = std::fs::read(dir.join(name)) else {
            continue; // reported above
        };
        let mut gap_seen = false;
        for (how, bytes) in [
            ("", raw.clone()),
            (turned_label(&raw), turn_line_endings(&raw)),
        ] {
            for m in compare(e, &bytes) {
                let line = format!(
                    "{name}{how}: {} expected {}, got {}",
                    m.field, m.expected, m.got
                );
                if e.gap_fields.iter().any(|g| g == m.field) {
                    gap_seen = true;
                    gaps.push(line);
                } else {
                    failures.push(line);
                }
            }
        }
        if let Some(gap) = &e.known_gap {
            if gap_seen {
                gaps.push(format!("{name}: known gap: {gap}"));
            } else {
                failures.push(format!(
                    "{name}: the known gap ({gap}) no longer shows in {:?}: remove known_gap \
                     and gap_fields from its table",
                    e.gap_fields
                ));
            }
        }
    }

    if !gaps.is_empty() {
        eprintln!(
            "Known gaps ({} lines; expected.toml `known_gap`):\n  {}",
            gaps.len(),
            gaps.join("\n  ")
        );
    }
    if !failures.is_empty() {
        let mut about = String::new();
        let mut seen = Vec::new();
        for f in &failures {
            let name = f.split([':', ' ']).next().unwrap_or("");
            if let Some(e) = table.get(name)
                && !seen.contains(&name)
            {
                seen.push(name);
                let _ = writeln!(about, "  {name}: {}", e.about);
                if let Some(o) = &e.origin {
                    let _ = writeln!(about, "    ({o})");
                }
            }
        }
        panic!(
            "{} differences from tests/fixtures/eml/expected.toml:\n  {}\n\nThe fixtures:\n{about}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}

/// Refuses a table that could not mean what it says.
fn check_table(e: &Expected) -> Result<(), String> {
    if e.about.trim().is_empty() {
        return Err("`about` is empty".into());
    }
    for f in e.unchecked.iter().chain(&e.gap_fields) {
        if !FIELDS.contains(&f.as_str()) {
            return Err(format!(
                "no field `{f}` to leave unchecked or mark as a gap"
            ));
        }
    }
    if e.known_gap.is_some() == e.gap_fields.is_empty() {
        return Err("`known_gap` and `gap_fields` go together".into());
    }
    if e.error {
        let given = e.kind.is_some()
            || e.message_id.is_some()
            || e.from.is_some()
            || !e.subject.is_empty()
            || !e.recipients.is_empty()
            || !e.tags.is_empty()
            || !e.attachments.is_empty();
        return if given {
            Err("an `error = true` table says nothing else".into())
        } else {
            Ok(())
        };
    }
    let kind = e.kind.as_deref().ok_or("no `kind` (or `error = true`)")?;
    if !KINDS.contains(&kind) {
        return Err(format!("kind `{kind}` is none of {KINDS:?}"));
    }
    let bounce_fields = !e.bounce_recipients.is_empty()
        || e.bounce_status.is_some()
        || e.bounce_diagnostic.is_some()
        || e.returned_message_id.is_some();
    if bounce_fields && kind != "bounce" {
        return Err("bounce fields on a table whose kind is not bounce".into());
    }
    if e.auto_reply_reason.is_some() && kind != "auto_reply" {
        return Err("`auto_reply_reason` on a table whose kind is not auto_reply".into());
    }
    if let Some(v) = &e.verdict
        && !["pass", "fail", "unknown"].contains(&v.as_str())
    {
        return Err(format!("verdict `{v}` is none of pass, fail, unknown"));
    }
    Ok(())
}

/// The same message with its line endings turned: CRLF (or a mix) to LF, LF to CRLF.
fn turn_line_endings(raw: &[u8]) -> Vec<u8> {
    let mut lf = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(raw[i]);
        i += 1;
    }
    if has_crlf(raw) {
        return lf;
    }
    let mut crlf = Vec::with_capacity(raw.len() + raw.len() / 40);
    for &b in &lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    crlf
}

fn has_crlf(raw: &[u8]) -> bool {
    raw.windows(2).any(|w| w == b"\r\n")
}

fn turned_label(raw: &[u8]) -> &'static str {
    if has_crlf(raw) {
        " (as LF)"
    } else {
        " (as CRLF)"
    }
}

/// Every field of `e` that reading `raw` does not give.
fn compare(e: &Expected, raw: &[u8]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let checked = |field: &str| !e.unchecked.iter().any(|u| u == field);
    let mut diff = |field: &'static str, expected: String, got: String| {
        if expected != got && checked(field) {
            out.push(Mismatch {
                field,
                expected,
                got,
            });
        }
    };
    // `read` catches the parser's panics itself; this catches the rest of the reading.
    let read = std::panic::catch_unwind(|| read(raw));
    let read = match read {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            diff("error", "no panic".into(), format!("a panic: {why}"));
            return out;
        }
    };
    let r = match (read, e.error) {
        (Err(_), true) => return out,
        (Ok(r), true) => {
            diff(
                "error",
                "a ClassifyError".into(),
                format!("read as {}", r.kind),
            );
            return out;
        }
        (Err(err), false) => {
            diff("error", "a reading".into(), format!("ClassifyError: {err}"));
            return out;
        }
        (Ok(r), false) => r,
    };
    let f = &r.facts;

    let kind = e.kind.clone().unwrap_or_default();
    diff("kind", kind.clone(), r.kind.clone());
    if let (Some(want), Kind::AutoReply { reason }) = (&e.auto_reply_reason, &f.kind) {
        let found = reason.to_lowercase().contains(&want.to_lowercase());
        diff(
            "auto_reply_reason",
            format!("a reason with {want:?}"),
            if found {
                format!("a reason with {want:?}")
            } else {
                format!("{reason:?}")
            },
        );
    }
    if let (true, Kind::Bounce(b)) = (kind == "bounce", &f.kind) {
        diff(
            "bounce_recipients",
            list(sorted(&e.bounce_recipients)),
            list(sorted(&b.recipients)),
        );
        diff("bounce_status", opt(&e.bounce_status), opt(&b.status));
        if let Some(want) = &e.bounce_diagnostic {
            diff(
                "bounce_diagnostic",
                opt(&Some(one_space(want))),
                opt(&b.diagnostic.as_deref().map(one_space)),
            );
        }
        diff(
            "returned_message_id",
            opt(&e.returned_message_id),
            opt(&b.returned_message_id),
        );
    }
    diff("message_id", opt(&e.message_id), opt(&f.message_id));
    diff("from", opt(&e.from), opt(&f.from));
    if let Some(want) = &e.from_name {
        diff("from_name", opt(&Some(want.clone())), opt(&f.from_name));
    }
    diff(
        "subject",
        format!("{:?}", e.subject),
        format!("{:?}", f.subject),
    );
    let names: Vec<String> = f.attachments.iter().map(|a| a.name.clone()).collect();
    diff("attachments", list(e.attachments.clone()), list(names));
    if let Some(want) = &e.workbooks {
        let got = f
            .attachments
            .iter()
            .filter(|a| is_workbook(a))
            .map(|a| a.name.clone())
            .collect();
        diff("workbooks", list(want.clone()), list(got));
    }
    diff(
        "no_changes",
        e.no_changes.to_string(),
        r.no_changes.to_string(),
    );
    if let Some(want) = &e.text_contains {
        let got = if f.text.contains(want.as_str()) {
            format!("a text with {want:?}")
        } else {
            format!("the text {:?}", clip(&f.text, 300))
        };
        diff("text_contains", format!("a text with {want:?}"), got);
    }
    if let Some(n) = e.auth_results {
        diff(
            "auth_results",
            n.to_string(),
            f.auth_results.len().to_string(),
        );
    }
    diff(
        "recipients",
        list(sorted(&e.recipients)),
        list(sorted(&f.recipients)),
    );
    diff("tags", list(e.tags.clone()), list(r.tags.clone()));
    diff(
        "refers_to",
        list(e.refers_to.clone()),
        list(f.refers_to.clone()),
    );
    let domain = match &e.verdict_for {
        Some(d) => d.clone(),
        None => f
            .from
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_default(),
    };
    let verdict = trust::verdict(
        &f.auth_results,
        &AuthServ::Id(AUTHSERV_ID.to_string()),
        &domain,
    );
    diff(
        "verdict",
        e.verdict.clone().unwrap_or_else(|| "unknown".into()),
        match verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unknown => "unknown",
        }
        .to_string(),
    );
    out
}

/// What the public API says about one message.
struct Reading {
    facts: Facts,
    kind: String,
    tags: Vec<String>,
    no_changes: bool,
}

fn read(raw: &[u8]) -> Result<Reading, classify::ClassifyError> {
    let facts = classify::read(raw)?;
    let mailbox = EmailAddress::parse(MAILBOX).expect("the mailbox is an address");
    let tags = classify::tags(&facts.recipients, &mailbox)
        .into_iter()
        .map(|t| match t {
            Tag::Reply(t) => format!("reply:{t}"),
            Tag::Bounce(t) => format!("bounce:{t}"),
            Tag::Unsubscribe { contact_id, mac } => format!("unsubscribe:{contact_id}:{mac}"),
        })
        .collect();
    let kind = match &facts.kind {
        Kind::Reply => "reply",
        Kind::AutoReply { .. } => "auto_reply",
        Kind::Bounce(_) => "bounce",
    }
    .to_string();
    Ok(Reading {
        no_changes: classify::says_no_changes(&facts.text),
        kind,
        tags,
        facts,
    })
}

fn opt(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "none".into(),
    }
}

fn list(v: Vec<String>) -> String {
    format!("{v:?}")
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// RFC 5322 unfolding keeps the folding white space: compare runs of it as one space.
fn one_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
