//! Review from the command line, on submissions read from a Maildir: `review
//! list|show|approve|reject` and `users add|list`. No mail server: the circulation and
//! the decision mail go to the file outbox.

use crate::common::review::*;
use crate::common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_cli_lists_shows_approves_and_rejects() {
    the_cli_lists_shows_approves_and_rejects_on(Db::Sqlite);
}

#[test]
fn the_cli_lists_shows_approves_and_rejects_on_postgres() {
    the_cli_lists_shows_approves_and_rejects_on(Db::Postgres);
}

fn the_cli_lists_shows_approves_and_rejects_on(db: Db) {
    let lab = review_files_on(&unique("clireview"), db);
    let p = &lab.p;
    let g = lab.grace_submission.to_string();

    // The list in DESIGN's JSON shape.
    let list = p.json(&["review", "list", "--json"]);
    let subs = list["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 3, "{list}");
    let grace = subs
        .iter()
        .find(|s| s["from"] == lab.grace.as_str())
        .unwrap();
    assert_eq!(grace["party"], "KEN");
    assert_eq!(grace["verified"], true);
    assert_eq!(grace["state"], "pending");
    assert_eq!(grace["late"], false);
    assert_eq!(grace["cycle"], next_cycle().as_str());
    let c = &grace["changes"][0];
    assert_eq!(
        (
            &c["kind"],
            &c["need_id"],
            &c["field"],
            &c["base"],
            &c["current"],
            &c["proposed"],
            &c["conflict"]
        ),
        (
            &"update".into(),
            &"MN-00001".into(),
            &"status".into(),
            &"Open".into(),
            &"Open".into(),
            &"Met".into(),
            &false.into()
        ),
        "{c}"
    );
    assert!(c["row"].as_i64().unwrap() >= 2, "{c}");
    assert_eq!(grace["errors"], serde_json::json!([]));
    let stranger = subs
        .iter()
        .find(|s| s["from"] == lab.stranger.as_str())
        .unwrap();
    assert_eq!(
        (&stranger["state"], &stranger["verified"]),
        (&"quarantined".into(), &false.into())
    );
    let only = p.json(&["review", "list", "--state", "quarantined", "--json"]);
    assert_eq!(only["submissions"].as_array().unwrap().len(), 1);

    // One submission, as a person reads it.
    let shown = p.ok(&["review", "show", &g]);
    assert!(shown.contains("MN-00001 status: Open → Met"), "{shown}");
    assert!(
        shown.contains("verified contact") && shown.contains("<script>"),
        "{shown}"
    );

    // Approve one change, reject the other: the need follows, the sender is told.
    let out = p.ok(&[
        "review",
        "approve",
        &g,
        "--change",
        "1",
        "--reviewer",
        "ann",
    ]);
    assert!(out.contains("1 approved"), "{out}");
    assert_eq!(need(p, "MN-00001").status.as_str(), "Met");
    assert_eq!(
        history(p, "MN-00001").last().unwrap().reviewer.as_deref(),
        Some("ann")
    );
    let no_reason = p.run(&["review", "reject", &g, "--change", "2"]);
    assert_eq!(no_reason.status.code(), Some(2), "{}", stderr(&no_reason));
    let blank = p.run(&["review", "reject", &g, "--change", "2", "--reason", "  "]);
    assert_eq!(blank.status.code(), Some(1), "{}", stderr(&blank));
    assert!(
        stderr(&blank).contains("needs a reason"),
        "{}",
        stderr(&blank)
    );
    let out = p.json(&[
        "review",
        "reject",
        &g,
        "--change",
        "2",
        "--reason",
        "Not confirmed",
        "--json",
    ]);
    assert_eq!(out["decided"]["settled"], "applied", "{out}");
    assert_eq!(out["send"]["sent"], 1, "the decision mail went out: {out}");
    let decision = outbox_rows(p)
        .into_iter()
        .find(|r| r.kind == "decision")
        .unwrap();
    assert_eq!(
        (decision.recipient.as_str(), decision.state.as_str()),
        (lab.grace.as_str(), "sent")
    );
    // It asks Grace to reply with a corrected workbook: her reply goes to her own token
    // address, as one to the circulation does.
    let (circulation_reply_to, _, _) = circulation_file(p, &lab.grace);
    let decision_reply_to = std::fs::read_dir(p.path("data/outbox"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .find_map(|raw| {
            let m = parse(&raw);
            m.message_id()
                .is_some_and(|id| id.contains(".decision."))
                .then(|| {
                    m.reply_to()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .map(str::to_string)
                })
                .flatten()
        })
        .expect("the decision mail in the file outbox, with a Reply-To");
    assert_eq!(decision_reply_to, circulation_reply_to);
    assert!(decision_reply_to.contains('+'), "{decision_reply_to}");

    // Deciding again is refused, as is a submission that does not exist.
    let again = p.run(&["review", "approve", &g]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("is applied"), "{}", stderr(&again));
    let missing = p.run(&["review", "show", "999"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no submission 999"));

    // A need that moved since the reply was read: refused until confirmed.
    let a = lab.amina_submission.to_string();
    move_need(p, "MN-00002", "Met");
    let moved = p.run(&["review", "approve", &a]);
    assert_eq!(moved.status.code(), Some(1));
    let said = stderr(&moved);
    assert!(
        said.contains("\"Met\"") && said.contains("--confirm"),
        "{said}"
    );
    assert_eq!(need(p, "MN-00002").status.as_str(), "Met");
    let out = p.json(&["review", "approve", &a, "--confirm", "--json"]);
    assert_eq!(need(p, "MN-00002").status.as_str(), "In progress");
    // Amina's added row becomes a need with the next ID, its creation in the history.
    assert_eq!(
        out["decided"]["created"],
        serde_json::json!(["MN-00003"]),
        "{out}"
    );
    let added = need(p, "MN-00003");
    assert_eq!(
        (
            added.state.as_str(),
            added.area.as_str(),
            added.description.as_str(),
            added.priority.as_str()
        ),
        (
            "SEN",
            "LEG",
            "Model law on the financing of terrorism",
            "Medium"
        )
    );
    let h = history(p, "MN-00003");
    assert_eq!(
        (h[0].field.as_str(), h[0].submission),
        ("created", Some(lab.amina_submission))
    );
}

#[test]
fn users_are_added_with_a_password_from_standard_input() {
    let p = Project::new(&config_with(
        "needs",
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    ));
    let out = add_user(&p, "ann", "expert", "a long enough password");
    assert!(String::from_utf8_lossy(&out.stdout).contains("User ann added (expert)"));
    let out = add_user(&p, "ann", "admin", "another long password");
    assert!(String::from_utf8_lossy(&out.stdout).contains("User ann updated (admin)"));
    let short = add_user(&p, "bob", "expert", "short");
    assert_eq!(short.status.code(), Some(2));
    assert!(
        stderr(&short).contains("at least 10 characters"),
        "{}",
        stderr(&short)
    );
    let bad_role = add_user(&p, "bob", "owner", "a long enough password");
    assert_eq!(bad_role.status.code(), Some(2));
    let bad_name = add_user(&p, "bob smith", "expert", "a long enough password");
    assert_eq!(bad_name.status.code(), Some(2));
    let list = p.json(&["users", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        (&list[0]["name"], &list[0]["role"]),
        (&"ann".into(), &"admin".into())
    );
    assert!(
        list[0].get("password_hash").is_none(),
        "hashes stay in the database"
    );
}

/// Every command that reads or writes the database, once, on PostgreSQL: the ones the
/// other PostgreSQL tests do not already run.
#[test]
fn the_other_commands_answer_on_postgresql() {
    let lab = review_files_on(&unique("pgcli"), Db::Postgres);
    let p = &lab.p;
    let cycle = next_cycle();
    assert!(
        p.json(&["parties", "list", "--json"])
            .as_array()
            .is_some_and(|a| a.len() > 250)
    );
    assert_eq!(
        p.json(&["contacts", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    p.ok(&[
        "deadline",
        "add",
        "Report to the Committee",
        "--due",
        "2031-06-30",
        "--owner",
        "experts@ctc.test",
    ]);
    let deadlines = p.json(&["deadline", "list", "--json"]);
    assert_eq!(
        deadlines[0]["title"], "Report to the Committee",
        "{deadlines}"
    );
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["sent"], 2, "{status}");
    let again = p.json(&["reparse", "--all", "--json"]);
    assert_eq!(again["submissions"], 3, "{again}");
    let out = p.path("copy.xlsx");
    p.ok(&[
        "matrix",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--cycle",
        &cycle,
        "--recipient",
        &lab.grace,
    ]);
    assert!(std::fs::metadata(&out).unwrap().len() > 1000);
    let users = p.json(&["users", "list", "--json"]);
    assert!(users.as_array().is_some_and(|u| !u.is_empty()), "{users}");
}
