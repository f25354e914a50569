"""Which store decides, and how the two stay one state across a Redis blip (LOCK-3, LOCK-4).

Redis decides in service mode; the database decides in embedded mode, and in service mode while
Redis is unreachable or its circuit breaker is open (fail closed, never open). A flapping Redis
must never give more guesses than the tier allows (#10 item 10), so in service mode:

- the database counts every failure (one atomic increment per key, whichever store reserved
  the attempt: an unknown token counts too); Redis drops the reservation and caches the count;
- Redis decides with the database's *floor* (its failures, lock and in-flight reservations),
  taking the maximum: failures counted during a blip, or a Redis that came back empty,
  change nothing;
- when Redis is lost, attempts it had reserved may still be checking passwords, unseen by the
  database: for ``LOCKOUT_FALLBACK_SETTLE`` seconds (default: the reservation lifetime, 60 s,
  after which Redis would have forgotten them too) the database only refuses (locked) or holds
  (busy: the caller waits, then 429) and reserves nothing. A Redis that restarted empty lost its
  reservations the same way and holds the same way (an epoch marker, see ``redis_store``).
  Fail closed: sign-ins pause during that time rather than risk unseen guesses;
- the breaker probes a failed Redis every ``BREAKER_COOLDOWN``; a process that sees Redis come
  back reserves nothing for two cooldowns, by which time every process that was reserving in
  the database has probed and come back too. What remains: a process that saw nothing of a
  long outage that ended without a Redis restart may reserve in Redis during the one cooldown
  in which another still reserves in the database (that one's reservations it does see).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings

from accounts.lockout.stores import (
    BUSY_RETRY_SECONDS,
    DatabaseStore,
    Entry,
    Key,
    KeyState,
    Verdict,
)
from accounts.lockout.tiers import Tiers
from aragora.breaker import CircuitBreaker

if TYPE_CHECKING:
    from accounts.lockout.redis_store import RedisStore

logger = logging.getLogger(__name__)
BREAKER_COOLDOWN = 1.0  # seconds between probes of a Redis that failed
_breaker = CircuitBreaker("lockout-redis", cooldown=BREAKER_COOLDOWN)
_lost = threading.Lock()
_lost_at: float | None = None  # monotonic start of this run of Redis failures (None: Redis ok)
_failed_at = 0.0  # monotonic time of the last Redis failure
_recovered_at = float("-inf")  # monotonic time Redis came back after a run of failures


def _redis() -> RedisStore | None:
    """The Redis store when it should decide, else None (embedded mode, or breaker open)."""
    if not settings.SERVICE_CACHE or not _breaker.allow():
        return None
    from django_redis import get_redis_connection

    from accounts.lockout.redis_store import RedisStore

    return RedisStore(get_redis_connection("default"))


def _redis_ok() -> None:
    global _lost_at, _recovered_at
    _breaker.record_success()
    with _lost:
        if _lost_at is not None:
            _recovered_at = time.monotonic()
        _lost_at = None


def _recovering() -> bool:
    """Redis came back to this process a moment ago: other processes may still reserve in the
    database until their next probe (one cooldown), so this one reserves nothing yet."""
    hold = min(2 * BREAKER_COOLDOWN, settings.LOCKOUT_FALLBACK_SETTLE)
    with _lost:
        return time.monotonic() - _recovered_at < hold


def _redis_failed() -> None:
    """Note a failure. A gap longer than the settle period since the previous failure starts a
    new run: Redis may have been up in between and reserved attempts still in flight."""
    global _lost_at, _failed_at
    logger.warning("lockout: Redis unreachable; the database store decides")
    _breaker.record_failure()
    now = time.monotonic()
    with _lost:
        if _lost_at is None or now - _failed_at > settings.LOCKOUT_FALLBACK_SETTLE:
            _lost_at = now
        _failed_at = now


def _settling() -> bool:
    """In service mode, Redis was lost too recently for the database to reserve alone."""
    if not settings.SERVICE_CACHE:
        return False
    with _lost:
        lost_at = _lost_at
    if lost_at is None:
        return True  # another thread just saw Redis back: wait for the next poll to use it
    return time.monotonic() - lost_at < settings.LOCKOUT_FALLBACK_SETTLE


def reserve(keys: list[Key], token: str, now: float, tiers: Tiers) -> tuple[Verdict, str]:
    """Reserve on the deciding store; return the verdict and the store's name."""
    database = DatabaseStore()
    redis = _redis()
    if redis is not None and _recovering():
        return Verdict(False, BUSY_RETRY_SECONDS, busy=True), redis.name
    if redis is not None:
        floors = database.floors(keys, now)
        try:
            verdict = redis.reserve(
                keys, token, now, tiers, floors, settings.LOCKOUT_FALLBACK_SETTLE
            )
        except Exception:
            _redis_failed()
        else:
            _redis_ok()
            return verdict, redis.name
    return database.reserve(keys, token, now, tiers, hold=_settling()), database.name


def fail(keys: list[Key], token: str, now: float, tiers: Tiers) -> list[KeyState]:
    """Count a failure on every key. The database counts (one atomic increment, whichever
    store reserved the attempt: two stores counting apart would lose counts when they merge);
    then Redis drops the reservation and caches the count."""
    states = DatabaseStore().fail(keys, token, now, tiers)
    redis = _redis()
    if redis is not None:
        try:
            redis.note_failure(token, states)
        except Exception:
            _redis_failed()  # the reservation goes stale there; the failure is counted
        else:
            _redis_ok()
    return states


def succeed(keys: list[Key], token: str, reset: list[bool], reserved_in: str) -> None:
    """Drop the reservation where it was made; reset the keys to reset in both stores."""
    database = DatabaseStore()
    redis = _redis()
    if redis is not None:
        try:
            redis.succeed(keys, token, reset)
        except Exception:
            _redis_failed()  # the Redis reservation goes stale; the reset is done below
        else:
            _redis_ok()
    if reserved_in == database.name:
        database.succeed(keys, token, reset)
    else:
        database.reset([key for key, r in zip(keys, reset, strict=True) if r])


def entries() -> list[Entry]:
    """Every key with failures: the maximum of both stores in service mode."""
    stores: list[list[Entry]] = [DatabaseStore().entries()]
    redis = _redis()
    if redis is not None:
        try:
            stores.append(redis.entries())
        except Exception:
            _redis_failed()
    found: dict[tuple[str, str], Entry] = {}
    for e in (e for store in stores for e in store):
        old = found.get((e.key_type, e.key), Entry(e.key_type, e.key, 0, 0.0))
        found[(e.key_type, e.key)] = Entry(
            e.key_type, e.key, max(e.failures, old.failures), max(e.locked_until, old.locked_until)
        )
    return [e for e in found.values() if e.failures > 0]


def clear(keys: list[Key]) -> int:
    """Forget the keys in both stores (Redis if reachable; the durable copy always)."""
    cleared = DatabaseStore().clear(keys)
    redis = _redis()
    if redis is not None:
        try:
            cleared = max(cleared, redis.clear(keys))
        except Exception:
            _redis_failed()
    return cleared


def reset_local_state() -> None:
    """Forget this process's view of Redis (tests: a new process)."""
    global _lost_at, _recovered_at
    _breaker.record_success()
    with _lost:
        _lost_at, _recovered_at = None, float("-inf")
