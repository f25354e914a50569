"""Tiered account lockout by email and by client IP (LOCK-1, LOCK-2, LOCK-3), reserve-then-verify.

Every password (or MFA code) check is bracketed:

    reservation = lockout.reserve(email=email, ip=client.ip)   # may raise LockedOut
    ... verify ...
    lockout.record_failure(reservation) / lockout.record_success(reservation)

``reserve`` refuses a locked key without any verification and without counting. When the
attempts already in flight would reach the next lock, the key's budget is taken but nothing has
failed yet: the attempt *waits for a slot* (``LOCKOUT_WAIT`` seconds at most, then 429 with
``Retry-After``) instead of being refused, so honest parallel logins all succeed and only
counted failures lock (LOCK-3, #10 item 6). A burst of N parallel attempts still verifies at
most as many passwords as there are failures left before the lock (5 from a clean key), across
processes. Only a completed login resets the email key; the IP key is never reset by a success.

The store is Redis in service mode (one Lua script per operation) and the database in embedded
mode; if Redis is unreachable the database store decides (fail closed, never open), carrying
the same state (``accounts.lockout.switch``).
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from accounts.lockout import clock, switch, waiters
from accounts.lockout.stores import BUSY_RETRY_SECONDS, DatabaseStore, Entry, Key
from accounts.models import email_hash, normalize_email
from aragora.http.client_ip import ip_key
from aragora.http.notes import ClientInfo, request_notes

POLL_FIRST, POLL_MAX = 0.02, 0.2  # seconds between looks at a busy key, doubling


class LockedOut(Exception):
    """The attempt was refused before verification; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("locked out")
        self.retry_after = max(1, int(retry_after + 0.999))


@dataclass
class Reservation:
    """One attempt in flight on its keys; resolved exactly once."""

    keys: list[Key]
    token: str = field(default_factory=lambda: secrets.token_hex(12))
    store: str = ""  # where it was reserved: "redis" or "database"
    resolved: bool = False


def hold(request: HttpRequest, reservation: Reservation) -> None:
    """Note ``reservation`` as ``request``'s attempt in flight, for what resolves it later in
    the request (``complete_login``, django-axes' signals through our handler)."""
    request_notes(request).lockout_reservation = reservation


def held(request: HttpRequest | None) -> Reservation | None:
    """The reservation ``hold`` noted on ``request``, if any."""
    noted = request_notes(request).lockout_reservation if request is not None else None
    return noted if isinstance(noted, Reservation) else None


def keys_for(*, email: str | None, ip: str | None) -> list[Key]:
    keys = []
    if email:
        keys.append(Key("email", normalize_email(email)))
    if ip:
        keys.append(Key("ip", ip_key(ip)))  # an IPv6 client counts by its /64 (#10 item 8)
    return keys


def reserve(*, email: str | None, ip: str | None) -> Reservation:
    """Reserve an attempt on the email and IP keys, waiting for a slot while the budget is held
    by attempts in flight; raise ``LockedOut`` if a key is locked or no slot frees in time.
    At most ``LOCKOUT_MAX_WAITERS`` attempts wait per key; the next ones are refused at once
    so a flood cannot park every worker thread (``accounts.lockout.waiters``)."""
    reservation = Reservation(keys=keys_for(email=email, ip=ip))
    if _try(reservation):
        return reservation
    with waiters.waiting(reservation.keys) as room:
        if not room:
            raise LockedOut(BUSY_RETRY_SECONDS)
        _wait(reservation)
    return reservation


def _try(reservation: Reservation) -> bool:
    """One reservation attempt: True if reserved, False if busy; ``LockedOut`` if locked."""
    verdict, reservation.store = switch.reserve(
        reservation.keys, reservation.token, clock.now(), settings.LOCKOUT_TIERS
    )
    if not verdict.allowed and not verdict.busy:
        raise LockedOut(verdict.retry_after)
    return bool(verdict.allowed)


def _wait(reservation: Reservation) -> None:
    """Poll a busy key until it is reserved (``LOCKOUT_WAIT`` at most, then ``LockedOut``)."""
    deadline = time.monotonic() + settings.LOCKOUT_WAIT
    pause = POLL_FIRST
    while True:
        if time.monotonic() + pause > deadline:
            raise LockedOut(BUSY_RETRY_SECONDS)
        time.sleep(pause * random.uniform(0.5, 1.0))  # noqa: S311  (jitter, not a secret)
        pause = min(pause * 2, POLL_MAX)
        if _try(reservation):
            return


def record_failure(reservation: Reservation, *, client: ClientInfo | None = None) -> None:
    """The attempt failed: count it on every key; audit any lock it set."""
    if reservation.resolved:
        return
    reservation.resolved = True
    states = switch.fail(reservation.keys, reservation.token, clock.now(), settings.LOCKOUT_TIERS)
    for state in states:
        if state.seconds:
            _audit_lock(state.key, state.failures, state.seconds, client)


def record_success(reservation: Reservation, *, complete: bool = True) -> None:
    """The credential was right. ``complete``: the login finished, so reset the email key."""
    if reservation.resolved:
        return
    reservation.resolved = True
    reset = [complete and key.key_type == "email" for key in reservation.keys]
    switch.succeed(reservation.keys, reservation.token, reset, reservation.store)


def entries() -> list[Entry]:
    """Every key with failures, from the store in use (the live state, for admins)."""
    return sorted(switch.entries(), key=lambda e: (-e.locked_until, e.key_type, e.key))


def clear(
    *,
    email: str | None = None,
    ip: str | None = None,
    actor=None,
    client: ClientInfo | None = None,
) -> int:
    """Forget failures and locks of an email and/or an IP; audited. Returns keys cleared."""
    keys = keys_for(email=email, ip=ip)
    cleared = switch.clear(keys) if keys else 0
    from audit import record
    from audit.events import EventType

    for key in keys:
        record(EventType.LOCKOUT_CLEARED, actor=actor, client=client, **_describe(key))
    return int(cleared)


def forget_email(email: str) -> None:
    """PRIV-4: an erased account's email leaves the lockout. Its key (failures, lock, in-flight
    reservations) goes from the database in the caller's transaction, and from Redis and the
    waiters' count once that commits (a rolled-back erasure leaves the Redis state as it was).
    Not audited: ``LOCKOUT_CLEARED`` would name the email (as its keyed hash) after erasure.
    The IP key stays: it is the client's, not the account's."""
    keys = keys_for(email=email, ip=None)
    DatabaseStore().clear(keys)
    transaction.on_commit(lambda: _forget_shared(keys))


def _forget_shared(keys: list[Key]) -> None:
    switch.clear(keys)  # Redis if reachable (the database rows are already gone)
    waiters.forget(keys)


def purge_idle() -> int:
    """Drop database rows that hold nothing (embedded mode; Redis keys expire by themselves)."""
    return DatabaseStore().purge_idle(clock.now())


def _describe(key: Key) -> dict[str, Any]:
    """How a key appears in the audit trail: IPs as they are, emails as keyed hashes."""
    if key.key_type == "email":
        return {"key_type": "email", "email_hash": email_hash(key.value)}
    return {"key_type": "ip", "ip_address": key.value}


def _audit_lock(key: Key, failures: int, seconds: int, client: ClientInfo | None) -> None:
    from audit import record
    from audit.events import EventType

    record(
        EventType.LOCKOUT_LOCKED,
        client=client,
        failures=failures,
        seconds=seconds,
        **_describe(key),
    )


def reset_local_state() -> None:
    switch.reset_local_state()
