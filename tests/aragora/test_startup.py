"""HDR-2/HDR-3 and settings: production refuses unsafe or incomplete configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client

from tests.live import ROOT

PRODUCTION = {
    "ARAGORA_ENV": "production",
    "ARAGORA_SECRET_KEY": "x7Qp2vN9sK4mW8rT1yU6iO3aZ5cE0gH2jL4nB7dF9hJ1kM3pR5tV8wX0zA2sD4fG",
    "ARAGORA_ALLOWED_HOSTS": "aragora.example.com",
    "ARAGORA_JWT_SIGNING_KEYS": "throwaway-signing-key-for-tests-only-0123456789",
    "ARAGORA_ENCRYPTION_KEYS": "uJ0Ik8bx2eXQ4YhM3GdmY0y9OQb4zWcJQhW7c2kUuZQ=",
    "ARAGORA_TOKEN_PEPPER": "throwaway-pepper-for-tests-only-0123456789",
    "ARAGORA_AUDIT_KEYS": "throwaway-audit-key-for-tests-only-0123456789",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ARAGORA_", "DJANGO_SETTINGS", "PYTEST"))
    }
    # Development-mode runs take their secrets from a test file, never the developer's.
    dev_secrets = str(ROOT / "var" / "test-dev-secrets.env")
    clean.update(ARAGORA_READ_DOTENV="0", ARAGORA_DEV_SECRETS_FILE=dev_secrets, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_deploy_check_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_wildcard_origin():
    result = manage("check", **PRODUCTION, ARAGORA_ALLOWED_ORIGINS="*")
    assert result.returncode != 0
    assert "aragora.E001" in result.stderr


def test_production_server_refuses_wildcard_origin_at_import():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARAGORA_", "PYTEST"))}
    env.update(
        PRODUCTION,
        ARAGORA_ALLOWED_ORIGINS="*",
        ARAGORA_READ_DOTENV="0",
        DJANGO_SETTINGS_MODULE="aragora.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import aragora.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "aragora.E001" in result.stderr


@pytest.mark.parametrize("missing", sorted(k for k in PRODUCTION if k != "ARAGORA_ENV"))
def test_production_refuses_to_start_without_each_secret(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr
    for name, value in PRODUCTION.items():  # and never prints a secret it was given
        if name != "ARAGORA_ENV":
            assert value not in result.stderr


def test_csp_is_configurable_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s;"
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])",
        ARAGORA_CSP_SCRIPT_SRC="https://cdn.example.com",
    )
    assert "https://cdn.example.com" in result.stdout, result.stderr


@pytest.mark.django_db
def test_cors_allows_listed_origin_only(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    client = Client()
    allowed = client.get("/api/v1/", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    exposed = allowed["Access-Control-Expose-Headers"]
    for header in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
    ):
        assert header in exposed
    denied = client.get("/api/v1/", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in denied
    preflight = client.options(
        "/api/v1/",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_production_logs_are_json_and_redacted():
    result = manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('aragora.probe').warning("
        "'login failed password=%s', 'Sup3r-Secret-Value')",
        **PRODUCTION,
    )
    lines = [line for line in result.stderr.splitlines() if "aragora.probe" in line]
    assert lines, result.stderr
    record = json.loads(lines[-1])
    assert record["level"] == "WARNING" and record["logger"] == "aragora.probe"
    assert "Sup3r-Secret-Value" not in result.stderr
    assert "[REDACTED]" in record["message"]


def test_production_refuses_short_signing_keys():
    result = manage("check", **{**PRODUCTION, "ARAGORA_JWT_SIGNING_KEYS": "short-key"})
    assert result.returncode != 0
    assert "32+ characters" in result.stderr and "short-key" not in result.stderr


def test_idle_timeout_shorter_than_the_activity_interval_is_refused():
    result = manage("check", ARAGORA_SESSION_IDLE_TIMEOUT="30")
    assert result.returncode != 0 and "ARAGORA_SESSION_IDLE_TIMEOUT" in result.stderr


def test_extra_allowed_hosts_are_served_besides_the_allowed_hosts():
    """OPS-1: the pod IP Prometheus scrapes by (``ARAGORA_EXTRA_ALLOWED_HOSTS``) is added to, not
    instead of, the public host names."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(','.join(s.ALLOWED_HOSTS))",
        **PRODUCTION,
        ARAGORA_EXTRA_ALLOWED_HOSTS="10.1.2.3",
    )
    assert result.stdout.strip().splitlines()[-1] == "aragora.example.com,10.1.2.3", result.stderr
