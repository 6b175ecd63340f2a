//! `demo`: a month on the embedded defaults, in a folder of its own.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use needsd::app::App;
use needsd::clock::{Clock, SystemClock};
use needsd::config::{Config, ProcessEnv};
use needsd::model::Cycle;
use needsd::workflow::files::{self, ExportRequest};

const DEMO_CONTACTS: &[u8] = include_bytes!("../../config/demo/contacts.csv");
const DEMO_MATRIX: &[u8] = include_bytes!("../../config/demo/matrix.csv");
const DEMO_PROGRAMMES: &[u8] = include_bytes!("../../config/demo/programmes.csv");

/// Sets up a demo folder on the embedded defaults: database, parties, sample contacts and
/// matrix, and circulates the coming cycle to the file outbox (one .eml per recipient).
pub(super) async fn demo(dir: &Path, listen: Option<std::net::SocketAddr>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::env::set_current_dir(dir).with_context(|| format!("cannot enter {}", dir.display()))?;
    let mut cfg = Config::load(None, &ProcessEnv)?;
    if let Some(l) = listen {
        cfg.web.listen = l;
    }
    // The demo shows the one-stop shop too.
    cfg.web.public_directory = true;
    // The demo's month runs on a clock of its own, starting from now.
    let clock = Arc::new(needsd::clock::TestClock::new(SystemClock.now()));
    let (app, r) = App::init(Arc::new(cfg), Arc::clone(&clock) as Arc<dyn Clock>).await?;
    let app = Arc::new(app);
    let cfg = &app.cfg;
    println!("needsd demo in {}", std::env::current_dir()?.display());
    println!("  database {}: {} parties", cfg.database.url, r.parties);
    needsd::fsutil::write_atomic(Path::new("sample/contacts.csv"), DEMO_CONTACTS)?;
    needsd::fsutil::write_atomic(Path::new("sample/matrix.csv"), DEMO_MATRIX)?;
    let c = files::import_contacts(&app, Path::new("sample/contacts.csv"), false).await?;
    println!("  contacts: {} added, {} updated", c.added, c.updated);
    if files::need_count(&app).await? == 0 {
        let m = files::import_matrix(&app, Path::new("sample/matrix.csv"), false).await?;
        println!("  matrix: {} needs imported", m.added);
    }
    needsd::fsutil::write_atomic(Path::new("sample/programmes.csv"), DEMO_PROGRAMMES)?;
    if app.store.programmes().await?.is_empty() {
        let p = files::import_programmes(&app, Path::new("sample/programmes.csv"), false).await?;
        println!(
            "  directory of sources of assistance: {} programmes imported",
            p.added
        );
    }
    let matched = needsd::workflow::matching::current(&app).await?;
    let c = matched.coverage;
    println!(
        "  matching: {} of {} open needs have a programme that could meet them; {} of {} needs have a provider",
        c.with_candidate, c.open, c.with_provider, c.total
    );
    let cycle = Cycle::of_date(
        clock
            .now()
            .with_timezone(&cfg.schedule.timezone)
            .date_naive(),
    )
    .next();
    let all = files::export_matrix(&app, &ExportRequest::default()).await?;
    needsd::fsutil::write_atomic(Path::new("workbooks/matrix.xlsx"), &all)?;
    println!("  workbook: workbooks/matrix.xlsx (the matrix as it is now)");
    println!("The month of {cycle}, on a simulated clock:");
    let say = |line: &str| println!("  {line}");
    let (r, running) = needsd::demo::month(Arc::clone(&app), &clock, cycle, &say).await?;
    println!(
        "Done: {} submissions ({} awaiting review) from {} recipients; {} did not answer.",
        r.submissions, r.pending, r.recipients, r.silent
    );
    println!(
        "  Every message needsd wrote is an .eml in data/outbox/ (circulations, receipts, reminders, the digest); the replies are in data/inbox/.Processed/."
    );
    println!("  `needsd cycle status {cycle}` in this folder shows where the cycle stands.");
    let web = r.web;
    let (user, password) = needsd::demo::expert_login(&app, SystemClock.now()).await?;
    println!("The review UI is running: http://{web}/");
    println!("  log in as {user}, password {password} (an expert; new each run)");
    println!("  the unmet needs and who could meet them: http://{web}/unmet");
    println!("  a request to receive the Matrix, to approve or dismiss: http://{web}/requests");
    println!("  the public directory of programmes (no login): http://{web}/directory");
    println!("  operators: http://{web}/healthz and http://{web}/metrics. Ctrl-C stops it.");
    needsd::workflow::shutdown_signal().await;
    running.stop().await?;
    println!("Stopped.");
    Ok(())
}
