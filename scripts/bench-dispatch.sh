#!/usr/bin/env bash
# Benchmark (not a test): `needsd dispatch` of a 1,000-need matrix to 1,000 recipients
# into the mail lab, side by side with Postfix's own smtp-source sending as many
# messages of the same size into the same lab over as many connections. Prints messages
# per second (end to end for needsd: opening the cycle, building every workbook and
# message, the outbox transaction and sending) and needsd's peak memory; medians of 3.
# DATABASE=postgres keeps needsd's database in the PostgreSQL lab (scripts/pglab.sh), a
# new database per run, instead of SQLite. LANGUAGES=en (or any comma-separated list of
# en,fr,es,ru,zh,ar; all six by default) spreads the recipients over those languages:
# each language is one more workbook stencil and its own words.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
recipients=${RECIPIENTS:-1000}
needs=${NEEDS:-1000}
connections=${CONNECTIONS:-3}
runs=${RUNS:-3}
languages=${LANGUAGES:-en,fr,es,ru,zh,ar}
lab=/tmp/needsd-lab
cargo build -q --release --manifest-path "$root/Cargo.toml"
needsd="${CARGO_TARGET_DIR:-$root/target}/release/needsd"
"$root/scripts/maillab.sh" start "$lab" >/tmp/needsd-bench-lab.log 2>&1 </dev/null
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
tag=bench$(date +%s)
export NEEDSD_TOKEN_SECRET=benchmark-secret-benchmark-secret

database=${DATABASE:-sqlite}
pgport=${PGLAB_PORT:-55432}
psql=""
if [ "$database" = postgres ]; then
    "$root/scripts/pglab.sh" start /tmp/needsd-pg >/dev/null
    psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql -q -h 127.0.0.1 -p $pgport -U needsd"
fi
# The database of run $1: a SQLite file, or a new PostgreSQL database.
database_url() {
    if [ "$database" = postgres ]; then
        $psql -d postgres -c "CREATE DATABASE ${tag}_$1" >/dev/null
        echo "postgres://needsd@127.0.0.1:$pgport/${tag}_$1"
    else
        echo "sqlite://data/needsd.db"
    fi
}

cat > needsd.toml <<TOML
[database]
url = "$(database_url 0)"
[mail]
from = "Matrix of Needs <needs-$tag@ctc.test>"
reply_to = "needs-$tag@ctc.test"
token_secret_env = "NEEDSD_TOKEN_SECRET"
[smtp]
host = "127.0.0.1"
port = 2525
tls = "none"
rate_per_minute = 100000
max_connections = $connections
[maildir]
dir = "data/inbox"
TOML
export NEEDSD_CONFIG=$work/needsd.toml
"$needsd" init >/dev/null
"$needsd" parties list --json > parties.json
python3 - "$recipients" "$needs" "$tag" "$languages" <<'PY'
import csv, json, sys
n, m, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
languages = sys.argv[4].split(",")
parties = json.load(open("parties.json"))
states = [p["code"] for p in parties if p["kind"] == "state"]
everyone = [p["code"] for p in parties]
areas = ["LEG", "FIN", "CUS", "IMM", "EXT", "POL", "ARM", "OTH"]
with open("matrix.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Need ID", "State", "Area", "Need", "Priority", "Status", "Assistance provider", "Notes", "Last updated"])
    for i in range(1, m + 1):
        w.writerow([f"MN-{i:05d}", states[i % len(states)], areas[i % 8],
                    f"Need {i}: technical assistance and training on resolution 1373 (2001), phase {i % 7}",
                    ["High", "Medium", "Low"][i % 3], ["Open", "Met", "In progress"][i % 3],
                    "UNODC" if i % 2 else "", "Follow-up requested" if i % 3 == 0 else "", "2026-10-01"])
with open("contacts.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["party", "name", "email", "language", "receives_matrix"])
    for i in range(n):
        w.writerow([everyone[i % len(everyone)], f"Focal Point {i}", f"r-{tag}+{i}@resp.test",
                    languages[i % len(languages)], "yes"])
PY
cycle=$(date -d "$(date +%Y-%m-15) +1 month" +%Y-%m)

rate() { awk -v n="$recipients" -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", n / (e - s) }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Between runs, let Postfix deliver what it accepted, so no run pays for another's backlog.
drain_queue() {
    local deadline=$((SECONDS + 120))
    until postqueue -c "$lab/postfix/conf" -p 2>/dev/null | grep -q 'Mail queue is empty'; do
        [ $SECONDS -lt $deadline ] || { echo "bench: the lab's queue does not drain" >&2; exit 1; }
        sleep 0.2
    done
}
needsd_rates=(); needsd_mem=(); src_rates=(); size=0
# Runs alternate, each into a fresh mailbox, so neither side gets the warmer lab.
for run in $(seq "$runs"); do
    sed "s/,r-$tag+/,r$run-$tag+/" contacts.csv > contacts-run.csv
    rm -rf data
    sed -i "s|^url = .*|url = \"$(database_url "$run")\"|" needsd.toml
    "$needsd" init >/dev/null
    "$needsd" contacts import contacts-run.csv >/dev/null
    "$needsd" matrix import matrix.csv >/dev/null
    drain_queue
    start=$(date +%s.%N)
    NEEDSD_LOG=needsd=info /usr/bin/time -f %M -o mem.txt "$needsd" --log-json dispatch --cycle "$cycle" >dispatch.out 2>dispatch.log
    end=$(date +%s.%N)
    grep -q "sent $recipients, failed 0" dispatch.out || { cat dispatch.out; exit 1; }
    needsd_rates+=("$(rate "$start" "$end")")
    needsd_mem+=("$(cat mem.txt)")
    if [ "$database" = postgres ]; then
        size=$($psql -d "${tag}_$run" -At -c "SELECT CAST(AVG(LENGTH(raw)) AS BIGINT) FROM outbox_bodies")
    else
        size=$(python3 -c "import sqlite3; print(int(sqlite3.connect('data/needsd.db').execute('SELECT AVG(LENGTH(raw)) FROM outbox_bodies').fetchone()[0]))")
    fi
    drain_queue
    start=$(date +%s.%N)
    smtp-source -c -s "$connections" -m "$recipients" -l "$size" -f "bench@ctc.test" \
        -t "s-$tag-$run@resp.test" 127.0.0.1:2525 >/dev/null
    end=$(date +%s.%N)
    src_rates+=("$(rate "$start" "$end")")
done

n_rate=$(printf '%s\n' "${needsd_rates[@]}" | median)
s_rate=$(printf '%s\n' "${src_rates[@]}" | median)
mem=$(printf '%s\n' "${needsd_mem[@]}" | median)
printf '%d recipients in %s, %d needs, %d connections, messages of %d bytes, medians of %d runs, on %s\n' \
    "$recipients" "$languages" "$needs" "$connections" "$size" "$runs" "$database"
printf '  needsd dispatch (end to end): %6.1f msg/s, peak RSS %d MB\n' "$n_rate" $((mem / 1024))
printf '  smtp-source:                  %6.1f msg/s\n' "$s_rate"
awk -v a="$n_rate" -v b="$s_rate" 'BEGIN { printf "  ratio: %.2f (target: at least 0.5)\n", a / b }'
