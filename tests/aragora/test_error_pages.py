"""HDR-1: error responses depend on nothing that can fail, and every response carries the CSP
and the policy headers: broken templates, a failing error handler, Django's own 404 and 500 in
DEBUG mode (django-csp leaves those without a CSP), under /api/ and outside."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.aragora.test_headers import assert_policy_headers

pytestmark = pytest.mark.django_db

BROKEN_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {"loaders": ["tests.broken_templates.Loader"]},
    }
]

MESSAGES = {404: b"Not found.", 500: b"Something went wrong on our side."}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no-such-page", 404), ("/test/rollback", 500), ("/", 500), ("/api/nothing", 404)],
)
def test_a_broken_template_loader_still_gives_a_plain_error_with_headers(
    client, settings, path, status
):
    settings.TEMPLATES = BROKEN_TEMPLATES
    response = client.get(path)
    assert response.status_code == status
    assert_policy_headers(response)
    assert MESSAGES[status] in response.content
    assert b"template store" not in response.content  # the cause stays in the log


@pytest.mark.parametrize(("path", "status"), [("/no-such-page", 500), ("/test/rollback", 500)])
def test_an_error_handler_that_raises_still_answers_500_with_headers(
    client, settings, path, status
):
    settings.ROOT_URLCONF = "tests.urls_failing_handlers"
    response = client.get(path)
    assert response.status_code == status
    assert_policy_headers(response)
    assert b"error handler failed" not in response.content


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/does-not-exist", 404),
        ("/api/nothing", 404),
        ("/no-such-page", 404),
        ("/api/test/boom", 500),
        ("/test/rollback", 500),
    ],
)
def test_django_404_and_500_in_debug_mode_carry_the_csp(client, settings, path, status):
    settings.DEBUG = True
    response = client.get(path)
    assert response.status_code == status
    assert_policy_headers(response)
