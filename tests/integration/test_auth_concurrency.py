"""AUTH-3 and SESS-3 under real concurrency: two gunicorn workers, PostgreSQL, Redis."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from accounts.models import UserSession
from tests.factories import PASSWORD, UserFactory
from tests.live import gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
OPEN_LIMITS = {"ARAGORA_RATE_LIMIT_DEFAULT": "10000/m", "ARAGORA_RATE_LIMIT_AUTH": "10000/m"}


def burst(n: int, call) -> list[requests.Response]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)

    def run(_: int) -> requests.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


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
                lambda p=pair: requests.post(
                    f"{base}/api/v1/auth/refresh", json={"refresh": p["refresh"]}, timeout=20
                ),
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [401] * 9, statuses


def test_thirteen_parallel_logins_leave_ten_sessions():
    user = UserFactory()
    with gunicorn(workers=2, ARAGORA_MAX_SESSIONS="10", **OPEN_LIMITS) as (base, _):
        responses = burst(
            13,
            lambda: requests.post(
                f"{base}/api/v1/auth/login",
                json={"email": user.email, "password": PASSWORD},
                timeout=60,
            ),
        )
    assert [r.status_code for r in responses] == [200] * 13
    assert UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 10
