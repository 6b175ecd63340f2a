//! Domain types: the words of the Matrix of Needs as values that can only hold valid data.
//!
//! Each type is parsed once at the edge (config, CSV, workbook, database row) and trusted
//! afterwards ("parse, don't validate"). Parsing errors are one sentence naming the value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a value could not become a domain type. The message names the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A Party's code: ISO 3166-1 alpha-3 for States (`KEN`), the annex id upper-cased for
/// organizations (`COE-MONEYVAL`). Stored upper-case; parsing is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyCode(String);
string_newtype!(PartyCode);

impl PartyCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let ok = (2..=40).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !t.starts_with('-')
            && !t.ends_with('-');
        if !ok {
            return err(format!(
                "'{s}' is not a party code (letters, digits and '-')"
            ));
        }
        Ok(Self(t.to_ascii_uppercase()))
    }
}

/// A need's identifier: `MN-` and at least five digits. Never reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NeedId(String);
string_newtype!(NeedId);

impl NeedId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let digits = t
            .get(..3)
            .filter(|p| p.eq_ignore_ascii_case("MN-"))
            .map(|_| &t[3..]);
        match digits {
            Some(d) if d.len() >= 5 && d.len() <= 12 && d.bytes().all(|b| b.is_ascii_digit()) => {
                // One spelling per number: MN-000042 is MN-00042.
                Ok(Self::from_number(d.parse().unwrap_or(0)))
            }
            _ => err(format!(
                "'{s}' is not a Need ID (MN- followed by at least five digits)"
            )),
        }
    }

    /// The ID for sequence number `n`, zero-padded to five digits.
    pub fn from_number(n: u64) -> Self {
        Self(format!("MN-{n:05}"))
    }

    pub fn number(&self) -> u64 {
        // The constructor guarantees the part after "MN-" is 5..=12 ASCII digits, which
        // always fits in a u64.
        self.0[3..].parse().unwrap_or(0)
    }
}

impl PartialOrd for NeedId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for NeedId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.number()
            .cmp(&other.number())
            .then_with(|| self.0.cmp(&other.0))
    }
}

/// A monthly cycle, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cycle {
    year: i32,
    month: u32,
}

impl Cycle {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = || ParseError(format!("'{s}' is not a cycle (YYYY-MM, e.g. 2026-12)"));
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn new(year: i32, month: u32) -> Result<Self, ParseError> {
        Self::parse(&format!("{year:04}-{month:02}"))
    }

    pub fn of_date(d: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }

    /// The calendar day `day` of this cycle's month, clamped to the month's last day.
    pub fn day(self, day: u32) -> chrono::NaiveDate {
        let mut d = day.clamp(1, 31);
        loop {
            if let Some(date) = chrono::NaiveDate::from_ymd_opt(self.year, self.month, d) {
                return date;
            }
            d -= 1;
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
impl FromStr for Cycle {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}
impl Serialize for Cycle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A need's priority relative to the same State's other needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

    /// Its name in the workbook's words (`priority-high` in `locales/workbook/`).
    pub fn key(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }

    /// Canonical names and the spellings respondents use (see docs/spelling.md). Case, spacing and punctuation are ignored.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match normalize_word(s).as_str() {
            "high" | "h" | "1" | "top" | "urgent" | "haute" | "elevee" | "alta" | "alto" => {
                Ok(Priority::High)
            }
            "medium" | "m" | "med" | "2" | "moderate" | "normal" | "moyenne" | "media"
            | "medio" => Ok(Priority::Medium),
            "low" | "l" | "3" | "basse" | "faible" | "baja" | "bajo" => Ok(Priority::Low),
            // Russian adjectives in any gender, Chinese with its noun.
            "высокая" | "высокое" | "высокии" | "高优先级" => {
                Ok(Priority::High)
            }
            "средняя" | "среднее" | "中等" | "中优先级" => Ok(Priority::Medium),
            "низкая" | "низкое" | "低优先级" => Ok(Priority::Low),
            _ => match crate::spelling::lookup(crate::spelling::List::Priority, s) {
                Some("high") => Ok(Priority::High),
                Some("medium") => Ok(Priority::Medium),
                Some("low") => Ok(Priority::Low),
                _ => err(format!("'{s}' is not a priority (High, Medium or Low)")),
            },
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a need stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Open,
    AssistanceOffered,
    InProgress,
    Met,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::AssistanceOffered,
        Status::InProgress,
        Status::Met,
        Status::Withdrawn,
    ];

    /// Its name in the workbook's words (`status-open` in `locales/workbook/`).
    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::AssistanceOffered => "assistance-offered",
            Status::InProgress => "in-progress",
            Status::Met => "met",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::AssistanceOffered => "Assistance offered",
            Status::InProgress => "In progress",
            Status::Met => "Met",
            Status::Withdrawn => "Withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match normalize_word(s).as_str() {
            "open" | "new" | "pending" | "outstanding" | "ouvert" | "abierto" => Ok(Status::Open),
            "assistanceoffered" | "offered" | "offer" | "assistanceoffer" | "offert"
            | "ofrecido" => Ok(Status::AssistanceOffered),
            "inprogress" | "progress" | "ongoing" | "underway" | "started" | "encours"
            | "enprogreso" | "encurso" => Ok(Status::InProgress),
            "met" | "done" | "completed" | "complete" | "closed" | "fulfilled" | "satisfait"
            | "satisfecho" | "cumplido" => Ok(Status::Met),
            "withdrawn" | "withdraw" | "cancelled" | "canceled" | "retire" | "retiree"
            | "retirado" => Ok(Status::Withdrawn),
            // The other genders and common words of the six languages.
            "открыт" | "открыто" | "开放" | "待处理" | "مفتوح" | "abierta" => {
                Ok(Status::Open)
            }
            "выполнена"
            | "удовлетворен"
            | "удовлетворено"
            | "满足"
            | "完成"
            | "已完成"
            | "satisfecha"
            | "cumplida"
            | "منجزه" => Ok(Status::Met),
            "отозван" | "отозвано" | "撤回" | "retirada" | "مسحوب" => {
                Ok(Status::Withdrawn)
            }
            "вработе" | "进行" | "encursa" => Ok(Status::InProgress),
            _ => match crate::spelling::lookup(crate::spelling::List::Status, s) {
                Some("open") => Ok(Status::Open),
                Some("assistance-offered") => Ok(Status::AssistanceOffered),
                Some("in-progress") => Ok(Status::InProgress),
                Some("met") => Ok(Status::Met),
                Some("withdrawn") => Ok(Status::Withdrawn),
                _ => err(format!(
                    "'{s}' is not a status (Open, Assistance offered, In progress, Met or \
                     Withdrawn)"
                )),
            },
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An area of assistance code (`LEG`, `FIN`, …). Which codes exist is configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaCode(String);
string_newtype!(AreaCode);

impl AreaCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if (2..=8).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            err(format!("'{s}' is not an area code (2 to 8 letters)"))
        }
    }
}

/// An area of assistance with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub code: AreaCode,
    pub label: String,
}

/// The CTC's headings of assistance: the default list of areas.
pub const DEFAULT_AREAS: [(&str, &str); 8] = [
    ("LEG", "Legislative drafting"),
    ("FIN", "Financial law and practice"),
    ("CUS", "Customs law and practice"),
    ("IMM", "Immigration law and practice"),
    ("EXT", "Extradition and mutual legal assistance"),
    ("POL", "Police and law enforcement"),
    ("ARM", "Illegal arms trafficking"),
    ("OTH", "Other"),
];

/// An email address (`local@domain`), as far as needsd needs to trust one: no spaces, no
/// display name, a domain with at least one dot. Stored as given, compared case-insensitively.
#[derive(Debug, Clone, Eq)]
pub struct EmailAddress(String);
string_newtype!(EmailAddress);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = |why: &str| ParseError(format!("'{s}' is not an email address ({why})"));
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        if t.len() > 254 {
            return Err(bad("longer than 254 characters"));
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(|| bad("no '@'"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(bad("the part before '@' is empty or too long"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || (!c.is_ascii()))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(bad(
                "the part before '@' has a character mail does not allow",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !domain_ok {
            return Err(bad("the domain is not a valid host name"));
        }
        Ok(Self(t.to_string()))
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }

    /// The lower-cased form used for comparisons and uniqueness.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl std::hash::Hash for EmailAddress {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

/// The six official languages of the United Nations, in which mail templates may exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
    Es,
    Ru,
    Zh,
    Ar,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::Fr,
        Language::Es,
        Language::Ru,
        Language::Zh,
        Language::Ar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::Ru => "ru",
            Language::Zh => "zh",
            Language::Ar => "ar",
        }
    }

    /// A language code or its English or own name (`fr`, `French`, `français`).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match normalize_word(s).as_str() {
            "en" | "eng" | "english" => Ok(Language::En),
            "fr" | "fre" | "fra" | "french" | "francais" => Ok(Language::Fr),
            "es" | "spa" | "spanish" | "espanol" => Ok(Language::Es),
            // normalize_word strips the breve: "русский" arrives as "русскии".
            "ru" | "rus" | "russian" | "русскии" => Ok(Language::Ru),
            "zh" | "chi" | "zho" | "chinese" | "中文" => Ok(Language::Zh),
            // normalize_word writes the taa marbuta as haa: "العربية" arrives as "العربيه".
            "ar" | "ara" | "arabic" | "العربيه" => Ok(Language::Ar),
            _ => err(format!(
                "'{s}' is not one of the six UN languages (en, fr, es, ru, zh, ar)"
            )),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a Party is a State or an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    State,
    Organization,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::State => "state",
            PartyKind::Organization => "organization",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "state" => Ok(PartyKind::State),
            "organization" => Ok(PartyKind::Organization),
            _ => err(format!("'{s}' is not a party kind (state or organization)")),
        }
    }
}

/// A State or an organization that receives the matrix or has needs in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    pub code: PartyCode,
    pub kind: PartyKind,
    pub name: String,
    /// Annex category (`I` to `IV`) for organizations.
    pub category: Option<String>,
    /// The parent organization of a sub-body (`COE` for `COE-MONEYVAL`).
    pub parent: Option<PartyCode>,
    /// `member` or `observer` for States.
    pub membership: Option<String>,
    pub aliases: Vec<String>,
    pub active: bool,
}

/// A contact point of a Party: who receives the matrix and may answer for the Party.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub party: PartyCode,
    pub name: String,
    pub office: String,
    pub email: EmailAddress,
    pub language: Language,
    pub role: String,
    pub receives_matrix: bool,
    pub active: bool,
    /// When mail to this address started bouncing, if it has.
    pub bouncing_since: Option<String>,
}

/// One need of the Matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub id: NeedId,
    pub state: PartyCode,
    pub area: AreaCode,
    pub description: String,
    pub priority: Priority,
    pub status: Status,
    pub provider: String,
    pub notes: String,
    pub updated_at: chrono::NaiveDate,
}

/// A need not yet in the Matrix (an import row, later an approved addition): its ID when
/// one was given, and its date when one was given.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNeed {
    pub id: Option<NeedId>,
    pub state: PartyCode,
    pub area: AreaCode,
    pub description: String,
    pub priority: Priority,
    pub status: Status,
    pub provider: String,
    pub notes: String,
    pub updated: Option<chrono::NaiveDate>,
}

/// The fields of a need that a reply may change, by their JSON names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    State,
    Area,
    Description,
    Priority,
    Status,
    Provider,
    Notes,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::State,
        Field::Area,
        Field::Description,
        Field::Priority,
        Field::Status,
        Field::Provider,
        Field::Notes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::State => "state",
            Field::Area => "area",
            Field::Description => "description",
            Field::Priority => "priority",
            Field::Status => "status",
            Field::Provider => "provider",
            Field::Notes => "notes",
        }
    }

    /// The column header of this field in the Matrix sheet.
    pub fn header(self) -> &'static str {
        match self {
            Field::State => "State",
            Field::Area => "Area",
            Field::Description => "Need",
            Field::Priority => "Priority",
            Field::Status => "Status",
            Field::Provider => "Assistance provider",
            Field::Notes => "Notes",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim())
            .ok_or_else(|| {
                ParseError(format!(
                    "'{s}' is not a field (state, area, description, priority, status, provider, notes)"
                ))
            })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lower-case, strip accents, and drop everything but letters and digits: the key under
/// which spellings, headers and names are compared.
pub fn normalize_word(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Most cells are ASCII: skip the Unicode decomposition for them.
    if s.is_ascii() {
        return s
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
    }
    // NFKD splits accents, Arabic hamza and madda from their letters (to be dropped as
    // marks, as are the Arabic short vowels) and folds full-width forms to ASCII.
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter_map(arabic_form)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// One Arabic letter form for the several people type: alef wasla as alef, taa marbuta as
/// haa, alef maqsura as yaa, Arabic-Indic digits as ASCII ones; the tatweel (a stretch)
/// goes.
fn arabic_form(c: char) -> Option<char> {
    Some(match c {
        '\u{0671}' => '\u{0627}',
        '\u{0629}' => '\u{0647}',
        '\u{0649}' => '\u{064A}',
        '\u{0640}' => return None,
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        c => c,
    })
}

/// A problem with one row of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based line (CSV) or row (sheet) as the person sees it, header included.
    pub row: usize,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {}: {}", self.row, c, self.message),
            None => write!(f, "line {}: {}", self.row, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_codes_are_upper_case_and_checked() {
        assert_eq!(
            PartyCode::parse(" coe-moneyval ").unwrap().as_str(),
            "COE-MONEYVAL"
        );
        assert!(PartyCode::parse("K").is_err());
        assert!(PartyCode::parse("KE N").is_err());
        assert!(PartyCode::parse("-KEN").is_err());
    }

    #[test]
    fn need_ids_keep_their_digits_and_sort_numerically() {
        let a = NeedId::parse("mn-00042").unwrap();
        assert_eq!(a.as_str(), "MN-00042");
        assert_eq!(a.number(), 42);
        assert_eq!(NeedId::from_number(7).as_str(), "MN-00007");
        assert_eq!(NeedId::from_number(123456).as_str(), "MN-123456");
        assert!(NeedId::parse("MN-0042").is_err());
        assert_eq!(
            NeedId::parse("MN-000042").unwrap(),
            a,
            "one spelling per number"
        );
        assert!(NeedId::parse("42").is_err());
        assert!(NeedId::parse("MN-00042x").is_err());
        assert!(NeedId::parse("MN-99999").unwrap() < NeedId::parse("MN-100000").unwrap());
    }

    #[test]
    fn cycles_parse_and_step() {
        let c = Cycle::parse("2026-12").unwrap();
        assert_eq!(c.to_string(), "2026-12");
        assert_eq!(c.next().to_string(), "2027-01");
        assert_eq!(c.next().previous(), c);
        assert_eq!(c.previous().to_string(), "2026-11");
        assert_eq!(
            Cycle::parse("2027-02").unwrap().day(31).to_string(),
            "2027-02-28"
        );
        for bad in ["2026-13", "2026-1", "26-12", "2026/12", ""] {
            assert!(Cycle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_by_code_or_name() {
        assert_eq!(Language::parse("Русский").unwrap(), Language::Ru);
        assert_eq!(Language::parse("Français").unwrap(), Language::Fr);
        assert_eq!(Language::parse("العربية").unwrap(), Language::Ar);
        assert_eq!(Language::parse("中文").unwrap(), Language::Zh);
    }

    #[test]
    fn priority_and_status_spellings() {
        for s in ["high", "H", "HIGH", " High ", "haute"] {
            assert_eq!(Priority::parse(s).unwrap(), Priority::High, "{s}");
        }
        assert_eq!(Status::parse("met").unwrap(), Status::Met);
        assert_eq!(Status::parse("In-Progress").unwrap(), Status::InProgress);
        assert_eq!(
            Status::parse("assistance offered").unwrap(),
            Status::AssistanceOffered
        );
        assert!(Status::parse("maybe").is_err());
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn email_addresses() {
        assert!(EmailAddress::parse("focal.point@mfa.ke.example.org").is_ok());
        assert!(EmailAddress::parse("needs+abc@ctc.example").is_ok());
        for bad in [
            "",
            "no-at",
            "a@b",
            "a b@c.org",
            "@c.org",
            "a@.org",
            "a..b@c.org",
            "a@c-.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EmailAddress::parse("A@B.org").unwrap(),
            EmailAddress::parse("a@b.ORG").unwrap()
        );
    }

    #[test]
    fn normalize_word_folds_case_accents_and_punctuation() {
        assert_eq!(normalize_word("Côte d'Ivoire"), "cotedivoire");
        assert_eq!(normalize_word("  Need-ID "), "needid");
        assert_eq!(normalize_word("Türkiye"), "turkiye");
        // Full-width letters, digits and punctuation, as East Asian input methods type them.
        assert_eq!(normalize_word("ＨＩＧＨ（１）"), "high1");
        // Arabic: hamza and madda forms of alef, taa marbuta, alef maqsura, tatweel, short
        // vowels and Arabic-Indic digits.
        assert_eq!(normalize_word("الأولويـة"), normalize_word("الاولويه"));
        assert_eq!(normalize_word("إلى"), normalize_word("الي"));
        assert_eq!(normalize_word("مَفْتُوحَة"), normalize_word("مفتوحه"));
        assert_eq!(normalize_word("٢٠٢٦"), "2026");
        assert_eq!(normalize_word("۱۲"), "12");
        // Cyrillic: ё is е.
        assert_eq!(normalize_word("Отозвано ёж"), "отозваноеж");
    }
}
