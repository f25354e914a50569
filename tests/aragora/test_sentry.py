"""OPS-1 (#15): errors go to Sentry only when ``SENTRY_DSN`` is set, and nothing secret or
personal leaves: every event and breadcrumb passes the log redaction, emails masked too."""

from __future__ import annotations

import json
import subprocess
import sys

from aragora import errortracking
from tests.live import ROOT, server_env

CANARY_PASSWORD = "Canary-Pass-9431"
CANARY_TOKEN = "arg_canary42.Zq8sCanarySecretValue"
CANARY_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5"
CANARY_EMAIL = "canary.person@example.org"
CANARIES = (CANARY_PASSWORD, CANARY_TOKEN, CANARY_JWT, CANARY_EMAIL, "Zq8sCanarySecretValue")


def canary_event() -> dict:  # type: ignore[type-arg]
    """An event shaped as sentry-sdk's Django integration builds one, full of secrets."""
    return {
        "level": "error",
        "message": f"sign-in failed for {CANARY_EMAIL}",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad token {CANARY_TOKEN} (Authorization: Bearer {CANARY_JWT})",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "login",
                                "vars": {"password": CANARY_PASSWORD, "email": CANARY_EMAIL},
                                "context_line": f"check(password='{CANARY_PASSWORD}')",
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://aragora.example.com/api/v1/auth/login",
            "method": "POST",
            "query_string": f"token={CANARY_TOKEN}&next=/",
            "headers": {
                "Authorization": f"Bearer {CANARY_JWT}",
                "Cookie": f"sessionid=abc; aragora_access={CANARY_JWT}",
                "User-Agent": "pytest",
            },
            "data": {"email": CANARY_EMAIL, "password": CANARY_PASSWORD},
        },
        "extra": {"refresh": "opaque-refresh-canary", "mfa_token": "mfa-canary"},
        "breadcrumbs": {
            "values": [{"category": "query", "message": f"SELECT ... '{CANARY_EMAIL}'"}]
        },
    }


def test_before_send_removes_every_canary():
    event = canary_event()
    sent = errortracking.before_send(event, {})  # type: ignore[arg-type]
    text = json.dumps(sent)
    for canary in (*CANARIES, "opaque-refresh-canary", "mfa-canary"):
        assert canary not in text, canary
    assert sent is not None
    assert sent["request"]["headers"]["User-Agent"] == "pytest"  # the rest is kept
    assert sent["request"]["method"] == "POST"
    assert sent["exception"]["values"][0]["type"] == "ValueError"


def test_before_breadcrumb_removes_secrets():
    crumb = {
        "category": "httplib",
        "message": f"POST /login password={CANARY_PASSWORD}",
        "data": {"headers": {"Authorization": f"Bearer {CANARY_JWT}"}, "to": CANARY_EMAIL},
    }
    kept = errortracking.before_breadcrumb(crumb, {})  # type: ignore[arg-type]
    text = json.dumps(kept)
    for canary in (CANARY_PASSWORD, CANARY_JWT, CANARY_EMAIL):
        assert canary not in text
    assert kept is not None and kept["category"] == "httplib"


def test_a_dsn_that_does_not_parse_is_refused():
    assert errortracking.dsn_is_valid("https://public@o0.ingest.sentry.io/0")
    assert not errortracking.dsn_is_valid("not a dsn")


# Run in a fresh process with the real settings: SENTRY_DSN set turns the SDK on there, and
# nothing of it leaks into this test process. The transport is replaced before anything is
# sent, so no network is used; the events it would have sent are printed instead.
_SCRIPT = f"""
import json, django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

captured = []

class Capture(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                captured.append(item.payload.json)

client = sentry_sdk.get_client()
options = client.options
client.transport = Capture(options)

def login(password):
    token = {CANARY_TOKEN!r}
    raise ValueError("login failed for {CANARY_EMAIL} with Authorization: Bearer {CANARY_JWT}")

sentry_sdk.add_breadcrumb(category="http", message="GET /?token={CANARY_TOKEN}")
with sentry_sdk.new_scope() as scope:
    scope.set_context("sign-in", {{"password": {CANARY_PASSWORD!r}, "email": {CANARY_EMAIL!r}}})
    try:
        login({CANARY_PASSWORD!r})
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
sentry_sdk.flush()
print(json.dumps({{
    "active": client.is_active(),
    "pii": options["send_default_pii"],
    "locals": options["include_local_variables"],
    "body": options["max_request_body_size"],
    "events": captured,
}}))
"""


def test_with_a_dsn_the_sdk_starts_and_sends_only_redacted_events():
    env = server_env(SENTRY_DSN="https://public@o0.ingest.sentry.io/0")
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    report = json.loads(run.stdout.decode().strip().splitlines()[-1])
    assert report["active"] is True
    assert report["pii"] is False and report["locals"] is False and report["body"] == "never"
    assert len(report["events"]) == 1
    text = json.dumps(report["events"])
    assert "ValueError" in text  # the error itself is there
    for canary in CANARIES:
        assert canary not in text, canary


def test_without_a_dsn_nothing_starts():
    script = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.is_initialized())"
    env = server_env()
    env.pop("SENTRY_DSN", None)
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert run.stdout.decode().strip().splitlines()[-1] == "False"
