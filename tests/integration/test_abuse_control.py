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
    from aragora import abuse

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
