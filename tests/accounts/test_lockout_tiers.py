"""LOCK-1 and LOCK-3: the tier maths that decide a reservation exist twice, in Python (the
database store) and in Lua (the Redis store); a disagreement would give one store more guesses
than the other (#10 item 10). Both run on the same inputs: every failure count from 0 to 40
under several tier configs, as bare functions and through both stores' ``reserve``. Lock
durations are computed in Python only (the database counts every failure in both modes)."""

from __future__ import annotations

import pytest
from django_redis import get_redis_connection

from accounts.lockout.redis_store import TIER_FUNCTIONS, RedisStore, tier_args
from accounts.lockout.stores import DatabaseStore, Floor, Key
from accounts.lockout.tiers import lock_seconds, next_lock_at, parse_tiers
from accounts.models import LockoutState

pytestmark = [pytest.mark.services, pytest.mark.django_db]
CONFIGS = [
    "5:60,10:900,15:3600",
    "1:1",
    "3:10",
    "2:5,4:50",
    "7:30,8:31,40:7200",
    "5:60,10:900,15:3600,20:86400",
]
NOW = 1_900_000_000.0
PROBE = (
    TIER_FUNCTIONS
    + """
return next_lock_at(tiers_from(2), tonumber(ARGV[1]))
"""
)


@pytest.mark.parametrize("config", CONFIGS)
def test_lua_and_python_reservation_ceilings_agree(config):
    tiers = parse_tiers(config)
    client = get_redis_connection("default")
    for failures in range(41):
        assert client.eval(PROBE, 0, failures, *tier_args(tiers)) == next_lock_at(tiers, failures)


def _database_verdict(key: Key, failures: int, locked_until: float, in_flight: int, tiers):  # type: ignore[no-untyped-def]
    LockoutState.objects.update_or_create(
        key_type=key.key_type,
        key=key.value,
        defaults={
            "failures": failures,
            "locked_until": locked_until,
            "last_failure_at": NOW - 1,
            "reservations": {f"held{n}": NOW - 1 for n in range(in_flight)},
        },
    )
    return DatabaseStore().reserve([key], "probe", NOW, tiers)


def _redis_verdict(key: Key, failures: int, locked_until: float, in_flight: int, tiers):  # type: ignore[no-untyped-def]
    client = get_redis_connection("default")
    client.delete(key.redis_key, key.redis_key + ":r")
    store = RedisStore(client)
    return store.reserve([key], "probe", NOW, tiers, [Floor(failures, locked_until, in_flight)], 0)


@pytest.mark.parametrize("config", CONFIGS)
def test_both_stores_decide_every_reservation_alike(config):
    """For 0..40 failures, 0..6 attempts in flight, locked or not: the same verdict."""
    tiers = parse_tiers(config)
    key = Key("email", "tiers@example.com")
    for failures in range(41):
        lock = lock_seconds(tiers, failures) if failures else 0
        for locked_until in {0.0, NOW + lock} if lock else {0.0}:
            for in_flight in range(7):
                args = (key, failures, locked_until, in_flight, tiers)
                database, redis = _database_verdict(*args), _redis_verdict(*args)
                assert (database.allowed, database.busy) == (redis.allowed, redis.busy), args
                if not database.busy:
                    assert database.retry_after == redis.retry_after, args
                expected = locked_until <= NOW and failures + in_flight < next_lock_at(
                    tiers, failures
                )
                assert database.allowed == expected, args
