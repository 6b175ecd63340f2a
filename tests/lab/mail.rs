//! Circulation over real SMTP: `needsd dispatch` against the mail lab (real Postfix and
//! Dovecot on loopback), read back over IMAP as the respondents would read it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::*;
use mail_parser::MimeHeaders;

const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
MN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Open,,,2026-10-14\n\
MN-00002,KEN,LEG,\"Drafting assistance, 1999 Convention\",Medium,Assistance offered,IMF,,2026-09-02\n\
MN-00003,SEN,POL,Contrôle des frontières terrestres,High,Open,,,2026-07-09\n\
MN-00004,MEX,CUS,Detección de efectivo no declarado,Low,Open,,,2026-06-18\n";

/// Twelve respondents in three languages (and one, Russian, that falls back to English).
fn respondents(tag: &str) -> Vec<(&'static str, String, &'static str)> {
    [
        ("KEN", "en"),
        ("SEN", "fr"),
        ("MEX", "es"),
        ("MDA", "ru"),
        ("UNODC", "en"),
        ("COE-MONEYVAL", "fr"),
        ("FATF", "en"),
        ("AU", "fr"),
        ("OAS", "es"),
        ("INTERPOL", "en"),
        ("WCO", "en"),
        ("IMF", "en"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (party, lang))| (*party, format!("r{i:02}-{tag}@resp.test"), *lang))
    .collect()
}

fn contacts_csv(rows: &[(&str, String, &str)]) -> String {
    let mut s = String::from("party,name,office,email,language,role,receives_matrix\n");
    for (i, (party, email, lang)) in rows.iter().enumerate() {
        s.push_str(&format!(
            "{party},Focal Point {i},Office,{email},{lang},Focal point,yes\n"
        ));
    }
    s
}

fn header(m: &mail_parser::Message<'_>, name: &str) -> String {
    m.header_raw(name).unwrap_or("").trim().to_string()
}

#[test]
fn dispatch_reaches_every_respondent_once_with_their_own_workbook() {
    maillab();
    let tag = unique("d");
    let secretariat = format!("needs-{tag}");
    let p = Project::new(&smtp_config(
        &secretariat,
        // STARTTLS with the lab's private CA, and password authentication.
        &format!(
            "host = \"127.0.0.1\"\nport = {SMTP}\ntls = \"starttls\"\nca_file = \"{LAB_DIR}/tls/ca.pem\"\n\
             username = \"{secretariat}@ctc.test\"\npassword_env = \"NEEDSD_SMTP_PASSWORD\"\n\
             rate_per_minute = 6000"
        ),
    ));
    let people = respondents(&tag);
    p.load(&contacts_csv(&people), MATRIX);
    let cycle = next_cycle();

    let out = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(out["opened"], true);
    assert_eq!(out["enqueued"], 12);
    assert_eq!(out["send"]["sent"], 12, "{out}");
    assert_eq!(out["send"]["failed"], 0);

    let contacts = p.json(&["contacts", "list", "--json"]);
    let id_of: HashMap<String, i64> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap().to_string(),
                c["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut tokens = Vec::new();
    for (party, email, lang) in &people {
        let got = wait_for_mail(email, 1, 10);
        assert_eq!(got.len(), 1, "{email} got {} messages", got.len());
        let m = parse(&got[0]);
        let subject = m.subject().unwrap_or("");
        assert!(
            subject.starts_with(&format!("[Matrix of Needs {cycle}]")),
            "{subject}"
        );
        let id = id_of[email.as_str()];
        // Deterministic, and with a MAC under the token secret that nobody can guess.
        let message_id = header(&m, "Message-ID");
        let prefix = format!("<{cycle}.circulation.{id}.{cycle}-01.");
        assert!(message_id.starts_with(&prefix), "{message_id}");
        let mac = message_id[prefix.len()..].trim_end_matches("@ctc.test>");
        assert!(
            mac.len() == 12 && mac.chars().all(|c| c.is_ascii_hexdigit()),
            "{message_id}"
        );
        // Reply-To and the envelope sender (Return-Path, as delivered) carry the token.
        let reply_to = header(&m, "Reply-To");
        let token = reply_to
            .split(&format!("{secretariat}+"))
            .nth(1)
            .and_then(|r| r.split('@').next())
            .unwrap_or_else(|| panic!("no token in Reply-To: {reply_to}"))
            .to_string();
        assert_eq!(token.len(), 20);
        assert_eq!(
            header(&m, "Return-Path"),
            format!("<{secretariat}+bounce-{token}@ctc.test>")
        );
        tokens.push(token.clone());
        // The text is in the contact's language, with an HTML alternative.
        let text = m.body_text(0).unwrap_or_default();
        let greeting = match *lang {
            "fr" => "Madame, Monsieur,",
            "es" => "Estimado/a",
            "ru" => "Уважаемый(ая) Focal Point",
            "zh" => "尊敬的Focal Point",
            "ar" => "السيد/السيدة Focal Point",
            _ => "Dear Focal Point",
        };
        assert!(text.contains(greeting), "{lang}: {text}");
        assert!(m.body_html(0).is_some_and(|h| h.contains("<strong>")));
        // The attachment is byte for byte what `matrix export` gives for this recipient.
        let attachment = m.attachments().next().expect("a workbook attached");
        assert_eq!(
            attachment.attachment_name(),
            Some(format!("Matrix of Needs {cycle} {party}.xlsx").as_str())
        );
        let file = format!("{party}.xlsx");
        p.ok(&[
            "matrix",
            "export",
            "--out",
            &file,
            "--cycle",
            &cycle,
            "--recipient",
            email,
        ]);
        let exported = std::fs::read(p.path(&file)).unwrap();
        assert!(
            attachment.contents() == exported.as_slice(),
            "{email}: the attachment differs from matrix export"
        );
        // And it names its recipient: `check` reads the stamp back.
        let checked = p.json(&["check", &file, "--json"]);
        assert_eq!(checked["stamp"]["token"], token.as_str());
        assert_eq!(checked["stamp"]["party"], *party);
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 12, "every recipient has their own token");

    // Running it again sends nothing more.
    let again = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(again["opened"], false);
    assert_eq!(again["enqueued"], 0);
    assert_eq!(again["send"]["sent"], 0);

    // A contact added afterwards gets the circulation on the next run, and only they do.
    let late = format!("late-{tag}@resp.test");
    p.write(
        "late.csv",
        &format!("party,name,email,receives_matrix\nKEN,Late Comer,{late},yes\n"),
    );
    p.ok(&["contacts", "import", "late.csv"]);
    let third = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(third["enqueued"], 1);
    assert_eq!(third["send"]["sent"], 1);
    assert_eq!(wait_for_mail(&late, 1, 10).len(), 1);
    for (_, email, _) in &people {
        send_marker(email, &format!("marker-{tag}"));
        let got = wait_for_mail(email, 2, 10);
        assert_eq!(got.len(), 2, "{email} got a second circulation");
    }

    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["recipients"], 13);
    assert_eq!(status["sent"], 13);
    assert_eq!(status["failed"], 0);
    assert_eq!(status["state"], "collecting");
}

#[test]
fn a_refused_address_fails_with_the_servers_words_and_the_rest_still_go() {
    maillab();
    let tag = unique("f");
    let secretariat = format!("needs-{tag}");
    // Implicit TLS this time.
    let p = Project::new(&smtp_config(
        &secretariat,
        &format!(
            "host = \"127.0.0.1\"\nport = {SMTPS}\ntls = \"tls\"\nca_file = \"{LAB_DIR}/tls/ca.pem\"\n\
             rate_per_minute = 6000"
        ),
    ));
    let good = [format!("a-{tag}@resp.test"), format!("b-{tag}@resp.test")];
    let bad = format!("gone-{tag}@nowhere.invalid");
    p.load(
        &format!(
            "party,name,email,receives_matrix\nKEN,A,{},yes\nKEN,Gone,{bad},yes\nSEN,B,{},yes\n",
            good[0], good[1]
        ),
        MATRIX,
    );
    let cycle = next_cycle();
    let out = p.run(&["dispatch", "--cycle", &cycle]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cycle status"), "{stderr}");
    for g in &good {
        assert_eq!(wait_for_mail(g, 1, 10).len(), 1);
    }
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["sent"], 2);
    assert_eq!(status["failed"], 1);
    let failure = &status["failures"][0];
    assert_eq!(failure["email"], bad.as_str());
    assert_eq!(failure["party"], "KEN");
    let said = failure["error"].as_str().unwrap();
    assert!(said.contains("550") && said.contains("5.1.1"), "{said}");
    assert!(said.contains("no such mailbox"), "{said}");
    let human = p.ok(&["cycle", "status", &cycle]);
    assert!(
        human.contains(&bad) && human.contains("no such mailbox"),
        "{human}"
    );
    // The refusal marks the contact as bouncing, as a bounce message will.
    let contacts = p.json(&["contacts", "list", "--json"]);
    for c in contacts.as_array().unwrap() {
        assert_eq!(c["bouncing"], c["email"] == bad.as_str(), "{c}");
    }
    // A failed message is not retried by the next run.
    let again = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(again["send"]["sent"], 0);
    assert_eq!(again["send"]["failed"], 0);
}

#[test]
fn a_deferral_is_retried_on_a_fresh_connection_after_the_server_dropped_the_idle_one() {
    maillab();
    let tag = unique("g");
    let secretariat = format!("needs-{tag}");
    // The lab's second listener drops a connection after 2 idle seconds. The greylisted
    // recipient comes first and is deferred (lettre closes a connection after a 4xx); the
    // plain one goes on a new connection, which then idles in the pool until the retry
    // 4 s later finds it closed by the server.
    let p = Project::new(&smtp_config(
        &secretariat,
        &format!(
            "host = \"127.0.0.1\"\nport = {SMTP_IDLE}\ntls = \"none\"\nrate_per_minute = 6000\n\
             max_connections = 1\nretry_seconds = 4"
        ),
    ));
    let plain = format!("p-{tag}@resp.test");
    let grey = format!("g-{tag}@greylist.test");
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,G,{grey},yes\nSEN,P,{plain},yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    let log_path = format!("{LAB_DIR}/log/postfix.log");
    let log_before = std::fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0) as usize;
    let out = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(out["send"]["sent"], 2, "{out}");
    // One deferral: the greylisting. A dead pooled connection must not cost another.
    assert_eq!(out["send"]["deferred"], 1, "{out}");
    assert_eq!(out["send"]["failed"], 0);
    assert_eq!(wait_for_mail(&grey, 1, 10).len(), 1);
    assert_eq!(wait_for_mail(&plain, 1, 10).len(), 1);
    // Only this test uses the idle-dropping listener, which logs as postfix-idle.
    let log = std::fs::read(&log_path).unwrap_or_default();
    let log = String::from_utf8_lossy(log.get(log_before..).unwrap_or_default());
    assert!(
        log.lines()
            .any(|l| l.contains("postfix-idle/smtpd") && l.contains("timeout after")),
        "the lab never dropped an idle connection, so this test proved nothing"
    );
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["sent"], 2);
}

/// Kills `needsd dispatch` with SIGKILL at several moments of a 300-recipient dispatch and
/// runs it again each time: in the end every recipient has the circulation, and the only
/// repeats are messages in flight at a kill, with the same Message-ID.
#[test]
fn sigkill_at_any_moment_loses_nothing_and_repeats_only_in_flight_messages() {
    maillab();
    const N: usize = 300;
    const CONNECTIONS: usize = 3;
    let tag = unique("k");
    let secretariat = format!("needs-{tag}");
    let p = Project::new(&smtp_config(
        &secretariat,
        &format!(
            "host = \"127.0.0.1\"\nport = {SMTP}\ntls = \"none\"\nrate_per_minute = 6000\n\
             max_connections = {CONNECTIONS}"
        ),
    ));
    // Every recipient is a plus-address of one mailbox, so one IMAP read sees them all.
    let mailbox_user = format!("k-{tag}@resp.test");
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for i in 0..N {
        csv.push_str(&format!("KEN,R {i},k-{tag}+{i:03}@resp.test,yes\n"));
    }
    p.load(&csv, MATRIX);
    let cycle = next_cycle();

    // Kill while the outbox is being built, then at about 60 and 180 messages delivered
    // (100 a second at most, so that the kills land while it sends).
    let kills = [None, Some(60), Some(180)]
        .into_iter()
        .filter(|threshold| {
            let spawned = Instant::now();
            p.kill_when(&["dispatch", "--cycle", &cycle], || match threshold {
                None => spawned.elapsed() >= Duration::from_millis(40),
                Some(n) => mailbox(&mailbox_user).len() >= *n,
            })
        })
        .count();
    assert!(
        kills >= 2,
        "dispatch finished before most kills; the test proved little"
    );
    let last = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(last["send"]["failed"], 0);

    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["sent"], N as i64, "{status}");
    assert_eq!(status["queued"], 0);
    assert_eq!(status["sending"], 0);
    let sent_total = N;

    send_marker(&mailbox_user, &format!("marker-{tag}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let all = loop {
        let got = mailbox(&mailbox_user);
        let marker = got
            .iter()
            .any(|m| parse(m).subject() == Some(format!("marker-{tag}").as_str()));
        if marker && got.len() > sent_total {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} messages arrived",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let repeats = repeats_per_recipient(&all, N);
    eprintln!(
        "{kills} kills, {repeats} repeated messages, {} delivered",
        all.len() - 1
    );
    // At most one message per connection was in flight at each kill.
    assert!(
        repeats <= kills * CONNECTIONS,
        "{repeats} repeats after {kills} kills with {CONNECTIONS} connections"
    );
}

#[test]
fn xoauth2_takes_its_token_from_a_command_and_a_refused_login_sends_nothing() {
    maillab();
    let tag = unique("o");
    let secretariat = format!("needs-{tag}");
    // The lab's Dovecot checks an XOAUTH2 bearer token like a password.
    let config = |command: &str| {
        smtp_config(
            &secretariat,
            &format!(
                "host = \"127.0.0.1\"\nport = {SMTP}\ntls = \"starttls\"\nca_file = \"{LAB_DIR}/tls/ca.pem\"\n\
                 username = \"{secretariat}@ctc.test\"\ntoken_command = \"{command}\"\nrate_per_minute = 6000"
            ),
        )
    };
    let p = Project::new(&config("printf wrong"));
    let to = format!("x-{tag}@resp.test");
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,X,{to},yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    let refused = p.run(&["dispatch", "--cycle", &cycle]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("refused needsd's login"), "{said}");
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["queued"], 1, "the message waits: {status}");
    assert_eq!(status["failed"], 0);

    // A token command that fails says so.
    p.write("needsd.toml", &config("echo no token >&2; exit 3"));
    let broken = p.run(&["dispatch", "--cycle", &cycle]);
    assert_eq!(broken.status.code(), Some(1));
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains("token_command") && said.contains("no token"),
        "{said}"
    );

    // With the right token the same message goes.
    p.write("needsd.toml", &config("printf lab"));
    let out = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(out["send"]["sent"], 1, "{out}");
    assert_eq!(wait_for_mail(&to, 1, 10).len(), 1);
}
