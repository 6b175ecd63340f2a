//! The review UI in a real browser: Debian's headless Chromium, driven over WebDriver
//! (chromedriver) with fantoccini. An expert logs in, opens a submission that came through
//! the mail lab, approves one change, rejects another, and sees the Matrix and the need's
//! history follow; and a visitor searches the public Directory of Sources of Assistance.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::review::*;
use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start chromedriver ({e}): install Debian's chromium and chromium-driver \
                 (scripts/test.sh does: apt-get install chromium chromium-driver)"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

async fn browser(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot open Chromium through chromedriver: {e}"))
}

/// The text of the element `css` once `ready` accepts it. A click that navigates leaves
/// the old page in place for a moment, and its elements go stale under the reader, so
/// this reads again until the new page answers (or ten seconds pass).
async fn text_when(c: &Client, css: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::from("(no such element)");
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if ready(&t) {
                return t;
            }
            last = t;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never became ready; last seen: {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of `css` on the page whose path is `path`, after a navigation.
async fn text_on(c: &Client, path: &str, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c
        .current_url()
        .await
        .map(|u| u.path().to_owned())
        .ok()
        .as_deref()
        != Some(path)
    {
        assert!(
            Instant::now() < deadline,
            "the browser never reached {path}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text_when(c, css, |_| true).await
}

#[test]
fn an_expert_approves_and_rejects_in_chromium() {
    let lab = review_files(&unique("browser"));
    let d = Daemon::start(&lab.cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let driver = chromedriver();
    let base = format!("http://{}", d.addr);
    let g = lab.grace_submission;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(driver.port).await;
        // A page behind the login sends the browser to the form, and back after it.
        c.goto(&format!("{base}/submissions/{g}")).await.unwrap();
        assert!(c.current_url().await.unwrap().path() == "/login");
        c.find(Locator::Css("#name"))
            .await
            .unwrap()
            .send_keys(EXPERT.0)
            .await
            .unwrap();
        c.find(Locator::Css("#password"))
            .await
            .unwrap()
            .send_keys(EXPERT.1)
            .await
            .unwrap();
        c.find(Locator::Css("form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let h1 = text_when(&c, "main h1", |t| t.starts_with("Submission")).await;
        assert!(h1.starts_with(&format!("Submission {g}")), "{h1}");
        // The sender's markup is text, and no script of theirs ran.
        let mail = text_when(&c, "pre.mail", |_| true).await;
        assert!(mail.contains("<script>"), "{mail}");
        assert_ne!(c.title().await.unwrap(), "pwned");

        // Approve change 1 (Status → Met).
        c.find(Locator::Css("#change-1 button[value=approve]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(
            text_when(&c, "p.notice", |t| !t.is_empty()).await,
            "Decision recorded."
        );
        // Reject change 2 with a reason, typed and sent with the keyboard.
        let reason = c
            .find(Locator::Css("#change-2 input[name=reason]"))
            .await
            .unwrap();
        reason.send_keys("Not confirmed").await.unwrap();
        reason.send_keys("\u{E007}").await.unwrap(); // Enter
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("h1 .state.applied"))
            .await
            .unwrap();
        let decided = text_when(&c, "#change-2", |t| t.contains("rejected")).await;
        assert!(
            decided.contains("rejected") && decided.contains("Not confirmed"),
            "{decided}"
        );

        // The Matrix shows the approved status, the need's page its history.
        c.find(Locator::LinkText("Matrix"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let row = text_on(&c, "/matrix", "table.matrix tbody tr:first-child").await;
        assert!(row.contains("MN-00001") && row.contains("Met"), "{row}");
        c.find(Locator::LinkText("MN-00001"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let history = text_on(&c, "/needs/MN-00001", "table.history tbody").await;
        assert!(
            history.contains("status Open Met") && history.contains(EXPERT.0),
            "{history}"
        );
        assert!(history.contains(&lab.grace), "{history}");
        assert!(
            !history.contains("notes"),
            "the rejected change left no trace: {history}"
        );
        c.close().await.unwrap();
    });
    assert_eq!(need(&lab.p, "MN-00001").status.as_str(), "Met");
    d.stop();
}

#[test]
fn a_visitor_searches_the_public_directory_in_chromium() {
    let lab = review_files(&unique("pubdirb"));
    let cfg = with_public_directory(&lab);
    let d = Daemon::start(&cfg, std::sync::Arc::new(needsd::clock::SystemClock));
    let driver = chromedriver();
    let base = format!("http://{}", d.addr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(driver.port).await;
        c.goto(&format!("{base}/directory")).await.unwrap();
        let count = text_when(&c, "#count", |t| !t.is_empty()).await;
        assert_eq!(count, "4 of 4 active programmes.");
        // The markup in a title is text on the page; no script of it ran.
        let table = text_when(&c, "#programmes", |_| true).await;
        assert!(table.contains("<script>alert(1)</script>"), "{table}");
        // Kenya, chosen from the list: what it may receive.
        c.find(Locator::Css("select[name=state] option[value=KEN]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.find(Locator::Css("form.filters button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let count = text_when(&c, "#count", |t| t.starts_with("3 ")).await;
        assert_eq!(count, "3 of 4 active programmes.");
        assert!(
            c.current_url()
                .await
                .unwrap()
                .as_str()
                .contains("state=KEN")
        );
        // One programme's page, from its link.
        c.find(Locator::LinkText("SA-00002"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(
            text_on(&c, "/directory/SA-00002", "#programme-id").await,
            "SA-00002"
        );
        let h1 = text_when(&c, "main h1", |_| true).await;
        assert_eq!(h1, "Police training for Kenya and Uganda");
        // The visitor holds no session, and the review UI still wants a login.
        assert!(c.get_all_cookies().await.unwrap().is_empty());
        c.goto(&format!("{base}/matrix")).await.unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), "/login");
        c.close().await.unwrap();
    });
    d.stop();
}
