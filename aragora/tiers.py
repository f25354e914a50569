"""Parsing ``ARAGORA_LOCKOUT_TIERS`` (LOCK-1) for the settings: ``"5:60,10:900,15:3600"``.

Here, at the floor of the layers, because ``aragora.settings`` must not import accounts (#11);
the lockout (``accounts.lockout``) uses the parsed tuple from ``settings.LOCKOUT_TIERS``. A bad
value stops the process at startup (``ImproperlyConfigured``), as before.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

Tiers = tuple[tuple[int, int], ...]


def parse_tiers(value: str) -> Tiers:
    """``"5:60,10:900"`` → ``((5, 60), (10, 900))``, validated and sorted."""
    try:
        tiers = tuple(
            sorted((int(a), int(b)) for a, b in (part.split(":") for part in value.split(",")))
        )
    except ValueError as exc:
        raise ImproperlyConfigured("ARAGORA_LOCKOUT_TIERS must look like 5:60,10:900") from exc
    if (
        not tiers
        or any(f < 1 or s < 1 for f, s in tiers)
        or len({f for f, _ in tiers}) < len(tiers)
    ):
        raise ImproperlyConfigured("ARAGORA_LOCKOUT_TIERS needs distinct positive failures:seconds")
    return tiers
