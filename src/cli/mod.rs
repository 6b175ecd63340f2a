//! The commands: arguments (`args`), one function per command group, and what they
//! print. `run` builds the process's one `App` and hands each command to its group.

mod args;
mod commands;
mod demo;
mod print;
mod review;
mod users;

use std::sync::Arc;

use anyhow::Result;

pub(crate) use args::{Cli, Command};
use args::{CycleCmd, DbCmd, ListCmd};
use needsd::app::App;
use needsd::clock::{Clock, SystemClock};
use needsd::config::{Config, ProcessEnv};

/// A mistake in how needsd was called; exits with 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub(crate) String);

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    if let Command::Demo { dir, listen } = &cli.command {
        return demo::demo(dir, *listen).await;
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
    match cli.command {
        Command::Init | Command::Demo { .. } => unreachable!("handled above"),
        Command::Parties {
            cmd: ListCmd::List { json },
        } => commands::parties(&app, json).await,
        Command::Contacts { cmd } => commands::contacts(&app, cmd).await,
        Command::Matrix { cmd } => commands::matrix(&app, cmd).await,
        Command::Programmes { cmd } => commands::programmes(&app, cmd).await,
        Command::Check {
            file,
            as_party,
            cycle,
            json,
        } => commands::check(&app, file, as_party, cycle, json).await,
        Command::Dispatch { cycle, json } => commands::dispatch(&app, cycle, json).await,
        Command::Remind { cycle, json } => commands::remind(&app, cycle, json).await,
        Command::Run => {
            eprintln!("needsd: running; SIGTERM or Ctrl-C stops");
            needsd::daemon::run(Arc::clone(&app), needsd::workflow::shutdown_signal(), None).await
        }
        Command::Deadline { cmd } => commands::deadline(&app, cmd).await,
        Command::Requests { cmd } => commands::requests(&app, cmd).await,
        Command::Preview {
            kind,
            lang,
            contact,
            cycle,
        } => commands::preview(&app, &kind, lang.as_deref(), contact.as_deref(), cycle).await,
        Command::Ingest { once, json } => commands::ingest(&app, once, json).await,
        Command::Reparse { id, all, json } => commands::reparse(&app, id, all, json).await,
        Command::Cycle {
            cmd: CycleCmd::Status { cycle, json },
        } => commands::cycle_status(&app, cycle, json).await,
        Command::Review { cmd } => review::review(&app, cmd).await,
        Command::Users { cmd } => users::users(&app, cmd).await,
        Command::Db {
            cmd: DbCmd::Copy { to, json },
        } => commands::db_copy(&app, &to, json).await,
    }
}
