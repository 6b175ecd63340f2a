//! The needsd command line: parses arguments, loads the configuration, calls the library,
//! and maps failures to exit codes (0 ok, 1 failure, 2 bad usage or bad config).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;

use needsd::app::App;
use needsd::clock::{Clock, SystemClock};
use needsd::config::{Config, ConfigError, ProcessEnv};
use needsd::model::{Cycle, EmailAddress, PartyCode};
use needsd::workflow::files::{self, ExportRequest, ImportReport, RowsRefused};

#[derive(Parser)]
#[command(
    name = "needsd",
    version,
    about = "Runs the monthly Matrix of Needs cycle by email"
)]
struct Cli {
    /// Configuration file (default: the embedded defaults; also NEEDSD_CONFIG).
    #[arg(long, global = true, env = "NEEDSD_CONFIG")]
    config: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or upgrade the database and seed the parties (safe to run again).
    Init,
    /// The States and organizations needsd knows.
    Parties {
        #[command(subcommand)]
        cmd: ListCmd,
    },
    /// The Directory of Contact Points.
    Contacts {
        #[command(subcommand)]
        cmd: ContactsCmd,
    },
    /// The Matrix of Needs.
    Matrix {
        #[command(subcommand)]
        cmd: MatrixCmd,
    },
    /// Read a reply workbook and print the changes it proposes, storing nothing.
    Check {
        file: PathBuf,
        /// Apply the permissions of this party (default: the party stamped in the file).
        #[arg(long = "as")]
        as_party: Option<String>,
        /// Diff against this cycle's base (default: the cycle stamped in the file).
        #[arg(long)]
        cycle: Option<Cycle>,
        #[arg(long)]
        json: bool,
    },
    /// Circulate a cycle now: one message with its own workbook to every receiving
    /// contact that has not had it yet, then send the outbox (idempotent).
    Dispatch {
        /// The cycle (YYYY-MM; default: the current month).
        #[arg(long)]
        cycle: Option<Cycle>,
        #[arg(long)]
        json: bool,
    },
    /// Remind the recipients whose party has not answered the cycle, with their workbook
    /// again, then send the outbox (at most one reminder a day each).
    Remind {
        /// The cycle (YYYY-MM; default: the current month).
        #[arg(long)]
        cycle: Option<Cycle>,
        #[arg(long)]
        json: bool,
    },
    /// The daemon: scheduler, inbox watcher, outbox sender and web server, until SIGTERM
    /// or Ctrl-C.
    Run,
    /// Review submissions: list them, show one, approve or reject its changes.
    Review {
        #[command(subcommand)]
        cmd: ReviewCmd,
    },
    /// The review UI's users.
    Users {
        #[command(subcommand)]
        cmd: UsersCmd,
    },
    /// One-off deadlines whose owners are alerted by mail ahead of the day.
    Deadline {
        #[command(subcommand)]
        cmd: DeadlineCmd,
    },
    /// Read the inbox: store every message exactly once, move it out of the inbox, read
    /// it, answer it. Without --once, keep watching (IMAP IDLE or polling) until SIGTERM.
    Ingest {
        /// Process what is there now and exit.
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Read stored mail again (after a parser fix): one message by its id, or --all.
    Reparse {
        id: Option<i64>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Cycles: where one stands.
    Cycle {
        #[command(subcommand)]
        cmd: CycleCmd,
    },
    /// A whole month on the embedded defaults with sample data and simulated
    /// respondents, in seconds; then the web server keeps running until Ctrl-C.
    Demo {
        /// Folder for the demo's database, mail folders and workbooks.
        #[arg(long, default_value = "needsd-demo")]
        dir: PathBuf,
        /// Where the web server listens (default: web.listen, 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
}

#[derive(Subcommand)]
enum ReviewCmd {
    /// Submissions, newest first (all of them, or those in one state).
    List {
        /// Only submissions in this state (pending, quarantined, applied, rejected,
        /// no_changes, unparseable).
        #[arg(long)]
        state: Option<needsd::state::SubmissionState>,
        #[arg(long)]
        json: bool,
    },
    /// One submission: its sender, message and changes.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Approve a submission's pending changes (or one of them) and apply them to the Matrix.
    Approve {
        id: i64,
        /// The change's number (as `show` lists them); default: every pending change.
        #[arg(long)]
        change: Option<i64>,
        /// Overwrite needs that changed since the reply was read.
        #[arg(long)]
        confirm: bool,
        /// Who decides (default: the login name).
        #[arg(long)]
        reviewer: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Reject a submission's pending changes (or one of them), saying why.
    Reject {
        id: i64,
        #[arg(long)]
        change: Option<i64>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        reviewer: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Add a user, or set the role and password of one (the password is read from
    /// standard input: one line).
    Add {
        name: String,
        #[arg(long, value_parser = ["expert", "admin"])]
        role: String,
    },
    /// The users.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DeadlineCmd {
    /// Add a deadline.
    Add {
        title: String,
        /// The day it is due (YYYY-MM-DD, in the configured time zone).
        #[arg(long)]
        due: chrono::NaiveDate,
        /// Who is alerted.
        #[arg(long)]
        owner: EmailAddress,
        /// Days before the due date on which the owner is alerted (0 = on the day).
        #[arg(long, value_delimiter = ',', default_value = "7,1,0")]
        alert_days: Vec<u32>,
    },
    /// The deadlines, soonest first.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CycleCmd {
    /// Recipients, sent, failed, answered and awaiting review.
    Status {
        /// The cycle (YYYY-MM; default: the current month).
        cycle: Option<Cycle>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ListCmd {
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ContactsCmd {
    /// Load contacts from CSV (party, name, office, email, language, role, receives_matrix).
    Import {
        file: PathBuf,
        /// Import the good rows of a file that has bad ones.
        #[arg(long)]
        skip_bad: bool,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MatrixCmd {
    /// Load an initial matrix from xlsx, ods or csv; blank Need IDs are assigned.
    Import {
        file: PathBuf,
        #[arg(long)]
        skip_bad: bool,
    },
    /// Write the Matrix workbook.
    Export {
        #[arg(long)]
        out: PathBuf,
        /// The cycle (YYYY-MM) whose copy to write.
        #[arg(long)]
        cycle: Option<Cycle>,
        /// Stamp the copy for this contact (needs --cycle).
        #[arg(long)]
        recipient: Option<EmailAddress>,
        /// The recipient's party, when the address is a contact of several.
        #[arg(long)]
        party: Option<PartyCode>,
    },
}

/// A mistake in how needsd was called; exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn main() -> ExitCode {
    // A reader of untrusted files (see `needsd::reader`): before anything else starts, so
    // that its address-space limit covers the whole process. Not a command for people.
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some(needsd::reader::WORKER_COMMAND) {
        let memory = args
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(needsd::config::Limits::default().reader_memory_bytes);
        return match needsd::reader::worker_main(memory) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        };
    }
    let cli = Cli::parse();
    // The daemon tells what it does (each job, each pass that found mail); commands
    // only warn, as their output is the report.
    let level = if matches!(cli.command, Command::Run) {
        "info"
    } else {
        "warn"
    };
    init_logging(cli.log_json, level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("needsd: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(try_main(cli));
    needsd::reader::shared().close();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.is::<ConfigError>() || e.is::<Usage>() {
                2
            } else {
                1
            };
            if let Some(r) = e.downcast_ref::<RowsRefused>() {
                for row in &r.errors {
                    eprintln!("{}: {row}", r.file);
                }
            }
            eprintln!("needsd: {}", chain(&e));
            ExitCode::from(code)
        }
    }
}

/// Output piped into a reader that stopped (`| head`) is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line.
fn chain(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

fn init_logging(json: bool, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEEDSD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colours only on a terminal: journald and log files get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn try_main(cli: Cli) -> Result<()> {
    if let Command::Demo { dir, listen } = &cli.command {
        return demo(dir, *listen).await;
    }
    let cfg = Arc::new(Config::load(cli.config.as_deref(), &ProcessEnv)?);
    let system: Arc<dyn Clock> = Arc::new(SystemClock);
    if let Command::Init = cli.command {
        let (app, r) = App::init(cfg, system).await?;
        println!(
            "Database ready ({}); {} parties known, {} new.",
            app.cfg.database.url, r.parties, r.new_parties
        );
        app.close().await;
        return Ok(());
    }
    // The one App of this process: every command below works with it.
    let app = Arc::new(App::open(cfg, system).await?);
    let (cfg, clock) = (&*app.cfg, &*app.clock);
    match cli.command {
        Command::Init => unreachable!("handled above"),
        Command::Parties {
            cmd: ListCmd::List { json },
        } => {
            let parties = files::parties(&app);
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
        }
        Command::Contacts { cmd } => match cmd {
            ContactsCmd::Import { file, skip_bad } => {
                let r = files::import_contacts(&app, &file, skip_bad).await?;
                report_import(&file, "contacts", &r);
            }
            ContactsCmd::List { json } => {
                let contacts = files::contacts(&app).await?;
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
        },
        Command::Matrix { cmd } => match cmd {
            MatrixCmd::Import { file, skip_bad } => {
                let r = files::import_matrix(&app, &file, skip_bad).await?;
                report_import(&file, "needs", &r);
            }
            MatrixCmd::Export {
                out,
                cycle,
                recipient,
                party,
            } => {
                let req = ExportRequest {
                    cycle,
                    recipient,
                    party,
                };
                if req.recipient.is_some() && req.cycle.is_none() {
                    return Err(Usage(
                        "--recipient needs --cycle: a recipient's copy belongs to a cycle".into(),
                    )
                    .into());
                }
                let bytes = files::export_matrix(&app, &req).await?;
                needsd::fsutil::write_atomic(&out, &bytes)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                println!("Wrote {} ({} bytes).", out.display(), bytes.len());
            }
        },
        Command::Check {
            file,
            as_party,
            cycle,
            json,
        } => {
            let r = match files::check(&app, &file, as_party.as_deref(), cycle).await {
                Err(e) if e.is::<files::UnknownParty>() => return Err(Usage(e.to_string()).into()),
                other => other?,
            };
            if json {
                print_json(&r)?;
            } else {
                print_check(&r)?;
            }
        }
        Command::Dispatch { cycle, json } => {
            let r = needsd::workflow::dispatch(&app, cycle).await?;
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
        }
        Command::Remind { cycle, json } => {
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
            let r = needsd::workflow::chase::remind(&app, cycle, kind, None).await?;
            let send = needsd::workflow::send_now(&app, needsd::workflow::DISPATCH_WAIT).await?;
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
        }
        Command::Run => {
            eprintln!("needsd: running; SIGTERM or Ctrl-C stops");
            needsd::daemon::run(Arc::clone(&app), needsd::workflow::shutdown_signal(), None)
                .await?;
        }
        Command::Deadline { cmd } => match cmd {
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
                            let days: Vec<String> =
                                d.alert_days.iter().map(u32::to_string).collect();
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
        },
        Command::Ingest { once, json } => {
            if !once {
                eprintln!("needsd: watching the inbox; SIGTERM or Ctrl-C stops");
                return needsd::workflow::ingest_watch(&app).await;
            }
            let r = needsd::workflow::ingest_once(&app, &needsd::workflow::SendBy::Pass).await?;
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
        }
        Command::Reparse { id, all, json } => {
            if id.is_some() == all {
                return Err(Usage("reparse needs a message id or --all (not both)".into()).into());
            }
            let d = needsd::workflow::reparse(&app, id).await?;
            if json {
                print_json(&d)?;
            } else {
                println!("Read again: {}.", d.summary());
            }
        }
        Command::Cycle {
            cmd: CycleCmd::Status { cycle, json },
        } => {
            let s = needsd::workflow::cycle_status(&app, cycle).await?;
            if json {
                print_json(&s)?;
            } else {
                print_status(&s)?;
            }
        }
        Command::Review { cmd } => review(&app, cmd).await?,
        Command::Users { cmd } => users(&app, cmd).await?,
        Command::Demo { .. } => unreachable!("handled above"),
    }
    Ok(())
}

async fn review(app: &App, cmd: ReviewCmd) -> Result<()> {
    use needsd::review::Verdict;
    use needsd::store::review::{DecideError, Decision, Pick, SubmissionFilter};
    let (cfg, clock, store) = (&*app.cfg, &*app.clock, &app.store);
    let reviewer = |r: Option<String>| {
        r.or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "cli".into())
    };
    let (id, pick, verdict, reason, confirmed, who, json) = match cmd {
        ReviewCmd::List { state, json } => {
            let filter = SubmissionFilter {
                state,
                ..Default::default()
            };
            let list = needsd::workflow::review::list(store, &filter).await?;
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
            return print_table(
                &["ID", "CYCLE", "PARTY", "FROM", "STATE", "LATE", "PENDING"],
                &rows,
            );
        }
        ReviewCmd::Show { id, json } => {
            let Some(shown) = needsd::workflow::review::show(store, id).await? else {
                return Err(Usage(format!("there is no submission {id}")).into());
            };
            if json {
                let mut v = needsd::workflow::review::submission_json(
                    &shown.submission,
                    &shown.changes,
                    &shown.issues,
                );
                v["text"] = json!(shown.text);
                v["attachments"] = json!(shown.attachments);
                return print_json(&v);
            }
            return print_submission(&shown);
        }
        ReviewCmd::Approve {
            id,
            change,
            confirm,
            reviewer: r,
            json,
        } => (
            id,
            change,
            Verdict::Approve,
            None,
            confirm,
            reviewer(r),
            json,
        ),
        ReviewCmd::Reject {
            id,
            change,
            reason,
            reviewer: r,
            json,
        } => (
            id,
            change,
            Verdict::Reject,
            Some(reason),
            false,
            reviewer(r),
            json,
        ),
    };
    let d = Decision {
        submission: id,
        pick: pick.map_or(Pick::All, Pick::One),
        verdict,
        reason: reason.as_deref(),
        reviewer: &who,
        confirm: if confirmed {
            needsd::review::Confirm::Any
        } else {
            needsd::review::Confirm::No
        },
        now: clock.now(),
    };
    let out = match needsd::workflow::review::decide(app, &d).await {
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
    let send = if out.settled.is_some() && cfg.mail.notify_decisions {
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
    let _ = writeln!(text, "Received: {}", opt(&sub.received_at));
    for a in &s.attachments {
        let _ = writeln!(text, "Attached: {} ({} bytes)", a.name, a.size);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    drop(out);
    if !s.changes.is_empty() {
        println!();
        let rows: Vec<Vec<String>> = s
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.seq.to_string(),
                    c.summary(),
                    if c.conflict { "conflict" } else { "" }.into(),
                    c.decision.to_string(),
                    c.reason.clone().unwrap_or_default(),
                ]
            })
            .collect();
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

async fn users(app: &App, cmd: UsersCmd) -> Result<()> {
    use needsd::web::auth;
    let (store, clock) = (&app.store, &*app.clock);
    match cmd {
        UsersCmd::Add { name, role } => {
            let (name, role) = auth::check_user(&name, &role).map_err(|e| Usage(e.to_string()))?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            auth::check_password(&password)
                .map_err(|e| Usage(format!("{e} (read from standard input)")))?;
            let hash = auth::hash_password_blocking(password).await?;
            let new = store.put_user(&name, role, &hash, clock.now()).await?;
            println!(
                "User {name} {} ({}).",
                if new { "added" } else { "updated" },
                role.as_str()
            );
        }
        UsersCmd::List { json } => {
            let list = store.users().await?;
            if json {
                return print_json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.role.as_str().into(),
                        if u.active { "active" } else { "inactive" }.into(),
                        u.created_at.clone(),
                    ]
                })
                .collect();
            print_table(&["NAME", "ROLE", "STATE", "SINCE"], &rows)?;
        }
    }
    Ok(())
}

fn print_dispatch(r: &needsd::workflow::DispatchReport) {
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
    if let Some(at) = &s.next_attempt_at {
        println!(
            "Deferred messages are queued; the next try is due at {at} (run dispatch again, or let `needsd run` send them)."
        );
    }
    if let Some(e) = &s.last_deferral {
        eprintln!("last deferral: {e}");
    }
}

fn print_status(s: &needsd::workflow::CycleStatus) -> Result<()> {
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

fn report_import(file: &Path, what: &str, r: &ImportReport) {
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

fn print_check(r: &files::CheckReport) -> Result<()> {
    use std::fmt::Write as _;
    // Built first and written once, so a closed pipe is an error, not a panic.
    let mut text = String::new();
    use needsd::diff::Change;
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
    let rows: Vec<Vec<String>> = r
        .changes
        .iter()
        .map(|c| match c {
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
        })
        .collect();
    if rows.is_empty() {
        writeln!(text, "No changes.")?;
    } else {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        text.clear();
        print_table(&["ROW", "KIND", "NEED", "FIELD", "CHANGE", ""], &rows)?;
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

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn print_table(headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
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

const DEMO_CONTACTS: &[u8] = include_bytes!("../config/demo/contacts.csv");
const DEMO_MATRIX: &[u8] = include_bytes!("../config/demo/matrix.csv");

/// Sets up a demo folder on the embedded defaults: database, parties, sample contacts and
/// matrix, and circulates the coming cycle to the file outbox (one .eml per recipient).
async fn demo(dir: &Path, listen: Option<std::net::SocketAddr>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::env::set_current_dir(dir).with_context(|| format!("cannot enter {}", dir.display()))?;
    let mut cfg = Config::load(None, &ProcessEnv)?;
    if let Some(l) = listen {
        cfg.web.listen = l;
    }
    // The demo's month runs on a clock of its own, starting from now.
    let clock = Arc::new(needsd::clock::TestClock::new(SystemClock.now()));
    let (app, r) = App::init(Arc::new(cfg), Arc::clone(&clock) as Arc<dyn Clock>).await?;
    let app = Arc::new(app);
    let cfg = &app.cfg;
    println!("needsd demo in {}", std::env::current_dir()?.display());
    println!("  database {}: {} parties", cfg.database.url, r.parties);
    needsd::fsutil::write_atomic(Path::new("sample/contacts.csv"), DEMO_CONTACTS)?;
    needsd::fsutil::write_atomic(Path::new("sample/matrix.csv"), DEMO_MATRIX)?;
    let c = files::import_contacts(&app, Path::new("sample/contacts.csv"), false).await?;
    println!("  contacts: {} added, {} updated", c.added, c.updated);
    if files::need_count(&app).await? == 0 {
        let m = files::import_matrix(&app, Path::new("sample/matrix.csv"), false).await?;
        println!("  matrix: {} needs imported", m.added);
    }
    let cycle = Cycle::of_date(
        clock
            .now()
            .with_timezone(&cfg.schedule.timezone)
            .date_naive(),
    )
    .next();
    let all = files::export_matrix(&app, &ExportRequest::default()).await?;
    needsd::fsutil::write_atomic(Path::new("workbooks/matrix.xlsx"), &all)?;
    println!("  workbook: workbooks/matrix.xlsx (the matrix as it is now)");
    println!("The month of {cycle}, on a simulated clock:");
    let say = |line: &str| println!("  {line}");
    let (r, running) = needsd::demo::month(Arc::clone(&app), &clock, cycle, &say).await?;
    println!(
        "Done: {} submissions ({} awaiting review) from {} recipients; {} did not answer.",
        r.submissions, r.pending, r.recipients, r.silent
    );
    println!(
        "  Every message needsd wrote is an .eml in data/outbox/ (circulations, receipts, reminders, the digest); the replies are in data/inbox/.Processed/."
    );
    println!("  `needsd cycle status {cycle}` in this folder shows where the cycle stands.");
    let web = r.web;
    let (user, password) = needsd::demo::expert_login(&app, SystemClock.now()).await?;
    println!("The review UI is running: http://{web}/");
    println!("  log in as {user}, password {password} (an expert; new each run)");
    println!("  operators: http://{web}/healthz and http://{web}/metrics. Ctrl-C stops it.");
    needsd::workflow::shutdown_signal().await;
    running.stop().await?;
    println!("Stopped.");
    Ok(())
}
