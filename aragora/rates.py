"""Rate strings, fixed windows and counter keys for the rate policies (RATE-1, RATE-2, RATE-3).

Owned here rather than imported from django-ratelimit's private ``_split_rate``,
``_get_window`` and ``_make_cache_key`` (#11): its public API (``is_ratelimited``,
``get_usage``) counts with a read-then-write its ``ratelimit`` decorator owns, reads its own
key functions and settings, and reports no window end, while we need one atomic ``INCR`` on the
shared cache (RATE-3), our own policy keys, and the window end for ``X-RateLimit-Reset``. What
we used of it is these three pure functions, so we keep them, with the same arithmetic and the
same cache keys (``rl:`` + SHA-256 of group, rate, key and window): counters written before the
change are still found by the code after it. A bad rate now fails at startup (``validate``),
not at a client's first request.

``Usage`` (one request's standing against a policy) lives here too, below ``aragora.http``,
whose request notes carry it for the ``X-RateLimit-*`` headers.

Imports nothing of Django's but ``ImproperlyConfigured``: ``aragora.settings`` validates the
configured rates with this module.
"""

from __future__ import annotations

import hashlib
import re
import time
import zlib
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
_RATE = re.compile(r"(\d+)/(\d*)([smhd]?)")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"100/m"`` -> (100, 60); ``"5/10s"`` or ``"5/10"`` -> (5, 10): the limit and the window
    in seconds (django-ratelimit's syntax).

    Raises ``ValueError`` naming the bad value for anything else (no period, a zero period, an
    upper-case unit, stray text), which django-ratelimit's parser either crashed on at a
    client's request or read as something else (``"100/M"`` as 100 per second).
    """
    match = _RATE.fullmatch(rate.strip()) if isinstance(rate, str) else None
    if match is None or not (match.group(2) or match.group(3)):
        raise ValueError(
            f"bad rate {rate!r}: use <count>/<period>, period s, m, h or d with an optional "
            "multiplier, e.g. 100/m or 5/10s"
        )
    count, multiplier, unit = match.groups()
    seconds = PERIODS[unit or "s"] * (int(multiplier) if multiplier else 1)
    if seconds < 1:
        raise ValueError(f"bad rate {rate!r}: the period must be at least one second")
    return int(count), seconds


def validate(rates: dict[str, str]) -> None:
    """Startup check of ``RATE_LIMITS`` (RATE-1): ``ImproperlyConfigured`` naming the setting
    and its bad value, so a typo refuses to start instead of failing requests."""
    for policy, rate in rates.items():
        try:
            parse_rate(rate)
        except ValueError as exc:
            name = f"ARAGORA_RATE_LIMIT_{policy.upper()}"
            raise ImproperlyConfigured(f"{name}: {exc}") from None


def window_end(key: str, period: int, now: float | None = None) -> int:
    """The epoch second at which ``key``'s current fixed window of ``period`` seconds ends.

    Windows are aligned on the epoch plus a per-key offset (CRC-32 of the key modulo the
    period), so all clients' windows do not end at the same second. A moment exactly on the
    edge belongs to the window that ends then. Same arithmetic as django-ratelimit 4.1.
    """
    ts = int(time.time() if now is None else now)
    if period == 1:
        return ts
    end = ts - (ts % period) + (zlib.crc32(key.encode("utf-8")) % period)
    return end + period if end < ts else end


def counter_key(group: str, rate: str, key: str, window: int, prefix: str = "rl:") -> str:
    """The cache key of one window's counter: django-ratelimit 4.1's, byte for byte."""
    count, period = parse_rate(rate)
    raw = f"{group}{count}/{period}s{key}{window}"
    return prefix + hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Usage:
    """One request's standing against one policy."""

    policy: str
    limit: int
    count: int
    reset: int  # epoch seconds at which the window ends (or the block, when blocked)
    blocked: bool = False  # refused by a block (RATE-4) before being counted

    @property
    def limited(self) -> bool:
        return self.blocked or self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))

    def headers(self) -> dict[str, str]:
        if self.blocked:  # refused before any policy counted it: only when to come back
            return {"Retry-After": str(self.retry_after)}
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if self.limited:
            headers["Retry-After"] = str(self.retry_after)
        return headers
