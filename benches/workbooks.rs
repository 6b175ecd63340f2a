//! Benchmark (not a test): a cycle's 300 circulated workbooks when every recipient is a
//! provider, each copy carrying the whole Matrix (2,000 needs), its own Programmes sheet
//! (2,000 programmes spread over the 300 providers) and its "Needs you could meet" sheet,
//! built as `dispatch` builds them: the needs matched to the programmes, one stencil,
//! then one render per recipient. Reports the time of each part and
//! the peak resident memory (VmHWM). Run with `cargo bench --bench workbooks`.

use std::time::Instant;

#[path = "support/peak.rs"]
mod peak;
use peak::peak_kib;

use needsd::directory::{PartyIndex, seed_parties};
use needsd::model::PartyKind;
use needsd::model::{
    Area, AreaCode, Cycle, DEFAULT_AREAS, Need, NeedId, PartyCode, Priority, Status,
};
use needsd::programme::Geography;
use needsd::register::Record;
use needsd::workbook::write::{Circulation, Recipient, Spec, Stencil};
use needsd::workflow::matching::{PROVIDER_SHEETS, ProviderSheets};

const NEEDS: usize = 2_000;
const PROGRAMMES: usize = 2_000;
const RECIPIENTS: usize = 300;

fn main() -> anyhow::Result<()> {
    let areas: Vec<Area> = DEFAULT_AREAS
        .iter()
        .map(|(c, l)| Area {
            code: AreaCode::parse(c).expect("valid"),
            label: l.to_string(),
        })
        .collect();
    let states: Vec<(PartyCode, String)> = ["KEN", "SEN", "EGY", "UGA", "JOR", "MDA", "PER", "KAZ"]
        .iter()
        .map(|c| (PartyCode::parse(c).expect("valid"), c.to_string()))
        .collect();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid");
    let needs: Vec<Need> = (0..NEEDS)
        .map(|i| Need {
            id: NeedId::from_number(i as u64 + 1),
            state: states[i % states.len()].0.clone(),
            area: areas[i % areas.len()].code.clone(),
            description: format!(
                "Need {i}: technical assistance on resolution 1373 (2001), phase {}",
                i % 7
            ),
            priority: Priority::ALL[i % 3],
            status: Status::ALL[i % 5],
            provider: if i % 2 == 0 {
                "UNODC".into()
            } else {
                String::new()
            },
            notes: String::new(),
            updated_at: day,
        })
        .collect();
    let providers: Vec<String> = (0..RECIPIENTS).map(|i| format!("ORG-{i:03}")).collect();
    let programmes: Vec<Record> = (0..PROGRAMMES)
        .map(|i| Record {
            id: format!("SA-{:05}", i + 1),
            fields: [
                ("provider", providers[i % RECIPIENTS].clone()),
                (
                    "title",
                    format!("Programme {i}: training on countering the financing of terrorism"),
                ),
                ("kind", "Training".into()),
                ("areas", "LEG; FIN".into()),
                (
                    "eligible",
                    if i % 2 == 0 {
                        String::new()
                    } else {
                        "KEN; UGA".into()
                    },
                ),
                ("languages", "en; fr".into()),
                ("contact", format!("desk{i}@org.example.org")),
                ("link", String::new()),
                ("status", "Active".into()),
                ("updated", "2026-11-30".into()),
            ]
            .into_iter()
            .collect(),
        })
        .collect();
    let cycle = Cycle::parse("2026-12")?;
    let general = Circulation {
        cycle,
        deadline: "15 December 2026, 23:59 New York time".into(),
        reply_to: "needs@ctc.example".into(),
        recipient: None,
    };
    let index = PartyIndex::new(seed_parties()?);
    let geo = Geography::embedded()?;
    let before = peak_kib();
    let start = Instant::now();
    let sheets = ProviderSheets::new(&needs, programmes, &index, &geo);
    let matched = start.elapsed();
    let start = Instant::now();
    let stencil = Stencil::new(&Spec {
        needs: &needs,
        states: &states,
        areas: &areas,
        as_of: day,
        circulation: Some(&general),
        sheets: &PROVIDER_SHEETS,
        language: needsd::model::Language::En,
    })?;
    let built = start.elapsed();
    let start = Instant::now();
    let (mut bytes, mut offers) = (0, 0);
    for (i, p) in providers.iter().enumerate() {
        let party = PartyCode::parse(p)?;
        let records = sheets
            .of(&party, PartyKind::Organization)
            .ok_or_else(|| anyhow::anyhow!("an organization's copy has both sheets"))?;
        offers += records[1].len();
        let token = format!("{i:020}");
        let copy = stencil.render_with(
            &Recipient {
                party,
                party_name: p.clone(),
                contact_name: "Focal point".into(),
                email: format!("focal{i}@org.example.org"),
                reply_to: format!("needs+{token}@ctc.example"),
                token,
            },
            &records,
        )?;
        bytes += copy.len();
    }
    let rendered = start.elapsed();
    println!(
        "{RECIPIENTS} workbooks of {NEEDS} needs, each with its provider's programmes ({PROGRAMMES} in all) \
         and the needs they could meet ({offers} rows in all): matching {:.0} ms, stencil {:.0} ms, \
         renders {:.0} ms ({:.1} ms each), {:.1} MB written; peak resident memory \
         {} KiB before, {} KiB after",
        matched.as_secs_f64() * 1e3,
        built.as_secs_f64() * 1e3,
        rendered.as_secs_f64() * 1e3,
        rendered.as_secs_f64() * 1e3 / RECIPIENTS as f64,
        bytes as f64 / 1e6,
        before,
        peak_kib()
    );
    Ok(())
}
