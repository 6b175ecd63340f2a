//! What the commands print: tables for people, JSON for scripts.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use needsd::workflow::files::{self, ImportReport};

pub(super) fn print_dispatch(r: &needsd::workflow::DispatchReport) {
    let s = &r.send;
    println!(
        "Cycle {}{}: {} needs; {} new messages in the outbox; sent {}, failed {}, deferred {}{}.",
        r.cycle,
        if r.opened { " opened" } else { "" },
        r.needs,
        r.enqueued,
        s.sent,
        s.failed,
        s.deferred,
        if s.resumed > 0 {
            format!(
                " ({} in flight when an earlier run stopped were sent again with the same Message-ID)",
                s.resumed
            )
        } else {
            String::new()
        }
    );
    for k in &r.skipped {
        eprintln!("not circulated to {} <{}>: {}", k.party, k.email, k.reason);
    }
    if let Some(at) = s.next_attempt_at.map(needsd::clock::db_time) {
        println!(
            "Deferred messages are queued; the next try is due at {at} (run dispatch again, or let `needsd run` send them)."
        );
    }
    if let Some(e) = &s.last_deferral {
        eprintln!("last deferral: {e}");
    }
}

pub(super) fn print_status(s: &needsd::workflow::CycleStatus) -> Result<()> {
    let c = &s.counts;
    let mut out = std::io::stdout().lock();
    match &c.state {
        None => writeln!(out, "Cycle {}: not circulated yet.", s.cycle)?,
        Some(state) => writeln!(
            out,
            "Cycle {}: {state}; replies due {}.",
            s.cycle, s.deadline_local
        )?,
    }
    drop(out);
    let queued = c.queued + c.sending;
    print_table(
        &[
            "RECIPIENTS",
            "SENT",
            "QUEUED",
            "FAILED",
            "ANSWERED",
            "AWAITING REVIEW",
        ],
        &[vec![
            c.recipients.to_string(),
            c.sent.to_string(),
            queued.to_string(),
            c.failed.to_string(),
            c.answered.to_string(),
            c.awaiting_review.to_string(),
        ]],
    )?;
    if !s.failures.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = s
            .failures
            .iter()
            .map(|f| {
                vec![
                    f.party.clone().unwrap_or_else(|| "-".into()),
                    f.email.clone(),
                    f.error.clone(),
                ]
            })
            .collect();
        print_table(&["PARTY", "FAILED RECIPIENT", "SERVER SAID"], &rows)?;
    }
    Ok(())
}

pub(super) fn report_import(file: &Path, what: &str, r: &ImportReport) {
    for w in &r.warnings {
        eprintln!("{}: warning: {w}", file.display());
    }
    for e in &r.skipped {
        eprintln!("{}: skipped {e}", file.display());
    }
    let updated = if r.updated > 0 {
        format!(", {} updated", r.updated)
    } else {
        String::new()
    };
    let skipped = if r.skipped.is_empty() {
        String::new()
    } else {
        format!(", {} skipped", files::rows_phrase(&r.skipped))
    };
    println!(
        "{}: {} {what} added{updated}{skipped}.",
        file.display(),
        r.added
    );
}

pub(super) fn print_check(r: &files::CheckReport) -> Result<()> {
    use std::fmt::Write as _;
    // Built first and written once, so a closed pipe is an error, not a panic.
    let mut text = String::new();
    let on = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    writeln!(
        text,
        "{}: cycle {}, checked as {}",
        r.file,
        r.cycle.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
        on(&r.party.as_ref().map(|p| p.to_string()))
    )?;
    if r.no_changes == Some(true) {
        writeln!(text, "The respondent answered \"No changes this month\".")?;
    }
    let rows: Vec<Vec<String>> = r.changes.iter().map(change_row).collect();
    if rows.is_empty() {
        writeln!(text, "No changes.")?;
    } else {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        text.clear();
        print_table(&["ROW", "KIND", "NEED", "FIELD", "CHANGE", ""], &rows)?;
    }
    if !r.programme_changes.is_empty() {
        writeln!(text, "Programmes:")?;
        std::io::stdout().lock().write_all(text.as_bytes())?;
        text.clear();
        let rows: Vec<Vec<String>> = r
            .programme_changes
            .iter()
            .map(|c| match c {
                needsd::register::Change::Update {
                    id,
                    row,
                    field,
                    base,
                    proposed,
                    conflict,
                    ..
                } => vec![
                    row.to_string(),
                    "update".into(),
                    id.clone(),
                    (*field).into(),
                    format!("{base} -> {proposed}"),
                    if *conflict { "conflict" } else { "" }.into(),
                ],
                needsd::register::Change::Add { row, fields } => vec![
                    row.to_string(),
                    "add".into(),
                    "-".into(),
                    "-".into(),
                    fields.get("title").cloned().unwrap_or_default(),
                    String::new(),
                ],
            })
            .collect();
        print_table(&["ROW", "KIND", "PROGRAMME", "FIELD", "CHANGE", ""], &rows)?;
    }
    for e in &r.errors {
        writeln!(text, "error: {e}")?;
    }
    for w in &r.warnings {
        writeln!(
            text,
            "warning: {}",
            if w.row == 0 {
                w.message.clone()
            } else {
                w.to_string()
            }
        )?;
    }
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// One change as a row of `check`'s table: row, kind, need, field, change, remark.
fn change_row(c: &needsd::diff::Change) -> Vec<String> {
    use needsd::diff::Change;
    match c {
        Change::Update {
            need_id,
            row,
            field,
            base,
            current,
            proposed,
            conflict,
        } => vec![
            row.to_string(),
            "update".into(),
            need_id.to_string(),
            field.to_string(),
            format!(
                "{base} → {proposed}{}",
                if base == current {
                    String::new()
                } else {
                    format!(" (now {current})")
                }
            ),
            if *conflict {
                "CONFLICT".into()
            } else {
                String::new()
            },
        ],
        Change::Add {
            row,
            fields,
            duplicate_of,
            ..
        } => vec![
            row.to_string(),
            "add".into(),
            "-".into(),
            String::new(),
            fields
                .get(&needsd::model::Field::Description)
                .cloned()
                .unwrap_or_default(),
            duplicate_of
                .as_ref()
                .map(|d| format!("like {d}?"))
                .unwrap_or_default(),
        ],
        Change::Withdraw { need_id, row } => {
            vec![
                row.to_string(),
                "withdraw".into(),
                need_id.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ]
        }
    }
}

pub(super) fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

pub(super) fn print_table(headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len() - 1;
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.to_string()
                } else {
                    format!("{c}{}", " ".repeat(widths[i] - c.chars().count()))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(out, "{}", line(headers.to_vec()))?;
    for r in rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
