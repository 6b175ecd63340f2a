//! The command line's arguments, parsed by clap into typed values.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use needsd::model::{Cycle, EmailAddress, PartyCode};

#[derive(Parser)]
#[command(
    name = "needsd",
    version,
    about = "Runs the monthly Matrix of Needs cycle by email"
)]
pub(crate) struct Cli {
    /// Configuration file (default: the embedded defaults; also NEEDSD_CONFIG).
    #[arg(long, global = true, env = "NEEDSD_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    pub(crate) log_json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// The Directory of Sources of Assistance: assistance programmes.
    Programmes {
        #[command(subcommand)]
        cmd: ProgrammesCmd,
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
    /// Print a message as needsd would write it (subject and text part), sending nothing.
    Preview {
        /// circulation, reminder, deadline, receipt, decision, digest, review_alert or
        /// unsubscribed.
        kind: String,
        /// The language (en, fr, es, ru, zh, ar; default: the contact's, else English).
        #[arg(long = "lang")]
        lang: Option<String>,
        /// Write it to this contact of the directory (default: a sample contact).
        #[arg(long)]
        contact: Option<String>,
        /// The cycle (YYYY-MM; default: the latest circulated, else the coming one).
        #[arg(long)]
        cycle: Option<Cycle>,
    },
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
    /// Requests to receive the Matrix, read from mail, and the contacts that stopped.
    Requests {
        #[command(subcommand)]
        cmd: RequestsCmd,
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
    /// The database itself.
    Db {
        #[command(subcommand)]
        cmd: DbCmd,
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
pub(crate) enum DbCmd {
    /// Copy the configured SQLite database into a new, empty PostgreSQL database: its
    /// schema, then every table in one transaction, checked by row counts and checksums.
    /// The password comes from PGPASSWORD, never from the command line.
    Copy {
        /// postgres://USER@HOST:PORT/DATABASE
        #[arg(long)]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum ReviewCmd {
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
pub(crate) enum UsersCmd {
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
pub(crate) enum RequestsCmd {
    /// The requests awaiting a decision (--all: every one), and who stopped receiving.
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve a request for a party: its contact at the sender's address receives the
    /// Matrix, and the copy of a cycle still collecting replies is sent at once.
    Approve {
        id: i64,
        /// The State or organization (code or name).
        #[arg(long)]
        party: String,
        /// Who decides (default: the login name).
        #[arg(long)]
        reviewer: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Dismiss a request: nobody is added, nothing is sent.
    Dismiss {
        id: i64,
        #[arg(long)]
        reviewer: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum DeadlineCmd {
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
pub(crate) enum CycleCmd {
    /// Recipients, sent, failed, answered and awaiting review.
    Status {
        /// The cycle (YYYY-MM; default: the current month).
        cycle: Option<Cycle>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum ListCmd {
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum ContactsCmd {
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
pub(crate) enum ProgrammesCmd {
    /// Load programmes from xlsx, ods or csv (a Programmes sheet); blank Programme IDs
    /// are assigned.
    Import {
        file: PathBuf,
        /// Import the good rows of a file that has bad ones.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Write every programme to a workbook (with none yet: the empty template).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum MatrixCmd {
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
        /// The language of the headers, lists and About sheet (en, fr, es, ru, zh, ar;
        /// default: the recipient's, else English).
        #[arg(long = "lang")]
        lang: Option<String>,
    },
}
