"""What the audit trail holds about a user, for privacy's registry (PRIV-3, PRIV-4).

Plain functions: the privacy app imports and registers them; audit never imports privacy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q

from audit.models import AuditEvent

MODELS = ("audit.AuditEvent",)


def export_events(user: AbstractBaseUser) -> dict[str, Any]:
    """Events the user caused or that are about the user (``data`` is already redacted),
    oldest first, streamed: a generator the export writes record by record (PRIV-3)."""
    return {"events": _events(user)}


EVENT_FIELDS = ("event_type", "created_at", "ip", "user_agent", "target_type", "target_id", "data")
EXPORTED = ("type", "created_at", "ip", "user_agent", "target_type", "target_id", "data")


def _events(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    about = Q(actor_id=user.pk) | Q(target_type=user._meta.label_lower, target_id=str(user.pk))
    rows = AuditEvent.objects.filter(about).order_by("created_at", "pk")
    for row in rows.values_list(*EVENT_FIELDS).iterator(chunk_size=1000):  # rows, not models
        event = dict(zip(EXPORTED, row, strict=True))
        event["created_at"] = event["created_at"].isoformat()
        yield event


def erase_events(user: AbstractBaseUser) -> None:
    """PRIV-4: the user's events are pseudonymised, not deleted (the trail must still verify).

    A placeholder: the audit sealing work (#12) adds the erasure hook this will call; until
    then erasure refuses rather than leave the events identifiable (fail closed)."""
    raise NotImplementedError("#13 erasure")
