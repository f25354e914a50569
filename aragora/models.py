"""Project-level models."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ClientBlock(models.Model):
    """A client blocked for abuse (RATE-4): a token, user or IP key, until ``expires_at``.

    ``level`` grows with each block in a day, and the block length doubles with it. Severe
    abuse puts an IP here for a day. The row is the durable record; Redis holds the hot copy.
    """

    class Reason(models.TextChoices):
        ESCALATION = "escalation", "Kept exceeding rate limits"
        SEVERE_ABUSE = "severe_abuse", "Severe abuse"

    key = models.CharField(max_length=100, unique=True)  # "ip:1.2.3.4", "user:7", "token:9"
    reason = models.CharField(max_length=16, choices=Reason.choices)
    level = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-expires_at"]

    def __str__(self) -> str:
        return f"{self.key} blocked until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class CacheMark(models.Model):
    """A shared cache that missed a write and must not be trusted (#10 item 9, OPS-2).

    Durable state (blocks, revocations) is written to the database, then mirrored in Redis.
    When the mirror write fails, this row says so: it outlives the writer (a short-lived task
    or command included) and needs no Redis to be seen. Every process reads the marks at most
    every ``ARAGORA_UNTRUSTED_CACHE_CHECK`` seconds and, while one stands, answers from the
    database; a reload of the cache deletes the mark unless a newer failure bumped ``version``.
    """

    name = models.CharField(max_length=40, primary_key=True)  # "abuse", "revocation"
    version = models.PositiveBigIntegerField(default=1)
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} cache untrusted since {self.marked_at:%Y-%m-%d %H:%M:%S}"
