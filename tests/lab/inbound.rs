//! Ingestion over real IMAP (the lab's Dovecot) and from a Maildir: every message stored
//! exactly once, then moved out of the inbox; kills, copies and UIDVALIDITY changes.

use std::time::{Duration, Instant};

use crate::common::*;

/// A project that sends through the lab's SMTP and reads the lab's IMAP, as
/// `needs-TAG@ctc.test`; `mail_extra` goes into its `[mail]` section.
fn lab_project(tag: &str, mail_extra: &str) -> (Project, String, String) {
    let secretariat = format!("needs-{tag}");
    let user = format!("{secretariat}@ctc.test");
    let config = config_with(
        &secretariat,
        &format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {SMTP}\ntls = \"none\"\nrate_per_minute = 6000"
        ),
        &imap_section(&user, "INBOX"),
    )
    .replace(
        "token_secret_env",
        &format!("{mail_extra}\ntoken_secret_env"),
    );
    (Project::new(&config), secretariat, user)
}

fn imap_project(tag: &str, mailbox: &str) -> (Project, String) {
    let user = format!("needs-{tag}@ctc.test");
    let p = Project::new(&config_with(
        &format!("needs-{tag}"),
        "[outbox]\ndir = \"data/outbox\"",
        &imap_section(&user, mailbox),
    ));
    (p, user)
}

#[test]
fn imap_messages_are_stored_once_and_moved_and_a_copy_back_is_recognised() {
    maillab();
    let tag = unique("i");
    let (p, user) = imap_project(&tag, "INBOX");
    let mut s = imap_session(&user);
    for n in 0..5 {
        s.append("INBOX", &message(n, &tag)).finish().unwrap();
    }
    let first = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(first["fetched"], 5, "{first}");
    assert_eq!(first["stored"], 5);
    assert_eq!(first["moved"], 5);
    assert_eq!(count(&user, "INBOX"), 0);
    assert_eq!(count(&user, "Processed"), 5);
    assert_eq!(inbox_rows(&p), 5);

    let again = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(again["fetched"], 0, "{again}");

    // A message that is not mail at all is stored and read (kept for the experts as
    // unrelated, or marked failed), and does not block the message behind it.
    s.append("INBOX", b"\x00\x01\x02 not a mail message")
        .finish()
        .unwrap();
    s.append("INBOX", &message(7, &tag)).finish().unwrap();
    let poison = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(poison["stored"], 2, "{poison}");
    assert_eq!(
        poison["failed"].as_u64().unwrap() + poison["unrelated"].as_u64().unwrap(),
        2,
        "{poison}"
    );
    assert_eq!(count(&user, "INBOX"), 0);

    // A message copied back into the inbox (someone dragged it there) is not stored twice.
    s.append("INBOX", &message(2, &tag)).finish().unwrap();
    let copy = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(copy["fetched"], 1, "{copy}");
    assert_eq!(copy["stored"], 0);
    assert_eq!(copy["known"], 1);
    assert_eq!(count(&user, "INBOX"), 0);
    assert_eq!(inbox_rows(&p), 7);
    let _ = s.logout();
}

#[test]
fn a_uidvalidity_change_rereads_the_mailbox_without_duplicates() {
    maillab();
    let tag = unique("u");
    let (p, user) = imap_project(&tag, "Replies");
    let mut s = imap_session(&user);
    s.create("Replies").unwrap();
    for n in 0..3 {
        s.append("Replies", &message(n, &tag)).finish().unwrap();
    }
    let validity = s.select("Replies").unwrap().uid_validity;
    let first = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(first["stored"], 3, "{first}");
    // The server renumbers the mailbox (a migration, a restore): same messages back, one
    // new, all under a new UIDVALIDITY.
    s.select("INBOX").unwrap();
    s.delete("Replies").unwrap();
    s.create("Replies").unwrap();
    for n in 0..4 {
        s.append("Replies", &message(n, &tag)).finish().unwrap();
    }
    assert_ne!(s.select("Replies").unwrap().uid_validity, validity);
    let after = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(after["fetched"], 4, "{after}");
    assert_eq!(after["stored"], 1);
    assert_eq!(after["known"], 3);
    assert_eq!(inbox_rows(&p), 4);
    assert_eq!(count(&user, "Replies"), 0);
    let _ = s.logout();
}

#[test]
fn sigkill_in_the_middle_of_a_batch_loses_nothing_and_stores_nothing_twice() {
    maillab();
    const N: u32 = 300;
    let tag = unique("s");
    let (p, user) = imap_project(&tag, "INBOX");
    let mut s = imap_session(&user);
    for n in 0..N as usize {
        s.append("INBOX", &message(n, &tag)).finish().unwrap();
    }
    let _ = s.logout();
    let kills = [60, 180]
        .into_iter()
        .filter(|&n| p.kill_when(&["ingest", "--once"], || count(&user, "Processed") >= n))
        .count();
    assert!(
        kills >= 1,
        "ingest finished before any kill; the test proved nothing"
    );
    let last = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(count(&user, "INBOX"), 0, "{last}");
    // The server may hold a message twice: Dovecot's MOVE is a copy and an expunge, and a
    // client killed between the two leaves both. needsd's store holds each once.
    assert!(count(&user, "Processed") >= N);
    assert_eq!(inbox_rows(&p), i64::from(N), "every message once: {last}");
}

#[test]
fn maildir_messages_are_stored_once_and_moved_to_processed() {
    let p = Project::new(&config_with(
        "needs",
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    ));
    let new = p.path("data/inbox/new");
    std::fs::create_dir_all(&new).unwrap();
    for n in 0..3 {
        std::fs::write(new.join(format!("17000000{n}.M1P1.lab")), message(n, "m")).unwrap();
    }
    let first = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(first["stored"], 3, "{first}");
    assert_eq!(std::fs::read_dir(&new).unwrap().count(), 0);
    let done = p.path("data/inbox/.Processed/cur");
    assert_eq!(std::fs::read_dir(&done).unwrap().count(), 3);
    // A copy dropped back into the inbox under another name is recognised.
    std::fs::write(new.join("1800000000.M9P9.lab"), message(1, "m")).unwrap();
    let copy = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(copy["known"], 1, "{copy}");
    assert_eq!(copy["stored"], 0);
    assert_eq!(inbox_rows(&p), 3);
    // An empty file (a crashed delivery) is kept and marked failed; the next one is read.
    std::fs::write(new.join("1900000000.M1P1.lab"), b"").unwrap();
    std::fs::write(new.join("1900000001.M1P1.lab"), message(8, "m")).unwrap();
    let poison = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(poison["stored"], 2, "{poison}");
    assert_eq!(poison["failed"], 1, "{poison}");
    assert_eq!(poison["unrelated"], 1, "{poison}");
}

const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
MN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Open,,,2026-10-14\n\
MN-00002,SEN,POL,Contrôle des frontières terrestres,High,Open,,,2026-07-09\n\
MN-00003,MEX,CUS,Detección de efectivo no declarado,Low,Open,,,2026-06-18\n";

#[test]
fn replies_become_submissions_bounces_mark_contacts_and_strangers_wait_in_quarantine() {
    maillab();
    let tag = unique("r");
    let (p, _, user) = lab_project(&tag, "");
    let grace = format!("grace-{tag}@resp.test");
    let amina = format!("amina-{tag}@resp.test");
    let jose = format!("jose-{tag}@resp.test");
    let gone = format!("gone-{tag}@bounce.test");
    p.load(&format!(
            "party,name,email,language,receives_matrix\nKEN,Grace,{grace},en,yes\nSEN,Amina,{amina},fr,yes\n\
             MEX,José,{jose},es,yes\nPER,Gone,{gone},es,yes\n"
        ), MATRIX);
    let cycle = next_cycle();
    let sent = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(sent["send"]["sent"], 4, "{sent}");

    // Grace edits her workbook in a spreadsheet program and replies with it.
    let (grace_reply_to, grace_id, workbook) = circulation(&grace);
    let file = p.path("grace.xlsx");
    std::fs::write(&file, workbook).unwrap();
    edit_workbook(&file, &[("MN-00001", "Status", "Met")]);
    let edited = std::fs::read(&file).unwrap();
    send_raw(
        &grace,
        &grace_reply_to,
        &reply_with_attachment(&grace, &grace_reply_to, &grace_id, "Matrix.xlsx", &edited),
    );
    // Amina answers in words.
    let (amina_reply_to, amina_id, _) = circulation(&amina);
    send_raw(
        &amina,
        &amina_reply_to,
        format!(
            "From: {amina}\r\nTo: {amina_reply_to}\r\nSubject: Re: Matrice\r\nIn-Reply-To: {amina_id}\r\n\
             Message-ID: <{}@resp.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Bonjour,\r\nAucun changement ce mois-ci.\r\nAmina\r\n",
            unique("a")
        )
        .as_bytes(),
    );
    // José is away.
    let (jose_reply_to, jose_id, _) = circulation(&jose);
    send_raw(
        &jose,
        &jose_reply_to,
        format!(
            "From: {jose}\r\nTo: {jose_reply_to}\r\nSubject: Respuesta automática: Matrix\r\n\
             Auto-Submitted: auto-replied\r\nIn-Reply-To: {jose_id}\r\nMessage-ID: <{}@resp.test>\r\n\r\n\
             Estoy fuera de la oficina.\r\n",
            unique("j")
        )
        .as_bytes(),
    );
    // Someone who is not a contact of Kenya sends a workbook in reply to Grace's mail.
    let stranger = format!("mallory-{tag}@elsewhere.test");
    send_raw(
        &stranger,
        &user,
        &reply_with_attachment(&stranger, &user, &grace_id, "Matrix.xlsx", &edited),
    );
    // Four replies and the bounce of the circulation to Peru.
    wait_for_mail(&user, 5, 10);

    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["stored"], 5, "{out}");
    assert_eq!(out["replies"], 3, "{out}");
    assert_eq!(out["submissions"], 3);
    assert_eq!(out["quarantined"], 1);
    assert_eq!(out["auto_replies"], 1);
    assert_eq!(out["bounces"], 1);
    assert_eq!(out["failed"], 0);

    let subs = submissions(&p);
    let find = |party: &str, from: &str| {
        subs.iter()
            .find(|s| s.party.as_deref() == Some(party) && s.from.as_deref() == Some(from))
            .unwrap_or_else(|| panic!("no submission of {party} from {from}: {subs:?}"))
    };
    let kenya = find("KEN", &grace);
    assert_eq!(kenya.state, "pending", "{kenya:?}");
    assert_eq!(
        kenya.pending_changes, 1,
        "Status of MN-00001 to Met: {kenya:?}"
    );
    assert_eq!(kenya.cycle.as_deref(), Some(cycle.as_str()));
    assert!(!kenya.late);
    assert_eq!(find("SEN", &amina).state, "no_changes");
    let quarantined = find("KEN", &stranger);
    assert_eq!(quarantined.state, "quarantined");
    assert!(
        quarantined
            .note
            .as_deref()
            .unwrap_or("")
            .contains("not a contact of KEN")
    );
    let contacts = p.json(&["contacts", "list", "--json"]);
    for c in contacts.as_array().unwrap() {
        assert_eq!(c["bouncing"], c["email"] == gone.as_str(), "{c}");
    }
    // Each trusted reply has its receipt; the auto-reply, the bounce and the stranger's
    // reply have none (a receipt would answer whoever wrote the From).
    assert_eq!(out["receipts"], 2, "{out}");
    assert_eq!(out["send"]["sent"], 2, "{out}");
    // The receipt is the last message: after the circulation, for respondents.
    let receipt = |who: &str, n: usize| {
        let got = wait_for_mail(who, n, 10);
        assert_eq!(got.len(), n, "{who}");
        let m = parse(&got[n - 1]);
        let text = m.body_text(0).unwrap_or_default().into_owned();
        let auto = m
            .header_raw("Auto-Submitted")
            .unwrap_or("")
            .trim()
            .to_string();
        let in_reply_to = m.header_raw("In-Reply-To").unwrap_or("").trim().to_string();
        (
            m.subject().unwrap_or("").to_string(),
            text,
            auto,
            in_reply_to,
        )
    };
    let (subject, text, auto, in_reply_to) = receipt(&grace, 2);
    assert!(subject.contains("1 change awaiting review"), "{subject}");
    assert!(
        text.contains("MN-00001 Status: Open \u{2192} Met"),
        "{text}"
    );
    assert_eq!(auto, "auto-replied");
    assert!(in_reply_to.ends_with("@resp.test>"), "{in_reply_to}");
    // Amina's contact reads French: her receipt is in French.
    let (subject, _, _, _) = receipt(&amina, 2);
    assert!(subject.contains("Reçu : aucun changement"), "{subject}");
    send_marker(&stranger, &format!("marker-{tag}"));
    assert_eq!(
        wait_for_mail(&stranger, 1, 10).len(),
        1,
        "the stranger got a receipt"
    );
    send_marker(&jose, &format!("marker-{tag}"));
    assert_eq!(
        wait_for_mail(&jose, 2, 10).len(),
        2,
        "an auto-reply got a receipt"
    );

    // Reading again changes nothing and answers nobody twice.
    let again = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(again["submissions"], 0, "{again}");
    assert_eq!(again["receipts"], 0, "{again}");

    // Reading the stored mail again (after a parser fix) replaces what the first reading
    // proposed, and answers nobody twice.
    let reread = p.json(&["reparse", "--all", "--json"]);
    assert_eq!(reread["submissions"], 3, "{reread}");
    assert_eq!(reread["bounces"], 1);
    assert_eq!(reread["receipts"], 0, "{reread}");
    let subs = submissions(&p);
    let kenya: Vec<_> = subs
        .iter()
        .filter(|s| s.party.as_deref() == Some("KEN") && s.from.as_deref() == Some(grace.as_str()))
        .collect();
    assert_eq!(kenya.len(), 2);
    assert_eq!(
        kenya[0].pending_changes, 0,
        "the first reading's change is superseded"
    );
    assert_eq!(kenya[1].pending_changes, 1);
    let missing = p.run(&["reparse", "999999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(p.run(&["reparse"]).status.code(), Some(2));
}

#[test]
fn replies_in_csv_and_ods_forwarded_or_delivered_twice_are_read_once_each() {
    maillab();
    let tag = unique("v");
    let (p, _, user) = lab_project(&tag, "");
    let grace = format!("grace-{tag}@resp.test");
    let amina = format!("amina-{tag}@resp.test");
    let jose = format!("jose-{tag}@resp.test");
    p.load(&format!("party,name,email,receives_matrix\nKEN,Grace,{grace},yes\nSEN,Amina,{amina},yes\nMEX,José,{jose},yes\n"), MATRIX);
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);
    // Grace saves her edited workbook as ods in LibreOffice.
    let (to, id, workbook) = circulation(&grace);
    let xlsx = p.path("grace.xlsx");
    std::fs::write(&xlsx, workbook).unwrap();
    edit_workbook(&xlsx, &[("MN-00001", "Status", "Met")]);
    let converted = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "ods", "--outdir"])
        .arg(p.path(""))
        .arg(&xlsx)
        .env("HOME", p.path(""))
        .output()
        .expect("soffice (scripts/test.sh installs LibreOffice)");
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let ods = std::fs::read(p.path("grace.ods")).unwrap();
    send_raw(
        &grace,
        &to,
        &reply_with_attachment(&grace, &to, &id, "Matrix.ods", &ods),
    );
    // Amina types a CSV; her colleague forwards it from her mailbox.
    let (to, id, _) = circulation(&amina);
    let csv = "Need ID,State,Area,Need,Priority,Status\nMN-00002,SEN,POL,Contrôle des frontières terrestres,High,In progress\n";
    let inner = String::from_utf8(reply_with_attachment(
        &amina,
        &user,
        &id,
        "matrice.csv",
        csv.as_bytes(),
    ))
    .unwrap();
    let forwarded = format!(
        "From: {amina}\r\nTo: {to}\r\nSubject: Fwd: Matrix\r\nMessage-ID: <fwd-{tag}@resp.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"F\"\r\n\r\n--F\r\n\
         Content-Type: text/plain\r\n\r\nForwarding our answer.\r\n--F\r\nContent-Type: message/rfc822\r\n\r\n\
         {inner}\r\n--F--\r\n"
    );
    send_raw(&amina, &to, forwarded.as_bytes());
    // José's reply reaches us twice (To the token address, Cc the plain one).
    let (to, id, _) = circulation(&jose);
    let twice = format!(
        "From: {jose}\r\nTo: {to}\r\nCc: {user}\r\nSubject: Re: Matrix\r\nIn-Reply-To: {id}\r\n\
         Message-ID: <twice-{tag}@resp.test>\r\n\r\nSin cambios.\r\n"
    );
    send_raw(&jose, &to, twice.as_bytes());
    send_raw(&jose, &user, twice.as_bytes());
    wait_for_mail(&user, 4, 10);

    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["stored"], 4, "{out}");
    assert_eq!(
        out["submissions"], 3,
        "one submission for the two copies: {out}"
    );
    let subs = submissions(&p);
    let of = |party: &str| {
        subs.iter()
            .find(|s| s.party.as_deref() == Some(party))
            .unwrap_or_else(|| panic!("{party}: {subs:?}"))
    };
    let kenya = of("KEN");
    assert_eq!(
        (kenya.state.as_str(), kenya.pending_changes),
        ("pending", 1),
        "{kenya:?}"
    );
    assert_eq!(kenya.attachment.as_deref(), Some("Matrix.ods"));
    let senegal = of("SEN");
    assert_eq!(
        (senegal.state.as_str(), senegal.pending_changes),
        ("pending", 1),
        "{senegal:?}"
    );
    assert_eq!(senegal.attachment.as_deref(), Some("matrice.csv"));
    assert_eq!(of("MEX").state, "no_changes");
}

#[test]
fn watching_the_inbox_wakes_on_new_mail_and_reconnects_after_a_dropped_connection() {
    maillab();
    let tag = unique("w");
    let (p, user) = imap_project(&tag, "INBOX");
    let mut child = p
        .command(&["ingest"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let arrives = |n: u32| {
        // Polling every 60 s would miss this deadline: only IDLE wakes in time.
        let deadline = Instant::now() + Duration::from_secs(20);
        while count(&user, "Processed") < n {
            assert!(
                Instant::now() < deadline,
                "message {n} was not taken from the inbox"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut s = imap_session(&user);
    // Let the watcher reach its IDLE before the first message.
    std::thread::sleep(Duration::from_millis(500));
    s.append("INBOX", &message(1, &tag)).finish().unwrap();
    arrives(1);
    // The server drops every connection of this user (as a restart or a NAT timeout
    // would); the watcher must reconnect and carry on.
    std::thread::sleep(Duration::from_millis(500));
    let kicked = std::process::Command::new("doveadm")
        .args([
            "-c",
            &format!("{LAB_DIR}/dovecot/dovecot.conf"),
            "kick",
            &user,
        ])
        .output()
        .unwrap();
    assert!(
        kicked.status.success(),
        "{}",
        String::from_utf8_lossy(&kicked.stderr)
    );
    assert!(
        String::from_utf8_lossy(&kicked.stdout).contains(&user),
        "nobody was kicked, so this test proved nothing: {}",
        String::from_utf8_lossy(&kicked.stdout)
    );
    let mut s2 = imap_session(&user);
    s2.append("INBOX", &message(2, &tag)).finish().unwrap();
    arrives(2);
    let _ = s.logout();
    let _ = s2.logout();
    // SIGTERM stops it cleanly.
    // The shell's own kill: no procps needed.
    let term = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(inbox_rows(&p), 2);
}

#[test]
fn an_unreadable_workbook_is_a_clear_error_in_the_submission_and_xoauth2_logs_in() {
    maillab();
    let tag = unique("x");
    let secretariat = format!("needs-{tag}");
    let user = format!("{secretariat}@ctc.test");
    // XOAUTH2 this time: the lab's Dovecot checks the bearer token like a password.
    let imap = imap_section(&user, "INBOX").replace(
        "password_env = \"NEEDSD_IMAP_PASSWORD\"",
        "token_command = \"printf lab\"",
    );
    let p = Project::new(&config_with(
        &secretariat,
        &format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {SMTP}\ntls = \"none\"\nrate_per_minute = 6000"
        ),
        &imap,
    ));
    let grace = format!("grace-{tag}@resp.test");
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Grace,{grace},yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);
    let raw = wait_for_mail(&grace, 1, 10).remove(0);
    let m = parse(&raw);
    let to = m
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap()
        .to_string();
    let id = format!("<{}>", m.message_id().unwrap());
    let fixture = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/workbooks")
                .join(name),
        )
        .unwrap()
    };
    send_raw(
        &grace,
        &to,
        &reply_with_attachment(
            &grace,
            &to,
            &id,
            "Matrix.xlsx",
            &fixture("bad-encrypted.xlsx"),
        ),
    );
    wait_for_mail(&user, 1, 10);
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["submissions"], 1, "{out}");
    let subs = submissions(&p);
    assert_eq!(subs[0].state, "unparseable", "{subs:?}");
    assert_eq!(subs[0].errors, 1);
    // The receipt tells Grace why, in a sentence.
    let receipt = wait_for_mail(&grace, 2, 10).remove(1);
    let text = parse(&receipt)
        .body_text(0)
        .unwrap_or_default()
        .into_owned();
    assert!(
        text.contains("could not be read") && text.contains("password"),
        "{text}"
    );
}

/// The organizations that answer in `csv_replies_in_any_encoding…`, one per way of sending.
const ORGANIZATIONS: [&str; 9] = [
    "AU", "AFDB", "AALCO", "ASDB", "CARICOM", "COMSEC", "CIS", "COE", "EU",
];

/// The changes of a `check --json` or `review list --json` document, without what only
/// review adds (`seq`, `decision`, …), so that the two can be compared.
fn bare_changes(changes: &serde_json::Value) -> Vec<serde_json::Value> {
    let keys = [
        "kind", "need_id", "row", "field", "base", "current", "proposed", "conflict", "fields",
    ];
    changes
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            keys.iter()
                .filter_map(|k| c.get(*k).map(|v| (k.to_string(), v.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect()
}

#[test]
fn csv_replies_in_any_encoding_give_what_check_gives_for_the_file() {
    maillab();
    let tag = unique("enc");
    let (p, _, user) = lab_project(&tag, "");
    let contacts: Vec<(String, String)> = ORGANIZATIONS
        .iter()
        .map(|org| {
            (
                org.to_string(),
                format!("{}-{tag}@resp.test", org.to_lowercase()),
            )
        })
        .collect();
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for (org, email) in &contacts {
        csv.push_str(&format!("{org},Focal point,{email},yes\n"));
    }
    p.load(&csv, MATRIX);
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);

    // The same edit saved by Python's csv module the ways spreadsheet programs save it:
    // Windows-1252 with semicolons (Excel's "CSV (semicolon delimited)" on a French
    // Windows), UTF-16 with tabs (Excel's "Unicode text"), UTF-8 with a BOM.
    let script = format!(
        "import csv\n\
         rows = [['Need ID','State','Area','Need','Priority','Status','Assistance provider','Notes'],\n\
                 ['MN-00002','SEN','POL','Contrôle des frontières terrestres','High','Assistance offered',\n\
                  'Organisation régionale','Coût estimé : 12 000 € (phase 1)']]\n\
         for name, enc, sep in [('cp1252.csv','cp1252',';'), ('utf16.csv','utf-16','\\t'), ('utf8bom.csv','utf-8-sig',',')]:\n\
         \x20   with open({dir:?} + '/' + name, 'w', encoding=enc, newline='') as f:\n\
         \x20       csv.writer(f, delimiter=sep).writerows(rows)\n",
        dir = p.path("").display().to_string()
    );
    let made = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3");
    assert!(made.success());
    let files = ["cp1252.csv", "utf16.csv", "utf8bom.csv"];
    for f in files {
        let bytes = std::fs::read(p.path(f)).unwrap();
        assert!(
            std::str::from_utf8(&bytes).is_err() || f == "utf8bom.csv",
            "{f} is not UTF-8, as a spreadsheet program writes it"
        );
    }
    // Each file three ways, as swaks attaches it (base64): text/csv without a charset,
    // text/csv with a wrong one, and application/octet-stream.
    let types = [
        "text/csv",
        "text/csv; charset=utf-8",
        "application/octet-stream",
    ];
    let mut sent = Vec::new();
    for (i, (org, email)) in contacts.iter().enumerate() {
        let (file, content_type) = (files[i / 3], types[i % 3]);
        let (to, id, _) = circulation(email);
        let out = std::process::Command::new("swaks")
            .args(["--server", &format!("127.0.0.1:{SMTP}")])
            .args(["--from", email, "--to", &to])
            .args([
                "--header",
                "Subject: Re: [Matrix of Needs] notre mise à jour",
            ])
            .args(["--header", &format!("In-Reply-To: {id}")])
            .args(["--body", "Voir le fichier joint."])
            .args(["--attach-type", content_type, "--attach-name", file])
            .arg("--attach")
            .arg(format!("@{}", p.path(file).display()))
            .output()
            .expect("swaks (scripts/test.sh installs it)");
        assert!(
            out.status.success(),
            "swaks: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        sent.push((org.clone(), file, content_type));
    }
    wait_for_mail(&user, contacts.len(), 10);
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["submissions"], contacts.len(), "{out}");
    assert_eq!(out["quarantined"], 0, "{out}");

    let listed = p.json(&["review", "list", "--json"]);
    for (org, file, content_type) in sent {
        let path = p.path(file).display().to_string();
        let check = p.json(&["check", &path, "--as", &org, "--cycle", &cycle, "--json"]);
        let expected = bare_changes(&check["changes"]);
        assert!(
            expected
                .iter()
                .any(|c| c["proposed"] == "Coût estimé : 12 000 € (phase 1)"),
            "{file}: {check}"
        );
        let submission = listed["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["party"] == org.as_str())
            .unwrap_or_else(|| panic!("{org}: {listed}"));
        assert_eq!(
            bare_changes(&submission["changes"]),
            expected,
            "{file} sent as {content_type}"
        );
        assert_eq!(
            submission["errors"], check["errors"],
            "{file} as {content_type}"
        );
    }
}
