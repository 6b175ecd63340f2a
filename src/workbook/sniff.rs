//! What a file really is, decided from its bytes before any spreadsheet reader sees it:
//! a zip container is checked part by part against the decompressed-size limit (the sizes
//! it declares, and again while inflating, since headers can lie), and files that are not
//! spreadsheets (encrypted workbooks, Word documents, HTML saved as .xls, images, PDFs)
//! are named for what they are.

use std::io::{Cursor, Read};

use super::read::ReadError;
use crate::settings::Limits;

/// The container a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A zip: xlsx, xlsm, xlsb or ods.
    Zip,
    /// An OLE compound file: xls (BIFF).
    Ole,
    /// Anything else: read as CSV text.
    Text,
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn not_a_spreadsheet(what: &str) -> ReadError {
    ReadError::NotASpreadsheet(what.to_string())
}

/// Decides what `bytes` hold and refuses what needsd must not or cannot read.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Container, ReadError> {
    let head = &bytes[..bytes.len().min(512)];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        check_zip(bytes, limits)?;
        return Ok(Container::Zip);
    }
    if bytes.starts_with(&OLE_MAGIC) {
        // An encrypted xlsx is an OLE file holding EncryptionInfo and EncryptedPackage
        // streams; their names are stored in UTF-16.
        if contains_utf16(bytes, "EncryptedPackage") || contains_utf16(bytes, "EncryptionInfo") {
            return Err(ReadError::Encrypted);
        }
        if contains_utf16(bytes, "WordDocument") {
            return Err(not_a_spreadsheet("a Word document"));
        }
        return Ok(Container::Ole);
    }
    let magic: [(&[u8], &str); 6] = [
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"{\\rtf", "an RTF document"),
        (b"BM", "a bitmap image"),
    ];
    for (m, what) in magic {
        if bytes.starts_with(m)
            && (what != "a bitmap image" || bytes.len() > 14 && bytes[6..10] == [0, 0, 0, 0])
        {
            return Err(not_a_spreadsheet(what));
        }
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || text.contains("<table")
    {
        return Err(not_a_spreadsheet(
            "an HTML page (a web table saved under a spreadsheet's name)",
        ));
    }
    if trimmed.starts_with("<?xml") {
        return Err(not_a_spreadsheet(
            "an XML file (perhaps an Excel 2003 XML spreadsheet)",
        ));
    }
    Ok(Container::Text)
}

fn contains_utf16(bytes: &[u8], name: &str) -> bool {
    let pattern: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    bytes
        .windows(pattern.len())
        .any(|w| w == pattern.as_slice())
}

/// Checks every part of a zip container: what it declares, then what it really inflates
/// to, stopping as soon as the total passes the limit.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let bad = |e: zip::result::ZipError| {
        ReadError::Unreadable(format!("the zip container is damaged ({e})"))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let limit = limits.decompressed_bytes;
    let mut declared: u64 = 0;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(bad)?;
        if f.encrypted() {
            return Err(ReadError::Encrypted);
        }
        declared = declared.saturating_add(f.size());
        names.push(f.name().map(|n| n.into_owned()).unwrap_or_default());
    }
    if declared > limit {
        return Err(ReadError::TooBig { limit });
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") {
        return Err(not_a_spreadsheet("a Word document"));
    }
    if has("ppt/presentation.xml") {
        return Err(not_a_spreadsheet("a PowerPoint presentation"));
    }
    if has("content.xml") {
        // calamine builds an ods sheet as a dense grid over its non-empty cells, and
        // repeat attributes let a few bytes claim a huge area: measure it first.
        let mut content = Vec::new();
        if let Ok(f) = zip.by_name("content.xml") {
            f.take(limit).read_to_end(&mut content).map_err(|e| {
                ReadError::Unreadable(format!("the zip container is damaged ({e})"))
            })?;
        }
        let area = ods_dense_area(&content);
        if area > limits.cells {
            return Err(ReadError::TooManyCells {
                sheet: "content.xml".into(),
                limit: limits.cells,
            });
        }
    }
    // calamine reserves room for as many shared strings as the file declares, before it
    // reads one: a 2 KB file declaring ten trillion would abort the process.
    for name in names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
    {
        let mut head = Vec::new();
        if let Ok(f) = zip.by_name(name) {
            let _ = f.take(64 * 1024).read_to_end(&mut head);
        }
        let declared = declared_unique_strings(&head);
        if declared > limits.cells {
            return Err(ReadError::TooManyStrings {
                declared,
                limit: limits.cells,
            });
        }
    }
    if has("META-INF/manifest.xml") {
        let mut manifest = String::new();
        if let Ok(f) = zip.by_name("META-INF/manifest.xml") {
            let _ = f.take(1 << 20).read_to_string(&mut manifest);
        }
        if manifest.contains("encryption-data") {
            return Err(ReadError::Encrypted);
        }
    }
    let mut total: u64 = 0;
    let mut sink = [0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(bad)?;
        loop {
            let n = f.read(&mut sink).map_err(|e| {
                ReadError::Unreadable(format!("the zip container is damaged ({e})"))
            })?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(ReadError::TooBig { limit });
            }
        }
    }
    Ok(())
}

/// The `uniqueCount` an xlsx `sharedStrings.xml` declares on its `<sst>` element (0 when it
/// declares none, or a number too long to be honest: `u64::MAX`).
pub fn declared_unique_strings(xml_head: &[u8]) -> u64 {
    let Some(start) = xml_head.windows(4).position(|w| w == b"<sst") else {
        return 0;
    };
    let tag = &xml_head[start..];
    let tag = &tag[..tag.iter().position(|&b| b == b'>').unwrap_or(tag.len())];
    let name = b"uniqueCount=";
    let Some(pos) = tag.windows(name.len()).position(|w| w == name) else {
        return 0;
    };
    let value = &tag[pos + name.len()..];
    let value = value
        .strip_prefix(b"\"")
        .or(value.strip_prefix(b"'"))
        .unwrap_or(value);
    let digits: Vec<u8> = value
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(if digits.is_empty() { 0 } else { u64::MAX })
}

/// The largest dense area (rows × columns up to the last non-empty cell) of any table in
/// an ods `content.xml`, with `number-rows-repeated` and `number-columns-repeated`
/// expanded arithmetically, never in memory. A cell counts as non-empty when it has an
/// `office:value-type`, which every ods writer sets on a cell with content.
pub fn ods_dense_area(xml: &[u8]) -> u64 {
    fn attr(tag: &[u8], name: &[u8]) -> Option<u64> {
        let pos = tag.windows(name.len()).position(|w| w == name)?;
        let rest = &tag[pos + name.len()..];
        let rest = rest.strip_prefix(b"=\"")?;
        let end = rest.iter().position(|&b| b == b'"')?;
        std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
    }
    let (mut best, mut row, mut col) = (0u64, 0u64, 0u64);
    let (mut max_row, mut max_col) = (0u64, 0u64);
    let (mut row_repeat, mut row_has_value) = (1u64, false);
    let mut i = 0;
    while let Some(off) = xml[i..].iter().position(|&b| b == b'<') {
        let start = i + off;
        let Some(len) = xml[start..].iter().position(|&b| b == b'>') else {
            break;
        };
        let tag = &xml[start..start + len];
        i = start + len + 1;
        if tag.starts_with(b"<table:table ") || tag == b"<table:table" {
            (row, max_row, max_col) = (0, 0, 0);
        } else if tag.starts_with(b"</table:table") && !tag.starts_with(b"</table:table-") {
            best = best.max(max_row.saturating_mul(max_col));
        } else if tag.starts_with(b"<table:table-row") {
            row_repeat = attr(tag, b"table:number-rows-repeated").unwrap_or(1);
            row_has_value = false;
            col = 0;
        } else if tag.starts_with(b"</table:table-row") {
            if row_has_value {
                max_row = max_row.max(row.saturating_add(row_repeat));
            }
            row = row.saturating_add(row_repeat);
        } else if tag.starts_with(b"<table:table-cell")
            || tag.starts_with(b"<table:covered-table-cell")
        {
            let repeat = attr(tag, b"table:number-columns-repeated").unwrap_or(1);
            col = col.saturating_add(repeat);
            if tag.windows(17).any(|w| w == b"office:value-type") {
                row_has_value = true;
                max_col = max_col.max(col);
            }
        }
    }
    best.max(max_row.saturating_mul(max_col))
}

/// For an OpenDocument spreadsheet: the same archive with the whitespace-only text
/// between elements of `content.xml` removed (Gnumeric indents its XML, which calamine
/// cannot read). `None` for anything else. Only whitespace between two tags goes; cell
/// text is trimmed by the reader anyway.
pub fn compact_ods(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut mimetype = String::new();
    zip.by_name("mimetype")
        .ok()?
        .take(200)
        .read_to_string(&mut mimetype)
        .ok()?;
    if mimetype.trim() != "application/vnd.oasis.opendocument.spreadsheet" {
        return None;
    }
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    // mimetype first and stored, as the format asks.
    out.start_file("mimetype", stored).ok()?;
    out.write_all(mimetype.trim().as_bytes()).ok()?;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).ok()?;
        let name = f.name().ok()?.into_owned();
        if name == "mimetype" || f.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        // The container passed `inspect`, so every part fits the decompressed limit.
        f.read_to_end(&mut data).ok()?;
        if name == "content.xml" {
            data = strip_inter_tag_whitespace(&data);
        }
        out.start_file(name, deflated).ok()?;
        out.write_all(&data).ok()?;
    }
    Some(out.finish().ok()?.into_inner())
}

fn strip_inter_tag_whitespace(xml: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(xml.len());
    let mut i = 0;
    while i < xml.len() {
        out.push(xml[i]);
        if xml[i] == b'>' {
            let mut j = i + 1;
            while j < xml.len() && xml[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < xml.len() && xml[j] == b'<' {
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The `needsd.*` custom document properties of an xlsx (`docProps/custom.xml`) or ods
/// (`meta.xml`): the stamp's second home, for programs that drop hidden sheets.
pub fn stamp_properties(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let mut xml = String::new();
    for part in ["docProps/custom.xml", "meta.xml"] {
        if let Ok(f) = zip.by_name(part) {
            let _ = f.take(1 << 20).read_to_string(&mut xml);
        }
    }
    let mut out = Vec::new();
    let mut rest = xml.as_str();
    while let Some(i) = rest.find("name=\"needsd.") {
        rest = &rest[i + "name=\"needsd.".len()..];
        let Some(q) = rest.find('"') else { break };
        let key = rest[..q].to_string();
        let Some(open) = rest.find('>') else { break };
        let body = &rest[open + 1..];
        let end = ["</property>", "</meta:user-defined>"]
            .iter()
            .filter_map(|t| body.find(t))
            .min()
            .unwrap_or(body.len());
        out.push((key, unescape(&strip_tags(&body[..end]))));
        rest = &body[end..];
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in parts {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_declared_size() {
        let zeros = vec![0u8; 5_000_000];
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
        assert!(bomb.len() < 50_000);
        let small = Limits {
            decompressed_bytes: 1_000_000,
            ..Limits::default()
        };
        assert_eq!(
            inspect(&bomb, &small),
            Err(ReadError::TooBig { limit: 1_000_000 })
        );
        assert_eq!(inspect(&bomb, &Limits::default()), Ok(Container::Zip));
    }

    #[test]
    fn a_zip_that_lies_about_its_size_is_caught_while_inflating() {
        let zeros = vec![0u8; 3_000_000];
        let mut bomb = zip_of(&[("a.xml", &zeros)]);
        // Rewrite the declared uncompressed size (local header offset 22, central
        // directory entry offset 24) to 10 bytes.
        let lie = 10u32.to_le_bytes();
        bomb[22..26].copy_from_slice(&lie);
        let cd = bomb.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bomb[cd + 24..cd + 28].copy_from_slice(&lie);
        let small = Limits {
            decompressed_bytes: 1_000_000,
            ..Limits::default()
        };
        // The declared sizes pass the limit; inflating finds the lie. The zip crate stops
        // a part at its declared size, and the count in check_zip would stop the total.
        let r = inspect(&bomb, &small);
        assert!(
            matches!(&r, Err(ReadError::Unreadable(m)) if m.contains("larger than its declared")),
            "{r:?}"
        );
    }

    #[test]
    fn the_stamp_is_read_from_document_properties() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.set_properties(
            &rust_xlsxwriter::DocProperties::new()
                .set_custom_property("needsd.cycle", "2026-12")
                .set_custom_property("needsd.token", "a&b"),
        );
        wb.add_worksheet();
        let bytes = wb.save_to_buffer().unwrap();
        assert_eq!(
            stamp_properties(&bytes),
            vec![
                ("cycle".to_string(), "2026-12".to_string()),
                ("token".to_string(), "a&b".to_string())
            ]
        );
        assert!(stamp_properties(b"not a zip").is_empty());
    }

    #[test]
    fn ods_repeats_are_measured_not_expanded() {
        let cell =
            r#"<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>"#;
        let normal = format!(
            r#"<table:table table:name="M"><table:table-row>{cell}{cell}</table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#
        );
        assert_eq!(
            ods_dense_area(normal.as_bytes()),
            2,
            "trailing empty repeats cost nothing"
        );
        let hostile = r#"<table:table><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float"/></table:table-row></table:table>"#;
        assert_eq!(ods_dense_area(hostile.as_bytes()), 16_384_000_000);
    }

    #[test]
    fn a_hostile_ods_is_refused_before_calamine_sees_it() {
        let content = br#"<office:document-content><table:table><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table></office:document-content>"#;
        let ods = zip_of(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("content.xml", content),
        ]);
        assert!(matches!(
            inspect(&ods, &Limits::default()),
            Err(ReadError::TooManyCells { .. })
        ));
    }

    #[test]
    fn whitespace_between_tags_goes_and_text_stays() {
        assert_eq!(
            strip_inter_tag_whitespace(b"<a>\n  <b> x y </b>\n</a>"),
            b"<a><b> x y </b></a>".to_vec()
        );
    }

    #[test]
    fn a_truncated_workbook_is_an_error() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, "Need ID").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let half = &bytes[..bytes.len() / 2];
        assert!(matches!(
            inspect(half, &Limits::default()),
            Err(ReadError::Unreadable(_))
        ));
    }

    #[test]
    fn files_that_are_not_spreadsheets_are_named() {
        let l = Limits::default();
        let word = zip_of(&[("word/document.xml", b"<w:document/>")]);
        let msg = |r: Result<Container, ReadError>| r.unwrap_err().to_string();
        assert!(msg(inspect(&word, &l)).contains("a Word document"));
        assert!(msg(inspect(b"\x89PNG\r\n\x1a\n....", &l)).contains("a PNG image"));
        assert!(
            msg(inspect(
                b"<html><body><table><tr><td>1</td></tr></table>",
                &l
            ))
            .contains("an HTML page")
        );
        assert!(msg(inspect(b"%PDF-1.7", &l)).contains("a PDF"));
        let ods_encrypted = zip_of(&[(
            "META-INF/manifest.xml",
            b"<manifest:file-entry><manifest:encryption-data/></manifest:file-entry>",
        )]);
        assert_eq!(inspect(&ods_encrypted, &l), Err(ReadError::Encrypted));
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend(
            "EncryptionInfo"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        );
        assert_eq!(inspect(&ole, &l), Err(ReadError::Encrypted));
        assert_eq!(inspect(b"a,b\n1,2\n", &l), Ok(Container::Text));
    }

    #[test]
    fn the_declared_count_of_shared_strings_is_read_from_the_sst_element() {
        let sst = |attrs: &str| {
            format!("<?xml version=\"1.0\"?><sst xmlns=\"x\" {attrs}><si><t>a</t></si></sst>")
        };
        assert_eq!(
            declared_unique_strings(sst("count=\"3\" uniqueCount=\"2\"").as_bytes()),
            2
        );
        assert_eq!(
            declared_unique_strings(sst("uniqueCount='10000000000000'").as_bytes()),
            10_000_000_000_000
        );
        assert_eq!(
            declared_unique_strings(sst("uniqueCount=\"99999999999999999999999\"").as_bytes()),
            u64::MAX
        );
        assert_eq!(declared_unique_strings(sst("count=\"3\"").as_bytes()), 0);
        assert_eq!(declared_unique_strings(b"<sst"), 0);
        assert_eq!(declared_unique_strings(b"not xml"), 0);
    }
}
