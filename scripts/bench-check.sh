#!/usr/bin/env bash
# Benchmark (not a test): `needsd check` on a 10,000-row reply as xlsx and as csv, side
# by side with Python's openpyxl reading the same xlsx. Prints wall time and peak
# resident memory of each (medians of 3). Installs openpyxl if it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${ROWS:-10000}
python3 -c 'import openpyxl' 2>/dev/null || python3 -m pip install -q openpyxl
cargo build -q --release --manifest-path "$root/Cargo.toml"
needsd="$root/target/release/needsd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 - "$rows" <<'PY'
import csv, sys
n = int(sys.argv[1])
states = ["KEN", "MDA", "PER", "EGY", "KAZ", "PHL", "SEN", "JOR"]
areas = ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"]
with open("matrix.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Need ID", "State", "Area", "Need", "Priority", "Status", "Assistance provider", "Notes", "Last updated"])
    for i in range(1, n + 1):
        w.writerow([f"MN-{i:05d}", states[i % 8], areas[i % 8],
                    f"Need {i}: technical assistance and training on resolution 1373 (2001), phase {i % 7}",
                    ["High", "Medium", "Low"][i % 3], ["Open", "Met", "In progress"][i % 3],
                    "UNODC" if i % 2 else "", "Follow-up requested" if i % 3 == 0 else "", "2026-10-01"])
PY
"$needsd" init >/dev/null
"$needsd" matrix import matrix.csv >/dev/null
"$needsd" matrix export --out reply.xlsx >/dev/null
cat > read_openpyxl.py <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
n = sum(1 for _ in wb["Matrix"].iter_rows(values_only=True))
print(n, file=sys.stderr)
PY
measure() {
    local label=$1; shift
    local results=()
    for _ in 1 2 3; do
        results+=("$(/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1)")
    done
    printf '%s\n' "${results[@]}" | sort -n | sed -n 2p | awk -v l="$label" '{printf "%-34s %6.3f s  %7.1f MB peak\n", l, $1, $2/1024}'
}
echo "check on a $rows-row reply (medians of 3)"
measure "needsd check reply.xlsx" "$needsd" check reply.xlsx --as KEN --json
measure "needsd check matrix.csv" "$needsd" check matrix.csv --as KEN --json
measure "openpyxl load + iterate reply.xlsx" python3 read_openpyxl.py reply.xlsx
