//! `review`: list, show, approve and reject from scripts.

use anyhow::Result;
use std::io::Write;

use serde_json::json;

use super::Usage;
use super::args::ReviewCmd;
use super::print::{print_json, print_table};
use needsd::app::App;

pub(super) async fn review(app: &App, cmd: ReviewCmd) -> Result<()> {
    use needsd::review::{Confirm, Decision, Pick, Verdict};
    let reviewer = |r: Option<String>| {
        r.or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".into())
    };
    match cmd {
        ReviewCmd::List { state, json } => list(app, state, json).await,
        ReviewCmd::Show { id, json } => show(app, id, json).await,
        ReviewCmd::Approve {
            id,
            change,
            confirm,
            reviewer: r,
            json,
        } => {
            let who = reviewer(r);
            let d = Decision {
                submission: id,
                pick: change.map_or(Pick::All, Pick::One),
                verdict: Verdict::Approve,
                reason: None,
                reviewer: &who,
                confirm: if confirm { Confirm::Any } else { Confirm::No },
                now: app.clock.now(),
            };
            decide(app, &d, json).await
        }
        ReviewCmd::Reject {
            id,
            change,
            reason,
            reviewer: r,
            json,
        } => {
            let who = reviewer(r);
            let d = Decision {
                submission: id,
                pick: change.map_or(Pick::All, Pick::One),
                verdict: Verdict::Reject,
                reason: Some(&reason),
                reviewer: &who,
                confirm: Confirm::No,
                now: app.clock.now(),
            };
            decide(app, &d, json).await
        }
    }
}

/// `review list`.
async fn list(app: &App, state: Option<needsd::state::SubmissionState>, json: bool) -> Result<()> {
    let filter = needsd::store::review::SubmissionFilter {
        state,
        ..Default::default()
    };
    let list = needsd::workflow::review::list(&app.store, &filter).await?;
    if json {
        return print_json(&needsd::workflow::review::list_json(&list));
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|l| {
            let s = &l.submission;
            let pending = l.changes.iter().filter(|c| c.is_pending()).count();
            vec![
                s.id.to_string(),
                s.cycle.clone().unwrap_or_default(),
                s.party.clone().unwrap_or_default(),
                s.from.clone().unwrap_or_default(),
                s.state.to_string(),
                if s.late { "late" } else { "" }.into(),
                format!("{pending}/{}", l.changes.len()),
            ]
        })
        .collect();
    print_table(
        &["ID", "CYCLE", "PARTY", "FROM", "STATE", "LATE", "PENDING"],
        &rows,
    )
}

/// `review show`.
async fn show(app: &App, id: i64, json: bool) -> Result<()> {
    let Some(shown) = needsd::workflow::review::show(&app.store, id).await? else {
        return Err(Usage(format!("there is no submission {id}")).into());
    };
    if json {
        let mut v = needsd::workflow::review::submission_json(
            &shown.submission,
            (&shown.changes, &shown.programme_changes),
            &shown.issues,
        );
        v["text"] = json!(shown.text);
        v["attachments"] = json!(shown.attachments);
        return print_json(&v);
    }
    print_submission(&shown)
}

/// `review approve` and `review reject`.
async fn decide(app: &App, d: &needsd::review::Decision<'_>, json: bool) -> Result<()> {
    use needsd::store::review::DecideError;
    let id = d.submission;
    let out = match needsd::workflow::review::decide(app, d).await {
        Ok(out) => out,
        Err(DecideError::Refused(r)) => {
            let moved = r
                .iter()
                .any(|r| matches!(r, needsd::review::Refusal::Moved { .. }));
            let list: Vec<String> = r.iter().map(ToString::to_string).collect();
            let hint = if moved {
                " (pass --confirm to overwrite)"
            } else {
                ""
            };
            anyhow::bail!("nothing was decided: {}{hint}", list.join("; "));
        }
        Err(DecideError::NoSuchSubmission(id)) => {
            return Err(Usage(format!("there is no submission {id}")).into());
        }
        Err(e) => return Err(e.into()),
    };
    let send = if out.settled.is_some() && app.cfg.mail.notify_decisions {
        Some(needsd::workflow::send_now(app, std::time::Duration::from_secs(30)).await?)
    } else {
        None
    };
    if json {
        return print_json(&json!({ "decided": out, "send": send }));
    }
    println!(
        "Submission {id}: {} approved, {} rejected{}{}.",
        out.approved.len(),
        out.rejected.len(),
        if out.created.is_empty() {
            String::new()
        } else {
            format!("; new needs {}", out.created.join(", "))
        },
        match &out.settled {
            Some(s) => format!("; the submission is now {s}"),
            None => String::new(),
        }
    );
    Ok(())
}

fn print_submission(s: &needsd::workflow::review::Shown) -> Result<()> {
    use std::fmt::Write as _;
    let sub = &s.submission;
    let mut text = String::new();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let _ = writeln!(
        text,
        "Submission {} ({}){}",
        sub.id,
        sub.state,
        if sub.late { ", late" } else { "" }
    );
    let _ = writeln!(text, "Cycle:    {}", opt(&sub.cycle));
    let _ = writeln!(
        text,
        "Party:    {} {}",
        opt(&sub.party),
        opt(&sub.party_name)
    );
    let _ = writeln!(
        text,
        "From:     {} ({})",
        opt(&sub.from),
        match sub.verified {
            Some(true) => "verified contact",
            Some(false) => "not a known contact of the party",
            None => "not judged",
        }
    );
    let _ = writeln!(text, "Subject:  {}", opt(&sub.subject));
    let received = sub.received_at.map(needsd::clock::db_time);
    let _ = writeln!(text, "Received: {}", opt(&received));
    for a in &s.attachments {
        let _ = writeln!(text, "Attached: {} ({} bytes)", a.name, a.size);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    drop(out);
    let conflict = |c: bool| if c { "conflict" } else { "" }.to_string();
    let rows: Vec<Vec<String>> = s
        .changes
        .iter()
        .map(|c| {
            vec![
                c.seq.to_string(),
                c.summary(),
                conflict(c.conflict),
                c.decision.to_string(),
                c.reason.clone().unwrap_or_default(),
            ]
        })
        .chain(s.programme_changes.iter().map(|p| {
            let conflicted = matches!(
                p.change,
                needsd::register::Change::Update { conflict: true, .. }
            );
            vec![
                p.seq.to_string(),
                match &p.created {
                    Some(id) => format!("{} (now {id})", p.summary()),
                    None => p.summary(),
                },
                conflict(conflicted),
                p.decision.to_string(),
                p.reason.clone().unwrap_or_default(),
            ]
        }))
        .collect();
    if !rows.is_empty() {
        println!();
        print_table(&["N", "CHANGE", "", "DECISION", "REASON"], &rows)?;
    }
    for i in &s.issues {
        println!(
            "{} row {}{}: {}",
            i.severity,
            i.row.map(|r| r.to_string()).unwrap_or_default(),
            i.column
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
            i.message
        );
    }
    println!("\n{}", s.text.trim_end());
    Ok(())
}
