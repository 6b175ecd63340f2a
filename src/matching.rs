//! Matching open needs to the programmes that could meet them (follow-up plan 7(c): every
//! reasonable assistance request met). Pure: needs, programmes and geography in, ranked
//! candidates out.
//!
//! A programme is a candidate for a need when it is active, one of its areas is the
//! need's area and its eligibility covers the need's State. Candidates are ranked: a
//! provider that has already helped that State first; then the programme that names the
//! State, then one for its region or an organization it belongs to, then one for every
//! State; then in the order the programmes are given (by ID, from the store).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::model::{AreaCode, Need, NeedId, PartyCode, Status};
use crate::programme::{Eligible, Geography, Programme, ProgrammeStatus};

/// How closely a programme's eligibility fits a State, closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The programme names the State.
    Named,
    /// The State's region or subregion, or an organization it belongs to.
    Regional,
    /// Every State.
    Everyone,
}

/// One programme that could meet a need: its index in the programmes matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub programme: usize,
    pub reach: Reach,
    /// The provider has helped this State before (it was a need's provider).
    pub helped_before: bool,
}

/// Is a need still looking for help? Open: not yet offered, under way, met or withdrawn.
pub fn is_open(n: &Need) -> bool {
    n.status == Status::Open
}

/// Who has helped whom: for each provider, the States it was a need's provider for.
pub type Helped = HashMap<PartyCode, HashSet<PartyCode>>;

/// A programme's eligibility resolved once: the States it names, or those of its region
/// or organization (none when the region or organization is unknown), or every State.
enum Covers<'a> {
    Every,
    Some(&'a BTreeSet<PartyCode>, Reach),
    Nobody,
}

fn covers<'a>(e: &'a Eligible, geo: &'a Geography) -> Covers<'a> {
    match e {
        Eligible::EveryState => Covers::Every,
        Eligible::States(s) => Covers::Some(s, Reach::Named),
        Eligible::Region(code) => geo
            .region(code)
            .map_or(Covers::Nobody, |r| Covers::Some(&r.states, Reach::Regional)),
        Eligible::MembersOf(org) => geo
            .members
            .get(org)
            .map_or(Covers::Nobody, |m| Covers::Some(m, Reach::Regional)),
    }
}

/// The candidates of every open need, keyed by need, ranked; needs without a candidate
/// are absent. A candidate names its programme by its index in `programmes`.
pub fn candidates(
    needs: &[Need],
    programmes: &[Programme],
    geo: &Geography,
    helped: &Helped,
) -> HashMap<NeedId, Vec<Candidate>> {
    let resolved: Vec<Covers<'_>> = programmes
        .iter()
        .map(|p| covers(&p.eligible, geo))
        .collect();
    let mut by_area: HashMap<&AreaCode, Vec<usize>> = HashMap::new();
    for (i, p) in programmes.iter().enumerate() {
        if p.status == ProgrammeStatus::Active {
            for a in &p.areas {
                let list = by_area.entry(a).or_default();
                // An area named twice makes one candidate, not two.
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
    }
    let mut out = HashMap::new();
    for n in needs.iter().filter(|n| is_open(n)) {
        let Some(offered) = by_area.get(&n.area) else {
            continue;
        };
        let mut found: Vec<Candidate> = offered
            .iter()
            .filter_map(|&i| {
                let reach = match resolved[i] {
                    Covers::Every => Reach::Everyone,
                    Covers::Some(states, reach) if states.contains(&n.state) => reach,
                    _ => return None,
                };
                let helped_before = helped
                    .get(&programmes[i].provider)
                    .is_some_and(|s| s.contains(&n.state));
                Some(Candidate {
                    programme: i,
                    reach,
                    helped_before,
                })
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        // `offered` is in programme order, so a stable sort keeps that order in a tie;
        // programmes are in ID order when they come from the store.
        found.sort_by_key(|c| (!c.helped_before, c.reach));
        out.insert(n.id.clone(), found);
    }
    out
}

/// How `eligible` covers `state`, if it does.
pub fn reach(eligible: &Eligible, state: &PartyCode, geo: &Geography) -> Option<Reach> {
    if !geo.covers(eligible, state) {
        return None;
    }
    Some(match eligible {
        Eligible::States(_) => Reach::Named,
        Eligible::Region(_) | Eligible::MembersOf(_) => Reach::Regional,
        Eligible::EveryState => Reach::Everyone,
    })
}

/// The measure of 7(c) for a set of needs: how many are open, how many of those have at
/// least one candidate programme, and how many needs have a provider named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub open: usize,
    pub with_candidate: usize,
    pub with_provider: usize,
    pub total: usize,
}

pub fn coverage(needs: &[Need], matched: &HashMap<NeedId, Vec<Candidate>>) -> Coverage {
    let active = needs
        .iter()
        .filter(|n| !matches!(n.status, Status::Withdrawn | Status::Met));
    let mut c = Coverage::default();
    for n in active {
        c.total += 1;
        if !n.provider.trim().is_empty() {
            c.with_provider += 1;
        }
        if is_open(n) {
            c.open += 1;
            if matched.contains_key(&n.id) {
                c.with_candidate += 1;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programme::{Kind, Region};

    fn code(s: &str) -> PartyCode {
        PartyCode::parse(s).unwrap()
    }

    fn geo() -> Geography {
        let region = |c: &str, n: &str, s: &[&str]| Region {
            code: c.into(),
            name: n.into(),
            states: s.iter().map(|x| code(x)).collect(),
        };
        Geography::new(
            vec![
                region("014", "Eastern Africa", &["KEN", "UGA", "TZA"]),
                region("155", "Western Europe", &["FRA", "DEU"]),
            ],
            [(
                code("EAC"),
                ["KEN", "UGA"].iter().map(|x| code(x)).collect(),
            )]
            .into_iter()
            .collect(),
        )
    }

    fn need(id: u64, state: &str, area: &str, status: Status) -> Need {
        Need {
            id: NeedId::from_number(id),
            state: code(state),
            area: AreaCode::parse(area).unwrap(),
            description: "x".into(),
            priority: crate::model::Priority::High,
            status,
            provider: String::new(),
            notes: String::new(),
            updated_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        }
    }

    fn prog(id: u64, provider: &str, areas: &[&str], eligible: Eligible) -> Programme {
        Programme {
            id: format!("SA-{id:05}"),
            provider: code(provider),
            title: "t".into(),
            kind: Kind::Training,
            areas: areas.iter().map(|a| AreaCode::parse(a).unwrap()).collect(),
            eligible,
            languages: vec![],
            contact: String::new(),
            link: String::new(),
            status: ProgrammeStatus::Active,
            updated: String::new(),
        }
    }

    fn named(s: &[&str]) -> Eligible {
        Eligible::States(s.iter().map(|x| code(x)).collect::<BTreeSet<_>>())
    }

    fn ids<'a>(
        m: &HashMap<NeedId, Vec<Candidate>>,
        programmes: &'a [Programme],
        need: u64,
    ) -> Vec<&'a str> {
        m.get(&NeedId::from_number(need))
            .map(|c| {
                c.iter()
                    .map(|c| programmes[c.programme].id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn helped(pairs: &[(&str, &str)]) -> Helped {
        let mut h = Helped::new();
        for (provider, state) in pairs {
            h.entry(code(provider)).or_default().insert(code(state));
        }
        h
    }

    #[test]
    fn a_programme_matches_by_area_and_by_who_may_receive_it() {
        let needs = [need(1, "KEN", "LEG", Status::Open)];
        let table: &[(&str, Programme, bool)] = &[
            (
                "another area",
                prog(1, "UNODC", &["FIN"], Eligible::EveryState),
                false,
            ),
            (
                "one of its areas",
                prog(2, "UNODC", &["FIN", "LEG"], Eligible::EveryState),
                true,
            ),
            (
                "the State named",
                prog(3, "FRA", &["LEG"], named(&["UGA", "KEN"])),
                true,
            ),
            (
                "other States named",
                prog(4, "FRA", &["LEG"], named(&["UGA"])),
                false,
            ),
            (
                "its subregion",
                prog(5, "EU", &["LEG"], Eligible::Region("014".into())),
                true,
            ),
            (
                "another region",
                prog(6, "EU", &["LEG"], Eligible::Region("155".into())),
                false,
            ),
            (
                "an unknown region",
                prog(7, "EU", &["LEG"], Eligible::Region("999".into())),
                false,
            ),
            (
                "an organization it belongs to",
                prog(8, "EU", &["LEG"], Eligible::MembersOf(code("EAC"))),
                true,
            ),
            (
                "an organization without a list",
                prog(9, "EU", &["LEG"], Eligible::MembersOf(code("AU"))),
                false,
            ),
        ];
        for (what, p, expected) in table {
            let one = std::slice::from_ref(p);
            let m = candidates(&needs, one, &geo(), &Helped::new());
            assert_eq!(!ids(&m, one, 1).is_empty(), *expected, "{what}");
        }
    }

    #[test]
    fn closed_programmes_and_needs_no_longer_open_are_not_matched() {
        let mut closed = prog(1, "UNODC", &["LEG"], Eligible::EveryState);
        closed.status = ProgrammeStatus::Closed;
        let open = prog(2, "UNODC", &["LEG"], Eligible::EveryState);
        let needs = [
            need(1, "KEN", "LEG", Status::Open),
            need(2, "KEN", "LEG", Status::InProgress),
            need(3, "KEN", "LEG", Status::Met),
            need(4, "KEN", "LEG", Status::AssistanceOffered),
        ];
        let programmes = [closed, open];
        let m = candidates(&needs, &programmes, &geo(), &Helped::new());
        assert_eq!(ids(&m, &programmes, 1), ["SA-00002"]);
        assert!((2..=4).all(|n| ids(&m, &programmes, n).is_empty()));
    }

    #[test]
    fn candidates_rank_past_help_then_the_closest_reach_then_the_order_given() {
        let programmes = [
            prog(1, "WORLDBANK", &["LEG"], Eligible::EveryState),
            prog(2, "EU", &["LEG"], Eligible::Region("014".into())),
            prog(3, "FRA", &["LEG"], named(&["KEN"])),
            prog(4, "EAC", &["LEG"], Eligible::MembersOf(code("EAC"))),
            prog(5, "UNODC", &["LEG"], Eligible::EveryState),
        ];
        let needs = [need(1, "KEN", "LEG", Status::Open)];
        let none = candidates(&needs, &programmes, &geo(), &Helped::new());
        assert_eq!(
            ids(&none, &programmes, 1),
            ["SA-00003", "SA-00002", "SA-00004", "SA-00001", "SA-00005"]
        );
        let m = candidates(&needs, &programmes, &geo(), &helped(&[("UNODC", "KEN")]));
        assert_eq!(
            ids(&m, &programmes, 1),
            ["SA-00005", "SA-00003", "SA-00002", "SA-00004", "SA-00001"]
        );
        assert!(m[&NeedId::from_number(1)][0].helped_before);
        // Help given to another State does not count.
        let m = candidates(&needs, &programmes, &geo(), &helped(&[("UNODC", "UGA")]));
        assert_eq!(ids(&m, &programmes, 1)[0], "SA-00003");
    }

    #[test]
    fn candidates_are_exactly_what_a_plain_search_finds_over_the_real_geography() {
        let geo = Geography::embedded().expect("committed data");
        let states: Vec<PartyCode> = geo.regions[0].states.iter().cloned().collect();
        let mut orgs: Vec<PartyCode> = geo.members.keys().cloned().collect();
        orgs.sort();
        let areas = ["LEG", "FIN", "CUS", "POL"];
        let programmes: Vec<Programme> = (0..200usize)
            .map(|i| {
                let eligible = match i % 4 {
                    0 => Eligible::EveryState,
                    1 => Eligible::States(
                        (0..1 + i % 4)
                            .map(|k| states[(i * 31 + k * 17) % states.len()].clone())
                            .collect(),
                    ),
                    2 => Eligible::Region(geo.regions[i % geo.regions.len()].code.clone()),
                    _ => Eligible::MembersOf(orgs[i % orgs.len()].clone()),
                };
                let mut p = prog(
                    i as u64 + 1,
                    "UNODC",
                    &[areas[i % 4], areas[(i / 4) % 4]],
                    eligible,
                );
                if i % 9 == 0 {
                    p.status = ProgrammeStatus::Closed;
                }
                p
            })
            .collect();
        let needs: Vec<Need> = (0..300usize)
            .map(|i| {
                let status = if i % 5 == 0 {
                    Status::Met
                } else {
                    Status::Open
                };
                need(
                    i as u64 + 1,
                    states[(i * 7) % states.len()].as_str(),
                    areas[i % 4],
                    status,
                )
            })
            .collect();
        let m = candidates(&needs, &programmes, &geo, &Helped::new());
        for n in &needs {
            let mut expected: Vec<usize> = (0..programmes.len())
                .filter(|&i| {
                    let p = &programmes[i];
                    is_open(n)
                        && p.status == ProgrammeStatus::Active
                        && p.areas.contains(&n.area)
                        && geo.covers(&p.eligible, &n.state)
                })
                .collect();
            let mut got: Vec<usize> = m
                .get(&n.id)
                .map(|c| c.iter().map(|c| c.programme).collect())
                .unwrap_or_default();
            expected.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, expected, "{}", n.id);
        }
    }

    #[test]
    fn coverage_counts_open_needs_with_a_candidate_and_needs_with_a_provider() {
        let mut offered = need(3, "UGA", "LEG", Status::AssistanceOffered);
        offered.provider = "UNODC".into();
        let needs = [
            need(1, "KEN", "LEG", Status::Open),
            need(2, "KEN", "FIN", Status::Open),
            offered,
            need(4, "KEN", "LEG", Status::Withdrawn),
        ];
        let m = candidates(
            &needs,
            &[prog(1, "EU", &["LEG"], Eligible::EveryState)],
            &geo(),
            &Helped::new(),
        );
        let c = coverage(&needs, &m);
        assert_eq!(
            c,
            Coverage {
                open: 2,
                with_candidate: 1,
                with_provider: 1,
                total: 3
            }
        );
    }
}
