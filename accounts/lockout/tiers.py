"""Lockout tiers (LOCK-1): ``ARAGORA_LOCKOUT_TIERS="5:60,10:900,15:3600"``.

At 5 failures a key locks for 60 s, at 10 for 900 s, at 15 and at every failure after for
3600 s. Between tiers (6..9, 11..14) a failure does not lock.
"""

from __future__ import annotations

from aragora.tiers import Tiers, parse_tiers

__all__ = ["Tiers", "lock_seconds", "next_lock_at", "parse_tiers"]


def lock_seconds(tiers: Tiers, failures: int) -> int:
    """How long the key locks after its ``failures``-th failure (0: no lock)."""
    top_failures, top_seconds = tiers[-1]
    if failures >= top_failures:
        return top_seconds
    return dict(tiers).get(failures, 0)


def next_lock_at(tiers: Tiers, failures: int) -> int:
    """The failure count at which the key next locks: the reservation ceiling (LOCK-3)."""
    for threshold, _ in tiers:
        if threshold > failures:
            return threshold
    return failures + 1
