"""One rate gate for pages and API (RATE-1, RATE-4; #10 item 11), and refusals audited without
flooding the audit table (AUDIT-1; #10 item 18, #14 item 4)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from abuse import services as abuse
from abuse.models import ClientBlock
from aragora.http.notes import AuthContext, request_notes
from audit import services as audit_services
from audit.models import AuditEvent
from debates.models import Debate
from tests.factories import PASSWORD
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    return client


def with_rates(settings, **rates: str) -> None:  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def _refused_alike(*responses) -> None:  # type: ignore[no-untyped-def]
    """Both refused the same way: 429, the block's Retry-After, no policy headers."""
    retry = [int(r["Retry-After"]) for r in responses]
    for response in responses:
        assert response.status_code == 429
        assert "X-RateLimit-Limit" not in response  # refused before any policy counted it
    assert max(retry) - min(retry) <= 1 and min(retry) >= 50


def test_a_block_made_by_page_posts_is_refused_alike_by_the_page_and_the_api(user, settings):
    """RATE-4: the page decorator strikes, and both paths refuse the block it made."""
    with_rates(settings, debates="2/h")
    settings.ESCALATION_STRIKES = 3
    page = browser(user)
    posts = [page.post("/debates/", {"title": f"t{n}", "body": "b"}) for n in range(5)]
    assert [r.status_code for r in posts] == [302, 302, 429, 429, 429]
    assert ClientBlock.objects.get(key=f"user:{user.pk}").level == 1
    with_rates(settings, debates="1000/h")  # the window is over; the block is not
    api = Api()
    api.as_user(user.email)
    from_page = page.post("/debates/", {"title": "after", "body": "b"})
    from_api = api.post("/api/v1/debates", {"title": "after", "body": "b"})
    _refused_alike(from_page, from_api)
    assert error_code(from_api) == "rate_limited"
    assert Debate.objects.count() == 2


def test_a_block_made_through_the_api_is_refused_by_the_pages(user, settings):
    with_rates(settings, default="2/h")
    settings.ESCALATION_STRIKES = 3
    api = Api()
    api.as_user(user.email)
    statuses = [api.get("/api/v1/debates").status_code for _ in range(5)]
    assert statuses == [200, 200, 429, 429, 429]
    assert ClientBlock.objects.filter(key=f"user:{user.pk}").exists()
    page = browser(user)
    from_page = page.post("/debates/", {"title": "t", "body": "b"})
    from_api = api.post("/api/v1/debates", {"title": "t", "body": "b"})
    _refused_alike(from_page, from_api)
    assert not Debate.objects.exists()


def test_an_api_token_block_covers_every_policy_of_that_token(user, settings):
    """A blocked token is refused on per-user policies too (debate creation), not only on
    the policy that blocked it."""
    from aragora.ratelimit import enforce

    abuse.block("token:424242", seconds=600, reason="escalation", level=1)
    request = RequestFactory().post("/api/v1/debates")
    request.user = user
    request_notes(request).auth = AuthContext(
        kind="api_token", user_id=user.pk, api_token_id=424242
    )
    usage = enforce(request, "debates")
    assert usage.limited and usage.blocked and 590 <= usage.retry_after <= 601


def _rate_limited_events() -> list[dict]:  # type: ignore[type-arg]
    events = AuditEvent.objects.filter(event_type="http.request.rate_limited").order_by("id")
    return [dict(e.data, ip=e.ip) for e in events]


def test_200_refusals_for_one_key_make_a_first_event_and_one_exact_summary(settings, monkeypatch):
    """AUDIT-1 (#14 item 4): the first refusal of a key and minute at once, then one summary
    with the exact count once the minute is over."""
    now = {"t": 1_800_000_005.0}
    monkeypatch.setattr(audit_services, "_now", lambda: now["t"])
    with_rates(settings, default="1/h")
    settings.ESCALATION_STRIKES = 10_000
    settings.SEVERE_ABUSE_STRIKES = 10_000
    api = Api(REMOTE_ADDR="198.51.100.150")
    statuses = [api.get("/api/v1/").status_code for _ in range(201)]
    assert statuses.count(429) == 200
    assert [e["count"] for e in _rate_limited_events()] == [1]
    now["t"] += 2 * audit_services.AGGREGATE_WINDOW
    assert audit_services.flush_aggregated() == 1
    first, summary = _rate_limited_events()
    for data in (first, summary):
        assert data["key"] == "ip:198.51.100.150" and data["ip"] == "198.51.100.150"
        assert data["policy"] == "default" and data["reason"] == "limit"
    assert summary["summary"] is True and summary["count"] == 200


def test_refusals_of_a_blocked_ip_are_audited_the_same_way(monkeypatch):
    now = {"t": 1_800_000_005.0}
    monkeypatch.setattr(audit_services, "_now", lambda: now["t"])
    abuse.block("ip:198.51.100.151", seconds=600, reason="escalation", level=1)
    api = Api(REMOTE_ADDR="198.51.100.151")
    assert {api.get("/api/v1/").status_code for _ in range(12)} == {429}
    now["t"] += 2 * audit_services.AGGREGATE_WINDOW
    audit_services.flush_aggregated()
    events = _rate_limited_events()
    assert [(e["count"], e.get("summary", False)) for e in events] == [(1, False), (12, True)]
    assert {(e["key"], e["reason"]) for e in events} == {("ip:198.51.100.151", "blocked")}
