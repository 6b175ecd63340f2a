//! The daemon over a whole month, against the mail lab, in seconds: a test clock moves
//! through March 2027 (daylight saving time starts in New York on the 14th) while the
//! daemon's scheduler, inbox watcher and sender run for real.

use std::sync::Arc;

use crate::common::*;
use needsd::clock::TestClock;

const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status\n\
MN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Open\n\
MN-00002,SEN,POL,Contrôle des frontières terrestres,High,Open\n";

/// A lab project for the daemon: absolute paths (the daemon runs inside this test
/// process, whose working directory is not the project's), its own experts' mailbox, the
/// web server on a free port.
struct Month {
    p: Project,
    cfg: Arc<needsd::config::Config>,
    experts: String,
    /// A second expert, who reads French.
    expert_fr: String,
    /// KEN, SEN and UNODC's focal points.
    ken: String,
    sen: String,
    unodc: String,
}

fn month(tag: &str) -> Month {
    maillab();
    let secretariat = format!("needs-{tag}");
    let experts = format!("experts-{tag}@ctc.test");
    let expert_fr = format!("expert-fr-{tag}@ctc.test");
    let config = lab_daemon_config(&secretariat).replace(
        "experts = [\"experts@ctc.test\"]",
        &format!("experts = [\"{experts}\", {{ address = \"{expert_fr}\", language = \"fr\" }}]"),
    );
    let p = Project::new(&config);
    let (ken, sen, unodc) = (
        format!("ken-{tag}@resp.test"),
        format!("sen-{tag}@resp.test"),
        format!("unodc-{tag}@resp.test"),
    );
    p.load(
        &format!(
            "party,name,email,language,receives_matrix\nKEN,Wanjiru,{ken},en,yes\n\
             SEN,Awa,{sen},fr,yes\nUNODC,Pat,{unodc},en,yes\n"
        ),
        MATRIX,
    );
    let cfg = p.in_process_config();
    Month {
        p,
        cfg,
        experts,
        expert_fr,
        ken,
        sen,
        unodc,
    }
}

fn subjects(user: &str) -> Vec<String> {
    mailbox(user)
        .iter()
        .map(|m| parse(m).subject().unwrap_or_default().to_string())
        .collect()
}

/// Sent messages of `kind` in the outbox, by recipient.
fn sent(p: &Project, kind: &str) -> Vec<String> {
    let mut v: Vec<String> = outbox_rows(p)
        .into_iter()
        .filter(|r| r.kind == kind && r.state == "sent")
        .map(|r| r.recipient)
        .collect();
    v.sort();
    v
}

#[test]
fn a_month_dispatch_replies_reminders_alert_and_digest() {
    let tag = unique("month");
    let m = month(&tag);
    // A one-off obligation due on the 16th, its owner alerted the day before and on the day.
    let owner = format!("owner-{tag}@ctc.test");
    m.p.ok(&[
        "deadline",
        "add",
        "Report on the implementation of resolution 1373",
        "--due",
        "2027-03-16",
        "--owner",
        &owner,
        "--alert-days",
        "1,0",
    ]);
    let listed = m.p.json(&["deadline", "list", "--json"]);
    assert_eq!(
        listed[0]["alert_days"],
        serde_json::json!([1, 0]),
        "{listed}"
    );
    let clock = Arc::new(TestClock::new(at("2027-02-28T17:00:00Z")));
    let d = Daemon::start(&m.cfg, clock.clone());
    let health = d.get("/healthz");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\r\n\r\nok\n"),
        "{health}"
    );

    // The 1st, 09:00 New York time: the circulation.
    clock.set(at("2027-03-01T14:00:00Z"));
    for who in [&m.ken, &m.sen, &m.unodc] {
        wait_for_mail(who, 1, 30);
    }
    assert_eq!(job_runs(&m.p, "dispatch").len(), 1);

    // Kenya sends its workbook back; Senegal writes that nothing changes; UNODC is silent.
    let (reply_to, id, workbook) = circulation(&m.ken);
    send_raw(
        &m.ken,
        &reply_to,
        &reply_with_attachment(&m.ken, &reply_to, &id, "Matrix.xlsx", &workbook),
    );
    let (reply_to, id, _) = circulation(&m.sen);
    let text = format!(
        "From: {}\r\nTo: {reply_to}\r\nSubject: Re: Matrice\r\nIn-Reply-To: {id}\r\n\
         Message-ID: <{tag}-sen@resp.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Aucun changement ce mois-ci.\r\n",
        m.sen
    );
    send_raw(&m.sen, &reply_to, text.as_bytes());
    eventually("both replies are submissions", 60, || {
        submissions(&m.p).len() == 2
    });
    // Each got a receipt.
    wait_for_mail(&m.ken, 2, 30);
    wait_for_mail(&m.sen, 2, 30);

    // The 8th and the 13th: reminders, to UNODC only.
    clock.set(at("2027-03-08T14:00:00Z"));
    eventually("the reminder of the 8th reached UNODC", 30, || {
        subjects(&m.unodc).iter().any(|s| s.contains("Reminder"))
    });
    assert_eq!(sent(&m.p, "reminder"), [m.unodc.as_str()]);
    clock.set(at("2027-03-13T14:00:00Z"));
    eventually("the reminder of the 13th reached UNODC", 30, || {
        sent(&m.p, "reminder").len() == 2
    });
    assert_eq!(sent(&m.p, "reminder"), [m.unodc.as_str(), m.unodc.as_str()]);

    // The 15th, 09:00 — now daylight time, 13:00 UTC: "today is the deadline".
    clock.set(at("2027-03-15T13:00:00Z"));
    eventually("the deadline alert reached UNODC", 30, || {
        subjects(&m.unodc)
            .iter()
            .any(|s| s.contains("Today is the deadline"))
    });
    assert_eq!(sent(&m.p, "deadline_alert"), [m.unodc.as_str()]);

    // The 16th: the digest to the experts says who answered and who did not.
    clock.set(at("2027-03-16T13:00:00Z"));
    let digest = wait_for_mail(&m.experts, 1, 30).remove(0);
    let digest = parse(&digest);
    assert_eq!(
        digest.subject().unwrap(),
        "[Matrix of Needs 2027-03] Digest: 2 of 3 answered, 0 awaiting review"
    );
    let body = digest.body_text(0).unwrap();
    assert!(body.contains("Not answered (1):"), "{body}");
    assert!(body.contains("(UNODC)"), "{body}");
    assert!(!body.contains("(KEN)") && !body.contains("(SEN)"), "{body}");
    // The expert who reads French gets the same digest in French.
    let french = wait_for_mail(&m.expert_fr, 1, 30).remove(0);
    let digest = parse(&french);
    assert_eq!(
        digest.subject().unwrap(),
        "[Matrix of Needs 2027-03] Synthèse : 2 réponses sur 3, 0 en attente d'examen"
    );
    let body = digest.body_text(0).unwrap();
    assert!(
        body.contains("Sans réponse (1) :") && body.contains("(UNODC)"),
        "{body}"
    );

    // Both deadline alerts are recorded sent before the clock jumps two weeks: a message
    // still being sent across such a jump outlives its lease and is sent again (with the
    // same Message-ID, as after a kill), which is not what this test is about.
    eventually("both deadline alerts are recorded sent", 30, || {
        sent(&m.p, "deadline").len() == 2
    });
    // Two days before April's circulation nothing awaits review (Kenya's workbook had
    // no changes): no alert.
    clock.set(at("2027-03-30T13:00:00Z"));
    eventually("the review alert job of the 30th ran", 30, || {
        job_runs(&m.p, "review_alert")
            .iter()
            .any(|(k, o)| k == "2027-03-30T09:00:00" && o.is_some())
    });
    let (_, outcome) = job_runs(&m.p, "review_alert").remove(0);
    assert!(
        outcome
            .as_deref()
            .is_some_and(|o| o.contains("nothing awaits review")),
        "{outcome:?}"
    );

    // The deadline's owner was alerted on the 15th and the 16th, once each.
    wait_for_mail(&owner, 2, 30);
    assert_eq!(
        subjects(&owner),
        [
            "[Matrix of Needs] Due tomorrow: Report on the implementation of resolution 1373",
            "[Matrix of Needs] Due today: Report on the implementation of resolution 1373"
        ]
    );

    // Nobody who answered was ever reminded, and every job ran once.
    assert_eq!(subjects(&m.ken).len(), 2, "{:?}", subjects(&m.ken));
    assert_eq!(subjects(&m.sen).len(), 2, "{:?}", subjects(&m.sen));
    for (job, runs) in [
        ("dispatch", 1),
        ("reminder", 2),
        ("deadline_alert", 1),
        ("digest", 2), // February's (nothing circulated: nothing sent) and March's
    ] {
        assert_eq!(
            job_runs(&m.p, job).len(),
            runs,
            "{job}: {:?}",
            job_runs(&m.p, job)
        );
    }
    let metrics = d.get("/metrics");
    assert!(metrics.contains("needsd_messages_sent_total "), "{metrics}");
    assert!(
        metrics.contains("needsd_submissions_pending 0"),
        "{metrics}"
    );

    // A restart on the same day repeats nothing.
    let before = outbox_rows(&m.p).len();
    d.stop();
    let d = Daemon::start(&m.cfg, clock.clone());
    d.wait_for_scheduler();
    assert_eq!(outbox_rows(&m.p).len(), before);
    assert_eq!(job_runs(&m.p, "digest").len(), 2);
    assert_eq!(mailbox(&m.experts).len(), 1);
    d.stop();
}

#[test]
fn a_dispatch_missed_while_down_runs_once_at_start_and_a_second_daemon_is_refused() {
    let tag = unique("catch");
    let m = month(&tag);
    let clock = Arc::new(TestClock::new(at("2027-03-31T20:00:00Z")));
    let d = Daemon::start(&m.cfg, clock.clone());
    // A second daemon on the same database is refused, saying who holds it.
    let second = m.p.run(&["run"]);
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another needsd is already running"), "{err}");
    d.stop();

    // Down over the 1st and the 8th of April; back on the 8th at 11:00.
    clock.set(at("2027-04-08T15:00:00Z"));
    let d = Daemon::start(&m.cfg, clock.clone());
    for who in [&m.ken, &m.sen, &m.unodc] {
        wait_for_mail(who, 1, 30);
    }
    assert_eq!(
        job_runs(&m.p, "dispatch")
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        ["2027-04-01T09:00:00"]
    );
    // Today's reminder was due at 09:00, before this circulation: nobody gets both
    // within minutes. March's reminders were not caught up at all: not their day.
    let reminders = job_runs(&m.p, "reminder");
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0].0, "2027-04-08T09:00:00");
    assert!(
        reminders[0]
            .1
            .as_deref()
            .is_some_and(|o| o.contains("circulated after")),
        "{reminders:?}"
    );
    d.stop();

    // Started again: the circulation is not sent twice.
    let d = Daemon::start(&m.cfg, clock.clone());
    d.wait_for_scheduler();
    d.stop();
    assert_eq!(sent(&m.p, "circulation").len(), 3);
    for who in [&m.ken, &m.sen, &m.unodc] {
        assert_eq!(mailbox(who).len(), 1);
    }
}

#[test]
fn needsd_run_looks_at_the_inbox_at_each_poll_and_reports_it_in_metrics() {
    use std::io::BufRead;
    maillab();
    let tag = unique("poll");
    let user = format!("needs-{tag}@ctc.test");
    let p = Project::new(
        &config_with(
            &format!("needs-{tag}"),
            "[outbox]\ndir = \"data/outbox\"",
            &format!(
                "{}\n[web]\nlisten = \"127.0.0.1:0\"",
                imap_section(&user, "INBOX")
            ),
        )
        .replace("[mail]", "[schedule]\ninbox_poll = \"* * * * * *\"\n[mail]"),
    );
    let mut child = p
        .command(&["run"])
        .env("NEEDSD_LOG", "needsd::daemon=info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "needsd run ended");
        if let Some(i) = line.find("listen=") {
            break line[i + 7..]
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                .next()
                .unwrap()
                .to_string();
        }
    };
    let polls = || -> u64 {
        let out = http_get(&addr, "/metrics").expect("needsd run answers");
        out.lines()
            .find_map(|l| l.strip_prefix("needsd_inbox_polls_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    // Polled every second, IDLE or not: an IDLE never outlives its poll.
    eventually("three inbox passes", 20, || polls() >= 3);
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.wait().unwrap().success());
}
