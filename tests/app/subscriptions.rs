//! Receiving the Matrix on request, and stopping, read from a Maildir on both databases:
//! what is a request and what is not, one request per sender, the approval that sends
//! the copy of the cycle collecting replies, and the unsubscribe mailto of a circulation
//! (the contact stops, is told once, and is not reminded). The review UI and the one-click
//! link through a real daemon and the mail lab are `lab::web`'s.

use needsd::model::{Cycle, PartyCode};
use needsd::state::MessageKind;
use needsd::store::subscriptions::RequestError;
use needsd::workflow::Chase;
use needsd::workflow::subscription::{self, DecideRequestError};

use crate::common::Db;
use crate::harness::{Mail, TestApp, new_york};

fn cycle() -> Cycle {
    Cycle::parse("2031-03").expect("a cycle")
}

/// A plain message from `from` to needsd's address.
fn message(from: &str, subject: &str, body: &str, n: usize) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: needs@ctc.example\r\nSubject: {subject}\r\n\
         Message-ID: <ask-{n}@sender.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn mailto_of(mail: &Mail) -> String {
    mail.list_unsubscribe
        .as_ref()
        .map(|(_, mailto)| mailto.clone())
        .expect("a circulation carries List-Unsubscribe")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_told_from_replies_and_an_unsubscribe_mail_stops_the_matrix() {
    requests_and_unsubscribes_on(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_told_from_replies_and_an_unsubscribe_mail_stops_the_matrix_on_postgres() {
    requests_and_unsubscribes_on(Db::Postgres).await;
}

async fn requests_and_unsubscribes_on(db: Db) {
    let c = cycle();
    let t = TestApp::on(db, new_york(c, 1, 10)).await;
    let app = &t.app;
    needsd::workflow::dispatch_then(app, Some(c), None)
        .await
        .expect("the circulation");
    let circulated = t.drain_outbox().await;
    assert!(circulated.len() >= 3, "{circulated:?}");
    let sen = circulated
        .iter()
        .find(|m| m.to == "a.ndour@diplomatie.sn.example.org")
        .expect("Senegal's focal point has the Matrix");

    // A mission asks in Spanish, twice: one request. A message with a workbook, a reply
    // to a circulation's own address, and one that says "do not" are not requests.
    let mission = "mision@mrree.gt.example";
    t.deliver(&message(
        &format!("Misión de Guatemala <{mission}>"),
        "Matriz",
        "Estimados colegas:\r\nles rogamos enviarnos la matriz cada mes.\r\nAtentamente",
        1,
    ));
    assert_eq!(t.ingest().await.read.requests, 1);
    t.deliver(&message(
        &format!("=?utf-8?q?Misi=C3=B3n_de_Guatemala?= <{mission}>"),
        "Matriz",
        "Les reiteramos: envíennos la matriz.",
        2,
    ));
    t.deliver(&message(
        "other@mfa.example",
        "Matrix",
        "Please do not send us the matrix again.",
        3,
    ));
    let with_workbook = "From: third@mfa.example\r\nTo: needs@ctc.example\r\nSubject: Matrix\r\n\
         Message-ID: <ask-4@sender.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nPlease send us the matrix.\r\n--b\r\n\
         Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\
         Content-Disposition: attachment; filename=\"matrix.xlsx\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n";
    t.deliver(with_workbook.as_bytes());
    let reply = t.reply_bytes(sen, &sen.to, crate::harness::Reply::NoChanges);
    let reply = String::from_utf8(reply).unwrap().replace(
        "No changes this month.",
        "No changes. Please send us the matrix next month too.",
    );
    t.deliver(reply.as_bytes());
    let read = t.ingest().await;
    assert_eq!(read.read.requests, 0, "{read:?}");
    assert_eq!(read.read.replies, 1, "{read:?}");
    let pending = app.store.subscription_requests(true).await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let r = &pending[0];
    assert_eq!(
        (
            r.address.as_str(),
            r.name.as_str(),
            r.language.as_str(),
            r.verified
        ),
        (mission, "Misión de Guatemala", "es", false)
    );
    assert!(r.excerpt.contains("enviarnos la matriz"), "{}", r.excerpt);
    // Nothing was sent to anyone who asked.
    assert!(t.drain_outbox().await.iter().all(|m| m.to != mission));

    // Approving names the party and sends the copy of the cycle collecting replies.
    let gtm = PartyCode::parse("GTM").unwrap();
    let done = subscription::approve(app, r.id, &gtm, "ann", None)
        .await
        .expect("approved");
    assert_eq!(done.sent_cycle, Some(c));
    let sent = t.drain_outbox().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let copy = &sent[0];
    assert_eq!(copy.to, mission);
    assert!(
        copy.subject.contains("Matriz de necesidades"),
        "{}",
        copy.subject
    );
    assert!(copy.workbook.is_some());
    let contact = app
        .store
        .contact(done.contact_id)
        .await
        .unwrap()
        .expect("the new contact");
    assert_eq!(
        (
            contact.party.as_str(),
            contact.receives_matrix,
            contact.name.as_str()
        ),
        ("GTM", true, "Misión de Guatemala")
    );
    assert!(matches!(
        subscription::approve(app, r.id, &gtm, "ann", None).await,
        Err(DecideRequestError::Request(RequestError::Decided(..)))
    ));
    assert!(matches!(
        subscription::dismiss(app, r.id + 100, "ann").await,
        Err(DecideRequestError::Request(RequestError::Missing(_)))
    ));

    // A mailto with another contact's number and this one's MAC changes nothing.
    let mailto = mailto_of(copy);
    let address = mailto
        .trim_start_matches("mailto:")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let forged = address.replace(
        &format!("unsubscribe-{}-", contact.id),
        &format!("unsubscribe-{}-", contact.id + 1),
    );
    let stop = |to: &str, n: usize| {
        format!(
            "From: {mission}\r\nTo: {to}\r\nSubject: unsubscribe\r\nMessage-ID: <stop-{n}@sender.test>\r\n\r\nunsubscribe\r\n"
        )
        .into_bytes()
    };
    t.deliver(&stop(&forged, 1));
    let read = t.ingest().await;
    assert_eq!(read.read.unsubscribes, 1, "{read:?}");
    assert!(app.store.unsubscriptions(10).await.unwrap().is_empty());
    let still = app.store.contact(contact.id).await.unwrap().unwrap();
    assert!(still.receives_matrix);

    // The real one stops the Matrix and is confirmed once, in Spanish; a second changes
    // nothing.
    t.deliver(&stop(&address, 2));
    t.ingest().await;
    t.deliver(&stop(&address, 3));
    t.ingest().await;
    let contact = app.store.contact(contact.id).await.unwrap().unwrap();
    assert!(!contact.receives_matrix && contact.active);
    let stopped = app.store.unsubscriptions(10).await.unwrap();
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(
        (
            stopped[0].party.as_str(),
            stopped[0].via,
            stopped[0].flagged
        ),
        ("GTM", "mail", false)
    );
    let told = t.drain_outbox().await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].to, mission);
    assert_eq!(
        told[0].subject,
        "[Matrix of Needs] Ya no recibirá la Matriz de necesidades"
    );
    let rows = app.store.outbox_rows().await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|o| o.kind == MessageKind::Unsubscribed)
            .count(),
        1
    );

    // Whoever stopped is not reminded; the others who have not answered are.
    t.advance_to(new_york(c, 8, 10));
    let reminded = needsd::workflow::chase::remind(app, Some(c), Chase::Reminder, None)
        .await
        .expect("reminders");
    assert!(reminded.enqueued >= 1, "{reminded:?}");
    let reminders = t.drain_outbox().await;
    assert!(reminders.iter().all(|m| m.to != mission), "{reminders:?}");
}
