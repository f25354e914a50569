"""Reads of consents and the do-not-sell flag, and the two gates every other piece of code
asks: ``may_use`` (PRIV-1) and ``may_share`` (PRIV-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from privacy import purposes
from privacy.models import Consent, DoNotSell


@dataclass(frozen=True)
class ConsentState:
    """One purpose as the user sees it. ``granted`` is true only for a grant of the purpose's
    current ``version``; an older grant shows ``granted: false`` with the current version
    (PRIV-1). ``updated_at`` is when the user last answered, None if never."""

    purpose: str
    description: str
    granted: bool
    version: int
    updated_at: datetime | None


def consents(user: AbstractBaseUser) -> list[ConsentState]:
    """Every purpose, in registry order, with the user's answer (false until they opt in)."""
    stored = {c.purpose: c for c in Consent.objects.filter(user_id=user.pk)}
    return [_state(p, stored.get(p.id)) for p in purposes.every()]


def consent(user: AbstractBaseUser, purpose: purposes.Purpose) -> ConsentState:
    return _state(purpose, Consent.objects.filter(user_id=user.pk, purpose=purpose.id).first())


def _state(purpose: purposes.Purpose, row: Consent | None) -> ConsentState:
    granted = row is not None and row.granted and row.version == purpose.version
    updated_at = row.updated_at if row is not None else None
    return ConsentState(purpose.id, purpose.description, granted, purpose.version, updated_at)


def may_use(user: AbstractBaseUser | AnonymousUser, purpose_id: str) -> bool:
    """PRIV-1: may we use this user's data for ``purpose_id``? The only way code asks.

    True only for an explicit grant of the purpose's current version. Fails closed: an unknown
    purpose, an anonymous or unsaved user, no answer or an older version's grant are all no."""
    purpose = purposes.get(purpose_id)
    if purpose is None or not user.is_authenticated or user.pk is None:
        return False
    return Consent.objects.filter(
        user_id=user.pk, purpose=purpose.id, granted=True, version=purpose.version
    ).exists()


def do_not_sell(user: AbstractBaseUser) -> bool:
    """Whether the user has asked us not to sell or share their personal information."""
    return DoNotSell.objects.filter(user_id=user.pk, enabled=True).exists()


def may_share(user: AbstractBaseUser | AnonymousUser) -> bool:
    """PRIV-2: may this user's personal data be sold or shared with a third party? Every
    sharing path must ask this, and only this. Fails closed: no for anyone who opted out and
    for an anonymous or unsaved user (whose choice we cannot know)."""
    if not user.is_authenticated or user.pk is None:
        return False
    return not do_not_sell(user)
