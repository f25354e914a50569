"""AUTH-3 and SESS-3 under real concurrency: two gunicorn workers, PostgreSQL, Redis."""

from __future__ import annotations

import time

import pytest
import requests

from accounts.models import UserSession
from tests.factories import PASSWORD, UserFactory
from tests.live import burst, gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
OPEN_LIMITS = {"ARAGORA_RATE_LIMIT_DEFAULT": "10000/m", "ARAGORA_RATE_LIMIT_AUTH": "10000/m"}


def test_one_refresh_token_ten_parallel_redemptions_one_wins():
    user = UserFactory()
    with gunicorn(workers=2, **OPEN_LIMITS) as (base, _):
        for _trial in range(3):
            pair = requests.post(
                f"{base}/api/v1/auth/login",
                timeout=20,
                json={"email": user.email, "password": PASSWORD},
            ).json()
            responses = burst(
                10,
                lambda _, p=pair: requests.post(
                    f"{base}/api/v1/auth/refresh", json={"refresh": p["refresh"]}, timeout=20
                ),
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [401] * 9, statuses


def _login_retrying(base: str, email: str) -> requests.Response:
    """A well-behaved client: on 429 it waits ``Retry-After`` and tries again.

    At most 5 sign-ins of one email are in flight at once (LOCK-3, reserve-then-verify): the
    rest are refused unverified with ``Retry-After: 1``, even when the password is right.
    """
    for _ in range(40):
        response = requests.post(
            f"{base}/api/v1/auth/login", timeout=60, json={"email": email, "password": PASSWORD}
        )
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers["Retry-After"]))
    return response


def test_thirteen_parallel_logins_leave_ten_sessions():
    user = UserFactory()
    with gunicorn(workers=2, threads=8, ARAGORA_MAX_SESSIONS="10", **OPEN_LIMITS) as (base, _):
        responses = burst(13, lambda _: _login_retrying(base, user.email))
    assert [r.status_code for r in responses] == [200] * 13
    assert UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 10


def test_forty_parallel_guesses_verify_at_most_five_passwords():
    """LOCK-3: 39 wrong passwords and the right one, all at once, across two processes."""
    import random

    from accounts.lockout import service as lockout

    # 2 x 24 threads: all 40 requests reach the lockout together, as in a real burst
    with gunicorn(workers=2, threads=24, ARAGORA_TRUSTED_PROXIES="127.0.0.1", **OPEN_LIMITS) as (
        base,
        _,
    ):
        for trial in range(3):
            user = UserFactory()
            ip = f"198.18.0.{trial + 1}"
            passwords = ["Wrong-Password-123"] * 39 + [PASSWORD]
            random.shuffle(passwords)
            responses = burst(
                40,
                lambda i, pw=passwords, ip=ip, email=user.email: requests.post(
                    f"{base}/api/v1/auth/login",
                    headers={"X-Forwarded-For": ip},
                    timeout=60,
                    json={"email": email, "password": pw[i]},
                ),
            )
            statuses = [r.status_code for r in responses]
            wrong, right, refused = statuses.count(401), statuses.count(200), statuses.count(429)
            assert wrong + right <= 5, statuses  # passwords actually verified
            assert wrong + right + refused == 40, statuses
            assert all(
                r.json()["error"]["code"] == "locked_out" for r in responses if r.status_code == 429
            )
            counts = {(e.key_type, e.key): e.failures for e in lockout.entries()}
            assert counts.get(("ip", ip), 0) == wrong  # the failure counter is exact
            if not right:
                assert counts.get(("email", user.email), 0) == wrong
