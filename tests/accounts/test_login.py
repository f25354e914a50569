"""Register, login (bearer and cookie transports), me: API.md's accounts rows, AUTH-2, PWD-3."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import SessionKind, User, UserSession
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


def test_register_creates_a_member(api):
    response = api.post(
        "/api/v1/auth/register", {"email": "New@Example.com", "password": "Another-Good-Pass-42"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com" and isinstance(body["id"], int)
    user = User.objects.get(pk=body["id"])
    assert user.roles == ["member"] and user.check_password("Another-Good-Pass-42")
    assert AuditEvent.objects.filter(event_type="accounts.user.created", actor=user).exists()


def test_register_lists_every_password_rule_broken(api):
    response = api.post("/api/v1/auth/register", {"email": "x@example.com", "password": "123"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert len(error["details"]["password"]) >= 3  # too short, too common, entirely numeric
    assert not User.objects.filter(email="x@example.com").exists()


def test_register_duplicate_email_any_case_is_refused(api, user):
    response = api.post(
        "/api/v1/auth/register", {"email": user.email.upper(), "password": "Another-Good-Pass-42"}
    )
    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]
    assert User.objects.filter(email=user.email).count() == 1


def test_register_can_be_turned_off(api, settings):
    settings.ALLOW_SIGNUP = False
    response = api.post(
        "/api/v1/auth/register", {"email": "y@example.com", "password": "Another-Good-Pass-42"}
    )
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert Client().get("/accounts/signup/").status_code == 404


def test_login_returns_the_contract_fields(api, user):
    response = api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert {"access", "refresh", "access_expires_at", "session_id"} <= set(body)
    session = UserSession.objects.get(pk=body["session_id"])
    assert session.kind == SessionKind.API and session.user == user
    me = Api(body["access"]).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json() == {
        "id": user.pk,
        "email": user.email,
        "roles": ["member"],
        "mfa_enabled": False,
        "date_joined": me.json()["date_joined"],
    }


def test_login_failures_are_byte_identical_for_unknown_email_and_wrong_password(api, user):
    inactive = UserFactory(is_active=False)
    wrong = api.post("/api/v1/auth/login", {"email": user.email, "password": "Wrong-Pass-123"})
    unknown = api.post(
        "/api/v1/auth/login", {"email": "nobody@example.com", "password": "Wrong-Pass-123"}
    )
    disabled = api.post("/api/v1/auth/login", {"email": inactive.email, "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == disabled.status_code == 401
    assert wrong.content == unknown.content == disabled.content
    assert error_code(wrong) == "invalid_credentials"


def test_login_is_audited_without_secrets(api, user):
    api.post("/api/v1/auth/login", {"email": "Ghost@Example.com", "password": "Wrong-Pass-123"})
    api.post("/api/v1/auth/login", {"email": user.email, "password": "Wrong-Pass-123"})
    api.login(user.email)
    failed = list(AuditEvent.objects.filter(event_type="accounts.login.failed").order_by("id"))
    assert failed[0].actor is None and len(failed[0].data["email_hash"]) == 32
    assert "ghost" not in str(failed[0].data).lower()
    assert failed[1].actor == user
    assert AuditEvent.objects.filter(event_type="accounts.login.succeeded", actor=user).exists()
    everything = str(list(AuditEvent.objects.values()))
    assert PASSWORD not in everything and "Wrong-Pass-123" not in everything


def test_bad_login_input_is_a_validation_error(api):
    response = api.post("/api/v1/auth/login", {"email": "a@b.c", "transport": "pigeon"})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"password", "transport"}


def _cookie_login(client: Client, email: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/login",
        {"email": email, "password": PASSWORD, "transport": "cookie"},
        content_type="application/json",
    )


def test_cookie_transport_sets_strict_httponly_secure_cookies(user, settings):
    response = _cookie_login(Client(), user.email)
    assert response.status_code == 200
    body = response.json()
    assert body["access"] is None and body["refresh"] is None and body["csrf_token"]
    for name in ("aragora_access", "aragora_refresh"):
        cookie = response.cookies[name]
        assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    assert response.cookies["aragora_refresh"]["path"] == "/api/v1/auth/"


def test_cookie_is_not_secure_in_debug(user, settings):
    settings.DEBUG = True
    response = _cookie_login(Client(), user.email)
    assert not response.cookies["aragora_access"]["secure"]


def test_cookie_authenticated_unsafe_request_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    body = _cookie_login(client, user.email).json()
    assert client.get("/api/v1/auth/me").status_code == 200  # safe: no CSRF needed
    refused = client.post("/api/v1/sessions/revoke-others", content_type="application/json")
    assert refused.status_code == 403
    assert error_code(refused) == "permission_denied"
    allowed = client.post(
        "/api/v1/sessions/revoke-others",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=body["csrf_token"],
    )
    assert allowed.status_code == 200


def test_cookie_refresh_needs_csrf_too(user):
    client = Client(enforce_csrf_checks=True)
    body = _cookie_login(client, user.email).json()
    assert client.post("/api/v1/auth/refresh").status_code == 403
    response = client.post("/api/v1/auth/refresh", HTTP_X_CSRFTOKEN=body["csrf_token"])
    assert response.status_code == 200
    assert response.json()["transport"] == "cookie"
    assert response.cookies["aragora_refresh"].value


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh"]
)
def test_auth_rate_limit_is_ten_a_minute_per_ip_with_headers(path):
    api = Api(REMOTE_ADDR="198.51.100.33")
    codes = []
    for n in range(11):
        response = api.post(path, {"email": f"r{n}@example.com", "password": "x", "refresh": "x"})
        codes.append(response.json().get("error", {}).get("code") if response.content else None)
        assert response["X-RateLimit-Limit"] == "10"
    assert "rate_limited" not in codes[:10]  # (login: the IP lockout answers from the 6th on)
    assert response.status_code == 429 and codes[10] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert Api(REMOTE_ADDR="198.51.100.34").post(path, {}).status_code != 429
