//! The register engine: a register is a sheet of records with an ID column, kept by
//! circulation, reply, three-way diff and review. What differs between registers is data
//! (a [`Schema`]: its columns, its ID prefix, who owns a record and what an owner may
//! change) and the meaning of each column's text (a [`Values`]). The Directory of Sources
//! of Assistance's programmes are the first register on it (`crate::programme`). Pure.
//!
//! Records hold the canonical text of every column, so that comparing two copies is
//! comparing strings, and reading an exported sheet back gives the same record.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};
use serde::Serialize;

use crate::model::{Language, RowError, normalize_word};
use crate::spelling::{self, List};
use crate::workbook::read::{Cell, Grid};

/// How many rows from the top the header may have moved down.
const HEADER_SEARCH_ROWS: usize = 20;

/// One column of a register's sheet.
#[derive(Debug)]
pub struct Column {
    /// The column's name in code, JSON and the database.
    pub key: &'static str,
    /// The header written in the sheet.
    pub header: &'static str,
    /// Other headers people write for it, compared as [`normalize_word`] gives them.
    pub aliases: &'static [&'static str],
    /// A record needs a value here.
    pub required: bool,
    /// Written in the sheet, in characters.
    pub width: f64,
    /// The values a drop-down offers (the cell still takes the variants `Values` reads).
    pub choices: &'static [&'static str],
    /// The list that writes `choices` in a copy's language (English when none).
    pub choice_words: Option<List>,
}

/// What makes a register: its sheet, its IDs, its columns and its owners.
#[derive(Debug)]
pub struct Schema {
    /// The sheet's name, fixed in every language.
    pub sheet: &'static str,
    /// Every ID is this prefix and at least five digits (`SA-00042`); never reused.
    pub id_prefix: &'static str,
    pub id_header: &'static str,
    pub id_aliases: &'static [&'static str],
    pub columns: &'static [Column],
    /// The column naming the Party a record belongs to.
    pub owner: &'static str,
    /// What the owner may change in its own records (and set in a new one).
    pub owner_editable: &'static [&'static str],
    /// The column holding the date a record last changed, set by needsd, never read.
    pub updated: &'static str,
    /// Its headers in the six languages (`spelling`; the ID column's key is `id`): a
    /// copy is written in its reader's, and a header in any of them is read.
    pub headers: List,
}

impl Schema {
    pub fn column(&self, key: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// The ID for sequence number `n`, zero-padded to five digits.
    pub fn id(&self, n: u64) -> String {
        format!("{}{n:05}", self.id_prefix)
    }

    /// The number of an ID as people write it (`sa-42` is not one: five digits at
    /// least; `SA-000042` is `SA-00042`).
    pub fn id_number(&self, text: &str) -> Result<u64, String> {
        let t = text.trim();
        let n = self.id_prefix.len();
        match t
            .get(..n)
            .filter(|p| p.eq_ignore_ascii_case(self.id_prefix))
        {
            Some(_)
                if (5..=12).contains(&t[n..].len())
                    && t[n..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                t[n..]
                    .parse()
                    .map_err(|_| format!("'{text}' is not a {}", self.id_header))
            }
            _ => Err(format!(
                "'{text}' is not a {} ({} followed by at least five digits)",
                self.id_header, self.id_prefix
            )),
        }
    }

    fn column_of(&self, header: &str) -> Option<Header> {
        let key = normalize_word(header);
        if key.is_empty() {
            return None;
        }
        let is = |h: &str, aliases: &[&str]| {
            normalize_word(h) == key || aliases.iter().any(|a| normalize_word(a) == key)
        };
        if is(self.id_header, self.id_aliases) {
            return Some(Header::Id);
        }
        if let Some(i) = self.columns.iter().position(|c| is(c.header, c.aliases)) {
            return Some(Header::Column(i));
        }
        match spelling::lookup(self.headers, header)? {
            "id" => Some(Header::Id),
            key => self
                .columns
                .iter()
                .position(|c| c.key == key)
                .map(Header::Column),
        }
    }

    /// The header of column `key` (`id` for the ID column) in `lang`.
    pub fn header_in(&self, key: &str, lang: Language) -> String {
        let english = if key == "id" {
            self.id_header
        } else {
            self.column(key).map_or(key, |c| c.header)
        };
        if lang == Language::En {
            return english.to_string();
        }
        spelling::word(self.headers, key, lang).unwrap_or_else(|| english.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Header {
    Id,
    Column(usize),
}

/// The meaning of a register's cells: each column's text made canonical, or why not.
/// An empty text is never passed: a blank cell is a blank value.
pub trait Values {
    fn canonical(&self, key: &'static str, text: &str) -> Result<String, String>;
}

/// A record as stored and circulated: its ID and the canonical text of every column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: String,
    pub fields: BTreeMap<&'static str, String>,
}

impl Record {
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }
}

/// One row of a sheet as read: its ID if it has one, and the canonical text of every
/// column the sheet has (empty for a blank cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub row: usize,
    pub id: Option<String>,
    pub fields: BTreeMap<&'static str, String>,
}

/// A register's sheet found in a workbook: where its header is and which cell holds what.
#[derive(Debug)]
pub struct Sheet {
    pub name: String,
    pub header_row: usize,
    columns: BTreeMap<Header, usize>,
    rows: Vec<(usize, Vec<Cell>)>,
    pub warnings: Vec<String>,
}

/// The register's sheet: the one named like it if its header is there, else the first
/// whose header row (within the first rows) names three of its columns, one of them
/// required.
pub fn find_sheet(schema: &Schema, grids: Vec<Grid>) -> Option<Sheet> {
    let mut ordered = grids;
    ordered.sort_by_key(|g| normalize_word(&g.name) != normalize_word(schema.sheet));
    ordered.into_iter().find_map(|g| header(schema, g))
}

fn header(schema: &Schema, g: Grid) -> Option<Sheet> {
    let pos = g
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| {
            let found: Vec<Header> = cells
                .iter()
                .filter_map(|c| schema.column_of(&c.text()))
                .collect();
            found.len() >= 3
                && found
                    .iter()
                    .any(|h| matches!(h, Header::Column(i) if schema.columns[*i].required))
        })?;
    let mut rows = g.rows;
    let tail = rows.split_off(pos + 1);
    let (header_row, cells) = rows.pop()?;
    let mut columns = BTreeMap::new();
    let mut warnings = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let text = c.text();
        if text.is_empty() {
            continue;
        }
        match schema.column_of(&text) {
            Some(h) if !columns.contains_key(&h) => {
                columns.insert(h, i);
            }
            Some(_) => warnings.push(format!("column '{text}' repeats; only the first is read")),
            None => warnings.push(format!(
                "column '{text}' is not a {} column and was ignored",
                schema.sheet
            )),
        }
    }
    Some(Sheet {
        name: g.name,
        header_row,
        columns,
        rows: tail,
        warnings,
    })
}

/// Every non-blank row of `sheet`, its cells made canonical; what cannot be read is a
/// row error (a bad ID, a value a column does not take, an ID on two rows: both).
pub fn read_rows(schema: &Schema, sheet: &Sheet, values: &dyn Values) -> (Vec<Row>, Vec<RowError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let cell = |cells: &[Cell], h: Header| {
        sheet
            .columns
            .get(&h)
            .and_then(|&i| cells.get(i))
            .map(Cell::text)
            .unwrap_or_default()
    };
    for (row, cells) in &sheet.rows {
        if cells.iter().all(|c| c.text().is_empty()) {
            continue;
        }
        let mut bad = Vec::new();
        let id_text = cell(cells, Header::Id);
        let id = if id_text.is_empty() {
            None
        } else {
            match schema.id_number(&id_text) {
                Ok(n) => Some(schema.id(n)),
                Err(message) => {
                    bad.push((schema.id_header, message));
                    None
                }
            }
        };
        let mut fields = BTreeMap::new();
        for &h in sheet.columns.keys() {
            let Header::Column(i) = h else { continue };
            let column = &schema.columns[i];
            if column.key == schema.updated {
                continue;
            }
            let text = cell(cells, h);
            if text.is_empty() {
                fields.insert(column.key, String::new());
                continue;
            }
            match values.canonical(column.key, &text) {
                Ok(v) => {
                    fields.insert(column.key, v);
                }
                Err(message) => bad.push((column.header, message)),
            }
        }
        if bad.is_empty() {
            out.push(Row {
                row: *row,
                id,
                fields,
            });
        } else {
            errors.extend(bad.into_iter().map(|(column, message)| RowError {
                row: *row,
                column: Some(column.into()),
                message,
            }));
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut twice = Vec::new();
    for r in &out {
        if let Some(id) = &r.id {
            if let Some(&first) = seen.get(id.as_str()) {
                twice.push((first, id.clone()));
                twice.push((r.row, id.clone()));
            } else {
                seen.insert(id, r.row);
            }
        }
    }
    twice.sort();
    twice.dedup();
    for (row, id) in &twice {
        errors.push(RowError {
            row: *row,
            column: Some(schema.id_header.into()),
            message: format!("{id} is on more than one row; keep one"),
        });
    }
    let dropped: std::collections::HashSet<usize> = twice.iter().map(|(row, _)| *row).collect();
    out.retain(|r| !dropped.contains(&r.row));
    errors.sort_by_key(|e| e.row);
    (out, errors)
}

/// The required columns a complete record lacks, as row errors.
pub fn missing(schema: &Schema, row: &Row) -> Vec<RowError> {
    schema
        .columns
        .iter()
        .filter(|c| c.required && row.fields.get(c.key).is_none_or(|v| v.is_empty()))
        .map(|c| RowError {
            row: row.row,
            column: Some(c.header.into()),
            message: format!("{} is required", c.header),
        })
        .collect()
}

/// A change a reply proposes to a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Change {
    Update {
        id: String,
        row: usize,
        field: &'static str,
        base: String,
        current: String,
        proposed: String,
        conflict: bool,
    },
    Add {
        row: usize,
        fields: BTreeMap<&'static str, String>,
    },
}

/// The three-way diff of a reply's rows: `base` the records as circulated, `ours` as they
/// are now. A field the reply leaves as circulated is no change (a stale copy never
/// reverts an approved one); one it changed is proposed, a conflict when ours moved too.
/// A row without an ID is a new record; an ID that was not circulated is an error;
/// blanking a required field is an error.
pub fn diff(
    schema: &Schema,
    base: &BTreeMap<String, Record>,
    ours: &BTreeMap<String, Record>,
    reply: &[Row],
) -> (Vec<Change>, Vec<RowError>) {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for r in reply {
        let Some(id) = &r.id else {
            let lacking = missing(schema, r);
            if lacking.is_empty() {
                changes.push(Change::Add {
                    row: r.row,
                    fields: r.fields.clone(),
                });
            } else {
                errors.extend(lacking);
            }
            continue;
        };
        let (Some(b), Some(o)) = (base.get(id), ours.get(id)) else {
            errors.push(RowError {
                row: r.row,
                column: Some(schema.id_header.into()),
                message: format!(
                    "{id} was not in the copy sent to you; leave {} blank for a new one",
                    schema.id_header
                ),
            });
            continue;
        };
        for (&key, theirs) in &r.fields {
            let (was, now) = (b.get(key), o.get(key));
            if theirs == was || theirs == now {
                continue;
            }
            let column = schema.column(key);
            if theirs.is_empty() && column.is_some_and(|c| c.required) {
                errors.push(RowError {
                    row: r.row,
                    column: column.map(|c| c.header.into()),
                    message: format!(
                        "{} is required; it cannot be blank",
                        column.map_or(key, |c| c.header)
                    ),
                });
                continue;
            }
            changes.push(Change::Update {
                id: id.clone(),
                row: r.row,
                field: key,
                base: was.to_string(),
                current: now.to_string(),
                proposed: theirs.clone(),
                conflict: was != now,
            });
        }
    }
    (changes, errors)
}

/// May `party` make `change`? A Party changes only its own records, and only what
/// `owner_editable` names; a new record must name it as owner (a blank owner is filled
/// with it before this is asked).
pub fn owner_may(
    schema: &Schema,
    party: &str,
    ours: &BTreeMap<String, Record>,
    change: &Change,
) -> bool {
    let editable = |key: &str| schema.owner_editable.contains(&key);
    match change {
        Change::Update { id, field, .. } => {
            ours.get(id).is_some_and(|r| r.get(schema.owner) == party) && editable(field)
        }
        Change::Add { fields, .. } => {
            fields.get(schema.owner).is_some_and(|o| o == party)
                && fields
                    .iter()
                    .all(|(k, v)| v.is_empty() || *k == schema.owner || editable(k))
        }
    }
}

/// Writes the register's sheet: a header row, one row per record, frozen header and a
/// filter; the ID column locked to the eye by its grey fill.
pub fn write_sheet(
    ws: &mut Worksheet,
    schema: &Schema,
    records: &[Record],
    lang: Language,
) -> Result<(), XlsxError> {
    ws.set_name(schema.sheet)?;
    let head = Format::new()
        .set_bold()
        .set_background_color("D9E2F3")
        .set_border_bottom(FormatBorder::Thin);
    let id_format = Format::new().set_background_color("F2F2F2");
    let wrap = Format::new().set_text_wrap();
    ws.write_string_with_format(0, 0, schema.header_in("id", lang), &head)?;
    ws.set_column_width(0, 12)?;
    for (i, c) in schema.columns.iter().enumerate() {
        let col = i as u16 + 1;
        ws.write_string_with_format(0, col, schema.header_in(c.key, lang), &head)?;
        ws.set_column_width(col, c.width)?;
    }
    for (r, record) in records.iter().enumerate() {
        let row = r as u32 + 1;
        ws.write_string_with_format(row, 0, &record.id, &id_format)?;
        for (i, c) in schema.columns.iter().enumerate() {
            let v = record.get(c.key);
            if !v.is_empty() {
                ws.write_string_with_format(row, i as u16 + 1, in_words(c, v, lang), &wrap)?;
            }
        }
    }
    // Drop-downs down to well below the last record, for the rows people add.
    let last = records.len() as u32 + 500;
    for (i, c) in schema.columns.iter().enumerate() {
        if c.choices.is_empty() {
            continue;
        }
        let choices: Vec<String> = c.choices.iter().map(|v| in_words(c, v, lang)).collect();
        let list = DataValidation::new()
            .allow_list_strings(&choices)?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title(crate::workbook::write::validation_title(
                &schema.header_in(c.key, lang),
            ))?
            .set_error_message(crate::workbook::write::words(
                lang,
                "validation-choose",
                &[("choices", &choices.join(", "))],
            ))?;
        ws.add_data_validation(1, i as u16 + 1, last, i as u16 + 1, &list)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, records.len() as u32, schema.columns.len() as u16)?;
    Ok(())
}

/// Value `v` of column `c` as a copy in `lang` writes it: a choice in the language's
/// words where the column has them, anything else as it is.
pub fn in_words(c: &Column, v: &str, lang: Language) -> String {
    match c.choice_words {
        Some(list) if lang != Language::En && !v.is_empty() => spelling::lookup(list, v)
            .and_then(|name| spelling::word(list, name, lang))
            .unwrap_or_else(|| v.to_string()),
        _ => v.to_string(),
    }
}

/// A workbook holding only the register's sheet with `records`: an export, or with no
/// records the empty template with its headers.
pub fn workbook(schema: &Schema, records: &[Record]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_sheet(wb.add_worksheet(), schema, records, Language::En)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST: Schema = Schema {
        sheet: "Things",
        id_prefix: "TH-",
        id_header: "Thing ID",
        id_aliases: &["ID"],
        columns: &[
            Column {
                key: "owner",
                header: "Owner",
                aliases: &[],
                required: true,
                width: 10.0,
                choices: &[],
                choice_words: None,
            },
            Column {
                key: "name",
                header: "Name",
                aliases: &["Title"],
                required: true,
                width: 10.0,
                choices: &[],
                choice_words: None,
            },
            Column {
                key: "note",
                header: "Note",
                aliases: &[],
                required: false,
                width: 10.0,
                choices: &[],
                choice_words: None,
            },
            Column {
                key: "updated",
                header: "Last updated",
                aliases: &[],
                required: false,
                width: 10.0,
                choices: &[],
                choice_words: None,
            },
        ],
        owner: "owner",
        owner_editable: &["name", "note"],
        updated: "updated",
        headers: List::ProgrammeHeader,
    };

    /// Upper-cases owners; refuses a note of "bad".
    struct Upper;
    impl Values for Upper {
        fn canonical(&self, key: &'static str, text: &str) -> Result<String, String> {
            match key {
                "owner" => Ok(text.to_uppercase()),
                "note" if text == "bad" => Err("'bad' is not a note".into()),
                _ => Ok(text.to_string()),
            }
        }
    }

    fn grid(name: &str, rows: &[&[&str]]) -> Grid {
        Grid {
            name: name.into(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| {
                    let cells = cells
                        .iter()
                        .map(|c| {
                            if c.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(c.to_string())
                            }
                        })
                        .collect();
                    (i + 1, cells)
                })
                .collect(),
        }
    }

    fn record(id: &str, owner: &str, name: &str, note: &str) -> (String, Record) {
        let fields = [("owner", owner), ("name", name), ("note", note)]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        (
            id.to_string(),
            Record {
                id: id.into(),
                fields,
            },
        )
    }

    fn read(rows: &[&[&str]]) -> (Vec<Row>, Vec<RowError>) {
        let sheet = find_sheet(&TEST, vec![grid("Things", rows)]).expect("a header");
        read_rows(&TEST, &sheet, &Upper)
    }

    #[test]
    fn the_header_is_found_under_a_title_and_in_the_sheet_named_like_the_register() {
        let other = grid(
            "Notes",
            &[&["Thing ID", "Owner", "Name"], &["TH-00001", "a", "x"]],
        );
        let ours = grid(
            "things",
            &[
                &["Our things"],
                &[],
                &["ID", "Title", "Owner", "Colour"],
                &["th-000002", "y", "b", "red"],
            ],
        );
        let sheet = find_sheet(&TEST, vec![other, ours]).expect("a header");
        assert_eq!((sheet.name.as_str(), sheet.header_row), ("things", 3));
        assert_eq!(sheet.warnings.len(), 1, "{:?}", sheet.warnings);
        let (rows, errors) = read_rows(&TEST, &sheet, &Upper);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].id.as_deref(), Some("TH-00002"));
        assert_eq!(rows[0].fields["owner"], "B");
        assert!(find_sheet(&TEST, vec![grid("x", &[&["Name", "Colour"]])]).is_none());
    }

    #[test]
    fn bad_ids_bad_values_and_an_id_on_two_rows_are_row_errors() {
        let (rows, errors) = read(&[
            &["Thing ID", "Owner", "Name", "Note"],
            &["TH-1", "a", "x", ""],
            &["TH-00003", "a", "x", "bad"],
            &["TH-00004", "a", "x", ""],
            &["", "a", "new", ""],
            &["TH-00004", "a", "y", ""],
        ]);
        let at: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.row, e.column.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            at,
            [
                (2, "Thing ID"),
                (3, "Note"),
                (4, "Thing ID"),
                (6, "Thing ID")
            ]
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, None);
    }

    #[test]
    fn the_three_way_diff_proposes_what_the_reply_changed_and_nothing_else() {
        let base: BTreeMap<_, _> = [
            record("TH-00001", "A", "x", ""),
            record("TH-00002", "A", "y", "n"),
        ]
        .into();
        let mut ours = base.clone();
        // An expert changed TH-00002's note since the copy went out.
        ours.insert(
            record("TH-00002", "A", "y", "expert").0,
            record("TH-00002", "A", "y", "expert").1,
        );
        let (rows, errors) = read(&[
            &["Thing ID", "Owner", "Name", "Note"],
            &["TH-00001", "a", "x2", ""], // name changed
            &["TH-00002", "a", "y", "n"], // a stale copy: reverts nothing
            &["", "a", "brand new", ""],  // an addition
            &["", "a", "", "no name"],    // an addition without a required field
            &["TH-00009", "a", "z", ""],  // not circulated
        ]);
        assert!(errors.is_empty());
        let (changes, errors) = diff(&TEST, &base, &ours, &rows);
        assert_eq!(
            changes,
            [
                Change::Update {
                    id: "TH-00001".into(),
                    row: 2,
                    field: "name",
                    base: "x".into(),
                    current: "x".into(),
                    proposed: "x2".into(),
                    conflict: false
                },
                Change::Add {
                    row: 4,
                    fields: [("owner", "A"), ("name", "brand new"), ("note", "")]
                        .map(|(k, v)| (k, v.to_string()))
                        .into()
                },
            ]
        );
        let at: Vec<_> = errors.iter().map(|e| e.row).collect();
        assert_eq!(at, [5, 6]);
        // A change both sides made differently is a conflict; one they agree on is none.
        let (rows, _) = read(&[
            &["Thing ID", "Owner", "Name", "Note"],
            &["TH-00002", "a", "y", "mine"],
        ]);
        let (changes, _) = diff(&TEST, &base, &ours, &rows);
        assert!(matches!(
            &changes[..],
            [Change::Update { conflict: true, .. }]
        ));
        let (rows, _) = read(&[
            &["Thing ID", "Owner", "Name", "Note"],
            &["TH-00002", "a", "y", "expert"],
        ]);
        assert!(diff(&TEST, &base, &ours, &rows).0.is_empty());
        // Blanking a required field is an error, not a change.
        let (rows, _) = read(&[&["Thing ID", "Owner", "Name"], &["TH-00001", "a", ""]]);
        let (changes, errors) = diff(&TEST, &base, &ours, &rows);
        assert!(
            changes.is_empty() && errors.len() == 1,
            "{changes:?} {errors:?}"
        );
    }

    #[test]
    fn an_owner_changes_only_what_it_may_in_its_own_records() {
        let ours: BTreeMap<_, _> = [
            record("TH-00001", "A", "x", ""),
            record("TH-00002", "B", "y", ""),
        ]
        .into();
        let update = |id: &str, field: &'static str| Change::Update {
            id: id.into(),
            row: 2,
            field,
            base: String::new(),
            current: String::new(),
            proposed: "z".into(),
            conflict: false,
        };
        let add = |owner: &str, note: &str| Change::Add {
            row: 3,
            fields: [("owner", owner), ("name", "n"), ("note", note)]
                .map(|(k, v)| (k, v.to_string()))
                .into(),
        };
        let table = [
            ("its own record's name", update("TH-00001", "name"), true),
            ("its own record's note", update("TH-00001", "note"), true),
            ("its own record's owner", update("TH-00001", "owner"), false),
            ("another's record", update("TH-00002", "name"), false),
            (
                "a record that does not exist",
                update("TH-00009", "name"),
                false,
            ),
            ("a new record of its own", add("A", "n"), true),
            ("a new record for another", add("B", ""), false),
        ];
        for (what, change, allowed) in table {
            assert_eq!(owner_may(&TEST, "A", &ours, &change), allowed, "{what}");
        }
    }

    #[test]
    fn ids_take_the_prefix_and_five_digits_or_more() {
        assert_eq!(TEST.id_number("th-00042"), Ok(42));
        assert_eq!(TEST.id_number(" TH-000000042 "), Ok(42));
        assert_eq!(TEST.id(42), "TH-00042");
        for bad in ["TH-42", "TH-0004a", "MN-00042", "TH-", "TH-1234567890123"] {
            assert!(TEST.id_number(bad).is_err(), "{bad}");
        }
    }
}
