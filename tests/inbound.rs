//! Ingestion over real IMAP (the lab's Dovecot) and from a Maildir: every message stored
//! exactly once, then moved out of the inbox; kills, copies and UIDVALIDITY changes.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod common;

use std::time::{Duration, Instant};

use common::*;

fn inbox_rows(p: &Project) -> i64 {
    let store = store(p);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(store.inbox_count())
        .unwrap()
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

    // A message copied back into the inbox (someone dragged it there) is not stored twice.
    s.append("INBOX", &message(2, &tag)).finish().unwrap();
    let copy = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(copy["fetched"], 1, "{copy}");
    assert_eq!(copy["stored"], 0);
    assert_eq!(copy["known"], 1);
    assert_eq!(count(&user, "INBOX"), 0);
    assert_eq!(inbox_rows(&p), 5);
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
    let mut kills = 0;
    for threshold in [60, 180] {
        let mut child = p
            .command(&["ingest", "--once"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while count(&user, "Processed") < threshold && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
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
}
