//! The needsd command line: parses arguments, runs the command (`cli`), and maps failures
//! to exit codes (0 ok, 1 failure, 2 bad usage or bad config).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, Usage};
use needsd::config::ConfigError;
use needsd::workflow::files::RowsRefused;

fn main() -> ExitCode {
    // A reader of untrusted files (see `needsd::reader`): before anything else starts, so
    // that its address-space limit covers the whole process. Not a command for people.
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some(needsd::reader::WORKER_COMMAND) {
        let memory = args
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(needsd::settings::Limits::default().reader_memory_bytes);
        return match needsd::reader::worker_main(memory) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        };
    }
    // Every untrusted file this process reads is read by a worker of its own.
    needsd::reader::use_workers();
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
    let result = runtime.block_on(cli::run(cli));
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
