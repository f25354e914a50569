#!/usr/bin/env python3
"""Dependency vulnerability scan (OPS-5) against the offline PyPI advisory database.

Usage: audit_deps.py requirements/base.txt [more.txt ...]

Matches every pinned ``name==version`` against ``../shared/advisories/vulns/<name>/*.yaml``
(OSV format) and exits 1 when any pin is affected. The data is a dated snapshot: a clean result
means "no advisory known as of the snapshot", and the output says so.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ADVISORIES = Path(os.environ.get("ARAGORA_ADVISORIES_DIR", ROOT.parent / "shared" / "advisories"))
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def pins(paths: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            match = PIN.match(line.strip())
            if match:
                found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def affected(version: Version, advisory: dict) -> bool:
    for entry in advisory.get("affected", []):
        if str(version) in {str(v) for v in entry.get("versions", [])}:
            return True
        for rng in entry.get("ranges", []):
            if rng.get("type") == "ECOSYSTEM" and in_range(version, rng.get("events", [])):
                return True
    return False


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV ECOSYSTEM semantics: introduced..fixed (exclusive) or ..last_affected (inclusive)."""
    inside = False
    for event in sorted(events, key=_event_version):
        bound = _event_version(event)
        if "introduced" in event:
            inside = inside or version >= bound
        elif "fixed" in event:
            inside = inside and version < bound
        elif "last_affected" in event:
            inside = inside and version <= bound
    return inside


def _event_version(event: dict) -> Version:
    value = next(iter(event.values()))
    try:
        return Version("0" if value == "0" else str(value))
    except InvalidVersion:
        return Version("0")


def scan(paths: list[str]) -> int:
    vulns = ADVISORIES / "vulns"
    if not vulns.is_dir():
        print(f"advisory database not found at {vulns}", file=sys.stderr)
        return 2
    findings = []
    for name, raw in sorted(pins(paths).items()):
        folder = vulns / name
        if not folder.is_dir():
            continue
        version = Version(raw)
        for file in sorted(folder.glob("*.yaml")):
            advisory = yaml.safe_load(file.read_text())
            if advisory.get("withdrawn"):
                continue  # retracted by its publisher (e.g. PYSEC-2023-73, not about redis-py)
            if affected(version, advisory):
                aliases = ", ".join(advisory.get("aliases", []))
                findings.append(f"{name}=={raw}: {advisory.get('id')} ({aliases})")
    readme = (ADVISORIES / "README.md").read_text() if (ADVISORIES / "README.md").exists() else ""
    dated = re.search(r"dated (\d{4}-\d{2}-\d{2})", readme)
    as_of = dated.group(1) if dated else "the snapshot date"
    if findings:
        print("Known vulnerabilities in pinned dependencies:")
        print("\n".join(f"  {f}" for f in findings))
        return 1
    print(f"audit-deps: {len(pins(paths))} pins checked; no advisory known as of {as_of}.")
    return 0


if __name__ == "__main__":
    sys.exit(scan(sys.argv[1:]))
