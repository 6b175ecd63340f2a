#!/usr/bin/env bash
# Benchmark (not a test): `needsd check` on each hostile workbook of
# scripts/make-hostile.py, with its exit code, wall time and peak memory (the largest of
# needsd and the reader worker it started). Each must exit 1 with one sentence, within a
# second and under 200 MB; tests/adversary.rs checks the exit and the sentence.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build -q --release --manifest-path "$root/Cargo.toml"
needsd="${CARGO_TARGET_DIR:-$root/target}/release/needsd"
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/scripts/make-hostile.py" "$work/files" >/dev/null
cd "$work"
"$needsd" init >/dev/null 2>&1
printf '%-34s %5s %8s %9s  %s\n' file exit seconds "peak MB" "what needsd said"
for f in "$work"/files/*; do
    set +e
    /usr/bin/time -o time.txt -f "%e %M" "$needsd" check "$f" --as KEN --cycle 2027-01 \
        >/dev/null 2>err.txt
    code=$?
    set -e
    read -r secs kb < <(tail -n 1 time.txt)
    said=$(head -c 150 err.txt | tr '\n' ' ')
    printf '%-34s %5s %8s %9s  %s\n' "$(basename "$f")" "$code" "$secs" "$((kb / 1024))" "${said:-(read)}"
done
