"""Reads of consents and the do-not-sell flag, and the two gates every other piece of code
asks: ``may_use`` (PRIV-1) and ``may_share`` (PRIV-2); the user's data exports (PRIV-3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from privacy import purposes
from privacy.models import IN_FLIGHT, Consent, DataExport, DoNotSell, ExportStatus


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


# --- data exports (PRIV-3) ----------------------------------------------------------------------
PAGE_EXPORTS = 10  # the page lists the newest few


def own_export(user: AbstractBaseUser, export_id: str) -> DataExport | None:
    """The user's export with this id; None for an id that is malformed, unknown or another
    user's: the caller answers 404 alike, so nobody learns that someone else's exists."""
    try:
        pk = uuid.UUID(str(export_id))
    except ValueError:
        return None
    return DataExport.objects.filter(pk=pk, user_id=user.pk).first()


def export_status(export: DataExport) -> str:
    """The status a client sees: a ready export past ``expires_at`` is expired already, even
    before the retention job has deleted its file."""
    expired = export.expires_at is not None and export.expires_at <= timezone.now()
    if export.status == ExportStatus.READY and expired:
        return ExportStatus.EXPIRED
    return export.status


def downloadable_export(user: AbstractBaseUser, export_id: str) -> DataExport | None:
    """The user's export if it is ready and not expired (PRIV-3: owner only, until expiry)."""
    export = own_export(user, export_id)
    if export is None or export_status(export) != ExportStatus.READY:
        return None
    return export


def export_in_flight(user: AbstractBaseUser) -> DataExport | None:
    return DataExport.objects.filter(user_id=user.pk, status__in=IN_FLIGHT).first()


_LABELS = {
    ExportStatus.PENDING: "Waiting to be prepared",
    ExportStatus.RUNNING: "Being prepared",
    ExportStatus.READY: "Ready",
    ExportStatus.FAILED: "Failed: please request a new one",
    ExportStatus.EXPIRED: "Expired",
}


@dataclass(frozen=True)
class ExportRow:
    """One export as the page shows it."""

    pk: uuid.UUID
    created_at: datetime
    expires_at: datetime | None
    shown_status: str
    status_label: str


def recent_exports(user: AbstractBaseUser) -> list[ExportRow]:
    """The user's newest exports, with the status a client sees (``export_status``)."""
    rows = DataExport.objects.filter(user_id=user.pk).order_by("-created_at")[:PAGE_EXPORTS]
    return [_row(export, export_status(export)) for export in rows]


def _row(export: DataExport, status: str) -> ExportRow:
    label = _LABELS[ExportStatus(status)]
    return ExportRow(export.pk, export.created_at, export.expires_at, status, label)
