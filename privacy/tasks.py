"""Celery tasks of the privacy app: building an export (PRIV-3) and expiring them (PRIV-5)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from privacy import exports
from privacy.models import DataExport

logger = logging.getLogger(__name__)


@shared_task
def build_export(export_id: str) -> str | None:
    """PRIV-3: build one export's archive (idempotent: only the delivery that claims it)."""
    return exports.build_export(export_id=export_id)


@shared_task
def purge_expired_exports() -> int:
    """PRIV-5: archives at expiry, exports stuck in flight, files no export owns."""
    return exports.purge_expired_exports()


def start(export: DataExport) -> None:
    """Queue the build once the request's transaction has committed (embedded mode: it runs
    then, in this process)."""
    export_id = str(export.pk)
    transaction.on_commit(lambda: _send(export_id))


def _send(export_id: str) -> None:
    try:
        build_export.delay(export_id)
    except Exception:  # the broker is down: say so now rather than leave it pending for hours
        logger.warning("export %s could not be queued", export_id, exc_info=True)
        exports.fail_unqueued(export_id=export_id)
