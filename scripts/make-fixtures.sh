#!/usr/bin/env bash
# Makes the reply fixtures under tests/fixtures/workbooks/ with real programs: needsd
# exports Kenya's copy of a small matrix, openpyxl edits it as a respondent would, and
# LibreOffice re-saves the edited reply as xlsx, ods and xls; Python's csv module writes
# the CSV variants in the encodings and separators spreadsheets use; Gnumeric's ssconvert
# writes an ods (whose indented XML calamine refuses); and the bad-* files are what
# people send instead of a workbook. The outputs are
# committed; run this again only to change them. Needs: cargo, python3 with openpyxl,
# LibreOffice (libreoffice-calc-nogui), gnumeric, and PyPI's msoffcrypto-tool and python-docx.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/tests/fixtures/workbooks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build -q --manifest-path "$root/Cargo.toml"
needsd="$root/target/debug/needsd"
(
    cd "$work"
    export NEEDSD_TOKEN_SECRET=fixtures-fixtures-fixtures-fixtures-0001
    "$needsd" init >/dev/null
    "$needsd" contacts import "$out/base-contacts.csv" >/dev/null
    "$needsd" matrix import "$out/base-matrix.csv" >/dev/null
    "$needsd" matrix export --out "$out/circulated.xlsx" --cycle 2026-12 --recipient grace@mfa.ke.example.org >/dev/null
)

python3 - "$out" <<'PY'
import csv, sys, openpyxl
out = sys.argv[1]
wb = openpyxl.load_workbook(f"{out}/circulated.xlsx")
ws = wb["Matrix"]
rows = {r[0].value: r for r in ws.iter_rows(min_row=2) if r[0].value}
rows["MN-00001"][5].value = "met"                       # status, lower case
rows["MN-00001"][7].value = "Terminé – 完成 in October"  # notes, non-Latin
rows["MN-00003"][4].value = "LOW"                       # priority, upper case
rows["MN-00005"][7].value = "Kenya edits Moldova"       # refused: not Kenya's need
ws.delete_rows(rows["MN-00004"][0].row)                 # a deleted row is not a withdrawal
last = ws.max_row + 1
for col, v in enumerate(["", "Kenya", "Police and law enforcement", "Forensic laboratory training", "h", ""], start=1):
    ws.cell(row=last, column=col, value=v or None)
wb.save(f"{out}/reply-openpyxl.xlsx")

# The same reply as CSV, as spreadsheet programs save it.
header = ["Need ID", "State", "Area", "Need", "Priority", "Status", "Assistance provider", "Notes", "Last updated"]
data = []
for r in wb["Matrix"].iter_rows(min_row=2, values_only=True):
    if any(v not in (None, "") for v in r):
        data.append(["" if v is None else (v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v)) for v in r])
def write(name, encoding, delimiter, bom=False, junk=False):
    with open(f"{out}/{name}", "w", encoding=encoding, newline="") as f:
        if bom:
            f.write("\ufeff")
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        if junk:
            w.writerow(["Matrix of Needs, reply from Kenya"])
            w.writerow([])
        w.writerow(header)
        w.writerows(data)
write("reply-utf8.csv", "utf-8", ",")
write("reply-utf8-bom-semicolon.csv", "utf-8", ";", bom=True, junk=True)
write("reply-utf16le-tab.csv", "utf-16-le", "\t", bom=True)
# Windows-1252 cannot hold the Chinese note: the respondent's program would have lost it.
data = [[c.replace(" – 完成", "") for c in row] for row in data]
write("reply-windows1252.csv", "cp1252", ";")
PY

# An English copy with words of the other UN languages pasted in (issue 18): two headers,
# statuses, a priority and an area in French, Russian, Chinese and Arabic, an Arabic
# header in another letter form, a priority in full-width letters. LibreOffice saves it.
python3 - "$out" "$work" <<'PY'
import sys, openpyxl
out, work = sys.argv[1], sys.argv[2]
wb = openpyxl.load_workbook(f"{out}/circulated.xlsx")
ws = wb["Matrix"]
ws.cell(row=1, column=5).value = "Приоритет"            # Priority, Russian
ws.cell(row=1, column=6).value = "الحاله"                 # Status, Arabic, haa for taa marbuta
rows = {r[0].value: r for r in ws.iter_rows(min_row=2) if r[0].value}
rows["MN-00001"][5].value = "Satisfait"                 # Met, French
rows["MN-00002"][4].value = "Высокий"                   # High, Russian
rows["MN-00003"][5].value = "قيد التنفيذ"               # In progress, Arabic
rows["MN-00004"][4].value = "高"                        # High, Chinese
last = ws.max_row + 1
for col, v in enumerate(["", "Kenya", "Trafic illicite d’armes", "Marking of small arms", "ＬＯＷ", "Abierta"], start=1):
    ws.cell(row=last, column=col, value=v or None)
wb.save(f"{work}/reply-pasted-languages.xlsx")
PY

profile="$work/lo-profile"
soffice "-env:UserInstallation=file://$profile" --headless --convert-to xlsx \
    --outdir "$work/lo" "$work/reply-pasted-languages.xlsx" >/dev/null 2>&1
mv "$work/lo/reply-pasted-languages.xlsx" "$out/reply-pasted-languages.xlsx"

for fmt in ods xls xlsx; do
    soffice "-env:UserInstallation=file://$profile" --headless --convert-to "$fmt" \
        --outdir "$work/lo" "$out/reply-openpyxl.xlsx" >/dev/null 2>&1
    mv "$work/lo/reply-openpyxl.$fmt" "$out/reply-libreoffice.$fmt"
done
ls -l "$out"

# Files that are not readable replies, each as a real program makes it.
python3 -m pip install -q msoffcrypto-tool python-docx 2>/dev/null || true
python3 - "$out" <<'PY'
import io, sys, zipfile, msoffcrypto, docx
out = sys.argv[1]
# A workbook saved with a password (Excel's "Encrypt with Password").
with open(f"{out}/reply-openpyxl.xlsx", "rb") as src, open(f"{out}/bad-encrypted.xlsx", "wb") as dst:
    f = msoffcrypto.OfficeFile(src)
    f.encrypt("secret", dst)
# A Word document renamed .xlsx.
d = docx.Document()
d.add_paragraph("No changes for Kenya this month.")
d.save(f"{out}/bad-word-renamed.xlsx")
# A web table saved with an .xls name (what some intranet exports do).
with open(f"{out}/bad-html-table.xls", "w") as f:
    f.write("<html><body><table><tr><td>Need ID</td><td>State</td></tr><tr><td>MN-00001</td><td>KEN</td></tr></table></body></html>\n")
# A picture of the matrix instead of the matrix (a minimal valid PNG).
import struct, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b"")
open(f"{out}/bad-image.xlsx", "wb").write(png)
# Half of a workbook (a download that stopped).
data = open(f"{out}/reply-openpyxl.xlsx", "rb").read()
open(f"{out}/bad-truncated.xlsx", "wb").write(data[: len(data) // 2])
# A zip bomb dressed as a workbook: 300 MB of zeros in one part.
with zipfile.ZipFile(f"{out}/bad-zip-bomb.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        chunk = b"\0" * (1 << 20)
        for _ in range(300):
            part.write(chunk)
PY
if command -v ssconvert >/dev/null; then
    ssconvert "$out/reply-openpyxl.xlsx" "$out/reply-gnumeric.ods" 2>/dev/null
fi
ls -l "$out"
