"""Recording audit events.

``record`` is the one entry point. Events that describe a failure (``FAILURE_EVENTS``) must
survive a rolled-back request: when one is recorded inside a transaction, it is held in a
per-request buffer and written by ``flush_deferred`` once the request's transactions are over
(``AuditFlushMiddleware`` does this for every request; ``deferred_failures`` for other code).

Every insert goes through ``audit.integrity.append``, which seals the event at its actual
insert (AUDIT-3), deferred failure events included. ``verify_trail`` checks the whole trail.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db import connection
from django.db.models import Model

from aragora import metrics
from aragora.http.notes import ClientInfo
from aragora.redaction import redact_data
from audit.events import FAILURE_EVENTS, EventType
from audit.integrity import append
from audit.models import AuditEvent
from audit.verification import VerifyResult, verify_trail

__all__ = [
    "VerifyResult",
    "deferred_failures",
    "flush_aggregated",
    "record",
    "record_aggregated",
    "verify_trail",
]

logger = logging.getLogger(__name__)

_EVENT_CODES = frozenset(EventType)
_deferred: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "audit_deferred", default=None
)


def record(
    event_type: EventType,
    *,
    actor: Model | None = None,
    target: Model | None = None,
    client: ClientInfo | None = None,
    **data: Any,
) -> AuditEvent:
    """Record one security event from ``client``. ``data`` is redacted of secrets before it is
    stored. Services pass a ``ClientInfo``, never the request (#11): a ``request`` keyword is
    refused rather than stored as data."""
    if "request" in data:
        raise TypeError("audit.record takes client=client_info(request), not request= (#11)")
    event = _build(EventType(event_type), actor=actor, target=target, client=client, data=data)
    # OPS-1: every security event passes here, so one hook counts them all (aragora.metrics).
    metrics.observe_event(event.event_type, event.data, known_types=_EVENT_CODES)
    buffer = _deferred.get()
    if event_type in FAILURE_EVENTS and connection.in_atomic_block and buffer is not None:
        buffer.append(event)
    else:
        append(event)
    return event


def _build(
    event_type: EventType,
    *,
    actor: Model | None,
    target: Model | None,
    client: ClientInfo | None,
    data: dict[str, Any],
) -> AuditEvent:
    event = AuditEvent(event_type=event_type.value, data=redact_data(data))
    if actor is not None and getattr(actor, "pk", None) is not None:
        event.actor_id = actor.pk
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
    if client is not None:
        event.ip = client.ip
        event.user_agent = client.user_agent
    return event


def flush_deferred() -> int:
    """Write the failure events held back during the current scope; return how many."""
    buffer = _deferred.get()
    if not buffer:
        return 0
    events = list(buffer)
    buffer.clear()
    for event in events:
        append(event)
    return len(events)


@contextmanager
def deferred_failures() -> Iterator[None]:
    """A scope (a request, a task) whose failure events outlive its transactions."""
    token = _deferred.set([])
    try:
        yield
    finally:
        try:
            flush_deferred()
        finally:
            _deferred.reset(token)


AGGREGATE_WINDOW = 60  # seconds: refusals are counted per key and minute
AGGREGATE_RETAIN = 3600  # seconds the counters of a window are kept for its summary
AGGREGATED_EVENTS = (EventType.RATE_LIMITED, EventType.REQUEST_REJECTED)


def record_aggregated(
    event_type: EventType,
    *,
    counter_key: str,
    client: ClientInfo | None = None,
    actor: Any = None,
    **data: Any,
) -> AuditEvent | None:
    """Record a flood-prone event (a refused request), aggregated per ``counter_key`` and minute.

    #14 item 4 (AUDIT-1): every refusal is counted exactly in the shared cache (Redis; the
    embedded mode's local-memory cache, whose ``incr`` is atomic per process): per key and
    window a counter (INCR), the last time, and the first refusal's details (SET NX); per event
    type and window a total of all refusals and a numbered index of its first
    ``ARAGORA_AUDIT_AGGREGATE_MAX_ROWS`` keys. Rows written, all sealed and append-only:

    - the first refusal of each indexed key and window, at once (``count`` 1, ``window_start``),
      so investigators see an attack start immediately;
    - once the window is over, ONE summary per key whose count exceeds 1 (``summary``,
      ``count``, ``first_at``, ``last_at``, ``window``, ``window_start``);
    - ONE ``overflow`` summary per window whose refusals came from keys past the index's cap:
      ``count`` = the type's total minus the indexed keys' counts, exact.

    So a window holds at most 2 x cap + 1 rows per event type however many keys flood it, and
    a refusal costs a few cache round trips. Summaries are written by ``flush_aggregated``:
    from the beat task ``audit.tasks.flush_aggregated_refusals`` (every minute), ``manage.py
    flush_refusals``, and the first refusal of a later window. A window is flushed once it
    ended a full window ago (so a refusal counted at a window's last instant is in), and a
    per-key "done" flag (SET NX) writes each summary exactly once among many processes.
    Counters live ``AGGREGATE_RETAIN`` seconds: a window not flushed within it is lost.

    If the cache fails, the refusal is written directly (``aggregated`` false): nothing lost.
    Returns the event written at once, or None when the refusal was only counted.
    """
    now = _now()
    start = int(now // AGGREGATE_WINDOW) * AGGREGATE_WINDOW
    window_start = datetime.fromtimestamp(start, tz=UTC).isoformat()
    try:
        slot = _count_refusal(event_type, counter_key, start, now, client, actor, data)
    except Exception:  # cache unreachable: write it rather than lose it (fail safe)
        logger.warning("aggregate counter unavailable; recording the refusal", exc_info=True)
        return record(
            event_type,
            actor=actor,
            client=client,
            count=1,
            window_start=window_start,
            aggregated=False,
            **data,
        )
    if slot is None:
        return None
    if slot == 1:  # the type's first key of a new window: summarise the windows now due
        try:
            flush_aggregated(event_type, now=now)
        except Exception:  # the refusal stands; the beat task retries the flush
            logger.warning("aggregate flush failed", exc_info=True)
    return record(
        event_type, actor=actor, client=client, count=1, window_start=window_start, **data
    )


def _agg(event_type: str, start: int, *parts: object) -> str:
    return ":".join(["audit:agg", event_type, str(start), *map(str, parts)])


def _count_refusal(
    event_type: EventType,
    counter_key: str,
    start: int,
    now: float,
    client: ClientInfo | None,
    actor: Any,
    data: dict[str, Any],
) -> int | None:
    """Count one refusal; return the key's index slot when it is the key's first refusal of
    the window and within the cap (its first event is then written), else None."""
    cache = caches["default"]
    ttl = AGGREGATE_RETAIN
    _incr(cache, _agg(event_type, start, "total"), ttl)
    count_key = _agg(event_type, start, "key", counter_key, "count")
    try:
        count = int(cache.incr(count_key))
    except ValueError:  # the key's first refusal of this window (or an overflowing key)
        if (
            int(cache.get(_agg(event_type, start, "keys")) or 0)
            >= settings.AUDIT_AGGREGATE_MAX_ROWS
        ):
            return None  # index full: counted in the total only, summarised as overflow
        count = _incr(cache, count_key, ttl)
    if count > 1:
        cache.set(_agg(event_type, start, "key", counter_key, "last"), now, ttl)
        return None
    slot = _incr(cache, _agg(event_type, start, "keys"), ttl)
    if slot > settings.AUDIT_AGGREGATE_MAX_ROWS:
        return None  # lost the race for the last slots: an overflowing key
    first = {
        "at": now,
        "ip": client.ip if client else None,
        "user_agent": client.user_agent if client else "",
        "actor_id": getattr(actor, "pk", None),
        "data": data,
    }
    cache.set(_agg(event_type, start, "key", counter_key, "first"), first, ttl)
    cache.set(_agg(event_type, start, "slot", slot), counter_key, ttl)
    return slot


def flush_aggregated(event_type: EventType | None = None, *, now: float | None = None) -> int:
    """Write the summaries of every window that ended a full window ago and is not yet
    summarised (within ``AGGREGATE_RETAIN``); return how many rows were written."""
    now = _now() if now is None else now
    last = int(now // AGGREGATE_WINDOW) * AGGREGATE_WINDOW - 2 * AGGREGATE_WINDOW
    types = AGGREGATED_EVENTS if event_type is None else (event_type,)
    written = 0
    for etype in types:
        for start in range(last, last - AGGREGATE_RETAIN, -AGGREGATE_WINDOW):
            written += _flush_window(etype, start)
    return written


def _flush_window(event_type: EventType, start: int) -> int:
    cache = caches["default"]
    ttl = AGGREGATE_RETAIN
    if cache.get(_agg(event_type, start, "flushed")) is not None:
        return 0
    total = int(cache.get(_agg(event_type, start, "total")) or 0)
    if not total:
        return 0
    keys = int(cache.get(_agg(event_type, start, "keys")) or 0)
    window_start = datetime.fromtimestamp(start, tz=UTC).isoformat()
    written = indexed_total = 0
    for slot in range(1, min(keys, settings.AUDIT_AGGREGATE_MAX_ROWS) + 1):
        counter_key = cache.get(_agg(event_type, start, "slot", slot))
        if counter_key is None:
            continue
        count = int(cache.get(_agg(event_type, start, "key", counter_key, "count")) or 0)
        indexed_total += count
        first = cache.get(_agg(event_type, start, "key", counter_key, "first"))
        if count <= 1 or first is None:
            continue  # a single refusal: its first event says it all
        last = cache.get(_agg(event_type, start, "key", counter_key, "last")) or first["at"]
        written += _write_summary(
            event_type,
            _agg(event_type, start, "key", counter_key, "done"),
            actor=_actor(first["actor_id"]),
            client=ClientInfo(first["ip"], first["user_agent"]) if first["ip"] else None,
            summary=True,
            count=count,
            first_at=_iso(first["at"]),
            last_at=_iso(last),
            window=AGGREGATE_WINDOW,
            window_start=window_start,
            **first["data"],
        )
    overflow = total - indexed_total
    if overflow > 0:
        written += _write_summary(
            event_type,
            _agg(event_type, start, "overflow", "done"),
            summary=True,
            overflow=True,
            count=overflow,
            window=AGGREGATE_WINDOW,
            window_start=window_start,
        )
    cache.set(_agg(event_type, start, "flushed"), 1, ttl)
    return written


def _write_summary(event_type: EventType, done_key: str, **fields: Any) -> int:
    """Write a summary once among all processes: the first to SET NX its done flag writes it."""
    cache = caches["default"]
    if not cache.add(done_key, 1, AGGREGATE_RETAIN):
        return 0
    try:
        record(event_type, **fields)
    except Exception:
        cache.delete(done_key)  # not written: the next flush tries again
        raise
    return 1


def _actor(pk: Any) -> Model | None:
    if pk is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=pk).first()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _now() -> float:
    return time.time()


def _incr(cache: BaseCache, key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this is the first of a new count
        cache.add(key, 1, timeout)
        return 1
