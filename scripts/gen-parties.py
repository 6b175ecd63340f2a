#!/usr/bin/env python3
"""Generate config/parties/states.toml: every State that is a Party (193 UN Member
States and 2 observer States), with its UN short name and the aliases people write.

Usage (from the repository root):
    python3 scripts/gen-parties.py --out config/parties/states.toml
    python3 scripts/gen-parties.py > some/other/file.toml      # without --out: stdout
    scripts/check-parties.sh        # fails if the committed states.toml is stale

Prefer --out for the committed file: it is written only once every check has passed,
whereas a shell redirection empties the file even when the script then fails.

Inputs (Python 3.11, standard library only):
  * Debian package iso-codes: /usr/share/iso-codes/json/iso_3166-1.json (codes, name,
    common_name, official_name) and iso_3166-3.json (withdrawn codes: former names).
  * Debian package unicode-cldr-core: common/supplemental/supplementalData.xml, whose
    <group type="UN" contains="..."/> lists the UN Member States by alpha-2 code.
    (CLDR 41 lists exactly the 193 current Member States; checked by hand in 2026.)
  * config/parties/un-overlay.toml: UN short names where iso-codes differs, the two
    observer States, extra aliases, and which iso_3166-3 names not to use.
  Install the packages with: apt-get install -y iso-codes unicode-cldr-core

Output: one [[states]] table per State, sorted by alpha-3 code, with
code, alpha2, name (UN short name), membership ("member" | "observer") and aliases.
Aliases are the iso-codes name, common name and official name (without a leading
"the "), the iso_3166-3 former names and the overlay aliases; those equal to `name`
or to an earlier alias under the matching key below are dropped, and the rest are
sorted by that key, then by text.

Matching key (what "the same name" means here, and what a consumer should use):
Unicode NFKD, combining marks removed, typographic apostrophes made ASCII, runs of
whitespace made one space, trimmed, then casefolded. "Côte d’Ivoire" and
"cote d'ivoire" have the same key.

The script exits with status 1 and one sentence on stderr if CLDR does not give 193
members, if the overlay does not give exactly 2 observers, if an overlay code is
unknown to iso-codes or is not a Party, if an overlay entry is malformed, or if two
States would share a name or alias under the matching key.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

EXPECTED_MEMBERS = 193
EXPECTED_OBSERVERS = 2

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OVERLAY = REPO_ROOT / "config" / "parties" / "un-overlay.toml"
DEFAULT_ISO_DIR = Path("/usr/share/iso-codes/json")
DEFAULT_CLDR_DIR = Path("/usr/share/unicode/cldr/common")
DPKG_STATUS = Path("/var/lib/dpkg/status")

OVERLAY_STATE_KEYS = {"name", "membership", "aliases"}
OVERLAY_TOP_KEYS = {"states", "former_names"}


class GenError(Exception):
    """A failure to report as one sentence."""


def fail(msg: str) -> None:
    raise GenError(msg)


def key(text: str) -> str:
    """Matching key: case-, accent-, apostrophe- and whitespace-insensitive."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for apostrophe in ("\u2019", "\u2018", "\u02bc", "`", "\u00b4"):
        stripped = stripped.replace(apostrophe, "'")
    return " ".join(stripped.split()).casefold()


def load_json(path: Path, top: str) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)[top]
    except FileNotFoundError:
        fail(f"{path} not found; install the Debian package iso-codes.")
    except (ValueError, KeyError) as exc:
        fail(f"{path} is not the iso-codes JSON expected ({exc}).")


def dpkg_version(package: str) -> str:
    """Installed version of a Debian package, read from dpkg's status file."""
    try:
        text = DPKG_STATUS.read_text(encoding="utf-8")
    except OSError:
        fail(f"cannot read {DPKG_STATUS} to find the version of {package}.")
    for stanza in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" ")
        )
        if fields.get("Package") == package and "installed" in fields.get("Status", "").split():
            return fields["Version"]
    fail(f"Debian package {package} is not installed; run apt-get install -y {package}.")


def cldr_version(cldr_dir: Path) -> str:
    dtd = cldr_dir / "dtd" / "ldmlSupplemental.dtd"
    try:
        m = re.search(r'<!ATTLIST version cldrVersion CDATA #FIXED "([^"]+)"', dtd.read_text(encoding="utf-8"))
    except OSError:
        m = None
    if not m:
        fail(f"cannot read the CLDR version from {dtd}; install the Debian package unicode-cldr-core.")
    return m.group(1)


def cldr_un_members(cldr_dir: Path) -> list[str]:
    path = cldr_dir / "supplemental" / "supplementalData.xml"
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        fail(f"{path} not found; install the Debian package unicode-cldr-core.")
    except ET.ParseError as exc:
        fail(f"{path} is not valid XML ({exc}).")
    groups = [
        g for g in root.iterfind("./territoryContainment/group")
        if g.get("type") == "UN" and g.get("status") is None
    ]
    if len(groups) != 1:
        fail(f"{path} has {len(groups)} <group type=\"UN\"> elements instead of 1.")
    codes = groups[0].get("contains", "").split()
    if len(set(codes)) != len(codes):
        fail(f"CLDR's UN group in {path} lists a code twice.")
    if len(codes) != EXPECTED_MEMBERS:
        fail(f"CLDR's UN group lists {len(codes)} members instead of {EXPECTED_MEMBERS}.")
    return codes


def load_overlay(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            overlay = tomllib.load(fh)
    except FileNotFoundError:
        fail(f"overlay {path} not found.")
    except tomllib.TOMLDecodeError as exc:
        fail(f"overlay {path} is not valid TOML ({exc}).")
    unknown = set(overlay) - OVERLAY_TOP_KEYS
    if unknown:
        fail(f"overlay {path} has unknown top-level key(s) {sorted(unknown)}.")
    return overlay


def is_text_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def build(iso_dir: Path, cldr_dir: Path, overlay_path: Path) -> str:
    iso1 = load_json(iso_dir / "iso_3166-1.json", "3166-1")
    iso3 = load_json(iso_dir / "iso_3166-3.json", "3166-3")
    by_alpha2 = {c["alpha_2"]: c for c in iso1}
    by_alpha3 = {c["alpha_3"]: c for c in iso1}

    members = cldr_un_members(cldr_dir)
    for a2 in members:
        if a2 not in by_alpha2:
            fail(f"CLDR lists UN member {a2}, which iso-codes does not know.")
    member_codes = {by_alpha2[a2]["alpha_3"] for a2 in members}

    overlay = load_overlay(overlay_path)
    states_overlay = overlay.get("states", {})
    if not isinstance(states_overlay, dict):
        fail("overlay key `states` must be a table of tables keyed by alpha-3 code.")

    observer_codes: set[str] = set()
    for code, entry in states_overlay.items():
        if code not in by_alpha3:
            fail(f"overlay code {code} is unknown to iso-codes (ISO 3166-1 alpha-3).")
        if not isinstance(entry, dict):
            fail(f"overlay entry states.{code} must be a table.")
        extra = set(entry) - OVERLAY_STATE_KEYS
        if extra:
            fail(f"overlay entry states.{code} has unknown key(s) {sorted(extra)}.")
        if "name" in entry and not (isinstance(entry["name"], str) and entry["name"].strip()):
            fail(f"overlay entry states.{code}.name must be a non-empty string.")
        if "aliases" in entry and not is_text_list(entry["aliases"]):
            fail(f"overlay entry states.{code}.aliases must be a list of non-empty strings.")
        membership = entry.get("membership")
        if membership is not None:
            if membership != "observer":
                fail(f"overlay entry states.{code}.membership must be \"observer\" or absent, not {membership!r}.")
            if code in member_codes:
                fail(f"overlay declares {code} an observer, but CLDR lists it as a UN member.")
            observer_codes.add(code)
        elif code not in member_codes:
            fail(f"overlay code {code} is neither a UN member according to CLDR nor declared an observer.")
        if entry.get("name") == by_alpha3[code]["name"]:
            print(f"gen-parties: warning: overlay name for {code} equals iso-codes' name and can go.", file=sys.stderr)

    if len(observer_codes) != EXPECTED_OBSERVERS:
        fail(f"the overlay declares {len(observer_codes)} observer States instead of {EXPECTED_OBSERVERS}.")

    # Former names (iso_3166-3), by the alpha-2 code of the successor (alpha-4's last two letters).
    former = overlay.get("former_names", {})
    if not isinstance(former, dict) or set(former) - {"skip"}:
        fail("overlay table `former_names` may only have the key `skip`.")
    skip = former.get("skip", [])
    if not is_text_list(skip):
        fail("overlay former_names.skip must be a list of iso_3166-3 alpha-4 codes.")
    known_alpha4 = {e.get("alpha_4") for e in iso3}
    for code4 in skip:
        if code4 not in known_alpha4:
            fail(f"overlay former_names.skip lists {code4}, which iso_3166-3 does not know.")
    former_by_alpha2: dict[str, list[str]] = {}
    for e in iso3:
        code4 = e.get("alpha_4", "")
        if len(code4) == 4 and code4 not in skip:
            former_by_alpha2.setdefault(code4[2:], []).append(e["name"])

    party_codes = sorted(member_codes | observer_codes)
    owner_of_key: dict[str, tuple[str, str]] = {}
    records = []
    for code in party_codes:
        iso = by_alpha3[code]
        entry = states_overlay.get(code, {})
        name = entry.get("name", iso["name"]).strip()
        official = iso.get("official_name")
        if official and official.startswith("the "):
            official = official[len("the "):]
        candidates = [iso["name"], iso.get("common_name"), official]
        candidates += former_by_alpha2.get(iso["alpha_2"], [])
        candidates += entry.get("aliases", [])

        seen = {key(name)}
        aliases = []
        for alias in candidates:
            if not alias:
                continue
            alias = " ".join(alias.split())
            k = key(alias)
            if k not in seen:
                seen.add(k)
                aliases.append(alias)
        aliases.sort(key=lambda a: (key(a), a))

        for text in [name, *aliases]:
            k = key(text)
            other = owner_of_key.get(k)
            if other and other[0] != code:
                fail(f"{other[0]} and {code} would share an alias: {other[1]!r} and {text!r} "
                     "are the same ignoring case and accents.")
            owner_of_key[k] = (code, text)

        records.append({
            "code": code,
            "alpha2": iso["alpha_2"],
            "name": name,
            "membership": "observer" if code in observer_codes else "member",
            "aliases": aliases,
        })

    n_members = sum(r["membership"] == "member" for r in records)
    n_observers = len(records) - n_members
    if (n_members, n_observers) != (EXPECTED_MEMBERS, EXPECTED_OBSERVERS):
        fail(f"got {n_members} members and {n_observers} observers instead of "
             f"{EXPECTED_MEMBERS} and {EXPECTED_OBSERVERS}.")

    header = (
        f"# Generated by scripts/gen-parties.py from Debian iso-codes {dpkg_version('iso-codes')} "
        f"and CLDR {cldr_version(cldr_dir)}; do not edit by hand: edit un-overlay.toml "
        "and run the script again.\n"
    )
    out = [header]
    for r in records:
        out.append("\n[[states]]\n")
        out.append(f"code = {toml_str(r['code'])}\n")
        out.append(f"alpha2 = {toml_str(r['alpha2'])}\n")
        out.append(f"name = {toml_str(r['name'])}\n")
        out.append(f"membership = {toml_str(r['membership'])}\n")
        out.append("aliases = [" + ", ".join(toml_str(a) for a in r["aliases"]) + "]\n")
    text = "".join(out)
    tomllib.loads(text)  # never write what does not parse back
    return text


def toml_str(value: str) -> str:
    """A TOML basic string."""
    escaped = []
    for ch in value:
        if ch == "\\":
            escaped.append("\\\\")
        elif ch == '"':
            escaped.append('\\"')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate config/parties/states.toml.")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--overlay", type=Path, default=DEFAULT_OVERLAY, help="overlay TOML")
    parser.add_argument("--iso-codes-dir", type=Path, default=DEFAULT_ISO_DIR, help="iso-codes JSON folder")
    parser.add_argument("--cldr-dir", type=Path, default=DEFAULT_CLDR_DIR, help="CLDR 'common' folder")
    args = parser.parse_args(argv)
    try:
        text = build(args.iso_codes_dir, args.cldr_dir, args.overlay)
    except GenError as exc:
        print(f"gen-parties: error: {exc}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.buffer.write(text.encode("utf-8"))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, prefix=".states-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
