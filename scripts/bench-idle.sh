#!/usr/bin/env bash
# Benchmark (not a test): an idle `needsd run` against the mail lab (SMTP out, IMAP in
# with IDLE, the web server up, nothing to do). Two phases, SECONDS each (default 120):
#   1. the default schedule (the inbox looked at every minute, IDLE in between): CPU
#      seconds used, scaled to an idle hour;
#   2. the inbox looked at every second (`schedule.inbox_poll = "* * * * * *"`): as many
#      passes as hours of default polling, to show memory does not grow with passes.
# Prints resident memory (VmRSS, and the peak VmHWM) and CPU time read from /proc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${SECONDS_PER_PHASE:-120}
lab=/tmp/needsd-lab
cargo build -q --release --manifest-path "$root/Cargo.toml"
needsd="$root/target/release/needsd"
"$root/scripts/maillab.sh" start "$lab" >/tmp/needsd-bench-lab.log 2>&1 </dev/null
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$work"
tag=idle$(date +%s)
export NEEDSD_TOKEN_SECRET=benchmark-secret-benchmark-secret NEEDSD_IMAP_PASSWORD=lab
tck=$(getconf CLK_TCK)

config() {
    cat > needsd.toml <<TOML
[database]
url = "sqlite://data/needsd.db"
[schedule]
inbox_poll = "$1"
[mail]
from = "Matrix of Needs <needs-$tag@ctc.test>"
reply_to = "needs-$tag@ctc.test"
token_secret_env = "NEEDSD_TOKEN_SECRET"
[smtp]
host = "127.0.0.1"
port = 2525
tls = "none"
[imap]
host = "127.0.0.1"
port = 1143
tls = "none"
username = "needs-$tag@ctc.test"
password_env = "NEEDSD_IMAP_PASSWORD"
[web]
listen = "127.0.0.1:0"
TOML
}

phase() { # $1 = label, $2 = inbox_poll
    config "$2"
    "$needsd" --config needsd.toml init >/dev/null
    "$needsd" --config needsd.toml run 2>run.log &
    local pid=$!
    sleep 3 # started, first pass done
    local t0 cpu0 t1 cpu1
    t0=$(date +%s.%N); cpu0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    sleep "$secs"
    t1=$(date +%s.%N); cpu1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    local rss hwm
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    kill -TERM $pid; wait $pid || true
    awk -v l="$1" -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" -v tck="$tck" \
        -v rss="$rss" -v hwm="$hwm" 'BEGIN {
        cpu = (c1 - c0) / tck; wall = t1 - t0;
        printf "%s: %.0f s idle, CPU %.2f s (%.1f s per hour), RSS %.1f MB (peak %.1f MB)\n",
            l, wall, cpu, cpu * 3600 / wall, rss / 1024, hwm / 1024 }'
}

echo "needsd run, idle, against the mail lab ($secs s per phase)"
phase "default schedule (inbox looked at every minute, IMAP IDLE between)" "0 * * * * *"
phase "inbox looked at every second ($secs passes = $((secs / 60)) hours of default polling)" "* * * * * *"
