#!/usr/bin/env bash
# Benchmark (not a test): how long the scheduler, the inbox watcher and the sender stand
# still when the leading `needsd run` is killed. Two daemons share one database in the
# PostgreSQL lab (scripts/pglab.sh); KILLS times (default 10) the leader is killed with
# SIGKILL and the time until the other answers `leader: this daemon` on /healthz is
# measured; a new daemon replaces the killed one each time. Prints every time, the
# median and the worst, beside daemon.failover_seconds (FAILOVER, default 30).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kills=${KILLS:-10}
failover=${FAILOVER:-30}
pg=/tmp/needsd-pg
cargo build -q --release --manifest-path "$root/Cargo.toml"
needsd="${CARGO_TARGET_DIR:-$root/target}/release/needsd"
"$root/scripts/pglab.sh" start "$pg" >/dev/null
command -v curl >/dev/null || { echo "bench: needs curl" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
db=bench_failover_$$
psql=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
"$psql" -q -h 127.0.0.1 -p "${PGLAB_PORT:-55432}" -U needsd -d postgres -c "CREATE DATABASE $db"
export NEEDSD_TOKEN_SECRET=benchmark-secret-benchmark-secret
cat > needsd.toml <<TOML
[database]
url = "postgres://needsd@127.0.0.1:${PGLAB_PORT:-55432}/$db"
[daemon]
failover_seconds = $failover
[mail]
from = "Matrix of Needs <needs@ctc.test>"
reply_to = "needs@ctc.test"
token_secret_env = "NEEDSD_TOKEN_SECRET"
[outbox]
dir = "data/outbox"
[maildir]
dir = "data/inbox"
[web]
listen = "127.0.0.1:0"
TOML
export NEEDSD_CONFIG=$work/needsd.toml
"$needsd" init >/dev/null

# Starts a daemon; prints "PID ADDRESS" once it listens.
start() {
    local log=$work/daemon-$1.log
    NEEDSD_LOG=needsd=info "$needsd" run >/dev/null 2>"$log" &
    local pid=$! addr=""
    local deadline=$((SECONDS + 30))
    until addr=$(grep -o 'listen=[0-9.:]*' "$log" | head -1 | cut -d= -f2) && [ -n "$addr" ]; do
        [ $SECONDS -lt $deadline ] || { cat "$log" >&2; exit 1; }
        sleep 0.05
    done
    echo "$pid $addr"
}
leads() { curl -s "http://$1/healthz" | grep -q 'leader: this daemon'; }

read -r pid_a addr_a < <(start a)
pids+=("$pid_a")
until leads "$addr_a"; do sleep 0.05; done
read -r pid_b addr_b < <(start b)
pids+=("$pid_b")
times=()
for i in $(seq "$kills"); do
    # a leads, b follows. Killed at a random moment of b's asking (every third of the
    # failover time), so that the times sample every phase of it.
    sleep "$(awk -v f="$failover" -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + (r / 32768) * f / 3 }')"
    kill -9 "$pid_a"
    wait "$pid_a" 2>/dev/null || true
    start_ns=$(date +%s%N)
    until leads "$addr_b"; do sleep 0.01; done
    end_ns=$(date +%s%N)
    times+=("$(awk -v s="$start_ns" -v e="$end_ns" 'BEGIN { printf "%.2f", (e - s) / 1e9 }')")
    echo "kill $i: the other daemon led after ${times[-1]} s"
    pid_a=$pid_b; addr_a=$addr_b
    read -r pid_b addr_b < <(start "n$i")
    pids+=("$pid_b")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
worst=$(echo "$sorted" | tail -1)
echo "failover over $kills kills (daemon.failover_seconds = $failover): median ${median} s, worst ${worst} s"
