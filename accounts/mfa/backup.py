"""Backup codes (MFA-3): high entropy, easy to type, stored only as keyed hashes."""

from __future__ import annotations

import secrets

from aragora.crypto import keyed_hash

# Crockford's base32: no I, L, O, U, so nothing is mistaken for 1 or 0.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PURPOSE = "backup-code"


def new_code() -> str:
    """Ten characters (50 bits) shown as ``XXXXX-XXXXX``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """What the user typed, as we hash it: case, spaces and dashes do not matter."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def code_hash(code: str) -> str:
    return keyed_hash(normalise(code), purpose=PURPOSE)


def looks_like_backup_code(code: str) -> bool:
    return len(normalise(code)) == 10
