"""Tamper evidence for the audit trail (AUDIT-3).

Design
------
Events form two hash chains, one per retention category (``security`` and ``audit``, see
``audit.events.CATEGORIES``), so that each category can be purged at its own age and still
leave a chain whose oldest end is cut cleanly. In its chain every event has a gap-free sequence
number ``seq`` and the ``prev_seal`` of the event before it, and is sealed with

    seal = HMAC-SHA256(key, canonical JSON of every stored field + chain, seq, prev_seal, key_id)

with the newest key of ``ARAGORA_AUDIT_KEYS``; ``key_id`` (a hash of the key, never the key)
names the key, so older keys stay listed after a rotation and old events keep verifying.

Appending (``append``) takes the chain's ``ChainHead`` row, which holds the newest ``seq``
and its seal (``last_seal``). The locking path, in one transaction: ``UPDATE head SET seq =
seq + 1 ... RETURNING seq, last_seal`` is a row lock on PostgreSQL and the write lock on SQLite
(IMMEDIATE transactions), so concurrent writers of a chain, in any number of processes, queue
there; when it waited, PostgreSQL re-reads the row the writer before committed (its
``last_seal`` included) before updating it, which a subquery would not (it sees the snapshot
from before the wait: that forked the chain once). The event is stamped (``created_at`` inside
the lock: time order follows chain order), sealed in Python, then inserted and made the head's
``last_seal`` in one statement (an ``INSERT`` inside ``WITH``; two on SQLite) before the lock
is released. Outside a transaction on PostgreSQL, ``BEGIN`` and ``COMMIT`` travel with those two
statements: two round trips. No forked chain, no reused number, no lost seal; a rolled-back
insert rolls back its head update too, so the chain has no hole.

The fast path (PostgreSQL, #12): a process remembers the ``(seq, seal)`` it last appended per
chain and seals the next event after it, then sends one statement that moves the head from
exactly that ``(seq, last_seal)`` and inserts the event, or does nothing when the head is
anywhere else (another writer went first; waiting on its lock re-reads its committed head
before matching). Nothing back means the locking path follows. Time order holds here too:
the event is stamped after the guess, the newest event this process committed, and a hit
means no event came between. The guess is never trusted:
the database compares it, so a stale one costs a round trip, never a fork. Deferred failure
events (written after a rolled-back request, ``audit.services.flush_deferred``) are sealed at
that insert, like any other.

Verification (``audit.verification.verify_trail``, ``manage.py verify_audit``) streams each
chain in ``seq`` order with bounded memory and reports the first event whose seal does not
match (an edited field, a forged row, a swapped number), whose ``seq`` or ``prev_seal`` does
not follow the event before it (a deleted or inserted row), or whose id runs backwards (rows
swapped whole: ids are taken under the chain lock, so they rise with ``seq``).

Retention (``audit.retention``) cuts the oldest end of a chain only: it first records a sealed
``audit.trail.purged`` checkpoint (in the ``audit`` chain) naming the chain, the last removed
``seq`` and that event's seal, then deletes in batches. The verifier skips rows at or below the
newest checkpoint of their chain (a purge cut short is finished by the next run) and requires
the first surviving row to chain onto the checkpoint's seal; a checkpoint is itself an event of
the trail, sealed and chained, so it cannot be forged, edited or dropped unnoticed.

Guarantees and limits
---------------------
- Without a key, nobody can edit, insert, delete or reorder events (or forge a checkpoint)
  without ``verify_trail`` reporting the first affected event.
- Deleting the newest events of a chain is detected against the ``ChainHead`` row (its ``seq``
  must be that of the newest event). Someone who can write the database can rewind the head
  together with the rows, though: only an anchor kept outside the database (``verify_audit``
  prints each head's number and seal; store them elsewhere, e.g. in monitoring) detects that.
  ``TRUNCATE`` is likewise visible only against such an anchor.
- On PostgreSQL a trigger refuses UPDATE and DELETE on the table except inside the retention
  purge's transactions (``purge_scope``: ``SET LOCAL aragora.audit_purge = 'on'``) and, for
  UPDATE only, inside ``erasure_scope``, where the erasure of a user (PRIV-4, #13,
  ``audit.erasure``) pseudonymises their events. Deleting a user who still has events is
  therefore refused there: the actor link's ``SET NULL`` is an UPDATE of sealed rows; after
  ``audit.personal_data.erase_events`` nothing links to the user any more. A database
  superuser can still drop the trigger: the seals are the evidence, the trigger the fence.

Erasure (PRIV-4)
----------------
A pseudonymised row keeps its ``seal`` and place in the chain, and is vouched for by its
``erasure_seal`` (``ERASURE_FIELDS``: every sealed field as rewritten, the original seal, and
``erased_in``, the ``seq`` of the sealed ``audit.user.erased`` event that counted it). The seal
formula itself never changed: rows sealed before erasure existed verify as they are. The design
and its limits are in ``audit.erasure``.
- An event recorded inside a longer transaction holds its chain's lock until that transaction
  ends, so other writers of the chain wait for it (and PostgreSQL may break a lock cycle by
  aborting one): record events late in a transaction, as the services do.
- A holder of an audit key can forge a consistent chain: keep the keys out of the database's
  reach (environment or secret store).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import statements
from audit.events import category_of
from audit.models import AuditEvent

logger = logging.getLogger(__name__)

SEALED_FIELDS = (
    "chain",
    "seq",
    "prev_seal",
    "key_id",
    "created_at",
    "event_type",
    "actor_id",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "data",
)


def key_id(key: str) -> str:
    """A public name for a key: a hash of it, so a seal can say which key made it."""
    return hashlib.sha256(b"aragora-audit-key-id:" + key.encode()).hexdigest()[:16]


def keys() -> dict[str, bytes]:
    """Every listed key by its id: the newest seals, all of them verify."""
    return {key_id(key): key.encode() for key in settings.AUDIT_KEYS}


def _current_key() -> tuple[str, bytes]:
    key = settings.AUDIT_KEYS[0]  # newest first; aragora.E004 refuses to start without one
    return key_id(key), key.encode()


def canonical(fields: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, UTC timestamps, normalised addresses."""
    values = dict(fields)
    created_at = values["created_at"]
    if isinstance(created_at, datetime):
        values["created_at"] = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    if values.get("ip"):
        values["ip"] = ipaddress.ip_address(values["ip"]).compressed
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_seal(key: bytes, fields: dict[str, Any]) -> str:
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def seal_holds(row: dict[str, Any], keys: dict[str, bytes]) -> bool:
    """Whether the stored ``seal`` of ``row`` (every ``SEALED_FIELDS`` value) is its own."""
    key = keys.get(row["key_id"])
    fields = {name: row[name] for name in SEALED_FIELDS}
    return key is not None and _same(compute_seal(key, fields), row["seal"])


# A pseudonymised row (``audit.erasure``) is vouched for by its erasure seal: every sealed field
# as rewritten, plus the original seal (its place in the chain) and the erasure event's number.
ERASURE_FIELDS = (*SEALED_FIELDS, "seal", "erased_in")


def compute_erasure_seal(key: bytes, fields: dict[str, Any]) -> str:
    # A label of its own: an erasure seal can never be taken for an event seal, nor reversed.
    message = b"aragora-audit-erasure:" + canonical(fields)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def erasure_seal_holds(row: dict[str, Any], keys: dict[str, bytes]) -> bool:
    """Whether ``row``'s ``erasure_seal`` (made with the key that sealed the row) holds."""
    key = keys.get(row["key_id"])
    fields = {name: row[name] for name in ERASURE_FIELDS}
    expected = compute_erasure_seal(key, fields) if key is not None else ""
    return bool(expected) and _same(expected, row["erasure_seal"])


def pseudonym(user_id: object, *, key: bytes | None = None) -> str:
    """The keyed pseudonym of a user id (PRIV-4): what an erased user's events keep as
    ``data["subject"]``, so investigators holding an id can still find them. Made with the
    newest audit key unless ``key`` is given; ``pseudonyms`` lists it under every key."""
    key = key if key is not None else _current_key()[1]
    message = f"aragora-audit-subject:user:{user_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def pseudonyms(user_id: object) -> list[str]:
    """``pseudonym(user_id)`` under every listed key, newest first (erasures before a rotation
    used an older key)."""
    return [pseudonym(user_id, key=key) for key in keys().values()]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in SEALED_FIELDS}


def _now() -> datetime:
    return timezone.now()


# Per chain, the (seq, seal) this process last appended: a guess of the head, never trusted
# (the database matches it exactly or nothing is written); a thread's stale guess only misses.
_hints: dict[str, tuple[int, str]] = {}


def reset_local_state() -> None:
    """Forget this process's guesses of the heads (tests: the database is rolled back under
    them between tests; a wrong guess only costs the locking path)."""
    _hints.clear()


def append(event: AuditEvent) -> AuditEvent:
    """Insert ``event`` at the end of its chain, sealed (AUDIT-3). Safe with many writers."""
    # What is sealed must be what the database gives back: JSON round trip of ``data``.
    event.data = json.loads(json.dumps(event.data))
    event.chain = category_of(event.event_type)
    if not _append_on_hint(event):
        _append_locked(event)
    event._state.adding, event._state.db = False, connection.alias
    _hints[event.chain] = (event.seq, event.seal)
    return event


def _append_on_hint(event: AuditEvent) -> bool:
    """PostgreSQL, one statement: seal as the next event after this process's last one, and
    insert only if the head is still exactly there (``statements.insert_if_head_is``)."""
    hint = _hints.get(event.chain)
    if hint is None or not _client_binding_postgresql():
        return False
    _seal(event, seq=hint[0] + 1, prev_seal=hint[1])
    sql, params = statements.insert_if_head_is(event)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:  # another writer went first: the locking path, which refreshes the hint
        _hints.pop(event.chain, None)
        return False
    event.pk = row[0]
    return True


def _append_locked(event: AuditEvent) -> None:
    """Lock the head, then insert: two statements in one transaction (on PostgreSQL outside
    a transaction, ``BEGIN`` and ``COMMIT`` ride in the same round trips)."""
    if _client_binding_postgresql() and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            try:
                _append_with(cursor, event, begin="BEGIN; ", commit="; COMMIT")
            except BaseException:
                _roll_back(cursor)
                raise
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            _append_with(cursor, event)


def _client_binding_postgresql() -> bool:
    """PostgreSQL with client-side binding (Django's default): several statements may share
    one round trip, and a ``SELECT`` of bound values has literal types."""
    options = connection.settings_dict.get("OPTIONS", {})
    return connection.vendor == "postgresql" and not options.get("server_side_binding")


def _seal(event: AuditEvent, *, seq: int, prev_seal: str) -> None:
    event.seq, event.prev_seal = seq, prev_seal
    event.created_at = _now()  # after the head is known: time order follows chain order
    event.key_id, key = _current_key()
    event.seal = compute_seal(key, _fields(event))


def _append_with(cursor: Any, event: AuditEvent, *, begin: str = "", commit: str = "") -> None:
    seq, prev_seal = _advance_head(cursor, event.chain, begin=begin)
    _seal(event, seq=seq, prev_seal=prev_seal)
    if connection.vendor == "postgresql":
        sql, params = statements.insert_setting_last(event)
        cursor.execute(sql + commit, params)
        event.pk = cursor.fetchone()[0]
    else:  # SQLite has no INSERT inside WITH; its round trips are calls in this process
        event.save(force_insert=True)
        cursor.execute(statements.head_set_last(), [event.seal, event.chain])


def _roll_back(cursor: Any) -> None:
    """End the transaction ``append`` began itself (it failed, or was interrupted)."""
    try:
        cursor.execute("ROLLBACK")
    except Exception:  # the connection is gone: nothing to roll back
        logger.warning("audit append: rollback failed", exc_info=True)


def _advance_head(cursor: Any, chain: str, *, begin: str = "") -> tuple[int, str]:
    """Take the chain's lock and its next number; returns (seq, previous event's seal).

    Both come from the head row as the locking ``UPDATE`` left it: when it had to wait for
    another writer, PostgreSQL re-reads the row that writer committed (with its ``last_seal``)
    before updating it, unlike a subquery, which would see the snapshot from before the wait.
    """
    cursor.execute(begin + statements.head_advance(), [chain])
    if begin:
        cursor.nextset()  # past the BEGIN, to the UPDATE's row
    row = cursor.fetchone()
    if row is None:  # a fresh (or flushed) database: create the head, then take it
        cursor.execute(statements.head_create(), [chain])
        cursor.execute(statements.head_advance(), [chain])
        row = cursor.fetchone()
    return int(row[0]), str(row[1])


@contextmanager
def purge_scope() -> Iterator[None]:
    """A transaction in which the PostgreSQL trigger lets the retention purge DELETE rows.

    Its commit does not wait for the disk (``synchronous_commit`` off for it alone): a batch
    lost in a crash only brings condemned rows back, which the next run deletes again.
    """
    with transaction.atomic():
        _set_local("aragora.audit_purge")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


@contextmanager
def erasure_scope() -> Iterator[None]:
    """A transaction in which the PostgreSQL trigger allows UPDATE of events: the erasure of a
    user (PRIV-4, ``audit.erasure.erase_user_events``) pseudonymises their events in it, and
    re-seals what it rewrites so that the trail still verifies. The door stays open until the
    outermost transaction ends (``SET LOCAL``)."""
    with transaction.atomic():
        _set_local("aragora.audit_erasure")
        yield


def _set_local(name: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [name])
