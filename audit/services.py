"""Recording audit events.

``record`` is the one entry point. Events that describe a failure (``FAILURE_EVENTS``) must
survive a rolled-back request: when one is recorded inside a transaction, it is held in a
per-request buffer and written by ``flush_deferred`` once the request's transactions are over
(``AuditFlushMiddleware`` does this for every request; ``deferred_failures`` for other code).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model
from django.http import HttpRequest

from aragora.http.client_ip import client_ip
from aragora.redaction import redact_data
from audit.events import FAILURE_EVENTS, EventType
from audit.models import AuditEvent

_deferred: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "audit_deferred", default=None
)


def record(
    event_type: EventType,
    *,
    actor: Model | None = None,
    target: Model | None = None,
    request: HttpRequest | None = None,
    **data: Any,
) -> AuditEvent:
    """Record one security event. ``data`` is redacted of secrets before it is stored."""
    event = _build(EventType(event_type), actor=actor, target=target, request=request, data=data)
    buffer = _deferred.get()
    if event_type in FAILURE_EVENTS and connection.in_atomic_block and buffer is not None:
        buffer.append(event)
    else:
        event.save()
    return event


def _build(
    event_type: EventType,
    *,
    actor: Model | None,
    target: Model | None,
    request: HttpRequest | None,
    data: dict[str, Any],
) -> AuditEvent:
    event = AuditEvent(event_type=event_type.value, data=redact_data(data))
    if actor is not None and getattr(actor, "pk", None) is not None:
        event.actor_id = actor.pk  # type: ignore[attr-defined]
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
    if request is not None:
        event.ip = client_ip(request)
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:256]
    return event


def flush_deferred() -> int:
    """Write the failure events held back during the current scope; return how many."""
    buffer = _deferred.get()
    if not buffer:
        return 0
    events = list(buffer)
    buffer.clear()
    for event in events:
        event.save()
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
