"""What debates holds about a user, for privacy's registry (PRIV-3, PRIV-4).

Plain functions: the privacy app imports and registers them; debates never imports privacy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from debates import uploads
from debates.models import Attachment, Debate, Source

MODELS = ("debates.Debate", "debates.Attachment", "debates.Source")


def export_debates(user: AbstractBaseUser) -> dict[str, Any]:
    """The user's debates with their attachments' metadata and sources, streamed: a generator
    the export writes record by record, in chunks of 500 debates (PRIV-3)."""
    return {"debates": _debates(user)}


def _debates(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    debates = Debate.objects.filter(owner_id=user.pk).order_by("created_at", "pk")
    for debate in debates.prefetch_related("attachments", "sources").iterator(chunk_size=500):
        yield _debate(debate)


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
        "stored_name": attachment.stored_name,  # its name in the archive's attachments/
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
    """Delete the user's debates, their attachments and sources, then the attachment files."""
    names = list(
        Attachment.objects.filter(debate__owner_id=user.pk).values_list("stored_name", flat=True)
    )
    with transaction.atomic():
        Debate.objects.filter(owner_id=user.pk).delete()
    for name in names:  # files go once their rows are gone
        uploads.stored_path(name).unlink(missing_ok=True)
