"""Where lockout state lives: Redis in service mode, the database in embedded mode (LOCK-4).

Both stores give the same three atomic operations over a set of keys (the email key and the IP
key of one attempt), which is what makes reserve-then-verify race-free (LOCK-3):

- ``reserve``: refuse if any key is locked (no counting), or if the attempts already in flight
  would reach the next lock; otherwise record this attempt as in flight on every key;
- ``fail``: turn this attempt's reservation into a failure (once, however often called), lock
  the key when its failure count reaches a tier;
- ``succeed``: drop the reservation; for keys to reset (the email), forget failures and lock.

A reservation older than ``STALE_SECONDS`` is dropped (its request died before resolving).
Counters decay: a key with no failure for ``DECAY_SECONDS`` starts again from zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.lockout.tiers import Tiers, lock_seconds, next_lock_at
from accounts.models import LockoutState

STALE_SECONDS = 60
DECAY_SECONDS = 24 * 3600
BUSY_RETRY_SECONDS = 1


@dataclass(frozen=True)
class Key:
    key_type: str  # "email" or "ip": separate namespaces, so an email never touches an IP key
    value: str

    @property
    def redis_key(self) -> str:
        return f"aragora:lockout:{self.key_type}:{self.value}"


@dataclass(frozen=True)
class Entry:
    key_type: str
    key: str
    failures: int
    locked_until: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


# --- Redis ------------------------------------------------------------------------------------

_TIER_FUNCTIONS = """
local function tiers_from(first)
  local tiers = {}
  for i = first, #ARGV, 2 do tiers[#tiers + 1] = {tonumber(ARGV[i]), tonumber(ARGV[i + 1])} end
  return tiers
end
local function next_lock_at(tiers, f)
  for _, t in ipairs(tiers) do if t[1] > f then return t[1] end end
  return f + 1
end
local function lock_seconds(tiers, f)
  local top = tiers[#tiers]
  if f >= top[1] then return top[2] end
  for _, t in ipairs(tiers) do if t[1] == f then return t[2] end end
  return 0
end
"""

# KEYS: state hashes. ARGV: now, token, stale, tiers... -> {allowed, retry_after}
RESERVE = (
    _TIER_FUNCTIONS
    + """
local now, token, stale = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local tiers = tiers_from(4)
local wait = 0
for _, key in ipairs(KEYS) do
  local locked_until = tonumber(redis.call('HGET', key, 'u') or '0')
  if locked_until > now then wait = math.max(wait, locked_until - now) end
end
if wait > 0 then return {0, tostring(wait)} end
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key .. ':r', '-inf', now - stale)
  local f = tonumber(redis.call('HGET', key, 'f') or '0')
  if f + redis.call('ZCARD', key .. ':r') >= next_lock_at(tiers, f) then
    return {0, '1'}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key .. ':r', now, token)
  redis.call('EXPIRE', key .. ':r', stale * 2)
end
return {1, '0'}
"""
)

# KEYS: state hashes. ARGV: now, token, decay, tiers... -> list of "index:seconds" locks set
FAIL = (
    _TIER_FUNCTIONS
    + """
local now, token, decay = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local tiers = tiers_from(4)
local locks = {}
for i, key in ipairs(KEYS) do
  if redis.call('ZREM', key .. ':r', token) == 1 then
    local f = redis.call('HINCRBY', key, 'f', 1)
    local seconds = lock_seconds(tiers, f)
    if seconds > 0 then
      redis.call('HSET', key, 'u', tostring(now + seconds))
      locks[#locks + 1] = i .. ':' .. f .. ':' .. seconds
    end
    redis.call('EXPIRE', key, decay)
  end
end
return locks
"""
)

# KEYS: state hashes; ARGV: token, then one flag per key ("1": reset that key)
SUCCEED = """
for i, key in ipairs(KEYS) do
  redis.call('ZREM', key .. ':r', ARGV[1])
  if ARGV[i + 1] == '1' then redis.call('DEL', key) end
end
return 1
"""


def _tier_args(tiers: Tiers) -> list[int]:
    return [n for tier in tiers for n in tier]


class RedisStore:
    """Lockout state in Redis hashes (``f`` failures, ``u`` locked until) plus a sorted set of
    in-flight reservations per key; every operation is one Lua script, atomic across keys."""

    name = "redis"

    def __init__(self, client) -> None:
        self.client = client

    def reserve(self, keys: list[Key], token: str, now: float, tiers: Tiers) -> Verdict:
        allowed, wait = self.client.eval(
            RESERVE,
            len(keys),
            *[k.redis_key for k in keys],
            now,
            token,
            STALE_SECONDS,
            *_tier_args(tiers),
        )
        return Verdict(bool(int(allowed)), float(wait))

    def fail(
        self, keys: list[Key], token: str, now: float, tiers: Tiers
    ) -> list[tuple[Key, int, int]]:
        locks = self.client.eval(
            FAIL,
            len(keys),
            *[k.redis_key for k in keys],
            now,
            token,
            DECAY_SECONDS,
            *_tier_args(tiers),
        )
        found = []
        for item in locks:
            index, failures, seconds = (
                int(x) for x in (item.decode() if isinstance(item, bytes) else item).split(":")
            )
            found.append((keys[index - 1], failures, seconds))
        return found

    def succeed(self, keys: list[Key], token: str, reset: list[bool]) -> None:
        self.client.eval(
            SUCCEED,
            len(keys),
            *[k.redis_key for k in keys],
            token,
            *["1" if r else "0" for r in reset],
        )

    def entries(self) -> list[Entry]:
        found = []
        for raw in self.client.scan_iter(match="aragora:lockout:*", count=500):
            name = raw.decode()
            if name.endswith(":r"):
                continue
            _, _, key_type, value = name.split(":", 3)
            state = self.client.hgetall(raw)
            found.append(Entry(key_type, value, int(state.get(b"f", 0)), float(state.get(b"u", 0))))
        return found

    def clear(self, keys: list[Key]) -> int:
        names = [k.redis_key for k in keys]
        existing = self.client.exists(*names) if names else 0
        if names:
            self.client.delete(*names, *[n + ":r" for n in names])
        return int(existing)


# --- Database ---------------------------------------------------------------------------------


class DatabaseStore:
    """Lockout state in ``LockoutState`` rows, each operation one transaction over row locks
    taken in key order (so two attempts on the same keys queue instead of deadlocking)."""

    name = "database"

    def _rows(self, keys: list[Key], now: float) -> list[LockoutState]:
        rows = []
        for key in sorted(keys, key=lambda k: (k.key_type, k.value)):
            LockoutState.objects.get_or_create(key_type=key.key_type, key=key.value)
            row = LockoutState.objects.select_for_update().get(key_type=key.key_type, key=key.value)
            if row.last_failure_at and now - row.last_failure_at > DECAY_SECONDS:
                row.failures, row.locked_until = 0, 0.0
            row.reservations = {
                t: at for t, at in row.reservations.items() if at > now - STALE_SECONDS
            }
            rows.append(row)
        return rows

    def reserve(self, keys: list[Key], token: str, now: float, tiers: Tiers) -> Verdict:
        with transaction.atomic():
            rows = self._rows(keys, now)
            wait = max((row.locked_until - now for row in rows), default=0)
            if wait > 0:
                return Verdict(False, wait)
            for row in rows:
                if row.failures + len(row.reservations) >= next_lock_at(tiers, row.failures):
                    return Verdict(False, BUSY_RETRY_SECONDS)
            for row in rows:
                row.reservations[token] = now
                row.save(update_fields=["failures", "locked_until", "reservations"])
            return Verdict(True)

    def fail(
        self, keys: list[Key], token: str, now: float, tiers: Tiers
    ) -> list[tuple[Key, int, int]]:
        locks = []
        with transaction.atomic():
            for row in self._rows(keys, now):
                if row.reservations.pop(token, None) is None:
                    continue  # already resolved, or went stale
                row.failures += 1
                row.last_failure_at = now
                seconds = lock_seconds(tiers, row.failures)
                if seconds:
                    row.locked_until = now + seconds
                    locks.append((Key(row.key_type, row.key), row.failures, seconds))
                row.save()
        return locks

    def succeed(self, keys: list[Key], token: str, reset: list[bool]) -> None:
        resets = {k for k, r in zip(keys, reset, strict=True) if r}
        with transaction.atomic():
            for key in keys:
                row = (
                    LockoutState.objects.select_for_update()
                    .filter(key_type=key.key_type, key=key.value)
                    .first()
                )
                if row is None:
                    continue
                row.reservations.pop(token, None)
                if key in resets:
                    row.failures, row.locked_until = 0, 0.0
                row.save()

    def entries(self) -> list[Entry]:
        rows = LockoutState.objects.filter(failures__gt=0)
        return [Entry(r.key_type, r.key, r.failures, r.locked_until) for r in rows]

    def clear(self, keys: list[Key]) -> int:
        cleared = 0
        for key in keys:
            rows = LockoutState.objects.filter(key_type=key.key_type, key=key.value)
            cleared += rows.filter(failures__gt=0).count()
            rows.delete()
        return cleared

    def purge_idle(self, now: float) -> int:
        """Drop rows with nothing to remember: no failures left, or decayed."""
        idle = LockoutState.objects.filter(failures=0, reservations={})
        decayed = LockoutState.objects.filter(
            last_failure_at__gt=0, last_failure_at__lt=now - DECAY_SECONDS
        )
        return idle.delete()[0] + decayed.delete()[0]
