"""HDR-1: the policy's headers on every response, errors, admin and static files included."""

from __future__ import annotations

import pytest
from django.test import Client

HDR1 = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def assert_policy_headers(response) -> None:
    for name, value in HDR1.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", "/api/v1/", 200),
        ("get", "/healthz", 200),
        ("get", "/api/v1/does-not-exist", 404),
        ("get", "/no-such-page", 404),
        ("post", "/api/v1/", 405),
        ("get", "/api/test/boom", 500),
        ("get", "/admin/login/", 302),
        ("get", "/static/css/site.css", 200),
    ],
)
def test_policy_headers_on_every_kind_of_response(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_policy_headers(response)


@pytest.mark.django_db
def test_policy_headers_on_413(client):
    response = client.post(
        "/api/test/echo",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(11 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert_policy_headers(response)


@pytest.mark.django_db
def test_policy_headers_on_429(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "1/h"}
    assert client.get("/api/v1/").status_code == 200
    response = client.get("/api/v1/")
    assert response.status_code == 429
    assert_policy_headers(response)


@pytest.mark.django_db
def test_admin_page_for_a_staff_user_has_headers(client, django_user_model):
    from tests.helpers import verified_admin_client

    admin = django_user_model.objects.create_superuser("root@example.com", "Str0ng-Passw0rd!")
    response = verified_admin_client(admin).get("/admin/")
    assert response.status_code == 200
    assert_policy_headers(response)


@pytest.mark.django_db
def test_each_policy_header_value_is_defined_once_in_the_settings(client, settings):
    """HDR-1, issue #11: the middleware sends the values the settings define (the same ones
    Django's own middleware reads), so changing one setting changes every response."""
    settings.SECURE_REFERRER_POLICY = "no-referrer"
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    response = client.get("/healthz")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
