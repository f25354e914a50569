"""What debates holds about a user, for privacy's registry (PRIV-3, PRIV-4).

Plain functions: the privacy app imports and registers them; debates never imports privacy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from debates import uploads
from debates.models import Attachment, Debate, Source

logger = logging.getLogger(__name__)

MODELS = ("debates.Debate", "debates.Attachment", "debates.Source")


def export_debates(user: AbstractBaseUser) -> dict[str, Any]:
    """The user's debates with their attachments' metadata and sources."""
    debates = Debate.objects.filter(owner_id=user.pk).order_by("created_at", "pk")
    return {"debates": [_debate(d) for d in debates.prefetch_related("attachments", "sources")]}


def _debate(debate: Debate) -> dict[str, Any]:
    return {
        "id": debate.pk,
        "title": debate.title,
        "body": debate.body,
        "created_at": debate.created_at.isoformat(),
        "hidden": debate.hidden,
        "attachments": [_attachment(a) for a in debate.attachments.all()],
        "sources": [_source(s) for s in debate.sources.all()],
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "stored_name": attachment.stored_name,  # the file's name inside the export archive
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": attachment.created_at.isoformat(),
    }


def _source(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "url": source.url,
        "title": source.title,
        "fetched_at": source.fetched_at.isoformat(),
    }


def attachment_files(user: AbstractBaseUser) -> Iterator[Path]:
    """The stored files of the user's attachments, one at a time (bounded memory)."""
    names = Attachment.objects.filter(debate__owner_id=user.pk).values_list(
        "stored_name", flat=True
    )
    for name in names.iterator():
        path = uploads.stored_path(name)
        if path.exists():
            yield path


def erase_debates(user: AbstractBaseUser) -> None:
    """Delete the user's debates, their attachments and sources; the attachment files go once
    the caller's transaction commits (PRIV-4: erasure is all or nothing, and a file deleted
    before a rollback could not be brought back). Outside a transaction that is at once."""
    names = list(
        Attachment.objects.filter(debate__owner_id=user.pk).values_list("stored_name", flat=True)
    )
    with transaction.atomic():
        Debate.objects.filter(owner_id=user.pk).delete()
        transaction.on_commit(lambda: _remove_files(names), robust=True)


def _remove_files(names: list[str]) -> None:
    """Every file is tried; one that cannot be removed is logged (by its random stored name,
    never the user's file name) and the others still go."""
    for name in names:
        try:
            uploads.stored_path(name).unlink(missing_ok=True)
        except (OSError, uploads.UploadRefused):
            logger.exception("erasure: could not remove the stored file %s", name)
