"""The lockout's Redis store (LOCK-4): one Lua script per operation, atomic across the keys.

Each key is a sorted set ``:r`` of in-flight reservations, shared by every process, plus a hash
caching the key's failures (``f``) and lock (``u``). Failures are counted by the database (see
``accounts.lockout.switch``), which hands each reserve its *floor* (failures, lock, and the
reservations made there during a blip); the script takes the maximum of both, so a Redis that
restarted empty or missed failures during a blip never hands out a fresh budget (#10 item 10).
"""

from __future__ import annotations

from accounts.lockout.stores import (
    DECAY_SECONDS,
    STALE_SECONDS,
    Entry,
    Floor,
    Key,
    KeyState,
    Verdict,
)
from accounts.lockout.tiers import Tiers

# The reservation ceiling of ``accounts.lockout.tiers`` in Lua (lock durations are computed in
# Python only: the database counts failures); ``tests/accounts/test_lockout_tiers.py`` checks
# that both agree.
TIER_FUNCTIONS = """
local function tiers_from(first)
  local tiers = {}
  for i = first, #ARGV, 2 do tiers[#tiers + 1] = {tonumber(ARGV[i]), tonumber(ARGV[i + 1])} end
  return tiers
end
local function next_lock_at(tiers, f)
  for _, t in ipairs(tiers) do if t[1] > f then return t[1] end end
  return f + 1
end
local function num(value) return tonumber(value or '0') or 0 end
"""

# A Redis that restarted lost the reservations in flight (their passwords are still being
# checked): when the epoch marker is missing, nothing is reserved for ``settle`` milliseconds,
# so those attempts land as failures first. Names outside the ``aragora:lockout:*`` keys.
EPOCH, SETTLING = "aragora:lockout-epoch", "aragora:lockout-settling"

# KEYS: state hashes. ARGV: now, token, stale, settle (ms), then per key (floor f, floor u,
# floor r), then tiers. -> {1, '0'} reserved; {0, wait} locked; {2, '0'} busy: the budget is
# held by attempts in flight, nothing locks yet, so the caller waits for a slot (LOCK-3).
RESERVE = (
    TIER_FUNCTIONS
    + f"""
local epoch, settling = '{EPOCH}', '{SETTLING}'
"""
    + """
local now, token, stale, settle = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4]
local tiers = tiers_from(5 + 3 * #KEYS)
local function floor(i, j) return tonumber(ARGV[4 + 3 * (i - 1) + j]) end
if redis.call('EXISTS', epoch) == 0 then
  redis.call('SET', epoch, '1')
  if tonumber(settle) > 0 then redis.call('SET', settling, '1', 'PX', settle) end
end
local wait = 0
for i, key in ipairs(KEYS) do
  local locked_until = math.max(num(redis.call('HGET', key, 'u')), floor(i, 2))
  if locked_until > now then wait = math.max(wait, locked_until - now) end
end
if wait > 0 then return {0, tostring(wait)} end
if redis.call('EXISTS', settling) == 1 then return {2, '0'} end
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key .. ':r', '-inf', now - stale)
  local f = math.max(num(redis.call('HGET', key, 'f')), floor(i, 1))
  local in_flight = redis.call('ZCARD', key .. ':r') + floor(i, 3)
  if f + in_flight >= next_lock_at(tiers, f) then return {2, '0'} end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key .. ':r', now, token)
  redis.call('EXPIRE', key .. ':r', stale * 2)
end
return {1, '0'}
"""
)

# KEYS: state hashes. ARGV: token, decay, then per key (failures, locked until) as counted by
# the database. Drops the reservation and caches the count, never lowering it; atomic, so a
# reserve sees either the reservation or the failure, never neither (LOCK-3).
NOTE_FAILURE = """
local token, decay = ARGV[1], tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREM', key .. ':r', token)
  local f = math.max(tonumber(redis.call('HGET', key, 'f') or '0'), tonumber(ARGV[1 + 2 * i]))
  local u = math.max(tonumber(redis.call('HGET', key, 'u') or '0'), tonumber(ARGV[2 + 2 * i]))
  redis.call('HSET', key, 'f', f, 'u', tostring(u))
  redis.call('EXPIRE', key, decay)
end
return 1
"""

# KEYS: state hashes; ARGV: token, then one flag per key ("1": reset that key)
SUCCEED = """
for i, key in ipairs(KEYS) do
  redis.call('ZREM', key .. ':r', ARGV[1])
  if ARGV[i + 1] == '1' then redis.call('DEL', key) end
end
return 1
"""


def tier_args(tiers: Tiers) -> list[int]:
    return [n for tier in tiers for n in tier]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore:
    """Lockout state in Redis, shared by every process (LOCK-4)."""

    name = "redis"

    def __init__(self, client) -> None:
        self.client = client

    def reserve(
        self,
        keys: list[Key],
        token: str,
        now: float,
        tiers: Tiers,
        floors: list[Floor],
        settle: float,
    ) -> Verdict:
        floor_args = [n for f in floors for n in (f.failures, f.locked_until, f.in_flight)]
        status, wait = self.client.eval(
            RESERVE, len(keys), *[k.redis_key for k in keys], now, token, STALE_SECONDS,
            int(settle * 1000), *floor_args, *tier_args(tiers),
        )  # fmt: skip
        status = int(status)
        return Verdict(status == 1, float(wait), busy=status == 2)

    def note_failure(self, token: str, states: list[KeyState]) -> None:
        """Drop the reservation and cache the failure counted by the database."""
        values = [n for s in states for n in (s.failures, repr(s.locked_until))]
        keys = [s.key.redis_key for s in states]
        self.client.eval(NOTE_FAILURE, len(keys), *keys, token, DECAY_SECONDS, *values)

    def succeed(self, keys: list[Key], token: str, reset: list[bool]) -> None:
        flags = ["1" if r else "0" for r in reset]
        self.client.eval(SUCCEED, len(keys), *[k.redis_key for k in keys], token, *flags)

    def entries(self) -> list[Entry]:
        found = []
        for raw in self.client.scan_iter(match="aragora:lockout:*", count=500):
            name = _text(raw)
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
