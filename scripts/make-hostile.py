#!/usr/bin/env python3
"""Generate hostile spreadsheet attachments: inputs for needsd's adversary test suite.

Usage (from the repository root; Python 3.11, standard library only):
    python3 scripts/make-hostile.py OUTDIR                 # the named files below
    python3 scripts/make-hostile.py OUTDIR --fuzz N SEED   # N mutated files instead

Every hostile file must be refused by needsd with one sentence, within a second and
under 200 MB of memory, and must never crash it (no panic, no abort, no OOM kill).
Each file is small (well under 200 KB on disk); the danger is in what it declares.

Named files (written by the first form, then re-read and checked by this script):

  xlsx-valid.xlsx
      Control. A minimal honest xlsx: one sheet "Matrix" whose row 1 holds the headers
      Need ID, State, Area, Need, Priority, Status and whose row 2 holds one need, all
      strings shared. needsd must still read this one.

  xlsx-shared-strings-count.xlsx
      Byte for byte the control except that <sst> in xl/sharedStrings.xml declares
      count="10000000000000" uniqueCount="10000000000000" while it holds only the
      control's few <si> entries. calamine reserves memory by the declared uniqueCount
      when the workbook is opened, and the process aborts.

  xlsx-shared-string-fanout.xlsx
      One shared string of 5,000,000 characters ('A' repeated) referenced by 20,000
      cells (t="s", v="0") under the Matrix header row: about 100 GB once every cell
      holds its own copy. Deflate keeps the file small.

  xls-huge-dimensions.xls
      A BIFF8 workbook in an OLE2 (Compound File Binary) container: Workbook stream
      with BOF, CODEPAGE, BOUNDSHEET "Matrix", SST, EOF, then the sheet's BOF, a
      DIMENSIONS record (0x0200) with rwMic=0, rwMac=0xFFFFFFFF, colMic=0, colMac=256,
      the header cells (LABELSST), one NUMBER cell and EOF. calamine reserves
      rows x columns cells from DIMENSIONS while opening the file.

  xls-huge-dimensions-2.xls
      The same with rwMac=1,048,576 and colMac=16,384 (an xlsx-sized sheet, beyond
      BIFF8's 65,536 rows and 256 columns).

  xls-valid.xls
      Control. The same workbook with honest DIMENSIONS (rwMac=2, colMac=6). If needsd
      reads this one, the two files above reach calamine's DIMENSIONS handling.

  ods-repeat-bomb.ods
      An ods (mimetype stored first, META-INF/manifest.xml, content.xml) whose Matrix
      table has the header row and then one row with table:number-rows-repeated=
      "1000000" holding one valued cell with table:number-columns-repeated="16384":
      16,384,000,000 cells once expanded.

  ods-valid.ods
      Control. The same ods without the repeated row, with one honest data row.

Fuzz mode writes fuzz-00000.xlsx, fuzz-00001.xls, fuzz-00002.ods, fuzz-00003.xlsx, ...
(cycling the three formats). Each is a mutation of the valid base of its format: random
declared counts (sst count/uniqueCount, <dimension ref>, BIFF DIMENSIONS and SST
counts, BOUNDSHEET offsets, CFB header/FAT/directory fields, ods rows/columns-repeated
up to 2^31 and beyond), zip entries whose declared sizes or CRCs lie, a few flipped
bytes, truncation at a random offset. File i depends only on SEED and i, so the same
SEED gives the same files. Fuzz files are deliberately not checked for validity.

Layout of the .xls container ([MS-CFB] version 3, 512-byte sectors): header, then the
FAT sector(s), one directory sector (Root Entry, "Workbook", two free entries), then the
Workbook stream, padded with zero bytes after its last EOF to 4,096 bytes so that it is a
regular stream, not one in the mini stream; the file has no mini FAT and no mini stream.
"""

import argparse
import io
import os
import random
import struct
import sys
import zipfile
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

HEADERS = ["Need ID", "State", "Area", "Need", "Priority", "Status"]
ROW2 = ["N-0001", "Ghana", "Health", "Cold-chain storage", 1, "Open"]
SHEET = "Matrix"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# ---------------------------------------------------------------------------- zip


def zip_bytes(entries):
    """entries: [(name, bytes, stored?)] -> deterministic zip archive bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, stored in entries:
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            if stored:
                zi.compress_type = zipfile.ZIP_STORED
                z.writestr(zi, data)
            else:
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, data, compresslevel=9)
    return buf.getvalue()


def zip_central_entries(data):
    """Central-directory entries of a zip we wrote: [(cd_off, local_off, name)]."""
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0:
        return []
    count, _size, cd_off = struct.unpack_from("<HII", data, eocd + 10)
    out, p = [], cd_off
    for _ in range(count):
        if data[p:p + 4] != b"PK\x01\x02":
            break
        nlen, elen, clen = struct.unpack_from("<HHH", data, p + 28)
        local = struct.unpack_from("<I", data, p + 42)[0]
        out.append((p, local, data[p + 46:p + 46 + nlen].decode("utf-8", "replace")))
        p += 46 + nlen + elen + clen
    return out


# --------------------------------------------------------------------------- xlsx

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_BASE = "application/vnd.openxmlformats-officedocument.spreadsheetml."

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{CT_BASE}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT_BASE}worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT_BASE}sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{CT_BASE}styles+xml"/>'
    "</Types>"
)

ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{NS_PKG_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
    f'<sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)

WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{NS_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{NS_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)

STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def col_name(c):
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def sst_xml(strings, count, unique):
    sis = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{NS_MAIN}" count="{count}" uniqueCount="{unique}">{sis}</sst>'
    )


def sheet_xml(rows, dimension):
    """rows: [(row_attr, [(ref, t, v)])]; t is "s" (shared index) or "n"."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">',
    ]
    if dimension is not None:
        out.append(f"<dimension ref={quoteattr(dimension)}/>")
    out.append("<sheetData>")
    for row_attr, cells in rows:
        out.append(f'<row r="{row_attr}">')
        for ref, t, v in cells:
            ta = ' t="s"' if t == "s" else ""
            out.append(f'<c r="{ref}"{ta}><v>{v}</v></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def control_sheet():
    """Shared strings and rows of the control workbook (all strings shared)."""
    strings, rows = [], []
    for r, values in enumerate([HEADERS, ROW2], start=1):
        cells = []
        for c, v in enumerate(values):
            ref = f"{col_name(c)}{r}"
            if isinstance(v, str):
                cells.append((ref, "s", len(strings)))
                strings.append(v)
            else:
                cells.append((ref, "n", v))
        rows.append((str(r), cells))
    return strings, rows


def xlsx_parts(strings, rows, count, unique, dimension):
    return [
        ("[Content_Types].xml", CONTENT_TYPES.encode()),
        ("_rels/.rels", ROOT_RELS.encode()),
        ("xl/workbook.xml", WORKBOOK.encode()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.encode()),
        ("xl/styles.xml", STYLES.encode()),
        ("xl/sharedStrings.xml", sst_xml(strings, count, unique).encode()),
        ("xl/worksheets/sheet1.xml", sheet_xml(rows, dimension).encode()),
    ]


def xlsx_file(parts):
    return zip_bytes([(n, d, False) for n, d in parts])


def make_xlsx_valid():
    strings, rows = control_sheet()
    n = sum(1 for _, cells in rows for c in cells if c[1] == "s")
    return xlsx_file(xlsx_parts(strings, rows, n, len(strings), "A1:F2"))


def make_xlsx_sst_count():
    strings, rows = control_sheet()
    big = "10000000000000"
    return xlsx_file(xlsx_parts(strings, rows, big, big, "A1:F2"))


def make_xlsx_fanout(length=5_000_000, refs=20_000, width=20):
    strings = ["A" * length] + HEADERS
    rows = [("1", [(f"{col_name(c)}1", "s", c + 1) for c in range(len(HEADERS))])]
    r = 2
    left = refs
    while left:
        n = min(width, left)
        rows.append((str(r), [(f"{col_name(c)}{r}", "s", 0) for c in range(n)]))
        left -= n
        r += 1
    dim = f"A1:{col_name(max(width, len(HEADERS)) - 1)}{r - 1}"
    return xlsx_file(xlsx_parts(strings, rows, refs + len(HEADERS), len(strings), dim))


# ---------------------------------------------------------------------------- ods

ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
NS_ODS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell(value, cols_repeated=None):
    rep = "" if cols_repeated is None else f' table:number-columns-repeated="{cols_repeated}"'
    if value is None:
        return f"<table:table-cell{rep}/>"
    if isinstance(value, str):
        return (f'<table:table-cell{rep} office:value-type="string">'
                f"<text:p>{escape(value)}</text:p></table:table-cell>")
    return (f'<table:table-cell{rep} office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>")


def ods_content(rows, columns_repeated=len(HEADERS)):
    """rows: [(rows_repeated or None, [cell xml])]. No whitespace between elements:
    calamine refuses indented ods XML."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<office:document-content {NS_ODS} office:version="1.2">',
        "<office:body><office:spreadsheet>",
        f'<table:table table:name="{SHEET}">',
        f'<table:table-column table:number-columns-repeated="{columns_repeated}"/>',
    ]
    for rep, cells in rows:
        attr = "" if rep is None else f' table:number-rows-repeated="{rep}"'
        out.append(f"<table:table-row{attr}>{''.join(cells)}</table:table-row>")
    out.append("</table:table></office:spreadsheet></office:body></office:document-content>")
    return "".join(out)


def ods_file(content):
    return zip_bytes([
        ("mimetype", ODS_MIME, True),
        ("META-INF/manifest.xml", MANIFEST.encode(), False),
        ("content.xml", content.encode(), False),
    ])


def ods_header_row():
    return (None, [ods_cell(h) for h in HEADERS])


def make_ods_valid():
    return ods_file(ods_content([ods_header_row(), (None, [ods_cell(v) for v in ROW2])]))


def make_ods_bomb():
    bomb = ("1000000", [ods_cell(1, "16384")])
    return ods_file(ods_content([ods_header_row(), bomb], columns_repeated="16384"))


# ---------------------------------------------------------------------------- xls

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
CFB_SIG = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
SECTOR = 512


def rec(typ, payload):
    """One BIFF record; the length field is the payload's (fuzz may patch it)."""
    return struct.pack("<HH", typ, len(payload) & 0xFFFF) + payload


def bof(dt):
    # BIFF8 BOF [MS-XLS 2.4.21]: vers, dt, rupBuild, rupYear, bfh, sfo.
    return rec(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))


def xl_unicode_rich(s):
    # XLUnicodeRichExtendedString with fHighByte=0 (Latin-1 bytes), no runs, no ExtRst.
    return struct.pack("<HB", len(s), 0) + s.encode("latin-1")


def workbook_stream(dims=(0, 2, 0, 6), dims_raw=None, sst_counts=None,
                    strings=None, labels=None, number=(1, 4, 1.0), pos_override=None,
                    pad_to=4096):
    """The Workbook stream of a one-sheet BIFF8 workbook.

    dims: (rwMic, rwMac, colMic, colMac) of the DIMENSIONS record, where rwMac and
    colMac are one past the last used row and column ([MS-XLS 2.4.90]).
    labels: [(row, col, isst)] LABELSST cells; number: (row, col, value) or None.
    Returns (stream, offsets) where offsets names where each record starts."""
    strings = HEADERS if strings is None else strings
    if labels is None:
        labels = [(0, c, c) for c in range(len(strings[:len(HEADERS)]))]
    if sst_counts is None:
        sst_counts = (len(labels), len(strings))
    name = SHEET.encode("latin-1")
    off = {}
    g = bytearray()
    g += bof(0x0005)
    g += rec(0x0042, struct.pack("<H", 1200))              # CODEPAGE: UTF-16LE
    off["boundsheet"] = len(g)
    g += rec(0x0085, struct.pack("<IBBBB", 0, 0, 0, len(name), 0) + name)
    off["sst"] = len(g)
    g += rec(0x00FC, struct.pack("<II", *sst_counts) + b"".join(xl_unicode_rich(s) for s in strings))
    g += rec(0x000A, b"")                                  # EOF of the globals
    sheet_pos = len(g)
    off["sheet"] = sheet_pos
    struct.pack_into("<I", g, off["boundsheet"] + 4,
                     sheet_pos if pos_override is None else pos_override & 0xFFFFFFFF)
    g += bof(0x0010)
    off["dimensions"] = len(g)
    if dims_raw is None:
        rf, rl, cf, cl = dims
        dims_raw = struct.pack("<IIHHH", rf & 0xFFFFFFFF, rl & 0xFFFFFFFF,
                               cf & 0xFFFF, cl & 0xFFFF, 0)
    g += rec(0x0200, dims_raw)
    off["cells"] = len(g)
    for r, c, i in labels:
        g += rec(0x00FD, struct.pack("<HHHI", r & 0xFFFF, c & 0xFFFF, 0, i & 0xFFFFFFFF))
    if number is not None:
        r, c, v = number
        g += rec(0x0203, struct.pack("<HHHd", r & 0xFFFF, c & 0xFFFF, 0, v))
    g += rec(0x000A, b"")
    off["end"] = len(g)
    if len(g) < pad_to:
        g += bytes(pad_to - len(g))   # after the last EOF: never read as records
    return bytes(g), off


def dir_entry(name, typ, left=NOSTREAM, right=NOSTREAM, child=NOSTREAM, start=0, size=0):
    """One 128-byte [MS-CFB 2.6] directory entry; typ 0 = unused, 2 = stream, 5 = root."""
    if typ == 0:
        return bytes(64) + struct.pack("<HBBIII", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) \
            + bytes(16 + 4 + 16 + 4 + 8)
    raw = name.encode("utf-16-le") + b"\0\0"
    e = raw.ljust(64, b"\0")
    e += struct.pack("<HBB", len(raw), typ, 1)             # name length, type, black
    e += struct.pack("<III", left, right, child)
    e += bytes(16)                                         # CLSID
    e += struct.pack("<I", 0)                              # state bits
    e += bytes(16)                                         # creation, modified times
    e += struct.pack("<IQ", start, size)                   # start sector, size (u64)
    assert len(e) == 128
    return e


def cfb_file(stream, knobs=None):
    """A version-3 compound file whose only stream is "Workbook".

    Layout: header, FAT sectors 0..k-1, directory sector k, stream sectors k+1...
    knobs (fuzzing only) override header/directory/FAT fields after layout."""
    knobs = knobs or {}
    n_ws = (len(stream) + SECTOR - 1) // SECTOR
    k = 1
    while k * (SECTOR // 4) < k + 1 + n_ws:
        k += 1
    assert k <= 109, "stream too large for a header-only DIFAT"
    dir_sec = k
    ws_start = k + 1
    fat = [FREESECT] * (k * SECTOR // 4)
    for i in range(k):
        fat[i] = FATSECT
    fat[dir_sec] = ENDOFCHAIN
    for i in range(n_ws):
        fat[ws_start + i] = ws_start + i + 1 if i + 1 < n_ws else ENDOFCHAIN
    for idx, val in knobs.get("fat_patch", {}).items():
        fat[idx % len(fat)] = val & 0xFFFFFFFF

    difat = list(range(k)) + [FREESECT] * (109 - k)
    for idx, val in knobs.get("difat_patch", {}).items():
        difat[idx % 109] = val & 0xFFFFFFFF
    hdr = bytearray()
    hdr += CFB_SIG + bytes(16)
    hdr += struct.pack("<HHHHH", 0x003E, knobs.get("major", 3), 0xFFFE,
                       knobs.get("sector_shift", 9), knobs.get("mini_shift", 6))
    hdr += bytes(6)
    hdr += struct.pack("<IIII", 0, knobs.get("fat_count", k),
                       knobs.get("dir_start", dir_sec), 0)
    hdr += struct.pack("<IIIII", 4096, knobs.get("minifat_start", ENDOFCHAIN),
                       knobs.get("minifat_len", 0), knobs.get("difat_start", ENDOFCHAIN),
                       knobs.get("difat_len", 0))
    hdr += struct.pack("<109I", *difat)
    assert len(hdr) == SECTOR

    dirs = dir_entry("Root Entry", 5, child=1, start=knobs.get("root_start", ENDOFCHAIN),
                     size=knobs.get("root_size", 0))
    dirs += dir_entry("Workbook", 2, start=knobs.get("stream_start", ws_start),
                      size=knobs.get("stream_size", len(stream)))
    dirs += dir_entry("", 0) + dir_entry("", 0)

    out = bytearray(hdr)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += dirs
    out += stream.ljust(n_ws * SECTOR, b"\0")
    return bytes(out)


def make_xls(dims):
    return cfb_file(workbook_stream(dims=dims)[0])


# ------------------------------------------------------------------ self-checks


def read_cfb_stream(data, want="Workbook"):
    """Re-read a version-3 compound file strictly and return the stream named want."""
    if len(data) < SECTOR or data[:8] != CFB_SIG:
        raise ValueError("no CFB signature")
    minor, major, order, shift, mshift = struct.unpack_from("<HHHHH", data, 24)
    if (major, order, shift, mshift) != (3, 0xFFFE, 9, 6):
        raise ValueError(f"unexpected header {major} {order:#x} {shift} {mshift}")
    n_dirsec, n_fat, dir_start, _tx, cutoff, mf_start, n_mf, dif_start, n_dif = \
        struct.unpack_from("<IIIIIIIII", data, 40)
    if n_dirsec != 0 or cutoff != 4096:
        raise ValueError("bad directory-sector count or mini stream cutoff")
    nsec = (len(data) - SECTOR) // SECTOR
    if (len(data) - SECTOR) % SECTOR:
        raise ValueError("file is not a whole number of sectors")

    def sector(i):
        if i >= nsec:
            raise ValueError(f"sector {i} beyond end of file")
        return data[SECTOR * (i + 1):SECTOR * (i + 2)]

    difat = list(struct.unpack_from("<109I", data, 76))
    if n_dif or dif_start != ENDOFCHAIN:
        raise ValueError("unexpected DIFAT sectors")
    fat_secs = [s for s in difat if s != FREESECT]
    if len(fat_secs) != n_fat:
        raise ValueError("FAT sector count disagrees with DIFAT")
    fat = []
    for s in fat_secs:
        fat.extend(struct.unpack("<128I", sector(s)))
        if fat[s] != FATSECT:
            raise ValueError(f"FAT sector {s} not marked FATSECT")
    if len(fat) < nsec:
        raise ValueError("FAT does not cover the file")

    def chain(start):
        out, seen, s = [], set(), start
        while s != ENDOFCHAIN:
            if s in seen or s >= nsec:
                raise ValueError(f"bad chain at {s}")
            seen.add(s)
            out.append(s)
            s = fat[s]
        return out

    dir_bytes = b"".join(sector(s) for s in chain(dir_start))
    entries = []
    for o in range(0, len(dir_bytes), 128):
        e = dir_bytes[o:o + 128]
        nlen, typ, _color, left, right, child = struct.unpack_from("<HBBIII", e, 64)
        start, size = struct.unpack_from("<IQ", e, 116)
        name = e[:max(nlen - 2, 0)].decode("utf-16-le") if nlen else ""
        entries.append((name, typ, left, right, child, start, size))
    if not entries or entries[0][:2] != ("Root Entry", 5):
        raise ValueError("first directory entry is not the Root Entry")
    if n_mf == 0 and mf_start != ENDOFCHAIN:
        raise ValueError("mini FAT start without mini FAT")
    # Walk the red-black tree from the root's child, as a conforming reader would.
    names, todo = {}, [entries[0][4]]
    while todo:
        i = todo.pop()
        if i == NOSTREAM:
            continue
        name, typ, left, right, child, start, size = entries[i]
        names[name.upper()] = (typ, start, size)
        todo += [left, right, child]
    if want.upper() not in names:
        raise ValueError(f"no {want} stream in the directory tree")
    typ, start, size = names[want.upper()]
    if typ != 2 or size < 4096:
        raise ValueError(f"{want} is not a regular stream (type {typ}, size {size})")
    secs = chain(start)
    if len(secs) != (size + SECTOR - 1) // SECTOR:
        raise ValueError(f"{want} chain length disagrees with its size")
    return b"".join(sector(s) for s in secs)[:size]


def biff_records(stream, pos=0):
    """Yield (offset, type, payload) from pos up to and including the next EOF."""
    while pos + 4 <= len(stream):
        typ, n = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + n > len(stream):
            raise ValueError(f"record {typ:#06x} at {pos} runs past the stream")
        yield pos, typ, stream[pos + 4:pos + 4 + n]
        pos += 4 + n
        if typ == 0x000A:
            return
    raise ValueError("no EOF record")


def check_xls(data, want_dims):
    stream = read_cfb_stream(data)
    recs = list(biff_records(stream))
    if recs[0][1] != 0x0809 or struct.unpack_from("<HH", recs[0][2]) != (0x0600, 0x0005):
        raise ValueError("globals do not start with a BIFF8 workbook BOF")
    sheets = [r for r in recs if r[1] == 0x0085]
    ssts = [r for r in recs if r[1] == 0x00FC]
    if len(sheets) != 1 or len(ssts) != 1:
        raise ValueError("want one BOUNDSHEET and one SST")
    pos, hs, dt, cch, hb = struct.unpack_from("<IBBBB", sheets[0][2])
    if sheets[0][2][8:8 + cch].decode("latin-1") != SHEET or (hs, dt, hb) != (0, 0, 0):
        raise ValueError("BOUNDSHEET name or flags wrong")
    total, unique = struct.unpack_from("<II", ssts[0][2])
    strings, p, body = [], 8, ssts[0][2]
    while p < len(body):
        n, flags = struct.unpack_from("<HB", body, p)
        strings.append(body[p + 3:p + 3 + n].decode("latin-1"))
        p += 3 + n
    if unique != len(strings):
        raise ValueError("SST cstUnique disagrees with its strings")
    srecs = list(biff_records(stream, pos))
    if srecs[0][1] != 0x0809 or struct.unpack_from("<HH", srecs[0][2]) != (0x0600, 0x0010):
        raise ValueError("BOUNDSHEET does not point at a worksheet BOF")
    dims = [r for r in srecs if r[1] == 0x0200]
    if len(dims) != 1 or len(dims[0][2]) != 14:
        raise ValueError("want one 14-byte DIMENSIONS record")
    if struct.unpack_from("<IIHH", dims[0][2]) != want_dims:
        raise ValueError("DIMENSIONS values differ")
    labels = [struct.unpack_from("<HHHI", r[2]) for r in srecs if r[1] == 0x00FD]
    got = [strings[i] for _r, _c, _x, i in sorted(labels)]
    if got != HEADERS:
        raise ValueError(f"header cells read back as {got}")


def check_zip(data, ods=False):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        bad = z.testzip()
        if bad:
            raise ValueError(f"bad CRC in {bad}")
        infos = z.infolist()
        if ods:
            first = infos[0]
            if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
                raise ValueError("mimetype is not the first, stored entry")
            if z.read("mimetype") != ODS_MIME:
                raise ValueError("wrong mimetype")
            if data[30:38] != b"mimetype" or data[38:38 + len(ODS_MIME)] != ODS_MIME:
                raise ValueError("mimetype bytes not at offset 38")
        roots = {}
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                roots[info.filename] = ET.fromstring(z.read(info))
        return roots


def check_named(outdir):
    """Re-read every named file; raise on the first problem."""
    m = "{%s}" % NS_MAIN
    for name in ["xlsx-valid.xlsx", "xlsx-shared-strings-count.xlsx",
                 "xlsx-shared-string-fanout.xlsx"]:
        with open(os.path.join(outdir, name), "rb") as f:
            roots = check_zip(f.read())
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                     "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
                     "xl/sharedStrings.xml", "xl/styles.xml"]:
            if part not in roots:
                raise ValueError(f"{name}: no {part}")
        sheet = roots["xl/workbook.xml"].find(f"{m}sheets/{m}sheet")
        if sheet.get("name") != SHEET:
            raise ValueError(f"{name}: sheet is not named {SHEET}")
        sst = roots["xl/sharedStrings.xml"]
        si = [e.findtext(f"{m}t") for e in sst.findall(f"{m}si")]
        row1 = roots["xl/worksheets/sheet1.xml"].find(f"{m}sheetData/{m}row")
        heads = [si[int(c.findtext(f"{m}v"))] for c in row1 if c.get("t") == "s"]
        if heads != HEADERS:
            raise ValueError(f"{name}: row 1 reads {heads}")
        cells = roots["xl/worksheets/sheet1.xml"].iter(f"{m}c")
        n_s = sum(1 for c in cells if c.get("t") == "s")
        count, unique = sst.get("count"), sst.get("uniqueCount")
        if name == "xlsx-shared-strings-count.xlsx":
            if (count, unique) != ("10000000000000", "10000000000000"):
                raise ValueError(f"{name}: counts not hostile")
        elif (int(count), int(unique)) != (n_s, len(si)):
            raise ValueError(f"{name}: counts {count}/{unique}, want {n_s}/{len(si)}")
        if name == "xlsx-shared-string-fanout.xlsx":
            if len(si[0]) != 5_000_000 or n_s - len(HEADERS) != 20_000:
                raise ValueError(f"{name}: fan-out is not 5,000,000 chars x 20,000 cells")
    for name, bomb in [("ods-valid.ods", False), ("ods-repeat-bomb.ods", True)]:
        with open(os.path.join(outdir, name), "rb") as f:
            roots = check_zip(f.read(), ods=True)
        t = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
        table = roots["content.xml"].find(f".//{t}table")
        if table.get(f"{t}name") != SHEET:
            raise ValueError(f"{name}: no {SHEET} table")
        reps = [r.get(f"{t}number-rows-repeated") for r in table.iter(f"{t}table-row")]
        creps = [c.get(f"{t}number-columns-repeated") for c in table.iter(f"{t}table-cell")]
        if bomb != ("1000000" in reps and "16384" in creps):
            raise ValueError(f"{name}: repeat attributes wrong")
        if "META-INF/manifest.xml" not in roots:
            raise ValueError(f"{name}: no manifest")
    for name, dims in [("xls-valid.xls", (0, 2, 0, 6)),
                       ("xls-huge-dimensions.xls", (0, 0xFFFFFFFF, 0, 256)),
                       ("xls-huge-dimensions-2.xls", (0, 1_048_576, 0, 16_384))]:
        with open(os.path.join(outdir, name), "rb") as f:
            try:
                check_xls(f.read(), dims)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None


# ------------------------------------------------------------------------- fuzz

BIG = [0, 1, 2, 255, 256, 65535, 65536, 1_048_576, 1_048_577, 2**31 - 1, 2**31,
       2**32 - 1, 2**32, 10**13, 2**63 - 1, 2**64 - 1, 2**64]


def big(rng, limit=None):
    """An interesting integer (at most limit): a boundary value or a random one up to 2^31."""
    top = 2**31 if limit is None else min(limit, 2**31)
    vals = BIG if limit is None else [v for v in BIG if v <= limit] + [limit]
    if rng.random() < 0.6:
        return rng.choice(vals)
    return rng.randrange(0, top + 1)


def weird_number(rng):
    """A declared count as text: a number, or something that is not one."""
    r = rng.random()
    if r < 0.75:
        return str(big(rng))
    return rng.choice(["-1", "", "abc", "1e9", "0x7fffffff", " 5", "99999999999999999999999999",
                       "3.5", "+12", "١٢٣"])


def random_ref(rng):
    col = rng.choice(["A", "F", "IV", "XFD", "XFE", "ZZZ", "ZZZZZZZ",
                      col_name(rng.randrange(0, 20000))])
    row = rng.choice([1, 65536, 1048576, 1048577, 2**31, 2**32 - 1, 2**32, 10**13,
                      rng.randrange(1, 2**31)])
    return f"{col}{row}"


def mutate_bytes(rng, data, lo=0):
    """Flip a few bytes at or after lo, or truncate, or both (maybe neither)."""
    data = bytearray(data)
    if rng.random() < 0.4 and len(data) > lo:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(lo, len(data))
            data[i] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
    if rng.random() < 0.25 and len(data) > 1:
        data = data[:rng.randrange(0, len(data))]
    return bytes(data)


def lie_about_sizes(rng, data):
    """Make one or two zip entries declare wrong sizes or CRCs (local and/or central)."""
    data = bytearray(data)
    entries = zip_central_entries(bytes(data))
    for _ in range(rng.randint(1, 2)):
        if not entries:
            break
        cd, local, _name = rng.choice(entries)
        csize, usize = struct.unpack_from("<II", data, cd + 20)
        field = rng.choice(["usize", "usize", "usize", "csize", "crc"])
        val = rng.choice([0, 1, max(usize - 1, 0), usize + 1, usize * 1000, 2**31,
                          2**32 - 1, rng.randrange(0, 2**32)]) & 0xFFFFFFFF
        where = rng.choice(["both", "both", "local", "central"])
        lo, co = {"usize": (22, 24), "csize": (18, 20), "crc": (14, 16)}[field]
        if where in ("both", "local") and local + lo + 4 <= len(data):
            struct.pack_into("<I", data, local + lo, val)
        if where in ("both", "central"):
            struct.pack_into("<I", data, cd + co, val)
    return bytes(data)


def zip_tail_mutations(rng, data):
    if rng.random() < 0.35:
        data = lie_about_sizes(rng, data)
    return mutate_bytes(rng, data)


def fuzz_xlsx(rng):
    strings, rows = control_sheet()
    count = str(sum(1 for _, cells in rows for c in cells if c[1] == "s"))
    unique = str(len(strings))
    dimension = "A1:F2"
    mutations = rng.sample(["counts", "dimension", "cellref", "rowref", "sstindex",
                            "fanout", "breakxml", "nodimension"], rng.randint(1, 3))
    broken_part = None
    if "counts" in mutations:
        if rng.random() < 0.7:
            unique = weird_number(rng)
        if rng.random() < 0.7:
            count = weird_number(rng)
    if "dimension" in mutations:
        dimension = rng.choice(["A1:XFD1048576", f"A1:{random_ref(rng)}",
                                f"{random_ref(rng)}:{random_ref(rng)}", random_ref(rng),
                                "A1:", ":", "", "XFD1048576:A1"])
    if "nodimension" in mutations:
        dimension = None
    if "cellref" in mutations:
        r, cells = rows[rng.randrange(len(rows))]
        i = rng.randrange(len(cells))
        cells[i] = (random_ref(rng),) + cells[i][1:]
    if "rowref" in mutations:
        i = rng.randrange(len(rows))
        rows[i] = (str(big(rng)), rows[i][1])
    if "sstindex" in mutations:
        r, cells = rows[rng.randrange(len(rows))]
        i = rng.randrange(len(cells))
        cells[i] = (cells[i][0], "s", weird_number(rng))
    if "fanout" in mutations:
        length = rng.choice([10_000, 100_000, 1_000_000, rng.randrange(1, 1_000_000)])
        refs = rng.randrange(1, 5001)
        strings.insert(0, "A" * length)
        rows = [(r, [(ref, t, v + 1 if t == "s" and isinstance(v, int) else v)
                     for ref, t, v in cells]) for r, cells in rows]
        for k in range(0, refs, 20):
            rr = len(rows) + 1
            rows.append((str(rr), [(f"{col_name(c)}{rr}", "s", 0)
                                   for c in range(min(20, refs - k))]))
    parts = xlsx_parts(strings, rows, count, unique, dimension)
    if "breakxml" in mutations:
        i = rng.randrange(len(parts))
        name, body = parts[i]
        parts[i] = (name, body[:rng.randrange(len(body))])
    return zip_tail_mutations(rng, xlsx_file(parts))


def fuzz_ods(rng):
    rows = [ods_header_row()]
    body_rows = []
    for _ in range(rng.randint(1, 4)):
        rep = weird_number(rng) if rng.random() < 0.8 else None
        cells = []
        for _ in range(rng.randint(1, 3)):
            crep = weird_number(rng) if rng.random() < 0.7 else None
            value = rng.choice([None, 1, 3.5, "x", "A" * rng.randrange(1, 5000)])
            cells.append(ods_cell(value, crep))
        if rng.random() < 0.2:
            cells.append(f'<table:covered-table-cell table:number-columns-repeated='
                         f'"{weird_number(rng)}"/>')
        body_rows.append((rep, cells))
    rows += body_rows
    colrep = weird_number(rng) if rng.random() < 0.3 else len(HEADERS)
    content = ods_content(rows, columns_repeated=colrep).encode()
    if rng.random() < 0.1:
        content = content[:rng.randrange(len(content))]
    data = zip_bytes([("mimetype", ODS_MIME, True),
                      ("META-INF/manifest.xml", MANIFEST.encode(), False),
                      ("content.xml", content, False)])
    return zip_tail_mutations(rng, data)


def fuzz_xls(rng):
    kw = {}
    mutations = rng.sample(["dims", "dims", "dimslen", "sst", "labels", "pos", "reclen",
                            "cfb", "cfb"], rng.randint(1, 3))
    if "dims" in mutations:
        kw["dims"] = (big(rng, 2**32 - 1), big(rng, 2**32 - 1),
                      big(rng, 65535), big(rng, 65535))
    if "dimslen" in mutations:
        kw["dims_raw"] = rng.choice([
            struct.pack("<HHHHH", big(rng, 65535), big(rng, 65535), big(rng, 65535),
                        big(rng, 65535), 0),                      # BIFF5-style, 10 bytes
            struct.pack("<IIHHHH", 0, big(rng, 2**32 - 1), 0, big(rng, 65535), 0, 0),  # 16
            bytes(rng.randrange(0, 20)),
        ])
    if "sst" in mutations:
        kw["sst_counts"] = (big(rng, 2**32 - 1), big(rng, 2**32 - 1))
    if "labels" in mutations:
        kw["labels"] = [(big(rng, 65535), big(rng, 65535), big(rng, 2**32 - 1))
                        for _ in range(rng.randint(1, 6))]
    if "pos" in mutations:
        kw["pos_override"] = rng.choice([0, 4096, 4095, 5000, 2**31, 2**32 - 1,
                                         rng.randrange(0, 8192)])
    stream, off = workbook_stream(**kw)
    if "reclen" in mutations:
        s = bytearray(stream)
        at = rng.choice([0, off["boundsheet"], off["sst"], off["sheet"], off["dimensions"],
                         off["cells"], off["end"] - 4])
        struct.pack_into("<H", s, at + 2, rng.choice([0, 1, 0xFFFF, rng.randrange(0, 0x10000)]))
        stream = bytes(s)
    knobs = {}
    if "cfb" in mutations:
        n_ws = (len(stream) + SECTOR - 1) // SECTOR
        for _ in range(rng.randint(1, 3)):
            which = rng.choice(["stream_size", "stream_size", "stream_start", "fat_loop",
                                "fat_patch", "dir_start", "fat_count", "sector_shift",
                                "minifat", "root", "difat", "major"])
            if which == "stream_size":
                knobs["stream_size"] = rng.choice([0, 1, 4095, 4096, 2**31, 2**32 - 1,
                                                   2**63, rng.randrange(0, 2**32)])
            elif which == "stream_start":
                knobs["stream_start"] = big(rng, 2**32 - 1)
            elif which == "fat_loop":   # a stream chain that loops back on itself
                knobs.setdefault("fat_patch", {})[1 + 1 + rng.randrange(n_ws)] = \
                    1 + 1 + rng.randrange(n_ws)
                knobs["stream_size"] = rng.choice([2**31, 2**32 - 1, 10**9])
            elif which == "fat_patch":
                knobs.setdefault("fat_patch", {})[rng.randrange(128)] = big(rng, 2**32 - 1)
            elif which == "dir_start":
                knobs["dir_start"] = big(rng, 2**32 - 1)
            elif which == "fat_count":
                knobs["fat_count"] = big(rng, 2**32 - 1)
            elif which == "sector_shift":
                knobs["sector_shift"] = rng.choice([0, 7, 0x0C, 0x10, 0xFFFF])
            elif which == "minifat":
                knobs["minifat_len"] = big(rng, 2**32 - 1)
                knobs["minifat_start"] = rng.choice([0, 1, 2, ENDOFCHAIN, big(rng, 2**32 - 1)])
            elif which == "root":
                knobs["root_start"] = rng.choice([0, 1, 2, big(rng, 2**32 - 1)])
                knobs["root_size"] = rng.choice([64, 4096, 2**31, 2**63])
            elif which == "difat":
                knobs.setdefault("difat_patch", {})[rng.randrange(109)] = big(rng, 2**32 - 1)
                if rng.random() < 0.5:
                    knobs["difat_start"] = rng.choice([0, 1, 2, big(rng, 2**32 - 1)])
            elif which == "major":
                knobs["major"] = rng.choice([4, 0, 0xFFFF])
    for key in ("stream_start", "dir_start", "fat_count", "minifat_start", "minifat_len",
                "root_start", "difat_start"):
        if key in knobs:
            knobs[key] &= 0xFFFFFFFF
    for key in ("stream_size", "root_size"):
        if key in knobs:
            knobs[key] &= 0xFFFFFFFFFFFFFFFF
    return mutate_bytes(rng, cfb_file(stream, knobs))


def write_fuzz(outdir, n, seed):
    kinds = [("xlsx", fuzz_xlsx), ("xls", fuzz_xls), ("ods", fuzz_ods)]
    for i in range(n):
        ext, fn = kinds[i % 3]
        rng = random.Random(f"make-hostile:{seed}:{i}")
        write(outdir, f"fuzz-{i:05d}.{ext}", fn(rng))


# ------------------------------------------------------------------------- main


def write(outdir, name, data):
    path = os.path.join(outdir, name)
    with open(path, "wb") as f:
        f.write(data)
    if len(data) > 200_000:
        raise SystemExit(f"{name} is {len(data)} bytes, over the 200 KB budget.")


def write_named(outdir):
    write(outdir, "xlsx-valid.xlsx", make_xlsx_valid())
    write(outdir, "xlsx-shared-strings-count.xlsx", make_xlsx_sst_count())
    write(outdir, "xlsx-shared-string-fanout.xlsx", make_xlsx_fanout())
    write(outdir, "xls-valid.xls", make_xls((0, 2, 0, 6)))
    write(outdir, "xls-huge-dimensions.xls", make_xls((0, 0xFFFFFFFF, 0, 256)))
    write(outdir, "xls-huge-dimensions-2.xls", make_xls((0, 1_048_576, 0, 16_384)))
    write(outdir, "ods-valid.ods", make_ods_valid())
    write(outdir, "ods-repeat-bomb.ods", make_ods_bomb())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", help="folder to write into (created if missing)")
    ap.add_argument("--fuzz", nargs=2, metavar=("N", "SEED"),
                    help="write N mutated files fuzz-NNNNN.{xlsx,xls,ods} instead")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    if args.fuzz:
        try:
            n = int(args.fuzz[0])
        except ValueError:
            ap.error("N must be a whole number")
        write_fuzz(args.outdir, n, args.fuzz[1])
        return
    write_named(args.outdir)
    try:
        check_named(args.outdir)
    except (ValueError, KeyError, IndexError, zipfile.BadZipFile, ET.ParseError) as e:
        print(f"make-hostile.py: self-check failed: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
