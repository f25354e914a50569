"""OPS-5: the secrets scan's baseline is audited. Every finding it lets through is marked a
false positive, with a reason in ``.secrets.reasons``; a reason for a finding no longer there
is stale. (The scan itself and its planted-secret self-test run in ``make lint``.)"""

from __future__ import annotations

import json

from tests.deploy.dockerfile import ROOT


def _reasons() -> dict[tuple[str, str], str]:
    reasons = {}
    for line in (ROOT / ".secrets.reasons").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, detector, reason = line.split("\t")
            reasons[(path, detector)] = reason
    return reasons


def test_every_baseline_entry_is_an_audited_false_positive_with_a_reason():
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    entries = [(path, r) for path, results in baseline["results"].items() for r in results]
    assert [(path, r["type"]) for path, r in entries if r.get("is_secret") is not False] == []
    reasons = _reasons()
    found = {(path, r["type"]) for path, r in entries}
    assert sorted(found - set(reasons)) == []  # each needs a reason
    assert sorted(set(reasons) - found) == []  # and no reason outlives its finding
    assert all(len(reason) >= 15 for reason in reasons.values())


def test_hash_lines_are_the_only_lines_excluded():
    """The requirements' hashes are excluded by a pattern that matches nothing else."""
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    filters = {f["path"]: f for f in baseline["filters_used"]}
    assert filters["detect_secrets.filters.regex.should_exclude_line"]["pattern"] == [
        r"^\s*--hash=sha256:[0-9a-f]{64}"
    ]
    assert "detect_secrets.filters.regex.should_exclude_file" not in filters
