#!/usr/bin/env bash
# Benchmark (not a test): the dispatch and ingest benchmarks on SQLite and on PostgreSQL,
# one after the other on the same lab, and PostgreSQL's time as a multiple of SQLite's
# (issue 16 allows at most 1.5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/pglab.sh" start /tmp/needsd-pg >/dev/null
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql -q -h 127.0.0.1 -p ${PGLAB_PORT:-55432} -U needsd"

echo "== dispatch"
out=$(DATABASE=sqlite "$root/scripts/bench-dispatch.sh"); echo "$out"
sqlite=$(echo "$out" | awk '/needsd dispatch/ {print $6}')
out=$(DATABASE=postgres "$root/scripts/bench-dispatch.sh"); echo "$out"
postgres=$(echo "$out" | awk '/needsd dispatch/ {print $6}')
awk -v s="$sqlite" -v p="$postgres" 'BEGIN { printf "dispatch: SQLite %.1f msg/s, PostgreSQL %.1f msg/s: PostgreSQL takes %.2fx the time\n", s, p, s / p }'

echo "== ingest"
db=bench_ingest_$$
$psql -d postgres -c "CREATE DATABASE $db"
seconds() { awk '/needsd ingest/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $(i+1) == "s") { print $i; exit } }'; }
out=$(cargo bench -q --manifest-path "$root/Cargo.toml" --bench ingest 2>/dev/null); echo "$out"
sqlite=$(echo "$out" | seconds)
out=$(NEEDSD_BENCH_DATABASE="postgres://needsd@127.0.0.1:${PGLAB_PORT:-55432}/$db" \
    cargo bench -q --manifest-path "$root/Cargo.toml" --bench ingest 2>/dev/null); echo "$out"
postgres=$(echo "$out" | seconds)
awk -v s="$sqlite" -v p="$postgres" 'BEGIN { printf "ingest: SQLite %.2f s, PostgreSQL %.2f s: PostgreSQL takes %.2fx the time\n", s, p, p / s }'
