//! The Directory of Sources of Assistance: assistance programmes, the second register
//! (on `crate::register`), and the geography that says who may receive one (UN M49
//! regions from CLDR, organizations' members from a cited source). Pure.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Deserialize;
use thiserror::Error;

use crate::directory::PartyIndex;
use crate::model::{Area, AreaCode, EmailAddress, Language, PartyCode, PartyKind, normalize_word};
use crate::register::{Column, Record, Schema, Values};
use crate::workbook::read::AreaIndex;

const REGIONS_TOML: &str = include_str!("../config/parties/regions.toml");
const MEMBERSHIPS_TOML: &str = include_str!("../config/parties/memberships.toml");

/// The Programmes register: its sheet, IDs and columns, in the order of the sheet.
pub static SCHEMA: Schema = Schema {
    sheet: "Programmes",
    id_prefix: "SA-",
    id_header: "Programme ID",
    id_aliases: &["ID", "Programme", "Program ID", "Programme No"],
    columns: &[
        Column {
            key: "provider",
            header: "Provider",
            aliases: &["Provided by", "Organization", "Donor"],
            required: true,
            width: 22.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "title",
            header: "Title",
            aliases: &["Programme", "Name", "Programme title"],
            required: true,
            width: 40.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "kind",
            header: "Kind",
            aliases: &["Type", "Kind of assistance"],
            required: true,
            width: 22.0,
            choice_words: None,
            choices: &[
                "Training",
                "Legislative drafting support",
                "Expert visit",
                "Equipment",
                "Funding",
                "Guidance or self-help package",
                "Implementation kit",
            ],
        },
        Column {
            key: "areas",
            header: "Areas",
            aliases: &["Area", "Areas of assistance"],
            required: true,
            width: 16.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "eligible",
            header: "Eligible",
            aliases: &["Eligibility", "Who may receive it", "Recipients"],
            required: false,
            width: 24.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "languages",
            header: "Languages",
            aliases: &["Language"],
            required: false,
            width: 12.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "contact",
            header: "Contact",
            aliases: &["Email", "Contact address"],
            required: false,
            width: 26.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "link",
            header: "Link",
            aliases: &["URL", "Website", "Web"],
            required: false,
            width: 30.0,
            choice_words: None,
            choices: &[],
        },
        Column {
            key: "status",
            header: "Status",
            aliases: &[],
            required: true,
            width: 10.0,
            choice_words: None,
            choices: &["Active", "Closed"],
        },
        Column {
            key: "updated",
            header: "Last updated",
            aliases: &["Updated", "Date"],
            required: false,
            width: 12.0,
            choice_words: None,
            choices: &[],
        },
    ],
    owner: "provider",
    owner_editable: &[
        "title",
        "kind",
        "areas",
        "eligible",
        "languages",
        "contact",
        "link",
        "status",
    ],
    updated: "updated",
    headers: crate::spelling::List::ProgrammeHeader,
};

/// What a programme offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Training,
    LegislativeDrafting,
    ExpertVisit,
    Equipment,
    Funding,
    Guidance,
    ImplementationKit,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Training,
        Kind::LegislativeDrafting,
        Kind::ExpertVisit,
        Kind::Equipment,
        Kind::Funding,
        Kind::Guidance,
        Kind::ImplementationKit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Training => "Training",
            Kind::LegislativeDrafting => "Legislative drafting support",
            Kind::ExpertVisit => "Expert visit",
            Kind::Equipment => "Equipment",
            Kind::Funding => "Funding",
            Kind::Guidance => "Guidance or self-help package",
            Kind::ImplementationKit => "Implementation kit",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match normalize_word(s).as_str() {
            "training" | "course" | "workshop" | "formation" | "capacitacion" => Ok(Kind::Training),
            "legislativedraftingsupport"
            | "legislativedrafting"
            | "legislativesupport"
            | "legaldrafting"
            | "drafting" => Ok(Kind::LegislativeDrafting),
            "expertvisit" | "visit" | "expertmission" | "mission" => Ok(Kind::ExpertVisit),
            "equipment" | "equipement" | "equipo" => Ok(Kind::Equipment),
            "funding" | "grant" | "financing" | "financement" | "financiacion" => Ok(Kind::Funding),
            "guidanceorselfhelppackage"
            | "guidance"
            | "selfhelppackage"
            | "selfhelp"
            | "guide"
            | "manual" => Ok(Kind::Guidance),
            "implementationkit" | "kit" | "toolkit" => Ok(Kind::ImplementationKit),
            _ => Err(format!(
                "'{s}' is not a kind of programme ({})",
                Kind::ALL.map(Kind::as_str).join(", ")
            )),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a programme is on offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgrammeStatus {
    Active,
    Closed,
}

impl ProgrammeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgrammeStatus::Active => "Active",
            ProgrammeStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match normalize_word(s).as_str() {
            "active" | "open" | "ongoing" | "actif" | "activo" => Ok(ProgrammeStatus::Active),
            "closed" | "ended" | "finished" | "inactive" | "ferme" | "cerrado" => {
                Ok(ProgrammeStatus::Closed)
            }
            _ => Err(format!(
                "'{s}' is not a programme status (Active or Closed)"
            )),
        }
    }
}

/// Who may receive a programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligible {
    EveryState,
    States(BTreeSet<PartyCode>),
    /// A UN M49 region or subregion, by its three-digit code.
    Region(String),
    /// The member States of an organization (one with a membership list).
    MembersOf(PartyCode),
}

/// One UN M49 region or subregion and the States in it.
#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub states: BTreeSet<PartyCode>,
}

#[derive(Debug, Clone, Error)]
#[error("committed data {file} is invalid: {message}")]
pub struct GeographyError {
    file: &'static str,
    message: String,
}

/// The regions and memberships eligibility is written in, from the committed data.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    pub regions: Vec<Region>,
    region_by_key: HashMap<String, usize>,
    /// Each organization with a membership list, and its member States.
    pub members: HashMap<PartyCode, BTreeSet<PartyCode>>,
}

#[derive(Deserialize)]
struct RegionsFile {
    regions: Vec<RawRegion>,
    /// The organizations whose membership CLDR maintains.
    #[serde(default)]
    memberships: Vec<RawMembership>,
}
#[derive(Deserialize)]
struct RawRegion {
    code: String,
    name: String,
    states: Vec<String>,
}
#[derive(Deserialize)]
struct MembershipsFile {
    organizations: Vec<RawMembership>,
}
#[derive(Deserialize)]
struct RawMembership {
    id: String,
    states: Vec<String>,
}

fn codes(file: &'static str, list: &[String]) -> Result<BTreeSet<PartyCode>, GeographyError> {
    list.iter()
        .map(|s| PartyCode::parse(s).map_err(|e| GeographyError { file, message: e.0 }))
        .collect()
}

impl Geography {
    /// The regions of `config/parties/regions.toml` and the memberships there (from
    /// CLDR) and in `config/parties/memberships.toml` (cited), compiled in.
    pub fn embedded() -> Result<Self, GeographyError> {
        let (rf, mf) = (
            "config/parties/regions.toml",
            "config/parties/memberships.toml",
        );
        let bad = |file, e: toml::de::Error| GeographyError {
            file,
            message: e.message().to_string(),
        };
        let r: RegionsFile = toml::from_str(REGIONS_TOML).map_err(|e| bad(rf, e))?;
        let m: MembershipsFile = toml::from_str(MEMBERSHIPS_TOML).map_err(|e| bad(mf, e))?;
        let mut regions = Vec::with_capacity(r.regions.len());
        for raw in r.regions {
            regions.push(Region {
                states: codes(rf, &raw.states)?,
                code: raw.code,
                name: raw.name,
            });
        }
        let mut members = HashMap::new();
        let sources = r.memberships.into_iter().map(|m| (rf, m));
        for (file, raw) in sources.chain(m.organizations.into_iter().map(|m| (mf, m))) {
            let org =
                PartyCode::parse(&raw.id).map_err(|e| GeographyError { file, message: e.0 })?;
            if members.insert(org, codes(file, &raw.states)?).is_some() {
                return Err(GeographyError {
                    file,
                    message: format!("the members of {} are given twice", raw.id),
                });
            }
        }
        Ok(Self::new(regions, members))
    }

    /// The embedded geography, read once per process: the same committed data wherever
    /// it is needed (the composition root, and the reading of replies).
    pub fn shared() -> Result<&'static Self, GeographyError> {
        static SHARED: std::sync::OnceLock<Result<Geography, GeographyError>> =
            std::sync::OnceLock::new();
        SHARED
            .get_or_init(Self::embedded)
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn new(regions: Vec<Region>, members: HashMap<PartyCode, BTreeSet<PartyCode>>) -> Self {
        let region_by_key = regions
            .iter()
            .enumerate()
            .flat_map(|(i, r)| [(r.code.clone(), i), (normalize_word(&r.name), i)])
            .collect();
        Self {
            regions,
            region_by_key,
            members,
        }
    }

    pub fn region(&self, code_or_name: &str) -> Option<&Region> {
        let t = code_or_name.trim();
        let t = t
            .rsplit_once("(M49 ")
            .and_then(|(_, c)| c.strip_suffix(')'))
            .unwrap_or(t);
        self.region_by_key
            .get(t)
            .or_else(|| self.region_by_key.get(&normalize_word(t)))
            .map(|&i| &self.regions[i])
    }

    /// Is `state` one of those `eligible` names?
    pub fn covers(&self, eligible: &Eligible, state: &PartyCode) -> bool {
        match eligible {
            Eligible::EveryState => true,
            Eligible::States(s) => s.contains(state),
            Eligible::Region(code) => self.region(code).is_some_and(|r| r.states.contains(state)),
            Eligible::MembersOf(org) => self.members.get(org).is_some_and(|m| m.contains(state)),
        }
    }
}

/// The canonical text of eligibility (blank: every State).
pub fn eligible_text(e: &Eligible, geo: &Geography) -> String {
    match e {
        Eligible::EveryState => String::new(),
        Eligible::States(s) => s
            .iter()
            .map(PartyCode::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        Eligible::Region(code) => match geo.region(code) {
            Some(r) => format!("{} (M49 {})", r.name, r.code),
            None => format!("(M49 {code})"),
        },
        Eligible::MembersOf(org) => format!("Members of {org}"),
    }
}

/// Who `text` says may receive a programme: blank or "every State"; a region's name or
/// M49 code; "Members of" an organization; or States separated by `;` or `,`.
pub fn parse_eligible(
    text: &str,
    parties: &PartyIndex,
    geo: &Geography,
) -> Result<Eligible, String> {
    let t = text.trim();
    let key = normalize_word(t);
    if matches!(
        key.as_str(),
        "" | "everystate" | "allstates" | "all" | "everyone" | "any" | "anystate"
    ) {
        return Ok(Eligible::EveryState);
    }
    if let Some(r) = geo.region(t) {
        return Ok(Eligible::Region(r.code.clone()));
    }
    let lower = t.to_lowercase();
    for prefix in ["members of ", "member states of ", "members: "] {
        if let Some(org) = lower.strip_prefix(prefix) {
            let org = org.trim();
            let org = org.strip_prefix("the ").unwrap_or(org);
            let party = parties
                .resolve(org)
                .filter(|p| p.kind == PartyKind::Organization)
                .ok_or_else(|| {
                    // `t` from where the prefix ends, if lower-casing kept its length.
                    let named = t.get(prefix.len()..).map_or(org, str::trim);
                    format!("'{named}' is not an organization needsd knows")
                })?;
            return if geo.members.contains_key(&party.code) {
                Ok(Eligible::MembersOf(party.code.clone()))
            } else {
                Err(format!(
                    "needsd has no list of the members of {}; name the States instead",
                    party.name
                ))
            };
        }
    }
    let mut states = BTreeSet::new();
    for part in t
        .split([';', ',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        states.insert(parties.resolve_state(part)?);
    }
    Ok(Eligible::States(states))
}

fn parse_list<T>(
    text: &str,
    mut one: impl FnMut(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    text.split([';', ',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(&mut one)
        .collect()
}

/// A language a programme is given in: one of the six by code, or another language's
/// name as written.
fn parse_language(s: &str) -> Result<String, String> {
    if let Ok(l) = Language::parse(s) {
        return Ok(l.as_str().to_string());
    }
    if s.chars().count() <= 30 && s.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '-') {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a language"))
    }
}

/// The meaning of the Programmes sheet's cells.
pub struct ProgrammeValues<'a> {
    pub parties: &'a PartyIndex,
    areas: AreaIndex,
    area_order: Vec<AreaCode>,
    pub geo: &'a Geography,
}

impl<'a> ProgrammeValues<'a> {
    pub fn new(parties: &'a PartyIndex, areas: &[Area], geo: &'a Geography) -> Self {
        Self {
            parties,
            areas: AreaIndex::new(areas),
            area_order: areas.iter().map(|a| a.code.clone()).collect(),
            geo,
        }
    }
}

impl Values for ProgrammeValues<'_> {
    fn canonical(&self, key: &'static str, text: &str) -> Result<String, String> {
        match key {
            "provider" => self
                .parties
                .resolve(text)
                .map(|p| p.code.to_string())
                .ok_or_else(|| format!("unknown provider '{text}' (a State or an organization)")),
            "title" => short(text, 300),
            "kind" => Kind::parse(text).map(|k| k.as_str().to_string()),
            "areas" => {
                let mut codes = parse_list(text, |a| self.areas.resolve(a))?;
                codes.sort_by_key(|c| self.area_order.iter().position(|o| o == c));
                codes.dedup();
                Ok(codes
                    .iter()
                    .map(AreaCode::as_str)
                    .collect::<Vec<_>>()
                    .join("; "))
            }
            "eligible" => {
                parse_eligible(text, self.parties, self.geo).map(|e| eligible_text(&e, self.geo))
            }
            "languages" => {
                let mut langs = parse_list(text, parse_language)?;
                let mut seen = std::collections::HashSet::new();
                langs.retain(|l| seen.insert(l.to_lowercase()));
                Ok(langs.join("; "))
            }
            "contact" => EmailAddress::parse(text)
                .map(|e| e.to_string())
                .map_err(|e| e.0),
            "link" => {
                let t = text.trim();
                let ok = (t.starts_with("https://") || t.starts_with("http://"))
                    && t.len() <= 2_000
                    && !t.chars().any(|c| {
                        c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>'
                    });
                if ok {
                    Ok(t.to_string())
                } else {
                    Err(format!("'{text}' is not a web address (https://…)"))
                }
            }
            "status" => ProgrammeStatus::parse(text).map(|s| s.as_str().to_string()),
            _ => short(text, 2_000),
        }
    }
}

fn short(text: &str, max: usize) -> Result<String, String> {
    let t = text.trim();
    if t.chars().count() <= max {
        Ok(t.to_string())
    } else {
        Err(format!("longer than {max} characters"))
    }
}

/// A programme with typed values, as matching and the public directory use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub id: String,
    pub provider: PartyCode,
    pub title: String,
    pub kind: Kind,
    pub areas: Vec<AreaCode>,
    pub eligible: Eligible,
    pub languages: Vec<String>,
    pub contact: String,
    pub link: String,
    pub status: ProgrammeStatus,
    pub updated: String,
}

impl Programme {
    /// The typed programme a stored record holds; a record needsd wrote is always one.
    pub fn from_record(r: &Record, parties: &PartyIndex, geo: &Geography) -> Result<Self, String> {
        let list = |k: &str| -> Vec<String> {
            r.get(k)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        Ok(Self {
            id: r.id.clone(),
            provider: PartyCode::parse(r.get("provider")).map_err(|e| e.0)?,
            title: r.get("title").to_string(),
            kind: Kind::parse(r.get("kind"))?,
            areas: list("areas")
                .iter()
                .map(|a| AreaCode::parse(a).map_err(|e| e.0))
                .collect::<Result<_, _>>()?,
            eligible: parse_eligible(r.get("eligible"), parties, geo)?,
            languages: list("languages"),
            contact: r.get("contact").to_string(),
            link: r.get("link").to_string(),
            status: ProgrammeStatus::parse(r.get("status"))?,
            updated: r.get("updated").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> PartyIndex {
        PartyIndex::new(crate::directory::seed_parties().expect("committed data"))
    }

    #[test]
    fn the_committed_geography_reads_and_names_m49_regions() {
        let geo = Geography::embedded().expect("committed data");
        let east = geo.region("Eastern Africa").expect("014");
        assert_eq!(east.code, "014");
        assert!(east.states.contains(&PartyCode::parse("KEN").unwrap()));
        assert_eq!(
            geo.region("014").map(|r| r.name.as_str()),
            Some("Eastern Africa")
        );
        assert_eq!(
            geo.region("Eastern Africa (M49 014)")
                .map(|r| r.code.as_str()),
            Some("014")
        );
        assert_eq!(geo.members[&PartyCode::parse("EU").unwrap()].len(), 27);
    }

    #[test]
    fn eligibility_reads_as_people_write_it_and_writes_back_the_same() {
        let (p, geo) = (parties(), Geography::embedded().unwrap());
        let cases = [
            ("", ""),
            ("All States", ""),
            ("Kenya; Uganda", "KEN; UGA"),
            ("UGA, KEN, Kenya", "KEN; UGA"),
            ("eastern africa", "Eastern Africa (M49 014)"),
            ("014", "Eastern Africa (M49 014)"),
            ("Members of the European Union", "Members of EU"),
            ("members of EU", "Members of EU"),
        ];
        for (text, canonical) in cases {
            let e = parse_eligible(text, &p, &geo).unwrap_or_else(|e| panic!("{text}: {e}"));
            let written = eligible_text(&e, &geo);
            assert_eq!(written, canonical, "{text}");
            assert_eq!(
                parse_eligible(&written, &p, &geo),
                Ok(e),
                "{text} read back"
            );
        }
        for bad in ["Narnia", "Members of Interpol", "Members of Kenya"] {
            assert!(parse_eligible(bad, &p, &geo).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_and_statuses_take_their_names_and_common_variants() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Ok(k));
            assert_eq!(Kind::parse(&k.as_str().to_uppercase()), Ok(k));
        }
        assert_eq!(Kind::parse("toolkit"), Ok(Kind::ImplementationKit));
        // The sheet's drop-down offers exactly the kinds.
        let offered = SCHEMA.column("kind").map(|c| c.choices.to_vec());
        assert_eq!(offered, Some(Kind::ALL.map(Kind::as_str).to_vec()));
        assert!(Kind::parse("lunch").is_err());
        assert_eq!(
            ProgrammeStatus::parse(" closed "),
            Ok(ProgrammeStatus::Closed)
        );
        assert!(ProgrammeStatus::parse("maybe").is_err());
    }
}
