"""AUTH-1, AUTH-3, AUTH-6, TEST-3 (#16): access tokens and refresh secrets as functions, without
a server: what is issued, what decoding demands of the claims (each rule alone), the key id,
and the refresh secret's keyed hash. tests/accounts/test_tokens.py forges tokens end to end."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from accounts import tokens
from aragora.crypto import keyed_hash

SID = str(uuid.uuid4())


def good_claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "42", "sid": SID, "iat": now, "exp": now + 60, **changes}


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({}, True),
        ({"sub": "0042"}, True),
        ({"sub": 42}, False),
        ({"sub": "4two"}, False),
        ({"sub": "\u0664\u0662"}, False),  # Arabic-Indic digits: isdigit() but not ASCII
        ({"sid": None}, False),
        ({"sid": "not-a-uuid"}, False),
        ({"iat": 1.5, "exp": 60}, False),
        ({"iat": 0, "exp": 60.0}, False),
        ({"iat": "0", "exp": 60}, False),
        ({"iat": 100, "exp": 100}, False),  # no lifetime
        ({"iat": 100, "exp": 99}, False),
        ({"iat": 100, "exp": 101}, True),  # one second
        ({"iat": 100, "exp": 100 + 900}, True),  # exactly the TTL
        ({"iat": 100, "exp": 100 + 901}, False),
    ],
)
def test_claims_must_be_as_we_issue_them(changes, accepted, settings):
    settings.ACCESS_TOKEN_TTL = 900
    assert tokens._well_formed(good_claims(**changes)) is accepted


def test_an_issued_token_decodes_to_its_claims(settings):
    settings.ACCESS_TOKEN_TTL = 900
    session_end = datetime.now(tz=UTC) + timedelta(hours=1)
    before = int(time.time())
    issued = tokens.issue_access_token(user_id=7, session_id=SID, session_expires_at=session_end)
    claims = tokens.decode_access_token(issued.token)
    assert claims["sub"] == "7" and claims["sid"] == SID == issued.session_id
    assert claims["jti"] == issued.jti and len(issued.jti) == 32
    assert claims["typ"] == "access" and "pcr" not in claims
    assert (claims["iss"], claims["aud"]) == (settings.JWT_ISSUER, settings.JWT_AUDIENCE)
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 900
    assert issued.expires_at == datetime.fromtimestamp(claims["exp"], tz=UTC)
    header = jwt.get_unverified_header(issued.token)
    assert header == {
        "alg": settings.JWT_ALGORITHM,
        "kid": tokens.key_id(settings.JWT_SIGNING_KEYS[0]),
        "typ": "JWT",
    }


def test_a_token_never_outlives_its_session(settings):
    settings.ACCESS_TOKEN_TTL = 900
    session_end = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(seconds=30)
    issued = tokens.issue_access_token(user_id=7, session_id=SID, session_expires_at=session_end)
    assert issued.expires_at == session_end
    assert tokens.decode_access_token(issued.token)["exp"] == int(session_end.timestamp())


def test_a_password_change_session_is_marked():
    end = datetime.now(tz=UTC) + timedelta(hours=1)
    issued = tokens.issue_access_token(
        user_id=7, session_id=SID, session_expires_at=end, password_change_required=True
    )
    assert tokens.decode_access_token(issued.token)["pcr"] is True


def test_decoding_refuses_other_keys_algorithms_and_headers(settings):
    end = datetime.now(tz=UTC) + timedelta(hours=1)
    token = tokens.issue_access_token(user_id=7, session_id=SID, session_expires_at=end).token
    claims = jwt.decode(token, options={"verify_signature": False})
    key = settings.JWT_SIGNING_KEYS[0]
    kid = tokens.key_id(key)
    for forged in (
        jwt.encode(claims, key, algorithm="HS512", headers={"kid": kid}),
        jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid, "crit": ["x"]}),
        jwt.encode(claims, key, algorithm="HS256", headers={"kid": kid, "x5u": "https://e/"}),
        jwt.encode(claims, key, algorithm="HS256", headers={"kid": "0" * 16}),
        jwt.encode({**claims, "typ": "refresh"}, key, algorithm="HS256", headers={"kid": kid}),
        jwt.encode({**claims, "sub": "root"}, key, algorithm="HS256", headers={"kid": kid}),
        "a.b",
    ):
        with pytest.raises(tokens.InvalidToken):
            tokens.decode_access_token(forged)


@pytest.mark.parametrize("missing", ["jti", "nbf", "iat", "exp", "sid", "sub", "typ"])
def test_a_token_missing_a_required_claim_is_refused(settings, missing):
    end = datetime.now(tz=UTC) + timedelta(hours=1)
    token = tokens.issue_access_token(user_id=7, session_id=SID, session_expires_at=end).token
    claims = jwt.decode(token, options={"verify_signature": False})
    del claims[missing]
    key = settings.JWT_SIGNING_KEYS[0]
    forged = jwt.encode(claims, key, algorithm="HS256", headers={"kid": tokens.key_id(key)})
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token(forged)


def test_the_key_id_is_a_hash_prefix_never_the_key():
    assert tokens.key_id("k" * 48) == hashlib.sha256(b"k" * 48).hexdigest()[:16]
    assert tokens.key_id("a") != tokens.key_id("b")


def test_refresh_secrets_are_random_and_stored_as_a_keyed_hash():
    secret, stored = tokens.new_refresh_secret()
    other, _ = tokens.new_refresh_secret()
    assert secret != other and len(secret) == 43  # 32 random bytes, base64url unpadded
    assert stored == tokens.hash_refresh_secret(secret)
    assert stored == keyed_hash(secret, purpose="refresh-token") and secret not in stored
