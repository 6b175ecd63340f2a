//! Two `needsd run` on one PostgreSQL, as two machines would run them: both serve the
//! review UI, one leads (runs the scheduler, the inbox watcher and the sender). The
//! leader is killed with SIGKILL in the middle of a dispatch and in the middle of an
//! ingest: the other takes over within `daemon.failover_seconds`, nobody is missed,
//! nothing is stored twice, and the only repeats are messages in flight at the kill,
//! with their Message-ID.

use std::time::{Duration, Instant};

use crate::common::review::MATRIX;
use crate::common::*;

/// How long a leader may be gone before another takes over, in these tests.
const FAILOVER_SECONDS: u64 = 3;

/// A project on a new database in the PostgreSQL lab, sending through the mail lab and
/// reading `needs-TAG@ctc.test` over IMAP every second. Its dispatch fires every day at
/// the minute two minutes ago, whatever today is: the first leader catches today's up at
/// start, once. Nothing else is scheduled before the year 2100.
/// Returns the project and the cycle that dispatch opens.
fn project(tag: &str) -> (Project, String) {
    maillab();
    let url = pglab();
    let (schedule, cycle) = dispatch_caught_up_at_start();
    // 20 messages a second: the kill lands in the middle of a dispatch on any machine.
    let config = lab_daemon_config(&format!("needs-{tag}"))
        .replace("sqlite://data/needsd.db", &url)
        .replace("rate_per_minute = 6000", "rate_per_minute = 1200")
        .replace(
            "[mail]",
            &format!("{schedule}\n[daemon]\nfailover_seconds = {FAILOVER_SECONDS}\n[mail]"),
        );
    (Project::new(&config), cycle)
}

/// Starts two daemons; returns them leader first, once one leads and the other says
/// who does.
fn pair(p: &Project) -> (Running, Running) {
    let a = Running::start(p, "a");
    eventually("a daemon leads", 30, || a.leads());
    let b = Running::start(p, "b");
    eventually("the second daemon answers and names the leader", 30, || {
        b.healthz().is_some_and(|h| {
            h.starts_with("HTTP/1.1 200") && h.contains("leader: ") && !h.contains("this daemon")
        })
    });
    // Its metrics say it follows, and which daemon leads (web address and all).
    let metrics = http_get(&b.addr, "/metrics").expect("the follower answers");
    assert!(metrics.contains("\nneedsd_leading 0\n"), "{metrics}");
    assert!(
        metrics.contains(&format!("listen=\"{}\"", a.addr)),
        "the leader named: {metrics}"
    );
    let leader = http_get(&a.addr, "/metrics").expect("the leader answers");
    assert!(leader.contains("\nneedsd_leading 1\n"), "{leader}");
    (a, b)
}

/// Waits for `b` to lead after `a` was killed; returns how long that took.
fn takeover(b: &Running, killed: Instant) -> Duration {
    eventually("the other daemon takes the lead", 60, || b.leads());
    killed.elapsed()
}

#[test]
fn the_leader_killed_during_a_dispatch_is_replaced_and_nobody_is_missed() {
    const N: usize = 200;
    let tag = unique("fo");
    let (p, cycle) = project(&tag);
    let user = format!("fo-{tag}@resp.test");
    p.load(&plus_recipients(&format!("fo-{tag}"), N), MATRIX);

    let (mut a, b) = pair(&p);
    // Killed once the circulation is on its way but not all delivered.
    eventually("a part of the circulation delivered", 60, || {
        count(&user, "INBOX") >= 40
    });
    let killed = Instant::now();
    a.kill();
    let delivered_at_kill = count(&user, "INBOX") as usize;
    let took = takeover(&b, killed);
    eprintln!("failover after a kill during a dispatch: {took:?}");
    assert!(
        took <= Duration::from_secs(FAILOVER_SECONDS + 2),
        "the takeover took {took:?}"
    );
    assert!(
        delivered_at_kill < N,
        "the dispatch had finished before the kill; the test proved nothing"
    );

    // Everything recorded sent, then a marker behind it: all that was sent has arrived.
    eventually("every circulation recorded sent", 120, || {
        p.json(&["cycle", "status", &cycle, "--json"])["sent"] == N as i64
    });
    send_marker(&user, &format!("marker-{tag}"));
    let mut all = Vec::new();
    eventually("the marker arrives", 60, || {
        all = mailbox(&user);
        all.iter()
            .any(|m| parse(m).subject() == Some(format!("marker-{tag}").as_str()))
    });
    let repeats = repeats_per_recipient(&all, N);
    eprintln!("{repeats} repeated messages after the kill");
    let connections = 4;
    assert!(repeats <= connections, "{repeats} repeats after one kill");
    // The cycle was dispatched once, by whichever daemon led.
    assert_eq!(job_runs(&p, "dispatch").len(), 1);
    b.stop();
}

#[test]
fn the_leader_killed_during_an_ingest_is_replaced_and_nothing_is_stored_twice() {
    const N: usize = 150;
    let tag = unique("fi");
    let (p, _) = project(&tag);
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Wanjiru,ken-{tag}@resp.test,yes\n"),
        MATRIX,
    );
    let inbox = format!("needs-{tag}@ctc.test");
    let (mut a, b) = pair(&p);
    wait_for_mail(&format!("ken-{tag}@resp.test"), 1, 60);
    // Replies arrive while the leader reads them, 25 a second: the last come seconds
    // after the kill on any machine.
    let sending = {
        let tag = format!("fi-{tag}");
        send_paced(SMTP, &inbox, N, 25, move |i| {
            (format!("someone{i}@resp.test"), message(i, &tag))
        })
    };
    eventually("a part of the inbox stored", 60, || inbox_rows(&p) >= 30);
    let killed = Instant::now();
    a.kill();
    let stored_at_kill = inbox_rows(&p);
    let took = takeover(&b, killed);
    eprintln!("failover after a kill during an ingest: {took:?}");
    assert!(
        took <= Duration::from_secs(FAILOVER_SECONDS + 2),
        "the takeover took {took:?}"
    );
    assert!(
        (stored_at_kill as usize) < N,
        "the ingest had finished before the kill; the test proved nothing"
    );
    sending.join().expect("every reply sent");
    eventually("every reply stored", 120, || inbox_rows(&p) as usize >= N);
    // Once each: the messages' Message-IDs are distinct, and so are their rows.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(inbox_rows(&p) as usize, N);
    b.stop();
}

#[test]
fn two_senders_at_once_never_send_one_message_twice() {
    const N: usize = 150;
    let tag = unique("two");
    let (p, cycle) = project(&tag);
    let user = format!("two-{tag}@resp.test");
    p.load(&plus_recipients(&format!("two-{tag}"), N), MATRIX);
    // Two dispatches of one cycle at once, each sending the whole outbox as it can.
    let spawn = || {
        p.command(&["dispatch", "--cycle", &cycle, "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("needsd dispatch")
    };
    let (a, b) = (spawn(), spawn());
    let sent: i64 = [a, b]
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            report["send"]["sent"].as_i64().unwrap()
        })
        .sum();
    assert_eq!(sent, N as i64, "between them, each message sent once");
    send_marker(&user, &format!("marker-{tag}"));
    let mut all = Vec::new();
    eventually("the marker arrives", 60, || {
        all = mailbox(&user);
        all.iter()
            .any(|m| parse(m).subject() == Some(format!("marker-{tag}").as_str()))
    });
    assert_eq!(all.len(), N + 1, "each recipient once, and the marker");
}
