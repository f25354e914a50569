"""RATE-1..3: named policies, exact counting, headers, fail-closed fallback."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from aragora.http.notes import AuthContext, request_notes
from aragora.ratelimit import hit, policy_key
from aragora.rates import window_end
from tests.live import gunicorn

pytestmark = pytest.mark.django_db


def with_rate(settings, policy: str, rate: str) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, policy: rate}


def test_default_policy_counts_down_then_429(settings):
    with_rate(settings, "default", "3/m")
    client = Client(REMOTE_ADDR=_fresh_ip())  # a window with time to spare: no edge mid-test
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(int(response["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    response = client.get("/api/v1/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    reset = int(response["X-RateLimit-Reset"])
    now = time.time()
    assert now < reset <= now + 61
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response["X-RateLimit-Remaining"] == "0"


def test_limits_are_per_client_ip(settings):
    with_rate(settings, "default", "1/h")
    assert Client(REMOTE_ADDR="198.51.100.1").get("/api/v1/").status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.1").get("/api/v1/").status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.2").get("/api/v1/").status_code == 200


def test_policy_keys(django_user_model):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.3")
    request.user = AnonymousUser()
    assert policy_key(request, "default") == "ip:198.51.100.3"
    user = django_user_model(pk=42, email="u@example.com")
    request.user = user
    assert policy_key(request, "auth") == "ip:198.51.100.3"
    assert policy_key(request, "debates") == "user:42"
    assert policy_key(request, "default") == "user:42"
    request_notes(request).auth = AuthContext(kind="api_token", user_id=42, api_token_id=7)
    assert policy_key(request, "default") == "token:7"
    assert policy_key(request, "upload") == "user:42"


def test_reset_is_the_real_end_of_the_window(settings):
    with_rate(settings, "default", "5/m")
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
    request.user = AnonymousUser()
    usage = hit(request, "default")
    assert usage.reset == window_end("ip:198.51.100.4", 60)


def test_unreachable_redis_fails_closed_onto_a_local_counter(settings):
    """With the shared store down, limits still hold (per process), and nothing 500s."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    with_rate(settings, "default", "2/h")
    client = Client(REMOTE_ADDR="198.51.100.5")
    statuses = [client.get("/api/v1/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def _fresh_ip(period: int = 60, margin: int = 20) -> str:
    """A client IP whose current window has at least ``margin`` seconds left."""
    for last in range(1, 255):
        ip = f"198.51.100.{last}"
        if window_end(f"ip:{ip}", period) - time.time() >= margin and last > 10:
            return ip
    raise AssertionError("no IP with a long enough window")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_default_policy_exact_under_two_processes_and_20_clients(trial):
    limit = 30
    ip = _fresh_ip()
    with gunicorn(
        workers=2,
        ARAGORA_RATE_LIMIT_DEFAULT=f"{limit}/m",
        ARAGORA_TRUSTED_PROXIES="127.0.0.1",
        ARAGORA_ESCALATION_STRIKES="1000",
    ) as (base, _):

        def call(_: int) -> requests.Response:
            return requests.get(f"{base}/api/v1/", headers={"X-Forwarded-For": ip}, timeout=10)

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(call, range(60)))
    passed = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(passed) == limit and len(refused) == 60 - limit
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in passed]
    assert sorted(remaining) == list(range(limit))  # every value once: no repeats
    assert all(r.headers["Retry-After"] for r in refused)


def test_every_api_endpoint_carries_the_default_policy_headers(user):
    from tests.helpers import Api

    api = Api(REMOTE_ADDR="198.51.100.9")
    for path in ("/api/v1/", "/api/schema/", "/api/docs/"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response["X-RateLimit-Limit"] == "100", path
    api.as_user(user.email)
    for path in ("/api/v1/debates", "/api/v1/sessions", "/api/v1/tokens", "/api/v1/auth/me"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response["X-RateLimit-Limit"] == "100", path


def test_default_rates():
    """The policy's numbers (RATE-1), as shipped: the tests above count per hour instead."""
    import aragora.settings as shipped

    assert shipped.RATE_LIMITS == {
        "auth": "10/m",
        "debates": "30/m",
        "default": "100/m",
        "upload": "5/m",
        "export": "5/d",  # PRIV-3: data export requests, per user
    }


def test_in_process_caches_do_not_evict_security_state(settings):
    """Embedded mode keeps counters and blocks in process memory: no early eviction."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    in_process = [a for a in ("default", "local") if isinstance(caches[a], LocMemCache)]
    assert "local" in in_process
    for alias in in_process:
        assert caches[alias]._max_entries >= 100_000, alias
