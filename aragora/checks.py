"""System checks that refuse an unsafe configuration at start-up (HDR-2)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError


@checks.register(checks.Tags.security)
def check_cors_wildcard(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A wildcard origin with credentials would hand every site the user's session."""
    if settings.PRODUCTION and "*" in settings.ALLOWED_ORIGINS:
        return [
            checks.Error(
                "ARAGORA_ALLOWED_ORIGINS contains '*' in production.",
                hint="List each allowed origin, e.g. https://app.example.com.",
                id="aragora.E001",
            )
        ]
    return []


def fail_on_errors() -> None:
    """Run the system checks in a server process (gunicorn does not run them by itself)."""
    messages = checks.run_checks(include_deployment_checks=settings.PRODUCTION)
    errors = [m for m in messages if m.is_serious() and not m.is_silenced()]
    if errors:
        raise SystemCheckError("\n".join(str(e) for e in errors))
