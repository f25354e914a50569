"""Debate operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import User
from aragora.http.notes import ClientInfo
from audit.events import EventType
from debates import fetch, uploads
from debates.models import Attachment, Debate, Source


def create_debate(*, owner: User, title: str, body: str) -> Debate:
    return Debate.objects.create(owner=owner, title=title, body=body)


def read_debate(*, debate: Debate, reader: User, client: ClientInfo) -> Debate:
    """Reading someone else's debate (a moderator) is a data access, and audited."""
    if debate.owner_id != reader.pk:
        audit.record(
            EventType.DATA_ACCESSED,
            actor=reader,
            target=debate,
            client=client,
            resource="debate",
            action="read",
        )
    return debate


def attach(*, debate: Debate, upload: Any, uploader: User) -> Attachment:
    """Store an uploaded file under a server-chosen name once its bytes prove its type."""
    head = upload.read(2048)
    upload.seek(0)
    content_type, extension, _ = uploads.check(head, upload.name or "")
    stored_name = Attachment.new_stored_name(extension)
    size = uploads.save(upload, stored_name)
    try:
        with transaction.atomic():
            return Attachment.objects.create(
                debate=debate,
                stored_name=stored_name,
                filename=uploads.clean_filename(upload.name or ""),
                content_type=content_type,
                size=size,
            )
    except Exception:
        uploads.stored_path(stored_name).unlink(missing_ok=True)
        raise


def download(*, attachment: Attachment, reader: User, client: ClientInfo) -> Attachment:
    audit.record(
        EventType.DATA_ACCESSED,
        actor=reader,
        target=attachment,
        client=client,
        resource="attachment",
        action="download",
    )
    return attachment


def add_source(*, debate: Debate, url: str) -> Source:
    """Fetch ``url`` through the SSRF guard and record its title (``FetchRefused`` if not)."""
    page = fetch.fetch_title(url)
    return Source.objects.create(debate=debate, url=page.url[:2000], title=page.title)


def set_hidden(*, debate: Debate, hidden: bool, moderator: User, client: ClientInfo) -> Debate:
    """A moderator hides (or shows) a debate; audited."""
    Debate.objects.filter(pk=debate.pk).update(hidden=hidden)
    debate.hidden = hidden
    audit.record(
        EventType.DEBATE_MODERATED, actor=moderator, target=debate, client=client, hidden=hidden
    )
    return debate


def purge_expired(*, batch_size: int = 500) -> int:
    """PRIV-5: delete debates older than ``ARAGORA_DEBATE_RETENTION_DAYS`` and their files,
    in bounded batches; returns how many debates went. Off (keep forever) by default."""
    days = settings.DEBATE_RETENTION_DAYS
    if not days:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    purged = 0
    while True:
        ids = list(
            Debate.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return purged
        names = list(
            Attachment.objects.filter(debate_id__in=ids).values_list("stored_name", flat=True)
        )
        with transaction.atomic():
            Debate.objects.filter(pk__in=ids).delete()
        for name in names:  # files go once their rows are gone
            uploads.stored_path(name).unlink(missing_ok=True)
        purged += len(ids)
