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
from django.db.models import QuerySet

from debates import uploads
from debates.models import Attachment, Debate, Source

logger = logging.getLogger(__name__)

MODELS = ("debates.Debate", "debates.Attachment", "debates.Source")


CHUNK = 200  # debates read, and their attachments and sources looked up, at a time
DEBATE_FIELDS = ("id", "title", "body", "created_at", "hidden")
ATTACHMENT_FIELDS = ("id", "filename", "stored_name", "content_type", "size", "created_at")
SOURCE_FIELDS = ("id", "url", "title", "fetched_at")


def export_debates(user: AbstractBaseUser) -> dict[str, Any]:
    """The user's debates with their attachments' metadata (``stored_name`` is the file's name
    in the archive's ``attachments/``) and sources, streamed: a generator the export writes
    record by record, reading plain rows ``CHUNK`` debates at a time (PRIV-3)."""
    return {"debates": _debates(user)}


def _debates(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = Debate.objects.filter(owner_id=user.pk).order_by("created_at", "pk")
    chunk: list[dict[str, Any]] = []
    for row in rows.values(*DEBATE_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(_dated(row, "created_at"))
        if len(chunk) == CHUNK:
            yield from _with_children(chunk)
            chunk = []
    yield from _with_children(chunk)


def _with_children(debates: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    ids = [d["id"] for d in debates]
    attachments = _by_debate(Attachment.objects.filter(debate_id__in=ids), ATTACHMENT_FIELDS)
    sources = _by_debate(Source.objects.filter(debate_id__in=ids), SOURCE_FIELDS)
    for debate in debates:
        debate["attachments"] = attachments.get(debate["id"], [])
        debate["sources"] = sources.get(debate["id"], [])
        yield debate


def _by_debate(rows: QuerySet[Any], fields: tuple[str, ...]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows.order_by("pk").values("debate_id", *fields):
        dated = _dated(row, "created_at" if "created_at" in row else "fetched_at")
        found.setdefault(dated.pop("debate_id"), []).append(dated)
    return found


def _dated(row: dict[str, Any], field: str) -> dict[str, Any]:
    row[field] = row[field].isoformat()
    return row


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
