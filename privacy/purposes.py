"""The optional purposes a user may consent to (PRIV-1).

A purpose's ``version`` rises when what it covers changes materially; a grant given for an
earlier version stops counting until the user consents again (``privacy.selectors.may_use``).
Ids are stable: stored consents and their history refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    id: str
    description: str
    version: int


PURPOSES: dict[str, Purpose] = {
    p.id: p
    for p in (
        Purpose(
            "product_updates",
            "Email me about new features and changes to the service.",
            version=1,
        ),
        Purpose(
            "usage_analytics",
            "Use how I use the service, in aggregate, to improve it.",
            version=1,
        ),
    )
}


def get(purpose_id: str) -> Purpose | None:
    """The purpose with this id, or None when there is none."""
    return PURPOSES.get(purpose_id)


def every() -> list[Purpose]:
    return list(PURPOSES.values())
