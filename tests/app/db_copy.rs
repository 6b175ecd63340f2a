//! `needsd db copy --to postgres://…`: an installation moved from SQLite to a new
//! PostgreSQL database in the lab, and the same answers read from both.

use crate::common::review::*;
use crate::common::*;

#[test]
fn an_installation_moves_to_postgresql_with_every_row_and_the_same_answers() {
    let lab = review_files(&unique("copy"));
    let p = &lab.p;
    // Some history: one change approved from the command line.
    p.ok(&[
        "review",
        "approve",
        &lab.grace_submission.to_string(),
        "--change",
        "1",
    ]);
    let url = pglab();
    let copied = p.json(&["db", "copy", "--to", &url, "--json"]);
    let rows = |table: &str| {
        copied
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap_or_else(|| panic!("{table} copied: {copied}"))["rows"]
            .as_i64()
            .unwrap()
    };
    for table in [
        "parties",
        "contacts",
        "needs",
        "cycle_base",
        "recipients",
        "outbox",
        "outbox_bodies",
        "raw_messages",
        "inbox",
        "submissions",
        "proposed_changes",
        "need_history",
    ] {
        assert!(rows(table) > 0, "{table}: {copied}");
    }
    assert_eq!(rows("submissions"), 3);

    // The same installation on PostgreSQL answers as it did on SQLite.
    let config: String = std::fs::read_to_string(p.path("needsd.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("url = \"sqlite:") {
                format!("url = \"{url}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(config.contains(&url), "{config}");
    let moved = Project::new(&config);
    for args in [
        &["review", "list", "--json"][..],
        &["contacts", "list", "--json"],
        &[
            "review",
            "show",
            &lab.amina_submission.to_string(),
            "--json",
        ],
    ] {
        assert_eq!(p.json(args), moved.json(args), "{args:?}");
    }
    // New rows take new ids: the sequences start after the copied rows.
    moved.ok(&[
        "review",
        "approve",
        &lab.amina_submission.to_string(),
        "--change",
        "2",
    ]);
    let history = moved.json(&[
        "review",
        "show",
        &lab.amina_submission.to_string(),
        "--json",
    ]);
    assert!(history.to_string().contains("approved"), "{history}");

    // A database that holds needsd's tables is refused, and so is a copy from one.
    let again = p.run(&["db", "copy", "--to", &url]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("already holds needsd's tables"), "{err}");
    let from_pg = moved.run(&["db", "copy", "--to", &pglab()]);
    assert_eq!(from_pg.status.code(), Some(1));
    let err = String::from_utf8_lossy(&from_pg.stderr);
    assert!(err.contains("copies a SQLite database"), "{err}");
}
