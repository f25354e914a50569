"""AUDIT-1, LIMIT-1, LIMIT-2, PWD-4: requests the HTTP layer refuses are audited as
``http.request.rejected``, aggregated per client IP and minute (the first refusal at once, one
exact summary after the minute, #14 item 4) so that a flood writes a handful of rows, and never
with the payload in the event."""

from __future__ import annotations

import json

import pytest
from django.core.cache import caches
from django.test import Client

from audit import services
from audit.models import AuditEvent
from audit.services import AGGREGATE_WINDOW, flush_aggregated

pytestmark = pytest.mark.django_db

CANARY = "hunter2-canary"
MB = 1024 * 1024
JSON = "application/json"


@pytest.fixture(autouse=True)
def fixed_minute(monkeypatch):  # type: ignore[no-untyped-def]
    """Pin the clock mid-minute, so no count straddles a window edge; tests move it on."""
    caches["default"].clear()
    clock = {"now": 1_800_000_030.0}
    monkeypatch.setattr(services, "_now", lambda: clock["now"])
    return clock


def client(ip: str = "203.0.113.7") -> Client:
    return Client(raise_request_exception=False, REMOTE_ADDR=ip)


def rejected() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type="http.request.rejected").order_by("id"))


def secret_body() -> str:
    return json.dumps({"password": CANARY, "note": "x"})


REFUSALS = {
    "body over the JSON cap": (
        lambda c: c.post(
            "/api/test/echo", secret_body(), content_type=JSON, CONTENT_LENGTH=str(11 * MB)
        ),
        413,
        "payload_too_large",
    ),
    "body over the request cap on a page": (
        lambda c: c.post(
            "/admin/login/", CANARY, content_type="text/plain", CONTENT_LENGTH=str(101 * MB)
        ),
        413,
        "payload_too_large",
    ),
    "malformed Content-Length": (
        lambda c: c.post("/api/test/echo", secret_body(), content_type=JSON, CONTENT_LENGTH="x"),
        400,
        "bad_request",
    ),
    "malformed JSON": (
        lambda c: c.post("/api/test/echo", secret_body()[:-1], content_type=JSON),
        400,
        "invalid_json",
    ),
    "JSON nested too deep": (
        lambda c: c.post("/api/test/echo", "[" * 99 + f'"{CANARY}"' + "]" * 99, content_type=JSON),
        400,
        "invalid_json",
    ),
    "101 multipart parts on the API": (
        lambda c: c.post("/api/test/echo", {f"f{i}": CANARY for i in range(101)}),
        413,
        "payload_too_large",
    ),
    "101 form fields on a page": (
        lambda c: c.post("/admin/login/", {f"f{i}": CANARY for i in range(101)}),
        413,
        "payload_too_large",
    ),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_each_refusal_is_audited_without_its_payload(kind):
    send, status, code = REFUSALS[kind]
    response = send(client())
    assert response.status_code == status
    [event] = rejected()
    assert event.ip == "203.0.113.7"
    assert event.data["status"] == status and event.data["reason"] == code
    assert event.data["method"] == "POST" and event.data["count"] == 1
    assert set(event.data) == {"status", "reason", "method", "path", "count", "window_start"}
    assert CANARY not in json.dumps(event.data) + event.user_agent


def test_a_flood_writes_a_first_event_and_one_exact_summary_per_ip_and_minute(
    fixed_minute, settings
):
    settings.RATE_LIMITS = {k: "10000/h" for k in settings.RATE_LIMITS}
    flooder = client("203.0.113.7")
    for _ in range(150):
        assert flooder.post("/api/test/echo", "{", content_type=JSON).status_code == 400
    assert [e.data["count"] for e in rejected()] == [1]  # the attack's start, at once
    assert client("198.51.100.9").post("/api/test/echo", "{", content_type=JSON).status_code == 400
    assert [(e.ip, e.data["count"]) for e in rejected()][-1] == ("198.51.100.9", 1)
    fixed_minute["now"] += 2 * AGGREGATE_WINDOW  # a later minute: the first refusal flushes
    assert flooder.post("/api/test/echo", "{", content_type=JSON).status_code == 400
    assert [(e.ip, e.data["count"], e.data.get("summary", False)) for e in rejected()] == [
        ("203.0.113.7", 1, False),
        ("198.51.100.9", 1, False),
        ("203.0.113.7", 150, True),  # one summary, the exact count
        ("203.0.113.7", 1, False),
    ]


def test_accepted_requests_are_not_audited_as_rejected():
    assert client().post("/api/test/echo", secret_body(), content_type=JSON).status_code == 200
    assert rejected() == []


def test_a_flood_from_many_addresses_writes_a_bounded_number_of_rows(fixed_minute, settings):
    """AUDIT-1 (#10 item 18, red team; #14 item 4): keyed per IP alone, a flood from many
    addresses (an IPv6 subscriber holds 2^64 of them) wrote one row per address and minute.
    Past ``ARAGORA_AUDIT_AGGREGATE_MAX_ROWS`` addresses of one event type in a window, the
    others' refusals are counted exactly in one overflow summary; the first rows are kept."""
    settings.RATE_LIMITS = {k: "10000/h" for k in settings.RATE_LIMITS}
    settings.AUDIT_AGGREGATE_MAX_ROWS = 5
    addresses = [f"2001:db8:{i:x}::1" for i in range(1, 121)]  # 120 networks (/64s)
    for ip in addresses:
        assert client(ip).post("/api/test/echo", "{", content_type=JSON).status_code == 400
    rows = rejected()
    assert [e.ip for e in rows] == addresses[:5]  # the first sources are on record
    fixed_minute["now"] += 2 * AGGREGATE_WINDOW
    flush_aggregated()
    [overflow] = rejected()[5:]
    assert overflow.data["overflow"] is True and overflow.data["count"] == 115


def test_a_spray_from_one_ipv6_network_counts_as_one_source(fixed_minute, settings):
    """AUDIT-1, RATE-4 (#10 red team 2): rejected requests are counted per ``ip_key`` like every
    other per-IP key, so an IPv6 client spraying from its /64 is one source with one count.
    Keyed per address, its 120 addresses filled the window's cap and hid the next source's
    first refusal from the trail."""
    settings.RATE_LIMITS = {k: "10000/h" for k in settings.RATE_LIMITS}
    settings.AUDIT_AGGREGATE_MAX_ROWS = 5
    for i in range(1, 121):
        spray = client(f"2001:db8:0:1::{i:x}")
        assert spray.post("/api/test/echo", "{", content_type=JSON).status_code == 400
    assert [e.data["count"] for e in rejected()] == [1]
    assert client("198.51.100.9").post("/api/test/echo", "{", content_type=JSON).status_code == 400
    assert [(e.ip, e.data["count"]) for e in rejected()][-1] == ("198.51.100.9", 1)
    fixed_minute["now"] += 2 * AGGREGATE_WINDOW
    flush_aggregated()
    assert [e.data["count"] for e in rejected() if e.data.get("summary")] == [120]


def test_a_harmless_refusal_does_not_hide_a_different_one_that_follows():
    """AUDIT-1 (red team): one bad JSON body first must not make the oversized bodies that
    follow from the same address in the same minute invisible: each kind has its own count."""
    attacker = client()
    assert attacker.post("/api/test/echo", "{", content_type=JSON).status_code == 400
    for _ in range(3):
        response = attacker.post(
            "/api/test/echo", secret_body(), content_type=JSON, CONTENT_LENGTH=str(11 * MB)
        )
        assert response.status_code == 413
    assert [(e.data["reason"], e.data["count"]) for e in rejected()] == [
        ("invalid_json", 1),
        ("payload_too_large", 1),
    ]
