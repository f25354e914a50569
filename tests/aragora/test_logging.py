"""PWD-4: secrets never reach the logs, whatever endpoint they are sent to."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from aragora.logging import RedactSecretsFilter

CANARY = "Canary-Pa55word-7f3kQ9"


def formatted(record_args: dict) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error(*record_args["args"], **record_args.get("kwargs", {}))
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize(
    "call",
    [
        {"args": ("login with password=%s", CANARY)},
        {"args": ("body %s", json.dumps({"email": "a@b.c", "password": CANARY}))},
        {"args": ("body %s", {"new_password": CANARY})},
        {"args": ("header Authorization: Bearer %s", CANARY)},
        {"args": ("GET /x?token=%s&a=1", CANARY)},
        {"args": ("key arg_12.%s", CANARY)},
        {"args": ("jwt eyJhbGciOi.eyJzdWIi.%s", CANARY)},
        {"args": ("cookie: sessionid=%s", CANARY)},
        # keyword arguments and dataclass reprs, quoted (#15: the Sentry events' source lines)
        {"args": ("Credentials(email='a@b.c', password=%r)", CANARY)},
        {"args": ('check(token="%s")', CANARY)},
        {"args": ("extra",), "kwargs": {"extra": {"password": CANARY}}},
        {"args": ("extra",), "kwargs": {"extra": {"payload": {"refresh": CANARY}}}},
    ],
)
def test_filter_redacts(call):
    output = formatted(call)
    assert CANARY not in output
    assert output.strip()


def test_filter_redacts_tracebacks():
    try:
        raise ValueError(f"bad password={CANARY}")
    except ValueError:
        output = formatted({"args": ("failed",), "kwargs": {"exc_info": True}})
    assert "ValueError" in output and CANARY not in output


def _paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$").replace("\\Z", "")
        if isinstance(pattern, URLResolver):
            found += _paths(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append("/" + route.replace("<", "").replace(">", ""))
    return found


@pytest.fixture
def captured_logs():
    """Capture what the configured handlers write, at DEBUG, for every logger."""
    root = logging.getLogger()
    stream = io.StringIO()
    handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "the root logger must have the configured console handler"
    previous = [(h, h.setStream(stream), h.level) for h in handlers]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        handler.setLevel(logging.DEBUG)
    yield stream
    root.setLevel(old_level)
    for handler, old_stream, level in previous:
        handler.setStream(old_stream)
        handler.setLevel(level)


@pytest.mark.django_db
def test_canary_sent_to_every_endpoint_never_reaches_the_logs(captured_logs):
    client = Client(raise_request_exception=False)
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {CANARY}",
        "HTTP_COOKIE": f"sessionid={CANARY}; csrftoken={CANARY}",
        "HTTP_X_API_KEY": CANARY,
    }
    body = {
        "email": "probe@example.com",
        "password": CANARY,
        "current_password": CANARY,
        "new_password": CANARY,
        "code": CANARY,
        "refresh": CANARY,
        "token": CANARY,
    }
    paths = [*_paths(get_resolver()), "/api/v1/unknown"]
    assert len(paths) > 5
    for path in paths:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            client.generic(
                method,
                f"{path}?password={CANARY}",
                json.dumps(body),
                content_type="application/json",
                **headers,
            )
        client.post(path, data=body, **headers)
    client.get("/api/test/boom")  # an unhandled error whose message holds a secret
    output = captured_logs.getvalue()
    assert "Internal Server Error" in output  # the capture does see the logs
    assert CANARY not in output
    assert "hunter2-canary" not in output


def test_logging_is_configured_by_djangos_own_dict_config(settings):
    """PWD-4, issue #11: no wrapper of Django's default; the redacting filter is in LOGGING."""
    assert settings.LOGGING_CONFIG == "logging.config.dictConfig"
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]
