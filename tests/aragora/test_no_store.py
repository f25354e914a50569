"""API.md: responses that carry secrets or personal data send ``Cache-Control: no-store``.

The rule is every response but static files (see ``aragora.http.headers``), so the walk covers
every API route for an anonymous caller and a member, errors included, and the account pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.authz.test_endpoint_table import TABLE
from tests.factories import UserFactory
from tests.helpers import Api

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:  # type: ignore[no-untyped-def]
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


def test_every_api_response_is_no_store_for_anyone(settings):
    settings.RATE_LIMITS = {k: "10000/m" for k in settings.RATE_LIMITS}
    member = Api()
    member.as_user(UserFactory(roles=["member"]).email)
    missing = []
    for who, api in (("anonymous", Api()), ("member", member)):
        for path, methods in TABLE.items():
            if path.endswith("/logout"):
                continue  # ends the member's session; covered below
            for method in methods:
                response = api.client.generic(
                    method, path, b"{}", content_type="application/json", **_auth(api)
                )
                if not no_store(response):
                    missing.append((who, method, path, response.status_code))
    assert not missing, missing
    assert no_store(member.post("/api/v1/auth/logout"))


def _auth(api: Api) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api.token}"} if api.token else {}


def test_pages_with_personal_data_are_no_store():
    client = Client()
    client.force_login(UserFactory(roles=["member"]))
    for path in ("/accounts/sessions/", "/accounts/tokens/", "/debates/", "/", "/no-such-page"):
        response = client.get(path)
        assert no_store(response), (path, response.status_code, response.get("Cache-Control"))


def test_static_files_stay_cacheable():
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    assert not no_store(response)
