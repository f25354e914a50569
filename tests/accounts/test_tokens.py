"""AUTH-1, AUTH-5, AUTH-6: access tokens are strict JWTs; anything forged or stale is 401."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from accounts.tokens import key_id
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(user, api):  # type: ignore[no-untyped-def]
    pair = api.login(user.email)
    claims = jwt.decode(pair["access"], options={"verify_signature": False})
    return pair, claims


def sign(claims: dict, key: str, *, headers: dict | None = None, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": key_id(key), **(headers or {})})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def me(token: str):  # type: ignore[no-untyped-def]
    return Api(token).get("/api/v1/auth/me")


def test_access_token_has_every_required_claim(session, settings):
    pair, claims = session
    assert {"iss", "aud", "exp", "iat", "nbf", "jti", "sid", "typ", "sub"} <= set(claims)
    assert claims["exp"] - claims["iat"] == settings.ACCESS_TOKEN_TTL == 900
    assert claims["typ"] == "access" and claims["sid"] == pair["session_id"]
    header = jwt.get_unverified_header(pair["access"])
    assert header["alg"] == "HS256" and header["kid"] == key_id(settings.JWT_SIGNING_KEYS[0])
    assert me(pair["access"]).status_code == 200


def test_ttl_is_configurable(user, api, settings):
    settings.ACCESS_TOKEN_TTL = 60
    claims = jwt.decode(api.login(user.email)["access"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60


def test_a_correctly_signed_copy_is_accepted(session, settings):
    """The forgeries below differ from this in exactly one way."""
    _, claims = session
    assert me(sign(claims, settings.JWT_SIGNING_KEYS[0])).status_code == 200


def _forgeries(claims: dict, key: str) -> dict[str, str]:
    now = int(time.time())
    good = sign(claims, key)
    head, body, signature = good.split(".")
    tampered = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    no_sid = {k: v for k, v in claims.items() if k != "sid"}
    return {
        "tampered signature": f"{head}.{body}.{tampered}",
        "tampered payload": f"{head}.{b64({**claims, 'sub': '999'})}.{signature}",
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': key_id(key)})}.{b64(claims)}.",
        "alg HS512 not allowed": sign(claims, key, alg="HS512"),
        "wrong aud": sign({**claims, "aud": "someone-else"}, key),
        "wrong iss": sign({**claims, "iss": "evil"}, key),
        "expired": sign({**claims, "exp": now - 10, "iat": now - 1000, "nbf": now - 1000}, key),
        "future nbf": sign({**claims, "nbf": now + 600}, key),
        "unknown kid": jwt.encode(claims, key, algorithm="HS256", headers={"kid": "nope"}),
        "no kid": jwt.encode(claims, key, algorithm="HS256"),
        "jku header": sign(claims, key, headers={"jku": "https://evil.example/jwks"}),
        "jwk header": sign(claims, key, headers={"jwk": {"kty": "oct", "k": "AAAA"}}),
        "missing sid": sign(no_sid, key),
        "sid not a session id": sign({**claims, "sid": "not-a-uuid"}, key),
        "sub not a user id": sign({**claims, "sub": "admin"}, key),
        "lifetime beyond the TTL": sign({**claims, "exp": claims["iat"] + 10 * 365 * 86400}, key),
        "typ refresh": sign({**claims, "typ": "refresh"}, key),
        "unknown key": jwt.encode(
            claims, "attacker-key-" * 4, algorithm="HS256", headers={"kid": key_id(key)}
        ),
        "garbage": "not.a.token",
        "empty": "",
    }


@pytest.mark.parametrize("case", list(_forgeries({"sid": "x", "iat": 0}, "k" * 64)))
def test_forged_or_stale_tokens_get_401_token_invalid(session, settings, case):
    _, claims = session
    token = _forgeries(claims, settings.JWT_SIGNING_KEYS[0])[case]
    response = me(token)
    assert response.status_code == 401, case
    expected = "not_authenticated" if case == "empty" else "token_invalid"
    assert error_code(response) == expected


def test_refresh_token_used_as_bearer_is_401(session):
    pair, _ = session
    response = me(pair["refresh"])
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_key_rotation_old_key_verifies_until_removed(user, api, settings):
    old = settings.JWT_SIGNING_KEYS[0]
    old_token = api.login(user.email)["access"]
    settings.JWT_SIGNING_KEYS = ["a-brand-new-signing-key-0123456789abcdef", old]
    assert me(old_token).status_code == 200  # signed with the previous key: still valid
    new_token = api.login(user.email)["access"]
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(settings.JWT_SIGNING_KEYS[0])
    assert me(new_token).status_code == 200
    settings.JWT_SIGNING_KEYS = ["a-brand-new-signing-key-0123456789abcdef"]
    assert me(old_token).status_code == 401  # its key was removed
    assert me(new_token).status_code == 200


def test_a_token_whose_sid_belongs_to_another_user_is_refused(session, settings):
    """#10 item 3: ``sid`` must be a session of ``sub`` (AUTH-1), in both directions."""
    from tests.factories import UserFactory

    _, claims = session
    other = jwt.decode(
        Api().login(UserFactory().email)["access"], options={"verify_signature": False}
    )
    key = settings.JWT_SIGNING_KEYS[0]
    for forged in ({**claims, "sid": other["sid"]}, {**other, "sid": claims["sid"]}):
        response = me(sign(forged, key))
        assert response.status_code == 401 and error_code(response) == "token_invalid"
    assert me(sign(other, key)).status_code == 200  # unchanged, the other token is fine


def test_a_token_living_longer_than_the_configured_ttl_is_refused(session, settings):
    """#10 item 3: ``exp - iat`` beyond ARAGORA_ACCESS_TOKEN_TTL is refused, even when signed."""
    _, claims = session
    key = settings.JWT_SIGNING_KEYS[0]
    at_limit = {**claims, "exp": claims["iat"] + settings.ACCESS_TOKEN_TTL}
    assert me(sign(at_limit, key)).status_code == 200
    beyond = {**claims, "exp": claims["iat"] + settings.ACCESS_TOKEN_TTL + 1}
    response = me(sign(beyond, key))
    assert response.status_code == 401 and error_code(response) == "token_invalid"


# What settings.py derived the development JWT key from before #10 item 3: a constant in the
# code, so anyone could sign an admin token for any development or misconfigured server.
OLD_CONSTANT_KEY = "dev-jwt:django-insecure-aragora-development-only-key-0123456789abcdefghijklmnop"


def test_a_token_signed_with_the_old_constant_derived_key_is_refused(session, settings):
    """#10 item 3: no signing key is a constant in the code."""
    _, claims = session
    assert OLD_CONSTANT_KEY not in settings.JWT_SIGNING_KEYS
    response = me(sign(claims, OLD_CONSTANT_KEY))
    assert response.status_code == 401 and error_code(response) == "token_invalid"
