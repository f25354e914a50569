"""Checked types (#11 target 3): mypy with the Django and DRF plugins reports nothing on aragora
and the apps, with no blanket ignores; ``audit.record`` is typed as the service it forwards to
(AUDIT-1: one entry point, the same signature as ``audit.services.record``)."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import audit
from audit import services
from tests.live import ROOT

PACKAGES = ["aragora", "accounts", "audit", "abuse", "debates", "privacy"]


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_mypy_reports_no_error():
    """``make lint`` runs the same check."""
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")


def test_mypy_checks_every_app_strictly_enough():
    config = _mypy_config()
    assert sorted(config["packages"]) == sorted(PACKAGES)
    assert config["plugins"] == ["mypy_django_plugin.main", "mypy_drf_plugin.main"]
    assert config["check_untyped_defs"] and config["warn_unused_ignores"]
    assert config["warn_redundant_casts"]
    assert "ignore_errors" not in config and "disable_error_code" not in config


def test_no_blanket_ignore_for_our_code():
    """Overrides may only name third-party libraries; no file-level or code-less ignore."""
    for override in _mypy_config().get("overrides", []):
        modules = override["module"]
        ours = [m for m in modules if m.split(".")[0] in PACKAGES]
        assert not ours, override
        assert not {"ignore_errors", "disable_error_code"} & set(override), override
    blanket = re.compile(r"#\s*type:\s*ignore(?!\[)")
    found = [
        f"{path}:{number}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if blanket.search(line)
    ]
    assert found == []


def test_audit_record_has_the_signature_of_the_service():
    """The package's entry point is typed, not ``(*args, **kwargs) -> Any``."""
    forwarder = inspect.signature(audit.record)
    service = inspect.signature(services.record)
    assert list(forwarder.parameters.values()) == list(service.parameters.values())
    assert forwarder.return_annotation == service.return_annotation == "AuditEvent"
