//! Matching as the UI, the digest and the workbooks use it: the Matrix and the Directory
//! of Sources of Assistance loaded, and `crate::matching` run over them.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::app::App;
use crate::directory::PartyIndex;
use crate::matching::{self, Candidate, Coverage, Helped};
use crate::model::{Cycle, Need, NeedId, PartyCode, PartyKind};
use crate::programme::{Geography, Programme};
use crate::register::{Record, Schema};

/// Every open need's candidates, over the Matrix and the programmes as they are now.
pub struct Matching {
    pub needs: Vec<Need>,
    /// By ID; candidates name them by index here.
    pub programmes: Vec<Programme>,
    pub candidates: HashMap<NeedId, Vec<Candidate>>,
    pub coverage: Coverage,
}

/// A candidate as pages and mails show it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub programme: String,
    pub title: String,
    pub provider: String,
    pub provider_name: String,
    pub reach: matching::Reach,
    pub helped_before: bool,
}

impl Matching {
    /// The candidates of `need`, with their programmes' titles and providers' names.
    pub fn shown(&self, app: &App, need: &NeedId) -> Vec<Shown> {
        self.candidates
            .get(need)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| {
                        let p = self.programmes.get(c.programme)?;
                        Some(Shown {
                            programme: p.id.clone(),
                            title: p.title.clone(),
                            provider: p.provider.to_string(),
                            provider_name: app
                                .index
                                .get(&p.provider)
                                .map_or_else(|| p.provider.to_string(), |x| x.name.clone()),
                            reach: c.reach,
                            helped_before: c.helped_before,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every stored programme, typed. One that no longer reads (its area removed from the
/// configuration, say) is left out and logged, rather than failing the page or job.
pub async fn programmes(app: &App) -> Result<Vec<Programme>> {
    let records = app
        .store
        .programmes()
        .await
        .context("reading the programmes")?;
    Ok(records
        .iter()
        .filter_map(|r| match Programme::from_record(r, &app.index, app.geo) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(programme = r.id, "left out: {e}");
                None
            }
        })
        .collect())
}

/// Loads the Matrix and the programmes and matches them.
pub async fn current(app: &App) -> Result<Matching> {
    let needs = app.store.needs().await.context("reading the matrix")?;
    matched(app, needs, programmes(app).await?)
}

/// The candidates of one need, for its page: matched alone, though who has helped whom
/// still comes from the whole Matrix.
pub async fn candidates_of(app: &App, need: &Need) -> Result<Vec<Shown>> {
    let needs = app.store.needs().await.context("reading the matrix")?;
    let programmes = programmes(app).await?;
    let helped = helped(app, &needs);
    let candidates =
        matching::candidates(std::slice::from_ref(need), &programmes, app.geo, &helped);
    let m = Matching {
        needs: Vec::new(),
        programmes,
        candidates,
        coverage: Coverage::default(),
    };
    Ok(m.shown(app, &need.id))
}

/// `needs` matched against `programmes`.
fn matched(app: &App, needs: Vec<Need>, programmes: Vec<Programme>) -> Result<Matching> {
    let helped = helped(app, &needs);
    let candidates = matching::candidates(&needs, &programmes, app.geo, &helped);
    let coverage = matching::coverage(&needs, &candidates);
    Ok(Matching {
        needs,
        programmes,
        candidates,
        coverage,
    })
}

/// Who has helped whom: every need whose provider names a known Party.
fn helped(app: &App, needs: &[Need]) -> Helped {
    let mut helped = Helped::new();
    for n in needs.iter().filter(|n| !n.provider.trim().is_empty()) {
        for p in n
            .provider
            .split([';', ',', '/'])
            .filter_map(|p| app.index.resolve(p))
        {
            helped
                .entry(p.code.clone())
                .or_default()
                .insert(n.state.clone());
        }
    }
    helped
}

/// An open need nobody has offered to meet for `cycles` circulations.
#[derive(Debug, Clone, Serialize)]
pub struct Unmet {
    pub need: NeedId,
    pub state: String,
    pub area: String,
    pub description: String,
    pub cycles: usize,
    pub candidates: Vec<Shown>,
}

/// The needs still Open with no provider now and in each of the last
/// `[matching] unmet_cycles` circulations up to `cycle`, with their candidates.
pub async fn unmet(app: &App, m: &Matching, cycle: Cycle) -> Result<Vec<Unmet>> {
    let n = app.cfg.matching.unmet_cycles.get() as usize;
    let stuck = app.store.open_unprovided_for(cycle, n).await?;
    let by_id: HashMap<&NeedId, &Need> = m.needs.iter().map(|x| (&x.id, x)).collect();
    Ok(stuck
        .iter()
        .filter_map(|id| by_id.get(id))
        .filter(|x| matching::is_open(x) && x.provider.trim().is_empty())
        .map(|x| Unmet {
            need: x.id.clone(),
            state: x.state.to_string(),
            area: x.area.to_string(),
            description: x.description.clone(),
            cycles: n,
            candidates: m.shown(app, &x.id),
        })
        .collect())
}

/// The measure of 7(c) for `cycle`: over the needs as circulated in it (the Matrix now
/// when it was not circulated), how many open ones some programme could meet, and how
/// many have a provider.
pub async fn coverage_of(app: &App, cycle: Cycle) -> Result<Coverage> {
    let needs = match app.store.cycle_base(cycle).await? {
        Some(base) => base,
        None => app.store.needs().await.context("reading the matrix")?,
    };
    Ok(matched(app, needs, programmes(app).await?)?.coverage)
}

/// What each provider's copy of a cycle carries after the Matrix: a Programmes sheet with
/// its own programmes, and a "Needs you could meet" sheet with the open needs they could
/// meet. Both come from the cycle's snapshot (its base and its programmes as
/// circulated), so a reply is read against exactly what was sent.
pub struct ProviderSheets {
    programmes: HashMap<PartyCode, Vec<Record>>,
    offers: HashMap<PartyCode, Vec<Record>>,
}

/// The sheets a provider's copy carries, in order, as a stencil is built with them.
pub const PROVIDER_SHEETS: [(&Schema, &[Record]); 2] = [
    (&crate::programme::SCHEMA, &[]),
    (&crate::offer::SCHEMA, &[]),
];

impl ProviderSheets {
    /// `base` in workbook order; `directory` the programmes as circulated.
    pub fn new(base: &[Need], directory: Vec<Record>, index: &PartyIndex, geo: &Geography) -> Self {
        let typed: Vec<Programme> = directory
            .iter()
            .filter_map(|r| Programme::from_record(r, index, geo).ok())
            .collect();
        let offers = crate::offer::by_provider(base, &typed, geo);
        let mut programmes: HashMap<PartyCode, Vec<Record>> = HashMap::new();
        for r in directory {
            if let Ok(p) = PartyCode::parse(r.get(crate::programme::SCHEMA.owner)) {
                programmes.entry(p).or_default().push(r);
            }
        }
        Self { programmes, offers }
    }

    /// The records of `party`'s two sheets, or `None` when its copy carries none: every
    /// organization provides assistance, a State does when it has a programme.
    pub fn of(&self, party: &PartyCode, kind: PartyKind) -> Option<[&[Record]; 2]> {
        let programmes = self.programmes.get(party);
        if kind == PartyKind::State && programmes.is_none() {
            return None;
        }
        Some([
            programmes.map_or(&[][..], Vec::as_slice),
            self.offers.get(party).map_or(&[][..], Vec::as_slice),
        ])
    }

    /// [`Self::of`] as the sheets of a workbook's `Spec`: none for a non-provider.
    pub fn sheets_of(
        &self,
        party: &PartyCode,
        kind: PartyKind,
    ) -> Vec<(&'static Schema, &[Record])> {
        self.of(party, kind)
            .map(|records| {
                PROVIDER_SHEETS
                    .iter()
                    .zip(records)
                    .map(|((schema, _), r)| (*schema, r))
                    .collect()
            })
            .unwrap_or_default()
    }
}
