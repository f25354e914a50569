"""LOCK-3 and LOCK-4 when Redis fails (#10 item 10): the database fallback loses no failure and
a flapping Redis never hands out a fresh budget.

Redis is stopped and started for real: a private ``redis-server`` on a free port, started and
stopped by these tests (never the shared one), with the app pointed at it."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import requests

from accounts.lockout import service as lockout
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code
from tests.live import burst, free_port, gunicorn

pytestmark = pytest.mark.services
WRONG = "Wrong-Password-123"
IP = "198.51.100.30"


class PrivateRedis:
    """A throwaway redis-server without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": server.url},
    }
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/h", "default": "10000/h"}
    try:
        yield server
    finally:
        server.stop()


def attempt(email: str, password: str = WRONG):  # type: ignore[no-untyped-def]
    return Api(REMOTE_ADDR=IP).post("/api/v1/auth/login", {"email": email, "password": password})


def failures(key_type: str, key: str) -> int:
    found = [e for e in lockout.entries() if (e.key_type, e.key) == (key_type, key)]
    return found[0].failures if found else 0


@pytest.mark.django_db
def test_a_failure_reserved_in_redis_counts_when_redis_is_gone(private_redis):
    reservation = lockout.reserve(email="victim@example.com", ip=IP)
    private_redis.stop()
    lockout.record_failure(reservation)  # the database never saw this reservation
    assert failures("email", "victim@example.com") == 1
    assert failures("ip", IP) == 1


@pytest.mark.django_db
def test_a_redis_that_restarts_empty_gives_no_fresh_budget(private_redis, user):
    for _ in range(3):
        assert attempt(user.email).status_code == 401
    private_redis.restart()
    for _ in range(2):
        assert attempt(user.email).status_code == 401  # the 4th and 5th, not a 1st and 2nd
    response = attempt(user.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"


@pytest.mark.django_db
def test_failures_counted_while_redis_was_down_still_count_when_it_is_back(private_redis, user):
    private_redis.stop()
    for _ in range(3):
        assert attempt(user.email).status_code == 401  # the database decides
    private_redis.start()
    lockout.reset_local_state()  # the breaker's cooldown is over: Redis decides again
    for _ in range(2):
        assert attempt(user.email).status_code == 401
    assert attempt(user.email, PASSWORD).status_code == 429
    assert failures("email", user.email) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["stopped", "restarted empty"])
def test_after_redis_is_lost_nothing_is_reserved_until_the_attempts_in_flight_land(
    outage, private_redis, settings, user
):
    """An attempt reserved in Redis may still be checking its password when Redis goes away
    (or comes back without its reservations): for the settle period no new attempt is
    verified, so that one lands as a failure before anybody else gets a slot."""
    for _ in range(4):
        assert attempt(user.email).status_code == 401
    settings.LOCKOUT_FALLBACK_SETTLE = 3600
    settings.LOCKOUT_WAIT = 0.3
    in_flight = lockout.reserve(email=user.email, ip=IP)
    private_redis.stop() if outage == "stopped" else private_redis.restart()
    held = attempt(user.email, PASSWORD)
    assert held.status_code == 429 and error_code(held) == "locked_out"
    assert held["Retry-After"] == "1"  # held, not locked: nothing new failed
    lockout.record_failure(in_flight)
    settings.LOCKOUT_FALLBACK_SETTLE = 0
    locked = attempt(user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == "60"


def _until_redis_decides(base: str) -> None:
    """Wait out the settle period of a new Redis: a throwaway key's guess gets checked."""
    for _ in range(100):
        response = requests.post(
            f"{base}/api/v1/auth/login",
            headers={"X-Forwarded-For": "198.51.100.99"},
            timeout=60,
            json={"email": "warm-up@example.com", "password": WRONG},
        )
        if response.status_code == 401:
            return
    raise AssertionError("the lockout never let an attempt through")


@pytest.mark.django_db(transaction=True)
def test_flapping_redis_during_a_forty_guess_burst_verifies_at_most_five_passwords(
    private_redis,
):
    """Redis is stopped and started (empty) again and again while 40 guesses arrive across two
    server processes: the lock engages after at most 5 checked passwords all the same (before
    the fix, each switch of store handed out a fresh budget: 10 and more got checked). The
    database deciding after a long outage is covered by the tests above."""
    user = UserFactory()
    env = {
        "REDIS_URL": private_redis.url,
        "ARAGORA_TRUSTED_PROXIES": "127.0.0.1",
        "ARAGORA_RATE_LIMIT_DEFAULT": "10000/m",
        "ARAGORA_RATE_LIMIT_AUTH": "10000/m",
        # Shorter than the default, for the warm-up; longer than any outage below.
        "ARAGORA_LOCKOUT_FALLBACK_SETTLE": "5",
    }
    with gunicorn(workers=2, threads=24, **env) as (base, _):
        _until_redis_decides(base)
        done = threading.Event()

        def flap() -> None:
            while not done.wait(1.5):
                private_redis.stop()
                if done.wait(1.5):
                    break
                private_redis.start()

        flapper = threading.Thread(target=flap)
        flapper.start()

        def guess(i: int) -> requests.Response:
            time.sleep(i * 0.15)  # spread over several flaps
            return requests.post(
                f"{base}/api/v1/auth/login",
                headers={"X-Forwarded-For": IP},
                timeout=60,
                json={"email": user.email, "password": WRONG},
            )

        try:
            responses = burst(40, guess)
        finally:
            done.set()
            flapper.join(timeout=30)
            if private_redis.process is None:
                private_redis.start()
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 5, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 429} == {"locked_out"}
