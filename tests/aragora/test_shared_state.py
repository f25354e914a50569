"""Fail closed when a write to the shared cache fails (OPS-2, RATE-4, AUTH-4; #10 item 9): the
cache is marked untrusted in the database, every process answers from the database until it
reloads, and a Redis blip never turns a 429 into a 500.

The embedded tests use the in-process cache as "the cache the readers trust" and a dead Redis
port as the writer's; the service tests put a dead port under the writer (this process, like a
short-lived command) and real Redis under two gunicorn workers (the readers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core.cache import caches
from django.utils import timezone

from abuse import services as abuse
from abuse.models import ClientBlock
from accounts import revocation
from accounts.models import EndReason, UserSession
from accounts.services.sessions import end_sessions
from aragora import shared_state
from aragora.models import CacheMark
from tests.factories import PASSWORD, UserFactory
from tests.live import gunicorn, poll_until

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
}


def redis_down(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {**settings.CACHES, "default": DEAD_REDIS}


def test_a_redis_blip_turns_no_429_into_a_500_and_the_block_holds(settings):
    """The strike that blocks deletes a counter: with the cache down that raised (a 500)."""
    redis_down(settings)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "1/h"}
    settings.ESCALATION_STRIKES = 2
    from tests.helpers import Api

    api = Api(REMOTE_ADDR="198.51.100.161")
    statuses = [api.get("/api/v1/").status_code for _ in range(4)]
    assert statuses == [200, 429, 429, 429]
    assert ClientBlock.objects.filter(key="ip:198.51.100.161").exists()
    assert CacheMark.objects.filter(name="abuse").exists()  # the mirror write failed


def test_a_block_the_cache_missed_is_enforced_by_a_process_that_trusts_its_cache(settings):
    settings.SERVICE_CACHE = True
    trusted = settings.CACHES["default"]  # the readers' cache: up, loaded, and about to be stale
    assert abuse.blocked_seconds("ip:198.51.100.162") == 0
    assert caches["default"].get(abuse.SENTINEL) is not None
    redis_down(settings)  # the writer (a task, a command) cannot reach it
    abuse.block("ip:198.51.100.162", seconds=600, reason="escalation", level=1)
    settings.CACHES = {**settings.CACHES, "default": trusted}
    shared_state.forget()  # another process, with its own view of the marks
    assert caches["default"].get("abuse:block:ip:198.51.100.162") is None  # the cache missed it
    assert abuse.blocked_seconds("ip:198.51.100.162") > 500
    # that reader reloaded the cache from the database and lifted the mark
    assert not CacheMark.objects.exists()
    assert caches["default"].get("abuse:block:ip:198.51.100.162") is not None


def test_a_mark_made_during_a_reload_stays():
    shared_state.mark_untrusted("abuse")
    seen = shared_state.untrusted("abuse")
    shared_state.mark_untrusted("abuse")  # another failure while the reader was reloading
    shared_state.trust_again("abuse", seen)  # type: ignore[arg-type]
    assert shared_state.untrusted("abuse") == seen + 1  # type: ignore[operator]


def test_the_marks_are_read_once_per_interval(settings, django_assert_num_queries):
    settings.UNTRUSTED_CACHE_CHECK = 60
    shared_state.forget()
    with django_assert_num_queries(1):
        for _ in range(50):
            assert shared_state.untrusted("revocation") is None


def test_clearing_a_block_with_the_cache_down_does_not_fail(settings):
    abuse.block("user:99", seconds=600, reason="escalation", level=1)
    redis_down(settings)
    assert abuse.clear(key="user:99") == 1


# --- across processes: the readers' Redis is up, the writer's is down ---------------------------

BOUND = 0.5 + 0.5 + 0.5  # UNTRUSTED_CACHE_CHECK (set below) + REVOCATION_LOCAL_TTL + margin


def _statuses(base: str, n: int = 16, **headers: str) -> set[int]:
    return {
        requests.get(f"{base}/api/v1/auth/me", headers=headers, timeout=10).status_code
        for _ in range(n)
    }


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_revocation_whose_redis_write_failed_reaches_every_worker(settings):
    """AUTH-4: a command ends a user's sessions while its Redis is down; both workers, whose
    Redis is up and loaded, refuse the token within the bound."""
    user = UserFactory()
    env = {"ARAGORA_UNTRUSTED_CACHE_CHECK": "0.5", "ARAGORA_RATE_LIMIT_DEFAULT": "1000/m"}
    with gunicorn(workers=2, **env) as (base, _):
        login = requests.post(
            f"{base}/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD},
            timeout=20,
        ).json()
        bearer = {"Authorization": f"Bearer {login['access']}"}
        assert _statuses(base, **bearer) == {200}  # both workers: Redis loaded, token valid
        redis_down(settings)
        revocation.reset_local_state()
        assert end_sessions(user=user, reason=EndReason.ADMIN) == 1
        assert CacheMark.objects.filter(name="revocation").exists()
        poll_until(lambda: _statuses(base, **bearer) == {401}, within=BOUND)
    session = UserSession.objects.get(user=user)
    assert session.ended_at is not None and not CacheMark.objects.exists()  # reloaded, lifted


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_block_whose_redis_write_failed_is_enforced_by_every_worker(settings):
    env = {"ARAGORA_UNTRUSTED_CACHE_CHECK": "0.5", "ARAGORA_TRUSTED_PROXIES": "127.0.0.1"}
    client = {"X-Forwarded-For": "198.51.100.163"}
    with gunicorn(workers=2, **env) as (base, _):
        assert {
            requests.get(f"{base}/api/v1/", headers=client, timeout=10).status_code
            for _ in range(8)
        } == {200}
        redis_down(settings)
        abuse.block("ip:198.51.100.163", seconds=600, reason="escalation", level=1)
        refused: list[requests.Response] = []

        def every_worker_refuses() -> bool:
            refused[:] = [requests.get(f"{base}/api/v1/", headers=client, timeout=10)]
            refused.extend(
                requests.get(f"{base}/api/v1/", headers=client, timeout=10) for _ in range(15)
            )
            return {r.status_code for r in refused} == {429}

        # blocked requests are not counted, so polling stays far below the 100/m default
        poll_until(every_worker_refuses, within=BOUND, every=0.25)
    assert {r.status_code for r in refused} == {429}
    assert all(int(r.headers["Retry-After"]) > 500 for r in refused)
    assert ClientBlock.objects.filter(expires_at__gt=timezone.now() + timedelta(minutes=5))
