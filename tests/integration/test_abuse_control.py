"""RATE-3/RATE-4 across processes: exact per-token counting under 20 parallel clients, and a
block that survives a restart of the web processes."""

from __future__ import annotations

import pytest
import requests

from tests.authz.test_api_tokens import make_token
from tests.factories import UserFactory
from tests.live import burst, gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_token_policy_counts_down_exactly_across_two_processes():
    token = make_token(UserFactory(), ["debates:read"])
    limit = 40
    with gunicorn(
        workers=2,
        threads=10,
        ARAGORA_RATE_LIMIT_DEFAULT=f"{limit}/h",
        ARAGORA_ESCALATION_STRIKES="1000",
    ) as (base, _):
        responses = burst(
            20,
            lambda _: [
                requests.get(
                    f"{base}/api/v1/debates",
                    timeout=20,
                    headers={"Authorization": f"Bearer {token}"},
                )
                for _ in range(3)
            ],
        )
    flat = [r for group in responses for r in group]
    passed = [r for r in flat if r.status_code == 200]
    assert len(passed) == limit and len(flat) - len(passed) == 60 - limit
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in passed)
    assert remaining == list(range(limit))


def test_a_block_survives_a_restart_and_clearing_restores_access():
    from abuse import services as abuse

    env = {
        "ARAGORA_RATE_LIMIT_DEFAULT": "2/h",
        "ARAGORA_ESCALATION_STRIKES": "3",
        "ARAGORA_TRUSTED_PROXIES": "127.0.0.1",
    }
    headers = {"X-Forwarded-For": "198.51.100.123"}
    with gunicorn(workers=2, **env) as (base, _):
        statuses = [
            requests.get(f"{base}/api/v1/", headers=headers, timeout=10).status_code
            for _ in range(6)
        ]
        assert statuses[:2] == [200, 200] and set(statuses[2:]) == {429}
    with gunicorn(workers=2, **env) as (base, _):  # new processes, empty memory
        blocked = requests.get(f"{base}/api/v1/", headers=headers, timeout=10)
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 30
        assert "X-RateLimit-Limit" not in blocked.headers  # refused before the rate limiter
        abuse.clear(key="ip:198.51.100.123")
        after = requests.get(f"{base}/api/v1/", headers=headers, timeout=10)
        assert "X-RateLimit-Limit" in after.headers  # reaches the rate policy again


BAD_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.not-a-signature"


def test_guessed_tokens_count_exactly_across_two_processes():
    """RATE-1, RATE-2, RATE-3 (#10 item 7): 60 bad JWTs and guessed API tokens from one IP,
    20 clients at once over two workers: exactly ``limit`` 401s, each with its own remaining
    count, then 429 rate_limited."""
    limit = 40
    with gunicorn(
        workers=2,
        threads=10,
        ARAGORA_RATE_LIMIT_DEFAULT=f"{limit}/h",
        ARAGORA_ESCALATION_STRIKES="1000",
        ARAGORA_TRUSTED_PROXIES="127.0.0.1",
    ) as (base, _):

        def guess(n: int) -> requests.Response:
            token = BAD_JWT if n % 2 else f"arg_{n:016x}.guessed-secret"
            headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.171"}
            return requests.get(f"{base}/api/v1/debates", headers=headers, timeout=20)

        responses = burst(20, lambda i: [guess(3 * i + k) for k in range(3)])
    flat = [r for group in responses for r in group]
    unauthorised = [r for r in flat if r.status_code == 401]
    refused = [r for r in flat if r.status_code == 429]
    assert len(unauthorised) == limit and len(refused) == 60 - limit
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in unauthorised)
    assert remaining == list(range(limit))
    assert {r.json()["error"]["code"] for r in refused} == {"rate_limited"}


def test_a_spray_from_one_ipv6_64_is_locked_and_limited_across_two_processes():
    """LOCK-1, LOCK-3, RATE-1 (#10 item 8): 30 parallel logins from 30 addresses of one /64
    verify at most 5 passwords; the next /64 is another client."""
    with gunicorn(workers=2, threads=8, ARAGORA_TRUSTED_PROXIES="127.0.0.1") as (base, _):

        def login(i: int, network: str = "2001:db8:77:1") -> requests.Response:
            return requests.post(
                f"{base}/api/v1/auth/login",
                json={"email": f"spray{i}@example.com", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"{network}:{i + 1:x}::{i + 1:x}"},
                timeout=20,
            )

        statuses = [r.status_code for r in burst(30, login)]
        after = login(99)
        other = login(0, network="2001:db8:77:2")
    assert statuses.count(401) <= 5 and statuses.count(429) == 30 - statuses.count(401)
    assert after.status_code == 429
    assert other.status_code == 401
