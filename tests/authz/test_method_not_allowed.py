"""API.md: a method a path does not serve is 405 ``method_not_allowed`` with ``Allow``, whoever
asks (anonymous, a member, an API token without scopes), never 401 or 403 (AUTHZ-1, AUTHZ-2)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import resolve

from accounts.services.api_tokens import create_token
from aragora.http.client_ip import client_info
from tests.authz.test_endpoint_table import TABLE
from tests.factories import UserFactory
from tests.helpers import Api

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def served(path: str) -> set[str]:
    """What the route's view serves, from its class (the table lists only what is tested)."""
    view_class = resolve(path).func.view_class  # type: ignore[attr-defined]
    return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}


def callers() -> dict[str, Api]:
    member = UserFactory(roles=["member"])
    as_member = Api()
    as_member.as_user(member.email)
    request = RequestFactory().get("/")
    created = create_token(
        user=member, name="no scopes", scopes=[], expires_in_days=30, client=client_info(request)
    )
    scopeless = Api(created.secret)
    # Each caller is who it claims to be: known to the API, refused by a served method's checks.
    assert as_member.get("/api/v1/auth/me").status_code == 200
    assert scopeless.get("/api/v1/debates").status_code == 403
    assert Api().get("/api/v1/auth/me").status_code == 401
    return {"anonymous": Api(), "member": as_member, "scopeless token": scopeless}


def call(api: Api, method: str, path: str):  # type: ignore[no-untyped-def]
    extra = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"} if api.token else {}
    return api.client.generic(method, path, b"{}", content_type="application/json", **extra)


def test_every_unserved_method_on_every_api_route_is_405_with_allow(settings):
    settings.RATE_LIMITS = {k: "10000/m" for k in settings.RATE_LIMITS}
    failures = []
    for who, api in callers().items():
        for path in TABLE:
            allowed = served(path)
            for method in sorted(set(METHODS) - allowed):
                response = call(api, method, path)
                problem = _problem(response, allowed)
                if problem:
                    failures.append((who, method, path, response.status_code, problem))
    assert not failures, failures


def _problem(response, allowed: set[str]) -> str:  # type: ignore[no-untyped-def]
    if response.status_code != 405:
        return "not 405"
    if response.json()["error"]["code"] != "method_not_allowed":
        return "wrong code"
    if not allowed <= {m.strip() for m in response["Allow"].split(",")}:
        return f"Allow is {response['Allow']!r}"
    return ""


def test_a_served_method_still_runs_its_checks():
    """The 405 gate decides the method only: served methods keep their 401 and 403."""
    apis = callers()
    assert apis["anonymous"].post("/api/v1/debates", {}).status_code == 401
    assert apis["scopeless token"].post("/api/v1/debates", {}).status_code == 403
    assert apis["member"].post("/api/v1/admin/lockouts/clear", {}).status_code == 403


def test_an_unknown_path_stays_404():
    assert Api().delete("/api/v1/no-such-thing").status_code == 404
