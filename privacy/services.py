"""Changing consents (PRIV-1) and the do-not-sell flag (PRIV-2); every change is audited."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

import audit
from aragora.http.notes import ClientInfo
from audit.events import EventType
from privacy import purposes, selectors
from privacy.models import Consent, ConsentHistory, DoNotSell


@transaction.atomic
def set_consent(
    *,
    user: AbstractBaseUser,
    purpose: purposes.Purpose,
    granted: bool,
    client: ClientInfo | None = None,
) -> selectors.ConsentState:
    """Record the user's answer for ``purpose``'s current version (PRIV-1): the current row,
    one history row (value, version, time, IP) and an audit event, even when the answer did
    not change (the user confirmed it for this version)."""
    now = timezone.now()
    Consent.objects.update_or_create(
        user_id=user.pk,
        purpose=purpose.id,
        defaults={"granted": granted, "version": purpose.version, "updated_at": now},
    )
    ip = client.ip if client is not None else None
    ConsentHistory.objects.create(
        user_id=user.pk,
        purpose=purpose.id,
        granted=granted,
        version=purpose.version,
        created_at=now,
        ip=ip,
    )
    audit.record(
        EventType.CONSENT_CHANGED,
        actor=user,
        target=user,
        client=client,
        purpose=purpose.id,
        granted=granted,
        version=purpose.version,
    )
    return selectors.consent(user, purpose)


@transaction.atomic
def set_do_not_sell(
    *, user: AbstractBaseUser, enabled: bool, client: ClientInfo | None = None
) -> bool:
    """PRIV-2: set the user's "Do Not Sell or Share" choice; audited. Returns it."""
    DoNotSell.objects.update_or_create(
        user_id=user.pk, defaults={"enabled": enabled, "updated_at": timezone.now()}
    )
    audit.record(
        EventType.DO_NOT_SELL_CHANGED, actor=user, target=user, client=client, enabled=enabled
    )
    return enabled
