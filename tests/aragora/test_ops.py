"""/healthz, /readyz, OpenAPI schema and docs."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_readyz_is_503_when_the_cache_is_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unavailable"
    assert "127.0.0.1:1" not in response.content.decode()


def test_openapi_schema_and_docs_are_served():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/" in schema.content.decode()
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content  # no inline script: the strict CSP holds


def test_docs_are_staff_only_when_not_public(settings, django_user_model):
    settings.PUBLIC_API_DOCS = False
    assert Client().get("/api/docs/").status_code == 401
    staff = django_user_model.objects.create_user("staff@example.com", None, roles=["admin"])
    client = Client()
    client.force_login(staff)
    assert client.get("/api/docs/").status_code == 200
