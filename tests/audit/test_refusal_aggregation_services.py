"""AUDIT-1 (#14 item 4) on Redis and PostgreSQL: the aggregated refusal count is exact under a
1,000-attempt parallel flood, the summary is written exactly once however many flushers race,
and a flood over many keys keeps the window's rows within 2 x cap + 1."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.db import connection

from aragora.http.notes import ClientInfo
from audit import services
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import AGGREGATE_WINDOW, flush_aggregated, record_aggregated
from tests.live import burst

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

T0 = 1_800_000_000.0
LIMITED = EventType.RATE_LIMITED


@pytest.fixture(autouse=True)
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    assert caches["default"].__class__.__name__ == "RedisCache"
    caches["default"].clear()
    now = {"t": T0 + 5}
    monkeypatch.setattr(services, "_now", lambda: now["t"])
    return now


def refuse(key: str) -> None:
    try:
        record_aggregated(
            LIMITED, counter_key=key, client=ClientInfo("203.0.113.7", "flood"), key=key
        )
    finally:
        connection.close()  # this thread's connection, if it wrote the first event


def flood(keys: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(refuse, keys))


def rows() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=LIMITED.value).order_by("id"))


def test_a_1000_refusal_parallel_flood_is_counted_exactly_and_summarised_once(clock):
    flood(["ip:203.0.113.7"] * 1000)
    assert [e.data["count"] for e in rows()] == [1]  # the first refusal, at once
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW

    def flush(_: int) -> int:
        try:
            return flush_aggregated()
        finally:
            connection.close()

    assert sum(burst(8, flush)) == 1  # eight racing flushers, one summary
    first, summary = rows()
    assert first.data["count"] == 1 and "summary" not in first.data
    assert summary.data["summary"] is True and summary.data["count"] == 1000
    assert summary.data["window_start"] == "2027-01-15T08:00:00+00:00"


def test_a_flood_over_many_keys_stays_within_the_cap_and_is_counted_exactly(clock, settings):
    settings.AUDIT_AGGREGATE_MAX_ROWS = 20
    keys = [f"ip:{i}" for i in range(500) for _ in range(2)]  # 500 keys, twice each
    flood(keys)
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    flush_aggregated()
    events = rows()
    assert len(events) <= 2 * 20 + 1
    summaries = [e for e in events if e.data.get("summary")]
    per_key = {e.data["key"]: e.data["count"] for e in summaries if not e.data.get("overflow")}
    firsts = [e.data["key"] for e in events if not e.data.get("summary")]
    singles = sum(1 for key in firsts if key not in per_key)
    [overflow] = [e.data["count"] for e in summaries if e.data.get("overflow")]
    assert sum(per_key.values()) + singles + overflow == 1000
