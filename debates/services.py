"""Debate operations."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

import audit
from accounts.models import User
from audit.events import EventType
from debates import fetch, uploads
from debates.models import Attachment, Debate, Source


def create_debate(*, owner: User, title: str, body: str) -> Debate:
    return Debate.objects.create(owner=owner, title=title, body=body)


def read_debate(*, debate: Debate, reader: User, request: HttpRequest) -> Debate:
    """Reading someone else's debate (a moderator) is a data access, and audited."""
    if debate.owner_id != reader.pk:
        audit.record(
            EventType.DATA_ACCESSED,
            actor=reader,
            target=debate,
            request=request,
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


def download(*, attachment: Attachment, reader: User, request: HttpRequest) -> Attachment:
    audit.record(
        EventType.DATA_ACCESSED,
        actor=reader,
        target=attachment,
        request=request,
        resource="attachment",
        action="download",
    )
    return attachment


def add_source(*, debate: Debate, url: str) -> Source:
    """Fetch ``url`` through the SSRF guard and record its title (``FetchRefused`` if not)."""
    page = fetch.fetch_title(url)
    return Source.objects.create(debate=debate, url=page.url[:2000], title=page.title)
