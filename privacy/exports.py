"""Data exports (PRIV-3): request, build, download; and their retention (PRIV-5).

A request creates a ``pending`` export (one in flight per user: the database's partial unique
index decides, so parallel requests cannot both start one); the Celery task claims it
(``running``, one conditional UPDATE), writes the archive to ``<name>.part`` (0600) and renames
it when complete (``ready``, with ``expires_at``). Any failure removes the partial file and
marks it ``failed``; nothing reaches the client as a 500. The retention job expires archives at
``expires_at`` (the file is deleted), fails exports stuck in flight for longer than
``ARAGORA_EXPORT_MAX_BUILD_SECONDS`` and removes files no export owns. Audited: requested,
ready, downloaded (ids and sizes only).
"""

from __future__ import annotations

import logging
import os
import traceback
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

import audit
from aragora.http.notes import ClientInfo
from audit.events import EventType
from privacy import archive, selectors, storage
from privacy.models import IN_FLIGHT, DataExport, ExportStatus

logger = logging.getLogger(__name__)


class ExportInProgress(Exception):
    """The user already has an export pending or running (``existing``)."""

    def __init__(self, existing: DataExport | None) -> None:
        super().__init__("An export is already being prepared.")
        self.existing = existing


def request_export(*, user: AbstractBaseUser, client: ClientInfo | None = None) -> DataExport:
    """Create a pending export for ``user`` (audited); ``ExportInProgress`` when one is in
    flight. The caller queues the build once this has committed (``privacy.tasks.start``)."""
    for _attempt in range(2):  # the one in flight may finish between our insert and our look
        try:
            with transaction.atomic():
                export = DataExport.objects.create(user_id=user.pk, file_name=storage.new_name())
                audit.record(
                    EventType.EXPORT_REQUESTED,
                    actor=user,
                    target=user,
                    client=client,
                    export_id=str(export.pk),
                )
            return export
        except IntegrityError:
            existing = selectors.export_in_flight(user)
            if existing is not None:
                raise ExportInProgress(existing) from None
    raise ExportInProgress(None)


def build_export(*, export_id: str) -> str | None:
    """Build a pending export's archive (the Celery task). Idempotent: only the one delivery
    that claims it builds; returns the status it ended in, None if it was not ours to build."""
    now = timezone.now()
    pending = DataExport.objects.filter(pk=export_id, status=ExportStatus.PENDING)
    if not pending.update(status=ExportStatus.RUNNING, started_at=now):
        return None
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None:  # the account was erased meanwhile
        return None
    try:
        size = _write(export)
    except Exception as exc:
        _log_failure(export, exc)
        storage.remove(export.file_name)
        _set(export, ExportStatus.RUNNING, status=ExportStatus.FAILED, finished_at=timezone.now())
        return ExportStatus.FAILED
    return _finish(export, size)


def _write(export: DataExport) -> int:
    part = storage.part_of(export.file_name)
    manifest = {"export_id": str(export.pk), "created_at": export.created_at}
    with os.fdopen(storage.create_private(part), "wb") as out:
        archive.write(export.user, out, manifest=manifest)
        size = out.tell()
    os.replace(part, storage.path_of(export.file_name))
    return size


def _finish(export: DataExport, size: int) -> str | None:
    finished = timezone.now()
    expires = finished + timedelta(days=settings.EXPORT_TTL_DAYS)
    if not _set(
        export,
        ExportStatus.RUNNING,
        status=ExportStatus.READY,
        finished_at=finished,
        expires_at=expires,
        size=size,
    ):
        storage.remove(export.file_name)  # failed as stuck, or erased, while we were writing
        return None
    audit.record(EventType.EXPORT_READY, target=export.user, export_id=str(export.pk), size=size)
    return ExportStatus.READY


def _set(export: DataExport, current: str, **fields: object) -> int:
    """One conditional UPDATE from ``current``: its row count says whether we moved it."""
    return DataExport.objects.filter(pk=export.pk, status=current).update(**fields)


def _log_failure(export: DataExport, exc: Exception) -> None:
    """Where it failed (the exception's type and frames), never its message: a message may
    quote the user's data."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("export %s failed: %s\n%s", export.pk, type(exc).__name__, frames)


def fail_unqueued(*, export_id: str) -> None:
    """The build could not be queued (broker down): fail it now so the user may ask again."""
    DataExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.FAILED, finished_at=timezone.now()
    )


def open_download(
    *, user: AbstractBaseUser, export_id: str, client: ClientInfo | None = None
) -> tuple[DataExport, IO[bytes]] | None:
    """The user's ready, unexpired export and its open archive (audited), or None: the caller
    answers 404 for anything else (someone else's, unknown, malformed, expired, not ready)."""
    export = selectors.downloadable_export(user, export_id)
    if export is None:
        return None
    try:
        handle = storage.path_of(export.file_name).open("rb")
    except FileNotFoundError:
        return None
    audit.record(
        EventType.EXPORT_DOWNLOADED,
        actor=user,
        target=user,
        client=client,
        export_id=str(export.pk),
    )
    return export, handle


def purge_expired_exports(*, now: datetime | None = None) -> int:
    """PRIV-5 (retention job ``privacy.exports``): expire ready archives at ``expires_at``
    (status ``expired``, file deleted), fail exports stuck in flight, delete files no export
    owns. Returns how many exports were expired or failed."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now)
    done = _retire(expired, ExportStatus.READY, status=ExportStatus.EXPIRED)
    stale = now - timedelta(seconds=settings.EXPORT_MAX_BUILD_SECONDS)
    for status in IN_FLIGHT:
        stuck = DataExport.objects.filter(status=status, created_at__lt=stale)
        done += _retire(stuck, status, status=ExportStatus.FAILED, finished_at=now)
    _remove_strays()
    return done


def _retire(exports: QuerySet[DataExport], current: str, **fields: object) -> int:
    """Move each export from ``current`` (one conditional UPDATE each), then delete its file:
    from the moment the row moved, a download is refused."""
    retired = 0
    for pk, name in list(exports.values_list("pk", "file_name")):
        if DataExport.objects.filter(pk=pk, status=current).update(**fields):
            storage.remove(name)
            retired += 1
    return retired


def _remove_strays() -> None:
    live = {*IN_FLIGHT, ExportStatus.READY}
    keep = set(DataExport.objects.filter(status__in=live).values_list("file_name", flat=True))
    for path in storage.stray_files(keep, older_than=settings.EXPORT_MAX_BUILD_SECONDS):
        path.unlink(missing_ok=True)
