"""RATE-1..4: per-user debate and upload policies, escalation to growing blocks, clearing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone

from abuse import services as abuse
from abuse.models import ClientBlock
from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login

pytestmark = pytest.mark.django_db


def png(name: str = "a.png") -> io.BytesIO:
    data = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    data.name = name
    return data


def test_debate_creation_is_30_a_minute_per_user(user):
    api = Api()
    api.as_user(user.email)
    statuses = []
    for n in range(35):
        response = api.post("/api/v1/debates", {"title": f"t{n}", "body": "b"})
        statuses.append(response.status_code)
        assert response["X-RateLimit-Limit"] == "30"
    assert statuses.count(201) == 30 and statuses[30:] == [429] * 5
    assert int(response["Retry-After"]) >= 1 and error_code(response) == "rate_limited"
    assert api.get("/api/v1/debates").status_code == 200  # reading is another policy


def test_uploads_are_5_a_minute_per_user(user):
    api = Api()
    api.as_user(user.email)
    debate = api.post("/api/v1/debates", {"title": "t", "body": "b"}).json()["id"]
    statuses = [
        api.client.post(
            f"/api/v1/debates/{debate}/attachments",
            {"file": png()},
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [201] * 5 + [429]


def _hammer(api: Api, times: int) -> None:
    for _ in range(times):
        api.get("/api/v1/debates")


def test_repeated_429s_block_for_growing_periods_and_admins_clear(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "2/h"}
    settings.ESCALATION_STRIKES = 3
    settings.BLOCK_BASE_SECONDS = 60
    user = UserFactory()
    api = Api(REMOTE_ADDR="198.51.100.80")
    api.as_user(user.email)
    _hammer(api, 5)  # 2 pass, 3 strikes -> blocked
    first = ClientBlock.objects.get(key=f"user:{user.pk}")
    assert first.level == 1
    blocked = api.get("/api/v1/debates")
    assert blocked.status_code == 429 and 55 <= int(blocked["Retry-After"]) <= 61
    # the first block runs out (the escalation level stays for a day)
    ClientBlock.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    caches["default"].delete(f"abuse:block:user:{user.pk}")
    assert api.get("/api/v1/debates").status_code == 429  # still over the rate: a strike
    _hammer(api, 2)
    second = ClientBlock.objects.get(key=f"user:{user.pk}")
    assert second.level == 2
    assert (second.expires_at - second.created_at).total_seconds() >= 119  # doubled

    admin = UserFactory(roles=["admin"])
    secret, _ = enrol_mfa(admin)
    admin_api = Api(REMOTE_ADDR="198.51.100.81")
    mfa_login(admin_api, admin, secret)
    listed = admin_api.get("/api/v1/admin/blocks").json()["results"]
    assert [b["key"] for b in listed] == [f"user:{user.pk}"]
    assert admin_api.post("/api/v1/admin/blocks/clear", {"key": f"user:{user.pk}"}).json() == {
        "cleared": 1
    }
    assert AuditEvent.objects.filter(event_type="http.client.unblocked", actor=admin).exists()
    assert not ClientBlock.objects.exists()


def test_a_blocked_ip_is_refused_before_any_work_and_the_block_survives_a_restart():
    abuse.block("ip:198.51.100.90", seconds=600, reason="escalation", level=1)
    api = Api(REMOTE_ADDR="198.51.100.90")
    response = api.post("/api/v1/auth/login", {"email": "x@example.com", "password": "y"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 500
    assert not AuditEvent.objects.filter(event_type="accounts.login.failed").exists()
    caches["default"].clear()  # the process restarts: its memory is gone...
    assert api.get("/api/v1/").status_code == 429  # ...the block is not
    assert Api(REMOTE_ADDR="198.51.100.91").get("/api/v1/").status_code == 200


def test_severe_abuse_puts_the_ip_on_the_blocklist(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "1/h"}
    settings.SEVERE_ABUSE_STRIKES = 5
    settings.ESCALATION_STRIKES = 1000
    api = Api(REMOTE_ADDR="198.51.100.95")
    for _ in range(6):
        api.get("/api/v1/")
    entry = ClientBlock.objects.get(key="ip:198.51.100.95")
    assert entry.reason == "severe_abuse"
    assert (entry.expires_at - entry.created_at).total_seconds() >= 86000
