//! CSV as spreadsheets save it: UTF-8 (with or without BOM), UTF-16 LE/BE with BOM, or
//! Windows-1252; separated by `,` `;` or tab. Detected, never asked for.

use std::collections::HashMap;

use thiserror::Error;

use crate::settings::Limits;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CsvError {
    #[error("the CSV file cannot be read: {0}")]
    Malformed(String),
    #[error("the CSV file is over the limits: {0}")]
    TooLarge(String),
}

/// One record with its 1-based row as a spreadsheet program shows the file (blank lines
/// count as rows; a quoted cell's inner line breaks do not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub records: Vec<Record>,
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// Decodes `bytes` to text by BOM, else strict UTF-8, else Windows-1252 (which maps
/// every byte, so this never fails on 8-bit text).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), "windows-1252")
        }
    }
}

/// The separator that splits the most sample lines into the same number (above one) of
/// fields; a title line or a stray comma in a cell does not decide it.
fn sniff_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', (0usize, 0usize));
    for d in [b',', b';', b'\t'] {
        let mut freq: HashMap<usize, usize> = HashMap::new();
        for l in &sample {
            let n = count_outside_quotes(l, d as char);
            if n > 0 {
                *freq.entry(n).or_default() += 1;
            }
        }
        // How many lines agree, then how many fields they have.
        let score = freq
            .into_iter()
            .map(|(n, k)| (k, n))
            .max()
            .unwrap_or((0, 0));
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == d && !quoted
        })
        .count()
}

/// Reads every record of a CSV file. Ragged rows are kept as they are.
pub fn read_table(bytes: &[u8], limits: &Limits) -> Result<Table, CsvError> {
    let (text, encoding) = decode(bytes);
    if text.contains('\0') {
        return Err(CsvError::Malformed(
            "it holds NUL bytes, so it is not text".into(),
        ));
    }
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut cells: u64 = 0;
    // Newlines inside quoted cells: a spreadsheet shows such a record as one row.
    let mut inner_newlines = 0;
    for rec in reader.records() {
        let rec = rec.map_err(|e| CsvError::Malformed(e.to_string()))?;
        // The reader reports the position before any blank lines it skipped: move past
        // them so the line is the one the record starts on.
        let (mut line, byte) = rec
            .position()
            .map(|p| (p.line() as usize, p.byte() as usize))
            .unwrap_or((0, 0));
        for b in text.as_bytes().iter().skip(byte) {
            match b {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
        }
        cells += rec.len() as u64;
        if records.len() as u64 >= limits.rows {
            return Err(CsvError::TooLarge(format!(
                "it has more than {} rows",
                limits.rows
            )));
        }
        if cells > limits.cells {
            return Err(CsvError::TooLarge(format!(
                "it has more than {} cells",
                limits.cells
            )));
        }
        let row = line - inner_newlines;
        inner_newlines += rec.iter().map(|c| c.matches('\n').count()).sum::<usize>();
        records.push(Record {
            line: row,
            cells: rec.iter().map(str::to_string).collect(),
        });
    }
    Ok(Table {
        records,
        encoding,
        delimiter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_encodings_and_separators() {
        let t = read_table("a;b\n\"x;y\";é\n".as_bytes(), &Limits::default()).unwrap();
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.records[1].cells, vec!["x;y", "é"]);
        assert_eq!(t.records[1].line, 2);

        let mut utf16 = vec![0xFF, 0xFE];
        for u in "a\tb\r\nç\tñ\r\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let t = read_table(&utf16, &Limits::default()).unwrap();
        assert_eq!(t.delimiter, b'\t');
        assert_eq!(t.records[1].cells, vec!["ç", "ñ"]);

        let t = read_table(b"a,b\n\xe9t\xe9,x\n", &Limits::default()).unwrap();
        assert_eq!(t.encoding, "windows-1252");
        assert_eq!(t.records[1].cells[0], "été");

        let t = read_table(
            "Reply from Kenya, December\n\na;b;c\n1;2,5;3\n4;5;6\n".as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            t.delimiter, b';',
            "a title line does not decide the separator"
        );

        let t = read_table("\u{feff}a,b\n1,2\n".as_bytes(), &Limits::default()).unwrap();
        assert_eq!(t.records[0].cells[0], "a");
    }

    #[test]
    fn limits_stop_the_read() {
        let many = "a\n".repeat(100);
        let small = Limits {
            rows: 50,
            ..Limits::default()
        };
        assert!(matches!(
            read_table(many.as_bytes(), &small),
            Err(CsvError::TooLarge(_))
        ));
        let cells = Limits {
            cells: 10,
            ..Limits::default()
        };
        assert!(matches!(
            read_table(b"a,b,c,d\n1,2,3,4\n5,6,7,8\n", &cells),
            Err(CsvError::TooLarge(_))
        ));
    }

    #[test]
    fn multi_line_cells_keep_their_starting_line() {
        let t = read_table(b"a,b\n\"one\ntwo\",x\ny,z\n", &Limits::default()).unwrap();
        assert_eq!(t.records[1].line, 2);
        assert_eq!(t.records[2].line, 3, "a quoted line break is not a row");
    }
}
