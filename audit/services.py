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

__all__ = ["VerifyResult", "deferred_failures", "record", "record_aggregated", "verify_trail"]

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


def record_aggregated(
    event_type: EventType,
    *,
    counter_key: str,
    client: ClientInfo | None = None,
    actor: Any = None,
    window: int = 60,
    **data: Any,
) -> AuditEvent | None:
    """Record a flood-prone event (a refused request), sampled per ``counter_key`` and window.

    Occurrences are counted atomically in the shared cache; the 1st, 10th, 100th, ... of each
    window are written, each with ``count`` (so far) and ``window_start``. A million refusals a
    minute from one key write 7 rows, yet the trail shows that it happened, from where and at
    what volume (AUDIT-1). Returns the event written, or None when this one was only counted.

    A flood from many keys (addresses) is bounded too: past ``ARAGORA_AUDIT_AGGREGATE_MAX_ROWS``
    samples of ``event_type`` in the window, only its 10th, 100th, ... further sample is
    written, with ``samples_in_window``; the first ones are always kept.
    """
    start = int(_now() // window) * window
    count = _count(f"audit:agg:{event_type}:{counter_key}:{start}", timeout=window * 2)
    if not _is_sample(count):
        return None
    samples = _count(f"audit:agg:{event_type}:*:{start}", timeout=window * 2)
    extra: dict[str, Any] = {}
    if samples > settings.AUDIT_AGGREGATE_MAX_ROWS:
        if not _is_sample(samples):
            return None
        extra["samples_in_window"] = samples
    window_start = datetime.fromtimestamp(start, tz=UTC).isoformat()
    return record(
        event_type,
        actor=actor,
        client=client,
        count=count,
        window_start=window_start,
        **extra,
        **data,
    )


def _is_sample(count: int) -> bool:
    """The 1st, 10th, 100th, ... occurrence."""
    return count == 10 ** (len(str(count)) - 1)


def _now() -> float:
    return time.time()


def _count(key: str, *, timeout: int) -> int:
    try:
        return _incr(caches["default"], key, timeout)
    except Exception:  # Redis unreachable: count in this process instead
        # Still bounded (per process), and every refusal is still counted: the sampling only
        # decides how many rows are written, never whether the request is refused.
        logger.warning("aggregate counter unavailable; counting per process", exc_info=True)
        return _incr(caches["local"], key, timeout)


def _incr(cache: BaseCache, key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this is the first of a new count
        cache.add(key, 1, timeout)
        return 1
