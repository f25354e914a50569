"""RATE-1, RATE-2, RATE-4 (#10 item 7): requests that fail authentication count per IP against
the default policy, carry the X-RateLimit-* headers, become 429 past the limit and escalate to
a block, so guessing tokens is limited like guessing passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from abuse.models import ClientBlock
from accounts.tokens import issue_access_token
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db

BAD_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.not-a-signature"


def guessed_api_token(n: int) -> str:
    return f"arg_{n:016x}.guessed-secret-{n}"


def test_130_guessed_tokens_from_one_ip_give_100_times_401_then_429_and_a_block(settings):
    """The attack of the issue: bad JWTs and guessed ``arg_`` tokens, 130 from one IP."""
    settings.ESCALATION_STRIKES = 20
    api = Api(REMOTE_ADDR="198.51.100.140")
    responses = []
    for n in range(130):
        token = BAD_JWT if n % 2 else guessed_api_token(n)
        responses.append(api.get("/api/v1/debates", HTTP_AUTHORIZATION=f"Bearer {token}"))
    statuses = [r.status_code for r in responses]
    assert statuses == [401] * 100 + [429] * 30
    for n, response in enumerate(responses[:100]):
        assert error_code(response) == "token_invalid"
        assert response["X-RateLimit-Limit"] == "100"
        assert response["X-RateLimit-Remaining"] == str(99 - n)
        assert int(response["X-RateLimit-Reset"]) > 0
    assert {error_code(r) for r in responses[100:]} == {"rate_limited"}
    assert all(int(r["Retry-After"]) >= 1 for r in responses[100:])
    block = ClientBlock.objects.get(key="ip:198.51.100.140")  # 20 strikes: escalation (RATE-4)
    assert block.reason == "escalation"
    # the block is refused before authentication, for any credential and for none
    assert api.get("/api/v1/").status_code == 429
    assert Api(REMOTE_ADDR="198.51.100.141").get("/api/v1/").status_code == 200


def _revoked_access_token(user) -> str:  # type: ignore[no-untyped-def]
    api = Api(REMOTE_ADDR="203.0.113.200")
    api.as_user(user.email)
    assert api.post("/api/v1/auth/logout").status_code == 204
    return api.token  # type: ignore[return-value]


def _expired_access_token(user) -> str:  # type: ignore[no-untyped-def]
    ended = timezone.now() - timedelta(minutes=1)
    return issue_access_token(user_id=user.pk, session_id="s", session_expires_at=ended).token


@pytest.mark.parametrize("kind", ["bad_jwt", "expired_jwt", "revoked_jwt", "api_token", "cookie"])
def test_every_kind_of_failed_authentication_counts_against_the_default_policy(
    kind, user, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "3/h"}
    credential = {
        "bad_jwt": lambda: BAD_JWT,
        "expired_jwt": lambda: _expired_access_token(user),
        "revoked_jwt": lambda: _revoked_access_token(user),
        "api_token": lambda: guessed_api_token(7),
        "cookie": lambda: BAD_JWT,
    }[kind]()
    api = Api(REMOTE_ADDR="198.51.100.142")
    if kind == "cookie":
        api.client.cookies[settings.ACCESS_COOKIE_NAME] = credential
        call = lambda: api.get("/api/v1/auth/me")  # noqa: E731
    else:
        call = lambda: api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {credential}")  # noqa: E731
    responses = [call() for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert error_code(responses[3]) == "rate_limited" and int(responses[3]["Retry-After"]) >= 1


def test_failed_authentication_and_anonymous_calls_share_the_ip_budget(settings):
    """Per IP against ``default``: the same counter an unauthenticated request uses."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "2/h"}
    api = Api(REMOTE_ADDR="198.51.100.143")
    assert api.get("/api/v1/").status_code == 200
    assert api.get("/api/v1/debates", HTTP_AUTHORIZATION=f"Bearer {BAD_JWT}").status_code == 401
    assert api.get("/api/v1/").status_code == 429


def test_a_valid_token_is_not_charged_for_other_clients_guesses(user, settings):
    """The guesses count against the guessing IP, not against the user or token they name."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "2/h"}
    guesser = Api(REMOTE_ADDR="198.51.100.144")
    for _ in range(3):
        guesser.get("/api/v1/debates", HTTP_AUTHORIZATION=f"Bearer {BAD_JWT}")
    owner = Api(REMOTE_ADDR="198.51.100.145")
    owner.as_user(user.email)
    assert owner.get("/api/v1/debates").status_code == 200
