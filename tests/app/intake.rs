//! Reading replies from a Maildir with `needsd ingest --once`: what passes for a party and
//! what waits in quarantine, and what is a copy. No mail server: the circulation is read
//! from the file outbox.

use crate::common::review::{MATRIX, circulation_file, deliver_to_maildir};
use crate::common::*;

/// A project on database `db` that writes mail to files and reads the Maildir
/// `data/inbox`, as `needs-TAG@ctc.test`; `mail_extra` goes into its `[mail]` section.
fn file_project_on(db: Db, tag: &str, mail_extra: &str) -> (Project, String, String) {
    let secretariat = format!("needs-{tag}");
    let user = format!("{secretariat}@ctc.test");
    let config = config_with(
        &secretariat,
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    )
    .replace(
        "token_secret_env",
        &format!("{mail_extra}\ntoken_secret_env"),
    );
    let config = match db {
        Db::Sqlite => config,
        Db::Postgres => config.replace("sqlite://data/needsd.db", &pglab()),
    };
    (Project::new(&config), secretariat, user)
}

/// Delivers `raw` to the project's Maildir.
fn deliver(p: &Project, raw: &[u8]) {
    deliver_to_maildir(&p.path("data/inbox"), raw);
}

#[test]
fn a_made_up_token_or_a_failed_dmarc_verdict_waits_in_quarantine() {
    a_made_up_token_or_a_failed_dmarc_verdict_waits_in_quarantine_on(Db::Sqlite);
}

#[test]
fn a_made_up_token_or_a_failed_dmarc_verdict_waits_in_quarantine_on_postgres() {
    a_made_up_token_or_a_failed_dmarc_verdict_waits_in_quarantine_on(Db::Postgres);
}

fn a_made_up_token_or_a_failed_dmarc_verdict_waits_in_quarantine_on(db: Db) {
    let tag = unique("q");
    // Our receiving server is "mx.ctc.test": only its Authentication-Results count.
    let (p, secretariat, user) = file_project_on(db, &tag, "authserv_id = \"mx.ctc.test\"");
    let grace = format!("grace-{tag}@resp.test");
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Grace,{grace},yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);
    let (_, id, _) = circulation_file(&p, &grace);
    let text = |to: &str, extra: &str, n: usize| {
        format!(
            "From: {grace}\r\nTo: {to}\r\nSubject: Re: Matrix\r\nIn-Reply-To: {id}\r\n{extra}\
             Message-ID: <{tag}-{n}@resp.test>\r\n\r\nNo changes.\r\n"
        )
    };
    // A reply address with a token needsd never issued.
    let forged = format!("{secretariat}+0123456789abcdef0123@ctc.test");
    deliver(&p, text(&forged, "", 1).as_bytes());
    // DMARC failed at our own server; a pass written by another server does not count.
    let failed = "Authentication-Results: elsewhere.test; dmarc=pass\r\n\
                  Authentication-Results: mx.ctc.test; spf=fail; dmarc=fail (p=reject)\r\n";
    deliver(&p, text(&user, failed, 2).as_bytes());
    // And an honest one, for contrast.
    let passed = "Authentication-Results: mx.ctc.test; dmarc=pass\r\n";
    deliver(&p, text(&user, passed, 3).as_bytes());
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["replies"], 3, "{out}");
    assert_eq!(out["quarantined"], 2, "{out}");
    let subs = submissions(&p);
    let notes: Vec<_> = subs
        .iter()
        .map(|s| (s.state.as_str(), s.note.clone().unwrap_or_default()))
        .collect();
    assert!(
        notes
            .iter()
            .any(|(st, n)| *st == "quarantined" && n.contains("never issued")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|(st, n)| *st == "quarantined" && n.contains("DMARC failed")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|(st, _)| *st == "no_changes"), "{notes:?}");
}

#[test]
fn a_message_id_used_again_by_another_message_is_not_a_copy() {
    a_message_id_used_again_by_another_message_is_not_a_copy_on(Db::Sqlite);
}

#[test]
fn a_message_id_used_again_by_another_message_is_not_a_copy_on_postgres() {
    a_message_id_used_again_by_another_message_is_not_a_copy_on(Db::Postgres);
}

fn a_message_id_used_again_by_another_message_is_not_a_copy_on(db: Db) {
    let tag = unique("mid");
    let (p, _, user) = file_project_on(db, &tag, "");
    let grace = format!("grace-{tag}@resp.test");
    p.load(
        &format!("party,name,email,receives_matrix\nKEN,Grace,{grace},yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    p.ok(&["dispatch", "--cycle", &cycle]);
    let (to, id, workbook) = circulation_file(&p, &grace);
    let file = p.path("grace.xlsx");
    std::fs::write(&file, &workbook).unwrap();
    edit_workbook(&file, &[("MN-00001", "Status", "Met")]);
    let edited = std::fs::read(&file).unwrap();
    let message_id = format!("<same-{tag}@resp.test>");
    let with_id = |raw: Vec<u8>| {
        let text = String::from_utf8(raw).unwrap();
        let start = text.find("Message-ID: ").unwrap();
        let end = start + text[start..].find("\r\n").unwrap();
        format!("{}Message-ID: {message_id}{}", &text[..start], &text[end..]).into_bytes()
    };
    // Grace's reply, delivered twice (to the token address and to the plain one): a copy.
    let genuine = with_id(reply_with_attachment(
        &grace,
        &to,
        &id,
        "Matrix.xlsx",
        &edited,
    ));
    // Each delivery adds its own Delivered-To, as a delivery agent does: the bytes differ.
    for rcpt in [&to, &user] {
        let delivered = [format!("Delivered-To: {rcpt}\r\n").as_bytes(), &genuine].concat();
        deliver(&p, &delivered);
    }
    // A stranger reuses its Message-ID with the same workbook; Grace herself sends
    // another workbook under the same Message-ID. Neither is a copy of the first.
    let stranger = format!("mallory-{tag}@elsewhere.test");
    deliver(
        &p,
        &with_id(reply_with_attachment(
            &stranger,
            &to,
            &id,
            "Matrix.xlsx",
            &edited,
        )),
    );
    edit_workbook(&file, &[("MN-00001", "Notes", "Second thoughts")]);
    let again = std::fs::read(&file).unwrap();
    deliver(
        &p,
        &with_id(reply_with_attachment(
            &grace,
            &to,
            &id,
            "Matrix.xlsx",
            &again,
        )),
    );

    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["stored"], 4, "{out}");
    assert_eq!(
        out["submissions"], 3,
        "the two deliveries of one reply make one submission; the others their own: {out}"
    );
    assert_eq!(out["quarantined"], 1, "{out}");
    let subs = submissions(&p);
    let from = |who: &str| {
        subs.iter()
            .filter(|s| s.from.as_deref() == Some(who))
            .count()
    };
    assert_eq!(from(&grace), 2, "{subs:?}");
    assert_eq!(from(&stranger), 1, "{subs:?}");
    let quarantined = subs.iter().find(|s| s.state == "quarantined").unwrap();
    assert_eq!(quarantined.from.as_deref(), Some(stranger.as_str()));
    // Reading everything again changes nothing: the copy is still a copy.
    let again = p.json(&["reparse", "--all", "--json"]);
    assert_eq!(again["submissions"], 3, "{again}");
}
