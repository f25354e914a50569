"""Reads of the audit trail (AUDIT-5): the filtered events the API lists and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from audit.models import AuditEvent

PREFIX_WILDCARD = ".*"


@dataclass(frozen=True)
class EventFilters:
    """What a reader asks for; every field optional. ``type`` ending in ``.*`` is a prefix."""

    type: str | None = None
    actor: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def events(filters: EventFilters) -> QuerySet[AuditEvent]:
    """The events matching ``filters``, unordered (the caller orders: newest first, or ids)."""
    queryset = AuditEvent.objects.order_by()
    if filters.type:
        queryset = _by_type(queryset, filters.type)
    if filters.actor is not None:
        queryset = queryset.filter(actor_id=filters.actor)
    if filters.since is not None:
        queryset = queryset.filter(created_at__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(created_at__lt=filters.until)
    return queryset


def _by_type(queryset: QuerySet[AuditEvent], type_: str) -> QuerySet[AuditEvent]:
    if type_.endswith(PREFIX_WILDCARD):
        return queryset.filter(event_type__startswith=type_[:-1])  # keeps the final dot
    return queryset.filter(event_type=type_)
