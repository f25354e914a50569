"""System checks that refuse an unsafe or incomplete configuration (HDR-2, HDR-3, issue #11).

``aragora/settings.py`` only reads the environment; every rule about the values lives here, with
an id, so ``manage.py check`` (and ``check --deploy``) lists them all at once. They are tagged
``aragora``. A server never starts past one of them: ``AragoraConfig.ready`` runs the
error-level ``aragora`` checks in every process (gunicorn, Celery, management commands) and
raises ``ImproperlyConfigured`` (``refuse_to_start``); the WSGI entry also runs every other
system check (``fail_on_errors``). Messages name variables, never their values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import SystemCheckError

from aragora import rates

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
    if settings.ENVIRONMENT not in {"development", "production"}:
        return _error("ARAGORA_ENV must be 'development' or 'production'.", "aragora.E002")
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


# aragora.E006 to aragora.E012, aragora.E014 to aragora.E016: values the code relies on
# being in range.
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
        "aragora.E016",  # the same bound for every purge's batch size (#14: no new id)
        lambda: 1 <= settings.DEBATE_PURGE_BATCH_SIZE <= 100_000,
        "ARAGORA_DEBATE_PURGE_BATCH_SIZE must be between 1 and 100000.",
    ),
]


@checks.register(TAG)
def check_rates(app_configs: Any = None, **kwargs: Any) -> Messages:
    """aragora.E017: a typo in a rate (``ARAGORA_RATE_LIMIT_*``) refuses to start instead of
    failing clients' requests later (RATE-1)."""
    try:
        rates.validate(settings.RATE_LIMITS)
    except ImproperlyConfigured as exc:
        return _error(str(exc), "aragora.E017", "Rates look like 10/m, 100/h or 5/10s.")
    return []


@checks.register(TAG)
def check_ranges(app_configs: Any = None, **kwargs: Any) -> Messages:
    return [checks.Error(message, id=id) for id, valid, message in _RANGES if not valid()]


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
