"""Debate operations."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
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


def purge_expired(*, batch_size: int | None = None) -> int:
    """PRIV-5: delete debates older than ``ARAGORA_DEBATE_RETENTION_DAYS`` and their files,
    in bounded batches; returns how many debates went. Off (keep forever) by default.

    Set-based (#14): each batch is a primary-key range of at most
    ``ARAGORA_DEBATE_PURGE_BATCH_SIZE`` expired debates. In one transaction the dependents go
    first (attachments, sources: one ``DELETE`` each, by the range's debate ids; the
    attachments' returning their file names), then the debates; no model instance is ever
    loaded, so nothing is cascaded or signalled in Python
    (``test_the_purge_knows_every_dependent_of_a_debate`` fails if a new dependent appears).
    The batch's files are unlinked once it commits. A run cut short leaves whole batches: rows
    and files, or neither.
    """
    days = settings.DEBATE_RETENTION_DAYS
    if not days:
        return 0
    size = batch_size or settings.DEBATE_PURGE_BATCH_SIZE
    cutoff = timezone.now() - timedelta(days=days)
    expired = Debate.objects.filter(created_at__lt=cutoff).order_by("pk")
    purged, low = 0, 0
    while True:
        ids = list(expired.filter(pk__gt=low).values_list("pk", flat=True)[:size])
        if not ids:
            return purged
        low, high = ids[0], ids[-1]
        # The batch: the same rows as ``ids`` (the cutoff is fixed), named by a range.
        batch = expired.filter(pk__gte=low, pk__lte=high)
        with transaction.atomic():
            names = _delete_attachments(batch)
            # _raw_delete: one DELETE ... WHERE debate_id IN (SELECT ... range ...), no Collector
            # (which would load every row to cascade and signal).
            Source.objects.filter(debate__in=batch)._raw_delete(Source.objects.db)
            purged += batch._raw_delete(Debate.objects.db)
            transaction.on_commit(partial(_unlink, names))
        low = high


def _delete_attachments(debates: QuerySet[Debate]) -> list[str]:
    """Delete the attachments of ``debates`` in one statement; return their file names.

    ``DELETE ... RETURNING``: the names are exactly the rows deleted, so an attachment added to
    one of these debates between a separate read and the delete cannot leave its file behind.
    """
    subquery, params = debates.order_by().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(Attachment._meta.db_table)
    column = quote(Attachment._meta.get_field("debate").get_attname_column()[1] or "")
    name = quote(Attachment._meta.get_field("stored_name").get_attname_column()[1] or "")
    # Identifiers are the model's own, quoted; the subquery is Django's with bound parameters.
    sql = f"DELETE FROM {table} WHERE {column} IN ({subquery}) RETURNING {name}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _unlink(names: list[str]) -> None:
    """Files go once their rows are gone (after the commit); a missing file is no error."""
    uploads.remove_stored(names)
