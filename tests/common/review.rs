//! A project with submissions to review, made the way they arrive in production: the
//! circulation goes out through the lab's Postfix, respondents read it over IMAP, edit the
//! workbook with openpyxl, reply over SMTP, and `needsd ingest --once` reads the replies.

use std::sync::Arc;

use super::*;

pub const MATRIX: &str = "Need ID,State,Area,Need,Priority,Status,Assistance provider,Notes,Last updated\n\
MN-00001,KEN,FIN,Training for financial intelligence unit analysts,High,Open,,,2026-10-14\n\
MN-00002,SEN,POL,Contrôle des frontières terrestres,High,Open,,,2026-07-09\n";

/// What Grace writes above her workbook: markup that must stay inert in the UI.
pub const HOSTILE_TEXT: &str =
    "Our update is attached. <script>document.title='pwned'</script> <b>bold</b>";

pub struct ReviewLab {
    pub p: Project,
    pub cfg: Arc<needsd::config::Config>,
    pub grace: String,
    pub amina: String,
    pub stranger: String,
    /// Grace's submission: MN-00001 Status Open → Met (change 1), Notes → text (change 2).
    pub grace_submission: i64,
    /// Amina's: MN-00002 Status Open → In progress (change 1), and a new need (change 2).
    pub amina_submission: i64,
    /// The stranger's, in quarantine.
    pub stranger_submission: i64,
    /// The workbook Grace sent.
    pub grace_workbook: Vec<u8>,
}

pub const EXPERT: (&str, &str) = ("ann", "ann's long password");
pub const ADMIN: (&str, &str) = ("root", "root's long password");

/// A reply whose text part is `text`, with a workbook attached.
pub fn reply_saying(from: &str, to: &str, in_reply_to: &str, text: &str, xlsx: &[u8]) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Re: [Matrix of Needs] <i>our</i> update\r\n\
         In-Reply-To: {in_reply_to}\r\nMessage-ID: <{}@resp.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--XYZ\r\n\
         Content-Type: application/octet-stream; name=\"Matrix.xlsx\"\r\n\
         Content-Disposition: attachment; filename=\"Matrix.xlsx\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--XYZ--\r\n",
        unique("m"),
        base64_lines(xlsx)
    )
    .into_bytes()
}

/// Builds the lab project, its three submissions and two users (an expert and an admin):
/// the circulation goes out through the lab's Postfix, is read over IMAP, and the replies
/// go back over SMTP.
pub fn review_lab(tag: &str) -> ReviewLab {
    review_lab_on(tag, Db::Sqlite)
}

/// [`review_lab`] on database `db`.
pub fn review_lab_on(tag: &str, db: Db) -> ReviewLab {
    maillab();
    let secretariat = format!("needs-{tag}");
    let url = match db {
        Db::Sqlite => "sqlite://data/needsd.db".to_string(),
        Db::Postgres => pglab(),
    };
    // Its daemon runs on the system clock, so no job may fire (see QUIET_SCHEDULE).
    let config = format!("{}{QUIET_SCHEDULE}", lab_daemon_config(&secretariat))
        .replace("sqlite://data/needsd.db", &url);
    let mailbox = format!("{secretariat}@ctc.test");
    review_project(
        tag,
        &config,
        &|_, who| circulation(who),
        &|_, from, to, raw| send_raw(from, to, raw),
        &|_| {
            wait_for_mail(&mailbox, 3, 20);
        },
    )
}

/// The same project with no mail server: the circulation is written to the file outbox,
/// and the replies are put in the Maildir inbox.
pub fn review_files(tag: &str) -> ReviewLab {
    review_files_on(tag, Db::Sqlite)
}

/// [`review_files`] on database `db`.
pub fn review_files_on(tag: &str, db: Db) -> ReviewLab {
    let url = match db {
        Db::Sqlite => "sqlite://data/needsd.db".to_string(),
        Db::Postgres => pglab(),
    };
    let config = format!(
        "{}{QUIET_SCHEDULE}",
        config_with(
            &format!("needs-{tag}"),
            "[outbox]\ndir = \"data/outbox\"",
            // A port of its own: several of these labs run daemons at once.
            "[maildir]\ndir = \"data/inbox\"\n[web]\nlisten = \"127.0.0.1:0\""
        )
        .replace("sqlite://data/needsd.db", &url)
    );
    review_project(
        tag,
        &config,
        &|p, who| circulation_file(p, who),
        &|p, _, _, raw| deliver_to_maildir(&p.path("data/inbox"), raw),
        &|_| {},
    )
}

/// A respondent's circulation: its Reply-To, its Message-ID and the workbook attached.
type Circulation<'a> = dyn Fn(&Project, &str) -> (String, String, Vec<u8>) + 'a;
/// Delivers a reply `raw` from one address to another.
type Send<'a> = dyn Fn(&Project, &str, &str, &[u8]) + 'a;

/// The project: Grace and Amina reply with edited workbooks, a stranger answers Amina's
/// circulation; `circulation` gives a respondent's circulation (its Reply-To, Message-ID
/// and workbook), `send` delivers a reply, and `arrived` waits until all three have.
fn review_project(
    tag: &str,
    config: &str,
    circulation: &Circulation<'_>,
    send: &Send<'_>,
    arrived: &dyn Fn(&Project),
) -> ReviewLab {
    let p = Project::new(config);
    let user = format!("needs-{tag}@ctc.test");
    let grace = format!("grace-{tag}@resp.test");
    let amina = format!("amina-{tag}@resp.test");
    let stranger = format!("mallory-{tag}@elsewhere.test");
    p.load(
        &format!(
            "party,name,email,language,receives_matrix\nKEN,Grace,{grace},en,yes\nSEN,Amina,{amina},fr,yes\n"
        ),
        MATRIX,
    );
    let cycle = next_cycle();
    let sent = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    assert_eq!(sent["send"]["sent"], 2, "{sent}");

    let (to, id, workbook) = circulation(&p, &grace);
    let file = p.path("grace.xlsx");
    std::fs::write(&file, workbook).expect("write");
    edit_workbook(
        &file,
        &[
            ("MN-00001", "Status", "Met"),
            ("MN-00001", "Notes", "Completed with UNODC in <October>"),
        ],
    );
    let grace_workbook = std::fs::read(&file).expect("read");
    send(
        &p,
        &grace,
        &to,
        &reply_saying(&grace, &to, &id, HOSTILE_TEXT, &grace_workbook),
    );

    let (to, id, workbook) = circulation(&p, &amina);
    let file = p.path("amina.xlsx");
    std::fs::write(&file, workbook).expect("write");
    edit_workbook(
        &file,
        &[
            ("MN-00002", "Status", "In progress"),
            (
                "new",
                "",
                "|SEN|LEG|Model law on the financing of terrorism|Medium|Open",
            ),
        ],
    );
    let edited = std::fs::read(&file).expect("read");
    send(
        &p,
        &amina,
        &to,
        &reply_saying(&amina, &to, &id, "Mise à jour ci-jointe.", &edited),
    );

    // A stranger answers Amina's circulation with the same workbook: quarantine.
    send(
        &p,
        &stranger,
        &user,
        &reply_saying(&stranger, &user, &id, "Update.", &edited),
    );
    arrived(&p);
    let out = p.json(&["ingest", "--once", "--json"]);
    assert_eq!(out["submissions"], 3, "{out}");
    assert_eq!(out["quarantined"], 1, "{out}");

    let subs = submissions(&p);
    let find = |from: &str| {
        subs.iter()
            .find(|s| s.from.as_deref() == Some(from))
            .unwrap_or_else(|| panic!("a submission from {from}: {subs:?}"))
            .id
    };
    let (grace_submission, amina_submission, stranger_submission) =
        (find(&grace), find(&amina), find(&stranger));

    for ((name, password), role) in [(EXPERT, "expert"), (ADMIN, "admin")] {
        let out = add_user(&p, name, role, password);
        assert!(
            out.status.success(),
            "users add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let cfg = p.in_process_config();
    ReviewLab {
        p,
        cfg,
        grace,
        amina,
        stranger,
        grace_submission,
        amina_submission,
        stranger_submission,
        grace_workbook,
    }
}

/// The circulation `who` was sent, from the project's file outbox: its Reply-To address,
/// its Message-ID (with brackets, as In-Reply-To writes it) and the workbook attached.
pub fn circulation_file(p: &Project, who: &str) -> (String, String, Vec<u8>) {
    let dir = p.path("data/outbox");
    for entry in std::fs::read_dir(&dir).expect("the file outbox") {
        let raw = std::fs::read(entry.expect("an outbox file").path()).expect("read");
        let m = parse(&raw);
        let to = m.to().and_then(|a| a.first()).and_then(|a| a.address());
        if to == Some(who) && m.attachments().next().is_some() {
            return circulation_in(&raw);
        }
    }
    panic!("no circulation to {who} in {}", dir.display());
}

/// Puts `raw` in the Maildir `dir` as a delivery agent does (tmp, then new).
pub fn deliver_to_maildir(dir: &Path, raw: &[u8]) {
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub)).expect("the Maildir");
    }
    let name = format!("{}.test", unique("m"));
    std::fs::write(dir.join("tmp").join(&name), raw).expect("write to tmp");
    std::fs::rename(dir.join("tmp").join(&name), dir.join("new").join(&name)).expect("move to new");
}

/// `needsd users add NAME --role ROLE`, the password on standard input.
pub fn add_user(p: &Project, name: &str, role: &str, password: &str) -> Output {
    use std::io::Write as _;
    let mut child = p
        .command(&["users", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start needsd");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("needsd users add")
}

/// A need as the database holds it now.
pub fn need(p: &Project, id: &str) -> needsd::model::Need {
    let id = needsd::model::NeedId::parse(id).expect("a need id");
    with_store(p, async |s| s.need(&id).await).expect("the need exists")
}

/// A need's history.
pub fn history(p: &Project, id: &str) -> Vec<needsd::store::review::HistoryEntry> {
    let id = needsd::model::NeedId::parse(id).expect("a need id");
    with_store(p, async |s| s.need_history(&id).await)
}

/// Changes a need behind the reviewer's back, as another approval would.
pub fn move_need(p: &Project, id: &str, status: &str) {
    let (id, status) = (id.to_string(), status.to_string());
    with_store(p, async move |s| {
        sqlx::query("UPDATE needs SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(s.pool())
            .await?;
        Ok(())
    });
}

/// `who` (Grace or Amina) replies again to their circulation with `edits` made to a fresh
/// copy, the workbook attached as `file_name`; returns the submission the running daemon
/// made of it.
pub fn reply_again(
    lab: &ReviewLab,
    who: &str,
    edits: &[(&str, &str, &str)],
    file_name: &str,
) -> needsd::store::review::Submission {
    let before: Vec<i64> = submissions(&lab.p).iter().map(|s| s.id).collect();
    let (to, id, workbook) = circulation(who);
    let file = lab.p.path(&format!("again-{}.xlsx", unique("w")));
    std::fs::write(&file, workbook).expect("write");
    edit_workbook(&file, edits);
    let raw = String::from_utf8(reply_saying(
        who,
        &to,
        &id,
        "Correction.",
        &std::fs::read(&file).expect("read"),
    ))
    .expect("a reply is text")
    .replace("\"Matrix.xlsx\"", &format!("\"{file_name}\""));
    send_raw(who, &to, raw.as_bytes());
    let mut again = None;
    eventually("the daemon reads the reply", 30, || {
        again = submissions(&lab.p)
            .into_iter()
            .find(|s| s.from.as_deref() == Some(who) && !before.contains(&s.id));
        again.is_some()
    });
    again.expect("found above")
}

/// Programmes for the public directory's tests, as a provider's office would type them:
/// one with markup in its title, one closed, one for the members of an organization,
/// one for named States, one for a region.
pub const PROGRAMMES: &str = "\
Programme ID,Provider,Title,Kind,Areas,Eligible,Languages,Contact,Link,Status,Last updated
,UNODC,Drafting counter-terrorism law <script>alert(1)</script>,Legislative drafting support,LEG; FIN,,en; fr,tpb@unodc.example.org,https://www.unodc.org/tpb,Active,
,France,Police training for Kenya and Uganda,Training,POL,Kenya; Uganda,fr,,,Active,
,EU,Border control kit,Implementation kit,CUS,Members of the European Union,en,,,Active,
,COE,Old seminar,Training,LEG,,en,,,Closed,
,World Bank,Financial intelligence units,Funding,FIN,Eastern Africa,en; ar,,,Active,
";

/// `lab`'s configuration with the public directory served, its programmes imported.
pub fn with_public_directory(lab: &ReviewLab) -> Arc<needsd::config::Config> {
    lab.p.write("programmes.csv", PROGRAMMES);
    lab.p.ok(&["programmes", "import", "programmes.csv"]);
    let mut cfg = (*lab.cfg).clone();
    cfg.web.public_directory = true;
    Arc::new(cfg)
}
