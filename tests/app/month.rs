//! A whole month in this process, on the harness: the circulation, replies, reminders to
//! the silent only, the experts' decision, and the next circulation carrying it.

use std::collections::BTreeSet;
use std::process::Command;

use needsd::model::Cycle;
use needsd::review::{Confirm, Decision, Pick, Verdict};
use needsd::schedule::Job;
use needsd::state::SubmissionState;
use needsd::store::review::SubmissionFilter;

use crate::common::Db;
use crate::harness::{Mail, Reply, TestApp, new_york};
use needsd::workflow::files;

/// A cycle far from today's date: the harness never reads the system clock.
fn cycle() -> Cycle {
    Cycle::parse("2031-03").expect("a cycle")
}

/// The value under `header` in the row of `need` of a workbook's Matrix sheet, read by
/// openpyxl.
fn cell(path: &std::path::Path, need: &str, header: &str) -> String {
    let script = format!(
        "import openpyxl\nws = openpyxl.load_workbook({p:?})['Matrix']\n\
         head = [c.value for c in ws[1]]\n\
         for row in ws.iter_rows(min_row=2):\n    if row[0].value == {need:?}:\n        \
         print(row[head.index({header:?})].value or '')\n",
        p = path.display().to_string()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 with openpyxl (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

fn to(mails: &[Mail]) -> BTreeSet<String> {
    mails.iter().map(|m| m.to.clone()).collect()
}

fn jobs(ran: &[(Job, String)]) -> Vec<Job> {
    ran.iter().map(|(j, _)| *j).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_circulates_reads_replies_reminds_the_silent_and_carries_the_decision() {
    a_month_circulates_reads_replies_reminds_the_silent_and_carries_the_decision_on(Db::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_circulates_reads_replies_reminds_the_silent_and_carries_the_decision_on_postgres()
{
    a_month_circulates_reads_replies_reminds_the_silent_and_carries_the_decision_on(Db::Postgres)
        .await;
}

async fn a_month_circulates_reads_replies_reminds_the_silent_and_carries_the_decision_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 8)).await;

    // Before 9:00 on the 1st the first pass only catches up on last month's jobs (the
    // digest); no circulation yet, and a second pass finds nothing.
    let first = jobs(&t.run_due_jobs().await);
    assert!(!first.contains(&Job::Dispatch), "{first:?}");
    assert!(t.run_due_jobs().await.is_empty());
    t.drain_outbox().await;

    t.advance_to(new_york(c, 1, 9));
    assert!(jobs(&t.run_due_jobs().await).contains(&Job::Dispatch));
    let circulated = t.drain_outbox().await;
    assert!(circulated.len() >= 3, "{} circulations", circulated.len());
    assert!(
        circulated.iter().all(|m| m.workbook.is_some()),
        "every circulation carries its workbook"
    );
    // The pass is over: running it again at the same time neither runs nor sends more.
    assert!(t.run_due_jobs().await.is_empty());
    assert!(t.drain_outbox().await.is_empty(), "nothing doubled");

    // Kenya edits its workbook; Senegal says no changes in words; the rest stay silent.
    let kenya = circulated
        .iter()
        .find(|m| m.to == "ct.focalpoint@mfa.ke.example.org")
        .expect("Kenya's focal point receives the matrix");
    let senegal = circulated
        .iter()
        .find(|m| m.to == "a.ndour@diplomatie.sn.example.org")
        .expect("Senegal's focal point receives the matrix");
    t.advance_to(new_york(c, 3, 10));
    let read = t
        .reply(
            kenya,
            Reply::Edited(&[("MN-00003", "Status", "In progress")]),
        )
        .await;
    assert_eq!(read.read.submissions, 1, "{read:?}");
    let read = t.reply(senegal, Reply::NoChanges).await;
    assert_eq!(read.read.submissions, 1, "{read:?}");
    let receipts = t.drain_outbox().await;
    assert_eq!(
        to(&receipts),
        BTreeSet::from([kenya.to.clone(), senegal.to.clone()]),
        "one receipt to each who replied"
    );

    let subs = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .expect("the submissions");
    let ken = subs
        .iter()
        .find(|s| s.party.as_deref() == Some("KEN"))
        .expect("Kenya's submission");
    assert_eq!(ken.state, SubmissionState::Pending);
    assert_eq!(ken.pending_changes, 1, "{ken:?}");
    let sen = subs
        .iter()
        .find(|s| s.party.as_deref() == Some("SEN"))
        .expect("Senegal's submission");
    assert_eq!(sen.pending_changes, 0, "{sen:?}");

    // The 8th: a reminder to each recipient whose party has not answered, and no one else.
    t.advance_to(new_york(c, 8, 9));
    assert!(jobs(&t.run_due_jobs().await).contains(&Job::Reminder));
    let reminded = to(&t.drain_outbox().await);
    let silent: BTreeSet<String> = to(&circulated)
        .into_iter()
        .filter(|a| *a != kenya.to && *a != senegal.to)
        .collect();
    assert_eq!(reminded, silent);

    // An expert approves Kenya's change; the next circulation carries it.
    let decided = needsd::workflow::review::decide(
        &t.app,
        &Decision {
            submission: ken.id,
            pick: Pick::All,
            verdict: Verdict::Approve,
            reason: None,
            reviewer: "expert",
            confirm: Confirm::No,
            now: t.now(),
        },
    )
    .await
    .expect("the decision is written");
    assert_eq!(decided.approved.len(), 1, "{decided:?}");

    let next = c.next();
    t.advance_to(new_york(next, 1, 9));
    assert!(jobs(&t.run_due_jobs().await).contains(&Job::Dispatch));
    let again = t.drain_outbox().await;
    let kenya_next = again
        .iter()
        .find(|m| m.to == kenya.to && m.workbook.is_some() && m.subject.contains(&next.to_string()))
        .expect("Kenya's next circulation");
    let (_, bytes) = kenya_next.workbook.clone().expect("a workbook");
    let path = t.write("next.xlsx", &bytes);
    assert_eq!(cell(&path, "MN-00003", "Status"), "In progress");
    assert_eq!(cell(&path, "MN-00004", "Status"), "Open", "untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_workbook_is_an_error_in_the_submission_and_in_the_receipt() {
    a_broken_workbook_is_an_error_in_the_submission_and_in_the_receipt_on(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_workbook_is_an_error_in_the_submission_and_in_the_receipt_on_postgres() {
    a_broken_workbook_is_an_error_in_the_submission_and_in_the_receipt_on(Db::Postgres).await;
}

async fn a_broken_workbook_is_an_error_in_the_submission_and_in_the_receipt_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 9)).await;
    t.run_due_jobs().await;
    let circulated = t.drain_outbox().await;
    let kenya = circulated
        .iter()
        .find(|m| m.to == "ct.focalpoint@mfa.ke.example.org")
        .expect("Kenya's focal point receives the matrix");

    // A zip that ends after its first header: what a mail program that cut an attachment
    // short delivers.
    let broken = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";
    let read = t
        .reply(kenya, Reply::Attached("Matrix KEN.xlsx", broken))
        .await;
    assert_eq!(read.read.submissions, 1, "{read:?}");
    let subs = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .expect("the submissions");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].errors, 1, "{:?}", subs[0]);
    assert_eq!(subs[0].pending_changes, 0);

    let receipts = t.drain_outbox().await;
    assert_eq!(to(&receipts), BTreeSet::from([kenya.to.clone()]));
    let text = &receipts[0].text;
    assert!(text.contains("Matrix KEN.xlsx"), "{text}");
    assert!(text.contains("  ! "), "the error is marked: {text}");
}

/// A colleague an expert vouched for is a contact the cycle never went to. Their receipt
/// and decision mail give them a token of their own, and a reply to that address is
/// theirs: trusted as a reply to the circulation is, not held as a made-up token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_added_on_acceptance_is_answered_at_an_address_that_knows_them() {
    a_contact_added_on_acceptance_is_answered_at_an_address_that_knows_them_on(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_added_on_acceptance_is_answered_at_an_address_that_knows_them_on_postgres() {
    a_contact_added_on_acceptance_is_answered_at_an_address_that_knows_them_on(Db::Postgres).await;
}

async fn a_contact_added_on_acceptance_is_answered_at_an_address_that_knows_them_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 9)).await;
    t.run_due_jobs().await;
    let circulated = t.drain_outbox().await;
    let kenya = circulated
        .iter()
        .find(|m| m.to == "ct.focalpoint@mfa.ke.example.org")
        .expect("Kenya's focal point receives the matrix");
    let plain = t.app.cfg.mail.reply_to.to_string();

    // The focal point's own reply: the receipt keeps the circulation's token address.
    t.advance_to(new_york(c, 2, 10));
    t.reply(kenya, Reply::NoChanges).await;
    let receipts = t.drain_outbox().await;
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].reply_to, kenya.reply_to);

    // A colleague answers the forwarded circulation: held until an expert vouches.
    let deputy = "deputy.ct@mfa.ke.example.org";
    t.advance_to(new_york(c, 3, 10));
    t.deliver(&t.reply_bytes(
        kenya,
        deputy,
        Reply::Edited(&[("MN-00003", "Status", "In progress")]),
    ));
    let read = t.ingest().await;
    assert_eq!(read.read.quarantined, 1, "{read:?}");
    let held = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .expect("the submissions")
        .into_iter()
        .find(|s| s.state == SubmissionState::Quarantined)
        .expect("the colleague's reply waits");
    needsd::workflow::review::accept(&t.app, held.id, Some("Deputy focal point"), "expert")
        .await
        .expect("the sender is accepted");
    let receipt = t.drain_outbox().await;
    assert_eq!(to(&receipt), BTreeSet::from([deputy.to_string()]));
    let own = receipt[0].reply_to.clone().expect("a Reply-To");
    assert!(
        own != plain && Some(&own) != kenya.reply_to.as_ref(),
        "a token of the colleague's own: {own}"
    );

    needsd::workflow::review::decide(
        &t.app,
        &Decision {
            submission: held.id,
            pick: Pick::All,
            verdict: Verdict::Approve,
            reason: None,
            reviewer: "expert",
            confirm: Confirm::No,
            now: t.now(),
        },
    )
    .await
    .expect("the decision is written");
    let decision = t.drain_outbox().await;
    assert_eq!(to(&decision), BTreeSet::from([deputy.to_string()]));
    assert_eq!(decision[0].reply_to.as_ref(), Some(&own));

    // The colleague answers the decision at that address: a reply of Kenya's.
    t.advance_to(new_york(c, 4, 10));
    t.deliver(&t.reply_bytes(&decision[0], deputy, Reply::NoChanges));
    let read = t.ingest().await;
    let notes: Vec<_> = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .expect("the submissions")
        .into_iter()
        .map(|s| (s.state, s.note))
        .collect();
    assert_eq!(
        (read.read.submissions, read.read.quarantined),
        (1, 0),
        "{read:?} {notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_need_nobody_offers_to_meet_for_three_circulations_is_flagged_in_the_digest() {
    let c = cycle();
    let t = TestApp::new(new_york(c, 1, 8)).await;
    t.run_due_jobs().await;
    t.drain_outbox().await;
    // One programme open to every State in every area: each open need has a candidate.
    let programmes = t.write(
        "programmes.csv",
        b"Provider,Title,Kind,Areas,Status\n\
          UNODC,Counter-terrorism assistance,Training,LEG; FIN; CUS; IMM; EXT; POL; ARM; OTH,Active\n",
    );
    files::import_programmes(&t.app, &programmes, false)
        .await
        .expect("imported");
    let open: Vec<String> = t
        .app
        .store
        .needs()
        .await
        .unwrap()
        .iter()
        .filter(|n| n.status == needsd::model::Status::Open && n.provider.is_empty())
        .map(|n| n.id.to_string())
        .collect();
    assert!(
        !open.is_empty(),
        "the demo matrix has open needs with no provider"
    );
    let mut cycle = c;
    for circulation in 1..=3 {
        t.advance_to(new_york(cycle, 1, 9));
        assert!(jobs(&t.run_due_jobs().await).contains(&Job::Dispatch));
        t.drain_outbox().await;
        t.advance_to(new_york(cycle, 16, 9));
        assert!(jobs(&t.run_due_jobs().await).contains(&Job::Digest));
        let mails = t.drain_outbox().await;
        let digest = mails
            .iter()
            .find(|m| m.to == "experts@ctc.example")
            .expect("the experts' digest");
        let flagged = digest.text.contains("Needs nobody has offered to meet");
        assert_eq!(
            flagged,
            circulation == 3,
            "circulation {circulation}: {}",
            digest.text
        );
        if circulation == 3 {
            for id in &open {
                let line = digest
                    .text
                    .lines()
                    .find(|l| l.contains(id.as_str()))
                    .unwrap_or_else(|| panic!("{id} flagged: {}", digest.text));
                assert!(
                    line.contains("open with no provider for 3 circulations")
                        && line.contains("SA-00001 Counter-terrorism assistance ("),
                    "{line}"
                );
            }
        }
        cycle = cycle.next();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circulation_keeps_the_programmes_as_they_were_sent() {
    a_circulation_keeps_the_programmes_as_they_were_sent_on(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circulation_keeps_the_programmes_as_they_were_sent_on_postgres() {
    a_circulation_keeps_the_programmes_as_they_were_sent_on(Db::Postgres).await;
}

async fn a_circulation_keeps_the_programmes_as_they_were_sent_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 8)).await;
    let import = |name: &str, csv: &str| {
        let path = t.write(name, csv.as_bytes());
        let app = std::sync::Arc::clone(&t.app);
        async move {
            files::import_programmes(&app, &path, false)
                .await
                .expect("imported")
        }
    };
    import(
        "p1.csv",
        "Provider,Title,Kind,Areas,Eligible,Status\nUNODC,Drafting,Training,LEG,Kenya,Active\n",
    )
    .await;
    assert_eq!(t.app.store.cycle_programmes(c).await.unwrap(), None);
    t.advance_to(new_york(c, 1, 9));
    assert!(jobs(&t.run_due_jobs().await).contains(&Job::Dispatch));
    let sent = t.app.store.programmes().await.unwrap();
    // A programme added after the circulation is not in its base.
    import(
        "p2.csv",
        "Provider,Title,Kind,Areas,Status\nWCO,Customs,Training,CUS,Active\n",
    )
    .await;
    assert_eq!(t.app.store.programmes().await.unwrap().len(), 2);
    let base = t
        .app
        .store
        .cycle_programmes(c)
        .await
        .unwrap()
        .expect("circulated");
    assert_eq!(base, sent);
    assert_eq!(base[0].get("eligible"), "KEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_programme_changes_are_reviewed_and_applied_sqlite() {
    a_providers_programme_changes_are_reviewed_and_applied_on(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_programme_changes_are_reviewed_and_applied_postgres() {
    a_providers_programme_changes_are_reviewed_and_applied_on(Db::Postgres).await;
}

/// Kenya has a programme, so its copy carries its Programmes sheet; its office closes the
/// programme there and adds another with openpyxl. Both become proposed changes of the
/// submission, numbered after its need changes; the expert approves one and rejects the
/// other, the directory and its history follow, and the decision mail names both.
async fn a_providers_programme_changes_are_reviewed_and_applied_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 9)).await;
    let programmes = t.write(
        "programmes.csv",
        b"Provider,Title,Kind,Areas,Status\nKEN,Police exchange,Expert visit,POL,Active\n",
    );
    files::import_programmes(&t.app, &programmes, false)
        .await
        .expect("imported");
    t.run_due_jobs().await;
    let circulated = t.drain_outbox().await;
    let kenya = circulated
        .iter()
        .find(|m| m.to == "ct.focalpoint@mfa.ke.example.org")
        .expect("Kenya's focal point receives the matrix");
    let (_, bytes) = kenya.workbook.clone().expect("a workbook");
    let copy = t.write("copy.xlsx", &bytes);
    let edited = t.path("edited.xlsx");
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({copy:?})\nws = wb['Programmes']\n\
         assert [c.value for c in ws[1]][9] == 'Status'\n\
         assert ws['A2'].value == 'SA-00001' and ws['C2'].value == 'Police exchange'\n\
         ws['J2'] = 'Closed'\n\
         ws.append([None, None, 'Forensics course', 'Training', 'POL', None, 'en', None, None, 'Active'])\n\
         m = wb['Matrix']\n\
         for row in m.iter_rows(min_row=2):\n    if row[0].value == 'MN-00003':\n        row[7].value = 'Asked again'\n\
         wb.save({edited:?})\n"
    );
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success());
    let edited = std::fs::read(&edited).unwrap();
    let read = t
        .reply(kenya, Reply::Attached("Matrix KEN.xlsx", &edited))
        .await;
    assert_eq!(read.read.submissions, 1, "{read:?}");
    let receipt = t.drain_outbox().await;
    let receipt = receipt
        .iter()
        .find(|m| m.to == kenya.to)
        .expect("the receipt");
    assert!(
        receipt.subject.contains("3 changes awaiting review")
            && receipt
                .text
                .contains("SA-00001 Status: Active \u{2192} Closed")
            && receipt
                .text
                .contains("new programme of KEN: Forensics course"),
        "{}\n{}",
        receipt.subject,
        receipt.text
    );
    let subs = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .expect("the submissions");
    let sub = &subs[0];
    assert_eq!(sub.state, SubmissionState::Pending);
    assert_eq!(
        sub.pending_changes, 3,
        "one need change, two programme changes"
    );
    let shown = needsd::workflow::review::show(&t.app.store, sub.id)
        .await
        .unwrap()
        .expect("shown");
    assert_eq!(shown.changes.len(), 1);
    let json = needsd::workflow::review::submission_json(
        &shown.submission,
        (&shown.changes, &shown.programme_changes),
        &shown.issues,
    );
    let listed = &json["programme_changes"];
    assert_eq!(
        listed[0],
        serde_json::json!({"seq": 2, "kind": "update", "id": "SA-00001", "row": 2,
            "field": "status", "base": "Active", "current": "Active", "proposed": "Closed",
            "conflict": false, "decision": "pending", "reviewer": null, "decided_at": null,
            "reason": null, "created": null}),
        "{json}"
    );
    assert_eq!(listed[1]["seq"], 3);
    assert_eq!(listed[1]["kind"], "add");
    assert_eq!(
        listed[1]["fields"]["provider"], "KEN",
        "a blank provider is the sender"
    );
    assert_eq!(listed[1]["fields"]["title"], "Forensics course");

    let decide = |pick, verdict, reason| {
        let app = std::sync::Arc::clone(&t.app);
        let now = t.now();
        let id = sub.id;
        async move {
            needsd::workflow::review::decide(
                &app,
                &Decision {
                    submission: id,
                    pick,
                    verdict,
                    reason,
                    reviewer: "expert",
                    confirm: Confirm::No,
                    now,
                },
            )
            .await
        }
    };
    // Change 4 is in neither register.
    let refused = decide(Pick::One(4), Verdict::Approve, None).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("has no change 4")),
        "an unknown change is refused"
    );
    let closed = decide(Pick::One(2), Verdict::Approve, None)
        .await
        .expect("decided");
    assert_eq!(closed.approved, [2]);
    let rejected = decide(Pick::One(3), Verdict::Reject, Some("Send its link first"))
        .await
        .expect("decided");
    assert_eq!(rejected.rejected, [3]);
    let last = decide(Pick::All, Verdict::Approve, None)
        .await
        .expect("decided");
    assert_eq!(last.approved, [1]);
    assert_eq!(last.settled, Some(SubmissionState::Applied));

    let now = t.app.store.programmes().await.unwrap();
    assert_eq!(now.len(), 1, "the rejected addition was not added");
    assert_eq!(now[0].get("status"), "Closed");
    let history = t.app.store.programme_history("SA-00001").await.unwrap();
    let last_change = history.last().expect("history");
    assert_eq!(
        (
            last_change.field.as_str(),
            last_change.old.as_deref(),
            last_change.new.as_deref()
        ),
        ("status", Some("Active"), Some("Closed"))
    );
    assert_eq!(last_change.submission, Some(sub.id));
    assert_eq!(last_change.reviewer.as_deref(), Some("expert"));

    let mails = t.drain_outbox().await;
    let decision = mails
        .iter()
        .find(|m| m.to == kenya.to && m.subject.contains("Decided: 2 approved, 1 not accepted"))
        .unwrap_or_else(|| {
            panic!(
                "the decision mail: {:?}",
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            )
        });
    assert!(
        decision.text.contains("SA-00001 Status: Active → Closed"),
        "{}",
        decision.text
    );
    assert!(
        decision
            .text
            .contains("new programme of KEN: Forensics course")
            && decision.text.contains("Send its link first"),
        "{}",
        decision.text
    );

    // The same reply again proposes the addition again (the closing is already so); an
    // approved addition takes the next Programme ID.
    t.reply(kenya, Reply::Attached("Matrix KEN again.xlsx", &edited))
        .await;
    let subs = t
        .app
        .store
        .find_submissions(&SubmissionFilter::default())
        .await
        .unwrap();
    let second = subs
        .iter()
        .find(|s| s.id != sub.id)
        .expect("the second reply");
    let shown = needsd::workflow::review::show(&t.app.store, second.id)
        .await
        .unwrap()
        .expect("shown");
    let add = shown
        .programme_changes
        .iter()
        .find(|p| matches!(p.change, needsd::register::Change::Add { .. }))
        .expect("the addition, proposed again");
    let decided = needsd::workflow::review::decide(
        &t.app,
        &Decision {
            submission: second.id,
            pick: Pick::One(add.seq),
            verdict: Verdict::Approve,
            reason: None,
            reviewer: "expert",
            confirm: Confirm::No,
            now: t.now(),
        },
    )
    .await
    .expect("decided");
    assert_eq!(decided.created, ["SA-00002"]);
    let shown = needsd::workflow::review::show(&t.app.store, second.id)
        .await
        .unwrap()
        .expect("shown");
    assert!(
        shown
            .programme_changes
            .iter()
            .any(|p| p.created.as_deref() == Some("SA-00002")),
        "the addition names the programme it created"
    );
    let now = t.app.store.programmes().await.unwrap();
    assert_eq!(now[1].id, "SA-00002");
    assert_eq!(now[1].get("provider"), "KEN");
    assert_eq!(now[1].get("title"), "Forensics course");
}
