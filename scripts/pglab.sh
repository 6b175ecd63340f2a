#!/usr/bin/env bash
# The PostgreSQL lab: a real PostgreSQL server from Debian's packages, in a folder of its
# own, on a loopback port, for needsd's tests on PostgreSQL (issue 16). Nothing is mocked.
#
#   scripts/pglab.sh install        install PostgreSQL from Debian when it is missing (as root)
#   scripts/pglab.sh start DIR      initdb into DIR (as an unprivileged user) and start it
#   scripts/pglab.sh stop DIR       stop it and remove DIR
#   scripts/pglab.sh restart DIR    stop the server at once (every session cut) and start it
#   scripts/pglab.sh status DIR     exit 0 if it answers
#   scripts/pglab.sh url            the URL of the lab's database, for database.url
#
# The server listens on 127.0.0.1:${PGLAB_PORT:-55432} only, with its socket in DIR; its
# superuser is `needsd` (trust, loopback only: a test lab, never a deployment) and it has
# one database, `needsd`, which tests may drop and create again. Run as root, the server
# runs as the user `postgres` that Debian's package creates; otherwise as the caller.
set -euo pipefail

port=${PGLAB_PORT:-55432}

die() { echo "pglab: $*" >&2; exit 1; }

bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

install() {
    bindir >/dev/null && return 0
    [ "$(id -u)" = 0 ] || die "installing PostgreSQL needs root (apt-get)"
    # Keep the package's own cluster from starting.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' RETURN
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql >/dev/null
}

# Runs a server binary as the unprivileged owner of the lab.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

status() {
    local dir=$1 bin
    bin=$(bindir) || return 1
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d needsd -U needsd
}

start() {
    local dir=$1 bin
    install
    bin=$(bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    if status "$dir" 2>/dev/null; then
        return 0
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U needsd --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
            -c fsync=on -c max_connections=100" >/dev/null \
        || { tail -20 "$dir/server.log" >&2; die "the server did not start"; }
    "$bin/psql" -q -h 127.0.0.1 -p "$port" -U needsd -d postgres -v ON_ERROR_STOP=1 \
        -c "SELECT 1 FROM pg_database WHERE datname = 'needsd'" -t | grep -q 1 \
        || "$bin/createdb" -h 127.0.0.1 -p "$port" -U needsd needsd
    status "$dir" || die "the server does not answer on 127.0.0.1:$port"
}

stop() {
    local dir=$1 bin
    bin=$(bindir) || return 0
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

restart() {
    local dir=$1 bin
    bin=$(bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
            -c fsync=on -c max_connections=100" >/dev/null \
        || { tail -20 "$dir/server.log" >&2; die "the server did not start again"; }
}

case "${1:-}" in
    install) install ;;
    restart) [ $# -eq 2 ] || die "usage: $0 restart DIR"; restart "$2" ;;
    start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    status) [ $# -eq 2 ] || die "usage: $0 status DIR"; status "$2" ;;
    url) echo "postgres://needsd@127.0.0.1:$port/needsd" ;;
    *) die "usage: $0 install | start DIR | stop DIR | restart DIR | status DIR | url" ;;
esac
