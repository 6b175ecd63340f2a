//! Benchmark (not a test): matching 10,000 open needs against 2,000 programmes of the
//! Directory of Sources of Assistance (`needsd::matching::candidates`, pure, in this
//! process), with mixed eligibility: every State, named States, an M49 region, the
//! members of an organization. Reports the median time of 5 runs, the candidates found
//! and the peak resident memory (VmHWM) before and after. Run with
//! `cargo bench --bench matching`.

use std::collections::BTreeSet;
use std::time::Instant;

#[path = "support/peak.rs"]
mod peak;
use peak::peak_kib;

use needsd::directory::{PartyIndex, seed_parties};
use needsd::matching::{Helped, candidates, coverage};
use needsd::model::{AreaCode, Need, NeedId, PartyCode, PartyKind, Priority, Status};
use needsd::programme::{Eligible, Geography, Kind, Programme, ProgrammeStatus};

const NEEDS: usize = 10_000;
const PROGRAMMES: usize = 2_000;
const RUNS: usize = 5;
const AREAS: [&str; 8] = ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"];

fn main() -> anyhow::Result<()> {
    let index = PartyIndex::new(seed_parties()?);
    let geo = Geography::embedded()?;
    let states: Vec<PartyCode> = index
        .all()
        .iter()
        .filter(|p| p.kind == PartyKind::State)
        .map(|p| p.code.clone())
        .collect();
    let mut orgs: Vec<PartyCode> = geo.members.keys().cloned().collect();
    orgs.sort();
    let area = |i: usize| AreaCode::parse(AREAS[i % AREAS.len()]).expect("valid");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid");
    let needs: Vec<Need> = (0..NEEDS)
        .map(|i| Need {
            id: NeedId::from_number(i as u64 + 1),
            state: states[(i * 7) % states.len()].clone(),
            area: area(i / 3),
            description: format!("Need {i}"),
            priority: Priority::ALL[i % 3],
            status: Status::Open,
            provider: String::new(),
            notes: String::new(),
            updated_at: day,
        })
        .collect();
    let programmes: Vec<Programme> = (0..PROGRAMMES)
        .map(|i| Programme {
            id: format!("SA-{:05}", i + 1),
            provider: if i % 2 == 0 {
                orgs[i % orgs.len()].clone()
            } else {
                states[(i * 13) % states.len()].clone()
            },
            title: format!("Programme {i}"),
            kind: Kind::ALL[i % Kind::ALL.len()],
            areas: (0..1 + i % 3).map(|k| area(i + k)).collect(),
            eligible: match i % 4 {
                0 => Eligible::EveryState,
                1 => Eligible::States(
                    (0..1 + i % 5)
                        .map(|k| states[(i * 31 + k * 17) % states.len()].clone())
                        .collect::<BTreeSet<_>>(),
                ),
                2 => Eligible::Region(geo.regions[i % geo.regions.len()].code.clone()),
                _ => Eligible::MembersOf(orgs[i % orgs.len()].clone()),
            },
            languages: vec!["en".into()],
            contact: String::new(),
            link: String::new(),
            status: if i % 10 == 9 {
                ProgrammeStatus::Closed
            } else {
                ProgrammeStatus::Active
            },
            updated: String::new(),
        })
        .collect();
    let mut helped = Helped::new();
    for i in 0..500 {
        helped
            .entry(programmes[i * 3].provider.clone())
            .or_default()
            .insert(states[(i * 7) % states.len()].clone());
    }
    let before = peak_kib();
    let mut times = Vec::new();
    let mut found = 0;
    let mut cover = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let m = candidates(&needs, &programmes, &geo, &helped);
        times.push(start.elapsed());
        found = m.values().map(Vec::len).sum::<usize>();
        cover = Some(coverage(&needs, &m));
    }
    times.sort();
    let after = peak_kib();
    let c = cover.unwrap_or_default();
    println!(
        "matching {NEEDS} open needs against {PROGRAMMES} programmes: median {:.1} ms \
         (min {:.1}, max {:.1}) over {RUNS} runs; {found} candidates, {} of {} needs with at \
         least one; peak resident memory {} KiB before, {} KiB after",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
        c.with_candidate,
        c.open,
        before,
        after
    );
    Ok(())
}
