//! Reads a Matrix from what people send back: xlsx, xlsm, xls, xlsb, ods (calamine) or
//! CSV. Finds the sheet and its header row, maps columns by their text, and turns every
//! row into typed values or row-level errors. Pure: bytes in, values out.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader};
use chrono::NaiveDate;
use thiserror::Error;

use crate::diff::ReplyRow;
use crate::directory::PartyIndex;
use crate::model::RowError;
use crate::model::{Area, AreaCode, Field, NeedId, NewNeed, Priority, Status, normalize_word};
use crate::settings::Limits;

/// The most characters a spreadsheet cell holds (Excel's limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// The highest Need ID an import may set, so that generated IDs always stay valid.
const MAX_IMPORTED_ID: u64 = 999_999_999;

/// How many rows from the top the header may have moved down.
const HEADER_SEARCH_ROWS: usize = 20;

#[derive(Debug, Error, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReadError {
    #[error("the file is {size} bytes, over the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the file is not a spreadsheet needsd can read (xlsx, xlsm, xls, xlsb, ods or csv): {0}"
    )]
    Unreadable(String),
    #[error("it is {0}, not a spreadsheet; open it, save it as .xlsx or .csv, and send that")]
    NotASpreadsheet(String),
    #[error("the workbook is password-protected; save it without a password and send it again")]
    Encrypted,
    #[error("the workbook inflates to more than {limit} bytes, over the limit")]
    TooBig { limit: u64 },
    #[error(
        "the Matrix sheet has no Need ID column, so its rows cannot be matched to needs; keep that column and send the file again"
    )]
    NoIdColumn,
    #[error("no sheet has a Matrix header (a row with Need ID, State, Area and Need columns)")]
    NoHeader,
    #[error("sheet '{sheet}' has data on row {row}, over the limit of {limit} rows")]
    TooManyRows { sheet: String, row: u64, limit: u64 },
    #[error("sheet '{sheet}' has more than {limit} cells")]
    TooManyCells { sheet: String, limit: u64 },
    #[error("the workbook's cells hold more than {limit} bytes of text, over the limit")]
    TooMuchText { limit: u64 },
    #[error("the file declares {declared} shared strings, more than the limit of {limit} cells")]
    TooManyStrings { declared: u64, limit: u64 },
    #[error("the spreadsheet reader gave up on this file: {0}")]
    ReaderFailed(String),
}

/// One cell as read, before it is given a meaning.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    /// The cell as a person would read it.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A sheet as a grid; `rows[i].0` is the 1-based row number the person sees.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    pub name: String,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// Which sheets of a workbook to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sheets {
    /// The sheets needsd writes: Matrix, Programmes, Needs you could meet, About and the
    /// `_needsd` stamp.
    Ours,
    All,
}

impl Sheets {
    fn wanted(self) -> fn(&str) -> bool {
        match self {
            Sheets::Ours => |name| {
                matches!(
                    normalize_word(name).as_str(),
                    "needsd" | "about" | "matrix" | "programmes" | "needsyoucouldmeet"
                )
            },
            Sheets::All => |_| true,
        }
    }
}

/// What a file holds: its sheets (or the one table of a CSV file) and the needsd stamp
/// in its document properties. This is the part of reading that touches the untrusted
/// bytes; `crate::reader` runs it in a process of its own.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Contents {
    pub grids: Vec<Grid>,
    pub properties: Vec<(String, String)>,
}

/// Reads `which` sheets of a file and its stamp properties, in this process.
pub fn read_contents(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    which: Sheets,
) -> Result<Contents, ReadError> {
    let grids = read_grids_where(bytes, file_name, limits, which.wanted())?;
    Ok(Contents {
        grids,
        properties: super::sniff::stamp_properties(bytes),
    })
}

/// The columns of the Matrix sheet that needsd understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    NeedId,
    State,
    Area,
    Description,
    Priority,
    Status,
    Provider,
    Notes,
    LastUpdated,
}

impl Column {
    pub fn header(self) -> &'static str {
        match self {
            Column::NeedId => "Need ID",
            Column::State => "State",
            Column::Area => "Area",
            Column::Description => "Need",
            Column::Priority => "Priority",
            Column::Status => "Status",
            Column::Provider => "Assistance provider",
            Column::Notes => "Notes",
            Column::LastUpdated => "Last updated",
        }
    }

    /// Header texts (normalized: lower-case letters and digits only) that mean this column.
    fn from_header(h: &str) -> Option<Column> {
        Some(match normalize_word(h).as_str() {
            "needid" | "id" | "needno" | "neednumber" | "needref" | "ref" | "reference"
            | "mnid" => Column::NeedId,
            "state" | "country" | "memberstate" | "statecode" | "countrycode" | "etat" | "pais" => {
                Column::State
            }
            "area" | "areacode" | "areaofassistance" | "sector" | "domain" | "domaine" => {
                Column::Area
            }
            "need"
            | "needs"
            | "description"
            | "request"
            | "needdescription"
            | "assistancerequested"
            | "assistanceneeded"
            | "besoin"
            | "necesidad" => Column::Description,
            "priority" | "prio" | "relativepriority" | "priorite" | "prioridad" => Column::Priority,
            "status" | "statut" | "estado" => Column::Status,
            "assistanceprovider"
            | "provider"
            | "providers"
            | "donor"
            | "assistingorganization"
            | "providedby"
            | "assistingparty" => Column::Provider,
            "notes" | "note" | "comments" | "comment" | "remarks" | "remark" => Column::Notes,
            "lastupdated" | "updated" | "lastupdate" | "dateupdated" | "updatedon" => {
                Column::LastUpdated
            }
            // The workbook's own headers in any of the six languages.
            _ => match crate::spelling::lookup(crate::spelling::List::Header, h)? {
                "need-id" => Column::NeedId,
                "state" => Column::State,
                "area" => Column::Area,
                "description" => Column::Description,
                "priority" => Column::Priority,
                "status" => Column::Status,
                "provider" => Column::Provider,
                "notes" => Column::Notes,
                "updated" => Column::LastUpdated,
                _ => return None,
            },
        })
    }
}

/// A sheet whose header was found, with its columns mapped.
#[derive(Debug)]
pub struct MatrixSheet {
    pub sheet: String,
    pub header_row: usize,
    pub columns: BTreeMap<Column, usize>,
    pub rows: Vec<(usize, Vec<Cell>)>,
    pub warnings: Vec<String>,
}

impl MatrixSheet {
    pub fn cell<'a>(&self, cells: &'a [Cell], c: Column) -> Option<&'a Cell> {
        self.columns
            .get(&c)
            .map(|&i| cells.get(i).unwrap_or(&Cell::Empty))
    }
}

/// Reads every sheet of a workbook, or the one table of a CSV file.
pub fn read_grids(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Vec<Grid>, ReadError> {
    read_grids_where(bytes, file_name, limits, |_| true)
}

/// Reads the sheets of a workbook whose names `wanted` accepts (all checks on the file
/// still apply), or the one table of a CSV file.
pub fn read_grids_where(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    wanted: fn(&str) -> bool,
) -> Result<Vec<Grid>, ReadError> {
    if bytes.len() as u64 > limits.attachment_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.attachment_bytes,
        });
    }
    // The bytes decide, not the name: people rename files.
    if super::sniff::inspect(bytes, limits)? == super::sniff::Container::Text {
        let table = super::csv::read_table(bytes, limits)
            .map_err(|e| ReadError::Unreadable(e.to_string()))?;
        if table.records.len() as u64 > limits.rows {
            return Err(ReadError::TooManyRows {
                sheet: file_name.to_string(),
                row: table.records.len() as u64,
                limit: limits.rows,
            });
        }
        let rows = table
            .records
            .into_iter()
            .map(|r| (r.line, r.cells.into_iter().map(Cell::Text).collect()))
            .collect();
        return Ok(vec![Grid {
            name: file_name.to_string(),
            rows,
        }]);
    }
    // calamine has panicked on malformed files in the past; a bad attachment must give an
    // error, never take the process down.
    let result = std::panic::catch_unwind(|| read_with_calamine(bytes, limits, wanted));
    match result {
        Ok(r) => r,
        Err(_) => Err(ReadError::Unreadable(
            "the spreadsheet reader failed on this file".into(),
        )),
    }
}

fn read_with_calamine(
    bytes: &[u8],
    limits: &Limits,
    wanted: fn(&str) -> bool,
) -> Result<Vec<Grid>, ReadError> {
    match calamine::open_workbook_auto_from_rs(Cursor::new(bytes)) {
        Ok(wb) => read_sheets(wb, limits, wanted),
        Err(first) => match super::sniff::compact_ods(bytes) {
            // calamine refuses the indented content.xml that Gnumeric writes; the same
            // document without the whitespace between elements reads fine.
            Some(compacted) => {
                let ods =
                    calamine::open_workbook_from_rs::<calamine::Ods<_>, _>(Cursor::new(compacted))
                        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
                read_sheets(calamine::Sheets::Ods(ods), limits, wanted)
            }
            None => Err(ReadError::Unreadable(first.to_string())),
        },
    }
}

/// The rows of sheet `$name` of a reader that has `worksheet_cells_reader` (xlsx, xlsb):
/// the two readers share the method names but no trait.
macro_rules! cells_by_reader {
    ($book:expr, $name:expr, $limits:expr, $text:expr) => {{
        let unreadable =
            |e: &dyn std::fmt::Display| ReadError::Unreadable(format!("sheet '{}': {e}", $name));
        let mut reader = $book
            .worksheet_cells_reader(&$name)
            .map_err(|e| unreadable(&e))?;
        sparse_rows(&$name, $limits, $text, || {
            reader
                .next_cell()
                .map(|c| c.map(|c| (c.get_position(), convert_ref(c.get_value()))))
                .map_err(|e| unreadable(&e))
        })?
    }};
}

fn read_sheets<RS: std::io::Read + std::io::Seek>(
    mut wb: calamine::Sheets<RS>,
    limits: &Limits,
    wanted: fn(&str) -> bool,
) -> Result<Vec<Grid>, ReadError> {
    let mut grids = Vec::new();
    // The text of every sheet read counts against one limit.
    let mut text: u64 = 0;
    for name in wb.sheet_names() {
        if !wanted(&name) {
            continue;
        }
        let rows = match &mut wb {
            // xlsx and xlsb are read cell by cell: calamine's dense Range would allocate
            // the whole declared area, and one cell at XFD1048576 is 17 billion cells.
            calamine::Sheets::Xlsb(x) => cells_by_reader!(x, name, limits, &mut text),
            calamine::Sheets::Xlsx(x) => cells_by_reader!(x, name, limits, &mut text),
            other => {
                let range = other
                    .worksheet_range(&name)
                    .map_err(|e| ReadError::Unreadable(format!("sheet '{name}': {e}")))?;
                let mut cells = range.cells().filter(|(_, _, d)| !matches!(d, Data::Empty));
                let (r0, c0) = range.start().unwrap_or((0, 0));
                sparse_rows(&name, limits, &mut text, || {
                    Ok(cells
                        .next()
                        .map(|(r, c, d)| ((r0 + r as u32, c0 + c as u32), convert(d))))
                })?
            }
        };
        grids.push(Grid { name, rows });
    }
    Ok(grids)
}

/// Builds the rows of a sheet from its non-empty cells, refusing a sheet over the limits
/// as soon as it is seen to be.
fn sparse_rows(
    sheet: &str,
    limits: &Limits,
    text: &mut u64,
    mut next: impl FnMut() -> Result<Option<((u32, u32), Cell)>, ReadError>,
) -> Result<Vec<(usize, Vec<Cell>)>, ReadError> {
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    // The row being filled: cells come row by row, so the map is touched once per row.
    let mut current: (u32, Vec<Cell>) = (0, Vec::new());
    let mut count: u64 = 0;
    while let Some(((r, c), cell)) = next()? {
        if matches!(cell, Cell::Empty) {
            continue;
        }
        // One long string shared by many cells is copied into each of them: count the
        // copies, so that a small file cannot expand to gigabytes of text.
        if let Cell::Text(t) = &cell {
            *text += t.len() as u64;
            if *text > limits.text_bytes {
                return Err(ReadError::TooMuchText {
                    limit: limits.text_bytes,
                });
            }
        }
        if r != current.0 {
            let (done, cells) = std::mem::replace(&mut current, (r, Vec::new()));
            if !cells.is_empty() {
                rows.insert(done, cells);
            }
            current.1 = rows.remove(&r).unwrap_or_default();
        }
        let row = &mut current.1;
        // Columns beyond XFD do not exist; a file claiming them is lying.
        let c = c.min(16_383) as usize;
        // Every slot a row holds counts, padding included: one cell far to the right
        // costs as much memory as the cells before it.
        count += (c + 1).saturating_sub(row.len()).max(1) as u64;
        if count > limits.cells {
            return Err(ReadError::TooManyCells {
                sheet: sheet.to_string(),
                limit: limits.cells,
            });
        }
        if u64::from(r) >= limits.rows {
            return Err(ReadError::TooManyRows {
                sheet: sheet.to_string(),
                row: u64::from(r) + 1,
                limit: limits.rows,
            });
        }
        if row.len() <= c {
            row.resize(c + 1, Cell::Empty);
        }
        row[c] = cell;
    }
    if !current.1.is_empty() {
        rows.insert(current.0, current.1);
    }
    Ok(rows
        .into_iter()
        .map(|(r, cells)| (r as usize + 1, cells))
        .collect())
}

fn convert_ref(d: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef;
    match d {
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Empty | DataRef::Error(_) => Cell::Empty,
        other => convert(&Data::from(other.clone())),
    }
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Cell::Date(t.date()),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => {
            match NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d") {
                Ok(d) => Cell::Date(d),
                Err(_) => Cell::Text(s.clone()),
            }
        }
        Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

/// Finds the Matrix: the sheet named "Matrix" if it has a header, else the first sheet
/// whose header row (within the first rows) names the key columns.
pub fn find_matrix(grids: Vec<Grid>) -> Result<MatrixSheet, ReadError> {
    let mut ordered = grids;
    ordered.sort_by_key(|g| normalize_word(&g.name) != "matrix");
    for g in ordered {
        if let Some(sheet) = find_header(g) {
            return Ok(sheet);
        }
    }
    Err(ReadError::NoHeader)
}

fn find_header(g: Grid) -> Option<MatrixSheet> {
    let pos = g
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| {
            let cols: Vec<Column> = cells
                .iter()
                .filter_map(|c| Column::from_header(&c.text()))
                .collect();
            cols.contains(&Column::Description) && cols.len() >= 3
        })?;
    let mut rows = g.rows;
    let tail = rows.split_off(pos + 1);
    let (header_row, header) = rows.pop()?;
    let mut columns = BTreeMap::new();
    let mut warnings = Vec::new();
    for (i, c) in header.iter().enumerate() {
        let text = c.text();
        if text.is_empty() {
            continue;
        }
        match Column::from_header(&text) {
            Some(col) if !columns.contains_key(&col) => {
                columns.insert(col, i);
            }
            Some(col) => warnings.push(format!(
                "column '{text}' repeats {}; only the first is read",
                col.header()
            )),
            None => warnings.push(format!(
                "column '{text}' is not a Matrix column and was ignored"
            )),
        }
    }
    Some(MatrixSheet {
        sheet: g.name,
        header_row,
        columns,
        rows: tail,
        warnings,
    })
}

/// A date cell, a spreadsheet serial number, or text in a common form, between the years
/// 1900 and 9999 (what a spreadsheet can hold).
pub fn parse_date(c: &Cell) -> Option<NaiveDate> {
    use chrono::Datelike;
    parse_any_date(c).filter(|d| (1900..=9999).contains(&d.year()))
}

fn parse_any_date(c: &Cell) -> Option<NaiveDate> {
    match c {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) if (1.0..2_958_466.0).contains(n) => NaiveDate::from_ymd_opt(1899, 12, 30)?
            .checked_add_days(chrono::Days::new(n.trunc() as u64)),
        Cell::Text(s) if s.trim().parse::<f64>().is_ok() => {
            parse_date(&Cell::Number(s.trim().parse().ok()?))
        }
        Cell::Text(s) => {
            let s = s.trim();
            ["%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d.%m.%Y", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .or_else(|| {
                    let head = s.get(..10)?;
                    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
                })
        }
        _ => None,
    }
}

/// Finds an area from its code or its label, ignoring case, accents and punctuation.
pub(crate) struct AreaIndex(HashMap<String, AreaCode>);

impl AreaIndex {
    /// Each area by its code, its label, and its name in each of the six languages where
    /// the code is one of the defaults (`locales/workbook/`); a code or label the
    /// configuration gives wins over a translation.
    pub(crate) fn new(areas: &[Area]) -> Self {
        use crate::spelling::{List, word};
        let mut index: HashMap<String, AreaCode> = areas
            .iter()
            .flat_map(|a| {
                [
                    (normalize_word(a.code.as_str()), a.code.clone()),
                    (normalize_word(&a.label), a.code.clone()),
                ]
            })
            .collect();
        for a in areas {
            for lang in crate::model::Language::ALL {
                if let Some(name) = word(List::Area, a.code.as_str(), lang) {
                    index
                        .entry(normalize_word(&name))
                        .or_insert_with(|| a.code.clone());
                }
            }
        }
        Self(index)
    }

    pub(crate) fn resolve(&self, text: &str) -> Result<AreaCode, String> {
        match self.0.get(&normalize_word(text)) {
            Some(code) => Ok(code.clone()),
            None if text.trim().is_empty() => Err("the area is empty".into()),
            None => Err(format!("unknown area '{text}'")),
        }
    }
}

/// One row of an initial matrix to import, with the sheet row it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub need: NewNeed,
}

/// Turns a Matrix sheet into complete needs for an import; every problem is a row error.
pub fn import_rows(
    sheet: &MatrixSheet,
    parties: &PartyIndex,
    areas: &[Area],
) -> (Vec<ImportRow>, Vec<RowError>) {
    let area_index = AreaIndex::new(areas);
    let mut out = Vec::new();
    let mut errors: Vec<RowError> = [
        Column::State,
        Column::Area,
        Column::Description,
        Column::Priority,
    ]
    .into_iter()
    .filter(|col| !sheet.columns.contains_key(col))
    .map(|col| RowError {
        row: sheet.header_row,
        column: Some(col.header().into()),
        message: format!("the header has no {} column", col.header()),
    })
    .collect();
    if !errors.is_empty() {
        return (out, errors);
    }
    let mut first_seen: BTreeMap<NeedId, usize> = BTreeMap::new();
    for (row, cells) in &sheet.rows {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let read = ImportedRow {
            sheet,
            cells,
            row: *row,
            parties,
            areas: &area_index,
        };
        match read.need(&mut first_seen) {
            Ok(need) => out.push(ImportRow { row: *row, need }),
            Err(errs) => errors.extend(errs),
        }
    }
    (out, errors)
}

/// One row of a Matrix sheet being imported.
struct ImportedRow<'a> {
    sheet: &'a MatrixSheet,
    cells: &'a [Cell],
    row: usize,
    parties: &'a PartyIndex,
    areas: &'a AreaIndex,
}

impl ImportedRow<'_> {
    fn text(&self, c: Column) -> String {
        self.sheet
            .cell(self.cells, c)
            .map(Cell::text)
            .unwrap_or_default()
    }

    /// The complete need the row holds, or every problem with it. `first_seen` is where
    /// each Need ID was first met, for duplicates.
    fn need(&self, first_seen: &mut BTreeMap<NeedId, usize>) -> Result<NewNeed, Vec<RowError>> {
        let mut errs = Vec::new();
        let mut err = |c: Column, message: String| {
            errs.push(RowError {
                row: self.row,
                column: Some(c.header().into()),
                message,
            })
        };
        let id = self
            .id(first_seen)
            .map_err(|m| err(Column::NeedId, m))
            .ok()
            .flatten();
        let state = self
            .parties
            .resolve_state(&self.text(Column::State))
            .map_err(|m| err(Column::State, m))
            .ok();
        let area = self
            .areas
            .resolve(&self.text(Column::Area))
            .map_err(|m| err(Column::Area, m))
            .ok();
        let description = self.text(Column::Description);
        if description.is_empty() {
            err(Column::Description, "the need is empty".into());
        }
        for c in [Column::Description, Column::Provider, Column::Notes] {
            if self.text(c).chars().count() > MAX_CELL_CHARS {
                err(
                    c,
                    format!(
                        "the text is longer than a spreadsheet cell holds ({MAX_CELL_CHARS} characters)"
                    ),
                );
            }
        }
        let priority = Priority::parse(&self.text(Column::Priority))
            .map_err(|e| err(Column::Priority, e.0))
            .ok();
        let status = match self.text(Column::Status) {
            t if t.is_empty() => Some(Status::Open),
            t => Status::parse(&t).map_err(|e| err(Column::Status, e.0)).ok(),
        };
        let updated = match self.sheet.cell(self.cells, Column::LastUpdated) {
            Some(c) if !c.is_empty() => {
                let d = parse_date(c);
                if d.is_none() {
                    err(Column::LastUpdated, format!("'{}' is not a date", c.text()));
                }
                d
            }
            _ => None,
        };
        match (state, area, priority, status) {
            (Some(state), Some(area), Some(priority), Some(status)) if errs.is_empty() => {
                Ok(NewNeed {
                    id,
                    state,
                    area,
                    description,
                    priority,
                    status,
                    provider: self.text(Column::Provider),
                    notes: self.text(Column::Notes),
                    updated,
                })
            }
            _ => Err(errs),
        }
    }

    /// The row's Need ID: none when blank (a new need); refused beyond what an import
    /// may set, or when an earlier row has it.
    fn id(&self, first_seen: &mut BTreeMap<NeedId, usize>) -> Result<Option<NeedId>, String> {
        let t = self.text(Column::NeedId);
        if t.is_empty() {
            return Ok(None);
        }
        let id = NeedId::parse(&t).map_err(|e| e.0)?;
        if id.number() > MAX_IMPORTED_ID {
            return Err(format!(
                "{id} is beyond the highest Need ID an import may set (MN-{MAX_IMPORTED_ID})"
            ));
        }
        if let Some(first) = first_seen.get(&id) {
            return Err(format!("{id} is also on row {first}"));
        }
        first_seen.insert(id.clone(), self.row);
        Ok(Some(id))
    }
}

/// The stamp of a circulated copy, from the hidden `_needsd` sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stamp {
    pub cycle: Option<String>,
    pub party: Option<String>,
    pub recipient: Option<String>,
    pub token: Option<String>,
}

impl Stamp {
    /// The stamp from `key, value` pairs, as the `_needsd` sheet and the document
    /// properties both hold it.
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        Self {
            cycle: get("cycle"),
            party: get("party"),
            recipient: get("recipient"),
            token: get("token"),
        }
    }
}

/// A reply as read: its stamp, its answer to "No changes this month", and its rows.
#[derive(Debug, Default)]
pub struct Reply {
    pub stamp: Option<Stamp>,
    pub no_changes: Option<bool>,
    pub rows: Vec<ReplyRow>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<RowError>,
    /// The Programmes sheet a provider's copy carries, as read (its meaning is the
    /// register's: `crate::register`, `crate::programme`).
    pub programmes: Option<Grid>,
    /// The rows of the "Needs you could meet" sheet a provider's copy carries, read as
    /// Matrix rows, with the problems of its cells (see `crate::offer`).
    pub offers: Option<(Vec<ReplyRow>, Vec<RowError>)>,
}

fn key_values(g: &Grid) -> Vec<(String, String)> {
    g.rows
        .iter()
        .filter_map(|(_, cells)| {
            let k = cells.first()?.text();
            let v = cells.get(1).map(Cell::text).unwrap_or_default();
            (!k.is_empty()).then_some((k, v))
        })
        .collect()
}

/// Reads a reply: the Matrix rows as canonical field values, the stamp and the About
/// sheet's "No changes this month" answer. Cells that cannot be understood are row errors.
pub fn read_reply(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    parties: &PartyIndex,
    areas: &[Area],
) -> Result<Reply, ReadError> {
    read_reply_with(
        &mut |which| read_contents(bytes, file_name, limits, which),
        parties,
        areas,
    )
}

/// [`read_reply`] over a file read by `read` (in this process, or by `crate::reader`).
pub fn read_reply_with(
    read: &mut dyn FnMut(Sheets) -> Result<Contents, ReadError>,
    parties: &PartyIndex,
    areas: &[Area],
) -> Result<Reply, ReadError> {
    // The sheets needsd writes are read first; the rest (the Lists behind the drop-downs)
    // only when no sheet among them holds the Matrix header.
    let Contents {
        mut grids,
        properties,
    } = read(Sheets::Ours)?;
    let mut reply = Reply::default();
    if let Some(i) = grids
        .iter()
        .position(|g| normalize_word(&g.name) == "programmes")
    {
        reply.programmes = Some(grids.remove(i));
    }
    if let Some(i) = grids
        .iter()
        .position(|g| normalize_word(&g.name) == "needsyoucouldmeet")
    {
        reply.offers = find_header(grids.remove(i)).map(|sheet| rows_of(&sheet, parties, areas));
    }
    for g in &grids {
        match normalize_word(&g.name).as_str() {
            // LibreOffice re-saves a very hidden sheet as merely hidden; the name is kept.
            "needsd" => {
                reply.stamp = Some(Stamp::from_pairs(&key_values(g)));
            }
            "about" => reply.no_changes = says_no_changes(g),
            _ => {}
        }
    }
    if reply.stamp.is_none() && !properties.is_empty() {
        reply.stamp = Some(Stamp::from_pairs(&properties));
    }
    let sheet = match find_matrix(grids) {
        Err(ReadError::NoHeader) => find_matrix(read(Sheets::All)?.grids)?,
        found => found?,
    };
    if !sheet.columns.contains_key(&Column::NeedId) {
        // Without IDs every row would look like a new need.
        return Err(ReadError::NoIdColumn);
    }
    reply.warnings = sheet
        .warnings
        .iter()
        .map(|w| RowError {
            row: sheet.header_row,
            column: None,
            message: w.clone(),
        })
        .collect();
    (reply.rows, reply.errors) = rows_of(&sheet, parties, areas);
    Ok(reply)
}

/// Every non-blank row of a sheet laid out like the Matrix, read as a reply's rows, with
/// the problems of the cells that could not be read.
fn rows_of(
    sheet: &MatrixSheet,
    parties: &PartyIndex,
    areas: &[Area],
) -> (Vec<ReplyRow>, Vec<RowError>) {
    // An area may be written as its code or its label.
    let area_index = AreaIndex::new(areas);
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (row, cells) in &sheet.rows {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        match reply_row(sheet, cells, *row, parties, &area_index) {
            Ok((r, e)) => {
                rows.push(r);
                errors.extend(e);
            }
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

/// The About sheet's answer to "No changes this month": `None` when it has none.
fn says_no_changes(about: &Grid) -> Option<bool> {
    key_values(about)
        .iter()
        .find(|(k, _)| {
            normalize_word(k) == "nochangesthismonth"
                || crate::spelling::means("about-no-changes", k)
        })
        .map(|(_, v)| {
            matches!(
                normalize_word(v).as_str(),
                "yes" | "y" | "oui" | "si" | "true"
            ) || crate::spelling::lookup(crate::spelling::List::Answer, v) == Some("yes")
        })
}

/// One row of a reply: its Need ID and each field it holds, in canonical form, with the
/// problems of the cells that could not be read (the row's other fields still count). A
/// row whose Need ID does not parse is not read further.
fn reply_row(
    sheet: &MatrixSheet,
    cells: &[Cell],
    row: usize,
    parties: &PartyIndex,
    areas: &AreaIndex,
) -> Result<(ReplyRow, Vec<RowError>), RowError> {
    let error = |c: Column, message: String| RowError {
        row,
        column: Some(c.header().into()),
        message,
    };
    let id_text = sheet
        .cell(cells, Column::NeedId)
        .map(Cell::text)
        .unwrap_or_default();
    let id = if id_text.is_empty() {
        None
    } else {
        Some(NeedId::parse(&id_text).map_err(|e| error(Column::NeedId, e.0))?)
    };
    let mut fields = BTreeMap::new();
    let mut errors = Vec::new();
    for (col, field) in [
        (Column::State, Field::State),
        (Column::Area, Field::Area),
        (Column::Description, Field::Description),
        (Column::Priority, Field::Priority),
        (Column::Status, Field::Status),
        (Column::Provider, Field::Provider),
        (Column::Notes, Field::Notes),
    ] {
        let Some(cell) = sheet.cell(cells, col) else {
            continue;
        };
        let text = cell.text();
        let value = if text.is_empty() {
            Ok(String::new())
        } else {
            match field {
                Field::State => parties.resolve_state(&text).map(|c| c.to_string()),
                Field::Area => areas.resolve(&text).map(|c| c.to_string()),
                Field::Priority => Priority::parse(&text)
                    .map(|p| p.to_string())
                    .map_err(|e| e.0),
                Field::Status => Status::parse(&text).map(|s| s.to_string()).map_err(|e| e.0),
                Field::Description | Field::Provider | Field::Notes => Ok(text),
            }
        };
        match value {
            Ok(v) => {
                fields.insert(field, v);
            }
            Err(m) => errors.push(error(col, m)),
        }
    }
    Ok((ReplyRow { row, id, fields }, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{PartyIndex, seed_parties};
    use crate::model::DEFAULT_AREAS;

    fn areas() -> Vec<Area> {
        DEFAULT_AREAS
            .iter()
            .map(|(c, l)| Area {
                code: AreaCode::parse(c).unwrap(),
                label: l.to_string(),
            })
            .collect()
    }

    #[test]
    fn header_may_move_down_and_columns_may_be_renamed() {
        let csv = "Matrix export,,,\n\n\
                   need id ,COUNTRY,area,Description,PRIORITY,status,Provider,Remarks,Colour\n\
                   MN-00001,Kenya,fin,Training,h,met,UNODC,,red\n\
                   ,,,,,,,,\n\
                   ,Côte d'Ivoire,Legislative drafting,Law,Low,,,,\n";
        let grids = read_grids(csv.as_bytes(), "m.csv", &Limits::default()).unwrap();
        let sheet = find_matrix(grids).unwrap();
        assert_eq!(sheet.header_row, 3);
        assert_eq!(
            sheet.warnings,
            vec!["column 'Colour' is not a Matrix column and was ignored"]
        );
        let idx = PartyIndex::new(seed_parties().unwrap());
        let (rows, errors) = import_rows(&sheet, &idx, &areas());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].need.state.as_str(), "KEN");
        assert_eq!(rows[0].need.priority, Priority::High);
        assert_eq!(rows[0].need.status, Status::Met);
        assert_eq!(rows[1].row, 6);
        assert_eq!(rows[1].need.id, None);
        assert_eq!(rows[1].need.area.as_str(), "LEG");
        assert_eq!(rows[1].need.status, Status::Open);
    }

    #[test]
    fn every_bad_cell_is_a_row_error() {
        let csv = "Need ID,State,Area,Need,Priority,Status,Last updated\n\
                   MN-1,Narnia,XXX,,urgent-ish,maybe,yesterday\n\
                   MN-00002,KEN,LEG,x,High,Open,2026-01-01\n\
                   MN-00002,KEN,LEG,y,High,Open,46000\n";
        let sheet =
            find_matrix(read_grids(csv.as_bytes(), "m.csv", &Limits::default()).unwrap()).unwrap();
        let idx = PartyIndex::new(seed_parties().unwrap());
        let (rows, errors) = import_rows(&sheet, &idx, &areas());
        assert_eq!(rows.len(), 1);
        let cols: Vec<_> = errors
            .iter()
            .map(|e| (e.row, e.column.clone().unwrap()))
            .collect();
        assert_eq!(
            cols,
            vec![
                (2, "Need ID".into()),
                (2, "State".into()),
                (2, "Area".into()),
                (2, "Need".into()),
                (2, "Priority".into()),
                (2, "Status".into()),
                (2, "Last updated".into()),
                (4, "Need ID".into()),
            ]
        );
        assert!(errors[1].message.contains("unknown State 'Narnia'"));
    }

    #[test]
    fn dates_from_serials_and_text() {
        assert_eq!(
            parse_date(&Cell::Number(46000.0)),
            NaiveDate::from_ymd_opt(2025, 12, 9)
        );
        assert_eq!(
            parse_date(&Cell::Text("15 December 2026".into())),
            NaiveDate::from_ymd_opt(2026, 12, 15)
        );
        assert_eq!(parse_date(&Cell::Text("soon".into())), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            read_grids(b"PK\x03\x04garbage", "x.xlsx", &Limits::default()),
            Err(ReadError::Unreadable(_))
        ));
        assert!(matches!(
            read_grids(b"%PDF-1.4", "x.xlsx", &Limits::default()),
            Err(ReadError::NotASpreadsheet(_))
        ));
        assert!(matches!(
            read_grids(
                b"abc",
                "x.xlsx",
                &Limits {
                    attachment_bytes: 2,
                    ..Limits::default()
                }
            ),
            Err(ReadError::TooLarge { .. })
        ));
    }

    fn far_corner_xlsx() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "Need ID").unwrap();
        ws.write_string(1_048_575, 16_383, "far").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_cell_at_the_far_corner_is_refused_not_allocated() {
        let bytes = far_corner_xlsx();
        let err = read_grids(&bytes, "far.xlsx", &Limits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sheet 'Sheet1' has data on row 1048576, over the limit of 50000 rows"
        );
        // With the row limit at its maximum the sheet is still read sparsely: two cells,
        // not the 17 billion of its declared area.
        let wide = Limits {
            rows: 1_048_576,
            ..Limits::default()
        };
        let grids = read_grids(&bytes, "far.xlsx", &wide).unwrap();
        assert_eq!(grids[0].rows.len(), 2);
        assert_eq!(grids[0].rows[1].0, 1_048_576);
    }

    #[test]
    fn too_many_cells_are_refused() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for r in 0..20 {
            for c in 0..10 {
                ws.write_number(r, c, 1.0).unwrap();
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        let small = Limits {
            cells: 100,
            ..Limits::default()
        };
        assert!(matches!(
            read_grids(&bytes, "x.xlsx", &small),
            Err(ReadError::TooManyCells { limit: 100, .. })
        ));
    }

    #[test]
    fn the_stamp_survives_a_program_that_drops_hidden_sheets() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.set_properties(
            &rust_xlsxwriter::DocProperties::new()
                .set_custom_property("needsd.cycle", "2026-11")
                .set_custom_property("needsd.party", "KEN"),
        );
        let ws = wb.add_worksheet();
        for (c, h) in ["Need ID", "State", "Area", "Need"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let idx = PartyIndex::new(seed_parties().unwrap());
        let reply = read_reply(&bytes, "r.xlsx", &Limits::default(), &idx, &areas()).unwrap();
        let stamp = reply.stamp.unwrap();
        assert_eq!(stamp.cycle.as_deref(), Some("2026-11"));
        assert_eq!(stamp.party.as_deref(), Some("KEN"));
    }

    #[test]
    fn padding_to_a_far_column_counts_against_the_cell_limit() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for r in 0..10 {
            ws.write_string(r, 16_383, "far").unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let limits = Limits {
            cells: 100_000,
            ..Limits::default()
        };
        assert!(matches!(
            read_grids(&bytes, "x.xlsx", &limits),
            Err(ReadError::TooManyCells { .. })
        ));
    }
}
