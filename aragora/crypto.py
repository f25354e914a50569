"""Keyed hashing of secrets, and encryption of secrets we must read back (TOTP keys).

Keyed hashing (token secrets, refresh tokens, backup codes, audit email hashes):

HMAC-SHA256 under the server pepper (``ARAGORA_TOKEN_PEPPER``), with a purpose label so a hash
made for one use can never be replayed as another.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def keyed_hash(value: str, *, purpose: str) -> str:
    """Hex HMAC-SHA256 of ``value`` for ``purpose``."""
    key = hmac.new(settings.TOKEN_PEPPER.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hashes_match(value: str, expected_hash: str, *, purpose: str) -> bool:
    """Constant-time comparison of ``value``'s keyed hash with a stored one."""
    return hmac.compare_digest(keyed_hash(value, purpose=purpose), expected_hash)


# --- Field encryption (ENC-2) ------------------------------------------------------------------


def _fernet() -> MultiFernet:
    """The keys of ``ARAGORA_ENCRYPTION_KEYS``, newest first: the first encrypts, all decrypt."""
    return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])


def encrypt(data: bytes) -> str:
    return _fernet().encrypt(data).decode("ascii")


def decrypt(token: str) -> bytes:
    return _fernet().decrypt(token.encode("ascii"))


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key (key rotation without downtime)."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")
