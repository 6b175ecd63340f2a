#!/usr/bin/env bash
# Runs the tests that start a daemon with the system clock set to the days of a month
# where a date-dependent test would break: the 1st (a circulation is due), the 15th (the
# deadline), the 16th (the digest; the month's collection has closed) and the last day
# (the month turns in UTC before it does in New York). No test's outcome may depend on
# today's date: this is how that is checked.
#
#   scripts/test-dates.sh [FILTER …]   default: the test modules that start a daemon
#
# The dates are next month's, ahead of the real date: the mail lab's certificates are
# valid from the day they were made, so the labs are started first, under the real clock.
# Uses `faketime` (Debian's package of that name; installed when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
    echo "test-dates.sh: installing faketime" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi

filters=("$@")
[ ${#filters[@]} -gt 0 ] || filters=(web:: browser:: daemon:: cli:: adversary:: month::)
args=(--test app --test lab)

# Built under the real clock, so that cargo's view of file times is not disturbed.
cargo test --no-run "${args[@]}" >/dev/null 2>&1 || cargo test --no-run "${args[@]}"
scripts/maillab.sh start /tmp/needsd-lab >/tmp/needsd-maillab-dates.log 2>&1 \
    || { cat /tmp/needsd-maillab-dates.log >&2; exit 1; }
# PostgreSQL too, under the real clock: a server started from inside a faked clock would
# keep that clock, and faketime would wait for it to end.
scripts/pglab.sh start /tmp/needsd-pg >/tmp/needsd-pglab-dates.log 2>&1 \
    || { cat /tmp/needsd-pglab-dates.log >&2; exit 1; }
trap 'scripts/pglab.sh stop /tmp/needsd-pg >/dev/null 2>&1 || true' EXIT

first=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m-%d)
last=$(date -u -d "$first +1 month -1 day" +%Y-%m-%d)
fifteenth=${first%-01}-15
sixteenth=${first%-01}-16
# 15:00 UTC is after every default job's 09:00 in New York; 23:30 UTC on the last day is
# already the next month nowhere east of Greenwich, and still this month in New York.
for when in "$first 15:00:00" "$fifteenth 15:00:00" "$sixteenth 15:00:00" "$last 23:30:00"; do
    echo "test-dates.sh: the system clock at $when UTC" >&2
    TZ=UTC faketime "$when" cargo test "${args[@]}" -- "${filters[@]}"
done
