"""Token revocation (AUTH-4): a memory layer per process, Redis shared by all, the database
as the durable record.

What is revoked is a key: ``sid:<session id>`` ends every token of a session (logout, session
end, password change for the other sessions, deactivation, erasure, MFA reset), ``jti:<id>``
one access token (the current token after a password change). An entry lives until the token it
covers would have expired, then disappears from every layer.

Writing (``revoke``): the database row first (durable, in the caller's transaction), then, once
that commits, Redis (``SET key PX ttl``) and this process's memory.

Reading (``is_revoked``), the hot path of every authenticated request:

1. memory, positive: a key this process knows is revoked is refused with no I/O;
2. memory, negative: a key found valid less than ``REVOCATION_LOCAL_TTL`` (0.5 s) ago is
   accepted with no I/O;
3. Redis: one ``MGET`` of the keys plus a sentinel. A missing sentinel means Redis lost its data
   (restart, flush): the answer then comes from the database, and Redis is reloaded from it;
4. the database: only in embedded mode (no Redis), or when Redis fails or its circuit breaker
   is open. Never fail-open: if Redis cannot answer, the durable record does.

So a normal request in service mode costs at most one Redis round trip and no database query
(but for the check of ``shared_state`` marks, once every ``UNTRUSTED_CACHE_CHECK`` seconds).

Worst-case staleness: a revocation is visible to every process at most
``REVOCATION_LOCAL_TTL`` (0.5 s) after it commits, the age of a negative memory entry. A
revocation whose Redis write failed is written to the database only, and Redis is marked
untrusted there (``aragora.shared_state``, #10 item 9): the mark outlives the revoking process
(a short-lived task or management command included) and needs no Redis to be seen. Every
process reads the marks at most every ``UNTRUSTED_CACHE_CHECK`` seconds (one small query, the
only database read of the hot path) and, while one stands, answers from the database and
reloads Redis, which lifts the mark. So such a revocation reaches every process within
``UNTRUSTED_CACHE_CHECK + REVOCATION_LOCAL_TTL`` (1.5 s), whether Redis is down or back up for
the reader; processes that cannot reach Redis read the database and see it at once.

Time: the age of a "valid" memory entry and the breaker's cooldown are read from ``clock()``
(monotonic seconds), one function tests replace to move time instead of sleeping (#11).
Expiries are epoch seconds, the database's time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import RevokedToken
from aragora import metrics, shared_state
from aragora.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

NAME = "revocation"  # this cache's name for shared_state
REDIS_PREFIX = "aragora:revoked:"
SENTINEL = REDIS_PREFIX + "__loaded__"


def clock() -> float:
    """Monotonic seconds: memory entries' age and the breaker's cooldown (tests replace it)."""
    return time.monotonic()


# ``clock`` looked up at each call, so a test's replacement of it applies to the breaker too.
_breaker = CircuitBreaker("revocation-redis", cooldown=5.0, clock=lambda: clock())


class _Memory:
    """This process's view: known-revoked keys and recently-confirmed-valid keys."""

    def __init__(self) -> None:
        self.revoked: dict[str, float] = {}  # key -> expiry (epoch seconds)
        self.valid: dict[str, float] = {}  # key -> when it was last confirmed (``clock()``)
        self.needs_reload = False
        self.lock = threading.Lock()

    def known_revoked(self, keys: Iterable[str]) -> bool:
        now = time.time()
        return any(self.revoked.get(key, 0) > now for key in keys)

    def recently_valid(self, keys: list[str]) -> bool:
        horizon = clock() - settings.REVOCATION_LOCAL_TTL
        return all(self.valid.get(key, -1.0) > horizon for key in keys)

    def remember_revoked(self, key: str, expires: float) -> None:
        with self.lock:
            self.revoked[key] = expires
            self.valid.pop(key, None)
            if len(self.revoked) > 10_000:
                now = time.time()
                self.revoked = {k: v for k, v in self.revoked.items() if v > now}

    def remember_valid(self, keys: list[str]) -> None:
        now = clock()
        with self.lock:
            if len(self.valid) > 50_000:
                self.valid.clear()
            for key in keys:
                self.valid[key] = now

    def clear(self) -> None:
        with self.lock:
            self.revoked.clear()
            self.valid.clear()


_memory = _Memory()


def session_key(session_id: object) -> str:
    return f"sid:{session_id}"


def token_key(jti: str) -> str:
    return f"jti:{jti}"


def _redis():
    """The raw Redis client in service mode; ``None`` in embedded mode."""
    if not settings.SERVICE_CACHE:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def revoke(key: str, *, expires_at: datetime) -> None:
    """Revoke ``key`` until ``expires_at`` in every layer (Redis once the caller commits)."""
    expires_at = max(expires_at, timezone.now() + timedelta(seconds=1))
    RevokedToken.objects.update_or_create(key=key, defaults={"expires_at": expires_at})
    metrics.count_revocation("session" if key.startswith("sid:") else "access_token")
    _memory.remember_revoked(key, expires_at.timestamp())
    transaction.on_commit(lambda: _publish(key, expires_at))


def _publish(key: str, expires_at: datetime) -> None:
    client = _redis()
    if client is None:
        return
    ttl_ms = max(1000, int((expires_at - timezone.now()).total_seconds() * 1000))
    try:
        client.set(REDIS_PREFIX + key, "1", px=ttl_ms)
        _breaker.record_success()
    except Exception:  # Redis down: the database row stands; every reader goes there instead
        logger.warning("revocation: Redis unreachable while publishing; marked untrusted")
        _breaker.record_failure()
        _memory.needs_reload = True
        shared_state.mark_untrusted(NAME)


def is_revoked(*keys: str) -> bool:
    """Whether any of ``keys`` is revoked. Fails closed onto the database, never open."""
    wanted = list(keys)
    if _memory.known_revoked(wanted):
        return True
    if _memory.recently_valid(wanted):
        return False
    answer = _ask_redis(wanted)
    if answer is None:
        answer = _ask_database(wanted)
    if not answer:
        _memory.remember_valid(wanted)
    return answer


def _ask_redis(keys: list[str]) -> bool | None:
    """Redis's answer, or ``None`` when it has none to give (absent, down, lost its data, or
    marked untrusted after a failed write)."""
    client = _redis()
    if client is None or not _breaker.allow():
        return None
    try:
        values = client.mget([SENTINEL, *(REDIS_PREFIX + key for key in keys)])
        _breaker.record_success()
    except Exception:
        logger.warning("revocation: Redis unreachable; answering from the database")
        _breaker.record_failure()
        _memory.needs_reload = True
        return None
    mark = shared_state.untrusted(NAME)
    if values[0] is None or _memory.needs_reload or mark is not None:
        _repair(client, mark)
        return None  # this once, the database answers
    return any(value is not None for value in values[1:])


def _repair(client, mark: int | None) -> None:
    try:
        reload_redis(client)
    except Exception:  # Redis failed again: the mark stays, the database keeps answering
        logger.warning("revocation: Redis unreachable while reloading")
        _breaker.record_failure()
        _memory.needs_reload = True
        return
    if mark is not None:
        shared_state.trust_again(NAME, mark)


def _ask_database(keys: list[str]) -> bool:
    revoked = RevokedToken.objects.filter(key__in=keys, expires_at__gt=timezone.now())
    found = list(revoked.values_list("key", "expires_at"))
    for key, expires_at in found:
        _memory.remember_revoked(key, expires_at.timestamp())
    return bool(found)


def reload_redis(client) -> int:
    """Copy every live revocation from the database into Redis; return how many."""
    now = timezone.now()
    rows = list(RevokedToken.objects.filter(expires_at__gt=now).values_list("key", "expires_at"))
    pipe = client.pipeline()
    for key, expires_at in rows:
        ttl_ms = max(1000, int((expires_at - now).total_seconds() * 1000))
        pipe.set(REDIS_PREFIX + key, "1", px=ttl_ms)
    pipe.set(SENTINEL, "1")
    pipe.execute()
    _memory.needs_reload = False
    return len(rows)


def purge_expired() -> int:
    """Delete database entries whose tokens have expired (a scheduled job calls this)."""
    deleted, _ = RevokedToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def reset_local_state() -> None:
    """Forget this process's memory layer (tests, and after a fork)."""
    _memory.clear()
    _memory.needs_reload = False
    _breaker.record_success()
    shared_state.forget()
