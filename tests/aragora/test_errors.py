"""The API error shape of API.md for every error under /api/."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_unknown_api_path_is_404_not_found(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_drf_405_has_the_shape_and_allow(client):
    response = client.delete("/api/v1/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_plain_django_405_under_api_is_rewritten(client):
    response = client.post("/api/test/plain")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_unhandled_exception_is_500_without_details(client):
    response = client.get("/api/test/boom")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error"
    assert "boom" not in response.content.decode() and "Traceback" not in response.content.decode()


def test_500_in_debug_mode_still_has_the_shape(client, settings):
    settings.DEBUG = True
    response = client.get("/api/test/boom")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"


@pytest.mark.parametrize("body", [b"{not json", b'{"a": 1,}', b"\xff\xfe", b'{"a": NaN}'])
def test_malformed_json_is_400_invalid_json(client, body):
    response = client.generic("POST", "/api/test/echo", body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_json_nesting_deeper_than_the_bound_is_refused(client, settings):
    deep = "[" * (settings.MAX_JSON_DEPTH + 1) + "]" * (settings.MAX_JSON_DEPTH + 1)
    response = client.generic("POST", "/api/test/echo", deep, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
    ok = "[" * settings.MAX_JSON_DEPTH + "]" * settings.MAX_JSON_DEPTH
    response = client.generic("POST", "/api/test/echo", ok, content_type="application/json")
    assert response.status_code == 200


def test_pathologically_deep_json_is_400_not_500(client):
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    response = client.generic("POST", "/api/test/echo", deep, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_validation_error_lists_every_field(client):
    response = client.post(
        "/api/test/validate",
        data=json.dumps({"email": "nope", "count": 0}),
        content_type="application/json",
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"email", "count"}
    assert all(isinstance(m, list) and m for m in error["details"].values())


def test_anonymous_on_a_private_endpoint_gets_not_authenticated(client):
    response = client.get("/api/test/private")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_permission_denied_has_the_shape(client, settings, django_user_model):
    settings.PUBLIC_API_DOCS = False
    client.force_login(django_user_model.objects.create_user("m@example.com", None))
    response = client.get("/api/schema/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_unsupported_media_type_is_415_shape(client):
    response = client.generic("POST", "/api/test/echo", b"x=1", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_pages_outside_api_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
