"""Debates and their attachments."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Debate(models.Model):
    """A debate: a title and a body, owned by one user. Only its owner (and moderators) see it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debates"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_debates", "Can read every user's debates"),
            ("hide_debate", "Can hide a debate"),
        ]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    """A file attached to a debate, stored under a server-chosen name (INPUT-1).

    ``stored_name`` is the only name that ever reaches the filesystem or a header; the user's
    ``filename`` is kept, cleaned, for display only.
    """

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.stored_name

    @staticmethod
    def new_stored_name(extension: str) -> str:
        return f"{uuid.uuid4().hex}.{extension}"


class Source(models.Model):
    """A URL the server fetched (through the SSRF guard) to record its title."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=300, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url
