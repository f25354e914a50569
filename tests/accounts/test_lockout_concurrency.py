"""LOCK-3 in embedded mode (the database store), with threads: honest parallel logins wait for
a slot instead of being refused (#10 item 6); parallel guesses still verify at most 5
passwords; a failure counts even when its reservation is unknown to the store (#10 item 10)."""

from __future__ import annotations

import threading
import time

import pytest

from accounts.lockout import service as lockout
from accounts.lockout.stores import DatabaseStore, Key
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code, in_threads

pytestmark = pytest.mark.django_db(transaction=True)
WRONG = "Wrong-Password-123"
IP = "198.51.100.20"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/h", "default": "10000/h"}


@pytest.fixture
def slow_hashing(monkeypatch):
    """Each password check takes a while, so parallel attempts are surely in flight together
    (as under bcrypt cost 12); counts the checks."""
    import bcrypt

    calls: list[int] = []
    original = bcrypt.hashpw

    def slow(password, salt):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.2)
        return original(password, salt)

    monkeypatch.setattr(bcrypt, "hashpw", slow)
    return calls


def attempt(email: str, password: str = PASSWORD, ip: str = IP):  # type: ignore[no-untyped-def]
    return Api(REMOTE_ADDR=ip).post("/api/v1/auth/login", {"email": email, "password": password})


def failures(key_type: str, key: str) -> int:
    found = [e for e in lockout.entries() if (e.key_type, e.key) == (key_type, key)]
    return found[0].failures if found else 0


def test_eight_parallel_correct_logins_for_one_email_all_succeed(slow_hashing):
    """LOCK-3: the 6th to 8th wait for a slot; nothing failed, so nothing is refused."""
    user = UserFactory()
    slow_hashing.clear()
    statuses = in_threads(8, lambda: attempt(user.email).status_code)
    assert statuses == [200] * 8
    assert len(slow_hashing) == 8
    assert failures("email", user.email) == failures("ip", IP) == 0


def test_fifteen_parallel_correct_logins_from_one_ip_all_succeed(slow_hashing):
    """LOCK-3: one IP key, fifteen users, all signed in."""
    users = UserFactory.create_batch(15)
    emails = iter(u.email for u in users)
    lock = threading.Lock()

    def login() -> int:
        with lock:
            email = next(emails)
        return attempt(email).status_code

    assert in_threads(15, login) == [200] * 15


def test_forty_parallel_wrong_guesses_verify_at_most_five_passwords(slow_hashing):
    """LOCK-3: waiting never lets a burst past the budget: after 5 failures the lock engages
    and every waiting attempt is refused unverified."""
    user = UserFactory()
    slow_hashing.clear()
    responses = in_threads(40, lambda: attempt(user.email, WRONG))
    statuses = [r.status_code for r in responses]
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) == 40 - statuses.count(401)
    assert len(slow_hashing) == statuses.count(401)  # the refused ones hashed nothing
    assert {error_code(r) for r in responses if r.status_code == 429} == {"locked_out"}
    assert failures("ip", IP) == failures("email", user.email) == statuses.count(401)


@pytest.fixture
def busy_seen(monkeypatch) -> threading.Event:
    """Set once an attempt has found its key busy and started to wait."""
    from accounts.lockout import switch

    seen = threading.Event()
    real_reserve = switch.reserve

    def watched(*args):  # type: ignore[no-untyped-def]
        verdict, store = real_reserve(*args)
        if verdict.busy:
            seen.set()
        return verdict, store

    monkeypatch.setattr(switch, "reserve", watched)
    return seen


def test_a_waiting_attempt_takes_the_slot_a_success_frees(busy_seen, user):
    """LOCK-3: the key's budget is held by 5 attempts in flight; a 6th waits (it is not
    refused) and signs in as soon as one of them succeeds."""
    held = [lockout.reserve(email=user.email, ip=IP) for _ in range(5)]
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(attempt(user.email).status_code))
    thread.start()
    assert busy_seen.wait(timeout=30)
    lockout.record_success(held[0], complete=False)
    thread.join(timeout=60)
    assert result == [200]


def test_the_django_admin_login_path_waits_for_a_slot_too(busy_seen, user):
    """LOCK-3 through django-axes (our handler's ``is_allowed``, which the Django admin's login
    form goes through): the attempt waits for the slot like the API's."""
    from django.test import RequestFactory

    from accounts.lockout.handler import AragoraAxesHandler

    held = [lockout.reserve(email=user.email, ip=IP) for _ in range(5)]
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR=IP)
    credentials = {"username": user.email}
    result: list[bool] = []
    thread = threading.Thread(
        target=lambda: result.append(AragoraAxesHandler().is_allowed(request, credentials))
    )
    thread.start()
    assert busy_seen.wait(timeout=30)
    lockout.record_success(held[0], complete=False)
    thread.join(timeout=60)
    assert result == [True]
    reservation = lockout.held(request)
    assert reservation is not None
    assert reservation.keys == lockout.keys_for(email=user.email, ip=IP)


def test_a_slot_that_never_frees_ends_in_429_with_retry_after(settings, user):
    """LOCK-3: the wait is bounded (``LOCKOUT_WAIT``); then 429 ``locked_out``, nothing counted."""
    settings.LOCKOUT_WAIT = 0.3
    held = [lockout.reserve(email=user.email, ip=IP) for _ in range(5)]
    response = attempt(user.email)
    assert response.status_code == 429
    assert error_code(response) == "locked_out"
    assert response["Retry-After"] == "1"
    assert failures("email", user.email) == 0
    for reservation in held:
        lockout.record_success(reservation, complete=False)
    assert attempt(user.email).status_code == 200


def test_only_counted_failures_lock_while_failures_are_in_flight(settings, user):
    """LOCK-3: 4 failures counted and one more attempt in flight: the next attempt waits; if
    the one in flight fails, the lock engages and the waiting attempt is refused unverified."""
    for _ in range(4):
        assert attempt(user.email, WRONG).status_code == 401
    in_flight = lockout.reserve(email=user.email, ip=IP)
    result: list = []  # type: ignore[type-arg]
    thread = threading.Thread(target=lambda: result.append(attempt(user.email)))
    thread.start()
    lockout.record_failure(in_flight)
    thread.join(timeout=60)
    assert result[0].status_code == 429
    assert result[0]["Retry-After"] == "60"
    assert failures("email", user.email) == 5


def test_a_failure_reserved_elsewhere_still_counts():
    """#10 item 10: a failure whose reservation the database never saw (made in Redis before a
    blip, or gone stale) is a checked password all the same: it counts."""
    key = Key("email", "someone@example.com")
    states = DatabaseStore().fail([key], "reserved-in-redis", time.time(), ((5, 60),))
    assert [s.failures for s in states] == [1]
    assert failures("email", "someone@example.com") == 1


def test_waiters_per_key_are_bounded_and_the_next_attempt_is_refused_at_once(settings, user):
    """LOCK-3 (#10 red team 2): at most ``LOCKOUT_MAX_WAITERS`` attempts wait for a slot on a
    key; the next one gets 429 ``locked_out`` with ``Retry-After`` at once, unverified and
    uncounted, instead of parking one more worker thread for ``LOCKOUT_WAIT``. Before, every
    attempt waited, so a flood of logins for one account could hold every thread."""
    from django.core.cache import caches

    from accounts.lockout import waiters

    settings.LOCKOUT_MAX_WAITERS = 2
    settings.LOCKOUT_WAIT = 600  # the refusal below cannot come from the wait running out
    held = [lockout.reserve(email=user.email, ip=IP) for _ in range(5)]
    waiting = threading.Barrier(3)
    results: list[str] = []

    def wait_for_a_slot() -> None:
        waiting.wait(timeout=30)
        lockout.record_success(lockout.reserve(email=user.email, ip=IP), complete=False)
        results.append("reserved")

    threads = [threading.Thread(target=wait_for_a_slot) for _ in range(2)]
    for thread in threads:
        thread.start()
    waiting.wait(timeout=30)
    name = f"{waiters.PREFIX}email:{user.email}"
    for _ in range(3000):  # until both are counted as waiting (a bounded look, not a timing)
        if caches["default"].get(name) == 2:
            break
        time.sleep(0.01)
    response = attempt(user.email)
    assert response.status_code == 429 and error_code(response) == "locked_out"
    assert response["Retry-After"] == "1"
    for reservation in held:
        lockout.record_success(reservation, complete=False)
    for thread in threads:
        thread.join(timeout=60)
    assert results == ["reserved", "reserved"]
    assert failures("email", user.email) == failures("ip", IP) == 0
    assert caches["default"].get(name) == 0  # the waiters left
    assert attempt(user.email).status_code == 200
