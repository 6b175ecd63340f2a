//! The directories: every Party (States and organizations) from the committed data under
//! `config/parties/`, a resolver from what people write ("Moldova", "moneyval", "KEN") to a
//! Party code, and the Directory of Contact Points read from CSV. Pure: no I/O here.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use thiserror::Error;

use crate::model::{EmailAddress, Language, Party, PartyCode, PartyKind, normalize_word};

const STATES_TOML: &str = include_str!("../config/parties/states.toml");
const ORGANIZATIONS_TOML: &str = include_str!("../config/parties/organizations.toml");

#[derive(Debug, Error)]
#[error("committed party data {file} is invalid: {message}")]
pub struct SeedError {
    file: &'static str,
    message: String,
}

#[derive(Deserialize)]
struct StatesFile {
    states: Vec<RawState>,
}
#[derive(Deserialize)]
struct RawState {
    code: String,
    name: String,
    membership: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct OrganizationsFile {
    organizations: Vec<RawOrganization>,
}
#[derive(Deserialize)]
struct RawOrganization {
    id: String,
    category: String,
    parent: String,
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    acronym: String,
    #[serde(default)]
    official_name: Option<String>,
    #[serde(default)]
    later_names: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// Every Party needsd knows from its committed data: 193 Member States, 2 observer
/// States and the organizations of the annex, in that order.
pub fn seed_parties() -> Result<Vec<Party>, SeedError> {
    let states: StatesFile = toml::from_str(STATES_TOML).map_err(|e| SeedError {
        file: "config/parties/states.toml",
        message: e.message().to_string(),
    })?;
    let orgs: OrganizationsFile = toml::from_str(ORGANIZATIONS_TOML).map_err(|e| SeedError {
        file: "config/parties/organizations.toml",
        message: e.message().to_string(),
    })?;
    let bad = |file, message: String| SeedError { file, message };
    let mut out = Vec::with_capacity(states.states.len() + orgs.organizations.len());
    for s in states.states {
        out.push(Party {
            code: PartyCode::parse(&s.code).map_err(|e| bad("config/parties/states.toml", e.0))?,
            kind: PartyKind::State,
            name: s.name,
            category: None,
            parent: None,
            membership: Some(s.membership),
            aliases: s.aliases,
            active: true,
        });
    }
    for o in orgs.organizations {
        let file = "config/parties/organizations.toml";
        let mut aliases = Vec::new();
        let mut push = |a: &str| {
            let a = a.trim();
            if !a.is_empty() && !aliases.iter().any(|x: &String| x == a) {
                aliases.push(a.to_string());
            }
        };
        push(&o.acronym);
        if let Some(d) = &o.display_name {
            push(d);
        }
        if let Some(n) = &o.official_name {
            push(n);
        }
        for n in o.later_names.iter().chain(&o.aliases) {
            push(n);
        }
        aliases.retain(|a| a != &o.name);
        out.push(Party {
            code: PartyCode::parse(&o.id).map_err(|e| bad(file, e.0))?,
            kind: PartyKind::Organization,
            name: o.display_name.clone().unwrap_or(o.name),
            category: Some(o.category),
            parent: if o.parent.is_empty() {
                None
            } else {
                Some(PartyCode::parse(&o.parent).map_err(|e| bad(file, e.0))?)
            },
            membership: None,
            aliases,
            active: true,
        });
    }
    Ok(out)
}

const AMBIGUOUS_KEYS: &[&str] = &["idb"];

/// Finds a Party from what a person wrote: its code, name or an alias, ignoring case,
/// accents, spacing and punctuation. A key that two Parties share (the bare "IDB" for the
/// Inter-American and the Islamic Development Banks) resolves to neither.
#[derive(Debug, Clone, Default)]
pub struct PartyIndex {
    /// In the order given (the store gives States first, each kind by code).
    parties: Vec<Party>,
    by_code: HashMap<PartyCode, usize>,
    by_key: HashMap<String, Option<PartyCode>>,
}

impl PartyIndex {
    pub fn new(parties: impl IntoIterator<Item = Party>) -> Self {
        let mut idx = Self::default();
        let mut codes: HashSet<String> = HashSet::new();
        let parties: Vec<Party> = parties.into_iter().collect();
        // Codes win over names: index them first and never let a name shadow one.
        for p in &parties {
            let k = normalize_word(p.code.as_str());
            codes.insert(k.clone());
            idx.by_key.insert(k, Some(p.code.clone()));
        }
        for p in &parties {
            for name in std::iter::once(&p.name).chain(&p.aliases) {
                let k = normalize_word(name);
                if k.is_empty() || codes.contains(&k) {
                    continue;
                }
                idx.by_key
                    .entry(k)
                    .and_modify(|v| {
                        if v.as_ref() != Some(&p.code) {
                            *v = None;
                        }
                    })
                    .or_insert_with(|| Some(p.code.clone()));
            }
        }
        // Keys that history made ambiguous even where the data lists one Party: "IDB" was
        // both the Inter-American and the Islamic Development Bank in 2003.
        for k in AMBIGUOUS_KEYS {
            idx.by_key.insert((*k).to_string(), None);
        }
        idx.by_code = parties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.clone(), i))
            .collect();
        idx.parties = parties;
        idx
    }

    pub fn get(&self, code: &PartyCode) -> Option<&Party> {
        self.by_code.get(code).map(|&i| &self.parties[i])
    }

    /// Every Party, in the order the index was built from.
    pub fn all(&self) -> &[Party] {
        &self.parties
    }

    /// Every State as (code, name), for the workbook's Lists sheet and State drop-down.
    pub fn state_names(&self) -> Vec<(PartyCode, String)> {
        self.parties
            .iter()
            .filter(|p| p.kind == PartyKind::State)
            .map(|p| (p.code.clone(), p.name.clone()))
            .collect()
    }

    /// The State a person meant by `text`, or why there is none; the message names the text.
    pub fn resolve_state(&self, text: &str) -> Result<PartyCode, String> {
        match self.resolve(text) {
            Some(p) if p.kind == PartyKind::State => Ok(p.code.clone()),
            Some(p) => Err(format!("'{}' is an organization, not a State", p.name)),
            None if text.trim().is_empty() => Err("the State is empty".into()),
            None => Err(format!("unknown State '{text}'")),
        }
    }

    /// The Party a person meant by `text`, if exactly one fits.
    pub fn resolve(&self, text: &str) -> Option<&Party> {
        let k = normalize_word(text);
        self.by_key
            .get(&k)
            .and_then(|c| c.as_ref())
            .and_then(|c| self.get(c))
    }

    pub fn len(&self) -> usize {
        self.parties.len()
    }
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }
}

/// One contact point, as parsed from a directory file.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    pub party: PartyCode,
    pub name: String,
    pub office: String,
    pub email: EmailAddress,
    pub language: Language,
    pub role: String,
    pub receives_matrix: bool,
}

/// A contact's fields as typed, in a directory file's row or the contact form.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactFields<'a> {
    pub party: &'a str,
    pub name: &'a str,
    pub office: &'a str,
    pub email: &'a str,
    /// Empty: English.
    pub language: &'a str,
    pub role: &'a str,
    /// None: the default, organizations receive the Matrix and States do not.
    pub receives_matrix: Option<bool>,
}

/// One contact as typed, checked: the party (code, name or alias), a name, an address
/// and a language. Every problem comes back as (column, message), in column order.
pub fn check_contact(
    parties: &PartyIndex,
    f: &ContactFields<'_>,
) -> Result<NewContact, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    let party = match parties.resolve(f.party.trim()) {
        Some(p) => Some(p),
        None if f.party.trim().is_empty() => {
            errs.push(("party", "the party is empty".to_string()));
            None
        }
        None => {
            errs.push(("party", format!("unknown party '{}'", f.party.trim())));
            None
        }
    };
    let name = f.name.trim();
    if name.is_empty() {
        errs.push(("name", "the name is empty".to_string()));
    }
    let email = EmailAddress::parse(f.email.trim())
        .map_err(|e| errs.push(("email", format!("malformed address: {e}"))))
        .ok();
    let language = match f.language.trim() {
        "" => Some(Language::En),
        l => Language::parse(l)
            .map_err(|e| errs.push(("language", e.0)))
            .ok(),
    };
    match (party, email, language) {
        (Some(p), Some(email), Some(language)) if errs.is_empty() => Ok(NewContact {
            line: 0,
            party: p.code.clone(),
            name: name.to_string(),
            office: f.office.trim().to_string(),
            email,
            language,
            role: f.role.trim().to_string(),
            receives_matrix: f
                .receives_matrix
                .unwrap_or(p.kind == PartyKind::Organization),
        }),
        _ => Err(errs),
    }
}

pub use crate::model::RowError;

/// The whole file could not be read as a directory.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContactsFileError {
    #[error("the file is not UTF-8 or Windows-1252 text")]
    NotText,
    #[error("the header lacks the column{} {}", if .0.len() > 1 { "s" } else { "" }, .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("the file has no header row")]
    Empty,
    #[error("the file is over the limits: {0}")]
    TooLarge(String),
}

/// Parsed contacts and every problem found, row by row.
#[derive(Debug, Default)]
pub struct ContactsParse {
    pub contacts: Vec<NewContact>,
    pub errors: Vec<RowError>,
}

const CONTACT_COLUMNS: [&str; 7] = [
    "party",
    "name",
    "office",
    "email",
    "language",
    "role",
    "receives_matrix",
];

/// Reads the Directory of Contact Points (columns party, name, office, email, language,
/// role, receives_matrix; any order; `,` `;` or tab). A blank `receives_matrix` follows the
/// seed: organizations receive the matrix, States only when they asked for it.
pub fn parse_contacts_csv(
    bytes: &[u8],
    parties: &PartyIndex,
    limits: &crate::settings::Limits,
) -> Result<ContactsParse, ContactsFileError> {
    let table = crate::workbook::csv::read_table(bytes, limits).map_err(|e| match e {
        crate::workbook::csv::CsvError::TooLarge(why) => ContactsFileError::TooLarge(why),
        crate::workbook::csv::CsvError::Malformed(_) => ContactsFileError::NotText,
    })?;
    let mut records = table.records.into_iter();
    let header = records.next().ok_or(ContactsFileError::Empty)?;
    let header_keys: Vec<String> = header.cells.iter().map(|h| normalize_word(h)).collect();
    let col = |name: &str| header_keys.iter().position(|h| *h == normalize_word(name));
    let missing: Vec<String> = CONTACT_COLUMNS
        .iter()
        .filter(|c| {
            col(c).is_none()
                && **c != "office"
                && **c != "role"
                && **c != "receives_matrix"
                && **c != "language"
        })
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ContactsFileError::MissingColumns(missing));
    }
    let idx: Vec<Option<usize>> = CONTACT_COLUMNS.iter().map(|c| col(c)).collect();
    let mut out = ContactsParse::default();
    let mut seen: HashMap<(PartyCode, String), usize> = HashMap::new();
    for rec in records {
        let line = rec.line;
        let get = |i: usize| -> &str {
            idx[i]
                .and_then(|j| rec.cells.get(j))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        if rec.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let err = |column: &str, message: String| RowError {
            row: line,
            column: Some(column.to_string()),
            message,
        };
        let mut bad_receives = None;
        let receives_matrix = match normalize_word(get(6)).as_str() {
            "" => None,
            "yes" | "y" | "true" | "1" | "x" | "oui" | "si" => Some(true),
            "no" | "n" | "false" | "0" | "non" => Some(false),
            _ => {
                bad_receives = Some(err(
                    "receives_matrix",
                    format!("'{}' is not yes or no", get(6)),
                ));
                None
            }
        };
        let checked = check_contact(
            parties,
            &ContactFields {
                party: get(0),
                name: get(1),
                office: get(2),
                email: get(3),
                language: get(4),
                role: get(5),
                receives_matrix,
            },
        );
        let mut errs: Vec<RowError> = match &checked {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(|(c, m)| err(c, m.clone())).collect(),
        };
        errs.extend(bad_receives);
        // The same address twice for one party: the second row is the mistake.
        if let (Some(p), Ok(e)) = (parties.resolve(get(0)), EmailAddress::parse(get(3))) {
            let key = (p.code.clone(), e.key());
            if let Some(first) = seen.get(&key) {
                errs.push(err(
                    "email",
                    format!(
                        "duplicate: {} is already listed for {} on line {first}",
                        e, p.code
                    ),
                ));
            } else {
                seen.insert(key, line);
            }
        }
        match checked {
            Ok(c) if errs.is_empty() => out.contacts.push(NewContact { line, ..c }),
            _ => out.errors.extend(errs),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> PartyIndex {
        PartyIndex::new(seed_parties().unwrap())
    }

    #[test]
    fn seed_has_every_state_and_organization() {
        let parties = seed_parties().unwrap();
        let states: Vec<_> = parties
            .iter()
            .filter(|p| p.kind == PartyKind::State)
            .collect();
        let members = states
            .iter()
            .filter(|p| p.membership.as_deref() == Some("member"))
            .count();
        assert_eq!(members, 193);
        assert_eq!(states.len(), 195);
        let orgs = parties
            .iter()
            .filter(|p| p.kind == PartyKind::Organization)
            .count();
        assert_eq!(orgs, 72);
        let codes: HashSet<_> = parties.iter().map(|p| p.code.clone()).collect();
        assert_eq!(codes.len(), parties.len(), "codes are unique");
        for p in &parties {
            if let Some(parent) = &p.parent {
                assert!(
                    codes.contains(parent),
                    "{} has unknown parent {parent}",
                    p.code
                );
            }
        }
    }

    #[test]
    fn resolves_codes_names_and_aliases() {
        let idx = index();
        let code = |s: &str| idx.resolve(s).map(|p| p.code.to_string());
        assert_eq!(code("ken").as_deref(), Some("KEN"));
        assert_eq!(code("Republic of Moldova").as_deref(), Some("MDA"));
        assert_eq!(code("Moldova").as_deref(), Some("MDA"));
        assert_eq!(code("Cote d'Ivoire").as_deref(), Some("CIV"));
        assert_eq!(code("TÜRKIYE").as_deref(), Some("TUR"));
        assert_eq!(code("coe-moneyval").as_deref(), Some("COE-MONEYVAL"));
        assert_eq!(code("MONEYVAL").as_deref(), Some("COE-MONEYVAL"));
        assert_eq!(code("Financial Action Task Force").as_deref(), Some("FATF"));
        assert_eq!(code("Narnia"), None);
        // "IDB" named two banks in 2003: never guessed.
        assert_eq!(code("IDB"), None);
    }

    #[test]
    fn contacts_report_every_bad_row_with_its_line() {
        let csv = "party,name,office,email,language,role,receives_matrix\n\
                   KEN,Grace,MFA,grace@mfa.ke.example.org,en,Focal point,yes\n\
                   Narnia,Aslan,,aslan@narnia.example,en,,\n\
                   KEN,Bad,,not-an-address,en,,\n\
                   KEN,Grace again,,GRACE@mfa.ke.example.org,en,,\n\
                   \n\
                   UNODC,Ana,,ana@unodc.example.org,français,,\n";
        let r = parse_contacts_csv(
            csv.as_bytes(),
            &index(),
            &crate::settings::Limits::default(),
        )
        .unwrap();
        assert_eq!(r.contacts.len(), 2);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.row).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(r.errors[0].message.contains("unknown party 'Narnia'"));
        assert!(r.errors[1].message.contains("malformed address"));
        assert!(r.errors[2].message.contains("duplicate"));
        // Blank receives_matrix: organizations receive it.
        assert!(r.contacts[1].receives_matrix);
        assert_eq!(r.contacts[1].language, Language::Fr);
    }

    #[test]
    fn contacts_header_must_have_the_key_columns() {
        let err = parse_contacts_csv(
            b"party,name\nKEN,x\n",
            &index(),
            &crate::settings::Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err, ContactsFileError::MissingColumns(vec!["email".into()]));
    }
}
