//! needsd as an attacker meets it: hostile workbooks made by `scripts/make-hostile.py`
//! (declared counts that make calamine reserve terabytes, one string copied into twenty
//! thousand cells, xls dimensions of four billion rows) through `check`, through `ingest`
//! with a genuine reply queued behind them, and through a running daemon, which must go
//! on answering. Each gets one sentence; none takes needsd down.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use needsd::clock::{Clock, SystemClock};

/// The hostile files, and what each must be refused for.
const HOSTILE: [(&str, &str); 5] = [
    (
        "xlsx-shared-strings-count.xlsx",
        "declares 10000000000000 shared strings",
    ),
    (
        "xlsx-shared-string-fanout.xlsx",
        "bytes of text, over the limit",
    ),
    (
        "xls-huge-dimensions.xls",
        "the spreadsheet reader gave up on this file",
    ),
    (
        "xls-huge-dimensions-2.xls",
        "the spreadsheet reader gave up on this file",
    ),
    ("ods-repeat-bomb.ods", "cells"),
];

/// Writes the hostile files (and the valid controls) into `dir`.
fn make_hostile(dir: &Path, fuzz: Option<(usize, u64)>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-hostile.py");
    let mut c = Command::new("python3");
    c.arg(&script).arg(dir);
    if let Some((n, seed)) = fuzz {
        c.args(["--fuzz", &n.to_string(), &seed.to_string()]);
    }
    let out = c.output().expect("python3");
    assert!(
        out.status.success(),
        "make-hostile.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A project whose mail goes to files and comes from a Maildir, on the quiet schedule,
/// with `extra` sections.
fn files_project(extra: &str) -> Project {
    Project::new(&format!(
        "{}{QUIET_SCHEDULE}{extra}",
        config_with(
            "needs",
            "[outbox]\ndir = \"data/outbox\"",
            "[maildir]\ndir = \"data/inbox\""
        )
    ))
}

fn maildir_project() -> Project {
    files_project("[web]\nlisten = \"127.0.0.1:0\"\n")
}

/// A reply from Grace with `file` attached, to her own reply address (her token), as a
/// mail program writes one.
fn reply_with(p: &Project, n: usize, file: &Path) -> PathBuf {
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let circulation = std::fs::read_dir(p.path("data/outbox"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .find(|raw| String::from_utf8_lossy(raw).contains("circulation"))
        .expect("Grace's circulation in the outbox");
    let m = parse(&circulation);
    let to = m.reply_to().unwrap().first().unwrap().address().unwrap();
    let id = format!("<{}>", m.message_id().unwrap());
    let raw = reply_with_attachment(
        "grace@resp.test",
        to,
        &id,
        &name,
        &std::fs::read(file).unwrap(),
    );
    let new = p.path("data/inbox/new");
    std::fs::create_dir_all(&new).unwrap();
    let path = new.join(format!("17000000{n:02}.M1P1.lab"));
    std::fs::write(&path, raw).unwrap();
    path
}

/// A project with Grace, Kenya's contact, and a circulation for her replies to answer.
fn grace_project() -> Project {
    let p = maildir_project();
    p.load(
        "party,name,email,receives_matrix\nKEN,Grace,grace@resp.test,yes\n",
        MATRIX,
    );
    p.ok(&["dispatch", "--cycle", &next_cycle()]);
    p
}

/// Grace's replies with each hostile file of `dir`, then a genuine one behind them: a
/// CSV with one change.
fn queue_hostile_then_genuine(p: &Project, dir: &Path) {
    for (n, (file, _)) in HOSTILE.iter().enumerate() {
        reply_with(p, n, &dir.join(file));
    }
    let csv = p.write(
        "matrix.csv",
        "Need ID,State,Area,Need,Priority,Status\nMN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Met\n",
    );
    reply_with(p, 99, &csv);
}

const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
MN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Open,,,2026-10-14\n";

#[test]
fn every_hostile_workbook_gets_one_sentence_from_check() {
    let dir = tempfile::tempdir().unwrap();
    make_hostile(dir.path(), None);
    let p = maildir_project();
    for (file, why) in HOSTILE {
        let path = dir.path().join(file).display().to_string();
        let out = p.run(&["check", &path, "--as", "KEN", "--cycle", "2027-01"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(why), "{file}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{file}: one sentence: {err}");
        assert!(
            err.contains(file),
            "{file}: the sentence names the file: {err}"
        );
    }
    // The controls are read as ever: the reader that survived the files above still works.
    for control in ["xlsx-valid.xlsx", "xls-valid.xls", "ods-valid.ods"] {
        let path = dir.path().join(control).display().to_string();
        let out = p.run(&[
            "check", &path, "--as", "KEN", "--cycle", "2027-01", "--json",
        ]);
        assert!(
            out.status.success(),
            "{control}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hostile_attachments_are_refused_and_the_reply_behind_them_is_read() {
    let dir = tempfile::tempdir().unwrap();
    make_hostile(dir.path(), None);
    let p = grace_project();
    queue_hostile_then_genuine(&p, dir.path());
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["stored"], HOSTILE.len() + 1, "{out}");
    let listed = p.json(&["review", "list", "--json"]);
    let subs = listed["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), HOSTILE.len() + 1, "{listed}");
    for (file, why) in HOSTILE {
        let s = subs
            .iter()
            .find(|s| s["attachment"] == file)
            .unwrap_or_else(|| panic!("{file}: {listed}"));
        assert_eq!(s["state"], "unparseable", "{file}: {s}");
        assert!(s["errors"].to_string().contains(why), "{file}: {s}");
    }
    let genuine = subs
        .iter()
        .find(|s| s["attachment"] == "matrix.csv")
        .unwrap();
    assert_eq!(genuine["changes"][0]["proposed"], "Met", "{genuine}");
}

#[test]
fn a_running_daemon_reads_past_hostile_attachments_and_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    make_hostile(dir.path(), None);
    let p = grace_project();
    let (mut daemon, addr) = start_daemon(&p);
    queue_hostile_then_genuine(&p, dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let listed = p.json(&["review", "list", "--json"]);
        if listed["submissions"].as_array().unwrap().len() == HOSTILE.len() + 1 {
            break;
        }
        assert!(
            daemon.0.try_wait().unwrap().is_none(),
            "the daemon stopped while reading hostile mail"
        );
        assert!(Instant::now() < deadline, "after 120 s: {listed}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let answer = http_get(&addr, "/healthz").expect("the daemon answers /healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for task in ["inbox watcher", "scheduler", "sender", "web server"] {
        assert!(
            answer.contains(&format!("\n{task}: running\n")),
            "{task} in {answer}"
        );
    }
    assert!(
        daemon.0.try_wait().unwrap().is_none(),
        "the daemon is still running"
    );
}

/// `needsd run` as operators start it, and the address its web server listens on.
fn start_daemon(p: &Project) -> (Stopped, String) {
    let mut daemon = Stopped(
        p.command(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = daemon.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the daemon said where it listens");
        if let Some(at) = line.find("listen=") {
            break line[at + 7..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
        }
    };
    (daemon, addr)
}

/// A child process killed when the test ends, passed or failed: a failed assertion
/// must not leave a daemon running.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_message_whose_reading_never_finished_twice_is_not_read_a_third_time() {
    let p = grace_project();
    let csv = p.write(
        "matrix.csv",
        "Need ID,State,Area,Need,Priority,Status\nMN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Met\n",
    );
    reply_with(&p, 1, &csv);
    let first = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(first["submissions"], 1, "{first}");
    // As a process that died twice while reading it leaves it: stored, two readings begun.
    let now = at("2026-12-02T10:00:00Z");
    with_store(&p, async |s| {
        s.unread(1, now).await?;
        s.begin_reading(1).await?;
        s.begin_reading(1).await
    });
    let third = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(third["failed"], 1, "given up, not read again: {third}");
    assert_eq!(third["submissions"], 0, "{third}");
    // An operator asks for it explicitly: it is read.
    let again = p.json(&["reparse", "1", "--json"]);
    assert_eq!(again["submissions"], 1, "{again}");
}

/// One message into the project's Maildir.
fn deliver(p: &Project, n: usize, raw: &str) {
    let new = p.path("data/inbox/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(new.join(format!("18000000{n:02}.M1P1.lab")), raw).unwrap();
}

/// Each recipient of a circulation in the file outbox answers "No changes" from their
/// address to their own reply address, into the Maildir (files numbered from `first`).
fn answer_every_circulation(p: &Project, first: usize) {
    for (i, raw) in outbox(p).iter().enumerate() {
        let m = parse(raw.as_bytes());
        let address = |a: Option<&mail_parser::Address<'_>>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap()
                .to_string()
        };
        let (from, to) = (address(m.to()), address(m.reply_to()));
        deliver(
            p,
            first + i,
            &format!(
                "From: {from}\r\nTo: {to}\r\nSubject: Re\r\nMessage-ID: <answer-{first}-{i}@resp.test>\r\n\r\nNo changes.\r\n"
            ),
        );
    }
}

/// Every message in the project's file outbox, as text.
fn outbox(p: &Project) -> Vec<String> {
    std::fs::read_dir(p.path("data/outbox"))
        .unwrap()
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned())
        .collect()
}

#[test]
fn nobody_passes_for_a_party_without_evidence_and_strangers_get_no_mail() {
    let p = Project::new(&format!(
        "{}{QUIET_SCHEDULE}",
        config_with(
            "needs",
            "[outbox]\ndir = \"data/outbox\"",
            "[maildir]\ndir = \"data/inbox\""
        )
        .replace(
            "token_secret_env",
            "authserv_id = \"mx.ctc.test\"\ntoken_secret_env"
        )
    ));
    p.load(
        "party,name,email,receives_matrix\nKEN,Grace,grace@resp.test,yes\nKEN,Old,old@resp.test,yes\n",
        MATRIX,
    );
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);
    let circulations = outbox(&p);
    let of = |who: &str| {
        let raw = circulations
            .iter()
            .find(|m| m.contains(&format!("To: {who}")) || m.contains(&format!("<{who}>")))
            .unwrap_or_else(|| panic!("{who}'s circulation"));
        let m = parse(raw.as_bytes());
        let reply_to = m
            .reply_to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        (reply_to, format!("<{}>", m.message_id().unwrap()))
    };
    let (grace_to, grace_id) = of("grace@resp.test");
    let (old_to, _) = of("old@resp.test");
    let grace_token = grace_to.split(['+', '@']).nth(1).unwrap().to_string();
    // Old has left; the operator deactivated the address.
    with_store(&p, async |s| {
        let old = s
            .contacts()
            .await?
            .into_iter()
            .find(|c| c.name == "Old")
            .unwrap();
        s.set_contact_active(old.id, false, at("2026-12-02T10:00:00Z"))
            .await
            .map_err(|e| needsd::store::StoreError::Corrupt(e.to_string()))
    });
    let mail = |from: &str, to: &str, extra: &str, n: usize| {
        format!(
            "{extra}From: {from}\r\nTo: {to}\r\nSubject: Re: Matrix\r\nIn-Reply-To: {grace_id}\r\n\
             Message-ID: <adv-{n}@resp.test>\r\nContent-Type: text/plain\r\n\r\nNo changes.\r\n"
        )
    };
    let cases = [
        // A forged From, to the plain address, with no authentication result at all.
        mail("grace@resp.test", "needs@ctc.test", "", 1),
        // A forged From under the server's own verdict (none), with a "pass" the sender
        // wrote further down (and Grace's address in other letters).
        mail(
            "GRACE@resp.test",
            "needs@ctc.test",
            "Authentication-Results: mx.ctc.test; spf=softfail; dmarc=none\r\n\
             Authentication-Results: mx.ctc.test; dmarc=pass header.from=resp.test\r\n",
            2,
        ),
        // A stranger answering Grace's circulation by its Message-ID.
        mail("mallory@elsewhere.test", "needs@ctc.test", "", 3),
        // A stranger with Grace's stolen token.
        mail("mallory@elsewhere.test", &grace_to, "", 4),
        // Old, deactivated, with his own token.
        mail("old@resp.test", &old_to, "", 5),
    ];
    for (n, raw) in cases.iter().enumerate() {
        deliver(&p, n, raw);
    }
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["replies"], cases.len(), "{out}");
    assert_eq!(out["quarantined"], cases.len(), "every one waits: {out}");
    assert_eq!(out["receipts"], 0, "nobody is answered: {out}");
    let listed = p.json(&["review", "list", "--json", "--state", "quarantined"]);
    assert_eq!(listed["submissions"].as_array().unwrap().len(), cases.len());
    // Nothing went to a stranger, and Grace's token is in her circulation only.
    let sent = outbox(&p);
    assert!(
        !sent.iter().any(|m| m.contains("mallory")),
        "mail to a stranger"
    );
    assert_eq!(
        sent.iter().filter(|m| m.contains(&grace_token)).count(),
        1,
        "Grace's token left needsd in another message"
    );
    // Replies waiting in quarantine, or refused there, do not make Kenya "answered".
    let first = listed["submissions"][0]["id"].as_i64().unwrap();
    with_store(&p, async |s| {
        s.refuse_sender(first, "not Grace", "ann", at("2026-12-02T10:00:00Z"))
            .await
            .map_err(|e| needsd::store::StoreError::Corrupt(e.to_string()))
    });
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["answered"], 0, "{status}");

    // An expert accepts two of the quarantined replies. The one under Grace's address
    // gets its receipt now, at her directory address (not the From as written); the
    // stranger's still gets none.
    let id_of = |message_id: &str| {
        listed["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .find(|id| {
                let s = with_store(&p, async |st| st.submission(*id).await).unwrap();
                s.message_id.as_deref() == Some(message_id)
            })
            .unwrap()
    };
    let (forged, stranger) = (id_of("adv-2@resp.test"), id_of("adv-3@resp.test"));
    let receipts_to = |who: &str| {
        outbox_rows(&p)
            .iter()
            .filter(|r| r.kind == "receipt" && r.recipient == who)
            .count()
    };
    let before = receipts_to("grace@resp.test");
    for id in [forged, stranger] {
        with_app(&p, SystemClock.now(), async |app| {
            Ok(needsd::workflow::review::accept(app, id, None, "ann").await?)
        });
    }
    assert_eq!(receipts_to("grace@resp.test"), before + 1);
    assert_eq!(receipts_to("mallory@elsewhere.test"), 0);

    // Grace herself, to her own address, in any letter case: trusted, and answered at her
    // directory address, five receipts an hour whatever the case of her From (the
    // accepted reply's receipt is the first of them).
    for n in 0..7 {
        let from = ["GRACE@RESP.TEST", "Grace@Resp.Test", "grace@resp.test"][n % 3];
        deliver(&p, 10 + n, &mail(from, &grace_to, "", 10 + n));
    }
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["quarantined"], 0, "{out}");
    assert_eq!(out["receipts"], 4, "{out}");
    let receipts: Vec<String> = outbox(&p)
        .into_iter()
        .filter(|m| m.contains("receipt"))
        .collect();
    assert_eq!(receipts.len(), 5);
    assert!(
        receipts
            .iter()
            .all(|m| m.contains("To: Grace <grace@resp.test>")),
        "{receipts:?}"
    );
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["answered"], 1, "{status}");
}

/// A delivery status notification from `mta`, saying `failed` did not get a message, with
/// `returned` (the headers of the message it returns) when given.
fn dsn(n: usize, failed: &str, returned: Option<&str>) -> String {
    let returned = returned
        .map(|h| format!("--R\r\nContent-Type: text/rfc822-headers\r\n\r\n{h}\r\n"))
        .unwrap_or_default();
    format!(
        "From: MAILER-DAEMON@mx.elsewhere.test\r\nTo: needs@ctc.test\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{n}@mx.elsewhere.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
         --R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.elsewhere.test\r\n\r\n\
         Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n{returned}--R--\r\n"
    )
}

#[test]
fn a_bounce_marks_a_contact_only_with_evidence_and_a_workbook_is_never_an_auto_reply() {
    let p = files_project("[limits]\nattachments = 2\n");
    p.load(
        "party,name,email,receives_matrix\nKEN,Grace,grace@resp.test,yes\nKEN,Amina,amina@resp.test,yes\n",
        MATRIX,
    );
    p.ok(&["dispatch", "--cycle", &next_cycle()]);
    let circulation_of = |who: &str| {
        outbox(&p)
            .into_iter()
            .find(|m| m.contains(&format!("<{who}>")) || m.contains(&format!("To: {who}")))
            .map(|raw| {
                let m = parse(raw.as_bytes());
                (
                    m.reply_to()
                        .unwrap()
                        .first()
                        .unwrap()
                        .address()
                        .unwrap()
                        .to_string(),
                    m.message_id().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    let (grace_to, _) = circulation_of("grace@resp.test");
    let (_, amina_id) = circulation_of("amina@resp.test");
    // A report anyone could write: it names Grace, returns nothing needsd sent.
    deliver(&p, 1, &dsn(1, "grace@resp.test", None));
    // A report that returns the circulation needsd sent to Amina, and names her.
    deliver(
        &p,
        2,
        &dsn(
            2,
            "amina@resp.test",
            Some(&format!("Message-ID: <{amina_id}>\r\nTo: amina@resp.test")),
        ),
    );
    // Grace's genuine reply, which her gateway marked as bulk mail, with three CSVs.
    let csv = "Need ID,State,Area,Need,Priority,Status\nMN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Met\n";
    let part = |name: &str| {
        format!(
            "--B\r\nContent-Type: text/csv; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{csv}\r\n"
        )
    };
    deliver(
        &p,
        3,
        &format!(
            "From: grace@resp.test\r\nTo: {grace_to}\r\nSubject: Re: Matrix\r\nPrecedence: bulk\r\n\
             Message-ID: <bulk@resp.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
             --B\r\nContent-Type: text/plain\r\n\r\nOur update.\r\n{}{}{}--B--\r\n",
            part("a.csv"),
            part("b.csv"),
            part("c.csv")
        ),
    );
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["bounces"], 2, "{out}");
    assert_eq!(out["auto_replies"], 0, "the workbook was read: {out}");
    let contacts = p.json(&["contacts", "list", "--json"]);
    for c in contacts.as_array().unwrap() {
        let amina = c["email"] == "amina@resp.test";
        assert_eq!(
            c["bouncing"], amina,
            "only the attributed bounce marks: {c}"
        );
    }
    let listed = p.json(&["review", "list", "--json"]);
    let subs = listed["submissions"].as_array().unwrap();
    assert_eq!(
        subs.len(),
        2,
        "two of the three workbooks are read: {listed}"
    );
    // The second workbook repeats the first one's change, which it supersedes (the list
    // is newest first).
    assert_eq!(subs[0]["attachment"], "b.csv", "{listed}");
    assert_eq!(subs[0]["state"], "pending", "{listed}");
    let rows = submissions(&p);
    let note = rows.last().unwrap().note.clone().unwrap_or_default();
    assert!(note.contains("Precedence: bulk"), "{note}");
    assert!(note.contains("1 more workbooks were not read"), "{note}");
    assert!(note.contains("c.csv"), "{note}");
    // Grace's receipt names her and a counter in its Message-ID, in the clear: a report
    // that returns it proves nothing, and must not mark her.
    let receipt_id = outbox(&p)
        .iter()
        .map(|raw| parse(raw.as_bytes()).message_id().unwrap_or("").to_string())
        .find(|id| id.contains(".receipt."))
        .expect("Grace's receipt");
    deliver(
        &p,
        4,
        &dsn(
            4,
            "grace@resp.test",
            Some(&format!("Message-ID: <{receipt_id}>")),
        ),
    );
    let again = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(again["bounces"], 1, "{again}");
    let contacts = p.json(&["contacts", "list", "--json"]);
    let grace = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "grace@resp.test")
        .unwrap();
    assert_eq!(grace["bouncing"], false, "{grace}");
}

#[test]
fn circulations_go_before_receipts_however_many_wait() {
    const FILES: &str = "[outbox]\ndir = \"data/outbox\"";
    // needsd cannot log in to its server (the token command fails): what it writes waits.
    const DOWN: &str = "[smtp]\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\nusername = \"needs\"\ntoken_command = \"false\"";
    let config = |outbound: &str| {
        format!(
            "{}{QUIET_SCHEDULE}",
            config_with("needs", outbound, "[maildir]\ndir = \"data/inbox\"")
        )
    };
    let p = Project::new(&config(FILES));
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for i in 0..6 {
        csv.push_str(&format!("KEN,R{i},r{i}@resp.test,yes\n"));
    }
    p.load(&csv, MATRIX);
    let this = next_cycle();
    p.ok(&["dispatch", "--cycle", &this]);
    // Six replies while the server is down: six receipts wait.
    answer_every_circulation(&p, 40);
    std::fs::write(p.path("needsd.toml"), config(DOWN)).unwrap();
    let read = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(read["receipts"], 6, "{read}");
    assert!(read["send_error"].is_string(), "{read}");
    // Next month's circulation is queued behind the receipts (the server still down).
    let later = this
        .parse::<needsd::model::Cycle>()
        .unwrap()
        .next()
        .to_string();
    let out = p.run(&["dispatch", "--cycle", &later]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("token_command"),
        "the circulation could not be sent: {out:?}"
    );
    // The order a sender claims them in, from the store's own claim: next month's six
    // circulations first, then the six receipts queued before them.
    let now = SystemClock.now() + chrono::Duration::minutes(1);
    let order: Vec<String> = (0..12)
        .map(|_| {
            let claimed = with_store(&p, async |s| {
                s.settle_and_claim(
                    "test/0/0",
                    vec![needsd::store::outbox::Step {
                        settle: None,
                        claim: true,
                    }],
                    now,
                    now + chrono::Duration::hours(1),
                )
                .await
            });
            claimed[0]
                .as_ref()
                .expect("a message to claim")
                .message_id
                .clone()
        })
        .collect();
    let kinds: Vec<&str> = order
        .iter()
        .map(|id| {
            if id.contains(".receipt.") {
                "receipt"
            } else {
                "circulation"
            }
        })
        .collect();
    let expected: Vec<&str> = std::iter::repeat_n("circulation", 6)
        .chain(std::iter::repeat_n("receipt", 6))
        .collect();
    assert_eq!(kinds, expected, "{order:?}");
}

#[test]
fn one_domain_gets_at_most_its_receipts_an_hour() {
    let p = files_project("[limits]\nreceipts_per_domain = 50\n");
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for i in 0..52 {
        csv.push_str(&format!("KEN,R{i},r{i}@mfa.ke.test,yes\n"));
    }
    p.load(&csv, MATRIX);
    p.ok(&["dispatch", "--cycle", &next_cycle()]);
    answer_every_circulation(&p, 0);
    let read = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(read["submissions"], 52, "{read}");
    assert_eq!(read["receipts"], 50, "{read}");
}

/// A project whose web server keeps at most three connections, each client getting two
/// seconds for a request's headers and two for its body.
fn tight_web_project() -> Project {
    files_project(
        "[web]\nlisten = \"127.0.0.1:0\"\nmax_connections = 3\nclient_timeout_seconds = 2\n",
    )
}

/// Reads what the server sends until it closes the connection; `None` if it had not
/// closed it after a minute (or reset it).
fn until_closed(s: &mut std::net::TcpStream) -> Option<String> {
    use std::io::Read;
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        Err(_) => None,
    }
}

#[test]
fn slow_clients_are_cut_off_and_cannot_hold_the_web_server() {
    use std::io::Write;
    let p = tight_web_project();
    let (_daemon, addr) = start_daemon(&p);
    let t0 = Instant::now();
    // Three clients take every connection the server keeps: one never finishes its
    // headers, one trickles a header line every 300 ms (the deadline is for all of them),
    // one sends its headers and then trickles a body that would take ten minutes.
    let mut silent = std::net::TcpStream::connect(&addr).unwrap();
    write!(silent, "GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let trickler = {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let mut reader = s.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = write!(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
            for i in 0..200 {
                if write!(s, "X-Slow-{i}: y\r\n").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        std::thread::spawn(move || until_closed(&mut reader))
    };
    let mut body = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        body,
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 6000\r\n\r\nname="
    )
    .unwrap();
    let body_trickle = {
        let mut s = body.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..6000 {
                if s.write_all(b"a").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // A fourth client waits for a free connection, then gets its answer.
    let mut patient = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        patient,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let answer = until_closed(&mut patient).expect("the fourth client got an answer");
    let answered = t0.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // It cannot have been let in before a held connection's deadline ran out: with no
    // cap it would have been answered at once.
    assert!(
        answered >= Duration::from_secs(2),
        "answered after {answered:?}, while three connections were held"
    );

    let silent = until_closed(&mut silent).expect("the silent client was cut off");
    assert!(
        silent.is_empty() || silent.starts_with("HTTP/1.1 408"),
        "{silent}"
    );
    trickler
        .join()
        .unwrap()
        .expect("the trickling client was cut off");
    let slow_body = until_closed(&mut body).expect("the slow body was cut off");
    assert!(slow_body.starts_with("HTTP/1.1 4"), "{slow_body}");
    let _ = body.shutdown(std::net::Shutdown::Both);
    body_trickle.join().unwrap();
}

/// Logs in as `name` from `local` (a loopback address of this machine), with the
/// X-Forwarded-For header `claims` if given; the status of the answer.
fn log_in(addr: &str, local: &str, name: &str, password: &str, claims: Option<&str>) -> u16 {
    log_in_as(&agent(local), addr, name, password, claims)
}

/// A browser with its own cookies, at `local` (a loopback address of this machine).
fn agent(local: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn log_in_as(
    agent: &reqwest::blocking::Client,
    addr: &str,
    name: &str,
    password: &str,
    claims: Option<&str>,
) -> u16 {
    let page = agent
        .get(format!("http://{addr}/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF token");
    let csrf = &page[at + 19..at + 19 + 64];
    let mut post = agent.post(format!("http://{addr}/login")).form(&[
        ("csrf", csrf),
        ("name", name),
        ("password", password),
        ("next", "/"),
    ]);
    if let Some(claims) = claims {
        post = post.header("X-Forwarded-For", claims);
    }
    post.send().unwrap().status().as_u16()
}

#[test]
fn a_password_guesser_is_slowed_down_and_locks_nobody_out() {
    let p = maildir_project();
    let out = common::review::add_user(&p, "ann", "expert", "ann's long password");
    assert!(out.status.success(), "{out:?}");
    let (_daemon, addr) = start_daemon(&p);
    // The guesser, at 127.0.0.2, claims another address with each guess: no proxy is
    // trusted, so the header is not believed and every guess counts against 127.0.0.2
    // (believed, each would count under an address of its own, and none would wait).
    let guess = |n: usize| {
        log_in(
            &addr,
            "127.0.0.2",
            "ann",
            "wrong",
            Some(&format!("10.0.0.{n}")),
        )
    };
    for n in 0..5 {
        assert_eq!(guess(n), 401, "a wrong password");
    }
    // The sixth and seventh wrong guesses are answered one, then two seconds late.
    let t = Instant::now();
    assert_eq!(guess(5), 401);
    assert_eq!(guess(6), 401);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_secs(3),
        "two throttled guesses took {waited:?}"
    );
    // Ann, at 127.0.0.1, logs in as ever, and so would the right password from the
    // guesser's address, late but never refused.
    assert_eq!(
        log_in(&addr, "127.0.0.1", "ann", "ann's long password", None),
        303,
        "Ann logs in from her own address"
    );
    assert_eq!(
        log_in(&addr, "127.0.0.2", "ann", "ann's long password", None),
        303,
        "the right password is never refused"
    );
}

/// A message of about `bytes` bytes from Grace, with `subject`.
fn big_message(subject: &str, bytes: usize) -> Vec<u8> {
    let line = "QmlnIGJ1dCBoYXJtbGVzczogdGhlIHNhbWUgbGluZSBhZ2FpbiBhbmQgYWdhaW4uLi4uLi4u\r\n";
    format!(
        "From: Grace <grace@resp.test>\r\nTo: needs@ctc.test\r\nSubject: {subject}\r\n\
         Message-ID: <{}@resp.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
         Content-Type: text/plain\r\n\r\nThe scan of our whole archive, BODY-MARKER.\r\n--B\r\n\
         Content-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}--B--\r\n",
        unique("big"),
        line.repeat(bytes / line.len() + 1)
    )
    .into_bytes()
}

#[test]
fn a_message_over_the_size_limit_keeps_its_headers_only_and_is_shown_to_the_experts() {
    maillab();
    let tag = unique("big");
    let user = format!("needs-{tag}@ctc.test");
    let p = Project::new(&format!(
        "{}{QUIET_SCHEDULE}[web]\nlisten = \"127.0.0.1:0\"\n[limits]\nmessage_bytes = 200000\n",
        config_with(
            &format!("needs-{tag}"),
            "[outbox]\ndir = \"data/outbox\"",
            &imap_section(&user, "INBOX")
        )
    ));
    // A 600 KB message, then a small one behind it.
    let subject = format!("Our archive {tag}");
    let mut s = imap_session(&user);
    s.append("INBOX", &big_message(&subject, 600_000))
        .finish()
        .unwrap();
    s.append("INBOX", &message(1, &tag)).finish().unwrap();
    let _ = s.logout();
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(
        (
            &out["fetched"],
            &out["stored"],
            &out["too_large"],
            &out["moved"]
        ),
        (&2.into(), &2.into(), &1.into(), &2.into()),
        "{out}"
    );
    assert_eq!(out["unrelated"], 1, "the small one was read: {out}");
    assert_eq!(count(&user, "INBOX"), 0, "both moved out of the inbox");
    assert_eq!(count(&user, "Processed"), 2);
    let (listed, total) = with_store(&p, async |st| st.unreadable(20).await);
    assert_eq!(total, 1);
    let big = &listed[0];
    assert!(big.too_large && big.error.contains("too large"), "{big:?}");
    assert_eq!(big.subject.as_deref(), Some(subject.as_str()));
    assert_eq!(big.from.as_deref(), Some("grace@resp.test"));
    let raw = with_store(&p, async |st| st.raw_message(big.id).await).unwrap();
    assert!(
        raw.len() < 2000,
        "only the headers were kept: {} bytes",
        raw.len()
    );
    assert!(!String::from_utf8_lossy(&raw).contains("BODY-MARKER"));
    // Nothing to read again, and a clear sentence saying so.
    let again = p.run(&["reparse", &big.id.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("only the headers are kept"),
        "{again:?}"
    );
    // The experts see it on the dashboard.
    let out = common::review::add_user(&p, "ann", "expert", "ann's long password");
    assert!(out.status.success(), "{out:?}");
    let (_daemon, addr) = start_daemon(&p);
    let ann = agent("127.0.0.1");
    assert_eq!(
        log_in_as(&ann, &addr, "ann", "ann's long password", None),
        303
    );
    let page = ann
        .get(format!("http://{addr}/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("Mail needsd could not read") && page.contains(&subject),
        "{page}"
    );
}

#[test]
fn a_file_over_the_size_limit_in_the_maildir_keeps_its_headers_only() {
    let p = files_project("[limits]\nmessage_bytes = 100000\n");
    deliver(
        &p,
        1,
        &String::from_utf8(big_message("Too big", 300_000)).unwrap(),
    );
    deliver(&p, 2, &String::from_utf8(message(2, "small")).unwrap());
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(
        (&out["too_large"], &out["stored"]),
        (&1.into(), &2.into()),
        "{out}"
    );
    assert_eq!(out["unrelated"], 1, "{out}");
    let (listed, _) = with_store(&p, async |st| st.unreadable(20).await);
    assert_eq!(listed[0].subject.as_deref(), Some("Too big"));
    let raw = with_store(&p, async |st| st.raw_message(listed[0].id).await).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("BODY-MARKER"));
}

#[test]
fn one_address_cannot_take_every_connection_and_a_client_that_never_reads_is_cut_off() {
    use std::io::Write;
    // Sixteen connections in all, eight per address; two seconds for a request's
    // headers and for an answer left unread.
    let p = files_project(
        "[web]\nlisten = \"127.0.0.1:0\"\nmax_connections = 16\nclient_timeout_seconds = 2\n",
    );
    let (_daemon, addr) = start_daemon(&p);
    // 127.0.0.2 holds eight connections that send nothing; its ninth is closed unanswered
    // however complete its request, and 127.0.0.1 is still served.
    let held: Vec<_> = (0..8).map(|_| connect_from("127.0.0.2", &addr)).collect();
    let mut ninth = connect_from("127.0.0.2", &addr);
    let _ = write!(
        ninth,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let got = until_closed(&mut ninth).expect("the ninth connection was closed");
    assert!(
        got.is_empty(),
        "the ninth connection from one address was served: {got}"
    );
    let mut other = connect_from("127.0.0.1", &addr);
    write!(
        other,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let answer = until_closed(&mut other).expect("another address is served");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);
    // A client that sends request after request and never reads an answer: once the
    // answers fill the connection, the server gives up on it within the client timeout
    // and resets it, and the client's writes fail. Without that, its writes would block
    // until the client's own one-minute write timeout.
    let mut greedy = std::net::TcpStream::connect(&addr).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let ended = loop {
        if let Err(e) = greedy.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n") {
            break e;
        }
    };
    assert!(
        matches!(
            ended.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        ),
        "the server should have cut the connection off: {ended:?}"
    );
}

/// A connection to `addr` from the local address `local` (any 127.x.y.z is this machine).
fn connect_from(local: &str, addr: &str) -> std::net::TcpStream {
    let (local, addr): (std::net::IpAddr, std::net::SocketAddr) =
        (local.parse().unwrap(), addr.parse().unwrap());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(std::net::SocketAddr::new(local, 0)).unwrap();
            let stream = socket.connect(addr).await.unwrap();
            let stream = stream.into_std().unwrap();
            stream.set_nonblocking(false).unwrap();
            stream
        })
}
