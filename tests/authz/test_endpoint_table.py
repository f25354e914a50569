"""AUTHZ-1: every API view declares its permission (default deny), checked against a table
of who may call what."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from tests.factories import UserFactory
from tests.helpers import Api, enrol_mfa, mfa_login

pytestmark = pytest.mark.django_db

# path -> method -> expected status for (anonymous, viewer, member, admin).
# Admins have MFA and a fresh step-up here; ids that do not exist give 404 after the checks.
TABLE: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "/api/v1/": {"GET": (200, 200, 200, 200)},
    "/api/schema/": {"GET": (200, 200, 200, 200)},
    "/api/docs/": {"GET": (200, 200, 200, 200)},
    "/api/v1/auth/me": {"GET": (401, 200, 200, 200)},
    "/api/v1/sessions": {"GET": (401, 200, 200, 200)},
    "/api/v1/sessions/revoke-others": {"POST": (401, 200, 200, 200)},
    "/api/v1/sessions/00000000-0000-0000-0000-000000000000": {"DELETE": (401, 404, 404, 404)},
    "/api/v1/tokens": {"GET": (401, 200, 200, 200)},
    "/api/v1/tokens/nope": {"DELETE": (401, 404, 404, 404)},
    "/api/v1/auth/step-up": {"POST": (401, 400, 400, 400)},
    "/api/v1/auth/password/change": {"POST": (401, 400, 400, 400)},
    "/api/v1/mfa/totp/setup": {"POST": (401, 200, 200, 400)},
    "/api/v1/mfa/totp/confirm": {"POST": (401, 400, 400, 400)},
    "/api/v1/mfa/backup-codes/regenerate": {"POST": (401, 400, 400, 200)},
    "/api/v1/mfa/disable": {"POST": (401, 400, 400, 400)},
    "/api/v1/debates": {"GET": (401, 200, 200, 200), "POST": (401, 403, 400, 400)},
    "/api/v1/debates/999999": {"GET": (401, 404, 404, 404)},
    "/api/v1/debates/999999/attachments": {"POST": (401, 403, 404, 404)},
    "/api/v1/debates/999999/attachments/1": {"GET": (401, 404, 404, 404)},
    "/api/v1/debates/999999/sources": {"POST": (401, 403, 404, 404)},
    "/api/v1/debates/999999/hide": {"POST": (401, 403, 403, 404)},
    "/api/v1/admin/lockouts": {"GET": (401, 403, 403, 200)},
    "/api/v1/admin/lockouts/clear": {"POST": (401, 403, 403, 400)},
    "/api/v1/admin/users/999999/mfa-reset": {"POST": (401, 403, 403, 404)},
    "/api/v1/admin/users/999999/roles": {"PUT": (401, 403, 403, 400)},
    "/api/v1/admin/users/999999/sessions/revoke": {"POST": (401, 403, 403, 404)},
    "/api/v1/admin/blocks": {"GET": (401, 403, 403, 200)},
    "/api/v1/admin/blocks/clear": {"POST": (401, 403, 403, 400)},
    "/api/v1/audit/events": {"GET": (401, 403, 403, 200)},
    "/api/v1/audit/events/export": {"GET": (401, 403, 403, 200)},
    "/api/v1/audit/verify": {"GET": (401, 403, 403, 200)},
    # every signed-in user manages their own privacy choices (PRIV-1, PRIV-2)
    "/api/v1/privacy/consents": {"GET": (401, 200, 200, 200)},
    "/api/v1/privacy/consents/product_updates": {"PUT": (401, 400, 400, 400)},
    "/api/v1/privacy/do-not-sell": {"GET": (401, 200, 200, 200), "PUT": (401, 400, 400, 400)},
    # PRIV-4: anyone signed in may erase their own account (an empty body: no password)
    "/api/v1/privacy/erasure": {"POST": (401, 400, 400, 400)},
    # ... and their own data exports (PRIV-3); another user's or an unknown id is 404
    "/api/v1/privacy/exports": {"POST": (401, 202, 202, 202)},
    "/api/v1/privacy/exports/00000000-0000-0000-0000-000000000000": {"GET": (401, 404, 404, 404)},
    "/api/v1/privacy/exports/nope/download": {"GET": (401, 404, 404, 404)},
    # open by design: they authenticate by what they are sent
    "/api/v1/auth/register": {"POST": (400, 400, 400, 400)},
    "/api/v1/auth/login": {"POST": (400, 400, 400, 400)},
    "/api/v1/auth/refresh": {"POST": (401, 401, 401, 401)},
    "/api/v1/auth/mfa/verify": {"POST": (400, 400, 400, 400)},
    "/api/v1/auth/logout": {"POST": (401, 204, 204, 204)},
}


def api_views() -> dict[str, type]:
    """Every route under /api/ and the view class behind it."""
    found: dict[str, type] = {}

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                view = getattr(pattern.callback, "view_class", None) or pattern.callback
                found[route] = view

    walk(get_resolver("aragora.urls"), "")
    return found


def test_every_api_view_declares_its_permissions():
    for route, view in api_views().items():
        assert isinstance(view, type) and issubclass(view, APIView), route
        declared = any(
            "permission_classes" in vars(cls)
            for cls in view.__mro__
            if cls.__module__.startswith(
                ("abuse", "accounts", "aragora", "debates", "privacy", "audit", "drf_spectacular")
            )
        )
        assert declared, f"{route} relies on the default permission"


def test_the_table_covers_every_api_route():
    assert len(api_views()) == len(TABLE), sorted(api_views())


def _callers() -> list[Api]:
    callers = [Api()]
    for role in ("viewer", "member"):
        api = Api()
        api.as_user(UserFactory(roles=[role]).email)
        callers.append(api)
    admin = UserFactory(roles=["admin"])
    secret, _ = enrol_mfa(admin)
    api = Api()
    mfa_login(api, admin, secret)
    callers.append(api)
    return callers


def test_status_table(settings):
    settings.RATE_LIMITS = {k: "10000/m" for k in settings.RATE_LIMITS}
    callers = _callers()
    failures = []
    for path, methods in TABLE.items():
        for method, expected in methods.items():
            for who, api, status in zip(
                ("anonymous", "viewer", "member", "admin"), callers, expected, strict=True
            ):
                if path.endswith("/logout") and who != "anonymous":
                    continue  # checked last: it ends the session
                response = (
                    getattr(api, method.lower())(path)
                    if method in ("GET", "DELETE")
                    else getattr(api, method.lower())(path, {})
                )
                if response.status_code != status:
                    failures.append((path, method, who, response.status_code, status))
    for api, who in zip(callers[1:], ("viewer", "member", "admin"), strict=True):
        response = api.post("/api/v1/auth/logout")
        if response.status_code != 204:
            failures.append(("/api/v1/auth/logout", "POST", who, response.status_code, 204))
    assert not failures, failures
