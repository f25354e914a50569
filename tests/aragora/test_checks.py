"""Issue #11 target 5: each rule about a setting is a system check with an id (HDR-2, HDR-3,
AUTH-6, SESS-4, AUTHZ-2), and every process refuses to start on an error-level one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core import checks as django_checks
from django.core.exceptions import ImproperlyConfigured

from aragora import checks
from tests.aragora.test_startup import PRODUCTION
from tests.live import ROOT


def ids(settings) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.id for m in django_checks.run_checks(tags=[checks.TAG])}


def test_the_test_configuration_passes_every_check(settings):
    assert ids(settings) == set()


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"PRODUCTION": True, "ALLOWED_ORIGINS": ["*"]}, "aragora.E001"),
        ({"ENVIRONMENT": "prod"}, "aragora.E002"),
        ({"PRODUCTION": True, "DEBUG": True}, "aragora.E003"),
        ({"UNSET_SECRETS": ["ARAGORA_TOKEN_PEPPER"]}, "aragora.E004"),
        ({"PRODUCTION": True, "JWT_SIGNING_KEYS": ["short-key"]}, "aragora.E005"),
        ({"SQLITE_JOURNAL": "OFF"}, "aragora.E006"),
        ({"JWT_ALGORITHM": "none"}, "aragora.E007"),
        ({"REFRESH_REUSE_GRACE": 61}, "aragora.E008"),
        ({"SESSION_IDLE_TIMEOUT": 30}, "aragora.E009"),
        ({"API_TOKEN_MAX_DAYS": 0}, "aragora.E010"),
        ({"IPV6_PREFIX": 129}, "aragora.E011"),
        ({"IPV6_PREFIX": 0}, "aragora.E011"),
        ({"AUDIT_AGGREGATE_MAX_ROWS": 0}, "aragora.E012"),
        ({"PRODUCTION": True, "AUDIT_KEYS": ["short-key"]}, "aragora.E013"),
        ({"AUDIT_KEYS": []}, "aragora.E013"),
        ({"SECURITY_LOG_RETENTION_DAYS": 0}, "aragora.E014"),
        ({"AUDIT_RETENTION_DAYS": 0}, "aragora.E015"),
        ({"AUDIT_PURGE_BATCH_SIZE": 0}, "aragora.E016"),
        ({"DEBATE_PURGE_BATCH_SIZE": 0}, "aragora.E016"),
        ({"DEBATE_PURGE_BATCH_SIZE": 100_001}, "aragora.E016"),
        ({"RATE_LIMITS": {"default": "100/minute"}}, "aragora.E017"),
        ({"RATE_LIMITS": {"export": "5/fortnight"}}, "aragora.E017"),
        ({"EXPORT_DIR": "static/exports"}, "aragora.E030"),
        ({"EXPORT_DIR": "var"}, "aragora.E030"),  # around the uploads (the tests': var/...)
        ({"EXPORT_DIR": "/srv/aragora/files", "UPLOAD_DIR": "/srv/aragora/files"}, "aragora.E030"),
        ({"EXPORT_TTL_DAYS": 0}, "aragora.E031"),
        ({"EXPORT_TTL_DAYS": 366}, "aragora.E031"),
        ({"EXPORT_MAX_BUILD_SECONDS": 59}, "aragora.E032"),
        ({"SESSION_RETENTION_DAYS": 0}, "aragora.E033"),
        ({"BUILD": True}, "aragora.E040"),
        ({"METRICS_ALLOWED_IPS": ["10.0.0.0/8", "10.0.0.0/33"]}, "aragora.E045"),
        ({"METRICS_ALLOWED_IPS": ["prometheus.internal"]}, "aragora.E045"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/aragora-metrics"}, "aragora.E046"),
        ({"SENTRY_DSN": "not-a-dsn"}, "aragora.E047"),
        ({"SENTRY_TRACES_SAMPLE_RATE": 1.5}, "aragora.E048"),
        ({"SENTRY_TRACES_SAMPLE_RATE": -0.1}, "aragora.E048"),
    ],
)
def test_each_unsafe_value_is_reported_with_its_id(settings, overrides, check_id):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert ids(settings) == {check_id}
    with pytest.raises(ImproperlyConfigured) as refused:
        checks.refuse_to_start()
    assert check_id in str(refused.value)


def _start(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARAGORA_", "PYTEST"))}
    clean.update(ARAGORA_READ_DOTENV="0", DJANGO_SETTINGS_MODULE="aragora.settings", **env)
    return subprocess.run(  # a fixed interpreter and script
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env", "check_id"),
    [
        ({"ARAGORA_TOKEN_PEPPER": ""}, "aragora.E004"),
        ({"ARAGORA_API_TOKEN_MAX_DAYS": "0"}, "aragora.E010"),
        ({"ARAGORA_IPV6_PREFIX": "200"}, "aragora.E011"),
        ({"ARAGORA_METRICS_ALLOWED_IPS": "10.0.0.0/40"}, "aragora.E045"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/aragora-metrics"}, "aragora.E046"),
        ({"SENTRY_DSN": "https://no-project-id.example"}, "aragora.E047"),
    ],
)
def test_a_process_that_runs_no_checks_still_refuses_to_start(env, check_id):
    """HDR-3: Celery (and any process that only calls django.setup) never starts unsafe."""
    result = _start("import django; django.setup(); print('started')", **{**PRODUCTION, **env})
    assert result.returncode != 0 and "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr and check_id in result.stderr
    assert PRODUCTION["ARAGORA_SECRET_KEY"] not in result.stderr


@pytest.mark.parametrize("upload_dir", ["var/uploads", str(ROOT / "var" / "uploads"), str(ROOT)])
def test_production_refuses_uploads_inside_the_application_folder(settings, upload_dir):
    """OPS-4: the image's /app is read-only and holds the code (aragora.E041, a deploy check)."""
    settings.PRODUCTION = True
    settings.UPLOAD_DIR = upload_dir
    found = {
        m.id for m in django_checks.run_checks(tags=[checks.TAG], include_deployment_checks=True)
    }
    assert "aragora.E041" in found
    settings.UPLOAD_DIR = "/var/lib/aragora/uploads"
    found = {
        m.id for m in django_checks.run_checks(tags=[checks.TAG], include_deployment_checks=True)
    }
    assert "aragora.E041" not in found


def test_production_keeps_uploads_outside_the_application_folder_by_default():
    code = "from django.conf import settings; print(settings.UPLOAD_DIR)"
    result = _start(f"import django; django.setup(); {code}", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/var/lib/aragora/uploads"
