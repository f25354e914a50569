"""What the audit trail holds about a user, for privacy's registry (PRIV-3, PRIV-4).

Plain functions: the privacy app imports and registers them; audit never imports privacy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q

from audit.erasure import erase_user_events
from audit.models import AuditEvent

MODELS = ("audit.AuditEvent",)


def export_events(user: AbstractBaseUser) -> dict[str, Any]:
    """Events the user caused or that are about the user (``data`` is already redacted),
    oldest first, streamed: a generator the export writes record by record (PRIV-3)."""
    return {"events": _events(user)}


EVENT_FIELDS = ("event_type", "created_at", "ip", "user_agent", "target_type", "target_id", "data")
EXPORTED = ("type", "created_at", "ip", "user_agent", "target_type", "target_id", "data")


def _events(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    """The address and user agent of an event are its caller's: an event about the user that
    another account caused (an admin's reset, a role change) keeps neither, as they are that
    account's personal data, not the user's."""
    about = Q(actor_id=user.pk) | Q(target_type=user._meta.label_lower, target_id=str(user.pk))
    rows = AuditEvent.objects.filter(about).order_by("created_at", "pk")
    fields = (*EVENT_FIELDS, "actor_id")
    for row in rows.values_list(*fields).iterator(chunk_size=1000):  # rows, not models
        event = dict(zip(EXPORTED, row[:-1], strict=True))
        event["created_at"] = event["created_at"].isoformat()
        if row[-1] is not None and row[-1] != user.pk:
            event["ip"], event["user_agent"] = None, ""
        yield event


def erase_events(user: AbstractBaseUser) -> None:
    """PRIV-4: pseudonymise the user's events (kept, not deleted: the trail must still verify).

    The contract for the erasure of an account: end the user's sessions and tokens, call this,
    then delete the user row. Afterwards no event holds the user's id (as actor or target),
    email, addresses or user agents; each keeps ``data["subject"]``, the keyed pseudonym of the
    id (``audit.integrity.pseudonym``, found with ``audit.erasure.pseudonymised_events``), and
    a sealed ``audit.user.erased`` event without personal data records the erasure. Nothing
    links to the user row any more, so deleting it works on PostgreSQL too (the append-only
    trigger would refuse the actor's ``SET NULL``). An event about the user recorded between
    this call and the delete makes the delete fail there (fail closed): call this again first.
    Safe to call again: rows already pseudonymised are left alone. Design: ``audit.erasure``.
    """
    erase_user_events(user=user)
