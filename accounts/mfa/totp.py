"""TOTP per RFC 6238 (HOTP per RFC 4226 underneath): SHA-1, 30-second steps, 6 digits by default.

Compatible with Google Authenticator and every client that reads an ``otpauth://`` URI.
Verification compares every candidate step in constant time and reports which step matched,
so the caller can make that step single-use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> bytes:
    """A 160-bit secret, the size RFC 4226 recommends for SHA-1."""
    return secrets.token_bytes(20)


def b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def step_at(epoch: float) -> int:
    return int(epoch // STEP_SECONDS)


def hotp(secret: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP value for ``counter``."""
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp(secret: bytes, epoch: float, digits: int = DIGITS) -> str:
    return hotp(secret, step_at(epoch), digits)


def matching_step(secret: bytes, code: str, epoch: float, digits: int = DIGITS) -> int | None:
    """The step (within ±1 of now) whose code equals ``code``, else None. Constant time."""
    code = "".join(code.split())
    # ASCII digits only: str.isdigit() also takes "١٢٣٤٥٦", which compare_digest refuses with
    # a TypeError (a 500 at the code step, #16).
    if len(code) != digits or not (code.isascii() and code.isdigit()):
        return None
    now = step_at(epoch)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(secret, step, digits), code):
            found = step if found is None else found
    return found


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {
            "secret": b32(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, made here: no request leaves the server."""
    import segno  # loaded on the first set-up only: no process pays for it otherwise

    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff"))
