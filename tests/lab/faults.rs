//! The faults a long-running service must survive, each with real processes: PostgreSQL
//! restarted during a dispatch and during an ingest, the SMTP server killed in the middle
//! of DATA, Dovecot restarted in the middle of a FETCH. They run on a mail lab and a
//! PostgreSQL of their own (other ports and folders), one test at a time, so that killing
//! a server never disturbs the other tests.

use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::common::review::MATRIX;
use crate::common::*;

const DIR: &str = "/tmp/needsd-flab";
const SMTP_F: u16 = 3525;
const IMAP_F: u16 = 2143;
const PG_DIR_F: &str = "/tmp/needsd-pgf";
const PG_PORT_F: u16 = 55433;

fn maillab_script(args: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/maillab.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .env("MAILLAB_SMTP", SMTP_F.to_string())
        .env("MAILLAB_SMTPS", "3465")
        .env("MAILLAB_SMTP_IDLE", "3526")
        .env("MAILLAB_IMAP", IMAP_F.to_string())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "scripts/maillab.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pglab_script(args: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pglab.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .env("PGLAB_PORT", PG_PORT_F.to_string())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "scripts/pglab.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fault labs, started once; the guard keeps the fault tests from running together.
fn fault_labs() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    static STARTED: OnceLock<()> = OnceLock::new();
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    STARTED.get_or_init(|| {
        maillab_script(&["start", DIR]);
        pglab_script(&["start", PG_DIR_F]);
    });
    guard
}

/// A project on `database`, sending through the fault lab's SMTP 20 messages a second (a
/// fault lands in the middle of a dispatch on any machine) and reading
/// `needs-TAG@ctc.test` there every second; its dispatch fires daily at the minute two
/// minutes ago (caught up once at start), nothing else before 2100. Returns the project
/// and the cycle its dispatch opens.
fn project(tag: &str, database: &str) -> (Project, String) {
    project_reading(tag, database, IMAP_F)
}

/// [`project`], reading its mailbox on `imap_port`.
fn project_reading(tag: &str, database: &str, imap_port: u16) -> (Project, String) {
    let (schedule, cycle) = dispatch_caught_up_at_start();
    let secretariat = format!("needs-{tag}");
    let config = format!(
        "[database]\nurl = \"{database}\"\n{schedule}\n\
         [mail]\nfrom = \"Matrix of Needs <{secretariat}@ctc.test>\"\n\
         reply_to = \"{secretariat}@ctc.test\"\nexperts = [\"experts@ctc.test\"]\n\
         token_secret_env = \"NEEDSD_TOKEN_SECRET\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {SMTP_F}\ntls = \"none\"\nrate_per_minute = 1200\n\
         max_connections = 3\ntimeout_seconds = 90\nretry_seconds = 1\n\
         [imap]\nhost = \"127.0.0.1\"\nport = {imap_port}\ntls = \"starttls\"\n\
         ca_file = \"{DIR}/tls/ca.pem\"\nusername = \"{secretariat}@ctc.test\"\n\
         password_env = \"NEEDSD_IMAP_PASSWORD\"\nmailbox = \"INBOX\"\n\
         processed_mailbox = \"Processed\"\n\
         [web]\nlisten = \"127.0.0.1:0\"\n"
    );
    (Project::new(&config), cycle)
}

/// `n` receiving contacts, all plus-addresses of one fault-lab mailbox, which is returned.
fn many_recipients(p: &Project, tag: &str, n: usize) -> String {
    let mailbox = format!("r-{tag}");
    p.load(&plus_recipients(&mailbox, n), MATRIX);
    format!("{mailbox}@resp.test")
}

/// Waits until every circulation of `cycle` is recorded sent and has arrived; fails when a
/// recipient got nothing or two different messages; returns the repeats (one message
/// twice, with its Message-ID: what SMTP allows for a message in flight at a fault).
fn every_recipient_once(p: &Project, cycle: &str, user: &str, n: usize, secs: u64) -> usize {
    eventually("every circulation recorded sent", secs, || {
        p.json(&["cycle", "status", cycle, "--json"])["sent"] == n as i64
    });
    let marker = format!("marker-{}", unique("m"));
    send_raw_on(
        SMTP_F,
        "marker@ctc.test",
        user,
        format!("Subject: {marker}\r\nMessage-ID: <{marker}@ctc.test>\r\n\r\nmarker\r\n")
            .as_bytes(),
    );
    let mut all = Vec::new();
    eventually("everything sent has arrived", 60, || {
        all = mailbox_on(IMAP_F, user);
        all.iter()
            .any(|m| parse(m).subject() == Some(marker.as_str()))
    });
    repeats_per_recipient(&all, n)
}

#[test]
fn postgresql_restarted_during_a_dispatch_loses_and_doubles_nothing() {
    const N: usize = 150;
    let _one = fault_labs();
    let tag = unique("pgd");
    let (p, cycle) = project(&tag, &pg_database(PG_PORT_F));
    let user = many_recipients(&p, &tag, N);
    let d = Running::start(&p, "daemon");
    eventually("a part of the circulation delivered", 60, || {
        count_on(IMAP_F, &user, "INBOX") >= 30
    });
    pglab_script(&["restart", PG_DIR_F]);
    let delivered = count_on(IMAP_F, &user, "INBOX") as usize;
    assert!(delivered < N, "the dispatch finished before the restart");
    let repeats = every_recipient_once(&p, &cycle, &user, N, 120);
    eprintln!("PostgreSQL restarted during a dispatch: {repeats} repeats");
    assert!(repeats <= 3, "{repeats} repeats after one restart");
    eventually("the daemon leads again", 30, || d.leads());
    d.stop();
}

#[test]
fn postgresql_restarted_during_an_ingest_loses_and_doubles_nothing() {
    const N: usize = 120;
    let _one = fault_labs();
    let tag = unique("pgi");
    let (p, _) = project(&tag, &pg_database(PG_PORT_F));
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Wanjiru,ken-{tag}@resp.test,yes\n"),
        MATRIX,
    );
    let d = Running::start(&p, "daemon");
    let inbox = format!("needs-{tag}@ctc.test");
    // 25 replies a second while needsd reads them: the last arrive seconds after the
    // restart on any machine.
    let sending = {
        let tag = tag.clone();
        send_paced(SMTP_F, &inbox, N, 25, move |i| {
            (format!("someone{i}@resp.test"), message(i, &tag))
        })
    };
    eventually("a part of the inbox stored", 60, || inbox_rows(&p) >= 20);
    assert!(
        (inbox_rows(&p) as usize) < N,
        "the ingest finished before the restart"
    );
    pglab_script(&["restart", PG_DIR_F]);
    sending.join().expect("every reply sent");
    eventually("every reply stored", 120, || inbox_rows(&p) as usize >= N);
    eventually("the inbox emptied into Processed", 60, || {
        count_on(IMAP_F, &inbox, "INBOX") == 0
    });
    assert_eq!(inbox_rows(&p) as usize, N, "each reply stored once");
    d.stop();
}

#[test]
fn the_smtp_server_killed_in_the_middle_of_data_stalls_nothing() {
    const N: usize = 150;
    let _one = fault_labs();
    let tag = unique("smtpk");
    let (p, cycle) = project(&tag, "sqlite://data/needsd.db");
    let user = many_recipients(&p, &tag, N);
    let d = Running::start(&p, "daemon");
    eventually("a part of the circulation delivered", 60, || {
        count_on(IMAP_F, &user, "INBOX") >= 30
    });
    // Every session cut, those in the middle of DATA included; Postfix comes back.
    maillab_script(&["kill-smtp", DIR]);
    assert!(
        (count_on(IMAP_F, &user, "INBOX") as usize) < N,
        "the dispatch finished before the kill"
    );
    // Well within the 90 s SMTP timeout: a dead connection reused would stall that long.
    let repeats = every_recipient_once(&p, &cycle, &user, N, 45);
    eprintln!("SMTP killed during a dispatch: {repeats} repeats");
    assert!(repeats <= 3, "{repeats} repeats after one kill");
    d.stop();
}

/// A TCP relay on a free loopback port to the fault lab's IMAP port that passes the
/// server's bytes at `bytes_per_second` at most: a real Dovecot, slowed down, so that a
/// fetch takes seconds on any machine. When either side closes, the relay closes both, as
/// a restarted server does.
fn slow_imap_relay(bytes_per_second: usize) -> u16 {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the relay");
    let port = listener.local_addr().expect("bound").port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", IMAP_F)) else {
                continue;
            };
            let (Ok(mut client_in), Ok(mut server_out)) = (client.try_clone(), server.try_clone())
            else {
                continue;
            };
            let (mut client_out, mut server_in) = (client, server);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_in, &mut server_out);
                let _ = client_in.shutdown(Shutdown::Both);
                let _ = server_out.shutdown(Shutdown::Both);
            });
            std::thread::spawn(move || {
                const CHUNK: usize = 16 * 1024;
                let pause =
                    std::time::Duration::from_secs_f64(CHUNK as f64 / bytes_per_second as f64);
                let mut buf = vec![0; CHUNK];
                while let Ok(n @ 1..) = server_in.read(&mut buf) {
                    if client_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    std::thread::sleep(pause.mul_f64(n as f64 / CHUNK as f64));
                }
                let _ = server_in.shutdown(Shutdown::Both);
                let _ = client_out.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn dovecot_restarted_in_the_middle_of_a_fetch_loses_and_doubles_nothing() {
    // 50 messages of 1 MB read through a relay at 3 MB/s: two FETCHes of about eight
    // seconds each, the restart comes once the first message is stored, so that it lands
    // in the middle of a FETCH however fast the machine is.
    const N: usize = 50;
    let _one = fault_labs();
    let tag = unique("imapr");
    let (p, _) = project_reading(&tag, "sqlite://data/needsd.db", slow_imap_relay(3 << 20));
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Wanjiru,ken-{tag}@resp.test,yes\n"),
        MATRIX,
    );
    let inbox = format!("needs-{tag}@ctc.test");
    let padding = "x".repeat(990) + "\r\n";
    let body = padding.repeat(1_000);
    // The replies wait in the inbox before needsd starts: its first passes fetch them.
    for i in 0..N {
        let mut raw = message(i, &tag);
        raw.extend_from_slice(body.as_bytes());
        send_raw_on(SMTP_F, &format!("someone{i}@resp.test"), &inbox, &raw);
    }
    eventually("the replies delivered", 120, || {
        count_on(IMAP_F, &inbox, "INBOX") as usize >= N
    });
    let d = Running::start(&p, "daemon");
    eventually("a part of the inbox stored", 60, || inbox_rows(&p) >= 1);
    assert!(
        (inbox_rows(&p) as usize) < N,
        "the ingest finished before the restart"
    );
    maillab_script(&["restart-imap", DIR]);
    eventually("every reply stored", 120, || inbox_rows(&p) as usize >= N);
    eventually("the inbox emptied into Processed", 60, || {
        count_on(IMAP_F, &inbox, "INBOX") == 0
    });
    assert_eq!(inbox_rows(&p) as usize, N, "each reply stored once");
    d.stop();
}
