"""System checks that refuse an unsafe or incomplete configuration (HDR-2, HDR-3, issue #11).

``aragora/settings.py`` only reads the environment; every rule about the values lives here, with
an id, so ``manage.py check`` (and ``check --deploy``) lists them all at once. They are tagged
``aragora``. A server never starts past one of them: ``AragoraConfig.ready`` runs the
error-level ``aragora`` checks in every process (gunicorn, Celery, management commands) and
raises ``ImproperlyConfigured`` (``refuse_to_start``); the WSGI entry also runs every other
system check (``fail_on_errors``). Messages name variables, never their values.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import SystemCheckError

from aragora import datastores, errortracking, rates
from aragora.sqlcipher import base as sqlcipher

TAG = "aragora"
Messages = list[checks.CheckMessage]


def _error(message: str, id: str, hint: str | None = None) -> Messages:
    return [checks.Error(message, hint=hint, id=id)]


@checks.register(checks.Tags.security, TAG)
def check_cors_wildcard(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E001: a wildcard origin with credentials would hand every site the user's
    session (HDR-2)."""
    if settings.PRODUCTION and "*" in settings.ALLOWED_ORIGINS:
        return _error(
            "ARAGORA_ALLOWED_ORIGINS contains '*' in production.",
            "aragora.E001",
            "List each allowed origin, e.g. https://app.example.com.",
        )
    return []


@checks.register(TAG)
def check_environment(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E002: a typo must not silently mean "development"."""
    if settings.ENVIRONMENT not in {"development", "production", "build"}:
        return _error("ARAGORA_ENV must be 'development', 'production' or 'build'.", "aragora.E002")
    return []


@checks.register(TAG)
def check_build_mode(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E040: build mode has no secrets; it exists for the image build's
    ``collectstatic`` (``AragoraConfig.ready`` lets that one command through) and serves nothing
    (OPS-4)."""
    if settings.BUILD:
        return _error(
            "ARAGORA_ENV=build only runs `manage.py collectstatic` while the image is built.",
            "aragora.E040",
            "Set ARAGORA_ENV=production (with its secrets) to run anything else.",
        )
    return []


@checks.register(checks.Tags.security, TAG, deploy=True)
def check_upload_dir(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E041: in production the application folder is read-only (the image runs with a
    read-only root filesystem) and holds the code: attachments go elsewhere (OPS-4). A
    deployment check: ``check --deploy`` reports it and the production WSGI entry refuses to
    serve (``fail_on_errors``)."""
    if not settings.PRODUCTION:
        return []
    upload_dir = Path(settings.UPLOAD_DIR)
    base_dir = Path(settings.BASE_DIR).resolve()
    if not upload_dir.is_absolute() or upload_dir.resolve().is_relative_to(base_dir):
        return _error(
            "ARAGORA_UPLOAD_DIR must be an absolute path outside the application folder "
            "in production.",
            "aragora.E041",
            "Mount a volume, e.g. /var/lib/aragora/uploads (the default in production).",
        )
    return []


@checks.register(checks.Tags.security, TAG)
def check_debug_off_in_production(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E003: Django's debug pages show settings and tracebacks (HDR-3)."""
    if settings.PRODUCTION and settings.DEBUG:
        return _error("ARAGORA_DEBUG must be off in production.", "aragora.E003")
    return []


@checks.register(checks.Tags.security, TAG)
def check_secrets_set(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E004: production never falls back to a development default for a secret; outside
    production, an unset secret with ``ARAGORA_DEV_SECRETS_FILE=""`` stops start-up too."""
    unset = settings.UNSET_SECRETS
    if not unset:
        return []
    who = "Production needs" if settings.PRODUCTION else "Set"
    return _error(f"{who} these environment variables: {', '.join(unset)}", "aragora.E004")


@checks.register(checks.Tags.security, TAG)
def check_signing_key_length(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E005: short HMAC keys can be guessed offline from one token (AUTH-6)."""
    if settings.PRODUCTION and any(len(key) < 32 for key in settings.JWT_SIGNING_KEYS):
        return _error("Each ARAGORA_JWT_SIGNING_KEYS key needs 32+ characters.", "aragora.E005")
    return []


@checks.register(checks.Tags.security, TAG)
def check_audit_key_length(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E013: a short audit key lets anyone who reads the trail forge seals (AUDIT-3)."""
    keys = settings.AUDIT_KEYS
    if not keys or (settings.PRODUCTION and any(len(key) < 32 for key in keys)):
        return _error("ARAGORA_AUDIT_KEYS needs a key, each of 32+ characters.", "aragora.E013")
    return []


# aragora.E006 to aragora.E012, aragora.E014 to aragora.E016, aragora.E031 to aragora.E033,
# aragora.E048, aragora.E053: values the code relies on being in range.
_RANGES: list[tuple[str, Callable[[], bool], str]] = [
    (
        "aragora.E006",
        lambda: getattr(settings, "SQLITE_JOURNAL", "WAL") in {"WAL", "DELETE"},
        "ARAGORA_SQLITE_JOURNAL must be WAL or DELETE.",
    ),
    (
        "aragora.E007",
        lambda: settings.JWT_ALGORITHM in {"HS256", "HS384", "HS512"},
        "ARAGORA_JWT_ALGORITHM must be HS256, HS384 or HS512.",
    ),
    (
        "aragora.E008",
        lambda: 0 <= settings.REFRESH_REUSE_GRACE <= 60,
        "ARAGORA_REFRESH_REUSE_GRACE must be between 0 and 60 seconds.",
    ),
    (
        "aragora.E009",
        lambda: not 0 < settings.SESSION_IDLE_TIMEOUT < 2 * settings.SESSION_ACTIVITY_INTERVAL,
        "ARAGORA_SESSION_IDLE_TIMEOUT must be 0 (off) or at least 120.",
    ),
    (
        "aragora.E010",
        lambda: settings.API_TOKEN_MAX_DAYS >= 1,
        "ARAGORA_API_TOKEN_MAX_DAYS must be at least 1.",
    ),
    (
        "aragora.E011",
        lambda: 1 <= settings.IPV6_PREFIX <= 128,
        "ARAGORA_IPV6_PREFIX must be between 1 and 128.",
    ),
    (
        "aragora.E012",
        lambda: settings.AUDIT_AGGREGATE_MAX_ROWS >= 1,
        "ARAGORA_AUDIT_AGGREGATE_MAX_ROWS must be at least 1.",
    ),
    (
        "aragora.E014",
        lambda: settings.SECURITY_LOG_RETENTION_DAYS >= 1,
        "ARAGORA_SECURITY_LOG_RETENTION_DAYS must be at least 1.",
    ),
    (
        "aragora.E015",
        lambda: settings.AUDIT_RETENTION_DAYS >= 1,
        "ARAGORA_AUDIT_RETENTION_DAYS must be at least 1.",
    ),
    (
        "aragora.E016",
        lambda: 1 <= settings.AUDIT_PURGE_BATCH_SIZE <= 100_000,
        "ARAGORA_AUDIT_PURGE_BATCH_SIZE must be between 1 and 100000.",
    ),
    (
        "aragora.E031",
        lambda: 1 <= settings.EXPORT_TTL_DAYS <= 365,
        "ARAGORA_EXPORT_TTL_DAYS must be between 1 and 365.",
    ),
    (
        "aragora.E032",
        lambda: settings.EXPORT_MAX_BUILD_SECONDS >= 60,
        "ARAGORA_EXPORT_MAX_BUILD_SECONDS must be at least 60.",
    ),
    (
        "aragora.E033",
        lambda: settings.SESSION_RETENTION_DAYS >= 1,
        "ARAGORA_SESSION_RETENTION_DAYS must be at least 1.",
    ),
    (
        "aragora.E048",
        lambda: 0.0 <= settings.SENTRY_TRACES_SAMPLE_RATE <= 1.0,
        "ARAGORA_SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1.",
    ),
    (
        "aragora.E053",
        lambda: settings.BACKUP_RETENTION_DAYS >= 1,
        "ARAGORA_BACKUP_RETENTION_DAYS must be at least 1.",
    ),
    (
        "aragora.E016",  # the same bound for every purge's batch size (#14: no new id)
        lambda: 1 <= settings.DEBATE_PURGE_BATCH_SIZE <= 100_000,
        "ARAGORA_DEBATE_PURGE_BATCH_SIZE must be between 1 and 100000.",
    ),
]


@checks.register(checks.Tags.security, TAG)
def check_sqlite_key(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E050, aragora.E051, aragora.E052: the encrypted embedded database (ENC-1) never
    starts without its key, with a key that does not open it, or (production) a weak passphrase.
    """
    if not settings.SQLITE_ENCRYPTION or settings.SERVICE_DATABASE:
        return []
    key = settings.SQLITE_KEY
    if not key:
        return _error(
            "ARAGORA_SQLITE_ENCRYPTION is on but ARAGORA_SQLITE_KEY is empty.", "aragora.E050"
        )
    if settings.PRODUCTION and not sqlcipher.RAW_KEY.fullmatch(key) and len(key) < 32:
        return _error(
            "ARAGORA_SQLITE_KEY needs 64 hex digits (a raw key) or a 32+ character passphrase.",
            "aragora.E052",
        )
    try:
        sqlcipher.probe(settings.DATABASES["default"])
    except ImproperlyConfigured as exc:
        return _error(str(exc), "aragora.E051", "Check ARAGORA_SQLITE_KEY and ARAGORA_SQLITE_PATH.")
    return []


_REDIS_WARNINGS = {
    "plaintext": ("aragora.W054", "{name} reaches a remote Redis without TLS: use rediss://."),
    "unverified": (
        "aragora.W055",
        "{name} uses TLS without verifying the server: drop ssl_cert_reqs or set it to required.",
    ),
    "no-password": ("aragora.W056", "{name} reaches a remote Redis without a password."),
}


@checks.register(checks.Tags.security, TAG)
def check_transport_security(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.W054 to aragora.W057: in production, data stores on another host are reached
    over verified TLS with a password (ENC-1). Warnings: ``check --deploy`` fails on them."""
    if not settings.PRODUCTION:
        return []
    messages: Messages = []
    urls = {
        "REDIS_URL": settings.REDIS_URL,
        "ARAGORA_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    for name, url in urls.items():
        for problem in datastores.redis_problems(url):
            id, text = _REDIS_WARNINGS[problem]
            messages.append(checks.Warning(text.format(name=name), id=id))
    if datastores.postgres_unverified(settings.DATABASES["default"]):
        messages.append(
            checks.Warning(
                "DATABASE_URL reaches a remote PostgreSQL without sslmode=verify-full.",
                hint="Add ?sslmode=verify-full&sslrootcert=/path/to/ca.pem to DATABASE_URL.",
                id="aragora.W057",
            )
        )
    return messages


@checks.register(TAG)
def check_rates(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E017: a typo in a rate (``ARAGORA_RATE_LIMIT_*``) refuses to start instead of
    failing clients' requests later (RATE-1)."""
    try:
        rates.validate(settings.RATE_LIMITS)
    except ImproperlyConfigured as exc:
        return _error(str(exc), "aragora.E017", "Rates look like 10/m, 100/h or 5/10s.")
    return []


@checks.register(checks.Tags.security, TAG)
def check_export_dir(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E030: export archives hold everything about a user (PRIV-3); a directory that
    is served (static files, media) or shared with the uploads, inside or around, would expose
    them or mix them with other files."""
    exports = _resolved(settings.EXPORT_DIR)
    served = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.UPLOAD_DIR]
    if getattr(settings, "MEDIA_ROOT", ""):
        served.append(settings.MEDIA_ROOT)
    for other in (_resolved(path) for path in served if path):
        if exports == other or other in exports.parents or exports in other.parents:
            return _error(
                "ARAGORA_EXPORT_DIR must be a private directory of its own, not inside, around "
                "or the same as static files, media or ARAGORA_UPLOAD_DIR.",
                "aragora.E030",
            )
    return []


def _resolved(path: Any) -> Path:
    found = Path(path)
    return (found if found.is_absolute() else Path(settings.BASE_DIR) / found).resolve()


@checks.register(TAG)
def check_ranges(app_configs: Any = None, **kwargs: Any) -> Messages:
    return [checks.Error(message, id=id) for id, valid, message in _RANGES if not valid()]


@checks.register(checks.Tags.security, TAG)
def check_metrics_allowed_ips(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E045: an entry of the /metrics allowlist that is no IP or network would silently
    admit nobody, or (a typo of a wider prefix) the wrong clients (OPS-1)."""
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            return _error(
                "ARAGORA_METRICS_ALLOWED_IPS has an entry that is not an IP address or network.",
                "aragora.E045",
                "List addresses or CIDR blocks, comma-separated: 10.0.0.0/8,192.0.2.7.",
            )
    return []


@checks.register(TAG)
def check_multiprocess_dir(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E046: with PROMETHEUS_MULTIPROC_DIR set, every process writes its metrics there;
    a missing or read-only directory would fail every counted request (OPS-1)."""
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory and not (os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK)):
        return _error(
            "PROMETHEUS_MULTIPROC_DIR is not a writable directory.",
            "aragora.E046",
            "Create it (an emptyDir volume, emptied before the processes start) or unset it.",
        )
    return []


@checks.register(TAG)
def check_sentry_dsn(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E047: a DSN sentry-sdk cannot parse would silently send no error anywhere."""
    if settings.SENTRY_DSN and not errortracking.dsn_is_valid(settings.SENTRY_DSN):
        return _error("SENTRY_DSN is not a valid Sentry DSN.", "aragora.E047")
    return []


def refuse_to_start() -> None:
    """Raise ``ImproperlyConfigured`` on any error-level ``aragora`` check: gunicorn and Celery
    do not run system checks, so a process would otherwise start with an unsafe configuration."""
    errors = _serious(checks.run_checks(tags=[TAG]))
    if errors:
        raise ImproperlyConfigured("\n".join(str(e) for e in errors))


def fail_on_errors() -> None:
    """Run every system check in a server process (gunicorn does not run them by itself)."""
    errors = _serious(checks.run_checks(include_deployment_checks=settings.PRODUCTION))
    if errors:
        raise SystemCheckError("\n".join(str(e) for e in errors))


def _serious(messages: Messages) -> Messages:
    return [m for m in messages if m.is_serious() and not m.is_silenced()]
