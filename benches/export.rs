//! Benchmark (not a test): export a 10,000-need matrix with the real binary and report
//! wall time and peak resident memory. Run with `cargo bench --bench export`.

use std::process::Command;
use std::time::Instant;

use needsd::clock::{Clock, SystemClock};
use needsd::config::{Config, ProcessEnv};
use needsd::model::{AreaCode, NewNeed, PartyCode, Priority, Status};

const NEEDS: usize = 10_000;
const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::env::set_current_dir(dir.path())?;
    let rt = tokio::runtime::Runtime::new()?;
    let cfg = Config::load(None, &ProcessEnv)?;
    rt.block_on(async {
        let (app, _) = needsd::app::App::init(std::sync::Arc::new(cfg), std::sync::Arc::new(SystemClock)).await?;
        let store = &app.store;
        let states: Vec<PartyCode> = store
            .parties()
            .await?
            .into_iter()
            .filter(|p| p.membership.is_some())
            .map(|p| p.code)
            .collect();
        let areas = ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"];
        let today = SystemClock.now().date_naive();
        let needs: Vec<NewNeed> = (0..NEEDS)
            .map(|i| NewNeed {
                id: None,
                state: states[i % states.len()].clone(),
                area: AreaCode::parse(areas[i % areas.len()]).expect("valid"),
                description: format!(
                    "Need {i}: technical assistance for drafting legislation and training officials \
                     on the implementation of resolution 1373 (2001), phase {}",
                    i % 7
                ),
                priority: Priority::ALL[i % 3],
                status: Status::ALL[i % 5],
                provider: if i % 2 == 0 { "UNODC".into() } else { String::new() },
                notes: if i % 3 == 0 { "Follow-up requested; see the last report.".into() } else { String::new() },
                updated: None,
            })
            .collect();
        store.insert_needs(&needs, today, "bench", SystemClock.now()).await?;
        anyhow::Ok(())
    })?;

    let bin = env!("CARGO_BIN_EXE_needsd");
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for run in 0..RUNS {
        let out = format!("m{run}.xlsx");
        let start = Instant::now();
        let o = Command::new("/usr/bin/time")
            .args(["-f", "%M", bin, "matrix", "export", "--out", &out])
            .output()?;
        times.push(start.elapsed().as_secs_f64());
        anyhow::ensure!(
            o.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        let kb: u64 = stderr
            .trim()
            .lines()
            .last()
            .unwrap_or("0")
            .trim()
            .parse()
            .unwrap_or(0);
        peaks.push(kb);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    peaks.sort_unstable();
    let size = std::fs::metadata("m0.xlsx")?.len();
    println!(
        "matrix export, {NEEDS} needs: median {:.3} s (min {:.3}, max {:.3}) over {RUNS} runs; \
         peak RSS median {:.1} MB; file {:.2} MB",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1],
        peaks[RUNS / 2] as f64 / 1024.0,
        size as f64 / 1_048_576.0
    );
    Ok(())
}
