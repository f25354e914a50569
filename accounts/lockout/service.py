"""Tiered account lockout by email and by client IP (LOCK-1..6), reserve-then-verify.

Every password (or MFA code) check is bracketed:

    reservation = lockout.reserve(email=email, ip=client_ip(request))   # may raise LockedOut
    ... verify ...
    lockout.record_failure(reservation) / lockout.record_success(reservation)

``reserve`` refuses a locked key without any verification and without counting, and refuses
when the attempts already in flight would reach the next lock; so a burst of N parallel
attempts verifies at most as many passwords as there are failures left before the lock (5 from
a clean key), across processes. Only a completed login resets the email key; the IP key is
never reset by a success.

The store is Redis in service mode (one Lua script per operation) and the database in embedded
mode; if Redis is unreachable the database store decides (fail closed, never open).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.lockout import clock
from accounts.lockout.stores import DatabaseStore, Entry, Key, RedisStore
from accounts.models import normalize_email
from aragora.breaker import CircuitBreaker
from aragora.http.client_ip import ip_key

logger = logging.getLogger(__name__)
_breaker = CircuitBreaker("lockout-redis", cooldown=5.0)


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
    resolved: bool = False


def keys_for(*, email: str | None, ip: str | None) -> list[Key]:
    keys = []
    if email:
        keys.append(Key("email", normalize_email(email)))
    if ip:
        keys.append(Key("ip", ip_key(ip)))  # an IPv6 client counts by its /64 (#10 item 8)
    return keys


def _store() -> RedisStore | DatabaseStore:
    if settings.SERVICE_CACHE and _breaker.allow():
        from django_redis import get_redis_connection

        return RedisStore(get_redis_connection("default"))
    return DatabaseStore()


def _run(operation: str, *args):
    """Run a store operation on Redis, falling back to the database if Redis fails."""
    store = _store()
    try:
        result = getattr(store, operation)(*args)
    except Exception:
        if isinstance(store, DatabaseStore):
            raise
        logger.warning("lockout: Redis unreachable; the database store decides")
        _breaker.record_failure()
        return getattr(DatabaseStore(), operation)(*args)
    if isinstance(store, RedisStore):
        _breaker.record_success()
    return result


def reserve(*, email: str | None, ip: str | None) -> Reservation:
    """Reserve an attempt on the email and IP keys, or raise ``LockedOut``."""
    reservation = Reservation(keys=keys_for(email=email, ip=ip))
    verdict = _run(
        "reserve", reservation.keys, reservation.token, clock.now(), settings.LOCKOUT_TIERS
    )
    if not verdict.allowed:
        raise LockedOut(verdict.retry_after)
    return reservation


def record_failure(reservation: Reservation, *, request: HttpRequest | None = None) -> None:
    """The attempt failed: count it on every key; audit any lock it set."""
    if reservation.resolved:
        return
    reservation.resolved = True
    locks = _run("fail", reservation.keys, reservation.token, clock.now(), settings.LOCKOUT_TIERS)
    for key, failures, seconds in locks:
        _audit_lock(key, failures, seconds, request)


def record_success(reservation: Reservation, *, complete: bool = True) -> None:
    """The credential was right. ``complete``: the login finished, so reset the email key."""
    if reservation.resolved:
        return
    reservation.resolved = True
    reset = [complete and key.key_type == "email" for key in reservation.keys]
    _run("succeed", reservation.keys, reservation.token, reset)


def entries() -> list[Entry]:
    """Every key with failures, from the store in use (the live state, for admins)."""
    return sorted(_run("entries"), key=lambda e: (-e.locked_until, e.key_type, e.key))


def clear(
    *,
    email: str | None = None,
    ip: str | None = None,
    actor=None,
    request: HttpRequest | None = None,
) -> int:
    """Forget failures and locks of an email and/or an IP; audited. Returns keys cleared."""
    keys = keys_for(email=email, ip=ip)
    cleared = _run("clear", keys) if keys else 0
    from audit import record
    from audit.events import EventType

    for key in keys:
        record(EventType.LOCKOUT_CLEARED, actor=actor, request=request, **_describe(key))
    return int(cleared)


def purge_idle() -> int:
    """Drop database rows that hold nothing (embedded mode; Redis keys expire by themselves)."""
    return DatabaseStore().purge_idle(clock.now())


def _describe(key: Key) -> dict[str, Any]:
    """How a key appears in the audit trail: IPs as they are, emails as keyed hashes."""
    if key.key_type == "email":
        from accounts.services.auth import email_hash

        return {"key_type": "email", "email_hash": email_hash(key.value)}
    return {"key_type": "ip", "ip_address": key.value}


def _audit_lock(key: Key, failures: int, seconds: int, request: HttpRequest | None) -> None:
    from audit import record
    from audit.events import EventType

    record(
        EventType.LOCKOUT_LOCKED,
        request=request,
        failures=failures,
        seconds=seconds,
        **_describe(key),
    )


def reset_local_state() -> None:
    _breaker.record_success()
