#!/usr/bin/env bash
# Runs needsd's whole test suite on this machine, installing first what the tests use
# beyond the Rust toolchain: LibreOffice (headless) and Python's openpyxl, to prove the
# exported workbook opens in the programs respondents use, and Postfix and Dovecot for the
# mail lab the mail tests send through (they start it themselves, in /tmp/needsd-lab), and
# Chromium with chromedriver for the review UI's browser tests, swaks to send replies as
# scripts do, and PostgreSQL, the second database every store test runs on.
# Needs root for apt-get when something is missing; installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc-nogui)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v /usr/bin/time >/dev/null 2>&1 || need_apt+=(time)
# The review UI's end-to-end tests drive Debian's Chromium through chromedriver.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# Replies attached the way scripts and some mail programs attach them (text/csv, no charset).
command -v swaks >/dev/null 2>&1 || need_apt+=(swaks)
# The daemons run as processes live a month ahead, whatever today is (libfaketime).
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need_apt+=(faketime)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "test.sh: installing ${need_apt[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! python3 -c 'import openpyxl' 2>/dev/null; then
    echo "test.sh: installing openpyxl" >&2
    python3 -m pip install -q openpyxl 2>/dev/null \
        || python3 -m pip install -q --break-system-packages openpyxl
fi

scripts/maillab.sh install
# PostgreSQL for the tests that run on both databases: they start the lab themselves in
# /tmp/needsd-pg (scripts/pglab.sh) and create a database each; it is torn down here.
scripts/pglab.sh install
trap 'scripts/pglab.sh stop /tmp/needsd-pg >/dev/null 2>&1 || true' EXIT

cargo test "$@"
