"""AUDIT-1 (#14 item 4): repeated refusals for one key are aggregated into a first event (at
once) and ONE summary per key and window with the exact count, first and last time; a flood
over many keys stays within 2 x ``ARAGORA_AUDIT_AGGREGATE_MAX_ROWS`` + 1 rows per window.

These run on the embedded cache (local memory); ``test_refusal_aggregation_services.py`` runs
the parallel flood on Redis and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from django.core.cache import caches
from django.core.management import call_command

from aragora.http.notes import ClientInfo
from audit import services, tasks
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import AGGREGATE_WINDOW, flush_aggregated, record_aggregated

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0  # the start of a window
LIMITED = EventType.RATE_LIMITED


@pytest.fixture(autouse=True)
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    caches["default"].clear()
    now = {"t": T0 + 5}
    monkeypatch.setattr(services, "_now", lambda: now["t"])
    return now


def refuse(key: str = "ip:203.0.113.7", ip: str = "203.0.113.7") -> AuditEvent | None:
    return record_aggregated(
        LIMITED,
        counter_key=key,
        client=ClientInfo(ip, "agent"),
        key=key,
        policy="default",
        reason="limit",
    )


def rows() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=LIMITED.value).order_by("id"))


def summaries() -> list[AuditEvent]:
    return [e for e in rows() if e.data.get("summary")]


def test_the_first_refusal_is_written_at_once_and_the_rest_only_counted(clock):
    first = refuse()
    assert first is not None and first.data["count"] == 1
    for _ in range(49):
        clock["t"] += 0.5
        assert refuse() is None
    assert [e.data["count"] for e in rows()] == [1]


def test_one_summary_per_key_and_window_with_the_exact_count_and_times(clock):
    for _ in range(37):
        refuse()
        clock["t"] += 1
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    assert flush_aggregated() == 1
    assert flush_aggregated() == 0  # exactly once
    [summary] = summaries()
    assert summary.data["count"] == 37
    assert summary.data["first_at"] == "2027-01-15T08:00:05+00:00"
    assert summary.data["last_at"] == "2027-01-15T08:00:41+00:00"
    assert summary.data["window"] == AGGREGATE_WINDOW
    assert summary.data["window_start"] == "2027-01-15T08:00:00+00:00"
    assert summary.data["key"] == "ip:203.0.113.7" and summary.ip == "203.0.113.7"
    assert len(rows()) == 2  # the first refusal and the summary


def test_a_window_is_summarised_only_a_full_window_after_it_ends(clock):
    for _ in range(3):
        refuse()
    clock["t"] = T0 + AGGREGATE_WINDOW + 30  # ended, but a refusal counted late may still come
    assert flush_aggregated() == 0
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    assert flush_aggregated() == 1


def test_a_single_refusal_needs_no_summary(clock):
    refuse()
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    assert flush_aggregated() == 0
    assert [e.data["count"] for e in rows()] == [1]


def test_the_first_refusal_of_a_later_window_writes_the_summaries_due(clock):
    for _ in range(12):
        refuse()
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW + 1
    refuse()  # a later window's first refusal
    assert [(e.data.get("summary", False), e.data["count"]) for e in rows()] == [
        (False, 1),
        (True, 12),
        (False, 1),
    ]


def test_the_beat_task_and_the_command_write_the_summaries(clock, settings):
    assert "audit.tasks.flush_aggregated_refusals" in {
        job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for _ in range(4):
        refuse("ip:a", "198.51.100.1")
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    assert tasks.flush_aggregated_refusals() == 1
    clock["t"] = T0 + 3 * AGGREGATE_WINDOW + 5
    for _ in range(6):
        refuse("ip:a", "198.51.100.1")
    clock["t"] += 2 * AGGREGATE_WINDOW
    out = io.StringIO()
    call_command("flush_refusals", stdout=out)
    assert "1 refusal summaries written" in out.getvalue()
    assert [e.data["count"] for e in summaries()] == [4, 6]


def test_a_flood_over_many_keys_is_bounded_and_its_overflow_counted_exactly(clock, settings):
    """Past the cap, keys are not recorded one by one: their refusals are in one overflow
    summary whose count is the window's total minus the indexed keys' counts."""
    settings.AUDIT_AGGREGATE_MAX_ROWS = 5
    sent = 0
    for i in range(200):
        for _ in range(1 + i % 3):
            refuse(f"ip:{i}", f"10.0.{i // 250}.{i % 250}")
            sent += 1
    assert len(rows()) == 5  # the first refusals of the first five keys
    clock["t"] = T0 + 2 * AGGREGATE_WINDOW
    flush_aggregated()
    events = rows()
    assert len(events) <= 2 * 5 + 1
    per_key = [e for e in summaries() if not e.data.get("overflow")]
    [overflow] = [e for e in summaries() if e.data.get("overflow")]
    firsts = [e for e in events if not e.data.get("summary")]
    counted = sum(e.data["count"] for e in per_key) + overflow.data["count"]
    counted += sum(1 for e in firsts if e.data["key"] not in {s.data["key"] for s in per_key})
    assert counted == sent
    assert overflow.ip is None and overflow.data["window_start"] == "2027-01-15T08:00:00+00:00"


def test_an_unreachable_cache_writes_each_refusal_rather_than_lose_it(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    for _ in range(3):
        assert refuse() is not None
    assert [(e.data["count"], e.data["aggregated"]) for e in rows()] == [(1, False)] * 3
