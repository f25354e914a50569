"""AUTH-3: refresh tokens rotate once, replays revoke the family, N parallel redemptions → 1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import EndReason, RefreshToken, UserSession
from accounts.services import auth
from audit.models import AuditEvent
from tests.factories import UserFactory
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


def test_replaying_a_consumed_token_revokes_the_family(api, user):
    first = api.login(user.email)
    second = refresh(first["refresh"]).json()
    replay = refresh(first["refresh"])
    assert replay.status_code == 401
    assert error_code(replay) == "token_invalid"
    assert refresh(second["refresh"]).status_code == 401  # the successor is dead too
    assert Api(second["access"]).get("/api/v1/auth/me").status_code == 401
    session = UserSession.objects.get(pk=first["session_id"])
    assert session.end_reason == EndReason.REFRESH_REUSE
    assert AuditEvent.objects.filter(event_type="accounts.refresh.reused", actor=user).exists()


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


def _parallel_redemptions(secret: str, n: int) -> list[bool]:
    def redeem() -> bool:
        request = RequestFactory().post("/api/v1/auth/refresh", REMOTE_ADDR="127.0.0.1")
        try:
            auth.rotate_refresh_token(secret=secret, request=request)
        except auth.InvalidRefreshToken:
            return False
        return True

    return in_threads(n, redeem)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_ten_parallel_redemptions_exactly_one_succeeds(trial):
    user = UserFactory()
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    tokens = auth.login_api(user=user, request=request)
    results = _parallel_redemptions(tokens.refresh, 10)
    assert len(results) == 10
    assert results.count(True) == 1
