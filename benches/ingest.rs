//! Benchmark (not a test): 1,000 replies, each with a 1,000-row workbook, from the mail
//! lab's IMAP into submissions with `needsd ingest --once`, each answered by a receipt sent
//! over SMTP into the same lab, beside the floor for the same work: a plain IMAP fetch of
//! the same messages, their attachment taken out of the MIME and a bare calamine read of
//! it, then Postfix's `smtp-source` sending as many messages of the receipts' size over as
//! many connections. Needs the mail lab (`scripts/maillab.sh start /tmp/needsd-lab`; this
//! starts it). Run with `cargo bench --bench ingest`; with `NEEDSD_BENCH_DATABASE` set to
//! the URL of an empty PostgreSQL database, needsd keeps everything there instead of in
//! SQLite (`scripts/bench-pg.sh` runs both, one after the other).

use std::io::Cursor;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use calamine::Reader;

const REPLIES: usize = 1_000;
const NEEDS: usize = 1_000;
const LAB: &str = "/tmp/needsd-lab";
/// SMTP connections, for needsd's sender and for the floor's smtp-source alike.
const CONNECTIONS: usize = 3;

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = std::fs::File::create(std::env::temp_dir().join("needsd-bench-lab.log"))?;
    let ok = Command::new("bash")
        .arg(root.join("scripts/maillab.sh"))
        .args(["start", LAB])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()?;
    if !ok.success() {
        bail!("the mail lab did not start; see the log in the temp folder");
    }
    let dir = tempfile::tempdir()?;
    let tag = format!("bench{}", std::process::id());
    let user = format!("needs-{tag}@ctc.test");
    // The circulation is written to files (the replies are made from them); the receipts
    // go over SMTP into the lab, as they would in production.
    let database = std::env::var("NEEDSD_BENCH_DATABASE")
        .unwrap_or_else(|_| "sqlite://data/needsd.db".to_string());
    let config = |outbound: &str| {
        format!(
            "[database]\nurl = \"{database}\"\n[mail]\nfrom = \"{user}\"\nreply_to = \"{user}\"\n\
             token_secret_env = \"NEEDSD_TOKEN_SECRET\"\n{outbound}\n\
             [imap]\nhost = \"127.0.0.1\"\nport = 1143\ntls = \"none\"\nusername = \"{user}\"\n\
             password_env = \"NEEDSD_IMAP_PASSWORD\"\n\
             [limits]\nreceipts_per_domain = 100000\n"
        )
    };
    std::fs::write(
        dir.path().join("circulate.toml"),
        config("[outbox]\ndir = \"data/outbox\""),
    )?;
    std::fs::write(
        dir.path().join("needsd.toml"),
        config(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = 2525\ntls = \"none\"\n\
             rate_per_minute = 100000\nmax_connections = {CONNECTIONS}"
        )),
    )?;
    let needsd = |args: &[&str]| -> Result<std::process::Output> {
        let config = if args.first() == Some(&"dispatch") {
            "circulate.toml"
        } else {
            "needsd.toml"
        };
        let out = Command::new(env!("CARGO_BIN_EXE_needsd"))
            .args(["--config", config])
            .args(args)
            .current_dir(dir.path())
            .env("NEEDSD_TOKEN_SECRET", "benchmark-secret-benchmark-secret")
            .env("NEEDSD_IMAP_PASSWORD", "lab")
            .output()?;
        if !out.status.success() {
            bail!("needsd {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(out)
    };
    needsd(&["init"])?;
    let parties: serde_json::Value =
        serde_json::from_slice(&needsd(&["parties", "list", "--json"])?.stdout)?;
    let states: Vec<String> = parties
        .as_array()
        .context("parties")?
        .iter()
        .filter(|p| p["kind"] == "state")
        .filter_map(|p| p["code"].as_str().map(str::to_string))
        .collect();
    let mut matrix = String::from("Need ID,State,Area,Need,Priority,Status\n");
    let areas = ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"];
    for i in 0..NEEDS {
        matrix.push_str(&format!(
            ",{},{},Need {i}: technical assistance on resolution 1373 (2001),High,Open\n",
            states[i % states.len()],
            areas[i % 8]
        ));
    }
    let mut contacts = String::from("party,name,email,receives_matrix\n");
    for i in 0..REPLIES {
        contacts.push_str(&format!(
            "{},R {i},r-{tag}+{i}@resp.test,yes\n",
            states[i % states.len()]
        ));
    }
    std::fs::write(dir.path().join("matrix.csv"), matrix)?;
    std::fs::write(dir.path().join("contacts.csv"), contacts)?;
    needsd(&["matrix", "import", "matrix.csv"])?;
    needsd(&["contacts", "import", "contacts.csv"])?;
    // The circulation, to the file outbox: each reply sends back its recipient's workbook.
    let cycle = {
        use chrono::Datelike;
        #[expect(clippy::disallowed_methods, reason = "a benchmark picks next month")]
        let d = chrono::Utc::now().date_naive() + chrono::Days::new(31);
        format!("{:04}-{:02}", d.year(), d.month())
    };
    needsd(&["dispatch", "--cycle", &cycle])?;
    let mut imap = session(&user)?;
    for entry in std::fs::read_dir(dir.path().join("data/outbox"))? {
        let sent = std::fs::read(entry?.path())?;
        let m = mail_parser::MessageParser::default()
            .parse(&sent)
            .context("a circulation")?;
        let reply_to = m
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .context("Reply-To")?;
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .context("To")?;
        let workbook = m.attachments().next().context("workbook")?.contents();
        let reply = format!(
            "From: {to}\r\nTo: {reply_to}\r\nSubject: Re: Matrix\r\nMessage-ID: <{}@resp.test>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\nOur reply.\r\n--b\r\nContent-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename=\"Matrix.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            m.message_id().unwrap_or("x"),
            base64(workbook)
        );
        imap.append("INBOX", reply.as_bytes()).finish()?;
    }
    let _ = imap.logout();

    // The floor: fetch everything, take the attachment out, read its sheet with calamine.
    let started = Instant::now();
    let mut imap = session(&user)?;
    let exists = imap.select("INBOX")?.exists as usize;
    let mut rows = 0usize;
    for first in (1..=exists).step_by(100) {
        let last = (first + 99).min(exists);
        let fetched = imap.fetch(format!("{first}:{last}"), "BODY.PEEK[]")?;
        for f in fetched.iter() {
            let body = f.body().context("body")?;
            let m = mail_parser::MessageParser::default()
                .parse(body)
                .context("parse")?;
            let bytes = m
                .attachments()
                .next()
                .context("attachment")?
                .contents()
                .to_vec();
            let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))?;
            let sheet = wb.worksheet_range("Matrix")?;
            rows += sheet.rows().count();
        }
    }
    let _ = imap.logout();
    let floor_read = started.elapsed().as_secs_f64();

    let started = Instant::now();
    // NEEDSD_BENCH_PERF=FILE records a profile of the ingest with perf instead.
    let (program, mut args): (&str, Vec<String>) = match std::env::var("NEEDSD_BENCH_PERF") {
        Ok(file) => (
            "perf",
            vec![
                "record".into(),
                "--call-graph".into(),
                "dwarf,16384".into(),
                "-F".into(),
                "300".into(),
                "-o".into(),
                file,
                "--".into(),
            ],
        ),
        Err(_) => ("/usr/bin/time", vec!["-f".into(), "%M %U %S".into()]),
    };
    args.extend(
        [
            env!("CARGO_BIN_EXE_needsd"),
            "--config",
            "needsd.toml",
            "ingest",
            "--once",
            "--json",
        ]
        .map(String::from),
    );
    let out = Command::new(program)
        .args(&args)
        .current_dir(dir.path())
        .env("NEEDSD_TOKEN_SECRET", "benchmark-secret-benchmark-secret")
        .env("NEEDSD_IMAP_PASSWORD", "lab")
        .output()
        .context("/usr/bin/time (apt-get install time)")?;
    let took = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("ingest: {}", String::from_utf8_lossy(&out.stderr));
    }
    // NEEDSD_BENCH_STDERR=FILE keeps what the ingest logged (with NEEDSD_LOG=debug, say).
    if let Ok(file) = std::env::var("NEEDSD_BENCH_STDERR") {
        std::fs::write(file, &out.stderr)?;
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    for line in String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("INFO"))
    {
        println!("  | {line}");
    }
    // The rest of the floor: as many messages as needsd sent, of their average size,
    // over as many connections, by Postfix's own load generator.
    let sent = report["send"]["sent"].as_u64().unwrap_or(0);
    if sent != exists as u64 {
        bail!("needsd sent {sent} receipts for {exists} replies: {report}");
    }
    let average = "SELECT CAST(AVG(LENGTH(b.raw)) AS BIGINT) FROM outbox_bodies b \
                   JOIN outbox o ON o.id = b.outbox_id WHERE o.kind = 'receipt'";
    let size = if database.starts_with("postgres") {
        Command::new("psql")
            .args(["-At", "-d", &database, "-c", average])
            .output()
            .context("psql (scripts/pglab.sh installs PostgreSQL)")?
    } else {
        Command::new("python3")
            .args([
                "-c",
                &format!(
                    "import sqlite3; print(sqlite3.connect('data/needsd.db').execute(\"{average}\").fetchone()[0])"
                ),
            ])
            .current_dir(dir.path())
            .output()
            .context("python3")?
    };
    let size = String::from_utf8_lossy(&size.stdout).trim().to_string();
    let started = Instant::now();
    let ok = Command::new("smtp-source")
        .args([
            "-c",
            "-s",
            &CONNECTIONS.to_string(),
            "-m",
            &exists.to_string(),
        ])
        .args(["-l", &size, "-f", "bench@ctc.test"])
        .args(["-t", &format!("floor-{tag}@resp.test"), "127.0.0.1:2525"])
        .stdout(Stdio::null())
        .status()
        .context("smtp-source (Debian's postfix package)")?;
    if !ok.success() {
        bail!("smtp-source failed");
    }
    let floor_send = started.elapsed().as_secs_f64();
    let floor = floor_read + floor_send;
    // /usr/bin/time's last line: peak RSS (KB), user and system CPU seconds.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last: Vec<&str> = stderr
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let rss_kb: u64 = last.first().and_then(|v| v.parse().ok()).unwrap_or(0);
    let cpu = format!(
        "{} s user, {} s system",
        last.get(1).unwrap_or(&"?"),
        last.get(2).unwrap_or(&"?")
    );
    println!(
        "{exists} replies with a {NEEDS}-row workbook each ({rows} rows read by the floor), \
         a receipt for each over SMTP"
    );
    println!(
        "  needsd ingest --once: {took:.2} s ({cpu}; {} stored, {} submissions, {} receipts sent), peak RSS {} MB",
        report["stored"],
        report["submissions"],
        report["send"]["sent"],
        rss_kb / 1024
    );
    println!(
        "  floor: {floor:.2} s (IMAP fetch + MIME + calamine {floor_read:.2} s; \
         smtp-source, {exists} × {size} bytes over {CONNECTIONS} connections {floor_send:.2} s)"
    );
    println!("  ratio: {:.2} (target: at most 2)", took / floor);
    // NEEDSD_BENCH_KEEP=1 leaves the project (database, config) for a look afterwards.
    if std::env::var_os("NEEDSD_BENCH_KEEP").is_some() {
        println!("  kept: {}", dir.keep().display());
    }
    Ok(())
}

fn session(user: &str) -> Result<imap::Session<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", 1143))?;
    let mut client = imap::Client::new(tcp);
    client.read_greeting()?;
    client
        .login(user, "lab")
        .map_err(|(e, _)| anyhow::anyhow!("login: {e}"))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 * 2 + 4);
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            s.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            s.push(if k <= chunk.len() {
                A[((n >> (18 - 6 * k)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    s
}
