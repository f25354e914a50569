"""Pseudonymising an erased user's events (PRIV-4, #13) while the trail still verifies (AUDIT-3).

Design
------
The events "about" a user are those the user caused (``actor``) or that target the user's
account (``target_type``/``target_id``). Erasure keeps them (the trail is evidence) but
rewrites what identifies the user: the actor link becomes NULL, a target id naming the user
becomes empty, the address and user agent go (those of the user's own requests: where another
account acted on the user, they are that account's and stay), and any value of ``data`` that
names the user (the id as ``user:<id>``, the email or its audit hash, one of the user's
addresses or its per-IP key, a user agent) becomes ``"[erased]"``. Every rewritten row gains
``data["subject"]``, a keyed pseudonym of the id (``integrity.pseudonym``): investigators who
hold an id (from a court order, a backup) find the events with ``pseudonymised_events``.

The seal of such a row can no longer be recomputed (it covered the values now gone), so:

- the row keeps its ``seal``, ``prev_seal``, ``seq`` and everything else that places it in its
  chain: the next event still chains onto it and ``verify_trail`` still walks it;
- it gains ``erased_in``, the ``seq`` of an ``audit.user.erased`` event recorded in the same
  transaction (audit chain, no personal data: the pseudonym and, per chain, how many rows were
  rewritten, the first one's ``seq`` and a SHA-256 of their ``seq`` numbers), and
- ``erasure_seal``, an HMAC (the key that sealed the row, with a label of its own) over every
  sealed field as rewritten, the original ``seal`` and ``erased_in``.

The verifier checks a marked row against its erasure seal instead of its seal, checks that the
named erasure event exists and is sealed, and that the rows marked with it are exactly the ones
it counted (count and digest per chain). So nobody without a key can blank a row (no erasure
seal), mark an untouched row as erased, edit a pseudonymised row, or put an erased row back
from a backup (the erasure's count no longer matches). A row whose own seal was already broken
before the erasure is pseudonymised all the same (privacy first) but gets no erasure seal: it
stays reported, never laundered.

Chosen over sealing a digest of the personal fields at insert time (a second seal format):
the insert path and every existing row stay as they are, no history is re-sealed by a
migration, and rows sealed before this change are erased the same way. The price: after an
erasure, a row's remaining fields are vouched for by the erasure's seal (made with a listed
audit key, at erasure time, only over a row whose original seal held) rather than by the
original seal; the trust is the same, the audit keys.

Limits: once retention has purged part of an erasure's rows in a chain, its count for that
chain is no longer checked (each surviving row is still checked by its erasure seal). Events
that are about the user only through ``data`` while another account is actor and target (an
admin's export filtered by the user's id) are not rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet

from aragora.crypto import keyed_hash
from aragora.http.client_ip import ip_key
from audit import integrity
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import record

ERASED = "[erased]"
COLUMNS = ("id", *integrity.ERASURE_FIELDS, "erasure_seal")
REWRITTEN = ("actor_id", "target_id", "ip", "user_agent", "data", "erased_in", "erasure_seal")


def erase_user_events(*, user: AbstractBaseUser) -> int:
    """Pseudonymise every event about ``user`` and record ``audit.user.erased``; returns how
    many rows were rewritten. Idempotent: rows already pseudonymised are left alone.

    Afterwards no event links to the user row, so it can be deleted (on PostgreSQL the append-
    only trigger would refuse the ``SET NULL`` of a sealed row's actor). Call it once the
    account can no longer act (sessions and tokens ended) and delete the user after it: an
    event about the user recorded in between links to the row again, and the delete is then
    refused on PostgreSQL (fail closed; call this again, then delete).
    """
    with integrity.erasure_scope():
        rows = list(_about(user).select_for_update().order_by("chain", "seq").values(*COLUMNS))
        subject = integrity.pseudonym(user.pk)
        names = _identifiers(user, rows)
        rewritten = [_rewrite(row, user, subject, names) for row in rows]
        event = record(EventType.USER_ERASED, subject=subject, rows=_summary(rows))
        keys = integrity.keys()
        for old, new in zip(rows, rewritten, strict=True):
            new["erased_in"] = event.seq
            sound = integrity.seal_holds(old, keys)  # never launder an already forged row
            new["erasure_seal"] = _erasure_seal(new, keys) if sound else ""
        _save(rewritten)
    return len(rows)


def pseudonymised_events(user_id: object) -> QuerySet[AuditEvent]:
    """The events of an erased user, found by the keyed pseudonym of their id (PRIV-4)."""
    return AuditEvent.objects.filter(data__subject__in=integrity.pseudonyms(user_id))


def seq_digest(seqs: Iterable[int]) -> str:
    """SHA-256 of ``seq`` numbers in ascending order (what an erasure event counts per chain)."""
    digest = hashlib.sha256()
    for seq in seqs:
        digest.update(f"{seq}\n".encode())
    return digest.hexdigest()


def _about(user: AbstractBaseUser) -> QuerySet[AuditEvent]:
    target = Q(target_type=user._meta.label_lower, target_id=str(user.pk))
    return AuditEvent.objects.filter(Q(actor_id=user.pk) | target, erased_in__isnull=True)


def _own_request(row: dict[str, Any], user: AbstractBaseUser) -> bool:
    """Whether the row's address and user agent may be the user's: no other account acted."""
    return row["actor_id"] is None or row["actor_id"] == user.pk


def _identifiers(user: AbstractBaseUser, rows: list[dict[str, Any]]) -> set[str]:
    """Strings that name the user inside ``data`` (matched case-insensitively, as parts)."""
    names = {f"user:{user.pk}"}
    email = str(getattr(user, user.get_email_field_name(), "") or "").strip().lower()
    if email:
        # accounts.models.email_hash (AUDIT-2), which audit cannot import (it sits below)
        names |= {email, keyed_hash(email, purpose="audit-email")[:32]}
    for row in rows:
        if _own_request(row, user):
            if row["ip"]:
                names |= {str(row["ip"]), ip_key(str(row["ip"]))}
            if row["user_agent"]:
                names.add(str(row["user_agent"]))
    return {name.lower() for name in names}


def _rewrite(
    row: dict[str, Any], user: AbstractBaseUser, subject: str, names: set[str]
) -> dict[str, Any]:
    new = dict(row)
    if row["actor_id"] == user.pk:
        new["actor_id"] = None
    if row["target_type"] == user._meta.label_lower and row["target_id"] == str(user.pk):
        new["target_id"] = ""
    if _own_request(row, user):
        new["ip"], new["user_agent"] = None, ""
    data = _scrub(row["data"], names, str(user.pk))
    # What is sealed must be what the database gives back: JSON round trip.
    new["data"] = json.loads(json.dumps({**data, "subject": subject}))
    return new


def _scrub(value: Any, names: set[str], user_id: str) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item, names, user_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, names, user_id) for item in value]
    if isinstance(value, str):
        text = value.lower()
        if text == user_id or any(name in text for name in names):
            return ERASED
    return value


def _summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per chain: how many rows, the first one's ``seq``, the digest of their numbers."""
    summary: dict[str, dict[str, Any]] = {}
    for chain in sorted({row["chain"] for row in rows}):
        seqs = [row["seq"] for row in rows if row["chain"] == chain]  # ascending
        summary[chain] = {"count": len(seqs), "first_seq": seqs[0], "digest": seq_digest(seqs)}
    return summary


def _erasure_seal(row: dict[str, Any], keys: dict[str, bytes]) -> str:
    fields = {name: row[name] for name in integrity.ERASURE_FIELDS}
    return integrity.compute_erasure_seal(keys[row["key_id"]], fields)


def _save(rows: list[dict[str, Any]]) -> None:
    events = [AuditEvent(pk=row["id"], **{name: row[name] for name in REWRITTEN}) for row in rows]
    AuditEvent.objects.bulk_update(events, list(REWRITTEN), batch_size=500)
