"""Exporting the audit trail as JSON lines (AUDIT-5), itself audited as a data access.

Reading the trail one page at a time through the API is not audited (a reader paging through
would write as many events as pages); an export is a bulk copy of the evidence leaving the
system, so each one records ``data.accessed`` with the filters it used (AUDIT-1).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

import audit
from aragora.http.notes import ClientInfo
from audit import selectors
from audit.events import EventType
from audit.models import AuditEvent

CHUNK_SIZE = 2000  # rows fetched per round trip: memory stays bounded whatever the range


def export_events(
    *,
    filters: selectors.EventFilters,
    render: Callable[[AuditEvent], dict[str, Any]],
    actor: Model,
    client: ClientInfo,
) -> Iterator[bytes]:
    """Record the export, then yield one JSON line per matching event, oldest first."""
    audit.record(
        EventType.DATA_ACCESSED,
        actor=actor,
        client=client,
        resource="audit.events",
        action="export",
        filters={k: _text(v) for k, v in vars(filters).items() if v is not None},
    )
    return _lines(selectors.events(filters).order_by("id"), render)


def _lines(queryset: Any, render: Callable[[AuditEvent], dict[str, Any]]) -> Iterator[bytes]:
    for event in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield (json.dumps(render(event), cls=DjangoJSONEncoder) + "\n").encode()


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
