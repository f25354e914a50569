"""Access tokens (AUTH-1, AUTH-5, AUTH-6) and refresh-token secrets (AUTH-3).

Access tokens are JWTs signed with the newest key of ``ARAGORA_JWT_SIGNING_KEYS``; each carries
the key's id in ``kid`` so any listed key verifies it (rotation without downtime). Decoding
refuses anything but the configured HMAC algorithm, any key-carrying header (``jku``, ``jwk``,
``x5u``, ``x5c``), an unknown ``kid``, a wrong ``aud``/``iss``, a missing claim, a token that is
expired or not yet valid, any ``typ`` but ``access``, and one that lives longer than
``ARAGORA_ACCESS_TOKEN_TTL``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings

from aragora.crypto import keyed_hash

REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid", "typ"]
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
REFRESH_PURPOSE = "refresh-token"


class InvalidToken(Exception):
    """The token is not one we issued, or no longer valid. Never says which check failed."""


@dataclass(frozen=True)
class AccessToken:
    token: str
    jti: str
    session_id: str
    expires_at: datetime


def key_id(key: str) -> str:
    """A public identifier for a signing key (a hash prefix, never the key)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _signing_keys() -> dict[str, str]:
    return {key_id(key): key for key in settings.JWT_SIGNING_KEYS}


def issue_access_token(
    *,
    user_id: int,
    session_id: str,
    session_expires_at: datetime,
    password_change_required: bool = False,
) -> AccessToken:
    """Sign an access token for a session; it never outlives the session.

    ``pcr`` marks a session whose password expired: it may only change the password.
    """
    now = int(time.time())
    expires = min(now + settings.ACCESS_TOKEN_TTL, int(session_expires_at.timestamp()))
    jti = secrets.token_hex(16)
    claims = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user_id),
        "iat": now,
        "nbf": now,
        "exp": expires,
        "jti": jti,
        "sid": str(session_id),
        "typ": "access",
    }
    if password_change_required:
        claims["pcr"] = True
    key = settings.JWT_SIGNING_KEYS[0]
    token = jwt.encode(
        claims, key, algorithm=settings.JWT_ALGORITHM, headers={"kid": key_id(key), "typ": "JWT"}
    )
    return AccessToken(token, jti, str(session_id), datetime.fromtimestamp(expires, tz=UTC))


def decode_access_token(token: str) -> dict[str, Any]:
    """Verify ``token`` and return its claims, or raise ``InvalidToken``."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken from exc
    key = _signing_keys().get(str(header.get("kid")))
    if header.get("alg") != settings.JWT_ALGORITHM or FORBIDDEN_HEADERS & header.keys() or not key:
        raise InvalidToken
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[settings.JWT_ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken from exc
    if claims.get("typ") != "access" or not _well_formed(claims):
        raise InvalidToken
    return claims


def _well_formed(claims: dict[str, Any]) -> bool:
    """Claims as we issue them (#10 item 3): a numeric ``sub``, a session UUID in ``sid``, and a
    lifetime (``exp - iat``) no longer than ``ARAGORA_ACCESS_TOKEN_TTL``, so a token minted with
    a leaked key cannot live for years. Whether ``sid`` belongs to ``sub`` needs the database:
    the authentication class checks it."""
    sub, sid, iat, exp = (claims.get(name) for name in ("sub", "sid", "iat", "exp"))
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and isinstance(sid, str)):
        return False
    if not (isinstance(iat, int) and isinstance(exp, int)):
        return False
    try:
        uuid.UUID(sid)
    except ValueError:
        return False
    return 0 < exp - iat <= settings.ACCESS_TOKEN_TTL


def new_refresh_secret() -> tuple[str, str]:
    """A fresh opaque refresh token and the keyed hash that is all we store of it."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_refresh_secret(secret)


def hash_refresh_secret(secret: str) -> str:
    return keyed_hash(secret, purpose=REFRESH_PURPOSE)
