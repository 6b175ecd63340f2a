#!/usr/bin/env bash
# Check that config/parties/states.toml is what scripts/gen-parties.py makes now.
# Usage: scripts/check-parties.sh
# Exit status: 0 current; 1 stale (a diff is printed); 2 the generator itself failed.
# Needs Python 3.11+ and the Debian packages iso-codes and unicode-cldr-core.
# A newer iso-codes or CLDR changes the header line, and so shows up as stale too.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
committed="$root/config/parties/states.toml"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

if ! python3 "$root/scripts/gen-parties.py" --out "$tmp"; then
    echo "check-parties: the generator failed (see above)." >&2
    exit 2
fi
if ! diff -u --label "committed config/parties/states.toml" --label "regenerated" "$committed" "$tmp"; then
    echo "check-parties: config/parties/states.toml is stale; run: python3 scripts/gen-parties.py --out config/parties/states.toml" >&2
    exit 1
fi
echo "check-parties: config/parties/states.toml is current."
