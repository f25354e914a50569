"""OPS-5: the dependency scan finds known-vulnerable pins and passes the project's own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.live import ROOT

SCRIPT = ROOT / "scripts" / "audit_deps.py"
ADVISORIES = ROOT.parent / "shared" / "advisories" / "vulns"

pytestmark = pytest.mark.skipif(not ADVISORIES.is_dir(), reason="no ../shared/advisories here")


def scan(*files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *files], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_a_known_vulnerable_pin_is_reported(tmp_path):
    pins = tmp_path / "r.txt"
    pins.write_text("Django==4.2.0\nrequests==2.31.0\n")
    result = scan(str(pins))
    assert result.returncode == 1
    assert "django==4.2.0: PYSEC-2023-100" in result.stdout


def test_the_project_pins_are_clean():
    result = scan("requirements/base.txt", "requirements/dev.txt")
    assert result.returncode == 0, result.stdout
    assert "no advisory known as of 2024-10-10" in result.stdout
