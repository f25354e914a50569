"""#11: typed request notes, the ``AuthContext`` our authentication gives as ``request.auth``,
and the ``ClientInfo`` services and the audit trail take (LOCK-6 for the client IP)."""

from __future__ import annotations

import jwt
import pytest
from django.test import Client, RequestFactory
from rest_framework.request import Request

from accounts.models import UserSession
from accounts.services.api_tokens import create_token
from aragora.http.client_ip import client_info, client_ip
from aragora.http.notes import ClientInfo, RequestNotes, request_notes
from tests.factories import UserFactory
from tests.helpers import Api

URL = "/api/test/auth-context"


def test_a_drf_request_and_its_django_request_share_one_notes_object():
    http = RequestFactory().get("/")
    notes = request_notes(Request(http))
    assert isinstance(notes, RequestNotes)
    assert request_notes(http) is notes
    assert request_notes(Request(http)) is notes  # a second wrapper finds the same notes


def test_each_request_gets_fresh_notes():
    first, second = RequestFactory().get("/"), RequestFactory().get("/")
    request_notes(first).lockout_retry_after = 30
    assert request_notes(second) is not request_notes(first)
    assert request_notes(second) == RequestNotes()


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    return settings


def test_client_info_behind_a_trusted_proxy_is_the_forwarded_client(proxies):
    """LOCK-6: behind a trusted proxy the right-most untrusted hop is the client; the user
    agent is cut to the audit column's 256 characters."""
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="10.1.1.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.2.2.2",
        HTTP_USER_AGENT="agent/" + "x" * 400,
    )
    info = client_info(request)
    assert info == ClientInfo(ip="198.51.100.7", user_agent=("agent/" + "x" * 400)[:256])
    assert client_ip(request) == "198.51.100.7"


def test_client_info_from_an_untrusted_peer_ignores_its_forwarded_header(proxies):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_USER_AGENT="ua"
    )
    assert client_info(request) == ClientInfo(ip="203.0.113.9", user_agent="ua")


def test_client_info_is_resolved_once_per_request(proxies):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    info = client_info(request)
    assert client_info(Request(request)) is info
    assert request_notes(request).client is info


@pytest.mark.django_db
def test_client_info_through_the_middleware_behind_a_trusted_proxy(proxies):
    response = Client(REMOTE_ADDR="10.9.9.9").get(
        "/api/test/whoami", HTTP_X_FORWARDED_FOR="198.51.100.20"
    )
    assert response.json() == {"ip": "198.51.100.20"}


@pytest.mark.django_db
def test_a_jwt_gives_a_jwt_context_with_its_session_and_token(api, user):
    pair = api.as_user(user.email)
    session = UserSession.objects.get(user=user)
    body = api.get(URL).json()
    assert body["noted"] is True
    context = body["context"]
    assert context["kind"] == "jwt"
    assert context["user_id"] == user.pk
    assert context["session_id"] == str(session.pk)
    assert context["token_jti"] == _jwt_claims(pair["access"])["jti"]
    assert context["api_token_id"] is None and context["scopes"] == []


@pytest.mark.django_db
def test_an_api_token_gives_an_api_token_context_with_its_scopes_and_no_session():
    user = UserFactory(roles=["member"])
    created = create_token(
        user=user,
        name="t",
        scopes=["debates:read", "debates:write"],
        expires_in_days=30,
        client=client_info(RequestFactory().get("/")),
    )
    body = Api(created.secret).get(URL).json()
    assert body["noted"] is True
    assert body["context"] == {
        "kind": "api_token",
        "user_id": user.pk,
        "session_id": None,
        "token_jti": None,
        "api_token_id": created.token.pk,
        "scopes": ["debates:read", "debates:write"],
    }


@pytest.mark.django_db
def test_a_browser_session_gives_a_session_context_with_its_session(user):
    browser = Client()
    browser.force_login(user)
    session = UserSession.objects.get(user=user)
    body = browser.get(URL).json()
    assert body["noted"] is True
    assert body["context"] == {
        "kind": "session",
        "user_id": user.pk,
        "session_id": str(session.pk),
        "token_jti": None,
        "api_token_id": None,
        "scopes": [],
    }


@pytest.mark.django_db
def test_an_anonymous_request_has_no_context():
    assert Api().get(URL).json() == {"context": None, "noted": True}


def _jwt_claims(token: str) -> dict[str, str]:
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]
