//! Writes the Matrix workbook (sheets Matrix, About, Lists and the very hidden _needsd) to
//! bytes. Pure: the caller decides where the bytes go. The same input gives the same
//! bytes, so a recipient's attachment can be rebuilt exactly.

use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use thiserror::Error;

use crate::model::{Area, Cycle, Language, Need, PartyCode, Priority, Status};
use crate::register::{Record, Schema};
use crate::spelling::{self, List};

/// The version of the stamp in `_needsd` and the document properties.
pub const FORMAT_VERSION: &str = "1";
/// Rows below the last need that carry validation and are open for new needs.
pub const NEW_ROWS: u32 = 200;

/// The Matrix sheet's columns, in order. Readers map by header text, not position.
pub const HEADERS: [&str; 9] = [
    "Need ID",
    "State",
    "Area",
    "Need",
    "Priority",
    "Status",
    "Assistance provider",
    "Notes",
    "Last updated",
];

/// The Matrix sheet's columns by their workbook words (`header-*` in `locales/workbook/`),
/// in the order of [`HEADERS`].
const HEADER_KEYS: [&str; 9] = [
    "need-id",
    "state",
    "area",
    "description",
    "priority",
    "status",
    "provider",
    "notes",
    "updated",
];

/// The Matrix sheet's headers in `lang`.
pub fn headers(lang: Language) -> [String; 9] {
    std::array::from_fn(|i| {
        spelling::word(List::Header, HEADER_KEYS[i], lang).unwrap_or_else(|| HEADERS[i].into())
    })
}

/// The title of a drop-down's refusal: the column's header, within the 32 characters
/// Excel allows.
pub fn validation_title(header: &str) -> String {
    header.chars().take(32).collect()
}

/// A message of the workbook's words in `lang` (English if it has none).
pub fn words(lang: Language, id: &str, args: &[(&str, &str)]) -> String {
    let mut fluent = fluent_bundle::FluentArgs::new();
    for (k, v) in args {
        fluent.set(*k, *v);
    }
    spelling::builtin()
        .and_then(|l| l.text(lang, id, Some(&fluent)).ok())
        .unwrap_or_else(|| id.to_string())
}

/// The deadline as the workbook of `lang` writes it: "15 décembre 2026 à 23:59 (heure de
/// New York)".
pub fn deadline_in(local: chrono::NaiveDateTime, tz: &str, lang: Language) -> String {
    use chrono::Timelike;
    let place = tz.rsplit('/').next().unwrap_or(tz).replace('_', " ");
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    spelling::builtin()
        .and_then(|l| {
            l.date_time(
                lang,
                (local.year(), local.month(), local.day()),
                &time,
                &place,
            )
            .ok()
        })
        .unwrap_or_else(|| format!("{} {time} ({place})", local.date()))
}

/// A priority as the workbook of `lang` writes it.
fn priority_word(p: Priority, lang: Language) -> String {
    spelling::word(List::Priority, p.key(), lang).unwrap_or_else(|| p.as_str().into())
}

/// A status as the workbook of `lang` writes it.
fn status_word(s: Status, lang: Language) -> String {
    spelling::word(List::Status, s.key(), lang).unwrap_or_else(|| s.as_str().into())
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot build a recipient's workbook: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("a recipient's workbook needs a cycle")]
    NoCycle,
}

/// Who a circulated copy is for; stamped into the workbook so a reply names its origin.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub party: PartyCode,
    pub party_name: String,
    pub contact_name: String,
    pub email: String,
    /// The per-recipient HMAC token (see `crate::token`).
    pub token: String,
    /// Where this recipient replies: the secretariat's address with the token.
    pub reply_to: String,
}

/// A copy for a cycle: the deadline and where to reply, and optionally its recipient.
#[derive(Debug, Clone)]
pub struct Circulation {
    pub cycle: Cycle,
    /// The deadline written out, e.g. "15 December 2026, 23:59 New York time".
    pub deadline: String,
    /// The address replies go to when the copy has no recipient.
    pub reply_to: String,
    pub recipient: Option<Recipient>,
}

/// The visible reference code of a recipient's copy, e.g. `2026-12/COE-MONEYVAL/7f3a9c`.
pub fn reference(cycle: Cycle, party: &str, token: &str) -> String {
    let short: String = token.chars().take(6).collect();
    format!("{cycle}/{party}/{short}")
}

/// What a recipient's copy says about its recipient, as written into the workbook.
struct RecipientText {
    party: String,
    line: String,
    email: String,
    token: String,
    reply_to: String,
    reference: String,
}

impl RecipientText {
    fn new(cycle: Cycle, r: &Recipient) -> Self {
        Self {
            party: r.party.to_string(),
            line: format!(
                "{} <{}>, {} ({})",
                r.contact_name, r.email, r.party_name, r.party
            ),
            email: r.email.clone(),
            token: r.token.clone(),
            reply_to: r.reply_to.clone(),
            reference: reference(cycle, r.party.as_str(), &r.token),
        }
    }

    /// Placeholders that a [`Stencil`] replaces; none can occur in configured text.
    fn markers() -> Self {
        Self {
            party: MARK_PARTY.into(),
            line: MARK_LINE.into(),
            email: MARK_EMAIL.into(),
            token: MARK_TOKEN.into(),
            reply_to: MARK_REPLY_TO.into(),
            reference: MARK_REFERENCE.into(),
        }
    }

    fn substitutions(&self) -> [(&'static str, &str); 6] {
        [
            (MARK_PARTY, &self.party),
            (MARK_LINE, &self.line),
            (MARK_EMAIL, &self.email),
            (MARK_TOKEN, &self.token),
            (MARK_REPLY_TO, &self.reply_to),
            (MARK_REFERENCE, &self.reference),
        ]
    }
}

const MARK: &str = "\u{27E6}needsd:";
const MARK_PARTY: &str = "\u{27E6}needsd:party\u{27E7}";
const MARK_LINE: &str = "\u{27E6}needsd:recipient\u{27E7}";
const MARK_EMAIL: &str = "\u{27E6}needsd:email\u{27E7}";
const MARK_TOKEN: &str = "\u{27E6}needsd:token\u{27E7}";
const MARK_REPLY_TO: &str = "\u{27E6}needsd:reply-to\u{27E7}";
const MARK_REFERENCE: &str = "\u{27E6}needsd:reference\u{27E7}";

/// Everything one workbook shows.
pub struct Spec<'a> {
    /// Needs in the order they appear (see [`sort_for_workbook`]).
    pub needs: &'a [Need],
    /// Every State as (code, name), for the Lists sheet and the State drop-down.
    pub states: &'a [(PartyCode, String)],
    pub areas: &'a [Area],
    /// Written as the document's creation date, so that output is reproducible.
    pub as_of: NaiveDate,
    pub circulation: Option<&'a Circulation>,
    /// Register sheets after the Matrix, for a provider (its Programmes, the Needs it
    /// could meet), each with its records. In a [`Stencil`] the records given do not
    /// matter: each copy gets its recipient's.
    pub sheets: &'a [(&'static Schema, &'a [Record])],
    /// The language of its headers, About and Lists sheets, and drop-down values (the
    /// sheet names and the hidden stamp are the same in every language).
    pub language: Language,
}

/// The workbook's row order: by State, then priority (High first), then ID.
pub fn sort_for_workbook(needs: &mut [Need]) {
    needs.sort_by(|a, b| {
        (a.state.as_str(), a.priority, &a.id).cmp(&(b.state.as_str(), b.priority, &b.id))
    });
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "15 December 2026, 23:59 New York time" for a local deadline in zone `tz`.
pub fn deadline_text(local: chrono::NaiveDateTime, tz: &str) -> String {
    let place = tz.rsplit('/').next().unwrap_or(tz).replace('_', " ");
    format!(
        "{} {} {}, {} {} time",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year(),
        local.format("%H:%M"),
        place
    )
}

/// "December 2026".
pub fn cycle_text(c: Cycle) -> String {
    format!("{} {}", MONTHS[(c.month() - 1) as usize], c.year())
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// Builds the workbook and returns the `.xlsx` bytes. A recipient's copy is rendered
/// through a [`Stencil`], exactly as `dispatch` renders every recipient's attachment.
pub fn write(spec: &Spec<'_>) -> Result<Vec<u8>, WriteError> {
    match spec.circulation {
        Some(c) => match &c.recipient {
            Some(r) => {
                let general = Circulation {
                    recipient: None,
                    ..c.clone()
                };
                let records: Vec<&[Record]> = spec.sheets.iter().map(|(_, r)| *r).collect();
                Stencil::new(&Spec {
                    circulation: Some(&general),
                    ..*spec
                })?
                .render_with(r, &records)
            }
            None => build(spec, None),
        },
        None => build(spec, None),
    }
}

/// A cycle's workbook built once with placeholders where the recipient goes. Rendering a
/// recipient's copy copies the compressed parts that are the same for everyone (the
/// Matrix and Lists sheets, styles, shared strings) and rewrites only the small parts
/// that name the recipient: the About sheet, the hidden stamp, the document properties,
/// and a provider's own register sheets. So a thousand copies of a thousand-need matrix
/// cost one build.
pub struct Stencil {
    cycle: Cycle,
    archive: zip::ZipArchive<Cursor<Arc<[u8]>>>,
    size: usize,
    /// The parts that hold placeholders, by their index in the archive, as text.
    fills: Vec<(usize, String)>,
    /// The register sheets' parts, in the order of `Spec::sheets`.
    sheets: Vec<SheetPart>,
}

/// A register sheet's part in a stencil: each recipient's records replace its one
/// placeholder row.
struct SheetPart {
    index: usize,
    xml: String,
    row: String,
    schema: &'static Schema,
    mark: String,
    /// The copy's language, in which a choice is written (`register::in_words`).
    language: Language,
}

impl Stencil {
    /// `spec.circulation` names the cycle; its `recipient` is ignored.
    pub fn new(spec: &Spec<'_>) -> Result<Self, WriteError> {
        let Some(c) = spec.circulation else {
            return Err(WriteError::NoCycle);
        };
        let marks: Vec<String> = (0..spec.sheets.len())
            .map(|i| format!("{MARK}sheet{i}:"))
            .collect();
        let markers: Vec<[Record; 1]> = spec
            .sheets
            .iter()
            .zip(&marks)
            .map(|((schema, _), mark)| [marker_record(schema, mark)])
            .collect();
        let sheets: Vec<(&'static Schema, &[Record])> = spec
            .sheets
            .iter()
            .zip(&markers)
            .map(|((schema, _), m)| (*schema, &m[..]))
            .collect();
        let bytes = build(
            &Spec {
                sheets: &sheets,
                ..*spec
            },
            Some(&RecipientText::markers()),
        )?;
        let size = bytes.len();
        let mut archive = zip::ZipArchive::new(Cursor::new(Arc::<[u8]>::from(bytes)))?;
        let mut fills = Vec::new();
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let mut part = archive.by_index(i)?;
            let mut text = String::new();
            // Every part rust_xlsxwriter writes is UTF-8 XML.
            if part.read_to_string(&mut text).is_ok() && text.contains(MARK) {
                let sheet = marks
                    .iter()
                    .enumerate()
                    .find_map(|(n, mark)| marker_row(&text, mark).map(|row| (n, row)));
                match sheet {
                    Some((n, row)) => parts.push((
                        n,
                        SheetPart {
                            index: i,
                            xml: text,
                            row,
                            schema: spec.sheets[n].0,
                            mark: marks[n].clone(),
                            language: spec.language,
                        },
                    )),
                    None => fills.push((i, text)),
                }
            }
        }
        parts.sort_by_key(|(n, _)| *n);
        Ok(Self {
            cycle: c.cycle,
            archive,
            size,
            fills,
            sheets: parts.into_iter().map(|(_, p)| p).collect(),
        })
    }

    /// The copy for one recipient (with no records in its register sheets).
    pub fn render(&self, r: &Recipient) -> Result<Vec<u8>, WriteError> {
        self.render_with(r, &[])
    }

    /// The copy for one recipient, its register sheets (if the copies have them) holding
    /// `records`, one list per sheet in the order the stencil was given them; a sheet
    /// without a list is left with its header alone.
    pub fn render_with(&self, r: &Recipient, records: &[&[Record]]) -> Result<Vec<u8>, WriteError> {
        let text = RecipientText::new(self.cycle, r);
        let mut archive = self.archive.clone();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(self.size + 4096)));
        let mut fills = self.fills.iter().peekable();
        for i in 0..archive.len() {
            let part = archive.by_index_raw(i)?;
            let sheet = self.sheets.iter().position(|s| s.index == i);
            let xml = match (fills.next_if(|(j, _)| *j == i), sheet) {
                (Some((_, xml)), _) => fill(xml, &text),
                (None, Some(n)) => {
                    record_rows(&self.sheets[n], records.get(n).copied().unwrap_or(&[]))
                }
                (None, None) => {
                    out.raw_copy_file(part)?;
                    continue;
                }
            };
            let name = part.name()?.into_owned();
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(part.last_modified().unwrap_or_default());
            drop(part);
            out.start_file(name, options)?;
            out.write_all(xml.as_bytes())
                .map_err(zip::result::ZipError::Io)?;
        }
        Ok(out.finish()?.into_inner())
    }
}

/// The placeholder record a stencil's register sheet holds in its one row: each column's
/// text names the column, after the sheet's own `mark`.
fn marker_record(schema: &Schema, mark: &str) -> Record {
    Record {
        id: format!("{mark}id\u{27E7}"),
        fields: schema
            .columns
            .iter()
            .map(|c| (c.key, format!("{mark}{}\u{27E7}", c.key)))
            .collect(),
    }
}

/// The placeholder row of a stencil's register sheet part, if `xml` is the part whose
/// placeholders begin with `mark`.
fn marker_row(xml: &str, mark: &str) -> Option<String> {
    let at = xml.find(mark)?;
    let start = xml[..at].rfind("<row ")?;
    let end = at + xml[at..].find("</row>")? + "</row>".len();
    Some(xml[start..end].to_string())
}

/// A register sheet's part with the placeholder row replaced by one row per record
/// (rows 2, 3, …), each cell's text escaped, and the sheet's dimension to match.
fn record_rows(part: &SheetPart, records: &[Record]) -> String {
    let worded: Vec<&crate::register::Column> = part
        .schema
        .columns
        .iter()
        .filter(|c| c.choice_words.is_some())
        .collect();
    let translated: Vec<Record>;
    let records = if part.language == Language::En || worded.is_empty() {
        records
    } else {
        translated = records
            .iter()
            .map(|r| {
                let mut r = r.clone();
                for c in &worded {
                    let v = crate::register::in_words(c, r.get(c.key), part.language);
                    r.fields.insert(c.key, v);
                }
                r
            })
            .collect();
        &translated
    };
    let columns = part.schema.columns.len() + 1;
    let letters: Vec<char> = (0..columns).map(|i| (b'A' + i as u8) as char).collect();
    let mut rows = String::new();
    for (i, p) in records.iter().enumerate() {
        let n = i + 2;
        let mut r = part
            .row
            .replacen("<row r=\"2\"", &format!("<row r=\"{n}\""), 1);
        for l in &letters {
            r = r.replacen(&format!(" r=\"{l}2\""), &format!(" r=\"{l}{n}\""), 1);
        }
        rows.push_str(&substitute(&r, |mark| {
            let key = mark
                .strip_prefix(part.mark.as_str())?
                .strip_suffix('\u{27E7}')?;
            Some(if key == "id" {
                p.id.as_str()
            } else {
                p.get(key)
            })
        }));
    }
    let last = letters.last().copied().unwrap_or('A');
    part.xml.replacen(&part.row, &rows, 1).replacen(
        &format!("<dimension ref=\"A1:{last}2\"/>"),
        &format!("<dimension ref=\"A1:{last}{}\"/>", records.len() + 1),
        1,
    )
}

/// `xml` with every placeholder replaced by its value, escaped for XML text.
fn fill(xml: &str, text: &RecipientText) -> String {
    let subs = text.substitutions();
    substitute(xml, |mark| {
        subs.iter()
            .find(|(m, _)| *m == mark)
            .map(|(_, value)| *value)
    })
}

/// `xml` with each placeholder `value` knows replaced by its value, escaped for XML
/// text, in one pass: a value that itself reads like a placeholder stays as it is.
fn substitute<'v>(xml: &str, value: impl Fn(&str) -> Option<&'v str>) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find('\u{27E7}').map(|e| e + '\u{27E7}'.len_utf8());
        match end.and_then(|e| value(&tail[..e]).map(|v| (e, v))) {
            Some((e, v)) => {
                out.push_str(&xml_text(v));
                rest = &tail[e..];
            }
            None => {
                out.push_str(MARK);
                rest = &tail[MARK.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text safe inside an XML element: markup characters escaped, and characters XML 1.0
/// cannot carry (control characters from a pasted name) replaced by a space.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn build(spec: &Spec<'_>, recipient: Option<&RecipientText>) -> Result<Vec<u8>, WriteError> {
    let mut wb = Workbook::new();
    let created = excel_date(spec.as_of)?;
    let mut props = DocProperties::new()
        .set_title("Matrix of Needs")
        .set_company("United Nations Counter-Terrorism Committee")
        .set_creation_datetime(&created);
    if let Some(c) = spec.circulation {
        props = props
            .set_custom_property("needsd.format", FORMAT_VERSION)
            .set_custom_property("needsd.cycle", c.cycle.to_string().as_str());
        if let Some(r) = recipient {
            props = props
                .set_custom_property("needsd.party", r.party.as_str())
                .set_custom_property("needsd.recipient", r.email.as_str())
                .set_custom_property("needsd.token", r.token.as_str());
        }
    }
    wb.set_properties(&props);

    let lists = ListRanges::new(spec);
    for (name, range) in lists.names() {
        wb.define_name(name, &range)?;
    }

    let matrix = wb.add_worksheet();
    write_matrix(matrix, spec)?;
    for (schema, records) in spec.sheets {
        // Their text inline, not in the shared strings, so that a Stencil writes each
        // recipient's rows into these parts alone.
        let ws = wb.add_worksheet_with_constant_memory()?;
        crate::register::write_sheet(ws, schema, records, spec.language)?;
    }
    // The sheets that name the recipient keep their text inline, not in the shared
    // strings, so that a Stencil rewrites only them.
    let about = wb.add_worksheet_with_constant_memory()?;
    write_about(about, spec, recipient)?;
    let lists_ws = wb.add_worksheet();
    write_lists(lists_ws, spec)?;
    if let Some(c) = spec.circulation {
        let stamp = wb.add_worksheet_with_constant_memory()?;
        write_stamp(stamp, c, recipient)?;
    }
    Ok(wb.save_to_buffer()?)
}

struct ListRanges {
    states: u32,
    areas: u32,
}

impl ListRanges {
    fn new(spec: &Spec<'_>) -> Self {
        Self {
            states: spec.states.len().max(1) as u32,
            areas: spec.areas.len().max(1) as u32,
        }
    }
    fn names(&self) -> Vec<(&'static str, String)> {
        vec![
            ("States", format!("=Lists!$A$2:$A${}", self.states + 1)),
            ("Areas", format!("=Lists!$D$2:$D${}", self.areas + 1)),
            (
                "Priorities",
                format!("=Lists!$G$2:$G${}", Priority::ALL.len() + 1),
            ),
            (
                "Statuses",
                format!("=Lists!$I$2:$I${}", Status::ALL.len() + 1),
            ),
        ]
    }
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_locked()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
}

fn write_matrix(ws: &mut Worksheet, spec: &Spec<'_>) -> Result<(), XlsxError> {
    ws.set_name("Matrix")?;
    let header = header_format();
    let locked_text = Format::new()
        .set_locked()
        .set_num_format("@")
        .set_background_color(Color::RGB(0xF2F2F2));
    let locked_date = Format::new()
        .set_locked()
        .set_num_format("yyyy-mm-dd")
        .set_background_color(Color::RGB(0xF2F2F2));
    let open_text = Format::new().set_unlocked().set_num_format("@");
    let open_wrap = Format::new()
        .set_unlocked()
        .set_num_format("@")
        .set_text_wrap();

    let widths = [11.0, 8.0, 7.0, 60.0, 10.0, 18.0, 24.0, 36.0, 13.0];
    for (col, w) in widths.iter().enumerate() {
        let col = col as u16;
        ws.set_column_width(col, *w)?;
        // Empty rows below the data take the column format: editable, except the ID and
        // date columns, which needsd fills.
        let fmt = match col {
            0 => &locked_text,
            8 => &locked_date,
            3 | 7 => &open_wrap,
            _ => &open_text,
        };
        ws.set_column_format(col, fmt)?;
    }
    let lang = spec.language;
    ws.set_right_to_left(lang == Language::Ar);
    for (col, h) in headers(lang).iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, &header)?;
    }
    // Each value's word once, not once a cell.
    let priorities = Priority::ALL.map(|p| (p, priority_word(p, lang)));
    let statuses = Status::ALL.map(|s| (s, status_word(s, lang)));
    fn word<T: PartialEq>(list: &[(T, String)], v: T) -> &str {
        list.iter().find(|(k, _)| *k == v).map_or("", |(_, w)| w)
    }
    for (i, n) in spec.needs.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string_with_format(r, 0, n.id.as_str(), &locked_text)?;
        ws.write_string_with_format(r, 1, n.state.as_str(), &open_text)?;
        ws.write_string_with_format(r, 2, n.area.as_str(), &open_text)?;
        ws.write_string_with_format(r, 3, &n.description, &open_wrap)?;
        ws.write_string_with_format(r, 4, word(&priorities, n.priority), &open_text)?;
        ws.write_string_with_format(r, 5, word(&statuses, n.status), &open_text)?;
        if !n.provider.is_empty() {
            ws.write_string_with_format(r, 6, &n.provider, &open_text)?;
        }
        if !n.notes.is_empty() {
            ws.write_string_with_format(r, 7, &n.notes, &open_wrap)?;
        }
        ws.write_datetime_with_format(r, 8, excel_date(n.updated_at)?, &locked_date)?;
    }
    let last = spec.needs.len() as u32 + NEW_ROWS;
    let headers = headers(spec.language);
    let list = |name: &str, column: usize| -> Result<DataValidation, XlsxError> {
        DataValidation::new()
            .allow_list_formula(Formula::new(format!("={name}")))
            .set_error_style(DataValidationErrorStyle::Stop)
            .set_error_title(validation_title(&headers[column]))?
            .set_error_message(words(spec.language, "validation-list", &[]))
    };
    ws.add_data_validation(1, 1, last, 1, &list("States", 1)?)?;
    ws.add_data_validation(1, 2, last, 2, &list("Areas", 2)?)?;
    ws.add_data_validation(1, 4, last, 4, &list("Priorities", 4)?)?;
    ws.add_data_validation(1, 5, last, 5, &list("Statuses", 5)?)?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, spec.needs.len() as u32, 8)?;
    let options = ProtectionOptions {
        select_locked_cells: true,
        select_unlocked_cells: true,
        format_columns: true,
        format_rows: true,
        insert_rows: true,
        delete_rows: true,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    };
    ws.protect_with_options(&options);
    ws.set_active(true);
    Ok(())
}

fn write_about(
    ws: &mut Worksheet,
    spec: &Spec<'_>,
    recipient: Option<&RecipientText>,
) -> Result<(), XlsxError> {
    ws.set_name("About")?;
    let title = Format::new().set_bold().set_font_size(16);
    let label = Format::new().set_bold().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let answer = Format::new()
        .set_unlocked()
        .set_bold()
        .set_border(FormatBorder::Medium)
        .set_background_color(Color::RGB(0xFFF2CC));
    let lang = spec.language;
    let t = |id: &str| words(lang, id, &[]);
    ws.set_right_to_left(lang == Language::Ar);
    ws.set_column_width(0, 26.0)?;
    ws.set_column_width(1, 90.0)?;
    ws.write_string_with_format(0, 0, t("about-title"), &title)?;
    let mut rows: Vec<(String, String)> = vec![(t("about-what-label"), t("about-what"))];
    match spec.circulation {
        Some(c) => {
            let cycle = spelling::builtin()
                .and_then(|l| l.month_year(lang, c.cycle.year(), c.cycle.month()).ok())
                .unwrap_or_else(|| cycle_text(c.cycle));
            rows.push((t("about-cycle"), cycle));
            if let Some(r) = recipient {
                rows.push((t("about-recipient"), r.line.clone()));
            }
            rows.push((t("about-reply-by"), c.deadline.clone()));
            let address = recipient.map_or(c.reply_to.as_str(), |r| r.reply_to.as_str());
            rows.push((
                t("about-how-label"),
                words(lang, "about-how", &[("address", address)]),
            ));
            if let Some(r) = recipient {
                rows.push((t("about-reference"), r.reference.clone()));
            }
        }
        None => rows.push((
            t("about-as-of"),
            spelling::builtin()
                .and_then(|l| {
                    l.date(
                        lang,
                        spec.as_of.year(),
                        spec.as_of.month(),
                        spec.as_of.day(),
                    )
                    .ok()
                })
                .unwrap_or_else(|| spec.as_of.to_string()),
        )),
    }
    let mut r = 2u32;
    for (k, v) in &rows {
        ws.write_string_with_format(r, 0, k, &label)?;
        ws.write_string_with_format(r, 1, v, &wrap)?;
        r += 1;
    }
    if spec.circulation.is_some() {
        r += 1;
        let (yes, no) = (t("answer-yes"), t("answer-no"));
        ws.write_string_with_format(r, 0, t("about-no-changes"), &label)?;
        ws.write_string_with_format(r, 1, &no, &answer)?;
        let yes_no = DataValidation::new()
            .allow_list_strings(&[yes.as_str(), no.as_str()])?
            .set_input_title(t("about-no-changes-title"))?
            .set_input_message(t("about-no-changes-help"))?;
        ws.add_data_validation(r, 1, r, 1, &yes_no)?;
    }
    Ok(())
}

fn write_lists(ws: &mut Worksheet, spec: &Spec<'_>) -> Result<(), XlsxError> {
    ws.set_name("Lists")?;
    let lang = spec.language;
    let t = |id: &str| words(lang, id, &[]);
    ws.set_right_to_left(lang == Language::Ar);
    let header = header_format();
    let text = Format::new().set_num_format("@");
    for (col, (h, w)) in [
        (t("lists-state"), 8.0),
        (t("lists-state-name"), 40.0),
        (String::new(), 2.0),
        (t("lists-area"), 7.0),
        (t("lists-area-name"), 40.0),
        (String::new(), 2.0),
        (headers(lang)[4].clone(), 10.0),
        (String::new(), 2.0),
        (headers(lang)[5].clone(), 18.0),
    ]
    .iter()
    .enumerate()
    {
        ws.set_column_width(col as u16, *w)?;
        if !h.is_empty() {
            ws.write_string_with_format(0, col as u16, h, &header)?;
        }
    }
    for (i, (code, name)) in spec.states.iter().enumerate() {
        ws.write_string_with_format(i as u32 + 1, 0, code.as_str(), &text)?;
        ws.write_string(i as u32 + 1, 1, name)?;
    }
    for (i, a) in spec.areas.iter().enumerate() {
        ws.write_string_with_format(i as u32 + 1, 3, a.code.as_str(), &text)?;
        // A default area's name in the language; an operator's own area by its label.
        let name = match crate::model::DEFAULT_AREAS
            .iter()
            .find(|(code, label)| *code == a.code.as_str() && *label == a.label)
        {
            Some(_) => {
                spelling::word(List::Area, a.code.as_str(), lang).unwrap_or_else(|| a.label.clone())
            }
            None => a.label.clone(),
        };
        ws.write_string(i as u32 + 1, 4, &name)?;
    }
    for (i, p) in Priority::ALL.iter().enumerate() {
        ws.write_string(i as u32 + 1, 6, priority_word(*p, lang))?;
    }
    for (i, s) in Status::ALL.iter().enumerate() {
        ws.write_string(i as u32 + 1, 8, status_word(*s, lang))?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.protect();
    Ok(())
}

fn write_stamp(
    ws: &mut Worksheet,
    c: &Circulation,
    recipient: Option<&RecipientText>,
) -> Result<(), XlsxError> {
    ws.set_name("_needsd")?;
    let mut pairs = vec![
        ("format", FORMAT_VERSION.to_string()),
        ("cycle", c.cycle.to_string()),
    ];
    if let Some(r) = recipient {
        pairs.push(("party", r.party.clone()));
        pairs.push(("recipient", r.email.clone()));
        pairs.push(("token", r.token.clone()));
    }
    for (i, (k, v)) in pairs.iter().enumerate() {
        ws.write_string(i as u32, 0, *k)?;
        ws.write_string(i as u32, 1, v)?;
    }
    ws.set_very_hidden(true);
    ws.protect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part_texts(bytes: &[u8]) -> Vec<(String, String)> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                (f.name().unwrap().to_string(), s)
            })
            .collect()
    }

    /// December 2026's general circulation and the default areas.
    fn december() -> (Cycle, Circulation, Vec<Area>) {
        let cycle = Cycle::parse("2026-12").unwrap();
        let general = Circulation {
            cycle,
            deadline: "15 December 2026, 23:59 New York time".into(),
            reply_to: "needs@ctc.example".into(),
            recipient: None,
        };
        let areas = crate::model::DEFAULT_AREAS
            .iter()
            .map(|(c, l)| Area {
                code: crate::model::AreaCode::parse(c).unwrap(),
                label: l.to_string(),
            })
            .collect();
        (cycle, general, areas)
    }

    #[test]
    fn stencil_fills_every_placeholder_with_escaped_text() {
        let cycle = Cycle::parse("2026-12").unwrap();
        let general = Circulation {
            cycle,
            deadline: "15 December 2026, 23:59 New York time".into(),
            reply_to: "needs@ctc.example".into(),
            recipient: None,
        };
        let spec = Spec {
            needs: &[],
            states: &[],
            areas: &[],
            as_of: cycle.day(1),
            circulation: Some(&general),
            sheets: &[],
            language: Language::En,
        };
        let stencil = Stencil::new(&spec).unwrap();
        let recipient = |name: &str, token: &str| Recipient {
            party: PartyCode::parse("KEN").unwrap(),
            party_name: "Kenya".into(),
            contact_name: name.into(),
            email: "focal@mfa.example".into(),
            token: token.into(),
            reply_to: format!("needs+{token}@ctc.example"),
        };
        let a = stencil
            .render(&recipient("A & <B>\u{1}", "aaaaaa1111"))
            .unwrap();
        let b = stencil.render(&recipient("C", "bbbbbb2222")).unwrap();
        let (a, b) = (part_texts(&a), part_texts(&b));
        let all_a: String = a.iter().map(|(_, t)| t.as_str()).collect();
        assert!(!all_a.contains(MARK), "a placeholder was left");
        assert!(all_a.contains("A &amp; &lt;B&gt;  &lt;focal@mfa.example&gt;, Kenya (KEN)"));
        assert!(all_a.contains("needs+aaaaaa1111@ctc.example"));
        assert!(all_a.contains("2026-12/KEN/aaaaaa"));
        // Only the parts that name the recipient differ between two copies.
        let differing: Vec<&str> = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x != y)
            .map(|(x, _)| x.0.as_str())
            .collect();
        assert_eq!(
            differing,
            [
                "xl/worksheets/sheet2.xml",
                "xl/worksheets/sheet4.xml",
                "docProps/custom.xml"
            ]
        );
    }

    #[test]
    fn a_providers_copy_carries_its_own_programmes_and_reads_back_the_same() {
        use crate::programme::{Geography, ProgrammeValues, SCHEMA};
        use crate::register::{self, Record};
        let (cycle, general, areas) = december();
        let spec = Spec {
            needs: &[],
            states: &[],
            areas: &areas,
            as_of: cycle.day(1),
            circulation: Some(&general),
            sheets: &[(&SCHEMA, &[])],
            language: Language::En,
        };
        let stencil = Stencil::new(&spec).unwrap();
        let record = |id: &str, title: &str, eligible: &str| Record {
            id: id.into(),
            fields: [
                ("provider", "UNODC"),
                ("title", title),
                ("kind", "Training"),
                ("areas", "LEG; FIN"),
                ("eligible", eligible),
                ("languages", "en; ar"),
                ("contact", ""),
                ("link", "https://example.org/a?b=1&c=2"),
                ("status", "Active"),
                ("updated", "2026-11-30"),
            ]
            .map(|(k, v)| (k, v.to_string()))
            .into(),
        };
        let mine = [
            record("SA-00001", "Drafting <law> & \"order\"", "KEN; UGA"),
            record(
                "SA-00007",
                "Обучение\nسطر ثان 中文",
                "Eastern Africa (M49 014)",
            ),
        ];
        let recipient = Recipient {
            party: PartyCode::parse("UNODC").unwrap(),
            party_name: "UNODC".into(),
            contact_name: "Desk".into(),
            email: "desk@unodc.example".into(),
            token: "cccccc3333".into(),
            reply_to: "needs+cccccc3333@ctc.example".into(),
        };
        let index = crate::directory::PartyIndex::new(crate::directory::seed_parties().unwrap());
        let geo = Geography::embedded().unwrap();
        let values = ProgrammeValues::new(&index, &areas, &geo);
        let read_back = |bytes: &[u8]| {
            let grids = crate::workbook::read::read_grids(
                bytes,
                "copy.xlsx",
                &crate::settings::Limits::default(),
            )
            .unwrap();
            assert!(grids.iter().any(|g| g.name == "Matrix"));
            let sheet = register::find_sheet(&SCHEMA, grids).expect("the Programmes sheet");
            register::read_rows(&SCHEMA, &sheet, &values)
        };
        let copy = stencil.render_with(&recipient, &[&mine]).unwrap();
        assert!(
            !part_texts(&copy).iter().any(|(_, t)| t.contains(MARK)),
            "a placeholder was left"
        );
        let (rows, errors) = read_back(&copy);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        for (row, record) in rows.iter().zip(&mine) {
            assert_eq!(row.id.as_deref(), Some(record.id.as_str()));
            for (k, v) in &row.fields {
                assert_eq!(v, record.get(k), "{k}");
            }
        }
        // A provider with no programme yet gets the sheet with its headers, to add some.
        let (rows, errors) = read_back(&stencil.render(&recipient).unwrap());
        assert!(rows.is_empty() && errors.is_empty());
    }

    #[test]
    fn a_copy_is_written_in_its_recipients_language_and_arabic_right_to_left() {
        use crate::model::{AreaCode, NeedId};
        let (cycle, general, areas) = december();
        let needs = vec![Need {
            id: NeedId::from_number(1),
            state: PartyCode::parse("KAZ").unwrap(),
            area: AreaCode::parse("ARM").unwrap(),
            description: "Marking of small arms".into(),
            priority: Priority::High,
            status: Status::InProgress,
            provider: String::new(),
            notes: String::new(),
            updated_at: cycle.day(1),
        }];
        let copy = |language| {
            let spec = Spec {
                needs: &needs,
                states: &[],
                areas: &areas,
                as_of: cycle.day(1),
                circulation: Some(&general),
                sheets: &[],
                language,
            };
            part_texts(&write(&spec).unwrap())
                .into_iter()
                .map(|(_, text)| text)
                .collect::<String>()
        };
        let ru = copy(Language::Ru);
        for word in [
            "Приоритет",
            "Высокий",
            "Выполняется",
            "Незаконный оборот оружия",
            "В этом месяце изменений нет",
            "Нет",
            // A drop-down's refusal.
            "Выберите значение из раскрывающегося списка",
        ] {
            assert!(ru.contains(word), "the Russian copy has {word}");
        }
        assert!(!ru.contains("rightToLeft"));
        let ar = copy(Language::Ar);
        assert!(ar.contains("الأولوية") && ar.contains("قيد التنفيذ"));
        assert_eq!(
            ar.matches("rightToLeft=\"1\"").count(),
            3,
            "Matrix, About and Lists"
        );
        // The sheet names and the stamp are the same in every language.
        for text in [&ru, &ar] {
            for name in [
                "name=\"Matrix\"",
                "name=\"About\"",
                "name=\"Lists\"",
                "name=\"_needsd\"",
            ] {
                assert!(text.contains(name), "{name}");
            }
        }
        let en = copy(Language::En);
        assert!(en.contains("Priority") && en.contains("No changes this month"));
    }

    #[test]
    fn the_needs_a_provider_could_meet_read_back_as_the_matrix_rows_they_are() {
        use crate::model::{AreaCode, NeedId};
        use crate::programme::{Eligible, Geography, Kind, Programme, ProgrammeStatus};
        let (cycle, general, areas) = december();
        let need = |n: u64, state: &str, area: &str, text: &str| Need {
            id: NeedId::from_number(n),
            state: PartyCode::parse(state).unwrap(),
            area: AreaCode::parse(area).unwrap(),
            description: text.into(),
            priority: Priority::High,
            status: Status::Open,
            provider: String::new(),
            notes: "n & <m>".into(),
            updated_at: cycle.day(1),
        };
        let needs = vec![
            need(1, "KEN", "LEG", "Counter-terrorism law review"),
            need(2, "UGA", "FIN", "FIU \"analysts\""),
            need(3, "KEN", "POL", "Not for this programme"),
        ];
        let programme = Programme {
            id: "SA-00001".into(),
            provider: PartyCode::parse("UNODC").unwrap(),
            title: "Drafting & finance".into(),
            kind: Kind::Training,
            areas: vec![
                AreaCode::parse("LEG").unwrap(),
                AreaCode::parse("FIN").unwrap(),
            ],
            eligible: Eligible::EveryState,
            languages: Vec::new(),
            contact: String::new(),
            link: String::new(),
            status: ProgrammeStatus::Active,
            updated: String::new(),
        };
        let geo = Geography::embedded().unwrap();
        let sheets = crate::offer::by_provider(&needs, &[programme], &geo);
        let offers = &sheets[&PartyCode::parse("UNODC").unwrap()];
        assert_eq!(offers.len(), 2);
        // In every language: the sheets' headers (and the offers' statuses) are the
        // copy's, and read back whatever they are.
        let index = crate::directory::PartyIndex::new(crate::directory::seed_parties().unwrap());
        for language in Language::ALL {
            let spec = Spec {
                needs: &needs,
                states: &[],
                areas: &areas,
                as_of: cycle.day(1),
                circulation: Some(&general),
                sheets: &[
                    (&crate::programme::SCHEMA, &[]),
                    (&crate::offer::SCHEMA, &[]),
                ],
                language,
            };
            let copy = Stencil::new(&spec)
                .unwrap()
                .render_with(
                    &Recipient {
                        party: PartyCode::parse("UNODC").unwrap(),
                        party_name: "UNODC".into(),
                        contact_name: "Desk".into(),
                        email: "desk@unodc.example".into(),
                        token: "dddddd4444".into(),
                        reply_to: "needs+dddddd4444@ctc.example".into(),
                    },
                    &[&[], offers],
                )
                .unwrap();
            let reply = crate::workbook::read::read_reply(
                &copy,
                "copy.xlsx",
                &crate::settings::Limits::default(),
                &index,
                &areas,
            )
            .unwrap();
            let (rows, errors) = reply.offers.expect("the sheet");
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(rows.len(), 2);
            for (row, n) in rows.iter().zip(&needs) {
                assert_eq!(row.id.as_ref(), Some(&n.id));
                for (f, v) in &row.fields {
                    assert_eq!(v, crate::diff::field_value(n, *f), "{f:?}");
                }
            }
            // The Matrix sheet is still the Matrix, not the sheet laid out like it.
            assert_eq!(reply.rows.len(), 3, "{language}");
            let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(copy)).unwrap();
            use calamine::Reader;
            for (schema, key) in [
                (&crate::programme::SCHEMA, "kind"),
                (&crate::offer::SCHEMA, "programmes"),
            ] {
                let range = wb.worksheet_range(schema.sheet).unwrap();
                let headers: Vec<String> = range
                    .rows()
                    .next()
                    .unwrap()
                    .iter()
                    .map(|c| c.to_string())
                    .collect();
                let expected = schema.header_in(key, language);
                assert!(headers.contains(&expected), "{language}: {headers:?}");
                if language != Language::En {
                    assert_ne!(expected, schema.header_in(key, Language::En));
                }
            }
            // The offers' statuses are the copy's words too.
            let offers_sheet = wb.worksheet_range(crate::offer::SHEET).unwrap();
            let open =
                crate::spelling::word(crate::spelling::List::Status, "open", language).unwrap();
            assert!(
                offers_sheet
                    .rows()
                    .nth(1)
                    .unwrap()
                    .iter()
                    .any(|c| c.to_string() == open),
                "{language}"
            );
        }
    }

    #[test]
    fn a_value_that_reads_like_a_placeholder_is_written_as_it_is() {
        let values = [
            ("\u{27E6}needsd:a\u{27E7}", "<\u{27E6}needsd:b\u{27E7}>"),
            ("\u{27E6}needsd:b\u{27E7}", "B"),
        ];
        let lookup = |mark: &str| values.iter().find(|(m, _)| *m == mark).map(|(_, v)| *v);
        assert_eq!(
            substitute(
                "x \u{27E6}needsd:a\u{27E7} y \u{27E6}needsd:b\u{27E7} \u{27E6}needsd:c\u{27E7} \u{27E6}needsd:",
                lookup
            ),
            "x &lt;\u{27E6}needsd:b\u{27E7}&gt; y B \u{27E6}needsd:c\u{27E7} \u{27E6}needsd:"
        );
    }

    #[test]
    fn deadline_is_written_out() {
        let local = NaiveDate::from_ymd_opt(2026, 12, 15)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap();
        assert_eq!(
            deadline_text(local, "America/New_York"),
            "15 December 2026, 23:59 New York time"
        );
        assert_eq!(
            deadline_text(local, "UTC"),
            "15 December 2026, 23:59 UTC time"
        );
    }
}
