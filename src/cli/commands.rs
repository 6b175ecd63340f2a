//! The command groups that are not review, users or the demo: the directory and the
//! Matrix, checking a file, the cycle's steps, the inbox and the deadlines.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;

use super::Usage;
use super::args::{ContactsCmd, DeadlineCmd, MatrixCmd, ProgrammesCmd, RequestsCmd};
use super::print::{
    print_check, print_dispatch, print_json, print_status, print_table, report_import,
};
use needsd::app::App;
use needsd::model::Cycle;
use needsd::workflow::files::{self, ExportRequest};

pub(super) async fn parties(app: &App, json: bool) -> Result<()> {
    let parties = files::parties(app);
    if json {
        let list: Vec<_> = parties
            .iter()
            .map(|p| {
                json!({"code": p.code, "kind": p.kind, "name": p.name, "category": p.category,
                       "parent": p.parent, "membership": p.membership, "aliases": p.aliases,
                       "active": p.active})
            })
            .collect();
        print_json(&list)?;
    } else {
        let rows: Vec<Vec<String>> = parties
            .iter()
            .map(|p| {
                vec![
                    p.code.to_string(),
                    p.kind.as_str().into(),
                    p.category
                        .clone()
                        .or(p.membership.clone())
                        .unwrap_or_default(),
                    p.name.clone(),
                ]
            })
            .collect();
        print_table(&["CODE", "KIND", "CATEGORY", "NAME"], &rows)?;
    }
    Ok(())
}

pub(super) async fn contacts(app: &App, cmd: ContactsCmd) -> Result<()> {
    match cmd {
        ContactsCmd::Import { file, skip_bad } => {
            let r = files::import_contacts(app, &file, skip_bad).await?;
            report_import(&file, "contacts", &r);
        }
        ContactsCmd::List { json } => {
            let contacts = files::contacts(app).await?;
            if json {
                let list: Vec<_> = contacts
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "party": c.party, "name": c.name, "office": c.office,
                               "email": c.email, "language": c.language, "role": c.role,
                               "receives_matrix": c.receives_matrix, "active": c.active,
                               "bouncing": c.bouncing_since.is_some(), "bouncing_since": c.bouncing_since})
                    })
                    .collect();
                print_json(&list)?;
            } else {
                let rows: Vec<Vec<String>> = contacts
                    .iter()
                    .map(|c| {
                        vec![
                            c.party.to_string(),
                            c.name.clone(),
                            c.email.to_string(),
                            c.language.to_string(),
                            if c.receives_matrix { "yes" } else { "no" }.into(),
                            if c.bouncing_since.is_some() {
                                "bouncing"
                            } else if c.active {
                                "active"
                            } else {
                                "inactive"
                            }
                            .into(),
                        ]
                    })
                    .collect();
                print_table(
                    &["PARTY", "NAME", "EMAIL", "LANG", "MATRIX", "STATE"],
                    &rows,
                )?;
            }
        }
    }
    Ok(())
}

pub(super) async fn programmes(app: &App, cmd: ProgrammesCmd) -> Result<()> {
    match cmd {
        ProgrammesCmd::Import { file, skip_bad } => {
            let r = files::import_programmes(app, &file, skip_bad).await?;
            report_import(&file, "programmes", &r);
        }
        ProgrammesCmd::Export { out } => {
            let bytes = files::export_programmes(app).await?;
            needsd::fsutil::write_atomic(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("Wrote {} ({} bytes).", out.display(), bytes.len());
        }
    }
    Ok(())
}

pub(super) async fn matrix(app: &App, cmd: MatrixCmd) -> Result<()> {
    match cmd {
        MatrixCmd::Import { file, skip_bad } => {
            let r = files::import_matrix(app, &file, skip_bad).await?;
            report_import(&file, "needs", &r);
        }
        MatrixCmd::Export {
            out,
            cycle,
            recipient,
            party,
            lang,
        } => {
            let language = lang
                .as_deref()
                .map(needsd::model::Language::parse)
                .transpose()
                .map_err(|e| Usage(format!("--lang: {e}")))?;
            let req = ExportRequest {
                cycle,
                recipient,
                party,
                language,
            };
            if req.recipient.is_some() && req.cycle.is_none() {
                return Err(Usage(
                    "--recipient needs --cycle: a recipient's copy belongs to a cycle".into(),
                )
                .into());
            }
            let bytes = files::export_matrix(app, &req).await?;
            needsd::fsutil::write_atomic(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("Wrote {} ({} bytes).", out.display(), bytes.len());
        }
    }
    Ok(())
}

pub(super) async fn check(
    app: &App,
    file: PathBuf,
    as_party: Option<String>,
    cycle: Option<Cycle>,
    json: bool,
) -> Result<()> {
    let r = match files::check(app, &file, as_party.as_deref(), cycle).await {
        Err(e) if e.is::<files::UnknownParty>() => return Err(Usage(e.to_string()).into()),
        other => other?,
    };
    if json {
        print_json(&r)?;
    } else {
        print_check(&r)?;
    }
    Ok(())
}

pub(super) async fn dispatch(app: &App, cycle: Option<Cycle>, json: bool) -> Result<()> {
    let r = needsd::workflow::dispatch(app, cycle).await?;
    if json {
        print_json(&r)?;
    } else {
        print_dispatch(&r);
    }
    if r.send.failed > 0 || !r.skipped.is_empty() {
        eprintln!(
            "needsd: some recipients were not reached; see `needsd cycle status {}`",
            r.cycle
        );
    }
    Ok(())
}

pub(super) async fn remind(app: &App, cycle: Option<Cycle>, json: bool) -> Result<()> {
    let (cfg, clock) = (&*app.cfg, &*app.clock);
    // On the deadline day the reminder says that today is the last day.
    let today = clock
        .now()
        .with_timezone(&cfg.schedule.timezone)
        .date_naive();
    let target = cycle.unwrap_or_else(|| Cycle::of_date(today));
    let kind = if today == target.day(cfg.schedule.deadline_day) {
        needsd::workflow::Chase::DeadlineAlert
    } else {
        needsd::workflow::Chase::Reminder
    };
    let r = needsd::workflow::chase::remind(app, cycle, kind, None).await?;
    let send = needsd::workflow::send_now(app, needsd::workflow::DISPATCH_WAIT).await?;
    if json {
        print_json(&json!({ "remind": r, "send": send }))?;
    } else {
        match &r.note {
            Some(n) => println!("Cycle {}: nobody reminded: {n}.", r.cycle),
            None => println!(
                "Cycle {}: {} recipients have not answered; {} new reminders in the outbox; sent {}, failed {}, deferred {}.",
                r.cycle, r.silent, r.enqueued, send.sent, send.failed, send.deferred
            ),
        }
        for k in &r.skipped {
            eprintln!("not reminded: {} <{}>: {}", k.party, k.email, k.reason);
        }
    }
    Ok(())
}

pub(super) async fn requests(app: &App, cmd: RequestsCmd) -> Result<()> {
    use needsd::store::subscriptions::RequestError;
    use needsd::workflow::subscription::{self as flow, DecideRequestError};
    let reviewer = |r: Option<String>| {
        r.or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".into())
    };
    // A request that is not there or not pending, or a party nobody knows, is the
    // caller's mistake (exit 2), not needsd's.
    let usage = |e: DecideRequestError| -> anyhow::Error {
        match e {
            DecideRequestError::Request(
                e @ (RequestError::Missing(_)
                | RequestError::Decided(..)
                | RequestError::UnknownParty(_)),
            ) => Usage(e.to_string()).into(),
            DecideRequestError::Request(RequestError::Store(e)) => e.into(),
            DecideRequestError::Other(e) => e,
        }
    };
    match cmd {
        RequestsCmd::List { all, json } => {
            let requests = app.store.subscription_requests(!all).await?;
            let stopped = app.store.unsubscriptions(i64::MAX).await?;
            if json {
                print_json(&json!({"requests": requests, "unsubscribed": stopped}))?;
            } else {
                let rows: Vec<Vec<String>> = requests
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.received_at.format("%Y-%m-%d %H:%M").to_string(),
                            r.address.clone(),
                            r.language.clone(),
                            if r.verified { "yes" } else { "no" }.into(),
                            r.state.into(),
                            r.party.clone().unwrap_or_default(),
                            r.excerpt
                                .chars()
                                .take(60)
                                .collect::<String>()
                                .replace('\n', " "),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "id", "received", "from", "language", "verified", "state", "party", "wrote",
                    ],
                    &rows,
                )?;
                if !stopped.is_empty() {
                    println!();
                    let rows: Vec<Vec<String>> = stopped
                        .iter()
                        .map(|u| {
                            vec![
                                u.at.format("%Y-%m-%d %H:%M").to_string(),
                                u.party.clone(),
                                u.address.clone(),
                                u.via.into(),
                                if u.flagged { "annex organization" } else { "" }.into(),
                            ]
                        })
                        .collect();
                    print_table(&["stopped", "party", "address", "via", "flag"], &rows)?;
                }
            }
        }
        RequestsCmd::Approve {
            id,
            party,
            reviewer: r,
            json,
        } => {
            let code = app
                .index
                .resolve(party.trim())
                .map(|p| p.code.clone())
                .ok_or_else(|| Usage(format!("--party: there is no party '{party}'")))?;
            let done = flow::approve(
                app,
                id,
                &code,
                &reviewer(r),
                Some(needsd::workflow::DISPATCH_WAIT),
            )
            .await
            .map_err(usage)?;
            if json {
                print_json(&done)?;
            } else {
                match done.sent_cycle {
                    Some(c) => println!(
                        "Request {id} approved for {code}: contact {} receives the Matrix; the copy of {c} was sent.",
                        done.contact_id
                    ),
                    None => println!(
                        "Request {id} approved for {code}: contact {} receives the Matrix from the next circulation.",
                        done.contact_id
                    ),
                }
            }
        }
        RequestsCmd::Dismiss { id, reviewer: r } => {
            flow::dismiss(app, id, &reviewer(r)).await.map_err(usage)?;
            println!("Request {id} dismissed.");
        }
    }
    Ok(())
}

pub(super) async fn deadline(app: &App, cmd: DeadlineCmd) -> Result<()> {
    let clock = &*app.clock;
    match cmd {
        DeadlineCmd::Add {
            title,
            due,
            owner,
            alert_days,
        } => {
            if title.trim().is_empty() {
                return Err(Usage("the deadline needs a title".into()).into());
            }
            let id = app
                .store
                .add_deadline(title.trim(), due, owner.as_str(), &alert_days, clock.now())
                .await?;
            println!(
                "Deadline {id} added: {} on {due}, alerts to {owner}.",
                title.trim()
            );
        }
        DeadlineCmd::List { json } => {
            let list = app.store.deadlines().await?;
            if json {
                print_json(&list)?;
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|d| {
                        let days: Vec<String> = d.alert_days.iter().map(u32::to_string).collect();
                        vec![
                            d.id.to_string(),
                            d.due.to_string(),
                            d.title.clone(),
                            d.owner.clone(),
                            days.join(","),
                        ]
                    })
                    .collect();
                print_table(&["ID", "DUE", "TITLE", "OWNER", "ALERT DAYS"], &rows)?;
            }
        }
    }
    Ok(())
}

pub(super) async fn ingest(app: &App, once: bool, json: bool) -> Result<()> {
    if !once {
        eprintln!("needsd: watching the inbox; SIGTERM or Ctrl-C stops");
        return needsd::workflow::ingest_watch(app).await;
    }
    let r = needsd::workflow::ingest_once(app, &needsd::workflow::SendBy::Pass).await?;
    if json {
        print_json(&r)?;
    } else {
        let f = &r.fetch;
        println!(
            "Inbox: {} messages read, {} stored, {} already stored, {} moved out of the inbox.",
            f.fetched, f.stored, f.known, f.moved
        );
        if f.too_large > 0 {
            println!(
                "{} over limits.message_bytes: only their headers were kept, and they are listed as not read.",
                f.too_large
            );
        }
        println!("Read: {}.", r.read.summary());
    }
    Ok(())
}

pub(super) async fn reparse(app: &App, id: Option<i64>, all: bool, json: bool) -> Result<()> {
    if id.is_some() == all {
        return Err(Usage("reparse needs a message id or --all (not both)".into()).into());
    }
    let d = needsd::workflow::reparse(app, id).await?;
    if json {
        print_json(&d)?;
    } else {
        println!("Read again: {}.", d.summary());
    }
    Ok(())
}

pub(super) async fn cycle_status(app: &App, cycle: Option<Cycle>, json: bool) -> Result<()> {
    let s = needsd::workflow::cycle_status(app, cycle).await?;
    if json {
        print_json(&s)?;
    } else {
        print_status(&s)?;
    }
    Ok(())
}

/// `db copy --to URL`: the SQLite database into a new PostgreSQL one, checked.
pub(super) async fn db_copy(app: &App, to: &str, json: bool) -> Result<()> {
    let copied = app.store.copy_to(to).await.with_context(|| {
        format!(
            "copying {} into {}",
            app.cfg.database.url,
            needsd::store::redacted(to)
        )
    })?;
    if json {
        return print_json(&copied);
    }
    let rows: Vec<Vec<String>> = copied
        .iter()
        .map(|c| {
            vec![
                c.table.clone(),
                c.rows.to_string(),
                c.checksum[..16].to_string(),
            ]
        })
        .collect();
    print_table(&["TABLE", "ROWS", "CHECKSUM"], &rows)?;
    let total: i64 = copied.iter().map(|c| c.rows).sum();
    println!(
        "Copied {total} rows in {} tables into {}; each table's rows and checksum match. \
         Point database.url at it (the password in the variable database.password_env names).",
        copied.len(),
        needsd::store::redacted(to)
    );
    Ok(())
}

/// `needsd preview`: a message's subject and text part on stdout, as plain UTF-8.
pub(crate) async fn preview(
    app: &App,
    kind: &str,
    lang: Option<&str>,
    contact: Option<&str>,
    cycle: Option<Cycle>,
) -> Result<()> {
    use needsd::workflow::preview::{self, Ask, PreviewError};
    let language = lang
        .map(needsd::model::Language::parse)
        .transpose()
        .map_err(|e| Usage(format!("--lang: {e}")))?;
    let contact = contact
        .map(needsd::model::EmailAddress::parse)
        .transpose()
        .map_err(|e| Usage(format!("--contact: {e}")))?;
    let ask = Ask {
        kind,
        language,
        contact: contact.as_ref(),
        cycle,
    };
    let (_, rendered) = match preview::preview(app, ask).await {
        Ok(r) => r,
        Err(e) if e.is::<PreviewError>() => return Err(Usage(e.to_string()).into()),
        Err(e) => return Err(e),
    };
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Subject: {}\n", rendered.subject)?;
    write!(out, "{}", rendered.text)?;
    Ok(())
}
