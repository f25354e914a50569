"""AUTH-3: refresh tokens rotate once, replays revoke the family, N parallel redemptions → 1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import EndReason, RefreshToken, UserSession
from accounts.services import auth
from aragora.http.client_ip import client_info
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code, in_threads

pytestmark = pytest.mark.django_db


def refresh(secret: str):  # type: ignore[no-untyped-def]
    return Api().post("/api/v1/auth/refresh", {"refresh": secret})


def test_refresh_rotates_the_pair(api, user):
    first = api.login(user.email)
    response = refresh(first["refresh"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    second = response.json()
    assert second["refresh"] != first["refresh"] and second["access"] != first["access"]
    assert second["session_id"] == first["session_id"]
    assert Api(second["access"]).get("/api/v1/auth/me").status_code == 200


def _move_clock_past_grace(secret: str, settings) -> None:  # type: ignore[no-untyped-def]
    """As if the grace had passed since ``secret`` was consumed (no sleeping)."""
    past = timezone.now() - timedelta(seconds=settings.REFRESH_REUSE_GRACE + 1)
    RefreshToken.objects.filter(token_hash=auth.hash_refresh_secret(secret)).update(
        consumed_at=past
    )


def test_replaying_a_consumed_token_revokes_the_family(api, user, settings):
    """AUTH-3: reuse after ARAGORA_REFRESH_REUSE_GRACE is a replay (#10 item 5)."""
    first = api.login(user.email)
    second = refresh(first["refresh"]).json()
    _move_clock_past_grace(first["refresh"], settings)
    replay = refresh(first["refresh"])
    assert replay.status_code == 401
    assert error_code(replay) == "token_invalid"
    assert refresh(second["refresh"]).status_code == 401  # the successor is dead too
    assert Api(second["access"]).get("/api/v1/auth/me").status_code == 401
    session = UserSession.objects.get(pk=first["session_id"])
    assert session.end_reason == EndReason.REFRESH_REUSE
    assert AuditEvent.objects.filter(event_type="accounts.refresh.reused", actor=user).exists()


def test_reuse_within_the_grace_is_refused_but_spares_the_family(api, user):
    """AUTH-3, #10 item 5: a client racing itself gets 401 without losing its session."""
    first = api.login(user.email)
    second = refresh(first["refresh"]).json()
    replay = refresh(first["refresh"])
    assert replay.status_code == 401
    assert error_code(replay) == "token_invalid"
    assert UserSession.objects.get(pk=first["session_id"]).ended_at is None
    assert Api(second["access"]).get("/api/v1/auth/me").status_code == 200
    assert refresh(second["refresh"]).status_code == 200
    assert not AuditEvent.objects.filter(event_type="accounts.refresh.reused").exists()


def test_a_zero_grace_revokes_at_once(api, user, settings):
    """AUTH-3: ARAGORA_REFRESH_REUSE_GRACE=0 restores the strict rule."""
    settings.REFRESH_REUSE_GRACE = 0
    first = api.login(user.email)
    second = refresh(first["refresh"]).json()
    RefreshToken.objects.filter(token_hash=auth.hash_refresh_secret(first["refresh"])).update(
        consumed_at=timezone.now() - timedelta(milliseconds=1)
    )
    assert refresh(first["refresh"]).status_code == 401
    assert refresh(second["refresh"]).status_code == 401


def test_refresh_tokens_are_stored_only_as_hashes(api, user):
    pair = api.login(user.email)
    stored = list(RefreshToken.objects.values_list("token_hash", flat=True))
    assert stored and pair["refresh"] not in stored
    assert all(len(h) == 64 and pair["refresh"] not in h for h in stored)


def test_unknown_refresh_token_is_401(api):
    response = refresh("made-up-token")
    assert response.status_code == 401 and error_code(response) == "token_invalid"
    assert api.post("/api/v1/auth/refresh", {}).status_code == 401


def test_family_never_outlives_the_session(api, user):
    pair = api.login(user.email)
    session = UserSession.objects.get(pk=pair["session_id"])
    token = RefreshToken.objects.get(session=session)
    assert token.expires_at == session.expires_at
    UserSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    RefreshToken.objects.filter(session=session).update(expires_at=timezone.now())
    assert refresh(pair["refresh"]).status_code == 401


def test_access_token_never_outlives_the_session(user, settings):
    settings.SESSION_TIMEOUT = 120
    pair = Api().login(user.email)
    session = UserSession.objects.get(pk=pair["session_id"])
    import jwt

    claims = jwt.decode(pair["access"], options={"verify_signature": False})
    assert claims["exp"] <= session.expires_at.timestamp()


def test_refresh_after_logout_is_401(api, user):
    pair = api.login(user.email)
    assert Api(pair["access"]).post("/api/v1/auth/logout").status_code == 204
    assert refresh(pair["refresh"]).status_code == 401


def _parallel_redemptions(secret: str, n: int) -> list[auth.IssuedTokens | None]:
    def redeem() -> auth.IssuedTokens | None:
        request = RequestFactory().post("/api/v1/auth/refresh", REMOTE_ADDR="127.0.0.1")
        try:
            return auth.rotate_refresh_token(secret=secret, client=client_info(request))
        except auth.InvalidRefreshToken:
            return None

    return in_threads(n, redeem)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_ten_parallel_redemptions_exactly_one_succeeds(trial):
    user = UserFactory()
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    tokens = auth.login_api(user=user, request=request)
    results = _parallel_redemptions(tokens.refresh, 10)
    assert len(results) == 10
    assert sum(r is not None for r in results) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_redemptions_the_winner_keeps_its_pair():
    """AUTH-3, #10 item 5: one redemption wins and the 19 losers do not revoke its new pair."""
    user = UserFactory()
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    tokens = auth.login_api(user=user, request=request)
    results = _parallel_redemptions(tokens.refresh, 20)
    winners = [r for r in results if r is not None]
    assert len(results) == 20 and len(winners) == 1
    assert Api(winners[0].access.token).get("/api/v1/auth/me").status_code == 200
    assert refresh(winners[0].refresh).status_code == 200
    assert UserSession.objects.get(pk=tokens.session.pk).ended_at is None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_http_refreshes_on_postgresql_one_wins_and_keeps_working():
    """AUTH-3, #10 item 5: two gunicorn workers on PostgreSQL and Redis, 20 parallel refreshes
    of one token: exactly one 200, the rest 401 token_invalid, and the new pair still works."""
    import requests

    from tests.live import burst, gunicorn

    user = UserFactory()
    limits = {"ARAGORA_RATE_LIMIT_DEFAULT": "10000/m", "ARAGORA_RATE_LIMIT_AUTH": "10000/m"}
    with gunicorn(workers=2, threads=10, **limits) as (base, _):
        pair = requests.post(
            f"{base}/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD},
            timeout=20,
        ).json()
        responses = burst(
            20,
            lambda _: requests.post(
                f"{base}/api/v1/auth/refresh", json={"refresh": pair["refresh"]}, timeout=30
            ),
        )
        assert sorted(r.status_code for r in responses) == [200] + [401] * 19
        assert all(error_code(r) == "token_invalid" for r in responses if r.status_code == 401)
        new = next(r.json() for r in responses if r.status_code == 200)
        me = requests.get(
            f"{base}/api/v1/auth/me",
            headers={"Authorization": f"Bearer {new['access']}"},
            timeout=20,
        )
        assert me.status_code == 200
        again = requests.post(
            f"{base}/api/v1/auth/refresh", json={"refresh": new["refresh"]}, timeout=20
        )
        assert again.status_code == 200
