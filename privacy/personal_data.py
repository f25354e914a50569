"""What privacy itself holds about a user: consents, their history, the do-not-sell flag, and
the user's data exports (their records; the archives themselves are not exported again)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from privacy import storage
from privacy.models import Consent, ConsentHistory, DataExport, DoNotSell

logger = logging.getLogger(__name__)

MODELS = ("privacy.Consent", "privacy.ConsentHistory", "privacy.DoNotSell", "privacy.DataExport")


def export_privacy(user: AbstractBaseUser) -> dict[str, Any]:
    consents = Consent.objects.filter(user_id=user.pk).order_by("purpose")
    history = ConsentHistory.objects.filter(user_id=user.pk).order_by("created_at", "pk")
    flag = DoNotSell.objects.filter(user_id=user.pk).first()
    return {
        "consents": [
            {
                "purpose": c.purpose,
                "granted": c.granted,
                "version": c.version,
                "updated_at": c.updated_at.isoformat(),
            }
            for c in consents
        ],
        "consent_history": [
            {
                "purpose": h.purpose,
                "granted": h.granted,
                "version": h.version,
                "created_at": h.created_at.isoformat(),
                "ip": h.ip,
            }
            for h in history
        ],
        "do_not_sell": flag.enabled if flag is not None else False,
        "data_exports": [
            {
                "id": str(e.pk),
                "status": e.status,
                "created_at": e.created_at.isoformat(),
                "expires_at": e.expires_at.isoformat() if e.expires_at else None,
            }
            for e in DataExport.objects.filter(user_id=user.pk).order_by("created_at")
        ],
    }


def erase_privacy(user: AbstractBaseUser) -> None:
    Consent.objects.filter(user_id=user.pk).delete()
    ConsentHistory.objects.filter(user_id=user.pk).delete()
    DoNotSell.objects.filter(user_id=user.pk).delete()
    names = list(DataExport.objects.filter(user_id=user.pk).values_list("file_name", flat=True))
    with transaction.atomic():
        DataExport.objects.filter(user_id=user.pk).delete()
        # Files go once the erasure commits (a file removed before a rollback could not be
        # brought back); a build in flight then finds its row gone and drops its own file.
        transaction.on_commit(lambda: _remove_files(names), robust=True)


def _remove_files(names: list[str]) -> None:
    for name in names:
        try:
            storage.remove(name)
        except OSError:
            logger.exception("erasure: could not remove the export file %s", name)
