//! The review UI over HTTP, served by a real daemon, with submissions that came through
//! the mail lab: every route, logins, CSRF tokens, roles, escaping and the decisions.

use std::time::Duration;

use crate::common::review::*;
use crate::common::*;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};

/// A user agent with its own cookies that never follows redirects (so tests see them).
struct Agent {
    c: Client,
    base: String,
}

impl Agent {
    fn new(d: &Daemon) -> Self {
        Self {
            c: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: format!("http://{}", d.addr),
        }
    }

    fn get(&self, path: &str) -> Response {
        self.c.get(format!("{}{path}", self.base)).send().unwrap()
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.c
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .unwrap()
    }

    fn login(&self, (name, password): (&str, &str)) -> Response {
        let page = self.get("/login").text().unwrap();
        let csrf = token_in(&page);
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("password", password),
                ("next", "/"),
            ],
        )
    }

    /// The session's CSRF token, as the pages carry it.
    fn csrf(&self) -> String {
        token_in(&self.get("/").text().unwrap())
    }
}

/// The first form token in a page.
fn token_in(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("a CSRF token in {page}"));
    page[at + 19..at + 19 + 64].to_string()
}

/// The confirmation token of the approve-all form on a page that asks to confirm.
fn confirm_token(page: &str) -> String {
    let at = page
        .rfind("name=\"confirm\" value=\"")
        .unwrap_or_else(|| panic!("a confirmation in {page}"));
    page[at + 22..at + 22 + 64].to_string()
}

fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn pages_refuse_strangers_forms_need_their_token_and_experts_are_not_admins() {
    let lab = review_lab(&unique("webauth"));
    let d = Daemon::start(&lab.cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let anon = Agent::new(&d);
    let id = lab.grace_submission;
    // A body larger than any form is refused before a handler reads it.
    let big = "x".repeat(needsd::web::REQUEST_BODY_BYTES + 1);
    assert_eq!(
        anon.post("/login", &[("name", &big), ("password", "p")])
            .status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Open without a login from this machine: health, metrics, the login form and the
    // stylesheet.
    for path in ["/healthz", "/metrics", "/login", "/static/style.css"] {
        assert_eq!(anon.get(path).status(), StatusCode::OK, "{path}");
    }
    // Every page sends a stranger to the login form, and back afterwards.
    let pages = [
        "/".to_string(),
        "/submissions".into(),
        format!("/submissions/{id}"),
        format!("/submissions/{id}/attachments/0"),
        "/matrix".into(),
        "/matrix.xlsx".into(),
        "/needs/MN-00001".into(),
        "/unmet".into(),
        "/contacts".into(),
        "/contacts/1".into(),
        "/users".into(),
    ];
    for path in &pages {
        let r = anon.get(path);
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&r).starts_with("/login?next=/"),
            "{path}: {}",
            location(&r)
        );
    }
    // Every form refuses a stranger.
    let forms = [
        "/logout".to_string(),
        format!("/submissions/{id}/decide"),
        format!("/submissions/{id}/accept"),
        format!("/submissions/{id}/refuse"),
        "/contacts".into(),
        "/contacts/1".into(),
        "/contacts/1/active".into(),
        "/users".into(),
        "/users/1/active".into(),
    ];
    for path in &forms {
        let r = anon.post(path, &[("csrf", "x"), ("verdict", "approve")]);
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }

    // Logging in: the login form's own token, the password, then a session.
    let r = anon.post(
        "/login",
        &[("name", EXPERT.0), ("password", EXPERT.1), ("csrf", "")],
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no login token");
    let r = anon.login((EXPERT.0, "not the password"));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().unwrap().contains("not right"));
    let r = anon.login(EXPERT);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("needsd_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let expert = anon;
    let r = expert.get("/");
    assert_eq!(r.status(), StatusCode::OK);
    // Every page forbids framing, sniffing, referrers, caching and any script or style
    // that is not needsd's own.
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") || csp.contains("default-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.contains_key("referrer-policy"));
    let page = r.text().unwrap();
    assert!(
        !page.contains("href=\"/users\""),
        "an expert sees no Users tab"
    );

    // After a login, `next` only ever leads to a page of this site.
    let hop = Agent::new(&d);
    let page = hop.get("/login").text().unwrap();
    let r = hop.post(
        "/login",
        &[
            ("csrf", &token_in(&page)),
            ("name", EXPERT.0),
            ("password", EXPERT.1),
            ("next", "/\t/evil.example/"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/", "no open redirect");

    // No form of a logged-in expert works without the session's token.
    for path in &forms[1..] {
        let r = expert.post(path, &[("verdict", "approve"), ("active", "0")]);
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} without a token");
    }

    // A form without its token, or with another session's, changes nothing.
    let path = format!("/submissions/{id}/decide");
    let r = expert.post(&path, &[("verdict", "approve")]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "missing token");
    let other = Agent::new(&d);
    assert_eq!(other.login(ADMIN).status(), StatusCode::SEE_OTHER);
    let foreign = other.csrf();
    let r = expert.post(&path, &[("verdict", "approve"), ("csrf", &foreign)]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another session's token");
    assert_eq!(need(&lab.p, "MN-00001").status.as_str(), "Open");

    // An expert is refused what only an admin may do.
    let csrf = expert.csrf();
    assert_eq!(expert.get("/users").status(), StatusCode::FORBIDDEN);
    assert_eq!(expert.get("/contacts/1").status(), StatusCode::FORBIDDEN);
    for (path, form) in [
        (
            "/users",
            vec![
                ("name", "eve"),
                ("role", "admin"),
                ("password", "0123456789ab"),
            ],
        ),
        ("/users/1/active", vec![("active", "0")]),
        (
            "/contacts",
            vec![("party", "KEN"), ("name", "X"), ("email", "x@resp.test")],
        ),
        (
            "/contacts/1",
            vec![("party", "KEN"), ("name", "X"), ("email", "x@resp.test")],
        ),
        ("/contacts/1/active", vec![("active", "0")]),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        assert_eq!(
            expert.post(path, &form).status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        expert.get("/contacts").status(),
        StatusCode::OK,
        "experts read the directory"
    );
    // Contacts decide whose mail is trusted: accepting a stranger, an expert cannot make
    // them one (the page does not offer it, and the server refuses it).
    let st = lab.stranger_submission;
    let page = expert.get(&format!("/submissions/{st}")).text().unwrap();
    assert!(page.contains("Accept the sender") && !page.contains("add_contact"));
    let r = expert.post(
        &format!("/submissions/{st}/accept"),
        &[("csrf", &csrf), ("add_contact", "on"), ("name", "Mallory")],
    );
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Refusing the stranger needs a reason, rejects their changes, and is final.
    let refuse = format!("/submissions/{st}/refuse");
    let r = expert.post(&refuse, &[("csrf", &csrf), ("reason", " ")]);
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().unwrap().contains("needs a reason"));
    let r = expert.post(
        &refuse,
        &[("csrf", &csrf), ("reason", "Not a contact of Senegal")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = expert.get(&format!("/submissions/{st}")).text().unwrap();
    assert!(
        page.contains("state rejected") && page.contains("Not a contact of Senegal"),
        "{page}"
    );
    let r = expert.post(&format!("/submissions/{st}/accept"), &[("csrf", &csrf)]);
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a refused sender stays refused"
    );
    assert!(
        !needsd_contacts(&lab.p)
            .iter()
            .any(|c| c["email"] == lab.stranger.as_str())
    );
    // The refused reply was never Senegal's: when Amina writes again (about the notes
    // only), what the stranger's copy repeated of hers does not supersede her changes.
    let again = reply_again(
        &lab,
        &lab.amina,
        &[("MN-00002", "Notes", "Budget approved")],
        "Matrix.xlsx",
    );
    assert_eq!(again.pending_changes, 1, "{again:?}");
    let page = expert
        .get(&format!("/submissions/{}", lab.amina_submission))
        .text()
        .unwrap();
    assert!(page.contains("state pending"), "{page}");
    assert_eq!(
        page.matches("value=\"approve\" aria-label=\"Approve change")
            .count(),
        2,
        "both of Amina's changes still wait: {page}"
    );

    // Logging out ends the session on the server, not only in the browser.
    let r = expert.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(expert.get("/").status(), StatusCode::SEE_OTHER);

    // Wrong passwords for a name slow the answers down, but never lock the name out:
    // after six (the sixth waited a second), the right one still logs in.
    let guesser = Agent::new(&d);
    for _ in 0..6 {
        assert_eq!(
            guesser.login((ADMIN.0, "guess")).status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(guesser.login(ADMIN).status(), StatusCode::SEE_OTHER);
    d.stop();
}

#[test]
fn an_expert_reviews_the_submissions_that_came_by_mail() {
    an_expert_reviews_the_submissions_that_came_by_mail_on(Db::Sqlite);
}

#[test]
fn an_expert_reviews_the_submissions_that_came_by_mail_on_postgres() {
    an_expert_reviews_the_submissions_that_came_by_mail_on(Db::Postgres);
}

fn an_expert_reviews_the_submissions_that_came_by_mail_on(db: Db) {
    let lab = review_lab_on(&unique("webreview"), db);
    let d = Daemon::start(&lab.cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let a = Agent::new(&d);
    assert_eq!(a.login(EXPERT).status(), StatusCode::SEE_OTHER);
    let csrf = a.csrf();

    // The dashboard counts the cycle.
    let dash = a.get("/").text().unwrap();
    assert!(dash.contains("<dt>Recipients</dt><dd>2</dd>"), "{dash}");
    let q = &dash[dash.find("<dt>Quarantined</dt>").unwrap()..];
    assert!(q[..q.find("</dd>").unwrap()].ends_with(">1</a>"), "{dash}");

    // The list, filtered.
    let list = a.get("/submissions?state=quarantined").text().unwrap();
    assert!(
        list.contains(&lab.stranger) && !list.contains(&lab.grace),
        "{list}"
    );
    let list = a.get("/submissions?party=KEN").text().unwrap();
    assert!(
        list.contains(&lab.grace) && !list.contains(&lab.amina),
        "{list}"
    );

    // Grace's submission: her words shown as text, never as markup.
    let g = lab.grace_submission;
    let page = a.get(&format!("/submissions/{g}")).text().unwrap();
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(!page.contains("<script>"), "the sender's markup is inert");
    assert!(!page.contains("<b>bold</b>") && !page.contains("<i>our</i>"));
    assert!(page.contains("verified contact"));
    assert!(page.contains("Completed with UNODC in &lt;October&gt;"));
    // Its workbook downloads as a file, byte for byte.
    let r = a.get(&format!("/submissions/{g}/attachments/0"));
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(r.bytes().unwrap().to_vec(), lab.grace_workbook);
    assert_eq!(
        a.get(&format!("/submissions/{g}/attachments/9")).status(),
        StatusCode::NOT_FOUND
    );

    // Approve change 1 (Status → Met): the Matrix and its history follow.
    let decide = format!("/submissions/{g}/decide");
    let r = a.post(
        &decide,
        &[("csrf", &csrf), ("verdict", "approve"), ("change", "1")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(need(&lab.p, "MN-00001").status.as_str(), "Met");
    let h = history(&lab.p, "MN-00001");
    let last = h.last().unwrap();
    assert_eq!(
        (
            last.field.as_str(),
            last.old.as_deref(),
            last.new.as_deref()
        ),
        ("status", Some("Open"), Some("Met"))
    );
    assert_eq!(last.reviewer.as_deref(), Some(EXPERT.0));
    assert_eq!(last.submission, Some(g));
    // A rejection needs a reason; with one, change 2 is rejected and the need keeps its notes.
    let r = a.post(
        &decide,
        &[
            ("csrf", &csrf),
            ("verdict", "reject"),
            ("change", "2"),
            ("reason", " "),
        ],
    );
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().unwrap().contains("needs a reason"));
    let r = a.post(
        &decide,
        &[
            ("csrf", &csrf),
            ("verdict", "reject"),
            ("change", "2"),
            ("reason", "Not confirmed"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(need(&lab.p, "MN-00001").notes, "");
    let page = a.get(&format!("/submissions/{g}")).text().unwrap();
    assert!(
        page.contains("state applied"),
        "the submission is settled: {page}"
    );
    assert!(page.contains("Not confirmed"));
    // Grace is told, through the lab.
    let told = wait_for_mail(&lab.grace, 3, 30);
    let decision = parse(told.last().unwrap());
    let subject = decision.subject().unwrap_or_default().to_string();
    assert!(
        subject.contains("Decided: 1 approved, 1 not accepted"),
        "{subject}"
    );
    assert!(decision.body_text(0).unwrap().contains("Not confirmed"));

    // The need's page shows who changed what, from which mail, approved by whom.
    let page = a.get("/needs/MN-00001").text().unwrap();
    assert!(
        page.contains(&format!("href=\"/submissions/{g}\"")),
        "{page}"
    );
    assert!(
        page.contains(&lab.grace) && page.contains(">ann<"),
        "{page}"
    );
    assert_eq!(a.get("/needs/MN-99999").status(), StatusCode::NOT_FOUND);

    // The matrix, filtered, and its export.
    let m = a.get("/matrix?status=Met").text().unwrap();
    assert!(m.contains("MN-00001") && !m.contains("MN-00002"), "{m}");
    let m = a
        .get("/matrix?state=SEN&area=POL&priority=High")
        .text()
        .unwrap();
    assert!(m.contains("MN-00002") && !m.contains("MN-00001"), "{m}");
    let x = a.get("/matrix.xlsx?state=KEN");
    assert_eq!(x.status(), StatusCode::OK);
    assert!(
        x.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(x.bytes().unwrap().starts_with(b"PK"));

    // Amina's change: the need moved since her reply was read, so approving asks first.
    let am = lab.amina_submission;
    move_need(&lab.p, "MN-00002", "Assistance offered");
    let decide = format!("/submissions/{am}/decide");
    let r = a.post(&decide, &[("csrf", &csrf), ("verdict", "approve")]);
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().unwrap();
    assert!(
        page.contains("Assistance offered") && page.contains("Confirm"),
        "{page}"
    );
    assert_eq!(
        need(&lab.p, "MN-00002").status.as_str(),
        "Assistance offered"
    );
    // The confirmation is for the value shown: if the need moves again before the
    // expert confirms, they are asked again, with the new value.
    let token = confirm_token(&page);
    move_need(&lab.p, "MN-00002", "Withdrawn");
    let r = a.post(
        &decide,
        &[("csrf", &csrf), ("verdict", "approve"), ("confirm", &token)],
    );
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().unwrap();
    assert!(page.contains("is now &quot;Withdrawn&quot;"), "{page}");
    assert_eq!(need(&lab.p, "MN-00002").status.as_str(), "Withdrawn");
    let r = a.post(
        &decide,
        &[("csrf", &csrf), ("verdict", "approve"), ("confirm", "1")],
    );
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a made-up token confirms nothing"
    );
    let r = a.post(
        &decide,
        &[
            ("csrf", &csrf),
            ("verdict", "approve"),
            ("confirm", &confirm_token(&page)),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(need(&lab.p, "MN-00002").status.as_str(), "In progress");
    assert_eq!(
        need(&lab.p, "MN-00003").description,
        "Model law on the financing of terrorism"
    );

    // The stranger's reply: waits in quarantine until accepted, then is reviewed.
    let st = lab.stranger_submission;
    let r = a.post(
        &format!("/submissions/{st}/decide"),
        &[("csrf", &csrf), ("verdict", "approve")],
    );
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "quarantined changes cannot be approved"
    );
    let r = a.post(&format!("/submissions/{st}/accept"), &[("csrf", &csrf)]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = a.get(&format!("/submissions/{st}")).text().unwrap();
    assert!(page.contains("state pending"), "{page}");
    assert!(page.contains("sender accepted by ann"), "{page}");
    // Accepted, but not a contact: still no mail to the stranger.
    assert!(
        !outbox_rows(&lab.p)
            .iter()
            .any(|r| r.recipient == lab.stranger),
        "mail to a stranger"
    );
    let r = a.post(
        &format!("/submissions/{st}/decide"),
        &[
            ("csrf", &csrf),
            ("verdict", "reject"),
            ("reason", "Already applied"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = a.get(&format!("/submissions/{st}")).text().unwrap();
    assert!(page.contains("state rejected"), "{page}");
    d.stop();
}

#[test]
fn an_admin_manages_users_and_contacts() {
    an_admin_manages_users_and_contacts_on(Db::Sqlite);
}

#[test]
fn an_admin_manages_users_and_contacts_on_postgres() {
    an_admin_manages_users_and_contacts_on(Db::Postgres);
}

fn an_admin_manages_users_and_contacts_on(db: Db) {
    let lab = review_lab_on(&unique("webadmin"), db);
    let d = Daemon::start(&lab.cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let a = Agent::new(&d);
    assert_eq!(a.login(ADMIN).status(), StatusCode::SEE_OTHER);
    let csrf = a.csrf();
    assert!(a.get("/").text().unwrap().contains("href=\"/users\""));

    // A new expert, who can then log in; deactivated, they cannot.
    let r = a.post(
        "/users",
        &[
            ("csrf", &csrf),
            ("name", "bea"),
            ("role", "expert"),
            ("password", "short"),
        ],
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().unwrap();
    assert!(
        page.contains("at least 10 characters") && page.contains("value=\"bea\""),
        "the name comes back, the password does not: {page}"
    );
    let r = a.post(
        "/users",
        &[
            ("csrf", &csrf),
            ("name", "bea"),
            ("role", "expert"),
            ("password", "bea's long password"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let bea = Agent::new(&d);
    assert_eq!(
        bea.login(("bea", "bea's long password")).status(),
        StatusCode::SEE_OTHER
    );
    let users = a.get("/users").text().unwrap();
    let at = users.find("<td>bea</td>").unwrap();
    let form = &users[at..];
    let action = &form[form.find("action=\"").unwrap() + 8..];
    let action = action[..action.find('"').unwrap()].to_string();
    let r = a.post(&action, &[("csrf", &csrf), ("active", "0")]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bea.get("/").status(),
        StatusCode::SEE_OTHER,
        "her session ended"
    );

    // Contacts: add (refusing a bad address), edit, deactivate.
    let r = a.post(
        "/contacts",
        &[
            ("csrf", &csrf),
            ("party", "KEN"),
            ("name", "Otieno"),
            ("email", "not an address"),
        ],
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().unwrap();
    assert!(page.contains("Email: malformed address"), "{page}");
    assert!(
        page.contains("value=\"Otieno\"") && page.contains("<option value=\"KEN\" selected>"),
        "what was typed comes back: {page}"
    );
    let email = format!("otieno-{}@resp.test", unique("c"));
    let r = a.post(
        "/contacts",
        &[
            ("csrf", &csrf),
            ("party", "KEN"),
            ("name", "Otieno"),
            ("email", &email),
            ("language", "en"),
            ("receives_matrix", "on"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let contacts = needsd_contacts(&lab.p);
    let c = contacts
        .iter()
        .find(|c| c["email"] == email.as_str())
        .unwrap();
    assert_eq!(c["receives_matrix"], true);
    let id = c["id"].as_i64().unwrap();
    let form = a.get(&format!("/contacts/{id}")).text().unwrap();
    assert!(
        form.contains(&format!("value=\"{email}\"")),
        "the edit form: {form}"
    );
    let r = a.post(
        &format!("/contacts/{id}"),
        &[
            ("csrf", &csrf),
            ("party", "KEN"),
            ("name", "Otieno <Ochieng>"),
            ("email", &email),
            ("language", "fr"),
            ("office", "Ministry"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = a.get("/contacts").text().unwrap();
    assert!(page.contains("Otieno &lt;Ochieng&gt;"), "escaped: {page}");
    let r = a.post(
        &format!("/contacts/{id}/active"),
        &[("csrf", &csrf), ("active", "0")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let contacts = needsd_contacts(&lab.p);
    let c = contacts.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(
        (
            c["name"].as_str(),
            c["language"].as_str(),
            c["active"].as_bool(),
            c["receives_matrix"].as_bool()
        ),
        (
            Some("Otieno <Ochieng>"),
            Some("fr"),
            Some(false),
            Some(false)
        )
    );

    // An admin accepts the stranger as Senegal's, making them a contact. Their reply is
    // later than Amina's and proposes the same things (MN-00002's status and the new
    // need), so Amina's pending changes are superseded and her submission is settled.
    let st = lab.stranger_submission;
    let r = a.post(
        &format!("/submissions/{st}/accept"),
        &[
            ("csrf", &csrf),
            ("add_contact", "on"),
            ("name", "Mallory <M>"),
        ],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = needsd_contacts(&lab.p);
    let m = c
        .iter()
        .find(|c| c["email"] == lab.stranger.as_str())
        .expect("the sender is now a contact");
    assert_eq!(
        (m["party"].as_str(), m["name"].as_str()),
        (Some("SEN"), Some("Mallory <M>"))
    );
    let page = a.get(&format!("/submissions/{st}")).text().unwrap();
    assert!(
        page.contains("state pending") && page.contains("sender accepted by root"),
        "{page}"
    );
    // Now a contact, the sender gets the receipt that was held back.
    let receipts: Vec<_> = outbox_rows(&lab.p)
        .into_iter()
        .filter(|r| r.recipient == lab.stranger)
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0].kind, "receipt");
    assert!(
        receipts[0].subject.contains("2 changes awaiting review"),
        "{receipts:?}"
    );
    let page = a
        .get(&format!("/submissions/{}", lab.amina_submission))
        .text()
        .unwrap();
    assert_eq!(page.matches("state superseded").count(), 2, "{page}");
    assert!(
        !page.contains("state pending"),
        "Amina's reply is settled: {page}"
    );

    // Grace writes again, correcting only the notes, and under a hostile file name: her
    // first reply's notes are superseded, its status change still waits for review.
    let hostile = "../<img src=x onerror=alert(1)> \\\"q\\\".xlsx";
    let second = reply_again(
        &lab,
        &lab.grace,
        &[("MN-00001", "Notes", "Completed in November")],
        hostile,
    );
    assert_eq!(second.pending_changes, 1, "{second:?}");
    let page = a
        .get(&format!("/submissions/{}", lab.grace_submission))
        .text()
        .unwrap();
    let change = |n: usize| {
        let at = page.find(&format!("id=\"change-{n}\"")).unwrap();
        page[at..at + page[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        change(1).contains("Approve"),
        "the status change waits: {}",
        change(1)
    );
    assert!(change(2).contains("state superseded"), "{}", change(2));
    let page = a
        .get(&format!("/submissions/{}", second.id))
        .text()
        .unwrap();
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img src=x"), "the file name is inert");
    let r = a.get(&format!("/submissions/{}/attachments/0", second.id));
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let quoted = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
        .unwrap_or_else(|| panic!("{disposition}"))
        .0;
    assert!(
        quoted.contains("<img_src=x_onerror=alert(1)>") && !quoted.contains(['"', '\\']),
        "{disposition}"
    );
    d.stop();
}

fn needsd_contacts(p: &Project) -> Vec<serde_json::Value> {
    p.json(&["contacts", "list", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_public_directory_is_open_to_anyone_and_shows_nothing_else() {
    the_public_directory_is_open_to_anyone_on(Db::Sqlite);
}

#[test]
fn the_public_directory_is_open_to_anyone_and_shows_nothing_else_on_postgres() {
    the_public_directory_is_open_to_anyone_on(Db::Postgres);
}

fn the_public_directory_is_open_to_anyone_on(db: Db) {
    let lab = review_files_on(&unique("pubdir"), db);
    let public = [
        "/directory",
        "/directory/SA-00001",
        "/directory.csv",
        "/directory.json",
        "/directory.atom",
    ];
    // Off by default: no such pages.
    {
        let d = Daemon::start(&lab.cfg, std::sync::Arc::new(needsd::clock::SystemClock));
        let anon = Agent::new(&d);
        for path in public {
            assert_eq!(anon.get(path).status(), StatusCode::NOT_FOUND, "{path}");
        }
        d.stop();
    }
    let cfg = with_public_directory(&lab);
    let d = Daemon::start(&cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let anon = Agent::new(&d);
    for path in public {
        let r = anon.get(path);
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        // The review UI's security headers, and no session handed out.
        let h = r.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("set-cookie").is_none(), "{path}");
        // Nothing about needs, contacts, users or submissions.
        let body = r.text().unwrap();
        for secret in [
            "MN-0",
            "grace",
            "amina",
            "/matrix",
            "/submissions",
            "/contacts",
        ] {
            assert!(
                !body.to_lowercase().contains(secret),
                "{path} shows {secret}"
            );
        }
    }
    // Every page of the review UI still wants a login, and every form refuses a stranger.
    for path in ["/", "/matrix", "/needs/MN-00001", "/contacts", "/users"] {
        assert_eq!(anon.get(path).status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(
        anon.post("/contacts", &[("party", "KEN")]).status(),
        StatusCode::FORBIDDEN
    );

    // The list: active programmes only, markup shown as text.
    let page = anon.get("/directory").text().unwrap();
    assert!(page.contains("4 of 4 active programmes"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)") && !page.contains("<script>"));
    assert!(!page.contains("Old seminar"));
    // Filters: the programmes Kenya may receive (named, its region, every State) …
    let titles = |q: &str| -> Vec<String> {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&anon.get(&format!("/directory.json{q}")).text().unwrap())
                .unwrap();
        rows.iter()
            .map(|r| r["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        titles("?state=KEN"),
        [
            "Drafting counter-terrorism law <script>alert(1)</script>",
            "Police training for Kenya and Uganda",
            "Financial intelligence units"
        ]
    );
    // … France, a member of the EU, gets the border kit and what is for every State.
    assert_eq!(
        titles("?state=FRA"),
        [
            "Drafting counter-terrorism law <script>alert(1)</script>",
            "Border control kit"
        ]
    );
    assert_eq!(
        titles("?area=FIN&language=ar"),
        ["Financial intelligence units"]
    );
    assert_eq!(
        titles("?kind=training"),
        ["Police training for Kenya and Uganda"]
    );
    assert_eq!(titles("?provider=EU"), ["Border control kit"]);
    assert_eq!(titles("?q=border"), ["Border control kit"]);
    assert!(
        titles("?q=seminar").is_empty(),
        "a closed programme is not listed"
    );
    let html = anon.get("/directory?state=FRA&area=CUS").text().unwrap();
    assert!(html.contains("1 of 4 active programmes"), "{html}");

    // The JSON shape.
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&anon.get("/directory.json?provider=UNODC").text().unwrap()).unwrap();
    let r = &rows[0];
    assert_eq!(r["id"], "SA-00001");
    assert_eq!(r["provider"], "UNODC");
    assert_eq!(r["kind"], "Legislative drafting support");
    assert_eq!(r["areas"], serde_json::json!(["LEG", "FIN"]));
    assert_eq!(r["eligible"], "Every State");
    assert_eq!(r["languages"], serde_json::json!(["en", "fr"]));
    assert_eq!(r["contact"], "tpb@unodc.example.org");
    assert_eq!(r["status"], "Active");

    // One programme's page; a closed one says so; an unknown one is no page.
    let one = anon.get("/directory/SA-00002").text().unwrap();
    assert!(one.contains("Police training for Kenya and Uganda") && one.contains("KEN; UGA"));
    let closed = anon.get("/directory/sa-00004").text().unwrap();
    assert!(closed.contains("Closed"), "{closed}");
    for path in [
        "/directory/SA-00099",
        "/directory/nonsense",
        "/directory/SA-1",
    ] {
        assert_eq!(anon.get(path).status(), StatusCode::NOT_FOUND, "{path}");
    }

    // The CSV reads back as a Programmes sheet: check proposes nothing new for it.
    let csv = anon.get("/directory.csv").text().unwrap();
    assert!(csv.starts_with("Programme ID,Provider,Title,Kind,Areas,Eligible,Languages,"));
    assert_eq!(csv.lines().count(), 5, "{csv}");
    lab.p.write("again.csv", &csv);
    let again = lab.p.run(&["programmes", "import", "again.csv"]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && said.matches("already in the directory").count() == 4,
        "{said}"
    );

    // The Atom feed is well-formed RFC 4287, every programme an entry.
    let feed = anon.get("/directory.atom");
    assert_eq!(
        feed.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert_valid_atom(&feed.text().unwrap(), 5);
    d.stop();
}

/// Checks `feed` with Python's XML parser against what RFC 4287 requires of a feed and
/// its entries (id, title, updated as RFC 3339; an author; a link or content per entry).
fn assert_valid_atom(feed: &str, entries: usize) {
    let script = r#"
import sys, re, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == A + "feed", root.tag
stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
def need(e, name, where):
    found = e.findall(A + name)
    assert len(found) == 1, f"{where}: {len(found)} <{name}>"
    assert (found[0].text or "").strip(), f"{where}: empty <{name}>"
    return found[0].text
for name in ("id", "title", "updated"):
    need(root, name, "feed")
assert stamp.match(need(root, "updated", "feed"))
assert root.findall(A + "author"), "feed: no <author>"
ids = set()
entries = root.findall(A + "entry")
for i, e in enumerate(entries):
    ids.add(need(e, "id", f"entry {i}"))
    need(e, "title", f"entry {i}")
    assert stamp.match(need(e, "updated", f"entry {i}"))
    assert e.findall(A + "link") or e.findall(A + "content"), f"entry {i}: no link"
assert len(ids) == len(entries), "entry ids repeat"
print(len(entries))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(feed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Atom feed is not valid: {}\n{feed}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        entries.to_string()
    );
}

#[test]
fn experts_see_who_could_meet_each_need_and_the_unmet_needs() {
    let lab = review_files(&unique("unmet"));
    let cfg = with_public_directory(&lab);
    let d = Daemon::start(&cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let ann = Agent::new(&d);
    assert_eq!(ann.login(EXPERT).status(), StatusCode::SEE_OTHER);
    // Kenya's need in FIN: the World Bank's programme for Eastern Africa first, then
    // UNODC's for every State.
    let need = ann.get("/needs/MN-00001").text().unwrap();
    let table = &need[need
        .find("id=\"candidates\"")
        .expect("a table of candidates")..];
    let wb = table.find("SA-00005").expect("the World Bank's programme");
    let unodc = table.find("SA-00001").expect("UNODC's programme");
    assert!(wb < unodc, "{table}");
    assert!(table.contains("its region or an organization it belongs to"));
    // Senegal's police need: nothing in the directory covers it.
    let need = ann.get("/needs/MN-00002").text().unwrap();
    assert!(need.contains("No programme in the Directory of Sources of Assistance covers"));
    // The Unmet needs page lists both open needs, one without any candidate.
    let unmet = ann.get("/unmet").text().unwrap();
    assert!(
        unmet.contains("2 open needs with no provider; 1 with no candidate programme."),
        "{unmet}"
    );
    assert!(unmet.contains("MN-00001") && unmet.contains("MN-00002"));
    // The dashboard's measure of 7(c): half the open needs have a candidate, none a provider.
    let dash = ann.get("/").text().unwrap();
    assert!(
        dash.contains(">50%</a> <span class=\"muted\">(1 of 2)"),
        "{dash}"
    );
    assert!(
        dash.contains("id=\"provider-share\">0% <span class=\"muted\">(0 of 2)"),
        "{dash}"
    );
    // Strangers are sent to the login form.
    let anon = Agent::new(&d);
    assert_eq!(anon.get("/unmet").status(), StatusCode::SEE_OTHER);
    d.stop();
}

/// The Directory of Sources of Assistance kept by the same monthly mail: UNODC's copy comes
/// through Postfix with its Programmes sheet and the needs its programme could meet; its
/// desk answers in both sheets (one more language for the programme, and an offer to meet
/// Kenya's need), the reply is read over IMAP, and an expert approves everything in the
/// review UI: the programme and the need change, each with its history.
#[test]
fn a_provider_offers_to_meet_a_need_and_updates_its_programme_by_mail() {
    maillab();
    let tag = unique("provider");
    let secretariat = format!("needs-{tag}");
    let config = format!("{}{QUIET_SCHEDULE}", lab_daemon_config(&secretariat));
    let p = Project::new(&config);
    let desk = format!("desk-{tag}@resp.test");
    p.load(
        &format!("party,name,email,language,receives_matrix\nUNODC,Desk,{desk},en,yes\n"),
        MATRIX,
    );
    let programmes = p.path("programmes.csv");
    std::fs::write(
        &programmes,
        "Provider,Title,Kind,Areas,Eligible,Languages,Status\n\
         UNODC,FIU analysts' course,Training,FIN,Eastern Africa,en,Active\n",
    )
    .unwrap();
    p.ok(&["programmes", "import", programmes.to_str().unwrap()]);
    let sent = p.json(&["dispatch", "--cycle", &next_cycle(), "--json"]);
    assert_eq!(sent["send"]["sent"], 1, "{sent}");

    let (to, id, workbook) = circulation(&desk);
    let file = p.path("unodc.xlsx");
    std::fs::write(&file, workbook).unwrap();
    let script = format!(
        "import openpyxl\nwb = openpyxl.load_workbook({file:?})\n\
         offers = wb['Needs you could meet']\n\
         assert offers['A2'].value == 'MN-00001' and offers['A3'].value is None, 'Kenya only'\n\
         assert offers['I2'].value == \"SA-00001 FIU analysts' course\"\n\
         offers['F2'] = 'Assistance offered'\noffers['G2'] = 'UNODC'\n\
         offers['H2'] = 'Course in Nairobi, March'\n\
         ps = wb['Programmes']\nassert ps['A2'].value == 'SA-00001'\nps['G2'] = 'en; fr'\n\
         wb.save({file:?})\n"
    );
    let ok = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3 (scripts/test.sh installs it with openpyxl)");
    assert!(ok.success(), "the copy did not hold what UNODC should see");
    let reply = std::fs::read(&file).unwrap();
    send_raw(
        &desk,
        &to,
        &review::reply_saying(&desk, &to, &id, "We can help Kenya.", &reply),
    );
    wait_for_mail(&format!("{secretariat}@ctc.test"), 1, 20);
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["submissions"], 1, "{out}");
    let subs = submissions(&p);
    let sub = subs[0].id;
    let shown = p.json(&["review", "show", &sub.to_string(), "--json"]);
    let changes: Vec<(String, String)> = shown["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap_or("").to_string(),
                c["proposed"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("status".to_string(), "Assistance offered".to_string()),
            ("provider".into(), "UNODC".into()),
            ("notes".into(), "Course in Nairobi, March".into()),
        ],
        "{shown}"
    );
    let programme = &shown["programme_changes"];
    assert_eq!(programme.as_array().map(Vec::len), Some(1), "{shown}");
    assert_eq!(programme[0]["seq"], 4);
    assert_eq!(programme[0]["field"], "languages");
    assert_eq!(programme[0]["proposed"], "en; fr");

    assert!(add_user(&p, EXPERT.0, "expert", EXPERT.1).status.success());
    let cfg = p.in_process_config();
    let d = Daemon::start(&cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let a = Agent::new(&d);
    assert_eq!(a.login(EXPERT).status(), StatusCode::SEE_OTHER);
    let page = a.get(&format!("/submissions/{sub}")).text().unwrap();
    assert!(
        page.contains("To the Directory of Sources of Assistance")
            && page.contains("SA-00001")
            && page.contains("en; fr")
            && page.contains("Approve all 4"),
        "{page}"
    );
    let csrf = a.csrf();
    let r = a.post(
        &format!("/submissions/{sub}/decide"),
        &[("csrf", &csrf), ("verdict", "approve")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let n = review::need(&p, "MN-00001");
    assert_eq!(
        (n.status.as_str(), n.provider.as_str(), n.notes.as_str()),
        ("Assistance offered", "UNODC", "Course in Nairobi, March")
    );
    let directory = with_store(&p, async |s| s.programmes().await);
    assert_eq!(directory[0].get("languages"), "en; fr");
    let history = with_store(&p, async |s| s.programme_history("SA-00001").await);
    assert!(
        history
            .iter()
            .any(|h| h.field == "languages" && h.submission == Some(sub)),
        "{history:?}"
    );
    let page = a.get(&format!("/submissions/{sub}")).text().unwrap();
    assert!(page.contains("state applied"), "{page}");
    // The desk is told what was decided, programme and need alike.
    let told = wait_for_mail(&desk, 3, 30);
    let decision = parse(told.last().unwrap());
    let text = decision.body_text(0).unwrap_or_default().to_string();
    assert!(
        text.contains("SA-00001 Languages: en → en; fr") && text.contains("MN-00001 Status"),
        "{text}"
    );
}

/// The contact of `party` at `email`, as `contacts list --json` gives it.
fn contact_json(p: &Project, party: &str, email: &str) -> serde_json::Value {
    let all = p.json(&["contacts", "list", "--json"]);
    all.as_array()
        .unwrap()
        .iter()
        .find(|c| c["party"] == party && c["email"] == email)
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

/// The link and the mailto address of a message's `List-Unsubscribe`, and its
/// `List-Unsubscribe-Post`.
fn list_unsubscribe(raw: &[u8]) -> (String, String, String) {
    let m = parse(raw);
    let header = |name: &str| -> String {
        m.header_raw(name)
            .unwrap_or_else(|| panic!("a {name} header"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let value = header("List-Unsubscribe");
    let inside: Vec<&str> = value
        .split(['<', '>'])
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != ",")
        .collect();
    let [url, mailto] = inside[..] else {
        panic!("a link and a mailto in {value}")
    };
    (
        url.to_string(),
        mailto.to_string(),
        header("List-Unsubscribe-Post"),
    )
}

/// A mission of Kenya nobody had written to asks for the Matrix in French, by mail
/// through Postfix; the request waits for an expert, who approves it in the review UI
/// naming Kenya; the copy of the cycle still collecting replies reaches the mission at
/// once, in French, with a one-click `List-Unsubscribe`. A link checker's GET of that
/// link changes nothing; the one-click POST (no cookie, no form token) stops the Matrix
/// and is confirmed by mail, once. An organization of the annex stops by the mailto
/// instead, and is flagged to the experts.
#[test]
fn a_state_asks_for_the_matrix_by_mail_gets_it_and_stops_with_one_click() {
    maillab();
    let tag = unique("subscribe");
    let secretariat = format!("needs-{tag}");
    let secretariat_address = format!("{secretariat}@ctc.test");
    let config = format!("{}{QUIET_SCHEDULE}", lab_daemon_config(&secretariat));
    let p = Project::new(&config);
    let desk = format!("desk-{tag}@resp.test");
    p.load(
        &format!("party,name,email,language,receives_matrix\nUNODC,Desk,{desk},en,yes\n"),
        MATRIX,
    );
    let cycle = next_cycle();
    let sent = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(sent["send"]["sent"], 1, "{sent}");
    let desk_copy = wait_for_mail(&desk, 1, 20).remove(0);
    assert!(add_user(&p, EXPERT.0, "expert", EXPERT.1).status.success());
    let cfg = p.in_process_config();
    let d = Daemon::start(&cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let a = Agent::new(&d);
    assert_eq!(a.login(EXPERT).status(), StatusCode::SEE_OTHER);

    let mission = format!("mission-{tag}@resp.test");
    let ask = format!(
        "From: Mission du Kenya <{mission}>\r\nTo: {secretariat_address}\r\n\
         Subject: Matrice des besoins\r\nMessage-ID: <ask-{tag}@resp.test>\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Bonjour,\r\npourriez-vous nous envoyer la matrice chaque mois ?\r\nCordialement\r\n"
    );
    send_raw(&mission, &secretariat_address, ask.as_bytes());
    eventually("the request on the requests page", 60, || {
        a.get("/requests").text().unwrap().contains(&mission)
    });
    let page = a.get("/requests").text().unwrap();
    assert!(
        page.contains("pourriez-vous nous envoyer la matrice") && page.contains("Approve"),
        "{page}"
    );
    assert!(
        a.get("/")
            .text()
            .unwrap()
            .contains("1 request to receive the Matrix")
    );
    let listed = p.json(&["requests", "list", "--json"]);
    let request = &listed["requests"][0];
    assert_eq!(
        (&request["address"], &request["language"], &request["state"]),
        (
            &serde_json::json!(mission),
            &serde_json::json!("fr"),
            &serde_json::json!("pending")
        ),
        "{listed}"
    );
    // Nothing goes to a stranger before an expert says so.
    assert!(mailbox(&mission).is_empty());
    assert_eq!(contact_json(&p, "KEN", &mission), serde_json::Value::Null);

    let id = request["id"].as_i64().unwrap();
    let csrf = a.csrf();
    // The form's token is required, as on every form of the review UI.
    let forged = a.post(&format!("/requests/{id}/approve"), &[("party", "KEN")]);
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let r = a.post(
        &format!("/requests/{id}/approve"),
        &[("csrf", &csrf), ("party", "KEN")],
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/requests?done=approved-sent");
    let got = wait_for_mail(&mission, 1, 30);
    let copy = parse(&got[0]);
    assert!(
        copy.subject()
            .is_some_and(|s| s.contains(&cycle) && s.contains("Matrice des besoins")),
        "{:?}",
        copy.subject()
    );
    let (_, _, workbook) = circulation_in(&got[0]);
    assert!(workbook.starts_with(b"PK"), "an xlsx attached");
    let kenya = contact_json(&p, "KEN", &mission);
    assert_eq!(
        (
            &kenya["receives_matrix"],
            &kenya["language"],
            &kenya["name"]
        ),
        (
            &serde_json::json!(true),
            &serde_json::json!("fr"),
            &serde_json::json!("Mission du Kenya")
        ),
        "{kenya}"
    );
    let decided = p.json(&["requests", "list", "--all", "--json"]);
    assert_eq!(decided["requests"][0]["state"], "approved", "{decided}");
    assert_eq!(decided["requests"][0]["party"], "KEN", "{decided}");

    // The one-click link, under web.public_url (here the default, http:// + a listen
    // address on port 0: the test reaches the daemon where it really listens).
    let (url, mailto, post) = list_unsubscribe(&got[0]);
    assert_eq!(post, "List-Unsubscribe=One-Click");
    assert!(
        mailto.starts_with(&format!("mailto:{secretariat}+unsubscribe-")),
        "{mailto}"
    );
    let path = &url[url.find("/unsubscribe/").expect("an unsubscribe path")..];
    let base = format!("http://{}", d.addr);
    let plain = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let looked = plain.get(format!("{base}{path}")).send().unwrap();
    assert_eq!(looked.status(), StatusCode::OK);
    let page = looked.text().unwrap();
    assert!(
        page.contains("lang=\"fr\"") && page.contains("Ne plus la recevoir"),
        "{page}"
    );
    assert_eq!(contact_json(&p, "KEN", &mission)["receives_matrix"], true);
    let wrong = format!("{}0000", &path[..path.len() - 4]);
    let refused = plain
        .post(format!("{base}{wrong}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(contact_json(&p, "KEN", &mission)["receives_matrix"], true);
    let click = || {
        plain
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .unwrap()
    };
    let done = click();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().unwrap().contains("plus envoyée à"));
    assert_eq!(contact_json(&p, "KEN", &mission)["receives_matrix"], false);
    let confirmed = wait_for_mail(&mission, 2, 30);
    let confirmation = parse(&confirmed[1]);
    assert_eq!(
        confirmation.subject(),
        Some("[Matrix of Needs] Vous ne recevrez plus la Matrice des besoins")
    );
    // A second click changes nothing and sends nothing.
    assert!(click().text().unwrap().contains("pas envoyée à"));

    // UNODC's desk writes to the mailto of its own circulation instead.
    let (_, desk_mailto, _) = list_unsubscribe(&desk_copy);
    let to = desk_mailto
        .trim_start_matches("mailto:")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let stop = format!(
        "From: Desk <{desk}>\r\nTo: {to}\r\nSubject: unsubscribe\r\n\
         Message-ID: <stop-{tag}@resp.test>\r\nDate: Thu, 03 Dec 2026 11:00:00 +0000\r\n\r\nunsubscribe\r\n"
    );
    send_raw(&desk, &to, stop.as_bytes());
    eventually("UNODC's desk stopped", 60, || {
        contact_json(&p, "UNODC", &desk)["receives_matrix"] == false
    });
    let told = wait_for_mail(&desk, 2, 30);
    assert_eq!(
        parse(&told[1]).subject(),
        Some("[Matrix of Needs] You will no longer receive the Matrix of Needs")
    );
    let dashboard = a.get("/").text().unwrap();
    assert!(
        dashboard.contains(&format!("UNODC ({desk}) stopped receiving the Matrix")),
        "{dashboard}"
    );
    assert!(
        !dashboard.contains(&format!("KEN ({mission})")),
        "a State is not flagged"
    );
    let page = a.get("/requests").text().unwrap();
    assert!(
        page.contains("a message to the unsubscribe address")
            && page.contains("the link in a circulation")
            && page.matches("organization of the annex").count() == 1,
        "{page}"
    );
    let listed = p.json(&["requests", "list", "--json"]);
    assert_eq!(
        listed["unsubscribed"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    // Still two mails for the mission: the copy and one confirmation.
    assert_eq!(mailbox(&mission).len(), 2);
    d.stop();
}
